/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pmdvpn-perf's command line: defaults, every option that
 * takes a value (good and bad), ranges and rates, combinations that make
 * no sense, and that a bad option is an error message, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "perf.h"

static struct perf_opts o;
static char err[512];

/* Parses a NULL-terminated list of options (argv[0] is added). */
static int parse_v(const char *first, va_list ap)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"pmdvpn-perf";
	for (const char *a = first; a != NULL && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	argv[argc] = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	assert_non_null(devnull);
	int rc = perf_args_parse(argc, argv, &o, devnull, err, sizeof(err));
	fclose(devnull);
	return rc;
}

static int parse(const char *first, ...)
{
	va_list ap;
	int rc;

	va_start(ap, first);
	rc = parse_v(first, ap);
	va_end(ap);
	return rc;
}

/* Expects an error whose message contains want. */
static void bad(const char *want, const char *first, ...)
{
	va_list ap;
	int rc;

	va_start(ap, first);
	rc = parse_v(first, ap);
	va_end(ap);
	if (rc != -1 || strstr(err, want) == NULL)
		fail_msg("%s: rc %d, err '%s', wanted '%s'", first, rc, err, want);
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(o.mode, PERF_MODE_GEN);
	assert_int_equal(o.size, 64);
	assert_int_equal(o.flows, 1);
	assert_int_equal(o.rate_pps, 0);
	assert_true(o.duration_s == 10);
	assert_int_equal(o.burst, 32);
	assert_int_equal(o.src_ip.start, 0xc6120001u);
	assert_int_equal(o.src_ip.count, 1);
	assert_int_equal(o.cipher, AEAD_AES128_GCM);
	assert_int_equal(o.impl, AEAD_IMPL_IMB);
	assert_false(o.imix);
	/* reflect runs until a signal unless told otherwise */
	assert_int_equal(parse("--mode", "reflect", NULL), 0);
	assert_true(o.duration_s == 0);
	assert_int_equal(parse("--mode", "reflect", "--duration", "5", NULL), 0);
	assert_true(o.duration_s == 5);
}

static void test_good_values(void **state)
{
	(void)state;
	assert_int_equal(parse("--port", "net_memif0,role=server", "--port", "net_ring0",
			       "--tx-port", "0", "--rx-port", "net_ring0",
			       "--reflect-port", "net_memif1,role=client", "--flows", "65536",
			       "--size", "1420", "--rate", "2.5M", "--duration", "0.5",
			       "--src-ip", "198.18.0.1-198.18.0.10", "--dst-mac",
			       "02:00:00:00:00:0a-02:00:00:00:01:09", "--src-port", "2000",
			       "--dst-port", "4500", "--burst", "64", "--json", "--quiet", NULL), 0);
	assert_int_equal(o.n_ports, 2);
	assert_string_equal(o.ports[1], "net_ring0");
	assert_string_equal(o.tx_port, "0");
	assert_string_equal(o.rx_port, "net_ring0");
	assert_string_equal(o.reflect_port, "net_memif1,role=client");
	assert_int_equal(o.flows, 65536);
	assert_int_equal(o.size, 1420);
	assert_int_equal(o.rate_pps, 2500000);
	assert_true(o.duration_s == 0.5);
	assert_int_equal(o.src_ip.count, 10);
	assert_int_equal(o.dst_mac.start, 0x02000000000aull);
	assert_int_equal(o.dst_mac.count, 256);
	assert_int_equal(o.src_port, 2000);
	assert_int_equal(o.dst_port, 4500);
	assert_int_equal(o.burst, 64);
	assert_true(o.json && o.quiet);

	assert_int_equal(parse("--imix", NULL), 0);
	assert_true(o.imix);
	assert_int_equal(o.imix_sizes[2], 1518);
	assert_int_equal(parse("--imix-sizes", "64,594,1420", NULL), 0);
	assert_true(o.imix);
	assert_int_equal(o.imix_sizes[1], 594);
	assert_int_equal(o.imix_sizes[2], 1420);

	assert_int_equal(parse("--mode", "crypto", "--cipher", "chacha20-poly1305", "--impl",
			       "openssl", "--size", "512", "--duration", "1", NULL), 0);
	assert_int_equal(o.mode, PERF_MODE_CRYPTO);
	assert_int_equal(o.cipher, AEAD_CHACHA20_POLY1305);
	assert_int_equal(o.impl, AEAD_IMPL_OSSL);

	assert_int_equal(parse("--search", "--loss-tolerance", "0.1", "--trial-duration", "1",
			       "--search-precision", "2", "--search-max-trials", "8", NULL), 0);
	assert_true(o.search);
	assert_true(o.loss_tolerance_pct == 0.1);
	assert_int_equal(o.search_max_trials, 8);
	assert_int_equal(o.queues, 1);
	assert_int_equal(o.replay, 0);
	assert_false(o.paired_ips);

	assert_int_equal(parse("--queues", "2", "--flows", "2", "--paired-ips", NULL), 0);
	assert_int_equal(o.queues, 2);
	assert_true(o.paired_ips);
	assert_int_equal(parse("--reflect-port", "net_memif1", "--replay", "4096", NULL), 0);
	assert_int_equal(o.replay, 4096);
	assert_true(o.duration_s == 10);
}

