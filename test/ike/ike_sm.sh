#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop of lib/ike's state machine (ike_sa.h) with strongSwan charon:
# test/ike/ike_sm_peer (the state machine over UDP sockets) in one network
# namespace, charon (kernel-libipsec, as in shared/anchors/strongswan/
# rig.sh) in another, a veth pair on 198.18.67.0/24. For each ESP cipher:
#  - ike_sm_peer initiates; swanctl --list-sas shows the same CHILD_SA
#    SPIs (charon's in = our out and vice versa); a CHILD_SA rekey started
#    by us and one started by charon (make-before-break: new SA up, old SA
#    deleted, charon lists the new pair and not the old); terminate;
#  - charon initiates, we respond (no-ESN picked since charon offers only
#    that), CHILD_SA rekey by us, charon terminates.
# Then charon is killed (no Delete): DPD notices, ike_sm_peer re-initiates
# to the restarted charon.
# Once: IKE SA rekey started by each side (charon lists the new IKE SPIs).
# PFS (charon's esp_proposals = aes128gcm16-x25519-noesn,
# aes256gcm16-ecp256-noesn): the CHILD_SA of IKE_AUTH has none, CHILD_SA
# rekeys started by either side carry KE payloads (our event names the
# group, charon lists the new SPIs with the group); INVALID_KE_PAYLOAD
# both ways (we ask charon for ECP-256, charon asks us for X25519).
#
# usage: ike_sm.sh [PATH_TO_ike_sm_peer]   (root; exit 77 if not possible)
set -uo pipefail

PEER=${1:-$(dirname "$0")/../../build-ike2/lib/ike/ike_sm_peer}
CHARON=/usr/lib/ipsec/charon
N1=ism-n1 N2=ism-n2 V1=ism-v1 V2=ism-v2
O1=198.18.67.1 O2=198.18.67.2
S1=198.19.67.0/25 S2=198.19.67.128/25
ID1=sm-a.example ID2=sm-b.example
PSK=test-only-sm-psk-not-a-secret
FAILS=0

