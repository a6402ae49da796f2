/* SPDX-License-Identifier: MIT */
/*
 * namespaces.<n>.portForwarding (docs/desired-state.md): defaults, the
 * accepted forms, and one refusal per rule, each naming its JSON path.
 */
#include "desired-json.h"
#include "test-desired.h"

#define PF NS "portForwarding."

static const Namespace *only_ns(const Desired *d)
{
	ASSERT_EQ(d->n_namespaces, 1);
	return &d->namespaces[0];
}

TEST(pf_defaults)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC());
	const PortForwarding *pf = &only_ns(d)->pf;

	ASSERT_EQ(pf->mode, PORT_FORWARD_NONE);
	ASSERT_TRUE(pf->tcp && pf->udp);
	ASSERT_EQ(pf->lifetime_seconds, 60);
	ASSERT_EQ(pf->static_ports.n, 0);
	ASSERT_TRUE(!pf->on_change);
	ASSERT_EQ(pf->gateway.family, 0);
}

TEST(pf_natpmp_protonvpn)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
	    DOC(.ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1'}"));
	const PortForwarding *pf = &only_ns(d)->pf;
	char buf[IPADDR_STRLEN];

	ASSERT_EQ(pf->mode, PORT_FORWARD_NATPMP);
	ASSERT_STREQ(ipaddr_to_string(&pf->gateway, buf), "10.2.0.1");
	ASSERT_TRUE(pf->tcp && pf->udp);
	ASSERT_EQ(pf->lifetime_seconds, 60);
}

TEST(pf_natpmp_all_fields)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
	    DOC(.ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1', "
		      "'protocols': ['udp'], 'lifetimeSeconds': 86400, "
		      "'onChange': '/bin/tell-client --port $VPNCONF_PORT'}"));
	const PortForwarding *pf = &only_ns(d)->pf;

	ASSERT_TRUE(!pf->tcp && pf->udp);
	ASSERT_EQ(pf->lifetime_seconds, 86400);
	ASSERT_STREQ(pf->on_change, "/bin/tell-client --port $VPNCONF_PORT");
}

TEST(pf_static_airvpn)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(
	    .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [51413, 1024], "
		  "'protocols': ['tcp', 'udp'], 'gateway': null, 'onChange': null}"));
	const PortForwarding *pf = &only_ns(d)->pf;

	ASSERT_EQ(pf->mode, PORT_FORWARD_STATIC);
	ASSERT_EQ(pf->static_ports.n, 2);
	ASSERT_EQ(pf->static_ports.ports[0], 1024);
	ASSERT_EQ(pf->static_ports.ports[1], 51413);
}

