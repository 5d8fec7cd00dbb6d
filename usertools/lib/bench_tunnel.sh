# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Parts 3 and 4 of usertools/pmdvpn-bench.sh: iperf3 between two namespaces
# over a bare veth, through two pmdvpn gateways, and through tinc,
# wireguard-go and OpenVPN; then one idle gateway.
#
#   A: iperf3 client                                   B: iperf3 server
#      PV_ID-ua 198.18.1.1 ====== underlay veth ====== PV_ID-ub 198.18.1.2
#         (bare veth; tinc, wireguard-go and OpenVPN run over it)
#      pmdvpn A (TAP PV_ID-va 198.19.0.1) == PV_ID-ga/gb == pmdvpn B (PV_ID-vb 198.19.1.1)
#         (WAN = net_af_packet on a veth end without kernel address)
#
#   bench_tunnel_setup
#   bench_tunnel_bare TESTS SECS
#   bench_tunnel_pmdvpn VARIANT TESTS SECS IDLE_SECS   (IDLE_SECS 0: no part 4)
#   bench_tunnel_alt KIND TESTS SECS                   (KIND tinc | wg | ovpn)

BENCH_NS_A="${PV_ID}-a"
BENCH_NS_B="${PV_ID}-b"
BENCH_U_A=198.18.1.1
BENCH_U_B=198.18.1.2
BENCH_WAN_A=198.18.0.1
BENCH_WAN_B=198.18.0.2
BENCH_O_PV_A=198.19.0.1
BENCH_O_PV_B=198.19.1.1
BENCH_O_TINC_A=198.19.2.1
BENCH_O_TINC_B=198.19.2.2
BENCH_O_WG_A=198.19.3.1
BENCH_O_WG_B=198.19.3.2
BENCH_O_OVPN_A=198.19.4.1
BENCH_O_OVPN_B=198.19.4.2
BENCH_IPERF_PORT=5201
BENCH_HZ=$(getconf CLK_TCK)
BENCH_TUNNEL_UP=0
BENCH_ALT_INFO=""

bench_tunnel_setup() {
	pv_ns_create "$BENCH_NS_A" && pv_ns_create "$BENCH_NS_B" &&
		pv_veth "$BENCH_NS_A" "${PV_ID}-ua" "$BENCH_NS_B" "${PV_ID}-ub" &&
		pv_veth "$BENCH_NS_A" "${PV_ID}-ga" "$BENCH_NS_B" "${PV_ID}-gb" &&
		ip -n "$BENCH_NS_A" addr add "$BENCH_U_A/24" dev "${PV_ID}-ua" &&
		ip -n "$BENCH_NS_B" addr add "$BENCH_U_B/24" dev "${PV_ID}-ub" || return 1
	pv_bg "$BENCH_NS_B" "$PV_TMP/iperf3-server.log" iperf3 -s -p "$BENCH_IPERF_PORT"
	bench__wait_for 10 ip netns exec "$BENCH_NS_A" ping -n -c 1 -W 1 "$BENCH_U_B" || return 1
	sleep 0.3
	BENCH_TUNNEL_UP=1
}

