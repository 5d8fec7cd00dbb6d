# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Part 5 of usertools/pmdvpn-bench.sh: 1 worker against 2 workers.
#
#   pmdvpn-perf --queues N  ==memif, N queues==> inside  pmdvpn  WAN ==memif, N queues==>
#                                                (N workers)          pmdvpn-perf
#
# The gateway has two loopback peers, "a" and "b" (own SPI, key and
# subnets); peers are spread over the workers, so with two workers each
# owns one. pmdvpn-perf sends flow f on queue f % N with --paired-ips: even
# flows go 198.18.10.2 -> .4 (peer a), odd ones .3 -> .5 (peer b), so with
# N = 2 each worker's queue carries its own peer's traffic and nothing has
# to be handed over (the "event handoff" counter says whether it was).
# Both memif sides are configured with N queue pairs: DPDK 22.11's memif
# connects min(client's, server's) rings per direction, and a queue without
# a ring carries nothing.
#
#   bench_scale "CIPHERS" "SIZES" SECS
# Needs BENCH_PERF_OK (bench_crypto.sh), PMDVPN, PV_TMP, bench_worker.sh.

BENCH_S_SRC=198.18.10.2-198.18.10.3
BENCH_S_DST=198.18.10.4-198.18.10.5

bench__scale_conf() {   # CIPHER DIR
	local c=$1 d=$2 ka kb
	ka=$(pv_randhex "$(pv_key_bytes "$c")")
	kb=$(pv_randhex "$(pv_key_bytes "$c")")
	umask 077
	{
		echo "# pmdvpn-bench part 5: two loopback peers, one per worker when there are two"
		bench__memif_gateway "$d" "198.18.10.4 $BENCH_W_GEN_MAC" "198.18.10.5 $BENCH_W_GEN_MAC" \
			"198.18.20.2 $BENCH_W_REFL_MAC" "198.18.20.3 $BENCH_W_REFL_MAC"
		echo
		pv_loop_peer a 198.18.20.2:4500 "198.18.10.2/32, 198.18.10.4/32" "$c" 0x5151 "$ka"
		echo
		pv_loop_peer b 198.18.20.3:4500 "198.18.10.3/32, 198.18.10.5/32" "$c" 0x5252 "$kb"
	} > "$d/gw.conf"
	umask 022
}

# /proc/stat's first line: "busy total" jiffies of all CPUs.
bench__cpu_jiffies() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat
}

