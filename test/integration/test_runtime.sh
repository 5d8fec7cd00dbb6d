#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runtime changes while traffic flows: on gateway A, a second peer p2 (to
# B, which has the matching peer site-a2 from the start) is added, changed
# and deleted several times from the console (pmdvpn-ctl) while an iperf3
# UDP stream runs through site-b; the stream must lose nothing and the
# worker must keep polling. Then a make-before-break rekey of site-b under
# traffic, and SIGHUP with a broken then a good config.
set -u
. "$(dirname "$0")/lib.sh"
CTL=${PMDVPN_CTL:-$SRCDIR/usertools/pmdvpn-ctl}
command -v python3 > /dev/null || { echo "Bail out! python3 missing (pmdvpn-ctl needs it)"; exit 1; }
it_init
it_topology
it_keys aes-128-gcm
CIPHER=aes-128-gcm
P2_AB=$(pv_randhex 20) P2_BA=$(pv_randhex 20)
(umask 077
 echo "$P2_AB" > "$T/p2.ab"; echo "$P2_BA" > "$T/p2.ba"
 pv_randhex 20 > "$T/rk.ab"; pv_randhex 20 > "$T/rk.ba")

it_conf a $CIPHER keyfiles=1 > "$T/a.conf"
it_conf b $CIPHER keyfiles=1 > "$T/b.conf"
sed -i "s|^inside-address = .*|inside-address = $IN_A/24, 198.19.3.1/24, $IN6_A/64|" "$T/a.conf"
sed -i "s|^inside-address = .*|inside-address = $IN_B/24, 198.19.2.1/24, $IN6_B/64|" "$T/b.conf"
cat >> "$T/b.conf" <<EOC

[peer site-a2]
endpoint = $WAN_A:4500
subnets = 198.19.3.0/24
cipher = $CIPHER
spi-out = 0x3002
key-out-file = $T/p2.ba
spi-in = 0x3001
key-in-file = $T/p2.ab
EOC
cp "$T/a.conf" "$T/a.conf.orig"
pv_gw_start a "$NS_A" "$T/a.conf" 30 || { echo "Bail out! gateway a"; exit 1; }
pv_gw_start b "$NS_B" "$T/b.conf" 30 || { echo "Bail out! gateway b"; exit 1; }
it_wait_inside
PREFIX_A=pmdvpn-${PV_ID}-a PREFIX_B=pmdvpn-${PV_ID}-b

ctl() { local p=$1; shift; timeout 20 "$CTL" --file-prefix "$p" cmd "$@"; }
P2_ADD="endpoint $WAN_B:4500 subnets 198.19.2.0/24 cipher $CIPHER spi-out 0x3001 key-out-file $T/p2.ab spi-in 0x3002 key-in-file $T/p2.ba"
p2_ping() { timeout 15 ip netns exec "$NS_A" ping -n -c 2 -i 0.2 -W 2 -I 198.19.3.1 198.19.2.1 > "$T/p2ping.log" 2>&1; }
counter() { it_stats "$1" > /dev/null; pv_counter "$2" ${3:+"$3"} < "$T/stats-$1.txt"; }

it_check "site-b passes traffic before any change" it_ping "$NS_A" "$IN_B"
if ctl "$PREFIX_A" peer add p2 key-out 00 > "$T/o.txt" 2>&1; grep -q "keys come from files only" "$T/o.txt"; then
	it_ok "peer add with an inline key is refused"
else it_notok "peer add with an inline key is refused" "$T/o.txt"; fi
ctl "$PREFIX_A" peer add p2 endpoint $WAN_B:4500 > "$T/o.txt" 2>&1
if grep -q "missing" "$T/o.txt" && ! ctl "$PREFIX_A" show peers | grep -q '^peer p2 '; then
	it_ok "an incomplete peer add says what is missing and adds nothing"
else it_notok "an incomplete peer add says what is missing and adds nothing" "$T/o.txt"; fi
for bad in "set burst 0" "set burst 65" "peer del nosuch" "sa rekey site-b spi-out 5 key-out-file $T/rk.ab" "peer set site-b endpoint 300.1.1.1"; do
	ctl "$PREFIX_A" $bad > "$T/o.txt" 2>&1
	if [ -s "$T/o.txt" ] && ! grep -qi "added\|deleted\|rekeyed\| set$" "$T/o.txt"; then
		it_ok "malformed '$bad': $(head -1 "$T/o.txt" | cut -c1-70)"
	else it_notok "malformed '$bad' gets a message" "$T/o.txt"; fi
done

