/* SPDX-License-Identifier: MIT */
/*
 * Executing plans (see apply.h): the kernel side of each step kind, the
 * journaling around it, rollback and lockdown.
 */
#include <assert.h>
#include <libgen.h>
#include <stdio.h>

#include "addr.h"
#include "apply.h"
#include "conntrack.h"
#include "kname.h"
#include "link.h"
#include "nft.h"
#include "route.h"
#include "safefile.h"
#include "sysctl.h"
#include "wg.h"

void apply_result_done(ApplyResult *r)
{
	free(r->error);
	free(r->lockdown_error);
	*r = (ApplyResult){};
}

static Netns *site_netns(ApplyContext *c, StepSite site)
{
	switch (site) {
	case SITE_NAMESPACE:
		return c->ns ? *c->ns : NULL;
	case SITE_HOST:
		return c->self;
	case SITE_BIRTHPLACE:
		return c->birthplace;
	case SITE_FILES:
	case SITE_OTHER:
	case _STEP_SITE_MAX:
	case _STEP_SITE_INVALID:
		break;
	}
	return NULL;
}

/* The ownership marker records the namespace's cookie, which the kernel
 * never gives another namespace (see observe.c). */
static int write_marker(const char *path, Netns *n)
{
	_cleanup_free_ char *content = NULL;
	uint64_t cookie;
	int r;

	r = netns_cookie(n, &cookie);
	if (r < 0)
		return r;
	content = kname_format_marker(cookie);
	return safe_file_write_atomic(path, content, strlen(content), 0644);
}

/* Runs inside the new, still anonymous namespace (netns_create()). */
static int prepare_namespace(Netns *n, void *userdata)
{
	const Step *s = userdata;
	NftSocket *nft;
	int r;

	r = link_set_up(n, "lo", true);
	if (r < 0)
		return r;
	STRV_FOREACH(kv, s->sysctls)
	{
		_cleanup_free_ char *key = xstrdup(*kv);
		char *value = strchr(key, '=');

		assert(value);
		*value++ = 0;
		r = sysctl_write(n, key, value);
		/* Without IPv6 in the kernel, "disabled" already holds. */
		if (r == -ENOENT && streq(value, "1"))
			continue;
		if (r < 0)
			return r;
	}
	r = netns_nft(n, &nft);
	if (r < 0)
		return r;
	r = nft_table_create(nft, s->table);
	if (r < 0)
		return r;
	return write_marker(s->path, n);
}

static int hostlink_create(ApplyContext *c, Netns *ns, const Step *s)
{
	int r;

	/* One message creates both ends in place, in vpnconf's group: a name
	 * taken by a foreign interface in the host namespace fails it with
	 * EEXIST and nothing is created. */
	r = link_veth_create(c->self, s->ifname, ns, s->peer_ifname);
	if (r < 0)
		return r;
	r = addr_add(c->self, s->ifname, &s->prefix);
	if (r >= 0)
		r = addr_add(ns, s->peer_ifname, &s->peer_prefix);
	if (r >= 0)
		r = link_label_up(ns, s->peer_ifname, s->alias);
	if (r >= 0)
		r = link_label_up(c->self, s->ifname, s->alias);
	if (r < 0)
		/* Deleting one end removes both. */
		(void)link_delete(ns, s->peer_ifname);
	return r;
}

static int tunnel_create(ApplyContext *c, Netns *ns, const Step *s)
{
	int r;

	/* Created from the birthplace (where its UDP socket will live)
	 * directly inside the namespace, under the policy: it never exists
	 * outside. Down and unconfigured until the next steps. */
	r = link_wireguard_create(c->birthplace, ns, s->ifname, s->mtu);
	if (r < 0)
		return r;
	r = link_set_alias(ns, s->ifname, s->alias);
	if (r < 0)
		(void)link_delete(ns, s->ifname);
	return r;
}

/* The per-namespace runtime directory goes with its last file. */
/* Every link of vpnconf's group in the namespace, at the cost of one RCU
 * grace period. A group the kernel refuses to delete as a whole (someone
 * inside put an undeletable device in it) falls back to vpnconf's links
 * one by one. */
static int links_delete(Netns *n, const Step *s)
{
	int r = link_delete_group(n, LINK_GROUP_VPNCONF), k;

	if (r >= 0 || r == -ENODEV)
		return 0;
	r = 0;
	STRV_FOREACH(ifname, s->ifnames)
	{
		k = link_delete(n, *ifname);
		if (k < 0 && k != -ENODEV && r == 0)
			r = k;
	}
	return r;
}

static int file_remove(const char *path)
{
	return safe_file_remove(path);
}

