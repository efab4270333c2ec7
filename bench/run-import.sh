#!/usr/bin/env bash
# Bulk import of 1,000,000 synthetic order lines (bench/gen), CSV and JSON Lines, into a fresh
# store with bench/bench.yaml, $RUNS runs each (default 3) (the median counts), next to sqlite3's own
# .import of the same CSV into a table with the same primary key and index, measured in the
# same run; then the real files of ../shared/data with their example configs. Prints the figures, and
# "ROW|..." lines for bench/run.      bench/run-import.sh [LINES USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${1:-1000000}"
users="${2:-100000}"
runs="${RUNS:-3}"  # runs of each import; the median counts
data="${BENCH_DATA:-/work/benchdata}"
ctl=build/release/daemon/replenishctl
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install sqlite3)" >&2; exit 1; }
[ -x "$ctl" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
mkdir -p "$data"
csv="$data/orders-$lines-$users.csv"
jsonl="$data/orders-$lines-$users.jsonl"
[ -s "$csv" ] || bench/gen --orders "$lines" --users "$users" --seed 1 --format csv > "$csv"
[ -s "$jsonl" ] || bench/gen --orders "$lines" --users "$users" --seed 1 --format jsonl > "$jsonl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== $(uname -m), $(nproc) cores, $(date -u +%F), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $lines lines, $users users: $(du -m "$csv" | cut -f1) MB CSV, $(du -m "$jsonl" | cut -f1) MB JSONL"

# sqlite3's .import: the CSV's columns, PRIMARY KEY (order_id, line) and the orders index's shape
# (user, category, time and three more columns), WAL, SQLite's defaults otherwise.
base=()
for _ in $(seq "$runs"); do
  rm -f "$tmp"/base.db*
  sqlite3 "$tmp/base.db" >/dev/null <<'SQL'
PRAGMA journal_mode = WAL;
CREATE TABLE orders (
  order_id TEXT NOT NULL, line INTEGER NOT NULL, user_id TEXT NOT NULL, sku TEXT NOT NULL,
  category TEXT NOT NULL, subcategory TEXT NOT NULL DEFAULT '', pack_size TEXT NOT NULL DEFAULT '',
  quantity REAL NOT NULL, unit_price REAL, ordered_at TEXT NOT NULL,
  coupon_code TEXT NOT NULL DEFAULT '', PRIMARY KEY (order_id, line));
CREATE INDEX orders_user ON orders (user_id, category, ordered_at, quantity, unit_price, pack_size);
SQL
  /usr/bin/time -f "%e" -o "$tmp/t" sqlite3 "$tmp/base.db" ".import --csv --skip 1 $csv orders"
  base+=("$(cat "$tmp/t")")
done
base_s=$(printf '%s\n' "${base[@]}" | median)
echo "sqlite3 .import: ${base[*]} s (median $base_s s)"

run_import() {  # FILE -> "seconds peak_kib" of the median run, and prints each run
  local file=$1 times=()
  for _ in $(seq "$runs"); do
    rm -f "$tmp"/r.db*
    /usr/bin/time -f "%e %M" -o "$tmp/t" "$ctl" --config bench/bench.yaml --db "$tmp/r.db" \
      import --progress "$file" > "$tmp/out" 2> "$tmp/err"
    grep -E "rows:|updated" "$tmp/out" | sed 's/^/  /' >&2
    grep "^import:" "$tmp/err" | sed 's/^/  /' >&2
    times+=("$(cat "$tmp/t")")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (${#times[@]} + 1) / 2 ))p"
}
echo "replenishctl import, CSV:"
read -r csv_s csv_kib < <(run_import "$csv")
echo "replenishctl import, JSON Lines:"
read -r jsonl_s jsonl_kib < <(run_import "$jsonl")
echo "median: CSV $csv_s s (peak RSS $((csv_kib / 1024)) MiB), JSONL $jsonl_s s (peak RSS $((jsonl_kib / 1024)) MiB)"

# The real development data (../shared/data, not in the repository), each with its example
# config: completejourney (a 3-week slice, about 56,000 lines; its README says why) and instacart.
real_rows=()
for name in completejourney instacart; do
  file=../shared/data/$name/orders.csv.gz
  if [ ! -s "$file" ]; then
    echo "$name: skipped ($file is absent)"
    real_rows+=("ROW|import: $name orders.csv.gz (real data)|—|skipped: $file absent|—|—")
    continue
  fi
  rm -f "$tmp"/real.db*
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$ctl" --config "config/examples/$name.yaml" \
    --db "$tmp/real.db" import --progress "$file" > "$tmp/out" 2> "$tmp/err" || true
  read -r real_s real_kib < "$tmp/t"
  real_lines=$(sed -n 's/.*: \([0-9]*\) rows:.*/\1/p' "$tmp/out")
  echo "$name: $real_lines lines in $real_s s (peak RSS $((real_kib / 1024)) MiB)"
  sed 's/^/  /' "$tmp/out"
  grep "^import:" "$tmp/err" | sed 's/^/  /'
  real_rows+=("ROW|import: $name orders.csv.gz (real data, gzip)|—|$real_lines lines in $real_s s, peak RSS $((real_kib / 1024)) MiB|—|—")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ROW|import: $lines lines CSV (stored, deduplicated, priors, pairs planned)|< 5 s; <= 2x sqlite3 .import|$csv_s s|sqlite3 .import: $base_s s|$(ratio "$csv_s" "$base_s")"
echo "ROW|import: $lines lines JSON Lines|< 5 s; <= 2x sqlite3 .import|$jsonl_s s|sqlite3 .import (CSV): $base_s s|$(ratio "$jsonl_s" "$base_s")"
echo "ROW|import: peak RSS (CSV / JSON Lines)|< 300 MB|$((csv_kib / 1024)) / $((jsonl_kib / 1024)) MiB|—|—"
printf '%s\n' "${real_rows[@]}"
