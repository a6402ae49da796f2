/* SPDX-License-Identifier: MIT */
/*
 * plan_namespace(): the diff of one confinement namespace, as an ordered
 * list of steps with inverses. Pure: it reads the desired namespace, the
 * desired WireGuard device and the observed state, and builds steps.
 * The order of the sections below is the fail-closed order of plan.h.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "kname.h"
#include "nft.h"
#include "plan-internal.h"
#include "wg.h"

#define SYSCTL_DISABLE_IPV6_ALL "net/ipv6/conf/all/disable_ipv6"
#define SYSCTL_DISABLE_IPV6_DEFAULT "net/ipv6/conf/default/disable_ipv6"

Step *planner_add(Planner *p, Step *s)
{
	plan_append(p->plan, s);
	return s;
}

Step *planner_conflict(Planner *p, Step *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s->conflict = xvasprintf(fmt, ap);
	va_end(ap);
	strv_push(&s->reasons, s->conflict);
	return planner_add(p, s);
}

const char *prefix_str(const IpPrefix *x, char buf[static IPPREFIX_STRLEN])
{
	return ipprefix_to_string(x, buf);
}

static bool ipv6_link_local(const IpPrefix *a)
{
	return a->addr.family == AF_INET6 && a->addr.bytes[0] == 0xfe &&
	       (a->addr.bytes[1] & 0xc0) == 0x80;
}

bool prefix_in(const IpPrefix *x, const IpPrefix *list, size_t n)
{
	FOREACH_ARRAY(i, list, n)
	if (i->prefixlen == x->prefixlen && ipaddr_equal(&i->addr, &x->addr))
		return true;
	return false;
}

/* 1. The namespace. */

static char **creation_sysctls(const Namespace *ns)
{
	const char *v = ns->ipv6_mode == IPV6_MODE_DISABLE ? "1" : "0";
	char **l = NULL;

	strv_pushf(&l, "%s=%s", SYSCTL_DISABLE_IPV6_ALL, v);
	strv_pushf(&l, "%s=%s", SYSCTL_DISABLE_IPV6_DEFAULT, v);
	return l;
}

static int plan_netns(Planner *p)
{
	const char *name = p->ns->name;
	const Observed *h = p->have;
	Step *s;
	int r;

	switch (h->netns_state) {
	case NETNS_PRESENT:
		if (!h->owned) {
			s = step_new(STEP_NETNS_CREATE, SITE_HOST, name, "create", "namespace %s", name);
			planner_conflict(p, s,
				 "a network namespace named %s exists and was not created by vpnconf "
				 "(%s); refusing to touch it",
				 name, h->not_owned_why ?: "no proof of ownership");
		}
		return 0;
	case NETNS_NOT_NETNS:
		s = step_new(STEP_NETNS_CREATE, SITE_HOST, name, "create", "namespace %s", name);
		planner_conflict(p, s, "%s/%s exists and is not a network namespace; refusing to touch it",
			 p->in->desired->netns_dir, name);
		return 0;
	case NETNS_PLACEHOLDER:
		s = step_new(STEP_PLACEHOLDER_REMOVE, SITE_HOST, name, "remove",
			     "namespace placeholder %s", name);
		strv_push(&s->reasons, "empty placeholder left by an interrupted creation");
		planner_add(p, s);
		break;
	case NETNS_ABSENT:
		break;
	case _NETNS_STATE_MAX:
	case _NETNS_STATE_INVALID:
		return -EINVAL;
	}

	s = step_new(STEP_NETNS_CREATE, SITE_HOST, name, "create", "namespace %s", name);
	r = nft_policy_build(p->ns, &s->table);
	if (r < 0) {
		step_free(s);
		return r;
	}
	s->sysctls = creation_sysctls(p->ns);
	s->path = netns_marker_path(p->in->desired->runtime_dir, name);
	s->after = nft_table_summary(s->table);
	strv_push(&s->reasons, "namespace absent");
	s->inverse = step_new(STEP_NETNS_DELETE, SITE_HOST, name, "delete", "namespace %s", name);
	/* The ownership marker goes with it: it names this namespace's inode,
	 * a number the kernel will give to another namespace later. */
	s->inverse->path = xstrdup(s->path);
	planner_add(p, s);
	p->fresh = true;
	return 0;
}

/* 2. vpnconf's links that are no longer wanted, and foreign ones that lead
 * out of the namespace. */

