/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 message codec: parser and builder (RFC 7296 section 3).
 *
 * The parser walks the payload chain with an explicit loop; each payload
 * body is checked by a per-type function that only reads inside the body
 * it was given, so a bad length anywhere is caught where it is read. The
 * nested structures of the SA payload (proposals, transforms, attributes)
 * are walked by nested loops with fixed bounds, never by recursion.
 */
#include <string.h>

#include "ike_msg.h"

/* Minimum SK body for AEAD: 8-octet IV, pad length octet, 16-octet ICV. */
#define SK_MIN_BODY (8 + 1 + 16)

#define IKE_REASON_STR(name, str) str,
static const char *const reason_str[] = { IKE_REASONS(IKE_REASON_STR) };
#undef IKE_REASON_STR

const char *ike_reason_str(enum ike_reason r)
{
	if ((unsigned)r >= IKE_REASON_COUNT)
		return "unknown reason";
	return reason_str[r];
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static inline struct ike_view view(const uint8_t *p, size_t len)
{
	struct ike_view v = { p, (uint16_t)len };

	return v;
}

static inline uint32_t pl_bit(uint8_t type)
{
	return 1u << (type - IKE_PL_SA);
}

/* Payload types that may appear at most once per message. */
static bool pl_single(uint8_t type)
{
	switch (type) {
	case IKE_PL_SA: case IKE_PL_KE: case IKE_PL_IDI: case IKE_PL_IDR:
	case IKE_PL_AUTH: case IKE_PL_NONCE: case IKE_PL_TSI: case IKE_PL_TSR:
	case IKE_PL_SK:
		return true;
	default:
		return false;
	}
}

/* ---- parser: one function per payload body ---------------------------- */

/* Attributes of one transform: body from octet 8 of the transform. */
static enum ike_reason parse_attrs(struct ike_transform *t,
				   const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct ike_attr *a;
		uint16_t at;

		if (len - off < 4)
			return IKE_ERR_SA_ATTR;
		if (t->n_attrs == IKE_MAX_ATTRS)
			return IKE_ERR_SA_ATTR;
		a = &t->attrs[t->n_attrs++];
		at = rd16(p + off);
		a->type = at & 0x7fff;
		a->tv = (at & 0x8000) != 0;
		if (a->tv) {
			a->val = rd16(p + off + 2);
			a->data = view(NULL, 0);
			off += 4;
			if (a->type == IKE_ATTR_KEY_LENGTH)
				t->keylen = a->val;
		} else {
			uint16_t alen = rd16(p + off + 2);

			if (alen > len - off - 4)
				return IKE_ERR_SA_ATTR;
			/* Key Length is TV only (3.3.5) */
			if (a->type == IKE_ATTR_KEY_LENGTH)
				return IKE_ERR_SA_ATTR;
			a->val = 0;
			a->data = view(p + off + 4, alen);
			off += 4 + (size_t)alen;
		}
	}
	return IKE_OK;
}

/* Transforms of one proposal: p/len is what follows the proposal's SPI. */
static enum ike_reason parse_transforms(struct ike_proposal *pr, uint8_t n_xf,
					const uint8_t *p, size_t len)
{
	size_t off = 0;
	unsigned i;

	if (n_xf == 0 || n_xf > IKE_MAX_TRANSFORMS)
		return IKE_ERR_SA_COUNT;
	for (i = 0; i < n_xf; i++) {
		struct ike_transform *t = &pr->xf[i];
		uint16_t tlen;
		uint8_t last;
		enum ike_reason r;

		if (len - off < 8)
			return IKE_ERR_SA_TRANSFORM;
		last = p[off];
		tlen = rd16(p + off + 2);
		if (tlen < 8 || tlen > len - off)
			return IKE_ERR_SA_TRANSFORM;
		/* 0 = last, 3 = more (3.3.2) and must agree with the count */
		if ((last == 0) != (i == n_xf - 1u) || (last != 0 && last != 3))
			return IKE_ERR_SA_COUNT;
		memset(t, 0, sizeof(*t));
		t->type = p[off + 4];
		t->id = rd16(p + off + 6);
		r = parse_attrs(t, p + off + 8, tlen - 8u);
		if (r != IKE_OK)
			return r;
		off += tlen;
	}
	if (off != len)
		return IKE_ERR_SA_COUNT;
	pr->n_transforms = n_xf;
	return IKE_OK;
}

