#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# wan-kernel ("wan0"): the host kernel's view of the WAN NIC, so that
# taking over a VM's only NIC does not lock the operator out.
#
#   ns A: kernel (wan0 198.18.0.1/24, iperf3 server = "sshd") --[pmdvpn A]-- veth --+
#   ns B: a plain kernel host, 198.18.0.2/24 ---------------------------------- veth --+ bridge (ns W)
#   ns C: vpn0 --[pmdvpn, A's ESP peer, WAN 198.18.0.3]--------------------- veth --+
#
# With wan-kernel = wan0:
#   - wan0 exists in A with the WAN port's MAC, wan-address, link up, and a
#     default route via wan-gateway (A has none of its own);
#   - B pings A's wan-address: pmdvpn answers (event icmp-echo);
#   - B opens a TCP connection to a server in A's namespace listening on the
#     wan-address, and data flows both ways (to-kernel / from-kernel);
#   - A's kernel pings B through wan0 (its ARP goes through pmdvpn);
#   - the ESP tunnel A <-> C works alongside;
#   - no WAN frame is unhandled; wan0 and its routes go on exit.
# Without wan-kernel, the same TCP connection fails and counts unhandled.
# usertools/pmdvpn-setup.sh bind (--dry-run, on a fake sysfs ENA whose
# interface carries an ssh session): refused without wan-kernel in the
# config, accepted with it, saying that ssh comes back through wan0.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

it_init
HOST_B=198.18.0.2       # the plain kernel host
WAN_B=198.18.0.3        # pmdvpn C: A's peer (it_conf's side b)
WAN_GW=198.18.0.254     # nobody: only the default route points there
NS_C=${PV_ID}c NS_W=${PV_ID}w BR=${PV_ID}br VETH_C=${PV_ID}wc
pv_ns_create "$NS_A" && pv_ns_create "$NS_B" && pv_ns_create "$NS_C" && pv_ns_create "$NS_W" ||
	{ echo "Bail out! namespaces"; exit 1; }
ip -n "$NS_W" link add "$BR" type bridge &&
	pv_veth "$NS_A" "$VETH_A" "$NS_W" "${PV_ID}xa" &&
	pv_veth "$NS_B" "$VETH_B" "$NS_W" "${PV_ID}xb" &&
	pv_veth "$NS_C" "$VETH_C" "$NS_W" "${PV_ID}xc" &&
	ip -n "$NS_W" link set "${PV_ID}xa" master "$BR" &&
	ip -n "$NS_W" link set "${PV_ID}xb" master "$BR" &&
	ip -n "$NS_W" link set "${PV_ID}xc" master "$BR" &&
	pv_quiet_if "$NS_W" "$BR" &&
	ip -n "$NS_B" addr add "$HOST_B/24" dev "$VETH_B" || { echo "Bail out! topology"; exit 1; }
# A veth hands partial checksums and 64 KB GSO frames to the other end;
# the AF_PACKET socket of pmdvpn would pass them on as they are. A real
# NIC puts finished frames on the wire: make B's veth do the same.
command -v ethtool > /dev/null || { echo "Bail out! ethtool missing"; exit 1; }
ip netns exec "$NS_B" ethtool -K "$VETH_B" tx off > /dev/null 2>&1 ||
	{ echo "Bail out! ethtool -K $VETH_B tx off"; exit 1; }

CIPHER=aes-128-gcm
it_keys "$CIPHER"

# conf FILE [gateway lines..]: A's config, with C as its static peer.
conf() {
	local f=$1; shift
	it_conf a "$CIPHER" > "$f" || return 1
	# the [gateway] lines go right after "[gateway]"
	local l extra=""
	for l in "$@"; do extra+="$l\n"; done
	sed -i "s|^\[gateway\]$|[gateway]\n${extra}|" "$f"
}

stats() { it_stats a > "$T/$1.txt"; }
ctr() { pv_counter "$1" "${3:-}" < "$T/$2.txt"; }

# --- with wan-kernel
it_conf b "$CIPHER" wan="net_af_packet0,iface=$VETH_C,blocksz=4096,framesz=2048,framecnt=512,qpairs=1" \
	> "$T/c.conf" || { echo "Bail out! config of C"; exit 1; }
conf "$T/a.conf" "wan-kernel = wan0" "wan-gateway = $WAN_GW"
if ! pv_gw_start a "$NS_A" "$T/a.conf" 30 || ! pv_gw_start c "$NS_C" "$T/c.conf" 30; then
	it_notok "gateways A (wan-kernel = wan0) and C ready" "${PV_GW_ERR[a]:-/dev/null}" "${PV_GW_ERR[c]:-/dev/null}"
	it_done
fi
it_ok "gateways A (wan-kernel = wan0) and C ready"

