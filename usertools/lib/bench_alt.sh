# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# The alternatives of part 3 of usertools/pmdvpn-bench.sh, each set up the
# way its Debian package runs it, between the two namespaces of the tunnel
# benchmark (BENCH_NS_A, BENCH_NS_B) over their underlay veth
# (BENCH_U_A, BENCH_U_B, kernel addresses):
#
#   bench_tinc_start / bench_wg_start / bench_ovpn_start
#       start the two daemons; set BENCH_ALT_PIDS ("pid pid"), BENCH_ALT_DST
#       (the far overlay address) and BENCH_ALT_LABEL; return 1 with
#       BENCH_ALT_WHY set if it did not come up.
#   bench_alt_stop     stop them again
#
# Every name starts with PV_ID; files live in PV_TMP; the daemons are
# recorded in PV_PIDS, so pv_cleanup stops them if the run is cut short.

BENCH_PKGS_tinc=tinc
BENCH_PKGS_wg="wireguard-go wireguard-tools"
BENCH_PKGS_ovpn="openvpn openssl"
BENCH_ALT_PIDS=""
BENCH_ALT_DST=""
BENCH_ALT_LABEL=""
BENCH_ALT_WHY=""
BENCH_WG_SOCKS=()

# bench__wait_for SECS CMD..: polls CMD every 0.2 s for at most SECS.
bench__wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

bench__alive() {
	local p
	for p in "$@"; do kill -0 "$p" 2>/dev/null || return 1; done
}

bench__ping() {   # NS DST: one ping through the tunnel
	ip netns exec "$1" ping -n -c 1 -W 1 "$2"
}

bench_alt_stop() {
	local p
	for p in $BENCH_ALT_PIDS; do pv_stop_pid "$p" 5; wait "$p" 2>/dev/null; done
	BENCH_ALT_PIDS=""
	for p in "${BENCH_WG_SOCKS[@]}"; do rm -f "$p"; done
}

# ------------------------------------------------------------ tinc 1.0
# Router mode over UDP, RSA keys made with tincd -K, the default cipher of
# tinc 1.0 (AES-256-CBC, HMAC-SHA256). Until path MTU discovery converges
# tinc sends full-size packets over its TCP meta connection, which is not
# what a long-running tunnel does: wait for it (bounded) first.
bench__tinc_conf() {
	local d=$1 name=$2 peer=$3 uip=$4 oip=$5 ifname=$6
	mkdir -p "$d/hosts"
	{
		echo "Name = $name"
		echo "AddressFamily = ipv4"
		echo "Interface = $ifname"
		echo "Mode = router"
		[ "$name" = na ] && echo "ConnectTo = $peer"
	} > "$d/tinc.conf"
	printf 'Address = %s\nSubnet = %s/32\n' "$uip" "$oip" > "$d/hosts/$name"
	printf '#!/bin/sh\nip addr add %s/24 dev "$INTERFACE"\nip link set "$INTERFACE" up\n' "$oip" > "$d/tinc-up"
	chmod 755 "$d/tinc-up"
	# tincd -K asks where to write the keys; on /dev/null it takes the defaults
	timeout 60 tincd -c "$d" -K2048 < /dev/null > "$d/keygen.log" 2>&1
}

# bench__tinc_pmtu_ok LOG: the last node dump shows a converged PMTU for nb
bench__tinc_pmtu_ok() {
	grep -E 'nb at .*pmtu' "$1" | tail -1 |
		awk '{ if (match($0, /pmtu [0-9]+ \(min [0-9]+ max [0-9]+\)/)) {
			split(substr($0, RSTART, RLENGTH), f, /[ ()]+/); exit !(f[2] > 1000 && f[4] == f[6]) }
		       exit 1 }'
}

