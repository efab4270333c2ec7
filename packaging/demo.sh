#!/usr/bin/env bash
# The demo: builds replenish, imports the shipped demo order history into a fresh SQLite
# database, and runs replenishd on a simulated clock (three hours per second) for a minute,
# so that reminders are planned and then sent through the log channel in Chinese.
#   DEMO_SECONDS=120 packaging/demo.sh    runs longer
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${DEMO_SECONDS:-60}"

./packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"

bin=build/release/daemon
mkdir -p var
rm -f var/demo.db var/demo.db-wal var/demo.db-shm

echo
echo "== Importing the demo history (config/demo/orders.csv) and planning reminders"
"$bin/replenishctl" --config config/demo.yaml import config/demo/orders.csv
echo
echo "== Backtesting the model on the same history (saved for the console's Model page)"
"$bin/replenishctl" --config config/demo.yaml backtest --save config/demo/orders.csv
echo
echo "== The schedule"
"$bin/replenishctl" --config config/demo.yaml schedule --limit 10
echo
echo "== replenishd on a simulated clock from 2024-03-01 08:00, 3 hours per second, for ${seconds}s"
echo "   The operator console, while it runs (the token stays in this browser tab only):"
echo "   http://127.0.0.1:8470/console/#/overview?token=demo-token-not-secret-0000"
"$bin/replenishd" --config config/demo.yaml &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
sleep "$seconds"
kill -TERM "$pid"
wait "$pid"
trap - EXIT
echo
echo "== What happened"
"$bin/replenishctl" --config config/demo.yaml schedule --state sent --limit 10