[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$CHARON" ] || { echo "skip: strongswan-charon not installed"; exit 77; }
command -v swanctl >/dev/null || { echo "skip: swanctl not installed"; exit 77; }
[ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
	{ echo "skip: libcharon-extra-plugins not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "skip: no /dev/net/tun"; exit 77; }
[ -x "$PEER" ] || { echo "skip: $PEER not built"; exit 77; }
PEER=$(readlink -f "$PEER")

# shellcheck source=charon.sh
. "$(dirname "$0")/charon.sh"
DIR=$(mktemp -d /tmp/ikesm.XXXXXX)
CHARON_DIR=$DIR CHARON_PID= CHARON_SW_TIMEOUT=15 PPID_= WATCHDOG=

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }

stop_pid() {
	local p=$1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
	kill -TERM "$p"
	for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
}

cleanup() {
	kill "$WATCHDOG" 2>/dev/null
	exec 3>&- 2>/dev/null
	stop_pid "$PPID_"
	charon_stop
	ip netns del $N1 2>/dev/null
	ip netns del $N2 2>/dev/null
	[ -n "${IKE_SM_DEBUG:-}" ] && mkdir -p /tmp/ike_sm_debug && cp "$DIR"/*.err "$DIR"/*.log "$DIR"/*.out /tmp/ike_sm_debug/ 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'echo "not ok - timeout (55 s)"; exit 1' TERM
# bounded: whatever hangs, the run ends within 55 s (meson allows 60)
( trap 'kill $sp 2>/dev/null; exit 0' TERM; sleep 55 & sp=$!; wait $sp &&
	kill -TERM $$ 2>/dev/null ) >/dev/null 2>&1 &
WATCHDOG=$!

ip netns list | grep -qE "^($N1|$N2)( |$)" && { echo "not ok - namespaces $N1/$N2 exist"; exit 1; }
ip netns add $N1 && ip netns add $N2 &&
ip link add $V1 type veth peer name $V2 &&
ip link set $V1 netns $N1 && ip link set $V2 netns $N2 &&
ip -n $N1 addr add $O1/24 dev $V1 && ip -n $N2 addr add $O2/24 dev $V2 &&
ip -n $N1 link set lo up && ip -n $N2 link set lo up &&
ip -n $N1 link set $V1 up && ip -n $N2 link set $V2 up ||
	{ echo "not ok - topology"; exit 1; }
ip -n $N2 addr add 198.19.67.129/32 dev lo

charon_conf -r 1/3 "$DIR"
charon_psk_conn sm "$O2 $O1" "$ID2 $ID1" aes256gcm16-aes128gcm16-prfsha256-prfsha384-x25519-ecp256-modp2048 \
	"$S2 $S1" "$PSK" >"$DIR/swanctl.conf"
sw() { charon_sw "$@"; }
start_charon() { charon_start $N2 "$DIR/charon.stdout" && charon_load "$DIR/swanctl.conf"; }
start_charon &&
	ok "charon up" || { notok "charon did not start"; cat "$DIR/charon.stdout" "$DIR/load.log" >&2; exit 1; }

OUT=$DIR/peer.out
start_peer() { # esp [initiate]
	rm -f "$DIR/ctl"; mkfifo "$DIR/ctl"
	OUT=$DIR/peer.$1.${2:-respond}.out ERR=$DIR/peer.$1.${2:-respond}.err
	ip netns exec $N1 "$PEER" $O1 $O2 "$PSK" $ID1 $ID2 $S1 $S2 "$@" \
		<"$DIR/ctl" >"$OUT" 2>"$ERR" &
	PPID_=$!
	exec 3>"$DIR/ctl"
}
stop_peer() {
	echo quit >&3; exec 3>&-
	for _ in $(seq 1 30); do kill -0 "$PPID_" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$PPID_"; PPID_=
}
# wait_n PATTERN N: until OUT has N lines matching (5 s)
wait_n() {
	for _ in $(seq 1 50); do
		[ "$(grep -c "$1" "$OUT")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# the Nth child_up: our in / out SPIs
spis() { grep '^child_up' "$OUT" | sed -n "${1}p" | sed 's/.*in=\([0-9a-f]*\) out=\([0-9a-f]*\).*/\1 \2/'; }
# charon lists the CHILD_SA with in = our out, out = our in, INSTALLED
charon_has() { # in out
	local sas; sas=$(sw --list-sas 2>/dev/null)
	echo "$sas" | grep -qE "in +$2" && echo "$sas" | grep -qE "out +$1"
}
# the old CHILD_SA is gone from charon or DELETED (charon keeps a rekeyed
# inbound SA for delete_rekeyed_delay, 5 s by default)
charon_lacks() { # in out
	local sas
	for _ in $(seq 1 30); do
		sas=$(sw --list-sas 2>/dev/null)
		echo "$sas" | awk -v spi="$2" '
			/^  [^ ].*: #[0-9]+, reqid/ { st = $5 }
			$1 == "in" && $2 == spi "," { found = 1; if (st != "DELETED,") bad = 1 }
			END { exit bad ? 1 : 0 }' && return 0
		sleep 0.1
	done
	return 1
}
check_child() { # nth what cipher
	local s in out
	s=$(spis "$1"); in=${s% *}; out=${s#* }
	if [ -n "$in" ] && charon_has "$in" "$out"; then
		ok "$2: charon lists CHILD_SA in $out / out $in"
	else
		notok "$2: charon does not list our CHILD_SA ($in/$out)"; sw --list-sas >&2
	fi
	grep '^child_up' "$OUT" | sed -n "${1}p" | grep -q 'esn=0 encap=1' &&
		ok "$2: no-ESN, UDP-encapsulated" || notok "$2: ESN/encap flags"
	sw --list-sas 2>/dev/null | grep -q "ESP:$3" && ok "$2: cipher $3" ||
		notok "$2: cipher $3 not listed"
}
check_rekey() { # nth what cipher
	local s oin oout
	s=$(spis $(($1 - 1))); oin=${s% *}; oout=${s#* }
	if wait_n '^child_up' "$1" && wait_n '^child_down' $(($1 - 1)); then
		grep '^child_up' "$OUT" | sed -n "${1}p" | grep -q "old_in=$oin old_out=$oout" &&
			ok "$2: new CHILD_SA names the old one (make-before-break)" ||
			notok "$2: old SPIs missing in the rekey event"
		check_child "$1" "$2" "$3"
		charon_lacks "$oin" "$oout" && ok "$2: old CHILD_SA gone on charon" ||
			{ notok "$2: charon still lists the old CHILD_SA $oin/$oout"; sw --list-sas >&2; }
	else
		notok "$2: rekey did not complete"; tail -5 "$ERR" >&2
	fi
}

first=1
for esp in ${CIPHERS:-aes128gcm16 aes256gcm16 chacha20poly1305}; do
	case $esp in
	aes128gcm16) name=AES_GCM_16-128 ;;
	aes256gcm16) name=AES_GCM_16-256 ;;
	*) name=CHACHA20_POLY1305 ;;
	esac
	# ---- we initiate
	start_peer $esp initiate
	if wait_n '^child_up' 1; then
		ok "$esp: ike_sm_peer initiated IKE_SA_INIT + IKE_AUTH"
		check_child 1 "$esp initiator" $name
		echo rekey-child >&3
		check_rekey 2 "$esp rekey by us" $name
		sw --rekey --child net >/dev/null 2>&1
		check_rekey 3 "$esp rekey by charon" $name
		if [ $first = 1 ]; then
			first=0
			echo rekey-ike >&3
			if wait_n 'ike_up.*rekeyed' 1 && wait_n 'ike_down.*rekeyed' 1; then
				si=$(grep 'ike_up.*rekeyed' "$OUT" | tail -1 | sed 's/.*spi_i=\([0-9a-f]*\).*/\1/')
				sw --list-sas 2>/dev/null | grep -q "${si}_i" &&
					ok "IKE SA rekey by us: charon lists the new IKE SA" ||
					notok "IKE SA rekey by us: charon lacks $si"
			else
				notok "IKE SA rekey by us did not complete"
			fi
			sw --rekey --ike sm >/dev/null 2>&1
			if wait_n 'ike_up.*rekeyed' 2 && wait_n 'ike_down.*rekeyed' 2; then
				si=$(grep 'ike_up.*rekeyed' "$OUT" | tail -1 | sed 's/.*spi_i=\([0-9a-f]*\).*/\1/')
				sw --list-sas 2>/dev/null | grep -q "${si}_i" &&
					ok "IKE SA rekey by charon: both agree on the new IKE SA" ||
					notok "IKE SA rekey by charon: charon lacks $si"
			else
				notok "IKE SA rekey by charon did not complete"
			fi
			echo rekey-child >&3
			check_rekey 4 "$esp CHILD rekey after IKE rekeys" $name
		fi
		downs=$(grep -c '^ike_down' "$OUT")
		echo terminate >&3
		wait_n '^ike_down' $((downs + 1)) &&
			sleep 0.3 && ! sw --list-sas 2>/dev/null | grep -q '^sm:' &&
			ok "$esp: terminate: charon has no IKE SA left" ||
			notok "$esp: terminate"
	else
		notok "$esp: ike_sm_peer as initiator: no CHILD_SA"; tail -20 "$ERR" >&2
		tail -20 "$DIR/charon.log" >&2
	fi
	stop_peer
	# ---- charon initiates
	start_peer $esp
	sleep 0.2
	sw --initiate --child net >"$DIR/init.log" 2>&1
	if wait_n '^child_up' 1; then
		ok "$esp: charon initiated, ike_sm_peer responded"
		check_child 1 "$esp responder" $name
		echo rekey-child >&3
		check_rekey 2 "$esp responder, rekey by us" $name
		sw --terminate --ike sm >/dev/null 2>&1
		wait_n '^ike_down' 1 && ok "$esp: charon's delete reached us" ||
			notok "$esp: no ike_down after charon's terminate"
	else
		notok "$esp: charon as initiator: no CHILD_SA"; cat "$DIR/init.log" >&2
		tail -20 "$ERR" >&2
	fi
	stop_peer
done

# ---- charon dies (SIGKILL, no Delete): DPD notices, we re-initiate to the
# restarted charon and both agree on the new CHILD_SA
IKE_SM_DPD_MS=1000 start_peer aes128gcm16 initiate
if wait_n '^child_up' 1; then
	kill -KILL "$CHARON_PID"; wait "$CHARON_PID" 2>/dev/null; CHARON_PID=
	for _ in $(seq 1 15); do wait_n '^ike_down' 1 && break; done
	if grep -q '^ike_down' "$OUT"; then
		ok "charon killed: DPD declared it dead"
		start_charon || notok "charon restart"
		for _ in $(seq 1 4); do wait_n '^child_up' 2 && break; done
		if grep -c '^child_up' "$OUT" | grep -q '^2$'; then
			ok "re-initiated to the restarted charon"
			check_child 2 "after restart" AES_GCM_16-128
		else
			notok "no new CHILD_SA after charon's restart"; tail -5 "$ERR" >&2
		fi
	else
		notok "DPD did not notice the dead charon"; tail -5 "$ERR" >&2
	fi
else
	notok "dpd run: no CHILD_SA"
fi
stop_peer

# ---- PFS in CHILD_SA rekeys: charon with a group per ESP proposal
sed 's/esp_proposals = .*/esp_proposals = aes128gcm16-x25519-noesn, aes256gcm16-ecp256-noesn/' \
	"$DIR/swanctl.conf" >"$DIR/swanctl-pfs.conf"
charon_load "$DIR/swanctl-pfs.conf" ||
	notok "pfs: charon did not load the PFS config"
# the Nth child_up names PFS group G (0: none)
has_dh() { grep '^child_up' "$OUT" | sed -n "${1}p" | grep -q " dh=$2\$"; }
pfs_rekey() { # nth what name group
	check_rekey "$1" "$2" "$3"
	has_dh "$1" "$4" && ok "$2: keys from a KE of group $4" ||
		notok "$2: no PFS group $4 in the event"
}
# we initiate with x25519: the rekey by us and by charon use it
start_peer aes128gcm16-x25519 initiate
if wait_n '^child_up' 1; then
	check_child 1 "pfs initiator" AES_GCM_16-128
	has_dh 1 0 && ok "pfs: the CHILD_SA of IKE_AUTH has no PFS" ||
		notok "pfs: PFS group on the IKE_AUTH CHILD_SA"
	echo rekey-child >&3
	pfs_rekey 2 "pfs rekey by us" AES_GCM_16-128/CURVE_25519 31
	sw --rekey --child net >/dev/null 2>&1
	pfs_rekey 3 "pfs rekey by charon" AES_GCM_16-128/CURVE_25519 31
	echo terminate >&3
	wait_n '^ike_down' 1 || notok "pfs: terminate"
else
	notok "pfs: ike_sm_peer as initiator: no CHILD_SA"; tail -20 "$ERR" >&2
fi
stop_peer
# charon initiates; we do only aes256gcm16-ecp256: charon's rekey guesses
# x25519 and gets INVALID_KE_PAYLOAD(19) from us, then ours uses ECP-256
start_peer aes256gcm16-ecp256
sleep 0.2
sw --initiate --child net >"$DIR/init.log" 2>&1
if wait_n '^child_up' 1; then
	check_child 1 "pfs responder" AES_GCM_16-256
	sw --rekey --child net >/dev/null 2>&1
	pfs_rekey 2 "pfs responder, rekey by charon" AES_GCM_16-256/ECP_256 19
	grep -q 'CREATE_CHILD_SA refused: notify 17' "$ERR" &&
		ok "pfs: we answered charon's x25519 KE with INVALID_KE_PAYLOAD" ||
		notok "pfs: no INVALID_KE_PAYLOAD to charon's rekey"
	echo rekey-child >&3
	pfs_rekey 3 "pfs responder, rekey by us" AES_GCM_16-256/ECP_256 19
	sw --terminate --ike sm >/dev/null 2>&1
	wait_n '^ike_down' 1 || notok "pfs: charon's delete did not reach us"
else
	notok "pfs: charon as initiator: no CHILD_SA"; cat "$DIR/init.log" >&2
	tail -20 "$ERR" >&2
fi
stop_peer
# we guess ECP-256 first; charon wants X25519 for AES-GCM-128: one
# INVALID_KE_PAYLOAD round, then the rekey with x25519
start_peer aes128gcm16-ecp256,aes128gcm16-x25519 initiate
if wait_n '^child_up' 1; then
	echo rekey-child >&3
	pfs_rekey 2 "pfs retry after INVALID_KE" AES_GCM_16-128/CURVE_25519 31
	grep -q 'INVALID_KE_PAYLOAD, retrying with group 31' "$ERR" &&
		ok "pfs: charon's INVALID_KE_PAYLOAD(31) made us retry" ||
		notok "pfs: no INVALID_KE_PAYLOAD retry"
	echo terminate >&3
	wait_n '^ike_down' 1 || notok "pfs: terminate"
else
	notok "pfs: third run: no CHILD_SA"; tail -20 "$ERR" >&2
fi
stop_peer

[ $FAILS -eq 0 ] && echo "all ike_sm checks passed" || echo "$FAILS check(s) failed"
exit $FAILS
