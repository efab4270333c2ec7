#!/usr/bin/env bash
# Installs what the build needs, builds, and runs every test with CTest.
#   packaging/test.sh            the dev build (Debug, warnings as errors)
#   packaging/test.sh asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"

./packaging/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset"
