/* SPDX-License-Identifier: MIT */
/*
 * vpnconf plan | reconcile | down NAME: one reconcile loop, three modes.
 * Progress goes to stderr as each step runs; the result per namespace to
 * stdout (or as JSON); alarms to the journal.
 */
#include <fcntl.h>
#include <sys/file.h>

#include "log.h"
#include "paths.h"
#include "reconcile.h"
#include "vpnconf.h"

static const char *step_symbol(const Step *s)
{
	switch (s->kind) {
	case STEP_NETNS_CREATE:
	case STEP_HOSTLINK_CREATE:
	case STEP_TUNNEL_CREATE:
	case STEP_ADDR_ADD:
	case STEP_ROUTE_ADD:
	case STEP_FILE_WRITE:
		return "+";
	case STEP_NETNS_DELETE:
	case STEP_PLACEHOLDER_REMOVE:
	case STEP_NFT_DELETE:
	case STEP_LINK_DELETE:
	case STEP_LINKS_DELETE:
	case STEP_ADDR_DEL:
	case STEP_ROUTE_DEL:
	case STEP_FILE_REMOVE:
		return "-";
	case STEP_SYSCTL_SET:
	case STEP_CONNTRACK_FLUSH:
	case STEP_NFT_REPLACE:
	case STEP_TUNNEL_CONFIGURE:
	case STEP_LINK_ALIAS:
	case STEP_LINK_UP:
	case STEP_LINK_DOWN:
	case STEP_LINK_MTU:
	case _STEP_KIND_MAX:
	case _STEP_KIND_INVALID:
		break;
	}
	return "~";
}

static void print_step(FILE *f, const Step *s, bool reasons)
{
	fprintf(f, "  %s %s %s", step_symbol(s), s->action, s->object);
	if (s->before || s->after)
		fprintf(f, " (%s%s%s)", strempty(s->before), s->before && s->after ? " -> " : "",
			strempty(s->after));
	fputc('\n', f);
	if (s->conflict)
		fprintf(f, "      conflict: %s\n", s->conflict);
	else if (reasons)
		STRV_FOREACH(r, s->reasons)
	fprintf(f, "      %s\n", *r);
}

static json_t *step_json(const Step *s)
{
	json_t *j = json_object();

	json_object_set_new(j, "kind", json_string(step_kind_to_string(s->kind)));
	json_object_set_new(j, "site", json_string(step_site_to_string(s->site)));
	json_object_set_new(j, "action", json_string(s->action));
	json_object_set_new(j, "object", json_string(s->object));
	json_object_set_new(j, "before", json_string_or_null(s->before));
	json_object_set_new(j, "after", json_string_or_null(s->after));
	json_object_set_new(j, "reasons", json_strv(s->reasons));
	json_object_set_new(j, "conflict", json_string_or_null(s->conflict));
	return j;
}

static json_t *report_json(const ReconcileReport *r)
{
	json_t *root = json_object(), *a = json_array();

	FOREACH_ARRAY(n, r->namespaces, r->n)
	{
		json_t *j = json_object(), *steps = json_array();

		json_object_set_new(j, "name", json_string(n->name));
		json_object_set_new(j, "outcome", json_string(namespace_outcome_to_string(n->outcome)));
		json_object_set_new(j, "teardown", json_boolean(n->teardown));
		json_object_set_new(j, "drift", json_boolean(n->drift));
		json_object_set_new(j, "transaction", json_string_or_null(n->txn_id[0] ? n->txn_id : NULL));
		json_object_set_new(j, "error", json_string_or_null(n->error));
		for (size_t i = 0; i < n->plan.n; i++)
			json_array_append_new(steps, step_json(n->plan.steps[i]));
		json_object_set_new(j, "steps", steps);
		json_object_set_new(j, "notes", json_strv(n->plan.notes));
		json_array_append_new(a, j);
	}
	json_object_set_new(root, "namespaces", a);
	json_object_set_new(root, "interrupted", json_strv(r->interrupted));
	json_object_set_new(root, "resolved", json_strv(r->resolved));
	return root;
}

/* Hooks: progress on stderr, alarms in the journal. */

static void on_step_finished(const Step *s, bool undo, int r, const char *message, void *u)
{
	if (r < 0)
		log_error("%s: %s%s %s: FAILED: %s", s->namespace, undo ? "rollback: " : "", s->action,
			  s->object, message);
	else
		log_info("%s: %s%s %s", s->namespace, undo ? "rollback: " : "", s->action, s->object);
}

static void on_drift(const char *ns, const char *txn, char *const *differences,
		     const char *action, void *u)
{
	_cleanup_free_ char *j = strv_join(differences, "; ");

	log_warning("%s: drift from the desired state (action: %s): %s", ns, action, j);
	/* With its transaction, so that "vpnconf show TXN" finds the steps
	 * that answered it. */
	log_event(LOG_WARNING, VPNCONF_MESSAGE_DRIFT, ns, txn, "drift",
		  "vpnconf: namespace %s drifted from its desired state (action %s): %s", ns, action,
		  j);
}

