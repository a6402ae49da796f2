/* SPDX-License-Identifier: MIT */
/*
 * nftables module, without a kernel: the policy builders (rule by rule),
 * batch bytes against golden files, the interval set encoding, and
 * table differences.
 *
 * Golden files live in tests/unit/golden/, one message per line (type,
 * sequence number, flags, then the whole message in hex). After an
 * intended change to the policy or the batch format, regenerate them with
 *   VPNCONF_UPDATE_GOLDEN=1 meson test -C <builddir> test-nft
 * and review the diff.
 */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>

#include "nft-internal.h"
#include "test-nft-golden.h"
#include "test-nft-ns.h"
#include "test.h"

TEST(policy_reference_rules)
{
	static const char *const input[] = {
	    "iifname \"lo\" accept",
	    "ct state invalid drop",
	    "meta nfproto ipv6 drop",
	    "iifname \"wg0\" ct state established,related accept",
	    "iifname \"vn-abc\" ip saddr 169.254.10.1 tcp dport @ingress_host_tcp accept",
	    "drop",
	};
	static const char *const output[] = {
	    "oifname \"lo\" accept",
	    "ct state invalid drop",
	    "meta nfproto ipv6 drop",
	    "oifname \"wg0\" ct state established,related accept",
	    "oifname \"vn-abc\" ip daddr 169.254.10.1 tcp sport @ingress_host_tcp "
	    "ct direction reply ct state established accept",
	    "oifname \"wg0\" ip daddr @dns_v4 udp dport 53 accept",
	    "oifname \"wg0\" ip daddr @dns_v4 tcp dport 53 accept",
	    "oifname \"wg0\" udp dport @dns_ports drop",
	    "oifname \"wg0\" tcp dport @dns_ports drop",
	    "oifname \"wg0\" ip daddr @allowed_v4 icmp type @icmp_essential accept",
	    "oifname \"wg0\" ip daddr @allowed_v4 tcp dport @egress_tcp accept",
	    "drop",
	};
	static const char *const forward[] = {"drop"};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	ASSERT_STREQ(nft_table_name(t), "vpnconf");
	ASSERT_EQ(nft_table_kind(t), NFT_TABLE_POLICY);
	assert_rules(t, "input", input, ELEMENTSOF(input));
	assert_rules(t, "forward", forward, ELEMENTSOF(forward));
	assert_rules(t, "output", output, ELEMENTSOF(output));

	_cleanup_free_ char *summary = nft_table_summary(t);
	ASSERT_STREQ(summary, "3 chains, 19 rules, 6 sets, 13 elements");

	const NftSet *s = nft_table_find_set(t, "allowed_v4");
	ASSERT_TRUE(s);
	ASSERT_EQ(s->flags, NFT_SET_INTERVAL);
	ASSERT_EQ(s->n_elems, 3); /* 192.168.1.0/24 and .2.0/24 merge */
	_cleanup_free_ char *e = nft_elem_to_string(&s->elems[2], s->key_type, s->key_len);
	ASSERT_STREQ(e, "192.168.1.0-192.168.2.255");
	ASSERT_TRUE(!nft_table_find_set(t, "dns_v6"));
	ASSERT_TRUE(!nft_table_find_set(t, "allowed_v6"));
}

TEST(policy_alternative_rules)
{
	static const char *const input[] = {
	    "iifname \"lo\" accept",
	    "ct state invalid drop",
	    "iifname \"wg0\" ct state established,related accept",
	    "iifname \"wg0\" tcp dport @ingress_tunnel_tcp accept",
	    "iifname \"wg0\" udp dport @ingress_tunnel_udp accept",
	    "drop",
	};
	static const char *const output[] = {
	    "oifname \"lo\" accept",
	    "ct state invalid drop",
	    "oifname \"wg0\" ct state established,related accept",
	    "oifname \"wg0\" accept",
	    "drop",
	};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	TestNs ns;

	test_ns_alternative(&ns);
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	assert_rules(t, "input", input, ELEMENTSOF(input));
	assert_rules(t, "output", output, ELEMENTSOF(output));
	ASSERT_EQ(t->n_sets, 2);
}

