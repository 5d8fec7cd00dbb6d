/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/ike/ike_msg.c: a hand-assembled IKE_SA_INIT request
 * parsed field by field (an oracle independent of the builder), builder
 * round trips for every payload type, the SK payload's position, one test
 * per rejection reason, every truncation of a valid message, and random
 * mutations (never a crash; whatever is accepted rebuilds to a fixed
 * point), plus the RFC 3948 non-ESP marker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ike_msg.h"

static const uint8_t SPI_I[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t SPI_R[8] = { 0 };
static uint8_t nonce32[32], ke32[32], vid[16], natd[20];

/*
 * IKE_SA_INIT request written byte by byte from RFC 7296 section 3:
 * HDR, SA (1 proposal: ENCR 20 keylen 256, PRF 5, DH 31), KE (31),
 * Ni (16 octets), N(NAT_DETECTION_SOURCE_IP, 4 octets of data).
 */
static const uint8_t hand_init[] = {
	/* header: SPIi, SPIr, next SA, version 2.0, IKE_SA_INIT, I, id 0, len */
	1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0,
	33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 116,
	/* SA: next KE, len 4 + 36 */
	34, 0, 0, 40,
	/* proposal: last, len 36, #1, IKE, spi 0, 3 transforms */
	0, 0, 0, 36, 1, 1, 0, 3,
	/* transform ENCR AES_GCM_16, more, len 12, attr keylen 256 */
	3, 0, 0, 12, 1, 0, 0, 20, 0x80, 14, 0x01, 0x00,
	/* transform PRF HMAC_SHA2_256 */
	3, 0, 0, 8, 2, 0, 0, 5,
	/* transform DH 31, last */
	0, 0, 0, 8, 4, 0, 0, 31,
	/* KE: next Ni, len 4 + 4 + 8 (short data: the codec does not know
	 * group lengths), group 31 */
	40, 0, 0, 16, 0, 31, 0, 0,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	/* Ni: next N, len 20 */
	41, 0, 0, 20,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	/* N: last, len 12, proto 0, spi size 0, type 16388, data */
	0, 0, 0, 12, 0, 0, 0x40, 0x04, 0xde, 0xad, 0xbe, 0xef,
};

static void test_hand_parse(void **state)
{
	struct ike_msg m;
	const struct ike_proposal *p;
	const struct ike_notify *n;
	uint8_t out[256];
	size_t len;

	(void)state;
	assert_int_equal(sizeof(hand_init), 116);
	assert_int_equal(ike_msg_parse(&m, hand_init, sizeof(hand_init)), IKE_OK);
	assert_memory_equal(m.hdr.spi_i, SPI_I, 8);
	assert_int_equal(m.hdr.exchange, IKE_SA_INIT);
	assert_int_equal(m.hdr.flags, IKE_FLAG_INITIATOR);
	assert_int_equal(m.hdr.msg_id, 0);
	assert_int_equal(m.n_pl, 4);
	assert_int_equal(m.order[0].type, IKE_PL_SA);
	assert_int_equal(m.order[3].type, IKE_PL_NOTIFY);
	assert_true(ike_msg_has(&m, IKE_PL_SA));
	assert_true(ike_msg_has(&m, IKE_PL_KE));
	assert_true(ike_msg_has(&m, IKE_PL_NONCE));
	assert_false(ike_msg_has(&m, IKE_PL_AUTH));
	assert_int_equal(m.sa.n_props, 1);
	p = &m.sa.prop[0];
	assert_int_equal(p->num, 1);
	assert_int_equal(p->proto, IKE_PROTO_IKE);
	assert_int_equal(p->spi_size, 0);
	assert_int_equal(p->n_transforms, 3);
	assert_int_equal(p->xf[0].type, IKE_XF_ENCR);
	assert_int_equal(p->xf[0].id, IKE_ENCR_AES_GCM_16);
	assert_int_equal(p->xf[0].keylen, 256);
	assert_int_equal(p->xf[1].type, IKE_XF_PRF);
	assert_int_equal(p->xf[1].id, IKE_PRF_HMAC_SHA2_256);
	assert_int_equal(p->xf[1].keylen, 0);
	assert_int_equal(p->xf[2].type, IKE_XF_DH);
	assert_int_equal(p->xf[2].id, IKE_DH_CURVE25519);
	assert_int_equal(m.ke.group, 31);
	assert_int_equal(m.ke.data.len, 8);
	assert_ptr_equal(m.ke.data.p, hand_init + 76);
	assert_int_equal(m.nonce.len, 16);
	assert_ptr_equal(m.nonce.p, hand_init + 88);
	n = ike_msg_notify(&m, IKE_N_NAT_DETECTION_SOURCE_IP);
	assert_non_null(n);
	assert_int_equal(n->data.len, 4);
	assert_int_equal(n->data.p[0], 0xde);
	assert_null(ike_msg_notify(&m, IKE_N_COOKIE));

	/* and the builder reproduces it octet for octet */
	assert_int_equal(ike_msg_build(&m, out, sizeof(out), &len, 0), IKE_OK);
	assert_int_equal(len, sizeof(hand_init));
	assert_memory_equal(out, hand_init, len);
	/* too small an output buffer is an error, not an overflow */
	assert_int_equal(ike_msg_build(&m, out, 115, &len, 0), IKE_ERR_NO_SPACE);
	assert_int_equal(ike_msg_build(&m, out, 10, &len, 0), IKE_ERR_NO_SPACE);
}

/* A representative IKE_SA_INIT request made with the builder. */
static void make_init(struct ike_msg *m)
{
	struct ike_sa_pl *sa;
	struct ike_ke *ke;
	struct ike_view *v;
	struct ike_notify *n;
	unsigned i;

	ike_msg_init(m, SPI_I, SPI_R, IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
	sa = ike_msg_add(m, IKE_PL_SA);
	assert_non_null(sa);
	sa->n_props = 2;
	for (i = 0; i < 2; i++) {
		struct ike_proposal *p = &sa->prop[i];

		p->num = (uint8_t)(i + 1);
		p->proto = IKE_PROTO_IKE;
		p->n_transforms = 4;
		p->xf[0] = (struct ike_transform){ .type = IKE_XF_ENCR,
			.id = IKE_ENCR_AES_GCM_16, .keylen = i ? 128 : 256 };
		p->xf[1] = (struct ike_transform){ .type = IKE_XF_PRF,
			.id = i ? IKE_PRF_HMAC_SHA2_256 : IKE_PRF_HMAC_SHA2_384 };
		p->xf[2] = (struct ike_transform){ .type = IKE_XF_DH,
			.id = IKE_DH_CURVE25519 };
		p->xf[3] = (struct ike_transform){ .type = IKE_XF_DH,
			.id = IKE_DH_ECP256 };
	}
	ke = ike_msg_add(m, IKE_PL_KE);
	ke->group = IKE_DH_CURVE25519;
	ke->data = (struct ike_view){ ke32, sizeof(ke32) };
	v = ike_msg_add(m, IKE_PL_NONCE);
	*v = (struct ike_view){ nonce32, sizeof(nonce32) };
	n = ike_msg_add(m, IKE_PL_NOTIFY);
	n->type = IKE_N_NAT_DETECTION_SOURCE_IP;
	n->data = (struct ike_view){ natd, sizeof(natd) };
	n = ike_msg_add(m, IKE_PL_NOTIFY);
	n->type = IKE_N_NAT_DETECTION_DESTINATION_IP;
	n->data = (struct ike_view){ natd, sizeof(natd) };
	v = ike_msg_add(m, IKE_PL_VENDOR);
	*v = (struct ike_view){ vid, sizeof(vid) };
}

/* The payloads of an IKE_AUTH request, to go inside SK. */
static void make_auth_inner(struct ike_msg *m)
{
	static const uint8_t id[] = { 198, 18, 4, 1 };
	static uint8_t auth[32], spis[8] = { 0xc0, 1, 2, 3, 0xc0, 4, 5, 6 };
	struct ike_id *idi;
	struct ike_auth *a;
	struct ike_sa_pl *sa;
	struct ike_ts *ts;
	struct ike_notify *n;
	struct ike_delete *d;
	struct ike_raw *cp;

	ike_msg_init(m, SPI_I, SPI_I, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	idi = ike_msg_add(m, IKE_PL_IDI);
	idi->type = IKE_ID_IPV4_ADDR;
	idi->data = (struct ike_view){ id, sizeof(id) };
	n = ike_msg_add(m, IKE_PL_NOTIFY);
	n->type = IKE_N_INITIAL_CONTACT;
	a = ike_msg_add(m, IKE_PL_AUTH);
	a->method = IKE_AUTH_PSK;
	a->data = (struct ike_view){ auth, sizeof(auth) };
	sa = ike_msg_add(m, IKE_PL_SA);
	sa->n_props = 1;
	sa->prop[0].num = 1;
	sa->prop[0].proto = IKE_PROTO_ESP;
	sa->prop[0].spi_size = 4;
	memcpy(sa->prop[0].spi, "\xca\xfe\xf0\x0d", 4);
	sa->prop[0].n_transforms = 4;
	sa->prop[0].xf[0] = (struct ike_transform){ .type = IKE_XF_ENCR,
		.id = IKE_ENCR_AES_GCM_16, .keylen = 128 };
	sa->prop[0].xf[1] = (struct ike_transform){ .type = IKE_XF_ENCR,
		.id = IKE_ENCR_CHACHA20_POLY1305 };
	sa->prop[0].xf[2] = (struct ike_transform){ .type = IKE_XF_ESN,
		.id = IKE_ESN_NO };
	/* an unknown TLV attribute is carried (the negotiator skips it) */
	sa->prop[0].xf[3] = (struct ike_transform){ .type = IKE_XF_ESN,
		.id = IKE_ESN_YES, .n_attrs = 1 };
	sa->prop[0].xf[3].attrs[0] = (struct ike_attr){ .type = 999,
		.data = { id, sizeof(id) } };
	ts = ike_msg_add(m, IKE_PL_TSI);
	ts->n = 2;
	ts->ts[0] = (struct ike_ts_entry){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.end_port = 65535, .addr_len = 4, .start = { 198, 19, 4, 0 },
		.end = { 198, 19, 4, 127 } };
	ts->ts[1] = (struct ike_ts_entry){ .type = IKE_TS_IPV6_ADDR_RANGE,
		.ip_proto = 17, .start_port = 53, .end_port = 53,
		.addr_len = 16, .start = { 0x20, 0x01, 0x0d, 0xb8 },
		.end = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff } };
	ts = ike_msg_add(m, IKE_PL_TSR);
	ts->n = 1;
	ts->ts[0] = (struct ike_ts_entry){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.end_port = 65535, .addr_len = 4, .start = { 198, 19, 4, 128 },
		.end = { 198, 19, 4, 255 } };
	d = ike_msg_add(m, IKE_PL_DELETE);
	d->proto = IKE_PROTO_ESP;
	d->spi_size = 4;
	d->n_spi = 2;
	d->spis = (struct ike_view){ spis, sizeof(spis) };
	n = ike_msg_add(m, IKE_PL_NOTIFY);
	n->proto = IKE_PROTO_ESP;
	n->spi_size = 4;
	memcpy(n->spi, "\x11\x22\x33\x44", 4);
	n->type = IKE_N_REKEY_SA;
	/* CP, not understood by pmdvpn, not critical: carried as raw */
	cp = ike_msg_add(m, IKE_PL_CP);
	cp->body = (struct ike_view){ id, sizeof(id) };
}

static void test_roundtrip_init(void **state)
{
	struct ike_msg m, p;
	uint8_t a[1024], b[1024];
	size_t la, lb;

	(void)state;
	make_init(&m);
	assert_int_equal(ike_msg_build(&m, a, sizeof(a), &la, 0), IKE_OK);
	assert_int_equal(m.hdr.length, la);
	assert_int_equal(ike_msg_parse(&p, a, la), IKE_OK);
	assert_int_equal(p.n_pl, 6);
	assert_int_equal(p.sa.n_props, 2);
	assert_int_equal(p.sa.prop[1].num, 2);
	assert_int_equal(p.sa.prop[1].n_transforms, 4);
	assert_int_equal(p.sa.prop[0].xf[0].keylen, 256);
	assert_int_equal(p.sa.prop[1].xf[0].keylen, 128);
	assert_int_equal(p.sa.prop[0].xf[1].id, IKE_PRF_HMAC_SHA2_384);
	assert_int_equal(p.sa.prop[1].xf[3].id, IKE_DH_ECP256);
	assert_int_equal(p.n_notify, 2);
	assert_int_equal(p.notify[1].type, IKE_N_NAT_DETECTION_DESTINATION_IP);
	assert_memory_equal(p.notify[1].data.p, natd, sizeof(natd));
	assert_int_equal(p.n_vendor, 1);
	assert_memory_equal(p.ke.data.p, ke32, sizeof(ke32));
	assert_memory_equal(p.nonce.p, nonce32, sizeof(nonce32));
	assert_int_equal(ike_msg_build(&p, b, sizeof(b), &lb, 0), IKE_OK);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
}

static void test_roundtrip_inner(void **state)
{
	struct ike_msg m, p;
	uint8_t a[1024], b[1024];
	size_t la, lb;
	uint8_t first, first2;

	(void)state;
	make_auth_inner(&m);
	assert_int_equal(ike_msg_build_payloads(&m, 0, m.n_pl, a, sizeof(a),
						&la, &first), IKE_OK);
	assert_int_equal(first, IKE_PL_IDI);
	ike_msg_init(&p, SPI_I, SPI_I, IKE_AUTH, 0, 1);
	assert_int_equal(ike_msg_parse_inner(&p, first, a, la), IKE_OK);
	assert_int_equal(p.n_pl, m.n_pl);
	assert_int_equal(p.idi.type, IKE_ID_IPV4_ADDR);
	assert_int_equal(p.idi.data.len, 4);
	assert_int_equal(p.idi.body.len, 8);
	assert_int_equal(p.idi.body.p[0], IKE_ID_IPV4_ADDR);
	assert_int_equal(p.auth.method, IKE_AUTH_PSK);
	assert_int_equal(p.auth.data.len, 32);
	assert_int_equal(p.sa.prop[0].proto, IKE_PROTO_ESP);
	assert_memory_equal(p.sa.prop[0].spi, "\xca\xfe\xf0\x0d", 4);
	assert_int_equal(p.sa.prop[0].xf[3].n_attrs, 1);
	assert_int_equal(p.sa.prop[0].xf[3].attrs[0].type, 999);
	assert_false(p.sa.prop[0].xf[3].attrs[0].tv);
	assert_int_equal(p.tsi.n, 2);
	assert_int_equal(p.tsi.ts[1].addr_len, 16);
	assert_int_equal(p.tsi.ts[1].ip_proto, 17);
	assert_int_equal(p.tsi.ts[1].start_port, 53);
	assert_int_equal(p.tsi.ts[1].end[5], 0xff);
	assert_int_equal(p.tsr.ts[0].start[3], 128);
	assert_int_equal(p.tsr.ts[0].end_port, 65535);
	assert_int_equal(p.n_delete, 1);
	assert_int_equal(ike_delete_spi(&p.del[0], 0), 0xc0010203);
	assert_int_equal(ike_delete_spi(&p.del[0], 1), 0xc0040506);
	assert_int_equal(ike_delete_spi(&p.del[0], 2), 0);
	assert_int_equal(p.n_notify, 2);
	assert_int_equal(p.notify[1].spi_size, 4);
	assert_memory_equal(p.notify[1].spi, "\x11\x22\x33\x44", 4);
	assert_int_equal(p.n_other, 1);
	assert_int_equal(p.other[0].type, IKE_PL_CP);
	assert_int_equal(ike_msg_build_payloads(&p, 0, p.n_pl, b, sizeof(b),
						&lb, &first2), IKE_OK);
	assert_int_equal(first2, first);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);

	/* ike_id_body matches what the parser saw */
	{
		uint8_t body[64];

		assert_int_equal(ike_id_body(&m.idi, body, sizeof(body)), 8);
		assert_memory_equal(body, p.idi.body.p, 8);
		assert_int_equal(ike_id_body(&m.idi, body, 7), 0);
	}
}

/* A message with an unencrypted notify and an SK payload (opaque body). */
static size_t make_sk_msg(uint8_t *out, size_t cap, size_t body_len)
{
	static uint8_t body[200];
	struct ike_msg m;
	struct ike_notify *n;
	struct ike_sk *sk;
	size_t len;

	memset(body, 0x5a, sizeof(body));
	ike_msg_init(&m, SPI_I, SPI_I, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	n = ike_msg_add(&m, IKE_PL_NOTIFY);
	n->type = IKE_N_INITIAL_CONTACT;
	sk = ike_msg_add(&m, IKE_PL_SK);
	sk->inner_next = IKE_PL_IDI;
	sk->body = (struct ike_view){ body, (uint16_t)body_len };
	assert_int_equal(ike_msg_build(&m, out, cap, &len, 0), IKE_OK);
	assert_int_equal(m.sk.offset, IKE_HDR_LEN + 8);
	return len;
}

static void test_sk_position(void **state)
{
	struct ike_msg p, m;
	uint8_t a[512], b[512];
	size_t la, lb;

	(void)state;
	la = make_sk_msg(a, sizeof(a), 100);
	assert_int_equal(ike_msg_parse(&p, a, la), IKE_OK);
	assert_int_equal(p.n_pl, 2);
	assert_true(ike_msg_has(&p, IKE_PL_SK));
	assert_int_equal(p.sk.inner_next, IKE_PL_IDI);
	assert_int_equal(p.sk.offset, IKE_HDR_LEN + 8);
	assert_int_equal(p.sk.body.len, 100);
	assert_ptr_equal(p.sk.body.p, a + IKE_HDR_LEN + 8 + 4);
	/* the notify's next names SK and the header length is the total */
	assert_int_equal(a[IKE_HDR_LEN], IKE_PL_SK);
	assert_int_equal(ike_msg_build(&p, b, sizeof(b), &lb, 0), IKE_OK);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);

	/* SK alone, body reserved for the sealer */
	ike_msg_init(&m, SPI_I, SPI_I, IKE_AUTH, 0, 2);
	assert_non_null(ike_msg_add(&m, IKE_PL_SK));
	assert_int_equal(ike_msg_build(&m, b, sizeof(b), &lb, 60), IKE_OK);
	assert_int_equal(lb, IKE_HDR_LEN + 4 + 60);
	assert_int_equal(b[16], IKE_PL_SK);
	assert_int_equal(m.sk.offset, IKE_HDR_LEN);
	/* SK must be last when building */
	assert_non_null(ike_msg_add(&m, IKE_PL_VENDOR));
	assert_int_not_equal(ike_msg_build(&m, b, sizeof(b), &lb, 60), IKE_OK);

	/* too short for IV + pad length + ICV */
	la = make_sk_msg(a, sizeof(a), 25);
	assert_int_equal(ike_msg_parse(&p, a, la), IKE_OK);
	a[IKE_HDR_LEN + 8 + 3] -= 1;	/* SK length 29 -> 28 */
	a[27] -= 1;
	assert_int_equal(ike_msg_parse(&p, a, la - 1), IKE_ERR_SK_SHORT);
}

/* Rewrites the total length field. */
static void set_len(uint8_t *msg, size_t len)
{
	msg[24] = (uint8_t)(len >> 24);
	msg[25] = (uint8_t)(len >> 16);
	msg[26] = (uint8_t)(len >> 8);
	msg[27] = (uint8_t)len;
}

static enum ike_reason parse_mod(const uint8_t *base, size_t len,
				 size_t off, uint8_t val)
{
	uint8_t buf[512];
	struct ike_msg m;

	memcpy(buf, base, len);
	buf[off] = val;
	return ike_msg_parse(&m, buf, len);
}

static void test_header_errors(void **state)
{
	uint8_t buf[512];
	struct ike_msg m;

	(void)state;
	memcpy(buf, hand_init, sizeof(hand_init));
	assert_int_equal(ike_msg_parse(&m, buf, 27), IKE_ERR_SHORT);
	assert_int_equal(ike_msg_parse(&m, buf, 0), IKE_ERR_SHORT);
	/* header says more or less than the datagram holds */
	assert_int_equal(ike_msg_parse(&m, buf, sizeof(hand_init) - 1),
			 IKE_ERR_LEN_MISMATCH);
	buf[sizeof(hand_init)] = 0;
	assert_int_equal(ike_msg_parse(&m, buf, sizeof(hand_init) + 1),
			 IKE_ERR_LEN_MISMATCH);
	/* major version 3 (2.5: INVALID_MAJOR_VERSION); minor is ignored */
	assert_int_equal(parse_mod(hand_init, sizeof(hand_init), 17, 0x30),
			 IKE_ERR_MAJOR_VERSION);
	assert_int_equal(parse_mod(hand_init, sizeof(hand_init), 17, 0x10),
			 IKE_ERR_MAJOR_VERSION);
	assert_int_equal(parse_mod(hand_init, sizeof(hand_init), 17, 0x21),
			 IKE_OK);
	memset(buf, 0, 8);
	assert_int_equal(ike_msg_parse(&m, buf, sizeof(hand_init)),
			 IKE_ERR_ZERO_SPI_I);
	/* a header-only message with no payloads is well-formed */
	memcpy(buf, hand_init, IKE_HDR_LEN);
	buf[16] = 0;
	set_len(buf, IKE_HDR_LEN);
	assert_int_equal(ike_msg_parse(&m, buf, IKE_HDR_LEN), IKE_OK);
	assert_int_equal(m.n_pl, 0);
	/* header names a payload but there is none */
	buf[16] = IKE_PL_NONCE;
	assert_int_equal(ike_msg_parse(&m, buf, IKE_HDR_LEN),
			 IKE_ERR_PL_TRUNCATED);
	assert_int_equal(m.err_off, IKE_HDR_LEN);
	assert_int_equal(m.err_type, IKE_PL_NONCE);
}

static void test_payload_errors(void **state)
{
	const size_t L = sizeof(hand_init);
	uint8_t buf[512];
	struct ike_msg m;

	(void)state;
	/* SA payload length 3 (< generic header) and past the end */
	assert_int_equal(parse_mod(hand_init, L, 31, 3), IKE_ERR_PL_LEN);
	assert_int_equal(parse_mod(hand_init, L, 30, 1), IKE_ERR_PL_TRUNCATED);
	/* last payload says another follows */
	assert_int_equal(parse_mod(hand_init, L, 104, IKE_PL_VENDOR),
			 IKE_ERR_PL_TRUNCATED);
	/* proposal: "more" on the last one, bad value, wrong number */
	assert_int_equal(parse_mod(hand_init, L, 32, 2), IKE_ERR_SA_PROPOSAL);
	assert_int_equal(parse_mod(hand_init, L, 32, 1), IKE_ERR_SA_PROPOSAL);
	/* (a lone proposal may carry any number >= 1: a response keeps the
	 * number of the one accepted, 3.3.1) */
	assert_int_equal(parse_mod(hand_init, L, 36, 0), IKE_ERR_SA_NUMBERING);
	assert_int_equal(parse_mod(hand_init, L, 36, 2), IKE_OK);
	/* proposal length beyond the SA payload / below 8 */
	assert_int_equal(parse_mod(hand_init, L, 35, 41), IKE_ERR_SA_PROPOSAL);
	assert_int_equal(parse_mod(hand_init, L, 35, 7), IKE_ERR_SA_PROPOSAL);
	/* SPI size 4 on an IKE proposal; 8 is allowed (rekey) but then the
	 * transforms are misaligned */
	assert_int_equal(parse_mod(hand_init, L, 38, 4), IKE_ERR_SPI_SIZE);
	assert_int_not_equal(parse_mod(hand_init, L, 38, 8), IKE_OK);
	/* transform count: 2, 4, 0 */
	assert_int_equal(parse_mod(hand_init, L, 39, 2), IKE_ERR_SA_COUNT);
	assert_int_equal(parse_mod(hand_init, L, 39, 4), IKE_ERR_SA_COUNT);
	assert_int_equal(parse_mod(hand_init, L, 39, 0), IKE_ERR_SA_COUNT);
	/* transform "last" flag on the first, a bad flag value */
	assert_int_equal(parse_mod(hand_init, L, 40, 0), IKE_ERR_SA_COUNT);
	assert_int_equal(parse_mod(hand_init, L, 40, 1), IKE_ERR_SA_COUNT);
	/* transform length below 8 / beyond the proposal */
	assert_int_equal(parse_mod(hand_init, L, 43, 7), IKE_ERR_SA_TRANSFORM);
	assert_int_equal(parse_mod(hand_init, L, 43, 60), IKE_ERR_SA_TRANSFORM);
	/* transform length 10: a 2-octet attribute */
	memcpy(buf, hand_init, L);
	assert_int_equal(parse_mod(hand_init, L, 43, 10), IKE_ERR_SA_ATTR);
	/* Key Length as TLV is malformed */
	assert_int_equal(parse_mod(hand_init, L, 48, 0x00), IKE_ERR_SA_ATTR);
	/* KE too short */
	assert_int_equal(parse_mod(hand_init, L, 71, 8), IKE_ERR_PL_LEN);
	/* nonce of 15 octets: shrink Ni by one, move the rest */
	memcpy(buf, hand_init, 103);
	buf[87] = 19;
	memcpy(buf + 103, hand_init + 104, L - 104);
	set_len(buf, L - 1);
	assert_int_equal(ike_msg_parse(&m, buf, L - 1), IKE_ERR_NONCE_LEN);
	assert_int_equal(m.err_type, IKE_PL_NONCE);
	assert_int_equal(m.err_off, 84);
	/* notify SPI size larger than the payload / than 8 */
	assert_int_equal(parse_mod(hand_init, L, 109, 5), IKE_ERR_PL_LEN);
	assert_int_equal(parse_mod(hand_init, L, 109, 9), IKE_ERR_SPI_SIZE);
	/* trailing octets after a chain that ended */
	memcpy(buf, hand_init, L);
	buf[L] = buf[L + 1] = buf[L + 2] = buf[L + 3] = 0;
	set_len(buf, L + 4);
	assert_int_equal(ike_msg_parse(&m, buf, L + 4), IKE_ERR_TRAILING);
}

/* Message = hand_init's header + the payloads given (raw). */
static size_t wrap(uint8_t *buf, uint8_t first, const uint8_t *pl, size_t n)
{
	memcpy(buf, hand_init, IKE_HDR_LEN);
	buf[16] = first;
	memcpy(buf + IKE_HDR_LEN, pl, n);
	set_len(buf, IKE_HDR_LEN + n);
	return IKE_HDR_LEN + n;
}

static void test_critical_and_dups(void **state)
{
	static const uint8_t unknown_nc[] = {
		IKE_PL_NOTIFY, 0x00, 0, 6, 0xaa, 0xbb,	/* type 200, not critical */
		0, 0, 0, 8, 0, 0, 0x40, 0x00,		/* N(INITIAL_CONTACT) */
	};
	static const uint8_t unknown_c[] = {
		0, 0x80, 0, 6, 0xaa, 0xbb,		/* type 200, critical */
	};
	static const uint8_t cp_c[] = { 0, 0x80, 0, 8, 1, 0, 0, 0 };
	static const uint8_t known_c[] = {	/* critical known: fine */
		0, 0x80, 0, 8, 0, 0, 0x40, 0x00,
	};
	static const uint8_t dup_auth[] = {
		IKE_PL_AUTH, 0, 0, 9, 2, 0, 0, 0, 1,
		0, 0, 0, 9, 2, 0, 0, 0, 1,
	};
	uint8_t buf[512];
	struct ike_msg m;
	size_t n;

	(void)state;
	n = wrap(buf, 200, unknown_nc, sizeof(unknown_nc));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_OK);
	assert_int_equal(m.n_other, 1);
	assert_int_equal(m.other[0].type, 200);
	assert_int_equal(m.n_notify, 1);
	n = wrap(buf, 200, unknown_c, sizeof(unknown_c));
	assert_int_equal(ike_msg_parse(&m, buf, n),
			 IKE_ERR_UNSUPPORTED_CRITICAL);
	assert_int_equal(m.err_type, 200);	/* for the notify's data */
	n = wrap(buf, IKE_PL_CP, cp_c, sizeof(cp_c));
	assert_int_equal(ike_msg_parse(&m, buf, n),
			 IKE_ERR_UNSUPPORTED_CRITICAL);
	assert_int_equal(m.err_type, IKE_PL_CP);
	n = wrap(buf, IKE_PL_NOTIFY, known_c, sizeof(known_c));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_OK);
	assert_int_equal(m.order[0].critical, 1);
	n = wrap(buf, IKE_PL_AUTH, dup_auth, sizeof(dup_auth));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_DUP_PAYLOAD);
	/* AUTH with no data */
	n = wrap(buf, IKE_PL_AUTH, (const uint8_t *)"\0\0\0\x08\2\0\0\0", 8);
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_PL_LEN);
}

