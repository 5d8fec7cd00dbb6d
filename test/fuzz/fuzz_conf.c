/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the config parser on arbitrary text. Any crash, leak,
 * hang or sanitizer report is a bug; so is a failure without a proper
 * "NAME:LINE: message" or a success that breaks the model's invariants.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"

#define NAME "fuzz.conf"

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_conf: invariant broken: %s\n", what);
		abort();
	}
}

static void
check_conf(const struct conf *c)
{
	unsigned i, j;

	check(c->n_peers <= CONF_MAX_PEERS, "n_peers");
	check(c->gw.n_inside_addr <= CONF_MAX_INSIDE_ADDR, "n_inside_addr");
	check(c->gw.n_neigh <= CONF_MAX_NEIGH, "n_neigh");
	check(c->gw.wan[0] != '\0' && c->gw.wan_ip != 0, "gateway required keys");
	check(c->gw.wan_mtu >= 576 && c->gw.wan_mtu <= 9000, "wan_mtu");
	for (i = 0; i < c->n_peers; i++) {
		const struct conf_peer *p = &c->peers[i];

		check(conf_peer_find(c, p->name) == p, "peer names unique");
		check(p->spi_in > 255 && p->spi_out > 255, "reserved SPI");
		check(p->n_subnets >= 1 && p->n_subnets <= CONF_MAX_SUBNETS, "n_subnets");
		check(p->keymat_len == aead_key_len(p->cipher) + 4, "keymat_len");
		for (j = 0; j < p->n_subnets; j++) {
			char buf[64];

			check(p->subnets[j].family == AF_INET || p->subnets[j].family == AF_INET6,
			      "subnet family");
			conf_prefix_str(&p->subnets[j], buf, sizeof(buf));
		}
		for (j = 0; j < i; j++)
			check(c->peers[j].spi_in != p->spi_in, "spi-in unique");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONF_ERR_MAX];
	struct conf *c = NULL;

	memset(err, 0, sizeof(err));
	if (conf_parse((const char *)data, size, NAME, &c, err, sizeof(err)) == 0) {
		check(c != NULL, "success without a conf");
		check_conf(c);
		conf_free(c);
	} else {
		check(c == NULL, "failure with a conf");
		check(strncmp(err, NAME ":", sizeof(NAME)) == 0, "error names the file");
		check(memchr(err, '\0', sizeof(err)) != NULL, "error terminated");
	}
	return 0;
}
