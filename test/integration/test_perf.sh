#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmdvpn-perf end to end (behaviour, not speed: the numbers are printed,
# not judged, since the machine's two cores are shared):
#   1. bad options exit 2 with a message; the crypto-limit mode runs;
#   2. gen over a net_ring port in one process: all packets come back;
#   3. gen (memif server) <-> reflect (memif client), two processes;
#   4. a pmdvpn round trip with a loopback peer (spi-in == spi-out, one key):
#      pmdvpn-perf generates clear packets into pmdvpn's inside LAN port
#      (net_memif), reflects the ESP on pmdvpn's WAN port (net_memif) on the
#      same lcore, and counts what comes back decrypted on the inside port;
#   5. decrypt only: pmdvpn-perf --replay captures the gateway's ESP once and
#      replays it (replay-window = 0 on that SA); the clear frames arrive;
#   6. two gateway workers: pmdvpn-perf --queues 2 --paired-ips feeds two
#      loopback peers, one per worker, on a memif queue pair each: both
#      come back, nothing is handed over between workers;
#   7. SIGINT stops an endless run cleanly, with a summary.
# Everything is memif/ring between processes in one namespace of its own
# (memif's sockets are abstract, so they are private to that namespace).
set -u
. "$(dirname "$0")/lib.sh"
it_init
pv_ns_create "$NS_A" || { echo "Bail out! cannot create a namespace"; exit 1; }

PERF=${PMDVPN_PERF:-$(dirname "$PMDVPN")/../pmdvpn-perf/pmdvpn-perf}
[ -x "$PERF" ] || { echo "Bail out! no pmdvpn-perf at $PERF (ninja builds it)"; exit 1; }

# perf_eal NAME: EAL arguments for one pmdvpn-perf process.
perf_eal() {
	local prefix="${PV_ID}-perf-$1"
	PV_DPDK_PREFIXES+=("$prefix")
	printf '%s\n' --no-pci --no-huge -m 256 --file-prefix "$prefix" --lcores '0@(0,1)'
}

# jnum FILE FILTER: a number from a JSON result (0 if absent).
jnum() { jq -r "$2 // 0" "$1" 2>/dev/null || echo 0; }

# show FILE: the numbers of one run, for the log.
show() {
	jq -c '{tx: .tx.packets, rx: .rx.packets, loss_pct, out_of_order, mpps: .rx.mpps,
		gbps_l2: .rx.gbps, lat_us: .latency_us, reflected: .reflect.packets}' "$1" 2>/dev/null |
		sed 's/^/# /'
}

# ---- 1. options and the crypto limit
mapfile -t EAL < <(perf_eal opt)
for bad in "--size 20" "--rate fast" "--flows 0" "--mode nope" "--bogus" "--imix-sizes 1,2" \
	   "--mode crypto --port net_ring0" "--duration"; do
	# shellcheck disable=SC2086
	"$PERF" "${EAL[@]}" -- $bad > "$T/bad.out" 2> "$T/bad.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q '^pmdvpn-perf: ' "$T/bad.err"; then
		it_ok "bad option '$bad': exit 2 with a message"
	else
		it_notok "bad option '$bad': exit $rc" "$T/bad.err"
	fi
done
if "$PERF" "${EAL[@]}" -- --mode crypto --size 1420 --duration 0.3 --json > "$T/crypto.json" 2> "$T/crypto.err" &&
	[ "$(jq -r '.mpps > 0 and .cycles_per_byte > 0' "$T/crypto.json")" = true ]; then
	it_ok "crypto limit: $(jq -r '"\(.cipher) \(.size) B: \(.mpps|.*1000|round/1000) Mpps \(.gbps|.*100|round/100) Gbit/s \(.cycles_per_byte|.*1000|round/1000) c/B"' "$T/crypto.json")"
else
	it_notok "crypto limit runs" "$T/crypto.err" "$T/crypto.json"
fi

