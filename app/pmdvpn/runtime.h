/* SPDX-License-Identifier: BSD-3-Clause */
/* Runtime changes of a running gateway (runtime.c): the console's peer and
 * sa commands and SIGHUP's reload. */
#ifndef PMDVPN_RUNTIME_H
#define PMDVPN_RUNTIME_H

#include <stdio.h>

#include "console.h"
#include "gateway.h"

#define RUNTIME_LINGER_DEFAULT_S 60  /* life of an inbound SA replaced by a rekey */
/* An IKEv2 rekey's old inbound SA, when the DELETE never comes; a held
 * back outbound SA is switched to then too. */
#define RUNTIME_IKE_LINGER_S 10
#define RUNTIME_SYNC_TIMEOUT_MS 5000
#define RUNTIME_ROUTES_V4 1024
#define RUNTIME_ROUTES_V6 1024

/* gateway_start(): publishes the first view (the tables just built). */
void runtime_view_init(struct gateway *g);
/* The console hooks bound to g. */
const struct console_ctl *runtime_ctl(struct gateway *g);
/* Control plane housekeeping, under the console lock: ages out replaced
 * inbound SAs. */
void runtime_maintain(struct gateway *g);

/* The operations (also behind runtime_ctl). Each writes one line of
 * result or a clear error to f and returns 0 or -1; on -1 nothing
 * changed. Callers serialise them (the console lock). */
int runtime_peer_add(struct gateway *g, const char *name, const char *kv, FILE *f);
int runtime_peer_del(struct gateway *g, const char *name, FILE *f);
int runtime_peer_set(struct gateway *g, const char *name, const char *key, const char *value,
		     FILE *f);
int runtime_sa_rekey(struct gateway *g, const char *name, const struct console_rekey *rk,
		     FILE *f);
int runtime_sa_retire(struct gateway *g, const char *name, FILE *f);
int runtime_reload(struct gateway *g, FILE *f);

/*
 * IKEv2 (ike_gw.c), console lock held. child_up installs a negotiated
 * CHILD_SA of peer idx, taking o and in (freed on error): in joins the SPI
 * table; o replaces the outbound SA at once, or with defer_out (we
 * answered a rekey of old_spi_out) when child_down retires old_spi_in.
 * The inbound SA old_spi_in stays until child_down names it. child_down
 * removes the SAs with these SPIs (a rekey's old SA, or the peer's SAs
 * when its CHILD_SA goes: traffic then drops as peer-down).
 */
int runtime_ike_child_up(struct gateway *g, unsigned idx, struct sa_out *o, struct sa_in *in,
			 uint32_t old_spi_in, uint32_t old_spi_out, bool defer_out, FILE *f);
int runtime_ike_child_down(struct gateway *g, unsigned idx, uint32_t spi_in, uint32_t spi_out,
			   FILE *f);

#endif
