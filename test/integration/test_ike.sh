#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# IKEv2 in the gateway: the control plane (lib/ike) negotiates the CHILD_SAs
# that the data plane uses, against strongSwan and against another pmdvpn.
#
#  A. pmdvpn <-> strongSwan. pmdvpn (net_af_packet on a veth, inside TAP) in
#     namespace A, charon with kernel-libipsec (ESP in UDP, userspace) in
#     namespace S, its inside host 198.19.1.1 on lo:
#       ns A: vpn0 198.19.0.1 --[pmdvpn]-- veth 198.18.0.1 ==== veth 198.18.0.2 --charon-- ipsec0 -- lo 198.19.1.1 :ns S
#     First the shipped pair conf/ike-strongswan.conf + conf/swanctl-peer.conf
#     as they are (only the WAN device and the state file replaced). Then one
#     run per ESP cipher with matching IKE proposals; pmdvpn initiates for
#     aes128gcm16 and chacha20poly1305, charon for aes256gcm16, and each of
#     the first two also swaps roles once (terminate, the other side
#     initiates). Each run: established, swanctl lists the SPIs pmdvpn shows
#     (in/out swapped), no-ESN (kernel-libipsec has no ESN), pings, iperf3
#     both ways, a CHILD_SA rekey started by pmdvpn and one by charon under
#     a 20 pps ping: new SPIs, no packet lost. Then charon is killed
#     (SIGKILL, no Delete) and restarted: DPD (2 s) notices, pmdvpn
#     re-initiates, traffic flows again.
#  B. pmdvpn <-> pmdvpn with the shipped pair conf/ike-a.conf / ike-b.conf
#     (WAN devices, inside name and state file replaced): up, SPIs agree, ESN
#     negotiated, pings, CHILD_SA rekeys from either side under ping with no
#     loss, an IKE SA rekey, `ike terminate` (traffic stops, counted as
#     peer-down drops), `ike initiate` brings it back.
#  C. A wrong PSK on one side: never established, an authentication failure
#     in the log, both gateways stay up.
# No PSK ever appears in any output.
#
# Output: one "ok"/"not ok" line per check (TAP); exit status 1 on failure,
# 77 when not root or strongSwan is missing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CTL=${PMDVPN_CTL:-$SRCDIR/usertools/pmdvpn-ctl}
CHARON=${CHARON:-/usr/lib/ipsec/charon}
LIBIPSEC=/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so

it_init
if [ ! -x "$CHARON" ] || ! command -v swanctl > /dev/null || [ ! -f "$LIBIPSEC" ] ||
	[ ! -c /dev/net/tun ]; then
	echo "1..0 # SKIP strongSwan (charon, swanctl, kernel-libipsec) or /dev/net/tun missing (usertools/pmdvpn-test.sh installs it)"
	exit 77
fi
command -v python3 > /dev/null || { echo "Bail out! python3 missing (pmdvpn-ctl needs it)"; exit 1; }
it_topology

# Namespace S (strongSwan) hangs off A by a second veth pair.
NS_S=${PV_ID}s VETH_AS=${PV_ID}wc VETH_S=${PV_ID}ws
SW_WAN=198.18.0.2 SW_IN=198.19.1.1
PEER=strongswan
pv_ns_create "$NS_S" && pv_veth "$NS_A" "$VETH_AS" "$NS_S" "$VETH_S" &&
	ip -n "$NS_S" addr add "$SW_WAN/24" dev "$VETH_S" &&
	ip -n "$NS_S" addr add "$SW_IN/32" dev lo ||
	{ echo "Bail out! cannot create namespace $NS_S"; exit 1; }
# The kernel leaves UDP checksums to the (virtual) NIC: AF_PACKET on the
# other end would see them unfinished. Charon's datagrams get real ones.
command -v ethtool > /dev/null && ip netns exec "$NS_S" ethtool -K "$VETH_S" tx off > /dev/null 2>&1
it_iperf_server "$NS_S"

PSK=$(pv_randhex 16)      # 32 characters of text
BAD_PSK=$(pv_randhex 16)

# ------------------------------------------------------------ helpers
# shellcheck source=lib_ike.sh
. "$IT_DIR/lib_ike.sh"

# wait_log GW REGEX SECS: REGEX (grep -E -i) in GW's stdout or stderr
wait_log() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qiE -- "$2" "${PV_GW_OUT[$1]}" "${PV_GW_ERR[$1]}" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ping_bg NS DST COUNT LOG [args]: 20 pings a second in the background (PING_PID)
ping_bg() {
	local ns=$1 dst=$2 n=$3 log=$4; shift 4
	timeout 60 ip netns exec "$ns" ping -n -q -i 0.05 -W 1 -c "$n" "$@" "$dst" > "$log" 2>&1 &
	PING_PID=$!
}
# ping_lost LOG: sent - received (the count sent when the summary is missing)
ping_lost() {
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$1" |
		awk '{ print $1 - $2; f = 1 } END { if (!f) print 9999 }'
}

