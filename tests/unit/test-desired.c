/* SPDX-License-Identifier: MIT */
/*
 * Desired-state files that must be accepted: the reference example, the
 * minimal file, defaults and derivations (expected values computed
 * independently with python3's hashlib), merging and sorting, the bundled
 * examples, and the error-list API.
 */
#include <arpa/inet.h>

#include "dnsfiles.h"
#include "sha256.h"
#include "test-desired.h"

static const char *fmt_prefix(const IpPrefix *p)
{
	static char buf[IPPREFIX_STRLEN];
	return ipprefix_to_string(p, buf);
}

static const char *fmt_in(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];
	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

/* The example of docs/desired-state.md, with a real public key. */
static const char spec_example[] =
	"{'version': 1,"
	" 'paths': {'stateDir': '/var/lib/vpnconf', 'runtimeDir': '/run/vpnconf',"
	"           'netnsDir': '/run/netns'},"
	" 'drift': {'action': 'repair', 'handshakeTimeoutSeconds': 0},"
	" 'namespaces': {'vpnapps': {"
	"   'securityProfile': 'balanced',"
	"   'wireguard': {'interface': 'wg0', 'managed': true,"
	"     'privateKeyFile': '/run/keys/wg.key', 'generatePrivateKeyFile': false,"
	"     'addresses': ['10.0.0.2/32'], 'listenPort': null, 'mtu': null, 'fwMark': null,"
	"     'socketNamespace': null, 'allowedIPsAsRoutes': true,"
	"     'allowHostnameEndpoints': false, 'dynamicEndpointRefreshSeconds': 0,"
	"     'endpointPinning': {'enable': false, 'fwMark': null},"
	"     'peers': [{'publicKey': '" TEST_KEY_A "', 'presharedKeyFile': null,"
	"       'endpoint': '198.51.100.10:51820', 'allowedIPs': ['0.0.0.0/0'],"
	"       'persistentKeepalive': 25}]},"
	"   'dns': {'mode': 'strict', 'servers': ['10.64.0.1'], 'search': [],"
	"           'allowHostResolverIPC': false},"
	"   'ipv6': {'mode': 'disable'},"
	"   'egress': {'mode': 'allowAllTunnel', 'allowedTcpPorts': [], 'allowedUdpPorts': [],"
	"              'allowedCidrs': [], 'allowEssentialIcmp': true},"
	"   'ingress': {'fromHost': {'tcp': []}, 'fromTunnel': {'tcp': [], 'udp': []}},"
	"   'publishToHost': {'tcp': []},"
	"   'hostLink': {'enable': false, 'hostIf': null, 'nsIf': null, 'subnetIPv4': null}}},"
	" 'units': {'my-service.service': {'namespace': 'vpnapps', 'user': null,"
	"   'dynamicUser': true, 'allowRootInHighAssurance': false}}}";

TEST(desired_spec_example)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(squote(spec_example));
	const Namespace *ns;
	const Peer *p;

	ASSERT_EQ(d->version, 1);
	ASSERT_STREQ(d->state_dir, "/var/lib/vpnconf");
	ASSERT_EQ(d->n_namespaces, 1);
	ns = desired_find_namespace(d, "vpnapps");
	ASSERT_TRUE(ns == &d->namespaces[0]);
	ASSERT_STREQ(ns->wg.ifname, "wg0");
	ASSERT_TRUE(ns->wg.managed);
	ASSERT_STREQ(ns->wg.private_key_file, "/run/keys/wg.key");
	ASSERT_EQ(ns->wg.n_addresses, 1);
	ASSERT_STREQ(fmt_prefix(&ns->wg.addresses[0]), "10.0.0.2/32");
	ASSERT_EQ(ns->wg.n_peers, 1);
	p = &ns->wg.peers[0];
	ASSERT_STREQ(p->public_key_b64, TEST_KEY_A);
	ASSERT_TRUE(p->has_endpoint);
	ASSERT_TRUE(p->endpoint.literal);
	ASSERT_EQ(p->endpoint.port, 51820);
	ASSERT_STREQ(p->endpoint_raw, "198.51.100.10:51820");
	ASSERT_EQ(p->n_allowed_ips, 1);
	ASSERT_STREQ(fmt_prefix(&p->allowed_ips[0]), "0.0.0.0/0");
	ASSERT_EQ(p->persistent_keepalive, 25);
	ASSERT_TRUE(p->preshared_key_file == NULL);
	ASSERT_EQ(ns->n_dns_servers, 1);
	ASSERT_EQ(d->n_units, 1);
	ASSERT_STREQ(d->units[0].name, "my-service.service");
	ASSERT_STREQ(d->units[0].namespace, "vpnapps");
	ASSERT_TRUE(d->units[0].dynamic_user);
}

