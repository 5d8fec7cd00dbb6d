/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 control-plane crypto over OpenSSL 3 EVP: PRF/prf+, key derivation,
 * key exchange, SK payload AEAD, PSK AUTH, NAT-D. Runs on the control
 * thread only, so it may allocate (OpenSSL contexts) per call.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "ike_crypto.h"

static const char *prf_digest(uint16_t prf_id)
{
	switch (prf_id) {
	case IKE_PRF_HMAC_SHA2_256: return "SHA256";
	case IKE_PRF_HMAC_SHA2_384: return "SHA384";
	case IKE_PRF_HMAC_SHA2_512: return "SHA512";
	default: return NULL;
	}
}

size_t ike_prf_len(uint16_t prf_id)
{
	switch (prf_id) {
	case IKE_PRF_HMAC_SHA2_256: return 32;
	case IKE_PRF_HMAC_SHA2_384: return 48;
	case IKE_PRF_HMAC_SHA2_512: return 64;
	default: return 0;
	}
}

int ike_prf(uint16_t prf_id, const uint8_t *key, size_t key_len,
	    const struct ike_iov *iov, unsigned n_iov, uint8_t *out)
{
	const char *md = prf_digest(prf_id);
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t olen = 0;
	unsigned i;
	int ret = -1;

	if (md == NULL || key == NULL || key_len == 0)
		return -1;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1)
		goto out;
	for (i = 0; i < n_iov; i++)
		if (iov[i].len && EVP_MAC_update(ctx, iov[i].p, iov[i].len) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &olen, ike_prf_len(prf_id)) != 1 ||
	    olen != ike_prf_len(prf_id))
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);	/* frees (and cleanses) the keyed state */
	EVP_MAC_free(mac);
	return ret;
}

#define PRF_PLUS_SEED_MAX 8

int ike_prf_plus(uint16_t prf_id, const uint8_t *key, size_t key_len,
		 const struct ike_iov *seed, unsigned n_seed,
		 uint8_t *out, size_t out_len)
{
	size_t hlen = ike_prf_len(prf_id), done = 0;
	struct ike_iov iov[PRF_PLUS_SEED_MAX + 2];
	uint8_t t[IKE_PRF_MAX];
	uint8_t n = 1;
	unsigned i;
	int ret = -1;

	if (hlen == 0 || n_seed > PRF_PLUS_SEED_MAX || out_len > 255 * hlen)
		return -1;
	while (done < out_len) {
		unsigned k = 0;
		size_t take;

		/* Tn = prf(K, Tn-1 | S | n), T0 empty */
		if (n > 1)
			iov[k++] = (struct ike_iov){ t, hlen };
		for (i = 0; i < n_seed; i++)
			iov[k++] = seed[i];
		iov[k++] = (struct ike_iov){ &n, 1 };
		if (ike_prf(prf_id, key, key_len, iov, k, t) != 0)
			goto out;
		take = out_len - done < hlen ? out_len - done : hlen;
		memcpy(out + done, t, take);
		done += take;
		n++;
	}
	ret = 0;
out:
	OPENSSL_cleanse(t, sizeof(t));
	if (ret != 0)
		OPENSSL_cleanse(out, out_len);
	return ret;
}

size_t ike_aead_key_len(uint16_t encr_id, uint16_t keylen_bits)
{
	switch (encr_id) {
	case IKE_ENCR_AES_GCM_16:
		if (keylen_bits == 128 || keylen_bits == 192 ||
		    keylen_bits == 256)
			return keylen_bits / 8u;
		return 0;
	case IKE_ENCR_CHACHA20_POLY1305:
		/* fixed 256-bit key; the attribute is not sent (RFC 7634) */
		return keylen_bits == 0 || keylen_bits == 256 ? 32 : 0;
	default:
		return 0;
	}
}

