# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Shared shell helpers of pmdvpn's user tools and integration tests.
# Source it, do not run it:   . "$(dirname "$0")/lib/common.sh"
#
#   pv_require_root            exit unless running as root
#   pv_install_deps [GROUP..]  install the Debian packages pmdvpn needs (once)
#   pv_build DIR [OPTS..]      meson setup DIR (if needed) + ninja -C DIR
#   pv_ns_create NAME          a network namespace, deleted by pv_cleanup
#   pv_veth NSA IFA NSB IFB    a veth pair between two namespaces (MTU 1500)
#   pv_bg NS LOG CMD..         a background process in NS, killed by pv_cleanup
#   pv_gw_start / pv_gw_stop / pv_gw_stats / pv_counter   gateway life cycle
#   pv_cleanup                 undo all of the above (call it from trap EXIT)
#
# Everything a script creates is recorded here so that one trap removes it,
# and every name starts with a per-run prefix so that concurrent runs never
# collide and nothing outside them is touched.

PV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PV_ID=${PV_ID:-pv$$}
PV_NS_LIST=()           # namespaces to delete
PV_PIDS=()              # background processes to stop
PV_DPDK_PREFIXES=()     # EAL --file-prefix values (their /var/run/dpdk dirs)
PV_TMPDIRS=()           # temporary directories to remove
declare -gA PV_GW_PID=() PV_GW_OUT=() PV_GW_ERR=() PV_GW_NS=()
PV_APT_UPDATED=${PV_APT_UPDATED:-0}

pv_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
pv_die() { pv_log "error: $*"; exit 1; }

pv_require_root() {
	[ "$(id -u)" = 0 ] || pv_die "run as root (sudo $0): pmdvpn creates network namespaces and interfaces"
}

# ------------------------------------------------------------ packages
# One group per use; pv_install_deps with no argument installs them all.
PV_PKGS_build="meson ninja-build pkg-config gcc libc6-dev dpdk dpdk-dev libdpdk-dev
	libipsec-mb-dev libssl-dev libnuma-dev libcmocka-dev"
PV_PKGS_fuzz="clang libclang-rt-14-dev"
PV_PKGS_run="iproute2 iputils-ping iperf3 ethtool tcpdump procps psmisc jq util-linux coreutils"
# strongSwan: the IKEv2 interop peer of the integration tests (charon with
# kernel-libipsec; nothing is started as a service).
PV_PKGS_run="$PV_PKGS_run strongswan-charon strongswan-swanctl libcharon-extra-plugins
	libstrongswan-extra-plugins"
# tshark reads the console's pcapng captures back (test_capture.sh). Its
# wireshark-common asks a debconf question (may non-root users capture?):
# pv_install_deps installs with DEBIAN_FRONTEND=noninteractive, which takes
# the default (no) and never stops for input.
PV_PKGS_run="$PV_PKGS_run tshark"

pv_missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$p"
	done
}

