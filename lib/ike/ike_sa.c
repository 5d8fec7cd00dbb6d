/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 state machine core: the ctx and its SA table, input dispatch
 * (marker, parse, SA lookup, role, message ID window, retransmitted
 * requests, SK open), sending with retransmission and back-off, timers
 * (DPD, rekey with jitter, half-open expiry, re-initiation), the control
 * entry points and status. The exchanges themselves live in
 * ike_exch_init.c (IKE_SA_INIT, IKE_AUTH) and ike_exch_child.c
 * (CREATE_CHILD_SA, INFORMATIONAL).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike_sa_int.h"

#define DROP_STR(n, s) s,
static const char *const drop_str[] = { IKE_DROPS(DROP_STR) };
#undef DROP_STR

const char *ike_drop_str(enum ike_drop d)
{
	return (unsigned)d < IKE_DROP_COUNT ? drop_str[d] : "?";
}

void ike_log(struct ike_ctx *ctx, int level, const struct ike_sa *sa,
	     const char *fmt, ...)
{
	char msg[256];
	int n = 0;
	va_list ap;

	if (ctx->ops.log == NULL)
		return;
	if (sa != NULL)
		n = snprintf(msg, sizeof(msg), "[%s %02x%02x%02x%02x] ",
			     sa->peer >= 0 ? ctx->peers[sa->peer].cfg.name : "?",
			     sa->spi_i[0], sa->spi_i[1], sa->spi_i[2],
			     sa->spi_i[3]);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	ctx->ops.log(ctx->ops.arg, level, msg);
}

static enum ike_drop drop(struct ike_ctx *ctx, const struct ike_sa *sa,
			  enum ike_drop d, const char *detail)
{
	ctx->drops[d]++;
	ike_log(ctx, IKE_LOG_INFO, sa, "drop: %s%s%s", ike_drop_str(d),
		detail ? ": " : "", detail ? detail : "");
	return d;
}

/* ---- ctx ------------------------------------------------------------------ */

struct ike_ctx *ike_ctx_new(const struct ike_ctx_cfg *cc,
			    const struct ike_ops *ops)
{
	struct ike_ctx *ctx;

	if (ops == NULL || ops->send == NULL || ops->event == NULL)
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	if (cc)
		ctx->cfg = *cc;
	if (!ctx->cfg.max_sas)
		ctx->cfg.max_sas = 64;
	if (!ctx->cfg.cookie_threshold)
		ctx->cfg.cookie_threshold = 16;
	if (!ctx->cfg.retx_base_ms)
		ctx->cfg.retx_base_ms = 1000;
	if (!ctx->cfg.retx_max_ms)
		ctx->cfg.retx_max_ms = 16000;
	if (!ctx->cfg.retx_tries)
		ctx->cfg.retx_tries = 5;
	if (!ctx->cfg.half_open_ms)
		ctx->cfg.half_open_ms = 30000;
	if (!ctx->cfg.keepalive_ms)
		ctx->cfg.keepalive_ms = 20000;
	ctx->ops = *ops;
	ctx->sas = calloc(ctx->cfg.max_sas, sizeof(*ctx->sas));
	if (ctx->sas == NULL || ike_random(ctx->cookie_secret, 32) != 0) {
		free(ctx->sas);
		free(ctx);
		return NULL;
	}
	return ctx;
}

