/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "esp.h"
#include "gateway.h"
#include "ike_gw.h"
#include "runtime.h"

#define POOL_WANT 16383u

static bool on_link(uint32_t ip_be, uint32_t net_be, uint8_t plen)
{
	uint32_t mask = plen == 0 ? 0 : ~0u << (32 - plen);

	return (rte_be_to_cpu_32(ip_be) & mask) == (rte_be_to_cpu_32(net_be) & mask);
}

uint32_t gateway_next_hop(const struct conf_gateway *gw, uint32_t dst)
{
	if (on_link(dst, gw->wan_ip, gw->wan_prefixlen) || gw->wan_gateway == 0)
		return dst;
	return gw->wan_gateway;
}

static bool on_inside_subnet(const struct conf *c, uint32_t ip_be)
{
	for (unsigned i = 0; i < c->gw.n_inside_addr; i++) {
		const struct conf_prefix *a = &c->gw.inside_addr[i];
		uint32_t net;

		if (a->family != AF_INET)
			continue;
		memcpy(&net, a->addr, 4);
		if (on_link(ip_be, net, a->len))
			return true;
	}
	return false;
}

static uint32_t inside_ipv4(const struct conf *c)
{
	uint32_t ip = 0;

	for (unsigned i = c->gw.n_inside_addr; i-- > 0;)
		if (c->gw.inside_addr[i].family == AF_INET)
			memcpy(&ip, c->gw.inside_addr[i].addr, 4);
	return ip;
}

/* inside = devargs: a LAN port, e.g. net_memif to a traffic generator.
 * pmdvpn is the router on that LAN: it answers ARP for inside-address and
 * for every address it routes, and resolves inner destinations itself. */
static int open_inside_lan(struct gateway *g, char *err, size_t errlen)
{
	const struct conf *c = g->conf;
	int rc;

	if (inside_ipv4(c) == 0) {
		snprintf(err, errlen, "inside = %s: a LAN port needs an IPv4 inside-address "
			 "(the gateway's address on that LAN)", c->gw.inside_devargs);
		return -EINVAL;
	}
	rc = port_probe(c->gw.inside_devargs, &g->inside_port, err, errlen);
	if (rc != 0)
		return rc;
	g->inside_lan_open = true;
	rc = port_start(g->inside_port, (uint16_t)g->n_workers, g->mp, 0, err, errlen);
	if (rc != 0)
		return rc;
	rte_eth_macaddr_get(g->inside_port, &g->hostif.router_mac);
	return 0;
}

/* wan-kernel: the kernel's "wan0" with the WAN port's MAC and address,
 * one queue pair per worker. */
static int open_wan_kernel(struct gateway *g, char *err, size_t errlen)
{
	const struct conf *c = g->conf;
	struct rte_ether_addr mac;
	int rc;

	if (c->gw.wan_kernel[0] == '\0')
		return 0;
	rc = rte_eth_macaddr_get(g->wan_port, &mac);
	if (rc != 0) {
		snprintf(err, errlen, "wan-kernel: no MAC of the WAN port: %s", strerror(-rc));
		return rc;
	}
	rc = hostif_wan_create(&g->wan_kernel, &c->gw, &mac, g->mp, (uint16_t)g->n_workers, err,
			       errlen);
	if (rc != 0)
		return rc;
	g->wan_kernel_open = true;
	return hostif_wan_configure(&g->wan_kernel, &c->gw, g->mp, err, errlen);
}

static int make_sa_out(struct gateway *g, const struct conf_peer *p, unsigned idx,
		       struct sa_out **out, char *err, size_t errlen)
{
	const struct conf *c = g->conf;
	struct sa_out *o;
	int rc;

