/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command set, built from DPDK cmdline tokens as testpmd's is: tab
 * completion and '?' help come from the library. The same context runs
 * three ways:
 *   - the prompt (console_run): input read here with poll() + read() and
 *     fed to cmdline_in(), so the loop also notices signals and end of input;
 *   - a script (console_run_file, --cmdline-file): the file fed the same way,
 *     so each command is echoed behind the prompt;
 *   - one line from another thread (console_exec, telemetry /pmdvpn/cmd):
 *     cmdline_parse() on a throw-away struct cmdline whose fds are /dev/null,
 *     the output going to a FILE * the caller gives.
 * Command callbacks write to the calling thread's output stream (cons_out)
 * and run under cons_lock, which also guards the published env.
 *
 * Adding a command: one cmdline_parse_inst_t whose .data is a struct
 * cmd_def, listed in console_ctx. Commands that change the data plane
 * (peer add/del/set, sa rekey, set burst...) must hand their change to the
 * workers through RCU, never write worker-owned state from here.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "capture.h"
#include "console_priv.h"

#define PROMPT "pmdvpn> "

static pthread_mutex_t cons_lock = PTHREAD_MUTEX_INITIALIZER;
static struct console_env cons_env;
static bool cons_env_ok;
static volatile bool cons_quit;        /* the prompt or the script must end (any thread) */
static __thread FILE *cons_out;        /* where this thread's command writes */

void console_env_set(const struct console_env *env)
{
	pthread_mutex_lock(&cons_lock);
	if (env != NULL) {
		cons_env = *env;
	} else {
		/* A capture hooks the env's ports: it ends with the env, while
		 * the workers still run (their quiescent states let it free
		 * its callbacks). */
		capture_stop_all();
		memset(&cons_env, 0, sizeof(cons_env));
	}
	cons_env_ok = env != NULL;
	pthread_mutex_unlock(&cons_lock);
}

const struct console_env *console_env_acquire(void)
{
	pthread_mutex_lock(&cons_lock);
	return cons_env_ok ? &cons_env : NULL;
}

void console_env_release(void)
{
	pthread_mutex_unlock(&cons_lock);
}

/* ------------------------------------------------------------- commands */

/* Every command's parse result: up to four words. */
struct cmd_words {
	cmdline_fixed_string_t w[4];
};

typedef void (*cmd_fn)(FILE *f, const struct console_env *e, const struct cmd_words *r,
		       struct cmdline *cl);

struct cmd_def {
	cmd_fn fn;
};

static void cmd_dispatch(void *parsed, struct cmdline *cl, void *data)
{
	const struct cmd_def *def = data;
	FILE *f = cons_out != NULL ? cons_out : stdout;

	/* The caller holds cons_lock (console_run, console_exec). */
	if (!cons_env_ok)
		fprintf(f, "the gateway is not running\n");
	else
		def->fn(f, &cons_env, parsed, cl);
	fflush(f);
}

#define WORD(n, choices) TOKEN_STRING_INITIALIZER(struct cmd_words, w[n], choices)

static void do_show_config(FILE *f, const struct console_env *e, const struct cmd_words *r,
			   struct cmdline *cl)
{
	(void)r; (void)cl;
	console_print_config(f, e->conf);
}

static void do_show_peers(FILE *f, const struct console_env *e, const struct cmd_words *r,
			  struct cmdline *cl)
{
	(void)r; (void)cl;
	show_peers(f, e);
}

static void do_show_peer(FILE *f, const struct console_env *e, const struct cmd_words *r,
			 struct cmdline *cl)
{
	(void)cl;
	show_peer(f, e, r->w[2]);
}

static void do_show_sa(FILE *f, const struct console_env *e, const struct cmd_words *r,
		       struct cmdline *cl)
{
	(void)cl;
	if (r->w[2][0] == '\0')
		show_sa(f, e, true, true);
	else
		show_sa(f, e, strcmp(r->w[2], "out") == 0, strcmp(r->w[2], "in") == 0);
}

static void do_show_port_stats(FILE *f, const struct console_env *e, const struct cmd_words *r,
			       struct cmdline *cl)
{
	(void)cl;
	show_port_stats(f, e, strcmp(r->w[3], "wan") == 0 ? SHOW_PORT_WAN :
			strcmp(r->w[3], "inside") == 0 ? SHOW_PORT_INSIDE : SHOW_PORT_ALL);
}

static void do_show_port_info(FILE *f, const struct console_env *e, const struct cmd_words *r,
			      struct cmdline *cl)
{
	(void)r; (void)cl;
	show_port_info(f, e);
}

static void do_show_lcores(FILE *f, const struct console_env *e, const struct cmd_words *r,
			   struct cmdline *cl)
{
	(void)r; (void)cl;
	show_lcores(f, e);
}

static void do_show_drops(FILE *f, const struct console_env *e, const struct cmd_words *r,
			  struct cmdline *cl)
{
	(void)r; (void)cl;
	show_drops(f, e);
}

static void do_show_neigh(FILE *f, const struct console_env *e, const struct cmd_words *r,
			  struct cmdline *cl)
{
	(void)r; (void)cl;
	show_neigh(f, e);
}

static void do_show_routes(FILE *f, const struct console_env *e, const struct cmd_words *r,
			   struct cmdline *cl)
{
	(void)r; (void)cl;
	show_routes(f, e);
}

