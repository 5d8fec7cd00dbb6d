/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of the IKEv2 state machine shared by ike_sa.c (ctx, dispatch,
 * timers, sending), ike_exch_init.c (IKE_SA_INIT, IKE_AUTH),
 * ike_exch_child.c (CREATE_CHILD_SA, INFORMATIONAL), ike_proposal.c,
 * ike_ts.c and ike_cookie.c. Not a public interface.
 */
#ifndef PMDVPN_IKE_SA_INT_H
#define PMDVPN_IKE_SA_INT_H

#include "ike_sa.h"

enum sa_state {
	SA_FREE,
	SA_INIT_SENT,		/* initiator: IKE_SA_INIT request out */
	SA_AUTH_SENT,		/* initiator: IKE_AUTH request out */
	SA_HALF_OPEN,		/* responder: IKE_SA_INIT answered */
	SA_ESTABLISHED,
	SA_DELETING,		/* our Delete(IKE) is out */
	SA_REKEYED,		/* replaced by a rekey; waiting for its delete */
};

/* What our outstanding request is (window of 1). */
enum sa_task {
	TASK_NONE,
	TASK_INIT,
	TASK_AUTH,
	TASK_DPD,
	TASK_DELETE_CHILD,
	TASK_DELETE_IKE,
	TASK_REKEY_CHILD,
	TASK_REKEY_IKE,
};

/* Queued work bits, run when no request is outstanding. */
#define Q_DELETE_IKE	0x01
#define Q_DELETE_CHILD	0x02
#define Q_REKEY_IKE	0x04
#define Q_REKEY_CHILD	0x08
#define Q_DPD		0x10

struct sa_child {
	bool used;
	bool deleting;		/* old SA of a rekey or delete in progress */
	bool del_queued;	/* Q_DELETE_CHILD for this one */
	bool rekey_queued;	/* Q_REKEY_CHILD for this one */
	/* INVALID_KE_PAYLOAD to our rekey of it: the group the peer wants
	 * (the retry offers only proposals with it), and how often */
	uint16_t ke_group;
	uint8_t ke_retries;
	struct ike_child_info info;	/* keys not kept (NULL) */
	uint64_t rekey_at;	/* 0: never */
};

/* Scratch for an exchange we started and whose response we wait for. */
struct sa_pending {
	enum sa_task task;
	uint32_t msg_id;
	uint8_t exchange;
	uint8_t req[IKE_SA_BUF];	/* as sent, without the marker */
	size_t req_len;
	unsigned tries;
	uint64_t retx_at;
	uint32_t retx_ms;
	/* CREATE_CHILD_SA / IKE_AUTH context */
	uint32_t new_spi;		/* our new CHILD SPI */
	unsigned child_idx;		/* child being rekeyed / deleted */
	uint8_t new_ike_spi[8];		/* our new IKE SPI (rekey) */
	uint8_t nonce[32];
	struct ike_dh dh;		/* rekey IKE SA; CHILD_SA rekey with
					 * PFS (group 0: no KE sent) */
};

struct ike_sa {
	enum sa_state state;
	int peer;		/* -1: responder before IKE_AUTH */
	bool initiator;		/* original initiator of this IKE SA */
	bool replaced;		/* superseded by an IKE SA rekey */
	uint8_t init_retries;	/* COOKIE / INVALID_KE round trips */
	uint8_t spi_i[8], spi_r[8];
	struct ike_addr local, remote;
	bool natt;		/* talk on 4500 with the non-ESP marker */
	bool nat_local, nat_remote;
	struct ike_suite suite;
	struct ike_sa_keys keys;
	bool have_keys;
	struct ike_dh dh;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	uint16_t ni_len, nr_len;
	/* IKE_SA_INIT messages, signed/verified in IKE_AUTH */
	uint8_t init_req[IKE_SA_BUF], init_resp[IKE_SA_BUF];
	size_t init_req_len, init_resp_len;
	uint8_t cookie[64];
	uint8_t cookie_len;
	/* as requester */
	uint32_t next_id_out;
	struct sa_pending pend;
	unsigned queued;
	/* as responder */
	uint32_t next_id_in;
	uint8_t last_req[IKE_SA_BUF];	/* for retransmitted requests */
	uint8_t last_resp[IKE_SA_BUF];
	bool have_last;
	size_t last_req_len, last_resp_len;
	uint64_t iv_ctr;
	struct sa_child child[IKE_SA_MAX_CHILD];
	uint64_t created_ms, established_ms, last_rx_ms;
	uint64_t ike_rekey_at, dpd_at, expire_at, keepalive_at;
};

