/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE_SA_INIT and IKE_AUTH (RFC 7296 1.2, 2.6, 2.7, 2.15, 2.23), both
 * roles. The responder keeps no state for a request it answers with
 * COOKIE, INVALID_KE_PAYLOAD or NO_PROPOSAL_CHOSEN; every check of a
 * message happens before the SA is changed.
 */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "ike_sa_int.h"

#define MAX_INIT_RETRIES	4	/* COOKIE / INVALID_KE round trips */

static unsigned alen(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static bool ip_eq(const struct ike_addr *a, const struct ike_addr *b)
{
	return a->family == b->family &&
		memcmp(a->ip, b->ip, alen(a->family)) == 0;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

/* A fresh CHILD SPI, >= 256 (1-255 are reserved) and unused in ctx. */
static uint32_t new_child_spi(struct ike_ctx *ctx)
{
	for (;;) {
		uint8_t r[4];
		uint32_t spi;
		bool used = false;
		unsigned i, j;

		if (ike_random(r, 4) != 0)
			return 0;
		spi = rd32(r) | 0x80000000u;
		for (i = 0; i < ctx->cfg.max_sas && !used; i++)
			for (j = 0; j < IKE_SA_MAX_CHILD; j++)
				if (ctx->sas[i].state != SA_FREE &&
				    ctx->sas[i].child[j].used &&
				    ctx->sas[i].child[j].info.spi_in == spi)
					used = true;
		if (!used)
			return spi;
	}
}

static bool id_match(const struct ike_identity *want, const struct ike_id *got)
{
	if (want->type != got->type || want->len != got->data.len)
		return false;
	if (want->type == IKE_ID_FQDN || want->type == IKE_ID_RFC822_ADDR) {
		char a[IKE_CFG_ID_MAX + 1], b[IKE_CFG_ID_MAX + 1];

		memcpy(a, want->data, want->len);
		memcpy(b, got->data.p, want->len);
		a[want->len] = b[want->len] = 0;
		/* DNS names compare without case; a NUL inside never matches */
		return strlen(a) == want->len && strlen(b) == want->len &&
			strcasecmp(a, b) == 0;
	}
	return memcmp(want->data, got->data.p, want->len) == 0;
}

/* ---- NAT detection (2.23) ------------------------------------------------------ */

static void add_natd(struct ike_msg *m, const uint8_t spi_i[8],
		     const uint8_t spi_r[8], const struct ike_addr *src,
		     const struct ike_addr *dst, bool fake, uint8_t *hs,
		     uint8_t *hd)
{
	struct ike_notify *n;

	/* a faked source hash makes the peer see a NAT: ESP in UDP */
	ike_natd_hash(spi_i, spi_r, src->ip, alen(src->family),
		      fake ? 0 : src->port, hs);
	ike_natd_hash(spi_i, spi_r, dst->ip, alen(dst->family), dst->port, hd);
	n = ike_msg_add(m, IKE_PL_NOTIFY);
	if (n) {
		n->type = IKE_N_NAT_DETECTION_SOURCE_IP;
		n->data = (struct ike_view){ hs, 20 };
	}
	n = ike_msg_add(m, IKE_PL_NOTIFY);
	if (n) {
		n->type = IKE_N_NAT_DETECTION_DESTINATION_IP;
		n->data = (struct ike_view){ hd, 20 };
	}
}

/* Any NATD_SOURCE notify matching src means no NAT in front of the sender. */
static bool natd_differs(const struct ike_msg *m, uint16_t type,
			 const uint8_t spi_i[8], const uint8_t spi_r[8],
			 const struct ike_addr *a)
{
	uint8_t h[20];
	unsigned i;

	ike_natd_hash(spi_i, spi_r, a->ip, alen(a->family), a->port, h);
	for (i = 0; i < m->n_notify; i++)
		if (m->notify[i].type == type && m->notify[i].data.len == 20 &&
		    memcmp(m->notify[i].data.p, h, 20) == 0)
			return false;
	return true;
}

static bool has_natd(const struct ike_msg *m)
{
	return ike_msg_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP) &&
		ike_msg_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP);
}

/* ---- initiator: IKE_SA_INIT -------------------------------------------------------- */

