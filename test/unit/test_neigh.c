/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/neigh: ARP parse/reply/request, the neighbour table,
 * IPv6 NS parsing and NA construction. Checksums are computed here with an
 * independent byte-wise implementation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "neigh.h"
#include "test_eal.h"

static struct rte_mempool *mp;

static const struct rte_ether_addr our_mac = { { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee } };
static const struct rte_ether_addr host_mac = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };

static uint32_t v4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static int setup(void **state)
{
	(void)state;
	return mp == NULL ? -1 : 0;
}

/* Every test must give back every mbuf it took. */
static int teardown(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	return 0;
}

static struct rte_mbuf *mbuf_of(const void *data, uint32_t len)
{
	struct rte_mbuf *m = test_mbuf_from(mp, data, len);

	assert_non_null(m);
	return m;
}

/* ---------------------------------------------------------------- ARP */

/* who-has 192.168.1.1 tell 192.168.1.10, from host_mac */
static const uint8_t arp_request[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* Ethernet dst */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01,     /* Ethernet src */
	0x08, 0x06,                             /* ARP */
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04,     /* Ethernet/IPv4, 6, 4 */
	0x00, 0x01,                             /* request */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01,     /* sha */
	192, 168, 1, 10,                        /* sip */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* tha */
	192, 168, 1, 1,                         /* tip */
};

/* 192.168.1.1 is-at our_mac, to host_mac */
static const uint8_t arp_reply_expected[42] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
	0x00, 0x02,
	0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	192, 168, 1, 1,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	192, 168, 1, 10,
};

/* who-has 10.0.0.1 tell 10.0.0.2, from our_mac */
static const uint8_t arp_request_expected[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
	0x00, 0x01,
	0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	10, 0, 0, 2,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	10, 0, 0, 1,
};

static int arp_parse_bytes(const uint8_t *pkt, uint32_t len, struct neigh_arp *a)
{
	struct rte_mbuf *m = mbuf_of(pkt, len);
	int rc = neigh_arp_parse(m, a);

	rte_pktmbuf_free(m);
	return rc;
}

static void test_arp_parse_valid(void **state)
{
	struct neigh_arp a;
	uint8_t pkt[60];

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(arp_parse_bytes(arp_request, sizeof(arp_request), &a), 0);
	assert_int_equal(a.op, RTE_ARP_OP_REQUEST);
	assert_memory_equal(&a.sha, &host_mac, 6);
	assert_int_equal(a.sip, v4("192.168.1.10"));
	assert_int_equal(a.tip, v4("192.168.1.1"));

	memset(&a, 0, sizeof(a));
	assert_int_equal(arp_parse_bytes(arp_reply_expected, sizeof(arp_reply_expected), &a), 0);
	assert_int_equal(a.op, RTE_ARP_OP_REPLY);
	assert_memory_equal(&a.sha, &our_mac, 6);
	assert_int_equal(a.sip, v4("192.168.1.1"));
	assert_int_equal(a.tip, v4("192.168.1.10"));

	/* Padded to the Ethernet minimum, as it comes off the wire. */
	memset(pkt, 0x5a, sizeof(pkt));
	memcpy(pkt, arp_request, sizeof(arp_request));
	assert_int_equal(arp_parse_bytes(pkt, sizeof(pkt), &a), 0);
	assert_int_equal(a.tip, v4("192.168.1.1"));
}

