/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 control-plane crypto over OpenSSL 3 EVP (never on a worker lcore):
 *  - PRF HMAC-SHA2-256/384/512 and prf+ (RFC 7296 2.13)
 *  - SKEYSEED and SK_d/ai/ar/ei/er/pi/pr (2.14, and 2.18 for IKE SA rekey)
 *  - CHILD_SA KEYMAT (2.17), split into key || 4-octet salt per direction
 *    for AES-GCM (RFC 4106 8.1) and ChaCha20-Poly1305 (RFC 7634 3)
 *  - key exchange: group 31 (X25519), 19 (ECP-256, RFC 5903 x || y),
 *    14 (MODP-2048, values padded to 256 octets)
 *  - the SK payload with AEAD (RFC 5282, RFC 7634): 8-octet IV, 16-octet
 *    ICV, AAD = IKE header .. end of the SK generic header
 *  - PSK AUTH (2.15) and NAT detection hashes (2.23)
 *
 * All functions return 0 on success and -1 on error unless stated; none
 * logs key material. Structs holding secrets are wiped by their *_wipe()
 * or *_free() (OPENSSL_cleanse); intermediate buffers are wiped too.
 */
#ifndef PMDVPN_IKE_CRYPTO_H
#define PMDVPN_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_msg.h"

#define IKE_PRF_MAX		64	/* HMAC-SHA2-512 output */
#define IKE_AEAD_IV_LEN		8
#define IKE_AEAD_ICV_LEN	16
#define IKE_AEAD_SALT_LEN	4
#define IKE_AEAD_KEY_MAX	32
#define IKE_KEYMAT_MAX		(IKE_AEAD_KEY_MAX + IKE_AEAD_SALT_LEN)
#define IKE_DH_PUB_MAX		256	/* MODP-2048 */
#define IKE_DH_SECRET_MAX	256

/* A scatter list entry, for prf/prf+ inputs made of several pieces. */
struct ike_iov {
	const uint8_t *p;
	size_t len;
};

/* Output length of a PRF transform ID, 0 if unsupported. */
size_t ike_prf_len(uint16_t prf_id);

/* out = prf(key, concat(iov)); out has ike_prf_len(prf_id) octets. */
int ike_prf(uint16_t prf_id, const uint8_t *key, size_t key_len,
	    const struct ike_iov *iov, unsigned n_iov, uint8_t *out);

/*
 * prf+ (2.13): T1 | T2 | ... truncated to out_len octets, with
 * Tn = prf(K, Tn-1 | S | n). At most 255 * prf length octets.
 */
int ike_prf_plus(uint16_t prf_id, const uint8_t *key, size_t key_len,
		 const struct ike_iov *seed, unsigned n_seed,
		 uint8_t *out, size_t out_len);

/* AEAD key length in octets (without salt) for ENCR id + Key Length bits. */
size_t ike_aead_key_len(uint16_t encr_id, uint16_t keylen_bits);

/* The algorithms of an IKE SA. */
struct ike_suite {
	uint16_t encr;		/* IKE_ENCR_AES_GCM_16 or _CHACHA20_POLY1305 */
	uint16_t encr_keylen;	/* bits: 128/256 for GCM, 0 or 256 for ChaCha */
	uint16_t prf;		/* IKE_PRF_HMAC_SHA2_* */
	uint16_t dh;		/* IKE_DH_* */
};

/* Keys of an IKE SA (2.14); SK_a* are empty with AEAD. */
struct ike_sa_keys {
	uint16_t prf;
	uint16_t encr;
	uint8_t prf_len;	/* length of SK_d, SK_pi, SK_pr */
	uint8_t ekey_len;	/* SK_e* length: AEAD key + 4-octet salt */
	uint8_t sk_d[IKE_PRF_MAX];
	uint8_t sk_pi[IKE_PRF_MAX];
	uint8_t sk_pr[IKE_PRF_MAX];
	uint8_t sk_ei[IKE_KEYMAT_MAX];
	uint8_t sk_er[IKE_KEYMAT_MAX];
};

/*
 * SKEYSEED = prf(Ni | Nr, g^ir);
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *	= prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 */
int ike_derive_ike_keys(const struct ike_suite *s,
			const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len,
			const uint8_t *g_ir, size_t g_ir_len,
			const uint8_t spi_i[8], const uint8_t spi_r[8],
			struct ike_sa_keys *out);

/*
 * IKE SA rekey (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr),
 * with the old SA's PRF; the new SA's keys as above with its new SPIs.
 */
int ike_derive_ike_keys_rekey(const struct ike_sa_keys *old,
			      const struct ike_suite *s,
			      const uint8_t *ni, size_t ni_len,
			      const uint8_t *nr, size_t nr_len,
			      const uint8_t *g_ir, size_t g_ir_len,
			      const uint8_t spi_i[8], const uint8_t spi_r[8],
			      struct ike_sa_keys *out);

void ike_sa_keys_wipe(struct ike_sa_keys *k);

/* ESP keys of a CHILD_SA, each direction key || 4-octet salt. */
struct ike_child_keys {
	uint8_t key_len;	/* AEAD key octets (16 or 32), without salt */
	uint8_t encr_i[IKE_KEYMAT_MAX];	/* initiator -> responder */
	uint8_t encr_r[IKE_KEYMAT_MAX];	/* responder -> initiator */
};

