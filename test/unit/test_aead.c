/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/crypto (aead.h), run on both backends:
 * published known-answer vectors, tamper detection, an intel-ipsec-mb vs
 * OpenSSL cross-check over every length 0..1500 in mixed bursts, and bad
 * ops. Needs no DPDK.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aead.h"

static const enum aead_impl impls[AEAD_IMPL_MAX] = { AEAD_IMPL_IMB, AEAD_IMPL_OSSL };

/* ---- helpers ---------------------------------------------------------- */

/* Hex string (whitespace ignored) to bytes. Returns the byte count. */
static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		assert_true(isxdigit((unsigned char)*s));
		v = isdigit((unsigned char)*s) ? *s - '0' :
						 tolower((unsigned char)*s) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < max);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

/* xorshift64*: small, fixed-seed PRNG so failures reproduce */
static uint64_t rng_state;

static void
rng_seed(uint64_t s)
{
	rng_state = s ? s : 1;
}

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void
rng_fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 56);
}

/* ---- known-answer vectors --------------------------------------------- */

struct kat {
	const char *name;
	enum aead_alg alg;
	const char *key;   /* cipher key, without salt */
	const char *nonce; /* salt || explicit IV */
	const char *aad;   /* ESP: SPI || seq (8), or SPI || seq hi || seq lo (12) */
	const char *pt;    /* hex, or NULL when pt_ascii is used */
	const char *pt_ascii;
	const char *ct;
	const char *tag;
};

/*
 * AES-GCM cases from draft-mcgrew-gcm-test-01 ("Test Cases for the use of
 * GCM and GMAC in IPsec ESP", the RFC 4106 companion), section 4. Each
 * plaintext is a whole ESP payload (inner packet + pad + pad length + next
 * header), the AAD is the ESP SPI and sequence number, the nonce the SA
 * salt followed by the ESP IV. Transcribed from the draft as mirrored in
 * public test suites (OpenBSD regress gmac_test.c for key/salt/IV/AAD/
 * ciphertext/tag, a Go GCM test for the plaintexts); both transcriptions
 * agree on every byte used here.
 */
