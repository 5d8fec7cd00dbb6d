/* SPDX-License-Identifier: BSD-3-Clause */
/* The run-time side of pmdvpn-perf (needs the EAL and ports): the gen and
 * reflect loops (run.c) and the crypto limit (crypto.c). */
#ifndef PMDVPN_PERF_RUN_H
#define PMDVPN_PERF_RUN_H

#include <signal.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "perf.h"

#define PERF_NO_PORT UINT16_MAX

struct perf_ctx {
	const struct perf_opts *o;
	volatile sig_atomic_t *stop;
	uint64_t hz;
	struct rte_mempool *mp;
	uint16_t tx_port, rx_port, reflect_port; /* PERF_NO_PORT if unused */
	/* counters per port in use, in the order of ports[] */
	struct perf_port_count pc[PERF_MAX_PORTS + 1];
	unsigned n_pc;
	int tx_pc, rx_pc, refl_pc;               /* indexes into pc[] */
	/* generator */
	struct perf_flow *flowtab;
	uint32_t *seq;                           /* next sequence per flow */
	uint64_t *flow_tx;                       /* sent per flow, this phase */
	uint32_t qflow[PERF_MAX_QUEUES];         /* next flow per tx queue */
	uint16_t nq, tx_q, pend_q;               /* queues; next tx queue; pending's */
	uint16_t sizes[PERF_IMIX_LEN];
	unsigned n_sizes, size_i;
	struct rte_mbuf *pending[PERF_MAX_BURST]; /* built, not yet accepted */
	unsigned n_pending;
	uint64_t tx, tx_bytes, alloc_fail, rate_skipped;
	/* receiver */
	struct perf_rx rx;
	/* reflector */
	uint64_t reflected, reflect_bytes, reflect_dropped, reflect_other;
	/* --replay: frames captured on the reflect port, replayed in a loop */
	struct rte_mbuf **cap;
	uint32_t n_cap, cap_want, cap_i;
	bool capturing, replaying;
};

/* Allocates the flow tables; 0 or -1. */
int perf_ctx_init(struct perf_ctx *c, const struct perf_opts *o, volatile sig_atomic_t *stop,
		  uint64_t hz);
void perf_ctx_free(struct perf_ctx *c);

/* Gen mode (a single run, or the --search); fills res. 0 or -1. */
int perf_run_gen(struct perf_ctx *c, struct perf_result *res);
/* Reflect mode on c->reflect_port until the duration or a signal. */
int perf_run_reflect(struct perf_ctx *c, struct perf_result *res);

/* Crypto limit: lib/crypto's aead_encrypt_burst over in-memory buffers.
 * Prints its own summary / JSON. 0, or -1 with a message in err. */
int perf_run_crypto(const struct perf_opts *o, volatile sig_atomic_t *stop, FILE *out,
		    char *err, size_t errlen);

#endif
