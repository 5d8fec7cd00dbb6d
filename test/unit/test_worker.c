/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's packet paths, end to end inside one process: two gateways
 * A and B whose ports are net_ring devices, so every frame a worker sends
 * can be read back and fed to the other. Covers classification, ARP/ND,
 * ICMP, routing, neighbour resolution, ESP both ways, the inner source
 * policy, the wan-kernel port (a third ring pair on A) and the drop
 * counters, and checks that no mbuf ever leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "esp.h"
#include "neigh.h"
#include "route.h"
#include "sa.h"
#include "stats.h"
#include "test_eal.h"
#include "worker.h"

/* RTE_IPV4() shifts a signed int: undefined for a first byte >= 128. */
#define IP4(a, b, c, d) rte_cpu_to_be_32(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
					 ((uint32_t)(c) << 8) | (uint32_t)(d))

struct side {
	struct worker w;
	struct rte_ring *wan_rx, *wan_tx, *in_rx, *in_tx;
	struct sa_table *sat;
	struct route_table *rt;
	struct neigh_table *nt;
	struct sa_out *so;
	struct sa_in *si;
};

static struct rte_mempool *mp;
static struct side A, B;
/* A's wan-kernel port (off in A.w; tests turn it on in a copy): k_rx is
 * what the kernel writes, k_tx what A passes to it. Its rings are small
 * so that a full queue is easy to reach. */
#define KRING 8
static uint16_t kport;
static struct rte_ring *k_rx, *k_tx;

static const uint8_t key_ab[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				    0xa1, 0xa2, 0xa3, 0xa4 };
static const uint8_t key_ba[20] = { 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
				    35, 36, 0xb1, 0xb2, 0xb3, 0xb4 };

static uint16_t ring_port_sized(const char *name, struct rte_ring **rx, struct rte_ring **tx,
				unsigned size)
{
	char rn[64];
	int port;

	snprintf(rn, sizeof(rn), "%s_rx", name);
	*rx = rte_ring_create(rn, size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(rn, sizeof(rn), "%s_tx", name);
	*tx = rte_ring_create(rn, size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(*rx);
	assert_non_null(*tx);
	port = rte_eth_from_rings(name, rx, 1, tx, 1, SOCKET_ID_ANY);
	assert_true(port >= 0);
	{
		struct rte_eth_conf conf = { 0 };
		assert_int_equal(rte_eth_dev_configure((uint16_t)port, 1, 1, &conf), 0);
		assert_int_equal(rte_eth_rx_queue_setup((uint16_t)port, 0, 1024, SOCKET_ID_ANY, NULL, mp), 0);
		assert_int_equal(rte_eth_tx_queue_setup((uint16_t)port, 0, 1024, SOCKET_ID_ANY, NULL), 0);
		assert_int_equal(rte_eth_dev_start((uint16_t)port), 0);
	}
	return (uint16_t)port;
}

static uint16_t ring_port(const char *name, struct rte_ring **rx, struct rte_ring **tx)
{
	return ring_port_sized(name, rx, tx, 1024);
}

/* One gateway: wan_ip, local subnet (the host side), remote subnet (the
 * peer's), SAs from the given keys, its peer's WAN address as next hop. */
static void side_init(struct side *s, const char *name, uint32_t wan_ip, uint32_t peer_ip,
		      uint32_t remote_net, const uint8_t remote_net6[16], uint32_t spi_out,
		      const uint8_t *kout, uint32_t spi_in, const uint8_t *kin, unsigned stats_slot)
{
	char n[64];
	struct worker *w = &s->w;
	uint8_t net4[4];

	memset(s, 0, sizeof(*s));
	snprintf(n, sizeof(n), "%s_wan", name);
	w->wan_port = ring_port(n, &s->wan_rx, &s->wan_tx);
	snprintf(n, sizeof(n), "%s_in", name);
	w->inside_port = ring_port(n, &s->in_rx, &s->in_tx);
	rte_eth_random_addr(w->wan_mac.addr_bytes);
	rte_eth_random_addr(w->router_mac.addr_bytes);
	rte_eth_random_addr(w->host_mac.addr_bytes);
	w->wan_ip = wan_ip;
	w->udp_port = RTE_BE16(4500);

	snprintf(n, sizeof(n), "%s_sa", name);
	s->sat = sa_table_create(n, 16, SOCKET_ID_ANY);
	snprintf(n, sizeof(n), "%s_rt", name);
	s->rt = route_create(n, 16, 16, SOCKET_ID_ANY);
	snprintf(n, sizeof(n), "%s_nb", name);
	s->nt = neigh_create(n, 16, SOCKET_ID_ANY);
	assert_non_null(s->sat);
	assert_non_null(s->rt);
	assert_non_null(s->nt);
	memcpy(net4, &remote_net, 4);
	assert_int_equal(route_add(s->rt, AF_INET, net4, 24, 0), 0);
	assert_int_equal(route_add(s->rt, AF_INET6, remote_net6, 64, 0), 0);

	s->so = sa_out_create(AEAD_IMPL_IMB, AEAD_AES128_GCM, spi_out, kout, 20, true);
	s->si = sa_in_create(AEAD_IMPL_IMB, AEAD_AES128_GCM, spi_in, kin, 20, true, 1024);
	assert_non_null(s->so);
	assert_non_null(s->si);
	s->so->seq_limit = UINT64_MAX; /* what sa_out_restore() publishes */
	s->so->src_ip = wan_ip;
	s->so->dst_ip = peer_ip;
	s->so->sport = RTE_BE16(4500);
	s->so->dport = RTE_BE16(4500);
	s->so->udp_encap = 1;
	s->so->next_hop = peer_ip;
	s->so->mtu = esp_inner_mtu(1500, 1);
	assert_int_equal(sa_table_add(s->sat, s->si), 0);

	w->sa_in = s->sat;
	w->routes = s->rt;
	w->neigh = s->nt;
	w->peers[0].sa_out = s->so;
	w->n_peers = 1;
	w->aead = aead_engine_create(AEAD_IMPL_IMB);
	assert_non_null(w->aead);
	w->mp = mp;
	w->burst = WORKER_BURST_DEFAULT;
	w->stats = stats_lcore_get(stats_slot);
}

static const uint8_t net6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xa };
static const uint8_t net6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xb };

static int setup(void **state)
{
	(void)state;
	mp = test_mempool(4095);
	if (mp == NULL)
		return -1;
	side_init(&A, "wa", IP4(198, 18, 0, 1), IP4(198, 18, 0, 2), IP4(198, 19, 1, 0), net6_b,
		  0x2001, key_ab, 0x1001, key_ba, 1);
	side_init(&B, "wb", IP4(198, 18, 0, 2), IP4(198, 18, 0, 1), IP4(198, 19, 0, 0), net6_a,
		  0x1001, key_ba, 0x2001, key_ab, 2);
	/* each knows the other's WAN MAC statically, as pktgen set-ups do */
	assert_int_equal(neigh_add_static(A.nt, IP4(198, 18, 0, 2), &B.w.wan_mac), 0);
	assert_int_equal(neigh_add_static(B.nt, IP4(198, 18, 0, 1), &A.w.wan_mac), 0);
	kport = ring_port_sized("wa_k", &k_rx, &k_tx, KRING);
	return 0;
}

