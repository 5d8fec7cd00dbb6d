/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 message codec (RFC 7296 section 3).
 *
 * ike_msg_parse() turns one datagram into a struct ike_msg: the header in
 * host order plus bounded arrays of payload "views" (pointer + length into
 * the caller's datagram, nothing is copied or allocated). Every length is
 * checked (header vs datagram, each generic payload header, proposals,
 * transforms, attributes, notify/delete/TS substructures, counts); on any
 * error the parser returns an ike_reason and the caller's state is
 * untouched (the struct's contents are then unspecified, except err_*).
 * Parsing is iterative, never recursive, and bounded by IKE_MAX_*.
 *
 * The SK payload (3.14) must be the last payload; the parser records where
 * it starts so that ike_crypto.h's ike_sk_open() can authenticate it and
 * ike_msg_parse_inner() can then parse the decrypted payload chain into the
 * same struct.
 *
 * ike_msg_build() serializes the same struct: the payloads in order[], with
 * every length, next-payload and last-substructure field computed. A parsed
 * message rebuilds to the same octets (reserved fields are written as zero).
 *
 * Payload views stay valid as long as the buffers they point into.
 */
#ifndef PMDVPN_IKE_MSG_H
#define PMDVPN_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_HDR_LEN		28	/* fixed IKE header (3.1) */
#define IKE_GEN_HDR_LEN		4	/* generic payload header (3.2) */
#define IKE_MSG_MAX		65535	/* largest message we parse or build */
#define IKE_NON_ESP_MARKER_LEN	4	/* RFC 3948 section 2.2 */
#define IKE_PORT		500
#define IKE_NATT_PORT		4500

/* Bounds of the parsed representation (drop anything beyond, with a reason). */
#define IKE_MAX_PAYLOADS	32
#define IKE_MAX_PROPOSALS	16
#define IKE_MAX_TRANSFORMS	24	/* per proposal */
#define IKE_MAX_ATTRS		4	/* per transform */
#define IKE_MAX_NOTIFY		16
#define IKE_MAX_DELETE		4
#define IKE_MAX_TS		16	/* per TSi / TSr payload */
#define IKE_MAX_VENDOR		8
#define IKE_MAX_OTHER		8	/* payloads we skip (CERT, CP, EAP, ...) */
#define IKE_MAX_SPI_LEN		8
#define IKE_NONCE_MIN		16	/* 2.10 */
#define IKE_NONCE_MAX		256

/* Header flags (3.1). */
#define IKE_FLAG_INITIATOR	0x08
#define IKE_FLAG_VERSION	0x10
#define IKE_FLAG_RESPONSE	0x20
#define IKE_VERSION_2		0x20	/* major 2, minor 0 */
#define IKE_CRITICAL		0x80	/* generic header critical bit */

enum ike_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	IKE_CREATE_CHILD_SA = 36,
	IKE_INFORMATIONAL = 37,
};

enum ike_pl_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53,
};

/* Protocol IDs (3.3.1). */
enum ike_proto { IKE_PROTO_IKE = 1, IKE_PROTO_AH = 2, IKE_PROTO_ESP = 3 };

/* Transform types and the IDs pmdvpn uses (3.3.2, IANA). */
enum ike_xf_type {
	IKE_XF_ENCR = 1, IKE_XF_PRF = 2, IKE_XF_INTEG = 3, IKE_XF_DH = 4,
	IKE_XF_ESN = 5,
};
#define IKE_ENCR_AES_GCM_16		20
#define IKE_ENCR_CHACHA20_POLY1305	28
#define IKE_PRF_HMAC_SHA2_256		5
#define IKE_PRF_HMAC_SHA2_384		6
#define IKE_PRF_HMAC_SHA2_512		7
#define IKE_DH_MODP2048			14
#define IKE_DH_ECP256			19
#define IKE_DH_CURVE25519		31
#define IKE_ESN_NO			0
#define IKE_ESN_YES			1
#define IKE_ATTR_KEY_LENGTH		14	/* TV, in bits */

/* ID types (3.5), AUTH methods (3.8), TS types (3.13.1). */
#define IKE_ID_IPV4_ADDR	1
#define IKE_ID_FQDN		2
#define IKE_ID_RFC822_ADDR	3
#define IKE_ID_IPV6_ADDR	5
#define IKE_ID_KEY_ID		11
#define IKE_AUTH_PSK		2	/* Shared Key Message Integrity Code */
#define IKE_TS_IPV4_ADDR_RANGE	7
#define IKE_TS_IPV6_ADDR_RANGE	8

