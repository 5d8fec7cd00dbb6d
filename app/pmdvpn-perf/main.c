/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmdvpn-perf: EAL options before "--", ours after it.
 *
 *   pmdvpn-perf --no-pci --no-huge -m 512 --file-prefix g -l 1 \
 *       --vdev net_memif0,role=server,id=0,socket=/run/pv-in.sock -- --size 64 --duration 5
 *
 * Options are checked before the EAL starts (exit 2 on a bad one). Then:
 * ports (probed here with --port / --reflect-port, or --vdev ones), link up,
 * the run, the summary, and everything freed on the way out.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "port.h"
#include "run.h"

#define EXIT_BADOPT 2
#define POOL_WANT 32767u

static volatile sig_atomic_t sig_stop;

static void on_signal(int sig)
{
	(void)sig;
	sig_stop = 1;
}

/* "3" (a port id) or "net_memif0" (a device name). */
static int resolve_port(const char *s, uint16_t *id)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s != '\0' && *end == '\0' && errno == 0) {
		if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v))
			return -1;
		*id = (uint16_t)v;
		return 0;
	}
	return rte_eth_dev_get_port_by_name(s, id) == 0 ? 0 : -1;
}

/* The first port that is not `skip`, or PERF_NO_PORT. */
static uint16_t nth_port(unsigned n, uint16_t skip)
{
	uint16_t id;

	RTE_ETH_FOREACH_DEV(id) {
		if (id == skip)
			continue;
		if (n-- == 0)
			return id;
	}
	return PERF_NO_PORT;
}

static int add_pc(struct perf_ctx *c, uint16_t id)
{
	for (unsigned i = 0; i < c->n_pc; i++)
		if (c->pc[i].id == id)
			return (int)i;
	c->pc[c->n_pc].id = id;
	if (rte_eth_dev_get_name_by_port(id, c->pc[c->n_pc].name) != 0)
		snprintf(c->pc[c->n_pc].name, sizeof(c->pc[0].name), "port%u", id);
	return (int)c->n_pc++;
}

/* Picks the ports of the mode. 0, or -1 with a message (a usage error). */
static int choose_ports(struct perf_ctx *c, const struct perf_opts *o, char *err, size_t errlen)
{
	uint16_t refl = PERF_NO_PORT;

	if (o->reflect_port[0] && port_probe(o->reflect_port, &refl, err, errlen) != 0)
		return -1;
	if (o->mode == PERF_MODE_REFLECT) {
		c->reflect_port = nth_port(0, PERF_NO_PORT);
		if (o->n_ports == 1 && port_probe(o->ports[0], &c->reflect_port, err, errlen) != 0)
			return -1;
		if (c->reflect_port == PERF_NO_PORT) {
			snprintf(err, errlen, "no port: give --port DEVARGS or --vdev in the EAL options");
			return -1;
		}
		c->refl_pc = add_pc(c, c->reflect_port);
		return 0;
	}
	c->reflect_port = refl;
	if (o->tx_port[0]) {
		if (resolve_port(o->tx_port, &c->tx_port) != 0) {
			snprintf(err, errlen, "--tx-port: no port '%s'", o->tx_port);
			return -1;
		}
	} else {
		c->tx_port = nth_port(0, refl);
	}
	if (o->rx_port[0]) {
		if (resolve_port(o->rx_port, &c->rx_port) != 0) {
			snprintf(err, errlen, "--rx-port: no port '%s'", o->rx_port);
			return -1;
		}
	} else {
		c->rx_port = nth_port(1, refl);
		if (c->rx_port == PERF_NO_PORT)
			c->rx_port = c->tx_port;
	}
	if (c->tx_port == PERF_NO_PORT) {
		snprintf(err, errlen, "no port to send on: give --port DEVARGS or --vdev in the EAL options");
		return -1;
	}
	if (c->tx_port == refl || c->rx_port == refl) {
		snprintf(err, errlen, "the reflect port cannot also be the tx or rx port");
		return -1;
	}
	c->tx_pc = add_pc(c, c->tx_port);
	c->rx_pc = add_pc(c, c->rx_port);
	if (refl != PERF_NO_PORT)
		c->refl_pc = add_pc(c, refl);
	return 0;
}