static bool link_wanted(const Namespace *ns, const LinkInfo *l)
{
	return (ns->host_link && streq(l->name, ns->ns_if) &&
		link_is_ours(l, ns->name, LINK_ROLE_HOSTLINK)) ||
	       (ns->wg.managed && streq(l->name, ns->wg.ifname) &&
		link_is_ours(l, ns->name, LINK_ROLE_TUNNEL));
}

/* A foreign interface inside is a way out when it reaches another
 * namespace: a veth whose peer root inside created in the host's
 * namespace (IFLA_NET_NS_PID names any process's namespace), a tunnel
 * whose underlay is there (IFLA_LINK_NETNSID at creation). Frames written
 * to it (AF_PACKET) pass no hook of the namespace and arrive where no
 * host-side table filters them. The kernel reports such a link with a
 * link netnsid; a WireGuard device does not report where its socket
 * lives, so any foreign one counts. The external tunnel is the one
 * foreign interface that is meant to lead out. */
bool plan_link_leads_out(const Namespace *ns, const LinkInfo *l)
{
	if (!ns->wg.managed && streq(l->name, ns->wg.ifname))
		return false;
	return l->other_netns || streq(l->kind, "wireguard");
}

static void plan_stale_links(Planner *p)
{
	const Namespace *ns = p->ns;

	if (p->fresh)
		return;
	FOREACH_ARRAY(l, p->have->links.links, p->have->links.n)
	{
		Step *s;

		if (streq(l->name, "lo"))
			continue;
		if (!link_is_ours(l, ns->name, NULL)) {
			if (plan_link_leads_out(ns, l)) {
				s = step_link_delete(ns->name, SITE_NAMESPACE, l->name,
						     "not vpnconf's, and it reaches another "
						     "namespace: a way out no policy filters");
				s->irreversible = true;
				planner_add(p, s);
			} else if (!streq(l->name, ns->wg.ifname) && !streq(l->name, ns->ns_if))
				strv_pushf(&p->plan->notes,
					   "interface %s in namespace %s was not created by vpnconf "
					   "(left alone; it reaches no other namespace)",
					   l->name, ns->name);
			continue;
		}
		if (link_wanted(ns, l))
			continue;
		s = step_link_delete(ns->name, SITE_NAMESPACE, l->name, "no longer wanted");
		/* Re-creating a removed link during a rollback would need its
		 * whole configuration; a rollback past this point locks down. */
		s->irreversible = true;
		planner_add(p, s);
	}
}

/* 3. Sysctls and the policy table. */

static void plan_sysctl(Planner *p, const char *key, int have, const char *want)
{
	_cleanup_free_ char *dotted = xstrdup(key);
	Step *s;

	if (have < 0) {
		/* No IPv6 in this kernel: "disable" holds by construction. */
		if (streq(want, "0"))
			strv_pushf(&p->plan->notes, "%s: IPv6 is not available in this kernel",
				   p->ns->name);
		return;
	}
	if ((have != 0) == streq(want, "1"))
		return;
	for (char *c = dotted; *c; c++)
		if (*c == '/')
			*c = '.';
	s = step_new(STEP_SYSCTL_SET, SITE_NAMESPACE, p->ns->name, "set", "sysctl %s", dotted);
	s->key = xstrdup(key);
	s->value = xstrdup(want);
	s->before = xasprintf("%d", have);
	s->after = xstrdup(want);
	strv_pushf(&s->reasons, "%s is %d, want %s", dotted, have, want);
	s->inverse = step_new(STEP_SYSCTL_SET, SITE_NAMESPACE, p->ns->name, "set", "sysctl %s",
			      dotted);
	s->inverse->key = xstrdup(key);
	s->inverse->value = xasprintf("%d", have);
	planner_add(p, s);
}

static Step *nft_replace_step(const char *ns, StepSite site, NftTable *want)
{
	Step *s = step_new(STEP_NFT_REPLACE, site, ns, "replace", "nft table inet %s",
			   nft_table_name(want));
	s->table = want;
	s->after = nft_table_summary(want);
	return s;
}

/* A namespace can be another one's socket namespace (its tunnel's UDP
 * socket lives here, chaining through this namespace's own tunnel): that
 * namespace's pinning table then lives here too, and belongs to this
 * namespace's expected state. Its content is the other namespace's to
 * check and repair, which its own plan does on every run. */