# bench__iperf TEST DST JSON: one iperf3 run from A; prints
# "gbps bytes rx_pps loss_pct retransmits" (zeros when it failed).
bench__iperf() {
	local test=$1 dst=$2 json=$3 secs=$4
	local -a args=(-c "$dst" -p "$BENCH_IPERF_PORT" -t "$secs" -J --connect-timeout 3000)
	case $test in
	tcp1) ;;
	tcp4) args+=(-P 4) ;;
	udp1400) args+=(-u -b 0 -l 1400) ;;
	*) pv_die "unknown test $test" ;;
	esac
	timeout -k 2 $((secs + 30)) ip netns exec "$BENCH_NS_A" iperf3 "${args[@]}" > "$json" 2> "$json.err"
	jq -r 'if .error then [0,0,0,0,0] else
		(.end.sum_received // .end.sum) as $r |
		[($r.bits_per_second // 0) / 1e9, ($r.bytes // 0),
		 (if .start.test_start.protocol == "UDP"
		  then (((.end.sum_sent.packets // .end.sum.packets // 0) - ($r.lost_packets // .end.sum.lost_packets // 0))
			/ (if ($r.seconds // 0) > 0 then $r.seconds else 1 end))
		  else 0 end),
		 (if .start.test_start.protocol == "UDP" then ($r.lost_percent // .end.sum.lost_percent // 0) else 0 end),
		 (.end.sum_sent.retransmits // 0)] end | @tsv' "$json" 2>/dev/null | tr '\t' ' ' ||
		echo "0 0 0 0 0"
}

# bench__ticks PID..: utime+stime (clock ticks) of each PID, one per line
bench__ticks() {
	local p
	for p in "$@"; do pv_proc_cpu "$p" || echo 0; done
}

# bench__measure PART_LABEL CIPHER TEST DST SECS "PIDS" "GATEWAYS" [INFO]
# One iperf3 run with the daemons' CPU (and gateways' busy cycles) around it.
bench__measure() {
	local label=$1 cipher=$2 test=$3 dst=$4 secs=$5 pids=$6 gws=$7 info=${8:-}
	local json=$PV_TMP/iperf-${label// /_}-$test.json g i
	local -a t0 t1 pidv
	local b0=0 b1=0 gbps bytes pps loss rtx cpu=- busy=- mpps=- note=""
	read -r -a pidv <<< "$pids"
	for g in $gws; do bench__gw_snap "$g" "$PV_TMP/snap-$g-0.txt"; done
	mapfile -t t0 < <(bench__ticks "${pidv[@]}")
	pv_log "part 3: $label, $test, ${secs} s"
	read -r gbps bytes pps loss rtx < <(bench__iperf "$test" "$dst" "$json" "$secs")
	mapfile -t t1 < <(bench__ticks "${pidv[@]}")
	for g in $gws; do bench__gw_snap "$g" "$PV_TMP/snap-$g-1.txt"; done
	if awk -v b="$bytes" 'BEGIN { exit !(b > 0) }'; then
		if [ ${#pidv[@]} -gt 0 ]; then
			local dt=0
			for i in "${!pidv[@]}"; do dt=$((dt + ${t1[$i]:-0} - ${t0[$i]:-0})); done
			cpu=$(awk -v t="$dt" -v hz="$BENCH_HZ" -v b="$bytes" 'BEGIN { printf "%.2f", t / hz / (b / 1e9) }')
		fi
		if [ -n "$gws" ] && [ -n "$BENCH_TSC_HZ" ]; then
			local ok=1
			for g in $gws; do
				[ -s "$PV_TMP/snap-$g-0.txt" ] && [ -s "$PV_TMP/snap-$g-1.txt" ] || ok=0
				b0=$((b0 + $(bench__busy "$PV_TMP/snap-$g-0.txt")))
				b1=$((b1 + $(bench__busy "$PV_TMP/snap-$g-1.txt")))
			done
			[ "$ok" = 1 ] && busy=$(awk -v c="$((b1 - b0))" -v hz="$BENCH_TSC_HZ" -v b="$bytes" \
				'BEGIN { printf "%.2f", c / hz / (b / 1e9) }')
		fi
		case $test in
		udp*) mpps=$(bench_fmt 3 "$(awk -v p="$pps" 'BEGIN { print p / 1e6 }')")
		      note="loss $(bench_fmt 1 "$loss")%" ;;
		*) note="$rtx retransmits" ;;
		esac
		[ -n "$info" ] && note="$note; $info"
		bench_add 3 "$label" "$cipher" "$test" "$mpps" "$(bench_fmt 2 "$gbps")" - - "$cpu" "$busy" "$note"
	else
		local why
		why=$(jq -r '.error // empty' "$json" 2>/dev/null | cut -c1-60)
		bench_na 3 "$label" "$cipher" "$test" "n/a (iperf3 failed${why:+: $why})"
	fi
}

bench_tunnel_bare() {
	local tests=$1 secs=$2 t
	for t in $tests; do
		bench__measure "bare veth (kernel, no tunnel)" - "$t" "$BENCH_U_B" "$secs" "" ""
	done
}

# bench__pv_conf SIDE VARIANT FILE: one of the two gateways, fresh keys.
bench__pv_conf() {
	local side=$1 variant=$2 f=$3 me peer wan ifname in_addr subnet spi_out spi_in k_out k_in
	if [ "$side" = a ]; then
		me=$BENCH_WAN_A peer=$BENCH_WAN_B wan="${PV_ID}-ga" ifname="${PV_ID}-va"
		in_addr=$BENCH_O_PV_A/24 subnet=${BENCH_O_PV_B%.*}.0/24 spi_out=0x2001 spi_in=0x1001
		k_out=$BENCH_PV_KEY_AB k_in=$BENCH_PV_KEY_BA
	else
		me=$BENCH_WAN_B peer=$BENCH_WAN_A wan="${PV_ID}-gb" ifname="${PV_ID}-vb"
		in_addr=$BENCH_O_PV_B/24 subnet=${BENCH_O_PV_A%.*}.0/24 spi_out=0x1001 spi_in=0x2001
		k_out=$BENCH_PV_KEY_BA k_in=$BENCH_PV_KEY_AB
	fi
	# variant "wan = af_xdp": the WAN on AF_XDP (native XDP on the veth)
	# instead of AF_PACKET; any other variant is a [gateway] line
	local wan_dev="net_af_packet0,iface=$wan"
	if [ "$variant" = "wan = af_xdp" ]; then
		wan_dev="net_af_xdp0,iface=$wan,start_queue=0,queue_count=1"
		variant=default
	fi
	umask 077
	cat > "$f" <<-EOF
	# pmdvpn-bench part 3: gateway $side, as the quickstart runs it
	[gateway]
	wan = $wan_dev
	wan-address = $me/24
	inside = tap
	inside-name = $ifname
	inside-address = $in_addr
	state-file = $f.state
	crypto = ipsec-mb
	EOF
	[ "$variant" = default ] || echo "$variant" >> "$f"
	cat >> "$f" <<-EOF

	[peer site-$([ "$side" = a ] && echo b || echo a)]
	endpoint = $peer:4500
	subnets = $subnet
	cipher = aes-128-gcm
	spi-out = $spi_out
	key-out = $k_out
	spi-in = $spi_in
	key-in = $k_in
	EOF
	umask 022
}

# bench__tap_desc NS IF: what the kernel says of a gateway's TAP (the
# exception path as it really is, whatever the config asked for).
bench__tap_desc() {
	local ns=$1 ifc=$2 d vh tso mq=""
	d=$(ip -n "$ns" -d link show "$ifc" 2>/dev/null) || { echo "no $ifc"; return; }
	vh=$(grep -o -E 'vnet_hdr (on|off)' <<< "$d" | cut -d' ' -f2)
	grep -q -w multi_queue <<< "$d" && mq=", multi_queue"
	tso=$(ip netns exec "$ns" ethtool -k "$ifc" 2>/dev/null | awk -F': ' '/^tcp-segmentation-offload/ { print $2 }')
	echo "TAP vnet_hdr ${vh:-?}, TSO ${tso:-?}$mq"
}

# bench_pmdvpn_variant_ok VARIANT: does this build's config parser take it?
bench_pmdvpn_variant_ok() {
	local f=$PV_TMP/variant-check.conf
	BENCH_PV_KEY_AB=$(pv_randhex 20) BENCH_PV_KEY_BA=$(pv_randhex 20)
	bench__pv_conf a "$1" "$f"
	"$PMDVPN" -- -f "$f" --check > /dev/null 2>&1
}

bench_tunnel_pmdvpn() {
	local variant=$1 tests=$2 secs=$3 idle=$4 t label=pmdvpn ga gb d info
	[ "$variant" = default ] || label="pmdvpn ${variant// /}"
	if [ ! -x "$PMDVPN" ]; then
		for t in $tests; do bench_na 3 "$label" aes-128-gcm "$t" "n/a (pmdvpn not built)"; done
		[ "$idle" = 0 ] || bench_na 4 "pmdvpn gateway, no traffic" aes-128-gcm - "n/a (pmdvpn not built)"
		return 0
	fi
	BENCH_PV_N=$((${BENCH_PV_N:-0} + 1))
	ga=ta$BENCH_PV_N gb=tb$BENCH_PV_N d=$PV_TMP/pmdvpn$BENCH_PV_N
	mkdir -p "$d"
	BENCH_PV_KEY_AB=$(pv_randhex 20) BENCH_PV_KEY_BA=$(pv_randhex 20)
	bench__pv_conf a "$variant" "$d/a.conf"
	bench__pv_conf b "$variant" "$d/b.conf"
	pv_log "part 3: two pmdvpn gateways ($variant)"
	if ! PV_LOGDIR=$d pv_gw_start "$ga" "$BENCH_NS_A" "$d/a.conf" 30 ||
	   ! PV_LOGDIR=$d pv_gw_start "$gb" "$BENCH_NS_B" "$d/b.conf" 30 ||
	   ! bench__wait_for 20 bench__ping "$BENCH_NS_A" "$BENCH_O_PV_B"; then
		info=$(grep -h -m1 'pmdvpn:' "$d"/gw-*.err 2>/dev/null | head -1 | cut -c1-60)
		for t in $tests; do bench_na 3 "$label" aes-128-gcm "$t" "n/a (tunnel did not come up${info:+: $info})"; done
		[ "$idle" = 0 ] || bench_na 4 "pmdvpn gateway, no traffic" aes-128-gcm - "n/a (tunnel did not come up)"
		pv_gw_stop "$ga" 5; pv_gw_stop "$gb" 5
		return 0
	fi
	bench_meta_once "pmdvpn startup" "$(grep -h '^pmdvpn: ' "${PV_GW_OUT[$ga]}" | grep -v ready | head -3 |
		sed 's/^pmdvpn: //' | paste -sd ';' | sed 's/;/; /g')"
	bench_tsc_hz
	info=$(bench__tap_desc "$BENCH_NS_A" "${PV_ID}-va")
	BENCH_PV_VNET=off
	[[ $info == *"vnet_hdr on"* ]] && BENCH_PV_VNET=on
	bench__stages "$ga" "$gb" on
	for t in $tests; do
		local tinfo=$info
		[ "$t" = tcp1 ] && tinfo="$info; target >= 5 Gbit/s at <= 1 busy s/GB"
		bench__measure "$label" aes-128-gcm "$t" "$BENCH_O_PV_B" "$secs" \
			"${PV_GW_PID[$ga]} ${PV_GW_PID[$gb]}" "$ga $gb" "$tinfo"
	done
	bench__stages "$ga" "$gb" report "$label"
	[ "$idle" = 0 ] || bench__idle "$ga" "$idle"
	pv_gw_stop "$ga" 10; pv_gw_stop "$gb" 10
	bench_note "Part 3, pmdvpn: CPU s/GB is both gateway processes' user+system time (polling included); busy s/GB is the sum of both workers' busy-cycles / TSC rate ($BENCH_TSC_HZ Hz, from $BENCH_TSC_SRC) per GB received, so idle polling does not count against pmdvpn. Busy cycles are wall-clock TSC cycles: a worker that is descheduled in the middle of a poll that moved packets keeps counting, so on an oversubscribed machine busy s/GB can exceed CPU s/GB."
}

# bench__stages GA GB on|report [LABEL]: the workers' busy cycles split by
# stage (console `set stage-cycles on`, `show lcores`) over all of part 3's
# runs of one variant, as a note: where a host-to-host packet's time goes.
bench__stages() {
	local ga=$1 gb=$2 what=$3 label=${4:-} g line out=""
	local ctl=$PV_ROOT/usertools/pmdvpn-ctl
	for g in "$ga" "$gb"; do
		if [ "$what" = on ]; then
			ip netns exec "${PV_GW_NS[$g]}" "$ctl" -p "pmdvpn-${PV_ID}-$g" \
				cmd set stage-cycles on > /dev/null 2>&1
			continue
		fi
		line=$(ip netns exec "${PV_GW_NS[$g]}" "$ctl" -p "pmdvpn-${PV_ID}-$g" cmd show lcores \
			2>/dev/null | sed -n 's/^  stages over [0-9]* busy polls: //p' | head -1)
		[ -n "$line" ] && out="$out${out:+; }gateway $([ "$g" = "$ga" ] && echo A || echo B): $line"
	done
	[ "$what" = report ] && [ -n "$out" ] &&
		bench_note "Part 3, $label: where the workers' busy cycles went over these runs (set stage-cycles on; rx = rx bursts incl. vtap reads and segmentation, tx = tx bursts incl. AF_PACKET sends and vtap writes, where the kernel delivers the frame to the other side inside the system call): $out."
	return 0
}

# bench__idle GATEWAY SECS: part 4 on a running gateway with no traffic.
bench__idle() {
	local g=$1 secs=$2 pid=${PV_GW_PID[$1]} t0 t1 pct busy=-
	sleep 2   # let the last iperf3 run's stragglers and TCP timers pass
	pv_log "part 4: gateway idle for ${secs} s"
	bench__gw_snap "$g" "$PV_TMP/idle-0.txt"
	t0=$(pv_proc_cpu "$pid")
	sleep "$secs"
	t1=$(pv_proc_cpu "$pid")
	bench__gw_snap "$g" "$PV_TMP/idle-1.txt"
	pct=$(awk -v d="$((t1 - t0))" -v hz="$BENCH_HZ" -v s="$secs" 'BEGIN { printf "%.1f", 100 * d / hz / s }')
	if [ -s "$PV_TMP/idle-0.txt" ] && [ -s "$PV_TMP/idle-1.txt" ] && [ -n "$BENCH_TSC_HZ" ]; then
		busy=$(awk -v c="$(($(bench__busy "$PV_TMP/idle-1.txt") - $(bench__busy "$PV_TMP/idle-0.txt")))" \
			-v hz="$BENCH_TSC_HZ" -v s="$secs" 'BEGIN { printf "%.2f", 100 * c / hz / s }')
	fi
	bench_add 4 "pmdvpn gateway, no traffic, ${secs} s" aes-128-gcm - - - - - - - \
		"process CPU $pct% of one core; worker busy $busy% (target < 5%)"
	bench_meta "idle CPU percent of one core" "$pct"
}

bench_tunnel_alt() {
	local kind=$1 tests=$2 secs=$3 t cipher label
	case $kind in
	tinc) cipher="aes-256-cbc+sha256" ;;
	wg) cipher="chacha20-poly1305" ;;
	ovpn) cipher="aes-256-gcm" ;;
	esac
	BENCH_ALT_INFO=""
	BENCH_ALT_WHY=""
	pv_log "part 3: starting $kind"
	if "bench_${kind}_start"; then
		label=$BENCH_ALT_LABEL
		for t in $tests; do
			bench__measure "$label" "$cipher" "$t" "$BENCH_ALT_DST" "$secs" "$BENCH_ALT_PIDS" "" "$BENCH_ALT_INFO"
		done
	else
		for t in $tests; do bench_na 3 "${BENCH_ALT_LABEL:-$kind}" "$cipher" "$t" "n/a ($BENCH_ALT_WHY)"; done
	fi
	bench_alt_stop
}
