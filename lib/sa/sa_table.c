/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPI -> inbound SA, an rte_hash keyed by the 32-bit SPI in host order
 * with the sa_in pointer as data.
 *
 * The hash is created with the extendable bucket table, so it always holds
 * max_entries keys however they collide; the table counts its entries to
 * enforce exactly that capacity (rte_hash rounds its size up).
 */
#include <errno.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "sa.h"

struct sa_table {
	struct rte_hash *h;
	uint32_t max_entries;
	uint32_t count;
};

struct sa_table *sa_table_create(const char *name, uint32_t max_entries, int socket_id)
{
	struct rte_hash_parameters p;
	struct sa_table *t;

	if (name == NULL || max_entries == 0 || strlen(name) >= RTE_HASH_NAMESIZE)
		return NULL;
	/* rte_hash names are global per process: refuse a taken one up front */
	if (rte_hash_find_existing(name) != NULL)
		return NULL;
	t = rte_zmalloc_socket("sa_table", sizeof(*t), RTE_CACHE_LINE_SIZE, socket_id);
	if (t == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.name = name;
	/* rte_hash wants at least one full bucket */
	p.entries = RTE_MAX(max_entries, 8u);
	p.key_len = sizeof(uint32_t);
	p.hash_func = rte_hash_crc;
	p.hash_func_init_val = 0;
	p.socket_id = socket_id;
	p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	t->h = rte_hash_create(&p);
	if (t->h == NULL) {
		rte_free(t);
		return NULL;
	}
	t->max_entries = max_entries;
	return t;
}

void sa_table_free(struct sa_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t);
}

int sa_table_add(struct sa_table *t, struct sa_in *sa)
{
	int ret;

	if (t == NULL || sa == NULL)
		return -EINVAL;
	/* rte_hash_add_key_data() would silently replace an existing entry */
	if (rte_hash_lookup(t->h, &sa->spi) >= 0)
		return -EEXIST;
	if (t->count >= t->max_entries)
		return -ENOSPC;
	ret = rte_hash_add_key_data(t->h, &sa->spi, sa);
	if (ret < 0)
		return ret;
	t->count++;
	return 0;
}

int sa_table_del(struct sa_table *t, uint32_t spi)
{
	int32_t pos;

	if (t == NULL)
		return -EINVAL;
	pos = rte_hash_del_key(t->h, &spi);
	if (pos < 0)
		return pos;
	t->count--;
	return 0;
}

struct sa_in *sa_table_lookup(const struct sa_table *t, uint32_t spi)
{
	void *data;

	if (rte_hash_lookup_data(t->h, &spi, &data) < 0)
		return NULL;
	return data;
}

/* One rte_hash bulk call, n <= RTE_HASH_LOOKUP_BULK_MAX. */
static void sa_table_lookup_chunk(const struct sa_table *t, const uint32_t *spis,
				  unsigned n, struct sa_in **out)
{
	const void *keys[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t hits = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		keys[i] = &spis[i];
	if (unlikely(rte_hash_lookup_bulk_data(t->h, keys, n, &hits, data) < 0))
		hits = 0;
	for (i = 0; i < n; i++)
		out[i] = (hits >> i) & 1 ? data[i] : NULL;
}

void sa_table_lookup_bulk(const struct sa_table *t, const uint32_t *spis,
			  unsigned n, struct sa_in **out)
{
	/* The contract is n <= 64; a larger n is still answered in full. */
	while (n > 0) {
		unsigned c = RTE_MIN(n, (unsigned)RTE_HASH_LOOKUP_BULK_MAX);

		sa_table_lookup_chunk(t, spis, c, out);
		spis += c;
		out += c;
		n -= c;
	}
}