static void side_free(struct side *s)
{
	aead_engine_free(s->w.aead);
	sa_table_free(s->sat);
	sa_out_free(s->so);
	sa_in_free(s->si);
	route_free(s->rt);
	neigh_free(s->nt);
}

static int teardown(void **state)
{
	(void)state;
	side_free(&A);
	side_free(&B);
	return 0;
}

static void drain(struct rte_ring *r)
{
	void *m;

	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

/* Every test starts from zero counters and must leave no mbuf behind. */
static int test_setup(void **state)
{
	(void)state;
	stats_clear();
	return 0;
}

static int test_teardown(void **state)
{
	(void)state;
	drain(A.wan_tx);
	drain(A.in_tx);
	drain(B.wan_tx);
	drain(B.in_tx);
	drain(k_rx);
	drain(k_tx);
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	return 0;
}

static unsigned take(struct rte_ring *r, struct rte_mbuf **out, unsigned max)
{
	return rte_ring_dequeue_burst(r, (void **)out, max, NULL);
}

/* An Ethernet frame from the host of `s`: IPv4 UDP src -> dst, payload len. */
static struct rte_mbuf *host_ipv4(const struct side *s, uint32_t src, uint32_t dst,
				  uint16_t payload, bool df)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t len = (uint16_t)(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + payload);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *p;

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + len));
	assert_non_null(eth);
	eth->dst_addr = s->w.router_mac;
	eth->src_addr = s->w.host_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->fragment_offset = df ? RTE_BE16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = RTE_BE16(1234);
	udp->dst_port = RTE_BE16(5678);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + payload));
	udp->dgram_cksum = 0;
	p = (uint8_t *)(udp + 1);
	for (uint16_t i = 0; i < payload; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	return m;
}

static struct rte_mbuf *host_ipv6(const struct side *s, const uint8_t src[16],
				  const uint8_t dst[16], uint16_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip6;
	uint8_t *p;

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m,
		(uint16_t)(sizeof(*eth) + sizeof(*ip6) + payload));
	assert_non_null(eth);
	eth->dst_addr = s->w.router_mac;
	eth->src_addr = s->w.host_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(payload);
	ip6->proto = 59; /* no next header: payload is opaque */
	ip6->hop_limits = 64;
	memcpy(ip6->src_addr, src, 16);
	memcpy(ip6->dst_addr, dst, 16);
	p = (uint8_t *)(ip6 + 1);
	for (uint16_t i = 0; i < payload; i++)
		p[i] = (uint8_t)(i * 5 + 1);
	return m;
}

static struct rte_mbuf *copy(const struct rte_mbuf *m)
{
	return test_mbuf_from(mp, rte_pktmbuf_mtod(m, const void *), m->data_len);
}

/* Sends one host frame through A, returns the ESP frame A put on its WAN. */
static struct rte_mbuf *through_a(struct rte_mbuf *m)
{
	struct rte_mbuf *out[4];

	worker_inside_input(&A.w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	return out[0];
}

static void test_roundtrip_ipv4(void **state)
{
	(void)state;
	for (uint16_t payload = 0; payload <= 1410; payload += 47) {
		struct rte_mbuf *m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), payload,
					       true);
		struct rte_mbuf *orig = copy(m), *esp, *got[4];
		const struct rte_ether_hdr *eth;
		const struct rte_ipv4_hdr *oip;

		esp = through_a(m);
		eth = rte_pktmbuf_mtod(esp, const struct rte_ether_hdr *);
		assert_memory_equal(&eth->dst_addr, &B.w.wan_mac, 6);
		assert_memory_equal(&eth->src_addr, &A.w.wan_mac, 6);
		assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
		oip = (const struct rte_ipv4_hdr *)(eth + 1);
		assert_int_equal(oip->src_addr, IP4(198, 18, 0, 1));
		assert_int_equal(oip->dst_addr, IP4(198, 18, 0, 2));
		assert_int_equal(oip->next_proto_id, IPPROTO_UDP);
		assert_true(esp->pkt_len - sizeof(*eth) <= 1500);

		worker_wan_input(&B.w, &esp, 1);
		assert_int_equal(take(B.in_tx, got, 4), 1);
		eth = rte_pktmbuf_mtod(got[0], const struct rte_ether_hdr *);
		assert_memory_equal(&eth->dst_addr, &B.w.host_mac, 6);
		assert_memory_equal(&eth->src_addr, &B.w.router_mac, 6);
		/* the inner packet arrives byte for byte */
		assert_int_equal(got[0]->pkt_len, orig->pkt_len);
		assert_memory_equal(rte_pktmbuf_mtod_offset(got[0], void *, 14),
				    rte_pktmbuf_mtod_offset(orig, void *, 14), orig->pkt_len - 14);
		rte_pktmbuf_free(got[0]);
		rte_pktmbuf_free(orig);
	}
	struct stats_lcore *sa = A.w.stats, *sb = B.w.stats;
	assert_int_equal(sa->peer[0].tx_pkts, 31);
	assert_int_equal(sb->peer[0].rx_pkts, 31);
	for (unsigned d = 1; d < STATS_DROP_MAX; d++) {
		assert_int_equal(sa->drop[d], 0);
		assert_int_equal(sb->drop[d], 0);
	}
}

static void test_roundtrip_ipv6(void **state)
{
	uint8_t src[16], dst[16];
	struct rte_mbuf *m, *orig, *esp, *got[4];

	(void)state;
	memcpy(src, net6_a, 16);
	src[15] = 5;
	memcpy(dst, net6_b, 16);
	dst[15] = 7;
	m = host_ipv6(&A, src, dst, 300);
	orig = copy(m);
	esp = through_a(m);
	worker_wan_input(&B.w, &esp, 1);
	assert_int_equal(take(B.in_tx, got, 4), 1);
	assert_int_equal(rte_pktmbuf_mtod(got[0], struct rte_ether_hdr *)->ether_type,
			 RTE_BE16(RTE_ETHER_TYPE_IPV6));
	assert_int_equal(got[0]->pkt_len, orig->pkt_len);
	assert_memory_equal(rte_pktmbuf_mtod_offset(got[0], void *, 14),
			    rte_pktmbuf_mtod_offset(orig, void *, 14), orig->pkt_len - 14);
	rte_pktmbuf_free(got[0]);
	rte_pktmbuf_free(orig);
}

/* A LAN port pads short frames to 60 bytes: the padding must not be
 * encrypted as if it were part of the IP packet. */
static void test_ethernet_padding(void **state)
{
	struct rte_mbuf *m, *esp, *got[4];

	(void)state;
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 4, false);
	memset(rte_pktmbuf_append(m, 60 - m->data_len), 0, 60 - m->data_len);
	esp = through_a(m);
	worker_wan_input(&B.w, &esp, 1);
	assert_int_equal(take(B.in_tx, got, 4), 1);
	assert_int_equal(got[0]->pkt_len, 14 + 20 + 8 + 4);
	rte_pktmbuf_free(got[0]);
}

static void test_no_route(void **state)
{
	struct rte_mbuf *m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 9, 9), 10, false);
	struct rte_mbuf *out[4];

	(void)state;
	worker_inside_input(&A.w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 0);
	assert_int_equal(A.w.stats->drop[STATS_DROP_NO_ROUTE], 1);
}