static bool pin_table_expected(const Planner *p, const char *family_name)
{
	const char *name = startswith(family_name, "inet " NFT_PIN_TABLE_PREFIX);
	const Namespace *guest;

	if (!name)
		return false;
	guest = desired_find_namespace(p->in->desired, name);
	return guest && guest != p->ns && guest->wg.managed && guest->wg.pinning_enable &&
	       streq_ptr(guest->wg.socket_namespace, p->ns->name);
}

/* The ruleset of a confinement namespace is vpnconf's: a table anyone else
 * adds there can rewrite or redirect traffic behind the policy's back
 * (a higher-priority chain changing destinations, say). It is drift, and
 * repair removes it. It cannot be put back by a rollback. */
static void plan_foreign_tables(Planner *p)
{
	STRV_FOREACH(t, p->have->foreign_tables)
	{
		if (pin_table_expected(p, *t))
			continue;

		_cleanup_free_ char *family = xstrdup(*t);
		char *name = strchr(family, ' ');
		Step *s;

		if (!name)
			continue;
		*name++ = 0;
		s = step_new(STEP_NFT_DELETE, SITE_NAMESPACE, p->ns->name, "delete", "nft table %s",
			     *t);
		s->key = xstrdup(family);
		s->table_name = xstrdup(name);
		s->before = xstrdup("present");
		s->irreversible = true;
		strv_pushf(&s->reasons,
			   "table %s in namespace %s was not created by vpnconf; the namespace's "
			   "ruleset is vpnconf's",
			   *t, p->ns->name);
		planner_add(p, s);
	}
}

/* vpnconf's own copy of have, when have is exactly the table vpnconf
 * built and verified: what a rollback may put back. Else NULL. */
int verified_copy(const NftTable *have, NftTable *verified, NftTable **ret)
{
	_cleanup_strv_free_ char **diffs = NULL;
	int r;

	*ret = NULL;
	if (!have || !verified)
		return 0;
	r = nft_table_diff(verified, have, &diffs);
	if (r < 0)
		return r;
	if (r == 0)
		*ret = nft_table_ref(verified);
	return 0;
}

int plan_policy_inverse(const NftTable *have, NftTable *verified, NftTable **ret)
{
	NftTable *t;
	int r;

	r = verified_copy(have, verified, &t);
	if (r < 0)
		return r;
	if (t) {
		*ret = t;
		return 0;
	}
	/* Never undo towards "no policy", nor towards a table nobody can
	 * vouch for: the inverse locks down. */
	return nft_lockdown_build(ret);
}

/* The inverse of a change to the pinning table the socket namespace holds
 * (NULL: none): deleting a table that was absent, or vpnconf's verified
 * copy. A table nobody can vouch for is never put back: the new one stays
 * (it only narrows where the tunnel's UDP may go), *ret is NULL. */
static int pin_inverse(const Planner *p, const char *name, Step **ret)
{
	const NftTable *have = p->have->pin_table;
	NftTable *t;
	int r;

	*ret = NULL;
	if (!have) {
		*ret = step_new(STEP_NFT_DELETE, SITE_BIRTHPLACE, p->ns->name, "delete",
				"nft table inet %s", name);
		(*ret)->table_name = xstrdup(name);
		return 0;
	}
	r = verified_copy(have, p->in->verified_pin, &t);
	if (r < 0)
		return r;
	if (t)
		*ret = nft_replace_step(p->ns->name, SITE_BIRTHPLACE, t);
	return 0;
}

