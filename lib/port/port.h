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

/*
 * wan-kernel: the host kernel's view of the WAN NIC ("wan0"), a second
 * exception port. It is a net_tap port named gw->wan_kernel with the WAN
 * port's MAC (frames the kernel writes are valid on the wire, frames to
 * that MAC are the kernel's too) and one queue pair per worker. The
 * workers pass it the non-VPN WAN traffic and send what the kernel writes
 * out of the WAN port, so that SSH still reaches a VM whose only NIC
 * pmdvpn took over.
 */
struct hostif_wan {
	uint16_t port_id;
	char ifname[CONF_IFNAME_MAX];
	uint16_t mtu;                     /* what the kernel side got */
	bool default_route;               /* we added the default route */
};

/* Creates and starts the TAP (gw->wan_kernel must be set). */
int hostif_wan_create(struct hostif_wan *k, const struct conf_gateway *gw,
		      const struct rte_ether_addr *wan_mac, struct rte_mempool *mp,
		      uint16_t nb_queues, char *err, size_t errlen);
/*
 * Kernel side, with iproute2: MTU (wan-mtu, at most what one mbuf of mp
 * holds), wan-address/prefix, link up; with wan-gateway set and no IPv4
 * default route in this network namespace, a default route via
 * wan-gateway through it (a failure there is a warning on stderr only:
 * the VPN does not depend on it).
 */
int hostif_wan_configure(struct hostif_wan *k, const struct conf_gateway *gw,
			 const struct rte_mempool *mp, char *err, size_t errlen);
/* Removes the TAP, and with it its address and routes. */
void hostif_wan_destroy(struct hostif_wan *k);

#endif
