#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Packet capture and log levels on running gateways, checked with tshark:
#   - A (a daemon, inside-offload = no, so its inside is an ethdev) is
#     driven through pmdvpn-ctl: a capture of its WAN port while both sides
#     ping holds ESP in UDP 4500 with A's outbound SPI (0x00002001) going
#     out and B's (0x00001001) coming in, and no clear ICMP; a capture of
#     its inside holds the clear ICMP echo between the two inside hosts;
#     `count N` stops at exactly N; a capture still running when A quits is
#     a complete file.
#   - B (default inside: vtap) runs a --cmdline-file script of malformed
#     commands: each gets a clear message and changes nothing (no capture,
#     no file, the same log levels), then `set log` / `show log` work.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CTL=${PMDVPN_CTL:-$SRCDIR/usertools/pmdvpn-ctl}

it_init
command -v python3 > /dev/null || { echo "Bail out! python3 missing (pmdvpn-ctl needs it)"; exit 1; }
# tshark is in the run group of usertools/lib/common.sh (installed without
# its debconf question by pv_install_deps).
command -v tshark > /dev/null || pv_install_deps run
command -v tshark > /dev/null || { echo "Bail out! tshark missing (usertools/pmdvpn-test.sh installs it)"; exit 1; }
it_topology

CIPHER=aes-128-gcm
it_keys "$CIPHER"
it_conf a "$CIPHER" | sed 's/^inside = tap$/inside = tap\ninside-offload = no/' > "$T/a.conf"
it_conf b "$CIPHER" > "$T/b.conf"
PREFIX_A="pmdvpn-${PV_ID}-a"

# ctl WORDS..: a console command on A through telemetry.
ctl() { "$CTL" --file-prefix "$PREFIX_A" cmd "$@" 2>&1; }

# tsh FILE ARGS..: tshark reading FILE, ESP in UDP 4500 decoded as such
# (RFC 3948: a non-zero first word is an SPI).
tsh() {
	local f=$1; shift
	tshark -r "$f" -o udp.try_heuristic_first:TRUE -d udp.port==4500,udpencap "$@" 2> "$T/tshark.err"
}

# B's script: every malformed command, then the working log commands.
cat > "$T/b.script" <<EOF
show capture
show log lib.*
capture start nosuchport $T/b1.pcapng
capture start wan /nonexistent/dir/x.pcapng
capture start inside $T/b2.pcapng
capture start wan
capture start wan $T/b3.pcapng count 0
capture start wan $T/b4.pcapng count
capture start wan $T/b5.pcapng bogus 3
capture stop
set log foo bar
set log foo debug
set log lib.eal loud
set log lib.eal 9
show capture
show log lib.*
set log lib.eal debug
set log lib.ethdev 5
show log lib.eal
show log lib.ethdev
set log global 7
show log nomatch*
show log
EOF

if ! pv_gw_start a "$NS_A" "$T/a.conf" 30; then
	it_notok "gateway A (inside-offload = no) ready" "${PV_GW_ERR[a]}"
	it_done
fi
it_ok "gateway A (inside-offload = no) ready"
if ! pv_gw_start b "$NS_B" "$T/b.conf" 30 --cmdline-file "$T/b.script"; then
	it_notok "gateway B (script of malformed commands) ready" "${PV_GW_ERR[b]}"
	it_done
fi
it_wait_inside
it_check "the tunnel works: ping A -> B" it_ping "$NS_A" "$IN_B"

# ------------------------------------------------------------ B: malformed commands
# B prints "ready" before its script runs: wait for the script's end.
for ((i = 0; i < 100; i++)); do
	grep -q "^pmdvpn> show log$" "${PV_GW_OUT[b]}" && break
	sleep 0.1
