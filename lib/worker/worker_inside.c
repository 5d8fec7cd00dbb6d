/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside input (from the host): answer ARP / neighbour solicitations for
 * every address routed to a peer, then route -> MTU check -> neighbour ->
 * ESP outbound with one AEAD batch -> Ethernet -> WAN.
 */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "esp.h"
#include "worker.h"

/* ARP from the host: proxy-answer for addresses we route to a peer. */
static void arp_input(struct worker *w, struct rte_mbuf *m, struct rte_mbuf **tx, uint16_t *ntx)
{
	struct neigh_arp a;

	if (neigh_arp_parse(m, &a) != 0) {
		worker_drop(w, m, STATS_DROP_MALFORMED, -1);
		return;
	}
	if (w->inside_neigh != NULL) {
		neigh_learn(w->inside_neigh, a.sip, &a.sha);
		if (w->n_workers > 1)
			worker_share_arp(w, m, WORKER_HANDOFF_INSIDE_LEARN);
	}
	if (a.op == RTE_ARP_OP_REQUEST && a.tip != a.sip &&
	    ((w->inside_ip != 0 && a.tip == w->inside_ip) ||
	     route_lookup_v4(w->routes, a.tip) != ROUTE_NONE)) {
		neigh_arp_make_reply(m, &w->router_mac);
		w->stats->event[STATS_EV_ARP_REPLIED]++;
		tx[(*ntx)++] = m;
		return;
	}
	if (a.op == RTE_ARP_OP_REPLY && w->inside_neigh != NULL) {
		rte_pktmbuf_free(m); /* learned above */
		return;
	}
	worker_drop(w, m, STATS_DROP_UNHANDLED, -1);
}

/* IPv6 from the host that is not data for a peer: neighbour solicitations
 * for routed targets get an advertisement; the rest (router solicitations,
 * MLD, ...) is not ours to answer. Returns true if m was consumed. */
static bool nd_input(struct worker *w, struct rte_mbuf *m, struct rte_mbuf **tx, uint16_t *ntx)
{
	const struct rte_ipv6_hdr *ip6;
	uint8_t target[16];

	ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr));
	if (ip6->dst_addr[0] != 0xff)
		return false; /* unicast: data */
	if (neigh_nd_parse_ns(m, target) == 0 && route_lookup_v6(w->routes, target) != ROUTE_NONE &&
	    neigh_nd_make_na(m, &w->router_mac) == 0) {
		w->stats->event[STATS_EV_ND_REPLIED]++;
		tx[(*ntx)++] = m;
		return true;
	}
	worker_drop(w, m, STATS_DROP_UNHANDLED, -1);
	return true;
}

/* Trims Ethernet padding so the mbuf holds exactly the IP packet (a LAN
 * port pads small frames to 60 bytes; the ESP payload must not carry it).
 * Returns 0, or -1 if the IP length field is impossible. */
static int inner_trim(struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len;

	if ((p[0] >> 4) == 4)
		len = rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)p)->total_length);
	else if ((p[0] >> 4) == 6)
		len = sizeof(struct rte_ipv6_hdr) +
		      rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)p)->payload_len);
	else
		return -1;
	if (unlikely(len > m->data_len || len < sizeof(struct rte_ipv4_hdr)))
		return -1;
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - len));
	return 0;
}

static void too_big(struct worker *w, struct rte_mbuf *m, const struct sa_out *sa,
		    struct rte_mbuf **tx, uint16_t *ntx)
{
	struct rte_ether_addr dst = w->host_mac;
	struct rte_mbuf *icmp;

	/* On a LAN port the sender is whoever sent the frame. */
	if (w->inside_neigh != NULL)
		dst = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
	rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
	icmp = icmp_too_big(w->mp, m, sa->mtu, &w->router_mac, &dst);

	if (icmp != NULL) {
		w->stats->event[STATS_EV_ICMP_TOO_BIG]++;
		tx[(*ntx)++] = icmp;
	}
	worker_drop(w, m, STATS_DROP_TOO_BIG, sa->peer);
}