TEST(policy_dual_stack_rules)
{
	static const char *const output[] = {
	    "oifname \"lo\" accept",
	    "ct state invalid drop",
	    "oifname \"wg0\" ct state established,related accept",
	    "oifname \"vn-abc\" ip daddr 169.254.10.1 tcp sport @ingress_host_tcp "
	    "ct direction reply ct state established accept",
	    "oifname \"wg0\" ip daddr @dns_v4 udp dport 53 accept",
	    "oifname \"wg0\" ip daddr @dns_v4 tcp dport 53 accept",
	    "oifname \"wg0\" ip6 daddr @dns_v6 udp dport 53 accept",
	    "oifname \"wg0\" ip6 daddr @dns_v6 tcp dport 53 accept",
	    "oifname \"wg0\" udp dport @dns_ports drop",
	    "oifname \"wg0\" tcp dport @dns_ports drop",
	    "oifname \"wg0\" ip daddr @allowed_v4 icmp type @icmp_essential accept",
	    "oifname \"wg0\" ip6 daddr @allowed_v6 icmpv6 type @icmpv6_essential accept",
	    "oifname \"wg0\" ip daddr @allowed_v4 tcp dport @egress_tcp accept",
	    "oifname \"wg0\" ip6 daddr @allowed_v6 tcp dport @egress_tcp accept",
	    "oifname \"wg0\" ip daddr @allowed_v4 udp dport @egress_udp accept",
	    "oifname \"wg0\" ip6 daddr @allowed_v6 udp dport @egress_udp accept",
	    "drop",
	};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	TestNs ns;

	test_ns_dual_stack(&ns);
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	assert_rules(t, "output", output, ELEMENTSOF(output));
	const NftSet *s = nft_table_find_set(t, "allowed_v6");
	ASSERT_TRUE(s);
	_cleanup_free_ char *e = nft_elem_to_string(&s->elems[0], s->key_type, s->key_len);
	ASSERT_STREQ(e, "2001:db8:1::/48");
}

TEST(policy_cidrs_without_ports)
{
	static const char *const output_tail[] = {
	    "oifname \"wg0\" ip daddr @allowed_v4 accept",
	};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ns.ns.egress_tcp.n = 0;
	ns.ns.allow_essential_icmp = false;
	ns.ns.dns_mode = DNS_MODE_COMPAT;
	ns.ns.host_link = false;
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	_cleanup_strv_free_ char **l = chain_rules_text(t, "output");
	ASSERT_EQ(strv_length(l), 6);
	ASSERT_STREQ(l[4], output_tail[0]);

	/* Only IPv6 CIDRs with IPv6 disabled: no destination at all, so no
	 * egress rule (never an unrestricted one). */
	nft_table_free(TAKE_PTR(t));
	test_ns_parse_prefix("2001:db8::/32", &ns.cidrs[0]);
	ns.ns.n_allowed_cidrs = 1;
	ns.ns.egress_tcp.n = 1;
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	strv_free(TAKE_PTR(l));
	l = chain_rules_text(t, "output");
	ASSERT_EQ(strv_length(l), 5);
}

TEST(policy_invalid)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ns.ns.wg.ifname[0] = 0;
	ASSERT_ERR(nft_policy_build(&ns.ns, &t), EINVAL);
	test_ns_reference(&ns);
	ns.ns.ns_if[0] = 0;
	ASSERT_ERR(nft_policy_build(&ns.ns, &t), EINVAL);
	ASSERT_TRUE(!t);
}

TEST(lockdown_rules)
{
	static const char *const input[] = {"iifname \"lo\" accept", "drop"};
	static const char *const forward[] = {"drop"};
	static const char *const output[] = {"oifname \"lo\" accept", "drop"};
	_cleanup_(nft_table_freep) NftTable *t = NULL;

	ASSERT_OK(nft_lockdown_build(&t));
	ASSERT_EQ(nft_table_kind(t), NFT_TABLE_LOCKDOWN);
	ASSERT_STREQ(nft_table_name(t), "vpnconf");
	assert_rules(t, "input", input, 2);
	assert_rules(t, "forward", forward, 1);
	assert_rules(t, "output", output, 2);
	FOREACH_ARRAY(c, t->chains, t->n_chains)
		ASSERT_EQ(c->policy, NF_DROP);
}