done
sleep 0.3
tr -d '\r' < "${PV_GW_OUT[b]}" > "$T/b.out"
# section CMD [N]: the output of the Nth (default 1st) run of CMD in B's script.
section() {
	awk -v cmd="pmdvpn> $1" -v nth="${2:-1}" '
		index($0, "pmdvpn> ") == 1 { on = ($0 == cmd) && (++seen[$0] == nth); next }
		/^pmdvpn: / { on = 0 }
		on' "$T/b.out"
}
# expect CMD REGEX DESC: CMD's output matches REGEX (grep -E).
expect() {
	if section "$1" | grep -qE -- "$2"; then it_ok "$3"
	else section "$1" > "$T/sec.txt"; it_notok "$3" "$T/sec.txt" "$T/b.out"; fi
}
expect "show capture" '^capture none$' "show capture before any capture: none"
expect "capture start nosuchport $T/b1.pcapng" "^capture: unknown port 'nosuchport': use wan or inside \(nothing started\)$" \
	"capture start nosuchport: unknown port, nothing started"
expect "capture start wan /nonexistent/dir/x.pcapng" \
	'^capture: cannot create /nonexistent/dir/x.pcapng: No such file or directory \(nothing started\)$' \
	"capture start wan /nonexistent/dir/x.pcapng: cannot create, nothing started"
expect "capture start inside $T/b2.pcapng" 'the inside is a vtap, not an ethdev port: capture on the inside needs inside-offload = no' \
	"capture start inside on a vtap inside: says it needs an ethdev (inside-offload = no)"
expect "capture start wan" '^usage: capture start wan\|inside FILE.pcapng \[count N\]' \
	"capture start wan without a file: usage"
expect "capture start wan $T/b3.pcapng count 0" "count expects a number of packets >= 1, got '0'" \
	"capture start ... count 0: refused"
expect "capture start wan $T/b4.pcapng count" '^usage: capture start' "capture start ... count (no number): usage"
expect "capture start wan $T/b5.pcapng bogus 3" '^usage: capture start' "capture start ... bogus 3: usage"
expect "capture stop" '^capture: no capture is running \(nothing changed\)$' "capture stop with none running"
expect "set log foo bar" "^set log: unknown level 'bar': emerg alert crit err warning notice info debug, or 1..8 \(nothing changed\)$" \
	"set log foo bar: unknown level, nothing changed"
expect "set log foo debug" "^set log: no log type matches 'foo'" "set log foo debug: no such type, nothing changed"
expect "set log lib.eal loud" "unknown level 'loud'" "set log lib.eal loud: unknown level"
expect "set log lib.eal 9" "unknown level '9'" "set log lib.eal 9: out of range"
expect "show capture" '^capture none$' "show capture after the malformed commands: still none"
n=0
for f in b1 b2 b3 b4 b5; do [ -e "$T/$f.pcapng" ] && n=$((n + 1)); done
it_expect "no file was created by the refused capture commands" "$n" -eq 0
section "show log lib.*" 1 > "$T/log-before"
section "show log lib.*" 2 > "$T/log-after"
if [ "$(grep -c '^log lib\.' "$T/log-before")" -ge 10 ] && cmp -s "$T/log-before" "$T/log-after"; then
	it_ok "show log lib.*: $(grep -c '^log lib\.' "$T/log-before") types, the same levels after the malformed set log"
else
	diff "$T/log-before" "$T/log-after" > "$T/log-diff" 2>&1
	it_notok "show log lib.*: levels unchanged by the malformed set log" "$T/log-before" "$T/log-diff"
fi
eal0=$(sed -n 's/^log lib\.eal //p' "$T/log-before")
expect "set log lib.eal debug" "^log level debug for 1 type\(s\) matching 'lib.eal'$" "set log lib.eal debug"
expect "show log lib.eal" '^log lib\.eal debug$' "show log lib.eal: now debug (was $eal0)"
expect "set log lib.ethdev 5" "^log level warning for 1 type\(s\) matching 'lib.ethdev'$" "set log lib.ethdev 5 (a number)"
expect "show log lib.ethdev" '^log lib\.ethdev warning$' "show log lib.ethdev: warning"
expect "set log global 7" '^log global info$' "set log global 7"
expect "show log nomatch*" '^\(no log type matches' "show log of a pattern without types says so"
expect "show log" '^log global info$' "show log: the global level (and pmdvpn's types)"
it_check "after the malformed commands B still forwards: ping B -> A" it_ping "$NS_B" "$IN_A"

