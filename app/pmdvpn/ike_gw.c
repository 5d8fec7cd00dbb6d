/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_gw: the IKEv2 control thread of a gateway (see ike_gw.h).
 *
 * The thread sleeps while nothing is due (the ring is checked every
 * IKE_GW_POLL_MS): IKE is a handful of datagrams per minute, and a
 * poll-mode control thread would take a core the workers need.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "console.h"
#include "esp.h"
#include "ike_gw.h"
#include "ike_sa.h"
#include "runtime.h"

#define IKE_GW_POLL_MS 2        /* ring check period while idle */
#define IKE_GW_BURST 32
#define IKE_GW_ALIVE_MS 1000    /* how often ESP counters feed DPD */
#define IKE_PORT 500
#define IKE_NATT 4500
#define IKE_JITTER_PCT 10
#define IKE_GW_DROP_LOGS 10     /* "drop: ..." lines a second, the rest counted */

static int ike_logtype = -1;

struct ike_gw_peer {
	int ike;                     /* index in the ike ctx; -1: none */
	struct conf_peer cfg;        /* as registered, to notice changes */
	uint64_t rx_seen;            /* decrypted packets seen (DPD liveness) */
};

struct ike_gw {
	struct gateway *g;
	struct ike_ctx *ctx;
	pthread_t thread;
	bool running;
	volatile bool stop;
	uint64_t next_alive;
	uint64_t rx, rx_bad, tx, tx_fail;
	uint64_t drop_log_window, drop_log_suppressed;  /* on_log's rate limit */
	unsigned drop_logs;
	uint16_t ip_id;
	struct ike_gw_peer peer[CONF_MAX_PEERS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ike_logf(uint32_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ike_logf(uint32_t level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rte_vlog(level, (uint32_t)ike_logtype, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- config */

static void id_from(struct ike_identity *id, const struct conf_ike_id *c, uint32_t ip)
{
	memset(id, 0, sizeof(*id));
	if (c->len != 0) {
		id->type = c->type;
		id->len = c->len;
		memcpy(id->data, c->data, c->len);
	} else {
		id->type = IKE_ID_IPV4_ADDR;
		id->len = 4;
		memcpy(id->data, &ip, 4);
	}
}

static int subnet_from(struct ike_subnet *s, const struct conf_prefix *p, bool host_bits)
{
	unsigned alen = p->family == AF_INET ? 4 : 16;

	memset(s, 0, sizeof(*s));
	s->family = p->family == AF_INET ? 4 : 6;
	s->prefix = p->len;
	memcpy(s->ip, p->addr, alen);
	if (host_bits) /* an interface address: keep its network only */
		for (unsigned b = p->len; b < alen * 8; b++)
			s->ip[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	return 0;
}

static uint32_t ms_of(uint32_t s)
{
	return s > UINT32_MAX / 1000 ? UINT32_MAX : s * 1000;
}

/* The state machine's view of peer p. Local traffic selectors: the
 * networks of the inside interface (what is behind this gateway), or
 * everything when none is configured. */
static int peer_cfg(const struct gateway *g, const struct conf_peer *p, struct ike_peer_cfg *c,
		    FILE *f)
{
	const struct conf_gateway *gw = &g->live->gw;
	const struct conf_ike *k = &p->ike;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", p->name);
	c->local.family = 4;
	memcpy(c->local.ip, &gw->wan_ip, 4);
	c->local.port = IKE_PORT;
	if (p->endpoint_ip != 0) {
		c->remote.family = 4;
		memcpy(c->remote.ip, &p->endpoint_ip, 4);
		c->remote.port = p->endpoint_port ? p->endpoint_port : IKE_PORT;
	}
	id_from(&c->local_id, &k->local_id, gw->wan_ip);
	if (k->remote_id.len == 0 && p->endpoint_ip == 0) {
		fprintf(f, "peer %s: no remote-id and no endpoint\n", p->name);
		return -1;
	}
	id_from(&c->remote_id, &k->remote_id, p->endpoint_ip);
	if (k->psk_len == 0 || k->psk_len > IKE_CFG_PSK_MAX) {
		fprintf(f, "peer %s: no usable psk\n", p->name);
		return -1;
	}
	memcpy(c->psk, k->psk, k->psk_len);
	c->psk_len = k->psk_len;
	c->n_ike = (uint8_t)RTE_MIN(k->n_ike, (unsigned)IKE_CFG_MAX_PROPS);
	for (unsigned i = 0; i < c->n_ike; i++) {
		c->ike[i].encr = k->ike[i].encr;
		c->ike[i].encr_keylen = k->ike[i].keylen;
		c->ike[i].prf = k->ike[i].prf;
		c->ike[i].dh = k->ike[i].dh;
	}
	c->n_esp = (uint8_t)RTE_MIN(k->n_esp, (unsigned)IKE_CFG_MAX_PROPS);
	for (unsigned i = 0; i < c->n_esp; i++) {
		c->esp[i].encr = k->esp[i].encr;
		c->esp[i].keylen = k->esp[i].keylen;
		c->esp[i].dh = k->esp[i].dh;
	}
	c->esn = p->esn;
	c->force_encap = p->udp_encap;
	for (unsigned i = 0; i < gw->n_inside_addr && c->n_local_ts < IKE_CFG_MAX_SUBNETS; i++)
		subnet_from(&c->local_ts[c->n_local_ts++], &gw->inside_addr[i], true);
	if (c->n_local_ts == 0) {
		c->local_ts[0].family = 4;       /* 0.0.0.0/0 */
		c->local_ts[1].family = 6;       /* ::/0 */
		c->n_local_ts = 2;
	}
	if (p->n_subnets > IKE_CFG_MAX_SUBNETS) {
		fprintf(f, "peer %s: an IKEv2 peer has at most %u subnets\n", p->name,
			IKE_CFG_MAX_SUBNETS);
		return -1;
	}
	for (unsigned i = 0; i < p->n_subnets; i++)
		subnet_from(&c->remote_ts[c->n_remote_ts++], &p->subnets[i], false);
	c->child_rekey_ms = ms_of(k->rekey_s);
	c->ike_rekey_ms = ms_of(k->ike_rekey_s);
	c->jitter_pct = IKE_JITTER_PCT;
	c->dpd_ms = ms_of(k->dpd_s);
	c->initiate = k->initiate;
	return 0;
}

/* ------------------------------------------------------------------ send */

/* One datagram out through worker 0 (which owns the neighbour table). */
static void on_send(void *arg, const struct ike_addr *src, const struct ike_addr *dst,
		    const uint8_t *buf, size_t len)
{
	struct ike_gw *ig = arg;
	struct gateway *g = ig->g;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct rte_mbuf *m;
	size_t ip_len = sizeof(*ip) + sizeof(*udp) + len;
	uint32_t dst_ip;

	if (src->family != 4 || dst->family != 4 || ip_len > g->live->gw.wan_mtu) {
		ike_logf(RTE_LOG_ERR, "pmdvpn: ike: cannot send %zu octets to that address "
			 "(IPv4 only, no IKE fragmentation)\n", len);
		ig->tx_fail++;
		return;
	}
	m = rte_pktmbuf_alloc(g->mp);
	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + ip_len)) == NULL) {
		rte_pktmbuf_free(m);
		ig->tx_fail++;
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eth, 0, sizeof(*eth));
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)ip_len);
	ip->packet_id = rte_cpu_to_be_16(ig->ip_id++);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, src->ip, 4);
	memcpy(&ip->dst_addr, dst->ip, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(src->port);
	udp->dst_port = rte_cpu_to_be_16(dst->port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, buf, len);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	memcpy(&dst_ip, dst->ip, 4);
	m->hash.usr = WORKER_HANDOFF_CTRL_TX;
	WORKER_CTRL_NEXT_HOP(m) = gateway_next_hop(&g->live->gw, dst_ip);
	if (rte_ring_mp_enqueue(g->handoff[0], m) != 0) {
		rte_pktmbuf_free(m);
		ig->tx_fail++;
		return;
	}
	ig->tx++;
}

/* --------------------------------------------------------------- events */

static int gw_index(const struct ike_gw *ig, unsigned ike_idx)
{
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++)
		if (ig->peer[i].ike == (int)ike_idx)
			return (int)i;
	return -1;
}

