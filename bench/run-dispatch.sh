#!/usr/bin/env bash
# Dispatch throughput through the webhook channel, next to wrk hitting the same receiver.
#   bench/run-dispatch.sh [REMINDERS]          (build the release preset first)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
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

echo "== $(uname -m), $(nproc) cores, $(date -u +%F)"
echo "== wrk: 2 threads, 8 keep-alive connections, 10 s, same body and headers"
wrk -t2 -c8 -d10s --latency -s bench/wrk-post.lua "$url" | grep -E "Requests/sec|50%|99%"
echo "== replenish: $n due reminders, Dispatcher + webhook channel, concurrency 8"
"$bin" --url "$url" --reminders "$n" --concurrency 8 --batch 500