wan_mac=$(ip -n "$NS_A" -o link show "$VETH_A" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
k_mac=$(ip -n "$NS_A" -o link show wan0 2>/dev/null | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
if [ -n "$k_mac" ] && [ "$k_mac" = "$wan_mac" ]; then
	it_ok "wan0 has the WAN port's MAC ($k_mac)"
else
	it_notok "wan0 has the WAN port's MAC (wan0 '$k_mac', WAN '$wan_mac')"
fi
it_check "wan0 is up" bash -c "ip -n '$NS_A' -o link show wan0 | grep -q ',UP'"
it_check "wan0 holds the wan-address" \
	bash -c "ip -n '$NS_A' -4 -o addr show dev wan0 | grep -q ' $WAN_A/24 '"
it_check "a default route via wan-gateway through wan0" \
	bash -c "ip -n '$NS_A' -4 route show default | grep -q 'via $WAN_GW dev wan0'"

stats s0
it_check "B pings A's wan-address" it_ping "$NS_B" "$WAN_A"
stats s1
it_expect "pmdvpn answered the echo requests itself (event icmp-echo)" \
	"$(( $(ctr 'event icmp-echo' s1) - $(ctr 'event icmp-echo' s0) ))" -ge 3

# the operator's "SSH": a TCP server in A's namespace on the wan-address
pv_bg "$NS_A" "$T/iperf3-server.log" iperf3 -s -B "$WAN_A" -p 5201
for ((i = 0; i < 30; i++)); do
	ip netns exec "$NS_A" ss -ltn 2>/dev/null | grep -q "$WAN_A:5201 " && break
	sleep 0.1
done
up=$(it_iperf "$NS_B" "$WAN_A" "$T/tcp-up.json" -t 2)
it_expect "TCP B -> A's kernel carries data (bytes received by A in 2 s)" "$up" -ge 1000000
down=$(it_iperf "$NS_B" "$WAN_A" "$T/tcp-down.json" -t 2 -R)
it_expect "TCP A's kernel -> B carries data (bytes received by B in 2 s)" "$down" -ge 1000000
it_log "TCP through wan0: B->A $(it_mbps "$T/tcp-up.json") Mbit/s, A->B $(it_mbps "$T/tcp-down.json") Mbit/s"

ip -n "$NS_A" neigh flush dev wan0 2> /dev/null
it_check "A's kernel pings B through wan0 (its ARP through pmdvpn)" it_ping "$NS_A" "$HOST_B"
if ip -n "$NS_A" neigh show dev wan0 "$HOST_B" | grep -qE 'lladdr [0-9a-f:]+'; then
	it_ok "A's kernel resolved B by ARP on wan0"
else
	it_notok "A's kernel resolved B by ARP on wan0"
	ip -n "$NS_A" neigh show | sed 's/^/# /'
fi
it_check "the ESP tunnel A <-> C works alongside (ping through vpn0)" it_ping "$NS_A" "$IN_B"
stats s2
it_expect "C's ESP reached A's vpn0 (peer site-b rx-pkts)" "$(ctr 'peer site-b' s2 rx-pkts)" -ge 3
it_expect "frames went to the kernel port (event to-kernel)" \
	"$(( $(ctr 'event to-kernel' s2) - $(ctr 'event to-kernel' s1) ))" -ge 1000
it_expect "the kernel's frames went out of the WAN port (event from-kernel)" \
	"$(( $(ctr 'event from-kernel' s2) - $(ctr 'event from-kernel' s1) ))" -ge 1000
# (unhandled also counts what the inside port does not route: vpn0's own
# IPv6 router solicitations and the like; at most that much)
it_expect "no WAN frame was unhandled with wan-kernel (drop unhandled <= inside rx)" \
	"$(( $(ctr 'drop unhandled' s2) - $(ctr 'drop unhandled' s0) ))" -le \
	"$(( $(pv_counter 'port inside' rx-pkts < "$T/s2.txt") - $(pv_counter 'port inside' rx-pkts < "$T/s0.txt") ))"
it_expect "no frame was lost on a full queue (drop tx-full)" "$(ctr 'drop tx-full' s2)" -eq 0

pv_gw_stop a
it_expect "the gateway exits cleanly" $? -eq 0
it_check "wan0 is gone after exit" bash -c "! ip -n '$NS_A' link show wan0 > /dev/null 2>&1"
it_check "its default route went with it" \
	bash -c "! ip -n '$NS_A' -4 route show default | grep -q ."

# --- the config is checked
conf "$T/bad.conf" "wan-kernel = vpn0"
if timeout 10 "$PMDVPN" -- -f "$T/bad.conf" --check > "$T/check.out" 2>&1; then
	it_notok "wan-kernel = the inside-name is refused" "$T/check.out"
else
	it_check "wan-kernel = the inside-name is refused" grep -q "wan-kernel: 'vpn0' is the inside-name" "$T/check.out"
fi

# --- without wan-kernel: today's behaviour
conf "$T/a-off.conf"
if ! pv_gw_start a "$NS_A" "$T/a-off.conf" 30; then
	it_notok "gateway without wan-kernel ready" "${PV_GW_ERR[a]:-/dev/null}"
	it_done
fi
it_ok "gateway without wan-kernel ready"
it_check "no wan0 without wan-kernel" bash -c "! ip -n '$NS_A' link show wan0 > /dev/null 2>&1"
stats t0
it_check "B still pings A's wan-address" it_ping "$NS_B" "$WAN_A"
timeout 10 ip netns exec "$NS_B" iperf3 -c "$WAN_A" -p 5201 --connect-timeout 2000 -n 1M \
	> "$T/tcp-off.log" 2>&1
it_expect "without wan-kernel the TCP connection fails (iperf3 status)" $? -ne 0
stats t1
it_expect "... and its SYNs count as unhandled" \
	"$(( $(ctr 'drop unhandled' t1) - $(ctr 'drop unhandled' t0) ))" -ge 1
it_expect "... and nothing went to a kernel port (event to-kernel)" "$(ctr 'event to-kernel' t1)" -eq 0
pv_gw_stop a; pv_gw_stop c

# --- pmdvpn-setup.sh bind: the only NIC, with and without wan-kernel
SETUP=$SRCDIR/usertools/pmdvpn-setup.sh
FS=$T/sys STUB=$T/devbind-stub IF=${PV_ID}e0
printf '#!/bin/sh\necho "$*" >> %s/devbind.calls\nexit 1\n' "$T" > "$STUB"
chmod +x "$STUB"
d=$FS/devices/pci0000:00/0000:00:06.0
mkdir -p "$d/net/$IF" "$FS/bus/pci/devices" "$FS/bus/pci/drivers/ena" "$FS/class/net"
echo 0x1d0f > "$d/vendor"; echo 0xec20 > "$d/device"; echo 0x020000 > "$d/class"
ln -s ../../../devices/pci0000:00/0000:00:06.0 "$FS/bus/pci/devices/0000:00:06.0"
ln -s ../../../bus/pci/drivers/ena "$d/driver"
ln -s ../../../0000:00:06.0 "$d/net/$IF/device"
ln -s "../../devices/pci0000:00/0000:00:06.0/net/$IF" "$FS/class/net/$IF"
ip -n "$NS_B" link add "$IF" type veth peer name "${IF}p" && ip -n "$NS_B" addr add 198.18.7.10/24 dev "$IF" &&
	ip -n "$NS_B" link set "$IF" up || { echo "Bail out! ssh interface"; exit 1; }
setup_bind() { # CONF: a dry-run bind of $IF with an ssh session over it
	ip netns exec "$NS_B" env PMDVPN_SYSFS="$FS" PMDVPN_DEVBIND="$STUB" \
		SSH_CONNECTION="198.18.7.2 40000 198.18.7.10 22" \
		"$SETUP" --dry-run --config "$1" bind "$IF" > "$T/setup.out" 2>&1
}
setup_bind "$T/a-off.conf"; rc=$?
if [ $rc = 1 ] && grep -q "refusing to bind" "$T/setup.out" && grep -q "wan-kernel = wan0" "$T/setup.out"; then
	it_ok "setup: the ssh interface is refused without wan-kernel (and says how)"
else
	it_notok "setup: the ssh interface is refused without wan-kernel (exit $rc)" "$T/setup.out"
fi
conf "$T/a-vm.conf" "wan-kernel = wan0" "wan-gateway = 198.18.7.1"
sed -i "s|^wan-address = .*|wan-address = 198.18.7.10/24|" "$T/a-vm.conf"
setup_bind "$T/a-vm.conf"; rc=$?
if [ $rc = 0 ] && grep -q "ssh comes back through wan0" "$T/setup.out" &&
	grep -q "dry-run: $STUB -b vfio-pci 0000:00:06.0" "$T/setup.out" &&
	! grep -q "will not come back" "$T/setup.out"; then
	it_ok "setup: with wan-kernel it would bind, saying ssh comes back through wan0"
else
	it_notok "setup: with wan-kernel it would bind (exit $rc)" "$T/setup.out"
fi
setup_bind "$T/a.conf"; rc=$?
if [ $rc = 0 ] && grep -q "wan-address is $WAN_A/24: ssh to 198.18.7.10 will not come back" "$T/setup.out"; then
	it_ok "setup: warns when wan-address is not the interface's address"
else
	it_notok "setup: warns when wan-address is not the interface's address (exit $rc)" "$T/setup.out"
fi
[ -f "$T/devbind.calls" ]; it_expect "setup: dpdk-devbind.py was never called" $? -ne 0
it_done