/* Notify message types used by the control plane (3.10.1, IANA). */
#define IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD	1
#define IKE_N_INVALID_IKE_SPI			4
#define IKE_N_INVALID_MAJOR_VERSION		5
#define IKE_N_INVALID_SYNTAX			7
#define IKE_N_INVALID_MESSAGE_ID		9
#define IKE_N_INVALID_SPI			11
#define IKE_N_NO_PROPOSAL_CHOSEN		14
#define IKE_N_INVALID_KE_PAYLOAD		17
#define IKE_N_AUTHENTICATION_FAILED		24
#define IKE_N_SINGLE_PAIR_REQUIRED		34
#define IKE_N_NO_ADDITIONAL_SAS			35
#define IKE_N_INTERNAL_ADDRESS_FAILURE		36
#define IKE_N_FAILED_CP_REQUIRED		37
#define IKE_N_TS_UNACCEPTABLE			38
#define IKE_N_INVALID_SELECTORS			39
#define IKE_N_TEMPORARY_FAILURE			43
#define IKE_N_CHILD_SA_NOT_FOUND		44
#define IKE_N_INITIAL_CONTACT			16384
#define IKE_N_SET_WINDOW_SIZE			16385
#define IKE_N_ADDITIONAL_TS_POSSIBLE		16386
#define IKE_N_IPCOMP_SUPPORTED			16387
#define IKE_N_NAT_DETECTION_SOURCE_IP		16388
#define IKE_N_NAT_DETECTION_DESTINATION_IP	16389
#define IKE_N_COOKIE				16390
#define IKE_N_USE_TRANSPORT_MODE		16391
#define IKE_N_REKEY_SA				16393
#define IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED	16394
#define IKE_N_NON_FIRST_FRAGMENTS_ALSO		16395

/*
 * Reasons a message is rejected. X-macro: enum name, string. Kept stable so
 * that logs and counters can name them.
 */
#define IKE_REASONS(X) \
	X(IKE_OK, "ok") \
	X(IKE_ERR_SHORT, "datagram shorter than the IKE header") \
	X(IKE_ERR_LEN_MISMATCH, "header length differs from the datagram") \
	X(IKE_ERR_TOO_BIG, "message larger than IKE_MSG_MAX") \
	X(IKE_ERR_MAJOR_VERSION, "unsupported major version") \
	X(IKE_ERR_ZERO_SPI_I, "initiator SPI is zero") \
	X(IKE_ERR_PL_TRUNCATED, "payload header or body runs past the message") \
	X(IKE_ERR_PL_LEN, "payload length too small for its type") \
	X(IKE_ERR_TOO_MANY_PAYLOADS, "more payloads than IKE_MAX_PAYLOADS") \
	X(IKE_ERR_DUP_PAYLOAD, "payload type that may appear once is repeated") \
	X(IKE_ERR_UNSUPPORTED_CRITICAL, "unknown payload with the critical bit") \
	X(IKE_ERR_TRAILING, "octets after the last payload") \
	X(IKE_ERR_SK_NOT_LAST, "SK payload is not the last payload") \
	X(IKE_ERR_SK_NESTED, "SK payload inside an SK payload") \
	X(IKE_ERR_SK_SHORT, "SK payload too short for IV and ICV") \
	X(IKE_ERR_SA_PROPOSAL, "malformed proposal substructure") \
	X(IKE_ERR_SA_TRANSFORM, "malformed transform substructure") \
	X(IKE_ERR_SA_ATTR, "malformed transform attribute") \
	X(IKE_ERR_SA_COUNT, "proposal/transform count mismatch or too many") \
	X(IKE_ERR_SA_NUMBERING, "proposal numbers not 1, 2, 3, ...") \
	X(IKE_ERR_SPI_SIZE, "SPI size not allowed here") \
	X(IKE_ERR_NONCE_LEN, "nonce shorter than 16 or longer than 256") \
	X(IKE_ERR_TOO_MANY_NOTIFY, "more notify payloads than IKE_MAX_NOTIFY") \
	X(IKE_ERR_DELETE, "malformed delete payload") \
	X(IKE_ERR_TOO_MANY_DELETE, "more delete payloads than IKE_MAX_DELETE") \
	X(IKE_ERR_TS, "malformed traffic selector") \
	X(IKE_ERR_TS_COUNT, "traffic selector count mismatch or too many") \
	X(IKE_ERR_TOO_MANY_VENDOR, "more vendor ID payloads than IKE_MAX_VENDOR") \
	X(IKE_ERR_TOO_MANY_OTHER, "more skipped payloads than IKE_MAX_OTHER") \
	X(IKE_ERR_SK_AUTH, "SK payload integrity check failed") \
	X(IKE_ERR_SK_PAD, "SK payload padding length invalid") \
	X(IKE_ERR_NO_SPACE, "output buffer too small") \
	X(IKE_ERR_BUILD, "struct cannot be serialized") \
	X(IKE_ERR_NOT_IKE, "not an IKE datagram (ESP or keepalive)") \
	X(IKE_ERR_CRYPTO, "crypto library error")

