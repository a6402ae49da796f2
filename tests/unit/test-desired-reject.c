/* SPDX-License-Identifier: MIT */
/*
 * Desired-state files that must be refused, one case per rule of
 * docs/desired-state.md, each checking that the error names the JSON path
 * of the offending value.
 */
#include "desired-json.h"
#include "test-desired.h"

/* A document whose only namespace has the given (raw JSON) name. */
static char *named(const char *json_name)
{
	_cleanup_free_ char *raw = xasprintf(
		"{'version': 1, 'namespaces': {%s: {'wireguard': {'managed': false}, "
		"'dns': {'servers': ['10.0.0.1']}}}}",
		json_name);
	return squote(raw);
}

TEST(reject_unsafe_namespace_names)
{
	refuse_doc(named("'..'"), "namespaces[\"..\"]", "invalid namespace name");
	refuse_doc(named("'a/b'"), "namespaces[\"a/b\"]", "invalid namespace name");
	refuse_doc(named("''"), "namespaces[\"\"]", "invalid namespace name");
	refuse_doc(named("'-a'"), "namespaces.-a", "invalid namespace name");
	refuse_doc(named("'a.'"), "namespaces[\"a.\"]", "invalid namespace name");
	refuse_doc(named("'init'"), "namespaces.init", "invalid namespace name");
	refuse_doc(named("'a b'"), "namespaces[\"a b\"]", "invalid namespace name");
	refuse_doc(named("'a\\nb'"), "namespaces[\"a\\x0ab\"]", "invalid namespace name");
	refuse_doc(named("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"),
		   "namespaces.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		   "1-64 characters");
}

TEST(reject_dns_servers)
{
	REFUSE(NS "dns.servers[0]", "literal IPv4 or IPv6 address, not \"dns.example\"",
	       .dns = "{'servers': ['dns.example']}");
	REFUSE(NS "dns.servers[1]", "literal", .dns = "{'servers': ['10.0.0.1', '10.1']}");
	REFUSE(NS "dns.servers[0]", "IPv6 DNS server fd00::1 needs ipv6.mode = \"tunnel\"",
	       .dns = "{'servers': ['fd00::1']}");
	REFUSE(NS "dns.servers", "must not be empty", .dns = "{'servers': []}");
	REFUSE(NS "dns.servers", "is required", .dns = "{'mode': 'strict'}");
	REFUSE(NS "dns.servers", "at most 3",
	       .dns = "{'servers': ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']}");
	REFUSE(NS "dns.servers[1]", "duplicate", .dns = "{'servers': ['10.0.0.1', '10.0.0.1']}");
	REFUSE(NS "dns.servers[0]", "must be a string", .dns = "{'servers': [167772161]}");
}

TEST(reject_dns_missing_entirely)
{
	refuse_doc(squote("{'version': 1, 'namespaces': {'a': {'wireguard': {'managed': false}}}}"),
		   "namespaces.a.dns.servers", "is required");
}

TEST(reject_dns_search)
{
	REFUSE(NS "dns.search[0]", "whitespace",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['corp example']}");
	REFUSE(NS "dns.search[1]", "empty label",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['ok', 'a..b']}");
	REFUSE(NS "dns.search[0]", "empty label",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['.example.com']}");
	REFUSE(NS "dns.search[0]", "empty label",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['example.com..']}");
	REFUSE(NS "dns.search[0]", "empty label", .dns = "{'servers': ['10.0.0.1'], 'search': ['.']}");
	REFUSE(NS "dns.search[0]", "empty",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['']}");
	REFUSE(NS "dns.search[0]", "longer than 63",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['"
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com']}");
	REFUSE(NS "dns.search[0]", "at most 254",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['"
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com']}");
	REFUSE(NS "dns.search[0]", "letters, digits",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['a;b']}");
	REFUSE(NS "dns.search[0]", "\\x09",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['a\\tb']}");
	REFUSE(NS "dns.search", "at most 6",
	       .dns = "{'servers': ['10.0.0.1'], 'search': ['a', 'b', 'c', 'd', 'e', 'f', 'g']}");
}

#define HA "'securityProfile': 'highAssurance', "
#define HA_EGRESS "'egress': {'mode': 'allowList', 'allowedCidrs': ['10.64.0.0/16']}"

TEST(reject_high_assurance_weakeners)
{
	REFUSE(NS "dns.mode", "highAssurance\" requires \"strict\"", .ns = HA HA_EGRESS,
	       .dns = "{'mode': 'compat', 'servers': ['10.0.0.1']}");
	REFUSE(NS "dns.allowHostResolverIPC", "highAssurance\" requires false", .ns = HA HA_EGRESS,
	       .dns = "{'servers': ['10.0.0.1'], 'allowHostResolverIPC': true}");
	REFUSE(NS "egress.mode", "requires \"allowList\"",
	       .ns = HA "'egress': {'mode': 'allowAllTunnel', 'allowedCidrs': ['10.0.0.0/8']}");
	REFUSE(NS "wireguard.allowHostnameEndpoints", "requires false", .ns = HA HA_EGRESS,
	       .wg = "'allowHostnameEndpoints': true");
	REFUSE(NS "wireguard.allowedIPsAsRoutes", "requires true", .ns = HA HA_EGRESS,
	       .wg = "'allowedIPsAsRoutes': false");
}

TEST(reject_high_assurance_empty_cidrs)
{
	REFUSE(NS "egress.allowedCidrs", "requires at least one entry",
	       .ns = HA "'egress': {'mode': 'allowList'}");
	REFUSE(NS "egress.allowedCidrs", "requires at least one entry",
	       .ns = HA "'egress': {'mode': 'allowList', 'allowedCidrs': []}");
}

TEST(reject_high_assurance_root_units)
{
	REFUSE("units[\"a.service\"].user", "would run as root", .ns = HA HA_EGRESS,
	       .units = "{'a.service': {'namespace': 'vpnapps', 'user': 'root', "
			"'dynamicUser': false}}");
	REFUSE("units[\"a.service\"].user", "would run as root", .ns = HA HA_EGRESS,
	       .units = "{'a.service': {'namespace': 'vpnapps', 'user': '0', "
			"'dynamicUser': false}}");
	/* systemd uses an existing static user of that name even with
	 * DynamicUser=yes. */
	REFUSE("units[\"a.service\"].user", "would run as root", .ns = HA HA_EGRESS,
	       .units = "{'a.service': {'namespace': 'vpnapps', 'user': 'root'}}");
	REFUSE("units[\"a.service\"].dynamicUser", "would run as root", .ns = HA HA_EGRESS,
	       .units = "{'a.service': {'namespace': 'vpnapps', 'user': null, "
			"'dynamicUser': false}}");
	desired_free(accept_doc(DOC(.ns = HA HA_EGRESS,
				    .units = "{'a.service': {'namespace': 'vpnapps', "
					     "'dynamicUser': true}}")));
	/* Balanced namespaces do not care. */
	desired_free(accept_doc(DOC(.units = "{'a.service': {'namespace': 'vpnapps', "
					     "'user': 'root', 'dynamicUser': false}}")));
	desired_free(accept_doc(DOC(.ns = HA HA_EGRESS,
				    .units = "{'a.service': {'namespace': 'vpnapps', "
					     "'user': 'root', 'allowRootInHighAssurance': true}}")));
}

TEST(reject_high_assurance_kept_network_capabilities)
{
	REFUSE("units[\"a.service\"].keepNetworkCapabilities", "can leave any network namespace",
	       .ns = HA HA_EGRESS,
	       .units = "{'a.service': {'namespace': 'vpnapps', 'dynamicUser': true, "
			"'keepNetworkCapabilities': true}}");
	/* Balanced namespaces let the operator decide. */
	desired_free(accept_doc(DOC(.units = "{'a.service': {'namespace': 'vpnapps', "
					     "'dynamicUser': true, 'keepNetworkCapabilities': true}}")));
}

#define PEER_HOST "[{'publicKey': '" TEST_KEY_A "', 'endpoint': 'vpn.example.net:51820', " \
		  "'allowedIPs': ['0.0.0.0/0']}]"

TEST(reject_hostname_endpoints_without_opt_in)
{
	REFUSE(NS "wireguard.peers[0].endpoint",
	       "hostname endpoints need wireguard.allowHostnameEndpoints = true",
	       .wg = "'dynamicEndpointRefreshSeconds': 300", .peers = PEER_HOST);
	REFUSE(NS "wireguard.peers[0].endpoint",
	       "hostname endpoints need wireguard.dynamicEndpointRefreshSeconds > 0",
	       .wg = "'allowHostnameEndpoints': true", .peers = PEER_HOST);
	desired_free(accept_doc(DOC(.wg = "'allowHostnameEndpoints': true, "
					  "'dynamicEndpointRefreshSeconds': 300",
				    .peers = PEER_HOST)));
}

TEST(reject_pinning_with_hostname_endpoints)
{
	REFUSE(NS "wireguard.peers[0].endpoint", "endpoint pinning needs a literal IP endpoint",
	       .wg = "'allowHostnameEndpoints': true, 'dynamicEndpointRefreshSeconds': 300, "
		     "'endpointPinning': {'enable': true}",
	       .peers = PEER_HOST);
	REFUSE(NS "wireguard.peers[1].endpoint", "pinning needs every peer",
	       .wg = "'endpointPinning': {'enable': true}",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': '192.0.2.1:1', "
			"'allowedIPs': []}, {'publicKey': '" TEST_KEY_B "', 'allowedIPs': []}]");
}

#define PEER_FALLBACKS(list) "[{'publicKey': '" TEST_KEY_A "', 'endpoint': '192.0.2.1:51820', " \
			      "'endpoints': " list ", 'allowedIPs': ['0.0.0.0/0']}]"

TEST(reject_fallback_endpoints)
{
	REFUSE(NS "wireguard.peers[0].endpoints[1]", "\"192.0.2.300:1\" has neither a valid IPv4",
	       .peers = PEER_FALLBACKS("['192.0.2.2:1', '192.0.2.300:1']"));
	REFUSE(NS "wireguard.peers[0].endpoints[0]", "must be a string",
	       .peers = PEER_FALLBACKS("[51820]"));
	REFUSE(NS "wireguard.peers[0].endpoints", "must be an array",
	       .peers = PEER_FALLBACKS("'192.0.2.2:1'"));
	REFUSE(NS "wireguard.peers[0].endpoints", "has 9 entries, at most 8 are allowed",
	       .peers = PEER_FALLBACKS("['192.0.2.2:1', '192.0.2.3:1', '192.0.2.4:1', "
				       "'192.0.2.5:1', '192.0.2.6:1', '192.0.2.7:1', "
				       "'192.0.2.8:1', '192.0.2.9:1', '192.0.2.10:1']"));
	REFUSE(NS "wireguard.peers[0].endpoints[0]",
	       "duplicate endpoint: the same as peers[0].endpoint",
	       .peers = PEER_FALLBACKS("['192.0.2.1:51820']"));
	REFUSE(NS "wireguard.peers[0].endpoints[2]",
	       "duplicate endpoint: the same as peers[0].endpoints[0]",
	       .peers = PEER_FALLBACKS("['[2001:db8::1]:1', '192.0.2.2:1', '[2001:db8:0::1]:1']"));
	REFUSE(NS "wireguard.peers[0].endpoints[1]",
	       "duplicate endpoint: the same as peers[0].endpoints[0]",
	       .wg = "'allowHostnameEndpoints': true, 'dynamicEndpointRefreshSeconds': 300",
	       .peers = PEER_FALLBACKS("['b.example.net:1', 'B.example.NET:1']"));
	REFUSE(NS "wireguard.peers[0].endpoints[0]",
	       "hostname endpoints need wireguard.allowHostnameEndpoints = true",
	       .wg = "'dynamicEndpointRefreshSeconds': 300",
	       .peers = PEER_FALLBACKS("['b.example.net:51820']"));
	REFUSE(NS "wireguard.peers[0].endpoints[0]", "endpoint pinning needs a literal IP endpoint",
	       .wg = "'allowHostnameEndpoints': true, 'dynamicEndpointRefreshSeconds': 300, "
		     "'endpointPinning': {'enable': true}",
	       .peers = PEER_FALLBACKS("['b.example.net:51820']"));
	REFUSE(NS "wireguard.peers[0].endpoints", "needs peers[0].endpoint",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoints': ['192.0.2.2:1'], "
			"'allowedIPs': []}]");
	REFUSE(NS "wireguard.peers[0].endpoints[0]", "must be a literal IP endpoint",
	       .external = true,
	       .peers = "[{'endpoint': '192.0.2.1:1', 'endpoints': ['vpn.example.net:1']}]");
	/* Literal fallbacks with pinning, hostname ones with the opt-in, and
	 * an external tunnel's literal fallbacks are fine. */
	desired_free(accept_doc(DOC(.wg = "'endpointPinning': {'enable': true}",
				    .peers = PEER_FALLBACKS("['192.0.2.2:1', '[2001:db8::1]:1']"))));
	desired_free(accept_doc(DOC(.wg = "'allowHostnameEndpoints': true, "
					  "'dynamicEndpointRefreshSeconds': 300",
				    .peers = PEER_FALLBACKS("['b.example.net:1', '192.0.2.1:1']"))));
	desired_free(accept_doc(DOC(.peers = PEER_FALLBACKS("null"))));
	desired_free(accept_doc(DOC(.external = true, .wg = "'endpointPinning': {'enable': true}",
				    .peers = "[{'endpoint': '192.0.2.1:1', "
					     "'endpoints': ['192.0.2.2:1']}]")));
}

TEST(reject_fwmark_not_pinning_mark)
{
	REFUSE(NS "wireguard.fwMark", "must equal the endpoint pinning mark 1602405312",
	       .wg = "'fwMark': 51820, 'endpointPinning': {'enable': true}");
	REFUSE(NS "wireguard.fwMark", "must equal the endpoint pinning mark 7",
	       .wg = "'fwMark': 8, 'endpointPinning': {'enable': true, 'fwMark': 7}");
	REFUSE(NS "wireguard.fwMark", "between 1 and 4294967295", .wg = "'fwMark': 0");
	REFUSE(NS "wireguard.fwMark", "between 1 and 4294967295", .wg = "'fwMark': 4294967296");
	REFUSE(NS "wireguard.endpointPinning.fwMark", "between 1", .wg = "'endpointPinning': "
									 "{'fwMark': 0}");
}

static char *two_namespaces(const char *a_extra, const char *b_extra)
{
	_cleanup_free_ char *raw = xasprintf(
		"{'version': 1, 'namespaces': {"
		"'a': {'wireguard': {'managed': false, 'interface': 'wga'}, "
		"'dns': {'servers': ['10.0.0.1']}%s%s}, "
		"'b': {'wireguard': {'managed': false, 'interface': 'wgb'}, "
		"'dns': {'servers': ['10.0.0.1']}%s%s}}}",
		a_extra ? ", " : "", strempty(a_extra), b_extra ? ", " : "", strempty(b_extra));
	return squote(raw);
}

TEST(reject_interface_collisions)
{
	/* Within one namespace. */
	REFUSE(NS "hostLink.hostIf",
	       "interface name \"wg0\" is already used by namespaces.vpnapps.wireguard.interface",
	       .ns = "'hostLink': {'enable': true, 'hostIf': 'wg0'}");
	REFUSE(NS "hostLink.nsIf", "is already used by namespaces.vpnapps.hostLink.hostIf",
	       .ns = "'hostLink': {'enable': true, 'hostIf': 'veth0', 'nsIf': 'veth0'}");
	/* Only effective host links claim names. */
	desired_free(accept_doc(DOC(.ns = "'hostLink': {'hostIf': 'wg0', 'nsIf': 'wg0'}")));

	/* Names inside different namespaces may repeat: both tunnels wg0,
	 * and a tunnel named like another namespace's inner host link end. */
	desired_free(accept_doc(
		squote("{'version': 1, 'namespaces': {"
		       "'a': {'wireguard': {'managed': false}, 'dns': {'servers': ['10.0.0.1']}},"
		       "'b': {'wireguard': {'managed': false}, 'dns': {'servers': ['10.0.0.1']}}"
		       "}}")));
	desired_free(accept_doc(two_namespaces("'hostLink': {'enable': true, 'nsIf': 'wgb'}",
					       "'hostLink': {'enable': true, 'nsIf': 'wga'}")));
	desired_free(accept_doc(two_namespaces("'hostLink': {'enable': true, 'nsIf': 'veth0'}",
					       "'hostLink': {'enable': true, 'nsIf': 'veth0'}")));
	/* Host ends all live in the host namespace. */
	refuse_doc(two_namespaces("'hostLink': {'enable': true, 'hostIf': 'veth-x'}",
				  "'hostLink': {'enable': true, 'hostIf': 'veth-x'}"),
		   "namespaces.b.hostLink.hostIf",
		   "\"veth-x\" is already used by namespaces.a.hostLink.hostIf");
	refuse_doc(two_namespaces("'hostLink': {'enable': true}",
				  "'hostLink': {'enable': true, 'hostIf': 'vh-0720fe600027'}"),
		   "namespaces.b.hostLink.hostIf",
		   "\"vh-0720fe600027\" is already used by namespaces.a.hostLink.hostIf (derived)");
}

TEST(reject_host_link_subnet_collision)
{
	refuse_doc(two_namespaces("'hostLink': {'enable': true, 'subnetIPv4': '10.9.0.0/30'}",
				  "'hostLink': {'enable': true, 'subnetIPv4': '10.9.0.0/30'}"),
		   "namespaces.b.hostLink.subnetIPv4",
		   "\"10.9.0.0/30\" is already used by namespaces.a.hostLink.subnetIPv4");
	/* 169.254.4.72/30 is what "a" derives. */
	refuse_doc(two_namespaces("'publishToHost': {'tcp': [80]}",
				  "'hostLink': {'enable': true, 'subnetIPv4': '169.254.4.72/30'}"),
		   "namespaces.b.hostLink.subnetIPv4", "(derived)");
	desired_free(
		accept_doc(two_namespaces("'hostLink': {'subnetIPv4': '10.9.0.0/30'}",
					  "'hostLink': {'enable': true, 'subnetIPv4': '10.9.0.0/30'}")));
}

TEST(reject_host_link_fields)
{
	REFUSE(NS "ingress.fromHost.tcp", "needs the host link",
	       .ns = "'ingress': {'fromHost': {'tcp': [22]}}");
	REFUSE(NS "hostLink.subnetIPv4", "/30 network base such as \"169.254.8.0/30\", not \"169.254.0.1/30\"",
	       .ns = "'hostLink': {'subnetIPv4': '169.254.0.1/30'}");
	REFUSE(NS "hostLink.subnetIPv4", "/30", .ns = "'hostLink': {'subnetIPv4': '169.254.0.0/29'}");
	REFUSE(NS "hostLink.subnetIPv4", "/30", .ns = "'hostLink': {'subnetIPv4': '169.254.0.0'}");
	REFUSE(NS "hostLink.subnetIPv4", "/30", .ns = "'hostLink': {'subnetIPv4': 'fd00::/30'}");
	REFUSE(NS "hostLink.hostIf", "invalid interface name \"vh bad\"",
	       .ns = "'hostLink': {'hostIf': 'vh bad'}");
	REFUSE(NS "hostLink.enable", "must be a boolean", .ns = "'hostLink': {'enable': 1}");
}

TEST(reject_interface_names)
{
	REFUSE(NS "wireguard.interface", "invalid interface name \"lo\"", .wg = "'interface': 'lo'");
	REFUSE(NS "wireguard.interface", "invalid interface name",
	       .wg = "'interface': 'abcdefghijklmnop'");
	REFUSE(NS "wireguard.interface", "invalid interface name", .wg = "'interface': ''");
	REFUSE(NS "wireguard.interface", "invalid interface name", .wg = "'interface': 'wg/0'");
	REFUSE(NS "wireguard.interface", "must be a string", .wg = "'interface': null");
}

TEST(reject_units)
{
	REFUSE("units[\"a.service\"].namespace", "must name a namespace", .units = "{'a.service': {}}");
	REFUSE("units[\"a.service\"].namespace",
	       "names the namespace \"other\", which namespaces does not define",
	       .units = "{'a.service': {'namespace': 'other'}}");
	REFUSE("units[\"a.timer\"]", "invalid unit name", .units = "{'a.timer': {'namespace': 'vpnapps'}}");
	REFUSE("units[\"a b.service\"]", "invalid unit name",
	       .units = "{'a b.service': {'namespace': 'vpnapps'}}");
	REFUSE("units[\".service\"]", "invalid unit name",
	       .units = "{'.service': {'namespace': 'vpnapps'}}");
	REFUSE("units[\"a.service\"].user", "must be null or a user name",
	       .units = "{'a.service': {'namespace': 'vpnapps', 'user': ''}}");
	REFUSE("units[\"a.service\"].user", "without whitespace",
	       .units = "{'a.service': {'namespace': 'vpnapps', 'user': 'a\\nb'}}");
	REFUSE("units[\"a.service\"].namespace", "must be a string",
	       .units = "{'a.service': {'namespace': null}}");
	REFUSE("units[\"a.service\"]", "must be an object", .units = "{'a.service': 'vpnapps'}");
	REFUSE("units", "must be an object", .units = "[]");
}

TEST(reject_unknown_keys)
{
	REFUSE("extra", "unknown key", .top = "'extra': true");
	REFUSE("paths.stateDirectory", "unknown key", .top = "'paths': {'stateDirectory': '/x'}");
	REFUSE("drift.mode", "unknown key", .top = "'drift': {'mode': 'repair'}");
	REFUSE(NS "securityprofile", "unknown key", .ns = "'securityprofile': 'balanced'");
	REFUSE(NS "dns.serverz", "unknown key",
	       .dns = "{'servers': ['10.0.0.1'], 'serverz': ['10.0.0.2']}");
	REFUSE(NS "wireguard.privatekeyfile", "unknown key", .wg = "'privatekeyfile': '/k'");
	REFUSE(NS "wireguard.peers[0].allowedIps", "unknown key",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': [], 'allowedIps': []}]");
	REFUSE(NS "ingress.fromHost.udp", "unknown key", .ns = "'ingress': {'fromHost': {'udp': []}}");
	REFUSE("units[\"a.service\"].User", "unknown key",
	       .units = "{'a.service': {'namespace': 'vpnapps', 'User': 'x'}}");
	/* Control characters in keys are escaped in the path. */
	REFUSE("[\"a\\x1bb\"]", "unknown key", .top = "'a\\u001bb': 1");
}

/* The only error of a refused document, formatted ("path: message"). */
static char *only_error(char *text)
{
	_cleanup_free_ char *t = text;
	DesiredErrors e = {};
	Desired *d = NULL;
	char *m;

	ASSERT_ERR(desired_parse(t, strlen(t), &e, &d), EINVAL);
	ASSERT_EQ(e.n, 1);
	m = desired_error_format(&e.errors[0]);
	desired_errors_clear(&e);
	return m;
}

TEST(unknown_keys_suggest_the_nearest_known_key)
{
	REFUSE(NS "egress.allowedCidr", "unknown key; did you mean allowedCidrs?",
	       .ns = "'egress': {'mode': 'allowList', 'allowedCidr': ['10.64.0.0/16']}");
	REFUSE(NS "dns.serverz", "unknown key; did you mean servers?",
	       .dns = "{'servers': ['10.0.0.1'], 'serverz': ['10.0.0.2']}");
	/* Case differences and swapped neighbours count as typos too. */
	REFUSE(NS "securityprofile", "unknown key; did you mean securityProfile?",
	       .ns = "'securityprofile': 'balanced'");
	REFUSE(NS "wireguard.peers[0].allowedIps", "unknown key; did you mean allowedIPs?",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': [], 'allowedIps': []}]");
	REFUSE(NS "wireguard.adresses", "did you mean addresses?", .wg = "'adresses': []");
	REFUSE("verison", "unknown key; did you mean version?", .top = "'verison': 1");

	/* Nothing near: no guess. */
	_cleanup_free_ char *m = only_error(squote("{'version': 1, 'extra': true}"));
	ASSERT_STREQ(m, "extra: unknown key");
	_cleanup_free_ char *m2 =
		only_error(squote("{'version': 1, 'paths': {'stateDirectory': '/x'}}"));
	ASSERT_STREQ(m2, "paths.stateDirectory: unknown key");
}

TEST(paths_quote_keys_that_are_not_identifiers)
{
	_cleanup_free_ char *a = json_path_key("units", "transmission.service");
	_cleanup_free_ char *b = json_path_key(a, "namespace");
	_cleanup_free_ char *c = json_path_key("", "a.b");
	_cleanup_free_ char *d = json_path_key("x", "say \"hi\"\\");
	_cleanup_free_ char *e = json_path_key("x", "");
	_cleanup_free_ char *f = json_path_key("namespaces", "vpn_apps-2");
	_cleanup_free_ char *g = desired_ns_path("a.b", "wireguard.managed");
	_cleanup_free_ char *h = json_path_key("x", "t\xc3\xa4st");

	ASSERT_STREQ(a, "units[\"transmission.service\"]");
	ASSERT_STREQ(b, "units[\"transmission.service\"].namespace");
	ASSERT_STREQ(c, "[\"a.b\"]");
	ASSERT_STREQ(d, "x[\"say \\\"hi\\\"\\\\\"]");
	ASSERT_STREQ(e, "x[\"\"]");
	ASSERT_STREQ(f, "namespaces.vpn_apps-2");
	ASSERT_STREQ(g, "namespaces[\"a.b\"].wireguard.managed");
	ASSERT_STREQ(h, "x[\"t\xc3\xa4st\"]");
	/* In messages: the unit's path names the unit as one key. */
	REFUSE("units[\"transmission.service\"].namespace",
	       "names the namespace \"other\", which namespaces does not define",
	       .units = "{'transmission.service': {'namespace': 'other'}}");
}

TEST(reject_wrong_types)
{
	refuse_doc(squote("{'version': '1'}"), "version", "must be the integer 1");
	refuse_doc(squote("{'version': 1.0}"), "version", "must be the integer 1");
	refuse_doc(squote("{'version': 2}"), "version", "must be the integer 1");
	refuse_doc(squote("{'paths': {}}"), "version", "is required");
	refuse_doc(squote("{'version': 1, 'namespaces': []}"), "namespaces", "must be an object");
	refuse_doc(squote("{'version': 1, 'namespaces': {'a': null}}"), "namespaces.a",
		   "must be an object");
	REFUSE("paths", "must be an object", .top = "'paths': null");
	REFUSE(NS "wireguard.listenPort", "must be an integer or null", .wg = "'listenPort': '51820'");
	REFUSE(NS "wireguard.mtu", "must be an integer or null", .wg = "'mtu': 1400.0");
	REFUSE(NS "wireguard.managed", "must be a boolean", .wg = "'managed': 'false'");
	REFUSE(NS "wireguard.peers", "must be an array", .peers = "{}");
	REFUSE(NS "wireguard.peers[0]", "must be an object", .peers = "['" TEST_KEY_A "']");
	REFUSE(NS "dns.servers", "must be an array", .dns = "{'servers': '10.0.0.1'}");
	REFUSE(NS "egress.allowEssentialIcmp", "must be a boolean",
	       .ns = "'egress': {'allowEssentialIcmp': 'yes'}");
	REFUSE(NS "egress.allowedTcpPorts[1]", "must be an integer",
	       .ns = "'egress': {'allowedTcpPorts': [80, '443']}");
	REFUSE(NS "hostLink", "must be an object", .ns = "'hostLink': []");
	REFUSE(NS "securityProfile", "must be \"balanced\" or \"highAssurance\", not \"paranoid\"",
	       .ns = "'securityProfile': 'paranoid'");
	REFUSE(NS "ipv6.mode", "must be \"disable\" or \"tunnel\", not \"enable\"",
	       .ns = "'ipv6': {'mode': 'enable'}");
	REFUSE(NS "egress.mode", "not \"allowlist\"", .ns = "'egress': {'mode': 'allowlist'}");
	REFUSE(NS "dns.mode", "must be a string", .dns = "{'mode': null, 'servers': ['10.0.0.1']}");
}

TEST(reject_out_of_range)
{
	REFUSE(NS "wireguard.listenPort", "between 1 and 65535, not 0", .wg = "'listenPort': 0");
	REFUSE(NS "wireguard.listenPort", "between 1 and 65535", .wg = "'listenPort': 65536");
	REFUSE(NS "wireguard.mtu", "between 1280 and 65535, not 1279", .wg = "'mtu': 1279");
	REFUSE(NS "wireguard.mtu", "between 1280 and 65535", .wg = "'mtu': 65536");
	REFUSE(NS "wireguard.dynamicEndpointRefreshSeconds", "between 0 and 31536000",
	       .wg = "'dynamicEndpointRefreshSeconds': 31536001");
	REFUSE(NS "wireguard.peers[0].persistentKeepalive", "between 0 and 65535",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': [], "
			"'persistentKeepalive': 65536}]");
	REFUSE(NS "wireguard.peers[0].persistentKeepalive", "between 0 and 65535, not -1",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': [], "
			"'persistentKeepalive': -1}]");
	REFUSE("drift.handshakeTimeoutSeconds", "between 0 and 31536000",
	       .top = "'drift': {'handshakeTimeoutSeconds': -1}");
	REFUSE(NS "egress.allowedTcpPorts[1]", "between 1 and 65535, not 0",
	       .ns = "'egress': {'allowedTcpPorts': [80, 0]}");
	REFUSE(NS "ingress.fromTunnel.udp[0]", "between 1 and 65535",
	       .ns = "'ingress': {'fromTunnel': {'udp': [65536]}}");
	REFUSE(NS "publishToHost.tcp[0]", "between 1 and 65535",
	       .ns = "'publishToHost': {'tcp': [-80]}");
	REFUSE(NS "wireguard.listenPort", "between 1 and 65535",
	       .wg = "'listenPort': 99999999999999999");
}

static void refuse_raw(const char *raw, const char *path, const char *fragment)
{
	refuse_doc(xstrdup(raw), path, fragment);
}

TEST(reject_duplicate_keys)
{
	refuse_raw("{\"version\": 1, \"version\": 1}", "version", "duplicate key (line 1");
	refuse_raw("{\"version\": 1, \"namespaces\": {\"a\": {\"dns\": {\"servers\": [],\n"
		   "  \"servers\": []}}}}",
		   "namespaces.a.dns.servers", "duplicate key (line 2, column");
	refuse_raw("{\"version\": 1, \"namespaces\": {\"a\": {\"wireguard\": {\"peers\": [{}, "
		   "{\"endpoint\": \"x\", \"a\\\"b\": [1, {\"q\": 2}], \"a\\\"b\": 1}]}}}}",
		   "namespaces.a.wireguard.peers[1][\"a\\\"b\"]", "duplicate key");
	refuse_raw("{\"version\": 1, \"n\\u0041\": 1, \"nA\": 2}", "nA", "duplicate key");
}

TEST(reject_syntax_error_line_column)
{
	static const char text[] = "{\n  \"version\": 1,\n  \"namespaces\" {}\n}";
	DesiredErrors e = {};
	Desired *d = NULL;
	_cleanup_free_ char *m = NULL;

	ASSERT_ERR(desired_parse(text, strlen(text), &e, &d), EINVAL);
	ASSERT_EQ(e.n, 1);
	ASSERT_EQ(e.errors[0].line, 3);
	ASSERT_TRUE(e.errors[0].column > 0);
	ASSERT_STREQ(e.errors[0].path, "");
	m = desired_error_format(&e.errors[0]);
	ASSERT_TRUE(startswith(m, "line 3, column "));
	ASSERT_CONTAINS(m, "':' expected");
	desired_errors_clear(&e);

	ASSERT_ERR(desired_parse("", 0, &e, &d), EINVAL);
	ASSERT_EQ(e.n, 1);
	desired_errors_clear(&e);
	ASSERT_ERR(desired_parse(NULL, 0, &e, &d), EINVAL);
	desired_errors_clear(&e);
	ASSERT_ERR(desired_parse("{\"version\": 1} x", 16, &e, &d), EINVAL);
	desired_errors_clear(&e);
	/* Not NUL-terminated: size is what counts. */
	ASSERT_ERR(desired_parse("{\"version\": 1}}", 15, &e, &d), EINVAL);
	desired_errors_clear(&e);
	ASSERT_OK(desired_parse("{\"version\": 1}}", 14, &e, &d));
	d = desired_free(d);
	ASSERT_ERR(desired_parse("{\"version\": 1, \"a\": \"\\u0000\"}", 29, &e, &d), EINVAL);
	desired_errors_clear(&e);
	ASSERT_ERR(desired_parse("{\"version\": 1, \"a\": \"\x01\"}", 25, &e, &d), EINVAL);
	ASSERT_TRUE(strchr(e.errors[0].message, '\x01') == NULL);
	desired_errors_clear(&e);
	refuse_raw("[1]", "", "the document must be a JSON object");
}

TEST(reject_cidrs)
{
	REFUSE(NS "egress.allowedCidrs[1]", "host bits set in \"10.0.0.1/8\" (the network is "
					    "10.0.0.0/8)",
	       .ns = "'egress': {'allowedCidrs': ['192.0.2.0/24', '10.0.0.1/8']}");
	REFUSE(NS "egress.allowedCidrs[0]", "literal IPv4/IPv6 address or CIDR, not \"10.0/8\"",
	       .ns = "'egress': {'allowedCidrs': ['10.0/8']}");
	REFUSE(NS "egress.allowedCidrs[0]", "IPv6 CIDR fd00::/8 needs ipv6.mode = \"tunnel\"",
	       .ns = "'egress': {'allowedCidrs': ['fd00::/8']}");
	REFUSE(NS "wireguard.peers[0].allowedIPs[0]", "host bits set",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': ['10.0.0.1/8']}]");
	REFUSE(NS "wireguard.peers[0].allowedIPs[1]", "needs ipv6.mode = \"tunnel\"",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': ['0.0.0.0/0', '::/0']}]");
	REFUSE(NS "wireguard.addresses[1]", "IPv6 address fd00::2/128 needs ipv6.mode",
	       .addresses = "['10.0.0.2/32', 'fd00::2/128']");
	REFUSE(NS "wireguard.addresses[0]", "literal", .addresses = "['10.0.0.2/33']");
}

TEST(reject_ipv6_tunnel_without_ipv6)
{
	REFUSE(NS "ipv6.mode", "\"tunnel\" needs an IPv6", .ns = "'ipv6': {'mode': 'tunnel'}");
	REFUSE(NS "ipv6.mode", "\"tunnel\" needs an IPv6", .ns = "'ipv6': {'mode': 'tunnel'}",
	       .wg = "'allowedIPsAsRoutes': false",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': ['::/0']}]");
	desired_free(accept_doc(DOC(.ns = "'ipv6': {'mode': 'tunnel'}",
				    .peers = "[{'publicKey': '" TEST_KEY_A "', "
					     "'allowedIPs': ['::/0']}]")));
	desired_free(accept_doc(DOC(.ns = "'ipv6': {'mode': 'tunnel'}",
				    .addresses = "['fd00::2/128']",
				    .dns = "{'servers': ['fd00::53']}")));
}

TEST(reject_socket_namespace)
{
	REFUSE(NS "wireguard.socketNamespace", "must differ from the namespace itself",
	       .wg = "'socketNamespace': 'vpnapps'");
	REFUSE(NS "wireguard.socketNamespace", "valid namespace name, not \"a/b\"",
	       .wg = "'socketNamespace': 'a/b'");
	REFUSE(NS "wireguard.socketNamespace", "must be a string or null",
	       .wg = "'socketNamespace': 1");
}

TEST(reject_external_mode_fields)
{
	static const char *const refused[] = {
		"'privateKeyFile': '/k'",
		"'generatePrivateKeyFile': false",
		"'addresses': []",
		"'listenPort': null",
		"'mtu': 1420",
		"'fwMark': 1",
		"'allowedIPsAsRoutes': true",
		"'allowHostnameEndpoints': false",
		"'dynamicEndpointRefreshSeconds': 0",
	};

	for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
		_cleanup_free_ char *path = NULL;
		const char *key = refused[i] + 1;

		path = xasprintf(NS "wireguard.%.*s", (int)(strchr(key, '\'') - key), key);
		REFUSE(path, "only for managed tunnels (wireguard.managed is false)",
		       .external = true, .wg = refused[i]);
	}
	REFUSE(NS "wireguard.peers[0].publicKey", "only for managed tunnels", .external = true,
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': '192.0.2.1:1'}]");
	REFUSE(NS "wireguard.peers[0].allowedIPs", "only for managed tunnels", .external = true,
	       .peers = "[{'allowedIPs': []}]");
	REFUSE(NS "wireguard.peers[0].persistentKeepalive", "only for managed", .external = true,
	       .peers = "[{'persistentKeepalive': 25}]");
	REFUSE(NS "wireguard.peers[0].presharedKeyFile", "only for managed", .external = true,
	       .peers = "[{'presharedKeyFile': null}]");
	REFUSE(NS "wireguard.peers[0].endpoint", "must be a literal IP endpoint", .external = true,
	       .peers = "[{'endpoint': 'vpn.example.net:51820'}]");
	REFUSE(NS "wireguard.peers", "endpoint pinning needs at least one peer", .external = true,
	       .wg = "'endpointPinning': {'enable': true}");
	REFUSE(NS "wireguard.peers[0].endpoint", "pinning needs every peer", .external = true,
	       .wg = "'endpointPinning': {'enable': true}", .peers = "[{}]");
	/* "managed" after the refused key still decides. */
	refuse_doc(squote("{'version': 1, 'namespaces': {'a': {'wireguard': {'mtu': 1420, "
			  "'managed': false}, 'dns': {'servers': ['10.0.0.1']}}}}"),
		   "namespaces.a.wireguard.mtu", "only for managed tunnels");
}

TEST(reject_managed_mode_requirements)
{
	refuse_doc(squote("{'version': 1, 'namespaces': {'a': {'dns': {'servers': ['10.0.0.1']}}}}"),
		   "namespaces.a.wireguard.privateKeyFile", "is required");
	refuse_doc(squote("{'version': 1, 'namespaces': {'a': {'dns': {'servers': ['10.0.0.1']}}}}"),
		   "namespaces.a.wireguard.peers", "is required");
	refuse_doc(squote("{'version': 1, 'namespaces': {'a': {'wireguard': {"
			  "'generatePrivateKeyFile': true, 'addresses': ['10.0.0.2/32'], "
			  "'peers': [{'publicKey': '" TEST_KEY_A "', 'allowedIPs': []}]}, "
			  "'dns': {'servers': ['10.0.0.1']}}}}"),
		   "namespaces.a.wireguard.privateKeyFile", "is required");
	refuse_doc(squote("{'version': 1, 'namespaces': {'a': {'wireguard': {"
			  "'privateKeyFile': '/k', "
			  "'peers': [{'publicKey': '" TEST_KEY_A "', 'allowedIPs': []}]}, "
			  "'dns': {'servers': ['10.0.0.1']}}}}"),
		   "namespaces.a.wireguard.addresses", "is required");
	REFUSE(NS "wireguard.addresses", "must not be empty", .addresses = "[]");
	REFUSE(NS "wireguard.peers", "must not be empty", .peers = "[]");
	REFUSE(NS "wireguard.peers[0].publicKey", "is required", .peers = "[{'allowedIPs': []}]");
	REFUSE(NS "wireguard.peers[0].allowedIPs", "is required",
	       .peers = "[{'publicKey': '" TEST_KEY_A "'}]");
}

TEST(reject_public_keys)
{
	REFUSE(NS "wireguard.peers[0].publicKey", "base64 encoding of a 32-byte key",
	       .peers = "[{'publicKey': 'vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4', "
			"'allowedIPs': []}]");
	/* Same key, stray low bits in the last character. */
	REFUSE(NS "wireguard.peers[0].publicKey", "base64",
	       .peers = "[{'publicKey': 'vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L5=', "
			"'allowedIPs': []}]");
	REFUSE(NS "wireguard.peers[0].publicKey", "base64",
	       .peers = "[{'publicKey': 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAh', "
			"'allowedIPs': []}]");
	REFUSE(NS "wireguard.peers[2].publicKey", "duplicate peer: the same public key as peers[0]",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': []}, "
			"{'publicKey': '" TEST_KEY_B "', 'allowedIPs': []}, "
			"{'publicKey': '" TEST_KEY_A "', 'allowedIPs': []}]");
}

static void refuse_endpoint(const char *endpoint, const char *fragment)
{
	_cleanup_free_ char *peers = xasprintf("[{'publicKey': '" TEST_KEY_A "', "
					       "'endpoint': '%s', 'allowedIPs': []}]",
					       endpoint);

	REFUSE(NS "wireguard.peers[0].endpoint", fragment, .peers = peers,
	       .wg = "'allowHostnameEndpoints': true, 'dynamicEndpointRefreshSeconds': 60");
}

TEST(reject_endpoint_syntax)
{
	refuse_endpoint("1.2.3:51820", "neither a valid IPv4 address");
	refuse_endpoint("01.2.3.4:51820", "neither a valid IPv4 address");
	refuse_endpoint("256.0.0.1:51820", "neither a valid IPv4 address");
	refuse_endpoint("0x7f000001:51820", "neither a valid IPv4 address");
	refuse_endpoint("-bad.example:1", "neither");
	refuse_endpoint("a..b:1", "neither");
	refuse_endpoint(":51820", "neither");
	refuse_endpoint("fd00::1:51820", "brackets");
	refuse_endpoint("[fd00::1]", "must be IPv4:port");
	refuse_endpoint("[fd00::1%eth0]:1", "no valid IPv6 address");
	refuse_endpoint("[1.2.3.4]:1", "no valid IPv6 address");
	refuse_endpoint("1.2.3.4", "must be IPv4:port");
	refuse_endpoint("1.2.3.4:0", "port 1..65535");
	refuse_endpoint("1.2.3.4:65536", "port 1..65535");
	refuse_endpoint("1.2.3.4:051820", "port 1..65535");
	refuse_endpoint("1.2.3.4:", "port 1..65535");
	refuse_endpoint("host:+1", "port 1..65535");
	refuse_endpoint("a\\u001bb:1", "\"a\\x1bb:1\"");
}

static void refuse_key_file(const char *value, const char *fragment)
{
	_cleanup_free_ char *key = xasprintf("'%s'", value);

	REFUSE(NS "wireguard.privateKeyFile", fragment, .key = key);
}

TEST(reject_paths)
{
	_cleanup_free_ char *longpath = xmalloc(4097 + 2), *key = NULL;

	refuse_key_file("keys/wg", "must be an absolute path, not \"keys/wg\"");
	refuse_key_file("", "must be an absolute path");
	refuse_key_file("/run/../etc/key", ". or .. components");
	refuse_key_file("/run/./key", ". or .. components");
	refuse_key_file("/run/keys/..", ". or .. components");
	refuse_key_file("/run//key", "must not contain //");
	refuse_key_file("/run/keys/", "must not end with /");
	refuse_key_file("/", "must name a file");
	refuse_key_file("/run/k\\u0007ey", "control characters");
	refuse_key_file("/run/k\\nkey", "control characters, not \"/run/k\\x0akey\"");
	REFUSE(NS "wireguard.privateKeyFile", "must be a string", .key = "null");

	longpath[0] = '/';
	memset(longpath + 1, 'a', 4095);
	longpath[4096] = 0;
	key = xasprintf("'%s'", longpath);
	REFUSE(NS "wireguard.privateKeyFile", "4095 bytes", .key = key);
	longpath[4095] = 0;
	free(key);
	key = xasprintf("'%s'", longpath);
	desired_free(accept_doc(DOC(.key = key)));

	REFUSE(NS "wireguard.peers[0].presharedKeyFile", "absolute",
	       .peers = "[{'publicKey': '" TEST_KEY_A "', 'allowedIPs': [], "
			"'presharedKeyFile': 'psk'}]");
	REFUSE("paths.stateDir", "must not be the root directory", .top = "'paths': {'stateDir': '/'}");
	REFUSE("paths.runtimeDir", "absolute", .top = "'paths': {'runtimeDir': 'run'}");
	REFUSE("paths.netnsDir", "must not end with /", .top = "'paths': {'netnsDir': '/run/netns/'}");
	REFUSE("paths.netnsDir", "must be a string", .top = "'paths': {'netnsDir': null}");
}

/* The spec said dynamicUser defaults to true; systemd's DynamicUser=
 * defaults to no, so a unit with neither user nor dynamicUser runs as
 * root, and highAssurance accepted it. */
TEST(reject_high_assurance_unit_without_user_runs_as_root)
{
	REFUSE("units[\"a.service\"].dynamicUser", "dynamicUser is false, its default",
	       .ns = HA HA_EGRESS, .units = "{'a.service': {'namespace': 'vpnapps'}}");
	REFUSE("units[\"a.service\"].dynamicUser", "would run as root", .ns = HA HA_EGRESS,
	       .units = "{'a.service': {'namespace': 'vpnapps', 'user': null}}");
	desired_free(accept_doc(DOC(.ns = HA HA_EGRESS,
				    .units = "{'a.service': {'namespace': 'vpnapps', "
					     "'user': 'nobody'}}")));
}

/* Two tunnels may both be wg0 now, and the derived pinning mark depends
 * on the interface name only: two pinning tables with one mark in one
 * socket namespace would drop each other's handshakes. */
static char *two_pinned(const char *a_extra, const char *b_extra)
{
	_cleanup_free_ char *raw = NULL;
	const char *peer = "'peers': [{'publicKey': '" TEST_KEY_A "', "
			   "'endpoint': '198.51.100.10:51820', 'allowedIPs': ['0.0.0.0/0']}]";

	raw = xasprintf("{'version': 1, 'namespaces': {"
			"'a': {'wireguard': {'privateKeyFile': '/k', 'addresses': ['10.0.0.2/32'], "
			"%s, 'endpointPinning': {'enable': true%s}}, 'dns': {'servers': ['10.0.0.1']}}, "
			"'b': {'wireguard': {'privateKeyFile': '/k', 'addresses': ['10.0.0.2/32'], "
			"%s, 'endpointPinning': {'enable': true%s}}, 'dns': {'servers': ['10.0.0.1']}}"
			"}}",
			peer, strempty(a_extra), peer, strempty(b_extra));
	return squote(raw);
}

TEST(reject_duplicate_pinning_marks_in_one_socket_namespace)
{
	refuse_doc(two_pinned(NULL, NULL), "namespaces.b.wireguard.endpointPinning.fwMark",
		   "(derived) is already used by namespaces.a.wireguard.endpointPinning.fwMark "
		   "(derived) in the same socket namespace");
	refuse_doc(two_pinned(", 'fwMark': 7", ", 'fwMark': 7"),
		   "namespaces.b.wireguard.endpointPinning.fwMark",
		   "endpoint pinning mark \"7\" is already used");
	desired_free(accept_doc(two_pinned(NULL, ", 'fwMark': 7")));
}

/* paths.* accepted shared system directories (vpnconf would create,
 * replace and remove files in /etc or /run) and directories inside one
 * another. */
TEST(reject_paths_shared_or_overlapping)
{
	static const char *const shared[] = {
		"/etc", "/tmp", "/run", "/var", "/usr", "/proc", "/sys", "/dev", "/home", "/root",
		"/var/tmp", "/var/lib", "/run/user", "/boot", "/nix", "/nix/store", "/var/run",
	};

	for (size_t i = 0; i < ELEMENTSOF(shared); i++) {
		_cleanup_free_ char *top = xasprintf("'paths': {'stateDir': '%s'}", shared[i]);
		_cleanup_free_ char *rule = xasprintf("%s is a shared system directory", shared[i]);
		REFUSE("paths.stateDir", rule, .top = top);
	}
	REFUSE("paths.runtimeDir", "/run is a shared system directory",
	       .top = "'paths': {'runtimeDir': '/run'}");
	REFUSE("paths.netnsDir", "/tmp is a shared system directory",
	       .top = "'paths': {'netnsDir': '/tmp'}");
	REFUSE("paths.stateDir", "kernel or read-only file system tree",
	       .top = "'paths': {'stateDir': '/proc/vpnconf'}");
	REFUSE("paths.runtimeDir", "kernel or read-only file system tree",
	       .top = "'paths': {'runtimeDir': '/nix/store/abc-vpnconf'}");
	REFUSE("paths.netnsDir", "kernel or read-only file system tree",
	       .top = "'paths': {'netnsDir': '/dev/shm/netns'}");

	REFUSE("paths.runtimeDir", "must not be the same directory as paths.stateDir",
	       .top = "'paths': {'stateDir': '/run/vpnconf', 'runtimeDir': '/run/vpnconf'}");
	REFUSE("paths.netnsDir", "must not overlap paths.runtimeDir: /run/vpnconf/netns lies "
				 "inside /run/vpnconf",
	       .top = "'paths': {'netnsDir': '/run/vpnconf/netns'}");
	REFUSE("paths.runtimeDir", "must not overlap paths.stateDir: /var/lib/vpnconf contains",
	       .top = "'paths': {'runtimeDir': '/var/lib/vpnconf', 'stateDir': "
		      "'/var/lib/vpnconf/state'}");

	/* Their own directories, anywhere else, are fine. */
	desired_free(accept_doc(DOC(.top = "'paths': {'stateDir': '/var/lib/vpnconf2', "
					   "'runtimeDir': '/run/vpnconf-x', 'netnsDir': "
					   "'/run/netns'}")));
	desired_free(accept_doc(DOC(.top = "'paths': {'stateDir': '/srv/vpnconf', "
					   "'runtimeDir': '/tmp/vc/run', 'netnsDir': "
					   "'/tmp/vc/netns'}")));
}
