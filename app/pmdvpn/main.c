/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmdvpn: EAL arguments before "--", pmdvpn's after it.
 *
 *   pmdvpn -l 0-1 -- -f /etc/pmdvpn/pmdvpn.conf [-i]
 *
 * The config is read and checked before the EAL starts, so a bad config
 * exits non-zero without creating a device or touching the host.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "console.h"
#include "gateway.h"
#include "runtime.h"
#include "telemetry.h"

static volatile sig_atomic_t sig_stop, sig_report, sig_reload;
static volatile bool stop_flag;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_report = 1;
	else if (sig == SIGHUP)
		sig_reload = 1;
	else
		sig_stop = 1;
}

static void make_state_dir(const char *state_file)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", state_file);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return; /* sa_seqstate_open() reports the real problem */
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- -f CONFIG [-i] [--cmdline-file FILE] [--check]\n"
		"  -f, --config FILE   the gateway's config file (required)\n"
		"  -i, --interactive   open the console on stdin (help lists the commands)\n"
		"      --cmdline-file FILE  run the console commands in FILE at start, then\n"
		"                      go on without a console (or with one, given -i)\n"
		"      --check         read and check the config, then exit\n"
		"  -h, --help          this text\n"
		"Signals: SIGUSR1 prints the counters, SIGHUP re-reads the config and applies\n"
		"its peer changes (a bad file changes nothing), SIGINT/SIGTERM stop cleanly.\n"
		"Telemetry: usertools/pmdvpn-ctl (or dpdk-telemetry.py: /pmdvpn/...).\n", prog);
}

struct main_ctx {
	struct gateway *gw;
	const struct conf *conf;
};

/* Runs on the main lcore between console inputs or sleeps. */
static void control_tick(void *arg)
{
	struct main_ctx *m = arg;

	if (sig_reload) {
		sig_reload = 0;
		printf("pmdvpn: SIGHUP: ");
		console_exec("reload", stdout);
	}
	/* The console lock: runtime changes (console, telemetry thread) and
	 * this housekeeping touch the same SAs and config. */
	console_env_acquire();
	if (sig_report) {
		sig_report = 0;
		hostif_report(stdout, &m->gw->hostif);
		report_stats(stdout, m->gw->conf);
	}
	if (sig_stop)
		stop_flag = true;
	gateway_maintain(m->gw);
	runtime_maintain(m->gw);
	console_env_release();
}