/* Splits prf+ output into the IKE SA keys (2.14). */
static int split_ike_keys(const struct ike_suite *s, const uint8_t *skeyseed,
			  size_t seed_len, const uint8_t *ni, size_t ni_len,
			  const uint8_t *nr, size_t nr_len,
			  const uint8_t spi_i[8], const uint8_t spi_r[8],
			  struct ike_sa_keys *out)
{
	size_t plen = ike_prf_len(s->prf);
	size_t klen = ike_aead_key_len(s->encr, s->encr_keylen);
	uint8_t km[3 * IKE_PRF_MAX + 2 * IKE_KEYMAT_MAX];
	struct ike_iov seed[4] = {
		{ ni, ni_len }, { nr, nr_len }, { spi_i, 8 }, { spi_r, 8 },
	};
	size_t e = klen + IKE_AEAD_SALT_LEN, total = 3 * plen + 2 * e, o = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = ike_prf_plus(s->prf, skeyseed, seed_len, seed, 4, km, total);
	if (ret == 0) {
		out->prf = s->prf;
		out->encr = s->encr;
		out->prf_len = (uint8_t)plen;
		out->ekey_len = (uint8_t)e;
		/* SK_d | SK_ai | SK_ar (empty: AEAD) | SK_ei | SK_er | SK_pi | SK_pr */
		memcpy(out->sk_d, km + o, plen);
		o += plen;
		memcpy(out->sk_ei, km + o, e);
		o += e;
		memcpy(out->sk_er, km + o, e);
		o += e;
		memcpy(out->sk_pi, km + o, plen);
		o += plen;
		memcpy(out->sk_pr, km + o, plen);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return ret;
}

static bool suite_ok(const struct ike_suite *s)
{
	return ike_prf_len(s->prf) != 0 &&
		ike_aead_key_len(s->encr, s->encr_keylen) != 0;
}

int ike_derive_ike_keys(const struct ike_suite *s,
			const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len,
			const uint8_t *g_ir, size_t g_ir_len,
			const uint8_t spi_i[8], const uint8_t spi_r[8],
			struct ike_sa_keys *out)
{
	uint8_t nonces[2 * IKE_NONCE_MAX];
	uint8_t skeyseed[IKE_PRF_MAX];
	struct ike_iov d = { g_ir, g_ir_len };
	int ret = -1;

	if (!suite_ok(s) || ni_len > IKE_NONCE_MAX || nr_len > IKE_NONCE_MAX ||
	    ni_len + nr_len == 0)
		return -1;
	/* SKEYSEED = prf(Ni | Nr, g^ir): the nonces are the HMAC key */
	memcpy(nonces, ni, ni_len);
	memcpy(nonces + ni_len, nr, nr_len);
	if (ike_prf(s->prf, nonces, ni_len + nr_len, &d, 1, skeyseed) == 0)
		ret = split_ike_keys(s, skeyseed, ike_prf_len(s->prf), ni,
				     ni_len, nr, nr_len, spi_i, spi_r, out);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return ret;
}

int ike_derive_ike_keys_rekey(const struct ike_sa_keys *old,
			      const struct ike_suite *s,
			      const uint8_t *ni, size_t ni_len,
			      const uint8_t *nr, size_t nr_len,
			      const uint8_t *g_ir, size_t g_ir_len,
			      const uint8_t spi_i[8], const uint8_t spi_r[8],
			      struct ike_sa_keys *out)
{
	uint8_t skeyseed[IKE_PRF_MAX];
	struct ike_iov d[3] = {
		{ g_ir, g_ir_len }, { ni, ni_len }, { nr, nr_len },
	};
	int ret = -1;

	if (!suite_ok(s) || old->prf_len == 0)
		return -1;
	/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), old PRF (2.18);
	 * prf+ then uses the new SA's PRF with the same-length SKEYSEED */
	if (ike_prf(old->prf, old->sk_d, old->prf_len, d, 3, skeyseed) == 0)
		ret = split_ike_keys(s, skeyseed, ike_prf_len(old->prf), ni,
				     ni_len, nr, nr_len, spi_i, spi_r, out);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return ret;
}

