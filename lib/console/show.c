/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "show" commands. Each one writes text to a FILE * (stdout for the
 * prompt, a memstream for telemetry's /pmdvpn/cmd) and only reads: the
 * gateway's tables and SAs belong to the worker, whose 64-bit fields are
 * read without locks (a value may be one packet stale, never torn).
 * Keys are never printed: no function here reads key material.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "console_priv.h"

static const char *ipv4_str(uint32_t ip_be, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = ip_be };

	return inet_ntop(AF_INET, &a, buf, (socklen_t)len) ? buf : "?";
}

struct stats_lcore *console_stats_sum(void)
{
	struct stats_lcore *sum = malloc(sizeof(*sum));

	if (sum != NULL)
		stats_sum(sum);
	return sum;
}

/* --------------------------------------------------------------- config */

static void print_prefixes(FILE *f, const char *key, const struct conf_prefix *p, unsigned n)
{
	char buf[64];

	if (n == 0)
		return;
	fprintf(f, "%s =", key);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s %s", i ? "," : "", conf_prefix_str(&p[i], buf, sizeof(buf)));
	fputc('\n', f);
}

void console_print_config(FILE *f, const struct conf *c)
{
	const struct conf_gateway *gw = &c->gw;
	char ip[INET_ADDRSTRLEN];

	fprintf(f, "# %s as loaded (keys hidden)\n[gateway]\nwan = %s\n", c->path, gw->wan);
	fprintf(f, "wan-address = %s/%u\n", ipv4_str(gw->wan_ip, ip, sizeof(ip)), gw->wan_prefixlen);
	if (gw->wan_gateway != 0)
		fprintf(f, "wan-gateway = %s\n", ipv4_str(gw->wan_gateway, ip, sizeof(ip)));
	fprintf(f, "wan-mtu = %u\nudp-port = %u\n", gw->wan_mtu, gw->udp_port);
	switch (gw->inside) {
	case CONF_INSIDE_TAP: fprintf(f, "inside = tap\n"); break;
	case CONF_INSIDE_VIRTIO_USER: fprintf(f, "inside = virtio-user\n"); break;
	default: fprintf(f, "inside = %s\n", gw->inside_devargs); break;
	}
	fprintf(f, "inside-name = %s\ninside-offload = %s\n", gw->inside_name,
		gw->inside_offload ? "yes" : "no");
	print_prefixes(f, "inside-address", gw->inside_addr, gw->n_inside_addr);
	for (unsigned i = 0; i < gw->n_neigh; i++) {
		const uint8_t *m = gw->neigh[i].mac;

		fprintf(f, "neighbour = %s %02x:%02x:%02x:%02x:%02x:%02x\n",
			ipv4_str(gw->neigh[i].ip, ip, sizeof(ip)), m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	fprintf(f, "state-file = %s\ncrypto = %s\n", gw->state_file, aead_impl_name(gw->crypto));
	for (unsigned i = 0; i < c->n_peers; i++) {
		const struct conf_peer *p = &c->peers[i];

		if (p->name[0] == '\0')
			continue;  /* a free peer index */
		fprintf(f, "\n[peer %s]\n", p->name);
		/* An IKEv2 peer without endpoint is a responder for any address. */
		if (!p->ike.enabled || p->endpoint_ip != 0)
			fprintf(f, "endpoint = %s:%u\n", ipv4_str(p->endpoint_ip, ip, sizeof(ip)),
				p->endpoint_port);
		print_prefixes(f, "subnets", p->subnets, p->n_subnets);
		if (p->ike.enabled) {
			const struct conf_ike *k = &p->ike;
			char id[CONF_IKE_ID_MAX + 1], props[CONF_IKE_MAX_PROPS * 48];

			fprintf(f, "psk = <hidden>\nlocal-id = %s\n",
				conf_ike_id_str(&k->local_id, id, sizeof(id)));
			fprintf(f, "remote-id = %s\n", conf_ike_id_str(&k->remote_id, id, sizeof(id)));
			fprintf(f, "ike = %s\n", conf_ike_props_str(k, props, sizeof(props)));
			fprintf(f, "esp = %s\n", conf_esp_props_str(k, props, sizeof(props)));
			fprintf(f, "rekey-time = %us\nike-rekey-time = %us\ndpd = %us\n"
				"initiate = %s\n", k->rekey_s, k->ike_rekey_s, k->dpd_s,
				k->initiate ? "yes" : "no");
		} else {
			fprintf(f, "cipher = %s\nspi-out = 0x%08x\nkey-out = <hidden>\n"
				"spi-in = 0x%08x\nkey-in = <hidden>\n", aead_alg_name(p->cipher),
				p->spi_out, p->spi_in);
		}
		fprintf(f, "esn = %s\nreplay-window = %u\nencap = %s\n", p->esn ? "yes" : "no",
			p->replay_window, p->udp_encap ? "udp" : "none");
	}
}

/* ---------------------------------------------------------------- peers */

void show_peers(FILE *f, const struct console_env *e)
{
	report_peers(f, e->conf);
}

int show_peer(FILE *f, const struct console_env *e, const char *name)
{
	const struct conf *c = e->conf;
	const struct conf_peer *p = conf_peer_find(c, name);
	struct stats_lcore *sum;
	char ip[INET_ADDRSTRLEN], pfx[64];
	unsigned i;

	if (p == NULL) {
		fprintf(f, "no peer named '%s' (show peers lists them)\n", name);
		return -1;
	}
	i = (unsigned)(p - c->peers);
	fprintf(f, "peer %s\n  endpoint %s:%u encap %s\n  cipher %s esn %s replay-window %u\n",
		p->name, ipv4_str(p->endpoint_ip, ip, sizeof(ip)), p->endpoint_port,
		p->udp_encap ? "udp" : "none", aead_alg_name(p->cipher), p->esn ? "yes" : "no",
		p->replay_window);
	fprintf(f, "  spi-out 0x%08x spi-in 0x%08x\n  subnets", p->spi_out, p->spi_in);
	for (unsigned s = 0; s < p->n_subnets; s++)
		fprintf(f, "%s%s", s ? "," : " ", conf_prefix_str(&p->subnets[s], pfx, sizeof(pfx)));
	fputc('\n', f);
	if (e->sa_out != NULL && e->sa_out[i] != NULL) {
		const struct sa_out *o = e->sa_out[i];
		struct rte_ether_addr mac;
		char macs[RTE_ETHER_ADDR_FMT_SIZE] = "unresolved";

		if (e->wan_neigh != NULL && neigh_lookup(e->wan_neigh, o->next_hop, &mac) == 0)
			rte_ether_format_addr(macs, sizeof(macs), &mac);
		fprintf(f, "  next-hop %s (%s) inner-mtu %u\n",
			ipv4_str(o->next_hop, ip, sizeof(ip)), macs, o->mtu);
	}
	sum = console_stats_sum();
	if (sum == NULL) {
		fprintf(f, "  (no memory for the counters)\n");
		return 0;
	}
	if (i < STATS_MAX_PEERS) {
		const struct stats_peer *sp = &sum->peer[i];

		fprintf(f, "  tx-pkts %" PRIu64 " tx-bytes %" PRIu64 " rx-pkts %" PRIu64
			" rx-bytes %" PRIu64 "\n", sp->tx_pkts, sp->tx_bytes, sp->rx_pkts,
			sp->rx_bytes);
		for (unsigned d = 1; d < STATS_DROP_MAX; d++)
			if (sp->drop[d])
				fprintf(f, "  drop %s %" PRIu64 "\n", stats_drop_name(d), sp->drop[d]);
	}
	free(sum);
	return 0;
}

/* ------------------------------------------------------------------- sa */

bool console_drop_is_inbound(enum stats_drop d)
{
	switch (d) {
	case STATS_DROP_NO_SA:
	case STATS_DROP_REPLAY:
	case STATS_DROP_AUTH:
	case STATS_DROP_MALFORMED:
	case STATS_DROP_POLICY:
		return true;
	default:
		return false;
	}
}

static uint64_t peer_errors(const struct stats_peer *sp, bool inbound)
{
	uint64_t n = 0;

	for (unsigned d = 1; d < STATS_DROP_MAX; d++)
		if (console_drop_is_inbound(d) == inbound)
			n += sp->drop[d];
	return n;
}

unsigned console_sa_rows(const struct console_env *e, const struct stats_lcore *sum,
			 bool want_out, bool want_in, struct console_sa_row *rows, unsigned max)
{
	const struct conf *c = e->conf;
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_peers && i < STATS_MAX_PEERS; i++) {
		const struct stats_peer *sp = &sum->peer[i];
		const struct sa_out *o = e->sa_out != NULL ? e->sa_out[i] : NULL;
		const struct sa_in *in = e->sa_in != NULL ? e->sa_in[i] : NULL;

		if (c->peers[i].name[0] == '\0')
			continue;

		if (want_out && o != NULL && n < max) {
			struct console_sa_row *r = &rows[n++];
			uint64_t seq = o->seq;  /* one read: the worker moves it */

			memset(r, 0, sizeof(*r));
			r->peer = c->peers[i].name;
			r->out = true;
			r->spi = o->spi;
			r->alg = o->alg;
			r->esn = o->esn;
			r->seq = seq;
			r->seq_limit = __atomic_load_n(&o->seq_limit, __ATOMIC_ACQUIRE);
			r->seq_left = o->seq_max > seq ? o->seq_max - seq : 0;
			r->pkts = sp->tx_pkts;
			r->bytes = sp->tx_bytes;
			r->errors = peer_errors(sp, false);
		}
		if (want_in && in != NULL && n < max) {
			struct console_sa_row *r = &rows[n++];

			memset(r, 0, sizeof(*r));
			r->peer = c->peers[i].name;
			r->spi = in->spi;
			r->alg = in->alg;
			r->esn = in->esn;
			if (in->replay != NULL) {
				r->window = in->replay->size;
				r->top = in->replay->top;
			}
			r->pkts = sp->rx_pkts;
			r->bytes = sp->rx_bytes;
			r->errors = peer_errors(sp, true);
		}
	}
	return n;
}

void show_sa(FILE *f, const struct console_env *e, bool out, bool in)
{
	struct console_sa_row *rows;
	struct stats_lcore *sum;
	uint64_t hz = rte_get_tsc_hz();
	uint64_t age = hz ? (rte_rdtsc() - e->start_tsc) / hz : 0;
	unsigned n, max = 2 * e->conf->n_peers;

	sum = console_stats_sum();
	rows = calloc(max ? max : 1, sizeof(*rows));
	if (sum == NULL || rows == NULL) {
		fprintf(f, "out of memory\n");
		goto out;
	}
	n = console_sa_rows(e, sum, out, in, rows, max);
	for (unsigned i = 0; i < n; i++) {
		const struct console_sa_row *r = &rows[i];

		fprintf(f, "sa %s spi 0x%08x peer %s cipher %s esn %s", r->out ? "out" : "in",
			r->spi, r->peer, aead_alg_name(r->alg), r->esn ? "yes" : "no");
		if (r->out)
			fprintf(f, " seq %" PRIu64 " seq-limit %" PRIu64 " (reserved) seq-left %"
				PRIu64, r->seq, r->seq_limit, r->seq_left);
		else
			fprintf(f, " replay-window %u top %" PRIu64, r->window, r->top);
		fprintf(f, " pkts %" PRIu64 " bytes %" PRIu64 " errors %" PRIu64 " age %" PRIu64
			"s\n", r->pkts, r->bytes, r->errors, age);
	}
	if (n == 0)
		fprintf(f, "no SA\n");
out:
	free(rows);
	free(sum);
}

/* ---------------------------------------------------------------- ports */

static const char *const port_names[] = { [WORKER_PORT_WAN] = "wan",
					   [WORKER_PORT_INSIDE] = "inside" };

static uint16_t port_id_of(const struct console_env *e, unsigned p)
{
	return p == WORKER_PORT_WAN ? e->wan_port : e->inside_port;
}

void show_port_stats(FILE *f, const struct console_env *e, enum show_port_sel sel)
{
	struct stats_lcore *sum = console_stats_sum();

	if (sum == NULL) {
		fprintf(f, "out of memory\n");
		return;
	}
	for (unsigned p = 0; p < RTE_DIM(port_names); p++) {
		const struct stats_port *sp = &sum->port[p];
		uint16_t id = port_id_of(e, p);
		struct rte_eth_stats es;

		if ((sel == SHOW_PORT_WAN && p != WORKER_PORT_WAN) ||
		    (sel == SHOW_PORT_INSIDE && p != WORKER_PORT_INSIDE))
			continue;
		fprintf(f, "port %s", port_names[p]);
		if (rte_eth_dev_is_valid_port(id))
			fprintf(f, " (port %u)", id);
		else
			fprintf(f, " (%s, no ethdev)", e->inside_kind ? e->inside_kind : "?");
		fprintf(f, "\n  pmdvpn  rx-pkts %" PRIu64 " rx-bytes %" PRIu64 " tx-pkts %" PRIu64
			" tx-bytes %" PRIu64 "\n", sp->rx_pkts, sp->rx_bytes, sp->tx_pkts,
			sp->tx_bytes);
		if (rte_eth_dev_is_valid_port(id) && rte_eth_stats_get(id, &es) == 0)
			fprintf(f, "  driver  rx-pkts %" PRIu64 " rx-bytes %" PRIu64 " tx-pkts %" PRIu64
				" tx-bytes %" PRIu64 " rx-missed %" PRIu64 " rx-nombuf %" PRIu64
				" rx-errors %" PRIu64 " tx-errors %" PRIu64 "\n", es.ipackets,
				es.ibytes, es.opackets, es.obytes, es.imissed, es.rx_nombuf,
				es.ierrors, es.oerrors);
	}
	/* the wan-kernel TAP (wan0): pmdvpn's side of it, when it carried anything */
	const struct stats_port *kp = &sum->port[WORKER_PORT_WAN_KERNEL];

	if (sel == SHOW_PORT_ALL && (kp->rx_pkts || kp->tx_pkts))
		fprintf(f, "port wan-kernel (the kernel's view of the WAN)\n  pmdvpn  rx-pkts %"
			PRIu64 " rx-bytes %" PRIu64 " tx-pkts %" PRIu64 " tx-bytes %" PRIu64 "\n",
			kp->rx_pkts, kp->rx_bytes, kp->tx_pkts, kp->tx_bytes);
	free(sum);
}

static void link_str(char *buf, size_t len, const struct rte_eth_link *l)
{
	if (l->link_status == RTE_ETH_LINK_DOWN)
		snprintf(buf, len, "down");
	else if (l->link_speed == RTE_ETH_SPEED_NUM_NONE ||
		 l->link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
		snprintf(buf, len, "up (speed unknown) %s", l->link_duplex ? "full-duplex" : "half-duplex");
	else
		snprintf(buf, len, "up %u Mbps %s", l->link_speed,
			 l->link_duplex ? "full-duplex" : "half-duplex");
}

void show_port_info(FILE *f, const struct console_env *e)
{
	for (unsigned p = 0; p < RTE_DIM(port_names); p++) {
		uint16_t id = port_id_of(e, p), mtu = 0;
		struct rte_eth_dev_info info;
		struct rte_eth_link link;
		struct rte_ether_addr mac;
		char name[RTE_ETH_NAME_MAX_LEN] = "?", macs[RTE_ETHER_ADDR_FMT_SIZE] = "?";
		char links[RTE_ETH_LINK_MAX_STR_LEN] = "?";

		if (!rte_eth_dev_is_valid_port(id)) {
			fprintf(f, "port %s: %s (no ethdev)%s%s\n", port_names[p],
				e->inside_kind ? e->inside_kind : "?",
				e->inside_ifname ? ", host interface " : "",
				e->inside_ifname ? e->inside_ifname : "");
			continue;
		}
		if (rte_eth_dev_info_get(id, &info) != 0) {
			fprintf(f, "port %s (port %u): no device info\n", port_names[p], id);
			continue;
		}
		rte_eth_dev_get_name_by_port(id, name);
		if (rte_eth_macaddr_get(id, &mac) == 0)
			rte_ether_format_addr(macs, sizeof(macs), &mac);
		rte_eth_dev_get_mtu(id, &mtu);
		if (rte_eth_link_get_nowait(id, &link) == 0)
			link_str(links, sizeof(links), &link);
		fprintf(f, "port %s (port %u): device %s driver %s mac %s mtu %u rx-queues %u "
			"tx-queues %u link %s\n", port_names[p], id, name,
			info.driver_name ? info.driver_name : "?", macs, mtu, info.nb_rx_queues,
			info.nb_tx_queues, links);
	}
}

/* --------------------------------------------------------------- lcores */

static const struct worker *worker_of(const struct console_env *e, unsigned lcore)
{
	for (unsigned i = 0; i < e->n_workers; i++)
		if (e->workers[i].lcore_id == lcore)
			return &e->workers[i];
	return NULL;
}

unsigned console_lcore_rows(const struct console_env *e, struct console_lcore_row *rows,
			    unsigned max)
{
	unsigned n = 0;

	for (unsigned l = 0; l < STATS_MAX_LCORES && n < max; l++) {
		const struct stats_lcore *s = stats_lcore_get(l);
		const struct worker *w = worker_of(e, l);
		struct console_lcore_row *r;
		uint64_t busy, idle, total;

		if (w == NULL && l != e->main_lcore && s->polls == 0)
			continue;
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->lcore = l;
		r->role = w != NULL ? "worker" : l == e->main_lcore ? "main" : "other";
		busy = r->busy_cycles = s->busy_cycles;
		idle = r->idle_cycles = s->idle_cycles;
		r->polls = s->polls;
		r->busy_polls = s->busy_polls;
		r->rx_pkts = s->port[WORKER_PORT_WAN].rx_pkts + s->port[WORKER_PORT_INSIDE].rx_pkts;
		total = busy + idle;
		r->busy_pct = total ? 100.0 * (double)busy / (double)total : 0.0;
		r->pkts_per_busy_poll = r->busy_polls ?
			(double)r->rx_pkts / (double)r->busy_polls : 0.0;
		memcpy(r->stage_cycles, s->stage_cycles, sizeof(r->stage_cycles));
		r->stage_polls = s->stage_polls;
	}
	return n;
}

/* The stage split of a worker's busy cycles (`set stage-cycles on`), as
 * shares and cycles per received packet. */
static void show_stages(FILE *f, const struct console_lcore_row *r)
{
	uint64_t total = 0;

	for (unsigned st = 0; st < STATS_STAGE_MAX; st++)
		total += r->stage_cycles[st];
	if (r->stage_polls == 0 || total == 0)
		return;
	fprintf(f, "  stages over %" PRIu64 " busy polls:", r->stage_polls);
	for (unsigned st = 0; st < STATS_STAGE_MAX; st++)
		fprintf(f, " %s %.1f%%", stats_stage_name(st),
			100.0 * (double)r->stage_cycles[st] / (double)total);
	if (r->rx_pkts)
		fprintf(f, "; %.0f cycles per packet received (all polls)",
			(double)total / (double)r->rx_pkts);
	fputc('\n', f);
}

void show_lcores(FILE *f, const struct console_env *e)
{
	struct console_lcore_row rows[64];
	unsigned n = console_lcore_rows(e, rows, RTE_DIM(rows));

	for (unsigned i = 0; i < n; i++) {
		const struct console_lcore_row *r = &rows[i];
		const struct worker *w = worker_of(e, r->lcore);

		fprintf(f, "lcore %u %s busy-cycles %" PRIu64 " idle-cycles %" PRIu64 " busy %.1f%%"
			" polls %" PRIu64 " busy-polls %" PRIu64 " rx-pkts %" PRIu64
			" pkts-per-busy-poll %.2f\n", r->lcore, r->role, r->busy_cycles,
			r->idle_cycles, r->busy_pct, r->polls, r->busy_polls, r->rx_pkts,
			r->pkts_per_busy_poll);
		if (w != NULL) {
			fprintf(f, "  polls wan port %u queue %u, ", w->wan_port, w->wan_queue);
			if (w->inside_vtap != NULL)
				fprintf(f, "inside %s queue 0", e->inside_kind ? e->inside_kind : "vtap");
			else
				fprintf(f, "inside port %u queue %u", w->inside_port, w->inside_queue);
			fprintf(f, "; burst %u idle-backoff %s stage-cycles %s\n", w->burst,
				w->idle_backoff ? "on" : "off", w->stage_cycles ? "on" : "off");
			show_stages(f, r);
		} else if (strcmp(r->role, "main") == 0) {
			fprintf(f, "  control plane: console, sequence number reservations\n");
		}
	}
}

/* ---------------------------------------------------------------- drops */

void show_drops(FILE *f, const struct console_env *e)
{
	struct stats_lcore *sum = console_stats_sum();
	const struct conf *c = e->conf;

	if (sum == NULL) {
		fprintf(f, "out of memory\n");
		return;
	}
	for (unsigned d = 1; d < STATS_DROP_MAX; d++)
		fprintf(f, "drop %-14s %12" PRIu64 "  %s\n", stats_drop_name(d), sum->drop[d],
			stats_drop_help(d));
	for (unsigned i = 0; i < c->n_peers && i < STATS_MAX_PEERS; i++)
		for (unsigned d = 1; d < STATS_DROP_MAX && c->peers[i].name[0] != '\0'; d++)
			if (sum->peer[i].drop[d])
				fprintf(f, "peer %s drop %s %" PRIu64 "\n", c->peers[i].name,
					stats_drop_name(d), sum->peer[i].drop[d]);
	free(sum);
}

/* ---------------------------------------------------------------- neigh */

struct neigh_print {
	FILE *f;
	const char *table;
	unsigned n;
};

static void print_neigh(uint32_t ip_be, const struct rte_ether_addr *mac, const char *state,
			void *arg)
{
	struct neigh_print *np = arg;
	char ip[INET_ADDRSTRLEN], macs[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(macs, sizeof(macs), mac);
	fprintf(np->f, "neigh %s %s %s %s\n", np->table, ipv4_str(ip_be, ip, sizeof(ip)),
		strcmp(state, "incomplete") == 0 ? "-" : macs, state);
	np->n++;
}

/* Walks each distinct table once: the env's, then the workers' own (with
 * several workers each may keep one: they are then named wan.0, wan.1...). */
static void walk_tables(struct neigh_print *np, const char *name, const struct neigh_table *main,
			const struct console_env *e, bool inside)
{
	const struct neigh_table *seen[1 + 64];
	unsigned n_seen = 0, n_distinct = 0;
	char label[32];

	if (main != NULL)
		seen[n_seen++] = main;
	for (unsigned i = 0; i < e->n_workers && n_seen < RTE_DIM(seen); i++) {
		const struct neigh_table *t = inside ? e->workers[i].inside_neigh : e->workers[i].neigh;
		bool dup = t == NULL;

		for (unsigned j = 0; j < n_seen && !dup; j++)
			dup = seen[j] == t;
		if (!dup)
			seen[n_seen++] = t;
	}
	n_distinct = n_seen;
	for (unsigned j = 0; j < n_seen; j++) {
		if (n_distinct > 1) {
			snprintf(label, sizeof(label), "%s.%u", name, j);
			np->table = label;
		} else {
			np->table = name;
		}
		neigh_walk(seen[j], print_neigh, np);
	}
}

void show_neigh(FILE *f, const struct console_env *e)
{
	struct neigh_print np = { .f = f };

	walk_tables(&np, "wan", e->wan_neigh, e, false);
	walk_tables(&np, "inside", e->inside_neigh, e, true);
	if (np.n == 0)
		fprintf(f, "no neighbour\n");
}

/* --------------------------------------------------------------- routes */

void show_routes(FILE *f, const struct console_env *e)
{
	const struct conf *c = e->conf;
	char pfx[64], ip[INET_ADDRSTRLEN];
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_peers; i++) {
		const struct conf_peer *p = &c->peers[i];

		for (unsigned s = 0; p->name[0] != '\0' && s < p->n_subnets; s++, n++)
			fprintf(f, "route %s peer %s endpoint %s spi-out 0x%08x\n",
				conf_prefix_str(&p->subnets[s], pfx, sizeof(pfx)), p->name,
				ipv4_str(p->endpoint_ip, ip, sizeof(ip)), p->spi_out);
	}
	if (n == 0)
		fprintf(f, "no route\n");
}
