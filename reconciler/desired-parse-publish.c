/* SPDX-License-Identifier: MIT */
/*
 * namespaces.<n>.publish: listeners in the host's network namespace whose
 * connections a proxy running inside the confinement namespace forwards to
 * 127.0.0.1:<port> there. Each item is { "listen": "ADDR:PORT", "port":
 * PORT }; the listen address is a literal (IPv4, or IPv6 in brackets),
 * never a name: it is bound by systemd at boot, before any resolver.
 */
#include <stddef.h>

#include "desired-json.h"

/* At most this many listeners per namespace: each becomes two units. */
#define PUBLISH_MAX 256

/* NULL on success, else why s is not a listen address. */
static const char *publish_listen_parse(const char *s, IpAddr *ret_addr, uint16_t *ret_port)
{
	_cleanup_free_ char *host = NULL;
	const char *port;
	IpAddr a;
	uint16_t p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return "must be IPv4:port or [IPv6]:port";
		host = xstrndup(s + 1, (size_t)(close - s - 1));
		if (ipaddr_parse(host, &a) < 0 || a.family != AF_INET6)
			return "has no valid IPv6 address inside [ ]";
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon)
			return "must be IPv4:port or [IPv6]:port";
		host = xstrndup(s, (size_t)(colon - s));
		if (strchr(host, ':'))
			return "must put an IPv6 address in brackets: [IPv6]:port";
		if (ipaddr_parse(host, &a) < 0 || a.family != AF_INET)
			return "must be a literal IPv4 address (four decimal octets) and a port";
		port = colon + 1;
	}
	if (port_text_parse(port, &p) < 0)
		return "must end in a port 1..65535";
	*ret_addr = a;
	*ret_port = p;
	return NULL;
}

static void dispatch_listen(ParseContext *c, const char *path, json_t *v, void *base,
			    const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f), *why;
	Publish *pub = base;
	uint16_t port;
	IpAddr a;

	if (!s)
		return;
	why = publish_listen_parse(s, &a, &port);
	if (why) {
		_cleanup_free_ char *q = json_quote(s);
		parse_error(c, path, "%s %s", q, why);
		return;
	}
	free(pub->listen);
	pub->listen = xstrdup(s);
	pub->addr = a;
	pub->listen_port = port;
}

static const JsonField publish_item_fields[] = {
	{"listen", dispatch_listen, 0, JSON_FIELD_REQUIRED},
	{"port", json_dispatch_u16, offsetof(Publish, port), JSON_FIELD_REQUIRED, 1, 65535},
	{},
};

void parse_publish(ParseContext *c, const char *path, json_t *v, void *base, const JsonField *f)
{
	Namespace *ns = base;
	json_t *item;
	size_t i;

	if (!json_expect_array(c, path, v, 0, PUBLISH_MAX))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i);
		Publish *pub = ARRAY_APPEND(ns->publish, ns->n_publish);

		json_dispatch_object(c, p, item, publish_item_fields, pub);
	}
}

bool publish_listen_overlaps(const Publish *a, const Publish *b)
{
	static const IpAddr any4 = {.family = AF_INET}, any6 = {.family = AF_INET6};
	bool wild_a, wild_b;

	if (!a->listen || !b->listen || a->listen_port != b->listen_port)
		return false;
	if (ipaddr_equal(&a->addr, &b->addr))
		return true;
	wild_a = ipaddr_equal(&a->addr, &any4) || ipaddr_equal(&a->addr, &any6);
	wild_b = ipaddr_equal(&b->addr, &any4) || ipaddr_equal(&b->addr, &any6);
	/* A wildcard listener takes the port on every address of its family,
	 * and systemd binds [::] dual-stack (BindIPv6Only=default). */
	if (a->addr.family == b->addr.family)
		return wild_a || wild_b;
	return (wild_a && a->addr.family == AF_INET6) || (wild_b && b->addr.family == AF_INET6);
}
