#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmdvpn next to its limit and its alternatives, in one command:
#
#   sudo usertools/pmdvpn-bench.sh [--quick] [--json FILE] [--write-doc]
#                                  [--no-install] [--no-build]
#
# Prints one table:
#   1. the limit: intel-ipsec-mb AEAD on one core, buffers in memory
#      (pmdvpn-perf --mode crypto), per cipher and size;
#   2. one pmdvpn worker lcore: encrypt, decrypt (pmdvpn-perf --replay of
#      captured ESP on an SA with replay-window = 0) and round trip over
#      net_memif to pmdvpn-perf with loopback peers: Mpps, Gbit/s, busy
#      cycles per packet, share of the limit;
#   3. host to host: iperf3 TCP (1 and 4 streams) and UDP (1400 bytes)
#      between two namespaces over a bare veth, two pmdvpn gateways (TAP
#      exception path), tinc, wireguard-go and OpenVPN (AES-256-GCM, no
#      DCO): Gbit/s and the daemons' CPU seconds per GB, and for pmdvpn
#      its workers' busy seconds per GB;
#   4. idle: one gateway's CPU with no traffic for 10 s;
#   5. 1 worker against 2 workers: two loopback peers, two memif queues,
#      encrypt and round trip, with the machine's load during each run.
#
#   --quick       a subset (AES-128-GCM at 64 and 1420 bytes, TCP 1 stream,
#                 shorter runs), in under 3 minutes
#   --json FILE   also write every row as JSON
#   --write-doc   regenerate doc/benchmarks.rst from this run
#   --no-install  do not apt-get the alternatives (missing ones show n/a)
#   --no-build    use the binaries in BUILDDIR as they are
#
# Everything runs in network namespaces created and deleted here, on
# 198.18.0.0/15. Numbers on a small shared VM are noisy: the benchmark
# reports them and never fails because one is low. Exit status: 0 when the
# table was printed, 1 on a setup failure.
#
# Environment: BUILDDIR (default build).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PV_ID=${PV_ID:-pb$$}
. "$HERE/lib/common.sh"
. "$HERE/lib/bench_report.sh"
. "$HERE/lib/bench_crypto.sh"
. "$HERE/lib/bench_worker.sh"
. "$HERE/lib/bench_scale.sh"
. "$HERE/lib/bench_alt.sh"
. "$HERE/lib/bench_tunnel.sh"
cd "$PV_ROOT" || exit 1

QUICK=0 JSON="" WRITE_DOC=0 INSTALL=1 BUILD=1
CMDLINE="usertools/pmdvpn-bench.sh${*:+ $*}"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--json) [ $# -ge 2 ] || { echo "--json needs a file name" >&2; exit 2; }
		JSON=$2; shift ;;
	--write-doc) WRITE_DOC=1 ;;
	--no-install) INSTALL=0 ;;
	--no-build) BUILD=0 ;;
	-h|--help) sed -n '3,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -z "$JSON" ] || case $JSON in /*) ;; *) JSON=$PWD/$JSON ;; esac

BUILDDIR=${BUILDDIR:-build}
PMDVPN=$PV_ROOT/$BUILDDIR/app/pmdvpn/pmdvpn
PERF=$PV_ROOT/$BUILDDIR/app/pmdvpn-perf/pmdvpn-perf
PV_PKGS_bench="iperf3 jq ethtool procps iproute2 iputils-ping util-linux $BENCH_PKGS_tinc $BENCH_PKGS_wg $BENCH_PKGS_ovpn"

if [ "$QUICK" = 1 ]; then
	CIPHERS_1="aes-128-gcm chacha20-poly1305" SIZES_1="64 1420" SECS_1=0.5 REPS_1=2
	CIPHERS_2="aes-128-gcm" SIZES_2="64 1420" SECS_2=2
	TESTS_3="tcp1" SECS_3=5 VARIANTS_3="default" IDLE_SECS=10
	CIPHERS_5="aes-128-gcm" SIZES_5="64" SECS_5=2
else
	CIPHERS_1="aes-128-gcm aes-256-gcm chacha20-poly1305" SIZES_1="64 512 1420 imix" SECS_1=0.5 REPS_1=3
	CIPHERS_2=$CIPHERS_1 SIZES_2=$SIZES_1 SECS_2=3
	TESTS_3="tcp1 tcp4 udp1400" SECS_3=10 VARIANTS_3="default inside-offload=no wan=af_xdp" IDLE_SECS=10
	CIPHERS_5="aes-128-gcm" SIZES_5="64 1420" SECS_5=3
fi

pv_require_root
command -v jq > /dev/null || [ "$INSTALL" = 1 ] || pv_die "jq is needed (apt-get install jq)"
if [ "$INSTALL" = 1 ]; then
	# in a subshell: a failed install (no network) leaves n/a rows, not an abort
	( pv_install_deps bench ) || pv_log "some packages could not be installed: their rows will say n/a"
fi
command -v jq > /dev/null && command -v iperf3 > /dev/null || pv_die "jq and iperf3 are needed"

