/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path: a net_tap port whose kernel side is the host's
 * "vpn0". The kernel side is configured with iproute2, the way wg-quick
 * does it, so what pmdvpn changes on the host is exactly what an operator
 * would type (and what `ip` shows).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

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

int hostif_create(struct hostif *h, const struct conf_gateway *gw, struct rte_mempool *mp,
		  char *err, size_t errlen)
{
	char devargs[CONF_DEVARGS_MAX + 64];
	int rc;

	memset(h, 0, sizeof(*h));
	snprintf(h->ifname, sizeof(h->ifname), "%s", gw->inside_name);
	snprintf(devargs, sizeof(devargs), "net_tap_%s,iface=%s", gw->inside_name, gw->inside_name);
	rc = port_probe(devargs, &h->port_id, err, errlen);
	if (rc != 0)
		return rc;
	rc = port_start(h->port_id, 1, mp, 0, err, errlen);
	if (rc != 0) {
		port_close(h->port_id);
		return rc;
	}
	/* net_tap gives the kernel interface the port's own MAC. pmdvpn's side
	 * of the link needs another one: the same with the local bit set and
	 * the last byte changed, so it is stable per interface and never equal. */
	rte_eth_macaddr_get(h->port_id, &h->host_mac);
	h->router_mac = h->host_mac;
	h->router_mac.addr_bytes[0] = (uint8_t)((h->router_mac.addr_bytes[0] | 0x02) & ~0x01);
	h->router_mac.addr_bytes[5] ^= 0x5a;
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

void hostif_destroy(struct hostif *h)
{
	/* Removing the tap removes its addresses and routes with it. */
	port_close(h->port_id);
}
