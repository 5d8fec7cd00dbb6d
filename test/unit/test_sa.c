/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/sa: SA creation and freeing for every algorithm and
 * backend, key/salt split of the key material, argument checks, the
 * outbound sequence limits, and the SPI table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_lcore.h>

#include "sa.h"
#include "test_eal.h"

static void fill_keymat(uint8_t *km, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		km[i] = (uint8_t)(seed + 37 * i);
}

/* Is this backend usable on this machine? (ipsec-mb needs AES-NI etc.) */
static bool impl_usable(enum aead_impl impl)
{
	struct aead_engine *e = aead_engine_create(impl);

	if (e == NULL)
		return false;
	aead_engine_free(e);
	return true;
}

/*
 * Proves the SA's key is the first aead_key_len() bytes of keymat (not the
 * salt): both keys encrypt a block to the same ciphertext and tag.
 */
static void assert_same_key(enum aead_impl impl, const struct aead_key *sa_key,
			    enum aead_alg alg, const uint8_t *keymat)
{
	struct aead_engine *e = aead_engine_create(impl);
	struct aead_key *ref = aead_key_create(impl, alg, keymat, aead_key_len(alg));
	uint8_t d1[64], d2[64], t1[AEAD_TAG_LEN], t2[AEAD_TAG_LEN];
	struct aead_op op[2];

	assert_non_null(e);
	assert_non_null(ref);
	memset(d1, 0x5a, sizeof(d1));
	memcpy(d2, d1, sizeof(d2));
	memset(op, 0, sizeof(op));
	op[0].key = sa_key;
	op[0].data = d1;
	op[0].tag = t1;
	op[1].key = ref;
	op[1].data = d2;
	op[1].tag = t2;
	for (int i = 0; i < 2; i++) {
		op[i].len = sizeof(d1);
		op[i].aad_len = 8;
		memset(op[i].nonce, 7, AEAD_NONCE_LEN);
		memset(op[i].aad, 9, 8);
	}
	assert_int_equal(aead_encrypt_burst(e, op, 2), 0);
	assert_memory_equal(d1, d2, sizeof(d1));
	assert_memory_equal(t1, t2, sizeof(t1));
	assert_memory_not_equal(d1, (uint8_t[64]){ [0 ... 63] = 0x5a }, sizeof(d1));
	aead_key_free(ref);
	aead_engine_free(e);
}

static void test_out_create_free(void **state)
{
	(void)state;
	int tested = 0;

	for (int impl = 0; impl < AEAD_IMPL_MAX; impl++) {
		if (!impl_usable(impl)) {
			print_message("backend %s not usable here, skipped\n",
				      aead_impl_name(impl));
			continue;
		}
		for (int alg = 0; alg < AEAD_ALG_MAX; alg++) {
			for (int esn = 0; esn < 2; esn++) {
				size_t kl = aead_key_len(alg) + SA_SALT_LEN;
				uint8_t km[AEAD_MAX_KEY_LEN + SA_SALT_LEN];
				struct sa_out *sa;

				fill_keymat(km, kl, (uint8_t)(alg * 3 + esn));
				sa = sa_out_create(impl, alg, 0x2001, km, kl, esn);
				assert_non_null(sa);
				assert_int_equal((uintptr_t)sa % RTE_CACHE_LINE_SIZE, 0);
				assert_int_equal(sa->spi, 0x2001);
				assert_int_equal(sa->alg, alg);
				assert_int_equal(sa->esn, esn);
				assert_memory_equal(sa->salt, km + kl - SA_SALT_LEN, SA_SALT_LEN);
				assert_int_equal(sa->seq, 0);
				assert_int_equal(sa->seq_limit, 0);
				assert_true(sa->seq_max == (esn ? UINT64_MAX : UINT32_MAX));
				assert_non_null(sa->key);
				assert_int_equal(aead_key_alg(sa->key), alg);
				assert_same_key(impl, sa->key, alg, km);
				/* nothing reserved yet: nothing may be sent */
				assert_int_equal(sa_out_next_seq(sa), 0);
				sa_out_free(sa);
				tested++;
			}
		}
	}
	assert_true(tested >= 2 * AEAD_ALG_MAX);
	sa_out_free(NULL);
}

