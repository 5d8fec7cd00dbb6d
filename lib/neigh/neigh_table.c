/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neigh_table: the IPv4 neighbour cache of one port. An rte_hash maps the
 * address to an index in a fixed array; entries are never removed, so the
 * array only grows up to max_entries and an index stays valid for ever.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "neigh.h"

/* Delay before each of the first NEIGH_FAST_RETRIES retries. */
#define NEIGH_FAST_RETRY_MS 100

enum neigh_state {
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_STATIC,
};

struct neigh_entry {
	uint32_t ip;                    /* network order */
	struct rte_ether_addr mac;
	uint8_t state;                  /* enum neigh_state */
	uint32_t retries;               /* requests sent after the first one */
	uint64_t last_request_tsc;
};

struct neigh_table {
	struct rte_hash *hash;          /* ip -> index in entries[] */
	uint32_t n_used;
	uint32_t max_entries;
	uint64_t fast_retry_tsc;
	uint64_t retry_tsc;
	struct neigh_entry entries[];
};

static const char *const state_names[] = {
	[NEIGH_INCOMPLETE] = "incomplete",
	[NEIGH_REACHABLE] = "reachable",
	[NEIGH_STATIC] = "static",
};

struct neigh_table *neigh_create(const char *name, uint32_t max_entries, int socket_id)
{
	struct rte_hash_parameters hp = { 0 };
	struct neigh_table *t;
	size_t size;

	if (name == NULL || max_entries == 0 || max_entries > (1u << 24))
		return NULL;
	size = sizeof(*t) + (size_t)max_entries * sizeof(t->entries[0]);
	t = rte_zmalloc_socket("neigh_table", size, RTE_CACHE_LINE_SIZE, socket_id);
	if (t == NULL)
		return NULL;

	/* Twice the slots we use: a cuckoo hash filled to the brim can fail
	 * an insert, and the array, not the hash, is the limit. */
	hp.name = name;
	hp.entries = RTE_MAX(max_entries * 2, 16u);
	hp.key_len = sizeof(uint32_t);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = socket_id;
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL) {
		rte_free(t);
		return NULL;
	}
	t->max_entries = max_entries;
	t->fast_retry_tsc = rte_get_tsc_hz() * NEIGH_FAST_RETRY_MS / 1000;
	t->retry_tsc = rte_get_tsc_hz() * NEIGH_RETRY_MS / 1000;
	return t;
}

void neigh_free(struct neigh_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t);
}

static struct neigh_entry *find(const struct neigh_table *t, uint32_t ip_be)
{
	void *data;

	if (rte_hash_lookup_data(t->hash, &ip_be, &data) < 0)
		return NULL;
	return (struct neigh_entry *)&t->entries[(uintptr_t)data];
}

/* A new incomplete entry, or NULL if the table is full. */
static struct neigh_entry *insert(struct neigh_table *t, uint32_t ip_be)
{
	uint32_t idx = t->n_used;
	struct neigh_entry *e;

	if (unlikely(idx >= t->max_entries))
		return NULL;
	if (unlikely(rte_hash_add_key_data(t->hash, &ip_be, (void *)(uintptr_t)idx) < 0))
		return NULL;
	e = &t->entries[idx];
	memset(e, 0, sizeof(*e));
	e->ip = ip_be;
	e->state = NEIGH_INCOMPLETE;
	t->n_used++;
	return e;
}

/* Broadcast, multicast and all-zero addresses are never a neighbour's. */
static bool mac_usable(const struct rte_ether_addr *mac)
{
	return !rte_is_multicast_ether_addr(mac) && !rte_is_zero_ether_addr(mac);
}

int neigh_add_static(struct neigh_table *t, uint32_t ip_be, const struct rte_ether_addr *mac)
{
	struct neigh_entry *e;

	if (t == NULL || mac == NULL || !mac_usable(mac))
		return -EINVAL;
	e = find(t, ip_be);
	if (e == NULL)
		e = insert(t, ip_be);
	if (e == NULL)
		return -ENOSPC;
	rte_ether_addr_copy(mac, &e->mac);
	e->state = NEIGH_STATIC;
	e->retries = 0;
	return 0;
}

int neigh_lookup(const struct neigh_table *t, uint32_t ip_be, struct rte_ether_addr *mac)
{
	const struct neigh_entry *e = find(t, ip_be);

	if (e == NULL || e->state == NEIGH_INCOMPLETE)
		return -1;
	rte_ether_addr_copy(&e->mac, mac);
	return 0;
}

bool neigh_want(struct neigh_table *t, uint32_t ip_be, uint64_t now_tsc)
{
	struct neigh_entry *e = find(t, ip_be);
	uint64_t wait;

	if (e == NULL) {
		e = insert(t, ip_be);
		if (e == NULL)
			return false;
		e->last_request_tsc = now_tsc;
		return true;
	}
	if (e->state != NEIGH_INCOMPLETE)
		return false;
	/* The clock went back (another lcore's TSC?): restart the wait. */
	if (unlikely(now_tsc < e->last_request_tsc)) {
		e->last_request_tsc = now_tsc;
		return false;
	}
	wait = e->retries < NEIGH_FAST_RETRIES ? t->fast_retry_tsc : t->retry_tsc;
	if (now_tsc - e->last_request_tsc < wait)
		return false;
	e->last_request_tsc = now_tsc;
	if (e->retries < UINT32_MAX)
		e->retries++;
	return true;
}

void neigh_learn(struct neigh_table *t, uint32_t ip_be, const struct rte_ether_addr *mac)
{
	struct neigh_entry *e = find(t, ip_be);

	if (e == NULL || e->state == NEIGH_STATIC || !mac_usable(mac))
		return;
	rte_ether_addr_copy(mac, &e->mac);
	e->state = NEIGH_REACHABLE;
	e->retries = 0;
}

void neigh_walk(const struct neigh_table *t, neigh_visit_fn fn, void *arg)
{
	uint32_t i;

	for (i = 0; i < t->n_used; i++) {
		const struct neigh_entry *e = &t->entries[i];

		fn(e->ip, &e->mac, state_names[e->state], arg);
	}
}
