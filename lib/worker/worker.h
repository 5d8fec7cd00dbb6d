/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker: the poll loop of one lcore. It pulls bursts from the WAN and
 * inside ports, classifies, runs ESP inbound/outbound with one AEAD batch
 * per burst, answers ARP/ND/ICMP echo in place, and transmits. It holds no
 * protocol logic of its own: that lives in esp, neigh, route and icmp.
 *
 * Everything the worker touches per packet is either read-only after
 * start (routes, SA table, peer list) or owned by this lcore (SA sequence
 * numbers, replay windows, the neighbour table, its stats block).
 */
#ifndef PMDVPN_WORKER_H
#define PMDVPN_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "aead.h"
#include "neigh.h"
#include "route.h"
#include "sa.h"
#include "stats.h"

#define WORKER_MAX 16              /* worker lcores per gateway */
#define WORKER_HANDOFF_RING 4096   /* entries of each worker's hand-off ring */
#define WORKER_BURST_MAX 64
#define WORKER_BURST_DEFAULT 32

/* Port slots in the stats block. */
enum worker_port { WORKER_PORT_WAN = 0, WORKER_PORT_INSIDE = 1, WORKER_PORT_WAN_KERNEL = 2 };

/* While the WAN or inside port moved packets, the wan-kernel port is
 * polled once every this many polls (each poll of a TAP is a system call;
 * the kernel's SSH does not need more); on idle polls, every time. */
#define WORKER_KERNEL_POLL_BUSY 8

struct vtap_queue;

struct worker_peer {
	struct sa_out *sa_out;   /* outbound SA (owned by this worker) */
};

/*
 * What the workers look up per packet, published whole by the control
 * plane (worker_view.c): peer add/del/set, rekey and reload build a new
 * view (new SA and route tables, new peer array) and swap one pointer.
 * A worker loads the pointer at the start of each poll and copies the
 * fields into its own struct worker when the generation changed; it
 * reports an RCU quiescent state (rte_rcu_qsbr) after each poll, after
 * which it holds no pointer into an older view. gen is never reused, so
 * a recycled view slot is never mistaken for the one a worker cached.
 */
struct worker_view {
	uint64_t gen;
	const struct sa_table *sa_in;
	const struct route_table *routes;
	unsigned n_peers;                   /* highest peer index in use + 1 */
	uint16_t peer_owner[STATS_MAX_PEERS];
	struct sa_out *sa_out[STATS_MAX_PEERS]; /* NULL: free index */
};

