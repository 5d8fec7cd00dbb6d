#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# IKEv2 under a flood of IKE_SA_INIT requests from spoofed sources (RFC 7296
# 2.6): stateless COOKIEs keep the half-open SAs bounded, the gateway's
# memory and the established tunnel survive.
#
#   ns A: vpn0 198.19.0.1 --[pmdvpn A]-- veth 198.18.0.1 ---+
#                                                           br (ns F) 198.18.0.250: ike_flood.py
#   ns B: vpn0 198.19.1.1 --[pmdvpn B]-- veth 198.18.0.2 ---+
#
# A initiates to B; B is a responder for any address (no endpoint, only a
# remote-id), the configuration a flood from anywhere can reach: every
# well-formed request is worth a half-open SA until cookie_threshold (16)
# half-open SAs exist, then only a COOKIE notify. ike_flood.py (ns F) sends
# as many IKE_SA_INIT requests as it can for a few seconds, each from a
# random address of 198.18.0.0/24 and a random port (a raw socket; B's
# answers go to addresses nobody answers ARP for: no-neighbour drops), while
# A pings B through the tunnel. Checks: a single request is answered (the
# encoding is right) and so is one, returning its cookie, during the flood;
# both gateways stay up; half-open reaches the threshold and stays bounded;
# the flood is answered with cookies (missing-cookie drops, no more
# datagrams out than in); B's RSS grows by < 50 MB; the IKE SA and
# CHILD_SA keep their SPIs and ping works after the flood; the half-open
# SAs expire after 30 s and a request is answered without a cookie again.
# Rates (sent, received, CPU) and the ping loss during the flood are TAP
# comments. The log stays bounded (drop lines are rate-limited, not one
# per spoofed datagram).
# FLOOD_DURATION (s, 6) and FLOOD_COUNT (200000) size the flood.
#
# Output: one "ok"/"not ok" line per check (TAP); exit status 1 on failure,
# 77 when not root.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CTL=${PMDVPN_CTL:-$SRCDIR/usertools/pmdvpn-ctl}
FLOOD=$IT_DIR/ike_flood.py
FLOOD_DURATION=${FLOOD_DURATION:-6}     # seconds
FLOOD_COUNT=${FLOOD_COUNT:-200000}      # upper bound on datagrams
COOKIE_THRESHOLD=16 MAX_SAS=64 HALF_OPEN_S=30
RSS_MAX_KB=$((50 * 1024))

it_init
command -v python3 > /dev/null || { echo "Bail out! python3 missing (pmdvpn-ctl needs it)"; exit 1; }

# ------------------------------------------------------------ topology
NS_F=${PV_ID}f BR=${PV_ID}br FA=${PV_ID}fa FB=${PV_ID}fb
FLOOD_IP=198.18.0.250
pv_ns_create "$NS_A" && pv_ns_create "$NS_B" && pv_ns_create "$NS_F" &&
	pv_veth "$NS_A" "$VETH_A" "$NS_F" "$FA" && pv_veth "$NS_B" "$VETH_B" "$NS_F" "$FB" &&
	ip -n "$NS_F" link add "$BR" type bridge stp_state 0 forward_delay 0 &&
	ip netns exec "$NS_F" sysctl -q -w "net.ipv6.conf.$BR.disable_ipv6=1" &&
	ip -n "$NS_F" link set "$FA" master "$BR" && ip -n "$NS_F" link set "$FB" master "$BR" &&
	ip -n "$NS_F" addr add "$FLOOD_IP/24" dev "$BR" && ip -n "$NS_F" link set "$BR" up ||
	{ echo "Bail out! cannot create namespaces/bridge"; exit 1; }
# the probe's datagrams leave through a real UDP socket: finish their
# checksums here, the gateway reads them off its veth by AF_PACKET
command -v ethtool > /dev/null && ip netns exec "$NS_F" ethtool -K "$BR" tx off > /dev/null 2>&1

