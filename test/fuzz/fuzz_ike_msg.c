/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the IKEv2 message parser (lib/ike/ike_msg.c) and the
 * SK payload path (ike_crypto.c), as the control plane will run them on
 * datagrams from the network. Any crash or sanitizer report is a bug; so
 * is an accepted message that does not rebuild to a fixed point
 * (parse -> build -> parse -> build gives the same octets).
 *
 * Input: one flags byte, then the datagram.
 *   bit 0  UDP 4500: the datagram starts with the non-ESP marker
 *          (classified and stripped as the WAN classifier will)
 *   bit 1  fix the header's length field to the datagram length, so that
 *          mutations get past the first check
 *   bit 2  seal: the octets after the 28-octet header are an inner payload
 *          chain whose first type is the header's next-payload field; it
 *          is sealed into an SK payload with a fixed AES-GCM or ChaCha20
 *          key (bit 3) and then opened and parsed like a received message,
 *          so the inner parser sees fuzzed plaintext behind a valid ICV
 *
 * FUZZ_IKE_SEED_DIR=dir ./fuzz_ike_msg writes seed inputs (messages made
 * by the builder: IKE_SA_INIT, IKE_AUTH inner chains, INFORMATIONAL with
 * delete, sealed and plain) to dir and exits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_crypto.h"
#include "ike_msg.h"

#define F_NATT	0x01
#define F_FIX	0x02
#define F_SEAL	0x04
#define F_CHACHA 0x08

static const uint8_t SPI_I[8] = { 0x5e, 1, 2, 3, 4, 5, 6, 7 };
static const uint8_t SPI_R[8] = { 0x7a, 1, 2, 3, 4, 5, 6, 7 };

static struct ike_sa_keys keys_gcm, keys_chacha;

static void init_keys(void)
{
	static const struct ike_suite gcm = {
		.encr = IKE_ENCR_AES_GCM_16, .encr_keylen = 256,
		.prf = IKE_PRF_HMAC_SHA2_256, .dh = IKE_DH_CURVE25519,
	};
	static const struct ike_suite cha = {
		.encr = IKE_ENCR_CHACHA20_POLY1305,
		.prf = IKE_PRF_HMAC_SHA2_384, .dh = IKE_DH_ECP256,
	};
	static const uint8_t n[32] = "fuzz nonce fuzz nonce fuzz nonce";
	static const uint8_t g[32] = "fuzz shared secret fuzz shared!";

	if (ike_derive_ike_keys(&gcm, n, 32, n, 32, g, 32, SPI_I, SPI_R,
				&keys_gcm) != 0 ||
	    ike_derive_ike_keys(&cha, n, 32, n, 32, g, 32, SPI_I, SPI_R,
				&keys_chacha) != 0)
		abort();
}

static void check_fixed_point(struct ike_msg *m)
{
	static uint8_t a[IKE_MSG_MAX + 64], b[IKE_MSG_MAX + 64];
	static struct ike_msg m2;
	size_t la, lb;

	if (ike_msg_build(m, a, sizeof(a), &la, 0) != IKE_OK)
		abort();
	if (ike_msg_parse(&m2, a, la) != IKE_OK)
		abort();
	if (m2.n_pl != m->n_pl)
		abort();
	if (ike_msg_build(&m2, b, sizeof(b), &lb, 0) != IKE_OK)
		abort();
	if (la != lb || memcmp(a, b, la) != 0)
		abort();
}