# Only the two programs: the rest of the tree may be mid-edit.
bench_build() {
	local dir=$PV_ROOT/$BUILDDIR
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" > "$dir.setup.log" 2>&1 || { tail -20 "$dir.setup.log" >&2; return 1; }
		rm -f "$dir.setup.log"
	fi
	ninja -C "$dir" app/pmdvpn/pmdvpn app/pmdvpn-perf/pmdvpn-perf > "$dir/bench-ninja.log" 2>&1 ||
		ninja -C "$dir" app/pmdvpn/pmdvpn > "$dir/bench-ninja.log" 2>&1
}
if [ "$BUILD" = 1 ]; then
	pv_log "building pmdvpn and pmdvpn-perf in $BUILDDIR/"
	bench_build || pv_log "build failed (log: $BUILDDIR/bench-ninja.log): using what is there"
fi

pv_tmpdir
PV_LOGDIR=$PV_TMP
bench_exit() {
	pv_cleanup
	rm -f "${BENCH_WG_SOCKS[@]}" 2>/dev/null
}
trap bench_exit EXIT
trap 'exit 130' INT TERM

bench_report_init "$PV_TMP/rows.tsv"
bench_perf_check || pv_log "parts 1-2: $BENCH_PERF_WHY"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
bench_meta "date" "$(date -u '+%Y-%m-%d %H:%M UTC')"
bench_meta "command" "sudo $CMDLINE (BUILDDIR=$BUILDDIR)"
bench_meta "machine" "$(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/^Mem:/ { print $2 }') GB RAM, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
bench_meta "cpu flags" "$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -E 'aes|vaes|pclmulqdq|vpclmulqdq|avx2|avx512f|sha_ni' | sort | tr '\n' ' ')"
bench_meta "load average at start" "$LOAD0 (other jobs share the cores)"
bench_meta "pmdvpn" "$(git -C "$PV_ROOT" describe --always --dirty 2>/dev/null || echo unknown), DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?'), intel-ipsec-mb $(ver libipsec-mb1)"
bench_meta "alternatives" "tinc $(ver tinc), wireguard-go $(ver wireguard-go), openvpn $(ver openvpn), iperf3 $(ver iperf3)"

START=$(date +%s)
pv_log "part 1: AEAD limit ($CIPHERS_1; sizes $SIZES_1; best of $REPS_1 x ${SECS_1} s)"
bench_crypto "$CIPHERS_1" "$SIZES_1" "$SECS_1" "$REPS_1"
bench_tsc_hz || pv_log "no TSC rate found: busy seconds will be n/a"

pv_log "part 2: pmdvpn worker ($CIPHERS_2; sizes $SIZES_2; ${SECS_2} s each)"
bench_worker "$CIPHERS_2" "$SIZES_2" "$SECS_2"


pv_log "part 3: namespaces $BENCH_NS_A and $BENCH_NS_B"
if bench_tunnel_setup; then
	bench_tunnel_bare "$TESTS_3" "$SECS_3"
	idle=$IDLE_SECS
	for v in $VARIANTS_3; do
		if [ "$v" != default ] && ! bench_pmdvpn_variant_ok "${v/=/ = }"; then
			pv_log "part 3: this pmdvpn does not take '$v': skipped"
			continue
		fi
		# Without offloads by default, the variant would measure the same path.
		if [ "$v" = inside-offload=no ] && [ "${BENCH_PV_VNET:-off}" != on ]; then
			pv_log "part 3: the default TAP has no virtio-net header: '$v' would be the same path, skipped"
			continue
		fi
		bench_tunnel_pmdvpn "${v/=/ = }" "$TESTS_3" "$SECS_3" "$idle"
		idle=0
	done
	for kind in tinc wg ovpn; do
		bench_tunnel_alt "$kind" "$TESTS_3" "$SECS_3"
	done
else
	pv_log "part 3: could not create the namespaces"
	for t in $TESTS_3; do bench_na 3 "all tunnels" - "$t" "n/a (namespace setup failed)"; done
fi
pv_log "part 5: 1 vs 2 workers ($CIPHERS_5; sizes $SIZES_5; ${SECS_5} s each)"
bench_scale "$CIPHERS_5" "$SIZES_5" "$SECS_5"
[ -n "$BENCH_TSC_HZ" ] && bench_meta "TSC rate" "$BENCH_TSC_HZ Hz (from $BENCH_TSC_SRC)"
bench_meta "run time" "$(($(date +%s) - START)) s"

echo
echo "pmdvpn benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU, load average at start $LOAD0"
echo
bench_table
echo
bench_notes_text
if [ -n "$JSON" ]; then
	bench_json "$JSON" && pv_log "JSON written to $JSON"
fi
if [ "$WRITE_DOC" = 1 ]; then
	mkdir -p "$PV_ROOT/doc"
	bench_write_doc "$PV_ROOT/doc/benchmarks.rst" && pv_log "doc/benchmarks.rst regenerated"
fi
exit 0
