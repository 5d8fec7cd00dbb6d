#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usertools/pmdvpn-setup.sh and conf/pmdvpn.service:
#  - hugepages: --dry-run changes nothing; the real step reserves pages and
#    mounts hugetlbfs on a private directory; it never lowers the pool; the
#    test gives back exactly what it took.
#  - bind: only ever with --dry-run, and with a stub dpdk-devbind.py that
#    fails if it is called at all: no device of this machine is touched.
#    The interface of the default route is refused (by name and by PCI
#    address); --force only changes what would be done. Per-driver rules run
#    on a fake sysfs tree (ENA without IOMMU, virtio with IOMMU, mlx5, an
#    unknown NIC, a non-NIC) and an ssh session's interface is refused.
#  - install into a DESTDIR: files, modes, prefix, configs never overwritten;
#    the installed unit passes systemd-analyze verify without a warning.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_init
SETUP=$SRCDIR/usertools/pmdvpn-setup.sh
HP=/sys/kernel/mm/hugepages/hugepages-2048kB
HP_ADDED=0
HUGE_DIR=$T/huge

setup_cleanup() {
	local n
	[ -d "$HUGE_DIR" ] && mountpoint -q "$HUGE_DIR" && umount "$HUGE_DIR"
	if [ "$HP_ADDED" -gt 0 ]; then
		n=$(cat "$HP/nr_hugepages")
		echo $((n - HP_ADDED)) > "$HP/nr_hugepages"
	fi
	it_cleanup
}
trap setup_cleanup EXIT

# A dpdk-devbind.py that records any call and fails: with --dry-run it
# must never run.
STUB=$T/devbind-stub
printf '#!/bin/sh\necho "$*" >> %s/devbind.calls\nexit 1\n' "$T" > "$STUB"
chmod +x "$STUB"
export PMDVPN_DEVBIND=$STUB
stub_calls() { [ -f "$T/devbind.calls" ] && wc -l < "$T/devbind.calls" || echo 0; }

# out CMD..: runs CMD with stdout+stderr in $T/out, returns its status.
out() { "$@" > "$T/out" 2>&1; }
has() { grep -qF -- "$1" "$T/out"; }
it_has() { # DESC RC WANTRC STRING..
	local desc=$1 rc=$2 want=$3 s; shift 3
	[ "$rc" = "$want" ] || { it_notok "$desc (exit $rc, want $want)" "$T/out"; return; }
	for s in "$@"; do has "$s" || { it_notok "$desc (no '$s')" "$T/out"; return; }; done
	it_ok "$desc"
}

# ------------------------------------------------------------ help
out "$SETUP" --help
it_has "help explains wan-kernel (wan0)" $? 0 "wan0" "wan-kernel"

# ------------------------------------------------------------ hugepages
if [ ! -w "$HP/nr_hugepages" ]; then
	it_skip "hugepages: no writable 2 MB hugepage pool on this kernel"
