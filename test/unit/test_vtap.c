/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtap: segmentation of super-packets read from the TAP, coalescing of
 * segments written to it, the virtio-net headers of both, malformed input,
 * and the fd layer over a SOCK_SEQPACKET socketpair (which keeps message
 * boundaries like a TAP fd). Checksums are verified with a checksum
 * routine of this file, not DPDK's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "test_eal.h"
#include "vtap.h"

#define POOL_N 2047
#define TCP_OPT 12              /* NOP NOP timestamps, as Linux sends */
#define FRAME_BUF (VTAP_FRAME_MAX + 64)

static struct rte_mempool *mp;
static uint8_t frame[FRAME_BUF];
static uint8_t payload_ref[70000];

/* ---- an independent Internet checksum ---- */

static uint32_t sum_be16(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Pseudo-header sum (host order, unfolded) of the packet whose IP header
 * is at ip, for an L4 length of l4len. */
static uint32_t pseudo(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4len)
{
	uint32_t s = 0;

	if (!v6)
		s = sum_be16(ip + 12, 8, 0);
	else
		s = sum_be16(ip + 8, 32, 0);
	return s + proto + (l4len >> 16) + (l4len & 0xffff);
}

/* Does the L4 checksum of an IP packet verify? */
static bool l4_ok(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4len)
{
	const uint8_t *l4 = ip + (v6 ? 40 : (ip[0] & 0xf) * 4);

	return fold(sum_be16(l4, l4len, pseudo(ip, v6, proto, l4len))) == 0xffff;
}

static bool ip4_ok(const uint8_t *ip)
{
	return fold(sum_be16(ip, (ip[0] & 0xf) * 4u, 0)) == 0xffff;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

/* ---- packet builders ---- */

struct pkt_spec {
	bool v6;
	uint8_t proto;          /* IPPROTO_TCP / IPPROTO_UDP */
	uint32_t payload;
	uint32_t seq;
	uint8_t flags;          /* TCP */
	uint16_t id;            /* IPv4 */
	uint16_t sport, dport;
	uint32_t pay_off;       /* offset into payload_ref */
	uint16_t window;
};

static uint32_t l3_len(bool v6) { return v6 ? 40u : 20u; }
static uint32_t l4_hlen(uint8_t proto) { return proto == IPPROTO_TCP ? 20u + TCP_OPT : 8u; }

/*
 * Writes an Ethernet frame for s into buf; returns its length. The L4
 * checksum is either complete (csum = full) or the pseudo-header partial
 * sum a kernel leaves for NEEDS_CSUM.
 */
static uint32_t build(uint8_t *buf, const struct pkt_spec *s, bool full_csum)
{
	uint32_t l3 = RTE_ETHER_HDR_LEN, l4 = l3 + l3_len(s->v6), hl = l4_hlen(s->proto);
	uint32_t l4len = hl + s->payload;
	uint8_t *ip = buf + l3, *th = buf + l4;

	memset(buf, 0, l4 + hl);
	memcpy(buf, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (!s->v6) {
		put16(buf + 12, RTE_ETHER_TYPE_IPV4);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, s->id);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = s->proto;
		memcpy(ip + 12, "\xc6\x13\x00\x02\xc6\x13\x01\x02", 8);
		put16(ip + 10, (uint16_t)~fold(sum_be16(ip, 20, 0)));
	} else {
		put16(buf + 12, RTE_ETHER_TYPE_IPV6);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = s->proto;
		ip[7] = 64;
		memcpy(ip + 8, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
		memcpy(ip + 24, "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x02", 16);
	}
	put16(th, s->sport);
	put16(th + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		put32(th + 4, s->seq);
		put32(th + 8, 0x11223344);
		th[12] = (uint8_t)(((20 + TCP_OPT) / 4) << 4);
		th[13] = s->flags;
		put16(th + 14, s->window ? s->window : 501);
		memcpy(th + 20, "\x01\x01\x08\x0a\x00\x00\x10\x00\x00\x00\x20\x00", TCP_OPT);
	} else {
		put16(th + 4, (uint16_t)l4len);
	}
	memcpy(buf + l4 + hl, payload_ref + s->pay_off, s->payload);
	uint32_t ps = pseudo(ip, s->v6, s->proto, l4len);
	uint8_t *ck = th + (s->proto == IPPROTO_TCP ? 16 : 6);
	if (full_csum) {
		uint16_t c = (uint16_t)~fold(sum_be16(th, l4len, ps));
		put16(ck, c == 0 ? 0xffff : c);
	} else {
		put16(ck, fold(ps));
	}
	return l4 + l4len;
}

static struct virtio_net_hdr gso_hdr(const struct pkt_spec *s, uint16_t gso_size)
{
	struct virtio_net_hdr vh = { 0 };
	uint32_t l4 = RTE_ETHER_HDR_LEN + l3_len(s->v6);

	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (s->proto == IPPROTO_UDP)
		vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	else
		vh.gso_type = s->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = gso_size;
	vh.hdr_len = (uint16_t)(l4 + l4_hlen(s->proto));
	vh.csum_start = (uint16_t)l4;
	vh.csum_offset = s->proto == IPPROTO_TCP ? 16 : 6;
	return vh;
}

static void setup_payload(void)
{
	for (size_t i = 0; i < sizeof(payload_ref); i++)
		payload_ref[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
}

static int group_setup(void **state)
{
	(void)state;
	setup_payload();
	mp = test_mempool(POOL_N);
	return mp == NULL ? -1 : 0;
}

/* ---- segmentation ---- */

/*
 * Segments the super-packet of s with gso_size and checks every segment
 * against s: lengths, ids, sequence numbers, flags, checksums, payload.
 */
static void check_segmentation(const struct pkt_spec *s, uint16_t gso, bool needs_csum)
{
	struct rte_mbuf *out[VTAP_PEND_MAX];
	struct vtap_stats st = { 0 };
	struct virtio_net_hdr vh = gso_hdr(s, gso);
	unsigned base = rte_mempool_in_use_count(mp);
	uint32_t len = build(frame, s, !needs_csum), expect, got_payload = 0;
	uint32_t l3 = RTE_ETHER_HDR_LEN, l4 = l3 + l3_len(s->v6), hdr = l4 + l4_hlen(s->proto);
	unsigned n;

	if (!needs_csum)
		vh.flags = 0;
	expect = s->payload == 0 ? 1 : (s->payload + gso - 1) / gso;
	n = vtap_segment(&vh, frame, len, mp, out, VTAP_PEND_MAX, &st);
	assert_int_equal(n, expect);
	assert_int_equal(st.rx_gso, 1);
	assert_int_equal(st.rx_segs, n);
	assert_int_equal(st.rx_bad + st.rx_nombuf + st.rx_toobig, 0);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(out[i], const uint8_t *);
		const uint8_t *ip = d + l3, *th = d + l4;
		uint32_t chunk = i + 1 < n ? gso : s->payload - i * gso;

		assert_int_equal(out[i]->nb_segs, 1);
		assert_true(rte_pktmbuf_headroom(out[i]) >= RTE_PKTMBUF_HEADROOM);
		assert_int_equal(out[i]->pkt_len, hdr + chunk);
		assert_int_equal(out[i]->data_len, hdr + chunk);
		assert_memory_equal(d, frame, 14); /* Ethernet header kept */
		if (!s->v6) {
			assert_int_equal(get16(ip + 2), hdr - l3 + chunk);
			assert_int_equal(get16(ip + 4), (uint16_t)(s->id + i));
			assert_true(ip4_ok(ip));
		} else {
			assert_int_equal(get16(ip + 4), hdr - l4 + chunk);
		}
		assert_true(l4_ok(ip, s->v6, s->proto, hdr - l4 + chunk));
		if (s->proto == IPPROTO_TCP) {
			uint8_t f = s->flags;

			assert_int_equal(get32(th + 4), s->seq + i * gso);
			if (i != 0)
				f &= (uint8_t)~RTE_TCP_CWR_FLAG;
			if (i + 1 != n)
				f &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
			assert_int_equal(th[13], f);
			assert_memory_equal(th + 20, frame + l4 + 20, TCP_OPT);
		} else {
			assert_int_equal(get16(th + 4), 8 + chunk);
		}
		assert_memory_equal(d + hdr, payload_ref + s->pay_off + got_payload, chunk);
		got_payload += chunk;
	}
	assert_int_equal(got_payload, s->payload);
	rte_pktmbuf_free_bulk(out, n);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_seg_tcp4(void **state)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .payload = 10000, .seq = 0xfffff000,
			      .flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG |
				       RTE_TCP_CWR_FLAG, .id = 0xfffe, .sport = 40000, .dport = 5201 };

	(void)state;
	check_segmentation(&s, 1386, true);    /* 8 segments, seq wraps, id wraps */
	check_segmentation(&s, 1386, false);
	s.payload = 65535 - 20 - 20 - TCP_OPT; /* the largest, odd length */
	check_segmentation(&s, 1386, true);
	s.payload = 1386 * 5;                  /* exact multiple */
	check_segmentation(&s, 1386, true);
	s.payload = 1000;                      /* one segment */
	check_segmentation(&s, 1386, true);
	s.payload = 1;
	check_segmentation(&s, 1386, true);
	s.payload = 7777;
	check_segmentation(&s, 536, true);     /* a small MSS */
}

static void test_seg_tcp6(void **state)
{
	struct pkt_spec s = { .v6 = true, .proto = IPPROTO_TCP, .payload = 64987, .seq = 12345,
			      .flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, .sport = 1, .dport = 2,
			      .pay_off = 3 };

	(void)state;
	check_segmentation(&s, 1366, true);
	check_segmentation(&s, 1366, false);
	s.payload = 2733;
	s.flags = RTE_TCP_ACK_FLAG | RTE_TCP_CWR_FLAG | RTE_TCP_FIN_FLAG;
	check_segmentation(&s, 1366, true);
}

static void test_seg_udp(void **state)
{
	struct pkt_spec s = { .proto = IPPROTO_UDP, .payload = 5001, .id = 7, .sport = 9,
			      .dport = 4789 };

	(void)state;
	check_segmentation(&s, 1410, true);
	check_segmentation(&s, 1410, false);
	s.v6 = true;
	s.payload = 60001;
	check_segmentation(&s, 1390, true);
	s.payload = 1390;
	check_segmentation(&s, 1390, true);
}

static void test_seg_plain(void **state)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .payload = 1001, .seq = 5,
			      .flags = RTE_TCP_ACK_FLAG, .sport = 3, .dport = 4 };
	struct virtio_net_hdr vh = { 0 };
	struct vtap_stats st = { 0 };
	struct rte_mbuf *m;
	unsigned base = rte_mempool_in_use_count(mp);
	uint32_t len;

	(void)state;
	/* no header flags: copied byte for byte (an ARP-sized frame too) */
	len = build(frame, &s, true);
	assert_int_equal(vtap_segment(&vh, frame, len, mp, &m, 1, &st), 1);
	assert_int_equal(m->pkt_len, len);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), frame, len);
	rte_pktmbuf_free(m);
	assert_int_equal(vtap_segment(&vh, frame, 42, mp, &m, 1, &st), 1);
	assert_int_equal(m->pkt_len, 42);
	rte_pktmbuf_free(m);
	/* NEEDS_CSUM: the partial sum becomes the full checksum */
	for (int v6 = 0; v6 < 2; v6++) {
		for (int udp = 0; udp < 2; udp++) {
			s.v6 = v6;
			s.proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
			len = build(frame, &s, false);
			vh = gso_hdr(&s, 0);
			vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
			vh.gso_size = 0;
			assert_int_equal(vtap_segment(&vh, frame, len, mp, &m, 1, &st), 1);
			const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
			assert_true(l4_ok(ip, v6, s.proto, len - vh.csum_start));
			rte_pktmbuf_free(m);
		}
	}
	assert_int_equal(st.rx_csum, 4);
	assert_int_equal(st.rx_gso, 0);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/* Each malformed frame is a counted drop that allocates nothing. */