static const struct kat kats[] = {
	{
		/* draft page 6: AES-128, ESN (12-byte AAD), 72-byte DNS packet */
		.name = "mcgrew-gcm-test-01 p6 aes128 esn",
		.alg = AEAD_AES128_GCM,
		.key = "4c80cdefbb5d10da906ac73c3613a634",
		.nonce = "2e443b68 4956ed7e3b244cfe",
		.aad = "00004321 87654321 00000000",
		.pt = "45000048699a000080114db7c0a80102c0a801010a9bf15638d30100"
		      "0001000000000000045f736970045f75647003736970096379626572"
		      "6369747902646b000021000101020201",
		.ct = "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa"
		      "13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff62"
		      "47aeabb786b93bce61bc17d768fd9732",
		.tag = "459018148f6cbe722fd04796562dfdb4",
	},
	{
		/* draft page 7: AES-128, 8-byte AAD, 64-byte DNS packet */
		.name = "mcgrew-gcm-test-01 p7 aes128",
		.alg = AEAD_AES128_GCM,
		.key = "feffe9928665731c6d6a8f9467308308",
		.nonce = "cafebabe facedbaddecaf888",
		.aad = "0000a5f8 0000000a",
		.pt = "4500003e698f000080114dccc0a80102c0a801010a980035002a2343"
		      "b2d001000001000000000000037369700963796265726369747902646b"
		      "00000100010001",
		.ct = "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d"
		      "114d2a5c3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4"
		      "ec3b9ba95d918bd1",
		.tag = "83b70d3aa8bc6ee4c309e9d85a41ad4a",
	},
	{
		/* draft page 8: AES-256, 8-byte AAD, 52-byte TCP SYN */
		.name = "mcgrew-gcm-test-01 p8 aes256",
		.alg = AEAD_AES256_GCM,
		.key = "abbccddef00112233445566778899aab"
		       "abbccddef00112233445566778899aab",
		.nonce = "11223344 0102030405060708",
		.aad = "4a2cbfe3 00000002",
		.pt = "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0"
		      "000000007002400020bf0000020405b40101040201020201",
		.ct = "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d"
		      "65a5d763748a637985771d347f0545659f14e99def842d8e",
		.tag = "b335f4eecfdbf831824b4c4915956c96",
	},
	{
		/* draft page 13: AES-256, ESN (12-byte AAD), 40-byte TCP */
		.name = "mcgrew-gcm-test-01 p13 aes256 esn",
		.alg = AEAD_AES256_GCM,
		.key = "abbccddef00112233445566778899aab"
		       "abbccddef00112233445566778899aab",
		.nonce = "73616c74 616e640169766563",
		.aad = "17405e67 156f3126 dd0db99b",
		.pt = "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbe"
		      "cb71260250101f646d540001",
		.ct = "f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a30"
		      "18d9a57ff4d3a31ce673119e",
		.tag = "451626c2415771e3b7eebca614c89b35",
	},
	{
		/* draft page 16: AES-128, 8-byte AAD, 4-byte dummy payload */
		.name = "mcgrew-gcm-test-01 p16 aes128 short",
		.alg = AEAD_AES128_GCM,
		.key = "7d773d00c144c525ac619d18c84a3f47",
		.nonce = "d9664267 43457e9182443bc6",
		.aad = "335467ae ffffffff",
		.pt = "01020201",
		.ct = "437f866b",
		.tag = "cb3f699fe9b0822bac961c4504bef270",
	},
	{
		/* RFC 7539 section 2.8.2: the AEAD_CHACHA20_POLY1305 example */
		.name = "rfc7539 2.8.2",
		.alg = AEAD_CHACHA20_POLY1305,
		.key = "808182838485868788898a8b8c8d8e8f"
		       "909192939495969798999a9b9c9d9e9f",
		.nonce = "07000000 4041424344454647",
		.aad = "50515253c0c1c2c3c4c5c6c7",
		.pt_ascii = "Ladies and Gentlemen of the class of '99: If I could "
			    "offer you only one tip for the future, sunscreen "
			    "would be it.",
		.ct = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a7"
		      "36ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b29"
		      "05d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4"
		      "fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b"
		      "6116",
		.tag = "1ae10b594f09e26a7e902ecbd0600691",
	},
	{
		/*
		 * RFC 7634 appendix A: ESP example, tunnel-mode ICMP echo
		 * (84 bytes) + 2 pad + pad length 2 + next header 4 (IPv4),
		 * SPI 0x01020304, seq 5, salt a0a1a2a3, IV 1011..17.
		 */
		.name = "rfc7634 appendix A esp",
		.alg = AEAD_CHACHA20_POLY1305,
		.key = "808182838485868788898a8b8c8d8e8f"
		       "909192939495969798999a9b9c9d9e9f",
		.nonce = "a0a1a2a3 1011121314151617",
		.aad = "01020304 00000005",
		.pt = "45000054a6f200004001e778c6336405c0000205"
		      "08005b7a3a080000553bec100007362708090a0b0c0d0e0f10111213"
		      "1415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
		      "303132333435363701020204",
		.ct = "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef"
		      "407ae5c614ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9"
		      "befe2facc638e8f3cbec163fac469b502773f6fb94e664da9165b828"
		      "29f641e0",
		.tag = "76aaa8266b7fb0f7b11b369907e1ad43",
	},
};

#define N_KATS (sizeof(kats) / sizeof(kats[0]))

/* A KAT decoded into bytes, with its key created for one impl. */
struct kat_bin {
	struct aead_key *key;
	uint8_t nonce[AEAD_NONCE_LEN];
	uint8_t aad[AEAD_MAX_AAD_LEN];
	size_t aad_len;
	uint8_t pt[256], ct[256], tag[AEAD_TAG_LEN];
	size_t len;
};

static void
kat_load(const struct kat *v, enum aead_impl impl, struct kat_bin *b)
{
	uint8_t key[64];
	size_t klen;

	memset(b, 0, sizeof(*b));
	klen = unhex(v->key, key, sizeof(key));
	assert_int_equal(klen, aead_key_len(v->alg));
	b->key = aead_key_create(impl, v->alg, key, klen);
	assert_non_null(b->key);
	assert_int_equal(aead_key_alg(b->key), v->alg);
	assert_int_equal(unhex(v->nonce, b->nonce, sizeof(b->nonce)), AEAD_NONCE_LEN);
	b->aad_len = unhex(v->aad, b->aad, sizeof(b->aad));
	if (v->pt != NULL) {
		b->len = unhex(v->pt, b->pt, sizeof(b->pt));
	} else {
		b->len = strlen(v->pt_ascii);
		memcpy(b->pt, v->pt_ascii, b->len);
	}
	assert_int_equal(unhex(v->ct, b->ct, sizeof(b->ct)), b->len);
	assert_int_equal(unhex(v->tag, b->tag, sizeof(b->tag)), AEAD_TAG_LEN);
}

