/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runtime changes without stopping the workers: peer add/del/set, sa
 * rekey/retire (console) and reload (SIGHUP or the console).
 *
 * Design
 * - The workers read one struct worker_view (lib/worker): the SPI table,
 *   the route table, and per peer index its outbound SA and owner. A
 *   change builds the next state completely on the side, then publishes
 *   a new view with one store-release, waits with rte_rcu_qsbr (each
 *   worker reports a quiescent state once per poll) until no worker can
 *   hold the old one, and only then frees what nothing references any
 *   more (SA keys wiped by sa_*_free, old tables). A worker never blocks
 *   and never sees a half-made change.
 * - Tables are rebuilt, never edited in place: rte_hash without its
 *   lock-free mode and rte_lpm6 (whose delete rebuilds the whole table,
 *   so concurrent lookups would miss for unaffected peers) are not safe
 *   for a writer beside readers. A new SPI table is built only when the
 *   set of inbound SAs changes, a new route table only when subnets do;
 *   a route table is large (two 64 MB tbl24s), so for a moment two exist.
 * - Unchanged peers keep their SA objects (same pointers): outbound
 *   sequence numbers and replay windows carry over. A peer whose outbound
 *   side changed gets a new sa_out whose numbers start above the state
 *   file's mark, as after a restart: no (key, nonce) is ever reused.
 * - Peer index = stats index, stable while the peer exists. A deleted
 *   peer's counters are zeroed after the RCU sync (no worker can count to
 *   it any more); an index freed in a change is not reused by the same
 *   change, so a new peer always starts at zero.
 * - Rekey (static keys, make-before-break): the new outbound SA replaces
 *   the old at once; a new inbound SA joins the SPI table beside the old
 *   one, which keeps decrypting until it ages out (rekey_linger_s, or
 *   `linger S`) or `sa retire PEER`.
 * - Reload re-reads the file; a file that does not load, or whose
 *   [gateway] differs (ports, addresses, crypto...: a restart is needed),
 *   is refused whole and the running config stays. Peers are matched by
 *   name: removed, added, changed (any difference).
 * - Host routes through vpn0 follow the subnets (ip route replace/del).
 * All of it runs on one control thread at a time: the console lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "ike_gw.h"
#include "runtime.h"

/* The next state, per peer index. */
struct rt_next {
	struct conf *conf;
	struct sa_out *out[CONF_MAX_PEERS];
	struct sa_in *in[CONF_MAX_PEERS];
	struct sa_in *old_in[CONF_MAX_PEERS];
	uint64_t old_in_expire[CONF_MAX_PEERS];
	bool routes_changed;
	bool freed[CONF_MAX_PEERS];          /* index freed by this change */
};

static uint64_t now_tsc(void)
{
	return rte_get_timer_cycles();
}

void runtime_view_init(struct gateway *g)
{
	struct worker_view *v = &g->views[0];

	memset(v, 0, sizeof(*v));
	v->gen = ++g->view_gen;
	v->sa_in = g->sa_in;
	v->routes = g->routes;
	v->n_peers = g->conf->n_peers;
	for (unsigned i = 0; i < g->conf->n_peers; i++) {
		v->peer_owner[i] = g->peer_owner[i];
		v->sa_out[i] = g->sa_out[i];
	}
	worker_view_publish(&g->view, v);
}

static struct rt_next *next_begin(struct gateway *g, FILE *f)
{
	struct rt_next *n = calloc(1, sizeof(*n));

	if (n != NULL)
		n->conf = malloc(sizeof(*n->conf));
	if (n == NULL || n->conf == NULL) {
		free(n);
		fprintf(f, "out of memory\n");
		return NULL;
	}
	memcpy(n->conf, g->live, sizeof(*n->conf));
	memcpy(n->out, g->sa_out, sizeof(n->out));
	memcpy(n->in, g->sa_inb, sizeof(n->in));
	memcpy(n->old_in, g->old_in, sizeof(n->old_in));
	memcpy(n->old_in_expire, g->old_in_expire, sizeof(n->old_in_expire));
	return n;
}