static int alg_of(uint16_t encr, uint16_t keylen, enum aead_alg *alg)
{
	if (encr == IKE_ENCR_AES_GCM_16 && keylen == 128)
		*alg = AEAD_AES128_GCM;
	else if (encr == IKE_ENCR_AES_GCM_16 && keylen == 256)
		*alg = AEAD_AES256_GCM;
	else if (encr == IKE_ENCR_CHACHA20_POLY1305)
		*alg = AEAD_CHACHA20_POLY1305;
	else
		return -1;
	return 0;
}

/* The SAs of a CHILD_SA, handed to runtime.c. Sequence numbers are not
 * reserved in the state file: negotiated keys are never used again after
 * a restart, so numbering may start at 1. */
static void child_up(struct ike_gw *ig, int idx, const struct ike_event *ev)
{
	struct gateway *g = ig->g;
	const struct conf_gateway *gw = &g->live->gw;
	const struct conf_peer *p = &g->live->peers[idx];
	const struct ike_child_info *c = &ev->child;
	size_t keymat = (size_t)c->key_len + 4;
	struct sa_out *o;
	struct sa_in *in;
	enum aead_alg alg;
	uint32_t dst;

	if (alg_of(c->encr, c->keylen, &alg) != 0 || keymat != aead_key_len(alg) + 4 ||
	    ev->remote.family != 4) {
		ike_logf(RTE_LOG_ERR, "pmdvpn: ike: peer %s: CHILD_SA not installable "
			 "(transform %u/%u)\n", p->name, c->encr, c->keylen);
		return;
	}
	o = sa_out_create(gw->crypto, alg, c->spi_out, c->key_out, keymat, c->esn);
	in = sa_in_create(gw->crypto, alg, c->spi_in, c->key_in, keymat, c->esn,
			  p->replay_window);
	if (o == NULL || in == NULL) {
		ike_logf(RTE_LOG_ERR, "pmdvpn: ike: peer %s: no memory for the SAs\n", p->name);
		sa_out_free(o);
		sa_in_free(in);
		return;
	}
	memcpy(&dst, ev->remote.ip, 4);
	o->peer = in->peer = (uint16_t)idx;
	o->udp_encap = c->encap;
	o->src_ip = gw->wan_ip;
	o->dst_ip = dst;
	o->sport = rte_cpu_to_be_16(gw->udp_port);
	/* ESP in UDP goes where IKE floated to (4500, or the NAT's port) */
	o->dport = rte_cpu_to_be_16(ev->remote.port != IKE_PORT ? ev->remote.port : IKE_NATT);
	o->mtu = esp_inner_mtu(gw->wan_mtu, c->encap);
	o->next_hop = gateway_next_hop(gw, dst);
	__atomic_store_n(&o->seq_limit, o->seq_max, __ATOMIC_RELEASE);
	runtime_ike_child_up(g, (unsigned)idx, o, in, c->old_spi_in, c->old_spi_out,
			     c->responder && c->old_spi_out != 0, stdout);
}