static void do_show_stats(FILE *f, const struct console_env *e, const struct cmd_words *r,
			  struct cmdline *cl)
{
	(void)r; (void)cl;
	report_stats(f, e->conf);
}

static void do_clear_stats(FILE *f, const struct console_env *e, const struct cmd_words *r,
			   struct cmdline *cl)
{
	(void)e; (void)r; (void)cl;
	/* A worker may add to a counter while it is zeroed: that counter then
	 * keeps at most the increments of one burst. Good enough for display. */
	stats_clear();
	for (uint16_t id = 0; id < RTE_MAX_ETHPORTS; id++)
		if (rte_eth_dev_is_valid_port(id))
			rte_eth_stats_reset(id);
	fprintf(f, "counters cleared\n");
}

static void do_quit(FILE *f, const struct console_env *e, const struct cmd_words *r,
		    struct cmdline *cl)
{
	(void)f; (void)r;
	cons_quit = true;
	if (e->stop != NULL)
		*e->stop = true;
	cmdline_quit(cl);
}

/* ------------------------------------------------------ runtime changes */

/* Commands that end with free text: four words, then the rest of the line. */
struct cmd_multi {
	cmdline_fixed_string_t w[4];
	cmdline_multi_string_t rest;
};

static bool ctl_ok(FILE *f, const struct console_env *e)
{
	if (e->ctl == NULL) {
		fprintf(f, "runtime changes are not available here\n");
		return false;
	}
	return true;
}

/* Splits s (modified) into at most max white-space separated words. */
static unsigned split_words(char *s, char **words, unsigned max)
{
	unsigned n = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		words[n++] = t;
	}
	return n;
}

/* "0x1234" or "4660"; SPIs 0..255 are reserved (RFC 4303). */
static bool parse_spi(const char *s, uint32_t *spi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < 256 || v > UINT32_MAX)
		return false;
	*spi = (uint32_t)v;
	return true;
}

#define PEER_ARGS_MAX 64

static void do_peer_add(FILE *f, const struct console_env *e, const struct cmd_words *r,
			struct cmdline *cl)
{
	const struct cmd_multi *m = (const struct cmd_multi *)r;
	char rest[sizeof(m->rest)], *words[PEER_ARGS_MAX];
	char *kv;
	size_t cap = sizeof(m->rest) * 2, off = 0;
	unsigned n;

	(void)cl;
	if (!ctl_ok(f, e))
		return;
	snprintf(rest, sizeof(rest), "%s", m->rest);
	n = split_words(rest, words, PEER_ARGS_MAX);
	if (n == 0 || n > PEER_ARGS_MAX || n % 2 != 0) {
		fprintf(f, "peer add NAME: expected KEY VALUE pairs (endpoint IP[:PORT] subnets "
			"PFX[,PFX..] cipher C spi-out SPI key-out-file FILE spi-in SPI "
			"key-in-file FILE [esn yes|no] [replay-window N] [encap udp|none]; or for "
			"IKEv2, instead of cipher/spi/key: psk-file FILE [local-id ID] [remote-id ID] "
			"[ike P,P..] [esp P,P..] [rekey-time T] [dpd T] [initiate yes|no]; values "
			"without spaces)\n");
		return;
	}
	kv = calloc(1, cap);
	if (kv == NULL) {
		fprintf(f, "out of memory\n");
		return;
	}
	for (unsigned i = 0; i < n; i += 2) {
		if (strcmp(words[i], "psk") == 0) {
			/* a command line ends up in histories and logs */
			fprintf(f, "peer add: a pre-shared key comes from a file only: use "
				"psk-file FILE (mode 0600)\n");
			goto out;
		}
		if (strcmp(words[i], "key-out") == 0 || strcmp(words[i], "key-in") == 0) {
			fprintf(f, "peer add: keys come from files only: use %s-file FILE "
				"(nothing changed)\n", words[i]);
			goto out;
		}
		off += (size_t)snprintf(kv + off, cap - off, "%s = %s\n", words[i], words[i + 1]);
	}
	e->ctl->peer_add(e->ctl->arg, m->w[2], kv, f);
out:
	explicit_bzero(kv, cap);
	explicit_bzero(rest, sizeof(rest));
	free(kv);
}

static void do_peer_del(FILE *f, const struct console_env *e, const struct cmd_words *r,
			struct cmdline *cl)
{
	(void)cl;
	if (ctl_ok(f, e))
		e->ctl->peer_del(e->ctl->arg, r->w[2], f);
}

static void do_peer_set(FILE *f, const struct console_env *e, const struct cmd_words *r,
			struct cmdline *cl)
{
	const struct cmd_multi *m = (const struct cmd_multi *)r;

	(void)cl;
	if (ctl_ok(f, e))
		e->ctl->peer_set(e->ctl->arg, m->w[2], m->w[3], m->rest, f);
}

static void do_sa_rekey(FILE *f, const struct console_env *e, const struct cmd_words *r,
			struct cmdline *cl)
{
	const struct cmd_multi *m = (const struct cmd_multi *)r;
	char rest[sizeof(m->rest)], *words[12];
	struct console_rekey *rk;
	unsigned n;
	bool ok = true;

