#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmdvpn-setup.sh: prepare a dedicated gateway VM for pmdvpn.
#
#   pmdvpn-setup.sh [--dry-run] [--force] COMMAND [ARGS]
#
#   hugepages [N] [DIR]  make sure at least N 2 MB hugepages are reserved
#                        (default: $PMDVPN_HUGEPAGES; 0 = leave the pool
#                        alone) and hugetlbfs is mounted on DIR (default
#                        /dev/hugepages). Never lowers the pool. The unit
#                        pmdvpn.service runs this before every start.
#   bind IFACE|PCI [DRV] hand a NIC to DPDK: vfio-pci (default DRV) for
#                        virtio-net, ENA, gVNIC, ice, i40e/iavf; mlx5/mlx4
#                        stay on their kernel driver (bifurcated, nothing to
#                        bind). Without an IOMMU, vfio-pci is put in its
#                        unsafe no-IOMMU mode (with a warning).
#                        Refuses the interface of the default route or of
#                        an ssh session unless the config sets wan-kernel
#                        or --force is given (see below).
#   status               hugepages, IOMMU/VFIO, NICs and their drivers, the
#                        interfaces that must stay with the kernel, the
#                        installed files and the service.
#   install              copy the built gateway and tools, the systemd unit,
#                        an example /etc/pmdvpn/pmdvpn.conf and
#                        /etc/default/pmdvpn. Existing files under /etc are
#                        never overwritten. Options: --prefix P
#                        (default /usr/local), --binary FILE (default
#                        $PMDVPN or build/app/pmdvpn/pmdvpn); DESTDIR=D in
#                        the environment (or --destdir D) stages into D.
#
#   --dry-run, -n        print what would be done, change nothing
#   --force              bind the interface that keeps the VM reachable
#   --config FILE        the gateway's config (default $PMDVPN_CONF or
#                        /etc/pmdvpn/pmdvpn.conf), read by bind for wan-kernel
#
# Keeping the VM reachable: once a NIC is bound to vfio-pci the kernel no
# longer sees it, and ssh over it stops. With "wan-kernel = wan0" in the
# [gateway] section, pmdvpn gives the kernel a "wan0" interface with the
# NIC's MAC and wan-address (and a default route via wan-gateway) and hands
# it the non-VPN WAN traffic such as ssh: bind then accepts the VM's only
# NIC, and ssh comes back through wan0 once pmdvpn runs (not before: enable
# pmdvpn.service and check the config first). Without wan-kernel, pmdvpn
# answers ARP and ICMP echo on its WAN address and counts everything else
# as "unhandled": give the VM a second NIC for the WAN and keep the first
# one (default route, ssh) with the kernel; bind only the second.
#
# Environment: PMDVPN_DEVBIND (default dpdk-devbind.py), PMDVPN_SYSFS
# (default /sys; tests point it to a fake tree), PMDVPN_HUGEPAGES.
set -uo pipefail

PROG=pmdvpn-setup.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCROOT=$(cd "$HERE/.." && pwd)
SYSFS=${PMDVPN_SYSFS:-/sys}
DEVBIND=${PMDVPN_DEVBIND:-dpdk-devbind.py}
HP_2M=$SYSFS/kernel/mm/hugepages/hugepages-2048kB
DRY=0 FORCE=0
CONF=${PMDVPN_CONF:-/etc/pmdvpn/pmdvpn.conf}
PREFIX=/usr/local
DESTDIR=${DESTDIR:-}
BINARY=

say() { printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
	sed -n '3,/^set -uo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -uo/d' -e 's/^# \{0,1\}//'
}

# run CMD..: runs CMD, or with --dry-run prints it (shell-quoted).
run() {
	if [ "$DRY" = 1 ]; then
		printf 'dry-run:'; printf ' %q' "$@"; printf '\n'
		return 0
	fi
	"$@"
}