else
	n0=$(cat "$HP/nr_hugepages")
	want=$((n0 + 8))
	out "$SETUP" --dry-run hugepages "$want" "$HUGE_DIR"; rc=$?
	it_has "hugepages --dry-run prints the pool write and the mount" $rc 0 \
		"echo $want > $HP/nr_hugepages" "mount -t hugetlbfs -o pagesize=2M nodev $HUGE_DIR"
	it_expect "hugepages --dry-run leaves the pool alone" "$(cat "$HP/nr_hugepages")" -eq "$n0"
	[ -e "$HUGE_DIR" ]; it_expect "hugepages --dry-run creates no directory" $? -ne 0

	out "$SETUP" hugepages "$want" "$HUGE_DIR"; rc=$?
	n1=$(cat "$HP/nr_hugepages")
	if [ $rc != 0 ] && has "found only"; then
		it_skip "hugepages: the kernel could not reserve $want pages here (fragmented)"
	else
		HP_ADDED=$((n1 - n0))
		it_has "hugepages $want: reports what it added" $rc 0 "added $HP_ADDED"
		it_expect "hugepages $want: the pool holds at least $want pages" "$n1" -ge "$want"
		it_expect "hugepages $want: free pages include the new ones" "$(cat "$HP/free_hugepages")" -ge 8
		if awk -v d="$HUGE_DIR" '$2 == d && $3 == "hugetlbfs" && $4 ~ /pagesize=2M/ { f = 1 } END { exit !f }' /proc/mounts
		then it_ok "hugepages: hugetlbfs (2 MB) mounted on the directory"
		else it_notok "hugepages: hugetlbfs (2 MB) mounted on the directory" /proc/mounts; fi
		out "$SETUP" hugepages 1 "$HUGE_DIR"; rc=$?
		it_has "hugepages 1 when more are reserved: nothing to do" $rc 0 "already" "already mounted"
		it_expect "hugepages never lowers the pool" "$(cat "$HP/nr_hugepages")" -eq "$n1"
		umount "$HUGE_DIR"
		echo $(( $(cat "$HP/nr_hugepages") - HP_ADDED )) > "$HP/nr_hugepages"
		HP_ADDED=0
		it_expect "the test gave back the pages it took" "$(cat "$HP/nr_hugepages")" -eq "$n0"
	fi
	out "$SETUP" hugepages 0; rc=$?
	it_has "hugepages 0 leaves the pool alone" $rc 0 "pool left alone"
	out "$SETUP" hugepages 12x; rc=$?
	it_has "hugepages with a bad count: clear error" $rc 1 "not a page count"
	it_expect "... and the pool is unchanged" "$(cat "$HP/nr_hugepages")" -eq "$n0"
fi

