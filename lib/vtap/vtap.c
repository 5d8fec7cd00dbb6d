/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtap: opening the TAP queues, negotiating the virtio-net header and the
 * offloads, and closing. Control plane only.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <net/if_arp.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "vtap.h"

#define TUN_PATH "/dev/net/tun"
#define VTAP_RX_HOLDOFF_US 5

struct vtap_queue *vtap_queue_create(int fd, uint16_t id, struct rte_mempool *mp)
{
	struct vtap_queue *q;

	q = rte_zmalloc("vtap_queue", sizeof(*q), RTE_CACHE_LINE_SIZE);
	if (q == NULL)
		return NULL;
	q->buf = rte_malloc("vtap_buf", VTAP_HDR_LEN + VTAP_FRAME_MAX, RTE_CACHE_LINE_SIZE);
	if (q->buf == NULL) {
		rte_free(q);
		return NULL;
	}
	q->fd = fd;
	q->id = id;
	q->rx_holdoff = rte_get_tsc_hz() / (1000000 / VTAP_RX_HOLDOFF_US);
	q->mp = mp;
	return q;
}

void vtap_queue_free(struct vtap_queue *q)
{
	if (q == NULL)
		return;
	while (q->pend_head != q->pend_tail)
		rte_pktmbuf_free(q->pend[q->pend_head++]);
	if (q->fd >= 0)
		close(q->fd);
	rte_free(q->buf);
	rte_free(q);
}

/* One queue of the TAP: a new fd attached to the interface (the first
 * creates it). */
static int open_queue(const char *ifname, int *fd_out, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, hdrsz = (int)VTAP_HDR_LEN;

	fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", TUN_PATH, strerror(errno));
		return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		snprintf(err, errlen, "TUNSETIFF %s (tap, vnet header, multi-queue): %s", ifname,
			 strerror(e));
		close(fd);
		return -e;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0) {
		int e = errno;
		snprintf(err, errlen, "TUNSETVNETHDRSZ %d: %s", hdrsz, strerror(e));
		close(fd);
		return -e;
	}
	*fd_out = fd;
	return 0;
}

/* TSO and checksum offload are what this is for; USO is a bonus that
 * kernels before 6.2 refuse with EINVAL. Returns the flags set or -errno. */
static int set_offloads(int fd, char *err, size_t errlen)
{
	unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	unsigned want = base | TUN_F_USO4 | TUN_F_USO6;

	if (ioctl(fd, TUNSETOFFLOAD, want) == 0)
		return (int)want;
	if (errno == EINVAL && ioctl(fd, TUNSETOFFLOAD, base) == 0)
		return (int)base;
	snprintf(err, errlen, "TUNSETOFFLOAD (checksum, TSO4, TSO6): %s", strerror(errno));
	return -errno;
}

static int set_mac(const char *ifname, const struct rte_ether_addr *mac, char *err, size_t errlen)
{
	struct ifreq ifr;
	int s, rc = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot set its MAC address: %s", ifname, strerror(errno));
	}
	close(s);
	return rc;
}

int vtap_open(struct vtap *t, const char *ifname, const struct rte_ether_addr *mac,
	      unsigned nb_queues, struct rte_mempool *mp, char *err, size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	if (nb_queues == 0 || nb_queues > VTAP_MAX_QUEUES || strlen(ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "vtap %s: bad arguments (%u queues, at most %u)", ifname,
			 nb_queues, VTAP_MAX_QUEUES);
		return -EINVAL;
	}
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	for (unsigned i = 0; i < nb_queues; i++) {
		int fd = -1;

		rc = open_queue(ifname, &fd, err, errlen);
		if (rc != 0)
			goto fail;
		if (i == 0) {
			rc = set_offloads(fd, err, errlen);
			if (rc < 0) {
				close(fd);
				goto fail;
			}
			t->offloads = (unsigned)rc;
		} else if (ioctl(fd, TUNSETOFFLOAD, t->offloads) < 0) {
			rc = -errno;
			snprintf(err, errlen, "TUNSETOFFLOAD on queue %u: %s", i, strerror(errno));
			close(fd);
			goto fail;
		}
		t->q[i] = vtap_queue_create(fd, (uint16_t)i, mp);
		if (t->q[i] == NULL) {
			close(fd);
			snprintf(err, errlen, "vtap %s: out of memory", ifname);
			rc = -ENOMEM;
			goto fail;
		}
		t->nb_queues = i + 1;
	}
	rc = set_mac(ifname, mac, err, errlen);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	vtap_close(t);
	return rc;
}

void vtap_close(struct vtap *t)
{
	for (unsigned i = 0; i < VTAP_MAX_QUEUES; i++) {
		vtap_queue_free(t->q[i]);
		t->q[i] = NULL;
	}
	t->nb_queues = 0;
}

void vtap_stats_get(const struct vtap *t, struct vtap_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < VTAP_MAX_QUEUES; i++) {
		const struct vtap_stats *s;

		if (t->q[i] == NULL)
			continue;
		s = &t->q[i]->stats;
		sum->rx_frames += s->rx_frames;
		sum->rx_gso += s->rx_gso;
		sum->rx_segs += s->rx_segs;
		sum->rx_csum += s->rx_csum;
		sum->rx_bad += s->rx_bad;
		sum->rx_nombuf += s->rx_nombuf;
		sum->rx_toobig += s->rx_toobig;
		sum->rx_errors += s->rx_errors;
		sum->tx_pkts += s->tx_pkts;
		sum->tx_frames += s->tx_frames;
		sum->tx_gso += s->tx_gso;
		sum->tx_merged += s->tx_merged;
		sum->tx_errors += s->tx_errors;
	}
}
