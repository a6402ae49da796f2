/* SPDX-License-Identifier: MIT */
/*
 * The builders: a Namespace's policy table, the lockdown table and the
 * endpoint-pinning table, as pure data (docs/policy.md explains every rule
 * and why it is there). Named sets are created only when a rule uses them,
 * always in the fixed order of set_table below, so two builds of the same
 * namespace are byte-identical once serialised.
 */
#include <netinet/in.h>
#include <stdio.h>

#include "natpmp.h"
#include "nft-internal.h"

typedef enum PolicySet {
	SET_DNS_V4,
	SET_DNS_V6,
	SET_DNS_PORTS,
	SET_INGRESS_HOST_TCP,
	SET_INGRESS_TUNNEL_TCP,
	SET_INGRESS_TUNNEL_UDP,
	SET_FORWARDED_TCP,
	SET_FORWARDED_UDP,
	SET_EGRESS_TCP,
	SET_EGRESS_UDP,
	SET_ALLOWED_V4,
	SET_ALLOWED_V6,
	SET_ICMP_ESSENTIAL,
	SET_ICMPV6_ESSENTIAL,
	_SET_MAX,
	_SET_INVALID = -EINVAL,
} PolicySet;

static const struct {
	const char *name;
	uint32_t key_type;
	uint32_t key_len;
	uint32_t flags;
} set_table[_SET_MAX] = {
    [SET_DNS_V4] = {"dns_v4", NFT_KEY_TYPE_IPV4_ADDR, 4, 0},
    [SET_DNS_V6] = {"dns_v6", NFT_KEY_TYPE_IPV6_ADDR, 16, 0},
    [SET_DNS_PORTS] = {"dns_ports", NFT_KEY_TYPE_INET_SERVICE, 2, 0},
    [SET_INGRESS_HOST_TCP] = {"ingress_host_tcp", NFT_KEY_TYPE_INET_SERVICE, 2, 0},
    [SET_INGRESS_TUNNEL_TCP] = {"ingress_tunnel_tcp", NFT_KEY_TYPE_INET_SERVICE, 2, 0},
    [SET_INGRESS_TUNNEL_UDP] = {"ingress_tunnel_udp", NFT_KEY_TYPE_INET_SERVICE, 2, 0},
    [SET_FORWARDED_TCP] = {NFT_SET_FORWARDED_TCP, NFT_KEY_TYPE_INET_SERVICE, 2, 0},
    [SET_FORWARDED_UDP] = {NFT_SET_FORWARDED_UDP, NFT_KEY_TYPE_INET_SERVICE, 2, 0},
    [SET_EGRESS_TCP] = {"egress_tcp", NFT_KEY_TYPE_INET_SERVICE, 2, 0},
    [SET_EGRESS_UDP] = {"egress_udp", NFT_KEY_TYPE_INET_SERVICE, 2, 0},
    [SET_ALLOWED_V4] = {"allowed_v4", NFT_KEY_TYPE_IPV4_ADDR, 4, NFT_SET_INTERVAL},
    [SET_ALLOWED_V6] = {"allowed_v6", NFT_KEY_TYPE_IPV6_ADDR, 16, NFT_SET_INTERVAL},
    [SET_ICMP_ESSENTIAL] = {"icmp_essential", NFT_KEY_TYPE_ICMP_TYPE, 1, 0},
    [SET_ICMPV6_ESSENTIAL] = {"icmpv6_essential", NFT_KEY_TYPE_ICMPV6_TYPE, 1, 0},
};

/* Resolver ports: DNS, DNS over TLS, mDNS, LLMNR. */
static const uint16_t dns_ports[] = {53, 853, 5353, 5355};
/* The ICMP errors path MTU discovery and sane failure reporting need. */
static const uint8_t icmp_essential[] = {3 /* destination-unreachable */, 11 /* time-exceeded */,
					 12 /* parameter-problem */};
