/* SPDX-License-Identifier: MIT */
/*
 * Acting on one namespace's plan (see reconcile.h), once reconcile.c has
 * observed, planned and decided: applying the plan in one journaled
 * transaction and verifying by a fresh observation that nothing is left
 * to do (or, for a teardown, that nothing of the namespace remains); or
 * answering drift as drift.action says, by a lockdown or an alert. Every
 * transaction journals the drift it answers before anything is written.
 */
#include "reconcile-internal.h"

static void txn_begin(Run *run, const char *command, NamespaceReport *rep)
{
	int r;

	rep->txn_id[0] = 0;
	if (!run->journal)
		return;
	r = journal_txn_begin(run->journal, run->opts->trigger, command, rep->name, run->digest,
			      rep->txn_id);
	if (r < 0) {
		rep->txn_id[0] = 0;
		reconcile_journal_failed(run, r, "starting a transaction");
	}
}

static void txn_finish(Run *run, NamespaceReport *rep, TxnOutcome outcome, const char *summary)
{
	int r;

	if (!run->journal || !rep->txn_id[0])
		return;
	r = journal_txn_finish(run->journal, rep->txn_id, outcome, summary);
	if (r < 0)
		reconcile_journal_failed(run, r, "finishing a transaction");
}

static TxnOutcome txn_outcome_of(NamespaceOutcome o)
{
	switch (o) {
	case NS_APPLIED:
	case NS_TORN_DOWN:
		return TXN_APPLIED;
	case NS_IN_SYNC:
		return TXN_IN_SYNC;
	case NS_ROLLED_BACK:
		return TXN_ROLLED_BACK;
	case NS_LOCKED_DOWN:
		return TXN_LOCKDOWN;
	case NS_PENDING:
	case NS_DRIFT_ALERT:
	case NS_FAILED:
	case _NS_OUTCOME_MAX:
	case _NS_OUTCOME_INVALID:
		break;
	}
	return TXN_FAILED;
}

/* Journals the drift that the plan of rep answers, as part of its
 * transaction, and reports it. */
static void record_drift(Run *run, NamespaceReport *rep, const char *action)
{
	_cleanup_strv_free_ char **lines = NULL;
	int r;

	for (size_t i = 0; i < rep->plan.n; i++) {
		const Step *s = rep->plan.steps[i];
		_cleanup_free_ char *d = NULL;

		if (!s->reasons) /* a consequence of another step, no difference */
			continue;
		d = strv_join(s->reasons, "; ");
		STRV_FOREACH(l, s->reasons)
		strv_push(&lines, *l);
		if (!run->journal || !rep->txn_id[0])
			continue;
		r = journal_record_drift(run->journal, rep->txn_id, rep->name, s->object, d, action);
		if (r < 0)
			reconcile_journal_failed(run, r, "recording drift");
	}
	if (run->hooks && run->hooks->drift)
		run->hooks->drift(rep->name, rep->txn_id[0] ? rep->txn_id : NULL, lines, action,
				  run->userdata);
}

static char *drift_summary(const NamespaceReport *rep, const char *what)
{
	_cleanup_strv_free_ char **lines = NULL;
	_cleanup_free_ char *j = NULL;

	for (size_t i = 0; i < rep->plan.n; i++)
		STRV_FOREACH(l, rep->plan.steps[i]->reasons)
	strv_push(&lines, *l);
	j = strv_join(lines, "; ");
	return xasprintf("drift %s: %s", what, j);
}

static int verify(Run *run, const char *name, const Namespace *ns, bool teardown, char **ret_error)
{
	_cleanup_(observed_done) Observed have = {};
	_cleanup_(netns_freep) Netns *n = NULL;
	_cleanup_(plan_done) Plan plan = {};
	_cleanup_strv_free_ char **ignored = NULL;
	Birthplace *bp = NULL;
	int r;

	/* Links of the host and birthplace namespaces changed: re-read. */
	link_snapshot_done(&run->oc.self_place.links);
	run->oc.self_place.links_valid = false;
	FOREACH_ARRAY(b, run->oc.places, run->oc.n_places)
	{
		link_snapshot_done(&b->links);
		b->links_valid = false;
	}
	/* now 0: a handshake cannot have happened yet, that is no failure. */
	r = reconcile_observe_plan(&run->oc, run->desired, name, ns, teardown, 0, NULL, &ignored,
				   &have, &n, &bp, &plan, ret_error);
	if (r < 0)
		return r;
	/* A namespace someone else holds under that name is theirs to keep. */
	if (teardown && have.netns_state != NETNS_ABSENT && have.owned) {
		*ret_error = xasprintf("verify: namespace %s still present", name);
		return -EBUSY;
	}
	/* A teardown is complete when it returns: whatever a teardown plan
	 * would still remove (the host end of the link, pinning, files) is a
	 * leftover. */
	if (plan.n > 0) {
		_cleanup_strv_free_ char **lines = NULL;
		_cleanup_free_ char *j = NULL;

		for (size_t i = 0; i < plan.n; i++)
			strv_consume(&lines, step_describe(plan.steps[i]));
		j = strv_join(lines, "; ");
		*ret_error = teardown ? xasprintf("verify: %zu object(s) of the namespace remain "
						  "after the teardown: %s",
						  plan.n, j)
				      : xasprintf("verify: %zu difference(s) remain after applying: %s",
						  plan.n, j);
		return -EBUSY;
	}
	return 0;
}

void reconcile_store_desired(Run *run)
{
	const Desired *d = run->desired;
	int r;

	if (!run->journal || !d->text || run->desired_stored)
		return;
	r = journal_desired_store(run->journal, run->digest, d->text, d->text_size);
	if (r < 0 && r != -EOPNOTSUPP) {
		reconcile_journal_failed(run, r, "recording the desired state");
		return;
	}
	run->desired_stored = true;
}

