/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/esp: round trips over every cipher, ESN and
 * encapsulation choice and every inner length; a known-answer check
 * against an independent reference (OpenSSL EVP used directly, headers
 * built by hand here); every drop cause; and no leaked mbufs anywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include "aead.h"
#include "esp.h"
#include "esp_wire.h"
#include "replay.h"
#include "sa.h"
#include "test_eal.h"

#define POOL_SIZE 512
#define BURST 32
#define WAN_MTU 1500
#define PKT_MAX 2048
/* RTE_IPV4() shifts an int: undefined for a >= 128 */
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define SRC_IP IP4(192, 0, 2, 1)
#define DST_IP IP4(198, 51, 100, 2)
#define SPORT 4500
#define DPORT 4501 /* a peer behind NAT: differs from ours, so a swap shows */
#define INNER_TOS 0xb9 /* DSCP EF and an ECN bit that must not be copied */
#define OUTER_TOS 0xb8

static struct rte_mempool *mp;
static struct aead_engine *engines[AEAD_IMPL_MAX];
static unsigned n_impls;
static enum aead_impl impls[AEAD_IMPL_MAX];

/* ---------------------------------------------------------------- */
/* Independent reference: OpenSSL EVP and headers written by hand.  */

static const EVP_CIPHER *ref_cipher(enum aead_alg alg)
{
	switch (alg) {
	case AEAD_AES128_GCM:
		return EVP_aes_128_gcm();
	case AEAD_AES256_GCM:
		return EVP_aes_256_gcm();
	default:
		return EVP_chacha20_poly1305();
	}
}

/* enc: out = E(in), tag written. !enc: out = D(in), returns 0 iff the tag verifies. */
static int ref_aead(int enc, enum aead_alg alg, const uint8_t *key, const uint8_t *nonce,
		    const uint8_t *aad, int aad_len, const uint8_t *in, int len, uint8_t *out,
		    uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl, ok = 1;

	assert_non_null(c);
	ok &= EVP_CipherInit_ex(c, ref_cipher(alg), NULL, NULL, NULL, enc) == 1;
	ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1;
	ok &= EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1;
	ok &= EVP_CipherUpdate(c, NULL, &outl, aad, aad_len) == 1;
	ok &= EVP_CipherUpdate(c, out, &outl, in, len) == 1;
	if (!enc)
		ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1;
	if (EVP_CipherFinal_ex(c, out + outl, &outl) != 1)
		ok = 0;
	if (enc)
		ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* RFC 1071 checksum of a header: 0 when a header with its checksum is summed. */
static uint16_t ref_cksum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void ref_aad(uint8_t *aad, int *aad_len, uint32_t spi, uint64_t seq, int esn)
{
	put32(aad, spi);
	if (esn) {
		put32(aad + 4, (uint32_t)(seq >> 32));
		put32(aad + 8, (uint32_t)seq);
		*aad_len = 12;
	} else {
		put32(aad + 4, (uint32_t)seq);
		*aad_len = 8;
	}
}

/* A test SA pair (outbound and inbound of the same SPI and key). */
struct tsa {
	struct sa_out *out;
	struct sa_in *in;
	struct sa_table *t;
	enum aead_alg alg;
	uint32_t spi;
	int esn, udp;
	uint8_t keymat[AEAD_MAX_KEY_LEN + SA_SALT_LEN];
	size_t key_len;
};

static void ref_nonce(const struct tsa *s, uint64_t seq, uint8_t *nonce)
{
	memcpy(nonce, s->keymat + s->key_len, SA_SALT_LEN);
	put32(nonce + 4, (uint32_t)(seq >> 32));
	put32(nonce + 8, (uint32_t)seq);
}

/*
 * The ESP packet our design prescribes (outer IPv4 with DSCP, id = low
 * 16 bits of seq, DF clear, TTL 64; UDP checksum 0; IV = seq) around the
 * plaintext pt (inner packet, padding and trailer, as the caller wants
 * them, possibly wrong). Returns the length.
 */
static uint32_t ref_build(uint8_t *out, const struct tsa *s, uint64_t seq, const uint8_t *pt,
			  uint32_t pt_len, uint8_t tos)
{
	uint32_t off = 20 + (s->udp ? 8 : 0), total = off + 16 + pt_len + 16;
	uint8_t aad[12], nonce[12];
	int aad_len;

	memset(out, 0, off);
	out[0] = 0x45;
	out[1] = tos;
	put16(out + 2, (uint16_t)total);
	put16(out + 4, (uint16_t)seq);
	out[8] = 64;
	out[9] = s->udp ? 17 : 50;
	put32(out + 12, SRC_IP);
	put32(out + 16, DST_IP);
	put16(out + 10, ref_cksum(out, 20));
	if (s->udp) {
		put16(out + 20, SPORT);
		put16(out + 22, DPORT);
		put16(out + 24, (uint16_t)(total - 20));
	}
	put32(out + off, s->spi);
	put32(out + off + 4, (uint32_t)seq);
	put32(out + off + 8, (uint32_t)(seq >> 32));
	put32(out + off + 12, (uint32_t)seq);
	ref_nonce(s, seq, nonce);
	ref_aad(aad, &aad_len, s->spi, seq, s->esn);
	assert_int_equal(ref_aead(1, s->alg, s->keymat, nonce, aad, aad_len, pt, (int)pt_len,
				  out + off + 16, out + off + 16 + pt_len), 0);
	return total;
}

/* inner || 1, 2, ... pad || pad length || next header, RFC 4303 2.4. */
static uint32_t ref_plaintext(uint8_t *pt, const uint8_t *inner, uint32_t len, uint8_t nh)
{
	uint32_t pad = (4 - (len + 2) % 4) % 4;

	memcpy(pt, inner, len);
	for (uint32_t i = 0; i < pad; i++)
		pt[len + i] = (uint8_t)(i + 1);
	pt[len + pad] = (uint8_t)pad;
	pt[len + pad + 1] = nh;
	return len + pad + 2;
}

/* An inner IPv4 (v6 = 0) or IPv6 packet of len bytes; varying payload. */
static void make_inner(uint8_t *p, int v6, uint32_t len, uint32_t salt)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + salt * 7 + 1);
	if (!v6) {
		memset(p, 0, 20);
		p[0] = 0x45;
		p[1] = INNER_TOS;
		put16(p + 2, (uint16_t)len);
		put16(p + 4, (uint16_t)salt);
		p[8] = 64;
		p[9] = 17;
		put32(p + 12, IP4(10, 1, 0, 2));
		put32(p + 16, IP4(10, 2, 0, 2));
		put16(p + 10, ref_cksum(p, 20));
	} else {
		put32(p, 6u << 28 | (uint32_t)INNER_TOS << 20 | (salt & 0xfffff));
		put16(p + 4, (uint16_t)(len - 40));
		p[6] = 17;
		p[7] = 64;
	}
}

