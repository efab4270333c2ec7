-- replenish schema, version 1.
-- Times are UTC epoch seconds. Keep SQL portable (SQLite now, PostgreSQL later).

-- Every accepted order line, idempotent by (order_id, line).
CREATE TABLE orders (
  order_id     TEXT    NOT NULL,
  line         INTEGER NOT NULL,
  user_id      TEXT    NOT NULL,
  sku          TEXT    NOT NULL,
  category     TEXT    NOT NULL,
  subcategory  TEXT    NOT NULL DEFAULT '',
  pack_size    TEXT    NOT NULL DEFAULT '',
  quantity     REAL    NOT NULL,
  unit_price   REAL,
  ordered_at   INTEGER NOT NULL,
  coupon_code  TEXT    NOT NULL DEFAULT '',
  periodic     TEXT,     -- periodic category slug; NULL when not periodic
  pack_value   REAL,     -- parsed pack size in pack_unit; NULL when it does not parse
  pack_unit    TEXT,     -- g, ml or pc
  received_at  INTEGER NOT NULL,
  PRIMARY KEY (order_id, line)
);
CREATE INDEX orders_user_periodic ON orders (user_id, periodic, ordered_at);

CREATE TABLE users (
  user_id     TEXT    NOT NULL PRIMARY KEY,
  openid      TEXT,
  tz          TEXT,
  opted_out   INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- The model's state per (user, periodic category).
CREATE TABLE pairs (
  user_id      TEXT    NOT NULL,
  category     TEXT    NOT NULL,
  purchases    INTEGER NOT NULL,
  last_at      INTEGER NOT NULL,
  last_amount  REAL    NOT NULL,
  cycle_days   REAL    NOT NULL,
  next_at      INTEGER NOT NULL,
  lo           INTEGER NOT NULL,
  hi           INTEGER NOT NULL,
  intervals    INTEGER NOT NULL,
  lapsed       INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (user_id, category)
);

-- Population priors per periodic category.
CREATE TABLE priors (
  category    TEXT    NOT NULL PRIMARY KEY,
  m           REAL    NOT NULL,
  s           REAL    NOT NULL,
  sigma       REAL    NOT NULL,
  beta        REAL    NOT NULL,
  n_users     INTEGER NOT NULL,
  learned_m       REAL NOT NULL DEFAULT 0,  -- the population's own centre
  learned_weight  REAL NOT NULL DEFAULT 0,  -- its weight in m against the configured default
  ref_value   REAL,             -- reference pack size amounts are measured against
  ref_unit    TEXT,
  updated_at  INTEGER NOT NULL
);

-- The outbox. next_attempt_at is when the row may be claimed next: the due time, a retry
-- time, or (while 'sending') the end of the lease, so one index serves every claim.
CREATE TABLE reminders (
  id               INTEGER PRIMARY KEY,
  key              TEXT    NOT NULL UNIQUE,  -- stable idempotency key sent to gateways
  user_id          TEXT    NOT NULL,
  category         TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  based_on         INTEGER NOT NULL,         -- time of the purchase the prediction is based on
  due_at           INTEGER NOT NULL,
  state            TEXT    NOT NULL,
  channel          TEXT    NOT NULL DEFAULT '',
  payload          TEXT    NOT NULL DEFAULT '{}',
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  lease_until      INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT    NOT NULL DEFAULT '',
  provider_id      TEXT    NOT NULL DEFAULT '',
  sent_at          INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX reminders_claim ON reminders (state, next_attempt_at);
CREATE INDEX reminders_pair ON reminders (user_id, category, state);

-- One row per delivery attempt.
CREATE TABLE attempts (
  id           INTEGER PRIMARY KEY,
  reminder_id  INTEGER NOT NULL REFERENCES reminders (id),
  at           INTEGER NOT NULL,
  channel      TEXT    NOT NULL,
  outcome      TEXT    NOT NULL,
  detail       TEXT    NOT NULL DEFAULT '',
  ms           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempts_reminder ON attempts (reminder_id);