# CPU jiffies (utime + stime) of a process and its threads.
bench__pid_jiffies() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# bench__scale_run NAME NS DIR CIPHER SIZE SECS NQ MODE: one pmdvpn-perf run;
# sets BS_MPPS BS_GBPS BS_CYC BS_NOTE.
bench__scale_run() {
	local name=$1 ns=$2 d=$3 c=$4 s=$5 secs=$6 nq=$7 mode=$8 j tmo why
	local memif_in="net_memif2,role=client,id=0,socket=$d/in.sock,socket-abstract=no,mac=$BENCH_W_GEN_MAC"
	local memif_wan="net_memif3,role=client,id=0,socket=$d/wan.sock,socket-abstract=no,mac=$BENCH_W_REFL_MAC"
	local -a traffic args
	# shellcheck disable=SC2207
	traffic=(--src-mac "$BENCH_W_GEN_MAC" --dst-mac "$BENCH_W_GW_IN_MAC" --src-ip "$BENCH_S_SRC"
		 --dst-ip "$BENCH_S_DST" --paired-ips --flows 64 --queues "$nq"
		 $(bench_size_args "$s") --duration "$secs" --drain-ms 200 --link-timeout 10 --quiet --json)
	if [ "$mode" = encrypt ]; then
		args=(--vdev "$memif_in" --vdev "$memif_wan" -- --tx-port net_memif2 --rx-port net_memif3)
	else
		args=(--vdev "$memif_in" -- --reflect-port "$memif_wan")
	fi
	tmo=$((${secs%.*} + 30))
	BS_MPPS=- BS_GBPS=- BS_CYC=- BS_NOTE=""
	local cpu0 cpu1 g0 g1 pid=${PV_GW_PID[$name]:-} tag="$mode-$s-$nq"
	local gwpid
	gwpid=$(pgrep -P "$pid" -x pmdvpn 2>/dev/null | head -1)
	[ -n "$gwpid" ] || gwpid=$pid
	bench__gw_snap "$name" "$d/s0-$tag.txt"
	read -r cpu0 <<< "$(bench__cpu_jiffies | tr ' ' ,)"
	g0=$(bench__pid_jiffies "$gwpid")
	bench_perf "$ns" "$d/$tag.json" "$d/$tag.err" "$tmo" "${args[@]}" "${traffic[@]}"
	g1=$(bench__pid_jiffies "$gwpid")
	read -r cpu1 <<< "$(bench__cpu_jiffies | tr ' ' ,)"
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	bench__gw_snap "$name" "$d/s1-$tag.txt"
	if ! j=$(bench_json_line "$d/$tag.json"); then
		why=$(grep -m1 '^pmdvpn-perf' "$d/$tag.err" | cut -c1-70)
		BS_NOTE="n/a (pmdvpn-perf: ${why:-no result})"
		return 1
	fi
	if [ "$mode" = encrypt ]; then
		read -r BS_MPPS BS_GBPS < <(jq -r '
			(.ports[] | select(.name == "net_memif3") | .rx_packets) as $n |
			[($n / .seconds / 1e6), ($n / .seconds * .avg_frame * 8 / 1e9)] | @tsv' <<< "$j")
	else
		read -r BS_MPPS BS_GBPS < <(jq -r '[.rx.mpps, .rx.gbps] | @tsv' <<< "$j")
	fi
	BS_MPPS=$(bench_fmt 3 "$BS_MPPS") BS_GBPS=$(bench_fmt 2 "$BS_GBPS")
	local key=tx-pkts
	[ "$mode" = encrypt ] || key=rx-pkts
	local pa pb ho b0 b1 p0 p1
	pa=$(( $(pv_counter 'peer a' "$key" < "$d/s1-$tag.txt") - $(pv_counter 'peer a' "$key" < "$d/s0-$tag.txt") ))
	pb=$(( $(pv_counter 'peer b' "$key" < "$d/s1-$tag.txt") - $(pv_counter 'peer b' "$key" < "$d/s0-$tag.txt") ))
	ho=$(( $(pv_counter 'event handoff' < "$d/s1-$tag.txt") - $(pv_counter 'event handoff' < "$d/s0-$tag.txt") ))
	if [ -s "$d/s0-$tag.txt" ] && [ -s "$d/s1-$tag.txt" ] && [ $((pa + pb)) -gt 0 ]; then
		b0=$(bench__busy "$d/s0-$tag.txt") b1=$(bench__busy "$d/s1-$tag.txt")
		BS_CYC=$(( (b1 - b0) / (pa + pb) ))
	fi
	local ca=(${cpu0//,/ }) cb=(${cpu1//,/ }) hz
	hz=$(getconf CLK_TCK)
	local mach gw
	mach=$(awk -v b="$((cb[0] - ca[0]))" -v t="$((cb[1] - ca[1]))" -v n="$(nproc)" \
		'BEGIN { if (t > 0) printf "%.0f", 100 * b / t * n; else print "?" }')
	gw=$(awk -v g="$((g1 - g0))" -v hz="$hz" -v t="$((cb[1] - ca[1]))" -v n="$(nproc)" \
		'BEGIN { if (t > 0) printf "%.0f", 100 * g / (t / n); else print "?" }')
	# each lcore's busy share of its cycles during the run (busy / busy + idle)
	local lb
	lb=$(awk 'FNR == 1 { f++ } $1 == "lcore" {
			for (i = 3; i < NF; i++) { if ($i == "busy-cycles") b[f, $2] = $(i + 1)
						   if ($i == "idle-cycles") id[f, $2] = $(i + 1) }
			if (f == 1) { ids[$2] = 1; if ($2 + 0 > mx) mx = $2 + 0 } }
		END { for (l = 0; l <= mx; l++) { if (!(l in ids)) continue; db = b[2, l] - b[1, l]; di = id[2, l] - id[1, l]
			if (db + di > 0) printf "%s%.0f%%", (n++ ? "/" : ""), 100 * db / (db + di) } }' \
		"$d/s0-$tag.txt" "$d/s1-$tag.txt")
	BS_NOTE="peer a $pa, b $pb pkts; handoffs $ho; worker busy ${lb:-?}; machine CPU ${mach}% of $(nproc)00%, gateway ${gw}%, the rest (generator, other jobs) $((mach - gw))%; load $load"
	return 0
}

bench_scale() {
	local ciphers=$1 sizes=$2 secs=$3 c s n d name ns="${PV_ID}-s" mode lc why
	local -A mpps=()
	if [ "$BENCH_PERF_OK" != 1 ] || [ ! -x "$PMDVPN" ]; then
		why=${BENCH_PERF_WHY:-pmdvpn not built}
		for c in $ciphers; do for s in $sizes; do for n in 1 2; do
			bench_na 5 "pmdvpn $n worker(s) encrypt" "$c" "$s" "n/a ($why)"
		done; done; done
		return 0
	fi
	if ! "$PERF" -- --help 2>&1 | grep -q -- '--queues'; then
		bench_na 5 "pmdvpn 1 vs 2 workers" - - "n/a (pmdvpn-perf lacks --queues)"
		return 0
	fi
	pv_ns_create "$ns" || { pv_log "cannot create namespace $ns"; return 1; }
	for c in $ciphers; do
		for n in 1 2; do
			name=s$n-${c%%-*} d=$PV_TMP/scale-$c-$n
			mkdir -p "$d"
			bench__scale_conf "$c" "$d"
			# Every lcore may run on either CPU in both set-ups (the same
			# policy for 1 and 2 workers; the generator floats too).
			lc='0@(0,1),1@(0,1)'
			[ "$n" = 2 ] && lc='0@(0,1),1@(0,1),2@(0,1)'
			pv_log "part 5: $c, $n worker(s) (--lcores $lc), two loopback peers"
			if ! PV_LOGDIR=$d PV_EAL_LCORES=$lc pv_gw_start "$name" "$ns" "$d/gw.conf" 30 2> "$d/start.err"; then
				why=$(grep -h -m1 'pmdvpn:' "$d/gw-$name.err" "$d/start.err" 2>/dev/null | head -1 | cut -c1-70)
				for s in $sizes; do
					bench_na 5 "pmdvpn $n worker(s) encrypt" "$c" "$s" "n/a (gateway did not start: ${why:-see log})"
				done
				pv_gw_stop "$name" 5
				continue
			fi
			for s in $sizes; do
				for mode in encrypt "round trip"; do
					[ "$mode" = "round trip" ] && [ "${BENCH_SCALE_RT:-1}" = 0 ] && continue
					pv_log "part 5: $c, size $s, $n worker(s): $mode (${secs} s)"
					local what="pmdvpn $n worker$([ "$n" = 2 ] && echo s) $mode"
					if ! BENCH_PERF_LCORES='0@(0,1)' bench__scale_run "$name" "$ns" "$d" "$c" "$s" "$secs" "$n" "${mode/ /-}"; then
						bench_na 5 "$what" "$c" "$s" "$BS_NOTE"
						continue
					fi
					mpps[$c/$s/$mode/$n]=$BS_MPPS
					local note=$BS_NOTE r
					if [ "$n" = 2 ]; then
						r=$(awk -v a="${mpps[$c/$s/$mode/1]:--}" -v b="$BS_MPPS" 'BEGIN {
							if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && a > 0) printf "%.2f", b / a; else print "-" }')
						note="2 workers / 1 worker = $r; $note"
					fi
					bench_add 5 "$what" "$c" "$s" "$BS_MPPS" "$BS_GBPS" "$BS_CYC" - - - "$note"
				done
			done
			pv_gw_stop "$name" 10
		done
	done
	bench_note "Part 5: the same gateway with one worker (--lcores 0@(0,1),1@(0,1)) and with two (0@(0,1),1@(0,1),2@(0,1)); two loopback peers, one owned by each worker when there are two; pmdvpn-perf (one lcore, free on both CPUs) sends flow f on memif queue f % workers. cyc/pkt = all workers' busy cycles / packets. On a 2-vCPU machine the generator, the main lcore and two polling workers share two CPUs, so the second worker takes CPU from the generator and the first worker: the ratio shows this machine, not the design."
}