/* Op over buf/tag with the KAT's key, nonce and AAD. */
static void
kat_op(const struct kat_bin *b, struct aead_op *op, uint8_t *buf, uint8_t *tag)
{
	memset(op, 0, sizeof(*op));
	op->key = b->key;
	op->data = buf;
	op->tag = tag;
	op->len = (uint32_t)b->len;
	op->aad_len = (uint32_t)b->aad_len;
	memcpy(op->nonce, b->nonce, AEAD_NONCE_LEN);
	memcpy(op->aad, b->aad, b->aad_len);
	op->status = 12345; /* must be overwritten */
}

/* ---- tests ------------------------------------------------------------ */

static void
test_names(void **state)
{
	enum aead_alg alg;
	enum aead_impl impl;
	unsigned i;

	(void)state;
	assert_int_equal(aead_key_len(AEAD_AES128_GCM), 16);
	assert_int_equal(aead_key_len(AEAD_AES256_GCM), 32);
	assert_int_equal(aead_key_len(AEAD_CHACHA20_POLY1305), 32);
	assert_int_equal(aead_key_len(AEAD_ALG_MAX), 0);
	assert_int_equal(aead_key_len((enum aead_alg)-1), 0);
	assert_string_equal(aead_alg_name(AEAD_AES128_GCM), "aes-128-gcm");
	assert_string_equal(aead_alg_name(AEAD_AES256_GCM), "aes-256-gcm");
	assert_string_equal(aead_alg_name(AEAD_CHACHA20_POLY1305), "chacha20-poly1305");
	assert_string_equal(aead_impl_name(AEAD_IMPL_IMB), "ipsec-mb");
	assert_string_equal(aead_impl_name(AEAD_IMPL_OSSL), "openssl");
	assert_non_null(aead_alg_name(AEAD_ALG_MAX));
	assert_non_null(aead_impl_name(AEAD_IMPL_MAX));

	for (i = 0; i < AEAD_ALG_MAX; i++) {
		alg = AEAD_ALG_MAX;
		assert_int_equal(aead_alg_parse(aead_alg_name(i), &alg), 0);
		assert_int_equal(alg, i);
	}
	for (i = 0; i < AEAD_IMPL_MAX; i++) {
		impl = AEAD_IMPL_MAX;
		assert_int_equal(aead_impl_parse(aead_impl_name(i), &impl), 0);
		assert_int_equal(impl, i);
	}
	alg = AEAD_AES256_GCM;
	assert_int_equal(aead_alg_parse("aes-192-gcm", &alg), -1);
	assert_int_equal(aead_alg_parse("AES-128-GCM", &alg), -1);
	assert_int_equal(aead_alg_parse("", &alg), -1);
	assert_int_equal(aead_alg_parse(NULL, &alg), -1);
	assert_int_equal(aead_alg_parse("aes-128-gcm", NULL), -1);
	assert_int_equal(alg, AEAD_AES256_GCM); /* untouched on failure */
	impl = AEAD_IMPL_OSSL;
	assert_int_equal(aead_impl_parse("ipsec", &impl), -1);
	assert_int_equal(aead_impl_parse(NULL, &impl), -1);
	assert_int_equal(aead_impl_parse("openssl", NULL), -1);
	assert_int_equal(impl, AEAD_IMPL_OSSL);
}

