-- replenish schema: what operations need (resend, erase audit, retention).

-- How often an operator re-sent a delivered reminder: the n-th resend goes out with the
-- idempotency key "<key>.r<n>".
ALTER TABLE reminders ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;

-- Administrative actions. Never personal data: an erased user appears only as a hash.
CREATE TABLE audit (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  action   TEXT    NOT NULL,  -- user_erased, ...
  subject  TEXT    NOT NULL,  -- what it was about, e.g. "sha256:<16 hex>" of an erased user id
  actor    TEXT    NOT NULL,  -- the API token's name, or "replenishctl"
  detail   TEXT    NOT NULL DEFAULT '{}'  -- JSON: counts, never personal data
);

-- Retention walks attempts by time.
CREATE INDEX attempts_at ON attempts (at);
