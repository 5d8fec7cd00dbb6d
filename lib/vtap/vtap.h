/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtap: the exception path to the host kernel as a TAP that pmdvpn opens
 * itself, with a virtio-net header and offloads (IFF_VNET_HDR,
 * TUNSETOFFLOAD: checksum, TSO4/6, USO4/6 where the kernel has them).
 *
 * The kernel then hands over TCP/UDP super-packets of up to 64 KB in one
 * read, and takes coalesced TCP super-packets back in one write: one
 * syscall per ~40 packets instead of one per packet (DPDK's net_tap).
 *
 *   host -> pmdvpn: vtap_rx_burst() reads frames, segments super-packets
 *     into ordinary single-segment mbufs no larger than gso_size allows
 *     (the kernel's MSS already fits the tunnel MTU), completes partial
 *     checksums, and returns Ethernet frames exactly as net_tap does.
 *   pmdvpn -> host: vtap_tx_burst() merges in-order TCP segments of one
 *     flow (IPv4 and IPv6) into one super-packet and writes it with a
 *     virtio-net header (GSO TCPV4/TCPV6, NEEDS_CSUM over the pseudo
 *     header), straight from the mbufs with writev.
 *
 * One queue (one fd, IFF_MULTI_QUEUE) per worker; a queue is used by one
 * lcore only. The segmentation and coalescing are pure functions over
 * buffers and mbufs (vtap_segment, vtap_coalesce) so they are tested
 * without a TAP; the fd I/O is a thin layer over them and works on any fd
 * that keeps message boundaries (a SOCK_SEQPACKET socketpair in tests).
 */
#ifndef PMDVPN_VTAP_H
#define PMDVPN_VTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_net.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define VTAP_MAX_QUEUES 8
/* The virtio-net header pmdvpn negotiates (TUNSETVNETHDRSZ). */
#define VTAP_HDR_LEN ((unsigned)sizeof(struct virtio_net_hdr))
/* Largest frame a read can return: 64 KB of IP plus Ethernet (and a VLAN
 * tag, just in case). */
#define VTAP_FRAME_MAX (65535u + RTE_ETHER_HDR_LEN + 4u)
/* Segments waiting to be returned by vtap_rx_burst (one super-packet with
 * the smallest MSS Linux allows still fits). */
#define VTAP_PEND_MAX 1024u
/* Coalescing: flows open at once in a burst, segments per super-packet. */
#define VTAP_GRO_FLOWS 8u
#define VTAP_GRO_SEGS 64u

/* Kernel headers older than the running kernel may lack these. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

/* Counters of one queue (only its lcore writes them). */
struct vtap_stats {
	uint64_t rx_frames;     /* frames read from the kernel */
	uint64_t rx_gso;        /* of which super-packets (gso_type != NONE) */
	uint64_t rx_segs;       /* packets made of super-packets */
	uint64_t rx_csum;       /* partial checksums completed in software */
	uint64_t rx_bad;        /* malformed virtio-net header or frame: dropped */
	uint64_t rx_nombuf;     /* no mbuf for a frame or its segments: dropped */
	uint64_t rx_toobig;     /* frame or segment larger than an mbuf: dropped */
	uint64_t rx_errors;     /* read() failed (not EAGAIN) */
	uint64_t tx_pkts;       /* packets written (merged ones included) */
	uint64_t tx_frames;     /* frames written */
	uint64_t tx_gso;        /* of which super-packets */
	uint64_t tx_merged;     /* packets that went into super-packets */
	uint64_t tx_errors;     /* packets lost to a failed write (EAGAIN: host not reading) */
};

/* A TCP flow being coalesced (vtap_coalesce's state, one burst long). */
struct vtap_gro_flow {
	struct rte_mbuf *segs[VTAP_GRO_SEGS];
	uint16_t n;
	uint16_t mss;           /* payload of the first segment */
	uint16_t l3, l4, hdr_len; /* offsets from the frame start */
	uint32_t next_seq;      /* host order */
	uint32_t payload;       /* bytes of TCP payload in all segments */
	bool v6;
	bool closed;            /* a short or PSH segment ended it */
};

/* One frame to write: a virtio-net header and the iovecs of its bytes. */
struct vtap_frame {
	struct virtio_net_hdr hdr;
	struct rte_mbuf **pkts; /* the mbufs it is made of (freed after the write) */
	uint16_t n_pkts;
};

struct vtap_queue {
	int fd;
	uint16_t id;
	struct rte_mempool *mp;  /* segments are allocated here */
	uint8_t *buf;            /* read buffer: header + VTAP_FRAME_MAX */
	/* segments made but not yet returned: pend[pend_head, pend_tail) */
	struct rte_mbuf *pend[VTAP_PEND_MAX];
	uint16_t pend_head, pend_tail;
	/* After a read found nothing, the next read waits rx_holdoff TSC
	 * cycles (default 5 us; 0 = never): under load the worker polls
	 * every microsecond or two, and an empty read() costs as much as a
	 * full one. Idle back-off sleeps are longer, so idle latency is not
	 * affected. */
	uint64_t rx_holdoff, rx_next;
	struct vtap_gro_flow flows[VTAP_GRO_FLOWS];
	struct vtap_stats stats;
};

struct vtap {
	char ifname[16];
	unsigned nb_queues;
	unsigned offloads;       /* TUN_F_* the kernel accepted */
	struct vtap_queue *q[VTAP_MAX_QUEUES];
};

/*
 * Creates the TAP `ifname` with nb_queues queues (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR | IFF_MULTI_QUEUE, non-blocking fds), negotiates
 * TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 (required) and TUN_F_USO4/6 (if the
 * kernel has them), and sets the kernel interface's MAC to `mac`. Segments
 * are allocated from mp (single-segment mbufs with the pool's headroom).
 * Returns 0, or -errno with a message in err (nothing is left behind).
 */
int vtap_open(struct vtap *t, const char *ifname, const struct rte_ether_addr *mac,
	      unsigned nb_queues, struct rte_mempool *mp, char *err, size_t errlen);
/* Closes every queue (the interface, its addresses and routes go away),
 * frees pending segments. Safe on a zeroed or half-opened struct. */
void vtap_close(struct vtap *t);

/* A queue on an existing fd (vtap_open uses it; tests pass a socketpair).
 * The fd is owned by the queue from then on. NULL if out of memory. */
struct vtap_queue *vtap_queue_create(int fd, uint16_t id, struct rte_mempool *mp);
void vtap_queue_free(struct vtap_queue *q);

/*
 * Up to n Ethernet frames from the host, each a single-segment mbuf.
 * Super-packets are segmented; segments that do not fit in this burst are
 * returned by the next call. Bad frames are counted in q->stats and
 * dropped. Never blocks.
 */
uint16_t vtap_rx_burst(struct vtap_queue *q, struct rte_mbuf **pkts, uint16_t n);

/*
 * Writes n Ethernet frames to the host, coalescing TCP segments. Takes
 * every mbuf (written or dropped, all are freed). Returns how many were
 * written and adds their bytes to *bytes; the rest were dropped (counted
 * in q->stats.tx_errors).
 */
uint16_t vtap_tx_burst(struct vtap_queue *q, struct rte_mbuf **pkts, uint16_t n,
		       uint64_t *bytes);

/* Sums the counters of every queue. */
void vtap_stats_get(const struct vtap *t, struct vtap_stats *sum);

/* ---- the pure parts (no fd), exposed for tests ---- */

/*
 * Turns one frame read from the TAP (vh, then frame[0..len)) into
 * single-segment mbufs from mp: one for a plain frame, one per gso_size
 * chunk for a super-packet, with lengths, IPv4 ids, TCP sequence numbers
 * and flags (FIN/PSH on the last only, CWR on the first only) and every
 * checksum fixed. Returns the number of mbufs put in out (at most max), or
 * 0 if the frame was dropped; the cause is counted in st.
 */
unsigned vtap_segment(const struct virtio_net_hdr *vh, const uint8_t *frame, uint32_t len,
		      struct rte_mempool *mp, struct rte_mbuf **out, unsigned max,
		      struct vtap_stats *st);

/*
 * Groups a burst into frames to write, in order per flow: in-order TCP
 * segments of one flow (same addresses, ports, ack, window, options, only
 * ACK/PSH flags, checksum verified) become one super-packet whose first
 * mbuf's headers are rewritten (lengths, IPv4 header checksum, TCP
 * checksum = pseudo-header partial sum) and whose header says GSO
 * TCPV4/TCPV6 + NEEDS_CSUM; everything else is a frame of its own with a
 * zero header. `frames` needs room for n entries, `order` for n mbuf
 * pointers (the frames' pkts point into it). Returns the frame count.
 */
unsigned vtap_coalesce(struct vtap_queue *q, struct rte_mbuf **pkts, uint16_t n,
		       struct vtap_frame *frames, struct rte_mbuf **order);

/* The iovecs of a frame: the header, then the first mbuf whole, then the
 * payload of each further one. Returns the count (<= max), 0 if max is
 * too small. */
unsigned vtap_frame_iov(struct vtap_frame *f, struct iovec *iov, unsigned max);

#endif