TEST(desired_public_key_decoded)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC());
	uint8_t key[WG_KEY_LEN];
	size_t n;

	ASSERT_OK(base64_decode(TEST_KEY_A, key, sizeof(key), &n));
	ASSERT_MEMEQ(d->namespaces[0].wg.peers[0].public_key, key, WG_KEY_LEN);
}

TEST(desired_minimal)
{
	static const char text[] = "{\"version\":1}";
	_cleanup_(desired_freep) Desired *d = accept_doc(xstrdup(text));
	uint8_t digest[SHA256_DIGEST_SIZE];

	ASSERT_EQ(d->version, 1);
	ASSERT_STREQ(d->state_dir, "/var/lib/vpnconf");
	ASSERT_STREQ(d->runtime_dir, "/run/vpnconf");
	ASSERT_STREQ(d->netns_dir, "/run/netns");
	ASSERT_EQ(d->drift_action, DRIFT_ACTION_REPAIR);
	ASSERT_EQ(d->handshake_timeout_seconds, 0);
	ASSERT_EQ(d->n_namespaces, 0);
	ASSERT_EQ(d->n_units, 0);
	sha256(text, strlen(text), digest);
	ASSERT_MEMEQ(d->digest, digest, sizeof(digest));
	ASSERT_TRUE(desired_find_namespace(d, "vpnapps") == NULL);
}

TEST(desired_empty_sections)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		squote("{'version': 1, 'paths': {}, 'drift': {}, 'namespaces': {}, 'units': {}}"));

	ASSERT_EQ(d->n_namespaces, 0);
}

TEST(desired_defaults)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC());
	const Namespace *ns = &d->namespaces[0];

	ASSERT_EQ(ns->profile, SECURITY_PROFILE_BALANCED);
	ASSERT_STREQ(ns->wg.ifname, "wg0");
	ASSERT_TRUE(ns->wg.managed);
	ASSERT_FALSE(ns->wg.generate_private_key_file);
	ASSERT_EQ(ns->wg.listen_port, -1);
	ASSERT_EQ(ns->wg.mtu, 0);
	ASSERT_EQ(ns->wg.fwmark, 0);
	ASSERT_TRUE(ns->wg.socket_namespace == NULL);
	ASSERT_TRUE(ns->wg.allowed_ips_as_routes);
	ASSERT_FALSE(ns->wg.allow_hostname_endpoints);
	ASSERT_EQ(ns->wg.dynamic_endpoint_refresh_seconds, 0);
	ASSERT_FALSE(ns->wg.pinning_enable);
	ASSERT_EQ(ns->wg.pinning_fwmark, 1602405312); /* derived from "wg0" */
	ASSERT_EQ(ns->wg.peers[0].persistent_keepalive, 0);
	ASSERT_EQ(ns->dns_mode, DNS_MODE_STRICT);
	ASSERT_TRUE(ns->dns_search == NULL);
	ASSERT_FALSE(ns->allow_host_resolver_ipc);
	ASSERT_EQ(ns->ipv6_mode, IPV6_MODE_DISABLE);
	ASSERT_EQ(ns->egress_mode, EGRESS_MODE_ALLOW_ALL_TUNNEL);
	ASSERT_EQ(ns->egress_tcp.n + ns->egress_udp.n + ns->n_allowed_cidrs, 0);
	ASSERT_TRUE(ns->allow_essential_icmp);
	ASSERT_EQ(ns->ingress_host_tcp.n + ns->ingress_tunnel_tcp.n + ns->ingress_tunnel_udp.n, 0);
	ASSERT_FALSE(ns->host_link_enable);
	ASSERT_FALSE(ns->host_link);
	/* Derived even when the link is off, so status can show them. */
	ASSERT_STREQ(ns->host_if, "vh-614ddd762fc4");
	ASSERT_STREQ(ns->ns_if, "vn-b24c1d61df23");
	ASSERT_STREQ(fmt_prefix(&ns->host_link_subnet), "169.254.202.92/30");
	ASSERT_STREQ(fmt_in(ns->host_link_host_addr), "169.254.202.93");
	ASSERT_STREQ(fmt_in(ns->host_link_ns_addr), "169.254.202.94");
}

