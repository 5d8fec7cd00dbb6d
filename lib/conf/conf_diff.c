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

static bool id_same(const struct conf_ike_id *a, const struct conf_ike_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Field by field: the structs may come from different copies, whose
 * padding and unused array tails need not agree. */
static bool ike_same(const struct conf_ike *a, const struct conf_ike *b)
{
	if (a->enabled != b->enabled || a->psk_len != b->psk_len ||
	    memcmp(a->psk, b->psk, a->psk_len) != 0 ||
	    !id_same(&a->local_id, &b->local_id) || !id_same(&a->remote_id, &b->remote_id) ||
	    a->n_ike != b->n_ike || a->n_esp != b->n_esp || a->rekey_s != b->rekey_s ||
	    a->ike_rekey_s != b->ike_rekey_s || a->dpd_s != b->dpd_s ||
	    a->initiate != b->initiate)
		return false;
	for (unsigned i = 0; i < a->n_ike && i < CONF_IKE_MAX_PROPS; i++)
		if (a->ike[i].encr != b->ike[i].encr || a->ike[i].keylen != b->ike[i].keylen ||
		    a->ike[i].prf != b->ike[i].prf || a->ike[i].dh != b->ike[i].dh)
			return false;
	for (unsigned i = 0; i < a->n_esp && i < CONF_IKE_MAX_PROPS; i++)
		if (a->esp[i].encr != b->esp[i].encr || a->esp[i].keylen != b->esp[i].keylen ||
		    a->esp[i].dh != b->esp[i].dh)
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
	/* An IKEv2 peer's endpoint, encapsulation and ESN are what its IKE SA
	 * talks to and offers (the static fields keep their flags above). */
	if (!ike_same(&a->ike, &b->ike) ||
	    (a->ike.enabled && (a->endpoint_ip != b->endpoint_ip ||
				a->endpoint_port != b->endpoint_port ||
				a->udp_encap != b->udp_encap || a->esn != b->esn)))
		d |= CONF_DIFF_IKE;
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
	GW_CMP(wan_kernel, "wan-kernel");
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
	char buf[64], idbuf[CONF_IKE_ID_MAX + 1];

	for (unsigned i = 0; i < c->n_peers; i++) {
		const struct conf_peer *o = &c->peers[i];

		if (i == skip || o->name[0] == '\0')
			continue;
		if (strcmp(o->name, p->name) == 0) {
			snprintf(err, errlen, "a peer named '%s' exists", p->name);
			return -1;
		}
		/* IKEv2 peers have no SPIs (0) until a CHILD_SA is negotiated,
		 * and are told apart by their remote-id. */
		bool both_static = !o->ike.enabled && !p->ike.enabled;

		if (o->ike.enabled && p->ike.enabled && id_same(&o->ike.remote_id,
								  &p->ike.remote_id)) {
			snprintf(err, errlen, "remote-id %s is also peer %s's",
				 conf_ike_id_str(&p->ike.remote_id, idbuf, sizeof(idbuf)), o->name);
			return -1;
		}
		if (both_static && o->spi_in == p->spi_in) {
			snprintf(err, errlen, "spi-in 0x%08x is already used by peer %s", p->spi_in,
				 o->name);
			return -1;
		}
		if (both_static && o->spi_out == p->spi_out) {
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