bench_tinc_start() {
	local d=$PV_TMP/tinc ifa="${PV_ID}-ta" ifb="${PV_ID}-tb" pa pb i
	BENCH_ALT_LABEL="tinc $(tincd --version 2>/dev/null | head -1 | grep -o -E '[0-9]+\.[0-9.]+' | head -1)"
	BENCH_ALT_DST=$BENCH_O_TINC_B
	command -v tincd > /dev/null || { BENCH_ALT_WHY="tincd not installed"; return 1; }
	rm -rf "$d"
	bench__tinc_conf "$d/a" na nb "$BENCH_U_A" "$BENCH_O_TINC_A" "$ifa" &&
		bench__tinc_conf "$d/b" nb na "$BENCH_U_B" "$BENCH_O_TINC_B" "$ifb" ||
		{ BENCH_ALT_WHY="tincd -K failed"; return 1; }
	cp "$d/a/hosts/na" "$d/b/hosts/na"
	cp "$d/b/hosts/nb" "$d/a/hosts/nb"
	pv_bg "$BENCH_NS_B" "$d/b.log" tincd -D -d1 -c "$d/b" --pidfile="$d/b/pid"
	pb=$PV_LAST_PID
	pv_bg "$BENCH_NS_A" "$d/a.log" tincd -D -d1 -c "$d/a" --pidfile="$d/a/pid"
	pa=$PV_LAST_PID
	BENCH_ALT_PIDS="$pa $pb"
	if ! bench__wait_for 30 bench__ping "$BENCH_NS_A" "$BENCH_O_TINC_B"; then
		BENCH_ALT_WHY="no ping through tinc in 30 s"
		return 1
	fi
	# SIGUSR2 makes tincd 1.0 log its node list, PMTU included
	for ((i = 0; i < 40; i++)); do
		kill -USR2 "$pa" 2>/dev/null
		sleep 0.5
		bench__tinc_pmtu_ok "$d/a.log" && break
		ip netns exec "$BENCH_NS_A" ping -n -q -c 2 -i 0.2 -s 1400 -W 1 "$BENCH_O_TINC_B" > /dev/null 2>&1
	done
	BENCH_ALT_INFO=$(grep -E 'nb at .*pmtu' "$d/a.log" | tail -1 | grep -o -E 'pmtu [0-9]+ \(min [0-9]+ max [0-9]+\)')
	bench__tinc_pmtu_ok "$d/a.log" || BENCH_ALT_INFO="PMTU not converged after 20 s (${BENCH_ALT_INFO:-no dump})"
	bench__alive "$pa" "$pb" || { BENCH_ALT_WHY="tincd exited"; return 1; }
	return 0
}

# ------------------------------------------------------------ wireguard-go
# One process per namespace, configured through its UAPI socket with wg.
# The socket lives in /var/run/wireguard (not per namespace): the
# interface names carry PV_ID so that they never collide.
bench_wg_start() {
	local d=$PV_TMP/wg ifa="${PV_ID}-wa" ifb="${PV_ID}-wb" pa pb
	BENCH_ALT_LABEL="wireguard-go $(wireguard-go --version 2>/dev/null | grep -o -E 'v?[0-9]+\.[0-9.]+' | head -1)"
	BENCH_ALT_DST=$BENCH_O_WG_B
	command -v wireguard-go > /dev/null && command -v wg > /dev/null ||
		{ BENCH_ALT_WHY="wireguard-go or wg not installed"; return 1; }
	mkdir -p "$d"
	(umask 077; wg genkey > "$d/ka"; wg genkey > "$d/kb")
	wg pubkey < "$d/ka" > "$d/pa"
	wg pubkey < "$d/kb" > "$d/pb"
	BENCH_WG_SOCKS=("/var/run/wireguard/$ifa.sock" "/var/run/wireguard/$ifb.sock")
	pv_bg "$BENCH_NS_A" "$d/a.log" wireguard-go -f "$ifa"
	pa=$PV_LAST_PID
	pv_bg "$BENCH_NS_B" "$d/b.log" wireguard-go -f "$ifb"
	pb=$PV_LAST_PID
	BENCH_ALT_PIDS="$pa $pb"
	bench__wait_for 10 test -S "${BENCH_WG_SOCKS[0]}" && bench__wait_for 10 test -S "${BENCH_WG_SOCKS[1]}" ||
		{ BENCH_ALT_WHY="wireguard-go made no UAPI socket"; return 1; }
	ip netns exec "$BENCH_NS_A" wg set "$ifa" private-key "$d/ka" listen-port 51820 \
		peer "$(cat "$d/pb")" endpoint "$BENCH_U_B:51820" allowed-ips "$BENCH_O_WG_B/32" &&
	ip netns exec "$BENCH_NS_B" wg set "$ifb" private-key "$d/kb" listen-port 51820 \
		peer "$(cat "$d/pa")" endpoint "$BENCH_U_A:51820" allowed-ips "$BENCH_O_WG_A/32" &&
	ip -n "$BENCH_NS_A" addr add "$BENCH_O_WG_A/24" dev "$ifa" && ip -n "$BENCH_NS_A" link set "$ifa" up &&
	ip -n "$BENCH_NS_B" addr add "$BENCH_O_WG_B/24" dev "$ifb" && ip -n "$BENCH_NS_B" link set "$ifb" up ||
		{ BENCH_ALT_WHY="wg set / ip failed"; return 1; }
	bench__wait_for 20 bench__ping "$BENCH_NS_A" "$BENCH_O_WG_B" ||
		{ BENCH_ALT_WHY="no ping through wireguard-go in 20 s"; return 1; }
	BENCH_ALT_INFO="TUN $(ip -n "$BENCH_NS_A" -o link show "$ifa" | grep -o -E 'mtu [0-9]+')"
	return 0
}

