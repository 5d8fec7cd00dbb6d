/* SPDX-License-Identifier: BSD-3-Clause */
/* The poll loops of pmdvpn-perf. Everything runs on one lcore: generate on
 * the tx port, count on the rx port, reflect on the reflect port, and once
 * a second print a progress line (the only syscall, off the packet path). */
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "run.h"

#define RX_BURST 64u

int perf_ctx_init(struct perf_ctx *c, const struct perf_opts *o, volatile sig_atomic_t *stop,
		  uint64_t hz)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->stop = stop;
	c->hz = hz;
	c->tx_port = c->rx_port = c->reflect_port = PERF_NO_PORT;
	c->tx_pc = c->rx_pc = c->refl_pc = -1;
	c->n_sizes = perf_size_seq(o, c->sizes, PERF_IMIX_LEN);
	c->flowtab = calloc(o->flows, sizeof(*c->flowtab));
	c->seq = calloc(o->flows, sizeof(*c->seq));
	c->flow_tx = calloc(o->flows, sizeof(*c->flow_tx));
	if (c->flowtab == NULL || c->seq == NULL || c->flow_tx == NULL || c->n_sizes == 0 ||
	    perf_rx_init(&c->rx, o->flows, hz) != 0) {
		perf_ctx_free(c);
		return -1;
	}
	for (uint32_t f = 0; f < o->flows; f++)
		perf_flow_init(o, f, &c->flowtab[f]);
	c->nq = o->queues ? o->queues : 1;
	for (unsigned q = 0; q < c->nq; q++)
		c->qflow[q] = q < o->flows ? q : 0;
	if (o->replay) {
		c->cap_want = o->replay;
		c->cap = calloc(o->replay, sizeof(*c->cap));
		if (c->cap == NULL) {
			perf_ctx_free(c);
			return -1;
		}
	}
	return 0;
}

void perf_ctx_free(struct perf_ctx *c)
{
	if (c->n_pending) {
		rte_pktmbuf_free_bulk(c->pending, c->n_pending);
		c->n_pending = 0;
	}
	if (c->cap != NULL) {
		if (c->n_cap)
			rte_pktmbuf_free_bulk(c->cap, c->n_cap);
		free(c->cap);
		c->cap = NULL;
		c->n_cap = 0;
	}
	free(c->flowtab);
	free(c->seq);
	free(c->flow_tx);
	c->flowtab = NULL;
	c->seq = NULL;
	c->flow_tx = NULL;
	perf_rx_free(&c->rx);
}

/* Hands built packets to the PMD; what it does not take stays pending and
 * goes first next time, so sequence numbers are sent in order, never lost
 * inside the generator. */
static void flush_pending(struct perf_ctx *c)
{
	struct perf_port_count *pc = &c->pc[c->tx_pc];
	uint16_t nb;

	nb = rte_eth_tx_burst(c->tx_port, c->pend_q, c->pending, (uint16_t)c->n_pending);
	for (uint16_t i = 0; i < nb; i++) {
		pc->tx_bytes += c->pending[i]->pkt_len;
		c->tx_bytes += c->pending[i]->pkt_len;
	}
	pc->tx += nb;
	c->tx += nb;
	if (nb < c->n_pending) {
		pc->tx_full++;
		memmove(c->pending, c->pending + nb, (c->n_pending - nb) * sizeof(c->pending[0]));
	}
	c->n_pending -= nb;
}

static void gen_tx(struct perf_ctx *c, struct perf_rate *rate, uint64_t now)
{
	unsigned n;

	if (c->n_pending) {
		flush_pending(c);
		if (c->n_pending)
			return;
	}
	/* Flow f goes on queue f % nq (the next queue after each burst), so
	 * that a gateway worker polling queue q sees flows q, q + nq, ... */
	c->pend_q = c->tx_q;
	if (++c->tx_q == c->nq)
		c->tx_q = 0;
	n = perf_rate_take(rate, now, c->o->burst);
	if (n == 0)
		return;
	if (unlikely(rte_pktmbuf_alloc_bulk(c->mp, c->pending, n) != 0)) {
		rate->credited -= n; /* try again: the pool refills as the PMDs free */
		c->alloc_fail++;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = c->pending[i];
		uint32_t f = c->qflow[c->pend_q];
		uint16_t len = c->sizes[c->size_i];

		if (++c->size_i == c->n_sizes)
			c->size_i = 0;
		c->qflow[c->pend_q] += c->nq;
		if (c->qflow[c->pend_q] >= c->o->flows)
			c->qflow[c->pend_q] = c->pend_q < c->o->flows ? c->pend_q : 0;
		perf_build(rte_pktmbuf_mtod(m, uint8_t *), len, &c->flowtab[f], f, c->seq[f]++, now);
		c->flow_tx[f]++;
		m->data_len = len;
		m->pkt_len = len;
	}
	c->n_pending = n;
	flush_pending(c);
}