static int plan_policy(Planner *p)
{
	const Observed *h = p->have;
	_cleanup_strv_free_ char **diffs = NULL;
	NftTable *want = NULL, *undo = NULL;
	Step *s;
	int r;

	if (p->fresh)
		return 0;
	const char *v = p->ns->ipv6_mode == IPV6_MODE_DISABLE ? "1" : "0";
	plan_sysctl(p, SYSCTL_DISABLE_IPV6_ALL, h->disable_ipv6_all, v);
	plan_sysctl(p, SYSCTL_DISABLE_IPV6_DEFAULT, h->disable_ipv6_default, v);

	r = nft_policy_build(p->ns, &want);
	if (r < 0)
		return r;
	if (h->table) {
		r = nft_table_diff(want, h->table, &diffs);
		if (r < 0) {
			nft_table_free(want);
			return r;
		}
	} else {
		strv_push(&diffs, "policy table absent");
		r = 1;
	}
	if (r == 0) {
		nft_table_free(want);
		goto foreign;
	}
	r = plan_policy_inverse(h->table, p->in->verified_policy, &undo);
	if (r < 0) {
		nft_table_free(want);
		return r;
	}
	s = nft_replace_step(p->ns->name, SITE_NAMESPACE, want);
	s->reasons = TAKE_PTR(diffs);
	s->before = h->table ? nft_table_summary(h->table) : NULL;
	s->inverse = nft_replace_step(p->ns->name, SITE_NAMESPACE, undo);
	planner_add(p, s);

	/* Connections the old policy let through must meet the new one. */
	planner_add(p, step_new(STEP_CONNTRACK_FLUSH, SITE_NAMESPACE, p->ns->name, "flush",
			"conntrack table"));
foreign:
	/* After the policy: a foreign table that cannot be deleted (one with
	 * "flags owner", held by a live process) must not keep the policy
	 * from being repaired. Until it is gone, the policy's drop chains
	 * still decide: a packet must be accepted by every base chain. */
	plan_foreign_tables(p);
	return 0;
}

/* 4. Endpoint pinning in the tunnel's birthplace. */

static int plan_pinning(Planner *p)
{
	const Observed *h = p->have;
	const Namespace *ns = p->ns;
	_cleanup_strv_free_ char **diffs = NULL;
	NftTable *want = NULL;
	Step *s;
	int r;

	/* A table of that name without vpnconf's marker is someone else's
	 * (or was relabelled by someone who may write tables there): never
	 * replaced or deleted. */
	if (h->pin_table && nft_table_kind(h->pin_table) != NFT_TABLE_PIN) {
		_cleanup_free_ char *name = nft_pin_table_name(ns->name);

		if (!ns->wg.pinning_enable) {
			strv_pushf(&p->plan->notes,
				   "table inet %s in socket namespace %s does not carry vpnconf's "
				   "pinning marker: left alone",
				   name, ns->wg.socket_namespace ?: "init");
			return 0;
		}
		s = step_new(STEP_NFT_REPLACE, SITE_BIRTHPLACE, ns->name, "replace",
			     "nft table inet %s", name);
		planner_conflict(p, s,
				 "table inet %s in socket namespace %s was not created by vpnconf "
				 "(no vpnconf:pin marker); refusing to touch it",
				 name, ns->wg.socket_namespace ?: "init");
		return 0;
	}
	if (!ns->wg.pinning_enable) {
		if (!h->pin_table)
			return 0;
		s = step_new(STEP_NFT_DELETE, SITE_BIRTHPLACE, ns->name, "delete",
			     "nft table inet %s", nft_table_name(h->pin_table));
		s->table_name = xstrdup(nft_table_name(h->pin_table));
		s->before = nft_table_summary(h->pin_table);
		strv_push(&s->reasons, "endpoint pinning disabled");
		r = pin_inverse(p, s->table_name, &s->inverse);
		if (r < 0) {
			step_free(s);
			return r;
		}
		planner_add(p, s);
		return 0;
	}
	if (!h->birthplace_present) {
		_cleanup_free_ char *name = nft_pin_table_name(ns->name);
		s = step_new(STEP_NFT_REPLACE, SITE_BIRTHPLACE, ns->name, "replace",
			     "nft table inet %s", name);
		planner_conflict(p, s, "socket namespace %s does not exist", ns->wg.socket_namespace);
		return 0;
	}

	r = nft_pin_build(ns, &want);
	if (r < 0)
		return r;
	if (h->pin_table) {
		r = nft_table_diff(want, h->pin_table, &diffs);
		if (r <= 0) {
			nft_table_free(want);
			return r;
		}
	} else
		strv_push(&diffs, "endpoint pinning table absent");

	s = nft_replace_step(ns->name, SITE_BIRTHPLACE, want);
	s->reasons = TAKE_PTR(diffs);
	s->before = h->pin_table ? nft_table_summary(h->pin_table) : NULL;
	r = pin_inverse(p, nft_table_name(want), &s->inverse);
	if (r < 0) {
		step_free(s);
		return r;
	}
	planner_add(p, s);
	return 0;
}

/* Addresses and state of one existing link. */

