/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * console: the operator's view of a running gateway. report prints the
 * counters (SIGUSR1, exit, `show stats`); console is the interactive
 * prompt built on DPDK's cmdline library, like testpmd's, and the same
 * command set run from a script (--cmdline-file) or from another thread
 * (telemetry's /pmdvpn/cmd) with its output captured in a FILE *.
 *
 * The console reads gateway state through a struct console_env that the
 * application fills and keeps alive; the console owns nothing in it.
 * Commands only read state (counters are read racily, which is fine for
 * 64-bit counters on x86-64), except `clear stats` (a memset that may race
 * with a worker's increment: a counter may keep one stale increment),
 * `quit` (sets *stop), `set log` (DPDK log levels) and `capture` (ethdev
 * callbacks on a port, lib/capture).
 */
#ifndef PMDVPN_CONSOLE_H
#define PMDVPN_CONSOLE_H

#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "neigh.h"
#include "sa.h"
#include "stats.h"
#include "worker.h"

/* Counters, one item per line:
 *   port NAME rx-pkts N rx-bytes N tx-pkts N tx-bytes N rx-missed N rx-nombuf N
 *             rx-errors N tx-errors N   (the last four from the driver)
 *   peer NAME tx-pkts N tx-bytes N rx-pkts N rx-bytes N   (+ "peer NAME drop CAUSE N")
 *   drop CAUSE N        (every cause)
 *   event NAME N
 *   lcore N busy-cycles N idle-cycles N polls N            (lcores that polled) */
void report_stats(FILE *f, const struct conf *c);
/* The ethdev ports behind the "wan" and "inside" lines: their drivers'
 * own counters (missed, no mbuf, errors) are added to those lines. */
void report_set_ports(uint16_t wan_port, uint16_t inside_port);
/* One line per peer: name, endpoint, cipher, SPIs, subnets, packets. */
void report_peers(FILE *f, const struct conf *c);

/* `sa rekey PEER [spi-out X key-out-file F] [spi-in Y key-in-file G] [linger S]`:
 * both sides first add their new inbound SA (spi-in), then switch their
 * outbound one (spi-out): no packet is lost. */
struct console_rekey {
	uint32_t spi_out, spi_in;            /* 0: that direction stays */
	char key_out_file[PATH_MAX];
	char key_in_file[PATH_MAX];
	int linger_s;                        /* -1: the gateway's default */
};

/*
 * Runtime changes, implemented by the application (app/pmdvpn/runtime.c)
 * and called by the console with its lock held (so one change at a time,
 * and no reader sees a half-updated env). Each writes its result or a
 * clear error to f and returns 0, or -1 having changed nothing. kv is the
 * body of a [peer NAME] section ("key = value" lines).
 */
struct console_ctl {
	void *arg;
	int (*peer_add)(void *arg, const char *name, const char *kv, FILE *f);
	int (*peer_del)(void *arg, const char *name, FILE *f);
	int (*peer_set)(void *arg, const char *name, const char *key, const char *value, FILE *f);
	int (*sa_rekey)(void *arg, const char *name, const struct console_rekey *rk, FILE *f);
	int (*sa_retire)(void *arg, const char *name, FILE *f);
	int (*reload)(void *arg, FILE *f);
	/* IKEv2: `show ike [PEER]` (peer NULL: all) and `ike VERB PEER`
	 * (initiate, rekey, rekey-ike, dpd, terminate). */
	int (*ike_show)(void *arg, const char *peer, FILE *f);
	int (*ike_cmd)(void *arg, const char *verb, const char *peer, FILE *f);
};

/* What the console may look at. Every pointer stays valid from
 * console_env_set(env) until console_env_set(NULL) returns. */
struct console_env {
	const struct conf *conf;
	struct sa_out *const *sa_out;        /* conf->n_peers entries */
	struct sa_in *const *sa_in;          /* conf->n_peers entries */
	const struct neigh_table *wan_neigh;
	const struct neigh_table *inside_neigh; /* NULL: no inside LAN port */
	uint16_t wan_port;
	uint16_t inside_port;                /* RTE_MAX_ETHPORTS: the inside is no ethdev */
	const char *inside_kind;             /* "vtap", "net_tap", "lan" */
	const char *inside_ifname;           /* host interface, or NULL */
	const struct worker *workers;        /* n_workers entries */
	unsigned n_workers;
	unsigned main_lcore;
	uint16_t tunnel_mtu;
	uint64_t start_tsc;                  /* rte_rdtsc() when the gateway started */
	volatile bool *stop;                 /* `quit` sets it; NULL: quit only leaves the prompt */
	const struct console_ctl *ctl;       /* NULL: no runtime changes */
	/* conf may have free peer indexes (an empty name) after runtime
	 * changes: readers skip them. */
};

/*
 * Publishes env (copied) to the console and telemetry; NULL withdraws it
 * and returns only once no command is reading it any more, so the caller
 * may then free what it pointed to. Withdrawing also stops a running
 * `capture` (capture_stop_all(): its file is complete): call it while the
 * workers still run and before the ports are closed.
 */
void console_env_set(const struct console_env *env);
/* For readers in other libraries (telemetry): locks out console_env_set()
 * and other commands and returns the env, or NULL (nothing published; the
 * lock is still taken). Always pair with console_env_release(). */
const struct console_env *console_env_acquire(void);
void console_env_release(void);

/* Results of console_exec (the cmdline library's own codes and messages). */
#define CONSOLE_OK 0
#define CONSOLE_BAD_ARGS (-1)      /* "Bad arguments" */
#define CONSOLE_NOT_FOUND (-2)     /* "Command not found" */
#define CONSOLE_AMBIGUOUS (-3)     /* "Ambiguous command" */
#define CONSOLE_ERROR (-4)         /* no memory, no env, line too long */
#define CONSOLE_LINE_MAX 511       /* longest command line (the prompt's limit) */
/*
 * Runs one command line (no newline needed) with its output, including
 * the error message of a malformed command, written to out. Safe from any
 * thread; commands are serialised. Returns CONSOLE_OK or an error above.
 */
int console_exec(const char *line, FILE *out);

/*
 * Runs the prompt on stdin/stdout until `quit`, end of input, or *stop
 * becomes true (a signal). `idle` is called about every 100 ms while
 * waiting for input (signal handling, reports). Returns 0.
 */
int console_run(const struct conf *c, volatile bool *stop, void (*idle)(void *), void *arg);
/*
 * Runs the commands of a script file (--cmdline-file) with output on
 * stdout, echoing each behind the prompt. Returns 1 if the script said
 * quit, 0 at its end, -errno if it cannot be read.
 */
int console_run_file(const char *path, volatile bool *stop);

/* One row of `show sa` (and of telemetry's /pmdvpn/sa). */
struct console_sa_row {
	const char *peer;
	bool out;                  /* outbound (else inbound) */
	uint32_t spi;
	enum aead_alg alg;
	bool esn;
	uint64_t seq;              /* out: last number used */
	uint64_t seq_limit;        /* out: reserved in the state file */
	uint64_t seq_left;         /* out: numbers left before the SA must retire */
	uint32_t window;           /* in: replay window size */
	uint64_t top;              /* in: highest sequence number accepted */
	uint64_t pkts, bytes;      /* the peer's inner packets in this direction */
	uint64_t errors;           /* the peer's drops of this direction's causes */
};
/* Is this drop cause charged to the inbound direction of an SA? */
bool console_drop_is_inbound(enum stats_drop d);
/* Fills up to max rows (out and/or in per peer, peer order) from env and
 * the summed counters. Returns the number of rows. */
unsigned console_sa_rows(const struct console_env *env, const struct stats_lcore *sum,
			 bool want_out, bool want_in, struct console_sa_row *rows, unsigned max);

/* Per lcore figures of `show lcores` and /pmdvpn/lcores. */
struct console_lcore_row {
	unsigned lcore;
	const char *role;          /* "main" or "worker" */
	uint64_t busy_cycles, idle_cycles, polls, busy_polls, rx_pkts;
	double busy_pct;           /* busy / (busy + idle) * 100 */
	double pkts_per_busy_poll;
	/* `set stage-cycles on`: busy cycles by stage, over stage_polls polls */
	uint64_t stage_cycles[STATS_STAGE_MAX];
	uint64_t stage_polls, stage_pkts;
};
unsigned console_lcore_rows(const struct console_env *env, struct console_lcore_row *rows,
			    unsigned max);

/* `show config`: the config as loaded, as INI text; keys print as
 * "key-out = <hidden>". Pure: only reads c. */
void console_print_config(FILE *f, const struct conf *c);

#endif
