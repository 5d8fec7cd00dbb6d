/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/ike/ike_sa.c and its exchanges: two state machines
 * (gateway A, usually the initiator, and gateway B) talk through an
 * in-memory network that can drop, duplicate, truncate or alter
 * datagrams; time is a counter. Checked: every KE group x ESP cipher
 * (keys agree crosswise, SPIs match), ESN negotiation, INVALID_KE_PAYLOAD,
 * cookies and a spoofed flood, retransmission both ways (lost request,
 * lost response = cached response), DPD and dead peer, Delete, CHILD_SA
 * and IKE SA rekey started by either side and by timers, PFS in CHILD_SA
 * rekeys (every group; KEYMAT checked against SK_d and the decrypted
 * nonces; INVALID_KE_PAYLOAD retry; group mismatch and missing KE refused),
 * traffic selector narrowing, identities, wrong PSK, malformed and
 * out-of-order messages (dropped with a reason and no state change).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ike_sa.h"
#include "ike_sa_int.h"	/* white box: SK_d to check KEYMAT */

#define MAXQ	64
#define MAXEV	64

struct dgram {
	struct ike_addr src, dst;
	uint8_t data[IKE_SA_BUF + 8];
	size_t len;
};

struct ev {
	struct ike_event e;
	uint8_t key_in[IKE_KEYMAT_MAX], key_out[IKE_KEYMAT_MAX];
};

struct gw {
	struct ike_ctx *ctx;
	struct ike_addr addr;
	struct ev ev[MAXEV];
	unsigned n_ev;
	unsigned sent;
	char last_log[256];
	char logbuf[32768];	/* every log line, to count messages */
	size_t loglen;
};

static struct gw A, B;
static struct dgram q[MAXQ];
static unsigned nq;
static uint64_t now_ms = 1000;
/* network faults: drop datagrams sent by `drop_from` while > 0 */
static struct gw *drop_from;
static unsigned drop_n;
static bool capture;		/* keep a copy of everything sent */
static bool nat_a;		/* A sits behind a NAT: ports + 1000 */
static struct dgram cap[32];
static unsigned ncap;

static struct gw *gw_of(const struct ike_addr *a);

static void on_send(void *arg, const struct ike_addr *src,
		    const struct ike_addr *dst, const uint8_t *buf, size_t len)
{
	struct gw *g = arg;

	g->sent++;
	assert_true(len <= sizeof(q[0].data));
	if (capture && ncap < 32) {
		cap[ncap] = (struct dgram){ .src = *src, .dst = *dst, .len = len };
		memcpy(cap[ncap++].data, buf, len);
	}
	if (drop_from == g && drop_n > 0) {
		drop_n--;
		return;
	}
	if (gw_of(dst) == NULL)
		return;		/* to a spoofed source: lost */
	assert_true(nq < MAXQ);
	q[nq] = (struct dgram){ .src = *src, .dst = *dst, .len = len };
	if (nat_a && g == &A)
		q[nq].src.port += 1000;		/* outbound translation */
	if (nat_a && g == &B)
		q[nq].dst.port -= 1000;		/* and back */
	memcpy(q[nq].data, buf, len);
	nq++;
}

static void on_event(void *arg, const struct ike_event *e)
{
	struct gw *g = arg;
	struct ev *v;

	assert_true(g->n_ev < MAXEV);
	v = &g->ev[g->n_ev++];
	v->e = *e;
	if (e->type == IKE_EV_CHILD_UP) {
		size_t n = e->child.key_len + IKE_AEAD_SALT_LEN;

		assert_non_null(e->child.key_in);
		memcpy(v->key_in, e->child.key_in, n);
		memcpy(v->key_out, e->child.key_out, n);
	}
	v->e.child.key_in = v->e.child.key_out = NULL;
}

static void on_log(void *arg, int level, const char *msg)
{
	struct gw *g = arg;

	(void)level;
	snprintf(g->last_log, sizeof(g->last_log), "%s", msg);
	if (g->loglen + strlen(msg) + 2 < sizeof(g->logbuf))
		g->loglen += (size_t)snprintf(g->logbuf + g->loglen,
					      sizeof(g->logbuf) - g->loglen,
					      "%s\n", msg);
	if (getenv("IKE_TEST_LOG"))
		printf("  %s: %s\n", g == &A ? "A" : "B", msg);
}

static struct gw *gw_of(const struct ike_addr *a)
{
	if (memcmp(a->ip, A.addr.ip, 4) == 0)
		return &A;
	if (memcmp(a->ip, B.addr.ip, 4) == 0)
		return &B;
	return NULL;
}

/* Delivers queued datagrams (and what they cause) until quiet. */
static unsigned pump(void)
{
	unsigned delivered = 0;

	while (nq > 0) {
		struct dgram d = q[0];
		struct gw *g;

		memmove(q, q + 1, (nq - 1) * sizeof(q[0]));
		nq--;
		g = gw_of(&d.dst);
		if (g == NULL)
			continue;	/* to a spoofed source */
		ike_input(g->ctx, d.data, d.len, &d.src, &d.dst, now_ms);
		delivered++;
	}
	return delivered;
}

static void advance(uint64_t ms)
{
	uint64_t end = now_ms + ms;

	while (now_ms < end) {
		now_ms += 100;
		ike_timer(A.ctx, now_ms);
		ike_timer(B.ctx, now_ms);
		pump();
	}
}

static void addr4(struct ike_addr *a, uint8_t last, uint16_t port)
{
	*a = (struct ike_addr){ .family = 4, .ip = { 198, 18, 0, last },
				.port = port };
}

static void subnet4(struct ike_subnet *s, uint8_t b2, uint8_t b3,
		    uint8_t prefix)
{
	*s = (struct ike_subnet){ .family = 4, .prefix = prefix,
				  .ip = { 198, 19, b2, b3 } };
}

static void fqdn(struct ike_identity *id, const char *name)
{
	id->type = IKE_ID_FQDN;
	id->len = (uint8_t)strlen(name);
	memcpy(id->data, name, id->len);
}

/* A's view of B (is_a) or B's view of A, matching subnets and IDs. */
static void peer_cfg(struct ike_peer_cfg *c, bool is_a)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", is_a ? "to-b" : "to-a");
	addr4(&c->local, is_a ? 1 : 2, IKE_PORT);
	addr4(&c->remote, is_a ? 2 : 1, IKE_PORT);
	fqdn(&c->local_id, is_a ? "gw-a.example" : "gw-b.example");
	fqdn(&c->remote_id, is_a ? "gw-b.example" : "gw-a.example");
	memcpy(c->psk, "unit-test-psk-not-a-secret", 26);
	c->psk_len = 26;
	c->n_ike = 3;
	c->ike[0] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 256,
					IKE_PRF_HMAC_SHA2_384, IKE_DH_CURVE25519 };
	c->ike[1] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 128,
					IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256 };
	c->ike[2] = (struct ike_suite){ IKE_ENCR_CHACHA20_POLY1305, 0,
					IKE_PRF_HMAC_SHA2_512, IKE_DH_MODP2048 };
	c->n_esp = 3;
	c->esp[0] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 128, 0 };
	c->esp[1] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 256, 0 };
	c->esp[2] = (struct ike_esp_prop){ IKE_ENCR_CHACHA20_POLY1305, 0, 0 };
	c->esn = true;
	c->force_encap = true;
	c->n_local_ts = 1;
	subnet4(&c->local_ts[0], is_a ? 1 : 2, 0, 24);
	c->n_remote_ts = 1;
	subnet4(&c->remote_ts[0], is_a ? 2 : 1, 0, 24);
}