Step *addr_step(const Planner *p, StepKind kind, StepSite site, const char *ifname,
		       const IpPrefix *a)
{
	char buf[IPPREFIX_STRLEN];
	Step *s = step_new(kind, site, p->ns->name, kind == STEP_ADDR_ADD ? "add" : "delete",
			   "address %s on %s", prefix_str(a, buf), ifname);

	s->ifname = xstrdup(ifname);
	s->prefix = *a;
	return s;
}

void plan_link_addrs(Planner *p, StepSite site, const LinkInfo *l, const IpPrefix *want,
			    size_t n_want)
{
	char buf[IPPREFIX_STRLEN];
	Step *s;

	FOREACH_ARRAY(a, want, n_want)
	{
		if (prefix_in(a, l->addrs, l->n_addrs))
			continue;
		s = addr_step(p, STEP_ADDR_ADD, site, l->name, a);
		strv_pushf(&s->reasons, "address %s missing on %s", prefix_str(a, buf), l->name);
		s->inverse = addr_step(p, STEP_ADDR_DEL, site, l->name, a);
		planner_add(p, s);
	}
	FOREACH_ARRAY(a, l->addrs, l->n_addrs)
	{
		/* The kernel adds IPv6 link-local addresses by itself. */
		if (ipv6_link_local(a) || prefix_in(a, want, n_want))
			continue;
		s = addr_step(p, STEP_ADDR_DEL, site, l->name, a);
		strv_pushf(&s->reasons, "unexpected address %s on %s", prefix_str(a, buf),
			   l->name);
		s->inverse = addr_step(p, STEP_ADDR_ADD, site, l->name, a);
		planner_add(p, s);
	}
}

Step *link_state_step(const Planner *p, StepKind kind, StepSite site, const char *ifname)
{
	Step *s = step_new(kind, site, p->ns->name, kind == STEP_LINK_UP ? "up" : "down", "link %s",
			   ifname);
	s->ifname = xstrdup(ifname);
	return s;
}

void plan_link_up(Planner *p, StepSite site, const LinkInfo *l)
{
	Step *s;

	if (l->up)
		return;
	s = link_state_step(p, STEP_LINK_UP, site, l->name);
	strv_pushf(&s->reasons, "link %s is down", l->name);
	s->before = xstrdup("down");
	s->after = xstrdup("up");
	s->inverse = link_state_step(p, STEP_LINK_DOWN, site, l->name);
	planner_add(p, s);
}

/* A link of vpnconf's whose creator stopped before labelling it. */
void plan_link_alias(Planner *p, StepSite site, const LinkInfo *l, char *alias_owned)
{
	_cleanup_free_ char *alias = alias_owned;
	Step *s;

	if (link_has_alias(l, alias))
		return;
	s = step_new(STEP_LINK_ALIAS, site, p->ns->name, "label", "link %s", l->name);
	s->ifname = xstrdup(l->name);
	s->alias = TAKE_PTR(alias);
	s->before = l->alias ? xstrdup(l->alias) : NULL;
	s->after = xstrdup(s->alias);
	strv_pushf(&s->reasons, "link %s lacks its alias %s", l->name, s->alias);
	if (l->alias) {
		s->inverse = step_new(STEP_LINK_ALIAS, site, p->ns->name, "label", "link %s", l->name);
		s->inverse->ifname = xstrdup(l->name);
		s->inverse->alias = xstrdup(l->alias);
	}
	planner_add(p, s);
}

/* 5a. The host link. */

static void host_link_prefixes(const Namespace *ns, IpPrefix *host, IpPrefix *nsside)
{
	*host = (IpPrefix){.addr = {.family = AF_INET, .in = ns->host_link_host_addr},
			   .prefixlen = 30};
	*nsside = (IpPrefix){.addr = {.family = AF_INET, .in = ns->host_link_ns_addr},
			     .prefixlen = 30};
}

static void plan_host_link_create(Planner *p, const char *why)
{
	const Namespace *ns = p->ns;
	char b1[IPPREFIX_STRLEN], b2[IPPREFIX_STRLEN];
	Step *s;

	s = step_new(STEP_HOSTLINK_CREATE, SITE_HOST, ns->name, "create", "link %s", ns->host_if);
	s->ifname = xstrdup(ns->host_if);
	s->peer_ifname = xstrdup(ns->ns_if);
	s->alias = link_alias(ns->name, LINK_ROLE_HOSTLINK);
	host_link_prefixes(ns, &s->prefix, &s->peer_prefix);
	s->after = xasprintf("veth %s %s <-> %s %s", ns->host_if, prefix_str(&s->prefix, b1),
			     ns->ns_if, prefix_str(&s->peer_prefix, b2));
	strv_push(&s->reasons, why);
	s->inverse = step_link_delete(ns->name, SITE_NAMESPACE, ns->ns_if, NULL);
	planner_add(p, s);
}