static const uint8_t icmpv6_essential[] = {1 /* destination-unreachable */, 2 /* packet-too-big */,
					   3 /* time-exceeded */, 4 /* parameter-problem */};

typedef struct PolicyBuilder {
	const Namespace *ns;
	NftTable *table;
	bool used[_SET_MAX];
	bool ipv6; /* IPv6 is tunnelled; else no IPv6 set or rule exists */
	IpRange *allowed_v4, *allowed_v6;
	size_t n_allowed_v4, n_allowed_v6;
	size_t n_dns_v4, n_dns_v6;
} PolicyBuilder;

static void builder_done(PolicyBuilder *b)
{
	free(b->allowed_v4);
	free(b->allowed_v6);
	nft_table_free(b->table);
}

static const char *use_set(PolicyBuilder *b, PolicySet id)
{
	b->used[id] = true;
	return set_table[id].name;
}

static void fill_ports(NftSet *s, const uint16_t *ports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t be = htons(ports[i]);
		nft_set_add_range(s, &be, &be);
	}
}

static void fill_addrs(NftSet *s, const Namespace *ns, int family)
{
	FOREACH_ARRAY(a, ns->dns_servers, ns->n_dns_servers)
		if (a->family == family)
			nft_set_add_range(s, a->bytes, a->bytes);
}

static void fill_ranges(NftSet *s, const IpRange *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nft_set_add_range(s, r[i].first.bytes, r[i].last.bytes);
}

static void fill_bytes(NftSet *s, const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nft_set_add_range(s, &v[i], &v[i]);
}

/* The forwarded ports: the static ones, or the port of the current lease
 * (none while there is none: the set exists empty, so that the agent can
 * add the next lease's port without replacing the table). */
static void fill_forwarded(NftSet *s, const PortForwarding *pf)
{
	switch (pf->mode) {
	case PORT_FORWARD_STATIC:
		fill_ports(s, pf->static_ports.ports, pf->static_ports.n);
		break;
	case PORT_FORWARD_NATPMP:
		if (pf->lease_port != 0)
			fill_ports(s, &pf->lease_port, 1);
		break;
	case PORT_FORWARD_NONE:
	case _PORT_FORWARD_MAX:
	case _PORT_FORWARD_INVALID:
		break;
	}
}

static void fill_set(const PolicyBuilder *b, PolicySet id, NftSet *s)
{
	const Namespace *ns = b->ns;

	switch (id) {
	case SET_DNS_V4:
		fill_addrs(s, ns, AF_INET);
		break;
	case SET_DNS_V6:
		fill_addrs(s, ns, AF_INET6);
		break;
	case SET_DNS_PORTS:
		fill_ports(s, dns_ports, ELEMENTSOF(dns_ports));
		break;
	case SET_INGRESS_HOST_TCP:
		fill_ports(s, ns->ingress_host_tcp.ports, ns->ingress_host_tcp.n);
		break;
	case SET_INGRESS_TUNNEL_TCP:
		fill_ports(s, ns->ingress_tunnel_tcp.ports, ns->ingress_tunnel_tcp.n);
		break;
	case SET_INGRESS_TUNNEL_UDP:
		fill_ports(s, ns->ingress_tunnel_udp.ports, ns->ingress_tunnel_udp.n);
		break;
	case SET_FORWARDED_TCP:
	case SET_FORWARDED_UDP:
		fill_forwarded(s, &ns->pf);
		break;
	case SET_EGRESS_TCP:
		fill_ports(s, ns->egress_tcp.ports, ns->egress_tcp.n);
		break;
	case SET_EGRESS_UDP:
		fill_ports(s, ns->egress_udp.ports, ns->egress_udp.n);
		break;
	case SET_ALLOWED_V4:
		fill_ranges(s, b->allowed_v4, b->n_allowed_v4);
		break;
	case SET_ALLOWED_V6:
		fill_ranges(s, b->allowed_v6, b->n_allowed_v6);
		break;
	case SET_ICMP_ESSENTIAL:
		fill_bytes(s, icmp_essential, ELEMENTSOF(icmp_essential));
		break;
	case SET_ICMPV6_ESSENTIAL:
		fill_bytes(s, icmpv6_essential, ELEMENTSOF(icmpv6_essential));
		break;
	case _SET_MAX:
	case _SET_INVALID:
		assert(false);
	}
}

