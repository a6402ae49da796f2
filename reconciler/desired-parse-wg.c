/* SPDX-License-Identifier: MIT */
/*
 * The "wireguard" object of a namespace: interface, keys, addresses,
 * peers and their endpoints, endpoint pinning. For external tunnels
 * (managed: false) only interface, socketNamespace, endpointPinning and
 * peers[].endpoint(s) are accepted; the field tables mark everything else
 * JSON_FIELD_MANAGED_ONLY.
 */
#include <arpa/inet.h>
#include <stddef.h>

#include "desired-json.h"

static void dispatch_public_key(ParseContext *c, const char *path, json_t *v, void *base,
				const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f);
	uint8_t key[WG_KEY_LEN];
	_cleanup_free_ char *canonical = NULL;
	Peer *peer = base;
	size_t n;

	if (!s)
		return;
	/* Like wg(8), refuse encodings with stray bits in the last
	 * character: they decode to the same key but are not what any key
	 * generator prints, and the canonical form is the one compared. */
	if (strlen(s) == 44 && base64_decode(s, key, sizeof(key), &n) >= 0 && n == WG_KEY_LEN) {
		canonical = base64_encode(key, sizeof(key));
		if (streq(canonical, s)) {
			memcpy(peer->public_key, key, sizeof(key));
			free(peer->public_key_b64);
			peer->public_key_b64 = TAKE_PTR(canonical);
			return;
		}
	}
	_cleanup_free_ char *q = json_quote(s);
	parse_error(c, path, "must be the base64 encoding of a 32-byte key (44 characters), not %s",
		    q);
}

static bool label_is_valid(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", s[i]))
			return false;
	return true;
}

/* RFC 1123 host name. The last label must not be all digits (RFC 3696),
 * which keeps malformed addresses such as "1.2.3" or "01.2.3.4" from
 * passing as names that a resolver would then read as an address. */
static bool hostname_is_valid(const char *s)
{
	const char *label = s, *dot;
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (;; label = dot + 1) {
		dot = strchr(label, '.');
		if (!label_is_valid(label, dot ? (size_t)(dot - label) : strlen(label)))
			return false;
		if (!dot)
			break;
	}
	return strspn(label, "0123456789") != strlen(label);
}

/* NULL on success, else why s is not an endpoint. */
static const char *endpoint_parse(const char *s, Endpoint *ret)
{
	_cleanup_free_ char *host = NULL;
	const char *colon, *close;
	struct in_addr dummy;
	Endpoint e = {};

	if (s[0] == '[') {
		close = strchr(s, ']');
		if (!close || close[1] != ':')
			return "must be IPv4:port, [IPv6]:port or hostname:port";
		host = xstrndup(s + 1, (size_t)(close - s - 1));
		if (ipaddr_parse(host, &e.addr) < 0 || e.addr.family != AF_INET6)
			return "has no valid IPv6 address inside [ ]";
		colon = close + 1;
		e.literal = true;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return "must be IPv4:port, [IPv6]:port or hostname:port";
		host = xstrndup(s, (size_t)(colon - s));
		if (strchr(host, ':'))
			return "must put an IPv6 address in brackets: [IPv6]:port";
		if (ipaddr_parse(host, &e.addr) >= 0)
			e.literal = true;
		else if (inet_aton(host, &dummy) != 0 || !hostname_is_valid(host))
			return "has neither a valid IPv4 address (four decimal octets) nor a valid "
			       "hostname";
	}
	if (port_text_parse(colon + 1, &e.port) < 0)
		return "must end in a port 1..65535";
	if (!e.literal)
		e.host = TAKE_PTR(host);
	*ret = e;
	return NULL;
}

static void dispatch_endpoint(ParseContext *c, const char *path, json_t *v, void *base,
			      const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f), *why;
	Peer *peer = base;
	Endpoint e;

	if (!s)
		return;
	why = endpoint_parse(s, &e);
	if (why) {
		_cleanup_free_ char *q = json_quote(s);
		parse_error(c, path, "%s %s", q, why);
		return;
	}
	free(peer->endpoint.host);
	free(peer->endpoint_raw);
	peer->endpoint = e;
	peer->endpoint_raw = xstrdup(s);
	peer->has_endpoint = true;
}

/* peers[].endpoints: each entry has the syntax of endpoint; the rules
 * that relate them (opt-ins, pinning, duplicates) are cross-field rules
 * (desired-validate.c). */
static void dispatch_endpoints(ParseContext *c, const char *path, json_t *v, void *base,
			       const JsonField *f)
{
	Peer *peer = base;
	json_t *item;
	size_t i;

	if (!json_expect_array(c, path, v, 0, PEER_ENDPOINTS_MAX))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i);
		const char *s = json_expect_string(c, p, item, NULL), *why;
		Endpoint e;

		if (!s)
			continue;
		why = endpoint_parse(s, &e);
		if (why) {
			_cleanup_free_ char *q = json_quote(s);
			parse_error(c, p, "%s %s", q, why);
			continue;
		}
		*ARRAY_APPEND(peer->endpoints, peer->n_endpoints) = e;
		strv_push(&peer->endpoints_raw, s);
	}
}

static void dispatch_allowed_ips(ParseContext *c, const char *path, json_t *v, void *base,
				 const JsonField *f)
{
	Peer *peer = base;

	json_parse_prefixes(c, path, v, true, 0, SIZE_MAX, &peer->allowed_ips,
			    &peer->n_allowed_ips);
}