static void test_too_big(void **state)
{
	struct rte_mbuf *m, *out[4];
	const struct rte_ipv4_hdr *ip;
	const struct rte_icmp_hdr *icmp;
	uint16_t mtu = A.so->mtu;

	(void)state;
	/* exactly the tunnel MTU passes */
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), (uint16_t)(mtu - 28), true);
	worker_inside_input(&A.w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	assert_true(out[0]->pkt_len <= 1514);
	rte_pktmbuf_free(out[0]);
	/* one byte more with DF: dropped, ICMP "fragmentation needed" to the host */
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), (uint16_t)(mtu - 27), true);
	worker_inside_input(&A.w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 0);
	assert_int_equal(take(A.in_tx, out, 4), 1);
	ip = rte_pktmbuf_mtod_offset(out[0], const struct rte_ipv4_hdr *, 14);
	assert_int_equal(ip->dst_addr, IP4(198, 19, 0, 5));
	/* from the unreachable destination, so the host's rp_filter takes it */
	assert_int_equal(ip->src_addr, IP4(198, 19, 1, 7));
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	icmp = (const struct rte_icmp_hdr *)(ip + 1);
	assert_int_equal(icmp->icmp_type, 3);
	assert_int_equal(icmp->icmp_code, 4);
	assert_int_equal(rte_be_to_cpu_16(icmp->icmp_seq_nb), mtu);
	assert_int_equal(rte_raw_cksum(icmp, rte_be_to_cpu_16(ip->total_length) - 20), 0xffff);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(A.w.stats->drop[STATS_DROP_TOO_BIG], 1);
	assert_int_equal(A.w.stats->event[STATS_EV_ICMP_TOO_BIG], 1);
	/* IPv6: packet too big, MTU at least 1280 */
	uint8_t src[16], dst[16];
	memcpy(src, net6_a, 16);
	src[15] = 5;
	memcpy(dst, net6_b, 16);
	dst[15] = 7;
	m = host_ipv6(&A, src, dst, (uint16_t)(mtu - 40 + 1));
	worker_inside_input(&A.w, &m, 1);
	assert_int_equal(take(A.in_tx, out, 4), 1);
	const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(out[0], const struct rte_ipv6_hdr *, 14);
	const uint8_t *ic6 = (const uint8_t *)(ip6 + 1);
	assert_int_equal(ip6->proto, IPPROTO_ICMPV6);
	assert_memory_equal(ip6->dst_addr, src, 16);
	assert_memory_equal(ip6->src_addr, dst, 16);
	assert_int_equal(ic6[0], 2);
	uint32_t sum = rte_raw_cksum(ic6, rte_be_to_cpu_16(ip6->payload_len)) +
		       rte_ipv6_phdr_cksum(ip6, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(A.w.stats->drop[STATS_DROP_TOO_BIG], 2);
}

static struct rte_mbuf *arp_frame(const struct rte_ether_addr *sha, uint32_t sip, uint32_t tip,
				  uint16_t op)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	memset(&eth->dst_addr, 0xff, 6);
	eth->src_addr = *sha;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = *sha;
	arp->arp_data.arp_sip = sip;
	memset(&arp->arp_data.arp_tha, 0, 6);
	arp->arp_data.arp_tip = tip;
	return m;
}

static void test_arp_wan(void **state)
{
	struct rte_ether_addr other = { { 0x02, 0, 0, 0, 0, 0x99 } };
	struct rte_mbuf *m, *out[4];
	const struct rte_arp_hdr *arp;

	(void)state;
	m = arp_frame(&other, IP4(198, 18, 0, 99), IP4(198, 18, 0, 1), RTE_ARP_OP_REQUEST);
	worker_wan_input(&A.w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	arp = rte_pktmbuf_mtod_offset(out[0], const struct rte_arp_hdr *, 14);
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_memory_equal(&arp->arp_data.arp_sha, &A.w.wan_mac, 6);
	assert_int_equal(arp->arp_data.arp_sip, IP4(198, 18, 0, 1));
	rte_pktmbuf_free(out[0]);
	/* a request for someone else's address gets no answer */
	m = arp_frame(&other, IP4(198, 18, 0, 99), IP4(198, 18, 0, 77), RTE_ARP_OP_REQUEST);
	worker_wan_input(&A.w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 0);
	assert_int_equal(A.w.stats->event[STATS_EV_ARP_REPLIED], 1);
}

/* The host ARPs / solicits for addresses behind the peer: pmdvpn answers
 * with its router MAC; for unrouted addresses it stays silent. */
static void test_arp_inside(void **state)
{
	struct rte_mbuf *m, *out[4];
	const struct rte_arp_hdr *arp;

	(void)state;
	m = arp_frame(&A.w.host_mac, IP4(198, 19, 0, 1), IP4(198, 19, 1, 7), RTE_ARP_OP_REQUEST);
	worker_inside_input(&A.w, &m, 1);
	assert_int_equal(take(A.in_tx, out, 4), 1);
	arp = rte_pktmbuf_mtod_offset(out[0], const struct rte_arp_hdr *, 14);
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_memory_equal(&arp->arp_data.arp_sha, &A.w.router_mac, 6);
	rte_pktmbuf_free(out[0]);
	m = arp_frame(&A.w.host_mac, IP4(198, 19, 0, 1), IP4(198, 19, 0, 9), RTE_ARP_OP_REQUEST);
	worker_inside_input(&A.w, &m, 1);
	assert_int_equal(take(A.in_tx, out, 4), 0);
	assert_int_equal(A.w.stats->drop[STATS_DROP_UNHANDLED], 1);
}

/* Without a neighbour entry the packet is dropped (counted), an ARP request
 * goes out, and the reply makes the next packet pass. */
static void test_neighbour_resolution(void **state)
{
	struct side *s = &A;
	struct rte_mbuf *m, *out[4];
	struct neigh_table *saved = s->w.neigh;
	struct neigh_table *nt = neigh_create("wa_nb2", 16, SOCKET_ID_ANY);
	const struct rte_arp_hdr *arp;

	(void)state;
	assert_non_null(nt);
	s->w.neigh = nt;
	m = host_ipv4(s, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 10, false);
	worker_inside_input(&s->w, &m, 1);
	assert_int_equal(s->w.stats->drop[STATS_DROP_NO_NEIGH], 1);
	worker_resolve_peers(&s->w, rte_rdtsc());
	assert_int_equal(take(s->wan_tx, out, 4), 1);
	arp = rte_pktmbuf_mtod_offset(out[0], const struct rte_arp_hdr *, 14);
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_int_equal(arp->arp_data.arp_tip, IP4(198, 18, 0, 2));
	rte_pktmbuf_free(out[0]);
	/* B answers */
	m = arp_frame(&B.w.wan_mac, IP4(198, 18, 0, 2), IP4(198, 18, 0, 1), RTE_ARP_OP_REPLY);
	worker_wan_input(&s->w, &m, 1);
	m = host_ipv4(s, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 10, false);
	worker_inside_input(&s->w, &m, 1);
	assert_int_equal(take(s->wan_tx, out, 4), 1);
	assert_memory_equal(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->dst_addr,
			    &B.w.wan_mac, 6);
	rte_pktmbuf_free(out[0]);
	s->w.neigh = saved;
	neigh_free(nt);
}

/* A UDP datagram from B's WAN address to A's, to dport, with 40 payload
 * octets that start with the non-ESP marker (or an SPI). */
static struct rte_mbuf *ike_frame(uint16_t dport, bool marker)
{
	struct rte_mbuf *m = host_ipv4(&B, IP4(198, 18, 0, 2), IP4(198, 18, 0, 1), 40, false);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	udp->dst_port = rte_cpu_to_be_16(dport);
	memset(udp + 1, marker ? 0 : 0x11, 4);
	return m;
}

static void test_icmp_echo_and_others(void **state)
{
	struct rte_mbuf *m, *out[4];
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;

	(void)state;
	/* an echo request to the WAN address: reply, in place */
	m = host_ipv4(&B, IP4(198, 18, 0, 2), IP4(198, 18, 0, 1), 24, false);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	memset(icmp, 0, sizeof(*icmp));
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = RTE_BE16(77);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8 + 24);
	worker_wan_input(&A.w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	ip = rte_pktmbuf_mtod_offset(out[0], struct rte_ipv4_hdr *, 14);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ip->dst_addr, IP4(198, 18, 0, 2));
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	assert_int_equal(rte_raw_cksum(icmp, 8 + 24), 0xffff);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(A.w.stats->event[STATS_EV_ICMP_ECHO], 1);

	/* UDP to 4500 with the non-ESP marker: IKE; without an IKE ring
	 * (no control plane) it is counted as unhandled */
	m = ike_frame(4500, true);
	worker_wan_input(&A.w, &m, 1);
	assert_int_equal(A.w.stats->event[STATS_EV_IKE], 0);
	/* other UDP to us, and anything to another address: unhandled */
	m = host_ipv4(&B, IP4(198, 18, 0, 2), IP4(198, 18, 0, 1), 40, false);
	worker_wan_input(&A.w, &m, 1);
	m = host_ipv4(&B, IP4(198, 18, 0, 2), IP4(198, 18, 0, 3), 40, false);
	worker_wan_input(&A.w, &m, 1);
	assert_int_equal(A.w.stats->drop[STATS_DROP_UNHANDLED], 3);
	/* a NAT keepalive (one 0xff byte) is counted, not a drop */
	m = ike_frame(4500, false);
	m->data_len = m->pkt_len = 14 + 20 + 8 + 1;
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 8) = 0xff;
	worker_wan_input(&A.w, &m, 1);
	assert_int_equal(A.w.stats->event[STATS_EV_NAT_KEEPALIVE], 1);
	assert_int_equal(A.w.stats->drop[STATS_DROP_UNHANDLED], 3);
	assert_int_equal(take(A.wan_tx, out, 4), 0);
	assert_int_equal(take(A.in_tx, out, 4), 0);
}