void ike_sa_keys_wipe(struct ike_sa_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int ike_derive_child_keys(const struct ike_sa_keys *ike, uint16_t esp_encr,
			  uint16_t esp_keylen_bits,
			  const uint8_t *g_ir, size_t g_ir_len,
			  const uint8_t *ni, size_t ni_len,
			  const uint8_t *nr, size_t nr_len,
			  struct ike_child_keys *out)
{
	size_t klen = ike_aead_key_len(esp_encr, esp_keylen_bits);
	size_t e = klen + IKE_AEAD_SALT_LEN;
	uint8_t km[2 * IKE_KEYMAT_MAX];
	struct ike_iov seed[3];
	unsigned n = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (klen == 0 || ike->prf_len == 0)
		return -1;
	if (g_ir != NULL)
		seed[n++] = (struct ike_iov){ g_ir, g_ir_len };
	seed[n++] = (struct ike_iov){ ni, ni_len };
	seed[n++] = (struct ike_iov){ nr, nr_len };
	ret = ike_prf_plus(ike->prf, ike->sk_d, ike->prf_len, seed, n, km,
			   2 * e);
	if (ret == 0) {
		/* no integrity keys with AEAD: encr_i || encr_r (2.17) */
		out->key_len = (uint8_t)klen;
		memcpy(out->encr_i, km, e);
		memcpy(out->encr_r, km + e, e);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return ret;
}

void ike_child_keys_wipe(struct ike_child_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* ---- key exchange ------------------------------------------------------ */

size_t ike_dh_pub_len(uint16_t group)
{
	switch (group) {
	case IKE_DH_CURVE25519: return 32;
	case IKE_DH_ECP256: return 64;
	case IKE_DH_MODP2048: return 256;
	default: return 0;
	}
}

int ike_dh_new(struct ike_dh *dh, uint16_t group)
{
	EVP_PKEY *pk = NULL;

	dh->group = group;
	dh->pkey = NULL;
	switch (group) {
	case IKE_DH_CURVE25519:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		break;
	case IKE_DH_ECP256:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case IKE_DH_MODP2048: {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
		OSSL_PARAM p[2];

		if (c == NULL)
			return -1;
		p[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME, (char *)"modp_2048", 0);
		p[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_keygen_init(c) != 1 ||
		    EVP_PKEY_CTX_set_params(c, p) != 1 ||
		    EVP_PKEY_generate(c, &pk) != 1)
			pk = NULL;
		EVP_PKEY_CTX_free(c);
		break;
	}
	default:
		return -1;
	}
	if (pk == NULL)
		return -1;
	dh->pkey = pk;
	return 0;
}

/* EVP_PKEY from parameters (EC or DH key data). */
static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld,
			       int selection)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (params != NULL && c != NULL && EVP_PKEY_fromdata_init(c) == 1 &&
	    EVP_PKEY_fromdata(c, &pk, selection, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(c);
	/* private BNs come from BN_secure_new: the builder put them in the
	 * secure block, which OSSL_PARAM_free clears before freeing */
	OSSL_PARAM_free(params);
	return pk;
}

/* ECP-256 key pair from a known scalar (the public point is computed). */
static EVP_PKEY *ecp256_from_priv(const uint8_t *priv, size_t len)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
	BIGNUM *d = BN_secure_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	uint8_t pub[65];
	EVP_PKEY *pk = NULL;

	if (g && pt && d && bld && len == 32 && BN_bin2bn(priv, 32, d) &&
	    EC_POINT_mul(g, pt, d, NULL, NULL, NULL) == 1 &&
	    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub,
			       sizeof(pub), NULL) == sizeof(pub) &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    "prime256v1", 0) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
					     sizeof(pub)) == 1)
		pk = pkey_fromdata("EC", bld, EVP_PKEY_KEYPAIR);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return pk;
}

/* MODP-2048 key pair from a known exponent: y = 2^x mod p (RFC 3526). */
static EVP_PKEY *modp2048_from_priv(const uint8_t *priv, size_t len)
{
	BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
	BIGNUM *x = BN_secure_new(), *y = BN_new(), *g = BN_new();
	BN_CTX *bc = BN_CTX_secure_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;

	if (p && x && y && g && bc && bld && len > 0 && len <= 256 &&
	    BN_bin2bn(priv, (int)len, x) && BN_set_word(g, 2) &&
	    BN_mod_exp(y, g, x, p, bc) == 1 &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    "modp_2048", 0) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) == 1)
		pk = pkey_fromdata("DH", bld, EVP_PKEY_KEYPAIR);
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bc);
	BN_free(g);
	BN_free(y);
	BN_clear_free(x);
	BN_free(p);
	return pk;
}

int ike_dh_set_private(struct ike_dh *dh, uint16_t group,
		       const uint8_t *priv, size_t len)
{
	EVP_PKEY *pk = NULL;

	dh->group = group;
	dh->pkey = NULL;
	switch (group) {
	case IKE_DH_CURVE25519:
		if (len == 32)
			pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
							  priv, len);
		break;
	case IKE_DH_ECP256:
		pk = ecp256_from_priv(priv, len);
		break;
	case IKE_DH_MODP2048:
		pk = modp2048_from_priv(priv, len);
		break;
	default:
		break;
	}
	if (pk == NULL)
		return -1;
	dh->pkey = pk;
	return 0;
}