TEST(desired_derivations_known_values)
{
	char ifname[IFNAMSIZ];
	IpPrefix p;

	/* python3: int(sha256(name).hexdigest()[:8], 16) % 16384 * 4, etc. */
	derive_host_link_subnet("a", &p);
	ASSERT_STREQ(fmt_prefix(&p), "169.254.4.72/30");
	derive_host_link_subnet("test-ns", &p);
	ASSERT_STREQ(fmt_prefix(&p), "169.254.83.140/30");
	derive_host_if("a", ifname);
	ASSERT_STREQ(ifname, "vh-0720fe600027");
	derive_ns_if("a", ifname);
	ASSERT_STREQ(ifname, "vn-f2c25d34efd7");
	derive_host_if("test-ns", ifname);
	ASSERT_STREQ(ifname, "vh-7075e42b1d16");
	derive_ns_if("test-ns", ifname);
	ASSERT_STREQ(ifname, "vn-09330f4dbd0a");
	ASSERT_EQ(derive_pinning_fwmark("wg0"), 1602405312);
	ASSERT_EQ(derive_pinning_fwmark("wg1"), 2314640132U);
	ASSERT_EQ(derive_pinning_fwmark("wg-vpnapps"), 2331477563U);
}

TEST(desired_host_link_explicit)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.ns = "'hostLink': {'enable': true, 'hostIf': 'veth-host', 'nsIf': 'veth-ns', "
			  "'subnetIPv4': '10.99.0.4/30'}, 'ingress': {'fromHost': {'tcp': [22]}}"));
	const Namespace *ns = &d->namespaces[0];

	ASSERT_TRUE(ns->host_link);
	ASSERT_STREQ(ns->host_if, "veth-host");
	ASSERT_STREQ(ns->ns_if, "veth-ns");
	ASSERT_STREQ(fmt_prefix(&ns->host_link_subnet), "10.99.0.4/30");
	ASSERT_STREQ(fmt_in(ns->host_link_host_addr), "10.99.0.5");
	ASSERT_STREQ(fmt_in(ns->host_link_ns_addr), "10.99.0.6");
	ASSERT_EQ(ns->ingress_host_tcp.n, 1);
}

TEST(desired_publish_merges_and_enables_host_link)
{
	_cleanup_(desired_freep) Desired *d =
		accept_doc(DOC(.ns = "'publishToHost': {'tcp': [8080, 80, 8080]}, "
				     "'ingress': {'fromHost': {'tcp': [80, 22]}, "
				     "'fromTunnel': {'tcp': [51413, 443, 51413], 'udp': [51413]}}"));
	const Namespace *ns = &d->namespaces[0];

	ASSERT_FALSE(ns->host_link_enable);
	ASSERT_TRUE(ns->host_link);
	ASSERT_EQ(ns->publish_tcp.n, 2);
	ASSERT_EQ(ns->publish_tcp.ports[0], 80);
	ASSERT_EQ(ns->publish_tcp.ports[1], 8080);
	ASSERT_EQ(ns->ingress_host_tcp.n, 3);
	ASSERT_EQ(ns->ingress_host_tcp.ports[0], 22);
	ASSERT_EQ(ns->ingress_host_tcp.ports[1], 80);
	ASSERT_EQ(ns->ingress_host_tcp.ports[2], 8080);
	ASSERT_TRUE(port_list_contains(&ns->ingress_host_tcp, 8080));
	ASSERT_FALSE(port_list_contains(&ns->ingress_host_tcp, 8081));
	ASSERT_EQ(ns->ingress_tunnel_tcp.n, 2);
	ASSERT_EQ(ns->ingress_tunnel_tcp.ports[0], 443);
	ASSERT_EQ(ns->ingress_tunnel_udp.n, 1);
}

TEST(desired_egress_lists)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.ns = "'egress': {'mode': 'allowList', 'allowedTcpPorts': [443, 80, 443], "
			  "'allowedUdpPorts': [65535, 1], 'allowedCidrs': ['10.64.0.0/16', "
			  "'192.0.2.7', '10.64.0.0/16'], 'allowEssentialIcmp': false}"));
	const Namespace *ns = &d->namespaces[0];

	ASSERT_EQ(ns->egress_mode, EGRESS_MODE_ALLOW_LIST);
	ASSERT_EQ(ns->egress_tcp.n, 2);
	ASSERT_EQ(ns->egress_tcp.ports[0], 80);
	ASSERT_EQ(ns->egress_udp.ports[0], 1);
	ASSERT_EQ(ns->egress_udp.ports[1], 65535);
	/* As written: duplicates are merged by the policy builder. */
	ASSERT_EQ(ns->n_allowed_cidrs, 3);
	ASSERT_STREQ(fmt_prefix(&ns->allowed_cidrs[1]), "192.0.2.7/32");
	ASSERT_FALSE(ns->allow_essential_icmp);
}

