#!/usr/bin/env bash
# Regenerates the console screenshots the README shows (docs/console-*.png): a release build of
# replenishd on the demo data (tests/console/demo_env.sh), its clock moved to 11:00 on
# 2024-03-03 so that reminders have been sent, each page taken by headless chromium in Chinese
# at laptop width.
#   packaging/screenshots.sh
#   REPLENISH_BIN=build/dev/daemon packaging/screenshots.sh    with programs already built
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${REPLENISH_BIN:-}"
if [ -z "$bin" ]; then
  ./packaging/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target replenishd replenishctl
  bin=build/release/daemon
fi
# shellcheck source=tests/console/demo_env.sh
source tests/console/demo_env.sh
demo_start "$bin"
api POST /v1/admin/clock "$admin_token" '{"advance_seconds": 183600}' >/dev/null
sleep 2
mkdir -p docs
shot() {  # shot NAME SIZE PAGE
  browse "$PWD/docs/console-$1.png" "png:$2" "$base/console/#$3?token=$admin_token&lang=zh"
  echo "docs/console-$1.png  ($2, #$3)"
}
shot overview 1280,900 /overview
shot schedule 1280,900 /schedule
shot customer 1280,1100 /customer/u013
shot model 1280,1500 /model
