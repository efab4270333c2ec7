-- replenish schema, version 11: no per-user index rewritten by each claim and each outcome.

-- A user's reminders (planning a pair, the caps' recent messages, the merge window) are found
-- by user and category alone and filtered on the rows: a user has few. With `state` and
-- `sent_at` in the per-user indexes, every claim and every recorded outcome rewrote an entry
-- on a page of its own when the users of a batch are spread over the whole index.
DROP INDEX reminders_pair;
DROP INDEX reminders_user_sent;
CREATE INDEX reminders_pair ON reminders (user_id, category);