static void
test_engine_and_keys(void **state)
{
	uint8_t key[AEAD_MAX_KEY_LEN + 1] = { 0 };
	struct aead_engine *e;
	unsigned i, a;

	(void)state;
	assert_null(aead_engine_create(AEAD_IMPL_MAX));
	assert_null(aead_engine_create((enum aead_impl)-1));
	aead_engine_free(NULL);
	aead_key_free(NULL);
	assert_int_equal(aead_engine_impl(NULL), AEAD_IMPL_MAX);
	assert_int_equal(aead_key_alg(NULL), AEAD_ALG_MAX);
	assert_non_null(aead_engine_describe(NULL));

	for (i = 0; i < AEAD_IMPL_MAX; i++) {
		e = aead_engine_create(impls[i]);
		assert_non_null(e);
		assert_int_equal(aead_engine_impl(e), impls[i]);
		print_message("engine %s: %s\n", aead_impl_name(impls[i]),
			      aead_engine_describe(e));
		if (impls[i] == AEAD_IMPL_IMB)
			assert_non_null(strstr(aead_engine_describe(e),
					       "intel-ipsec-mb 1.3"));
		else
			assert_non_null(strstr(aead_engine_describe(e), "OpenSSL 3"));
		aead_engine_free(e);

		for (a = 0; a < AEAD_ALG_MAX; a++) {
			struct aead_key *k;
			size_t kl = aead_key_len(a);

			assert_null(aead_key_create(impls[i], a, NULL, kl));
			assert_null(aead_key_create(impls[i], a, key, kl - 1));
			assert_null(aead_key_create(impls[i], a, key, kl + 1));
			assert_null(aead_key_create(impls[i], a, key, 0));
			k = aead_key_create(impls[i], a, key, kl);
			assert_non_null(k);
			assert_int_equal(aead_key_alg(k), a);
			aead_key_free(k);
		}
		assert_null(aead_key_create(impls[i], AEAD_ALG_MAX, key, 16));
		assert_null(aead_key_create(impls[i], (enum aead_alg)-1, key, 16));
	}
	assert_null(aead_key_create(AEAD_IMPL_MAX, AEAD_AES128_GCM, key, 16));
}

/* Each KAT alone: encrypt gives the published ciphertext and tag, decrypt
 * of those gives the plaintext back. */
static void
kat_single(enum aead_impl impl)
{
	struct aead_engine *e = aead_engine_create(impl);
	unsigned i;

	assert_non_null(e);
	for (i = 0; i < N_KATS; i++) {
		struct kat_bin b;
		struct aead_op op;
		uint8_t buf[256], tag[AEAD_TAG_LEN];

		kat_load(&kats[i], impl, &b);
		memcpy(buf, b.pt, b.len);
		kat_op(&b, &op, buf, tag);
		assert_int_equal(aead_encrypt_burst(e, &op, 1), 0);
		assert_int_equal(op.status, AEAD_OK);
		assert_memory_equal(buf, b.ct, b.len);
		assert_memory_equal(tag, b.tag, AEAD_TAG_LEN);

		memcpy(buf, b.ct, b.len);
		memcpy(tag, b.tag, AEAD_TAG_LEN);
		kat_op(&b, &op, buf, tag);
		assert_int_equal(aead_decrypt_burst(e, &op, 1), 0);
		assert_int_equal(op.status, AEAD_OK);
		assert_memory_equal(buf, b.pt, b.len);
		aead_key_free(b.key);
	}
	aead_engine_free(e);
}

/* All KATs in one burst (mixed algorithms and keys), several copies each,
 * decrypted in reverse order: results must land on the right op. */
#define KAT_COPIES 4
static void
kat_burst(enum aead_impl impl)
{
	struct aead_engine *e = aead_engine_create(impl);
	struct kat_bin b[N_KATS];
	struct aead_op ops[N_KATS * KAT_COPIES];
	uint8_t buf[N_KATS * KAT_COPIES][256], tag[N_KATS * KAT_COPIES][AEAD_TAG_LEN];
	unsigned i, n = N_KATS * KAT_COPIES;

	assert_non_null(e);
	for (i = 0; i < N_KATS; i++)
		kat_load(&kats[i], impl, &b[i]);
	for (i = 0; i < n; i++) {
		const struct kat_bin *v = &b[i % N_KATS];

		memcpy(buf[i], v->pt, v->len);
		kat_op(v, &ops[i], buf[i], tag[i]);
	}
	assert_int_equal(aead_encrypt_burst(e, ops, n), 0);
	for (i = 0; i < n; i++) {
		const struct kat_bin *v = &b[i % N_KATS];

		assert_int_equal(ops[i].status, AEAD_OK);
		assert_memory_equal(buf[i], v->ct, v->len);
		assert_memory_equal(tag[i], v->tag, AEAD_TAG_LEN);
	}
	for (i = 0; i < n; i++) {
		unsigned j = n - 1 - i;
		const struct kat_bin *v = &b[j % N_KATS];

		memcpy(buf[i], v->ct, v->len);
		memcpy(tag[i], v->tag, AEAD_TAG_LEN);
		kat_op(v, &ops[i], buf[i], tag[i]);
	}
	assert_int_equal(aead_decrypt_burst(e, ops, n), 0);
	for (i = 0; i < n; i++) {
		const struct kat_bin *v = &b[(n - 1 - i) % N_KATS];

		assert_int_equal(ops[i].status, AEAD_OK);
		assert_memory_equal(buf[i], v->pt, v->len);
	}
	for (i = 0; i < N_KATS; i++)
		aead_key_free(b[i].key);
	aead_engine_free(e);
}

