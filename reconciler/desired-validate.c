/* SPDX-License-Identifier: MIT */
/*
 * desired_validate(): the cross-field rules of docs/desired-state.md
 * ("Validation") on a parsed Desired. Single values were checked by the
 * parser; what is left is what needs several fields at once: IPv6 policy
 * against addresses, endpoints against their opt-ins, endpoint pinning,
 * the highAssurance profile, interface names and host-link subnets across
 * namespaces, and units against namespaces.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <strings.h>
#include <stdio.h>

#include "desired-json.h"
#include "paths.h"

typedef struct Validator {
	const Desired *d;
	DesiredErrors *errors;
} Validator;

/* Reports at "namespaces.<ns>.<sub>". */
static void ns_error(Validator *v, const Namespace *ns, const char *sub, const char *fmt, ...)
	_printf_(4, 5);
static void ns_error(Validator *v, const Namespace *ns, const char *sub, const char *fmt, ...)
{
	_cleanup_free_ char *p = json_path_key("namespaces", ns->name), *path = NULL, *m = NULL;
	va_list ap;

	path = xasprintf("%s.%s", p, sub);
	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	desired_errors_add(v->errors, path, "%s", m);
}

static void validate_ipv6_disabled(Validator *v, const Namespace *ns)
{
	char buf[IPPREFIX_STRLEN];

	for (size_t i = 0; i < ns->n_dns_servers; i++)
		if (ns->dns_servers[i].family == AF_INET6) {
			_cleanup_free_ char *sub = xasprintf("dns.servers[%zu]", i);
			ns_error(v, ns, sub, "IPv6 DNS server %s needs ipv6.mode = \"tunnel\"",
				 ipaddr_to_string(&ns->dns_servers[i], buf));
		}
	for (size_t i = 0; i < ns->n_allowed_cidrs; i++)
		if (ns->allowed_cidrs[i].addr.family == AF_INET6) {
			_cleanup_free_ char *sub = xasprintf("egress.allowedCidrs[%zu]", i);
			ns_error(v, ns, sub, "IPv6 CIDR %s needs ipv6.mode = \"tunnel\"",
				 ipprefix_to_string(&ns->allowed_cidrs[i], buf));
		}
	for (size_t i = 0; i < ns->wg.n_addresses; i++)
		if (ns->wg.addresses[i].addr.family == AF_INET6) {
			_cleanup_free_ char *sub = xasprintf("wireguard.addresses[%zu]", i);
			ns_error(v, ns, sub, "IPv6 address %s needs ipv6.mode = \"tunnel\"",
				 ipprefix_to_string(&ns->wg.addresses[i], buf));
		}
	for (size_t j = 0; j < ns->wg.n_peers; j++) {
		const Peer *peer = &ns->wg.peers[j];

		for (size_t i = 0; i < peer->n_allowed_ips; i++)
			if (peer->allowed_ips[i].addr.family == AF_INET6) {
				_cleanup_free_ char *sub =
					xasprintf("wireguard.peers[%zu].allowedIPs[%zu]", j, i);
				ns_error(v, ns, sub,
					 "IPv6 allowed IP %s needs ipv6.mode = \"tunnel\" (the "
					 "tunnel must not carry IPv6 otherwise)",
					 ipprefix_to_string(&peer->allowed_ips[i], buf));
			}
	}
}

static bool namespace_has_ipv6_path(const Namespace *ns)
{
	FOREACH_ARRAY(a, ns->wg.addresses, ns->wg.n_addresses)
		if (a->addr.family == AF_INET6)
			return true;
	if (!ns->wg.allowed_ips_as_routes)
		return false;
	FOREACH_ARRAY(peer, ns->wg.peers, ns->wg.n_peers)
		FOREACH_ARRAY(a, peer->allowed_ips, peer->n_allowed_ips)
			if (a->addr.family == AF_INET6)
				return true;
	return false;
}

