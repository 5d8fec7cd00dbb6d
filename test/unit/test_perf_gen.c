/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pmdvpn-perf's packet side: the IMIX sequence, flows,
 * the Ethernet/IPv4/UDP builder (lengths, checksum checked against DPDK's
 * rte_ipv4_cksum), the payload stamp, and the reflector's swap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <cmocka.h>
#include <rte_ip.h>

#include "perf.h"

static struct perf_opts o;

static void opts(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[] = { (char *)"p", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
	int argc = 1;
	char err[256];

	while (argc < 5 && argv[argc] != NULL)
		argc++;
	assert_int_equal(perf_args_parse(argc, argv, &o, stdout, err, sizeof(err)), 0);
}

/* Options from a NULL-terminated list (more than opts() takes). */
static void opts_v(const char *const *args)
{
	char *argv[16] = { (char *)"p" };
	int argc = 1;
	char err[256];

	while (argc < 15 && args[argc - 1] != NULL) {
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	assert_int_equal(perf_args_parse(argc, argv, &o, stdout, err, sizeof(err)), 0);
}

static void test_imix_sequence(void **state)
{
	uint16_t seq[PERF_IMIX_LEN];
	unsigned n, c64 = 0, c594 = 0, c1518 = 0;

	(void)state;
	opts("--imix", NULL, NULL, NULL);
	n = perf_size_seq(&o, seq, PERF_IMIX_LEN);
	assert_int_equal(n, 12);
	for (unsigned i = 0; i < n; i++) {
		c64 += seq[i] == 64;
		c594 += seq[i] == 594;
		c1518 += seq[i] == 1518;
	}
	assert_int_equal(c64, 7);
	assert_int_equal(c594, 4);
	assert_int_equal(c1518, 1);
	/* the classic IMIX average: (7*64 + 4*594 + 1518) / 12 */
	assert_true(perf_size_seq_avg(seq, n) > 361.83 && perf_size_seq_avg(seq, n) < 361.84);
	/* interleaved: never more than two small frames in a row over the cycle */
	for (unsigned i = 0; i < 2 * n; i++)
		assert_false(seq[i % n] == 64 && seq[(i + 1) % n] == 64 && seq[(i + 2) % n] == 64);
	/* any window of 12 consecutive packets has the exact mix */
	for (uint64_t start = 0; start < 24; start++) {
		uint64_t sum = 0;
		for (uint64_t i = start; i < start + 12; i++)
			sum += perf_frame_size(seq, n, i);
		assert_int_equal(sum, 7 * 64 + 4 * 594 + 1518);
	}
	assert_int_equal(perf_size_seq(&o, seq, 11), 0); /* too small a buffer */
	opts("--imix-sizes", "60,600,1420", NULL, NULL);
	n = perf_size_seq(&o, seq, PERF_IMIX_LEN);
	assert_int_equal(n, 12);
	assert_int_equal(perf_size_seq_avg(seq, n) * 12, 7 * 60 + 4 * 600 + 1420);
	opts("--size", "1420", NULL, NULL);
	assert_int_equal(perf_size_seq(&o, seq, PERF_IMIX_LEN), 1);
	assert_int_equal(seq[0], 1420);
}

static void test_flows(void **state)
{
	struct perf_flow a, b;

	(void)state;
	opts("--flows", "1000", "--src-ip", "198.18.0.1-198.18.0.4");
	perf_flow_init(&o, 0, &a);
	perf_flow_init(&o, 5, &b);
	assert_int_equal(ntohs(a.src_port), 1024);
	assert_int_equal(ntohs(b.src_port), 1029);
	assert_int_equal(ntohl(a.src_ip), 0xc6120001u);
	assert_int_equal(ntohl(b.src_ip), 0xc6120002u); /* 5 % 4 = 1 */
	assert_int_equal(ntohl(b.dst_ip), 0xc6120002u);
	assert_int_equal(ntohs(b.dst_port), 9000);
	assert_memory_equal(a.src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	assert_memory_equal(a.dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	/* all flows distinct in their 4-tuple */
	for (uint32_t f = 1; f < 1000; f++) {
		perf_flow_init(&o, f, &b);
		perf_flow_init(&o, f - 1, &a);
		assert_true(a.src_port != b.src_port);
	}
	/* every combination by default: flow f's destination is the
	 * (f / sources)-th; with --paired-ips the f-th, so that the pairs
	 * (198.19.0.2, 198.19.1.2) and (198.19.0.3, 198.19.1.3) stay apart */
	opts_v((const char *const[]){ "--flows", "4", "--src-ip", "198.19.0.2-198.19.0.3",
				      "--dst-ip", "198.19.1.2-198.19.1.3", NULL });
	perf_flow_init(&o, 1, &a);
	assert_int_equal(ntohl(a.src_ip), 0xc6130003u);
	assert_int_equal(ntohl(a.dst_ip), 0xc6130102u);
	opts_v((const char *const[]){ "--flows", "4", "--src-ip", "198.19.0.2-198.19.0.3",
				      "--dst-ip", "198.19.1.2-198.19.1.3", "--paired-ips", NULL });
	for (uint32_t f = 0; f < 4; f++) {
		perf_flow_init(&o, f, &a);
		assert_int_equal(ntohl(a.src_ip), 0xc6130002u + f % 2);
		assert_int_equal(ntohl(a.dst_ip), 0xc6130102u + f % 2);
	}
	/* the source port wraps inside 1024..65535 */
	opts("--flows", "65536", "--src-port", "65000");
	perf_flow_init(&o, 600, &a);
	assert_int_equal(ntohs(a.src_port), 65000 + 600 % 536);
}

static void check_frame(const uint8_t *buf, uint16_t len)
{
	const struct rte_ipv4_hdr *ip = (const void *)(buf + 14);
	struct rte_ipv4_hdr copy;

	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[13], 0x00);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), len - 14);
	assert_int_equal(ip->version_ihl, 0x45);
	assert_int_equal(ip->next_proto_id, 17);
	/* a valid header sums to 0xffff (DPDK's own check), and the field
	 * equals what DPDK computes with the field zeroed */
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	memcpy(&copy, ip, 20);
	copy.hdr_checksum = 0;
	assert_int_equal(rte_ipv4_cksum(&copy), ip->hdr_checksum);
	assert_int_equal(perf_ip_cksum(&copy, 5), ip->hdr_checksum);
	assert_int_equal((buf[38] << 8 | buf[39]), len - 34); /* UDP length */
}

static void test_build_and_stamp(void **state)
{
	static uint8_t buf[2048];
	struct perf_flow fl;
	struct perf_stamp st;
	const uint16_t lens[] = { 60, 64, 100, 594, 1420, 1500, 1518 };

	(void)state;
	opts("--flows", "70", "--dst-ip", "203.0.113.1-203.0.113.200");
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (uint32_t f = 0; f < 70; f += 23) {
			uint32_t seq = 0xfffffff0u + (uint32_t)i * 7;

			perf_flow_init(&o, f, &fl);
			memset(buf, 0xee, sizeof(buf));
			perf_build(buf, lens[i], &fl, f, seq, 0x123456789abcdefull + f);
			check_frame(buf, lens[i]);
			assert_memory_equal(buf, fl.dst_mac, 6);
			assert_memory_equal(buf + 26, &fl.src_ip, 4);
			assert_memory_equal(buf + 30, &fl.dst_ip, 4);
			assert_memory_equal(buf + 34, &fl.src_port, 2);
			assert_int_equal(perf_parse_stamp(buf, lens[i], &st), 0);
			assert_int_equal(st.magic, PERF_MAGIC);
			assert_int_equal(st.seq, seq);
			assert_int_equal(st.flow, f);
			assert_int_equal(st.tsc, 0x123456789abcdefull + f);
			/* the builder writes nothing beyond the stamp */
			assert_int_equal(buf[PERF_HDR_LEN + PERF_STAMP_LEN], 0xee);
		}
	}
	/* not ours: short, wrong ethertype, not UDP, no magic */
	perf_flow_init(&o, 0, &fl);
	perf_build(buf, 60, &fl, 0, 1, 1);
	assert_int_equal(perf_parse_stamp(buf, 60, &st), 0);
	assert_int_equal(perf_parse_stamp(buf, PERF_HDR_LEN + PERF_STAMP_LEN - 1, &st), -1);
	buf[12] = 0x86;
	assert_int_equal(perf_parse_stamp(buf, 60, &st), -1);
	buf[12] = 0x08;
	buf[23] = 6;
	assert_int_equal(perf_parse_stamp(buf, 60, &st), -1);
	buf[23] = 17;
	buf[42] ^= 1;
	assert_int_equal(perf_parse_stamp(buf, 60, &st), -1);
	buf[42] ^= 1;
	buf[14] = 0x46; /* an IPv4 option shifts the stamp: it must not be found at 42 */
	assert_int_equal(perf_parse_stamp(buf, 60, &st), -1);
	assert_int_equal(perf_parse_stamp(buf, 0, &st), -1);
}

