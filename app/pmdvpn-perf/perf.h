/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmdvpn-perf: a DPDK traffic generator and sink for measuring pmdvpn.
 *
 * The pure parts (option parsing, packet building, receive accounting and
 * latency histogram, rate pacing, the RFC 2544 search, output) live in a
 * static library that the unit tests link; main.c, run.c and crypto.c hold
 * the EAL, port and timing glue.
 */
#ifndef PMDVPN_PERF_H
#define PMDVPN_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aead.h"

#define PERF_MAX_PORTS 4
#define PERF_DEVARGS_MAX 256
#define PERF_PORTNAME_MAX 64
#define PERF_MAX_FLOWS 65536u
#define PERF_MAX_BURST 64u
#define PERF_MIN_FRAME 60u    /* smallest Ethernet frame without CRC */
#define PERF_MAX_FRAME 1518u  /* largest frame (without CRC) we build */
#define PERF_HDR_LEN 42u      /* Ethernet + IPv4 (no options) + UDP */
#define PERF_STAMP_LEN 18u    /* magic, seq, flow, tsc: fits a 60-byte frame */
#define PERF_MAGIC 0x50565046u /* "PVPF" */
#define PERF_IMIX_LEN 12u     /* one IMIX cycle: 7 small, 4 medium, 1 large */
#define PERF_MAX_QUEUES 8u    /* queue pairs per port (--queues) */
#define PERF_MAX_REPLAY 65536u /* frames --replay may capture */

enum perf_mode { PERF_MODE_GEN, PERF_MODE_REFLECT, PERF_MODE_CRYPTO };

/* A range of consecutive addresses: start .. start + count - 1. */
struct perf_range {
	uint64_t start;  /* IPv4 in host order, or a MAC as a 48-bit number */
	uint32_t count;  /* >= 1 */
};

struct perf_opts {
	enum perf_mode mode;
	char ports[PERF_MAX_PORTS][PERF_DEVARGS_MAX]; /* --port: probed by us */
	unsigned n_ports;
	char tx_port[PERF_PORTNAME_MAX];   /* id or device name; "" = default */
	char rx_port[PERF_PORTNAME_MAX];
	char reflect_port[PERF_DEVARGS_MAX]; /* gen: reflect on this port too */
	struct perf_range src_mac, dst_mac, src_ip, dst_ip;
	uint16_t src_port, dst_port;       /* UDP, host order */
	uint32_t flows;
	bool paired_ips;                   /* flow f: f-th source with f-th destination */
	uint16_t queues;                   /* queue pairs per port; flow f on queue f % queues */
	uint32_t replay;                   /* gen: capture this many frames on the reflect
					    * port, then replay them (0 = off) */
	uint16_t size;                     /* frame bytes without CRC */
	bool imix;
	uint16_t imix_sizes[3];            /* small, medium, large */
	uint64_t rate_pps;                 /* 0 = line rate */
	double duration_s;                 /* 0 = until a signal */
	double drain_ms;
	double warmup_s;                   /* low-rate traffic first, not counted */
	double link_timeout_s;
	unsigned burst;
	bool search;
	double loss_tolerance_pct;
	double trial_duration_s;
	double search_precision_pct;       /* stop when hi - lo <= this % of hi */
	unsigned search_max_trials;
	bool json;
	bool quiet;                        /* no progress lines */
	enum aead_alg cipher;
	enum aead_impl impl;
};

/* Progress and trial lines: stderr with --json, so stdout is pure JSON. */
static inline FILE *perf_log(const struct perf_opts *o)
{
	return o->json ? stderr : stdout;
}

/* ---- args.c ---- */

/* Defaults, then argv (the part after "--", argv[0] is ignored). Returns
 * 0 to run, 1 when --help was printed to out, -1 with a message in err on
 * bad options (the caller exits with status 2). */
int perf_args_parse(int argc, char **argv, struct perf_opts *o, FILE *out,
		    char *err, size_t errlen);
void perf_args_usage(FILE *f, const char *prog);
/* "198.18.0.1" or "198.18.0.1-198.18.0.9"; "02:00:00:00:00:01[-...]". */
int perf_parse_ip_range(const char *s, struct perf_range *r);
int perf_parse_mac_range(const char *s, struct perf_range *r);
/* "1000", "2.5M", "10k", "1G" -> packets per second; "line" -> 0. */
int perf_parse_rate(const char *s, uint64_t *pps);

/* ---- gen.c: packet building ---- */

