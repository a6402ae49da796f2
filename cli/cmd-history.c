/* SPDX-License-Identifier: MIT */
/* vpnconf history | show TXN: the journal, read-only. */
#include "log.h"
#include "vpnconf.h"

static int open_journal(Journal **ret, bool *ret_missing)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	DesiredErrors errors = {};
	int r;

	/* The journal is worth reading even when the desired state is
	 * broken: fall back to the default paths then. */
	r = desired_load(arg_config, &errors, &d);
	desired_errors_clear(&errors);
	if (r < 0)
		d = desired_defaults();
	r = journal_open(state_dir_of(d), true, ret);
	*ret_missing = r == -ENOENT;
	if (r < 0 && r != -ENOENT)
		return log_errno(r, "Failed to open the journal in %s", state_dir_of(d));
	return 0;
}

static json_t *txn_json(const TxnRecord *t)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", json_string(t->id));
	json_object_set_new(j, "trigger", json_string_or_null(t->trigger));
	json_object_set_new(j, "command", json_string_or_null(t->command));
	json_object_set_new(j, "namespace", json_string_or_null(t->namespace));
	json_object_set_new(j, "desiredSha256", json_string_or_null(t->desired_sha256));
	json_object_set_new(j, "started", json_integer((json_int_t)t->started_usec));
	json_object_set_new(j, "finished", t->finished_usec ? json_integer((json_int_t)t->finished_usec) : json_null());
	json_object_set_new(j, "outcome", json_string(txn_outcome_to_string(t->outcome)));
	json_object_set_new(j, "summary", json_string_or_null(t->summary));
	json_object_set_new(j, "steps", json_integer(t->n_steps));
	return j;
}

int verb_history(int argc, char **argv)
{
	_cleanup_(journal_closep) Journal *j = NULL;
	TxnRecord *t = NULL;
	size_t n = 0;
	bool missing;
	int r;

	r = open_journal(&j, &missing);
	if (r < 0)
		return EXIT_FAIL;
	if (!missing) {
		r = journal_list_txns(j, arg_namespace, arg_limit, &t, &n);
		if (r < 0)
			return log_errno(r, "Failed to read the journal"), EXIT_FAIL;
	}
	if (arg_json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, txn_json(&t[i]));
		json_print(json_pack("{s:o}", "transactions", a));
	} else if (n == 0)
		printf("no transactions recorded\n");
	else {
		printf("%-19s  %-8s  %-16s  %-9s  %-10s  %-12s  %5s  %s\n", "TIME", "ID", "NAMESPACE",
		       "COMMAND", "TRIGGER", "OUTCOME", "STEPS", "SUMMARY");
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *when = format_time(t[i].started_usec);
			_cleanup_free_ char *summary = xstrdup(strempty(t[i].summary));
			char *nl = strchr(summary, '\n');

			if (nl)
				strcpy(nl, " ...");
			printf("%-19s  %.8s  %-16s  %-9s  %-10s  %-12s  %5u  %s\n", when, t[i].id,
			       t[i].namespace ?: "-", strempty(t[i].command), strempty(t[i].trigger),
			       txn_outcome_to_string(t[i].outcome), t[i].n_steps, summary);
		}
	}
	txn_records_free(t, n);
	return EXIT_OK;
}

int verb_show(int argc, char **argv)
{
	_cleanup_(journal_closep) Journal *j = NULL;
	TxnRecord t = {};
	StepRecord *s = NULL;
	size_t n = 0;
	bool missing;
	int r;

	r = open_journal(&j, &missing);
	if (r < 0)
		return EXIT_FAIL;
	if (missing) {
		log_error("no journal yet: no transaction %s", argv[0]);
		return EXIT_FAIL;
	}
	r = journal_get_txn(j, argv[0], &t, &s, &n);
	if (r == -ENOENT) {
		log_error("no transaction %s", argv[0]);
		return EXIT_FAIL;
	}
	if (r == -EADDRNOTAVAIL) {
		log_error("%s matches more than one transaction; give more characters", argv[0]);
		return EXIT_FAIL;
	}
	if (r == -EINVAL) {
		log_error("%s is not a transaction id: give the id or a prefix of at least 4 of its "
			  "characters", argv[0]);
		return EXIT_FAIL;
	}
	if (r < 0)
		return log_errno(r, "Failed to read the journal"), EXIT_FAIL;

	if (arg_json) {
		json_t *o = txn_json(&t), *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
				a, json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:I, s:I}",
					     "seq", (json_int_t)s[i].seq, "namespace", s[i].namespace,
					     "object", s[i].object, "action", s[i].action, "before",
					     s[i].before, "after", s[i].after, "inverse", s[i].inverse,
					     "status", step_status_to_string(s[i].status), "error",
					     s[i].error, "started", (json_int_t)s[i].started_usec,
					     "finished", (json_int_t)s[i].finished_usec));
		json_object_set_new(o, "stepList", a);
		json_print(o);
	} else {
		_cleanup_free_ char *start = format_time(t.started_usec), *end = format_time(t.finished_usec);

		printf("transaction %s\n", t.id);
		printf("  command:   %s (trigger %s)\n", strempty(t.command), strempty(t.trigger));
		printf("  namespace: %s\n", t.namespace ?: "-");
		printf("  desired:   sha256 %s\n", t.desired_sha256 ?: "-");
		printf("  started:   %s\n  finished:  %s\n", start, end);
		printf("  outcome:   %s\n", txn_outcome_to_string(t.outcome));
		if (t.summary)
			printf("  summary:   %s\n", t.summary);
		for (size_t i = 0; i < n; i++) {
			printf("  %3u. [%s] %s %s", s[i].seq + 1, step_status_to_string(s[i].status),
			       strempty(s[i].action), strempty(s[i].object));
			if (s[i].before || s[i].after)
				printf(" (%s -> %s)", s[i].before ?: "none", s[i].after ?: "none");
			putchar('\n');
			if (s[i].inverse)
				printf("       inverse: %s\n", s[i].inverse);
			if (s[i].error)
				printf("       error: %s\n", s[i].error);
		}
	}
	txn_record_done(&t);
	step_records_free(s, n);
	return EXIT_OK;
}
