/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmdvpn's telemetry commands. Why a library of its own and not part of
 * the console: it is the JSON view of the same state (it reads through
 * console.h: console_env_acquire, console_sa_rows, console_lcore_rows,
 * console_exec), and keeping the rte_telemetry formatting out of the
 * console keeps the console usable without the telemetry library.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "console.h"
#include "telemetry.h"

char *telemetry_key(char *dst, size_t len, const char *name)
{
	size_t o = 0;

	if (len == 0)
		return dst;
	for (const char *s = name; *s != '\0' && o + 1 < len; s++) {
		char ch = *s == '-' ? '_' : *s;

		if (isalnum((unsigned char)ch) || ch == '_' || ch == '/')
			dst[o++] = ch;
	}
	dst[o] = '\0';
	return dst;
}

unsigned telemetry_split(const char *text, size_t n, size_t piece,
			 void (*fn)(const char *s, size_t len, void *arg), void *arg)
{
	unsigned count = 0;
	size_t off = 0;

	if (piece == 0)
		return 0;
	while (off < n) {
		size_t len = n - off < piece ? n - off : piece;
		const char *nl = memchr(text + off, '\n', len);

		if (nl != NULL)
			len = (size_t)(nl - (text + off)) + 1;
		fn(text + off, len, arg);
		off += len;
		count++;
	}
	return count;
}

/* ------------------------------------------------------------- helpers */

static int not_running(struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", "the gateway is not running");
	return 0;
}

/* A column of numbers, filled by the caller, added to d under name. */
static struct rte_tel_data *column_u64(void)
{
	struct rte_tel_data *col = rte_tel_data_alloc();

	if (col != NULL)
		rte_tel_data_start_array(col, RTE_TEL_U64_VAL);
	return col;
}

static struct rte_tel_data *column_str(void)
{
	struct rte_tel_data *col = rte_tel_data_alloc();

	if (col != NULL)
		rte_tel_data_start_array(col, RTE_TEL_STRING_VAL);
	return col;
}

static void add_column(struct rte_tel_data *d, const char *name, struct rte_tel_data *col)
{
	if (col != NULL && rte_tel_data_add_dict_container(d, name, col, 0) != 0)
		rte_tel_data_free(col);
}

static void add_u64(struct rte_tel_data *d, const char *prefix, const char *name, uint64_t v)
{
	char key[RTE_TEL_MAX_STRING_LEN], raw[RTE_TEL_MAX_STRING_LEN];

	snprintf(raw, sizeof(raw), "%s%s", prefix, name);
	rte_tel_data_add_dict_u64(d, telemetry_key(key, sizeof(key), raw), v);
}

static void add_str(struct rte_tel_data *d, const char *prefix, const char *name,
		    const char *v)
{
	char key[RTE_TEL_MAX_STRING_LEN], raw[RTE_TEL_MAX_STRING_LEN];

	snprintf(raw, sizeof(raw), "%s%s", prefix, name);
	rte_tel_data_add_dict_string(d, telemetry_key(key, sizeof(key), raw), v);
}

static uint64_t uptime_s(const struct console_env *e)
{
	uint64_t hz = rte_get_tsc_hz();

	return hz ? (rte_rdtsc() - e->start_tsc) / hz : 0;
}

/* The end of a handler that stats_begin() let run. */
static void stats_end(struct stats_lcore *sum)
{
	console_env_release();
	free(sum);
}

/*
 * The start of a handler that reads the counters: the env, held until
 * stats_end(), and *sum, every lcore's counters added up (on the heap: too big
 * for the telemetry thread's stack). NULL when the handler must stop at once,
 * with *rc its return: -ENOMEM, or 0 with d saying the gateway is not running.
 */