static void test_seg_malformed(void **state)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .payload = 5000, .seq = 1,
			      .flags = RTE_TCP_ACK_FLAG, .sport = 3, .dport = 4 };
	struct pkt_spec s6 = s;
	struct rte_mbuf *out[VTAP_PEND_MAX];
	struct vtap_stats st = { 0 };
	struct virtio_net_hdr vh, good, good6;
	unsigned base = rte_mempool_in_use_count(mp);
	uint32_t len, len6;
	static uint8_t frame6[FRAME_BUF];

	(void)state;
	s6.v6 = true;
	len6 = build(frame6, &s6, false);
	len = build(frame, &s, false);
	good = gso_hdr(&s, 1400);
	good6 = gso_hdr(&s6, 1400);

#define DROP(h, f, l, max, counter) do { \
		uint64_t before = st.counter; \
		assert_int_equal(vtap_segment(&(h), (f), (l), mp, out, (max), &st), 0); \
		assert_int_equal(st.counter, before + 1); \
		assert_int_equal(rte_mempool_in_use_count(mp), base); \
	} while (0)

	vh = good; vh.hdr_len = (uint16_t)(len + 1);           DROP(vh, frame, len, VTAP_PEND_MAX, rx_bad);
	vh = good; vh.gso_size = 0;                            DROP(vh, frame, len, VTAP_PEND_MAX, rx_bad);
	vh = good; vh.csum_start = 20;                         DROP(vh, frame, len, VTAP_PEND_MAX, rx_bad);
	vh = good; vh.csum_offset = 6;                         DROP(vh, frame, len, VTAP_PEND_MAX, rx_bad);
	vh = good; vh.gso_type = 3; /* UFO */                  DROP(vh, frame, len, VTAP_PEND_MAX, rx_bad);
	vh = good; vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;     DROP(vh, frame, len, VTAP_PEND_MAX, rx_bad);
	vh = good; vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;    DROP(vh, frame, len, VTAP_PEND_MAX, rx_bad);
	vh = good; vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;     DROP(vh, frame6, len6, VTAP_PEND_MAX, rx_bad);
	vh = good; vh.hdr_len = 0;                             DROP(vh, frame, 30, VTAP_PEND_MAX, rx_bad);
	vh = good;                                             DROP(vh, frame, 14 + 20 + 10, VTAP_PEND_MAX, rx_bad);
	vh = good;                                             DROP(vh, frame, 0, VTAP_PEND_MAX, rx_bad);
	vh = good;                                             DROP(vh, frame, len, 0, rx_bad);
	/* IP total length beyond the frame (truncated read) */
	vh = good;                                             DROP(vh, frame, len - 1, VTAP_PEND_MAX, rx_bad);
	/* TCP data offset beyond the frame */
	frame[14 + 20 + 12] = 0xf0;
	vh = good; vh.hdr_len = 0;                             DROP(vh, frame, 14 + 20 + 40, VTAP_PEND_MAX, rx_bad);
	frame[14 + 20 + 12] = 0x40;                            /* < 20 bytes */
	DROP(vh, frame, len, VTAP_PEND_MAX, rx_bad);
	len = build(frame, &s, false);
	/* an IPv4 fragment; a bad IHL; not IP at all */
	frame[14 + 6] = 0x20;                                  DROP(good, frame, len, VTAP_PEND_MAX, rx_bad);
	frame[14 + 6] = 0x40; frame[14] = 0x44;                DROP(good, frame, len, VTAP_PEND_MAX, rx_bad);
	frame[14] = 0x45; frame[12] = 0x88;                    DROP(good, frame, len, VTAP_PEND_MAX, rx_bad);
	len = build(frame, &s, false);
	/* IPv6 extension header */
	assert_int_equal(vtap_segment(&good6, frame6, len6, mp, out, VTAP_PEND_MAX, &st), 4);
	rte_pktmbuf_free_bulk(out, 4);
	st.rx_gso = st.rx_segs = 0;
	frame6[14 + 6] = 0;                                    DROP(good6, frame6, len6, VTAP_PEND_MAX, rx_bad);
	len6 = build(frame6, &s6, false);
	/* more segments than room; a segment larger than an mbuf */
	DROP(good, frame, len, 3, rx_toobig);
	vh = good; vh.gso_size = 4000;                         DROP(vh, frame, len, VTAP_PEND_MAX, rx_toobig);
	/* plain frames: too short for Ethernet, csum field beyond the end,
	 * csum_start inside the Ethernet header, larger than an mbuf */
	memset(&vh, 0, sizeof(vh));                            DROP(vh, frame, 13, 1, rx_bad);
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 34; vh.csum_offset = 16;               DROP(vh, frame, 51, 1, rx_bad);
	vh.csum_start = 4; vh.csum_offset = 0;                 DROP(vh, frame, 100, 1, rx_bad);
	vh.csum_start = 0xffff; vh.csum_offset = 0xffff;       DROP(vh, frame, 100, 1, rx_bad);
	memset(&vh, 0, sizeof(vh));                            DROP(vh, frame, 3000, 1, rx_toobig);
