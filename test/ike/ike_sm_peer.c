/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_sm_peer: lib/ike's state machine (ike_sa.h) over ordinary UDP
 * sockets, for the interop test with strongSwan (test/ike/ike_sm.sh).
 * Binds LOCAL:500 and LOCAL:4500, feeds every datagram to ike_input(),
 * runs ike_timer() and sends what the machine asks for. Commands, one a
 * line on stdin: initiate, rekey-child, rekey-ike, dpd, terminate, quit.
 * Events on stdout, one a line:
 *   ike_up spi_i=.. spi_r=.. [rekeyed]     ike_down [rekeyed]
 *   child_up in=XXXXXXXX out=XXXXXXXX encr=N keylen=N esn=0|1 encap=0|1
 *            old_in=.. old_out=.. dh=N   (PFS group of its keys, 0: none)
 *   child_down in=.. out=..
 * (no keys). Log lines go to stderr. Environment: IKE_SM_DPD_MS=N runs
 * DPD every N ms of silence; with "initiate" a dead peer is re-initiated.
 *
 * usage: ike_sm_peer LOCAL_IP PEER_IP PSK LOCAL_ID REMOTE_ID LOCAL_NET
 *                    REMOTE_NET ESP [initiate]
 *   IDs are FQDNs; NETs a.b.c.d/len; ESP one or more (comma-separated)
 *   of aes128gcm16|aes256gcm16|chacha20poly1305, each optionally with a
 *   PFS group -x25519|-ecp256|-modp2048 as strongSwan writes it
 *   (aes128gcm16-x25519). IKE proposals: aes256gcm16-prfsha256-x25519,
 *   aes128gcm16-prfsha256-ecp256, aes256gcm16-prfsha384-modp2048.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ike_sa.h"
#include "ike_test_util.h"

static int sock[2];	/* 500, 4500 */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_send(void *arg, const struct ike_addr *src,
		    const struct ike_addr *dst, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(dst->port) };

	(void)arg;
	memcpy(&to.sin_addr, dst->ip, 4);
	if (sendto(sock[src->port == IKE_NATT_PORT], buf, len, 0,
		   (struct sockaddr *)&to, sizeof(to)) < 0)
		fprintf(stderr, "sendto: %s\n", strerror(errno));
}

static void spi8(const uint8_t *s, char *out)
{
	for (int i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", s[i]);
}

static void on_event(void *arg, const struct ike_event *e)
{
	const struct ike_child_info *c = &e->child;
	char a[17], b[17];

	(void)arg;
	spi8(e->spi_i, a);
	spi8(e->spi_r, b);
	switch (e->type) {
	case IKE_EV_IKE_UP:
		printf("ike_up spi_i=%s spi_r=%s%s\n", a, b,
		       e->rekeyed ? " rekeyed" : "");
		break;
	case IKE_EV_IKE_DOWN:
		printf("ike_down spi_i=%s spi_r=%s%s\n", a, b,
		       e->rekeyed ? " rekeyed" : "");
		break;
	case IKE_EV_CHILD_UP:
		printf("child_up in=%08x out=%08x encr=%u keylen=%u esn=%d "
		       "encap=%d old_in=%08x old_out=%08x dh=%u\n", c->spi_in,
		       c->spi_out, c->encr, c->keylen, c->esn, c->encap,
		       c->old_spi_in, c->old_spi_out, c->dh);
		break;
	case IKE_EV_CHILD_DOWN:
		printf("child_down in=%08x out=%08x\n", c->spi_in, c->spi_out);
		break;
	}
	fflush(stdout);
}

static void on_log(void *arg, int level, const char *msg)
{
	(void)arg;
	fprintf(stderr, "ike[%d] %s\n", level, msg);
}

static int subnet(const char *s, struct ike_subnet *out)
{
	char b[64], *slash;

	snprintf(b, sizeof(b), "%s", s);
	slash = strchr(b, '/');
	if (slash == NULL)
		return -1;
	*slash = 0;
	out->family = 4;
	out->prefix = (uint8_t)atoi(slash + 1);
	return inet_pton(AF_INET, b, out->ip) == 1 ? 0 : -1;
}

static void fqdn(struct ike_identity *id, const char *s)
{
	id->type = IKE_ID_FQDN;
	id->len = (uint8_t)strlen(s);
	memcpy(id->data, s, id->len);
}

/* "aes128gcm16-x25519,chacha20poly1305" into c->esp; -1 if unknown. */
static int esp_list(const char *arg, struct ike_peer_cfg *c)
{
	static const struct { const char *name; uint16_t encr, keylen; } enc[] = {
		{ "aes128gcm16", IKE_ENCR_AES_GCM_16, 128 },
		{ "aes256gcm16", IKE_ENCR_AES_GCM_16, 256 },
		{ "chacha20poly1305", IKE_ENCR_CHACHA20_POLY1305, 0 } };
	static const struct { const char *name; uint16_t id; } grp[] = {
		{ "x25519", IKE_DH_CURVE25519 }, { "ecp256", IKE_DH_ECP256 },
		{ "modp2048", IKE_DH_MODP2048 } };
	char buf[256], *save = NULL, *item;

	snprintf(buf, sizeof(buf), "%s", arg);
	c->n_esp = 0;
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(item, '-');
		struct ike_esp_prop e = { 0, 0, 0 };
		unsigned i;

		if (c->n_esp == IKE_CFG_MAX_PROPS)
			return -1;
		if (dash)
			*dash++ = 0;
		for (i = 0; i < 3; i++)
			if (!strcmp(item, enc[i].name))
				e = (struct ike_esp_prop){ enc[i].encr, enc[i].keylen, 0 };
		for (i = 0; dash && i < 3; i++)
			if (!strcmp(dash, grp[i].name))
				e.dh = grp[i].id;
		if (e.encr == 0 || (dash && e.dh == 0))
			return -1;
		c->esp[c->n_esp++] = e;
	}
	return c->n_esp ? 0 : -1;
}