TEST(pin_rules)
{
	static const char *const output[] = {
	    "meta mark 0x00051820 ip daddr 192.0.2.7 udp dport 51820 accept",
	    "meta mark 0x00051820 ip6 daddr 2001:db8::7 udp dport 443 accept",
	    "meta mark 0x00051820 meta l4proto udp drop",
	};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_free_ char *name = nft_pin_table_name("ref");
	TestNs ns;

	ASSERT_STREQ(name, "vpnconf-pin-ref");
	test_ns_reference(&ns);
	/* A duplicate endpoint is pinned once. */
	ns.peers[3] = ns.peers[0];
	ns.ns.wg.n_peers = 4;
	ASSERT_OK(nft_pin_build(&ns.ns, &t));
	ASSERT_STREQ(nft_table_name(t), "vpnconf-pin-ref");
	ASSERT_EQ(nft_table_kind(t), NFT_TABLE_PIN);
	ASSERT_EQ(t->n_chains, 1);
	ASSERT_EQ(t->chains[0].policy, NF_ACCEPT);
	assert_rules(t, "output", output, ELEMENTSOF(output));

	nft_table_free(TAKE_PTR(t));
	ns.ns.wg.pinning_enable = false;
	ASSERT_ERR(nft_pin_build(&ns.ns, &t), EINVAL);
}

/* peers[].endpoints: the pinning table admits every endpoint of a peer's
 * list (the tunnel may move to any of them), sorted and each once; a
 * hostname fallback is never pinned. */
TEST(pin_admits_fallback_endpoints)
{
	static const char *const output[] = {
	    "meta mark 0x00051820 ip daddr 192.0.2.7 udp dport 51820 accept",
	    "meta mark 0x00051820 ip daddr 192.0.2.8 udp dport 51820 accept",
	    "meta mark 0x00051820 ip daddr 198.51.100.9 udp dport 4500 accept",
	    "meta mark 0x00051820 ip6 daddr 2001:db8::7 udp dport 443 accept",
	    "meta mark 0x00051820 meta l4proto udp drop",
	};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	Endpoint fallbacks[4] = {
		{.literal = true, .port = 4500},
		{.literal = true, .port = 51820},
		{.host = (char *)"backup.example.org", .port = 51820},
		{.literal = true, .port = 51820}, /* the same as peers[0].endpoint */
	};
	TestNs ns;

	test_ns_reference(&ns);
	test_ns_parse_addr("198.51.100.9", &fallbacks[0].addr);
	test_ns_parse_addr("192.0.2.8", &fallbacks[1].addr);
	test_ns_parse_addr("192.0.2.7", &fallbacks[3].addr);
	ns.peers[0].endpoints = fallbacks;
	ns.peers[0].n_endpoints = ELEMENTSOF(fallbacks);
	ASSERT_OK(nft_pin_build(&ns.ns, &t));
	assert_rules(t, "output", output, ELEMENTSOF(output));
}

/* Raw frames sent from inside reach the host end of the host link without
 * passing any hook of the namespace: the host-side table. */
TEST(host_side_rules)
{
	static const char *const prerouting[] = {
	    "iifname \"vh-abc\" ip daddr 169.254.10.1 tcp sport @published_tcp ct direction "
	    "reply ct state established accept",
	    "iifname \"vh-abc\" drop",
	};
	static const char *const sealed[] = {"iifname \"vh-abc\" drop"};
	static const char *const forward[] = {"iifname \"vh-abc\" drop", "oifname \"vh-abc\" drop"};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_free_ char *name = nft_host_table_name("ref");
	TestNs ns;

	ASSERT_STREQ(name, "vpnconf-host-ref");
	test_ns_reference(&ns);
	ASSERT_OK(nft_host_build(&ns.ns, &t));
	ASSERT_STREQ(nft_table_name(t), "vpnconf-host-ref");
	ASSERT_EQ(nft_table_kind(t), NFT_TABLE_HOST);
	ASSERT_EQ(t->n_chains, 2);
	FOREACH_ARRAY(c, t->chains, t->n_chains)
		ASSERT_EQ(c->policy, NF_ACCEPT); /* the host's other traffic passes */
	ASSERT_EQ(t->chains[0].hook, NF_INET_PRE_ROUTING);
	ASSERT_EQ(t->chains[1].hook, NF_INET_FORWARD);
	assert_rules(t, "prerouting", prerouting, ELEMENTSOF(prerouting));
	assert_rules(t, "forward", forward, ELEMENTSOF(forward));
	ASSERT_EQ(t->n_sets, 1);
	ASSERT_EQ(t->sets[0].n_elems, 1);

	/* Sealed, or without published ports: nothing in from the link. */
	nft_table_free(TAKE_PTR(t));
	ASSERT_OK(nft_host_sealed_build(&ns.ns, &t));
	assert_rules(t, "prerouting", sealed, 1);
	assert_rules(t, "forward", forward, ELEMENTSOF(forward));
	ASSERT_EQ(t->n_sets, 0);
	nft_table_free(TAKE_PTR(t));
	ns.ns.ingress_host_tcp.n = 0;
	ASSERT_OK(nft_host_build(&ns.ns, &t));
	assert_rules(t, "prerouting", sealed, 1);
}