	(void)cl;
	if (!ctl_ok(f, e))
		return;
	rk = calloc(1, sizeof(*rk));
	if (rk == NULL) {
		fprintf(f, "out of memory\n");
		return;
	}
	rk->linger_s = -1;
	snprintf(rest, sizeof(rest), "%s", m->rest);
	n = split_words(rest, words, 10);
	if (n > 10 || n % 2 != 0)
		ok = false;
	for (unsigned i = 0; ok && i < n; i += 2) {
		const char *k = words[i], *v = words[i + 1];
		char *end;

		if (strcmp(k, "spi-out") == 0) {
			ok = parse_spi(v, &rk->spi_out);
		} else if (strcmp(k, "spi-in") == 0) {
			ok = parse_spi(v, &rk->spi_in);
		} else if (strcmp(k, "key-out-file") == 0) {
			ok = strlen(v) < sizeof(rk->key_out_file);
			snprintf(rk->key_out_file, sizeof(rk->key_out_file), "%s", v);
		} else if (strcmp(k, "key-in-file") == 0) {
			ok = strlen(v) < sizeof(rk->key_in_file);
			snprintf(rk->key_in_file, sizeof(rk->key_in_file), "%s", v);
		} else if (strcmp(k, "linger") == 0) {
			long s = strtol(v, &end, 10);

			ok = end != v && *end == '\0' && s >= 0 && s <= 86400;
			rk->linger_s = (int)s;
		} else if (strcmp(k, "key-out") == 0 || strcmp(k, "key-in") == 0) {
			fprintf(f, "sa rekey: keys come from files only: use %s-file FILE "
				"(nothing changed)\n", k);
			goto out;
		} else {
			ok = false;
		}
	}
	if (ok && ((rk->spi_out == 0 && rk->spi_in == 0) ||
		   (rk->spi_out != 0) != (rk->key_out_file[0] != '\0') ||
		   (rk->spi_in != 0) != (rk->key_in_file[0] != '\0')))
		ok = false;
	if (!ok) {
		fprintf(f, "usage: sa rekey PEER [spi-out SPI key-out-file FILE] [spi-in SPI "
			"key-in-file FILE] [linger SECONDS] (one direction at least; SPI "
			"256..0xffffffff; nothing changed)\n");
		goto out;
	}
	e->ctl->sa_rekey(e->ctl->arg, m->w[2], rk, f);
out:
	free(rk);
}

static void do_sa_retire(FILE *f, const struct console_env *e, const struct cmd_words *r,
			 struct cmdline *cl)
{
	(void)cl;
	if (ctl_ok(f, e))
		e->ctl->sa_retire(e->ctl->arg, r->w[2], f);
}

static void do_show_ike(FILE *f, const struct console_env *e, const struct cmd_words *r,
			struct cmdline *cl)
{
	(void)cl;
	if (ctl_ok(f, e) && e->ctl->ike_show == NULL)
		fprintf(f, "IKEv2 is not available here\n");
	else if (e->ctl != NULL)
		e->ctl->ike_show(e->ctl->arg, r->w[2][0] != '\0' ? r->w[2] : NULL, f);
}

static void do_ike(FILE *f, const struct console_env *e, const struct cmd_words *r,
		   struct cmdline *cl)
{
	(void)cl;
	if (ctl_ok(f, e) && e->ctl->ike_cmd == NULL)
		fprintf(f, "IKEv2 is not available here\n");
	else if (e->ctl != NULL)
		e->ctl->ike_cmd(e->ctl->arg, r->w[1], r->w[2], f);
}

static void do_reload(FILE *f, const struct console_env *e, const struct cmd_words *r,
		      struct cmdline *cl)
{
	(void)r; (void)cl;
	if (ctl_ok(f, e))
		e->ctl->reload(e->ctl->arg, f);
}

/* The knobs are read by each worker once per poll: a relaxed store is all
 * it takes (the workers are not const; the env only hands them out so). */
static void do_set_burst(FILE *f, const struct console_env *e, const struct cmd_words *r,
			 struct cmdline *cl)
{
	char *end;
	unsigned long v;

	(void)cl;
	errno = 0;
	v = strtoul(r->w[2], &end, 10);
	if (errno != 0 || end == r->w[2] || *end != '\0' || r->w[2][0] == '-' || v < 1 ||
	    v > WORKER_BURST_MAX) {
		fprintf(f, "set burst: expected 1..%u, got '%.32s' (nothing changed)\n",
			WORKER_BURST_MAX, r->w[2]);
		return;
	}
	for (unsigned i = 0; i < e->n_workers; i++)
		__atomic_store_n(&((struct worker *)(uintptr_t)&e->workers[i])->burst,
				 (uint16_t)v, __ATOMIC_RELAXED);
	fprintf(f, "burst %lu on %u worker(s)\n", v, e->n_workers);
}

static void do_set_backoff(FILE *f, const struct console_env *e, const struct cmd_words *r,
			   struct cmdline *cl)
{
	bool on = strcmp(r->w[2], "on") == 0;

	(void)cl;
	for (unsigned i = 0; i < e->n_workers; i++)
		__atomic_store_n(&((struct worker *)(uintptr_t)&e->workers[i])->idle_backoff, on,
				 __ATOMIC_RELAXED);
	fprintf(f, "idle-backoff %s on %u worker(s)\n", on ? "on" : "off", e->n_workers);
}

static void do_set_stages(FILE *f, const struct console_env *e, const struct cmd_words *r,
			  struct cmdline *cl)
{
	bool on = strcmp(r->w[2], "on") == 0;

