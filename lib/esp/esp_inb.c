/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP inbound: outer IPv4 [+ UDP] + ESP -> inner IP packet, around one
 * AEAD burst. esp_inb_prepare() validates every length before anything is
 * read, so a lying header can never send the AEAD pass outside the mbuf.
 *
 * State handed from prepare to finish: op->data / op->len locate the
 * ciphertext (everything before op->data is outer headers, ESP header and
 * IV; after it come trailer and ICV). prepare also records, for whoever
 * looks at the mbuf in between, m->l2_len = 0, m->l3_len = outer IPv4
 * header length (with options) and m->l4_len = 8 with UDP or 0; finish
 * does not rely on them and resets them to describe the inner packet
 * (l3_len = inner IP header length, l4_len = 0).
 */
#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "esp.h"
#include "esp_priv.h"
#include "replay.h"

/* Outer IPv4 header good? Honours a NIC's verdict on the checksum. */
static inline int esp_outer_ip_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
				  uint32_t ihl)
{
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (ck == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return 1;
	if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return 0;
	/* A correct header sums to 0xffff, i.e. rte_raw_cksum() ones' complement is 0. */
	return rte_raw_cksum(ip, ihl) == 0xffff;
}

int esp_inb_prepare(const struct sa_table *t, struct rte_mbuf *m, int udp_encap,
		    struct aead_op *op, struct sa_in **sa, uint64_t *seq)
{
	const struct rte_ipv4_hdr *ip;
	const struct esp_hdr_wire *esp;
	uint32_t len = m->data_len, ihl, tot, l4 = 0, esp_len, spi;
	const uint8_t *iv;
	struct sa_in *s;
	uint64_t sq;

	if (unlikely(m->nb_segs != 1 || m->pkt_len != len || len < sizeof(*ip)))
		return STATS_DROP_MALFORMED;
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	ihl = (ip->version_ihl & 0x0f) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	/* Bytes beyond total_length are link-layer padding (short frames);
	 * fewer means truncation. */
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || tot < ihl ||
		     tot > len))
		return STATS_DROP_MALFORMED;
	/* We do not reassemble: a fragment cannot be decrypted alone. */
	if (unlikely(ip->fragment_offset &
		     rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return STATS_DROP_MALFORMED;
	if (unlikely(ip->next_proto_id != (udp_encap ? IPPROTO_UDP : ESP_IPPROTO) ||
		     !esp_outer_ip_ok(m, ip, ihl)))
		return STATS_DROP_MALFORMED;
	if (udp_encap) {
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);

		l4 = ESP_UDP_LEN;
		if (unlikely(tot - ihl < l4 || rte_be_to_cpu_16(udp->dgram_len) != tot - ihl))
			return STATS_DROP_MALFORMED;
	}
	esp_len = tot - ihl - l4;
	if (unlikely(esp_len < ESP_MIN_PAYLOAD))
		return STATS_DROP_MALFORMED;

	esp = (const struct esp_hdr_wire *)((const uint8_t *)ip + ihl + l4);
	spi = rte_be_to_cpu_32(esp->spi);
	s = sa_table_lookup(t, spi);
	if (unlikely(s == NULL))
		return STATS_DROP_NO_SA;
	/* With ESN the high half is a guess the ICV confirms (it is in the AAD). */
	sq = replay_infer_seq(s->replay, rte_be_to_cpu_32(esp->seq), s->esn);
	if (unlikely(!replay_check(s->replay, sq)))
		return STATS_DROP_REPLAY;

	iv = (const uint8_t *)(esp + 1);
	op->key = s->key;
	op->data = (uint8_t *)(uintptr_t)(iv + ESP_IV_LEN);
	op->len = esp_len - ESP_HDR_IV_LEN - ESP_ICV_LEN;
	op->tag = op->data + op->len;
	esp_set_nonce(op, s->salt, iv);
	esp_set_aad(op, spi, sq, s->esn);
	op->status = AEAD_OK;

	/* Drop the link-layer padding now that nothing can fail. */
	if (len > tot)
		rte_pktmbuf_trim(m, (uint16_t)(len - tot));
	m->l2_len = 0;
	m->l3_len = ihl;
	m->l4_len = l4;
	*sa = s;
	*seq = sq;
	return STATS_OK;
}

/* Padding must be 1, 2, 3, ... (RFC 4303 2.4). */
static inline int esp_pad_ok(const uint8_t *pad, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (unlikely(pad[i] != (uint8_t)(i + 1)))
			return 0;
	return 1;
}

/* Inner header consistent with the next header and the decrypted length?
 * Returns the inner IP header length, or 0. */
static inline uint32_t esp_inner_ok(const uint8_t *p, uint32_t len, uint8_t nh)
{
	if (nh == ESP_NH_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;
		uint32_t ihl;

		if (unlikely(len < sizeof(*ip)))
			return 0;
		ihl = (ip->version_ihl & 0x0f) * 4u;
		if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ihl > len ||
			     rte_be_to_cpu_16(ip->total_length) != len))
			return 0;
		return ihl;
	}
	if (nh == ESP_NH_IPV6) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)p;

		if (unlikely(len < sizeof(*ip6) || (p[0] >> 4) != 6 ||
			     sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len) != len))
			return 0;
		return sizeof(*ip6);
	}
	/* 59 (dummy packets, RFC 4303 2.6) and anything else. */
	return 0;
}

int esp_inb_finish(struct sa_in *sa, struct rte_mbuf *m, const struct aead_op *op,
		   uint64_t seq)
{
	const struct esp_trailer_wire *tr;
	uint32_t ct_len = op->len, pad, inner_len, hdr_len, l3;
	const uint8_t *ct = op->data;
	uint8_t nh;

	if (unlikely(op->status != AEAD_OK))
		return op->status == AEAD_EAUTH ? STATS_DROP_AUTH : STATS_DROP_MALFORMED;
	/* Only now, with the ICV verified, may the window move. */
	if (unlikely(replay_update(sa->replay, seq) != 0))
		return STATS_DROP_REPLAY;

	tr = (const struct esp_trailer_wire *)(ct + ct_len - ESP_TRAILER_LEN);
	pad = tr->pad_len;
	nh = tr->next_header;
	if (unlikely(pad > ct_len - ESP_TRAILER_LEN))
		return STATS_DROP_MALFORMED;
	inner_len = ct_len - ESP_TRAILER_LEN - pad;
	if (unlikely(!esp_pad_ok(ct + inner_len, pad)))
		return STATS_DROP_MALFORMED;
	l3 = esp_inner_ok(ct, inner_len, nh);
	if (unlikely(l3 == 0))
		return STATS_DROP_MALFORMED;

	hdr_len = (uint32_t)(ct - rte_pktmbuf_mtod(m, const uint8_t *));
	rte_pktmbuf_adj(m, (uint16_t)hdr_len);
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - inner_len));
	m->l2_len = 0;
	m->l3_len = l3;
	m->l4_len = 0;
	m->packet_type = nh == ESP_NH_IPV4 ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6;
	return STATS_OK;
}