static const struct console_env *stats_begin(struct rte_tel_data *d, struct stats_lcore **sum,
					     int *rc)
{
	const struct console_env *e;

	*sum = malloc(sizeof(**sum));
	if (*sum == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	e = console_env_acquire();
	if (e == NULL) {
		stats_end(*sum);
		*rc = not_running(d);
		return NULL;
	}
	stats_sum(*sum);
	return e;
}

/* --------------------------------------------------------------- stats */

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const ports[] = { [WORKER_PORT_WAN] = "wan",
					     [WORKER_PORT_INSIDE] = "inside",
					     [WORKER_PORT_WAN_KERNEL] = "wan_kernel" };
	const struct console_env *e;
	struct stats_lcore *sum;
	int rc;

	(void)cmd;
	(void)params;
	e = stats_begin(d, &sum, &rc);
	if (e == NULL)
		return rc;
	rte_tel_data_start_dict(d);
	add_u64(d, "", "uptime_s", uptime_s(e));
	for (unsigned p = 0; p < RTE_DIM(ports); p++) {
		uint16_t id = p == WORKER_PORT_WAN ? e->wan_port :
			      p == WORKER_PORT_INSIDE ? e->inside_port : RTE_MAX_ETHPORTS;
		char pre[32];
		struct rte_eth_stats es;

		snprintf(pre, sizeof(pre), "%s/", ports[p]);
		add_u64(d, pre, "rx_pkts", sum->port[p].rx_pkts);
		add_u64(d, pre, "rx_bytes", sum->port[p].rx_bytes);
		add_u64(d, pre, "tx_pkts", sum->port[p].tx_pkts);
		add_u64(d, pre, "tx_bytes", sum->port[p].tx_bytes);
		if (rte_eth_dev_is_valid_port(id) && rte_eth_stats_get(id, &es) == 0) {
			add_u64(d, pre, "rx_missed", es.imissed);
			add_u64(d, pre, "rx_nombuf", es.rx_nombuf);
			add_u64(d, pre, "rx_errors", es.ierrors);
			add_u64(d, pre, "tx_errors", es.oerrors);
		}
	}
	for (unsigned i = 1; i < STATS_DROP_MAX; i++)
		add_u64(d, "drop/", stats_drop_name(i), sum->drop[i]);
	for (unsigned i = 0; i < STATS_EV_MAX; i++)
		add_u64(d, "event/", stats_event_name(i), sum->event[i]);
	stats_end(sum);
	return 0;
}

/* --------------------------------------------------------------- peers */