# ------------------------------------------------------------ helpers
# shellcheck source=lib_ike.sh
. "$IT_DIR/lib_ike.sh"
# ike_ids GW PEER: "SPIi SPIr spi-in spi-out" of the IKE SA and its CHILD_SA
ike_ids() {
	ike_line "$1" "$2" | sed -n 's/.* spi-i \([0-9a-f]\{16\}\) spi-r \([0-9a-f]\{16\}\).* child spi-in \(0x[0-9a-f]\{8\}\) spi-out \(0x[0-9a-f]\{8\}\).*/\1 \2 \3 \4/p'
}
# summary GW > file: the "ike: ..." line of show ike
summary() { ctl "$1" show ike | grep '^ike: '; }
# sum_val FILE FIELD: rx, tx, half-open, or a drop reason's count
sum_val() {
	local f=$1 k=$2
	case $k in
	rx) sed -n 's/.*; rx \([0-9]*\) .*/\1/p' "$f" ;;
	malformed) sed -n 's/.*(\([0-9]*\) malformed).*/\1/p' "$f" ;;
	tx) sed -n 's/.* tx \([0-9]*\) (.*/\1/p' "$f" ;;
	half-open) sed -n 's/.*; half-open \([0-9]*\).*/\1/p' "$f" ;;
	*) grep -oE "; $k [0-9]+" "$f" | grep -oE '[0-9]+$' || echo 0 ;;
	esac | head -1
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# ike_tid PID: the IKE control thread (rte_ctrl_thread_create names it)
ike_tid() {
	local t
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = pmdvpn-ike ] && { basename "$t"; return 0; }
	done
	return 1
}
task_cpu() { sed 's/.*) //' "/proc/$1/task/$2/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
HZ=$(getconf CLK_TCK)
secs() { awk -v t="$1" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }'; }
probe() { timeout 20 ip netns exec "$NS_F" python3 "$FLOOD" probe --dst "$WAN_B" --src "$FLOOD_IP" "$@"; }
start_gw() {
	if pv_gw_start "$1" "$2" "$3" 30; then
		it_ok "gateway $1 ready"
		return 0
	fi
	it_notok "gateway $1 ready" "${PV_GW_ERR[$1]}" "${PV_GW_OUT[$1]}"
	it_done
}
alive() { kill -0 "${PV_GW_PID[$1]}" 2>/dev/null; }
log_lines() { cat "${PV_GW_OUT[$1]}" "${PV_GW_ERR[$1]}" | wc -l; }

# ------------------------------------------------------------ configs
PSK=$(pv_randhex 16)
gw_conf() {    # gw_conf SIDE
	local wan veth in peer sub
	if [ "$1" = a ]; then wan=$WAN_A veth=$VETH_A in=$IN_A peer=site-b sub=198.19.1.0/24
	else wan=$WAN_B veth=$VETH_B in=$IN_B peer=site-a sub=198.19.0.0/24; fi
	cat <<EOF
# generated by $IT_NAME
[gateway]
wan = net_af_packet0,iface=$veth,blocksz=4096,framesz=2048,framecnt=512,qpairs=1
wan-address = $wan/24
inside = tap
inside-name = vpn0
inside-address = $in/24
state-file = $T/$1.state

[peer $peer]
subnets = $sub
psk = $PSK
ike = aes256gcm16-prfsha256-x25519
esp = aes256gcm16
dpd = 30s
EOF
	if [ "$1" = a ]; then
		printf 'endpoint = %s\nlocal-id = gw-a.example.net\nremote-id = gw-b.example.net\ninitiate = yes\n' "$WAN_B"
	else
		# no endpoint: any address may start an IKE SA (and so may a flood)
		printf 'local-id = gw-b.example.net\nremote-id = gw-a.example.net\n'
	fi
}
gw_conf a > "$T/a.conf"
gw_conf b > "$T/b.conf"

# ================================================================ set-up
start_gw b "$NS_B" "$T/b.conf"
start_gw a "$NS_A" "$T/a.conf"
it_wait_inside
if wait_state a site-b established 15 && wait_state b site-a established 5; then
	it_ok "A initiated, B (responder for any address) answered: both established"
else
	ctl a show ike > "$T/ike-a.txt"; ctl b show ike > "$T/ike-b.txt"
	it_notok "both established" "$T/ike-a.txt" "$T/ike-b.txt" "${PV_GW_ERR[a]}" "${PV_GW_ERR[b]}"
	it_done
fi
it_check "ping A -> B through the tunnel" it_ping "$NS_A" "$IN_B"
IDS_A=$(ike_ids a site-b) IDS_B=$(ike_ids b site-a)

# ---- one request, no flood: answered with SA, KE, Nonce (a half-open SA)
summary b > "$T/sum0.txt"
probe > "$T/probe0.txt" 2>&1
summary b > "$T/sum1.txt"
if grep -q '^response init' "$T/probe0.txt"; then
	it_ok "one IKE_SA_INIT from $FLOOD_IP is answered with SA, KE and Nonce ($(cut -c10- "$T/probe0.txt"))"
else
	it_notok "one IKE_SA_INIT from $FLOOD_IP is answered with SA, KE and Nonce" "$T/probe0.txt" "$T/sum1.txt"
fi
it_expect "show ike on B counted it (rx)" $(($(sum_val "$T/sum1.txt" rx) - $(sum_val "$T/sum0.txt" rx))) -ge 1
it_expect "show ike on B counted the answer (tx)" $(($(sum_val "$T/sum1.txt" tx) - $(sum_val "$T/sum0.txt" tx))) -ge 1
it_expect "B has one half-open SA" "$(sum_val "$T/sum1.txt" half-open)" -eq 1

# ================================================================ the flood
PID_B=${PV_GW_PID[b]}
TID_B=$(ike_tid "$PID_B") || TID_B=""
it_stats b > /dev/null
full0=$(pv_counter 'drop ike-full' < "$T/stats-b.txt")
nn0=$(pv_counter 'drop no-neighbour' < "$T/stats-b.txt")
arp0=$(pv_counter 'event arp-requested' < "$T/stats-b.txt")
rss0=$(rss_kb "$PID_B") rss_max=$rss0
cpu0=$(pv_proc_cpu "$PID_B")
tcpu0=$([ -n "$TID_B" ] && task_cpu "$PID_B" "$TID_B" || echo 0)
logs0=$(log_lines b)

# 20 pings a second A -> B through the tunnel, across the flood and after it
PING_N=$(( (FLOOD_DURATION + 4) * 20 ))
timeout 60 ip netns exec "$NS_A" ping -n -q -i 0.05 -W 1 -c "$PING_N" "$IN_B" > "$T/ping-flood.log" 2>&1 &
PING_PID=$!
sleep 1
ip netns exec "$NS_F" python3 "$FLOOD" flood --dst "$WAN_B" --net 198.18.0.0/24 \
	--exclude "$WAN_A,$WAN_B,$FLOOD_IP" --count "$FLOOD_COUNT" --duration "$FLOOD_DURATION" \
	> "$T/flood.txt" 2>&1 &
FLOOD_PID=$!
PV_PIDS+=("$FLOOD_PID")

# during the flood: alive, half-open and RSS once a second; halfway, a
# legitimate initiator gets a cookie and gets through by returning it
ho_max=0 dead=0 probed=0 samples=0
t0=$(date +%s)
while kill -0 "$FLOOD_PID" 2>/dev/null; do
	alive b || { dead=1; break; }
	if summary b > "$T/sum-flood.txt"; then
		ho=$(sum_val "$T/sum-flood.txt" half-open)
		[ -n "$ho" ] && [ "$ho" -gt "$ho_max" ] && ho_max=$ho
		samples=$((samples + 1))
	fi
	r=$(rss_kb "$PID_B"); [ "$r" -gt "$rss_max" ] && rss_max=$r
	if [ "$probed" = 0 ] && [ $(( $(date +%s) - t0 )) -ge $((FLOOD_DURATION / 2)) ]; then
		probe --cookie-retry --tries 8 > "$T/probe-flood.txt" 2>&1
		probed=1
	fi
	sleep 0.5
done
wait "$FLOOD_PID"
flood_rc=$?
summary b > "$T/sum2.txt"
r=$(rss_kb "$PID_B"); [ "$r" -gt "$rss_max" ] && rss_max=$r
cpu1=$(pv_proc_cpu "$PID_B")
tcpu1=$([ -n "$TID_B" ] && task_cpu "$PID_B" "$TID_B" || echo 0)
ho=$(sum_val "$T/sum2.txt" half-open); [ -n "$ho" ] && [ "$ho" -gt "$ho_max" ] && ho_max=$ho
wait "$PING_PID"
logs=$(( $(log_lines b) - logs0 ))

sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' "$T/flood.txt")
if [ "$flood_rc" = 0 ] && [ -n "$sent" ]; then
	it_ok "flood: $(cat "$T/flood.txt")"
else
	it_notok "flood generator ran" "$T/flood.txt"
	sent=0
fi
if [ "$dead" = 0 ] && alive b && alive a; then
	it_ok "both gateways alive during and after the flood ($samples samples of show ike on B)"
else
	it_notok "both gateways alive during and after the flood" "${PV_GW_ERR[b]}" "${PV_GW_OUT[b]}"
	it_done
fi

rx=$(( $(sum_val "$T/sum2.txt" rx) - $(sum_val "$T/sum1.txt" rx) ))
tx=$(( $(sum_val "$T/sum2.txt" tx) - $(sum_val "$T/sum1.txt" tx) ))
ck=$(( $(sum_val "$T/sum2.txt" 'missing or wrong cookie') - $(sum_val "$T/sum1.txt" 'missing or wrong cookie') ))
bad=$(( $(sum_val "$T/sum2.txt" malformed) - $(sum_val "$T/sum1.txt" malformed) ))
it_stats b > /dev/null
full=$(( $(pv_counter 'drop ike-full' < "$T/stats-b.txt") - full0 ))
nn=$(( $(pv_counter 'drop no-neighbour' < "$T/stats-b.txt") - nn0 ))
arp=$(( $(pv_counter 'event arp-requested' < "$T/stats-b.txt") - arp0 ))
echo "# flood: sent $sent; B's IKE thread received $rx ($bad malformed), sent $tx;" \
	"$ck missing-cookie drops; workers shed $full as ike-full and $nn replies as no-neighbour" \
	"($arp ARP requests sent)"
echo "# flood: B's CPU $(secs $((cpu1 - cpu0))) s (all threads, polling workers included)," \
	"IKE thread $(secs $((tcpu1 - tcpu0))) s; RSS $rss0 -> max $rss_max kB"
echo "# B after the flood: $(cat "$T/sum2.txt")"

it_expect "B's IKE thread received part of the flood (datagrams)" "$rx" -gt $((COOKIE_THRESHOLD * 4))
it_expect "B received no more than was sent (datagrams)" "$rx" -le $((sent + 10))
it_expect "half-open SAs reached the cookie threshold (max seen)" "$ho_max" -ge "$COOKIE_THRESHOLD"
it_expect "half-open SAs stayed bounded: threshold + the probes (max seen)" "$ho_max" -le $((COOKIE_THRESHOLD + 4))
it_expect "half-open SAs below max_sas (max seen)" "$ho_max" -lt "$MAX_SAS"
# lib/ike answers each request past the threshold with one COOKIE notify
# (counted as a "missing or wrong cookie" drop, and in tx: tx stays close
# to rx, it is the drop count that shows the cookie path); the rest made
# the half-open SAs (the flood's first ones and the probe returning its
# cookie) or were a probe's retransmissions answered from the cache
it_expect "the flood was answered with COOKIEs (missing-cookie drops)" "$ck" -ge $((rx - COOKIE_THRESHOLD - 10))
it_expect "one datagram out per request at most: no amplification (tx)" "$tx" -le $((rx + 10))
it_expect "no request parsed as malformed" "$bad" -eq 0
if [ "$full" -gt 0 ]; then it_ok "the workers shed the excess as ike-full ($full)"
else it_ok "the IKE ring never filled (ike-full 0; allowed)"; fi
it_expect "B's RSS grew by less than $((RSS_MAX_KB / 1024)) MB during the flood (kB)" $((rss_max - rss0)) -lt "$RSS_MAX_KB"
# an attacker must not choose how much the gateway logs: at most a few
# lines a second (rate-limited or summed up), not one per datagram
grep -hE 'drop: ' "${PV_GW_ERR[b]}" "${PV_GW_OUT[b]}" | sort | uniq -c | sort -rn | head -3 | sed 's/^/# log lines: /'
it_expect "B wrote a bounded log for the flood (lines; ike_gw.c: 10 drop lines a second)" "$logs" -le 1000

# the legitimate initiator during the flood
if [ "$(grep -c '^response' "$T/probe-flood.txt" 2>/dev/null)" = 2 ] &&
	grep -q '^response cookie' "$T/probe-flood.txt" && tail -1 "$T/probe-flood.txt" | grep -q '^response init'; then
	it_ok "during the flood a new initiator is asked for a cookie, and answered once it returns it"
	sed 's/^/# probe during the flood: /' "$T/probe-flood.txt"
else
	it_notok "during the flood a new initiator is asked for a cookie, and answered once it returns it" \
		"$T/probe-flood.txt"
fi

# ---- the tunnel survived
lost=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$T/ping-flood.log" |
	awk '{ print $1 - $2; f = 1 } END { if (!f) print -1 }')
