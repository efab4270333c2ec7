#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: clang, ASan + UBSan) and runs each one for a
# bounded time from its seed corpus in tests/fuzz/corpus/<target>/, with the dictionary
# tests/fuzz/<target>.dict. Fails on any crash, sanitizer report, leak, timeout or out-of-memory.
#   packaging/fuzz.sh            60 s per target
#   packaging/fuzz.sh 300        300 s per target
#   packaging/fuzz.sh 30 csv     only fuzz_csv
# Inputs found along the way go to build/fuzz/corpus/<target>/ (never into the repository); a
# failing input is saved as build/fuzz/artifacts/<target>/crash-… and can be replayed with
#   build/fuzz/tests/fuzz/fuzz_<target> build/fuzz/artifacts/<target>/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
only="${2:-}"

./packaging/install-deps.sh
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

status=0
for seeds in tests/fuzz/corpus/*/; do
  target="$(basename "$seeds")"
  [ -n "$only" ] && [ "$only" != "$target" ] && continue
  exe="build/fuzz/tests/fuzz/fuzz_${target}"
  work="build/fuzz/corpus/${target}"
  artifacts="build/fuzz/artifacts/${target}/"
  mkdir -p "$work" "$artifacts"
  dict=()
  if [ -f "tests/fuzz/${target}.dict" ]; then dict=(-dict="tests/fuzz/${target}.dict"); fi
  echo "fuzz: ${target} for ${seconds} s"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a run above 2 GB is a leak or a
  # blow-up. The sanitizers abort on the first report.
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$artifacts" "$work" "$seeds" 2>"build/fuzz/${target}.log"; then
    echo "fuzz: ${target} FAILED; the report:" >&2
    grep -v '^#' "build/fuzz/${target}.log" | tail -n 60 >&2
    status=1
  else
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done' "build/fuzz/${target}.log" |
      sed "s/^/fuzz: ${target}: /"
  fi
done
exit "$status"