TEST(desired_fallback_endpoints)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.wg = "'allowHostnameEndpoints': true, 'dynamicEndpointRefreshSeconds': 60",
		    .peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': '192.0.2.1:51820', "
			     "'endpoints': ['[2001:db8::2]:443', 'b.example.net:51821'], "
			     "'allowedIPs': []}, {'publicKey': '" TEST_KEY_B "', 'allowedIPs': []}]"));
	const Peer *p = &d->namespaces[0].wg.peers[0];
	const Endpoint *e;
	const char *raw = NULL;

	ASSERT_EQ(peer_endpoint_count(p), 3);
	e = peer_endpoint_at(p, 0, &raw);
	ASSERT_TRUE(e == &p->endpoint);
	ASSERT_STREQ(raw, "192.0.2.1:51820");
	e = peer_endpoint_at(p, 1, &raw);
	ASSERT_TRUE(e->literal);
	ASSERT_EQ(e->addr.family, AF_INET6);
	ASSERT_EQ(e->port, 443);
	ASSERT_STREQ(raw, "[2001:db8::2]:443");
	e = peer_endpoint_at(p, 2, &raw);
	ASSERT_FALSE(e->literal);
	ASSERT_STREQ(e->host, "b.example.net");
	ASSERT_EQ(e->port, 51821);
	ASSERT_TRUE(peer_endpoint_at(p, 3, NULL) == NULL);
	ASSERT_EQ(peer_endpoint_count(&d->namespaces[0].wg.peers[1]), 0);
	ASSERT_TRUE(peer_endpoint_at(&d->namespaces[0].wg.peers[1], 0, NULL) == NULL);
}

TEST(desired_pinning_mark_becomes_device_mark)
{
	_cleanup_(desired_freep) Desired *d =
		accept_doc(DOC(.wg = "'interface': 'wg1', 'endpointPinning': {'enable': true}"));
	const WireguardConfig *wg = &d->namespaces[0].wg;

	ASSERT_TRUE(wg->pinning_enable);
	ASSERT_EQ(wg->pinning_fwmark, 2314640132U);
	ASSERT_EQ(wg->fwmark, 2314640132U);
}

TEST(desired_pinning_explicit_marks)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.wg = "'fwMark': 4294967295, 'endpointPinning': {'enable': true, "
			  "'fwMark': 4294967295}"));
	_cleanup_(desired_freep) Desired *d2 =
		accept_doc(DOC(.wg = "'fwMark': 51820, 'endpointPinning': {'fwMark': 7}"));

	ASSERT_EQ(d->namespaces[0].wg.fwmark, 4294967295U);
	ASSERT_EQ(d->namespaces[0].wg.pinning_fwmark, 4294967295U);
	/* Without pinning the two marks are independent. */
	ASSERT_EQ(d2->namespaces[0].wg.fwmark, 51820);
	ASSERT_EQ(d2->namespaces[0].wg.pinning_fwmark, 7);
}

TEST(desired_wireguard_fields)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(
		.ns = "'ipv6': {'mode': 'tunnel'}",
		.wg = "'listenPort': 51820, 'mtu': 1280, 'socketNamespace': 'outer', "
		      "'generatePrivateKeyFile': true, 'allowHostnameEndpoints': true, "
		      "'dynamicEndpointRefreshSeconds': 300",
		.addresses = "['10.0.0.2/24', 'fd00::2/64']",
		.peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': 'vpn.example.net:51820', "
			 "'allowedIPs': ['0.0.0.0/0', '::/0'], 'presharedKeyFile': '/run/keys/psk', "
			 "'persistentKeepalive': null}, "
			 "{'publicKey': '" TEST_KEY_B "', 'endpoint': '[2001:db8::1]:443', "
			 "'allowedIPs': []}, "
			 "{'publicKey': 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=', "
			 "'allowedIPs': ['10.1.0.0/16']}]"));
	const WireguardConfig *wg = &d->namespaces[0].wg;

	ASSERT_EQ(wg->listen_port, 51820);
	ASSERT_EQ(wg->mtu, 1280);
	ASSERT_STREQ(wg->socket_namespace, "outer");
	ASSERT_TRUE(wg->generate_private_key_file);
	ASSERT_STREQ(fmt_prefix(&wg->addresses[0]), "10.0.0.2/24");
	ASSERT_EQ(wg->n_peers, 3);
	ASSERT_FALSE(wg->peers[0].endpoint.literal);
	ASSERT_STREQ(wg->peers[0].endpoint.host, "vpn.example.net");
	ASSERT_EQ(wg->peers[0].endpoint.port, 51820);
	ASSERT_STREQ(wg->peers[0].preshared_key_file, "/run/keys/psk");
	ASSERT_TRUE(wg->peers[1].endpoint.literal);
	ASSERT_EQ(wg->peers[1].endpoint.addr.family, AF_INET6);
	ASSERT_EQ(wg->peers[1].endpoint.port, 443);
	ASSERT_FALSE(wg->peers[2].has_endpoint);
}