static void on_event(void *arg, const struct ike_event *ev)
{
	struct ike_gw *ig = arg;
	int idx = gw_index(ig, ev->peer);

	if (idx < 0)
		return;         /* a removed peer's last words */
	switch (ev->type) {
	case IKE_EV_IKE_UP:
		ike_logf(RTE_LOG_INFO, "pmdvpn: ike: peer %s: IKE SA %s\n", ev->peer_name,
			 ev->rekeyed ? "rekeyed" : "established");
		break;
	case IKE_EV_IKE_DOWN:
		if (!ev->rekeyed)
			ike_logf(RTE_LOG_INFO, "pmdvpn: ike: peer %s: IKE SA down\n",
				 ev->peer_name);
		break;
	case IKE_EV_CHILD_UP:
		child_up(ig, idx, ev);
		break;
	case IKE_EV_CHILD_DOWN:
		runtime_ike_child_down(ig->g, (unsigned)idx, ev->child.spi_in, ev->child.spi_out,
				       stdout);
		break;
	}
}

/* Drops of unauthenticated datagrams are the sender's choice: a flood of
 * spoofed IKE_SA_INITs must not become a flood of log lines. At most
 * IKE_GW_DROP_LOGS a second; the rest are counted and summed up once. */
static void on_log(void *arg, int level, const char *msg)
{
	struct ike_gw *ig = arg;
	uint32_t lv = level == IKE_LOG_ERR ? RTE_LOG_ERR : level == IKE_LOG_INFO ? RTE_LOG_INFO :
		      RTE_LOG_DEBUG;

	if (strncmp(msg, "drop: ", 6) == 0) {
		uint64_t now = now_ms();

		if (now >= ig->drop_log_window + 1000) {
			if (ig->drop_log_suppressed != 0)
				ike_logf(RTE_LOG_INFO, "pmdvpn: ike: %" PRIu64 " more dropped "
					 "datagrams not logged (at most %u lines a second)\n",
					 ig->drop_log_suppressed, IKE_GW_DROP_LOGS);
			ig->drop_log_window = now;
			ig->drop_logs = 0;
			ig->drop_log_suppressed = 0;
		}
		if (ig->drop_logs >= IKE_GW_DROP_LOGS) {
			ig->drop_log_suppressed++;
			return;
		}
		ig->drop_logs++;
	}
	ike_logf(lv, "pmdvpn: ike: %s\n", msg);
}

