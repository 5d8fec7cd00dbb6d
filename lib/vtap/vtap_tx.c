/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtap TX: pmdvpn -> host. Decrypted TCP segments of one flow that follow
 * each other in a burst are written as one super-packet, the way a NIC's
 * LRO/GRO hands them up: the first segment's headers with the lengths of
 * the whole, a virtio-net header saying GSO TCPV4/TCPV6 with the MSS, and
 * NEEDS_CSUM with the TCP checksum field holding the pseudo-header sum
 * (what Linux itself puts there for CHECKSUM_PARTIAL, and what
 * wireguard-go writes to its tun).
 *
 * The merge rules follow Linux's tcp_gro_receive(): same addresses and
 * ports, same ack, window and options, only ACK (PSH on the last), the
 * next sequence number, every segment but the last one MSS long, and for
 * IPv4 the same TOS/TTL/DF with consecutive ids (unless DF). A segment
 * whose checksum does not verify is written alone, so the kernel sees and
 * drops it exactly as it would have without coalescing.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "vtap.h"

#define IOV_MAX_FRAME (VTAP_GRO_SEGS + 2)

/* A parsed candidate for coalescing. */
struct tcp_seg {
	uint16_t l3, l4, hdr;   /* offsets in the frame */
	uint32_t payload;
	uint32_t seq;
	uint8_t flags;
	bool v6;
};

/* Pseudo header + TCP header + payload must sum to 0xffff. */
static bool tcp_cksum_ok(const uint8_t *ip, bool v6, const void *l4, uint32_t l4len)
{
	uint32_t sum;

	if (v6)
		sum = rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)ip, 0);
	else
		sum = rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)ip, 0);
	sum = __rte_raw_cksum(l4, l4len, sum);
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

/* Is m a TCP data segment that may be merged? Fills s. */
static bool tcp_candidate(const struct rte_mbuf *m, struct tcp_seg *s)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, l4, doff, iplen;
	const struct rte_tcp_hdr *th;
	uint16_t type;

	if (m->nb_segs != 1 || len < RTE_ETHER_HDR_LEN + 40)
		return false;
	memcpy(&type, f + 12, 2);
	s->l3 = RTE_ETHER_HDR_LEN;
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + s->l3);

		/* no IP options, not a fragment */
		if (ip->version_ihl != 0x45 || ip->next_proto_id != IPPROTO_TCP ||
		    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
			return false;
		iplen = rte_be_to_cpu_16(ip->total_length);
		l4 = s->l3 + 20u;
		s->v6 = false;
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(f + s->l3);

		if (len < RTE_ETHER_HDR_LEN + 60 || ip6->proto != IPPROTO_TCP)
			return false;
		iplen = 40u + rte_be_to_cpu_16(ip6->payload_len);
		l4 = s->l3 + 40u;
		s->v6 = true;
	} else {
		return false;
	}
	if (s->l3 + iplen != len)
		return false;
	th = (const struct rte_tcp_hdr *)(f + l4);
	doff = (th->data_off >> 4) * 4u;
	if (doff < sizeof(*th) || l4 + doff >= len)
		return false; /* no payload: a pure ACK is not merged */
	if ((th->tcp_flags & (uint8_t)~RTE_TCP_PSH_FLAG) != RTE_TCP_ACK_FLAG)
		return false;
	s->l4 = (uint16_t)l4;
	s->hdr = (uint16_t)(l4 + doff);
	s->payload = len - s->hdr;
	s->seq = rte_be_to_cpu_32(th->sent_seq);
	s->flags = th->tcp_flags;
	return tcp_cksum_ok(f + s->l3, s->v6, th, len - l4);
}

/* Where the addresses and ports of a TCP packet that is no candidate
 * are; false if it is not TCP over IPv4/IPv6 or too short. */
