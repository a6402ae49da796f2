/* SPDX-License-Identifier: MIT */
/*
 * Applying a plan, journaled: each step is written to the journal (with
 * its inverse) before it runs and marked after the kernel acknowledged
 * it. When a step fails, the applied steps are undone in reverse order,
 * each undo journaled too. If an undo fails, or a step cannot be undone,
 * the namespace is locked down: its policy is replaced by one that drops
 * everything but loopback.
 */
#pragma once

#include "desired.h"
#include "journal.h"
#include "netns.h"
#include "plan.h"

typedef struct ApplyHooks {
	void (*step_started)(const Step *s, bool undo, void *userdata);
	/* r < 0: failed, with message (never NULL then). */
	void (*step_finished)(const Step *s, bool undo, int r, const char *message,
			      void *userdata);
} ApplyHooks;

typedef struct ApplyContext {
	const Desired *desired;
	Netns *self;       /* the namespace vpnconf runs in */
	Netns *birthplace; /* the tunnel's socket namespace (may be self) */
	Netns **ns;        /* the confinement namespace; set by NETNS_CREATE,
			    * cleared by NETNS_DELETE */
	/* The plan repairs drift: a failure never rolls back towards the
	 * drifted state (see apply_plan()). */
	bool repair;
	Journal *journal;  /* NULL: not journaled (tests, or an unusable journal) */
	const char *txn_id;
	/* The first journal error; the journal is then set to NULL and the
	 * plan goes on unjournaled: the kernel side never waits for it. */
	int journal_error;
	const ApplyHooks *hooks;
	void *userdata;
} ApplyContext;

typedef enum ApplyOutcome {
	APPLY_DONE,        /* every step succeeded */
	APPLY_ROLLED_BACK, /* a step failed; every applied step was undone */
	APPLY_LOCKED_DOWN, /* a step failed and the namespace was locked down */
	APPLY_PARTIAL,     /* teardown, or a repair past its policy: some steps
			    * failed, the others ran */
	_APPLY_OUTCOME_MAX,
	_APPLY_OUTCOME_INVALID = -EINVAL,
} ApplyOutcome;

typedef struct ApplyResult {
	ApplyOutcome outcome;
	size_t applied;  /* steps that succeeded */
	size_t failed;   /* steps that failed */
	char *error;     /* the first failure, "<step>: <reason>" */
	char *lockdown_error; /* set when even the lockdown failed */
} ApplyResult;

void apply_result_done(ApplyResult *r);

/* Runs the plan. With rollback, the first failure stops it and undoes
 * the applied steps; without (teardown), every step is attempted.
 * A repair (c->repair) is never undone, which would restore the drift:
 * a failure up to and including the policy (the namespace's protective
 * steps: sysctls, the policy table, the conntrack flush) stops it and
 * locks the namespace down; a failure after them leaves the repaired
 * policy in place and every later step is still attempted
 * (APPLY_PARTIAL). A rollback whose undo of the policy installs the
 * lockdown table (the inverse rule, plan_policy_inverse()) ends locked
 * down, not rolled back.
 * Returns 0 when the plan ran to one of the outcomes above; a journal
 * that fails on the way does not stop it (c->journal_error). */
int apply_plan(ApplyContext *c, const Plan *p, bool rollback, ApplyResult *ret);

/* Replaces the namespace policy with the lockdown table (journaled). */
int apply_lockdown(ApplyContext *c, const char *ns_name, char **ret_error);

/* Executes a single step, without journaling. On failure *ret_message
 * says why, with context. */
int step_execute(ApplyContext *c, const Step *s, char **ret_message);
