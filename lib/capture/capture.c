/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture to pcapng through ethdev RX/TX callbacks.
 *
 * Who touches what:
 *   - the callbacks (on the workers' lcores, inside rte_eth_rx_burst() and
 *     rte_eth_tx_burst()) read cap_taking, copy into cap_mp, enqueue on
 *     cap_ring (multi-producer) and add to the drop counters; nothing else;
 *   - the writer thread (a control thread) dequeues (single consumer),
 *     writes, frees the copies and updates written / complete;
 *   - the control plane (capture_start/stop under cap_lock) owns the rest.
 * The ring, the mempool and the state the callbacks see are created once
 * and never freed, so a callback that is still running when a capture is
 * stopped (a worker preempted mid-burst) only ever touches valid memory;
 * what it may still enqueue is freed by the next start.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pcapng.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "capture.h"

#define CAP_POOL_SIZE 1535u     /* ring + copies on their way: 2^k - 1 */
#define CAP_BURST 32u           /* copies per ring operation, writes per writev */
#define CAP_IDLE_NS 1000000L    /* writer's sleep when the ring is empty */
#define CAP_QUIESCE_MS 1000u    /* longest wait for the workers at stop */

/* One callback installed on one queue. */
struct cap_cb {
	const struct rte_eth_rxtx_callback *cb;
	uint16_t queue;
	bool rx;
};

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;

/* Seen by the callbacks: created once, never freed. */
static struct rte_mempool *cap_mp;
static struct rte_ring *cap_ring;
static uint32_t cap_taking;             /* 1: callbacks copy packets */
static uint64_t cap_drop_ring, cap_drop_nombuf;
/* Wall clock of the packets: TSC and CLOCK_REALTIME read together at
 * start (DPDK 22.11's own conversion in rte_pcapng_copy() is off by years
 * and updates shared state from every caller). */
static uint64_t cap_base_tsc, cap_base_ns, cap_hz;

/* Control plane and writer. */
static struct capture_status cap_st;    /* figures (atomics where shared) */
static bool cap_ever;
static rte_pcapng_t *cap_file;
static pthread_t cap_thread;
static uint32_t cap_stopping;           /* 1: the writer drains and exits */
static struct cap_cb *cap_cbs;
static unsigned cap_n_cbs;
static struct rte_rcu_qsbr *cap_qsbr;
static uint64_t cap_t0_ns;

/* ------------------------------------------------------------ callbacks */

/* Nanoseconds since the epoch at TSC value tsc: whole seconds and the
 * rest apart, so that nothing overflows however long the capture runs. */
static inline uint64_t cap_tsc_to_ns(uint64_t tsc)
{
	uint64_t delta = tsc - cap_base_tsc;

	return cap_base_ns + delta / cap_hz * 1000000000ull +
	       delta % cap_hz * 1000000000ull / cap_hz;
}

/* The Enhanced Packet Block that rte_pcapng_copy() put in front of the
 * copy (pcapng spec: type, length, interface, timestamp high, low). */
static inline void cap_set_time(struct rte_mbuf *c, uint64_t ns)
{
	uint32_t *epb = rte_pktmbuf_mtod(c, uint32_t *);

	epb[3] = (uint32_t)(ns >> 32);
	epb[4] = (uint32_t)ns;
}

/* Copies the burst's packets into the ring. Per packet: one mbuf copy; per
 * chunk: one ring operation; atomics only when something was dropped. */
static void cap_take(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
		     enum rte_pcapng_direction dir)
{
	struct rte_mbuf *copies[CAP_BURST];
	uint64_t ts, ns, nombuf = 0, full = 0;

