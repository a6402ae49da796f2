/* SPDX-License-Identifier: MIT */
/*
 * Plan infrastructure (see plan.h): step construction, descriptions,
 * ownership, and the teardown plan. The convergence plan of a namespace
 * is in plan-namespace.c.
 *
 * Arguments each step kind uses:
 *   NETNS_CREATE       namespace; table (the policy), sysctls, path (marker file)
 *   NETNS_DELETE       namespace; path (ownership marker to remove too, for undoing a creation)
 *   PLACEHOLDER_REMOVE namespace
 *   SYSCTL_SET         key, value
 *   NFT_REPLACE        table (site: namespace policy, or birthplace pinning)
 *   NFT_DELETE         table_name; key (its family when not inet); ifname (refused
 *                      while that link exists: the host end of a host-side table)
 *   CONNTRACK_FLUSH    (none)
 *   HOSTLINK_CREATE    ifname (host end), peer_ifname (namespace end), alias,
 *                      prefix (host address), peer_prefix (namespace address)
 *   TUNNEL_CREATE      ifname (created from the birthplace inside the namespace), alias, mtu
 *   TUNNEL_CONFIGURE   ifname, wg_change
 *   LINK_DELETE/UP/DOWN ifname; LINK_MTU ifname, mtu; LINK_ALIAS ifname, alias
 *   LINKS_DELETE       ifnames (every link of vpnconf's group in the namespace goes)
 *   ADDR_ADD/DEL       ifname, prefix
 *   ROUTE_ADD          ifname, prefix; ROUTE_DEL prefix, oif
 *   FILE_WRITE         path, content; FILE_REMOVE path
 */
#include <stdio.h>

#include "nft.h"
#include "plan-internal.h"
#include "wg.h"

static const char *const step_kind_names[_STEP_KIND_MAX] = {
	[STEP_NETNS_CREATE] = "netns-create",
	[STEP_NETNS_DELETE] = "netns-delete",
	[STEP_PLACEHOLDER_REMOVE] = "placeholder-remove",
	[STEP_SYSCTL_SET] = "sysctl-set",
	[STEP_NFT_REPLACE] = "nft-replace",
	[STEP_NFT_DELETE] = "nft-delete",
	[STEP_CONNTRACK_FLUSH] = "conntrack-flush",
	[STEP_HOSTLINK_CREATE] = "hostlink-create",
	[STEP_TUNNEL_CREATE] = "tunnel-create",
	[STEP_TUNNEL_CONFIGURE] = "tunnel-configure",
	[STEP_LINK_DELETE] = "link-delete",
	[STEP_LINKS_DELETE] = "links-delete",
	[STEP_LINK_ALIAS] = "link-alias",
	[STEP_LINK_UP] = "link-up",
	[STEP_LINK_DOWN] = "link-down",
	[STEP_LINK_MTU] = "link-mtu",
	[STEP_ADDR_ADD] = "addr-add",
	[STEP_ADDR_DEL] = "addr-del",
	[STEP_ROUTE_ADD] = "route-add",
	[STEP_ROUTE_DEL] = "route-del",
	[STEP_FILE_WRITE] = "file-write",
	[STEP_FILE_REMOVE] = "file-remove",
};

static const char *const step_site_names[_STEP_SITE_MAX] = {
	[SITE_NAMESPACE] = "namespace",
	[SITE_HOST] = "host",
	[SITE_BIRTHPLACE] = "birthplace",
	[SITE_FILES] = "files",
	[SITE_OTHER] = "other",
};

const char *step_kind_to_string(StepKind k)
{
	return k >= 0 && k < _STEP_KIND_MAX ? step_kind_names[k] : NULL;
}

const char *step_site_to_string(StepSite s)
{
	return s >= 0 && s < _STEP_SITE_MAX ? step_site_names[s] : NULL;
}

Step *step_free(Step *s)
{
	if (!s)
		return NULL;
	free(s->namespace);
	free(s->object);
	free(s->action);
	free(s->before);
	free(s->after);
	strv_free(s->reasons);
	free(s->ifname);
	free(s->peer_ifname);
	free(s->alias);
	free(s->key);
	free(s->value);
	free(s->path);
	free(s->content);
	strv_free(s->sysctls);
	strv_free(s->ifnames);
	nft_table_free(s->table);
	free(s->table_name);
	free(s->netns_name);
	wg_device_free(s->wg_change);
	free(s->conflict);
	step_free(s->inverse);
	free(s);
	return NULL;
}

void plan_done(Plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		step_free(p->steps[i]);
	free(p->steps);
	strv_free(p->notes);
	*p = (Plan){};
}

