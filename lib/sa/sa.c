/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runtime security associations: creation from key material and freeing.
 *
 * Both kinds live in DPDK memory (hugepages when available, cache aligned).
 * An inbound SA and its replay window are one allocation, the window right
 * after the SA, so the lookup result and the window bits share a TLB entry
 * and a worker touches only its own cache lines.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "sa.h"

/* keymat = cipher key || 4-byte salt (RFC 4106 section 8.1, RFC 7634 section 2). */
static bool sa_keymat_ok(enum aead_impl impl, enum aead_alg alg, uint32_t spi,
			 const uint8_t *keymat, size_t keymat_len)
{
	size_t klen;

	if ((unsigned)impl >= AEAD_IMPL_MAX || (unsigned)alg >= AEAD_ALG_MAX)
		return false;
	/* SPI 0 is reserved and never appears on the wire (RFC 4303 2.1). */
	if (spi == 0 || keymat == NULL)
		return false;
	klen = aead_key_len(alg);
	return klen != 0 && keymat_len == klen + SA_SALT_LEN;
}

struct sa_out *sa_out_create(enum aead_impl impl, enum aead_alg alg, uint32_t spi,
			     const uint8_t *keymat, size_t keymat_len, bool esn)
{
	struct sa_out *sa;
	size_t klen;

	if (!sa_keymat_ok(impl, alg, spi, keymat, keymat_len))
		return NULL;
	klen = aead_key_len(alg);
	sa = rte_zmalloc("sa_out", sizeof(*sa), RTE_CACHE_LINE_SIZE);
	if (sa == NULL)
		return NULL;
	sa->key = aead_key_create(impl, alg, keymat, klen);
	if (sa->key == NULL) {
		rte_free(sa);
		return NULL;
	}
	memcpy(sa->salt, keymat + klen, SA_SALT_LEN);
	sa->spi = spi;
	sa->alg = alg;
	sa->esn = esn;
	sa->seq = 0;
	/* Nothing is reserved yet: the SA sends nothing until sa_out_restore(). */
	sa->seq_limit = 0;
	sa->seq_max = esn ? UINT64_MAX : UINT32_MAX;
	return sa;
}

void sa_out_free(struct sa_out *sa)
{
	if (sa == NULL)
		return;
	aead_key_free(sa->key);
	explicit_bzero(sa, sizeof(*sa));
	rte_free(sa);
}

struct sa_in *sa_in_create(enum aead_impl impl, enum aead_alg alg, uint32_t spi,
			   const uint8_t *keymat, size_t keymat_len, bool esn,
			   uint32_t replay_window)
{
	struct sa_in *sa;
	size_t klen;

	if (!sa_keymat_ok(impl, alg, spi, keymat, keymat_len) ||
	    replay_window > REPLAY_WINDOW_MAX)
		return NULL;
	klen = aead_key_len(alg);
	/* sizeof(struct sa_in) is a multiple of the cache line: the window
	 * starts on a line of its own. */
	sa = rte_zmalloc("sa_in", sizeof(*sa) + replay_window_memsize(replay_window),
			 RTE_CACHE_LINE_SIZE);
	if (sa == NULL)
		return NULL;
	sa->replay = (struct replay_window *)(sa + 1);
	if (replay_window_init(sa->replay, replay_window) != 0) {
		rte_free(sa);
		return NULL;
	}
	sa->key = aead_key_create(impl, alg, keymat, klen);
	if (sa->key == NULL) {
		rte_free(sa);
		return NULL;
	}
	memcpy(sa->salt, keymat + klen, SA_SALT_LEN);
	sa->spi = spi;
	sa->alg = alg;
	sa->esn = esn;
	return sa;
}

void sa_in_free(struct sa_in *sa)
{
	if (sa == NULL)
		return;
	aead_key_free(sa->key);
	explicit_bzero(sa, sizeof(*sa) + replay_window_memsize(sa->replay->size));
	rte_free(sa);
}
