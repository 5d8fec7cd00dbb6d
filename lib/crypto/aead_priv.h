/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aead internals shared by the dispatcher (aead.c) and the two backends
 * (aead_imb.c, aead_ossl.c). Not part of the public interface.
 */
#ifndef PMDVPN_AEAD_PRIV_H
#define PMDVPN_AEAD_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "aead.h"

/*
 * The library does not depend on DPDK, so it carries its own branch hints
 * (same definition as rte_branch_prediction.h).
 */
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/*
 * Largest op->len accepted. An ESP payload always fits in one IP datagram
 * (total length is a 16-bit field), so anything longer is a caller bug.
 */
#define AEAD_MAX_DATA_LEN 65535u

/*
 * An expanded key. intel-ipsec-mb wants its GCM key data 64-byte aligned
 * (the header only adds the alignment attribute when LINUX is defined, so
 * it is forced here), and the whole object is allocated with that
 * alignment. Everything in it is key material: aead_key_free() wipes all
 * of it.
 */
struct aead_key {
	union {
		/* intel-ipsec-mb AES-GCM: round keys + GHASH tables */
		_Alignas(64) struct gcm_key_data gcm;
		/* intel-ipsec-mb ChaCha20 and OpenSSL: the raw key */
		uint8_t raw[AEAD_MAX_KEY_LEN];
	} u;
	enum aead_impl impl;
	enum aead_alg alg;
	size_t key_len;
};

/* One backend. enc is 1 for encrypt, 0 for decrypt. */
struct aead_backend {
	/* Fills e->priv and e->desc. Returns 0 or -1. */
	int (*engine_init)(struct aead_engine *e);
	void (*engine_fini)(struct aead_engine *e);
	/* Expands key (k->alg, k->key_len are set). Returns 0 or -1. */
	int (*key_init)(struct aead_key *k, const uint8_t *key);
	/* n <= AEAD_MAX_BURST, ops != NULL. Returns the number of failed ops. */
	unsigned (*burst)(struct aead_engine *e, struct aead_op *ops,
			  unsigned n, int enc);
};

#define AEAD_DESC_LEN 96

struct aead_engine {
	const struct aead_backend *be;
	enum aead_impl impl;
	void *priv;
	char desc[AEAD_DESC_LEN];
};

extern const struct aead_backend aead_imb_backend;
extern const struct aead_backend aead_ossl_backend;

/*
 * Common per-op validation: everything a backend must know before it
 * touches the op's pointers. Returns AEAD_OK or AEAD_EINVAL.
 */
static inline int
aead_op_check(const struct aead_op *op, enum aead_impl impl)
{
	if (unlikely(op->key == NULL || op->key->impl != impl))
		return AEAD_EINVAL;
	if (unlikely(op->data == NULL || op->tag == NULL))
		return AEAD_EINVAL;
	if (unlikely(op->len > AEAD_MAX_DATA_LEN ||
		     op->aad_len > AEAD_MAX_AAD_LEN))
		return AEAD_EINVAL;
	return AEAD_OK;
}

/*
 * Tag comparison whose running time does not depend on where the first
 * difference is (no early exit), so a forger learns nothing from timing.
 */
static inline int
aead_tag_equal(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;
	unsigned i;

	for (i = 0; i < AEAD_TAG_LEN; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

#endif