size_t ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap)
{
	size_t n = ike_dh_pub_len(dh->group);
	EVP_PKEY *pk = dh->pkey;

	if (pk == NULL || n == 0 || cap < n)
		return 0;
	switch (dh->group) {
	case IKE_DH_CURVE25519: {
		size_t l = n;

		if (EVP_PKEY_get_raw_public_key(pk, out, &l) != 1 || l != n)
			return 0;
		return n;
	}
	case IKE_DH_ECP256: {
		uint8_t pt[65];
		size_t l = 0;

		/* uncompressed point 04 | x | y; the KE payload drops the 04 */
		if (EVP_PKEY_get_octet_string_param(pk,
				OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
				sizeof(pt), &l) != 1 || l != 65 || pt[0] != 4)
			return 0;
		memcpy(out, pt + 1, 64);
		return n;
	}
	case IKE_DH_MODP2048: {
		BIGNUM *y = NULL;
		int ok;

		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PUB_KEY, &y) != 1)
			return 0;
		/* zero-padded to the modulus length (RFC 7296 3.4) */
		ok = BN_bn2binpad(y, out, (int)n) == (int)n;
		BN_free(y);
		return ok ? n : 0;
	}
	default:
		return 0;
	}
}

/* Peer public key of the same group as own, validated. */
static EVP_PKEY *peer_key(const struct ike_dh *dh, const uint8_t *peer,
			  size_t len)
{
	EVP_PKEY *pk = NULL;

	if (len != ike_dh_pub_len(dh->group))
		return NULL;
	switch (dh->group) {
	case IKE_DH_CURVE25519:
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer,
						   len);
	case IKE_DH_ECP256: {
		uint8_t pt[65];

		pt[0] = 4;
		memcpy(pt + 1, peer, 64);
		pk = EVP_PKEY_new();
		/* set1_encoded_public_key decodes the point and checks that
		 * it is on the curve */
		if (pk == NULL || EVP_PKEY_copy_parameters(pk, dh->pkey) != 1 ||
		    EVP_PKEY_set1_encoded_public_key(pk, pt, sizeof(pt)) != 1) {
			EVP_PKEY_free(pk);
			return NULL;
		}
		return pk;
	}
	case IKE_DH_MODP2048: {
		BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
		BIGNUM *y = BN_bin2bn(peer, (int)len, NULL);
		BIGNUM *pm1 = BN_new();
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();

		/* 1 < y < p - 1: rejects the small-subgroup values */
		if (p && y && pm1 && bld && BN_copy(pm1, p) &&
		    BN_sub_word(pm1, 1) && BN_cmp(y, BN_value_one()) > 0 &&
		    BN_cmp(y, pm1) < 0 &&
		    OSSL_PARAM_BLD_push_utf8_string(bld,
				OSSL_PKEY_PARAM_GROUP_NAME, "modp_2048", 0) == 1 &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) == 1)
			pk = pkey_fromdata("DH", bld, EVP_PKEY_PUBLIC_KEY);
		OSSL_PARAM_BLD_free(bld);
		BN_free(pm1);
		BN_free(y);
		BN_free(p);
		return pk;
	}
	default:
		return NULL;
	}
}

size_t ike_dh_derive(const struct ike_dh *dh, const uint8_t *peer,
		     size_t peer_len, uint8_t *out, size_t cap)
{
	EVP_PKEY *pk;
	EVP_PKEY_CTX *c = NULL;
	size_t need = dh->group == IKE_DH_MODP2048 ? 256 : 32, len = cap;
	size_t ret = 0;

	if (dh->pkey == NULL || cap < need)
		return 0;
	pk = peer_key(dh, peer, peer_len);
	if (pk == NULL)
		return 0;
	c = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (c == NULL || EVP_PKEY_derive_init(c) != 1)
		goto out;
	/* g^ir keeps its leading zeros: as long as the modulus (2.14) */
	if (dh->group == IKE_DH_MODP2048 && EVP_PKEY_CTX_set_dh_pad(c, 1) != 1)
		goto out;
	/* X25519: OpenSSL refuses an all-zero result (RFC 7748 6.1) */
	if (EVP_PKEY_derive_set_peer(c, pk) != 1 ||
	    EVP_PKEY_derive(c, out, &len) != 1 || len != need) {
		OPENSSL_cleanse(out, cap);
		goto out;
	}
	ret = len;
out:
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(pk);
	return ret;
}

void ike_dh_free(struct ike_dh *dh)
{
	/* EVP_PKEY_free clears the private key material */
	EVP_PKEY_free(dh->pkey);
	dh->pkey = NULL;
	dh->group = 0;
}

/* ---- SK payload -------------------------------------------------------- */