# ---------------------------------------------------------------- strongSwan
# shellcheck source=../ike/charon.sh
. "$IT_DIR/../ike/charon.sh"
SW=$T/sw CHARON_DIR=$T/sw CHARON_SW_TIMEOUT=20
charon_conf -a -r 1/3 "$SW" "cfg = 2"
sw() { charon_sw "$@"; }
SW_PID="" SW_RUNS=0
# sw_start: charon in NS_S with its own /run (its pid file path is fixed)
sw_start() {
	SW_RUNS=$((SW_RUNS + 1))
	rm -f "$SW/charon.vici" "$SW/run/charon.pid"
	charon_argv
	pv_bg "$NS_S" "$SW/charon-$SW_RUNS.stdout" "${CHARON_ARGV[@]}"
	SW_PID=$PV_LAST_PID
	charon_wait
}
# sw_load FILE: charon's connections and secrets become FILE's
sw_load() { charon_load "$1"; }
# sw_conf IKE ESP > file: the connection "pmdvpn" (child "net") for one run,
# with the identities and PSK of the generated pmdvpn configs
sw_conf() {
	cat <<EOF
connections {
    pmdvpn {
        version = 2
        local_addrs = $SW_WAN
        remote_addrs = $WAN_A
        encap = yes
        mobike = no
        fragmentation = no
        reauth_time = 0
        dpd_delay = 0
        proposals = $1
        local {
            auth = psk
            id = sw.example.net
        }
        remote {
            auth = psk
            id = gw-a.example.net
        }
        children {
            net {
                mode = tunnel
                local_ts = 198.19.1.0/24
                remote_ts = 198.19.0.0/24
                esp_proposals = $2-noesn
                start_action = none
                dpd_action = clear
            }
        }
    }
}
secrets {
    ike-pmdvpn {
        id-1 = gw-a.example.net
        id-2 = sw.example.net
        secret = "$PSK"
    }
}
EOF
}
# sw_has IN OUT: charon lists an installed CHILD_SA whose inbound SPI is
# pmdvpn's OUT and whose outbound SPI is pmdvpn's IN
sw_has() {
	local sas
	[ -n "${1:-}" ] && [ -n "${2:-}" ] || return 1
	sas=$(sw --list-sas 2>/dev/null)
	grep -qE "^ +in +$2[ ,]" <<< "$sas" && grep -qE "^ +out +$1[ ,]" <<< "$sas"
}
wait_sw_has() {
	local i
	for ((i = 0; i < 20; i++)); do sw_has "$1" "$2" && return 0; sleep 0.25; done
	return 1
}
sw_no_ike() { ! sw --list-sas 2>/dev/null | grep -q '^pmdvpn:'; }

# gw_wan IFACE: the WAN line of the test gateways (small AF_PACKET rings)
gw_wan() { echo "wan = net_af_packet0,iface=$1,blocksz=4096,framesz=2048,framecnt=512,qpairs=1"; }

# gw_sw_conf IKE ESP INITIATE > file: pmdvpn A for one strongSwan run
gw_sw_conf() {
	cat <<EOF
# generated by $IT_NAME
[gateway]
$(gw_wan "$VETH_AS")
wan-address = $WAN_A/24
inside = tap
inside-name = vpn0
inside-address = $IN_A/24
state-file = $T/a.state

[peer $PEER]
endpoint = $SW_WAN
subnets = 198.19.1.0/24
psk = $PSK
local-id = gw-a.example.net
remote-id = sw.example.net
ike = $1
esp = $2
dpd = 2s
initiate = $3
EOF
}

# check_sa LABEL GW ESPNAME: pmdvpn's SPIs are charon's swapped, cipher as
# expected, UDP encapsulation, no ESN on either side. Sets SPIS.
check_sa() {
	local label=$1 g=$2 name=$3 sas
	SPIS=$(ike_spis "$g" "$PEER")
	if [ -n "$SPIS" ] && wait_sw_has $SPIS; then
		it_ok "$label: swanctl lists pmdvpn's CHILD_SA (spi-in/out $SPIS) swapped"
	else
		sw --list-sas > "$T/sas.txt" 2>&1; ctl "$g" show ike > "$T/ike.txt"
		it_notok "$label: swanctl lists pmdvpn's CHILD_SA ($SPIS) swapped" "$T/ike.txt" "$T/sas.txt"
	fi
	sw --list-sas > "$T/sas.txt" 2>&1
	if grep -qE "INSTALLED, TUNNEL-in-UDP, ESP:$name(,|$)" "$T/sas.txt" && ! grep -q 'ESP:.*ESN' "$T/sas.txt"; then
		it_ok "$label: charon: ESP:$name in UDP, no ESN"
	else
		it_notok "$label: charon: ESP:$name in UDP, no ESN" "$T/sas.txt"
	fi
	ctl "$g" show ike "$PEER" > "$T/ike-peer.txt"
	if grep -qiE 'esn:? no' "$T/ike-peer.txt"; then
		it_ok "$label: show ike $PEER says esn no"
	else
		it_notok "$label: show ike $PEER says esn no" "$T/ike-peer.txt"
	fi
}

