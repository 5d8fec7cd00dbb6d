/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/ike/ike_crypto.c.
 *
 * Known answers from the RFCs: HMAC-SHA2 (RFC 4231 cases 1, 2, 6), X25519
 * (RFC 7748 section 6.1), ECP-256 (RFC 5903 section 8.1). RFC 7634's
 * appendix with an IKEv2 example could not be retrieved here, so the SK
 * payload, prf+, SKEYSEED / SK_* / KEYMAT / rekey derivation, PSK AUTH and
 * NAT-D are checked against vectors computed by an independent
 * implementation (test/ike/ike_ref_vectors.py: Python hmac + pyca
 * cryptography). Plus self-consistency: both sides of every group derive
 * the same g^ir and the same keys; invalid peer values, tampered SK
 * payloads and bad padding are refused; secrets are wiped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "ike_crypto.h"
#include "ike_msg.h"

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;

	while (s[0] && s[1]) {
		unsigned v;

		if (s[0] == ' ') {
			s++;
			continue;
		}
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* ---- RFC 4231 ------------------------------------------------------------ */

static void check_hmac(uint16_t prf, const uint8_t *key, size_t klen,
		       const char *data, const char *expect_hex)
{
	uint8_t out[IKE_PRF_MAX], exp[IKE_PRF_MAX];
	struct ike_iov iov[2] = {
		/* split in two pieces: the scatter list must not matter */
		{ (const uint8_t *)data, strlen(data) / 2 },
		{ (const uint8_t *)data + strlen(data) / 2,
		  strlen(data) - strlen(data) / 2 },
	};
	size_t n = unhex(expect_hex, exp);

	assert_int_equal(n, ike_prf_len(prf));
	assert_int_equal(ike_prf(prf, key, klen, iov, 2, out), 0);
	assert_memory_equal(out, exp, n);
}

static void test_rfc4231(void **state)
{
	uint8_t k1[20], k6[131];
	const char *jefe = "Jefe";

	(void)state;
	memset(k1, 0x0b, sizeof(k1));
	memset(k6, 0xaa, sizeof(k6));
	/* test case 1 */
	check_hmac(IKE_PRF_HMAC_SHA2_256, k1, 20, "Hi There",
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_hmac(IKE_PRF_HMAC_SHA2_384, k1, 20, "Hi There",
		"afd03944d84895626b0825f4ab46907f15f9dadbe4101ec6"
		"82aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6");
	check_hmac(IKE_PRF_HMAC_SHA2_512, k1, 20, "Hi There",
		"87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		"daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
	/* test case 2 */
	check_hmac(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)jefe, 4,
		"what do ya want for nothing?",
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	check_hmac(IKE_PRF_HMAC_SHA2_384, (const uint8_t *)jefe, 4,
		"what do ya want for nothing?",
		"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47"
		"e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
	check_hmac(IKE_PRF_HMAC_SHA2_512, (const uint8_t *)jefe, 4,
		"what do ya want for nothing?",
		"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		"9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	/* test case 6: key longer than the block */
	check_hmac(IKE_PRF_HMAC_SHA2_256, k6, 131,
		"Test Using Larger Than Block-Size Key - Hash Key First",
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* unsupported PRF, empty key */
	assert_int_equal(ike_prf_len(2), 0);
	assert_int_equal(ike_prf(2, k1, 20, NULL, 0, k6), -1);
	assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA2_256, k1, 0, NULL, 0, k6), -1);
}

/* prf+ is T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n): check the
 * definition directly with ike_prf, over several blocks and a cut one */
static void test_prf_plus_definition(void **state)
{
	static const uint8_t key[] = "prf+ key", seed[] = "seed octets";
	uint8_t out[200], t[IKE_PRF_MAX], n;
	struct ike_iov s = { seed, sizeof(seed) }, iov[3];
	size_t off = 0;

	(void)state;
	assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA2_384, key, sizeof(key),
				      &s, 1, out, 150), 0);
	for (n = 1; off < 150; n++) {
		unsigned k = 0;

		if (n > 1)
			iov[k++] = (struct ike_iov){ t, 48 };
		iov[k++] = s;
		iov[k++] = (struct ike_iov){ &n, 1 };
		assert_int_equal(ike_prf(IKE_PRF_HMAC_SHA2_384, key, sizeof(key),
					 iov, k, t), 0);
		assert_memory_equal(out + off, t, off + 48 > 150 ? 150 - off : 48);
		off += 48;
	}
	/* at most 255 blocks */
	assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, key, sizeof(key),
				      &s, 1, out, 255 * 32 + 1), -1);
}

/* ---- key exchange ---------------------------------------------------------- */

static void test_rfc7748_x25519(void **state)
{
	uint8_t a_priv[32], b_priv[32], a_pub[32], b_pub[32], k[32];
	uint8_t out[64], z[32] = { 0 };
	struct ike_dh a, b;

	(void)state;
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a_priv);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", a_pub);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b_priv);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", b_pub);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", k);
	assert_int_equal(ike_dh_set_private(&a, IKE_DH_CURVE25519, a_priv, 32), 0);
	assert_int_equal(ike_dh_set_private(&b, IKE_DH_CURVE25519, b_priv, 32), 0);
	assert_int_equal(ike_dh_public(&a, out, sizeof(out)), 32);
	assert_memory_equal(out, a_pub, 32);
	assert_int_equal(ike_dh_public(&b, out, sizeof(out)), 32);
	assert_memory_equal(out, b_pub, 32);
	assert_int_equal(ike_dh_derive(&a, b_pub, 32, out, sizeof(out)), 32);
	assert_memory_equal(out, k, 32);
	assert_int_equal(ike_dh_derive(&b, a_pub, 32, out, sizeof(out)), 32);
	assert_memory_equal(out, k, 32);
	/* wrong length, and the all-zero point (low order: zero result) */
	assert_int_equal(ike_dh_derive(&a, b_pub, 31, out, sizeof(out)), 0);
	assert_int_equal(ike_dh_derive(&a, z, 32, out, sizeof(out)), 0);
	/* output buffer too small */
	assert_int_equal(ike_dh_derive(&a, b_pub, 32, out, 31), 0);
	assert_int_equal(ike_dh_public(&a, out, 31), 0);
	ike_dh_free(&a);
	ike_dh_free(&b);
	assert_null(a.pkey);
}

