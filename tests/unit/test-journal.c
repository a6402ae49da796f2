/* SPDX-License-Identifier: MIT */
/*
 * Tests of the state journal: schema migrations from every shipped
 * version, file modes, round trips of every record type, prefix lookups,
 * read-only opens and awkward strings (test-journal-process.c has the
 * tests with several processes). Every test works in its own temporary
 * directory.
 */
#include "test-journal.h"

TEST(outcome_and_status_strings)
{
	for (int i = 0; i < _TXN_OUTCOME_MAX; i++)
		ASSERT_EQ(txn_outcome_from_string(txn_outcome_to_string((TxnOutcome)i)), i);
	for (int i = 0; i < _STEP_STATUS_MAX; i++)
		ASSERT_EQ(step_status_from_string(step_status_to_string((StepStatus)i)), i);
	/* The partial index of migration 0002 spells it out. */
	ASSERT_STREQ(txn_outcome_to_string(TXN_RUNNING), "running");
	ASSERT_EQ(txn_outcome_from_string("bogus"), _TXN_OUTCOME_INVALID);
	ASSERT_EQ(step_status_from_string(NULL), _STEP_STATUS_INVALID);
	ASSERT_TRUE(txn_outcome_to_string(_TXN_OUTCOME_MAX) == NULL);
}

TEST(migrate_from_empty)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;

	ASSERT_TRUE(journal_migrations_count() >= 2);
	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_EQ(journal_schema_version(j), journal_migrations_count());
	j = journal_close(j);

	ASSERT_EQ(sql_int(dir, "PRAGMA user_version"), journal_migrations_count());
	ASSERT_EQ(sql_int(dir, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
			       "name IN ('txn', 'step', 'drift', 'in_sync')"),
		  4);
	ASSERT_EQ(sql_int(dir, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
			       "name IN ('txn_running', 'txn_started', 'drift_detected')"),
		  3);
	/* WAL is a property of the file: readers find it without a pragma. */
	ASSERT_EQ(sql_int(dir, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);

	/* Reopening an up-to-date database changes nothing. */
	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_EQ(journal_schema_version(j), journal_migrations_count());
}

#define FIXTURE_TXN "0123abcd-0000-4000-8000-000000000001"

/* Rows valid at each schema version, applied cumulatively. */
static const char *const fixtures[] = {
	[1] = "INSERT INTO txn VALUES ('" FIXTURE_TXN "', 'timer', 'reconcile', 'web', "
	      "'" SHA_A "', 1000, 2000, 'applied', 'fixture v1');"
	      "INSERT INTO step (txn_id, seq, namespace, object, action, before_state, "
	      "after_state, inverse, status, error, started_usec, finished_usec) VALUES "
	      "('" FIXTURE_TXN "', 0, 'web', 'link wg-web', 'create', NULL, 'up', 'delete', "
	      "'done', NULL, 1100, 1200);"
	      "INSERT INTO txn VALUES ('0123abce-0000-4000-8000-000000000002', 'boot', "
	      "'reconcile', NULL, NULL, 3000, NULL, 'running', NULL);"
	      "INSERT INTO drift (txn_id, detected_usec, namespace, object, description, action) "
	      "VALUES (NULL, 1500, 'web', 'nft table', 'rule added', 'repair');",
	[2] = "INSERT INTO in_sync VALUES (1, '" SHA_B "', 2500);",
	[3] = "INSERT INTO desired_text VALUES ('" SHA_X "', 'x', 2600);",
};

