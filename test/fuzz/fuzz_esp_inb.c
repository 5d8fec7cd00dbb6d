/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: ESP inbound (esp_inb_prepare -> aead_decrypt_burst ->
 * esp_inb_finish) on arbitrary packets, as the WAN worker runs it. Any
 * crash, sanitizer report or leaked mbuf is a bug; so is an accepted
 * packet that is not a consistent inner IPv4/IPv6 packet.
 *
 * Input: one flags byte, then the packet from its outer IPv4 header.
 *   bit 0  UDP encapsulation (else IP protocol 50)
 *   bit 1  fix the outer total length, UDP length and IPv4 checksum, so
 *          mutations get past the outer header checks
 *   bit 2  seal: treat the ESP payload as plaintext and encrypt it with the
 *          SA's key after prepare, so the ICV verifies and the trailer and
 *          inner header checks see fuzzed plaintext
 *
 * Two SAs with fixed keys: SPI 0x1001 AES-128-GCM without ESN, SPI 0x2002
 * ChaCha20-Poly1305 with ESN. Their replay windows are reset for every
 * input so a run does not depend on the inputs before it.
 *
 * FUZZ_ESP_SEED_DIR=dir ./fuzz_esp_inb writes seed inputs (packets made by
 * esp_outb_prepare for both SAs) to dir and exits. With FUZZ_ESP_TRACE
 * set, each input's verdict (0 or the STATS_DROP_* code) goes to stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include "aead.h"
#include "esp.h"
#include "esp_wire.h"
#include "replay.h"
#include "sa.h"

#define WINDOW 128
#define N_SA 2
#define F_UDP 0x01
#define F_FIX 0x02
#define F_SEAL 0x04
/* RTE_IPV4() shifts an int: undefined for a >= 128 */
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct rte_mempool *mp;
static struct sa_table *table;
static struct sa_in *sas[N_SA];
static struct sa_out *outs[N_SA];
static struct aead_engine *engine;
static int trace; /* FUZZ_ESP_TRACE set: print each input's verdict */

static const struct {
	uint32_t spi;
	enum aead_alg alg;
	bool esn;
} sa_def[N_SA] = {
	{ 0x1001, AEAD_AES128_GCM, false },
	{ 0x2002, AEAD_CHACHA20_POLY1305, true },
};

static void die(const char *what)
{
	fprintf(stderr, "fuzz_esp_inb: %s\n", what);
	abort();
}

static void keymat_of(unsigned i, uint8_t *km, size_t *len)
{
	*len = aead_key_len(sa_def[i].alg) + SA_SALT_LEN;
	for (size_t j = 0; j < *len; j++)
		km[j] = (uint8_t)(0x5a ^ (i * 41 + j * 3));
}

/* The SAs live in rte_malloc memory, which LeakSanitizer does not scan:
 * free them (and their keys) before its exit-time check. */
static void teardown(void)
{
	sa_table_free(table);
	for (unsigned i = 0; i < N_SA; i++) {
		sa_in_free(sas[i]);
		sa_out_free(outs[i]);
	}
	aead_engine_free(engine);
	rte_mempool_free(mp);
	rte_eal_cleanup();
}

static void setup(void)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "--file-prefix=pmdvpn-fuzz-esp-%d", (int)getpid());
	char *argv[] = { "fuzz_esp_inb", "-l", "0", "--no-huge", "-m", "128", "--no-pci",
			 "--no-shconf", "--no-telemetry", "--log-level=lib.*:error", prefix, NULL };

	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		die("EAL init failed");
	mp = rte_pktmbuf_pool_create("fuzz_esp", 64, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	table = sa_table_create("fuzz_esp_sa", 16, SOCKET_ID_ANY);
	engine = aead_engine_create(AEAD_IMPL_OSSL);
	if (mp == NULL || table == NULL || engine == NULL)
		die("set-up failed");
	for (unsigned i = 0; i < N_SA; i++) {
		uint8_t km[AEAD_MAX_KEY_LEN + SA_SALT_LEN];
		size_t len;

		keymat_of(i, km, &len);
		sas[i] = sa_in_create(AEAD_IMPL_OSSL, sa_def[i].alg, sa_def[i].spi, km, len,
				      sa_def[i].esn, WINDOW);
		outs[i] = sa_out_create(AEAD_IMPL_OSSL, sa_def[i].alg, sa_def[i].spi, km, len,
					sa_def[i].esn);
		if (sas[i] == NULL || outs[i] == NULL || sa_table_add(table, sas[i]) != 0)
			die("SA set-up failed");
		outs[i]->seq_limit = UINT64_MAX;
		outs[i]->src_ip = rte_cpu_to_be_32(IP4(192, 0, 2, 1));
		outs[i]->dst_ip = rte_cpu_to_be_32(IP4(192, 0, 2, 2));
		outs[i]->sport = rte_cpu_to_be_16(ESP_UDP_PORT);
		outs[i]->dport = rte_cpu_to_be_16(ESP_UDP_PORT);
	}
	atexit(teardown);
}

