-- replenish schema: campaigns. What a reminder is in a campaign (segment, kind, template,
-- coupon rule, control group), what happened after it (merged, converted, coupon redeemed),
-- and the spend threshold of the high-value segment.

ALTER TABLE reminders ADD COLUMN campaign TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders ADD COLUMN segment TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders ADD COLUMN template TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders ADD COLUMN coupon_rule TEXT NOT NULL DEFAULT '';
-- 1: the user is in the control group. The reminder is planned like any other, reaches state
-- 'held_out' instead of being sent, and keeps this flag whatever happens later.
ALTER TABLE reminders ADD COLUMN held_out INTEGER NOT NULL DEFAULT 0;
-- The reminder whose message also listed this one's category (merge window); NULL otherwise.
ALTER TABLE reminders ADD COLUMN merged_into INTEGER;
-- The coupon the message carried, and why there was none when the rule asked for one.
ALTER TABLE reminders ADD COLUMN coupon_code TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders ADD COLUMN coupon_note TEXT NOT NULL DEFAULT '';
-- First order in the category within plan.attribution_days after the reminder went out (or,
-- held out, would have gone out); coupon_redeemed when that order or a coupon event used the
-- reminder's coupon.
ALTER TABLE reminders ADD COLUMN converted_at INTEGER;
ALTER TABLE reminders ADD COLUMN coupon_redeemed INTEGER NOT NULL DEFAULT 0;

-- Caps count a user's recent messages; follow-ups look for reminders sent N days ago.
CREATE INDEX reminders_user_sent ON reminders (user_id, sent_at);
CREATE INDEX reminders_kind_sent ON reminders (kind, state, sent_at);
-- Pairs that lapse with time, found without reading every pair (same expression as the query).
CREATE INDEX pairs_lapse ON pairs (lapsed, (hi + CAST(cycle_days * 86400 AS INTEGER)));

-- Thresholds computed from the whole population when the priors are refreshed, never per
-- request: 'high_value_spend' is the spend at segments.high_value_quantile.
CREATE TABLE segment_thresholds (
  name        TEXT    NOT NULL PRIMARY KEY,
  value       REAL    NOT NULL,
  n_users     INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
