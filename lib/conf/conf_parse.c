/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_parse: the INI parser of the gateway config.
 *
 * One pass over the text, line by line. Each key has a handler that checks
 * and stores its value; checks that need the whole section (required keys,
 * key length against the cipher) run when the section ends, and checks
 * across peers (names, SPIs, subnets) run against the peers already read.
 * Nothing here is DPDK and nothing touches the host, except reading the
 * key files a config names.
 *
 * The keys of an IKEv2 peer (psk, ids, proposals, times) are conf_ike.c's;
 * what the two files share is conf_priv.h.
 *
 * Key material only ever lives in the line buffer, the key file buffer and
 * the conf_peer itself; the first two are wiped as soon as they are used,
 * and error messages never echo a key value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_priv.h"

#define CONF_FILE_MAX (1u << 20)  /* 1 MiB */
#define CONF_LINE_MAX 4096
#define KEYFILE_MAX 4096
#define DEFAULT_PORT 4500
#define DEFAULT_STATE_FILE "/var/lib/pmdvpn/seq.state"
#define DEFAULT_INSIDE_NAME "vpn0"

int
conf_perr(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err == NULL || p->errlen == 0)
		return -1;
	/* line 0: the whole file is at fault, there is no line to name */
	n = line ? snprintf(p->err, p->errlen, "%s:%u: ", p->name, line)
		 : snprintf(p->err, p->errlen, "%s: ", p->name);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- small lexical helpers (locale independent) ---- */

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool
is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       is_digit(ch) || ch == '_' || ch == '.' || ch == '-';
}

/* [A-Za-z0-9_.-]{1,max} */
static bool
name_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || !is_name_char(s[i]))
			return false;
	return i > 0;
}

char *
conf_trim(char *s)
{
	char *e;

	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		e--;
	*e = '\0';
	return s;
}

/*
 * An unsigned number: decimal, or hex with 0x when hex_ok. No sign, no
 * spaces, no empty digits, nothing after the digits.
 */
