/* SPDX-License-Identifier: MIT */
/*
 * Port forwarding in the namespace policy, without a kernel: the
 * forwarded_tcp/forwarded_udp sets and their rules (static ports, a NAT-PMP
 * lease, none yet), the gateway's UDP 5351 admitted in allowList egress,
 * and the golden bytes of a lease change's element batch.
 */
#include "test-nft-golden.h"
#include "test-nft-ns.h"

static void set_natpmp(TestNs *t, uint16_t lease_port)
{
	t->ns.pf.mode = PORT_FORWARD_NATPMP;
	test_ns_parse_addr("10.2.0.1", &t->ns.pf.gateway);
	t->ns.pf.tcp = t->ns.pf.udp = true;
	t->ns.pf.lifetime_seconds = 60;
	t->ns.pf.lease_port = lease_port;
}

static char *set_text(const NftTable *t, const char *name)
{
	const NftSet *s = nft_table_find_set(t, name);
	char *text = NULL;

	if (!s)
		return xstrdup("(no set)");
	text = xstrdup("");
	FOREACH_ARRAY(e, s->elems, s->n_elems) {
		_cleanup_free_ char *x = nft_elem_to_string(e, s->key_type, s->key_len), *old = text;
		text = xasprintf("%s%s%s", old, *old ? "," : "", x);
	}
	return text;
}

TEST(pf_natpmp_rules_allow_list)
{
	static const char *const input[] = {
	    "iifname \"lo\" accept",
	    "ct state invalid drop",
	    "meta nfproto ipv6 drop",
	    "iifname \"wg0\" ct state established,related accept",
	    "iifname \"vn-abc\" ip saddr 169.254.10.1 tcp dport @ingress_host_tcp accept",
	    "iifname \"wg0\" tcp dport @forwarded_tcp accept",
	    "iifname \"wg0\" udp dport @forwarded_udp accept",
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
	    "oifname \"wg0\" ip daddr 10.2.0.1 udp dport 5351 accept",
	    "oifname \"wg0\" ip daddr @allowed_v4 icmp type @icmp_essential accept",
	    "oifname \"wg0\" ip daddr @allowed_v4 tcp dport @egress_tcp accept",
	    "drop",
	};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_free_ char *tcp = NULL, *udp = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	set_natpmp(&ns, 0);
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	assert_rules(t, "input", input, ELEMENTSOF(input));
	assert_rules(t, "output", output, ELEMENTSOF(output));
	/* No lease yet: the sets exist, empty, for the agent to fill. */
	tcp = set_text(t, "forwarded_tcp");
	udp = set_text(t, "forwarded_udp");
	ASSERT_STREQ(tcp, "");
	ASSERT_STREQ(udp, "");
}

TEST(pf_natpmp_lease_port_in_sets)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_free_ char *tcp = NULL, *udp = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	set_natpmp(&ns, 51413);
	ns.ns.pf.tcp = false;
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	tcp = set_text(t, "forwarded_tcp");
	udp = set_text(t, "forwarded_udp");
	ASSERT_STREQ(tcp, "(no set)");
	ASSERT_STREQ(udp, "51413");
}

TEST(pf_natpmp_allow_all_tunnel_needs_no_gateway_rule)
{
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
	set_natpmp(&ns, 40000);
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	assert_rules(t, "output", output, ELEMENTSOF(output));
}

TEST(pf_static_ports)
{
	static const char *const input[] = {
	    "iifname \"lo\" accept",
	    "ct state invalid drop",
	    "meta nfproto ipv6 drop",
	    "iifname \"wg0\" ct state established,related accept",
	    "iifname \"vn-abc\" ip saddr 169.254.10.1 tcp dport @ingress_host_tcp accept",
	    "iifname \"wg0\" tcp dport @forwarded_tcp accept",
	    "drop",
	};
	static uint16_t ports[] = {1024, 51413};
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	_cleanup_free_ char *tcp = NULL;
	_cleanup_strv_free_ char **out = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ns.ns.pf.mode = PORT_FORWARD_STATIC;
	ns.ns.pf.tcp = true;
	ns.ns.pf.static_ports = (PortList){ports, 2};
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	assert_rules(t, "input", input, ELEMENTSOF(input));
	tcp = set_text(t, "forwarded_tcp");
	ASSERT_STREQ(tcp, "1024,51413");
	ASSERT_TRUE(!nft_table_find_set(t, "forwarded_udp"));
	/* No gateway: nothing more leaves. */
	out = chain_rules_text(t, "output");
	STRV_FOREACH(l, out)
	ASSERT_TRUE(!strstr(*l, "5351"));
}

TEST(pf_none_has_no_forwarded_sets)
{
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ASSERT_OK(nft_policy_build(&ns.ns, &t));
	ASSERT_TRUE(!nft_table_find_set(t, "forwarded_tcp"));
	ASSERT_TRUE(!nft_table_find_set(t, "forwarded_udp"));
}

TEST(golden_forwarded_change)
{
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	_cleanup_free_ char *text = NULL;

	/* A port change 40000 -> 51413 for both protocols: begin, for each
	 * set add+delete the old element and add the new one, end. */
	ASSERT_OK(nft_batch_build_forwarded(true, true, 40000, 51413, 5000, &b));
	ASSERT_EQ(nft_batch_messages(b), 1 + 2 * 3 + 1);
	text = batch_to_text(b);
	check_golden("nft-forwarded.hex", text);
}

TEST(forwarded_batch_shapes)
{
	_cleanup_(nft_batch_freep) NftBatch *grant = NULL, *expire = NULL, *same = NULL;
	NftBatch *bad = NULL;

	ASSERT_OK(nft_batch_build_forwarded(false, true, 0, 51413, 1, &grant));
	ASSERT_EQ(nft_batch_messages(grant), 3);
	ASSERT_OK(nft_batch_build_forwarded(true, false, 51413, 0, 1, &expire));
	ASSERT_EQ(nft_batch_messages(expire), 4);
	/* A renewal with the same port changes nothing but re-adds it. */
	ASSERT_OK(nft_batch_build_forwarded(true, true, 51413, 51413, 1, &same));
	ASSERT_EQ(nft_batch_messages(same), 4);
	ASSERT_ERR(nft_batch_build_forwarded(false, false, 0, 1, 1, &bad), EINVAL);
	ASSERT_ERR(nft_batch_build_forwarded(true, true, 0, 0, 1, &bad), EINVAL);
}
