-- replenish schema, version 4: the coupon ledger.

-- Every coupon code handed out, local or from the merchant's coupon service. One coupon per
-- reminder at most (a retried send reuses its code). A coupon is live while it is unredeemed
-- and now < expires_at; value_text keeps how it was shown ("满50减5元").
CREATE TABLE coupons (
  code            TEXT    NOT NULL PRIMARY KEY,
  rule            TEXT    NOT NULL,
  user_id         TEXT    NOT NULL,
  category        TEXT    NOT NULL,
  reminder_id     INTEGER UNIQUE,
  source          TEXT    NOT NULL,            -- local | service
  value_text      TEXT    NOT NULL DEFAULT '',
  issued_at       INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,            -- first instant it is no longer valid
  redeemed_at     INTEGER,
  redeemed_order  TEXT
);
CREATE INDEX coupons_user_category ON coupons (user_id, category, expires_at);
CREATE INDEX coupons_rule_issued ON coupons (rule, issued_at);
