/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pmdvpn-perf's RFC 2544 search, driven by a simulated
 * device that forwards up to a capacity and drops the excess: the search
 * converges on the capacity within the precision, never reports a rate
 * that failed, honours the loss tolerance, the trial limit, and a line-rate
 * first trial whose achieved rate becomes the bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "perf.h"

/* A device that forwards cap pps: a trial of 1 s at pps. */
static void device(double cap, double pps, uint64_t *tx, uint64_t *rx)
{
	*tx = (uint64_t)pps;
	*rx = (uint64_t)(pps <= cap ? pps : cap);
}

static double run(struct perf_search *s, double cap, unsigned *trials, double line)
{
	double pps;
	uint64_t tx, rx;

	*trials = 0;
	while (perf_search_next(s, &pps)) {
		bool pass;

		if (pps == 0) /* line rate: the generator manages `line` */
			pps = line;
		device(cap, pps, &tx, &rx);
		pass = perf_search_record(s, pps, tx, rx);
		assert_true(pass == (pps <= cap));
		(*trials)++;
		assert_true(*trials <= 100);
	}
	return s->best;
}

static void test_converges(void **state)
{
	struct perf_search s;
	unsigned trials;
	const double caps[] = { 1, 1234567, 5e6, 9.99e6, 14.2e6 };

	(void)state;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		perf_search_init(&s, 10e6, 0, 1, 30);
		double best = run(&s, caps[i], &trials, 0);
		double want = caps[i] < 10e6 ? caps[i] : 10e6;

		assert_true(best <= want);              /* never a failing rate */
		assert_true(want - best <= 10e6 * 0.01); /* within 1% of the bound */
		assert_true(s.done);
		if (caps[i] >= 10e6)
			assert_int_equal(trials, 1);     /* passed at the bound: done */
		else
			assert_true(trials <= 9);        /* log2(100) + 2 */
	}
}

static void test_first_trial_and_midpoints(void **state)
{
	struct perf_search s;
	double pps;

	(void)state;
	perf_search_init(&s, 1000, 0, 1, 16);
	assert_true(perf_search_next(&s, &pps));
	assert_true(pps == 1000);
	assert_false(perf_search_record(&s, 1000, 1000, 999));
	assert_true(perf_search_next(&s, &pps));
	assert_true(pps == 500);
	assert_true(perf_search_record(&s, 500, 500, 500));
	assert_true(perf_search_next(&s, &pps));
	assert_true(pps == 750);
	assert_false(perf_search_record(&s, 750, 750, 700));
	assert_true(perf_search_next(&s, &pps));
	assert_true(pps == 625);
	assert_true(s.best == 500);
}

static void test_tolerance(void **state)
{
	struct perf_search s;

	(void)state;
	assert_true(perf_loss_pct(1000, 990) == 1.0);
	assert_true(perf_loss_pct(0, 0) == 0);
	assert_true(perf_loss_pct(10, 12) == 0); /* duplicates are not negative loss */
	perf_search_init(&s, 1000, 0.5, 1, 16);
	assert_true(perf_search_record(&s, 1000, 1000, 995));  /* 0.5% */
	assert_true(s.done);
	perf_search_init(&s, 1000, 0.5, 1, 16);
	assert_false(perf_search_record(&s, 1000, 1000, 994)); /* 0.6% */
	assert_false(s.done);
}

static void test_line_rate_and_limits(void **state)
{
	struct perf_search s;
	unsigned trials;
	double pps;

	(void)state;
	/* unknown bound: line rate first, its achieved 8 Mpps is the bound */
	perf_search_init(&s, 0, 0, 1, 30);
	assert_true(perf_search_next(&s, &pps));
	assert_true(pps == 0);
	double best = run(&s, 3e6, &trials, 8e6);
	assert_true(s.max == 8e6);
	assert_true(best <= 3e6 && 3e6 - best <= 8e6 * 0.01);
	/* a trial limit stops the search early, best so far kept */
	perf_search_init(&s, 1e6, 0, 0.01, 3);
	best = run(&s, 0.3e6, &trials, 0);
	assert_int_equal(trials, 3);
	assert_true(best == 0.25e6);
	assert_false(perf_search_next(&s, &pps));
	/* nothing passes: best stays 0 and the search ends */
	perf_search_init(&s, 1e6, 0, 1, 30);
	best = run(&s, 0, &trials, 0);
	assert_true(best == 0);
	assert_true(s.done);
	/* a line-rate trial that sent nothing ends the search */
	perf_search_init(&s, 0, 0, 1, 30);
	assert_true(perf_search_record(&s, 0, 0, 0) || true);
	assert_true(s.done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converges),
		cmocka_unit_test(test_first_trial_and_midpoints),
		cmocka_unit_test(test_tolerance),
		cmocka_unit_test(test_line_rate_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
