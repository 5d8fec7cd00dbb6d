/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/conf: good configs (every key, defaults, IPv6, key
 * files, relative paths), one test per class of bad config asserting the
 * exact line of the error and that no key hex leaks into a message, and
 * every example config of the source tree (conf/). Then IKEv2 peers (every
 * key, default and error, no PSK in any message), conf_parse_peer,
 * conf_peer_diff, conf_gateway_diff and conf_peer_clash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#define K20A "00112233445566778899aabbccddeeff01020304"
#define K20B "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"
#define K20C "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3"
#define K20D "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3"
#define K16 "00112233445566778899aabbccddeeff"
#define K36A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
#define K36B "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f10111213"

/* Lines 1-3. */
#define GW "[gateway]\n" \
	"wan = net_af_packet0,iface=eth1\n" \
	"wan-address = 198.18.0.1/24\n"

/* 7 lines of a valid peer body. */
#define PEER_BODY(ep, subnet, spi_out, spi_in, kout, kin) \
	"endpoint = " ep "\n" \
	"subnets = " subnet "\n" \
	"cipher = aes-128-gcm\n" \
	"spi-out = " spi_out "\n" \
	"key-out = " kout "\n" \
	"spi-in = " spi_in "\n" \
	"key-in = " kin "\n"

/* Lines 4-11. */
#define PEER_B "[peer site-b]\n" \
	PEER_BODY("198.18.0.2", "198.19.1.0/24", "0x2001", "0x1001", K20A, K20B)

/* ---- helpers ---- */

/* Key material must never reach a message: no run of 16 hex digits. */
static void
assert_no_hex(const char *msg)
{
	size_t run = 0;
	const char *s;

	for (s = msg; *s != '\0'; s++) {
		bool hex = (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
			   (*s >= 'A' && *s <= 'F');

		run = hex ? run + 1 : 0;
		if (run >= 16)
			fail_msg("key-like hex in message: %s", msg);
	}
}

static struct conf *
parse_ok_named(const char *text, const char *name)
{
	char err[CONF_ERR_MAX];
	struct conf *c = NULL;

	if (conf_parse(text, strlen(text), name, &c, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	assert_non_null(c);
	return c;
}

static struct conf *
parse_ok(const char *text)
{
	return parse_ok_named(text, "t.conf");
}

/* Checks an error message: "NAME:LINE: ...substr..." and no key hex. */
static void
check_err(const char *err, const char *name, unsigned line, const char *substr)
{
	char prefix[PATH_MAX + 32];

	if (line == 0) /* whole-file errors name no line */
		snprintf(prefix, sizeof(prefix), "%s: ", name);
	else
		snprintf(prefix, sizeof(prefix), "%s:%u: ", name, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("expected '%s...', got '%s'", prefix, err);
	if (strstr(err, substr) == NULL)
		fail_msg("expected '%s' in '%s'", substr, err);
	assert_no_hex(err);
}

static void
expect_err_len(const char *text, size_t len, unsigned line, const char *substr)
{
	char err[CONF_ERR_MAX];
	struct conf *c = (struct conf *)1;

	memset(err, 0, sizeof(err));
	assert_int_equal(conf_parse(text, len, "t.conf", &c, err, sizeof(err)), -1);
	assert_null(c);
	check_err(err, "t.conf", line, substr);
}

static void
expect_err(const char *text, unsigned line, const char *substr)
{
	expect_err_len(text, strlen(text), line, substr);
}

static void
expect_err_named(const char *text, const char *name, unsigned line, const char *substr)
{
	char err[CONF_ERR_MAX];
	struct conf *c = (struct conf *)1;

	assert_int_equal(conf_parse(text, strlen(text), name, &c, err, sizeof(err)), -1);
	assert_null(c);
	check_err(err, name, line, substr);
}

static void
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
write_str(const char *dir, const char *name, const char *data, mode_t mode)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, data, strlen(data), mode);
}

static void
make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/test_conf.XXXXXX");
	assert_non_null(mkdtemp(dir));
}

/* Removes the flat temp dir made by make_tmpdir(). */
static void
remove_tmpdir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) != 0)
			rmdir(path);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static uint32_t
ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void
assert_prefix(const struct conf_prefix *p, const char *want)
{
	char buf[64];

	assert_string_equal(conf_prefix_str(p, buf, sizeof(buf)), want);
}

static void
assert_hex(const uint8_t *b, size_t n, const char *hex)
{
	char buf[2 * CONF_KEYMAT_MAX + 1];
	size_t i;

	assert_int_equal(strlen(hex), 2 * n);
	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	assert_string_equal(buf, hex);
}

/* ---- good configs ---- */

static void
test_every_key(void **state)
{
	const char *text =
		"# a full config\n"
		"[gateway]\n"
		"wan = net_af_packet0,iface=eth1      # WAN port\n"
		"wan-address = 198.18.0.1/24\n"
		"wan-gateway = 198.18.0.254\n"
		"inside = virtio-user\n"
		"inside-name = vpn7\n"
		"inside-address = 198.19.0.1/24, 2001:db8::1/64\n"
		"inside-address = 198.20.5.1/16   ; repeated\n"
		"neighbour = 198.18.0.2 02:00:00:00:00:02\n"
		"neighbour = 198.18.0.3   02-00-00-00-00-0A\n"
		"state-file = /tmp/pmdvpn-test.state\n"
		"crypto = openssl\n"
		"wan-mtu = 9000\n"
		"udp-port = 14500\n"
		"\n"
		"[peer site-b]\n"
		"endpoint = 198.18.0.2:4501\n"
		"subnets = 198.19.1.0/24, 2001:db8:1::/64 ,10.1.2.3\n"
		"cipher = chacha20-poly1305\n"
		"spi-out = 0x00002001\n"
		"key-out = 0x" K36A "\n"
		"spi-in = 4097\n"
		"key-in = " K36B "\n"
		"esn = off\n"
		"replay-window = 0\n"
		"encap = none\n"
		"[peer dc.2_x-y]\n"
		"endpoint = 203.0.113.9\n"
		"subnets = 10.9.0.0/16\n"
		"cipher = aes-256-gcm\n"
		"spi-out = 300\n"
		"key-out = " K36B "\n"
		"spi-in = 0xFFFFFFFF\n"
		"key-in = " K36A "\n"
		"esn = 1\n"
		"replay-window = 65536\n"
		"encap = udp\n";
	struct conf *c = parse_ok(text);
	const struct conf_gateway *gw = &c->gw;
	const struct conf_peer *p;

	(void)state;
	assert_string_equal(c->path, "t.conf");
	assert_string_equal(gw->wan, "net_af_packet0,iface=eth1");
	assert_int_equal(gw->wan_ip, ip4("198.18.0.1"));
	assert_int_equal(gw->wan_prefixlen, 24);
	assert_int_equal(gw->wan_gateway, ip4("198.18.0.254"));
	assert_int_equal(gw->inside, CONF_INSIDE_VIRTIO_USER);
	assert_string_equal(gw->inside_name, "vpn7");
	assert_int_equal(gw->n_inside_addr, 3);
	assert_prefix(&gw->inside_addr[0], "198.19.0.1/24");
	assert_prefix(&gw->inside_addr[1], "2001:db8::1/64");
	assert_int_equal(gw->inside_addr[1].family, AF_INET6);
	assert_prefix(&gw->inside_addr[2], "198.20.5.1/16");
	assert_int_equal(gw->n_neigh, 2);
	assert_int_equal(gw->neigh[0].ip, ip4("198.18.0.2"));
	assert_memory_equal(gw->neigh[0].mac, "\x02\0\0\0\0\x02", 6);
	assert_int_equal(gw->neigh[1].ip, ip4("198.18.0.3"));
	assert_memory_equal(gw->neigh[1].mac, "\x02\0\0\0\0\x0a", 6);
	assert_string_equal(gw->state_file, "/tmp/pmdvpn-test.state");
	assert_int_equal(gw->crypto, AEAD_IMPL_OSSL);
	assert_int_equal(gw->wan_mtu, 9000);
	assert_int_equal(gw->udp_port, 14500);

	assert_int_equal(c->n_peers, 2);
	p = conf_peer_find(c, "site-b");
	assert_ptr_equal(p, &c->peers[0]);
	assert_string_equal(p->name, "site-b");
	assert_int_equal(p->line, 17);
	assert_int_equal(p->endpoint_ip, ip4("198.18.0.2"));
	assert_int_equal(p->endpoint_port, 4501);
	assert_int_equal(p->n_subnets, 3);
	assert_prefix(&p->subnets[0], "198.19.1.0/24");
	assert_prefix(&p->subnets[1], "2001:db8:1::/64");
	assert_prefix(&p->subnets[2], "10.1.2.3/32");
	assert_int_equal(p->cipher, AEAD_CHACHA20_POLY1305);
	assert_int_equal(p->spi_out, 0x2001);
	assert_int_equal(p->spi_in, 4097);
	assert_int_equal(p->keymat_len, 36);
	assert_hex(p->key_out, 36, K36A);
	assert_hex(p->key_in, 36, K36B);
	assert_false(p->esn);
	assert_int_equal(p->replay_window, 0);
	assert_false(p->udp_encap);

	p = conf_peer_find(c, "dc.2_x-y");
	assert_ptr_equal(p, &c->peers[1]);
	assert_int_equal(p->line, 28);
	assert_int_equal(p->endpoint_port, 4500);
	assert_int_equal(p->cipher, AEAD_AES256_GCM);
	assert_int_equal(p->spi_out, 300);
	assert_int_equal(p->spi_in, 0xffffffffu);
	assert_int_equal(p->keymat_len, 36);
	assert_true(p->esn);
	assert_int_equal(p->replay_window, 65536);
	assert_true(p->udp_encap);

	assert_null(conf_peer_find(c, "site-c"));
	assert_null(conf_peer_find(c, "site"));
	conf_free(c);
}

static void
test_defaults(void **state)
{
	struct conf *c = parse_ok(GW PEER_B);
	const struct conf_peer *p = &c->peers[0];

	(void)state;
	assert_int_equal(c->gw.wan_gateway, 0);
	assert_int_equal(c->gw.inside, CONF_INSIDE_TAP);
	assert_string_equal(c->gw.inside_name, "vpn0");
	assert_true(c->gw.inside_offload);
	assert_int_equal(c->gw.n_inside_addr, 0);
	assert_int_equal(c->gw.n_neigh, 0);
	assert_string_equal(c->gw.state_file, "/var/lib/pmdvpn/seq.state");
	assert_int_equal(c->gw.crypto, AEAD_IMPL_IMB);
	assert_int_equal(c->gw.wan_mtu, 1500);
	assert_int_equal(c->gw.udp_port, 4500);
	assert_string_equal(c->gw.wan_kernel, "");
	assert_int_equal(c->n_peers, 1);
	assert_int_equal(p->endpoint_port, 4500);
	assert_int_equal(p->cipher, AEAD_AES128_GCM);
	assert_int_equal(p->keymat_len, 20);
	assert_hex(p->key_out, 20, K20A);
	assert_hex(p->key_in, 20, K20B);
	assert_true(p->esn);
	assert_int_equal(p->replay_window, 1024);
	assert_true(p->udp_encap);
	conf_free(c);

	/* A gateway alone is a valid config. */
	c = parse_ok(GW);
	assert_int_equal(c->n_peers, 0);
	conf_free(c);
}

static void
test_syntax_variants(void **state)
{
	/* CRLF, comments of both kinds, odd white space, key order, a value
	 * with '#' not preceded by white space, header comments. */
	const char *text =
		"; leading comment\r\n"
		"   # indented comment\r\n"
		"[peer   site-b]   # trailing\r\n"
		"key-in=" K20B "\r\n"
		"\tkey-out   =\t" K20A "  ; comment\r\n"
		"spi-in = 0x1001\n"
		"spi-out = 0x2001\n"
		"cipher = aes-128-gcm\n"
		"subnets = 198.19.1.0/24\n"
		"endpoint = 198.18.0.2\n"
		"[ gateway ]\n"
		"wan = net_af_packet0,iface=a#b\n"
		"wan-address = 198.18.0.1/24\n"
		"inside = net_tap0,iface=lan0\n"
		"inside-name = a.b_c-d01234567\n";
	struct conf *c = parse_ok(text);

	(void)state;
	assert_string_equal(c->gw.wan, "net_af_packet0,iface=a#b");
	assert_int_equal(c->gw.inside, CONF_INSIDE_PORT);
	assert_string_equal(c->gw.inside_devargs, "net_tap0,iface=lan0");
	assert_string_equal(c->gw.inside_name, "a.b_c-d01234567");
	assert_int_equal(c->peers[0].line, 3);
	assert_hex(c->peers[0].key_out, 20, K20A);
	conf_free(c);

	/* Lines without a final newline, and a PCI address as inside. */
	c = parse_ok(GW "inside = 0000:3b:00.1");
	assert_int_equal(c->gw.inside, CONF_INSIDE_PORT);
	assert_string_equal(c->gw.inside_devargs, "0000:3b:00.1");
	conf_free(c);
}

static void
test_ipv6(void **state)
{
	struct conf *c = parse_ok(GW
		"inside-address = fd00::1/64\n"
		"[peer v6]\n"
		PEER_BODY("198.18.0.2", "2001:db8:1::/48, ::/0, 2001:db8:2::1, 0.0.0.0/0",
			  "0x2001", "0x1001", K20A, K20B));
	const struct conf_peer *p = &c->peers[0];
	char small[8];

	(void)state;
	assert_int_equal(c->gw.inside_addr[0].family, AF_INET6);
	assert_int_equal(p->n_subnets, 4);
	assert_int_equal(p->subnets[0].family, AF_INET6);
	assert_int_equal(p->subnets[0].len, 48);
	assert_memory_equal(p->subnets[0].addr,
			    "\x20\x01\x0d\xb8\x00\x01\0\0\0\0\0\0\0\0\0\0", 16);
	assert_prefix(&p->subnets[1], "::/0");
	assert_prefix(&p->subnets[2], "2001:db8:2::1/128");
	assert_prefix(&p->subnets[3], "0.0.0.0/0");
	/* A short buffer truncates, never overflows. */
	assert_string_equal(conf_prefix_str(&p->subnets[0], small, sizeof(small)), "2001:db");
	conf_free(c);
}