static enum ike_reason parse_sa(struct ike_sa_pl *sa, const uint8_t *p,
				size_t len)
{
	size_t off = 0;

	sa->n_props = 0;
	if (len == 0)
		return IKE_ERR_SA_COUNT;
	while (off < len) {
		struct ike_proposal *pr;
		uint16_t plen;
		uint8_t last, spi_size;
		enum ike_reason r;

		if (len - off < 8)
			return IKE_ERR_SA_PROPOSAL;
		last = p[off];
		plen = rd16(p + off + 2);
		if (plen < 8 || plen > len - off)
			return IKE_ERR_SA_PROPOSAL;
		/* 0 = last, 2 = more (3.3.1) */
		if (last != 0 && last != 2)
			return IKE_ERR_SA_PROPOSAL;
		if ((last == 0) != (off + plen == len))
			return IKE_ERR_SA_PROPOSAL;
		if (sa->n_props == IKE_MAX_PROPOSALS)
			return IKE_ERR_SA_COUNT;
		pr = &sa->prop[sa->n_props];
		memset(pr, 0, sizeof(*pr));
		pr->num = p[off + 4];
		pr->proto = p[off + 5];
		spi_size = p[off + 6];
		/*
		 * 3.3.1: an offer numbers its proposals 1, 2, 3, ...; a
		 * response carries the one accepted with its own number.
		 */
		if (sa->n_props == 0 ? pr->num == 0 :
		    pr->num != sa->prop[sa->n_props - 1].num + 1u)
			return IKE_ERR_SA_NUMBERING;
		switch (pr->proto) {
		case IKE_PROTO_IKE:
			/* 0 in IKE_SA_INIT, 8 when rekeying the IKE SA */
			if (spi_size != 0 && spi_size != 8)
				return IKE_ERR_SPI_SIZE;
			break;
		case IKE_PROTO_ESP:
		case IKE_PROTO_AH:
			if (spi_size != 4)
				return IKE_ERR_SPI_SIZE;
			break;
		default:
			if (spi_size > IKE_MAX_SPI_LEN)
				return IKE_ERR_SPI_SIZE;
		}
		if (spi_size > plen - 8u)
			return IKE_ERR_SA_PROPOSAL;
		pr->spi_size = spi_size;
		memcpy(pr->spi, p + off + 8, spi_size);
		r = parse_transforms(pr, p[off + 7], p + off + 8 + spi_size,
				     plen - 8u - spi_size);
		if (r != IKE_OK)
			return r;
		sa->n_props++;
		off += plen;
	}
	return IKE_OK;
}

static enum ike_reason parse_notify(struct ike_notify *n, const uint8_t *p,
				    size_t len)
{
	if (len < 4)
		return IKE_ERR_PL_LEN;
	n->proto = p[0];
	n->spi_size = p[1];
	n->type = rd16(p + 2);
	if (n->spi_size > IKE_MAX_SPI_LEN)
		return IKE_ERR_SPI_SIZE;
	if (n->spi_size > len - 4)
		return IKE_ERR_PL_LEN;
	memcpy(n->spi, p + 4, n->spi_size);
	n->data = view(p + 4 + n->spi_size, len - 4 - n->spi_size);
	return IKE_OK;
}

static enum ike_reason parse_delete(struct ike_delete *d, const uint8_t *p,
				    size_t len)
{
	if (len < 4)
		return IKE_ERR_PL_LEN;
	d->proto = p[0];
	d->spi_size = p[1];
	d->n_spi = rd16(p + 2);
	switch (d->proto) {
	case IKE_PROTO_IKE:
		/* the IKE SA is the one the message belongs to (3.11) */
		if (d->spi_size != 0 || d->n_spi != 0 || len != 4)
			return IKE_ERR_DELETE;
		break;
	case IKE_PROTO_ESP:
	case IKE_PROTO_AH:
		if (d->spi_size != 4 || d->n_spi == 0 ||
		    len - 4 != (size_t)d->n_spi * 4)
			return IKE_ERR_DELETE;
		break;
	default:
		return IKE_ERR_DELETE;
	}
	d->spis = view(p + 4, len - 4);
	return IKE_OK;
}