static void setup_pair(const struct ike_peer_cfg *ca,
		       const struct ike_peer_cfg *cb,
		       const struct ike_ctx_cfg *cc)
{
	struct ike_ops oa = { on_send, on_event, on_log, &A };
	struct ike_ops ob = { on_send, on_event, on_log, &B };
	struct ike_ctx_cfg def = { .retx_base_ms = 500, .retx_max_ms = 2000,
				   .retx_tries = 3 };

	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	nq = 0;
	ncap = 0;
	capture = false;
	drop_from = NULL;
	drop_n = 0;
	nat_a = false;
	addr4(&A.addr, 1, 0);
	addr4(&B.addr, 2, 0);
	A.ctx = ike_ctx_new(cc ? cc : &def, &oa);
	B.ctx = ike_ctx_new(cc ? cc : &def, &ob);
	assert_non_null(A.ctx);
	assert_non_null(B.ctx);
	assert_int_equal(ike_add_peer(A.ctx, ca), 0);
	assert_int_equal(ike_add_peer(B.ctx, cb), 0);
}

static void teardown_pair(void)
{
	ike_ctx_free(A.ctx);
	ike_ctx_free(B.ctx);
	A.ctx = B.ctx = NULL;
}

static const struct ev *find_ev(const struct gw *g, enum ike_event_type t,
				unsigned nth)
{
	unsigned i;

	for (i = 0; i < g->n_ev; i++)
		if (g->ev[i].e.type == t && nth-- == 0)
			return &g->ev[i];
	return NULL;
}

static unsigned count_ev(const struct gw *g, enum ike_event_type t)
{
	unsigned i, n = 0;

	for (i = 0; i < g->n_ev; i++)
		n += g->ev[i].e.type == t;
	return n;
}

/* The nth CHILD_UP on each side describes the same SA pair. */
static void check_child_pair(unsigned nth)
{
	const struct ev *a = find_ev(&A, IKE_EV_CHILD_UP, nth);
	const struct ev *b = find_ev(&B, IKE_EV_CHILD_UP, nth);
	size_t n;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->e.child.spi_in, b->e.child.spi_out);
	assert_int_equal(a->e.child.spi_out, b->e.child.spi_in);
	assert_int_equal(a->e.child.encr, b->e.child.encr);
	assert_int_equal(a->e.child.keylen, b->e.child.keylen);
	assert_int_equal(a->e.child.esn, b->e.child.esn);
	assert_int_equal(a->e.child.key_len, b->e.child.key_len);
	n = a->e.child.key_len + IKE_AEAD_SALT_LEN;
	assert_memory_equal(a->key_out, b->key_in, n);
	assert_memory_equal(a->key_in, b->key_out, n);
	assert_memory_not_equal(a->key_in, a->key_out, n);
	assert_true(a->e.child.spi_in >= 256 && a->e.child.spi_out >= 256);
}

static void bring_up(void)
{
	assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
	pump();
	assert_non_null(find_ev(&A, IKE_EV_IKE_UP, 0));
	assert_non_null(find_ev(&B, IKE_EV_IKE_UP, 0));
	check_child_pair(0);
}

static enum ike_state state_of(struct gw *g)
{
	struct ike_peer_status st;

	assert_int_equal(ike_peer_status(g->ctx, 0, &st), 0);
	return st.state;
}

/* ---- every KE group x ESP cipher ---------------------------------------------------- */

static void test_matrix(void **s)
{
	static const uint16_t groups[] = { IKE_DH_CURVE25519, IKE_DH_ECP256,
					   IKE_DH_MODP2048 };
	static const struct ike_esp_prop esps[] = {
		{ IKE_ENCR_AES_GCM_16, 128, 0 }, { IKE_ENCR_AES_GCM_16, 256, 0 },
		{ IKE_ENCR_CHACHA20_POLY1305, 0, 0 } };
	unsigned g, e;

	(void)s;
	for (g = 0; g < 3; g++)
		for (e = 0; e < 3; e++) {
			struct ike_peer_cfg ca, cb;
			struct ike_peer_status st;
			const struct ev *a;

			peer_cfg(&ca, true);
			peer_cfg(&cb, false);
			ca.n_ike = cb.n_ike = 1;
			ca.ike[0].dh = cb.ike[0].dh = groups[g];
			ca.ike[0].encr = e == 2 ? IKE_ENCR_CHACHA20_POLY1305 :
				IKE_ENCR_AES_GCM_16;
			ca.ike[0].encr_keylen = e == 2 ? 0 : 128;
			cb.ike[0] = ca.ike[0];
			ca.n_esp = 1;
			ca.esp[0] = esps[e];
			setup_pair(&ca, &cb, NULL);
			bring_up();
			a = find_ev(&A, IKE_EV_CHILD_UP, 0);
			assert_int_equal(a->e.child.encr, esps[e].encr);
			assert_int_equal(a->e.child.keylen, esps[e].keylen);
			assert_int_equal(a->e.child.key_len,
					 esps[e].keylen == 128 ? 16 : 32);
			assert_true(a->e.child.esn);
			assert_true(a->e.child.encap);
			assert_int_equal(ike_peer_status(A.ctx, 0, &st), 0);
			assert_int_equal(st.state, IKE_ST_ESTABLISHED);
			assert_int_equal(st.suite.dh, groups[g]);
			assert_true(st.nat);
			assert_int_equal(st.n_child, 1);
			assert_int_equal(state_of(&B), IKE_ST_ESTABLISHED);
			teardown_pair();
		}
}

/* ---- ESN ----------------------------------------------------------------------------- */

static void esn_case(bool a_esn, bool b_esn, bool want)
{
	struct ike_peer_cfg ca, cb;

	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.esn = a_esn;
	cb.esn = b_esn;
	setup_pair(&ca, &cb, NULL);
	bring_up();
	assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 0)->e.child.esn, want);
	teardown_pair();
}

static void test_esn(void **s)
{
	(void)s;
	esn_case(true, true, true);
	esn_case(false, true, false);	/* peer offers only no-ESN */
	esn_case(true, false, false);
	esn_case(false, false, false);
}

/* ---- INVALID_KE_PAYLOAD --------------------------------------------------------------- */

static void test_invalid_ke(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_peer_status st;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	/* A guesses x25519; B only does ECP-256 */
	cb.n_ike = 1;
	cb.ike[0] = ca.ike[1];
	setup_pair(&ca, &cb, NULL);
	bring_up();
	assert_int_equal(ike_drop_count(B.ctx, IKE_DROP_KE), 1);
	assert_int_equal(ike_peer_status(A.ctx, 0, &st), 0);
	assert_int_equal(st.suite.dh, IKE_DH_ECP256);
	teardown_pair();

	/* no common group at all: NO_PROPOSAL_CHOSEN, nothing established */
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.n_ike = 1;
	cb.n_ike = 1;
	cb.ike[0] = ca.ike[0];
	cb.ike[0].dh = IKE_DH_ECP256;
	setup_pair(&ca, &cb, NULL);
	assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(ike_drop_count(B.ctx, IKE_DROP_NO_PROPOSAL), 1);
	assert_int_equal(ike_half_open(B.ctx), 0);
	assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), 0);
	teardown_pair();
}

/* ---- cookies ----------------------------------------------------------------------------- */

