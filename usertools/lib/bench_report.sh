# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Results of usertools/pmdvpn-bench.sh: one row per measurement, kept in a
# TSV file, printed as one table, written as JSON and as doc/benchmarks.rst.
# Source it after lib/common.sh.
#
#   bench_add PART WHAT CIPHER SIZE MPPS GBPS CYC PCT CPU BUSY NOTE
#   bench_na PART WHAT CIPHER SIZE REASON     a row that could not be measured
#   bench_note TEXT                            a footnote under the table
#   bench_table / bench_json FILE / bench_write_doc FILE
#
# A value that does not apply is "-". Numbers are kept as printed (the
# table and the JSON show the same digits).

BENCH_ROWS=""           # the TSV file (set by bench_report_init)
BENCH_NOTES=()
BENCH_META=()           # "key<TAB>value" lines for the header
declare -gA BENCH_NOTE_SEEN=()

bench_report_init() {
	BENCH_ROWS=$1
	: > "$BENCH_ROWS"
}

# Fields must not contain tabs or newlines: replace them with spaces.
bench__clean() {
	local s=${1//$'\t'/ }
	printf '%s' "${s//$'\n'/ }"
}

bench_add() {
	local out="" f
	[ $# = 11 ] || pv_die "bench_add: 11 fields expected, got $#: $*"
	for f in "$@"; do
		[ -n "$f" ] || f=-
		out+="$(bench__clean "$f")"$'\t'
	done
	printf '%s\n' "${out%$'\t'}" >> "$BENCH_ROWS"
}

bench_na() {
	bench_add "$1" "$2" "$3" "$4" n/a - - - - - "$5"
}

bench_note() {
	[ -n "${BENCH_NOTE_SEEN[$1]:-}" ] && return 0
	BENCH_NOTE_SEEN[$1]=1
	BENCH_NOTES+=("$1")
}

bench_meta() {
	BENCH_META+=("$1"$'\t'"$(bench__clean "$2")")
}

# fmt PRECISION VALUE: a number with PRECISION decimals, or "-" when the
# value is empty, "-" or not a number.
bench_fmt() {
	awk -v p="$1" -v v="${2:-}" 'BEGIN {
		if (v !~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/) { print "-"; exit }
		printf "%.*f\n", p, v }'
}

# The rows, sorted by part (stable: within a part, in the order measured).
bench__rows() {
	awk -F'\t' -v OFS='\t' '{ print $1, NR, $0 }' "$BENCH_ROWS" | sort -t$'\t' -k1,1n -k2,2n |
		cut -f3-
}

BENCH_PART_TITLE=(
	""
	"1 the limit: AEAD on one core, buffers in memory (pmdvpn-perf --mode crypto)"
	"2 pmdvpn per worker lcore (pmdvpn-perf over net_memif, loopback peer)"
	"3 host to host through a tunnel (iperf3 between two namespaces)"
	"4 idle gateway (no traffic)"
	"5 scaling: 1 worker against 2 workers (two loopback peers, one memif queue per worker)"
)

bench_table() {
	local last="" part what cipher size mpps gbps cyc pct cpu busy note
	printf '%-36s %-17s %-8s %7s %7s %8s %6s %8s %8s  %s\n' \
		"what" "cipher" "size" "Mpps" "Gbit/s" "cyc/pkt" "%limit" "CPU s/GB" "busy s/GB" "note"
	while IFS=$'\t' read -r part what cipher size mpps gbps cyc pct cpu busy note; do
		if [ "$part" != "$last" ]; then
			printf -- '-- %s\n' "${BENCH_PART_TITLE[$part]:-part $part}"
			last=$part
		fi
		[ "$note" = - ] && note=""
		printf '%-36s %-17s %-8s %7s %7s %8s %6s %8s %8s  %s\n' \
			"$what" "$cipher" "$size" "$mpps" "$gbps" "$cyc" "$pct" "$cpu" "$busy" "$note"
	done < <(bench__rows)
}

bench_notes_text() {
	local n i=1
	for n in "${BENCH_NOTES[@]}"; do
		printf '[%d] %s\n' "$i" "$n"
		i=$((i + 1))
	done
}

bench_json() {
	local file=$1 meta rows notes
	meta=$(printf '%s\n' "${BENCH_META[@]}" | jq -R -s '
		split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add // {}')
	notes=$(printf '%s\n' "${BENCH_NOTES[@]}" | jq -R -s 'split("\n") | map(select(length > 0))')
	rows=$(bench__rows | jq -R -s '
		def num: if . == "-" or . == "n/a" then null else (sub("%$"; "") | tonumber? // .) end;
		split("\n") | map(select(length > 0) | split("\t") |
		{part: (.[0] | tonumber), what: .[1], cipher: (if .[2] == "-" then null else .[2] end),
		 size: (if .[3] == "-" then null else .[3] end), measured: (.[4] != "n/a"),
		 mpps: (.[4] | num), gbps: (.[5] | num), cycles_per_packet: (.[6] | num),
		 pct_of_limit: (.[7] | num), cpu_s_per_gb: (.[8] | num),
		 busy_s_per_gb: (.[9] | num), note: (if .[10] == "-" then null else .[10] end)})')
	jq -n --argjson meta "$meta" --argjson rows "$rows" --argjson notes "$notes" \
		'{meta: $meta, rows: $rows, notes: $notes}' > "$file"
}

# The methodology: how each part's numbers come about. Printed into the
# doc below the table; it describes what the scripts do, not results.
bench__method_rst() {
	cat <<'EOF'
How the numbers come about
--------------------------

Everything runs on one machine, in network namespaces that the script
creates and deletes, on addresses from 198.18.0.0/15. Part 1 keeps the
best of a few short runs (a limit is what the core can do when it is not
taken away); every other number comes from one run, with no repetitions and
no medians. On a small shared VM expect large differences between runs. The benchmark reports; it never fails because
a number is low.

**Part 1, the limit.** ``pmdvpn-perf --mode crypto --impl ipsec-mb`` calls
lib/crypto's ``aead_encrypt_burst`` (the call the gateway's worker makes) on
bursts of 32 in-memory buffers of the given size, on one core, with no I/O.
The size is the buffer (plaintext) size; IMIX cycles through 64, 594 and
1420 bytes in the 7:4:1 ratio. Gbit/s counts buffer bytes. The row keeps
the fastest of its runs (the note says how many).

**Part 2, pmdvpn per worker lcore.** One gateway with two net_memif ports:
its ``inside`` is a LAN port (``inside = net_memif...``, ``inside-address``
and a static ``neighbour`` for the generator) and its WAN port leads to
two loopback peers (``spi-in`` equal to ``spi-out``, one key each): ``loop``
for encrypt and round trip, ``replay`` (anti-replay off) for decrypt. Both
belong to the one worker. pmdvpn-perf, on one lcore, generates clear UDP
frames of the given size into the inside port.

* *encrypt*: pmdvpn-perf counts the ESP frames that come out of the WAN
  port. Mpps is that rate; Gbit/s is Mpps times the inner frame size.
* *round trip*: pmdvpn-perf also reflects the ESP frames back into the WAN
  port (``--reflect-port``: Ethernet, IP and UDP source and destination
  swapped), the same worker decrypts them and sends the clear frames back
  to the generator, which counts them. Each packet is encrypted once and
  decrypted once by the same lcore.
* *decrypt*: a second loopback peer of the same gateway has anti-replay
  off (``replay-window = 0``, a test-only setting). ``pmdvpn-perf --replay
  4096`` first sends clear frames for that peer until 4096 of its ESP
  frames have come out of the WAN port (kept, not reflected), then sends
  only those ESP frames, swapped as the reflector would, over and over at
  line rate, and counts the clear frames that come back on the inside
  port: the worker decrypts and forwards, and encrypts nothing. The busy
  cycles of the run include the 4096 encryptions of the capture (under
  0.5% of the packets of a run at 1 Mpps).

cycles/pkt is the worker's ``busy-cycles`` (TSC cycles in polls that moved
packets, from the ``SIGUSR1`` counter report, before and after the run)
divided by the packets it handled (``peer tx-pkts`` for encrypt, ``peer
rx-pkts`` for the round trip). %limit is part 1's cycles per packet for the
same cipher and size divided by pmdvpn's: the share of the worker's busy
time that the AEAD alone would need. The targets of issue 3 are in the
notes of the rows they apply to. The sizes differ slightly: part 1
encrypts a buffer of N bytes, and pmdvpn encrypts the IP packet of an N-byte
frame (N - 14 bytes plus ESP trailer and padding). Both processes poll, and
other jobs share the two cores, so a descheduled worker still counts TSC
cycles as busy. The Mpps are what the pair achieved with the generator on
the same machine; the cycles per packet are the per-lcore cost.

**Part 3, host to host.** Two namespaces joined by veth pairs; iperf3's
client in one, its server in the other: TCP with 1 stream (``tcp1``) and 4
streams (``tcp4``), and UDP with 1400-byte datagrams at an unlimited rate
(``udp1400``, ``-u -b 0 -l 1400``). Gbit/s is what the receiver got.

* *bare veth*: the kernel alone, no tunnel, no encryption.
* *pmdvpn*: two gateways, as the quickstart runs them: WAN =
  net_af_packet on a veth end, inside = the TAP exception path (the
  config's default; the row's label names ``inside-offload`` when the
  variant sets it), AES-128-GCM.
* *tinc*: Debian's tinc 1.0 (router mode, default cipher AES-256-CBC
  with HMAC-SHA256), measured once path MTU discovery has converged.
* *wireguard-go*: Debian's wireguard-go with ``wg`` keys; TUN MTU 1420,
  so a 1400-byte datagram (1428-byte IP packet) is fragmented inside the
  tunnel.
* *OpenVPN*: OpenVPN 2.6 in TLS peer-to-peer mode over UDP with a throwaway
  EC certificate authority, ``--data-ciphers AES-256-GCM``, ``--disable-dco``
  (the data channel in user space).

CPU s/GB is the user plus system time (``/proc/PID/stat``) of the VPN
daemons at both ends during the run, per GB (1e9 bytes) received. This
kernel accounts a softirq to the task it interrupts, so a daemon's system
time includes some of the network stack's work for its namespace; the sum
of both ends is the robust figure. For pmdvpn the process time includes the
worker's polling, whether or not it moved packets. busy s/GB counts only
the busy cycles of both gateways' workers (``busy-cycles`` from the counter
report, divided by the TSC rate), so that idle polling does not count
against pmdvpn. Busy cycles are wall-clock time inside polls that moved
packets: they include the system calls the worker makes there (TAP writes,
AF_PACKET sends) and any time it is descheduled in the middle of one; they
exclude the main lcore and kernel work done in other contexts.

**Part 4, idle.** One running gateway (the part 3 sender, its peer up, no
traffic) for 10 s: its process CPU time as a percentage of one core.

**Part 5, 1 worker against 2 workers.** The same gateway started with one
worker lcore (``--lcores 0@(0,1),1@(0,1)``) and with two
(``0@(0,1),1@(0,1),2@(0,1)``), both memif ports with one queue pair per
worker on both sides (DPDK 22.11's memif connects as many rings as the
side with fewer queues has, so the generator is given as many:
``pmdvpn-perf --queues N``). Two loopback peers, ``a`` and ``b``, with
their own SPI, key and subnets; peers are spread over the workers, so with
two each worker owns one. pmdvpn-perf sends 64 flows with ``--paired-ips``:
even flows for peer ``a`` on queue 0, odd flows for peer ``b`` on queue 1
(with one queue, all on queue 0). The note of each row gives both peers'
packets, the ``handoff`` events (packets that arrived on a queue of a
worker that does not own their SA), each worker's busy share (busy / busy +
idle cycles), the whole machine's CPU use from ``/proc/stat`` during the
run, the gateway process's share of it, and the 1-minute load average. On
this 2-vCPU machine, the generator's lcore, the gateway's main lcore and
its workers share two CPUs: a second worker cannot add a CPU, so the
ratio shows what this machine allows, not what the design does. On 16
cores, each worker polls its own queue pair on every port (RSS on a NIC
spreads flows over 15 queues), each SA is touched by its owner only, and a
packet that lands on another worker's queue is handed over through the
owner's ring; many tunnels scale with the workers, and one tunnel stays on
one worker.
EOF
}

