/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE_CHILD_SA (RFC 7296 1.3: rekeying a CHILD_SA and the IKE SA,
 * make-before-break) and INFORMATIONAL (1.4: DPD, Delete of CHILD_SAs and
 * of the IKE SA), both as requester (the tasks queued on an SA) and as
 * responder. CHILD_SA rekeys have PFS when the proposal has a DH group
 * (1.3.1, 2.17): KE payloads both ways, KEYMAT from g^ir | Ni | Nr; a KE
 * of another group than the chosen proposal's is answered
 * INVALID_KE_PAYLOAD (the initiator retries with the group asked for), a
 * proposal with a group and no KE finds no match (NO_PROPOSAL_CHOSEN). The
 * DH private key lives only until g^ir is computed; g^ir is wiped after
 * KEYMAT. A CREATE_CHILD_SA for an additional CHILD_SA (not a rekey) is
 * answered NO_ADDITIONAL_SAS.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike_sa_int.h"

#define REKEYED_LINGER_MS	10000	/* old IKE SA waiting for its Delete */
#define MAX_KE_RETRIES		2	/* INVALID_KE_PAYLOAD rounds per rekey */

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static uint32_t new_spi(struct ike_ctx *ctx)
{
	uint8_t r[4];
	unsigned i, j;

again:
	if (ike_random(r, 4) != 0)
		return 0;
	wr32(r, rd32(r) | 0x80000000u);
	for (i = 0; i < ctx->cfg.max_sas; i++)
		for (j = 0; j < IKE_SA_MAX_CHILD; j++)
			if (ctx->sas[i].state != SA_FREE &&
			    ctx->sas[i].child[j].used &&
			    ctx->sas[i].child[j].info.spi_in == rd32(r))
				goto again;
	return rd32(r);
}

/* After TEMPORARY_FAILURE: a random delay so two peers do not collide
 * again (retx_base .. retx_base + retx_max). */
static uint64_t retry_delay(const struct ike_ctx *ctx)
{
	uint32_t r = 0;

	ike_random((uint8_t *)&r, sizeof(r));
	return ctx->cfg.retx_base_ms + r % (ctx->cfg.retx_max_ms + 1);
}

static void child_remove(struct ike_ctx *ctx, struct ike_sa *sa,
			 struct sa_child *c)
{
	sa_emit(ctx, sa, IKE_EV_CHILD_DOWN, &c->info);
	ike_log(ctx, IKE_LOG_INFO, sa, "CHILD_SA deleted: in 0x%08x out 0x%08x",
		c->info.spi_in, c->info.spi_out);
	memset(c, 0, sizeof(*c));
}

static const struct ike_notify *error_notify(const struct ike_msg *m)
{
	unsigned i;

	for (i = 0; i < m->n_notify; i++)
		if (m->notify[i].type < 16384)
			return &m->notify[i];
	return NULL;
}

/* ---- requests we start ----------------------------------------------------------- */

static int start_delete_child(struct ike_ctx *ctx, struct ike_sa *sa,
			      struct ike_msg *m, uint64_t now)
{
	struct ike_delete *d;
	unsigned i, idx = IKE_SA_MAX_CHILD, more = 0;

	for (i = 0; i < IKE_SA_MAX_CHILD; i++)
		if (sa->child[i].used && sa->child[i].del_queued) {
			if (idx == IKE_SA_MAX_CHILD)
				idx = i;
			else
				more++;
		}
	if (!more)
		sa->queued &= ~Q_DELETE_CHILD;
	if (idx == IKE_SA_MAX_CHILD)
		return -1;
	sa->child[idx].del_queued = false;
	sa->child[idx].deleting = true;
	wr32(sa->pend.nonce, sa->child[idx].info.spi_in);
	d = ike_msg_add(m, IKE_PL_DELETE);
	d->proto = IKE_PROTO_ESP;
	d->spi_size = 4;
	d->n_spi = 1;
	/* 3.11: the SPI we expect in inbound packets */
	d->spis = (struct ike_view){ sa->pend.nonce, 4 };
	sa->pend.child_idx = idx;
	return sa_send_request(ctx, sa, TASK_DELETE_CHILD, m, now);
}