static void test_cookie(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_ctx_cfg cc = { .retx_base_ms = 500, .retx_max_ms = 2000,
				  .retx_tries = 3, .cookie_threshold = 4 };
	struct dgram init;
	unsigned i, sent_before;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	cb.remote.family = 0;	/* B answers anyone */
	setup_pair(&ca, &cb, &cc);
	/* capture one IKE_SA_INIT of A without delivering it */
	drop_from = &A;
	drop_n = 1;
	capture = true;
	assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
	capture = false;
	assert_int_equal(ncap, 1);
	init = cap[0];
	/* flood from 1000 spoofed sources */
	sent_before = B.sent;
	for (i = 0; i < 1000; i++) {
		struct ike_addr src = init.src;

		src.ip[1] = 19;
		src.ip[2] = (uint8_t)(i >> 8);
		src.ip[3] = (uint8_t)i;
		init.data[0] = (uint8_t)i;	/* another SPIi */
		init.data[1] = (uint8_t)(i >> 8);
		ike_input(B.ctx, init.data, init.len, &src, &B.addr, now_ms);
	}
	nq = 0;	/* the answers went to the spoofed addresses */
	assert_int_equal(ike_half_open(B.ctx), 4);
	assert_int_equal(ike_drop_count(B.ctx, IKE_DROP_COOKIE), 996);
	assert_int_equal(B.sent - sent_before, 1000);
	/* the real initiator retransmits, gets a cookie, returns it, works */
	advance(600);
	pump();
	assert_non_null(find_ev(&A, IKE_EV_IKE_UP, 0));
	check_child_pair(0);
	assert_int_equal(ike_drop_count(B.ctx, IKE_DROP_COOKIE), 997);
	/* a wrong cookie is refused like none */
	teardown_pair();
}

/* ---- retransmission ---------------------------------------------------------------------- */

static void test_retransmit(void **s)
{
	struct ike_peer_cfg ca, cb;
	unsigned b_sent;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	setup_pair(&ca, &cb, NULL);
	/* lose A's IKE_SA_INIT, then B's IKE_SA_INIT response */
	drop_from = &A;
	drop_n = 1;
	assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), 0);
	advance(500);
	assert_non_null(find_ev(&A, IKE_EV_IKE_UP, 0));
	teardown_pair();

	/* lose B's IKE_SA_INIT response: B answers the retransmission
	 * from its cache, with no second half-open SA */
	setup_pair(&ca, &cb, NULL);
	drop_from = &B;
	drop_n = 1;
	assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(ike_half_open(B.ctx), 1);
	advance(500);
	assert_non_null(find_ev(&A, IKE_EV_IKE_UP, 0));
	assert_int_equal(ike_half_open(B.ctx), 0);
	assert_int_equal(count_ev(&B, IKE_EV_IKE_UP), 1);
	check_child_pair(0);
	teardown_pair();
	setup_pair(&ca, &cb, NULL);
	assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
	/* deliver IKE_SA_INIT both ways and A's IKE_AUTH, drop B's answer */
	assert_int_equal(nq, 1);
	ike_input(B.ctx, q[0].data, q[0].len, &q[0].src, &q[0].dst, now_ms);
	memmove(q, q + 1, sizeof(q[0]));
	nq = 1;
	ike_input(A.ctx, q[0].data, q[0].len, &q[0].src, &q[0].dst, now_ms);
	memmove(q, q + 1, sizeof(q[0]));
	nq = 1;
	drop_from = &B;
	drop_n = 1;
	ike_input(B.ctx, q[0].data, q[0].len, &q[0].src, &q[0].dst, now_ms);
	nq = 0;
	assert_int_equal(count_ev(&B, IKE_EV_CHILD_UP), 1);
	assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), 0);
	b_sent = B.sent;
	advance(500);
	assert_int_equal(B.sent, b_sent + 1);	/* the cached response */
	assert_int_equal(count_ev(&B, IKE_EV_CHILD_UP), 1);	/* not twice */
	check_child_pair(0);
	teardown_pair();
}

/* ---- DPD, dead peer, re-initiation ----------------------------------------------------- */

static void test_dpd(void **s)
{
	struct ike_peer_cfg ca, cb;
	unsigned sent;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.dpd_ms = 2000;
	setup_pair(&ca, &cb, NULL);
	bring_up();
	sent = B.sent;
	advance(2100);		/* idle past dpd: A probes, B answers */
	assert_true(B.sent > sent);
	assert_int_equal(state_of(&A), IKE_ST_ESTABLISHED);
	assert_int_equal(ike_dpd(A.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(count_ev(&A, IKE_EV_IKE_DOWN), 0);
	/* B goes silent: A gives up after its retransmissions */
	drop_from = &B;
	drop_n = 1000;
	advance(2000 + 500 + 1000 + 2000 + 2000 + 500);
	assert_int_equal(count_ev(&A, IKE_EV_IKE_DOWN), 1);
	assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN), 1);
	assert_int_equal(find_ev(&A, IKE_EV_CHILD_DOWN, 0)->e.child.spi_in,
			 find_ev(&A, IKE_EV_CHILD_UP, 0)->e.child.spi_in);
	assert_int_equal(state_of(&A), IKE_ST_NONE);
	teardown_pair();

	/* initiate = yes: after DPD declares B dead, A comes back by itself */
	ca.initiate = true;
	setup_pair(&ca, &cb, NULL);
	bring_up();
	ike_ctx_free(B.ctx);	/* B "restarts": loses all state */
	{
		struct ike_ops ob = { on_send, on_event, on_log, &B };
		struct ike_ctx_cfg def = { .retx_base_ms = 500,
					   .retx_max_ms = 2000, .retx_tries = 3 };

		B.ctx = ike_ctx_new(&def, &ob);
		assert_int_equal(ike_add_peer(B.ctx, &cb), 0);
	}
	advance(15000);
	assert_int_equal(count_ev(&A, IKE_EV_IKE_DOWN), 1);
	assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), 2);
	assert_int_equal(state_of(&A), IKE_ST_ESTABLISHED);
	assert_int_equal(state_of(&B), IKE_ST_ESTABLISHED);
	check_child_pair(1);
	teardown_pair();
}

/* ---- delete ------------------------------------------------------------------------------ */

static void test_delete(void **s)
{
	struct ike_peer_cfg ca, cb;
	int who;

	(void)s;
	for (who = 0; who < 2; who++) {
		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		setup_pair(&ca, &cb, NULL);
		bring_up();
		assert_int_equal(ike_terminate(who ? B.ctx : A.ctx, 0, now_ms), 0);
		pump();
		assert_int_equal(count_ev(&A, IKE_EV_IKE_DOWN), 1);
		assert_int_equal(count_ev(&B, IKE_EV_IKE_DOWN), 1);
		assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN), 1);
		assert_int_equal(count_ev(&B, IKE_EV_CHILD_DOWN), 1);
		assert_int_equal(state_of(&A), IKE_ST_NONE);
		assert_int_equal(state_of(&B), IKE_ST_NONE);
		assert_int_equal(ike_terminate(A.ctx, 0, now_ms), -1);
		teardown_pair();
	}
	/* one CHILD_SA deleted by either side; the IKE SA stays */
	for (who = 0; who < 2; who++) {
		struct gw *g = who ? &B : &A;
		struct ike_peer_status st;
		uint32_t spi;

		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		setup_pair(&ca, &cb, NULL);
		bring_up();
		spi = find_ev(g, IKE_EV_CHILD_UP, 0)->e.child.spi_in;
		assert_int_equal(ike_delete_child(g->ctx, 0, spi + 1, now_ms), -1);
		assert_int_equal(ike_delete_child(g->ctx, 0, spi, now_ms), 0);
		pump();
		assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN), 1);
		assert_int_equal(count_ev(&B, IKE_EV_CHILD_DOWN), 1);
		assert_int_equal(find_ev(&A, IKE_EV_CHILD_DOWN, 0)->e.child.spi_in,
				 find_ev(&A, IKE_EV_CHILD_UP, 0)->e.child.spi_in);
		assert_int_equal(find_ev(&B, IKE_EV_CHILD_DOWN, 0)->e.child.spi_in,
				 find_ev(&B, IKE_EV_CHILD_UP, 0)->e.child.spi_in);
		assert_int_equal(count_ev(&A, IKE_EV_IKE_DOWN), 0);
		assert_int_equal(ike_peer_status(A.ctx, 0, &st), 0);
		assert_int_equal(st.state, IKE_ST_ESTABLISHED);
		assert_int_equal(st.n_child, 0);
		assert_int_equal(ike_rekey_child(A.ctx, 0, now_ms), -1);
		assert_int_equal(ike_dpd(B.ctx, 0, now_ms), 0);
		pump();
		assert_int_equal(state_of(&B), IKE_ST_ESTABLISHED);
		teardown_pair();
	}
}