static void
test_relative_paths(void **state)
{
	struct conf *c;

	(void)state;
	c = parse_ok_named(GW "state-file = x.state\n", "gw.conf");
	assert_string_equal(c->gw.state_file, "x.state");
	conf_free(c);
	c = parse_ok_named(GW "state-file = x.state\n", "/etc/pmdvpn/gw.conf");
	assert_string_equal(c->gw.state_file, "/etc/pmdvpn/x.state");
	conf_free(c);
	c = parse_ok_named(GW "state-file = ../x.state\n", "a/b/gw.conf");
	assert_string_equal(c->gw.state_file, "a/b/../x.state");
	conf_free(c);
	c = parse_ok_named(GW "state-file = x.state\n", "/gw.conf");
	assert_string_equal(c->gw.state_file, "/x.state");
	conf_free(c);
	c = parse_ok_named(GW "state-file = /var/x.state\n", "/etc/gw.conf");
	assert_string_equal(c->gw.state_file, "/var/x.state");
	conf_free(c);
}

static void
test_key_files(void **state)
{
	char dir[64], path[PATH_MAX], err[CONF_ERR_MAX];
	char text[1024];
	struct conf *c = NULL;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	write_str(dir, "b.out.key", "0x" K36A "\n", 0600);
	write_str(dir, "b.in.key", "  " K36B "\r\n\n", 0400);
	snprintf(path, sizeof(path), "%s/abs.in.key", dir);
	write_str(dir, "abs.in.key", K20C, 0600);
	snprintf(text, sizeof(text),
		 GW
		 "state-file = gw.state\n"
		 "[peer site-b]\n"
		 "endpoint = 198.18.0.2\n"
		 "subnets = 198.19.1.0/24\n"
		 "key-out-file = b.out.key\n"   /* before cipher: order is free */
		 "cipher = aes-256-gcm\n"
		 "spi-out = 0x2001\n"
		 "spi-in = 0x1001\n"
		 "key-in-file = b.in.key\n"
		 "[peer site-c]\n"
		 PEER_BODY("198.18.0.3", "198.19.2.0/24", "0x2002", "0x1002", K20D, "x"));
	/* site-c takes key-in from an absolute path instead. */
	{
		char *kin = strstr(text, "key-in = x\n");

		assert_non_null(kin);
		snprintf(kin, sizeof(text) - (size_t)(kin - text), "key-in-file = %s\n", path);
	}
	write_str(dir, "gw.conf", text, 0644);
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	if (conf_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(c->path, path);
	assert_int_equal(c->peers[0].keymat_len, 36);
	assert_hex(c->peers[0].key_out, 36, K36A);
	assert_hex(c->peers[0].key_in, 36, K36B);
	assert_hex(c->peers[1].key_out, 20, K20D);
	assert_hex(c->peers[1].key_in, 20, K20C);
	snprintf(path, sizeof(path), "%s/gw.state", dir);
	assert_string_equal(c->gw.state_file, path);
	conf_free(c);
	remove_tmpdir(dir);
}

/* ---- bad configs: one test per class of error ---- */

static void
test_err_unknown_section(void **state)
{
	(void)state;
	expect_err(GW PEER_B "[foo]\n", 12, "unknown section [foo]");
	expect_err(GW "[peers x]\n", 4, "unknown section [peers]");
	expect_err(GW "[]\n", 4, "unknown section");
	expect_err(GW "[" K20A "]\n", 4, "unknown section");
	expect_err(GW "[gateway x]\n", 4, "[gateway] takes no name");
	expect_err(GW "[peer x\n", 4, "must end with ']'");
	expect_err(GW "[peer x] y\n", 4, "must end with ']'");
}

static void
test_err_unknown_key(void **state)
{
	(void)state;
	expect_err(GW "bogus = 1\n", 4, "unknown key 'bogus' in [gateway]");
	expect_err(GW "endpoint = 198.18.0.2\n", 4, "unknown key 'endpoint' in [gateway]");
	expect_err(GW PEER_B "wan = x\n", 12, "unknown key 'wan' in [peer]");
	/* A key pasted as a key name is not echoed. */
	expect_err(GW "[peer x]\n" K20A " = 1\n", 5, "unknown key in [peer]");
	expect_err("wan = x\n", 1, "before the first [section]");
	expect_err(GW " = 5\n", 4, "missing key");
}

static void
test_err_duplicate_key(void **state)
{
	(void)state;
	expect_err(GW "wan = net_af_packet1\n", 4, "duplicate key 'wan' (first at line 2)");
	expect_err(GW "crypto = openssl\ncrypto = openssl\n", 5, "duplicate key 'crypto'");
	expect_err(GW PEER_B "key-out = " K20C "\n", 12, "duplicate key 'key-out' (first at line 9)");
	expect_err(GW PEER_B "subnets = 10.0.0.0/8\n", 12, "duplicate key 'subnets'");
	/* Per section: the same key in two peers is fine (tested elsewhere). */
}

static void
test_err_missing_required(void **state)
{
	static const char *const body[] = {
		"endpoint = 198.18.0.2\n",
		"subnets = 198.19.1.0/24\n",
		"cipher = aes-128-gcm\n",
		"spi-out = 0x2001\n",
		"key-out = " K20A "\n",
		"spi-in = 0x1001\n",
		"key-in = " K20B "\n",
	};
	static const char *const name[] = {
		"missing endpoint", "missing subnets", "missing cipher", "missing spi-out",
		"missing key-out (or key-out-file)", "missing spi-in",
		"missing key-in (or key-in-file)",
	};
	char text[2048];
	unsigned skip, i;

	(void)state;
	for (skip = 0; skip < 7; skip++) {
		/* The peer is the second section; the error is at its header. */
		snprintf(text, sizeof(text), "[peer p]\n");
		for (i = 0; i < 7; i++)
			if (i != skip)
				strcat(text, body[i]);
		strcat(text, GW);
		expect_err(text, 1, name[skip]);
		/* ... and also when it is the last section. */
		snprintf(text, sizeof(text), GW "# x\n[peer p]\n");
		for (i = 0; i < 7; i++)
			if (i != skip)
				strcat(text, body[i]);
		expect_err(text, 5, name[skip]);
	}
	expect_err("[gateway]\nwan-address = 198.18.0.1/24\n", 1, "[gateway]: missing wan");
	expect_err("\n[gateway]\nwan = x,y\n" PEER_B, 2, "[gateway]: missing wan-address");
}

static void
test_err_key_and_key_file(void **state)
{
	(void)state;
	expect_err(GW PEER_B "key-out-file = k\n", 12,
		   "key-out-file and key-out are mutually exclusive (key-out at line 9)");
	expect_err(GW "[peer p]\nkey-in-file = /nonexistent\n", 5, "key-in-file");
	expect_err(GW "[peer p]\nkey-in = " K20B "\nkey-in-file = /nonexistent\n", 6,
		   "key-in-file and key-in are mutually exclusive (key-in at line 5)");
}

static void
test_err_gateway_sections(void **state)
{
	(void)state;
	expect_err("", 0, "no [gateway] section");
	expect_err("# only a comment\n" PEER_B, 0, "no [gateway] section");
	expect_err(GW "\n" GW, 5, "duplicate [gateway] section (first at line 1)");
}

static void
test_err_addresses(void **state)
{
	(void)state;
	/* wan-address */
	expect_err("[gateway]\nwan = x,y\nwan-address = 198.18.0.300/24\n", 3,
		   "'198.18.0.300/24' is not an IPv4 or IPv6 prefix");
	expect_err("[gateway]\nwan = x,y\nwan-address = 198.18.0.1/33\n", 3, "prefix length");
	expect_err("[gateway]\nwan = x,y\nwan-address = 198.18.0.1\n", 3,
		   "needs a prefix length");
	expect_err("[gateway]\nwan = x,y\nwan-address = 198.18.0.1/\n", 3, "prefix length");
	expect_err("[gateway]\nwan = x,y\nwan-address = 198.18.0.1/-1\n", 3, "prefix length");
	expect_err("[gateway]\nwan = x,y\nwan-address = 2001:db8::1/64\n", 3, "is not IPv4");
	expect_err("[gateway]\nwan = x,y\nwan-address = 198.18.0.0/24\n", 3,
		   "network or broadcast");
	expect_err("[gateway]\nwan = x,y\nwan-address = 198.18.0.255/24\n", 3,
		   "network or broadcast");
	expect_err("[gateway]\nwan = x,y\nwan-address = 224.0.0.1/24\n", 3, "not a unicast");
	/* wan-gateway */
	expect_err(GW "wan-gateway = 198.18.0.\n", 4, "not an IPv4 address");
	expect_err(GW "wan-gateway = 198.18.0.1\n", 4, "own wan-address");
	/* inside-address */
	expect_err(GW "inside-address = 198.19.0.1\n", 4, "needs a prefix length");
	expect_err(GW "inside-address = 198.19.0.1/24,\n", 4, "empty list entry");
	expect_err(GW "inside-address = 198.19.0.1/24\ninside-address = 198.19.0.1/24\n", 5,
		   "given twice");
	/* subnets */
	expect_err(GW "[peer p]\nsubnets = 198.19.1.1/24\n", 5,
		   "subnets: 198.19.1.1/24 has host bits set (did you mean 198.19.1.0/24?)");
	expect_err(GW "[peer p]\nsubnets = 10.0.0.0/8, 2001:db8::1/64\n", 5,
		   "2001:db8::1/64 has host bits set (did you mean 2001:db8::/64?)");
	expect_err(GW "[peer p]\nsubnets = 10.0.0.0/8, 10.0.0.0/8\n", 5, "given twice");
	expect_err(GW "[peer p]\nsubnets = 10.0.0.0/8,,10.1.0.0/16\n", 5, "empty list entry");
	expect_err(GW "[peer p]\nsubnets = 10.0.0.0/129\n", 5, "prefix length");
	expect_err(GW "[peer p]\nsubnets = 2001:db8::/129\n", 5, "prefix length");
	expect_err(GW "[peer p]\nsubnets = host.example\n", 5, "not an IPv4 or IPv6 prefix");
	/* endpoint */
	expect_err(GW "[peer p]\nendpoint = 198.18.0.2:0\n", 5, "port must be 1..65535");
	expect_err(GW "[peer p]\nendpoint = 198.18.0.2:65536\n", 5, "port must be 1..65535");
	expect_err(GW "[peer p]\nendpoint = 198.18.0.2:\n", 5, "port must be 1..65535");
	expect_err(GW "[peer p]\nendpoint = 2001:db8::1\n", 5, "endpoint");
	expect_err(GW "[peer p]\nendpoint = 0.0.0.0\n", 5, "not a unicast");
	expect_err(GW "[peer p]\nendpoint = 255.255.255.255\n", 5, "not a unicast");
	expect_err(GW "# c\n[peer p]\n" PEER_BODY("198.18.0.1", "10.0.0.0/8", "0x2001", "0x1001",
						   K20A, K20B), 5, "own wan-address");
	/* neighbour */
	expect_err(GW "neighbour = 198.18.0.2\n", 4, "expected 'IPV4 MAC'");
	expect_err(GW "neighbour = 198.18.0.2 02:00:00:00:00\n", 4, "not a MAC address");
	expect_err(GW "neighbour = 198.18.0.2 02:00:00:00:00:0g\n", 4, "not a MAC address");
	expect_err(GW "neighbour = 198.18.0.2 01:00:5e:00:00:01\n", 4, "not a unicast MAC");
	expect_err(GW "neighbour = 198.18.0.2 00:00:00:00:00:00\n", 4, "not a unicast MAC");
	expect_err(GW "neighbour = fe80::1 02:00:00:00:00:02\n", 4, "not a unicast IPv4");
	expect_err(GW "neighbour = 198.18.0.2 02:00:00:00:00:02\n"
		   "neighbour = 198.18.0.2 02:00:00:00:00:03\n", 5, "given twice");
}

/* inside-offload picks vtap (yes, the default) or DPDK's net_tap (no). */
static void
test_inside_offload(void **state)
{
	static const char *const no[] = { "no", "off", "false", "0" };
	static const char *const yes[] = { "yes", "on", "true", "1" };
	char text[256];
	struct conf *c;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), GW "inside-offload = %s\n", no[i]);
		c = parse_ok(text);
		assert_false(c->gw.inside_offload);
		conf_free(c);
		snprintf(text, sizeof(text), GW "inside-offload = %s\n", yes[i]);
		c = parse_ok(text);
		assert_true(c->gw.inside_offload);
		conf_free(c);
	}
	expect_err(GW "inside-offload = maybe\n", 4, "inside-offload: expected yes or no");
	expect_err(GW "inside-offload =\n", 4, "inside-offload");
	expect_err(GW "inside-offload = no\ninside-offload = yes\n", 5, "inside-offload");
	expect_err("[peer x]\ninside-offload = no\n", 2, "inside-offload");
}

