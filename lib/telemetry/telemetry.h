/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry: pmdvpn's commands on DPDK's telemetry socket
 * (/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2), read by
 * usertools/dpdk-telemetry.py and usertools/pmdvpn-ctl:
 *
 *   /pmdvpn/stats    port, drop, event totals (flat dict, '/'-separated keys)
 *   /pmdvpn/peers    one column per field, one row per peer; ",NAME": one peer
 *   /pmdvpn/sa       one column per field, one row per SA (out and in)
 *   /pmdvpn/drops    totals per cause, help per cause, a column per cause by peer
 *   /pmdvpn/lcores   one column per field, one row per lcore
 *   /pmdvpn/cmd      ",COMMAND": a console command's text output (console_exec)
 *   /pmdvpn/more     the rest of the last /pmdvpn/cmd output on this connection
 *
 * The numbers come from the same functions as the console's (console.h),
 * read under the console lock; key material is never read. Callbacks run
 * in DPDK's telemetry threads: they only read, except "/pmdvpn/cmd,clear
 * stats" and "/pmdvpn/cmd,quit" (as on the console).
 *
 * Dict keys may only hold [A-Za-z0-9_/], so counter names are written
 * with '_' for '-' (no-sa -> no_sa), and peers are rows, not keys.
 */
#ifndef PMDVPN_TELEMETRY_H
#define PMDVPN_TELEMETRY_H

#include <stddef.h>

/* Registers the commands (before or after rte_eal_init). 0 or -errno. */
int telemetry_register(void);

/* Largest piece of /pmdvpn/cmd output per response (the socket's reply
 * buffer is 16 KB, and JSON escaping can double some bytes). */
#define TELEMETRY_CMD_CHUNK 6000
/* Output is returned as an array of strings of at most this many bytes. */
#define TELEMETRY_CMD_PIECE 120

/* Copies name with '-' turned into '_' and anything else outside
 * [A-Za-z0-9_/] dropped; returns dst. Pure (unit tested). */
char *telemetry_key(char *dst, size_t len, const char *name);

/* Splits text[0..n) into pieces of at most `piece` bytes, cutting after
 * a newline when one falls in the piece; calls fn for each. Returns the
 * number of pieces. Pure (unit tested). */
unsigned telemetry_split(const char *text, size_t n, size_t piece,
			 void (*fn)(const char *s, size_t len, void *arg), void *arg);

#endif