static void add_sets(PolicyBuilder *b)
{
	for (PolicySet id = 0; id < _SET_MAX; id++) {
		if (!b->used[id])
			continue;
		NftSet *s = nft_table_add_set(b->table, set_table[id].name, set_table[id].key_type,
					      set_table[id].key_len, set_table[id].flags);
		fill_set(b, id, s);
		/* Port lists arrive sorted; resolver addresses need not. */
		nft_set_canonicalize(s);
	}
}

/* "iifname/oifname <ifname>" as the start of a new rule. */
static NftRule *rule_on(NftChain *c, bool input, const char *ifname)
{
	NftRule *r = nft_chain_add_rule(c);

	nft_rule_match_ifname(r, input ? NFT_META_IIFNAME : NFT_META_OIFNAME, ifname);
	return r;
}

/* The part both directions share: loopback, invalid packets, IPv6 when it
 * is not tunnelled, and return traffic of tunnel connections. */
static void add_common_head(PolicyBuilder *b, NftChain *c, bool input)
{
	NftRule *r;

	nft_rule_verdict(rule_on(c, input, "lo"), NF_ACCEPT);

	r = nft_chain_add_rule(c);
	nft_rule_match_ct_state(r, NF_CT_STATE_INVALID_BIT);
	nft_rule_verdict(r, NF_DROP);

	if (!b->ipv6) {
		r = nft_chain_add_rule(c);
		nft_rule_match_nfproto(r, NFPROTO_IPV6);
		nft_rule_verdict(r, NF_DROP);
	}

	r = rule_on(c, input, b->ns->wg.ifname);
	nft_rule_match_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
				       NF_CT_STATE_BIT(IP_CT_RELATED));
	nft_rule_verdict(r, NF_ACCEPT);
}

/* The explicit end of a drop-policy chain. The kernel gives a base chain
 * created in a transaction the policy accept until that chain's own
 * creation is committed, and it commits the deletion of the old table
 * (unhooking its chains) before it: for a moment the new chains, already
 * holding their rules, would let through whatever no rule drops. This
 * rule makes the policy irrelevant at that moment. */
static void add_final_drop(NftChain *c)
{
	nft_rule_verdict(nft_chain_add_rule(c), NF_DROP);
}

static bool host_ingress(const Namespace *ns)
{
	return ns->host_link && ns->ingress_host_tcp.n > 0;
}

static void build_input(PolicyBuilder *b, NftChain *c)
{
	const Namespace *ns = b->ns;
	NftRule *r;

	add_common_head(b, c, true);

	if (host_ingress(ns)) {
		IpAddr ha = {.family = AF_INET, .in = ns->host_link_host_addr};
		r = rule_on(c, true, ns->ns_if);
		nft_rule_match_addr(r, &ha, true);
		nft_rule_match_port_set(r, IPPROTO_TCP, false, use_set(b, SET_INGRESS_HOST_TCP));
		nft_rule_verdict(r, NF_ACCEPT);
	}
	if (ns->ingress_tunnel_tcp.n > 0) {
		r = rule_on(c, true, ns->wg.ifname);
		nft_rule_match_port_set(r, IPPROTO_TCP, false, use_set(b, SET_INGRESS_TUNNEL_TCP));
		nft_rule_verdict(r, NF_ACCEPT);
	}
	if (ns->ingress_tunnel_udp.n > 0) {
		r = rule_on(c, true, ns->wg.ifname);
		nft_rule_match_port_set(r, IPPROTO_UDP, false, use_set(b, SET_INGRESS_TUNNEL_UDP));
		nft_rule_verdict(r, NF_ACCEPT);
	}
	if (ns->pf.mode != PORT_FORWARD_NONE) {
		if (ns->pf.tcp) {
			r = rule_on(c, true, ns->wg.ifname);
			nft_rule_match_port_set(r, IPPROTO_TCP, false, use_set(b, SET_FORWARDED_TCP));
			nft_rule_verdict(r, NF_ACCEPT);
		}
		if (ns->pf.udp) {
			r = rule_on(c, true, ns->wg.ifname);
			nft_rule_match_port_set(r, IPPROTO_UDP, false, use_set(b, SET_FORWARDED_UDP));
			nft_rule_verdict(r, NF_ACCEPT);
		}
	}
	add_final_drop(c);
}

