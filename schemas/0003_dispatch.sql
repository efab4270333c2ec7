-- replenish schema, version 3: what the dispatcher's operator tools show.

-- The gateway's message id of each attempt ('' when it gave none or the attempt failed), so
-- that `replenishctl reminder show` lists it per attempt.
ALTER TABLE attempts ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';

-- The dead-letter list, newest first, without scanning every reminder.
CREATE INDEX reminders_dead ON reminders (state, updated_at);