static void check_fixtures(Journal *j, unsigned version)
{
	_cleanup_free_ TxnRecord *none = NULL;
	TxnRecord t = {}, *list = NULL;
	StepRecord *steps = NULL;
	DriftRecord *drift = NULL;
	size_t n = 0, n_steps = 0;
	char *sha = NULL;
	uint64_t usec = 0;

	if (version < 1) {
		ASSERT_OK(journal_list_txns(j, NULL, 0, &none, &n));
		ASSERT_EQ(n, 0);
		return;
	}
	ASSERT_OK(journal_get_txn(j, "0123abcd", &t, &steps, &n_steps));
	ASSERT_STREQ(t.id, FIXTURE_TXN);
	ASSERT_STREQ(t.summary, "fixture v1");
	ASSERT_EQ(t.outcome, TXN_APPLIED);
	ASSERT_EQ(t.finished_usec, 2000);
	ASSERT_EQ(n_steps, 1);
	ASSERT_STREQ(steps[0].object, "link wg-web");
	ASSERT_TRUE(steps[0].before == NULL);
	ASSERT_EQ(steps[0].status, STEP_DONE);
	txn_record_done(&t);
	step_records_free(steps, n_steps);

	ASSERT_OK(journal_unfinished(j, &list, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(list[0].id, "0123abce-0000-4000-8000-000000000002");
	ASSERT_TRUE(list[0].namespace == NULL);
	txn_records_free(list, n);

	ASSERT_OK(journal_list_drift(j, "web", 0, &drift, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(drift[0].description, "rule added");
	ASSERT_STREQ(drift[0].txn_id, "");
	drift_records_free(drift, n);

	if (version < 2) {
		ASSERT_ERR(journal_get_in_sync(j, &sha, &usec), ENOENT);
		return;
	}
	ASSERT_OK(journal_get_in_sync(j, &sha, &usec));
	ASSERT_STREQ(sha, SHA_B);
	ASSERT_EQ(usec, 2500);
	free(sha);
	sha = NULL;

	ASSERT_OK(journal_last_verified(j, "web", &sha, &usec));
	ASSERT_STREQ(sha, SHA_A);
	ASSERT_EQ(usec, 2000);
	free(sha);
	sha = NULL;
	if (version < 3) {
		ASSERT_ERR(journal_desired_get(j, SHA_X, &sha, NULL), ENOENT);
		return;
	}
	ASSERT_OK(journal_desired_get(j, SHA_X, &sha, NULL));
	ASSERT_STREQ(sha, "x");
	free(sha);
}

TEST(migrate_from_every_version)
{
	unsigned latest = journal_migrations_count();

	ASSERT_EQ(ELEMENTSOF(fixtures), latest + 1);
	for (unsigned k = 0; k < latest; k++) {
		_cleanup_rm_rf_ char *dir = make_tmpdir();
		_cleanup_(journal_closep) Journal *j = NULL;

		ASSERT_OK(journal_open_unmigrated(dir, &j));
		ASSERT_EQ(journal_schema_version(j), 0);
		ASSERT_OK(journal_migrate_to(j, k));
		ASSERT_EQ(journal_schema_version(j), k);
		j = journal_close(j);
		ASSERT_EQ(sql_int(dir, "PRAGMA user_version"), k);
		for (unsigned v = 1; v <= k; v++)
			sql_exec(dir, fixtures[v]);

		/* A reader takes an older schema as it is. */
		if (k > 0) {
			ASSERT_OK(journal_open(dir, true, &j));
			ASSERT_EQ(journal_schema_version(j), k);
			check_fixtures(j, k);
			j = journal_close(j);
		} else
			ASSERT_ERR(journal_open(dir, true, &j), ENOENT);

		/* Odd versions migrate through journal_open, even ones through
		 * journal_migrate_to on an open handle. */
		if (k % 2)
			ASSERT_OK(journal_open(dir, false, &j));
		else {
			ASSERT_OK(journal_open_unmigrated(dir, &j));
			ASSERT_OK(journal_migrate_to(j, latest));
		}
		ASSERT_EQ(journal_schema_version(j), latest);
		check_fixtures(j, k);
		j = journal_close(j);
		ASSERT_EQ(sql_int(dir, "PRAGMA user_version"), latest);
		ASSERT_EQ(sql_int(dir, "SELECT integrity_check = 'ok' FROM pragma_integrity_check"),
			  1);
	}
}

TEST(migrate_rejects_bad_targets)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_ERR(journal_migrate_to(j, journal_migrations_count() + 1), EINVAL);
	/* Never downwards. */
	ASSERT_OK(journal_migrate_to(j, 1));
	ASSERT_EQ(journal_schema_version(j), journal_migrations_count());
	j = journal_close(j);

	ASSERT_OK(journal_open(dir, true, &j));
	ASSERT_ERR(journal_migrate_to(j, journal_migrations_count()), EROFS);
}

TEST(newer_schema_is_refused)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	_cleanup_free_ char *sql = NULL;

	ASSERT_OK(journal_open(dir, false, &j));
	j = journal_close(j);
	sql = xasprintf("PRAGMA user_version = %u", journal_migrations_count() + 1);
	sql_exec(dir, sql);
	ASSERT_ERR(journal_open(dir, false, &j), EPROTONOSUPPORT);
	ASSERT_ERR(journal_open(dir, true, &j), EPROTONOSUPPORT);
}

TEST(not_a_database)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = db_path(dir);
	_cleanup_(journal_closep) Journal *j = NULL;
	char junk[4096];

	memset(junk, 'x', sizeof(junk));
	ASSERT_OK(write_file_atomic(path, junk, sizeof(junk), 0600));
	ASSERT_ERR(journal_open(dir, false, &j), EBADMSG);
	ASSERT_ERR(journal_open(dir, true, &j), EBADMSG);
}

/* A damaged journal stopped every reconcile and down: it is now moved
 * aside (never over an earlier one) and a new one starts. */
TEST(damaged_journal_moved_aside)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = db_path(dir), *a = NULL, *b = NULL, *pa = NULL, *pb = NULL;
	_cleanup_free_ char *wal = xasprintf("%s-wal", path);
	_cleanup_(journal_closep) Journal *j = NULL;
	struct stat st;
	int r;

	ASSERT_OK(write_file_atomic(path, "garbage", 7, 0600));
	ASSERT_OK(write_file_atomic(wal, "old wal", 7, 0600));
	r = journal_open(dir, false, &j);
	ASSERT_ERR(r, EBADMSG);
	ASSERT_TRUE(journal_error_is_damage(r));
	ASSERT_OK(journal_move_aside(dir, &a));
	ASSERT_TRUE(startswith(a, "journal.db.corrupt-"));
	pa = xasprintf("%s/%s", dir, a);
	ASSERT_OK(lstat(pa, &st));
	ASSERT_EQ(st.st_size, 7);
	ASSERT_TRUE(lstat(wal, &st) < 0); /* its -wal went with it */
	ASSERT_OK(journal_open(dir, false, &j));
	j = journal_close(j);

	/* Again within the same second: a second name. */
	ASSERT_OK(unlink(path));
	ASSERT_OK(mkfifo(path, 0600));
	r = journal_open(dir, false, &j);
	ASSERT_ERR(r, EBADFD);
	ASSERT_TRUE(journal_error_is_damage(r));
	ASSERT_OK(journal_move_aside(dir, &b));
	ASSERT_FALSE(streq(a, b));
	pb = xasprintf("%s/%s", dir, b);
	ASSERT_OK(lstat(pb, &st));
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_OK(lstat(pa, &st)); /* the first one is still there */
	ASSERT_EQ(st.st_size, 7);
	ASSERT_OK(journal_open(dir, false, &j));

	/* Not damage: a newer schema, or a file system problem. */
	ASSERT_FALSE(journal_error_is_damage(-EPROTONOSUPPORT));
	ASSERT_FALSE(journal_error_is_damage(-ENOSPC));
	ASSERT_FALSE(journal_error_is_damage(-EROFS));
}

