#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this): installs what it needs,
# builds Release, runs every unit and (as root) integration test, builds the unit tests with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs them, soaks the sanitized vswitchd for 60 s
# under traffic and port churn, fuzzes each libFuzzer target for a few seconds, and runs the
# benchmark suite's scenario 1 in --quick mode so that the harness keeps working (its numbers are
# not pass/fail).
#
#   scripts/test.sh              the whole suite; needs root (namespaces, veths, the soak, the
#                                bench): without it, it runs what it can and then exits 1
#   scripts/test.sh --unit-only  only the build and the unit tests (Release, ASan + UBSan): no root
#
# It ends with a summary on stdout: each suite ran / passed / FAILED / skipped (and why), with the
# CTest counts and the names of tests that skipped themselves (GTEST_SKIP, exit code 77).
set -euo pipefail
cd "$(dirname "$0")/.."

unit_only=false
case "${1:-}" in
  "") ;;
  --unit-only) unit_only=true ;;
  -h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "scripts/test.sh: unknown argument \"$1\" (known: --unit-only, --help)" >&2; exit 2 ;;
esac
root=false
[ "$(id -u)" = 0 ] && root=true

start=$(date +%s)
logs=$(mktemp -d /tmp/lvs-test.XXXXXX)
summary=()     # one line per suite, in order
incomplete=()  # suites the whole suite needed but could not run
current=""     # the suite running now (reported FAILED if the script stops inside it)

suite_start=$start  # when the suite running or last run began (its time goes into the summary)
note() {
  local took=""
  [ "$1" = "$last_suite" ] && took=" [$(( $(date +%s) - suite_start )) s]"
  summary+=("$(printf '%-28s %s%s' "$1" "$2" "$took")")
}
last_suite=""
skip() {  # skip SUITE WHY [needed]: needed = the whole suite was asked for and lacks it
  note "$1" "skipped: $2"
  if [ "${3:-}" = needed ]; then incomplete+=("$1"); fi
}
print_summary() {
  local rc=$?
  set +e
  if [ -n "$current" ]; then note "$current" "FAILED (exit $rc)"; fi
  echo
  echo "== summary ($(( $(date +%s) - start )) s)"
  printf '%s\n' "${summary[@]}"
  if [ -n "$current" ]; then
    echo "== FAILED: $current (suites after it did not run)"
  elif [ ${#incomplete[@]} -gt 0 ]; then
    echo "== INCOMPLETE: not run for lack of rights: $(IFS=,; echo "${incomplete[*]}")"
    echo "   run as root for the whole suite, or scripts/test.sh --unit-only to ask for less"
    rc=1
  elif $unit_only; then
    echo "== unit tests passed (--unit-only: the rest was not asked for)"
  else
    echo "== all tests passed"
  fi
  rm -rf "$logs"
  exit $rc
}
trap print_summary EXIT

# run SUITE COMMAND...: runs it, marks it FAILED if it fails (set -e then stops the script).
run() {
  current=$1
  last_suite=$1
  suite_start=$(date +%s)
  shift
  echo "== $current"
  "$@"
  current=""
}
# ctest_suite SUITE CTEST-ARGS...: as run, and reports CTest's counts and self-skipped tests.
ctest_suite() {
  local suite=$1 log
  shift
  log="$logs/$(echo "$suite" | tr -c 'a-zA-Z0-9\n' '_').log"
  current=$suite
  last_suite=$suite
  suite_start=$(date +%s)
  echo "== $suite"
  ctest "$@" 2>&1 | tee "$log"
  current=""
  local counts skipped
  counts=$(grep -Eo '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 ||
             true)
  skipped=$(grep -E '^[[:space:]]*[0-9]+ - .* \(Skipped\)' "$log" |
              sed -E 's/^[[:space:]]*[0-9]+ - (.*) \(Skipped\)/\1/' | paste -sd, - || true)
  note "$suite" "passed: ${counts:-no tests found}${skipped:+; skipped themselves: $skipped}"
  if [ -z "$counts" ]; then current=$suite; return 1; fi
}

if $root; then
  run "install dependencies" scripts/install-deps.sh
  note "install dependencies" "ran"
else
  skip "install dependencies" "not root (apt-get)"
fi

run "build (Release)" scripts/build.sh build
note "build (Release)" "passed"
ctest_suite "unit (Release)" --test-dir build -L unit -j2 --output-on-failure --timeout 300

if $unit_only; then
  skip "integration" "--unit-only"
elif $root; then
  ctest_suite "integration" --test-dir build -L integration --output-on-failure --timeout 300
else
  skip "integration" "needs root (network namespaces, veths)" needed
fi

# One sanitized build serves the unit tests, the soak and the fuzzers: clang with ASan + UBSan and
# libFuzzer's coverage (-DLVS_FUZZ=ON), so the libraries are compiled once for all three. Without
# clang's libFuzzer (a --unit-only run where it is not installed) GCC builds it, without fuzzers.
# Only what runs sanitized: the unit binaries, the daemon and tools the soak drives, the fuzzers;
# -g1 (line tables: the sanitizers' stack traces keep file:line) compiles faster than full debug.
fuzz_targets="pipeline_fuzz tunnel_decap_fuzz control_fuzz database_fuzz args_fuzz"
if command -v clang++ >/dev/null &&
   ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  san_env=(CC=clang CXX=clang++ LVS_TARGETS="lvs_unit_tests vswitchd vsctl vsattach $fuzz_targets")
  san_fuzz=-DLVS_FUZZ=ON
else
  san_env=(LVS_TARGETS="lvs_unit_tests vswitchd vsctl vsattach")
  san_fuzz=-DLVS_FUZZ=OFF
fi
run "build (ASan + UBSan)" env "${san_env[@]}" \
  scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DLVS_SANITIZE=ON "$san_fuzz" \
  -DLVS_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1
note "build (ASan + UBSan)" "passed"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest_suite "unit (ASan + UBSan)" --test-dir build-asan -L unit -j2 --output-on-failure \
  --timeout 600

if $unit_only; then
  skip "soak 60 s" "--unit-only"
elif $root; then
  # scripts/soak.sh 600 runs longer.
  run "soak 60 s" env BUILD=build-asan scripts/soak.sh 60
  note "soak 60 s" "passed (traffic + port churn in the ASan+UBSan vswitchd)"
else
  skip "soak 60 s" "needs root (namespaces, vswitchd)" needed
fi

if $unit_only; then
  skip "fuzzing 10 s/target" "--unit-only"
elif [ "$san_fuzz" = -DLVS_FUZZ=ON ]; then
  # libFuzzer, on the fuzzers of the sanitized build; scripts/fuzz.sh SECONDS runs longer.
  run "fuzzing 10 s/target" env FUZZ_BUILD=build-asan scripts/fuzz.sh 10
  note "fuzzing 10 s/target" "passed"
else
  skip "fuzzing 10 s/target" "needs clang++ and libclang-rt-dev (root installs them)" needed
fi

if $unit_only; then
  skip "bench harness (quick)" "--unit-only"
elif $root; then
  # Scenario 1 only; fails when the harness breaks or a system does not run, never on numbers.
  bench_out="$logs/bench"
  mkdir -p "$bench_out"
  run "bench harness (quick)" bench/run.sh --quick --build build --out "$bench_out/results" datapath
  cat "$bench_out/results.md"
  note "bench harness (quick)" "passed (bench/run.sh --quick datapath; numbers not pass/fail)"
else
  skip "bench harness (quick)" "needs root (namespaces, peers)" needed
fi
