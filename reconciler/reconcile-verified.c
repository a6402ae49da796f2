/* SPDX-License-Identifier: MIT */
/*
 * The policy vpnconf built and verified for a namespace (see
 * reconcile.h): rebuilt from the desired-state document the journal
 * recorded for the namespace's last verified transaction, or for the
 * newer run-wide "in sync" mark. It is the only table other than the
 * lockdown table that a rollback may put back (plan_policy_inverse()).
 */
#include "nft.h"
#include "reconcile.h"

static int policy_of(Journal *j, const char *sha256, const char *ns_name, NftTable **ret)
{
	_cleanup_(desired_errors_clear) DesiredErrors errors = {};
	_cleanup_(desired_freep) Desired *d = NULL;
	_cleanup_free_ char *text = NULL;
	const Namespace *ns;
	size_t size;
	int r;

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
	ns = desired_find_namespace(d, ns_name);
	if (!ns)
		return -ENOENT;
	return nft_policy_build(ns, ret);
}

int reconcile_verified_policy(Journal *j, const char *in_sync_sha256, uint64_t in_sync_usec,
			      const char *ns_name, NftTable **ret)
{
	_cleanup_free_ char *sha = NULL;
	uint64_t usec = 0;
	int r;

	*ret = NULL;
	if (!j)
		return 0;
	r = journal_last_verified(j, ns_name, &sha, &usec);
	if (r < 0 && r != -ENOENT)
		return r;
	/* A later run found every namespace in sync with its document. */
	if (in_sync_sha256 && (r == -ENOENT || in_sync_usec > usec) &&
	    policy_of(j, in_sync_sha256, ns_name, ret) >= 0)
		return 0;
	if (sha && policy_of(j, sha, ns_name, ret) >= 0)
		return 0;
	*ret = NULL;
	return 0;
}
