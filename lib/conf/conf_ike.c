/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_ike: the keys of an IKEv2 peer (psk, psk-file, local-id, remote-id,
 * ike, esp, rekey-time, ike-rekey-time, dpd, initiate), their defaults and
 * the checks that tell an IKEv2 peer from a static-key one. The parser
 * around them is conf_parse.c; the model is struct conf_ike (conf.h).
 *
 * Whether a peer is an IKEv2 peer is known only when its section ends (psk
 * may be its last line), so the section-wide checks and the defaults run
 * then, in conf_ike_finish_peer(). The PSK is never part of a message.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "conf_priv.h"

/* IANA IKEv2 transform IDs (RFC 7296 3.3.2, RFC 5282, RFC 7634, RFC 8031). */
#define ENCR_AES_GCM_16 20
#define ENCR_CHACHA20_POLY1305 28
#define PRF_HMAC_SHA2_256 5
#define PRF_HMAC_SHA2_384 6
#define PRF_HMAC_SHA2_512 7
#define DH_MODP_2048 14
#define DH_ECP_256 19
#define DH_CURVE25519 31
/* ID types (RFC 7296 3.5) */
#define ID_IPV4_ADDR 1
#define ID_FQDN 2
#define ID_RFC822_ADDR 3
#define ID_IPV6_ADDR 5

#define DEFAULT_IKE "aes256gcm16-prfsha384-x25519, aes128gcm16-prfsha256-x25519, " \
	"aes128gcm16-prfsha256-ecp256, chacha20poly1305-prfsha256-x25519"
#define DEFAULT_ESP "aes128gcm16, aes256gcm16, chacha20poly1305"
#define DEFAULT_REKEY_S 3600
#define DEFAULT_IKE_REKEY_S 14400
#define DEFAULT_DPD_S 30
#define PSK_FILE_MAX 4096

/* strongSwan's names; the first name of an ID is the one printed. */
struct alg_name {
	const char *name;
	uint16_t id;
	uint16_t keylen;
};

static const struct alg_name encr_names[] = {
	{ "aes128gcm16", ENCR_AES_GCM_16, 128 },
	{ "aes256gcm16", ENCR_AES_GCM_16, 256 },
	{ "chacha20poly1305", ENCR_CHACHA20_POLY1305, 0 },
	{ "aes128gcm", ENCR_AES_GCM_16, 128 },
	{ "aes256gcm", ENCR_AES_GCM_16, 256 },
};

static const struct alg_name prf_names[] = {
	{ "prfsha256", PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", PRF_HMAC_SHA2_512, 0 },
};

static const struct alg_name dh_names[] = {
	{ "x25519", DH_CURVE25519, 0 },
	{ "curve25519", DH_CURVE25519, 0 },
	{ "ecp256", DH_ECP_256, 0 },
	{ "modp2048", DH_MODP_2048, 0 },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const encr_list = "aes128gcm16, aes256gcm16, chacha20poly1305";
static const char *const prf_list = "prfsha256, prfsha384, prfsha512";
static const char *const dh_list = "x25519, ecp256, modp2048";

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The entry named by s[0..len), or NULL. */
static const struct alg_name *
alg_lookup(const struct alg_name *t, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(t[i].name) == len && memcmp(t[i].name, s, len) == 0)
			return &t[i];
	return NULL;
}

static const char *
alg_str(const struct alg_name *t, size_t n, uint16_t id, uint16_t keylen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].id == id && t[i].keylen == keylen)
			return t[i].name;
	return "?";
}

/* A part of a proposal, without blanks around it. */
struct tok {
	const char *s;
	size_t len;
};

/* Splits "A - B-C" at '-' into at most max parts; returns their number
 * (max + 1 when there are more). */
static unsigned
split_dash(const char *item, struct tok *t, unsigned max)
{
	const char *s = item, *dash;
	unsigned n = 0;

	for (;;) {
		const char *e;

		dash = strchr(s, '-');
		e = dash ? dash : s + strlen(s);
		if (n == max)
			return max + 1;
		while (s < e && is_blank(*s))
			s++;
		t[n].s = s;
		while (e > s && is_blank(e[-1]))
			e--;
		t[n].len = (size_t)(e - s);
		n++;
		if (dash == NULL)
			return n;
		s = dash + 1;
	}
}

static int
echo_len(size_t len)
{
	return len > ECHO_MAX ? ECHO_MAX : (int)len;
}

