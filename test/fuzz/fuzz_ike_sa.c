/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the IKEv2 state machine as a responder: whatever
 * arrives, in whatever order, must be answered or dropped with a reason,
 * never crash, hang or leak. Each input is a sequence of datagrams, each
 * prefixed by a 2-byte big-endian length; a fresh context per input, so
 * every run starts from the same state. Time moves 100 ms per datagram and
 * the timers run after each one (retransmissions, half-open expiry).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "ike_sa.h"

static void on_send(void *arg, const struct ike_addr *src, const struct ike_addr *dst,
		    const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)src;
	(void)dst;
	(void)buf;
	(void)len;
}

static void on_event(void *arg, const struct ike_event *ev)
{
	(void)arg;
	(void)ev;
}

static void addr4(struct ike_addr *a, uint8_t last, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->ip[0] = 198;
	a->ip[1] = 18;
	a->ip[2] = 0;
	a->ip[3] = last;
	a->port = port;
}

static void fqdn(struct ike_identity *id, const char *name)
{
	id->type = IKE_ID_FQDN;
	id->len = (uint8_t)strlen(name);
	memcpy(id->data, name, id->len);
}

static void responder_cfg(struct ike_peer_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "fuzz");
	addr4(&c->local, 1, 500);
	addr4(&c->remote, 2, 500);
	fqdn(&c->local_id, "gw-a.example");
	fqdn(&c->remote_id, "gw-b.example");
	memcpy(c->psk, "fuzz-psk-not-a-secret", 21);
	c->psk_len = 21;
	c->n_ike = 2;
	c->ike[0] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_384,
					IKE_DH_CURVE25519 };
	c->ike[1] = (struct ike_suite){ IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256,
					IKE_DH_ECP256 };
	c->n_esp = 2;
	c->esp[0] = (struct ike_esp_prop){ IKE_ENCR_AES_GCM_16, 128, IKE_DH_CURVE25519 };
	c->esp[1] = (struct ike_esp_prop){ IKE_ENCR_CHACHA20_POLY1305, 0, 0 };
	c->esn = true;
	c->n_local_ts = 1;
	c->local_ts[0] = (struct ike_subnet){ .family = 4, .prefix = 24, .ip = { 198, 19, 0, 0 } };
	c->n_remote_ts = 1;
	c->remote_ts[0] = (struct ike_subnet){ .family = 4, .prefix = 24, .ip = { 198, 19, 1, 0 } };
	c->dpd_ms = 30000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_ops ops = { on_send, on_event, NULL, NULL };
	struct ike_ctx_cfg cc = { .max_sas = 8, .cookie_threshold = 2 };
	struct ike_peer_cfg pc;
	struct ike_addr src, local;
	struct ike_ctx *ctx;
	uint64_t now = 1000;

	ctx = ike_ctx_new(&cc, &ops);
	if (ctx == NULL)
		return 0;
	responder_cfg(&pc);
	if (ike_add_peer(ctx, &pc) < 0)
		__builtin_trap();
	addr4(&src, 2, 500);
	addr4(&local, 1, 500);
	/* Up to 16 datagrams; a short or zero length ends the sequence early
	 * with what is left as the last one. */
	for (unsigned n = 0; n < 16 && size > 0; n++) {
		size_t len = size;

		if (size >= 2) {
			size_t want = ((size_t)data[0] << 8) | data[1];
			if (want > 0 && want <= size - 2) {
				data += 2;
				size -= 2;
				len = want;
			}
		}
		/* the first datagram on 500, later ones alternate to 4500 */
		src.port = local.port = (n & 1) ? 4500 : 500;
		ike_input(ctx, data, len, &src, &local, now);
		ike_timer(ctx, now);
		data += len;
		size -= len;
		now += 100;
	}
	ike_ctx_free(ctx);
	return 0;
}