static const JsonField peer_fields[] = {
	{"publicKey", dispatch_public_key, 0, JSON_FIELD_REQUIRED_MANAGED | JSON_FIELD_MANAGED_ONLY},
	{"presharedKeyFile", json_dispatch_path, offsetof(Peer, preshared_key_file),
	 JSON_FIELD_NULLABLE | JSON_FIELD_MANAGED_ONLY},
	{"endpoint", dispatch_endpoint, 0, JSON_FIELD_NULLABLE},
	{"endpoints", dispatch_endpoints, 0, JSON_FIELD_NULLABLE},
	{"allowedIPs", dispatch_allowed_ips, 0,
	 JSON_FIELD_REQUIRED_MANAGED | JSON_FIELD_MANAGED_ONLY},
	{"persistentKeepalive", json_dispatch_u16, offsetof(Peer, persistent_keepalive),
	 JSON_FIELD_NULLABLE | JSON_FIELD_MANAGED_ONLY, 0, 65535},
	{},
};

static void dispatch_peers(ParseContext *c, const char *path, json_t *v, void *base,
			   const JsonField *f)
{
	WireguardConfig *wg = base;
	json_t *item;
	size_t i;

	if (!json_expect_array(c, path, v, c->managed ? 1 : 0, SIZE_MAX))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i);
		Peer *peer = ARRAY_APPEND(wg->peers, wg->n_peers);

		json_dispatch_object(c, p, item, peer_fields, peer);
	}
}

static void dispatch_addresses(ParseContext *c, const char *path, json_t *v, void *base,
			       const JsonField *f)
{
	WireguardConfig *wg = base;

	/* Interface addresses: "10.0.0.2/24" is an address with its
	 * on-link prefix, so host bits are expected. */
	json_parse_prefixes(c, path, v, false, 1, SIZE_MAX, &wg->addresses, &wg->n_addresses);
}

static void dispatch_listen_port(ParseContext *c, const char *path, json_t *v, void *base,
				 const JsonField *f)
{
	int64_t x;

	if (json_expect_integer(c, path, v, f, &x))
		((WireguardConfig *)base)->listen_port = (int32_t)x;
}

static void dispatch_socket_namespace(ParseContext *c, const char *path, json_t *v, void *base,
				      const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f);
	WireguardConfig *wg = base;

	if (!s)
		return;
	if (streq(s, "init")) {
		free(wg->socket_namespace);
		wg->socket_namespace = NULL;
		return;
	}
	if (!namespace_name_is_valid(s)) {
		_cleanup_free_ char *q = json_quote(s);
		parse_error(c, path, "must be null, \"init\" or a valid namespace name, not %s", q);
		return;
	}
	free(wg->socket_namespace);
	wg->socket_namespace = xstrdup(s);
}

static const JsonField pinning_fields[] = {
	{"enable", json_dispatch_bool, offsetof(WireguardConfig, pinning_enable)},
	{"fwMark", json_dispatch_u32, offsetof(WireguardConfig, pinning_fwmark),
	 JSON_FIELD_NULLABLE, 1, UINT32_MAX},
	{},
};

#define M JSON_FIELD_MANAGED_ONLY
#define N JSON_FIELD_NULLABLE
static const JsonField wireguard_fields[] = {
	{"interface", json_dispatch_ifname, offsetof(WireguardConfig, ifname)},
	{"managed", json_dispatch_bool, offsetof(WireguardConfig, managed)},
	{"privateKeyFile", json_dispatch_path, offsetof(WireguardConfig, private_key_file),
	 M | JSON_FIELD_REQUIRED_MANAGED},
	{"generatePrivateKeyFile", json_dispatch_bool,
	 offsetof(WireguardConfig, generate_private_key_file), M},
	{"addresses", dispatch_addresses, 0, M | JSON_FIELD_REQUIRED_MANAGED},
	{"listenPort", dispatch_listen_port, 0, M | N, 1, 65535},
	{"mtu", json_dispatch_u32, offsetof(WireguardConfig, mtu), M | N, 1280, 65535},
	{"fwMark", json_dispatch_u32, offsetof(WireguardConfig, fwmark), M | N, 1, UINT32_MAX},
	{"socketNamespace", dispatch_socket_namespace, 0, N},
	{"allowedIPsAsRoutes", json_dispatch_bool,
	 offsetof(WireguardConfig, allowed_ips_as_routes), M},
	{"allowHostnameEndpoints", json_dispatch_bool,
	 offsetof(WireguardConfig, allow_hostname_endpoints), M},
	{"dynamicEndpointRefreshSeconds", json_dispatch_u32,
	 offsetof(WireguardConfig, dynamic_endpoint_refresh_seconds), M, 0, 31536000},
	{"endpointPinning", json_dispatch_nested, 0, 0, 0, 0, pinning_fields},
	{"peers", dispatch_peers, 0, JSON_FIELD_REQUIRED_MANAGED},
	{},
};
#undef M
#undef N

void parse_wireguard(ParseContext *c, const char *path, json_t *v, void *base,
		     const JsonField *f)
{
	WireguardConfig *wg = &((Namespace *)base)->wg;

	/* Which keys are allowed depends on "managed", wherever it appears
	 * in the object; a non-boolean is reported by its dispatcher and
	 * counts as the default (true) meanwhile. */
	c->managed = !json_is_false(json_object_get(v, "managed"));
	json_dispatch_object(c, path, v, wireguard_fields, wg);
}