struct worker {
	/* ports */
	uint16_t wan_port, wan_queue;
	uint16_t inside_port, inside_queue;
	/* The inside as a vtap queue (lib/vtap) instead of an ethdev: NULL =
	 * inside_port/inside_queue. */
	struct vtap_queue *inside_vtap;
	/*
	 * wan-kernel ("wan0", a TAP with the WAN port's MAC): the host
	 * kernel's view of the WAN NIC. When wan_kernel is set, non-VPN WAN
	 * frames (to us but not ESP/IKE/echo, not to us, not IPv4) and ARP
	 * other than requests for wan_ip go to its queue wan_kernel_queue,
	 * and what the kernel sends on it leaves through the WAN port
	 * unchanged. Unset: such frames are dropped as unhandled.
	 */
	bool wan_kernel;
	uint16_t wan_kernel_port, wan_kernel_queue;
	uint16_t wan_kernel_skip;           /* busy polls since it was last polled */
	struct rte_ether_addr wan_mac;      /* our MAC on the WAN */
	struct rte_ether_addr router_mac;   /* our MAC on the inside link */
	struct rte_ether_addr host_mac;     /* the host's MAC on the inside link */
	/* addresses, network order */
	uint32_t wan_ip;
	uint16_t udp_port;                  /* local ESP-in-UDP port, network order */
	/*
	 * IKEv2 (RFC 7296): datagrams to UDP ike_port (500) and those on
	 * udp_port with the non-ESP marker go whole (Ethernet frame) to the
	 * control plane through ike_ring (multi producer); NULL: no IKE, they
	 * are counted and dropped.
	 */
	uint16_t ike_port;                  /* network order; 0: none */
	struct rte_ring *ike_ring;
	/* a control-plane frame waiting for its next hop's ARP reply (one;
	 * a newer one replaces it), sent as soon as the neighbour is known */
	struct rte_mbuf *ctrl_wait;
	uint32_t ctrl_wait_hop;
	uint64_t ctrl_wait_until;           /* TSC; then it is dropped (no-neighbour) */
	/* tables */
	const struct sa_table *sa_in;
	const struct route_table *routes;
	struct neigh_table *neigh;          /* WAN neighbours */
	/* Inside neighbours when the inside is a LAN port (NULL for the TAP,
	 * whose only neighbour is the host: host_mac). Inner IPv4
	 * destinations are resolved on the LAN from inside_ip. */
	struct neigh_table *inside_neigh;
	uint32_t inside_ip;                 /* network order; 0 = none */
	struct worker_peer peers[STATS_MAX_PEERS];
	unsigned n_peers;
	struct aead_engine *aead;
	struct rte_mempool *mp;             /* for ARP requests and ICMP errors */
	/* knobs: written by the control plane at any time (atomic stores),
	 * read once per poll */
	uint16_t burst;
	bool idle_backoff;
	bool stage_cycles;                  /* split busy cycles by stage (stats.h) */
	/* this poll's stage accounting (worker_stage()) */
	bool profiling;
	uint8_t stage;
	uint64_t stage_t;
	uint64_t stage_acc[STATS_STAGE_MAX];
	/* Runtime changes (NULL view_src: the fields above are fixed, as in
	 * unit tests that fill them directly). */
	struct worker_view *const *view_src; /* the published view pointer */
	uint64_t view_gen;                  /* generation copied into this worker */
	struct rte_rcu_qsbr *qsbr;          /* quiescent state per poll; thread id = index */
	volatile bool stop;                 /* set by the control plane */
	/*
	 * Several workers: each owns a queue pair on every port and a set of
	 * peers (peer_owner[peer] == index); the SAs of a peer are touched by
	 * its owner only. A packet that arrives on another worker's queue is
	 * passed to the owner through the owner's hand-off ring (multi
	 * producer, single consumer), tagged with where it came from.
	 */
	uint16_t index, n_workers;
	const uint16_t *peer_owner;
	struct rte_ring *handoff;           /* this worker's ring */
	struct rte_ring *const *handoffs;   /* every worker's ring, by index */
	/* hand-offs of the current burst, per owner: one ring operation each */
	uint16_t ho_n[WORKER_MAX];
	struct rte_mbuf *ho_pend[WORKER_MAX][WORKER_BURST_MAX];
	/* per lcore */
	unsigned lcore_id;
	struct stats_lcore *stats;
	uint64_t next_housekeeping;         /* TSC of the next neighbour refresh */
};

/* The lcore entry point: runs until w->stop. arg is a struct worker. */
int worker_main(void *arg);

/* One poll of both ports (what worker_main loops on); returns packets
 * received. Exposed for tests that drive a worker without an lcore. */
unsigned worker_poll(struct worker *w);

/* Creates the QSBR variable of n workers (thread ids 0..n-1). NULL on
 * failure. Free with rte_free(). */
struct rte_rcu_qsbr *worker_qsbr_create(unsigned n_workers);
/* Worker side, at the start of a poll: adopt the published view if its
 * generation differs from the cached one. */
void worker_view_refresh(struct worker *w);
/* Control plane: publish v (store-release). */
void worker_view_publish(struct worker_view **slot, struct worker_view *v);
/* Control plane: waits until every online worker has passed a quiescent
 * state after this call began, i.e. none can still use what an earlier
 * view held. Sleeps between checks; gives up after timeout_ms and returns
 * -ETIMEDOUT (the caller must then not free anything), else 0. */
