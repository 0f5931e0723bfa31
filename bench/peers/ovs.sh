# shellcheck shell=bash disable=SC2034  # sourced: its variables are the callers'
# Open vSwitch peers (Debian's openvswitch-switch and openvswitch-switch-dpdk), run with private
# run/db/log directories under $WORK/ovs so that they never touch /etc/openvswitch or the
# host's own OVS. Learned from ../shared/tools/peers.sh.
#   ovs_up plain|dpdk [NETNS]  ovsdb-server + ovs-vswitchd (in NETNS when given); dpdk: hugepages,
#                              dpdk-init, PMD on core $OVS_PMD_CORE; returns 1 with OVS_ERROR set
#   ovs_down                   stops both daemons, gives back the hugepages it took
#   ovs_pid                    ovs-vswitchd's pid (for CPU accounting)
#   ovs_pmd_cycles             "avg processing cycles per packet" of the first PMD thread
OVS_VSWITCHD_PLAIN=/usr/lib/openvswitch-switch/ovs-vswitchd
OVS_VSWITCHD_DPDK=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OVS_PMD_CORE=${OVS_PMD_CORE:-1}
OVS_SOCKET_MEM=${OVS_SOCKET_MEM:-1024}
export OVS_RUNDIR=$WORK/ovs/run OVS_LOGDIR=$WORK/ovs/log OVS_DBDIR=$WORK/ovs/db \
  OVS_SYSCONFDIR=$WORK/ovs/etc
HUGE_NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HUGE_ADDED=0 OVS_HUGE=0

appctl() { ovs-appctl -t "$OVS_RUNDIR/ovs-vswitchd.ctl" "$@"; }
ovs_pid() { cat "$OVS_RUNDIR/ovs-vswitchd.pid" 2>/dev/null; }
ovs_version() { ovs-vswitchd --version 2>/dev/null | awk 'NR==1{print $NF}'; }

# Hugepages for DPDK peers: adds what is needed on top of what others hold, private mount
# $WORK/huge; huge_down gives back exactly what huge_up added. A caller that took them first
# (pvp.sh) keeps them across ovs_up/ovs_down.
huge_up() {  # MB
  local prev want
  prev=$(cat "$HUGE_NR") want=$((prev + $1 / 2 + 64))
  echo "$want" >"$HUGE_NR"
  HUGE_ADDED=$(($(cat "$HUGE_NR") - prev))
  [ "$(cat "$HUGE_NR")" -ge "$want" ] || { OVS_ERROR="only $(cat "$HUGE_NR") of $want hugepages"; return 1; }
  mkdir -p "$WORK/huge"
  mountpoint -q "$WORK/huge" || mount -t hugetlbfs -o pagesize=2M nodev "$WORK/huge"
}
huge_down() {
  if mountpoint -q "$WORK/huge" 2>/dev/null; then
    rm -f "$WORK"/huge/* && umount "$WORK/huge"
  fi
  if [ "$HUGE_ADDED" -gt 0 ]; then
    local now
    now=$(cat "$HUGE_NR")
    echo $((now > HUGE_ADDED ? now - HUGE_ADDED : 0)) >"$HUGE_NR"
    HUGE_ADDED=0 OVS_HUGE=0
  fi
}

ovs_up() {  # plain|dpdk [NETNS]
  local kind=$1 ns=${2:-} bin=$OVS_VSWITCHD_PLAIN i
  local -a inns=()
  [ -n "$ns" ] && inns=(ip netns exec "$ns")
  OVS_ERROR=""
  mkdir -p "$OVS_RUNDIR" "$OVS_LOGDIR" "$OVS_DBDIR" "$OVS_SYSCONFDIR"
  rm -f "$OVS_DBDIR/conf.db"
  if ! { ovsdb-tool create "$OVS_DBDIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema &&
    ovsdb-server "$OVS_DBDIR/conf.db" --remote="punix:$OVS_RUNDIR/db.sock" \
      --pidfile="$OVS_RUNDIR/ovsdb-server.pid" --detach --no-chdir -vconsole:emer \
      --log-file="$OVS_LOGDIR/ovsdb-server.log" && ovs-vsctl --no-wait init; }; then
    OVS_ERROR="ovsdb-server did not start"
    return 1
  fi
  if [ "$kind" = dpdk ]; then
    bin=$OVS_VSWITCHD_DPDK
    [ -x "$bin" ] || { OVS_ERROR="missing $bin (apt-get install openvswitch-switch-dpdk)"; return 1; }
    if ! mountpoint -q "$WORK/huge" 2>/dev/null; then
      huge_up "$OVS_SOCKET_MEM" || return 1
      OVS_HUGE=1
    fi
    ovs-vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
      other_config:dpdk-socket-mem="$OVS_SOCKET_MEM" \
      other_config:pmd-cpu-mask="$(printf '0x%x' $((1 << OVS_PMD_CORE)))" \
      other_config:dpdk-extra="--no-pci --huge-dir=$WORK/huge --file-prefix=lvsbench-ovs$$"
  fi
  "${inns[@]}" "$bin" "unix:$OVS_RUNDIR/db.sock" --pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" \
    --detach --no-chdir --unixctl="$OVS_RUNDIR/ovs-vswitchd.ctl" -vconsole:emer \
    --log-file="$OVS_LOGDIR/ovs-vswitchd.log" || { OVS_ERROR="ovs-vswitchd did not start: $(tail -3 "$OVS_LOGDIR/ovs-vswitchd.log" 2>/dev/null)"; return 1; }
  if [ "$kind" = dpdk ]; then
    for ((i = 0; i < 60; i++)); do
      [ "$(ovs-vsctl get Open_vSwitch . dpdk_initialized 2>/dev/null)" = true ] && return 0
      sleep 0.5
    done
    OVS_ERROR="DPDK did not initialise: $(grep -i 'err\|emer' "$OVS_LOGDIR/ovs-vswitchd.log" | tail -2)"
    return 1
  fi
}

ovs_iface_ok() {  # IFACE: 0 when OVS opened it; else prints its error
  local port=$1 err
  [ "$(ovs-vsctl get Interface "$port" ofport 2>/dev/null)" -gt 0 ] 2>/dev/null && return 0
  err=$(ovs-vsctl get Interface "$port" error 2>/dev/null)
  echo "${err:-no ofport}"
  return 1
}

ovs_pmd_cycles() {
  appctl dpif-netdev/pmd-stats-show 2>/dev/null | awk -F: '/^pmd thread/{p=1}
    p && /avg processing cycles per packet/{split($2, a, "("); gsub(/ /, "", a[1]); printf "%.0f\n", a[1]; exit}'
}

ovs_down() {
  if [ -S "$OVS_RUNDIR/db.sock" ]; then
    local b
    for b in $(ovs-vsctl --timeout=5 list-br 2>/dev/null); do
      timeout 20 ovs-vsctl --timeout=10 --if-exists del-br "$b" 2>/dev/null
    done
  fi
  kill_wait "$(cat "$OVS_RUNDIR/ovs-vswitchd.pid" 2>/dev/null)"
  kill_wait "$(cat "$OVS_RUNDIR/ovsdb-server.pid" 2>/dev/null)"
  rm -rf "$WORK/ovs"
  if [ "$OVS_HUGE" = 1 ]; then
    huge_down
    OVS_HUGE=0
  fi
}