	(void)cl;
	for (unsigned i = 0; i < e->n_workers; i++)
		__atomic_store_n(&((struct worker *)(uintptr_t)&e->workers[i])->stage_cycles, on,
				 __ATOMIC_RELAXED);
	fprintf(f, "stage-cycles %s on %u worker(s)%s\n", on ? "on" : "off", e->n_workers,
		on ? " (show lcores splits busy cycles: rx, classify, crypto, tx)" : "");
}

/* ------------------------------------------------------------- capture */

/* The ethdev behind a port name of the console ("wan", "inside"), or
 * RTE_MAX_ETHPORTS having said why there is none. */
static uint16_t capture_port(FILE *f, const struct console_env *e, const char *name)
{
	if (strcmp(name, "wan") == 0) {
		if (e->wan_port < RTE_MAX_ETHPORTS)
			return e->wan_port;
		fprintf(f, "capture: the gateway has no WAN port here (nothing started)\n");
	} else if (strcmp(name, "inside") == 0) {
		if (e->inside_port < RTE_MAX_ETHPORTS)
			return e->inside_port;
		fprintf(f, "capture: the inside is a %s, not an ethdev port: capture on the inside "
			"needs inside-offload = no (net_tap) or a LAN port; capture the wan, or "
			"tcpdump -i %s on the host (nothing started)\n",
			e->inside_kind != NULL ? e->inside_kind : "vtap",
			e->inside_ifname != NULL ? e->inside_ifname : "the inside interface");
	} else {
		fprintf(f, "capture: unknown port '%.32s': use wan or inside (nothing started)\n", name);
	}
	return RTE_MAX_ETHPORTS;
}

#define CAPTURE_USAGE "usage: capture start wan|inside FILE.pcapng [count N]"

static void do_capture_start(FILE *f, const struct console_env *e, const struct cmd_words *r,
			     struct cmdline *cl)
{
	const struct cmd_multi *m = (const struct cmd_multi *)r;
	char rest[sizeof(m->rest)], *words[4];
	unsigned long long count = 0;
	struct rte_rcu_qsbr *qs;
	uint16_t port;
	unsigned n;

	(void)cl;
	snprintf(rest, sizeof(rest), "%s", m->rest);
	n = split_words(rest, words, 3);
	if (n == 3 && strcmp(words[1], "count") == 0) {
		char *end;

		errno = 0;
		count = strtoull(words[2], &end, 10);
		if (errno != 0 || end == words[2] || *end != '\0' || words[2][0] == '-' ||
		    count == 0) {
			fprintf(f, "capture start: count expects a number of packets >= 1, got "
				"'%.32s' (nothing started)\n", words[2]);
			return;
		}
	} else if (n != 1) {
		fprintf(f, CAPTURE_USAGE " (one file name without spaces; nothing started)\n");
		return;
	}
	port = capture_port(f, e, m->w[2]);
	if (port == RTE_MAX_ETHPORTS)
		return;
	/* The workers share one QSBR variable: it tells when none of them can
	 * still be inside a removed callback. */
	qs = e->n_workers > 0 && e->workers != NULL ? e->workers[0].qsbr : NULL;
	capture_start(port, m->w[2], words[0], count, qs, f);
}

/* `capture start PORT` without a file. */
static void do_capture_usage(FILE *f, const struct console_env *e, const struct cmd_words *r,
			     struct cmdline *cl)
{
	(void)e; (void)r; (void)cl;
	fprintf(f, CAPTURE_USAGE " (nothing started)\n");
}

static void do_capture_stop(FILE *f, const struct console_env *e, const struct cmd_words *r,
			    struct cmdline *cl)
{
	(void)e; (void)r; (void)cl;
	capture_stop(f);
}

static void do_show_capture(FILE *f, const struct console_env *e, const struct cmd_words *r,
			    struct cmdline *cl)
{
	struct capture_status st;

	(void)e; (void)r; (void)cl;
	if (!capture_get_status(&st)) {
		fprintf(f, "capture none\n");
		return;
	}
	fprintf(f, "capture %s port %s (%u) file %s written %" PRIu64 " limit %" PRIu64
		" drop-ring %" PRIu64 " drop-nombuf %" PRIu64 " drop-write %" PRIu64 "\n",
		st.active ? (st.complete ? "complete" : "running") : "stopped", st.name, st.port,
		st.path, st.written, st.limit, st.drop_ring, st.drop_nombuf, st.drop_write);
}

/* ----------------------------------------------------------------- logs */

static const char *const log_levels[] = {
	[RTE_LOG_EMERG] = "emerg", [RTE_LOG_ALERT] = "alert", [RTE_LOG_CRIT] = "crit",
	[RTE_LOG_ERR] = "err", [RTE_LOG_WARNING] = "warning", [RTE_LOG_NOTICE] = "notice",
	[RTE_LOG_INFO] = "info", [RTE_LOG_DEBUG] = "debug",
};

/* A level by name (syslog's, as EAL's --log-level, with the long forms
 * rte_log_dump prints) or number 1..8; 0 if neither. */