static enum ike_reason parse_ts(struct ike_ts *ts, const uint8_t *p,
				size_t len)
{
	size_t off = 4;
	unsigned i, n;

	if (len < 4)
		return IKE_ERR_PL_LEN;
	n = p[0];
	if (n == 0 || n > IKE_MAX_TS)
		return IKE_ERR_TS_COUNT;
	for (i = 0; i < n; i++) {
		struct ike_ts_entry *e = &ts->ts[i];
		uint16_t slen;

		if (len - off < 8)
			return IKE_ERR_TS;
		memset(e, 0, sizeof(*e));
		e->type = p[off];
		e->ip_proto = p[off + 1];
		slen = rd16(p + off + 2);
		e->start_port = rd16(p + off + 4);
		e->end_port = rd16(p + off + 6);
		if (slen < 8 || slen > len - off)
			return IKE_ERR_TS;
		if (e->type == IKE_TS_IPV4_ADDR_RANGE)
			e->addr_len = 4;
		else if (e->type == IKE_TS_IPV6_ADDR_RANGE)
			e->addr_len = 16;
		/* unknown types are kept (addr_len 0) for the policy to skip */
		if (e->addr_len != 0) {
			if (slen != 8 + 2 * e->addr_len)
				return IKE_ERR_TS;
			memcpy(e->start, p + off + 8, e->addr_len);
			memcpy(e->end, p + off + 8 + e->addr_len, e->addr_len);
		} else {
			e->other = view(p + off + 8, slen - 8u);
		}
		off += slen;
	}
	if (off != len)
		return IKE_ERR_TS_COUNT;
	ts->n = (uint8_t)n;
	return IKE_OK;
}

static enum ike_reason parse_id(struct ike_id *id, const uint8_t *p, size_t len)
{
	if (len < 5)
		return IKE_ERR_PL_LEN;
	id->type = p[0];
	id->data = view(p + 4, len - 4);
	id->body = view(p, len);
	return IKE_OK;
}

/*
 * Checks one payload body and stores it in m. *idx gets the index in the
 * typed array. Payloads pmdvpn does not understand are refused when
 * critical and otherwise kept in other[] (2.5).
 */
static enum ike_reason parse_one(struct ike_msg *m, uint8_t type, bool crit,
				 const uint8_t *p, size_t len, uint8_t *idx)
{
	enum ike_reason r;

	*idx = 0;
	switch (type) {
	case IKE_PL_SA:
		return parse_sa(&m->sa, p, len);
	case IKE_PL_KE:
		if (len < 5)
			return IKE_ERR_PL_LEN;
		m->ke.group = rd16(p);
		m->ke.data = view(p + 4, len - 4);
		return IKE_OK;
	case IKE_PL_IDI:
		return parse_id(&m->idi, p, len);
	case IKE_PL_IDR:
		return parse_id(&m->idr, p, len);
	case IKE_PL_AUTH:
		if (len < 5)
			return IKE_ERR_PL_LEN;
		m->auth.method = p[0];
		m->auth.data = view(p + 4, len - 4);
		return IKE_OK;
	case IKE_PL_NONCE:
		if (len < IKE_NONCE_MIN || len > IKE_NONCE_MAX)
			return IKE_ERR_NONCE_LEN;
		m->nonce = view(p, len);
		return IKE_OK;
	case IKE_PL_NOTIFY:
		if (m->n_notify == IKE_MAX_NOTIFY)
			return IKE_ERR_TOO_MANY_NOTIFY;
		*idx = m->n_notify;
		r = parse_notify(&m->notify[*idx], p, len);
		if (r == IKE_OK)
			m->n_notify++;
		return r;
	case IKE_PL_DELETE:
		if (m->n_delete == IKE_MAX_DELETE)
			return IKE_ERR_TOO_MANY_DELETE;
		*idx = m->n_delete;
		r = parse_delete(&m->del[*idx], p, len);
		if (r == IKE_OK)
			m->n_delete++;
		return r;
	case IKE_PL_VENDOR:
		if (m->n_vendor == IKE_MAX_VENDOR)
			return IKE_ERR_TOO_MANY_VENDOR;
		*idx = m->n_vendor;
		m->vendor[m->n_vendor++] = view(p, len);
		return IKE_OK;
	case IKE_PL_TSI:
		return parse_ts(&m->tsi, p, len);
	case IKE_PL_TSR:
		return parse_ts(&m->tsr, p, len);
	default:
		/* CERT, CERTREQ, CP, EAP, SKF and unknown types: not understood */
		if (crit)
			return IKE_ERR_UNSUPPORTED_CRITICAL;
		if (m->n_other == IKE_MAX_OTHER)
			return IKE_ERR_TOO_MANY_OTHER;
		*idx = m->n_other;
		m->other[m->n_other].type = type;
		m->other[m->n_other++].body = view(p, len);
		return IKE_OK;
	}
}

