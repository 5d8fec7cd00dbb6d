/* SPDX-License-Identifier: BSD-3-Clause */
/* Reflect: what arrives goes back with source and destination swapped at
 * every layer we understand. For pmdvpn's ESP-in-UDP this turns an
 * outbound packet into an inbound one of the same SA (a loopback peer). */
#include <string.h>

#include "perf.h"

static inline void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[6];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

int perf_reflect_swap(uint8_t *frame, uint32_t len)
{
	uint8_t *ip;
	unsigned ihl;

	if (len < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00)
		return -1;
	ip = frame + 14;
	ihl = ip[0] & 0x0f;
	if ((ip[0] >> 4) != 4 || ihl < 5 || len < 14 + ihl * 4)
		return -1;
	swap_bytes(frame, frame + 6, 6);
	/* The ones' complement sum is commutative: the checksum stays valid. */
	swap_bytes(ip + 12, ip + 16, 4);
	/* Ports only on a first fragment that holds the UDP header. */
	if (ip[9] == 17 && len >= 14 + ihl * 4 + 8 && (ip[6] & 0x1f) == 0 && ip[7] == 0)
		swap_bytes(ip + ihl * 4, ip + ihl * 4 + 2, 2);
	return 0;
}
