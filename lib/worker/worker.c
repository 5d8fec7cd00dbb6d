/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The poll loop and its idle back-off.
 *
 * A poll-mode loop that spins when idle burns a whole core, which on a
 * 2-vCPU cloud VM is half the machine. After a run of empty polls the
 * worker pauses, then sleeps, doubling the sleep up to IDLE_SLEEP_MAX_US;
 * the first packet resets it. Time spent is accounted as busy (polls that
 * moved packets) or idle TSC cycles.
 */
#include <string.h>
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "vtap.h"
#include "worker.h"

#define IDLE_SPIN_POLLS 64         /* empty polls before pausing */
#define IDLE_PAUSE_POLLS 512       /* empty polls before sleeping */
#define IDLE_SLEEP_MIN_US 16
#define IDLE_SLEEP_MAX_US 1000
#define HOUSEKEEPING_MS 50         /* neighbour resolution for peers */

void worker_drop(struct worker *w, struct rte_mbuf *m, int cause, int peer)
{
	w->stats->drop[cause]++;
	if (peer >= 0)
		w->stats->peer[peer].drop[cause]++;
	rte_pktmbuf_free(m);
}

/* The ethdev port and queue of a stats slot. */
static inline void slot_port(const struct worker *w, enum worker_port slot, uint16_t *port,
			     uint16_t *queue)
{
	switch (slot) {
	case WORKER_PORT_WAN:
		*port = w->wan_port;
		*queue = w->wan_queue;
		break;
	case WORKER_PORT_INSIDE:
		*port = w->inside_port;
		*queue = w->inside_queue;
		break;
	case WORKER_PORT_WAN_KERNEL:
		*port = w->wan_kernel_port;
		*queue = w->wan_kernel_queue;
		break;
	}
}

void worker_tx(struct worker *w, enum worker_port slot, struct rte_mbuf **pkts, uint16_t n)
{
	struct stats_port *ps = &w->stats->port[slot];
	uint16_t port = 0, queue = 0, sent;
	uint64_t bytes = 0;

	if (n == 0)
		return;
	worker_stage(w, STATS_STAGE_TX);
	slot_port(w, slot, &port, &queue);
	if (slot == WORKER_PORT_INSIDE && w->inside_vtap != NULL) {
		/* vtap takes every mbuf; what it could not write is a loss */
		sent = vtap_tx_burst(w->inside_vtap, pkts, n, &bytes);
		w->stats->drop[STATS_DROP_TX_FULL] += n - sent;
		ps->tx_pkts += sent;
		ps->tx_bytes += bytes;
		worker_stage(w, STATS_STAGE_CLASSIFY);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	sent = rte_eth_tx_burst(port, queue, pkts, n);
	for (uint16_t i = sent; i < n; i++) {
		bytes -= pkts[i]->pkt_len;
		worker_drop(w, pkts[i], STATS_DROP_TX_FULL, -1);
	}
	ps->tx_pkts += sent;
	ps->tx_bytes += bytes;
	worker_stage(w, STATS_STAGE_CLASSIFY);
}

/* `set burst` may change it at any time: one relaxed load, clamped. */
static inline uint16_t burst_of(const struct worker *w)
{
	uint16_t b = __atomic_load_n(&w->burst, __ATOMIC_RELAXED);

	return likely(b >= 1 && b <= WORKER_BURST_MAX) ? b : WORKER_BURST_DEFAULT;
}

static uint16_t rx(struct worker *w, enum worker_port slot, struct rte_mbuf **pkts)
{
	struct stats_port *ps = &w->stats->port[slot];
	uint16_t port = 0, queue = 0, n;

	worker_stage(w, STATS_STAGE_RX);
	slot_port(w, slot, &port, &queue);
	if (slot == WORKER_PORT_INSIDE && w->inside_vtap != NULL)
		n = vtap_rx_burst(w->inside_vtap, pkts, burst_of(w));
	else
		n = rte_eth_rx_burst(port, queue, pkts, burst_of(w));

	ps->rx_pkts += n;
	for (uint16_t i = 0; i < n; i++)
		ps->rx_bytes += pkts[i]->pkt_len;
	worker_stage(w, STATS_STAGE_CLASSIFY);
	return n;
}

static void handoff_flush_one(struct worker *w, unsigned owner)
{
	struct rte_mbuf **pend = w->ho_pend[owner];
	unsigned n = w->ho_n[owner], sent;

	sent = rte_ring_mp_enqueue_burst(w->handoffs[owner], (void **)pend, n, NULL);
	w->stats->event[STATS_EV_HANDOFF] += sent;
	for (unsigned i = sent; i < n; i++)
		worker_drop(w, pend[i], STATS_DROP_HANDOFF_FULL, -1);
	w->ho_n[owner] = 0;
}

void worker_handoff(struct worker *w, unsigned owner, struct rte_mbuf *m,
		    enum worker_handoff_tag tag)
{
	m->hash.usr = tag;
	w->ho_pend[owner][w->ho_n[owner]++] = m;
	if (unlikely(w->ho_n[owner] == WORKER_BURST_MAX))
		handoff_flush_one(w, owner);
}

void worker_handoff_flush(struct worker *w)
{
	for (unsigned o = 0; o < w->n_workers; o++)
		if (w->ho_n[o] != 0)
			handoff_flush_one(w, o);
}

void worker_share_arp(struct worker *w, const struct rte_mbuf *m, enum worker_handoff_tag tag)
{
	for (unsigned i = 0; i < w->n_workers; i++) {
		struct rte_mbuf *c;

		if (i == w->index)
			continue;
		c = rte_pktmbuf_copy(m, w->mp, 0, UINT32_MAX);
		if (c == NULL) {
			w->stats->drop[STATS_DROP_NO_MBUF]++;
			continue;
		}
		c->hash.usr = tag;
		if (rte_ring_mp_enqueue(w->handoffs[i], c) != 0)
			worker_drop(w, c, STATS_DROP_HANDOFF_FULL, -1);
	}
}

/* A copy of an ARP frame another worker received: only learn from it (the
 * worker that received it answered it). */
static void learn_arp(struct neigh_table *t, struct rte_mbuf *m)
{
	struct neigh_arp a;

	if (t != NULL && neigh_arp_parse(m, &a) == 0)
		neigh_learn(t, a.sip, &a.sha);
	rte_pktmbuf_free(m);
}

static void ctrl_send(struct worker *w, struct rte_mbuf *m, const struct rte_ether_addr *mac,
		      struct rte_mbuf **to_wan, uint16_t *n_wan)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(mac, &eth->dst_addr);
	rte_ether_addr_copy(&w->wan_mac, &eth->src_addr);
	w->stats->event[STATS_EV_IKE_SENT]++;
	to_wan[(*n_wan)++] = m;
}

