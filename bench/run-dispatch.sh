#!/usr/bin/env bash
# Dispatch throughput through the webhook channel, next to wrk hitting the same receiver, in one
# run: wrk, then the dispatcher, then wrk again (on a shared machine the load changes between
# them; the ratio is taken against the mean of the two wrk figures).
#   bench/run-dispatch.sh [REMINDERS] [CONCURRENCY]      (build the release preset first)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
c="${2:-8}"
bin=build/release/bench/bench_dispatch_webhook
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }

tmp=$(mktemp -d)
mkfifo "$tmp/stdin"
"$bin" --serve "$tmp/port" < "$tmp/stdin" &
exec 3>"$tmp/stdin"
trap 'exec 3>&-; wait; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$tmp/port")/hook"

run_wrk() {
  wrk -t2 -c8 -d10s --latency -s bench/wrk-post.lua "$url" | tee "$tmp/wrk" |
    grep -E "Requests/sec|50%|99%"
  awk '/Requests\/sec/ {print $2}' "$tmp/wrk" >> "$tmp/wrk-rates"
}

echo "== $(uname -m), $(nproc) cores, $(date -u +%F), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== wrk: 2 threads, 8 keep-alive connections, 10 s, same body and headers"
run_wrk
echo "== replenish: $n due reminders, Dispatcher + webhook channel, concurrency $c"
"$bin" --url "$url" --reminders "$n" --concurrency "$c" --batch 500 | tee "$tmp/ours"
echo "== wrk again"
run_wrk
ours=$(sed -n 's/.* \([0-9]*\) messages\/s.*/\1/p' "$tmp/ours")
awk -v ours="$ours" '{ sum += $1; n++ } END {
  printf "== wrk mean %.0f req/s; replenish %d msg/s: %.1fx slower than wrk (target: within 3x, >= 3000 msg/s)\n",
         sum / n, ours, (sum / n) / ours }' "$tmp/wrk-rates"
echo "== load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
