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

/* Proposal num for the IKE SA: suite s's cipher, PRF and group (in p, zeroed). */
static void ike_suite_put(struct ike_proposal *p, uint8_t num, const uint8_t *spi,
			  uint8_t spi_size, const struct ike_suite *s)
{
	p->num = num;
	p->proto = IKE_PROTO_IKE;
	p->spi_size = spi_size;
	if (spi_size)
		memcpy(p->spi, spi, spi_size);
	xf_add(p, IKE_XF_ENCR, s->encr, wire_keylen(s->encr, s->encr_keylen));
	xf_add(p, IKE_XF_PRF, s->prf, 0);
	xf_add(p, IKE_XF_DH, s->dh, 0);
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
		ike_suite_put(p, ++sa->n_props, spi, spi_size, s);
	}
}

/* p lists the cipher, PRF and group of suite s. */
static bool ike_suite_in(const struct ike_proposal *p, const struct ike_suite *s)
{
	return has_xf(p, IKE_XF_ENCR, s->encr, wire_keylen(s->encr, s->encr_keylen)) &&
	       has_xf(p, IKE_XF_PRF, s->prf, 0) && has_xf(p, IKE_XF_DH, s->dh, 0);
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
			if (ike_suite_in(p, s)) {
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

		if (ike_suite_in(p, s)) {
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
	ike_suite_put(p, num, spi, spi_size, s);
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

/* An earlier offered proposal has the same cipher (IKE_AUTH, DH stripped). */
static bool esp_offered(const struct ike_sa_pl *sa, uint16_t encr,
			uint16_t keylen)
{
	unsigned i;

	for (i = 0; i < sa->n_props; i++)
		if (has_xf(&sa->prop[i], IKE_XF_ENCR, encr, keylen))
			return true;
	return false;
}

void prop_esp_offer(const struct ike_peer_cfg *c, struct ike_sa_pl *sa,
		    uint32_t spi, bool in_auth, uint16_t only_dh)
{
	unsigned i;

	memset(sa, 0, sizeof(*sa));
	for (i = 0; i < c->n_esp && sa->n_props < IKE_MAX_PROPOSALS; i++) {
		const struct ike_esp_prop *e = &c->esp[i];
		struct ike_proposal *p = &sa->prop[sa->n_props];
		uint16_t kl = wire_keylen(e->encr, e->keylen);

		/*
		 * 1.2: IKE_AUTH has no KE, so no DH transform (strongSwan
		 * strips them too); ciphers that differ only in their group
		 * then collapse into one proposal.
		 */
		if (in_auth && esp_offered(sa, e->encr, kl))
			continue;
		/* after INVALID_KE_PAYLOAD only proposals with that group */
		if (only_dh && e->dh != only_dh)
			continue;
		p->num = ++sa->n_props;
		p->proto = IKE_PROTO_ESP;
		p->spi_size = 4;
		put_spi(p->spi, spi);
		xf_add(p, IKE_XF_ENCR, e->encr, kl);
		if (e->dh && !in_auth)
			xf_add(p, IKE_XF_DH, e->dh, 0);
		/* ESN first when we can: a peer that can too picks it */
		if (c->esn)
			xf_add(p, IKE_XF_ESN, IKE_ESN_YES, 0);
		xf_add(p, IKE_XF_ESN, IKE_ESN_NO, 0);
	}
}

uint16_t prop_esp_rekey_group(const struct ike_peer_cfg *c, uint16_t cur)
{
	uint16_t first = 0;
	unsigned i;

	for (i = 0; i < c->n_esp; i++) {
		if (cur && c->esp[i].dh == cur)
			return cur;
		if (!first)
			first = c->esp[i].dh;
	}
	return first;
}

/* No PFS in this proposal: no DH transform listed, or NONE (0) among them. */
static bool dh_none_ok(const struct ike_proposal *p)
{
	return count_xf(p, IKE_XF_DH) == 0 || has_xf(p, IKE_XF_DH, 0, 0);
}

/* The ESN choice for p: ESN when both can, no-ESN when that is all it
 * offers; -1 when neither fits. */
static int esn_pick(const struct ike_peer_cfg *c, const struct ike_proposal *p,
		    bool *esn)
{
	if (c->esn && has_xf(p, IKE_XF_ESN, IKE_ESN_YES, 0))
		*esn = true;
	else if (has_xf(p, IKE_XF_ESN, IKE_ESN_NO, 0))
		*esn = false;
	else
		return -1;
	return 0;
}

/*
 * Our entries in preference order against the peer's proposals. Pass 0
 * takes an entry without PFS or one whose group is the peer's KE group;
 * pass 1 finds an entry with a group the peer offers but did not send a
 * KE for (INVALID_KE_PAYLOAD asks for it). Entries with a group never
 * match without a KE; in IKE_AUTH groups are ignored on both sides.
 */
int prop_esp_choose(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		    bool in_auth, uint16_t ke_group, struct ike_esp_prop *out,
		    bool *esn, uint32_t *peer_spi, uint8_t *prop_num)
{
	unsigned pass, i, j;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < c->n_esp; i++) {
			const struct ike_esp_prop *e = &c->esp[i];
			uint16_t want = in_auth ? 0 : e->dh;

			if (want && (ke_group == 0 ||
				     (pass == 0) != (ke_group == want)))
				continue;
			if (!want && pass == 1)
				continue;
			for (j = 0; j < sa->n_props; j++) {
				const struct ike_proposal *p = &sa->prop[j];

				if (p->proto != IKE_PROTO_ESP ||
				    p->spi_size != 4 || has_integ(p) ||
				    !has_xf(p, IKE_XF_ENCR, e->encr,
					    wire_keylen(e->encr, e->keylen)))
					continue;
				if (want ? !has_xf(p, IKE_XF_DH, want, 0) :
				    !in_auth && !dh_none_ok(p))
					continue;
				if (esn_pick(c, p, esn) != 0)
					continue;
				*out = *e;
				out->dh = want;
				*peer_spi = get_spi(p->spi);
				*prop_num = p->num;
				if (*peer_spi == 0)
					return -1;
				return (int)pass;
			}
		}
	return -1;
}

int prop_esp_check(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		   bool in_auth, uint16_t ke_group, struct ike_esp_prop *out,
		   bool *esn, uint32_t *peer_spi)
{
	const struct ike_proposal *p = &sa->prop[0];
	uint16_t dh = 0;
	unsigned i;

	if (sa->n_props != 1 || p->proto != IKE_PROTO_ESP ||
	    p->spi_size != 4 || has_integ(p) ||
	    count_xf(p, IKE_XF_ENCR) != 1 || count_xf(p, IKE_XF_ESN) != 1 ||
	    count_xf(p, IKE_XF_DH) > 1 || get_spi(p->spi) == 0)
		return -1;
	for (i = 0; i < p->n_transforms; i++)
		if (p->xf[i].type == IKE_XF_DH)
			dh = p->xf[i].id;
	/* a group only with the KE we sent for it, never in IKE_AUTH */
	if (dh && (in_auth || dh != ke_group))
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
			   wire_keylen(c->esp[i].encr, c->esp[i].keylen)) &&
		    (in_auth || c->esp[i].dh == dh)) {
			*out = c->esp[i];
			out->dh = dh;
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
	if (e->dh)
		xf_add(p, IKE_XF_DH, e->dh, 0);
	xf_add(p, IKE_XF_ESN, esn ? IKE_ESN_YES : IKE_ESN_NO, 0);
}