static void test_rfc5903_ecp256(void **state)
{
	uint8_t i[32], r[32], gi[64], gr[64], gir[32], out[64];
	struct ike_dh a, b;

	(void)state;
	unhex("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433", i);
	unhex("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
	      "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3", gi);
	unhex("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53", r);
	unhex("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
	      "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB", gr);
	unhex("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE", gir);
	assert_int_equal(ike_dh_set_private(&a, IKE_DH_ECP256, i, 32), 0);
	assert_int_equal(ike_dh_set_private(&b, IKE_DH_ECP256, r, 32), 0);
	/* the KE payload carries x || y (RFC 5903 section 7) */
	assert_int_equal(ike_dh_public(&a, out, sizeof(out)), 64);
	assert_memory_equal(out, gi, 64);
	assert_int_equal(ike_dh_public(&b, out, sizeof(out)), 64);
	assert_memory_equal(out, gr, 64);
	/* g^ir is the x coordinate */
	assert_int_equal(ike_dh_derive(&a, gr, 64, out, sizeof(out)), 32);
	assert_memory_equal(out, gir, 32);
	assert_int_equal(ike_dh_derive(&b, gi, 64, out, sizeof(out)), 32);
	assert_memory_equal(out, gir, 32);
	/* a point off the curve, a truncated one, and the 65-octet form */
	gr[63] ^= 1;
	assert_int_equal(ike_dh_derive(&a, gr, 64, out, sizeof(out)), 0);
	gr[63] ^= 1;
	assert_int_equal(ike_dh_derive(&a, gr, 63, out, sizeof(out)), 0);
	assert_int_equal(ike_dh_derive(&a, gr, 65, out, sizeof(out)), 0);
	memset(gr, 0, 64);
	assert_int_equal(ike_dh_derive(&a, gr, 64, out, sizeof(out)), 0);
	ike_dh_free(&a);
	ike_dh_free(&b);
}

/* Fresh key pairs on both sides agree, for every group. */
static void test_dh_agree(void **state)
{
	static const uint16_t groups[] = {
		IKE_DH_CURVE25519, IKE_DH_ECP256, IKE_DH_MODP2048,
	};
	uint8_t pa[IKE_DH_PUB_MAX], pb[IKE_DH_PUB_MAX];
	uint8_t ka[IKE_DH_SECRET_MAX], kb[IKE_DH_SECRET_MAX];
	unsigned g;

	(void)state;
	for (g = 0; g < 3; g++) {
		struct ike_dh a, b;
		size_t la, lb, n = ike_dh_pub_len(groups[g]);

		assert_int_equal(ike_dh_new(&a, groups[g]), 0);
		assert_int_equal(ike_dh_new(&b, groups[g]), 0);
		la = ike_dh_public(&a, pa, sizeof(pa));
		lb = ike_dh_public(&b, pb, sizeof(pb));
		assert_int_equal(la, n);
		assert_int_equal(lb, n);
		assert_memory_not_equal(pa, pb, n);
		la = ike_dh_derive(&a, pb, lb, ka, sizeof(ka));
		lb = ike_dh_derive(&b, pa, la ? n : 0, kb, sizeof(kb));
		assert_int_equal(la, groups[g] == IKE_DH_MODP2048 ? 256 : 32);
		assert_int_equal(la, lb);
		assert_memory_equal(ka, kb, la);
		/* a peer value of another group's size is refused */
		assert_int_equal(ike_dh_derive(&a, pb, n == 32 ? 64 : 32, ka,
					       sizeof(ka)), 0);
		ike_dh_free(&a);
		ike_dh_free(&b);
	}
	assert_int_equal(ike_dh_new(&(struct ike_dh){ 0 }, 15), -1);
	assert_int_equal(ike_dh_pub_len(15), 0);
}

/*
 * MODP-2048 with known exponents: g^x from the exponent is padded to 256
 * octets; small-subgroup peer values (0, 1, p-1) and y >= p are refused.
 */