static int step_run(ApplyContext *c, const Step *s)
{
	_cleanup_(netns_freep) Netns *other = NULL;
	Netns *n = site_netns(c, s->site);
	NftSocket *nft;
	WgSocket *wg;
	int r;

	if (s->site == SITE_OTHER) {
		r = streq(s->netns_name, "init") ? netns_open_self(&other)
						 : netns_open(c->desired->netns_dir, s->netns_name, &other);
		if (r < 0)
			return r == -ENOENT ? 0 : r; /* gone with whatever it held */
		n = other;
	}

	if (!n && s->site != SITE_FILES && s->kind != STEP_NETNS_CREATE &&
	    s->kind != STEP_NETNS_DELETE && s->kind != STEP_PLACEHOLDER_REMOVE)
		return -ENXIO;

	switch (s->kind) {
	case STEP_NETNS_CREATE:
		return netns_create(c->desired->netns_dir, s->namespace, prepare_namespace,
				    (void *)s, c->ns);
	case STEP_NETNS_DELETE:
		r = netns_delete(c->desired->netns_dir, s->namespace);
		if (r >= 0 && c->ns)
			*c->ns = netns_free(*c->ns);
		if (r >= 0 && s->path)
			r = file_remove(s->path);
		return r;
	case STEP_PLACEHOLDER_REMOVE:
		return netns_remove_placeholder(c->desired->netns_dir, s->namespace);
	case STEP_SYSCTL_SET:
		return sysctl_write(n, s->key, s->value);
	case STEP_NFT_REPLACE:
		r = netns_nft(n, &nft);
		return r < 0 ? r : nft_table_replace(nft, s->table);
	case STEP_NFT_DELETE:
		/* A host-side table goes only once vpnconf's host end is gone
		 * (an interface of that name in another group was never the
		 * table's to filter). */
		if (s->ifname) {
			uint32_t group;
			r = link_group(n, s->ifname, &group);
			if (r >= 0 && group == LINK_GROUP_VPNCONF)
				return -EBUSY;
			if (r < 0 && r != -ENODEV)
				return r;
		}
		r = netns_nft(n, &nft);
		if (r < 0)
			return r;
		return s->key ? nft_table_delete_any(nft, s->key, s->table_name)
			      : nft_table_delete(nft, s->table_name);
	case STEP_CONNTRACK_FLUSH:
		return conntrack_flush(n);
	case STEP_HOSTLINK_CREATE:
		return hostlink_create(c, *c->ns, s);
	case STEP_TUNNEL_CREATE:
		return *c->ns ? tunnel_create(c, *c->ns, s) : -ENXIO;
	case STEP_TUNNEL_CONFIGURE:
		r = netns_wg(n, &wg);
		return r < 0 ? r : wg_set_device(wg, s->wg_change);
	case STEP_LINK_DELETE:
		/* Gone already (the kernel reaps the interfaces of a namespace
		 * nobody uses any more): that is what this step wanted. */
		r = link_delete(n, s->ifname);
		return r == -ENODEV ? 0 : r;
	case STEP_LINKS_DELETE:
		return links_delete(n, s);
	case STEP_LINK_ALIAS:
		return link_set_alias(n, s->ifname, s->alias);
	case STEP_LINK_UP:
		return link_set_up(n, s->ifname, true);
	case STEP_LINK_DOWN:
		return link_set_up(n, s->ifname, false);
	case STEP_LINK_MTU:
		return link_set_mtu(n, s->ifname, s->mtu);
	case STEP_ADDR_ADD:
		return addr_add(n, s->ifname, &s->prefix);
	case STEP_ADDR_DEL:
		/* A delete converges on absence: disabling IPv6 (a sysctl step
		 * earlier in the same plan) has already removed every IPv6
		 * address and route of the namespace. */
		r = addr_del(n, s->ifname, &s->prefix);
		return r == -EADDRNOTAVAIL ? 0 : r;
	case STEP_ROUTE_ADD:
		return route_add(n, &s->prefix, s->ifname);
	case STEP_ROUTE_DEL:
		r = s->oif > 0 ? s->oif : link_ifindex(n, s->ifname);
		if (r >= 0)
			r = route_del(n, &s->prefix, r);
		return r == -ENOENT ? 0 : r;
	case STEP_FILE_WRITE:
		return dns_file_write(s->path, s->content);
	case STEP_FILE_REMOVE:
		return file_remove(s->path);
	case _STEP_KIND_MAX:
	case _STEP_KIND_INVALID:
		break;
	}
	return -EINVAL;
}