/* ---------------------------------------------------------------- */
/* SA set-up                                                         */

static void tsa_init(struct tsa *s, enum aead_impl impl_out, enum aead_impl impl_in,
		     enum aead_alg alg, int esn, int udp, uint32_t window)
{
	static int n;
	char name[32];

	memset(s, 0, sizeof(*s));
	s->alg = alg;
	s->esn = esn;
	s->udp = udp;
	s->spi = 0x1000u + (uint32_t)alg * 16 + (uint32_t)esn * 4 + (uint32_t)udp;
	s->key_len = aead_key_len(alg);
	for (size_t i = 0; i < s->key_len + SA_SALT_LEN; i++)
		s->keymat[i] = (uint8_t)(0x11 * (unsigned)alg + 3 * i + 1);
	s->out = sa_out_create(impl_out, alg, s->spi, s->keymat, s->key_len + SA_SALT_LEN, esn);
	assert_non_null(s->out);
	s->out->seq_limit = UINT64_MAX;
	s->out->udp_encap = (uint8_t)udp;
	s->out->src_ip = rte_cpu_to_be_32(SRC_IP);
	s->out->dst_ip = rte_cpu_to_be_32(DST_IP);
	s->out->sport = rte_cpu_to_be_16(SPORT);
	s->out->dport = rte_cpu_to_be_16(DPORT);
	s->out->mtu = esp_inner_mtu(WAN_MTU, udp);
	s->in = sa_in_create(impl_in, alg, s->spi, s->keymat, s->key_len + SA_SALT_LEN, esn,
			     window);
	assert_non_null(s->in);
	snprintf(name, sizeof(name), "esp_ut_%d", n++);
	s->t = sa_table_create(name, 64, SOCKET_ID_ANY);
	assert_non_null(s->t);
	assert_int_equal(sa_table_add(s->t, s->in), 0);
}

static void tsa_fini(struct tsa *s)
{
	sa_table_free(s->t);
	sa_in_free(s->in);
	sa_out_free(s->out);
}

/* ---------------------------------------------------------------- */
/* One packet through each direction                                 */

/* Outbound: inner -> wire bytes in out. Returns the drop cause or 0. */
static int outb_one(struct tsa *s, enum aead_impl impl, const uint8_t *inner, uint32_t len,
		    uint8_t *out, uint32_t *out_len)
{
	struct rte_mbuf *m = test_mbuf_from(mp, inner, len);
	struct aead_op op;
	int rc;

	assert_non_null(m);
	rc = esp_outb_prepare(s->out, m, &op);
	if (rc == STATS_OK) {
		assert_int_equal(aead_encrypt_burst(engines[impl], &op, 1), 0);
		assert_int_equal(m->data_len, m->pkt_len);
		memcpy(out, rte_pktmbuf_mtod(m, void *), m->data_len);
		*out_len = m->data_len;
	}
	rte_pktmbuf_free(m);
	return rc;
}

/* Inbound: wire bytes -> inner in out (if out). Returns the drop cause or 0. */
static int inb_one(struct tsa *s, enum aead_impl impl, const uint8_t *pkt, uint32_t len,
		   uint8_t *out, uint32_t *out_len)
{
	struct rte_mbuf *m = test_mbuf_from(mp, pkt, len);
	struct sa_in *sa = NULL;
	struct aead_op op;
	uint64_t seq = 0;
	int rc;

	assert_non_null(m);
	rc = esp_inb_prepare(s->t, m, s->udp, &op, &sa, &seq);
	if (rc == STATS_OK) {
		assert_non_null(sa);
		/* the AEAD op must stay inside the packet */
		assert_true(op.data >= rte_pktmbuf_mtod(m, uint8_t *));
		assert_true(op.tag + ESP_ICV_LEN <= rte_pktmbuf_mtod(m, uint8_t *) + m->data_len);
		aead_decrypt_burst(engines[impl], &op, 1);
		rc = esp_inb_finish(sa, m, &op, seq);
	}
	if (rc == STATS_OK) {
		uint8_t v = rte_pktmbuf_mtod(m, uint8_t *)[0] >> 4;

		assert_int_equal(m->packet_type, v == 4 ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6);
		assert_int_equal(m->data_len, m->pkt_len);
		if (out) {
			memcpy(out, rte_pktmbuf_mtod(m, void *), m->data_len);
			*out_len = m->data_len;
		}
	}
	rte_pktmbuf_free(m);
	return rc;
}

/* ---------------------------------------------------------------- */
/* Round trips                                                       */

/* Every field of an outbound packet, and its plaintext via the reference. */
static void check_outer(const struct tsa *s, const uint8_t *p, uint32_t len, uint64_t seq,
			const uint8_t *inner, uint32_t inner_len)
{
	uint32_t off = 20 + (s->udp ? 8 : 0), ct_len, pad;
	uint8_t aad[12], nonce[12], pt[PKT_MAX], tag[16];
	int aad_len;

	assert_int_equal(p[0], 0x45);
	assert_int_equal(p[1], OUTER_TOS);
	assert_int_equal(get16(p + 2), len);
	assert_int_equal(get16(p + 4), (uint16_t)seq);
	assert_int_equal(get16(p + 6), 0); /* DF clear, no fragment */
	assert_int_equal(p[8], 64);
	assert_int_equal(p[9], s->udp ? 17 : 50);
	assert_int_equal(ref_cksum(p, 20), 0);
	assert_int_equal(get32(p + 12), SRC_IP);
	assert_int_equal(get32(p + 16), DST_IP);
	if (s->udp) {
		assert_int_equal(get16(p + 20), SPORT);
		assert_int_equal(get16(p + 22), DPORT);
		assert_int_equal(get16(p + 24), len - 20);
		assert_int_equal(get16(p + 26), 0);
	}
	assert_int_equal(get32(p + off), s->spi);
	assert_int_equal(get32(p + off + 4), (uint32_t)seq);
	assert_int_equal(get32(p + off + 8), (uint32_t)(seq >> 32));
	assert_int_equal(get32(p + off + 12), (uint32_t)seq);
	ct_len = len - off - 16 - 16;
	assert_int_equal(ct_len % 4, 0);
	assert_int_equal(ct_len, (inner_len + 2 + 3) / 4 * 4);
	assert_int_equal(len, inner_len + esp_outb_overhead(s->out, inner_len));

	ref_nonce(s, seq, nonce);
	ref_aad(aad, &aad_len, s->spi, seq, s->esn);
	memcpy(tag, p + len - 16, 16);
	assert_int_equal(ref_aead(0, s->alg, s->keymat, nonce, aad, aad_len, p + off + 16,
				  (int)ct_len, pt, tag), 0);
	assert_memory_equal(pt, inner, inner_len);
	pad = ct_len - 2 - inner_len;
	assert_int_equal(pt[ct_len - 2], pad);
	for (uint32_t i = 0; i < pad; i++)
		assert_int_equal(pt[inner_len + i], i + 1);
	assert_int_equal(pt[ct_len - 1], (inner[0] >> 4) == 4 ? 4 : 41);
}

