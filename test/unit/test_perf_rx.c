/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pmdvpn-perf's receive side: the latency histogram
 * (bucket layout, quantiles against an exact sort, merge) and per-flow
 * accounting (counts, reordering, sequence wrap, foreign and bad frames,
 * latency from the stamp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "perf.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static void test_hist_layout(void **state)
{
	(void)state;
	/* every value lands in the bucket that contains it, and buckets
	 * tile the number line without gaps */
	for (unsigned i = 0; i + 1 < PERF_HIST_BUCKETS; i++)
		assert_int_equal(perf_hist_bucket_low(i) + perf_hist_bucket_width(i),
				 perf_hist_bucket_low(i + 1));
	for (int k = 0; k < 200000; k++) {
		uint64_t v = rnd() >> (rnd() % 64);
		unsigned idx = perf_hist_index(v);

		assert_true(idx < PERF_HIST_BUCKETS);
		assert_true(v >= perf_hist_bucket_low(idx));
		assert_true(v - perf_hist_bucket_low(idx) < perf_hist_bucket_width(idx));
		/* relative width at most 1/32 above 64 */
		if (v >= 64)
			assert_true(perf_hist_bucket_width(idx) * 32 <= perf_hist_bucket_low(idx));
	}
	assert_int_equal(perf_hist_index(0), 0);
	assert_int_equal(perf_hist_index(63), 63);
	assert_int_equal(perf_hist_index(64), 64);
	assert_int_equal(perf_hist_index(UINT64_MAX), PERF_HIST_BUCKETS - 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_hist_quantiles(void **state)
{
	static struct perf_hist h, h2, m;
	enum { N = 100000 };
	uint64_t *v = malloc(N * sizeof(*v));
	const double qs[] = { 0.01, 0.5, 0.9, 0.99, 0.999 };

	(void)state;
	assert_non_null(v);
	perf_hist_reset(&h);
	assert_int_equal(perf_hist_quantile(&h, 0.5), 0); /* empty */
	/* a skewed latency-like distribution: mostly 1-20 us, a long tail */
	for (int i = 0; i < N; i++) {
		v[i] = 1000 + rnd() % 19000;
		if (i % 100 == 0)
			v[i] = 50000 + rnd() % 5000000;
		perf_hist_add(&h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		uint64_t exact = v[(size_t)(qs[k] * N + 0.999999) - 1];
		uint64_t got = perf_hist_quantile(&h, qs[k]);
		double rel = (double)(got > exact ? got - exact : exact - got) / (double)exact;

		if (rel > 1.0 / 32)
			fail_msg("q %.3f: got %lu exact %lu", qs[k], (unsigned long)got,
				 (unsigned long)exact);
	}
	assert_int_equal(perf_hist_quantile(&h, 0), v[0]);
	assert_int_equal(perf_hist_quantile(&h, 1), v[N - 1]);
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[N - 1]);
	assert_int_equal(h.n, N);
	/* small exact values are exact */
	perf_hist_reset(&h2);
	for (uint64_t x = 1; x <= 50; x++)
		perf_hist_add(&h2, x);
	assert_int_equal(perf_hist_quantile(&h2, 0.5), 25);
	assert_int_equal(perf_hist_quantile(&h2, 0.99), 50);
	/* one sample: every quantile is that sample (clamped to min/max) */
	perf_hist_reset(&m);
	perf_hist_add(&m, 123456);
	assert_int_equal(perf_hist_quantile(&m, 0.5), 123456);
	assert_int_equal(perf_hist_quantile(&m, 0.99), 123456);
	/* merge = adding everything to one histogram */
	perf_hist_reset(&m);
	perf_hist_merge(&m, &h);
	perf_hist_merge(&m, &h2);
	assert_int_equal(m.n, N + 50);
	assert_int_equal(m.min, 1);
	assert_int_equal(m.max, v[N - 1]);
	assert_int_equal(m.sum, h.sum + h2.sum);
	free(v);
}

static uint8_t frame[128];
static struct perf_flow fl;

static void rx_one(struct perf_rx *r, uint32_t flow, uint32_t seq, uint64_t tsc, uint64_t now)
{
	perf_build(frame, 64, &fl, flow, seq, tsc);
	perf_rx_frame(r, frame, 64, now);
}

static void test_rx_accounting(void **state)
{
	struct perf_rx r;
	struct perf_opts o;
	char err[128];
	char *argv[] = { (char *)"p", NULL };

	(void)state;
	assert_int_equal(perf_args_parse(1, argv, &o, stdout, err, sizeof(err)), 0);
	perf_flow_init(&o, 0, &fl);
	assert_int_equal(perf_rx_init(&r, 0, 1000), -1);
	assert_int_equal(perf_rx_init(&r, 4, 0), -1);
	assert_int_equal(perf_rx_init(&r, 4, 2000000000ull), 0); /* 2 GHz: 2 cycles per ns */

	for (uint32_t s = 0; s < 10; s++)
		rx_one(&r, 1, s, 1000, 1000 + 2000 * (s + 1)); /* latency (s+1) us */
	assert_int_equal(r.rx, 10);
	assert_int_equal(r.rx_bytes, 640);
	assert_int_equal(r.flows[1].rx, 10);
	assert_int_equal(r.ooo, 0);
	assert_int_equal(r.total.n, 10);
	assert_int_equal(r.total.min, 1000);
	assert_int_equal(r.total.max, 10000);

	/* a gap is not reordering; a late packet behind the front is */
	rx_one(&r, 1, 15, 0, 5);
	rx_one(&r, 1, 12, 0, 5);
	rx_one(&r, 1, 16, 0, 5);
	assert_int_equal(r.flows[1].ooo, 1);
	assert_int_equal(r.ooo, 1);
	/* tsc 0 or in the future: counted, not timed */
	rx_one(&r, 1, 17, 100, 5);
	assert_int_equal(r.total.n, 10);
	assert_int_equal(r.rx, 14);

	/* sequence numbers wrap without reordering noise */
	rx_one(&r, 2, 0xfffffffeu, 0, 1);
	rx_one(&r, 2, 0xffffffffu, 0, 1);
	rx_one(&r, 2, 0, 0, 1);
	rx_one(&r, 2, 1, 0, 1);
	assert_int_equal(r.flows[2].ooo, 0);
	rx_one(&r, 2, 0xffffffffu, 0, 1);
	assert_int_equal(r.flows[2].ooo, 1);

	/* flow id out of range; not ours */
	rx_one(&r, 4, 0, 0, 1);
	assert_int_equal(r.bad_flow, 1);
	memset(frame, 0, sizeof(frame));
	perf_rx_frame(&r, frame, 64, 1);
	perf_rx_frame(&r, frame, 0, 1);
	assert_int_equal(r.foreign, 2);
	assert_int_equal(r.rx, 19);

	/* reset clears counts but keeps the flows' sequence fronts */
	perf_rx_reset(&r);
	assert_int_equal(r.rx, 0);
	assert_int_equal(r.flows[1].rx, 0);
	assert_int_equal(r.total.n, 0);
	rx_one(&r, 1, 18, 0, 1);
	assert_int_equal(r.ooo, 0);
	rx_one(&r, 1, 3, 0, 1);
	assert_int_equal(r.ooo, 1);
	perf_rx_free(&r);
	perf_rx_free(&r); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_layout),
		cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_rx_accounting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