static int tel_peer_one(const struct console_env *e, const struct stats_lcore *sum,
			const char *name, struct rte_tel_data *d)
{
	const struct conf_peer *p = conf_peer_find(e->conf, name);
	const struct stats_peer *sp;
	char buf[64], subnets[RTE_TEL_MAX_STRING_LEN] = "";
	const uint8_t *ip;
	unsigned i;

	rte_tel_data_start_dict(d);
	if (p == NULL) {
		rte_tel_data_add_dict_string(d, "error", "no such peer");
		return 0;
	}
	i = (unsigned)(p - e->conf->peers);
	sp = &sum->peer[i];
	ip = (const uint8_t *)&p->endpoint_ip;
	rte_tel_data_add_dict_string(d, "name", p->name);
	snprintf(buf, sizeof(buf), "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3], p->endpoint_port);
	rte_tel_data_add_dict_string(d, "endpoint", buf);
	rte_tel_data_add_dict_string(d, "cipher", aead_alg_name(p->cipher));
	rte_tel_data_add_dict_u64(d, "spi_out", p->spi_out);
	rte_tel_data_add_dict_u64(d, "spi_in", p->spi_in);
	for (unsigned s = 0; s < p->n_subnets; s++) {
		size_t o = strlen(subnets);

		snprintf(subnets + o, sizeof(subnets) - o, "%s%s", s ? "," : "",
			 conf_prefix_str(&p->subnets[s], buf, sizeof(buf)));
	}
	rte_tel_data_add_dict_string(d, "subnets", subnets);
	rte_tel_data_add_dict_u64(d, "tx_pkts", sp->tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_bytes", sp->tx_bytes);
	rte_tel_data_add_dict_u64(d, "rx_pkts", sp->rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", sp->rx_bytes);
	for (unsigned c = 1; c < STATS_DROP_MAX; c++)
		add_u64(d, "drop/", stats_drop_name(c), sp->drop[c]);
	return 0;
}

static int tel_peers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *name, *endpoint, *cipher, *spi_out, *spi_in, *tx_pkts, *tx_bytes,
		*rx_pkts, *rx_bytes, *drops;
	const struct console_env *e;
	struct stats_lcore *sum;
	int rc;

	(void)cmd;
	e = stats_begin(d, &sum, &rc);
	if (e == NULL)
		return rc;
	if (params != NULL && *params != '\0') {
		tel_peer_one(e, sum, params, d);
		goto out;
	}
	rte_tel_data_start_dict(d);
	name = column_str(); endpoint = column_str(); cipher = column_str();
	spi_out = column_u64(); spi_in = column_u64();
	tx_pkts = column_u64(); tx_bytes = column_u64();
	rx_pkts = column_u64(); rx_bytes = column_u64(); drops = column_u64();
	for (unsigned i = 0; i < e->conf->n_peers && i < STATS_MAX_PEERS; i++) {
		const struct conf_peer *p = &e->conf->peers[i];
		const struct stats_peer *sp = &sum->peer[i];
		const uint8_t *ip = (const uint8_t *)&p->endpoint_ip;
		uint64_t nd = 0;
		char buf[64];

		if (p->name[0] == '\0')
			continue;       /* a free index (a deleted peer) */
		for (unsigned c = 1; c < STATS_DROP_MAX; c++)
			nd += sp->drop[c];
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3],
			 p->endpoint_port);
		if (name) rte_tel_data_add_array_string(name, p->name);
		if (endpoint) rte_tel_data_add_array_string(endpoint, buf);
		/* an IKEv2 peer has a cipher once its CHILD_SA is up */
		if (cipher) rte_tel_data_add_array_string(cipher, p->ike.enabled && p->spi_out == 0 ?
							  "none" : aead_alg_name(p->cipher));
		if (spi_out) rte_tel_data_add_array_u64(spi_out, p->spi_out);
		if (spi_in) rte_tel_data_add_array_u64(spi_in, p->spi_in);
		if (tx_pkts) rte_tel_data_add_array_u64(tx_pkts, sp->tx_pkts);
		if (tx_bytes) rte_tel_data_add_array_u64(tx_bytes, sp->tx_bytes);
		if (rx_pkts) rte_tel_data_add_array_u64(rx_pkts, sp->rx_pkts);
		if (rx_bytes) rte_tel_data_add_array_u64(rx_bytes, sp->rx_bytes);
		if (drops) rte_tel_data_add_array_u64(drops, nd);
	}
	add_column(d, "name", name);
	add_column(d, "endpoint", endpoint);
	add_column(d, "cipher", cipher);
	add_column(d, "spi_out", spi_out);
	add_column(d, "spi_in", spi_in);
	add_column(d, "tx_pkts", tx_pkts);
	add_column(d, "tx_bytes", tx_bytes);
	add_column(d, "rx_pkts", rx_pkts);
	add_column(d, "rx_bytes", rx_bytes);
	add_column(d, "drops", drops);
out:
	stats_end(sum);
	return 0;
}

/* ------------------------------------------------------------------ sa */

