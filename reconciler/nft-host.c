/* SPDX-License-Identifier: MIT */
/*
 * The host-side table of a confinement namespace's host link:
 * "inet vpnconf-host-<namespace>" in the namespace vpnconf runs in
 * (docs/policy.md, "The host-side table").
 *
 * A process inside the namespace with CAP_NET_RAW can write whole frames
 * to the namespace end of the veth (AF_PACKET): they pass no nftables hook
 * of the namespace, and arrive at the host end as if the namespace had
 * routed them. This table is where the host refuses them: whatever arrives
 * on the host end is dropped in prerouting (before the host delivers or
 * routes it) unless it is a reply of a connection the host opened to a
 * published port, and nothing is forwarded from or to the host end. It is
 * built as pure data, like the other tables, and replaced atomically.
 */
#include <netinet/in.h>
#include <stdio.h>

#include "nft-internal.h"

#define HOST_SET_PUBLISHED "published_tcp"

char *nft_host_table_name(const char *ns_name)
{
	return xasprintf(NFT_HOST_TABLE_PREFIX "%s", ns_name);
}

static NftRule *rule_on(NftChain *c, enum nft_meta_keys key, const char *ifname)
{
	NftRule *r = nft_chain_add_rule(c);

	nft_rule_match_ifname(r, key, ifname);
	return r;
}

static int host_build(const Namespace *ns, bool sealed, NftTable **ret)
{
	_cleanup_free_ char *name = NULL;
	bool ingress;
	NftTable *t;
	NftChain *c;
	NftRule *r;

	assert(ns && ret);
	if (isempty(ns->name) || isempty(ns->host_if) || strnlen(ns->host_if, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	ingress = !sealed && ns->host_link && ns->ingress_host_tcp.n > 0;

	name = nft_host_table_name(ns->name);
	t = nft_table_new(name, NFT_TABLE_HOST);
	/* Prerouting sees every IPv4 and IPv6 packet the host end receives,
	 * before the host decides to deliver or route it. The policy is
	 * accept: the host's other traffic is none of this table's business. */
	c = nft_table_add_base_chain(t, "prerouting", NF_INET_PRE_ROUTING, 0, NF_ACCEPT);
	if (ingress) {
		/* The mirror of the namespace policy's only host-link output
		 * rule: replies, and only replies, of connections the host
		 * opened to a published port. */
		IpAddr ha = {.family = AF_INET, .in = ns->host_link_host_addr};
		r = rule_on(c, NFT_META_IIFNAME, ns->host_if);
		nft_rule_match_addr(r, &ha, false);
		nft_rule_match_port_set(r, IPPROTO_TCP, true, HOST_SET_PUBLISHED);
		nft_rule_match_ct_direction(r, IP_CT_DIR_REPLY);
		nft_rule_match_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED));
		nft_rule_verdict(r, NF_ACCEPT);
	}
	nft_rule_verdict(rule_on(c, NFT_META_IIFNAME, ns->host_if), NF_DROP);

	/* Nothing crosses the host link in either direction through the
	 * host's routing: what prerouting let through is addressed to the
	 * host itself, and the namespace accepts only the host's address. */
	c = nft_table_add_base_chain(t, "forward", NF_INET_FORWARD, 0, NF_ACCEPT);
	nft_rule_verdict(rule_on(c, NFT_META_IIFNAME, ns->host_if), NF_DROP);
	nft_rule_verdict(rule_on(c, NFT_META_OIFNAME, ns->host_if), NF_DROP);

	if (ingress) {
		NftSet *s = nft_table_add_set(t, HOST_SET_PUBLISHED, NFT_KEY_TYPE_INET_SERVICE, 2, 0);
		for (size_t i = 0; i < ns->ingress_host_tcp.n; i++) {
			uint16_t be = htons(ns->ingress_host_tcp.ports[i]);
			nft_set_add_range(s, &be, &be);
		}
		nft_set_canonicalize(s);
	}
	*ret = t;
	return 0;
}

int nft_host_build(const Namespace *ns, NftTable **ret)
{
	return host_build(ns, false, ret);
}

int nft_host_sealed_build(const Namespace *ns, NftTable **ret)
{
	return host_build(ns, true, ret);
}

int nft_host_table_ifname(const NftTable *t, char ret[static IFNAMSIZ])
{
	const NftChain *c;
	const NftRule *r;
	char name[IFNAMSIZ];

	/* Kernel data: the forward chain's first rule must be exactly what
	 * host_build() makes, "iifname <name> drop", and the name a valid
	 * interface name, NUL-padded over all IFNAMSIZ bytes. */
	if (!t || nft_table_kind(t) != NFT_TABLE_HOST)
		return -EINVAL;
	c = nft_table_find_chain(t, "forward");
	if (!c || c->n_rules < 1)
		return -EINVAL;
	r = &c->rules[0];
	if (r->n_exprs != 3 || r->exprs[0].kind != NFT_EXPR_KIND_META ||
	    r->exprs[0].key != NFT_META_IIFNAME || r->exprs[1].kind != NFT_EXPR_KIND_CMP ||
	    r->exprs[1].key != NFT_CMP_EQ || r->exprs[1].len != IFNAMSIZ)
		return -EINVAL;
	memcpy(name, r->exprs[1].data, IFNAMSIZ);
	if (name[IFNAMSIZ - 1] != 0 || !interface_name_is_valid(name))
		return -EINVAL;
	for (size_t i = strlen(name); i < IFNAMSIZ; i++)
		if (name[i] != 0)
			return -EINVAL;
	memcpy(ret, name, IFNAMSIZ);
	return 0;
}