static void
test_kat_imb(void **state)
{
	(void)state;
	kat_single(AEAD_IMPL_IMB);
	kat_burst(AEAD_IMPL_IMB);
}

static void
test_kat_ossl(void **state)
{
	(void)state;
	kat_single(AEAD_IMPL_OSSL);
	kat_burst(AEAD_IMPL_OSSL);
}

/*
 * For each KAT one burst: the genuine packet between single-bit forgeries
 * of ciphertext, tag, AAD and nonce (bit position varies per vector).
 * Only the genuine op may verify.
 */
enum { T_NONE, T_CT, T_TAG, T_AAD, T_NONCE, T_AADLEN, T_MAX };

static void
tamper(enum aead_impl impl)
{
	struct aead_engine *e = aead_engine_create(impl);
	unsigned i, t;

	assert_non_null(e);
	for (i = 0; i < N_KATS; i++) {
		struct kat_bin b;
		struct aead_op ops[T_MAX];
		uint8_t buf[T_MAX][256], tag[T_MAX][AEAD_TAG_LEN];

		kat_load(&kats[i], impl, &b);
		for (t = 0; t < T_MAX; t++) {
			memcpy(buf[t], b.ct, b.len);
			memcpy(tag[t], b.tag, AEAD_TAG_LEN);
			kat_op(&b, &ops[t], buf[t], tag[t]);
		}
		buf[T_CT][(i * 7) % b.len] ^= (uint8_t)(1u << (i % 8));
		tag[T_TAG][(i * 5) % AEAD_TAG_LEN] ^= (uint8_t)(0x80u >> (i % 8));
		ops[T_AAD].aad[(i * 3) % b.aad_len] ^= 0x01;
		ops[T_NONCE].nonce[(i * 11) % AEAD_NONCE_LEN] ^= 0x40;
		/* same bytes, but the authenticated AAD is one byte shorter */
		ops[T_AADLEN].aad_len--;

		assert_int_equal(aead_decrypt_burst(e, ops, T_MAX), T_MAX - 1);
		assert_int_equal(ops[T_NONE].status, AEAD_OK);
		assert_memory_equal(buf[T_NONE], b.pt, b.len);
		for (t = T_NONE + 1; t < T_MAX; t++)
			assert_int_equal(ops[t].status, AEAD_EAUTH);
		aead_key_free(b.key);
	}
	aead_engine_free(e);
}

static void
test_tamper_imb(void **state)
{
	(void)state;
	tamper(AEAD_IMPL_IMB);
}

static void
test_tamper_ossl(void **state)
{
	(void)state;
	tamper(AEAD_IMPL_OSSL);
}

/* ---- cross-check ------------------------------------------------------ */

#define XC_MAX_LEN 1500
#define XC_KEYS 3 /* random keys per algorithm */
#define XC_BURST 32
#define XC_SEED 0x5eed0ae5d00dULL

struct xc_case {
	enum aead_alg alg;
	unsigned key;
	uint32_t len, aad_len;
	uint8_t nonce[AEAD_NONCE_LEN];
	uint8_t aad[AEAD_MAX_AAD_LEN];
};

struct xc_keys {
	struct aead_key *k[AEAD_IMPL_MAX][AEAD_ALG_MAX][XC_KEYS];
};

static void
xc_keys_create(struct xc_keys *ks)
{
	unsigned a, j, i;

	for (a = 0; a < AEAD_ALG_MAX; a++) {
		for (j = 0; j < XC_KEYS; j++) {
			uint8_t raw[AEAD_MAX_KEY_LEN];

			rng_fill(raw, sizeof(raw));
			for (i = 0; i < AEAD_IMPL_MAX; i++) {
				ks->k[i][a][j] = aead_key_create(impls[i], a, raw,
								 aead_key_len(a));
				assert_non_null(ks->k[i][a][j]);
			}
		}
	}
}

static void
xc_keys_free(struct xc_keys *ks)
{
	unsigned a, j, i;

	for (i = 0; i < AEAD_IMPL_MAX; i++)
		for (a = 0; a < AEAD_ALG_MAX; a++)
			for (j = 0; j < XC_KEYS; j++)
				aead_key_free(ks->k[i][a][j]);
}

/*
 * Runs cases[0..n) as bursts of burst_len. Every case is encrypted by both
 * backends (outputs must be identical byte for byte) and each ciphertext
 * is decrypted by the other backend. Buffers are allocated at their exact
 * length so ASan sees any access past op->len.
 */
