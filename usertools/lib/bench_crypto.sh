# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Part 1 of usertools/pmdvpn-bench.sh: the limit. pmdvpn-perf --mode crypto
# runs lib/crypto's burst call on in-memory buffers, one core, no I/O.
# Also the pmdvpn-perf helpers that part 2 shares.
#
#   bench_perf_check               sets BENCH_PERF_OK (1/0) and BENCH_PERF_WHY
#   bench_perf NS OUT ERR TMO [EAL args..] -- [perf args..]
#   bench_size_args SIZE           "--size N" or the IMIX options
#   bench_crypto CIPHERS SIZES SECS
#   bench_tsc_hz                   sets BENCH_TSC_HZ and BENCH_TSC_SRC
#
# Results of part 1 that part 2 compares with:
#   BENCH_LIMIT_CYC[cipher/size]   cycles per packet

declare -gA BENCH_LIMIT_CYC=()
BENCH_PERF_OK=0
BENCH_PERF_WHY="pmdvpn-perf missing"
BENCH_PERF_N=0
BENCH_IMIX_SIZES=64,594,1420
BENCH_TSC_HZ=""
BENCH_TSC_SRC=""
BENCH_PERF_LCORES='0@(0,1)'   # pmdvpn-perf's one lcore: free to float by default

# Usable = built, and its --help lists what the benchmark calls.
bench_perf_check() {
	local help
	BENCH_PERF_OK=0
	if [ ! -x "$PERF" ]; then
		BENCH_PERF_WHY="pmdvpn-perf missing"
		return 1
	fi
	help=$("$PERF" -- --help 2>&1) || true
	if ! grep -q -- '--mode crypto' <<< "$help" || ! grep -q -- '--reflect-port' <<< "$help"; then
		BENCH_PERF_WHY="pmdvpn-perf lacks --mode crypto or --reflect-port"
		return 1
	fi
	BENCH_PERF_OK=1
	BENCH_PERF_WHY=""
}

# bench_perf NS OUT ERR TMO [EAL args..] -- [perf args..]: one pmdvpn-perf
# run in NS ("-" = here), bounded by TMO seconds, stdout to OUT. Its EAL
# runtime directory is removed by pv_cleanup. Returns its exit status.
bench_perf() {
	local ns=$1 out=$2 err=$3 tmo=$4 prefix rc
	shift 4
	BENCH_PERF_N=$((BENCH_PERF_N + 1))
	prefix="pmdvpn-${PV_ID}-perf$BENCH_PERF_N"
	PV_DPDK_PREFIXES+=("$prefix")
	local -a cmd=("$PERF" --no-pci --no-huge -m 256 --file-prefix "$prefix"
		      --lcores "$BENCH_PERF_LCORES" --log-level=lib.eal:error "$@")
	if [ "$ns" = - ]; then
		timeout -k 2 "$tmo" "${cmd[@]}" > "$out" 2> "$err" < /dev/null
	else
		timeout -k 2 "$tmo" ip netns exec "$ns" "${cmd[@]}" > "$out" 2> "$err" < /dev/null
	fi
	rc=$?
	rm -rf "/var/run/dpdk/$prefix"
	return $rc
}

bench_size_args() {
	if [ "$1" = imix ]; then
		echo "--imix --imix-sizes $BENCH_IMIX_SIZES"
	else
		echo "--size $1"
	fi
}

# The last line of a file that parses as JSON (the tool prints one object).
bench_json_line() {
	local l
	l=$(grep '^{' "$1" 2>/dev/null | tail -1)
	[ -n "$l" ] && jq -e . > /dev/null 2>&1 <<< "$l" && printf '%s\n' "$l"
}

