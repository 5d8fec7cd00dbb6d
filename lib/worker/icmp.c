/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP the gateway itself originates: echo replies for its WAN address
 * (so an operator can ping it) and "fragmentation needed" / "packet too
 * big" to the host when an inner packet does not fit the tunnel, so path
 * MTU discovery works through pmdvpn as through any router.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "worker.h"

#define ICMP6_PACKET_TOO_BIG 2
#define ICMP4_DEST_UNREACH 3
#define IPV6_MIN_MTU 1280
#define ICMP4_QUOTE_MAX 548  /* RFC 1812 4.3.2.3: keep the error within 576 bytes */

int icmp_echo_reply(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp;
	uint32_t ihl = (ip->version_ihl & 0x0f) * 4u, tot, cksum;
	struct rte_ether_addr tmp;
	rte_be32_t a;

	tot = rte_be_to_cpu_16(ip->total_length);
	if (m->nb_segs != 1 || tot < ihl + sizeof(*icmp) ||
	    m->data_len < sizeof(*eth) + tot || (ip->fragment_offset & RTE_BE16(0x3fff)))
		return -1;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return -1;
	if (rte_raw_cksum(icmp, tot - ihl) != 0xffff)
		return -1;
	/* Trim Ethernet padding, then turn around in place. */
	rte_pktmbuf_trim(m, m->data_len - (uint16_t)(sizeof(*eth) + tot));
	tmp = eth->src_addr;
	eth->src_addr = eth->dst_addr;
	eth->dst_addr = tmp;
	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* Type 8 -> 0: adjust the checksum incrementally (RFC 1624). */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	cksum = (uint32_t)(~rte_be_to_cpu_16(icmp->icmp_cksum) & 0xffff) + 0xf7ff;
	cksum = (cksum & 0xffff) + (cksum >> 16);
	icmp->icmp_cksum = rte_cpu_to_be_16((uint16_t)~cksum);
	return 0;
}

static struct rte_mbuf *too_big4(struct rte_mempool *mp, const struct rte_mbuf *orig, uint16_t mtu)
{
	const struct rte_ipv4_hdr *oip = rte_pktmbuf_mtod(orig, const struct rte_ipv4_hdr *);
	uint32_t quote = RTE_MIN(orig->data_len, (uint32_t)ICMP4_QUOTE_MAX);
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *m;
	uint8_t *p;

	/* Only a packet that forbids fragmentation asks for this error. */
	if (!(oip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)))
		return NULL;
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, sizeof(*ip) + sizeof(*icmp) + quote);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	ip = (struct rte_ipv4_hdr *)p;
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*icmp) + quote));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = oip->dst_addr; /* see icmp_too_big() */
	ip->dst_addr = oip->src_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = ICMP4_DEST_UNREACH;
	icmp->icmp_code = 4; /* fragmentation needed and DF set */
	icmp->icmp_cksum = 0;
	icmp->icmp_ident = 0;                      /* unused */
	icmp->icmp_seq_nb = rte_cpu_to_be_16(mtu); /* next-hop MTU, RFC 1191 */
	memcpy(icmp + 1, oip, quote);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + quote);
	return m;
}

static struct rte_mbuf *too_big6(struct rte_mempool *mp, const struct rte_mbuf *orig, uint16_t mtu)
{
	const struct rte_ipv6_hdr *oip = rte_pktmbuf_mtod(orig, const struct rte_ipv6_hdr *);
	uint32_t quote = RTE_MIN(orig->data_len,
				 (uint32_t)(IPV6_MIN_MTU - sizeof(struct rte_ipv6_hdr) - 8));
	struct rte_ipv6_hdr *ip6;
	uint8_t *icmp, *p;
	struct rte_mbuf *m;
	uint32_t plen = 8 + quote;

	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, sizeof(*ip6) + plen);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	ip6 = (struct rte_ipv6_hdr *)p;
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)plen);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 64;
	memcpy(ip6->src_addr, oip->dst_addr, 16); /* see icmp_too_big() */
	memcpy(ip6->dst_addr, oip->src_addr, 16);
	icmp = (uint8_t *)(ip6 + 1);
	icmp[0] = ICMP6_PACKET_TOO_BIG;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	*(rte_be32_t *)(icmp + 4) = rte_cpu_to_be_32(RTE_MAX(mtu, (uint16_t)IPV6_MIN_MTU));
	memcpy(icmp + 8, oip, quote);
	/* rte_ipv6_udptcp_cksum() is the generic pseudo-header checksum over
	 * ip6->proto, so it is right for ICMPv6 as well. */
	*(uint16_t *)(icmp + 2) = rte_ipv6_udptcp_cksum(ip6, icmp);
	return m;
}

/*
 * The error's source is the unreachable packet's own destination: pmdvpn
 * speaks for the path to it. That address is routed through the inside
 * interface, so the host's reverse-path filter accepts it, whereas the
 * host's own inside-address as a source is dropped as a martian.
 */
struct rte_mbuf *icmp_too_big(struct rte_mempool *mp, const struct rte_mbuf *orig, uint16_t mtu,
			      const struct rte_ether_addr *src_mac, const struct rte_ether_addr *dst_mac)
{
	const uint8_t *v = rte_pktmbuf_mtod(orig, const uint8_t *);
	struct rte_ether_hdr *eth;
	struct rte_mbuf *m;
	uint16_t type;

	if ((v[0] >> 4) == 4) {
		m = too_big4(mp, orig, mtu);
		type = RTE_ETHER_TYPE_IPV4;
	} else {
		m = too_big6(mp, orig, mtu);
		type = RTE_ETHER_TYPE_IPV6;
	}
	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth->src_addr = *src_mac;
	eth->dst_addr = *dst_mac;
	eth->ether_type = rte_cpu_to_be_16(type);
	return m;
}
