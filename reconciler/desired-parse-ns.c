/* SPDX-License-Identifier: MIT */
/*
 * One entry of "namespaces": its defaults, the field tables of the dns,
 * ipv6, egress, ingress, publishToHost and hostLink objects, and the
 * derivations that make the parsed namespace effective (host-link names
 * and subnet, publishToHost merged into ingress.fromHost, the pinning
 * fwmark).
 */
#include <arpa/inet.h>
#include <stddef.h>

#include "desired-json.h"

/* glibc and musl read at most three "nameserver" lines (MAXNS) and
 * silently ignore the rest; glibc's historical limit for "search" is six
 * domains. */
#define DNS_SERVERS_MAX 3
#define DNS_SEARCH_MAX 6
#define ALLOWED_CIDRS_MAX 100000

DEFINE_JSON_DISPATCH_ENUM(security_profile, SecurityProfile, _SECURITY_PROFILE_MAX)
DEFINE_JSON_DISPATCH_ENUM(dns_mode, DnsMode, _DNS_MODE_MAX)
DEFINE_JSON_DISPATCH_ENUM(ipv6_mode, Ipv6Mode, _IPV6_MODE_MAX)
DEFINE_JSON_DISPATCH_ENUM(egress_mode, EgressMode, _EGRESS_MODE_MAX)

static void dispatch_dns_servers(ParseContext *c, const char *path, json_t *v, void *base,
				 const JsonField *f)
{
	_cleanup_free_ IpAddr *servers = NULL;
	Namespace *ns = base;
	size_t n = 0, i;
	bool ok = true;
	json_t *item;

	if (!json_expect_array(c, path, v, 1, DNS_SERVERS_MAX))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i), *q = NULL;
		const char *s = json_expect_string(c, p, item, NULL);
		IpAddr a;

		if (!s) {
			ok = false;
			continue;
		}
		q = json_quote(s);
		if (ipaddr_parse(s, &a) < 0) {
			parse_error(c, p, "must be a literal IPv4 or IPv6 address, not %s", q);
			ok = false;
			continue;
		}
		for (size_t j = 0; j < n; j++)
			if (ipaddr_equal(&servers[j], &a)) {
				parse_error(c, p, "duplicate DNS server %s", q);
				ok = false;
			}
		*ARRAY_APPEND(servers, n) = a;
	}
	if (!ok)
		return;
	free(ns->dns_servers);
	ns->dns_servers = TAKE_PTR(servers);
	ns->n_dns_servers = n;
}

/* NULL if s is a domain-style search suffix, else why not. One trailing
 * dot is allowed: "corp.example." is the same suffix written as an
 * absolute name, and glibc and musl both read it so in resolv.conf. */
static const char *search_domain_check(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "must not be empty";
	if (n > 254)
		return "must be at most 254 characters long";
	if (n > 1 && s[n - 1] == '.' && s[n - 2] != '.')
		n--;
	for (const char *label = s;;) {
		size_t l = strcspn(label, ".");

		if (l == 0)
			return "must not contain an empty label";
		if (l > 63)
			return "must not contain a label longer than 63 characters";
		for (size_t i = 0; i < l; i++) {
			unsigned char ch = (unsigned char)label[i];
			if (ch <= ' ' || ch == 0x7f)
				return "must not contain whitespace or control characters";
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
				    ch))
				return "must contain only letters, digits, - and _ between dots";
		}
		if ((size_t)(label + l - s) == n)
			return NULL;
		label += l + 1;
	}
}

static void dispatch_dns_search(ParseContext *c, const char *path, json_t *v, void *base,
				const JsonField *f)
{
	_cleanup_strv_free_ char **search = NULL;
	Namespace *ns = base;
	bool ok = true;
	json_t *item;
	size_t i;

	if (!json_expect_array(c, path, v, 0, DNS_SEARCH_MAX))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i), *q = NULL;
		const char *s = json_expect_string(c, p, item, NULL), *why;

		if (!s) {
			ok = false;
			continue;
		}
		why = search_domain_check(s);
		if (why) {
			q = json_quote(s);
			parse_error(c, p, "search domain %s %s", q, why);
			ok = false;
			continue;
		}
		strv_push(&search, s);
	}
	if (!ok)
		return;
	strv_free(ns->dns_search);
	ns->dns_search = TAKE_PTR(search);
}

static void dispatch_allowed_cidrs(ParseContext *c, const char *path, json_t *v, void *base,
				   const JsonField *f)
{
	Namespace *ns = base;

	json_parse_prefixes(c, path, v, true, 0, ALLOWED_CIDRS_MAX, &ns->allowed_cidrs,
			    &ns->n_allowed_cidrs);
}

static void dispatch_subnet(ParseContext *c, const char *path, json_t *v, void *base,
			    const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f);
	_cleanup_free_ char *q = NULL;
	Namespace *ns = base;
	IpPrefix p;

	if (!s)
		return;
	if (ipprefix_parse(s, true, &p) < 0 || p.addr.family != AF_INET || p.prefixlen != 30 ||
	    !strchr(s, '/')) {
		q = json_quote(s);
		parse_error(c, path,
			    "must be an IPv4 /30 network base such as \"169.254.8.0/30\", not %s",
			    q);
		return;
	}
	ns->host_link_subnet = p;
}

#define OFS(member) offsetof(Namespace, member)

static const JsonField dns_fields[] = {
	{"mode", dispatch_dns_mode, OFS(dns_mode)},
	{"servers", dispatch_dns_servers, 0, JSON_FIELD_REQUIRED},
	{"search", dispatch_dns_search},
	{"allowHostResolverIPC", json_dispatch_bool, OFS(allow_host_resolver_ipc)},
	{},
};

static const JsonField ipv6_fields[] = {
	{"mode", dispatch_ipv6_mode, OFS(ipv6_mode)},
	{},
};