/* Kernel data: the host interface a namespace no longer desired had is
 * read back from its host-side table, and only from one exactly as built. */
TEST(host_side_table_ifname)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	char name[IFNAMSIZ] = "unchanged";
	TestNs ns;

	test_ns_reference(&ns);
	ASSERT_OK(nft_host_build(&ns.ns, &t));
	ASSERT_OK(nft_host_table_ifname(t, name));
	ASSERT_STREQ(name, "vh-abc");

	/* A name with bytes after its end, a wrong name, another rule. */
	strcpy(name, "unchanged");
	t->chains[1].rules[0].exprs[1].data[IFNAMSIZ - 2] = 'x';
	ASSERT_ERR(nft_host_table_ifname(t, name), EINVAL);
	memcpy(t->chains[1].rules[0].exprs[1].data, "../x\0\0\0\0\0\0\0\0\0\0\0\0", IFNAMSIZ);
	ASSERT_ERR(nft_host_table_ifname(t, name), EINVAL);
	t->chains[1].rules[0].exprs[0].key = NFT_META_OIFNAME;
	ASSERT_ERR(nft_host_table_ifname(t, name), EINVAL);
	ASSERT_STREQ(name, "unchanged");
	t->kind = NFT_TABLE_FOREIGN;
	ASSERT_ERR(nft_host_table_ifname(t, name), EINVAL);
}

TEST(golden_host_side)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ASSERT_OK(nft_host_build(&ns.ns, &t));
	ASSERT_OK(nft_batch_build_replace(t, 4000, &b));
	/* begin, 3 tables, 2 chains, 1 set, 1 element chunk, 4 rules, end */
	ASSERT_EQ(nft_batch_messages(b), 1 + 3 + 2 + 1 + 1 + 4 + 1);
	_cleanup_free_ char *text = batch_to_text(b);
	check_golden("nft-host.hex", text);
}

TEST(golden_policy)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	ASSERT_OK(nft_batch_build_replace(t, 1000, &b));
	/* begin, 3 tables, 3 chains, 6 sets, 6 element chunks, 19 rules, end */
	ASSERT_EQ(nft_batch_messages(b), 1 + 3 + 3 + 6 + 6 + 19 + 1);
	_cleanup_free_ char *text = batch_to_text(b);
	check_golden("nft-policy.hex", text);
}

TEST(golden_lockdown)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;

	ASSERT_OK(nft_lockdown_build(&t));
	ASSERT_OK(nft_batch_build_replace(t, 2000, &b));
	ASSERT_EQ(nft_batch_messages(b), 1 + 3 + 3 + 5 + 1);
	_cleanup_free_ char *text = batch_to_text(b);
	check_golden("nft-lockdown.hex", text);
}

TEST(golden_pin)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ASSERT_OK(nft_pin_build(&ns.ns, &t));
	ASSERT_OK(nft_batch_build_replace(t, 3000, &b));
	_cleanup_free_ char *text = batch_to_text(b);
	check_golden("nft-pin.hex", text);
}

TEST(golden_delete)
{
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;

	ASSERT_OK(nft_batch_build_delete("vpnconf", 4000, &b));
	ASSERT_EQ(nft_batch_messages(b), 3);
	_cleanup_free_ char *text = batch_to_text(b);
	check_golden("nft-delete.hex", text);
	ASSERT_ERR(nft_batch_build_delete("", 1, &b), EINVAL);
}

/* The NEWSETELEM messages of a batch decoded back into (key, end, open)
 * triples as text: "0a000000 start", "0b000000 end", "ffffff00 open". */
