#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Config errors as the user meets them: pmdvpn exits with status 1 and a
# "FILE:LINE: ..." message, and leaves the host untouched (no vpn0, no
# route, no state file) -- and it refuses to run a static-key SA without a
# writable state file. The parser's details are unit-tested (test_conf);
# this checks the binary's behaviour around it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_init
it_topology
it_keys aes-128-gcm
it_conf a aes-128-gcm > "$T/good.conf"

# run_bad DESC CONF [EXPECTED STDERR REGEX]: status 1, message, nothing created
run_bad() {
	local desc=$1 conf=$2 re=${3:-} rc
	local -a eal
	mapfile -t eal < <(pv_eal_args "pmdvpn-${PV_ID}-cfg")
	PV_DPDK_PREFIXES+=("pmdvpn-${PV_ID}-cfg")
	timeout 30 ip netns exec "$NS_A" "$PMDVPN" "${eal[@]}" -- -f "$conf" \
		> "$T/bad.out" 2> "$T/bad.err" < /dev/null
	rc=$?
	if [ "$rc" = 1 ] && { [ -z "$re" ] || grep -qE -- "$re" "$T/bad.err"; } &&
	   ! grep -q '^pmdvpn: ready' "$T/bad.out" &&
	   ! ip -n "$NS_A" link show vpn0 > /dev/null 2>&1 &&
	   [ -z "$(ip -n "$NS_A" route show 198.19.1.0/24)" ]; then
		it_ok "$desc: exit 1, '$(head -1 "$T/bad.err" | cut -c1-90)'"
	else
		it_notok "$desc (status $rc, want 1 and /$re/ on stderr, host untouched)" "$T/bad.err" "$T/bad.out"
	fi
}

# bad_line N NEW: the good config with line N replaced
bad_line() {
	awk -v n="$1" -v s="$2" 'NR == n { print s; next } { print }' "$T/good.conf"
}
lineof() { grep -n "^$1 " "$T/good.conf" | head -1 | cut -d: -f1; }

n=$(lineof cipher); bad_line "$n" "cipher = aes-512-gcm" > "$T/c1.conf"
run_bad "unknown cipher" "$T/c1.conf" "$T/c1.conf:$n:"
n=$(lineof key-out); bad_line "$n" "key-out = 0011223344" > "$T/c2.conf"
run_bad "key of the wrong length" "$T/c2.conf" "$T/c2.conf:$n:"
if grep -q 0011223344 "$T/bad.err"; then it_notok "the error message does not echo key bytes" "$T/bad.err"
else it_ok "the error message does not echo key bytes"; fi
n=$(lineof spi-in); bad_line "$n" "spi-in = 0x00000010" > "$T/c3.conf"
run_bad "reserved SPI (below 256)" "$T/c3.conf" "$T/c3.conf:$n:"
n=$(lineof endpoint); bad_line "$n" "endpoint = 198.18.0.300:4500" > "$T/c4.conf"
run_bad "bad endpoint address" "$T/c4.conf" "$T/c4.conf:$n:"
n=$(lineof wan-address); bad_line "$n" "wan-adress = 198.18.0.1/24" > "$T/c5.conf"
run_bad "misspelt key" "$T/c5.conf" "$T/c5.conf:$n:"
{ cat "$T/good.conf"; echo "[peer site-b]"; } > "$T/c6.conf"
run_bad "duplicate peer section" "$T/c6.conf" "$T/c6.conf:$(wc -l < "$T/c6.conf"):"

# key file readable by others: refused (configs get shared, keys must not)
(umask 022; echo "$KEY_AB" > "$T/world.key")
chmod 0644 "$T/world.key"
n=$(lineof key-out); bad_line "$n" "key-out-file = world.key" > "$T/c7.conf"
run_bad "key file readable by group/others" "$T/c7.conf" "$T/c7.conf:$n:"
chmod 0600 "$T/world.key"
if timeout 10 "$PMDVPN" -- -f "$T/c7.conf" --check > "$T/check.out" 2>&1; then
	it_ok "the same key file with mode 0600 is accepted (--check)"
else
	it_notok "the same key file with mode 0600 is accepted (--check)" "$T/check.out"
fi

run_bad "missing config file" "$T/does-not-exist.conf" "does-not-exist"

# no writable state file: a static-key SA must not start
it_conf a aes-128-gcm state=/proc/pmdvpn-no-such-dir/a.state > "$T/c8.conf"
run_bad "state file in a directory that cannot be written" "$T/c8.conf" "state"

# and the good config passes the same checks
if timeout 10 "$PMDVPN" -- -f "$T/good.conf" --check > "$T/check.out" 2>&1; then
	it_ok "the generated config passes --check"
else
	it_notok "the generated config passes --check" "$T/check.out"
fi
for f in "$SRCDIR"/conf/*.conf; do
	[ -e "$f" ] || continue
	case $f in */swanctl-*.conf) continue ;; esac  # strongSwan's syntax (test_ike loads it)
	if timeout 10 "$PMDVPN" -- -f "$f" --check > "$T/check.out" 2>&1; then
		it_ok "shipped config $(basename "$f") passes --check"
	else
		it_notok "shipped config $(basename "$f") passes --check" "$T/check.out"
	fi
done
# every driver preset's [gateway] lines are valid config (merged into the
# generated config in place of its wan line)
for f in "$SRCDIR"/drivers-cfg/*.conf; do
	[ -e "$f" ] || continue
	keys=$(sed -n '/^\[gateway\]/,/^\[/{/^[a-z]/p}' "$f")
	drop=$(sed 's/ *=.*//' <<< "$keys" | paste -sd'|')
	awk -v keys="$keys" -v drop="^($drop) *=" '
		$0 ~ drop { next }
		{ print }
		/^\[gateway\]/ { print keys }' "$T/good.conf" > "$T/preset.conf"
	if [ -n "$keys" ] && timeout 10 "$PMDVPN" -- -f "$T/preset.conf" --check > "$T/check.out" 2>&1; then
		it_ok "driver preset $(basename "$f") is valid config"
	else
		it_notok "driver preset $(basename "$f") is valid config" "$T/check.out"
	fi
done
it_done