	if (likely(__atomic_load_n(&cap_taking, __ATOMIC_ACQUIRE) == 0) || n == 0)
		return;
	ts = rte_get_tsc_cycles();
	ns = cap_tsc_to_ns(ts);
	for (uint16_t i = 0; i < n;) {
		unsigned k = 0, sent;

		for (; i < n && k < CAP_BURST; i++) {
			struct rte_mbuf *c = rte_pcapng_copy(port, queue, pkts[i], cap_mp,
							     CAPTURE_SNAPLEN, ts, dir);

			if (unlikely(c == NULL)) {
				nombuf++;
			} else {
				cap_set_time(c, ns);
				copies[k++] = c;
			}
		}
		sent = k ? rte_ring_mp_enqueue_burst(cap_ring, (void **)copies, k, NULL) : 0;
		if (unlikely(sent < k)) {
			rte_pktmbuf_free_bulk(copies + sent, k - sent);
			full += k - sent;
		}
	}
	if (unlikely(nombuf != 0))
		__atomic_fetch_add(&cap_drop_nombuf, nombuf, __ATOMIC_RELAXED);
	if (unlikely(full != 0))
		__atomic_fetch_add(&cap_drop_ring, full, __ATOMIC_RELAXED);
}

static uint16_t cap_rx_cb(uint16_t port, uint16_t queue, struct rte_mbuf *pkts[],
			  uint16_t nb_pkts, uint16_t max_pkts, void *arg)
{
	(void)max_pkts; (void)arg;
	cap_take(port, queue, pkts, nb_pkts, RTE_PCAPNG_DIRECTION_IN);
	return nb_pkts;
}

static uint16_t cap_tx_cb(uint16_t port, uint16_t queue, struct rte_mbuf *pkts[],
			  uint16_t nb_pkts, void *arg)
{
	(void)arg;
	cap_take(port, queue, pkts, nb_pkts, RTE_PCAPNG_DIRECTION_OUT);
	return nb_pkts;
}

/* --------------------------------------------------------------- writer */

static void cap_write(struct rte_mbuf **pkts, unsigned n)
{
	uint64_t written = __atomic_load_n(&cap_st.written, __ATOMIC_RELAXED);
	unsigned take = n;

	/* Past the count: copies that were already on their way are not
	 * drops, just not wanted. */
	if (cap_st.limit != 0)
		take = written >= cap_st.limit ? 0 :
		       (unsigned)RTE_MIN((uint64_t)n, cap_st.limit - written);
	if (take > 0) {
		if (rte_pcapng_write_packets(cap_file, pkts, (uint16_t)take) < 0) {
			__atomic_fetch_add(&cap_st.drop_write, take, __ATOMIC_RELAXED);
			__atomic_store_n(&cap_st.write_errno, rte_errno, __ATOMIC_RELAXED);
		} else {
			written += take;
			__atomic_store_n(&cap_st.written, written, __ATOMIC_RELAXED);
		}
	}
	/* rte_pcapng_write_packets() leaves the mbufs to the caller. */
	rte_pktmbuf_free_bulk(pkts, n);
	if (cap_st.limit != 0 && written >= cap_st.limit &&
	    !__atomic_load_n(&cap_st.complete, __ATOMIC_RELAXED)) {
		__atomic_store_n(&cap_taking, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&cap_st.complete, true, __ATOMIC_RELAXED);
	}
}

