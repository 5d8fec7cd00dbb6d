/* SPDX-License-Identifier: BSD-3-Clause */
/* On-the-wire constants and structs of ESP (RFC 4303) with AEAD. */
#ifndef PMDVPN_ESP_WIRE_H
#define PMDVPN_ESP_WIRE_H

#include <stdint.h>

#include <rte_common.h>

#define ESP_UDP_PORT 4500         /* RFC 3948 */
#define ESP_IPPROTO 50
#define ESP_IV_LEN 8              /* explicit IV, RFC 4106 / 7634 */
#define ESP_ICV_LEN 16
#define ESP_PAD_ALIGN 4           /* AEAD stream ciphers: pad to 4 bytes */
#define ESP_TRAILER_LEN 2         /* pad length + next header */
#define ESP_NH_IPV4 4
#define ESP_NH_IPV6 41
#define ESP_NH_NONE 59
#define ESP_NON_ESP_MARKER_LEN 4  /* four zero bytes: an IKE message on port 4500 */

struct esp_hdr_wire {
	rte_be32_t spi;
	rte_be32_t seq;
} __rte_packed;

struct esp_trailer_wire {
	uint8_t pad_len;
	uint8_t next_header;
} __rte_packed;

#endif