pv_install_deps() {
	local groups=("$@") g pkgs=() missing
	[ ${#groups[@]} -gt 0 ] || groups=(build fuzz run)
	for g in "${groups[@]}"; do
		local var="PV_PKGS_$g"
		# shellcheck disable=SC2206
		pkgs+=(${!var})
	done
	missing=$(pv_missing_pkgs "${pkgs[@]}")
	[ -n "$missing" ] || return 0
	command -v apt-get > /dev/null || pv_die "missing packages: $(echo $missing); install them (Debian 12 names)"
	pv_log "installing: $(echo $missing)"
	if [ "$PV_APT_UPDATED" = 0 ]; then
		apt-get update -qq || pv_die "apt-get update failed"
		PV_APT_UPDATED=1
	fi
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
		> /tmp/pmdvpn-apt.$$.log 2>&1 || { tail -20 /tmp/pmdvpn-apt.$$.log >&2; pv_die "apt-get install failed"; }
	rm -f /tmp/pmdvpn-apt.$$.log
}

# ------------------------------------------------------------ build
# pv_build DIR [meson options..]: configures DIR once (reconfigures when the
# options differ is left to the user: delete DIR), then builds everything.
pv_build() {
	local dir=$1; shift
	(cd "$PV_ROOT" || exit 1
	 if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" > "$dir.setup.log" 2>&1 ||
			{ tail -30 "$dir.setup.log" >&2; echo "meson setup $dir failed (log: $PV_ROOT/$dir.setup.log)" >&2; exit 1; }
		rm -f "$dir.setup.log"
	 fi
	 ninja -C "$dir" > "$dir/ninja.log" 2>&1 ||
		{ grep -E 'error|FAILED' "$dir/ninja.log" | head -40 >&2
		  echo "build in $dir failed (log: $PV_ROOT/$dir/ninja.log)" >&2; exit 1; })
}

# ------------------------------------------------------------ namespaces
pv_ns_create() {
	local ns=$1
	ip netns add "$ns" || return 1
	PV_NS_LIST+=("$ns")
	ip -n "$ns" link set lo up
}

# pv_veth NSA IFA NSB IFB: a veth pair, one end in each namespace, both up,
# MTU 1500. The ends carry no IPv4 address and no IPv6 (a gateway owns the
# address on its end: the kernel must not answer ARP or send anything).
pv_veth() {
	local nsa=$1 ifa=$2 nsb=$3 ifb=$4
	ip link add name "$ifa" netns "$nsa" type veth peer name "$ifb" netns "$nsb" || return 1
	pv_quiet_if "$nsa" "$ifa"
	pv_quiet_if "$nsb" "$ifb"
}

pv_quiet_if() {
	local ns=$1 ifc=$2
	ip netns exec "$ns" sysctl -q -w "net.ipv6.conf.$ifc.disable_ipv6=1" > /dev/null 2>&1 || true
	ip -n "$ns" link set "$ifc" mtu 1500 up
}

# ------------------------------------------------------------ processes
# pv_bg NS LOG CMD..: runs CMD in NS in the background (NS "-" = here);
# sets PV_LAST_PID. `ip netns exec` execs the command, so the PID is the
# command's own.
pv_bg() {
	local ns=$1 log=$2; shift 2
	if [ "$ns" = - ]; then
		"$@" > "$log" 2>&1 < /dev/null &
	else
		ip netns exec "$ns" "$@" > "$log" 2>&1 < /dev/null &
	fi
	PV_LAST_PID=$!
	PV_PIDS+=("$PV_LAST_PID")
}

# pv_stop_pid PID [SECS]: SIGTERM, then SIGKILL after SECS (default 5).
pv_stop_pid() {
	local p=$1 secs=${2:-5} i
	kill -0 "$p" 2>/dev/null || return 0
	kill -TERM "$p" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
}

# pv_proc_cpu PID: utime+stime of PID in clock ticks.
pv_proc_cpu() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
}

# ------------------------------------------------------------ the gateway
PMDVPN=${PMDVPN:-$PV_ROOT/build/app/pmdvpn/pmdvpn}
PV_EAL_LCORES=${PV_EAL_LCORES:-0@(0,1),1@(0,1)}
PV_EAL_MEM=${PV_EAL_MEM:-512}

# The EAL arguments used by tests and the quickstart: no hugepages, no PCI
# scan, a private runtime directory per gateway.
pv_eal_args() {
	local prefix=$1
	printf '%s\n' --no-pci --no-huge -m "$PV_EAL_MEM" --file-prefix "$prefix" \
		--lcores "$PV_EAL_LCORES" --log-level=pmdvpn:info
}

# pv_gw_start NAME NS CONF [TIMEOUT [pmdvpn args..]]
# Starts pmdvpn in NS with CONF, waits for "pmdvpn: ready" on its stdout.
# Logs: PV_GW_OUT[NAME], PV_GW_ERR[NAME]; PID: PV_GW_PID[NAME].
# Returns 1 (logs kept) if it exits or is not ready within TIMEOUT s (30).
pv_gw_start() {
	local name=$1 ns=$2 conf=$3 tmo=${4:-30}; shift 4 2>/dev/null || shift $#
	local dir=${PV_LOGDIR:-/tmp} prefix="pmdvpn-${PV_ID}-$name" i pid
	local out="$dir/gw-$name.out" err="$dir/gw-$name.err"
	local -a eal
	mapfile -t eal < <(pv_eal_args "$prefix")
	PV_DPDK_PREFIXES+=("$prefix")
	: > "$out"; : > "$err"
	# stdbuf: line-buffered stdout even when it is a file (ready line,
	# counter reports), should the program not flush them itself.
	ip netns exec "$ns" stdbuf -oL -eL "$PMDVPN" "${eal[@]}" -- -f "$conf" "$@" \
		> "$out" 2> "$err" < /dev/null &
	pid=$!
	PV_PIDS+=("$pid")
	PV_GW_PID[$name]=$pid PV_GW_OUT[$name]=$out PV_GW_ERR[$name]=$err PV_GW_NS[$name]=$ns
	for ((i = 0; i < tmo * 10; i++)); do
		grep -q '^pmdvpn: ready' "$out" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		pv_log "gateway $name not ready after ${tmo}s"
	else
		wait "$pid"
		pv_log "gateway $name exited with status $? before it was ready"
	fi
	sed "s/^/  [$name stderr] /" "$err" | tail -15 >&2
	return 1
}

# pv_gw_stop NAME [SECS]: SIGTERM and wait; returns the exit status
# (137 = it had to be killed).
pv_gw_stop() {
	local name=$1 secs=${2:-10} pid=${PV_GW_PID[$1]:-} i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { pv_log "gateway $name ignored SIGTERM for ${secs}s"; kill -KILL "$pid"; }
	wait "$pid" 2>/dev/null
	local rc=$?
	PV_GW_PID[$name]=
	return $rc
}

# pv_gw_stats NAME: asks a running gateway for its counters (SIGUSR1) and
# prints the new report. Fails if no complete report appears within 5 s.
pv_gw_stats() {
	local name=$1 pid=${PV_GW_PID[$1]:-} out=${PV_GW_OUT[$1]} off size last=-1 i
	[ -n "$pid" ] || return 1
	off=$(stat -c %s "$out")
	kill -USR1 "$pid" 2>/dev/null || return 1
	# A report is complete when its "drop" block is there and the file
	# stopped growing (the lcore lines come last).
	for ((i = 0; i < 50; i++)); do
		sleep 0.1
		size=$(stat -c %s "$out")
		if [ "$size" = "$last" ] && tail -c +"$((off + 1))" "$out" | grep -q '^drop tx-full '; then
			tail -c +"$((off + 1))" "$out"
			return 0
		fi
		last=$size
	done
	pv_log "gateway $name printed no counter report after SIGUSR1"
	return 1
}

# pv_counter KEY < report: the number after KEY, e.g.
#   pv_counter 'drop auth-failure'      -> N from "drop auth-failure N"
#   pv_counter 'peer b' rx-pkts         -> N from "peer b ... rx-pkts N ..."
# Prints 0 if the line is absent (peer drop lines are only printed when non-zero).
pv_counter() {
	local key=$1 field=${2:-}
	awk -v key="$key" -v field="$field" '
		index($0, key " ") == 1 {
			rest = substr($0, length(key) + 2); n = split(rest, f, " ")
			if (field == "") { if (n == 1) v = f[1] }
			else for (i = 1; i < n; i++) if (f[i] == field) v = f[i + 1]
		}
		END { print (v == "" ? 0 : v) }'
}

# ------------------------------------------------------------ misc
# pv_tmpdir: a new temporary directory in PV_TMP (not in a subshell: it
# must be recorded for pv_cleanup).
pv_tmpdir() {
	PV_TMP=$(mktemp -d "/tmp/pmdvpn-${PV_ID}.XXXXXX") || pv_die "mktemp failed"
	PV_TMPDIRS+=("$PV_TMP")
}

# pv_randhex BYTES: random key material as hex.
pv_randhex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# pv_key_bytes CIPHER: the bytes of a config's key (key and 4-byte salt)
pv_key_bytes() {
	case $1 in
	aes-128-gcm) echo 20 ;;
	*) echo 36 ;;
	esac
}