bench_write_doc() {
	local file=$1 kv k v
	{
		echo "..  SPDX-License-Identifier: BSD-3-Clause"
		echo
		echo "..  Generated by usertools/pmdvpn-bench.sh --write-doc. Do not edit: run it again."
		echo
		echo "Benchmarks"
		echo "=========="
		echo
		echo 'This page is the output of one run of ``usertools/pmdvpn-bench.sh``, written by'
		echo 'the script itself (``--write-doc``). Run it on your machine to get yours::'
		echo
		echo "    sudo usertools/pmdvpn-bench.sh [--quick] [--json FILE] [--write-doc]"
		echo
		echo "The run"
		echo "-------"
		echo
		for kv in "${BENCH_META[@]}"; do
			k=${kv%%$'\t'*} v=${kv#*$'\t'}
			printf -- '- %s: %s\n' "$k" "$(printf '%s' "$v" | sed 's/[*`|]/\\&/g')"
		done
		echo
		echo "The table"
		echo "---------"
		echo
		echo "\"-\" means the column does not apply; \"n/a\" rows say in their note why"
		echo "they were not measured."
		echo
		echo "::"
		echo
		bench_table | sed 's/^/    /'
		echo
		if [ ${#BENCH_NOTES[@]} -gt 0 ]; then
			echo "Notes from this run:"
			echo
			bench_notes_text | sed 's/^\[\([0-9]*\)\] /\1. /'
			echo
		fi
		bench__method_rst
	} > "$file.tmp.$$" && mv "$file.tmp.$$" "$file"
}
