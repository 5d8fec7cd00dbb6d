/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the IKE interop test programs (ike_probe.c,
 * ike_sm_peer.c); header-only so each stays a single-file executable.
 */
#ifndef IKE_TEST_UTIL_H
#define IKE_TEST_UTIL_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * A UDP socket bound to ip:port, -1 on failure. SO_REUSEADDR so that a
 * rerun right after the previous one does not fail on a lingering port.
 */
static inline int ike_test_udp_bind(struct in_addr ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = ip,
				 .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

#endif /* IKE_TEST_UTIL_H */
