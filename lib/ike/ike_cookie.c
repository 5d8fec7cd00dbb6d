/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless cookies (RFC 7296 2.6). Under load the responder answers an
 * IKE_SA_INIT request with N(COOKIE) and keeps nothing; only a request
 * that returns the cookie, proving the source address is reachable, gets
 * an IKE SA. Cookie = VersionIDofSecret (1 octet, 0) |
 * HMAC-SHA256(secret, Ni | IPi | port | SPIi). The secret is random per ctx.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike_sa_int.h"

#define COOKIE_LEN	(1 + 32)

size_t cookie_make(const struct ike_ctx *ctx, const struct ike_msg *m,
		   const struct ike_addr *src, uint8_t *out)
{
	uint8_t port[2] = { (uint8_t)(src->port >> 8), (uint8_t)src->port };
	struct ike_iov iov[4] = {
		{ m->nonce.p, m->nonce.len },
		{ src->ip, src->family == 6 ? 16 : 4 },
		{ port, 2 },
		{ m->hdr.spi_i, 8 },
	};

	out[0] = 0;
	if (ike_prf(IKE_PRF_HMAC_SHA2_256, ctx->cookie_secret,
		    sizeof(ctx->cookie_secret), iov, 4, out + 1) != 0)
		return 0;
	return COOKIE_LEN;
}

bool cookie_ok(const struct ike_ctx *ctx, const struct ike_msg *m,
	       const struct ike_addr *src)
{
	const struct ike_notify *n = ike_msg_notify(m, IKE_N_COOKIE);
	uint8_t want[COOKIE_LEN];
	bool ok;

	if (n == NULL || n->data.len != COOKIE_LEN ||
	    cookie_make(ctx, m, src, want) != COOKIE_LEN)
		return false;
	ok = ike_auth_equal(want, n->data.p, COOKIE_LEN);
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
