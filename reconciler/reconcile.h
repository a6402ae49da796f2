/* SPDX-License-Identifier: MIT */
/*
 * The reconcile loop: for every namespace of the desired state, observe,
 * plan, apply (journaled, with rollback), verify; tear down namespaces
 * vpnconf created that are no longer desired; detect drift and act on it
 * as drift.action says. One reconcile at a time (a lock file in the
 * runtime directory). A run that finds an unfinished transaction of a
 * crashed run records it as interrupted and converges from what it
 * observes, never by replaying.
 *
 * The loop does not print: it reports through hooks and a report struct,
 * and the CLI turns both into stderr lines, journald entries and exit
 * codes.
 */
#pragma once

#include "apply.h"
#include "desired.h"
#include "journal.h"
#include "observe.h"
#include "plan.h"

typedef enum NamespaceOutcome {
	NS_IN_SYNC,      /* nothing to do */
	NS_PENDING,      /* dry run: changes would be made */
	NS_APPLIED,      /* changes applied and verified */
	NS_ROLLED_BACK,  /* a step failed, applied steps undone */
	NS_LOCKED_DOWN,  /* rollback impossible or drift action: locked down */
	NS_DRIFT_ALERT,  /* drift found and only reported (drift.action alert) */
	NS_TORN_DOWN,    /* no longer desired (or down): removed */
	NS_FAILED,       /* could not observe/plan/apply/verify */
	_NS_OUTCOME_MAX,
	_NS_OUTCOME_INVALID = -EINVAL,
} NamespaceOutcome;

const char *namespace_outcome_to_string(NamespaceOutcome o);

typedef struct NamespaceReport {
	char *name;
	NamespaceOutcome outcome;
	Plan plan;          /* what was (or would be) done */
	bool drift;         /* the differences are drift, not a desired change */
	bool teardown;
	char txn_id[TXN_ID_STRLEN]; /* "" when no transaction was recorded */
	char *error;
	/* The managed tunnel's peers' health as observed before acting
	 * (health.h; desired order), and when it can next change by time
	 * alone (CLOCK_REALTIME µs; 0: not by time): the agent's timer. */
	PeerHealth *health;
	size_t n_health;
	uint64_t health_next_usec;
} NamespaceReport;

typedef struct ReconcileReport {
	NamespaceReport *namespaces;
	size_t n;
	char **interrupted; /* ids of crashed transactions found and closed */
	char **resolved;    /* hostname endpoints resolved ("host -> addr") */
	/* The journal failed during the run ("<what>: <error>"); everything
	 * from then on ran unjournaled. NULL when it did not. */
	char *journal_error;
} ReconcileReport;

void reconcile_report_done(ReconcileReport *r);

typedef enum ReconcileMode {
	RECONCILE_APPLY,    /* reconcile */
	RECONCILE_DRY_RUN,  /* plan: observe and plan only; no lock, no journal writes */
	RECONCILE_TEARDOWN, /* down NAME */
	_RECONCILE_MODE_MAX,
	_RECONCILE_MODE_INVALID = -EINVAL,
} ReconcileMode;

typedef struct ReconcileOptions {
	ReconcileMode mode;
	const char *only_namespace; /* NULL: all */
	/* Only these namespaces (a strv; NULL: no restriction). Owned
	 * namespaces no longer desired are torn down only when listed. */
	char *const *only_namespaces;
	const char *trigger;        /* "cli", "activation", "timer", "boot", ... */
	unsigned lock_timeout_ms;
	/* Repair namespaces that drift.action "lockdown" locked down; without
	 * it they stay locked down until the desired state changes. */
	bool unlock;
	/* The journal's history is lost (no journal could be opened, or a
	 * damaged one was moved aside and this one is new): differences in an
	 * existing namespace cannot be told from a desired change, and are
	 * handled as drift (drift.action decides). */
	bool history_lost;
} ReconcileOptions;

typedef struct ReconcileHooks {
	ApplyHooks apply;
	/* A namespace's plan is ready (before anything is applied). */
	void (*planned)(const NamespaceReport *r, void *userdata);
	/* Drift found in a namespace that was in sync; txn is the
	 * transaction that answers it (NULL without a journal). */
	void (*drift)(const char *ns, const char *txn, char *const *differences,
		      const char *action, void *userdata);
	/* A namespace finished, with its outcome. */
	void (*finished)(const NamespaceReport *r, void *userdata);
	/* A journal write failed; the run goes on without the journal. */
	void (*journal_failed)(const char *error, void *userdata);
} ReconcileHooks;