static void test_sub_errors(void **state)
{
	static const uint8_t del_ike_ok[] = { 0, 0, 0, 8, 1, 0, 0, 0 };
	static const uint8_t del_ike_spi[] = { 0, 0, 0, 8, 1, 8, 0, 0 };
	static const uint8_t del_esp_cnt[] = {
		0, 0, 0, 12, 3, 4, 0, 2, 1, 2, 3, 4,
	};
	static const uint8_t del_esp_zero[] = { 0, 0, 0, 8, 3, 4, 0, 0 };
	static const uint8_t del_proto[] = { 0, 0, 0, 8, 9, 0, 0, 0 };
	static const uint8_t ts_ok[] = {
		0, 0, 0, 24, 1, 0, 0, 0,
		7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 255,
	};
	static const uint8_t ts_unknown[] = {
		0, 0, 0, 20, 1, 0, 0, 0,
		9, 0, 0, 12, 0, 0, 0, 0, 1, 2, 3, 4,
	};
	uint8_t ts[64], buf[512];
	struct ike_msg m;
	size_t n;

	(void)state;
	n = wrap(buf, IKE_PL_DELETE, del_ike_ok, sizeof(del_ike_ok));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_OK);
	assert_int_equal(m.del[0].proto, IKE_PROTO_IKE);
	n = wrap(buf, IKE_PL_DELETE, del_ike_spi, sizeof(del_ike_spi));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_DELETE);
	n = wrap(buf, IKE_PL_DELETE, del_esp_cnt, sizeof(del_esp_cnt));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_DELETE);
	n = wrap(buf, IKE_PL_DELETE, del_esp_zero, sizeof(del_esp_zero));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_DELETE);
	n = wrap(buf, IKE_PL_DELETE, del_proto, sizeof(del_proto));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_DELETE);

	n = wrap(buf, IKE_PL_TSI, ts_ok, sizeof(ts_ok));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_OK);
	assert_int_equal(m.tsi.ts[0].end[3], 255);
	n = wrap(buf, IKE_PL_TSR, ts_unknown, sizeof(ts_unknown));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_OK);
	assert_int_equal(m.tsr.ts[0].type, 9);
	assert_int_equal(m.tsr.ts[0].addr_len, 0);
	assert_int_equal(m.tsr.ts[0].other.len, 4);
	{	/* and it is carried through a rebuild */
		uint8_t out[512];
		size_t lo;

		assert_int_equal(ike_msg_build(&m, out, sizeof(out), &lo, 0),
				 IKE_OK);
		assert_int_equal(lo, n);
		assert_memory_equal(out, buf, n);
	}
	/* count 0, count 2 with one selector, selector length 15, 17 */
	memcpy(ts, ts_ok, sizeof(ts_ok));
	ts[4] = 0;
	n = wrap(buf, IKE_PL_TSI, ts, sizeof(ts_ok));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_TS_COUNT);
	ts[4] = 2;
	n = wrap(buf, IKE_PL_TSI, ts, sizeof(ts_ok));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_TS);
	ts[4] = 1;
	ts[11] = 15;
	n = wrap(buf, IKE_PL_TSI, ts, sizeof(ts_ok));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_TS);
	ts[11] = 17;
	n = wrap(buf, IKE_PL_TSI, ts, sizeof(ts_ok));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_TS);
	/* 17 selectors announced */
	ts[11] = 16;
	ts[4] = IKE_MAX_TS + 1;
	n = wrap(buf, IKE_PL_TSI, ts, sizeof(ts_ok));
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_TS_COUNT);
}

