/* SPDX-License-Identifier: MIT */
/*
 * Desired-state files that must be refused for their wireguard settings
 * (peers, endpoints and fallback endpoints, pinning and its marks,
 * external and managed mode, the socket namespace), one case per rule of
 * docs/desired-state.md, each checking that the error names the JSON path
 * of the offending value.
 */
#include "desired-json.h"
#include "test-desired.h"

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