static void test_arp_parse_malformed(void **state)
{
	struct { unsigned off; uint8_t val; } bad[] = {
		{ 12, 0x86 },   /* Ethernet type 0x8606 */
		{ 13, 0x00 },   /* Ethernet type 0x0800 (IPv4) */
		{ 15, 0x06 },   /* hardware 6 (IEEE 802) */
		{ 14, 0x01 },   /* hardware 0x0101 */
		{ 16, 0x86 },   /* protocol 0x8600 */
		{ 17, 0xdd },   /* protocol 0x08dd */
		{ 18, 0x08 },   /* hlen 8 */
		{ 18, 0x00 },   /* hlen 0 */
		{ 19, 0x10 },   /* plen 16 */
		{ 19, 0x00 },   /* plen 0 */
		{ 21, 0x00 },   /* op 0 */
		{ 21, 0x03 },   /* op 3 (RARP request) */
		{ 21, 0x08 },   /* op 8 (InARP) */
		{ 20, 0x01 },   /* op 0x0101 */
	};
	uint8_t pkt[42];
	struct neigh_arp a;
	unsigned i, len;

	(void)state;
	for (len = 0; len < sizeof(arp_request); len++)
		assert_int_equal(arp_parse_bytes(arp_request, len, &a), -1);
	for (i = 0; i < RTE_DIM(bad); i++) {
		memcpy(pkt, arp_request, sizeof(pkt));
		pkt[bad[i].off] = bad[i].val;
		assert_int_equal(arp_parse_bytes(pkt, sizeof(pkt), &a), -1);
	}
	assert_int_equal(neigh_arp_parse(NULL, &a), -1);
}

static void test_arp_make_reply(void **state)
{
	struct rte_mbuf *m = mbuf_of(arp_request, sizeof(arp_request));
	struct neigh_arp a;

	(void)state;
	assert_int_equal(neigh_arp_parse(m, &a), 0);
	neigh_arp_make_reply(m, &our_mac);
	assert_int_equal(rte_pktmbuf_data_len(m), sizeof(arp_reply_expected));
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), arp_reply_expected,
			    sizeof(arp_reply_expected));
	/* The reply parses back. */
	assert_int_equal(neigh_arp_parse(m, &a), 0);
	assert_int_equal(a.op, RTE_ARP_OP_REPLY);
	rte_pktmbuf_free(m);

	/* A runt is left as it is. */
	m = mbuf_of(arp_request, 20);
	neigh_arp_make_reply(m, &our_mac);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), arp_request, 20);
	rte_pktmbuf_free(m);
}

static void test_arp_build_request(void **state)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct neigh_arp a;

	(void)state;
	assert_non_null(m);
	assert_int_equal(neigh_arp_build_request(m, &our_mac, v4("10.0.0.2"), v4("10.0.0.1")), 0);
	assert_int_equal(rte_pktmbuf_pkt_len(m), sizeof(arp_request_expected));
	assert_int_equal(rte_pktmbuf_data_len(m), sizeof(arp_request_expected));
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), arp_request_expected,
			    sizeof(arp_request_expected));
	assert_int_equal(neigh_arp_parse(m, &a), 0);
	assert_int_equal(a.op, RTE_ARP_OP_REQUEST);
	/* Not empty any more: refused, and left unchanged. */
	assert_int_equal(neigh_arp_build_request(m, &our_mac, 1, 2), -1);
	assert_int_equal(rte_pktmbuf_pkt_len(m), sizeof(arp_request_expected));
	rte_pktmbuf_free(m);
	assert_int_equal(neigh_arp_build_request(NULL, &our_mac, 1, 2), -1);
}

/* -------------------------------------------------------------- table */

static struct neigh_table *new_table(uint32_t max)
{
	static unsigned n;
	char name[32];
	struct neigh_table *t;

	snprintf(name, sizeof(name), "nt_test%u", n++);
	t = neigh_create(name, max, (int)rte_socket_id());
	assert_non_null(t);
	return t;
}

struct seen {
	unsigned n;
	uint32_t ip[8];
	struct rte_ether_addr mac[8];
	char state[8][16];
};

static void visit(uint32_t ip_be, const struct rte_ether_addr *mac, const char *state, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	s->ip[s->n] = ip_be;
	s->mac[s->n] = *mac;
	snprintf(s->state[s->n], sizeof(s->state[0]), "%s", state);
	s->n++;
}

/* State of ip as reported by neigh_walk, or NULL if absent. */
static const char *state_of(const struct neigh_table *t, uint32_t ip, struct seen *s)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	neigh_walk(t, visit, s);
	for (i = 0; i < s->n; i++)
		if (s->ip[i] == ip)
			return s->state[i];
	return NULL;
}

