/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * esp: ESP tunnel mode (RFC 4303) with AEAD (RFC 4106, RFC 7634), over
 * UDP (RFC 3948) or as IP protocol 50, outer IPv4, inner IPv4 or IPv6.
 *
 * Both directions are split in two around one AEAD burst, so a worker
 * prepares a whole burst, runs one aead_*_burst() call, then finishes it:
 *
 *   outbound: esp_outb_prepare() x n -> aead_encrypt_burst() -> (done:
 *             the packet starts at the outer IPv4 header; the caller adds L2)
 *   inbound:  esp_inb_prepare() x n  -> aead_decrypt_burst() ->
 *             esp_inb_finish() x n   -> the packet is the inner IP packet
 *
 * Functions return 0 (STATS_OK) or a STATS_DROP_* cause; on a drop the
 * mbuf is untouched by ownership rules: the caller counts and frees it.
 */
#ifndef PMDVPN_ESP_H
#define PMDVPN_ESP_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "aead.h"
#include "sa.h"
#include "stats.h"

/*
 * Outbound. m holds an inner IPv4 or IPv6 packet starting at its IP header
 * (no L2), data_len == pkt_len (single segment). Uses sa_out_next_seq(),
 * prepends outer IPv4 (+ UDP) + ESP header + IV in the headroom, appends
 * padding, pad length, next header and ICV room in the tailroom, writes
 * the outer headers (IPv4 checksum included, UDP checksum 0 per RFC 3948)
 * and fills op for in-place encryption.
 * Drops: MALFORMED (not IPv4/IPv6, or lengths lie), SEQ_EXHAUSTED, NO_MBUF
 * (no head/tailroom).
 */
int esp_outb_prepare(struct sa_out *sa, struct rte_mbuf *m, struct aead_op *op);

/* Bytes ESP adds to an inner packet of inner_len for this SA (outer IPv4,
 * UDP if used, ESP header, IV, padding, trailer, ICV). */
uint32_t esp_outb_overhead(const struct sa_out *sa, uint32_t inner_len);
/* Largest inner packet that fits in wan_mtu bytes of outer IPv4 packet. */
uint16_t esp_inner_mtu(uint16_t wan_mtu, int udp_encap);

/*
 * Inbound. m starts at the outer IPv4 header (L2 stripped); udp_encap says
 * whether an 8-byte UDP header follows it (the caller classified the
 * packet: IPv4 UDP to our port, non-ESP marker already excluded; or IP
 * protocol 50). Validates every length, looks the SPI up in t, rejects
 * replays before spending the AEAD pass (replay_check), and fills op.
 * On success *sa and *seq are set (the full 64-bit sequence number).
 * Drops: MALFORMED, NO_SA, REPLAY.
 */
int esp_inb_prepare(const struct sa_table *t, struct rte_mbuf *m, int udp_encap,
		    struct aead_op *op, struct sa_in **sa, uint64_t *seq);

/*
 * After decryption: AUTH if op->status says so; replay_update() (REPLAY if
 * a duplicate won the race in this burst); checks the padding bytes
 * (1, 2, 3, ... per RFC 4303 2.4) and next header (4 = IPv4, 41 = IPv6,
 * else MALFORMED; 59 "no next header" dummy packets are dropped as
 * MALFORMED too since we never send them); the inner IP header must be
 * consistent with the next header and its length with the payload.
 * Then strips outer headers and trailer so m is the inner IP packet, and
 * sets m->packet_type to RTE_PTYPE_L3_IPV4 or RTE_PTYPE_L3_IPV6.
 */
int esp_inb_finish(struct sa_in *sa, struct rte_mbuf *m, const struct aead_op *op,
		   uint64_t seq);

#endif
