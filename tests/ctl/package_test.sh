#!/usr/bin/env bash
# The Debian package of a built tree (ctl/packaging/): cpack -G DEB, then the .deb unpacked into a
# scratch root (dpkg -x) and checked: its control fields and maintainer scripts, exactly the files
# it should hold (no test or benchmark binaries), no RUNPATH and no library from the build tree,
# the installed vswitchd --version, vsctl --help, vsattach --version and the CNI plugin's VERSION,
# the unit under systemd-analyze verify (skipped with a message where it is missing), each man
# page rendered by man -l without a warning; and `DESTDIR=... cmake --install` lays out the same
# files. Label "integration" (CTest), run by scripts/test.sh.
#   tests/ctl/package_test.sh BUILD_DIR VERSION MAN_PAGES(ON|OFF) SYSTEMD(ON|OFF)
set -euo pipefail
build=$(cd "$1" && pwd) version=$2 man_pages=$3 systemd=$4
tmp=$(mktemp -d /tmp/lvs-package.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "package_test: FAILED: $*" >&2; exit 1; }
step() { echo "package_test: $*"; }

step "cpack -G DEB"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack failed"; }
debs=("$tmp"/out/*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || fail "cpack made ${#debs[@]} packages: ${debs[*]}"
deb=${debs[0]}
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "lite-vswitch_${version}_${arch}.deb" ] || fail "package file $(basename "$deb")"

step "control fields"
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = lite-vswitch ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version) (want $version)"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
for lib in libc6 libstdc++6 librte-eal23 libnl-3-200 libnftables1 libboost-program-options; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
if [ "$systemd" = ON ]; then [[ $depends == *libsystemd0* ]] || fail "Depends lacks libsystemd0: $depends"; fi
mkdir "$tmp/control"
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = /etc/default/lite-vswitchd ] || fail "conffiles: $(cat "$tmp/control/conffiles")"
for s in postinst prerm postrm; do
  [ -x "$tmp/control/$s" ] || fail "no executable $s"
  sh -n "$tmp/control/$s" || fail "$s is not valid sh"
  grep -q '/run/systemd/system' "$tmp/control/$s" || fail "$s acts without checking that systemd runs"
done

step "files (dpkg -x)"
root=$tmp/root
dpkg -x "$deb" "$root"
expected=(/etc/default/lite-vswitchd /opt/cni/bin/lite-vswitch /usr/bin/vsattach /usr/bin/vsctl /usr/lib/cni/lite-vswitch
          /usr/lib/systemd/system/lite-vswitchd.service /usr/sbin/vswitchd
          /usr/share/bash-completion/completions/vsctl)
if [ "$man_pages" = ON ]; then
  expected+=(/usr/share/man/man1/vsattach.1.gz /usr/share/man/man1/vsctl.1.gz
             /usr/share/man/man8/vswitchd.8.gz)
fi
want=$(printf '%s\n' "${expected[@]}" | sort)
got=$(cd "$root" && find . -type f -o -type l | sed 's|^\.||' | sort)
[ "$got" = "$want" ] || fail "the package holds:
$got
and should hold:
$want"

[ "$(readlink "$root/opt/cni/bin/lite-vswitch")" = /usr/lib/cni/lite-vswitch ] ||
  fail "/opt/cni/bin/lite-vswitch is not a link to /usr/lib/cni/lite-vswitch"

step "no RUNPATH, no library from the build tree"
for exe in usr/sbin/vswitchd usr/bin/vsctl usr/bin/vsattach usr/lib/cni/lite-vswitch; do
  [ -x "$root/$exe" ] || fail "$exe is not executable"
  if readelf -d "$root/$exe" | grep -E '\((RPATH|RUNPATH)\)'; then fail "$exe has an RPATH/RUNPATH"; fi
  libs=$(ldd "$root/$exe")
  if grep -q 'not found' <<<"$libs"; then fail "$exe: $(grep 'not found' <<<"$libs")"; fi
  if grep -qF "$build" <<<"$libs"; then fail "$exe loads from the build tree: $libs"; fi
done

step "the installed programs run"
out=$("$root/usr/sbin/vswitchd" --version) || fail "vswitchd --version failed"
[ "$out" = "vswitchd (Lite vSwitch) $version" ] || fail "vswitchd --version: $out"
out=$("$root/usr/bin/vsctl" --help) || fail "vsctl --help failed"
[[ $out == *"vlog/set [vswitchd:]LEVEL"* && $out == *"add-br BRIDGE"* ]] || fail "vsctl --help: $out"
out=$("$root/usr/bin/vsctl" --version) || fail "vsctl --version failed"
[ "$out" = "vsctl (Lite vSwitch) $version" ] || fail "vsctl --version: $out"
out=$("$root/usr/bin/vsattach" --version) || fail "vsattach --version failed"
[ "$out" = "vsattach (Lite vSwitch) $version" ] || fail "vsattach --version: $out"
out=$(CNI_COMMAND=VERSION "$root/usr/lib/cni/lite-vswitch" </dev/null) || fail "CNI VERSION failed: $out"
[[ $out == *'"supportedVersions"'* ]] || fail "CNI VERSION: $out"

step "the systemd unit"
unit=$root/usr/lib/systemd/system/lite-vswitchd.service
grep -qx 'ExecStart=/usr/sbin/vswitchd .*' "$unit" || fail "ExecStart is not /usr/sbin/vswitchd: $(grep ExecStart "$unit")"
grep -qx 'Restart=on-failure' "$unit" || fail "no Restart=on-failure"
grep -qx 'EnvironmentFile=-/etc/default/lite-vswitchd' "$unit" || fail "EnvironmentFile"
want_type=simple
[ "$systemd" = ON ] && want_type=notify
grep -qx "Type=$want_type" "$unit" || fail "want Type=$want_type: $(grep Type= "$unit")"
bounding=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
for cap in CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_SYS_ADMIN CAP_SYS_NICE CAP_BPF CAP_SYS_RESOURCE; do
  [[ " $bounding " == *" $cap "* ]] || fail "CapabilityBoundingSet lacks $cap (ctl/capabilities.cpp keeps it)"
done
if command -v systemd-analyze >/dev/null; then
  # A copy that starts the unpacked vswitchd (verify checks that ExecStart is executable) and
  # finds the unpacked man pages (Documentation=).
  mkdir "$tmp/unit"
  sed "s|^ExecStart=/usr/sbin/vswitchd|ExecStart=$root/usr/sbin/vswitchd|" "$unit" >"$tmp/unit/lite-vswitchd.service"
  [ "$man_pages" = ON ] || sed -i '/^Documentation=/d' "$tmp/unit/lite-vswitchd.service"
  verify=$(MANPATH=$root/usr/share/man systemd-analyze verify "$tmp/unit/lite-vswitchd.service" 2>&1) ||
    fail "systemd-analyze verify: $verify"
  [ -z "$verify" ] || fail "systemd-analyze verify warns: $verify"
else
  step "SKIPPED systemd-analyze verify: systemd-analyze is not installed"
fi

if [ "$man_pages" = ON ]; then
  step "man pages"
  for page in man8/vswitchd.8.gz man1/vsctl.1.gz man1/vsattach.1.gz; do
    program=$(basename "$page" | cut -d. -f1)
    text=$(MANWIDTH=80 man --warnings -l -P cat "$root/usr/share/man/$page" 2>"$tmp/man.err") ||
      fail "man -l $page failed: $(cat "$tmp/man.err")"
    [ ! -s "$tmp/man.err" ] || fail "man -l $page warns: $(cat "$tmp/man.err")"
    [[ $text == *NAME*"$program - "* && $text == *"Lite vSwitch $version"* ]] || fail "man -l $page: $text"
  done
else
  step "SKIPPED man pages: configured with LVS_MAN_PAGES=OFF (help2man not found)"
fi

step "DESTDIR=... cmake --install --prefix /usr lays out the same files"
DESTDIR=$tmp/destdir cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "cmake --install failed"; }
installed=$(cd "$tmp/destdir" && find . -type f -o -type l | sed 's|^\.||' | sort)
[ "$installed" = "$want" ] || fail "cmake --install laid out:
$installed"
cmp -s "$tmp/destdir/usr/lib/systemd/system/lite-vswitchd.service" "$unit" || fail "the installed unit differs from the packaged one"
step "passed"
