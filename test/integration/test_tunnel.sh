#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two pmdvpn gateways in network namespaces joined by a veth pair (WAN =
# net_af_packet on each end), each with its TAP vpn0 in its namespace.
# For each cipher: ping both ways (inner IPv4 and IPv6), iperf3 TCP and UDP
# through the tunnel, counters consistent, clean exit. Then the OpenSSL
# backend against the intel-ipsec-mb one (both directions of every cipher
# cross the two implementations), a look at the wire (ESP-in-UDP with the
# configured SPI, no plaintext), and the CPU use of an idle gateway.
#
# Output: one "ok"/"not ok" line per check (TAP); exit status 1 on failure,
# 77 when not root.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_init
it_topology
it_iperf_server "$NS_A"
it_iperf_server "$NS_B"

# wire_check LABEL SPI: ESP in UDP/4500 with SPI on the veth, and the ping
# payload pattern visible on vpn0 (the control) but not on the wire.
wire_check() {
	local label=$1 spi=$2 pat=c0ffee11deadbeef p1 p2
	timeout 12 ip netns exec "$NS_B" tcpdump -l -U -nn -s 0 -x -c 4 -i "$VETH_B" \
		"udp dst port 4500 and src host $WAN_A" > "$T/wire.txt" 2> "$T/wire.err" &
	p1=$!
	timeout 12 ip netns exec "$NS_B" tcpdump -l -U -nn -s 0 -x -c 4 -i vpn0 \
		"icmp and src host $IN_A" > "$T/vpn0.txt" 2> "$T/vpn0.err" &
	p2=$!
	sleep 1.5   # tcpdump needs a moment to attach
	it_ping "$NS_A" "$IN_B" -p "$pat" > "$T/ping-wire.log" 2>&1
	wait "$p1" "$p2"
	# join each packet's hex dump into one string, then look for the pattern
	local hexw hexv
	hexw=$(awk '/^\t0x/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/) printf "%s", $i } /^[0-9]/ { print "" }' "$T/wire.txt")
	hexv=$(awk '/^\t0x/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/) printf "%s", $i } /^[0-9]/ { print "" }' "$T/vpn0.txt")
	if grep -qi "spi=$spi" "$T/wire.txt"; then
		it_ok "$label: ESP-in-UDP on the wire with spi $spi"
	else
		it_notok "$label: ESP-in-UDP on the wire with spi $spi" "$T/wire.txt" "$T/wire.err"
	fi
	if grep -q "$pat" <<< "$hexv" && ! grep -q "$pat" <<< "$hexw"; then
		it_ok "$label: payload in clear on vpn0, not on the wire"
	else
		it_notok "$label: payload in clear on vpn0, not on the wire" "$T/vpn0.txt" "$T/wire.txt"
	fi
}

# idle_check NAME: CPU of an idle gateway over 10 s must stay under 5 % of
# one core (the workers back off when nothing arrives).
idle_check() {
	local name=$1 pid=${PV_GW_PID[$1]} hz c0 c1 pct
	hz=$(getconf CLK_TCK)
	sleep 2
	c0=$(pv_proc_cpu "$pid")
	sleep 10
	c1=$(pv_proc_cpu "$pid")
	pct=$(( (c1 - c0) * 100 / (10 * hz) ))
	it_log "idle gateway $name: $((c1 - c0)) ticks in 10 s = ${pct}% of a core"
	it_expect "idle gateway uses under 5% of a core over 10 s (percent)" "$pct" -lt 5
}

# stop_pair LABEL: SIGTERM both; exit status 0 and a final report each.
stop_pair() {
	local label=$1 g rc
	for g in a b; do
		pv_gw_stop "$g"; rc=$?
		if [ "$rc" = 0 ] && grep -q '^drop tx-full ' "${PV_GW_OUT[$g]}" && grep -q '^lcore ' "${PV_GW_OUT[$g]}"; then
			it_ok "$label: gateway $g exits 0 on SIGTERM with its counters"
		else
			it_notok "$label: gateway $g exits 0 on SIGTERM with its counters (status $rc)" \
				"${PV_GW_OUT[$g]}" "${PV_GW_ERR[$g]}"
		fi
	done
}