static uint32_t parse_log_level(const char *s)
{
	static const struct { const char *name; uint32_t level; } alias[] = {
		{ "emergency", RTE_LOG_EMERG }, { "critical", RTE_LOG_CRIT },
		{ "error", RTE_LOG_ERR }, { "warn", RTE_LOG_WARNING },
	};
	char *end;
	unsigned long v;

	for (uint32_t l = RTE_LOG_EMERG; l <= RTE_LOG_DEBUG; l++)
		if (strcmp(s, log_levels[l]) == 0)
			return l;
	for (unsigned i = 0; i < RTE_DIM(alias); i++)
		if (strcmp(s, alias[i].name) == 0)
			return alias[i].level;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0' && s[0] != '-' && v >= RTE_LOG_EMERG &&
	    v <= RTE_LOG_DEBUG)
		return (uint32_t)v;
	return 0;
}

/* Calls fn(f, name, level) for each registered log type whose name
 * matches pattern (a glob, as rte_log_set_level_pattern's). DPDK 22.11
 * has no iterator over the types: their names come from rte_log_dump().
 * Returns the number of matches, -1 without memory. */
static int log_types_each(const char *pattern, FILE *f,
			  void (*fn)(FILE *f, const char *name, uint32_t level))
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int n = 0;

	if (mem == NULL)
		return -1;
	rte_log_dump(mem);
	fclose(mem);
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		unsigned id;
		char name[128];
		int level;

		if (sscanf(line, "id %u: %127[^,],", &id, name) != 2 ||
		    fnmatch(pattern, name, 0) != 0)
			continue;
		level = rte_log_get_level(id);
		if (level < 0)
			continue;
		n++;
		if (fn != NULL)
			fn(f, name, (uint32_t)level);
	}
	free(buf);
	return n;
}

static void print_log_type(FILE *f, const char *name, uint32_t level)
{
	fprintf(f, "log %s %s\n", name, level >= RTE_LOG_EMERG && level <= RTE_LOG_DEBUG ?
		log_levels[level] : "?");
}

static void show_log(FILE *f, const char *pattern)
{
	uint32_t g = rte_log_get_global_level();
	int n;

	fprintf(f, "log global %s\n", g >= RTE_LOG_EMERG && g <= RTE_LOG_DEBUG ?
		log_levels[g] : "?");
	n = log_types_each(pattern, f, print_log_type);
	if (n < 0)
		fprintf(f, "out of memory\n");
	else if (n == 0)
		fprintf(f, "(no log type matches '%.64s': show log PATTERN, e.g. show log 'lib.*')\n",
			pattern);
}

static void do_show_log(FILE *f, const struct console_env *e, const struct cmd_words *r,
			struct cmdline *cl)
{
	(void)e; (void)cl;
	show_log(f, r->w[2][0] != '\0' ? r->w[2] : "pmdvpn*");
}

static void do_set_log(FILE *f, const struct console_env *e, const struct cmd_words *r,
		       struct cmdline *cl)
{
	const char *type = r->w[2];
	uint32_t level = parse_log_level(r->w[3]);
	int n;

	(void)e; (void)cl;
	if (level == 0) {
		fprintf(f, "set log: unknown level '%.32s': emerg alert crit err warning notice "
			"info debug, or 1..8 (nothing changed)\n", r->w[3]);
		return;
	}
	if (strcmp(type, "global") == 0) {
		rte_log_set_global_level(level);
		fprintf(f, "log global %s\n", log_levels[level]);
		return;
	}
	n = log_types_each(type, f, NULL);
	if (n < 0) {
		fprintf(f, "out of memory (nothing changed)\n");
		return;
	}
	if (n == 0) {
		fprintf(f, "set log: no log type matches '%.64s' (show log PATTERN lists them; "
			"nothing changed)\n", type);
		return;
	}
	if (rte_log_set_level_pattern(type, level) != 0) {
		fprintf(f, "set log: cannot set '%.64s' (nothing changed)\n", type);
		return;
	}
	fprintf(f, "log level %s for %d type(s) matching '%s'\n", log_levels[level], n, type);
}

static void do_help(FILE *f, const struct console_env *e, const struct cmd_words *r,
		    struct cmdline *cl);

/* Tokens are spelled out per command: cmdline needs each instance's
 * NULL-terminated token array inline. */
#define TOKENS(...) .tokens = { __VA_ARGS__, NULL }

static cmdline_parse_token_string_t t_show = WORD(0, "show");
static cmdline_parse_token_string_t t_clear = WORD(0, "clear");
static cmdline_parse_token_string_t t_config = WORD(1, "config");
static cmdline_parse_token_string_t t_peers = WORD(1, "peers");
static cmdline_parse_token_string_t t_peer = WORD(1, "peer");
static cmdline_parse_token_string_t t_peer_name = WORD(2, NULL);
static cmdline_parse_token_string_t t_sa = WORD(1, "sa");
static cmdline_parse_token_string_t t_sa_dir = WORD(2, "in#out");
static cmdline_parse_token_string_t t_port = WORD(1, "port");
static cmdline_parse_token_string_t t_port_stats = WORD(2, "stats");
static cmdline_parse_token_string_t t_port_sel = WORD(3, "all#wan#inside");
static cmdline_parse_token_string_t t_port_info = WORD(2, "info");
static cmdline_parse_token_string_t t_lcores = WORD(1, "lcores");
static cmdline_parse_token_string_t t_drops = WORD(1, "drops");
static cmdline_parse_token_string_t t_neigh = WORD(1, "neigh");
static cmdline_parse_token_string_t t_routes = WORD(1, "routes");
static cmdline_parse_token_string_t t_stats = WORD(1, "stats");
static cmdline_parse_token_string_t t_quit = WORD(0, "quit#exit");
static cmdline_parse_token_string_t t_help = WORD(0, "help");

