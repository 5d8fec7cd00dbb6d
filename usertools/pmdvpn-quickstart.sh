#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmdvpn in two minutes:
#
#   usertools/pmdvpn-quickstart.sh [--static] [--no-install] [--no-build] [-t SECONDS]
#
# (as root). Installs the Debian packages pmdvpn needs, builds it (build/),
# creates two network namespaces qs-a and qs-b joined by a veth pair, runs
# one gateway in each from conf/ike-a.conf and conf/ike-b.conf (IKEv2 with
# a pre-shared key: the gateways negotiate their keys; --static: the
# static-key pair conf/quickstart-a.conf and conf/quickstart-b.conf), pings
# through the tunnel, then runs iperf3 TCP for 10 s through the tunnel and,
# for comparison, over a second, plain veth pair between the same
# namespaces. It prints a small table (Gbit/s, the gateways' CPU and
# counters) and removes everything it created.
#
#   qs-a: vpn0 198.19.0.1 -- pmdvpn A -- qs-wan-a ===== qs-wan-b -- pmdvpn B -- vpn0 198.19.1.1 :qs-b
#         qs-bare-a 198.18.1.1 ================================ qs-bare-b 198.18.1.2
#
# Environment: BUILDDIR (default build).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
cd "$PV_ROOT" || exit 1

INSTALL=1 BUILD=1 SECS=10 STATIC=0
while [ $# -gt 0 ]; do
	case $1 in
	--static) STATIC=1 ;;
	--no-install) INSTALL=0 ;;
	--no-build) BUILD=0 ;;
	-t) SECS=$2; shift ;;
	-h|--help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done

BUILDDIR=${BUILDDIR:-build}
PMDVPN=$PV_ROOT/$BUILDDIR/app/pmdvpn/pmdvpn
NS_A=qs-a NS_B=qs-b
CONF_A=$PV_ROOT/conf/ike-a.conf CONF_B=$PV_ROOT/conf/ike-b.conf
[ "$STATIC" = 1 ] && CONF_A=$PV_ROOT/conf/quickstart-a.conf CONF_B=$PV_ROOT/conf/quickstart-b.conf
TUN_B=198.19.1.1 BARE_A=198.18.1.1 BARE_B=198.18.1.2

pv_require_root
[ "$INSTALL" = 1 ] && pv_install_deps build run
if [ "$BUILD" = 1 ]; then
	pv_log "building in $BUILDDIR/ (the first time takes a minute)"
	pv_build "$BUILDDIR" || exit 1
fi
[ -x "$PMDVPN" ] || pv_die "no gateway binary at $PMDVPN (build first)"

# The names are fixed (the configs name the veths): a previous run that was
# killed may have left them.
for ns in "$NS_A" "$NS_B"; do
	if ip netns list | grep -qE "^$ns( |\$)"; then
		pv_log "removing namespace $ns left by an earlier run"
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		sleep 0.5
		ip netns del "$ns"
	fi
done

pv_tmpdir
PV_LOGDIR=$PV_TMP
trap 'pv_cleanup' EXIT
trap 'exit 130' INT TERM

pv_log "namespaces $NS_A, $NS_B; veth qs-wan-a/qs-wan-b for the tunnel, qs-bare-a/qs-bare-b for the baseline"
pv_ns_create "$NS_A" && pv_ns_create "$NS_B" &&
	pv_veth "$NS_A" qs-wan-a "$NS_B" qs-wan-b &&
	pv_veth "$NS_A" qs-bare-a "$NS_B" qs-bare-b &&
	ip -n "$NS_A" addr add "$BARE_A/24" dev qs-bare-a &&
	ip -n "$NS_B" addr add "$BARE_B/24" dev qs-bare-b || pv_die "cannot create the namespaces"

pv_log "starting gateway B ($CONF_B) and A ($CONF_A)"
pv_gw_start b "$NS_B" "$CONF_B" 30 || pv_die "gateway B did not start (log above)"
pv_gw_start a "$NS_A" "$CONF_A" 30 || pv_die "gateway A did not start (log above)"
grep -h '^pmdvpn: ' "${PV_GW_OUT[a]}" | sed 's/^/  A: /'

[ "$STATIC" = 1 ] || pv_log "IKEv2: A initiates, B answers; the first packets wait for the CHILD_SA"
pv_log "ping through the tunnel: $NS_A -> $TUN_B"
timeout 20 ip netns exec "$NS_A" ping -n -c 3 -i 0.2 -W 2 -w 10 "$TUN_B" | sed 's/^/  /' ||
	pv_die "no reply through the tunnel"

pv_bg "$NS_B" "$PV_TMP/iperf3-server.log" iperf3 -s -p 5201
sleep 0.5