/* A control plane frame (WORKER_CTRL_NEXT_HOP): addressed here, where the
 * neighbour table lives. */
static void ctrl_tx(struct worker *w, struct rte_mbuf *m, struct rte_mbuf **to_wan,
		    uint16_t *n_wan)
{
	uint32_t next_hop = WORKER_CTRL_NEXT_HOP(m);
	struct rte_ether_hdr *eth;
	struct rte_ether_addr mac;

	WORKER_CTRL_NEXT_HOP(m) = 0;
	if (rte_pktmbuf_data_len(m) < sizeof(*eth)) {
		worker_drop(w, m, STATS_DROP_MALFORMED, -1);
		return;
	}
	if (neigh_lookup(w->neigh, next_hop, &mac) != 0) {
		struct rte_mbuf *req = NULL;

		if (neigh_want(w->neigh, next_hop, rte_rdtsc()))
			req = rte_pktmbuf_alloc(w->mp);
		if (req != NULL && neigh_arp_build_request(req, &w->wan_mac, w->wan_ip,
							   next_hop) == 0) {
			w->stats->event[STATS_EV_ARP_REQUESTED]++;
			to_wan[(*n_wan)++] = req;
		} else if (req != NULL) {
			rte_pktmbuf_free(req);
		}
		if (w->ctrl_wait != NULL)
			worker_drop(w, w->ctrl_wait, STATS_DROP_NO_NEIGH, -1);
		w->ctrl_wait = m;
		w->ctrl_wait_hop = next_hop;
		w->ctrl_wait_until = rte_rdtsc() + rte_get_tsc_hz() * WORKER_CTRL_WAIT_MS / 1000;
		return;
	}
	ctrl_send(w, m, &mac, to_wan, n_wan);
}

/* The waiting control-plane frame: out once its neighbour is known. */
static void ctrl_wait_retry(struct worker *w, struct rte_mbuf **to_wan, uint16_t *n_wan)
{
	struct rte_ether_addr mac;
	struct rte_mbuf *m = w->ctrl_wait;

	if (neigh_lookup(w->neigh, w->ctrl_wait_hop, &mac) == 0) {
		w->ctrl_wait = NULL;
		ctrl_send(w, m, &mac, to_wan, n_wan);
	} else if (rte_rdtsc() > w->ctrl_wait_until) {
		w->ctrl_wait = NULL;
		worker_drop(w, m, STATS_DROP_NO_NEIGH, -1);
	}
}

/* Packets other workers passed to this one, by where they came from. The
 * tag is cleared here so that a recycled mbuf never carries a stale one. */
static uint16_t handoff_input(struct worker *w)
{
	struct rte_mbuf *pkts[WORKER_BURST_MAX], *wan[WORKER_BURST_MAX], *in[WORKER_BURST_MAX];
	struct rte_mbuf *out[2 * WORKER_BURST_MAX];
	uint16_t n, n_wan = 0, n_in = 0, n_out = 0;

	n = (uint16_t)rte_ring_sc_dequeue_burst(w->handoff, (void **)pkts, burst_of(w),
						     NULL);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t tag = m->hash.usr;

		m->hash.usr = 0;
		switch (tag) {
		case WORKER_HANDOFF_WAN: wan[n_wan++] = m; break;
		case WORKER_HANDOFF_INSIDE: in[n_in++] = m; break;
		case WORKER_HANDOFF_WAN_LEARN: learn_arp(w->neigh, m); break;
		case WORKER_HANDOFF_INSIDE_LEARN: learn_arp(w->inside_neigh, m); break;
		case WORKER_HANDOFF_CTRL_TX: ctrl_tx(w, m, out, &n_out); break;
		default: worker_drop(w, m, STATS_DROP_MALFORMED, -1); break;
		}
	}
	if (n_wan)
		worker_wan_input(w, wan, n_wan);
	if (n_in)
		worker_inside_input(w, in, n_in);
	if (unlikely(w->ctrl_wait != NULL))
		ctrl_wait_retry(w, out, &n_out);
	if (n_out)
		worker_tx(w, WORKER_PORT_WAN, out, n_out);
	return n;
}