static void validate_ipv6(Validator *v, const Namespace *ns)
{
	switch (ns->ipv6_mode) {
	case IPV6_MODE_DISABLE:
		validate_ipv6_disabled(v, ns);
		break;
	case IPV6_MODE_TUNNEL:
		/* An external tunnel's addresses are not ours to know. */
		if (ns->wg.managed && !namespace_has_ipv6_path(ns))
			ns_error(v, ns, "ipv6.mode",
				 "\"tunnel\" needs an IPv6 wireguard.addresses entry or an IPv6 "
				 "route from peers[].allowedIPs (with allowedIPsAsRoutes)");
		break;
	case _IPV6_MODE_MAX:
	case _IPV6_MODE_INVALID:
		ns_error(v, ns, "ipv6.mode", "invalid mode");
		break;
	}
}

/* The rules every endpoint of a peer's list follows (sub is its path). */
static void validate_one_endpoint(Validator *v, const Namespace *ns, const char *sub,
				  const Endpoint *e)
{
	const WireguardConfig *wg = &ns->wg;

	if (e->literal)
		return;
	if (wg->pinning_enable)
		ns_error(v, ns, sub,
			 "endpoint pinning needs a literal IP endpoint, not the hostname \"%s\"",
			 e->host);
	if (!wg->managed) {
		if (!wg->pinning_enable)
			ns_error(v, ns, sub,
				 "must be a literal IP endpoint: an external tunnel's endpoints "
				 "only serve endpoint pinning");
		return;
	}
	if (!wg->allow_hostname_endpoints)
		ns_error(v, ns, sub,
			 "hostname endpoints need wireguard.allowHostnameEndpoints = true");
	if (wg->dynamic_endpoint_refresh_seconds == 0)
		ns_error(v, ns, sub,
			 "hostname endpoints need wireguard.dynamicEndpointRefreshSeconds > 0");
}

static bool endpoint_equal(const Endpoint *a, const Endpoint *b)
{
	if (a->port != b->port || a->literal != b->literal)
		return false;
	return a->literal ? ipaddr_equal(&a->addr, &b->addr) : strcasecmp(a->host, b->host) == 0;
}

static char *endpoint_path(const Peer *peer, size_t peer_index, size_t k)
{
	if (peer->has_endpoint && k == 0)
		return xasprintf("wireguard.peers[%zu].endpoint", peer_index);
	return xasprintf("wireguard.peers[%zu].endpoints[%zu]", peer_index,
			 k - (peer->has_endpoint ? 1 : 0));
}

static void validate_peer_endpoint(Validator *v, const Namespace *ns, size_t i)
{
	const WireguardConfig *wg = &ns->wg;
	const Peer *peer = &wg->peers[i];
	size_t n = peer_endpoint_count(peer);

	if (!peer->has_endpoint) {
		_cleanup_free_ char *sub = xasprintf("wireguard.peers[%zu].endpoint", i);

		if (wg->pinning_enable)
			ns_error(v, ns, sub,
				 "is required: endpoint pinning needs every peer to have a "
				 "literal endpoint");
		if (peer->n_endpoints > 0) {
			free(sub);
			sub = xasprintf("wireguard.peers[%zu].endpoints", i);
			ns_error(v, ns, sub,
				 "needs peers[%zu].endpoint: fallback endpoints are tried after it", i);
		}
		return;
	}
	for (size_t k = 0; k < n; k++) {
		_cleanup_free_ char *sub = endpoint_path(peer, i, k);
		const Endpoint *e = peer_endpoint_at(peer, k, NULL);

		validate_one_endpoint(v, ns, sub, e);
		for (size_t j = 0; j < k; j++)
			if (endpoint_equal(e, peer_endpoint_at(peer, j, NULL))) {
				_cleanup_free_ char *other = endpoint_path(peer, i, j);

				ns_error(v, ns, sub, "duplicate endpoint: the same as %s",
					 other + strlen("wireguard."));
				break;
			}
	}
}

static int peer_index_compare(const void *a, const void *b, void *userdata)
{
	const Peer *peers = userdata;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = memcmp(peers[x].public_key, peers[y].public_key, WG_KEY_LEN);

	return r != 0 ? r : (x > y) - (x < y);
}

