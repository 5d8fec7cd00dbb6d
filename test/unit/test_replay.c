/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/replay: the RFC 6479 window against a brute-force
 * model, every edge of the window for several sizes, far jumps that must
 * clear stale bitmap blocks, anti-replay off, and ESN inference (RFC 4303
 * appendix A) against an independent model of "the candidate that falls in
 * the 2^32 numbers starting at the window bottom".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay.h"

static const uint32_t sizes[] = { 64, 1024, 4096, 65536 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic so failures reproduce */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static struct replay_window *win_new(uint32_t size)
{
	struct replay_window *w = malloc(replay_window_memsize(size));

	assert_non_null(w);
	/* garbage in the bitmap must not matter after init */
	memset(w, 0xa5, replay_window_memsize(size));
	assert_int_equal(replay_window_init(w, size), 0);
	return w;
}

/* Accepts seq the way the data path does: check, then update. */
static void accept(struct replay_window *w, uint64_t seq)
{
	assert_true(replay_check(w, seq));
	assert_int_equal(replay_update(w, seq), 0);
}

static void reject(struct replay_window *w, uint64_t seq)
{
	assert_false(replay_check(w, seq));
	assert_int_equal(replay_update(w, seq), -1);
}

static void test_memsize_init(void **state)
{
	(void)state;
	for (uint32_t size = 1; size <= REPLAY_WINDOW_MAX; size = size * 3 + 1) {
		struct replay_window *w = win_new(size);

		assert_int_equal(w->size, size);
		assert_int_equal(w->top, 0);
		/* power of two, covering size + 64 bits */
		assert_int_equal(w->nblocks & (w->nblocks - 1), 0);
		assert_true((uint64_t)w->nblocks * 64 >= (uint64_t)size + 64);
		/* and not more than twice what that needs */
		assert_true((uint64_t)w->nblocks * 64 < 2 * ((uint64_t)size + 128));
		assert_int_equal(replay_window_memsize(size),
				 sizeof(*w) + w->nblocks * sizeof(uint64_t));
		for (uint32_t i = 0; i < w->nblocks; i++)
			assert_int_equal(w->bitmap[i], 0);
		free(w);
	}
	for (unsigned i = 0; i < NSIZES; i++) {
		struct replay_window *w = win_new(sizes[i]);

		assert_true(w->nblocks * 64 >= sizes[i] + 64);
		free(w);
	}
	struct replay_window *w = malloc(replay_window_memsize(REPLAY_WINDOW_MAX));

	assert_int_equal(replay_window_init(w, REPLAY_WINDOW_MAX + 1), -1);
	assert_int_equal(replay_window_init(NULL, 64), -1);
	free(w);
}

static void test_zero_never_valid(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NSIZES; i++) {
		struct replay_window *w = win_new(sizes[i]);

		reject(w, 0);
		accept(w, 5);
		reject(w, 0);
		free(w);
	}
	struct replay_window *w = win_new(0);

	reject(w, 0);
	free(w);
}

static void test_in_order(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NSIZES; i++) {
		uint32_t size = sizes[i];
		struct replay_window *w = win_new(size);
		uint64_t n = 3ull * size + 100;

		for (uint64_t s = 1; s <= n; s++) {
			accept(w, s);
			reject(w, s);  /* immediate duplicate */
			assert_int_equal(w->top, s);
		}
		/* everything inside the window is a duplicate now, everything
		 * behind it is too old */
		for (uint64_t s = 1; s <= n; s++)
			assert_false(replay_check(w, s));
		assert_true(replay_check(w, n + 1));
		free(w);
	}
}

static void shuffle(uint64_t *a, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		uint64_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

static void test_reordered_within_window(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NSIZES; i++) {
		uint32_t size = sizes[i];
		struct replay_window *w = win_new(size);
		uint64_t top = 5ull * size + 17;
		uint64_t *late = malloc(size * sizeof(*late));

		accept(w, top);
		/* every number in the window but the top arrives late, in
		 * random order, and is accepted exactly once */
		for (uint32_t k = 0; k < size - 1; k++)
			late[k] = top - 1 - k;
		shuffle(late, size - 1);
		for (uint32_t k = 0; k < size - 1; k++) {
			accept(w, late[k]);
			reject(w, late[k]);
		}
		for (uint32_t k = 0; k < size - 1; k++)
			assert_false(replay_check(w, late[k]));
		assert_int_equal(w->top, top);
		free(late);
		free(w);
	}
}