static void test_modp2048(void **state)
{
	uint8_t x[32], y[32], pub[256], pub2[256], k1[256], k2[256], bad[256];
	struct ike_dh a, b;
	size_t n;

	(void)state;
	memset(x, 0, sizeof(x));
	x[31] = 1;	/* x = 1: g^x = 2, a value with leading zeros */
	memset(y, 0x5c, sizeof(y));
	assert_int_equal(ike_dh_set_private(&a, IKE_DH_MODP2048, x, 32), 0);
	assert_int_equal(ike_dh_set_private(&b, IKE_DH_MODP2048, y, 32), 0);
	assert_int_equal(ike_dh_public(&a, pub, sizeof(pub)), 256);
	memset(bad, 0, sizeof(bad));
	bad[255] = 2;
	assert_memory_equal(pub, bad, 256);
	assert_int_equal(ike_dh_public(&b, pub2, sizeof(pub2)), 256);
	/* b derives (g^y)^1 = g^y = its own public value, padded */
	n = ike_dh_derive(&b, pub, 256, k2, sizeof(k2));
	assert_int_equal(n, 256);
	assert_memory_equal(k2, pub2, 256);
	assert_int_equal(ike_dh_derive(&a, pub2, 256, k1, sizeof(k1)), 256);
	assert_memory_equal(k1, k2, 256);
	/* 0, 1, p - 1, p, all-ones */
	memset(bad, 0, sizeof(bad));
	assert_int_equal(ike_dh_derive(&a, bad, 256, k1, sizeof(k1)), 0);
	bad[255] = 1;
	assert_int_equal(ike_dh_derive(&a, bad, 256, k1, sizeof(k1)), 0);
	/* p = 2^2048 - 2^1984 - 1 + 2^64 * (...): all-ones is > p */
	memset(bad, 0xff, sizeof(bad));
	assert_int_equal(ike_dh_derive(&a, bad, 256, k1, sizeof(k1)), 0);
	/* RFC 3526 p starts and ends with 64 one bits: p - 1 ends in ...fe */
	{
		static const char *p_hex =
			"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
			"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
			"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
			"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
			"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
			"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
			"83655D23DCA3AD961C62F356208552BB9ED529077096966D"
			"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
			"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
			"DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
			"15728E5A8AACAA68FFFFFFFFFFFFFFFF";

		assert_int_equal(unhex(p_hex, bad), 256);
		assert_int_equal(ike_dh_derive(&a, bad, 256, k1, sizeof(k1)), 0);
		bad[255] = 0xfe;	/* p - 1 */
		assert_int_equal(ike_dh_derive(&a, bad, 256, k1, sizeof(k1)), 0);
	}
	/* shorter than the modulus: the KE data must be padded */
	assert_int_equal(ike_dh_derive(&a, pub2 + 1, 255, k1, sizeof(k1)), 0);
	ike_dh_free(&a);
	ike_dh_free(&b);
}

/* ---- independent reference (test/ike/ike_ref_vectors.py) ---------------- */