static void on_finished(const NamespaceReport *n, void *u)
{
	const char *txn = n->txn_id[0] ? n->txn_id : NULL;

	switch (n->outcome) {
	case NS_APPLIED:
		log_event(LOG_NOTICE, VPNCONF_MESSAGE_APPLIED, n->name, txn, "applied",
			  "vpnconf: namespace %s converged (%zu steps)", n->name, n->plan.n);
		break;
	case NS_TORN_DOWN:
		log_event(LOG_NOTICE, VPNCONF_MESSAGE_TORN_DOWN, n->name, txn, "torn-down",
			  "vpnconf: namespace %s torn down", n->name);
		break;
	case NS_ROLLED_BACK:
		log_event(LOG_ERR, VPNCONF_MESSAGE_ROLLED_BACK, n->name, txn, "rolled-back",
			  "vpnconf: namespace %s: change failed and was rolled back: %s", n->name,
			  strna(n->error));
		break;
	case NS_LOCKED_DOWN:
		log_error("%s: LOCKED DOWN: the namespace now drops everything but loopback: %s",
			  n->name, strna(n->error));
		log_event(LOG_CRIT, VPNCONF_MESSAGE_LOCKDOWN, n->name, txn, "lockdown",
			  "vpnconf: namespace %s locked down: %s", n->name, strna(n->error));
		break;
	case NS_FAILED:
		log_event(LOG_ERR, VPNCONF_MESSAGE_FAILED, n->name, txn, "failed",
			  "vpnconf: namespace %s: %s", n->name, strna(n->error));
		break;
	case NS_IN_SYNC:
	case NS_PENDING:
	case NS_DRIFT_ALERT:
	case _NS_OUTCOME_MAX:
	case _NS_OUTCOME_INVALID:
		break;
	}
	/* What was done about drift (its finding was reported by on_drift). */
	if (!n->drift)
		return;
	switch (n->outcome) {
	case NS_APPLIED:
		log_event(LOG_NOTICE, VPNCONF_MESSAGE_DRIFT_REPAIRED, n->name, txn, "drift-repaired",
			  "vpnconf: drift in namespace %s repaired", n->name);
		break;
	case NS_LOCKED_DOWN:
		log_event(LOG_CRIT, VPNCONF_MESSAGE_DRIFT_LOCKED_DOWN, n->name, txn, "drift-lockdown",
			  "vpnconf: namespace %s locked down in response to drift", n->name);
		break;
	case NS_DRIFT_ALERT:
		log_event(LOG_WARNING, VPNCONF_MESSAGE_DRIFT_ALERT, n->name, txn, "drift-alert",
			  "vpnconf: drift in namespace %s reported, not repaired", n->name);
		break;
	case NS_IN_SYNC:
	case NS_PENDING:
	case NS_TORN_DOWN:
	case NS_ROLLED_BACK:
	case NS_FAILED:
	case _NS_OUTCOME_MAX:
	case _NS_OUTCOME_INVALID:
		break;
	}
}

static void journal_unusable_alarm(const char *state_dir, const char *error)
{
	log_error("JOURNAL UNUSABLE (%s/%s): %s; going on WITHOUT a journal: repairs, lockdowns "
		  "and teardowns still run, but what is done is not recorded",
		  state_dir, JOURNAL_FILE, error);
	log_event(LOG_CRIT, VPNCONF_MESSAGE_JOURNAL_UNUSABLE, NULL, NULL, "journal-unusable",
		  "vpnconf: the journal %s/%s is unusable (%s); vpnconf goes on without it and "
		  "records nothing",
		  state_dir, JOURNAL_FILE, error);
}

static void on_journal_failed(const char *error, void *u)
{
	journal_unusable_alarm(u, error);
}

const ReconcileHooks reconcile_log_hooks = {
	.apply = {.step_finished = on_step_finished},
	.drift = on_drift,
	.finished = on_finished,
	.journal_failed = on_journal_failed,
};

/* Opens the journal of a command that changes the kernel. A damaged one
 * (not a database, corrupt, not a regular file) is moved aside and a new
 * one started, which records that; when no journal can be had (a full or
 * read-only file system, permissions, a state directory someone else could
 * write to: paths.h), *ret stays NULL and the command goes on without one:
 * protective actions must not depend on the journal. */
