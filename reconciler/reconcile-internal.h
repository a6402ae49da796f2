/* SPDX-License-Identifier: MIT */
/*
 * The state of one reconcile_run() (reconcile.c), shared with the part
 * that acts on a namespace's plan (reconcile-apply.c).
 */
#pragma once

#include "reconcile.h"

typedef struct Run {
	const Desired *desired;
	Journal *journal;
	const ReconcileOptions *opts;
	const ReconcileHooks *hooks;
	void *userdata;
	ObserveContext oc;
	char *digest;       /* hex sha256 of the desired state */
	char *in_sync_mark; /* digest of the last all-in-sync run, or NULL */
	uint64_t in_sync_usec; /* when that mark was set */
	bool history_lost;     /* see ReconcileOptions; also set when the journal fails */
	bool desired_stored;   /* the document is in the journal */
	ReconcileReport *report;
} Run;

static inline bool dry_run(const Run *run)
{
	return run->opts->mode == RECONCILE_DRY_RUN;
}

/* A journal write failed. The journal is dropped for the rest of the run
 * (a half-written journal is worse than none) and the run goes on: the
 * kernel side never depends on it. */
void reconcile_journal_failed(Run *run, int r, const char *what);

/* Records the run's desired-state document in the journal, once a run,
 * for later rollbacks (reconcile-verified.c). */
void reconcile_store_desired(Run *run);

/* Applies rep's plan in one transaction and verifies the result (drift in
 * rep is journaled as repaired); rep's outcome and error say how it went.
 * -errno only for what is no outcome of the namespace. */
int reconcile_apply_one(Run *run, NamespaceReport *rep, const Namespace *ns, Netns **netns,
			Birthplace *bp);
/* Answers rep's drift by locking the namespace down (drift.action
 * "lockdown", or re-asserting a drift lockdown). */
int reconcile_lockdown_one(Run *run, NamespaceReport *rep, Netns **netns);
/* Answers rep's drift by journaling and reporting it only (drift.action
 * "alert"). */
int reconcile_alert_one(Run *run, NamespaceReport *rep);