static const JsonField egress_fields[] = {
	{"mode", dispatch_egress_mode, OFS(egress_mode)},
	{"allowedTcpPorts", json_dispatch_ports, OFS(egress_tcp)},
	{"allowedUdpPorts", json_dispatch_ports, OFS(egress_udp)},
	{"allowedCidrs", dispatch_allowed_cidrs},
	{"allowEssentialIcmp", json_dispatch_bool, OFS(allow_essential_icmp)},
	{},
};

static const JsonField from_host_fields[] = {
	{"tcp", json_dispatch_ports, OFS(ingress_host_tcp)},
	{},
};

static const JsonField from_tunnel_fields[] = {
	{"tcp", json_dispatch_ports, OFS(ingress_tunnel_tcp)},
	{"udp", json_dispatch_ports, OFS(ingress_tunnel_udp)},
	{},
};

static const JsonField ingress_fields[] = {
	{"fromHost", json_dispatch_nested, 0, 0, 0, 0, from_host_fields},
	{"fromTunnel", json_dispatch_nested, 0, 0, 0, 0, from_tunnel_fields},
	{},
};

static const JsonField publish_fields[] = {
	{"tcp", json_dispatch_ports, OFS(publish_tcp)},
	{},
};

static const JsonField host_link_fields[] = {
	{"enable", json_dispatch_bool, OFS(host_link_enable)},
	{"hostIf", json_dispatch_ifname, OFS(host_if), JSON_FIELD_NULLABLE},
	{"nsIf", json_dispatch_ifname, OFS(ns_if), JSON_FIELD_NULLABLE},
	{"subnetIPv4", dispatch_subnet, 0, JSON_FIELD_NULLABLE},
	{},
};

static const JsonField namespace_fields[] = {
	{"securityProfile", dispatch_security_profile, OFS(profile)},
	{"wireguard", parse_wireguard, 0, JSON_FIELD_DEFAULT_OBJECT},
	{"dns", json_dispatch_nested, 0, JSON_FIELD_DEFAULT_OBJECT, 0, 0, dns_fields},
	{"ipv6", json_dispatch_nested, 0, 0, 0, 0, ipv6_fields},
	{"egress", json_dispatch_nested, 0, 0, 0, 0, egress_fields},
	{"ingress", json_dispatch_nested, 0, 0, 0, 0, ingress_fields},
	{"publishToHost", json_dispatch_nested, 0, 0, 0, 0, publish_fields},
	{"publish", parse_publish},
	{"hostLink", json_dispatch_nested, 0, 0, 0, 0, host_link_fields},
	{"portForwarding", parse_port_forwarding},
	{},
};

#undef OFS

static void namespace_init(Namespace *ns, const char *name)
{
	*ns = (Namespace){
		.name = xstrdup(name),
		.profile = SECURITY_PROFILE_BALANCED,
		.wg = {
			.ifname = "wg0",
			.managed = true,
			.listen_port = -1,
			.allowed_ips_as_routes = true,
		},
		.dns_mode = DNS_MODE_STRICT,
		.ipv6_mode = IPV6_MODE_DISABLE,
		.egress_mode = EGRESS_MODE_ALLOW_ALL_TUNNEL,
		.allow_essential_icmp = true,
		.pf = {
			.mode = PORT_FORWARD_NONE,
			.tcp = true,
			.udp = true,
			.lifetime_seconds = PORT_FORWARD_LIFETIME_MIN,
		},
	};
}

/* a ∪ b into a, both sorted and duplicate-free. */
static void port_list_merge(PortList *a, const PortList *b)
{
	uint16_t *r = xmalloc((a->n + b->n) * sizeof(uint16_t));
	size_t i = 0, j = 0, n = 0;

	while (i < a->n || j < b->n) {
		if (j >= b->n || (i < a->n && a->ports[i] < b->ports[j]))
			r[n++] = a->ports[i++];
		else if (i >= a->n || b->ports[j] < a->ports[i])
			r[n++] = b->ports[j++];
		else {
			r[n++] = a->ports[i++];
			j++;
		}
	}
	free(a->ports);
	a->ports = r;
	a->n = n;
}

static void namespace_derive(Namespace *ns)
{
	port_list_merge(&ns->ingress_host_tcp, &ns->publish_tcp);
	ns->host_link = ns->host_link_enable || ns->publish_tcp.n > 0;

	if (ns->host_if[0] == 0)
		derive_host_if(ns->name, ns->host_if);
	if (ns->ns_if[0] == 0)
		derive_ns_if(ns->name, ns->ns_if);
	if (ns->host_link_subnet.addr.family == 0)
		derive_host_link_subnet(ns->name, &ns->host_link_subnet);
	ns->host_link_host_addr = ns->host_link_subnet.addr.in;
	ns->host_link_ns_addr = ns->host_link_subnet.addr.in;
	ns->host_link_host_addr.s_addr = htonl(ntohl(ns->host_link_host_addr.s_addr) + 1);
	ns->host_link_ns_addr.s_addr = htonl(ntohl(ns->host_link_ns_addr.s_addr) + 2);

	if (ns->wg.pinning_fwmark == 0)
		ns->wg.pinning_fwmark = derive_pinning_fwmark(ns->wg.ifname);
	/* The device must carry the mark the pinning rules match on. */
	if (ns->wg.pinning_enable && ns->wg.fwmark == 0)
		ns->wg.fwmark = ns->wg.pinning_fwmark;
}

void parse_namespace(ParseContext *c, const char *path, const char *name, json_t *v,
		     Namespace *ns)
{
	namespace_init(ns, name);
	c->managed = true;
	json_dispatch_object(c, path, v, namespace_fields, ns);
	namespace_derive(ns);
}
