/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_priv: what the parser (conf_parse.c) shares with the keys of an
 * IKEv2 peer (conf_ike.c). Not part of the library's contract (conf.h).
 */
#ifndef PMDVPN_CONF_PRIV_H
#define PMDVPN_CONF_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define ECHO_MAX 64               /* at most this much of a value in messages */
#define CONF_IKE_PORT 500         /* an IKEv2 peer's endpoint port by default */

enum section { SEC_NONE, SEC_GATEWAY, SEC_PEER };

enum key_id {
	/* [gateway] */
	K_WAN, K_WAN_ADDRESS, K_WAN_GATEWAY, K_INSIDE, K_INSIDE_NAME,
	K_INSIDE_ADDRESS, K_NEIGHBOUR, K_STATE_FILE, K_CRYPTO, K_WAN_MTU,
	K_UDP_PORT, K_INSIDE_OFFLOAD, K_WAN_KERNEL,
	/* [peer NAME] */
	K_ENDPOINT, K_SUBNETS, K_CIPHER, K_SPI_OUT, K_KEY_OUT, K_KEY_OUT_FILE,
	K_SPI_IN, K_KEY_IN, K_KEY_IN_FILE, K_ESN, K_REPLAY_WINDOW, K_ENCAP,
	/* [peer NAME] of an IKEv2 peer (conf_ike.c) */
	K_PSK, K_PSK_FILE, K_LOCAL_ID, K_REMOTE_ID, K_IKE, K_ESP, K_REKEY_TIME,
	K_IKE_REKEY_TIME, K_DPD, K_INITIATE,
	K_MAX
};

struct parser;
typedef int (*key_fn)(struct parser *p, char *val);

struct key_def {
	const char *name;
	enum section sec;
	bool repeatable;
	key_fn fn;
};

/* The key material of one direction while its section is being read. */
struct keymat_src {
	enum key_id id;         /* K_KEY_OUT / K_KEY_OUT_FILE / ... that set it */
	unsigned line;          /* 0: not given */
	size_t n;               /* decoded length, may exceed what was stored */
};

struct parser {
	struct conf *c;
	const char *name;                /* config name, for messages */
	char dir[PATH_MAX];              /* its directory; "" = current */
	char *err;
	size_t errlen;
	unsigned line;
	enum section sec;
	unsigned sec_line;               /* line of the current header */
	unsigned gw_line;                /* line of [gateway]; 0 = none yet */
	unsigned key_line[K_MAX];        /* where each key was seen in this section */
	struct conf_peer *peer;          /* peer being read */
	struct keymat_src src_out, src_in;
	bool ep_port_given;              /* endpoint had ":PORT" */
	bool peer_only;                  /* conf_parse_peer(): no headers */
};

/* "NAME:LINE: message" into p->err (line 0: "NAME: message"); returns -1. */
int conf_perr(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Errors about the key being read report at the current line. */
#define ERR(p, ...) conf_perr((p), (p)->line, __VA_ARGS__)

/* Lexical helpers of conf_parse.c. */
char *conf_trim(char *s);
char *conf_next_item(char **cursor);
int conf_parse_bool(const char *s, bool *out);
/* Hex with an optional 0x; decodes up to outmax bytes, counts all in *n. */
int conf_hex_decode(const char *s, uint8_t *out, size_t outmax, size_t *n);
const char *conf_key_name(enum key_id id);
/* Fails (reporting at the current line) when `other` was given in the section. */
int conf_check_exclusive(struct parser *p, enum key_id other, enum key_id self);

/*
 * Reads a secret file named by `key` (resolved against the config's
 * directory; a regular file, owner-only mode) into buf, NUL terminated,
 * *got bytes (a NUL byte inside is refused). At most max bytes; buf holds
 * max + 2. The caller wipes buf.
 */
int conf_read_secret_file(struct parser *p, const char *key, const char *val, char *buf,
			  size_t max, size_t *got);

/* Key handlers of an IKEv2 peer (conf_ike.c). */
int conf_ike_psk(struct parser *p, char *val);
int conf_ike_psk_file(struct parser *p, char *val);
int conf_ike_local_id(struct parser *p, char *val);
int conf_ike_remote_id(struct parser *p, char *val);
int conf_ike_proposals(struct parser *p, char *val);
int conf_ike_esp(struct parser *p, char *val);
int conf_ike_rekey_time(struct parser *p, char *val);
int conf_ike_ike_rekey_time(struct parser *p, char *val);
int conf_ike_dpd(struct parser *p, char *val);
int conf_ike_initiate(struct parser *p, char *val);

/*
 * End of a [peer] section: an IKEv2 peer's checks and defaults (all but
 * local-id), or, for a static-key peer, that no IKEv2 key was given.
 * Returns 1 for an IKEv2 peer (then the static key checks do not apply),
 * 0 for a static one, -1 on error.
 */
int conf_ike_finish_peer(struct parser *p);

/* Does IKEv2 peer a use b's remote-id? (Both must be IKEv2 peers.) */
bool conf_ike_same_remote(const struct conf_peer *a, const struct conf_peer *b);

/* Defaults that need [gateway] (local-id = wan-address), once it is read. */
void conf_ike_late_defaults(struct conf_peer *peer, const struct conf_gateway *gw);

#endif