struct ike_sk_key ike_sk_key_out(const struct ike_sa_keys *k, bool initiator)
{
	struct ike_sk_key s = {
		.encr = k->encr,
		.key_len = (uint8_t)(k->ekey_len - IKE_AEAD_SALT_LEN),
		.key = initiator ? k->sk_ei : k->sk_er,
	};

	return s;
}

struct ike_sk_key ike_sk_key_in(const struct ike_sa_keys *k, bool initiator)
{
	return ike_sk_key_out(k, !initiator);
}

size_t ike_sk_body_len(size_t plain_len)
{
	return IKE_AEAD_IV_LEN + plain_len + 1 + IKE_AEAD_ICV_LEN;
}

static const EVP_CIPHER *sk_cipher(const struct ike_sk_key *k)
{
	if (k->encr == IKE_ENCR_AES_GCM_16 && k->key_len == 16)
		return EVP_aes_128_gcm();
	if (k->encr == IKE_ENCR_AES_GCM_16 && k->key_len == 24)
		return EVP_aes_192_gcm();
	if (k->encr == IKE_ENCR_AES_GCM_16 && k->key_len == 32)
		return EVP_aes_256_gcm();
	if (k->encr == IKE_ENCR_CHACHA20_POLY1305 && k->key_len == 32)
		return EVP_chacha20_poly1305();
	return NULL;
}

/*
 * One AEAD operation in place: nonce = salt | iv (12 octets, both RFC 5282
 * and RFC 7634), AAD as given, tag of 16 octets.
 */
static int sk_aead(const struct ike_sk_key *k, bool enc, const uint8_t *iv,
		   const uint8_t *aad, size_t aad_len, uint8_t *data,
		   size_t len, uint8_t *tag)
{
	const EVP_CIPHER *ciph = sk_cipher(k);
	EVP_CIPHER_CTX *c;
	uint8_t nonce[12];
	int outl, ret = -1;

	if (ciph == NULL || aad_len > INT32_MAX || len > INT32_MAX)
		return -1;
	memcpy(nonce, k->key + k->key_len, IKE_AEAD_SALT_LEN);
	memcpy(nonce + IKE_AEAD_SALT_LEN, iv, IKE_AEAD_IV_LEN);
	c = EVP_CIPHER_CTX_new();
	if (c == NULL)
		return -1;
	if (EVP_CipherInit_ex(c, ciph, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, k->key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_CipherUpdate(c, data, &outl, data, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG,
					IKE_AEAD_ICV_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, data + len, &outl) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG,
				       IKE_AEAD_ICV_LEN, tag) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);	/* cleanses the key schedule */
	return ret;
}

enum ike_reason ike_sk_seal(const struct ike_sk_key *k, struct ike_msg *m,
			    uint8_t first, const uint8_t *plain,
			    size_t plain_len, const uint8_t iv[8],
			    uint8_t *out, size_t cap, size_t *out_len)
{
	size_t body = ike_sk_body_len(plain_len);
	uint8_t *sk, *ct;
	enum ike_reason r;

	if (sk_cipher(k) == NULL)
		return IKE_ERR_CRYPTO;
	if (m->n_pl == 0 || m->order[m->n_pl - 1].type != IKE_PL_SK)
		return IKE_ERR_BUILD;
	if (body + IKE_GEN_HDR_LEN > 0xffff)
		return IKE_ERR_TOO_BIG;
	m->sk.inner_next = first;
	r = ike_msg_build(m, out, cap, out_len, body);
	if (r != IKE_OK)
		return r;
	sk = out + m->sk.offset;
	memcpy(sk + IKE_GEN_HDR_LEN, iv, IKE_AEAD_IV_LEN);
	ct = sk + IKE_GEN_HDR_LEN + IKE_AEAD_IV_LEN;
	memmove(ct, plain, plain_len);
	ct[plain_len] = 0;	/* pad length: AEAD needs no padding */
	/* AAD: IKE header through the SK generic header (RFC 5282 5.1) */
	if (sk_aead(k, true, iv, out, m->sk.offset + IKE_GEN_HDR_LEN, ct,
		    plain_len + 1, ct + plain_len + 1) != 0) {
		OPENSSL_cleanse(out, *out_len);
		return IKE_ERR_CRYPTO;
	}
	m->sk.body.p = sk + IKE_GEN_HDR_LEN;
	m->sk.body.len = (uint16_t)body;
	return IKE_OK;
}

