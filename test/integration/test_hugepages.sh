#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmdvpn on 2 MB hugepages: gateway A runs with --in-memory on a private
# hugetlbfs mount, gateway B without hugepages (--no-huge -m 512), and the
# tunnel between them carries traffic. After A stops, no hugepage file is
# left behind and every page it took is free again. The pages this test
# reserves are given back at the end.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_init
HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HP_FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
HP_WANT=300 # -m 512 preallocates 256 pages
HP_ORIG=
HUGE_DIR=

hp_cleanup() {
	pv_cleanup
	[ -n "$HUGE_DIR" ] && mountpoint -q "$HUGE_DIR" && umount "$HUGE_DIR"
	[ -n "$HP_ORIG" ] && echo "$HP_ORIG" > "$HP"
}
trap 'rc=$?; hp_cleanup; exit $rc' EXIT

if [ ! -w "$HP" ]; then
	echo "1..0 # SKIP no 2 MB hugepage pool on this kernel"
	exit 77
fi
HP_ORIG=$(cat "$HP")
echo $((HP_ORIG + HP_WANT)) > "$HP"
if [ $(( $(cat "$HP_FREE") )) -lt "$HP_WANT" ]; then
	echo "1..0 # SKIP could not reserve $HP_WANT hugepages (memory too fragmented?)"
	exit 77
fi
HUGE_DIR=$T/huge
mkdir -p "$HUGE_DIR"
mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_DIR" || { echo "Bail out! cannot mount hugetlbfs"; exit 1; }
FREE0=$(cat "$HP_FREE")

it_topology
CIPHER=aes-256-gcm
it_keys "$CIPHER"
it_conf a "$CIPHER" > "$T/a.conf" && it_conf b "$CIPHER" > "$T/b.conf" || exit 1
pv_gw_start b "$NS_B" "$T/b.conf" 30 || it_notok "gateway B (no hugepages) ready" "${PV_GW_ERR[b]}"

# Gateway A: hugepages, --in-memory (nothing in the hugetlbfs directory).
eval "orig_$(declare -f pv_eal_args)"
pv_eal_args() {
	printf '%s\n' --no-pci --in-memory --huge-dir "$HUGE_DIR" -m 512 --file-prefix "$1" \
		--lcores "$PV_EAL_LCORES"
}
if pv_gw_start a "$NS_A" "$T/a.conf" 30; then
	it_ok "gateway A ready on hugepages with --in-memory"
else
	it_notok "gateway A ready on hugepages with --in-memory" "${PV_GW_ERR[a]}" "${PV_GW_OUT[a]}"
	it_done
fi
pv_eal_args() { orig_pv_eal_args "$@"; }
it_wait_inside
it_expect "gateway A took hugepages" "$(cat "$HP_FREE")" -lt "$FREE0"
it_check "hugepages: ping A -> B" it_ping "$NS_A" "$IN_B"
it_check "hugepages: ping B -> A" it_ping "$NS_B" "$IN_A"
it_iperf_server "$NS_B"
b=$(it_iperf "$NS_A" "$IN_B" "$T/tcp.json" -t 3)
it_expect "hugepages: iperf3 TCP A -> B passes data ($(it_mbps "$T/tcp.json") Mbit/s; bytes)" "$b" -gt 0

pv_gw_stop a; rc=$?
it_expect "gateway A exits 0 on SIGTERM" "$rc" -eq 0
it_expect "no hugepage file left in the hugetlbfs directory" "$(find "$HUGE_DIR" -type f | wc -l)" -eq 0
it_expect "every hugepage gateway A took is free again" "$(cat "$HP_FREE")" -eq "$FREE0"
pv_gw_stop b
it_done
