# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Part 2 of usertools/pmdvpn-bench.sh: what one pmdvpn worker lcore does.
#
#   pmdvpn-perf (gen)  --memif--> inside  pmdvpn  WAN --memif--> pmdvpn-perf
#        counts clear  <--------           (one worker)  <------  (reflects ESP
#        frames back                                              or counts it)
#
# The gateway's peer "loop" is a loopback peer (spi-in == spi-out, one key):
# what the reflector sends back is ESP for the same SA, decrypted by the
# same worker and routed back to the generator by a static neighbour.
# Peer "replay" is another loopback peer with anti-replay off
# (replay-window = 0, a test-only setting) for decrypt alone: pmdvpn-perf
# --replay captures BENCH_W_REPLAY of its ESP frames once, then sends only
# those, over and over, and counts the clear frames that come back.
#
#   bench_worker "CIPHERS" "SIZES" SECS
# Needs BENCH_PERF_OK (bench_crypto.sh), PMDVPN, PV_TMP.

BENCH_W_GW_WAN_MAC=02:00:00:00:01:01
BENCH_W_REFL_MAC=02:00:00:00:01:02
BENCH_W_GW_IN_MAC=02:00:00:00:02:01
BENCH_W_GEN_MAC=02:00:00:00:02:02
BENCH_W_GW_WAN_IP=198.18.20.1
BENCH_W_REFL_IP=198.18.20.2
BENCH_W_GW_IN_IP=198.18.10.1
BENCH_W_GEN_IP=198.18.10.2
BENCH_W_DST_IP=198.18.10.3     # behind the loopback peer, and the generator's again
BENCH_W_RP_SRC_IP=198.18.10.4  # the replay peer's pair of addresses
BENCH_W_RP_DST_IP=198.18.10.5
BENCH_W_REFL2_IP=198.18.20.3   # the replay peer's endpoint (the same reflector)
BENCH_W_REPLAY=${BENCH_W_REPLAY:-4096}

# bench__memif_gateway DIR NEIGHBOUR...: the [gateway] section of the bench
# configs: both ports are memif servers with their control socket in DIR
# (so nothing outside DIR is used); each NEIGHBOUR is "IP MAC".
bench__memif_gateway() {
	local d=$1 n; shift
	cat <<-EOF
	[gateway]
	wan = net_memif0,role=server,id=0,socket=$d/wan.sock,socket-abstract=no,mac=$BENCH_W_GW_WAN_MAC
	wan-address = $BENCH_W_GW_WAN_IP/24
	inside = net_memif1,role=server,id=0,socket=$d/in.sock,socket-abstract=no,mac=$BENCH_W_GW_IN_MAC
	inside-address = $BENCH_W_GW_IN_IP/24
	EOF
	for n in "$@"; do echo "neighbour = $n"; done
	printf 'state-file = %s\ncrypto = ipsec-mb\n' "$d/seq.state"
}

# bench__worker_conf CIPHER DIR: the gateway config in DIR.
bench__worker_conf() {
	local c=$1 d=$2 key key2
	key=$(pv_randhex "$(pv_key_bytes "$c")")
	key2=$(pv_randhex "$(pv_key_bytes "$c")")
	umask 077
	{
		echo "# pmdvpn-bench part 2: one gateway, inside = LAN port to pmdvpn-perf,"
		echo "# WAN = memif to pmdvpn-perf's reflector; a loopback peer."
		bench__memif_gateway "$d" "$BENCH_W_GEN_IP $BENCH_W_GEN_MAC" \
			"$BENCH_W_DST_IP $BENCH_W_GEN_MAC" "$BENCH_W_REFL_IP $BENCH_W_REFL_MAC" \
			"$BENCH_W_RP_DST_IP $BENCH_W_GEN_MAC" "$BENCH_W_REFL2_IP $BENCH_W_REFL_MAC"
		echo
		pv_loop_peer loop "$BENCH_W_REFL_IP:4500" "$BENCH_W_GEN_IP/31" "$c" 0x4242 "$key"
		echo
		pv_loop_peer replay "$BENCH_W_REFL2_IP:4500" "$BENCH_W_RP_SRC_IP/31" "$c" 0x4343 "$key2" \
			"replay-window = 0"
	} > "$d/gw.conf"
	umask 022
}

