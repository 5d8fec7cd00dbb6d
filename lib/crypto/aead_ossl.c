/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenSSL 3 EVP backend: the reference implementation the intel-ipsec-mb
 * backend is checked against, and the fallback on CPUs it does not cover.
 *
 * Keys hold only the raw key, so one key can serve engines on several
 * lcores at once; each engine owns one EVP_CIPHER_CTX per algorithm,
 * bound to its (explicitly fetched) cipher once at creation. Per op only
 * key and nonce are loaded, which reuses the provider context instead of
 * allocating a new one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aead.h"
#include "aead_priv.h"

static const char *const ossl_cipher_names[AEAD_ALG_MAX] = {
	[AEAD_AES128_GCM] = "AES-128-GCM",
	[AEAD_AES256_GCM] = "AES-256-GCM",
	[AEAD_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
};

struct ossl_engine {
	EVP_CIPHER *cipher[AEAD_ALG_MAX];
	EVP_CIPHER_CTX *ctx[AEAD_ALG_MAX];
};

static void
ossl_engine_fini(struct aead_engine *e)
{
	struct ossl_engine *oe = e->priv;
	unsigned i;

	if (oe == NULL)
		return;
	for (i = 0; i < AEAD_ALG_MAX; i++) {
		/* the provider clears its key schedule when freeing */
		EVP_CIPHER_CTX_free(oe->ctx[i]);
		EVP_CIPHER_free(oe->cipher[i]);
	}
	free(oe);
	e->priv = NULL;
}

static int
ossl_engine_init(struct aead_engine *e)
{
	struct ossl_engine *oe;
	unsigned i;

	oe = calloc(1, sizeof(*oe));
	if (oe == NULL)
		return -1;
	e->priv = oe;
	for (i = 0; i < AEAD_ALG_MAX; i++) {
		oe->cipher[i] = EVP_CIPHER_fetch(NULL, ossl_cipher_names[i], NULL);
		oe->ctx[i] = EVP_CIPHER_CTX_new();
		if (oe->cipher[i] == NULL || oe->ctx[i] == NULL ||
		    !EVP_CipherInit_ex2(oe->ctx[i], oe->cipher[i], NULL, NULL,
					1, NULL)) {
			ossl_engine_fini(e);
			return -1;
		}
	}
	snprintf(e->desc, sizeof(e->desc), "%s (EVP)",
		 OpenSSL_version(OPENSSL_VERSION));
	return 0;
}

static int
ossl_key_init(struct aead_key *k, const uint8_t *key)
{
	memcpy(k->u.raw, key, k->key_len);
	return 0;
}

/* One op, start to finish. Returns its status. */
static int
ossl_op(EVP_CIPHER_CTX *ctx, struct aead_op *op, int enc)
{
	uint8_t fin[EVP_MAX_BLOCK_LENGTH];
	int outl;

	if (unlikely(!EVP_CipherInit_ex2(ctx, NULL, op->key->u.raw, op->nonce,
					 enc, NULL)))
		return AEAD_EINVAL;
	if (op->aad_len != 0 &&
	    unlikely(!EVP_CipherUpdate(ctx, NULL, &outl, op->aad,
				       (int)op->aad_len)))
		return AEAD_EINVAL;
	if (op->len != 0 &&
	    unlikely(!EVP_CipherUpdate(ctx, op->data, &outl, op->data,
				       (int)op->len)))
		return AEAD_EINVAL;
	if (enc) {
		if (unlikely(!EVP_CipherFinal_ex(ctx, fin, &outl) ||
			     !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
						  AEAD_TAG_LEN, op->tag)))
			return AEAD_EINVAL;
		return AEAD_OK;
	}
	if (unlikely(!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					  AEAD_TAG_LEN, op->tag)))
		return AEAD_EINVAL;
	/* Final is where the provider compares the tag (in constant time) */
	if (unlikely(!EVP_CipherFinal_ex(ctx, fin, &outl)))
		return AEAD_EAUTH;
	return AEAD_OK;
}

static unsigned
ossl_burst(struct aead_engine *e, struct aead_op *ops, unsigned n, int enc)
{
	struct ossl_engine *oe = e->priv;
	unsigned i, bad = 0;

	for (i = 0; i < n; i++) {
		struct aead_op *op = &ops[i];

		op->status = aead_op_check(op, AEAD_IMPL_OSSL);
		if (likely(op->status == AEAD_OK))
			op->status = ossl_op(oe->ctx[op->key->alg], op, enc);
		bad += op->status != AEAD_OK;
	}
	return bad;
}

const struct aead_backend aead_ossl_backend = {
	.engine_init = ossl_engine_init,
	.engine_fini = ossl_engine_fini,
	.key_init = ossl_key_init,
	.burst = ossl_burst,
};
