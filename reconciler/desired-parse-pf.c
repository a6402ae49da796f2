/* SPDX-License-Identifier: MIT */
/*
 * namespaces.<n>.portForwarding: how the provider forwards an inbound port
 * through the tunnel (docs/port-forwarding.md). mode "natpmp" leases a port
 * from a NAT-PMP gateway reached through the tunnel (the agent's lease
 * loop); "static" opens ports the provider forwards permanently. The
 * cross-field rules (gateway against mode and the tunnel's addresses,
 * staticPorts against mode) are in desired-validate.c.
 */
#include <inttypes.h>
#include <stddef.h>

#include "desired-json.h"

/* More would be a port range, which no provider forwards statically. */
#define STATIC_PORTS_MAX 64

DEFINE_JSON_DISPATCH_ENUM(port_forward_mode, PortForwardMode, _PORT_FORWARD_MAX)

static int port_compare(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void dispatch_gateway(ParseContext *c, const char *path, json_t *v, void *base,
			     const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f);
	_cleanup_free_ char *q = NULL;
	PortForwarding *pf = base;
	IpAddr a;

	if (!s)
		return;
	if (ipaddr_parse(s, &a) < 0) {
		q = json_quote(s);
		parse_error(c, path, "must be a literal IP address, not %s", q);
		return;
	}
	pf->gateway = a;
}

static void dispatch_protocols(ParseContext *c, const char *path, json_t *v, void *base,
			       const JsonField *f)
{
	PortForwarding *pf = base;
	bool tcp = false, udp = false, ok = true;
	json_t *item;
	size_t i;

	if (!json_expect_array(c, path, v, 1, 2))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i), *q = NULL;
		const char *s = json_expect_string(c, p, item, NULL);
		bool *seen;

		if (!s) {
			ok = false;
			continue;
		}
		seen = streq(s, "tcp") ? &tcp : streq(s, "udp") ? &udp : NULL;
		q = json_quote(s);
		if (!seen) {
			parse_error(c, p, "must be \"tcp\" or \"udp\", not %s", q);
			ok = false;
		} else if (*seen) {
			parse_error(c, p, "duplicate protocol %s", q);
			ok = false;
		}
		if (seen)
			*seen = true;
	}
	if (!ok)
		return;
	pf->tcp = tcp;
	pf->udp = udp;
	pf->protocols_given = true;
}

/* Unlike the other port lists, a duplicate is refused: a provider's list
 * written twice is a copying mistake worth pointing at. */
static void dispatch_static_ports(ParseContext *c, const char *path, json_t *v, void *base,
				  const JsonField *f)
{
	static const JsonField port = {.min = 1, .max = 65535};
	_cleanup_free_ uint16_t *ports = NULL;
	PortForwarding *pf = base;
	size_t n = 0, i;
	bool ok = true;
	json_t *item;

	if (!json_expect_array(c, path, v, 0, STATIC_PORTS_MAX))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i);
		int64_t x;

		if (!json_expect_integer(c, p, item, &port, &x)) {
			ok = false;
			continue;
		}
		for (size_t j = 0; j < n; j++)
			if (ports[j] == (uint16_t)x) {
				parse_error(c, p, "duplicate port %" PRIi64 " (also at [%zu])", x, j);
				ok = false;
			}
		*ARRAY_APPEND(ports, n) = (uint16_t)x;
	}
	pf->static_ports_given = true;
	if (!ok)
		return;
	if (n > 0)
		qsort(ports, n, sizeof(uint16_t), port_compare);
	free(pf->static_ports.ports);
	pf->static_ports.ports = TAKE_PTR(ports);
	pf->static_ports.n = n;
}

/* A command line for a unit's ExecStart= (the generator's, the NixOS
 * module's): one line, no control characters. */
static void dispatch_on_change(ParseContext *c, const char *path, json_t *v, void *base,
			       const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f);
	PortForwarding *pf = base;

	if (!s)
		return;
	if (isempty(s)) {
		parse_error(c, path, "must not be empty (use null for none)");
		return;
	}
	if (strlen(s) > PORT_FORWARD_ON_CHANGE_MAX) {
		parse_error(c, path, "must be at most %d bytes long", PORT_FORWARD_ON_CHANGE_MAX);
		return;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			parse_error(c, path, "must be one line without control characters");
			return;
		}
	free(pf->on_change);
	pf->on_change = xstrdup(s);
}

#define OFS(member) offsetof(PortForwarding, member)

static const JsonField pf_fields[] = {
	{"mode", dispatch_port_forward_mode, OFS(mode)},
	{"gateway", dispatch_gateway, 0, JSON_FIELD_NULLABLE},
	{"protocols", dispatch_protocols},
	{"lifetimeSeconds", json_dispatch_u32, OFS(lifetime_seconds), 0, PORT_FORWARD_LIFETIME_MIN,
	 PORT_FORWARD_LIFETIME_MAX},
	{"staticPorts", dispatch_static_ports},
	{"onChange", dispatch_on_change, 0, JSON_FIELD_NULLABLE},
	{},
};

#undef OFS

void parse_port_forwarding(ParseContext *c, const char *path, json_t *v, void *base,
			   const JsonField *f)
{
	Namespace *ns = base;

	json_dispatch_object(c, path, v, pf_fields, &ns->pf);
}