static void
test_err_other_values(void **state)
{
	char text[512];

	(void)state;
	expect_err(GW "wan-mtu = 575\n", 4, "wan-mtu: expected 576..9000");
	expect_err(GW "wan-mtu = 9001\n", 4, "wan-mtu: expected 576..9000");
	expect_err(GW "wan-mtu = 1500x\n", 4, "wan-mtu");
	expect_err(GW "udp-port = 0\n", 4, "udp-port: expected 1..65535");
	expect_err(GW "udp-port = 65536\n", 4, "udp-port");
	expect_err(GW "udp-port = -1\n", 4, "udp-port");
	expect_err(GW "crypto = aesni\n", 4, "crypto: expected ipsec-mb or openssl");
	expect_err(GW "inside = eth1\n", 4, "inside: expected tap, virtio-user");
	expect_err(GW "inside = net_tap0 x\n", 4, "spaces");
	expect_err(GW "inside = net_af_packet0,iface=eth1\n", 4, "same port as wan");
	expect_err(GW "inside-name = vpn-0123456789ab\n", 4, "not an interface name");
	expect_err(GW "inside-name = vpn/0\n", 4, "not an interface name");
	expect_err(GW "inside-name = ..\n", 4, "not an interface name");
	expect_err(GW "wan-gateway =\n", 4, "wan-gateway: empty value");
	expect_err(GW "[peer p]\ncipher = aes-192-gcm\n", 5, "cipher: expected aes-128-gcm");
	expect_err(GW "[peer p]\nesn = maybe\n", 5, "esn: expected yes or no");
	expect_err(GW "[peer p]\nencap = tcp\n", 5, "encap: expected udp or none");
	expect_err(GW "[peer p]\nreplay-window = 31\n", 5, "replay-window: expected 0 (off) or 32..65536");
	expect_err(GW "[peer p]\nreplay-window = 65537\n", 5, "replay-window");
	/* SPIs: 0..255 are reserved, the rest of 32 bits is fine. */
	expect_err(GW "[peer p]\nspi-out = 255\n", 5, "spi-out: SPIs 0..255 are reserved");
	expect_err(GW "[peer p]\nspi-in = 0x0\n", 5, "spi-in: SPIs 0..255 are reserved");
	expect_err(GW "[peer p]\nspi-in = 0x100000000\n", 5, "spi-in: expected a number");
	expect_err(GW "[peer p]\nspi-in = 0x\n", 5, "spi-in: expected a number");
	expect_err(GW "[peer p]\nspi-in = 12ab\n", 5, "spi-in: expected a number");
	snprintf(text, sizeof(text), GW "[peer p]\n" PEER_BODY("198.18.0.2", "10.0.0.0/8",
		 "256", "0x100", K20A, K20B));
	conf_free(parse_ok(text));
}

static void
test_err_key_material(void **state)
{
	(void)state;
	/* Lengths are checked against the cipher when the section ends, at
	 * the line of the key, whatever the order of keys. */
	expect_err(GW "[peer p]\n"
		   "endpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
		   "key-out = " K16 "\n"          /* line 7 */
		   "cipher = aes-128-gcm\nspi-out = 0x2001\nspi-in = 0x1001\n"
		   "key-in = " K20B "\n",
		   7, "key-out: expected 20 bytes of hex for aes-128-gcm, got 16");
	expect_err(GW "[peer p]\n"
		   "endpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\ncipher = aes-256-gcm\n"
		   "spi-out = 0x2001\nkey-out = " K36A "\nspi-in = 0x1001\n"
		   "key-in = " K20B "\n",                /* line 11 */
		   11, "key-in: expected 36 bytes of hex for aes-256-gcm, got 20");
	expect_err(GW "[peer p]\n"
		   "cipher = chacha20-poly1305\n"
		   "key-in = " K20B "\n"              /* line 6 */
		   "endpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
		   "spi-out = 0x2001\nspi-in = 0x1001\nkey-out = " K36A "\n",
		   6, "key-in: expected 36 bytes of hex for chacha20-poly1305, got 20");
	expect_err(GW "[peer p]\nkey-out = " K20A "0\n", 5,
		   "key-out: expected an even number of hex digits");
	expect_err(GW "[peer p]\nkey-out = " K20A "zz\n", 5, "key-out: expected");
	expect_err(GW "[peer p]\nkey-in = 00112233:44556677\n", 5, "key-in: expected");
	expect_err(GW "[peer p]\nkey-in = 0x\n", 5, "key-in: expected");
	/* A key far too long is measured, not stored. */
	expect_err(GW "[peer p]\n"
		   PEER_BODY("198.18.0.2", "10.0.0.0/8", "0x2001", "0x1001",
			     K36A K36A K36A, K20B), 9,
		   "key-out: expected 20 bytes of hex for aes-128-gcm, got 108");
	/* One key for both directions repeats nonces. */
	expect_err(GW "[peer p]\n"
		   PEER_BODY("198.18.0.2", "10.0.0.0/8", "0x2001", "0x1001", K20A, K20A), 11,
		   "key-in: must differ from key-out");
	/* ...except for a loopback peer (one SA: spi-in == spi-out), the
	 * benchmark set-up where a reflector returns our own ESP. */
	{
		struct conf *c = parse_ok(GW "[peer p]\n"
			PEER_BODY("198.18.0.2", "10.0.0.0/8", "0x2001", "0x2001", K20A, K20A));
		assert_int_equal(c->peers[0].spi_in, c->peers[0].spi_out);
		conf_free(c);
	}
}

static void
test_err_key_file(void **state)
{
	char dir[64], path[PATH_MAX], err[CONF_ERR_MAX], text[1024];
	static const struct {
		const char *file;   /* written as key.hex unless NULL */
		mode_t mode;
		const char *msg;
	} cases[] = {
		{ K20A, 0644, "key.hex is accessible by group or others (mode 0644); chmod 600" },
		{ K20A, 0640, "(mode 0640)" },
		{ K20A, 0602, "(mode 0602)" },
		{ K16 "\n", 0600, "key-out-file: expected 20 bytes of hex for aes-128-gcm, got 16" },
		{ K20A "\n" K20B "\n", 0600, "key-out-file: expected an even number of hex" },
		{ "", 0600, "key-out-file: expected an even number of hex" },
		{ NULL, 0, "key-out-file: key.hex: No such file" },
	};
	struct conf *c;
	unsigned i;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	snprintf(text, sizeof(text), GW "[peer p]\n"
		 "endpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\ncipher = aes-128-gcm\n"
		 "spi-out = 0x2001\nkey-out-file = key.hex\n"   /* line 9 */
		 "spi-in = 0x1001\nkey-in = " K20B "\n");
	write_str(dir, "gw.conf", text, 0600);
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char kpath[PATH_MAX];

		snprintf(kpath, sizeof(kpath), "%s/key.hex", dir);
		unlink(kpath);
		if (cases[i].file != NULL)
			write_str(dir, "key.hex", cases[i].file, cases[i].mode);
		c = (struct conf *)1;
		assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
		assert_null(c);
		check_err(err, path, 9, cases[i].msg);
	}
	/* A directory and a FIFO are not key files (and a FIFO does not hang). */
	snprintf(path, sizeof(path), "%s/key.hex", dir);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	check_err(err, path, 9, "key.hex is not a regular file");
	snprintf(path, sizeof(path), "%s/key.hex", dir);
	rmdir(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	check_err(err, path, 9, "key.hex is not a regular file");
	/* A key file that is too large. */
	{
		static char big[8192];

		snprintf(path, sizeof(path), "%s/key.hex", dir);
		unlink(path);
		memset(big, ' ', sizeof(big));
		memcpy(big, K20A, 40);
		write_file(path, big, sizeof(big), 0600);
		snprintf(path, sizeof(path), "%s/gw.conf", dir);
		assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
		check_err(err, path, 9, "too large for a key file");
	}
	remove_tmpdir(dir);
}

static void
test_err_peer_names(void **state)
{
	(void)state;
	expect_err(GW "[peer]\n", 4, "[peer] needs a name");
	expect_err(GW "[peer   ]\n", 4, "[peer] needs a name");
	expect_err(GW "[peer a b]\n", 4, "name must be 1..31 of [A-Za-z0-9_.-]");
	expect_err(GW "[peer a/b]\n", 4, "name must be");
	expect_err(GW "[peer 0123456789012345678901234567890x]\n", 4, "name must be");
	conf_free(parse_ok(GW "[peer 0123456789012345678901234567890]\n"
			   PEER_BODY("198.18.0.2", "10.0.0.0/8", "0x2001", "0x1001", K20A, K20B)));
	expect_err(GW PEER_B "\n[peer site-b]\n", 13,
		   "duplicate peer name 'site-b' (first at line 4)");
}

/* Peer 2 (lines 12-19) against site-b (lines 4-11). */
static void
test_err_across_peers(void **state)
{
	(void)state;
	expect_err(GW PEER_B "[peer c]\n"
		   PEER_BODY("198.18.0.3", "198.19.2.0/24", "0x2002", "0x1001", K20C, K20D), 18,
		   "spi-in: 0x00001001 is already used by peer site-b");
	expect_err(GW PEER_B "[peer c]\n"
		   PEER_BODY("198.18.0.3", "198.19.2.0/24", "0x2001", "0x1002", K20C, K20D), 16,
		   "spi-out: 0x00002001 is already used by peer site-b");
	expect_err(GW PEER_B "[peer c]\n"
		   PEER_BODY("198.18.0.3", "10.0.0.0/8, 198.19.1.0/24", "0x2002", "0x1002",
			     K20C, K20D), 14,
		   "subnets: 198.19.1.0/24 is already routed to peer site-b");
	/* Overlapping but not identical subnets are fine: the longest prefix wins.
	 * So is one SPI used in both directions and one endpoint for two peers. */
	conf_free(parse_ok(GW PEER_B "[peer c]\n"
		   PEER_BODY("198.18.0.2", "198.19.0.0/16", "0x1001", "0x2001", K20C, K20D)));
}

static void
test_err_line_syntax(void **state)
{
	(void)state;
	expect_err(GW "wan-mtu 1500\n", 4, "expected 'key = value' or a [section] header");
	/* A bare key is not echoed. */
	expect_err(GW PEER_B K20C "\n", 12, "expected 'key = value'");
}

static void
test_err_long_lines(void **state)
{
	char *text = malloc(8192);
	size_t n;

	(void)state;
	assert_non_null(text);
	/* 4096 characters are fine, 4097 are not (\r\n not counted). */
	n = (size_t)snprintf(text, 8192, GW "# ");
	memset(text + n, 'x', 4094);
	strcpy(text + n + 4094, "\r\n");
	conf_free(parse_ok(text));
	strcpy(text + n + 4094, "y\n");
	expect_err(text, 4, "line too long (max 4096 characters)");
	/* The same without a final newline. */
	text[n + 4095] = '\0';
	expect_err(text, 4, "line too long");

	/* Values too long for their field: wan holds 255 characters. */
	n = (size_t)snprintf(text, 8192, "[gateway]\nwan-address = 198.18.0.1/24\nwan = net_");
	memset(text + n, 'a', 251);
	strcpy(text + n + 251, "\n");
	conf_free(parse_ok(text));
	text[n + 251] = 'a';
	strcpy(text + n + 252, "\n");
	expect_err(text, 3, "wan: value too long (max 255 characters)");
	/* A relative path that fits a line but not PATH_MAX with the dir. */
	n = (size_t)snprintf(text, 8192, GW "state-file = ");
	memset(text + n, 'a', 4080);
	strcpy(text + n + 4080, "\n");
	conf_free(parse_ok(text));
	expect_err_named(text, "/etc/pmdvpn/some/deeper/dir/gw.conf", 4, "state-file: path too long");
	free(text);
}

static void
test_err_nul_byte(void **state)
{
	static const char text[] = "[gateway]\nwan = a,b\nwan-address = 198.18.0.1/24\0\n";

	(void)state;
	expect_err_len(text, sizeof(text) - 1, 3, "NUL byte");
	expect_err_len("\0", 1, 1, "NUL byte");
}

static void
test_err_file_size(void **state)
{
	size_t big = (1u << 20) + 1;
	char *text = malloc(big + 1);
	char dir[64], path[PATH_MAX], err[CONF_ERR_MAX];
	struct conf *c;
	size_t n;

	(void)state;
	assert_non_null(text);
	/* Exactly 1 MiB of comment lines after a gateway is fine. */
	n = (size_t)snprintf(text, big, GW);
	memset(text + n, '\n', big - 1 - n);
	for (size_t i = n; i + 80 < big - 1; i += 80)
		text[i] = '#';
	c = NULL;
	assert_int_equal(conf_parse(text, big - 1, "t.conf", &c, err, sizeof(err)), 0);
	conf_free(c);
	text[big - 1] = '\n';
	expect_err_len(text, big, 0, "file larger than 1 MiB");

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	write_file(path, text, big, 0600);
	c = (struct conf *)1;
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	assert_null(c);
	check_err(err, path, 0, "file larger than 1 MiB");
	remove_tmpdir(dir);
	free(text);
}

