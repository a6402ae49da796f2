/* SPDX-License-Identifier: MIT */
/*
 * The desired-state model outside parsing and validation: enum names,
 * the error list, name rules shared with the CLI, the deterministic
 * derivations of docs/desired-state.md ("Defaults"), loading a file, and
 * freeing a Desired.
 */
#include <stdio.h>

#include "desired.h"
#include "sha256.h"

static const char *const security_profile_table[_SECURITY_PROFILE_MAX] = {
	[SECURITY_PROFILE_BALANCED] = "balanced",
	[SECURITY_PROFILE_HIGH_ASSURANCE] = "highAssurance",
};

static const char *const dns_mode_table[_DNS_MODE_MAX] = {
	[DNS_MODE_STRICT] = "strict",
	[DNS_MODE_COMPAT] = "compat",
};

static const char *const ipv6_mode_table[_IPV6_MODE_MAX] = {
	[IPV6_MODE_DISABLE] = "disable",
	[IPV6_MODE_TUNNEL] = "tunnel",
};

static const char *const egress_mode_table[_EGRESS_MODE_MAX] = {
	[EGRESS_MODE_ALLOW_ALL_TUNNEL] = "allowAllTunnel",
	[EGRESS_MODE_ALLOW_LIST] = "allowList",
};

static const char *const drift_action_table[_DRIFT_ACTION_MAX] = {
	[DRIFT_ACTION_REPAIR] = "repair",
	[DRIFT_ACTION_LOCKDOWN] = "lockdown",
	[DRIFT_ACTION_ALERT] = "alert",
};

static const char *const port_forward_mode_table[_PORT_FORWARD_MAX] = {
	[PORT_FORWARD_NONE] = "none",
	[PORT_FORWARD_NATPMP] = "natpmp",
	[PORT_FORWARD_STATIC] = "static",
};

static const char *table_to_string(const char *const *table, size_t n, int i)
{
	return i >= 0 && (size_t)i < n ? table[i] : NULL;
}

static int table_from_string(const char *const *table, size_t n, const char *s)
{
	if (s)
		for (size_t i = 0; i < n; i++)
			if (streq(table[i], s))
				return (int)i;
	return -EINVAL;
}

#define DEFINE_ENUM_STRING(name, type, table)                                                      \
	const char *name##_to_string(type v)                                                       \
	{                                                                                          \
		return table_to_string(table, ELEMENTSOF(table), (int)v);                          \
	}                                                                                          \
	type name##_from_string(const char *s)                                                     \
	{                                                                                          \
		return (type)table_from_string(table, ELEMENTSOF(table), s);                       \
	}

DEFINE_ENUM_STRING(security_profile, SecurityProfile, security_profile_table)
DEFINE_ENUM_STRING(dns_mode, DnsMode, dns_mode_table)
DEFINE_ENUM_STRING(ipv6_mode, Ipv6Mode, ipv6_mode_table)
DEFINE_ENUM_STRING(egress_mode, EgressMode, egress_mode_table)
DEFINE_ENUM_STRING(port_forward_mode, PortForwardMode, port_forward_mode_table)
DEFINE_ENUM_STRING(drift_action, DriftAction, drift_action_table)

void desired_errors_add(DesiredErrors *e, const char *path, const char *fmt, ...)
{
	DesiredError *x = ARRAY_APPEND(e->errors, e->n);
	va_list ap;

	x->path = xstrdup(strempty(path));
	va_start(ap, fmt);
	x->message = xvasprintf(fmt, ap);
	va_end(ap);
}

void desired_errors_clear(DesiredErrors *e)
{
	FOREACH_ARRAY(x, e->errors, e->n) {
		free(x->path);
		free(x->message);
	}
	free(e->errors);
	e->errors = NULL;
	e->n = 0;
}

char *desired_error_format(const DesiredError *e)
{
	if (!isempty(e->path))
		return xasprintf("%s: %s", e->path, e->message);
	if (e->line > 0)
		return xasprintf("line %d, column %d: %s", e->line, e->column, e->message);
	return xstrdup(e->message);
}