static int elem_cb(const struct nlattr *a, void *data)
{
	char ***out = data;
	const struct nlattr *x, *key = NULL, *flags = NULL, *udata = NULL;

	mnl_attr_for_each_nested(x, a)
	{
		if (mnl_attr_get_type(x) == NFTA_SET_ELEM_KEY)
			key = mnl_attr_get_payload(x);
		if (mnl_attr_get_type(x) == NFTA_SET_ELEM_FLAGS)
			flags = x;
		if (mnl_attr_get_type(x) == NFTA_SET_ELEM_USERDATA)
			udata = x;
	}
	if (!key)
		return MNL_CB_ERROR;
	_cleanup_free_ char *hex = hexmem(mnl_attr_get_payload(key), mnl_attr_get_payload_len(key));
	bool end = flags && ntohl(mnl_attr_get_u32(flags)) & NFT_SET_ELEM_INTERVAL_END;
	strv_pushf(out, "%s %s", hex, end ? "end" : udata ? "open" : "start");
	return MNL_CB_OK;
}

static char *batch_elements(const NftBatch *b, unsigned *ret_messages)
{
	size_t size;
	const struct nlmsghdr *nlh = nft_batch_data(b, &size);
	int len = (int)size;
	_cleanup_strv_free_ char **l = NULL;
	unsigned n = 0;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct nlattr *a, *a2;
		if (nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM))
			continue;
		n++;
		assert(nlh->nlmsg_len < 65536);
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) if (mnl_attr_get_type(a) ==
								       NFTA_SET_ELEM_LIST_ELEMENTS)
		    mnl_attr_for_each_nested(a2, a) elem_cb(a2, &l);
	}
	if (ret_messages)
		*ret_messages = n;
	return strv_join(l, ",");
}

static char *interval_encoding(const char *const *cidrs, size_t n)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	IpPrefix p[8];
	TestNs ns;

	test_ns_reference(&ns);
	for (size_t i = 0; i < n; i++)
		test_ns_parse_prefix(cidrs[i], &p[i]);
	ns.ns.allowed_cidrs = p;
	ns.ns.n_allowed_cidrs = n;
	ns.ns.dns_mode = DNS_MODE_COMPAT;
	ns.ns.host_link = false;
	ns.ns.allow_essential_icmp = false;
	ns.ns.egress_tcp.n = 0;
	if (nft_policy_build(&ns.ns, &t) < 0 || nft_batch_build_replace(t, 1, &b) < 0)
		return NULL;
	return batch_elements(b, NULL);
}

TEST(interval_encoding_matches_nft)
{
	/* What nft 1.0.6 sends for these element lists (nft --debug=netlink):
	 * a leading end element at zero unless the first range starts
	 * there, an end element at last + 1, none after a range reaching
	 * all ones (whose start carries the open-interval flag). */
	static const char *const a[] = {"0.0.0.0/5", "10.0.0.0/8", "255.255.255.0/24"};
	static const char *const b[] = {"10.0.0.0/8", "192.168.1.0/24"};
	static const char *const c[] = {"::/1", "fc00::/7", "ffff::/16"};
	_cleanup_free_ char *ea = interval_encoding(a, 3), *eb = interval_encoding(b, 2),
			    *ec = interval_encoding(c, 3);

	ASSERT_STREQ(ea, "00000000 start,08000000 end,0a000000 start,0b000000 end,"
			 "ffffff00 open");
	ASSERT_STREQ(eb, "00000000 end,0a000000 start,0b000000 end,c0a80100 start,"
			 "c0a80200 end");
	/* IPv6 disabled: no IPv6 set at all. */
	ASSERT_STREQ(ec, "");
}

TEST(large_set_is_chunked)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	_cleanup_free_ IpPrefix *p = xcalloc(10000, sizeof(IpPrefix));
	unsigned messages;
	TestNs ns;

	/* 10,000 disjoint /24s: 10.0.0.0/24, 10.0.2.0/24, ... */
	for (unsigned i = 0; i < 10000; i++) {
		p[i].addr.family = AF_INET;
		p[i].addr.in.s_addr = htonl(0x0a000000U + (i * 2U << 8));
		p[i].prefixlen = 24;
	}
	test_ns_reference(&ns);
	ns.ns.allowed_cidrs = p;
	ns.ns.n_allowed_cidrs = 10000;
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	ASSERT_OK(nft_batch_build_replace(t, 1, &b));
	_cleanup_free_ char *elems = batch_elements(b, &messages);
	/* 20,000 interval elements plus the one at zero, and the small sets. */
	size_t commas = 0;
	for (const char *c = elems; *c; c++)
		commas += *c == ',';
	ASSERT_EQ(commas + 1, 20001 + 1 + 4 + 1 + 1 + 3);
	ASSERT_TRUE(messages > 20);
}