/* What the console and telemetry may read; the gateway keeps ownership. */
static void publish_env(const struct gateway *g)
{
	struct console_env env = {
		.conf = g->conf,
		.sa_out = g->sa_out,
		.sa_in = g->sa_inb,
		.wan_neigh = g->neigh,
		.inside_neigh = g->inside_neigh,
		.wan_port = g->wan_port,
		.inside_port = g->hostif_open && g->hostif.offload ? RTE_MAX_ETHPORTS : g->inside_port,
		.inside_kind = g->inside_lan_open ? "lan" : g->hostif.offload ? "vtap" : "net_tap",
		.inside_ifname = g->hostif_open ? g->hostif.ifname : NULL,
		.workers = g->workers,
		.n_workers = g->n_workers,
		.main_lcore = rte_get_main_lcore(),
		.tunnel_mtu = g->tunnel_mtu,
		.start_tsc = rte_rdtsc(),
		.stop = &stop_flag,
		.ctl = runtime_ctl((struct gateway *)(uintptr_t)g),
	};

	console_env_set(&env);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "cmdline-file", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gateway gw;
	char err[CONF_ERR_MAX];
	const char *conf_path = NULL, *cmdline_file = NULL;
	bool interactive = false, check_only = false;
	struct conf *conf = NULL;
	struct sa_seqstate *seq = NULL;
	struct sigaction sa;
	int eal_argc, opt, rc, status = EXIT_FAILURE;

	/* Split at "--": EAL options before, ours after. */
	for (eal_argc = 1; eal_argc < argc && strcmp(argv[eal_argc], "--") != 0; eal_argc++)
		;
	if (eal_argc < argc) {
		int app_argc = argc - eal_argc;
		char **app_argv = argv + eal_argc;

		app_argv[0] = argv[0];
		while ((opt = getopt_long(app_argc, app_argv, "f:ich", longopts, NULL)) != -1) {
			switch (opt) {
			case 'f': conf_path = optarg; break;
			case 'i': interactive = true; break;
			case 'c': check_only = true; break;
			case 'C': cmdline_file = optarg; break;
			case 'h': usage(stdout, argv[0]); return 0;
			default: usage(stderr, argv[0]); return EXIT_FAILURE;
			}
		}
		if (optind < app_argc) {
			fprintf(stderr, "pmdvpn: unexpected argument '%s'\n", app_argv[optind]);
			return EXIT_FAILURE;
		}
		app_argv[0] = (char *)"--";
	}
	if (conf_path == NULL) {
		fprintf(stderr, "pmdvpn: no config file: pass -- -f FILE after the EAL options\n");
		usage(stderr, argv[0]);
		return EXIT_FAILURE;
	}
	if (conf_load(conf_path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	if (check_only) {
		printf("%s: ok (%u peers)\n", conf_path, conf->n_peers);
		conf_free(conf);
		return 0;
	}
	/* The default state directory (/var/lib/pmdvpn) may not exist yet on a
	 * fresh machine: create its last component, private to root. */
	make_state_dir(conf->gw.state_file);
	/* A static key must never reuse a sequence number after a restart:
	 * without a writable state file there is no way to promise that. */
	seq = sa_seqstate_open(conf->gw.state_file, err, sizeof(err));
	if (seq == NULL) {
		fprintf(stderr, "pmdvpn: state file %s: %s\n", conf->gw.state_file, err);
		conf_free(conf);
		return EXIT_FAILURE;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = rte_eal_init(eal_argc, argv);
	if (rc < 0) {
		fprintf(stderr, "pmdvpn: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		goto out_state;
	}
	if (telemetry_register() != 0)
		fprintf(stderr, "pmdvpn: cannot register the telemetry commands\n");
	if (gateway_start(&gw, conf, seq, err, sizeof(err)) != 0) {
		fprintf(stderr, "pmdvpn: %s\n", err);
		gateway_stop(&gw);
		goto out_eal;
	}
	report_set_ports(gw.wan_port, gw.inside_port);
	printf("pmdvpn: %u worker(s) from lcore %u, tunnel mtu %u, %u peers, crypto %s\n",
	       gw.n_workers, gw.workers[0].lcore_id, gw.tunnel_mtu, conf->n_peers,
	       aead_engine_describe(gw.workers[0].aead));
	if (gw.hostif_open)
		printf("pmdvpn: inside %s: %s\n", gw.hostif.ifname, gw.hostif.offload ?
		       "TAP with virtio-net header and offloads (vtap)" : "net_tap");
	printf("pmdvpn: ready\n");
	fflush(stdout);

	struct main_ctx mc = { .gw = &gw, .conf = conf };
	publish_env(&gw);
	if (cmdline_file != NULL) {
		rc = console_run_file(cmdline_file, &stop_flag);
		if (rc < 0)
			fprintf(stderr, "pmdvpn: --cmdline-file %s: %s\n", cmdline_file, strerror(-rc));
	}
	if (stop_flag) {
		/* the script said quit */
	} else if (interactive) {
		console_run(gw.conf, &stop_flag, control_tick, &mc);
	} else {
		while (!stop_flag) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			control_tick(&mc);
		}
	}
	console_env_set(NULL);  /* telemetry readers are gone after this */
	gateway_halt(&gw);
	hostif_report(stdout, &gw.hostif);
	report_stats(stdout, gw.conf);
	gateway_stop(&gw);
	status = EXIT_SUCCESS;
out_eal:
	rte_eal_cleanup();
out_state:
	sa_seqstate_close(seq);
	conf_free(conf);
	return status;
}