void ike_ctx_free(struct ike_ctx *ctx)
{
	unsigned i;

	if (ctx == NULL)
		return;
	for (i = 0; i < ctx->cfg.max_sas; i++)
		if (ctx->sas[i].state != SA_FREE)
			sa_free(ctx, &ctx->sas[i]);
	if (ctx->peers)
		OPENSSL_cleanse(ctx->peers, ctx->cap_peers * sizeof(*ctx->peers));
	free(ctx->peers);
	free(ctx->sas);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

static bool id_ok(const struct ike_identity *id)
{
	switch (id->type) {
	case IKE_ID_IPV4_ADDR: return id->len == 4;
	case IKE_ID_IPV6_ADDR: return id->len == 16;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR: return id->len > 0;
	default: return false;
	}
}

int ike_add_peer(struct ike_ctx *ctx, const struct ike_peer_cfg *cfg)
{
	unsigned i;

	if (cfg->n_ike == 0 || cfg->n_ike > IKE_CFG_MAX_PROPS ||
	    cfg->n_esp == 0 || cfg->n_esp > IKE_CFG_MAX_PROPS ||
	    cfg->psk_len == 0 || cfg->psk_len > IKE_CFG_PSK_MAX ||
	    cfg->n_local_ts == 0 || cfg->n_local_ts > IKE_CFG_MAX_SUBNETS ||
	    cfg->n_remote_ts == 0 || cfg->n_remote_ts > IKE_CFG_MAX_SUBNETS ||
	    !id_ok(&cfg->local_id) || !id_ok(&cfg->remote_id) ||
	    (cfg->local.family != 4 && cfg->local.family != 6) ||
	    cfg->jitter_pct > 50)
		return -1;
	for (i = 0; i < cfg->n_ike; i++)
		if (ike_prf_len(cfg->ike[i].prf) == 0 ||
		    ike_dh_pub_len(cfg->ike[i].dh) == 0 ||
		    ike_aead_key_len(cfg->ike[i].encr,
				     cfg->ike[i].encr_keylen) == 0)
			return -1;
	for (i = 0; i < cfg->n_esp; i++)
		if (ike_aead_key_len(cfg->esp[i].encr, cfg->esp[i].keylen) == 0 ||
		    (cfg->esp[i].dh && ike_dh_pub_len(cfg->esp[i].dh) == 0))
			return -1;
	if (ctx->n_peers == ctx->cap_peers) {
		unsigned cap = ctx->cap_peers ? 2 * ctx->cap_peers : 8;
		struct ike_peer *p = calloc(cap, sizeof(*p));

		if (p == NULL)
			return -1;
		if (ctx->peers) {
			memcpy(p, ctx->peers, ctx->n_peers * sizeof(*p));
			OPENSSL_cleanse(ctx->peers,
					ctx->cap_peers * sizeof(*p));
			free(ctx->peers);
		}
		ctx->peers = p;
		ctx->cap_peers = cap;
	}
	ctx->peers[ctx->n_peers].cfg = *cfg;
	ctx->peers[ctx->n_peers].cfg.name[sizeof(cfg->name) - 1] = 0;
	ctx->peers[ctx->n_peers].reinit_at = 0;
	return (int)ctx->n_peers++;
}

/* ---- SA table ---------------------------------------------------------------- */

struct ike_sa *sa_alloc(struct ike_ctx *ctx)
{
	unsigned i;

	for (i = 0; i < ctx->cfg.max_sas; i++)
		if (ctx->sas[i].state == SA_FREE) {
			struct ike_sa *sa = &ctx->sas[i];

			memset(sa, 0, sizeof(*sa));
			sa->peer = -1;
			return sa;
		}
	return NULL;
}

void sa_free(struct ike_ctx *ctx, struct ike_sa *sa)
{
	if (sa->state == SA_HALF_OPEN && ctx->n_half_open)
		ctx->n_half_open--;
	ike_dh_free(&sa->dh);
	ike_dh_free(&sa->pend.dh);
	ike_sa_keys_wipe(&sa->keys);
	OPENSSL_cleanse(sa, sizeof(*sa));
	sa->state = SA_FREE;
	sa->peer = -1;
}

struct ike_sa *sa_find(struct ike_ctx *ctx, const uint8_t spi_i[8],
		       const uint8_t spi_r[8], bool we_initiator)
{
	unsigned i;

	for (i = 0; i < ctx->cfg.max_sas; i++) {
		struct ike_sa *sa = &ctx->sas[i];

		if (sa->state != SA_FREE && sa->initiator == we_initiator &&
		    memcmp(sa->spi_i, spi_i, 8) == 0 &&
		    memcmp(sa->spi_r, spi_r, 8) == 0)
			return sa;
	}
	return NULL;
}

/* The peer's current IKE SA: established first, else one in progress. */
struct ike_sa *peer_sa(struct ike_ctx *ctx, unsigned peer)
{
	struct ike_sa *best = NULL;
	unsigned i;

	for (i = 0; i < ctx->cfg.max_sas; i++) {
		struct ike_sa *sa = &ctx->sas[i];

		if (sa->state == SA_FREE || sa->state == SA_REKEYED ||
		    sa->replaced || sa->peer != (int)peer)
			continue;
		if (sa->state == SA_ESTABLISHED)
			return sa;
		if (best == NULL)
			best = sa;
	}
	return best;
}

void sa_emit(struct ike_ctx *ctx, const struct ike_sa *sa,
	     enum ike_event_type t, const struct ike_child_info *ci)
{
	struct ike_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	ev.peer = (unsigned)sa->peer;
	ev.peer_name = ctx->peers[sa->peer].cfg.name;
	memcpy(ev.spi_i, sa->spi_i, 8);
	memcpy(ev.spi_r, sa->spi_r, 8);
	ev.local = sa->local;
	ev.remote = sa->remote;
	if (ci)
		ev.child = *ci;
	ctx->ops.event(ctx->ops.arg, &ev);
	OPENSSL_cleanse(&ev, sizeof(ev));
}

void sa_emit_ike(struct ike_ctx *ctx, const struct ike_sa *sa,
		 enum ike_event_type t, bool rekeyed)
{
	struct ike_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	ev.peer = (unsigned)sa->peer;
	ev.peer_name = ctx->peers[sa->peer].cfg.name;
	memcpy(ev.spi_i, sa->spi_i, 8);
	memcpy(ev.spi_r, sa->spi_r, 8);
	ev.rekeyed = rekeyed;
	ev.local = sa->local;
	ev.remote = sa->remote;
	ctx->ops.event(ctx->ops.arg, &ev);
}

void sa_down(struct ike_ctx *ctx, struct ike_sa *sa, bool rekeyed)
{
	unsigned i;

	if (sa->peer >= 0 && !rekeyed)
		for (i = 0; i < IKE_SA_MAX_CHILD; i++)
			if (sa->child[i].used)
				sa_emit(ctx, sa, IKE_EV_CHILD_DOWN,
					&sa->child[i].info);
	if (sa->peer >= 0 && sa->established_ms)
		sa_emit_ike(ctx, sa, IKE_EV_IKE_DOWN, rekeyed);
	ike_log(ctx, IKE_LOG_INFO, sa, "IKE SA %s", rekeyed ?
		"replaced by its rekey" : "down");
	sa_free(ctx, sa);
}

void peer_reinit(struct ike_ctx *ctx, int peer, uint64_t now)
{
	if (peer < 0 || !ctx->peers[peer].cfg.initiate ||
	    ctx->peers[peer].cfg.remote.family == 0)
		return;
	ctx->peers[peer].reinit_at = now + ctx->cfg.retx_base_ms;
}

uint64_t sa_jitter(const struct ike_peer_cfg *c, uint32_t ms)
{
	uint32_t r = 0, cut;

	if (ms == 0)
		return 0;
	if (c->jitter_pct == 0)
		return ms;
	ike_random((uint8_t *)&r, sizeof(r));
	cut = (uint32_t)((uint64_t)ms * c->jitter_pct / 100);
	return ms - (cut ? r % (cut + 1) : 0);
}

/* Timers of a freshly established (or rekeyed) IKE SA. */
void sa_established(struct ike_ctx *ctx, struct ike_sa *sa, uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;

	sa->state = SA_ESTABLISHED;
	sa->established_ms = now;
	sa->last_rx_ms = now;
	sa->ike_rekey_at = c->ike_rekey_ms ? now + sa_jitter(c, c->ike_rekey_ms)
					   : 0;
	ctx->peers[sa->peer].reinit_at = 0;
	sa->keepalive_at = now + ctx->cfg.keepalive_ms;
}

void sa_supersede(struct ike_ctx *ctx, struct ike_sa *sa, bool initial_contact,
		  uint64_t now)
{
	unsigned i;

	for (i = 0; i < ctx->cfg.max_sas; i++) {
		struct ike_sa *o = &ctx->sas[i];

		if (o == sa || o->state == SA_FREE || o->peer != sa->peer ||
		    o->replaced)
			continue;
		if (initial_contact || o->state != SA_ESTABLISHED) {
			/* 2.4: the peer forgot them; nothing to tell it */
			ike_log(ctx, IKE_LOG_INFO, o, "superseded by %02x%02x%02x%02x",
				sa->spi_i[0], sa->spi_i[1], sa->spi_i[2],
				sa->spi_i[3]);
			sa_down(ctx, o, false);
		} else {
			o->queued = Q_DELETE_IKE;
			sa_run_queue(ctx, o, now);
		}
	}
}

void ike_peer_alive(struct ike_ctx *ctx, unsigned peer, uint64_t now)
{
	struct ike_sa *sa;

	if (peer >= ctx->n_peers)
		return;
	sa = peer_sa(ctx, peer);
	if (sa && sa->state == SA_ESTABLISHED && now > sa->last_rx_ms)
		sa->last_rx_ms = now;
}

/* ---- sending ---------------------------------------------------------------- */

void send_raw_to(struct ike_ctx *ctx, const struct ike_addr *local,
		 const struct ike_addr *remote, bool natt,
		 const uint8_t *msg, size_t len)
{
	struct ike_addr src = *local, dst = *remote;

	if (natt) {
		/* RFC 3948 2.2: IKE on 4500 carries the non-ESP marker */
		memset(ctx->tx, 0, IKE_NON_ESP_MARKER_LEN);
		memcpy(ctx->tx + IKE_NON_ESP_MARKER_LEN, msg, len);
		src.port = IKE_NATT_PORT;
		if (dst.port == IKE_PORT)
			dst.port = IKE_NATT_PORT;
		ctx->ops.send(ctx->ops.arg, &src, &dst, ctx->tx,
			      len + IKE_NON_ESP_MARKER_LEN);
		return;
	}
	ctx->ops.send(ctx->ops.arg, &src, &dst, msg, len);
}

void send_raw(struct ike_ctx *ctx, const struct ike_sa *sa,
	      const uint8_t *msg, size_t len)
{
	send_raw_to(ctx, &sa->local, &sa->remote, sa->natt, msg, len);
}

int sa_seal(struct ike_ctx *ctx, struct ike_sa *sa, struct ike_msg *inner,
	    uint8_t exchange, uint8_t flags, uint32_t msg_id,
	    uint8_t *out, size_t *out_len)
{
	struct ike_sk_key k = ike_sk_key_out(&sa->keys, sa->initiator);
	struct ike_msg *m = &ctx->m_hdr;
	uint8_t iv[8], first = IKE_PL_NONE;
	size_t plen = 0;
	uint64_t c = ++sa->iv_ctr;
	unsigned i;

	if (inner->n_pl &&
	    ike_msg_build_payloads(inner, 0, inner->n_pl, ctx->pl,
				   sizeof(ctx->pl), &plen, &first) != IKE_OK)
		return -1;
	for (i = 0; i < 8; i++)
		iv[i] = (uint8_t)(c >> (56 - 8 * i));
	if (sa->initiator)
		flags |= IKE_FLAG_INITIATOR;
	ike_msg_init(m, sa->spi_i, sa->spi_r, exchange, flags, msg_id);
	if (ike_msg_add(m, IKE_PL_SK) == NULL ||
	    ike_sk_seal(&k, m, first, ctx->pl, plen, iv, out, IKE_SA_BUF,
			out_len) != IKE_OK)
		return -1;
	OPENSSL_cleanse(ctx->pl, plen);
	return 0;
}

static void pend_arm(struct ike_ctx *ctx, struct ike_sa *sa, uint64_t now)
{
	sa->pend.tries = 0;
	sa->pend.retx_ms = ctx->cfg.retx_base_ms;
	sa->pend.retx_at = now + sa->pend.retx_ms;
}

int sa_send_request(struct ike_ctx *ctx, struct ike_sa *sa,
		    enum sa_task task, struct ike_msg *inner, uint64_t now)
{
	uint8_t exch = task == TASK_AUTH ? IKE_AUTH :
		(task == TASK_REKEY_CHILD || task == TASK_REKEY_IKE) ?
		IKE_CREATE_CHILD_SA : IKE_INFORMATIONAL;

	if (sa_seal(ctx, sa, inner, exch, 0, sa->next_id_out, sa->pend.req,
		    &sa->pend.req_len) != 0) {
		ike_log(ctx, IKE_LOG_ERR, sa, "cannot build request");
		return -1;
	}
	sa->pend.task = task;
	sa->pend.exchange = exch;
	sa->pend.msg_id = sa->next_id_out++;
	pend_arm(ctx, sa, now);
	send_raw(ctx, sa, sa->pend.req, sa->pend.req_len);
	return 0;
}

int sa_send_response(struct ike_ctx *ctx, struct ike_sa *sa,
		     struct ike_msg *inner, uint32_t msg_id, uint8_t exchange)
{
	if (sa_seal(ctx, sa, inner, exchange, IKE_FLAG_RESPONSE, msg_id,
		    sa->last_resp, &sa->last_resp_len) != 0) {
		ike_log(ctx, IKE_LOG_ERR, sa, "cannot build response");
		return -1;
	}
	send_raw(ctx, sa, sa->last_resp, sa->last_resp_len);
	return 0;
}

void sa_run_queue(struct ike_ctx *ctx, struct ike_sa *sa, uint64_t now)
{
	static const unsigned order[] = { Q_DELETE_IKE, Q_DELETE_CHILD,
					  Q_REKEY_IKE, Q_REKEY_CHILD, Q_DPD };
	unsigned i;

	if (sa->pend.task != TASK_NONE || sa->state != SA_ESTABLISHED)
		return;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(sa->queued & order[i]))
			continue;
		if (exch_start_task(ctx, sa, order[i], now) == 0)
			return;
	}
}

