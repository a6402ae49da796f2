/* SPDX-License-Identifier: MIT */
/*
 * Desired-state files that must be refused (names, DNS, units and high
 * assurance, host links and interfaces, addresses, paths; the wireguard
 * settings are in test-desired-reject-wg.c, the form of the document in
 * test-desired-reject-json.c), one case per rule of
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
