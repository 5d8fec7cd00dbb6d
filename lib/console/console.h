/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * console: the operator's view of a running gateway. report prints the
 * counters (SIGUSR1, exit, `show stats`); console is the interactive
 * prompt built on DPDK's cmdline library, like testpmd's.
 */
#ifndef PMDVPN_CONSOLE_H
#define PMDVPN_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"

/* Counters, one item per line:
 *   port NAME rx-pkts N rx-bytes N tx-pkts N tx-bytes N rx-missed N rx-nombuf N
 *             rx-errors N tx-errors N   (the last four from the driver)
 *   peer NAME tx-pkts N tx-bytes N rx-pkts N rx-bytes N   (+ "peer NAME drop CAUSE N")
 *   drop CAUSE N        (every cause)
 *   event NAME N
 *   lcore N busy-cycles N idle-cycles N polls N            (lcores that polled) */
void report_stats(FILE *f, const struct conf *c);
/* The ethdev ports behind the "wan" and "inside" lines: their drivers'
 * own counters (missed, no mbuf, errors) are added to those lines. */
void report_set_ports(uint16_t wan_port, uint16_t inside_port);
/* One line per peer: name, endpoint, cipher, SPIs, subnets, packets. */
void report_peers(FILE *f, const struct conf *c);

/*
 * Runs the prompt on stdin/stdout until `quit`, end of input, or *stop
 * becomes true (a signal). `idle` is called about every 100 ms while
 * waiting for input (signal handling, reports). Returns 0.
 */
int console_run(const struct conf *c, volatile bool *stop, void (*idle)(void *), void *arg);

#endif
