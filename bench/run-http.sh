#!/usr/bin/env bash
# HTTP ingest with wrk against replenishd (release build, bench/bench.yaml, fresh store):
#  - batches: POST /v1/orders with {"orders": [1,000 lines]}, 4 keep-alive connections;
#  - single lines: one order line per request, 32 keep-alive connections;
#  - baseline: GET /healthz on the same daemon with the same 32 connections.
# Every request carries new lines (bench/gen). Prints the figures, and "ROW|..." lines for
# bench/run.   bench/run-http.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
data="${BENCH_DATA:-/work/benchdata}"
bin=build/release/daemon/replenishd
token=bench-token-not-secret-0000
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
mkdir -p "$data"

# Request bodies: JSON Lines are single-order bodies; 1,000 of them joined make a batch body.
single="$data/http-single-300k.jsonl"
batch="$data/http-batch-1m.bodies"
[ -s "$single" ] || bench/gen --orders 300000 --users 30000 --seed 2 --format jsonl > "$single"
if [ ! -s "$batch" ]; then
  bench/gen --orders 1000000 --users 100000 --seed 3 --format jsonl |
    awk '{ if (NR % 1000 == 1) printf "{\"orders\":[%s", $0; else printf ",%s", $0;
           if (NR % 1000 == 0) printf "]}\n" } END { if (NR % 1000) printf "]}\n" }' > "$batch"
fi

tmp=$(mktemp -d)
pid=""
stop() { if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; rm -rf "$tmp"' EXIT

start() {  # a fresh store each time
  stop
  rm -f "$tmp"/bench.db* "$tmp/port"
  sed "s|^  path: .*|  path: $tmp/bench.db|" bench/bench.yaml > "$tmp/bench.yaml"
  "$bin" -c "$tmp/bench.yaml" --port-file "$tmp/port" 2> "$tmp/daemon.log" &
  pid=$!
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  [ -s "$tmp/port" ] || { cat "$tmp/daemon.log" >&2; exit 1; }
  url="http://127.0.0.1:$(cat "$tmp/port")"
}

# "99%  12.34ms" in wrk's latency distribution, in milliseconds.
p_ms() { awk -v q="$1%" '$1 == q { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+/, "", v);
  if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.2f", v }' "$2"; }
rps() { awk '/Requests\/sec/ { printf "%.0f", $2 }' "$1"; }
orders() { curl -fsS -H "Authorization: Bearer $token" "$url/v1/status" |
  sed -n 's/.*"orders":\([0-9]*\).*/\1/p'; }

echo "== $(uname -m), $(nproc) cores, $(date -u +%F), load: $(cut -d' ' -f1-3 /proc/loadavg)"

start
echo "== batches of 1,000 lines: wrk 2 threads, 4 connections, ${secs} s"
wrk -t2 -c4 -d"${secs}s" --latency -s bench/wrk-orders.lua "$url" -- "$batch" "$token" 2 \
  > "$tmp/batch.txt"
grep -E "Requests/sec|50%|99%|reused" "$tmp/batch.txt"
stored=$(orders)
lps=$(awk -v n="$stored" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
echo "stored $stored lines: $lps lines/s; daemon RSS $(ps -o rss= -p "$pid") KiB"

start
echo "== baseline: GET /healthz, wrk 2 threads, 32 connections, ${secs} s"
wrk -t2 -c32 -d"${secs}s" --latency "$url/healthz" > "$tmp/health.txt"
grep -E "Requests/sec|50%|99%" "$tmp/health.txt"
echo "== single lines: wrk 2 threads, 32 connections, ${secs} s"
wrk -t2 -c32 -d"${secs}s" --latency -s bench/wrk-orders.lua "$url" -- "$single" "$token" 2 \
  > "$tmp/single.txt"
grep -E "Requests/sec|50%|99%|reused" "$tmp/single.txt"
echo "stored $(orders) lines; daemon RSS $(ps -o rss= -p "$pid") KiB"

base_rps=$(rps "$tmp/health.txt")
one_rps=$(rps "$tmp/single.txt")
echo "ROW|HTTP ingest, batches of 1,000 lines (4 connections)|>= 50,000 lines/s|$lps lines/s|—|—"
echo "ROW|HTTP ingest, single lines (32 connections)|>= 3,000 req/s|$one_rps req/s|GET /healthz: $base_rps req/s|$(awk -v a="$one_rps" -v b="$base_rps" 'BEGIN { printf "%.2f", a / b }')"
echo "ROW|HTTP ingest, single lines: p99 latency|<= 20 ms|$(p_ms 99 "$tmp/single.txt") ms|GET /healthz: $(p_ms 99 "$tmp/health.txt") ms|—"