static const uint8_t v1_sk_d[32] = {
	0xb4, 0xc9, 0xe8, 0xa1, 0x40, 0xdc, 0xf3, 0x8e,
	0x4b, 0xa3, 0x32, 0xe7, 0xd8, 0x83, 0x5d, 0x40,
	0x98, 0xcb, 0x5a, 0x38, 0xaa, 0x87, 0x35, 0xd6,
	0x30, 0xc8, 0xe5, 0x22, 0x01, 0x8c, 0x96, 0xd4
};
static const uint8_t v1_sk_ei[36] = {
	0x38, 0x5e, 0xa3, 0xd9, 0x2a, 0x2a, 0x2e, 0x12,
	0x29, 0x66, 0x2b, 0xf7, 0x05, 0xfd, 0x3c, 0x16,
	0x49, 0x2b, 0x6e, 0xab, 0x25, 0xb9, 0xa6, 0x29,
	0xd8, 0x0e, 0xe4, 0x51, 0xb3, 0x4b, 0x7f, 0xbe,
	0xd2, 0x9a, 0x3d, 0xba
};
static const uint8_t v1_sk_er[36] = {
	0xe9, 0xa9, 0x60, 0x0a, 0x68, 0x65, 0x2a, 0xd7,
	0x12, 0x8b, 0x64, 0xc7, 0x90, 0x8b, 0x03, 0x6d,
	0x43, 0xb4, 0xa3, 0x0b, 0x3f, 0xa2, 0x5f, 0x85,
	0x75, 0x47, 0x65, 0x68, 0x80, 0xf1, 0x4c, 0x9d,
	0xdb, 0xe6, 0x6e, 0x6b
};
static const uint8_t v1_sk_pi[32] = {
	0x28, 0x86, 0x7c, 0x33, 0xf7, 0x47, 0x57, 0xcf,
	0x0a, 0x39, 0xc3, 0x0d, 0xf8, 0x86, 0xae, 0xda,
	0x48, 0xd1, 0xf8, 0xaf, 0xaf, 0xee, 0x7d, 0x96,
	0x34, 0x91, 0xcc, 0x9e, 0x5e, 0x4f, 0x30, 0x00
};
static const uint8_t v1_sk_pr[32] = {
	0x6b, 0x73, 0x98, 0x3f, 0x52, 0xa0, 0x2d, 0xa2,
	0xfd, 0x93, 0xa8, 0xf1, 0xb7, 0xbc, 0x78, 0x4a,
	0xed, 0xcc, 0x94, 0x0f, 0xcc, 0x30, 0xdd, 0xee,
	0xd9, 0xbd, 0x39, 0x9d, 0xe9, 0x1b, 0x85, 0x8f
};
static const uint8_t v2_sk_d[48] = {
	0x67, 0x42, 0x4b, 0x80, 0x46, 0xdf, 0xc0, 0x86,
	0x1c, 0xaf, 0xc5, 0x75, 0x74, 0x7f, 0x40, 0x05,
	0xf3, 0xc2, 0x98, 0xda, 0xed, 0xeb, 0x22, 0x68,
	0xd8, 0xba, 0x91, 0xa8, 0x5d, 0x90, 0x76, 0x3c,
	0x2e, 0x6c, 0xab, 0xb0, 0xbf, 0x45, 0x2c, 0xca,
	0x18, 0x86, 0x5a, 0xe8, 0xb2, 0xe2, 0x52, 0xe4
};
static const uint8_t v2_sk_ei[36] = {
	0xce, 0x4d, 0x80, 0x7a, 0x4a, 0x75, 0xae, 0xbd,
	0xad, 0xb8, 0x77, 0xdd, 0x45, 0xa3, 0x7c, 0xfb,
	0x8e, 0x78, 0x60, 0xcb, 0x83, 0x0f, 0xc5, 0x98,
	0xd9, 0xcd, 0xfc, 0x7e, 0x5e, 0x87, 0xab, 0x97,
	0xd0, 0x44, 0x7f, 0xcd
};
static const uint8_t v2_sk_er[36] = {
	0x2d, 0x0a, 0xe7, 0xed, 0x74, 0x8f, 0xf5, 0xfa,
	0x2a, 0xf8, 0x78, 0x4a, 0x1d, 0xb7, 0x9c, 0x52,
	0x41, 0x98, 0xb7, 0xbb, 0x36, 0x38, 0x94, 0xdc,
	0xe8, 0xf4, 0x2c, 0xb4, 0x48, 0xde, 0x67, 0x0e,
	0xf0, 0x2c, 0x37, 0x78
};
static const uint8_t v2_sk_pi[48] = {
	0x08, 0xf8, 0x5a, 0x12, 0x69, 0x12, 0x1d, 0xc1,
	0xb4, 0x18, 0x15, 0x96, 0x2b, 0x97, 0xfd, 0x8b,
	0x44, 0x5e, 0x4f, 0x69, 0x89, 0xb5, 0x79, 0x48,
	0x21, 0x01, 0x24, 0xf9, 0x13, 0xd0, 0x24, 0xb9,
	0xf0, 0x1a, 0x5e, 0xd1, 0x28, 0x97, 0x84, 0x4a,
	0x18, 0x6c, 0x82, 0x13, 0xd8, 0x83, 0xec, 0x91
};
static const uint8_t v2_sk_pr[48] = {
	0x58, 0x3f, 0x03, 0x34, 0xa2, 0x97, 0x24, 0x0d,
	0xa7, 0xfd, 0x4e, 0x3e, 0x58, 0x5c, 0x35, 0xc8,
	0x69, 0x50, 0x7c, 0x8c, 0x02, 0xb6, 0x01, 0xae,
	0x27, 0x8f, 0xd7, 0x2f, 0xdf, 0xc3, 0xca, 0x93,
	0xd3, 0x7f, 0x92, 0xf5, 0x12, 0x27, 0xa5, 0xb3,
	0x29, 0x14, 0x6e, 0x6a, 0x2a, 0xf0, 0x5a, 0xfe
};
static const uint8_t v1_child_i[20] = {
	0x59, 0x3b, 0x94, 0x59, 0x88, 0xb1, 0x12, 0x18,
	0xed, 0x63, 0x1b, 0x26, 0x4a, 0x53, 0xd6, 0x9c,
	0x95, 0xbd, 0x3e, 0xa5
};
static const uint8_t v1_child_r[20] = {
	0xcd, 0xa7, 0x0c, 0xa5, 0x43, 0x30, 0x71, 0x5b,
	0x17, 0xd5, 0x79, 0x18, 0xd3, 0xcf, 0xe2, 0x7b,
	0xc1, 0x22, 0x2a, 0x4c
};
static const uint8_t v2_child_i[36] = {
	0x80, 0x12, 0xca, 0xc8, 0xbd, 0xc2, 0x90, 0x49,
	0xc8, 0xd7, 0x12, 0x18, 0x8a, 0xf2, 0x4e, 0x81,
	0x88, 0x3d, 0xbb, 0xb9, 0x4f, 0xf8, 0x4c, 0xae,
	0x05, 0xe9, 0xa9, 0x63, 0x4b, 0x9c, 0x07, 0x36,
	0x65, 0x9a, 0x2a, 0x93
};
static const uint8_t v2_child_r[36] = {
	0x81, 0xcd, 0x2a, 0xd4, 0xc7, 0xbd, 0x2e, 0x4e,
	0xae, 0x9a, 0x5c, 0xe2, 0x04, 0x79, 0x97, 0x23,
	0x4a, 0x2c, 0x24, 0xfb, 0xdb, 0x51, 0x32, 0x3a,
	0xfb, 0x95, 0x2b, 0x4e, 0xc6, 0x63, 0xe1, 0x80,
	0x34, 0x8a, 0x81, 0xa9
};
static const uint8_t v3_sk_d[48] = {
	0x67, 0x9f, 0x61, 0x97, 0x06, 0xf0, 0xe8, 0x21,
	0x0c, 0x4c, 0x40, 0x46, 0x12, 0x92, 0xb4, 0x76,
	0xa0, 0xe9, 0xdf, 0x74, 0x6b, 0xfc, 0x1d, 0xb0,
	0xb2, 0xd2, 0x9e, 0x4e, 0x8f, 0x32, 0x01, 0xd8,
	0xdc, 0x62, 0x60, 0x40, 0xcb, 0x9e, 0x2c, 0xcf,
	0x7a, 0x3a, 0x52, 0x1c, 0x8c, 0x6b, 0x0d, 0x00
};
static const uint8_t v3_sk_ei[36] = {
	0xa5, 0xc6, 0x90, 0x1e, 0x5e, 0xf1, 0xfd, 0xbc,
	0xdb, 0x00, 0xd8, 0x69, 0xf5, 0x30, 0x23, 0x63,
	0xb7, 0x34, 0x33, 0x94, 0x28, 0xf0, 0xdd, 0xe6,
	0x5e, 0x5b, 0xf3, 0xa9, 0xed, 0xde, 0xc0, 0xe1,
	0x80, 0x04, 0x6c, 0x6a
};
static const uint8_t v1_auth_i[32] = {
	0x2f, 0x25, 0xdd, 0x3e, 0x54, 0xb3, 0x81, 0xa6,
	0x70, 0x40, 0x21, 0x4f, 0xaf, 0xa7, 0xef, 0xae,
	0x63, 0x0f, 0xd8, 0x06, 0x32, 0x8f, 0x23, 0x3a,
	0x5e, 0xd3, 0xc8, 0x1b, 0xdf, 0xe9, 0xad, 0x8f
};
static const uint8_t v1_sk_msg[65] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	0x2e, 0x20, 0x23, 0x08, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x41, 0x29, 0x00, 0x00, 0x25,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0x29, 0x17, 0xfc, 0xf8, 0xf5, 0x92, 0x34, 0xb5,
	0x61, 0x80, 0x9f, 0xf5, 0x98, 0x6a, 0x0c, 0x94,
	0x40, 0x7f, 0xcf, 0xf0, 0x98, 0xed, 0x7d, 0xff,
	0x82
};
static const uint8_t v2_sk_msg[65] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	0x2e, 0x20, 0x23, 0x08, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x41, 0x29, 0x00, 0x00, 0x25,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xb8, 0x72, 0xa0, 0x81, 0x24, 0xb4, 0x75, 0x4e,
	0x83, 0xe3, 0x2a, 0xcb, 0x99, 0x75, 0x62, 0x89,
	0x6e, 0x70, 0xb4, 0x28, 0xab, 0x96, 0xde, 0x26,
	0x61
};
static const uint8_t v_natd[20] = {
	0xd2, 0xca, 0x7a, 0xf9, 0xcc, 0x00, 0x67, 0xdc,
	0x3e, 0x83, 0xd5, 0x4d, 0x27, 0x42, 0x08, 0xc5,
	0x7c, 0x10, 0x2a, 0xb3
};