#undef DROP
	assert_int_equal(st.rx_gso + st.rx_segs, 0);
	/* the intact frames still segment after all this */
	assert_int_equal(vtap_segment(&good, frame, len, mp, out, VTAP_PEND_MAX, &st), 4);
	rte_pktmbuf_free_bulk(out, 4);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/* No mbufs left: the frame is dropped whole and counted. */
static void test_seg_nombuf(void **state)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .payload = 60000, .seq = 1,
			      .flags = RTE_TCP_ACK_FLAG, .sport = 3, .dport = 4 };
	struct virtio_net_hdr vh = gso_hdr(&s, 1000);
	struct rte_mbuf *hold[POOL_N], *out[VTAP_PEND_MAX];
	struct vtap_stats st = { 0 };
	unsigned base = rte_mempool_in_use_count(mp), avail = rte_mempool_avail_count(mp);
	uint32_t len = build(frame, &s, false);

	(void)state;
	/* leave 10 mbufs: 60 segments cannot be made */
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, hold, avail - 10), 0);
	assert_int_equal(vtap_segment(&vh, frame, len, mp, out, VTAP_PEND_MAX, &st), 0);
	assert_int_equal(st.rx_nombuf, 1);
	rte_pktmbuf_free_bulk(hold, avail - 10);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/* ---- coalescing ---- */

