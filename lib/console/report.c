/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "console.h"
#include "stats.h"
#include "worker.h"

static const char *const port_names[] = { [WORKER_PORT_WAN] = "wan",
					   [WORKER_PORT_INSIDE] = "inside" };

static uint16_t port_ids[RTE_DIM(port_names)];
static bool port_ids_set;

void report_set_ports(uint16_t wan_port, uint16_t inside_port)
{
	port_ids[WORKER_PORT_WAN] = wan_port;
	port_ids[WORKER_PORT_INSIDE] = inside_port;
	port_ids_set = true;
}

/* The sums are large (not on the stack), and the reports run on the main
 * lcore and the telemetry thread alike (not static): a heap block per call. */
static struct stats_lcore *sum_alloc(FILE *f)
{
	struct stats_lcore *sum = malloc(sizeof(*sum));

	if (sum == NULL)
		fprintf(f, "out of memory\n");
	else
		stats_sum(sum);
	return sum;
}

void report_stats(FILE *f, const struct conf *c)
{
	struct stats_lcore *sum = sum_alloc(f);

	if (sum == NULL)
		return;
	for (unsigned p = 0; p < RTE_DIM(port_names); p++) {
		struct rte_eth_stats es;

		fprintf(f, "port %s rx-pkts %" PRIu64 " rx-bytes %" PRIu64 " tx-pkts %" PRIu64
			" tx-bytes %" PRIu64, port_names[p], sum->port[p].rx_pkts,
			sum->port[p].rx_bytes, sum->port[p].tx_pkts, sum->port[p].tx_bytes);
		/* What the driver lost before pmdvpn saw it. */
		if (port_ids_set && rte_eth_dev_is_valid_port(port_ids[p]) &&
		    rte_eth_stats_get(port_ids[p], &es) == 0)
			fprintf(f, " rx-missed %" PRIu64 " rx-nombuf %" PRIu64 " rx-errors %" PRIu64
				" tx-errors %" PRIu64, es.imissed, es.rx_nombuf, es.ierrors,
				es.oerrors);
		fputc('\n', f);
	}
	/* the wan-kernel TAP (wan0), when it carried anything */
	const struct stats_port *kp = &sum->port[WORKER_PORT_WAN_KERNEL];

	if (kp->rx_pkts || kp->tx_pkts)
		fprintf(f, "port wan-kernel rx-pkts %" PRIu64 " rx-bytes %" PRIu64 " tx-pkts %"
			PRIu64 " tx-bytes %" PRIu64 "\n", kp->rx_pkts, kp->rx_bytes, kp->tx_pkts,
			kp->tx_bytes);
	for (unsigned i = 0; i < c->n_peers && i < STATS_MAX_PEERS; i++) {
		const struct stats_peer *sp = &sum->peer[i];

		if (c->peers[i].name[0] == '\0')
			continue;  /* a free peer index */
		fprintf(f, "peer %s tx-pkts %" PRIu64 " tx-bytes %" PRIu64 " rx-pkts %" PRIu64
			" rx-bytes %" PRIu64 "\n", c->peers[i].name, sp->tx_pkts, sp->tx_bytes,
			sp->rx_pkts, sp->rx_bytes);
		for (unsigned d = 1; d < STATS_DROP_MAX; d++)
			if (sp->drop[d])
				fprintf(f, "peer %s drop %s %" PRIu64 "\n", c->peers[i].name,
					stats_drop_name(d), sp->drop[d]);
	}
	for (unsigned d = 1; d < STATS_DROP_MAX; d++)
		fprintf(f, "drop %s %" PRIu64 "\n", stats_drop_name(d), sum->drop[d]);
	for (unsigned e = 0; e < STATS_EV_MAX; e++)
		fprintf(f, "event %s %" PRIu64 "\n", stats_event_name(e), sum->event[e]);
	for (unsigned l = 0; l < STATS_MAX_LCORES; l++) {
		const struct stats_lcore *s = stats_lcore_get(l);

		if (s->polls == 0)
			continue;
		fprintf(f, "lcore %u busy-cycles %" PRIu64 " idle-cycles %" PRIu64 " polls %" PRIu64
			"\n", l, s->busy_cycles, s->idle_cycles, s->polls);
	}
	free(sum);
	fflush(f);
}

void report_peers(FILE *f, const struct conf *c)
{
	struct stats_lcore *sum = sum_alloc(f);

	if (sum == NULL)
		return;
	for (unsigned i = 0; i < c->n_peers; i++) {
		const struct conf_peer *p = &c->peers[i];
		const uint8_t *ep = (const uint8_t *)&p->endpoint_ip;
		char pfx[64];

		if (p->name[0] == '\0')
			continue;
		fprintf(f, "peer %s endpoint %u.%u.%u.%u:%u cipher %s spi-out 0x%08x spi-in 0x%08x"
			" esn %s tx-pkts %" PRIu64 " rx-pkts %" PRIu64 " subnets", p->name,
			ep[0], ep[1], ep[2], ep[3], p->endpoint_port, aead_alg_name(p->cipher),
			p->spi_out, p->spi_in, p->esn ? "yes" : "no",
			i < STATS_MAX_PEERS ? sum->peer[i].tx_pkts : 0,
			i < STATS_MAX_PEERS ? sum->peer[i].rx_pkts : 0);
		for (unsigned s = 0; s < p->n_subnets; s++)
			fprintf(f, "%s%s", s ? "," : " ", conf_prefix_str(&p->subnets[s], pfx, sizeof(pfx)));
		fputc('\n', f);
	}
	free(sum);
	fflush(f);
}