static int start_rekey_child(struct ike_ctx *ctx, struct ike_sa *sa,
			     struct ike_msg *m, uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	uint8_t pub[IKE_DH_PUB_MAX];
	struct sa_child *old;
	struct ike_notify *n;
	struct ike_view *nonce;
	struct ike_ke *ke;
	unsigned i, idx = IKE_SA_MAX_CHILD, more = 0;
	uint16_t group;
	size_t publen = 0;

	for (i = 0; i < IKE_SA_MAX_CHILD; i++)
		if (sa->child[i].used && sa->child[i].rekey_queued) {
			if (sa->child[i].deleting)
				sa->child[i].rekey_queued = false;
			else if (idx == IKE_SA_MAX_CHILD)
				idx = i;
			else
				more++;
		}
	if (!more)
		sa->queued &= ~Q_REKEY_CHILD;
	if (idx == IKE_SA_MAX_CHILD)
		return -1;
	old = &sa->child[idx];
	old->rekey_queued = false;
	sa->pend.child_idx = idx;
	sa->pend.new_spi = new_spi(ctx);
	if (sa->pend.new_spi == 0 || ike_random(sa->pend.nonce, 32) != 0)
		return -1;
	/* PFS: the group the peer asked for, else the SA's own / our first */
	group = old->ke_group ? old->ke_group :
		prop_esp_rekey_group(c, old->info.dh);
	ike_dh_free(&sa->pend.dh);
	if (group) {
		if (ike_dh_new(&sa->pend.dh, group) != 0)
			return -1;
		publen = ike_dh_public(&sa->pend.dh, pub, sizeof(pub));
		if (publen == 0) {
			ike_dh_free(&sa->pend.dh);
			return -1;
		}
	}
	n = ike_msg_add(m, IKE_PL_NOTIFY);
	n->type = IKE_N_REKEY_SA;
	n->proto = IKE_PROTO_ESP;
	n->spi_size = 4;
	wr32(n->spi, old->info.spi_in);
	prop_esp_offer(c, ike_msg_add(m, IKE_PL_SA), sa->pend.new_spi, false,
		       old->ke_group);
	nonce = ike_msg_add(m, IKE_PL_NONCE);
	*nonce = (struct ike_view){ sa->pend.nonce, 32 };
	if (group) {
		/* 1.3.1: the KE follows the nonce */
		ke = ike_msg_add(m, IKE_PL_KE);
		ke->group = group;
		ke->data = (struct ike_view){ pub, (uint16_t)publen };
	}
	ts_fill_inner(c, m, true);
	ike_log(ctx, IKE_LOG_INFO, sa, "rekeying CHILD_SA 0x%08x (PFS group %u)",
		old->info.spi_in, group);
	if (sa_send_request(ctx, sa, TASK_REKEY_CHILD, m, now) != 0) {
		ike_dh_free(&sa->pend.dh);
		return -1;
	}
	return 0;
}

static int start_rekey_ike(struct ike_ctx *ctx, struct ike_sa *sa,
			   struct ike_msg *m, uint64_t now)
{
	uint8_t pub[IKE_DH_PUB_MAX];
	struct ike_view *nonce;
	struct ike_ke *ke;
	size_t publen;

	sa->queued &= ~Q_REKEY_IKE;
	ike_dh_free(&sa->pend.dh);
	if (ike_random(sa->pend.new_ike_spi, 8) != 0 ||
	    ike_random(sa->pend.nonce, 32) != 0 ||
	    ike_dh_new(&sa->pend.dh, sa->suite.dh) != 0)
		return -1;
	publen = ike_dh_public(&sa->pend.dh, pub, sizeof(pub));
	if (publen == 0)
		return -1;
	/* the suite in use: its group is the one our KE carries */
	prop_ike_chosen(&sa->suite, ike_msg_add(m, IKE_PL_SA), 1,
			sa->pend.new_ike_spi, 8);
	nonce = ike_msg_add(m, IKE_PL_NONCE);
	*nonce = (struct ike_view){ sa->pend.nonce, 32 };
	ke = ike_msg_add(m, IKE_PL_KE);
	ke->group = sa->suite.dh;
	ke->data = (struct ike_view){ pub, (uint16_t)publen };
	ike_log(ctx, IKE_LOG_INFO, sa, "rekeying IKE SA");
	return sa_send_request(ctx, sa, TASK_REKEY_IKE, m, now);
}