/* What the host kernel sends on wan-kernel: its own frames on the WAN
 * (SSH replies, its ARP requests), sent as they are. */
static uint16_t wan_kernel_input(struct worker *w)
{
	struct rte_mbuf *pkts[WORKER_BURST_MAX];
	uint16_t n;

	w->wan_kernel_skip = 0;
	n = rx(w, WORKER_PORT_WAN_KERNEL, pkts);
	if (n) {
		w->stats->event[STATS_EV_FROM_KERNEL] += n;
		worker_tx(w, WORKER_PORT_WAN, pkts, n);
	}
	return n;
}

/* The end of a poll: a busy poll's stage cycles go to the counters; an
 * empty poll's are idle time, counted there already. */
static void stage_flush(struct worker *w, bool busy)
{
	worker_stage(w, STATS_STAGE_RX);
	if (busy) {
		for (unsigned s = 0; s < STATS_STAGE_MAX; s++)
			w->stats->stage_cycles[s] += w->stage_acc[s];
		w->stats->stage_polls++;
	}
	memset(w->stage_acc, 0, sizeof(w->stage_acc));
}

unsigned worker_poll(struct worker *w)
{
	struct rte_mbuf *pkts[WORKER_BURST_MAX];
	uint16_t n_wan, n_in, n_ho = 0, n_k = 0;

	w->profiling = __atomic_load_n(&w->stage_cycles, __ATOMIC_RELAXED);
	if (unlikely(w->profiling)) {
		w->stage = STATS_STAGE_RX;
		w->stage_t = rte_rdtsc();
	}
	if (w->view_src != NULL)
		worker_view_refresh(w);
	n_wan = rx(w, WORKER_PORT_WAN, pkts);
	if (n_wan)
		worker_wan_input(w, pkts, n_wan);
	n_in = rx(w, WORKER_PORT_INSIDE, pkts);
	if (n_in)
		worker_inside_input(w, pkts, n_in);
	if (w->handoff != NULL)
		n_ho = handoff_input(w);
	/* The kernel's port costs a system call per poll: under VPN load it
	 * waits its turn, when idle it is polled every time. */
	if (w->wan_kernel && (n_wan + n_in == 0 ||
			      ++w->wan_kernel_skip >= WORKER_KERNEL_POLL_BUSY))
		n_k = wan_kernel_input(w);
	if (unlikely(w->profiling))
		stage_flush(w, n_wan + n_in + n_ho + n_k != 0);
	return n_wan + n_in + n_ho + n_k;
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t hz = rte_get_tsc_hz();
	uint64_t housekeeping = hz * HOUSEKEEPING_MS / 1000;
	unsigned empty = 0, sleep_us = IDLE_SLEEP_MIN_US;
	uint64_t t0 = rte_rdtsc(), t1;

	/* Short sleeps must stay short: the default 50 us timer slack would
	 * add latency to the first packet after an idle period. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	w->next_housekeeping = t0;
	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_register(w->qsbr, w->index);
		rte_rcu_qsbr_thread_online(w->qsbr, w->index);
	}
	while (!w->stop) {
		unsigned n = worker_poll(w);

		t1 = rte_rdtsc();
		w->stats->polls++;
		if (n) {
			w->stats->busy_polls++;
			w->stats->busy_cycles += t1 - t0;
			empty = 0;
			sleep_us = IDLE_SLEEP_MIN_US;
		} else {
			bool backoff = __atomic_load_n(&w->idle_backoff, __ATOMIC_RELAXED);

			empty++;
			if (backoff && empty > IDLE_PAUSE_POLLS) {
				rte_delay_us_sleep(sleep_us);
				if (sleep_us < IDLE_SLEEP_MAX_US)
					sleep_us *= 2;
			} else if (backoff && empty > IDLE_SPIN_POLLS) {
				rte_pause();
			}
			t1 = rte_rdtsc();
			w->stats->idle_cycles += t1 - t0;
		}
		if (unlikely(t1 >= w->next_housekeeping)) {
			worker_resolve_peers(w, t1);
			w->next_housekeeping = t1 + housekeeping;
		}
		/* Nothing from this poll's view is held past this point. */
		if (w->qsbr != NULL)
			rte_rcu_qsbr_quiescent(w->qsbr, w->index);
		t0 = t1;
	}
	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(w->qsbr, w->index);
		rte_rcu_qsbr_thread_unregister(w->qsbr, w->index);
	}
	return 0;
}
