/* SPDX-License-Identifier: BSD-3-Clause */
/* Receive accounting: per-flow counts, reordering, and latency from the
 * TSC stamp, kept in a log-linear histogram (no allocation per packet). */
#include <stdlib.h>
#include <string.h>

#include "perf.h"

void perf_hist_reset(struct perf_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned perf_hist_index(uint64_t ns)
{
	unsigned e;

	if (ns < 64)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns); /* 6..63 */
	return 64u + (e - 6u) * PERF_HIST_SUB + (unsigned)((ns >> (e - 5u)) & (PERF_HIST_SUB - 1));
}

uint64_t perf_hist_bucket_low(unsigned idx)
{
	unsigned k, e;

	if (idx < 64)
		return idx;
	k = idx - 64;
	e = k / PERF_HIST_SUB + 6;
	return (uint64_t)(PERF_HIST_SUB + k % PERF_HIST_SUB) << (e - 5);
}

uint64_t perf_hist_bucket_width(unsigned idx)
{
	if (idx < 64)
		return 1;
	return 1ull << ((idx - 64) / PERF_HIST_SUB + 1);
}

uint64_t perf_hist_quantile(const struct perf_hist *h, double q)
{
	uint64_t target, cum = 0, v;

	if (h->n == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	target = (uint64_t)(q * (double)h->n);
	if ((double)target < q * (double)h->n)
		target++;
	if (target == 0)
		target = 1;
	for (unsigned i = 0; i < PERF_HIST_BUCKETS; i++) {
		cum += h->b[i];
		if (cum >= target) {
			v = perf_hist_bucket_low(i) + perf_hist_bucket_width(i) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

void perf_hist_merge(struct perf_hist *dst, const struct perf_hist *src)
{
	for (unsigned i = 0; i < PERF_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

int perf_rx_init(struct perf_rx *r, uint32_t n_flows, uint64_t hz)
{
	memset(r, 0, sizeof(*r));
	if (n_flows == 0 || n_flows > PERF_MAX_FLOWS || hz == 0)
		return -1;
	r->flows = calloc(n_flows, sizeof(*r->flows));
	if (r->flows == NULL)
		return -1;
	r->n_flows = n_flows;
	r->hz = hz;
	perf_hist_reset(&r->total);
	perf_hist_reset(&r->interval);
	return 0;
}

void perf_rx_free(struct perf_rx *r)
{
	free(r->flows);
	r->flows = NULL;
	r->n_flows = 0;
}

void perf_rx_reset(struct perf_rx *r)
{
	for (uint32_t f = 0; f < r->n_flows; f++) {
		r->flows[f].rx = 0;
		r->flows[f].ooo = 0;
	}
	r->rx = r->rx_bytes = r->foreign = r->bad_flow = r->ooo = 0;
	perf_hist_reset(&r->total);
	perf_hist_reset(&r->interval);
}

void perf_rx_frame(struct perf_rx *r, const uint8_t *frame, uint32_t len, uint64_t now)
{
	struct perf_stamp st;
	struct perf_flow_rx *fr;

	if (perf_parse_stamp(frame, len, &st) != 0) {
		r->foreign++;
		return;
	}
	if (st.flow >= r->n_flows) {
		r->bad_flow++;
		return;
	}
	fr = &r->flows[st.flow];
	r->rx++;
	r->rx_bytes += len;
	fr->rx++;
	/* Serial-number order (RFC 1982): a gap may be loss or a packet
	 * still on its way; only arrivals behind the front count as reordered. */
	if (!fr->seen) {
		fr->seen = 1;
		fr->next_seq = st.seq + 1;
	} else if ((int32_t)(st.seq - fr->next_seq) >= 0) {
		fr->next_seq = st.seq + 1;
	} else {
		fr->ooo++;
		r->ooo++;
	}
	/* A stamp from the future is not from this host's TSC: no latency. */
	if (st.tsc <= now && st.tsc != 0) {
		uint64_t ns = (uint64_t)((double)(now - st.tsc) * 1e9 / (double)r->hz);

		perf_hist_add(&r->total, ns);
		perf_hist_add(&r->interval, ns);
	}
}