/* --replay: the captured frames, in order, over and over. A frame goes out
 * with one more reference, so the PMD's free after copying (memif) leaves
 * it for the next round; what the PMD does not take is handed back. */
static void replay_tx(struct perf_ctx *c, struct perf_rate *rate, uint64_t now)
{
	struct rte_mbuf *out[PERF_MAX_BURST];
	struct perf_port_count *pc = &c->pc[c->refl_pc];
	unsigned n = perf_rate_take(rate, now, c->o->burst);
	uint16_t nb;

	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		out[i] = c->cap[c->cap_i];
		if (++c->cap_i == c->n_cap)
			c->cap_i = 0;
		rte_mbuf_refcnt_update(out[i], 1);
	}
	nb = rte_eth_tx_burst(c->reflect_port, 0, out, (uint16_t)n);
	for (uint16_t i = 0; i < nb; i++) {
		pc->tx_bytes += out[i]->pkt_len;
		c->tx_bytes += out[i]->pkt_len;
	}
	pc->tx += nb;
	c->tx += nb;
	if (nb < n) {
		/* Not sent: not counted, and next time from the first of them. */
		pc->tx_full++;
		for (unsigned i = nb; i < n; i++)
			rte_mbuf_refcnt_update(out[i], -1);
		rate->credited -= n - nb;
		c->cap_i = (uint32_t)((c->cap_i + c->n_cap - (n - nb) % c->n_cap) % c->n_cap);
	}
}

/* At the end of a phase: what never left the generator is not sent. */
static void drop_pending(struct perf_ctx *c)
{
	for (unsigned i = 0; i < c->n_pending; i++) {
		struct perf_stamp st;
		struct rte_mbuf *m = c->pending[i];

		if (perf_parse_stamp(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, &st) == 0 &&
		    st.flow < c->o->flows)
			c->flow_tx[st.flow]--;
	}
	if (c->n_pending)
		rte_pktmbuf_free_bulk(c->pending, c->n_pending);
	c->n_pending = 0;
}

/* Replayed frames carry old stamps and repeat their sequence numbers: only
 * count them (ours or not), no latency, no order. */
static void rx_count_replayed(struct perf_ctx *c, const uint8_t *frame, uint32_t len)
{
	struct perf_stamp st;

	if (perf_parse_stamp(frame, len, &st) != 0) {
		c->rx.foreign++;
		return;
	}
	c->rx.rx++;
	c->rx.rx_bytes += len;
}

static unsigned rx_poll_q(struct perf_ctx *c, uint16_t q)
{
	struct rte_mbuf *pkts[RX_BURST];
	struct perf_port_count *pc = &c->pc[c->rx_pc];
	uint16_t nb = rte_eth_rx_burst(c->rx_port, q, pkts, RX_BURST);
	uint64_t now;

	if (nb == 0)
		return 0;
	now = rte_rdtsc();
	for (uint16_t i = 0; i < nb; i++) {
		const uint8_t *frame = rte_pktmbuf_mtod(pkts[i], const uint8_t *);

		if (i + 1 < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (c->replaying)
			rx_count_replayed(c, frame, pkts[i]->data_len);
		else
			perf_rx_frame(&c->rx, frame, pkts[i]->data_len, now);
		pc->rx_bytes += pkts[i]->pkt_len;
	}
	pc->rx += nb;
	rte_pktmbuf_free_bulk(pkts, nb);
	return nb;
}

static unsigned rx_poll(struct perf_ctx *c)
{
	unsigned n = 0;

	for (uint16_t q = 0; q < c->nq; q++)
		n += rx_poll_q(c, q);
	return n;
}

/* While capturing, swapped frames are kept (up to cap_want), not sent;
 * while replaying, what arrives is dropped (the replay is the traffic). */
static uint16_t keep_captured(struct perf_ctx *c, struct rte_mbuf **out, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		if (c->capturing && c->n_cap < c->cap_want)
			c->cap[c->n_cap++] = out[i];
		else
			rte_pktmbuf_free(out[i]);
	}
	return 0;
}

