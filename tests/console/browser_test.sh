#!/usr/bin/env bash
# The operator console in a real browser (Debian's chromium, headless): replenishd on the demo
# data, each page loaded with the admin token and with a read-only one, and the DOM the page
# built compared with what the API says: the overview counts, a known reminder in the
# schedule, a customer's purchases and predicted date, the model's backtest figures, the dead
# letter. A read-only token gets no cancel/snooze/retry/drop buttons, and a 403 if it calls
# the API anyway.
#   tests/console/browser_test.sh BIN_DIR      (CTest runs it; exit 77 = skipped)
set -euo pipefail
bin="$(cd "$1" && pwd)"
for tool in chromium jq sqlite3 curl; do
  command -v "$tool" >/dev/null ||
    { echo "SKIP: $tool is not installed (packaging/install-deps.sh installs it)"; exit 77; }
done
# shellcheck source=tests/console/demo_env.sh
source "$(dirname "$0")/demo_env.sh"
demo_start "$bin"

failures=0
passed=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then
    echo "ok   $what"; passed=$((passed + 1))
  else
    echo "FAIL $what"; failures=$((failures + 1))
  fi
}
has() { grep -Eq -- "$1" "$dom"; }
lacks() { ! grep -Eq -- "$1" "$dom"; }
# load PAGE_HASH TOKEN LANG EXPECTED_READY: the page's DOM into $dom once it says it is ready.
load() {
  dom="$work/$(echo "$1" | tr -c 'a-z0-9' '_').$3.html"
  browse - dom "$base/console/#$1?token=$2&lang=$3" >"$dom" || true
  if ! grep -q "data-ready=\"$4\"" "$dom"; then
    echo "FAIL page #$1 ($3) did not finish loading; its DOM:"; head -c 3000 "$dom"; echo
    failures=$((failures + 1))
    return 1
  fi
  if grep -q 'data-error=' "$dom"; then
    echo "FAIL page #$1 ($3) shows an error: $(grep -o 'data-error="[^"]*"' "$dom")"
    failures=$((failures + 1))
    return 1
  fi
}
# The DOM from the element carrying data-category="SLUG" to the next such element.
section() { awk -v RS='data-category="' -v c="$1" 'index($0, c "\"") == 1 {print; exit}' "$dom"; }
# near GOT WANT TOLERANCE: both numbers, within the tolerance.
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {exit !(a != "" && a - b <= t && b - a <= t)}'; }
# The integer text of the element carrying ATTRIBUTE="VALUE".
text_of() { grep -o "$1=\"$2\"[^>]*>[^<]*<" "$dom" | head -1 | sed 's/.*>\([^<]*\)</\1/'; }

# Two days and three hours later (11:00, inside the send window): the reminders due by then
# went out through the log channel.
api POST /v1/admin/clock "$admin_token" '{"advance_seconds": 183600}' >/dev/null
for _ in $(seq 1 100); do
  [ "$(api GET /v1/status | jq '.reminders.sent // 0')" -gt 0 ] && break
  sleep 0.1
done
sleep 1  # let the dispatcher finish the batch it is in
status="$(api GET /v1/status)"
today="$(jq -r .today <<<"$status")"
stats="$(api GET "/v1/stats?since=$(date -d "$today -30 days" +%F)&until=$(date -d "$today +1 day" +%F)")"
echo "status: $(jq -c '{today, due_today, reminders}' <<<"$status")"

echo "== overview"
if load /overview "$admin_token" zh overview; then
  for name in planned dead; do
    want="$(jq ".reminders.$name // 0" <<<"$status")"
    check "overview $name = $want (GET /v1/status)" test "$(text_of data-count "$name")" = "$want"
  done
  check "overview due_today = $(jq .due_today <<<"$status")" \
    test "$(text_of data-count due_today)" = "$(jq .due_today <<<"$status")"
  for name in sent failed converted coupons_redeemed; do
    want="$(jq ".total.$name" <<<"$stats")"
    check "overview $name = $want (GET /v1/stats, 30 days)" test "$(text_of data-count "$name")" = "$want"
  done
  check "overview sent > 0 (the clock moved)" test "$(text_of data-count sent)" -gt 0
  check "overview shows the uplift" has 'data-uplift'
  check "Chinese by default (概览 in the navigation)" has '概览'
fi
if load /overview "$admin_token" en overview; then
  check "English on request (Overview in the navigation)" has '>Overview<'
fi

echo "== schedule"
first="$(api GET '/v1/reminders?state=planned&limit=1' | jq '.reminders[0]')"
rid="$(jq .id <<<"$first")"
rkey="$(jq -r .key <<<"$first")"
if load /schedule "$admin_token" zh schedule; then
  check "schedule lists reminder $rid" has "data-reminder-id=\"$rid\""
  check "schedule shows its key $rkey" has "$rkey"
  check "schedule shows its due time $(jq -r .due_local <<<"$first")" has "$(jq -r .due_local <<<"$first")"
  check "admin token: a cancel button for $rid" has "data-action=\"cancel\"[^>]*data-id=\"$rid\"|data-id=\"$rid\"[^>]*data-action=\"cancel\""
  check "admin token: a snooze button" has 'data-action="snooze"'
fi
category="$(jq -r .category <<<"$first")"
if load "/schedule" "$read_token" zh schedule; then
  check "read token: the schedule still lists $rid" has "data-reminder-id=\"$rid\""
  check "read token: no cancel button" lacks 'data-action="cancel"'
  check "read token: no snooze button" lacks 'data-action="snooze"'
fi
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $read_token" \
  -H 'Content-Type: application/json' --data '{}' "$base/v1/reminders/$rid/cancel")"
check "read token: POST /v1/reminders/$rid/cancel answers 403 (got $code)" test "$code" = 403
check "reminder $rid is still planned" test "$(api GET "/v1/reminders/$rid" | jq -r .state)" = planned

echo "== customer"
user=u020
profile="$(api GET "/v1/users/$user")"
if load "/customer/$user" "$admin_token" zh customer; then
  while read -r cat; do
    check "customer $user: section $cat" has "data-category=\"$cat\""
  done < <(jq -r '.categories[].category' <<<"$profile")
  while read -r day; do
    check "customer $user: purchase on $day" has "data-purchase=\"$day\""
  done < <(jq -r '.categories[].lines[].local[0:10]' <<<"$profile" | sort -u)
  while read -r day; do
    check "customer $user: predicted date $day" has "data-predicted=\"$day\""
  done < <(jq -r '.categories[].prediction.next_local // empty | .[0:10]' <<<"$profile")
  explain="$(grep -o 'data-explain=[^>]*>.*' "$dom" | sed 's#</ul>.*##' || true)"
  purchases="$(jq '.categories[0].estimate.purchases' <<<"$profile")"
  last_day="$(jq -r '.categories[0].estimate.last_day' <<<"$profile")"
  check "customer $user: the explanation, in Chinese, says $purchases purchase days" \
    grep -q "共 $purchases 个购买日" <<<"$explain"
  check "customer $user: the explanation names the last purchase, $last_day" \
    grep -q "$last_day" <<<"$explain"
  check "customer $user: a timeline (svg)" has '<svg'
fi

echo "== model"
model="$(api GET /v1/model)"
if load /model "$admin_token" zh model; then
  while read -r cat mae hit; do
    part="$(section "$cat")"
    check "model: $cat section" test -n "$part"
    got="$(grep -o 'data-mae="model"[^>]*>[^<]*' <<<"$part" | sed 's/.*>//' || true)"
    check "model: $cat model MAE $got ~ $mae (GET /v1/model)" near "$got" "$mae" 0.006
    got="$(grep -o 'data-hit="model"[^>]*>[^<]*' <<<"$part" | sed 's/.*>//; s/%//' || true)"
    check "model: $cat model hit rate $got% ~ $hit%" near "$got" "$hit" 0.06
  done < <(jq -r '.categories[] | select(.backtest != null) |
                  "\(.category) \(.backtest.model.mae) \(.backtest.model.hit * 100)"' <<<"$model")
  check "model: charts drawn (canvas)" has '<canvas'
fi

echo "== dead letters"
dead="$(api GET /v1/dlq | jq '.reminders[0].id')"
if load /dlq "$admin_token" zh dlq; then
  check "dlq lists dead reminder $dead" has "data-reminder-id=\"$dead\""
  check "dlq shows its reason" has '43004 require subscribe'
  check "admin token: retry and drop buttons" has 'data-action="retry"'
fi
if load /dlq "$read_token" zh dlq; then
  check "read token: the dead letter is listed" has "data-reminder-id=\"$dead\""
  check "read token: no retry or drop button" lacks 'data-action="(retry|drop)"'
fi

echo "== the token stays out of the address and the server's logs"
check "no token in the daemon's log" bash -c "! grep -q '$admin_token' '$work/daemon.log'"

echo "console browser test: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
