/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_probe: a one-shot IKEv2 initiator over ordinary UDP sockets, to prove
 * that lib/ike's codec and crypto interoperate with a real peer (strongSwan
 * charon) before the state machine exists. It runs IKE_SA_INIT (UDP 500),
 * floats to UDP 4500 with the non-ESP marker, runs IKE_AUTH with PSK,
 * verifies the responder's AUTH, prints the negotiated CHILD_SA, then
 * deletes the IKE SA (INFORMATIONAL). Test tool only: no retransmission
 * beyond a few tries, no cookies, no INVALID_KE retry.
 *
 * usage: ike_probe LOCAL_IP PEER_IP PSK LOCAL_TS REMOTE_TS ESP
 *   ESP = aes128gcm16 | aes256gcm16 | chacha20poly1305
 *   TS  = a.b.c.d-e.f.g.h (IPv4 range)
 * IKE proposal: aes256gcm16-prfsha256-x25519. IDs: the IPv4 addresses.
 * Output (stdout): "ike_sa ..." and "child_sa esp spi_i=0x... spi_r=0x..."
 * where spi_i is the SPI the initiator receives on. Exit 0 on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ike_crypto.h"
#include "ike_msg.h"
#include "ike_test_util.h"

#define BUF 8192

static struct in_addr local_ip, peer_ip;
static int s500 = -1, s4500 = -1;

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "ike_probe: %s: %s\n", what, why);
	return 1;
}

/*
 * Sends msg and waits for a datagram from the peer that parses as the
 * response to msg_id (retransmits every second, 5 tries). On 4500 the
 * marker is added and stripped. Returns the IKE message length.
 */
static ssize_t exchange(int s, uint16_t port, const uint8_t *msg, size_t len,
			uint32_t msg_id, uint8_t *resp, size_t cap)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = peer_ip,
				  .sin_port = htons(port) };
	uint8_t out[BUF + 4], in[BUF];
	size_t olen = len;
	int tries;

	if (port == IKE_NATT_PORT) {
		memset(out, 0, 4);
		memcpy(out + 4, msg, len);
		olen += 4;
	} else {
		memcpy(out, msg, len);
	}
	for (tries = 0; tries < 5; tries++) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };

		if (sendto(s, out, olen, 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0)
			return -1;
		while (poll(&pfd, 1, 1000) > 0) {
			ssize_t n = recv(s, in, sizeof(in), 0);
			const uint8_t *p = in;
			size_t l;
			struct ike_msg m;

			if (n <= 0)
				continue;
			l = (size_t)n;
			if (port == IKE_NATT_PORT &&
			    ike_strip_non_esp_marker(&p, &l) != IKE_OK)
				continue;
			if (ike_msg_parse(&m, p, l) != IKE_OK ||
			    m.hdr.msg_id != msg_id ||
			    !(m.hdr.flags & IKE_FLAG_RESPONSE) || l > cap)
				continue;
			memcpy(resp, p, l);
			return (ssize_t)l;
		}
	}
	errno = ETIMEDOUT;
	return -1;
}

static int parse_ts(const char *s, struct ike_ts *ts)
{
	char a[64], *dash;
	struct ike_ts_entry *e = &ts->ts[0];

	snprintf(a, sizeof(a), "%s", s);
	dash = strchr(a, '-');
	if (dash == NULL)
		return -1;
	*dash = 0;
	ts->n = 1;
	*e = (struct ike_ts_entry){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.end_port = 65535, .addr_len = 4 };
	if (inet_pton(AF_INET, a, e->start) != 1 ||
	    inet_pton(AF_INET, dash + 1, e->end) != 1)
		return -1;
	return 0;
}

static void add_natd(struct ike_msg *m, uint16_t type, const uint8_t spi_i[8],
		     struct in_addr ip, uint16_t port, uint8_t *hash)
{
	static const uint8_t zero[8];
	struct ike_notify *n = ike_msg_add(m, IKE_PL_NOTIFY);

	ike_natd_hash(spi_i, zero, (const uint8_t *)&ip, 4, port, hash);
	n->type = type;
	n->data = (struct ike_view){ hash, 20 };
}