	o = sa_out_create(c->gw.crypto, p->cipher, p->spi_out, p->key_out, p->keymat_len, p->esn);
	if (o == NULL) {
		snprintf(err, errlen, "peer %s: cannot create its outbound SA", p->name);
		return -ENOMEM;
	}
	o->peer = (uint16_t)idx;
	o->udp_encap = p->udp_encap;
	o->src_ip = c->gw.wan_ip;
	o->dst_ip = p->endpoint_ip;
	o->sport = rte_cpu_to_be_16(c->gw.udp_port);
	o->dport = rte_cpu_to_be_16(p->endpoint_port);
	o->mtu = esp_inner_mtu(c->gw.wan_mtu, p->udp_encap);
	if (!on_link(p->endpoint_ip, c->gw.wan_ip, c->gw.wan_prefixlen) &&
	    c->gw.wan_gateway == 0) {
		if (p->line)
			snprintf(err, errlen, "%s:%u: peer %s: endpoint is not on the WAN subnet "
				 "and no wan-gateway is set", c->path, p->line, p->name);
		else
			snprintf(err, errlen, "peer %s: endpoint is not on the WAN subnet and no "
				 "wan-gateway is set", p->name);
		sa_out_free(o);
		return -EINVAL;
	}
	o->next_hop = gateway_next_hop(&c->gw, p->endpoint_ip);
	rc = sa_out_restore(g->seqstate, o);
	if (rc != 0) {
		snprintf(err, errlen, "peer %s: cannot reserve sequence numbers in the state file: %s",
			 p->name, strerror(-rc));
		sa_out_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

int gateway_peer_sas(struct gateway *g, const struct conf_peer *p, unsigned idx,
		     struct sa_out **o, struct sa_in **in, char *err, size_t errlen)
{
	int rc;

	/* an IKEv2 peer's SAs come from the control plane (ike_gw.c) */
	if (p->ike.enabled) {
		if (o != NULL)
			*o = NULL;
		if (in != NULL)
			*in = NULL;
		return 0;
	}

	if (in != NULL) {
		*in = sa_in_create(g->conf->gw.crypto, p->cipher, p->spi_in, p->key_in,
				   p->keymat_len, p->esn, p->replay_window);
		if (*in == NULL) {
			snprintf(err, errlen, "peer %s: cannot create its inbound SA", p->name);
			return -ENOMEM;
		}
		(*in)->peer = (uint16_t)idx;
	}
	if (o != NULL) {
		rc = make_sa_out(g, p, idx, o, err, errlen);
		if (rc != 0) {
			if (in != NULL) {
				sa_in_free(*in);
				*in = NULL;
			}
			return rc;
		}
	}
	return 0;
}

static int build_peer(struct gateway *g, unsigned i, char *err, size_t errlen)
{
	const struct conf *c = g->conf;
	const struct conf_peer *p = &c->peers[i];
	int rc;

	rc = gateway_peer_sas(g, p, i, &g->sa_out[i], &g->sa_inb[i], err, errlen);
	if (rc != 0)
		return rc;
	rc = g->sa_inb[i] != NULL ? sa_table_add(g->sa_in, g->sa_inb[i]) : 0;
	if (rc != 0) {
		snprintf(err, errlen, "peer %s: spi-in 0x%08x: %s", p->name, p->spi_in, strerror(-rc));
		return rc;
	}
	for (unsigned s = 0; s < p->n_subnets; s++) {
		const struct conf_prefix *sn = &p->subnets[s];

		rc = route_add(g->routes, sn->family, sn->addr, sn->len, (uint16_t)i);
		if (rc != 0) {
			char pfx[64];
			snprintf(err, errlen, "peer %s: route %s: %s", p->name,
				 conf_prefix_str(sn, pfx, sizeof(pfx)), strerror(-rc));
			return rc;
		}
	}
	/* an IKEv2 peer's SA is not there yet: ESP in UDP is the larger overhead */
	uint16_t mtu = g->sa_out[i] != NULL ? g->sa_out[i]->mtu :
		       esp_inner_mtu(c->gw.wan_mtu, 1);
	if (mtu < g->tunnel_mtu || g->tunnel_mtu == 0)
		g->tunnel_mtu = mtu;
	return 0;
}

static void init_worker(struct gateway *g, unsigned idx, unsigned lcore)
{
	const struct conf *c = g->conf;
	struct worker *w = &g->workers[idx];

	memset(w, 0, sizeof(*w));
	w->wan_port = g->wan_port;
	w->wan_queue = (uint16_t)idx;
	w->inside_port = g->inside_port;
	w->inside_queue = (uint16_t)idx;
	if (g->hostif_open && g->hostif.offload)
		w->inside_vtap = g->hostif.vtap.q[idx];
	if (g->wan_kernel_open) {
		w->wan_kernel = true;
		w->wan_kernel_port = g->wan_kernel.port_id;
		w->wan_kernel_queue = (uint16_t)idx;
	}
	w->inside_neigh = g->lan_neigh[idx];
	w->inside_ip = inside_ipv4(c);
	rte_eth_macaddr_get(g->wan_port, &w->wan_mac);
	w->router_mac = g->hostif.router_mac;
	w->host_mac = g->hostif.host_mac;
	w->wan_ip = c->gw.wan_ip;
	w->udp_port = rte_cpu_to_be_16(c->gw.udp_port);
	w->ike_port = RTE_BE16(500);
	w->ike_ring = g->ike_ring;
	w->sa_in = g->sa_in;
	w->routes = g->routes;
	w->neigh = g->wan_neigh[idx];
	for (unsigned i = 0; i < c->n_peers; i++)
		w->peers[i].sa_out = g->sa_out[i];
	w->n_peers = c->n_peers;
	w->mp = g->mp;
	w->burst = WORKER_BURST_DEFAULT;
	w->idle_backoff = true;
	w->index = (uint16_t)idx;
	w->n_workers = (uint16_t)g->n_workers;
	w->peer_owner = g->peer_owner;
	w->handoff = g->handoff[idx];
	w->handoffs = g->handoff;
	w->lcore_id = lcore;
	w->stats = stats_lcore_get(lcore);
	w->view_src = &g->view;
	w->view_gen = g->view->gen;
	w->qsbr = g->qsbr;
}

/* Per worker: a WAN (and on a LAN port, an inside) neighbour table holding
 * the static entries, and a hand-off ring when there are several. */
static int create_worker_tables(struct gateway *g, unsigned idx, char *err, size_t errlen)
{
	const struct conf *c = g->conf;
	char name[RTE_RING_NAMESIZE];
	int rc;

	snprintf(name, sizeof(name), "pmdvpn_nb%u", idx);
	g->wan_neigh[idx] = neigh_create(name, 256, SOCKET_ID_ANY);
	if (c->gw.inside == CONF_INSIDE_PORT) {
		snprintf(name, sizeof(name), "pmdvpn_nbl%u", idx);
		g->lan_neigh[idx] = neigh_create(name, 1024, SOCKET_ID_ANY);
	}
	/* even with one worker: the control plane sends through worker 0's */
	snprintf(name, sizeof(name), "pmdvpn_ho%u", idx);
	g->handoff[idx] = rte_ring_create(name, WORKER_HANDOFF_RING, SOCKET_ID_ANY,
					  RING_F_SC_DEQ);
	if (g->wan_neigh[idx] == NULL || (c->gw.inside == CONF_INSIDE_PORT && g->lan_neigh[idx] == NULL) ||
	    g->handoff[idx] == NULL) {
		snprintf(err, errlen, "cannot create the tables of worker %u: %s", idx,
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (unsigned i = 0; i < c->gw.n_neigh; i++) {
		struct rte_ether_addr mac;
		struct neigh_table *t = g->wan_neigh[idx];

		/* A static neighbour on an inside subnet belongs to the LAN port
		 * (a traffic generator that answers no ARP); the rest to the WAN. */
		if (g->lan_neigh[idx] != NULL && on_inside_subnet(c, c->gw.neigh[i].ip))
			t = g->lan_neigh[idx];
		memcpy(mac.addr_bytes, c->gw.neigh[i].mac, 6);
		rc = neigh_add_static(t, c->gw.neigh[i].ip, &mac);
		if (rc != 0) {
			snprintf(err, errlen, "static neighbour %u: %s", i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int gateway_start(struct gateway *g, const struct conf *c, struct sa_seqstate *seq,
		  char *err, size_t errlen)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->live = malloc(sizeof(*g->live));
	if (g->live == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(g->live, c, sizeof(*c));
	c = g->live;
	g->conf = c;
	g->seqstate = seq;
	g->rekey_linger_s = RUNTIME_LINGER_DEFAULT_S;
	if (c->n_peers > STATS_MAX_PEERS) {
		snprintf(err, errlen, "at most %u peers", STATS_MAX_PEERS);
		return -EINVAL;
	}
	g->n_workers = rte_lcore_count() - 1;
	if (g->n_workers == 0) {
		snprintf(err, errlen, "no worker lcore: give the EAL at least two lcores "
			 "(e.g. -l 0-1 or --lcores '0@0,1@1')");
		return -EINVAL;
	}
	if (g->n_workers > WORKER_MAX) {
		snprintf(err, errlen, "%u worker lcores: at most %u are supported", g->n_workers,
			 WORKER_MAX);
		return -EINVAL;
	}
	g->sa_in = sa_table_create("pmdvpn_sa_in", CONF_MAX_PEERS * 2, SOCKET_ID_ANY);
	g->routes = route_create("pmdvpn_rt", RUNTIME_ROUTES_V4, RUNTIME_ROUTES_V6, SOCKET_ID_ANY);
	g->qsbr = worker_qsbr_create(g->n_workers);
	if (g->qsbr == NULL) {
		snprintf(err, errlen, "cannot create the RCU variable of the workers");
		return -ENOMEM;
	}
	if (g->sa_in == NULL || g->routes == NULL) {
		snprintf(err, errlen, "cannot create the SA or route tables: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (unsigned i = 0; i < g->n_workers; i++) {
		rc = create_worker_tables(g, i, err, errlen);
		if (rc != 0)
			return rc;
	}
	g->neigh = g->wan_neigh[0];
	g->inside_neigh = g->lan_neigh[0];
	/* Peers are spread over the workers; one peer's SAs stay on one. */
	for (unsigned i = 0; i < c->n_peers; i++)
		g->peer_owner[i] = (uint16_t)(i % g->n_workers);
	for (unsigned i = 0; i < c->n_peers; i++) {
		rc = build_peer(g, i, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (g->tunnel_mtu == 0)
		g->tunnel_mtu = esp_inner_mtu(c->gw.wan_mtu, 1);
	runtime_view_init(g);
	g->mp = port_mempool_create("pmdvpn_mbufs", POOL_WANT, SOCKET_ID_ANY, err, errlen);
	if (g->mp == NULL)
		return -ENOMEM;
	rc = port_probe(c->gw.wan, &g->wan_port, err, errlen);
	if (rc != 0)
		return rc;
	g->wan_open = true;
	rc = port_start(g->wan_port, (uint16_t)g->n_workers, g->mp, 0, err, errlen);
	if (rc != 0) {
		if (g->n_workers > 1)
			snprintf(err + strlen(err), errlen - strlen(err), " (%u workers need %u queue "
				 "pairs on the WAN port, e.g. qpairs=%u for net_af_packet)",
				 g->n_workers, g->n_workers, g->n_workers);
		return rc;
	}
	if (c->gw.inside == CONF_INSIDE_VIRTIO_USER) {
		snprintf(err, errlen, "inside = virtio-user needs /dev/vhost-net and is not "
			 "supported yet: use inside = tap");
		return -ENOTSUP;
	}
	if (c->gw.inside == CONF_INSIDE_PORT) {
		rc = open_inside_lan(g, err, errlen);
		if (rc != 0)
			return rc;
	} else {
		rc = hostif_create(&g->hostif, &c->gw, g->mp, (uint16_t)g->n_workers, err, errlen);
		if (rc != 0)
			return rc;
		g->hostif_open = true;
		g->inside_port = g->hostif.port_id;
		rc = hostif_configure(&g->hostif, c, g->tunnel_mtu, err, errlen);
		if (rc != 0)
			return rc;
	}
	rc = open_wan_kernel(g, err, errlen);
	if (rc != 0)
		return rc;
	rc = ike_gw_prepare(g, err, errlen);
	if (rc != 0)
		return rc;
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	for (unsigned i = 0; i < g->n_workers; i++, lcore = rte_get_next_lcore(lcore, 1, 0)) {
		init_worker(g, i, lcore);
		g->workers[i].aead = aead_engine_create(c->gw.crypto);
		if (g->workers[i].aead == NULL) {
			snprintf(err, errlen, "cannot start the %s crypto engine",
				 aead_impl_name(c->gw.crypto));
			return -ENOTSUP;
		}
	}
	for (unsigned i = 0; i < g->n_workers; i++) {
		rc = rte_eal_remote_launch(worker_main, &g->workers[i], g->workers[i].lcore_id);
		if (rc != 0) {
			snprintf(err, errlen, "cannot launch worker %u on lcore %u", i,
				 g->workers[i].lcore_id);
			return rc;
		}
		g->running = i + 1;
	}
	return ike_gw_start(g, err, errlen);
}

void gateway_maintain(struct gateway *g)
{
	for (unsigned i = 0; i < g->conf->n_peers; i++) {
		struct sa_out *o = g->sa_out[i];
		int rc;

		/* negotiated SAs reserve nothing: their keys die with them */
		if (o == NULL || g->conf->peers[i].ike.enabled)
			continue;
		rc = sa_out_maintain(g->seqstate, o);
		if (rc != 0 && !o->exhausted_logged) {
			o->exhausted_logged = true;
			if (rc > 0)
				fprintf(stderr, "pmdvpn: peer %s: outbound SA 0x%08x used its last "
					"sequence number and stopped sending; it needs new keys\n",
					g->conf->peers[i].name, o->spi);
			else
				fprintf(stderr, "pmdvpn: peer %s: cannot write the state file (%s); "
					"the SA stops at its reserved limit\n",
					g->conf->peers[i].name, strerror(-rc));
		}
	}
}

void gateway_halt(struct gateway *g)
{
	ike_gw_stop(g);   /* its Deletes leave through worker 0 */
	for (unsigned i = 0; i < g->running; i++)
		g->workers[i].stop = true;
	for (unsigned i = 0; i < g->running; i++)
		rte_eal_wait_lcore(g->workers[i].lcore_id);
	g->running = 0;
}

void gateway_stop(struct gateway *g)
{
	gateway_halt(g);
	for (unsigned i = 0; i < WORKER_MAX; i++) {
		aead_engine_free(g->workers[i].aead);
		g->workers[i].aead = NULL;
		rte_pktmbuf_free(g->workers[i].ctrl_wait);   /* a frame waiting for ARP */
		g->workers[i].ctrl_wait = NULL;
		/* what is left in a hand-off ring goes back to the pool */
		if (g->handoff[i] != NULL) {
			void *m;
			while (rte_ring_dequeue(g->handoff[i], &m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(g->handoff[i]);
			g->handoff[i] = NULL;
		}
		neigh_free(g->wan_neigh[i]);
		neigh_free(g->lan_neigh[i]);
		g->wan_neigh[i] = g->lan_neigh[i] = NULL;
	}
	if (g->hostif_open)
		hostif_destroy(&g->hostif);
	if (g->wan_kernel_open)
		hostif_wan_destroy(&g->wan_kernel);
	g->wan_kernel_open = false;
	if (g->inside_lan_open)
		port_close(g->inside_port);
	if (g->wan_open)
		port_close(g->wan_port);
	g->hostif_open = g->wan_open = g->inside_lan_open = false;
	for (unsigned i = 0; g->conf != NULL && i < g->conf->n_peers; i++) {
		sa_out_free(g->sa_out[i]);
		sa_in_free(g->sa_inb[i]);
		g->sa_out[i] = NULL;
		g->sa_inb[i] = NULL;
	}
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
		sa_in_free(g->old_in[i]);
		g->old_in[i] = NULL;
	}
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
		sa_out_free(g->ike_pending_out[i]);
		g->ike_pending_out[i] = NULL;
	}
	if (g->ike_ring != NULL) {
		rte_ring_free(g->ike_ring);
		g->ike_ring = NULL;
	}
	sa_table_free(g->sa_in);
	route_free(g->routes);
	rte_free(g->qsbr);
	g->qsbr = NULL;
	g->view = NULL;
	g->inside_neigh = NULL;
	if (g->mp != NULL)
		rte_mempool_free(g->mp);
	if (g->live != NULL) {
		explicit_bzero(g->live, sizeof(*g->live));
		free(g->live);
	}
	g->live = NULL;
	g->conf = NULL;
	g->sa_in = NULL;
	g->routes = NULL;
	g->neigh = NULL;
	g->mp = NULL;
}
