#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The operator's surface: gateway B runs a --cmdline-file script at start
# and stays interactive (-i) on a FIFO; gateway A is a daemon without a
# console, driven through DPDK telemetry by usertools/pmdvpn-ctl. Checked
# against what the traffic really does: the outbound sequence number shown
# grows with the pings sent, the neighbour shown is the peer's real MAC,
# telemetry numbers match the SIGUSR1 report, malformed commands get
# cmdline's message and change nothing, and no key byte is ever printed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CTL=${PMDVPN_CTL:-$SRCDIR/usertools/pmdvpn-ctl}

it_init
command -v python3 > /dev/null || { echo "Bail out! python3 missing (pmdvpn-ctl needs it)"; exit 1; }
it_topology

CIPHER=aes-256-gcm
it_keys "$CIPHER"
it_conf a "$CIPHER" > "$T/a.conf"
it_conf b "$CIPHER" > "$T/b.conf"
PREFIX_A="pmdvpn-${PV_ID}-a"

# ------------------------------------------------------------ start
if ! pv_gw_start a "$NS_A" "$T/a.conf" 30; then
	it_notok "gateway A (daemon, no console) ready" "${PV_GW_ERR[a]}"
	it_done
fi
it_ok "gateway A (daemon, no console) ready"

cat > "$T/script" <<'EOF'
# comments and blank lines are skipped

show config
show peers
show peer site-a
show sa out
show sa in
show drops
show routes
show port info
show port stats all
show lcores
show bogus
frobnicate now
show sa sideways
show peer nosuch
show stats
help
EOF

# B: the script at start, then the prompt on a FIFO this script writes to.
mkfifo "$T/b.in"
B_PREFIX="pmdvpn-${PV_ID}-b"
PV_DPDK_PREFIXES+=("$B_PREFIX")
mapfile -t eal < <(pv_eal_args "$B_PREFIX")
ip netns exec "$NS_B" stdbuf -oL -eL "$PMDVPN" "${eal[@]}" -- -f "$T/b.conf" \
	--cmdline-file "$T/script" -i < "$T/b.in" > "$T/b.out" 2> "$T/b.err" &
B_PID=$!
PV_PIDS+=("$B_PID")
exec 3> "$T/b.in"   # keeps the console's input open