int reconcile_apply_one(Run *run, NamespaceReport *rep, const Namespace *ns, Netns **netns,
			Birthplace *bp)
{
	_cleanup_(apply_result_done) ApplyResult res = {};
	const char *command = run->opts->mode == RECONCILE_TEARDOWN ? "down" : "reconcile";
	_cleanup_free_ char *summary = NULL;
	int r;

	txn_begin(run, command, rep);
	reconcile_store_desired(run);
	if (rep->drift)
		record_drift(run, rep, "repair");
	/* Hostname endpoints were resolved in the socket namespace, by its
	 * resolver: outside the strict-DNS guarantee, and journaled as such. */
	STRV_FOREACH(line, run->report->resolved)
	if (startswith(*line, rep->name) && (*line)[strlen(rep->name)] == ':') {
		_cleanup_free_ char *after = xasprintf("%s, outside the strict-DNS guarantee",
						       *line + strlen(rep->name) + 2);
		StepRecord rec = {.namespace = rep->name,
				  .object = "hostname endpoint",
				  .action = "resolve",
				  .after = after};
		int64_t id;

		if (!run->journal || !rep->txn_id[0])
			continue;
		r = journal_step_begin(run->journal, rep->txn_id, &rec, &id);
		if (r >= 0)
			r = journal_step_finish(run->journal, id, STEP_DONE, NULL);
		if (r < 0)
			reconcile_journal_failed(run, r, "recording a resolution");
	}

	ApplyContext ac = {
		.desired = run->desired,
		.self = run->oc.self,
		.birthplace = bp ? bp->netns : NULL,
		.ns = netns,
		.repair = rep->drift,
		.journal = rep->txn_id[0] ? run->journal : NULL,
		.txn_id = rep->txn_id,
		.hooks = run->hooks ? &run->hooks->apply : NULL,
		.userdata = run->userdata,
	};
	r = apply_plan(&ac, &rep->plan, !rep->teardown, &res);
	if (ac.journal_error < 0)
		reconcile_journal_failed(run, ac.journal_error, "recording a step");
	if (r < 0)
		return r;

	switch (res.outcome) {
	case APPLY_DONE:
		rep->outcome = rep->teardown ? NS_TORN_DOWN : NS_APPLIED;
		r = verify(run, rep->name, ns, rep->teardown, &rep->error);
		if (r < 0) {
			rep->outcome = NS_FAILED;
			if (!rep->error)
				rep->error = xasprintf("verify: %s", strerror(-r));
		}
		break;
	case APPLY_ROLLED_BACK:
		rep->outcome = NS_ROLLED_BACK;
		rep->error = TAKE_PTR(res.error);
		break;
	case APPLY_LOCKED_DOWN:
		rep->outcome = NS_LOCKED_DOWN;
		rep->error = res.lockdown_error
				     ? xasprintf("%s; lockdown failed too: %s", res.error,
						 res.lockdown_error)
				     : TAKE_PTR(res.error);
		break;
	case APPLY_PARTIAL:
		rep->outcome = NS_FAILED;
		/* A repair is never undone: what it did holds, the policy
		 * first of all. */
		rep->error = rep->drift ? xasprintf("drift repaired in part (the policy is "
						    "vpnconf's): %s",
						    res.error)
					: TAKE_PTR(res.error);
		break;
	case _APPLY_OUTCOME_MAX:
	case _APPLY_OUTCOME_INVALID:
		return -EINVAL;
	}

	summary = rep->error   ? xstrdup(rep->error)
		  : rep->drift ? xasprintf("drift repaired, %zu step(s) applied", res.applied)
			       : xasprintf("%zu step(s) applied", res.applied);
	txn_finish(run, rep, txn_outcome_of(rep->outcome), summary);
	return 0;
}

int reconcile_lockdown_one(Run *run, NamespaceReport *rep, Netns **netns)
{
	_cleanup_free_ char *error = NULL;
	int r;

	txn_begin(run, "lockdown", rep);
	record_drift(run, rep, "lockdown");
	ApplyContext ac = {.desired = run->desired,
			   .self = run->oc.self,
			   .ns = netns,
			   .journal = rep->txn_id[0] ? run->journal : NULL,
			   .txn_id = rep->txn_id,
			   .hooks = run->hooks ? &run->hooks->apply : NULL,
			   .userdata = run->userdata};
	r = apply_lockdown(&ac, rep->name, &error);
	if (ac.journal_error < 0)
		reconcile_journal_failed(run, ac.journal_error, "recording the lockdown");
	rep->outcome = r < 0 ? NS_FAILED : NS_LOCKED_DOWN;
	/* A namespace re-asserting its drift lockdown already has its reason. */
	free(rep->error);
	rep->error = r < 0 ? xasprintf("lockdown: %s", error ?: strerror(-r))
			   : drift_summary(rep, "found; namespace locked down (drift.action lockdown)");
	txn_finish(run, rep, r < 0 ? TXN_FAILED : TXN_LOCKDOWN, rep->error);
	return 0;
}

int reconcile_alert_one(Run *run, NamespaceReport *rep)
{
	_cleanup_free_ char *summary = drift_summary(rep, "found, not repaired (drift.action alert)");

	txn_begin(run, "reconcile", rep);
	record_drift(run, rep, "alert");
	rep->outcome = NS_DRIFT_ALERT;
	rep->error = xstrdup(summary);
	txn_finish(run, rep, TXN_DRIFT, summary);
	return 0;
}