/* What one flow puts in the headers. */
struct perf_flow {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip;           /* network order */
	uint16_t src_port, dst_port;       /* network order */
};

/* The payload stamp right after the UDP header (unaligned, host order). */
struct perf_stamp {
	uint32_t magic;
	uint32_t seq;    /* per flow */
	uint16_t flow;
	uint64_t tsc;
};

/* Frame size of packet i of a stream: o->size, or the IMIX cycle. */
static inline uint16_t perf_frame_size(const uint16_t *seq, unsigned seq_len, uint64_t i)
{
	return seq[i % seq_len];
}
/* Fills seq with the sizes to cycle through and returns its length: one
 * entry for a fixed size, PERF_IMIX_LEN for IMIX (7:4:1, interleaved so
 * that any window of 12 packets has the exact mix). */
unsigned perf_size_seq(const struct perf_opts *o, uint16_t *seq, unsigned cap);
/* Average frame size of a sequence (bytes without CRC). */
double perf_size_seq_avg(const uint16_t *seq, unsigned n);

/* Flow f's addresses (f < o->flows): the UDP source port varies with
 * every flow; IPs and MACs cycle through their ranges (every combination
 * of source and destination; with o->paired_ips the f-th source goes with
 * the f-th destination, so that a source/destination pair can belong to
 * one tunnel's subnets). */
void perf_flow_init(const struct perf_opts *o, uint32_t f, struct perf_flow *fl);
/* Writes Ethernet/IPv4/UDP headers and the stamp for a frame of len bytes
 * (PERF_MIN_FRAME <= len <= PERF_MAX_FRAME) into buf; the rest of the
 * payload is left as it is. The IPv4 checksum is valid, the UDP checksum 0
 * (allowed for IPv4). */
void perf_build(uint8_t *buf, uint16_t len, const struct perf_flow *fl, uint32_t flow,
		uint32_t seq, uint64_t tsc);
/* The Internet checksum of an IPv4 header of ihl 32-bit words. */
uint16_t perf_ip_cksum(const void *hdr, unsigned ihl);
/* Finds the stamp in an Ethernet/IPv4/UDP frame. 0, or -1 if the frame
 * is not one of ours (short, not UDP, no magic). */
int perf_parse_stamp(const uint8_t *frame, uint32_t len, struct perf_stamp *st);

/* ---- reflect.c ---- */

/* Swaps Ethernet src/dst, IPv4 src/dst and (UDP) ports in place. The IPv4
 * checksum stays valid (its sum does not depend on the order). Returns 0,
 * or -1 (left untouched) if the frame is not IPv4. */
int perf_reflect_swap(uint8_t *frame, uint32_t len);

/* ---- rx.c: latency histogram and per-flow accounting ---- */

/* Log-linear histogram of nanoseconds: exact below 64 ns, then 32 buckets
 * per power of two (relative error <= 1/32). */
#define PERF_HIST_SUB 32u
#define PERF_HIST_BUCKETS (64u + 58u * PERF_HIST_SUB)
struct perf_hist {
	uint64_t n, sum, min, max;
	uint64_t b[PERF_HIST_BUCKETS];
};
void perf_hist_reset(struct perf_hist *h);
unsigned perf_hist_index(uint64_t ns);
uint64_t perf_hist_bucket_low(unsigned idx);
uint64_t perf_hist_bucket_width(unsigned idx);
static inline void perf_hist_add(struct perf_hist *h, uint64_t ns)
{
	h->b[perf_hist_index(ns)]++;
	h->n++;
	h->sum += ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}
/* The value at quantile q (0..1): the middle of its bucket, clamped to
 * [min, max]. 0 if empty. */
uint64_t perf_hist_quantile(const struct perf_hist *h, double q);
void perf_hist_merge(struct perf_hist *dst, const struct perf_hist *src);

struct perf_flow_rx {
	uint64_t rx;
	uint64_t ooo;        /* arrived after a later sequence number of the flow */
	uint32_t next_seq;   /* highest seen + 1 */
	uint32_t seen;       /* 0 until the first packet */
};