static void test_limits(void **state)
{
	uint8_t buf[2048], pl[2048];
	struct ike_msg m;
	size_t n, o = 0;
	unsigned i;

	(void)state;
	/* 17 notifies: over IKE_MAX_NOTIFY */
	for (i = 0; i <= IKE_MAX_NOTIFY; i++, o += 8) {
		static const uint8_t nt[] = { 0, 0, 0, 8, 0, 0, 0x40, 0x00 };

		memcpy(pl + o, nt, 8);
		pl[o] = i < IKE_MAX_NOTIFY ? IKE_PL_NOTIFY : 0;
	}
	n = wrap(buf, IKE_PL_NOTIFY, pl, o);
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_TOO_MANY_NOTIFY);
	/* 9 vendor IDs: over IKE_MAX_VENDOR */
	o = 0;
	for (i = 0; i < IKE_MAX_VENDOR + 1; i++, o += 4) {
		pl[o] = i < IKE_MAX_VENDOR ? IKE_PL_VENDOR : 0;
		pl[o + 1] = 0;
		pl[o + 2] = 0;
		pl[o + 3] = 4;
	}
	n = wrap(buf, IKE_PL_VENDOR, pl, o);
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_TOO_MANY_VENDOR);
	/* 16 notify + 8 vendor + 8 other = 32, one more notify-less payload */
	o = 0;
	for (i = 0; i < 33; i++, o += 8) {
		uint8_t next = i + 1 < 16 ? IKE_PL_NOTIFY : i + 1 < 24 ?
			IKE_PL_VENDOR : i + 1 < 32 ? 200 : IKE_PL_NONCE;

		pl[o] = i == 32 ? 0 : next;
		pl[o + 1] = 0;
		pl[o + 2] = 0;
		pl[o + 3] = 8;
		memcpy(pl + o + 4, "\0\0\x40\0", 4);
	}
	n = wrap(buf, IKE_PL_NOTIFY, pl, o);
	assert_int_equal(ike_msg_parse(&m, buf, n), IKE_ERR_TOO_MANY_PAYLOADS);
	/* builder bounds */
	ike_msg_init(&m, SPI_I, SPI_R, IKE_INFORMATIONAL, 0, 3);
	assert_non_null(ike_msg_add(&m, IKE_PL_SA));
	assert_null(ike_msg_add(&m, IKE_PL_SA));
	assert_null(ike_msg_add(&m, IKE_PL_NONE));
	for (i = 0; i < IKE_MAX_NOTIFY; i++)
		assert_non_null(ike_msg_add(&m, IKE_PL_NOTIFY));
	assert_null(ike_msg_add(&m, IKE_PL_NOTIFY));
	/* an SA with no proposal cannot be built */
	assert_int_equal(ike_msg_build(&m, buf, sizeof(buf), &n, 0),
			 IKE_ERR_BUILD);
}