static int tel_sa(const char *cmd, const char *params, struct rte_tel_data *d)
{
	enum { PEER, DIR, CIPHER, N_STR };
	enum { SPI, ESN, SEQ, SEQ_LIMIT, SEQ_LEFT, WINDOW, TOP, PKTS, BYTES, ERRORS, N_U64 };
	static const char *const str_names[N_STR] = { "peer", "dir", "cipher" };
	static const char *const u64_names[N_U64] = {
		"spi", "esn", "seq", "seq_limit", "seq_left", "replay_window", "replay_top",
		"pkts", "bytes", "errors",
	};
	struct rte_tel_data *s[N_STR], *u[N_U64];
	const struct console_env *e;
	struct console_sa_row *rows;
	struct stats_lcore *sum;
	int rc;
	bool want_out = true, want_in = true;
	unsigned n;

	(void)cmd;
	if (params != NULL && strcmp(params, "in") == 0)
		want_out = false;
	else if (params != NULL && strcmp(params, "out") == 0)
		want_in = false;
	else if (params != NULL && *params != '\0')
		return -EINVAL;
	rows = calloc(2 * CONF_MAX_PEERS, sizeof(*rows));
	if (rows == NULL)
		return -ENOMEM;
	e = stats_begin(d, &sum, &rc);
	if (e == NULL) {
		free(rows);
		return rc;
	}
	n = console_sa_rows(e, sum, want_out, want_in, rows, 2 * CONF_MAX_PEERS);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "age_s", uptime_s(e));
	for (unsigned k = 0; k < N_STR; k++)
		s[k] = column_str();
	for (unsigned k = 0; k < N_U64; k++)
		u[k] = column_u64();
	for (unsigned i = 0; i < n; i++) {
		const struct console_sa_row *r = &rows[i];
		const char *sv[N_STR] = { r->peer, r->out ? "out" : "in", aead_alg_name(r->alg) };
		uint64_t uv[N_U64] = { r->spi, r->esn, r->seq, r->seq_limit, r->seq_left, r->window,
				       r->top, r->pkts, r->bytes, r->errors };

		for (unsigned k = 0; k < N_STR; k++)
			if (s[k] != NULL)
				rte_tel_data_add_array_string(s[k], sv[k]);
		for (unsigned k = 0; k < N_U64; k++)
			if (u[k] != NULL)
				rte_tel_data_add_array_u64(u[k], uv[k]);
	}
	for (unsigned k = 0; k < N_STR; k++)
		add_column(d, str_names[k], s[k]);
	for (unsigned k = 0; k < N_U64; k++)
		add_column(d, u64_names[k], u[k]);
	stats_end(sum);
	free(rows);
	return 0;
}

/* --------------------------------------------------------------- drops */

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct console_env *e;
	struct stats_lcore *sum;
	int rc;
	struct rte_tel_data *names;

	(void)cmd;
	(void)params;
	e = stats_begin(d, &sum, &rc);
	if (e == NULL)
		return rc;
	rte_tel_data_start_dict(d);
	for (unsigned c = 1; c < STATS_DROP_MAX; c++)
		add_u64(d, "drop/", stats_drop_name(c), sum->drop[c]);
	for (unsigned c = 1; c < STATS_DROP_MAX; c++)
		add_str(d, "help/", stats_drop_name(c), stats_drop_help(c));
	names = column_str();
	for (unsigned i = 0; names != NULL && i < e->conf->n_peers && i < STATS_MAX_PEERS; i++)
		if (e->conf->peers[i].name[0] != '\0')  /* free indexes: deleted peers */
			rte_tel_data_add_array_string(names, e->conf->peers[i].name);
	add_column(d, "peers", names);
	for (unsigned c = 1; c < STATS_DROP_MAX; c++) {
		struct rte_tel_data *col = column_u64();
		char key[RTE_TEL_MAX_STRING_LEN], raw[64];

		for (unsigned i = 0; col != NULL && i < e->conf->n_peers && i < STATS_MAX_PEERS; i++)
			if (e->conf->peers[i].name[0] != '\0')
				rte_tel_data_add_array_u64(col, sum->peer[i].drop[c]);
		snprintf(raw, sizeof(raw), "peer/%s", stats_drop_name(c));
		add_column(d, telemetry_key(key, sizeof(key), raw), col);
	}
	stats_end(sum);
	return 0;
}

/* -------------------------------------------------------------- lcores */

static int tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	enum { LCORE, BUSY, IDLE, POLLS, BUSY_POLLS, RX, BUSY_PCT, ST_POLLS, ST_RX, ST_CLASSIFY,
	       ST_CRYPTO, ST_TX, N_U64 };
	static const char *const u64_names[N_U64] = {
		"lcore", "busy_cycles", "idle_cycles", "polls", "busy_polls", "rx_pkts", "busy_pct",
		"stage_polls", "stage_rx_cycles", "stage_classify_cycles", "stage_crypto_cycles",
		"stage_tx_cycles",
	};
	struct console_lcore_row rows[64];
	struct rte_tel_data *u[N_U64], *role;
	const struct console_env *e;
	unsigned n;

	(void)cmd;
	(void)params;
	e = console_env_acquire();
	if (e == NULL) {
		not_running(d);
		console_env_release();
		return 0;
	}
	n = console_lcore_rows(e, rows, RTE_DIM(rows));
	console_env_release();
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	role = column_str();
	for (unsigned k = 0; k < N_U64; k++)
		u[k] = column_u64();
	for (unsigned i = 0; i < n; i++) {
		const struct console_lcore_row *r = &rows[i];
		uint64_t v[N_U64] = { r->lcore, r->busy_cycles, r->idle_cycles, r->polls,
				      r->busy_polls, r->rx_pkts, (uint64_t)(r->busy_pct + 0.5),
				      r->stage_polls, r->stage_cycles[STATS_STAGE_RX],
				      r->stage_cycles[STATS_STAGE_CLASSIFY],
				      r->stage_cycles[STATS_STAGE_CRYPTO],
				      r->stage_cycles[STATS_STAGE_TX] };

		if (role != NULL)
			rte_tel_data_add_array_string(role, r->role);
		for (unsigned k = 0; k < N_U64; k++)
			if (u[k] != NULL)
				rte_tel_data_add_array_u64(u[k], v[k]);
	}
	add_column(d, "role", role);
	for (unsigned k = 0; k < N_U64; k++)
		add_column(d, u64_names[k], u[k]);
	return 0;
}