int exch_start_task(struct ike_ctx *ctx, struct ike_sa *sa, unsigned bit,
		    uint64_t now)
{
	struct ike_msg *m = &ctx->m_out;
	struct ike_delete *d;

	ike_msg_init(m, sa->spi_i, sa->spi_r, IKE_INFORMATIONAL, 0, 0);
	switch (bit) {
	case Q_DELETE_IKE:
		sa->queued = 0;
		d = ike_msg_add(m, IKE_PL_DELETE);
		d->proto = IKE_PROTO_IKE;
		if (sa_send_request(ctx, sa, TASK_DELETE_IKE, m, now) != 0)
			return -1;
		sa->state = SA_DELETING;
		return 0;
	case Q_DELETE_CHILD:
		return start_delete_child(ctx, sa, m, now);
	case Q_REKEY_IKE:
		return start_rekey_ike(ctx, sa, m, now);
	case Q_REKEY_CHILD:
		return start_rekey_child(ctx, sa, m, now);
	default:
		sa->queued &= ~Q_DPD;
		return sa_send_request(ctx, sa, TASK_DPD, m, now);
	}
}

/* ---- CREATE_CHILD_SA responder ------------------------------------------------------- */

static enum ike_drop respond_error(struct ike_ctx *ctx, struct ike_sa *sa,
				   const struct ike_msg *m, uint16_t type,
				   const uint8_t *data, uint16_t dlen)
{
	struct ike_msg *r = &ctx->m_out;
	struct ike_notify *n;

	ike_msg_init(r, sa->spi_i, sa->spi_r, m->hdr.exchange, 0, 0);
	n = ike_msg_add(r, IKE_PL_NOTIFY);
	n->type = type;
	n->data = (struct ike_view){ data, dlen };
	ike_log(ctx, IKE_LOG_INFO, sa, "CREATE_CHILD_SA refused: notify %u",
		type);
	return sa_send_response(ctx, sa, r, m->hdr.msg_id, m->hdr.exchange) ?
		IKE_DROP_INTERNAL : IKE_DROP_NONE;
}