# ---- 2. one process, net_ring: every packet comes back, in order
mapfile -t EAL < <(perf_eal ring)
"$PERF" "${EAL[@]}" --vdev net_ring0 -- --rate 200k --duration 1 --imix --flows 16 --json \
	> "$T/ring.json" 2> "$T/ring.err"
it_expect "net_ring: exit status" "$?" -eq 0
tx=$(jnum "$T/ring.json" .tx.packets) rx=$(jnum "$T/ring.json" .rx.packets)
it_expect "net_ring: packets sent" "$tx" -gt 100000
it_expect "net_ring: all came back" "$rx" -eq "$tx"
it_expect "net_ring: none out of order" "$(jnum "$T/ring.json" .out_of_order)" -eq 0
it_expect "net_ring: every flow received" "$(jq '[.per_flow[] | select(.rx > 0)] | length' "$T/ring.json")" -eq 16
it_expect "net_ring: latency measured" "$(jnum "$T/ring.json" .latency_us.samples)" -eq "$rx"
show "$T/ring.json"

# ---- 3. two processes over memif: gen <-> reflect
SOCK_R=/run/${PV_ID}-perf-r.sock
mapfile -t EAL < <(perf_eal gen3)
"$PERF" "${EAL[@]}" --vdev "net_memif0,role=server,id=0,socket=$SOCK_R" -- \
	--rate 50k --duration 2 --flows 4 --warmup 0.5 --link-timeout 20 --json \
	> "$T/gen3.json" 2> "$T/gen3.err" &
GEN=$!
PV_PIDS+=("$GEN")
sleep 0.5
mapfile -t EAL < <(perf_eal refl3)
"$PERF" "${EAL[@]}" --vdev "net_memif0,role=client,id=0,socket=$SOCK_R" -- --mode reflect \
	--json > "$T/refl3.json" 2> "$T/refl3.err" &
REFL=$!
PV_PIDS+=("$REFL")
wait "$GEN"
it_expect "memif gen: exit status" "$?" -eq 0
kill -INT "$REFL"
wait "$REFL"
it_expect "memif reflect: exit status after SIGINT" "$?" -eq 0
tx=$(jnum "$T/gen3.json" .tx.packets) rx=$(jnum "$T/gen3.json" .rx.packets)
it_expect "memif: packets sent" "$tx" -gt 50000
# a shared 2-core machine may deschedule a poller long enough to drop a few
it_expect "memif: at least 99% came back" "$((rx * 100))" -ge "$((tx * 99))"
it_expect "memif: reflector saw them" "$(jnum "$T/refl3.json" .reflect.packets)" -ge "$rx"
it_expect "memif: reflected ones are ours (same order)" "$(jnum "$T/gen3.json" .out_of_order)" -eq 0
show "$T/gen3.json"
rm -f "$SOCK_R"

# ---- 4. pmdvpn round trip with a loopback peer
SOCK_IN=/run/${PV_ID}-perf-in.sock SOCK_WAN=/run/${PV_ID}-perf-wan.sock
loop_conf() { # CIPHER [REPLAY_WINDOW]
	local key
	key=$(pv_randhex "$(pv_key_bytes "$1")")
	cat <<EOF
# generated by $IT_NAME: a loopback peer (one SA both ways) behind memif
[gateway]
wan = net_memif1,role=client,id=0,socket=$SOCK_WAN,mac=02:00:00:00:02:01
wan-address = 198.18.0.1/24
neighbour = 198.18.0.2 02:00:00:00:02:02
inside = net_memif0,role=client,id=0,socket=$SOCK_IN,mac=02:00:00:00:01:01
inside-address = 198.19.0.1/16
neighbour = 198.19.1.2 02:00:00:00:01:02
state-file = $T/loop.state

EOF
	pv_loop_peer loop 198.18.0.2:4500 198.19.0.0/23 "$1" 0x00003001 "$key" ${2:+"replay-window = $2"}
}
# perf_reflector NAME JSON ERR [ARGS...]: pmdvpn-perf in NS_A, the memif
# server on both ports (it starts first and waits for pmdvpn to connect),
# generating on the inside port (ARGS: addresses, rate, ...) and reflecting
# the ESP that pmdvpn sends on the WAN one; in the background, GEN.
perf_reflector() {
	local name=$1 json=$2 err=$3 eal; shift 3
	mapfile -t eal < <(perf_eal "$name")
	ip netns exec "$NS_A" "$PERF" "${eal[@]}" \
		--vdev "net_memif0,role=server,id=0,socket=$SOCK_IN,mac=02:00:00:00:01:02" \
		--vdev "net_memif1,role=server,id=0,socket=$SOCK_WAN,mac=02:00:00:00:02:02" -- \
		--reflect-port net_memif1 --src-mac 02:00:00:00:01:02 --dst-mac 02:00:00:00:01:01 \
		"$@" > "$json" 2> "$err" &
	GEN=$!
	PV_PIDS+=("$GEN")
}