# pv_loop_peer NAME ENDPOINT SUBNETS CIPHER SPI KEY [LINE...]: the config
# section of a loopback peer (one SPI and key both ways, so the ESP that a
# reflector sends back is for the same SA); each LINE is one more setting,
# e.g. "replay-window = 0".
pv_loop_peer() {
	printf '[peer %s]\nendpoint = %s\nsubnets = %s\ncipher = %s\n' "$1" "$2" "$3" "$4"
	printf 'spi-out = %s\nkey-out = %s\nspi-in = %s\nkey-in = %s\n' "$5" "$6" "$5" "$6"
	shift 6
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# pv_cleanup: stops every process, deletes every namespace, runtime dir and
# temporary directory this script created. Safe to call twice.
pv_cleanup() {
	local p ns d
	for p in "${PV_PIDS[@]}"; do pv_stop_pid "$p" 3; done
	PV_PIDS=()
	for ns in "${PV_NS_LIST[@]}"; do ip netns del "$ns" 2>/dev/null; done
	PV_NS_LIST=()
	for d in "${PV_DPDK_PREFIXES[@]}"; do
		[ -n "$d" ] && rm -rf "/var/run/dpdk/$d"
	done
	PV_DPDK_PREFIXES=()
	if [ "${PV_KEEP_LOGS:-0}" = 0 ]; then
		for d in "${PV_TMPDIRS[@]}"; do [ -d "$d" ] && rm -rf "$d"; done
	else
		pv_log "logs kept in ${PV_TMPDIRS[*]}"
	fi
	PV_TMPDIRS=()
}