# wait_out FILE PATTERN [SECS]: until PATTERN (grep -E) appears in FILE.
wait_out() {
	local f=$1 re=$2 secs=${3:-20} i
	for ((i = 0; i < secs * 10; i++)); do
		grep -qE "$re" "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

if wait_out "$T/b.out" '^  help: list the commands' 30; then
	it_ok "B ran its --cmdline-file script"
else
	it_notok "B ran its --cmdline-file script" "$T/b.out" "$T/b.err"
	it_done
fi
it_wait_inside
cp "$T/b.out" "$T/script.out"

# ------------------------------------------------------------ the script's output
# section CMD: the output of one command in the script's transcript.
section() {
	awk -v cmd="pmdvpn> $1" '
		{ sub(/\r$/, "") }
		index($0, "pmdvpn> ") == 1 { on = ($0 == cmd); next }
		on' "$T/script.out"
}

if grep -q '^pmdvpn> show config' "$T/script.out" && grep -q '^pmdvpn> show stats' "$T/script.out"; then
	it_ok "script: each command is echoed behind the prompt"
else
	it_notok "script: each command is echoed behind the prompt" "$T/script.out"
fi
section "show config" > "$T/s-config"
if grep -q '^key-out = <hidden>$' "$T/s-config" && grep -q '^key-in = <hidden>$' "$T/s-config" &&
	grep -q '^\[peer site-a\]$' "$T/s-config" && grep -q '^cipher = aes-256-gcm$' "$T/s-config" &&
	grep -q "^wan-address = $WAN_B/24$" "$T/s-config"; then
	it_ok "show config: the config as loaded, keys hidden"
else
	it_notok "show config: the config as loaded, keys hidden" "$T/s-config"
fi
if section "show peers" | grep -q '^peer site-a endpoint 198.18.0.1:4500 cipher aes-256-gcm spi-out 0x00001001 spi-in 0x00002001'; then
	it_ok "show peers: site-a with its endpoint, cipher and SPIs"
else
	it_notok "show peers: site-a with its endpoint, cipher and SPIs" "$T/script.out"
fi
if section "show peer site-a" | grep -q 'next-hop 198.18.0.1'; then
	it_ok "show peer site-a: details with the next hop"
else
	it_notok "show peer site-a: details with the next hop" "$T/script.out"
fi
seq0=$(section "show sa out" | sed -n 's/^sa out spi 0x00001001 .* seq \([0-9]*\) seq-limit \([0-9]*\).*/\1/p')
limit0=$(section "show sa out" | sed -n 's/.* seq-limit \([0-9]*\) .*/\1/p')
if [ -n "$seq0" ] && [ -n "$limit0" ]; then
	it_ok "show sa out: SPI 0x00001001 with seq $seq0 and seq-limit $limit0"
	it_expect "show sa out: sequence numbers are reserved ahead (seq-limit > seq)" "$limit0" -gt "$seq0"
else
	it_notok "show sa out: SPI 0x00001001 with seq and seq-limit" "$T/script.out"
fi
if section "show sa in" | grep -q '^sa in spi 0x00002001 peer site-a cipher aes-256-gcm esn yes replay-window 1024 top [0-9]* '; then
	it_ok "show sa in: SPI 0x00002001 with its replay window"
else
	it_notok "show sa in: SPI 0x00002001 with its replay window" "$T/script.out"
fi
n=$(section "show drops" | grep -c '^drop [a-z-]* *[0-9]*  [a-zA-Z]')
causes=$(section "show stats" | grep -c '^drop ')
it_expect "show drops: one line per cause ($causes in the report), with its meaning" "$n" -eq "$causes"
it_expect "show drops: the report has drop causes" "$causes" -ge 12
if section "show routes" | grep -q '^route 198.19.0.0/24 peer site-a ' &&
	section "show routes" | grep -q '^route 2001:db8::/64 peer site-a '; then
	it_ok "show routes: both of site-a's subnets go to site-a"
else
	it_notok "show routes: both of site-a's subnets go to site-a" "$T/script.out"
fi
if section "show port info" | grep -q '^port wan (port 0): device net_af_packet0 driver net_af_packet .* mtu 1500 rx-queues 1 tx-queues 1 link up'; then
	it_ok "show port info: the WAN port's driver, MTU, queues and link"
else
	it_notok "show port info: the WAN port's driver, MTU, queues and link" "$T/script.out"
fi
if section "show lcores" | grep -q '^lcore 1 worker busy-cycles [0-9]* idle-cycles [0-9]* busy [0-9.]*%' &&
	section "show lcores" | grep -q 'polls wan port 0 queue 0'; then
	it_ok "show lcores: the worker's cycles and the queues it polls"
else
	it_notok "show lcores: the worker's cycles and the queues it polls" "$T/script.out"
fi
if [ "$(section "show bogus")" = "Bad arguments" ] && [ "$(section "frobnicate now")" = "Command not found" ] &&
	[ "$(section "show sa sideways")" = "Bad arguments" ]; then
	it_ok "malformed commands: 'Bad arguments' / 'Command not found'"
else
	it_notok "malformed commands: 'Bad arguments' / 'Command not found'" "$T/script.out"
fi
if section "show peer nosuch" | grep -q "no peer named 'nosuch'"; then
	it_ok "show peer of an unknown name says so"
else
	it_notok "show peer of an unknown name says so" "$T/script.out"
fi
if section "show stats" | grep -q '^port wan rx-pkts ' && section "show stats" | grep -q '^drop tx-full [0-9]*$'; then
	it_ok "show stats: the report format"
else
	it_notok "show stats: the report format" "$T/script.out"
fi

# ------------------------------------------------------------ traffic after the malformed commands
it_check "after malformed commands B still forwards: ping A -> B" it_ping "$NS_A" "$IN_B" -c 5
it_check "ping B -> A" it_ping "$NS_B" "$IN_A"

# ------------------------------------------------------------ B's prompt (stdin, -i)
# console CMD: sends CMD on B's prompt, prints its output.
CONS_N=0
console() {
	local cmd=$1
	CONS_N=$((CONS_N + 1))
	printf '%s\nshow peer mark%d\n' "$cmd" "$CONS_N" >&3
	wait_out "$T/b.out" "no peer named 'mark$CONS_N'" 10 || return 1
	# the output of the last time CMD ran
	tr -d '\r' < "$T/b.out" | awk -v cmd="pmdvpn> $cmd" '
		index($0, "pmdvpn> ") == 1 { on = ($0 == cmd); if (on) out = ""; next }
		on { out = out $0 "\n" }
		END { printf "%s", out }'
}

console "show sa out" > "$T/i-sa"
seq1=$(sed -n 's/^sa out spi 0x00001001 .* seq \([0-9]*\) .*/\1/p' "$T/i-sa")
it_expect "show sa out on the prompt: seq grew by the packets sent (>= 5 pings)" "${seq1:-0}" -ge $(( ${seq0:-0} + 5 ))
pkts1=$(sed -n 's/.* pkts \([0-9]*\) .*/\1/p' "$T/i-sa")
it_expect "show sa out: packets counted on the SA" "${pkts1:-0}" -ge 5

mac_a=$(ip -n "$NS_A" -br link show "$VETH_A" | awk '{print toupper($3)}')
console "show neigh" > "$T/i-neigh"
if grep -q "^neigh wan $WAN_A $mac_a reachable$" "$T/i-neigh"; then
	it_ok "show neigh: A's WAN address with A's real MAC ($mac_a)"
else
	it_notok "show neigh: A's WAN address with A's real MAC ($mac_a)" "$T/i-neigh"
fi
console "show port stats wan" > "$T/i-port"
if grep -q '^port wan (port 0)$' "$T/i-port" && ! grep -q '^port inside' "$T/i-port" &&
	grep -q '^  driver  rx-pkts [1-9]' "$T/i-port"; then
	it_ok "show port stats wan: only the WAN port, with the driver's counters"
else
	it_notok "show port stats wan: only the WAN port, with the driver's counters" "$T/i-port"
fi

# The line editor is cmdline's: TAB completes, '?' lists what may follow.
off=$(stat -c %s "$T/b.out")
printf 'show rou\t\nshow sa ?' >&3
for ((i = 0; i < 100; i++)); do
	tail -c +"$((off + 1))" "$T/b.out" > "$T/i-edit"
	grep -q 'out \[Mul-choice STRING\]' "$T/i-edit" && break
	sleep 0.1
done
if grep -q 'show routes ' "$T/i-edit" && grep -q '^route 198.19.0.0/24 peer site-a' "$T/i-edit" &&
	grep -q '^ in \[Mul-choice STRING\]: show sa in|out' "$T/i-edit"; then
	it_ok "the prompt completes 'show rou<TAB>' and answers 'show sa ?' with its choices"
else
	it_notok "the prompt completes 'show rou<TAB>' and answers 'show sa ?' with its choices" "$T/i-edit"
fi
printf 'out\n' >&3   # completes the half-typed line: show sa out

# ------------------------------------------------------------ A through pmdvpn-ctl
if [ -S "/var/run/dpdk/$PREFIX_A/dpdk_telemetry.v2" ]; then
	it_ok "A's telemetry socket exists"
else
	it_notok "A's telemetry socket exists"
fi
sleep 0.5   # the pings' last replies are in
it_stats a > "$T/a-report.txt"
"$CTL" --file-prefix "$PREFIX_A" --json stats > "$T/a-stats.json" 2> "$T/ctl.err"
"$CTL" --file-prefix "$PREFIX_A" --json peers > "$T/a-peers.json" 2>> "$T/ctl.err"
if jq -e '."wan/rx_pkts" > 0 and has("drop/auth_failure") and has("event/arp_replied")' "$T/a-stats.json" > /dev/null; then
	it_ok "pmdvpn-ctl --json stats: valid JSON with port, drop and event counters"
else
	it_notok "pmdvpn-ctl --json stats: valid JSON with port, drop and event counters" "$T/a-stats.json" "$T/ctl.err"
fi
for c in auth-failure replay no-sa policy malformed; do
	k=${c//-/_}
	rep=$(pv_counter "drop $c" < "$T/a-report.txt")
	tel=$(jq -r ".\"drop/$k\"" "$T/a-stats.json")
	it_expect "drop $c: telemetry equals the SIGUSR1 report" "$tel" -eq "$rep"
done
rep=$(pv_counter 'peer site-b' tx-pkts < "$T/a-report.txt")
tel=$(jq -r '.tx_pkts[0]' "$T/a-peers.json")
it_expect "peer site-b tx-pkts: telemetry equals the SIGUSR1 report" "$tel" -eq "$rep"
it_expect "peer site-b tx-pkts counts the replies to B's pings" "$tel" -ge 5
rep=$(pv_counter 'peer site-b' rx-pkts < "$T/a-report.txt")
tel=$(jq -r '.rx_pkts[0]' "$T/a-peers.json")
it_expect "peer site-b rx-pkts: telemetry equals the SIGUSR1 report" "$tel" -eq "$rep"
if jq -e '.name == ["site-b"] and .spi_out == [8193] and .spi_in == [4097]' "$T/a-peers.json" > /dev/null; then
	it_ok "pmdvpn-ctl --json peers: site-b with spi-out 0x2001, spi-in 0x1001"
else
	it_notok "pmdvpn-ctl --json peers: site-b with spi-out 0x2001, spi-in 0x1001" "$T/a-peers.json"
fi

"$CTL" --file-prefix "$PREFIX_A" --json sa > "$T/a-sa.json" 2>> "$T/ctl.err"
if jq -e '(.dir | index("out")) as $o | .seq[$o] >= 5 and .seq_limit[$o] > .seq[$o] and
	(.dir | index("in")) as $i | .replay_top[$i] >= 5 and .replay_window[$i] == 1024' \
	"$T/a-sa.json" > /dev/null; then
	it_ok "pmdvpn-ctl --json sa: seq, seq_limit, replay window and top"
else
	it_notok "pmdvpn-ctl --json sa: seq, seq_limit, replay window and top" "$T/a-sa.json"
fi
"$CTL" --file-prefix "$PREFIX_A" --json lcores > "$T/a-lcores.json" 2>> "$T/ctl.err"
if jq -e '(.role | index("worker")) as $w | .polls[$w] > 0 and .busy_polls[$w] > 0 and .rx_pkts[$w] > 0' \
	"$T/a-lcores.json" > /dev/null; then
	it_ok "pmdvpn-ctl --json lcores: the worker's polls and packets"
else
	it_notok "pmdvpn-ctl --json lcores: the worker's polls and packets" "$T/a-lcores.json"
fi
"$CTL" --file-prefix "$PREFIX_A" --json drops > "$T/a-drops.json" 2>> "$T/ctl.err"
if jq -e '.peers == ["site-b"] and (."help/auth_failure" | length > 0) and (."peer/replay" | length == 1)' \
	"$T/a-drops.json" > /dev/null; then
	it_ok "pmdvpn-ctl --json drops: per cause, with help, and per peer"
else
	it_notok "pmdvpn-ctl --json drops: per cause, with help, and per peer" "$T/a-drops.json"
fi
for v in stats peers sa drops lcores "peers site-b" "sa out"; do
	# shellcheck disable=SC2086
	if "$CTL" --file-prefix "$PREFIX_A" $v > "$T/ctl-table.txt" 2>&1 && [ -s "$T/ctl-table.txt" ]; then
		cat "$T/ctl-table.txt" >> "$T/ctl-all.txt"
		it_ok "pmdvpn-ctl $v prints a table"
	else
		it_notok "pmdvpn-ctl $v prints a table" "$T/ctl-table.txt"
	fi
done

# Any telemetry client reads the same commands: DPDK's own dpdk-telemetry.py.
if command -v dpdk-telemetry.py > /dev/null; then
	echo /pmdvpn/sa | dpdk-telemetry.py -f "$PREFIX_A" > "$T/ctl-dpdk-telemetry.txt" 2>&1
	if grep -q '"/pmdvpn/sa"' "$T/ctl-dpdk-telemetry.txt" && grep -q '"replay_window"' "$T/ctl-dpdk-telemetry.txt"; then
		it_ok "dpdk-telemetry.py reads /pmdvpn/sa"
	else
		it_notok "dpdk-telemetry.py reads /pmdvpn/sa" "$T/ctl-dpdk-telemetry.txt"
	fi
else
	it_skip "dpdk-telemetry.py reads /pmdvpn/sa (dpdk-telemetry.py not installed)"
fi

# Console commands through telemetry on a daemon without -i.
"$CTL" --file-prefix "$PREFIX_A" cmd show peers > "$T/ctl-peers.txt" 2>&1; rc=$?
if [ "$rc" = 0 ] && grep -q '^peer site-b endpoint 198.18.0.2:4500 cipher aes-256-gcm spi-out 0x00002001' "$T/ctl-peers.txt"; then
	it_ok "pmdvpn-ctl cmd show peers on the daemon"
else
	it_notok "pmdvpn-ctl cmd show peers on the daemon (rc $rc)" "$T/ctl-peers.txt"
fi
"$CTL" --file-prefix "$PREFIX_A" cmd show stats > "$T/ctl-stats.txt" 2>&1
if grep -q '^port wan rx-pkts ' "$T/ctl-stats.txt" && grep -q '^drop tx-full ' "$T/ctl-stats.txt"; then
	it_ok "pmdvpn-ctl cmd show stats: the report format"
else
	it_notok "pmdvpn-ctl cmd show stats: the report format" "$T/ctl-stats.txt"
fi
"$CTL" --file-prefix "$PREFIX_A" cmd show config > "$T/ctl-config.txt" 2>&1
"$CTL" --file-prefix "$PREFIX_A" cmd show sa > "$T/ctl-sa.txt" 2>&1
"$CTL" --file-prefix "$PREFIX_A" cmd frobnicate > "$T/ctl-bad1.txt" 2>&1; rc1=$?
"$CTL" --file-prefix "$PREFIX_A" cmd show port stats nowhere > "$T/ctl-bad2.txt" 2>&1; rc2=$?
if [ "$rc1" = 1 ] && [ "$(cat "$T/ctl-bad1.txt")" = "Command not found" ] &&
	[ "$rc2" = 1 ] && [ "$(cat "$T/ctl-bad2.txt")" = "Bad arguments" ]; then
	it_ok "pmdvpn-ctl cmd with a malformed command: cmdline's message, exit status 1"
else
	it_notok "pmdvpn-ctl cmd with a malformed command: cmdline's message, exit status 1 ($rc1 $rc2)" \
		"$T/ctl-bad1.txt" "$T/ctl-bad2.txt"
fi
"$CTL" --file-prefix "nonexistent-$PV_ID" stats > "$T/ctl-none.txt" 2>&1; rc=$?
if [ "$rc" = 2 ] && grep -q 'cannot connect' "$T/ctl-none.txt"; then
	it_ok "pmdvpn-ctl without a gateway: a clear error, exit status 2"
else
	it_notok "pmdvpn-ctl without a gateway: a clear error, exit status 2 (rc $rc)" "$T/ctl-none.txt"
fi
it_check "after the malformed commands A still forwards: ping B -> A" it_ping "$NS_B" "$IN_A"

# clear stats through telemetry
"$CTL" --file-prefix "$PREFIX_A" cmd clear stats > "$T/ctl-clear.txt" 2>&1
it_stats a > "$T/a-cleared.txt"
tx=$(pv_counter 'peer site-b' tx-pkts < "$T/a-cleared.txt")
it_expect "pmdvpn-ctl cmd clear stats: A's peer counters restart from zero" "$tx" -lt 3

# ------------------------------------------------------------ long output over telemetry
# Gateway C (WAN = net_null, no traffic) with 60 peers: its show config is
# far larger than one telemetry reply, so pmdvpn-ctl must page through
# /pmdvpn/more, and what it gets must be byte for byte what the console
# printed for the same command.
NS_C=${PV_ID}c
pv_ns_create "$NS_C" || { echo "Bail out! cannot create namespace $NS_C"; exit 1; }
{
	echo "[gateway]"
	echo "wan = net_null0,no-rx=1"
	echo "wan-address = 198.18.0.1/24"
	echo "inside = tap"
	echo "inside-address = 198.19.0.1/24"
	echo "state-file = $T/c.state"
	for ((i = 0; i < 60; i++)); do
		echo "[peer p$i]"
		echo "endpoint = 198.18.0.$((10 + i))"
		echo "subnets = 198.19.$((2 + i)).0/24"
		echo "cipher = aes-128-gcm"
		printf 'spi-out = 0x%x\nspi-in = 0x%x\n' $((0x3000 + i)) $((0x4000 + i))
		echo "key-out = $(pv_randhex 20)"
		echo "key-in = $(pv_randhex 20)"
	done
} > "$T/c.conf"
printf 'show config\n' > "$T/c.script"
if pv_gw_start c "$NS_C" "$T/c.conf" 60 --cmdline-file "$T/c.script"; then
	it_ok "gateway C with 60 peers ready"
	PREFIX_C="pmdvpn-${PV_ID}-c"
	tr -d '\r' < "${PV_GW_OUT[c]}" | awk '/^pmdvpn> show config$/ { on = 1; next }
		/^pmdvpn> / { on = 0 } on' > "$T/c-console.txt"
	"$CTL" --file-prefix "$PREFIX_C" cmd show config > "$T/ctl-c-config.txt" 2>&1
	size=$(stat -c %s "$T/ctl-c-config.txt")
	if [ "$size" -gt 12000 ] && cmp -s "$T/c-console.txt" "$T/ctl-c-config.txt"; then
		it_ok "pmdvpn-ctl cmd show config: $size bytes over several replies, the console's exact text"
	else
		diff "$T/c-console.txt" "$T/ctl-c-config.txt" > "$T/c-diff.txt" 2>&1
		it_notok "pmdvpn-ctl cmd show config: long output equals the console's ($size bytes)" "$T/c-diff.txt"
	fi
	"$CTL" --file-prefix "$PREFIX_C" --json peers > "$T/ctl-c-peers.json" 2>&1
	n=$(jq '.name | length' "$T/ctl-c-peers.json" 2>/dev/null || echo 0)
	it_expect "pmdvpn-ctl --json peers lists all 60 peers" "$n" -eq 60
	"$CTL" --file-prefix "$PREFIX_C" --json sa > "$T/ctl-c-sa.json" 2>&1
	n=$(jq '.spi | length' "$T/ctl-c-sa.json" 2>/dev/null || echo 0)
	it_expect "pmdvpn-ctl --json sa lists 120 SAs" "$n" -eq 120
	c_leak=0
	for k in $(sed -n 's/^key-[a-z]* = //p' "$T/c.conf"); do
		grep -qi -- "$k" "${PV_GW_OUT[c]}" "$T/ctl-c-config.txt" "$T/ctl-c-peers.json" \
			"$T/ctl-c-sa.json" && c_leak=1
	done
	if [ "$c_leak" = 0 ]; then it_ok "C: none of its 120 keys in any output"
	else it_notok "C: none of its 120 keys in any output"; fi
	pv_gw_stop c
else
	it_notok "gateway C with 60 peers ready" "${PV_GW_ERR[c]}"
fi

# ------------------------------------------------------------ no key anywhere
leak=0
for k in "$KEY_AB" "$KEY_BA"; do
	for part in "$k" "${k:0:16}" "${k:16:16}" "${k:32:16}"; do
		[ ${#part} -ge 16 ] || continue
		if grep -qi -- "$part" "$T/b.out" "${PV_GW_OUT[a]}" "$T"/ctl-*.txt "$T"/a-*.json \
			"$T/ctl-all.txt" 2>/dev/null; then
			leak=1
		fi
	done
done
if [ "$leak" = 0 ]; then it_ok "no key material in any output (console, telemetry, reports)"
else it_notok "no key material in any output (console, telemetry, reports)"; fi

# ------------------------------------------------------------ quit on the prompt
printf 'quit\n' >&3
for ((i = 0; i < 100; i++)); do kill -0 "$B_PID" 2>/dev/null || break; sleep 0.1; done
wait "$B_PID"; rc=$?
exec 3>&-
it_expect "quit on B's prompt: B exits with status 0" "$rc" -eq 0
if grep -q '^drop tx-full ' "$T/b.out" && [ "$(grep -c '^drop tx-full ' "$T/b.out")" -ge 2 ]; then
	it_ok "B printed its final report after quit"
else
	it_notok "B printed its final report after quit" "$T/b.out"
fi

# quit through telemetry stops the daemon as SIGTERM would.
"$CTL" --file-prefix "$PREFIX_A" cmd quit > "$T/ctl-quit.txt" 2>&1; rc=$?
it_expect "pmdvpn-ctl cmd quit is accepted" "$rc" -eq 0
for ((i = 0; i < 100; i++)); do kill -0 "${PV_GW_PID[a]}" 2>/dev/null || break; sleep 0.1; done
if kill -0 "${PV_GW_PID[a]}" 2>/dev/null; then
	it_notok "pmdvpn-ctl cmd quit stops the daemon A"
else
	it_ok "pmdvpn-ctl cmd quit stops the daemon A"
fi
pv_gw_stop a; rc=$?
it_expect "A exits with status 0" "$rc" -eq 0
it_done