static void
xc_run(struct aead_engine *eng[AEAD_IMPL_MAX], struct xc_keys *ks,
       const struct xc_case *cases, unsigned n, unsigned burst_len)
{
	unsigned base;

	for (base = 0; base < n; base += burst_len) {
		unsigned cnt = n - base < burst_len ? n - base : burst_len;
		struct aead_op ops[AEAD_IMPL_MAX][AEAD_MAX_BURST];
		uint8_t *pt[AEAD_MAX_BURST], *buf[AEAD_IMPL_MAX][AEAD_MAX_BURST];
		uint8_t tag[AEAD_IMPL_MAX][AEAD_MAX_BURST][AEAD_TAG_LEN];
		unsigned i, j;

		for (j = 0; j < cnt; j++) {
			const struct xc_case *c = &cases[base + j];
			size_t sz = c->len ? c->len : 1;

			pt[j] = malloc(sz);
			assert_non_null(pt[j]);
			rng_fill(pt[j], c->len);
			for (i = 0; i < AEAD_IMPL_MAX; i++) {
				struct aead_op *op = &ops[i][j];

				buf[i][j] = malloc(sz);
				assert_non_null(buf[i][j]);
				memcpy(buf[i][j], pt[j], c->len);
				memset(op, 0, sizeof(*op));
				op->key = ks->k[i][c->alg][c->key];
				op->data = buf[i][j];
				op->tag = tag[i][j];
				op->len = c->len;
				op->aad_len = c->aad_len;
				memcpy(op->nonce, c->nonce, AEAD_NONCE_LEN);
				memcpy(op->aad, c->aad, AEAD_MAX_AAD_LEN);
				op->status = 777;
			}
		}
		for (i = 0; i < AEAD_IMPL_MAX; i++)
			assert_int_equal(aead_encrypt_burst(eng[i], ops[i], cnt), 0);
		for (j = 0; j < cnt; j++) {
			const struct xc_case *c = &cases[base + j];

			for (i = 0; i < AEAD_IMPL_MAX; i++)
				assert_int_equal(ops[i][j].status, AEAD_OK);
			if (memcmp(buf[0][j], buf[1][j], c->len) != 0 ||
			    memcmp(tag[0][j], tag[1][j], AEAD_TAG_LEN) != 0)
				fail_msg("encrypt mismatch: %s len %u aad %u key %u",
					 aead_alg_name(c->alg), c->len,
					 c->aad_len, c->key);
			/* guards against both backends doing nothing */
			if (c->len >= 16)
				assert_memory_not_equal(buf[0][j], pt[j], c->len);
		}
		/* swap: each backend opens what the other one sealed */
		for (i = 0; i < AEAD_IMPL_MAX; i++)
			for (j = 0; j < cnt; j++)
				ops[i][j].key = ks->k[1 - i][cases[base + j].alg]
						      [cases[base + j].key];
		assert_int_equal(aead_decrypt_burst(eng[1], ops[0], cnt), 0);
		assert_int_equal(aead_decrypt_burst(eng[0], ops[1], cnt), 0);
		for (j = 0; j < cnt; j++) {
			const struct xc_case *c = &cases[base + j];

			for (i = 0; i < AEAD_IMPL_MAX; i++) {
				assert_int_equal(ops[i][j].status, AEAD_OK);
				if (memcmp(buf[i][j], pt[j], c->len) != 0)
					fail_msg("decrypt mismatch: %s len %u",
						 aead_alg_name(c->alg), c->len);
				free(buf[i][j]);
			}
			free(pt[j]);
		}
	}
}

static void
xc_case_random(struct xc_case *c, enum aead_alg alg, uint32_t len)
{
	memset(c, 0, sizeof(*c));
	c->alg = alg;
	c->len = len;
	c->key = (unsigned)(rng() % XC_KEYS);
	c->aad_len = (rng() & 1) ? 12 : 8;
	rng_fill(c->nonce, AEAD_NONCE_LEN);
	rng_fill(c->aad, c->aad_len);
}

/*
 * Every length 0..1500 for each algorithm, shuffled into bursts of 32 that
 * mix algorithms, keys and lengths: where intel-ipsec-mb runs ChaCha20
 * multi-buffer (AVX-512) jobs come back late and out of submission order,
 * and results must still land on the right op.
 */
