/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_gw: IKEv2 on a running gateway (RFC 7296). A control thread owns
 * lib/ike's I/O-free state machine; the workers pass it IKE datagrams
 * (UDP 500, and 4500 with the non-ESP marker) whole through an rte_ring,
 * and it sends through worker 0 (WORKER_HANDOFF_CTRL_TX). Negotiated
 * CHILD_SAs go into the data plane through runtime.c's views, the same
 * path as the console's changes, so workers never stop: a rekey installs
 * the new inbound SA beside the old one, switches outbound at once (or,
 * when we answered the rekey, when the initiator deletes the old SA), and
 * the old inbound SA goes with its DELETE.
 *
 * Locking: every call into lib/ike, and every SA change it causes, runs
 * under the console lock (console_env_acquire()), which the console's
 * commands and runtime.c's changes hold too.
 */
#ifndef PMDVPN_IKE_GW_H
#define PMDVPN_IKE_GW_H

#include <stdio.h>

#include "gateway.h"

#define IKE_GW_RING 1024        /* IKE datagrams queued for the control thread */

/* Creates the ring the workers feed (g->ike_ring, before the workers
 * start). 0, or -1 with err. */
int ike_gw_prepare(struct gateway *g, char *err, size_t errlen);
/* Registers the IKEv2 peers of g->live, starts the control thread
 * (which initiates the peers with initiate = yes). 0, or -1 with err. */
int ike_gw_start(struct gateway *g, char *err, size_t errlen);
/* Deletes every IKE SA (one Delete each), stops the thread, wipes the
 * state machine's keys. Safe to call twice or without a start. Must be
 * called without the console lock. */
void ike_gw_stop(struct gateway *g);
/* After a runtime change of g->live (console lock held): registers new
 * and changed IKEv2 peers (initiating those with initiate = yes) and
 * removes deleted ones. */
void ike_gw_sync(struct gateway *g, FILE *f);

/* Console (lock held). `show ike [PEER]`: one line per IKEv2 peer:
 *   NAME STATE [initiator|responder] [nat] ike SUITE spi-i X spi-r Y
 *        age Ns child spi-in 0x.. spi-out 0x.. ESP esn yes|no ...
 * Returns 0, or -1 (no such IKEv2 peer) with a message. */
int ike_gw_show(struct gateway *g, const char *peer, FILE *f);
/* `ike initiate|rekey|rekey-ike|dpd|terminate PEER`. 0 or -1 with a
 * message (no such peer, no SA, one in progress). */
int ike_gw_cmd(struct gateway *g, const char *verb, const char *peer, FILE *f);

#endif