/* The control plane's frame to next_hop through w's hand-off ring: one
 * poll later exactly one frame left on the WAN (in out[0]). */
static void ctrl_send(struct worker *w, struct rte_ring *ho, uint32_t next_hop,
		      struct rte_mbuf **out)
{
	struct rte_mbuf *m = ike_frame(500, false);

	m->hash.usr = WORKER_HANDOFF_CTRL_TX;
	WORKER_CTRL_NEXT_HOP(m) = next_hop;
	assert_int_equal(rte_ring_enqueue(ho, m), 0);
	assert_int_equal(worker_poll(w), 1);
	assert_int_equal(take(A.wan_tx, out, 8), 1);
}

/* `set stage-cycles on`: a busy poll's cycles are split into rx,
 * classify, crypto and tx; off (the default), nothing is counted. */
static void test_stage_cycles(void **state)
{
	struct rte_mbuf *m, *esp, *out[4];
	uint64_t sum = 0;

	(void)state;
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 200, false);
	assert_int_equal(rte_ring_enqueue(A.in_rx, m), 0);
	assert_int_equal(worker_poll(&A.w), 1);
	assert_int_equal(take(A.wan_tx, &esp, 1), 1);
	assert_int_equal(A.w.stats->stage_polls, 0);
	for (unsigned st = 0; st < STATS_STAGE_MAX; st++)
		assert_int_equal(A.w.stats->stage_cycles[st], 0);

	A.w.stage_cycles = true;
	B.w.stage_cycles = true;
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 200, false);
	assert_int_equal(rte_ring_enqueue(A.in_rx, m), 0);
	assert_int_equal(worker_poll(&A.w), 1);
	rte_pktmbuf_free(esp);
	assert_int_equal(take(A.wan_tx, &esp, 1), 1);
	/* an empty poll adds nothing */
	assert_int_equal(worker_poll(&A.w), 0);
	assert_int_equal(A.w.stats->stage_polls, 1);
	for (unsigned st = 0; st < STATS_STAGE_MAX; st++) {
		assert_true(A.w.stats->stage_cycles[st] > 0);
		sum += A.w.stats->stage_cycles[st];
	}
	/* and B decrypts it: crypto counted on the WAN path too */
	uint64_t crypto0 = B.w.stats->stage_cycles[STATS_STAGE_CRYPTO];
	assert_int_equal(rte_ring_enqueue(B.wan_rx, esp), 0);
	assert_int_equal(worker_poll(&B.w), 1);
	assert_true(B.w.stats->stage_cycles[STATS_STAGE_CRYPTO] > crypto0);
	assert_int_equal(take(B.in_tx, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	assert_true(sum < rte_get_tsc_hz());       /* a poll, not a second */
	A.w.stage_cycles = B.w.stage_cycles = false;
}

/* IKE goes whole to the control plane's ring: port 500, and port 4500
 * with the non-ESP marker; a full ring sheds the flood (ike-full). The
 * control plane's frames leave through worker 0 with MACs filled in, or
 * trigger an ARP request when the next hop is unknown. */
static void test_ike_paths(void **state)
{
	struct rte_ring *ike = rte_ring_create("ike_t", 4, SOCKET_ID_ANY, RING_F_SC_DEQ);
	struct rte_ring *ho = rte_ring_create("ho_ike", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	struct rte_ring *hos[1] = { ho };
	struct worker w = A.w;
	struct rte_mbuf *m, *out[8];
	struct rte_ether_hdr *eth;
	struct rte_ether_addr gw_mac = { { 0x02, 0, 0, 0, 0, 0x77 } };

	(void)state;
	assert_non_null(ike);
	assert_non_null(ho);
	w.ike_ring = ike;
	w.ike_port = RTE_BE16(500);
	w.handoff = ho;
	w.handoffs = hos;
	w.n_workers = 1;
	m = ike_frame(500, false);
	worker_wan_input(&w, &m, 1);
	m = ike_frame(4500, true);
	worker_wan_input(&w, &m, 1);
	assert_int_equal(rte_ring_count(ike), 2);
	assert_int_equal(A.w.stats->event[STATS_EV_IKE], 2);
	/* ESP on 4500 (no marker) still goes to ESP inbound, not to IKE */
	m = ike_frame(4500, false);
	worker_wan_input(&w, &m, 1);
	assert_int_equal(rte_ring_count(ike), 2);
	/* the ring holds 3: the fourth and fifth are shed */
	for (int i = 0; i < 3; i++) {
		m = ike_frame(500, false);
		worker_wan_input(&w, &m, 1);
	}
	assert_int_equal(rte_ring_count(ike), 3);
	assert_int_equal(A.w.stats->drop[STATS_DROP_IKE_FULL], 2);
	assert_int_equal(take(ike, out, 8), 3);
	for (int i = 0; i < 3; i++)
		rte_pktmbuf_free(out[i]);

	/* control plane TX to an unknown next hop: ARP request, the frame waits */
	ctrl_send(&w, ho, IP4(198, 18, 0, 99), out);
	eth = rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *);
	assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	rte_pktmbuf_free(out[0]);
	assert_non_null(w.ctrl_wait);
	assert_int_equal(A.w.stats->drop[STATS_DROP_NO_NEIGH], 0);
	/* the reply is learned: the next poll sends it, addressed */
	neigh_learn(w.neigh, IP4(198, 18, 0, 99), &gw_mac);
	assert_int_equal(worker_poll(&w), 0);
	assert_int_equal(take(A.wan_tx, out, 8), 1);
	assert_null(w.ctrl_wait);
	eth = rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *);
	assert_memory_equal(&eth->dst_addr, &gw_mac, 6);
	assert_memory_equal(&eth->src_addr, &w.wan_mac, 6);
	rte_pktmbuf_free(out[0]);
	/* known next hop: sent at once with our MAC and the neighbour's */
	ctrl_send(&w, ho, IP4(198, 18, 0, 99), out);
	eth = rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *);
	assert_memory_equal(&eth->dst_addr, &gw_mac, 6);
	assert_memory_equal(&eth->src_addr, &w.wan_mac, 6);
	assert_int_equal(out[0]->hash.usr, 0);
	assert_int_equal(WORKER_CTRL_NEXT_HOP(out[0]), 0);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(A.w.stats->event[STATS_EV_IKE_SENT], 2);
	/* one frame waits: a newer one replaces it (no-neighbour), and one
	 * that waited too long is dropped too */
	ctrl_send(&w, ho, IP4(198, 18, 0, 98), out);
	rte_pktmbuf_free(out[0]);
	ctrl_send(&w, ho, IP4(198, 18, 0, 97), out);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(A.w.stats->drop[STATS_DROP_NO_NEIGH], 1);
	w.ctrl_wait_until = 0;
	assert_int_equal(worker_poll(&w), 0);
	assert_null(w.ctrl_wait);
	assert_int_equal(A.w.stats->drop[STATS_DROP_NO_NEIGH], 2);
	assert_int_equal(take(A.wan_tx, out, 8), 0);
	rte_ring_free(ike);
	rte_ring_free(ho);
}