static int wait_links(struct perf_ctx *c, double timeout_s, char *err, size_t errlen)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(timeout_s * (double)c->hz);

	for (unsigned i = 0; i < c->n_pc; i++) {
		struct rte_eth_link link;

		for (;;) {
			memset(&link, 0, sizeof(link));
			if (rte_eth_link_get_nowait(c->pc[i].id, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_UP)
				break;
			if (sig_stop || rte_rdtsc() >= end) {
				snprintf(err, errlen, "port %u (%s): link not up after %.1f s "
					 "(is the other side running?)", c->pc[i].id, c->pc[i].name,
					 timeout_s);
				return -1;
			}
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

static int start_ports(struct perf_ctx *c, char *err, size_t errlen)
{
	uint16_t mtu = 0, maxf = 0;

	for (unsigned i = 0; i < c->n_sizes; i++)
		if (c->sizes[i] > maxf)
			maxf = c->sizes[i];
	if (maxf > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN)
		mtu = (uint16_t)(maxf - RTE_ETHER_HDR_LEN);
	for (unsigned i = 0; i < c->n_pc; i++)
		if (port_start(c->pc[i].id, c->nq, c->mp, mtu, err, errlen) != 0)
			return -1;
	return 0;
}

static void close_ports(struct perf_ctx *c)
{
	for (unsigned i = 0; i < c->n_pc; i++)
		port_close(c->pc[i].id);
}

static int run_ports(const struct perf_opts *o)
{
	static struct perf_ctx c;
	struct perf_result res;
	char err[512];
	int rc = EXIT_FAILURE;

	memset(&res, 0, sizeof(res));
	if (perf_ctx_init(&c, o, &sig_stop, rte_get_tsc_hz()) != 0) {
		fprintf(stderr, "pmdvpn-perf: out of memory for %u flows\n", o->flows);
		return EXIT_FAILURE;
	}
	if (choose_ports(&c, o, err, sizeof(err)) != 0) {
		fprintf(stderr, "pmdvpn-perf: %s\n", err);
		rc = EXIT_BADOPT;
		goto out;
	}
	c.mp = port_mempool_create("perf_pool", POOL_WANT, (int)rte_socket_id(), err, sizeof(err));
	if (c.mp == NULL) {
		fprintf(stderr, "pmdvpn-perf: %s\n", err);
		goto out;
	}
	if (start_ports(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "pmdvpn-perf: %s\n", err);
		goto out;
	}
	if (o->mode == PERF_MODE_GEN) { /* a reflector just polls until the peer comes */
		if (wait_links(&c, o->link_timeout_s, err, sizeof(err)) != 0) {
			fprintf(stderr, "pmdvpn-perf: %s\n", err);
			goto out;
		}
	}
	if (!o->quiet) {
		for (unsigned i = 0; i < c.n_pc; i++)
			fprintf(perf_log(o), "pmdvpn-perf: port %u %s up%s%s%s\n", c.pc[i].id, c.pc[i].name,
			       (int)i == c.tx_pc ? " tx" : "", (int)i == c.rx_pc ? " rx" : "",
			       (int)i == c.refl_pc ? " reflect" : "");
		fflush(perf_log(o));
	}
	rc = o->mode == PERF_MODE_GEN ? perf_run_gen(&c, &res) : perf_run_reflect(&c, &res);
	if (rc != 0) {
		if (rc == -1)
			fprintf(stderr, "pmdvpn-perf: out of memory\n");
		rc = EXIT_FAILURE;
		goto out;
	}
	if (o->json)
		perf_print_json(stdout, o, &res);
	else
		perf_print_summary(stdout, o, &res);
	fflush(stdout);
	rc = EXIT_SUCCESS;
out:
	free(res.trials);
	close_ports(&c);
	perf_ctx_free(&c);
	rte_mempool_free(c.mp);
	return rc;
}

int main(int argc, char **argv)
{
	static struct perf_opts o;
	char err[512];
	struct sigaction sa;
	int eal_argc, rc;

	/* Split at "--": EAL options before, ours after. */
	for (eal_argc = 1; eal_argc < argc && strcmp(argv[eal_argc], "--") != 0; eal_argc++)
		;
	{
		int app_argc = eal_argc < argc ? argc - eal_argc : 1;
		char **app_argv = eal_argc < argc ? argv + eal_argc : (char *[]){ argv[0], NULL };
		char *saved = app_argv[0];

		app_argv[0] = argv[0];
		rc = perf_args_parse(app_argc, app_argv, &o, stdout, err, sizeof(err));
		app_argv[0] = saved;
	}
	if (rc == 1)
		return EXIT_SUCCESS;
	if (rc != 0) {
		fprintf(stderr, "pmdvpn-perf: %s (see --help)\n", err);
		return EXIT_BADOPT;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (rte_eal_init(eal_argc, argv) < 0) {
		fprintf(stderr, "pmdvpn-perf: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	if (o.mode == PERF_MODE_CRYPTO) {
		rc = perf_run_crypto(&o, &sig_stop, stdout, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "pmdvpn-perf: %s\n", err);
		rc = rc ? EXIT_FAILURE : EXIT_SUCCESS;
	} else {
		rc = run_ports(&o);
	}
	rte_eal_cleanup();
	return rc;
}
