/* SPDX-License-Identifier: MIT */
/*
 * plan_host_table(): step 4b of plan_namespace(), the host-side table of a
 * namespace's host link (docs/policy.md, "The host-side table"), in the
 * namespace vpnconf runs in. Pure, like the rest of the plan.
 */
#include "nft.h"
#include "plan-internal.h"

/* 4b. The host-side table of the host link, in vpnconf's namespace. It
 * exists before the host link (raw frames from inside pass no hook of the
 * namespace, only this table) and goes only after it. */

static Step *host_table_step(const Namespace *ns, StepKind kind, const char *action, NftTable *t)
{
	_cleanup_free_ char *name = nft_host_table_name(ns->name);
	Step *s = step_new(kind, SITE_HOST, ns->name, action, "nft table inet %s", name);

	if (kind == STEP_NFT_DELETE) {
		s->table_name = TAKE_PTR(name);
		/* Refused while the host end exists. */
		s->ifname = xstrdup(ns->host_if);
	}
	s->table = t;
	if (t)
		s->after = nft_table_summary(t);
	return s;
}

/* What a rollback leaves in place of a host-side table: no table when
 * there was none, by a deletion that is refused while the host end exists
 * (a rollback undoes the host link first; if that failed, the table stays
 * and the rollback ends in lockdown); vpnconf's verified copy when the
 * kernel held exactly that; else the sealed table, which lets nothing in
 * from the host link. Never the observed table itself. */
static int host_table_inverse(const Planner *p, const NftTable *have, Step **ret)
{
	const Namespace *ns = p->ns;
	NftTable *t = NULL;
	int r;

	if (!have) {
		*ret = host_table_step(ns, STEP_NFT_DELETE, "delete", NULL);
		return 0;
	}
	r = verified_copy(have, p->in->verified_host, &t);
	if (r < 0)
		return r;
	if (!t) {
		r = nft_host_sealed_build(ns, &t);
		if (r < 0)
			return r;
	}
	*ret = host_table_step(ns, STEP_NFT_REPLACE, "replace", t);
	return 0;
}

/* Adds s, a change to the host-side table have, with its inverse. */
static int host_table_add(Planner *p, const NftTable *have, Step *s)
{
	int r = host_table_inverse(p, have, &s->inverse);

	if (r < 0) {
		step_free(s);
		return r;
	}
	planner_add(p, s);
	return 0;
}

int plan_host_table(Planner *p)
{
	const Namespace *ns = p->ns;
	const NftTable *have = p->have->host_table;
	_cleanup_strv_free_ char **diffs = NULL;
	NftTable *want = NULL;
	Step *s;
	int r;

	if (have && nft_table_kind(have) != NFT_TABLE_HOST) {
		s = host_table_step(ns, STEP_NFT_REPLACE, "replace", NULL);
		planner_conflict(p, s,
			 "table inet %s in the host namespace was not created by vpnconf; "
			 "refusing to touch it",
			 nft_table_name(have));
		return 1;
	}
	if (!ns->host_link) {
		if (!have)
			return 0;
		/* The host end goes first (gone already when the namespace end
		 * was deleted above: deleting one end removes both). */
		if (p->have->host_link && link_is_ours(p->have->host_link, ns->name, LINK_ROLE_HOSTLINK))
			planner_add(p, step_link_delete(ns->name, SITE_HOST, p->have->host_link->name,
						"host link no longer wanted"));
		s = host_table_step(ns, STEP_NFT_DELETE, "delete", NULL);
		s->before = nft_table_summary(have);
		strv_push(&s->reasons, "host link no longer wanted");
		return host_table_add(p, have, s);
	}

	r = nft_host_build(ns, &want);
	if (r < 0)
		return r;
	if (have) {
		r = nft_table_diff(want, have, &diffs);
		if (r <= 0) {
			nft_table_free(want);
			return r;
		}
	} else
		strv_push(&diffs, "host-side table absent");

	s = host_table_step(ns, STEP_NFT_REPLACE, "replace", want);
	s->reasons = TAKE_PTR(diffs);
	s->before = have ? nft_table_summary(have) : NULL;
	return host_table_add(p, have, s);
}