/*
 * Walks a payload chain of len octets at p (whose first octet is at offset
 * base in the message) starting with payload type first. Stops after an SK
 * payload, which must end the chain.
 */
static enum ike_reason parse_chain(struct ike_msg *m, uint8_t first,
				   const uint8_t *p, size_t len, uint32_t base,
				   bool inner)
{
	uint8_t type = first;
	size_t off = 0;

	while (type != IKE_PL_NONE) {
		uint8_t next, idx;
		uint16_t plen;
		bool crit;
		enum ike_reason r;

		m->err_off = base + (uint32_t)off;
		m->err_type = type;
		if (len - off < IKE_GEN_HDR_LEN)
			return IKE_ERR_PL_TRUNCATED;
		next = p[off];
		crit = (p[off + 1] & IKE_CRITICAL) != 0;
		plen = rd16(p + off + 2);
		if (plen < IKE_GEN_HDR_LEN)
			return IKE_ERR_PL_LEN;
		if (plen > len - off)
			return IKE_ERR_PL_TRUNCATED;
		if (m->n_pl == IKE_MAX_PAYLOADS)
			return IKE_ERR_TOO_MANY_PAYLOADS;
		if (pl_single(type)) {
			if (m->present & pl_bit(type))
				return IKE_ERR_DUP_PAYLOAD;
		}
		if (type == IKE_PL_SK) {
			if (inner)
				return IKE_ERR_SK_NESTED;
			if (off + plen != len)
				return IKE_ERR_SK_NOT_LAST;
			if (plen - IKE_GEN_HDR_LEN < SK_MIN_BODY)
				return IKE_ERR_SK_SHORT;
			m->sk.inner_next = next;
			m->sk.offset = base + (uint32_t)off;
			m->sk.body = view(p + off + IKE_GEN_HDR_LEN,
					  plen - IKE_GEN_HDR_LEN);
			idx = 0;
			next = IKE_PL_NONE; /* the chain continues inside */
		} else {
			r = parse_one(m, type, crit, p + off + IKE_GEN_HDR_LEN,
				      plen - IKE_GEN_HDR_LEN, &idx);
			if (r != IKE_OK)
				return r;
		}
		if (type >= IKE_PL_SA && type <= IKE_PL_SKF)
			m->present |= pl_bit(type);
		m->order[m->n_pl].type = type;
		m->order[m->n_pl].critical = crit;
		m->order[m->n_pl].idx = idx;
		m->n_pl++;
		off += plen;
		type = next;
	}
	m->err_off = base + (uint32_t)off;
	m->err_type = 0;
	if (off != len)
		return IKE_ERR_TRAILING;
	return IKE_OK;
}

enum ike_reason ike_msg_parse(struct ike_msg *m, const uint8_t *buf, size_t len)
{
	struct ike_hdr *h = &m->hdr;
	static const uint8_t zero_spi[8];

	m->n_pl = 0;
	m->present = 0;
	m->n_notify = m->n_delete = m->n_vendor = m->n_other = 0;
	m->err_off = 0;
	m->err_type = 0;
	if (len < IKE_HDR_LEN)
		return IKE_ERR_SHORT;
	if (len > IKE_MSG_MAX)
		return IKE_ERR_TOO_BIG;
	memcpy(h->spi_i, buf, 8);
	memcpy(h->spi_r, buf + 8, 8);
	h->next = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msg_id = rd32(buf + 20);
	h->length = rd32(buf + 24);
	if (h->length != len)
		return IKE_ERR_LEN_MISMATCH;
	/* a higher major version gets INVALID_MAJOR_VERSION (2.5) */
	if ((h->version >> 4) != 2)
		return IKE_ERR_MAJOR_VERSION;
	if (memcmp(h->spi_i, zero_spi, 8) == 0)
		return IKE_ERR_ZERO_SPI_I;
	return parse_chain(m, h->next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN,
			   IKE_HDR_LEN, false);
}

