/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path: a vtap (lib/vtap) or a net_tap port whose kernel
 * side is the host's "vpn0". The kernel side is configured with iproute2, the way wg-quick
 * does it, so what pmdvpn changes on the host is exactly what an operator
 * would type (and what `ip` shows).
 */
#include <errno.h>
#include <inttypes.h>
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