static void test_reflect_swap(void **state)
{
	static uint8_t buf[2048], orig[2048];
	struct perf_flow fl;
	struct perf_stamp st;

	(void)state;
	opts("--src-port", "4500", "--dst-port", "4501");
	perf_flow_init(&o, 0, &fl);
	perf_build(buf, 128, &fl, 0, 42, 99);
	memcpy(orig, buf, sizeof(buf));
	assert_int_equal(perf_reflect_swap(buf, 128), 0);
	assert_memory_equal(buf, orig + 6, 6);
	assert_memory_equal(buf + 6, orig, 6);
	assert_memory_equal(buf + 26, orig + 30, 4);
	assert_memory_equal(buf + 30, orig + 26, 4);
	assert_memory_equal(buf + 34, orig + 36, 2);
	assert_memory_equal(buf + 36, orig + 34, 2);
	check_frame(buf, 128);   /* checksum still valid without recomputing */
	assert_memory_equal(buf + 24, orig + 24, 2); /* and unchanged */
	assert_memory_equal(buf + 38, orig + 38, 128 - 38); /* payload untouched */
	assert_int_equal(perf_parse_stamp(buf, 128, &st), 0);
	assert_int_equal(st.seq, 42);
	/* twice is the identity */
	assert_int_equal(perf_reflect_swap(buf, 128), 0);
	assert_memory_equal(buf, orig, 128);
	/* plain ESP (protocol 50): addresses swap, bytes after the IP header do not */
	buf[23] = 50;
	memcpy(orig, buf, 128);
	assert_int_equal(perf_reflect_swap(buf, 128), 0);
	assert_memory_equal(buf + 34, orig + 34, 128 - 34);
	assert_memory_equal(buf + 26, orig + 30, 4);
	/* not IPv4: untouched */
	buf[12] = 0x08;
	buf[13] = 0x06;
	memcpy(orig, buf, 128);
	assert_int_equal(perf_reflect_swap(buf, 128), -1);
	assert_memory_equal(buf, orig, 128);
	buf[13] = 0x00;
	assert_int_equal(perf_reflect_swap(buf, 33), -1);
	assert_int_equal(perf_reflect_swap(buf, 0), -1);
	buf[14] = 0x4f; /* ihl 15 does not fit in 40 bytes */
	assert_int_equal(perf_reflect_swap(buf, 40), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imix_sequence),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_build_and_stamp),
		cmocka_unit_test(test_reflect_swap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