static void test_inner(void **state)
{
	struct ike_msg m;
	uint8_t a[1024];
	size_t la;
	uint8_t first;
	static const uint8_t nested[] = {
		0, 0, 0, 29, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};

	(void)state;
	make_auth_inner(&m);
	assert_int_equal(ike_msg_build_payloads(&m, 0, m.n_pl, a, sizeof(a),
						&la, &first), IKE_OK);
	/* truncated inner chains are refused */
	ike_msg_init(&m, SPI_I, SPI_I, IKE_AUTH, 0, 1);
	assert_int_not_equal(ike_msg_parse_inner(&m, first, a, la - 1), IKE_OK);
	ike_msg_init(&m, SPI_I, SPI_I, IKE_AUTH, 0, 1);
	assert_int_equal(ike_msg_parse_inner(&m, IKE_PL_SK, nested,
					     sizeof(nested)), IKE_ERR_SK_NESTED);
	/* empty inner chain (e.g. an empty INFORMATIONAL) */
	ike_msg_init(&m, SPI_I, SPI_I, IKE_INFORMATIONAL, 0, 1);
	assert_int_equal(ike_msg_parse_inner(&m, IKE_PL_NONE, a, 0), IKE_OK);
	assert_int_equal(m.n_pl, 0);
	assert_int_equal(ike_msg_parse_inner(&m, IKE_PL_NONE, a, 3),
			 IKE_ERR_TRAILING);
}

