#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Failure and restart: a gateway with a wrong key-in drops everything with
# its auth-failure counter rising; a restarted gateway recovers the tunnel,
# and thanks to its state file starts above its old sequence numbers, so
# the peer's replay window accepts it (the control run with a fresh state
# file shows that the window would have dropped reused numbers). Also the
# -i console (show peers, show stats, quit).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_init
it_topology

CIPHER=aes-256-gcm
it_keys "$CIPHER"
if ! it_start_pair "$CIPHER"; then
	it_notok "both gateways ready" "${PV_GW_ERR[a]:-/dev/null}" "${PV_GW_ERR[b]:-/dev/null}"
	it_done
fi
it_ok "both gateways ready"
it_iperf_server "$NS_A"

# Many packets from B to A before the restart: A's replay window moves far
# past B's first sequence numbers.
it_check "ping B -> A before the restart" it_ping "$NS_B" "$IN_A"
b=$(it_iperf "$NS_B" "$IN_A" "$T/udp-before.json" -u -b 50M -l 1000 -t 2)
it_expect "iperf3 UDP B -> A before the restart passes data (bytes)" "$b" -gt 0
it_stats a > "$T/a0.txt"
rx0=$(pv_counter 'peer site-b' rx-pkts < "$T/a0.txt")
replay0=$(pv_counter 'drop replay' < "$T/a0.txt")
it_expect "A accepted packets from B before the restart (rx-pkts)" "$rx0" -gt 1100
it_log "A accepted $rx0 packets from B"

pv_gw_stop b; rc=$?
it_expect "B exits with status 0 on SIGTERM" "$rc" -eq 0
if [ -s "$T/b.state" ]; then it_ok "B's state file exists and is not empty"
else it_notok "B's state file exists and is not empty"; fi
cp "$T/b.conf" "$T/b-good.conf"

# --- wrong key-in on B: A's packets fail authentication at B
it_conf b "$CIPHER" key_in="$(pv_randhex 36)" > "$T/b-badkey.conf"
if pv_gw_start b "$NS_B" "$T/b-badkey.conf" 30; then
	it_ok "B starts with a wrong key-in"
	it_wait_inside
	if it_ping "$NS_A" "$IN_B" > "$T/ping-bad.log" 2>&1; then
		it_notok "ping A -> B fails while B has a wrong key-in" "$T/ping-bad.log"
	else
		it_ok "ping A -> B fails while B has a wrong key-in"
	fi
	it_stats b > "$T/b1.txt"
	auth1=$(pv_counter 'drop auth-failure' < "$T/b1.txt")
	it_expect "B counts auth-failure drops" "$auth1" -gt 0
	rx=$(pv_counter 'peer site-a' rx-pkts < "$T/b1.txt")
	it_expect "B accepted nothing from A" "$rx" -eq 0
	timeout 5 ip netns exec "$NS_A" ping -n -c 3 -i 0.2 -W 1 "$IN_B" > /dev/null 2>&1
	it_stats b > "$T/b2.txt"
	auth2=$(pv_counter 'drop auth-failure' < "$T/b2.txt")
	it_expect "B's auth-failure counter keeps rising" "$auth2" -gt "$auth1"
	pauth=$(pv_counter 'peer site-a drop auth-failure' < "$T/b2.txt")
	it_expect "the auth failures are charged to peer site-a" "$pauth" -gt 0
	pv_gw_stop b
else
	it_notok "B starts with a wrong key-in" "${PV_GW_ERR[b]}"
fi

# --- restart with the right key and the old state file: immediate recovery
if pv_gw_start b "$NS_B" "$T/b-good.conf" 30; then
	it_ok "B restarts with its config and state file"
	it_wait_inside
	it_check "after the restart: ping B -> A" it_ping "$NS_B" "$IN_A"
	it_check "after the restart: ping A -> B" it_ping "$NS_A" "$IN_B"
	it_stats a > "$T/a1.txt"
	replay1=$(pv_counter 'drop replay' < "$T/a1.txt")
	it_expect "A saw no replayed sequence number from the restarted B" "$((replay1 - replay0))" -eq 0
	it_iperf_server "$NS_B"
	b=$(it_iperf "$NS_A" "$IN_B" "$T/tcp-after.json" -t 2)
	it_expect "after the restart: iperf3 TCP A -> B passes data (bytes)" "$b" -gt 0
	pv_gw_stop b
else
	it_notok "B restarts with its config and state file" "${PV_GW_ERR[b]}"
fi

# --- control: B with a fresh state file starts at sequence 1 again, and A
# must refuse those packets: this is what the state file prevents. With ESN
# a sequence number far behind the window is read as belonging to the next
# 2^32 epoch (RFC 4303 appendix A), so the ICV fails (auth-failure); without
# ESN it is a replay drop. Either way nothing from the stale B gets through.
it_conf b "$CIPHER" state="$T/b-fresh.state" > "$T/b-fresh.conf"
it_stats a > "$T/a2.txt"
bad2=$(( $(pv_counter 'drop replay' < "$T/a2.txt") + $(pv_counter 'drop auth-failure' < "$T/a2.txt") ))
rx2=$(pv_counter 'peer site-b' rx-pkts < "$T/a2.txt")
if pv_gw_start b "$NS_B" "$T/b-fresh.conf" 30; then
	it_wait_inside
	timeout 8 ip netns exec "$NS_B" ping -n -c 5 -i 0.2 -W 1 "$IN_A" > "$T/ping-fresh.log" 2>&1
	it_stats a > "$T/a3.txt"
	bad3=$(( $(pv_counter 'drop replay' < "$T/a3.txt") + $(pv_counter 'drop auth-failure' < "$T/a3.txt") ))
	rx3=$(pv_counter 'peer site-b' rx-pkts < "$T/a3.txt")
	it_expect "control: A drops the reused sequence numbers of a B without its state (replay + auth-failure)" \
		"$((bad3 - bad2))" -ge 5
	it_expect "control: A accepts none of them (rx-pkts)" "$((rx3 - rx2))" -eq 0
	pv_gw_stop b
else
	it_notok "control: B starts with a fresh state file" "${PV_GW_ERR[b]}"
fi

# --- the console: commands from stdin, the gateway up meanwhile
mapfile -t eal < <(pv_eal_args "pmdvpn-${PV_ID}-console")
PV_DPDK_PREFIXES+=("pmdvpn-${PV_ID}-console")
printf 'show peers\nshow stats\nquit\n' |
	timeout 60 ip netns exec "$NS_B" "$PMDVPN" "${eal[@]}" -- -f "$T/b-good.conf" -i \
		> "$T/console.out" 2> "$T/console.err"
rc=$?
it_expect "console: quit exits with status 0" "$rc" -eq 0
if grep -q 'pmdvpn> ' "$T/console.out" && grep -q 'site-a' "$T/console.out"; then
	it_ok "console: prompt and show peers lists site-a"
else
	it_notok "console: prompt and show peers lists site-a" "$T/console.out" "$T/console.err"
fi
if grep -q '^drop auth-failure ' "$T/console.out" && grep -q '^port wan ' "$T/console.out"; then
	it_ok "console: show stats prints the counters"
else
	it_notok "console: show stats prints the counters" "$T/console.out"
fi

pv_gw_stop a; rc=$?
it_expect "A exits with status 0 on SIGTERM" "$rc" -eq 0
it_done
