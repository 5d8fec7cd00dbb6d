/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Anti-replay window (RFC 6479) and ESN inference (RFC 4303 appendix A).
 *
 * The bitmap is a ring of nblocks 64-bit blocks; sequence number s lives in
 * bit (s & 63) of block ((s >> 6) & (nblocks - 1)). The ring holds at least
 * size + 64 bits, so every number in [top - size + 1, top] has its own bit
 * even when the window bottom and the top sit in partial blocks at both
 * ends. When the top moves up, only the blocks it enters are cleared (at
 * most nblocks of them), so an update costs O(1) amortised and never more
 * than O(window), however far the sequence jumps.
 */
#include "replay.h"

/* Local branch hints: this library has no DPDK dependency. */
#define replay_unlikely(x) __builtin_expect(!!(x), 0)

#define REPLAY_BLOCK_BITS 64u
#define REPLAY_BLOCK_SHIFT 6u

/* Number of ring blocks for a window: the smallest power of two holding
 * size + 64 bits. 0 when anti-replay is off. */
static uint32_t replay_nblocks(uint32_t size)
{
	uint32_t need, n = 1;

	if (size == 0)
		return 0;
	need = (size + REPLAY_BLOCK_BITS - 1) / REPLAY_BLOCK_BITS + 1;
	while (n < need)
		n <<= 1;
	return n;
}

size_t replay_window_memsize(uint32_t size)
{
	if (size > REPLAY_WINDOW_MAX)
		size = REPLAY_WINDOW_MAX;
	return sizeof(struct replay_window) +
	       (size_t)replay_nblocks(size) * sizeof(uint64_t);
}

int replay_window_init(struct replay_window *w, uint32_t size)
{
	uint32_t i;

	if (w == NULL || size > REPLAY_WINDOW_MAX)
		return -1;
	w->top = 0;
	w->size = size;
	w->nblocks = replay_nblocks(size);
	for (i = 0; i < w->nblocks; i++)
		w->bitmap[i] = 0;
	return 0;
}

uint64_t replay_infer_seq(const struct replay_window *w, uint32_t seq_low, bool esn)
{
	uint32_t tl, th, win, bottom;

	if (!esn)
		return seq_low;

	tl = (uint32_t)w->top;
	th = (uint32_t)(w->top >> 32);
	/*
	 * Without a window there is nothing to anchor the guess but the top:
	 * take the candidate nearest to it (a half-space "window"), so that
	 * mild reordering still decodes.
	 */
	win = w->size != 0 ? w->size : (1u << 31);
	bottom = tl - win + 1; /* mod 2^32 */

	if (tl >= win - 1) {
		/* Case A: the window lies within one 2^32 subspace. */
		if (seq_low >= bottom)
			return ((uint64_t)th << 32) | seq_low;
		/* Below the window: from the next subspace, unless there is
		 * none (the ICV check and replay_check then reject it). */
		if (th == UINT32_MAX)
			return ((uint64_t)th << 32) | seq_low;
		return ((uint64_t)(th + 1) << 32) | seq_low;
	}
	/* Case B: the window straddles the start of subspace th. */
	if (seq_low >= bottom && th != 0)
		return ((uint64_t)(th - 1) << 32) | seq_low;
	/* With th == 0 there is no previous subspace: a high seq_low is
	 * simply ahead of the top in subspace 0. */
	return ((uint64_t)th << 32) | seq_low;
}

static inline uint64_t replay_bit(uint64_t seq)
{
	return 1ull << (seq & (REPLAY_BLOCK_BITS - 1));
}

static inline uint32_t replay_block(const struct replay_window *w, uint64_t seq)
{
	return (uint32_t)(seq >> REPLAY_BLOCK_SHIFT) & (w->nblocks - 1);
}

bool replay_check(const struct replay_window *w, uint64_t seq)
{
	if (replay_unlikely(seq == 0))
		return false;
	if (w->size == 0 || seq > w->top)
		return true;
	if (w->top - seq >= w->size)
		return false; /* behind the window */
	return (w->bitmap[replay_block(w, seq)] & replay_bit(seq)) == 0;
}

/* Moves the top up to seq, clearing the ring blocks the window enters. */
static void replay_advance(struct replay_window *w, uint64_t seq)
{
	uint64_t old_idx = w->top >> REPLAY_BLOCK_SHIFT;
	uint64_t new_idx = seq >> REPLAY_BLOCK_SHIFT;
	uint64_t n = new_idx - old_idx, i;

	/* Past nblocks blocks every block is stale: clear each once. */
	if (n > w->nblocks)
		n = w->nblocks;
	for (i = 1; i <= n; i++)
		w->bitmap[(old_idx + i) & (w->nblocks - 1)] = 0;
	w->top = seq;
}

int replay_update(struct replay_window *w, uint64_t seq)
{
	uint64_t *blk;

	if (replay_unlikely(seq == 0))
		return -1;
	if (replay_unlikely(w->size == 0)) {
		/* No bitmap, but the top still drives ESN inference. */
		if (seq > w->top)
			w->top = seq;
		return 0;
	}
	if (seq > w->top) {
		replay_advance(w, seq);
	} else if (replay_unlikely(w->top - seq >= w->size)) {
		return -1;
	}
	blk = &w->bitmap[replay_block(w, seq)];
	if (replay_unlikely(*blk & replay_bit(seq)))
		return -1;
	*blk |= replay_bit(seq);
	return 0;
}