# rekey_sw LABEL GW by-pmdvpn|by-charon: a CHILD_SA rekey while 20 pings a
# second cross: new SPIs on both sides, none lost
rekey_sw() {
	local label=$1 g=$2 who=$3 old new lost
	old=$(ike_spis "$g" "$PEER")
	ping_bg "$NS_A" "$SW_IN" 60 "$T/rekey-ping.log"
	sleep 0.8
	if [ "$who" = by-pmdvpn ]; then
		ctl "$g" ike rekey "$PEER" > "$T/rekey-cmd.txt"
	else
		sw --rekey --child net > "$T/rekey-cmd.txt" 2>&1
	fi
	new=$(wait_new_spis "$g" "$PEER" "$old" 8)
	wait "$PING_PID"
	if [ -n "$new" ] && wait_sw_has $new; then
		it_ok "$label: CHILD_SA rekey $who: new SPIs ($old -> $new), charon agrees"
	else
		sw --list-sas > "$T/sas.txt" 2>&1
		it_notok "$label: CHILD_SA rekey $who: new SPIs (old $old, now '$new')" "$T/rekey-cmd.txt" "$T/sas.txt" "${PV_GW_ERR[$g]}"
	fi
	lost=$(ping_lost "$T/rekey-ping.log")
	it_expect "$label: no ping lost during the rekey $who (60 at 20/s; lost)" "$lost" -eq 0
	[ "$lost" = 0 ] || sed 's/^/# /' "$T/rekey-ping.log"
}

# traffic_sw LABEL: pings both ways, iperf3 TCP 3 s each way
traffic_sw() {
	local label=$1 b
	it_check "$label: ping A -> strongSwan's inside" it_ping "$NS_A" "$SW_IN"
	it_check "$label: ping strongSwan's inside -> A" it_ping "$NS_S" "$IN_A" -I "$SW_IN"
	b=$(it_iperf "$NS_A" "$SW_IN" "$T/$label-up.json" -t 3)
	it_expect "$label: iperf3 TCP A -> strongSwan 3 s ($(it_mbps "$T/$label-up.json") Mbit/s; bytes)" "$b" -gt 0
	b=$(it_iperf "$NS_A" "$SW_IN" "$T/$label-down.json" -t 3 -R)
	it_expect "$label: iperf3 TCP strongSwan -> A 3 s ($(it_mbps "$T/$label-down.json") Mbit/s; bytes)" "$b" -gt 0
}

# start_gw NAME NS CONF LABEL: pv_gw_start with a check line
start_gw() {
	if pv_gw_start "$1" "$2" "$3" 30; then
		it_ok "$4: gateway $1 ready"
		return 0
	fi
	it_notok "$4: gateway $1 ready" "${PV_GW_ERR[$1]}" "${PV_GW_OUT[$1]}"
	pv_gw_stop "$1" > /dev/null 2>&1   # reaped; not reported twice
	return 1
}
stop_gw() {
	local rc
	[ -n "${PV_GW_PID[$1]:-}" ] || return 0
	pv_gw_stop "$1"; rc=$?
	it_expect "$2: gateway $1 exits 0 on SIGTERM" "$rc" -eq 0
}
# sw_reset: no SA left on charon before the next run
sw_reset() { sw --terminate --ike pmdvpn --force --timeout 2 > /dev/null 2>&1; true; }

# ================================================================ A. strongSwan
if sw_start; then
	it_ok "charon (kernel-libipsec) up in its namespace"
else
	it_notok "charon (kernel-libipsec) up in its namespace" "$SW/charon-1.stdout" "$SW/charon.log"
	it_done
fi

# ---- the shipped pair, as shipped (WAN device and state file aside)
L=shipped
sed -e "s|^wan = .*|$(gw_wan "$VETH_AS")|" -e "s|^state-file = .*|state-file = $T/a.state|" \
	"$SRCDIR/conf/ike-strongswan.conf" > "$T/shipped.conf"
if sw_load "$SRCDIR/conf/swanctl-peer.conf"; then
	it_ok "$L: swanctl loads conf/swanctl-peer.conf"
else
	it_notok "$L: swanctl loads conf/swanctl-peer.conf" "$SW/load.log"
fi
if start_gw s0 "$NS_A" "$T/shipped.conf" "$L"; then
	if wait_state s0 "$PEER" established 15; then
		it_ok "$L: conf/ike-strongswan.conf with conf/swanctl-peer.conf: established"
		check_sa "$L" s0 AES_GCM_16-256
		it_check "$L: ping A -> strongSwan's inside" it_ping "$NS_A" "$SW_IN"
		it_check "$L: ping strongSwan's inside -> A" it_ping "$NS_S" "$IN_A" -I "$SW_IN"
	else
		ctl s0 show ike > "$T/ike.txt"
		it_notok "$L: conf/ike-strongswan.conf with conf/swanctl-peer.conf: established" \
			"$T/ike.txt" "${PV_GW_ERR[s0]}" "$SW/charon.log"
	fi
	stop_gw s0 "$L"
