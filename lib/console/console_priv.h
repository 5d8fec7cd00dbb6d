/* SPDX-License-Identifier: BSD-3-Clause */
/* console internals: the show functions behind the commands. Each writes
 * to f and only reads state; the caller holds the console lock. */
#ifndef PMDVPN_CONSOLE_PRIV_H
#define PMDVPN_CONSOLE_PRIV_H

#include <stdio.h>

#include "console.h"

enum show_port_sel { SHOW_PORT_ALL, SHOW_PORT_WAN, SHOW_PORT_INSIDE };

void show_peers(FILE *f, const struct console_env *e);
/* Returns -1 (and says so on f) if no peer has that name. */
int show_peer(FILE *f, const struct console_env *e, const char *name);
void show_sa(FILE *f, const struct console_env *e, bool out, bool in);
void show_port_stats(FILE *f, const struct console_env *e, enum show_port_sel sel);
void show_port_info(FILE *f, const struct console_env *e);
void show_lcores(FILE *f, const struct console_env *e);
void show_drops(FILE *f, const struct console_env *e);
void show_neigh(FILE *f, const struct console_env *e);
void show_routes(FILE *f, const struct console_env *e);

/* Summed counters in a heap block (callers on several threads). NULL if
 * out of memory. free() it. */
struct stats_lcore *console_stats_sum(void);

#endif