JournalState open_journal_for_writing(const char *state_dir, const char *digest,
					     Journal **ret)
{
	_cleanup_free_ char *aside = NULL, *error = NULL, *why = NULL;
	_cleanup_close_ int dfd = -EBADF;
	char id[TXN_ID_STRLEN];
	int r;

	*ret = NULL;
	if (paths_check_dir(state_dir, &why) < 0) {
		error = xasprintf("refusing the state directory: %s", why);
		journal_unusable_alarm(state_dir, error);
		return JOURNAL_NONE;
	}
	r = journal_open(state_dir, false, ret);
	if (r >= 0)
		return JOURNAL_USABLE;
	if (journal_error_is_damage(r)) {
		/* Two runs finding the same damage must not both move a
		 * journal aside (the second would move the first one's new
		 * journal): one at a time, and the second looks again. */
		dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd >= 0)
			(void)flock(dfd, LOCK_EX);
		r = journal_open(state_dir, false, ret);
		if (r >= 0)
			return JOURNAL_USABLE;
	}
	if (!journal_error_is_damage(r)) {
		error = xasprintf("cannot open it: %s", strerror(-r));
		journal_unusable_alarm(state_dir, error);
		return JOURNAL_NONE;
	}
	r = journal_move_aside(state_dir, &aside);
	if (r >= 0)
		r = journal_open(state_dir, false, ret);
	if (r < 0) {
		error = xasprintf("damaged, and no new journal could be started: %s", strerror(-r));
		journal_unusable_alarm(state_dir, error);
		return JOURNAL_NONE;
	}
	error = xasprintf("the journal %s/%s was damaged (not a readable database); it was moved "
			  "aside to %s/%s and a new journal started: the history before this "
			  "run is only in the old file",
			  state_dir, JOURNAL_FILE, state_dir, aside);
	log_error("%s", error);
	log_event(LOG_CRIT, VPNCONF_MESSAGE_JOURNAL_RESET, NULL, NULL, "journal-reset", "vpnconf: %s",
		  error);
	/* Recorded first thing in the new journal, as a transaction of its
	 * own: "vpnconf history" shows where the older history went. */
	r = journal_txn_begin(*ret, arg_trigger, "journal-reset", NULL, digest, id);
	if (r >= 0)
		r = journal_txn_finish(*ret, id, TXN_FAILED, error);
	if (r < 0) {
		*ret = journal_close(*ret);
		journal_unusable_alarm(state_dir, strerror(-r));
		return JOURNAL_NONE;
	}
	return JOURNAL_RESET;
}

static void print_plan_text(const ReconcileReport *r)
{
	FOREACH_ARRAY(n, r->namespaces, r->n)
	{
		if (n->error && n->plan.n == 0)
			printf("%s: error: %s\n", n->name, n->error);
		else if (n->plan.n == 0)
			printf("%s: in sync\n", n->name);
		else
			printf("%s: %zu change%s pending%s%s\n", n->name, n->plan.n,
			       n->plan.n == 1 ? "" : "s", n->teardown ? " (teardown)" : "",
			       n->drift ? " (drift)" : "");
		for (size_t i = 0; i < n->plan.n; i++)
			print_step(stdout, n->plan.steps[i], true);
		STRV_FOREACH(note, n->plan.notes)
		printf("  note: %s\n", *note);
	}
}

static void print_result_text(const ReconcileReport *r)
{
	STRV_FOREACH(id, r->interrupted)
	printf("recovered: transaction %s was interrupted; state re-observed\n", *id);
	FOREACH_ARRAY(n, r->namespaces, r->n)
	{
		const char *o = namespace_outcome_to_string(n->outcome);

		if (n->outcome == NS_IN_SYNC)
			printf("%s: in sync\n", n->name);
		else if (n->error)
			printf("%s: %s: %s (transaction %s)\n", n->name, o, n->error,
			       n->txn_id[0] ? n->txn_id : "-");
		else
			printf("%s: %s, %zu step%s (transaction %s)\n", n->name, o, n->plan.n,
			       n->plan.n == 1 ? "" : "s", n->txn_id[0] ? n->txn_id : "-");
		/* What a teardown left alone, and why. */
		if (n->teardown)
			STRV_FOREACH(note, n->plan.notes)
		printf("  note: %s\n", *note);
	}
}

static int exit_code_of(const ReconcileReport *r)
{
	int code = EXIT_OK;

	FOREACH_ARRAY(n, r->namespaces, r->n)
	switch (n->outcome) {
	case NS_IN_SYNC:
	case NS_APPLIED:
	case NS_TORN_DOWN:
		break;
	case NS_PENDING:
		if (code == EXIT_OK)
			code = EXIT_PENDING;
		break;
	case NS_ROLLED_BACK:
	case NS_LOCKED_DOWN:
	case NS_DRIFT_ALERT:
	case NS_FAILED:
	case _NS_OUTCOME_MAX:
	case _NS_OUTCOME_INVALID:
		code = EXIT_FAIL;
		break;
	}
	return code;
}

/* The runtime and namespace directories must be root's alone (paths.h):
 * vpnconf creates, replaces and removes files there. */
