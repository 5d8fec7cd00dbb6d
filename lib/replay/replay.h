/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay: the ESP anti-replay window as an RFC 6479 bitmap, and 64-bit
 * extended sequence number (ESN) reconstruction per RFC 4303 appendix A.
 *
 * Pure functions over caller-owned memory: no allocation, no locks. A
 * window belongs to one lcore. The data path calls replay_check() before
 * decrypting (cheap reject of replays without spending an AEAD pass) and
 * replay_update() only after the ICV verified, so forged packets can never
 * move the window.
 */
#ifndef PMDVPN_REPLAY_H
#define PMDVPN_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPLAY_WINDOW_MAX 65536u    /* largest configurable window */
#define REPLAY_WINDOW_DEFAULT 1024u

struct replay_window {
	uint64_t top;      /* highest sequence number accepted so far (0: none) */
	uint32_t size;     /* window size in packets; 0 disables anti-replay (test only) */
	uint32_t nblocks;  /* number of 64-bit bitmap blocks, a power of two */
	uint64_t bitmap[]; /* RFC 6479 ring of blocks */
};

/* Bytes needed for a window of `size` packets (size <= REPLAY_WINDOW_MAX). */
size_t replay_window_memsize(uint32_t size);
/* Initializes a window of `size` packets in memory of replay_window_memsize(size)
 * bytes. Returns 0, or -1 if size is too large. */
int replay_window_init(struct replay_window *w, uint32_t size);

/*
 * The 64-bit sequence number a received packet carries, from its low 32
 * bits. Without ESN that is just seq_low. With ESN, RFC 4303 appendix A:
 * the high half is guessed from the window position (it may be one more or
 * one less than the top's); the ICV check decides whether the guess was
 * right, because the high bits are part of the AAD.
 */
uint64_t replay_infer_seq(const struct replay_window *w, uint32_t seq_low, bool esn);

/* Is `seq` acceptable (not zero, not seen, not behind the window)? Does not modify. */
bool replay_check(const struct replay_window *w, uint64_t seq);

/*
 * Records `seq` as received; call only after the ICV verified. Returns 0,
 * or -1 if seq is (now) a replay or too old, in which case the packet must
 * be dropped (two copies may pass replay_check in one burst).
 */
int replay_update(struct replay_window *w, uint64_t seq);

#endif
