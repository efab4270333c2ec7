#!/usr/bin/env bash
# Size: a store of 10,000,000 order lines and 1,000,000 users (bench/gen, imported once into
# $BENCH_DATA and reused), then: replenishd start to ready and its memory, `replenishctl schedule`
# and `replenishctl user` with hyperfine, and the claim query's plan. Prints the figures, and
# "ROW|..." lines for bench/run.      bench/run-size.sh [LINES USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${1:-10000000}"
users="${2:-1000000}"
data="${BENCH_DATA:-/work/benchdata}"
bin=build/release/daemon
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install sqlite3)" >&2; exit 1; }
[ -x "$bin/replenishd" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
mkdir -p "$data"
db="$data/size-$lines-$users.db"
cfg="$data/size.yaml"
sed "s|^  path: .*|  path: $db|" bench/bench.yaml > "$cfg"

echo "== $(uname -m), $(nproc) cores, $(date -u +%F), load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -s "$db" ] || [ -s "$db.partial" ]; then
  echo "== building the store: $lines lines, $users users (once; reused from $db)"
  touch "$db.partial"
  rm -f "$db" "$db-wal" "$db-shm"
  [ -s "$data/size-$lines.csv" ] ||
    bench/gen --orders "$lines" --users "$users" --seed 1 > "$data/size-$lines.csv"
  /usr/bin/time -f "import: %e s, peak RSS %M KiB" \
    "$bin/replenishctl" --config "$cfg" import --progress "$data/size-$lines.csv"
  rm -f "$data/size-$lines.csv" "$db.partial"
fi
ls -l "$db" | awk '{ printf "store: %.1f GiB\n", $5 / 1073741824 }'
sqlite3 "$db" "SELECT 'orders', COUNT(*) FROM orders; SELECT 'users with orders', COUNT(DISTINCT user_id) FROM orders; SELECT 'users with periodic pairs', COUNT(DISTINCT user_id) FROM pairs; SELECT 'pairs', COUNT(*) FROM pairs; SELECT state, COUNT(*) FROM reminders GROUP BY state;"

tmp=$(mktemp -d)
pid=""
stop() { if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; rm -rf "$tmp"' EXIT

# Start to ready: from exec until GET /readyz answers 200, three times; the median.
ready=()
for i in 1 2 3; do
  rm -f "$tmp/port"
  t0=$(date +%s%N)
  "$bin/replenishd" -c "$cfg" --port-file "$tmp/port" 2> "$tmp/daemon.log" &
  pid=$!
  until [ -s "$tmp/port" ] && curl -fs "http://127.0.0.1:$(cat "$tmp/port")/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/daemon.log" >&2; exit 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  ready+=("$(( (t1 - t0) / 1000000 ))")
  url="http://127.0.0.1:$(cat "$tmp/port")"
  [ "$i" = 3 ] || stop
done
ready_ms=$(printf '%s\n' "${ready[@]}" | sort -n | sed -n 2p)
echo "start to ready: ${ready[*]} ms (median $ready_ms ms)"

# Memory: after start, then after reading 1,000 users, 200 schedule pages and re-learning the
# priors (the largest thing the daemon does by itself).
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
token=bench-token-not-secret-0000
rss_start=$(rss)
for u in $(seq 1 997 997000); do
  curl -fs -o /dev/null -H "Authorization: Bearer $token" "$url/v1/users/u$(printf %07d "$u")" || true
done
for _ in $(seq 200); do
  curl -fs -o /dev/null -H "Authorization: Bearer $token" "$url/v1/schedule?limit=100"
done
rss_reads=$(rss)
refresh=$(curl -fs -X POST --data "" -H "Authorization: Bearer $token" "$url/v1/admin/priors/refresh" |
  sed -n 's/.*"ms":\([0-9]*\).*/\1/p')
rss_refresh=$(rss)
peak=$(hwm)
echo "RSS: ${rss_start} MiB after start, ${rss_reads} MiB after 1,000 users and 200 schedules, ${rss_refresh} MiB after a prior refresh (${refresh} ms); peak ${peak} MiB"
stop

# replenishctl against the store (no daemon): the next 100 due reminders, one user.
user="u$(printf %07d 123457)"
hyperfine -N --warmup 3 --runs 30 --export-json "$tmp/hf.json" \
  "$bin/replenishctl --config $cfg schedule --limit 100" \
  "$bin/replenishctl --config $cfg user $user" | grep -E "Time|±|Benchmark"
hf() { sed -n "$1"'p' <(grep -o '"median": *[0-9.e-]*' "$tmp/hf.json" | grep -o '[0-9.e-]*$'); }
schedule_ms=$(awk -v s="$(hf 1)" 'BEGIN { printf "%.1f", s * 1000 }')
user_ms=$(awk -v s="$(hf 2)" 'BEGIN { printf "%.1f", s * 1000 }')
hyperfine -N --warmup 3 --runs 30 --export-json "$tmp/hf0.json" "$bin/replenishctl --version" >/dev/null
base_ms=$(awk -v s="$(grep -o '"median": *[0-9.e-]*' "$tmp/hf0.json" | grep -o '[0-9.e-]*$')" 'BEGIN { printf "%.1f", s * 1000 }')

# The dispatcher's claim (lib/store/sqlite_store.cpp): one statement, one indexed range per
# state read in index order up to the limit, then merged.
claim="UPDATE reminders SET state = 'sending', lease_until = 1, next_attempt_at = 1, attempts = attempts + 1, updated_at = 0 WHERE id IN (SELECT id FROM (SELECT id, next_attempt_at FROM (SELECT id, next_attempt_at FROM reminders WHERE state = 'planned' AND next_attempt_at <= 1717207200 ORDER BY next_attempt_at, id LIMIT 100) UNION ALL SELECT id, next_attempt_at FROM (SELECT id, next_attempt_at FROM reminders WHERE state = 'sending' AND next_attempt_at <= 1717207200 ORDER BY next_attempt_at, id LIMIT 100) ORDER BY next_attempt_at, id LIMIT 100)) RETURNING id"
echo "claim query plan:"
sqlite3 "$db" "EXPLAIN QUERY PLAN $claim" | sed 's/^/  /'
echo "schedule query plan:"
sqlite3 "$db" "EXPLAIN QUERY PLAN SELECT id FROM reminders WHERE state = 'planned' AND due_at >= 0 ORDER BY due_at, id LIMIT 100" | sed 's/^/  /'

echo "ROW|size: replenishd start to ready (10 M lines, 1 M users)|<= 2 s|$ready_ms ms|—|—"
echo "ROW|size: replenishd RSS (after start / after reads / after a prior refresh)|<= 150 MB|$rss_start / $rss_reads / $rss_refresh MiB (peak $peak)|—|—"
echo "ROW|size: replenishctl schedule --limit 100|<= 20 ms|$schedule_ms ms|replenishctl --version: $base_ms ms|$(awk -v a="$schedule_ms" -v b="$base_ms" 'BEGIN { printf "%.1f", a / b }')"
echo "ROW|size: replenishctl user ID|<= 20 ms|$user_ms ms|replenishctl --version: $base_ms ms|$(awk -v a="$user_ms" -v b="$base_ms" 'BEGIN { printf "%.1f", a / b }')"