TEST(desired_socket_namespace_init_is_null)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.wg = "'socketNamespace': 'init'"));

	ASSERT_TRUE(d->namespaces[0].wg.socket_namespace == NULL);
}

TEST(desired_external_tunnel)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.external = true, .wg = "'interface': 'tun0', 'endpointPinning': {'enable': true}",
		    .peers = "[{'endpoint': '198.51.100.10:51820'}, {'endpoint': '[::1]:1'}]",
		    .ns = "'ipv6': {'mode': 'tunnel'}"));
	_cleanup_(desired_freep) Desired *bare = accept_doc(DOC(.external = true));
	const WireguardConfig *wg = &d->namespaces[0].wg;

	ASSERT_FALSE(wg->managed);
	ASSERT_STREQ(wg->ifname, "tun0");
	ASSERT_EQ(wg->n_peers, 2);
	ASSERT_TRUE(wg->private_key_file == NULL);
	ASSERT_EQ(wg->fwmark, wg->pinning_fwmark);
	ASSERT_EQ(bare->namespaces[0].wg.n_peers, 0);
}

TEST(desired_sorted_namespaces_and_units)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(squote(
		"{'version': 1, 'namespaces': {"
		"'zeta': {'wireguard': {'managed': false, 'interface': 'wgz'}, "
		"'dns': {'servers': ['10.0.0.1']}},"
		"'alpha': {'wireguard': {'managed': false, 'interface': 'wga'}, "
		"'dns': {'servers': ['10.0.0.1', '10.0.0.2', '10.0.0.3'], "
		"'search': ['corp.example', 'a_b-c.d']}}},"
		"'units': {'b.socket': {'namespace': 'zeta'}, 'a@1.service': {'namespace': 'alpha', "
		"'user': 'nobody', 'dynamicUser': false}, "
		"'fsck@dev-disk-by\\\\x2duuid-1:2.service': {'namespace': 'zeta'}}}"));

	ASSERT_EQ(d->n_namespaces, 2);
	ASSERT_STREQ(d->namespaces[0].name, "alpha");
	ASSERT_STREQ(d->namespaces[1].name, "zeta");
	ASSERT_STREQ(desired_find_namespace(d, "zeta")->wg.ifname, "wgz");
	ASSERT_TRUE(desired_find_namespace(d, "beta") == NULL);
	ASSERT_EQ(d->namespaces[0].n_dns_servers, 3);
	ASSERT_EQ(strv_length(d->namespaces[0].dns_search), 2);
	ASSERT_STREQ(d->units[0].name, "a@1.service");
	ASSERT_STREQ(d->units[0].user, "nobody");
	ASSERT_FALSE(d->units[0].dynamic_user);
	ASSERT_STREQ(d->units[1].name, "b.socket");
	ASSERT_STREQ(d->units[2].name, "fsck@dev-disk-by\\x2duuid-1:2.service");
}

TEST(desired_high_assurance_accepted)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(
		.ns = "'securityProfile': 'highAssurance', "
		      "'egress': {'mode': 'allowList', 'allowedCidrs': ['10.64.0.0/16']}",
		.units = "{'a.service': {'namespace': 'vpnapps', 'dynamicUser': true}, "
			 "'b.service': {'namespace': 'vpnapps', 'user': 'alice', "
			 "'dynamicUser': false}, "
			 "'c.service': {'namespace': 'vpnapps', 'user': 'root', "
			 "'dynamicUser': false, 'allowRootInHighAssurance': true}}"));

	ASSERT_EQ(d->namespaces[0].profile, SECURITY_PROFILE_HIGH_ASSURANCE);
	ASSERT_EQ(d->n_units, 3);
}