static bool flow_key(const struct rte_mbuf *m, struct tcp_seg *s)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;

	if (m->nb_segs != 1 || len < RTE_ETHER_HDR_LEN + 20)
		return false;
	s->l3 = RTE_ETHER_HDR_LEN;
	if (f[12] == 0x08 && f[13] == 0x00 && (f[14] >> 4) == 4) {
		s->v6 = false;
		s->l4 = (uint16_t)(s->l3 + (f[14] & 0x0f) * 4u);
		if (f[s->l3 + 9] != IPPROTO_TCP)
			return false;
	} else if (f[12] == 0x86 && f[13] == 0xdd && len >= RTE_ETHER_HDR_LEN + 40u) {
		s->v6 = true;
		s->l4 = (uint16_t)(s->l3 + 40u);
		if (f[s->l3 + 6] != IPPROTO_TCP)
			return false;
	} else {
		return false;
	}
	return s->l4 + 4u <= len;
}

/* Same connection (addresses and ports)? */
static bool same_flow(const struct vtap_gro_flow *fl, const struct rte_mbuf *m,
		      const struct tcp_seg *s)
{
	const uint8_t *a = rte_pktmbuf_mtod(fl->segs[0], const uint8_t *);
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);

	if (fl->v6 != s->v6)
		return false;
	if (!s->v6) {
		if (memcmp(a + fl->l3 + 12, b + s->l3 + 12, 8) != 0)
			return false;
	} else if (memcmp(a + fl->l3 + 8, b + s->l3 + 8, 32) != 0) {
		return false;
	}
	return memcmp(a + fl->l4, b + s->l4, 4) == 0;
}

/* May segment s follow the segments of flow fl (same_flow already)? */
static bool can_merge(const struct vtap_gro_flow *fl, const struct rte_mbuf *m,
		      const struct tcp_seg *s)
{
	const uint8_t *a = rte_pktmbuf_mtod(fl->segs[0], const uint8_t *);
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *last = rte_pktmbuf_mtod(fl->segs[fl->n - 1], const uint8_t *);

	if (fl->closed || fl->n >= VTAP_GRO_SEGS || s->seq != fl->next_seq ||
	    s->hdr != fl->hdr_len || s->payload > fl->mss ||
	    fl->hdr_len - fl->l3 + fl->payload + s->payload > 65535u - (s->v6 ? 40u : 0u))
		return false;
	/* ack, doff, window; then the options, byte for byte */
	if (memcmp(a + fl->l4 + 8, b + s->l4 + 8, 5) != 0 ||
	    memcmp(a + fl->l4 + 14, b + s->l4 + 14, 2) != 0 ||
	    memcmp(a + fl->l4 + 20, b + s->l4 + 20, s->hdr - s->l4 - 20u) != 0)
		return false;
	if (!s->v6) {
		const struct rte_ipv4_hdr *ia = (const struct rte_ipv4_hdr *)(a + fl->l3);
		const struct rte_ipv4_hdr *il = (const struct rte_ipv4_hdr *)(last + fl->l3);
		const struct rte_ipv4_hdr *ib = (const struct rte_ipv4_hdr *)(b + s->l3);

		if (ia->type_of_service != ib->type_of_service ||
		    ia->time_to_live != ib->time_to_live ||
		    ia->fragment_offset != ib->fragment_offset)
			return false;
		if (!(ib->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) &&
		    rte_be_to_cpu_16(ib->packet_id) !=
		    (uint16_t)(rte_be_to_cpu_16(il->packet_id) + 1))
			return false;
	} else {
		/* version, traffic class, flow label; hop limit */
		if (memcmp(a + fl->l3, b + s->l3, 4) != 0 || a[fl->l3 + 7] != b[s->l3 + 7])
			return false;
	}
	return true;
}

