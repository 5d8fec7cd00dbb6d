/* SPDX-License-Identifier: BSD-3-Clause */
/* Command line of pmdvpn-perf (the part after "--"). Every value is checked
 * here, before the EAL starts, so a typo costs nothing and exits 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "perf.h"

enum {
	OPT_MODE = 256, OPT_PORT, OPT_TX_PORT, OPT_RX_PORT, OPT_REFLECT_PORT,
	OPT_SRC_MAC, OPT_DST_MAC, OPT_SRC_IP, OPT_DST_IP, OPT_SRC_PORT, OPT_DST_PORT,
	OPT_FLOWS, OPT_SIZE, OPT_IMIX, OPT_IMIX_SIZES, OPT_RATE, OPT_DURATION,
	OPT_DRAIN, OPT_LINK_TIMEOUT, OPT_BURST, OPT_SEARCH, OPT_LOSS_TOL,
	OPT_TRIAL, OPT_PRECISION, OPT_MAX_TRIALS, OPT_JSON, OPT_QUIET, OPT_CIPHER,
	OPT_IMPL, OPT_WARMUP, OPT_PAIRED, OPT_QUEUES, OPT_REPLAY,
};

static const struct option longopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "tx-port", required_argument, NULL, OPT_TX_PORT },
	{ "rx-port", required_argument, NULL, OPT_RX_PORT },
	{ "reflect-port", required_argument, NULL, OPT_REFLECT_PORT },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "src-ip", required_argument, NULL, OPT_SRC_IP },
	{ "dst-ip", required_argument, NULL, OPT_DST_IP },
	{ "src-port", required_argument, NULL, OPT_SRC_PORT },
	{ "dst-port", required_argument, NULL, OPT_DST_PORT },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "paired-ips", no_argument, NULL, OPT_PAIRED },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "imix", no_argument, NULL, OPT_IMIX },
	{ "imix-sizes", required_argument, NULL, OPT_IMIX_SIZES },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "drain-ms", required_argument, NULL, OPT_DRAIN },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "link-timeout", required_argument, NULL, OPT_LINK_TIMEOUT },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "search", no_argument, NULL, OPT_SEARCH },
	{ "loss-tolerance", required_argument, NULL, OPT_LOSS_TOL },
	{ "trial-duration", required_argument, NULL, OPT_TRIAL },
	{ "search-precision", required_argument, NULL, OPT_PRECISION },
	{ "search-max-trials", required_argument, NULL, OPT_MAX_TRIALS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "cipher", required_argument, NULL, OPT_CIPHER },
	{ "impl", required_argument, NULL, OPT_IMPL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void perf_args_usage(FILE *f, const char *prog)
{
	fprintf(f,
"usage: %s [EAL options] -- [options]\n"
"A traffic generator and sink for pmdvpn (Ethernet/IPv4/UDP).\n"
"Ports: --vdev in the EAL options, or --port DEVARGS (probed here).\n"
"Modes:\n"
"  --mode gen           (default) send on the tx port, count on the rx port\n"
"  --mode reflect       send back all that arrives on the port, with Ethernet,\n"
"                       IPv4 and UDP source/destination swapped\n"
"  --mode crypto        the AEAD limit: lib/crypto on in-memory bursts, no ports\n"
"Ports:\n"
"  --port DEVARGS       create a port (repeatable, up to %u)\n"
"  --tx-port ID|NAME    transmit port (default: the first port)\n"
"  --rx-port ID|NAME    receive port (default: the second port, else the first)\n"
"  --reflect-port DEVARGS  gen mode: also reflect on this port (same lcore)\n"
"  --link-timeout S     wait at most S seconds for links up (default 10)\n"
"  --queues N           queue pairs per port, 1..%u (default 1): flow f is sent\n"
"                       on queue f %% N, every queue is polled, a reflected frame\n"
"                       goes back on the queue it came in on (for a gateway\n"
"                       with N workers on memif: give both sides N queues)\n"
"Traffic:\n"
"  --src-mac MAC[-MAC] --dst-mac MAC[-MAC]   (02:00:00:00:00:01, ..:02)\n"
"  --src-ip IP[-IP] --dst-ip IP[-IP]         (198.18.0.1, 198.18.0.2)\n"
"  --src-port N --dst-port N                 UDP ports (1024, 9000)\n"
"  --flows N            flows 1..%u: each has its own UDP source port (and\n"
"                       cycles through the IP/MAC ranges), so RSS spreads them\n"
"  --paired-ips         flow f uses the f-th source and the f-th destination\n"
"                       address (default: every combination)\n"
"  --size N             frame bytes without CRC, %u..%u (default 64)\n"
"  --imix               7:4:1 of 64/594/1518-byte frames\n"
"  --imix-sizes A,B,C   other IMIX sizes (e.g. 64,594,1420 to fit a tunnel)\n"
"  --rate PPS|line      packets per second (k/M/G suffixes), or line (default)\n"
"  --duration S         seconds to send (default 10; 0 = until SIGINT;\n"
"                       reflect mode runs until a signal by default)\n"
"  --drain-ms MS        wait this long for packets in flight (default 200)\n"
"  --warmup S           first send 1000 pps for S seconds, not counted (lets\n"
"                       a gateway on the other side start and learn; default 0)\n"
"  --burst N            packets per burst, 1..%u (default 32)\n"
"Decrypt only (gen mode, with --reflect-port on a gateway's WAN port):\n"
"  --replay N           first send clear frames until N ESP frames have arrived\n"
"                       on the reflect port (kept, not reflected; at most %u),\n"
"                       then send those N frames, swapped as a reflector would,\n"
"                       over and over at --rate for --duration, and count the\n"
"                       clear frames that come back on the rx port. The\n"
"                       gateway's SA needs replay-window = 0 (test only).\n"
"                       No latency (the stamps are old); --queues 1 only\n"
"RFC 2544 search (gen mode):\n"
"  --search             binary search for the highest rate with loss <= tolerance\n"
"                       (upper bound: --rate, or what line rate achieves)\n"
"  --loss-tolerance PCT (default 0)   --trial-duration S (default 2)\n"
"  --search-precision PCT  stop when the interval is this %% of the bound (1)\n"
"  --search-max-trials N   (default 16)\n"
"Crypto mode:\n"
"  --cipher aes-128-gcm|aes-256-gcm|chacha20-poly1305   --impl ipsec-mb|openssl\n"
"  (--size or --imix give the buffer sizes; bursts of 32)\n"
"Output:\n"
"  --json               one JSON object with every number at the end\n"
"  --quiet              no progress line per second\n"
"Gbit/s are L2: frame bytes (without CRC, preamble and gap) x 8 per second.\n"
"Latency comes from a TSC stamp in each payload (same host only).\n"
"Exit status: 0 done, 1 run-time failure, 2 bad options.\n",
		prog, PERF_MAX_PORTS, PERF_MAX_QUEUES, PERF_MAX_FLOWS, PERF_MIN_FRAME, PERF_MAX_FRAME,
		PERF_MAX_BURST, PERF_MAX_REPLAY);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

static int parse_double(const char *s, double lo, double hi, double *v)
{
	char *end;
	double x;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	x = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(x) || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

int perf_parse_rate(const char *s, uint64_t *pps)
{
	char buf[32], *end;
	double x, mult = 1;
	size_t n;

	if (s == NULL)
		return -1;
	if (strcmp(s, "line") == 0) {
		*pps = 0;
		return 0;
	}
	n = strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 'k': case 'K': mult = 1e3; break;
	case 'm': case 'M': mult = 1e6; break;
	case 'g': case 'G': mult = 1e9; break;
	default: break;
	}
	if (mult != 1)
		buf[--n] = '\0';
	if (n == 0 || buf[0] == '-' || buf[0] == '+')
		return -1;
	errno = 0;
	x = strtod(buf, &end);
	if (errno != 0 || *end != '\0' || !isfinite(x))
		return -1;
	x *= mult;
	if (x < 1 || x > 1e10)
		return -1;
	*pps = (uint64_t)(x + 0.5);
	return 0;
}

static int parse_ip(const char *s, uint64_t *v)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*v = ntohl(a.s_addr);
	return 0;
}

static int parse_mac(const char *s, uint64_t *v)
{
	unsigned b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -1;
	*v = 0;
	for (int i = 0; i < 6; i++)
		*v = (*v << 8) | b[i];
	return 0;
}

/* "A" or "A-B" with B >= A, at most 2^32 - 1 values. */
static int parse_range(const char *s, struct perf_range *r, int (*one)(const char *, uint64_t *))
{
	char buf[64];
	const char *dash = strchr(s, '-');
	uint64_t a, b;

	if (strlen(s) >= sizeof(buf))
		return -1;
	if (dash == NULL) {
		if (one(s, &a) != 0)
			return -1;
		r->start = a;
		r->count = 1;
		return 0;
	}
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (one(buf, &a) != 0 || one(dash + 1, &b) != 0 || b < a || b - a >= UINT32_MAX)
		return -1;
	r->start = a;
	r->count = (uint32_t)(b - a + 1);
	return 0;
}