enum ike_reason ike_sk_open(const struct ike_sk_key *k, struct ike_msg *m,
			    const uint8_t *msg, size_t len,
			    uint8_t *plain, size_t cap)
{
	const uint8_t *body = m->sk.body.p;
	size_t blen = m->sk.body.len, ct_len, inner;
	uint8_t tag[IKE_AEAD_ICV_LEN];
	uint8_t pad;

	if (!ike_msg_has(m, IKE_PL_SK) || sk_cipher(k) == NULL)
		return IKE_ERR_CRYPTO;
	/* the SK view must be the tail of msg as the parser left it */
	if (m->sk.offset + IKE_GEN_HDR_LEN > len ||
	    body != msg + m->sk.offset + IKE_GEN_HDR_LEN ||
	    m->sk.offset + IKE_GEN_HDR_LEN + blen != len ||
	    blen < IKE_AEAD_IV_LEN + 1 + IKE_AEAD_ICV_LEN)
		return IKE_ERR_SK_SHORT;
	ct_len = blen - IKE_AEAD_IV_LEN - IKE_AEAD_ICV_LEN;
	if (cap < ct_len)
		return IKE_ERR_NO_SPACE;
	memcpy(plain, body + IKE_AEAD_IV_LEN, ct_len);
	memcpy(tag, body + IKE_AEAD_IV_LEN + ct_len, IKE_AEAD_ICV_LEN);
	if (sk_aead(k, false, body, msg, m->sk.offset + IKE_GEN_HDR_LEN,
		    plain, ct_len, tag) != 0) {
		OPENSSL_cleanse(plain, ct_len);
		return IKE_ERR_SK_AUTH;
	}
	pad = plain[ct_len - 1];
	if ((size_t)pad + 1 > ct_len) {
		OPENSSL_cleanse(plain, ct_len);
		return IKE_ERR_SK_PAD;
	}
	inner = ct_len - 1 - pad;
	return ike_msg_parse_inner(m, m->sk.inner_next, plain, inner);
}

/* ---- AUTH, NAT-D, random ------------------------------------------------- */

size_t ike_psk_auth(uint16_t prf_id, const uint8_t *psk, size_t psk_len,
		    const uint8_t *real_msg, size_t real_msg_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const uint8_t *sk_p, size_t sk_p_len,
		    const uint8_t *id_body, size_t id_body_len,
		    uint8_t *out, size_t cap)
{
	static const uint8_t pad[] = "Key Pad for IKEv2";
	size_t hlen = ike_prf_len(prf_id);
	uint8_t inner[IKE_PRF_MAX], maced_id[IKE_PRF_MAX];
	struct ike_iov iov[3];
	size_t ret = 0;

	if (hlen == 0 || cap < hlen)
		return 0;
	/* MACedIDFor{I,R} = prf(SK_p{i,r}, RestOf{Init,Resp}IDPayload) */
	iov[0] = (struct ike_iov){ id_body, id_body_len };
	if (ike_prf(prf_id, sk_p, sk_p_len, iov, 1, maced_id) != 0)
		goto out;
	/* the pad string without its terminating NUL (17 octets) */
	iov[0] = (struct ike_iov){ pad, sizeof(pad) - 1 };
	if (ike_prf(prf_id, psk, psk_len, iov, 1, inner) != 0)
		goto out;
	iov[0] = (struct ike_iov){ real_msg, real_msg_len };
	iov[1] = (struct ike_iov){ nonce, nonce_len };
	iov[2] = (struct ike_iov){ maced_id, hlen };
	if (ike_prf(prf_id, inner, hlen, iov, 3, out) != 0)
		goto out;
	ret = hlen;
out:
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(maced_id, sizeof(maced_id));
	return ret;
}

bool ike_auth_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int ike_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
		  const uint8_t *ip, size_t ip_len, uint16_t port,
		  uint8_t out[20])
{
	EVP_MD_CTX *c;
	uint8_t pb[2] = { port >> 8, port & 0xff };
	unsigned int olen = 0;
	int ok;

	if (ip_len != 4 && ip_len != 16)
		return -1;
	c = EVP_MD_CTX_new();
	if (c == NULL)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 &&
		EVP_DigestUpdate(c, spi_i, 8) == 1 &&
		EVP_DigestUpdate(c, spi_r, 8) == 1 &&
		EVP_DigestUpdate(c, ip, ip_len) == 1 &&
		EVP_DigestUpdate(c, pb, 2) == 1 &&
		EVP_DigestFinal_ex(c, out, &olen) == 1 && olen == 20;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

int ike_random(uint8_t *out, size_t len)
{
	return len <= INT32_MAX && RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}
