# Sourced by tests/console/browser_test.sh and packaging/screenshots.sh: a replenishd on the
# demo data (config/demo.yaml's categories and templates, config/demo/orders.csv), on a free
# loopback port and a clock that moves only when told, its database and config in a temp dir.
#   demo_start BIN_DIR     sets: work, db, port, base (http://127.0.0.1:PORT), admin_token,
#                          read_token, daemon (pid); stops and cleans up on exit
#   api METHOD PATH [TOKEN] [BODY]    curl the daemon, the body on stdout; fails on HTTP >= 400
#   browse OUTPUT_DIR_OR_FILE MODE URL  chromium headless: MODE dom (DOM on stdout) or
#                                       png:WIDTH,HEIGHT (a screenshot into the file)
# The demo data gets one dead letter (the first planned reminder, as if a gateway refused it)
# and a saved backtest, so that every console page has something to show.

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
admin_token="demo-token-not-secret-0000"
read_token="demo-viewer-token-not-secret"

demo_stop() {
  if [ -n "${daemon:-}" ]; then
    kill -TERM "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  [ -n "${work:-}" ] && rm -rf "$work"
}

demo_start() {
  local bin
  bin="$(cd "$1" && pwd)"
  work="$(mktemp -d /tmp/replenish-console.XXXXXX)"
  trap demo_stop EXIT
  db="$work/demo.db"
  # The demo configuration, with the database here, the console from this checkout and a
  # stopped clock (it moves by POST /v1/admin/clock only), so the pages show fixed data.
  sed -e "s#^  path: ../var/demo.db#  path: $db#" \
    -e "s#^  root: ../console#  root: $src/console#" \
    -e "s#^  speed: 10800#  speed: 0#" "$src/config/demo.yaml" >"$work/demo.yaml"
  grep -q "path: $db" "$work/demo.yaml" && grep -q "root: $src/console" "$work/demo.yaml" &&
    grep -q "speed: 0" "$work/demo.yaml" || { echo "demo_env: config/demo.yaml changed shape" >&2; return 1; }
  "$bin/replenishctl" --config "$work/demo.yaml" import "$src/config/demo/orders.csv" >/dev/null
  (cd "$src" && "$bin/replenishctl" --config "$work/demo.yaml" backtest --save \
    config/demo/orders.csv >/dev/null 2>&1)
  sqlite3 "$db" "UPDATE reminders SET state = 'dead', updated_at = 1709251200, attempts = 1,
    last_error = 'permanent: 43004 require subscribe (test)'
    WHERE id = (SELECT MIN(id) FROM reminders WHERE state = 'planned')"
  "$bin/replenishd" --config "$work/demo.yaml" --listen 127.0.0.1:0 --port-file "$work/port" \
    >"$work/daemon.log" 2>&1 &
  daemon=$!
  for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
  port="$(cat "$work/port" 2>/dev/null || true)"
  [ -n "$port" ] || { echo "demo_env: replenishd did not start:" >&2; cat "$work/daemon.log" >&2; return 1; }
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
}

api() {
  local method="$1" path="$2" tok="${3:-$admin_token}" body="${4:-}"
  local args=(-sS -X "$method" -H "Authorization: Bearer $tok" --fail-with-body)
  [ -n "$body" ] && args+=(-H "Content-Type: application/json" --data "$body")
  curl "${args[@]}" "$base$path"
}

browse() {
  local out="$1" mode="$2" url="$3"
  local flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
    --disable-extensions --hide-scrollbars --user-data-dir="$(mktemp -d -p "$work")"
    --virtual-time-budget=15000)
  if [ "$mode" = dom ]; then
    timeout 90 chromium "${flags[@]}" --dump-dom "$url" 2>>"$work/chromium.log"
  else
    timeout 90 chromium "${flags[@]}" --window-size="${mode#png:}" --screenshot="$out" "$url" \
      >>"$work/chromium.log" 2>&1
  fi
}