static void test_table_static(void **state)
{
	struct neigh_table *t = new_table(8);
	struct rte_ether_addr mac, bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct seen s;
	uint32_t gw = v4("10.0.0.1");

	(void)state;
	assert_int_equal(neigh_lookup(t, gw, &mac), -1);
	assert_int_equal(neigh_add_static(t, gw, &our_mac), 0);
	assert_int_equal(neigh_lookup(t, gw, &mac), 0);
	assert_memory_equal(&mac, &our_mac, 6);

	/* ARP cannot overwrite a static entry, nor does want() ask for it. */
	neigh_learn(t, gw, &host_mac);
	assert_int_equal(neigh_lookup(t, gw, &mac), 0);
	assert_memory_equal(&mac, &our_mac, 6);
	assert_false(neigh_want(t, gw, 1));
	assert_string_equal(state_of(t, gw, &s), "static");
	assert_int_equal(s.n, 1);

	/* A static entry can be changed by configuration. */
	assert_int_equal(neigh_add_static(t, gw, &host_mac), 0);
	assert_int_equal(neigh_lookup(t, gw, &mac), 0);
	assert_memory_equal(&mac, &host_mac, 6);
	assert_int_equal(neigh_add_static(t, v4("10.0.0.9"), &bcast), -EINVAL);
	assert_int_equal(neigh_add_static(t, v4("10.0.0.9"), NULL), -EINVAL);
	assert_null(state_of(t, v4("10.0.0.9"), &s));
	neigh_free(t);
}

static void test_table_learn_unknown(void **state)
{
	struct neigh_table *t = new_table(4);
	struct rte_ether_addr mac;
	struct seen s;
	uint32_t i;

	(void)state;
	/* A flood of gratuitous ARP creates nothing. */
	for (i = 0; i < 100; i++)
		neigh_learn(t, htonl(0x0a000000u + i), &host_mac);
	assert_int_equal(neigh_lookup(t, htonl(0x0a000001u), &mac), -1);
	memset(&s, 0, sizeof(s));
	neigh_walk(t, visit, &s);
	assert_int_equal(s.n, 0);
	/* ... and the table still has room for what we ask for. */
	for (i = 0; i < 4; i++)
		assert_true(neigh_want(t, htonl(0x0b000000u + i), 1));
	neigh_free(t);
}

static void test_table_want_rate_limit(void **state)
{
	struct neigh_table *t = new_table(8);
	uint64_t hz = rte_get_tsc_hz();
	uint64_t ms = hz / 1000, now = 1000 * hz;
	struct rte_ether_addr mac, zero = { { 0 } };
	uint32_t ip = v4("10.0.0.1");
	struct seen s;
	int i;

	(void)state;
	assert_true(hz >= 1000);
	assert_true(neigh_want(t, ip, now));
	assert_string_equal(state_of(t, ip, &s), "incomplete");
	assert_int_equal(neigh_lookup(t, ip, &mac), -1);
	assert_false(neigh_want(t, ip, now));

	/* The fast retries: one per 100 ms. */
	for (i = 0; i < NEIGH_FAST_RETRIES; i++) {
		assert_false(neigh_want(t, ip, now + 100 * ms - 1));
		now += 100 * ms;
		assert_true(neigh_want(t, ip, now));
		assert_false(neigh_want(t, ip, now + 1));
	}
	/* Then one per NEIGH_RETRY_MS. */
	for (i = 0; i < 3; i++) {
		assert_false(neigh_want(t, ip, now + 100 * ms));
		assert_false(neigh_want(t, ip, now + NEIGH_RETRY_MS * ms - 1));
		now += NEIGH_RETRY_MS * ms;
		assert_true(neigh_want(t, ip, now));
	}

	/* The clock went back: no storm, the wait restarts. */
	assert_false(neigh_want(t, ip, now - 10 * hz));
	assert_false(neigh_want(t, ip, now - 10 * hz + 999 * ms));
	assert_true(neigh_want(t, ip, now - 10 * hz + NEIGH_RETRY_MS * ms));

	/* A broadcast or zero sender address is not an answer. */
	neigh_learn(t, ip, &zero);
	assert_int_equal(neigh_lookup(t, ip, &mac), -1);

	/* The answer arrives: resolved, no more requests. */
	neigh_learn(t, ip, &host_mac);
	assert_int_equal(neigh_lookup(t, ip, &mac), 0);
	assert_memory_equal(&mac, &host_mac, 6);
	assert_string_equal(state_of(t, ip, &s), "reachable");
	assert_false(neigh_want(t, ip, now + 100 * hz));

	/* A refresh with a new address is taken. */
	neigh_learn(t, ip, &our_mac);
	assert_int_equal(neigh_lookup(t, ip, &mac), 0);
	assert_memory_equal(&mac, &our_mac, 6);

	/* Each entry has its own clock. */
	assert_true(neigh_want(t, v4("10.0.0.2"), now));
	assert_true(neigh_want(t, v4("10.0.0.3"), now + 1));
	assert_false(neigh_want(t, v4("10.0.0.2"), now + 50 * ms));
	assert_true(neigh_want(t, v4("10.0.0.2"), now + 100 * ms));
	assert_false(neigh_want(t, v4("10.0.0.3"), now + 100 * ms));
	assert_true(neigh_want(t, v4("10.0.0.3"), now + 100 * ms + 1));
	neigh_free(t);
}

