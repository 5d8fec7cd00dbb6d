/* SPDX-License-Identifier: BSD-3-Clause */
/* The running gateway: what the config becomes once the EAL is up. */
#ifndef PMDVPN_GATEWAY_H
#define PMDVPN_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "neigh.h"
#include "port.h"
#include "route.h"
#include "sa.h"
#include "worker.h"

struct gateway {
	/* The running config: peer i is at index i (stats, SAs, routes); an
	 * empty name marks a free index. Owned here (a copy of what
	 * gateway_start() got), changed only by runtime.c under the console
	 * lock. */
	const struct conf *conf;
	struct conf *live;
	struct sa_seqstate *seqstate;
	struct rte_mempool *mp;
	uint16_t wan_port;
	bool wan_open, hostif_open;
	struct hostif hostif;               /* inside = tap */
	uint16_t inside_port;               /* the TAP's or the LAN port's id */
	bool inside_lan_open;               /* inside = devargs of a LAN port */
	/* wan-kernel: the kernel's view of the WAN NIC (non-VPN WAN traffic) */
	struct hostif_wan wan_kernel;
	bool wan_kernel_open;
	struct neigh_table *inside_neigh;   /* LAN port only (worker 0's) */
	struct sa_table *sa_in;
	struct route_table *routes;
	struct neigh_table *neigh;          /* worker 0's WAN neighbours */
	struct sa_out *sa_out[CONF_MAX_PEERS];
	struct sa_in *sa_inb[CONF_MAX_PEERS];
	uint16_t tunnel_mtu;
	/* One worker per worker lcore; each has a queue pair on every port,
	 * its own neighbour tables and a hand-off ring, and owns the peers
	 * with peer_owner[peer] == its index. */
	unsigned n_workers;
	unsigned running;                   /* workers launched */
	uint16_t peer_owner[CONF_MAX_PEERS];
	struct rte_ring *handoff[WORKER_MAX];
	struct neigh_table *wan_neigh[WORKER_MAX];
	struct neigh_table *lan_neigh[WORKER_MAX];
	struct worker workers[WORKER_MAX];
	/* Runtime changes (runtime.c): the published view, two slots used
	 * in turn, the workers' RCU variable, and per peer index the inbound
	 * SA a rekey replaced, kept until old_in_expire (TSC). */
	struct worker_view *view;
	struct worker_view views[2];
	uint64_t view_gen;
	struct rte_rcu_qsbr *qsbr;
	struct sa_in *old_in[CONF_MAX_PEERS];
	uint64_t old_in_expire[CONF_MAX_PEERS];
	unsigned rekey_linger_s;            /* default life of a replaced inbound SA */
	/* IKEv2 (ike_gw.c): the ring the workers feed, the control thread's
	 * state, and per peer index the new outbound SA of a rekey we
	 * answered, held back until the initiator deletes the old SA. */
	struct rte_ring *ike_ring;
	struct ike_gw *ike;
	struct sa_out *ike_pending_out[CONF_MAX_PEERS];
};

/* The WAN neighbour a packet to dst goes to (both in network order): dst
 * itself on the WAN subnet or with no wan-gateway set, else wan-gateway. */
uint32_t gateway_next_hop(const struct conf_gateway *gw, uint32_t dst);

/* The SAs of peer p at index idx (outbound with its sequence numbers
 * reserved in the state file, as at start). NULL pointers for what is not
 * wanted. On error nothing is left allocated. */
int gateway_peer_sas(struct gateway *g, const struct conf_peer *p, unsigned idx,
		     struct sa_out **o, struct sa_in **in, char *err, size_t errlen);

/* Builds tables and SAs, opens the ports, configures the host interface
 * and launches the worker. On error, err says why and gateway_stop()
 * undoes whatever was done. */
int gateway_start(struct gateway *g, const struct conf *c, struct sa_seqstate *seq,
		  char *err, size_t errlen);
/* Control-plane housekeeping (sequence number reservations); call often. */
void gateway_maintain(struct gateway *g);
/* Stops the worker (counters are final; ports still open). */
void gateway_halt(struct gateway *g);
/* Stops the worker, removes the host interface (and its routes), closes
 * the ports and wipes every key. */
void gateway_stop(struct gateway *g);

#endif