static bool directories_safe(const Desired *d)
{
	const struct {
		const char *key, *path;
	} dirs[] = {{"paths.runtimeDir", d->runtime_dir}, {"paths.netnsDir", d->netns_dir}};

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *why = NULL;

		if (paths_check_dir(dirs[i].path, &why) < 0) {
			log_error("refusing %s %s: %s; nothing was changed", dirs[i].key, dirs[i].path,
				  why);
			return false;
		}
	}
	return true;
}

static int run(ReconcileMode mode, const char *name)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	_cleanup_(journal_closep) Journal *j = NULL;
	_cleanup_(reconcile_report_done) ReconcileReport report = {};
	const char *command = mode == RECONCILE_DRY_RUN ? "plan" : mode == RECONCILE_TEARDOWN ? "down" : "reconcile";
	JournalState js = JOURNAL_USABLE;
	int r, code;

	if (mode == RECONCILE_TEARDOWN) {
		r = load_desired(command, false, false, &d);
		if (r != EXIT_OK) {
			log_warning("tearing %s down with the default paths", name);
			d = desired_defaults();
		}
	} else {
		r = load_desired(command, true, mode == RECONCILE_APPLY, &d);
		if (r != EXIT_OK)
			return r;
	}
	if (arg_state_dir) {
		free(d->state_dir);
		d->state_dir = xstrdup(arg_state_dir);
	}
	if (mode == RECONCILE_DRY_RUN)
		/* Read-only and optional: it only tells drift from change. */
		(void)journal_open(d->state_dir, true, &j);
	else {
		_cleanup_free_ char *digest = hexmem(d->digest, sizeof(d->digest));

		if (!directories_safe(d))
			return EXIT_FAIL;
		js = open_journal_for_writing(d->state_dir, digest, &j);
	}

	ReconcileOptions o = {
		.mode = mode,
		.only_namespace = name ?: arg_namespace,
		.trigger = arg_trigger,
		.lock_timeout_ms = arg_lock_timeout_ms,
		.unlock = arg_unlock,
		.history_lost = js != JOURNAL_USABLE,
	};
	r = reconcile_run(d, j, &o, mode == RECONCILE_DRY_RUN ? NULL : &reconcile_log_hooks, d->state_dir,
			  &report);
	if (r == -EBUSY) {
		log_error("another vpnconf reconcile is running (lock %s/.lock still held after %u ms); "
			  "try again later",
			  d->runtime_dir, arg_lock_timeout_ms);
		return EXIT_BUSY;
	}
	if (r == -ENOLCK) {
		log_error("cannot take the lock %s/.lock: it is not a regular file (a FIFO, a link, a "
			  "directory or a device is in its place); remove it",
			  d->runtime_dir);
		return EXIT_FAIL;
	}
	if (r < 0)
		return log_errno(r, "vpnconf %s failed", command), EXIT_FAIL;

	if (arg_namespace && report.n == 0) {
		log_error("no namespace %s in %s (and none left over by vpnconf)", arg_namespace,
			  arg_config);
		return EXIT_FAIL;
	}
	STRV_FOREACH(id, report.interrupted)
	log_event(LOG_WARNING, VPNCONF_MESSAGE_INTERRUPTED, NULL, *id, "interrupted",
		  "vpnconf: transaction %s was interrupted; the state was re-observed", *id);
	if (arg_json)
		json_print(report_json(&report));
	else if (mode == RECONCILE_DRY_RUN)
		print_plan_text(&report);
	else
		print_result_text(&report);
	if (mode == RECONCILE_TEARDOWN && report.n == 1 && report.namespaces[0].plan.n == 0 &&
	    report.namespaces[0].outcome == NS_TORN_DOWN && !arg_json)
		log_info("%s: nothing to tear down", name);
	code = exit_code_of(&report);
	if (js == JOURNAL_NONE || report.journal_error)
		log_error("this %s ran %s: the journal is unusable; what was done is not "
			  "(completely) recorded",
			  command, js == JOURNAL_NONE ? "UNJOURNALED" : "partly unjournaled");
	/* Done, but an operator must look at the journal: not success. */
	if (js != JOURNAL_USABLE || report.journal_error)
		if (code == EXIT_OK || code == EXIT_PENDING)
			code = EXIT_UNJOURNALED;
	return code;
}

int verb_plan(int argc, char **argv)
{
	return run(RECONCILE_DRY_RUN, NULL);
}

int verb_reconcile(int argc, char **argv)
{
	return run(RECONCILE_APPLY, NULL);
}

int verb_down(int argc, char **argv)
{
	if (!namespace_name_is_valid(argv[0])) {
		log_error("invalid namespace name: %s", argv[0]);
		return EXIT_USAGE;
	}
	return run(RECONCILE_TEARDOWN, argv[0]);
}
