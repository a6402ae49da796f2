/* SPDX-License-Identifier: MIT */
/*
 * Desired-state files that must be refused for their form rather than a
 * rule of one setting: unknown keys (with the nearest known key
 * suggested), wrong types, values out of range, duplicate keys and syntax
 * errors (with line and column); and how error paths quote keys that are
 * not identifiers.
 */
#include "desired-json.h"
#include "test-desired.h"

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
