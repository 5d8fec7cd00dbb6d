/* SPDX-License-Identifier: BSD-3-Clause */
/* What pmdvpn-perf prints: a progress line per second, the final table,
 * and one JSON object for scripts. Gbit/s are L2 (frame bytes x 8). */
#include <inttypes.h>
#include <string.h>

#include "perf.h"

#define JSON_FLOWS_MAX 256 /* per-flow detail up to this many flows */

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

int perf_fmt_progress(char *buf, size_t len, double t, double tx_pps, double rx_pps,
		      uint64_t tx, uint64_t rx, const struct perf_hist *lat)
{
	int n = snprintf(buf, len, "[%3.0fs] tx %.3f Mpps rx %.3f Mpps loss %.2f%%", t,
			 tx_pps / 1e6, rx_pps / 1e6, perf_loss_pct(tx, rx));

	if (n < 0 || (size_t)n >= len)
		return n;
	if (lat != NULL && lat->n > 0)
		n += snprintf(buf + n, len - (size_t)n, " lat p50 %.1fus p99 %.1fus",
			      us(perf_hist_quantile(lat, 0.5)), us(perf_hist_quantile(lat, 0.99)));
	else
		n += snprintf(buf + n, len - (size_t)n, " lat -");
	return n;
}

static void flow_spread(const struct perf_result *r, uint64_t *min, uint64_t *max,
			uint32_t *lossy)
{
	*min = UINT64_MAX;
	*max = 0;
	*lossy = 0;
	for (uint32_t f = 0; f < r->n_flows; f++) {
		uint64_t rx = r->flows[f].rx;

		if (rx < *min)
			*min = rx;
		if (rx > *max)
			*max = rx;
		if (r->flow_tx != NULL && rx < r->flow_tx[f])
			(*lossy)++;
	}
	if (r->n_flows == 0)
		*min = 0;
}

static void size_desc(char *buf, size_t len, const struct perf_opts *o)
{
	if (o->imix)
		snprintf(buf, len, "IMIX 7:4:1 of %u/%u/%u", o->imix_sizes[0], o->imix_sizes[1],
			 o->imix_sizes[2]);
	else
		snprintf(buf, len, "%u", o->size);
}

