#!/usr/bin/env bash
# Installs what the build needs, builds, and runs every test with CTest.
#   packaging/test.sh            the dev build (Debug, warnings as errors)
#   packaging/test.sh asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   packaging/test.sh tsan       the tests that run threads, under ThreadSanitizer (the tsan test
#                                preset's filter); any report fails the run and is printed
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"

./packaging/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
if [ "$preset" = tsan ]; then
  # Reports of every process, the daemons the tests start included, land in these files.
  rm -f build/tsan/tsan-report.*
  status=0
  ctest --preset tsan || status=$?
  if compgen -G "build/tsan/tsan-report.*" >/dev/null; then
    echo "tsan: ThreadSanitizer reports:" >&2
    cat build/tsan/tsan-report.* >&2
    status=1
  fi
  exit "$status"
fi
ctest --preset "$preset"