static int command(struct ike_ctx *ctx, const char *l, uint64_t now)
{
	int rc = -1;

	if (!strncmp(l, "initiate", 8))
		rc = ike_initiate(ctx, 0, now);
	else if (!strncmp(l, "rekey-child", 11))
		rc = ike_rekey_child(ctx, 0, now);
	else if (!strncmp(l, "rekey-ike", 9))
		rc = ike_rekey_ike(ctx, 0, now);
	else if (!strncmp(l, "dpd", 3))
		rc = ike_dpd(ctx, 0, now);
	else if (!strncmp(l, "terminate", 9))
		rc = ike_terminate(ctx, 0, now);
	else if (!strncmp(l, "quit", 4))
		return 1;
	printf("cmd %.*s %s\n", (int)strcspn(l, "\n"), l, rc ? "failed" : "ok");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct ike_ops ops = { on_send, on_event, on_log, NULL };
	struct ike_ctx_cfg cc = { .retx_base_ms = 500, .retx_max_ms = 2000,
				  .retx_tries = 3 };
	static struct ike_peer_cfg c;
	struct in_addr lip, rip;
	struct ike_ctx *ctx;
	char line[128];
	size_t ll = 0;
	bool quit = false;

	if (argc < 9) {
		fprintf(stderr, "usage: ike_sm_peer LOCAL_IP PEER_IP PSK LOCAL_ID "
			"REMOTE_ID LOCAL_NET REMOTE_NET ESP [initiate]\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &lip) != 1 ||
	    inet_pton(AF_INET, argv[2], &rip) != 1)
		return 2;
	snprintf(c.name, sizeof(c.name), "sw");
	c.local.family = c.remote.family = 4;
	memcpy(c.local.ip, &lip, 4);
	memcpy(c.remote.ip, &rip, 4);
	c.local.port = c.remote.port = IKE_PORT;
	c.psk_len = (uint16_t)strlen(argv[3]);
	memcpy(c.psk, argv[3], c.psk_len);
	fqdn(&c.local_id, argv[4]);
	fqdn(&c.remote_id, argv[5]);
	c.n_local_ts = c.n_remote_ts = 1;
	if (subnet(argv[6], &c.local_ts[0]) || subnet(argv[7], &c.remote_ts[0]))
		return 2;
	c.n_ike = 3;
	c.ike[0] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 256,
				       IKE_PRF_HMAC_SHA2_256, IKE_DH_CURVE25519 };
	c.ike[1] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 128,
				       IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256 };
	c.ike[2] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 256,
				       IKE_PRF_HMAC_SHA2_384, IKE_DH_MODP2048 };
	if (esp_list(argv[8], &c) != 0)
		return 2;
	c.esn = true;		/* offered; libipsec's charon picks no-ESN */
	c.force_encap = true;
	/* IKE_SM_DPD_MS: DPD period; with "initiate" the SA comes back after
	 * the peer was found dead (re-initiation) */
	c.dpd_ms = getenv("IKE_SM_DPD_MS") ? (uint32_t)atoi(getenv("IKE_SM_DPD_MS")) : 0;
	c.initiate = argc > 9 && !strcmp(argv[9], "initiate");
	sock[0] = ike_test_udp_bind(lip, IKE_PORT);
	sock[1] = ike_test_udp_bind(lip, IKE_NATT_PORT);
	ctx = ike_ctx_new(&cc, &ops);
	if (sock[0] < 0 || sock[1] < 0 || ctx == NULL ||
	    ike_add_peer(ctx, &c) != 0) {
		fprintf(stderr, "ike_sm_peer: setup failed: %s\n", strerror(errno));
		return 1;
	}
	if (argc > 9 && !strcmp(argv[9], "initiate"))
		command(ctx, "initiate", now_ms());
	while (!quit) {
		struct pollfd p[3] = { { sock[0], POLLIN, 0 },
				       { sock[1], POLLIN, 0 },
				       { 0, POLLIN, 0 } };
		uint64_t now = now_ms(), next = ike_timer(ctx, now);
		int to = next == UINT64_MAX ? 1000 :
			(int)(next > now ? (next - now < 1000 ? next - now : 1000) : 0);

		if (poll(p, 3, to) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			uint8_t buf[IKE_SA_BUF + 64];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n;
			struct ike_addr src = { .family = 4 }, loc = { .family = 4 };

			if (!(p[i].revents & POLLIN))
				continue;
			n = recvfrom(sock[i], buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
			if (n < 0)
				continue;
			memcpy(src.ip, &from.sin_addr, 4);
			src.port = ntohs(from.sin_port);
			memcpy(loc.ip, &lip, 4);
			loc.port = i ? IKE_NATT_PORT : IKE_PORT;
			ike_input(ctx, buf, (size_t)n, &src, &loc, now_ms());
		}
		if (p[2].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(0, line + ll, sizeof(line) - 1 - ll);

			if (n <= 0) {
				quit = true;
				break;
			}
			ll += (size_t)n;
			line[ll] = 0;
			while (strchr(line, '\n')) {
				char *nl = strchr(line, '\n');

				*nl = 0;
				if (command(ctx, line, now_ms()) == 1)
					quit = true;
				memmove(line, nl + 1, strlen(nl + 1) + 1);
				ll = strlen(line);
			}
			if (ll == sizeof(line) - 1)
				ll = 0;
		}
	}
	ike_ctx_free(ctx);
	close(sock[0]);
	close(sock[1]);
	return 0;
}