static uint8_t inners[BURST][PKT_MAX];

/*
 * Inner lengths from..to (step) through outbound and back through inbound
 * in bursts, the mbuf going straight from one to the other as on a
 * loopback wire. Returns the number of packets.
 */
static unsigned roundtrip(struct tsa *s, enum aead_impl io, enum aead_impl ii, int v6,
			  uint32_t from, uint32_t to, uint32_t step)
{
	struct rte_mbuf *ms[BURST];
	struct aead_op ops[BURST];
	struct sa_in *sas[BURST];
	uint64_t seqs[BURST], first;
	uint32_t lens[BURST];
	unsigned total = 0;

	for (uint32_t len = from; len <= to;) {
		unsigned n = 0;

		first = s->out->seq + 1;
		for (; n < BURST && len <= to; n++, len += step) {
			lens[n] = len;
			make_inner(inners[n], v6, len, len);
			ms[n] = test_mbuf_from(mp, inners[n], len);
			assert_non_null(ms[n]);
			assert_int_equal(esp_outb_prepare(s->out, ms[n], &ops[n]), STATS_OK);
			assert_true(ms[n]->pkt_len <= WAN_MTU);
			assert_int_equal(s->out->seq, first + n);
		}
		assert_int_equal(aead_encrypt_burst(engines[io], ops, n), 0);
		for (unsigned i = 0; i < n; i++) {
			check_outer(s, rte_pktmbuf_mtod(ms[i], uint8_t *), ms[i]->pkt_len,
				    first + i, inners[i], lens[i]);
			assert_int_equal(esp_inb_prepare(s->t, ms[i], s->udp, &ops[i], &sas[i],
							 &seqs[i]), STATS_OK);
			assert_ptr_equal(sas[i], s->in);
			assert_true(seqs[i] == first + i);
		}
		assert_int_equal(aead_decrypt_burst(engines[ii], ops, n), 0);
		for (unsigned i = 0; i < n; i++) {
			assert_int_equal(esp_inb_finish(sas[i], ms[i], &ops[i], seqs[i]), STATS_OK);
			assert_int_equal(ms[i]->pkt_len, lens[i]);
			assert_memory_equal(rte_pktmbuf_mtod(ms[i], void *), inners[i], lens[i]);
			assert_int_equal(ms[i]->packet_type,
					 v6 ? RTE_PTYPE_L3_IPV6 : RTE_PTYPE_L3_IPV4);
			rte_pktmbuf_free(ms[i]);
		}
		total += n;
	}
	return total;
}

static void roundtrip_all(enum aead_alg alg, uint32_t step, int cross)
{
	unsigned base = rte_mempool_in_use_count(mp), pkts = 0;

	for (unsigned a = 0; a < n_impls; a++)
		for (unsigned b = 0; b < n_impls; b++) {
			if (a != b && !cross)
				continue;
			for (int esn = 0; esn <= 1; esn++)
				for (int udp = 0; udp <= 1; udp++)
					for (int v6 = 0; v6 <= 1; v6++) {
						struct tsa s;

						tsa_init(&s, impls[a], impls[b], alg, esn, udp,
							 REPLAY_WINDOW_DEFAULT);
						pkts += roundtrip(&s, impls[a], impls[b], v6,
								  v6 ? 40 : 20, s.out->mtu, step);
						/* and the largest one exactly */
						pkts += roundtrip(&s, impls[a], impls[b], v6,
								  s.out->mtu, s.out->mtu, 1);
						tsa_fini(&s);
					}
		}
	print_message("  %s: %u packets round trip\n", aead_alg_name(alg), pkts);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_roundtrip_aes128_every_length(void **state)
{
	(void)state;
	roundtrip_all(AEAD_AES128_GCM, 1, 0);
}

static void test_roundtrip_aes256_sampled(void **state)
{
	(void)state;
	roundtrip_all(AEAD_AES256_GCM, 7, 1);
}

static void test_roundtrip_chacha_sampled(void **state)
{
	(void)state;
	roundtrip_all(AEAD_CHACHA20_POLY1305, 5, 1);
}

/* ---------------------------------------------------------------- */
/* Arithmetic                                                        */

static void test_overhead_and_mtu(void **state)
{
	struct tsa s;

	(void)state;
	for (int udp = 0; udp <= 1; udp++) {
		tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 0, udp, 64);
		uint32_t fixed = 20 + (udp ? 8 : 0) + 8 + 8 + 2 + 16;

		for (uint32_t len = 0; len < 3000; len++) {
			uint32_t pad = (4 - (len + 2) % 4) % 4;

			assert_int_equal(esp_outb_overhead(s.out, len), fixed + pad);
			assert_int_equal((len + pad + 2) % 4, 0);
		}
		assert_int_equal(esp_inner_mtu(1500, udp), udp ? 1438 : 1446);
		assert_int_equal(esp_inner_mtu(9000, udp), udp ? 8938 : 8946);
		for (uint32_t mtu = 0; mtu <= 2100; mtu++) {
			uint16_t l = esp_inner_mtu((uint16_t)mtu, udp);

			if (mtu < fixed) {
				assert_int_equal(l, 0);
				continue;
			}
			if (l == 0) { /* not even an empty packet fits */
				assert_true(esp_outb_overhead(s.out, 0) > mtu);
				continue;
			}
			/* l fits, l + 1 does not */
			assert_true(l + esp_outb_overhead(s.out, l) <= mtu);
			assert_true(l + 1 + esp_outb_overhead(s.out, l + 1) > mtu);
		}
		assert_true(esp_inner_mtu(UINT16_MAX, udp) + esp_outb_overhead(s.out,
			    esp_inner_mtu(UINT16_MAX, udp)) <= UINT16_MAX);
		tsa_fini(&s);
	}
}

