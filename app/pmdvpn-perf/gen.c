/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet building: flows, frame sizes (fixed or IMIX), Ethernet/IPv4/UDP
 * headers and the payload stamp the receiver counts and times. */
#include <arpa/inet.h>
#include <string.h>

#include "perf.h"

/* 7 small, 4 medium, 1 large, spread out so that the mix holds over any
 * 12 consecutive packets rather than in runs of one size. */
static const uint8_t imix_pattern[PERF_IMIX_LEN] = { 0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 0, 1 };

unsigned perf_size_seq(const struct perf_opts *o, uint16_t *seq, unsigned cap)
{
	if (!o->imix) {
		if (cap < 1)
			return 0;
		seq[0] = o->size;
		return 1;
	}
	if (cap < PERF_IMIX_LEN)
		return 0;
	for (unsigned i = 0; i < PERF_IMIX_LEN; i++)
		seq[i] = o->imix_sizes[imix_pattern[i]];
	return PERF_IMIX_LEN;
}

double perf_size_seq_avg(const uint16_t *seq, unsigned n)
{
	uint64_t sum = 0;

	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++)
		sum += seq[i];
	return (double)sum / n;
}

static void mac_from(uint64_t v, uint8_t mac[6])
{
	for (int i = 5; i >= 0; i--) {
		mac[i] = (uint8_t)v;
		v >>= 8;
	}
}

void perf_flow_init(const struct perf_opts *o, uint32_t f, struct perf_flow *fl)
{
	/* Every flow gets its own UDP source port (what RSS and the
	 * receiver's flow table key on); the IP ranges cycle so that, with
	 * ranges given, flows also differ in addresses. */
	uint32_t span = 65536u - o->src_port;
	uint32_t sip = (uint32_t)o->src_ip.start + f % o->src_ip.count;
	uint32_t dip = (uint32_t)o->dst_ip.start +
		       (o->paired_ips ? f : f / o->src_ip.count) % o->dst_ip.count;

	mac_from(o->src_mac.start + f % o->src_mac.count, fl->src_mac);
	mac_from(o->dst_mac.start + f % o->dst_mac.count, fl->dst_mac);
	fl->src_ip = htonl(sip);
	fl->dst_ip = htonl(dip);
	fl->src_port = htons((uint16_t)(o->src_port + f % span));
	fl->dst_port = htons(o->dst_port);
}

uint16_t perf_ip_cksum(const void *hdr, unsigned ihl)
{
	const uint8_t *p = hdr;
	uint32_t sum = 0;

	for (unsigned i = 0; i < ihl * 4; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static inline void put16(uint8_t *p, uint16_t v_host)
{
	p[0] = (uint8_t)(v_host >> 8);
	p[1] = (uint8_t)v_host;
}

void perf_build(uint8_t *buf, uint16_t len, const struct perf_flow *fl, uint32_t flow,
		uint32_t seq, uint64_t tsc)
{
	uint8_t *ip = buf + 14, *udp = ip + 20, *pl = udp + 8;
	struct perf_stamp st = { .magic = PERF_MAGIC, .seq = seq, .flow = (uint16_t)flow, .tsc = tsc };
	uint16_t ck;

	memcpy(buf, fl->dst_mac, 6);
	memcpy(buf + 6, fl->src_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(len - 14));
	put16(ip + 4, (uint16_t)seq); /* identification */
	put16(ip + 6, 0x4000);        /* DF: a tunnel must not fragment it */
	ip[8] = 64;
	ip[9] = 17;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &fl->src_ip, 4);
	memcpy(ip + 16, &fl->dst_ip, 4);
	ck = perf_ip_cksum(ip, 5);
	memcpy(ip + 10, &ck, 2);
	memcpy(udp, &fl->src_port, 2);
	memcpy(udp + 2, &fl->dst_port, 2);
	put16(udp + 4, (uint16_t)(len - 34));
	udp[6] = udp[7] = 0;
	/* The stamp is packed field by field: 18 bytes fit a 60-byte frame. */
	memcpy(pl, &st.magic, 4);
	memcpy(pl + 4, &st.seq, 4);
	memcpy(pl + 8, &st.flow, 2);
	memcpy(pl + 10, &st.tsc, 8);
}

int perf_parse_stamp(const uint8_t *frame, uint32_t len, struct perf_stamp *st)
{
	const uint8_t *ip, *pl;
	unsigned ihl;

	if (len < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00)
		return -1;
	ip = frame + 14;
	ihl = ip[0] & 0x0f;
	if ((ip[0] >> 4) != 4 || ihl < 5 || ip[9] != 17)
		return -1;
	if (len < 14 + ihl * 4 + 8 + PERF_STAMP_LEN)
		return -1;
	pl = ip + ihl * 4 + 8;
	memcpy(&st->magic, pl, 4);
	if (st->magic != PERF_MAGIC)
		return -1;
	memcpy(&st->seq, pl + 4, 4);
	memcpy(&st->flow, pl + 8, 2);
	memcpy(&st->tsc, pl + 10, 8);
	return 0;
}