static unsigned reflect_poll_q(struct perf_ctx *c, uint16_t q)
{
	struct rte_mbuf *pkts[RX_BURST], *out[RX_BURST];
	struct perf_port_count *pc = &c->pc[c->refl_pc];
	uint16_t nb = rte_eth_rx_burst(c->reflect_port, q, pkts, RX_BURST), n = 0, sent;
	uint64_t bytes = 0;

	if (nb == 0)
		return 0;
	pc->rx += nb;
	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];

		pc->rx_bytes += m->pkt_len;
		if (unlikely(perf_reflect_swap(rte_pktmbuf_mtod(m, uint8_t *), m->data_len) != 0)) {
			c->reflect_other++;
			rte_pktmbuf_free(m);
			continue;
		}
		out[n++] = m;
	}
	if (unlikely(c->capturing || c->replaying))
		n = keep_captured(c, out, n);
	/* Back on the queue it came from: the same gateway worker's queue. */
	sent = n ? rte_eth_tx_burst(c->reflect_port, q, out, n) : 0;
	for (uint16_t i = 0; i < sent; i++)
		bytes += out[i]->pkt_len;
	pc->tx += sent;
	pc->tx_bytes += bytes;
	c->reflected += sent;
	c->reflect_bytes += bytes;
	if (unlikely(sent < n)) {
		pc->tx_full++;
		c->reflect_dropped += n - sent;
		rte_pktmbuf_free_bulk(out + sent, n - sent);
	}
	return nb;
}

static unsigned reflect_poll(struct perf_ctx *c)
{
	unsigned n = 0;

	for (uint16_t q = 0; q < c->nq; q++)
		n += reflect_poll_q(c, q);
	return n;
}

/* One phase: send at pps for duration seconds (0 = until a signal), then
 * drain. Fills t (and counters in c). */
static void gen_phase(struct perf_ctx *c, uint64_t pps, double duration, bool progress,
		      struct perf_trial *t)
{
	const struct perf_opts *o = c->o;
	struct perf_rate rate;
	uint64_t now = rte_rdtsc(), start = now, tx_end = 0, drain_end = 0;
	uint64_t end = duration > 0 ? start + (uint64_t)(duration * (double)c->hz) : UINT64_MAX;
	uint64_t next_print = start + c->hz, last_print = start, last_tx = 0, last_rx = 0;
	/* Make up for at most 50 ms (or 4 bursts) of a stall: on a shared
	 * machine the scheduler takes a poller away for a few ms at times. */
	uint64_t backlog = pps / 20 > 4 * o->burst ? pps / 20 : 4 * o->burst;
	bool sending = true;

	perf_rx_reset(&c->rx);
	memset(c->flow_tx, 0, o->flows * sizeof(*c->flow_tx));
	c->tx = c->tx_bytes = 0;
	perf_rate_init(&rate, c->hz, pps, start, backlog);
	for (;;) {
		now = rte_rdtsc();
		if (sending) {
			if (unlikely(*c->stop || now >= end ||
				     (c->capturing && c->n_cap >= c->cap_want))) {
				sending = false;
				tx_end = now;
				drain_end = now + (uint64_t)(o->drain_ms * (double)c->hz / 1000.0);
			} else if (c->replaying) {
				replay_tx(c, &rate, now);
			} else {
				gen_tx(c, &rate, now);
			}
		} else {
			if (c->n_pending)
				flush_pending(c);
			/* Everything back: no need to wait out the drain. */
			if (now >= drain_end || (c->n_pending == 0 && c->rx.rx + c->rx.bad_flow >= c->tx))
				break;
		}
		rx_poll(c);
		if (c->reflect_port != PERF_NO_PORT)
			reflect_poll(c);
		if (unlikely(progress && now >= next_print)) {
			char line[160];
			double dt = (double)(now - last_print) / (double)c->hz;

			perf_fmt_progress(line, sizeof(line), (double)(now - start) / (double)c->hz,
					  (double)(c->tx - last_tx) / dt, (double)(c->rx.rx - last_rx) / dt,
					  c->tx - last_tx, c->rx.rx - last_rx, &c->rx.interval);
			fprintf(perf_log(o), "%s\n", line);
			fflush(perf_log(o));
			perf_hist_reset(&c->rx.interval);
			last_tx = c->tx;
			last_rx = c->rx.rx;
			last_print = now;
			next_print += c->hz;
		}
	}
	drop_pending(c);
	t->rate_pps = (double)pps;
	t->seconds = (double)(tx_end - start) / (double)c->hz;
	t->tx = c->tx;
	t->tx_bytes = c->tx_bytes;
	t->rx = c->rx.rx;
	t->rx_bytes = c->rx.rx_bytes;
	t->ooo = c->rx.ooo;
	t->lat_p50_us = (double)perf_hist_quantile(&c->rx.total, 0.5) / 1000.0;
	t->lat_p99_us = (double)perf_hist_quantile(&c->rx.total, 0.99) / 1000.0;
	t->lat_max_us = c->rx.total.n ? (double)c->rx.total.max / 1000.0 : 0;
	c->rate_skipped = rate.skipped;
	/* What the schedule called for, less one burst of rounding: over a
	 * back-pressure link (memif) a slow gateway shows as packets the
	 * generator could not send, not as loss. */
	t->offered = pps ? perf_rate_due(&rate, tx_end) : c->tx;
	t->offered = t->offered > c->tx + o->burst ? t->offered - o->burst : c->tx;
	t->pass = false;
}