/* ------------------------------------------------------------ receive */

/* One frame from a worker: Ethernet, IPv4, UDP to port 500 or 4500. */
static void rx_one(struct ike_gw *ig, struct rte_mbuf *m, uint64_t now)
{
	uint8_t buf[IKE_SA_BUF + 128];
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	const uint8_t *p;
	struct ike_addr src, local;
	uint32_t len = rte_pktmbuf_pkt_len(m), ihl, tot, ulen;
	enum ike_drop d;

	ig->rx++;
	if (len > sizeof(buf) || len < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*udp))
		goto bad;
	p = rte_pktmbuf_read(m, 0, len, buf);
	if (p == NULL)
		goto bad;
	ip = (const struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	ihl = (ip->version_ihl & 0x0f) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	/* no IP fragments: IKE fragmentation (RFC 7383) is not offered */
	if (ihl < sizeof(*ip) || tot < ihl + sizeof(*udp) || tot > len - RTE_ETHER_HDR_LEN ||
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		goto bad;
	udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) || ulen > tot - ihl)
		goto bad;
	memset(&src, 0, sizeof(src));
	memset(&local, 0, sizeof(local));
	src.family = local.family = 4;
	memcpy(src.ip, &ip->src_addr, 4);
	memcpy(local.ip, &ip->dst_addr, 4);
	src.port = rte_be_to_cpu_16(udp->src_port);
	local.port = rte_be_to_cpu_16(udp->dst_port);
	d = ike_input(ig->ctx, (const uint8_t *)(udp + 1), ulen - sizeof(*udp), &src, &local,
		      now);
	if (d != IKE_DROP_NONE)
		ike_logf(RTE_LOG_DEBUG, "pmdvpn: ike: datagram from %u.%u.%u.%u:%u dropped: %s\n",
			 src.ip[0], src.ip[1], src.ip[2], src.ip[3], src.port, ike_drop_str(d));
	rte_pktmbuf_free(m);
	return;
bad:
	ig->rx_bad++;
	rte_pktmbuf_free(m);
}

