/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neigh_nd: IPv6 neighbour solicitation -> advertisement (RFC 4861 4.3,
 * 4.4, 7.1.1) for untagged Ethernet frames. The NS must sit in the first
 * segment with no extension header: a valid NS is always sent that way
 * (hop limit 255, on-link only).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "neigh.h"

#define ND_PROTO_ICMPV6 58
#define ND_HOP_LIMIT 255
#define ND_TYPE_NS 135
#define ND_TYPE_NA 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_NA_ROUTER 0x80
#define ND_NA_SOLICITED 0x40
#define ND_NA_OVERRIDE 0x20

/* The NS and NA share this layout; options follow. */
struct nd_msg {
	uint8_t type;
	uint8_t code;
	rte_be16_t cksum;
	uint8_t flags;          /* NA: R, S, O; NS: reserved */
	uint8_t reserved[3];
	uint8_t target[16];
} __rte_packed;

struct nd_opt_lla {
	uint8_t type;
	uint8_t len;            /* in units of 8 bytes */
	struct rte_ether_addr mac;      /* 2-aligned: no padding before it */
};
_Static_assert(sizeof(struct nd_msg) == 24, "NS/NA layout");
_Static_assert(sizeof(struct nd_opt_lla) == 8, "link-layer address option layout");

#define ND_L3_OFF sizeof(struct rte_ether_hdr)
#define ND_L4_OFF (ND_L3_OFF + sizeof(struct rte_ipv6_hdr))
#define ND_NS_MIN_LEN (ND_L4_OFF + sizeof(struct nd_msg))
#define ND_NA_ICMP_LEN (sizeof(struct nd_msg) + sizeof(struct nd_opt_lla))
#define ND_NA_LEN (ND_L4_OFF + ND_NA_ICMP_LEN)

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

/* ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 8.1) and len bytes
 * of message. Over a message holding a correct checksum it yields 0. */
static uint16_t icmp6_cksum(const struct rte_ipv6_hdr *ip6, const void *msg, uint32_t len)
{
	struct {
		rte_be32_t len;
		uint8_t zero[3];
		uint8_t next;
	} __rte_packed ph = { rte_cpu_to_be_32(len), { 0 }, ND_PROTO_ICMPV6 };
	uint32_t sum;

	sum = __rte_raw_cksum(ip6->src_addr, sizeof(ip6->src_addr) + sizeof(ip6->dst_addr), 0);
	sum = __rte_raw_cksum(&ph, sizeof(ph), sum);
	sum = __rte_raw_cksum(msg, len, sum);
	return (uint16_t)~__rte_raw_cksum_reduce(sum);
}

static bool addr_is_unspec(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, sizeof(zero)) == 0;
}

/* ff02::1:ffXX:XXXX (RFC 4291 2.7.1) */
static bool addr_is_solicited_node(const uint8_t a[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* Options must each be non-empty and fit (RFC 4861 7.1.1); a DAD probe from
 * :: must not carry a source link-layer address. */
static int check_options(const uint8_t *opt, uint32_t len, bool from_unspec)
{
	uint32_t off = 0;

	while (off < len) {
		uint32_t olen;

		if (unlikely(len - off < 2))
			return -1;
		olen = (uint32_t)opt[off + 1] * 8;
		if (unlikely(olen == 0 || olen > len - off))
			return -1;
		if (unlikely(opt[off] == ND_OPT_SLLA && from_unspec))
			return -1;
		off += olen;
	}
	return 0;
}

int neigh_nd_parse_ns(const struct rte_mbuf *m, uint8_t target[16])
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv6_hdr *ip6;
	const struct nd_msg *ns;
	uint32_t plen;
	bool from_unspec;

	if (unlikely(m == NULL || target == NULL || rte_pktmbuf_data_len(m) < ND_NS_MIN_LEN))
		return -1;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV6) ||
		     rte_is_multicast_ether_addr(&eth->src_addr)))
		return -1;

	ip6 = (const struct rte_ipv6_hdr *)(eth + 1);
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if (unlikely((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6 ||
		     ip6->proto != ND_PROTO_ICMPV6 || ip6->hop_limits != ND_HOP_LIMIT ||
		     plen < sizeof(struct nd_msg) ||
		     plen > rte_pktmbuf_data_len(m) - ND_L4_OFF))
		return -1;

	ns = (const struct nd_msg *)(ip6 + 1);
	if (unlikely(ns->type != ND_TYPE_NS || ns->code != 0))
		return -1;
	if (unlikely(icmp6_cksum(ip6, ns, plen) != 0))
		return -1;
	if (unlikely(ns->target[0] == 0xff))
		return -1;

	/* Duplicate address detection comes from :: to the solicited-node
	 * group; anything else from :: is forged. */
	from_unspec = addr_is_unspec(ip6->src_addr);
	if (unlikely(from_unspec && !addr_is_solicited_node(ip6->dst_addr)))
		return -1;
	if (unlikely(check_options((const uint8_t *)(ns + 1),
				   plen - (uint32_t)sizeof(*ns), from_unspec) < 0))
		return -1;

	memcpy(target, ns->target, sizeof(ns->target));
	return 0;
}

/* Makes the first segment exactly len bytes long. */
static int set_len(struct rte_mbuf *m, uint16_t len)
{
	uint16_t cur = rte_pktmbuf_data_len(m);

	if (cur < len)
		return rte_pktmbuf_append(m, len - cur) == NULL ? -1 : 0;
	return rte_pktmbuf_trim(m, cur - len);
}

int neigh_nd_make_na(struct rte_mbuf *m, const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip6;
	struct nd_msg *na;
	struct nd_opt_lla *opt;
	uint8_t target[16];
	bool dad;

	if (unlikely(mac == NULL || neigh_nd_parse_ns(m, target) < 0))
		return -1;
	/* Trimming works on the last segment: the NA must be the only one. */
	if (unlikely(!rte_pktmbuf_is_contiguous(m)))
		return -1;
	if (unlikely(set_len(m, ND_NA_LEN) < 0))
		return -1;

	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(mac, &eth->src_addr);

	ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	/* A DAD probe has no address to answer to: tell all nodes, and do not
	 * claim it was solicited (RFC 4861 7.2.4). */
	dad = addr_is_unspec(ip6->src_addr);
	if (dad)
		memcpy(ip6->dst_addr, all_nodes, sizeof(all_nodes));
	else
		memcpy(ip6->dst_addr, ip6->src_addr, sizeof(ip6->dst_addr));
	memcpy(ip6->src_addr, target, sizeof(ip6->src_addr));
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(ND_NA_ICMP_LEN);
	ip6->proto = ND_PROTO_ICMPV6;
	ip6->hop_limits = ND_HOP_LIMIT;

	/* pmdvpn routes the target's prefix: it answers as a router, and its
	 * answer must replace whatever the host cached. */
	na = (struct nd_msg *)(ip6 + 1);
	na->type = ND_TYPE_NA;
	na->code = 0;
	na->cksum = 0;
	na->flags = ND_NA_ROUTER | ND_NA_OVERRIDE | (dad ? 0 : ND_NA_SOLICITED);
	memset(na->reserved, 0, sizeof(na->reserved));
	memcpy(na->target, target, sizeof(na->target));

	opt = (struct nd_opt_lla *)(na + 1);
	opt->type = ND_OPT_TLLA;
	opt->len = sizeof(*opt) / 8;
	rte_ether_addr_copy(mac, &opt->mac);

	na->cksum = icmp6_cksum(ip6, na, ND_NA_ICMP_LEN);
	return 0;
}