static void fill_result(struct perf_ctx *c, const struct perf_trial *t, struct perf_result *r)
{
	r->seconds = t->seconds;
	r->tx = t->tx;
	r->tx_bytes = t->tx_bytes;
	r->rx = t->rx;
	r->rx_bytes = t->rx_bytes;
	r->foreign = c->rx.foreign;
	r->bad_flow = c->rx.bad_flow;
	r->ooo = c->rx.ooo;
	r->lat = &c->rx.total;
	r->n_flows = c->o->flows;
	r->flows = c->rx.flows;
	r->flow_tx = c->flow_tx;
	r->rate_skipped = c->rate_skipped;
}

static void port_stats(struct perf_ctx *c, struct perf_result *r)
{
	for (unsigned i = 0; i < c->n_pc; i++) {
		struct rte_eth_stats st;

		r->ports[i] = c->pc[i];
		if (rte_eth_stats_get(c->pc[i].id, &st) == 0)
			r->ports[i].rx_missed = st.imissed + st.rx_nombuf;
	}
	r->n_ports = c->n_pc;
	r->reflected = c->reflected;
	r->reflect_bytes = c->reflect_bytes;
	r->reflect_dropped = c->reflect_dropped;
	r->reflect_other = c->reflect_other;
}

/* --replay: capture first (clear frames in at a modest rate until enough
 * ESP has come out of the gateway), then replay only the ESP: the gateway
 * decrypts and does nothing else. -2 (with a message) if nothing came. */
static int run_replay(struct perf_ctx *c, struct perf_result *res)
{
	const struct perf_opts *o = c->o;
	uint64_t cap_pps = o->rate_pps && o->rate_pps < 100000 ? o->rate_pps : 100000;
	double limit = (double)c->cap_want / (double)cap_pps * 2 + 5;
	struct perf_trial t;

	c->capturing = true;
	gen_phase(c, cap_pps, limit, false, &t);
	c->capturing = false;
	res->capture_s = t.seconds;
	if (*c->stop)
		return 0;
	if (c->n_cap == 0) {
		fprintf(stderr, "pmdvpn-perf: --replay: no frame came out on the reflect port in "
			"%.1f s (%lu clear frames sent): is the gateway encrypting?\n", limit,
			(unsigned long)t.tx);
		return -2;
	}
	if (c->n_cap < c->cap_want)
		fprintf(stderr, "pmdvpn-perf: --replay: only %u of %u frames captured; replaying "
			"those\n", c->n_cap, c->cap_want);
	fprintf(perf_log(o), "replay: captured %u frames in %.3f s, replaying them\n", c->n_cap,
		t.seconds);
	fflush(perf_log(o));
	c->replaying = true;
	gen_phase(c, o->rate_pps, o->duration_s, !o->quiet, &t);
	c->replaying = false;
	fill_result(c, &t, res);
	res->mode = "replay";
	res->captured = c->n_cap;
	res->lat = NULL;      /* the stamps are as old as the capture */
	res->flows = NULL;    /* every frame repeats: no per-flow order or loss */
	res->flow_tx = NULL;
	return 0;
}

