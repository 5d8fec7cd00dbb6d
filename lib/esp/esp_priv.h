/* SPDX-License-Identifier: BSD-3-Clause */
/* esp: what the inbound and outbound halves share (not a public interface). */
#ifndef PMDVPN_ESP_PRIV_H
#define PMDVPN_ESP_PRIV_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "aead.h"
#include "esp_wire.h"
#include "sa.h"

#define ESP_OUTER_IP_LEN ((uint32_t)sizeof(struct rte_ipv4_hdr)) /* we send no options */
#define ESP_UDP_LEN ((uint32_t)sizeof(struct rte_udp_hdr))
/* ESP header and explicit IV: what precedes the ciphertext. */
#define ESP_HDR_IV_LEN ((uint32_t)sizeof(struct esp_hdr_wire) + ESP_IV_LEN)
/* Smallest ESP payload (after IP/UDP): header, IV, an empty inner packet's
 * trailer, ICV. */
#define ESP_MIN_PAYLOAD (ESP_HDR_IV_LEN + ESP_TRAILER_LEN + ESP_ICV_LEN)
#define ESP_IPV6_HDR_LEN ((uint32_t)sizeof(struct rte_ipv6_hdr))

static inline void esp_put_be32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * The AAD of RFC 4106 section 5 / RFC 7634 section 2.1: SPI and the
 * sequence number as on the wire (32 bits), or with ESN the full 64 bits,
 * high half first, although only the low half travels.
 */
static inline void esp_set_aad(struct aead_op *op, uint32_t spi, uint64_t seq, int esn)
{
	esp_put_be32(op->aad, spi);
	if (esn) {
		esp_put_be32(op->aad + 4, (uint32_t)(seq >> 32));
		esp_put_be32(op->aad + 8, (uint32_t)seq);
		op->aad_len = 12;
	} else {
		esp_put_be32(op->aad + 4, (uint32_t)seq);
		op->aad_len = 8;
	}
}

/* Nonce = 4-byte salt from the key material || 8-byte explicit IV. */
static inline void esp_set_nonce(struct aead_op *op, const uint8_t salt[SA_SALT_LEN],
				 const uint8_t *iv)
{
	memcpy(op->nonce, salt, SA_SALT_LEN);
	memcpy(op->nonce + SA_SALT_LEN, iv, ESP_IV_LEN);
}

#endif