/* ------------------------------------------------------------- console */

/* What is left of the last /pmdvpn/cmd output, per telemetry connection
 * (DPDK serves each connection on its own thread). */
struct cmd_rest {
	char *text;
	size_t len, off;
};

static pthread_key_t rest_key;
static pthread_once_t rest_once = PTHREAD_ONCE_INIT;

static void rest_free(void *p)
{
	struct cmd_rest *r = p;

	if (r != NULL)
		free(r->text);
	free(r);
}

static void rest_init(void)
{
	pthread_key_create(&rest_key, rest_free);
}

static void add_piece(const char *s, size_t len, void *arg)
{
	char buf[TELEMETRY_CMD_PIECE + 1];

	memcpy(buf, s, len);
	buf[len] = '\0';
	rte_tel_data_add_array_string(arg, buf);
}

/* Returns the next chunk of the connection's pending output in d. */
static int send_chunk(struct cmd_rest *r, int rc, struct rte_tel_data *d)
{
	struct rte_tel_data *out = column_str();
	size_t len = r->len - r->off;

	if (out == NULL)
		return -ENOMEM;
	if (len > TELEMETRY_CMD_CHUNK) {
		/* Cut after the last newline in the chunk, when there is one. */
		const char *s = r->text + r->off;
		size_t cut = TELEMETRY_CMD_CHUNK;

		while (cut > 0 && s[cut - 1] != '\n')
			cut--;
		len = cut ? cut : TELEMETRY_CMD_CHUNK;
	}
	telemetry_split(r->text + r->off, len, TELEMETRY_CMD_PIECE, add_piece, out);
	r->off += len;
	rte_tel_data_start_dict(d);
	add_column(d, "output", out);
	rte_tel_data_add_dict_u64(d, "more", r->off < r->len);
	rte_tel_data_add_dict_int(d, "rc", rc);
	if (r->off >= r->len) {
		free(r->text);
		r->text = NULL;
		r->len = r->off = 0;
	}
	return 0;
}

static struct cmd_rest *rest_get(void)
{
	struct cmd_rest *r;

	pthread_once(&rest_once, rest_init);
	r = pthread_getspecific(rest_key);
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r != NULL && pthread_setspecific(rest_key, r) != 0) {
			free(r);
			r = NULL;
		}
	}
	return r;
}

static int tel_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cmd_rest *r = rest_get();
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	(void)cmd;
	if (r == NULL)
		return -ENOMEM;
	f = open_memstream(&text, &len);
	if (f == NULL)
		return -ENOMEM;
	rc = console_exec(params != NULL ? params : "", f);
	fclose(f);
	free(r->text);
	r->text = text;
	r->len = len;
	r->off = 0;
	return send_chunk(r, rc, d);
}

static int tel_more(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cmd_rest *r = rest_get();

	(void)cmd;
	(void)params;
	if (r == NULL)
		return -ENOMEM;
	if (r->text == NULL) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_container(d, "output", column_str(), 0);
		rte_tel_data_add_dict_u64(d, "more", 0);
		rte_tel_data_add_dict_int(d, "rc", 0);
		return 0;
	}
	return send_chunk(r, 0, d);
}

