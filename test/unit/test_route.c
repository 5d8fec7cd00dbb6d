/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/route: IPv4/IPv6 longest-prefix match to peers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <rte_lcore.h>

#include "route.h"
#include "test_eal.h"

static uint32_t v4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static const uint8_t *v6(const char *s)
{
	/* A few rotating buffers so one call can take several addresses. */
	static uint8_t buf[8][16];
	static unsigned next;
	uint8_t *a = buf[next++ % 8];

	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	return a;
}

static int add4(struct route_table *r, const char *a, uint8_t depth, uint16_t peer)
{
	uint32_t ip = v4(a);

	return route_add(r, AF_INET, (const uint8_t *)&ip, depth, peer);
}

static int del4(struct route_table *r, const char *a, uint8_t depth)
{
	uint32_t ip = v4(a);

	return route_del(r, AF_INET, (const uint8_t *)&ip, depth);
}

static int look4(struct route_table *r, const char *a)
{
	return route_lookup_v4(r, v4(a));
}

static int setup(void **state)
{
	static unsigned n;
	char name[32];
	struct route_table *r;

	snprintf(name, sizeof(name), "rt_test%u", n++);
	r = route_create(name, 64, 64, (int)rte_socket_id());
	if (r == NULL)
		return -1;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	route_free(*state);
	return 0;
}

static void test_v4_longest_prefix(void **state)
{
	struct route_table *r = *state;

	assert_int_equal(look4(r, "10.1.2.3"), ROUTE_NONE);
	assert_int_equal(add4(r, "10.0.0.0", 8, 1), 0);
	assert_int_equal(add4(r, "10.1.0.0", 16, 2), 0);
	assert_int_equal(add4(r, "10.1.2.0", 24, 3), 0);
	assert_int_equal(add4(r, "10.1.2.3", 32, 4), 0);
	assert_int_equal(add4(r, "10.1.2.128", 25, 5), 0);

	assert_int_equal(look4(r, "10.1.2.3"), 4);
	assert_int_equal(look4(r, "10.1.2.4"), 3);
	assert_int_equal(look4(r, "10.1.2.200"), 5);
	assert_int_equal(look4(r, "10.1.3.1"), 2);
	assert_int_equal(look4(r, "10.200.0.1"), 1);
	assert_int_equal(look4(r, "11.0.0.1"), ROUTE_NONE);
	assert_int_equal(look4(r, "9.255.255.255"), ROUTE_NONE);
	/* Byte order: 10.0.0.0/8 must not match 0.0.0.10. */
	assert_int_equal(look4(r, "0.0.0.10"), ROUTE_NONE);
}

static void test_v4_host_bits_ignored(void **state)
{
	struct route_table *r = *state;

	assert_int_equal(add4(r, "192.168.1.77", 24, 7), 0);
	assert_int_equal(look4(r, "192.168.1.1"), 7);
	assert_int_equal(look4(r, "192.168.2.1"), ROUTE_NONE);
	assert_int_equal(del4(r, "192.168.1.0", 24), 0);
	assert_int_equal(look4(r, "192.168.1.77"), ROUTE_NONE);
}

static void test_v4_del_replace(void **state)
{
	struct route_table *r = *state;

	assert_int_equal(add4(r, "172.16.0.0", 12, 1), 0);
	assert_int_equal(add4(r, "172.16.5.0", 24, 2), 0);
	assert_int_equal(look4(r, "172.16.5.9"), 2);

	/* Replace keeps one rule and changes its peer. */
	assert_int_equal(add4(r, "172.16.5.0", 24, 9), 0);
	assert_int_equal(look4(r, "172.16.5.9"), 9);

	assert_int_equal(del4(r, "172.16.5.0", 24), 0);
	assert_int_equal(look4(r, "172.16.5.9"), 1);
	assert_int_equal(del4(r, "172.16.5.0", 24), -ENOENT);
	/* Same address, other depth: absent. */
	assert_int_equal(del4(r, "172.16.0.0", 16), -ENOENT);
	assert_int_equal(del4(r, "172.16.0.0", 12), 0);
	assert_int_equal(look4(r, "172.16.5.9"), ROUTE_NONE);
	assert_int_equal(del4(r, "8.8.8.8", 32), -ENOENT);
}