/* ---- rekeys ------------------------------------------------------------------------------ */

static void rekey_child_by(struct gw *g, unsigned nth)
{
	const struct ev *old_a = find_ev(&A, IKE_EV_CHILD_UP, nth - 1);
	const struct ev *na, *nb, *da, *db;
	uint32_t old_in = old_a->e.child.spi_in, old_out = old_a->e.child.spi_out;

	assert_int_equal(ike_rekey_child(g->ctx, 0, now_ms), 0);
	pump();
	check_child_pair(nth);
	na = find_ev(&A, IKE_EV_CHILD_UP, nth);
	nb = find_ev(&B, IKE_EV_CHILD_UP, nth);
	/* make-before-break: the new SA names the one it replaces */
	assert_int_equal(na->e.child.old_spi_in, old_in);
	assert_int_equal(na->e.child.old_spi_out, old_out);
	assert_int_equal(nb->e.child.old_spi_in, old_out);
	assert_int_equal(nb->e.child.old_spi_out, old_in);
	assert_int_not_equal(na->e.child.spi_in, old_in);
	/* then the old one is deleted on both sides, after the new one */
	da = find_ev(&A, IKE_EV_CHILD_DOWN, nth - 1);
	db = find_ev(&B, IKE_EV_CHILD_DOWN, nth - 1);
	assert_non_null(da);
	assert_non_null(db);
	assert_true(da > na && db > nb);
	assert_int_equal(da->e.child.spi_in, old_in);
	assert_int_equal(db->e.child.spi_in, old_out);
}

static void test_rekey_child(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_peer_status st;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	setup_pair(&ca, &cb, NULL);
	bring_up();
	rekey_child_by(&A, 1);
	rekey_child_by(&B, 2);
	rekey_child_by(&A, 3);
	assert_int_equal(ike_peer_status(A.ctx, 0, &st), 0);
	assert_int_equal(st.n_child, 1);
	assert_int_equal(st.child[0].spi_in,
			 find_ev(&A, IKE_EV_CHILD_UP, 3)->e.child.spi_in);
	assert_null(st.child[0].key_in);
	teardown_pair();

	/* timers: child rekey every 3 s (with jitter) keeps one SA pair */
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.child_rekey_ms = 3000;
	ca.jitter_pct = 10;
	cb.child_rekey_ms = 0;
	setup_pair(&ca, &cb, NULL);
	bring_up();
	advance(10000);
	assert_true(count_ev(&A, IKE_EV_CHILD_UP) >= 4);
	assert_int_equal(count_ev(&A, IKE_EV_CHILD_UP),
			 count_ev(&B, IKE_EV_CHILD_UP));
	assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN),
			 count_ev(&A, IKE_EV_CHILD_UP) - 1);
	check_child_pair(count_ev(&A, IKE_EV_CHILD_UP) - 1);
	teardown_pair();
}

static void test_rekey_ike(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_peer_status sa0, sa1, sb;
	int who;

	(void)s;
	for (who = 0; who < 2; who++) {
		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		setup_pair(&ca, &cb, NULL);
		bring_up();
		assert_int_equal(ike_peer_status(A.ctx, 0, &sa0), 0);
		assert_int_equal(ike_rekey_ike(who ? B.ctx : A.ctx, 0, now_ms), 0);
		pump();
		assert_int_equal(ike_peer_status(A.ctx, 0, &sa1), 0);
		assert_int_equal(ike_peer_status(B.ctx, 0, &sb), 0);
		assert_int_equal(sa1.state, IKE_ST_ESTABLISHED);
		assert_memory_not_equal(sa0.spi_i, sa1.spi_i, 8);
		assert_memory_equal(sa1.spi_i, sb.spi_i, 8);
		assert_memory_equal(sa1.spi_r, sb.spi_r, 8);
		assert_int_equal(sa1.initiator, who == 0);
		assert_int_equal(sa1.n_child, 1);	/* children moved */
		assert_true(find_ev(&A, IKE_EV_IKE_DOWN, 0)->e.rekeyed);
		assert_true(find_ev(&B, IKE_EV_IKE_DOWN, 0)->e.rekeyed);
		assert_false(find_ev(&A, IKE_EV_IKE_UP, 0)->e.rekeyed);
		assert_true(find_ev(&A, IKE_EV_IKE_UP, 1)->e.rekeyed);
		assert_true(find_ev(&B, IKE_EV_IKE_UP, 1)->e.rekeyed);
		assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN), 0);
		assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), 2);
		/* the new SA works: DPD, and a CHILD rekey with the new SK_d */
		assert_int_equal(ike_dpd(A.ctx, 0, now_ms), 0);
		pump();
		rekey_child_by(&A, 1);
		assert_int_equal(ike_rekey_ike(A.ctx, 0, now_ms), 0);
		pump();
		rekey_child_by(&B, 2);
		assert_int_equal(ike_terminate(B.ctx, 0, now_ms), 0);
		pump();
		assert_int_equal(state_of(&A), IKE_ST_NONE);
		assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN), 3);
		teardown_pair();
	}
}

/* ---- selectors, identities, PSK ------------------------------------------------------------ */

static void test_ts_and_ids(void **s)
{
	struct ike_peer_cfg ca, cb;
	const struct ev *a, *b;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	/* A offers 198.19.0.0/16 as its side; B allows only 198.19.1.0/24 */
	subnet4(&ca.local_ts[0], 0, 0, 16);
	/* IPv4 address, email and IPv6 identities */
	ca.local_id = (struct ike_identity){ .type = IKE_ID_IPV4_ADDR, .len = 4,
					     .data = { 198, 18, 0, 1 } };
	cb.remote_id = ca.local_id;
	cb.local_id = (struct ike_identity){ .type = IKE_ID_RFC822_ADDR,
					     .len = 14 };
	memcpy(cb.local_id.data, "vpn@b.example", 13);
	cb.local_id.len = 13;
	ca.remote_id = cb.local_id;
	setup_pair(&ca, &cb, NULL);
	bring_up();
	a = find_ev(&A, IKE_EV_CHILD_UP, 0);
	b = find_ev(&B, IKE_EV_CHILD_UP, 0);
	assert_int_equal(a->e.child.n_ts_local, 1);
	assert_int_equal(a->e.child.ts_local[0].start[2], 1);
	assert_int_equal(a->e.child.ts_local[0].end[2], 1);
	assert_int_equal(a->e.child.ts_local[0].end[3], 255);
	assert_int_equal(b->e.child.ts_remote[0].start[2], 1);
	assert_int_equal(b->e.child.ts_local[0].start[2], 2);
	teardown_pair();

	/* IPv6 identity and IPv6 subnets */
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.local_id = (struct ike_identity){ .type = IKE_ID_IPV6_ADDR, .len = 16,
		.data = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	cb.remote_id = ca.local_id;
	ca.local_ts[0] = (struct ike_subnet){ 6, 64, { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } };
	ca.remote_ts[0] = (struct ike_subnet){ 6, 64, { 0x20, 0x01, 0x0d, 0xb8, 0, 2 } };
	cb.local_ts[0] = ca.remote_ts[0];
	cb.remote_ts[0] = ca.local_ts[0];
	setup_pair(&ca, &cb, NULL);
	bring_up();
	a = find_ev(&A, IKE_EV_CHILD_UP, 0);
	assert_int_equal(a->e.child.ts_remote[0].family, 6);
	teardown_pair();

	/* disjoint selectors: IKE SA up, no CHILD_SA */
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	subnet4(&cb.remote_ts[0], 9, 0, 24);
	setup_pair(&ca, &cb, NULL);
	assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), 1);
	assert_int_equal(count_ev(&A, IKE_EV_CHILD_UP), 0);
	assert_int_equal(count_ev(&B, IKE_EV_CHILD_UP), 0);
	teardown_pair();

	/* unknown identity, then wrong PSK: AUTHENTICATION_FAILED, no SA */
	for (int k = 0; k < 2; k++) {
		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		if (k == 0)
			fqdn(&cb.remote_id, "someone-else.example");
		else
			cb.psk[0] ^= 1;
		setup_pair(&ca, &cb, NULL);
		assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
		pump();
		assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), 0);
		assert_int_equal(count_ev(&B, IKE_EV_IKE_UP), 0);
		assert_int_equal(ike_drop_count(B.ctx, IKE_DROP_AUTH), 1);
		assert_int_equal(state_of(&A), IKE_ST_NONE);
		assert_int_equal(state_of(&B), IKE_ST_NONE);
		assert_int_equal(ike_half_open(B.ctx), 0);
		teardown_pair();
	}
}