#define MWORD(n, choices) TOKEN_STRING_INITIALIZER(struct cmd_multi, w[n], choices)
static cmdline_parse_token_string_t t_peer0 = WORD(0, "peer");
static cmdline_parse_token_string_t t_add = WORD(1, "add");
static cmdline_parse_token_string_t t_del = WORD(1, "del");
static cmdline_parse_token_string_t t_set1 = WORD(1, "set");
static cmdline_parse_token_string_t t_sa0 = WORD(0, "sa");
static cmdline_parse_token_string_t t_rekey = WORD(1, "rekey");
static cmdline_parse_token_string_t t_retire = WORD(1, "retire");
static cmdline_parse_token_string_t t_name2 = WORD(2, NULL);
static cmdline_parse_token_string_t t_mname2 = MWORD(2, NULL);
static cmdline_parse_token_string_t t_set_key = MWORD(3, "endpoint#subnets");
static cmdline_parse_token_string_t t_rest = TOKEN_STRING_INITIALIZER(struct cmd_multi, rest,
								      TOKEN_STRING_MULTI);
static cmdline_parse_token_string_t t_reload = WORD(0, "reload");
static cmdline_parse_token_string_t t_ike0 = WORD(0, "ike");
static cmdline_parse_token_string_t t_ike1 = WORD(1, "ike");
static cmdline_parse_token_string_t t_ike_verb = WORD(1, "initiate#rekey#rekey-ike#dpd#terminate");
static cmdline_parse_token_string_t t_set0 = WORD(0, "set");
static cmdline_parse_token_string_t t_burst = WORD(1, "burst");
static cmdline_parse_token_string_t t_backoff = WORD(1, "idle-backoff");
static cmdline_parse_token_string_t t_stages = WORD(1, "stage-cycles");
static cmdline_parse_token_string_t t_onoff = WORD(2, "on#off");
static cmdline_parse_token_string_t t_capture0 = WORD(0, "capture");
static cmdline_parse_token_string_t t_cap_start = WORD(1, "start");
static cmdline_parse_token_string_t t_cap_stop = WORD(1, "stop");
static cmdline_parse_token_string_t t_capture1 = WORD(1, "capture");
static cmdline_parse_token_string_t t_log = WORD(1, "log");
static cmdline_parse_token_string_t t_word3 = WORD(3, NULL);

#define T(tok) ((void *)&tok)

#define INST(id, func, help, ...)					\
	static const struct cmd_def id##_def = { .fn = func };		\
	static cmdline_parse_inst_t id = {				\
		.f = cmd_dispatch, .data = (void *)&id##_def,		\
		.help_str = help, TOKENS(__VA_ARGS__),			\
	}

INST(cmd_show_config, do_show_config,
     "show config: the config as loaded (keys hidden)", T(t_show), T(t_config));
INST(cmd_show_peers, do_show_peers,
     "show peers: one line per peer: endpoint, cipher, SPIs, packets, subnets",
     T(t_show), T(t_peers));
INST(cmd_show_peer, do_show_peer,
     "show peer <name>: one peer in detail: next hop, counters, drops", T(t_show), T(t_peer),
     T(t_peer_name));
INST(cmd_show_sa_all, do_show_sa,
     "show sa: outbound and inbound SAs", T(t_show), T(t_sa));
INST(cmd_show_sa_dir, do_show_sa,
     "show sa in|out: SPI, cipher, sequence or replay window, packets, errors, age",
     T(t_show), T(t_sa), T(t_sa_dir));
INST(cmd_show_port_stats, do_show_port_stats,
     "show port stats all|wan|inside: pmdvpn's and the driver's port counters",
     T(t_show), T(t_port), T(t_port_stats), T(t_port_sel));
INST(cmd_show_port_info, do_show_port_info,
     "show port info: driver, MAC, MTU, queues, link", T(t_show), T(t_port), T(t_port_info));
INST(cmd_show_lcores, do_show_lcores,
     "show lcores: busy/idle cycles, packets per poll, the queues each lcore polls",
     T(t_show), T(t_lcores));
INST(cmd_show_drops, do_show_drops,
     "show drops: dropped packets per cause (with what the cause means) and per peer",
     T(t_show), T(t_drops));
INST(cmd_show_neigh, do_show_neigh,
     "show neigh: the WAN (and inside LAN) neighbour tables", T(t_show), T(t_neigh));
INST(cmd_show_routes, do_show_routes,
     "show routes: the peers' subnets and the peer each one goes to", T(t_show), T(t_routes));
INST(cmd_show_stats, do_show_stats,
     "show stats: every counter, one per line (the SIGUSR1 report)", T(t_show), T(t_stats));
INST(cmd_clear_stats, do_clear_stats,
     "clear stats: zero pmdvpn's and the drivers' counters", T(t_clear), T(t_stats));
