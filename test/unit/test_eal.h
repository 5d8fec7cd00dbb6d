/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared set-up for unit tests that need DPDK: a small EAL without
 * hugepages or PCI, and a mempool whose in-use count proves no mbuf leaks. */
#ifndef PMDVPN_TEST_EAL_H
#define PMDVPN_TEST_EAL_H

#include <rte_mbuf.h>

/* Initializes the EAL once per process (idempotent). Returns 0 or -1. */
int test_eal_init(void);
/* A packet mempool of n mbufs created once per process. */
struct rte_mempool *test_mempool(unsigned n);
/* An mbuf holding len bytes copied from data, starting at the default headroom. */
struct rte_mbuf *test_mbuf_from(struct rte_mempool *mp, const void *data, uint32_t len);

#endif