# bench__busy FILE: the sum of the busy-cycles of all lcores in a report.
bench__busy() {
	awk '$1 == "lcore" { for (i = 3; i < NF; i++) if ($i == "busy-cycles") s += $(i + 1) }
	     END { printf "%.0f\n", s }' "$1"
}

# bench__gw_snap NAME FILE: a counter report into FILE (empty on failure).
bench__gw_snap() {
	pv_gw_stats "$1" > "$2" 2>/dev/null || : > "$2"
}

# bench__cyc BUSY0FILE BUSY1FILE KEY FIELD: busy cycles per counted packet.
bench__cyc() {
	local b0 b1 p0 p1
	[ -s "$1" ] && [ -s "$2" ] || { echo -; return; }
	b0=$(bench__busy "$1") b1=$(bench__busy "$2")
	p0=$(pv_counter "$3" "$4" < "$1") p1=$(pv_counter "$3" "$4" < "$2")
	awk -v b="$((b1 - b0))" -v p="$((p1 - p0))" 'BEGIN { if (p > 0) printf "%.0f\n", b / p; else print "-" }'
}

bench__pct() {   # limit cycles, pmdvpn cycles -> percent (or -)
	awk -v l="${1:--}" -v c="${2:--}" 'BEGIN {
		if (l ~ /^[0-9.]+$/ && c ~ /^[0-9.]+$/ && c > 0) printf "%.0f%%\n", 100 * l / c; else print "-" }'
}

bench__worker_na() {
	local c=$1 s=$2 why=$3 m
	for m in encrypt decrypt "round trip"; do
		bench_na 2 "pmdvpn worker $m" "$c" "$s" "n/a ($why)"
	done
}

