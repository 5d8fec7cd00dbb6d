/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runtime changes reach the workers through one published pointer and
 * rte_rcu_qsbr (see struct worker_view in worker.h).
 *
 * Worker side: worker_view_refresh() at the start of each poll (one
 * acquire load; a copy only when the generation changed) and
 * rte_rcu_qsbr_quiescent() at the end of each poll in worker_main(). No
 * lock, no system call. Control plane side: build, publish, sync, then
 * free what only older views referenced.
 */
#include <errno.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "worker.h"

struct rte_rcu_qsbr *worker_qsbr_create(unsigned n_workers)
{
	size_t sz;
	struct rte_rcu_qsbr *qs;

	if (n_workers == 0 || n_workers > WORKER_MAX)
		return NULL;
	sz = rte_rcu_qsbr_get_memsize(n_workers);
	qs = rte_zmalloc("worker_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qs == NULL)
		return NULL;
	if (rte_rcu_qsbr_init(qs, n_workers) != 0) {
		rte_free(qs);
		return NULL;
	}
	return qs;
}

void worker_view_refresh(struct worker *w)
{
	const struct worker_view *v = __atomic_load_n(w->view_src, __ATOMIC_ACQUIRE);
	unsigned n;

	if (likely(v == NULL || v->gen == w->view_gen))
		return;
	n = RTE_MAX(w->n_peers, v->n_peers);
	for (unsigned i = 0; i < n && i < STATS_MAX_PEERS; i++)
		w->peers[i].sa_out = i < v->n_peers ? v->sa_out[i] : NULL;
	w->sa_in = v->sa_in;
	w->routes = v->routes;
	w->peer_owner = v->peer_owner;
	w->n_peers = v->n_peers;
	w->view_gen = v->gen;
}

void worker_view_publish(struct worker_view **slot, struct worker_view *v)
{
	__atomic_store_n(slot, v, __ATOMIC_RELEASE);
}

int worker_view_sync(struct rte_rcu_qsbr *qs, unsigned timeout_ms)
{
	uint64_t token, deadline;

	if (qs == NULL)
		return 0;
	token = rte_rcu_qsbr_start(qs);
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;
	while (rte_rcu_qsbr_check(qs, token, false) == 0) {
		struct timespec ts = { 0, 20 * 1000 };

		if (rte_get_timer_cycles() > deadline)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
	return 0;
}