TEST(file_modes)
{
	_cleanup_rm_rf_ char *top = make_tmpdir();
	_cleanup_free_ char *dir = xasprintf("%s/var/state", top);
	_cleanup_free_ char *path = db_path(dir);
	_cleanup_(journal_closep) Journal *j = NULL;
	mode_t old = umask(022);
	char id[TXN_ID_STRLEN];

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", NULL, NULL, id));
	ASSERT_EQ(file_mode(top, "var/state"), 0700);
	ASSERT_EQ(file_mode(dir, JOURNAL_FILE), 0600);
	ASSERT_EQ(file_mode(dir, JOURNAL_FILE "-wal"), 0600);
	ASSERT_EQ(file_mode(dir, JOURNAL_FILE "-shm"), 0600);
	j = journal_close(j);
	/* No checkpoint on close: the WAL stays, with its mode. */
	ASSERT_EQ(file_mode(dir, JOURNAL_FILE "-wal"), 0600);

	/* A database whose mode was widened is narrowed again on open, its
	 * companions too. */
	ASSERT_OK(chmod(path, 0644));
	_cleanup_free_ char *wal = xasprintf("%s-wal", path);
	ASSERT_OK(chmod(wal, 0666));
	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_EQ(file_mode(dir, JOURNAL_FILE), 0600);
	ASSERT_EQ(file_mode(dir, JOURNAL_FILE "-wal"), 0600);

	/* A restrictive umask must not leave a file SQLite cannot write. */
	j = journal_close(j);
	_cleanup_free_ char *dir2 = xasprintf("%s/other", top);
	umask(0277);
	int r = journal_open(dir2, false, &j);
	umask(old); /* before any assertion can leave the test */
	ASSERT_OK(r);
	ASSERT_EQ(file_mode(dir2, JOURNAL_FILE), 0600);
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", NULL, NULL, id));
}

