/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf: the INI config file of a gateway and its model.
 *
 *   [gateway]  wan, wan-address, wan-gateway, wan-kernel, inside, inside-name,
 *              inside-offload, inside-address, neighbour, state-file, crypto, ...
 *   [peer NAME] endpoint, subnets, cipher, spi-out, key-out | key-out-file,
 *              spi-in, key-in | key-in-file, esn, replay-window, encap
 *              (static keys), or instead of cipher/spi/key lines:
 *              psk | psk-file, local-id, remote-id, ike, esp, rekey-time,
 *              ike-rekey-time, dpd, initiate (an IKEv2 peer, struct conf_ike)
 *
 * The parser has no DPDK dependency (it is fuzzed on its own). Every error
 * is reported as "FILE:LINE: what is wrong" (just "FILE: ..." when the whole
 * file is at fault: unreadable, too large, no [gateway]); on error nothing is returned
 * and nothing outside the parser was touched. Key bytes are never part of
 * an error message, and are wiped by conf_free().
 */
#ifndef PMDVPN_CONF_H
#define PMDVPN_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aead.h"

#define CONF_MAX_PEERS 256
#define CONF_MAX_SUBNETS 32        /* per peer */
#define CONF_MAX_NEIGH 32
#define CONF_MAX_INSIDE_ADDR 4
#define CONF_NAME_MAX 32           /* peer name, incl. NUL */
#define CONF_IFNAME_MAX 16         /* IFNAMSIZ */
#define CONF_DEVARGS_MAX 256
#define CONF_KEYMAT_MAX (AEAD_MAX_KEY_LEN + 4) /* key then 4-byte salt */
#define CONF_ERR_MAX 512           /* a good size for error buffers */

/* An IPv4 or IPv6 prefix; addresses are in network byte order. */
struct conf_prefix {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* IPv4 uses the first 4 bytes; host bits are zero,
			      * except in inside_addr (an interface address) */
	uint8_t len;         /* prefix length */
};

struct conf_neigh {
	uint32_t ip;         /* network order */
	uint8_t mac[6];
};

enum conf_inside_kind {
	CONF_INSIDE_TAP,         /* net_tap exception path to the host kernel */
	CONF_INSIDE_VIRTIO_USER, /* virtio-user on /dev/vhost-net */
	CONF_INSIDE_PORT,        /* a LAN port given by devargs */
};

struct conf_gateway {
	char wan[CONF_DEVARGS_MAX];          /* devargs of the WAN port */
	uint32_t wan_ip;                     /* network order */
	uint8_t wan_prefixlen;
	uint32_t wan_gateway;                /* network order; 0 = none */
	uint16_t wan_mtu;                    /* default 1500 */
	uint16_t udp_port;                   /* local ESP-in-UDP port, default 4500 */
	/* wan-kernel: the name of a TAP that gives the host kernel its view of
	 * the WAN NIC (non-VPN traffic such as SSH goes there); "" = none */
	char wan_kernel[CONF_IFNAME_MAX];
	enum conf_inside_kind inside;
	char inside_devargs[CONF_DEVARGS_MAX]; /* for CONF_INSIDE_PORT */
	char inside_name[CONF_IFNAME_MAX];   /* host interface name, default "vpn0" */
	/* inside = tap: open the TAP with a virtio-net header and TSO/USO/
	 * checksum offloads (vtap, default yes); no = DPDK's net_tap PMD */
	bool inside_offload;
	struct conf_prefix inside_addr[CONF_MAX_INSIDE_ADDR]; /* assigned to the host interface */
	unsigned n_inside_addr;
	struct conf_neigh neigh[CONF_MAX_NEIGH]; /* static WAN neighbours */
	unsigned n_neigh;
	char state_file[PATH_MAX];           /* outbound sequence high-water marks */
	enum aead_impl crypto;               /* default AEAD_IMPL_IMB */
};

#define CONF_IKE_MAX_PROPS 8       /* ike = / esp = proposals per peer */
#define CONF_IKE_ID_MAX 255        /* identity octets */
#define CONF_PSK_MAX 256           /* pre-shared key octets */
#define CONF_PSK_MIN 16            /* a shorter PSK is refused (RFC 7296 2.15: guessable) */

/*
 * Numbers are IANA's IKEv2 transform and ID type values (RFC 7296 3.3.2,
 * 3.5), so that the control plane copies them as they are.
 */