# bench__worker_size NAME NS DIR CIPHER SIZE SECS
bench__worker_size() {
	local name=$1 ns=$2 d=$3 c=$4 s=$5 secs=$6 tmo j why
	local memif_in="net_memif2,role=client,id=0,socket=$d/in.sock,socket-abstract=no,mac=$BENCH_W_GEN_MAC"
	local memif_wan="net_memif3,role=client,id=0,socket=$d/wan.sock,socket-abstract=no,mac=$BENCH_W_REFL_MAC"
	local -a traffic
	# shellcheck disable=SC2207
	traffic=(--src-mac "$BENCH_W_GEN_MAC" --dst-mac "$BENCH_W_GW_IN_MAC" --src-ip "$BENCH_W_GEN_IP"
		 --dst-ip "$BENCH_W_DST_IP" $(bench_size_args "$s") --duration "$secs" --drain-ms 200
		 --link-timeout 10 --quiet --json)
	tmo=$((${secs%.*} + 30))
	local enc_cyc=- enc_mpps=- enc_gbps=- rt_cyc=- rt_mpps=- rt_gbps=- rt_note="" enc_note=""
	local lim=${BENCH_LIMIT_CYC[$c/$s]:-}

	# encrypt: the generator counts what leaves the WAN port
	bench__gw_snap "$name" "$d/e0.txt"
	bench_perf "$ns" "$d/enc-$s.json" "$d/enc-$s.err" "$tmo" --vdev "$memif_in" --vdev "$memif_wan" \
		-- --tx-port net_memif2 --rx-port net_memif3 "${traffic[@]}"
	bench__gw_snap "$name" "$d/e1.txt"
	if j=$(bench_json_line "$d/enc-$s.json"); then
		read -r enc_mpps enc_gbps < <(jq -r '
			(.ports[] | select(.name == "net_memif3") | .rx_packets) as $n |
			[($n / .seconds / 1e6), ($n / .seconds * .avg_frame * 8 / 1e9)] | @tsv' <<< "$j")
		enc_mpps=$(bench_fmt 3 "$enc_mpps") enc_gbps=$(bench_fmt 2 "$enc_gbps")
		enc_cyc=$(bench__cyc "$d/e0.txt" "$d/e1.txt" "peer loop" tx-pkts)
	else
		why=$(grep -m1 '^pmdvpn-perf' "$d/enc-$s.err" | cut -c1-70)
		enc_note="n/a (pmdvpn-perf: ${why:-no result})"
	fi

	# round trip: the ESP comes back through the reflector and is decrypted
	bench__gw_snap "$name" "$d/r0.txt"
	bench_perf "$ns" "$d/rt-$s.json" "$d/rt-$s.err" "$tmo" --vdev "$memif_in" \
		-- --reflect-port "$memif_wan" "${traffic[@]}"
	bench__gw_snap "$name" "$d/r1.txt"
	if j=$(bench_json_line "$d/rt-$s.json"); then
		read -r rt_mpps rt_gbps loss < <(jq -r '[.rx.mpps, .rx.gbps, .loss_pct] | @tsv' <<< "$j")
		rt_mpps=$(bench_fmt 3 "$rt_mpps") rt_gbps=$(bench_fmt 2 "$rt_gbps")
		rt_cyc=$(bench__cyc "$d/r0.txt" "$d/r1.txt" "peer loop" rx-pkts)
		awk -v l="$loss" 'BEGIN { exit !(l > 1) }' && rt_note="loss $(bench_fmt 1 "$loss")%"
		[ "$(pv_counter 'peer loop' rx-pkts < "$d/r1.txt")" = "$(pv_counter 'peer loop' rx-pkts < "$d/r0.txt")" ] &&
			rt_note="nothing came back: see $d/rt-$s.err"
	else
		why=$(grep -m1 '^pmdvpn-perf' "$d/rt-$s.err" | cut -c1-70)
		rt_note="n/a (pmdvpn-perf: ${why:-no result})"
	fi

	# decrypt alone: capture the replay peer's ESP, replay it (window 0)
	local dec_cyc=- dec_mpps=- dec_gbps=- dec_note=""
	local -a dtraffic=("${traffic[@]}")
	dtraffic[5]=$BENCH_W_RP_SRC_IP dtraffic[7]=$BENCH_W_RP_DST_IP  # the --src-ip and --dst-ip values
	bench__gw_snap "$name" "$d/d0.txt"
	bench_perf "$ns" "$d/dec-$s.json" "$d/dec-$s.err" "$tmo" --vdev "$memif_in" \
		-- --reflect-port "$memif_wan" --replay "$BENCH_W_REPLAY" "${dtraffic[@]}"
	bench__gw_snap "$name" "$d/d1.txt"
	if j=$(bench_json_line "$d/dec-$s.json"); then
		read -r dec_mpps dec_gbps loss < <(jq -r '[.rx.mpps, .rx.gbps, .loss_pct] | @tsv' <<< "$j")
		dec_mpps=$(bench_fmt 3 "$dec_mpps") dec_gbps=$(bench_fmt 2 "$dec_gbps")
		dec_cyc=$(bench__cyc "$d/d0.txt" "$d/d1.txt" "peer replay" rx-pkts)
		dec_note="replays $(jq -r '.replay.captured' <<< "$j") captured ESP frames, replay-window = 0"
		awk -v l="$loss" 'BEGIN { exit !(l > 1) }' && dec_note="loss $(bench_fmt 1 "$loss")%; $dec_note"
		local auth0 auth1
		auth0=$(pv_counter 'drop auth-failure' < "$d/d0.txt") auth1=$(pv_counter 'drop auth-failure' < "$d/d1.txt")
		[ "$auth1" != "$auth0" ] && dec_note="$((auth1 - auth0)) auth failures; $dec_note"
	else
		why=$(grep -m1 '^pmdvpn-perf' "$d/dec-$s.err" | cut -c1-70)
		dec_note="n/a (pmdvpn-perf: ${why:-no result})"
	fi

	# the targets of issue 3, next to the rows they apply to
	local enc_target="" rt_target=""
	case $c/$s in
	aes-128-gcm/64) enc_target="target >= 8 Mpps" ;;
	chacha20-poly1305/1420) enc_target="target >= 85%" rt_target="target >= 45%" ;;
	*/1420) enc_target="target >= 90%" rt_target="target >= 45%" ;;
	esac
	if [ -n "$enc_note" ]; then
		bench_na 2 "pmdvpn worker encrypt" "$c" "$s" "$enc_note"
	else
		bench_add 2 "pmdvpn worker encrypt" "$c" "$s" "$enc_mpps" "$enc_gbps" "$enc_cyc" \
			"$(bench__pct "$lim" "$enc_cyc")" - - "$enc_target"
	fi
	if [[ $dec_note == n/a* ]]; then
		bench_na 2 "pmdvpn worker decrypt" "$c" "$s" "$dec_note"
	else
		bench_add 2 "pmdvpn worker decrypt" "$c" "$s" "$dec_mpps" "$dec_gbps" "$dec_cyc" \
			"$(bench__pct "$lim" "$dec_cyc")" - - "$dec_note"
	fi
	if [[ $rt_note == n/a* ]]; then
		bench_na 2 "pmdvpn worker round trip" "$c" "$s" "$rt_note"
	else
		[ -n "$rt_target" ] && rt_note="${rt_note:+$rt_note; }$rt_target"
		bench_add 2 "pmdvpn worker round trip" "$c" "$s" "$rt_mpps" "$rt_gbps" "$rt_cyc" \
			"$(bench__pct "$lim" "$rt_cyc")" - - "$rt_note"
	fi
}