# put VALUE FILE: writes VALUE to a sysfs/procfs file (or prints it).
put() {
	if [ "$DRY" = 1 ]; then
		printf 'dry-run: echo %q > %q\n' "$1" "$2"
		return 0
	fi
	echo "$1" > "$2"
}

need_root() {
	[ "$DRY" = 1 ] || [ "$(id -u)" = 0 ] || die "$1 needs root (or --dry-run to see what it would do)"
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ------------------------------------------------------------ hugepages
hugetlbfs_at() {
	awk -v d="$1" '$2 == d && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts
}

cmd_hugepages() {
	local want=${1:-${PMDVPN_HUGEPAGES:-}} dir=${2:-/dev/hugepages} cur got
	[ -n "$want" ] || die "hugepages: how many? (hugepages N, or PMDVPN_HUGEPAGES=N)"
	if ! is_uint "$want" || [ "$want" -gt 1048576 ]; then
		die "hugepages: '$want' is not a page count"
	fi
	if [ "$want" = 0 ]; then
		say "hugepages: 0 requested: pool left alone (run pmdvpn with --no-huge -m 512)"
		return 0
	fi
	[ -e "$HP_2M/nr_hugepages" ] || die "hugepages: this kernel has no 2 MB hugepage pool ($HP_2M)"
	need_root hugepages
	cur=$(cat "$HP_2M/nr_hugepages")
	if [ "$cur" -ge "$want" ]; then
		say "hugepages: 2048kB pool already $cur (>= $want), free $(cat "$HP_2M/free_hugepages")"
	else
		put "$want" "$HP_2M/nr_hugepages" || die "hugepages: cannot write $HP_2M/nr_hugepages"
		if [ "$DRY" = 0 ]; then
			got=$(cat "$HP_2M/nr_hugepages")
			if [ "$got" -lt "$want" ]; then
				# Give back the partial reservation: half a pool is no
				# use to the EAL and starves the rest of the VM.
				echo "$cur" > "$HP_2M/nr_hugepages"
				die "hugepages: the kernel found only $got of $want pages (memory fragmented or too small); reserve them at boot: hugepages=$want on the kernel command line"
			fi
			say "hugepages: 2048kB pool $cur -> $got (added $((got - cur))), free $(cat "$HP_2M/free_hugepages")"
		fi
	fi
	if hugetlbfs_at "$dir"; then
		say "hugepages: hugetlbfs already mounted on $dir"
	else
		run mkdir -p "$dir" || die "hugepages: cannot create $dir"
		run mount -t hugetlbfs -o pagesize=2M nodev "$dir" || die "hugepages: cannot mount hugetlbfs on $dir"
		[ "$DRY" = 1 ] || say "hugepages: mounted hugetlbfs (2 MB) on $dir"
	fi
}

# ------------------------------------------------------------ devices
PCI_RE='^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$'

# pci_of_iface IFACE: the PCI address behind a network interface (walks up
# the device path: a virtio-net interface hangs off virtioN under the PCI
# function). Empty for virtual interfaces (veth, bridges, tap, lo).
pci_of_iface() {
	local p
	[ -e "$SYSFS/class/net/$1/device" ] || return 0
	p=$(readlink -f "$SYSFS/class/net/$1/device") || return 0
	while [ -n "$p" ] && [ "$p" != / ] && [ "$p" != "$SYSFS" ]; do
		if [[ $(basename "$p") =~ $PCI_RE ]]; then
			basename "$p"
			return 0
		fi
		p=$(dirname "$p")
	done
}

# ifaces_of_pci PCI: the kernel interfaces of a PCI function, if any.
ifaces_of_pci() {
	local d=$SYSFS/bus/pci/devices/$1 n
	for n in "$d"/net/* "$d"/virtio*/net/*; do
		[ -e "$n" ] && basename "$n"
	done
}

pci_driver() {
	local l=$SYSFS/bus/pci/devices/$1/driver
	if [ -e "$l" ]; then basename "$(readlink -f "$l")"; else echo none; fi
}

# The interfaces that keep the VM reachable: every interface a default
# route (IPv4 or IPv6, any table, any nexthop) goes out of, and every
# interface carrying an ssh session (this one from $SSH_CONNECTION, and any
# connection of sshd or on port 22 that `ss` shows).
route_ifaces() {
	{ ip -o -4 route show table all default 2>/dev/null
	  ip -o -6 route show table all default 2>/dev/null; } |
		awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | sort -u
}

ssh_addrs() {
	[ -n "${SSH_CONNECTION:-}" ] && awk '{ print $3 }' <<< "$SSH_CONNECTION"
	ss -Htnp state established 2>/dev/null |
		awk '/"sshd"/ || $3 ~ /:22$/ { print $3 }' |
		sed -e 's/:[0-9]*$//' -e 's/^\[//' -e 's/\]$//' -e 's/%.*//' -e 's/^::ffff://'
}

ssh_ifaces() {
	local a
	for a in $(ssh_addrs | sort -u); do
		ip -o addr show to "$a" 2>/dev/null | awk '{ print $2 }'
	done | sort -u
}

# conf_gateway_key FILE KEY: the value of KEY in the [gateway] section of
# FILE (comments stripped; nothing if absent or unreadable).
conf_gateway_key() {
	[ -r "$1" ] || return 0
	awk -v key="$2" '
		{ sub(/\r$/, ""); sub(/^[ \t]*[#;].*/, ""); sub(/[ \t][#;].*/, "") }
		/^[ \t]*\[/ { gsub(/[][ \t]/, ""); sec = $0; next }
		sec == "gateway" && index($0, "=") {
			k = substr($0, 1, index($0, "=") - 1); v = substr($0, index($0, "=") + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v)
			if (k == key) print v
		}' "$1" | tail -1
}

protected_ifaces() {
	{ route_ifaces; ssh_ifaces; } | sort -u
}

# why_protected IFACE: prints the reason IFACE keeps the VM reachable.
why_protected() {
	local r=()
	route_ifaces | grep -qxF "$1" && r+=("it carries the default route")
	ssh_ifaces | grep -qxF "$1" && r+=("an ssh session runs over it")
	local IFS=';'
	printf '%s' "${r[*]}" | sed 's/;/ and /g'
}

# nic_kind DRIVER VENDOR DEVICE: which drivers-cfg preset a NIC falls under.
nic_kind() {
	local drv=$1 ven=$2 dev=$3
	case $drv in
	mlx5_core|mlx4_core) echo mlx5; return ;;
	virtio-pci|virtio_net) echo virtio-net; return ;;
	ena) echo ena; return ;;
	gve) echo gvnic; return ;;
	ice|i40e|iavf) echo intel; return ;;
	vfio-pci|uio_pci_generic|igb_uio) ;; # already with DPDK: look at the IDs
	esac
	case $ven:$dev in
	0x15b3:*) echo mlx5 ;;
	0x1af4:0x1000|0x1af4:0x1041) echo virtio-net ;;
	0x1d0f:*) echo ena ;;
	0x1ae0:0x0042) echo gvnic ;;
	0x8086:*) echo intel ;;
	*) echo unknown ;;
	esac
}

