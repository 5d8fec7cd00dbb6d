#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop check of lib/ike (codec + crypto) against strongSwan charon,
# before the IKE state machine exists: ike_probe (initiator, PSK) in one
# network namespace, charon (responder, kernel-libipsec as in
# shared/anchors/strongswan/rig.sh) in another, joined by a veth pair on
# 198.18.66.0/24. For each ESP cipher the probe runs IKE_SA_INIT +
# IKE_AUTH, prints the CHILD_SA SPIs; the script checks that charon lists
# the same SPIs and (with charon's test-only key log) the same KEYMAT, then
# the probe deletes the IKE SA.
#
# usage: ike_probe.sh [PATH_TO_ike_probe]   (root; exit 77 if not possible)
# Prints one "ok"/"not ok" line per check; exit 0 when all pass.
set -uo pipefail

PROBE=${1:-${IKE_PROBE:-$(dirname "$0")/../../build-ike/lib/ike/ike_probe}}
CHARON=/usr/lib/ipsec/charon
N1=ikp-n1 N2=ikp-n2 V1=ikp-v1 V2=ikp-v2
O1=198.18.66.1 O2=198.18.66.2
S1=198.19.66.0-198.19.66.127 S2=198.19.66.128-198.19.66.255
PSK=test-only-probe-psk-not-a-secret
FAILS=0

[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$CHARON" ] || { echo "skip: strongswan-charon not installed"; exit 77; }
[ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
	{ echo "skip: libcharon-extra-plugins not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "skip: no /dev/net/tun"; exit 77; }
[ -x "$PROBE" ] || { echo "skip: $PROBE not built"; exit 77; }
PROBE=$(readlink -f "$PROBE")

# shellcheck source=charon.sh
. "$(dirname "$0")/charon.sh"
DIR=$(mktemp -d /tmp/ikeprobe.XXXXXX)
CHARON_DIR=$DIR CHARON_PID=

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }

cleanup() {
	charon_stop
	ip netns del $N1 2>/dev/null
	ip netns del $N2 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

ip netns list | grep -qE "^($N1|$N2)( |$)" && { echo "not ok - namespaces $N1/$N2 exist"; exit 1; }
ip netns add $N1 && ip netns add $N2 &&
ip link add $V1 type veth peer name $V2 &&
ip link set $V1 netns $N1 && ip link set $V2 netns $N2 &&
ip -n $N1 addr add $O1/24 dev $V1 && ip -n $N2 addr add $O2/24 dev $V2 &&
ip -n $N1 link set lo up && ip -n $N2 link set lo up &&
ip -n $N1 link set $V1 up && ip -n $N2 link set $V2 up ||
	{ echo "not ok - topology"; exit 1; }
ip -n $N2 addr add 198.19.66.129/32 dev lo

# test-only key log (ephemeral keys of this run) for the KEYMAT check
charon_conf "$DIR" "chd = 4"
charon_psk_conn probe "$O2 $O1" "$O2 $O1" \
	aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256 \
	"${S2%-*}/25 ${S1%-*}/25" "$PSK" >"$DIR/swanctl.conf"
sw() { charon_sw "$@"; }
charon_start $N2 "$DIR/charon.stdout"
charon_load "$DIR/swanctl.conf" &&
	ok "charon responder up" || { notok "charon did not start"; cat "$DIR/charon.stdout" "$DIR/load.log" >&2; exit 1; }

for esp in aes128gcm16 aes256gcm16 chacha20poly1305; do
	: >"$DIR/charon.log.mark"
	off=$(stat -c %s "$DIR/charon.log")
	IKE_PROBE_HOLD=1 IKE_PROBE_KEYCHECK=1 timeout 30 ip netns exec $N1 \
		"$PROBE" $O1 $O2 "$PSK" $S1 $S2 $esp >"$DIR/probe.out" 2>"$DIR/probe.err" &
	ppid=$!
	# while the probe holds the SA: what does charon list?
	sas=
	for _ in $(seq 1 50); do
		grep -q '^child_sa' "$DIR/probe.out" && { sas=$(sw --list-sas 2>/dev/null); break; }
		kill -0 $ppid 2>/dev/null || break
		sleep 0.1
	done
	wait $ppid; rc=$?
	cat "$DIR/probe.out"
	if [ $rc -ne 0 ]; then
		notok "$esp: ike_probe failed: $(cat "$DIR/probe.err")"
		tail -20 "$DIR/charon.log" >&2
		continue
	fi
	ok "$esp: IKE_SA_INIT + IKE_AUTH with charon, responder AUTH verified"
	si=$(sed -n 's/.*child_sa esp [^ ]* spi_i=0x\([0-9a-f]*\) spi_r=0x\([0-9a-f]*\).*/\1/p' "$DIR/probe.out")
	sr=$(sed -n 's/.*child_sa esp [^ ]* spi_i=0x\([0-9a-f]*\) spi_r=0x\([0-9a-f]*\).*/\2/p' "$DIR/probe.out")
	# charon: "in  <its inbound SPI>" = our spi_r, "out <outbound>" = our spi_i
	if echo "$sas" | grep -qE "in +$sr" && echo "$sas" | grep -qE "out +$si"; then
		ok "$esp: charon lists CHILD_SA with SPIs $sr (in) / $si (out)"
	else
		notok "$esp: charon's SAs do not show $si/$sr"; echo "$sas" >&2
	fi
	# KEYMAT: charon logs "encryption initiator key => N bytes @ ..." hex dumps
	fp=$(tail -c +$((off + 1)) "$DIR/charon.log" | python3 -c '
import sys, re, hashlib
lines = sys.stdin.read().splitlines()
keys = {}
cur = None
for l in lines:
    m = re.search(r"encryption (initiator|responder) key => (\d+) bytes", l)
    if m:
        cur = m.group(1); keys[cur] = b""; continue
    m = re.search(r"\s\d+: ((?:[0-9A-F]{2} ?){1,16})", l)
    if cur and m:
        keys[cur] += bytes.fromhex(m.group(1).replace(" ", ""))
        continue
    cur = None
if "initiator" in keys and "responder" in keys:
    print(hashlib.sha256(keys["initiator"] + keys["responder"]).hexdigest())
')
	mine=$(sed -n 's/^keymat_sha256=//p' "$DIR/probe.out")
	if [ -n "$fp" ] && [ "$fp" = "$mine" ]; then
		ok "$esp: KEYMAT (key || salt, both directions) equals charon's"
	else
		notok "$esp: KEYMAT fingerprint mismatch (charon ${fp:-none}, probe ${mine:-none})"
	fi
	grep -q '^deleted' "$DIR/probe.out" && ok "$esp: INFORMATIONAL delete answered" ||
		notok "$esp: delete"
done

[ $FAILS -eq 0 ] && echo "all ike_probe checks passed" || echo "$FAILS check(s) failed"
exit $FAILS
