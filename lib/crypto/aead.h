/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aead: one burst interface over the AEAD ciphers ESP needs
 * (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305), with two backends:
 * intel-ipsec-mb (the fast path) and OpenSSL EVP (reference and fallback).
 *
 * The library knows nothing about ESP or mbufs: an op is a key, a 12-byte
 * nonce, up to 16 bytes of AAD and a buffer encrypted or decrypted in place
 * with a detached 16-byte tag. Callers build a whole burst of ops and hand
 * it over in one call, so a backend can batch (multi-buffer ChaCha20).
 */
#ifndef PMDVPN_AEAD_H
#define PMDVPN_AEAD_H

#include <stddef.h>
#include <stdint.h>

enum aead_alg {
	AEAD_AES128_GCM,
	AEAD_AES256_GCM,
	AEAD_CHACHA20_POLY1305,
	AEAD_ALG_MAX
};

enum aead_impl {
	AEAD_IMPL_IMB,  /* intel-ipsec-mb */
	AEAD_IMPL_OSSL, /* OpenSSL EVP */
	AEAD_IMPL_MAX
};

#define AEAD_NONCE_LEN 12   /* 4-byte salt + 8-byte explicit IV (RFC 4106, 7634) */
#define AEAD_TAG_LEN 16
#define AEAD_MAX_AAD_LEN 16 /* ESP uses 8, or 12 with extended sequence numbers */
#define AEAD_MAX_KEY_LEN 32
#define AEAD_MAX_BURST 256  /* most ops one burst call accepts */

/* op status after a burst */
#define AEAD_OK 0
#define AEAD_EAUTH (-1) /* decrypt: tag did not verify (data content undefined) */
#define AEAD_EINVAL (-2) /* bad op (NULL key, length too large, ...) */

/* Cipher key length in bytes, without salt: 16 or 32. 0 for bad alg. */
size_t aead_key_len(enum aead_alg alg);
/* "aes-128-gcm", "aes-256-gcm", "chacha20-poly1305" */
const char *aead_alg_name(enum aead_alg alg);
/* Parses the names above. Returns 0, or -1 for an unknown name. */
int aead_alg_parse(const char *name, enum aead_alg *alg);
/* "ipsec-mb", "openssl" */
const char *aead_impl_name(enum aead_impl impl);
int aead_impl_parse(const char *name, enum aead_impl *impl);

/*
 * An engine is the per-lcore crypto context (an IMB_MGR, or OpenSSL
 * contexts). It is not thread safe: one per lcore. create() returns NULL
 * on failure (e.g. the CPU lacks what the backend needs).
 */
struct aead_engine;
struct aead_engine *aead_engine_create(enum aead_impl impl);
void aead_engine_free(struct aead_engine *e);
enum aead_impl aead_engine_impl(const struct aead_engine *e);
/* Human readable description, e.g. "intel-ipsec-mb 1.3.0 avx512". */
const char *aead_engine_describe(const struct aead_engine *e);

/*
 * An expanded key for one SA and one direction. Usable concurrently by
 * engines of the same impl on different lcores (read only after create).
 * key_len must equal aead_key_len(alg). The library copies what it needs;
 * aead_key_free() wipes it. Returns NULL on bad arguments or no memory.
 */
struct aead_key;
struct aead_key *aead_key_create(enum aead_impl impl, enum aead_alg alg,
				 const uint8_t *key, size_t key_len);
void aead_key_free(struct aead_key *k);
enum aead_alg aead_key_alg(const struct aead_key *k);

struct aead_op {
	const struct aead_key *key;
	uint8_t *data;     /* encrypted / decrypted in place */
	uint8_t *tag;      /* AEAD_TAG_LEN bytes: written by encrypt, read by decrypt */
	uint32_t len;      /* bytes at data, may be 0 */
	uint32_t aad_len;  /* bytes used in aad[] */
	uint8_t nonce[AEAD_NONCE_LEN];
	uint8_t aad[AEAD_MAX_AAD_LEN];
	int status;        /* out: AEAD_OK, AEAD_EAUTH, AEAD_EINVAL */
};

/*
 * Process n ops (n <= AEAD_MAX_BURST) in place. Ops may mix keys and
 * algorithms. Every op gets a status. Returns the number of ops whose
 * status is not AEAD_OK.
 */
unsigned aead_encrypt_burst(struct aead_engine *e, struct aead_op *ops, unsigned n);
unsigned aead_decrypt_burst(struct aead_engine *e, struct aead_op *ops, unsigned n);

#endif