/* Inner chain as plaintext behind a valid ICV. */
static void run_sealed(const uint8_t *d, size_t n, bool chacha)
{
	static uint8_t msg[IKE_MSG_MAX], plain[IKE_MSG_MAX];
	static struct ike_msg m, p;
	static const uint8_t iv[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const struct ike_sa_keys *k = chacha ? &keys_chacha : &keys_gcm;
	struct ike_sk_key ko = ike_sk_key_out(k, true);
	struct ike_sk_key ki = ike_sk_key_in(k, false);
	size_t len;
	uint8_t first;

	if (n < IKE_HDR_LEN || n - IKE_HDR_LEN > 60000)
		return;
	first = d[16];
	ike_msg_init(&m, SPI_I, SPI_R, d[18], d[19], 1);
	if (ike_msg_add(&m, IKE_PL_SK) == NULL)
		abort();
	if (ike_sk_seal(&ko, &m, first, d + IKE_HDR_LEN, n - IKE_HDR_LEN, iv,
			msg, sizeof(msg), &len) != IKE_OK)
		return;
	if (ike_msg_parse(&p, msg, len) != IKE_OK)
		abort();	/* what we sealed must parse */
	if (ike_sk_open(&ki, &p, msg, len, plain, sizeof(plain)) != IKE_OK)
		return;
	/* accepted inner chains rebuild identically */
	{
		static uint8_t out[IKE_MSG_MAX];
		size_t lo;
		uint8_t f2;

		if (ike_msg_build_payloads(&p, 1, p.n_pl, out, sizeof(out), &lo,
					   &f2) != IKE_OK)
			abort();
		if (p.n_pl > 1 && f2 != first)
			abort();
		if (lo != n - IKE_HDR_LEN ||
		    memcmp(out, d + IKE_HDR_LEN, lo) != 0) {
			/* only reserved octets may differ: reparse must agree */
			static struct ike_msg q;
			static uint8_t out2[IKE_MSG_MAX];
			size_t lo2;

			ike_msg_init(&q, SPI_I, SPI_R, 0, 0, 0);
			if (ike_msg_parse_inner(&q, f2, out, lo) != IKE_OK)
				abort();
			if (ike_msg_build_payloads(&q, 0, q.n_pl, out2,
						   sizeof(out2), &lo2,
						   &f2) != IKE_OK ||
			    lo2 != lo || memcmp(out, out2, lo) != 0)
				abort();
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_seed(const char *dir, const char *name, uint8_t flags,
		       const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputc(flags, f);
	if (flags & F_NATT)
		fwrite("\0\0\0\0", 1, 4, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

static void make_seeds(const char *dir)
{
	static struct ike_msg m;
	static uint8_t buf[4096], inner[2048];
	static const uint8_t nonce[32] = "0123456789abcdef0123456789abcdef";
	static const uint8_t ke[32] = "ke data ke data ke data ke data";
	static const uint8_t id[4] = { 198, 18, 0, 1 };
	static const uint8_t spis[8] = { 0xc1, 0, 0, 1, 0xc1, 0, 0, 2 };
	struct ike_sk_key ko = ike_sk_key_out(&keys_gcm, true);
	struct ike_sa_pl *sa;
	struct ike_ke *k;
	struct ike_view *v;
	struct ike_notify *nt;
	struct ike_id *i;
	struct ike_auth *a;
	struct ike_ts *ts;
	struct ike_delete *d;
	size_t len, il;
	uint8_t first;

	/* IKE_SA_INIT request */
	ike_msg_init(&m, SPI_I, (const uint8_t[8]){ 0 }, IKE_SA_INIT,
		     IKE_FLAG_INITIATOR, 0);
	sa = ike_msg_add(&m, IKE_PL_SA);
	sa->n_props = 2;
	sa->prop[0] = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_IKE,
		.n_transforms = 3 };
	sa->prop[0].xf[0] = (struct ike_transform){ .type = IKE_XF_ENCR,
		.id = IKE_ENCR_AES_GCM_16, .keylen = 256 };
	sa->prop[0].xf[1] = (struct ike_transform){ .type = IKE_XF_PRF,
		.id = IKE_PRF_HMAC_SHA2_384 };
	sa->prop[0].xf[2] = (struct ike_transform){ .type = IKE_XF_DH,
		.id = IKE_DH_CURVE25519 };
	sa->prop[1] = sa->prop[0];
	sa->prop[1].num = 2;
	sa->prop[1].xf[0].id = IKE_ENCR_CHACHA20_POLY1305;
	sa->prop[1].xf[0].keylen = 0;
	k = ike_msg_add(&m, IKE_PL_KE);
	k->group = IKE_DH_CURVE25519;
	k->data = (struct ike_view){ ke, 32 };
	v = ike_msg_add(&m, IKE_PL_NONCE);
	*v = (struct ike_view){ nonce, 32 };
	nt = ike_msg_add(&m, IKE_PL_NOTIFY);
	nt->type = IKE_N_NAT_DETECTION_SOURCE_IP;
	nt->data = (struct ike_view){ nonce, 20 };
	nt = ike_msg_add(&m, IKE_PL_NOTIFY);
	nt->type = IKE_N_COOKIE;
	nt->data = (struct ike_view){ nonce, 16 };
	v = ike_msg_add(&m, IKE_PL_VENDOR);
	*v = (struct ike_view){ nonce, 16 };
	if (ike_msg_build(&m, buf, sizeof(buf), &len, 0) != IKE_OK)
		abort();
	write_seed(dir, "sa_init", 0, buf, len);
	write_seed(dir, "sa_init-natt", F_NATT, buf, len);

	/* IKE_AUTH inner chain */
	ike_msg_init(&m, SPI_I, SPI_R, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	i = ike_msg_add(&m, IKE_PL_IDI);
	i->type = IKE_ID_IPV4_ADDR;
	i->data = (struct ike_view){ id, 4 };
	a = ike_msg_add(&m, IKE_PL_AUTH);
	a->method = IKE_AUTH_PSK;
	a->data = (struct ike_view){ nonce, 32 };
	sa = ike_msg_add(&m, IKE_PL_SA);
	sa->n_props = 1;
	sa->prop[0] = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_ESP,
		.spi_size = 4, .spi = { 0xc1, 2, 3, 4 }, .n_transforms = 3 };
	sa->prop[0].xf[0] = (struct ike_transform){ .type = IKE_XF_ENCR,
		.id = IKE_ENCR_AES_GCM_16, .keylen = 128 };
	sa->prop[0].xf[1] = (struct ike_transform){ .type = IKE_XF_ESN,
		.id = IKE_ESN_NO };
	sa->prop[0].xf[2] = (struct ike_transform){ .type = IKE_XF_ESN,
		.id = IKE_ESN_YES };
	ts = ike_msg_add(&m, IKE_PL_TSI);
	ts->n = 1;
	ts->ts[0] = (struct ike_ts_entry){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.end_port = 65535, .addr_len = 4, .start = { 198, 19, 0, 0 },
		.end = { 198, 19, 0, 255 } };
	ts = ike_msg_add(&m, IKE_PL_TSR);
	ts->n = 1;
	ts->ts[0] = (struct ike_ts_entry){ .type = IKE_TS_IPV6_ADDR_RANGE,
		.end_port = 65535, .addr_len = 16, .start = { 0x20, 1, 0xd, 0xb8 },
		.end = { 0x20, 1, 0xd, 0xb8, 0xff } };
	nt = ike_msg_add(&m, IKE_PL_NOTIFY);
	nt->type = IKE_N_INITIAL_CONTACT;
	if (ike_msg_build_payloads(&m, 0, m.n_pl, inner, sizeof(inner), &il,
				   &first) != IKE_OK)
		abort();
	/* as a seal input: a header whose next field names the first payload */
	memset(buf, 0, IKE_HDR_LEN);
	memcpy(buf, SPI_I, 8);
	memcpy(buf + 8, SPI_R, 8);
	buf[16] = first;
	buf[17] = IKE_VERSION_2;
	buf[18] = IKE_AUTH;
	buf[19] = IKE_FLAG_INITIATOR;
	memcpy(buf + IKE_HDR_LEN, inner, il);
	write_seed(dir, "auth-seal-gcm", F_SEAL, buf, IKE_HDR_LEN + il);
	write_seed(dir, "auth-seal-chacha", F_SEAL | F_CHACHA, buf,
		   IKE_HDR_LEN + il);
	/* as a plain (unencrypted) message, and as a real sealed one */
	buf[24] = 0;
	buf[25] = 0;
	buf[26] = (uint8_t)((IKE_HDR_LEN + il) >> 8);
	buf[27] = (uint8_t)(IKE_HDR_LEN + il);
	write_seed(dir, "auth-plain", 0, buf, IKE_HDR_LEN + il);
	ike_msg_init(&m, SPI_I, SPI_R, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	ike_msg_add(&m, IKE_PL_SK);
	if (ike_sk_seal(&ko, &m, first, inner, il, (const uint8_t[8]){ 9 },
			buf, sizeof(buf), &len) != IKE_OK)
		abort();
	write_seed(dir, "auth-sk-natt", F_NATT, buf, len);

	/* INFORMATIONAL with deletes */
	ike_msg_init(&m, SPI_I, SPI_R, IKE_INFORMATIONAL, IKE_FLAG_RESPONSE, 7);
	d = ike_msg_add(&m, IKE_PL_DELETE);
	d->proto = IKE_PROTO_ESP;
	d->spi_size = 4;
	d->n_spi = 2;
	d->spis = (struct ike_view){ spis, 8 };
	d = ike_msg_add(&m, IKE_PL_DELETE);
	d->proto = IKE_PROTO_IKE;
	if (ike_msg_build_payloads(&m, 0, m.n_pl, inner, sizeof(inner), &il,
				   &first) != IKE_OK)
		abort();
	memcpy(buf + IKE_HDR_LEN, inner, il);
	buf[16] = first;
	buf[18] = IKE_INFORMATIONAL;
	write_seed(dir, "info-delete-seal", F_SEAL, buf, IKE_HDR_LEN + il);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_IKE_SEED_DIR");

	(void)argc;
	(void)argv;
	init_keys();
	if (dir != NULL) {
		make_seeds(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[IKE_MSG_MAX + 8], plain[IKE_MSG_MAX];
	static struct ike_msg m;
	const uint8_t *p;
	size_t n;
	uint8_t flags;

	if (size < 1 || size > sizeof(buf))
		return 0;
	flags = data[0];
	memcpy(buf, data + 1, size - 1);
	p = buf;
	n = size - 1;
	if (flags & F_SEAL) {
		run_sealed(p, n, flags & F_CHACHA);
		return 0;
	}
	if (flags & F_NATT) {
		if (ike_strip_non_esp_marker(&p, &n) != IKE_OK)
			return 0;
	}
	if ((flags & F_FIX) && n >= IKE_HDR_LEN) {
		uint8_t *h = (uint8_t *)p;

		h[24] = (uint8_t)(n >> 24);
		h[25] = (uint8_t)(n >> 16);
		h[26] = (uint8_t)(n >> 8);
		h[27] = (uint8_t)n;
	}
	if (ike_msg_parse(&m, p, n) != IKE_OK)
		return 0;
	check_fixed_point(&m);
	if (ike_msg_has(&m, IKE_PL_SK)) {
		struct ike_sk_key k = ike_sk_key_in(
			flags & F_CHACHA ? &keys_chacha : &keys_gcm, false);

		/* mostly an ICV failure; a seed sealed with this key opens */
		(void)ike_sk_open(&k, &m, p, n, plain, sizeof(plain));
	}
	return 0;
}