static void test_in_create_free(void **state)
{
	(void)state;
	static const uint32_t windows[] = { 0, 64, 1024, 4096, REPLAY_WINDOW_MAX };
	int tested = 0;

	for (int impl = 0; impl < AEAD_IMPL_MAX; impl++) {
		if (!impl_usable(impl))
			continue;
		for (int alg = 0; alg < AEAD_ALG_MAX; alg++) {
			for (unsigned wi = 0; wi < sizeof(windows) / sizeof(windows[0]); wi++) {
				size_t kl = aead_key_len(alg) + SA_SALT_LEN;
				uint8_t km[AEAD_MAX_KEY_LEN + SA_SALT_LEN];
				struct sa_in *sa;
				bool esn = wi & 1;

				fill_keymat(km, kl, (uint8_t)(alg + 11 * wi));
				sa = sa_in_create(impl, alg, 0xdeadbeef, km, kl, esn, windows[wi]);
				assert_non_null(sa);
				assert_int_equal((uintptr_t)sa % RTE_CACHE_LINE_SIZE, 0);
				assert_int_equal(sa->spi, 0xdeadbeef);
				assert_int_equal(sa->alg, alg);
				assert_int_equal(sa->esn, esn);
				assert_memory_equal(sa->salt, km + kl - SA_SALT_LEN, SA_SALT_LEN);
				assert_int_equal(aead_key_alg(sa->key), alg);
				/* the window follows the SA in the same allocation, on
				 * a cache line of its own */
				assert_ptr_equal(sa->replay, (void *)(sa + 1));
				assert_int_equal((uintptr_t)sa->replay % RTE_CACHE_LINE_SIZE, 0);
				assert_int_equal(sa->replay->size, windows[wi]);
				assert_int_equal(sa->replay->top, 0);
				/* the whole window is usable memory */
				for (uint64_t s = 1; s <= windows[wi] + 200; s += 7) {
					assert_true(replay_check(sa->replay, s));
					assert_int_equal(replay_update(sa->replay, s), 0);
				}
				if (wi == 0)
					assert_same_key(impl, sa->key, alg, km);
				sa_in_free(sa);
				tested++;
			}
		}
	}
	assert_true(tested > 0);
	sa_in_free(NULL);
}

static void test_bad_args(void **state)
{
	(void)state;
	uint8_t km[AEAD_MAX_KEY_LEN + SA_SALT_LEN + 8];

	fill_keymat(km, sizeof(km), 1);
	for (int alg = 0; alg < AEAD_ALG_MAX; alg++) {
		size_t good = aead_key_len(alg) + SA_SALT_LEN;
		size_t bad[] = { 0, 1, good - 5, good - 4, good - 1, good + 1, good + 4 };

		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_null(sa_out_create(AEAD_IMPL_OSSL, alg, 1, km, bad[i], false));
			assert_null(sa_in_create(AEAD_IMPL_OSSL, alg, 1, km, bad[i], false, 64));
		}
		assert_null(sa_out_create(AEAD_IMPL_OSSL, alg, 1, NULL, good, false));
		assert_null(sa_in_create(AEAD_IMPL_OSSL, alg, 1, NULL, good, false, 64));
		/* SPI 0 never appears on the wire */
		assert_null(sa_out_create(AEAD_IMPL_OSSL, alg, 0, km, good, false));
		assert_null(sa_in_create(AEAD_IMPL_OSSL, alg, 0, km, good, false, 64));
		/* window too large */
		assert_null(sa_in_create(AEAD_IMPL_OSSL, alg, 1, km, good, false,
					 REPLAY_WINDOW_MAX + 1));
		assert_null(sa_out_create(AEAD_IMPL_MAX, alg, 1, km, good, false));
		assert_null(sa_in_create((enum aead_impl)-1, alg, 1, km, good, false, 64));
	}
	assert_null(sa_out_create(AEAD_IMPL_OSSL, AEAD_ALG_MAX, 1, km, 20, false));
	assert_null(sa_in_create(AEAD_IMPL_OSSL, (enum aead_alg)-1, 1, km, 36, false, 64));
}

static struct sa_out *new_out(bool esn)
{
	uint8_t km[16 + SA_SALT_LEN];
	struct sa_out *sa;

	fill_keymat(km, sizeof(km), 3);
	sa = sa_out_create(AEAD_IMPL_OSSL, AEAD_AES128_GCM, 0x1234, km, sizeof(km), esn);
	assert_non_null(sa);
	return sa;
}