static void
test_err_too_many(void **state)
{
	size_t cap = 200000, n;
	char *text = malloc(cap);
	unsigned i;

	(void)state;
	assert_non_null(text);
	/* CONF_MAX_PEERS peers are fine, one more is not. */
	n = (size_t)snprintf(text, cap, GW);
	for (i = 0; i <= CONF_MAX_PEERS; i++)
		n += (size_t)snprintf(text + n, cap - n,
			"[peer p%u]\nendpoint = 198.18.0.2\nsubnets = 10.%u.%u.0/24\n"
			"cipher = aes-128-gcm\nspi-out = %u\nspi-in = %u\n"
			"key-out = " K20A "\nkey-in = " K20B "\n",
			i, i / 256, i % 256, 1000 + i, 5000 + i);
	expect_err(text, 4 + 8 * CONF_MAX_PEERS, "too many peers (max 256)");
	{
		/* Rebuild with exactly CONF_MAX_PEERS. */
		struct conf *c;

		n = (size_t)snprintf(text, cap, GW);
		for (i = 0; i < CONF_MAX_PEERS; i++)
			n += (size_t)snprintf(text + n, cap - n,
				"[peer p%u]\nendpoint = 198.18.0.2\nsubnets = 10.%u.%u.0/24\n"
				"cipher = aes-128-gcm\nspi-out = %u\nspi-in = %u\n"
				"key-out = " K20A "\nkey-in = " K20B "\n",
				i, i / 256, i % 256, 1000 + i, 5000 + i);
		c = parse_ok(text);
		assert_int_equal(c->n_peers, CONF_MAX_PEERS);
		assert_string_equal(c->peers[255].name, "p255");
		conf_free(c);
	}

	/* Subnets: CONF_MAX_SUBNETS in one key are fine, one more is not. */
	n = (size_t)snprintf(text, cap, GW "[peer p]\nsubnets = 10.0.0.0/24");
	for (i = 1; i < CONF_MAX_SUBNETS; i++)
		n += (size_t)snprintf(text + n, cap - n, ",10.0.%u.0/24", i);
	snprintf(text + n, cap - n, "\nendpoint = 198.18.0.2\ncipher = aes-128-gcm\n"
		 "spi-out = 0x2001\nspi-in = 0x1001\nkey-out = " K20A "\nkey-in = " K20B "\n");
	conf_free(parse_ok(text));
	snprintf(text + n, cap - n, ",10.1.0.0/16\n");
	expect_err(text, 5, "subnets: too many subnets (max 32)");

	/* Neighbours. */
	n = (size_t)snprintf(text, cap, GW);
	for (i = 0; i < CONF_MAX_NEIGH; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "neighbour = 198.18.0.%u 02:00:00:00:00:%02x\n", i + 2, i);
	conf_free(parse_ok(text));
	snprintf(text + n, cap - n, "neighbour = 198.18.0.200 02:00:00:00:01:00\n");
	expect_err(text, 4 + CONF_MAX_NEIGH, "neighbour: too many neighbours (max 32)");

	/* Inside addresses, over several keys and in one. */
	expect_err(GW "inside-address = 10.0.0.1/8, 10.0.0.2/8\n"
		   "inside-address = 10.0.0.3/8,10.0.0.4/8,10.0.0.5/8\n", 5,
		   "inside-address: too many addresses (max 4)");
	free(text);
}

static void
test_load_errors(void **state)
{
	char dir[64], path[PATH_MAX], err[CONF_ERR_MAX];
	struct conf *c = (struct conf *)1;

	(void)state;
	assert_int_equal(conf_load("/nonexistent/gw.conf", &c, err, sizeof(err)), -1);
	assert_null(c);
	check_err(err, "/nonexistent/gw.conf", 0, "No such file or directory");

	make_tmpdir(dir, sizeof(dir));
	assert_int_equal(conf_load(dir, &c, err, sizeof(err)), -1);
	check_err(err, dir, 0, "is a directory");

	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	check_err(err, path, 0, "not a regular file");

	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	write_str(dir, "gw.conf", GW, 0000);
	if (geteuid() != 0) {
		/* root reads it anyway */
		assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
		check_err(err, path, 0, "Permission denied");
	}
	/* A parse error in a loaded file names the file. */
	write_str(dir, "gw.conf", GW "oops\n", 0600);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	check_err(err, path, 4, "expected 'key = value'");
	remove_tmpdir(dir);

	/* A tiny error buffer truncates; NULL err is fine. */
	{
		char small[6];

		assert_int_equal(conf_parse("x", 1, "t.conf", &c, small, sizeof(small)), -1);
		assert_string_equal(small, "t.con");
		assert_int_equal(conf_parse("x", 1, "t.conf", &c, NULL, 0), -1);
	}
}

/* ---- the example configs of the source tree ---- */

static bool
is_dir_with(const char *dir, const char *file)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The conf/ directory of the source tree: $PMDVPN_CONF_DIR, or found from
 * __FILE__ (test/unit/test_conf.c, relative to the build directory or
 * absolute). The build directory is two levels above this executable.
 */
static void
find_conf_dir(char *out, size_t len)
{
	static const char suffix[] = "test/unit/test_conf.c";
	const char *env = getenv("PMDVPN_CONF_DIR");
	char src[PATH_MAX], exe[PATH_MAX];
	size_t flen = strlen(__FILE__);
	ssize_t n;

	if (env != NULL) {
		snprintf(out, len, "%s", env);
		assert_true(is_dir_with(out, "quickstart-a.conf"));
		return;
	}
	assert_true(flen >= sizeof(suffix) - 1);
	assert_string_equal(__FILE__ + flen - (sizeof(suffix) - 1), suffix);
	snprintf(src, sizeof(src), "%.*s", (int)(flen - (sizeof(suffix) - 1)), __FILE__);
	assert_true(snprintf(out, len, "%sconf", src) < (int)len);
	if (src[0] == '/' || is_dir_with(out, "quickstart-a.conf"))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0'; /* test/unit */
	assert_true(snprintf(out, len, "%s/../../%sconf", exe, src) < (int)len);
	if (!is_dir_with(out, "quickstart-a.conf"))
		fail_msg("cannot find the conf/ directory; set PMDVPN_CONF_DIR");
}