int perf_parse_ip_range(const char *s, struct perf_range *r)
{
	return s == NULL ? -1 : parse_range(s, r, parse_ip);
}

int perf_parse_mac_range(const char *s, struct perf_range *r)
{
	return s == NULL ? -1 : parse_range(s, r, parse_mac);
}

static void defaults(struct perf_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = PERF_MODE_GEN;
	o->src_mac = (struct perf_range){ 0x020000000001ull, 1 };
	o->dst_mac = (struct perf_range){ 0x020000000002ull, 1 };
	o->src_ip = (struct perf_range){ 0xc6120001u, 1 }; /* 198.18.0.1 */
	o->dst_ip = (struct perf_range){ 0xc6120002u, 1 }; /* 198.18.0.2 */
	o->src_port = 1024;
	o->dst_port = 9000;
	o->flows = 1;
	o->queues = 1;
	o->size = 64;
	o->imix_sizes[0] = 64;
	o->imix_sizes[1] = 594;
	o->imix_sizes[2] = 1518;
	o->duration_s = -1; /* not given: the mode decides */
	o->drain_ms = 200;
	o->link_timeout_s = 10;
	o->burst = 32;
	o->trial_duration_s = 2;
	o->search_precision_pct = 1;
	o->search_max_trials = 16;
	o->cipher = AEAD_AES128_GCM;
	o->impl = AEAD_IMPL_IMB;
}