fi
sw_reset

# ---- one run per cipher
# run_sw LABEL IKE ESP ESPNAME pmdvpn|charon
run_sw() {
	local label=$1 ike=$2 esp=$3 name=$4 init=$5 g=$6 old
	sw_conf "$ike" "$esp" > "$T/swanctl-$label.conf"
	if ! sw_load "$T/swanctl-$label.conf"; then
		it_notok "$label: swanctl loads the connection" "$SW/load.log"
		return 1
	fi
	gw_sw_conf "$ike" "$esp" "$([ "$init" = pmdvpn ] && echo yes || echo no)" > "$T/$label.conf"
	start_gw "$g" "$NS_A" "$T/$label.conf" "$label" || return 1
	[ "$init" = charon ] && sw --initiate --child net > "$T/init.log" 2>&1
	if wait_state "$g" "$PEER" established 15; then
		it_ok "$label: established, $init initiated"
	else
		ctl "$g" show ike > "$T/ike.txt"
		it_notok "$label: established, $init initiated" "$T/ike.txt" "${PV_GW_ERR[$g]}" "$SW/charon.log"
		return 1
	fi
	check_sa "$label" "$g" "$name"
	traffic_sw "$label"
	rekey_sw "$label" "$g" by-pmdvpn
	rekey_sw "$label" "$g" by-charon

	# the roles swapped, on the same pmdvpn
	old=$(ike_spis "$g" "$PEER")
	if [ "$init" = pmdvpn ]; then
		ctl "$g" ike terminate "$PEER" > "$T/term.txt"
		local i gone=1
		for ((i = 0; i < 20; i++)); do sw_no_ike && break; sleep 0.25; done
		sw_no_ike || gone=0
		if [ "$gone" = 1 ] && [ "$(ike_state "$g" "$PEER")" = none ]; then
			it_ok "$label: ike terminate: Delete sent, charon has no SA left, state none"
		else
			sw --list-sas > "$T/sas.txt" 2>&1
			it_notok "$label: ike terminate: charon has no SA left, state none" "$T/term.txt" "$T/sas.txt"
		fi
		sw --initiate --child net > "$T/init.log" 2>&1
	else
		sw --terminate --ike pmdvpn > "$T/term.txt" 2>&1
		if wait_state "$g" "$PEER" none 5; then
			it_ok "$label: charon's Delete: pmdvpn's state none"
		else
			ctl "$g" show ike > "$T/ike.txt"
			it_notok "$label: charon's Delete: pmdvpn's state none" "$T/ike.txt" "$T/term.txt"
		fi
		ctl "$g" ike initiate "$PEER" > "$T/init.log"
	fi
	if wait_new_spis "$g" "$PEER" "$old" 15 > /dev/null; then
		it_ok "$label: roles swapped ($([ "$init" = pmdvpn ] && echo charon || echo pmdvpn) initiated): established again"
		SPIS=$(ike_spis "$g" "$PEER")
		if wait_sw_has $SPIS; then it_ok "$label: swapped roles: charon lists the SPIs ($SPIS)"
		else sw --list-sas > "$T/sas.txt" 2>&1; it_notok "$label: swapped roles: charon lists the SPIs ($SPIS)" "$T/sas.txt"; fi
		it_check "$label: swapped roles: ping A -> strongSwan's inside" it_ping "$NS_A" "$SW_IN"
	else
		ctl "$g" show ike > "$T/ike.txt"
		it_notok "$label: roles swapped: established again" "$T/init.log" "$T/ike.txt" "$SW/charon.log"
	fi
	return 0
}

run_sw aes128gcm16 aes128gcm16-prfsha256-x25519 aes128gcm16 AES_GCM_16-128 pmdvpn s1
stop_gw s1 aes128gcm16
sw_reset
run_sw aes256gcm16 aes256gcm16-prfsha384-ecp256 aes256gcm16 AES_GCM_16-256 charon s2
stop_gw s2 aes256gcm16
sw_reset