# run_case LABEL CIPHER full|light [conf options A] -- [conf options B]
run_case() {
	local label=$1 cipher=$2 depth=$3; shift 3
	local secs=5 b
	it_log "case $label"
	it_keys "$cipher"
	if ! it_start_pair "$cipher" "$@"; then
		it_notok "$label: both gateways ready" "${PV_GW_ERR[a]:-/dev/null}" "${PV_GW_ERR[b]:-/dev/null}"
		pv_gw_stop a; pv_gw_stop b
		return
	fi
	it_ok "$label: both gateways ready"

	it_check "$label: ping A -> B (inner IPv4)" it_ping "$NS_A" "$IN_B"
	it_check "$label: ping B -> A (inner IPv4)" it_ping "$NS_B" "$IN_A"
	it_check "$label: ping A -> B (inner IPv6)" it_ping "$NS_A" "$IN6_B"
	[ "$depth" = full ] && it_check "$label: ping B -> A (inner IPv6)" it_ping "$NS_B" "$IN6_A"

	[ "$depth" = full ] || secs=3
	b=$(it_iperf "$NS_A" "$IN_B" "$T/$label-tcp.json" -t "$secs")
	it_expect "$label: iperf3 TCP A -> B for ${secs}s passes data ($(it_mbps "$T/$label-tcp.json") Mbit/s; bytes)" "$b" -gt 0
	[ "$b" -gt 0 ] || sed 's/^/# /' "$T/$label-tcp.json" | tail -5
	if [ "$depth" = full ]; then
		b=$(it_iperf "$NS_B" "$IN_A" "$T/$label-udp.json" -u -b 200M -l 1400 -t "$secs")
		it_expect "$label: iperf3 UDP B -> A (1400 B, 200 Mbit/s offered) passes data ($(it_mbps "$T/$label-udp.json") Mbit/s; bytes)" "$b" -gt 0
		b=$(it_iperf "$NS_A" "$IN6_B" "$T/$label-tcp6.json" -t 2)
		it_expect "$label: iperf3 TCP over inner IPv6 A -> B passes data (bytes)" "$b" -gt 0
	fi

	local sa sb tx rx
	if it_stats a > "$T/sa.txt" && it_stats b > "$T/sb.txt"; then
		tx=$(pv_counter 'peer site-b' tx-pkts < "$T/sa.txt")
		rx=$(pv_counter 'peer site-a' rx-pkts < "$T/sb.txt")
		it_expect "$label: B accepted packets from A (peer rx-pkts)" "$rx" -gt 0
		it_expect "$label: B accepted no more than A sent (A tx-pkts)" "$tx" -ge "$rx"
		sa=$(pv_counter 'drop auth-failure' < "$T/sa.txt")
		sb=$(pv_counter 'drop auth-failure' < "$T/sb.txt")
		it_expect "$label: no auth-failure drops (A+B)" "$((sa + sb))" -eq 0
		sa=$(pv_counter 'drop replay' < "$T/sa.txt")
		sb=$(pv_counter 'drop replay' < "$T/sb.txt")
		it_expect "$label: no replay drops (A+B)" "$((sa + sb))" -eq 0
	else
		it_notok "$label: counter report on SIGUSR1" "${PV_GW_OUT[a]}" "${PV_GW_OUT[b]}"
	fi

	[ "${WIRE:-}" = "$label" ] && wire_check "$label" 0x00002001
	[ "${IDLE:-}" = "$label" ] && idle_check a
	stop_pair "$label"
}

WIRE=aes-128-gcm IDLE=aes-128-gcm
# Same backend on both sides, one cipher each; key files (mode 0600) in one.
run_case aes-128-gcm aes-128-gcm full
run_case aes-256-gcm aes-256-gcm full keyfiles=1 -- keyfiles=1
run_case chacha20-poly1305 chacha20-poly1305 full
# OpenSSL against intel-ipsec-mb: A encrypts with one, B decrypts with the
# other, and back.
WIRE=ossl-imb-aes-128-gcm
run_case ossl-imb-aes-128-gcm aes-128-gcm light crypto=openssl -- crypto=ipsec-mb
run_case imb-ossl-aes-256-gcm aes-256-gcm light crypto=ipsec-mb -- crypto=openssl
run_case ossl-imb-chacha20-poly1305 chacha20-poly1305 light crypto=openssl -- crypto=ipsec-mb

it_done
