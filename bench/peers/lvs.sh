# shellcheck shell=bash disable=SC2034  # sourced: its variables are the callers'
# Lite vSwitch as the system under test: a real vswitchd (as shipped, default options unless
# given) on its own database and socket under $WORK/lvs-NAME, in a network namespace so that its
# first-start bridge br0 (docker0's role) never appears on the real host.
#   lvs_up NAME NETNS [vswitchd options...]  starts it (NETNS "" = here); LVS_PID[NAME] = its
#                                             pid; returns 1 with LVS_ERROR set on failure
#   lvsctl NAME vsctl-args...                 vsctl on that daemon's socket
#   lvs_attach NAME vsattach-args...          vsattach on that daemon's socket, in its namespace
#                                             (where the containers' host-side veths must live)
#   lvs_down NAME                             stops it, removes its files
declare -A LVS_PID LVS_NS
lvsctl() {
  local name=$1
  shift
  "$BUILD/ctl/vsctl" --socket "$WORK/lvs-$name/sock" "$@"
}
lvs_attach() {
  local name=$1
  shift
  local -a inns=()
  [ -n "${LVS_NS[$name]:-}" ] && inns=(ip netns exec "${LVS_NS[$name]}")
  "${inns[@]}" "$BUILD/ctl/vsattach" --socket "$WORK/lvs-$name/sock" "$@"
}
lvs_up() {
  local name=$1 ns=$2 d=$WORK/lvs-$1
  shift 2
  mkdir -p "$d"
  local -a cmd=("$BUILD/ctl/vswitchd" --db "$d/db.json" --socket "$d/sock" --log-file "$d/log" "$@")
  local -a inns=()
  [ -n "$ns" ] && inns=(ip netns exec "$ns")
  "${inns[@]}" "${cmd[@]}" >"$d/out" 2>&1 &
  LVS_PID[$name]=$! LVS_NS[$name]=$ns
  LVS_CMD="${cmd[*]}"
  if ! wait_for 100 lvsctl "$name" list-br; then
    LVS_ERROR="vswitchd did not answer: $(tail -3 "$d/out" "$d/log" 2>/dev/null | tr '\n' ' ')"
    lvs_down "$name"
    return 1
  fi
}
lvs_down() {
  kill_wait "${LVS_PID[$1]:-}"
  wait "${LVS_PID[$1]:-}" 2>/dev/null
  unset "LVS_PID[$1]" "LVS_NS[$1]"
  rm -rf "$WORK/lvs-$1"
}
