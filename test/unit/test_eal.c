/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "test_eal.h"

static char runtime_dir[128];

/* The EAL creates /var/run/dpdk/<prefix> even with --no-shconf; a test
 * run must not leave one directory per process behind. */
static void cleanup(void)
{
	rte_eal_cleanup();
	if (runtime_dir[0] != '\0')
		rmdir(runtime_dir);
}

int test_eal_init(void)
{
	static int done;
	char prefix[64];

	if (done)
		return 0;
	/* A file prefix per process: tests run in parallel must not share
	 * a DPDK runtime directory. */
	snprintf(prefix, sizeof(prefix), "--file-prefix=pmdvpn-ut-%d", (int)getpid());
	char *argv[] = { "test", "-l", "0", "--no-huge", "-m", "512", "--no-pci",
			 "--no-shconf", "--no-telemetry", "--log-level=lib.*:error", prefix, NULL };
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;

	if (rte_eal_init(argc, argv) < 0)
		return -1;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(cleanup);
	done = 1;
	return 0;
}

struct rte_mempool *test_mempool(unsigned n)
{
	static struct rte_mempool *mp;

	if (mp == NULL && test_eal_init() == 0)
		mp = rte_pktmbuf_pool_create("test_pool", n, 0, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return mp;
}

struct rte_mbuf *test_mbuf_from(struct rte_mempool *mp, const void *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *p;

	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_append(m, len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (len)
		memcpy(p, data, len);
	return m;
}