/* ---------------------------------------------------------------- */
/* Known answer: our output equals the reference, and the reverse    */

static void test_known_answer(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t inner[300], pt[400], want[600], got[600], back[600];
	uint32_t want_len, got_len, back_len, pt_len;

	(void)state;
	for (unsigned k = 0; k < n_impls; k++)
		for (int alg = 0; alg < AEAD_ALG_MAX; alg++)
			for (int esn = 0; esn <= 1; esn++)
				for (int udp = 0; udp <= 1; udp++)
					for (int v6 = 0; v6 <= 1; v6++) {
						struct tsa s;
						uint64_t seq = esn ? 0x123456789abcull : 0x9abcdef0ull;
						uint32_t len = v6 ? 141 : 99;

						tsa_init(&s, impls[k], impls[k], (enum aead_alg)alg,
							 esn, udp, 64);
						make_inner(inner, v6, len, 77);
						s.out->seq = seq - 1;
						assert_int_equal(outb_one(&s, impls[k], inner, len, got,
									  &got_len), STATS_OK);
						pt_len = ref_plaintext(pt, inner, len, v6 ? 41 : 4);
						want_len = ref_build(want, &s, seq, pt, pt_len, OUTER_TOS);
						assert_int_equal(got_len, want_len);
						assert_memory_equal(got, want, want_len);

						/* a reference packet decrypts to its inner packet */
						want_len = ref_build(want, &s, 5, pt, pt_len, OUTER_TOS);
						assert_int_equal(inb_one(&s, impls[k], want, want_len, back,
									 &back_len), STATS_OK);
						assert_int_equal(back_len, len);
						assert_memory_equal(back, inner, len);
						tsa_fini(&s);
					}
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/* ---------------------------------------------------------------- */
/* Inbound drops                                                     */

/* Rewrites the outer IPv4 checksum after a test edited the header. */
static void fix_cksum(uint8_t *p)
{
	uint32_t ihl = (p[0] & 0x0f) * 4u;

	put16(p + 10, 0);
	put16(p + 10, ref_cksum(p, ihl));
}

/* Sets the outer lengths for len bytes on the wire (and the UDP one if any). */
static void fix_lengths(uint8_t *p, uint32_t len, int udp)
{
	uint32_t ihl = (p[0] & 0x0f) * 4u;

	put16(p + 2, (uint16_t)len);
	if (udp && len >= ihl + 8)
		put16(p + ihl + 4, (uint16_t)(len - ihl));
	fix_cksum(p);
}

static void test_truncated(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t inner[100], pkt[300], cut[300];
	uint32_t len, n_auth;

	(void)state;
	for (int udp = 0; udp <= 1; udp++) {
		struct tsa s;
		uint32_t hdr = 20 + (udp ? 8 : 0);

		tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 0, udp, 1024);
		make_inner(inner, 0, 60, 1);
		assert_int_equal(outb_one(&s, impls[0], inner, 60, pkt, &len), STATS_OK);

		/* Cut at every length, headers left as they were: they lie. */
		for (uint32_t l = 0; l < len; l++)
			assert_int_equal(inb_one(&s, impls[0], pkt, l, NULL, NULL),
					 STATS_DROP_MALFORMED);
		/* Cut at every length with consistent outer headers: too short
		 * for ESP header, IV, trailer and ICV is malformed; longer ones
		 * get through to the ICV check, which fails. */
		n_auth = 0;
		for (uint32_t l = hdr; l < len; l++) {
			int rc;

			memcpy(cut, pkt, l);
			fix_lengths(cut, l, udp);
			rc = inb_one(&s, impls[0], cut, l, NULL, NULL);
			if (l < hdr + 8 + 8 + 2 + 16) {
				assert_int_equal(rc, STATS_DROP_MALFORMED);
			} else {
				assert_int_equal(rc, STATS_DROP_AUTH);
				n_auth++;
			}
		}
		assert_int_equal(n_auth, len - (hdr + 34));
		/* Nothing moved the window: the packet itself still passes. */
		assert_int_equal(inb_one(&s, impls[0], pkt, len, NULL, NULL), STATS_OK);
		tsa_fini(&s);
	}
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_outer_header_lies(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t inner[100], pkt[300], bad[320], back[300];
	uint32_t len, back_len;
	struct tsa s;

	(void)state;
	tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 1, 1, 1024);
	make_inner(inner, 0, 60, 2);

#define FRESH() assert_int_equal(outb_one(&s, impls[0], inner, 60, pkt, &len), STATS_OK); \
	memcpy(bad, pkt, len)

	/* total_length longer than the data */
	FRESH();
	put16(bad + 2, (uint16_t)(len + 1));
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	/* total_length shorter than the data: the rest counts as link
	 * padding, so the ESP payload is short and its ICV fails */
	put16(bad + 2, (uint16_t)(len - 4));
	put16(bad + 24, (uint16_t)(len - 24));
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_AUTH);
	/* total_length shorter than the IP header */
	put16(bad + 2, 19);
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	/* UDP length longer, shorter, shorter than a UDP header */
	FRESH();
	put16(bad + 24, (uint16_t)(len - 20 + 1));
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	put16(bad + 24, (uint16_t)(len - 20 - 1));
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	put16(bad + 24, 4);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	/* fragments: MF, offset, both */
	memcpy(bad, pkt, len);
	put16(bad + 6, 0x2000);
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	put16(bad + 6, 0x0001);
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	put16(bad + 6, 0x2010);
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	/* DF is fine */
	put16(bad + 6, 0x4000);
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, back, &back_len), STATS_OK);
	/* bad header checksum, version, ihl, protocol */
	FRESH();
	bad[10] ^= 1;
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	memcpy(bad, pkt, len);
	bad[0] = 0x65;
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	memcpy(bad, pkt, len);
	bad[0] = 0x44;
	put16(bad + 10, 0);
	put16(bad + 10, ref_cksum(bad, 20));
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	memcpy(bad, pkt, len);
	bad[0] = 0x4f; /* 60 bytes of "options" swallow UDP and ESP headers */
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);
	memcpy(bad, pkt, len);
	bad[9] = 50; /* the caller said UDP */
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len, NULL, NULL), STATS_DROP_MALFORMED);

	/* Valid packets with link-layer padding and with IP options pass. */
	FRESH();
	memset(bad + len, 0, 16);
	assert_int_equal(inb_one(&s, impls[0], bad, len + 16, back, &back_len), STATS_OK);
	assert_int_equal(back_len, 60);
	assert_memory_equal(back, inner, 60);
	FRESH();
	memcpy(bad, pkt, 20);
	memset(bad + 20, 1, 8); /* two words of NOP options */
	memcpy(bad + 28, pkt + 20, len - 20);
	bad[0] = 0x47;
	put16(bad + 2, (uint16_t)(len + 8));
	fix_cksum(bad);
	assert_int_equal(inb_one(&s, impls[0], bad, len + 8, back, &back_len), STATS_OK);
	assert_int_equal(back_len, 60);
	assert_memory_equal(back, inner, 60);
	/* prepare already trims the padding: the mbuf ends with the ICV */
	{
		struct rte_mbuf *m;
		struct aead_op op;
		struct sa_in *sa;
		uint64_t seq;

		FRESH();
		memset(bad + len, 0, 16);
		m = test_mbuf_from(mp, bad, len + 16);
		assert_int_equal(esp_inb_prepare(s.t, m, 1, &op, &sa, &seq), STATS_OK);
		assert_int_equal(m->pkt_len, len);
		assert_int_equal(m->data_len, len);
		assert_ptr_equal(op.tag + ESP_ICV_LEN, rte_pktmbuf_mtod(m, uint8_t *) + len);
		assert_int_equal(m->l3_len, 20);
		assert_int_equal(m->l4_len, 8);
		rte_pktmbuf_free(m);
	}
	/* A NIC that flagged a bad checksum is believed. */
	{
		struct rte_mbuf *m;
		struct aead_op op;
		struct sa_in *sa;
		uint64_t seq;

		FRESH();
		m = test_mbuf_from(mp, pkt, len);
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
		assert_int_equal(esp_inb_prepare(s.t, m, 1, &op, &sa, &seq), STATS_DROP_MALFORMED);
		m->ol_flags &= ~RTE_MBUF_F_RX_IP_CKSUM_MASK;
		assert_int_equal(esp_inb_prepare(s.t, m, 1, &op, &sa, &seq), STATS_OK);
		rte_pktmbuf_free(m);
	}
