# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Helpers of the IKEv2 integration tests (test_ike.sh, test_ike_flood.sh),
# sourced after lib.sh: console commands through pmdvpn-ctl and what
# `show ike` says of a peer. Needs T, PV_ID and CTL (pmdvpn-ctl).

# ctl GW WORDS..: a console command on gateway GW through pmdvpn-ctl; the
# output is also kept for the key-leak check.
CTL_N=0
ctl() {
	local g=$1; shift
	CTL_N=$((CTL_N + 1))
	timeout 10 "$CTL" --file-prefix "pmdvpn-${PV_ID}-$g" cmd "$@" > "$T/ctl-$CTL_N.txt" 2>&1
	local rc=$?
	cat "$T/ctl-$CTL_N.txt"
	return $rc
}
# ike_line GW PEER: PEER's line of `show ike`
ike_line() {
	ctl "$1" show ike | awk -v p="$2" '{ for (i = 1; i <= NF; i++) if ($i == p || $i == p ":") { print; exit } }'
}
ike_state() {
	ike_line "$1" "$2" | grep -oE '(^|[^a-z-])(established|connecting|none|deleting)([^a-z-]|$)' |
		grep -oE '[a-z]+' | head -1
}
# ike_spis GW PEER: "IN OUT" (8 hex digits each) of the CHILD_SA; nothing
# while there is none or two (a rekey between install and delete)
ike_spis() {
	ike_line "$1" "$2" | grep -oE 'spi-in 0x[0-9a-f]{8} spi-out 0x[0-9a-f]{8}' |
		awk '{ v = substr($2, 3) " " substr($4, 3) } END { if (NR == 1) print v }'
}
# ike_sa_spis GW PEER: "SPIi SPIr" of the IKE SA
ike_sa_spis() {
	ike_line "$1" "$2" | sed -n 's/.* spi-i \([0-9a-f]\{16\}\) spi-r \([0-9a-f]\{16\}\).*/\1 \2/p'
}
# wait_state GW PEER STATE SECS
wait_state() {
	local i
	for ((i = 0; i < $4 * 4; i++)); do
		[ "$(ike_state "$1" "$2")" = "$3" ] && return 0
		sleep 0.25
	done
	return 1
}
# wait_new_spis GW PEER OLD SECS: established with SPIs other than OLD;
# prints them
wait_new_spis() {
	local i s
	for ((i = 0; i < $4 * 4; i++)); do
		s=$(ike_spis "$1" "$2")
		if [ -n "$s" ] && [ "$s" != "$3" ] && [ "$(ike_state "$1" "$2")" = established ]; then
			echo "$s"
			return 0
		fi
		sleep 0.25
	done
	return 1
}