TEST(batch_rejects_foreign_expressions)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;

	ASSERT_OK(nft_lockdown_build(&t));
	NftExpr *e = nft_rule_add_expr(&t->chains[0].rules[0], NFT_EXPR_KIND_OTHER);
	e->name = xstrdup("counter pkts 0 bytes 0");
	ASSERT_ERR(nft_batch_build_replace(t, 1, &b), EINVAL);
}

/* Differences. */

static char **diff_lines(const NftTable *want, const NftTable *have, int *ret_n)
{
	char **l = NULL;

	*ret_n = nft_table_diff(want, have, &l);
	return l;
}

static void build_reference_pair(NftTable **want, NftTable **have)
{
	TestNs ns;

	test_ns_reference(&ns);
	if (nft_policy_build(&ns.ns, want) < 0 || nft_policy_build(&ns.ns, have) < 0)
		abort();
}

TEST(diff_identical)
{
	_cleanup_(nft_table_freep) NftTable *want = NULL, *have = NULL;
	_cleanup_strv_free_ char **l = NULL;
	int n;

	build_reference_pair(&want, &have);
	l = diff_lines(want, have, &n);
	ASSERT_EQ(n, 0);
	ASSERT_TRUE(!l);
	ASSERT_EQ(nft_table_diff(want, have, NULL), 0);
}

TEST(diff_removed_rule)
{
	_cleanup_(nft_table_freep) NftTable *want = NULL, *have = NULL;
	_cleanup_strv_free_ char **l = NULL;
	int n;

	build_reference_pair(&want, &have);
	nft_chain_remove_rule(nft_table_find_chain(have, "output"), 6);
	l = diff_lines(want, have, &n);
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(l[0], "chain output: rule 7 missing: oifname \"wg0\" ip daddr @dns_v4 tcp "
			   "dport 53 accept");
}

TEST(diff_flushed_chain_and_added_rule)
{
	_cleanup_(nft_table_freep) NftTable *want = NULL, *have = NULL;
	_cleanup_strv_free_ char **l = NULL;
	NftChain *out, *in;
	int n;

	build_reference_pair(&want, &have);
	out = nft_table_find_chain(have, "output");
	while (out->n_rules > 0)
		nft_chain_remove_rule(out, 0);
	in = nft_table_find_chain(have, "input");
	NftRule *r = nft_chain_add_rule(in);
	nft_rule_match_port(r, IPPROTO_TCP, false, 22);
	nft_rule_verdict(r, NF_ACCEPT);
	l = diff_lines(want, have, &n);
	ASSERT_EQ(n, 13);
	ASSERT_STREQ(l[0], "chain input: unexpected rule 7: tcp dport 22 accept");
	ASSERT_STREQ(l[1], "chain output: rule 1 missing: oifname \"lo\" accept");
	ASSERT_STREQ(l[11], "chain output: rule 11 missing: oifname \"wg0\" ip daddr @allowed_v4 "
			    "tcp dport @egress_tcp accept");
	ASSERT_STREQ(l[12], "chain output: rule 12 missing: drop");
}

TEST(diff_changed_rule)
{
	_cleanup_(nft_table_freep) NftTable *want = NULL, *have = NULL;
	_cleanup_strv_free_ char **l = NULL;
	int n;

	build_reference_pair(&want, &have);
	/* "ct state invalid drop" becomes "... accept". */
	NftRule *r = &nft_table_find_chain(have, "input")->rules[1];
	r->exprs[r->n_exprs - 1].key = NF_ACCEPT;
	l = diff_lines(want, have, &n);
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(l[0], "chain input: rule 2 missing: ct state invalid drop");
	ASSERT_STREQ(l[1], "chain input: unexpected rule 2: ct state invalid accept");
}

TEST(diff_removed_element)
{
	_cleanup_(nft_table_freep) NftTable *want = NULL, *have = NULL;
	_cleanup_strv_free_ char **l = NULL;
	uint8_t a[4] = {11, 9, 0, 0}, z[4] = {11, 9, 0, 255};
	int n;

	build_reference_pair(&want, &have);
	NftSet *s = nft_table_find_set(have, "allowed_v4");
	nft_set_remove_elem(s, 0);
	s = nft_table_find_set(have, "egress_tcp");
	nft_set_add_range(s, (uint8_t[]){0, 80}, (uint8_t[]){0, 80});
	nft_set_canonicalize(s);
	s = nft_table_find_set(want, "allowed_v4");
	nft_set_add_range(s, a, z);
	nft_set_canonicalize(s);
	l = diff_lines(want, have, &n);
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(l[0], "set egress_tcp: unexpected element 80");
	ASSERT_STREQ(l[1], "set allowed_v4: element 10.0.0.0/8 missing");
	ASSERT_STREQ(l[2], "set allowed_v4: element 11.9.0.0/24 missing");
}