static void add_dns(PolicyBuilder *b, NftChain *c)
{
	static const uint8_t protos[] = {IPPROTO_UDP, IPPROTO_TCP};
	const char *w = b->ns->wg.ifname;
	NftRule *r;

	for (int v6 = 0; v6 <= 1; v6++) {
		if (v6 ? (!b->ipv6 || b->n_dns_v6 == 0) : b->n_dns_v4 == 0)
			continue;
		for (size_t i = 0; i < ELEMENTSOF(protos); i++) {
			r = rule_on(c, false, w);
			nft_rule_match_addr_set(r, v6 ? AF_INET6 : AF_INET, false,
						use_set(b, v6 ? SET_DNS_V6 : SET_DNS_V4));
			nft_rule_match_port(r, protos[i], false, 53);
			nft_rule_verdict(r, NF_ACCEPT);
		}
	}
	/* Resolver traffic to anything else never reaches the egress
	 * accepts below. */
	for (size_t i = 0; i < ELEMENTSOF(protos); i++) {
		r = rule_on(c, false, w);
		nft_rule_match_port_set(r, protos[i], false, use_set(b, SET_DNS_PORTS));
		nft_rule_verdict(r, NF_DROP);
	}
}

/* One family's destination restriction for an allowList rule; false when
 * that family has no allowed destination (and so no rule). */
static bool add_allowed_dest(PolicyBuilder *b, NftRule **r, NftChain *c, bool v6)
{
	if (v6 ? (!b->ipv6 || b->n_allowed_v6 == 0) : b->n_allowed_v4 == 0)
		return false;
	*r = rule_on(c, false, b->ns->wg.ifname);
	nft_rule_match_addr_set(*r, v6 ? AF_INET6 : AF_INET, false,
				use_set(b, v6 ? SET_ALLOWED_V6 : SET_ALLOWED_V4));
	return true;
}

static void add_egress_ports(PolicyBuilder *b, NftChain *c, uint8_t proto, PolicySet set)
{
	NftRule *r;

	if (b->ns->n_allowed_cidrs == 0) {
		r = rule_on(c, false, b->ns->wg.ifname);
		nft_rule_match_port_set(r, proto, false, use_set(b, set));
		nft_rule_verdict(r, NF_ACCEPT);
		return;
	}
	/* With CIDRs, a family without any has no destination at all: no
	 * rule rather than an unrestricted one. */
	for (int v6 = 0; v6 <= 1; v6++)
		if (add_allowed_dest(b, &r, c, v6)) {
			nft_rule_match_port_set(r, proto, false, use_set(b, set));
			nft_rule_verdict(r, NF_ACCEPT);
		}
}