/* The host-side table filters what arrives on the host end at the IP
 * layer. A master (a bridge, a bond) takes the end's frames before that,
 * and an upper device on it (a macvlan, a vlan) receives them under its
 * own name: both would carry raw frames from inside past the table, to
 * the host or bridged onto its network. The host end is made again, with
 * neither (the kernel removes upper devices with their lower one). */
static void plan_host_link_diverted(Planner *p, const LinkInfo *host)
{
	_cleanup_free_ char *why = NULL;
	Step *s;

	if (host->master)
		why = xasprintf("%s is enslaved (master ifindex %d): frames from inside would "
				"pass the host-side table",
				host->name, host->master);
	else
		why = xasprintf("%s has %s on top of it: frames from inside would pass the "
				"host-side table",
				host->name, p->have->host_link_upper);
	s = step_link_delete(p->ns->name, SITE_HOST, host->name, why);
	s->irreversible = true;
	planner_add(p, s);
	plan_host_link_create(p, "host link diverted");
}

static void plan_host_link(Planner *p)
{
	const Namespace *ns = p->ns;
	const LinkInfo *host = p->have->host_link, *nsl;
	IpPrefix ha, na;
	Step *s;

	if (!ns->host_link)
		return;
	nsl = p->fresh ? NULL : link_snapshot_find(&p->have->links, ns->ns_if);

	if (host && !link_is_ours(host, ns->name, LINK_ROLE_HOSTLINK)) {
		s = step_new(STEP_HOSTLINK_CREATE, SITE_HOST, ns->name, "create", "link %s",
			     ns->host_if);
		planner_conflict(p, s,
			 "interface %s exists in the host namespace and was not created by "
			 "vpnconf; refusing to touch it",
			 ns->host_if);
		return;
	}
	/* A foreign link of that name that leads out is deleted in step 2
	 * (the host end goes with it when it was the peer). */
	if (nsl && !link_is_ours(nsl, ns->name, LINK_ROLE_HOSTLINK) && plan_link_leads_out(ns, nsl))
		nsl = NULL;
	if (nsl && !link_is_ours(nsl, ns->name, LINK_ROLE_HOSTLINK)) {
		s = step_new(STEP_HOSTLINK_CREATE, SITE_HOST, ns->name, "create", "link %s",
			     ns->host_if);
		planner_conflict(p, s,
			 "interface %s exists in namespace %s and was not created by vpnconf; "
			 "refusing to touch it",
			 ns->ns_if, ns->name);
		return;
	}
	if (host && nsl && (host->master || p->have->host_link_upper[0])) {
		plan_host_link_diverted(p, host);
		return;
	}
	/* Two ends labelled as vpnconf's that are not each other's peer: root
	 * inside renamed vpnconf's inside end away and labelled a veth of its
	 * own, whose peer lives unfiltered in the host, in its place. Both go
	 * (each takes its peer along), and a new pair is made. */
	if (host && nsl && host->peer && nsl->peer &&
	    (host->peer != nsl->ifindex || nsl->peer != host->ifindex)) {
		Step *d = step_link_delete(ns->name, SITE_NAMESPACE, nsl->name,
					   "not the peer of the host end");

		d->irreversible = true;
		planner_add(p, d);
		d = step_link_delete(ns->name, SITE_HOST, host->name, "not the peer of the inside end");
		d->irreversible = true;
		planner_add(p, d);
		plan_host_link_create(p, "host link ends mismatched");
		return;
	}
	if (!host || !nsl) {
		/* Either end alone is a broken pair: remove it, then make a
		 * fresh one. */
		if (host)
			planner_add(p, step_link_delete(ns->name, SITE_HOST, host->name,
						"host link without its namespace end"));
		if (nsl)
			planner_add(p, step_link_delete(ns->name, SITE_NAMESPACE, nsl->name,
						"host link without its host end"));
		plan_host_link_create(p, host || nsl ? "host link broken" : "host link absent");
		return;
	}

	plan_link_alias(p, SITE_HOST, host, link_alias(ns->name, LINK_ROLE_HOSTLINK));
	plan_link_alias(p, SITE_NAMESPACE, nsl, link_alias(ns->name, LINK_ROLE_HOSTLINK));
	host_link_prefixes(ns, &ha, &na);
	plan_link_addrs(p, SITE_HOST, host, &ha, 1);
	plan_link_addrs(p, SITE_NAMESPACE, nsl, &na, 1);
	plan_link_up(p, SITE_HOST, host);
	plan_link_up(p, SITE_NAMESPACE, nsl);
}