/* "ike = ENCR-PRF-DH, ..." into ike->ike; the message names the token. */
static int
parse_ike_list(struct parser *p, char *val, struct conf_ike *ike)
{
	char *cur = val, *item;
	unsigned i;

	ike->n_ike = 0;
	while ((item = conf_next_item(&cur)) != NULL) {
		const struct alg_name *e, *f, *g;
		struct conf_ike_prop prop;
		struct tok t[3];

		if (*item == '\0')
			return ERR(p, "ike: empty list entry");
		if (split_dash(item, t, 3) != 3)
			return ERR(p, "ike: '%.*s' is not ENCR-PRF-DH (e.g. "
				   "aes256gcm16-prfsha384-x25519)", ECHO_MAX, item);
		e = alg_lookup(encr_names, N_OF(encr_names), t[0].s, t[0].len);
		if (e == NULL)
			return ERR(p, "ike: unknown encryption '%.*s' in '%.*s' (%s)",
				   echo_len(t[0].len), t[0].s, ECHO_MAX, item, encr_list);
		f = alg_lookup(prf_names, N_OF(prf_names), t[1].s, t[1].len);
		if (f == NULL)
			return ERR(p, "ike: unknown PRF '%.*s' in '%.*s' (%s)",
				   echo_len(t[1].len), t[1].s, ECHO_MAX, item, prf_list);
		g = alg_lookup(dh_names, N_OF(dh_names), t[2].s, t[2].len);
		if (g == NULL)
			return ERR(p, "ike: unknown DH group '%.*s' in '%.*s' (%s)",
				   echo_len(t[2].len), t[2].s, ECHO_MAX, item, dh_list);
		prop = (struct conf_ike_prop){ .encr = e->id, .keylen = e->keylen,
					       .prf = f->id, .dh = g->id };
		for (i = 0; i < ike->n_ike; i++)
			if (memcmp(&ike->ike[i], &prop, sizeof(prop)) == 0)
				return ERR(p, "ike: '%.*s' is given twice", ECHO_MAX, item);
		if (ike->n_ike >= CONF_IKE_MAX_PROPS)
			return ERR(p, "ike: too many proposals (max %d)", CONF_IKE_MAX_PROPS);
		ike->ike[ike->n_ike++] = prop;
	}
	return 0;
}

/* "esp = ENCR[-DH], ..." into ike->esp; DH (strongSwan's suffix) is the
 * PFS group of CHILD_SA rekeys, none without it. */
static int
parse_esp_list(struct parser *p, char *val, struct conf_ike *ike)
{
	char *cur = val, *item;
	unsigned i;

	ike->n_esp = 0;
	while ((item = conf_next_item(&cur)) != NULL) {
		const struct alg_name *e, *g = NULL;
		struct conf_esp_prop prop;
		struct tok t[2];
		unsigned n;

		if (*item == '\0')
			return ERR(p, "esp: empty list entry");
		n = split_dash(item, t, 2);
		if (n > 2 || t[0].len == 0 || (n == 2 && t[1].len == 0))
			return ERR(p, "esp: '%.*s' is not ENCR or ENCR-DH (e.g. "
				   "aes128gcm16-x25519)", ECHO_MAX, item);
		e = alg_lookup(encr_names, N_OF(encr_names), t[0].s, t[0].len);
		if (e == NULL)
			return ERR(p, "esp: unknown algorithm '%.*s' (%s)",
				   echo_len(t[0].len), t[0].s, encr_list);
		if (n == 2) {
			g = alg_lookup(dh_names, N_OF(dh_names), t[1].s, t[1].len);
			if (g == NULL)
				return ERR(p, "esp: unknown DH group '%.*s' in '%.*s' (%s)",
					   echo_len(t[1].len), t[1].s, ECHO_MAX, item,
					   dh_list);
		}
		prop = (struct conf_esp_prop){ .encr = e->id, .keylen = e->keylen,
					       .dh = g ? g->id : 0 };
		for (i = 0; i < ike->n_esp; i++)
			if (memcmp(&ike->esp[i], &prop, sizeof(prop)) == 0)
				return ERR(p, "esp: '%.*s' is given twice", ECHO_MAX, item);
		if (ike->n_esp >= CONF_IKE_MAX_PROPS)
			return ERR(p, "esp: too many proposals (max %d)", CONF_IKE_MAX_PROPS);
		ike->esp[ike->n_esp++] = prop;
	}
	return 0;
}

