/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats: every counter pmdvpn keeps, defined once. The X-macro lists give
 * the enum, the name shown by the console, telemetry and the exit report,
 * and a line of help. Workers write their own struct stats_lcore without
 * atomics; readers sum all lcores (a torn read of a 64-bit counter cannot
 * happen on x86-64, and a slightly stale sum is fine for display).
 */
#ifndef PMDVPN_STATS_H
#define PMDVPN_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>

/* Why a packet was dropped. Libraries return these codes (0 = no drop). */
#define STATS_DROP_CAUSES(X) \
	X(NO_SA,        "no-sa",         "ESP with an SPI that matches no inbound SA") \
	X(REPLAY,       "replay",        "sequence number seen before or behind the replay window") \
	X(AUTH,         "auth-failure",  "ICV did not verify (wrong key or tampered packet)") \
	X(MALFORMED,    "malformed",     "truncated or inconsistent headers, bad padding or next header") \
	X(POLICY,       "policy",        "decrypted inner source is not in the peer's subnets") \
	X(NO_ROUTE,     "no-route",      "no peer's subnet holds the inner destination") \
	X(TOO_BIG,      "too-big",       "inner packet exceeds the tunnel MTU (ICMP sent to the host)") \
	X(NO_NEIGH,     "no-neighbour",  "WAN next hop not resolved yet (ARP pending)") \
	X(SEQ_EXHAUSTED,"seq-exhausted", "outbound sequence numbers used up or not yet reserved") \
	X(UNHANDLED,    "unhandled",     "non-VPN traffic on the WAN port that pmdvpn does not answer (no wan-kernel)") \
	X(NO_MBUF,      "no-mbuf",       "no buffer for a reply or no room in a buffer") \
	X(TX_FULL,      "tx-full",       "transmit queue full") \
	X(HANDOFF_FULL, "handoff-full",  "the owning lcore's hand-off ring was full") \
	X(PEER_DOWN,    "peer-down",     "routed to an IKEv2 peer whose CHILD_SA is not up") \
	X(IKE_FULL,     "ike-full",      "the control plane's IKE ring was full (an IKE flood)")

enum stats_drop {
	STATS_OK = 0,
#define STATS_X_ENUM(e, name, help) STATS_DROP_##e,
	STATS_DROP_CAUSES(STATS_X_ENUM)
#undef STATS_X_ENUM
	STATS_DROP_MAX
};

/* Per lcore events that are not drops. */
#define STATS_EVENTS(X) \
	X(ARP_REPLIED,   "arp-replied",   "ARP requests answered") \
	X(ARP_REQUESTED, "arp-requested", "ARP requests sent to resolve a next hop") \
	X(ND_REPLIED,    "nd-replied",    "IPv6 neighbour solicitations answered") \
	X(ICMP_ECHO,     "icmp-echo",     "ICMP echo requests to the WAN address answered") \
	X(ICMP_TOO_BIG,  "icmp-too-big",  "ICMP fragmentation-needed / packet-too-big sent to the host") \
	X(IKE,           "ike",           "IKE datagrams passed to the control plane") \
	X(IKE_SENT,      "ike-sent",      "IKE datagrams the control plane sent through this lcore") \
	X(NAT_KEEPALIVE, "nat-keepalive", "NAT keepalives received (RFC 3948 2.3)") \
	X(HANDOFF,       "handoff",       "packets passed to the lcore that owns their SA") \
	X(TO_KERNEL,     "to-kernel",     "non-VPN WAN frames passed to the host kernel (wan-kernel)") \
	X(FROM_KERNEL,   "from-kernel",   "frames the host kernel sent on wan-kernel, out of the WAN port")

enum stats_event {
#define STATS_X_ENUM(e, name, help) STATS_EV_##e,
	STATS_EVENTS(STATS_X_ENUM)
#undef STATS_X_ENUM
	STATS_EV_MAX
};

/*
 * Where a worker's busy cycles go (`set stage-cycles on`): exclusive
 * stages, switched with one TSC read each, summed over busy polls only.
 */
#define STATS_STAGES(X) \
	X(RX,       "rx",       "rx bursts (and vtap reads with their segmentation), poll overhead") \
	X(CLASSIFY, "classify", "classify, SPI/route/neighbour lookups, ESP headers, replay, hand-off") \
	X(CRYPTO,   "crypto",   "AEAD bursts (intel-ipsec-mb or OpenSSL)") \
	X(TX,       "tx",       "tx bursts (and vtap writes with their coalescing)")

enum stats_stage {
#define STATS_X_ENUM(e, name, help) STATS_STAGE_##e,
	STATS_STAGES(STATS_X_ENUM)
#undef STATS_X_ENUM
	STATS_STAGE_MAX
};

#define STATS_MAX_PEERS 256
#define STATS_MAX_PORTS 4
#define STATS_MAX_LCORES RTE_MAX_LCORE

struct stats_peer {
	uint64_t tx_pkts, tx_bytes;  /* encrypted and sent to the peer (inner bytes) */
	uint64_t rx_pkts, rx_bytes;  /* received from the peer, decrypted, accepted */
	uint64_t drop[STATS_DROP_MAX];
};

struct stats_port {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
};

struct stats_lcore {
	uint64_t drop[STATS_DROP_MAX];
	uint64_t event[STATS_EV_MAX];
	struct stats_port port[STATS_MAX_PORTS];
	uint64_t busy_cycles;   /* TSC cycles in polls that moved packets */
	uint64_t idle_cycles;   /* TSC cycles in empty polls and back-off sleeps */
	uint64_t polls, busy_polls;
	uint64_t stage_cycles[STATS_STAGE_MAX]; /* busy cycles by stage (when on) */
	uint64_t stage_polls;                   /* busy polls that were split by stage */
	struct stats_peer peer[STATS_MAX_PEERS];
} __rte_cache_aligned;

const char *stats_drop_name(enum stats_drop d);
const char *stats_drop_help(enum stats_drop d);
const char *stats_event_name(enum stats_event e);
const char *stats_stage_name(enum stats_stage s);
const char *stats_stage_help(enum stats_stage s);

/* One block per lcore, allocated once; index by rte_lcore_id(). */
struct stats_lcore *stats_lcore_get(unsigned lcore_id);
/* Zeroes all counters of all lcores (readers tolerate the race). */
void stats_clear(void);
/* Sums all lcores into *sum. */
void stats_sum(struct stats_lcore *sum);

#endif