TEST(desired_paths_and_drift)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(squote(
		"{'version': 1, 'paths': {'stateDir': '/srv/state', 'runtimeDir': '/run/v c',"
		" 'netnsDir': '/var/run/netns'}, 'drift': {'action': 'lockdown',"
		" 'handshakeTimeoutSeconds': 31536000}}"));

	ASSERT_STREQ(d->state_dir, "/srv/state");
	ASSERT_STREQ(d->runtime_dir, "/run/v c");
	ASSERT_STREQ(d->netns_dir, "/var/run/netns");
	ASSERT_EQ(d->drift_action, DRIFT_ACTION_LOCKDOWN);
	ASSERT_EQ(d->handshake_timeout_seconds, 31536000);
}

TEST(desired_enum_strings)
{
	ASSERT_STREQ(security_profile_to_string(SECURITY_PROFILE_HIGH_ASSURANCE), "highAssurance");
	ASSERT_EQ(security_profile_from_string("balanced"), SECURITY_PROFILE_BALANCED);
	ASSERT_EQ(security_profile_from_string("Balanced"), -EINVAL);
	ASSERT_EQ(dns_mode_from_string("compat"), DNS_MODE_COMPAT);
	ASSERT_STREQ(ipv6_mode_to_string(IPV6_MODE_TUNNEL), "tunnel");
	ASSERT_EQ(egress_mode_from_string("allowList"), EGRESS_MODE_ALLOW_LIST);
	ASSERT_STREQ(drift_action_to_string(DRIFT_ACTION_ALERT), "alert");
	ASSERT_EQ(drift_action_from_string(NULL), -EINVAL);
	ASSERT_TRUE(drift_action_to_string(_DRIFT_ACTION_MAX) == NULL);
	ASSERT_TRUE(dns_mode_to_string(_DNS_MODE_INVALID) == NULL);
}

TEST(desired_name_rules)
{
	char n64[66];

	ASSERT_TRUE(namespace_name_is_valid("a"));
	ASSERT_TRUE(namespace_name_is_valid("vpn.apps_2-x"));
	ASSERT_FALSE(namespace_name_is_valid(""));
	ASSERT_FALSE(namespace_name_is_valid(".."));
	ASSERT_FALSE(namespace_name_is_valid("a/b"));
	ASSERT_FALSE(namespace_name_is_valid("-a"));
	ASSERT_FALSE(namespace_name_is_valid("a-"));
	ASSERT_FALSE(namespace_name_is_valid("init"));
	ASSERT_FALSE(namespace_name_is_valid(NULL));
	memset(n64, 'a', 64);
	n64[64] = 0;
	ASSERT_TRUE(namespace_name_is_valid(n64));
	n64[64] = 'a';
	n64[65] = 0;
	ASSERT_FALSE(namespace_name_is_valid(n64));

	ASSERT_TRUE(interface_name_is_valid("wg0"));
	ASSERT_TRUE(interface_name_is_valid("abcdefghijklmno"));
	ASSERT_FALSE(interface_name_is_valid("abcdefghijklmnop"));
	ASSERT_FALSE(interface_name_is_valid("lo"));
	ASSERT_FALSE(interface_name_is_valid("all"));
	ASSERT_FALSE(interface_name_is_valid("wg 0"));
	ASSERT_FALSE(interface_name_is_valid("wg:0"));
	ASSERT_FALSE(interface_name_is_valid(""));
}

TEST(desired_errors_format)
{
	DesiredErrors e = {};
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

	desired_errors_add(&e, "namespaces.x.dns", "bad %d", 1);
	desired_errors_add(&e, "", "syntax");
	e.errors[1].line = 3;
	e.errors[1].column = 7;
	desired_errors_add(&e, NULL, "whole document");
	a = desired_error_format(&e.errors[0]);
	b = desired_error_format(&e.errors[1]);
	c = desired_error_format(&e.errors[2]);
	ASSERT_STREQ(a, "namespaces.x.dns: bad 1");
	ASSERT_STREQ(b, "line 3, column 7: syntax");
	ASSERT_STREQ(c, "whole document");
	desired_errors_clear(&e);
	ASSERT_EQ(e.n, 0);
	ASSERT_TRUE(e.errors == NULL);
	desired_errors_clear(&e);
}

