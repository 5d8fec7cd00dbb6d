/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtap RX: host -> pmdvpn. One read() returns one frame with its
 * virtio-net header; a super-packet (GSO TCPV4/TCPV6/UDP_L4) is cut into
 * gso_size chunks, each copied behind a copy of the headers into an
 * ordinary mbuf (single segment, the pool's headroom in front: ESP
 * encrypts in place and prepends its outer headers there).
 *
 * The kernel's hdr_len is only a hint (Linux fills it with the linear
 * part of the skb), so the header length is taken from the packet itself.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vtap.h"

/* Where the headers are and what the super-packet is. */
struct gso_hdrs {
	uint32_t l3, l4, hdr;   /* offsets: IP header, L4 header, payload */
	uint32_t len;           /* frame length without link padding */
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	bool v6;
};

static inline uint32_t room(const struct rte_mempool *mp)
{
	return (uint32_t)rte_pktmbuf_data_room_size((struct rte_mempool *)(uintptr_t)mp) -
	       RTE_PKTMBUF_HEADROOM;
}

/* Parses Ethernet / IPv4|IPv6 / TCP|UDP of a super-packet. 0 or -1. */
static int parse_gso(const struct virtio_net_hdr *vh, const uint8_t *f, uint32_t len,
		     struct gso_hdrs *h)
{
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint16_t type;

	if (len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))
		return -1;
	memcpy(&type, f + 12, 2);
	h->l3 = RTE_ETHER_HDR_LEN;
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + h->l3);
		uint32_t ihl = (ip->version_ihl & 0x0f) * 4u, tot;

		if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || h->l3 + ihl > len)
			return -1;
		tot = rte_be_to_cpu_16(ip->total_length);
		if (tot < ihl || h->l3 + tot > len)
			return -1;
		/* a fragment cannot be segmented */
		if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			return -1;
		h->v6 = false;
		h->proto = ip->next_proto_id;
		h->l4 = h->l3 + ihl;
		h->len = h->l3 + tot;
		if (gso == VIRTIO_NET_HDR_GSO_TCPV6)
			return -1;
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(f + h->l3);
		uint32_t plen;

		if (len < h->l3 + sizeof(*ip6) || (f[h->l3] >> 4) != 6)
			return -1;
		plen = rte_be_to_cpu_16(ip6->payload_len);
		if (h->l3 + sizeof(*ip6) + plen > len)
			return -1;
		/* extension headers: not produced by TSO/USO of a local socket */
		h->v6 = true;
		h->proto = ip6->proto;
		h->l4 = h->l3 + (uint32_t)sizeof(*ip6);
		h->len = h->l4 + plen;
		if (gso == VIRTIO_NET_HDR_GSO_TCPV4)
			return -1;
	} else {
		return -1;
	}
	if (gso == VIRTIO_NET_HDR_GSO_UDP_L4) {
		if (h->proto != IPPROTO_UDP || h->l4 + sizeof(struct rte_udp_hdr) > h->len)
			return -1;
		h->hdr = h->l4 + (uint32_t)sizeof(struct rte_udp_hdr);
	} else if (gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6) {
		uint32_t doff;

		if (h->proto != IPPROTO_TCP || h->l4 + sizeof(struct rte_tcp_hdr) > h->len)
			return -1;
		doff = (f[h->l4 + 12] >> 4) * 4u;
		if (doff < sizeof(struct rte_tcp_hdr) || h->l4 + doff > h->len)
			return -1;
		h->hdr = h->l4 + doff;
	} else {
		return -1; /* UFO and unknown types were not negotiated */
	}
	/* A partial checksum must be the L4 one. */
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (vh->csum_start != h->l4 ||
	     vh->csum_offset != (h->proto == IPPROTO_TCP ? offsetof(struct rte_tcp_hdr, cksum)
							 : offsetof(struct rte_udp_hdr, dgram_cksum))))
		return -1;
	return 0;
}

/* Fixes the headers of segment i of n (payload `chunk` bytes at offset
 * `off` of the super-packet's payload) and computes its checksums. */
static void fix_segment(uint8_t *d, const struct gso_hdrs *h, uint32_t i, uint32_t n,
			uint32_t off, uint32_t chunk)
{
	uint32_t l4len = h->hdr - h->l4 + chunk;
	void *l4 = d + h->l4;
	uint16_t ck;

	if (!h->v6) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + h->l3);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(h->l4 - h->l3 + l4len));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->packet_id) + i));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + h->l3);

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4len);
	}
	if (h->proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = l4;

		th->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + off);
		if (i != 0)
			th->tcp_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
		if (i + 1 != n)
			th->tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		th->cksum = 0;
	} else {
		struct rte_udp_hdr *uh = l4;

		uh->dgram_len = rte_cpu_to_be_16((uint16_t)l4len);
		uh->dgram_cksum = 0;
	}
	/* both return 0xffff for a zero sum, as UDP needs */
	if (!h->v6)
		ck = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)(d + h->l3), l4);
	else
		ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(d + h->l3), l4);
	if (h->proto == IPPROTO_TCP)
		((struct rte_tcp_hdr *)l4)->cksum = ck;
	else
		((struct rte_udp_hdr *)l4)->dgram_cksum = ck;
}