# iperf_tcp LABEL DST: one TCP run; prints Gbit/s and retransmits.
iperf_tcp() {
	local json=$PV_TMP/$1.json
	timeout $((SECS + 30)) ip netns exec "$NS_A" iperf3 -c "$2" -p 5201 -t "$SECS" -J \
		--connect-timeout 3000 > "$json" 2> "$json.err"
	jq -r '[(.end.sum_received.bits_per_second // 0) / 1e9, (.end.sum_sent.retransmits // 0),
		(.end.sum_received.bytes // 0)] | @tsv' "$json" 2>/dev/null || printf '0\t0\t0\n'
}

HZ=$(getconf CLK_TCK)
pv_log "iperf3 TCP ${SECS} s over the bare veth ($BARE_B)"
read -r bare_gbps bare_rtx _ < <(iperf_tcp bare "$BARE_B")
pv_gw_stats a > "$PV_TMP/a0.txt"; pv_gw_stats b > "$PV_TMP/b0.txt"
cpu_a0=$(pv_proc_cpu "${PV_GW_PID[a]}") cpu_b0=$(pv_proc_cpu "${PV_GW_PID[b]}")
pv_log "iperf3 TCP ${SECS} s through the tunnel ($TUN_B)"
read -r tun_gbps tun_rtx tun_bytes < <(iperf_tcp tunnel "$TUN_B")
cpu_a1=$(pv_proc_cpu "${PV_GW_PID[a]}") cpu_b1=$(pv_proc_cpu "${PV_GW_PID[b]}")
pv_gw_stats a > "$PV_TMP/a1.txt"; pv_gw_stats b > "$PV_TMP/b1.txt"

cipher=$(sed -n 's/^cipher *= *\([a-z0-9-]*\).*/\1/p' "$CONF_A" | head -1)
# IKEv2: the cipher the gateways agreed on (show ike's child line)
[ -n "$cipher" ] || cipher="IKEv2 $(grep -ho 'CHILD_SA up: .* encr [0-9/]*' "${PV_GW_ERR[a]}" |
	tail -1 | sed 's/.*encr 20\/128/aes-128-gcm/; s/.*encr 20\/256/aes-256-gcm/; s/.*encr 28.*/chacha20-poly1305/')"
crypto=$(sed -n 's/^crypto *= *\([a-z-]*\).*/\1/p' "$CONF_A" | head -1)
# c A|B KEY [FIELD]: a counter's increase over the tunnel run
c() {
	local g=${1,,} a b
	a=$(pv_counter "$2" ${3:+"$3"} < "$PV_TMP/${g}0.txt")
	b=$(pv_counter "$2" ${3:+"$3"} < "$PV_TMP/${g}1.txt")
	echo $((b - a))
}
cpu_s() { awk -v d="$1" -v hz="$HZ" 'BEGIN { printf "%.2f", d / hz }'; }

echo
echo "pmdvpn quickstart, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -r)"
echo "iperf3 TCP, 1 stream, ${SECS} s, client in $NS_A, server in $NS_B; WAN = net_af_packet on a veth"
echo
printf '%-44s %8s %12s\n' "path" "Gbit/s" "retransmits"
printf '%-44s %8.2f %12s\n' "bare veth (kernel to kernel, no encryption)" "$bare_gbps" "$bare_rtx"
printf '%-44s %8.2f %12s\n' "pmdvpn tunnel ($cipher, ${crypto:-ipsec-mb})" "$tun_gbps" "$tun_rtx"
echo
echo "gateway counters during the tunnel run:"
printf '  %-36s %14s %14s\n' "" "A (sender)" "B (receiver)"
for row in "peer site-b|peer site-a|tx-pkts" "peer site-b|peer site-a|rx-pkts" \
	   "port wan||rx-pkts" "port wan||tx-pkts" "port inside||rx-pkts" "port inside||tx-pkts"; do
	IFS='|' read -r ka kb f <<< "$row"
	[ -n "$kb" ] || kb=$ka
	printf '  %-36s %14s %14s\n' "${ka%% site-*} $f" "$(c A "$ka" "$f")" "$(c B "$kb" "$f")"
done
for d in no-sa replay auth-failure malformed policy no-route peer-down too-big no-neighbour no-mbuf tx-full; do
	da=$(c A "drop $d") db=$(c B "drop $d")
	[ "$da" = 0 ] && [ "$db" = 0 ] && continue
	printf '  %-36s %14s %14s\n' "drop $d" "$da" "$db"
done
printf '  %-36s %14s %14s\n' "process CPU seconds (all threads)" "$(cpu_s $((cpu_a1 - cpu_a0)))" "$(cpu_s $((cpu_b1 - cpu_b0)))"
if [ "${tun_bytes%.*}" -gt 0 ] 2>/dev/null; then
	printf '  %-36s %14s %14s\n' "CPU seconds per GB carried" \
		"$(awk -v d=$((cpu_a1 - cpu_a0)) -v hz="$HZ" -v b="$tun_bytes" 'BEGIN { printf "%.2f", d / hz / (b / 1e9) }')" \
		"$(awk -v d=$((cpu_b1 - cpu_b0)) -v hz="$HZ" -v b="$tun_bytes" 'BEGIN { printf "%.2f", d / hz / (b / 1e9) }')"
fi
echo
echo "The bare veth is the kernel talking to itself; the tunnel adds two TAP"
echo "crossings (with the default vtap, 64 KB super-packets that pmdvpn segments"
echo "and coalesces; with inside-offload = no, one packet per system call), two"
echo "AF_PACKET crossings (one packet per frame in the kernel) and the encryption."
echo "Both gateways, both iperf3 ends and the kernel share the machine's $(nproc) cores."

ok=1
awk -v g="$tun_gbps" 'BEGIN { exit !(g > 0) }' || { ok=0; pv_log "no data through the tunnel"; }
pv_gw_stop a; pv_gw_stop b
[ "$ok" = 1 ]