# bench_crypto "CIPHERS" "SIZES" SECS REPS: the best of REPS runs of SECS
# each (the limit is what the core can do; a run that lost the CPU to
# another job for a while says less about it).
bench_crypto() {
	local ciphers=$1 sizes=$2 secs=$3 reps=${4:-1} c s r j best why mpps gbps cyc hz engine
	for c in $ciphers; do
		for s in $sizes; do
			if [ "$BENCH_PERF_OK" != 1 ]; then
				bench_na 1 "intel-ipsec-mb encrypt" "$c" "$s" "n/a ($BENCH_PERF_WHY)"
				continue
			fi
			best="" why=""
			for ((r = 1; r <= reps; r++)); do
				local out=$PV_TMP/crypto-$c-$s-$r.json err=$PV_TMP/crypto-$c-$s-$r.err
				# shellcheck disable=SC2046
				bench_perf - "$out" "$err" $((${secs%.*} + 20)) -- --mode crypto --cipher "$c" \
					$(bench_size_args "$s") --impl ipsec-mb --duration "$secs" --json
				if j=$(bench_json_line "$out"); then
					if [ -z "$best" ] || jq -e --argjson b "$best" '.mpps > $b.mpps' > /dev/null <<< "$j"; then
						best=$j
					fi
				else
					why=$(grep -m1 -v '^EAL' "$err" | cut -c1-80)
				fi
			done
			if [ -z "$best" ]; then
				bench_na 1 "intel-ipsec-mb encrypt" "$c" "$s" "n/a (pmdvpn-perf failed: ${why:-no output})"
				continue
			fi
			IFS=$'\t' read -r mpps gbps cyc hz engine < <(jq -r '[.mpps, .gbps,
				.cycles_per_packet, .tsc_hz, .engine] | @tsv' <<< "$best")
			BENCH_LIMIT_CYC[$c/$s]=$cyc
			[ -n "$BENCH_TSC_HZ" ] || { BENCH_TSC_HZ=$hz; BENCH_TSC_SRC="DPDK rte_get_tsc_hz() as reported by pmdvpn-perf"; }
			bench_add 1 "intel-ipsec-mb encrypt" "$c" "$s" "$(bench_fmt 3 "$mpps")" \
				"$(bench_fmt 2 "$gbps")" "$(bench_fmt 0 "$cyc")" - - - \
				"$([ "$reps" -gt 1 ] && echo "best of $reps x ${secs} s")"
			bench_meta_once "crypto engine" "$engine"
		done
	done
}

declare -gA BENCH_META_SEEN=()
bench_meta_once() {
	[ -n "${BENCH_META_SEEN[$1]:-}" ] && return 0
	BENCH_META_SEEN[$1]=1
	bench_meta "$1" "$2"
}

# The TSC rate that converts busy cycles to seconds, and where it came
# from: pmdvpn's own startup log if it prints one, else DPDK's value via
# pmdvpn-perf (the same rte_get_tsc_hz() the gateway uses), else the
# kernel's calibration (dmesg), else /proc/cpuinfo.
bench_tsc_hz() {
	local f v out err j
	for f in "${PV_GW_OUT[@]}"; do
		v=$(grep -i -o -E 'tsc[ _-]?(hz|rate)[ =:]+[0-9]+' "$f" 2>/dev/null | grep -o -E '[0-9]+$' | head -1)
		if [ -n "$v" ]; then
			BENCH_TSC_HZ=$v BENCH_TSC_SRC="the pmdvpn startup log"
			return 0
		fi
	done
	[ -n "$BENCH_TSC_HZ" ] && return 0
	if [ "$BENCH_PERF_OK" = 1 ]; then
		out=$PV_TMP/tsc.json err=$PV_TMP/tsc.err
		bench_perf - "$out" "$err" 20 -- --mode crypto --cipher aes-128-gcm --size 64 \
			--impl ipsec-mb --duration 0.01 --json
		if j=$(bench_json_line "$out"); then
			BENCH_TSC_HZ=$(jq -r .tsc_hz <<< "$j")
			BENCH_TSC_SRC="DPDK rte_get_tsc_hz() as reported by pmdvpn-perf"
			return 0
		fi
	fi
	v=$(dmesg 2>/dev/null | grep -o -E 'tsc: (Refined TSC clocksource calibration|Detected) [0-9.]+ MHz' |
		tail -1 | grep -o -E '[0-9.]+ MHz' | cut -d' ' -f1)
	if [ -n "$v" ]; then
		BENCH_TSC_HZ=$(awk -v m="$v" 'BEGIN { printf "%.0f", m * 1e6 }')
		BENCH_TSC_SRC="the kernel's TSC calibration (dmesg)"
		return 0
	fi
	v=$(awk -F: '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
	if [ -n "$v" ]; then
		BENCH_TSC_HZ=$(awk -v m="$v" 'BEGIN { printf "%.0f", m * 1e6 }')
		BENCH_TSC_SRC="/proc/cpuinfo cpu MHz (assumes a constant TSC)"
		return 0
	fi
	return 1
}
