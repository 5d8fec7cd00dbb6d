/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path: a vtap (lib/vtap) or a net_tap port whose kernel
 * side is the host's "vpn0"; and wan-kernel, the kernel's view of the WAN
 * NIC ("wan0"). The kernel side is configured with iproute2, the way wg-quick
 * does it, so what pmdvpn changes on the host is exactly what an operator
 * would type (and what `ip` shows).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/route.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/if_tun.h>

#include <rte_ethdev.h>

#include "port.h"

extern char **environ;

/* Runs `ip ARGS...`; returns its exit status (0 = success) or -errno. */
static int run_ip(char *const argv[], char *err, size_t errlen)
{
	pid_t pid;
	int status, rc;

	rc = posix_spawnp(&pid, "ip", NULL, NULL, argv, environ);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run ip (iproute2): %s", strerror(rc));
		return -rc;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -errno;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		size_t off = 0;
		off += snprintf(err + off, errlen - off, "command failed:");
		for (int i = 0; argv[i] != NULL && off < errlen; i++)
			off += snprintf(err + off, errlen - off, " %s", argv[i]);
		return -EIO;
	}
	return 0;
}

/* pmdvpn's side of the link needs a MAC of its own: the host's with the
 * local bit set and the last byte changed, so it is stable per interface
 * and never equal. */
static void router_mac_from(struct hostif *h)
{
	h->router_mac = h->host_mac;
	h->router_mac.addr_bytes[0] = (uint8_t)((h->router_mac.addr_bytes[0] | 0x02) & ~0x01);
	h->router_mac.addr_bytes[5] ^= 0x5a;
}

/* The vtap: the kernel's interface gets a random locally administered
 * MAC, as net_tap gives it. */
static int create_vtap(struct hostif *h, const struct conf_gateway *gw, struct rte_mempool *mp,
		       uint16_t nb_queues, char *err, size_t errlen)
{
	int rc;

	rte_eth_random_addr(h->host_mac.addr_bytes);
	rc = vtap_open(&h->vtap, gw->inside_name, &h->host_mac, nb_queues, mp, err, errlen);
	if (rc != 0)
		return rc;
	h->offload = true;
	h->port_id = RTE_MAX_ETHPORTS;
	router_mac_from(h);
	return 0;
}

int hostif_create(struct hostif *h, const struct conf_gateway *gw, struct rte_mempool *mp,
		  uint16_t nb_queues, char *err, size_t errlen)
{
	char devargs[CONF_DEVARGS_MAX + 64];
	int rc;

	memset(h, 0, sizeof(*h));
	snprintf(h->ifname, sizeof(h->ifname), "%s", gw->inside_name);
	if (gw->inside_offload) {
		if (create_vtap(h, gw, mp, nb_queues, err, errlen) == 0)
			return 0;
		fprintf(stderr, "pmdvpn: %s: no TAP with offloads (%s): using net_tap "
			"(one packet per system call)\n", gw->inside_name, err);
		memset(h, 0, sizeof(*h));
		snprintf(h->ifname, sizeof(h->ifname), "%s", gw->inside_name);
	}
	snprintf(devargs, sizeof(devargs), "net_tap_%s,iface=%s", gw->inside_name, gw->inside_name);
	rc = port_probe(devargs, &h->port_id, err, errlen);
	if (rc != 0)
		return rc;
	rc = port_start(h->port_id, nb_queues, mp, 0, err, errlen);
	if (rc != 0) {
		port_close(h->port_id);
		return rc;
	}
	/* net_tap gives the kernel interface the port's own MAC. */
	rte_eth_macaddr_get(h->port_id, &h->host_mac);
	router_mac_from(h);
	return 0;
}