static void test_v4_default_and_host(void **state)
{
	struct route_table *r = *state;

	assert_int_equal(del4(r, "0.0.0.0", 0), -ENOENT);
	assert_int_equal(add4(r, "0.0.0.0", 0, 3), 0);
	assert_int_equal(look4(r, "1.2.3.4"), 3);
	assert_int_equal(look4(r, "255.255.255.255"), 3);
	assert_int_equal(add4(r, "1.2.3.4", 32, 4), 0);
	assert_int_equal(look4(r, "1.2.3.4"), 4);
	assert_int_equal(look4(r, "1.2.3.5"), 3);
	/* Replace the default. */
	assert_int_equal(add4(r, "0.0.0.0", 0, 6), 0);
	assert_int_equal(look4(r, "1.2.3.5"), 6);
	assert_int_equal(del4(r, "0.0.0.0", 0), 0);
	assert_int_equal(look4(r, "1.2.3.5"), ROUTE_NONE);
	assert_int_equal(look4(r, "1.2.3.4"), 4);
	assert_int_equal(del4(r, "1.2.3.4", 32), 0);
	assert_int_equal(look4(r, "1.2.3.4"), ROUTE_NONE);
}

static void test_v6_longest_prefix(void **state)
{
	struct route_table *r = *state;

	assert_int_equal(route_lookup_v6(r, v6("2001:db8::1")), ROUTE_NONE);
	assert_int_equal(route_add(r, AF_INET6, v6("2001:db8::"), 32, 1), 0);
	assert_int_equal(route_add(r, AF_INET6, v6("2001:db8:1::"), 48, 2), 0);
	assert_int_equal(route_add(r, AF_INET6, v6("2001:db8:1:2::"), 64, 3), 0);
	assert_int_equal(route_add(r, AF_INET6, v6("2001:db8:1:2::7"), 128, 4), 0);

	assert_int_equal(route_lookup_v6(r, v6("2001:db8:1:2::7")), 4);
	assert_int_equal(route_lookup_v6(r, v6("2001:db8:1:2::8")), 3);
	assert_int_equal(route_lookup_v6(r, v6("2001:db8:1:3::7")), 2);
	assert_int_equal(route_lookup_v6(r, v6("2001:db8:ffff::1")), 1);
	assert_int_equal(route_lookup_v6(r, v6("2001:db9::1")), ROUTE_NONE);
	assert_int_equal(route_lookup_v6(r, v6("::1")), ROUTE_NONE);

	/* Host bits in the added prefix are ignored. */
	assert_int_equal(route_add(r, AF_INET6, v6("fd00:1:2:3:4:5:6:7"), 64, 5), 0);
	assert_int_equal(route_lookup_v6(r, v6("fd00:1:2:3::99")), 5);
	assert_int_equal(route_del(r, AF_INET6, v6("fd00:1:2:3::"), 64), 0);
	assert_int_equal(route_lookup_v6(r, v6("fd00:1:2:3::99")), ROUTE_NONE);
}

static void test_v6_del_replace_default(void **state)
{
	struct route_table *r = *state;

	assert_int_equal(route_add(r, AF_INET6, v6("2001:db8::"), 32, 1), 0);
	assert_int_equal(route_add(r, AF_INET6, v6("2001:db8::"), 32, 8), 0);
	assert_int_equal(route_lookup_v6(r, v6("2001:db8::1")), 8);
	assert_int_equal(route_del(r, AF_INET6, v6("2001:db8::"), 48), -ENOENT);
	assert_int_equal(route_del(r, AF_INET6, v6("2001:db8::"), 32), 0);
	assert_int_equal(route_del(r, AF_INET6, v6("2001:db8::"), 32), -ENOENT);
	assert_int_equal(route_lookup_v6(r, v6("2001:db8::1")), ROUTE_NONE);

	assert_int_equal(route_del(r, AF_INET6, v6("::"), 0), -ENOENT);
	assert_int_equal(route_add(r, AF_INET6, v6("::"), 0, 2), 0);
	assert_int_equal(route_lookup_v6(r, v6("2001:db8::1")), 2);
	assert_int_equal(route_lookup_v6(r, v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), 2);
	assert_int_equal(route_add(r, AF_INET6, v6("::1"), 128, 3), 0);
	assert_int_equal(route_lookup_v6(r, v6("::1")), 3);
	assert_int_equal(route_lookup_v6(r, v6("::2")), 2);
	assert_int_equal(route_del(r, AF_INET6, v6("::"), 0), 0);
	assert_int_equal(route_lookup_v6(r, v6("::2")), ROUTE_NONE);
	assert_int_equal(route_lookup_v6(r, v6("::1")), 3);

	/* The families are separate tables. */
	assert_int_equal(look4(r, "0.0.0.1"), ROUTE_NONE);
}