enum ike_reason ike_msg_parse_inner(struct ike_msg *m, uint8_t first,
				    const uint8_t *buf, size_t len)
{
	if (len > IKE_MSG_MAX)
		return IKE_ERR_TOO_BIG;
	return parse_chain(m, first, buf, len, 0, true);
}

const struct ike_notify *ike_msg_notify(const struct ike_msg *m, uint16_t type)
{
	unsigned i;

	for (i = 0; i < m->n_notify; i++)
		if (m->notify[i].type == type)
			return &m->notify[i];
	return NULL;
}

uint32_t ike_delete_spi(const struct ike_delete *d, unsigned i)
{
	if (d->spi_size != 4 || i >= d->n_spi)
		return 0;
	return rd32(d->spis.p + 4 * i);
}

size_t ike_id_body(const struct ike_id *id, uint8_t *out, size_t cap)
{
	if (cap < 4 + (size_t)id->data.len)
		return 0;
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	if (id->data.len)
		memcpy(out + 4, id->data.p, id->data.len);
	return 4 + (size_t)id->data.len;
}

/* ---- builder ----------------------------------------------------------- */

void ike_msg_init(struct ike_msg *m, const uint8_t spi_i[8],
		  const uint8_t spi_r[8], uint8_t exchange, uint8_t flags,
		  uint32_t msg_id)
{
	m->n_pl = 0;
	m->present = 0;
	m->n_notify = m->n_delete = m->n_vendor = m->n_other = 0;
	memset(&m->hdr, 0, sizeof(m->hdr));
	memcpy(m->hdr.spi_i, spi_i, 8);
	memcpy(m->hdr.spi_r, spi_r, 8);
	m->hdr.version = IKE_VERSION_2;
	m->hdr.exchange = exchange;
	m->hdr.flags = flags;
	m->hdr.msg_id = msg_id;
	m->err_off = 0;
	m->err_type = 0;
}

void *ike_msg_add(struct ike_msg *m, uint8_t type)
{
	void *slot;
	size_t size;
	uint8_t idx = 0;
	bool raw = false;

	if (m->n_pl == IKE_MAX_PAYLOADS || type == IKE_PL_NONE)
		return NULL;
	if (pl_single(type) && (m->present & pl_bit(type)))
		return NULL;
	switch (type) {
	case IKE_PL_SA: slot = &m->sa; size = sizeof(m->sa); break;
	case IKE_PL_KE: slot = &m->ke; size = sizeof(m->ke); break;
	case IKE_PL_IDI: slot = &m->idi; size = sizeof(m->idi); break;
	case IKE_PL_IDR: slot = &m->idr; size = sizeof(m->idr); break;
	case IKE_PL_AUTH: slot = &m->auth; size = sizeof(m->auth); break;
	case IKE_PL_NONCE: slot = &m->nonce; size = sizeof(m->nonce); break;
	case IKE_PL_TSI: slot = &m->tsi; size = sizeof(m->tsi); break;
	case IKE_PL_TSR: slot = &m->tsr; size = sizeof(m->tsr); break;
	case IKE_PL_SK: slot = &m->sk; size = sizeof(m->sk); break;
	case IKE_PL_NOTIFY:
		if (m->n_notify == IKE_MAX_NOTIFY)
			return NULL;
		idx = m->n_notify++;
		slot = &m->notify[idx];
		size = sizeof(m->notify[0]);
		break;
	case IKE_PL_DELETE:
		if (m->n_delete == IKE_MAX_DELETE)
			return NULL;
		idx = m->n_delete++;
		slot = &m->del[idx];
		size = sizeof(m->del[0]);
		break;
	case IKE_PL_VENDOR:
		if (m->n_vendor == IKE_MAX_VENDOR)
			return NULL;
		idx = m->n_vendor++;
		slot = &m->vendor[idx];
		size = sizeof(m->vendor[0]);
		break;
	default:
		if (m->n_other == IKE_MAX_OTHER)
			return NULL;
		idx = m->n_other++;
		slot = &m->other[idx];
		size = sizeof(m->other[0]);
		raw = true;
		break;
	}
	memset(slot, 0, size);
	if (raw)
		m->other[idx].type = type;
	if (type >= IKE_PL_SA && type <= IKE_PL_SKF)
		m->present |= pl_bit(type);
	m->order[m->n_pl].type = type;
	m->order[m->n_pl].critical = 0;
	m->order[m->n_pl].idx = idx;
	m->n_pl++;
	return slot;
}