TEST(diff_chain_policy_and_table)
{
	_cleanup_(nft_table_freep) NftTable *want = NULL, *have = NULL, *lock = NULL;
	_cleanup_strv_free_ char **l = NULL;
	int n;

	build_reference_pair(&want, &have);
	nft_table_find_chain(have, "input")->policy = NF_ACCEPT;
	nft_table_find_chain(have, "forward")->priority = -100;
	have->flags = NFT_TABLE_F_DORMANT;
	have->kind = NFT_TABLE_FOREIGN;
	l = diff_lines(want, have, &n);
	ASSERT_EQ(n, 4);
	ASSERT_STREQ(l[0], "table: no vpnconf marker, want \"vpnconf:policy\"");
	ASSERT_STREQ(l[1], "table: flags 0x1 (dormant: its chains filter nothing), want 0x0");
	ASSERT_STREQ(l[2], "chain input: policy accept, want drop");
	ASSERT_STREQ(l[3], "chain forward: priority -100, want 0");

	ASSERT_OK(nft_lockdown_build(&lock));
	strv_free(TAKE_PTR(l));
	l = diff_lines(want, lock, &n);
	ASSERT_STREQ(l[0], "table: marked \"vpnconf:lockdown\", want \"vpnconf:policy\"");
	ASSERT_TRUE(strv_contains(l, "set dns_v4 missing (1 element)"));
}

TEST(diff_many_elements_are_summarised)
{
	_cleanup_(nft_table_freep) NftTable *want = NULL, *have = NULL;
	_cleanup_strv_free_ char **l = NULL;
	int n;

	build_reference_pair(&want, &have);
	NftSet *s = nft_table_find_set(have, "egress_tcp");
	for (unsigned p = 1000; p < 1100; p++) {
		uint8_t k[2] = {p >> 8, p & 0xff};
		nft_set_add_range(s, k, k);
	}
	nft_set_canonicalize(s);
	l = diff_lines(want, have, &n);
	ASSERT_EQ(n, 33);
	ASSERT_STREQ(l[0], "set egress_tcp: unexpected element 1000");
	ASSERT_STREQ(l[32], "set egress_tcp: 68 more element differences");
}

TEST(table_references)
{
	NftTable *t = NULL;

	ASSERT_OK(nft_lockdown_build(&t));
	ASSERT_TRUE(nft_table_ref(t) == t);
	ASSERT_TRUE(nft_table_free(t) == NULL);
	ASSERT_STREQ(nft_table_name(t), "vpnconf"); /* still referenced */
	ASSERT_TRUE(nft_table_free(t) == NULL);
	ASSERT_TRUE(nft_table_ref(NULL) == NULL);
}

TEST(elem_rendering)
{
	NftElem e = {};
	char *s;

	e.first[0] = 10, e.last[0] = 10, e.last[1] = e.last[2] = e.last[3] = 255;
	s = nft_elem_to_string(&e, NFT_KEY_TYPE_IPV4_ADDR, 4);
	ASSERT_STREQ(s, "10.0.0.0/8");
	free(s);
	e.last[3] = 254;
	s = nft_elem_to_string(&e, NFT_KEY_TYPE_IPV4_ADDR, 4);
	ASSERT_STREQ(s, "10.0.0.0-10.255.255.254");
	free(s);
	memset(&e, 0, sizeof(e));
	memset(e.last, 0xff, 16);
	s = nft_elem_to_string(&e, NFT_KEY_TYPE_IPV6_ADDR, 16);
	ASSERT_STREQ(s, "::/0");
	free(s);
	e = (NftElem){.first = {0, 53}, .last = {0, 53}};
	s = nft_elem_to_string(&e, NFT_KEY_TYPE_INET_SERVICE, 2);
	ASSERT_STREQ(s, "53");
	free(s);
	e = (NftElem){.first = {2}, .last = {2}};
	s = nft_elem_to_string(&e, NFT_KEY_TYPE_ICMPV6_TYPE, 1);
	ASSERT_STREQ(s, "packet-too-big");
	free(s);
}