TEST(txn_round_trip)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char id[TXN_ID_STRLEN], prefix[9];
	TxnRecord t = {}, *list = NULL;
	StepRecord *steps = NULL;
	size_t n = 0, n_steps = 0;
	int64_t step_ids[3];
	uint64_t before = now_usec_realtime();

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_txn_begin(j, "activation", "reconcile", "web", SHA_A, id));
	ASSERT_EQ(strlen(id), 36);
	ASSERT_EQ(id[14], '4'); /* a random (version 4) uuid */

	add_step(j, id, "web", "link vh-0123456789ab", STEP_DONE, &step_ids[0]);
	add_step(j, id, "web", "nft table inet vpnconf", STEP_FAILED, &step_ids[1]);
	add_step(j, id, NULL, "route default", STEP_DONE, &step_ids[2]);
	ASSERT_OK(journal_step_finish(j, step_ids[0], STEP_UNDONE, NULL));
	ASSERT_OK(journal_step_finish(j, step_ids[2], STEP_UNDO_FAILED, "EBUSY"));
	ASSERT_OK(journal_txn_finish(j, id, TXN_LOCKDOWN, "undo of route default failed"));

	ASSERT_OK(journal_get_txn(j, id, &t, &steps, &n_steps));
	ASSERT_STREQ(t.id, id);
	ASSERT_STREQ(t.trigger, "activation");
	ASSERT_STREQ(t.command, "reconcile");
	ASSERT_STREQ(t.namespace, "web");
	ASSERT_STREQ(t.desired_sha256, SHA_A);
	ASSERT_EQ(t.outcome, TXN_LOCKDOWN);
	ASSERT_STREQ(t.summary, "undo of route default failed");
	ASSERT_EQ(t.n_steps, 3);
	ASSERT_TRUE(t.started_usec >= before);
	ASSERT_TRUE(t.finished_usec >= t.started_usec);
	ASSERT_EQ(n_steps, 3);
	for (unsigned i = 0; i < 3; i++) {
		ASSERT_EQ(steps[i].seq, i);
		ASSERT_EQ(steps[i].id, step_ids[i]);
		ASSERT_STREQ(steps[i].action, "create");
		ASSERT_TRUE(steps[i].before == NULL);
		ASSERT_STREQ(steps[i].after, "up");
		ASSERT_STREQ(steps[i].inverse, "delete");
		ASSERT_TRUE(steps[i].finished_usec >= steps[i].started_usec);
	}
	ASSERT_EQ(steps[0].status, STEP_UNDONE);
	ASSERT_EQ(steps[1].status, STEP_FAILED);
	ASSERT_STREQ(steps[1].error, "refused");
	ASSERT_EQ(steps[2].status, STEP_UNDO_FAILED);
	ASSERT_TRUE(steps[2].namespace == NULL);
	txn_record_done(&t);
	step_records_free(steps, n_steps);

	/* By prefix, in any case; without steps. */
	snprintf(prefix, sizeof(prefix), "%s", id);
	for (char *c = prefix; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	ASSERT_OK(journal_get_txn(j, prefix, &t, NULL, NULL));
	ASSERT_STREQ(t.id, id);
	txn_record_done(&t);

	ASSERT_OK(journal_list_txns(j, NULL, 0, &list, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(list[0].id, id);
	txn_records_free(list, n);

	/* Misuse is refused, history is not rewritten. */
	ASSERT_ERR(journal_txn_finish(j, id, TXN_APPLIED, NULL), EALREADY);
	ASSERT_ERR(journal_txn_finish(j, id, TXN_RUNNING, NULL), EINVAL);
	ASSERT_ERR(journal_txn_finish(j, "00000000-0000-4000-8000-000000000000", TXN_APPLIED, NULL),
		   ENOENT);
	StepRecord s = {.object = (char *)"x", .action = (char *)"set"};
	ASSERT_ERR(journal_step_begin(j, "00000000-0000-4000-8000-000000000000", &s, NULL), ENOENT);
	ASSERT_ERR(journal_step_finish(j, 999999, STEP_DONE, NULL), ENOENT);
	ASSERT_ERR(journal_step_finish(j, step_ids[0], STEP_PENDING, NULL), EINVAL);
}

TEST(prefix_lookup)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	TxnRecord t = {};

	ASSERT_OK(journal_open(dir, false, &j));
	sql_exec(dir, "INSERT INTO txn (id, trigger, command, started_usec, outcome) VALUES "
		      "('abcd1111-0000-4000-8000-000000000000', 'cli', 'reconcile', 1, 'applied'),"
		      "('abcd2222-0000-4000-8000-000000000000', 'cli', 'reconcile', 2, 'applied'),"
		      "('abcf-ab0-0000-4000-8000-000000000000', 'cli', 'reconcile', 3, 'applied'),"
		      "('abce0000-0000-4000-8000-000000000000', 'cli', 'down', 4, 'applied')");

	ASSERT_ERR(journal_get_txn(j, "abcd", &t, NULL, NULL), EADDRNOTAVAIL);
	ASSERT_OK(journal_get_txn(j, "abcd2", &t, NULL, NULL));
	ASSERT_STREQ(t.id, "abcd2222-0000-4000-8000-000000000000");
	txn_record_done(&t);
	ASSERT_OK(journal_get_txn(j, "ABCE", &t, NULL, NULL));
	ASSERT_STREQ(t.command, "down");
	txn_record_done(&t);
	ASSERT_OK(journal_get_txn(j, "abcf-", &t, NULL, NULL));
	txn_record_done(&t);
	ASSERT_OK(journal_get_txn(j, "abcd1111-0000-4000-8000-000000000000", &t, NULL, NULL));
	ASSERT_EQ(t.started_usec, 1);
	txn_record_done(&t);

	ASSERT_ERR(journal_get_txn(j, "abc", &t, NULL, NULL), EINVAL);
	ASSERT_ERR(journal_get_txn(j, "abcd%", &t, NULL, NULL), EINVAL);
	ASSERT_ERR(journal_get_txn(j, "abcd_", &t, NULL, NULL), EINVAL);
	ASSERT_ERR(journal_get_txn(j, "abcd1111-0000-4000-8000-0000000000000", &t, NULL, NULL),
		   EINVAL);
	ASSERT_ERR(journal_get_txn(j, "ffff", &t, NULL, NULL), ENOENT);
	ASSERT_ERR(journal_get_txn(j, "abcd3", &t, NULL, NULL), ENOENT);
}

TEST(namespaces_and_last_txn)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char a[TXN_ID_STRLEN], b[TXN_ID_STRLEN], all[TXN_ID_STRLEN], run[TXN_ID_STRLEN];
	TxnRecord t = {}, *list = NULL;
	size_t n = 0;

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_ERR(journal_last_txn(j, NULL, &t), ENOENT);

	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", "a", SHA_A, a));
	ASSERT_OK(journal_txn_finish(j, a, TXN_APPLIED, NULL));
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", "b", SHA_A, b));
	ASSERT_OK(journal_txn_finish(j, b, TXN_FAILED, "verify failed"));
	ASSERT_OK(journal_txn_begin(j, "timer", "reconcile", NULL, SHA_A, all));
	add_step(j, all, "a", "link wg-a", STEP_DONE, NULL);
	ASSERT_OK(journal_txn_finish(j, all, TXN_APPLIED, NULL));
	ASSERT_OK(journal_txn_begin(j, "cli", "down", "b", SHA_A, run));

	ASSERT_OK(journal_list_txns(j, NULL, 0, &list, &n));
	ASSERT_EQ(n, 4);
	ASSERT_STREQ(list[0].id, run); /* newest first */
	ASSERT_STREQ(list[3].id, a);
	txn_records_free(list, n);

	ASSERT_OK(journal_list_txns(j, "a", 0, &list, &n));
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(list[0].id, all);
	ASSERT_EQ(list[0].n_steps, 1);
	ASSERT_STREQ(list[1].id, a);
	txn_records_free(list, n);

	/* Scoped to all namespaces, "all" touched only "a". */
	ASSERT_OK(journal_list_txns(j, "b", 0, &list, &n));
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(list[0].id, run);
	ASSERT_STREQ(list[1].id, b);
	txn_records_free(list, n);
	ASSERT_OK(journal_list_txns(j, NULL, 1, &list, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(list[0].id, run);
	txn_records_free(list, n);
	ASSERT_OK(journal_list_txns(j, "c", 0, &list, &n));
	ASSERT_EQ(n, 0);
	txn_records_free(list, n);

	/* The running one is not "last". */
	ASSERT_OK(journal_last_txn(j, "b", &t));
	ASSERT_STREQ(t.id, b);
	ASSERT_EQ(t.outcome, TXN_FAILED);
	txn_record_done(&t);
	ASSERT_OK(journal_last_txn(j, NULL, &t));
	ASSERT_STREQ(t.id, all);
	txn_record_done(&t);
	ASSERT_OK(journal_txn_finish(j, run, TXN_APPLIED, NULL));
	ASSERT_OK(journal_last_txn(j, "b", &t));
	ASSERT_STREQ(t.id, run);
	ASSERT_EQ(t.outcome, TXN_APPLIED);
	txn_record_done(&t);
	ASSERT_OK(journal_last_txn(j, "a", &t));
	ASSERT_STREQ(t.id, all);
	txn_record_done(&t);
}

TEST(drift_records)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char id[TXN_ID_STRLEN];
	DriftRecord *d = NULL;
	size_t n = 0;

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_list_drift(j, NULL, 0, &d, &n));
	ASSERT_EQ(n, 0);
	drift_records_free(d, n);

	ASSERT_OK(journal_txn_begin(j, "timer", "check", NULL, SHA_A, id));
	ASSERT_OK(journal_record_drift(j, NULL, "web", "nft table inet vpnconf", "chain deleted",
				       "repair"));
	ASSERT_OK(journal_record_drift(j, id, "db", "link wg-db", "peer endpoint changed",
				       "lockdown"));
	ASSERT_OK(journal_record_drift(j, "", "web", "resolv.conf", "rewritten", "alert"));
	ASSERT_ERR(journal_record_drift(j, "00000000-0000-4000-8000-000000000000", "web", "x", "y",
					"alert"),
		   ENOENT);

	ASSERT_OK(journal_list_drift(j, NULL, 0, &d, &n));
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(d[0].object, "resolv.conf");
	ASSERT_STREQ(d[0].txn_id, "");
	ASSERT_STREQ(d[1].txn_id, id);
	ASSERT_STREQ(d[1].namespace, "db");
	ASSERT_STREQ(d[1].description, "peer endpoint changed");
	ASSERT_STREQ(d[1].action, "lockdown");
	ASSERT_TRUE(d[1].detected_usec > 0);
	ASSERT_TRUE(d[0].id > d[1].id);
	drift_records_free(d, n);

	ASSERT_OK(journal_list_drift(j, "web", 1, &d, &n));
	ASSERT_EQ(n, 1);
	ASSERT_STREQ(d[0].object, "resolv.conf");
	drift_records_free(d, n);
	ASSERT_OK(journal_list_drift(j, "web", 0, &d, &n));
	ASSERT_EQ(n, 2);
	drift_records_free(d, n);

	/* The counters of vpnconf status --format prometheus. */
	uint64_t drift = 99, lockdowns = 99;
	ASSERT_OK(journal_txn_finish(j, id, TXN_LOCKDOWN, "locked down"));
	ASSERT_OK(journal_txn_begin(j, "timer", "reconcile", "db", SHA_A, id));
	ASSERT_OK(journal_txn_finish(j, id, TXN_LOCKDOWN, "locked down"));
	ASSERT_OK(journal_count_events(j, "web", &drift, &lockdowns));
	ASSERT_EQ(drift, 2);
	ASSERT_EQ(lockdowns, 0);
	ASSERT_OK(journal_count_events(j, "db", &drift, &lockdowns));
	ASSERT_EQ(drift, 1);
	ASSERT_EQ(lockdowns, 1);
	ASSERT_OK(journal_count_events(j, "none", &drift, &lockdowns));
	ASSERT_EQ(drift, 0);
	ASSERT_EQ(lockdowns, 0);
}