INST(cmd_peer_add, do_peer_add,
     "peer add <name> endpoint IP[:PORT] subnets PFX[,..] cipher C spi-out SPI key-out-file F "
     "spi-in SPI key-in-file F [esn|replay-window|encap V] (or IKEv2: psk-file F [local-id|"
     "remote-id|ike|esp|rekey-time|dpd|initiate V]): add a peer to the running gateway",
     T(t_peer0), T(t_add), T(t_mname2), T(t_rest));
INST(cmd_peer_del, do_peer_del, "peer del <name>: remove a peer (its traffic stops)",
     T(t_peer0), T(t_del), T(t_name2));
INST(cmd_peer_set, do_peer_set,
     "peer set <name> endpoint IP[:PORT] | subnets PFX[,..]: change a running peer",
     T(t_peer0), T(t_set1), T(t_mname2), T(t_set_key), T(t_rest));
INST(cmd_sa_rekey, do_sa_rekey,
     "sa rekey <peer> [spi-out SPI key-out-file F] [spi-in SPI key-in-file F] [linger S]: new "
     "static keys; the old inbound SA keeps decrypting for S seconds (default 60)",
     T(t_sa0), T(t_rekey), T(t_mname2), T(t_rest));
INST(cmd_sa_retire, do_sa_retire,
     "sa retire <peer>: drop the inbound SA a rekey replaced, now", T(t_sa0), T(t_retire),
     T(t_name2));
INST(cmd_show_ike_all, do_show_ike,
     "show ike: every IKEv2 peer: state, role, IKE suite and SPIs, CHILD_SAs; IKE counters",
     T(t_show), T(t_ike1));
INST(cmd_show_ike, do_show_ike, "show ike <peer>: one IKEv2 peer", T(t_show), T(t_ike1),
     T(t_name2));
INST(cmd_ike, do_ike,
     "ike initiate|rekey|rekey-ike|dpd|terminate <peer>: start the IKE SA, rekey its CHILD_SA "
     "or the IKE SA, check liveness, delete it (no re-initiation until `ike initiate`)",
     T(t_ike0), T(t_ike_verb), T(t_name2));
INST(cmd_reload, do_reload,
     "reload: re-read the config file and apply its peer changes (as SIGHUP)", T(t_reload));
INST(cmd_set_burst, do_set_burst, "set burst <n>: packets per rx burst (1..64)",
     T(t_set0), T(t_burst), T(t_name2));
INST(cmd_set_backoff, do_set_backoff,
     "set idle-backoff on|off: workers pause/sleep after empty polls (on) or spin (off)",
     T(t_set0), T(t_backoff), T(t_onoff));
INST(cmd_set_stages, do_set_stages,
     "set stage-cycles on|off: split the workers' busy cycles into rx, classify, crypto and "
     "tx (show lcores; a few TSC reads per burst while on)",
     T(t_set0), T(t_stages), T(t_onoff));
INST(cmd_capture_start, do_capture_start,
     "capture start wan|inside <file.pcapng> [count N]: both directions of a port into a "
     "pcapng file (the wan: ESP; the inside: clear text)",
     T(t_capture0), T(t_cap_start), T(t_mname2), T(t_rest));
INST(cmd_capture_start_nofile, do_capture_usage,
     "capture start wan|inside: (no file: prints the usage)", T(t_capture0), T(t_cap_start), T(t_name2));
INST(cmd_capture_stop, do_capture_stop,
     "capture stop: end the capture; says how many packets were written and dropped",
     T(t_capture0), T(t_cap_stop));
INST(cmd_show_capture, do_show_capture,
     "show capture: the current (or last) capture: port, file, packets, drops",
     T(t_show), T(t_capture1));
INST(cmd_set_log, do_set_log,
     "set log <type> <level>: DPDK log level (emerg..debug or 1..8) of the types matching "
     "<type> (a glob, e.g. 'lib.*'; 'global' for the global level)",
     T(t_set0), T(t_log), T(t_name2), T(t_word3));
INST(cmd_show_log_all, do_show_log, "show log: the global and pmdvpn's log levels",
     T(t_show), T(t_log));
INST(cmd_show_log, do_show_log, "show log <type>: the log levels of the types matching <type>",
     T(t_show), T(t_log), T(t_name2));
INST(cmd_quit, do_quit,
     "quit: stop the gateway (drains, wipes keys, removes its host routes)", T(t_quit));
INST(cmd_help, do_help, "help: list the commands", T(t_help));

static cmdline_parse_ctx_t console_ctx[] = {
	/* show */
	&cmd_show_config, &cmd_show_peers, &cmd_show_peer, &cmd_show_sa_all, &cmd_show_sa_dir,
	&cmd_show_port_stats, &cmd_show_port_info, &cmd_show_lcores, &cmd_show_drops,
	&cmd_show_neigh, &cmd_show_routes, &cmd_show_stats,
	/* clear */
	&cmd_clear_stats,
	/* runtime changes */
	&cmd_peer_add, &cmd_peer_del, &cmd_peer_set, &cmd_sa_rekey, &cmd_sa_retire, &cmd_reload,
	/* IKEv2 */
	&cmd_show_ike_all, &cmd_show_ike, &cmd_ike,
	&cmd_set_burst, &cmd_set_backoff, &cmd_set_stages,
	/* capture, logs */
	&cmd_capture_start, &cmd_capture_start_nofile, &cmd_capture_stop, &cmd_show_capture, &cmd_set_log,
	&cmd_show_log_all, &cmd_show_log,
	&cmd_quit, &cmd_help,
	NULL,
};