#undef FRESH
	tsa_fini(&s);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_multiseg_inbound(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t inner[100], pkt[300];
	struct rte_mbuf *a, *b;
	struct aead_op op;
	struct sa_in *sa;
	uint64_t seq;
	uint32_t len;
	struct tsa s;

	(void)state;
	tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 0, 1, 64);
	make_inner(inner, 0, 80, 3);
	assert_int_equal(outb_one(&s, impls[0], inner, 80, pkt, &len), STATS_OK);
	a = test_mbuf_from(mp, pkt, 50);
	b = test_mbuf_from(mp, pkt + 50, len - 50);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	assert_int_equal(esp_inb_prepare(s.t, a, 1, &op, &sa, &seq), STATS_DROP_MALFORMED);
	rte_pktmbuf_free(a);
	tsa_fini(&s);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_no_sa(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t inner[100], pkt[300];
	uint32_t len;
	struct tsa s;

	(void)state;
	for (int udp = 0; udp <= 1; udp++) {
		tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 0, udp, 64);
		make_inner(inner, 0, 64, 3);
		assert_int_equal(outb_one(&s, impls[0], inner, 64, pkt, &len), STATS_OK);
		pkt[20 + (udp ? 8 : 0) + 3] ^= 0x40; /* another SPI */
		assert_int_equal(inb_one(&s, impls[0], pkt, len, NULL, NULL), STATS_DROP_NO_SA);
		assert_int_equal(sa_table_del(s.t, s.spi), 0);
		pkt[20 + (udp ? 8 : 0) + 3] ^= 0x40;
		assert_int_equal(inb_one(&s, impls[0], pkt, len, NULL, NULL), STATS_DROP_NO_SA);
		tsa_fini(&s);
	}
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_replay(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t inner[100], p1[300], p2[300], p3[300];
	uint32_t l1, l2, l3;
	struct rte_mbuf *ms[2];
	struct aead_op ops[2];
	struct sa_in *sas[2];
	uint64_t seqs[2];
	struct tsa s;

	(void)state;
	tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 0, 1, 64);
	make_inner(inner, 0, 64, 4);
	assert_int_equal(outb_one(&s, impls[0], inner, 64, p1, &l1), STATS_OK);
	assert_int_equal(outb_one(&s, impls[0], inner, 64, p2, &l2), STATS_OK);
	/* the same packet twice */
	assert_int_equal(inb_one(&s, impls[0], p1, l1, NULL, NULL), STATS_OK);
	assert_int_equal(inb_one(&s, impls[0], p1, l1, NULL, NULL), STATS_DROP_REPLAY);
	/* twice in one burst: both pass the pre-check, the second loses at finish */
	for (int i = 0; i < 2; i++) {
		ms[i] = test_mbuf_from(mp, p2, l2);
		assert_int_equal(esp_inb_prepare(s.t, ms[i], 1, &ops[i], &sas[i], &seqs[i]),
				 STATS_OK);
	}
	assert_int_equal(aead_decrypt_burst(engines[impls[0]], ops, 2), 0);
	assert_int_equal(esp_inb_finish(sas[0], ms[0], &ops[0], seqs[0]), STATS_OK);
	assert_int_equal(esp_inb_finish(sas[1], ms[1], &ops[1], seqs[1]), STATS_DROP_REPLAY);
	rte_pktmbuf_free(ms[0]);
	rte_pktmbuf_free(ms[1]);
	/* an old packet, behind the window */
	assert_int_equal(outb_one(&s, impls[0], inner, 64, p3, &l3), STATS_OK); /* seq 3 */
	s.out->seq = 1000;
	assert_int_equal(outb_one(&s, impls[0], inner, 64, p1, &l1), STATS_OK); /* 1001 */
	assert_int_equal(inb_one(&s, impls[0], p1, l1, NULL, NULL), STATS_OK);
	assert_int_equal(inb_one(&s, impls[0], p3, l3, NULL, NULL), STATS_DROP_REPLAY);
	/* out of order inside the window is fine */
	s.out->seq = 990;
	assert_int_equal(outb_one(&s, impls[0], inner, 64, p1, &l1), STATS_OK); /* 991 */
	assert_int_equal(inb_one(&s, impls[0], p1, l1, NULL, NULL), STATS_OK);
	tsa_fini(&s);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_tampered(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t inner[100], pkt[300], bad[300];
	uint32_t len;

	(void)state;
	for (unsigned k = 0; k < n_impls; k++)
		for (int alg = 0; alg < AEAD_ALG_MAX; alg++)
			for (int esn = 0; esn <= 1; esn++) {
				struct sa_in *other;
				struct tsa s;
				uint32_t off = 28;

				tsa_init(&s, impls[k], impls[k], (enum aead_alg)alg, esn, 1, 64);
				make_inner(inner, 1, 72, 5);
				s.out->seq = 1000; /* no bit flip makes it 0 */
				assert_int_equal(outb_one(&s, impls[k], inner, 72, pkt, &len),
						 STATS_OK);
				/* every bit of ESP header, IV, ciphertext and ICV matters */
				for (uint32_t i = off; i < len; i++) {
					for (int bit = 0; bit < 8; bit += 7) {
						int rc;

						memcpy(bad, pkt, len);
						bad[i] ^= (uint8_t)(1u << bit);
						rc = inb_one(&s, impls[k], bad, len, NULL, NULL);
						if (i < off + 4) /* SPI: a different SA */
							assert_int_equal(rc, STATS_DROP_NO_SA);
						else
							assert_int_equal(rc, STATS_DROP_AUTH);
					}
				}
				/* a forged sequence number far ahead did not move the
				 * window: the genuine packet still passes */
				memcpy(bad, pkt, len);
				put32(bad + off + 4, 60000);
				assert_int_equal(inb_one(&s, impls[k], bad, len, NULL, NULL),
						 STATS_DROP_AUTH);
				assert_int_equal(inb_one(&s, impls[k], pkt, len, NULL, NULL),
						 STATS_OK);

				/* another SA's SPI on this packet, same key material:
				 * only the SPI in the AAD differs, and the ICV fails */
				other = sa_in_create(impls[k], (enum aead_alg)alg, s.spi + 1,
						     s.keymat, s.key_len + SA_SALT_LEN, esn, 64);
				assert_non_null(other);
				assert_int_equal(sa_table_add(s.t, other), 0);
				memcpy(bad, pkt, len);
				put32(bad + off, s.spi + 1);
				assert_int_equal(inb_one(&s, impls[k], bad, len, NULL, NULL),
						 STATS_DROP_AUTH);
				assert_int_equal(sa_table_del(s.t, s.spi + 1), 0);
				sa_in_free(other);

				/* wrong key */
				assert_int_equal(sa_table_del(s.t, s.spi), 0);
				sa_in_free(s.in);
				s.keymat[0] ^= 1;
				s.in = sa_in_create(impls[k], (enum aead_alg)alg, s.spi, s.keymat,
						    s.key_len + SA_SALT_LEN, esn, 64);
				assert_non_null(s.in);
				assert_int_equal(sa_table_add(s.t, s.in), 0);
				assert_int_equal(outb_one(&s, impls[k], inner, 72, pkt, &len),
						 STATS_OK);
				assert_int_equal(inb_one(&s, impls[k], pkt, len, NULL, NULL),
						 STATS_DROP_AUTH);
				/* wrong salt */
				assert_int_equal(sa_table_del(s.t, s.spi), 0);
				sa_in_free(s.in);
				s.keymat[0] ^= 1;
				s.keymat[s.key_len] ^= 1;
				s.in = sa_in_create(impls[k], (enum aead_alg)alg, s.spi, s.keymat,
						    s.key_len + SA_SALT_LEN, esn, 64);
				assert_non_null(s.in);
				assert_int_equal(sa_table_add(s.t, s.in), 0);
				assert_int_equal(inb_one(&s, impls[k], pkt, len, NULL, NULL),
						 STATS_DROP_AUTH);
				tsa_fini(&s);
			}
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/*
 * Authentic packets (the reference encrypts them with the right key, so
 * the ICV verifies) whose plaintext is wrong: the trailer and inner
 * header checks must catch each.
 */
static void test_bad_plaintext(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t in4[64], in6[80], pt[200], pkt[300], back[300];
	uint32_t len, back_len, n;
	uint64_t seq = 1;
	struct tsa s;

	(void)state;
	for (int esn = 0; esn <= 1; esn++) {
		tsa_init(&s, impls[0], impls[0], AEAD_CHACHA20_POLY1305, esn, 1, 64);
		make_inner(in4, 0, 21, 6); /* pad 1 */
		make_inner(in6, 1, 41, 6); /* pad 1 */
		seq = 1;

#define SEND(expect) do { \
		len = ref_build(pkt, &s, seq++, pt, n, OUTER_TOS); \
		assert_int_equal(inb_one(&s, impls[0], pkt, len, back, &back_len), (expect)); \
	} while (0)

		/* the references themselves pass */
		n = ref_plaintext(pt, in4, 21, 4);
		SEND(STATS_OK);
		assert_int_equal(back_len, 21);
		assert_memory_equal(back, in4, 21);
		n = ref_plaintext(pt, in6, 41, 41);
		SEND(STATS_OK);
		/* longer padding than needed is legal (RFC 4303 2.4) */
		memcpy(pt, in4, 21);
		for (int i = 0; i < 5; i++)
			pt[21 + i] = (uint8_t)(i + 1);
		pt[26] = 5;
		pt[27] = 4;
		n = 28;
		SEND(STATS_OK);
		assert_int_equal(back_len, 21);
		assert_memory_equal(back, in4, 21);

		/* pad length larger than the payload */
		n = ref_plaintext(pt, in4, 21, 4);
		pt[n - 2] = 250;
		SEND(STATS_DROP_MALFORMED);
		pt[n - 2] = (uint8_t)(n - 1); /* one more than there is */
		SEND(STATS_DROP_MALFORMED);
		/* padding eats the whole inner packet */
		for (uint32_t i = 0; i < n - 2; i++)
			pt[i] = (uint8_t)(i + 1);
		pt[n - 2] = (uint8_t)(n - 2);
		SEND(STATS_DROP_MALFORMED);
		/* wrong pad bytes */
		n = ref_plaintext(pt, in4, 21, 4);
		pt[21] = 0;
		SEND(STATS_DROP_MALFORMED);
		memcpy(pt, in4, 21);
		pt[21] = 1;
		pt[22] = 2;
		pt[23] = 4; /* 1, 2, 4 */
		pt[24] = 3;
		pt[25] = 4;
		n = 26;
		SEND(STATS_DROP_MALFORMED);
		/* bad next header, including 59 (no next header) */
		static const uint8_t bad_nh[] = { 0, 6, 17, 50, 59, 255 };
		for (unsigned i = 0; i < sizeof(bad_nh); i++) {
			n = ref_plaintext(pt, in4, 21, bad_nh[i]);
			SEND(STATS_DROP_MALFORMED);
		}
		/* RFC 4303 2.6 dummy packet: empty payload, next header 59 */
		n = ref_plaintext(pt, in4, 0, 59);
		SEND(STATS_DROP_MALFORMED);
		/* next header and inner version disagree */
		n = ref_plaintext(pt, in4, 21, 41);
		SEND(STATS_DROP_MALFORMED);
		n = ref_plaintext(pt, in6, 41, 4);
		SEND(STATS_DROP_MALFORMED);
		/* ... also when the rest of the header happens to fit the other version */
		{
			uint8_t tmp[64];

			make_inner(tmp, 0, 60, 6);
			put16(tmp + 4, 20); /* where IPv6 has its payload length */
			n = ref_plaintext(pt, tmp, 60, 41);
			SEND(STATS_DROP_MALFORMED);
			make_inner(tmp, 1, 60, 6);
			tmp[0] = 0x65; /* where IPv4 has its header length */
			put16(tmp + 2, 60); /* and total length */
			n = ref_plaintext(pt, tmp, 60, 4);
			SEND(STATS_DROP_MALFORMED);
			tmp[0] = 0x45; /* the same bytes as IPv4 pass */
			n = ref_plaintext(pt, tmp, 60, 4);
			SEND(STATS_OK);
		}
		/* inner length fields lying: IPv4 total length +-1, IPv6 payload length +-1 */
		for (int d = -1; d <= 1; d += 2) {
			uint8_t tmp[80];

			memcpy(tmp, in4, 21);
			put16(tmp + 2, (uint16_t)(21 + d));
			n = ref_plaintext(pt, tmp, 21, 4);
			SEND(STATS_DROP_MALFORMED);
			memcpy(tmp, in6, 41);
			put16(tmp + 4, (uint16_t)(1 + d));
			n = ref_plaintext(pt, tmp, 41, 41);
			SEND(STATS_DROP_MALFORMED);
		}
		/* inner IPv4 header length below 5 words or beyond the packet */
		{
			uint8_t tmp[64];

			memcpy(tmp, in4, 21);
			tmp[0] = 0x44;
			n = ref_plaintext(pt, tmp, 21, 4);
			SEND(STATS_DROP_MALFORMED);
			tmp[0] = 0x46;
			n = ref_plaintext(pt, tmp, 21, 4);
			SEND(STATS_DROP_MALFORMED);
		}
		/* shorter than an IP header, with a consistent length field */
		{
			uint8_t tmp[64];

			memcpy(tmp, in4, 19);
			put16(tmp + 2, 19);
			n = ref_plaintext(pt, tmp, 19, 4);
			SEND(STATS_DROP_MALFORMED);
			memcpy(tmp, in6, 39);
			n = ref_plaintext(pt, tmp, 39, 41);
			SEND(STATS_DROP_MALFORMED);
		}
		/* The ICV verified, so the window took those numbers: a
		 * malformed packet resent is a replay. */
		n = ref_plaintext(pt, in4, 21, 17);
		SEND(STATS_DROP_MALFORMED);
		seq--;
		SEND(STATS_DROP_REPLAY);
#undef SEND
		tsa_fini(&s);
	}
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/* ---------------------------------------------------------------- */
/* Sequence numbers                                                  */

static void test_esn_boundary(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	static uint8_t pkts[64][200];
	uint32_t lens[64], back_len;
	uint8_t inner[100], back[200];
	struct tsa s;

	(void)state;
	for (unsigned k = 0; k < n_impls; k++) {
		tsa_init(&s, impls[k], impls[k], AEAD_AES256_GCM, 1, 1, 128);
		make_inner(inner, 0, 50, 8);
		s.out->seq = (1ull << 32) - 33; /* first packet: 2^32 - 32 */
		for (int i = 0; i < 64; i++)
			assert_int_equal(outb_one(&s, impls[k], inner, 50, pkts[i], &lens[i]),
					 STATS_OK);
		assert_true(s.out->seq == (1ull << 32) + 31);
		/* in order across the boundary, holding back a few from just
		 * below it, which then arrive late (high half guessed one less) */
		for (int i = 0; i < 64; i++) {
			if (i >= 28 && i < 32)
				continue;
			assert_int_equal(inb_one(&s, impls[k], pkts[i], lens[i], back, &back_len),
					 STATS_OK);
			assert_memory_equal(back, inner, 50);
		}
		for (int i = 28; i < 32; i++)
			assert_int_equal(inb_one(&s, impls[k], pkts[i], lens[i], NULL, NULL),
					 STATS_OK);
		assert_true(s.in->replay->top == (1ull << 32) + 31);
		for (int i = 0; i < 64; i += 9)
			assert_int_equal(inb_one(&s, impls[k], pkts[i], lens[i], NULL, NULL),
					 STATS_DROP_REPLAY);
		tsa_fini(&s);
	}
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_seq_exhausted(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	uint8_t inner[100], pkt[300];
	uint32_t len;
	struct tsa s;

	(void)state;
	/* Without ESN the SA stops at 2^32 - 1: the number never wraps. */
	tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 0, 1, 64);
	make_inner(inner, 0, 40, 9);
	s.out->seq = UINT32_MAX - 2;
	assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_OK);
	assert_int_equal(inb_one(&s, impls[0], pkt, len, NULL, NULL), STATS_OK);
	assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_OK);
	assert_int_equal(get32(pkt + 32), UINT32_MAX);
	assert_int_equal(inb_one(&s, impls[0], pkt, len, NULL, NULL), STATS_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len),
				 STATS_DROP_SEQ_EXHAUSTED);
	assert_true(s.out->seq == UINT32_MAX);
	tsa_fini(&s);

	/* With ESN it goes on past 2^32 - 1 ... */
	tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 1, 1, 64);
	s.out->seq = UINT32_MAX - 1;
	for (int i = 0; i < 3; i++)
		assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_OK);
	/* ... up to the reserved limit */
	s.out->seq_limit = s.out->seq + 2;
	assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_OK);
	assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_OK);
	assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_DROP_SEQ_EXHAUSTED);
	s.out->seq_limit += 1;
	assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_OK);
	s.out->seq_max = s.out->seq;
	s.out->seq_limit = UINT64_MAX;
	assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_DROP_SEQ_EXHAUSTED);
	tsa_fini(&s);

	/* Nothing reserved yet (limit 0): it may not send at all. */
	tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 1, 1, 64);
	s.out->seq_limit = 0;
	assert_int_equal(outb_one(&s, impls[0], inner, 40, pkt, &len), STATS_DROP_SEQ_EXHAUSTED);
	assert_true(s.out->seq == 0);
	tsa_fini(&s);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/* ---------------------------------------------------------------- */