# ------------------------------------------------------------ bind, this machine
DEF=$(ip -o -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
if [ -z "$DEF" ]; then
	it_skip "bind: this machine has no IPv4 default route"
else
	pci=$(readlink -f "/sys/class/net/$DEF/device" 2>/dev/null |
		grep -oE '[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]' | tail -1)
	drv0=
	[ -n "$pci" ] && drv0=$(readlink -f "/sys/bus/pci/devices/$pci/driver")
	out "$SETUP" --dry-run bind "$DEF"; rc=$?
	if [ -z "$pci" ]; then
		it_has "bind $DEF (default route, virtual): refused" $rc 1 "not a PCI device"
	else
		it_has "bind $DEF (default route) is refused and says why" $rc 1 \
			"refusing to bind $pci" "default route" "wan0" "--force"
		out "$SETUP" --dry-run bind "${pci#0000:}"; rc=$?
		it_has "bind ${pci#0000:} (its PCI address) is refused too" $rc 1 "refusing" "default route"
		out "$SETUP" --dry-run --force bind "$DEF"; rc=$?
		it_has "bind --force --dry-run: prints the devbind call only" $rc 0 \
			"dry-run: $STUB --force -b vfio-pci $pci" "would be on vfio-pci"
		[ "$(readlink -f "/sys/bus/pci/devices/$pci/driver")" = "$drv0" ] &&
			it_ok "$DEF is still on $(basename "$drv0")" || it_notok "$DEF changed driver!"
	fi
	ip link show "$DEF" > /dev/null 2>&1 && it_ok "$DEF still exists" || it_notok "$DEF vanished"
fi
out "$SETUP" --dry-run bind lo; rc=$?
it_has "bind lo: not a PCI device" $rc 1 "not a PCI device"
out "$SETUP" --dry-run bind pvnosuch0; rc=$?
it_has "bind of a missing interface: clear error" $rc 1 "no interface 'pvnosuch0'"
out "$SETUP" --dry-run bind 0000:ff:1f.7; rc=$?
it_has "bind of a missing PCI address: clear error" $rc 1 "no PCI device 0000:ff:1f.7"

# ------------------------------------------------------------ bind, fake sysfs
# fake_nic PCI VENDOR DEVICE CLASS DRIVER [IFACE [virtio] [iommu]]
FS=$T/sys
fake_nic() {
	local pci=$1 ven=$2 dev=$3 cls=$4 drv=$5 ifc=${6:-} virt=${7:-} iommu=${8:-}
	local d=$FS/devices/pci0000:00/$pci nd
	mkdir -p "$d" "$FS/bus/pci/devices" "$FS/bus/pci/drivers/$drv" "$FS/class/net" "$FS/kernel/iommu_groups/7"
	echo "$ven" > "$d/vendor"; echo "$dev" > "$d/device"; echo "$cls" > "$d/class"
	ln -s "../../../devices/pci0000:00/$pci" "$FS/bus/pci/devices/$pci"
	ln -s "../../../bus/pci/drivers/$drv" "$d/driver"
	[ "$iommu" = iommu ] && ln -s ../../../kernel/iommu_groups/7 "$d/iommu_group"
	[ -n "$ifc" ] || return 0
	if [ "$virt" = virtio ]; then
		nd=$d/virtio3/net/$ifc
		mkdir -p "$nd"; ln -s ../../../virtio3 "$nd/device"
	else
		nd=$d/net/$ifc
		mkdir -p "$nd"; ln -s "../../../$pci" "$nd/device"
	fi
	ln -s "../../${nd#"$FS"/}" "$FS/class/net/$ifc"
}
P=pv$$
fake_nic 0000:00:06.0 0x1d0f 0xec20 0x020000 ena "${P}ena"
fake_nic 0000:00:04.0 0x1af4 0x1041 0x020000 virtio-pci "${P}vio" virtio iommu
fake_nic 0000:00:08.0 0x15b3 0x101e 0x020000 mlx5_core "${P}mlx"
fake_nic 0000:00:09.0 0x10ec 0x8168 0x020000 r8169 "${P}rtl"
fake_nic 0000:00:0a.0 0x1af4 0x1042 0x010000 virtio-pci
[ -n "$DEF" ] && fake_nic 0000:00:0b.0 0x1ae0 0x0042 0x020000 gve "$DEF"
export PMDVPN_SYSFS=$FS

out "$SETUP" --dry-run bind "${P}ena"; rc=$?
it_has "fake ENA by name: vfio-pci in no-IOMMU mode, with a warning" $rc 0 \
	"0000:00:06.0 (0x1d0f:0xec20, ena)" "dry-run: modprobe vfio-pci" \
	"dry-run: echo 1 > $FS/module/vfio/parameters/enable_unsafe_noiommu_mode" \
	"unsafe no-IOMMU mode" "dry-run: $STUB -b vfio-pci 0000:00:06.0" "drivers-cfg/ena.conf"
out "$SETUP" --dry-run bind "${P}vio"; rc=$?
it_has "fake virtio-net behind virtio3: found by name, IOMMU used" $rc 0 \
	"0000:00:04.0 (0x1af4:0x1041, virtio-net)" "IOMMU group 7" "-b vfio-pci 0000:00:04.0" \
	"virtio-net-pci.conf"
has noiommu_mode && it_notok "fake virtio with an IOMMU: no no-IOMMU mode" "$T/out" ||
	it_ok "fake virtio with an IOMMU: no no-IOMMU mode"
out "$SETUP" --dry-run bind 00:08.0; rc=$?
it_has "fake mlx5: bifurcated, stays on mlx5_core" $rc 0 "bifurcated" "stays on mlx5_core"
has "-b " && it_notok "fake mlx5: no devbind call" "$T/out" || it_ok "fake mlx5: no devbind call"
out "$SETUP" --dry-run bind "${P}rtl"; rc=$?
it_has "fake unknown NIC: refused without --force" $rc 1 "not a NIC drivers-cfg/ describes"
out "$SETUP" --dry-run bind 0000:00:0a.0; rc=$?
it_has "fake virtio-blk: not a network controller" $rc 1 "not a network controller"
out "$SETUP" --dry-run bind 0000:00:06.0 uio_pci_generic; rc=$?
it_has "fake ENA to uio_pci_generic: no vfio steps" $rc 0 "-b uio_pci_generic 0000:00:06.0"
has "modprobe vfio" && it_notok "uio_pci_generic: no vfio modprobe" "$T/out" || it_ok "uio_pci_generic: no vfio modprobe"
if [ -n "$DEF" ]; then
	out "$SETUP" --dry-run bind 0000:00:0b.0; rc=$?
	it_has "fake gVNIC whose interface is named $DEF (the default route): refused" $rc 1 \
		"refusing to bind 0000:00:0b.0" "default route"
fi
# An ssh session's interface, in a namespace without a default route.
NS=${PV_ID}s
pv_ns_create "$NS" && ip -n "$NS" link add "${P}ena" type veth peer name "${P}enb" &&
	ip -n "$NS" addr add 198.18.5.1/24 dev "${P}ena" && ip -n "$NS" link set "${P}ena" up ||
	{ echo "Bail out! cannot create the ssh namespace"; exit 1; }
out ip netns exec "$NS" env SSH_CONNECTION="198.18.5.2 40000 198.18.5.1 22" "$SETUP" --dry-run bind "${P}ena"; rc=$?
it_has "the interface of an ssh session is refused" $rc 1 "ssh session runs over it" "wan0"
out ip netns exec "$NS" env -u SSH_CONNECTION "$SETUP" --dry-run bind "${P}ena"; rc=$?
it_has "the same interface without the ssh session: would bind (and warns of its addresses)" $rc 0 \
	"-b vfio-pci 0000:00:06.0" "has IP addresses"
it_expect "the stub dpdk-devbind.py was never called" "$(stub_calls)" -eq 0
unset PMDVPN_SYSFS

# ------------------------------------------------------------ status
out "$SETUP" status; rc=$?
it_has "status: hugepages, IOMMU, devices" $rc 0 "== hugepages" "2048kB" "== IOMMU / VFIO" "== network devices"
[ -n "$DEF" ] && { has "  $DEF: it carries the default route" && it_ok "status names $DEF as protected" ||
	it_notok "status names $DEF as protected" "$T/out"; }

# ------------------------------------------------------------ install
D=$T/dest
out "$SETUP" --dry-run install --destdir "$D" --binary "$PMDVPN"; rc=$?
it_has "install --dry-run prints the copies" $rc 0 "dry-run: install -D -m 0755 $PMDVPN $D/usr/local/bin/pmdvpn"
[ -e "$D" ]; it_expect "install --dry-run creates nothing" $? -ne 0
out env DESTDIR="$D" PMDVPN="$PMDVPN" "$SETUP" install; rc=$?
it_has "install into DESTDIR" $rc 0 "staging into DESTDIR=$D"
ok=1
for f in usr/local/bin/pmdvpn:755 usr/local/bin/pmdvpn-ctl:755 usr/local/sbin/pmdvpn-setup.sh:755 \
	etc/systemd/system/pmdvpn.service:644 etc/default/pmdvpn:644 etc/pmdvpn/pmdvpn.conf:600 \
	etc/pmdvpn:700 usr/local/share/doc/pmdvpn/README.rst:644 \
	usr/local/share/doc/pmdvpn/drivers-cfg/ena.conf:644; do
	m=$(stat -c %a "$D/${f%:*}" 2>/dev/null)
	[ "$m" = "${f#*:}" ] || { ok=0; echo "# $D/${f%:*}: mode '$m', want ${f#*:}"; }
done
[ $ok = 1 ] && it_ok "installed files and modes" || it_notok "installed files and modes"
cmp -s "$PMDVPN" "$D/usr/local/bin/pmdvpn" && it_ok "installed binary is the built one" ||
	it_notok "installed binary is the built one"
U=$D/etc/systemd/system/pmdvpn.service
ok=1
for s in "ExecStart=/usr/local/bin/pmdvpn \$PMDVPN_EAL -- -f \${PMDVPN_CONF}" \
	"ExecStartPre=+/usr/local/sbin/pmdvpn-setup.sh hugepages" "EnvironmentFile=/etc/default/pmdvpn" \
	"ExecReload=/bin/kill -HUP \$MAINPID" "KillSignal=SIGTERM" "Restart=on-failure" \
	"StateDirectory=pmdvpn" "LimitMEMLOCK=infinity" "StartLimitBurst="; do
	grep -qF -- "$s" "$U" || { ok=0; echo "# unit lacks: $s"; }
done
grep -q '^PrivateDevices' "$U" && { ok=0; echo "# unit sets PrivateDevices"; }
[ $ok = 1 ] && it_ok "unit: exec, env file, reload, stop, restart, state dir, memlock" || it_notok "unit content"
grep -q '^state-file = /var/lib/pmdvpn/' "$D/etc/pmdvpn/pmdvpn.conf" &&
	it_ok "example config keeps its state file in the StateDirectory" ||
	it_notok "example config keeps its state file in the StateDirectory" "$D/etc/pmdvpn/pmdvpn.conf"
grep -q '^PMDVPN_EAL=".*--in-memory' "$D/etc/default/pmdvpn" && grep -q '^PMDVPN_HUGEPAGES=[0-9]' "$D/etc/default/pmdvpn" &&
	it_ok "/etc/default/pmdvpn sets PMDVPN_EAL and PMDVPN_HUGEPAGES" ||
	it_notok "/etc/default/pmdvpn sets PMDVPN_EAL and PMDVPN_HUGEPAGES" "$D/etc/default/pmdvpn"
# The operator's files survive a second install.
echo "# mine" >> "$D/etc/pmdvpn/pmdvpn.conf"; echo "# mine" >> "$D/etc/default/pmdvpn"
out env DESTDIR="$D" "$SETUP" install --binary "$PMDVPN"; rc=$?
it_has "second install keeps the existing configs" $rc 0 "$D/etc/pmdvpn/pmdvpn.conf exists: kept" \
	"$D/etc/default/pmdvpn exists: kept"
[ "$(tail -1 "$D/etc/pmdvpn/pmdvpn.conf")" = "# mine" ] && [ "$(tail -1 "$D/etc/default/pmdvpn")" = "# mine" ] &&
	it_ok "... and their content" || it_notok "... and their content"
out "$SETUP" install --destdir "$T/opt" --prefix /opt/pmdvpn --binary "$PMDVPN"; rc=$?
it_has "install --prefix /opt/pmdvpn" $rc 0 "$T/opt/opt/pmdvpn/bin/pmdvpn"
grep -v '^#' "$T/opt/etc/systemd/system/pmdvpn.service" | grep -q '/usr/local' &&
	it_notok "--prefix: the unit names only /opt/pmdvpn" "$T/opt/etc/systemd/system/pmdvpn.service" ||
	it_ok "--prefix: the unit names only /opt/pmdvpn"
out "$SETUP" install --binary "$T/nothing"; rc=$?
it_has "install without a binary: clear error" $rc 1 "no gateway binary"

# systemd-analyze verify: the executables must exist, so check a copy whose
# paths point into the DESTDIR. verify exits 0 on most mistakes and only
# prints them: any output is a failure.
if command -v systemd-analyze > /dev/null; then
	mkdir -p "$T/verify"
	sed "s|/usr/local/|$D/usr/local/|g" "$U" > "$T/verify/pmdvpn.service"
	out systemd-analyze verify "$T/verify/pmdvpn.service"; rc=$?
	if [ $rc = 0 ] && [ ! -s "$T/out" ]; then it_ok "systemd-analyze verify: no error, no warning"
	elif grep -q 'Failed to \(initialize\|setup\|connect\)' "$T/out"; then
		it_skip "systemd-analyze verify cannot run here: $(head -1 "$T/out")"
	else it_notok "systemd-analyze verify (exit $rc)" "$T/out"; fi
	# The control: verify does catch a broken line.
	sed 's/^Restart=on-failure/Restart=sometimes/' "$T/verify/pmdvpn.service" > "$T/verify/broken.service"
	systemd-analyze verify "$T/verify/broken.service" 2>&1 | grep -q 'restart specifier' &&
		it_ok "systemd-analyze verify reports a broken unit (control)" ||
		it_skip "systemd-analyze verify does not report a broken unit here"
else
	it_skip "systemd-analyze not installed (apt-get install systemd)"
fi
it_done