static void validate_peer_keys(Validator *v, const Namespace *ns)
{
	const WireguardConfig *wg = &ns->wg;
	_cleanup_free_ size_t *idx = NULL;
	size_t first = 0;

	if (!wg->managed || wg->n_peers < 2)
		return;
	idx = xmalloc(wg->n_peers * sizeof(size_t));
	for (size_t i = 0; i < wg->n_peers; i++)
		idx[i] = i;
	qsort_r(idx, wg->n_peers, sizeof(size_t), peer_index_compare, wg->peers);
	for (size_t i = 1; i < wg->n_peers; i++) {
		_cleanup_free_ char *sub = NULL;

		if (memcmp(wg->peers[idx[i]].public_key, wg->peers[idx[first]].public_key,
			   WG_KEY_LEN) != 0) {
			first = i;
			continue;
		}
		sub = xasprintf("wireguard.peers[%zu].publicKey", idx[i]);
		ns_error(v, ns, sub, "duplicate peer: the same public key as peers[%zu]",
			 idx[first]);
	}
}

static void validate_wireguard(Validator *v, const Namespace *ns)
{
	const WireguardConfig *wg = &ns->wg;

	for (size_t i = 0; i < wg->n_peers; i++)
		validate_peer_endpoint(v, ns, i);
	if (wg->pinning_enable && wg->n_peers == 0)
		ns_error(v, ns, "wireguard.peers",
			 "endpoint pinning needs at least one peer with a literal endpoint");
	if (wg->pinning_enable && wg->fwmark != wg->pinning_fwmark)
		ns_error(v, ns, "wireguard.fwMark",
			 "must equal the endpoint pinning mark %" PRIu32 " (or be null) when "
			 "endpointPinning is enabled, not %" PRIu32,
			 wg->pinning_fwmark, wg->fwmark);
	if (wg->socket_namespace && streq(wg->socket_namespace, ns->name))
		ns_error(v, ns, "wireguard.socketNamespace",
			 "must differ from the namespace itself (null means \"init\")");
	else if (desired_socket_cycle(v->d, ns))
		/* Each tunnel is created from its socket namespace, which must
		 * exist first: a cycle could never be brought up. */
		ns_error(v, ns, "wireguard.socketNamespace",
			 "%s leads back to %s through the socket namespaces of managed tunnels; "
			 "they must not form a cycle",
			 wg->socket_namespace, ns->name);
	validate_peer_keys(v, ns);
}

static void validate_high_assurance(Validator *v, const Namespace *ns)
{
	static const char ha[] = "securityProfile \"highAssurance\" requires";

	if (ns->profile != SECURITY_PROFILE_HIGH_ASSURANCE)
		return;
	if (ns->dns_mode != DNS_MODE_STRICT)
		ns_error(v, ns, "dns.mode", "%s \"strict\"", ha);
	if (ns->allow_host_resolver_ipc)
		ns_error(v, ns, "dns.allowHostResolverIPC", "%s false", ha);
	if (ns->egress_mode != EGRESS_MODE_ALLOW_LIST)
		ns_error(v, ns, "egress.mode", "%s \"allowList\"", ha);
	if (ns->n_allowed_cidrs == 0)
		ns_error(v, ns, "egress.allowedCidrs", "%s at least one entry", ha);
	if (ns->wg.allow_hostname_endpoints)
		ns_error(v, ns, "wireguard.allowHostnameEndpoints", "%s false", ha);
	if (!ns->wg.allowed_ips_as_routes)
		ns_error(v, ns, "wireguard.allowedIPsAsRoutes", "%s true", ha);
}

static bool gateway_in_allowed_ips(const Namespace *ns)
{
	FOREACH_ARRAY(p, ns->wg.peers, ns->wg.n_peers)
		for (size_t i = 0; i < p->n_allowed_ips; i++)
			if (ipprefix_contains(&p->allowed_ips[i], &ns->pf.gateway))
				return true;
	return false;
}