# chacha20poly1305, pmdvpn initiating, then charon dies
L=chacha20poly1305
if run_sw $L chacha20poly1305-prfsha512-x25519 chacha20poly1305 CHACHA20_POLY1305 pmdvpn s3 &&
	[ "$(ike_state s3 "$PEER")" = established ]; then
	# ---- charon killed without a Delete, restarted at once: DPD (2 s)
	# finds the IKE SA dead, pmdvpn (initiate = yes) starts a new one
	L=dpd
	old=$(ike_spis s3 "$PEER")
	kill -KILL "$SW_PID"; wait "$SW_PID" 2>/dev/null
	t0=$(date +%s)
	sleep 0.5
	sw_start && sw_load "$T/swanctl-chacha20poly1305.conf" || it_notok "$L: charon restarted" "$SW/load.log"
	noticed=0 back=0
	# lib/ike declares a peer dead when a request (here the DPD probe, sent
	# after dpd = 2 s without traffic) goes unanswered through its back-off:
	# retransmissions after 1, 2, 4, 8, 16 s, then 16 s more: 2 + 47 s.
	while [ $(( $(date +%s) - t0 )) -lt 65 ]; do
		st=$(ike_state s3 "$PEER") s=$(ike_spis s3 "$PEER")
		if [ "$noticed" = 0 ] && { [ "$st" != established ] || [ "$s" != "$old" ]; }; then
			noticed=$(( $(date +%s) - t0 ))s
		fi
		if [ "$st" = established ] && [ -n "$s" ] && [ "$s" != "$old" ] &&
			timeout 3 ip netns exec "$NS_A" ping -n -c 1 -W 1 "$SW_IN" > /dev/null 2>&1; then
			back=$(( $(date +%s) - t0 ))
			break
		fi
		sleep 0.5
	done
	if [ "$noticed" != 0 ]; then
		it_ok "$L: charon killed: pmdvpn noticed the dead IKE SA (after $noticed)"
	else
		it_notok "$L: charon killed: pmdvpn noticed the dead IKE SA" "${PV_GW_ERR[s3]}"
	fi
	if [ "$back" != 0 ]; then
		it_expect "$L: re-initiated to the restarted charon, traffic flows again (seconds after the kill)" "$back" -le 55
		SPIS=$(ike_spis s3 "$PEER")
		if wait_sw_has $SPIS; then it_ok "$L: the restarted charon lists the new SPIs ($SPIS)"
		else sw --list-sas > "$T/sas.txt" 2>&1; it_notok "$L: the restarted charon lists the new SPIs ($SPIS)" "$T/sas.txt"; fi
		it_check "$L: ping strongSwan's inside -> A after the restart" it_ping "$NS_S" "$IN_A" -I "$SW_IN"
	else
		ctl s3 show ike > "$T/ike.txt"
		it_notok "$L: re-initiated to the restarted charon, traffic flows again within 65 s" \
			"$T/ike.txt" "${PV_GW_ERR[s3]}" "$SW/charon.log"
	fi
fi
stop_gw s3 "$L"
pv_stop_pid "$SW_PID" 5

# ================================================================ B. pmdvpn <-> pmdvpn
# The shipped pair: A initiates (initiate = yes), B answers.
# pair_confs [PSK_B]: $T/pa.conf, $T/pb.conf from conf/ike-a.conf, ike-b.conf
pair_confs() {
	sed -e "s|^wan = .*|$(gw_wan "$VETH_A")|" -e "s|^state-file = .*|state-file = $T/pa.state|" \
		"$SRCDIR/conf/ike-a.conf" > "$T/pa.conf"
	sed -e "s|^wan = .*|$(gw_wan "$VETH_B")|" -e "s|^state-file = .*|state-file = $T/pb.state|" \
		-e "s|^inside-name = .*|inside-name = vpn0|" \
		"$SRCDIR/conf/ike-b.conf" > "$T/pb.conf"
	[ -n "${1:-}" ] && sed -i "s|^psk = .*|psk = $1|" "$T/pb.conf"
	return 0
}
PA=site-b PB=site-a

# rekey_pair LABEL GW PEER: CHILD_SA rekey started by GW under ping
# sa_drops GW: packets GW dropped for want of an SA (or with a stale one)
sa_drops() {
	local d
	it_stats "$1" > "$T/drops-$1.txt"
	for d in no-sa auth-failure replay peer-down; do
		pv_counter "drop $d" < "$T/drops-$1.txt"
	done | awk '{ s += $1 } END { print s + 0 }'
}