int step_execute(ApplyContext *c, const Step *s, char **ret_message)
{
	int r;

	if (s->conflict) {
		*ret_message = xstrdup(s->conflict);
		return -EEXIST;
	}
	r = step_run(c, s);
	if (r < 0) {
		if (r == -EEXIST && (s->kind == STEP_HOSTLINK_CREATE || s->kind == STEP_TUNNEL_CREATE))
			*ret_message = xasprintf("%s %s: an interface of that name already exists "
						 "(not created by vpnconf); refusing to touch it",
						 s->action, s->object);
		else if (r == -EBUSY && s->kind == STEP_NFT_DELETE && s->ifname)
			*ret_message = xasprintf("%s %s: interface %s still exists; the table filters "
						 "what arrives on it",
						 s->action, s->object, s->ifname);
		else if (r == -ENXIO)
			*ret_message = xasprintf("%s %s: the namespace it belongs to is gone",
						 s->action, s->object);
		else if ((s->kind == STEP_FILE_WRITE || s->kind == STEP_FILE_REMOVE ||
			  s->kind == STEP_NETNS_CREATE || s->kind == STEP_NETNS_DELETE) &&
			 safe_file_problem(r))
			*ret_message = xasprintf("%s %s: refusing a file that is %s", s->action,
						 s->object, safe_file_problem(r));
		else
			*ret_message = xasprintf("%s %s: %s", s->action, s->object, strerror(-r));
	}
	return r;
}

/* A journal write failed: remember the first error and go on without
 * the journal (see apply.h). */
static void journal_lost(ApplyContext *c, int r)
{
	if (c->journal_error == 0)
		c->journal_error = r;
	c->journal = NULL;
}

static void journal_begin(ApplyContext *c, const Step *s, bool undo, int64_t *ret_id)
{
	_cleanup_free_ char *action = undo ? xasprintf("rollback: %s", s->action) : NULL;
	_cleanup_free_ char *inverse = s->inverse ? step_describe(s->inverse) : NULL;
	StepRecord rec = {
		.namespace = s->namespace,
		.object = s->object,
		.action = action ?: s->action,
		.before = s->before,
		.after = s->after,
		.inverse = inverse,
	};
	int r;

	*ret_id = 0;
	if (!c->journal)
		return;
	r = journal_step_begin(c->journal, c->txn_id, &rec, ret_id);
	if (r < 0) {
		*ret_id = 0;
		journal_lost(c, r);
	}
}

static void journal_finish(ApplyContext *c, int64_t id, StepStatus status, const char *error)
{
	int r;

	if (!c->journal || id == 0)
		return;
	r = journal_step_finish(c->journal, id, status, error);
	if (r < 0)
		journal_lost(c, r);
}

/* Journals, runs and reports one step; its result goes to *ret_r. */
static void run_one(ApplyContext *c, const Step *s, bool undo, int64_t *ret_id, int *ret_r,
		    char **ret_message)
{
	_cleanup_free_ char *message = NULL;

	journal_begin(c, s, undo, ret_id);
	if (c->hooks && c->hooks->step_started)
		c->hooks->step_started(s, undo, c->userdata);
	*ret_r = step_execute(c, s, &message);
	if (c->hooks && c->hooks->step_finished)
		c->hooks->step_finished(s, undo, *ret_r, message, c->userdata);
	journal_finish(c, *ret_id, *ret_r < 0 ? STEP_FAILED : STEP_DONE, message);
	*ret_message = TAKE_PTR(message);
}

int apply_lockdown(ApplyContext *c, const char *ns_name, char **ret_error)
{
	_cleanup_(step_freep) Step *s = xcalloc(1, sizeof(*s));
	_cleanup_free_ char *message = NULL;
	int64_t id;
	int r, k;

	s->kind = STEP_NFT_REPLACE;
	s->site = SITE_NAMESPACE;
	s->namespace = xstrdup(ns_name);
	s->object = xasprintf("nft table inet %s", NFT_POLICY_TABLE);
	s->action = xstrdup("lockdown");
	s->after = xstrdup("drop everything but loopback");
	r = nft_lockdown_build(&s->table);
	if (r < 0)
		return r;
	run_one(c, s, false, &id, &k, &message);
	if (k < 0 && ret_error)
		*ret_error = TAKE_PTR(message);
	return k;
}

static bool step_is_policy(const Step *s)
{
	return s->kind == STEP_NFT_REPLACE && s->site == SITE_NAMESPACE;
}

/* The number of leading steps that protect the namespace: up to and
 * including the last of its creation, sysctls, policy replacement and
 * conntrack flush. */