# ---- p2 churn under a UDP stream through site-b
it_iperf_server "$NS_B" || { echo "Bail out! iperf3 server"; exit 1; }
polls0=$(counter a "lcore 1" polls)
noroute0=$(counter a "drop no-route")
timeout 60 ip netns exec "$NS_A" iperf3 -c "$IN_B" -p 5201 -u -b 8M -l 1000 -t 14 -J > "$T/udp.json" 2> "$T/udp.err" &
IPERF=$!
sleep 1
churn_ok=1 del_ok=1 noroute_ok=1
for round in $( [ "${RT_BASELINE:-0}" = 1 ] && echo "" || echo 1 2 3); do
	ctl "$PREFIX_A" peer add p2 $P2_ADD > "$T/o.txt" 2>&1
	grep -q "peer p2 added" "$T/o.txt" || { churn_ok=0; cat "$T/o.txt" >&2; }
	p2_ping || { churn_ok=0; echo "round $round: p2 ping after add failed" >&2; }
	if [ "$round" = 1 ]; then
		# after p2 is gone, the host still sends to pmdvpn: a covering
		# route and a fixed neighbour, so drops are counted as no-route
		mac=$(ip -n "$NS_A" neigh show 198.19.2.1 dev vpn0 | awk '{print $3}')
		ip -n "$NS_A" neigh replace 198.19.2.1 lladdr "$mac" dev vpn0 nud permanent
		ip -n "$NS_A" route add 198.19.2.0/23 dev vpn0 metric 500
	fi
	ctl "$PREFIX_A" peer set p2 subnets 198.19.2.0/24,198.19.4.0/24 > "$T/o.txt" 2>&1
	grep -q "subnets set" "$T/o.txt" && ip -n "$NS_A" route show 198.19.4.0/24 | grep -q vpn0 ||
		{ churn_ok=0; cat "$T/o.txt" >&2; }
	p2_ping || { churn_ok=0; echo "round $round: p2 ping after subnets change failed" >&2; }
	ctl "$PREFIX_A" peer set p2 endpoint $WAN_B:4501 > "$T/o.txt" 2>&1
	ctl "$PREFIX_A" show peer p2 | grep -q "endpoint $WAN_B:4501" || churn_ok=0
	ctl "$PREFIX_A" peer set p2 endpoint $WAN_B:4500 > /dev/null 2>&1
	p2_ping || { churn_ok=0; echo "round $round: p2 ping after endpoint change failed" >&2; }
	ctl "$PREFIX_A" peer del p2 > "$T/o.txt" 2>&1
	grep -q "peer p2 deleted" "$T/o.txt" || { del_ok=0; cat "$T/o.txt" >&2; }
	p2_ping && { del_ok=0; echo "round $round: p2 still passes after del" >&2; }
done
wait $IPERF
lost=$(jq -r '.end.sum.lost_packets // -1' "$T/udp.json" 2>/dev/null)
pkts=$(jq -r '.end.sum.packets // 0' "$T/udp.json" 2>/dev/null)
polls1=$(counter a "lcore 1" polls)
[ -n "${RT_DEBUG:-}" ] && { grep -E "^(drop|port|peer)" "$T/stats-a.txt" | grep -v " 0$" >&2; it_stats b | grep -E "^(drop|port|peer)" | grep -v " 0$" >&2; }
noroute1=$(counter a "drop no-route")
[ "$churn_ok" = 1 ] && it_ok "p2 added, subnets and endpoint changed 3 times: p2 passes each time" ||
	it_notok "p2 added/changed passes each time" "$T/p2ping.log" "${PV_GW_ERR[a]}"
[ "$del_ok" = 1 ] && it_ok "p2 deleted from the console stops passing; re-added passes again" ||
	it_notok "p2 deleted stops passing" "$T/p2ping.log"
it_expect "p2's traffic after delete is counted as no-route" "$((noroute1 - noroute0))" -ge 3
it_expect "site-b's UDP stream ($pkts packets) lost nothing during the churn" "$lost" -eq 0
it_expect "site-b's UDP stream carried packets" "$pkts" -gt 1000
it_expect "the worker kept polling" "$((polls1 - polls0))" -gt 1000
ctl "$PREFIX_A" show peers > "$T/o.txt"
! grep -q "^peer p2 " "$T/o.txt" && grep -q "^peer site-b " "$T/o.txt" &&
	it_ok "show peers: site-b, no p2" || it_notok "show peers: site-b, no p2" "$T/o.txt"