static uint8_t NI[32], NR[32];
static const uint8_t SPII[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t SPIR[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
static const uint8_t GIR[32] = {	/* the RFC 7748 shared secret */
	0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1,
	0x72, 0x8e, 0x3b, 0xf4, 0x80, 0x35, 0x0f, 0x25,
	0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33,
	0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42,
};

static const struct ike_suite suite1 = {
	.encr = IKE_ENCR_AES_GCM_16, .encr_keylen = 256,
	.prf = IKE_PRF_HMAC_SHA2_256, .dh = IKE_DH_CURVE25519,
};
static const struct ike_suite suite2 = {
	.encr = IKE_ENCR_CHACHA20_POLY1305,
	.prf = IKE_PRF_HMAC_SHA2_384, .dh = IKE_DH_CURVE25519,
};

static void test_ike_keys(void **state)
{
	struct ike_sa_keys k, k3;
	struct ike_suite bad = suite1;

	(void)state;
	assert_int_equal(ike_derive_ike_keys(&suite1, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), 0);
	assert_int_equal(k.prf_len, 32);
	assert_int_equal(k.ekey_len, 36);
	assert_memory_equal(k.sk_d, v1_sk_d, 32);
	assert_memory_equal(k.sk_ei, v1_sk_ei, 36);
	assert_memory_equal(k.sk_er, v1_sk_er, 36);
	assert_memory_equal(k.sk_pi, v1_sk_pi, 32);
	assert_memory_equal(k.sk_pr, v1_sk_pr, 32);

	/* 2.18 rekey from suite 1's SK_d into suite 2 with swapped SPIs */
	assert_int_equal(ike_derive_ike_keys_rekey(&k, &suite2, NI, 32, NR, 32,
						   GIR, 32, SPIR, SPII, &k3), 0);
	assert_int_equal(k3.prf_len, 48);
	assert_memory_equal(k3.sk_d, v3_sk_d, 48);
	assert_memory_equal(k3.sk_ei, v3_sk_ei, 36);

	assert_int_equal(ike_derive_ike_keys(&suite2, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), 0);
	assert_int_equal(k.prf_len, 48);
	assert_int_equal(k.ekey_len, 36);
	assert_memory_equal(k.sk_d, v2_sk_d, 48);
	assert_memory_equal(k.sk_ei, v2_sk_ei, 36);
	assert_memory_equal(k.sk_er, v2_sk_er, 36);
	assert_memory_equal(k.sk_pi, v2_sk_pi, 48);
	assert_memory_equal(k.sk_pr, v2_sk_pr, 48);

	/* unsupported algorithms */
	bad.encr_keylen = 100;
	assert_int_equal(ike_derive_ike_keys(&bad, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), -1);
	bad = suite1;
	bad.prf = 2;	/* HMAC-SHA1 */
	assert_int_equal(ike_derive_ike_keys(&bad, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), -1);
	bad = suite1;
	bad.encr = 12;	/* AES-CBC: not an AEAD */
	assert_int_equal(ike_derive_ike_keys(&bad, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), -1);
	ike_sa_keys_wipe(&k);
	ike_sa_keys_wipe(&k3);
}

static void test_child_keys(void **state)
{
	struct ike_sa_keys k;
	struct ike_child_keys c;
	static const uint8_t zero[sizeof(c)];

	(void)state;
	assert_int_equal(ike_derive_ike_keys(&suite1, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), 0);
	/* AES-128-GCM ESP: 16-octet key || 4-octet salt per direction */
	assert_int_equal(ike_derive_child_keys(&k, IKE_ENCR_AES_GCM_16, 128,
					       NULL, 0, NI, 32, NR, 32, &c), 0);
	assert_int_equal(c.key_len, 16);
	assert_memory_equal(c.encr_i, v1_child_i, 20);
	assert_memory_equal(c.encr_r, v1_child_r, 20);
	ike_child_keys_wipe(&c);
	assert_memory_equal(&c, zero, sizeof(c));
	/* ChaCha20-Poly1305 with PFS (g^ir first in the seed) */
	assert_int_equal(ike_derive_ike_keys(&suite2, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), 0);
	assert_int_equal(ike_derive_child_keys(&k, IKE_ENCR_CHACHA20_POLY1305,
					       0, GIR, 32, NI, 32, NR, 32,
					       &c), 0);
	assert_int_equal(c.key_len, 32);
	assert_memory_equal(c.encr_i, v2_child_i, 36);
	assert_memory_equal(c.encr_r, v2_child_r, 36);
	/* AES-GCM without a key length is not a valid ESP transform */
	assert_int_equal(ike_derive_child_keys(&k, IKE_ENCR_AES_GCM_16, 0,
					       NULL, 0, NI, 32, NR, 32, &c), -1);
	ike_child_keys_wipe(&c);
	ike_sa_keys_wipe(&k);
	assert_int_equal(k.prf_len, 0);
	assert_int_equal(k.sk_d[0] | k.sk_ei[35] | k.sk_pr[31], 0);
}

/* The inner chain of the reference SK messages: N(INITIAL_CONTACT). */
static const uint8_t inner_n[] = { 0, 0, 0, 8, 0, 0, 0x40, 0x00 };
static const uint8_t IV[8] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7 };

static void check_sk(const struct ike_suite *s, const uint8_t *ref,
		     size_t ref_len)
{
	struct ike_sa_keys k;
	struct ike_sk_key out_i, in_r, in_i;
	struct ike_msg m, p;
	uint8_t msg[256], plain[256], bad[256];
	size_t len;

	assert_int_equal(ike_derive_ike_keys(s, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), 0);
	out_i = ike_sk_key_out(&k, true);
	in_r = ike_sk_key_in(&k, false);
	in_i = ike_sk_key_in(&k, true);
	assert_ptr_equal(out_i.key, k.sk_ei);
	assert_ptr_equal(in_r.key, k.sk_ei);
	assert_ptr_equal(in_i.key, k.sk_er);

	/* initiator seals: byte-identical to the reference message */
	ike_msg_init(&m, SPII, SPIR, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	assert_non_null(ike_msg_add(&m, IKE_PL_SK));
	assert_int_equal(ike_sk_seal(&out_i, &m, IKE_PL_NOTIFY, inner_n,
				     sizeof(inner_n), IV, msg, sizeof(msg),
				     &len), IKE_OK);
	assert_int_equal(len, ref_len);
	assert_memory_equal(msg, ref, len);

	/* responder opens the reference message */
	assert_int_equal(ike_msg_parse(&p, ref, ref_len), IKE_OK);
	assert_int_equal(ike_sk_open(&in_r, &p, ref, ref_len, plain,
				     sizeof(plain)), IKE_OK);
	assert_int_equal(p.n_pl, 2);
	assert_int_equal(p.order[1].type, IKE_PL_NOTIFY);
	assert_non_null(ike_msg_notify(&p, IKE_N_INITIAL_CONTACT));

	/* the wrong direction's key fails the ICV */
	assert_int_equal(ike_msg_parse(&p, ref, ref_len), IKE_OK);
	assert_int_equal(ike_sk_open(&in_i, &p, ref, ref_len, plain,
				     sizeof(plain)), IKE_ERR_SK_AUTH);

	/* any flipped bit (header = AAD, SK header, IV, data, ICV) fails;
	 * flips that break the parse never reach the ICV */
	for (size_t i = 0; i < ref_len; i++) {
		enum ike_reason r;

		memcpy(bad, ref, ref_len);
		bad[i] ^= 0x04;
		r = ike_msg_parse(&p, bad, ref_len);
		if (r != IKE_OK)
			continue;
		r = ike_sk_open(&in_r, &p, bad, ref_len, plain, sizeof(plain));
		assert_int_not_equal(r, IKE_OK);
	}
	/* output buffer too small for the plaintext */
	assert_int_equal(ike_msg_parse(&p, ref, ref_len), IKE_OK);
	assert_int_equal(ike_sk_open(&in_r, &p, ref, ref_len, plain, 8),
			 IKE_ERR_NO_SPACE);
	ike_sa_keys_wipe(&k);
}

static void test_sk_reference(void **state)
{
	(void)state;
	check_sk(&suite1, v1_sk_msg, sizeof(v1_sk_msg));	/* AES-256-GCM */
	check_sk(&suite2, v2_sk_msg, sizeof(v2_sk_msg));	/* ChaCha20 */
}

/*
 * A full IKE_AUTH-like exchange in both directions for each SK cipher:
 * plain payloads + SK, padding stripped, inner payloads parsed; a bad
 * pad length is refused even with a valid ICV.
 */
static void test_sk_roundtrip(void **state)
{
	static const uint16_t keylens[] = { 128, 256 };
	struct ike_suite s = suite1;
	unsigned i;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct ike_sa_keys k;
		struct ike_sk_key ko, ki;
		struct ike_msg m, p, inner;
		struct ike_id *id;
		struct ike_notify *n;
		uint8_t pl[512], msg[1024], plain[1024], iv[8];
		size_t pl_len, len;
		uint8_t first;

		if (i < 2) {
			s.encr = IKE_ENCR_AES_GCM_16;
			s.encr_keylen = keylens[i];
		} else {
			s = suite2;
		}
		assert_int_equal(ike_derive_ike_keys(&s, NI, 32, NR, 32, GIR,
						     32, SPII, SPIR, &k), 0);
		ko = ike_sk_key_out(&k, false);	/* responder sends */
		ki = ike_sk_key_in(&k, true);	/* initiator receives */
		ike_msg_init(&inner, SPII, SPIR, IKE_AUTH, 0, 1);
		id = ike_msg_add(&inner, IKE_PL_IDR);
		id->type = IKE_ID_FQDN;
		id->data = (struct ike_view){ (const uint8_t *)"gw-b.example", 12 };
		n = ike_msg_add(&inner, IKE_PL_NOTIFY);
		n->type = IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED;
		assert_int_equal(ike_msg_build_payloads(&inner, 0, inner.n_pl, pl,
					sizeof(pl), &pl_len, &first), IKE_OK);

		ike_msg_init(&m, SPII, SPIR, IKE_AUTH, IKE_FLAG_RESPONSE, 1);
		n = ike_msg_add(&m, IKE_PL_NOTIFY);	/* unencrypted one */
		n->type = IKE_N_COOKIE;
		assert_non_null(ike_msg_add(&m, IKE_PL_SK));
		assert_int_equal(ike_random(iv, 8), 0);
		assert_int_equal(ike_sk_seal(&ko, &m, first, pl, pl_len, iv, msg,
					     sizeof(msg), &len), IKE_OK);
		assert_int_equal(len, IKE_HDR_LEN + 8 + 4 +
				 ike_sk_body_len(pl_len));
		assert_int_equal(ike_msg_parse(&p, msg, len), IKE_OK);
		assert_int_equal(p.sk.offset, IKE_HDR_LEN + 8);
		assert_int_equal(ike_sk_open(&ki, &p, msg, len, plain,
					     sizeof(plain)), IKE_OK);
		assert_int_equal(p.n_pl, 4);
		assert_int_equal(p.idr.type, IKE_ID_FQDN);
		assert_memory_equal(p.idr.data.p, "gw-b.example", 12);
		assert_int_equal(p.n_notify, 2);

		/* trailing octets inside the SK payload are refused */
		ike_msg_init(&m, SPII, SPIR, IKE_AUTH, IKE_FLAG_RESPONSE, 2);
		assert_non_null(ike_msg_add(&m, IKE_PL_SK));
		pl[pl_len] = 0x77;
		assert_int_equal(ike_sk_seal(&ko, &m, first, pl, pl_len + 1, iv,
					     msg, sizeof(msg), &len), IKE_OK);
		assert_int_equal(ike_msg_parse(&p, msg, len), IKE_OK);
		assert_int_equal(ike_sk_open(&ki, &p, msg, len, plain,
					     sizeof(plain)), IKE_ERR_TRAILING);
		ike_sa_keys_wipe(&k);
	}
}

/*
 * Seals plaintext `pt` (which carries its own padding and pad length) with
 * AES-256-GCM the way RFC 5282 says, independently of ike_sk_seal, so that
 * the receiver's padding checks can be reached with a valid ICV.
 */
static size_t seal_raw(const struct ike_sa_keys *k, const uint8_t *pt,
		       size_t n, uint8_t *msg)
{
	struct ike_msg m;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	size_t len, off;
	int outl;

	ike_msg_init(&m, SPII, SPIR, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	assert_non_null(ike_msg_add(&m, IKE_PL_SK));
	m.sk.inner_next = IKE_PL_NOTIFY;
	assert_int_equal(ike_msg_build(&m, msg, 512, &len, 8 + n + 16), IKE_OK);
	off = m.sk.offset + 4;
	memcpy(msg + off, IV, 8);
	memcpy(nonce, k->sk_ei + 32, 4);
	memcpy(nonce + 4, IV, 8);
	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->sk_ei,
					    nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &outl, msg, (int)off), 1);
	assert_int_equal(EVP_EncryptUpdate(c, msg + off + 8, &outl, pt, (int)n), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, msg + off + 8 + n, &outl), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16,
					     msg + off + 8 + n), 1);
	EVP_CIPHER_CTX_free(c);
	return len;
}