static size_t protective_steps(const Plan *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++) {
		const Step *s = p->steps[i];

		if (s->kind == STEP_NETNS_CREATE || s->kind == STEP_CONNTRACK_FLUSH ||
		    (s->kind == STEP_SYSCTL_SET && s->site == SITE_NAMESPACE) || step_is_policy(s))
			n = i + 1;
	}
	return n;
}

static void lock_down(ApplyContext *c, const Plan *p, ApplyResult *res)
{
	int r;

	res->outcome = APPLY_LOCKED_DOWN;
	if (c->ns && *c->ns) {
		r = apply_lockdown(c, p->steps[0]->namespace, &res->lockdown_error);
		if (r < 0 && !res->lockdown_error)
			res->lockdown_error = xstrdup(strerror(-r));
	}
}

static int rollback(ApplyContext *c, const Plan *p, size_t failed_at, const int64_t *ids,
		    ApplyResult *res)
{
	bool lockdown = false;

	for (size_t j = failed_at; j-- > 0;) {
		const Step *s = p->steps[j];
		_cleanup_free_ char *message = NULL;
		int64_t id;
		int k;

		if (s->irreversible) {
			lockdown = true;
			continue;
		}
		if (!s->inverse)
			continue;
		run_one(c, s->inverse, true, &id, &k, &message);
		journal_finish(c, ids[j], k < 0 ? STEP_UNDO_FAILED : STEP_UNDONE, message);
		/* The inverse rule found no table vpnconf could vouch for:
		 * the namespace is now locked down, and says so. */
		if (k < 0 || (step_is_policy(s->inverse) &&
			      nft_table_kind(s->inverse->table) == NFT_TABLE_LOCKDOWN))
			lockdown = true;
	}
	res->outcome = APPLY_ROLLED_BACK;
	if (lockdown)
		lock_down(c, p, res);
	return 0;
}

/* The whole plan goes to the journal, pending, in one commit before its
 * first step runs: one write instead of one per step, and every step is
 * still recorded before the kernel sees it. */
static void journal_plan(ApplyContext *c, const Plan *p, int64_t *ids)
{
	_cleanup_free_ StepRecord *recs = NULL;
	char **inverses = NULL;
	int r;

	if (!c->journal || p->n == 0)
		return;
	recs = xcalloc(p->n, sizeof(StepRecord));
	inverses = xcalloc(p->n + 1, sizeof(char *));
	for (size_t i = 0; i < p->n; i++) {
		const Step *s = p->steps[i];

		inverses[i] = s->inverse ? step_describe(s->inverse) : NULL;
		recs[i] = (StepRecord){.namespace = s->namespace,
				       .object = s->object,
				       .action = s->action,
				       .before = s->before,
				       .after = s->after,
				       .inverse = inverses[i]};
	}
	r = journal_steps_begin(c->journal, c->txn_id, recs, p->n, ids);
	for (size_t i = 0; i < p->n; i++)
		free(inverses[i]);
	free(inverses);
	if (r < 0)
		journal_lost(c, r);
}

int apply_plan(ApplyContext *c, const Plan *p, bool with_rollback, ApplyResult *ret)
{
	_cleanup_free_ int64_t *ids = xcalloc(p->n ?: 1, sizeof(int64_t));
	ApplyResult res = {.outcome = APPLY_DONE};
	size_t protective = c->repair ? protective_steps(p) : 0;
	int r = 0;

	journal_plan(c, p, ids);
	for (size_t i = 0; i < p->n; i++) {
		_cleanup_free_ char *message = NULL;
		const Step *s = p->steps[i];
		uint64_t started = now_usec_realtime();
		int k;

		if (c->hooks && c->hooks->step_started)
			c->hooks->step_started(s, false, c->userdata);
		k = step_execute(c, s, &message);
		if (c->hooks && c->hooks->step_finished)
			c->hooks->step_finished(s, false, k, message, c->userdata);
		if (c->journal) {
			r = journal_step_done(c->journal, ids[i], k < 0 ? STEP_FAILED : STEP_DONE,
					      message, started);
			if (r < 0)
				journal_lost(c, r);
		}
		if (k >= 0) {
			res.applied++;
			continue;
		}
		res.failed++;
		if (!res.error)
			res.error = TAKE_PTR(message);
		if (!with_rollback || (c->repair && i >= protective)) {
			res.outcome = APPLY_PARTIAL;
			continue;
		}
		if (c->repair && c->ns && *c->ns)
			lock_down(c, p, &res);
		else
			r = rollback(c, p, i, ids, &res);
		if (r < 0) {
			apply_result_done(&res);
			return r;
		}
		if (c->journal) {
			r = journal_steps_skip_pending(c->journal, c->txn_id);
			if (r < 0)
				journal_lost(c, r);
		}
		break;
	}
	*ret = res;
	return 0;
}