/* Outer lengths and checksum made consistent with len bytes (F_FIX). */
static void fix_outer(uint8_t *p, uint32_t len, int udp)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	uint32_t ihl;

	if (len < sizeof(*ip))
		return;
	ihl = (ip->version_ihl & 0x0f) * 4u;
	if (ihl < sizeof(*ip) || ihl > len)
		return;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	if (udp && len >= ihl + 8) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + ihl);

		u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - ihl));
	}
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, ihl);
}

/* What a delivered packet must look like. */
static void check_inner(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	if (m->nb_segs != 1 || m->data_len != m->pkt_len || m->data_len < 20)
		die("accepted packet: bad mbuf");
	if (m->packet_type == RTE_PTYPE_L3_IPV4) {
		if ((p[0] >> 4) != 4 || ((uint32_t)p[2] << 8 | p[3]) != m->data_len)
			die("accepted IPv4 packet inconsistent");
	} else if (m->packet_type == RTE_PTYPE_L3_IPV6) {
		if ((p[0] >> 4) != 6 || m->data_len < 40 ||
		    40u + ((uint32_t)p[4] << 8 | p[5]) != m->data_len)
			die("accepted IPv6 packet inconsistent");
	} else {
		die("accepted packet: bad packet_type");
	}
}

static void write_seed(const char *dir, const char *name, uint8_t flags, const uint8_t *p,
		       uint32_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(&flags, 1, 1, f) != 1 || fwrite(p, 1, len, f) != len)
		die("cannot write a seed");
	fclose(f);
}

/* Seeds: real packets of both SAs, UDP and plain, inner IPv4 and IPv6; and
 * the same packets before encryption for the seal mode. */
static void make_seeds(const char *dir)
{
	for (unsigned i = 0; i < N_SA; i++)
		for (int udp = 0; udp <= 1; udp++)
			for (int v6 = 0; v6 <= 1; v6++)
				for (int seal = 0; seal <= 1; seal++) {
					uint32_t len = v6 ? 61 : 45;
					struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
					uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);
					struct aead_op op;
					char name[64];

					memset(p, 0xab, len);
					if (v6) {
						memset(p, 0, 40);
						p[0] = 0x60;
						p[5] = (uint8_t)(len - 40);
						p[6] = 59;
						p[7] = 64;
					} else {
						memset(p, 0, 20);
						p[0] = 0x45;
						p[3] = (uint8_t)len;
						p[8] = 64;
						p[9] = 17;
					}
					outs[i]->udp_encap = (uint8_t)udp;
					if (esp_outb_prepare(outs[i], m, &op) != 0)
						die("seed: outbound failed");
					if (!seal && aead_encrypt_burst(engine, &op, 1) != 0)
						die("seed: encryption failed");
					snprintf(name, sizeof(name), "sa%u-%s-%s%s", i,
						 udp ? "udp" : "esp", v6 ? "v6" : "v4",
						 seal ? "-seal" : "");
					write_seed(dir, name,
						   (uint8_t)((udp ? F_UDP : 0) | (seal ? F_SEAL : 0)),
						   rte_pktmbuf_mtod(m, uint8_t *), m->data_len);
					rte_pktmbuf_free(m);
				}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_ESP_SEED_DIR");

	(void)argc;
	(void)argv;
	setup();
	trace = getenv("FUZZ_ESP_TRACE") != NULL;
	if (dir != NULL) {
		make_seeds(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;
	struct sa_in *sa = NULL;
	struct aead_op op;
	uint64_t seq = 0;
	uint8_t flags;
	uint8_t *p;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	for (unsigned i = 0; i < N_SA; i++)
		replay_window_init(sas[i]->replay, WINDOW);
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		die("pool empty: an mbuf leaked");
	if (size > rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return 0;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)size);
	if (size)
		memcpy(p, data, size);
	if (flags & F_FIX)
		fix_outer(p, (uint32_t)size, flags & F_UDP);

	rc = esp_inb_prepare(table, m, flags & F_UDP, &op, &sa, &seq);
	if (rc == 0) {
		if (sa == NULL || op.data < p || op.tag + AEAD_TAG_LEN > p + size ||
		    op.data + op.len > op.tag)
			die("prepare: op outside the packet");
		if ((flags & F_SEAL) && aead_encrypt_burst(engine, &op, 1) != 0)
			die("seal failed");
		aead_decrypt_burst(engine, &op, 1);
		rc = esp_inb_finish(sa, m, &op, seq);
		if (rc == 0)
			check_inner(m);
		else if (rc == STATS_DROP_AUTH && (flags & F_SEAL))
			die("finish: a packet sealed with the SA's key failed its ICV");
		else if (rc != STATS_DROP_AUTH && rc != STATS_DROP_MALFORMED &&
			 rc != STATS_DROP_REPLAY)
			die("finish: unexpected drop cause");
	} else if (rc != STATS_DROP_MALFORMED && rc != STATS_DROP_NO_SA &&
		   rc != STATS_DROP_REPLAY) {
		die("prepare: unexpected drop cause");
	}
	if (trace)
		fprintf(stderr, "fuzz_esp_inb: flags %#x len %zu -> %d\n", flags, size, rc);
	rte_pktmbuf_free(m);
	if (rte_mempool_in_use_count(mp) != 0)
		die("mbuf leaked");
	return 0;
}