/* ---- bad messages ------------------------------------------------------------------------- */

static unsigned cached_hits;

static uint64_t total_drops(struct ike_ctx *c)
{
	uint64_t n = 0;

	for (int d = 1; d < IKE_DROP_COUNT; d++)
		n += ike_drop_count(c, (enum ike_drop)d);
	return n;
}

/*
 * Feeds d (altered) to g: it must be dropped with no state change; with
 * cached, the replay of the latest request may instead get the cached
 * response again (still no state change).
 */
static void must_drop2(struct gw *g, const uint8_t *data, size_t len,
		       const struct dgram *d, bool cached)
{
	struct ike_peer_status before, after;
	unsigned ev = g->n_ev, sent = g->sent;
	uint64_t drops = total_drops(g->ctx);
	enum ike_drop r;

	ike_peer_status(g->ctx, 0, &before);
	r = ike_input(g->ctx, data, len, &d->src, &d->dst, now_ms);
	if (cached && r == IKE_DROP_NONE) {
		assert_int_equal(g->sent, sent + 1);
		assert_int_equal(total_drops(g->ctx), drops);
		cached_hits++;
	} else {
		assert_int_not_equal(r, IKE_DROP_NONE);
		assert_int_equal(total_drops(g->ctx), drops + 1);
	}
	assert_true(strlen(g->last_log) > 0);
	ike_peer_status(g->ctx, 0, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(g->n_ev, ev);
	/* at most a stateless error answer, never a state change */
	assert_true(g->sent <= sent + 1);
	nq = 0;
}

static void must_drop(struct gw *g, const uint8_t *data, size_t len,
		      const struct dgram *d)
{
	must_drop2(g, data, len, d, false);
}

static void test_bad_messages(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct dgram c[32];
	unsigned n, i;
	size_t l;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	setup_pair(&ca, &cb, NULL);
	capture = true;
	bring_up();
	assert_int_equal(ike_rekey_child(A.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(ike_dpd(B.ctx, 0, now_ms), 0);
	pump();
	capture = false;
	n = ncap;
	memcpy(c, cap, sizeof(c));
	assert_true(n >= 8);
	for (i = 0; i < n; i++) {
		struct gw *g = gw_of(&c[i].dst);
		uint8_t buf[IKE_SA_BUF + 8];
		unsigned off = c[i].dst.port == IKE_NATT_PORT ? 4 : 0;

		/* replay of an old message: out of window or no request */
		if (i >= 2)
			must_drop2(g, c[i].data, c[i].len, &c[i], true);
		/* truncated at several places */
		for (l = 0; l < c[i].len; l += 1 + c[i].len / 7)
			must_drop(g, c[i].data, l, &c[i]);
		/* a flipped bit in the header and in the last octet */
		memcpy(buf, c[i].data, c[i].len);
		buf[c[i].len - 1] ^= 0x40;
		must_drop(g, buf, c[i].len, &c[i]);
		memcpy(buf, c[i].data, c[i].len);
		buf[off + 18] ^= 0x01;	/* exchange type */
		must_drop(g, buf, c[i].len, &c[i]);
		memcpy(buf, c[i].data, c[i].len);
		buf[off + 19] ^= IKE_FLAG_RESPONSE;
		must_drop(g, buf, c[i].len, &c[i]);
		memcpy(buf, c[i].data, c[i].len);
		buf[off + 23] += 5;	/* message ID */
		must_drop(g, buf, c[i].len, &c[i]);
		/* oversized */
		memset(buf, 0, sizeof(buf));
		memcpy(buf, c[i].data, c[i].len);
		must_drop(g, buf, sizeof(buf), &c[i]);
		/* on 4500 without the marker, on 500 with it */
		if (off)
			must_drop(g, c[i].data + 4, c[i].len - 4, &c[i]);
	}
	/* an ESP packet and a keepalive on 4500 are not IKE */
	{
		uint8_t esp[40] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1 };
		uint8_t ka = 0xff;
		struct dgram d = { .src = B.addr, .dst = A.addr };

		d.dst.port = d.src.port = IKE_NATT_PORT;
		must_drop(&A, esp, sizeof(esp), &d);
		must_drop(&A, &ka, 1, &d);
	}
	/* the last request of each side was answered from the cache */
	assert_int_equal(cached_hits, 2);
	/* still fully working afterwards */
	rekey_child_by(&B, 2);
	teardown_pair();
}

/*
 * Random mutations (bit flips, octet changes, truncation, extension) of
 * every message of a session, fed to the side it was meant for: never a
 * crash, never an event, and the SA still works afterwards. Deterministic
 * (fixed seed) so that a failure reproduces.
 */
static void test_mutations(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct dgram c[32];
	unsigned n, k, seed = 12345;
	uint8_t buf[IKE_SA_BUF + 8];

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	setup_pair(&ca, &cb, NULL);
	capture = true;
	bring_up();
	assert_int_equal(ike_rekey_child(B.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(ike_rekey_ike(A.ctx, 0, now_ms), 0);
	pump();
	capture = false;
	n = ncap;
	memcpy(c, cap, sizeof(c));
	for (k = 0; k < 3000; k++) {
		struct dgram *d = &c[k % n];
		struct gw *g = gw_of(&d->dst);
		unsigned ev = g->n_ev, m, j;
		size_t len = d->len;

		memcpy(buf, d->data, d->len);
		seed = seed * 1103515245u + 12345u;
		m = 1 + (seed >> 16) % 4;
		for (j = 0; j < m; j++) {
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 8) % 4) {
			case 0: buf[(seed >> 12) % len] ^= (uint8_t)(1u << (seed % 8)); break;
			case 1: buf[(seed >> 12) % len] = (uint8_t)(seed >> 20); break;
			case 2: len = 1 + (seed >> 12) % len; break;
			default:
				if (len + 8 < sizeof(buf))
					len += 1 + (seed >> 12) % 8;
				break;
			}
		}
		ike_input(g->ctx, buf, len, &d->src, &d->dst, now_ms);
		nq = 0;
		assert_int_equal(g->n_ev, ev);
	}
	rekey_child_by(&A, 2);
	assert_int_equal(state_of(&A), IKE_ST_ESTABLISHED);
	teardown_pair();
}

/* A restarts and initiates again: INITIAL_CONTACT makes B drop the stale
 * IKE SA and its CHILD_SA locally. */
static void test_initial_contact(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_ops oa = { on_send, on_event, on_log, &A };
	struct ike_ctx_cfg def = { .retx_base_ms = 500, .retx_max_ms = 2000,
				   .retx_tries = 3 };
	struct ike_peer_status st;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	setup_pair(&ca, &cb, NULL);
	bring_up();
	ike_ctx_free(A.ctx);
	A.ctx = ike_ctx_new(&def, &oa);
	assert_int_equal(ike_add_peer(A.ctx, &ca), 0);
	assert_int_equal(ike_initiate(A.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(count_ev(&B, IKE_EV_IKE_UP), 2);
	assert_int_equal(count_ev(&B, IKE_EV_IKE_DOWN), 1);
	assert_int_equal(count_ev(&B, IKE_EV_CHILD_DOWN), 1);
	assert_int_equal(find_ev(&B, IKE_EV_CHILD_DOWN, 0)->e.child.spi_in,
			 find_ev(&B, IKE_EV_CHILD_UP, 0)->e.child.spi_in);
	check_child_pair(1);
	assert_int_equal(ike_peer_status(B.ctx, 0, &st), 0);
	assert_int_equal(st.n_child, 1);
	/* the new SA is the one in use: a rekey from B works (A's event list
	 * still holds the CHILD_SA of its previous life) */
	assert_int_equal(ike_rekey_child(B.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(count_ev(&A, IKE_EV_CHILD_UP), 3);
	assert_int_equal(count_ev(&B, IKE_EV_CHILD_UP), 3);
	check_child_pair(2);
	assert_int_equal(find_ev(&A, IKE_EV_CHILD_DOWN, 0)->e.child.spi_in,
			 find_ev(&A, IKE_EV_CHILD_UP, 1)->e.child.spi_in);
	teardown_pair();
}

/* A behind a NAT (ports rewritten): both see it, A sends keepalives,
 * traffic reported by the data plane holds DPD off. */
static void test_nat(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_peer_status st;
	unsigned sent, b_sent, i;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.force_encap = cb.force_encap = false;
	cb.dpd_ms = 5000;
	setup_pair(&ca, &cb, NULL);
	nat_a = true;
	bring_up();
	assert_int_equal(ike_peer_status(B.ctx, 0, &st), 0);
	assert_true(st.nat);
	assert_true(find_ev(&B, IKE_EV_CHILD_UP, 0)->e.child.encap);
	assert_int_equal(find_ev(&B, IKE_EV_CHILD_UP, 0)->e.remote.port, 5500);
	assert_true(find_ev(&A, IKE_EV_CHILD_UP, 0)->e.child.encap);
	assert_int_equal(ike_peer_status(A.ctx, 0, &st), 0);
	assert_true(st.nat);
	sent = A.sent;
	b_sent = B.sent;
	for (i = 0; i < 50; i++) {	/* 25 s; B sees ESP all the time */
		advance(500);
		ike_peer_alive(B.ctx, 0, now_ms);
	}
	assert_int_equal(B.sent, b_sent);	/* so no DPD probe */
	advance(5100);				/* idle now: B probes */
	assert_int_equal(B.sent, b_sent + 1);
	assert_true(ike_drop_count(B.ctx, IKE_DROP_NOT_IKE) >= 1);	/* 0xff */
	assert_int_equal(A.sent, sent + 1 + ike_drop_count(B.ctx, IKE_DROP_NOT_IKE));
	rekey_child_by(&A, 1);
	teardown_pair();

	/* without NAT and without force_encap: plain ESP */
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.force_encap = cb.force_encap = false;
	setup_pair(&ca, &cb, NULL);
	bring_up();
	assert_false(find_ev(&A, IKE_EV_CHILD_UP, 0)->e.child.encap);
	assert_false(find_ev(&B, IKE_EV_CHILD_UP, 0)->e.child.encap);
	teardown_pair();
}

/* The IKE SA rekey timer (with jitter) fires by itself; the CHILD_SA
 * survives every IKE rekey. */
static void test_ike_rekey_timer(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_peer_status st;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	cb.ike_rekey_ms = 4000;
	cb.jitter_pct = 20;
	setup_pair(&ca, &cb, NULL);
	bring_up();
	advance(13000);
	assert_true(count_ev(&A, IKE_EV_IKE_UP) >= 4);
	assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), count_ev(&B, IKE_EV_IKE_UP));
	assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN), 0);
	assert_int_equal(ike_peer_status(A.ctx, 0, &st), 0);
	assert_int_equal(st.n_child, 1);
	assert_false(st.initiator);	/* B started the last rekey */
	rekey_child_by(&A, 1);
	teardown_pair();
}

/* Both ends rekey at once (2.25): one TEMPORARY_FAILURE each, a random
 * back-off, and in the end one CHILD_SA / IKE SA pair that both agree on. */
static void test_collisions(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_peer_status sa_, sb;
	unsigned up;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	setup_pair(&ca, &cb, NULL);
	bring_up();
	assert_int_equal(ike_rekey_child(A.ctx, 0, now_ms), 0);
	assert_int_equal(ike_rekey_child(B.ctx, 0, now_ms), 0);
	pump();
	advance(8000);
	up = count_ev(&A, IKE_EV_CHILD_UP);
	assert_true(up >= 2);
	assert_int_equal(count_ev(&B, IKE_EV_CHILD_UP), up);
	assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN), up - 1);
	assert_int_equal(count_ev(&B, IKE_EV_CHILD_DOWN), up - 1);
	check_child_pair(up - 1);
	assert_int_equal(ike_peer_status(A.ctx, 0, &sa_), 0);
	assert_int_equal(sa_.n_child, 1);

	assert_int_equal(ike_rekey_ike(A.ctx, 0, now_ms), 0);
	assert_int_equal(ike_rekey_ike(B.ctx, 0, now_ms), 0);
	pump();
	advance(8000);
	assert_int_equal(ike_peer_status(A.ctx, 0, &sa_), 0);
	assert_int_equal(ike_peer_status(B.ctx, 0, &sb), 0);
	assert_int_equal(sa_.state, IKE_ST_ESTABLISHED);
	assert_memory_equal(sa_.spi_i, sb.spi_i, 8);
	assert_memory_equal(sa_.spi_r, sb.spi_r, 8);
	assert_true(count_ev(&A, IKE_EV_IKE_UP) >= 2);
	assert_int_equal(count_ev(&A, IKE_EV_IKE_UP), count_ev(&B, IKE_EV_IKE_UP));
	assert_int_equal(sa_.n_child, 1);
	assert_int_equal(ike_dpd(B.ctx, 0, now_ms), 0);
	pump();
	assert_int_equal(count_ev(&B, IKE_EV_IKE_DOWN),
			 count_ev(&B, IKE_EV_IKE_UP) - 1);
	teardown_pair();
}