static void
test_cross_check(void **state)
{
	const unsigned n = (XC_MAX_LEN + 1) * AEAD_ALG_MAX;
	struct aead_engine *eng[AEAD_IMPL_MAX];
	struct xc_keys ks;
	struct xc_case *cases;
	unsigned i, a, len;

	(void)state;
	rng_seed(XC_SEED);
	for (i = 0; i < AEAD_IMPL_MAX; i++) {
		eng[i] = aead_engine_create(impls[i]);
		assert_non_null(eng[i]);
	}
	xc_keys_create(&ks);
	cases = calloc(n, sizeof(*cases));
	assert_non_null(cases);
	i = 0;
	for (a = 0; a < AEAD_ALG_MAX; a++)
		for (len = 0; len <= XC_MAX_LEN; len++)
			xc_case_random(&cases[i++], a, len);
	/* Fisher-Yates */
	for (i = n - 1; i > 0; i--) {
		unsigned j = (unsigned)(rng() % (i + 1));
		struct xc_case t = cases[i];

		cases[i] = cases[j];
		cases[j] = t;
	}
	xc_run(eng, &ks, cases, n, XC_BURST);

	free(cases);
	xc_keys_free(&ks);
	for (i = 0; i < AEAD_IMPL_MAX; i++)
		aead_engine_free(eng[i]);
}

/*
 * Edge bursts: a full AEAD_MAX_BURST of ChaCha20 jobs (more than the job
 * manager's lanes, fewer than its queue) with mixed lengths, and the
 * largest accepted length for every algorithm.
 */
static void
test_cross_edges(void **state)
{
	struct aead_engine *eng[AEAD_IMPL_MAX];
	struct xc_keys ks;
	struct xc_case cases[AEAD_MAX_BURST];
	unsigned i, a;

	(void)state;
	rng_seed(XC_SEED + 1);
	for (i = 0; i < AEAD_IMPL_MAX; i++) {
		eng[i] = aead_engine_create(impls[i]);
		assert_non_null(eng[i]);
	}
	xc_keys_create(&ks);
	for (i = 0; i < AEAD_MAX_BURST; i++)
		xc_case_random(&cases[i], AEAD_CHACHA20_POLY1305,
			       (uint32_t)(rng() % 2048));
	xc_run(eng, &ks, cases, AEAD_MAX_BURST, AEAD_MAX_BURST);

	for (a = 0; a < AEAD_ALG_MAX; a++) {
		xc_case_random(&cases[a], a, 65535);
		cases[a].aad_len = AEAD_MAX_AAD_LEN;
		rng_fill(cases[a].aad, AEAD_MAX_AAD_LEN);
	}
	xc_run(eng, &ks, cases, AEAD_ALG_MAX, AEAD_ALG_MAX);

	xc_keys_free(&ks);
	for (i = 0; i < AEAD_IMPL_MAX; i++)
		aead_engine_free(eng[i]);
}

/* ---- bad ops ---------------------------------------------------------- */

enum {
	B_GOOD_GCM,
	B_NULL_KEY,
	B_NULL_DATA,
	B_NULL_TAG,
	B_OVERSIZE,
	B_HUGE,
	B_AAD_LONG,
	B_OTHER_IMPL,
	B_GOOD_CHACHA,
	B_MAX
};