/*
 * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (2.17): the initiator's
 * outbound key || salt first, then the responder's (no integrity keys with
 * AEAD). g_ir may be NULL (no PFS).
 */
int ike_derive_child_keys(const struct ike_sa_keys *ike, uint16_t esp_encr,
			  uint16_t esp_keylen_bits,
			  const uint8_t *g_ir, size_t g_ir_len,
			  const uint8_t *ni, size_t ni_len,
			  const uint8_t *nr, size_t nr_len,
			  struct ike_child_keys *out);

void ike_child_keys_wipe(struct ike_child_keys *k);

/* ---- key exchange ----------------------------------------------------- */

struct ike_dh {
	uint16_t group;
	void *pkey;		/* EVP_PKEY, private */
};

/* Length of the KE payload's public value for a group, 0 if unsupported. */
size_t ike_dh_pub_len(uint16_t group);

/* Generates a key pair for group. */
int ike_dh_new(struct ike_dh *dh, uint16_t group);

/*
 * Loads a known private key (tests, known-answer vectors): X25519 the
 * 32-octet scalar, ECP-256 the 32-octet big-endian scalar, MODP-2048 the
 * big-endian exponent.
 */
int ike_dh_set_private(struct ike_dh *dh, uint16_t group,
		       const uint8_t *priv, size_t len);

/* Writes the public value as the KE payload carries it; returns its length
 * or 0 on error. */
size_t ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap);

/*
 * Computes g^ir from the peer's KE data (validated: length, point on the
 * curve, 1 < y < p-1, non-zero X25519 result); returns its length (32 for
 * X25519 and ECP-256's x, 256 for MODP-2048, left-padded) or 0 on error.
 */
size_t ike_dh_derive(const struct ike_dh *dh, const uint8_t *peer,
		     size_t peer_len, uint8_t *out, size_t cap);

/* Frees the private key (OpenSSL wipes it) and clears the struct. */
void ike_dh_free(struct ike_dh *dh);

/* ---- SK payload ----------------------------------------------------------- */

/* One direction of SK payload protection: SK_ei or SK_er as derived. */
struct ike_sk_key {
	uint16_t encr;
	uint8_t key_len;	/* without salt */
	const uint8_t *key;	/* key_len octets followed by the 4-octet salt */
};

/* The key a side uses to send (initiator: SK_ei) or to receive. */
struct ike_sk_key ike_sk_key_out(const struct ike_sa_keys *k, bool initiator);
struct ike_sk_key ike_sk_key_in(const struct ike_sa_keys *k, bool initiator);

/* Body length of an SK payload carrying plain_len octets (pad length 0). */
size_t ike_sk_body_len(size_t plain_len);

/*
 * Builds an encrypted message: m holds the header and any unencrypted
 * payloads, then an SK payload last (added with ike_msg_add(m, IKE_PL_SK));
 * plain is the inner payload chain (ike_msg_build_payloads) whose first
 * payload type is `first`. iv must never repeat for this key (a counter).
 * Writes the whole message into out.
 */
enum ike_reason ike_sk_seal(const struct ike_sk_key *k, struct ike_msg *m,
			    uint8_t first, const uint8_t *plain,
			    size_t plain_len, const uint8_t iv[8],
			    uint8_t *out, size_t cap, size_t *out_len);

/*
 * Authenticates and decrypts the SK payload of the message msg/len that m
 * was parsed from, into plain (cap octets, at least the SK body length),
 * removes the padding and parses the inner chain into m. On failure (ICV,
 * padding, malformed inner payloads) nothing was accepted.
 */
enum ike_reason ike_sk_open(const struct ike_sk_key *k, struct ike_msg *m,
			    const uint8_t *msg, size_t len,
			    uint8_t *plain, size_t cap);

/* ---- authentication and NAT detection ------------------------------------- */

/*
 * PSK AUTH data (2.15): prf(prf(psk, "Key Pad for IKEv2"), real_msg |
 * nonce | prf(sk_p, id_body)); id_body is the RestOfIDPayload
 * (struct ike_id.body or ike_id_body()). For the initiator: its
 * IKE_SA_INIT request, Nr, SK_pi, IDi; for the responder: its IKE_SA_INIT
 * response, Ni, SK_pr, IDr. Returns the AUTH length (prf length) or 0.
 */
size_t ike_psk_auth(uint16_t prf_id, const uint8_t *psk, size_t psk_len,
		    const uint8_t *real_msg, size_t real_msg_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const uint8_t *sk_p, size_t sk_p_len,
		    const uint8_t *id_body, size_t id_body_len,
		    uint8_t *out, size_t cap);

/* Constant-time AUTH check against the expected value; true if equal. */
bool ike_auth_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP | port), 20 octets;
 * ip_len 4 or 16, port in host order. */
int ike_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
		  const uint8_t *ip, size_t ip_len, uint16_t port,
		  uint8_t out[20]);

/* Random octets (nonces, SPIs) from OpenSSL's DRBG. */
int ike_random(uint8_t *out, size_t len);

#endif