# pair_load_and_restart: A reloads its file with rekey-time = 3s and dpd =
# 2s; iperf3 TCP runs 10 s through CHILD_SA rekeys every ~3 s: the SPIs
# change at least twice and neither gateway drops a packet for want of an
# SA (no-sa, auth-failure, replay, peer-down). Then B is killed (SIGKILL,
# no Delete) and started again: A's DPD notices, A re-initiates, traffic
# flows again.
pair_load_and_restart() {
	local k s s0 s1 n0 n1 da0 db0 da1 db1 t0 b i
	sed -i -e 's/^rekey-time = .*/rekey-time = 3s/' -e 's/^dpd = .*/dpd = 2s/' "$T/pa.conf"
	ctl a reload > "$T/reload.txt"
	if ! wait_state a "$PA" established 20 || ! wait_state b "$PB" established 5; then
		it_notok "$L: reload with rekey-time 3s: established again" "$T/reload.txt"
		return 0
	fi
	it_ok "$L: reload with rekey-time 3s, dpd 2s: established again"
	s0=$(ike_spis a "$PA")
	n0=$(grep -c 'CHILD_SA installed' "${PV_GW_OUT[a]}")
	da0=$(sa_drops a) db0=$(sa_drops b)
	it_iperf_server "$NS_B"
	b=$(it_iperf "$NS_A" "$IN_B" "$T/rekey-iperf.json" -t 10)
	n1=$(grep -c 'CHILD_SA installed' "${PV_GW_OUT[a]}")
	s1=$(ike_spis a "$PA")
	da1=$(sa_drops a) db1=$(sa_drops b)
	echo "# rekeys under iperf3: $((n1 - n0)) CHILD_SAs installed on A ($s0 -> $s1)," \
		"$(it_mbps "$T/rekey-iperf.json") Mbit/s," \
		"$(jq -r '.end.sum_sent.retransmits // "?"' "$T/rekey-iperf.json" 2>/dev/null) retransmits"
	it_expect "$L: iperf3 10 s through rekeys every 3 s carried data (bytes)" "${b:-0}" -gt 0
	it_expect "$L: ... with at least 2 CHILD_SA rekeys on A" "$((n1 - n0))" -ge 2
	it_expect "$L: ... and A dropped nothing for want of an SA (no-sa, auth-failure, replay, peer-down)" \
		"$((da1 - da0))" -eq 0
	it_expect "$L: ... nor did B" "$((db1 - db0))" -eq 0

	# B dies without a word and comes back: A's DPD finds out, A initiates
	kill -KILL "${PV_GW_PID[b]}"; wait "${PV_GW_PID[b]}" 2>/dev/null
	PV_GW_PID[b]=
	t0=$(date +%s)
	start_gw b "$NS_B" "$T/pb.conf" "$L" || return 0
	k=0
	for ((i = 0; i < 90; i++)); do
		s=$(ike_spis b "$PB")
		if [ -n "$s" ] && [ "$(ike_state a "$PA")" = established ] &&
		   timeout 3 ip netns exec "$NS_A" ping -n -c 1 -W 1 "$IN_B" > /dev/null 2>&1; then
			k=1; break
		fi
		sleep 1
	done
	if [ $k = 1 ]; then
		it_ok "$L: B killed and restarted: A's DPD noticed, A re-initiated, ping flows ($(( $(date +%s) - t0 )) s)"
	else
		ctl a show ike > "$T/ike-a.txt"
		it_notok "$L: B killed and restarted: A's DPD noticed, A re-initiated, ping flows" \
			"$T/ike-a.txt" "${PV_GW_ERR[a]}"
	fi
}

rekey_pair() {
	local label=$1 g=$2 p=$3 old new sb lost
	old=$(ike_spis a "$PA")
	ping_bg "$NS_A" "$IN_B" 60 "$T/rekey-ping.log"
	sleep 0.8
	ctl "$g" ike rekey "$p" > "$T/rekey-cmd.txt"
	new=$(wait_new_spis a "$PA" "$old" 8)
	wait "$PING_PID"
	sb=$(ike_spis b "$PB")
	if [ -n "$new" ] && [ "$sb" = "${new#* } ${new% *}" ]; then
		it_ok "$label: new SPIs ($old -> $new), B's are A's swapped"
	else
		it_notok "$label: new SPIs (old $old, A now '$new', B '$sb')" "$T/rekey-cmd.txt" "${PV_GW_ERR[a]}" "${PV_GW_ERR[b]}"
	fi
	lost=$(ping_lost "$T/rekey-ping.log")
	it_expect "$label: no ping lost (60 at 20/s; lost)" "$lost" -eq 0
	[ "$lost" = 0 ] || sed 's/^/# /' "$T/rekey-ping.log"
}