static void test_sk_padding(void **state)
{
	struct ike_sa_keys k;
	struct ike_sk_key kin;
	struct ike_msg p;
	uint8_t pt[64], msg[512], plain[512];
	size_t len;

	(void)state;
	assert_int_equal(ike_derive_ike_keys(&suite1, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), 0);
	kin = ike_sk_key_in(&k, false);
	/* N(INITIAL_CONTACT), 3 pad octets, pad length 3: accepted */
	memcpy(pt, inner_n, 8);
	memset(pt + 8, 0xee, 3);
	pt[11] = 3;
	len = seal_raw(&k, pt, 12, msg);
	assert_int_equal(ike_msg_parse(&p, msg, len), IKE_OK);
	assert_int_equal(ike_sk_open(&kin, &p, msg, len, plain, sizeof(plain)),
			 IKE_OK);
	assert_non_null(ike_msg_notify(&p, IKE_N_INITIAL_CONTACT));
	/* pad length 11: all but the pad length octet is padding, the inner
	 * chain then is empty but the SK names a Notify: truncated */
	pt[11] = 11;
	len = seal_raw(&k, pt, 12, msg);
	assert_int_equal(ike_msg_parse(&p, msg, len), IKE_OK);
	assert_int_equal(ike_sk_open(&kin, &p, msg, len, plain, sizeof(plain)),
			 IKE_ERR_PL_TRUNCATED);
	/* pad length 12 and 255: more than the plaintext holds */
	pt[11] = 12;
	len = seal_raw(&k, pt, 12, msg);
	assert_int_equal(ike_msg_parse(&p, msg, len), IKE_OK);
	assert_int_equal(ike_sk_open(&kin, &p, msg, len, plain, sizeof(plain)),
			 IKE_ERR_SK_PAD);
	pt[11] = 255;
	len = seal_raw(&k, pt, 12, msg);
	assert_int_equal(ike_msg_parse(&p, msg, len), IKE_OK);
	assert_int_equal(ike_sk_open(&kin, &p, msg, len, plain, sizeof(plain)),
			 IKE_ERR_SK_PAD);
	ike_sa_keys_wipe(&k);
}

