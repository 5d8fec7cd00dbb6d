/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/console and lib/telemetry's pure parts: show config
 * (keys hidden, and the text parses back to the same config), the SA and
 * lcore rows shared by the console and telemetry, the drop direction,
 * console_exec (cmdline's messages for malformed commands, nothing
 * changed, output into a FILE *, several threads at once), and the
 * telemetry key and output splitting helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "console.h"
#include "telemetry.h"
#include "test_eal.h"

#define KOUT "00112233445566778899aabbccddeeff01020304"
#define KIN "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"

static const char conf_text[] =
	"[gateway]\n"
	"wan = net_af_packet0,iface=eth1\n"
	"wan-address = 198.18.0.1/24\n"
	"wan-gateway = 198.18.0.254\n"
	"wan-mtu = 1400\n"
	"udp-port = 4501\n"
	"inside-name = vpn7\n"
	"inside-offload = no\n"
	"inside-address = 198.19.0.1/24, 2001:db8::1/64\n"
	"neighbour = 198.18.0.9 02:00:00:00:00:09\n"
	"state-file = /tmp/pmdvpn-test-console.state\n"
	"crypto = openssl\n"
	"\n"
	"[peer site-b]\n"
	"endpoint = 198.18.0.2:4600\n"
	"subnets = 198.19.1.0/24, 2001:db8:1::/64\n"
	"cipher = aes-128-gcm\n"
	"spi-out = 0x2001\n"
	"key-out = " KOUT "\n"
	"spi-in = 0x1001\n"
	"key-in = " KIN "\n"
	"esn = no\n"
	"replay-window = 2048\n"
	"encap = none\n";

static struct conf *load(const char *text)
{
	char err[CONF_ERR_MAX];
	struct conf *c = NULL;