static void test_table_full(void **state)
{
	struct neigh_table *t = new_table(2);
	struct rte_ether_addr mac;
	struct seen s;

	(void)state;
	assert_true(neigh_want(t, v4("10.0.0.1"), 5));
	assert_true(neigh_want(t, v4("10.0.0.2"), 5));
	assert_false(neigh_want(t, v4("10.0.0.3"), 5));
	assert_false(neigh_want(t, v4("10.0.0.3"), 5 + rte_get_tsc_hz()));
	assert_int_equal(neigh_add_static(t, v4("10.0.0.4"), &our_mac), -ENOSPC);
	/* An existing entry can still become static. */
	assert_int_equal(neigh_add_static(t, v4("10.0.0.2"), &our_mac), 0);
	assert_int_equal(neigh_lookup(t, v4("10.0.0.2"), &mac), 0);
	neigh_learn(t, v4("10.0.0.1"), &host_mac);
	assert_int_equal(neigh_lookup(t, v4("10.0.0.1"), &mac), 0);
	neigh_learn(t, v4("10.0.0.3"), &host_mac);
	assert_int_equal(neigh_lookup(t, v4("10.0.0.3"), &mac), -1);
	memset(&s, 0, sizeof(s));
	neigh_walk(t, visit, &s);
	assert_int_equal(s.n, 2);
	neigh_free(t);
}

static void test_table_walk(void **state)
{
	struct neigh_table *t = new_table(16);
	struct seen s;
	unsigned i, got = 0;

	(void)state;
	assert_int_equal(neigh_add_static(t, v4("10.0.0.1"), &our_mac), 0);
	assert_true(neigh_want(t, v4("10.0.0.2"), 1));
	assert_true(neigh_want(t, v4("10.0.0.3"), 1));
	neigh_learn(t, v4("10.0.0.3"), &host_mac);

	memset(&s, 0, sizeof(s));
	neigh_walk(t, visit, &s);
	assert_int_equal(s.n, 3);
	for (i = 0; i < s.n; i++) {
		if (s.ip[i] == v4("10.0.0.1")) {
			assert_string_equal(s.state[i], "static");
			assert_memory_equal(&s.mac[i], &our_mac, 6);
			got |= 1;
		} else if (s.ip[i] == v4("10.0.0.2")) {
			assert_string_equal(s.state[i], "incomplete");
			got |= 2;
		} else if (s.ip[i] == v4("10.0.0.3")) {
			assert_string_equal(s.state[i], "reachable");
			assert_memory_equal(&s.mac[i], &host_mac, 6);
			got |= 4;
		}
	}
	assert_int_equal(got, 7);
	neigh_free(t);

	/* Create/free and names. */
	assert_null(neigh_create("nt_zero", 0, (int)rte_socket_id()));
	assert_null(neigh_create(NULL, 4, (int)rte_socket_id()));
	t = neigh_create("nt_dup", 4, (int)rte_socket_id());
	assert_non_null(t);
	assert_null(neigh_create("nt_dup", 4, (int)rte_socket_id()));
	neigh_free(t);
	neigh_free(NULL);
}