int hostif_configure(const struct hostif *h, const struct conf *c, uint16_t mtu,
		     char *err, size_t errlen)
{
	char mtus[16], pfx[64];
	char *ifname = (char *)(uintptr_t)h->ifname;
	int rc;

	snprintf(mtus, sizeof(mtus), "%u", mtu);
	{
		char *argv[] = { "ip", "link", "set", "dev", ifname, "mtu", mtus, "up", NULL };
		rc = run_ip(argv, err, errlen);
		if (rc != 0)
			return rc;
	}
	for (unsigned i = 0; i < c->gw.n_inside_addr; i++) {
		conf_prefix_str(&c->gw.inside_addr[i], pfx, sizeof(pfx));
		char *argv[] = { "ip", c->gw.inside_addr[i].family == AF_INET6 ? "-6" : "-4",
				 "addr", "replace", pfx, "dev", ifname, NULL };
		rc = run_ip(argv, err, errlen);
		if (rc != 0)
			return rc;
	}
	for (unsigned p = 0; p < c->n_peers; p++) {
		for (unsigned i = 0; i < c->peers[p].n_subnets; i++) {
			const struct conf_prefix *s = &c->peers[p].subnets[i];
			conf_prefix_str(s, pfx, sizeof(pfx));
			char *argv[] = { "ip", s->family == AF_INET6 ? "-6" : "-4", "route",
					 "replace", pfx, "dev", ifname, NULL };
			rc = run_ip(argv, err, errlen);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

int hostif_route(const struct hostif *h, bool add, const struct conf_prefix *pfx,
		 char *err, size_t errlen)
{
	char buf[64];
	char *ifname = (char *)(uintptr_t)h->ifname;
	int rc;

	conf_prefix_str(pfx, buf, sizeof(buf));
	char *argv[] = { "ip", pfx->family == AF_INET6 ? "-6" : "-4", "route",
			 add ? "replace" : "del", buf, "dev", ifname, NULL };
	rc = run_ip(argv, err, errlen);
	/* removing: the route may be gone already (the operator, a link flap) */
	return add ? rc : 0;
}

void hostif_destroy(struct hostif *h)
{
	/* Removing the tap removes its addresses and routes with it. */
	if (h->offload)
		vtap_close(&h->vtap);
	else
		port_close(h->port_id);
	h->offload = false;
}

void hostif_report(FILE *f, const struct hostif *h)
{
	static const struct { unsigned flag; const char *name; } offl[] = {
		{ TUN_F_CSUM, "csum" }, { TUN_F_TSO4, "tso4" }, { TUN_F_TSO6, "tso6" },
		{ TUN_F_USO4, "uso4" }, { TUN_F_USO6, "uso6" },
	};
	struct vtap_stats s;
	const char *sep = " ";

	if (!h->offload)
		return;
	vtap_stats_get(&h->vtap, &s);
	fprintf(f, "vtap %s rx-frames %" PRIu64 " rx-gso %" PRIu64 " rx-segs %" PRIu64
		" rx-csum %" PRIu64 " rx-bad %" PRIu64 " rx-nombuf %" PRIu64 " rx-toobig %" PRIu64
		" rx-errors %" PRIu64 " tx-pkts %" PRIu64 " tx-frames %" PRIu64 " tx-gso %" PRIu64
		" tx-merged %" PRIu64 " tx-errors %" PRIu64 " offloads", h->ifname, s.rx_frames,
		s.rx_gso, s.rx_segs, s.rx_csum, s.rx_bad, s.rx_nombuf, s.rx_toobig, s.rx_errors,
		s.tx_pkts, s.tx_frames, s.tx_gso, s.tx_merged, s.tx_errors);
	for (unsigned i = 0; i < RTE_DIM(offl); i++) {
		if (h->vtap.offloads & offl[i].flag) {
			fprintf(f, "%s%s", sep, offl[i].name);
			sep = ",";
		}
	}
	fputc('\n', f);
}

/* ------------------------------------------------------------ wan-kernel */

int hostif_wan_create(struct hostif_wan *k, const struct conf_gateway *gw,
		      const struct rte_ether_addr *wan_mac, struct rte_mempool *mp,
		      uint16_t nb_queues, char *err, size_t errlen)
{
	char devargs[64 + 2 * CONF_IFNAME_MAX + RTE_ETHER_ADDR_FMT_SIZE];
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_ether_addr got;
	uint16_t port;
	int rc;

	memset(k, 0, sizeof(*k));
	k->port_id = RTE_MAX_ETHPORTS;
	if (gw->wan_kernel[0] == '\0') {
		snprintf(err, errlen, "no wan-kernel interface configured");
		return -EINVAL;
	}
	snprintf(k->ifname, sizeof(k->ifname), "%s", gw->wan_kernel);
	/* net_tap gives the kernel interface the port's MAC (mac=...). */
	rte_ether_format_addr(mac, sizeof(mac), wan_mac);
	snprintf(devargs, sizeof(devargs), "net_tap_%s,iface=%s,mac=%s", k->ifname, k->ifname, mac);
	rc = port_probe(devargs, &port, err, errlen);
	if (rc != 0)
		return rc;
	rc = port_start(port, nb_queues, mp, 0, err, errlen);
	if (rc == 0 && (rte_eth_macaddr_get(port, &got) != 0 || !rte_is_same_ether_addr(&got, wan_mac))) {
		snprintf(err, errlen, "wan-kernel %s: did not get the WAN port's MAC %s", k->ifname, mac);
		rc = -EIO;
	}
	if (rc != 0) {
		port_close(port);
		return rc;
	}
	k->port_id = port;
	return 0;
}

/* Whether this network namespace has an IPv4 default route in its main
 * table (/proc/net/route is per namespace: destination and mask 0, up).
 * When it cannot tell, it says yes: routing is then left alone. */
static bool has_default_route(void)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], ifc[64];
	unsigned long dst, gw, mask;
	unsigned flags;
	bool found = false;

	if (f == NULL)
		return true;
	if (fgets(line, sizeof(line), f) == NULL) { /* the header line */
		fclose(f);
		return true;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = sscanf(line, "%63s %lx %lx %x %*d %*d %*d %lx", ifc, &dst, &gw, &flags,
			       &mask) == 5 && dst == 0 && mask == 0 && (flags & RTF_UP);
	fclose(f);
	return found;
}

int hostif_wan_configure(struct hostif_wan *k, const struct conf_gateway *gw,
			 const struct rte_mempool *mp, char *err, size_t errlen)
{
	char mtus[16], addr[INET_ADDRSTRLEN + 4], via[INET_ADDRSTRLEN], msg[256];
	char *ifname = k->ifname;
	/* what one mbuf of the port's RX holds: net_tap reads a frame into
	 * one mbuf unless scatter is on */
	unsigned room = rte_pktmbuf_data_room_size((struct rte_mempool *)(uintptr_t)mp) -
			RTE_PKTMBUF_HEADROOM - RTE_ETHER_HDR_LEN;
	int rc;

	k->mtu = (uint16_t)(gw->wan_mtu < room ? gw->wan_mtu : room);
	snprintf(mtus, sizeof(mtus), "%u", k->mtu);
	{
		char *argv[] = { "ip", "link", "set", "dev", ifname, "mtu", mtus, "up", NULL };
		rc = run_ip(argv, err, errlen);
		if (rc != 0)
			return rc;
	}
	inet_ntop(AF_INET, &gw->wan_ip, addr, INET_ADDRSTRLEN);
	snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr), "/%u", gw->wan_prefixlen);
	{
		char *argv[] = { "ip", "-4", "addr", "replace", addr, "dev", ifname, NULL };
		rc = run_ip(argv, err, errlen);
		if (rc != 0)
			return rc;
	}
	/* The VM's own default route went with the NIC pmdvpn took over: the
	 * kernel's replies to an operator off the subnet need one. */
	if (gw->wan_gateway == 0 || has_default_route())
		return 0;
	inet_ntop(AF_INET, &gw->wan_gateway, via, sizeof(via));
	{
		char *argv[] = { "ip", "-4", "route", "add", "default", "via", via, "dev", ifname,
				 NULL };
		if (run_ip(argv, msg, sizeof(msg)) == 0)
			k->default_route = true;
		else
			fprintf(stderr, "pmdvpn: %s: no default route through it (%s)\n", ifname,
				msg);
	}
	return 0;
}

void hostif_wan_destroy(struct hostif_wan *k)
{
	/* Its address and routes go with the interface. */
	if (k->port_id != RTE_MAX_ETHPORTS)
		port_close(k->port_id);
	k->port_id = RTE_MAX_ETHPORTS;
	k->default_route = false;
}