TEST(pf_external_tunnel_gateway_unchecked_against_addresses)
{
	/* An external tunnel's addresses are not known to vpnconf. */
	_cleanup_(desired_freep) Desired *d = accept_doc(
	    DOC(.external = true,
		.ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1'}"));
	ASSERT_EQ(only_ns(d)->pf.mode, PORT_FORWARD_NATPMP);
}

TEST(reject_pf_mode)
{
	REFUSE(PF "mode", "must be \"none\", \"natpmp\" or \"static\", not \"upnp\"", .ns = "'portForwarding': {'mode': 'upnp'}");
	REFUSE(PF "mode", "must be a string", .ns = "'portForwarding': {'mode': 1}");
	REFUSE(NS "portForwarding", "must be an object", .ns = "'portForwarding': 'natpmp'");
	REFUSE(PF "port", "unknown", .ns = "'portForwarding': {'mode': 'none', 'port': 1}");
}

TEST(reject_pf_natpmp_without_gateway)
{
	REFUSE(PF "gateway", "is required for mode \"natpmp\"",
	       .ns = "'portForwarding': {'mode': 'natpmp'}");
	REFUSE(PF "gateway", "is required for mode \"natpmp\"",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': null}");
}

TEST(reject_pf_gateway_not_literal)
{
	REFUSE(PF "gateway", "literal IP address, not \"gw.example\"",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': 'gw.example'}");
	REFUSE(PF "gateway", "literal IP address",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1/32'}");
	REFUSE(PF "gateway", "must be a string",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': 167903233}");
}

TEST(reject_pf_gateway_wrong_family)
{
	REFUSE(PF "gateway", "IPv4 only",
	       .ns = "'ipv6': {'mode': 'tunnel'}, "
		     "'portForwarding': {'mode': 'natpmp', 'gateway': 'fd00::1'}",
	       .addresses = "['10.0.0.2/32', 'fd00::2/128']",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': '198.51.100.10:51820', "
			"'allowedIPs': ['0.0.0.0/0', '::/0']}]");
	REFUSE(PF "gateway", "the tunnel has no IPv4 address",
	       .ns = "'ipv6': {'mode': 'tunnel'}, "
		     "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1'}",
	       .addresses = "['fd00::2/128']",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': '198.51.100.10:51820', "
			"'allowedIPs': ['0.0.0.0/0', '::/0']}]");
}

TEST(reject_pf_gateway_outside_tunnel)
{
	REFUSE(PF "gateway", "in no peer's allowedIPs",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1'}",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': '198.51.100.10:51820', "
			"'allowedIPs': ['192.0.2.0/24']}]");
}

TEST(reject_pf_gateway_without_natpmp)
{
	REFUSE(PF "gateway", "only for mode \"natpmp\", not \"static\"",
	       .ns = "'portForwarding': {'mode': 'static', 'gateway': '10.2.0.1', "
		     "'staticPorts': [1000]}");
	REFUSE(PF "gateway", "only for mode \"natpmp\", not \"none\"",
	       .ns = "'portForwarding': {'gateway': '10.2.0.1'}");
}

TEST(reject_pf_protocols)
{
	REFUSE(PF "protocols[0]", "must be \"tcp\" or \"udp\", not \"sctp\"",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [1], "
		     "'protocols': ['sctp']}");
	REFUSE(PF "protocols[1]", "duplicate protocol \"tcp\"",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [1], "
		     "'protocols': ['tcp', 'tcp']}");
	REFUSE(PF "protocols", "must not be empty",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [1], "
		     "'protocols': []}");
	REFUSE(PF "protocols[0]", "must be a string",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [1], "
		     "'protocols': [6]}");
}

TEST(reject_pf_lifetime)
{
	REFUSE(PF "lifetimeSeconds", "60",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1', "
		     "'lifetimeSeconds': 59}");
	REFUSE(PF "lifetimeSeconds", "86400",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1', "
		     "'lifetimeSeconds': 86401}");
	REFUSE(PF "lifetimeSeconds", "integer",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1', "
		     "'lifetimeSeconds': '60'}");
}

TEST(reject_pf_static_ports)
{
	REFUSE(PF "staticPorts[0]", "65535",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [0]}");
	REFUSE(PF "staticPorts[1]", "65535",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [80, 65536]}");
	REFUSE(PF "staticPorts[2]", "duplicate port 80 (also at [0])",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [80, 81, 80]}");
	REFUSE(PF "staticPorts", "must not be empty for mode \"static\"",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': []}");
	REFUSE(PF "staticPorts", "must not be empty for mode \"static\"",
	       .ns = "'portForwarding': {'mode': 'static'}");
	REFUSE(PF "staticPorts", "only for mode \"static\", not \"natpmp\"",
	       .ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1', "
		     "'staticPorts': [80]}");
	REFUSE(PF "staticPorts", "only for mode \"static\", not \"none\"",
	       .ns = "'portForwarding': {'staticPorts': []}");
	REFUSE(PF "staticPorts", "must be an array",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': 80}");
}

TEST(reject_pf_on_change)
{
	REFUSE(PF "onChange", "must not be empty",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [1], 'onChange': ''}");
	REFUSE(PF "onChange", "one line",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [1], "
		     "'onChange': 'a\\nb'}");
	REFUSE(PF "onChange", "mode is \"none\"",
	       .ns = "'portForwarding': {'onChange': '/bin/true'}");
	REFUSE(PF "onChange", "must be a string",
	       .ns = "'portForwarding': {'mode': 'static', 'staticPorts': [1], 'onChange': []}");
}