/* ----------------------------------------------------------------- ND */

#define NS_ETH 14
#define NS_IP6 (NS_ETH)
#define NS_L4 (NS_ETH + 40)

static const uint8_t link_local[16] = { 0xfe, 0x80, [15] = 0x01 };
static const uint8_t target_addr[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x05 };
static const uint8_t sn_mcast[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff, [15] = 0x05 };
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

/* Ones' complement sum, one big-endian 16-bit word at a time. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* RFC 8200 8.1 upper-layer checksum of the ICMPv6 message at l4 (len
 * bytes) between src and dst: 0 when it holds a correct checksum. */
static uint16_t icmp6_sum(const uint8_t *src, const uint8_t *dst, const uint8_t *l4, uint32_t len)
{
	uint8_t ph[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			  (uint8_t)len, 0, 0, 0, 58 };
	uint32_t sum = 0;

	sum = sum16(src, 16, sum);
	sum = sum16(dst, 16, sum);
	sum = sum16(ph, sizeof(ph), sum);
	sum = sum16(l4, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes the checksum of the ICMPv6 message at off (len bytes). */
static void set_icmp6_sum(uint8_t *pkt, unsigned off, uint32_t len)
{
	uint16_t c;

	pkt[off + 2] = 0;
	pkt[off + 3] = 0;
	c = icmp6_sum(pkt + NS_IP6 + 8, pkt + NS_IP6 + 24, pkt + off, len);
	pkt[off + 2] = (uint8_t)(c >> 8);
	pkt[off + 3] = (uint8_t)c;
}

/* An NS for target_addr from src to dst; with_slla adds a source
 * link-layer address option. Returns its length. */
static unsigned build_ns(uint8_t *pkt, const uint8_t *src, const uint8_t *dst, int with_slla)
{
	unsigned plen = 24 + (with_slla ? 8 : 0);
	uint8_t *ip = pkt + NS_IP6, *l4 = pkt + NS_L4;

	memset(pkt, 0, NS_L4 + plen);
	memcpy(pkt, (const uint8_t[]){ 0x33, 0x33, 0xff, 0x00, 0x00, 0x05 }, 6);
	memcpy(pkt + 6, &host_mac, 6);
	pkt[12] = 0x86;
	pkt[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = 0;
	ip[5] = (uint8_t)plen;
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	l4[0] = 135;
	memcpy(l4 + 8, target_addr, 16);
	if (with_slla) {
		l4[24] = 1;
		l4[25] = 1;
		memcpy(l4 + 26, &host_mac, 6);
	}
	set_icmp6_sum(pkt, NS_L4, plen);
	return NS_L4 + plen;
}

static int ns_parse_bytes(const uint8_t *pkt, uint32_t len, uint8_t target[16])
{
	struct rte_mbuf *m = mbuf_of(pkt, len);
	int rc = neigh_nd_parse_ns(m, target);

	rte_pktmbuf_free(m);
	return rc;
}

static void test_nd_parse_valid(void **state)
{
	uint8_t pkt[128], tgt[16];
	unsigned len;

	(void)state;
	len = build_ns(pkt, link_local, sn_mcast, 1);
	assert_int_equal(len, 86);
	/* The test's own checksum agrees with itself over the whole message. */
	assert_int_equal(icmp6_sum(link_local, sn_mcast, pkt + NS_L4, 32), 0);
	memset(tgt, 0, sizeof(tgt));
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), 0);
	assert_memory_equal(tgt, target_addr, 16);

	/* Without options, unicast to the target (a reachability probe). */
	len = build_ns(pkt, link_local, target_addr, 0);
	memset(tgt, 0, sizeof(tgt));
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), 0);
	assert_memory_equal(tgt, target_addr, 16);

	/* DAD: from :: to the solicited-node group, no SLLA. */
	len = build_ns(pkt, (const uint8_t[16]){ 0 }, sn_mcast, 0);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), 0);

	/* Trailing bytes past the IPv6 payload are ignored. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	memset(pkt + len, 0xee, 10);
	assert_int_equal(ns_parse_bytes(pkt, len + 10, tgt), 0);

	/* An unknown option is skipped. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_L4 + 24] = 14;   /* nonce option */
	set_icmp6_sum(pkt, NS_L4, 32);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), 0);
}

