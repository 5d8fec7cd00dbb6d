/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WAN input: classify a burst, answer ARP and ICMP echo in place, and run
 * ESP inbound on the rest with one AEAD batch: prepare (SPI lookup, replay
 * pre-check) -> decrypt -> finish (ICV, replay update, trailer, decap) ->
 * inner source policy -> to the host. With wan-kernel, what is not ours
 * (neither VPN nor answered here) goes to the host kernel's "wan0".
 */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "esp.h"
#include "esp_wire.h"
#include "worker.h"

enum wan_class { WAN_ESP_UDP, WAN_ESP_RAW, WAN_ARP, WAN_ECHO, WAN_IKE, WAN_KEEPALIVE, WAN_OTHER,
		 WAN_BAD };

/* spi: set for the ESP classes when the header is there (network order),
 * else 0: the owner of a packet is known before any work is done on it. */
static enum wan_class classify(const struct worker *w, struct rte_mbuf *m, uint32_t *spi)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint32_t len = rte_pktmbuf_data_len(m), ihl;

	if (unlikely(len < sizeof(*eth)))
		return WAN_BAD;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return WAN_ARP;
	if (unlikely(eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4)))
		return WAN_OTHER;
	if (unlikely(len < sizeof(*eth) + sizeof(*ip)))
		return WAN_BAD;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (ip->version_ihl & 0x0f) * 4u;
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || len < sizeof(*eth) + ihl))
		return WAN_BAD;
	if (ip->dst_addr != w->wan_ip)
		return WAN_OTHER;
	*spi = 0;
	if (ip->next_proto_id == ESP_IPPROTO) {
		if (len >= sizeof(*eth) + ihl + 8)
			*spi = *(const uint32_t *)((const uint8_t *)ip + ihl);
		return WAN_ESP_RAW;
	}
	if (ip->next_proto_id == IPPROTO_ICMP)
		return WAN_ECHO;
	if (ip->next_proto_id != IPPROTO_UDP)
		return WAN_OTHER;
	if (unlikely(len < sizeof(*eth) + ihl + sizeof(*udp)))
		return WAN_BAD;
	udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
	if (udp->dst_port != w->udp_port)
		return udp->dst_port == w->ike_port && w->ike_port != 0 ? WAN_IKE : WAN_OTHER;
	/* RFC 3948: a one-byte 0xff payload is a NAT keepalive; four zero
	 * bytes where the SPI would be mark an IKE message. */
	uint32_t payload = len - (uint32_t)sizeof(*eth) - ihl - (uint32_t)sizeof(*udp);
	const uint8_t *p = (const uint8_t *)(udp + 1);
	if (payload == 1 && p[0] == 0xff)
		return WAN_KEEPALIVE;
	if (payload >= ESP_NON_ESP_MARKER_LEN && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0)
		return WAN_IKE;
	if (payload >= 8)
		*spi = *(const uint32_t *)p;
	return WAN_ESP_UDP;
}

/* Non-VPN WAN traffic: the kernel's (wan-kernel) or a counted drop. */
static inline void to_kernel(struct worker *w, struct rte_mbuf *m, struct rte_mbuf **k,
			     uint16_t *nk)
{
	if (w->wan_kernel)
		k[(*nk)++] = m;
	else
		worker_drop(w, m, STATS_DROP_UNHANDLED, -1);
}

/* Requests for wan_ip are answered here (not copied to the kernel, which
 * would answer them a second time); the rest (replies, gratuitous ARP,
 * others' requests) also feeds the kernel's neighbour table when there is
 * a wan-kernel: it resolves its own next hops through it. */
static void arp_input(struct worker *w, struct rte_mbuf *m, struct rte_mbuf **tx, uint16_t *ntx,
		      struct rte_mbuf **k, uint16_t *nk)
{
	struct neigh_arp a;

