/* SPDX-License-Identifier: MIT */
/*
 * The policy and pinning tables vpnconf built and verified for a namespace
 * (see reconcile.h): rebuilt from the desired-state document the journal
 * recorded for the namespace's last verified transaction, or for the
 * newer run-wide "in sync" mark. Besides the lockdown table they are the
 * only tables a rollback may put back (plan_policy_inverse()): never one
 * read from the kernel.
 */
#include "nft.h"
#include "pf-lease.h"
#include "reconcile.h"

void verified_tables_done(VerifiedTables *v)
{
	nft_table_free(v->policy);
	nft_table_free(v->pin);
	nft_table_free(v->host);
	*v = (VerifiedTables){};
}

typedef struct Current {
	const Desired *desired;
	const char *sha256;
} Current;

static int tables_of(Journal *j, const Current *cur, const char *sha256, const char *ns_name,
		     VerifiedTables *ret)
{
	_cleanup_(desired_errors_clear) DesiredErrors errors = {};
	_cleanup_(desired_freep) Desired *d = NULL;
	_cleanup_(verified_tables_done) VerifiedTables t = {};
	_cleanup_free_ char *text = NULL;
	const Desired *doc;
	const Namespace *ns;
	size_t size;
	int r;

	if (cur && cur->desired && streq_ptr(cur->sha256, sha256)) {
		doc = cur->desired;
		goto build;
	}
	r = journal_desired_get(j, sha256, &text, &size);
	if (r < 0)
		return r;
	/* The document passed validation when it was recorded; the rules
	 * can only have grown stricter since, and a document they refuse
	 * now vouches for nothing. */
	r = desired_parse(text, size, &errors, &d);
	if (r < 0)
		return r;
	r = desired_validate(d, &errors);
	if (r < 0)
		return r;
	doc = d;
build:
	ns = desired_find_namespace(doc, ns_name);
	if (!ns)
		return -ENOENT;
	/* The forwarded port is the current lease's, as in the plan. */
	Namespace eff = *ns;
	reconcile_namespace_with_lease(&eff, doc->runtime_dir);
	ns = &eff;
	r = nft_policy_build(ns, &t.policy);
	if (r < 0)
		return r;
	if (ns->wg.managed && ns->wg.pinning_enable) {
		r = nft_pin_build(ns, &t.pin);
		if (r < 0)
			return r;
	}
	if (ns->host_link) {
		r = nft_host_build(ns, &t.host);
		if (r < 0)
			return r;
	}
	*ret = t;
	t = (VerifiedTables){};
	return 0;
}

static int verified_tables(Journal *j, const Current *cur, const char *in_sync_sha256,
			   uint64_t in_sync_usec, const char *ns_name, VerifiedTables *ret)
{
	_cleanup_free_ char *sha = NULL;
	uint64_t usec = 0;
	int r;

	*ret = (VerifiedTables){};
	if (!j)
		return 0;
	r = journal_last_verified(j, ns_name, &sha, &usec);
	if (r < 0 && r != -ENOENT)
		return r;
	/* A later run found every namespace in sync with its document. */
	if (in_sync_sha256 && (r == -ENOENT || in_sync_usec > usec) &&
	    tables_of(j, cur, in_sync_sha256, ns_name, ret) >= 0)
		return 0;
	if (sha)
		(void)tables_of(j, cur, sha, ns_name, ret);
	return 0;
}

int reconcile_verified_tables(Journal *j, const char *in_sync_sha256, uint64_t in_sync_usec,
			      const char *ns_name, VerifiedTables *ret)
{
	return verified_tables(j, NULL, in_sync_sha256, in_sync_usec, ns_name, ret);
}

int reconcile_verified_tables_with(Journal *j, const Desired *current, const char *current_sha256,
				   const char *in_sync_sha256, uint64_t in_sync_usec,
				   const char *ns_name, VerifiedTables *ret)
{
	Current cur = {current, current_sha256};

	return verified_tables(j, &cur, in_sync_sha256, in_sync_usec, ns_name, ret);
}