struct ike_peer {
	struct ike_peer_cfg cfg;
	uint64_t reinit_at;	/* 0: none */
	bool removed;		/* ike_remove_peer(): index kept, never matched */
};

struct ike_ctx {
	struct ike_ctx_cfg cfg;
	struct ike_ops ops;
	struct ike_peer *peers;
	unsigned n_peers, cap_peers;
	struct ike_sa *sas;
	unsigned n_half_open;
	uint8_t cookie_secret[32];
	/* scratch (an ike_msg is ~40 KB: not on the stack) */
	struct ike_msg m_in, m_out, m_hdr;
	uint8_t plain[IKE_SA_BUF];
	uint8_t pl[IKE_SA_BUF];
	uint8_t tx[IKE_SA_BUF + IKE_NON_ESP_MARKER_LEN];
	uint64_t drops[IKE_DROP_COUNT];
};

/* ---- ike_sa.c --------------------------------------------------------- */
void ike_log(struct ike_ctx *ctx, int level, const struct ike_sa *sa,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct ike_sa *sa_alloc(struct ike_ctx *ctx);
void sa_free(struct ike_ctx *ctx, struct ike_sa *sa);
void sa_down(struct ike_ctx *ctx, struct ike_sa *sa, bool rekeyed);
void sa_emit_ike(struct ike_ctx *ctx, const struct ike_sa *sa,
		 enum ike_event_type t, bool rekeyed);
void peer_reinit(struct ike_ctx *ctx, int peer, uint64_t now);
struct ike_sa *peer_sa(struct ike_ctx *ctx, unsigned peer);
struct ike_sa *sa_find(struct ike_ctx *ctx, const uint8_t spi_i[8],
		       const uint8_t spi_r[8], bool we_initiator);
void sa_emit(struct ike_ctx *ctx, const struct ike_sa *sa,
	     enum ike_event_type t, const struct ike_child_info *ci);
void send_raw(struct ike_ctx *ctx, const struct ike_sa *sa,
	      const uint8_t *msg, size_t len);
void send_raw_to(struct ike_ctx *ctx, const struct ike_addr *local,
		 const struct ike_addr *remote, bool natt,
		 const uint8_t *msg, size_t len);
/* Builds inner (payloads) into an encrypted message; sends it as a
 * request (kept for retransmission) or as a response (cached). */
int sa_send_request(struct ike_ctx *ctx, struct ike_sa *sa,
		    enum sa_task task, struct ike_msg *inner, uint64_t now);
int sa_send_response(struct ike_ctx *ctx, struct ike_sa *sa,
		     struct ike_msg *inner, uint32_t msg_id, uint8_t exchange);
int sa_seal(struct ike_ctx *ctx, struct ike_sa *sa, struct ike_msg *inner,
	    uint8_t exchange, uint8_t flags, uint32_t msg_id,
	    uint8_t *out, size_t *out_len);
void sa_run_queue(struct ike_ctx *ctx, struct ike_sa *sa, uint64_t now);
uint64_t sa_jitter(const struct ike_peer_cfg *c, uint32_t ms);
void sa_established(struct ike_ctx *ctx, struct ike_sa *sa, uint64_t now);
/* A new IKE SA with sa's peer is up: the others go (locally when the
 * peer said INITIAL_CONTACT, else with a Delete). */
void sa_supersede(struct ike_ctx *ctx, struct ike_sa *sa, bool initial_contact,
		  uint64_t now);
struct ike_sa_pl;

/* ---- ike_exch_init.c ---------------------------------------------------- */
int exch_init_start(struct ike_ctx *ctx, unsigned peer, uint64_t now);
enum ike_drop exch_init_request(struct ike_ctx *ctx, const struct ike_msg *m,
				const uint8_t *buf, size_t len,
				const struct ike_addr *src,
				const struct ike_addr *local, bool natt,
				uint64_t now);
enum ike_drop exch_init_response(struct ike_ctx *ctx, struct ike_sa *sa,
				 const struct ike_msg *m, const uint8_t *buf,
				 size_t len, uint64_t now);
enum ike_drop exch_auth_request(struct ike_ctx *ctx, struct ike_sa *sa,
				const struct ike_msg *m, uint64_t now);
enum ike_drop exch_auth_response(struct ike_ctx *ctx, struct ike_sa *sa,
				 const struct ike_msg *m, uint64_t now);
/* KEYMAT (2.17) with g^ir of a PFS rekey (g_ir NULL: none), CHILD_UP. */
int child_keys_event(struct ike_ctx *ctx, struct ike_sa *sa,
		     struct sa_child *c, bool exch_initiator,
		     const uint8_t *g_ir, size_t g_ir_len,
		     const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len);
int ts_fill_inner(const struct ike_peer_cfg *pc, struct ike_msg *inner,
		  bool initiator);
struct sa_child *child_slot(struct ike_sa *sa);

/* ---- ike_exch_child.c --------------------------------------------------- */
int exch_start_task(struct ike_ctx *ctx, struct ike_sa *sa, unsigned bit,
		    uint64_t now);
enum ike_drop exch_child_request(struct ike_ctx *ctx, struct ike_sa *sa,
				 const struct ike_msg *m, uint64_t now,
				 struct ike_sa **moved);
enum ike_drop exch_child_response(struct ike_ctx *ctx, struct ike_sa *sa,
				  const struct ike_msg *m, uint64_t now);
enum ike_drop exch_info_request(struct ike_ctx *ctx, struct ike_sa *sa,
				const struct ike_msg *m, uint64_t now);
enum ike_drop exch_info_response(struct ike_ctx *ctx, struct ike_sa *sa,
				 const struct ike_msg *m, uint64_t now);

/* ---- ike_proposal.c ----------------------------------------------------- */
void prop_ike_offer(const struct ike_peer_cfg *c, struct ike_sa_pl *sa,
		    const uint8_t *spi, uint8_t spi_size, uint16_t first_dh);
int prop_ike_choose(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		    struct ike_suite *out, uint8_t *prop_num);
int prop_ike_check(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		   struct ike_suite *out);
void prop_ike_chosen(const struct ike_suite *s, struct ike_sa_pl *sa,
		     uint8_t num, const uint8_t *spi, uint8_t spi_size);
/* Our ESP proposals: in IKE_AUTH without DH transforms (1.2); only_dh
 * (after INVALID_KE_PAYLOAD): only those with that group. */
void prop_esp_offer(const struct ike_peer_cfg *c, struct ike_sa_pl *sa,
		    uint32_t spi, bool in_auth, uint16_t only_dh);
/* The KE group of a CHILD_SA rekey: cur (the group of the SA being
 * rekeyed) while configured, else the first configured one; 0 = no PFS. */
uint16_t prop_esp_rekey_group(const struct ike_peer_cfg *c, uint16_t cur);
/*
 * Responder: ke_group is the peer's KE group (0: no KE). Returns 0 with
 * *out (out->dh: the PFS group, 0 = none), 1 when the peer must send a KE
 * of group out->dh (INVALID_KE_PAYLOAD), -1 when nothing fits.
 */
int prop_esp_choose(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		    bool in_auth, uint16_t ke_group,
		    struct ike_esp_prop *out, bool *esn, uint32_t *peer_spi,
		    uint8_t *prop_num);
/* Initiator: the responder's one proposal; a DH transform only of the
 * group of the KE we sent (ke_group), none in IKE_AUTH. */
int prop_esp_check(const struct ike_peer_cfg *c, const struct ike_sa_pl *sa,
		   bool in_auth, uint16_t ke_group,
		   struct ike_esp_prop *out, bool *esn, uint32_t *peer_spi);
void prop_esp_chosen(const struct ike_esp_prop *p, bool esn,
		     struct ike_sa_pl *sa, uint8_t num, uint32_t spi);

/* ---- ike_ts.c ------------------------------------------------------------ */
void ts_from_subnets(const struct ike_subnet *s, unsigned n,
		     struct ike_ts *out);
/* Narrows the peer's proposal to our subnets (responder); 0 or -1. */
int ts_narrow(const struct ike_ts *offer, const struct ike_subnet *s,
	      unsigned n, struct ike_ts *out);
/* True if every entry of got lies inside one of our subnets (initiator). */
bool ts_within(const struct ike_ts *got, const struct ike_subnet *s,
	       unsigned n);
void ts_to_ranges(const struct ike_ts *ts, struct ike_ts_range *r,
		  uint8_t *n);

/* ---- ike_cookie.c ---------------------------------------------------------- */
/* COOKIE notify data for this request (32 octets: version 0 + hash). */
size_t cookie_make(const struct ike_ctx *ctx, const struct ike_msg *m,
		   const struct ike_addr *src, uint8_t *out);
bool cookie_ok(const struct ike_ctx *ctx, const struct ike_msg *m,
	       const struct ike_addr *src);

#endif