static void peer_done(Peer *p)
{
	free(p->public_key_b64);
	free(p->preshared_key_file);
	free(p->endpoint_raw);
	free(p->endpoint.host);
	FOREACH_ARRAY(e, p->endpoints, p->n_endpoints)
	free(e->host);
	free(p->endpoints);
	strv_free(p->endpoints_raw);
	free(p->allowed_ips);
}

size_t peer_endpoint_count(const Peer *p)
{
	return (p->has_endpoint ? 1 : 0) + p->n_endpoints;
}

const Endpoint *peer_endpoint_at(const Peer *p, size_t i, const char **ret_raw)
{
	if (p->has_endpoint) {
		if (i == 0) {
			if (ret_raw)
				*ret_raw = p->endpoint_raw;
			return &p->endpoint;
		}
		i--;
	}
	if (i >= p->n_endpoints)
		return NULL;
	if (ret_raw)
		*ret_raw = p->endpoints_raw[i];
	return &p->endpoints[i];
}

static void namespace_done(Namespace *ns)
{
	free(ns->name);
	free(ns->wg.private_key_file);
	free(ns->wg.addresses);
	free(ns->wg.socket_namespace);
	FOREACH_ARRAY(p, ns->wg.peers, ns->wg.n_peers)
		peer_done(p);
	free(ns->wg.peers);
	free(ns->dns_servers);
	strv_free(ns->dns_search);
	free(ns->egress_tcp.ports);
	free(ns->egress_udp.ports);
	free(ns->allowed_cidrs);
	free(ns->ingress_host_tcp.ports);
	free(ns->ingress_tunnel_tcp.ports);
	free(ns->ingress_tunnel_udp.ports);
	free(ns->publish_tcp.ports);
	free(ns->pf.static_ports.ports);
	free(ns->pf.on_change);
	FOREACH_ARRAY(pub, ns->publish, ns->n_publish)
		free(pub->listen);
	free(ns->publish);
}

Desired *desired_free(Desired *d)
{
	if (!d)
		return NULL;
	free(d->state_dir);
	free(d->runtime_dir);
	free(d->netns_dir);
	free(d->text);
	FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
		namespace_done(ns);
	free(d->namespaces);
	FOREACH_ARRAY(u, d->units, d->n_units) {
		free(u->name);
		free(u->namespace);
		free(u->user);
	}
	free(d->units);
	free(d);
	return NULL;
}

static int namespace_compare_name(const void *key, const void *elem)
{
	return strcmp(key, ((const Namespace *)elem)->name);
}

const Namespace *desired_find_namespace(const Desired *d, const char *name)
{
	if (!d || !name || d->n_namespaces == 0)
		return NULL;
	return bsearch(name, d->namespaces, d->n_namespaces, sizeof(Namespace),
		       namespace_compare_name);
}

/* The confinement namespace ns's tunnel socket lives in, when that is one
 * of the desired state's own. */
static const Namespace *socket_host(const Desired *d, const Namespace *ns)
{
	if (!ns->wg.managed || !ns->wg.socket_namespace)
		return NULL;
	return desired_find_namespace(d, ns->wg.socket_namespace);
}

const Namespace *desired_socket_cycle(const Desired *d, const Namespace *ns)
{
	const Namespace *at = ns;

	for (size_t i = 0; i < d->n_namespaces; i++) {
		at = socket_host(d, at);
		if (!at)
			return NULL;
		if (at == ns)
			return socket_host(d, ns);
	}
	return NULL; /* a cycle further on, not through ns */
}

