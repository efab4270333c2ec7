#!/usr/bin/env bash
# Installs every Debian 12 package replenish needs to build, test and run.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates tzdata
  libboost-dev libboost-system-dev libsqlite3-dev sqlite3 libcpp-httplib-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev doctest-dev nlohmann-json3-dev
  libcli11-dev libhowardhinnant-date-dev libkainjow-mustache-dev
  libsystemd-dev libssl-dev zlib1g-dev clang-format
  dpkg-dev fakeroot file debootstrap
  clang libclang-rt-14-dev
  wrk hyperfine time curl  # bench/run
  libjs-chart.js  # the console's charts
  chromium jq fonts-wqy-microhei  # the console's browser test and screenshots
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