# ------------------------------------------------------------ A: WAN capture through pmdvpn-ctl
ctl capture start wan "$T/wan.pcapng" > "$T/ctl-start.txt"
if grep -q "^capture started: wan (port 0) to $T/wan.pcapng$" "$T/ctl-start.txt"; then
	it_ok "pmdvpn-ctl cmd capture start wan FILE"
else
	it_notok "pmdvpn-ctl cmd capture start wan FILE" "$T/ctl-start.txt"
fi
ctl capture start inside "$T/second.pcapng" > "$T/ctl-second.txt"
if grep -q "^capture: a capture is already running (wan to $T/wan.pcapng)" "$T/ctl-second.txt" &&
	[ ! -e "$T/second.pcapng" ]; then
	it_ok "a second capture start is refused (one at a time), no file created"
else
	it_notok "a second capture start is refused (one at a time), no file created" "$T/ctl-second.txt"
fi
it_check "ping A -> B during the capture" it_ping "$NS_A" "$IN_B" -c 5
it_check "ping B -> A during the capture" it_ping "$NS_B" "$IN_A" -c 5
ctl show capture > "$T/ctl-show.txt"
if grep -qE "^capture running port wan \(0\) file $T/wan.pcapng written [1-9][0-9]* limit 0 " "$T/ctl-show.txt"; then
	it_ok "show capture: running, packets written"
else
	it_notok "show capture: running, packets written" "$T/ctl-show.txt"
fi
ctl capture stop > "$T/ctl-stop.txt"
written=$(sed -n 's/.*: \([0-9]*\) packets written, \([0-9]*\) dropped.*/\1/p' "$T/ctl-stop.txt")
dropped=$(sed -n 's/.*: \([0-9]*\) packets written, \([0-9]*\) dropped.*/\2/p' "$T/ctl-stop.txt")
if grep -q "^capture stopped: wan (port 0) to $T/wan.pcapng: " "$T/ctl-stop.txt"; then
	it_ok "capture stop: $(cat "$T/ctl-stop.txt")"
else
	it_notok "capture stop says what was written and dropped" "$T/ctl-stop.txt"
fi
it_expect "no packet dropped by the capture" "${dropped:-1}" -eq 0

if tsh "$T/wan.pcapng" -T fields -e frame.number > "$T/wan-frames.txt"; then
	it_ok "tshark reads the WAN capture"
else
	it_notok "tshark reads the WAN capture" "$T/tshark.err"