static bool tunnel_has_family(const Namespace *ns, int family)
{
	for (size_t i = 0; i < ns->wg.n_addresses; i++)
		if (ns->wg.addresses[i].addr.family == family)
			return true;
	return false;
}

/* The NAT-PMP gateway is reached through the tunnel: an address of the
 * tunnel's family, routed into it. For an external tunnel neither is
 * known, and the policy still only lets the requests out through it. */
static void validate_gateway(Validator *v, const Namespace *ns)
{
	const PortForwarding *pf = &ns->pf;
	char buf[IPADDR_STRLEN];

	if (pf->gateway.family == 0) {
		ns_error(v, ns, "portForwarding.gateway", "is required for mode \"natpmp\"");
		return;
	}
	ipaddr_to_string(&pf->gateway, buf);
	if (pf->gateway.family != AF_INET) {
		ns_error(v, ns, "portForwarding.gateway",
			 "%s: NAT-PMP (RFC 6886) works over IPv4 only", buf);
		return;
	}
	if (!ns->wg.managed)
		return;
	if (!tunnel_has_family(ns, AF_INET))
		ns_error(v, ns, "portForwarding.gateway",
			 "%s is IPv4 but the tunnel has no IPv4 address (wireguard.addresses)",
			 buf);
	else if (!gateway_in_allowed_ips(ns))
		ns_error(v, ns, "portForwarding.gateway",
			 "%s is in no peer's allowedIPs: requests would not enter the tunnel", buf);
}

static void validate_port_forwarding(Validator *v, const Namespace *ns)
{
	const PortForwarding *pf = &ns->pf;
	const char *mode = port_forward_mode_to_string(pf->mode);

	if (pf->mode == PORT_FORWARD_NATPMP)
		validate_gateway(v, ns);
	else if (pf->gateway.family != 0)
		ns_error(v, ns, "portForwarding.gateway",
			 "is only for mode \"natpmp\", not \"%s\"", mode);

	if (pf->mode == PORT_FORWARD_STATIC) {
		if (pf->static_ports.n == 0)
			ns_error(v, ns, "portForwarding.staticPorts",
				 "must not be empty for mode \"static\"");
	} else if (pf->static_ports_given)
		ns_error(v, ns, "portForwarding.staticPorts",
			 "is only for mode \"static\", not \"%s\"", mode);

	if (pf->mode == PORT_FORWARD_NONE && pf->on_change)
		ns_error(v, ns, "portForwarding.onChange",
			 "needs a forwarded port: mode is \"none\"");
}

static void validate_namespace(Validator *v, const Namespace *ns)
{
	validate_port_forwarding(v, ns);
	validate_ipv6(v, ns);
	if (ns->ingress_host_tcp.n > 0 && !ns->host_link)
		ns_error(v, ns, "ingress.fromHost.tcp",
			 "needs the host link: set hostLink.enable = true (or use "
			 "publishToHost.tcp)");
	validate_wireguard(v, ns);
	validate_high_assurance(v, ns);
}

/* One name, subnet or mark claimed somewhere, for finding collisions by
 * sorting. key is what must be unique (scoped: "<where>\n<value>"),
 * shown the value as messages print it. */
typedef struct Claim {
	char *key;
	const char *shown;
	char *path;
	bool derived;
	size_t order;
} Claim;

static int claim_compare(const void *a, const void *b)
{
	const Claim *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	return r != 0 ? r : (x->order > y->order) - (x->order < y->order);
}

/* scope NULL: the claim is global. */
static void claim_add(Claim **claims, size_t *n, const Namespace *ns, const char *sub,
		      const char *scope, const char *value, bool derived)
{
	_cleanup_free_ char *p = json_path_key("namespaces", ns->name);
	Claim *c = ARRAY_APPEND(*claims, *n);

	c->key = xasprintf("%s\n%s", strempty(scope), value);
	c->shown = c->key + strlen(strempty(scope)) + 1;
	c->path = xasprintf("%s.%s", p, sub);
	c->derived = derived;
	c->order = *n - 1;
}

