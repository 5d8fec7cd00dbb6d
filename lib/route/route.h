/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * route: inner destination -> peer (rte_lpm / rte_lpm6), and the inbound
 * source check built on the same table, as WireGuard's allowedips: a packet
 * decrypted from peer P is accepted only if its source address looks up
 * to P.
 */
#ifndef PMDVPN_ROUTE_H
#define PMDVPN_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#define ROUTE_NONE (-1)

struct route_table;

/* max_v4/max_v6: most prefixes of each family. NULL on failure. */
struct route_table *route_create(const char *name, uint32_t max_v4, uint32_t max_v6,
				 int socket_id);
void route_free(struct route_table *r);

/* addr in network order (4 or 16 bytes). Host bits are ignored. Returns 0
 * or a negative errno (-EINVAL bad family/depth, -ENOSPC). Adding a prefix
 * that exists replaces its peer. */
int route_add(struct route_table *r, int family, const uint8_t *addr, uint8_t depth,
	      uint16_t peer);
int route_del(struct route_table *r, int family, const uint8_t *addr, uint8_t depth);

/* Longest-prefix match; peer index or ROUTE_NONE. */
int route_lookup_v4(const struct route_table *r, uint32_t dst_be);
int route_lookup_v6(const struct route_table *r, const uint8_t dst[16]);

/* Inbound policy: is this inner source one of peer's subnets? */
static inline bool route_src_ok_v4(const struct route_table *r, uint32_t src_be, uint16_t peer)
{
	return route_lookup_v4(r, src_be) == (int)peer;
}
static inline bool route_src_ok_v6(const struct route_table *r, const uint8_t src[16],
				   uint16_t peer)
{
	return route_lookup_v6(r, src) == (int)peer;
}

#endif
