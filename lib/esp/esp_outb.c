/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP outbound: inner IP packet -> outer IPv4 [+ UDP] + ESP + IV +
 * ciphertext + trailer + ICV, prepared in place for one AEAD burst.
 *
 * The explicit IV is the 64-bit sequence number, big endian: unique per
 * SA for the SA's life (sequence numbers never wrap, the SA stops at
 * seq_max/seq_limit), which is the only property GCM and ChaCha20-Poly1305
 * need of it (RFC 4106 section 3.1 allows a counter).
 */
#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "esp.h"
#include "esp_priv.h"

#define ESP_OUTER_TTL 64

/* Padding so that payload + padding + trailer ends on a 4-byte boundary
 * (RFC 4303 section 2.4; AEAD stream ciphers need no more). */
static inline uint32_t esp_pad_len(uint32_t inner_len)
{
	return (ESP_PAD_ALIGN - (inner_len + ESP_TRAILER_LEN) % ESP_PAD_ALIGN) % ESP_PAD_ALIGN;
}

static inline uint32_t esp_hdr_len(int udp_encap)
{
	return ESP_OUTER_IP_LEN + (udp_encap ? ESP_UDP_LEN : 0) + ESP_HDR_IV_LEN;
}

uint32_t esp_outb_overhead(const struct sa_out *sa, uint32_t inner_len)
{
	return esp_hdr_len(sa->udp_encap) + esp_pad_len(inner_len) + ESP_TRAILER_LEN +
	       ESP_ICV_LEN;
}

uint16_t esp_inner_mtu(uint16_t wan_mtu, int udp_encap)
{
	uint32_t fixed = esp_hdr_len(udp_encap) + ESP_ICV_LEN;
	uint32_t room, ct;

	if (wan_mtu <= fixed)
		return 0;
	room = wan_mtu - fixed;
	/* The ciphertext (inner + pad + trailer) is a multiple of 4. */
	ct = room - room % ESP_PAD_ALIGN;
	if (ct < ESP_TRAILER_LEN)
		return 0;
	return (uint16_t)(ct - ESP_TRAILER_LEN);
}

/*
 * Checks that m holds exactly one IPv4 or IPv6 packet. Returns its next
 * header value for the ESP trailer (0 if malformed) and its DSCP.
 */
static inline uint8_t esp_inner_check(const struct rte_mbuf *m, uint8_t *dscp)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;

	if (unlikely(len < sizeof(struct rte_ipv4_hdr)))
		return 0;
	if ((p[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;
		uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;

		if (unlikely(ihl < sizeof(*ip) || ihl > len ||
			     rte_be_to_cpu_16(ip->total_length) != len))
			return 0;
		*dscp = ip->type_of_service & 0xfc;
		return ESP_NH_IPV4;
	}
	if ((p[0] >> 4) == 6) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)p;

		if (unlikely(len < sizeof(*ip6) ||
			     sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len) != len))
			return 0;
		*dscp = (uint8_t)(rte_be_to_cpu_32(ip6->vtc_flow) >> 20) & 0xfc;
		return ESP_NH_IPV6;
	}
	return 0;
}

int esp_outb_prepare(struct sa_out *sa, struct rte_mbuf *m, struct aead_op *op)
{
	uint32_t inner_len = m->data_len, pad, hdr_len, ct_len, total, i;
	struct esp_trailer_wire *tr;
	struct esp_hdr_wire *esp;
	struct rte_ipv4_hdr *ip;
	uint8_t nh, dscp = 0, *tail, *iv;
	uint64_t seq, seq_be;

	if (unlikely(m->nb_segs != 1 || m->pkt_len != inner_len))
		return STATS_DROP_MALFORMED;
	nh = esp_inner_check(m, &dscp);
	if (unlikely(nh == 0))
		return STATS_DROP_MALFORMED;

	pad = esp_pad_len(inner_len);
	hdr_len = esp_hdr_len(sa->udp_encap);
	ct_len = inner_len + pad + ESP_TRAILER_LEN;
	total = hdr_len + ct_len + ESP_ICV_LEN;
	if (unlikely(total > UINT16_MAX))
		return STATS_DROP_MALFORMED;
	/* Check room before taking a sequence number, so a drop changes
	 * neither the SA nor the mbuf. */
	if (unlikely(rte_pktmbuf_headroom(m) < hdr_len ||
		     rte_pktmbuf_tailroom(m) < pad + ESP_TRAILER_LEN + ESP_ICV_LEN))
		return STATS_DROP_NO_MBUF;
	seq = sa_out_next_seq(sa);
	if (unlikely(seq == 0))
		return STATS_DROP_SEQ_EXHAUSTED;

	/* Trailer: padding 1, 2, 3, ... (RFC 4303 2.4), pad length, next header. */
	tail = (uint8_t *)rte_pktmbuf_append(m, pad + ESP_TRAILER_LEN + ESP_ICV_LEN);
	for (i = 0; i < pad; i++)
		tail[i] = (uint8_t)(i + 1);
	tr = (struct esp_trailer_wire *)(tail + pad);
	tr->pad_len = (uint8_t)pad;
	tr->next_header = nh;

	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, (uint16_t)hdr_len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	/* DSCP copied from the inner header (RFC 4301 5.1.2.1); ECN not
	 * copied (the compatibility mode of RFC 6040: our decap ignores it). */
	ip->type_of_service = dscp;
	ip->total_length = rte_cpu_to_be_16((uint16_t)total);
	/* DF clear so the path may fragment; any id unique for a while
	 * will do, the sequence number is one. */
	ip->packet_id = rte_cpu_to_be_16((uint16_t)seq);
	ip->fragment_offset = 0;
	ip->time_to_live = ESP_OUTER_TTL;
	ip->src_addr = sa->src_ip;
	ip->dst_addr = sa->dst_ip;
	ip->hdr_checksum = 0;
	if (sa->udp_encap) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

		ip->next_proto_id = IPPROTO_UDP;
		udp->src_port = sa->sport;
		udp->dst_port = sa->dport;
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(total - ESP_OUTER_IP_LEN));
		udp->dgram_cksum = 0; /* RFC 3948 2.1 */
		esp = (struct esp_hdr_wire *)(udp + 1);
	} else {
		ip->next_proto_id = ESP_IPPROTO;
		esp = (struct esp_hdr_wire *)(ip + 1);
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	esp->spi = rte_cpu_to_be_32(sa->spi);
	esp->seq = rte_cpu_to_be_32((uint32_t)seq);
	iv = (uint8_t *)(esp + 1);
	seq_be = rte_cpu_to_be_64(seq);
	memcpy(iv, &seq_be, ESP_IV_LEN);

	op->key = sa->key;
	op->data = iv + ESP_IV_LEN;
	op->len = ct_len;
	op->tag = op->data + ct_len;
	esp_set_nonce(op, sa->salt, iv);
	esp_set_aad(op, sa->spi, seq, sa->esn);
	op->status = AEAD_OK;

	m->l2_len = 0;
	m->l3_len = ESP_OUTER_IP_LEN;
	m->l4_len = sa->udp_encap ? ESP_UDP_LEN : 0;
	m->packet_type = RTE_PTYPE_L3_IPV4 | RTE_PTYPE_TUNNEL_ESP |
			 (sa->udp_encap ? RTE_PTYPE_L4_UDP : 0);
	/* Checksums are done here in software: no TX offload requests may
	 * survive from the inner packet (only those bits: the others say
	 * how the buffer is attached). */
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	return STATS_OK;
}
