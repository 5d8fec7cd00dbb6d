/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neigh: IPv4 neighbours on the WAN port (ARP cache with retries, static
 * entries, responder) and the packet helpers for the inside port, where
 * pmdvpn answers ARP and IPv6 neighbour solicitations for every address it
 * routes, so the host's routes "dev vpn0" just work.
 *
 * The table belongs to one lcore (the worker that owns the port): no locks.
 * Packet helpers take an mbuf that starts at its Ethernet header and
 * rewrite it in place, so a reply costs no allocation.
 */
#ifndef PMDVPN_NEIGH_H
#define PMDVPN_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define NEIGH_RETRY_MS 1000        /* re-ask an unanswered ARP request this often */
#define NEIGH_FAST_RETRIES 3       /* the first retries come after 100 ms each */

struct neigh_table;

struct neigh_table *neigh_create(const char *name, uint32_t max_entries, int socket_id);
void neigh_free(struct neigh_table *t);

/* Static entry: never expires, never overwritten by ARP. Returns 0 or -errno. */
int neigh_add_static(struct neigh_table *t, uint32_t ip_be, const struct rte_ether_addr *mac);
/* Returns 0 and fills mac if ip is resolved, -1 otherwise. */
int neigh_lookup(const struct neigh_table *t, uint32_t ip_be, struct rte_ether_addr *mac);
/*
 * ip is wanted but unresolved: creates an incomplete entry if needed and
 * returns true when an ARP request should go out now (first time, then
 * rate limited per entry using now_tsc).
 */
bool neigh_want(struct neigh_table *t, uint32_t ip_be, uint64_t now_tsc);
/* Sender of an ARP packet seen: updates the entry if one exists (we asked,
 * or it is refreshing). Static entries are left alone. Never creates entries,
 * so ARP floods cannot fill the table. */
void neigh_learn(struct neigh_table *t, uint32_t ip_be, const struct rte_ether_addr *mac);

/* Visits every entry (for show neigh). state: "static", "reachable", "incomplete". */
typedef void (*neigh_visit_fn)(uint32_t ip_be, const struct rte_ether_addr *mac,
			       const char *state, void *arg);
void neigh_walk(const struct neigh_table *t, neigh_visit_fn fn, void *arg);

/* A parsed ARP packet (Ethernet/IPv4 only). */
struct neigh_arp {
	uint16_t op;                     /* RTE_ARP_OP_REQUEST or RTE_ARP_OP_REPLY */
	struct rte_ether_addr sha;       /* sender hardware address */
	uint32_t sip, tip;               /* sender and target IPv4, network order */
};
/* Validates lengths, hardware/protocol types and sizes. 0 or -1 (malformed). */
int neigh_arp_parse(const struct rte_mbuf *m, struct neigh_arp *out);
/* Turns the ARP request in m into the reply "tip is at mac" in place. */
void neigh_arp_make_reply(struct rte_mbuf *m, const struct rte_ether_addr *mac);
/* Writes a broadcast ARP request for tip into the empty mbuf m. 0 or -1. */
int neigh_arp_build_request(struct rte_mbuf *m, const struct rte_ether_addr *mac,
			    uint32_t sip_be, uint32_t tip_be);

/*
 * IPv6 neighbour solicitation in m (Ethernet/IPv6/ICMPv6 type 135, hop
 * limit 255, valid checksum). Returns 0 and the target address, or -1 if m
 * is not a valid NS.
 */
int neigh_nd_parse_ns(const struct rte_mbuf *m, uint8_t target[16]);
/* Turns the NS in m into a solicited neighbour advertisement for its
 * target with mac as the target link-layer address, in place. 0 or -1. */
int neigh_nd_make_na(struct rte_mbuf *m, const struct rte_ether_addr *mac);

#endif