/* Runs a reconcile (or dry run, or teardown) of d. journal may be NULL:
 * nothing is recorded then (a dry run, or a journal that cannot be
 * opened). A journal that fails during the run is dropped, and the run
 * goes on unjournaled: repairs, lockdowns and teardowns must not depend on
 * the journal being writable (report->journal_error says so). Returns < 0
 * for failures that stop the whole run (lock busy: -EBUSY); per-namespace
 * failures are in the report. */
int reconcile_run(const Desired *d, Journal *journal, const ReconcileOptions *o,
		  const ReconcileHooks *hooks, void *userdata, ReconcileReport *ret);

typedef struct VerifiedTables {
	NftTable *policy;
	NftTable *pin;
	NftTable *host;
} VerifiedTables;

/* Observes namespace name and plans its convergence (or, with teardown,
 * its removal): what reconcile, plan and status share. Hostname endpoints
 * resolved on the way are appended to *resolved_log. now_usec feeds the
 * handshake liveness check (0: skip it). On failure
 * *ret_error says what failed. */
int reconcile_observe_plan(ObserveContext *oc, const Desired *d, const char *name,
			   const Namespace *ns, bool teardown, uint64_t now_usec,
			   const VerifiedTables *verified, char ***resolved_log, Observed *have,
			   Netns **ret_netns, Birthplace **ret_bp, Plan *ret_plan, char **ret_error);

/* The policy, pinning and host-side tables vpnconf built for the desired state
 * namespace ns_name was last verified against (its last applied
 * reconcile, or the run-wide in-sync mark when newer), rebuilt from the
 * document the journal recorded: what a rollback may put back
 * (PlanInput.verified_policy, .verified_pin, .verified_host). Members are NULL when none
 * is known; < 0 only for journal errors. */
int reconcile_verified_tables(Journal *j, const char *in_sync_sha256, uint64_t in_sync_usec,
			      const char *ns_name, VerifiedTables *ret);
/* The same, taking the tables of a document whose sha256 is current_sha256
 * from current (already parsed and validated: the same bytes) instead of
 * parsing the journal's copy again: most namespaces were last verified
 * against the desired state being reconciled. */
int reconcile_verified_tables_with(Journal *j, const Desired *current, const char *current_sha256,
				   const char *in_sync_sha256, uint64_t in_sync_usec,
				   const char *ns_name, VerifiedTables *ret);
void verified_tables_done(VerifiedTables *v);

/* The lock: <runtime_dir>/.lock, flock()ed, waiting up to timeout_ms.
 * -EBUSY when another reconcile holds it, -ENOLCK when something other
 * than a regular file (a FIFO, a link...) is in its place. Returns the
 * fd. */
int reconcile_lock(const char *runtime_dir, unsigned timeout_ms);

/* Before any kernel change: key files exist, and in highAssurance are not
 * group- or world-readable. With generate, generatePrivateKeyFile creates
 * a missing private key file (without, a missing one is accepted). Appends
 * errors naming the JSON path to errors and returns -EINVAL if any. */
int reconcile_check_keys(const Desired *d, bool generate, DesiredErrors *errors);

/* Fills ns->pf.lease_port, for a namespace whose port is leased by NAT-PMP,
 * from the lease file under runtime_dir (pf-lease.h): the port of a lease
 * that has not expired, else 0. The policy's forwarded sets are built from
 * it, so that a reconcile neither removes a granted port as drift nor
 * keeps one after its lease expired. */
void reconcile_namespace_with_lease(Namespace *ns, const char *runtime_dir);
/* A NAT-PMP lease of ns that expired with nobody renewing it (no agent):
 * its port is removed from the forwarded sets (one element transaction),
 * the lease files removed, as a journaled port-forward transaction. For
 * a reconcile about to plan ns, under the lock. Returns 1 when it closed
 * one, 0 when there was nothing to do, -errno when the files could not
 * be removed. */
int reconcile_expire_lease(const Desired *d, Journal *j, const char *digest, const Namespace *ns);