static struct vtap_queue *test_queue(int fd)
{
	struct vtap_queue *q = vtap_queue_create(fd, 0, mp);

	assert_non_null(q);
	return q;
}

/* An mbuf holding the segment s (full checksums). */
static struct rte_mbuf *seg_mbuf(const struct pkt_spec *s)
{
	uint8_t buf[2048];
	uint32_t len = build(buf, s, true);
	struct rte_mbuf *m = test_mbuf_from(mp, buf, len);

	assert_non_null(m);
	return m;
}

/* The bytes a frame puts on the wire (after the virtio-net header). */
static uint32_t frame_bytes(struct vtap_frame *f, uint8_t *out, struct virtio_net_hdr *vh)
{
	struct iovec iov[VTAP_GRO_SEGS + 2];
	unsigned n = vtap_frame_iov(f, iov, RTE_DIM(iov));
	uint32_t len = 0;

	assert_true(n >= 2);
	assert_int_equal(iov[0].iov_len, sizeof(*vh));
	memcpy(vh, iov[0].iov_base, sizeof(*vh));
	for (unsigned i = 1; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += (uint32_t)iov[i].iov_len;
	}
	return len;
}

/* n in-order segments of one flow, mss each, the last `last` long. */
static unsigned make_flow(struct rte_mbuf **pkts, bool v6, unsigned n, uint32_t mss,
			  uint32_t last, uint8_t last_flags)
{
	struct pkt_spec s = { .v6 = v6, .proto = IPPROTO_TCP, .seq = 1000, .id = 100,
			      .sport = 40000, .dport = 5201, .flags = RTE_TCP_ACK_FLAG };

	for (unsigned i = 0; i < n; i++) {
		s.payload = i + 1 == n ? last : mss;
		if (i + 1 == n)
			s.flags = last_flags;
		pkts[i] = seg_mbuf(&s);
		s.seq += s.payload;
		s.pay_off += s.payload;
		s.id++;
	}
	return n;
}