static void test_psk_auth(void **state)
{
	struct ike_sa_keys k;
	static const uint8_t psk[] = "test-only-rig-psk-not-a-secret";
	static const uint8_t idb[] = { 1, 0, 0, 0, 198, 18, 4, 1 };
	uint8_t real[100], out[IKE_PRF_MAX], out2[IKE_PRF_MAX];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(real); i++)
		real[i] = (uint8_t)i;
	assert_int_equal(ike_derive_ike_keys(&suite1, NI, 32, NR, 32, GIR, 32,
					     SPII, SPIR, &k), 0);
	assert_int_equal(ike_psk_auth(IKE_PRF_HMAC_SHA2_256, psk,
				      sizeof(psk) - 1, real, sizeof(real), NR,
				      32, k.sk_pi, k.prf_len, idb, sizeof(idb),
				      out, sizeof(out)), 32);
	assert_memory_equal(out, v1_auth_i, 32);
	assert_true(ike_auth_equal(out, v1_auth_i, 32));
	/* every input matters: another ID, nonce, key or PSK changes it */
	assert_int_equal(ike_psk_auth(IKE_PRF_HMAC_SHA2_256, psk,
				      sizeof(psk) - 1, real, sizeof(real), NI,
				      32, k.sk_pi, k.prf_len, idb, sizeof(idb),
				      out2, sizeof(out2)), 32);
	assert_false(ike_auth_equal(out, out2, 32));
	assert_int_equal(ike_psk_auth(IKE_PRF_HMAC_SHA2_256, psk,
				      sizeof(psk) - 1, real, sizeof(real), NR,
				      32, k.sk_pr, k.prf_len, idb, sizeof(idb),
				      out2, sizeof(out2)), 32);
	assert_false(ike_auth_equal(out, out2, 32));
	assert_int_equal(ike_psk_auth(IKE_PRF_HMAC_SHA2_256, psk,
				      sizeof(psk) - 2, real, sizeof(real), NR,
				      32, k.sk_pi, k.prf_len, idb, sizeof(idb),
				      out2, sizeof(out2)), 32);
	assert_false(ike_auth_equal(out, out2, 32));
	assert_int_equal(ike_psk_auth(IKE_PRF_HMAC_SHA2_256, psk,
				      sizeof(psk) - 1, real, sizeof(real), NR,
				      32, k.sk_pi, k.prf_len, idb, 7, out2,
				      sizeof(out2)), 32);
	assert_false(ike_auth_equal(out, out2, 32));
	/* output too small */
	assert_int_equal(ike_psk_auth(IKE_PRF_HMAC_SHA2_384, psk,
				      sizeof(psk) - 1, real, sizeof(real), NR,
				      32, k.sk_pi, k.prf_len, idb, sizeof(idb),
				      out2, 47), 0);
	ike_sa_keys_wipe(&k);
}