# ------------------------------------------------------------ OpenVPN 2.6
# TLS peer-to-peer mode over UDP, a throwaway EC CA made here, one data
# cipher (AES-256-GCM), no DCO: the data channel runs in user space.
bench__ovpn_pki() {
	local d=$1 n eku
	mkdir -p "$d" && (
	cd "$d" || exit 1
	umask 077
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout ca.key -out ca.crt -subj "/CN=pmdvpn-bench-ca-$PV_ID" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign || exit 1
	for n in a:clientAuth b:serverAuth; do
		eku=${n#*:} n=${n%%:*}
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$n.key" -out "$n.csr" -subj "/CN=pmdvpn-bench-$n" || exit 1
		printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=%s\n' \
			"$eku" > "$n.ext"
		openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
			-extfile "$n.ext" -out "$n.crt" || exit 1
	done
	) > "$d/pki.log" 2>&1
}

bench_ovpn_start() {
	local d=$PV_TMP/ovpn ifname="${PV_ID}-o" pa pb
	local cipher=AES-256-GCM
	BENCH_ALT_LABEL="OpenVPN $(openvpn --version 2>/dev/null | head -1 | awk '{ print $2 }')"
	BENCH_ALT_DST=$BENCH_O_OVPN_B
	command -v openvpn > /dev/null && command -v openssl > /dev/null ||
		{ BENCH_ALT_WHY="openvpn or openssl not installed"; return 1; }
	bench__ovpn_pki "$d" || { BENCH_ALT_WHY="openssl could not make the certificates"; return 1; }
	local -a common=(--dev "$ifname" --dev-type tun --proto udp --lport 1194 --rport 1194
			 --disable-dco --data-ciphers "$cipher" --ca "$d/ca.crt" --verb 3)
	pv_bg "$BENCH_NS_B" "$d/b.log" openvpn "${common[@]}" --local "$BENCH_U_B" --remote "$BENCH_U_A" \
		--ifconfig "$BENCH_O_OVPN_B" "$BENCH_O_OVPN_A" --tls-server --dh none \
		--cert "$d/b.crt" --key "$d/b.key" --remote-cert-tls client
	pb=$PV_LAST_PID
	pv_bg "$BENCH_NS_A" "$d/a.log" openvpn "${common[@]}" --local "$BENCH_U_A" --remote "$BENCH_U_B" \
		--ifconfig "$BENCH_O_OVPN_A" "$BENCH_O_OVPN_B" --tls-client \
		--cert "$d/a.crt" --key "$d/a.key" --remote-cert-tls server
	pa=$PV_LAST_PID
	BENCH_ALT_PIDS="$pa $pb"
	if ! bench__wait_for 30 grep -q 'Initialization Sequence Completed' "$d/a.log" ||
	   ! bench__wait_for 5 grep -q 'Initialization Sequence Completed' "$d/b.log"; then
		BENCH_ALT_WHY="OpenVPN did not come up in 30 s"
		return 1
	fi
	bench__wait_for 10 bench__ping "$BENCH_NS_A" "$BENCH_O_OVPN_B" ||
		{ BENCH_ALT_WHY="no ping through OpenVPN"; return 1; }
	BENCH_ALT_INFO=$(grep -h -o -E 'cipher=[A-Za-z0-9-]+' "$d/a.log" | tail -1)
	[ -n "$BENCH_ALT_INFO" ] || BENCH_ALT_INFO=$(grep -h -o -E "Data Channel: cipher '[^']+'" "$d/a.log" | tail -1)
	return 0
}