for cipher in aes-128-gcm chacha20-poly1305; do
	loop_conf "$cipher" > "$T/loop.conf"
	chmod 600 "$T/loop.conf"
	perf_reflector "rt-$cipher" "$T/rt.json" "$T/rt.err" \
		--src-ip 198.19.0.2 --dst-ip 198.19.1.2 --flows 8 --size 512 --rate 50k \
		--duration 2 --warmup 1 --link-timeout 30 --json
	sleep 0.5
	if ! pv_gw_start "rt-$cipher" "$NS_A" "$T/loop.conf" 30 2> "$T/gw.log"; then
		it_notok "$cipher: pmdvpn with a loopback peer starts" "$T/gw.log"
		pv_stop_pid "$GEN" 3
		continue
	fi
	wait "$GEN"
	it_expect "$cipher round trip: pmdvpn-perf exit status" "$?" -eq 0
	pv_gw_stats "rt-$cipher" > "$T/gwstats.txt"
	pv_gw_stop "rt-$cipher"
	tx=$(jnum "$T/rt.json" .tx.packets) rx=$(jnum "$T/rt.json" .rx.packets)
	refl=$(jnum "$T/rt.json" .reflect.packets)
	it_expect "$cipher round trip: packets sent" "$tx" -gt 50000
	it_expect "$cipher round trip: ESP reflected" "$refl" -gt 0
	it_expect "$cipher round trip: at least 99% came back decrypted" "$((rx * 100))" -ge "$((tx * 99))"
	it_expect "$cipher round trip: no auth failure" \
		"$(pv_counter 'drop auth-failure' < "$T/gwstats.txt")" -eq 0
	it_expect "$cipher round trip: no replay drop" \
		"$(pv_counter 'drop replay' < "$T/gwstats.txt")" -eq 0
	it_expect "$cipher round trip: pmdvpn decrypted what came back" \
		"$(pv_counter 'peer loop' rx-pkts < "$T/gwstats.txt")" -ge "$rx"
	# reflected ESP is bigger than the clear frame it carries
	it_expect "$cipher round trip: ESP bytes > clear bytes" \
		"$(jnum "$T/rt.json" .reflect.bytes)" -gt "$(jnum "$T/rt.json" .rx.bytes)"
	show "$T/rt.json"
	rm -f "$SOCK_IN" "$SOCK_WAN"
done

