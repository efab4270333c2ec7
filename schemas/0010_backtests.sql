-- replenish schema, version 10: saved backtest reports (replenishctl backtest --save), which the
-- console's Model page and GET /v1/model show. A report holds aggregate figures only, never a
-- user id.
CREATE TABLE backtests (
  id      INTEGER PRIMARY KEY,
  ran_at  INTEGER NOT NULL,  -- epoch seconds, the clock of the run
  source  TEXT    NOT NULL,  -- what was replayed (file names), for people
  report  TEXT    NOT NULL   -- the JSON of replenishctl backtest --json
);