# ---- make-before-break rekey of site-b under traffic
timeout 60 ip netns exec "$NS_A" iperf3 -c "$IN_B" -p 5201 -u -b 8M -l 1000 -t 6 -J > "$T/udp2.json" 2> "$T/udp2.err" &
IPERF=$!
sleep 1
ok=1
ctl "$PREFIX_A" sa rekey site-b spi-in 0x1101 key-in-file "$T/rk.ba" > "$T/rk1.txt" 2>&1 || ok=0
ctl "$PREFIX_B" sa rekey site-a spi-in 0x2101 key-in-file "$T/rk.ab" > "$T/rk2.txt" 2>&1 || ok=0
sleep 0.5
ctl "$PREFIX_A" sa rekey site-b spi-out 0x2101 key-out-file "$T/rk.ab" > "$T/rk3.txt" 2>&1 || ok=0
ctl "$PREFIX_B" sa rekey site-a spi-out 0x1101 key-out-file "$T/rk.ba" > "$T/rk4.txt" 2>&1 || ok=0
wait $IPERF
grep -q rekeyed "$T/rk1.txt" && grep -q rekeyed "$T/rk4.txt" || ok=0
[ "$ok" = 1 ] && it_ok "sa rekey on both sides (inbound first, then outbound)" ||
	it_notok "sa rekey on both sides" "$T/rk1.txt" "$T/rk2.txt" "$T/rk3.txt" "$T/rk4.txt"
lost=$(jq -r '.end.sum.lost_packets // -1' "$T/udp2.json" 2>/dev/null)
it_expect "the UDP stream lost nothing across the rekey" "$lost" -eq 0
ctl "$PREFIX_A" show sa > "$T/sa.txt"
grep -q "sa out spi 0x00002101" "$T/sa.txt" && grep -q "sa in spi 0x00001101" "$T/sa.txt" &&
	it_ok "show sa: the new SPIs" || it_notok "show sa: the new SPIs" "$T/sa.txt"
it_check "traffic after the rekey" it_ping "$NS_A" "$IN_B"
ctl "$PREFIX_A" sa retire site-b > "$T/o.txt" 2>&1
grep -q "0x00001001 retired" "$T/o.txt" && it_ok "sa retire drops the old inbound SA" ||
	it_notok "sa retire drops the old inbound SA" "$T/o.txt"
it_check "traffic after retiring the old inbound SA" it_ping "$NS_A" "$IN_B"

# ---- SIGHUP
out_off=$(stat -c %s "${PV_GW_OUT[a]}")
echo "this is not = a [valid" >> "$T/a.conf"
kill -HUP "${PV_GW_PID[a]}"
sleep 1
if tail -c +"$((out_off + 1))" "${PV_GW_OUT[a]}" | grep -q "reload refused.*a.conf:[0-9]*:"; then
	it_ok "SIGHUP with a broken file: refused with FILE:LINE"
else it_notok "SIGHUP with a broken file: refused with FILE:LINE" "${PV_GW_OUT[a]}"; fi
# the file's site-b has the old keys; the running (rekeyed) one keeps working
it_check "traffic continues after the refused reload" it_ping "$NS_A" "$IN_B"
cp "$T/a.conf.orig" "$T/a.conf"
sed -i "s|^spi-out = 0x00002001|spi-out = 0x2101|; s|^spi-in = 0x00001001|spi-in = 0x1101|" "$T/a.conf"
sed -i "s|^key-out-file = .*|key-out-file = $T/rk.ab|; s|^key-in-file = .*|key-in-file = $T/rk.ba|" "$T/a.conf"
cat >> "$T/a.conf" <<EOC

[peer p2]
endpoint = $WAN_B:4500
subnets = 198.19.2.0/24
cipher = $CIPHER
spi-out = 0x3001
key-out-file = $T/p2.ab
spi-in = 0x3002
key-in-file = $T/p2.ba
EOC
out_off=$(stat -c %s "${PV_GW_OUT[a]}")
kill -HUP "${PV_GW_PID[a]}"
sleep 1
if tail -c +"$((out_off + 1))" "${PV_GW_OUT[a]}" | grep -q "1 peer(s) added, 0 removed"; then
	it_ok "SIGHUP with a good file: p2 added"
else it_notok "SIGHUP with a good file: p2 added" "${PV_GW_OUT[a]}"; fi
it_check "p2 passes after the reload" p2_ping
it_check "site-b still passes after the reload" it_ping "$NS_A" "$IN_B"
cp "$T/a.conf.orig" "$T/a.conf"
sed -i "s|^spi-out = 0x00002001|spi-out = 0x2101|; s|^spi-in = 0x00001001|spi-in = 0x1101|" "$T/a.conf"
sed -i "s|^key-out-file = .*|key-out-file = $T/rk.ab|; s|^key-in-file = .*|key-in-file = $T/rk.ba|" "$T/a.conf"
kill -HUP "${PV_GW_PID[a]}"
sleep 1
if p2_ping; then it_notok "SIGHUP removing p2: its traffic stops"; else it_ok "SIGHUP removing p2: its traffic stops"; fi
grep -q "wrong\|invalid" "${PV_GW_ERR[a]}" && it_notok "no error on A's stderr" "${PV_GW_ERR[a]}" || true
pv_gw_stop a && it_ok "A stops cleanly" || it_notok "A stops cleanly" "${PV_GW_ERR[a]}"
pv_gw_stop b
it_done
