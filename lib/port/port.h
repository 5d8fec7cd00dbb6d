/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port: ethdev set-up from devargs (the WAN port, a LAN port) and the
 * host interface of the exception path (hostif: a net_tap port whose
 * kernel side pmdvpn configures: MTU, addresses, routes, link up).
 *
 * Control plane only. Every error is returned as a message in err.
 */
#ifndef PMDVPN_PORT_H
#define PMDVPN_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "conf.h"
#include "vtap.h"

#define PORT_RX_DESC 1024
#define PORT_TX_DESC 1024

/*
 * One packet mempool sized to what the EAL has free (with --no-huge -m 512
 * as with hugepages): at most want mbufs, at least a working minimum.
 * NULL with a message in err if even the minimum does not fit.
 */
struct rte_mempool *port_mempool_create(const char *name, unsigned want, int socket_id,
					char *err, size_t errlen);

/*
 * Creates (vdev) or probes (PCI) the device named by devargs, and returns
 * its port id. The device name is the devargs up to the first comma.
 */
int port_probe(const char *devargs, uint16_t *port_id, char *err, size_t errlen);

/* Configures nb_queues RX/TX queue pairs, sets the MTU if mtu != 0, and
 * starts the port. */
int port_start(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *mp, uint16_t mtu,
	       char *err, size_t errlen);

/* Stops, closes and removes the device (a vdev disappears, with its
 * kernel interface and the routes through it). */
void port_close(uint16_t port_id);

/* The exception path to the host kernel: a vtap (inside-offload = yes,
 * the default) or DPDK's net_tap PMD (inside-offload = no, or when the
 * TAP cannot be opened with offloads). */
struct hostif {
	bool offload;                     /* vtap in use; port_id is then invalid */
	struct vtap vtap;
	uint16_t port_id;                 /* the net_tap port, or RTE_MAX_ETHPORTS */
	char ifname[CONF_IFNAME_MAX];
	struct rte_ether_addr host_mac;   /* the kernel interface's MAC */
	struct rte_ether_addr router_mac; /* the MAC pmdvpn answers ARP/ND with */
};

/* Creates the host interface "vpn0" (cfg->inside_name): a vtap with one
 * queue if cfg->inside_offload, falling back to net_tap (with a line on
 * stderr) if the kernel refuses the offloads; else the net_tap port,
 * started. */
int hostif_create(struct hostif *h, const struct conf_gateway *gw, struct rte_mempool *mp,
		  uint16_t nb_queues, char *err, size_t errlen);
/*
 * Kernel side: MTU, addresses, link up, and one route per peer subnet
 * through the interface (as wg-quick does for AllowedIPs). Uses iproute2.
 */
int hostif_configure(const struct hostif *h, const struct conf *c, uint16_t mtu,
		     char *err, size_t errlen);
/* One host route through the interface: add (ip route replace) or remove
 * (ip route del; a route already gone is not an error). For runtime peer
 * changes. Returns 0 or a negative errno with err. */
int hostif_route(const struct hostif *h, bool add, const struct conf_prefix *pfx,
		 char *err, size_t errlen);
void hostif_destroy(struct hostif *h);
/* The vtap's counters on one line ("vtap NAME rx-frames N ..."); nothing
 * for net_tap. */
void hostif_report(FILE *f, const struct hostif *h);

#endif