TEST(rejected_attempts)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char id[TXN_ID_STRLEN];
	TxnRecord t = {}, *list = NULL;
	size_t n = 0;
	const char *errors = "namespaces.web.wireguard.peers[0].endpoint: not an address\n"
			     "namespaces.db: duplicate name";

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_record_rejected(j, "cli", "reconcile", SHA_B, errors, id));
	ASSERT_OK(journal_get_txn(j, id, &t, NULL, NULL));
	ASSERT_EQ(t.outcome, TXN_REJECTED);
	ASSERT_STREQ(t.summary, errors);
	ASSERT_STREQ(t.desired_sha256, SHA_B);
	ASSERT_TRUE(t.finished_usec > 0);
	ASSERT_EQ(t.finished_usec, t.started_usec);
	ASSERT_EQ(t.n_steps, 0);
	txn_record_done(&t);

	ASSERT_OK(journal_unfinished(j, &list, &n));
	ASSERT_EQ(n, 0);
	txn_records_free(list, n);
	/* It changed nothing, so it touched no namespace. */
	ASSERT_ERR(journal_last_txn(j, "web", &t), ENOENT);
	ASSERT_OK(journal_last_txn(j, NULL, &t));
	ASSERT_STREQ(t.id, id);
	txn_record_done(&t);
	ASSERT_ERR(journal_txn_finish(j, id, TXN_APPLIED, NULL), EALREADY);
}