/* ---- input ------------------------------------------------------------------ */

static bool same_addr(const struct ike_addr *a, const struct ike_addr *b)
{
	return a->family == b->family && a->port == b->port &&
		memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

static enum ike_drop on_response(struct ike_ctx *ctx, struct ike_sa *sa,
				 struct ike_msg *m, const uint8_t *buf,
				 size_t len, uint64_t now)
{
	struct ike_sk_key k;
	enum ike_reason r;
	enum ike_drop d;
	enum sa_task task = sa->pend.task;

	if (task == TASK_NONE || task == TASK_INIT)
		return drop(ctx, sa, IKE_DROP_NO_REQUEST, NULL);
	if (m->hdr.msg_id != sa->pend.msg_id)
		return drop(ctx, sa, IKE_DROP_MSG_ID, NULL);
	if (m->hdr.exchange != sa->pend.exchange)
		return drop(ctx, sa, IKE_DROP_EXCHANGE, NULL);
	k = ike_sk_key_in(&sa->keys, sa->initiator);
	r = ike_sk_open(&k, m, buf, len, ctx->plain, sizeof(ctx->plain));
	if (r != IKE_OK)
		return drop(ctx, sa, IKE_DROP_SK, ike_reason_str(r));
	switch (task) {
	case TASK_AUTH:
		d = exch_auth_response(ctx, sa, m, now);
		break;
	case TASK_REKEY_CHILD:
	case TASK_REKEY_IKE:
		d = exch_child_response(ctx, sa, m, now);
		break;
	default:
		d = exch_info_response(ctx, sa, m, now);
		break;
	}
	OPENSSL_cleanse(ctx->plain, sizeof(ctx->plain));
	if (d != IKE_DROP_NONE)
		return drop(ctx, sa, d, "response");
	return IKE_DROP_NONE;
}

static enum ike_drop on_request(struct ike_ctx *ctx, struct ike_sa *sa,
				struct ike_msg *m, const uint8_t *buf,
				size_t len, const struct ike_addr *src,
				const struct ike_addr *local, bool natt,
				uint64_t now)
{
	struct ike_sk_key k;
	struct ike_sa *moved = NULL;
	enum ike_reason r;
	enum ike_drop d;
	uint8_t ex = m->hdr.exchange;

	if (sa->have_last && m->hdr.msg_id + 1 == sa->next_id_in) {
		/* 2.1: a retransmitted request gets the same response */
		if (len == sa->last_req_len &&
		    memcmp(buf, sa->last_req, len) == 0) {
			ike_log(ctx, IKE_LOG_DEBUG, sa,
				"retransmitted request %u: cached response",
				m->hdr.msg_id);
			send_raw(ctx, sa, sa->last_resp, sa->last_resp_len);
			return IKE_DROP_NONE;
		}
		return drop(ctx, sa, IKE_DROP_MSG_ID, "old message ID");
	}
	if (m->hdr.msg_id != sa->next_id_in)
		return drop(ctx, sa, IKE_DROP_MSG_ID, NULL);
	switch (sa->state) {
	case SA_HALF_OPEN:
		if (ex != IKE_AUTH)
			return drop(ctx, sa, IKE_DROP_EXCHANGE, NULL);
		break;
	case SA_ESTABLISHED:
		if (ex != IKE_CREATE_CHILD_SA && ex != IKE_INFORMATIONAL)
			return drop(ctx, sa, IKE_DROP_EXCHANGE, NULL);
		break;
	case SA_DELETING:
	case SA_REKEYED:
		if (ex != IKE_INFORMATIONAL)
			return drop(ctx, sa, IKE_DROP_EXCHANGE, NULL);
		break;
	default:
		return drop(ctx, sa, IKE_DROP_EXCHANGE, NULL);
	}
	if (len > sizeof(sa->last_req))
		return drop(ctx, sa, IKE_DROP_TOO_BIG, NULL);
	k = ike_sk_key_in(&sa->keys, sa->initiator);
	r = ike_sk_open(&k, m, buf, len, ctx->plain, sizeof(ctx->plain));
	if (r != IKE_OK)
		return drop(ctx, sa, IKE_DROP_SK, ike_reason_str(r));
	/* authentic: follow the peer's address (NAT mapping, float to 4500) */
	if (!same_addr(src, &sa->remote) || natt != sa->natt) {
		if (ex != IKE_AUTH && sa->remote.family &&
		    !(natt && (sa->nat_local || sa->nat_remote)))
			ike_log(ctx, IKE_LOG_INFO, sa, "peer address changed");
		sa->remote = *src;
		sa->local = *local;
		sa->natt = natt;
	}
	switch (ex) {
	case IKE_AUTH:
		d = exch_auth_request(ctx, sa, m, now);
		break;
	case IKE_CREATE_CHILD_SA:
		d = exch_child_request(ctx, sa, m, now, &moved);
		break;
	default:
		d = exch_info_request(ctx, sa, m, now);
		break;
	}
	OPENSSL_cleanse(ctx->plain, sizeof(ctx->plain));
	if (d != IKE_DROP_NONE && d != IKE_DROP_AUTH)
		return drop(ctx, sa, d, "request");
	if (sa->state == SA_FREE)	/* deleted or auth failed: gone */
		return d == IKE_DROP_AUTH ? drop(ctx, NULL, d, NULL) : d;
	memcpy(sa->last_req, buf, len);
	sa->last_req_len = len;
	sa->have_last = true;
	sa->next_id_in++;
	sa->last_rx_ms = now;
	return IKE_DROP_NONE;
}

enum ike_drop ike_input(struct ike_ctx *ctx, const uint8_t *buf, size_t len,
			const struct ike_addr *src,
			const struct ike_addr *local, uint64_t now)
{
	struct ike_msg *m = &ctx->m_in;
	bool natt = local->port == IKE_NATT_PORT;
	bool resp, iflag;
	struct ike_sa *sa;
	enum ike_reason r;
	enum ike_drop d;

	if (natt && ike_strip_non_esp_marker(&buf, &len) != IKE_OK)
		return drop(ctx, NULL, IKE_DROP_NOT_IKE, NULL);
	if (len > IKE_SA_BUF)
		return drop(ctx, NULL, IKE_DROP_TOO_BIG, NULL);
	if ((src->family != 4 && src->family != 6) ||
	    src->family != local->family)
		return drop(ctx, NULL, IKE_DROP_ADDR, NULL);
	r = ike_msg_parse(m, buf, len);
	if (r != IKE_OK)
		return drop(ctx, NULL, IKE_DROP_PARSE, ike_reason_str(r));
	resp = m->hdr.flags & IKE_FLAG_RESPONSE;
	iflag = m->hdr.flags & IKE_FLAG_INITIATOR;
	if (m->hdr.exchange == IKE_SA_INIT) {
		if (!resp) {
			if (!iflag)
				return drop(ctx, NULL, IKE_DROP_ROLE, NULL);
			d = exch_init_request(ctx, m, buf, len, src, local,
					      natt, now);
			return d == IKE_DROP_NONE ? d : drop(ctx, NULL, d,
							     "IKE_SA_INIT");
		}
		if (iflag)
			return drop(ctx, NULL, IKE_DROP_ROLE, NULL);
		sa = NULL;
		for (unsigned i = 0; i < ctx->cfg.max_sas; i++)
			if (ctx->sas[i].state == SA_INIT_SENT &&
			    memcmp(ctx->sas[i].spi_i, m->hdr.spi_i, 8) == 0)
				sa = &ctx->sas[i];
		if (sa == NULL)
			return drop(ctx, NULL, IKE_DROP_NO_SA, NULL);
		if (m->hdr.msg_id != 0)
			return drop(ctx, sa, IKE_DROP_MSG_ID, NULL);
		if (!same_addr(src, &sa->remote))
			return drop(ctx, sa, IKE_DROP_ADDR, NULL);
		d = exch_init_response(ctx, sa, m, buf, len, now);
		return d == IKE_DROP_NONE ? d : drop(ctx, sa, d, "IKE_SA_INIT");
	}
	/* the I flag says who sent it; we hold the other role */
	sa = sa_find(ctx, m->hdr.spi_i, m->hdr.spi_r, !iflag);
	if (sa == NULL)
		return drop(ctx, NULL, sa_find(ctx, m->hdr.spi_i, m->hdr.spi_r,
					       iflag) ? IKE_DROP_ROLE :
			    IKE_DROP_NO_SA, NULL);
	if (!sa->have_keys)
		return drop(ctx, sa, IKE_DROP_EXCHANGE, "no keys yet");
	if (resp) {
		d = on_response(ctx, sa, m, buf, len, now);
		if (d == IKE_DROP_NONE && sa->state != SA_FREE) {
			sa->last_rx_ms = now;
			sa_run_queue(ctx, sa, now);
		}
		return d;
	}
	d = on_request(ctx, sa, m, buf, len, src, local, natt, now);
	if (d == IKE_DROP_NONE && sa->state != SA_FREE)
		sa_run_queue(ctx, sa, now);
	return d;
}

/* ---- timers --------------------------------------------------------------------- */

static uint64_t min_t(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t sa_timer(struct ike_ctx *ctx, struct ike_sa *sa, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	unsigned i;

	if (sa->pend.task != TASK_NONE) {
		if (now >= sa->pend.retx_at) {
			if (sa->pend.tries >= ctx->cfg.retx_tries) {
				int peer = sa->peer;

				ike_log(ctx, IKE_LOG_INFO, sa,
					"no response after %u retransmissions",
					sa->pend.tries);
				sa_down(ctx, sa, false);
				peer_reinit(ctx, peer, now);
				return UINT64_MAX;
			}
			sa->pend.tries++;
			sa->pend.retx_ms = (uint32_t)min_t(2ull * sa->pend.retx_ms,
							  ctx->cfg.retx_max_ms);
			sa->pend.retx_at = now + sa->pend.retx_ms;
			ike_log(ctx, IKE_LOG_DEBUG, sa, "retransmit %u",
				sa->pend.tries);
			send_raw(ctx, sa, sa->pend.req, sa->pend.req_len);
		}
		next = sa->pend.retx_at;
	}
	if (sa->state == SA_HALF_OPEN || sa->state == SA_REKEYED) {
		if (now >= sa->expire_at) {
			if (sa->state == SA_REKEYED)
				sa_down(ctx, sa, true);
			else
				sa_free(ctx, sa);
			return UINT64_MAX;
		}
		return min_t(next, sa->expire_at);
	}
	if (sa->state != SA_ESTABLISHED)
		return next;
	if (sa->natt && sa->nat_local) {
		/* RFC 3948 2.3: keep our NAT mapping open */
		if (now >= sa->keepalive_at) {
			static const uint8_t ka = 0xff;
			struct ike_addr src = sa->local, dst = sa->remote;

			src.port = IKE_NATT_PORT;
			if (dst.port == IKE_PORT)
				dst.port = IKE_NATT_PORT;
			ctx->ops.send(ctx->ops.arg, &src, &dst, &ka, 1);
			sa->keepalive_at = now + ctx->cfg.keepalive_ms;
		}
		next = min_t(next, sa->keepalive_at);
	}
	{
		const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;

		if (c->dpd_ms) {
			uint64_t due = sa->last_rx_ms + c->dpd_ms;

			if (now >= due && sa->pend.task == TASK_NONE) {
				sa->queued |= Q_DPD;
				sa->last_rx_ms = now;	/* one probe per period */
			}
			next = min_t(next, sa->last_rx_ms + c->dpd_ms);
		}
	}
	if (sa->ike_rekey_at) {
		if (now >= sa->ike_rekey_at) {
			sa->queued |= Q_REKEY_IKE;
			sa->ike_rekey_at = 0;
		} else {
			next = min_t(next, sa->ike_rekey_at);
		}
	}
	for (i = 0; i < IKE_SA_MAX_CHILD; i++) {
		struct sa_child *c = &sa->child[i];

		if (!c->used || c->deleting || !c->rekey_at)
			continue;
		if (now >= c->rekey_at) {
			c->rekey_at = 0;
			c->rekey_queued = true;
			sa->queued |= Q_REKEY_CHILD;
		} else {
			next = min_t(next, c->rekey_at);
		}
	}
	sa_run_queue(ctx, sa, now);
	if (sa->state != SA_FREE && sa->pend.task != TASK_NONE)
		next = min_t(next, sa->pend.retx_at);
	return next;
}

uint64_t ike_timer(struct ike_ctx *ctx, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	unsigned i;

	for (i = 0; i < ctx->cfg.max_sas; i++)
		if (ctx->sas[i].state != SA_FREE)
			next = min_t(next, sa_timer(ctx, &ctx->sas[i], now));
	for (i = 0; i < ctx->n_peers; i++) {
		struct ike_peer *p = &ctx->peers[i];

		if (!p->reinit_at || p->removed)
			continue;
		if (now >= p->reinit_at) {
			p->reinit_at = 0;
			if (peer_sa(ctx, i) == NULL &&
			    exch_init_start(ctx, i, now) != 0)
				p->reinit_at = now + ctx->cfg.retx_max_ms;
		}
		if (p->reinit_at)
			next = min_t(next, p->reinit_at);
	}
	for (i = 0; i < ctx->cfg.max_sas; i++)
		if (ctx->sas[i].state != SA_FREE &&
		    ctx->sas[i].pend.task != TASK_NONE)
			next = min_t(next, ctx->sas[i].pend.retx_at);
	return next;
}

/* ---- control ------------------------------------------------------------------ */

int ike_remove_peer(struct ike_ctx *ctx, unsigned peer, uint64_t now)
{
	struct ike_peer *p;
	struct ike_sa *sa;
	unsigned i;

	if (peer >= ctx->n_peers || ctx->peers[peer].removed)
		return -1;
	p = &ctx->peers[peer];
	p->reinit_at = 0;
	sa = peer_sa(ctx, peer);
	if (sa != NULL && sa->state == SA_ESTABLISHED) {
		/* one Delete, best effort: the peer's DPD covers a loss */
		sa->queued = Q_DELETE_IKE;
		if (sa->pend.task != TASK_NONE) {
			sa->pend.task = TASK_NONE;
			ike_dh_free(&sa->pend.dh);
		}
		sa_run_queue(ctx, sa, now);
	}
	for (i = 0; i < ctx->cfg.max_sas; i++)
		if (ctx->sas[i].state != SA_FREE && ctx->sas[i].peer == (int)peer)
			sa_down(ctx, &ctx->sas[i], false);
	OPENSSL_cleanse(p->cfg.psk, sizeof(p->cfg.psk));
	p->cfg.psk_len = 0;
	p->cfg.initiate = false;
	p->removed = true;
	return 0;
}

int ike_initiate(struct ike_ctx *ctx, unsigned peer, uint64_t now)
{
	if (peer >= ctx->n_peers || ctx->peers[peer].removed ||
	    ctx->peers[peer].cfg.remote.family == 0 ||
	    peer_sa(ctx, peer) != NULL)
		return -1;
	return exch_init_start(ctx, peer, now);
}

static struct ike_sa *established(struct ike_ctx *ctx, unsigned peer)
{
	struct ike_sa *sa;

	if (peer >= ctx->n_peers)
		return NULL;
	sa = peer_sa(ctx, peer);
	return sa && sa->state == SA_ESTABLISHED ? sa : NULL;
}

/* An operator's request: queue task q (Q_*) on sa, sent now if the window is free. */
static int queue_task(struct ike_ctx *ctx, struct ike_sa *sa, unsigned q, uint64_t now)
{
	sa->queued |= q;
	sa_run_queue(ctx, sa, now);
	return 0;
}

int ike_rekey_child(struct ike_ctx *ctx, unsigned peer, uint64_t now)
{
	struct ike_sa *sa = established(ctx, peer);
	unsigned i;

	if (sa == NULL)
		return -1;
	for (i = 0; i < IKE_SA_MAX_CHILD; i++)
		if (sa->child[i].used && !sa->child[i].deleting) {
			if (sa->child[i].rekey_queued)
				return -1;
			sa->child[i].rekey_queued = true;
			return queue_task(ctx, sa, Q_REKEY_CHILD, now);
		}
	return -1;
}

int ike_rekey_ike(struct ike_ctx *ctx, unsigned peer, uint64_t now)
{
	struct ike_sa *sa = established(ctx, peer);

	if (sa == NULL || (sa->queued & Q_REKEY_IKE))
		return -1;
	return queue_task(ctx, sa, Q_REKEY_IKE, now);
}

int ike_delete_child(struct ike_ctx *ctx, unsigned peer, uint32_t spi_in,
		     uint64_t now)
{
	struct ike_sa *sa = established(ctx, peer);
	unsigned i;

	if (sa == NULL)
		return -1;
	for (i = 0; i < IKE_SA_MAX_CHILD; i++) {
		struct sa_child *c = &sa->child[i];

		if (c->used && !c->deleting && !c->del_queued &&
		    c->info.spi_in == spi_in) {
			c->del_queued = true;
			c->rekey_queued = false;
			return queue_task(ctx, sa, Q_DELETE_CHILD, now);
		}
	}
	return -1;
}

int ike_dpd(struct ike_ctx *ctx, unsigned peer, uint64_t now)
{
	struct ike_sa *sa = established(ctx, peer);

	if (sa == NULL)
		return -1;
	return queue_task(ctx, sa, Q_DPD, now);
}

int ike_terminate(struct ike_ctx *ctx, unsigned peer, uint64_t now)
{
	struct ike_sa *sa;

	if (peer >= ctx->n_peers)
		return -1;
	ctx->peers[peer].reinit_at = 0;
	sa = peer_sa(ctx, peer);
	if (sa == NULL)
		return -1;
	if (sa->state != SA_ESTABLISHED) {
		/* nothing authenticated to delete: drop it silently */
		sa_down(ctx, sa, false);
		return 0;
	}
	sa->queued = Q_DELETE_IKE;
	if (sa->pend.task != TASK_NONE) {
		/* window of 1: give up the outstanding request */
		sa->pend.task = TASK_NONE;
		ike_dh_free(&sa->pend.dh);
	}
	sa_run_queue(ctx, sa, now);
	return 0;
}

int ike_peer_status(const struct ike_ctx *ctx, unsigned peer,
		    struct ike_peer_status *st)
{
	struct ike_sa *sa;
	unsigned i;

	if (peer >= ctx->n_peers)
		return -1;
	memset(st, 0, sizeof(*st));
	sa = peer_sa((struct ike_ctx *)ctx, peer);
	if (sa == NULL)
		return 0;
	switch (sa->state) {
	case SA_ESTABLISHED: st->state = IKE_ST_ESTABLISHED; break;
	case SA_DELETING: st->state = IKE_ST_DELETING; break;
	default: st->state = IKE_ST_CONNECTING; break;
	}
	memcpy(st->spi_i, sa->spi_i, 8);
	memcpy(st->spi_r, sa->spi_r, 8);
	st->initiator = sa->initiator;
	st->nat = sa->natt;
	st->suite = sa->suite;
	st->established_ms = sa->established_ms;
	for (i = 0; i < IKE_SA_MAX_CHILD; i++)
		if (sa->child[i].used) {
			st->child[st->n_child] = sa->child[i].info;
			st->child[st->n_child].key_in = NULL;
			st->child[st->n_child].key_out = NULL;
			st->n_child++;
		}
	return 0;
}

uint64_t ike_drop_count(const struct ike_ctx *ctx, enum ike_drop d)
{
	return (unsigned)d < IKE_DROP_COUNT ? ctx->drops[d] : 0;
}

unsigned ike_half_open(const struct ike_ctx *ctx)
{
	return ctx->n_half_open;
}