L=pmdvpn-pair
pair_confs
if start_gw b "$NS_B" "$T/pb.conf" "$L" && start_gw a "$NS_A" "$T/pa.conf" "$L"; then
	it_wait_inside
	if wait_state a "$PA" established 15 && wait_state b "$PB" established 5; then
		it_ok "$L: conf/ike-a.conf initiated, conf/ike-b.conf answered: both established"
		sa=$(ike_spis a "$PA") sb=$(ike_spis b "$PB")
		if [ -n "$sa" ] && [ "$sb" = "${sa#* } ${sa% *}" ]; then
			it_ok "$L: B's spi-in/out are A's spi-out/in ($sa)"
		else
			it_notok "$L: B's spi-in/out are A's spi-out/in (A '$sa', B '$sb')"
		fi
		ctl a show ike "$PA" > "$T/ike-a.txt"; ctl b show ike "$PB" > "$T/ike-b.txt"
		if grep -qiE 'esn:? yes' "$T/ike-a.txt" && grep -qiE 'esn:? yes' "$T/ike-b.txt"; then
			it_ok "$L: ESN negotiated (show ike says esn yes on both)"
		else
			it_notok "$L: ESN negotiated (show ike says esn yes on both)" "$T/ike-a.txt" "$T/ike-b.txt"
		fi
		ctl a show config > /dev/null   # kept for the PSK check below
		it_check "$L: ping A -> B" it_ping "$NS_A" "$IN_B"
		it_check "$L: ping B -> A" it_ping "$NS_B" "$IN_A"
		rekey_pair "$L: CHILD_SA rekey by A (initiator)" a "$PA"
		# the shipped pair offers esp = ...-x25519: a rekey's keys come from a new DH
		if ike_line a "$PA" | grep -q ' aes256gcm16-x25519 esn yes' &&
		   ike_line b "$PB" | grep -q ' aes256gcm16-x25519 esn yes'; then
			it_ok "$L: the rekeyed CHILD_SA has PFS (x25519) on both sides"
		else
			ctl a show ike > "$T/ike-a.txt"; ctl b show ike > "$T/ike-b.txt"
			it_notok "$L: the rekeyed CHILD_SA has PFS (x25519) on both sides" "$T/ike-a.txt" "$T/ike-b.txt"
		fi
		rekey_pair "$L: CHILD_SA rekey by B (responder)" b "$PB"

		# IKE SA rekey: new IKE SPIs on both, the CHILD_SA moves over untouched
		sa=$(ike_spis a "$PA") ka=$(ike_sa_spis a "$PA")
		ctl a ike rekey-ike "$PA" > "$T/rekey-ike.txt"
		for ((i = 0; i < 20; i++)); do
			kn=$(ike_sa_spis a "$PA")
			[ -n "$kn" ] && [ "$kn" != "$ka" ] && [ "$(ike_state a "$PA")" = established ] && break
			sleep 0.25
		done
		if [ -n "$kn" ] && [ "$kn" != "$ka" ] && [ "$(ike_sa_spis b "$PB")" = "$kn" ] &&
			[ "$(ike_spis a "$PA")" = "$sa" ] && [ "$(ike_state b "$PB")" = established ] &&
			it_ping "$NS_A" "$IN_B" > "$T/last.log" 2>&1; then
			it_ok "$L: IKE SA rekey by A: new IKE SPIs on both ($ka -> $kn), CHILD_SA kept, traffic flows"
		else
			ctl a show ike > "$T/ike-a.txt"; ctl b show ike > "$T/ike-b.txt"
			it_notok "$L: IKE SA rekey by A: still established, CHILD_SA kept, traffic flows" \
				"$T/rekey-ike.txt" "$T/ike-a.txt" "$T/ike-b.txt" "$T/last.log"
		fi

		# terminate: the peer's traffic is dropped (peer-down), not sent in clear
		ctl a ike terminate "$PA" > "$T/term.txt"
		if wait_state a "$PA" none 5 && wait_state b "$PB" none 5; then
			it_ok "$L: ike terminate on A: state none on A and B"
		else
			ctl a show ike > "$T/ike-a.txt"; ctl b show ike > "$T/ike-b.txt"
			it_notok "$L: ike terminate on A: state none on A and B" "$T/term.txt" "$T/ike-a.txt" "$T/ike-b.txt"
		fi
		d0=$(it_stats a | pv_counter 'drop peer-down')
		if timeout 10 ip netns exec "$NS_A" ping -n -c 5 -i 0.2 -W 1 "$IN_B" > "$T/ping-down.log" 2>&1; then
			it_notok "$L: after terminate, A -> B gets no reply" "$T/ping-down.log"
		else
			it_ok "$L: after terminate, A -> B gets no reply"
		fi
		d1=$(it_stats a | pv_counter 'drop peer-down')
		it_expect "$L: A counted the 5 pings as peer-down drops" "$((d1 - d0))" -ge 5

		ctl a ike initiate "$PA" > "$T/init.txt"
		if wait_state a "$PA" established 15 && wait_state b "$PB" established 5; then
			it_ok "$L: ike initiate on A: established again"
			it_check "$L: ping A -> B after ike initiate" it_ping "$NS_A" "$IN_B"
			# runtime changes of an IKEv2 peer: `peer del` deletes its IKE SA
			# (B hears the Delete), `peer add` with the same keys initiates again
			kv=$(awk '/^\[peer/ { p = 1; next } /^\[/ { p = 0 } p { sub(/[ \t]+#.*/, "");
				if (split($0, f, / *= */) == 2) { gsub(/, */, ",", f[2]); printf "%s %s ", f[1], f[2] } }' "$T/pa.conf")
			ctl a peer del "$PA" > "$T/del.txt"
			if wait_state b "$PB" none 5; then
				it_ok "$L: peer del on A: B heard the Delete (state none)"
			else
				ctl b show ike > "$T/ike-b.txt"
				it_notok "$L: peer del on A: B heard the Delete (state none)" "$T/del.txt" "$T/ike-b.txt"
			fi
			# shellcheck disable=SC2086 # kv is KEY VALUE words
			if ctl a peer add "$PA" $kv > "$T/add-inline.txt" 2>&1 &&
			   grep -q 'pre-shared key comes from a file only' "$T/add-inline.txt" &&
			   [ "$(ike_state b "$PB")" = none ]; then
				it_ok "$L: peer add with an inline psk is refused"
			else
				it_notok "$L: peer add with an inline psk is refused" "$T/add-inline.txt"
			fi
			(umask 077; sed -n 's/^psk = //p' "$T/pa.conf" > "$T/pa.psk")
			kv=$(echo "$kv" | sed "s|psk [^ ]*|psk-file $T/pa.psk|")
			# shellcheck disable=SC2086 # kv is KEY VALUE words
			ctl a peer add "$PA" $kv > "$T/add.txt"
			if wait_state a "$PA" established 15 && wait_state b "$PB" established 5; then
				it_ok "$L: peer add on A: the IKEv2 peer is established again"
				it_check "$L: ping A -> B after peer add" it_ping "$NS_A" "$IN_B"
			else
				ctl a show ike > "$T/ike-a.txt"
				it_notok "$L: peer add on A: the IKEv2 peer is established again" "$T/add.txt" "$T/ike-a.txt"
			fi
			pair_load_and_restart
		else
			ctl a show ike > "$T/ike-a.txt"
			it_notok "$L: ike initiate on A: established again" "$T/init.txt" "$T/ike-a.txt" "${PV_GW_ERR[a]}"
		fi
	else
		ctl a show ike > "$T/ike-a.txt"; ctl b show ike > "$T/ike-b.txt"
		it_notok "$L: both established" "$T/ike-a.txt" "$T/ike-b.txt" "${PV_GW_ERR[a]}" "${PV_GW_ERR[b]}"
	fi