int worker_view_sync(struct rte_rcu_qsbr *qs, unsigned timeout_ms);

/* Internal stages, one file each. */
void worker_wan_input(struct worker *w, struct rte_mbuf **pkts, uint16_t n);
void worker_inside_input(struct worker *w, struct rte_mbuf **pkts, uint16_t n);
void worker_resolve_peers(struct worker *w, uint64_t now);
/* Transmits n packets, frees and counts what the queue did not take. */
void worker_tx(struct worker *w, enum worker_port slot, struct rte_mbuf **pkts, uint16_t n);
/* Per-stage cycle accounting: charges the time since the last switch to
 * the current stage and enters stage s. One TSC read, and nothing at all
 * unless `set stage-cycles on`. */
static inline void worker_stage(struct worker *w, enum stats_stage s)
{
	uint64_t t;

	if (likely(!w->profiling))
		return;
	t = rte_rdtsc();
	w->stage_acc[w->stage] += t - w->stage_t;
	w->stage = (uint8_t)s;
	w->stage_t = t;
}
/* Counts a drop (and per peer, if peer >= 0) and frees the mbuf. */
void worker_drop(struct worker *w, struct rte_mbuf *m, int cause, int peer);

/* Hand-off tags (in m->hash.usr while the mbuf is in a ring). */
enum worker_handoff_tag {
	WORKER_HANDOFF_WAN = 1,          /* a frame from the WAN port */
	WORKER_HANDOFF_INSIDE,           /* a frame from the inside port */
	WORKER_HANDOFF_WAN_LEARN,        /* a copy of a WAN ARP frame: learn only */
	WORKER_HANDOFF_INSIDE_LEARN,     /* a copy of an inside ARP frame: learn only */
	WORKER_HANDOFF_CTRL_TX,          /* from the control plane: send on the WAN */
};
/*
 * A frame the control plane (IKE) sends: an Ethernet frame whose MAC
 * addresses the worker fills in (source: its WAN MAC; destination: the
 * neighbour entry of the next hop stored here, network order), passed
 * through worker 0's hand-off ring with tag WORKER_HANDOFF_CTRL_TX.
 * Unresolved next hop: an ARP request goes out and the frame waits (one
 * frame, WORKER_CTRL_WAIT_MS) for the reply instead of costing the
 * exchange a retransmission; the frame it replaces, or one that waited too
 * long, is a no-neighbour drop.
 */
#define WORKER_CTRL_WAIT_MS 500
#define WORKER_CTRL_NEXT_HOP(m) ((m)->hash.fdir.hi)
/* Queues m for worker `owner`; worker_handoff_flush() (at the end of each
 * input stage) passes the burst's hand-offs in one ring operation per
 * owner (counted; dropped if its ring is full). */
void worker_handoff(struct worker *w, unsigned owner, struct rte_mbuf *m,
		    enum worker_handoff_tag tag);
void worker_handoff_flush(struct worker *w);
/* Gives every other worker a copy of an ARP frame so that all neighbour
 * tables learn from it, whichever queue it arrived on. */
void worker_share_arp(struct worker *w, const struct rte_mbuf *m, enum worker_handoff_tag tag);

/* ICMP errors and replies (icmp.c). m starts at the Ethernet header. */
/* Turns an ICMP echo request to us into the reply, in place. 0 or -1. */
int icmp_echo_reply(struct rte_mbuf *m);
/* Builds "fragmentation needed" (IPv4) / "packet too big" (IPv6) for the
 * inner packet `orig` (starting at its IP header), from its destination to
 * its source, in a new mbuf with an Ethernet header. NULL if none is due
 * (IPv4 without DF) or no mbuf. */
struct rte_mbuf *icmp_too_big(struct rte_mempool *mp, const struct rte_mbuf *orig, uint16_t mtu,
			      const struct rte_ether_addr *src_mac, const struct rte_ether_addr *dst_mac);

#endif