static void claims_report(Validator *v, Claim *claims, size_t n, const char *what,
			  const char *where)
{
	size_t first = 0;

	if (n > 0)
		qsort(claims, n, sizeof(Claim), claim_compare);
	for (size_t i = 1; i < n; i++) {
		if (!streq(claims[i].key, claims[first].key)) {
			first = i;
			continue;
		}
		desired_errors_add(v->errors, claims[i].path, "%s \"%s\"%s is already used by %s%s%s",
				   what, claims[i].shown, claims[i].derived ? " (derived)" : "",
				   claims[first].path, claims[first].derived ? " (derived)" : "",
				   strempty(where));
	}
	FOREACH_ARRAY(c, claims, n) {
		free(c->key);
		free(c->path);
	}
	free(claims);
}

/* An interface name must be unique where the interface lives. A
 * namespace's tunnel and the namespace end of its host link live inside
 * it (the tunnel is created from its socket namespace directly there), so
 * two namespaces may both call their tunnel wg0; host ends live in the
 * host namespace, all together. Within one namespace the three names are
 * pairwise distinct, the host end included, so that a name always says
 * which link it is. */
static void validate_interfaces(Validator *v)
{
	Claim *claims = NULL;
	size_t n = 0;

	FOREACH_ARRAY(ns, v->d->namespaces, v->d->n_namespaces) {
		_cleanup_free_ char *inside = xasprintf("namespace %s", ns->name);
		char derived[IFNAMSIZ];
		bool d;

		claim_add(&claims, &n, ns, "wireguard.interface", inside, ns->wg.ifname, false);
		if (!ns->host_link)
			continue;
		derive_host_if(ns->name, derived);
		d = streq(derived, ns->host_if);
		claim_add(&claims, &n, ns, "hostLink.hostIf", inside, ns->host_if, d);
		claim_add(&claims, &n, ns, "hostLink.hostIf", "host", ns->host_if, d);
		derive_ns_if(ns->name, derived);
		claim_add(&claims, &n, ns, "hostLink.nsIf", inside, ns->ns_if,
			  streq(derived, ns->ns_if));
	}
	claims_report(v, claims, n, "interface name", NULL);
}

/* The pinning tables of one socket namespace all see every UDP packet
 * sent there: a table drops the packets carrying its mark that go
 * anywhere but its own endpoints. Two tunnels with the same mark in the
 * same socket namespace would drop each other's packets; the derived mark
 * depends on the interface name only, so two tunnels both called wg0 need
 * a mark set for one of them. */
static void validate_pinning_marks(Validator *v)
{
	Claim *claims = NULL;
	size_t n = 0;

	FOREACH_ARRAY(ns, v->d->namespaces, v->d->n_namespaces) {
		_cleanup_free_ char *mark = NULL;

		if (!ns->wg.pinning_enable)
			continue;
		mark = xasprintf("%" PRIu32, ns->wg.pinning_fwmark);
		claim_add(&claims, &n, ns, "wireguard.endpointPinning.fwMark",
			  ns->wg.socket_namespace ?: "init", mark,
			  ns->wg.pinning_fwmark == derive_pinning_fwmark(ns->wg.ifname));
	}
	claims_report(v, claims, n, "endpoint pinning mark",
		      " in the same socket namespace (set endpointPinning.fwMark for one of them)");
}

static void validate_subnets(Validator *v)
{
	Claim *claims = NULL;
	size_t n = 0;

	/* Both sides are /30 networks, so they overlap exactly when equal. */
	FOREACH_ARRAY(ns, v->d->namespaces, v->d->n_namespaces) {
		char buf[IPPREFIX_STRLEN];
		IpPrefix derived;

		if (!ns->host_link)
			continue;
		derive_host_link_subnet(ns->name, &derived);
		claim_add(&claims, &n, ns, "hostLink.subnetIPv4", NULL,
			  ipprefix_to_string(&ns->host_link_subnet, buf),
			  ipprefix_compare(&derived, &ns->host_link_subnet) == 0);
	}
	claims_report(v, claims, n, "host link subnet", NULL);
}

