/* SPDX-License-Identifier: BSD-3-Clause */
/* The physical limit: lib/crypto's aead_encrypt_burst (the calls the
 * gateway's workers make) on bursts of 32 buffers in memory, one core, no
 * I/O. Gbit/s here count the encrypted bytes (the buffer sizes). */
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "run.h"

#define CRYPTO_BURST 32u
#define CRYPTO_AAD_LEN 8u

struct crypto_bufs {
	uint8_t *data[CRYPTO_BURST];
	uint8_t tags[CRYPTO_BURST][AEAD_TAG_LEN];
	struct aead_op ops[CRYPTO_BURST];
};

static void free_bufs(struct crypto_bufs *b)
{
	for (unsigned i = 0; i < CRYPTO_BURST; i++) {
		free(b->data[i]);
		b->data[i] = NULL;
	}
}

/* One burst of ops over the buffers; sizes cycle through seq. */
static void setup_ops(struct crypto_bufs *b, const struct aead_key *k, const uint16_t *seq,
		      unsigned n_seq)
{
	for (unsigned i = 0; i < CRYPTO_BURST; i++) {
		struct aead_op *op = &b->ops[i];

		memset(op, 0, sizeof(*op));
		op->key = k;
		op->data = b->data[i];
		op->tag = b->tags[i];
		op->len = seq[i % n_seq];
		op->aad_len = CRYPTO_AAD_LEN;
		memset(op->aad, 0xa5, CRYPTO_AAD_LEN);
		memset(op->nonce, 0x5a, 4); /* salt */
	}
}

/* Encrypt, decrypt, compare: the engine does what it claims before we
 * time it. */
static int self_check(struct aead_engine *e, struct crypto_bufs *b)
{
	unsigned bad;

	for (unsigned i = 0; i < CRYPTO_BURST; i++)
		for (uint32_t j = 0; j < b->ops[i].len; j++)
			b->data[i][j] = (uint8_t)(i * 31 + j);
	bad = aead_encrypt_burst(e, b->ops, CRYPTO_BURST);
	bad += aead_decrypt_burst(e, b->ops, CRYPTO_BURST);
	for (unsigned i = 0; i < CRYPTO_BURST && bad == 0; i++)
		for (uint32_t j = 0; j < b->ops[i].len; j++)
			if (b->data[i][j] != (uint8_t)(i * 31 + j)) {
				bad++;
				break;
			}
	return bad ? -1 : 0;
}

int perf_run_crypto(const struct perf_opts *o, volatile sig_atomic_t *stop, FILE *out,
		    char *err, size_t errlen)
{
	static struct crypto_bufs b;
	uint8_t key[AEAD_MAX_KEY_LEN];
	uint16_t seq[PERF_IMIX_LEN];
	unsigned n_seq = perf_size_seq(o, seq, PERF_IMIX_LEN);
	struct aead_engine *e = NULL;
	struct aead_key *k = NULL;
	uint64_t hz = rte_get_tsc_hz(), start, now, end, pkts = 0, bytes = 0, ctr = 0, fails = 0;
	uint64_t burst_bytes = 0;
	double s;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	for (unsigned i = 0; i < CRYPTO_BURST; i++) {
		b.data[i] = aligned_alloc(64, 2048);
		if (b.data[i] == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	/* Not a secret: a benchmark key, wiped anyway. */
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x11 * i + 7);
	e = aead_engine_create(o->impl);
	if (e == NULL) {
		snprintf(err, errlen, "cannot create a %s engine on this CPU", aead_impl_name(o->impl));
		goto out;
	}
	k = aead_key_create(o->impl, o->cipher, key, aead_key_len(o->cipher));
	explicit_bzero(key, sizeof(key));
	if (k == NULL) {
		snprintf(err, errlen, "cannot create a %s key", aead_alg_name(o->cipher));
		goto out;
	}
	setup_ops(&b, k, seq, n_seq);
	if (self_check(e, &b) != 0) {
		snprintf(err, errlen, "self check failed: %s %s does not decrypt what it encrypted",
			 aead_impl_name(o->impl), aead_alg_name(o->cipher));
		goto out;
	}
	for (unsigned i = 0; i < CRYPTO_BURST; i++)
		burst_bytes += b.ops[i].len;
	start = rte_rdtsc();
	end = start + (uint64_t)(o->duration_s * (double)hz);
	do {
		/* A fresh explicit IV per op, as ESP's sequence number gives. */
		for (unsigned i = 0; i < CRYPTO_BURST; i++) {
			ctr++;
			memcpy(b.ops[i].nonce + 4, &ctr, 8);
		}
		fails += aead_encrypt_burst(e, b.ops, CRYPTO_BURST);
		pkts += CRYPTO_BURST;
		bytes += burst_bytes;
		now = rte_rdtsc();
	} while (now < end && !*stop);
	if (fails) {
		snprintf(err, errlen, "%lu ops failed", (unsigned long)fails);
		goto out;
	}
	s = (double)(now - start) / (double)hz;
	if (o->json)
		fprintf(out, "{\"mode\":\"crypto\",\"cipher\":\"%s\",\"impl\":\"%s\",\"engine\":\"%s\","
			"\"size\":%u,\"imix\":%s,\"burst\":%u,\"seconds\":%.6f,\"packets\":%lu,"
			"\"bytes\":%lu,\"mpps\":%.6f,\"gbps\":%.6f,\"cycles_per_packet\":%.3f,"
			"\"cycles_per_byte\":%.4f,\"tsc_hz\":%lu,\"gbps_is\":\"buffer bytes x 8\"}\n",
			aead_alg_name(o->cipher), aead_impl_name(o->impl), aead_engine_describe(e),
			o->imix ? 0 : o->size, o->imix ? "true" : "false", CRYPTO_BURST, s,
			(unsigned long)pkts, (unsigned long)bytes, (double)pkts / s / 1e6,
			(double)bytes * 8 / s / 1e9, (double)(now - start) / (double)pkts,
			(double)(now - start) / (double)bytes, (unsigned long)hz);
	else
		fprintf(out, "crypto %s %s (%s), %s%u bytes, burst %u, %.2f s: %.3f Mpps  "
			"%.2f Gbit/s  %.1f cycles/packet  %.3f cycles/byte\n",
			aead_alg_name(o->cipher), aead_impl_name(o->impl), aead_engine_describe(e),
			o->imix ? "IMIX avg " : "",
			o->imix ? (unsigned)(perf_size_seq_avg(seq, n_seq) + 0.5) : o->size,
			CRYPTO_BURST, s, (double)pkts / s / 1e6, (double)bytes * 8 / s / 1e9,
			(double)(now - start) / (double)pkts, (double)(now - start) / (double)bytes);
	rc = 0;
out:
	aead_key_free(k);
	aead_engine_free(e);
	free_bufs(&b);
	return rc;
}
