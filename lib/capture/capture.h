/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture: the packets of one ethdev port, both directions, into a pcapng
 * file while the gateway runs (console `capture start|stop`).
 *
 * The workers' code is not touched: an ethdev RX and a TX callback on
 * every queue of the port copy each packet (rte_pcapng_copy) from a small
 * mempool of this library into a ring; a control thread drains the ring to
 * the file. A packet that finds the ring full or no free mbuf is a counted
 * drop, never a wait. Received packets are marked inbound, transmitted ones
 * outbound (the TX callback runs before the driver: a packet the driver
 * then refuses is in the file as well).
 *
 * One capture at a time. All functions are for the control plane (any
 * thread, serialised by an internal lock); none may be called from a
 * worker.
 */
#ifndef PMDVPN_CAPTURE_H
#define PMDVPN_CAPTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct rte_rcu_qsbr;

/* Bytes kept of each packet: longer ones are truncated (the file records
 * their original length). Covers a 9000-byte MTU frame with VLAN tags. */
#define CAPTURE_SNAPLEN 9216u
/* Packets copied but not yet written: beyond that, drops. */
#define CAPTURE_RING_SIZE 1024u

struct capture_status {
	bool active;            /* started and not yet stopped */
	bool complete;          /* its count was reached: nothing more is taken */
	uint16_t port;
	char name[32];          /* the port's name as given ("wan", "inside") */
	char path[PATH_MAX];    /* the file, absolute */
	uint64_t limit;         /* packets to write; 0: until stopped */
	uint64_t written;       /* packets in the file */
	uint64_t drop_ring;     /* copied but the ring was full */
	uint64_t drop_nombuf;   /* no mbuf (or room) for the copy */
	uint64_t drop_write;    /* the file write failed (errno in write_errno) */
	int write_errno;
};

/*
 * Starts capturing every packet of ethdev port `port` (named `name` in
 * messages) into a new pcapng file at `path` (created or truncated, mode
 * 0600: an inside capture holds clear text); count > 0 stops taking
 * packets after that many were written. qsbr: the workers' quiescent-state
 * variable (each worker reports once per poll, after its rx/tx bursts), so
 * that capture_stop() knows when no worker can still be inside a callback;
 * NULL: the callbacks' small blocks are never freed.
 * Writes one line to f (what started, or a clear error) and returns 0, or
 * -1 having started nothing (another capture runs, no such port, the file
 * cannot be created, no memory).
 */
int capture_start(uint16_t port, const char *name, const char *path, uint64_t count,
		  struct rte_rcu_qsbr *qsbr, FILE *f);

/*
 * Stops the capture: removes the callbacks, writes what the ring still
 * holds, adds a statistics block, closes the file, and writes one line to
 * f: "capture stopped: NAME to PATH, N packets written, D dropped (...)".
 * Returns 0, or -1 (and says so on f) if no capture is active.
 */
int capture_stop(FILE *f);

/* capture_stop() without output if a capture is active: for the gateway's
 * exit (the console calls it when its env is withdrawn). Idempotent. */
void capture_stop_all(void);

/* The current (or, if none is active, the last) capture's figures.
 * Returns false if no capture was ever started (st zeroed). */
bool capture_get_status(struct capture_status *st);

#endif