TEST(in_sync_mark)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char *sha = NULL;
	uint64_t t1 = 0, t2 = 0;

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_ERR(journal_get_in_sync(j, &sha, &t1), ENOENT);
	ASSERT_OK(journal_mark_in_sync(j, SHA_A));
	ASSERT_OK(journal_get_in_sync(j, &sha, &t1));
	ASSERT_STREQ(sha, SHA_A);
	free(sha);
	ASSERT_OK(journal_mark_in_sync(j, SHA_B));
	ASSERT_OK(journal_mark_in_sync(j, SHA_B));
	ASSERT_OK(journal_get_in_sync(j, &sha, &t2));
	ASSERT_STREQ(sha, SHA_B);
	free(sha);
	ASSERT_TRUE(t2 >= t1 && t1 > 0);
	ASSERT_OK(journal_get_in_sync(j, NULL, NULL));
	ASSERT_EQ(sql_int(dir, "SELECT count(*) FROM in_sync"), 1);
	ASSERT_EQ(sql_int(dir, "SELECT count(*) FROM txn"), 0);
}

/* A rollback rebuilds the policy from the document recorded here: only
 * the very document whose sha256 it is comes back. */
TEST(desired_text_round_trip)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char id[TXN_ID_STRLEN], later[TXN_ID_STRLEN], failed[TXN_ID_STRLEN];
	char *text = NULL, *sha = NULL;
	size_t size = 0;

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_ERR(journal_desired_get(j, SHA_X, &text, &size), ENOENT);
	ASSERT_OK(journal_desired_store(j, SHA_X, "x", 1));
	ASSERT_OK(journal_desired_store(j, SHA_X, "x", 1)); /* once is enough */
	ASSERT_OK(journal_desired_get(j, SHA_X, &text, &size));
	ASSERT_STREQ(text, "x");
	ASSERT_EQ(size, 1);
	free(text);
	text = NULL;
	/* Stored under a sha256 it does not have: as good as absent. */
	ASSERT_OK(journal_desired_store(j, SHA_A, "y", 1));
	ASSERT_ERR(journal_desired_get(j, SHA_A, &text, &size), EBADMSG);
	ASSERT_TRUE(text == NULL);

	/* The newest reconcile of the namespace that applied and verified. */
	ASSERT_ERR(journal_last_verified(j, "web", &sha, NULL), ENOENT);
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", "web", SHA_A, id));
	ASSERT_OK(journal_txn_finish(j, id, TXN_APPLIED, "ok"));
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", "web", SHA_B, failed));
	ASSERT_OK(journal_txn_finish(j, failed, TXN_ROLLED_BACK, "no"));
	ASSERT_OK(journal_txn_begin(j, "cli", "down", "web", SHA_B, later));
	ASSERT_OK(journal_txn_finish(j, later, TXN_APPLIED, "torn down"));
	ASSERT_OK(journal_last_verified(j, "web", &sha, NULL));
	ASSERT_STREQ(sha, SHA_A);
	free(sha);
	ASSERT_ERR(journal_last_verified(j, "other", &sha, NULL), ENOENT);
}