static void test_rate(void **state)
{
	uint64_t pps;

	(void)state;
	assert_int_equal(perf_parse_rate("line", &pps), 0);
	assert_int_equal(pps, 0);
	assert_int_equal(perf_parse_rate("1000", &pps), 0);
	assert_int_equal(pps, 1000);
	assert_int_equal(perf_parse_rate("10k", &pps), 0);
	assert_int_equal(pps, 10000);
	assert_int_equal(perf_parse_rate("1.5M", &pps), 0);
	assert_int_equal(pps, 1500000);
	assert_int_equal(perf_parse_rate("2G", &pps), 0);
	assert_int_equal(pps, 2000000000ull);
	const char *badr[] = { "", "0", "-5", "+5", "M", "1x", "1e11", "nan", "inf", "12MM",
			       "line2", "0.4" };
	for (size_t i = 0; i < sizeof(badr) / sizeof(badr[0]); i++)
		if (perf_parse_rate(badr[i], &pps) == 0)
			fail_msg("rate '%s' accepted", badr[i]);
}

static void test_ranges(void **state)
{
	struct perf_range r;

	(void)state;
	assert_int_equal(perf_parse_ip_range("10.0.0.255-10.0.1.1", &r), 0);
	assert_int_equal(r.start, 0x0a0000ffu);
	assert_int_equal(r.count, 3);
	assert_int_equal(perf_parse_mac_range("02:00:00:00:00:ff", &r), 0);
	assert_int_equal(r.count, 1);
	const char *badip[] = { "", "1.2.3", "1.2.3.4-", "-1.2.3.4", "1.2.3.5-1.2.3.4",
				"1.2.3.4-1.2.3.5-1.2.3.6", "256.1.1.1", "0.0.0.0-255.255.255.255" };
	for (size_t i = 0; i < sizeof(badip) / sizeof(badip[0]); i++)
		if (perf_parse_ip_range(badip[i], &r) == 0)
			fail_msg("ip range '%s' accepted", badip[i]);
	const char *badmac[] = { "", "02:00:00:00:00", "02:00:00:00:00:0g", "02:00:00:00:00:01:",
				 "2:0:0:0:0:1", "02:00:00:00:00:02-02:00:00:00:00:01" };
	for (size_t i = 0; i < sizeof(badmac) / sizeof(badmac[0]); i++)
		if (perf_parse_mac_range(badmac[i], &r) == 0)
			fail_msg("mac range '%s' accepted", badmac[i]);
}

