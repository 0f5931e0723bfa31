#!/usr/bin/env bash
# tunnel_kernel_device.sh - container-to-container TCP across VXLAN between bench/tunnel_compare.sh's
# two namespaced hosts (its namespaces, addresses and setup functions), three ways in one run,
# alternating per repetition: (k) Linux bridge + kernel VXLAN, (o) Lite vSwitch VXLAN on the
# kernel vxlan device with the kernel offload carrying learnt unicast container <-> tunnel (the
# defaults), (d) the same without offload (other_config:kernel-offload=false), (s) Lite vSwitch
# VXLAN on UDP sockets (kernel-tunnels=false, kernel-offload=false). Per run: Gbit/s (iperf3 ltc1 -> ltc2, and -R), and
# the whole machine's CPU seconds per Gbit (busy jiffies of /proc/stat over the run: the kernel's
# softirqs, both iperf3 and the vswitchds included; other load on the machine counts too).
#
#   sudo bench/tunnel_kernel_device.sh [BUILD_DIR]      Knobs: REPS=3 DUR=5
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
REPS=${REPS:-3} DUR=${DUR:-5}
eval "$(sed -n '/^MTU=/p;/^W=/p;/^log()/p;/^teardown()/,/^}/p;/^setup_common()/,/^}/p;
  /^setup_switch()/,/^}/p;/^setup_kernel()/,/^}/p' "$HERE/tunnel_compare.sh")"
mkdir -p "$W"
trap 'teardown; exit 130' INT TERM
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# run DIR: "Gbit/s cpu-s/Gbit" of one iperf3 run ltc1 -> ltc2 (DIR "" or -R).
run() {
  ip netns exec ltc2 iperf3 -s -1 -D -B 10.96.0.2 >/dev/null 2>&1
  sleep 0.3
  local a b g
  a=$(busy)
  g=$(ip netns exec ltc1 timeout $((DUR + 15)) iperf3 -c 10.96.0.2 -t "$DUR" $1 -J 2>/dev/null |
    python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null || echo 0)
  b=$(busy)
  python3 -c "g=float('$g'); print('%.2f %.3f' % (g, ($b - $a) / $(getconf CLK_TCK) / (g * $DUR) if g else 0))"
}
setup() {
  setup_common || return 1
  case $1 in
    k) setup_kernel ;;
    o) setup_switch ;;
    d | s) setup_switch && for i in 1 2; do
         ip netns exec lth$i "$BUILD/ctl/vsctl" --socket="$W/sock$i" set Open_vSwitch . \
           other_config:kernel-offload=false other_config:kernel-tunnels=$([ $1 = d ] && echo true || echo false) || return 1
       done ;;
  esac
  ip netns exec ltc1 ping -c 3 -i 0.2 -W 2 10.96.0.2 >/dev/null
}
declare -A F R
teardown
for r in $(seq "$REPS"); do
  for v in k o d s; do
    setup $v || { log "setup $v failed"; cat "$W"/d*.log 2>/dev/null; teardown; exit 1; }
    if [ $v != s ] && [ $v != k ] && ! ip netns exec lth1 ip link show lvx4789 >/dev/null 2>&1; then
      log "no lvx4789 device: the switch fell back to sockets"; teardown; exit 1
    fi
    f=$(run "") b=$(run -R)
    F[$v]+="$f;" R[$v]+="$b;"
    log "rep $r $v: c1->c2 $f, c2->c1 $b (Gbit/s cpu-s/Gbit)"
    teardown
  done
done
# Medians of the REPS runs.
med() { echo "$1" | tr ';' '\n' | awk -v c="$2" 'NF {print $c}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "container MTU $MTU; underlay MTU 1500; VNI 42; REPS=$REPS DUR=${DUR}s (medians)"
printf '%-36s %10s %12s %10s %12s\n' "" "c1->c2" "cpu-s/Gbit" "c2->c1" "cpu-s/Gbit"
for v in k o d s; do
  case $v in k) n="Linux bridge + kernel VXLAN" ;; o) n="Lite vSwitch, device + offload" ;;
             d) n="Lite vSwitch, kernel vxlan device" ;;
             s) n="Lite vSwitch, UDP sockets" ;; esac
  printf '%-36s %10s %12s %10s %12s\n' "$n" "$(med "${F[$v]}" 1)" "$(med "${F[$v]}" 2)" \
    "$(med "${R[$v]}" 1)" "$(med "${R[$v]}" 2)"
done
ratio() { python3 -c "a,b=float('$1' or 0),float('$2' or 0); print('%.2f' % (a/b) if b else 'n/a')"; }
printf '%-36s %10s %12s %10s\n' "ratio offload / kernel" "$(ratio "$(med "${F[o]}" 1)" "$(med "${F[k]}" 1)")" "" \
  "$(ratio "$(med "${R[o]}" 1)" "$(med "${R[k]}" 1)")"
printf '%-36s %10s %12s %10s\n' "ratio device / kernel" "$(ratio "$(med "${F[d]}" 1)" "$(med "${F[k]}" 1)")" "" \
  "$(ratio "$(med "${R[d]}" 1)" "$(med "${R[k]}" 1)")"
printf '%-36s %10s %12s %10s\n' "ratio sockets / kernel" "$(ratio "$(med "${F[s]}" 1)" "$(med "${F[k]}" 1)")" "" \
  "$(ratio "$(med "${R[s]}" 1)" "$(med "${R[k]}" 1)")"