static void test_nd_parse_malformed(void **state)
{
	uint8_t pkt[160], tgt[16];
	unsigned len, i;

	(void)state;
	/* Truncated anywhere. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	for (i = 0; i < len; i++)
		assert_int_equal(ns_parse_bytes(pkt, i, tgt), -1);
	/* Payload length claims more than there is. */
	pkt[NS_IP6 + 5] = 40;
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);
	/* Payload length shorter than an NS. */
	len = build_ns(pkt, link_local, sn_mcast, 0);
	pkt[NS_IP6 + 5] = 20;
	set_icmp6_sum(pkt, NS_L4, 20);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* Bad checksum (every bit of it matters). */
	for (i = 0; i < 16; i++) {
		len = build_ns(pkt, link_local, sn_mcast, 1);
		pkt[NS_L4 + 2 + i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);
	}
	/* Covered bytes changed after the checksum: the target, the source. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_L4 + 20] ^= 1;
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_IP6 + 9] ^= 1;
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* Hop limit 64: it crossed a router. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_IP6 + 7] = 64;
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* Not IPv6 in Ethernet, not IPv6 version, not ICMPv6. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[13] = 0x00;
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_IP6] = 0x40;
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_IP6 + 6] = 17;
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* Multicast Ethernet source. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[6] = 0x01;
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* ICMPv6 type 136 and code 1, with correct checksums. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_L4] = 136;
	set_icmp6_sum(pkt, NS_L4, 32);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_L4 + 1] = 1;
	set_icmp6_sum(pkt, NS_L4, 32);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* Multicast target. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_L4 + 8] = 0xff;
	pkt[NS_L4 + 9] = 0x02;
	set_icmp6_sum(pkt, NS_L4, 32);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* Option of length 0, and one running past the end. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_L4 + 25] = 0;
	set_icmp6_sum(pkt, NS_L4, 32);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_L4 + 25] = 2;
	set_icmp6_sum(pkt, NS_L4, 32);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* DAD with a source link-layer address, DAD not to the group. */
	len = build_ns(pkt, (const uint8_t[16]){ 0 }, sn_mcast, 1);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);
	len = build_ns(pkt, (const uint8_t[16]){ 0 }, target_addr, 0);
	assert_int_equal(ns_parse_bytes(pkt, len, tgt), -1);

	/* A hop-by-hop header (PadN) before a correct NS. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	memmove(pkt + NS_L4 + 8, pkt + NS_L4, 32);
	memcpy(pkt + NS_L4, (const uint8_t[8]){ 58, 0, 1, 4, 0, 0, 0, 0 }, 8);
	pkt[NS_IP6 + 6] = 0;
	pkt[NS_IP6 + 5] = 40;
	set_icmp6_sum(pkt, NS_L4 + 8, 32);
	assert_int_equal(ns_parse_bytes(pkt, len + 8, tgt), -1);

	assert_int_equal(neigh_nd_parse_ns(NULL, tgt), -1);
}

/* Checks the NA in m answering build_ns(src, ...). */
static void check_na(struct rte_mbuf *m, const uint8_t *want_dst, uint8_t want_flags)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = p + NS_IP6, *l4 = p + NS_L4;
	uint8_t tgt[16];

	assert_int_equal(rte_pktmbuf_pkt_len(m), 86);
	assert_int_equal(rte_pktmbuf_data_len(m), 86);
	/* Ethernet: back to the solicitor, from us. */
	assert_memory_equal(p, &host_mac, 6);
	assert_memory_equal(p + 6, &our_mac, 6);
	assert_int_equal(p[12], 0x86);
	assert_int_equal(p[13], 0xdd);
	/* IPv6 */
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(ip[4] << 8 | ip[5], 32);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, target_addr, 16);
	assert_memory_equal(ip + 24, want_dst, 16);
	/* ICMPv6 NA */
	assert_int_equal(l4[0], 136);
	assert_int_equal(l4[1], 0);
	assert_int_equal(l4[4], want_flags);
	assert_int_equal(l4[5] | l4[6] | l4[7], 0);
	assert_memory_equal(l4 + 8, target_addr, 16);
	assert_int_equal(l4[24], 2);
	assert_int_equal(l4[25], 1);
	assert_memory_equal(l4 + 26, &our_mac, 6);
	assert_int_equal(icmp6_sum(ip + 8, ip + 24, l4, 32), 0);
	/* Not an NS any more. */
	assert_int_equal(neigh_nd_parse_ns(m, tgt), -1);
}

