/* SPDX-License-Identifier: MIT */
/* Helpers of the planner tests: desired states, and observed states built
 * by hand (a converged namespace, a kernel-like WireGuard device). */
#pragma once

#include <arpa/inet.h>

#include "health.h"
#include "nft-internal.h"
#include "plan.h"
#include "test-desired.h"
#include "test.h"
#include "wg.h"

static inline Desired *external_desired(void)
{
	return accept_doc(DOC(.external = true, .ns = "'publishToHost': {'tcp': [8080]}"));
}

static inline Desired *managed_desired(void)
{
	return accept_doc(DOC(.ns = "'publishToHost': {'tcp': [8080]}",
			      .wg = "'endpointPinning': {'enable': true}"));
}

/* A WireGuard device as the kernel would report it for ns. */
static inline WgDevice *wg_device_like(const Namespace *ns)
{
	WgDevice *d = xcalloc(1, sizeof(*d));

	snprintf(d->ifname, sizeof(d->ifname), "%s", ns->wg.ifname);
	d->has_private_key = true;
	memset(d->private_key, 0x42, sizeof(d->private_key));
	d->fwmark = ns->wg.fwmark;
	FOREACH_ARRAY(p, ns->wg.peers, ns->wg.n_peers)
	{
		WgPeer *w = wg_device_add_peer(d);
		memcpy(w->public_key, p->public_key, WG_KEY_LEN);
		w->endpoint.in.sin_family = AF_INET;
		w->endpoint.in.sin_port = htons(p->endpoint.port);
		w->endpoint.in.sin_addr = p->endpoint.addr.in;
		w->persistent_keepalive = p->persistent_keepalive;
		w->allowed_ips = xcalloc(p->n_allowed_ips, sizeof(IpPrefix));
		memcpy(w->allowed_ips, p->allowed_ips, p->n_allowed_ips * sizeof(IpPrefix));
		w->n_allowed_ips = p->n_allowed_ips;
	}
	wg_device_sort(d);
	return d;
}

static inline LinkInfo *add_link(LinkSnapshot *s, const char *name, const char *kind, const char *alias,
			  uint32_t group)
{
	LinkInfo *l = ARRAY_APPEND(s->links, s->n);

	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	l->ifindex = (int)s->n + 1;
	l->up = true;
	l->group = group;
	link_info_set_alias(l, alias);
	return l;
}

static inline void add_addr(LinkInfo *l, const char *prefix)
{
	IpPrefix *p = ARRAY_APPEND(l->addrs, l->n_addrs);
	ASSERT_OK(ipprefix_parse(prefix, false, p));
}

static inline void sort_snapshot(LinkSnapshot *s)
{
	/* link_snapshot_find() bisects a name-sorted array. */
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = i + 1; j < s->n; j++)
			if (strcmp(s->links[i].name, s->links[j].name) > 0) {
				LinkInfo t = s->links[i];
				s->links[i] = s->links[j];
				s->links[j] = t;
			}
}

/* The observed state of ns when everything is exactly as desired. */
static inline void observe_converged(const Desired *d, const Namespace *ns, LinkSnapshot *host,
			      Observed *o)
{
	char buf[IPPREFIX_STRLEN];
	_cleanup_free_ char *alias_h = link_alias(ns->name, LINK_ROLE_HOSTLINK);
	_cleanup_free_ char *alias_t = link_alias_tunnel(ns->name, ns->wg.socket_namespace);
	LinkInfo *l;

	*o = (Observed){.name = xstrdup(ns->name), .netns_state = NETNS_PRESENT, .owned = true,
			.marker_want = xstrdup("cookie:4097\n"), .disable_ipv6_all = 1,
			.disable_ipv6_default = 1, .birthplace_present = true};
	o->marker = xstrdup("cookie:4097\n");
	add_link(&o->links, "lo", "", NULL, 0);
	l = add_link(&o->links, ns->ns_if, "veth", alias_h, LINK_GROUP_VPNCONF);
	snprintf(buf, sizeof(buf), "%s/30", inet_ntoa(ns->host_link_ns_addr));
	add_addr(l, buf);
	add_addr(l, "fe80::1/64"); /* the kernel's own link-local: ignored */
	if (ns->wg.managed) {
		l = add_link(&o->links, ns->wg.ifname, "wireguard", alias_t, LINK_GROUP_VPNCONF);
		FOREACH_ARRAY(a, ns->wg.addresses, ns->wg.n_addresses)
		*ARRAY_APPEND(l->addrs, l->n_addrs) = *a;
		o->wg = wg_device_like(ns);
		FOREACH_ARRAY(p, ns->wg.peers, ns->wg.n_peers)
		FOREACH_ARRAY(a, p->allowed_ips, p->n_allowed_ips)
		*ARRAY_APPEND(o->routes, o->n_routes) = (RouteInfo){.dst = *a, .oif = l->ifindex};
		if (ns->wg.pinning_enable)
			ASSERT_OK(nft_pin_build(ns, &o->pin_table));
	}
	sort_snapshot(&o->links);
	ASSERT_OK(nft_policy_build(ns, &o->table));
	if (ns->host_link)
		ASSERT_OK(nft_host_build(ns, &o->host_table));

	l = add_link(host, ns->host_if, "veth", alias_h, LINK_GROUP_VPNCONF);
	snprintf(buf, sizeof(buf), "%s/30", inet_ntoa(ns->host_link_host_addr));
	add_addr(l, buf);
	sort_snapshot(host);
	o->host_link = link_snapshot_find(host, ns->host_if);

	for (DnsFile f = 0; f < _DNS_FILE_MAX; f++)
		o->files[f] = dns_file_render(ns, f);
	(void)d;
}

static inline int index_of(const Plan *p, StepKind kind)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i]->kind == kind)
			return (int)i;
	return -1;
}

static inline int index_at(const Plan *p, StepKind kind, StepSite site)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i]->kind == kind && p->steps[i]->site == site)
			return (int)i;
	return -1;
}

static inline int plan_for(const Desired *d, const Observed *o, Plan *p)
{
	const Namespace *ns = &d->namespaces[0];
	_cleanup_(wg_device_freep) WgDevice *want = ns->wg.managed ? wg_device_like(ns) : NULL;
	PlanInput in = {.desired = d, .ns = ns, .want_wg = want};

	return plan_namespace(&in, o, p);
}
