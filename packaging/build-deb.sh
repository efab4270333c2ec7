#!/usr/bin/env bash
# Builds the Debian package from a release build: build/release/replenish_<version>_<arch>.deb.
# Prints the package's path on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."

./packaging/install-deps.sh >&2
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" >&2
(cd build/release && cpack -G DEB >&2)
ls -t build/release/replenish_*.deb | head -n 1