static int parse_imix_sizes(const char *s, uint16_t out[3])
{
	char buf[64], *tok, *save = NULL;
	unsigned i = 0;
	uint64_t v;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (i == 3 || parse_u64(tok, PERF_MIN_FRAME, PERF_MAX_FRAME, &v) != 0)
			return -1;
		out[i++] = (uint16_t)v;
	}
	return i == 3 ? 0 : -1;
}

static int copy_str(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= cap)
		return -1;
	memcpy(dst, s, n + 1);
	return 0;
}

/* One option; -1 with err set when its value is bad. */
static int one_opt(struct perf_opts *o, int opt, const char *arg, const char *name,
		   char *err, size_t errlen)
{
	uint64_t v;

	switch (opt) {
	case OPT_MODE:
		if (strcmp(arg, "gen") == 0)
			o->mode = PERF_MODE_GEN;
		else if (strcmp(arg, "reflect") == 0)
			o->mode = PERF_MODE_REFLECT;
		else if (strcmp(arg, "crypto") == 0)
			o->mode = PERF_MODE_CRYPTO;
		else
			return fail(err, errlen, "--mode: '%s' is not gen, reflect or crypto", arg);
		return 0;
	case OPT_PORT:
		if (o->n_ports == PERF_MAX_PORTS)
			return fail(err, errlen, "--port: at most %u ports", PERF_MAX_PORTS);
		if (copy_str(o->ports[o->n_ports], PERF_DEVARGS_MAX, arg) != 0)
			return fail(err, errlen, "--port: bad device arguments '%s'", arg);
		o->n_ports++;
		return 0;
	case OPT_TX_PORT:
		if (copy_str(o->tx_port, sizeof(o->tx_port), arg) != 0)
			return fail(err, errlen, "--tx-port: bad port '%s'", arg);
		return 0;
	case OPT_RX_PORT:
		if (copy_str(o->rx_port, sizeof(o->rx_port), arg) != 0)
			return fail(err, errlen, "--rx-port: bad port '%s'", arg);
		return 0;
	case OPT_REFLECT_PORT:
		if (copy_str(o->reflect_port, sizeof(o->reflect_port), arg) != 0)
			return fail(err, errlen, "--reflect-port: bad device arguments '%s'", arg);
		return 0;
	case OPT_SRC_MAC:
	case OPT_DST_MAC:
		if (perf_parse_mac_range(arg, opt == OPT_SRC_MAC ? &o->src_mac : &o->dst_mac) != 0)
			return fail(err, errlen, "--%s: '%s' is not a MAC address or range "
				    "(02:00:00:00:00:01[-02:00:00:00:00:09])", name, arg);
		return 0;
	case OPT_SRC_IP:
	case OPT_DST_IP:
		if (perf_parse_ip_range(arg, opt == OPT_SRC_IP ? &o->src_ip : &o->dst_ip) != 0)
			return fail(err, errlen, "--%s: '%s' is not an IPv4 address or range "
				    "(198.18.0.1[-198.18.0.9])", name, arg);
		return 0;
	case OPT_SRC_PORT:
	case OPT_DST_PORT:
		if (parse_u64(arg, 1, 65535, &v) != 0)
			return fail(err, errlen, "--%s: '%s' is not a UDP port 1..65535", name, arg);
		if (opt == OPT_SRC_PORT)
			o->src_port = (uint16_t)v;
		else
			o->dst_port = (uint16_t)v;
		return 0;
	case OPT_FLOWS:
		if (parse_u64(arg, 1, PERF_MAX_FLOWS, &v) != 0)
			return fail(err, errlen, "--flows: '%s' is not 1..%u", arg, PERF_MAX_FLOWS);
		o->flows = (uint32_t)v;
		return 0;
	case OPT_PAIRED:
		o->paired_ips = true;
		return 0;
	case OPT_QUEUES:
		if (parse_u64(arg, 1, PERF_MAX_QUEUES, &v) != 0)
			return fail(err, errlen, "--queues: '%s' is not 1..%u", arg, PERF_MAX_QUEUES);
		o->queues = (uint16_t)v;
		return 0;
	case OPT_REPLAY:
		if (parse_u64(arg, 1, PERF_MAX_REPLAY, &v) != 0)
			return fail(err, errlen, "--replay: '%s' is not 1..%u frames", arg,
				    PERF_MAX_REPLAY);
		o->replay = (uint32_t)v;
		return 0;
	case OPT_SIZE:
		if (parse_u64(arg, PERF_MIN_FRAME, PERF_MAX_FRAME, &v) != 0)
			return fail(err, errlen, "--size: '%s' is not a frame size %u..%u (bytes "
				    "without CRC)", arg, PERF_MIN_FRAME, PERF_MAX_FRAME);
		o->size = (uint16_t)v;
		return 0;
	case OPT_IMIX:
		o->imix = true;
		return 0;
	case OPT_IMIX_SIZES:
		if (parse_imix_sizes(arg, o->imix_sizes) != 0)
			return fail(err, errlen, "--imix-sizes: '%s' is not three sizes %u..%u "
				    "(e.g. 64,594,1420)", arg, PERF_MIN_FRAME, PERF_MAX_FRAME);
		o->imix = true;
		return 0;
	case OPT_RATE:
		if (perf_parse_rate(arg, &o->rate_pps) != 0)
			return fail(err, errlen, "--rate: '%s' is not 'line' or a packet rate "
				    "1..10G (e.g. 250000, 2.5M)", arg);
		return 0;
	case OPT_DURATION:
		if (parse_double(arg, 0, 1e6, &o->duration_s) != 0)
			return fail(err, errlen, "--duration: '%s' is not 0..1000000 seconds", arg);
		return 0;
	case OPT_DRAIN:
		if (parse_double(arg, 0, 60000, &o->drain_ms) != 0)
			return fail(err, errlen, "--drain-ms: '%s' is not 0..60000", arg);
		return 0;
	case OPT_WARMUP:
		if (parse_double(arg, 0, 3600, &o->warmup_s) != 0)
			return fail(err, errlen, "--warmup: '%s' is not 0..3600 seconds", arg);
		return 0;
	case OPT_LINK_TIMEOUT:
		if (parse_double(arg, 0, 3600, &o->link_timeout_s) != 0)
			return fail(err, errlen, "--link-timeout: '%s' is not 0..3600 seconds", arg);
		return 0;
	case OPT_BURST:
		if (parse_u64(arg, 1, PERF_MAX_BURST, &v) != 0)
			return fail(err, errlen, "--burst: '%s' is not 1..%u", arg, PERF_MAX_BURST);
		o->burst = (unsigned)v;
		return 0;
	case OPT_SEARCH:
		o->search = true;
		return 0;
	case OPT_LOSS_TOL:
		if (parse_double(arg, 0, 100, &o->loss_tolerance_pct) != 0)
			return fail(err, errlen, "--loss-tolerance: '%s' is not 0..100 (percent)", arg);
		return 0;
	case OPT_TRIAL:
		if (parse_double(arg, 0.1, 3600, &o->trial_duration_s) != 0)
			return fail(err, errlen, "--trial-duration: '%s' is not 0.1..3600 seconds", arg);
		return 0;
	case OPT_PRECISION:
		if (parse_double(arg, 0.01, 50, &o->search_precision_pct) != 0)
			return fail(err, errlen, "--search-precision: '%s' is not 0.01..50 (percent)", arg);
		return 0;
	case OPT_MAX_TRIALS:
		if (parse_u64(arg, 1, 100, &v) != 0)
			return fail(err, errlen, "--search-max-trials: '%s' is not 1..100", arg);
		o->search_max_trials = (unsigned)v;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_QUIET:
		o->quiet = true;
		return 0;
	case OPT_CIPHER:
		if (aead_alg_parse(arg, &o->cipher) != 0)
			return fail(err, errlen, "--cipher: '%s' is not aes-128-gcm, aes-256-gcm or "
				    "chacha20-poly1305", arg);
		return 0;
	case OPT_IMPL:
		if (aead_impl_parse(arg, &o->impl) != 0)
			return fail(err, errlen, "--impl: '%s' is not ipsec-mb or openssl", arg);
		return 0;
	default:
		return fail(err, errlen, "unknown option");
	}
}