static unsigned segment_gso(const struct virtio_net_hdr *vh, const uint8_t *f, uint32_t len,
			    struct rte_mempool *mp, struct rte_mbuf **out, unsigned max,
			    struct vtap_stats *st)
{
	struct gso_hdrs h;
	uint32_t gso = vh->gso_size, payload, n;

	if (unlikely(gso == 0 || parse_gso(vh, f, len, &h) != 0)) {
		st->rx_bad++;
		return 0;
	}
	payload = h.len - h.hdr;
	n = payload == 0 ? 1 : (payload + gso - 1) / gso;
	if (unlikely(n > max || h.hdr + RTE_MIN(gso, payload) > room(mp))) {
		st->rx_toobig++;
		return 0;
	}
	if (unlikely(rte_pktmbuf_alloc_bulk(mp, out, n) != 0)) {
		st->rx_nombuf++;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t off = i * gso, chunk = RTE_MIN(gso, payload - off);
		uint8_t *d = rte_pktmbuf_mtod(out[i], uint8_t *);

		memcpy(d, f, h.hdr);
		memcpy(d + h.hdr, f + h.hdr + off, chunk);
		out[i]->data_len = (uint16_t)(h.hdr + chunk);
		out[i]->pkt_len = h.hdr + chunk;
		fix_segment(d, &h, i, n, off, chunk);
	}
	st->rx_gso++;
	st->rx_segs += n;
	return n;
}

/* A plain frame: copied as is, its partial checksum (if any) completed the
 * way the kernel's skb_checksum_help() does. */
static unsigned copy_plain(const struct virtio_net_hdr *vh, const uint8_t *f, uint32_t len,
			   struct rte_mempool *mp, struct rte_mbuf **out, struct vtap_stats *st)
{
	struct rte_mbuf *m;
	uint8_t *d;

	if (unlikely(len < RTE_ETHER_HDR_LEN)) {
		st->rx_bad++;
		return 0;
	}
	if (unlikely(len > room(mp))) {
		st->rx_toobig++;
		return 0;
	}
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    unlikely(vh->csum_start < RTE_ETHER_HDR_LEN ||
		     (uint32_t)vh->csum_start + vh->csum_offset + 2 > len)) {
		st->rx_bad++;
		return 0;
	}
	m = rte_pktmbuf_alloc(mp);
	if (unlikely(m == NULL)) {
		st->rx_nombuf++;
		return 0;
	}
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(d, f, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint16_t ck = (uint16_t)~rte_raw_cksum(d + vh->csum_start, len - vh->csum_start);

		if (ck == 0)
			ck = 0xffff;
		memcpy(d + vh->csum_start + vh->csum_offset, &ck, 2);
		st->rx_csum++;
	}
	*out = m;
	return 1;
}

unsigned vtap_segment(const struct virtio_net_hdr *vh, const uint8_t *frame, uint32_t len,
		      struct rte_mempool *mp, struct rte_mbuf **out, unsigned max,
		      struct vtap_stats *st)
{
	if (unlikely(max == 0 || vh->hdr_len > len)) {
		st->rx_bad++;
		return 0;
	}
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return copy_plain(vh, frame, len, mp, out, st);
	return segment_gso(vh, frame, len, mp, out, max, st);
}

uint16_t vtap_rx_burst(struct vtap_queue *q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got = 0, reads = 0;

	if (q->pend_head == q->pend_tail && q->rx_holdoff != 0 && rte_rdtsc() < q->rx_next)
		return 0;
	while (got < n) {
		if (q->pend_head != q->pend_tail) {
			pkts[got++] = q->pend[q->pend_head++];
			continue;
		}
		/* Bounded: a flood of bad frames cannot keep the worker here. */
		if (reads++ >= n)
			break;
		ssize_t r = read(q->fd, q->buf, VTAP_HDR_LEN + VTAP_FRAME_MAX);

		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				q->stats.rx_errors++;
			else if (got == 0)
				q->rx_next = rte_rdtsc() + q->rx_holdoff;
			break;
		}
		q->stats.rx_frames++;
		if (unlikely((size_t)r < VTAP_HDR_LEN)) {
			q->stats.rx_bad++;
			continue;
		}
		struct virtio_net_hdr vh;

		memcpy(&vh, q->buf, sizeof(vh));
		q->pend_head = 0;
		q->pend_tail = (uint16_t)vtap_segment(&vh, q->buf + VTAP_HDR_LEN,
						      (uint32_t)r - VTAP_HDR_LEN, q->mp, q->pend,
						      VTAP_PEND_MAX, &q->stats);
	}
	return got;
}