/* Merges a flow, checks the super-packet's header and bytes, then
 * segments it again: the result must be the original segments. */
static void check_merge(bool v6)
{
	struct rte_mbuf *pkts[8], *order[8], *again[VTAP_PEND_MAX];
	struct vtap_frame frames[8];
	struct vtap_queue *q = test_queue(-1);
	struct virtio_net_hdr vh;
	static uint8_t orig[8][2048], out[FRAME_BUF];
	uint32_t olen[8], len, mss = v6 ? 1368 : 1388, total = 0;
	uint32_t l4 = 14 + l3_len(v6), hdr = l4 + 20 + TCP_OPT;
	unsigned base = rte_mempool_in_use_count(mp), n, nf;
	struct vtap_stats st = { 0 };

	n = make_flow(pkts, v6, 6, mss, 777, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
	for (unsigned i = 0; i < n; i++) {
		olen[i] = pkts[i]->pkt_len;
		memcpy(orig[i], rte_pktmbuf_mtod(pkts[i], void *), olen[i]);
		total += olen[i] - hdr;
	}
	nf = vtap_coalesce(q, pkts, (uint16_t)n, frames, order);
	assert_int_equal(nf, 1);
	assert_int_equal(frames[0].n_pkts, n);
	len = frame_bytes(&frames[0], out, &vh);
	assert_int_equal(len, hdr + total);
	assert_int_equal(vh.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_size, mss);
	assert_int_equal(vh.hdr_len, hdr);
	assert_int_equal(vh.csum_start, l4);
	assert_int_equal(vh.csum_offset, 16);
	if (!v6) {
		assert_int_equal(get16(out + 14 + 2), len - 14);
		assert_true(ip4_ok(out + 14));
	} else {
		assert_int_equal(get16(out + 14 + 4), len - l4);
	}
	/* the TCP checksum field holds the pseudo-header sum */
	assert_int_equal(get16(out + l4 + 16), fold(pseudo(out + 14, v6, IPPROTO_TCP, len - l4)));
	assert_int_equal(out[l4 + 13], RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
	assert_int_equal(get32(out + l4 + 4), 1000);
	assert_memory_equal(out + hdr, payload_ref, total);
	/* what the kernel would re-segment is what was sent */
	assert_int_equal(vtap_segment(&vh, out, len, mp, again, VTAP_PEND_MAX, &st), n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(again[i]->pkt_len, olen[i]);
		assert_memory_equal(rte_pktmbuf_mtod(again[i], void *), orig[i], olen[i]);
	}
	rte_pktmbuf_free_bulk(again, n);
	rte_pktmbuf_free_bulk(order, n);
	vtap_queue_free(q);
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

static void test_coalesce_merge(void **state)
{
	(void)state;
	check_merge(false);
	check_merge(true);
}

/* Runs vtap_coalesce on pkts and checks the frame sizes (0 = the frame
 * has a zero header, n > 1 = a GSO frame of n packets). */
static void expect_frames(struct rte_mbuf **pkts, uint16_t n, const unsigned *sizes, unsigned nf)
{
	struct rte_mbuf *order[128];
	struct vtap_frame frames[128];
	struct vtap_queue *q = test_queue(-1);
	unsigned got = vtap_coalesce(q, pkts, n, frames, order), total = 0;

	assert_int_equal(got, nf);
	for (unsigned i = 0; i < nf; i++) {
		assert_int_equal(frames[i].n_pkts, sizes[i]);
		if (sizes[i] == 1) {
			assert_int_equal(frames[i].hdr.gso_type, VIRTIO_NET_HDR_GSO_NONE);
			assert_int_equal(frames[i].hdr.flags, 0);
		} else {
			assert_int_not_equal(frames[i].hdr.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		}
		total += frames[i].n_pkts;
	}
	assert_int_equal(total, n);
	rte_pktmbuf_free_bulk(order, n);
	vtap_queue_free(q);
}

static void test_coalesce_rules(void **state)
{
	struct rte_mbuf *p[16], *a[8], *b[8];
	unsigned base = rte_mempool_in_use_count(mp);
	struct pkt_spec s = { .proto = IPPROTO_TCP, .seq = 1000, .id = 100, .sport = 40000,
			      .dport = 5201, .flags = RTE_TCP_ACK_FLAG, .payload = 1000 };

	(void)state;
	/* two flows interleaved: two super-packets, in first-seen order */
	make_flow(a, false, 3, 1000, 1000, RTE_TCP_ACK_FLAG);
	s.sport = 40001;
	for (unsigned i = 0; i < 3; i++) {
		s.seq = 1000 + i * 1000;
		s.id = (uint16_t)(100 + i);
		b[i] = seg_mbuf(&s);
	}
	p[0] = a[0]; p[1] = b[0]; p[2] = a[1]; p[3] = b[1]; p[4] = a[2]; p[5] = b[2];
	expect_frames(p, 6, (const unsigned[]){ 3, 3 }, 2);
	{
		struct rte_mbuf *order[8];
		struct vtap_frame fr[8];
		struct vtap_queue *q = test_queue(-1);

		make_flow(a, false, 2, 1000, 1000, RTE_TCP_ACK_FLAG);
		make_flow(b, true, 2, 1000, 1000, RTE_TCP_ACK_FLAG);
		p[0] = a[0]; p[1] = b[0]; p[2] = b[1]; p[3] = a[1];
		assert_int_equal(vtap_coalesce(q, p, 4, fr, order), 2);
		assert_ptr_equal(fr[0].pkts[0], a[0]);
		assert_ptr_equal(fr[1].pkts[0], b[0]);
		assert_int_equal(fr[1].hdr.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
		rte_pktmbuf_free_bulk(order, 4);
		vtap_queue_free(q);
	}
	/* out of order: nothing merges */
	make_flow(a, false, 3, 1000, 1000, RTE_TCP_ACK_FLAG);
	p[0] = a[0]; p[1] = a[2]; p[2] = a[1];
	expect_frames(p, 3, (const unsigned[]){ 1, 1, 1 }, 3);
	/* a duplicate */
	make_flow(a, false, 2, 1000, 1000, RTE_TCP_ACK_FLAG);
	p[0] = a[0]; p[1] = a[1]; p[2] = rte_pktmbuf_copy(a[1], mp, 0, UINT32_MAX);
	expect_frames(p, 3, (const unsigned[]){ 2, 1 }, 2);
	/* PSH ends a super-packet; so does a short segment */
	make_flow(a, false, 2, 1000, 1000, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG);
	s.sport = 40000; s.seq = 3000; s.id = 102; s.pay_off = 2000;
	p[0] = a[0]; p[1] = a[1]; p[2] = seg_mbuf(&s);
	expect_frames(p, 3, (const unsigned[]){ 2, 1 }, 2);
	make_flow(a, false, 3, 1000, 500, RTE_TCP_ACK_FLAG);
	s.seq = 3500; s.id = 103; s.pay_off = 2500;
	p[0] = a[0]; p[1] = a[1]; p[2] = a[2]; p[3] = seg_mbuf(&s);
	expect_frames(p, 4, (const unsigned[]){ 3, 1 }, 2);
	/* a larger segment after a smaller one does not merge */
	make_flow(a, false, 2, 500, 1000, RTE_TCP_ACK_FLAG);
	expect_frames(a, 2, (const unsigned[]){ 1, 1 }, 2);
	/* different flags (FIN, SYN, URG, CWR), ack, window, options, TTL, bad checksum */
	for (unsigned v = 0; v < 10; v++) {
		uint8_t buf[2048];
		uint32_t len;

		make_flow(a, false, 2, 1000, 1000, RTE_TCP_ACK_FLAG);
		s.seq = 2000; s.id = 101; s.pay_off = 1000; s.payload = 1000;
		s.flags = RTE_TCP_ACK_FLAG;
		s.flags |= v == 0 ? RTE_TCP_FIN_FLAG : v == 1 ? RTE_TCP_SYN_FLAG :
			   v == 2 ? RTE_TCP_URG_FLAG : v == 3 ? RTE_TCP_CWR_FLAG : 0;
		s.window = v == 4 ? 502 : 0;
		len = build(buf, &s, true);
		if (v == 5) { put32(buf + 34 + 8, 0x11223345); }        /* ack */
		if (v == 6) { buf[34 + 29] ^= 1; }                       /* timestamp */
		if (v == 7) { buf[14 + 8] = 63; put16(buf + 24, 0);      /* TTL */
			      put16(buf + 24, (uint16_t)~fold(sum_be16(buf + 14, 20, 0))); }
		if (v == 8) { buf[len - 1] ^= 0x55; }                    /* checksum */
		if (v == 9) { put16(buf + 14 + 6, 0); put16(buf + 24, 0); /* no DF, id jumps */
			      put16(buf + 14 + 4, 300);
			      put16(buf + 24, (uint16_t)~fold(sum_be16(buf + 14, 20, 0))); }
		if (v >= 5 && v <= 7) { /* fix the TCP checksum again */
			put16(buf + 34 + 16, 0);
			uint16_t c = (uint16_t)~fold(sum_be16(buf + 34, len - 34,
							       pseudo(buf + 14, false, 6, len - 34)));
			put16(buf + 34 + 16, c);
		}
		if (v == 9) { /* the first one without DF too, so only the id differs */
			uint8_t *f = rte_pktmbuf_mtod(a[0], uint8_t *);
			put16(f + 14 + 6, 0); put16(f + 24, 0);
			put16(f + 24, (uint16_t)~fold(sum_be16(f + 14, 20, 0)));
		}
		/* only the checksum case has a bad checksum */
		assert_true(l4_ok(buf + 14, false, IPPROTO_TCP, len - 34) == (v != 8));
		rte_pktmbuf_free(a[1]);
		a[1] = test_mbuf_from(mp, buf, len);
		assert_non_null(a[1]);
		expect_frames(a, 2, (const unsigned[]){ 1, 1 }, 2);
	}
	/* no DF and consecutive ids do merge */
	make_flow(a, false, 2, 1000, 1000, RTE_TCP_ACK_FLAG);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *f = rte_pktmbuf_mtod(a[i], uint8_t *);
		put16(f + 14 + 6, 0); put16(f + 24, 0);
		put16(f + 24, (uint16_t)~fold(sum_be16(f + 14, 20, 0)));
	}
	expect_frames(a, 2, (const unsigned[]){ 2 }, 1);
	/* a pure ACK or a non-TCP packet in between */
	make_flow(a, false, 2, 1000, 1000, RTE_TCP_ACK_FLAG);
	s.seq = 2000; s.payload = 0; s.flags = RTE_TCP_ACK_FLAG;
	p[0] = a[0]; p[1] = seg_mbuf(&s); p[2] = a[1];
	expect_frames(p, 3, (const unsigned[]){ 1, 1, 1 }, 3);
	make_flow(a, false, 2, 1000, 1000, RTE_TCP_ACK_FLAG);
	s.proto = IPPROTO_UDP; s.payload = 100;
	p[0] = a[0]; p[1] = seg_mbuf(&s); p[2] = a[1];
	p[3] = test_mbuf_from(mp, frame, 42); /* ARP-sized junk */
	expect_frames(p, 4, (const unsigned[]){ 2, 1, 1 }, 3);
	/* more flows than slots: all still written, each flow in order */
	s.proto = IPPROTO_TCP; s.payload = 100; s.flags = RTE_TCP_ACK_FLAG;
	for (unsigned i = 0; i < 12; i++) {
		s.sport = (uint16_t)(1000 + i); s.seq = 1; s.id = 1;
		p[i] = seg_mbuf(&s);
	}
	expect_frames(p, 12, (const unsigned[]){ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 12);
	/* VTAP_GRO_SEGS caps a super-packet */
	{
		struct rte_mbuf *many[VTAP_GRO_SEGS + 2];
		unsigned sizes[2] = { VTAP_GRO_SEGS, 2 };
		s.sport = 7; s.payload = 100;
		for (unsigned i = 0; i < VTAP_GRO_SEGS + 2; i++) {
			s.seq = 1 + i * 100; s.id = (uint16_t)i;
			many[i] = seg_mbuf(&s);
		}
		expect_frames(many, VTAP_GRO_SEGS + 2, sizes, 2);
	}
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

/* ---- the fd layer over a socketpair ---- */

static void test_io(void **state)
{
	int sv[2];
	struct vtap_queue *q;
	struct rte_mbuf *pkts[64], *a[8];
	struct pkt_spec s = { .proto = IPPROTO_TCP, .payload = 20000, .seq = 9, .id = 1,
			      .flags = RTE_TCP_ACK_FLAG, .sport = 5, .dport = 6 };
	struct virtio_net_hdr vh = gso_hdr(&s, 1000);
	static uint8_t msg[VTAP_HDR_LEN + FRAME_BUF];
	unsigned base = rte_mempool_in_use_count(mp), got = 0;
	uint32_t len;
	uint64_t bytes = 0;
	int sz = 4 << 20;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	q = test_queue(sv[0]);
	q->rx_holdoff = rte_get_tsc_hz(); /* a second */
	assert_int_equal(vtap_rx_burst(q, pkts, 32), 0); /* nothing yet: EAGAIN */
	memset(msg, 0, 26); /* zero header, 16-byte frame */
	assert_int_equal(write(sv[1], msg, 26), 26);
	/* held off: the frame waits (no read) */
	assert_int_equal(vtap_rx_burst(q, pkts, 32), 0);
	assert_int_equal(q->stats.rx_frames, 0);
	q->rx_holdoff = 0;
	q->rx_next = 0;
	assert_int_equal(vtap_rx_burst(q, pkts, 32), 1);
	rte_pktmbuf_free(pkts[0]);
	q->stats.rx_frames = 0;
	/* a super-packet of 20 segments, a truncated message, a plain frame */
	len = build(msg + VTAP_HDR_LEN, &s, false);
	memcpy(msg, &vh, sizeof(vh));
	assert_int_equal(write(sv[1], msg, VTAP_HDR_LEN + len), VTAP_HDR_LEN + len);
	assert_int_equal(write(sv[1], msg, 5), 5);
	memset(msg, 0, VTAP_HDR_LEN);
	assert_int_equal(write(sv[1], msg, VTAP_HDR_LEN + 60), VTAP_HDR_LEN + 60);
	/* bursts of 8: the leftover segments come first in the next call */
	for (int i = 0; i < 10 && got < 21; i++) {
		uint16_t n = vtap_rx_burst(q, pkts + got, 8);
		got += n;
	}
	assert_int_equal(got, 21);
	for (unsigned i = 0; i < 20; i++)
		assert_int_equal(get32(rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, 34 + 4)),
				 9 + i * 1000);
	assert_int_equal(pkts[20]->pkt_len, 60);
	assert_int_equal(q->stats.rx_frames, 3);
	assert_int_equal(q->stats.rx_gso, 1);
	assert_int_equal(q->stats.rx_bad, 1);
	rte_pktmbuf_free_bulk(pkts, got);
	/* leftovers are freed with the queue */
	memcpy(msg, &vh, sizeof(vh));
	len = build(msg + VTAP_HDR_LEN, &s, false);
	assert_int_equal(write(sv[1], msg, VTAP_HDR_LEN + len), VTAP_HDR_LEN + len);
	assert_int_equal(vtap_rx_burst(q, pkts, 4), 4);
	rte_pktmbuf_free_bulk(pkts, 4);

	/* TX: a merged flow and a lone packet = two messages */
	make_flow(a, false, 4, 1000, 1000, RTE_TCP_ACK_FLAG);
	a[4] = test_mbuf_from(mp, frame, 60);
	uint64_t want = 0;
	for (unsigned i = 0; i < 5; i++)
		want += a[i]->pkt_len;
	assert_int_equal(vtap_tx_burst(q, a, 5, &bytes), 5);
	assert_int_equal(bytes, want);
	ssize_t r = read(sv[1], msg, sizeof(msg));
	assert_int_equal(r, VTAP_HDR_LEN + 14 + 20 + 32 + 4000);
	memcpy(&vh, msg, sizeof(vh));
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, 1000);
	assert_memory_equal(msg + VTAP_HDR_LEN + 66, payload_ref, 4000);
	r = read(sv[1], msg, sizeof(msg));
	assert_int_equal(r, VTAP_HDR_LEN + 60);
	memcpy(&vh, msg, sizeof(vh));
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(q->stats.tx_frames, 2);
	assert_int_equal(q->stats.tx_gso, 1);
	assert_int_equal(q->stats.tx_merged, 4);
	assert_int_equal(q->stats.tx_pkts, 5);

	/* the host end gone: every packet is a counted loss, none leaks */
	close(sv[1]);
	make_flow(a, false, 3, 1000, 1000, RTE_TCP_ACK_FLAG);
	a[3] = test_mbuf_from(mp, frame, 60);
	bytes = 0;
	assert_int_equal(vtap_tx_burst(q, a, 4, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(q->stats.tx_errors, 4);
	vtap_queue_free(q); /* closes sv[0], frees the 16 pending segments */
	assert_int_equal(rte_mempool_in_use_count(mp), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seg_tcp4),
		cmocka_unit_test(test_seg_tcp6),
		cmocka_unit_test(test_seg_udp),
		cmocka_unit_test(test_seg_plain),
		cmocka_unit_test(test_seg_malformed),
		cmocka_unit_test(test_seg_nombuf),
		cmocka_unit_test(test_coalesce_merge),
		cmocka_unit_test(test_coalesce_rules),
		cmocka_unit_test(test_io),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