static void test_natd(void **state)
{
	static const uint8_t ip[4] = { 198, 18, 4, 1 };
	uint8_t h[20];

	(void)state;
	assert_int_equal(ike_natd_hash(SPII, SPIR, ip, 4, 500, h), 0);
	assert_memory_equal(h, v_natd, 20);
	assert_int_equal(ike_natd_hash(SPII, SPIR, ip, 5, 500, h), -1);
}

/* Initiator and responder, each with its own key pair, derive the same
 * IKE SA and CHILD_SA keys, for every group. */
static void test_two_sides(void **state)
{
	static const uint16_t groups[] = {
		IKE_DH_CURVE25519, IKE_DH_ECP256, IKE_DH_MODP2048,
	};
	unsigned g;

	(void)state;
	for (g = 0; g < 3; g++) {
		struct ike_dh i, r;
		struct ike_sa_keys ki, kr;
		struct ike_child_keys ci, cr;
		uint8_t gi[IKE_DH_PUB_MAX], gr[IKE_DH_PUB_MAX];
		uint8_t si[IKE_DH_SECRET_MAX], sr[IKE_DH_SECRET_MAX];
		uint8_t ni[32], nr[32], spi_i[8], spi_r[8];
		size_t li, lr;
		struct ike_suite s = suite1;

		s.dh = groups[g];
		assert_int_equal(ike_random(ni, 32) | ike_random(nr, 32) |
				 ike_random(spi_i, 8) | ike_random(spi_r, 8), 0);
		assert_int_equal(ike_dh_new(&i, s.dh), 0);
		assert_int_equal(ike_dh_new(&r, s.dh), 0);
		li = ike_dh_public(&i, gi, sizeof(gi));
		lr = ike_dh_public(&r, gr, sizeof(gr));
		li = ike_dh_derive(&i, gr, lr, si, sizeof(si));
		lr = ike_dh_derive(&r, gi, ike_dh_pub_len(s.dh), sr, sizeof(sr));
		assert_true(li > 0);
		assert_int_equal(li, lr);
		assert_int_equal(ike_derive_ike_keys(&s, ni, 32, nr, 32, si, li,
						     spi_i, spi_r, &ki), 0);
		assert_int_equal(ike_derive_ike_keys(&s, ni, 32, nr, 32, sr, lr,
						     spi_i, spi_r, &kr), 0);
		assert_memory_equal(&ki, &kr, sizeof(ki));
		assert_int_equal(ike_derive_child_keys(&ki, IKE_ENCR_AES_GCM_16,
				256, NULL, 0, ni, 32, nr, 32, &ci), 0);
		assert_int_equal(ike_derive_child_keys(&kr, IKE_ENCR_AES_GCM_16,
				256, NULL, 0, ni, 32, nr, 32, &cr), 0);
		assert_memory_equal(&ci, &cr, sizeof(ci));
		assert_memory_not_equal(ci.encr_i, ci.encr_r, 36);
		ike_child_keys_wipe(&ci);
		ike_child_keys_wipe(&cr);
		ike_sa_keys_wipe(&ki);
		ike_sa_keys_wipe(&kr);
		ike_dh_free(&i);
		ike_dh_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231),
		cmocka_unit_test(test_prf_plus_definition),
		cmocka_unit_test(test_rfc7748_x25519),
		cmocka_unit_test(test_rfc5903_ecp256),
		cmocka_unit_test(test_dh_agree),
		cmocka_unit_test(test_modp2048),
		cmocka_unit_test(test_ike_keys),
		cmocka_unit_test(test_child_keys),
		cmocka_unit_test(test_sk_reference),
		cmocka_unit_test(test_sk_roundtrip),
		cmocka_unit_test(test_sk_padding),
		cmocka_unit_test(test_psk_auth),
		cmocka_unit_test(test_natd),
		cmocka_unit_test(test_two_sides),
	};
	unsigned i;

	for (i = 0; i < 32; i++) {
		NI[i] = (uint8_t)i;
		NR[i] = (uint8_t)(0x40 + i);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
