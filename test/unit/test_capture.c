/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/capture on a net_ring port: packets received and sent through the
 * port's bursts end up in the pcapng file (read back here block by block:
 * interface, direction, bytes), count N stops at N, every packet is either
 * written or counted as dropped, no copy leaks, and every refused start
 * leaves nothing behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "capture.h"
#include "test_eal.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 1u
#define PCAPNG_EPB 6u
#define PCAPNG_ISB 5u
#define EPB_FLAGS 2u

static struct rte_mempool *mp;
static struct rte_ring *rx_ring, *tx_ring;
static uint16_t port;
static char dir[64];
static FILE *out;               /* messages of the library */
static char *out_buf;
static size_t out_len;

/* One packet as read back from the file. */
struct rec {
	uint32_t iface, caplen, origlen, dir;
	uint64_t ns;                /* timestamp (the IDBs say nanoseconds) */
	uint8_t data[256];
};

static int setup(void **state)
{
	(void)state;
	if (test_eal_init() != 0)
		return -1;
	mp = test_mempool(8191);
	rx_ring = rte_ring_create("cap_rx", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("cap_tx", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (mp == NULL || rx_ring == NULL || tx_ring == NULL)
		return -1;
	int p = rte_eth_from_rings("cap_port", &rx_ring, 1, &tx_ring, 1, SOCKET_ID_ANY);
	struct rte_eth_conf conf = { 0 };

	if (p < 0)
		return -1;
	port = (uint16_t)p;
	if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(port) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/pmdvpn-ut-capture-%d", (int)getpid());
	if (mkdir(dir, 0700) != 0)
		return -1;
	out = open_memstream(&out_buf, &out_len);
	return out == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	capture_stop_all();
	fclose(out);
	free(out_buf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The library's messages since the last call. */
static const char *said(void)
{
	static char last[1024];
	static size_t seen;

	fflush(out);
	snprintf(last, sizeof(last), "%s", out_buf + seen);
	seen = out_len;
	return last;
}

static struct rte_mbuf *frame(uint8_t tag, uint16_t len)
{
	uint8_t data[256];

	for (uint16_t i = 0; i < len; i++)
		data[i] = (uint8_t)(tag + i);
	return test_mbuf_from(mp, data, len);
}

/* n frames received through the port (tags base..), freed afterwards. */
static void take_in(uint8_t base, unsigned n)
{
	struct rte_mbuf *pkts[32];

	for (unsigned done = 0; done < n;) {
		unsigned k = RTE_MIN(32u, n - done), got;

		for (unsigned i = 0; i < k; i++) {
			pkts[i] = frame((uint8_t)(base + done + i), 60);
			assert_non_null(pkts[i]);
		}
		assert_int_equal(rte_ring_enqueue_burst(rx_ring, (void **)pkts, k, NULL), k);
		got = rte_eth_rx_burst(port, 0, pkts, 32);
		assert_int_equal(got, k);
		rte_pktmbuf_free_bulk(pkts, got);
		done += k;
	}
}

/* n frames sent through the port; what the ring PMD queued is freed. */
static void transmit(uint8_t base, unsigned n)
{
	struct rte_mbuf *pkts[32];

	for (unsigned done = 0; done < n;) {
		unsigned k = RTE_MIN(32u, n - done);

		for (unsigned i = 0; i < k; i++) {
			pkts[i] = frame((uint8_t)(base + done + i), 100);
			assert_non_null(pkts[i]);
		}
		assert_int_equal(rte_eth_tx_burst(port, 0, pkts, (uint16_t)k), k);
		while ((k = rte_ring_dequeue_burst(tx_ring, (void **)pkts, 32, NULL)) > 0)
			rte_pktmbuf_free_bulk(pkts, k);
		done += RTE_MIN(32u, n - done);
	}
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;  /* the file is written in host order (x86: little endian) */
}

/* Reads a pcapng file: its packets into recs (max), the counts of
 * interface and statistics blocks. Returns the number of packets, -1 if
 * the file is not well formed. */
static int read_pcapng(const char *path, struct rec *recs, int max, int *n_idb, int *n_isb)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;
	int n = 0;

	*n_idb = *n_isb = 0;
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (size < 12 || le32(buf) != PCAPNG_SHB) {
		free(buf);
		return -1;
	}
	for (long off = 0; off < size;) {
		uint32_t type, len;

		if (off + 12 > size)
			goto bad;
		type = le32(buf + off);
		len = le32(buf + off + 4);
		if (len < 12 || len % 4 != 0 || off + len > size || le32(buf + off + len - 4) != len)
			goto bad;
		if (type == PCAPNG_IDB) {
			(*n_idb)++;
		} else if (type == PCAPNG_ISB) {
			(*n_isb)++;
		} else if (type == PCAPNG_EPB) {
			const uint8_t *b = buf + off + 8, *opt, *end = buf + off + len - 4;
			struct rec r = { .dir = 0 };

			r.iface = le32(b);
			r.ns = (uint64_t)le32(b + 4) << 32 | le32(b + 8);
			r.caplen = le32(b + 12);
			r.origlen = le32(b + 16);
			if (28 + r.caplen > len)
				goto bad;
			memcpy(r.data, b + 20, RTE_MIN(r.caplen, (uint32_t)sizeof(r.data)));
			for (opt = b + 20 + RTE_ALIGN(r.caplen, 4); opt + 4 <= end;) {
				uint16_t code, olen;

				memcpy(&code, opt, 2);
				memcpy(&olen, opt + 2, 2);
				if (code == 0)
					break;
				if (code == EPB_FLAGS && olen == 4)
					r.dir = le32(opt + 4) & 3;
				opt += 4 + RTE_ALIGN(olen, 4);
			}
			if (n < max)
				recs[n] = r;
			n++;
		}
		off += len;
	}
	free(buf);
	return n;
bad:
	free(buf);
	return -1;
}

static unsigned pool_in_use(void)
{
	struct rte_mempool *p = rte_mempool_lookup("pmdvpn_capture");

	return p != NULL ? rte_mempool_in_use_count(p) : 0;
}

static void test_both_directions(void **state)
{
	struct capture_status st;
	struct rec recs[16];
	char path[128];
	int n, n_idb, n_isb, in = 0, outb = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/both.pcapng", dir);
	take_in(0x10, 3);  /* before the capture: not in the file */
	assert_int_equal(capture_start(port, "wan", path, 0, NULL, out), 0);
	assert_non_null(strstr(said(), "capture started: wan"));
	take_in(0x20, 4);
	transmit(0x40, 5);
	assert_true(capture_get_status(&st));
	assert_true(st.active);
	assert_int_equal(capture_stop(out), 0);
	assert_non_null(strstr(said(), "9 packets written, 0 dropped"));
	transmit(0x60, 2);  /* after the capture: not in the file */

	n = read_pcapng(path, recs, 16, &n_idb, &n_isb);
	assert_int_equal(n, 9);
	assert_true(n_idb >= 1);
	assert_int_equal(n_isb, 1);
	for (int i = 0; i < n; i++) {
		/* one interface per ethdev port, in port order */
		assert_int_equal(recs[i].iface, port);
		if (recs[i].dir == 1) {
			assert_int_equal(recs[i].caplen, 60);
			assert_int_equal(recs[i].data[0], 0x20 + in);
			assert_int_equal(recs[i].data[59], (uint8_t)(0x20 + in + 59));
			in++;
		} else {
			assert_int_equal(recs[i].dir, 2);
			assert_int_equal(recs[i].caplen, 100);
			assert_int_equal(recs[i].origlen, 100);
			assert_int_equal(recs[i].data[0], 0x40 + outb);
			outb++;
		}
	}
	assert_int_equal(in, 4);
	assert_int_equal(outb, 5);
	/* wall-clock time, in capture order */
	for (int i = 0; i < n; i++) {
		int64_t skew = (int64_t)(recs[i].ns / 1000000000u) - (int64_t)time(NULL);

		assert_true(skew > -10 && skew < 10);
		if (i > 0)
			assert_true(recs[i].ns >= recs[i - 1].ns);
	}
	assert_true(capture_get_status(&st));
	assert_false(st.active);
	assert_int_equal(st.written, 9);
	assert_string_equal(st.name, "wan");
	assert_string_equal(st.path, path);
	assert_int_equal(pool_in_use(), 0);
}

static void test_count(void **state)
{
	struct capture_status st;
	struct rec recs[16];
	char path[128];
	int n, n_idb, n_isb;

	(void)state;
	snprintf(path, sizeof(path), "%s/count.pcapng", dir);
	assert_int_equal(capture_start(port, "inside", path, 4, NULL, out), 0);
	assert_non_null(strstr(said(), "stops after 4 packets"));
	take_in(0x01, 3);
	transmit(0x31, 3);
	/* the writer marks the capture complete once 4 are written */
	for (int i = 0; i < 2000; i++) {
		capture_get_status(&st);
		if (st.complete)
			break;
		usleep(1000);
	}
	assert_true(st.complete);
	take_in(0x50, 5);  /* not taken any more */
	assert_int_equal(capture_stop(out), 0);
	assert_non_null(strstr(said(), "4 packets written, 0 dropped"));
	n = read_pcapng(path, recs, 16, &n_idb, &n_isb);
	assert_int_equal(n, 4);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(recs[i].dir, 1);
		assert_int_equal(recs[i].data[0], 0x01 + i);
	}
	assert_int_equal(recs[3].dir, 2);
	assert_int_equal(recs[3].data[0], 0x31);
	assert_int_equal(pool_in_use(), 0);
}

/* Bursts far faster than the writer's pace: each packet is in the file or
 * counted as dropped, and the sender never waited for the writer. */
static void test_accounting(void **state)
{
	struct capture_status st;
	struct rec recs[1];
	char path[128];
	int n, n_idb, n_isb;
	const unsigned total = 3200;

	(void)state;
	snprintf(path, sizeof(path), "%s/burst.pcapng", dir);
	assert_int_equal(capture_start(port, "wan", path, 0, NULL, out), 0);
	said();
	transmit(0, total);
	assert_int_equal(capture_stop(out), 0);
	said();
	assert_true(capture_get_status(&st));
	assert_int_equal(st.written + st.drop_ring + st.drop_nombuf + st.drop_write, total);
	assert_int_equal(st.drop_write, 0);
	n = read_pcapng(path, recs, 1, &n_idb, &n_isb);
	assert_int_equal(n, (int)st.written);
	print_message("# %u sent: %" PRIu64 " written, %" PRIu64 " ring full, %" PRIu64
		      " no mbuf\n", total, st.written, st.drop_ring, st.drop_nombuf);
	assert_int_equal(pool_in_use(), 0);
}

static void test_refused(void **state)
{
	struct capture_status before, st;
	char path[128], path2[128];
	struct stat sb;

	(void)state;
	capture_get_status(&before);
	/* no capture to stop */
	assert_int_equal(capture_stop(out), -1);
	assert_non_null(strstr(said(), "no capture is running"));
	/* a directory that does not exist */
	assert_int_equal(capture_start(port, "wan", "/nonexistent/dir/x.pcapng", 0, NULL, out), -1);
	assert_non_null(strstr(said(), "cannot create /nonexistent/dir/x.pcapng: No such file"));
	/* no such port */
	snprintf(path, sizeof(path), "%s/noport.pcapng", dir);
	assert_int_equal(capture_start(RTE_MAX_ETHPORTS - 1, "lan9", path, 0, NULL, out), -1);
	assert_non_null(strstr(said(), "lan9 is no ethdev port"));
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(capture_start(port, "wan", "", 0, NULL, out), -1);
	said();
	/* the last capture's figures are still those of the last one */
	capture_get_status(&st);
	assert_false(st.active);
	assert_string_equal(st.path, before.path);
	assert_int_equal(st.written, before.written);

	/* one at a time: the second start changes nothing */
	assert_int_equal(capture_start(port, "wan", path, 0, NULL, out), 0);
	said();
	snprintf(path2, sizeof(path2), "%s/second.pcapng", dir);
	assert_int_equal(capture_start(port, "inside", path2, 0, NULL, out), -1);
	assert_non_null(strstr(said(), "already running (wan to"));
	assert_int_equal(stat(path2, &sb), -1);
	take_in(0x70, 2);
	assert_int_equal(capture_stop(out), 0);
	assert_non_null(strstr(said(), "2 packets written"));
	assert_int_equal(capture_stop(out), -1);
	said();
	capture_stop_all();  /* nothing running: no-op */
	/* the file is private: an inside capture holds clear text */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

/* With the workers' QSBR variable: a stop waits for a worker that is
 * online until it reports a quiescent state, and gives up (without
 * freeing the callbacks) when it never does. */
static void test_qsbr(void **state)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qs = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	char path[128];
	struct timespec t0, t1;
	double secs;

	(void)state;
	assert_non_null(qs);
	assert_int_equal(rte_rcu_qsbr_init(qs, 1), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(qs, 0), 0);
	snprintf(path, sizeof(path), "%s/qsbr.pcapng", dir);

	/* the "worker" is offline: nothing to wait for */
	assert_int_equal(capture_start(port, "wan", path, 0, qs, out), 0);
	take_in(0x11, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(capture_stop(out), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 0.5);
	assert_non_null(strstr(said(), "1 packets written"));

	/* online and never quiescent: the stop still ends, after its timeout */
	rte_rcu_qsbr_thread_online(qs, 0);
	assert_int_equal(capture_start(port, "wan", path, 0, qs, out), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(capture_stop(out), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 0.9 && secs < 5);
	said();
	rte_rcu_qsbr_thread_offline(qs, 0);
	rte_rcu_qsbr_thread_unregister(qs, 0);
	rte_free(qs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_qsbr),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