static void flow_start(struct vtap_gro_flow *fl, struct rte_mbuf *m, const struct tcp_seg *s)
{
	fl->segs[0] = m;
	fl->n = 1;
	fl->mss = (uint16_t)s->payload;
	fl->l3 = s->l3;
	fl->l4 = s->l4;
	fl->hdr_len = s->hdr;
	fl->v6 = s->v6;
	fl->payload = s->payload;
	fl->next_seq = s->seq + s->payload;
	fl->closed = (s->flags & RTE_TCP_PSH_FLAG) != 0;
}

/* Rewrites the first segment's headers for the whole and fills the
 * virtio-net header. */
static void flow_seal(const struct vtap_gro_flow *fl, struct virtio_net_hdr *vh)
{
	uint8_t *d = rte_pktmbuf_mtod(fl->segs[0], uint8_t *);
	const uint8_t *last = rte_pktmbuf_mtod(fl->segs[fl->n - 1], const uint8_t *);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(d + fl->l4);
	uint32_t l4len = fl->hdr_len - fl->l4 + fl->payload;

	memset(vh, 0, sizeof(*vh));
	if (fl->n == 1)
		return;
	/* PSH of the last segment belongs to the whole */
	th->tcp_flags |= last[fl->l4 + 13] & RTE_TCP_PSH_FLAG;
	if (!fl->v6) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + fl->l3);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(fl->l4 - fl->l3 + l4len));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = rte_ipv4_phdr_cksum(ip, 0);
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + fl->l3);

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4len);
		th->cksum = rte_ipv6_phdr_cksum(ip6, 0);
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	}
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->hdr_len = fl->hdr_len;
	vh->gso_size = fl->mss;
	vh->csum_start = fl->l4;
	vh->csum_offset = offsetof(struct rte_tcp_hdr, cksum);
}

/* The coalescing pass's bookkeeping. */
struct co_state {
	struct vtap_frame *frames;
	struct rte_mbuf **order;
	unsigned n_frames, n_order;
	int slot_frame[VTAP_GRO_FLOWS]; /* frame index of each open flow, -1 = free */
	unsigned next_evict;
};

/* Closes flow slot i: its segments go to `order`, its frame is final. */
static void slot_flush(struct vtap_queue *q, struct co_state *c, unsigned i)
{
	struct vtap_gro_flow *fl = &q->flows[i];
	struct vtap_frame *f = &c->frames[c->slot_frame[i]];

	flow_seal(fl, &f->hdr);
	f->pkts = &c->order[c->n_order];
	f->n_pkts = fl->n;
	memcpy(&c->order[c->n_order], fl->segs, fl->n * sizeof(fl->segs[0]));
	c->n_order += fl->n;
	c->slot_frame[i] = -1;
}

static void single(struct co_state *c, struct rte_mbuf *m)
{
	struct vtap_frame *f = &c->frames[c->n_frames++];

	memset(&f->hdr, 0, sizeof(f->hdr));
	f->pkts = &c->order[c->n_order];
	f->n_pkts = 1;
	c->order[c->n_order++] = m;
}

unsigned vtap_coalesce(struct vtap_queue *q, struct rte_mbuf **pkts, uint16_t n,
		       struct vtap_frame *frames, struct rte_mbuf **order)
{
	struct co_state c = { .frames = frames, .order = order };
	unsigned i, k;

	for (k = 0; k < VTAP_GRO_FLOWS; k++)
		c.slot_frame[k] = -1;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct tcp_seg s = { 0 };
		int slot = -1, free_slot = -1;
		bool cand = tcp_candidate(m, &s);
		/* A TCP packet that is not a candidate (SYN, FIN, pure ACK, bad
		 * checksum) still ends its flow's super-packet, so that order
		 * within a flow holds. */
		bool keyed = cand || flow_key(m, &s);