static void test_nd_make_na(void **state)
{
	static const uint8_t unspec[16];
	uint8_t pkt[160];
	struct rte_mbuf *m;
	unsigned len;

	(void)state;
	/* Solicited: R, S, O. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	m = mbuf_of(pkt, len);
	assert_int_equal(neigh_nd_make_na(m, &our_mac), 0);
	check_na(m, link_local, 0xe0);
	rte_pktmbuf_free(m);

	/* No options: the mbuf grows to the NA size. */
	len = build_ns(pkt, link_local, target_addr, 0);
	assert_int_equal(len, 78);
	m = mbuf_of(pkt, len);
	assert_int_equal(neigh_nd_make_na(m, &our_mac), 0);
	check_na(m, link_local, 0xe0);
	rte_pktmbuf_free(m);

	/* Longer NS (an extra option and trailing pad): trimmed. */
	len = build_ns(pkt, link_local, sn_mcast, 1);
	memset(pkt + len, 0, 8 + 6);
	pkt[len] = 14;
	pkt[len + 1] = 1;
	pkt[NS_IP6 + 5] = 40;
	set_icmp6_sum(pkt, NS_L4, 40);
	m = mbuf_of(pkt, len + 8 + 6);
	assert_int_equal(neigh_nd_make_na(m, &our_mac), 0);
	check_na(m, link_local, 0xe0);
	rte_pktmbuf_free(m);

	/* DAD: to all nodes, not solicited. */
	len = build_ns(pkt, unspec, sn_mcast, 0);
	m = mbuf_of(pkt, len);
	assert_int_equal(neigh_nd_make_na(m, &our_mac), 0);
	check_na(m, all_nodes, 0xa0);
	rte_pktmbuf_free(m);
}

static void test_nd_make_na_rejects(void **state)
{
	uint8_t pkt[160];
	struct rte_mbuf *m;
	unsigned len;

	(void)state;
	len = build_ns(pkt, link_local, sn_mcast, 1);
	pkt[NS_IP6 + 7] = 64;
	m = mbuf_of(pkt, len);
	assert_int_equal(neigh_nd_make_na(m, &our_mac), -1);
	/* Left untouched. */
	assert_int_equal(rte_pktmbuf_data_len(m), len);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), pkt, len);
	rte_pktmbuf_free(m);

	len = build_ns(pkt, link_local, sn_mcast, 1);
	m = mbuf_of(pkt, len);
	assert_int_equal(neigh_nd_make_na(m, NULL), -1);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), pkt, len);
	rte_pktmbuf_free(m);

	m = mbuf_of(arp_request, sizeof(arp_request));
	assert_int_equal(neigh_nd_make_na(m, &our_mac), -1);
	rte_pktmbuf_free(m);
	assert_int_equal(neigh_nd_make_na(NULL, &our_mac), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp_parse_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_parse_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_make_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_build_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_static, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_learn_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_want_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nd_parse_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nd_parse_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nd_make_na, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nd_make_na_rejects, setup, teardown),
	};

	mp = test_mempool(64);
	if (mp == NULL) {
		fprintf(stderr, "EAL or mempool init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