/* B accepts from A only sources in A's subnets. */
static void test_policy(void **state)
{
	struct rte_mbuf *m, *esp, *out[4];

	(void)state;
	m = host_ipv4(&A, IP4(198, 19, 5, 5), IP4(198, 19, 1, 7), 10, false);
	esp = through_a(m);
	worker_wan_input(&B.w, &esp, 1);
	assert_int_equal(take(B.in_tx, out, 4), 0);
	assert_int_equal(B.w.stats->drop[STATS_DROP_POLICY], 1);
	assert_int_equal(B.w.stats->peer[0].drop[STATS_DROP_POLICY], 1);
}

static void test_replay_and_tamper(void **state)
{
	struct rte_mbuf *m, *esp, *dup, *bad, *out[4];

	(void)state;
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 100, false);
	esp = through_a(m);
	dup = copy(esp);
	bad = copy(esp);
	rte_pktmbuf_mtod(bad, uint8_t *)[bad->data_len - 20] ^= 0x40;
	worker_wan_input(&B.w, &bad, 1);
	assert_int_equal(B.w.stats->drop[STATS_DROP_AUTH], 1);
	worker_wan_input(&B.w, &esp, 1);
	worker_wan_input(&B.w, &dup, 1);
	assert_int_equal(B.w.stats->drop[STATS_DROP_REPLAY], 1);
	assert_int_equal(take(B.in_tx, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	/* both copies in one burst: the second loses in replay_update() */
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 100, false);
	esp = through_a(m);
	struct rte_mbuf *pair[2] = { esp, copy(esp) };
	worker_wan_input(&B.w, pair, 2);
	assert_int_equal(take(B.in_tx, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(B.w.stats->drop[STATS_DROP_REPLAY], 2);
}

/* Every truncation of a valid ESP frame and of host frames, and random
 * bytes: all dropped and counted, nothing delivered, nothing leaked. */
static void test_garbage(void **state)
{
	struct rte_mbuf *m, *esp, *out[8];
	uint64_t drops = 0;

	(void)state;
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 64, false);
	esp = through_a(m);
	uint32_t frames = esp->data_len;
	for (uint32_t len = 0; len < frames; len++) {
		struct rte_mbuf *t = test_mbuf_from(mp, rte_pktmbuf_mtod(esp, void *), len);
		assert_non_null(t);
		worker_wan_input(&B.w, &t, 1);
	}
	rte_pktmbuf_free(esp);
	assert_int_equal(take(B.in_tx, out, 8), 0);
	for (unsigned d = 1; d < STATS_DROP_MAX; d++)
		drops += B.w.stats->drop[d];
	assert_int_equal(drops, frames); /* one counted drop per frame */

	srand(7);
	for (unsigned i = 0; i < 2000; i++) {
		uint8_t buf[200];
		uint32_t len = (uint32_t)rand() % sizeof(buf);

		for (uint32_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand();
		/* sometimes make it look like ours, to get past the first checks */
		if (len > 14 && (i & 1)) {
			buf[12] = i & 2 ? 0x08 : 0x86;
			buf[13] = i & 2 ? 0x00 : 0xdd;
		}
		m = test_mbuf_from(mp, buf, len);
		worker_wan_input(&B.w, &m, 1);
		m = test_mbuf_from(mp, buf, len);
		worker_inside_input(&A.w, &m, 1);
		drain(A.wan_tx);
		drain(A.in_tx);
		drain(B.wan_tx);
		drain(B.in_tx);
	}
}

/* No sequence numbers reserved: the SA does not send (and says why). */
static void test_seq_exhausted(void **state)
{
	struct rte_mbuf *m, *out[4];
	uint64_t limit = A.so->seq_limit;

	(void)state;
	A.so->seq_limit = A.so->seq;
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 10, false);
	worker_inside_input(&A.w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 0);
	assert_int_equal(A.w.stats->drop[STATS_DROP_SEQ_EXHAUSTED], 1);
	A.so->seq_limit = limit;
}

/* Two workers: peer 0 belongs to worker 1. What worker 0 receives for it,
 * from either port, goes through worker 1's hand-off ring and is processed
 * there; ARP seen by worker 0 is shared so worker 1's table learns too. */
static void test_handoff(void **state)
{
	struct rte_ring *rings[2];
	uint16_t owner[1] = { 1 };
	struct worker w0 = A.w, w1 = A.w;
	struct rte_mbuf *m, *esp, *out[4];
	struct neigh_table *nt1 = neigh_create("wa_nb_ho", 16, SOCKET_ID_ANY);
	struct rte_ether_addr mac;
	struct rte_ether_addr other = { { 0x02, 0, 0, 0, 0, 0x42 } };

	(void)state;
	rings[0] = rte_ring_create("ho0", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	rings[1] = rte_ring_create("ho1", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	assert_non_null(rings[0]);
	assert_non_null(rings[1]);
	assert_non_null(nt1);
	w0.index = 0;
	w1.index = 1;
	w0.n_workers = w1.n_workers = 2;
	w0.peer_owner = w1.peer_owner = owner;
	w0.handoff = rings[0];
	w1.handoff = rings[1];
	w0.handoffs = w1.handoffs = rings;

	/* outbound: worker 0 hands the host's packet over, worker 1 encrypts */
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 100, false);
	worker_inside_input(&w0, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 0);
	assert_int_equal(rte_ring_count(rings[1]), 1);
	assert_int_equal(worker_poll(&w1), 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	rte_pktmbuf_free(out[0]);

	/* inbound: ESP for an SA of worker 1 arriving at worker 0 */
	m = host_ipv4(&B, IP4(198, 19, 1, 7), IP4(198, 19, 0, 5), 100, false);
	worker_inside_input(&B.w, &m, 1);
	assert_int_equal(take(B.wan_tx, &esp, 1), 1);
	worker_wan_input(&w0, &esp, 1);
	assert_int_equal(take(A.in_tx, out, 4), 0);
	assert_int_equal(worker_poll(&w1), 1);
	assert_int_equal(take(A.in_tx, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(A.w.stats->event[STATS_EV_HANDOFF], 2);

	/* ARP: worker 0 answers, worker 1's table learns from its copy */
	w1.neigh = nt1;
	neigh_want(nt1, IP4(198, 18, 0, 66), rte_rdtsc());
	m = arp_frame(&other, IP4(198, 18, 0, 66), IP4(198, 18, 0, 1), RTE_ARP_OP_REQUEST);
	worker_wan_input(&w0, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);  /* the reply, from worker 0 only */
	rte_pktmbuf_free(out[0]);
	assert_int_equal(neigh_lookup(nt1, IP4(198, 18, 0, 66), &mac), -1);
	worker_poll(&w1);
	assert_int_equal(neigh_lookup(nt1, IP4(198, 18, 0, 66), &mac), 0);
	assert_memory_equal(&mac, &other, 6);
	assert_int_equal(take(A.wan_tx, out, 4), 0);  /* worker 1 does not answer again */

	/* a stray tag is dropped, and tags never survive the ring */
	m = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 10, false);
	m->hash.usr = 99;
	assert_int_equal(rte_ring_enqueue(rings[1], m), 0);
	worker_poll(&w1);
	assert_int_equal(A.w.stats->drop[STATS_DROP_MALFORMED], 1);
	neigh_free(nt1);
	rte_ring_free(rings[0]);
	rte_ring_free(rings[1]);
}

/* An outbound SA of side s for a second peer (index 1), to dst through
 * next_hop, with a route for net/24. */
static struct sa_out *second_peer(struct side *s, uint32_t spi, const uint8_t *key,
				  uint32_t dst, uint32_t next_hop, uint32_t net)
{
	struct sa_out *so = sa_out_create(AEAD_IMPL_IMB, AEAD_AES128_GCM, spi, key, 20, true);
	uint8_t net4[4];

	assert_non_null(so);
	so->seq_limit = UINT64_MAX;
	so->src_ip = s->so->src_ip;
	so->dst_ip = dst;
	so->sport = s->so->sport;
	so->dport = s->so->dport;
	so->udp_encap = 1;
	so->next_hop = next_hop;
	so->mtu = s->so->mtu;
	so->peer = 1;
	memcpy(net4, &net, 4);
	assert_int_equal(route_add(s->rt, AF_INET, net4, 24, 1), 0);
	s->w.peers[1].sa_out = so;
	s->w.n_peers = 2;
	return so;
}

static void second_peer_free(struct side *s, struct sa_out *so, uint32_t net)
{
	uint8_t net4[4];

	memcpy(net4, &net, 4);
	assert_int_equal(route_del(s->rt, AF_INET, net4, 24), 0);
	s->w.peers[1].sa_out = NULL;
	s->w.n_peers = 1;
	sa_out_free(so);
}

/* Bursts that mix two peers: each packet gets its own peer's next hop
 * (an unresolved one drops only its packets) and its own SA's owner. */
static void test_mixed_bursts(void **state)
{
	const uint32_t hop1 = IP4(198, 18, 0, 3), net_a1 = IP4(198, 19, 2, 0);
	const uint32_t net_b1 = IP4(198, 19, 4, 0);
	const struct rte_ether_addr other = { { 0x02, 0, 0, 0, 0, 0x43 } };
	struct neigh_table *saved = A.w.neigh;
	struct neigh_table *nt = neigh_create("wa_nb_mix", 16, SOCKET_ID_ANY);
	struct sa_out *a1, *b1;
	struct sa_in *si1;
	struct rte_mbuf *m[3], *esp[3], *out[4];
	struct rte_ring *rings[2];
	uint16_t owner[2] = { 1, 0 };
	struct worker w0, w1;

	(void)state;
	assert_non_null(nt);
	a1 = second_peer(&A, 0x3001, key_ab, hop1, hop1, net_a1);
	A.w.neigh = nt;
	assert_int_equal(neigh_add_static(nt, IP4(198, 18, 0, 2), &B.w.wan_mac), 0);

	/* peer 1's next hop unknown: its packet alone is dropped */
	m[0] = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 10, false);
	m[1] = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 2, 7), 10, false);
	m[2] = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 8), 10, false);
	worker_inside_input(&A.w, m, 3);
	assert_int_equal(A.w.stats->drop[STATS_DROP_NO_NEIGH], 1);
	assert_int_equal(A.w.stats->peer[1].drop[STATS_DROP_NO_NEIGH], 1);
	assert_int_equal(take(A.wan_tx, out, 4), 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_memory_equal(&rte_pktmbuf_mtod(out[i], struct rte_ether_hdr *)->dst_addr,
				    &B.w.wan_mac, 6);
		rte_pktmbuf_free(out[i]);
	}
	/* both known: each packet to its own next hop */
	assert_int_equal(neigh_add_static(nt, hop1, &other), 0);
	m[0] = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 2, 7), 10, false);
	m[1] = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 1, 7), 10, false);
	m[2] = host_ipv4(&A, IP4(198, 19, 0, 5), IP4(198, 19, 2, 8), 10, false);
	worker_inside_input(&A.w, m, 3);
	assert_int_equal(take(A.wan_tx, out, 4), 3);
	assert_memory_equal(&rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *)->dst_addr,
			    &other, 6);
	assert_memory_equal(&rte_pktmbuf_mtod(out[1], struct rte_ether_hdr *)->dst_addr,
			    &B.w.wan_mac, 6);
	assert_memory_equal(&rte_pktmbuf_mtod(out[2], struct rte_ether_hdr *)->dst_addr,
			    &other, 6);
	for (unsigned i = 0; i < 3; i++)
		rte_pktmbuf_free(out[i]);
	A.w.neigh = saved;
	neigh_free(nt);

	/* inbound: A's SAs for peer 0 (worker 1's) and peer 1 (worker 0's)
	 * interleaved in one burst at worker 0 */
	si1 = sa_in_create(AEAD_IMPL_IMB, AEAD_AES128_GCM, 0x4001, key_ba, 20, true, 1024);
	assert_non_null(si1);
	si1->peer = 1;
	assert_int_equal(sa_table_add(A.sat, si1), 0);
	b1 = second_peer(&B, 0x4001, key_ba, IP4(198, 18, 0, 1), IP4(198, 18, 0, 1), net_b1);
	m[0] = host_ipv4(&B, IP4(198, 19, 1, 7), IP4(198, 19, 0, 5), 10, false);
	m[1] = host_ipv4(&B, IP4(198, 19, 2, 7), IP4(198, 19, 4, 5), 10, false);
	m[2] = host_ipv4(&B, IP4(198, 19, 1, 8), IP4(198, 19, 0, 5), 10, false);
	worker_inside_input(&B.w, m, 3);
	assert_int_equal(take(B.wan_tx, esp, 3), 3);

	rings[0] = rte_ring_create("ho0_mix", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	rings[1] = rte_ring_create("ho1_mix", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	assert_non_null(rings[0]);
	assert_non_null(rings[1]);
	w0 = A.w;
	w1 = A.w;
	w0.index = 0;
	w1.index = 1;
	w0.n_workers = w1.n_workers = 2;
	w0.peer_owner = w1.peer_owner = owner;
	w0.handoff = rings[0];
	w1.handoff = rings[1];
	w0.handoffs = w1.handoffs = rings;
	worker_wan_input(&w0, esp, 3);
	assert_int_equal(rte_ring_count(rings[1]), 2);
	assert_int_equal(take(A.in_tx, out, 4), 1);
	assert_int_equal(A.w.stats->peer[1].rx_pkts, 1);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(worker_poll(&w1), 2);
	assert_int_equal(take(A.in_tx, out, 4), 2);
	assert_int_equal(A.w.stats->peer[0].rx_pkts, 2);
	rte_pktmbuf_free(out[0]);
	rte_pktmbuf_free(out[1]);
	assert_int_equal(A.w.stats->drop[STATS_DROP_NO_NEIGH], 1); /* only the one above */

	rte_ring_free(rings[0]);
	rte_ring_free(rings[1]);
	assert_int_equal(sa_table_del(A.sat, 0x4001), 0);
	sa_in_free(si1);
	second_peer_free(&B, b1, net_b1);
	second_peer_free(&A, a1, net_a1);
}

/* ------------------------------------------------------------ wan-kernel */

/* A copy of A's worker with its wan-kernel port on. */
static struct worker kernel_worker(void)
{
	struct worker w = A.w;

	w.wan_kernel = true;
	w.wan_kernel_port = kport;
	w.wan_kernel_queue = 0;
	return w;
}

/* A frame B sends to A: IPv4 protocol proto to dst. */
static struct rte_mbuf *wan_ipv4(uint32_t dst, uint8_t proto)
{
	struct rte_mbuf *m = host_ipv4(&B, IP4(198, 18, 0, 2), dst, 40, false);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

	eth->dst_addr = A.w.wan_mac;
	eth->src_addr = B.w.wan_mac;
	ip->next_proto_id = proto;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

/* Feeds m to w's WAN input and checks that it reached the kernel port
 * byte for byte (and nothing else left). */
static void expect_to_kernel(struct worker *w, struct rte_mbuf *m)
{
	struct rte_mbuf *orig = copy(m), *out[4];

	worker_wan_input(w, &m, 1);
	assert_int_equal(take(k_tx, out, 4), 1);
	assert_int_equal(out[0]->data_len, orig->data_len);
	assert_memory_equal(rte_pktmbuf_mtod(out[0], void *), rte_pktmbuf_mtod(orig, void *),
			    orig->data_len);
	rte_pktmbuf_free(out[0]);
	rte_pktmbuf_free(orig);
	assert_int_equal(take(A.wan_tx, out, 4), 0);
	assert_int_equal(take(A.in_tx, out, 4), 0);
}

/* Non-VPN WAN traffic goes to the kernel unchanged: TCP/UDP/other ICMP to
 * us, IPv4 to other addresses (broadcast), IPv6, IKE when no control
 * plane takes it, ARP replies and others' requests. What pmdvpn answers
 * or owns (echo requests, ARP for its address, ESP, NAT keepalives,
 * malformed frames) never does. */
static void test_wan_kernel_classify(void **state)
{
	struct worker w = kernel_worker();
	struct rte_ether_addr other = { { 0x02, 0, 0, 0, 0, 0x31 } }, mac;
	struct rte_mbuf *m, *out[4];
	struct rte_icmp_hdr *icmp;
	const struct rte_arp_hdr *arp;
	uint8_t v6a[16] = { 0xfe, 0x80, [15] = 1 }, v6b[16] = { 0xfe, 0x80, [15] = 2 };

	(void)state;
	expect_to_kernel(&w, wan_ipv4(IP4(198, 18, 0, 1), IPPROTO_TCP));       /* SSH */
	expect_to_kernel(&w, host_ipv4(&B, IP4(198, 18, 0, 2), IP4(198, 18, 0, 1), 40, false));
	expect_to_kernel(&w, wan_ipv4(IP4(198, 18, 0, 255), IPPROTO_UDP));     /* broadcast */
	expect_to_kernel(&w, wan_ipv4(IP4(198, 18, 0, 77), IPPROTO_TCP));      /* not ours */
	expect_to_kernel(&w, host_ipv6(&B, v6a, v6b, 32));
	expect_to_kernel(&w, ike_frame(500, false));     /* no IKE ring: not pmdvpn's */
	/* an echo reply (to the kernel's ping) is the kernel's */
	m = wan_ipv4(IP4(198, 18, 0, 1), IPPROTO_ICMP);
	icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, 14 + 20);
	memset(icmp, 0, sizeof(*icmp));
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8 + 40);
	expect_to_kernel(&w, m);
	/* ARP: a reply (to a request pmdvpn sent) is learned and copied; a
	 * request for another address is copied */
	neigh_want(w.neigh, IP4(198, 18, 0, 31), rte_rdtsc());
	m = arp_frame(&other, IP4(198, 18, 0, 31), IP4(198, 18, 0, 1), RTE_ARP_OP_REPLY);
	expect_to_kernel(&w, m);
	assert_int_equal(neigh_lookup(w.neigh, IP4(198, 18, 0, 31), &mac), 0);
	assert_memory_equal(&mac, &other, 6);
	expect_to_kernel(&w, arp_frame(&other, IP4(198, 18, 0, 31), IP4(198, 18, 0, 40),
				       RTE_ARP_OP_REQUEST));
	assert_int_equal(A.w.stats->event[STATS_EV_TO_KERNEL], 9);
	assert_int_equal(A.w.stats->port[WORKER_PORT_WAN_KERNEL].tx_pkts, 9);
	assert_int_equal(A.w.stats->drop[STATS_DROP_UNHANDLED], 0);

	/* an ARP request for our address: answered here, not copied */
	m = arp_frame(&other, IP4(198, 18, 0, 31), IP4(198, 18, 0, 1), RTE_ARP_OP_REQUEST);
	worker_wan_input(&w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	arp = rte_pktmbuf_mtod_offset(out[0], const struct rte_arp_hdr *, 14);
	assert_int_equal(arp->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	rte_pktmbuf_free(out[0]);
	/* an echo request: answered here */
	m = wan_ipv4(IP4(198, 18, 0, 1), IPPROTO_ICMP);
	icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, 14 + 20);
	memset(icmp, 0, sizeof(*icmp));
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8 + 40);
	worker_wan_input(&w, &m, 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	/* ESP from B: decrypted to the inside as ever */
	m = host_ipv4(&B, IP4(198, 19, 1, 7), IP4(198, 19, 0, 5), 100, false);
	worker_inside_input(&B.w, &m, 1);
	assert_int_equal(take(B.wan_tx, &m, 1), 1);
	worker_wan_input(&w, &m, 1);
	assert_int_equal(take(A.in_tx, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	/* a NAT keepalive and a truncated IPv4 header */
	m = ike_frame(4500, false);
	m->data_len = m->pkt_len = 14 + 20 + 8 + 1;
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 8) = 0xff;
	worker_wan_input(&w, &m, 1);
	m = wan_ipv4(IP4(198, 18, 0, 1), IPPROTO_TCP);
	m->data_len = m->pkt_len = 14 + 10;
	worker_wan_input(&w, &m, 1);
	assert_int_equal(A.w.stats->drop[STATS_DROP_MALFORMED], 1);
	assert_int_equal(take(k_tx, out, 4), 0);
	assert_int_equal(A.w.stats->event[STATS_EV_TO_KERNEL], 9);
	assert_int_equal(A.w.stats->event[STATS_EV_ICMP_ECHO], 1);
	assert_int_equal(A.w.stats->event[STATS_EV_ARP_REPLIED], 1);
}

/* Without wan-kernel nothing changes: the same traffic is unhandled and
 * the kernel port is neither written nor read. */
static void test_wan_kernel_off(void **state)
{
	struct rte_mbuf *m, *out[4];

	(void)state;
	assert_false(A.w.wan_kernel);
	m = wan_ipv4(IP4(198, 18, 0, 1), IPPROTO_TCP);
	worker_wan_input(&A.w, &m, 1);
	m = arp_frame(&B.w.wan_mac, IP4(198, 18, 0, 2), IP4(198, 18, 0, 1), RTE_ARP_OP_REPLY);
	worker_wan_input(&A.w, &m, 1);
	assert_int_equal(A.w.stats->drop[STATS_DROP_UNHANDLED], 1);
	assert_int_equal(take(k_tx, out, 4), 0);
	m = wan_ipv4(IP4(198, 18, 0, 2), IPPROTO_TCP);
	assert_int_equal(rte_ring_enqueue(k_rx, m), 0);
	assert_int_equal(worker_poll(&A.w), 0);
	assert_int_equal(rte_ring_count(k_rx), 1);
	assert_int_equal(A.w.stats->event[STATS_EV_TO_KERNEL], 0);
	assert_int_equal(A.w.stats->event[STATS_EV_FROM_KERNEL], 0);
}

/* What the kernel writes leaves through the WAN port unchanged; while the
 * WAN is busy the kernel port waits WORKER_KERNEL_POLL_BUSY polls. */
static void test_wan_kernel_from_kernel(void **state)
{
	struct worker w = kernel_worker();
	struct rte_mbuf *m, *orig, *out[4];
	unsigned polls = 0;

	(void)state;
	/* idle: the first poll takes it */
	m = arp_frame(&A.w.wan_mac, IP4(198, 18, 0, 1), IP4(198, 18, 0, 2), RTE_ARP_OP_REQUEST);
	orig = copy(m);
	assert_int_equal(rte_ring_enqueue(k_rx, m), 0);
	assert_int_equal(worker_poll(&w), 1);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	assert_int_equal(out[0]->data_len, orig->data_len);
	assert_memory_equal(rte_pktmbuf_mtod(out[0], void *), rte_pktmbuf_mtod(orig, void *),
			    orig->data_len);
	rte_pktmbuf_free(out[0]);
	rte_pktmbuf_free(orig);
	assert_int_equal(A.w.stats->event[STATS_EV_FROM_KERNEL], 1);
	assert_int_equal(A.w.stats->port[WORKER_PORT_WAN_KERNEL].rx_pkts, 1);

	/* busy: a NAT keepalive on the WAN each poll (consumed, no output) */
	assert_int_equal(rte_ring_enqueue(k_rx, wan_ipv4(IP4(198, 18, 0, 2), IPPROTO_TCP)), 0);
	do {
		m = ike_frame(4500, false);
		m->data_len = m->pkt_len = 14 + 20 + 8 + 1;
		*rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 8) = 0xff;
		assert_int_equal(rte_ring_enqueue(A.wan_rx, m), 0);
		worker_poll(&w);
		polls++;
	} while (rte_ring_count(k_rx) != 0 && polls < 100);
	assert_int_equal(polls, WORKER_KERNEL_POLL_BUSY);
	assert_int_equal(take(A.wan_tx, out, 4), 1);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(A.w.stats->event[STATS_EV_FROM_KERNEL], 2);
}

/* A full kernel queue is the usual tx-full drop; every frame of a random
 * stream is either passed to the kernel or counted as one drop. */
static void test_wan_kernel_full_and_garbage(void **state)
{
	struct worker w = kernel_worker();
	struct rte_mbuf *pkts[10];
	uint64_t drops = 0;

	(void)state;
	for (unsigned i = 0; i < 10; i++)
		pkts[i] = wan_ipv4(IP4(198, 18, 0, 1), IPPROTO_TCP);
	worker_wan_input(&w, pkts, 10);
	assert_int_equal(rte_ring_count(k_tx), KRING - 1);
	assert_int_equal(A.w.stats->event[STATS_EV_TO_KERNEL], KRING - 1);
	assert_int_equal(A.w.stats->drop[STATS_DROP_TX_FULL], 10 - (KRING - 1));
	drain(k_tx);

	stats_clear();
	srand(11);
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t buf[120];
		uint32_t len = (uint32_t)rand() % sizeof(buf);
		struct rte_mbuf *m;

		for (uint32_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand();
		/* half of them IPv4 or ARP, to get past the first checks */
		if (len > 14 && (i & 1)) {
			buf[12] = 0x08;
			buf[13] = i & 2 ? 0x00 : 0x06;
		}
		m = test_mbuf_from(mp, buf, len);
		worker_wan_input(&w, &m, 1);
		drain(k_tx);
		drain(A.wan_tx);
		drain(A.in_tx);
	}
	for (unsigned d = 1; d < STATS_DROP_MAX; d++)
		drops += A.w.stats->drop[d];
	assert_int_equal(A.w.stats->event[STATS_EV_TO_KERNEL] + drops +
			 A.w.stats->event[STATS_EV_ARP_REPLIED] + A.w.stats->event[STATS_EV_ICMP_ECHO] +
			 A.w.stats->event[STATS_EV_NAT_KEEPALIVE], 1000);
	assert_true(A.w.stats->event[STATS_EV_TO_KERNEL] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_ipv4, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_ipv6, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_ethernet_padding, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_no_route, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_too_big, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_arp_wan, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_arp_inside, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_neighbour_resolution, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo_and_others, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_policy, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_replay_and_tamper, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_garbage, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_seq_exhausted, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_handoff, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_mixed_bursts, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_ike_paths, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_stage_cycles, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_wan_kernel_classify, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_wan_kernel_off, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_wan_kernel_from_kernel, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_wan_kernel_full_and_garbage, test_setup,
						test_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