int perf_run_gen(struct perf_ctx *c, struct perf_result *res)
{
	const struct perf_opts *o = c->o;
	struct perf_trial t;

	res->mode = "gen";
	res->avg_frame = perf_size_seq_avg(c->sizes, c->n_sizes);
	if (o->warmup_s > 0) {
		gen_phase(c, 1000, o->warmup_s, false, &t);
		fprintf(perf_log(o), "warm-up: %lu sent, %lu back\n", (unsigned long)t.tx,
			(unsigned long)t.rx);
	}
	if (o->replay) {
		int rc = run_replay(c, res);

		if (rc != 0)
			return rc;
	} else if (!o->search) {
		gen_phase(c, o->rate_pps, o->duration_s, !o->quiet, &t);
		fill_result(c, &t, res);
	} else {
		struct perf_search s;
		double pps;

		res->trials = calloc(o->search_max_trials, sizeof(*res->trials));
		if (res->trials == NULL)
			return -1;
		res->searched = true;
		perf_search_init(&s, (double)o->rate_pps, o->loss_tolerance_pct,
				 o->search_precision_pct, o->search_max_trials);
		while (!*c->stop && perf_search_next(&s, &pps)) {
			struct perf_trial *tr = &res->trials[res->n_trials];
			double offered;

			gen_phase(c, (uint64_t)(pps + 0.5), o->trial_duration_s, false, tr);
			if (*c->stop)
				break; /* an interrupted trial proves nothing */
			/* A line-rate trial offers what it achieved. */
			offered = pps > 0 ? pps : (tr->seconds > 0 ? (double)tr->tx / tr->seconds : 0);
			/* RFC 2544 counts frames offered: what could not be sent
			 * at the rate counts as lost. */
			tr->pass = perf_search_record(&s, offered, tr->offered, tr->rx);
			tr->rate_pps = offered;
			res->n_trials++;
			fprintf(perf_log(o), "trial %2u: rate %12.0f pps  offered %12lu  tx %12lu  rx %12lu  "
			       "loss %8.4f%%  p99 %8.1f us  %s\n", res->n_trials, offered,
			       (unsigned long)tr->offered, (unsigned long)tr->tx, (unsigned long)tr->rx,
			       perf_loss_pct(tr->offered, tr->rx), tr->lat_p99_us,
			       tr->pass ? "pass" : "FAIL");
			fflush(perf_log(o));
			fill_result(c, tr, res);
		}
		res->search_best_pps = s.best;
		fprintf(perf_log(o), "search: highest rate with loss <= %g%%: %.0f pps\n", o->loss_tolerance_pct,
		       s.best);
	}
	res->interrupted = *c->stop != 0;
	port_stats(c, res);
	return 0;
}

int perf_run_reflect(struct perf_ctx *c, struct perf_result *res)
{
	const struct perf_opts *o = c->o;
	uint64_t now = rte_rdtsc(), start = now, last = now, next_print = now + c->hz;
	uint64_t end = o->duration_s > 0 ? start + (uint64_t)(o->duration_s * (double)c->hz)
					 : UINT64_MAX;
	uint64_t last_n = 0;

	res->mode = "reflect";
	while (!*c->stop && now < end) {
		reflect_poll(c);
		now = rte_rdtsc();
		if (unlikely(!o->quiet && now >= next_print)) {
			double dt = (double)(now - last) / (double)c->hz;

			fprintf(perf_log(o), "[%3.0fs] reflect %.3f Mpps (total %lu, dropped %lu, not IPv4 %lu)\n",
			       (double)(now - start) / (double)c->hz,
			       (double)(c->reflected - last_n) / dt / 1e6, (unsigned long)c->reflected,
			       (unsigned long)c->reflect_dropped, (unsigned long)c->reflect_other);
			fflush(perf_log(o));
			last_n = c->reflected;
			last = now;
			next_print += c->hz;
		}
	}
	res->seconds = (double)(now - start) / (double)c->hz;
	res->interrupted = *c->stop != 0;
	res->avg_frame = c->reflected ? (double)c->reflect_bytes / (double)c->reflected : 0;
	port_stats(c, res);
	return 0;
}