static void test_next_seq_limit(void **state)
{
	(void)state;
	struct sa_out *sa = new_out(false);

	__atomic_store_n(&sa->seq_limit, 5, __ATOMIC_RELEASE);
	for (uint64_t s = 1; s <= 5; s++)
		assert_int_equal(sa_out_next_seq(sa), s);
	/* at the limit: stop, and stay stopped */
	for (int i = 0; i < 3; i++)
		assert_int_equal(sa_out_next_seq(sa), 0);
	assert_int_equal(sa->seq, 5);
	/* a new reservation resumes exactly after the last one used */
	__atomic_store_n(&sa->seq_limit, 7, __ATOMIC_RELEASE);
	assert_int_equal(sa_out_next_seq(sa), 6);
	assert_int_equal(sa_out_next_seq(sa), 7);
	assert_int_equal(sa_out_next_seq(sa), 0);
	sa_out_free(sa);
}

static void test_next_seq_max(void **state)
{
	(void)state;
	/* without ESN the 32-bit counter never wraps to 0 */
	struct sa_out *sa = new_out(false);

	sa->seq = UINT32_MAX - 2;
	__atomic_store_n(&sa->seq_limit, UINT64_MAX, __ATOMIC_RELEASE);
	assert_int_equal(sa_out_next_seq(sa), UINT32_MAX - 1);
	assert_int_equal(sa_out_next_seq(sa), UINT32_MAX);
	assert_int_equal(sa_out_next_seq(sa), 0);
	assert_int_equal(sa_out_next_seq(sa), 0);
	assert_int_equal(sa->seq, UINT32_MAX);
	sa_out_free(sa);

	/* with ESN it goes on past 2^32 ... */
	sa = new_out(true);
	sa->seq = UINT32_MAX - 1;
	__atomic_store_n(&sa->seq_limit, UINT64_MAX, __ATOMIC_RELEASE);
	assert_int_equal(sa_out_next_seq(sa), UINT32_MAX);
	assert_int_equal(sa_out_next_seq(sa), 1ull << 32);
	assert_int_equal(sa_out_next_seq(sa), (1ull << 32) + 1);
	/* ... up to the end of the 64-bit space */
	sa->seq = UINT64_MAX - 1;
	assert_true(sa_out_next_seq(sa) == UINT64_MAX);
	assert_int_equal(sa_out_next_seq(sa), 0);
	sa_out_free(sa);
}

/* Inbound SA stand-ins for the table: it only reads spi. */
static struct sa_in *fake_sas(unsigned n, uint32_t first_spi)
{
	struct sa_in *v = calloc(n, sizeof(*v));

	assert_non_null(v);
	for (unsigned i = 0; i < n; i++)
		v[i].spi = first_spi + i * 0x10001u;
	return v;
}

static void test_table_basic(void **state)
{
	(void)state;
	uint8_t km[32 + SA_SALT_LEN];
	struct sa_table *t = sa_table_create("sa_ut_basic", 16, (int)rte_socket_id());
	struct sa_in *a, *b;

	assert_non_null(t);
	fill_keymat(km, sizeof(km), 9);
	a = sa_in_create(AEAD_IMPL_OSSL, AEAD_AES256_GCM, 0x1000, km, sizeof(km), false, 64);
	b = sa_in_create(AEAD_IMPL_OSSL, AEAD_CHACHA20_POLY1305, 0x1000, km, sizeof(km), true, 64);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(sa_table_lookup(t, 0x1000));
	assert_int_equal(sa_table_add(t, a), 0);
	assert_ptr_equal(sa_table_lookup(t, 0x1000), a);
	/* a second SA with the same SPI is refused, the first stays */
	assert_int_equal(sa_table_add(t, b), -EEXIST);
	assert_ptr_equal(sa_table_lookup(t, 0x1000), a);
	/* host order: the byte-swapped SPI is another key */
	assert_null(sa_table_lookup(t, 0x00100000));
	assert_int_equal(sa_table_del(t, 0x1000), 0);
	assert_null(sa_table_lookup(t, 0x1000));
	assert_int_equal(sa_table_del(t, 0x1000), -ENOENT);
	assert_int_equal(sa_table_add(t, b), 0);
	assert_ptr_equal(sa_table_lookup(t, 0x1000), b);
	assert_int_equal(sa_table_add(NULL, a), -EINVAL);
	assert_int_equal(sa_table_add(t, NULL), -EINVAL);
	sa_table_free(t);
	sa_in_free(a);
	sa_in_free(b);
	sa_table_free(NULL);
}