static void add_allow_list(PolicyBuilder *b, NftChain *c)
{
	const Namespace *ns = b->ns;
	NftRule *r;

	/* The NAT-PMP gateway's port, and nothing else of it. */
	if (ns->pf.mode == PORT_FORWARD_NATPMP && ns->pf.gateway.family == AF_INET) {
		r = rule_on(c, false, ns->wg.ifname);
		nft_rule_match_addr(r, &ns->pf.gateway, false);
		nft_rule_match_port(r, IPPROTO_UDP, false, NATPMP_PORT);
		nft_rule_verdict(r, NF_ACCEPT);
	}

	if (ns->allow_essential_icmp)
		for (int v6 = 0; v6 <= 1; v6++)
			if (add_allowed_dest(b, &r, c, v6)) {
				nft_rule_match_icmp_set(
				    r, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
				    use_set(b, v6 ? SET_ICMPV6_ESSENTIAL : SET_ICMP_ESSENTIAL));
				nft_rule_verdict(r, NF_ACCEPT);
			}
	if (ns->egress_tcp.n > 0)
		add_egress_ports(b, c, IPPROTO_TCP, SET_EGRESS_TCP);
	if (ns->egress_udp.n > 0)
		add_egress_ports(b, c, IPPROTO_UDP, SET_EGRESS_UDP);
	if (ns->egress_tcp.n == 0 && ns->egress_udp.n == 0)
		for (int v6 = 0; v6 <= 1; v6++)
			if (add_allowed_dest(b, &r, c, v6))
				nft_rule_verdict(r, NF_ACCEPT);
}

static void build_output(PolicyBuilder *b, NftChain *c)
{
	const Namespace *ns = b->ns;
	NftRule *r;

	add_common_head(b, c, false);

	if (host_ingress(ns)) {
		IpAddr ha = {.family = AF_INET, .in = ns->host_link_host_addr};
		r = rule_on(c, false, ns->ns_if);
		nft_rule_match_addr(r, &ha, false);
		nft_rule_match_port_set(r, IPPROTO_TCP, true, use_set(b, SET_INGRESS_HOST_TCP));
		nft_rule_match_ct_direction(r, IP_CT_DIR_REPLY);
		nft_rule_match_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED));
		nft_rule_verdict(r, NF_ACCEPT);
	}
	if (ns->dns_mode == DNS_MODE_STRICT)
		add_dns(b, c);
	switch (ns->egress_mode) {
	case EGRESS_MODE_ALLOW_LIST:
		add_allow_list(b, c);
		break;
	case EGRESS_MODE_ALLOW_ALL_TUNNEL:
		nft_rule_verdict(rule_on(c, false, ns->wg.ifname), NF_ACCEPT);
		break;
	case _EGRESS_MODE_MAX:
	case _EGRESS_MODE_INVALID:
		break;
	}
	add_final_drop(c);
}

static bool ifname_ok(const char *s)
{
	return s[0] != 0 && strnlen(s, IFNAMSIZ) < IFNAMSIZ;
}

static int policy_check(const Namespace *ns)
{
	if (!ifname_ok(ns->wg.ifname))
		return -EINVAL;
	if (host_ingress(ns) && !ifname_ok(ns->ns_if))
		return -EINVAL;
	if (ns->egress_mode != EGRESS_MODE_ALLOW_LIST &&
	    ns->egress_mode != EGRESS_MODE_ALLOW_ALL_TUNNEL)
		return -EINVAL;
	if (ns->dns_mode != DNS_MODE_STRICT && ns->dns_mode != DNS_MODE_COMPAT)
		return -EINVAL;
	if (ns->ipv6_mode != IPV6_MODE_DISABLE && ns->ipv6_mode != IPV6_MODE_TUNNEL)
		return -EINVAL;
	return 0;
}

int nft_policy_build(const Namespace *ns, NftTable **ret)
{
	_cleanup_(builder_done) PolicyBuilder b = {.ns = ns};
	int r;

	assert(ns && ret);
	r = policy_check(ns);
	if (r < 0)
		return r;

	b.ipv6 = ns->ipv6_mode == IPV6_MODE_TUNNEL;
	b.n_allowed_v4 =
	    ipprefix_merge_ranges(ns->allowed_cidrs, ns->n_allowed_cidrs, AF_INET, &b.allowed_v4);
	b.n_allowed_v6 =
	    ipprefix_merge_ranges(ns->allowed_cidrs, ns->n_allowed_cidrs, AF_INET6, &b.allowed_v6);
	FOREACH_ARRAY(a, ns->dns_servers, ns->n_dns_servers) {
		if (a->family == AF_INET)
			b.n_dns_v4++;
		else
			b.n_dns_v6++;
	}

	b.table = nft_table_new(NFT_POLICY_TABLE, NFT_TABLE_POLICY);
	build_input(&b, nft_table_add_base_chain(b.table, "input", NF_INET_LOCAL_IN, 0, NF_DROP));
	add_final_drop(nft_table_add_base_chain(b.table, "forward", NF_INET_FORWARD, 0, NF_DROP));
	build_output(&b,
		     nft_table_add_base_chain(b.table, "output", NF_INET_LOCAL_OUT, 0, NF_DROP));
	add_sets(&b);

	*ret = TAKE_PTR(b.table);
	return 0;
}

