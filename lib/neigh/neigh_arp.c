/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neigh_arp: ARP (RFC 826) for Ethernet/IPv4, untagged frames only. The
 * whole ARP packet must sit in the first segment: it is 42 bytes, and the
 * reply is written over the request.
 */
#include <stdint.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "neigh.h"

#define ARP_FRAME_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))

int neigh_arp_parse(const struct rte_mbuf *m, struct neigh_arp *out)
{
	const struct rte_ether_hdr *eth;
	const struct rte_arp_hdr *arp;
	uint16_t op;

	if (unlikely(m == NULL || out == NULL || rte_pktmbuf_data_len(m) < ARP_FRAME_LEN))
		return -1;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_ARP)))
		return -1;
	arp = (const struct rte_arp_hdr *)(eth + 1);
	if (unlikely(arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		     arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
		     arp->arp_plen != sizeof(uint32_t)))
		return -1;
	op = rte_be_to_cpu_16(arp->arp_opcode);
	if (unlikely(op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY))
		return -1;

	out->op = op;
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &out->sha);
	out->sip = arp->arp_data.arp_sip;
	out->tip = arp->arp_data.arp_tip;
	return 0;
}

void neigh_arp_make_reply(struct rte_mbuf *m, const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_arp_ipv4 *d;
	uint32_t ip;

	/* Callers pass a parsed request; anything shorter is left alone. */
	if (unlikely(m == NULL || mac == NULL || rte_pktmbuf_data_len(m) < ARP_FRAME_LEN))
		return;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	arp = (struct rte_arp_hdr *)(eth + 1);
	d = &arp->arp_data;
	/* Reply to the sender named in the ARP body, as RFC 826 says. */
	rte_ether_addr_copy(&d->arp_sha, &eth->dst_addr);
	rte_ether_addr_copy(mac, &eth->src_addr);

	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&d->arp_sha, &d->arp_tha);
	rte_ether_addr_copy(mac, &d->arp_sha);
	ip = d->arp_sip;
	d->arp_sip = d->arp_tip;
	d->arp_tip = ip;
}

int neigh_arp_build_request(struct rte_mbuf *m, const struct rte_ether_addr *mac,
			    uint32_t sip_be, uint32_t tip_be)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (unlikely(m == NULL || mac == NULL || rte_pktmbuf_pkt_len(m) != 0))
		return -1;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, ARP_FRAME_LEN);
	if (unlikely(eth == NULL))
		return -1;

	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);

	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = sip_be;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = tip_be;
	return 0;
}
