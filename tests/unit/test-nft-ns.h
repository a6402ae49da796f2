/* SPDX-License-Identifier: MIT */
/*
 * Namespaces for the nftables tests, built by hand (the way the desired
 * state parser would leave them: effective, sorted, derived fields set).
 * Storage lives in the TestNs, so nothing needs freeing.
 *
 * The reference policy: strict DNS to 10.64.0.1, a host link (host
 * address 169.254.10.1, namespace interface "vn-abc") publishing TCP 8080,
 * tunnel "wg0", IPv6 disabled, allowList of a few CIDRs with TCP 443 and
 * essential ICMP, and pinning with two literal endpoints and one hostname.
 */
#pragma once

#include <arpa/inet.h>

#include "desired.h"
#include "ipaddr.h"

typedef struct TestNs {
	Namespace ns;
	IpAddr dns[4];
	IpPrefix cidrs[8];
	uint16_t egress_tcp[4], egress_udp[4];
	uint16_t ingress_host_tcp[4], ingress_tunnel_tcp[4], ingress_tunnel_udp[4];
	Peer peers[4];
} TestNs;

static inline void test_ns_parse_addr(const char *s, IpAddr *ret)
{
	if (ipaddr_parse(s, ret) < 0)
		abort();
}

static inline void test_ns_parse_prefix(const char *s, IpPrefix *ret)
{
	if (ipprefix_parse(s, true, ret) < 0)
		abort();
}

static inline void test_ns_reference(TestNs *t)
{
	static const char *const cidrs[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.1.0/24",
					    "192.168.2.0/24"};
	Namespace *ns = &t->ns;

	memset(t, 0, sizeof(*t));
	ns->name = (char *)"ref";
	ns->profile = SECURITY_PROFILE_BALANCED;
	strcpy(ns->wg.ifname, "wg0");

	ns->dns_mode = DNS_MODE_STRICT;
	test_ns_parse_addr("10.64.0.1", &t->dns[0]);
	ns->dns_servers = t->dns;
	ns->n_dns_servers = 1;

	ns->ipv6_mode = IPV6_MODE_DISABLE;

	ns->egress_mode = EGRESS_MODE_ALLOW_LIST;
	t->egress_tcp[0] = 443;
	ns->egress_tcp = (PortList){t->egress_tcp, 1};
	ns->egress_udp = (PortList){t->egress_udp, 0};
	for (size_t i = 0; i < ELEMENTSOF(cidrs); i++)
		test_ns_parse_prefix(cidrs[i], &t->cidrs[i]);
	ns->allowed_cidrs = t->cidrs;
	ns->n_allowed_cidrs = ELEMENTSOF(cidrs);
	ns->allow_essential_icmp = true;

	t->ingress_host_tcp[0] = 8080;
	ns->ingress_host_tcp = (PortList){t->ingress_host_tcp, 1};
	ns->publish_tcp = (PortList){t->ingress_host_tcp, 1};
	ns->ingress_tunnel_tcp = (PortList){t->ingress_tunnel_tcp, 0};
	ns->ingress_tunnel_udp = (PortList){t->ingress_tunnel_udp, 0};
	ns->host_link = true;
	strcpy(ns->host_if, "vh-abc");
	strcpy(ns->ns_if, "vn-abc");
	test_ns_parse_prefix("169.254.10.0/30", &ns->host_link_subnet);
	inet_pton(AF_INET, "169.254.10.1", &ns->host_link_host_addr);
	inet_pton(AF_INET, "169.254.10.2", &ns->host_link_ns_addr);

	ns->wg.pinning_enable = true;
	ns->wg.pinning_fwmark = 0x51820;
	ns->wg.peers = t->peers;
	ns->wg.n_peers = 3;
	t->peers[0].has_endpoint = true;
	t->peers[0].endpoint.literal = true;
	test_ns_parse_addr("192.0.2.7", &t->peers[0].endpoint.addr);
	t->peers[0].endpoint.port = 51820;
	t->peers[1].has_endpoint = true;
	t->peers[1].endpoint.host = (char *)"vpn.example.org";
	t->peers[1].endpoint.port = 51820;
	t->peers[2].has_endpoint = true;
	t->peers[2].endpoint.literal = true;
	test_ns_parse_addr("2001:db8::7", &t->peers[2].endpoint.addr);
	t->peers[2].endpoint.port = 443;
}

/* A second valid policy: IPv6 tunnelled, compat DNS, all tunnel egress,
 * tunnel ingress on TCP 22 and UDP 5000, no host link. */
static inline void test_ns_alternative(TestNs *t)
{
	Namespace *ns = &t->ns;

	test_ns_reference(t);
	ns->ipv6_mode = IPV6_MODE_TUNNEL;
	ns->dns_mode = DNS_MODE_COMPAT;
	ns->egress_mode = EGRESS_MODE_ALLOW_ALL_TUNNEL;
	ns->host_link = false;
	ns->ingress_host_tcp.n = 0;
	ns->publish_tcp.n = 0;
	t->ingress_tunnel_tcp[0] = 22;
	ns->ingress_tunnel_tcp.n = 1;
	t->ingress_tunnel_udp[0] = 5000;
	ns->ingress_tunnel_udp.n = 1;
}

/* Strict DNS over both families, IPv6 tunnelled, allowList of v4 and v6
 * CIDRs with TCP and UDP ports. */
static inline void test_ns_dual_stack(TestNs *t)
{
	Namespace *ns = &t->ns;

	test_ns_reference(t);
	ns->ipv6_mode = IPV6_MODE_TUNNEL;
	test_ns_parse_addr("fd00::53", &t->dns[1]);
	ns->n_dns_servers = 2;
	test_ns_parse_prefix("2001:db8:1::/48", &t->cidrs[4]);
	ns->n_allowed_cidrs = 5;
	t->egress_udp[0] = 1194;
	ns->egress_udp.n = 1;
}