/* ---- PFS in CHILD_SA rekeys ---------------------------------------------------------------- */

/* Lines of g's log that contain sub. */
static unsigned log_count(const struct gw *g, const char *sub)
{
	const char *p = g->logbuf;
	unsigned n = 0;

	while ((p = strstr(p, sub)) != NULL) {
		n++;
		p += strlen(sub);
	}
	return n;
}

/* A's established IKE SA (white box). */
static struct ike_sa *sa_of(struct gw *g)
{
	unsigned i;

	for (i = 0; i < 64; i++)
		if (g->ctx->sas[i].state == SA_ESTABLISHED &&
		    g->ctx->sas[i].peer == 0)
			return &g->ctx->sas[i];
	fail_msg("no established IKE SA");
	return NULL;
}

static struct ike_msg dec_m[2];
static uint8_t dec_plain[2][IKE_SA_BUF];

/*
 * Decrypts the captured message of exchange ex (request or response) with
 * A's IKE SA keys into dec_m[slot]; false when there is none.
 */
static bool decrypt_cap(struct ike_sa *sa, uint8_t ex, bool response,
			unsigned slot)
{
	unsigned i;

	for (i = 0; i < ncap; i++) {
		const uint8_t *b = cap[i].data;
		size_t len = cap[i].len;
		bool from_a = memcmp(cap[i].src.ip, A.addr.ip, 4) == 0;
		struct ike_sk_key k;

		if (len < 4 + 28 || ike_strip_non_esp_marker(&b, &len) != IKE_OK ||
		    ike_msg_parse(&dec_m[slot], b, len) != IKE_OK ||
		    dec_m[slot].hdr.exchange != ex ||
		    !!(dec_m[slot].hdr.flags & IKE_FLAG_RESPONSE) != response)
			continue;
		k = from_a ? ike_sk_key_out(&sa->keys, sa->initiator) :
			ike_sk_key_in(&sa->keys, sa->initiator);
		assert_int_equal(ike_sk_open(&k, &dec_m[slot], b, len,
					     dec_plain[slot], IKE_SA_BUF), IKE_OK);
		return true;
	}
	return false;
}