void perf_print_summary(FILE *f, const struct perf_opts *o, const struct perf_result *r)
{
	char sz[64];
	double s = r->seconds;

	size_desc(sz, sizeof(sz), o);
	if (strcmp(r->mode, "gen") != 0)
		fprintf(f, "\n== pmdvpn-perf %s: %.2f s, avg frame %.1f bytes%s ==\n", r->mode, s,
			r->avg_frame, r->interrupted ? " (interrupted)" : "");
	else
		fprintf(f, "\n== pmdvpn-perf %s: %.2f s, frames %s bytes (avg %.1f), %u flows, rate ",
			r->mode, s, sz, r->avg_frame, o->flows);
	if (strcmp(r->mode, "gen") != 0)
		;
	else if (o->rate_pps)
		fprintf(f, "%" PRIu64 " pps%s ==\n", o->rate_pps, r->interrupted ? " (interrupted)" : "");
	else
		fprintf(f, "line%s ==\n", r->interrupted ? " (interrupted)" : "");
	fprintf(f, "%-10s %15s %17s %10s %12s\n", "", "packets", "bytes", "Mpps", "Gbit/s L2");
	if (r->tx || strcmp(r->mode, "gen") == 0) {
		fprintf(f, "%-10s %15" PRIu64 " %17" PRIu64 " %10.3f %12.3f\n", "tx", r->tx,
			r->tx_bytes, s > 0 ? r->tx / s / 1e6 : 0, perf_gbps(r->tx_bytes, s));
		fprintf(f, "%-10s %15" PRIu64 " %17" PRIu64 " %10.3f %12.3f\n", "rx", r->rx,
			r->rx_bytes, s > 0 ? r->rx / s / 1e6 : 0, perf_gbps(r->rx_bytes, s));
	}
	if (r->reflected || r->reflect_dropped || r->reflect_other)
		fprintf(f, "%-10s %15" PRIu64 " %17" PRIu64 " %10.3f %12.3f  (dropped %" PRIu64
			", not IPv4 %" PRIu64 ")\n", "reflected", r->reflected, r->reflect_bytes,
			s > 0 ? r->reflected / s / 1e6 : 0, perf_gbps(r->reflect_bytes, s),
			r->reflect_dropped, r->reflect_other);
	if (strcmp(r->mode, "gen") == 0) {
		fprintf(f, "loss       %" PRIu64 " packets (%.4f%%), out of order %" PRIu64
			", not ours %" PRIu64 ", bad flow id %" PRIu64 "\n",
			r->tx > r->rx ? r->tx - r->rx : 0, perf_loss_pct(r->tx, r->rx), r->ooo,
			r->foreign, r->bad_flow);
		if (r->rate_skipped)
			fprintf(f, "rate       %" PRIu64 " packets behind schedule were not sent\n",
				r->rate_skipped);
	}
	if (r->captured)
		fprintf(f, "replay     %u captured frames sent over and over (captured in %.3f s); "
			"rx counts the clear frames that came back\n", r->captured, r->capture_s);
	if (r->lat != NULL && r->lat->n > 0)
		fprintf(f, "latency    min %.1f us  p50 %.1f us  p99 %.1f us  max %.1f us  "
			"avg %.1f us  (%" PRIu64 " samples)\n", us(r->lat->min),
			us(perf_hist_quantile(r->lat, 0.5)), us(perf_hist_quantile(r->lat, 0.99)),
			us(r->lat->max), us(r->lat->sum / r->lat->n), r->lat->n);
	if (r->flows != NULL && r->n_flows > 1) {
		uint64_t mn, mx;
		uint32_t lossy;

		flow_spread(r, &mn, &mx, &lossy);
		fprintf(f, "flows      %u: rx per flow min %" PRIu64 " max %" PRIu64
			", flows with loss %u\n", r->n_flows, mn, mx, lossy);
	}
	for (unsigned i = 0; i < r->n_ports; i++) {
		const struct perf_port_count *p = &r->ports[i];

		fprintf(f, "port %u %-20s tx %" PRIu64 " (%" PRIu64 " B) rx %" PRIu64 " (%" PRIu64
			" B) tx-full %" PRIu64 " rx-missed %" PRIu64 "\n", p->id, p->name, p->tx,
			p->tx_bytes, p->rx, p->rx_bytes, p->tx_full, p->rx_missed);
	}
	if (r->searched) {
		fprintf(f, "search     %u trials, highest rate with loss <= %.4g%%: %.0f pps "
			"(%.3f Mpps, %.3f Gbit/s L2)\n", r->n_trials, o->loss_tolerance_pct,
			r->search_best_pps, r->search_best_pps / 1e6,
			r->search_best_pps * r->avg_frame * 8 / 1e9);
	}
}

static void json_hist(FILE *f, const struct perf_hist *h)
{
	if (h == NULL || h->n == 0) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"samples\":%" PRIu64 ",\"min\":%.3f,\"p50\":%.3f,\"p99\":%.3f,"
		"\"max\":%.3f,\"avg\":%.3f}", h->n, us(h->min), us(perf_hist_quantile(h, 0.5)),
		us(perf_hist_quantile(h, 0.99)), us(h->max), us(h->sum / h->n));
}