/* /pmdvpn/ike[,PEER]: `show ike` as a dict: per IKEv2 peer its name,
 * state, role, suite and SPIs, and its CHILD_SAs; "summary": IKE counters;
 * a message for an unknown peer under "error". */
static int tel_ike(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char line[CONSOLE_LINE_MAX + 1], *text = NULL, *save = NULL, *l;
	unsigned n_peer = 0;
	size_t len = 0;
	FILE *f;
	int rc;

	(void)cmd;
	if (params != NULL && strlen(params) > 64)
		return -EINVAL;
	snprintf(line, sizeof(line), "show ike%s%s", params != NULL && *params ? " " : "",
		 params != NULL ? params : "");
	f = open_memstream(&text, &len);
	if (f == NULL)
		return -ENOMEM;
	rc = console_exec(line, f);
	fclose(f);
	rte_tel_data_start_dict(d);
	for (l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		char name[CONF_NAME_MAX];
		const char *rest;

		if (strncmp(l, "ike: ", 5) == 0) {
			rte_tel_data_add_dict_string(d, "summary", l + 5);
			continue;
		}
		if (strncmp(l, "no IKEv2 peer", 13) == 0 || strncmp(l, "IKEv2 is not", 12) == 0 ||
		    rc != CONSOLE_OK) {
			rte_tel_data_add_dict_string(d, "error", l);
			continue;
		}
		rest = l + strcspn(l, " ");
		snprintf(name, sizeof(name), "%.*s", (int)RTE_MIN((size_t)(rest - l),
							      sizeof(name) - 1), l);
		rest += strspn(rest, " ");
		/* peer N: peerN_name, its IKE SA as peerN, each CHILD_SA as
		 * peerN_childM (dict keys cannot hold every peer name's
		 * characters; strings are at most RTE_TEL_MAX_STRING_LEN) */
		char part[RTE_TEL_MAX_STRING_LEN], key[32];
		unsigned k = 0;

		snprintf(key, sizeof(key), "peer%u_name", n_peer);
		rte_tel_data_add_dict_string(d, key, name);

		while (*rest != '\0') {
			const char *c = strstr(rest + 1, " child ");
			size_t n = c != NULL ? (size_t)(c - rest) : strlen(rest);

			snprintf(part, sizeof(part), "%.*s", (int)RTE_MIN(n, sizeof(part) - 1), rest);
			if (k == 0)
				snprintf(key, sizeof(key), "peer%u", n_peer);
			else
				snprintf(key, sizeof(key), "peer%u_child%u", n_peer, k - 1);
			rte_tel_data_add_dict_string(d, key, part);
			rest = c != NULL ? c + 7 : rest + n;
			k++;
		}
		n_peer++;
	}
	free(text);
	rte_tel_data_add_dict_int(d, "rc", rc);
	return 0;
}

int telemetry_register(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/pmdvpn/stats", tel_stats, "pmdvpn port, drop and event totals. No parameters" },
		{ "/pmdvpn/peers", tel_peers, "pmdvpn peers as columns. Parameter: a peer name "
		  "for one peer" },
		{ "/pmdvpn/sa", tel_sa, "pmdvpn SAs as columns (never keys). Parameter: in or out" },
		{ "/pmdvpn/drops", tel_drops, "pmdvpn drops per cause and per peer. No parameters" },
		{ "/pmdvpn/lcores", tel_lcores, "pmdvpn lcores: busy/idle cycles, polls. No parameters" },
		{ "/pmdvpn/cmd", tel_cmd, "Runs a pmdvpn console command. Parameter: the command, "
		  "e.g. /pmdvpn/cmd,show sa. Output in pieces; more=1: ask /pmdvpn/more" },
		{ "/pmdvpn/ike", tel_ike, "pmdvpn IKEv2 peers (show ike): one string per peer and "
		  "a summary. Parameter: a peer name for one peer" },
		{ "/pmdvpn/more", tel_more, "The rest of the last /pmdvpn/cmd output. No parameters" },
	};

	for (unsigned i = 0; i < RTE_DIM(cmds); i++) {
		int rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);

		if (rc != 0)
			return rc;
	}
	return 0;
}