static unsigned dh_xforms(const struct ike_proposal *p, uint16_t *id)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n_transforms; i++)
		if (p->xf[i].type == IKE_XF_DH) {
			n++;
			*id = p->xf[i].id;
		}
	return n;
}

/*
 * A rekeys its CHILD_SA (the nth) while the exchange is captured; the
 * request and response are decrypted with A's keys. Checks the KE
 * payloads (group, public value length) and KEYMAT: with PFS it is not
 * prf+(SK_d, Ni | Nr), without PFS it is exactly that (which proves the
 * check itself).
 */
static void rekey_and_check_keymat(unsigned nth, uint16_t group)
{
	struct ike_sa *sa = sa_of(&A);
	struct ike_child_keys k;
	const struct ev *na, *nb;
	size_t n;

	capture = true;
	ncap = 0;
	rekey_child_by(&A, nth);
	capture = false;
	na = find_ev(&A, IKE_EV_CHILD_UP, nth);
	nb = find_ev(&B, IKE_EV_CHILD_UP, nth);
	assert_int_equal(na->e.child.dh, group);
	assert_int_equal(nb->e.child.dh, group);
	assert_true(decrypt_cap(sa, IKE_CREATE_CHILD_SA, false, 0));
	assert_true(decrypt_cap(sa, IKE_CREATE_CHILD_SA, true, 1));
	assert_true(ike_msg_has(&dec_m[0], IKE_PL_NONCE));
	assert_true(ike_msg_has(&dec_m[1], IKE_PL_NONCE));
	assert_int_equal(ike_msg_has(&dec_m[0], IKE_PL_KE), group != 0);
	assert_int_equal(ike_msg_has(&dec_m[1], IKE_PL_KE), group != 0);
	if (group) {
		uint16_t id = 0;

		assert_int_equal(dec_m[0].ke.group, group);
		assert_int_equal(dec_m[1].ke.group, group);
		assert_int_equal(dec_m[0].ke.data.len, ike_dh_pub_len(group));
		assert_int_equal(dec_m[1].ke.data.len, ike_dh_pub_len(group));
		assert_memory_not_equal(dec_m[0].ke.data.p, dec_m[1].ke.data.p,
					ike_dh_pub_len(group));
		/* the chosen proposal names the group */
		assert_int_equal(dh_xforms(&dec_m[1].sa.prop[0], &id), 1);
		assert_int_equal(id, group);
	}
	assert_int_equal(ike_derive_child_keys(&sa->keys, na->e.child.encr,
					       na->e.child.keylen, NULL, 0,
					       dec_m[0].nonce.p, dec_m[0].nonce.len,
					       dec_m[1].nonce.p, dec_m[1].nonce.len,
					       &k), 0);
	n = na->e.child.key_len + IKE_AEAD_SALT_LEN;
	assert_int_equal(k.key_len, na->e.child.key_len);
	if (group) {
		assert_memory_not_equal(na->key_out, k.encr_i, n);
		assert_memory_not_equal(na->key_in, k.encr_r, n);
	} else {
		assert_memory_equal(na->key_out, k.encr_i, n);
		assert_memory_equal(na->key_in, k.encr_r, n);
	}
	ike_child_keys_wipe(&k);
}

static void test_pfs_rekey(void **s)
{
	static const uint16_t groups[] = { IKE_DH_CURVE25519, IKE_DH_ECP256,
					   IKE_DH_MODP2048 };
	static const struct ike_esp_prop esps[] = {
		{ IKE_ENCR_AES_GCM_16, 128, 0 }, { IKE_ENCR_AES_GCM_16, 256, 0 },
		{ IKE_ENCR_CHACHA20_POLY1305, 0, 0 } };
	unsigned g;

	(void)s;
	for (g = 0; g < 3; g++) {
		struct ike_peer_cfg ca, cb;
		struct ike_peer_status st;

		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		ca.n_esp = cb.n_esp = 1;
		ca.esp[0] = cb.esp[0] = esps[g];
		ca.esp[0].dh = cb.esp[0].dh = groups[g];
		setup_pair(&ca, &cb, NULL);
		bring_up();
		/* IKE_AUTH has no KE: the first CHILD_SA has no PFS */
		assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 0)->e.child.dh, 0);
		rekey_and_check_keymat(1, groups[g]);
		/* started by the responder of the IKE SA too */
		rekey_child_by(&B, 2);
		assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 2)->e.child.dh,
				 groups[g]);
		assert_int_equal(find_ev(&B, IKE_EV_CHILD_UP, 2)->e.child.dh,
				 groups[g]);
		/* after an IKE SA rekey (new SK_d) */
		assert_int_equal(ike_rekey_ike(B.ctx, 0, now_ms), 0);
		pump();
		rekey_and_check_keymat(3, groups[g]);
		assert_int_equal(ike_peer_status(B.ctx, 0, &st), 0);
		assert_int_equal(st.n_child, 1);
		assert_int_equal(st.child[0].dh, groups[g]);
		assert_int_equal(log_count(&A, "INVALID_KE"), 0);
		assert_int_equal(log_count(&B, "refused"), 0);
		teardown_pair();
	}
	/* the same without PFS: no KE, KEYMAT = prf+(SK_d, Ni | Nr) */
	{
		struct ike_peer_cfg ca, cb;

		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		setup_pair(&ca, &cb, NULL);
		bring_up();
		rekey_and_check_keymat(1, 0);
		teardown_pair();
	}
	/* timers keep rekeying with PFS, one SA pair at a time */
	{
		struct ike_peer_cfg ca, cb;
		unsigned i, up;

		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		ca.esp[0].dh = cb.esp[0].dh = IKE_DH_CURVE25519;
		ca.child_rekey_ms = 3000;
		cb.child_rekey_ms = 0;
		setup_pair(&ca, &cb, NULL);
		bring_up();
		advance(10000);
		up = count_ev(&A, IKE_EV_CHILD_UP);
		assert_true(up >= 3);
		assert_int_equal(count_ev(&B, IKE_EV_CHILD_UP), up);
		for (i = 1; i < up; i++) {
			check_child_pair(i);
			assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, i)->e.child.dh,
					 IKE_DH_CURVE25519);
		}
		teardown_pair();
	}
}

/* IKE_AUTH offers no DH transform (RFC 7296 1.2), proposals that differ
 * only in their group collapse; the rekey offers each with its group. */