TEST(unfinished_detection)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char old[TXN_ID_STRLEN], id[TXN_ID_STRLEN], done[TXN_ID_STRLEN];
	TxnRecord *list = NULL, t = {};
	StepRecord *steps = NULL;
	size_t n = 0, n_steps = 0;
	StepRecord s = {
		.namespace = (char *)"web",
		.object = (char *)"link wg-web",
		.action = (char *)"create",
		.inverse = (char *)"delete link wg-web",
	};

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_txn_begin(j, "boot", "reconcile", NULL, SHA_A, old));
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", NULL, SHA_A, done));
	ASSERT_OK(journal_txn_finish(j, done, TXN_APPLIED, NULL));
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", "web", SHA_A, id));
	ASSERT_OK(journal_step_begin(j, id, &s, NULL));
	/* The process dies here: the step is journaled, never finished. */
	j = journal_close(j);

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_unfinished(j, &list, &n));
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(list[0].id, old); /* oldest first */
	ASSERT_STREQ(list[1].id, id);
	ASSERT_EQ(list[1].outcome, TXN_RUNNING);
	ASSERT_EQ(list[1].finished_usec, 0);
	ASSERT_EQ(list[1].n_steps, 1);
	txn_records_free(list, n);

	ASSERT_OK(journal_get_txn(j, id, &t, &steps, &n_steps));
	ASSERT_EQ(n_steps, 1);
	ASSERT_EQ(steps[0].status, STEP_PENDING);
	ASSERT_EQ(steps[0].finished_usec, 0);
	ASSERT_STREQ(steps[0].inverse, "delete link wg-web");
	txn_record_done(&t);
	step_records_free(steps, n_steps);

	ASSERT_OK(journal_txn_finish(j, old, TXN_INTERRUPTED, "found unfinished"));
	ASSERT_OK(journal_txn_finish(j, id, TXN_INTERRUPTED, "found unfinished"));
	ASSERT_OK(journal_unfinished(j, &list, &n));
	ASSERT_EQ(n, 0);
	txn_records_free(list, n);
}

