#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The tunnel with WAN = net_af_xdp on both veth ends (native XDP on veth,
# copy mode). Skipped, with the reason, when AF_XDP does not work on this
# kernel (the probe is a plain DPDK testpmd on the same veth, so a pmdvpn
# failure is never mistaken for a missing kernel feature).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_init
it_topology

xdp_args() { echo "net_af_xdp0,iface=$1,start_queue=0,queue_count=1"; }

# Probe: can a DPDK port be opened on AF_XDP here at all?
probe_afxdp() {
	local tp
	tp=$(command -v dpdk-testpmd) || { echo "dpdk-testpmd not installed"; return 2; }
	PV_DPDK_PREFIXES+=("pmdvpn-${PV_ID}-xdprobe")
	printf 'quit\n' | timeout 30 ip netns exec "$NS_A" "$tp" --no-pci --no-huge -m 256 \
		--file-prefix "pmdvpn-${PV_ID}-xdprobe" -l 0-1 --vdev "$(xdp_args "$VETH_A")" -- \
		-i --total-num-mbufs=4096 --disable-link-check > "$T/probe.log" 2>&1
	grep -q 'Port 0: ' "$T/probe.log" && ! grep -qiE 'failed to (create|init|configure)|probe.*failed' "$T/probe.log"
}

if ! probe_afxdp; then
	echo "1..0 # SKIP AF_XDP does not work here: $(grep -iE 'xdp|xsk|bpf' "$T/probe.log" | tail -2 | tr '\n' ' ')"
	exit 77
fi
it_ok "AF_XDP works on this kernel (testpmd opened a port on the veth)"

CIPHER=chacha20-poly1305
it_keys "$CIPHER"
if ! it_start_pair "$CIPHER" wan="$(xdp_args "$VETH_A")" -- wan="$(xdp_args "$VETH_B")"; then
	it_notok "both gateways ready with WAN = net_af_xdp" "${PV_GW_ERR[a]:-/dev/null}" "${PV_GW_ERR[b]:-/dev/null}"
	it_done
fi
it_ok "both gateways ready with WAN = net_af_xdp"
it_check "af_xdp: ping A -> B" it_ping "$NS_A" "$IN_B"
it_check "af_xdp: ping B -> A" it_ping "$NS_B" "$IN_A"
it_check "af_xdp: ping A -> B (inner IPv6)" it_ping "$NS_A" "$IN6_B"
it_iperf_server "$NS_B"
b=$(it_iperf "$NS_A" "$IN_B" "$T/tcp.json" -t 3)
it_expect "af_xdp: iperf3 TCP A -> B passes data ($(it_mbps "$T/tcp.json") Mbit/s; bytes)" "$b" -gt 0
b=$(it_iperf "$NS_A" "$IN_B" "$T/udp.json" -u -b 200M -l 1400 -t 3)
it_expect "af_xdp: iperf3 UDP A -> B passes data ($(it_mbps "$T/udp.json") Mbit/s; bytes)" "$b" -gt 0
for g in a b; do
	pv_gw_stop "$g"; rc=$?
	it_expect "af_xdp: gateway $g exits 0 on SIGTERM" "$rc" -eq 0
done
it_done