#define IKE_REASON_ENUM(name, str) name,
enum ike_reason { IKE_REASONS(IKE_REASON_ENUM) IKE_REASON_COUNT };
#undef IKE_REASON_ENUM

/* Human-readable reason (never NULL). */
const char *ike_reason_str(enum ike_reason r);

/* A view into a buffer the caller owns. */
struct ike_view {
	const uint8_t *p;
	uint16_t len;
};

struct ike_hdr {
	uint8_t spi_i[8];
	uint8_t spi_r[8];
	uint8_t next;		/* first payload type */
	uint8_t version;	/* major << 4 | minor */
	uint8_t exchange;
	uint8_t flags;
	uint32_t msg_id;
	uint32_t length;	/* total, parsed; computed by the builder */
};

struct ike_attr {
	uint16_t type;		/* without the AF bit */
	bool tv;		/* AF=1: value is the 16-bit val */
	uint16_t val;
	struct ike_view data;	/* TLV value */
};

struct ike_transform {
	uint8_t type;
	uint16_t id;
	uint16_t keylen;	/* Key Length attribute in bits, 0 if none */
	uint8_t n_attrs;
	struct ike_attr attrs[IKE_MAX_ATTRS];
};

struct ike_proposal {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_size;
	uint8_t spi[IKE_MAX_SPI_LEN];
	uint8_t n_transforms;
	struct ike_transform xf[IKE_MAX_TRANSFORMS];
};

struct ike_sa_pl {
	uint8_t n_props;
	struct ike_proposal prop[IKE_MAX_PROPOSALS];
};

struct ike_ke {
	uint16_t group;
	struct ike_view data;
};

struct ike_id {
	uint8_t type;
	struct ike_view data;
	/*
	 * ID Type | RESERVED | data as received: the RestOfIDPayload that 2.15
	 * MACs. Set by the parser only; for a payload being built use
	 * ike_id_body().
	 */
	struct ike_view body;
};

/* Writes RestOfIDPayload (type, 3 zero octets, data) into out; returns its
 * length or 0 if cap is too small. */
size_t ike_id_body(const struct ike_id *id, uint8_t *out, size_t cap);

struct ike_auth {
	uint8_t method;
	struct ike_view data;
};

struct ike_notify {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t type;
	uint8_t spi[IKE_MAX_SPI_LEN];
	struct ike_view data;
};

struct ike_delete {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t n_spi;
	struct ike_view spis;	/* n_spi * spi_size octets */
};

struct ike_ts_entry {
	uint8_t type;
	uint8_t ip_proto;
	uint16_t start_port;
	uint16_t end_port;
	uint8_t addr_len;	/* 4 or 16; 0 for unknown types */
	uint8_t start[16];
	uint8_t end[16];
	struct ike_view other;	/* unknown type: what follows the ports */
};

struct ike_ts {
	uint8_t n;
	struct ike_ts_entry ts[IKE_MAX_TS];
};

/* Payloads pmdvpn skips: kept as raw bodies for logging. */
struct ike_raw {
	uint8_t type;
	struct ike_view body;
};

struct ike_sk {
	uint8_t inner_next;	/* type of the first encrypted payload */
	uint32_t offset;	/* SK generic header's offset in the message */
	struct ike_view body;	/* IV | ciphertext | ICV */
};

/* Reference from the wire order to the typed storage. */
struct ike_pl_ref {
	uint8_t type;
	uint8_t critical;	/* as received (builder: as given) */
	uint8_t idx;		/* index in the typed array (notify, ...) */
};

struct ike_msg {
	struct ike_hdr hdr;
	uint8_t n_pl;
	struct ike_pl_ref order[IKE_MAX_PAYLOADS];