preset_of() {
	case $1 in
	virtio-net) echo drivers-cfg/virtio-net-pci.conf ;;
	ena) echo drivers-cfg/ena.conf ;;
	gvnic) echo drivers-cfg/gvnic.conf ;;
	mlx5) echo drivers-cfg/mlx5.conf ;;
	*) echo drivers-cfg/README.rst ;;
	esac
}

# bind_wan_kernel_note WAN_KERNEL IFACE..: binding the interface that keeps
# the VM reachable, with wan-kernel in the config: say what comes back and
# when, and warn where the config would not bring ssh back.
bind_wan_kernel_note() {
	local wk=$1 i addr wan gw; shift
	wan=$(conf_gateway_key "$CONF" wan-address)
	gw=$(conf_gateway_key "$CONF" wan-gateway)
	say "bind: $CONF sets wan-kernel = $wk: ssh comes back through $wk once pmdvpn runs"
	say "      ($wk gets this NIC's MAC and wan-address ${wan:-?}${gw:+, default route via $gw})."
	say "      Until pmdvpn is up the VM is unreachable: check the config"
	say "      (pmdvpn -- -f $CONF --check) and enable pmdvpn.service first."
	for i in "$@"; do
		addr=$(ip -o -4 addr show dev "$i" 2>/dev/null | awk '{ print $4 }' | head -1)
		if [ -n "$addr" ] && [ -n "$wan" ] && [ "$addr" != "$wan" ]; then
			warn "bind: $i has $addr but wan-address is $wan: ssh to ${addr%/*} will not come back"
		fi
	done
	if [ -z "$gw" ] && route_ifaces | grep -qxF -- "${1:-}"; then
		warn "bind: no wan-gateway in $CONF: $wk gets no default route (ssh only from the WAN subnet)"
	fi
}