static void test_table_names(void **state)
{
	(void)state;
	struct sa_table *t = sa_table_create("sa_ut_name", 8, SOCKET_ID_ANY);

	assert_non_null(t);
	/* rte_hash names are global: a second table of that name fails */
	assert_null(sa_table_create("sa_ut_name", 8, SOCKET_ID_ANY));
	assert_null(sa_table_create("a_name_that_is_far_too_long_for_rte_hash", 8,
				    SOCKET_ID_ANY));
	assert_null(sa_table_create(NULL, 8, SOCKET_ID_ANY));
	assert_null(sa_table_create("sa_ut_zero", 0, SOCKET_ID_ANY));
	sa_table_free(t);
	/* the name is free again after the free */
	t = sa_table_create("sa_ut_name", 8, SOCKET_ID_ANY);
	assert_non_null(t);
	sa_table_free(t);
}

static void test_table_capacity(void **state)
{
	(void)state;
	static const uint32_t caps[] = { 1, 3, 8, 100, 1000 };

	for (unsigned c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		char name[32];
		uint32_t cap = caps[c];
		struct sa_in *v = fake_sas(cap + 1, 0x100);
		struct sa_table *t;

		snprintf(name, sizeof(name), "sa_ut_cap%u", cap);
		t = sa_table_create(name, cap, SOCKET_ID_ANY);
		assert_non_null(t);
		/* exactly cap entries fit, whatever their hashes */
		for (uint32_t i = 0; i < cap; i++)
			assert_int_equal(sa_table_add(t, &v[i]), 0);
		assert_int_equal(sa_table_add(t, &v[cap]), -ENOSPC);
		/* a duplicate is reported as such even when full */
		assert_int_equal(sa_table_add(t, &v[0]), -EEXIST);
		for (uint32_t i = 0; i < cap; i++)
			assert_ptr_equal(sa_table_lookup(t, v[i].spi), &v[i]);
		assert_int_equal(sa_table_del(t, v[cap / 2].spi), 0);
		assert_int_equal(sa_table_add(t, &v[cap]), 0);
		assert_null(sa_table_lookup(t, v[cap / 2].spi));
		assert_ptr_equal(sa_table_lookup(t, v[cap].spi), &v[cap]);
		sa_table_free(t);
		free(v);
	}
}

static void test_table_bulk(void **state)
{
	(void)state;
	const unsigned nsa = 200;
	struct sa_in *v = fake_sas(nsa, 0x7000);
	struct sa_table *t = sa_table_create("sa_ut_bulk", nsa, SOCKET_ID_ANY);
	uint32_t spis[130];
	struct sa_in *out[130];

	assert_non_null(t);
	/* only the even ones go in */
	for (unsigned i = 0; i < nsa; i += 2)
		assert_int_equal(sa_table_add(t, &v[i]), 0);
	/* the contract says n <= 64; larger bursts are answered in chunks */
	static const unsigned ns[] = { 0, 1, 3, 17, 63, 64, 65, 100, 129 };

	for (unsigned ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
		unsigned n = ns[ni], m = n;

		for (unsigned i = 0; i < m; i++)
			spis[i] = v[(i * 7 + n) % nsa].spi;
		for (unsigned i = 0; i < 130; i++)
			out[i] = (struct sa_in *)(uintptr_t)0x1; /* must be overwritten */
		sa_table_lookup_bulk(t, spis, m, out);
		for (unsigned i = 0; i < m; i++) {
			unsigned k = (i * 7 + n) % nsa;

			if (k % 2 == 0)
				assert_ptr_equal(out[i], &v[k]);
			else
				assert_null(out[i]);
		}
		/* nothing written past n */
		for (unsigned i = m; i < 130; i++)
			assert_ptr_equal(out[i], (void *)(uintptr_t)0x1);
	}
	/* all 64 hits, all 64 misses */
	for (unsigned i = 0; i < 64; i++)
		spis[i] = v[2 * i].spi;
	sa_table_lookup_bulk(t, spis, 64, out);
	for (unsigned i = 0; i < 64; i++)
		assert_ptr_equal(out[i], &v[2 * i]);
	for (unsigned i = 0; i < 64; i++)
		spis[i] = v[2 * i + 1].spi;
	sa_table_lookup_bulk(t, spis, 64, out);
	for (unsigned i = 0; i < 64; i++)
		assert_null(out[i]);
	sa_table_free(t);
	free(v);
}

static int setup(void **state)
{
	(void)state;
	return test_eal_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_create_free),
		cmocka_unit_test(test_in_create_free),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_next_seq_limit),
		cmocka_unit_test(test_next_seq_max),
		cmocka_unit_test(test_table_basic),
		cmocka_unit_test(test_table_names),
		cmocka_unit_test(test_table_capacity),
		cmocka_unit_test(test_table_bulk),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