/* Bounded output cursor: writes past cap are counted, never performed. */
struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool full;
};

static uint8_t *wb_reserve(struct wbuf *w, size_t n)
{
	uint8_t *at;

	if (w->full || n > w->cap - w->off) {
		w->full = true;
		return NULL;
	}
	at = w->p + w->off;
	w->off += n;
	return at;
}

static void wb_put(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *at = wb_reserve(w, n);

	if (at && n)
		memcpy(at, src, n);
}

static void wb_u8(struct wbuf *w, uint8_t v)
{
	wb_put(w, &v, 1);
}

static void wb_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2];

	wr16(b, v);
	wb_put(w, b, 2);
}

static void wb_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	wr32(b, v);
	wb_put(w, b, 4);
}

static void wb_zero(struct wbuf *w, size_t n)
{
	uint8_t *at = wb_reserve(w, n);

	if (at)
		memset(at, 0, n);
}

/* Patches a 16-bit length at `at` with the octets written since `at - 2`. */
static enum ike_reason wb_patch_len(struct wbuf *w, size_t start, size_t field)
{
	size_t n = w->off - start;

	if (w->full)
		return IKE_ERR_NO_SPACE;
	if (n > 0xffff)
		return IKE_ERR_BUILD;
	wr16(w->p + field, (uint16_t)n);
	return IKE_OK;
}

static enum ike_reason build_transform(struct wbuf *w,
				       const struct ike_transform *t, bool last)
{
	size_t start = w->off;
	unsigned i;

	if (t->n_attrs > IKE_MAX_ATTRS)
		return IKE_ERR_BUILD;
	wb_u8(w, last ? 0 : 3);
	wb_u8(w, 0);
	wb_u16(w, 0);		/* length, patched */
	wb_u8(w, t->type);
	wb_u8(w, 0);
	wb_u16(w, t->id);
	if (t->n_attrs == 0 && t->keylen != 0) {
		wb_u16(w, 0x8000 | IKE_ATTR_KEY_LENGTH);
		wb_u16(w, t->keylen);
	}
	for (i = 0; i < t->n_attrs; i++) {
		const struct ike_attr *a = &t->attrs[i];

		if (a->tv) {
			wb_u16(w, 0x8000 | a->type);
			wb_u16(w, a->val);
		} else {
			wb_u16(w, a->type & 0x7fff);
			wb_u16(w, a->data.len);
			wb_put(w, a->data.p, a->data.len);
		}
	}
	return wb_patch_len(w, start, start + 2);
}

static enum ike_reason build_sa(struct wbuf *w, const struct ike_sa_pl *sa)
{
	unsigned i, j;
	enum ike_reason r;

	if (sa->n_props == 0 || sa->n_props > IKE_MAX_PROPOSALS)
		return IKE_ERR_BUILD;
	for (i = 0; i < sa->n_props; i++) {
		const struct ike_proposal *pr = &sa->prop[i];
		size_t start = w->off;

		if (pr->n_transforms == 0 ||
		    pr->n_transforms > IKE_MAX_TRANSFORMS ||
		    pr->spi_size > IKE_MAX_SPI_LEN)
			return IKE_ERR_BUILD;
		wb_u8(w, i + 1u == sa->n_props ? 0 : 2);
		wb_u8(w, 0);
		wb_u16(w, 0);	/* length, patched */
		wb_u8(w, pr->num ? pr->num : (uint8_t)(i + 1));
		wb_u8(w, pr->proto);
		wb_u8(w, pr->spi_size);
		wb_u8(w, pr->n_transforms);
		wb_put(w, pr->spi, pr->spi_size);
		for (j = 0; j < pr->n_transforms; j++) {
			r = build_transform(w, &pr->xf[j],
					    j + 1u == pr->n_transforms);
			if (r != IKE_OK)
				return r;
		}
		r = wb_patch_len(w, start, start + 2);
		if (r != IKE_OK)
			return r;
	}
	return IKE_OK;
}

static enum ike_reason build_ts(struct wbuf *w, const struct ike_ts *ts)
{
	unsigned i;