# ---- 5. decrypt only: capture ESP once, replay it with anti-replay off
CAP=2000
for cipher in aes-256-gcm; do
	loop_conf "$cipher" 0 > "$T/loop.conf"
	chmod 600 "$T/loop.conf"
	perf_reflector "rp-$cipher" "$T/rp.json" "$T/rp.err" \
		--src-ip 198.19.0.2 --dst-ip 198.19.1.2 --flows 8 --size 256 --rate 100k \
		--replay "$CAP" --duration 2 --warmup 1 --link-timeout 30 --json
	sleep 0.5
	if ! pv_gw_start "rp-$cipher" "$NS_A" "$T/loop.conf" 30 2> "$T/gw.log"; then
		it_notok "$cipher replay: pmdvpn with replay-window = 0 starts" "$T/gw.log"
		pv_stop_pid "$GEN" 3
		continue
	fi
	pv_gw_stats "rp-$cipher" > "$T/gw0.txt"
	wait "$GEN"
	it_expect "$cipher replay: pmdvpn-perf exit status" "$?" -eq 0
	pv_gw_stats "rp-$cipher" > "$T/gwstats.txt"
	pv_gw_stop "rp-$cipher"
	tx=$(jnum "$T/rp.json" .tx.packets) rx=$(jnum "$T/rp.json" .rx.packets)
	it_expect "$cipher replay: mode" "$(jq -r .mode "$T/rp.json")" = replay
	it_expect "$cipher replay: all $CAP frames captured" "$(jnum "$T/rp.json" .replay.captured)" -eq "$CAP"
	# 100k pps for 2 s: each captured frame goes out about 100 times
	it_expect "$cipher replay: ESP replayed more than 10x the capture" "$tx" -gt "$((CAP * 10))"
	it_expect "$cipher replay: at least 99% came back decrypted" "$((rx * 100))" -ge "$((tx * 99))"
	it_expect "$cipher replay: no auth failure" \
		"$(pv_counter 'drop auth-failure' < "$T/gwstats.txt")" -eq 0
	it_expect "$cipher replay: no replay drop (window 0)" \
		"$(pv_counter 'drop replay' < "$T/gwstats.txt")" -eq 0
	# what the gateway decrypted: the capture's clear frames never came
	# back, so its rx-pkts count the replayed ones only
	it_expect "$cipher replay: pmdvpn decrypted what came back" \
		"$(pv_counter 'peer loop' rx-pkts < "$T/gwstats.txt")" -ge "$rx"
	it_expect "$cipher replay: pmdvpn encrypted only the capture (and warm-up)" \
		"$(pv_counter 'peer loop' tx-pkts < "$T/gwstats.txt")" -lt "$((CAP + 2000))"
	show "$T/rp.json"
	rm -f "$SOCK_IN" "$SOCK_WAN"
done

# the same replay against an SA with anti-replay on: all but the first
# round are dropped as replays (the check that window 0 is what lets it in)
loop_conf aes-128-gcm > "$T/loop.conf"
chmod 600 "$T/loop.conf"
perf_reflector rp-on "$T/rpon.json" "$T/rpon.err" \
	--src-ip 198.19.0.2 --dst-ip 198.19.1.2 --flows 8 --size 128 --rate 50k \
	--replay 500 --duration 1 --link-timeout 30 --json
sleep 0.5
if pv_gw_start "rp-on" "$NS_A" "$T/loop.conf" 30 2> "$T/gw.log"; then
	wait "$GEN"
	pv_gw_stats "rp-on" > "$T/gwstats.txt"
	pv_gw_stop "rp-on"
	tx=$(jnum "$T/rpon.json" .tx.packets) rx=$(jnum "$T/rpon.json" .rx.packets)
	it_expect "anti-replay on: replayed ESP sent" "$tx" -gt 5000
	it_expect "anti-replay on: at most one round decrypted" "$rx" -le 500
	it_expect "anti-replay on: the rest dropped as replays" \
		"$(pv_counter 'drop replay' < "$T/gwstats.txt")" -ge "$((tx - 500))"
else
	it_notok "anti-replay on: pmdvpn starts" "$T/gw.log"
	pv_stop_pid "$GEN" 3
fi
rm -f "$SOCK_IN" "$SOCK_WAN"

