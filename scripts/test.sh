#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this): installs what it needs,
# builds Release, runs every unit and (as root) integration test, builds the unit tests with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs them, soaks the sanitized vswitchd for 60 s
# under traffic and port churn, fuzzes each libFuzzer target for a few seconds, and runs the
# benchmark suite's scenario 1 in --quick mode so that the harness keeps working (its numbers are
# not pass/fail).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
if [ "$(id -u)" = 0 ]; then scripts/install-deps.sh; fi

scripts/build.sh build
echo "== unit tests (Release)"
ctest --test-dir build -L unit -j2 --output-on-failure --timeout 300
if [ "$(id -u)" = 0 ]; then
  echo "== integration tests (root, network namespaces)"
  ctest --test-dir build -L integration --output-on-failure --timeout 300
else
  echo "== integration tests skipped: they need root" >&2
fi

echo "== unit tests (ASan + UBSan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DLVS_SANITIZE=ON -DLVS_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L unit -j2 --output-on-failure --timeout 600

if [ "$(id -u)" = 0 ]; then
  echo "== soak (60 s: traffic + port churn in the ASan+UBSan vswitchd; scripts/soak.sh 600 runs longer)"
  BUILD=build-asan scripts/soak.sh 60
fi

echo "== fuzzing (libFuzzer, 10 s per target; scripts/fuzz.sh SECONDS runs longer)"
if [ "$(id -u)" = 0 ] || command -v clang++ >/dev/null; then
  scripts/fuzz.sh 10
else
  echo "== fuzzing skipped: needs clang (root installs it)" >&2
fi

if [ "$(id -u)" = 0 ]; then
  # Scenario 1 only; fails when the harness breaks or a system does not run, never on numbers.
  echo "== benchmark harness (bench/run.sh --quick datapath; numbers are informative, not pass/fail)"
  bench_out=$(mktemp -d /tmp/lvs-ci-bench.XXXXXX)
  bench/run.sh --quick --build build --out "$bench_out/results" datapath
  cat "$bench_out/results.md"
  rm -rf "$bench_out"
fi
echo "== all tests passed in $(( $(date +%s) - start )) s"
