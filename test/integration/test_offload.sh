#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The exception path with offloads (vtap, the default for inside = tap):
# the kernel's vpn0 has TSO and checksum offload on, super-packets really
# flow both ways (the gateways' vtap counters: GSO frames read on the
# sending side, coalesced frames written on the receiving side), iperf3
# TCP works both ways over inner IPv4 and IPv6 with nothing malformed. Then
# the same pair with inside-offload = no (DPDK's net_tap) for comparison;
# both throughputs go to the log (same machine, same run).
#
# Output: one "ok"/"not ok" line per check (TAP); exit status 1 on failure,
# 77 when not root.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SECS=${OFFLOAD_SECS:-10}
CIPHER=aes-128-gcm

it_init
it_topology
it_iperf_server "$NS_A"
it_iperf_server "$NS_B"
it_keys "$CIPHER"

# start_pair OFFLOAD(yes|no): both gateways with inside-offload = OFFLOAD.
start_pair() {
	local side
	for side in a b; do
		it_conf "$side" "$CIPHER" | sed "s/^inside = tap$/inside = tap\ninside-offload = $1/" \
			> "$T/$side.conf" || return 1
	done
	pv_gw_start a "$NS_A" "$T/a.conf" 30 && pv_gw_start b "$NS_B" "$T/b.conf" 30 &&
		it_wait_inside
}

# iperf_run LABEL NS DST [args]: iperf3 TCP for SECS; ok if data passed.
# Sets MBPS.
iperf_run() {
	local label=$1 ns=$2 dst=$3; shift 3
	local json="$T/iperf-${label// /-}.json" bytes
	bytes=$(it_iperf "$ns" "$dst" "$json" -t "$SECS" "$@")
	MBPS=$(it_mbps "$json")
	it_expect "$label: iperf3 TCP passes data ($MBPS Mbit/s; bytes)" "$bytes" -gt 0
}

# --- vtap (default) ---
if start_pair yes; then
	it_ok "vtap: both gateways ready"
else
	it_notok "vtap: both gateways ready" "$T/gw-a.err" "$T/gw-b.err"
	it_done
fi
it_check "vtap: gateway A says its inside is a vtap" grep -q 'inside vpn0: .*(vtap)' "$T/gw-a.out"
if command -v ethtool > /dev/null; then
	ip netns exec "$NS_A" ethtool -k vpn0 > "$T/ethtool.txt" 2>&1
	it_check "vtap: vpn0 has TCP segmentation offload on" \
		grep -q '^tcp-segmentation-offload: on' "$T/ethtool.txt"
	it_check "vtap: vpn0 has checksum offload on" grep -q '^tx-checksumming: on' "$T/ethtool.txt"
else
	it_skip "vtap: ethtool -k vpn0 (no ethtool)"
fi
it_stats a > /dev/null
it_check "vtap: offloads csum,tso4,tso6 reported" grep -q '^vtap vpn0 .* offloads csum,tso4,tso6' "$T/stats-a.txt"
it_ping "$NS_A" "$IN_B" > "$T/ping.log" 2>&1
it_expect "vtap: ping A -> B" $? -eq 0

iperf_run "vtap A -> B" "$NS_A" "$IN_B"
VTAP_AB=$MBPS
iperf_run "vtap B -> A" "$NS_B" "$IN_A"
VTAP_BA=$MBPS
iperf_run "vtap A -> B inner IPv6" "$NS_A" "$IN6_B" -t 3
for g in a b; do
	it_stats "$g" > /dev/null
	for k in rx-gso tx-gso rx-bad rx-toobig rx-nombuf tx-errors; do
		eval "V_${g}_${k//-/_}=\$(pv_counter 'vtap vpn0' $k < \"\$T/stats-$g.txt\")"
	done
done
# A's host sent TCP super-packets (A -> B) and B's coalesced them; and the
# other way round for B -> A.
it_expect "vtap: A read GSO super-packets from its host" "$V_a_rx_gso" -gt 0
it_expect "vtap: B wrote coalesced super-packets to its host" "$V_b_tx_gso" -gt 0
it_expect "vtap: B read GSO super-packets from its host" "$V_b_rx_gso" -gt 0
it_expect "vtap: A wrote coalesced super-packets to its host" "$V_a_tx_gso" -gt 0
it_expect "vtap: no malformed frames from the hosts (A+B)" $((V_a_rx_bad + V_b_rx_bad)) -eq 0
it_expect "vtap: no frame too big for an mbuf (A+B)" $((V_a_rx_toobig + V_b_rx_toobig)) -eq 0
it_log "vtap counters A: $(grep '^vtap' "$T/stats-a.txt")"
it_log "vtap counters B: $(grep '^vtap' "$T/stats-b.txt")"
it_expect "vtap: no auth-failure drops (A+B)" \
	$(( $(pv_counter 'drop auth-failure' < "$T/stats-a.txt") + $(pv_counter 'drop auth-failure' < "$T/stats-b.txt") )) -eq 0
pv_gw_stop a 10; it_expect "vtap: gateway a exits 0" $? -eq 0
pv_gw_stop b 10; it_expect "vtap: gateway b exits 0" $? -eq 0
it_check "vtap: vpn0 is gone with the gateway" bash -c "! ip -n '$NS_A' link show vpn0 2>/dev/null"

# --- net_tap (inside-offload = no) ---
if start_pair no; then
	it_ok "net_tap: both gateways ready"
else
	it_notok "net_tap: both gateways ready" "$T/gw-a.err" "$T/gw-b.err"
	it_done
fi
it_check "net_tap: gateway A says its inside is net_tap" grep -q 'inside vpn0: net_tap' "$T/gw-a.out"
iperf_run "net_tap A -> B" "$NS_A" "$IN_B"
TAP_AB=$MBPS
iperf_run "net_tap B -> A" "$NS_B" "$IN_A"
TAP_BA=$MBPS
it_stats a > /dev/null
it_check "net_tap: no vtap line in the report" bash -c "! grep -q '^vtap' '$T/stats-a.txt'"
pv_gw_stop a 10; it_expect "net_tap: gateway a exits 0" $? -eq 0
pv_gw_stop b 10; it_expect "net_tap: gateway b exits 0" $? -eq 0

it_log "iperf3 TCP 1 stream ${SECS}s, $CIPHER, Mbit/s: vtap A->B $VTAP_AB B->A $VTAP_BA;" \
	"net_tap A->B $TAP_AB B->A $TAP_BA"
echo "# iperf3 TCP 1 stream ${SECS}s $CIPHER Mbit/s: vtap A->B $VTAP_AB B->A $VTAP_BA;" \
	"net_tap A->B $TAP_AB B->A $TAP_BA"
it_done
