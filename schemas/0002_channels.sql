-- replenish schema, version 2: what channels need to know about users.

-- One-time subscribe-message consents: each credit allows one message of that template.
CREATE TABLE consents (
  user_id      TEXT    NOT NULL,
  template_id  TEXT    NOT NULL,
  credits      INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (user_id, template_id)
);

-- A user who blocked us on one channel (or opted out of it) gets nothing more there.
CREATE TABLE channel_optouts (
  user_id     TEXT    NOT NULL,
  channel     TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, channel)
);

-- Delivery receipts reported by a gateway after the send (e.g. WeChat TEMPLATESENDJOBFINISH).
ALTER TABLE reminders ADD COLUMN receipt TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders ADD COLUMN receipt_at INTEGER;
CREATE INDEX reminders_provider ON reminders (provider_id);
