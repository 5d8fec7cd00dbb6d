/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf: comparing two configs, for runtime changes (SIGHUP reload, the
 * console's peer commands). Pure functions over the model.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"

static bool prefix_same(const struct conf_prefix *a, const struct conf_prefix *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->len == b->len && memcmp(a->addr, b->addr, n) == 0;
}

static bool subnets_same(const struct conf_peer *a, const struct conf_peer *b)
{
	if (a->n_subnets != b->n_subnets)
		return false;
	for (unsigned i = 0; i < a->n_subnets; i++)
		if (!prefix_same(&a->subnets[i], &b->subnets[i]))
			return false;
	return true;
}

unsigned conf_peer_diff(const struct conf_peer *a, const struct conf_peer *b)
{
	unsigned d = 0;
	bool common = a->cipher == b->cipher && a->esn == b->esn &&
		      a->keymat_len == b->keymat_len;

	if (!common || a->spi_out != b->spi_out || a->udp_encap != b->udp_encap ||
	    a->endpoint_ip != b->endpoint_ip || a->endpoint_port != b->endpoint_port ||
	    memcmp(a->key_out, b->key_out, sizeof(a->key_out)) != 0)
		d |= CONF_DIFF_OUT;
	if (!common || a->spi_in != b->spi_in || a->replay_window != b->replay_window ||
	    memcmp(a->key_in, b->key_in, sizeof(a->key_in)) != 0)
		d |= CONF_DIFF_IN;
	if (!subnets_same(a, b))
		d |= CONF_DIFF_SUBNETS;
	return d;
}

#define GW_CMP(field, name)						\
	do {								\
		if (memcmp(&a->field, &b->field, sizeof(a->field)) != 0) { \
			snprintf(what, len, "%s", name);		\
			return 1;					\
		}							\
	} while (0)

int conf_gateway_diff(const struct conf_gateway *a, const struct conf_gateway *b,
		      char *what, size_t len)
{
	GW_CMP(wan, "wan");
	GW_CMP(wan_ip, "wan-address");
	GW_CMP(wan_prefixlen, "wan-address");
	GW_CMP(wan_gateway, "wan-gateway");
	GW_CMP(wan_mtu, "wan-mtu");
	GW_CMP(udp_port, "udp-port");
	GW_CMP(inside, "inside");
	GW_CMP(inside_devargs, "inside");
	GW_CMP(inside_name, "inside-name");
	GW_CMP(inside_offload, "inside-offload");
	GW_CMP(n_inside_addr, "inside-address");
	GW_CMP(inside_addr, "inside-address");
	GW_CMP(n_neigh, "neighbour");
	GW_CMP(neigh, "neighbour");
	GW_CMP(state_file, "state-file");
	GW_CMP(crypto, "crypto");
	return 0;
}

int conf_peer_clash(const struct conf *c, const struct conf_peer *p, unsigned skip,
		    char *err, size_t errlen)
{
	char buf[64];

	for (unsigned i = 0; i < c->n_peers; i++) {
		const struct conf_peer *o = &c->peers[i];

		if (i == skip || o->name[0] == '\0')
			continue;
		if (strcmp(o->name, p->name) == 0) {
			snprintf(err, errlen, "a peer named '%s' exists", p->name);
			return -1;
		}
		if (o->spi_in == p->spi_in) {
			snprintf(err, errlen, "spi-in 0x%08x is already used by peer %s", p->spi_in,
				 o->name);
			return -1;
		}
		if (o->spi_out == p->spi_out) {
			snprintf(err, errlen, "spi-out 0x%08x is already used by peer %s",
				 p->spi_out, o->name);
			return -1;
		}
		for (unsigned j = 0; j < p->n_subnets; j++)
			for (unsigned k = 0; k < o->n_subnets; k++)
				if (prefix_same(&p->subnets[j], &o->subnets[k])) {
					snprintf(err, errlen, "subnet %s is already routed to peer %s",
						 conf_prefix_str(&p->subnets[j], buf, sizeof(buf)),
						 o->name);
					return -1;
				}
	}
	return 0;
}