static void test_burst_duplicates(void **state)
{
	(void)state;
	struct replay_window *w = win_new(1024);

	accept(w, 100);
	/* two copies of 90 in one burst: both pass the pre-check, only the
	 * first update wins */
	assert_true(replay_check(w, 90));
	assert_true(replay_check(w, 90));
	assert_int_equal(replay_update(w, 90), 0);
	assert_int_equal(replay_update(w, 90), -1);
	/* same for a copy ahead of the top */
	assert_true(replay_check(w, 200));
	assert_true(replay_check(w, 200));
	assert_int_equal(replay_update(w, 200), 0);
	assert_int_equal(replay_update(w, 200), -1);
	/* the pre-check does not modify */
	assert_true(replay_check(w, 150));
	assert_true(replay_check(w, 150));
	assert_int_equal(w->top, 200);
	free(w);
}

static void test_window_edges(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NSIZES; i++) {
		uint32_t size = sizes[i];
		struct replay_window *w = win_new(size);
		uint64_t top = 10ull * size + 3;

		accept(w, top);
		/* the oldest number still inside: top - size + 1 */
		reject(w, top - size);
		reject(w, top - size - 1);
		accept(w, top - size + 1);
		/* far behind */
		reject(w, 1);
		/* move the top by one: the previous oldest falls out */
		accept(w, top + 1);
		assert_false(replay_check(w, top - size + 1));
		assert_true(replay_check(w, top - size + 2));
		free(w);
	}
}

/*
 * Fills the whole window, jumps the top by `jump`, and verifies every
 * number around the new window: old set bits must not leak into slots the
 * window newly covers (the ring clearing), numbers already seen stay
 * rejected, and nothing behind the window passes.
 */
static void jump_and_verify(uint32_t size, uint64_t base, uint64_t jump)
{
	struct replay_window *w = win_new(size);
	uint64_t top;

	for (uint64_t s = base - size + 1; s <= base; s++)
		assert_int_equal(replay_update(w, s), 0);
	top = base + jump;
	accept(w, top);
	uint64_t lo = top - size + 1;

	for (uint64_t s = lo - 2 * size > lo ? 1 : lo - 2 * size; s < lo; s++)
		assert_false(replay_check(w, s));
	for (uint64_t s = lo; s < top; s++) {
		if (s <= base)
			assert_false(replay_check(w, s)); /* seen before the jump */
		else if (!replay_check(w, s))
			fail_msg("size %u base %llu jump %llu: fresh %llu rejected",
				 size, (unsigned long long)base,
				 (unsigned long long)jump, (unsigned long long)s);
	}
	assert_false(replay_check(w, top));
	assert_true(replay_check(w, top + 1));
	free(w);
}

static void test_far_ahead(void **state)
{
	(void)state;
	/* every jump from 1 to past the ring size, from a few alignments */
	for (uint32_t size = 64; size <= 1024; size *= 16) {
		struct replay_window *w = win_new(size);
		uint64_t ring = (uint64_t)w->nblocks * 64;

		free(w);
		for (uint64_t base = 5 * ring; base < 5 * ring + 130; base += 63)
			for (uint64_t j = 1; j <= ring + 130; j++)
				jump_and_verify(size, base, j);
	}
	/* the larger windows: selected jumps around the window and the ring */
	for (unsigned i = 2; i < NSIZES; i++) {
		uint32_t size = sizes[i];
		struct replay_window *w = win_new(size);
		uint64_t ring = (uint64_t)w->nblocks * 64;
		uint64_t jumps[] = { 1, 63, 64, 65, size - 1, size, size + 1,
				     ring - 64, ring - 1, ring, ring + 1,
				     ring + 64, 3 * ring + 7 };

		free(w);
		for (unsigned k = 0; k < sizeof(jumps) / sizeof(jumps[0]); k++)
			jump_and_verify(size, 4 * ring + 11, jumps[k]);
	}
	/* a huge jump (ESN space) from a full window */
	jump_and_verify(1024, 5000, 1ull << 40);
	jump_and_verify(64, 5000, (1ull << 62) + 12345);
}

static void test_far_behind(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NSIZES; i++) {
		struct replay_window *w = win_new(sizes[i]);

		accept(w, 1ull << 33);
		reject(w, 1);
		reject(w, (1ull << 33) - sizes[i]);
		reject(w, (1ull << 32));
		accept(w, (1ull << 33) - sizes[i] + 1);
		assert_int_equal(w->top, 1ull << 33);
		free(w);
	}
}