/* 6. Files. */

/* problem: what is in the file's place when that is not a regular file
 * (a FIFO, a link, a device...): it is replaced, and never restored by a
 * rollback. */
static void plan_file(Planner *p, const char *path, const char *have, const char *problem,
		      char *want, const char *what)
{
	Step *s;

	if (have && streq(have, want)) {
		free(want);
		return;
	}
	s = step_new(STEP_FILE_WRITE, SITE_FILES, p->ns->name, "write", "file %s", path);
	s->path = xstrdup(path);
	s->content = want;
	s->before = have ? xasprintf("%zu bytes", strlen(have)) : problem ? xstrdup(problem) : NULL;
	s->after = xasprintf("%zu bytes", strlen(want));
	if (problem) {
		strv_pushf(&s->reasons, "%s is %s", what, problem);
		planner_add(p, s);
		return;
	}
	strv_pushf(&s->reasons, "%s %s", what, have ? "differs" : "absent");
	if (have) {
		s->inverse = step_new(STEP_FILE_WRITE, SITE_FILES, p->ns->name, "write", "file %s",
				      path);
		s->inverse->path = xstrdup(path);
		s->inverse->content = xstrdup(have);
	} else
		s->inverse = step_file_remove(p->ns->name, path);
	planner_add(p, s);
}

static void plan_files(Planner *p)
{
	const char *rt = p->in->desired->runtime_dir;

	for (DnsFile f = 0; f < _DNS_FILE_MAX; f++) {
		_cleanup_free_ char *path = dns_file_path(rt, p->ns->name, f);
		plan_file(p, path, p->fresh ? NULL : p->have->files[f],
			  p->fresh ? NULL : p->have->files_problem[f], dns_file_render(p->ns, f),
			  dns_file_name(f));
	}
	if (!p->fresh && p->have->marker_want) {
		_cleanup_free_ char *path = netns_marker_path(rt, p->ns->name);
		size_t before = p->plan->n;
		NetnsMarker m;

		plan_file(p, path, p->have->marker, p->have->marker_problem,
			  xstrdup(p->have->marker_want), "ownership marker");
		/* Rewriting a marker of the old dev:inode form with the cookie
		 * is a migration, not a difference to report as drift. */
		if (p->plan->n > before && p->have->marker &&
		    kname_parse_marker(p->have->marker, strlen(p->have->marker), &m) >= 0 &&
		    m.legacy)
			p->plan->steps[before]->reasons = strv_free(p->plan->steps[before]->reasons);
	}
	STRV_FOREACH(f, p->have->stale_files)
	{
		Step *s = step_file_remove(p->ns->name, *f);
		strv_push(&s->reasons, "temporary file left by an interrupted write");
		planner_add(p, s);
	}
}

int plan_namespace(const PlanInput *in, const Observed *have, Plan *ret)
{
	Plan plan = {};
	Planner p = {.in = in, .ns = in->ns, .have = have, .plan = &plan};
	int r;

	assert(!in->ns->wg.managed || in->want_wg);

	r = plan_netns(&p);
	if (r < 0)
		goto fail;
	if (plan.n > 0 && plan.steps[plan.n - 1]->conflict)
		goto done; /* nothing else can be planned for a foreign namespace */
	plan_stale_links(&p);
	r = plan_policy(&p);
	if (r < 0)
		goto fail;
	r = plan_pinning(&p);
	if (r < 0)
		goto fail;
	r = plan_host_table(&p);
	if (r < 0)
		goto fail;
	/* Never a host link without its host-side table. */
	if (r == 0)
		plan_host_link(&p);
	r = plan_tunnel(&p);
	if (r < 0)
		goto fail;
	plan_files(&p);
done:
	*ret = plan;
	return 0;
fail:
	plan_done(&plan);
	return r;
}
