/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * route: rte_lpm (IPv4) and rte_lpm6 (IPv6) with the peer index as next hop.
 *
 * DPDK's LPM tables reject depth 0, so the default route of each family is
 * kept beside the table and used when the table misses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

#include "route.h"

/* Most tbl8 groups an IPv6 prefix can need: one per byte past the first 3. */
#define LPM6_TBL8_PER_RULE 13
#define LPM6_TBL8_MAX (1u << 16)
#define LPM_TBL8_MIN 256

struct route_table {
	struct rte_lpm *v4;
	struct rte_lpm6 *v6;
	int default_v4;         /* peer of 0.0.0.0/0, or ROUTE_NONE */
	int default_v6;         /* peer of ::/0, or ROUTE_NONE */
};

struct route_table *route_create(const char *name, uint32_t max_v4, uint32_t max_v6,
				 int socket_id)
{
	struct rte_lpm_config c4 = { 0 };
	struct rte_lpm6_config c6 = { 0 };
	struct route_table *r;
	char n4[RTE_LPM_NAMESIZE], n6[RTE_LPM6_NAMESIZE];
	uint64_t tbl8s;

	if (name == NULL)
		return NULL;
	/* The LPM names share one namespace per process: suffix them. */
	if ((size_t)snprintf(n4, sizeof(n4), "%s_v4", name) >= sizeof(n4) ||
	    (size_t)snprintf(n6, sizeof(n6), "%s_v6", name) >= sizeof(n6))
		return NULL;

	r = rte_zmalloc_socket("route_table", sizeof(*r), RTE_CACHE_LINE_SIZE, socket_id);
	if (r == NULL)
		return NULL;
	r->default_v4 = ROUTE_NONE;
	r->default_v6 = ROUTE_NONE;

	/* Each prefix longer than /24 may need its own tbl8 group. */
	c4.max_rules = RTE_MAX(max_v4, 1u);
	c4.number_tbl8s = RTE_MAX(max_v4, (uint32_t)LPM_TBL8_MIN);
	r->v4 = rte_lpm_create(n4, socket_id, &c4);
	if (r->v4 == NULL)
		goto fail;

	tbl8s = (uint64_t)max_v6 * LPM6_TBL8_PER_RULE;
	tbl8s = RTE_MAX(tbl8s, (uint64_t)LPM_TBL8_MIN);
	tbl8s = RTE_MIN(tbl8s, (uint64_t)LPM6_TBL8_MAX);
	c6.max_rules = RTE_MAX(max_v6, 1u);
	c6.number_tbl8s = (uint32_t)tbl8s;
	r->v6 = rte_lpm6_create(n6, socket_id, &c6);
	if (r->v6 == NULL)
		goto fail;
	return r;
fail:
	route_free(r);
	return NULL;
}

void route_free(struct route_table *r)
{
	if (r == NULL)
		return;
	rte_lpm_free(r->v4);
	rte_lpm6_free(r->v6);
	rte_free(r);
}

static int check_args(const struct route_table *r, int family, const uint8_t *addr,
		      uint8_t depth)
{
	if (r == NULL || addr == NULL)
		return -EINVAL;
	if (family == AF_INET)
		return depth <= RTE_LPM_MAX_DEPTH ? 0 : -EINVAL;
	if (family == AF_INET6)
		return depth <= RTE_LPM6_MAX_DEPTH ? 0 : -EINVAL;
	return -EINVAL;
}

static uint32_t load_v4_host(const uint8_t *addr)
{
	uint32_t be;

	memcpy(&be, addr, sizeof(be));
	return rte_be_to_cpu_32(be);
}

static int lpm_err(int rc)
{
	if (rc >= 0)
		return 0;
	return rc == -ENOSPC ? -ENOSPC : -EINVAL;
}

int route_add(struct route_table *r, int family, const uint8_t *addr, uint8_t depth,
	      uint16_t peer)
{
	int rc = check_args(r, family, addr, depth);

	if (rc < 0)
		return rc;
	if (family == AF_INET) {
		if (depth == 0) {
			r->default_v4 = peer;
			return 0;
		}
		return lpm_err(rte_lpm_add(r->v4, load_v4_host(addr), depth, peer));
	}
	if (depth == 0) {
		r->default_v6 = peer;
		return 0;
	}
	return lpm_err(rte_lpm6_add(r->v6, addr, depth, peer));
}

int route_del(struct route_table *r, int family, const uint8_t *addr, uint8_t depth)
{
	uint32_t hop;
	int rc = check_args(r, family, addr, depth);

	if (rc < 0)
		return rc;
	if (family == AF_INET) {
		uint32_t ip = load_v4_host(addr);

		if (depth == 0) {
			if (r->default_v4 == ROUTE_NONE)
				return -ENOENT;
			r->default_v4 = ROUTE_NONE;
			return 0;
		}
		/* rte_lpm_delete does not say "absent" distinctly: ask first. */
		if (rte_lpm_is_rule_present(r->v4, ip, depth, &hop) != 1)
			return -ENOENT;
		return rte_lpm_delete(r->v4, ip, depth) < 0 ? -EINVAL : 0;
	}
	if (depth == 0) {
		if (r->default_v6 == ROUTE_NONE)
			return -ENOENT;
		r->default_v6 = ROUTE_NONE;
		return 0;
	}
	if (rte_lpm6_is_rule_present(r->v6, addr, depth, &hop) != 1)
		return -ENOENT;
	return rte_lpm6_delete(r->v6, addr, depth) < 0 ? -EINVAL : 0;
}

int route_lookup_v4(const struct route_table *r, uint32_t dst_be)
{
	uint32_t hop;

	if (likely(rte_lpm_lookup(r->v4, rte_be_to_cpu_32(dst_be), &hop) == 0))
		return (int)hop;
	return r->default_v4;
}

int route_lookup_v6(const struct route_table *r, const uint8_t dst[16])
{
	uint32_t hop;

	if (likely(rte_lpm6_lookup(r->v6, dst, &hop) == 0))
		return (int)hop;
	return r->default_v6;
}