echo "# ping A -> B at 20/s across the flood: $lost of $PING_N lost"
[ "$lost" -ge 0 ] || sed 's/^/# /' "$T/ping-flood.log"
if [ "$(ike_state a site-b)" = established ] && [ "$(ike_state b site-a)" = established ] &&
	[ -n "$IDS_A" ] && [ "$(ike_ids a site-b)" = "$IDS_A" ] && [ "$(ike_ids b site-a)" = "$IDS_B" ]; then
	it_ok "the IKE SA and its CHILD_SA kept their SPIs on A and B ($IDS_A)"
else
	ctl a show ike > "$T/ike-a.txt"; ctl b show ike > "$T/ike-b.txt"
	it_notok "the IKE SA and its CHILD_SA kept their SPIs (before: A '$IDS_A', B '$IDS_B')" \
		"$T/ike-a.txt" "$T/ike-b.txt"
fi
it_check "ping A -> B after the flood" it_ping "$NS_A" "$IN_B"
it_check "ping B -> A after the flood" it_ping "$NS_B" "$IN_A"

# ---- the half-open SAs expire (30 s after they were made)
ok=0
for ((i = 0; i < (HALF_OPEN_S + FLOOD_DURATION + 10) * 2; i++)); do
	summary b > "$T/sum3.txt" && [ "$(sum_val "$T/sum3.txt" half-open)" = 0 ] && { ok=1; break; }
	sleep 0.5
done
if [ "$ok" = 1 ]; then
	it_ok "the half-open SAs expired ($(( $(date +%s) - t0 )) s after the flood began)"
	probe > "$T/probe-after.txt" 2>&1
	if grep -q '^response init' "$T/probe-after.txt"; then
		it_ok "after the expiry a request is answered without a cookie again"
	else
		it_notok "after the expiry a request is answered without a cookie again" "$T/probe-after.txt"
	fi
else
	it_notok "the half-open SAs expired" "$T/sum3.txt"
fi
it_expect "B's RSS after the expiry grew by less than $((RSS_MAX_KB / 1024)) MB (kB)" \
	$(( $(rss_kb "$PID_B") - rss0 )) -lt "$RSS_MAX_KB"

for g in a b; do
	pv_gw_stop "$g"
	it_expect "gateway $g exits 0 on SIGTERM" "$?" -eq 0
done
it_done