char *step_describe(const Step *s)
{
	const char *arrow = s->before && s->after ? " -> " : "";

	if (s->before || s->after)
		return xasprintf("%s: %s %s (%s%s%s)", s->namespace, s->action, s->object,
				 strempty(s->before), arrow, strempty(s->after));
	return xasprintf("%s: %s %s", s->namespace, s->action, s->object);
}

char *netns_marker_path(const char *runtime_dir, const char *ns_name)
{
	return xasprintf("%s/%s/netns-id", runtime_dir, ns_name);
}

void observed_done(Observed *o)
{
	free(o->name);
	free(o->not_owned_why);
	free(o->marker_want);
	free(o->marker);
	link_snapshot_done(&o->links);
	nft_table_free(o->table);
	free(o->routes);
	wg_device_free(o->wg);
	nft_table_free(o->pin_table);
	nft_table_free(o->host_table);
	free(o->stale_pin_birthplace);
	free(o->pin_netns);
	for (int f = 0; f < _DNS_FILE_MAX; f++)
		free(o->files[f]);
	strv_free(o->stale_files);
	strv_free(o->lease_files);
	strv_free(o->foreign_tables);
	free(o->health);
	*o = (Observed){};
}

/* Step construction helpers shared with plan-namespace.c. */

Step *step_new(StepKind kind, StepSite site, const char *ns, const char *action, const char *fmt,
	       ...)
{
	Step *s = xcalloc(1, sizeof(*s));
	va_list ap;

	s->kind = kind;
	s->site = site;
	s->namespace = xstrdup(ns);
	s->action = xstrdup(action);
	va_start(ap, fmt);
	s->object = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void plan_append(Plan *p, Step *s)
{
	p->steps = xrealloc(p->steps, (p->n + 1) * sizeof(Step *));
	p->steps[p->n++] = s;
}

Step *step_link_delete(const char *ns, StepSite site, const char *ifname, const char *why)
{
	Step *s = step_new(STEP_LINK_DELETE, site, ns, "delete", "link %s", ifname);

	s->ifname = xstrdup(ifname);
	s->before = xstrdup("present");
	if (why)
		strv_push(&s->reasons, why);
	return s;
}

Step *step_file_remove(const char *ns, const char *path)
{
	Step *s = step_new(STEP_FILE_REMOVE, SITE_FILES, ns, "remove", "file %s", path);

	s->path = xstrdup(path);
	s->before = xstrdup("present");
	return s;
}

static bool link_is_removable(const LinkInfo *l, const char *ns_name)
{
	return link_is_ours(l, ns_name, NULL);
}

/* Teardown is complete when it returns: nothing of the namespace is left
 * on the host side (the host end of its link, a tunnel's UDP socket in
 * its socket namespace) for the kernel to reap later, when an immediate
 * reconcile would trip over it. When processes may still run inside, the
 * lockdown table (loopback only, whatever interfaces are there, foreign
 * tunnels included) replaces the policy first, in one transaction. Then
 * every link of vpnconf's group inside goes with one message: one RCU
 * grace period for all of them, and a veth end takes its host end along.
 * The host end is deleted on its own too, in case someone inside moved
 * the namespace end away (gone already, that costs nothing). The policy
 * table itself is never removed on its own: it lives as long as the
 * namespace. */
static int plan_teardown_cut(Plan *p, const Observed *have)
{
	const char *name = have->name, *why;
	char **ours = NULL;
	Step *s;
	int r;

	if (have->netns_state == NETNS_PRESENT && have->in_use != NETNS_USE_NONE) {
		NftTable *lock = NULL;

		r = nft_lockdown_build(&lock);
		if (r < 0)
			return r;
		s = step_new(STEP_NFT_REPLACE, SITE_NAMESPACE, name, "lockdown", "nft table inet %s",
			     NFT_POLICY_TABLE);
		s->table = lock;
		s->after = xstrdup("drop everything but loopback");
		strv_push(&s->reasons, have->in_use == NETNS_USE_SOME ? "processes still run inside"
								      : "processes may still run inside");
		plan_append(p, s);
	}
	if (have->netns_state == NETNS_PRESENT)
		FOREACH_ARRAY(l, have->links.links, have->links.n)
	if (link_is_removable(l, name))
		strv_push(&ours, l->name);
	if (ours) {
		_cleanup_free_ char *list = strv_join(ours, ", ");

		why = have->in_use == NETNS_USE_SOME	  ? "processes still run inside"
		      : have->in_use == NETNS_USE_UNKNOWN ? "processes may still run inside"
							  : "nothing of the namespace may outlive "
							    "the teardown on the host side";
		s = step_new(STEP_LINKS_DELETE, SITE_NAMESPACE, name, "delete", "links %s", list);
		s->ifnames = ours;
		s->before = xstrdup("present");
		strv_push(&s->reasons, why);
		plan_append(p, s);
	}
	if (have->host_link && link_is_ours(have->host_link, name, LINK_ROLE_HOSTLINK))
		plan_append(p, step_link_delete(name, SITE_HOST, have->host_link->name,
						have->netns_state == NETNS_PRESENT
							? "host end of the host link"
							: "host link without its namespace"));
	return 0;
}

/* Removal of the namespace's resolver files and of temporaries cut short
 * by a crash, whatever is found in their place. */
static void plan_remove_files(Plan *p, const char *runtime_dir, const char *name,
			      const Observed *have)
{
	for (DnsFile f = 0; f < _DNS_FILE_MAX; f++)
		if (have->files[f] || have->files_problem[f]) {
			_cleanup_free_ char *path = dns_file_path(runtime_dir, name, f);
			plan_append(p, step_file_remove(name, path));
		}
	STRV_FOREACH(f, have->stale_files)
	plan_append(p, step_file_remove(name, *f));
}

int plan_teardown(const char *runtime_dir, const Observed *have, Plan *ret)
{
	Plan p = {};
	const char *name = have->name;
	Step *s;
	int r;

	if (have->netns_state == NETNS_PRESENT && !have->owned) {
		/* Nothing in it, and nothing its links' labels say, is
		 * vpnconf's. vpnconf's own files for that name are: a marker
		 * left by a namespace removed behind vpnconf's back, whose
		 * name someone else took since. */
		strv_pushf(&p.notes,
			   "namespace %s exists but was not created by vpnconf (%s): left untouched",
			   name, have->not_owned_why ?: "no proof of ownership");
		if (have->marker || have->marker_problem) {
			plan_remove_files(&p, runtime_dir, name, have);
			_cleanup_free_ char *path = netns_marker_path(runtime_dir, name);
			plan_append(&p, step_file_remove(name, path));
		}
		*ret = p;
		return 0;
	}

	r = plan_teardown_cut(&p, have);
	if (r < 0) {
		plan_done(&p);
		return r;
	}

	if (have->pin_table && nft_table_kind(have->pin_table) != NFT_TABLE_PIN)
		strv_pushf(&p.notes,
			   "table inet %s in %s does not carry vpnconf's pinning marker: left alone",
			   nft_table_name(have->pin_table), have->pin_netns ?: "the socket namespace");
	else if (have->pin_table) {
		s = step_new(STEP_NFT_DELETE, have->pin_netns ? SITE_OTHER : SITE_BIRTHPLACE, name,
			     "delete", "nft table inet %s", nft_table_name(have->pin_table));
		s->netns_name = have->pin_netns ? xstrdup(have->pin_netns) : NULL;
		s->table_name = xstrdup(nft_table_name(have->pin_table));
		s->before = nft_table_summary(have->pin_table);
		plan_append(&p, s);
	}

	plan_remove_files(&p, runtime_dir, name, have);
	STRV_FOREACH(f, have->lease_files)
	plan_append(&p, step_file_remove(name, *f));

	if (have->netns_state == NETNS_PRESENT) {
		s = step_new(STEP_NETNS_DELETE, SITE_HOST, name, "delete", "namespace %s", name);
		s->before = xstrdup("present");
		plan_append(&p, s);
	} else if (have->netns_state == NETNS_PLACEHOLDER) {
		s = step_new(STEP_PLACEHOLDER_REMOVE, SITE_HOST, name, "remove",
			     "namespace placeholder %s", name);
		plan_append(&p, s);
	}
	if (have->marker || have->marker_problem) {
		_cleanup_free_ char *path = netns_marker_path(runtime_dir, name);
		plan_append(&p, step_file_remove(name, path));
	}

	/* The host-side table goes last, after the host end of the host link
	 * (plan_teardown_cut()): it filters frames from inside as long as
	 * that end exists. */
	if (have->host_table && nft_table_kind(have->host_table) == NFT_TABLE_HOST) {
		s = step_new(STEP_NFT_DELETE, SITE_HOST, name, "delete", "nft table inet %s",
			     nft_table_name(have->host_table));
		s->table_name = xstrdup(nft_table_name(have->host_table));
		s->ifname = have->host_link ? xstrdup(have->host_link->name) : NULL;
		s->before = nft_table_summary(have->host_table);
		plan_append(&p, s);
	}

	*ret = p;
	return 0;
}