void worker_inside_input(struct worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *esp[WORKER_BURST_MAX], *to_host[WORKER_BURST_MAX];
	struct aead_op ops[WORKER_BURST_MAX];
	struct sa_out *sas[WORKER_BURST_MAX];
	struct rte_ether_addr macs[WORKER_BURST_MAX];
	/* The last next hop resolved in this burst: peers usually share the
	 * WAN gateway, so one neighbour lookup serves the whole burst (the
	 * WAN table does not change while the burst is processed). */
	struct rte_ether_addr hop_mac;
	uint32_t hop_ip = 0;
	bool hop_known = false;
	uint16_t n_esp = 0, n_host = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth;
		int peer;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (unlikely(m->data_len < sizeof(*eth) + sizeof(struct rte_ipv4_hdr) ||
			     m->nb_segs != 1)) {
			if (m->data_len >= sizeof(*eth) &&
			    rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type ==
			    RTE_BE16(RTE_ETHER_TYPE_ARP))
				arp_input(w, m, to_host, &n_host);
			else
				worker_drop(w, m, STATS_DROP_MALFORMED, -1);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
			const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
			peer = route_lookup_v4(w->routes, ip->dst_addr);
		} else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
			const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(eth + 1);
			if (m->data_len < sizeof(*eth) + sizeof(*ip6)) {
				worker_drop(w, m, STATS_DROP_MALFORMED, -1);
				continue;
			}
			if (nd_input(w, m, to_host, &n_host))
				continue;
			peer = route_lookup_v6(w->routes, ip6->dst_addr);
		} else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			arp_input(w, m, to_host, &n_host);
			continue;
		} else {
			worker_drop(w, m, STATS_DROP_UNHANDLED, -1);
			continue;
		}
		if (unlikely(peer == ROUTE_NONE || (unsigned)peer >= w->n_peers)) {
			worker_drop(w, m, STATS_DROP_NO_ROUTE, -1);
			continue;
		}
		/* Another worker owns this peer's outbound SA (its sequence). */
		if (w->n_workers > 1 && w->peer_owner[peer] != w->index) {
			worker_handoff(w, w->peer_owner[peer], m, WORKER_HANDOFF_INSIDE);
			continue;
		}
		struct sa_out *sa = w->peers[peer].sa_out;

		/* an IKEv2 peer without a CHILD_SA, or a peer index being
		 * freed by a runtime change */
		if (unlikely(sa == NULL)) {
			worker_drop(w, m, STATS_DROP_PEER_DOWN, peer);
			continue;
		}
		if (unlikely(m->pkt_len - sizeof(*eth) > sa->mtu)) {
			too_big(w, m, sa, to_host, &n_host);
			continue;
		}
		rte_pktmbuf_adj(m, sizeof(*eth));
		if (unlikely(inner_trim(m) != 0)) {
			worker_drop(w, m, STATS_DROP_MALFORMED, peer);
			continue;
		}
		/* Resolve before encrypting: no AEAD pass for a packet that
		 * cannot leave. */
		if (likely(hop_known && sa->next_hop == hop_ip)) {
			macs[n_esp] = hop_mac;
		} else if (unlikely(neigh_lookup(w->neigh, sa->next_hop, &macs[n_esp]) != 0)) {
			/* the housekeeping pass asks, rate limited */
			w->next_housekeeping = 0;
			worker_drop(w, m, STATS_DROP_NO_NEIGH, peer);
			continue;
		} else {
			hop_ip = sa->next_hop;
			hop_mac = macs[n_esp];
			hop_known = true;
		}
		uint32_t inner_len = m->pkt_len;
		int rc = esp_outb_prepare(sa, m, &ops[n_esp]);
		if (unlikely(rc != STATS_OK)) {
			worker_drop(w, m, rc, peer);
			continue;
		}
		w->stats->peer[peer].tx_pkts++;
		w->stats->peer[peer].tx_bytes += inner_len;
		sas[n_esp] = sa;
		esp[n_esp++] = m;
	}
	if (n_esp) {
		worker_stage(w, STATS_STAGE_CRYPTO);
		aead_encrypt_burst(w->aead, ops, n_esp);
		worker_stage(w, STATS_STAGE_CLASSIFY);
		for (uint16_t i = 0; i < n_esp; i++) {
			struct rte_ether_hdr *eth = (struct rte_ether_hdr *)
				rte_pktmbuf_prepend(esp[i], sizeof(*eth));

			if (unlikely(eth == NULL || ops[i].status != AEAD_OK)) {
				worker_drop(w, esp[i], STATS_DROP_NO_MBUF, sas[i]->peer);
				esp[i] = NULL;
				continue;
			}
			eth->dst_addr = macs[i];
			eth->src_addr = w->wan_mac;
			eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		}
		/* compact out dropped ones */
		uint16_t k = 0;
		for (uint16_t i = 0; i < n_esp; i++)
			if (esp[i] != NULL)
				esp[k++] = esp[i];
		worker_tx(w, WORKER_PORT_WAN, esp, k);
	}
	worker_handoff_flush(w);
	worker_tx(w, WORKER_PORT_INSIDE, to_host, n_host);
}

/* Keeps every peer's next hop resolved (runs every few tens of ms). */
void worker_resolve_peers(struct worker *w, uint64_t now)
{
	for (unsigned p = 0; p < w->n_peers; p++) {
		struct sa_out *sa = w->peers[p].sa_out;
		struct rte_ether_addr mac;
		struct rte_mbuf *m;

		if (sa == NULL || (w->n_workers > 1 && w->peer_owner[p] != w->index) ||
		    neigh_lookup(w->neigh, sa->next_hop, &mac) == 0)
			continue;
		if (!neigh_want(w->neigh, sa->next_hop, now))
			continue;
		m = rte_pktmbuf_alloc(w->mp);
		if (m == NULL) {
			w->stats->drop[STATS_DROP_NO_MBUF]++;
			continue;
		}
		if (neigh_arp_build_request(m, &w->wan_mac, w->wan_ip, sa->next_hop) != 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		w->stats->event[STATS_EV_ARP_REQUESTED]++;
		worker_tx(w, WORKER_PORT_WAN, &m, 1);
	}
}
