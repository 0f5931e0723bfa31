# shellcheck shell=bash
# Shared preamble of the shell integration tests that run one vswitchd in a "host" network
# namespace (tests/ctl/offload_test.sh, offload_vlan_test.sh, offload_internal_test.sh,
# offload_bridges_test.sh, big_tcp_test.sh, rate_limit_test.sh). Sourced, not run; only the source tree has it
# (CTest runs the scripts from there; nothing installs it):
#
#   . "$(dirname "$0")/../support/vswitchd_env.sh"
#
# The caller sets first:
#   BUILD   the build directory (vswitchd, vsctl under $BUILD/ctl)
#   P       the name prefix of this test's namespaces, unique to the process (e.g. lof$(($$ % 100000)))
#   W       the work directory (mktemp -d): database, socket, pid file, logs; removed at exit
#   NETNS   the namespaces to remove at exit, as suffixes of $P ("c1 c2 h": ${P}c1 ${P}c2 ${P}h);
#           ${P}h is the host namespace where the daemon runs
# Sourcing installs `trap cleanup EXIT`: on any exit (pass, fail, skip with 77) the daemon is
# stopped, the processes left in the namespaces are killed, the namespaces deleted and $W removed.
#
# It defines:
#   log MSG...           MSG with a time stamp (ms)
#   gone PID             true when PID no longer exists
#   fail MSG...          FAIL: MSG, the tail of the daemon log, exit 1
#   H CMD...             CMD in the host namespace ${P}h
#   vsctl ARGS...        vsctl on the daemon's socket, in ${P}h
#   start_daemon         vswitchd in ${P}h, detached ($W/db.json, $W/sock, $W/d.pid, $W/d.log)
#   stop_daemon [-SIG]   SIGCONT (it may be stopped), then SIGTERM (or -SIG); waits up to 10 s
#                        for the pid to go; no-op when no daemon runs
#   until_ok SECONDS CMD...  CMD (quiet) every 50 ms until it succeeds; false after SECONDS
#   offload FIELD IN_PORT MAC  a field of that dpif/offload-show entry, empty when none
#   has_entry / no_entry IN_PORT MAC  whether the kernel has that entry
#   cleanup              what the EXIT trap runs

log() { echo "[$(date +%T.%N | cut -c1-12)] $*"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
fail() {
  echo "FAIL: $*"
  tail -20 "$W/d.log"
  exit 1
}
H() { ip netns exec "${P}h" "$@"; }
vsctl() { H "$BUILD/ctl/vsctl" --socket="$W/sock" "$@"; }
start_daemon() {
  H "$BUILD/ctl/vswitchd" --db "$W/db.json" --socket "$W/sock" --pidfile "$W/d.pid" \
    --log-file "$W/d.log" --detach || fail "vswitchd"
}
stop_daemon() {
  [ -f "$W/d.pid" ] || return 0
  local pid
  pid=$(cat "$W/d.pid")
  kill -CONT "$pid" 2>/dev/null
  kill "${1:--TERM}" "$pid" 2>/dev/null
  for _ in $(seq 200); do gone "$pid" && break; sleep 0.05; done
  rm -f "$W/d.pid"
}
until_ok() {
  local end=$((SECONDS + $1))
  shift
  while ! "$@" >/dev/null 2>&1; do [ $SECONDS -lt $end ] || return 1; sleep 0.05; done
}
offload() {
  vsctl --format json dpif/offload-show | python3 -c '
import json, sys
d = json.load(sys.stdin)
for e in d["entries"]:
    if e["in_port"] == sys.argv[2] and e["mac"] == sys.argv[3]:
        print(e[sys.argv[1]]); break' "$@"
}
has_entry() { [ -n "$(offload out_port "$1" "$2")" ]; }
no_entry() { [ -z "$(offload out_port "$1" "$2")" ]; }
cleanup() {
  local n
  stop_daemon -TERM
  for n in $NETNS; do
    ip netns pids "$P$n" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$P$n" 2>/dev/null
  done
  rm -rf "$W"
}
trap cleanup EXIT