static void
test_example_confs(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], err[CONF_ERR_MAX];
	struct dirent *de;
	unsigned n = 0;
	struct conf *c;
	DIR *d;

	(void)state;
	find_conf_dir(dir, sizeof(dir));
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		/* strongSwan's side of an example (swanctl.conf syntax). */
		if (strncmp(de->d_name, "swanctl", 7) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		c = NULL;
		if (conf_load(path, &c, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_true(c->n_peers >= 1);
		conf_free(c);
		n++;
	}
	closedir(d);
	assert_true(n >= 2);
}

/* The two quickstart gateways must agree: A's out is B's in. */
static void
test_quickstart_pair(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], err[CONF_ERR_MAX];
	struct conf *a = NULL, *b = NULL;
	const struct conf_peer *pa, *pb;

	(void)state;
	find_conf_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/quickstart-a.conf", dir);
	if (conf_load(path, &a, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	snprintf(path, sizeof(path), "%s/quickstart-b.conf", dir);
	if (conf_load(path, &b, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	pa = conf_peer_find(a, "site-b");
	pb = conf_peer_find(b, "site-a");
	assert_non_null(pa);
	assert_non_null(pb);
	assert_int_equal(pa->endpoint_ip, b->gw.wan_ip);
	assert_int_equal(pb->endpoint_ip, a->gw.wan_ip);
	assert_int_equal(pa->endpoint_port, b->gw.udp_port);
	assert_int_equal(pb->endpoint_port, a->gw.udp_port);
	assert_int_equal(pa->cipher, pb->cipher);
	assert_int_equal(pa->spi_out, pb->spi_in);
	assert_int_equal(pa->spi_in, pb->spi_out);
	assert_memory_equal(pa->key_out, pb->key_in, pa->keymat_len);
	assert_memory_equal(pa->key_in, pb->key_out, pa->keymat_len);
	/* Each side's inside network is the other's subnet. */
	assert_int_equal(pa->n_subnets, 1);
	assert_int_equal(pb->n_subnets, 1);
	assert_int_equal(a->gw.inside_addr[0].len, pb->subnets[0].len);
	assert_memory_equal(a->gw.inside_addr[0].addr, pb->subnets[0].addr, 3);
	assert_memory_equal(b->gw.inside_addr[0].addr, pa->subnets[0].addr, 3);
	assert_string_equal(a->gw.wan, "net_af_packet0,iface=qs-wan-a");
	snprintf(path, sizeof(path), "%s/quickstart-a.state", dir);
	assert_string_equal(a->gw.state_file, path);
	conf_free(a);
	conf_free(b);
}

/*
 * gateway.conf.example names key files: copy it into a temp dir with key
 * files of the right length for each peer's cipher, then load it.
 */
static void
test_gateway_example(void **state)
{
	char dir[PATH_MAX], tmp[64], path[PATH_MAX + 32], err[CONF_ERR_MAX];
	char files[8][64], line[512];
	unsigned nfiles = 0, i, serial = 0;
	size_t keylen = 0;
	struct conf *c = NULL;
	FILE *f;

	(void)state;
	find_conf_dir(dir, sizeof(dir));
	make_tmpdir(tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "%s/gateway.conf.example", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	/* Key files are written at the end of each section, once its cipher
	 * is known; a final "[end]" line flushes the last section. */
	for (;;) {
		bool eof = fgets(line, sizeof(line), f) == NULL;
		char name[64];

		if (eof || line[0] == '[') {
			for (i = 0; i < nfiles; i++) {
				char hex[2 * 36 + 2];
				size_t k;

				assert_true(keylen == 20 || keylen == 36);
				for (k = 0; k < keylen; k++)
					snprintf(hex + 2 * k, 3, "%02x", (unsigned)(k * 7 + serial) & 0xff);
				serial++;
				strcat(hex, "\n");
				write_str(tmp, files[i], hex, 0600);
			}
			nfiles = 0;
			keylen = 0;
		}
		if (eof)
			break;
		if (sscanf(line, "cipher = %63s", name) == 1)
			keylen = strcmp(name, "aes-128-gcm") == 0 ? 20 : 36;
		if (sscanf(line, "key-out-file = %63s", name) == 1 ||
		    sscanf(line, "key-in-file = %63s", name) == 1) {
			assert_true(nfiles < 8);
			assert_null(strchr(name, '/'));
			strcpy(files[nfiles++], name);
		}
	}
	fclose(f);
	/* conf_load from the temp copy, so that relative key paths resolve there.
	 * The commented-out IKEv2 section (";[peer ..." and the ';' lines after
	 * it) is enabled in the copy, with its PSK file. */
	{
		char copy[PATH_MAX];
		bool in_ike = false;
		FILE *in, *out;

		snprintf(copy, sizeof(copy), "%s/gateway.conf", tmp);
		in = fopen(path, "r");
		out = fopen(copy, "w");
		assert_non_null(in);
		assert_non_null(out);
		while (fgets(line, sizeof(line), in) != NULL) {
			char name[64];

			if (strncmp(line, ";[peer ", 7) == 0)
				in_ike = true;
			else if (line[0] != ';')
				in_ike = false;
			fputs(in_ike ? line + 1 : line, out);
			if (in_ike && sscanf(line + 1, "psk-file = %63s", name) == 1) {
				assert_null(strchr(name, '/'));
				write_str(tmp, name, "example-psk-of-the-unit-test\n", 0600);
				nfiles++;
			}
		}
		fclose(in);
		fclose(out);
		assert_int_equal(nfiles, 1);
		if (conf_load(copy, &c, err, sizeof(err)) != 0)
			fail_msg("%s", err);
	}
	assert_true(c->n_peers >= 3);
	assert_true(c->gw.wan_gateway != 0);
	{
		const struct conf_peer *p = &c->peers[c->n_peers - 1];

		/* Every IKEv2 key is given (none left at its default). */
		assert_true(p->ike.enabled);
		assert_int_equal(p->ike.psk_len, 28);
		assert_int_equal(p->ike.local_id.type, 2);
		assert_int_equal(p->ike.remote_id.type, 2);
		assert_int_equal(p->ike.n_ike, 2);
		assert_int_equal(p->ike.n_esp, 2);
		assert_true(p->ike.initiate);
		assert_int_equal(p->endpoint_port, 500);
	}
	conf_free(c);
	remove_tmpdir(tmp);
}

/* ---- IKEv2 peers (struct conf_ike) ---- */

#define PSK "correct-horse-battery-staple"       /* 28 octets */
#define PSK2 "tr0ub4dor&3-but-longer-now"        /* 26 octets */
#define HEX16 "a1b2c3d4e5f60718293a4b5c6d7e8f90" /* 16 octets of hex */

/* 8 lines: a static peer whose subnet differs from hq's. */
#define PEER_S "[peer site-b]\n" \
	PEER_BODY("198.18.0.2", "198.19.9.0/24", "0x2001", "0x1001", K20A, K20B)

/* Lines 4-7: an IKEv2 peer with every default. */
#define IKE_HQ "[peer hq]\n" \
	"endpoint = 198.18.0.2\n" \
	"subnets = 198.19.1.0/24\n" \
	"psk = " PSK "\n"

/* No 6-character piece of a test PSK may reach a message. */
static void
assert_no_psk(const char *msg)
{
	static const char *const psks[] = { PSK, PSK2, HEX16, "sixteen-bytes-ok" };
	char piece[7];
	size_t i, k;

	for (k = 0; k < sizeof(psks) / sizeof(psks[0]); k++)
		for (i = 0; i + 6 <= strlen(psks[k]); i++) {
			memcpy(piece, psks[k] + i, 6);
			piece[6] = '\0';
			if (strstr(msg, piece) != NULL)
				fail_msg("PSK piece '%s' in message: %s", piece, msg);
		}
}

static void
expect_err_psk(const char *text, unsigned line, const char *substr)
{
	char err[CONF_ERR_MAX];
	struct conf *c = (struct conf *)1;

	memset(err, 0, sizeof(err));
	assert_int_equal(conf_parse(text, strlen(text), "t.conf", &c, err, sizeof(err)), -1);
	assert_null(c);
	check_err(err, "t.conf", line, substr);
	assert_no_psk(err);
}

/* GW, then IKE_HQ, then one more line (line 8) that must fail there. */
static void
expect_hq_err(const char *line8, const char *substr)
{
	char text[8192];

	snprintf(text, sizeof(text), GW IKE_HQ "%s\n", line8);
	expect_err_psk(text, 8, substr);
}

/* The same, parsing fine; the peer is returned in *out. */
static void
hq_ok(const char *extra, struct conf_peer *out)
{
	char text[8192];
	struct conf *c;

	snprintf(text, sizeof(text), GW IKE_HQ "%s", extra);
	c = parse_ok(text);
	assert_int_equal(c->n_peers, 1);
	*out = c->peers[0];
	conf_free(c);
}

static void
assert_id(const struct conf_ike_id *id, unsigned type, const char *text)
{
	char buf[CONF_IKE_ID_MAX + 1];

	assert_int_equal(id->type, type);
	assert_string_equal(conf_ike_id_str(id, buf, sizeof(buf)), text);
	if (type == 1) {
		assert_int_equal(id->len, 4);
		assert_memory_equal(id->data, &(uint32_t){ ip4(text) }, 4);
	} else if (type == 5) {
		struct in6_addr a;

		assert_int_equal(inet_pton(AF_INET6, text, &a), 1);
		assert_int_equal(id->len, 16);
		assert_memory_equal(id->data, &a, 16);
	} else {
		assert_int_equal(id->len, strlen(text));
		assert_memory_equal(id->data, text, id->len);
	}
}

static void
assert_ike_prop(const struct conf_ike_prop *p, unsigned encr, unsigned keylen, unsigned prf,
		unsigned dh)
{
	assert_int_equal(p->encr, encr);
	assert_int_equal(p->keylen, keylen);
	assert_int_equal(p->prf, prf);
	assert_int_equal(p->dh, dh);
}

static void
assert_props(const struct conf_peer *p, const char *ike, const char *esp)
{
	char buf[1024];

	assert_string_equal(conf_ike_props_str(&p->ike, buf, sizeof(buf)), ike);
	assert_string_equal(conf_esp_props_str(&p->ike, buf, sizeof(buf)), esp);
}

static void
test_ike_every_key(void **state)
{
	const char *text =
		GW
		"[peer hq]\n"                                             /* 4 */
		"endpoint = 198.18.0.2:4501\n"
		"subnets = 198.19.1.0/24, 2001:db8:1::/64\n"
		"psk = " PSK "\n"
		"local-id = gw-a.example.net\n"
		"remote-id = ops@example.net\n"
		"ike = chacha20poly1305-prfsha512-modp2048, aes128gcm-prfsha256-curve25519\n"
		"esp = chacha20poly1305, aes256gcm\n"
		"rekey-time = 20m\n"
		"ike-rekey-time = 2d\n"
		"dpd = 0\n"
		"initiate = no\n"
		"esn = no\n"
		"replay-window = 64\n"
		"encap = none\n"
		"[peer v6]\n"                                             /* 19 */
		"subnets = 198.19.2.0/24\n"
		"psk = 0x" HEX16 "\n"
		"local-id = 2001:db8::1\n"
		"remote-id = 198.18.0.77\n"
		"initiate = off\n"
		"rekey-time = 90s\n"
		"ike-rekey-time = 7200\n"
		"dpd = 1h\n";
	struct conf *c = parse_ok(text);
	const struct conf_peer *p = &c->peers[0];
	static const uint8_t hex16[16] = { 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18,
					   0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90 };

	(void)state;
	assert_int_equal(c->n_peers, 2);
	assert_true(p->ike.enabled);
	assert_int_equal(p->line, 4);
	assert_int_equal(p->endpoint_ip, ip4("198.18.0.2"));
	assert_int_equal(p->endpoint_port, 4501);
	assert_int_equal(p->n_subnets, 2);
	assert_int_equal(p->ike.psk_len, strlen(PSK));
	assert_memory_equal(p->ike.psk, PSK, strlen(PSK));
	assert_id(&p->ike.local_id, 2, "gw-a.example.net");
	assert_id(&p->ike.remote_id, 3, "ops@example.net");
	assert_int_equal(p->ike.n_ike, 2);
	assert_ike_prop(&p->ike.ike[0], 28, 0, 7, 14);
	assert_ike_prop(&p->ike.ike[1], 20, 128, 5, 31);
	assert_int_equal(p->ike.n_esp, 2);
	assert_int_equal(p->ike.esp[0].encr, 28);
	assert_int_equal(p->ike.esp[0].keylen, 0);
	assert_int_equal(p->ike.esp[1].encr, 20);
	assert_int_equal(p->ike.esp[1].keylen, 256);
	assert_props(p, "chacha20poly1305-prfsha512-modp2048, aes128gcm16-prfsha256-x25519",
		     "chacha20poly1305, aes256gcm16");
	assert_int_equal(p->ike.rekey_s, 1200);
	assert_int_equal(p->ike.ike_rekey_s, 2 * 86400);
	assert_int_equal(p->ike.dpd_s, 0);
	assert_false(p->ike.initiate);
	assert_false(p->esn);
	assert_int_equal(p->replay_window, 64);
	assert_false(p->udp_encap);
	/* No static SA until the control plane installs a CHILD_SA. */
	assert_int_equal(p->spi_out, 0);
	assert_int_equal(p->spi_in, 0);
	assert_int_equal(p->keymat_len, 0);

	p = &c->peers[1];
	assert_true(p->ike.enabled);
	assert_int_equal(p->endpoint_ip, 0);
	assert_int_equal(p->endpoint_port, 500);
	assert_int_equal(p->ike.psk_len, 16);
	assert_memory_equal(p->ike.psk, hex16, 16);
	assert_id(&p->ike.local_id, 5, "2001:db8::1");
	assert_id(&p->ike.remote_id, 1, "198.18.0.77");
	assert_false(p->ike.initiate);
	assert_int_equal(p->ike.rekey_s, 90);
	assert_int_equal(p->ike.ike_rekey_s, 7200);
	assert_int_equal(p->ike.dpd_s, 3600);
	conf_free(c);
}

static void
test_ike_defaults(void **state)
{
	/* hq comes before [gateway]: its local-id default is filled after. */
	const char *text =
		IKE_HQ                                                    /* 1-4 */
		GW                                                        /* 5-7 */
		"[peer resp]\n"
		"subnets = 198.19.2.0/24\n"
		"psk = " PSK2 "\n"
		"remote-id = responder.example\n"
		"[peer st]\n"
		PEER_BODY("198.18.0.3", "198.19.3.0/24", "0x2001", "0x1001", K20A, K20B);
	struct conf_ike zero;
	struct conf *c;
	const struct conf_peer *p;

	(void)state;
	c = parse_ok(text);
	p = conf_peer_find(c, "hq");
	assert_true(p->ike.enabled);
	assert_int_equal(p->ike.psk_len, strlen(PSK));
	assert_id(&p->ike.local_id, 1, "198.18.0.1");   /* wan-address */
	assert_id(&p->ike.remote_id, 1, "198.18.0.2");  /* the endpoint */
	assert_int_equal(p->endpoint_port, 500);
	assert_int_equal(p->ike.n_ike, 4);
	assert_ike_prop(&p->ike.ike[0], 20, 256, 6, 31);
	assert_ike_prop(&p->ike.ike[1], 20, 128, 5, 31);
	assert_ike_prop(&p->ike.ike[2], 20, 128, 5, 19);
	assert_ike_prop(&p->ike.ike[3], 28, 0, 5, 31);
	assert_int_equal(p->ike.n_esp, 3);
	assert_props(p, "aes256gcm16-prfsha384-x25519, aes128gcm16-prfsha256-x25519, "
		     "aes128gcm16-prfsha256-ecp256, chacha20poly1305-prfsha256-x25519",
		     "aes128gcm16, aes256gcm16, chacha20poly1305");
	assert_int_equal(p->ike.rekey_s, 3600);
	assert_int_equal(p->ike.ike_rekey_s, 14400);
	assert_int_equal(p->ike.dpd_s, 30);
	assert_true(p->ike.initiate);                   /* it has an endpoint */
	assert_true(p->esn);
	assert_int_equal(p->replay_window, 1024);
	assert_true(p->udp_encap);
	assert_int_equal(p->spi_in, 0);
	assert_int_equal(p->keymat_len, 0);

	p = conf_peer_find(c, "resp");
	assert_true(p->ike.enabled);
	assert_int_equal(p->endpoint_ip, 0);
	assert_int_equal(p->endpoint_port, 500);
	assert_false(p->ike.initiate);                  /* no endpoint */
	assert_id(&p->ike.local_id, 1, "198.18.0.1");
	assert_id(&p->ike.remote_id, 2, "responder.example");
	assert_int_equal(p->ike.n_ike, 4);
	assert_int_equal(p->ike.n_esp, 3);

	/* A static-key peer has no IKEv2 settings at all and keeps port 4500. */
	p = conf_peer_find(c, "st");
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&p->ike, &zero, sizeof(zero));
	assert_int_equal(p->endpoint_port, 4500);
	assert_int_equal(p->keymat_len, 20);
	conf_free(c);

	/* An endpoint port given as 4500 stays 4500; psk after endpoint or before. */
	c = parse_ok(GW "[peer a]\npsk = " PSK "\nendpoint = 198.18.0.4\nsubnets = 10.4.0.0/16\n"
		     "[peer b]\nendpoint = 198.18.0.5:4500\nsubnets = 10.5.0.0/16\npsk = " PSK "\n");
	assert_int_equal(c->peers[0].endpoint_port, 500);
	assert_int_equal(c->peers[1].endpoint_port, 4500);
	conf_free(c);
}

static void
test_ike_psk(void **state)
{
	char text[8192], big[1024];
	struct conf_peer p;

	(void)state;
	/* Exactly 16 octets; spaces inside are part of it. */
	snprintf(text, sizeof(text), GW "[peer a]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
		 "psk = sixteen-bytes-ok\n[peer b]\nendpoint = 198.18.0.3\nsubnets = 10.1.0.0/16\n"
		 "psk = correct horse battery\n");
	{
		struct conf *c = parse_ok(text);

		assert_int_equal(c->peers[0].ike.psk_len, 16);
		assert_memory_equal(c->peers[0].ike.psk, "sixteen-bytes-ok", 16);
		assert_int_equal(c->peers[1].ike.psk_len, 21);
		assert_memory_equal(c->peers[1].ike.psk, "correct horse battery", 21);
		conf_free(c);
	}
	/* Hex after 0x or 0X. */
	snprintf(text, sizeof(text), GW "[peer a]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
		 "psk = 0X" HEX16 "\n");
	{
		struct conf *c = parse_ok(text);

		assert_int_equal(c->peers[0].ike.psk_len, 16);
		assert_int_equal(c->peers[0].ike.psk[0], 0xa1);
		assert_int_equal(c->peers[0].ike.psk[15], 0x90);
		conf_free(c);
	}
	/* 256 octets of text, and of hex. */
	memset(big, 'k', 256);
	big[256] = '\0';
	snprintf(text, sizeof(text), GW "[peer a]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
		 "psk = %s\n", big);
	{
		struct conf *c = parse_ok(text);

		assert_int_equal(c->peers[0].ike.psk_len, 256);
		assert_int_equal(c->peers[0].ike.psk[255], 'k');
		conf_free(c);
	}
	memset(big, 'f', 512);
	big[512] = '\0';
	snprintf(text, sizeof(text), GW "[peer a]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
		 "psk = 0x%s\n", big);
	{
		struct conf *c = parse_ok(text);

		assert_int_equal(c->peers[0].ike.psk_len, 256);
		assert_int_equal(c->peers[0].ike.psk[255], 0xff);
		conf_free(c);
	}

	/* Errors: the length, bad hex, psk and psk-file together. */
	snprintf(text, sizeof(text), GW "[peer a]\nsubnets = 10.0.0.0/8\npsk = %.15s\n", PSK);
	expect_err_psk(text, 6, "psk: at least 16 octets");
	snprintf(text, sizeof(text), GW "[peer a]\nsubnets = 10.0.0.0/8\npsk = 0x%.30s\n", HEX16);
	expect_err_psk(text, 6, "psk: at least 16 octets");
	snprintf(text, sizeof(text), GW "[peer a]\nsubnets = 10.0.0.0/8\npsk = %sk\n",
		 (memset(big, 'k', 256), big[256] = '\0', big));
	expect_err_psk(text, 6, "psk: at most 256 octets");
	snprintf(text, sizeof(text), GW "[peer a]\nsubnets = 10.0.0.0/8\npsk = 0x%sff\n",
		 (memset(big, 'f', 512), big[512] = '\0', big));
	expect_err_psk(text, 6, "psk: at most 256 octets");
	expect_err_psk(GW "[peer a]\nsubnets = 10.0.0.0/8\npsk = 0x" HEX16 "1\n", 6,
		       "psk: after 0x, expected an even number of hex digits");
	expect_err_psk(GW "[peer a]\nsubnets = 10.0.0.0/8\npsk = 0x" PSK "\n", 6,
		       "even number of hex digits");
	expect_err_psk(GW "[peer a]\nsubnets = 10.0.0.0/8\npsk = 0x\n", 6,
		       "even number of hex digits");
	expect_err_psk(GW "[peer a]\npsk = " PSK "\npsk-file = /nonexistent\n", 6,
		       "psk-file and psk are mutually exclusive (psk at line 5)");
	expect_err_psk(GW "[peer a]\npsk = " PSK "\npsk = " PSK2 "\n", 6, "duplicate key 'psk'");
	expect_hq_err("psk = " PSK2, "duplicate key 'psk' (first at line 7)");

	/* The peer keeps the PSK given. */
	hq_ok("", &p);
	assert_int_equal(p.ike.psk_len, strlen(PSK));
	explicit_bzero(&p, sizeof(p));
}

static void
test_ike_psk_file(void **state)
{
	char dir[64], path[PATH_MAX], err[CONF_ERR_MAX], text[PATH_MAX + 256];
	static const struct {
		const char *file;   /* written as hq.psk unless NULL */
		mode_t mode;
		const char *msg;
	} bad[] = {
		{ PSK "\n", 0644, "hq.psk is accessible by group or others (mode 0644); chmod 600" },
		{ PSK "\n", 0640, "(mode 0640)" },
		{ PSK "\n", 0604, "(mode 0604)" },
		{ "fifteen-bytes!!\n" PSK "\n", 0600, "psk-file: at least 16 octets" },
		{ "\n" PSK "\n", 0600, "psk-file: at least 16 octets" },
		{ "", 0600, "psk-file: at least 16 octets" },
		{ "0x" HEX16 "f\n", 0600, "psk-file: after 0x, expected an even number" },
		{ NULL, 0, "psk-file: hq.psk: No such file" },
	};
	static const struct {
		const char *file;
		const char *psk;
		size_t len;
	} good[] = {
		{ PSK "\n", PSK, sizeof(PSK) - 1 },
		{ PSK, PSK, sizeof(PSK) - 1 },                           /* no newline */
		{ PSK " \t\r\n" PSK2 "\n", PSK, sizeof(PSK) - 1 },        /* first line only */
		{ "  " PSK "\n", "  " PSK, sizeof(PSK) + 1 },             /* leading blanks kept */
		{ "0x" HEX16 "\n", "\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18\x29\x3a\x4b\x5c\x6d\x7e\x8f\x90", 16 },
	};
	struct conf *c;
	unsigned i;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	snprintf(text, sizeof(text), GW "[peer hq]\n"
		 "endpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
		 "psk-file = hq.psk\n");                                 /* line 7 */
	write_str(dir, "gw.conf", text, 0600);
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		write_str(dir, "hq.psk", good[i].file, 0600);
		c = NULL;
		if (conf_load(path, &c, err, sizeof(err)) != 0)
			fail_msg("good[%u]: %s", i, err);
		assert_true(c->peers[0].ike.enabled);
		assert_int_equal(c->peers[0].ike.psk_len, good[i].len);
		assert_memory_equal(c->peers[0].ike.psk, good[i].psk, good[i].len);
		conf_free(c);
	}
	/* Mode 0400 is fine too. */
	write_str(dir, "hq.psk", PSK2, 0400);
	c = NULL;
	if (conf_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_memory_equal(c->peers[0].ike.psk, PSK2, sizeof(PSK2) - 1);
	conf_free(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char kpath[PATH_MAX];

		snprintf(kpath, sizeof(kpath), "%s/hq.psk", dir);
		unlink(kpath);
		if (bad[i].file != NULL)
			write_str(dir, "hq.psk", bad[i].file, bad[i].mode);
		c = (struct conf *)1;
		assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
		assert_null(c);
		check_err(err, path, 7, bad[i].msg);
		assert_no_psk(err);
	}
	/* A NUL byte, a directory, a file that is too large. */
	snprintf(path, sizeof(path), "%s/hq.psk", dir);
	unlink(path);
	write_file(path, PSK "\0x\n", sizeof(PSK) + 2, 0600);
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	check_err(err, path, 7, "hq.psk: found a NUL byte");
	assert_no_psk(err);
	snprintf(path, sizeof(path), "%s/hq.psk", dir);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
	check_err(err, path, 7, "hq.psk is not a regular file");
	snprintf(path, sizeof(path), "%s/hq.psk", dir);
	rmdir(path);
	{
		static char big[8192];

		memset(big, 'x', sizeof(big));
		memcpy(big, PSK "\n", sizeof(PSK));
		write_file(path, big, sizeof(big), 0600);
		snprintf(path, sizeof(path), "%s/gw.conf", dir);
		assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
		check_err(err, path, 7, "too large");
		assert_no_psk(err);
	}
	/* An absolute path, and one relative to a config named with a directory. */
	snprintf(path, sizeof(path), "%s/abs.psk", dir);
	write_str(dir, "abs.psk", PSK2 "\n", 0600);
	snprintf(text, sizeof(text), GW "[peer hq]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
		 "psk-file = %s\n", path);
	c = parse_ok(text);
	assert_memory_equal(c->peers[0].ike.psk, PSK2, sizeof(PSK2) - 1);
	conf_free(c);
	snprintf(path, sizeof(path), "%s/any.conf", dir);
	c = parse_ok_named(GW "[peer hq]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n"
			   "psk-file = abs.psk\n", path);
	assert_int_equal(c->peers[0].ike.psk_len, sizeof(PSK2) - 1);
	conf_free(c);
	remove_tmpdir(dir);
}

/* Static key lines in an IKEv2 peer, IKEv2 lines in a static one. */
static void
test_ike_err_static_mix(void **state)
{
	static const char *const stat[] = {
		"cipher = aes-128-gcm", "spi-out = 0x2001", "key-out = " K20A,
		"key-out-file = k.key", "spi-in = 0x1001", "key-in = " K20B,
		"key-in-file = k.key",
	};
	static const char *const stat_key[] = {
		"cipher", "spi-out", "key-out", "key-out-file", "spi-in", "key-in", "key-in-file",
	};
	static const char *const ike[] = {
		"local-id = a.example", "remote-id = b.example",
		"ike = aes128gcm16-prfsha256-x25519", "esp = aes128gcm16", "rekey-time = 1h",
		"ike-rekey-time = 1h", "dpd = 10s", "initiate = no",
	};
	char dir[64], name[PATH_MAX], text[2048], msg[256];
	unsigned i;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	write_str(dir, "k.key", K20A "\n", 0600);
	write_str(dir, "hq.psk", PSK "\n", 0600);
	snprintf(name, sizeof(name), "%s/t.conf", dir);
	for (i = 0; i < sizeof(stat) / sizeof(stat[0]); i++) {
		/* After psk (line 7): reported at the static key's line 8. */
		snprintf(text, sizeof(text), GW IKE_HQ "%s\n", stat[i]);
		snprintf(msg, sizeof(msg), "%s and psk are mutually exclusive (psk at line 7)",
			 stat_key[i]);
		expect_err_named(text, name, 8, msg);
		/* Before psk-file: reported at psk-file's line. */
		snprintf(text, sizeof(text), GW "[peer hq]\nsubnets = 10.0.0.0/8\n%s\n"
			 "endpoint = 198.18.0.2\npsk-file = hq.psk\n", stat[i]);
		snprintf(msg, sizeof(msg), "psk-file and %s are mutually exclusive (%s at line 6)",
			 stat_key[i], stat_key[i]);
		expect_err_named(text, name, 8, msg);
	}
	/* A whole static peer plus psk. */
	expect_err_psk(GW PEER_B "psk = " PSK "\n", 12,
		       "psk and cipher are mutually exclusive (cipher at line 7)");
	remove_tmpdir(dir);

	for (i = 0; i < sizeof(ike) / sizeof(ike[0]); i++) {
		char key[32];

		snprintf(text, sizeof(text), GW PEER_B "%s\n", ike[i]);
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(ike[i], " "), ike[i]);
		snprintf(msg, sizeof(msg), "%s needs psk or psk-file", key);
		expect_err(text, 12, msg);
	}
	/* The first one is named. */
	expect_err(GW "[peer s]\ndpd = 1s\nlocal-id = x.example\n"
		   PEER_BODY("198.18.0.2", "10.0.0.0/8", "0x2001", "0x1001", K20A, K20B), 5,
		   "dpd needs psk or psk-file");
	/* A static peer with none of its keys says what is missing, as before. */
	expect_err(GW "[peer s]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\n", 4,
		   "[peer s]: missing cipher");
}

static void
test_ike_err_endpoint_ids(void **state)
{
	char text[2048], long_id[300];
	struct conf_peer p;
	struct conf *c;

	(void)state;
	/* Responder only: remote-id is needed, initiate = yes is not possible. */
	expect_err_psk(GW "[peer r]\nsubnets = 10.0.0.0/8\npsk = " PSK "\n", 4,
		       "[peer r]: missing remote-id (needed without endpoint)");
	expect_err_psk(GW "[peer r]\nsubnets = 10.0.0.0/8\npsk = " PSK "\n"
		       "remote-id = r.example\ninitiate = yes\n", 8,
		       "initiate: yes needs an endpoint");
	expect_err_psk(GW "[peer r]\nendpoint = 198.18.0.2\npsk = " PSK "\n", 4,
		       "[peer r]: missing subnets");
	expect_hq_err("initiate = maybe", "initiate: expected yes or no, got 'maybe'");
	expect_hq_err("endpoint = 198.18.0.9", "duplicate key 'endpoint'");
	/* The endpoint still must not be our own address. */
	expect_err_psk(GW "[peer r]\nendpoint = 198.18.0.1\nsubnets = 10.0.0.0/8\npsk = " PSK "\n",
		       4, "endpoint is this gateway's own wan-address");

	/* IDs: each type, and what is refused. */
	hq_ok("local-id = 198.18.0.1\nremote-id = 2001:db8::7\n", &p);
	assert_id(&p.ike.local_id, 1, "198.18.0.1");
	assert_id(&p.ike.remote_id, 5, "2001:db8::7");
	hq_ok("local-id = a@b\nremote-id = a.b-c_d:e\n", &p);
	assert_id(&p.ike.local_id, 3, "a@b");
	assert_id(&p.ike.remote_id, 2, "a.b-c_d:e");
	hq_ok("remote-id = 198.18.0.300\n", &p);  /* not an address: an FQDN */
	assert_id(&p.ike.remote_id, 2, "198.18.0.300");
	memset(long_id, 'a', 255);
	long_id[255] = '\0';
	snprintf(text, sizeof(text), "remote-id = %s\n", long_id);
	hq_ok(text, &p);
	assert_int_equal(p.ike.remote_id.len, 255);
	assert_id(&p.ike.remote_id, 2, long_id);
	long_id[255] = 'a';
	long_id[256] = '\0';
	snprintf(text, sizeof(text), "remote-id = %s", long_id);
	expect_hq_err(text, "remote-id: too long (max 255 characters)");
	expect_hq_err("local-id = gw example", "local-id: 'gw example' has spaces or control");
	expect_hq_err("local-id = gw\texample", "has spaces or control characters");
	expect_hq_err("local-id = gw\x7f" "example", "has spaces or control characters");
	expect_hq_err("local-id = gw\xc3\xa9.example", "has spaces or control characters");
	expect_hq_err("remote-id = @gw.example", "remote-id: '@gw.example' is not an email");
	expect_hq_err("remote-id = ops@", "is not an email address");
	expect_hq_err("remote-id =", "remote-id: empty value");

	/* conf_ike_id_str: truncation and nonsense never overflow. */
	{
		struct conf_ike_id id = { .type = 2, .len = 5 };
		char small[4];

		memcpy(id.data, "hello", 5);
		assert_string_equal(conf_ike_id_str(&id, small, sizeof(small)), "hel");
		id.type = 9;
		assert_string_equal(conf_ike_id_str(&id, small, sizeof(small)), "?");
		id.type = 1;  /* IPv4 with a wrong length */
		assert_string_equal(conf_ike_id_str(&id, small, sizeof(small)), "?");
		assert_string_equal(conf_ike_id_str(NULL, small, sizeof(small)), "?");
	}

	/* Two IKEv2 peers must not share a remote-id (explicit or defaulted). */
	expect_err_psk(GW IKE_HQ "remote-id = gw.example\n"
		       "[peer b]\nendpoint = 198.18.0.3\nsubnets = 10.0.0.0/8\npsk = " PSK2 "\n"
		       "remote-id = gw.example\n", 13,
		       "remote-id: gw.example is also peer hq's");
	expect_err_psk(GW IKE_HQ
		       "[peer b]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\npsk = " PSK2 "\n", 9,
		       "remote-id: 198.18.0.2 is also peer hq's");
	/* The same endpoint with distinct IDs is fine; so are SPIs (all 0) and a
	 * static peer next to IKEv2 peers; routed subnets still must differ. */
	c = parse_ok(GW IKE_HQ "remote-id = a.example\n"
		     "[peer b]\nendpoint = 198.18.0.2\nsubnets = 10.0.0.0/8\npsk = " PSK2 "\n"
		     "remote-id = b.example\n" PEER_S);
	assert_int_equal(c->n_peers, 3);
	conf_free(c);
	expect_err_psk(GW IKE_HQ "[peer b]\nendpoint = 198.18.0.3\nsubnets = 198.19.1.0/24\n"
		       "psk = " PSK2 "\n", 10, "subnets: 198.19.1.0/24 is already routed to peer hq");
	expect_err(GW PEER_B "[peer hq]\nendpoint = 198.18.0.3\nsubnets = 198.19.1.0/24\n"
		   "psk = " PSK2 "\n", 14, "subnets: 198.19.1.0/24 is already routed to peer site-b");
	explicit_bzero(&p, sizeof(p));
}

static void
test_ike_durations(void **state)
{
	static const struct {
		const char *val;
		uint32_t s;
	} good[] = {
		{ "0", 0 }, { "45", 45 }, { "45s", 45 }, { "2m", 120 }, { "1h", 3600 },
		{ "1d", 86400 }, { "007", 7 }, { "4294967295", 4294967295u },
		{ "4294967295s", 4294967295u }, { "71582788m", 4294967280u },
		{ "1193046h", 4294965600u }, { "49710d", 4294944000u },
	};
	static const char *const bad[] = {
		"4294967296", "71582789m", "1193047h", "49711d", "99999999999",
		"1x", "h", "1hh", "-1", "+1", "1 h", "1.5h", "1H", "0x10", "1h30m", "s",
	};
	static const char *const keys[] = { "rekey-time", "ike-rekey-time", "dpd" };
	char text[256], msg[256];
	struct conf_peer p;
	unsigned i, k;

	(void)state;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			uint32_t got;

			snprintf(text, sizeof(text), "%s = %s\n", keys[k], good[i].val);
			hq_ok(text, &p);
			got = k == 0 ? p.ike.rekey_s : k == 1 ? p.ike.ike_rekey_s : p.ike.dpd_s;
			if (got != good[i].s)
				fail_msg("%s = %s: got %u, expected %u", keys[k], good[i].val,
					 got, good[i].s);
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(text, sizeof(text), "%s = %s", keys[k], bad[i]);
			snprintf(msg, sizeof(msg), "%s: expected N, Ns, Nm, Nh or Nd", keys[k]);
			expect_hq_err(text, msg);
		}
	}
	explicit_bzero(&p, sizeof(p));
}

static void
test_ike_proposals(void **state)
{
	static const char *const encr[] = { "aes128gcm16", "aes256gcm16", "chacha20poly1305" };
	static const char *const prf[] = { "prfsha256", "prfsha384", "prfsha512" };
	static const char *const dh[] = { "x25519", "ecp256", "modp2048" };
	char text[2048], list[1024];
	struct conf_peer p;
	unsigned i;

	(void)state;
	/* White space around ',' and '-', every name and alias. */
	hq_ok("ike =   aes128gcm - prfsha256 -x25519 ,chacha20poly1305-prfsha512-modp2048,"
	      "aes256gcm-prfsha384-curve25519,\taes128gcm16-prfsha256-ecp256\n"
	      "esp = aes128gcm ,  chacha20poly1305\n", &p);
	assert_int_equal(p.ike.n_ike, 4);
	assert_ike_prop(&p.ike.ike[0], 20, 128, 5, 31);
	assert_ike_prop(&p.ike.ike[1], 28, 0, 7, 14);
	assert_ike_prop(&p.ike.ike[2], 20, 256, 6, 31);
	assert_ike_prop(&p.ike.ike[3], 20, 128, 5, 19);
	assert_props(&p, "aes128gcm16-prfsha256-x25519, chacha20poly1305-prfsha512-modp2048, "
		     "aes256gcm16-prfsha384-x25519, aes128gcm16-prfsha256-ecp256",
		     "aes128gcm16, chacha20poly1305");
	/* What conf_ike_props_str prints parses back to the same. */
	{
		struct conf_peer q;

		conf_ike_props_str(&p.ike, list, sizeof(list));
		snprintf(text, sizeof(text), "ike = %s\n", list);
		hq_ok(text, &q);
		assert_int_equal(q.ike.n_ike, p.ike.n_ike);
		assert_memory_equal(q.ike.ike, p.ike.ike, sizeof(p.ike.ike));
		explicit_bzero(&q, sizeof(q));
	}
	/* A short buffer truncates. */
	assert_string_equal(conf_ike_props_str(&p.ike, list, 12), "aes128gcm16");
	assert_string_equal(conf_esp_props_str(&p.ike, list, 5), "aes1");

	/* Exactly 8 proposals, then 9. */
	list[0] = '\0';
	for (i = 0; i < 8; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s-%s-%s",
			 i ? ", " : "", encr[i % 3], prf[(i / 3) % 3], dh[i % 2]);
	snprintf(text, sizeof(text), "ike = %s\n", list);
	hq_ok(text, &p);
	assert_int_equal(p.ike.n_ike, 8);
	snprintf(text, sizeof(text), "ike = %s, chacha20poly1305-prfsha512-modp2048", list);
	expect_hq_err(text, "ike: too many proposals (max 8)");

	/* The offending token is named. */
	expect_hq_err("ike = aes128gcm16-prfsha256", "ike: 'aes128gcm16-prfsha256' is not "
		      "ENCR-PRF-DH");
	expect_hq_err("ike = aes128gcm16-prfsha256-x25519-esn", "is not ENCR-PRF-DH");
	expect_hq_err("ike = aes128gcm16", "'aes128gcm16' is not ENCR-PRF-DH");
	expect_hq_err("ike = aes128gcm16-prfsha256-x25519, aes128ccm16-prfsha256-x25519",
		      "ike: unknown encryption 'aes128ccm16' in 'aes128ccm16-prfsha256-x25519'");
	expect_hq_err("ike = aes128gcm16-prfmd5-x25519", "ike: unknown PRF 'prfmd5'");
	expect_hq_err("ike = aes128gcm16-prfsha256-modp1024", "ike: unknown DH group 'modp1024'");
	expect_hq_err("ike = aes128gcm16--x25519", "ike: unknown PRF ''");
	expect_hq_err("ike = AES128GCM16-prfsha256-x25519", "unknown encryption 'AES128GCM16'");
	expect_hq_err("ike = aes128gcm16-prfsha256-x25519, aes128gcm-prfsha256-curve25519",
		      "ike: 'aes128gcm-prfsha256-curve25519' is given twice");
	expect_hq_err("ike = aes128gcm16-prfsha256-x25519,,aes256gcm16-prfsha256-x25519",
		      "ike: empty list entry");
	expect_hq_err("ike = aes128gcm16-prfsha256-x25519,", "ike: empty list entry");
	expect_hq_err("esp = aes128gcm16-esn", "esp: unknown DH group 'esn' in 'aes128gcm16-esn'");
	expect_hq_err("esp = aes128gcm16, aes128gcm", "esp: 'aes128gcm' is given twice");
	expect_hq_err("esp = , aes128gcm16", "esp: empty list entry");
	expect_hq_err("esp = 3des", "esp: unknown algorithm '3des'");
	explicit_bzero(&p, sizeof(p));
}

/* esp = ENCR-DH: strongSwan's PFS suffix per ESP proposal (x25519 | curve25519 |
 * ecp256 | modp2048); without it no PFS. Printed back the same way. */
static void
test_esp_pfs(void **state)
{
	struct conf_peer p, q;
	char list[512], text[600];

	(void)state;
	hq_ok("esp = aes128gcm16-x25519, aes256gcm16-ecp256, chacha20poly1305-modp2048, "
	      "aes128gcm16\n", &p);
	assert_int_equal(p.ike.n_esp, 4);
	assert_int_equal(p.ike.esp[0].encr, 20);
	assert_int_equal(p.ike.esp[0].keylen, 128);
	assert_int_equal(p.ike.esp[0].dh, 31);
	assert_int_equal(p.ike.esp[1].keylen, 256);
	assert_int_equal(p.ike.esp[1].dh, 19);
	assert_int_equal(p.ike.esp[2].encr, 28);
	assert_int_equal(p.ike.esp[2].keylen, 0);
	assert_int_equal(p.ike.esp[2].dh, 14);
	assert_int_equal(p.ike.esp[3].dh, 0);	/* the same cipher without PFS */
	assert_string_equal(conf_esp_props_str(&p.ike, list, sizeof(list)),
			    "aes128gcm16-x25519, aes256gcm16-ecp256, chacha20poly1305-modp2048, "
			    "aes128gcm16");
	/* what is printed parses back to the same */
	snprintf(text, sizeof(text), "esp = %s\n", list);
	hq_ok(text, &q);
	assert_int_equal(q.ike.n_esp, 4);
	assert_memory_equal(q.ike.esp, p.ike.esp, sizeof(p.ike.esp));
	/* blanks around '-', aliases; the default has no PFS */
	hq_ok("esp = aes128gcm - curve25519 ,aes256gcm-x25519\n", &p);
	assert_int_equal(p.ike.esp[0].dh, 31);
	assert_int_equal(p.ike.esp[1].dh, 31);
	assert_string_equal(conf_esp_props_str(&p.ike, list, sizeof(list)),
			    "aes128gcm16-x25519, aes256gcm16-x25519");
	hq_ok("", &p);
	assert_int_equal(p.ike.n_esp, 3);
	for (unsigned i = 0; i < p.ike.n_esp; i++)
		assert_int_equal(p.ike.esp[i].dh, 0);
	/* the token is named; one group per proposal */
	expect_hq_err("esp = aes128gcm16-modp1024", "esp: unknown DH group 'modp1024' in "
		      "'aes128gcm16-modp1024'");
	expect_hq_err("esp = aes128gcm16-x25519-ecp256", "esp: 'aes128gcm16-x25519-ecp256' "
		      "is not ENCR or ENCR-DH");
	expect_hq_err("esp = aes128gcm16-", "is not ENCR or ENCR-DH");
	expect_hq_err("esp = -x25519", "is not ENCR or ENCR-DH");
	expect_hq_err("esp = aes128ccm16-x25519", "esp: unknown algorithm 'aes128ccm16'");
	expect_hq_err("esp = aes128gcm16-prfsha256", "unknown DH group 'prfsha256'");
	expect_hq_err("esp = aes128gcm16-x25519, aes128gcm-curve25519",
		      "esp: 'aes128gcm-curve25519' is given twice");
	explicit_bzero(&p, sizeof(p));
	explicit_bzero(&q, sizeof(q));
}

/* `peer add`: the same keys, defaults and checks, against a base gateway. */
static void
test_ike_parse_peer(void **state)
{
	static const char body[] =
		"endpoint = 198.18.0.9\n"
		"subnets = 10.9.0.0/16\n"
		"psk = " PSK "\n"
		"remote-id = nine.example\n"
		"dpd = 5s\n";
	struct conf *base = parse_ok(GW IKE_HQ "remote-id = hq.example\n" PEER_S);
	char err[CONF_ERR_MAX];
	struct conf_peer p;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	if (conf_parse_peer(base, "nine", body, strlen(body), "peer add", &p, err,
			    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(p.name, "nine");
	assert_int_equal(p.line, 0);
	assert_true(p.ike.enabled);
	assert_int_equal(p.endpoint_port, 500);
	assert_int_equal(p.ike.psk_len, strlen(PSK));
	assert_id(&p.ike.local_id, 1, "198.18.0.1");     /* base's wan-address */
	assert_id(&p.ike.remote_id, 2, "nine.example");
	assert_int_equal(p.ike.dpd_s, 5);
	assert_int_equal(p.ike.rekey_s, 3600);
	assert_int_equal(p.ike.n_ike, 4);
	assert_true(p.ike.initiate);
	assert_int_equal(p.spi_in, 0);
	assert_int_equal(conf_peer_clash(base, &p, UINT_MAX, err, sizeof(err)), 0);

	/* Its remote-id clashes with hq's when it is hq's. */
	{
		static const char dup[] = "subnets = 10.9.0.0/16\npsk = " PSK "\n"
					  "remote-id = hq.example\n";

		assert_int_equal(conf_parse_peer(base, "nine", dup, strlen(dup), "peer add", &p,
						 err, sizeof(err)), 0);
		assert_int_equal(p.endpoint_ip, 0);
		assert_false(p.ike.initiate);
		assert_int_equal(conf_peer_clash(base, &p, UINT_MAX, err, sizeof(err)), -1);
		assert_string_equal(err, "remote-id hq.example is also peer hq's");
		/* ... but not with hq itself (skip = its index). */
		assert_int_equal(conf_peer_clash(base, &p, 0, err, sizeof(err)), 0);
	}

	/* Errors read "peer add:LINE: ..." and never hold the PSK. */
	{
		static const struct {
			const char *body;
			unsigned line;
			const char *msg;
		} bad[] = {
			{ "subnets = 10.9.0.0/16\npsk = " PSK "\ncipher = aes-128-gcm\n", 3,
			  "cipher and psk are mutually exclusive (psk at line 2)" },
			{ "subnets = 10.9.0.0/16\npsk = 0123456789\n", 2,
			  "psk: at least 16 octets" },
			{ "subnets = 10.9.0.0/16\npsk = " PSK "\n", 0,
			  "[peer nine]: missing remote-id" },
			{ "endpoint = 198.18.0.9\npsk = " PSK "\n", 0, "[peer nine]: missing subnets" },
			{ "endpoint = 198.18.0.1\nsubnets = 10.9.0.0/16\npsk = " PSK "\n", 0,
			  "endpoint is this gateway's own wan-address" },
			{ "[peer x]\npsk = " PSK "\n", 1, "no [section] header here" },
			{ "local-id = a.example\n" PEER_BODY("198.18.0.9", "10.9.0.0/16", "0x2009",
							      "0x1009", K20A, K20B), 1,
			  "local-id needs psk or psk-file" },
		};
		unsigned i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(err, 0, sizeof(err));
			assert_int_equal(conf_parse_peer(base, "nine", bad[i].body,
							 strlen(bad[i].body), "peer add", &p, err,
							 sizeof(err)), -1);
			check_err(err, "peer add", bad[i].line, bad[i].msg);
			assert_no_psk(err);
		}
	}

	/* conf_peer_set endpoint: an IKEv2 peer's default port is 500. */
	assert_int_equal(conf_peer_set(base, &base->peers[0], "endpoint", "198.18.0.20", err,
				       sizeof(err)), 0);
	assert_int_equal(base->peers[0].endpoint_ip, ip4("198.18.0.20"));
	assert_int_equal(base->peers[0].endpoint_port, 500);
	assert_int_equal(conf_peer_set(base, &base->peers[0], "endpoint", "198.18.0.21:4600", err,
				       sizeof(err)), 0);
	assert_int_equal(base->peers[0].endpoint_port, 4600);
	assert_int_equal(conf_peer_set(base, &base->peers[1], "endpoint", "198.18.0.22", err,
				       sizeof(err)), 0);
	assert_int_equal(base->peers[1].endpoint_port, 4500);
	explicit_bzero(&p, sizeof(p));
	conf_free(base);
}

/* Two peers from one text, for the diff tests. */
static struct conf *
diff_base(void)
{
	return parse_ok(GW IKE_HQ "remote-id = hq.example\n" PEER_S);
}

static void
test_peer_diff_static(void **state)
{
	struct conf *c = diff_base();
	const struct conf_peer *a = &c->peers[1];
	struct conf_peer b;

	(void)state;
	assert_false(a->ike.enabled);
#define DIFF(stmt, want) \
	do { \
		b = *a; \
		stmt; \
		assert_int_equal(conf_peer_diff(a, &b), (want)); \
		assert_int_equal(conf_peer_diff(&b, a), (want)); \
	} while (0)
	DIFF((void)0, 0);
	DIFF(b.cipher = AEAD_CHACHA20_POLY1305, CONF_DIFF_OUT | CONF_DIFF_IN);
	DIFF(b.keymat_len = 36, CONF_DIFF_OUT | CONF_DIFF_IN);
	DIFF(b.esn = false, CONF_DIFF_OUT | CONF_DIFF_IN);
	DIFF(b.spi_out = 0x9999, CONF_DIFF_OUT);
	DIFF(b.key_out[3] ^= 1, CONF_DIFF_OUT);
	DIFF(b.endpoint_ip = ip4("198.18.0.99"), CONF_DIFF_OUT);
	DIFF(b.endpoint_port = 4501, CONF_DIFF_OUT);
	DIFF(b.udp_encap = false, CONF_DIFF_OUT);
	DIFF(b.spi_in = 0x9999, CONF_DIFF_IN);
	DIFF(b.key_in[19] ^= 0x80, CONF_DIFF_IN);
	DIFF(b.replay_window = 64, CONF_DIFF_IN);
	DIFF(b.n_subnets = 0, CONF_DIFF_SUBNETS);
	DIFF(b.subnets[0].len = 25, CONF_DIFF_SUBNETS);
	DIFF(b.subnets[0].addr[2] = 7, CONF_DIFF_SUBNETS);
	DIFF((b.subnets[1] = b.subnets[0], b.subnets[1].len = 32, b.n_subnets = 2),
	     CONF_DIFF_SUBNETS);
	DIFF((b.spi_in = 0x9999, b.n_subnets = 0), CONF_DIFF_IN | CONF_DIFF_SUBNETS);
	/* Neither the name nor the line are settings. */
	DIFF((strcpy(b.name, "other"), b.line = 99), 0);
	explicit_bzero(&b, sizeof(b));
	conf_free(c);
}

static void
test_peer_diff_ike(void **state)
{
	struct conf *c = diff_base();
	const struct conf_peer *a = &c->peers[0], *st = &c->peers[1];
	struct conf_peer b;

	(void)state;
	assert_true(a->ike.enabled);
	DIFF((void)0, 0);
	DIFF(b.ike.psk[0] ^= 1, CONF_DIFF_IKE);
	DIFF(b.ike.psk_len--, CONF_DIFF_IKE);
	DIFF(b.ike.local_id.data[3] ^= 1, CONF_DIFF_IKE);
	DIFF(b.ike.local_id.type = 2, CONF_DIFF_IKE);
	DIFF(b.ike.remote_id.len--, CONF_DIFF_IKE);
	DIFF(b.ike.remote_id.data[0] = 'H', CONF_DIFF_IKE);
	DIFF(b.ike.n_ike--, CONF_DIFF_IKE);
	DIFF(b.ike.ike[3].dh = 19, CONF_DIFF_IKE);
	DIFF(b.ike.ike[0].keylen = 128, CONF_DIFF_IKE);
	DIFF(b.ike.ike[1].prf = 7, CONF_DIFF_IKE);
	DIFF(b.ike.ike[2].encr = 28, CONF_DIFF_IKE);
	DIFF(b.ike.n_esp = 1, CONF_DIFF_IKE);
	DIFF(b.ike.esp[2].encr = 20, CONF_DIFF_IKE);
	DIFF(b.ike.esp[0].keylen = 256, CONF_DIFF_IKE);
	DIFF(b.ike.esp[1].dh = 31, CONF_DIFF_IKE);
	DIFF(b.ike.rekey_s++, CONF_DIFF_IKE);
	DIFF(b.ike.ike_rekey_s = 0, CONF_DIFF_IKE);
	DIFF(b.ike.dpd_s = 0, CONF_DIFF_IKE);
	DIFF(b.ike.initiate = false, CONF_DIFF_IKE);
	/* What the IKE SA talks to and offers (the static flags as before). */
	DIFF(b.endpoint_ip = ip4("198.18.0.99"), CONF_DIFF_IKE | CONF_DIFF_OUT);
	DIFF(b.endpoint_port = 4500, CONF_DIFF_IKE | CONF_DIFF_OUT);
	DIFF(b.udp_encap = false, CONF_DIFF_IKE | CONF_DIFF_OUT);
	DIFF(b.esn = false, CONF_DIFF_IKE | CONF_DIFF_OUT | CONF_DIFF_IN);
	DIFF(b.n_subnets = 0, CONF_DIFF_SUBNETS);
	DIFF(b.replay_window = 64, CONF_DIFF_IN);
	/* Unused tails of the arrays are not settings. */
	DIFF((b.ike.psk[CONF_PSK_MAX - 1] ^= 1, b.ike.remote_id.data[200] = 1,
	      b.ike.ike[7].dh = 1, b.ike.esp[7].encr = 1), 0);
	/* Static <-> IKEv2, both ways, with the same name. */
	b = *st;
	assert_int_equal(conf_peer_diff(a, &b) & CONF_DIFF_IKE, CONF_DIFF_IKE);
	assert_int_equal(conf_peer_diff(&b, a) & CONF_DIFF_IKE, CONF_DIFF_IKE);
	assert_int_equal(conf_peer_diff(&b, a) & (CONF_DIFF_OUT | CONF_DIFF_IN),
			 CONF_DIFF_OUT | CONF_DIFF_IN);
	b = *a;
	b.ike.enabled = false;
	assert_int_equal(conf_peer_diff(a, &b) & CONF_DIFF_IKE, CONF_DIFF_IKE);
#undef DIFF
	explicit_bzero(&b, sizeof(b));
	conf_free(c);
}

/* wan-kernel: an interface name, not the inside's, not the WAN port's own
 * kernel interface; absent: none. */
static void
test_wan_kernel(void **state)
{
	struct conf *c;

	(void)state;
	c = parse_ok(GW "wan-kernel = wan0\n");
	assert_string_equal(c->gw.wan_kernel, "wan0");
	conf_free(c);
	c = parse_ok(GW "wan-kernel = a.b_c-d01234567\n");
	assert_string_equal(c->gw.wan_kernel, "a.b_c-d01234567");
	conf_free(c);
	/* a LAN inside port has no host interface: vpn0 is free */
	c = parse_ok(GW "inside = net_tap0,iface=lan0\nwan-kernel = vpn0\n");
	assert_string_equal(c->gw.wan_kernel, "vpn0");
	conf_free(c);
	/* the WAN on eth10 or on "eth1x" does not own eth1 */
	c = parse_ok("[gateway]\nwan = net_af_packet0,iface=eth10\nwan-address = 198.18.0.1/24\n"
		     "wan-kernel = eth1\n");
	conf_free(c);
	expect_err(GW "wan-kernel = wan-0123456789ab\n", 4, "wan-kernel: 'wan-0123456789ab' is not an interface name");
	expect_err(GW "wan-kernel = wan/0\n", 4, "not an interface name");
	expect_err(GW "wan-kernel = ..\n", 4, "not an interface name");
	expect_err(GW "wan-kernel =\n", 4, "empty value");
	expect_err(GW "wan-kernel = wan0\nwan-kernel = wan1\n", 5, "duplicate");
	expect_err(GW "wan-kernel = vpn0\n", 4, "wan-kernel: 'vpn0' is the inside-name too");
	expect_err(GW "inside-name = wan0\nwan-kernel = wan0\n", 5, "is the inside-name too");
	expect_err(GW "wan-kernel = eth1\n", 4, "wan-kernel: 'eth1' is the interface of the wan port");
	expect_err("[gateway]\nwan = net_af_xdp0,start_queue=0,iface=eth2\n"
		   "wan-address = 198.18.0.1/24\nwan-kernel = eth2\n", 4, "interface of the wan port");
}

static void
test_gateway_diff(void **state)
{
	struct conf *c = parse_ok(GW "wan-gateway = 198.18.0.254\n"
				  "inside-address = 198.19.0.1/24\n"
				  "neighbour = 198.18.0.2 02:00:00:00:00:02\n");
	const struct conf_gateway *a = &c->gw;
	struct conf_gateway b;
	char what[32];

	(void)state;
	b = *a;
	strcpy(what, "unchanged");
	assert_int_equal(conf_gateway_diff(a, &b, what, sizeof(what)), 0);
	assert_string_equal(what, "unchanged");
#define GWDIFF(stmt, name) \
	do { \
		b = *a; \
		stmt; \
		what[0] = '\0'; \
		assert_int_equal(conf_gateway_diff(a, &b, what, sizeof(what)), 1); \
		assert_string_equal(what, name); \
		assert_int_equal(conf_gateway_diff(&b, a, what, sizeof(what)), 1); \
	} while (0)
	GWDIFF(b.wan[0] = 'x', "wan");
	GWDIFF(b.wan_ip = ip4("198.18.0.9"), "wan-address");
	GWDIFF(b.wan_prefixlen = 16, "wan-address");
	GWDIFF(b.wan_gateway = 0, "wan-gateway");
	GWDIFF(b.wan_mtu = 9000, "wan-mtu");
	GWDIFF(b.udp_port = 4501, "udp-port");
	GWDIFF(strcpy(b.wan_kernel, "wan0"), "wan-kernel");
	GWDIFF(b.inside = CONF_INSIDE_VIRTIO_USER, "inside");
	GWDIFF(strcpy(b.inside_devargs, "net_tap1"), "inside");
	GWDIFF(strcpy(b.inside_name, "vpn9"), "inside-name");
	GWDIFF(b.inside_offload = false, "inside-offload");
	GWDIFF(b.n_inside_addr = 0, "inside-address");
	GWDIFF(b.inside_addr[0].len = 16, "inside-address");
	GWDIFF(b.n_neigh = 0, "neighbour");
	GWDIFF(b.neigh[0].mac[5] = 9, "neighbour");
	GWDIFF(strcpy(b.state_file, "/tmp/other.state"), "state-file");
	GWDIFF(b.crypto = AEAD_IMPL_OSSL, "crypto");
	/* The first differing key is named. */
	GWDIFF((b.crypto = AEAD_IMPL_OSSL, b.wan_mtu = 1400), "wan-mtu");
#undef GWDIFF
	conf_free(c);
}

static void
test_peer_clash(void **state)
{
	struct conf *c = parse_ok(GW IKE_HQ "remote-id = hq.example\n" PEER_S);
	char err[CONF_ERR_MAX];
	struct conf_peer p;
	const char *m;

	(void)state;
#define CLASH(stmt, skip, msg) \
	do { \
		p = c->peers[1]; \
		strcpy(p.name, "new"); \
		p.spi_in = 0x7001; \
		p.spi_out = 0x7002; \
		p.subnets[0].addr[2] = 77; \
		stmt; \
		memset(err, 0, sizeof(err)); \
		m = (msg); \
		if (m == NULL) { \
			if (conf_peer_clash(c, &p, (skip), err, sizeof(err)) != 0) \
				fail_msg("unexpected clash: %s", err); \
		} else { \
			assert_int_equal(conf_peer_clash(c, &p, (skip), err, sizeof(err)), -1); \
			assert_string_equal(err, m); \
		} \
	} while (0)
	/* Static peers. */
	CLASH((void)0, UINT_MAX, NULL);
	CLASH(strcpy(p.name, "site-b"), UINT_MAX, "a peer named 'site-b' exists");
	CLASH(strcpy(p.name, "site-b"), 1, NULL);        /* its own slot */
	CLASH(p.spi_in = 0x1001, UINT_MAX, "spi-in 0x00001001 is already used by peer site-b");
	CLASH(p.spi_out = 0x2001, UINT_MAX, "spi-out 0x00002001 is already used by peer site-b");
	CLASH(p.subnets[0].addr[2] = 9, UINT_MAX,
	      "subnet 198.19.9.0/24 is already routed to peer site-b");
	CLASH(p.subnets[0].addr[2] = 1, UINT_MAX,
	      "subnet 198.19.1.0/24 is already routed to peer hq");
	CLASH(p.subnets[0].addr[2] = 9, 1, NULL);
	/* A free slot (empty name) clashes with nothing. */
	c->peers[1].name[0] = '\0';
	CLASH((p.spi_in = 0x1001, strcpy(p.name, "x")), UINT_MAX, NULL);
	strcpy(c->peers[1].name, "site-b");
	/* IKEv2 peers: SPI 0 everywhere is no clash, the remote-id is. */
	CLASH((p = c->peers[0], strcpy(p.name, "new"), p.subnets[0].addr[2] = 77,
	       p.ike.remote_id.data[0] = 'x'), UINT_MAX, NULL);
	CLASH((p = c->peers[0], strcpy(p.name, "new"), p.subnets[0].addr[2] = 77),
	      UINT_MAX, "remote-id hq.example is also peer hq's");
	/* A static peer with hq's remote-id bytes is no IKEv2 peer. */
	CLASH((p.ike = c->peers[0].ike, p.ike.enabled = false), UINT_MAX, NULL);
#undef CLASH
	explicit_bzero(&p, sizeof(p));
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_inside_offload),
		cmocka_unit_test(test_syntax_variants),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_err_unknown_section),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_duplicate_key),
		cmocka_unit_test(test_err_missing_required),
		cmocka_unit_test(test_err_key_and_key_file),
		cmocka_unit_test(test_err_gateway_sections),
		cmocka_unit_test(test_err_addresses),
		cmocka_unit_test(test_err_other_values),
		cmocka_unit_test(test_err_key_material),
		cmocka_unit_test(test_err_key_file),
		cmocka_unit_test(test_err_peer_names),
		cmocka_unit_test(test_err_across_peers),
		cmocka_unit_test(test_err_line_syntax),
		cmocka_unit_test(test_err_long_lines),
		cmocka_unit_test(test_err_nul_byte),
		cmocka_unit_test(test_err_file_size),
		cmocka_unit_test(test_err_too_many),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_example_confs),
		cmocka_unit_test(test_quickstart_pair),
		cmocka_unit_test(test_gateway_example),
		cmocka_unit_test(test_ike_every_key),
		cmocka_unit_test(test_ike_defaults),
		cmocka_unit_test(test_ike_psk),
		cmocka_unit_test(test_ike_psk_file),
		cmocka_unit_test(test_ike_err_static_mix),
		cmocka_unit_test(test_ike_err_endpoint_ids),
		cmocka_unit_test(test_ike_durations),
		cmocka_unit_test(test_ike_proposals),
		cmocka_unit_test(test_esp_pfs),
		cmocka_unit_test(test_ike_parse_peer),
		cmocka_unit_test(test_peer_diff_static),
		cmocka_unit_test(test_peer_diff_ike),
		cmocka_unit_test(test_wan_kernel),
		cmocka_unit_test(test_gateway_diff),
		cmocka_unit_test(test_peer_clash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