	if (ts->n == 0 || ts->n > IKE_MAX_TS)
		return IKE_ERR_BUILD;
	wb_u8(w, ts->n);
	wb_zero(w, 3);
	for (i = 0; i < ts->n; i++) {
		const struct ike_ts_entry *e = &ts->ts[i];

		if (e->addr_len != 0 && e->addr_len != 4 && e->addr_len != 16)
			return IKE_ERR_BUILD;
		if (e->addr_len == 0 && e->other.len > 0xffff - 8)
			return IKE_ERR_BUILD;
		wb_u8(w, e->type);
		wb_u8(w, e->ip_proto);
		wb_u16(w, e->addr_len ? 8 + 2 * e->addr_len : 8 + e->other.len);
		wb_u16(w, e->start_port);
		wb_u16(w, e->end_port);
		if (e->addr_len == 0) {
			wb_put(w, e->other.p, e->other.len);
			continue;
		}
		wb_put(w, e->start, e->addr_len);
		wb_put(w, e->end, e->addr_len);
	}
	return IKE_OK;
}

static enum ike_reason build_body(struct wbuf *w, const struct ike_msg *m,
				  const struct ike_pl_ref *ref)
{
	switch (ref->type) {
	case IKE_PL_SA:
		return build_sa(w, &m->sa);
	case IKE_PL_KE:
		wb_u16(w, m->ke.group);
		wb_u16(w, 0);
		wb_put(w, m->ke.data.p, m->ke.data.len);
		return IKE_OK;
	case IKE_PL_IDI:
	case IKE_PL_IDR: {
		const struct ike_id *id = ref->type == IKE_PL_IDI ?
			&m->idi : &m->idr;

		wb_u8(w, id->type);
		wb_zero(w, 3);
		wb_put(w, id->data.p, id->data.len);
		return IKE_OK;
	}
	case IKE_PL_AUTH:
		wb_u8(w, m->auth.method);
		wb_zero(w, 3);
		wb_put(w, m->auth.data.p, m->auth.data.len);
		return IKE_OK;
	case IKE_PL_NONCE:
		if (m->nonce.len < IKE_NONCE_MIN || m->nonce.len > IKE_NONCE_MAX)
			return IKE_ERR_BUILD;
		wb_put(w, m->nonce.p, m->nonce.len);
		return IKE_OK;
	case IKE_PL_NOTIFY: {
		const struct ike_notify *n = &m->notify[ref->idx];

		if (n->spi_size > IKE_MAX_SPI_LEN)
			return IKE_ERR_BUILD;
		wb_u8(w, n->proto);
		wb_u8(w, n->spi_size);
		wb_u16(w, n->type);
		wb_put(w, n->spi, n->spi_size);
		wb_put(w, n->data.p, n->data.len);
		return IKE_OK;
	}
	case IKE_PL_DELETE: {
		const struct ike_delete *d = &m->del[ref->idx];

		if ((size_t)d->n_spi * d->spi_size != d->spis.len)
			return IKE_ERR_BUILD;
		wb_u8(w, d->proto);
		wb_u8(w, d->spi_size);
		wb_u16(w, d->n_spi);
		wb_put(w, d->spis.p, d->spis.len);
		return IKE_OK;
	}
	case IKE_PL_VENDOR:
		wb_put(w, m->vendor[ref->idx].p, m->vendor[ref->idx].len);
		return IKE_OK;
	case IKE_PL_TSI:
		return build_ts(w, &m->tsi);
	case IKE_PL_TSR:
		return build_ts(w, &m->tsr);
	case IKE_PL_SK:
		return IKE_ERR_BUILD;	/* handled by the caller */
	default:
		wb_put(w, m->other[ref->idx].body.p, m->other[ref->idx].body.len);
		return IKE_OK;
	}
}

/* Writes payloads order[from, to) with their generic headers. */
static enum ike_reason build_chain(struct wbuf *w, const struct ike_msg *m,
				   unsigned from, unsigned to)
{
	unsigned i;
	enum ike_reason r;

	for (i = from; i < to; i++) {
		const struct ike_pl_ref *ref = &m->order[i];
		size_t start = w->off;
		uint8_t next = i + 1 < to ? m->order[i + 1].type : IKE_PL_NONE;

		if (ref->type == IKE_PL_SK)
			return IKE_ERR_BUILD;
		wb_u8(w, next);
		wb_u8(w, ref->critical ? IKE_CRITICAL : 0);
		wb_u16(w, 0);	/* length, patched */
		r = build_body(w, m, ref);
		if (r != IKE_OK)
			return r;
		r = wb_patch_len(w, start, start + 2);
		if (r != IKE_OK)
			return r;
	}
	return w->full ? IKE_ERR_NO_SPACE : IKE_OK;
}