# ---- 6. two workers, two loopback peers, two memif queues on each side
two_conf() {
	local ka kb
	ka=$(pv_randhex 20) kb=$(pv_randhex 20)
	cat <<EOF
# generated by $IT_NAME: two loopback peers, one per worker
[gateway]
wan = net_memif1,role=client,id=0,socket=$SOCK_WAN,mac=02:00:00:00:02:01
wan-address = 198.18.0.1/24
neighbour = 198.18.0.2 02:00:00:00:02:02
neighbour = 198.18.0.3 02:00:00:00:02:02
inside = net_memif0,role=client,id=0,socket=$SOCK_IN,mac=02:00:00:00:01:01
inside-address = 198.19.0.1/16
neighbour = 198.19.1.2 02:00:00:00:01:02
neighbour = 198.19.1.3 02:00:00:00:01:02
state-file = $T/two.state

EOF
	pv_loop_peer a 198.18.0.2:4500 "198.19.0.2/32, 198.19.1.2/32" aes-128-gcm 0x00004001 "$ka"
	echo
	pv_loop_peer b 198.18.0.3:4500 "198.19.0.3/32, 198.19.1.3/32" aes-128-gcm 0x00004002 "$kb"
}
two_conf > "$T/two.conf"
chmod 600 "$T/two.conf"
perf_reflector two "$T/two.json" "$T/two.err" \
	--src-ip 198.19.0.2-198.19.0.3 --dst-ip 198.19.1.2-198.19.1.3 --paired-ips --queues 2 \
	--flows 16 --size 256 --rate 50k --duration 2 --warmup 1 --link-timeout 30 --json
sleep 0.5
if PV_EAL_LCORES='0@(0,1),1@(0,1),2@(0,1)' pv_gw_start two "$NS_A" "$T/two.conf" 30 2> "$T/gw.log"; then
	pv_gw_stats two > "$T/two0.txt"
	wait "$GEN"
	it_expect "two workers: pmdvpn-perf exit status" "$?" -eq 0
	pv_gw_stats two > "$T/two1.txt"
	pv_gw_stop two
	tx=$(jnum "$T/two.json" .tx.packets) rx=$(jnum "$T/two.json" .rx.packets)
	it_expect "two workers: packets sent" "$tx" -gt 50000
	it_expect "two workers: at least 99% came back decrypted" "$((rx * 100))" -ge "$((tx * 99))"
	for p in a b; do
		n=$(( $(pv_counter "peer $p" rx-pkts < "$T/two1.txt") - $(pv_counter "peer $p" rx-pkts < "$T/two0.txt") ))
		it_expect "two workers: peer $p carried half" "$((n * 100))" -ge "$((tx * 49))"
	done
	it_expect "two workers: no hand-off (each queue carries its owner's peer)" \
		"$(( $(pv_counter 'event handoff' < "$T/two1.txt") - $(pv_counter 'event handoff' < "$T/two0.txt") ))" -eq 0
	it_expect "two workers: both worker lcores moved packets" \
		"$(awk '$1 == "lcore" && $4 > 0' "$T/two1.txt" | wc -l)" -ge 2
	it_expect "two workers: no auth failure" "$(pv_counter 'drop auth-failure' < "$T/two1.txt")" -eq 0
	show "$T/two.json"
else
	it_notok "two workers: pmdvpn with 3 lcores starts" "$T/gw.log"
	pv_stop_pid "$GEN" 3
fi
rm -f "$SOCK_IN" "$SOCK_WAN"

# ---- 7. SIGINT ends an endless run with a summary
mapfile -t EAL < <(perf_eal int)
"$PERF" "${EAL[@]}" --vdev net_ring0 -- --rate 10k --duration 0 > "$T/int.out" 2> "$T/int.err" &
P=$!
PV_PIDS+=("$P")
sleep 2
kill -INT "$P"
wait "$P"
it_expect "SIGINT: exit status" "$?" -eq 0
it_check "SIGINT: summary printed, marked interrupted" grep -q 'interrupted' "$T/int.out"

it_done
