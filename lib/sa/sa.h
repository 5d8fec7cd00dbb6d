/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sa: security associations at run time.
 *
 *   struct sa_out  one per peer, owned by one worker lcore: next sequence
 *                  number, key, outer header template.
 *   struct sa_in   one per inbound SPI, owned by one worker lcore: key,
 *                  replay window.
 *   struct sa_table  SPI -> sa_in (rte_hash), read by workers.
 *   struct sa_seqstate  the state file that keeps each static-key outbound
 *                  SA's sequence high-water mark across restarts, so no
 *                  (key, nonce) pair is ever used twice.
 *
 * Sequence numbers are reserved ahead in blocks: the control plane writes
 * and fsyncs "this SPI may use sequence numbers up to N" before publishing
 * N in sa_out.seq_limit; the worker stops sending at seq_limit. After a
 * crash the gateway restarts above N, wasting at most one block.
 */
#ifndef PMDVPN_SA_H
#define PMDVPN_SA_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "aead.h"
#include "replay.h"

#define SA_SALT_LEN 4
#define SA_SEQ_BLOCK (1ull << 20)  /* sequence numbers reserved per state-file write */

struct sa_out {
	/* hot: touched for every packet */
	uint64_t seq;              /* last sequence number used; the next is seq + 1 */
	uint64_t seq_limit;        /* highest reserved number (atomic: written by control plane) */
	uint64_t seq_max;          /* UINT32_MAX without ESN, UINT64_MAX with */
	struct aead_key *key;
	uint32_t spi;              /* host order */
	uint8_t salt[SA_SALT_LEN];
	uint8_t esn;
	uint8_t udp_encap;         /* ESP in UDP (RFC 3948) or plain IP protocol 50 */
	uint16_t peer;             /* index into the peer list / stats */
	uint32_t src_ip, dst_ip;   /* outer addresses, network order */
	uint16_t sport, dport;     /* outer UDP ports, network order */
	uint32_t next_hop;         /* WAN next hop for dst_ip, network order */
	uint16_t mtu;              /* largest inner packet that fits the WAN MTU */
	enum aead_alg alg;
	bool exhausted_logged;     /* control plane: said once that it stopped */
} __rte_cache_aligned;

struct sa_in {
	struct aead_key *key;
	uint32_t spi;              /* host order */
	uint8_t salt[SA_SALT_LEN];
	uint8_t esn;
	uint16_t peer;
	enum aead_alg alg;
	struct replay_window *replay; /* allocated with the SA, same cache lines follow */
} __rte_cache_aligned;

/*
 * keymat is the key followed by the 4-byte salt (aead_key_len(alg) + 4
 * bytes), as in the config file. Returns NULL on bad arguments or no
 * memory. Key material is copied and wiped on free.
 */
struct sa_out *sa_out_create(enum aead_impl impl, enum aead_alg alg, uint32_t spi,
			     const uint8_t *keymat, size_t keymat_len, bool esn);
void sa_out_free(struct sa_out *sa);

struct sa_in *sa_in_create(enum aead_impl impl, enum aead_alg alg, uint32_t spi,
			   const uint8_t *keymat, size_t keymat_len, bool esn,
			   uint32_t replay_window);
void sa_in_free(struct sa_in *sa);

/*
 * Outbound sequence number for the next packet, or 0 if the SA may not
 * send (limit reached or not yet reserved). Worker side, no atomics beyond
 * an acquire load of seq_limit.
 */
static inline uint64_t sa_out_next_seq(struct sa_out *sa)
{
	uint64_t limit = __atomic_load_n(&sa->seq_limit, __ATOMIC_ACQUIRE);

	if (unlikely(sa->seq >= limit || sa->seq >= sa->seq_max))
		return 0;
	return ++sa->seq;
}

/* SPI -> inbound SA. Lookups are safe from workers while nobody writes. */
struct sa_table;
struct sa_table *sa_table_create(const char *name, uint32_t max_entries, int socket_id);
void sa_table_free(struct sa_table *t);
/* Returns 0, -EEXIST if the SPI is taken, -ENOSPC when full. */
int sa_table_add(struct sa_table *t, struct sa_in *sa);
int sa_table_del(struct sa_table *t, uint32_t spi);
struct sa_in *sa_table_lookup(const struct sa_table *t, uint32_t spi);
/* Looks up n (<= 64) SPIs at once; misses are NULL. */
void sa_table_lookup_bulk(const struct sa_table *t, const uint32_t *spis,
			  unsigned n, struct sa_in **out);

/* The sequence-number state file. */
struct sa_seqstate;
/*
 * Opens (creating if absent) the state file at path. Fails with a message
 * in err if it cannot be created, read or written (a gateway must then
 * refuse to start static-key SAs).
 */
struct sa_seqstate *sa_seqstate_open(const char *path, char *err, size_t errlen);
void sa_seqstate_close(struct sa_seqstate *s);
/* Highest sequence number ever reserved for this outbound SPI (0 if none). */
uint64_t sa_seqstate_get(const struct sa_seqstate *s, uint32_t spi);
/* Durably records that spi may use numbers up to `upto` (write, fsync,
 * rename, fsync dir). Returns 0 or -errno. */
int sa_seqstate_reserve(struct sa_seqstate *s, uint32_t spi, uint64_t upto);

/*
 * Control plane: start an SA from the state file (seq = stored mark, so
 * nothing below it is reused) and reserve the first block. Returns 0 or
 * -errno.
 */
int sa_out_restore(struct sa_seqstate *s, struct sa_out *sa);
/*
 * Control plane, called periodically: when fewer than half a block of
 * reserved numbers is left, reserve the next block and publish it.
 * Returns 1 if the SA is exhausted (never sends again), 0 otherwise, or
 * -errno if the state file failed (the SA then stops at its limit).
 */
int sa_out_maintain(struct sa_seqstate *s, struct sa_out *sa);

#endif
