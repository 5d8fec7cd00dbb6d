/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SA payload proposals (RFC 7296 3.3): what we offer as initiator, what we
 * pick as responder (our preference order first, 2.7), and the check an
 * initiator makes of the single proposal the responder returned.
 * Only AEAD suites exist here, so an INTEG transform other than NONE
 * disqualifies a proposal.
 */
#include <string.h>

#include "ike_sa_int.h"

static struct ike_transform *xf_add(struct ike_proposal *p, uint8_t type,
				    uint16_t id, uint16_t keylen)
{
	struct ike_transform *t;

	if (p->n_transforms == IKE_MAX_TRANSFORMS)
		return NULL;
	t = &p->xf[p->n_transforms++];
	*t = (struct ike_transform){ .type = type, .id = id, .keylen = keylen };
	return t;
}

/* True if the proposal carries transform (type, id, keylen). */
static bool has_xf(const struct ike_proposal *p, uint8_t type, uint16_t id,
		   uint16_t keylen)
{
	unsigned i;

	for (i = 0; i < p->n_transforms; i++)
		if (p->xf[i].type == type && p->xf[i].id == id &&
		    p->xf[i].keylen == keylen)
			return true;
	return false;
}

static unsigned count_xf(const struct ike_proposal *p, uint8_t type)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n_transforms; i++)
		n += p->xf[i].type == type;
	return n;
}

/* An INTEG transform other than NONE (0) rules out an AEAD proposal. */
static bool has_integ(const struct ike_proposal *p)
{
	unsigned i;

	for (i = 0; i < p->n_transforms; i++)
		if (p->xf[i].type == IKE_XF_INTEG && p->xf[i].id != 0)
			return true;
	return false;
}

/* ChaCha20-Poly1305 carries no Key Length attribute (RFC 7634 2). */
static uint16_t wire_keylen(uint16_t encr, uint16_t keylen)
{
	return encr == IKE_ENCR_CHACHA20_POLY1305 ? 0 : keylen;
}

void prop_ike_offer(const struct ike_peer_cfg *c, struct ike_sa_pl *sa,
		    const uint8_t *spi, uint8_t spi_size, uint16_t first_dh)
{
	unsigned i;

	memset(sa, 0, sizeof(*sa));
	for (i = 0; i < c->n_ike && sa->n_props < IKE_MAX_PROPOSALS; i++) {
		struct ike_proposal *p = &sa->prop[sa->n_props];
		const struct ike_suite *s = &c->ike[i];

		/* after INVALID_KE_PAYLOAD only proposals with that group */
		if (first_dh && s->dh != first_dh)
			continue;
		p->num = ++sa->n_props;
		p->proto = IKE_PROTO_IKE;
		p->spi_size = spi_size;
		if (spi_size)
			memcpy(p->spi, spi, spi_size);
		xf_add(p, IKE_XF_ENCR, s->encr, wire_keylen(s->encr, s->encr_keylen));
		xf_add(p, IKE_XF_PRF, s->prf, 0);
		xf_add(p, IKE_XF_DH, s->dh, 0);
	}
}

int prop_ike_choose(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		    struct ike_suite *out, uint8_t *prop_num)
{
	unsigned i, j;

	for (i = 0; i < c->n_ike; i++) {
		const struct ike_suite *s = &c->ike[i];

		for (j = 0; j < sa->n_props; j++) {
			const struct ike_proposal *p = &sa->prop[j];

			if (p->proto != IKE_PROTO_IKE || has_integ(p))
				continue;
			if (has_xf(p, IKE_XF_ENCR, s->encr,
				   wire_keylen(s->encr, s->encr_keylen)) &&
			    has_xf(p, IKE_XF_PRF, s->prf, 0) &&
			    has_xf(p, IKE_XF_DH, s->dh, 0)) {
				*out = *s;
				*prop_num = p->num;
				return 0;
			}
		}
	}
	return -1;
}

int prop_ike_check(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		   struct ike_suite *out)
{
	const struct ike_proposal *p = &sa->prop[0];
	unsigned i;

	if (sa->n_props != 1 || p->proto != IKE_PROTO_IKE || has_integ(p) ||
	    count_xf(p, IKE_XF_ENCR) != 1 || count_xf(p, IKE_XF_PRF) != 1 ||
	    count_xf(p, IKE_XF_DH) != 1)
		return -1;
	for (i = 0; i < c->n_ike; i++) {
		const struct ike_suite *s = &c->ike[i];

		if (has_xf(p, IKE_XF_ENCR, s->encr,
			   wire_keylen(s->encr, s->encr_keylen)) &&
		    has_xf(p, IKE_XF_PRF, s->prf, 0) &&
		    has_xf(p, IKE_XF_DH, s->dh, 0)) {
			*out = *s;
			return 0;
		}
	}
	return -1;
}