	if (neigh_arp_parse(m, &a) != 0) {
		worker_drop(w, m, STATS_DROP_MALFORMED, -1);
		return;
	}
	neigh_learn(w->neigh, a.sip, &a.sha);
	if (w->n_workers > 1)
		worker_share_arp(w, m, WORKER_HANDOFF_WAN_LEARN);
	if (a.op == RTE_ARP_OP_REQUEST && a.tip == w->wan_ip) {
		neigh_arp_make_reply(m, &w->wan_mac);
		w->stats->event[STATS_EV_ARP_REPLIED]++;
		tx[(*ntx)++] = m;
		return;
	}
	/* replies and others' requests: learned what we could */
	if (w->wan_kernel)
		k[(*nk)++] = m;
	else
		rte_pktmbuf_free(m);
}

/* The Ethernet destination of a decrypted packet: the host on a TAP; on a
 * LAN port the inner IPv4 destination's MAC, resolved by ARP (the request
 * is queued on `tx`). Returns 0, or -1 if not resolved yet. */
static int inside_dst_mac(struct worker *w, const struct rte_mbuf *m, struct rte_ether_addr *mac,
			  struct rte_mbuf **tx, uint16_t *ntx)
{
	const struct rte_ipv4_hdr *ip;
	struct rte_mbuf *req;

	if (w->inside_neigh == NULL) {
		*mac = w->host_mac;
		return 0;
	}
	if (!RTE_ETH_IS_IPV4_HDR(m->packet_type))
		return -1; /* no IPv6 neighbour discovery on LAN ports yet */
	ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if (neigh_lookup(w->inside_neigh, ip->dst_addr, mac) == 0)
		return 0;
	if (w->inside_ip != 0 && neigh_want(w->inside_neigh, ip->dst_addr, rte_rdtsc())) {
		req = rte_pktmbuf_alloc(w->mp);
		if (req != NULL && neigh_arp_build_request(req, &w->router_mac, w->inside_ip,
							   ip->dst_addr) == 0) {
			w->stats->event[STATS_EV_ARP_REQUESTED]++;
			tx[(*ntx)++] = req;
		} else {
			rte_pktmbuf_free(req);
		}
	}
	return -1;
}

static void esp_deliver(struct worker *w, struct rte_mbuf *m, const struct sa_in *sa,
			struct rte_mbuf **tx, uint16_t *ntx)
{
	struct rte_ether_addr dst;
	struct rte_ether_hdr *eth;
	bool ok;
	uint16_t type;

	if (RTE_ETH_IS_IPV4_HDR(m->packet_type)) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
		ok = route_src_ok_v4(w->routes, ip->src_addr, sa->peer);
		type = RTE_ETHER_TYPE_IPV4;
	} else {
		const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod(m, const struct rte_ipv6_hdr *);
		ok = route_src_ok_v6(w->routes, ip6->src_addr, sa->peer);
		type = RTE_ETHER_TYPE_IPV6;
	}
	if (unlikely(!ok)) {
		worker_drop(w, m, STATS_DROP_POLICY, sa->peer);
		return;
	}
	if (unlikely(inside_dst_mac(w, m, &dst, tx, ntx) != 0)) {
		worker_drop(w, m, STATS_DROP_NO_NEIGH, sa->peer);
		return;
	}
	w->stats->peer[sa->peer].rx_pkts++;
	w->stats->peer[sa->peer].rx_bytes += m->pkt_len;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	if (unlikely(eth == NULL)) {
		worker_drop(w, m, STATS_DROP_NO_MBUF, sa->peer);
		return;
	}
	eth->dst_addr = dst;
	eth->src_addr = w->router_mac;
	eth->ether_type = rte_cpu_to_be_16(type);
	tx[(*ntx)++] = m;
}

