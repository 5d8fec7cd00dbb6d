/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "port.h"

#define POOL_MIN 2047u
#define POOL_CACHE 256u

struct rte_mempool *port_mempool_create(const char *name, unsigned want, int socket_id,
					char *err, size_t errlen)
{
	struct rte_malloc_socket_stats st;
	size_t elt = sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE + 128; /* + header overhead */
	unsigned n = want;
	int sock = socket_id == SOCKET_ID_ANY ? 0 : socket_id;
	struct rte_mempool *mp;

	/* Use at most half of what the heap has free, so the rest of DPDK
	 * (rings, hash tables, LPM) still fits with -m 512 and no hugepages. */
	if (rte_malloc_get_socket_stats(sock, &st) == 0 && st.heap_freesz_bytes > 0) {
		size_t fit = st.heap_freesz_bytes / 2 / elt;
		if (fit < n)
			n = (unsigned)fit;
	}
	/* mempools are most efficient at 2^q - 1 elements */
	while (n > POOL_MIN && ((n + 1) & n) != 0)
		n--;
	if (n < POOL_MIN) {
		snprintf(err, errlen, "not enough memory for %u mbufs (give the EAL more with -m)", POOL_MIN);
		return NULL;
	}
	mp = rte_pktmbuf_pool_create(name, n, POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket_id);
	if (mp == NULL)
		snprintf(err, errlen, "mempool of %u mbufs: %s", n, rte_strerror(rte_errno));
	return mp;
}

int port_probe(const char *devargs, uint16_t *port_id, char *err, size_t errlen)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	size_t len = strcspn(devargs, ",");
	int rc;

	if (len == 0 || len >= sizeof(name)) {
		snprintf(err, errlen, "bad device arguments '%s'", devargs);
		return -EINVAL;
	}
	memcpy(name, devargs, len);
	name[len] = '\0';
	/* A vdev name ("net_af_packet0") gets created; a PCI address is probed.
	 * rte_dev_probe() wants "bus:devargs" only for ambiguous names. */
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	rc = rte_dev_probe(devargs);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create device '%s': %s", devargs, rte_strerror(-rc));
		return rc;
	}
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		snprintf(err, errlen, "device '%s' created but no ethdev port named '%s'", devargs, name);
		return -ENODEV;
	}
	return 0;
}

int port_start(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *mp, uint16_t mtu,
	       char *err, size_t errlen)
{
	struct rte_eth_conf pconf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = PORT_RX_DESC, nb_txd = PORT_TX_DESC;
	int socket = rte_eth_dev_socket_id(port_id);
	int rc;

	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		goto fail;
	if (nb_queues > info.max_rx_queues || nb_queues > info.max_tx_queues) {
		snprintf(err, errlen, "port %u: %u queues wanted, device has %u rx / %u tx",
			 port_id, nb_queues, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		pconf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	rc = rte_eth_dev_configure(port_id, nb_queues, nb_queues, &pconf);
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		goto fail;
	if (mtu != 0) {
		rc = rte_eth_dev_set_mtu(port_id, mtu);
		if (rc != 0 && rc != -ENOTSUP)
			goto fail;
	}
	for (uint16_t q = 0; q < nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, socket < 0 ? 0 : socket, NULL, mp);
		if (rc != 0)
			goto fail;
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, socket < 0 ? 0 : socket, NULL);
		if (rc != 0)
			goto fail;
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "port %u: set-up failed: %s", port_id, rte_strerror(rc < 0 ? -rc : rc));
	return rc < 0 ? rc : -rc;
}

void port_close(uint16_t port_id)
{
	struct rte_eth_dev_info info;
	char name[RTE_DEV_NAME_MAX_LEN];

	if (!rte_eth_dev_is_valid_port(port_id))
		return;
	name[0] = '\0';
	if (rte_eth_dev_info_get(port_id, &info) == 0 && info.device != NULL)
		snprintf(name, sizeof(name), "%s", rte_dev_name(info.device));
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	/* A closed vdev still exists on its bus; remove it so a net_tap's
	 * kernel interface (and routes) go away now, not at exit. */
	if (name[0] != '\0' && strncmp(name, "net_", 4) == 0)
		rte_eal_hotplug_remove("vdev", name);
}