void prop_ike_chosen(const struct ike_suite *s, struct ike_sa_pl *sa,
		     uint8_t num, const uint8_t *spi, uint8_t spi_size)
{
	struct ike_proposal *p = &sa->prop[0];

	memset(sa, 0, sizeof(*sa));
	sa->n_props = 1;
	p->num = num;
	p->proto = IKE_PROTO_IKE;
	p->spi_size = spi_size;
	if (spi_size)
		memcpy(p->spi, spi, spi_size);
	xf_add(p, IKE_XF_ENCR, s->encr, wire_keylen(s->encr, s->encr_keylen));
	xf_add(p, IKE_XF_PRF, s->prf, 0);
	xf_add(p, IKE_XF_DH, s->dh, 0);
}

static void put_spi(uint8_t *p, uint32_t spi)
{
	p[0] = (uint8_t)(spi >> 24);
	p[1] = (uint8_t)(spi >> 16);
	p[2] = (uint8_t)(spi >> 8);
	p[3] = (uint8_t)spi;
}

static uint32_t get_spi(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

void prop_esp_offer(const struct ike_peer_cfg *c, struct ike_sa_pl *sa,
		    uint32_t spi)
{
	unsigned i;

	memset(sa, 0, sizeof(*sa));
	for (i = 0; i < c->n_esp && sa->n_props < IKE_MAX_PROPOSALS; i++) {
		struct ike_proposal *p = &sa->prop[sa->n_props];

		p->num = ++sa->n_props;
		p->proto = IKE_PROTO_ESP;
		p->spi_size = 4;
		put_spi(p->spi, spi);
		xf_add(p, IKE_XF_ENCR, c->esp[i].encr,
		       wire_keylen(c->esp[i].encr, c->esp[i].keylen));
		/* ESN first when we can: a peer that can too picks it */
		if (c->esn)
			xf_add(p, IKE_XF_ESN, IKE_ESN_YES, 0);
		xf_add(p, IKE_XF_ESN, IKE_ESN_NO, 0);
	}
}

/*
 * Usable DH for a CHILD_SA proposal without PFS: none listed, or NONE (0)
 * among them. In IKE_AUTH DH transforms are ignored (no KE there, 1.2).
 */
static bool dh_ok(const struct ike_proposal *p, bool in_auth)
{
	return in_auth || count_xf(p, IKE_XF_DH) == 0 ||
		has_xf(p, IKE_XF_DH, 0, 0);
}

int prop_esp_choose(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		    bool in_auth, struct ike_esp_prop *out, bool *esn,
		    uint32_t *peer_spi, uint8_t *prop_num)
{
	unsigned i, j;

	for (i = 0; i < c->n_esp; i++) {
		const struct ike_esp_prop *e = &c->esp[i];

		for (j = 0; j < sa->n_props; j++) {
			const struct ike_proposal *p = &sa->prop[j];

			if (p->proto != IKE_PROTO_ESP || p->spi_size != 4 ||
			    has_integ(p) || !dh_ok(p, in_auth) ||
			    !has_xf(p, IKE_XF_ENCR, e->encr,
				    wire_keylen(e->encr, e->keylen)))
				continue;
			/* ESN when both can; no-ESN when that is all it offers */
			if (c->esn && has_xf(p, IKE_XF_ESN, IKE_ESN_YES, 0))
				*esn = true;
			else if (has_xf(p, IKE_XF_ESN, IKE_ESN_NO, 0))
				*esn = false;
			else
				continue;
			*out = *e;
			*peer_spi = get_spi(p->spi);
			*prop_num = p->num;
			return *peer_spi ? 0 : -1;
		}
	}
	return -1;
}

int prop_esp_check(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		   struct ike_esp_prop *out, bool *esn, uint32_t *peer_spi)
{
	const struct ike_proposal *p = &sa->prop[0];
	unsigned i;

	if (sa->n_props != 1 || p->proto != IKE_PROTO_ESP ||
	    p->spi_size != 4 || has_integ(p) ||
	    count_xf(p, IKE_XF_ENCR) != 1 || count_xf(p, IKE_XF_ESN) != 1 ||
	    !dh_ok(p, false) || get_spi(p->spi) == 0)
		return -1;
	if (has_xf(p, IKE_XF_ESN, IKE_ESN_YES, 0)) {
		if (!c->esn)
			return -1;
		*esn = true;
	} else if (has_xf(p, IKE_XF_ESN, IKE_ESN_NO, 0)) {
		*esn = false;
	} else {
		return -1;
	}
	for (i = 0; i < c->n_esp; i++)
		if (has_xf(p, IKE_XF_ENCR, c->esp[i].encr,
			   wire_keylen(c->esp[i].encr, c->esp[i].keylen))) {
			*out = c->esp[i];
			*peer_spi = get_spi(p->spi);
			return 0;
		}
	return -1;
}

void prop_esp_chosen(const struct ike_esp_prop *e, bool esn,
		     struct ike_sa_pl *sa, uint8_t num, uint32_t spi)
{
	struct ike_proposal *p = &sa->prop[0];

	memset(sa, 0, sizeof(*sa));
	sa->n_props = 1;
	p->num = num;
	p->proto = IKE_PROTO_ESP;
	p->spi_size = 4;
	put_spi(p->spi, spi);
	xf_add(p, IKE_XF_ENCR, e->encr, wire_keylen(e->encr, e->keylen));
	xf_add(p, IKE_XF_ESN, esn ? IKE_ESN_YES : IKE_ESN_NO, 0);
}