bench_worker() {
	local ciphers=$1 sizes=$2 secs=$3 c s d name ns="${PV_ID}-w" why i=0
	if [ "$BENCH_PERF_OK" != 1 ] || [ ! -x "$PMDVPN" ]; then
		why=$BENCH_PERF_WHY
		[ -x "$PMDVPN" ] || why="pmdvpn not built"
		for c in $ciphers; do for s in $sizes; do bench__worker_na "$c" "$s" "$why"; done; done
		return 0
	fi
	pv_ns_create "$ns" || { pv_log "cannot create namespace $ns"; return 1; }
	# Two busy processes on their own CPUs when there are two: the gateway's
	# worker on CPU 1, the generator (and the mostly sleeping main lcore) on 0.
	local gw_lcores=$PV_EAL_LCORES perf_lcores=$BENCH_PERF_LCORES
	if [ "$(nproc)" -ge 2 ]; then
		gw_lcores='0@0,1@1' perf_lcores='0@0'
	fi
	for c in $ciphers; do
		i=$((i + 1))
		name=w$i d=$PV_TMP/worker-$c
		mkdir -p "$d"
		bench__worker_conf "$c" "$d"
		pv_log "part 2: gateway with a loopback peer, $c"
		if ! PV_LOGDIR=$d PV_EAL_LCORES=$gw_lcores pv_gw_start "$name" "$ns" "$d/gw.conf" 30 2> "$d/start.err"; then
			why=$(grep -h -m1 'pmdvpn:' "$d/gw-$name.err" "$d/start.err" 2>/dev/null | head -1 | cut -c1-70)
			for s in $sizes; do bench__worker_na "$c" "$s" "gateway did not start: ${why:-see log}"; done
			pv_gw_stop "$name" 5
			continue
		fi
		for s in $sizes; do
			pv_log "part 2: $c, size $s: encrypt, decrypt (replay), round trip (${secs} s each)"
			BENCH_PERF_LCORES=$perf_lcores bench__worker_size "$name" "$ns" "$d" "$c" "$s" "$secs"
		done
		pv_gw_stop "$name" 10
	done
	bench_note "Part 2: cycles/pkt = the worker's busy TSC cycles / packets it encrypted (decrypt: decrypted, the capture's few thousand encryptions included; round trip: encrypted and decrypted); %limit = part 1's cycles/pkt for the same cipher and size / pmdvpn's. Mpps is what generator and gateway reached together on this machine (worker pinned to CPU 1, generator to CPU 0, other jobs anywhere)."
}
