#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs each for
# SECONDS (default 60) from its seed corpus in tests/fuzz/corpus/. New inputs go to a scratch
# copy; crashes are written to build-fuzz/crashes/ and fail the script.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# FUZZ_BUILD=DIR runs the fuzzers of an existing clang build configured with -DLVS_FUZZ=ON instead
# (scripts/test.sh: its sanitized build, which is one; only the targets are built there).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(pipeline_fuzz tunnel_decap_fuzz control_fuzz database_fuzz args_fuzz)
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "needs clang and libclang-rt-dev (apt-get install clang)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-dev >/dev/null
fi
# -O1 and line tables only (libFuzzer's advice; stack traces keep file:line): cheaper to compile
# than -O2 -g, and CI compiles every library for it.
B=${FUZZ_BUILD:-build-fuzz}
if [ -z "${FUZZ_BUILD:-}" ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=None \
    "-DCMAKE_C_FLAGS=-O1 -gline-tables-only -DNDEBUG" "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only -DNDEBUG" \
    -DLVS_FUZZ=ON -DLVS_BUILD_BENCH=OFF -DBUILD_TESTING=OFF >/dev/null
fi
grep -q '^LVS_FUZZ:BOOL=ON' "$B/CMakeCache.txt" || { echo "$B: not configured with -DLVS_FUZZ=ON" >&2; exit 1; }
cmake --build "$B" -j"$(nproc)" --target "${TARGETS[@]}"
mkdir -p "$B"/crashes
for t in "${TARGETS[@]}"; do
  corpus=$B/corpus/${t%_fuzz}
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"${t%_fuzz}"/* "$corpus"/ 2>/dev/null || true
  echo "== $t: $SECONDS_EACH s"
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$B"/tests/fuzz/"$t" -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$B"/crashes/"$t"- "$corpus" 2>&1 | grep -E "^#|Done|stat::number_of_executed_units|ERROR|SUMMARY|crash" | tail -4
  test "${PIPESTATUS[0]}" -eq 0 || { echo "FUZZ FAILURE in $t (see $B/crashes/)" >&2; exit 1; }
done
echo "fuzzing done: ${#TARGETS[@]} targets, $SECONDS_EACH s each, no crash"