void worker_wan_input(struct worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *esp[WORKER_BURST_MAX], *to_host[2 * WORKER_BURST_MAX], *to_wan[WORKER_BURST_MAX];
	struct rte_mbuf *to_k[WORKER_BURST_MAX];
	struct aead_op ops[WORKER_BURST_MAX];
	struct sa_in *sas[WORKER_BURST_MAX];
	uint64_t seqs[WORKER_BURST_MAX];
	/* The owner check's last SPI: a burst is mostly one SA's packets. */
	const struct sa_in *last_sa = NULL;
	uint32_t last_spi = 0;
	uint16_t n_esp = 0, n_host = 0, n_wan = 0, n_k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int rc;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		uint32_t spi = 0;
		enum wan_class cls = classify(w, m, &spi);

		switch (cls) {
		case WAN_ESP_UDP:
		case WAN_ESP_RAW: {
			int udp = cls == WAN_ESP_UDP;

			/* Another worker owns this SA: its replay window is not ours. */
			if (w->n_workers > 1 && spi != 0) {
				if (spi != last_spi) {
					last_sa = sa_table_lookup(w->sa_in, rte_be_to_cpu_32(spi));
					last_spi = spi;
				}
				if (last_sa != NULL && w->peer_owner[last_sa->peer] != w->index) {
					worker_handoff(w, w->peer_owner[last_sa->peer], m,
						       WORKER_HANDOFF_WAN);
					break;
				}
			}
			rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
			rc = esp_inb_prepare(w->sa_in, m, udp, &ops[n_esp], &sas[n_esp], &seqs[n_esp]);
			if (unlikely(rc != STATS_OK)) {
				worker_drop(w, m, rc, -1);
				break;
			}
			esp[n_esp++] = m;
			break;
		}
		case WAN_ARP:
			arp_input(w, m, to_wan, &n_wan, to_k, &n_k);
			break;
		case WAN_ECHO:
			/* echo requests are answered here; other ICMP (the
			 * replies to the kernel's pings, its errors) is the
			 * kernel's */
			if (icmp_echo_reply(m) == 0) {
				w->stats->event[STATS_EV_ICMP_ECHO]++;
				to_wan[n_wan++] = m;
			} else {
				to_kernel(w, m, to_k, &n_k);
			}
			break;
		case WAN_IKE:
			/* the control plane owns IKE; a full ring is an IKE
			 * flood, shed here */
			if (w->ike_ring == NULL) {
				to_kernel(w, m, to_k, &n_k);
			} else if (rte_ring_mp_enqueue(w->ike_ring, m) == 0) {
				w->stats->event[STATS_EV_IKE]++;
			} else {
				worker_drop(w, m, STATS_DROP_IKE_FULL, -1);
			}
			break;
		case WAN_KEEPALIVE:
			w->stats->event[STATS_EV_NAT_KEEPALIVE]++;
			rte_pktmbuf_free(m);
			break;
		case WAN_OTHER:
			to_kernel(w, m, to_k, &n_k);
			break;
		case WAN_BAD:
			worker_drop(w, m, STATS_DROP_MALFORMED, -1);
			break;
		}
	}
	if (n_esp) {
		worker_stage(w, STATS_STAGE_CRYPTO);
		aead_decrypt_burst(w->aead, ops, n_esp);
		worker_stage(w, STATS_STAGE_CLASSIFY);
		for (uint16_t i = 0; i < n_esp; i++) {
			int rc = esp_inb_finish(sas[i], esp[i], &ops[i], seqs[i]);

			if (unlikely(rc != STATS_OK)) {
				worker_drop(w, esp[i], rc, sas[i]->peer);
				continue;
			}
			esp_deliver(w, esp[i], sas[i], to_host, &n_host);
		}
	}
	worker_handoff_flush(w);
	worker_tx(w, WORKER_PORT_INSIDE, to_host, n_host);
	worker_tx(w, WORKER_PORT_WAN, to_wan, n_wan);
	if (n_k) {
		uint64_t sent = w->stats->port[WORKER_PORT_WAN_KERNEL].tx_pkts;

		worker_tx(w, WORKER_PORT_WAN_KERNEL, to_k, n_k);
		w->stats->event[STATS_EV_TO_KERNEL] +=
			w->stats->port[WORKER_PORT_WAN_KERNEL].tx_pkts - sent;
	}
}