/* Device names come from the user's devargs: escape what JSON needs. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void perf_print_json(FILE *f, const struct perf_opts *o, const struct perf_result *r)
{
	double s = r->seconds;

	fprintf(f, "{\"mode\":\"%s\",\"seconds\":%.6f,\"frame_size\":%u,\"imix\":%s,"
		"\"avg_frame\":%.2f,\"flows\":%u,\"rate_target_pps\":%" PRIu64 ",\"interrupted\":%s,",
		r->mode, s, o->imix ? 0 : o->size, o->imix ? "true" : "false", r->avg_frame,
		o->flows, o->rate_pps, r->interrupted ? "true" : "false");
	fprintf(f, "\"gbps_is\":\"L2 frame bytes without CRC x 8\",");
	fprintf(f, "\"tx\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"mpps\":%.6f,"
		"\"gbps\":%.6f},", r->tx, r->tx_bytes, s > 0 ? r->tx / s / 1e6 : 0,
		perf_gbps(r->tx_bytes, s));
	fprintf(f, "\"rx\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"mpps\":%.6f,"
		"\"gbps\":%.6f},", r->rx, r->rx_bytes, s > 0 ? r->rx / s / 1e6 : 0,
		perf_gbps(r->rx_bytes, s));
	fprintf(f, "\"loss_packets\":%" PRIu64 ",\"loss_pct\":%.6f,\"out_of_order\":%" PRIu64
		",\"not_ours\":%" PRIu64 ",\"bad_flow\":%" PRIu64 ",\"rate_skipped\":%" PRIu64 ",",
		r->tx > r->rx ? r->tx - r->rx : 0, perf_loss_pct(r->tx, r->rx), r->ooo, r->foreign,
		r->bad_flow, r->rate_skipped);
	fprintf(f, "\"reflect\":{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"mpps\":%.6f,"
		"\"dropped\":%" PRIu64 ",\"not_ipv4\":%" PRIu64 "},", r->reflected, r->reflect_bytes,
		s > 0 ? r->reflected / s / 1e6 : 0, r->reflect_dropped, r->reflect_other);
	if (r->captured)
		fprintf(f, "\"replay\":{\"captured\":%u,\"capture_s\":%.6f},", r->captured,
			r->capture_s);
	fprintf(f, "\"queues\":%u,", o->queues);
	fprintf(f, "\"latency_us\":");
	json_hist(f, r->lat);
	fprintf(f, ",\"ports\":[");
	for (unsigned i = 0; i < r->n_ports; i++) {
		const struct perf_port_count *p = &r->ports[i];

		fprintf(f, "%s{\"id\":%u,\"name\":", i ? "," : "", p->id);
		json_str(f, p->name);
		fprintf(f, ",\"tx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 ",\"rx_packets\":%"
			PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"tx_full\":%" PRIu64 ",\"rx_missed\":%"
			PRIu64 "}", p->tx, p->tx_bytes, p->rx, p->rx_bytes, p->tx_full, p->rx_missed);
	}
	fprintf(f, "]");
	if (r->flows != NULL) {
		uint64_t mn, mx;
		uint32_t lossy;

		flow_spread(r, &mn, &mx, &lossy);
		fprintf(f, ",\"flow_rx_min\":%" PRIu64 ",\"flow_rx_max\":%" PRIu64
			",\"flows_with_loss\":%u", mn, mx, lossy);
		if (r->n_flows <= JSON_FLOWS_MAX) {
			fprintf(f, ",\"per_flow\":[");
			for (uint32_t fl = 0; fl < r->n_flows; fl++)
				fprintf(f, "%s{\"tx\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"ooo\":%" PRIu64 "}",
					fl ? "," : "", r->flow_tx ? r->flow_tx[fl] : 0,
					r->flows[fl].rx, r->flows[fl].ooo);
			fprintf(f, "]");
		}
	}
	if (r->searched) {
		fprintf(f, ",\"search\":{\"loss_tolerance_pct\":%.6f,\"best_pps\":%.0f,"
			"\"best_gbps\":%.6f,\"trials\":[", o->loss_tolerance_pct, r->search_best_pps,
			r->search_best_pps * r->avg_frame * 8 / 1e9);
		for (unsigned i = 0; i < r->n_trials; i++) {
			const struct perf_trial *t = &r->trials[i];

			fprintf(f, "%s{\"rate_pps\":%.0f,\"seconds\":%.6f,\"offered\":%" PRIu64
				",\"tx\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"loss_pct\":%.6f,\"out_of_order\":%" PRIu64 ",\"lat_p50_us\":%.3f,"
				"\"lat_p99_us\":%.3f,\"lat_max_us\":%.3f,\"pass\":%s}", i ? "," : "",
				t->rate_pps, t->seconds, t->offered, t->tx, t->rx,
				perf_loss_pct(t->offered, t->rx), t->ooo,
				t->lat_p50_us, t->lat_p99_us, t->lat_max_us, t->pass ? "true" : "false");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "}\n");
}