static void
bad_ops(enum aead_impl impl)
{
	static const uint8_t raw[AEAD_MAX_KEY_LEN] = { 1, 2, 3 };
	struct aead_engine *e = aead_engine_create(impl);
	struct aead_key *gcm, *cc, *other;
	struct aead_op ops[B_MAX], ref[B_MAX];
	uint8_t buf[B_MAX][64], tag[B_MAX][AEAD_TAG_LEN], pt[64];
	unsigned i, enc;

	assert_non_null(e);
	gcm = aead_key_create(impl, AEAD_AES256_GCM, raw, 32);
	cc = aead_key_create(impl, AEAD_CHACHA20_POLY1305, raw, 32);
	other = aead_key_create(impl == AEAD_IMPL_IMB ? AEAD_IMPL_OSSL : AEAD_IMPL_IMB,
				AEAD_AES256_GCM, raw, 32);
	assert_non_null(gcm);
	assert_non_null(cc);
	assert_non_null(other);
	memset(pt, 0xa5, sizeof(pt));

	for (i = 0; i < B_MAX; i++) {
		memset(&ref[i], 0, sizeof(ref[i]));
		ref[i].key = i == B_GOOD_CHACHA ? cc : gcm;
		ref[i].len = sizeof(buf[i]);
		ref[i].aad_len = 8;
		ref[i].nonce[0] = (uint8_t)i;
	}
	ref[B_NULL_KEY].key = NULL;
	ref[B_OVERSIZE].len = 65536;
	ref[B_HUGE].len = UINT32_MAX;
	ref[B_AAD_LONG].aad_len = AEAD_MAX_AAD_LEN + 1;
	ref[B_OTHER_IMPL].key = other;

	/* both directions reject the same ops and still do the good ones */
	for (enc = 0; enc < 2; enc++) {
		memcpy(ops, ref, sizeof(ops));
		for (i = 0; i < B_MAX; i++) {
			memcpy(buf[i], pt, sizeof(pt));
			ops[i].data = buf[i];
			ops[i].tag = tag[i];
			ops[i].status = 99;
			memset(tag[i], 0, AEAD_TAG_LEN);
		}
		ops[B_NULL_DATA].data = NULL;
		ops[B_NULL_TAG].tag = NULL;
		if (enc) {
			assert_int_equal(aead_encrypt_burst(e, ops, B_MAX), B_MAX - 2);
		} else {
			/* decrypt garbage: the good ops fail the tag check */
			assert_int_equal(aead_decrypt_burst(e, ops, B_MAX), B_MAX);
		}
		for (i = 0; i < B_MAX; i++) {
			int want = AEAD_EINVAL;

			if (i == B_GOOD_GCM || i == B_GOOD_CHACHA)
				want = enc ? AEAD_OK : AEAD_EAUTH;
			assert_int_equal(ops[i].status, want);
			/* rejected ops leave the data untouched */
			if (want == AEAD_EINVAL && ops[i].data != NULL)
				assert_memory_equal(buf[i], pt, sizeof(pt));
		}
	}

	/* the good ops' output still decrypts: bad neighbours did no harm */
	memcpy(ops, ref, sizeof(ops));
	for (i = 0; i < B_MAX; i++) {
		memcpy(buf[i], pt, sizeof(pt));
		ops[i].data = buf[i];
		ops[i].tag = tag[i];
	}
	/* data and tag are set on every op this time: 5 bad ones remain */
	assert_int_equal(aead_encrypt_burst(e, ops, B_MAX), 5);
	assert_int_equal(ops[B_NULL_DATA].status, AEAD_OK);
	ops[0] = ops[B_GOOD_GCM];
	ops[1] = ops[B_GOOD_CHACHA];
	assert_int_equal(aead_decrypt_burst(e, ops, 2), 0);
	assert_memory_equal(buf[B_GOOD_GCM], pt, sizeof(pt));
	assert_memory_equal(buf[B_GOOD_CHACHA], pt, sizeof(pt));

	/* whole-call errors */
	assert_int_equal(aead_encrypt_burst(e, ops, 0), 0);
	assert_int_equal(aead_encrypt_burst(e, NULL, 4), 4);
	assert_int_equal(aead_decrypt_burst(e, NULL, 0), 0);
	assert_int_equal(aead_encrypt_burst(NULL, ops, 2), 2);
	assert_int_equal(ops[0].status, AEAD_EINVAL);
	assert_int_equal(ops[1].status, AEAD_EINVAL);
	{
		struct aead_op *many = calloc(AEAD_MAX_BURST + 1, sizeof(*many));

		assert_non_null(many);
		assert_int_equal(aead_decrypt_burst(e, many, AEAD_MAX_BURST + 1),
				 AEAD_MAX_BURST + 1);
		for (i = 0; i <= AEAD_MAX_BURST; i++)
			assert_int_equal(many[i].status, AEAD_EINVAL);
		free(many);
	}

	aead_key_free(gcm);
	aead_key_free(cc);
	aead_key_free(other);
	aead_engine_free(e);
}

static void
test_bad_ops_imb(void **state)
{
	(void)state;
	bad_ops(AEAD_IMPL_IMB);
}

static void
test_bad_ops_ossl(void **state)
{
	(void)state;
	bad_ops(AEAD_IMPL_OSSL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_engine_and_keys),
		cmocka_unit_test(test_kat_imb),
		cmocka_unit_test(test_kat_ossl),
		cmocka_unit_test(test_tamper_imb),
		cmocka_unit_test(test_tamper_ossl),
		cmocka_unit_test(test_cross_check),
		cmocka_unit_test(test_cross_edges),
		cmocka_unit_test(test_bad_ops_imb),
		cmocka_unit_test(test_bad_ops_ossl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
