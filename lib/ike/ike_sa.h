/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 SA state machine (RFC 7296), I/O-free.
 *
 * One struct ike_ctx serves every IKEv2 peer of a gateway. The caller owns
 * the sockets (or the WAN port and its rte_ring) and the clock:
 *  - ike_input(): one UDP payload as received (on port 500, or on port
 *    4500 with or without the non-ESP marker: the marker is stripped
 *    here), the peer's address/port, the local address/port, now in ms;
 *  - ike_timer(): retransmission with back-off, DPD, CHILD_SA and IKE SA
 *    rekey (with jitter), half-open expiry; returns the next deadline;
 *  - ike_initiate() / ike_rekey_child() / ike_rekey_ike() / ike_dpd() /
 *    ike_terminate(): what the console and the config ask for.
 * Everything the machine wants done comes back through struct ike_ops:
 * datagrams to send (UDP payload including the non-ESP marker on 4500,
 * with source and destination), events (IKE SA up/down, CHILD_SA
 * installed/deleted with SPIs, cipher, ESN and keys) and log lines.
 *
 * Every datagram that is malformed, truncated, oversized, unexpected (no
 * such SA, wrong role, wrong exchange) or out of order (message ID) is
 * dropped with a reason (enum ike_drop, logged through ops.log) before any
 * state is touched. Requests are answered in order with a window of 1; a
 * retransmitted request gets the cached response again.
 *
 * Protocol coverage: IKE_SA_INIT with KE groups 31/19/14, nonces, NAT
 * detection (optionally faked, force_encap, so that ESP goes in UDP 4500
 * as with strongSwan's encap=yes), float to 4500 with the non-ESP marker,
 * NAT keepalives, INVALID_KE_PAYLOAD retry, stateless COOKIEs above
 * cookie_threshold half-open SAs; IKE_AUTH with PSK, FQDN/IPv4/IPv6/email
 * identities, INITIAL_CONTACT, one CHILD_SA (AES-GCM-128/256 or
 * ChaCha20-Poly1305; ESN when both can, else no-ESN) with traffic
 * selectors narrowed to the configured subnets; CREATE_CHILD_SA rekey of
 * a CHILD_SA and of the IKE SA, make-before-break; PFS for CHILD_SA rekeys
 * (RFC 7296 1.3.1, 2.17: an ESP proposal with a DH group, struct
 * ike_esp_prop.dh, makes the rekey carry KE payloads and KEYMAT =
 * prf+(SK_d, g^ir | Ni | Nr); INVALID_KE_PAYLOAD answered and retried;
 * IKE_AUTH offers no DH transform and its CHILD_SA has no PFS, 1.2);
 * rekey collisions answered with TEMPORARY_FAILURE and a random retry;
 * INFORMATIONAL DPD and Delete. Not done: additional CHILD_SAs beyond the
 * rekey (answered NO_ADDITIONAL_SAS), certificates, EAP, fragmentation,
 * MOBIKE, IPv6 outer addresses in the test tools.
 *
 * The ctx is not thread safe: one control thread drives it. Keys in
 * events are valid only during the callback; the ctx wipes its copies.
 */
#ifndef PMDVPN_IKE_SA_H
#define PMDVPN_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_crypto.h"
#include "ike_msg.h"

#define IKE_CFG_MAX_PROPS	8	/* IKE or ESP proposals per peer */
#define IKE_CFG_MAX_SUBNETS	8	/* local / remote subnets per peer */
#define IKE_CFG_ID_MAX		255
#define IKE_CFG_PSK_MAX		256
#define IKE_SA_MAX_CHILD	4	/* CHILD_SAs per IKE SA (2 during rekey) */
#define IKE_SA_BUF		3072	/* largest message we build or keep */

/* An IPv4 or IPv6 address with a UDP port (host order). */
struct ike_addr {
	uint8_t family;		/* 4 or 6; 0 = unset ("any") */
	uint8_t ip[16];		/* 4 or 16 octets used, network order */
	uint16_t port;
};

struct ike_subnet {
	uint8_t family;		/* 4 or 6 */
	uint8_t prefix;
	uint8_t ip[16];
};

struct ike_identity {
	uint8_t type;		/* IKE_ID_FQDN, _IPV4_ADDR, _IPV6_ADDR, _RFC822_ADDR */
	uint8_t len;
	uint8_t data[IKE_CFG_ID_MAX];
};

struct ike_esp_prop {
	uint16_t encr;		/* IKE_ENCR_AES_GCM_16 or _CHACHA20_POLY1305 */
	uint16_t keylen;	/* bits: 128/256 for GCM, 0 for ChaCha */
	/*
	 * PFS: the KE group (IKE_DH_*) of CREATE_CHILD_SA rekeys with this
	 * proposal, 0 = none. A proposal with a group is offered and taken
	 * only with a KE payload of it (not in IKE_AUTH, which has no KE).
	 */
	uint16_t dh;
};

/* One IKEv2 peer as the config file describes it. */
struct ike_peer_cfg {
	char name[32];
	struct ike_addr local;		/* our address; port 500 */
	struct ike_addr remote;		/* family 0: responder only, any address */
	struct ike_identity local_id;
	struct ike_identity remote_id;
	uint8_t psk[IKE_CFG_PSK_MAX];
	uint16_t psk_len;
	uint8_t n_ike;
	struct ike_suite ike[IKE_CFG_MAX_PROPS];	/* in preference order */
	uint8_t n_esp;
	struct ike_esp_prop esp[IKE_CFG_MAX_PROPS];
	bool esn;			/* we can do ESN (offer/accept it) */
	bool force_encap;		/* fake NAT-D so ESP goes in UDP 4500 */
	uint8_t n_local_ts;
	struct ike_subnet local_ts[IKE_CFG_MAX_SUBNETS];
	uint8_t n_remote_ts;
	struct ike_subnet remote_ts[IKE_CFG_MAX_SUBNETS];
	uint32_t child_rekey_ms;	/* 0: never */
	uint32_t ike_rekey_ms;		/* 0: never */
	uint8_t jitter_pct;		/* rekey times are cut by up to this % */
	uint32_t dpd_ms;		/* 0: no DPD */
	bool initiate;			/* re-initiate after the SA went down */
};

/* Events to the data plane. */
enum ike_event_type {
	IKE_EV_IKE_UP,		/* IKE SA established (or rekeyed: .rekeyed) */
	IKE_EV_IKE_DOWN,	/* IKE SA gone (delete, DPD, auth failure) */
	IKE_EV_CHILD_UP,	/* install a CHILD_SA (see .child) */
	IKE_EV_CHILD_DOWN,	/* remove a CHILD_SA by its SPIs */
};

struct ike_ts_range {
	uint8_t family;		/* 4 or 6 */
	uint8_t start[16];
	uint8_t end[16];
};

struct ike_child_info {
	uint32_t spi_in;	/* SPI we receive on */
	uint32_t spi_out;	/* SPI we send with */
	uint16_t encr;
	uint16_t keylen;	/* bits, 0 for ChaCha20-Poly1305 */
	bool esn;
	bool encap;		/* ESP in UDP 4500 (RFC 3948) */
	uint16_t dh;		/* PFS group its keys came from, 0 = none */
	uint8_t key_len;	/* AEAD key octets without the 4-octet salt */
	const uint8_t *key_in;	/* key || salt, CHILD_UP only */
	const uint8_t *key_out;
	/*
	 * Rekey (make-before-break): non-zero SPIs of the CHILD_SA this one
	 * replaces. The data plane installs the new inbound SA, then switches
	 * outbound traffic to the new SA, and keeps the old inbound SA until
	 * a CHILD_DOWN event for the old SPIs follows (after the DELETE).
	 */
	uint32_t old_spi_in;
	uint32_t old_spi_out;
	/*
	 * We answered the exchange that made it. For a rekey the data plane
	 * then keeps sending on the old SA until its CHILD_DOWN (the
	 * initiator's DELETE): the initiator installs the new inbound SA only
	 * when our response arrives, so sending on the new one earlier loses
	 * packets (strongSwan does the same).
	 */
	bool responder;
	uint8_t n_ts_local, n_ts_remote;
	struct ike_ts_range ts_local[IKE_MAX_TS];
	struct ike_ts_range ts_remote[IKE_MAX_TS];
};

struct ike_event {
	enum ike_event_type type;
	unsigned peer;			/* index in the ctx's peer table */
	const char *peer_name;
	uint8_t spi_i[8], spi_r[8];	/* IKE SA */
	bool rekeyed;			/* IKE_UP/DOWN of an IKE SA rekey */
	struct ike_addr local, remote;	/* current outer addresses */
	struct ike_child_info child;	/* CHILD_* events */
};

#define IKE_LOG_ERR	0
#define IKE_LOG_INFO	1
#define IKE_LOG_DEBUG	2

struct ike_ops {
	void (*send)(void *arg, const struct ike_addr *src,
		     const struct ike_addr *dst, const uint8_t *buf,
		     size_t len);
	void (*event)(void *arg, const struct ike_event *ev);
	void (*log)(void *arg, int level, const char *msg);	/* may be NULL */
	void *arg;
};

struct ike_ctx_cfg {
	unsigned max_sas;		/* IKE SAs incl. half-open (default 64) */
	unsigned cookie_threshold;	/* half-open SAs before cookies (16) */
	uint32_t retx_base_ms;		/* first retransmission (1000) */
	uint32_t retx_max_ms;		/* back-off cap (16000) */
	uint8_t retx_tries;		/* retransmissions before giving up (5) */
	uint32_t half_open_ms;		/* responder half-open lifetime (30000) */
	uint32_t keepalive_ms;		/* NAT keepalive when we are behind a
					 * NAT (RFC 3948 2.3) (20000) */
};

/*
 * Why a datagram was dropped (X-macro: name, text). IKE_DROP_PARSE means
 * the codec refused it; the codec's reason is logged with it.
 */
#define IKE_DROPS(X) \
	X(IKE_DROP_NONE, "accepted") \
	X(IKE_DROP_PARSE, "malformed message") \
	X(IKE_DROP_TOO_BIG, "message larger than IKE_SA_BUF") \
	X(IKE_DROP_NOT_IKE, "not IKE (ESP, keepalive or no non-ESP marker)") \
	X(IKE_DROP_NO_SA, "no IKE SA for these SPIs") \
	X(IKE_DROP_ROLE, "initiator flag does not match our role") \
	X(IKE_DROP_EXCHANGE, "exchange type unexpected in this state") \
	X(IKE_DROP_MSG_ID, "message ID out of window") \
	X(IKE_DROP_NO_REQUEST, "response without an outstanding request") \
	X(IKE_DROP_SK, "SK payload failed to authenticate or decrypt") \
	X(IKE_DROP_PAYLOADS, "required payload missing or invalid") \
	X(IKE_DROP_NO_PROPOSAL, "no acceptable proposal") \
	X(IKE_DROP_KE, "key exchange failed") \
	X(IKE_DROP_AUTH, "authentication failed") \
	X(IKE_DROP_ID, "no peer with this identity") \
	X(IKE_DROP_TS, "traffic selectors unacceptable") \
	X(IKE_DROP_COOKIE, "missing or wrong cookie") \
	X(IKE_DROP_FULL, "no free IKE SA slot") \
	X(IKE_DROP_NOTIFY, "error notify from the peer") \
	X(IKE_DROP_ADDR, "unexpected source address") \
	X(IKE_DROP_INTERNAL, "internal error (crypto or build)")

#define IKE_DROP_ENUM(n, s) n,
enum ike_drop { IKE_DROPS(IKE_DROP_ENUM) IKE_DROP_COUNT };
#undef IKE_DROP_ENUM

const char *ike_drop_str(enum ike_drop d);

struct ike_ctx;

/* ctx_cfg may be NULL (defaults); zero fields take defaults. */
struct ike_ctx *ike_ctx_new(const struct ike_ctx_cfg *ctx_cfg,
			    const struct ike_ops *ops);

/* Frees the ctx without sending anything; every secret is wiped. */
void ike_ctx_free(struct ike_ctx *ctx);

/* Adds a peer; returns its index or -1 (bad config, table full). */
int ike_add_peer(struct ike_ctx *ctx, const struct ike_peer_cfg *cfg);
/*
 * Removes a peer (runtime `peer del`, reload): an established IKE SA is
 * sent one Delete (not retransmitted), then every SA of the peer is freed
 * at once, with CHILD_DOWN / IKE_DOWN events as usual. The index stays
 * allocated (never reused, never matched again); its PSK is wiped.
 * Returns 0, or -1 for no such peer.
 */
int ike_remove_peer(struct ike_ctx *ctx, unsigned peer, uint64_t now_ms);

/* One UDP payload received from src on local. Returns why it was dropped,
 * or IKE_DROP_NONE when it was accepted. */
enum ike_drop ike_input(struct ike_ctx *ctx, const uint8_t *buf, size_t len,
			const struct ike_addr *src,
			const struct ike_addr *local, uint64_t now_ms);

/* Runs due timers; returns the next deadline in ms (UINT64_MAX: none). */
uint64_t ike_timer(struct ike_ctx *ctx, uint64_t now_ms);

/* Control. Return 0 when the request was queued or sent, -1 otherwise
 * (no such peer, no established SA, already in progress). */
int ike_initiate(struct ike_ctx *ctx, unsigned peer, uint64_t now_ms);
int ike_rekey_child(struct ike_ctx *ctx, unsigned peer, uint64_t now_ms);
int ike_rekey_ike(struct ike_ctx *ctx, unsigned peer, uint64_t now_ms);
int ike_dpd(struct ike_ctx *ctx, unsigned peer, uint64_t now_ms);

/*
 * The data plane saw authentic ESP from the peer: it is alive, so DPD
 * waits another dpd period (RFC 7296 2.4: probe only when idle).
 */
void ike_peer_alive(struct ike_ctx *ctx, unsigned peer, uint64_t now_ms);
int ike_terminate(struct ike_ctx *ctx, unsigned peer, uint64_t now_ms);
/* Deletes one CHILD_SA (by the SPI we receive on), keeping the IKE SA. */
int ike_delete_child(struct ike_ctx *ctx, unsigned peer, uint32_t spi_in,
		     uint64_t now_ms);

/* State of a peer's IKE SA for `show ike`. */
enum ike_state {
	IKE_ST_NONE,		/* no IKE SA */
	IKE_ST_CONNECTING,	/* IKE_SA_INIT / IKE_AUTH in progress */
	IKE_ST_ESTABLISHED,
	IKE_ST_DELETING,
};

struct ike_peer_status {
	enum ike_state state;
	uint8_t spi_i[8], spi_r[8];
	bool initiator;
	bool nat;		/* NAT detected (or forced): on port 4500 */
	struct ike_suite suite;
	uint8_t n_child;
	struct ike_child_info child[IKE_SA_MAX_CHILD];	/* no keys */
	uint64_t established_ms;
};

int ike_peer_status(const struct ike_ctx *ctx, unsigned peer,
		    struct ike_peer_status *st);

/* Counters: drops by reason, half-open SAs now. */
uint64_t ike_drop_count(const struct ike_ctx *ctx, enum ike_drop d);
unsigned ike_half_open(const struct ike_ctx *ctx);

#endif