TEST(desired_all_errors_in_document_order)
{
	static const char text[] = "{'version': 1, 'bogus': 1, 'drift': {'action': 'panic'}, "
				   "'paths': {'stateDir': 'relative'}, 'units': {'x.service': {}}}";
	_cleanup_free_ char *t = squote(text);
	DesiredErrors e = {};
	Desired *d = NULL;

	ASSERT_ERR(desired_parse(t, strlen(t), &e, &d), EINVAL);
	ASSERT_TRUE(d == NULL);
	ASSERT_EQ(e.n, 4);
	ASSERT_STREQ(e.errors[0].path, "bogus");
	ASSERT_STREQ(e.errors[1].path, "drift.action");
	ASSERT_STREQ(e.errors[1].message,
		     "must be \"repair\", \"lockdown\" or \"alert\", not \"panic\"");
	ASSERT_STREQ(e.errors[2].path, "paths.stateDir");
	ASSERT_STREQ(e.errors[3].path, "units[\"x.service\"].namespace");
	ASSERT_CONTAINS(e.errors[3].message, "must name a namespace");
	desired_errors_clear(&e);
}

TEST(desired_errors_appended)
{
	/* Errors are appended to whatever the list already holds. */
	_cleanup_free_ char *t = squote("{'version': 2}");
	DesiredErrors e = {};
	Desired *d = NULL;

	desired_errors_add(&e, "earlier", "x");
	ASSERT_ERR(desired_parse(t, strlen(t), &e, &d), EINVAL);
	ASSERT_EQ(e.n, 2);
	ASSERT_STREQ(e.errors[1].path, "version");
	desired_errors_clear(&e);
}

static char *example_path(const char *name)
{
	const char *src = getenv("VPNCONF_SOURCE_DIR");

	if (!src)
		TEST_SKIP("VPNCONF_SOURCE_DIR is not set");
	return xasprintf("%s/docs/examples/%s", src, name);
}

static Desired *load_example(const char *name)
{
	_cleanup_free_ char *path = example_path(name);
	DesiredErrors e = {};
	Desired *d = NULL;
	int r;

	r = desired_load(path, &e, &d);
	if (r < 0) {
		dump_errors(&e);
		desired_errors_clear(&e);
		TEST_FAIL("desired_load(%s): %d", path, r);
	}
	return d;
}

TEST(desired_examples_load)
{
	_cleanup_(desired_freep) Desired *ext = load_example("desired.json");
	_cleanup_(desired_freep) Desired *man = load_example("managed.json");
	const Namespace *ns;

	ns = desired_find_namespace(ext, "vpnapps");
	ASSERT_TRUE(ns);
	ASSERT_FALSE(ns->wg.managed);
	ASSERT_STREQ(ns->wg.ifname, "wg0");
	ASSERT_EQ(ns->egress_mode, EGRESS_MODE_ALLOW_LIST);
	ASSERT_EQ(ns->n_allowed_cidrs, 2);
	ASSERT_TRUE(ns->host_link);
	ASSERT_TRUE(port_list_contains(&ns->ingress_host_tcp, 8080));
	ASSERT_TRUE(port_list_contains(&ns->ingress_tunnel_tcp, 51413));
	ASSERT_EQ(ext->n_units, 1);
	ASSERT_STREQ(ext->units[0].name, "transmission.service");

	ns = desired_find_namespace(man, "vpnapps");
	ASSERT_TRUE(ns);
	ASSERT_TRUE(ns->wg.managed);
	ASSERT_STREQ(ns->wg.private_key_file, "/run/keys/wg-vpnapps.key");
	ASSERT_EQ(ns->wg.n_peers, 1);
	ASSERT_EQ(ns->wg.peers[0].persistent_keepalive, 25);
}

TEST(desired_load_io_errors)
{
	DesiredErrors e = {};
	Desired *d = NULL;

	ASSERT_ERR(desired_load("/nonexistent/desired.json", &e, &d), ENOENT);
	ASSERT_EQ(e.n, 0);
	ASSERT_TRUE(d == NULL);
}

/* As systemd's DynamicUser=, dynamicUser defaults to false. */
TEST(desired_dynamic_user_defaults_to_false)
{
	_cleanup_(desired_freep) Desired *d =
		accept_doc(DOC(.units = "{'a.service': {'namespace': 'vpnapps'}}"));

	ASSERT_EQ(d->n_units, 1);
	ASSERT_FALSE(d->units[0].dynamic_user);
	ASSERT_TRUE(d->units[0].user == NULL);
}