/* The chosen transform of a type in a one-proposal SA, or -1. */
static int chosen(const struct ike_proposal *p, uint8_t type, uint16_t *keylen)
{
	unsigned i;

	for (i = 0; i < p->n_transforms; i++)
		if (p->xf[i].type == type) {
			if (keylen)
				*keylen = p->xf[i].keylen;
			return p->xf[i].id;
		}
	return -1;
}

int main(int argc, char **argv)
{
	static uint8_t req1[BUF], resp1[BUF], req2[BUF], resp2[BUF], pl[BUF];
	static uint8_t plain[BUF];
	static struct ike_msg m, r, inner;
	const struct ike_suite suite = { .encr = IKE_ENCR_AES_GCM_16,
		.encr_keylen = 256, .prf = IKE_PRF_HMAC_SHA2_256,
		.dh = IKE_DH_CURVE25519 };
	uint8_t spi_i[8], spi_r[8], ni[32], ke[32], g_ir[32], natd1[20],
		natd2[20], idb[64], auth[IKE_PRF_MAX], expect[IKE_PRF_MAX],
		esp_spi[4], iv[8] = { 0 };
	uint8_t nr[IKE_NONCE_MAX];
	size_t nr_len;
	uint16_t esp_encr, esp_klen = 0, klen;
	struct ike_sa_keys keys;
	struct ike_child_keys ck;
	struct ike_dh dh;
	struct ike_sa_pl *sa;
	struct ike_ke *k;
	struct ike_view *v;
	struct ike_id *id;
	struct ike_auth *a;
	struct ike_ts ts_l, ts_r;
	struct ike_sk_key ko, ki;
	size_t l1, l2, plen, n;
	ssize_t rl1, rl2;
	enum ike_reason rc;
	uint8_t first;
	const char *psk;

	if (argc != 7)
		return fail("usage", "LOCAL_IP PEER_IP PSK LOCAL_TS REMOTE_TS ESP");
	if (inet_pton(AF_INET, argv[1], &local_ip) != 1 ||
	    inet_pton(AF_INET, argv[2], &peer_ip) != 1)
		return fail("address", "bad IPv4 address");
	psk = argv[3];
	if (parse_ts(argv[4], &ts_l) || parse_ts(argv[5], &ts_r))
		return fail("ts", "expected a.b.c.d-e.f.g.h");
	if (strcmp(argv[6], "aes128gcm16") == 0) {
		esp_encr = IKE_ENCR_AES_GCM_16;
		esp_klen = 128;
	} else if (strcmp(argv[6], "aes256gcm16") == 0) {
		esp_encr = IKE_ENCR_AES_GCM_16;
		esp_klen = 256;
	} else if (strcmp(argv[6], "chacha20poly1305") == 0) {
		esp_encr = IKE_ENCR_CHACHA20_POLY1305;
	} else {
		return fail("esp", "unknown proposal");
	}
	s500 = ike_test_udp_bind(local_ip, IKE_PORT);
	s4500 = ike_test_udp_bind(local_ip, IKE_NATT_PORT);
	if (s500 < 0 || s4500 < 0)
		return fail("bind", strerror(errno));

	/* ---- IKE_SA_INIT ---- */
	memset(spi_r, 0, 8);
	if (ike_random(spi_i, 8) || ike_random(ni, 32) ||
	    ike_dh_new(&dh, IKE_DH_CURVE25519) ||
	    ike_dh_public(&dh, ke, sizeof(ke)) != 32)
		return fail("init", "crypto");
	ike_msg_init(&m, spi_i, spi_r, IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
	sa = ike_msg_add(&m, IKE_PL_SA);
	sa->n_props = 1;
	sa->prop[0] = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_IKE,
		.n_transforms = 3 };
	sa->prop[0].xf[0] = (struct ike_transform){ .type = IKE_XF_ENCR,
		.id = suite.encr, .keylen = suite.encr_keylen };
	sa->prop[0].xf[1] = (struct ike_transform){ .type = IKE_XF_PRF,
		.id = suite.prf };
	sa->prop[0].xf[2] = (struct ike_transform){ .type = IKE_XF_DH,
		.id = suite.dh };
	k = ike_msg_add(&m, IKE_PL_KE);
	k->group = suite.dh;
	k->data = (struct ike_view){ ke, 32 };
	v = ike_msg_add(&m, IKE_PL_NONCE);
	*v = (struct ike_view){ ni, 32 };
	add_natd(&m, IKE_N_NAT_DETECTION_SOURCE_IP, spi_i, local_ip, IKE_PORT,
		 natd1);
	add_natd(&m, IKE_N_NAT_DETECTION_DESTINATION_IP, spi_i, peer_ip,
		 IKE_PORT, natd2);
	if ((rc = ike_msg_build(&m, req1, sizeof(req1), &l1, 0)) != IKE_OK)
		return fail("build IKE_SA_INIT", ike_reason_str(rc));
	rl1 = exchange(s500, IKE_PORT, req1, l1, 0, resp1, sizeof(resp1));
	if (rl1 < 0)
		return fail("IKE_SA_INIT", strerror(errno));
	if ((rc = ike_msg_parse(&r, resp1, (size_t)rl1)) != IKE_OK)
		return fail("parse IKE_SA_INIT response", ike_reason_str(rc));
	if (r.n_notify && r.notify[0].type < 16384) {
		fprintf(stderr, "ike_probe: error notify %u\n", r.notify[0].type);
		return 1;
	}
	if (!ike_msg_has(&r, IKE_PL_SA) || !ike_msg_has(&r, IKE_PL_KE) ||
	    !ike_msg_has(&r, IKE_PL_NONCE) || r.sa.n_props != 1)
		return fail("IKE_SA_INIT response", "missing SA, KE or Nr");
	if (chosen(&r.sa.prop[0], IKE_XF_ENCR, &klen) != suite.encr ||
	    klen != suite.encr_keylen ||
	    chosen(&r.sa.prop[0], IKE_XF_PRF, NULL) != suite.prf ||
	    chosen(&r.sa.prop[0], IKE_XF_DH, NULL) != suite.dh ||
	    r.ke.group != suite.dh)
		return fail("IKE_SA_INIT response", "unexpected proposal");
	memcpy(spi_r, r.hdr.spi_r, 8);
	nr_len = r.nonce.len;
	memcpy(nr, r.nonce.p, nr_len);
	n = ike_dh_derive(&dh, r.ke.data.p, r.ke.data.len, g_ir, sizeof(g_ir));
	if (n == 0 || ike_derive_ike_keys(&suite, ni, 32, r.nonce.p,
					  r.nonce.len, g_ir, n, spi_i, spi_r,
					  &keys) != 0)
		return fail("key derivation", "failed");
	ike_dh_free(&dh);
	printf("ike_sa spi_i=%02x%02x%02x%02x%02x%02x%02x%02x "
	       "spi_r=%02x%02x%02x%02x%02x%02x%02x%02x "
	       "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519 natd=%s\n",
	       spi_i[0], spi_i[1], spi_i[2], spi_i[3], spi_i[4], spi_i[5],
	       spi_i[6], spi_i[7], spi_r[0], spi_r[1], spi_r[2], spi_r[3],
	       spi_r[4], spi_r[5], spi_r[6], spi_r[7],
	       ike_msg_notify(&r, IKE_N_NAT_DETECTION_SOURCE_IP) ? "yes" : "no");

	/* ---- IKE_AUTH (over 4500, marker) ---- */
	ike_random(esp_spi, 4);
	esp_spi[0] |= 0x80;
	ike_msg_init(&inner, spi_i, spi_r, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	id = ike_msg_add(&inner, IKE_PL_IDI);
	id->type = IKE_ID_IPV4_ADDR;
	id->data = (struct ike_view){ (const uint8_t *)&local_ip, 4 };
	n = ike_id_body(id, idb, sizeof(idb));
	/* AUTH = prf(prf(PSK, pad), IKE_SA_INIT request | Nr | prf(SK_pi, IDi')) */
	if (ike_psk_auth(suite.prf, (const uint8_t *)psk, strlen(psk), req1, l1,
			 r.nonce.p, r.nonce.len, keys.sk_pi, keys.prf_len, idb,
			 n, auth, sizeof(auth)) != 32)
		return fail("AUTH", "failed");
	a = ike_msg_add(&inner, IKE_PL_AUTH);
	a->method = IKE_AUTH_PSK;
	a->data = (struct ike_view){ auth, 32 };
	sa = ike_msg_add(&inner, IKE_PL_SA);
	sa->n_props = 1;
	sa->prop[0] = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_ESP,
		.spi_size = 4, .n_transforms = 2 };
	memcpy(sa->prop[0].spi, esp_spi, 4);
	sa->prop[0].xf[0] = (struct ike_transform){ .type = IKE_XF_ENCR,
		.id = esp_encr, .keylen = esp_klen };
	sa->prop[0].xf[1] = (struct ike_transform){ .type = IKE_XF_ESN,
		.id = IKE_ESN_NO };
	*(struct ike_ts *)ike_msg_add(&inner, IKE_PL_TSI) = ts_l;
	*(struct ike_ts *)ike_msg_add(&inner, IKE_PL_TSR) = ts_r;
	if ((rc = ike_msg_build_payloads(&inner, 0, inner.n_pl, pl, sizeof(pl),
					 &plen, &first)) != IKE_OK)
		return fail("build IKE_AUTH", ike_reason_str(rc));
	ike_msg_init(&m, spi_i, spi_r, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	ike_msg_add(&m, IKE_PL_SK);
	ko = ike_sk_key_out(&keys, true);
	ki = ike_sk_key_in(&keys, true);
	iv[7] = 1;	/* per-SA counter: message 1 */
	if ((rc = ike_sk_seal(&ko, &m, first, pl, plen, iv, req2, sizeof(req2),
			      &l2)) != IKE_OK)
		return fail("seal IKE_AUTH", ike_reason_str(rc));
	rl2 = exchange(s4500, IKE_NATT_PORT, req2, l2, 1, resp2, sizeof(resp2));
	if (rl2 < 0)
		return fail("IKE_AUTH", strerror(errno));
	if ((rc = ike_msg_parse(&r, resp2, (size_t)rl2)) != IKE_OK)
		return fail("parse IKE_AUTH response", ike_reason_str(rc));
	if ((rc = ike_sk_open(&ki, &r, resp2, (size_t)rl2, plain,
			      sizeof(plain))) != IKE_OK)
		return fail("open IKE_AUTH response", ike_reason_str(rc));
	for (n = 0; n < r.n_notify; n++)
		if (r.notify[n].type < 16384) {
			fprintf(stderr, "ike_probe: IKE_AUTH error notify %u\n",
				r.notify[n].type);
			return 1;
		}
	if (!ike_msg_has(&r, IKE_PL_IDR) || !ike_msg_has(&r, IKE_PL_AUTH) ||
	    !ike_msg_has(&r, IKE_PL_SA) || r.sa.n_props != 1 ||
	    r.sa.prop[0].spi_size != 4)
		return fail("IKE_AUTH response", "missing IDr, AUTH or SA");
	/* responder AUTH: its IKE_SA_INIT response | Ni | prf(SK_pr, IDr') */
	if (r.auth.method != IKE_AUTH_PSK || r.auth.data.len != 32 ||
	    ike_psk_auth(suite.prf, (const uint8_t *)psk, strlen(psk), resp1,
			 (size_t)rl1, ni, 32, keys.sk_pr, keys.prf_len,
			 r.idr.body.p, r.idr.body.len, expect,
			 sizeof(expect)) != 32 ||
	    !ike_auth_equal(expect, r.auth.data.p, 32))
		return fail("IKE_AUTH response", "responder AUTH mismatch");
	if (chosen(&r.sa.prop[0], IKE_XF_ENCR, &klen) != esp_encr ||
	    klen != esp_klen || chosen(&r.sa.prop[0], IKE_XF_ESN, NULL) != 0)
		return fail("IKE_AUTH response", "unexpected ESP proposal");
	if (ike_derive_child_keys(&keys, esp_encr, esp_klen, NULL, 0, ni, 32,
				  nr, nr_len, &ck) != 0)
		return fail("child keys", "failed");
	/*
	 * Test-only: a SHA-256 fingerprint (not the keys) of encr_i || encr_r,
	 * to compare with what the peer logged, proving the KEYMAT split.
	 */
	if (getenv("IKE_PROBE_KEYCHECK")) {
		uint8_t km[2 * IKE_KEYMAT_MAX], fp[32];
		size_t e = ck.key_len + IKE_AEAD_SALT_LEN;
		unsigned i;

		memcpy(km, ck.encr_i, e);
		memcpy(km + e, ck.encr_r, e);
		EVP_Digest(km, 2 * e, fp, NULL, EVP_sha256(), NULL);
		OPENSSL_cleanse(km, sizeof(km));
		printf("keymat_sha256=");
		for (i = 0; i < 32; i++)
			printf("%02x", fp[i]);
		printf("\n");
	}
	ike_child_keys_wipe(&ck);
	printf("child_sa esp %s spi_i=0x%02x%02x%02x%02x spi_r=0x%02x%02x%02x%02x"
	       " tsi=%u.%u.%u.%u-%u.%u.%u.%u tsr=%u.%u.%u.%u-%u.%u.%u.%u\n",
	       argv[6], esp_spi[0], esp_spi[1], esp_spi[2], esp_spi[3],
	       r.sa.prop[0].spi[0], r.sa.prop[0].spi[1], r.sa.prop[0].spi[2],
	       r.sa.prop[0].spi[3],
	       r.tsi.ts[0].start[0], r.tsi.ts[0].start[1], r.tsi.ts[0].start[2],
	       r.tsi.ts[0].start[3], r.tsi.ts[0].end[0], r.tsi.ts[0].end[1],
	       r.tsi.ts[0].end[2], r.tsi.ts[0].end[3],
	       r.tsr.ts[0].start[0], r.tsr.ts[0].start[1], r.tsr.ts[0].start[2],
	       r.tsr.ts[0].start[3], r.tsr.ts[0].end[0], r.tsr.ts[0].end[1],
	       r.tsr.ts[0].end[2], r.tsr.ts[0].end[3]);
	fflush(stdout);

	/* ---- hold, then INFORMATIONAL: Delete IKE SA ---- */
	if (getenv("IKE_PROBE_HOLD"))
		sleep((unsigned)atoi(getenv("IKE_PROBE_HOLD")));
	ike_msg_init(&inner, spi_i, spi_r, IKE_INFORMATIONAL, IKE_FLAG_INITIATOR, 2);
	((struct ike_delete *)ike_msg_add(&inner, IKE_PL_DELETE))->proto =
		IKE_PROTO_IKE;
	ike_msg_build_payloads(&inner, 0, inner.n_pl, pl, sizeof(pl), &plen,
			       &first);
	ike_msg_init(&m, spi_i, spi_r, IKE_INFORMATIONAL, IKE_FLAG_INITIATOR, 2);
	ike_msg_add(&m, IKE_PL_SK);
	iv[7] = 2;
	if (ike_sk_seal(&ko, &m, first, pl, plen, iv, req2, sizeof(req2),
			&l2) != IKE_OK)
		return fail("seal INFORMATIONAL", "failed");
	rl2 = exchange(s4500, IKE_NATT_PORT, req2, l2, 2, resp2, sizeof(resp2));
	if (rl2 < 0 || ike_msg_parse(&r, resp2, (size_t)rl2) != IKE_OK ||
	    ike_sk_open(&ki, &r, resp2, (size_t)rl2, plain, sizeof(plain)) !=
	    IKE_OK)
		return fail("INFORMATIONAL", "no valid response");
	printf("deleted\n");
	ike_sa_keys_wipe(&keys);
	close(s500);
	close(s4500);
	return 0;
}