/* N, Ns, Nm, Nh or Nd as seconds; anything else, or more than 2^32 - 1 s, fails. */
static int
parse_duration(const char *s, uint32_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *q = s;

	for (; *q >= '0' && *q <= '9'; q++) {
		v = v * 10 + (uint64_t)(*q - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	if (q == s)
		return -1;
	switch (*q) {
	case '\0': break;
	case 's': break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	if (*q != '\0' && q[1] != '\0')
		return -1;
	if (v * mul > UINT32_MAX)
		return -1;
	*out = (uint32_t)(v * mul);
	return 0;
}

static int
set_duration(struct parser *p, const char *key, const char *val, uint32_t *out)
{
	if (parse_duration(val, out) < 0)
		return ERR(p, "%s: expected N, Ns, Nm, Nh or Nd (at most %u seconds), got '%.*s'",
			   key, UINT32_MAX, ECHO_MAX, val);
	return 0;
}

/*
 * An identity: IPv4 or IPv6 address, an email when it has '@', else an
 * FQDN. Text IDs are printable ASCII without spaces.
 */
static int
parse_id(struct parser *p, const char *key, const char *val, struct conf_ike_id *id)
{
	size_t i, len = strlen(val);
	const char *at;

	memset(id, 0, sizeof(*id));
	if (inet_pton(AF_INET, val, id->data) == 1) {
		id->type = ID_IPV4_ADDR;
		id->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, val, id->data) == 1) {
		id->type = ID_IPV6_ADDR;
		id->len = 16;
		return 0;
	}
	if (len > CONF_IKE_ID_MAX)
		return ERR(p, "%s: too long (max %d characters)", key, CONF_IKE_ID_MAX);
	for (i = 0; i < len; i++)
		if (val[i] <= ' ' || val[i] > '~')
			return ERR(p, "%s: '%.*s' has spaces or control characters", key,
				   ECHO_MAX, val);
	at = strchr(val, '@');
	/* strongSwan reads "@host" as an FQDN: refuse it rather than guess. */
	if (at != NULL && (at == val || at[1] == '\0'))
		return ERR(p, "%s: '%.*s' is not an email address (user@domain; an FQDN "
			   "is written without '@')", key, ECHO_MAX, val);
	id->type = at != NULL ? ID_RFC822_ADDR : ID_FQDN;
	id->len = (uint8_t)len;
	memcpy(id->data, val, len);
	return 0;
}

/* ---- key handlers ---- */

/* Stores the PSK: text as it is, or hex after "0x". Never echoed. */
static int
set_psk(struct parser *p, const char *key, const char *s)
{
	struct conf_ike *ike = &p->peer->ike;
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (conf_hex_decode(s, ike->psk, CONF_PSK_MAX, &n) < 0) {
			explicit_bzero(ike->psk, sizeof(ike->psk));
			return ERR(p, "%s: after 0x, expected an even number of hex digits", key);
		}
	} else {
		n = strlen(s);
		if (n <= CONF_PSK_MAX)
			memcpy(ike->psk, s, n);
	}
	if (n > CONF_PSK_MAX || n < CONF_PSK_MIN) {
		explicit_bzero(ike->psk, sizeof(ike->psk));
		if (n > CONF_PSK_MAX)
			return ERR(p, "%s: at most %d octets, got %zu", key, CONF_PSK_MAX, n);
		return ERR(p, "%s: at least %d octets, got %zu (RFC 7296 2.15: a short "
			   "PSK can be guessed)", key, CONF_PSK_MIN, n);
	}
	ike->psk_len = (uint16_t)n;
	ike->enabled = true;
	return 0;
}

int
conf_ike_psk(struct parser *p, char *val)
{
	if (conf_check_exclusive(p, K_PSK_FILE, K_PSK) < 0)
		return -1;
	return set_psk(p, "psk", val);
}

/* The first line of the file; white space at its end is not part of the key. */
int
conf_ike_psk_file(struct parser *p, char *val)
{
	char buf[PSK_FILE_MAX + 2];
	size_t got = 0, n;
	char *nl;
	int rc;

	if (conf_check_exclusive(p, K_PSK, K_PSK_FILE) < 0)
		return -1;
	rc = conf_read_secret_file(p, "psk-file", val, buf, PSK_FILE_MAX, &got);
	if (rc == 0) {
		nl = strchr(buf, '\n');
		if (nl != NULL)
			*nl = '\0';
		n = strlen(buf);
		while (n > 0 && (is_blank(buf[n - 1]) || buf[n - 1] == '\r' ||
				 buf[n - 1] == '\v' || buf[n - 1] == '\f'))
			buf[--n] = '\0';
		rc = set_psk(p, "psk-file", buf);
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

int
conf_ike_local_id(struct parser *p, char *val)
{
	return parse_id(p, "local-id", val, &p->peer->ike.local_id);
}

int
conf_ike_remote_id(struct parser *p, char *val)
{
	return parse_id(p, "remote-id", val, &p->peer->ike.remote_id);
}

int
conf_ike_proposals(struct parser *p, char *val)
{
	return parse_ike_list(p, val, &p->peer->ike);
}

int
conf_ike_esp(struct parser *p, char *val)
{
	return parse_esp_list(p, val, &p->peer->ike);
}

int
conf_ike_rekey_time(struct parser *p, char *val)
{
	return set_duration(p, "rekey-time", val, &p->peer->ike.rekey_s);
}

int
conf_ike_ike_rekey_time(struct parser *p, char *val)
{
	return set_duration(p, "ike-rekey-time", val, &p->peer->ike.ike_rekey_s);
}

int
conf_ike_dpd(struct parser *p, char *val)
{
	return set_duration(p, "dpd", val, &p->peer->ike.dpd_s);
}

int
conf_ike_initiate(struct parser *p, char *val)
{
	if (conf_parse_bool(val, &p->peer->ike.initiate) < 0)
		return ERR(p, "initiate: expected yes or no, got '%.*s'", ECHO_MAX, val);
	return 0;
}

/* ---- the end of a section ---- */

static const enum key_id static_keys[] = {
	K_CIPHER, K_SPI_OUT, K_KEY_OUT, K_KEY_OUT_FILE, K_SPI_IN, K_KEY_IN, K_KEY_IN_FILE,
};

static const enum key_id ike_only_keys[] = {
	K_LOCAL_ID, K_REMOTE_ID, K_IKE, K_ESP, K_REKEY_TIME, K_IKE_REKEY_TIME, K_DPD,
	K_INITIATE,
};

/* A static-key peer must not have IKEv2 keys: the first one is named. */
static int
check_no_ike_keys(struct parser *p)
{
	unsigned i, line = 0;
	enum key_id first = K_MAX;

	for (i = 0; i < N_OF(ike_only_keys); i++) {
		unsigned l = p->key_line[ike_only_keys[i]];

		if (l != 0 && (line == 0 || l < line)) {
			line = l;
			first = ike_only_keys[i];
		}
	}
	if (first == K_MAX)
		return 0;
	return conf_perr(p, line, "%s needs psk or psk-file (it is a key of an IKEv2 peer)",
			 conf_key_name(first));
}

/* An IKEv2 peer must not have static keys; reported at the later line. */
static int
check_no_static_keys(struct parser *p, enum key_id psk)
{
	unsigned i;

	for (i = 0; i < N_OF(static_keys); i++) {
		enum key_id k = static_keys[i], self = k, other = psk;

		if (p->key_line[k] == 0)
			continue;
		if (p->key_line[psk] > p->key_line[k]) {
			self = psk;
			other = k;
		}
		return conf_perr(p, p->key_line[self], "%s and %s are mutually exclusive "
				 "(%s at line %u): an IKEv2 peer negotiates its SAs and keys",
				 conf_key_name(self), conf_key_name(other),
				 conf_key_name(other), p->key_line[other]);
	}
	return 0;
}

static void
set_defaults(struct parser *p)
{
	struct conf_ike *ike = &p->peer->ike;
	char buf[sizeof(DEFAULT_IKE)];

	/* The defaults go through the parser, so they are what conf.h says;
	 * they cannot fail (a unit test parses them on their own too). */
	if (p->key_line[K_IKE] == 0) {
		memcpy(buf, DEFAULT_IKE, sizeof(DEFAULT_IKE));
		(void)parse_ike_list(p, buf, ike);
	}
	if (p->key_line[K_ESP] == 0) {
		memcpy(buf, DEFAULT_ESP, sizeof(DEFAULT_ESP));
		(void)parse_esp_list(p, buf, ike);
	}
	if (p->key_line[K_REKEY_TIME] == 0)
		ike->rekey_s = DEFAULT_REKEY_S;
	if (p->key_line[K_IKE_REKEY_TIME] == 0)
		ike->ike_rekey_s = DEFAULT_IKE_REKEY_S;
	if (p->key_line[K_DPD] == 0)
		ike->dpd_s = DEFAULT_DPD_S;
}

int
conf_ike_finish_peer(struct parser *p)
{
	struct conf_peer *peer = p->peer;
	struct conf_ike *ike = &peer->ike;
	bool has_endpoint = p->key_line[K_ENDPOINT] != 0;

	if (p->key_line[K_PSK] == 0 && p->key_line[K_PSK_FILE] == 0)
		return check_no_ike_keys(p) < 0 ? -1 : 0;
	if (check_no_static_keys(p, p->key_line[K_PSK] ? K_PSK : K_PSK_FILE) < 0)
		return -1;
	if (p->key_line[K_SUBNETS] == 0)
		return conf_perr(p, p->sec_line, "[peer %s]: missing subnets", peer->name);
	if (!has_endpoint) {
		/* Responder only: any address may connect with its remote-id. */
		peer->endpoint_ip = 0;
		peer->endpoint_port = CONF_IKE_PORT;
		if (p->key_line[K_REMOTE_ID] == 0)
			return conf_perr(p, p->sec_line,
					 "[peer %s]: missing remote-id (needed without endpoint)",
					 peer->name);
	} else if (!p->ep_port_given) {
		peer->endpoint_port = CONF_IKE_PORT;
	}
	if (p->key_line[K_REMOTE_ID] == 0) {
		ike->remote_id.type = ID_IPV4_ADDR;
		ike->remote_id.len = 4;
		memcpy(ike->remote_id.data, &peer->endpoint_ip, 4);
	}
	if (p->key_line[K_INITIATE] == 0)
		ike->initiate = has_endpoint;
	else if (ike->initiate && !has_endpoint)
		return conf_perr(p, p->key_line[K_INITIATE],
				 "initiate: yes needs an endpoint to send to");
	set_defaults(p);
	peer->spi_out = 0;
	peer->spi_in = 0;
	peer->keymat_len = 0;
	ike->enabled = true;
	return 1;
}

bool
conf_ike_same_remote(const struct conf_peer *a, const struct conf_peer *b)
{
	const struct conf_ike_id *x = &a->ike.remote_id, *y = &b->ike.remote_id;

	return x->type == y->type && x->len == y->len && memcmp(x->data, y->data, x->len) == 0;
}

void
conf_ike_late_defaults(struct conf_peer *peer, const struct conf_gateway *gw)
{
	struct conf_ike_id *id = &peer->ike.local_id;

	if (!peer->ike.enabled || id->len != 0)
		return;
	id->type = ID_IPV4_ADDR;
	id->len = 4;
	memcpy(id->data, &gw->wan_ip, 4);
}

/* ---- text for show config and messages ---- */

const char *
conf_ike_id_str(const struct conf_ike_id *id, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return buf;
	if (id == NULL) {
		snprintf(buf, len, "?");
	} else if ((id->type == ID_IPV4_ADDR && id->len == 4) ||
		   (id->type == ID_IPV6_ADDR && id->len == 16)) {
		int af = id->type == ID_IPV4_ADDR ? AF_INET : AF_INET6;

		snprintf(buf, len, "%s", inet_ntop(af, id->data, addr, sizeof(addr)) ? addr : "?");
	} else if (id->type == ID_FQDN || id->type == ID_RFC822_ADDR) {
		/* len is a uint8_t: never past data[CONF_IKE_ID_MAX] */
		snprintf(buf, len, "%.*s", (int)id->len, (const char *)id->data);
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

/* Moves *off past what snprintf wrote (at most to the end of buf). */
static void
advance(size_t *off, int n, size_t len)
{
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len;
}

const char *
conf_ike_props_str(const struct conf_ike *ike, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < ike->n_ike && i < CONF_IKE_MAX_PROPS && off < len; i++) {
		const struct conf_ike_prop *pr = &ike->ike[i];

		advance(&off, snprintf(buf + off, len - off, "%s%s-%s-%s", i ? ", " : "",
				       alg_str(encr_names, N_OF(encr_names), pr->encr, pr->keylen),
				       alg_str(prf_names, N_OF(prf_names), pr->prf, 0),
				       alg_str(dh_names, N_OF(dh_names), pr->dh, 0)), len);
	}
	return buf;
}

const char *
conf_esp_props_str(const struct conf_ike *ike, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < ike->n_esp && i < CONF_IKE_MAX_PROPS && off < len; i++) {
		const struct conf_esp_prop *pr = &ike->esp[i];

		advance(&off, snprintf(buf + off, len - off, "%s%s%s%s", i ? ", " : "",
				       alg_str(encr_names, N_OF(encr_names), pr->encr,
					       pr->keylen), pr->dh ? "-" : "",
				       pr->dh ? alg_str(dh_names, N_OF(dh_names), pr->dh, 0) :
				       ""), len);
	}
	return buf;
}