struct conf_ike_prop {                   /* one of "ike = ENCR-PRF-DH, ..." */
	uint16_t encr;                   /* 20 AES-GCM-16, 28 ChaCha20-Poly1305 */
	uint16_t keylen;                 /* bits: 128/256 for GCM, 0 for ChaCha */
	uint16_t prf;                    /* 5/6/7: HMAC-SHA2-256/384/512 */
	uint16_t dh;                     /* 31 Curve25519, 19 ECP-256, 14 MODP-2048 */
};

struct conf_esp_prop {                   /* one of "esp = ENCR[-DH], ..." */
	uint16_t encr;                   /* 20 AES-GCM-16, 28 ChaCha20-Poly1305 */
	uint16_t keylen;                 /* bits: 128/256 for GCM, 0 for ChaCha */
	uint16_t dh;                     /* PFS group of CHILD_SA rekeys (31, 19,
					  * 14), 0 = no PFS */
};

struct conf_ike_id {
	uint8_t type;                    /* 1 IPv4, 2 FQDN, 3 email (RFC822), 5 IPv6 */
	uint8_t len;
	uint8_t data[CONF_IKE_ID_MAX];   /* address octets or the text, no NUL */
};

/*
 * An IKEv2 peer (psk or psk-file given): its SAs are negotiated, so the
 * peer has no cipher, spi-* or key-* lines (spi_out = spi_in = 0 and
 * keymat_len = 0 until the control plane installs a CHILD_SA). Syntax:
 *   psk = TEXT | psk-file = FILE  (file: owner-only mode, the key on its
 *          first line, trailing newline/whitespace not part of it; a
 *          value starting with "0x" is hex); at least CONF_PSK_MIN octets
 *   local-id = ID   default: wan-address (IPv4 ID)
 *   remote-id = ID  default: the endpoint address; required without endpoint.
 *          ID: IPv4 or IPv6 address, an email (has '@'), else an FQDN
 *   ike = aes256gcm16-prfsha384-x25519, ...  strongSwan names: encr
 *          aes128gcm16|aes256gcm16|chacha20poly1305 (aes128gcm, aes256gcm
 *          accepted), prf prfsha256|prfsha384|prfsha512, dh
 *          x25519|curve25519|ecp256|modp2048; default
 *          "aes256gcm16-prfsha384-x25519, aes128gcm16-prfsha256-x25519,
 *           aes128gcm16-prfsha256-ecp256, chacha20poly1305-prfsha256-x25519"
 *   esp = aes128gcm16, aes256gcm16, chacha20poly1305   (that default);
 *          ENCR-DH (aes128gcm16-x25519, dh as for ike) asks for PFS in
 *          CREATE_CHILD_SA rekeys with that group (not in IKE_AUTH)
 *   rekey-time = 1h      CHILD_SA rekey (0: never); durations N[s|m|h|d]
 *   ike-rekey-time = 4h  IKE SA rekey (0: never)
 *   dpd = 30s            liveness check when idle (0: off)
 *   initiate = yes|no    start the SA at boot and after it went down;
 *          default yes with an endpoint, no without (yes without an
 *          endpoint is an error)
 * esn (default yes: offered, no-ESN taken when the peer offers only that),
 * encap (udp, the default: ESP in UDP 4500 even without NAT, as
 * strongSwan's encap = yes; none: UDP only when NAT is detected),
 * endpoint (IP[:PORT], the port is the IKE port, default 500; optional:
 * then responder only, any address) and subnets keep their meaning.
 */
struct conf_ike {
	bool enabled;                    /* an IKEv2 peer */
	uint8_t psk[CONF_PSK_MAX];
	uint16_t psk_len;
	struct conf_ike_id local_id, remote_id;
	unsigned n_ike;
	struct conf_ike_prop ike[CONF_IKE_MAX_PROPS];   /* preference order */
	unsigned n_esp;
	struct conf_esp_prop esp[CONF_IKE_MAX_PROPS];
	uint32_t rekey_s;                /* default 3600 */
	uint32_t ike_rekey_s;            /* default 14400 */
	uint32_t dpd_s;                  /* default 30 */
	bool initiate;
};

struct conf_peer {
	char name[CONF_NAME_MAX];
	unsigned line;                       /* line of the [peer ...] header */
	uint32_t endpoint_ip;                /* network order */
	uint16_t endpoint_port;              /* host order, default 4500 */
	struct conf_prefix subnets[CONF_MAX_SUBNETS];
	unsigned n_subnets;
	enum aead_alg cipher;
	uint32_t spi_out, spi_in;            /* host order, never 0..255 (RFC 4303 reserved) */
	uint8_t key_out[CONF_KEYMAT_MAX];    /* cipher key then salt */
	uint8_t key_in[CONF_KEYMAT_MAX];
	size_t keymat_len;                   /* aead_key_len(cipher) + 4 */
	bool esn;                            /* default true */
	uint32_t replay_window;              /* default 1024; 0 = off (test only) */
	bool udp_encap;                      /* "encap = udp" (default) or "none" (IP proto 50) */
	struct conf_ike ike;                 /* .enabled: an IKEv2 peer (no static keys) */
};