/* Authentic ESP from a peer proves it alive: DPD only probes idle peers. */
static void feed_alive(struct ike_gw *ig, uint64_t now)
{
	struct gateway *g = ig->g;

	for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
		uint64_t rx = 0;

		if (ig->peer[i].ike < 0 || i >= STATS_MAX_PEERS)
			continue;
		for (unsigned w = 0; w < g->n_workers; w++)
			rx += g->workers[w].stats->peer[i].rx_pkts;
		if (rx != ig->peer[i].rx_seen) {
			ig->peer[i].rx_seen = rx;
			ike_peer_alive(ig->ctx, (unsigned)ig->peer[i].ike, now);
		}
	}
}

static void *ike_thread(void *arg)
{
	struct ike_gw *ig = arg;
	struct rte_ring *r = ig->g->ike_ring;
	uint64_t deadline = 0;

	while (!ig->stop) {
		struct rte_mbuf *pkts[IKE_GW_BURST];
		unsigned n = rte_ring_sc_dequeue_burst(r, (void **)pkts, IKE_GW_BURST, NULL);
		uint64_t now = now_ms();

		if (n > 0 || now >= deadline || now >= ig->next_alive) {
			console_env_acquire();
			for (unsigned i = 0; i < n; i++)
				rx_one(ig, pkts[i], now);
			if (now >= ig->next_alive) {
				feed_alive(ig, now);
				ig->next_alive = now + IKE_GW_ALIVE_MS;
			}
			deadline = ike_timer(ig->ctx, now);
			console_env_release();
		}
		if (n == 0) {
			struct timespec ts = { 0, IKE_GW_POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- peers */

static void peer_remove(struct ike_gw *ig, unsigned i)
{
	int k = ig->peer[i].ike;

	if (k < 0)
		return;
	ig->peer[i].ike = -1;   /* its events are ignored from now on */
	ike_remove_peer(ig->ctx, (unsigned)k, now_ms());
	explicit_bzero(&ig->peer[i].cfg, sizeof(ig->peer[i].cfg));
}

static int peer_register(struct ike_gw *ig, unsigned i, FILE *f)
{
	const struct conf_peer *p = &ig->g->live->peers[i];
	struct ike_peer_cfg *c = calloc(1, sizeof(*c));
	int k;

	if (c == NULL)
		return -1;
	if (peer_cfg(ig->g, p, c, f) != 0) {
		explicit_bzero(c, sizeof(*c));
		free(c);
		return -1;
	}
	k = ike_add_peer(ig->ctx, c);
	explicit_bzero(c, sizeof(*c));
	free(c);
	if (k < 0) {
		fprintf(f, "peer %s: IKEv2 settings refused by the state machine\n", p->name);
		return -1;
	}
	ig->peer[i].ike = k;
	ig->peer[i].cfg = *p;
	ig->peer[i].rx_seen = 0;
	if (p->ike.initiate && ike_initiate(ig->ctx, (unsigned)k, now_ms()) != 0)
		fprintf(f, "peer %s: cannot initiate now (will retry)\n", p->name);
	return 0;
}

void ike_gw_sync(struct gateway *g, FILE *f)
{
	struct ike_gw *ig = g->ike;

	if (ig == NULL)
		return;
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
		const struct conf_peer *p = i < g->live->n_peers ? &g->live->peers[i] : NULL;
		bool want = p != NULL && p->name[0] != '\0' && p->ike.enabled;

		if (ig->peer[i].ike >= 0 &&
		    (!want || strcmp(ig->peer[i].cfg.name, p->name) != 0 ||
		     conf_peer_diff(&ig->peer[i].cfg, p) != 0))
			peer_remove(ig, i);
		if (want && ig->peer[i].ike < 0)
			peer_register(ig, i, f);
	}
}

/* ------------------------------------------------------------ lifecycle */

int ike_gw_prepare(struct gateway *g, char *err, size_t errlen)
{
	g->ike_ring = rte_ring_create("pmdvpn_ike", IKE_GW_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (g->ike_ring == NULL) {
		snprintf(err, errlen, "cannot create the IKE ring: %s", rte_strerror(rte_errno));
		return -1;
	}
	if (ike_logtype < 0)
		ike_logtype = rte_log_register_type_and_pick_level("pmdvpn.ike", RTE_LOG_INFO);
	if (ike_logtype < 0)
		ike_logtype = RTE_LOGTYPE_USER1;
	return 0;
}

int ike_gw_start(struct gateway *g, char *err, size_t errlen)
{
	struct ike_ops ops = { .send = on_send, .event = on_event, .log = on_log };
	struct ike_gw *ig;
	int rc;

	if (g->live->gw.udp_port != IKE_NATT) {
		for (unsigned i = 0; i < g->live->n_peers; i++)
			if (g->live->peers[i].ike.enabled) {
				snprintf(err, errlen, "IKEv2 peers need udp-port 4500 (RFC 3948)");
				return -1;
			}
	}
	ig = calloc(1, sizeof(*ig));
	if (ig == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++)
		ig->peer[i].ike = -1;
	ig->g = g;
	ops.arg = ig;
	ig->ctx = ike_ctx_new(NULL, &ops);
	if (ig->ctx == NULL) {
		free(ig);
		snprintf(err, errlen, "cannot create the IKEv2 state machine");
		return -1;
	}
	g->ike = ig;
	console_env_acquire();
	ike_gw_sync(g, stdout);
	console_env_release();
	rc = rte_ctrl_thread_create(&ig->thread, "pmdvpn-ike", NULL, ike_thread, ig);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the IKE thread: %s", strerror(rc));
		ike_ctx_free(ig->ctx);
		free(ig);
		g->ike = NULL;
		return -1;
	}
	ig->running = true;
	return 0;
}

void ike_gw_stop(struct gateway *g)
{
	struct ike_gw *ig = g->ike;
	struct rte_mbuf *m;

	if (ig == NULL)
		return;
	if (ig->running) {
		/* the Deletes go out through worker 0, still running */
		console_env_acquire();
		for (unsigned i = 0; i < CONF_MAX_PEERS; i++)
			peer_remove(ig, i);
		console_env_release();
		ig->stop = true;
		pthread_join(ig->thread, NULL);
	}
	ike_ctx_free(ig->ctx);
	explicit_bzero(ig, sizeof(*ig));
	free(ig);
	g->ike = NULL;
	while (g->ike_ring != NULL && rte_ring_dequeue(g->ike_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
}

/* --------------------------------------------------------------- console */

static const char *state_name(enum ike_state s)
{
	switch (s) {
	case IKE_ST_NONE: return "none";
	case IKE_ST_CONNECTING: return "connecting";
	case IKE_ST_ESTABLISHED: return "established";
	case IKE_ST_DELETING: return "deleting";
	}
	return "?";
}

static const char *encr_name(uint16_t encr, uint16_t keylen)
{
	if (encr == IKE_ENCR_CHACHA20_POLY1305)
		return "chacha20poly1305";
	return keylen == 256 ? "aes256gcm16" : "aes128gcm16";
}

static const char *prf_name(uint16_t prf)
{
	return prf == IKE_PRF_HMAC_SHA2_512 ? "prfsha512" :
	       prf == IKE_PRF_HMAC_SHA2_384 ? "prfsha384" : "prfsha256";
}

static const char *dh_name(uint16_t dh)
{
	return dh == IKE_DH_CURVE25519 ? "x25519" : dh == IKE_DH_ECP256 ? "ecp256" : "modp2048";
}

static void show_one(const struct ike_gw *ig, unsigned i, FILE *f, uint64_t now)
{
	struct ike_peer_status st;

	if (ike_peer_status(ig->ctx, (unsigned)ig->peer[i].ike, &st) != 0)
		return;
	fprintf(f, "%-16s %s", ig->peer[i].cfg.name, state_name(st.state));
	if (st.state != IKE_ST_NONE) {
		fprintf(f, " %s%s ike %s-%s-%s spi-i ", st.initiator ? "initiator" : "responder",
			st.nat ? " nat" : "", encr_name(st.suite.encr, st.suite.encr_keylen),
			prf_name(st.suite.prf), dh_name(st.suite.dh));
		for (int b = 0; b < 8; b++)
			fprintf(f, "%02x", st.spi_i[b]);
		fprintf(f, " spi-r ");
		for (int b = 0; b < 8; b++)
			fprintf(f, "%02x", st.spi_r[b]);
		if (st.established_ms)
			fprintf(f, " age %" PRIu64 "s", (now - st.established_ms) / 1000);
	}
	/* ESP as strongSwan names it; "-GROUP": its keys came from a PFS rekey */
	for (unsigned c = 0; c < st.n_child; c++)
		fprintf(f, " child spi-in 0x%08x spi-out 0x%08x %s%s%s esn %s%s", st.child[c].spi_in,
			st.child[c].spi_out, encr_name(st.child[c].encr, st.child[c].keylen),
			st.child[c].dh ? "-" : "", st.child[c].dh ? dh_name(st.child[c].dh) : "",
			st.child[c].esn ? "yes" : "no", st.child[c].encap ? " udp" : "");
	fprintf(f, "\n");
}

int ike_gw_show(struct gateway *g, const char *peer, FILE *f)
{
	struct ike_gw *ig = g->ike;
	uint64_t now = now_ms();
	unsigned shown = 0;

	if (ig == NULL) {
		fprintf(f, "IKEv2 is not running\n");
		return -1;
	}
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
		if (ig->peer[i].ike < 0 || (peer != NULL && strcmp(peer, ig->peer[i].cfg.name)))
			continue;
		show_one(ig, i, f, now);
		shown++;
	}
	if (peer != NULL && shown == 0) {
		fprintf(f, "no IKEv2 peer named '%s'\n", peer);
		return -1;
	}
	if (peer == NULL) {
		fprintf(f, "ike: %u peer(s); rx %" PRIu64 " (%" PRIu64 " malformed) tx %" PRIu64
			" (%" PRIu64 " not sent); half-open %u", shown, ig->rx, ig->rx_bad, ig->tx,
			ig->tx_fail, ike_half_open(ig->ctx));
		for (int d = 1; d < IKE_DROP_COUNT; d++)
			if (ike_drop_count(ig->ctx, (enum ike_drop)d))
				fprintf(f, "; %s %" PRIu64, ike_drop_str((enum ike_drop)d),
					ike_drop_count(ig->ctx, (enum ike_drop)d));
		fprintf(f, "\n");
	}
	return 0;
}

int ike_gw_cmd(struct gateway *g, const char *verb, const char *peer, FILE *f)
{
	struct ike_gw *ig = g->ike;
	uint64_t now = now_ms();
	int k = -1, rc;

	if (ig == NULL) {
		fprintf(f, "IKEv2 is not running\n");
		return -1;
	}
	for (unsigned i = 0; i < CONF_MAX_PEERS && k < 0; i++)
		if (ig->peer[i].ike >= 0 && strcmp(peer, ig->peer[i].cfg.name) == 0)
			k = ig->peer[i].ike;
	if (k < 0) {
		fprintf(f, "no IKEv2 peer named '%s'\n", peer);
		return -1;
	}
	if (strcmp(verb, "initiate") == 0)
		rc = ike_initiate(ig->ctx, (unsigned)k, now);
	else if (strcmp(verb, "rekey") == 0)
		rc = ike_rekey_child(ig->ctx, (unsigned)k, now);
	else if (strcmp(verb, "rekey-ike") == 0)
		rc = ike_rekey_ike(ig->ctx, (unsigned)k, now);
	else if (strcmp(verb, "dpd") == 0)
		rc = ike_dpd(ig->ctx, (unsigned)k, now);
	else if (strcmp(verb, "terminate") == 0)
		rc = ike_terminate(ig->ctx, (unsigned)k, now);
	else {
		fprintf(f, "unknown ike command '%s'\n", verb);
		return -1;
	}
	if (rc != 0) {
		fprintf(f, "ike %s %s: not possible now (no SA, no endpoint, or an exchange in "
			"progress)\n", verb, peer);
		return -1;
	}
	fprintf(f, "ike %s %s: started\n", verb, peer);
	return 0;
}
