-- replenish schema, version 9: fewer index writes per send.

-- Dead letters are listed newest first (replenishctl dead, GET /v1/dead): an index of the dead
-- alone. The index it replaces, over every reminder's (state, updated_at), was rewritten by each
-- claim and each recorded outcome.
DROP INDEX reminders_dead;
CREATE INDEX reminders_dead ON reminders (updated_at) WHERE state = 'dead';
