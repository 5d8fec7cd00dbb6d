/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pmdvpn-perf's rate control: the schedule is exact over
 * long runs (no drift from rounding), bursts are capped, a stall is made
 * up for only up to the backlog, line rate always gives a full burst, and
 * large TSC values do not overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "perf.h"

#define HZ 2596000000ull /* this VM's TSC */

static void test_schedule_exact(void **state)
{
	struct perf_rate r;
	uint64_t sent = 0, now = 1000;

	(void)state;
	/* 1 Mpps, polled every 97 cycles for one simulated second */
	perf_rate_init(&r, HZ, 1000000, now, 1000);
	assert_int_equal(perf_rate_take(&r, now, 32), 0);
	while (now < 1000 + HZ) {
		now += 97;
		sent += perf_rate_take(&r, now, 32);
	}
	/* exactly the packets due, not one more or less */
	assert_int_equal(sent, perf_rate_due(&r, now));
	assert_true(sent >= 1000000 && sent <= 1000001);
	assert_int_equal(r.skipped, 0);

	/* 7 pps: fractional cycles per packet, no drift over an hour */
	perf_rate_init(&r, HZ, 7, 0, 4);
	sent = 0;
	for (now = 0; now <= 3600 * HZ; now += HZ / 10)
		sent += perf_rate_take(&r, now, 32);
	assert_int_equal(sent, 7 * 3600);
}

static void test_burst_cap_and_backlog(void **state)
{
	struct perf_rate r;

	(void)state;
	perf_rate_init(&r, HZ, 10000000, 0, 128); /* 10 Mpps: 259.6 cycles per packet */
	/* 100 packets due: capped to a burst of 32 per call */
	assert_int_equal(perf_rate_take(&r, 25960, 32), 32);
	assert_int_equal(perf_rate_take(&r, 25960, 32), 32);
	assert_int_equal(perf_rate_take(&r, 25960, 32), 32);
	assert_int_equal(perf_rate_take(&r, 25960, 32), 4);
	assert_int_equal(perf_rate_take(&r, 25960, 32), 0);
	assert_int_equal(r.skipped, 0);
	/* a 1 s stall: 10 M packets due, only the backlog of 128 is made up */
	uint64_t got = 0;
	unsigned n;
	while ((n = perf_rate_take(&r, HZ, 32)) != 0)
		got += n;
	assert_int_equal(got, 128);
	assert_int_equal(r.skipped, 10000000 - 100 - 128);
	assert_int_equal(r.credited + 0, 10000000);
	/* and the schedule goes on from there */
	assert_int_equal(perf_rate_take(&r, HZ + 2596, 32), 10);
}

static void test_line_rate_and_overflow(void **state)
{
	struct perf_rate r;

	(void)state;
	perf_rate_init(&r, HZ, 0, 0, 0);
	assert_int_equal(perf_rate_take(&r, 0, 32), 32);
	assert_int_equal(perf_rate_take(&r, 0, 7), 7);
	assert_int_equal(r.credited, 39);
	/* now before start: nothing due */
	perf_rate_init(&r, HZ, 1000, 5000, 1);
	assert_int_equal(perf_rate_due(&r, 10), 0);
	assert_int_equal(perf_rate_take(&r, 10, 32), 0);
	/* elapsed x pps beyond 2^64: 10 G pps over a simulated year */
	perf_rate_init(&r, HZ, 10000000000ull, 0, 1);
	assert_int_equal(perf_rate_due(&r, 365ull * 86400 * HZ), 365ull * 86400 * 10000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule_exact),
		cmocka_unit_test(test_burst_cap_and_backlog),
		cmocka_unit_test(test_line_rate_and_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
