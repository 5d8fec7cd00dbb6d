/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic selectors (RFC 7296 2.9, 3.13): configured subnets as address
 * ranges, the responder's narrowing of the initiator's offer to its own
 * subnets, and the initiator's check that what came back lies inside
 * what it configured. Addresses are compared as big-endian octet strings.
 */
#include <string.h>

#include "ike_sa_int.h"

static unsigned alen(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static void subnet_range(const struct ike_subnet *s, uint8_t *start,
			 uint8_t *end)
{
	unsigned i, n = alen(s->family);

	for (i = 0; i < n; i++) {
		int bits = (int)s->prefix - (int)(8 * i);
		uint8_t mask = bits >= 8 ? 0xff :
			bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		start[i] = s->ip[i] & mask;
		end[i] = s->ip[i] | (uint8_t)~mask;
	}
}

static uint8_t ts_type(uint8_t family)
{
	return family == 6 ? IKE_TS_IPV6_ADDR_RANGE : IKE_TS_IPV4_ADDR_RANGE;
}

static uint8_t ts_family(const struct ike_ts_entry *e)
{
	if (e->type == IKE_TS_IPV4_ADDR_RANGE && e->addr_len == 4)
		return 4;
	if (e->type == IKE_TS_IPV6_ADDR_RANGE && e->addr_len == 16)
		return 6;
	return 0;
}

void ts_from_subnets(const struct ike_subnet *s, unsigned n,
		     struct ike_ts *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n && out->n < IKE_MAX_TS; i++) {
		struct ike_ts_entry *e = &out->ts[out->n++];

		e->type = ts_type(s[i].family);
		e->addr_len = (uint8_t)alen(s[i].family);
		e->start_port = 0;
		e->end_port = 65535;
		subnet_range(&s[i], e->start, e->end);
	}
}

int ts_narrow(const struct ike_ts *offer, const struct ike_subnet *s,
	      unsigned n, struct ike_ts *out)
{
	unsigned i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < offer->n; i++) {
		const struct ike_ts_entry *o = &offer->ts[i];
		uint8_t fam = ts_family(o);

		if (fam == 0 || o->start_port > o->end_port ||
		    memcmp(o->start, o->end, o->addr_len) > 0)
			continue;
		for (j = 0; j < n && out->n < IKE_MAX_TS; j++) {
			uint8_t st[16], en[16];
			struct ike_ts_entry *e;
			unsigned l = alen(fam);

			if (s[j].family != fam)
				continue;
			subnet_range(&s[j], st, en);
			if (memcmp(o->start, st, l) > 0)
				memcpy(st, o->start, l);
			if (memcmp(o->end, en, l) < 0)
				memcpy(en, o->end, l);
			if (memcmp(st, en, l) > 0)
				continue;	/* disjoint */
			e = &out->ts[out->n++];
			*e = *o;
			e->other = (struct ike_view){ NULL, 0 };
			memcpy(e->start, st, l);
			memcpy(e->end, en, l);
		}
	}
	return out->n ? 0 : -1;
}

bool ts_within(const struct ike_ts *got, const struct ike_subnet *s,
	       unsigned n)
{
	unsigned i, j;

	if (got->n == 0)
		return false;
	for (i = 0; i < got->n; i++) {
		const struct ike_ts_entry *g = &got->ts[i];
		uint8_t fam = ts_family(g);
		bool inside = false;

		if (fam == 0)
			return false;
		for (j = 0; j < n && !inside; j++) {
			uint8_t st[16], en[16];

			if (s[j].family != fam)
				continue;
			subnet_range(&s[j], st, en);
			inside = memcmp(g->start, st, g->addr_len) >= 0 &&
				memcmp(g->end, en, g->addr_len) <= 0 &&
				memcmp(g->start, g->end, g->addr_len) <= 0;
		}
		if (!inside)
			return false;
	}
	return true;
}

void ts_to_ranges(const struct ike_ts *ts, struct ike_ts_range *r,
		  uint8_t *n)
{
	unsigned i;

	*n = 0;
	for (i = 0; i < ts->n && i < IKE_MAX_TS; i++) {
		uint8_t fam = ts_family(&ts->ts[i]);

		if (fam == 0)
			continue;
		r[*n].family = fam;
		memcpy(r[*n].start, ts->ts[i].start, 16);
		memcpy(r[*n].end, ts->ts[i].end, 16);
		(*n)++;
	}
}