TEST(awkward_strings)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	const char *nasty[] = {
		"it's \"quoted\" and `ticked`",
		"line one\nline two\r\n\ttabbed",
		"ünïcödé ✓ 网络 🛡️",
		"'); DROP TABLE txn; --",
		"%s %n %% \\ backslash",
		"",
	};
	char id[TXN_ID_STRLEN];
	TxnRecord t = {};
	StepRecord *steps = NULL;
	DriftRecord *d = NULL;
	size_t n = 0;

	ASSERT_OK(journal_open(dir, false, &j));
	for (size_t i = 0; i < ELEMENTSOF(nasty); i++) {
		const char *x = nasty[i];
		StepRecord s = {
			.namespace = (char *)x, .object = (char *)x, .action = (char *)x,
			.before = (char *)x,    .after = (char *)x,  .inverse = (char *)x,
		};
		int64_t step;

		ASSERT_OK(journal_txn_begin(j, x, x, x, x, id));
		ASSERT_OK(journal_step_begin(j, id, &s, &step));
		ASSERT_OK(journal_step_finish(j, step, STEP_FAILED, x));
		ASSERT_OK(journal_record_drift(j, id, x, x, x, x));
		ASSERT_OK(journal_txn_finish(j, id, TXN_ROLLED_BACK, x));

		ASSERT_OK(journal_get_txn(j, id, &t, &steps, &n));
		ASSERT_STREQ(t.trigger, x);
		ASSERT_STREQ(t.command, x);
		ASSERT_STREQ(t.namespace, x);
		ASSERT_STREQ(t.desired_sha256, x);
		ASSERT_STREQ(t.summary, x);
		ASSERT_EQ(n, 1);
		ASSERT_STREQ(steps[0].namespace, x);
		ASSERT_STREQ(steps[0].object, x);
		ASSERT_STREQ(steps[0].action, x);
		ASSERT_STREQ(steps[0].before, x);
		ASSERT_STREQ(steps[0].after, x);
		ASSERT_STREQ(steps[0].inverse, x);
		ASSERT_STREQ(steps[0].error, x);
		txn_record_done(&t);
		step_records_free(steps, n);

		ASSERT_OK(journal_list_drift(j, x, 1, &d, &n));
		ASSERT_EQ(n, 1);
		ASSERT_STREQ(d[0].description, x);
		ASSERT_STREQ(d[0].action, x);
		drift_records_free(d, n);

		ASSERT_OK(journal_mark_in_sync(j, x));
		char *back = NULL;
		ASSERT_OK(journal_get_in_sync(j, &back, NULL));
		ASSERT_STREQ(back, x);
		free(back);
	}
	ASSERT_EQ(sql_int(dir, "SELECT count(*) FROM txn"), ELEMENTSOF(nasty));
}

TEST(readonly_missing_creates_nothing)
{
	_cleanup_rm_rf_ char *top = make_tmpdir();
	_cleanup_free_ char *dir = xasprintf("%s/state", top);
	_cleanup_(journal_closep) Journal *j = NULL;
	struct stat st;

	ASSERT_ERR(journal_open(dir, true, &j), ENOENT);
	ASSERT_TRUE(stat(dir, &st) < 0 && errno == ENOENT);
	ASSERT_OK(mkdir(dir, 0700));
	ASSERT_ERR(journal_open(dir, true, &j), ENOENT);
	ASSERT_EQ(count_entries(dir), 0);
	ASSERT_TRUE(j == NULL);
}

TEST(readonly_reader)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *w = NULL, *r = NULL;
	char id[TXN_ID_STRLEN], id2[TXN_ID_STRLEN];
	TxnRecord t = {};
	unsigned entries;

	ASSERT_OK(journal_open(dir, false, &w));
	ASSERT_OK(journal_txn_begin(w, "cli", "reconcile", NULL, NULL, id));
	w = journal_close(w);
	entries = count_entries(dir);

	ASSERT_OK(journal_open(dir, true, &r));
	ASSERT_EQ(journal_schema_version(r), journal_migrations_count());
	ASSERT_OK(journal_get_txn(r, id, &t, NULL, NULL));
	txn_record_done(&t);
	ASSERT_ERR(journal_txn_begin(r, "cli", "reconcile", NULL, NULL, id2), EROFS);
	ASSERT_ERR(journal_mark_in_sync(r, SHA_A), EROFS);

	/* A writer and a reader side by side: WAL readers never block. */
	ASSERT_OK(journal_open(dir, false, &w));
	ASSERT_OK(journal_txn_finish(w, id, TXN_APPLIED, "done"));
	ASSERT_OK(journal_get_txn(r, id, &t, NULL, NULL));
	ASSERT_EQ(t.outcome, TXN_APPLIED);
	txn_record_done(&t);
	w = journal_close(w);
	r = journal_close(r);
	ASSERT_EQ(count_entries(dir), entries);
}

/* Runs in a forked child: plain checks and _exit(), never the harness. */