static void test_pfs_offer(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_sa *sa;
	uint16_t id = 0;
	unsigned i;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.n_esp = 3;
	ca.esp[0] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 128,
					   IKE_DH_CURVE25519 };
	ca.esp[1] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 128,
					   IKE_DH_ECP256 };
	ca.esp[2] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 256,
					   IKE_DH_MODP2048 };
	cb.n_esp = 1;
	cb.esp[0] = ca.esp[1];
	setup_pair(&ca, &cb, NULL);
	capture = true;
	bring_up();
	capture = false;
	sa = sa_of(&A);
	assert_true(decrypt_cap(sa, IKE_AUTH, false, 0));
	assert_int_equal(dec_m[0].sa.n_props, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(dh_xforms(&dec_m[0].sa.prop[i], &id), 0);
	assert_true(decrypt_cap(sa, IKE_AUTH, true, 1));
	assert_int_equal(dh_xforms(&dec_m[1].sa.prop[0], &id), 0);
	assert_false(ike_msg_has(&dec_m[0], IKE_PL_KE));
	/* the rekey: x25519 first, B wants ECP-256, one INVALID_KE round */
	capture = true;
	ncap = 0;
	rekey_child_by(&A, 1);
	capture = false;
	assert_true(decrypt_cap(sa, IKE_CREATE_CHILD_SA, false, 0));
	assert_int_equal(dec_m[0].sa.n_props, 3);
	for (i = 0; i < 3; i++) {
		static const uint16_t want[] = { IKE_DH_CURVE25519,
						 IKE_DH_ECP256, IKE_DH_MODP2048 };

		assert_int_equal(dh_xforms(&dec_m[0].sa.prop[i], &id), 1);
		assert_int_equal(id, want[i]);
	}
	assert_int_equal(dec_m[0].ke.group, IKE_DH_CURVE25519);
	assert_int_equal(log_count(&A, "INVALID_KE_PAYLOAD, retrying with group 19"), 1);
	assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 1)->e.child.dh, IKE_DH_ECP256);
	teardown_pair();
}

/* INVALID_KE_PAYLOAD: the responder names its group, the initiator retries
 * with it (only the proposals that have it); the next rekey uses it at
 * once. A responder that has a proposal for the KE it got takes it. */
static void test_pfs_invalid_ke(void **s)
{
	struct ike_peer_cfg ca, cb;
	unsigned i;

	(void)s;
	for (i = 0; i < 2; i++) {
		struct gw *ini = i ? &B : &A, *resp = i ? &A : &B;
		struct ike_peer_cfg *ci = i ? &cb : &ca, *cr = i ? &ca : &cb;

		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		ci->n_esp = 2;
		ci->esp[0] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 256,
						    IKE_DH_ECP256 };
		ci->esp[1] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 128,
						    IKE_DH_CURVE25519 };
		cr->n_esp = 1;
		cr->esp[0] = ci->esp[1];
		setup_pair(&ca, &cb, NULL);
		bring_up();
		assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 0)->e.child.keylen, 128);
		rekey_child_by(ini, 1);
		assert_int_equal(log_count(ini, "INVALID_KE_PAYLOAD, retrying with group 31"), 1);
		assert_int_equal(log_count(resp, "refused: notify 17"), 1);
		assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 1)->e.child.dh,
				 IKE_DH_CURVE25519);
		assert_int_equal(find_ev(&B, IKE_EV_CHILD_UP, 1)->e.child.dh,
				 IKE_DH_CURVE25519);
		/* the next rekey starts with the group in use: no round trip */
		rekey_child_by(ini, 2);
		assert_int_equal(log_count(ini, "INVALID_KE"), 1);
		assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 2)->e.child.dh,
				 IKE_DH_CURVE25519);
		teardown_pair();
	}
	/* B has proposals for both groups: it takes the one of A's KE */
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.n_esp = 1;
	ca.esp[0] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 128,
					   IKE_DH_CURVE25519 };
	cb.n_esp = 2;
	cb.esp[0] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 128,
					   IKE_DH_ECP256 };
	cb.esp[1] = ca.esp[0];
	setup_pair(&ca, &cb, NULL);
	bring_up();
	rekey_child_by(&A, 1);
	assert_int_equal(log_count(&B, "notify 17"), 0);
	assert_int_equal(find_ev(&B, IKE_EV_CHILD_UP, 1)->e.child.dh,
			 IKE_DH_CURVE25519);
	teardown_pair();
}

/*
 * Refused: the groups differ (no proposal both have), or one side wants
 * PFS and the other sends no KE / insists on no PFS. The CHILD_SA from
 * IKE_AUTH stays, nothing new is installed, the IKE SA lives on.
 */
static void pfs_refused(uint16_t dh_a, uint16_t dh_b)
{
	struct ike_peer_cfg ca, cb;
	int who;

	for (who = 0; who < 2; who++) {
		struct gw *g = who ? &B : &A, *o = who ? &A : &B;

		peer_cfg(&ca, true);
		peer_cfg(&cb, false);
		ca.n_esp = cb.n_esp = 1;
		ca.esp[0].dh = dh_a;
		cb.esp[0].dh = dh_b;
		setup_pair(&ca, &cb, NULL);
		bring_up();
		assert_int_equal(ike_rekey_child(g->ctx, 0, now_ms), 0);
		pump();
		assert_int_equal(log_count(o, "CREATE_CHILD_SA refused: notify 14"), 1);
		assert_int_equal(log_count(g, "CHILD_SA rekey refused: 14"), 1);
		assert_int_equal(count_ev(&A, IKE_EV_CHILD_UP), 1);
		assert_int_equal(count_ev(&B, IKE_EV_CHILD_UP), 1);
		assert_int_equal(count_ev(&A, IKE_EV_CHILD_DOWN), 0);
		assert_int_equal(state_of(&A), IKE_ST_ESTABLISHED);
		assert_int_equal(state_of(&B), IKE_ST_ESTABLISHED);
		/* the IKE SA still works */
		assert_int_equal(ike_dpd(o->ctx, 0, now_ms), 0);
		pump();
		assert_int_equal(state_of(o), IKE_ST_ESTABLISHED);
		teardown_pair();
	}
}

static void test_pfs_refused(void **s)
{
	(void)s;
	pfs_refused(IKE_DH_CURVE25519, IKE_DH_ECP256);	/* group mismatch */
	pfs_refused(IKE_DH_MODP2048, IKE_DH_CURVE25519);
	pfs_refused(0, IKE_DH_CURVE25519);	/* no KE, or PFS refused */
	pfs_refused(IKE_DH_ECP256, 0);
}

/* A mixed offer (one proposal with PFS, one without): a responder that has
 * only the one without takes it and ignores the KE. */
static void test_pfs_mixed(void **s)
{
	struct ike_peer_cfg ca, cb;
	struct ike_sa *sa;

	(void)s;
	peer_cfg(&ca, true);
	peer_cfg(&cb, false);
	ca.n_esp = 2;
	ca.esp[0] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 128,
					   IKE_DH_CURVE25519 };
	ca.esp[1] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 256, 0 };
	cb.n_esp = 1;
	cb.esp[0] = ca.esp[1];
	setup_pair(&ca, &cb, NULL);
	bring_up();
	sa = sa_of(&A);
	capture = true;
	ncap = 0;
	rekey_child_by(&A, 1);
	capture = false;
	assert_true(decrypt_cap(sa, IKE_CREATE_CHILD_SA, false, 0));
	assert_true(ike_msg_has(&dec_m[0], IKE_PL_KE));
	assert_true(decrypt_cap(sa, IKE_CREATE_CHILD_SA, true, 1));
	assert_false(ike_msg_has(&dec_m[1], IKE_PL_KE));
	assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 1)->e.child.dh, 0);
	assert_int_equal(find_ev(&A, IKE_EV_CHILD_UP, 1)->e.child.keylen, 256);
	teardown_pair();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_esn),
		cmocka_unit_test(test_invalid_ke),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_retransmit),
		cmocka_unit_test(test_dpd),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_rekey_child),
		cmocka_unit_test(test_rekey_ike),
		cmocka_unit_test(test_ts_and_ids),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_initial_contact),
		cmocka_unit_test(test_nat),
		cmocka_unit_test(test_ike_rekey_timer),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_pfs_rekey),
		cmocka_unit_test(test_pfs_offer),
		cmocka_unit_test(test_pfs_invalid_ke),
		cmocka_unit_test(test_pfs_refused),
		cmocka_unit_test(test_pfs_mixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