static int send_init_request(struct ike_ctx *ctx, struct ike_sa *sa,
			     uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	struct ike_msg *m = &ctx->m_out;
	static const uint8_t zero[8];
	uint8_t pub[IKE_DH_PUB_MAX], hs[20], hd[20];
	size_t publen = ike_dh_public(&sa->dh, pub, sizeof(pub));
	struct ike_notify *n;
	struct ike_ke *ke;
	struct ike_view *nonce;

	if (publen == 0)
		return -1;
	ike_msg_init(m, sa->spi_i, zero, IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
	if (sa->cookie_len) {
		/* 2.6: the COOKIE notify comes first */
		n = ike_msg_add(m, IKE_PL_NOTIFY);
		n->type = IKE_N_COOKIE;
		n->data = (struct ike_view){ sa->cookie, sa->cookie_len };
	}
	prop_ike_offer(c, ike_msg_add(m, IKE_PL_SA), NULL, 0, 0);
	ke = ike_msg_add(m, IKE_PL_KE);
	ke->group = sa->dh.group;
	ke->data = (struct ike_view){ pub, (uint16_t)publen };
	nonce = ike_msg_add(m, IKE_PL_NONCE);
	*nonce = (struct ike_view){ sa->ni, sa->ni_len };
	add_natd(m, sa->spi_i, zero, &sa->local, &sa->remote, c->force_encap,
		 hs, hd);
	if (ike_msg_build(m, sa->init_req, sizeof(sa->init_req),
			  &sa->init_req_len, 0) != IKE_OK)
		return -1;
	memcpy(sa->pend.req, sa->init_req, sa->init_req_len);
	sa->pend.req_len = sa->init_req_len;
	sa->pend.task = TASK_INIT;
	sa->pend.exchange = IKE_SA_INIT;
	sa->pend.msg_id = 0;
	sa->pend.tries = 0;
	sa->pend.retx_ms = ctx->cfg.retx_base_ms;
	sa->pend.retx_at = now + sa->pend.retx_ms;
	sa->natt = false;
	send_raw(ctx, sa, sa->init_req, sa->init_req_len);
	return 0;
}

int exch_init_start(struct ike_ctx *ctx, unsigned peer, uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[peer].cfg;
	struct ike_sa *sa = sa_alloc(ctx);

	if (sa == NULL) {
		ike_log(ctx, IKE_LOG_ERR, NULL, "%s: no free IKE SA", c->name);
		return -1;
	}
	sa->peer = (int)peer;
	sa->initiator = true;
	sa->local = c->local;
	sa->local.port = IKE_PORT;
	sa->remote = c->remote;
	if (!sa->remote.port)
		sa->remote.port = IKE_PORT;
	sa->ni_len = 32;
	sa->created_ms = now;
	sa->state = SA_INIT_SENT;
	sa->next_id_out = 1;
	if (ike_random(sa->spi_i, 8) != 0 ||
	    ike_random(sa->ni, sa->ni_len) != 0 ||
	    ike_dh_new(&sa->dh, c->ike[0].dh) != 0 ||
	    send_init_request(ctx, sa, now) != 0) {
		ike_log(ctx, IKE_LOG_ERR, sa, "cannot start IKE_SA_INIT");
		sa_free(ctx, sa);
		return -1;
	}
	ike_log(ctx, IKE_LOG_INFO, sa, "initiating IKE_SA_INIT (group %u)",
		sa->dh.group);
	return 0;
}

static bool offered_group(const struct ike_peer_cfg *c, uint16_t g)
{
	unsigned i;

	for (i = 0; i < c->n_ike; i++)
		if (c->ike[i].dh == g)
			return true;
	return false;
}

int ts_fill_inner(const struct ike_peer_cfg *c, struct ike_msg *inner,
		  bool initiator)
{
	struct ike_ts *tsi = ike_msg_add(inner, IKE_PL_TSI);
	struct ike_ts *tsr = ike_msg_add(inner, IKE_PL_TSR);

	if (tsi == NULL || tsr == NULL)
		return -1;
	/* TSi is the initiator's side, TSr the responder's */
	ts_from_subnets(initiator ? c->local_ts : c->remote_ts,
			initiator ? c->n_local_ts : c->n_remote_ts, tsi);
	ts_from_subnets(initiator ? c->remote_ts : c->local_ts,
			initiator ? c->n_remote_ts : c->n_local_ts, tsr);
	return 0;
}

static int add_id(struct ike_msg *m, uint8_t type,
		  const struct ike_identity *id)
{
	struct ike_id *p = ike_msg_add(m, type);

	if (p == NULL)
		return -1;
	p->type = id->type;
	p->data = (struct ike_view){ id->data, id->len };
	return 0;
}

static size_t my_auth(const struct ike_sa *sa, const struct ike_peer_cfg *c,
		      const struct ike_identity *id, uint8_t *out)
{
	struct ike_id tmp = { .type = id->type,
			      .data = { id->data, id->len } };
	uint8_t body[4 + IKE_CFG_ID_MAX];
	size_t n = ike_id_body(&tmp, body, sizeof(body));

	if (n == 0)
		return 0;
	/* initiator signs its request + Nr, responder its response + Ni */
	return ike_psk_auth(sa->suite.prf, c->psk, c->psk_len,
			    sa->initiator ? sa->init_req : sa->init_resp,
			    sa->initiator ? sa->init_req_len : sa->init_resp_len,
			    sa->initiator ? sa->nr : sa->ni,
			    sa->initiator ? sa->nr_len : sa->ni_len,
			    sa->initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
			    sa->keys.prf_len, body, n, out, IKE_PRF_MAX);
}

static bool peer_auth_ok(const struct ike_sa *sa, const struct ike_peer_cfg *c,
			 const struct ike_id *id, const struct ike_auth *a)
{
	uint8_t want[IKE_PRF_MAX];
	size_t n;
	bool ok;

	if (a->method != IKE_AUTH_PSK || a->data.len != sa->keys.prf_len)
		return false;
	n = ike_psk_auth(sa->suite.prf, c->psk, c->psk_len,
			 sa->initiator ? sa->init_resp : sa->init_req,
			 sa->initiator ? sa->init_resp_len : sa->init_req_len,
			 sa->initiator ? sa->ni : sa->nr,
			 sa->initiator ? sa->ni_len : sa->nr_len,
			 sa->initiator ? sa->keys.sk_pr : sa->keys.sk_pi,
			 sa->keys.prf_len, id->body.p, id->body.len, want,
			 sizeof(want));
	ok = n == a->data.len && ike_auth_equal(want, a->data.p, n);
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

static int send_auth_request(struct ike_ctx *ctx, struct ike_sa *sa,
			     uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	struct ike_msg *m = &ctx->m_out;
	uint8_t auth[IKE_PRF_MAX];
	struct ike_auth *a;
	size_t n;
	int rc;

	sa->pend.new_spi = new_child_spi(ctx);
	n = my_auth(sa, c, &c->local_id, auth);
	if (n == 0 || sa->pend.new_spi == 0)
		return -1;
	ike_msg_init(m, sa->spi_i, sa->spi_r, IKE_AUTH, 0, 0);
	if (peer_sa(ctx, (unsigned)sa->peer) == sa) {
		/* 2.4: no other IKE SA with this peer: it may drop stale ones */
		struct ike_notify *ic = ike_msg_add(m, IKE_PL_NOTIFY);

		ic->type = IKE_N_INITIAL_CONTACT;
	}
	add_id(m, IKE_PL_IDI, &c->local_id);
	add_id(m, IKE_PL_IDR, &c->remote_id);
	a = ike_msg_add(m, IKE_PL_AUTH);
	a->method = IKE_AUTH_PSK;
	a->data = (struct ike_view){ auth, (uint16_t)n };
	prop_esp_offer(c, ike_msg_add(m, IKE_PL_SA), sa->pend.new_spi, true, 0);
	ts_fill_inner(c, m, true);
	rc = sa_send_request(ctx, sa, TASK_AUTH, m, now);
	OPENSSL_cleanse(auth, sizeof(auth));
	return rc;
}

/* COOKIE or INVALID_KE_PAYLOAD: resend IKE_SA_INIT as asked. */
static enum ike_drop init_retry(struct ike_ctx *ctx, struct ike_sa *sa,
				const struct ike_msg *m, uint64_t now)
{
	const struct ike_notify *ck = ike_msg_notify(m, IKE_N_COOKIE);
	const struct ike_notify *ke = ike_msg_notify(m, IKE_N_INVALID_KE_PAYLOAD);
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;

	if (sa->init_retries >= MAX_INIT_RETRIES)
		return IKE_DROP_NOTIFY;
	if (ck) {
		if (ck->data.len < 1 || ck->data.len > sizeof(sa->cookie))
			return IKE_DROP_PAYLOADS;
		sa->cookie_len = (uint8_t)ck->data.len;
		memcpy(sa->cookie, ck->data.p, ck->data.len);
		ike_log(ctx, IKE_LOG_INFO, sa, "responder asks for a cookie");
	} else {
		uint16_t g;
		struct ike_dh dh;

		if (ke->data.len != 2)
			return IKE_DROP_PAYLOADS;
		g = (uint16_t)(ke->data.p[0] << 8 | ke->data.p[1]);
		if (!offered_group(c, g) || g == sa->dh.group)
			return IKE_DROP_NO_PROPOSAL;
		if (ike_dh_new(&dh, g) != 0)
			return IKE_DROP_INTERNAL;
		ike_dh_free(&sa->dh);
		sa->dh = dh;
		ike_log(ctx, IKE_LOG_INFO, sa,
			"INVALID_KE_PAYLOAD: retrying with group %u", g);
	}
	sa->init_retries++;
	return send_init_request(ctx, sa, now) == 0 ? IKE_DROP_NONE :
		IKE_DROP_INTERNAL;
}

enum ike_drop exch_init_response(struct ike_ctx *ctx, struct ike_sa *sa,
				 const struct ike_msg *m, const uint8_t *buf,
				 size_t len, uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	struct ike_sa_keys keys;
	struct ike_suite suite;
	uint8_t g_ir[IKE_DH_SECRET_MAX];
	static const uint8_t zero[8];
	size_t n;
	unsigned i;

	if (!ike_msg_has(m, IKE_PL_SA) &&
	    (ike_msg_notify(m, IKE_N_COOKIE) ||
	     ike_msg_notify(m, IKE_N_INVALID_KE_PAYLOAD)))
		return init_retry(ctx, sa, m, now);
	for (i = 0; i < m->n_notify; i++)
		if (m->notify[i].type < 16384) {
			/* unauthenticated: keep waiting, it may be spoofed */
			ike_log(ctx, IKE_LOG_INFO, sa,
				"IKE_SA_INIT error notify %u", m->notify[i].type);
			return IKE_DROP_NOTIFY;
		}
	if (!ike_msg_has(m, IKE_PL_SA) || !ike_msg_has(m, IKE_PL_KE) ||
	    !ike_msg_has(m, IKE_PL_NONCE) || memcmp(m->hdr.spi_r, zero, 8) == 0)
		return IKE_DROP_PAYLOADS;
	if (prop_ike_check(c, &m->sa, &suite) != 0 ||
	    suite.dh != sa->dh.group || m->ke.group != sa->dh.group)
		return IKE_DROP_NO_PROPOSAL;
	if (len > sizeof(sa->init_resp))
		return IKE_DROP_TOO_BIG;
	n = ike_dh_derive(&sa->dh, m->ke.data.p, m->ke.data.len, g_ir,
			  sizeof(g_ir));
	if (n == 0 || ike_derive_ike_keys(&suite, sa->ni, sa->ni_len,
					  m->nonce.p, m->nonce.len, g_ir, n,
					  sa->spi_i, m->hdr.spi_r, &keys) != 0) {
		OPENSSL_cleanse(g_ir, sizeof(g_ir));
		return IKE_DROP_KE;
	}
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	/* accepted: commit */
	memcpy(sa->spi_r, m->hdr.spi_r, 8);
	sa->suite = suite;
	sa->keys = keys;
	OPENSSL_cleanse(&keys, sizeof(keys));
	sa->have_keys = true;
	sa->nr_len = m->nonce.len;
	memcpy(sa->nr, m->nonce.p, m->nonce.len);
	memcpy(sa->init_resp, buf, len);
	sa->init_resp_len = len;
	ike_dh_free(&sa->dh);
	if (has_natd(m)) {
		sa->nat_remote = natd_differs(m, IKE_N_NAT_DETECTION_SOURCE_IP,
					      sa->spi_i, sa->spi_r, &sa->remote);
		sa->nat_local = natd_differs(m,
					     IKE_N_NAT_DETECTION_DESTINATION_IP,
					     sa->spi_i, sa->spi_r, &sa->local);
		/* 2.23: float to 4500 when either side is behind a NAT */
		sa->natt = sa->nat_local || sa->nat_remote || c->force_encap;
	}
	sa->pend.task = TASK_NONE;
	sa->state = SA_AUTH_SENT;
	ike_log(ctx, IKE_LOG_INFO, sa, "IKE_SA_INIT done%s",
		sa->natt ? ", NAT: floating to 4500" : "");
	if (send_auth_request(ctx, sa, now) != 0)
		return IKE_DROP_INTERNAL;
	return IKE_DROP_NONE;
}

/* ---- responder: IKE_SA_INIT --------------------------------------------------------- */

static void send_stateless(struct ike_ctx *ctx, const struct ike_msg *req,
			   const struct ike_addr *src,
			   const struct ike_addr *local, bool natt,
			   uint16_t type, const uint8_t *data, uint16_t dlen)
{
	static const uint8_t zero[8];
	struct ike_msg *m = &ctx->m_out;
	struct ike_notify *n;
	uint8_t out[256];
	size_t len;

	ike_msg_init(m, req->hdr.spi_i, zero, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
	n = ike_msg_add(m, IKE_PL_NOTIFY);
	n->type = type;
	n->data = (struct ike_view){ data, dlen };
	if (ike_msg_build(m, out, sizeof(out), &len, 0) == IKE_OK)
		send_raw_to(ctx, local, src, natt, out, len);
}

/* First peer whose addresses fit and whose IKE proposals match. */
static int pick_peer(struct ike_ctx *ctx, const struct ike_msg *m,
		     const struct ike_addr *src, const struct ike_addr *local,
		     struct ike_suite *suite, uint8_t *num)
{
	unsigned i;

	for (i = 0; i < ctx->n_peers; i++) {
		const struct ike_peer_cfg *c = &ctx->peers[i].cfg;

		if (ctx->peers[i].removed || !ip_eq(&c->local, local) ||
		    (c->remote.family && !ip_eq(&c->remote, src)))
			continue;
		if (prop_ike_choose(c, &m->sa, suite, num) == 0)
			return (int)i;
	}
	return -1;
}

enum ike_drop exch_init_request(struct ike_ctx *ctx, const struct ike_msg *m,
				const uint8_t *buf, size_t len,
				const struct ike_addr *src,
				const struct ike_addr *local, bool natt,
				uint64_t now)
{
	static const uint8_t zero[8];
	struct ike_suite suite;
	struct ike_sa *sa;
	struct ike_msg *r = &ctx->m_out;
	uint8_t num, g_ir[IKE_DH_SECRET_MAX], pub[IKE_DH_PUB_MAX], hs[20],
		hd[20], cookie[64];
	size_t n, publen;
	struct ike_ke *ke;
	struct ike_view *nonce;
	unsigned i;
	int peer;

	if (memcmp(m->hdr.spi_r, zero, 8) != 0 || m->hdr.msg_id != 0)
		return IKE_DROP_NO_SA;
	for (i = 0; i < ctx->cfg.max_sas; i++) {
		sa = &ctx->sas[i];
		if (sa->state == SA_FREE || sa->initiator ||
		    memcmp(sa->spi_i, m->hdr.spi_i, 8) != 0 ||
		    !ip_eq(&sa->remote, src))
			continue;
		if (sa->state == SA_HALF_OPEN && len == sa->init_req_len &&
		    memcmp(buf, sa->init_req, len) == 0) {
			ike_log(ctx, IKE_LOG_DEBUG, sa,
				"retransmitted IKE_SA_INIT: cached response");
			send_raw_to(ctx, local, src, natt, sa->init_resp,
				    sa->init_resp_len);
			return IKE_DROP_NONE;
		}
		return IKE_DROP_MSG_ID;
	}
	if (!ike_msg_has(m, IKE_PL_SA) || !ike_msg_has(m, IKE_PL_KE) ||
	    !ike_msg_has(m, IKE_PL_NONCE))
		return IKE_DROP_PAYLOADS;
	/* 2.6: under load, prove the source address before any work */
	if (ctx->n_half_open >= ctx->cfg.cookie_threshold &&
	    !cookie_ok(ctx, m, src)) {
		n = cookie_make(ctx, m, src, cookie);
		if (n)
			send_stateless(ctx, m, src, local, natt, IKE_N_COOKIE,
				       cookie, (uint16_t)n);
		return IKE_DROP_COOKIE;
	}
	peer = pick_peer(ctx, m, src, local, &suite, &num);
	if (peer < 0) {
		send_stateless(ctx, m, src, local, natt,
			       IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return IKE_DROP_NO_PROPOSAL;
	}
	if (m->ke.group != suite.dh) {
		uint8_t g[2] = { (uint8_t)(suite.dh >> 8), (uint8_t)suite.dh };

		send_stateless(ctx, m, src, local, natt,
			       IKE_N_INVALID_KE_PAYLOAD, g, 2);
		return IKE_DROP_KE;
	}
	if (len > sizeof(sa->init_req))
		return IKE_DROP_TOO_BIG;
	sa = sa_alloc(ctx);
	if (sa == NULL)
		return IKE_DROP_FULL;
	memcpy(sa->spi_i, m->hdr.spi_i, 8);
	sa->suite = suite;
	sa->nr_len = 32;
	if (ike_random(sa->spi_r, 8) != 0 || ike_random(sa->nr, 32) != 0 ||
	    ike_dh_new(&sa->dh, suite.dh) != 0) {
		sa_free(ctx, sa);
		return IKE_DROP_INTERNAL;
	}
	n = ike_dh_derive(&sa->dh, m->ke.data.p, m->ke.data.len, g_ir,
			  sizeof(g_ir));
	publen = ike_dh_public(&sa->dh, pub, sizeof(pub));
	if (n == 0 || publen == 0 ||
	    ike_derive_ike_keys(&suite, m->nonce.p, m->nonce.len, sa->nr, 32,
				g_ir, n, sa->spi_i, sa->spi_r, &sa->keys) != 0) {
		OPENSSL_cleanse(g_ir, sizeof(g_ir));
		sa_free(ctx, sa);
		return IKE_DROP_KE;
	}
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	ike_dh_free(&sa->dh);
	sa->ni_len = m->nonce.len;
	memcpy(sa->ni, m->nonce.p, m->nonce.len);
	sa->local = *local;
	sa->remote = *src;
	sa->natt = natt;
	if (has_natd(m)) {
		sa->nat_remote = natd_differs(m, IKE_N_NAT_DETECTION_SOURCE_IP,
					      sa->spi_i, zero, src);
		sa->nat_local = natd_differs(m,
					     IKE_N_NAT_DETECTION_DESTINATION_IP,
					     sa->spi_i, zero, local);
	}
	ike_msg_init(r, sa->spi_i, sa->spi_r, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
	prop_ike_chosen(&suite, ike_msg_add(r, IKE_PL_SA), num, NULL, 0);
	ke = ike_msg_add(r, IKE_PL_KE);
	ke->group = suite.dh;
	ke->data = (struct ike_view){ pub, (uint16_t)publen };
	nonce = ike_msg_add(r, IKE_PL_NONCE);
	*nonce = (struct ike_view){ sa->nr, sa->nr_len };
	if (has_natd(m))
		add_natd(r, sa->spi_i, sa->spi_r, local, src,
			 ctx->peers[peer].cfg.force_encap, hs, hd);
	if (ike_msg_build(r, sa->init_resp, sizeof(sa->init_resp),
			  &sa->init_resp_len, 0) != IKE_OK) {
		sa_free(ctx, sa);
		return IKE_DROP_INTERNAL;
	}
	memcpy(sa->init_req, buf, len);
	sa->init_req_len = len;
	sa->have_keys = true;
	sa->state = SA_HALF_OPEN;
	ctx->n_half_open++;
	sa->created_ms = now;
	sa->expire_at = now + ctx->cfg.half_open_ms;
	sa->next_id_in = 1;
	sa->next_id_out = 0;
	send_raw(ctx, sa, sa->init_resp, sa->init_resp_len);
	ike_log(ctx, IKE_LOG_DEBUG, sa, "IKE_SA_INIT answered (group %u)",
		suite.dh);
	return IKE_DROP_NONE;
}

/* ---- CHILD_SA keys ------------------------------------------------------------------- */

int child_keys_event(struct ike_ctx *ctx, struct ike_sa *sa,
		     struct sa_child *c, bool exch_initiator,
		     const uint8_t *g_ir, size_t g_ir_len,
		     const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len)
{
	struct ike_child_keys k;

	if (ike_derive_child_keys(&sa->keys, c->info.encr, c->info.keylen,
				  g_ir, g_ir_len, ni, ni_len, nr, nr_len,
				  &k) != 0)
		return -1;
	c->info.key_len = k.key_len;
	c->info.encap = sa->natt;
	/* KEYMAT: the exchange initiator's outbound key comes first (2.17) */
	c->info.key_out = exch_initiator ? k.encr_i : k.encr_r;
	c->info.key_in = exch_initiator ? k.encr_r : k.encr_i;
	c->info.responder = !exch_initiator;
	c->used = true;
	sa_emit(ctx, sa, IKE_EV_CHILD_UP, &c->info);
	c->info.key_out = c->info.key_in = NULL;
	ike_child_keys_wipe(&k);
	ike_log(ctx, IKE_LOG_INFO, sa,
		"CHILD_SA up: in 0x%08x out 0x%08x encr %u/%u %s, PFS group %u",
		c->info.spi_in, c->info.spi_out, c->info.encr, c->info.keylen,
		c->info.esn ? "ESN" : "no ESN", c->info.dh);
	return 0;
}

/* A free CHILD_SA slot of sa, zeroed; NULL when all are used. */
struct sa_child *child_slot(struct ike_sa *sa)
{
	unsigned i;

	for (i = 0; i < IKE_SA_MAX_CHILD; i++)
		if (!sa->child[i].used) {
			memset(&sa->child[i], 0, sizeof(sa->child[i]));
			return &sa->child[i];
		}
	return NULL;
}

/* ---- IKE_AUTH ---------------------------------------------------------------------- */

static void send_auth_failed(struct ike_ctx *ctx, struct ike_sa *sa,
			     uint32_t msg_id)
{
	struct ike_msg *r = &ctx->m_out;
	struct ike_notify *n;

	ike_msg_init(r, sa->spi_i, sa->spi_r, IKE_AUTH, 0, 0);
	n = ike_msg_add(r, IKE_PL_NOTIFY);
	n->type = IKE_N_AUTHENTICATION_FAILED;
	sa_send_response(ctx, sa, r, msg_id, IKE_AUTH);
}

static int find_peer_by_id(struct ike_ctx *ctx, const struct ike_sa *sa,
			   const struct ike_msg *m)
{
	unsigned i;

	for (i = 0; i < ctx->n_peers; i++) {
		const struct ike_peer_cfg *c = &ctx->peers[i].cfg;

		if (ctx->peers[i].removed || !ip_eq(&c->local, &sa->local) ||
		    (c->remote.family && !ip_eq(&c->remote, &sa->remote)) ||
		    !id_match(&c->remote_id, &m->idi))
			continue;
		if (ike_msg_has(m, IKE_PL_IDR) && !id_match(&c->local_id, &m->idr))
			continue;
		return (int)i;
	}
	return -1;
}

enum ike_drop exch_auth_request(struct ike_ctx *ctx, struct ike_sa *sa,
				const struct ike_msg *m, uint64_t now)
{
	const struct ike_peer_cfg *c;
	struct ike_msg *r = &ctx->m_out;
	struct ike_ts tsi, tsr;
	struct ike_esp_prop esp;
	struct sa_child *ch;
	uint8_t auth[IKE_PRF_MAX], num = 0;
	uint32_t peer_spi = 0, spi;
	uint16_t err = 0;
	struct ike_auth *a;
	bool esn = false;
	size_t n;
	int peer;

	if (!ike_msg_has(m, IKE_PL_IDI) || !ike_msg_has(m, IKE_PL_AUTH))
		return IKE_DROP_PAYLOADS;
	peer = find_peer_by_id(ctx, sa, m);
	if (peer < 0 || !peer_auth_ok(sa, &ctx->peers[peer].cfg, &m->idi,
				      &m->auth)) {
		ike_log(ctx, IKE_LOG_ERR, sa, "IKE_AUTH: %s",
			peer < 0 ? "unknown identity" : "AUTH mismatch");
		send_auth_failed(ctx, sa, m->hdr.msg_id);
		sa_free(ctx, sa);
		return IKE_DROP_AUTH;
	}
	c = &ctx->peers[peer].cfg;
	sa->peer = peer;
	n = my_auth(sa, c, &c->local_id, auth);
	if (n == 0)
		return IKE_DROP_INTERNAL;
	if (!ike_msg_has(m, IKE_PL_SA) || !ike_msg_has(m, IKE_PL_TSI) ||
	    !ike_msg_has(m, IKE_PL_TSR))
		err = IKE_N_NO_PROPOSAL_CHOSEN;
	else if (prop_esp_choose(c, &m->sa, true, 0, &esp, &esn, &peer_spi,
				 &num) != 0)
		err = IKE_N_NO_PROPOSAL_CHOSEN;
	else if (ts_narrow(&m->tsi, c->remote_ts, c->n_remote_ts, &tsi) != 0 ||
		 ts_narrow(&m->tsr, c->local_ts, c->n_local_ts, &tsr) != 0)
		err = IKE_N_TS_UNACCEPTABLE;
	spi = err ? 0 : new_child_spi(ctx);
	ike_msg_init(r, sa->spi_i, sa->spi_r, IKE_AUTH, 0, 0);
	add_id(r, IKE_PL_IDR, &c->local_id);
	a = ike_msg_add(r, IKE_PL_AUTH);
	a->method = IKE_AUTH_PSK;
	a->data = (struct ike_view){ auth, (uint16_t)n };
	if (err) {
		struct ike_notify *nt = ike_msg_add(r, IKE_PL_NOTIFY);

		nt->type = err;
		ike_log(ctx, IKE_LOG_INFO, sa, "IKE_AUTH: no CHILD_SA (%s)",
			err == IKE_N_TS_UNACCEPTABLE ? "TS_UNACCEPTABLE" :
			"NO_PROPOSAL_CHOSEN");
	} else {
		prop_esp_chosen(&esp, esn, ike_msg_add(r, IKE_PL_SA), num, spi);
		*(struct ike_ts *)ike_msg_add(r, IKE_PL_TSI) = tsi;
		*(struct ike_ts *)ike_msg_add(r, IKE_PL_TSR) = tsr;
	}
	if (sa_send_response(ctx, sa, r, m->hdr.msg_id, IKE_AUTH) != 0) {
		OPENSSL_cleanse(auth, sizeof(auth));
		return IKE_DROP_INTERNAL;
	}
	OPENSSL_cleanse(auth, sizeof(auth));
	ctx->n_half_open--;
	sa_established(ctx, sa, now);
	ike_log(ctx, IKE_LOG_INFO, sa, "IKE SA established (responder)");
	sa_supersede(ctx, sa, ike_msg_notify(m, IKE_N_INITIAL_CONTACT) != NULL,
		     now);
	sa_emit_ike(ctx, sa, IKE_EV_IKE_UP, false);
	if (!err) {
		ch = child_slot(sa);
		ch->info = (struct ike_child_info){ .spi_in = spi,
			.spi_out = peer_spi, .encr = esp.encr,
			.keylen = esp.encr == IKE_ENCR_CHACHA20_POLY1305 ? 0 :
				  esp.keylen, .esn = esn };
		/* tsi is the peer's side (remote), tsr ours */
		ts_to_ranges(&tsr, ch->info.ts_local, &ch->info.n_ts_local);
		ts_to_ranges(&tsi, ch->info.ts_remote, &ch->info.n_ts_remote);
		ch->rekey_at = c->child_rekey_ms ?
			now + sa_jitter(c, c->child_rekey_ms) : 0;
		if (child_keys_event(ctx, sa, ch, false, NULL, 0, sa->ni,
				     sa->ni_len, sa->nr, sa->nr_len) != 0)
			ch->used = false;
	}
	return IKE_DROP_NONE;
}

enum ike_drop exch_auth_response(struct ike_ctx *ctx, struct ike_sa *sa,
				 const struct ike_msg *m, uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	struct ike_esp_prop esp;
	struct sa_child *ch;
	uint32_t peer_spi = 0;
	bool esn = false;
	unsigned i;

	if (!ike_msg_has(m, IKE_PL_AUTH) || !ike_msg_has(m, IKE_PL_IDR)) {
		const struct ike_notify *e = NULL;

		for (i = 0; i < m->n_notify && !e; i++)
			if (m->notify[i].type < 16384)
				e = &m->notify[i];
		if (e == NULL)
			return IKE_DROP_PAYLOADS;
		/* authenticated refusal (AUTHENTICATION_FAILED, ...) */
		ike_log(ctx, IKE_LOG_ERR, sa, "IKE_AUTH refused: notify %u",
			e->type);
		sa_down(ctx, sa, false);
		return IKE_DROP_NOTIFY;
	}
	if (!id_match(&c->remote_id, &m->idr) ||
	    !peer_auth_ok(sa, c, &m->idr, &m->auth)) {
		ike_log(ctx, IKE_LOG_ERR, sa, "IKE_AUTH: responder %s",
			id_match(&c->remote_id, &m->idr) ? "AUTH mismatch" :
			"identity mismatch");
		sa_down(ctx, sa, false);
		return IKE_DROP_AUTH;
	}
	sa->pend.task = TASK_NONE;
	sa_established(ctx, sa, now);
	ike_log(ctx, IKE_LOG_INFO, sa, "IKE SA established (initiator)");
	sa_supersede(ctx, sa, false, now);
	sa_emit_ike(ctx, sa, IKE_EV_IKE_UP, false);
	if (!ike_msg_has(m, IKE_PL_SA)) {
		for (i = 0; i < m->n_notify; i++)
			if (m->notify[i].type < 16384)
				ike_log(ctx, IKE_LOG_ERR, sa,
					"no CHILD_SA: notify %u",
					m->notify[i].type);
		return IKE_DROP_NONE;
	}
	if (!ike_msg_has(m, IKE_PL_TSI) || !ike_msg_has(m, IKE_PL_TSR) ||
	    prop_esp_check(c, &m->sa, true, 0, &esp, &esn, &peer_spi) != 0 ||
	    !ts_within(&m->tsi, c->local_ts, c->n_local_ts) ||
	    !ts_within(&m->tsr, c->remote_ts, c->n_remote_ts)) {
		/* the responder made a CHILD_SA we cannot accept: end it all */
		ike_log(ctx, IKE_LOG_ERR, sa,
			"IKE_AUTH response: CHILD_SA proposal or TS not ours");
		sa->queued |= Q_DELETE_IKE;
		return IKE_DROP_NONE;
	}
	ch = child_slot(sa);
	ch->info = (struct ike_child_info){ .spi_in = sa->pend.new_spi,
		.spi_out = peer_spi, .encr = esp.encr,
		.keylen = esp.encr == IKE_ENCR_CHACHA20_POLY1305 ? 0 :
			  esp.keylen, .esn = esn };
	ts_to_ranges(&m->tsi, ch->info.ts_local, &ch->info.n_ts_local);
	ts_to_ranges(&m->tsr, ch->info.ts_remote, &ch->info.n_ts_remote);
	ch->rekey_at = c->child_rekey_ms ?
		now + sa_jitter(c, c->child_rekey_ms) : 0;
	if (child_keys_event(ctx, sa, ch, true, NULL, 0, sa->ni, sa->ni_len,
			     sa->nr, sa->nr_len) != 0) {
		ch->used = false;
		sa->queued |= Q_DELETE_IKE;
	}
	return IKE_DROP_NONE;
}