struct perf_rx {
	uint32_t n_flows;
	struct perf_flow_rx *flows;
	uint64_t rx, rx_bytes;    /* stamped packets of ours */
	uint64_t foreign;         /* not ours (ARP, other traffic) */
	uint64_t bad_flow;        /* ours but flow id out of range */
	uint64_t ooo;
	uint64_t hz;              /* TSC frequency */
	struct perf_hist total, interval;
};
int perf_rx_init(struct perf_rx *r, uint32_t n_flows, uint64_t hz);
void perf_rx_free(struct perf_rx *r);
/* Clears counters (keeps flows' sequence state). */
void perf_rx_reset(struct perf_rx *r);
/* Accounts one received frame at TSC now. */
void perf_rx_frame(struct perf_rx *r, const uint8_t *frame, uint32_t len, uint64_t now);

/* ---- rate.c: pacing by the TSC ---- */

struct perf_rate {
	uint64_t hz, pps;      /* pps 0 = as fast as possible */
	uint64_t start;        /* TSC */
	uint64_t credited;     /* packets handed out since start */
	uint64_t max_backlog;  /* packets; a longer stall is not made up for */
	uint64_t skipped;      /* packets given up after stalls */
};
void perf_rate_init(struct perf_rate *r, uint64_t hz, uint64_t pps, uint64_t now,
		    uint64_t max_backlog);
/* How many packets may go now (at most max); they count as sent. */
unsigned perf_rate_take(struct perf_rate *r, uint64_t now, unsigned max);
/* Packets due at TSC now since start (the schedule). */
uint64_t perf_rate_due(const struct perf_rate *r, uint64_t now);

/* ---- search.c: RFC 2544 binary search ---- */

struct perf_search {
	double lo, hi;         /* pps: lo passed (or 0), hi failed (or the max) */
	double best;           /* highest passing rate, 0 if none */
	double max;            /* upper bound; 0 = unknown (line rate first) */
	double tol_pct, precision_pct;
	unsigned trials, max_trials;
	bool done;
};
void perf_search_init(struct perf_search *s, double max_pps, double tol_pct,
		      double precision_pct, unsigned max_trials);
/* The rate of the next trial (0 = line rate), or false when done. */
bool perf_search_next(const struct perf_search *s, double *pps);
/* Records a trial run at offered rate pps (for a line-rate trial, the
 * achieved tx rate) with tx sent and rx received. Returns true if it
 * passed (loss <= tolerance). */
bool perf_search_record(struct perf_search *s, double pps, uint64_t tx, uint64_t rx);
double perf_loss_pct(uint64_t tx, uint64_t rx);

/* ---- output.c ---- */

struct perf_port_count {
	char name[PERF_PORTNAME_MAX];
	uint16_t id;
	uint64_t tx, tx_bytes, rx, rx_bytes, tx_full, rx_missed;
};

struct perf_trial {
	double rate_pps;    /* offered (0 = line) */
	double seconds;
	uint64_t tx, tx_bytes, rx, rx_bytes, ooo;
	uint64_t offered;   /* packets the schedule called for (>= tx) */
	double lat_p50_us, lat_p99_us, lat_max_us;
	bool pass;
};

struct perf_result {
	const char *mode;
	double seconds;                    /* transmit time */
	uint64_t tx, tx_bytes;             /* generated */
	uint64_t rx, rx_bytes;             /* ours received (stamped) */
	uint64_t foreign, bad_flow, ooo;
	uint64_t reflected, reflect_bytes, reflect_dropped, reflect_other;
	uint64_t rate_skipped;
	struct perf_hist *lat;             /* may be NULL */
	struct perf_port_count ports[PERF_MAX_PORTS + 1];
	unsigned n_ports;
	uint32_t n_flows;
	const struct perf_flow_rx *flows;  /* may be NULL */
	const uint64_t *flow_tx;           /* may be NULL */
	struct perf_trial *trials;         /* search */
	unsigned n_trials;
	bool searched;
	double search_best_pps;
	double avg_frame;
	bool interrupted;
	uint32_t captured;                 /* replay: distinct frames replayed */
	double capture_s;                  /* replay: time the capture took */
};

static inline double perf_gbps(uint64_t bytes, double s)
{
	return s > 0 ? (double)bytes * 8.0 / s / 1e9 : 0.0;
}
/* "[  3s] tx 1.234 Mpps rx 1.230 Mpps loss 0.00% lat p50 12.3us p99 40.1us" */
int perf_fmt_progress(char *buf, size_t len, double t, double tx_pps, double rx_pps,
		      uint64_t tx, uint64_t rx, const struct perf_hist *lat);
void perf_print_summary(FILE *f, const struct perf_opts *o, const struct perf_result *r);
void perf_print_json(FILE *f, const struct perf_opts *o, const struct perf_result *r);

#endif