static void test_errors(void **state)
{
	(void)state;
	bad("unknown option '--bogus'", "--bogus", NULL);
	bad("unknown option '-x'", "-x", NULL);
	bad("missing value for '--size'", "--size", NULL);
	bad("unexpected argument 'extra'", "extra", NULL);
	bad("--mode", "--mode", "fast", NULL);
	bad("--size", "--size", "59", NULL);
	bad("--size", "--size", "1519", NULL);
	bad("--size", "--size", "64x", NULL);
	bad("--size", "--size", "-64", NULL);
	bad("--flows", "--flows", "0", NULL);
	bad("--flows", "--flows", "65537", NULL);
	bad("--rate", "--rate", "fast", NULL);
	bad("--duration", "--duration", "-1", NULL);
	bad("--duration", "--duration", "nan", NULL);
	bad("--burst", "--burst", "65", NULL);
	bad("--burst", "--burst", "0", NULL);
	bad("--src-ip", "--src-ip", "example.com", NULL);
	bad("--dst-mac", "--dst-mac", "zz", NULL);
	bad("--src-port", "--src-port", "0", NULL);
	bad("--dst-port", "--dst-port", "65536", NULL);
	bad("--imix-sizes", "--imix-sizes", "64,594", NULL);
	bad("--imix-sizes", "--imix-sizes", "64,594,1519", NULL);
	bad("--imix-sizes", "--imix-sizes", "64,594,1420,64", NULL);
	bad("--loss-tolerance", "--loss-tolerance", "101", NULL);
	bad("--trial-duration", "--trial-duration", "0", NULL);
	bad("--warmup", "--warmup", "-1", NULL);
	bad("--cipher", "--cipher", "aes-128-cbc", NULL);
	bad("--impl", "--impl", "gnutls", NULL);
	bad("at most", "--port", "a", "--port", "b", "--port", "c", "--port", "d", "--port", "e",
	    NULL);
	bad("crypto uses no ports", "--mode", "crypto", "--port", "net_ring0", NULL);
	bad("needs a --duration", "--mode", "crypto", "--duration", "0", NULL);
	bad("--search works in --mode gen", "--mode", "reflect", "--search", NULL);
	bad("--reflect-port works in --mode gen", "--mode", "reflect", "--reflect-port", "x",
	    NULL);
	bad("one --port", "--mode", "reflect", "--port", "a", "--port", "b", NULL);
	bad("--queues", "--queues", "0", NULL);
	bad("--queues", "--queues", "9", "--flows", "9", NULL);
	bad("needs at least as many --flows", "--queues", "2", NULL);
	bad("--replay", "--replay", "0", "--reflect-port", "x", NULL);
	bad("--replay", "--replay", "65537", "--reflect-port", "x", NULL);
	bad("--replay needs --mode gen and a --reflect-port", "--replay", "10", NULL);
	bad("--replay needs --mode gen", "--mode", "reflect", "--replay", "10", NULL);
	bad("do not go together", "--replay", "10", "--reflect-port", "x", "--search", NULL);
	bad("--queues 1 only", "--replay", "10", "--reflect-port", "x", "--queues", "2", "--flows",
	    "2", NULL);
	bad("needs a --duration > 0", "--replay", "10", "--reflect-port", "x", "--duration", "0",
	    NULL);
	/* a long devargs string is refused, not truncated */
	char big[PERF_DEVARGS_MAX + 10];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bad("--port", "--port", big, NULL);
}

static void test_help(void **state)
{
	char buf[8192] = "";
	char *argv[] = { (char *)"pmdvpn-perf", (char *)"--help", NULL };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	(void)state;
	assert_non_null(f);
	assert_int_equal(perf_args_parse(2, argv, &o, f, err, sizeof(err)), 1);
	fclose(f);
	assert_non_null(strstr(buf, "--mode"));
	assert_non_null(strstr(buf, "L2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