/* Every shorter datagram with the header length adjusted is refused. */
static void test_truncations(void **state)
{
	struct ike_msg m;
	uint8_t a[1024], b[1024];
	size_t la, l;

	(void)state;
	make_init(&m);
	assert_int_equal(ike_msg_build(&m, a, sizeof(a), &la, 0), IKE_OK);
	for (l = 0; l < la; l++) {
		memcpy(b, a, l);
		if (l >= IKE_HDR_LEN)
			set_len(b, l);
		assert_int_not_equal(ike_msg_parse(&m, b, l), IKE_OK);
	}
	assert_int_equal(ike_msg_parse(&m, a, la), IKE_OK);
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Random mutations: no crash; whatever parses rebuilds to a fixed point. */
static void test_mutations(void **state)
{
	struct ike_msg m, m2, inner;
	uint8_t seeds[2][1024], b[1024], c[2048], d[2048];
	size_t ls[2], lb, lc, ld;
	unsigned i, j, accepted = 0;
	enum ike_reason r;
	uint8_t first;

	(void)state;
	make_init(&m);
	assert_int_equal(ike_msg_build(&m, seeds[0], 1024, &ls[0], 0), IKE_OK);
	make_auth_inner(&inner);
	assert_int_equal(ike_msg_build_payloads(&inner, 0, inner.n_pl,
						seeds[1] + IKE_HDR_LEN, 900,
						&ls[1], &first), IKE_OK);
	memcpy(seeds[1], seeds[0], IKE_HDR_LEN);
	seeds[1][16] = first;
	ls[1] += IKE_HDR_LEN;
	set_len(seeds[1], ls[1]);
	assert_int_equal(ike_msg_parse(&m, seeds[1], ls[1]), IKE_OK);

	for (i = 0; i < 40000; i++) {
		unsigned s = i & 1, nmut = 1 + rnd() % 4;

		lb = ls[s];
		memcpy(b, seeds[s], lb);
		for (j = 0; j < nmut; j++) {
			size_t off = rnd() % lb;

			switch (rnd() % 3) {
			case 0: b[off] ^= (uint8_t)(1u << (rnd() % 8)); break;
			case 1: b[off] = (uint8_t)rnd(); break;
			default: lb = off > IKE_HDR_LEN ? off : lb; break;
			}
		}
		if (rnd() % 2 && lb >= IKE_HDR_LEN)
			set_len(b, lb);
		if (ike_msg_parse(&m, b, lb) != IKE_OK)
			continue;
		accepted++;
		/* accepted: build, reparse, rebuild: identical */
		if (ike_msg_has(&m, IKE_PL_SK) &&
		    m.order[m.n_pl - 1].type != IKE_PL_SK)
			fail();
		r = ike_msg_build(&m, c, sizeof(c), &lc, 0);
		if (r != IKE_OK)
			print_error("build: %s (seed %u)\n", ike_reason_str(r), s);
		assert_int_equal(r, IKE_OK);
		assert_int_equal(ike_msg_parse(&m2, c, lc), IKE_OK);
		assert_int_equal(m2.n_pl, m.n_pl);
		assert_int_equal(ike_msg_build(&m2, d, sizeof(d), &ld, 0), IKE_OK);
		assert_int_equal(lc, ld);
		assert_memory_equal(c, d, lc);
	}
	/* the mutations are not all rejected (else this proves little) */
	assert_true(accepted > 100);
	printf("mutations: %u of 40000 accepted and round-tripped\n", accepted);
}

static void test_non_esp_marker(void **state)
{
	uint8_t buf[512];
	const uint8_t *p = buf;
	size_t len;
	struct ike_msg m;

	(void)state;
	memset(buf, 0, 4);
	memcpy(buf + 4, hand_init, sizeof(hand_init));
	len = sizeof(hand_init) + 4;
	assert_int_equal(ike_udp4500_classify(buf, len), IKE_UDP_IKE);
	assert_int_equal(ike_strip_non_esp_marker(&p, &len), IKE_OK);
	assert_ptr_equal(p, buf + 4);
	assert_int_equal(len, sizeof(hand_init));
	assert_int_equal(ike_msg_parse(&m, p, len), IKE_OK);
	/* ESP: a non-zero SPI; keepalive: one 0xff octet */
	buf[3] = 1;
	p = buf;
	len = 100;
	assert_int_equal(ike_udp4500_classify(buf, len), IKE_UDP_ESP);
	assert_int_equal(ike_strip_non_esp_marker(&p, &len), IKE_ERR_NOT_IKE);
	assert_ptr_equal(p, buf);
	assert_int_equal(len, 100);
	buf[0] = 0xff;
	assert_int_equal(ike_udp4500_classify(buf, 1), IKE_UDP_KEEPALIVE);
	assert_int_equal(ike_udp4500_classify(buf, 3), IKE_UDP_INVALID);
	memset(buf, 0, 8);
	/* a marker followed by less than an IKE header */
	assert_int_equal(ike_udp4500_classify(buf, 4 + 27), IKE_UDP_INVALID);
	assert_int_equal(ike_udp4500_classify(buf, 0), IKE_UDP_INVALID);
}

static void test_reason_str(void **state)
{
	unsigned i, j;

	(void)state;
	for (i = 0; i < IKE_REASON_COUNT; i++) {
		assert_non_null(ike_reason_str(i));
		for (j = 0; j < i; j++)
			assert_string_not_equal(ike_reason_str(i),
						ike_reason_str(j));
	}
	assert_string_equal(ike_reason_str(IKE_REASON_COUNT), "unknown reason");
	assert_string_equal(ike_reason_str(IKE_OK), "ok");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_parse),
		cmocka_unit_test(test_roundtrip_init),
		cmocka_unit_test(test_roundtrip_inner),
		cmocka_unit_test(test_sk_position),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_payload_errors),
		cmocka_unit_test(test_critical_and_dups),
		cmocka_unit_test(test_sub_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_inner),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_non_esp_marker),
		cmocka_unit_test(test_reason_str),
	};
	unsigned i;

	for (i = 0; i < sizeof(nonce32); i++) {
		nonce32[i] = (uint8_t)(0x10 + i);
		ke32[i] = (uint8_t)(0x80 + i);
	}
	memset(vid, 0x77, sizeof(vid));
	memset(natd, 0x33, sizeof(natd));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