static enum ike_drop rekey_child_request(struct ike_ctx *ctx,
					 struct ike_sa *sa,
					 const struct ike_msg *m,
					 const struct ike_notify *rk,
					 uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	struct ike_msg *r = &ctx->m_out;
	struct ike_esp_prop esp;
	struct ike_ts tsi, tsr;
	struct sa_child *old = NULL, *nc;
	uint8_t nr[32], num, g_ir[IKE_DH_SECRET_MAX], pub[IKE_DH_PUB_MAX];
	uint32_t peer_spi, spi;
	struct ike_view *nonce;
	struct ike_ke *ke;
	size_t g_len = 0, publen = 0;
	bool esn;
	unsigned i;
	int rc;

	if (rk->proto != IKE_PROTO_ESP || rk->spi_size != 4)
		return IKE_DROP_PAYLOADS;
	for (i = 0; i < IKE_SA_MAX_CHILD; i++)
		if (sa->child[i].used && !sa->child[i].deleting &&
		    sa->child[i].info.spi_out == rd32(rk->spi))
			old = &sa->child[i];
	if (old == NULL)
		return respond_error(ctx, sa, m, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
	if (sa->pend.task == TASK_REKEY_CHILD && &sa->child[sa->pend.child_idx] == old)
		/*
		 * 2.25: both ends rekey the same CHILD_SA. Instead of two
		 * new SAs and the nonce contest of 2.8.1, refuse: ours goes
		 * on, a peer that does the same retries after a random delay.
		 */
		return respond_error(ctx, sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	if (!ike_msg_has(m, IKE_PL_SA) || !ike_msg_has(m, IKE_PL_NONCE) ||
	    !ike_msg_has(m, IKE_PL_TSI) || !ike_msg_has(m, IKE_PL_TSR))
		return IKE_DROP_PAYLOADS;
	rc = prop_esp_choose(c, &m->sa, false,
			     ike_msg_has(m, IKE_PL_KE) ? m->ke.group : 0, &esp,
			     &esn, &peer_spi, &num);
	if (rc < 0)
		return respond_error(ctx, sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	if (rc > 0) {
		/* 1.3: the proposal we want needs a KE of another group */
		uint8_t g[2] = { (uint8_t)(esp.dh >> 8), (uint8_t)esp.dh };

		return respond_error(ctx, sa, m, IKE_N_INVALID_KE_PAYLOAD, g, 2);
	}
	if (ts_narrow(&m->tsi, c->remote_ts, c->n_remote_ts, &tsi) != 0 ||
	    ts_narrow(&m->tsr, c->local_ts, c->n_local_ts, &tsr) != 0)
		return respond_error(ctx, sa, m, IKE_N_TS_UNACCEPTABLE, NULL, 0);
	nc = child_slot(sa);
	spi = new_spi(ctx);
	if (nc == NULL)
		return respond_error(ctx, sa, m, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
	if (spi == 0 || ike_random(nr, sizeof(nr)) != 0)
		return IKE_DROP_INTERNAL;
	if (esp.dh) {
		struct ike_dh dh = { 0 };

		/* a key pair for this response only */
		if (ike_dh_new(&dh, esp.dh) != 0)
			return IKE_DROP_INTERNAL;
		g_len = ike_dh_derive(&dh, m->ke.data.p, m->ke.data.len, g_ir,
				      sizeof(g_ir));
		publen = ike_dh_public(&dh, pub, sizeof(pub));
		ike_dh_free(&dh);
		if (g_len == 0 || publen == 0) {
			/* a bad public value (strongSwan answers the same) */
			OPENSSL_cleanse(g_ir, sizeof(g_ir));
			ike_log(ctx, IKE_LOG_INFO, sa,
				"CHILD_SA rekey: KE of group %u unusable", esp.dh);
			return respond_error(ctx, sa, m,
					     IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		}
	}
	ike_msg_init(r, sa->spi_i, sa->spi_r, IKE_CREATE_CHILD_SA, 0, 0);
	prop_esp_chosen(&esp, esn, ike_msg_add(r, IKE_PL_SA), num, spi);
	nonce = ike_msg_add(r, IKE_PL_NONCE);
	*nonce = (struct ike_view){ nr, 32 };
	if (esp.dh) {
		ke = ike_msg_add(r, IKE_PL_KE);
		ke->group = esp.dh;
		ke->data = (struct ike_view){ pub, (uint16_t)publen };
	}
	*(struct ike_ts *)ike_msg_add(r, IKE_PL_TSI) = tsi;
	*(struct ike_ts *)ike_msg_add(r, IKE_PL_TSR) = tsr;
	if (sa_send_response(ctx, sa, r, m->hdr.msg_id, IKE_CREATE_CHILD_SA)) {
		OPENSSL_cleanse(g_ir, sizeof(g_ir));
		return IKE_DROP_INTERNAL;
	}
	nc->info = (struct ike_child_info){ .spi_in = spi, .spi_out = peer_spi,
		.encr = esp.encr, .keylen = esp.encr == IKE_ENCR_AES_GCM_16 ?
			esp.keylen : 0, .esn = esn, .dh = esp.dh,
		.old_spi_in = old->info.spi_in, .old_spi_out = old->info.spi_out };
	ts_to_ranges(&tsr, nc->info.ts_local, &nc->info.n_ts_local);
	ts_to_ranges(&tsi, nc->info.ts_remote, &nc->info.n_ts_remote);
	nc->rekey_at = c->child_rekey_ms ?
		now + sa_jitter(c, c->child_rekey_ms) : 0;
	/* the old one stays (inbound) until the initiator deletes it */
	old->deleting = true;
	old->rekey_queued = false;
	rc = child_keys_event(ctx, sa, nc, false, g_len ? g_ir : NULL, g_len,
			      m->nonce.p, m->nonce.len, nr, 32);
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	if (rc != 0) {
		nc->used = false;
		return IKE_DROP_INTERNAL;
	}
	nc->info.old_spi_in = nc->info.old_spi_out = 0;
	return IKE_DROP_NONE;
}

/* The IKE SA's successor takes the CHILD_SAs and the peer. */
static struct ike_sa *successor(struct ike_ctx *ctx, struct ike_sa *old,
				bool initiator, const uint8_t spi_i[8],
				const uint8_t spi_r[8],
				const struct ike_suite *suite,
				const struct ike_sa_keys *keys, uint64_t now)
{
	struct ike_sa *sa = sa_alloc(ctx);

	if (sa == NULL)
		return NULL;
	sa->peer = old->peer;
	sa->initiator = initiator;
	memcpy(sa->spi_i, spi_i, 8);
	memcpy(sa->spi_r, spi_r, 8);
	sa->local = old->local;
	sa->remote = old->remote;
	sa->natt = old->natt;
	sa->nat_local = old->nat_local;
	sa->nat_remote = old->nat_remote;
	sa->suite = *suite;
	sa->keys = *keys;
	sa->have_keys = true;
	memcpy(sa->child, old->child, sizeof(sa->child));
	memset(old->child, 0, sizeof(old->child));
	sa->created_ms = now;
	sa_established(ctx, sa, now);
	old->replaced = true;
	sa_emit_ike(ctx, sa, IKE_EV_IKE_UP, true);
	ike_log(ctx, IKE_LOG_INFO, sa, "IKE SA rekeyed (%s)",
		initiator ? "we started it" : "peer started it");
	return sa;
}

static enum ike_drop rekey_ike_request(struct ike_ctx *ctx, struct ike_sa *sa,
				       const struct ike_msg *m, uint64_t now,
				       struct ike_sa **moved)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	struct ike_msg *r = &ctx->m_out;
	struct ike_suite suite;
	struct ike_sa_keys keys;
	struct ike_dh dh = { 0 };
	uint8_t num, nr[32], spi_r[8], g_ir[IKE_DH_SECRET_MAX],
		pub[IKE_DH_PUB_MAX];
	size_t n, publen;
	struct ike_view *nonce;
	struct ike_ke *ke;
	struct ike_sa *ns;

	if (!ike_msg_has(m, IKE_PL_NONCE) || !ike_msg_has(m, IKE_PL_KE) ||
	    m->sa.n_props == 0 || m->sa.prop[0].spi_size != 8)
		return IKE_DROP_PAYLOADS;
	if (sa->pend.task == TASK_REKEY_IKE || sa->replaced)
		return respond_error(ctx, sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	if (prop_ike_choose(c, &m->sa, &suite, &num) != 0)
		return respond_error(ctx, sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	if (m->ke.group != suite.dh) {
		uint8_t g[2] = { (uint8_t)(suite.dh >> 8), (uint8_t)suite.dh };

		return respond_error(ctx, sa, m, IKE_N_INVALID_KE_PAYLOAD, g, 2);
	}
	if (ike_random(nr, 32) || ike_random(spi_r, 8) ||
	    ike_dh_new(&dh, suite.dh))
		return IKE_DROP_INTERNAL;
	n = ike_dh_derive(&dh, m->ke.data.p, m->ke.data.len, g_ir, sizeof(g_ir));
	publen = ike_dh_public(&dh, pub, sizeof(pub));
	ike_dh_free(&dh);
	for (unsigned i = 0; i < m->sa.n_props; i++)
		if (m->sa.prop[i].num == num && m->sa.prop[i].spi_size == 8) {
			if (n == 0 || publen == 0 ||
			    ike_derive_ike_keys_rekey(&sa->keys, &suite,
						      m->nonce.p, m->nonce.len,
						      nr, 32, g_ir, n,
						      m->sa.prop[i].spi, spi_r,
						      &keys) != 0)
				break;
			OPENSSL_cleanse(g_ir, sizeof(g_ir));
			ike_msg_init(r, sa->spi_i, sa->spi_r,
				     IKE_CREATE_CHILD_SA, 0, 0);
			prop_ike_chosen(&suite, ike_msg_add(r, IKE_PL_SA), num,
					spi_r, 8);
			nonce = ike_msg_add(r, IKE_PL_NONCE);
			*nonce = (struct ike_view){ nr, 32 };
			ke = ike_msg_add(r, IKE_PL_KE);
			ke->group = suite.dh;
			ke->data = (struct ike_view){ pub, (uint16_t)publen };
			if (sa_send_response(ctx, sa, r, m->hdr.msg_id,
					     IKE_CREATE_CHILD_SA) != 0) {
				ike_sa_keys_wipe(&keys);
				return IKE_DROP_INTERNAL;
			}
			/* the rekey's initiator is the new SA's initiator */
			ns = successor(ctx, sa, false, m->sa.prop[i].spi, spi_r,
				       &suite, &keys, now);
			ike_sa_keys_wipe(&keys);
			if (ns == NULL)
				return IKE_DROP_FULL;
			sa->state = SA_REKEYED;
			sa->expire_at = now + REKEYED_LINGER_MS;
			*moved = ns;
			return IKE_DROP_NONE;
		}
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	return IKE_DROP_KE;
}

enum ike_drop exch_child_request(struct ike_ctx *ctx, struct ike_sa *sa,
				 const struct ike_msg *m, uint64_t now,
				 struct ike_sa **moved)
{
	const struct ike_notify *rk = ike_msg_notify(m, IKE_N_REKEY_SA);

	if (rk)
		return rekey_child_request(ctx, sa, m, rk, now);
	if (ike_msg_has(m, IKE_PL_SA) && m->sa.n_props &&
	    m->sa.prop[0].proto == IKE_PROTO_IKE)
		return rekey_ike_request(ctx, sa, m, now, moved);
	if (!ike_msg_has(m, IKE_PL_SA) || !ike_msg_has(m, IKE_PL_NONCE))
		return IKE_DROP_PAYLOADS;
	return respond_error(ctx, sa, m, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
}

/* ---- CREATE_CHILD_SA requester -------------------------------------------------------- */

/* True if one of our ESP proposals has group g. */
static bool esp_group_offered(const struct ike_peer_cfg *c, uint16_t g)
{
	unsigned i;

	for (i = 0; i < c->n_esp; i++)
		if (g && c->esp[i].dh == g)
			return true;
	return false;
}

/*
 * INVALID_KE_PAYLOAD (1.3): the responder wants a KE of another group.
 * The rekey is queued again at once with that group and only the
 * proposals that have it; a group we never offered, the one we just sent
 * (sent) or too many rounds end it like any refusal (retry after a delay).
 */
static enum ike_drop rekey_child_invalid_ke(struct ike_ctx *ctx,
					    struct ike_sa *sa,
					    struct sa_child *old,
					    const struct ike_notify *e,
					    uint16_t sent, uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	uint16_t g = e->data.len == 2 ?
		(uint16_t)(e->data.p[0] << 8 | e->data.p[1]) : 0;

	if (!old->used || old->deleting)
		return IKE_DROP_NONE;
	if (!esp_group_offered(c, g) || g == sent ||
	    old->ke_retries >= MAX_KE_RETRIES) {
		ike_log(ctx, IKE_LOG_INFO, sa,
			"CHILD_SA rekey: INVALID_KE_PAYLOAD (group %u) refused",
			g);
		old->ke_group = 0;
		old->ke_retries = 0;
		old->rekey_at = now + retry_delay(ctx);
		return IKE_DROP_NONE;
	}
	ike_log(ctx, IKE_LOG_INFO, sa,
		"CHILD_SA rekey: INVALID_KE_PAYLOAD, retrying with group %u", g);
	old->ke_group = g;
	old->ke_retries++;
	old->rekey_queued = true;
	sa->queued |= Q_REKEY_CHILD;
	return IKE_DROP_NONE;
}

static enum ike_drop rekey_child_response(struct ike_ctx *ctx,
					  struct ike_sa *sa,
					  const struct ike_msg *m, uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	struct sa_child *old = &sa->child[sa->pend.child_idx], *nc;
	const struct ike_notify *e = error_notify(m);
	uint8_t g_ir[IKE_DH_SECRET_MAX];
	struct ike_esp_prop esp;
	uint32_t peer_spi;
	size_t g_len = 0;
	bool esn;
	int rc;

	if (e) {
		uint16_t sent = sa->pend.dh.group;

		sa->pend.task = TASK_NONE;
		ike_dh_free(&sa->pend.dh);
		if (e->type == IKE_N_INVALID_KE_PAYLOAD)
			return rekey_child_invalid_ke(ctx, sa, old, e, sent,
						      now);
		ike_log(ctx, IKE_LOG_INFO, sa, "CHILD_SA rekey refused: %u",
			e->type);
		if (old->used && !old->deleting)
			old->rekey_at = now + retry_delay(ctx);
		return IKE_DROP_NONE;
	}
	if (!ike_msg_has(m, IKE_PL_SA) || !ike_msg_has(m, IKE_PL_NONCE) ||
	    !ike_msg_has(m, IKE_PL_TSI) || !ike_msg_has(m, IKE_PL_TSR))
		return IKE_DROP_PAYLOADS;
	if (prop_esp_check(c, &m->sa, false, sa->pend.dh.group, &esp, &esn,
			   &peer_spi) != 0 ||
	    /* a KE exactly when the chosen proposal has a group */
	    ike_msg_has(m, IKE_PL_KE) != (esp.dh != 0) ||
	    (esp.dh && m->ke.group != esp.dh))
		return IKE_DROP_NO_PROPOSAL;
	if (!ts_within(&m->tsi, c->local_ts, c->n_local_ts) ||
	    !ts_within(&m->tsr, c->remote_ts, c->n_remote_ts))
		return IKE_DROP_TS;
	if (esp.dh) {
		g_len = ike_dh_derive(&sa->pend.dh, m->ke.data.p,
				      m->ke.data.len, g_ir, sizeof(g_ir));
		if (g_len == 0)
			return IKE_DROP_KE;
	}
	nc = child_slot(sa);
	if (nc == NULL) {
		OPENSSL_cleanse(g_ir, sizeof(g_ir));
		return IKE_DROP_FULL;
	}
	sa->pend.task = TASK_NONE;
	ike_dh_free(&sa->pend.dh);
	nc->info = (struct ike_child_info){ .spi_in = sa->pend.new_spi,
		.spi_out = peer_spi, .encr = esp.encr,
		.keylen = esp.encr == IKE_ENCR_AES_GCM_16 ? esp.keylen : 0,
		.esn = esn, .dh = esp.dh };
	if (old->used) {
		nc->info.old_spi_in = old->info.spi_in;
		nc->info.old_spi_out = old->info.spi_out;
	}
	ts_to_ranges(&m->tsi, nc->info.ts_local, &nc->info.n_ts_local);
	ts_to_ranges(&m->tsr, nc->info.ts_remote, &nc->info.n_ts_remote);
	nc->rekey_at = c->child_rekey_ms ?
		now + sa_jitter(c, c->child_rekey_ms) : 0;
	rc = child_keys_event(ctx, sa, nc, true, g_len ? g_ir : NULL, g_len,
			      sa->pend.nonce, 32, m->nonce.p, m->nonce.len);
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	if (rc != 0) {
		nc->used = false;
		return IKE_DROP_INTERNAL;
	}
	nc->info.old_spi_in = nc->info.old_spi_out = 0;
	/* make-before-break: the old SA goes only after the new one is in */
	if (old->used && !old->deleting) {
		old->del_queued = true;
		old->rekey_queued = false;
		sa->queued |= Q_DELETE_CHILD;
	}
	return IKE_DROP_NONE;
}

static enum ike_drop rekey_ike_response(struct ike_ctx *ctx, struct ike_sa *sa,
					const struct ike_msg *m, uint64_t now)
{
	const struct ike_peer_cfg *c = &ctx->peers[sa->peer].cfg;
	const struct ike_notify *e = error_notify(m);
	struct ike_suite suite;
	struct ike_sa_keys keys;
	uint8_t g_ir[IKE_DH_SECRET_MAX];
	size_t n;
	struct ike_sa *ns;

	if (e) {
		ike_log(ctx, IKE_LOG_INFO, sa, "IKE SA rekey refused: %u",
			e->type);
		sa->pend.task = TASK_NONE;
		ike_dh_free(&sa->pend.dh);
		sa->ike_rekey_at = now + retry_delay(ctx);
		return IKE_DROP_NONE;
	}
	if (!ike_msg_has(m, IKE_PL_SA) || !ike_msg_has(m, IKE_PL_NONCE) ||
	    !ike_msg_has(m, IKE_PL_KE) || m->sa.n_props != 1 ||
	    m->sa.prop[0].spi_size != 8)
		return IKE_DROP_PAYLOADS;
	if (prop_ike_check(c, &m->sa, &suite) != 0 ||
	    suite.dh != sa->pend.dh.group || m->ke.group != suite.dh)
		return IKE_DROP_NO_PROPOSAL;
	n = ike_dh_derive(&sa->pend.dh, m->ke.data.p, m->ke.data.len, g_ir,
			  sizeof(g_ir));
	if (n == 0 || ike_derive_ike_keys_rekey(&sa->keys, &suite,
						sa->pend.nonce, 32, m->nonce.p,
						m->nonce.len, g_ir, n,
						sa->pend.new_ike_spi,
						m->sa.prop[0].spi, &keys) != 0) {
		OPENSSL_cleanse(g_ir, sizeof(g_ir));
		return IKE_DROP_KE;
	}
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	ns = successor(ctx, sa, true, sa->pend.new_ike_spi, m->sa.prop[0].spi,
		       &suite, &keys, now);
	ike_sa_keys_wipe(&keys);
	sa->pend.task = TASK_NONE;
	ike_dh_free(&sa->pend.dh);
	if (ns == NULL)
		return IKE_DROP_FULL;
	/* the old SA only has its own Delete left to send */
	sa->queued = Q_DELETE_IKE;
	return IKE_DROP_NONE;
}

enum ike_drop exch_child_response(struct ike_ctx *ctx, struct ike_sa *sa,
				  const struct ike_msg *m, uint64_t now)
{
	if (sa->pend.task == TASK_REKEY_IKE)
		return rekey_ike_response(ctx, sa, m, now);
	return rekey_child_response(ctx, sa, m, now);
}

/* ---- INFORMATIONAL ------------------------------------------------------------------ */

enum ike_drop exch_info_request(struct ike_ctx *ctx, struct ike_sa *sa,
				const struct ike_msg *m, uint64_t now)
{
	struct ike_msg *r = &ctx->m_out;
	uint8_t spis[IKE_SA_MAX_CHILD * 4];
	struct sa_child *gone[IKE_SA_MAX_CHILD];
	unsigned i, j, k, n_gone = 0;
	bool del_ike = false;

	for (i = 0; i < m->n_delete; i++) {
		const struct ike_delete *d = &m->del[i];

		if (d->proto == IKE_PROTO_IKE) {
			if (d->spi_size != 0 || d->n_spi != 0)
				return IKE_DROP_PAYLOADS;
			del_ike = true;
			continue;
		}
		if (d->proto != IKE_PROTO_ESP || d->spi_size != 4)
			return IKE_DROP_PAYLOADS;
		for (j = 0; j < d->n_spi; j++) {
			uint32_t spi = ike_delete_spi(d, j);

			for (k = 0; k < IKE_SA_MAX_CHILD; k++) {
				struct sa_child *c = &sa->child[k];
				bool dup = false;

				for (unsigned g = 0; g < n_gone; g++)
					dup |= gone[g] == c;
				if (c->used && c->info.spi_out == spi && !dup &&
				    n_gone < IKE_SA_MAX_CHILD)
					gone[n_gone++] = c;
			}
		}
	}
	ike_msg_init(r, sa->spi_i, sa->spi_r, IKE_INFORMATIONAL, 0, 0);
	if (!del_ike && n_gone) {
		struct ike_delete *d = ike_msg_add(r, IKE_PL_DELETE);

		/* 1.4.1: answer with the SPIs of our inbound halves */
		for (i = 0; i < n_gone; i++)
			wr32(spis + 4 * i, gone[i]->info.spi_in);
		d->proto = IKE_PROTO_ESP;
		d->spi_size = 4;
		d->n_spi = (uint16_t)n_gone;
		d->spis = (struct ike_view){ spis, (uint16_t)(4 * n_gone) };
	}
	if (sa_send_response(ctx, sa, r, m->hdr.msg_id, IKE_INFORMATIONAL))
		return IKE_DROP_INTERNAL;
	if (del_ike) {
		int peer = sa->peer;
		bool replaced = sa->replaced;

		ike_log(ctx, IKE_LOG_INFO, sa, "peer deleted the IKE SA");
		sa_down(ctx, sa, replaced);
		if (!replaced)
			peer_reinit(ctx, peer, now);
		return IKE_DROP_NONE;
	}
	for (i = 0; i < n_gone; i++)
		child_remove(ctx, sa, gone[i]);
	return IKE_DROP_NONE;
}

enum ike_drop exch_info_response(struct ike_ctx *ctx, struct ike_sa *sa,
				 const struct ike_msg *m, uint64_t now)
{
	enum sa_task t = sa->pend.task;

	(void)m;
	(void)now;
	sa->pend.task = TASK_NONE;
	if (t == TASK_DELETE_IKE) {
		sa_down(ctx, sa, sa->replaced);
		return IKE_DROP_NONE;
	}
	if (t == TASK_DELETE_CHILD) {
		struct sa_child *c = &sa->child[sa->pend.child_idx];

		if (c->used && c->deleting)
			child_remove(ctx, sa, c);
	}
	return IKE_DROP_NONE;
}