fi
it_expect "tshark sees every packet capture stop counted" "$(wc -l < "$T/wan-frames.txt")" -eq "${written:-0}"
t1=$(tsh "$T/wan.pcapng" -T fields -e frame.time_epoch | head -1)
skew=$(( ${t1%%.*} - $(date +%s) )); skew=${skew#-}
it_expect "the packets' timestamps are wall-clock time (first one ${skew} s from now)" "$skew" -lt 120
tsh "$T/wan.pcapng" -Y esp -T fields -e frame.packet_flags_direction -e ip.src -e ip.dst -e esp.spi \
	> "$T/wan-esp.txt"
# A -> B: outbound from A's WAN address with A's spi-out; B -> A: inbound with B's.
out_ab=$(awk -v s="$WAN_A" -v d="$WAN_B" '$1 == "0x00000002" && $2 == s && $3 == d && $4 == "0x00002001"' "$T/wan-esp.txt" | wc -l)
in_ba=$(awk -v s="$WAN_B" -v d="$WAN_A" '$1 == "0x00000001" && $2 == s && $3 == d && $4 == "0x00001001"' "$T/wan-esp.txt" | wc -l)
it_expect "WAN capture: ESP with SPI 0x00002001 sent A -> B (10 pings' packets)" "$out_ab" -ge 10
it_expect "WAN capture: ESP with SPI 0x00001001 received B -> A" "$in_ba" -ge 10
other=$(awk '$4 != "0x00002001" && $4 != "0x00001001"' "$T/wan-esp.txt" | wc -l)
it_expect "WAN capture: no other SPI" "$other" -eq 0
icmp=$(tsh "$T/wan.pcapng" -Y 'icmp || icmpv6.type == 128' -T fields -e frame.number | wc -l)
it_expect "WAN capture: no clear-text ICMP echo" "$icmp" -eq 0
[ -s "$T/wan-esp.txt" ] || cat "$T/tshark.err" >&2

# ------------------------------------------------------------ A: inside capture
ctl capture start inside "$T/inside.pcapng" > "$T/ctl-in.txt"
if grep -q "^capture started: inside (port [0-9]*) to $T/inside.pcapng$" "$T/ctl-in.txt"; then
	it_ok "capture start inside (net_tap ethdev)"
else
	it_notok "capture start inside (net_tap ethdev)" "$T/ctl-in.txt"
fi
it_check "ping B -> A's inside host during the inside capture" it_ping "$NS_B" "$IN_A"
ctl capture stop > "$T/ctl-in-stop.txt"
tsh "$T/inside.pcapng" -Y icmp -T fields -e frame.packet_flags_direction -e ip.src -e ip.dst -e icmp.type \
	> "$T/in-icmp.txt"
req=$(awk -v s="$IN_B" -v d="$IN_A" '$1 == "0x00000002" && $2 == s && $3 == d && $4 == 8' "$T/in-icmp.txt" | wc -l)
rep=$(awk -v s="$IN_A" -v d="$IN_B" '$1 == "0x00000001" && $2 == s && $3 == d && $4 == 0' "$T/in-icmp.txt" | wc -l)
it_expect "inside capture: the clear echo requests B -> A, sent to the host" "$req" -ge 3
it_expect "inside capture: the clear echo replies, received from the host" "$rep" -ge 3
esp=$(tsh "$T/inside.pcapng" -Y esp -T fields -e frame.number | wc -l)
it_expect "inside capture: no ESP" "$esp" -eq 0

# ------------------------------------------------------------ A: count N
ctl capture start wan "$T/count.pcapng" count 3 > "$T/ctl-count.txt"
it_check "ping A -> B (count capture)" it_ping "$NS_A" "$IN_B"
ctl show capture > "$T/ctl-count-show.txt"
ctl capture stop >> "$T/ctl-count.txt"
n=$(tsh "$T/count.pcapng" -T fields -e frame.number | wc -l)
if grep -q '^capture complete port wan (0) .* written 3 limit 3 ' "$T/ctl-count-show.txt" &&
	grep -q ': 3 packets written, 0 dropped (.*), count 3 reached$' "$T/ctl-count.txt" && [ "$n" = 3 ]; then
	it_ok "capture ... count 3: exactly 3 packets, shown complete before stop"
else
	it_notok "capture ... count 3: exactly 3 packets (tshark: $n)" "$T/ctl-count-show.txt" "$T/ctl-count.txt"
fi

# ------------------------------------------------------------ A quits with a capture running
ctl capture start wan "$T/exit.pcapng" > "$T/ctl-exit.txt"
it_check "ping A -> B (capture left running)" it_ping "$NS_A" "$IN_B"
ctl quit > /dev/null
pv_gw_stop a 15; rc=$?
it_expect "A quits with a capture running: exit status 0" "$rc" -eq 0
n=$(tsh "$T/exit.pcapng" -T fields -e frame.number | wc -l)
it_expect "the capture left running is a readable file with the pings' packets" "$n" -ge 6

# ------------------------------------------------------------ no key anywhere
leak=0
for k in "$KEY_AB" "$KEY_BA"; do
	grep -qi -- "${k:0:16}" "$T"/ctl-*.txt "$T/b.out" && leak=1
done
if [ "$leak" = 0 ]; then it_ok "no key material in any output"; else it_notok "no key material in any output"; fi
it_done