void desired_socket_order(const Desired *d, size_t *ret_order)
{
	_cleanup_free_ bool *placed = xcalloc(d->n_namespaces ?: 1, sizeof(bool));
	size_t n = 0;

	while (n < d->n_namespaces) {
		size_t before = n;

		for (size_t i = 0; i < d->n_namespaces; i++) {
			const Namespace *host = socket_host(d, &d->namespaces[i]);

			if (placed[i] || (host && host != &d->namespaces[i] &&
					  !placed[host - d->namespaces]))
				continue;
			placed[i] = true;
			ret_order[n++] = i;
		}
		if (n > before)
			continue;
		/* A cycle (refused by validation): the rest in name order. */
		for (size_t i = 0; i < d->n_namespaces; i++)
			if (!placed[i]) {
				placed[i] = true;
				ret_order[n++] = i;
			}
	}
}

/* The number formed by the first 8 hex digits of sha256(prefix + s), i.e.
 * the first four bytes of the digest, big-endian. */
static uint32_t hash_prefix32(const char *prefix, const char *s, uint8_t digest[static 32])
{
	Sha256 h;

	sha256_init(&h);
	sha256_update(&h, prefix, strlen(prefix));
	sha256_update(&h, s, strlen(s));
	sha256_final(&h, digest);
	return (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 | (uint32_t)digest[2] << 8 |
	       (uint32_t)digest[3];
}

void derive_host_link_subnet(const char *ns_name, IpPrefix *ret)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	uint32_t offset = (hash_prefix32("", ns_name, digest) % 16384) * 4;
	IpPrefix p = {.addr.family = AF_INET, .prefixlen = 30};

	p.addr.bytes[0] = 169;
	p.addr.bytes[1] = 254;
	p.addr.bytes[2] = (uint8_t)(offset >> 8);
	p.addr.bytes[3] = (uint8_t)offset;
	*ret = p;
}

static void derive_ifname(const char *hash_prefix, const char *if_prefix, const char *ns_name,
			  char ret[static IFNAMSIZ])
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	_cleanup_free_ char *hex = NULL;

	(void)hash_prefix32(hash_prefix, ns_name, digest);
	hex = hexmem(digest, 6);
	snprintf(ret, IFNAMSIZ, "%s%s", if_prefix, hex);
}

void derive_host_if(const char *ns_name, char ret[static IFNAMSIZ])
{
	derive_ifname("host:", "vh-", ns_name, ret);
}

void derive_ns_if(const char *ns_name, char ret[static IFNAMSIZ])
{
	derive_ifname("ns:", "vn-", ns_name, ret);
}

uint32_t derive_pinning_fwmark(const char *ifname)
{
	uint8_t digest[SHA256_DIGEST_SIZE];

	return hash_prefix32("", ifname, digest) % 4294967294U + 1;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9]([A-Za-z0-9_.-]{0,max-2}[A-Za-z0-9])? */
static bool name_shape_is_valid(const char *s, size_t max)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > max || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

bool namespace_name_is_valid(const char *s)
{
	/* "init" names the namespace vpnconf runs in (socketNamespace). */
	return name_shape_is_valid(s, NAMESPACE_NAME_MAX) && !streq(s, "init");
}

bool interface_name_is_valid(const char *s)
{
	/* "all" and "default" would clash with the kernel's per-device sysctl
	 * directories (net/ipv{4,6}/conf/{all,default}). */
	return name_shape_is_valid(s, IFNAMSIZ - 1) && !streq(s, "lo") && !streq(s, "all") &&
	       !streq(s, "default");
}

static int port_compare(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

bool port_list_contains(const PortList *l, uint16_t port)
{
	if (!l || l->n == 0)
		return false;
	return bsearch(&port, l->ports, l->n, sizeof(uint16_t), port_compare) != NULL;
}

int desired_load(const char *path, DesiredErrors *errors, Desired **ret)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	_cleanup_free_ char *text = NULL;
	size_t size;
	int r;

	r = read_full_file(path, DESIRED_MAX_SIZE, &text, &size);
	if (r < 0)
		return r;
	r = desired_parse(text, size, errors, &d);
	if (r < 0)
		return r;
	r = desired_validate(d, errors);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(d);
	return 0;
}