static int
parse_uint(const char *s, bool hex_ok, uint64_t max, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (hex_ok && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		d = base == 16 ? hex_val(*s) : (is_digit(*s) ? *s - '0' : -1);
		if (d < 0)
			return -1;
		if (v > (max - (uint64_t)d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/*
 * Hex with an optional 0x prefix. Decodes into out while it fits and counts
 * all bytes in *n, so a too long key can be reported with its length.
 */
int
conf_hex_decode(const char *s, uint8_t *out, size_t outmax, size_t *n)
{
	size_t i, len;
	int hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	len = strlen(s);
	if (len == 0 || len % 2 != 0)
		return -1;
	for (i = 0; i < len / 2; i++) {
		hi = hex_val(s[2 * i]);
		lo = hex_val(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		if (i < outmax)
			out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return 0;
}

static int
parse_ipv4(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*ip = a.s_addr;
	return 0;
}

/* Is a network-order IPv4 address usable as a unicast host? */
static bool
ipv4_unicast(uint32_t ip)
{
	uint32_t h = ntohl(ip);

	return h != 0 && (h >> 28) != 0xe && (h >> 28) != 0xf && (h >> 24) != 127;
}

/* The host bits of byte i of a prefix of length len. */
static uint8_t
host_mask(unsigned i, unsigned len)
{
	unsigned lo = i * 8;

	if (lo + 8 <= len)
		return 0;
	return lo >= len ? 0xff : (uint8_t)(0xff >> (len - lo));
}

static bool
host_bits_zero(const struct conf_prefix *pfx)
{
	unsigned i;

	for (i = 0; i < sizeof(pfx->addr); i++)
		if (pfx->addr[i] & host_mask(i, pfx->len))
			return false;
	return true;
}

static void
clear_host_bits(struct conf_prefix *pfx)
{
	unsigned i;

	for (i = 0; i < sizeof(pfx->addr); i++)
		pfx->addr[i] &= (uint8_t)~host_mask(i, pfx->len);
}

/*
 * "ADDR/LEN" (IPv4 or IPv6). Without "/LEN" the prefix is a host route when
 * bare_ok, an error otherwise. Reports errors itself, naming `key`.
 */
static int
parse_prefix(struct parser *p, const char *key, const char *s, bool bare_ok,
	     struct conf_prefix *pfx)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t len;
	unsigned max;

	memset(pfx, 0, sizeof(*pfx));
	if (alen >= sizeof(addr))
		return ERR(p, "%s: '%.*s' is not an IPv4 or IPv6 prefix", key, ECHO_MAX, s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, pfx->addr) == 1) {
		pfx->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, pfx->addr) == 1) {
		pfx->family = AF_INET6;
		max = 128;
	} else {
		return ERR(p, "%s: '%.*s' is not an IPv4 or IPv6 prefix", key, ECHO_MAX, s);
	}
	if (slash == NULL) {
		if (!bare_ok)
			return ERR(p, "%s: '%.*s' needs a prefix length (ADDR/LEN)",
				   key, ECHO_MAX, s);
		len = max;
	} else if (parse_uint(slash + 1, false, max, &len) < 0) {
		return ERR(p, "%s: '%.*s': prefix length must be 0..%u", key, ECHO_MAX, s, max);
	}
	pfx->len = (uint8_t)len;
	return 0;
}

static bool
prefix_eq(const struct conf_prefix *a, const struct conf_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* "02:00:00:00:00:02" or with '-' */
static int
parse_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		hi = hex_val(s[3 * i]);
		lo = hex_val(s[3 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		if (i < 5 && s[3 * i + 2] != ':' && s[3 * i + 2] != '-')
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Splits a comma separated list in place; returns the next item or NULL. */
char *
conf_next_item(char **cursor)
{
	char *s = *cursor, *comma;

	if (s == NULL)
		return NULL;
	comma = strchr(s, ',');
	if (comma != NULL) {
		*comma = '\0';
		*cursor = comma + 1;
	} else {
		*cursor = NULL;
	}
	return conf_trim(s);
}

/* Devargs: printable, no spaces, fits its buffer. */
static int
parse_devargs(struct parser *p, const char *key, const char *val, char *out)
{
	size_t i, len = strlen(val);

	if (len >= CONF_DEVARGS_MAX)
		return ERR(p, "%s: value too long (max %d characters)", key, CONF_DEVARGS_MAX - 1);
	for (i = 0; i < len; i++)
		if (val[i] <= ' ' || val[i] > '~')
			return ERR(p, "%s: devargs must not contain spaces or control characters", key);
	memcpy(out, val, len + 1);
	return 0;
}

/* A PCI address, "0000:3b:00.1" or "3b:00.1", possibly followed by ",args". */
static bool
looks_like_pci(const char *s)
{
	const char *pat_long = "hhhh:hh:hh.d", *pat_short = "hh:hh.d";
	const char *pats[2] = { pat_long, pat_short };
	int k;

	for (k = 0; k < 2; k++) {
		const char *q = pats[k], *t = s;

		for (; *q != '\0'; q++, t++) {
			if (*q == 'h' ? hex_val(*t) < 0 :
			    *q == 'd' ? (*t < '0' || *t > '7') : *t != *q)
				break;
		}
		if (*q == '\0' && (*t == '\0' || *t == ','))
			return true;
	}
	return false;
}

/*
 * A path relative to the config's directory. Absolute paths are kept, and
 * relative ones stay relative when the config was named without a directory.
 */
static int
resolve_path(struct parser *p, const char *key, const char *val, char *out, size_t outlen)
{
	size_t dlen = strlen(p->dir);
	int n;

	if (val[0] == '/' || dlen == 0)
		n = snprintf(out, outlen, "%s", val);
	else
		n = snprintf(out, outlen, "%s%s%s", p->dir,
			     p->dir[dlen - 1] == '/' ? "" : "/", val);
	if (n < 0 || (size_t)n >= outlen)
		return ERR(p, "%s: path too long", key);
	return 0;
}

int
conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* ---- [gateway] keys ---- */

static int
gw_wan(struct parser *p, char *val)
{
	return parse_devargs(p, "wan", val, p->c->gw.wan);
}

static int
gw_wan_address(struct parser *p, char *val)
{
	struct conf_gateway *gw = &p->c->gw;
	struct conf_prefix pfx;
	uint32_t ip, host;

	if (parse_prefix(p, "wan-address", val, false, &pfx) < 0)
		return -1;
	if (pfx.family != AF_INET)
		return ERR(p, "wan-address: '%.*s' is not IPv4", ECHO_MAX, val);
	if (pfx.len == 0)
		return ERR(p, "wan-address: prefix length must be 1..32");
	memcpy(&ip, pfx.addr, 4);
	if (!ipv4_unicast(ip))
		return ERR(p, "wan-address: '%.*s' is not a unicast address", ECHO_MAX, val);
	/* On a /30 or wider the all-zeros and all-ones hosts are not hosts. */
	host = ntohl(ip) & (pfx.len == 32 ? 0 : 0xffffffffu >> pfx.len);
	if (pfx.len <= 30 && (host == 0 || host == 0xffffffffu >> pfx.len))
		return ERR(p, "wan-address: '%.*s' is the network or broadcast address",
			   ECHO_MAX, val);
	gw->wan_ip = ip;
	gw->wan_prefixlen = pfx.len;
	return 0;
}

static int
gw_wan_gateway(struct parser *p, char *val)
{
	uint32_t ip;

	if (parse_ipv4(val, &ip) < 0)
		return ERR(p, "wan-gateway: '%.*s' is not an IPv4 address", ECHO_MAX, val);
	if (!ipv4_unicast(ip))
		return ERR(p, "wan-gateway: '%.*s' is not a unicast address", ECHO_MAX, val);
	p->c->gw.wan_gateway = ip;
	return 0;
}

static int
gw_inside(struct parser *p, char *val)
{
	struct conf_gateway *gw = &p->c->gw;

	if (strcmp(val, "tap") == 0) {
		gw->inside = CONF_INSIDE_TAP;
		return 0;
	}
	if (strcmp(val, "virtio-user") == 0) {
		gw->inside = CONF_INSIDE_VIRTIO_USER;
		return 0;
	}
	if (strchr(val, ',') == NULL && strncmp(val, "net_", 4) != 0 && !looks_like_pci(val))
		return ERR(p, "inside: expected tap, virtio-user or the devargs of a LAN port, got '%.*s'",
			   ECHO_MAX, val);
	if (parse_devargs(p, "inside", val, gw->inside_devargs) < 0)
		return -1;
	gw->inside = CONF_INSIDE_PORT;
	return 0;
}

static int
gw_inside_offload(struct parser *p, char *val)
{
	if (conf_parse_bool(val, &p->c->gw.inside_offload) < 0)
		return ERR(p, "inside-offload: expected yes or no, got '%.*s'", ECHO_MAX, val);
	return 0;
}

static int
gw_inside_name(struct parser *p, char *val)
{
	if (!name_ok(val, CONF_IFNAME_MAX - 1) || strcmp(val, ".") == 0 ||
	    strcmp(val, "..") == 0)
		return ERR(p, "inside-name: '%.*s' is not an interface name (1..%d of [A-Za-z0-9_.-])",
			   ECHO_MAX, val, CONF_IFNAME_MAX - 1);
	strcpy(p->c->gw.inside_name, val);
	return 0;
}

/* The wan-kernel TAP: an interface name, as inside-name. */
static int
gw_wan_kernel(struct parser *p, char *val)
{
	if (!name_ok(val, CONF_IFNAME_MAX - 1) || strcmp(val, ".") == 0 ||
	    strcmp(val, "..") == 0)
		return ERR(p, "wan-kernel: '%.*s' is not an interface name (1..%d of [A-Za-z0-9_.-])",
			   ECHO_MAX, val, CONF_IFNAME_MAX - 1);
	strcpy(p->c->gw.wan_kernel, val);
	return 0;
}

/* Whether the WAN port is a vdev opened on kernel interface `name`
 * (iface=NAME in its devargs): wan-kernel must not take that name. */
static bool
wan_iface_is(const char *devargs, const char *name)
{
	const char *s = devargs;
	size_t n = strlen(name);

	while ((s = strstr(s, "iface=")) != NULL) {
		if ((s == devargs || s[-1] == ',') && strncmp(s + 6, name, n) == 0 &&
		    (s[6 + n] == '\0' || s[6 + n] == ','))
			return true;
		s += 6;
	}
	return false;
}

static int
gw_inside_address(struct parser *p, char *val)
{
	struct conf_gateway *gw = &p->c->gw;
	char *cur = val, *item;
	struct conf_prefix pfx;
	unsigned i;

	while ((item = conf_next_item(&cur)) != NULL) {
		if (*item == '\0')
			return ERR(p, "inside-address: empty list entry");
		if (parse_prefix(p, "inside-address", item, false, &pfx) < 0)
			return -1;
		if (pfx.len == 0)
			return ERR(p, "inside-address: '%.*s': prefix length must not be 0",
				   ECHO_MAX, item);
		for (i = 0; i < gw->n_inside_addr; i++)
			if (prefix_eq(&gw->inside_addr[i], &pfx))
				return ERR(p, "inside-address: '%.*s' given twice", ECHO_MAX, item);
		if (gw->n_inside_addr >= CONF_MAX_INSIDE_ADDR)
			return ERR(p, "inside-address: too many addresses (max %d)",
				   CONF_MAX_INSIDE_ADDR);
		gw->inside_addr[gw->n_inside_addr++] = pfx;
	}
	return 0;
}

static int
gw_neighbour(struct parser *p, char *val)
{
	struct conf_gateway *gw = &p->c->gw;
	struct conf_neigh nb;
	char *mac = val;
	unsigned i;

	while (*mac != '\0' && !is_space(*mac))
		mac++;
	if (*mac == '\0')
		return ERR(p, "neighbour: expected 'IPV4 MAC'");
	*mac++ = '\0';
	mac = conf_trim(mac);
	if (parse_ipv4(val, &nb.ip) < 0 || !ipv4_unicast(nb.ip))
		return ERR(p, "neighbour: '%.*s' is not a unicast IPv4 address", ECHO_MAX, val);
	if (parse_mac(mac, nb.mac) < 0)
		return ERR(p, "neighbour: '%.*s' is not a MAC address (xx:xx:xx:xx:xx:xx)",
			   ECHO_MAX, mac);
	if ((nb.mac[0] & 1) ||
	    (nb.mac[0] | nb.mac[1] | nb.mac[2] | nb.mac[3] | nb.mac[4] | nb.mac[5]) == 0)
		return ERR(p, "neighbour: '%s' is not a unicast MAC address", mac);
	for (i = 0; i < gw->n_neigh; i++)
		if (gw->neigh[i].ip == nb.ip)
			return ERR(p, "neighbour: %s is given twice", val);
	if (gw->n_neigh >= CONF_MAX_NEIGH)
		return ERR(p, "neighbour: too many neighbours (max %d)", CONF_MAX_NEIGH);
	gw->neigh[gw->n_neigh++] = nb;
	return 0;
}

static int
gw_state_file(struct parser *p, char *val)
{
	return resolve_path(p, "state-file", val, p->c->gw.state_file,
			    sizeof(p->c->gw.state_file));
}

static int
gw_crypto(struct parser *p, char *val)
{
	if (aead_impl_parse(val, &p->c->gw.crypto) < 0)
		return ERR(p, "crypto: expected ipsec-mb or openssl, got '%.*s'", ECHO_MAX, val);
	return 0;
}

static int
gw_wan_mtu(struct parser *p, char *val)
{
	uint64_t v;

	if (parse_uint(val, false, UINT16_MAX, &v) < 0 || v < 576 || v > 9000)
		return ERR(p, "wan-mtu: expected 576..9000, got '%.*s'", ECHO_MAX, val);
	p->c->gw.wan_mtu = (uint16_t)v;
	return 0;
}

static int
gw_udp_port(struct parser *p, char *val)
{
	uint64_t v;

	if (parse_uint(val, false, UINT16_MAX, &v) < 0 || v == 0)
		return ERR(p, "udp-port: expected 1..65535, got '%.*s'", ECHO_MAX, val);
	p->c->gw.udp_port = (uint16_t)v;
	return 0;
}

/* ---- [peer NAME] keys ---- */

static int
peer_endpoint(struct parser *p, char *val)
{
	struct conf_peer *peer = p->peer;
	char *colon = strchr(val, ':');
	/* An IKEv2 peer's port is the IKE port; in a file, psk may come after
	 * the endpoint: conf_ike_finish_peer() then fixes a default port. */
	uint64_t port = peer->ike.enabled ? CONF_IKE_PORT : DEFAULT_PORT;

	if (colon != NULL) {
		*colon = '\0';
		if (parse_uint(colon + 1, false, UINT16_MAX, &port) < 0 || port == 0)
			return ERR(p, "endpoint: port must be 1..65535, got '%.*s'",
				   ECHO_MAX, colon + 1);
	}
	if (parse_ipv4(val, &peer->endpoint_ip) < 0)
		return ERR(p, "endpoint: '%.*s' is not an IPv4 address", ECHO_MAX, val);
	if (!ipv4_unicast(peer->endpoint_ip) || peer->endpoint_ip == 0xffffffffu)
		return ERR(p, "endpoint: '%.*s' is not a unicast address", ECHO_MAX, val);
	peer->endpoint_port = (uint16_t)port;
	p->ep_port_given = colon != NULL;
	return 0;
}

static int
peer_subnets(struct parser *p, char *val)
{
	struct conf_peer *peer = p->peer;
	char *cur = val, *item;
	struct conf_prefix pfx;
	char buf[INET6_ADDRSTRLEN + 4];
	unsigned i;

	while ((item = conf_next_item(&cur)) != NULL) {
		if (*item == '\0')
			return ERR(p, "subnets: empty list entry");
		if (parse_prefix(p, "subnets", item, true, &pfx) < 0)
			return -1;
		if (!host_bits_zero(&pfx)) {
			struct conf_prefix net = pfx;

			clear_host_bits(&net);
			return ERR(p, "subnets: %.*s has host bits set (did you mean %s?)",
				   ECHO_MAX, item, conf_prefix_str(&net, buf, sizeof(buf)));
		}
		for (i = 0; i < peer->n_subnets; i++)
			if (prefix_eq(&peer->subnets[i], &pfx))
				return ERR(p, "subnets: %s is given twice",
					   conf_prefix_str(&pfx, buf, sizeof(buf)));
		if (peer->n_subnets >= CONF_MAX_SUBNETS)
			return ERR(p, "subnets: too many subnets (max %d)", CONF_MAX_SUBNETS);
		peer->subnets[peer->n_subnets++] = pfx;
	}
	return 0;
}

static int
peer_cipher(struct parser *p, char *val)
{
	if (aead_alg_parse(val, &p->peer->cipher) < 0)
		return ERR(p, "cipher: expected aes-128-gcm, aes-256-gcm or chacha20-poly1305, got '%.*s'",
			   ECHO_MAX, val);
	return 0;
}

static int
parse_spi(struct parser *p, const char *key, const char *val, uint32_t *spi)
{
	uint64_t v;

	if (parse_uint(val, true, UINT32_MAX, &v) < 0)
		return ERR(p, "%s: expected a number (decimal or 0x hex), got '%.*s'",
			   key, ECHO_MAX, val);
	if (v < 256)
		return ERR(p, "%s: SPIs 0..255 are reserved (RFC 4303)", key);
	*spi = (uint32_t)v;
	return 0;
}

static int
peer_spi_out(struct parser *p, char *val)
{
	return parse_spi(p, "spi-out", val, &p->peer->spi_out);
}

static int
peer_spi_in(struct parser *p, char *val)
{
	return parse_spi(p, "spi-in", val, &p->peer->spi_in);
}

/*
 * Stores hex key material for one direction and remembers where it came
 * from; its length is checked against the cipher when the section ends.
 * Never echoes the value.
 */
static int
set_keymat(struct parser *p, enum key_id id, const char *hex, uint8_t *dst,
	   struct keymat_src *src, const char *what)
{
	size_t n = 0;

	if (conf_hex_decode(hex, dst, CONF_KEYMAT_MAX, &n) < 0)
		return ERR(p, "%s: expected an even number of hex digits", what);
	src->id = id;
	src->line = p->line;
	src->n = n;
	return 0;
}

/* key-out vs key-out-file (and the same for key-in): only one may be given. */
static const struct key_def keys[K_MAX];

const char *
conf_key_name(enum key_id id)
{
	return keys[id].name;
}

int
conf_check_exclusive(struct parser *p, enum key_id other, enum key_id self)
{
	if (p->key_line[other] != 0)
		return ERR(p, "%s and %s are mutually exclusive (%s at line %u)",
			   keys[self].name, keys[other].name, keys[other].name,
			   p->key_line[other]);
	return 0;
}

static int
peer_key_out(struct parser *p, char *val)
{
	if (conf_check_exclusive(p, K_KEY_OUT_FILE, K_KEY_OUT) < 0)
		return -1;
	return set_keymat(p, K_KEY_OUT, val, p->peer->key_out, &p->src_out, "key-out");
}

static int
peer_key_in(struct parser *p, char *val)
{
	if (conf_check_exclusive(p, K_KEY_IN_FILE, K_KEY_IN) < 0)
		return -1;
	return set_keymat(p, K_KEY_IN, val, p->peer->key_in, &p->src_in, "key-in");
}

/*
 * Reads a key file: a regular file that only its owner may read or write
 * (like ssh private keys). The file is stat()ed before it is opened, so
 * that a config naming a device or a FIFO fails without any side effect of
 * opening it.
 */
int
conf_read_secret_file(struct parser *p, const char *key, const char *val, char *buf,
		      size_t max, size_t *got)
{
	char path[PATH_MAX];
	struct stat st, fst;
	ssize_t r = 0;
	size_t n = 0;
	int fd;

	buf[0] = '\0';
	if (resolve_path(p, key, val, path, sizeof(path)) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return ERR(p, "%s: %.*s: %s", key, ECHO_MAX, val, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ERR(p, "%s: %.*s is not a regular file", key, ECHO_MAX, val);
	if (st.st_mode & 077)
		return ERR(p, "%s: %.*s is accessible by group or others (mode %04o); "
			   "chmod 600 it", key, ECHO_MAX, val, (unsigned)(st.st_mode & 07777));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return ERR(p, "%s: %.*s: %s", key, ECHO_MAX, val, strerror(errno));
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) || (fst.st_mode & 077) ||
	    fst.st_ino != st.st_ino || fst.st_dev != st.st_dev) {
		close(fd);
		return ERR(p, "%s: %.*s changed while it was read", key, ECHO_MAX, val);
	}
	/* Up to one byte more than allowed, to tell a file that is too long. */
	while (n < max + 1) {
		r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*got = n;
	if (r < 0)
		return ERR(p, "%s: %.*s: read error", key, ECHO_MAX, val);
	if (n > max)
		return ERR(p, "%s: %.*s is too large for a key file", key, ECHO_MAX, val);
	if (memchr(buf, '\0', n) != NULL)
		return ERR(p, "%s: %.*s: found a NUL byte", key, ECHO_MAX, val);
	return 0;
}

/* A key file holds the hex and optional white space. */
static int
read_key_file(struct parser *p, const char *key, const char *val, uint8_t *dst,
	      struct keymat_src *src, enum key_id id)
{
	char buf[KEYFILE_MAX + 2];
	size_t got = 0;
	int rc;

	rc = conf_read_secret_file(p, key, val, buf, KEYFILE_MAX, &got);
	if (rc == 0)
		rc = set_keymat(p, id, conf_trim(buf), dst, src, key);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int
peer_key_out_file(struct parser *p, char *val)
{
	if (conf_check_exclusive(p, K_KEY_OUT, K_KEY_OUT_FILE) < 0)
		return -1;
	return read_key_file(p, "key-out-file", val, p->peer->key_out, &p->src_out,
			     K_KEY_OUT_FILE);
}

static int
peer_key_in_file(struct parser *p, char *val)
{
	if (conf_check_exclusive(p, K_KEY_IN, K_KEY_IN_FILE) < 0)
		return -1;
	return read_key_file(p, "key-in-file", val, p->peer->key_in, &p->src_in,
			     K_KEY_IN_FILE);
}

static int
peer_esn(struct parser *p, char *val)
{
	if (conf_parse_bool(val, &p->peer->esn) < 0)
		return ERR(p, "esn: expected yes or no, got '%.*s'", ECHO_MAX, val);
	return 0;
}

static int
peer_replay_window(struct parser *p, char *val)
{
	uint64_t v;

	if (parse_uint(val, false, UINT32_MAX, &v) < 0 || (v != 0 && (v < 32 || v > 65536)))
		return ERR(p, "replay-window: expected 0 (off) or 32..65536, got '%.*s'",
			   ECHO_MAX, val);
	p->peer->replay_window = (uint32_t)v;
	return 0;
}

static int
peer_encap(struct parser *p, char *val)
{
	if (strcmp(val, "udp") == 0)
		p->peer->udp_encap = true;
	else if (strcmp(val, "none") == 0)
		p->peer->udp_encap = false;
	else
		return ERR(p, "encap: expected udp or none, got '%.*s'", ECHO_MAX, val);
	return 0;
}

static const struct key_def keys[K_MAX] = {
	[K_WAN] = { "wan", SEC_GATEWAY, false, gw_wan },
	[K_WAN_ADDRESS] = { "wan-address", SEC_GATEWAY, false, gw_wan_address },
	[K_WAN_GATEWAY] = { "wan-gateway", SEC_GATEWAY, false, gw_wan_gateway },
	[K_INSIDE] = { "inside", SEC_GATEWAY, false, gw_inside },
	[K_INSIDE_NAME] = { "inside-name", SEC_GATEWAY, false, gw_inside_name },
	[K_INSIDE_ADDRESS] = { "inside-address", SEC_GATEWAY, true, gw_inside_address },
	[K_NEIGHBOUR] = { "neighbour", SEC_GATEWAY, true, gw_neighbour },
	[K_STATE_FILE] = { "state-file", SEC_GATEWAY, false, gw_state_file },
	[K_CRYPTO] = { "crypto", SEC_GATEWAY, false, gw_crypto },
	[K_WAN_MTU] = { "wan-mtu", SEC_GATEWAY, false, gw_wan_mtu },
	[K_UDP_PORT] = { "udp-port", SEC_GATEWAY, false, gw_udp_port },
	[K_INSIDE_OFFLOAD] = { "inside-offload", SEC_GATEWAY, false, gw_inside_offload },
	[K_WAN_KERNEL] = { "wan-kernel", SEC_GATEWAY, false, gw_wan_kernel },
	[K_ENDPOINT] = { "endpoint", SEC_PEER, false, peer_endpoint },
	[K_SUBNETS] = { "subnets", SEC_PEER, false, peer_subnets },
	[K_CIPHER] = { "cipher", SEC_PEER, false, peer_cipher },
	[K_SPI_OUT] = { "spi-out", SEC_PEER, false, peer_spi_out },
	[K_KEY_OUT] = { "key-out", SEC_PEER, false, peer_key_out },
	[K_KEY_OUT_FILE] = { "key-out-file", SEC_PEER, false, peer_key_out_file },
	[K_SPI_IN] = { "spi-in", SEC_PEER, false, peer_spi_in },
	[K_KEY_IN] = { "key-in", SEC_PEER, false, peer_key_in },
	[K_KEY_IN_FILE] = { "key-in-file", SEC_PEER, false, peer_key_in_file },
	[K_ESN] = { "esn", SEC_PEER, false, peer_esn },
	[K_REPLAY_WINDOW] = { "replay-window", SEC_PEER, false, peer_replay_window },
	[K_ENCAP] = { "encap", SEC_PEER, false, peer_encap },
	[K_PSK] = { "psk", SEC_PEER, false, conf_ike_psk },
	[K_PSK_FILE] = { "psk-file", SEC_PEER, false, conf_ike_psk_file },
	[K_LOCAL_ID] = { "local-id", SEC_PEER, false, conf_ike_local_id },
	[K_REMOTE_ID] = { "remote-id", SEC_PEER, false, conf_ike_remote_id },
	[K_IKE] = { "ike", SEC_PEER, false, conf_ike_proposals },
	[K_ESP] = { "esp", SEC_PEER, false, conf_ike_esp },
	[K_REKEY_TIME] = { "rekey-time", SEC_PEER, false, conf_ike_rekey_time },
	[K_IKE_REKEY_TIME] = { "ike-rekey-time", SEC_PEER, false, conf_ike_ike_rekey_time },
	[K_DPD] = { "dpd", SEC_PEER, false, conf_ike_dpd },
	[K_INITIATE] = { "initiate", SEC_PEER, false, conf_ike_initiate },
};

/* ---- sections ---- */

static int
finish_gateway(struct parser *p)
{
	const struct conf_gateway *gw = &p->c->gw;

	if (p->key_line[K_WAN] == 0)
		return conf_perr(p, p->sec_line, "[gateway]: missing wan");
	if (p->key_line[K_WAN_ADDRESS] == 0)
		return conf_perr(p, p->sec_line, "[gateway]: missing wan-address");
	if (gw->wan_gateway != 0 && gw->wan_gateway == gw->wan_ip)
		return conf_perr(p, p->key_line[K_WAN_GATEWAY],
				 "wan-gateway: is this gateway's own wan-address");
	if (gw->inside == CONF_INSIDE_PORT && strcmp(gw->inside_devargs, gw->wan) == 0)
		return conf_perr(p, p->key_line[K_INSIDE], "inside: is the same port as wan");
	if (gw->wan_kernel[0] != '\0' && gw->inside != CONF_INSIDE_PORT &&
	    strcmp(gw->wan_kernel, gw->inside_name) == 0)
		return conf_perr(p, p->key_line[K_WAN_KERNEL],
				 "wan-kernel: '%s' is the inside-name too", gw->wan_kernel);
	if (gw->wan_kernel[0] != '\0' && wan_iface_is(gw->wan, gw->wan_kernel))
		return conf_perr(p, p->key_line[K_WAN_KERNEL],
				 "wan-kernel: '%s' is the interface of the wan port", gw->wan_kernel);
	return 0;
}

static int
check_keymat_len(struct parser *p, const struct keymat_src *src)
{
	const struct conf_peer *peer = p->peer;

	if (src->n != peer->keymat_len)
		return conf_perr(p, src->line,
				 "%s: expected %zu bytes of hex for %s, got %zu (the key, then a 4-byte salt)",
				 keys[src->id].name, peer->keymat_len,
				 aead_alg_name(peer->cipher), src->n);
	return 0;
}

/* A static-key peer: required keys, key lengths. */
static int
finish_static_peer(struct parser *p)
{
	static const enum key_id required[] = { K_ENDPOINT, K_SUBNETS, K_CIPHER,
						K_SPI_OUT, K_SPI_IN };
	struct conf_peer *peer = p->peer;
	unsigned i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (p->key_line[required[i]] == 0)
			return conf_perr(p, p->sec_line, "[peer %s]: missing %s", peer->name,
					 keys[required[i]].name);
	if (p->src_out.line == 0)
		return conf_perr(p, p->sec_line, "[peer %s]: missing key-out (or key-out-file)",
				 peer->name);
	if (p->src_in.line == 0)
		return conf_perr(p, p->sec_line, "[peer %s]: missing key-in (or key-in-file)",
				 peer->name);
	peer->keymat_len = aead_key_len(peer->cipher) + 4;
	if (check_keymat_len(p, &p->src_out) < 0 || check_keymat_len(p, &p->src_in) < 0)
		return -1;
	/* The same key both ways repeats nonces (both sides count from 1).
	 * The one exception is a loopback peer (spi-in == spi-out), used with
	 * a reflector for benchmarks: then there is a single SA whose
	 * sequence numbers come from one counter, so no nonce repeats. */
	if (memcmp(peer->key_out, peer->key_in, peer->keymat_len) == 0 &&
	    peer->spi_in != peer->spi_out)
		return conf_perr(p, p->src_in.line,
				 "%s: must differ from %s: use one key per direction",
				 keys[p->src_in.id].name, keys[p->src_out.id].name);
	return 0;
}

/* Required keys, key lengths, and what must differ from the peers before. */
static int
finish_peer(struct parser *p)
{
	struct conf_peer *peer = p->peer;
	const struct conf_peer *o;
	char buf[INET6_ADDRSTRLEN + 4], idbuf[ECHO_MAX + 1];
	unsigned j, k;
	int ike = conf_ike_finish_peer(p);

	if (ike < 0 || (ike == 0 && finish_static_peer(p) < 0))
		return -1;
	for (o = p->c->peers; o < peer; o++) {
		/* An IKEv2 peer has no SPIs until its CHILD_SA is negotiated. */
		bool both_static = !o->ike.enabled && !peer->ike.enabled;

		if (both_static && o->spi_in == peer->spi_in)
			return conf_perr(p, p->key_line[K_SPI_IN],
					 "spi-in: 0x%08x is already used by peer %s",
					 peer->spi_in, o->name);
		if (both_static && o->spi_out == peer->spi_out)
			return conf_perr(p, p->key_line[K_SPI_OUT],
					 "spi-out: 0x%08x is already used by peer %s",
					 peer->spi_out, o->name);
		/* Without its own remote-id, the endpoint's address is the ID. */
		if (o->ike.enabled && peer->ike.enabled && conf_ike_same_remote(o, peer))
			return conf_perr(p, p->key_line[K_REMOTE_ID] ? p->key_line[K_REMOTE_ID]
								    : p->key_line[K_ENDPOINT],
					 "remote-id: %s is also peer %s's",
					 conf_ike_id_str(&peer->ike.remote_id, idbuf, sizeof(idbuf)),
					 o->name);
		for (j = 0; j < peer->n_subnets; j++)
			for (k = 0; k < o->n_subnets; k++)
				if (prefix_eq(&peer->subnets[j], &o->subnets[k]))
					return conf_perr(p, p->key_line[K_SUBNETS],
							 "subnets: %s is already routed to peer %s",
							 conf_prefix_str(&peer->subnets[j], buf,
									 sizeof(buf)),
							 o->name);
	}
	return 0;
}

static int
finish_section(struct parser *p)
{
	int rc = 0;

	if (p->sec == SEC_GATEWAY)
		rc = finish_gateway(p);
	else if (p->sec == SEC_PEER)
		rc = finish_peer(p);
	p->sec = SEC_NONE;
	p->peer = NULL;
	return rc;
}

static void
begin_section(struct parser *p, enum section sec)
{
	p->sec = sec;
	p->sec_line = p->line;
	memset(p->key_line, 0, sizeof(p->key_line));
	memset(&p->src_out, 0, sizeof(p->src_out));
	memset(&p->src_in, 0, sizeof(p->src_in));
}

static int
begin_peer(struct parser *p, const char *name)
{
	struct conf *c = p->c;
	struct conf_peer *peer;
	unsigned i;

	if (!name_ok(name, CONF_NAME_MAX - 1))
		return ERR(p, "[peer NAME]: the name must be 1..%d of [A-Za-z0-9_.-]",
			   CONF_NAME_MAX - 1);
	for (i = 0; i < c->n_peers; i++)
		if (strcmp(c->peers[i].name, name) == 0)
			return ERR(p, "duplicate peer name '%s' (first at line %u)", name,
				   c->peers[i].line);
	if (c->n_peers >= CONF_MAX_PEERS)
		return ERR(p, "too many peers (max %d)", CONF_MAX_PEERS);
	peer = &c->peers[c->n_peers++];
	strcpy(peer->name, name);
	peer->line = p->line;
	peer->endpoint_port = DEFAULT_PORT;
	peer->esn = true;
	peer->replay_window = 1024;
	peer->udp_encap = true;
	begin_section(p, SEC_PEER);
	p->peer = peer;
	return 0;
}

/* "[gateway]" or "[peer NAME]", already stripped of comments and trimmed. */
static int
parse_header(struct parser *p, char *s)
{
	size_t len = strlen(s);
	char *word, *rest;

	if (p->peer_only)
		return ERR(p, "no [section] header here: only the peer's 'key = value' settings");
	if (s[len - 1] != ']')
		return ERR(p, "a section header must end with ']'");
	s[len - 1] = '\0';
	word = conf_trim(s + 1);
	for (rest = word; *rest != '\0' && !is_space(*rest); rest++)
		;
	if (*rest != '\0')
		*rest++ = '\0';
	rest = conf_trim(rest);

	if (finish_section(p) < 0)
		return -1;
	if (strcmp(word, "gateway") == 0) {
		if (*rest != '\0')
			return ERR(p, "[gateway] takes no name");
		if (p->gw_line != 0)
			return ERR(p, "duplicate [gateway] section (first at line %u)", p->gw_line);
		p->gw_line = p->line;
		begin_section(p, SEC_GATEWAY);
		return 0;
	}
	if (strcmp(word, "peer") == 0) {
		if (*rest == '\0')
			return ERR(p, "[peer] needs a name: [peer NAME]");
		return begin_peer(p, rest);
	}
	if (name_ok(word, 32))
		return ERR(p, "unknown section [%s] (expected [gateway] or [peer NAME])", word);
	return ERR(p, "unknown section (expected [gateway] or [peer NAME])");
}

static int
parse_keyval(struct parser *p, char *s)
{
	char *eq = strchr(s, '=');
	char *key, *val;
	int id;

	if (eq == NULL)
		return ERR(p, "expected 'key = value' or a [section] header");
	*eq = '\0';
	key = conf_trim(s);
	val = conf_trim(eq + 1);
	if (p->sec == SEC_NONE)
		return ERR(p, "'key = value' before the first [section]");
	if (*key == '\0')
		return ERR(p, "missing key before '='");
	for (id = 0; id < K_MAX; id++)
		if (keys[id].sec == p->sec && strcmp(keys[id].name, key) == 0)
			break;
	if (id == K_MAX) {
		const char *sec = p->sec == SEC_GATEWAY ? "[gateway]" : "[peer]";

		/* Echo only what looks like a key name, never a stray value. */
		if (name_ok(key, 32))
			return ERR(p, "unknown key '%s' in %s", key, sec);
		return ERR(p, "unknown key in %s", sec);
	}
	if (p->key_line[id] != 0 && !keys[id].repeatable)
		return ERR(p, "duplicate key '%s' (first at line %u)", key, p->key_line[id]);
	if (*val == '\0')
		return ERR(p, "%s: empty value", key);
	if (p->key_line[id] == 0)
		p->key_line[id] = p->line;
	return keys[id].fn(p, val);
}

/*
 * Cuts a comment: '#' or ';' at the start of the (trimmed) line, or after
 * white space.
 */
static void
strip_comment(char *s)
{
	char *q;

	for (q = s; *q != '\0'; q++) {
		if ((*q == '#' || *q == ';') && (q == s || is_space(q[-1]))) {
			*q = '\0';
			return;
		}
	}
}

static int
parse_line(struct parser *p, char *s)
{
	strip_comment(s);
	s = conf_trim(s);
	if (*s == '\0')
		return 0;
	if (*s == '[')
		return parse_header(p, s);
	return parse_keyval(p, s);
}

static int
parse_text(struct parser *p, const char *text, size_t len)
{
	char line[CONF_LINE_MAX + 2];
	size_t off = 0, n;
	const char *nl;
	int rc = 0;

	while (off < len) {
		p->line++;
		nl = memchr(text + off, '\n', len - off);
		n = nl ? (size_t)(nl - (text + off)) : len - off;
		if (n > 0 && text[off + n - 1] == '\r')
			n--;
		if (n > CONF_LINE_MAX)
			return ERR(p, "line too long (max %d characters)", CONF_LINE_MAX);
		if (memchr(text + off, '\0', n) != NULL)
			return ERR(p, "NUL byte in the line");
		memcpy(line, text + off, n);
		line[n] = '\0';
		rc = parse_line(p, line);
		/* The line may have held a key. */
		explicit_bzero(line, n + 1);
		if (rc < 0)
			return -1;
		off += nl ? (size_t)(nl - (text + off)) + 1 : len - off;
	}
	if (p->line == 0)
		p->line = 1;
	return finish_section(p);
}

static void
set_defaults(struct conf_gateway *gw)
{
	gw->wan_mtu = 1500;
	gw->udp_port = DEFAULT_PORT;
	gw->inside = CONF_INSIDE_TAP;
	gw->inside_offload = true;
	strcpy(gw->inside_name, DEFAULT_INSIDE_NAME);
	strcpy(gw->state_file, DEFAULT_STATE_FILE);
	gw->crypto = AEAD_IMPL_IMB;
}

/* Checks that need both the gateway and the peers. */
static int
check_all(struct parser *p)
{
	struct conf *c = p->c;
	unsigned i;

	if (p->gw_line == 0)
		return conf_perr(p, 0, "no [gateway] section");
	for (i = 0; i < c->n_peers; i++)
		conf_ike_late_defaults(&c->peers[i], &c->gw);
	for (i = 0; i < c->n_peers; i++)
		if (c->peers[i].endpoint_ip == c->gw.wan_ip)
			return conf_perr(p, c->peers[i].line,
					 "[peer %s]: endpoint is this gateway's own wan-address",
					 c->peers[i].name);
	return 0;
}

int
conf_parse(const char *text, size_t len, const char *name,
	   struct conf **out, char *err, size_t errlen)
{
	struct parser p;
	const char *slash;
	struct conf *c;
	int rc;

	memset(&p, 0, sizeof(p));
	p.name = name != NULL ? name : "<config>";
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (text == NULL && len > 0))
		return conf_perr(&p, 0, "bad arguments");
	*out = NULL;
	if (len > CONF_FILE_MAX)
		return conf_perr(&p, 0, "file larger than 1 MiB");
	if (strlen(p.name) >= sizeof(c->path))
		return conf_perr(&p, 0, "config path too long");
	slash = strrchr(p.name, '/');
	if (slash == p.name)
		strcpy(p.dir, "/");
	else if (slash != NULL)
		memcpy(p.dir, p.name, (size_t)(slash - p.name));

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return conf_perr(&p, 0, "out of memory");
	strcpy(c->path, p.name);
	set_defaults(&c->gw);
	p.c = c;

	rc = parse_text(&p, text, len);
	if (rc == 0)
		rc = check_all(&p);
	explicit_bzero(&p.src_out, sizeof(p.src_out));
	explicit_bzero(&p.src_in, sizeof(p.src_in));
	if (rc < 0) {
		conf_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int
conf_parse_peer(const struct conf *base, const char *peer_name, const char *text,
		size_t len, const char *name, struct conf_peer *out, char *err, size_t errlen)
{
	struct parser p;
	struct conf *c;
	int rc;

	memset(&p, 0, sizeof(p));
	p.name = name != NULL ? name : "<peer>";
	p.err = err;
	p.errlen = errlen;
	p.peer_only = true;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (base == NULL || peer_name == NULL || out == NULL || (text == NULL && len > 0))
		return conf_perr(&p, 0, "bad arguments");
	if (len > CONF_FILE_MAX)
		return conf_perr(&p, 0, "too long");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return conf_perr(&p, 0, "out of memory");
	c->gw = base->gw;
	p.c = c;
	p.gw_line = 1;
	rc = begin_peer(&p, peer_name);
	if (rc == 0)
		rc = parse_text(&p, text, len);
	if (rc == 0 && c->peers[0].endpoint_ip == c->gw.wan_ip)
		rc = conf_perr(&p, 0, "[peer %s]: endpoint is this gateway's own wan-address",
			       c->peers[0].name);
	if (rc == 0) {
		conf_ike_late_defaults(&c->peers[0], &c->gw);
		*out = c->peers[0];
		out->line = 0;
	}
	explicit_bzero(&p.src_out, sizeof(p.src_out));
	explicit_bzero(&p.src_in, sizeof(p.src_in));
	conf_free(c);
	return rc < 0 ? -1 : 0;
}

int
conf_read_key_file(const char *path, enum aead_alg alg, uint8_t *out, size_t *len,
		   char *err, size_t errlen)
{
	struct parser p;
	struct conf_peer peer;
	struct keymat_src src;
	size_t klen = aead_key_len(alg);
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&src, 0, sizeof(src));
	memset(&peer, 0, sizeof(peer));
	p.name = "key file";
	p.err = err;
	p.errlen = errlen;
	p.peer = &peer;
	if (path == NULL || out == NULL || len == NULL || klen == 0)
		return conf_perr(&p, 0, "bad arguments");
	rc = read_key_file(&p, "key file", path, peer.key_out, &src, K_KEY_OUT_FILE);
	if (rc == 0 && src.n != klen + 4)
		rc = conf_perr(&p, 0, "%.*s: expected %zu bytes of hex for %s, got %zu (the key, then "
			       "a 4-byte salt)", ECHO_MAX, path, klen + 4, aead_alg_name(alg), src.n);
	if (rc == 0) {
		memcpy(out, peer.key_out, klen + 4);
		*len = klen + 4;
	}
	explicit_bzero(&peer, sizeof(peer));
	explicit_bzero(&src, sizeof(src));
	return rc < 0 ? -1 : 0;
}

int
conf_peer_set(const struct conf *base, struct conf_peer *peer, const char *key,
	      const char *value, char *err, size_t errlen)
{
	struct parser p;
	struct conf *c;
	char val[CONF_LINE_MAX + 1];
	int rc;

	memset(&p, 0, sizeof(p));
	p.name = "peer set";
	p.err = err;
	p.errlen = errlen;
	p.peer_only = true;
	if (base == NULL || peer == NULL || key == NULL || value == NULL)
		return conf_perr(&p, 0, "bad arguments");
	if (strcmp(key, "endpoint") != 0 && strcmp(key, "subnets") != 0)
		return conf_perr(&p, 0, "only endpoint or subnets can be set on a running peer");
	if (strlen(value) > CONF_LINE_MAX)
		return conf_perr(&p, 0, "%s: value too long", key);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return conf_perr(&p, 0, "out of memory");
	c->gw = base->gw;
	c->peers[0] = *peer;
	c->n_peers = 1;
	p.c = c;
	p.peer = &c->peers[0];
	snprintf(val, sizeof(val), "%s", value);
	if (strcmp(key, "endpoint") == 0) {
		rc = peer_endpoint(&p, conf_trim(val));
		if (rc == 0 && p.peer->endpoint_ip == c->gw.wan_ip)
			rc = conf_perr(&p, 0, "endpoint: is this gateway's own wan-address");
	} else {
		p.peer->n_subnets = 0;
		rc = peer_subnets(&p, conf_trim(val));
		if (rc == 0 && p.peer->n_subnets == 0)
			rc = conf_perr(&p, 0, "subnets: empty list");
	}
	if (rc == 0)
		*peer = c->peers[0];
	conf_free(c);
	return rc < 0 ? -1 : 0;
}