static void test_src_ok(void **state)
{
	struct route_table *r = *state;

	assert_int_equal(add4(r, "10.8.0.0", 24, 1), 0);
	assert_int_equal(add4(r, "10.9.0.0", 24, 2), 0);
	assert_true(route_src_ok_v4(r, v4("10.8.0.5"), 1));
	assert_false(route_src_ok_v4(r, v4("10.8.0.5"), 2));
	assert_true(route_src_ok_v4(r, v4("10.9.0.5"), 2));
	assert_false(route_src_ok_v4(r, v4("10.10.0.5"), 1));
	/* Peer 0 must not match a miss. */
	assert_false(route_src_ok_v4(r, v4("10.10.0.5"), 0));
	assert_false(route_src_ok_v4(r, v4("10.10.0.5"), 0xffff));

	assert_int_equal(route_add(r, AF_INET6, v6("fd00:8::"), 64, 1), 0);
	assert_true(route_src_ok_v6(r, v6("fd00:8::5"), 1));
	assert_false(route_src_ok_v6(r, v6("fd00:8::5"), 2));
	assert_false(route_src_ok_v6(r, v6("fd00:9::5"), 1));
	assert_false(route_src_ok_v6(r, v6("fd00:9::5"), 0));
}

static void test_bad_args(void **state)
{
	struct route_table *r = *state;
	uint32_t ip = v4("10.0.0.0");

	assert_int_equal(add4(r, "10.0.0.0", 33, 1), -EINVAL);
	assert_int_equal(del4(r, "10.0.0.0", 33), -EINVAL);
	assert_int_equal(route_add(r, AF_INET6, v6("2001:db8::"), 129, 1), -EINVAL);
	assert_int_equal(route_del(r, AF_INET6, v6("2001:db8::"), 129), -EINVAL);
	assert_int_equal(route_add(r, AF_UNIX, (const uint8_t *)&ip, 8, 1), -EINVAL);
	assert_int_equal(route_del(r, 12345, (const uint8_t *)&ip, 8), -EINVAL);
	assert_int_equal(route_add(r, AF_INET, NULL, 8, 1), -EINVAL);
	assert_int_equal(route_add(NULL, AF_INET, (const uint8_t *)&ip, 8, 1), -EINVAL);
	/* Nothing was added by the rejected calls. */
	assert_int_equal(look4(r, "10.0.0.1"), ROUTE_NONE);
}

static void test_nospace(void **state)
{
	struct route_table *r;
	uint32_t ip;
	int i, rc = 0;

	(void)state;
	r = route_create("rt_small", 4, 4, (int)rte_socket_id());
	assert_non_null(r);
	for (i = 0; i < 4; i++) {
		ip = htonl(0x0a000000u | (uint32_t)i << 8);
		assert_int_equal(route_add(r, AF_INET, (const uint8_t *)&ip, 24, (uint16_t)i), 0);
	}
	ip = htonl(0x0a000000u | 9u << 8);
	rc = route_add(r, AF_INET, (const uint8_t *)&ip, 24, 9);
	assert_int_equal(rc, -ENOSPC);
	/* Replacing an existing prefix still works when full. */
	ip = htonl(0x0a000100u);
	assert_int_equal(route_add(r, AF_INET, (const uint8_t *)&ip, 24, 7), 0);
	assert_int_equal(look4(r, "10.0.1.1"), 7);
	route_free(r);
}

static void test_names(void **state)
{
	struct route_table *a, *b;

	(void)state;
	a = route_create("rt_same", 4, 4, (int)rte_socket_id());
	assert_non_null(a);
	/* A second table of the same name would clash in DPDK's registry. */
	b = route_create("rt_same", 4, 4, (int)rte_socket_id());
	assert_null(b);
	assert_int_equal(add4(a, "10.0.0.0", 8, 1), 0);
	assert_int_equal(look4(a, "10.0.0.1"), 1);
	route_free(a);
	/* The name is free again, and a failed create left nothing behind. */
	a = route_create("rt_same", 4, 4, (int)rte_socket_id());
	assert_non_null(a);
	route_free(a);
	assert_null(route_create("a_name_much_too_long_for_an_lpm_table", 4, 4,
				 (int)rte_socket_id()));
	assert_null(route_create(NULL, 4, 4, (int)rte_socket_id()));
	route_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v4_longest_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_host_bits_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_del_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_default_and_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_longest_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_del_replace_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_src_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test(test_nospace),
		cmocka_unit_test(test_names),
	};

	if (test_eal_init() < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