static bool in_current(const struct gateway *g, const void *sa)
{
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++)
		if (g->sa_out[i] == sa || g->sa_inb[i] == sa || g->old_in[i] == sa)
			return true;
	return false;
}

static bool in_next(const struct rt_next *n, const void *sa)
{
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++)
		if (n->out[i] == sa || n->in[i] == sa || n->old_in[i] == sa)
			return true;
	return false;
}

static void next_free(struct rt_next *n)
{
	if (n == NULL)
		return;
	if (n->conf != NULL) {
		explicit_bzero(n->conf, sizeof(*n->conf));
		free(n->conf);
	}
	free(n);
}

/* A change that will not happen: free what it created. */
static void next_abort(struct gateway *g, struct rt_next *n)
{
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
		if (n->out[i] != NULL && !in_current(g, n->out[i]))
			sa_out_free(n->out[i]);
		if (n->in[i] != NULL && !in_current(g, n->in[i]))
			sa_in_free(n->in[i]);
		if (n->old_in[i] != NULL && !in_current(g, n->old_in[i]))
			sa_in_free(n->old_in[i]);
	}
	next_free(n);
}

static bool peer_used(const struct conf *c, unsigned i)
{
	return i < c->n_peers && c->peers[i].name[0] != '\0';
}

static int peer_index(const struct conf *c, const char *name)
{
	for (unsigned i = 0; i < c->n_peers; i++)
		if (peer_used(c, i) && strcmp(c->peers[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The index of the running peer a command names, or -1 told to the operator on f. */
static int named_peer(const struct gateway *g, const char *name, FILE *f)
{
	int idx = peer_index(g->live, name);

	if (idx < 0)
		fprintf(f, "no peer named '%s' (show peers lists them)\n", name);
	return idx;
}

/* The lowest index free before this change began. */
static int free_index(const struct rt_next *n)
{
	for (unsigned i = 0; i < STATS_MAX_PEERS && i < CONF_MAX_PEERS; i++)
		if (!peer_used(n->conf, i) && !n->freed[i])
			return (int)i;
	return -1;
}

/* A new peer p at the free index idx of the change, with no SAs yet. */
static void place_peer(struct rt_next *n, unsigned idx, const struct conf_peer *p)
{
	n->conf->peers[idx] = *p;
	if (idx >= n->conf->n_peers)
		n->conf->n_peers = idx + 1;
	n->out[idx] = NULL;
	n->in[idx] = NULL;
	n->old_in[idx] = NULL;
}

static void set_n_peers(struct conf *c)
{
	while (c->n_peers > 0 && c->peers[c->n_peers - 1].name[0] == '\0')
		c->n_peers--;
}

static void remove_index(struct rt_next *n, unsigned i)
{
	if (n->conf->peers[i].n_subnets > 0)
		n->routes_changed = true;
	explicit_bzero(&n->conf->peers[i], sizeof(n->conf->peers[i]));
	n->out[i] = NULL;
	n->in[i] = NULL;
	n->old_in[i] = NULL;
	n->freed[i] = true;
	set_n_peers(n->conf);
}

static bool same_prefix(const struct conf_prefix *a, const struct conf_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

static bool conf_has_prefix(const struct conf *c, const struct conf_prefix *p)
{
	for (unsigned i = 0; i < c->n_peers; i++)
		for (unsigned s = 0; s < c->peers[i].n_subnets; s++)
			if (c->peers[i].name[0] != '\0' && same_prefix(&c->peers[i].subnets[s], p))
				return true;
	return false;
}

/* Host routes: each prefix `from` has and `to` has not is added (add) or
 * removed through vpn0. */
static void host_routes(struct gateway *g, const struct conf *from, const struct conf *to,
			bool add, FILE *f)
{
	char err[CONF_ERR_MAX];

	if (!g->hostif_open)
		return;
	for (unsigned i = 0; i < from->n_peers; i++) {
		if (from->peers[i].name[0] == '\0')
			continue;
		for (unsigned s = 0; s < from->peers[i].n_subnets; s++) {
			const struct conf_prefix *p = &from->peers[i].subnets[s];

			if (conf_has_prefix(to, p))
				continue;
			if (hostif_route(&g->hostif, add, p, err, sizeof(err)) != 0)
				fprintf(f, "warning: host route: %s\n", err);
		}
	}
}

static int build_tables(struct gateway *g, struct rt_next *n, struct sa_table **sat,
			struct route_table **rt, FILE *f)
{
	const struct conf *c = n->conf;
	char name[32];
	bool sa_changed = false;
	int rc;

	*sat = g->sa_in;
	*rt = g->routes;
	for (unsigned i = 0; i < CONF_MAX_PEERS && !sa_changed; i++)
		sa_changed = n->in[i] != g->sa_inb[i] || n->old_in[i] != g->old_in[i];
	if (sa_changed) {
		snprintf(name, sizeof(name), "pmdvpn_sa%" PRIu64, g->view_gen + 1);
		*sat = sa_table_create(name, CONF_MAX_PEERS * 2, SOCKET_ID_ANY);
		if (*sat == NULL) {
			fprintf(f, "cannot create a new SPI table: %s\n", rte_strerror(rte_errno));
			return -1;
		}
		for (unsigned i = 0; i < c->n_peers; i++) {
			if (n->in[i] == NULL)
				continue;
			rc = sa_table_add(*sat, n->in[i]);
			if (rc != 0) {
				fprintf(f, "peer %s: spi-in 0x%08x: %s\n", c->peers[i].name,
					n->in[i]->spi, strerror(-rc));
				goto fail;
			}
		}
		/* A replaced inbound SA whose SPI came back into use yields. */
		for (unsigned i = 0; i < c->n_peers; i++)
			if (n->old_in[i] != NULL && sa_table_add(*sat, n->old_in[i]) != 0)
				n->old_in[i] = NULL;
	}
	if (n->routes_changed) {
		snprintf(name, sizeof(name), "pmdvpn_rt%" PRIu64, g->view_gen + 1);
		*rt = route_create(name, RUNTIME_ROUTES_V4, RUNTIME_ROUTES_V6, SOCKET_ID_ANY);
		if (*rt == NULL) {
			fprintf(f, "cannot create a new route table (no memory for a second "
				"one?): %s\n", rte_strerror(rte_errno));
			goto fail;
		}
		for (unsigned i = 0; i < c->n_peers; i++) {
			const struct conf_peer *p = &c->peers[i];

			for (unsigned s = 0; p->name[0] != '\0' && s < p->n_subnets; s++) {
				rc = route_add(*rt, p->subnets[s].family, p->subnets[s].addr,
					       p->subnets[s].len, (uint16_t)i);
				if (rc != 0) {
					char pfx[64];

					fprintf(f, "peer %s: route %s: %s\n", p->name,
						conf_prefix_str(&p->subnets[s], pfx, sizeof(pfx)),
						strerror(-rc));
					goto fail;
				}
			}
		}
	}
	return 0;
fail:
	if (*sat != g->sa_in)
		sa_table_free(*sat);
	if (*rt != g->routes)
		route_free(*rt);
	return -1;
}

static void zero_peer_stats(unsigned idx)
{
	for (unsigned l = 0; l < RTE_MAX_LCORE; l++)
		memset(&stats_lcore_get(l)->peer[idx], 0, sizeof(struct stats_peer));
}

/*
 * Publishes n and retires the old state. Returns 0, or -1 (nothing
 * changed) when the tables cannot be built. n is consumed either way.
 */
static int next_commit(struct gateway *g, struct rt_next *n, FILE *f)
{
	struct sa_table *sat;
	struct route_table *rt;
	struct worker_view *v;
	struct conf *old_conf;
	bool synced;

	set_n_peers(n->conf);
	if (build_tables(g, n, &sat, &rt, f) != 0) {
		next_abort(g, n);
		return -1;
	}
	/* The slot not published now was synced away from by the last change. */
	v = g->view == &g->views[0] ? &g->views[1] : &g->views[0];
	memset(v, 0, sizeof(*v));
	v->gen = ++g->view_gen;
	v->sa_in = sat;
	v->routes = rt;
	v->n_peers = n->conf->n_peers;
	for (unsigned i = 0; i < n->conf->n_peers; i++) {
		g->peer_owner[i] = (uint16_t)(i % g->n_workers);
		v->peer_owner[i] = g->peer_owner[i];
		v->sa_out[i] = peer_used(n->conf, i) ? n->out[i] : NULL;
	}
	/* New subnets: the host sends to vpn0 once the view routes them. */
	worker_view_publish(&g->view, v);
	synced = g->running == 0 ||
		 worker_view_sync(g->qsbr, RUNTIME_SYNC_TIMEOUT_MS) == 0;
	if (!synced)
		fprintf(f, "warning: a worker did not pass a quiescent state within %u ms: "
			"the old SAs and tables are kept (leaked), not freed\n",
			RUNTIME_SYNC_TIMEOUT_MS);
	host_routes(g, n->conf, g->live, true, f);
	host_routes(g, g->live, n->conf, false, f);
	/* Retire: nothing can reach these any more. */
	if (synced) {
		for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
			if (g->sa_out[i] != NULL && !in_next(n, g->sa_out[i]))
				sa_out_free(g->sa_out[i]);
			if (g->sa_inb[i] != NULL && !in_next(n, g->sa_inb[i]))
				sa_in_free(g->sa_inb[i]);
			if (g->old_in[i] != NULL && !in_next(n, g->old_in[i]))
				sa_in_free(g->old_in[i]);
			if (n->freed[i] && i < STATS_MAX_PEERS)
				zero_peer_stats(i);
		}
		if (sat != g->sa_in)
			sa_table_free(g->sa_in);
		if (rt != g->routes)
			route_free(g->routes);
	}
	g->sa_in = sat;
	g->routes = rt;
	memcpy(g->sa_out, n->out, sizeof(g->sa_out));
	memcpy(g->sa_inb, n->in, sizeof(g->sa_inb));
	memcpy(g->old_in, n->old_in, sizeof(g->old_in));
	memcpy(g->old_in_expire, n->old_in_expire, sizeof(g->old_in_expire));
	old_conf = g->live;
	memcpy(old_conf, n->conf, sizeof(*old_conf));
	next_free(n);
	/* a held-back outbound SA whose peer went or lost its SAs */
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
		if (g->ike_pending_out[i] != NULL &&
		    (g->sa_out[i] == NULL || !g->live->peers[i].ike.enabled)) {
			sa_out_free(g->ike_pending_out[i]);
			g->ike_pending_out[i] = NULL;
		}
	}
	return 0;
}

/* New SAs for index i of n where the peer changed (diff from old). */
static int renew_sas(struct gateway *g, struct rt_next *n, unsigned i, unsigned diff, FILE *f)
{
	char err[CONF_ERR_MAX];
	struct sa_out *o = NULL;
	struct sa_in *in = NULL;
	int rc;

	rc = gateway_peer_sas(g, &n->conf->peers[i], i, diff & CONF_DIFF_OUT ? &o : NULL,
			      diff & CONF_DIFF_IN ? &in : NULL, err, sizeof(err));
	if (rc != 0) {
		fprintf(f, "%s\n", err);
		return -1;
	}
	if (n->conf->peers[i].ike.enabled && (diff & (CONF_DIFF_OUT | CONF_DIFF_IN | CONF_DIFF_IKE))) {
		/* renegotiated after the change (ike_gw_sync) */
		n->out[i] = NULL;
		n->in[i] = NULL;
		n->old_in[i] = NULL;
		n->conf->peers[i].spi_in = n->conf->peers[i].spi_out = 0;
	}
	if (o != NULL)
		n->out[i] = o;
	if (in != NULL) {
		n->in[i] = in;
		n->old_in[i] = NULL;  /* new keys from the config: a clean switch */
	}
	if (diff & CONF_DIFF_SUBNETS)
		n->routes_changed = true;
	return 0;
}

int runtime_peer_add(struct gateway *g, const char *name, const char *kv, FILE *f)
{
	char err[CONF_ERR_MAX];
	struct conf_peer *p;
	struct rt_next *n;
	int idx;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		fprintf(f, "out of memory\n");
		return -1;
	}
	if (conf_parse_peer(g->live, name, kv, strlen(kv), "peer add", p, err, sizeof(err)) != 0 ||
	    conf_peer_clash(g->live, p, UINT_MAX, err, sizeof(err)) != 0) {
		fprintf(f, "%s\n", err);
		goto fail;
	}
	n = next_begin(g, f);
	if (n == NULL)
		goto fail;
	idx = free_index(n);
	if (idx < 0) {
		fprintf(f, "no free peer index (at most %u peers)\n", STATS_MAX_PEERS);
		next_abort(g, n);
		goto fail;
	}
	place_peer(n, (unsigned)idx, p);
	if (renew_sas(g, n, (unsigned)idx, CONF_DIFF_OUT | CONF_DIFF_IN | CONF_DIFF_SUBNETS, f)) {
		next_abort(g, n);
		goto fail;
	}
	if (next_commit(g, n, f) != 0)
		goto fail;
	fprintf(f, "peer %s added (index %d)\n", name, idx);
	ike_gw_sync(g, f);
	explicit_bzero(p, sizeof(*p));
	free(p);
	return 0;
fail:
	explicit_bzero(p, sizeof(*p));
	free(p);
	return -1;
}

int runtime_peer_del(struct gateway *g, const char *name, FILE *f)
{
	struct rt_next *n;
	int idx = named_peer(g, name, f);

	if (idx < 0)
		return -1;
	n = next_begin(g, f);
	if (n == NULL)
		return -1;
	remove_index(n, (unsigned)idx);
	if (next_commit(g, n, f) != 0)
		return -1;
	fprintf(f, "peer %s deleted\n", name);
	ike_gw_sync(g, f);
	return 0;
}

int runtime_peer_set(struct gateway *g, const char *name, const char *key, const char *value,
		     FILE *f)
{
	char err[CONF_ERR_MAX];
	struct rt_next *n;
	struct conf_peer *p;
	unsigned diff;
	int idx = named_peer(g, name, f);

	if (idx < 0)
		return -1;
	n = next_begin(g, f);
	if (n == NULL)
		return -1;
	p = &n->conf->peers[idx];
	if (conf_peer_set(g->live, p, key, value, err, sizeof(err)) != 0 ||
	    conf_peer_clash(g->live, p, (unsigned)idx, err, sizeof(err)) != 0) {
		fprintf(f, "%s\n", err);
		next_abort(g, n);
		return -1;
	}
	diff = conf_peer_diff(&g->live->peers[idx], p);
	if (diff == 0) {
		fprintf(f, "peer %s: %s unchanged\n", name, key);
		next_abort(g, n);
		return 0;
	}
	if (renew_sas(g, n, (unsigned)idx, diff & ~CONF_DIFF_IN, f) != 0) {
		next_abort(g, n);
		return -1;
	}
	if (next_commit(g, n, f) != 0)
		return -1;
	fprintf(f, "peer %s: %s set\n", name, key);
	ike_gw_sync(g, f);
	return 0;
}

int runtime_sa_rekey(struct gateway *g, const char *name, const struct console_rekey *rk,
		     FILE *f)
{
	char err[CONF_ERR_MAX];
	struct rt_next *n;
	struct conf_peer *p;
	size_t len;
	int idx = named_peer(g, name, f);
	unsigned diff = 0;

	if (idx < 0)
		return -1;
	if (g->live->peers[idx].ike.enabled) {
		fprintf(f, "peer %s negotiates its keys (IKEv2): use `ike rekey %s`\n", name, name);
		return -1;
	}
	n = next_begin(g, f);
	if (n == NULL)
		return -1;
	p = &n->conf->peers[idx];
	if ((rk->spi_out != 0 && rk->spi_out == p->spi_out) ||
	    (rk->spi_in != 0 && rk->spi_in == p->spi_in)) {
		fprintf(f, "a rekey needs new SPIs (spi-out 0x%08x, spi-in 0x%08x are in use)\n",
			p->spi_out, p->spi_in);
		goto fail;
	}
	if (rk->spi_out != 0) {
		p->spi_out = rk->spi_out;
		if (conf_read_key_file(rk->key_out_file, p->cipher, p->key_out, &len, err,
				       sizeof(err)) != 0) {
			fprintf(f, "key-out-file: %s\n", err);
			goto fail;
		}
		diff |= CONF_DIFF_OUT;
	}
	if (rk->spi_in != 0) {
		if (g->old_in[idx] != NULL && g->old_in[idx]->spi == rk->spi_in) {
			fprintf(f, "spi-in 0x%08x is the replaced inbound SA still in use\n",
				rk->spi_in);
			goto fail;
		}
		p->spi_in = rk->spi_in;
		if (conf_read_key_file(rk->key_in_file, p->cipher, p->key_in, &len, err,
				       sizeof(err)) != 0) {
			fprintf(f, "key-in-file: %s\n", err);
			goto fail;
		}
		diff |= CONF_DIFF_IN;
	}
	if (memcmp(p->key_out, p->key_in, p->keymat_len) == 0) {
		fprintf(f, "the outbound key must differ from the inbound one\n");
		goto fail;
	}
	if (conf_peer_clash(g->live, p, (unsigned)idx, err, sizeof(err)) != 0) {
		fprintf(f, "%s\n", err);
		goto fail;
	}
	if (renew_sas(g, n, (unsigned)idx, diff, f) != 0)
		goto fail;
	if (diff & CONF_DIFF_IN) {
		/* make-before-break: the old inbound SA keeps decrypting */
		unsigned s = rk->linger_s >= 0 ? (unsigned)rk->linger_s : g->rekey_linger_s;

		n->old_in[idx] = g->sa_inb[idx];
		n->old_in_expire[idx] = now_tsc() + rte_get_timer_hz() * s;
	}
	if (next_commit(g, n, f) != 0)
		return -1;
	fprintf(f, "peer %s rekeyed: spi-out 0x%08x", name, g->live->peers[idx].spi_out);
	if (rk->spi_in != 0)
		fprintf(f, ", spi-in 0x%08x (0x%08x kept for %u s)", rk->spi_in,
			g->old_in[idx] ? g->old_in[idx]->spi : 0,
			rk->linger_s >= 0 ? (unsigned)rk->linger_s : g->rekey_linger_s);
	fprintf(f, "\n");
	return 0;
fail:
	next_abort(g, n);
	return -1;
}

int runtime_sa_retire(struct gateway *g, const char *name, FILE *f)
{
	struct rt_next *n;
	int idx = named_peer(g, name, f);
	uint32_t spi;

	if (idx < 0)
		return -1;
	if (g->old_in[idx] == NULL) {
		fprintf(f, "peer %s has no replaced inbound SA\n", name);
		return -1;
	}
	spi = g->old_in[idx]->spi;
	n = next_begin(g, f);
	if (n == NULL)
		return -1;
	n->old_in[idx] = NULL;
	if (next_commit(g, n, f) != 0)
		return -1;
	fprintf(f, "peer %s: inbound SA 0x%08x retired\n", name, spi);
	return 0;
}

int runtime_reload(struct gateway *g, FILE *f)
{
	char err[CONF_ERR_MAX], what[64];
	struct conf *c = NULL;
	struct rt_next *n;
	unsigned added = 0, removed = 0, changed = 0;

	if (conf_load(g->live->path, &c, err, sizeof(err)) != 0) {
		fprintf(f, "reload refused, the running config stays: %s\n", err);
		return -1;
	}
	if (conf_gateway_diff(&g->live->gw, &c->gw, what, sizeof(what)) != 0) {
		fprintf(f, "reload refused, the running config stays: %s: [gateway] %s changed; "
			"that needs a restart\n", c->path, what);
		conf_free(c);
		return -1;
	}
	if (c->n_peers > STATS_MAX_PEERS) {
		fprintf(f, "reload refused: at most %u peers\n", STATS_MAX_PEERS);
		conf_free(c);
		return -1;
	}
	n = next_begin(g, f);
	if (n == NULL) {
		conf_free(c);
		return -1;
	}
	/* removed first: their SPIs and subnets may move to other peers */
	for (unsigned i = 0; i < n->conf->n_peers; i++) {
		if (peer_used(n->conf, i) && conf_peer_find(c, n->conf->peers[i].name) == NULL) {
			remove_index(n, i);
			removed++;
		}
	}
	for (unsigned k = 0; k < c->n_peers; k++) {
		const struct conf_peer *np = &c->peers[k];
		int idx = peer_index(n->conf, np->name);
		unsigned diff;

		if (idx >= 0) {
			diff = conf_peer_diff(&n->conf->peers[idx], np);
			n->conf->peers[idx] = *np;
			if (diff == 0)
				continue;
			changed++;
		} else {
			idx = free_index(n);
			if (idx < 0) {
				fprintf(f, "reload refused: no free peer index\n");
				goto fail;
			}
			place_peer(n, (unsigned)idx, np);
			diff = CONF_DIFF_OUT | CONF_DIFF_IN | CONF_DIFF_SUBNETS;
			added++;
		}
		if (renew_sas(g, n, (unsigned)idx, diff, f) != 0) {
			fprintf(f, "reload refused, the running config stays\n");
			goto fail;
		}
	}
	if (added + removed + changed == 0) {
		fprintf(f, "reload: %s: no peer changed\n", c->path);
		next_abort(g, n);
		conf_free(c);
		return 0;
	}
	if (next_commit(g, n, f) != 0) {
		conf_free(c);
		return -1;
	}
	fprintf(f, "reload: %s: %u peer(s) added, %u removed, %u changed\n", c->path, added,
		removed, changed);
	ike_gw_sync(g, f);
	conf_free(c);
	return 0;
fail:
	next_abort(g, n);
	conf_free(c);
	return -1;
}

void runtime_maintain(struct gateway *g)
{
	uint64_t now = now_tsc();
	struct rt_next *n = NULL;
	bool pending_taken[CONF_MAX_PEERS] = { false };

	for (unsigned i = 0; i < CONF_MAX_PEERS; i++) {
		if (g->old_in[i] == NULL || now < g->old_in_expire[i])
			continue;
		if (n == NULL)
			n = next_begin(g, stderr);
		if (n == NULL)
			return;
		fprintf(stdout, "pmdvpn: peer %s: replaced inbound SA 0x%08x aged out\n",
			g->live->peers[i].name, g->old_in[i]->spi);
		n->old_in[i] = NULL;
		if (g->ike_pending_out[i] != NULL) {
			n->out[i] = g->ike_pending_out[i];
			n->conf->peers[i].spi_out = n->out[i]->spi;
			pending_taken[i] = true;
		}
	}
	if (n == NULL)
		return;
	for (unsigned i = 0; i < CONF_MAX_PEERS; i++)
		if (pending_taken[i])
			g->ike_pending_out[i] = NULL;  /* n owns it now */
	next_commit(g, n, stderr);
}

/* ------------------------------------------------------------------ IKEv2 */

int runtime_ike_child_up(struct gateway *g, unsigned idx, struct sa_out *o, struct sa_in *in,
			 uint32_t old_spi_in, uint32_t old_spi_out, bool defer_out, FILE *f)
{
	const char *name = g->live->peers[idx].name;
	struct rt_next *n;
	bool held = false;

	if (idx >= g->live->n_peers || !g->live->peers[idx].ike.enabled) {
		sa_out_free(o);
		sa_in_free(in);
		return -1;
	}
	n = next_begin(g, f);
	if (n == NULL) {
		sa_out_free(o);
		sa_in_free(in);
		return -1;
	}
	n->in[idx] = in;
	if (old_spi_in != 0 && g->sa_inb[idx] != NULL && g->sa_inb[idx]->spi == old_spi_in) {
		/* make-before-break: the old SA decrypts until its DELETE */
		n->old_in[idx] = g->sa_inb[idx];
		n->old_in_expire[idx] = now_tsc() + rte_get_timer_hz() * RUNTIME_IKE_LINGER_S;
	}
	if (defer_out && g->sa_out[idx] != NULL && g->sa_out[idx]->spi == old_spi_out)
		held = true;
	else
		n->out[idx] = o;
	n->conf->peers[idx].cipher = in->alg;
	n->conf->peers[idx].spi_in = in->spi;
	if (!held)
		n->conf->peers[idx].spi_out = o->spi;
	if (next_commit(g, n, f) != 0) {
		/* the abort freed what n held (in, and o unless held back) */
		if (held)
			sa_out_free(o);
		return -1;
	}
	if (held) {
		sa_out_free(g->ike_pending_out[idx]);
		g->ike_pending_out[idx] = o;
	}
	fprintf(f, "pmdvpn: peer %s: CHILD_SA installed: spi-in 0x%08x spi-out 0x%08x%s\n", name,
		in->spi, o->spi, held ? " (outbound after the old SA's delete)" : "");
	fflush(f);
	return 0;
}

int runtime_ike_child_down(struct gateway *g, unsigned idx, uint32_t spi_in, uint32_t spi_out,
			   FILE *f)
{
	struct rt_next *n;
	struct sa_out *take = NULL;

	if (idx >= g->live->n_peers || !g->live->peers[idx].ike.enabled)
		return 0;
	if (g->old_in[idx] != NULL && g->old_in[idx]->spi == spi_in) {
		/* a rekey's old SA: its DELETE came */
		n = next_begin(g, f);
		if (n == NULL)
			return -1;
		n->old_in[idx] = NULL;
		if (g->ike_pending_out[idx] != NULL && g->sa_out[idx] != NULL &&
		    g->sa_out[idx]->spi == spi_out) {
			take = g->ike_pending_out[idx];
			n->out[idx] = take;
			n->conf->peers[idx].spi_out = take->spi;
		}
	} else if (g->sa_inb[idx] != NULL && g->sa_inb[idx]->spi == spi_in) {
		/* the peer's CHILD_SA itself: down until renegotiated */
		n = next_begin(g, f);
		if (n == NULL)
			return -1;
		n->in[idx] = NULL;
		n->out[idx] = NULL;
		n->old_in[idx] = NULL;
		n->conf->peers[idx].spi_in = n->conf->peers[idx].spi_out = 0;
	} else {
		return 0;       /* already gone (peer changed or removed) */
	}
	if (take != NULL)
		g->ike_pending_out[idx] = NULL;  /* n owns it now (installed or freed) */
	if (next_commit(g, n, f) != 0)
		return -1;
	fprintf(f, "pmdvpn: peer %s: CHILD_SA 0x%08x/0x%08x removed%s\n", g->live->peers[idx].name,
		spi_in, spi_out, take != NULL ? ", outbound switched to the new SA" : "");
	fflush(f);
	return 0;
}

/* ------------------------------------------------------- console hooks */

static int ctl_peer_add(void *arg, const char *name, const char *kv, FILE *f)
{
	return runtime_peer_add(arg, name, kv, f);
}

static int ctl_peer_del(void *arg, const char *name, FILE *f)
{
	return runtime_peer_del(arg, name, f);
}

static int ctl_peer_set(void *arg, const char *name, const char *key, const char *value, FILE *f)
{
	return runtime_peer_set(arg, name, key, value, f);
}

static int ctl_sa_rekey(void *arg, const char *name, const struct console_rekey *rk, FILE *f)
{
	return runtime_sa_rekey(arg, name, rk, f);
}

static int ctl_sa_retire(void *arg, const char *name, FILE *f)
{
	return runtime_sa_retire(arg, name, f);
}

static int ctl_reload(void *arg, FILE *f)
{
	return runtime_reload(arg, f);
}

static int ctl_ike_show(void *arg, const char *peer, FILE *f)
{
	return ike_gw_show(arg, peer, f);
}

static int ctl_ike_cmd(void *arg, const char *verb, const char *peer, FILE *f)
{
	return ike_gw_cmd(arg, verb, peer, f);
}

const struct console_ctl *runtime_ctl(struct gateway *g)
{
	static struct console_ctl ctl = {
		.peer_add = ctl_peer_add, .peer_del = ctl_peer_del, .peer_set = ctl_peer_set,
		.sa_rekey = ctl_sa_rekey, .sa_retire = ctl_sa_retire, .reload = ctl_reload,
		.ike_show = ctl_ike_show, .ike_cmd = ctl_ike_cmd,
	};

	ctl.arg = g;
	return &ctl;
}