static void test_window_off(void **state)
{
	(void)state;
	struct replay_window *w = win_new(0);

	assert_int_equal(w->nblocks, 0);
	assert_int_equal(replay_window_memsize(0), sizeof(*w));
	for (int rep = 0; rep < 3; rep++) {
		for (uint64_t s = 1; s < 100; s++) {
			assert_true(replay_check(w, s));
			assert_int_equal(replay_update(w, s), 0);
		}
	}
	assert_int_equal(w->top, 99);
	/* the top only goes up: it still anchors ESN inference */
	assert_int_equal(replay_update(w, 1000000), 0);
	assert_int_equal(replay_update(w, 5), 0);
	assert_int_equal(w->top, 1000000);
	assert_true(replay_check(w, 1));
	free(w);
}

/* RFC 4303 A.2: the low half wraps while traffic keeps flowing. */
static void test_esn_wrap(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NSIZES; i++) {
		uint32_t size = sizes[i];
		struct replay_window *w = win_new(size);
		uint64_t t0 = (1ull << 32) - 10;
		uint64_t s;

		for (s = t0 - size; s <= t0; s++)
			assert_int_equal(replay_update(w, s), 0);
		/* just before the wrap, in order */
		s = replay_infer_seq(w, (uint32_t)(t0 + 1), true);
		assert_int_equal(s, t0 + 1);
		accept(w, s);
		/* low half 5 after the wrap: subspace 1 */
		s = replay_infer_seq(w, 5, true);
		assert_int_equal(s, (1ull << 32) + 5);
		accept(w, s);
		assert_int_equal(w->top, (1ull << 32) + 5);
		/* a late packet from before the wrap, inside the window */
		s = replay_infer_seq(w, 0xfffffffdu, true);
		assert_int_equal(s, 0xfffffffdull);
		accept(w, s);
		/* a replay of one from before the wrap */
		s = replay_infer_seq(w, (uint32_t)(t0 - 3), true);
		assert_int_equal(s, t0 - 3);
		reject(w, s);
		/* low half 0 after the wrap is 2^32, a valid number */
		s = replay_infer_seq(w, 0, true);
		assert_int_equal(s, 1ull << 32);
		accept(w, s);
		/* far behind the window: taken as far ahead in the current
		 * subspace (the ICV check then fails); never confused with an
		 * old number */
		uint32_t old = (uint32_t)((1ull << 32) + 5 - size - 50);

		s = replay_infer_seq(w, old, true);
		assert_int_equal(s, (1ull << 32) | old);
		/* without ESN the low half is the number */
		assert_int_equal(replay_infer_seq(w, 5, false), 5);
		assert_int_equal(replay_infer_seq(w, 0xfffffffdu, false), 0xfffffffdull);
		/* keep going in the new subspace past the window */
		for (uint32_t low = 6; low < 6 + 2 * size; low++)
			accept(w, replay_infer_seq(w, low, true));
		assert_int_equal(w->top, (1ull << 32) + 5 + 2 * size);
		free(w);
	}
}

/* The top at the very end of the ESN space: no subspace after it. */
static void test_esn_top_of_space(void **state)
{
	(void)state;
	struct replay_window *w = win_new(1024);

	accept(w, UINT64_MAX - 1);
	assert_int_equal(replay_infer_seq(w, UINT32_MAX, true), UINT64_MAX);
	accept(w, UINT64_MAX);
	/* below the window: no subspace 2^32, stays in the last one and is
	 * rejected as too old */
	uint64_t s = replay_infer_seq(w, 5, true);

	assert_int_equal(s >> 32, UINT32_MAX);
	reject(w, s);
	free(w);
}

/*
 * Independent model of RFC 4303 A.2: the receiver assumes the packet lies in
 * [B, B + 2^32) where B = T - W + 1 is the window bottom, and picks the one
 * candidate (Th - 1, Th or Th + 1) there. A candidate outside the 64-bit
 * space (before 0 or after 2^64 - 1) is replaced by the valid neighbour.
 * W = 0 (anti-replay off) behaves as W = 2^31: the nearest candidate.
 */
static uint64_t model_infer(uint64_t top, uint32_t size, uint32_t low)
{
	__int128 w = size ? size : (1u << 31);
	__int128 b = (__int128)top - w + 1;
	long long th = (long long)(top >> 32);

	for (long long h = th - 1; h <= th + 1; h++) {
		__int128 s = (__int128)h * ((__int128)1 << 32) + low;

		if (s >= b && s < b + ((__int128)1 << 32)) {
			if (h < 0)
				h = 0;
			if (h > (long long)UINT32_MAX)
				h = UINT32_MAX;
			return ((uint64_t)h << 32) | low;
		}
	}
	fail_msg("model found no candidate");
	return 0;
}