	if (conf_parse(text, strlen(text), "/tmp/t.conf", &c, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	return c;
}

/* Captures what fn writes. */
static char *capture_config(const struct conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	console_print_config(f, c);
	fclose(f);
	return text;
}

static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t n = 0, fl = strlen(from), tl = strlen(to);
	char *out = malloc(strlen(s) * 2 + 256), *o = out;

	assert_non_null(out);
	while (*s) {
		if (strncmp(s, from, fl) == 0 && n == 0) {
			memcpy(o, to, tl);
			o += tl;
			s += fl;
			n++;
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static void test_show_config_hides_keys_and_parses_back(void **state)
{
	struct conf *c = load(conf_text), *c2;
	char *text, *t1, *t2;

	(void)state;
	text = capture_config(c);
	assert_null(strstr(text, KOUT));
	assert_null(strstr(text, KIN));
	assert_null(strstr(text, "00112233"));
	assert_non_null(strstr(text, "\nkey-out = <hidden>\n"));
	assert_non_null(strstr(text, "\nkey-in = <hidden>\n"));
	/* With the keys put back, the text is the same config. */
	t1 = replace_all(text, "key-out = <hidden>", "key-out = " KOUT);
	t2 = replace_all(t1, "key-in = <hidden>", "key-in = " KIN);
	c2 = load(t2);
	assert_memory_equal(&c->gw, &c2->gw, sizeof(c->gw));
	assert_int_equal(c2->n_peers, 1);
	c2->peers[0].line = c->peers[0].line;
	assert_memory_equal(&c->peers[0], &c2->peers[0], sizeof(c->peers[0]));
	free(t1);
	free(t2);
	free(text);
	conf_free(c);
	conf_free(c2);
}

static void test_drop_direction(void **state)
{
	(void)state;
	assert_true(console_drop_is_inbound(STATS_DROP_NO_SA));
	assert_true(console_drop_is_inbound(STATS_DROP_REPLAY));
	assert_true(console_drop_is_inbound(STATS_DROP_AUTH));
	assert_true(console_drop_is_inbound(STATS_DROP_MALFORMED));
	assert_true(console_drop_is_inbound(STATS_DROP_POLICY));
	assert_false(console_drop_is_inbound(STATS_DROP_TOO_BIG));
	assert_false(console_drop_is_inbound(STATS_DROP_NO_NEIGH));
	assert_false(console_drop_is_inbound(STATS_DROP_SEQ_EXHAUSTED));
	assert_false(console_drop_is_inbound(STATS_DROP_TX_FULL));
}

/* A gateway's worth of state without a gateway. */
struct fake {
	struct conf *c;
	struct sa_out out;
	struct sa_in in;
	struct replay_window *rw;
	struct sa_out *outs[1];
	struct sa_in *ins[1];
	struct worker w;
	struct console_env env;
	volatile bool stop;
};

static struct fake *fake_new(void)
{
	struct fake *f = aligned_alloc(RTE_CACHE_LINE_SIZE,
				       RTE_ALIGN_CEIL(sizeof(struct fake), RTE_CACHE_LINE_SIZE));

	assert_non_null(f);
	memset(f, 0, sizeof(*f));
	f->c = load(conf_text);
	f->out.spi = 0x2001;
	f->out.alg = AEAD_AES128_GCM;
	f->out.seq = 41;
	f->out.seq_limit = 1000;
	f->out.seq_max = UINT32_MAX;
	f->rw = malloc(replay_window_memsize(2048));
	assert_non_null(f->rw);
	assert_int_equal(replay_window_init(f->rw, 2048), 0);
	f->rw->top = 77;
	f->in.spi = 0x1001;
	f->in.alg = AEAD_AES128_GCM;
	f->in.replay = f->rw;
	f->outs[0] = &f->out;
	f->ins[0] = &f->in;
	f->w.lcore_id = 3;
	f->w.burst = 32;
	f->env = (struct console_env){
		.conf = f->c, .sa_out = f->outs, .sa_in = f->ins,
		.wan_port = RTE_MAX_ETHPORTS, .inside_port = RTE_MAX_ETHPORTS,
		.inside_kind = "vtap", .workers = &f->w, .n_workers = 1, .main_lcore = 0,
		.stop = &f->stop,
	};
	return f;
}

static void fake_free(struct fake *f)
{
	conf_free(f->c);
	free(f->rw);
	free(f);
}

static void test_sa_rows(void **state)
{
	struct fake *f = fake_new();
	struct stats_lcore *sum = calloc(1, sizeof(*sum));
	struct console_sa_row rows[4];
	unsigned n;

	(void)state;
	assert_non_null(sum);
	sum->peer[0].tx_pkts = 40;
	sum->peer[0].tx_bytes = 4000;
	sum->peer[0].rx_pkts = 70;
	sum->peer[0].rx_bytes = 7000;
	sum->peer[0].drop[STATS_DROP_AUTH] = 3;
	sum->peer[0].drop[STATS_DROP_REPLAY] = 2;
	sum->peer[0].drop[STATS_DROP_NO_NEIGH] = 5;
	n = console_sa_rows(&f->env, sum, true, true, rows, 4);
	assert_int_equal(n, 2);
	assert_true(rows[0].out);
	assert_string_equal(rows[0].peer, "site-b");
	assert_int_equal(rows[0].spi, 0x2001);
	assert_int_equal(rows[0].seq, 41);
	assert_int_equal(rows[0].seq_limit, 1000);
	assert_int_equal(rows[0].seq_left, UINT32_MAX - 41);
	assert_int_equal(rows[0].pkts, 40);
	assert_int_equal(rows[0].bytes, 4000);
	assert_int_equal(rows[0].errors, 5);
	assert_false(rows[1].out);
	assert_int_equal(rows[1].spi, 0x1001);
	assert_int_equal(rows[1].window, 2048);
	assert_int_equal(rows[1].top, 77);
	assert_int_equal(rows[1].pkts, 70);
	assert_int_equal(rows[1].errors, 5);
	/* One direction, and never more rows than asked for. */
	assert_int_equal(console_sa_rows(&f->env, sum, false, true, rows, 4), 1);
	assert_false(rows[0].out);
	assert_int_equal(console_sa_rows(&f->env, sum, true, true, rows, 1), 1);
	assert_true(rows[0].out);
	free(sum);
	fake_free(f);
}

static void test_lcore_rows(void **state)
{
	struct fake *f = fake_new();
	struct console_lcore_row rows[8];
	struct stats_lcore *s3 = stats_lcore_get(3), *s5 = stats_lcore_get(5);
	unsigned n;

	(void)state;
	stats_clear();
	s3->busy_cycles = 300;
	s3->idle_cycles = 700;
	s3->polls = 100;
	s3->busy_polls = 10;
	s3->port[WORKER_PORT_WAN].rx_pkts = 25;
	s3->port[WORKER_PORT_INSIDE].rx_pkts = 15;
	s5->polls = 1;
	n = console_lcore_rows(&f->env, rows, 8);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].lcore, 0);
	assert_string_equal(rows[0].role, "main");
	assert_int_equal(rows[1].lcore, 3);
	assert_string_equal(rows[1].role, "worker");
	assert_int_equal(rows[1].rx_pkts, 40);
	assert_true(rows[1].busy_pct > 29.99 && rows[1].busy_pct < 30.01);
	assert_true(rows[1].pkts_per_busy_poll > 3.99 && rows[1].pkts_per_busy_poll < 4.01);
	assert_int_equal(rows[2].lcore, 5);
	assert_string_equal(rows[2].role, "other");
	assert_int_equal(console_lcore_rows(&f->env, rows, 2), 2);
	stats_clear();
	fake_free(f);
}

/* Runs one line through console_exec; returns its output (free it). */
static char *exec(const char *line, int *rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	*rc = console_exec(line, f);
	fclose(f);
	return text;
}

static void test_exec(void **state)
{
	struct fake *f = fake_new();
	char *out;
	int rc;

	(void)state;
	console_env_set(&f->env);

	out = exec("show routes", &rc);
	assert_int_equal(rc, CONSOLE_OK);
	assert_string_equal(out,
		"route 198.19.1.0/24 peer site-b endpoint 198.18.0.2 spi-out 0x00002001\n"
		"route 2001:db8:1::/64 peer site-b endpoint 198.18.0.2 spi-out 0x00002001\n");
	free(out);

	out = exec("show sa out", &rc);
	assert_int_equal(rc, CONSOLE_OK);
	assert_non_null(strstr(out, "sa out spi 0x00002001 peer site-b cipher aes-128-gcm esn no seq 41 "
				    "seq-limit 1000 (reserved)"));
	assert_null(strstr(out, "sa in"));
	free(out);

	out = exec("show sa", &rc);
	assert_int_equal(rc, CONSOLE_OK);
	assert_non_null(strstr(out, "sa in spi 0x00001001 peer site-b cipher aes-128-gcm esn no "
				    "replay-window 2048 top 77 "));
	free(out);

	out = exec("show config", &rc);
	assert_int_equal(rc, CONSOLE_OK);
	assert_null(strstr(out, KOUT));
	assert_null(strstr(out, KIN));
	free(out);

	out = exec("show peer site-b", &rc);
	assert_int_equal(rc, CONSOLE_OK);
	assert_non_null(strstr(out, "spi-out 0x00002001 spi-in 0x00001001"));
	free(out);
	out = exec("show peer nosuch", &rc);
	assert_string_equal(out, "no peer named 'nosuch' (show peers lists them)\n");
	free(out);

	/* Malformed: cmdline's own words, nothing run. */
	out = exec("frobnicate", &rc);
	assert_int_equal(rc, CONSOLE_NOT_FOUND);
	assert_string_equal(out, "Command not found\n");
	free(out);
	out = exec("show sa sideways", &rc);
	assert_int_equal(rc, CONSOLE_BAD_ARGS);
	assert_string_equal(out, "Bad arguments\n");
	free(out);
	out = exec("show", &rc);
	assert_int_equal(rc, CONSOLE_BAD_ARGS);
	free(out);
	out = exec("quit now", &rc);
	assert_int_equal(rc, CONSOLE_BAD_ARGS);
	assert_false(f->stop);
	free(out);
	out = exec("show routes\nquit", &rc);
	assert_int_equal(rc, CONSOLE_ERROR);
	assert_false(f->stop);
	free(out);
	{
		char *longline = malloc(4096);

		assert_non_null(longline);
		memset(longline, 'x', 4095);
		longline[4095] = '\0';
		out = exec(longline, &rc);
		assert_int_equal(rc, CONSOLE_ERROR);
		free(out);
		free(longline);
	}
	/* Empty lines and comments run nothing and say nothing. */
	out = exec("# a comment", &rc);
	assert_int_equal(rc, CONSOLE_OK);
	assert_string_equal(out, "");
	free(out);

	/* clear stats zeroes the counters; malformed "clear" does not. */
	stats_lcore_get(2)->drop[STATS_DROP_AUTH] = 9;
	out = exec("clear statz", &rc);
	assert_int_equal(rc, CONSOLE_BAD_ARGS);
	assert_int_equal(stats_lcore_get(2)->drop[STATS_DROP_AUTH], 9);
	free(out);
	out = exec("clear stats", &rc);
	assert_int_equal(rc, CONSOLE_OK);
	assert_int_equal(stats_lcore_get(2)->drop[STATS_DROP_AUTH], 0);
	free(out);

	/* help lists every command. */
	out = exec("help", &rc);
	assert_non_null(strstr(out, "show sa in|out"));
	assert_non_null(strstr(out, "show port stats all|wan|inside"));
	free(out);

	out = exec("quit", &rc);
	assert_int_equal(rc, CONSOLE_OK);
	assert_true(f->stop);
	free(out);

	/* Withdrawn env: commands say so instead of reading freed state. */
	console_env_set(NULL);
	out = exec("show sa", &rc);
	assert_string_equal(out, "the gateway is not running\n");
	free(out);
	fake_free(f);
}

static void *exec_many(void *arg)
{
	const char *expect = arg;

	for (int i = 0; i < 200; i++) {
		int rc;
		char *out = exec(i % 2 ? "show routes" : "show sa out", &rc);

		if (rc != CONSOLE_OK || (i % 2 && strcmp(out, expect) != 0)) {
			free(out);
			return (void *)1;
		}
		free(out);
	}
	return NULL;
}

static void test_exec_threads(void **state)
{
	struct fake *f = fake_new();
	pthread_t t[4];
	char *expect;
	int rc;

	(void)state;
	console_env_set(&f->env);
	expect = exec("show routes", &rc);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, exec_many, expect), 0);
	for (unsigned i = 0; i < 4; i++) {
		void *res;

		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	console_env_set(NULL);
	free(expect);
	fake_free(f);
}

static void test_telemetry_key(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(telemetry_key(buf, sizeof(buf), "no-sa"), "no_sa");
	assert_string_equal(telemetry_key(buf, sizeof(buf), "peer/auth-failure"), "peer/auth_failu");
	assert_string_equal(telemetry_key(buf, sizeof(buf), "a b.c:d\"e"), "abcde");
	assert_string_equal(telemetry_key(buf, 1, "abc"), "");
}

struct pieces {
	char joined[256];
	size_t max;
	unsigned n;
	unsigned bad;
};

static void collect(const char *s, size_t len, void *arg)
{
	struct pieces *p = arg;
	const char *nl = memchr(s, '\n', len);

	if (len > p->max || len == 0 || (nl != NULL && nl != s + len - 1))
		p->bad++;
	strncat(p->joined, s, len);
	p->n++;
}

static void test_telemetry_split(void **state)
{
	const char *text = "short\na line longer than ten\n\nend";
	struct pieces p = { .max = 10 };
	unsigned n;

	(void)state;
	n = telemetry_split(text, strlen(text), 10, collect, &p);
	assert_int_equal(n, p.n);
	assert_int_equal(p.bad, 0);
	assert_string_equal(p.joined, text);
	/* "short\n" | "a line lon" | "ger than t" | "en\n" | "\n" | "end" */
	assert_int_equal(n, 6);
	assert_int_equal(telemetry_split("", 0, 10, collect, &p), 0);
	assert_int_equal(telemetry_split("abc", 3, 0, collect, &p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show_config_hides_keys_and_parses_back),
		cmocka_unit_test(test_drop_direction),
		cmocka_unit_test(test_sa_rows),
		cmocka_unit_test(test_lcore_rows),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_threads),
		cmocka_unit_test(test_telemetry_key),
		cmocka_unit_test(test_telemetry_split),
	};

	if (test_eal_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