enum ike_reason ike_msg_build_payloads(const struct ike_msg *m, unsigned from,
				       unsigned to, uint8_t *out, size_t cap,
				       size_t *len, uint8_t *first)
{
	struct wbuf w = { out, cap, 0, false };
	enum ike_reason r;

	if (from > to || to > m->n_pl)
		return IKE_ERR_BUILD;
	r = build_chain(&w, m, from, to);
	if (r != IKE_OK)
		return r;
	*first = from < to ? m->order[from].type : IKE_PL_NONE;
	*len = w.off;
	return IKE_OK;
}

enum ike_reason ike_msg_build(struct ike_msg *m, uint8_t *out, size_t cap,
			      size_t *len, size_t sk_body_len)
{
	struct wbuf w = { out, cap, 0, false };
	bool has_sk = m->n_pl > 0 && m->order[m->n_pl - 1].type == IKE_PL_SK;
	unsigned n_plain = has_sk ? m->n_pl - 1u : m->n_pl;
	enum ike_reason r;

	wb_put(&w, m->hdr.spi_i, 8);
	wb_put(&w, m->hdr.spi_r, 8);
	wb_u8(&w, m->n_pl ? m->order[0].type : IKE_PL_NONE);
	wb_u8(&w, m->hdr.version);
	wb_u8(&w, m->hdr.exchange);
	wb_u8(&w, m->hdr.flags);
	wb_u32(&w, m->hdr.msg_id);
	wb_u32(&w, 0);		/* length, patched */
	r = build_chain(&w, m, 0, n_plain);
	if (r != IKE_OK)
		return r;
	if (has_sk) {
		size_t start = w.off;
		size_t body = sk_body_len ? sk_body_len : m->sk.body.len;

		/* the last plain payload's next must name SK, not NONE */
		if (n_plain > 0) {
			size_t o = IKE_HDR_LEN, i;

			for (i = 0; i + 1 < n_plain; i++)
				o += rd16(out + o + 2);
			out[o] = IKE_PL_SK;
		}
		if (body < SK_MIN_BODY)
			return IKE_ERR_BUILD;
		wb_u8(&w, m->sk.inner_next);
		wb_u8(&w, m->order[m->n_pl - 1].critical ? IKE_CRITICAL : 0);
		wb_u16(&w, 0);
		if (sk_body_len)
			wb_reserve(&w, sk_body_len);
		else
			wb_put(&w, m->sk.body.p, m->sk.body.len);
		r = wb_patch_len(&w, start, start + 2);
		if (r != IKE_OK)
			return r;
		m->sk.offset = (uint32_t)start;
	}
	if (w.full)
		return IKE_ERR_NO_SPACE;
	if (w.off > IKE_MSG_MAX)
		return IKE_ERR_TOO_BIG;
	wr32(out + 24, (uint32_t)w.off);
	m->hdr.length = (uint32_t)w.off;
	*len = w.off;
	return IKE_OK;
}

/* ---- UDP 4500 ----------------------------------------------------------- */

enum ike_udp_kind ike_udp4500_classify(const uint8_t *p, size_t len)
{
	if (len == 1 && p[0] == 0xff)
		return IKE_UDP_KEEPALIVE;
	if (len < IKE_NON_ESP_MARKER_LEN)
		return IKE_UDP_INVALID;
	if (rd32(p) != 0)
		return IKE_UDP_ESP;
	if (len < IKE_NON_ESP_MARKER_LEN + IKE_HDR_LEN)
		return IKE_UDP_INVALID;
	return IKE_UDP_IKE;
}

enum ike_reason ike_strip_non_esp_marker(const uint8_t **p, size_t *len)
{
	if (ike_udp4500_classify(*p, *len) != IKE_UDP_IKE)
		return IKE_ERR_NOT_IKE;
	*p += IKE_NON_ESP_MARKER_LEN;
	*len -= IKE_NON_ESP_MARKER_LEN;
	return IKE_OK;
}