int nft_lockdown_build(NftTable **ret)
{
	NftTable *t = nft_table_new(NFT_POLICY_TABLE, NFT_TABLE_LOCKDOWN);
	NftChain *c;

	assert(ret);
	c = nft_table_add_base_chain(t, "input", NF_INET_LOCAL_IN, 0, NF_DROP);
	nft_rule_verdict(rule_on(c, true, "lo"), NF_ACCEPT);
	add_final_drop(c);
	add_final_drop(nft_table_add_base_chain(t, "forward", NF_INET_FORWARD, 0, NF_DROP));
	c = nft_table_add_base_chain(t, "output", NF_INET_LOCAL_OUT, 0, NF_DROP);
	nft_rule_verdict(rule_on(c, false, "lo"), NF_ACCEPT);
	add_final_drop(c);
	*ret = t;
	return 0;
}

char *nft_pin_table_name(const char *ns_name)
{
	return xasprintf(NFT_PIN_TABLE_PREFIX "%s", ns_name);
}

typedef struct PinTarget {
	IpAddr addr;
	uint16_t port;
} PinTarget;

static int pin_target_compare(const void *x, const void *y)
{
	const PinTarget *a = x, *b = y;
	int r = ipaddr_compare(&a->addr, &b->addr);

	return r != 0 ? r : (int)a->port - (int)b->port;
}

int nft_pin_build(const Namespace *ns, NftTable **ret)
{
	_cleanup_free_ PinTarget *targets = NULL;
	_cleanup_free_ char *name = NULL;
	uint32_t mark = ns->wg.pinning_fwmark;
	size_t n = 0, m = 0;
	NftChain *c;
	NftRule *r;

	assert(ns && ret);
	if (!ns->wg.pinning_enable || mark == 0 || isempty(ns->name))
		return -EINVAL;

	/* Every endpoint of a peer's list, fallbacks included: the tunnel may
	 * be moved to any of them without touching the pinning table. */
	FOREACH_ARRAY(p, ns->wg.peers, ns->wg.n_peers)
		for (size_t k = 0; k < peer_endpoint_count(p); k++) {
			const Endpoint *e = peer_endpoint_at(p, k, NULL);

			if (e->literal)
				*ARRAY_APPEND(targets, n) = (PinTarget){e->addr, e->port};
		}
	if (n > 0)
		qsort(targets, n, sizeof(PinTarget), pin_target_compare);

	name = nft_pin_table_name(ns->name);
	NftTable *t = nft_table_new(name, NFT_TABLE_PIN);
	c = nft_table_add_base_chain(t, "output", NF_INET_LOCAL_OUT, 0, NF_ACCEPT);
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && pin_target_compare(&targets[i], &targets[i - 1]) == 0)
			continue;
		m++;
		r = nft_chain_add_rule(c);
		nft_rule_match_mark(r, mark);
		nft_rule_match_addr(r, &targets[i].addr, false);
		nft_rule_match_port(r, IPPROTO_UDP, false, targets[i].port);
		nft_rule_verdict(r, NF_ACCEPT);
	}
	r = nft_chain_add_rule(c);
	nft_rule_match_mark(r, mark);
	nft_rule_match_l4proto(r, IPPROTO_UDP);
	nft_rule_verdict(r, NF_DROP);

	*ret = t;
	return 0;
}