struct conf {
	char path[PATH_MAX];
	struct conf_gateway gw;
	struct conf_peer peers[CONF_MAX_PEERS];
	unsigned n_peers;
};

/*
 * Reads and validates a config file. Key files named by key-*-file are
 * resolved relative to the config's directory and must not be readable by
 * group or others. Returns 0 and a new struct conf in *out, or -1 with
 * "path:line: message" in err.
 */
int conf_load(const char *path, struct conf **out, char *err, size_t errlen);

/* The same from memory; `name` is used in error messages and to resolve
 * relative key file paths (its directory). */
int conf_parse(const char *text, size_t len, const char *name,
	       struct conf **out, char *err, size_t errlen);

/* Wipes key material and frees. NULL is fine. */
void conf_free(struct conf *c);

/* Finds a peer by name; NULL if absent. */
const struct conf_peer *conf_peer_find(const struct conf *c, const char *name);

/*
 * One peer from the body of a [peer NAME] section ("key = value" lines,
 * no section header), as the console's `peer add` builds it: the same
 * keys, defaults and checks as in a file, against base's [gateway] (own
 * wan-address). Clashes with other peers are conf_peer_clash()'s job.
 * Errors read "name:LINE: ...". Returns 0 or -1.
 */
int conf_parse_peer(const struct conf *base, const char *peer_name, const char *text,
		    size_t len, const char *name, struct conf_peer *out, char *err, size_t errlen);

/* Changes one setting of an existing peer as the file would set it:
 * key "endpoint" (IP[:PORT]) or "subnets" (the whole list, replacing the
 * old one). On error peer is unchanged. Returns 0 or -1 with err. */
int conf_peer_set(const struct conf *base, struct conf_peer *peer, const char *key,
		  const char *value, char *err, size_t errlen);

/* Reads a key file (key-out-file rules: owner-only mode, hex) holding the
 * key material of `alg` (key then salt). Returns 0 or -1 with err. */
int conf_read_key_file(const char *path, enum aead_alg alg, uint8_t *out, size_t *len,
		       char *err, size_t errlen);

/* What differs between two versions of one peer (by name). */
#define CONF_DIFF_OUT 1u       /* outbound SA: cipher, spi-out, key-out, esn, encap, endpoint */
#define CONF_DIFF_IN 2u        /* inbound SA: cipher, spi-in, key-in, esn, replay-window */
#define CONF_DIFF_SUBNETS 4u   /* the routed subnets */
#define CONF_DIFF_IKE 8u       /* IKEv2 settings (psk, ids, proposals, times, endpoint,
				* encap, esn) or static <-> IKEv2 */
unsigned conf_peer_diff(const struct conf_peer *a, const struct conf_peer *b);

/* 0 if the [gateway] sections are equal; else 1 with the first differing
 * key named in what (e.g. "wan"). */
int conf_gateway_diff(const struct conf_gateway *a, const struct conf_gateway *b,
		      char *what, size_t len);

/* Does p clash with a peer of c other than c->peers[skip] (same name,
 * spi-in, spi-out, or a subnet routed twice; an empty name is a free
 * slot)? 0, or -1 with the reason in err. skip = UINT_MAX: none skipped. */
int conf_peer_clash(const struct conf *c, const struct conf_peer *p, unsigned skip,
		    char *err, size_t errlen);

/* Formats a prefix as text ("198.19.1.0/24"); returns buf. */
const char *conf_prefix_str(const struct conf_prefix *p, char *buf, size_t len);

/* An IKEv2 identity as the config writes it ("198.18.0.2", "gw.example",
 * "ops@example"); returns buf. */
const char *conf_ike_id_str(const struct conf_ike_id *id, char *buf, size_t len);

/* A peer's proposals in strongSwan names, as "ike =" / "esp =" take them
 * ("aes256gcm16-prfsha384-x25519, ..."); truncated to len; returns buf. */
const char *conf_ike_props_str(const struct conf_ike *ike, char *buf, size_t len);
const char *conf_esp_props_str(const struct conf_ike *ike, char *buf, size_t len);

#endif