/* Combinations that make no sense. */
static int check(struct perf_opts *o, char *err, size_t errlen)
{
	if (o->duration_s < 0)
		o->duration_s = o->mode == PERF_MODE_REFLECT ? 0 : 10;
	if (o->mode == PERF_MODE_CRYPTO && o->duration_s == 0)
		return fail(err, errlen, "--mode crypto needs a --duration > 0");
	if (o->mode == PERF_MODE_CRYPTO && (o->n_ports || o->reflect_port[0]))
		return fail(err, errlen, "--mode crypto uses no ports");
	if (o->mode != PERF_MODE_GEN && o->search)
		return fail(err, errlen, "--search works in --mode gen only");
	if (o->mode != PERF_MODE_GEN && o->reflect_port[0])
		return fail(err, errlen, "--reflect-port works in --mode gen only "
			    "(--mode reflect takes --port)");
	if (o->mode == PERF_MODE_REFLECT && o->n_ports > 1)
		return fail(err, errlen, "--mode reflect takes one --port");
	if (o->replay && (o->mode != PERF_MODE_GEN || !o->reflect_port[0]))
		return fail(err, errlen, "--replay needs --mode gen and a --reflect-port (the "
			    "gateway's WAN side)");
	if (o->replay && o->search)
		return fail(err, errlen, "--replay and --search do not go together");
	if (o->replay && o->queues > 1)
		return fail(err, errlen, "--replay works with --queues 1 only");
	if (o->queues > o->flows)
		return fail(err, errlen, "--queues %u needs at least as many --flows", o->queues);
	if (o->replay && o->duration_s == 0)
		return fail(err, errlen, "--replay needs a --duration > 0");
	return 0;
}

int perf_args_parse(int argc, char **argv, struct perf_opts *o, FILE *out,
		    char *err, size_t errlen)
{
	int opt, idx;

	defaults(o);
	err[0] = '\0';
	optind = 0; /* glibc: full re-initialisation, so tests can call us again */
	opterr = 0;
	while ((idx = -1, opt = getopt_long(argc, argv, "+:h", longopts, &idx)) != -1) {
		if (opt == 'h') {
			perf_args_usage(out, argv[0]);
			return 1;
		}
		if (opt == '?') {
			if (optopt != 0 && optopt != 'h' && optopt < 256 && optopt > 0)
				return fail(err, errlen, "unknown option '-%c'", optopt);
			return fail(err, errlen, "unknown option '%s'",
				    argv[optind - 1]);
		}
		if (opt == ':')
			return fail(err, errlen, "missing value for '%s'", argv[optind - 1]);
		if (one_opt(o, opt, optarg, idx >= 0 ? longopts[idx].name : "?", err, errlen) != 0)
			return -1;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	return check(o, err, errlen);
}