/* "corp.example." is an absolute name: the same suffix, and refused
 * until the spec allowed it. resolv.conf carries it as written, which
 * glibc and musl read the same way. */
TEST(desired_search_domain_with_trailing_dot)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.dns = "{'servers': ['10.64.0.1'], 'search': ['corp.example.', 'x.', 'lan']}"));
	const Namespace *ns = &d->namespaces[0];
	_cleanup_free_ char *conf = dns_file_render(ns, DNS_FILE_RESOLV_CONF);

	ASSERT_STREQ(ns->dns_search[0], "corp.example.");
	ASSERT_STREQ(ns->dns_search[1], "x.");
	ASSERT_TRUE(strstr(conf, "\nsearch corp.example. x. lan\n") != NULL);
}

/* Two managed namespaces may both call their tunnel wg0: each tunnel
 * lives inside its own namespace. */
TEST(desired_same_tunnel_name_in_two_namespaces)
{
	_cleanup_free_ char *raw = xasprintf(
		"{'version': 1, 'namespaces': {"
		"'a': {'wireguard': {'privateKeyFile': '/k', 'addresses': ['10.0.0.2/32'], "
		"'peers': [{'publicKey': '%s', 'allowedIPs': ['0.0.0.0/0']}]}, "
		"'dns': {'servers': ['10.0.0.1']}, 'hostLink': {'enable': true}}, "
		"'b': {'wireguard': {'privateKeyFile': '/k', 'addresses': ['10.0.0.2/32'], "
		"'peers': [{'publicKey': '%s', 'allowedIPs': ['0.0.0.0/0']}]}, "
		"'dns': {'servers': ['10.0.0.1']}, 'hostLink': {'enable': true}}}}",
		TEST_KEY_A, TEST_KEY_A);
	_cleanup_(desired_freep) Desired *d = accept_doc(squote(raw));

	ASSERT_EQ(d->n_namespaces, 2);
	ASSERT_STREQ(d->namespaces[0].wg.ifname, "wg0");
	ASSERT_STREQ(d->namespaces[1].wg.ifname, "wg0");
	ASSERT_FALSE(streq(d->namespaces[0].host_if, d->namespaces[1].host_if));
}

/* Namespaces "a" (tunnel socket in "c"), "b" (in "init") and "c" (in
 * "b"); ring: "c" in "a" instead, a cycle. */
static char *socket_chain_doc(const char *c_socket)
{
	static const char managed[] =
		"'privateKeyFile': '/run/keys/wg.key', 'addresses': ['10.0.0.2/32'], "
		"'peers': [{'publicKey': '" TEST_KEY_A "', 'endpoint': '198.51.100.10:51820', "
		"'allowedIPs': ['0.0.0.0/0']}]";
	_cleanup_free_ char *raw = xasprintf(
		"{'version': 1, 'namespaces': {"
		"'a': {'wireguard': {'interface': 'wg0', 'socketNamespace': 'c', %s}, "
		"'dns': {'servers': ['10.64.0.1']}}, "
		"'b': {'wireguard': {'interface': 'wg1', %s}, 'dns': {'servers': ['10.64.0.1']}}, "
		"'c': {'wireguard': {'interface': 'wg2', 'socketNamespace': '%s', %s}, "
		"'dns': {'servers': ['10.64.0.1']}}}, 'units': {}}",
		managed, managed, c_socket, managed);
	return squote(raw);
}

TEST(socket_namespaces_are_reconciled_before_the_tunnels_born_there)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(socket_chain_doc("b"));
	size_t order[3];

	desired_socket_order(d, order);
	/* b first (its socket is in init), then c (in b), then a (in c). */
	ASSERT_STREQ(d->namespaces[order[0]].name, "b");
	ASSERT_STREQ(d->namespaces[order[1]].name, "c");
	ASSERT_STREQ(d->namespaces[order[2]].name, "a");
	ASSERT_TRUE(desired_socket_cycle(d, &d->namespaces[0]) == NULL);
}

TEST(reject_socket_namespace_cycle)
{
	refuse_doc(socket_chain_doc("a"), "namespaces.a.wireguard.socketNamespace",
		   "c leads back to a through the socket namespaces of managed tunnels");
	refuse_doc(socket_chain_doc("a"), "namespaces.c.wireguard.socketNamespace",
		   "must not form a cycle");
}