fi
stop_gw a "$L"
stop_gw b "$L"

# ================================================================ C. wrong PSK
L=wrong-psk
pair_confs "$BAD_PSK"
if start_gw cb "$NS_B" "$T/pb.conf" "$L" && start_gw ca "$NS_A" "$T/pa.conf" "$L"; then
	# B checks A's AUTH payload against its own PSK and refuses it
	if wait_log cb 'authenticat' 10; then
		it_ok "$L: B (responder) logs the authentication failure: '$(grep -hiE 'authenticat' "${PV_GW_OUT[cb]}" "${PV_GW_ERR[cb]}" | head -1 | cut -c1-100)'"
	else
		it_notok "$L: B (responder) logs the authentication failure" "${PV_GW_ERR[cb]}" "${PV_GW_OUT[cb]}"
	fi
	# A hears AUTHENTICATION_FAILED (notify type 24) in the IKE_AUTH response
	re='authenticat|IKE_AUTH refused: notify 24([^0-9]|$)'
	if wait_log ca "$re" 5; then
		it_ok "$L: A (initiator) logs the authentication failure: '$(grep -hiE "$re" "${PV_GW_OUT[ca]}" "${PV_GW_ERR[ca]}" | head -1 | cut -c1-100)'"
	else
		it_notok "$L: A (initiator) logs the authentication failure" "${PV_GW_ERR[ca]}" "${PV_GW_OUT[ca]}"
	fi
	sleep 2
	sa=$(ike_state ca "$PA") sb=$(ike_state cb "$PB")
	if [ "$sa" != established ] && [ "$sb" != established ] && [ -n "$sa" ] && [ -n "$sb" ]; then
		it_ok "$L: never established (A $sa, B $sb)"
	else
		it_notok "$L: never established (A '$sa', B '$sb')"
	fi
	if timeout 10 ip netns exec "$NS_A" ping -n -c 3 -i 0.2 -W 1 "$IN_B" > "$T/ping-bad.log" 2>&1; then
		it_notok "$L: no traffic crosses" "$T/ping-bad.log"
	else
		it_ok "$L: no traffic crosses"
	fi
	if kill -0 "${PV_GW_PID[ca]}" 2>/dev/null && kill -0 "${PV_GW_PID[cb]}" 2>/dev/null; then
		it_ok "$L: both gateways still running"
	else
		it_notok "$L: both gateways still running" "${PV_GW_ERR[ca]}" "${PV_GW_ERR[cb]}"
	fi
fi
stop_gw ca "$L"
stop_gw cb "$L"

# ================================================================ no PSK anywhere
leak=0
for k in "$PSK" "$BAD_PSK" demo-only-strongswan-psk-published-in-the-tree demo-only-ike-psk-published-in-the-tree; do
	grep -rqF -- "$k" "$T"/gw-*.out "$T"/gw-*.err "$T"/ctl-*.txt 2>/dev/null && { leak=1; grep -rlF -- "$k" "$T"/gw-* "$T"/ctl-*.txt | sed 's/^/# leaked in: /'; }
done
if [ "$leak" = 0 ]; then it_ok "no PSK in any gateway output or console reply"
else it_notok "no PSK in any gateway output or console reply"; fi

it_done