	/* presence bits for single payloads: 1u << (type - IKE_PL_SA) */
	uint32_t present;
	struct ike_sa_pl sa;
	struct ike_ke ke;
	struct ike_id idi;
	struct ike_id idr;
	struct ike_auth auth;
	struct ike_view nonce;
	struct ike_ts tsi;
	struct ike_ts tsr;
	struct ike_sk sk;
	uint8_t n_notify;
	struct ike_notify notify[IKE_MAX_NOTIFY];
	uint8_t n_delete;
	struct ike_delete del[IKE_MAX_DELETE];
	uint8_t n_vendor;
	struct ike_view vendor[IKE_MAX_VENDOR];
	uint8_t n_other;
	struct ike_raw other[IKE_MAX_OTHER];

	/* on error: where and which payload type (0 if header) */
	uint32_t err_off;
	uint8_t err_type;
};

/* True if the single payload `type` (SA, KE, IDi, ...) is present. */
static inline bool ike_msg_has(const struct ike_msg *m, uint8_t type)
{
	return type >= IKE_PL_SA && type <= IKE_PL_SKF &&
		(m->present & (1u << (type - IKE_PL_SA))) != 0;
}

/*
 * Parses one IKE message (after any non-ESP marker). Returns IKE_OK or the
 * reason; on IKE_ERR_UNSUPPORTED_CRITICAL, m->err_type is the payload type
 * to echo in the UNSUPPORTED_CRITICAL_PAYLOAD notify (2.5).
 */
enum ike_reason ike_msg_parse(struct ike_msg *m, const uint8_t *buf, size_t len);

/*
 * Parses a decrypted SK payload body (the payload chain, padding already
 * removed) starting with payload type `first` and adds the payloads to m
 * (after those of the outer message). An SK payload inside is refused.
 */
enum ike_reason ike_msg_parse_inner(struct ike_msg *m, uint8_t first,
				    const uint8_t *buf, size_t len);

/* First notify of the given type, or NULL. */
const struct ike_notify *ike_msg_notify(const struct ike_msg *m, uint16_t type);

/* SPI i (0-based) of a delete payload in host order (4-octet SPIs). */
uint32_t ike_delete_spi(const struct ike_delete *d, unsigned i);

/* ---- building ------------------------------------------------------- */

/* Empty message with this header (length and next are computed later). */
void ike_msg_init(struct ike_msg *m, const uint8_t spi_i[8],
		  const uint8_t spi_r[8], uint8_t exchange, uint8_t flags,
		  uint32_t msg_id);

/*
 * Appends a payload of `type` to the order and returns its typed slot
 * (struct ike_sa_pl *, struct ike_notify *, struct ike_view * for nonce and
 * vendor, ...), zeroed, or NULL when the bounds are reached or a single
 * payload is added twice. The caller fills the slot.
 */
void *ike_msg_add(struct ike_msg *m, uint8_t type);

/*
 * Serializes the payload chain of m starting at order index `from` up to
 * (excluding) `to` into out, without an IKE header: what goes inside an SK
 * payload. *first gets the type of the first payload.
 */
enum ike_reason ike_msg_build_payloads(const struct ike_msg *m, unsigned from,
				       unsigned to, uint8_t *out, size_t cap,
				       size_t *len, uint8_t *first);

/*
 * Serializes m (header + all payloads in order) into out. An SK payload
 * must be last; its body is m->sk.body (already encrypted) unless
 * sk_body_len is non-zero, in which case that many octets are reserved
 * for ike_sk_seal() and left unwritten. Sets m->hdr.length and
 * m->sk.offset (hence not const).
 */
enum ike_reason ike_msg_build(struct ike_msg *m, uint8_t *out, size_t cap,
			      size_t *len, size_t sk_body_len);

/* ---- UDP 4500 ------------------------------------------------------- */

enum ike_udp_kind {
	IKE_UDP_IKE,		/* non-ESP marker: IKE follows */
	IKE_UDP_ESP,		/* non-zero SPI: ESP (RFC 3948 2.1) */
	IKE_UDP_KEEPALIVE,	/* single 0xff (RFC 3948 2.3) */
	IKE_UDP_INVALID,
};

/* Classifies a UDP payload received on port 4500. */
enum ike_udp_kind ike_udp4500_classify(const uint8_t *p, size_t len);

/*
 * Strips the non-ESP marker: on success advances *p / *len to the IKE
 * header and returns IKE_OK; otherwise IKE_ERR_NOT_IKE and no change.
 */
enum ike_reason ike_strip_non_esp_marker(const uint8_t **p, size_t *len);

#endif