static void do_help(FILE *f, const struct console_env *e, const struct cmd_words *r,
		    struct cmdline *cl)
{
	(void)e; (void)r; (void)cl;
	fprintf(f, "commands ('?' and TAB complete at the prompt):\n");
	for (unsigned i = 0; console_ctx[i] != NULL; i++)
		fprintf(f, "  %s\n", console_ctx[i]->help_str);
}

/* ----------------------------------------------------------- front ends */

static const char *parse_error(int rc)
{
	switch (rc) {
	case CMDLINE_PARSE_AMBIGUOUS: return "Ambiguous command";
	case CMDLINE_PARSE_NOMATCH: return "Command not found";
	case CMDLINE_PARSE_BAD_ARGS: return "Bad arguments";
	default: return NULL;
	}
}

int console_exec(const char *line, FILE *out)
{
	char buf[CONSOLE_LINE_MAX + 2];
	struct cmdline *cl;
	const char *msg;
	size_t len = strcspn(line, "\r\n");
	int fd, rc;

	if (line[len] != '\0' && line[len + strspn(line + len, "\r\n")] != '\0') {
		fprintf(out, "one command per call\n");
		return CONSOLE_ERROR;
	}
	if (len > CONSOLE_LINE_MAX) {
		fprintf(out, "command too long (at most %u characters)\n", CONSOLE_LINE_MAX);
		return CONSOLE_ERROR;
	}
	/* cmdline_parse() only runs a line that ends with its newline. */
	memcpy(buf, line, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(out, "cannot open /dev/null: %s\n", strerror(errno));
		return CONSOLE_ERROR;
	}
	/* cmdline_free() closes both fds when they are not 0..2. */
	cl = cmdline_new(console_ctx, "", fd, fd);
	if (cl == NULL) {
		close(fd);
		fprintf(out, "out of memory\n");
		return CONSOLE_ERROR;
	}
	pthread_mutex_lock(&cons_lock);
	cons_out = out;
	rc = cmdline_parse(cl, buf);
	cons_out = NULL;
	pthread_mutex_unlock(&cons_lock);
	cmdline_free(cl);
	msg = parse_error(rc);
	if (msg != NULL)
		fprintf(out, "%s\n", msg);
	fflush(out);
	/* cmdline_parse() returns the line's length when it ran a command. */
	switch (rc) {
	case CMDLINE_PARSE_AMBIGUOUS: return CONSOLE_AMBIGUOUS;
	case CMDLINE_PARSE_NOMATCH: return CONSOLE_NOT_FOUND;
	case CMDLINE_PARSE_BAD_ARGS: return CONSOLE_BAD_ARGS;
	default: return rc >= 0 ? CONSOLE_OK : CONSOLE_ERROR;
	}
}

/* Feeds bytes to the line editor: validated lines run their command. */
static int feed(struct cmdline *cl, const char *buf, int n)
{
	int rc;

	pthread_mutex_lock(&cons_lock);
	rc = cmdline_in(cl, buf, n);
	pthread_mutex_unlock(&cons_lock);
	fflush(stdout);
	return rc;
}

int console_run_file(const char *path, volatile bool *stop)
{
	struct cmdline *cl;
	char buf[256];
	char last = '\n';
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	cl = cmdline_new(console_ctx, PROMPT, fd, STDOUT_FILENO);
	if (cl == NULL) {
		close(fd);
		return -ENOMEM;
	}
	cons_quit = false;
	while (!cons_quit && !*stop && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		last = buf[n - 1];
		if (feed(cl, buf, (int)n) < 0)
			break;
	}
	/* A last line without its newline still runs. */
	if (!cons_quit && !*stop && last != '\n')
		feed(cl, "\n", 1);
	cmdline_free(cl);  /* closes fd */
	printf("\n");
	fflush(stdout);
	return cons_quit ? 1 : 0;
}

int console_run(const struct conf *c, volatile bool *stop, void (*idle)(void *), void *arg)
{
	bool tty = isatty(STDIN_FILENO);
	struct cmdline *cl;
	char buf[256];

	/* Without a published env (a caller that only has the config), the
	 * commands that need nothing else still work. */
	pthread_mutex_lock(&cons_lock);
	if (!cons_env_ok) {
		memset(&cons_env, 0, sizeof(cons_env));
		cons_env.conf = c;
		cons_env.stop = stop;
		cons_env.wan_port = cons_env.inside_port = RTE_MAX_ETHPORTS;
		cons_env_ok = true;
	}
	cons_quit = false;
	pthread_mutex_unlock(&cons_lock);
	/* On a terminal, cmdline_stdin_new() switches to raw mode for line
	 * editing and completion; a pipe (scripts, tests) is read as is. */
	cl = tty ? cmdline_stdin_new(console_ctx, PROMPT)
		 : cmdline_new(console_ctx, PROMPT, STDIN_FILENO, STDOUT_FILENO);
	if (cl == NULL)
		return -1;
	while (!cons_quit && !*stop) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int rc = poll(&pfd, 1, 100);
		ssize_t n;

		if (idle != NULL)
			idle(arg);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* end of input: same as quit */
		if (feed(cl, buf, (int)n) < 0)
			break;
	}
	if (tty)
		cmdline_stdin_exit(cl);
	else
		cmdline_free(cl);
	printf("\n");
	return 0;
}
