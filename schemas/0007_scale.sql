-- replenish schema, version 7: indexes for ten million orders on one small server.

-- The orders index carries what the model reads of a line, so that learning the priors and
-- planning after an import walk the index alone instead of looking up every line in the table.
DROP INDEX orders_user_periodic;
CREATE INDEX orders_user_periodic
  ON orders (user_id, periodic, ordered_at, quantity, pack_value, pack_unit);

-- The schedule (replenishctl schedule, GET /v1/schedule): a state's reminders by due time, read
-- in order up to the limit instead of sorting every reminder.
CREATE INDEX reminders_schedule ON reminders (state, due_at);