static uint64_t interesting64(void)
{
	static const uint32_t his[] = { 0, 1, 2, 0x7fffffff, 0x80000000, UINT32_MAX - 1,
					UINT32_MAX };
	uint32_t hi, lo;

	switch (rnd() % 4) {
	case 0:
		return rnd();
	case 1:
		hi = his[rnd() % (sizeof(his) / sizeof(his[0]))];
		break;
	default:
		hi = (uint32_t)rnd() & 3;
		break;
	}
	switch (rnd() % 4) {
	case 0:
		lo = (uint32_t)(rnd() % 70000);            /* near 0: case B */
		break;
	case 1:
		lo = UINT32_MAX - (uint32_t)(rnd() % 70000);
		break;
	default:
		lo = (uint32_t)rnd();
		break;
	}
	return ((uint64_t)hi << 32) | lo;
}

static void test_infer_model(void **state)
{
	(void)state;
	static const uint32_t wsizes[] = { 0, 1, 2, 64, 1024, 4096, 65536 };
	struct replay_window *w = malloc(replay_window_memsize(REPLAY_WINDOW_MAX));

	for (int iter = 0; iter < 400000; iter++) {
		uint32_t size = wsizes[rnd() % (sizeof(wsizes) / sizeof(wsizes[0]))];
		uint64_t top = interesting64();
		uint32_t low, bottom;

		assert_int_equal(replay_window_init(w, size), 0);
		w->top = top;
		/* low halves around the window bottom, the top and random */
		bottom = (uint32_t)top - (size ? size : (1u << 31)) + 1;
		switch (rnd() % 4) {
		case 0:
			low = bottom + (uint32_t)(rnd() % 5) - 2;
			break;
		case 1:
			low = (uint32_t)top + (uint32_t)(rnd() % 5) - 2;
			break;
		case 2:
			low = (uint32_t)(rnd() % 4) - 1; /* 0xffffffff, 0, 1, 2 */
			break;
		default:
			low = (uint32_t)rnd();
			break;
		}
		uint64_t got = replay_infer_seq(w, low, true);
		uint64_t want = model_infer(top, size, low);

		if (got != want)
			fail_msg("top %#llx size %u low %#x: got %#llx want %#llx",
				 (unsigned long long)top, size, low,
				 (unsigned long long)got, (unsigned long long)want);
		assert_int_equal((uint32_t)got, low);
		assert_int_equal(replay_infer_seq(w, low, false), low);
	}
	free(w);
}

/*
 * Random traffic against a brute-force model (a plain set of every number
 * ever accepted): in order, reordered, duplicated, far jumps and stale.
 */
static void test_random_vs_model(void **state)
{
	(void)state;
	const uint64_t span = 1ull << 27;
	uint8_t *seen = malloc(span / 8);

	for (unsigned i = 0; i < NSIZES; i++) {
		uint32_t size = sizes[i];
		struct replay_window *w = win_new(size);
		uint64_t top = 0, s;
		int iter;

		memset(seen, 0, span / 8);
		for (iter = 0; iter < 300000; iter++) {
			uint64_t r = rnd() % 100;

			if (r < 50)
				s = top + 1 + rnd() % 4;          /* mostly in order */
			else if (r < 85)
				s = top - rnd() % (size + 8);     /* late, near edge */
			else if (r < 95)
				s = top + rnd() % (size + 64);    /* ahead */
			else if (r < 99)
				s = top - rnd() % (4 * size);     /* stale */
			else
				s = top + size * 2 + rnd() % 5000;  /* far jump */
			if (s >= span || (int64_t)s < 0)
				s = 0;
			bool model_ok = s != 0 && !(seen[s / 8] & (1u << (s % 8))) &&
					(s > top || top - s < size);

			assert_int_equal(replay_check(w, s), model_ok);
			assert_int_equal(replay_update(w, s), model_ok ? 0 : -1);
			if (model_ok) {
				seen[s / 8] |= 1u << (s % 8);
				if (s > top)
					top = s;
			}
			assert_int_equal(w->top, top);
			if (top > span - 1000000)
				break;
		}
		/* the space lasts long enough for real coverage */
		assert_true(iter > 20000);
		free(w);
	}
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memsize_init),
		cmocka_unit_test(test_zero_never_valid),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reordered_within_window),
		cmocka_unit_test(test_burst_duplicates),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_far_ahead),
		cmocka_unit_test(test_far_behind),
		cmocka_unit_test(test_window_off),
		cmocka_unit_test(test_esn_wrap),
		cmocka_unit_test(test_esn_top_of_space),
		cmocka_unit_test(test_infer_model),
		cmocka_unit_test(test_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
