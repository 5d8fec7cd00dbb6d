/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aead: names, argument checks and dispatch to the backends. The per-op
 * work lives in aead_imb.c and aead_ossl.c.
 */
#include <stdlib.h>
#include <string.h>

#include "aead.h"
#include "aead_priv.h"

static const char *const alg_names[AEAD_ALG_MAX] = {
	[AEAD_AES128_GCM] = "aes-128-gcm",
	[AEAD_AES256_GCM] = "aes-256-gcm",
	[AEAD_CHACHA20_POLY1305] = "chacha20-poly1305",
};

static const size_t alg_key_lens[AEAD_ALG_MAX] = {
	[AEAD_AES128_GCM] = 16,
	[AEAD_AES256_GCM] = 32,
	[AEAD_CHACHA20_POLY1305] = 32,
};

static const char *const impl_names[AEAD_IMPL_MAX] = {
	[AEAD_IMPL_IMB] = "ipsec-mb",
	[AEAD_IMPL_OSSL] = "openssl",
};

static const struct aead_backend *const backends[AEAD_IMPL_MAX] = {
	[AEAD_IMPL_IMB] = &aead_imb_backend,
	[AEAD_IMPL_OSSL] = &aead_ossl_backend,
};

/* Enums may hold any int: compare as unsigned so negatives are out too. */
static int
alg_valid(enum aead_alg alg)
{
	return (unsigned)alg < AEAD_ALG_MAX;
}

static int
impl_valid(enum aead_impl impl)
{
	return (unsigned)impl < AEAD_IMPL_MAX;
}

size_t
aead_key_len(enum aead_alg alg)
{
	return alg_valid(alg) ? alg_key_lens[alg] : 0;
}

const char *
aead_alg_name(enum aead_alg alg)
{
	return alg_valid(alg) ? alg_names[alg] : "unknown";
}

int
aead_alg_parse(const char *name, enum aead_alg *alg)
{
	unsigned i;

	if (name == NULL || alg == NULL)
		return -1;
	for (i = 0; i < AEAD_ALG_MAX; i++) {
		if (strcmp(name, alg_names[i]) == 0) {
			*alg = (enum aead_alg)i;
			return 0;
		}
	}
	return -1;
}

const char *
aead_impl_name(enum aead_impl impl)
{
	return impl_valid(impl) ? impl_names[impl] : "unknown";
}

int
aead_impl_parse(const char *name, enum aead_impl *impl)
{
	unsigned i;

	if (name == NULL || impl == NULL)
		return -1;
	for (i = 0; i < AEAD_IMPL_MAX; i++) {
		if (strcmp(name, impl_names[i]) == 0) {
			*impl = (enum aead_impl)i;
			return 0;
		}
	}
	return -1;
}

struct aead_engine *
aead_engine_create(enum aead_impl impl)
{
	struct aead_engine *e;

	if (!impl_valid(impl))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->impl = impl;
	e->be = backends[impl];
	if (e->be->engine_init(e) != 0) {
		free(e);
		return NULL;
	}
	return e;
}

void
aead_engine_free(struct aead_engine *e)
{
	if (e == NULL)
		return;
	e->be->engine_fini(e);
	free(e);
}

enum aead_impl
aead_engine_impl(const struct aead_engine *e)
{
	return e != NULL ? e->impl : AEAD_IMPL_MAX;
}

const char *
aead_engine_describe(const struct aead_engine *e)
{
	return e != NULL ? e->desc : "none";
}

struct aead_key *
aead_key_create(enum aead_impl impl, enum aead_alg alg, const uint8_t *key,
		size_t key_len)
{
	struct aead_key *k;

	if (!impl_valid(impl) || !alg_valid(alg) || key == NULL ||
	    key_len != alg_key_lens[alg])
		return NULL;
	/* the 64-byte aligned member makes sizeof a multiple of 64, as
	 * aligned_alloc requires */
	k = aligned_alloc(_Alignof(struct aead_key), sizeof(*k));
	if (k == NULL)
		return NULL;
	memset(k, 0, sizeof(*k));
	k->impl = impl;
	k->alg = alg;
	k->key_len = key_len;
	if (backends[impl]->key_init(k, key) != 0) {
		aead_key_free(k);
		return NULL;
	}
	return k;
}

void
aead_key_free(struct aead_key *k)
{
	if (k == NULL)
		return;
	/* round keys and GHASH tables are as secret as the key itself */
	explicit_bzero(k, sizeof(*k));
	free(k);
}

enum aead_alg
aead_key_alg(const struct aead_key *k)
{
	return k != NULL ? k->alg : AEAD_ALG_MAX;
}

/* A call the backend cannot take at all: every op it can reach fails. */
static unsigned
burst_reject(struct aead_op *ops, unsigned n)
{
	unsigned i;

	if (ops == NULL)
		return n;
	for (i = 0; i < n; i++)
		ops[i].status = AEAD_EINVAL;
	return n;
}

static unsigned
burst(struct aead_engine *e, struct aead_op *ops, unsigned n, int enc)
{
	if (unlikely(e == NULL || ops == NULL || n > AEAD_MAX_BURST))
		return burst_reject(ops, n);
	if (n == 0)
		return 0;
	return e->be->burst(e, ops, n, enc);
}

unsigned
aead_encrypt_burst(struct aead_engine *e, struct aead_op *ops, unsigned n)
{
	return burst(e, ops, n, 1);
}

unsigned
aead_decrypt_burst(struct aead_engine *e, struct aead_op *ops, unsigned n)
{
	return burst(e, ops, n, 0);
}
