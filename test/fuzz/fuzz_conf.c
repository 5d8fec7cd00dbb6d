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

/* An IKEv2 peer: no static SA, a PSK, IDs, proposals, distinct remote-ids. */
static void
check_ike(const struct conf *c, unsigned i)
{
	const struct conf_peer *p = &c->peers[i];
	const struct conf_ike *k = &p->ike;
	char buf[CONF_IKE_MAX_PROPS * 48];
	unsigned j;

	check(p->spi_in == 0 && p->spi_out == 0 && p->keymat_len == 0, "IKE peer SPIs");
	check(k->psk_len >= CONF_PSK_MIN && k->psk_len <= CONF_PSK_MAX, "psk_len");
	check(k->local_id.len > 0 && k->remote_id.len > 0, "IKE ids");
	check(k->n_ike >= 1 && k->n_ike <= CONF_IKE_MAX_PROPS, "n_ike");
	check(k->n_esp >= 1 && k->n_esp <= CONF_IKE_MAX_PROPS, "n_esp");
	check(!k->initiate || p->endpoint_ip != 0, "initiate without endpoint");
	check(p->endpoint_ip != 0 || p->endpoint_port == 500, "responder port");
	conf_ike_id_str(&k->local_id, buf, sizeof(buf));
	conf_ike_id_str(&k->remote_id, buf, sizeof(buf));
	conf_ike_props_str(k, buf, sizeof(buf));
	check(strstr(buf, "?") == NULL, "ike proposal names");
	conf_esp_props_str(k, buf, sizeof(buf));
	check(strstr(buf, "?") == NULL, "esp proposal names");
	for (j = 0; j < i; j++)
		check(!c->peers[j].ike.enabled ||
		      c->peers[j].ike.remote_id.type != k->remote_id.type ||
		      c->peers[j].ike.remote_id.len != k->remote_id.len ||
		      memcmp(c->peers[j].ike.remote_id.data, k->remote_id.data,
			     k->remote_id.len) != 0, "remote-id unique");
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
		check(p->n_subnets >= 1 && p->n_subnets <= CONF_MAX_SUBNETS, "n_subnets");
		if (p->ike.enabled)
			check_ike(c, i);
		else {
			check(p->spi_in > 255 && p->spi_out > 255, "reserved SPI");
			check(p->keymat_len == aead_key_len(p->cipher) + 4, "keymat_len");
		}
		for (j = 0; j < p->n_subnets; j++) {
			char buf[64];

			check(p->subnets[j].family == AF_INET || p->subnets[j].family == AF_INET6,
			      "subnet family");
			conf_prefix_str(&p->subnets[j], buf, sizeof(buf));
		}
		for (j = 0; j < i; j++)
			check(c->peers[j].ike.enabled || p->ike.enabled ||
			      c->peers[j].spi_in != p->spi_in, "spi-in unique");
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