/* As systemd runs it: DynamicUser= defaults to no and User= to none, so a
 * unit that sets neither runs as root. */
static bool unit_runs_as_root(const Unit *u)
{
	uint64_t uid;

	/* With DynamicUser=yes systemd still uses a statically allocated
	 * user of the configured name if one exists, so "root" stays root. */
	if (u->user)
		return streq(u->user, "root") || (safe_atou64(u->user, &uid) >= 0 && uid == 0);
	return !u->dynamic_user;
}

static void validate_units(Validator *v)
{
	FOREACH_ARRAY(u, v->d->units, v->d->n_units) {
		_cleanup_free_ char *p = json_path_key("units", u->name), *path = NULL, *q = NULL;
		const Namespace *ns = desired_find_namespace(v->d, u->namespace);

		if (!ns) {
			path = xasprintf("%s.namespace", p);
			q = json_quote(strempty(u->namespace));
			desired_errors_add(v->errors, path,
					   "names the namespace %s, which namespaces does not define",
					   q);
			continue;
		}
		if (ns->profile != SECURITY_PROFILE_HIGH_ASSURANCE)
			continue;
		/* CAP_NET_ADMIN in the initial user namespace reaches every
		 * network namespace (links created in another one by PID or
		 * netnsid): no policy inside can hold a unit that keeps it. */
		if (u->keep_network_capabilities) {
			_cleanup_free_ char *kp = xasprintf("%s.keepNetworkCapabilities", p);
			desired_errors_add(v->errors, kp,
					   "keeps CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_ADMIN in "
					   "namespace \"%s\", which securityProfile "
					   "\"highAssurance\" forbids: with them a unit can leave "
					   "any network namespace",
					   ns->name);
		}
		if (u->allow_root_in_high_assurance || !unit_runs_as_root(u))
			continue;
		path = xasprintf("%s.%s", p, u->user ? "user" : "dynamicUser");
		desired_errors_add(v->errors, path,
				   "the unit would run as root in namespace \"%s\"%s, which "
				   "securityProfile \"highAssurance\" forbids: use dynamicUser, a "
				   "non-root user, or allowRootInHighAssurance",
				   ns->name,
				   u->user ? ""
					   : " (dynamicUser is false, its default as in systemd, "
					     "and user is null)");
	}
}

/* Two listeners claiming one host socket would make the second socket unit
 * fail at boot; refuse them here, naming both. */
static void validate_publish(Validator *v)
{
	const Desired *d = v->d;

	for (size_t i = 0; i < d->n_namespaces; i++)
		for (size_t k = 0; k < d->namespaces[i].n_publish; k++) {
			const Publish *a = &d->namespaces[i].publish[k];
			bool done = false;

			for (size_t j = 0; j <= i && !done; j++)
				for (size_t l = 0; l < d->namespaces[j].n_publish && !done; l++) {
					const Publish *b = &d->namespaces[j].publish[l];
					_cleanup_free_ char *sub = NULL, *other = NULL, *q = NULL;

					if (j == i && l >= k)
						break;
					if (!publish_listen_overlaps(a, b))
						continue;
					sub = xasprintf("publish[%zu].listen", k);
					other = json_path_key("namespaces", d->namespaces[j].name);
					q = json_quote(a->listen);
					ns_error(v, &d->namespaces[i], sub,
						 "listen address %s is already claimed by "
						 "%s.publish[%zu].listen (%s)",
						 q, other, l, b->listen);
					done = true;
				}
		}
}

int desired_validate(const Desired *d, DesiredErrors *errors)
{
	Validator v = {.d = d, .errors = errors};
	size_t n_before = errors->n;

	FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
		validate_namespace(&v, ns);
	validate_interfaces(&v);
	validate_pinning_marks(&v);
	validate_subnets(&v);
	validate_units(&v);
	validate_publish(&v);
	(void)paths_validate(d, errors);
	return errors->n > n_before ? -EINVAL : 0;
}