static void *cap_writer(void *arg)
{
	struct rte_mbuf *pkts[CAP_BURST];

	(void)arg;
	for (;;) {
		/* Read before the dequeue: once the flag is seen, whatever was
		 * enqueued before it was set is found by this dequeue or the
		 * next ones, so an empty ring then means done. */
		bool stopping = __atomic_load_n(&cap_stopping, __ATOMIC_ACQUIRE) != 0;
		unsigned n = rte_ring_sc_dequeue_burst(cap_ring, (void **)pkts, CAP_BURST, NULL);

		if (n > 0) {
			cap_write(pkts, n);
			continue;
		}
		if (stopping)
			break;
		struct timespec ts = { 0, CAP_IDLE_NS };

		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* ---------------------------------------------------------- control plane */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cap_init_once(FILE *f)
{
	if (cap_mp == NULL) {
		cap_mp = rte_pktmbuf_pool_create("pmdvpn_capture", CAP_POOL_SIZE, 0, 0,
						 (uint16_t)rte_pcapng_mbuf_size(CAPTURE_SNAPLEN),
						 SOCKET_ID_ANY);
		if (cap_mp == NULL) {
			fprintf(f, "capture: cannot create its mbuf pool: %s (nothing started)\n",
				rte_strerror(rte_errno));
			return -1;
		}
	}
	if (cap_ring == NULL) {
		cap_ring = rte_ring_create("pmdvpn_capture", CAPTURE_RING_SIZE, SOCKET_ID_ANY,
					   RING_F_SC_DEQ);
		if (cap_ring == NULL) {
			fprintf(f, "capture: cannot create its ring: %s (nothing started)\n",
				rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

/* Frees what a callback of an earlier capture may have left in the ring. */
static void cap_drain_stale(void)
{
	struct rte_mbuf *pkts[CAP_BURST];
	unsigned n;

	while ((n = rte_ring_sc_dequeue_burst(cap_ring, (void **)pkts, CAP_BURST, NULL)) > 0)
		rte_pktmbuf_free_bulk(pkts, n);
}

/* Waits until every online worker has finished a poll begun before this
 * call: none can still be inside a callback removed before it. */
static bool cap_quiesce(struct rte_rcu_qsbr *qs)
{
	uint64_t token;

	if (qs == NULL)
		return false;
	token = rte_rcu_qsbr_start(qs);
	for (unsigned ms = 0; ms < CAP_QUIESCE_MS; ms++) {
		struct timespec ts = { 0, 1000000L };

		if (rte_rcu_qsbr_check(qs, token, false) == 1)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Removes the installed callbacks; frees their blocks only when no worker
 * can be inside them any more (else they are left: a few bytes each). */
static void cap_remove_callbacks(uint16_t port)
{
	bool quiet;

	for (unsigned i = 0; i < cap_n_cbs; i++) {
		if (cap_cbs[i].rx)
			rte_eth_remove_rx_callback(port, cap_cbs[i].queue, cap_cbs[i].cb);
		else
			rte_eth_remove_tx_callback(port, cap_cbs[i].queue, cap_cbs[i].cb);
	}
	quiet = cap_quiesce(cap_qsbr);
	for (unsigned i = 0; quiet && i < cap_n_cbs; i++)
		rte_free((void *)(uintptr_t)cap_cbs[i].cb);
	free(cap_cbs);
	cap_cbs = NULL;
	cap_n_cbs = 0;
}

static int cap_add_callbacks(uint16_t port, FILE *f)
{
	struct rte_eth_dev_info info;
	unsigned n;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		fprintf(f, "capture: port %u: %s (nothing started)\n", port, rte_strerror(-rc));
		return -1;
	}
	n = (unsigned)info.nb_rx_queues + info.nb_tx_queues;
	cap_cbs = calloc(n ? n : 1, sizeof(*cap_cbs));
	if (cap_cbs == NULL) {
		fprintf(f, "capture: out of memory (nothing started)\n");
		return -1;
	}
	cap_n_cbs = 0;
	for (uint16_t q = 0; q < info.nb_rx_queues + info.nb_tx_queues; q++) {
		bool rx = q < info.nb_rx_queues;
		uint16_t queue = rx ? q : (uint16_t)(q - info.nb_rx_queues);
		const struct rte_eth_rxtx_callback *cb;

		cb = rx ? rte_eth_add_rx_callback(port, queue, cap_rx_cb, NULL)
			: rte_eth_add_tx_callback(port, queue, cap_tx_cb, NULL);
		if (cb == NULL) {
			fprintf(f, "capture: cannot hook %s queue %u of port %u: %s "
				"(nothing started)\n", rx ? "rx" : "tx", queue, port,
				rte_strerror(rte_errno));
			cap_remove_callbacks(port);
			return -1;
		}
		cap_cbs[cap_n_cbs++] = (struct cap_cb){ .cb = cb, .queue = queue, .rx = rx };
	}
	return 0;
}

/* Creates the file; on failure says why, leaves nothing behind and
 * returns -1. */
static int cap_open(const char *path, uint16_t port, const char *name, FILE *f)
{
	char comment[96], os[2 * sizeof(((struct utsname *)0)->release)];
	struct utsname u;
	bool existed = access(path, F_OK) == 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(f, "capture: cannot create %s: %s (nothing started)\n", path,
			strerror(errno));
		return -1;
	}
	if (uname(&u) == 0)
		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
	else
		snprintf(os, sizeof(os), "Linux");
	snprintf(comment, sizeof(comment), "pmdvpn capture of port %s (port %u)", name, port);
	cap_file = rte_pcapng_fdopen(fd, os, NULL, "pmdvpn", comment);
	if (cap_file == NULL) {
		fprintf(f, "capture: cannot write a pcapng header to %s: %s (nothing started)\n",
			path, rte_strerror(rte_errno));
		close(fd);
		if (!existed)
			unlink(path);
		return -1;
	}
	if (realpath(path, cap_st.path) == NULL)
		snprintf(cap_st.path, sizeof(cap_st.path), "%s", path);
	return 0;
}

static void cap_close(void)
{
	uint64_t drops = __atomic_load_n(&cap_drop_ring, __ATOMIC_RELAXED) +
			 __atomic_load_n(&cap_drop_nombuf, __ATOMIC_RELAXED) +
			 cap_st.drop_write;

	rte_pcapng_write_stats(cap_file, cap_st.port, NULL, cap_t0_ns, now_ns(),
			       cap_st.written + drops, drops);
	rte_pcapng_close(cap_file);  /* closes the fd */
	cap_file = NULL;
}

int capture_start(uint16_t port, const char *name, const char *path, uint64_t count,
		  struct rte_rcu_qsbr *qsbr, FILE *f)
{
	struct capture_status last;
	int rc = -1;

	pthread_mutex_lock(&cap_lock);
	if (cap_st.active) {
		fprintf(f, "capture: a capture is already running (%s to %s): 'capture stop' "
			"it first (nothing started)\n", cap_st.name, cap_st.path);
		goto out;
	}
	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(f, "capture: %s is no ethdev port (nothing started)\n", name);
		goto out;
	}
	if (path == NULL || path[0] == '\0') {
		fprintf(f, "capture: which file? (nothing started)\n");
		goto out;
	}
	if (cap_init_once(f) != 0)
		goto out;
	cap_drain_stale();
	/* The last capture's figures stay readable if this one fails. */
	last = cap_st;
	memset(&cap_st, 0, sizeof(cap_st));
	cap_st.port = port;
	snprintf(cap_st.name, sizeof(cap_st.name), "%s", name);
	cap_st.limit = count;
	if (cap_open(path, port, name, f) != 0)
		goto fail;
	__atomic_store_n(&cap_drop_ring, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&cap_drop_nombuf, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&cap_stopping, 0, __ATOMIC_RELAXED);
	cap_qsbr = qsbr;
	cap_hz = rte_get_tsc_hz();
	cap_base_tsc = rte_get_tsc_cycles();
	cap_t0_ns = cap_base_ns = now_ns();
	if (cap_hz == 0)
		cap_hz = 1;  /* never: the EAL measured it */
	rc = rte_ctrl_thread_create(&cap_thread, "pmdvpn-capture", NULL, cap_writer, NULL);
	if (rc != 0) {
		fprintf(f, "capture: cannot start the writer thread: %s (nothing started)\n",
			strerror(rc > 0 ? rc : -rc));
		cap_close();
		unlink(cap_st.path);
		goto fail;
	}
	/* Take packets before the callbacks exist: none is missed from the
	 * first burst a callback sees. */
	__atomic_store_n(&cap_taking, 1, __ATOMIC_RELEASE);
	if (cap_add_callbacks(port, f) != 0) {
		__atomic_store_n(&cap_taking, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&cap_stopping, 1, __ATOMIC_RELEASE);
		pthread_join(cap_thread, NULL);
		cap_close();
		unlink(cap_st.path);
		goto fail;
	}
	cap_st.active = true;
	cap_ever = true;
	fprintf(f, "capture started: %s (port %u) to %s", name, port, cap_st.path);
	if (count != 0)
		fprintf(f, ", stops after %" PRIu64 " packets", count);
	fprintf(f, "\n");
	rc = 0;
	goto out;
fail:
	cap_st = last;
	rc = -1;
out:
	pthread_mutex_unlock(&cap_lock);
	return rc;
}

static void cap_stop_locked(FILE *f)
{
	uint64_t ring, nombuf;

	__atomic_store_n(&cap_taking, 0, __ATOMIC_RELEASE);
	cap_remove_callbacks(cap_st.port);
	/* Everything enqueued is now in the ring: the writer drains it. */
	__atomic_store_n(&cap_stopping, 1, __ATOMIC_RELEASE);
	pthread_join(cap_thread, NULL);
	cap_close();
	cap_st.active = false;
	ring = __atomic_load_n(&cap_drop_ring, __ATOMIC_RELAXED);
	nombuf = __atomic_load_n(&cap_drop_nombuf, __ATOMIC_RELAXED);
	cap_st.drop_ring = ring;
	cap_st.drop_nombuf = nombuf;
	if (f == NULL)
		return;
	fprintf(f, "capture stopped: %s (port %u) to %s: %" PRIu64 " packets written, %" PRIu64
		" dropped (ring full %" PRIu64 ", no mbuf %" PRIu64 ", write errors %" PRIu64 ")",
		cap_st.name, cap_st.port, cap_st.path, cap_st.written,
		ring + nombuf + cap_st.drop_write, ring, nombuf, cap_st.drop_write);
	if (cap_st.drop_write != 0)
		fprintf(f, " last write error: %s", strerror(cap_st.write_errno));
	if (cap_st.complete)
		fprintf(f, ", count %" PRIu64 " reached", cap_st.limit);
	fprintf(f, "\n");
}

int capture_stop(FILE *f)
{
	int rc = 0;

	pthread_mutex_lock(&cap_lock);
	if (!cap_st.active) {
		fprintf(f, "capture: no capture is running (nothing changed)\n");
		rc = -1;
	} else {
		cap_stop_locked(f);
	}
	pthread_mutex_unlock(&cap_lock);
	return rc;
}

void capture_stop_all(void)
{
	pthread_mutex_lock(&cap_lock);
	if (cap_st.active)
		cap_stop_locked(NULL);
	pthread_mutex_unlock(&cap_lock);
}

bool capture_get_status(struct capture_status *st)
{
	bool ever;

	pthread_mutex_lock(&cap_lock);
	ever = cap_ever;
	/* The writer updates these while a capture runs. */
	*st = cap_st;
	st->written = __atomic_load_n(&cap_st.written, __ATOMIC_RELAXED);
	st->complete = __atomic_load_n(&cap_st.complete, __ATOMIC_RELAXED);
	st->drop_write = __atomic_load_n(&cap_st.drop_write, __ATOMIC_RELAXED);
	if (cap_st.active) {
		st->drop_ring = __atomic_load_n(&cap_drop_ring, __ATOMIC_RELAXED);
		st->drop_nombuf = __atomic_load_n(&cap_drop_nombuf, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&cap_lock);
	if (!ever)
		memset(st, 0, sizeof(*st));
	return ever;
}