		for (k = 0; k < VTAP_GRO_FLOWS; k++) {
			if (c.slot_frame[k] < 0) {
				if (free_slot < 0)
					free_slot = (int)k;
				continue;
			}
			if (keyed && same_flow(&q->flows[k], m, &s)) {
				slot = (int)k;
				break;
			}
		}
		if (!cand) {
			if (slot >= 0)
				slot_flush(q, &c, (unsigned)slot);
			single(&c, m);
			continue;
		}
		if (slot >= 0) {
			struct vtap_gro_flow *fl = &q->flows[slot];

			if (can_merge(fl, m, &s)) {
				fl->segs[fl->n++] = m;
				fl->payload += s.payload;
				fl->next_seq += s.payload;
				if (s.payload < fl->mss || (s.flags & RTE_TCP_PSH_FLAG))
					fl->closed = true;
				continue;
			}
			slot_flush(q, &c, (unsigned)slot);
			free_slot = slot;
		}
		if (free_slot < 0) {
			free_slot = (int)c.next_evict;
			c.next_evict = (c.next_evict + 1) % VTAP_GRO_FLOWS;
			slot_flush(q, &c, (unsigned)free_slot);
		}
		flow_start(&q->flows[free_slot], m, &s);
		c.slot_frame[free_slot] = (int)c.n_frames++;
	}
	for (k = 0; k < VTAP_GRO_FLOWS; k++)
		if (c.slot_frame[k] >= 0)
			slot_flush(q, &c, k);
	return c.n_frames;
}

unsigned vtap_frame_iov(struct vtap_frame *f, struct iovec *iov, unsigned max)
{
	unsigned n = 0;
	uint16_t skip = f->hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE ? f->hdr.hdr_len : 0;

	if (max < 2u + f->n_pkts - 1u)
		return 0;
	iov[n].iov_base = &f->hdr;
	iov[n++].iov_len = sizeof(f->hdr);
	if (f->n_pkts == 1) {
		/* a lone packet may be a chain (never merged) */
		const struct rte_mbuf *s = f->pkts[0];

		if (s->nb_segs > max - 1u)
			return 0;
		for (; s != NULL; s = s->next) {
			iov[n].iov_base = rte_pktmbuf_mtod(s, void *);
			iov[n++].iov_len = s->data_len;
		}
		return n;
	}
	iov[n].iov_base = rte_pktmbuf_mtod(f->pkts[0], void *);
	iov[n++].iov_len = f->pkts[0]->data_len;
	for (uint16_t i = 1; i < f->n_pkts; i++) {
		iov[n].iov_base = rte_pktmbuf_mtod_offset(f->pkts[i], void *, skip);
		iov[n++].iov_len = f->pkts[i]->data_len - skip;
	}
	return n;
}

uint16_t vtap_tx_burst(struct vtap_queue *q, struct rte_mbuf **pkts, uint16_t n,
		       uint64_t *bytes)
{
	struct vtap_frame frames[n];
	struct rte_mbuf *order[n];
	struct iovec iov[IOV_MAX_FRAME];
	unsigned nf;
	uint16_t sent = 0;

	if (n == 0)
		return 0;
	nf = vtap_coalesce(q, pkts, n, frames, order);
	for (unsigned i = 0; i < nf; i++) {
		struct vtap_frame *f = &frames[i];
		unsigned niov = vtap_frame_iov(f, iov, IOV_MAX_FRAME);
		uint32_t len = 0;
		ssize_t w = -1;

		for (uint16_t j = 0; j < f->n_pkts; j++)
			len += f->pkts[j]->pkt_len;
		if (likely(niov != 0))
			w = writev(q->fd, iov, (int)niov);
		if (likely(w > 0)) {
			sent += f->n_pkts;
			*bytes += len;
			q->stats.tx_frames++;
			if (f->n_pkts > 1) {
				q->stats.tx_gso++;
				q->stats.tx_merged += f->n_pkts;
			}
		} else {
			q->stats.tx_errors += f->n_pkts;
		}
		rte_pktmbuf_free_bulk(f->pkts, f->n_pkts);
	}
	q->stats.tx_pkts += sent;
	return sent;
}