cmd_bind() {
	local target=${1:-} drv=${2:-vfio-pci} pci d cls ven dev cur kind ifc prot=() why
	[ -n "$target" ] || die "bind: which interface or PCI address? (bind eth1 | bind 0000:00:04.0)"
	if [[ $target =~ $PCI_RE ]]; then
		pci=$(tr 'A-F' 'a-f' <<< "$target")
		[[ $pci =~ ^[0-9a-f]{4}: ]] || pci=0000:$pci
		[ -e "$SYSFS/bus/pci/devices/$pci" ] || die "bind: no PCI device $pci"
	else
		[ -e "$SYSFS/class/net/$target" ] || die "bind: no interface '$target' (and not a PCI address)"
		pci=$(pci_of_iface "$target")
		[ -n "$pci" ] || die "bind: $target is not a PCI device (virtual interface?): nothing to bind; use net_af_packet or net_af_xdp on it instead (drivers-cfg/net_af_packet.conf, net_af_xdp.conf)"
	fi
	d=$SYSFS/bus/pci/devices/$pci
	cls=$(cat "$d/class" 2>/dev/null) ven=$(cat "$d/vendor" 2>/dev/null) dev=$(cat "$d/device" 2>/dev/null)
	[[ $cls == 0x02* ]] || die "bind: $pci is not a network controller (class $cls): refusing to touch it"
	cur=$(pci_driver "$pci")
	kind=$(nic_kind "$cur" "$ven" "$dev")
	mapfile -t ifc < <(ifaces_of_pci "$pci")
	say "bind: $pci ($ven:$dev, ${kind}) driver $cur${ifc[*]:+, interface ${ifc[*]}}"

	if [ "$kind" = mlx5 ]; then
		# The mlx5 PMD talks to the NIC through the kernel driver (rdma-core):
		# unbinding mlx5_core would leave DPDK nothing to open.
		[ "$drv" = vfio-pci ] || [ "$drv" = "$cur" ] ||
			warn "bind: $drv ignored for mlx5"
		say "bind: mlx5 is bifurcated: $pci stays on $cur; nothing to bind."
		say "      Needs rdma-core (Debian: ibverbs-providers libibverbs1); the interface stays up."
		say "      EAL: -a $pci (see $(preset_of mlx5))"
		return 0
	fi
	if [ "$cur" = "$drv" ]; then
		say "bind: $pci is already bound to $drv"
		return 0
	fi
	if [ "$kind" = unknown ] && [ "$FORCE" = 0 ]; then
		die "bind: $pci ($ven:$dev, driver $cur) is not a NIC drivers-cfg/ describes (virtio-net, ENA, gVNIC, ice, i40e, mlx5); --force binds it anyway"
	fi

	# Never cut the branch the operator sits on.
	for i in "${ifc[@]}"; do
		why=$(why_protected "$i")
		[ -n "$why" ] && prot+=("$i ($why)")
	done
	local wk
	wk=$(conf_gateway_key "$CONF" wan-kernel)
	if [ ${#prot[@]} -gt 0 ] && [ -n "$wk" ]; then
		bind_wan_kernel_note "$wk" "${ifc[@]}"
	elif [ ${#prot[@]} -gt 0 ]; then
		if [ "$FORCE" = 0 ]; then
			die "bind: refusing to bind $pci: interface ${prot[*]}.
  Bound to $drv it disappears from the kernel, and the VM becomes unreachable
  (ssh, the default route) unless pmdvpn hands non-VPN traffic back to the
  kernel: set \"wan-kernel = wan0\" in [gateway] of $CONF
  (--config FILE) and ssh comes back through wan0 once pmdvpn runs.
  Or give the VM a second NIC for the WAN and bind that one; --force overrides."
		fi
		warn "bind: --force: binding ${prot[*]}: the VM loses this path (ssh, default route)"
	fi
	for i in "${ifc[@]}"; do
		if ip -o addr show dev "$i" 2>/dev/null | grep -q ' inet'; then
			warn "bind: $i has IP addresses; they go away with the interface"
		fi
	done

	need_root bind
	if [ "$drv" = vfio-pci ]; then
		run modprobe vfio-pci || die "bind: cannot load vfio-pci"
		if [ -e "$d/iommu_group" ]; then
			say "bind: IOMMU group $(basename "$(readlink -f "$d/iommu_group")"): vfio-pci with the IOMMU"
		else
			warn "bind: no IOMMU for $pci: vfio-pci in unsafe no-IOMMU mode.
  The device can then DMA to any memory of the VM and the kernel is tainted;
  acceptable on a VM dedicated to the gateway (the usual case in the cloud)."
			put 1 "$SYSFS/module/vfio/parameters/enable_unsafe_noiommu_mode" ||
				die "bind: cannot enable vfio no-IOMMU mode"
		fi
	fi
	if [ "$FORCE" = 1 ]; then
		run "$DEVBIND" --force -b "$drv" "$pci" || die "bind: $DEVBIND failed"
	else
		run "$DEVBIND" -b "$drv" "$pci" || die "bind: $DEVBIND failed"
	fi
	if [ "$DRY" = 0 ]; then
		cur=$(pci_driver "$pci")
		[ "$cur" = "$drv" ] || die "bind: $pci is on $cur after $DEVBIND, not $drv"
	fi
	if [ "$DRY" = 1 ]; then say "bind: (dry-run) $pci would be on $drv"
	else say "bind: $pci is on $drv"; fi
	say "      EAL: -a $pci (no --no-pci); preset: $(preset_of "$kind")"
}

# ------------------------------------------------------------ status
cmd_status() {
	local f n
	say "== hugepages"
	for f in "$SYSFS"/kernel/mm/hugepages/hugepages-*; do
		[ -d "$f" ] || continue
		say "  $(basename "$f" | sed 's/hugepages-//'): reserved $(cat "$f/nr_hugepages"), free $(cat "$f/free_hugepages")"
	done
	awk '$3 == "hugetlbfs" { print "  hugetlbfs on " $2 " (" $4 ")" ; f = 1 } END { if (!f) print "  hugetlbfs: not mounted" }' /proc/mounts
	say "== IOMMU / VFIO"
	n=$(find "$SYSFS/kernel/iommu_groups" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	say "  IOMMU groups: $n$([ "$n" = 0 ] && echo ' (no IOMMU: vfio-pci needs no-IOMMU mode)')"
	for f in vfio vfio_pci uio_pci_generic igb_uio; do
		[ -d "$SYSFS/module/$f" ] && say "  module $f loaded"
	done
	f=$SYSFS/module/vfio/parameters/enable_unsafe_noiommu_mode
	[ -e "$f" ] && say "  vfio enable_unsafe_noiommu_mode: $(cat "$f")"
	say "== interfaces that keep the VM reachable (never bound without --force)"
	for f in $(protected_ifaces); do
		say "  $f: $(why_protected "$f")"
	done
	say "== network devices"
	if command -v "$DEVBIND" > /dev/null; then
		"$DEVBIND" --status-dev net 2>/dev/null | sed '/^$/d; s/^/  /'
	else
		say "  $DEVBIND not found (Debian: apt-get install dpdk)"
	fi
	say "== pmdvpn"
	for f in "$PREFIX/bin/pmdvpn" "$PREFIX/bin/pmdvpn-ctl" "$PREFIX/sbin/pmdvpn-setup.sh" \
		/etc/systemd/system/pmdvpn.service /etc/default/pmdvpn /etc/pmdvpn/pmdvpn.conf; do
		if [ -e "$f" ]; then say "  $f"; else say "  $f (missing)"; fi
	done
	if [ -d /run/systemd/system ]; then
		say "  service: $(systemctl is-active pmdvpn 2>/dev/null), $(systemctl is-enabled pmdvpn 2>/dev/null)"
	else
		say "  service: systemd is not running here"
	fi
}

# ------------------------------------------------------------ install
# inst SRC DST MODE [keep]: installs SRC as DST; with "keep" an existing DST
# is left alone (configs belong to the operator).
inst() {
	local src=$1 dst=$2 mode=$3 keep=${4:-}
	if [ -e "$dst" ] && [ "$keep" = keep ]; then
		if cmp -s "$src" "$dst"; then say "install: $dst unchanged"
		else say "install: $dst exists: kept (not overwritten)"; fi
		return 0
	fi
	run install -D -m "$mode" "$src" "$dst" || die "install: cannot write $dst"
	[ "$DRY" = 1 ] || say "install: $dst"
}

default_env() {
	cat <<EOF
# Environment of pmdvpn.service (systemd EnvironmentFile syntax).
# Installed by pmdvpn-setup.sh; never overwritten by it.

# 2 MB hugepages reserved before every start (0: leave the pool alone and
# put "--no-huge -m 512" into PMDVPN_EAL instead of --in-memory).
PMDVPN_HUGEPAGES=256

# EAL options, before "--". -l 0-1: lcore 0 = control, lcore 1 = worker
# (more lcores, more workers). -a: the WAN NIC, bound first with
# "pmdvpn-setup.sh bind IFACE"; for net_af_packet/net_af_xdp use --no-pci
# instead. --file-prefix pmdvpn: the telemetry socket is
# /run/dpdk/pmdvpn/dpdk_telemetry.v2 (pmdvpn-ctl --file-prefix pmdvpn ...).
# Keep that prefix: the unit's sandbox makes only /run/dpdk/pmdvpn writable.
PMDVPN_EAL="-l 0-1 --in-memory --file-prefix pmdvpn -a 0000:00:05.0"

PMDVPN_CONF=/etc/pmdvpn/pmdvpn.conf

# More pmdvpn options (after -f CONF), e.g. --cmdline-file FILE.
PMDVPN_ARGS=
EOF
}

cmd_install() {
	local root=$DESTDIR bin tmp f
	[ -f "$SRCROOT/conf/pmdvpn.service" ] ||
		die "install: run it from the source tree (usertools/pmdvpn-setup.sh install): $SRCROOT/conf/pmdvpn.service not found"
	bin=${BINARY:-${PMDVPN:-$SRCROOT/build/app/pmdvpn/pmdvpn}}
	[ -x "$bin" ] || die "install: no gateway binary at $bin (build it: meson setup build && ninja -C build, or --binary FILE)"
	[[ $PREFIX == /* ]] || die "install: --prefix must be absolute"
	[ -n "$root" ] || need_root install
	[ -n "$root" ] && say "install: staging into DESTDIR=$root"

	inst "$bin" "$root$PREFIX/bin/pmdvpn" 0755
	[ -f "$SRCROOT/usertools/pmdvpn-ctl" ] && inst "$SRCROOT/usertools/pmdvpn-ctl" "$root$PREFIX/bin/pmdvpn-ctl" 0755
	inst "$SRCROOT/usertools/pmdvpn-setup.sh" "$root$PREFIX/sbin/pmdvpn-setup.sh" 0755
	# The documentation and the driver presets, for the VM's operator.
	inst "$SRCROOT/README.rst" "$root$PREFIX/share/doc/pmdvpn/README.rst" 0644
	for f in "$SRCROOT"/drivers-cfg/*; do
		inst "$f" "$root$PREFIX/share/doc/pmdvpn/drivers-cfg/$(basename "$f")" 0644
	done

	tmp=$(mktemp -d) || die "install: mktemp failed"
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	# The unit names /usr/local; follow --prefix. It is ours, not the
	# operator's: local changes go into a drop-in (systemctl edit pmdvpn).
	sed "s|/usr/local/|$PREFIX/|g" "$SRCROOT/conf/pmdvpn.service" > "$tmp/pmdvpn.service"
	inst "$tmp/pmdvpn.service" "$root/etc/systemd/system/pmdvpn.service" 0644
	default_env > "$tmp/pmdvpn.default"
	inst "$tmp/pmdvpn.default" "$root/etc/default/pmdvpn" 0644 keep
	# /etc/pmdvpn holds the key files: private to root.
	run install -d -m 0700 "$root/etc/pmdvpn" || die "install: cannot create $root/etc/pmdvpn"
	inst "$SRCROOT/conf/gateway.conf.example" "$root/etc/pmdvpn/pmdvpn.conf" 0600 keep

	if [ -z "$root" ] && [ "$DRY" = 0 ] && [ -d /run/systemd/system ]; then
		systemctl daemon-reload || warn "install: systemctl daemon-reload failed"
	fi
	say "install: next: edit /etc/pmdvpn/pmdvpn.conf (keys: /etc/pmdvpn/*.key, mode 0600),"
	say "         set PMDVPN_EAL in /etc/default/pmdvpn, bind the WAN NIC ($PROG bind IFACE),"
	say "         check: $PREFIX/bin/pmdvpn -- -f /etc/pmdvpn/pmdvpn.conf --check,"
	say "         then: systemctl enable --now pmdvpn"
}

# ------------------------------------------------------------ main
args=()
while [ $# -gt 0 ]; do
	case $1 in
	-n|--dry-run) DRY=1 ;;
	--force) FORCE=1 ;;
	--prefix) PREFIX=${2:?--prefix needs a directory}; shift ;;
	--prefix=*) PREFIX=${1#*=} ;;
	--destdir) DESTDIR=${2:?--destdir needs a directory}; shift ;;
	--destdir=*) DESTDIR=${1#*=} ;;
	--binary) BINARY=${2:?--binary needs a file}; shift ;;
	--binary=*) BINARY=${1#*=} ;;
	--config) CONF=${2:?--config needs a file}; shift ;;
	--config=*) CONF=${1#*=} ;;
	-h|--help|help) usage; exit 0 ;;
	-*) die "unknown option $1 (try --help)" ;;
	*) args+=("$1") ;;
	esac
	shift
done
[ ${#args[@]} -gt 0 ] || { usage >&2; exit 2; }
PREFIX=${PREFIX%/}
cmd=${args[0]}
args=("${args[@]:1}")
case $cmd in
hugepages) [ ${#args[@]} -le 2 ] || die "usage: hugepages [N] [DIR]"; cmd_hugepages "${args[@]}" ;;
bind) [ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 2 ] || die "usage: bind IFACE|PCI [DRIVER]"
	cmd_bind "${args[@]}" ;;
status) [ ${#args[@]} = 0 ] || die "usage: status"; cmd_status ;;
install) [ ${#args[@]} = 0 ] || die "usage: install [--prefix P] [--binary FILE] [--destdir D]"; cmd_install ;;
*) die "unknown command '$cmd' (hugepages, bind, status, install; --help)" ;;
esac
