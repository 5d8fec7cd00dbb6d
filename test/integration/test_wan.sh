#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The WAN side and the MTU. The two gateways' veths meet on a bridge in a
# third namespace W, which also holds a plain kernel host (198.18.0.254):
#   - the host resolves A's wan-address by ARP and pings it (pmdvpn answers);
#   - other traffic to A's wan-address is counted as unhandled;
#   - vpn0's MTU leaves room for ESP: an inner packet of exactly that size
#     with DF passes, and after `ip link set vpn0 mtu 1500` a bigger one gets
#     ICMP "fragmentation needed" (IPv4) / "packet too big" (IPv6) back and
#     is counted as too-big.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_init
NS_W=${PV_ID}w BR=${PV_ID}br
HOST_W=198.18.0.254
pv_ns_create "$NS_A" && pv_ns_create "$NS_B" && pv_ns_create "$NS_W" || { echo "Bail out! namespaces"; exit 1; }
ip -n "$NS_W" link add "$BR" type bridge &&
	pv_veth "$NS_A" "$VETH_A" "$NS_W" "${PV_ID}xa" &&
	pv_veth "$NS_B" "$VETH_B" "$NS_W" "${PV_ID}xb" &&
	ip -n "$NS_W" link set "${PV_ID}xa" master "$BR" &&
	ip -n "$NS_W" link set "${PV_ID}xb" master "$BR" &&
	pv_quiet_if "$NS_W" "$BR" &&
	ip -n "$NS_W" addr add "$HOST_W/24" dev "$BR" || { echo "Bail out! bridge"; exit 1; }

CIPHER=aes-128-gcm
it_keys "$CIPHER"
if ! it_start_pair "$CIPHER"; then
	it_notok "both gateways ready" "${PV_GW_ERR[a]:-/dev/null}" "${PV_GW_ERR[b]:-/dev/null}"
	it_done
fi
it_ok "both gateways ready"

# --- the WAN address answers ARP and ICMP echo
it_check "a kernel host on the WAN pings A's wan-address" it_ping "$NS_W" "$WAN_A"
if ip -n "$NS_W" neigh show "$WAN_A" | grep -qE 'lladdr [0-9a-f:]+ (REACHABLE|STALE|DELAY|PROBE)'; then
	it_ok "A answered ARP for its wan-address"
else
	it_notok "A answered ARP for its wan-address"
	ip -n "$NS_W" neigh show | sed 's/^/# /'
fi
timeout 5 ip netns exec "$NS_W" bash -c "for i in 1 2 3; do echo probe > /dev/udp/$WAN_A/9; done" 2>/dev/null
it_stats a > "$T/a0.txt"
it_expect "A answered the echo requests (event icmp-echo)" "$(pv_counter 'event icmp-echo' < "$T/a0.txt")" -ge 3
it_expect "A answered ARP (event arp-replied)" "$(pv_counter 'event arp-replied' < "$T/a0.txt")" -ge 1
it_expect "other traffic to A is counted (drop unhandled)" "$(pv_counter 'drop unhandled' < "$T/a0.txt")" -ge 3
it_check "the tunnel works across the bridge: ping A -> B" it_ping "$NS_A" "$IN_B"

# --- tunnel MTU
mtu=$(ip -n "$NS_A" -o link show vpn0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
it_log "vpn0 mtu $mtu"
it_expect "vpn0 MTU leaves room for ESP-in-UDP (below 1500)" "${mtu:-0}" -lt 1500
it_expect "vpn0 MTU is at least the IPv6 minimum (1280)" "${mtu:-0}" -ge 1280
it_expect "vpn0 MTU is the largest that fits AES-GCM ESP-in-UDP in 1500 (1438)" "${mtu:-0}" -eq 1438
it_check "a DF ping of exactly the tunnel MTU passes A -> B" \
	it_ping "$NS_A" "$IN_B" -M do -s $((mtu - 28))
it_check "an IPv6 ping of exactly the tunnel MTU passes A -> B" \
	it_ping "$NS_A" "$IN6_B" -M do -s $((mtu - 48))

it_stats a > "$T/a1.txt"
big0=$(pv_counter 'drop too-big' < "$T/a1.txt")
icmp0=$(pv_counter 'event icmp-too-big' < "$T/a1.txt")
ip -n "$NS_A" link set vpn0 mtu 1500
timeout 10 ip netns exec "$NS_A" ping -n -c 2 -i 0.3 -W 1 -M do -s 1472 "$IN_B" > "$T/ping-big.log" 2>&1
if grep -qiE 'frag needed|message too long' "$T/ping-big.log"; then
	it_ok "IPv4 DF ping bigger than the tunnel MTU gets 'Frag needed' ($(grep -oiE 'mtu ?= ?[0-9]+' "$T/ping-big.log" | head -1))"
else
	it_notok "IPv4 DF ping bigger than the tunnel MTU gets 'Frag needed'" "$T/ping-big.log"
fi
timeout 10 ip netns exec "$NS_A" ping -n -c 2 -i 0.3 -W 1 -M do -s 1452 "$IN6_B" > "$T/ping6-big.log" 2>&1
if grep -qiE 'packet too big|message too long' "$T/ping6-big.log"; then
	it_ok "IPv6 ping bigger than the tunnel MTU gets 'Packet too big'"
else
	it_notok "IPv6 ping bigger than the tunnel MTU gets 'Packet too big'" "$T/ping6-big.log"
fi
it_stats a > "$T/a2.txt"
it_expect "A counted the oversized packets (drop too-big)" \
	"$(( $(pv_counter 'drop too-big' < "$T/a2.txt") - big0 ))" -ge 2
it_expect "A sent ICMP errors to the host (event icmp-too-big)" \
	"$(( $(pv_counter 'event icmp-too-big' < "$T/a2.txt") - icmp0 ))" -ge 2
it_check "after the PMTU error, a fitting DF ping still passes" \
	it_ping "$NS_A" "$IN_B" -M do -s $((mtu - 28))

pv_gw_stop a; pv_gw_stop b
it_done