/* Outbound drops                                                    */

/* esp_outb_prepare must refuse m with rc and leave m and the SA as they were. */
static void outb_refused(struct tsa *s, struct rte_mbuf *m, int rc)
{
	static uint8_t before[RTE_MBUF_DEFAULT_BUF_SIZE];
	uint16_t off = m->data_off, dlen = m->data_len;
	uint64_t seq = s->out->seq;
	struct aead_op op;

	assert_true(dlen <= sizeof(before));
	memcpy(before, rte_pktmbuf_mtod(m, void *), dlen);
	assert_int_equal(esp_outb_prepare(s->out, m, &op), rc);
	assert_int_equal(m->data_off, off);
	assert_int_equal(m->data_len, dlen);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), before, dlen);
	assert_true(s->out->seq == seq);
	rte_pktmbuf_free(m);
}

static void test_outb_drops(void **state)
{
	unsigned base = rte_mempool_in_use_count(mp);
	static uint8_t inner[RTE_MBUF_DEFAULT_BUF_SIZE];
	struct rte_mbuf *m, *m2;
	struct tsa s;

	(void)state;
	tsa_init(&s, impls[0], impls[0], AEAD_AES128_GCM, 0, 1, 64);
	/* not IP, or lengths that lie */
	make_inner(inner, 0, 60, 10);
	inner[0] = 0x55;
	outb_refused(&s, test_mbuf_from(mp, inner, 60), STATS_DROP_MALFORMED);
	make_inner(inner, 0, 60, 10);
	outb_refused(&s, test_mbuf_from(mp, inner, 59), STATS_DROP_MALFORMED);
	put16(inner + 2, 61);
	outb_refused(&s, test_mbuf_from(mp, inner, 60), STATS_DROP_MALFORMED);
	make_inner(inner, 0, 60, 10);
	inner[0] = 0x44;
	outb_refused(&s, test_mbuf_from(mp, inner, 60), STATS_DROP_MALFORMED);
	make_inner(inner, 0, 30, 10);
	inner[0] = 0x4f; /* 60-byte header in a 30-byte packet */
	outb_refused(&s, test_mbuf_from(mp, inner, 30), STATS_DROP_MALFORMED);
	make_inner(inner, 1, 60, 10);
	outb_refused(&s, test_mbuf_from(mp, inner, 61), STATS_DROP_MALFORMED);
	outb_refused(&s, test_mbuf_from(mp, inner, 39), STATS_DROP_MALFORMED);
	outb_refused(&s, test_mbuf_from(mp, inner, 19), STATS_DROP_MALFORMED);
	outb_refused(&s, test_mbuf_from(mp, inner, 0), STATS_DROP_MALFORMED);
	/* a chain of two segments */
	make_inner(inner, 0, 100, 10);
	m = test_mbuf_from(mp, inner, 50);
	m2 = test_mbuf_from(mp, inner + 50, 50);
	assert_int_equal(rte_pktmbuf_chain(m, m2), 0);
	{
		struct aead_op op;

		assert_int_equal(esp_outb_prepare(s.out, m, &op), STATS_DROP_MALFORMED);
		rte_pktmbuf_free(m);
	}
	/* no headroom for the outer headers */
	m = rte_pktmbuf_alloc(mp);
	m->data_off = 20;
	memcpy(rte_pktmbuf_append(m, 100), inner, 100);
	outb_refused(&s, m, STATS_DROP_NO_MBUF);
	/* no tailroom for the trailer and ICV */
	m = rte_pktmbuf_alloc(mp);
	uint16_t room = rte_pktmbuf_tailroom(m);
	make_inner(inner, 0, room, 10);
	memcpy(rte_pktmbuf_append(m, room), inner, room);
	outb_refused(&s, m, STATS_DROP_NO_MBUF);
	/* one byte short at either end (2112 bytes need 2 pad bytes: 20 at the tail) */
	for (int end = 0; end <= 1; end++) {
		m = rte_pktmbuf_alloc(mp);
		m->data_off = (uint16_t)(end == 0 ? 20 + 8 + 16 - 1 : 20 + 8 + 16 + 1);
		make_inner(inner, 0, 2112, 10);
		assert_int_equal(rte_pktmbuf_tailroom(m), end == 0 ? 2112 + 20 + 1 : 2112 + 20 - 1);
		memcpy(rte_pktmbuf_append(m, 2112), inner, 2112);
		outb_refused(&s, m, STATS_DROP_NO_MBUF);
	}
	/* just enough room at both ends works */
	m = rte_pktmbuf_alloc(mp);
	m->data_off = 20 + 8 + 16;
	room = rte_pktmbuf_tailroom(m) - 16 - 2 - 2;
	make_inner(inner, 0, room, 10);
	memcpy(rte_pktmbuf_append(m, room), inner, room);
	{
		struct aead_op op;

		assert_int_equal(esp_outb_prepare(s.out, m, &op), STATS_OK);
		assert_int_equal(rte_pktmbuf_headroom(m), 0);
		assert_int_equal(rte_pktmbuf_tailroom(m), 0);
		rte_pktmbuf_free(m);
	}
	tsa_fini(&s);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/* ---------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	mp = test_mempool(POOL_SIZE);
	if (mp == NULL)
		return -1;
	for (int i = 0; i < AEAD_IMPL_MAX; i++) {
		engines[i] = aead_engine_create((enum aead_impl)i);
		if (engines[i] != NULL)
			impls[n_impls++] = (enum aead_impl)i;
		else
			print_message("  (no %s engine on this CPU: its tests skipped)\n",
				      aead_impl_name((enum aead_impl)i));
	}
	return n_impls ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < AEAD_IMPL_MAX; i++)
		aead_engine_free(engines[i]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overhead_and_mtu),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_roundtrip_aes128_every_length),
		cmocka_unit_test(test_roundtrip_aes256_sampled),
		cmocka_unit_test(test_roundtrip_chacha_sampled),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_outer_header_lies),
		cmocka_unit_test(test_multiseg_inbound),
		cmocka_unit_test(test_no_sa),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_bad_plaintext),
		cmocka_unit_test(test_esn_boundary),
		cmocka_unit_test(test_seq_exhausted),
		cmocka_unit_test(test_outb_drops),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
