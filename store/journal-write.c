/* SPDX-License-Identifier: MIT */
/*
 * Writing the journal: transactions, their steps, drift events, rejected
 * attempts and the in-sync mark. Each record is one autocommit statement.
 *
 * Durability is chosen per record (docs/journal.md): the connection runs
 * with synchronous=NORMAL, so a commit appends to the WAL without an fsync
 * and survives a crash of the process but not of the machine. That is
 * enough for a step's write-ahead record, because the kernel network state
 * it protects does not survive a power cut either. The record that
 * finishes a transaction is committed with synchronous=FULL: one fsync of
 * the WAL, which also makes every earlier record of that transaction
 * durable.
 */
#include <assert.h>
#include <uuid/uuid.h>

#include "journal-internal.h"

static void journal_new_id(char ret[static TXN_ID_STRLEN])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, ret);
}

/* Runs st as a durable commit: the WAL is fsynced before it returns. */
static int journal_run_durable(Journal *j, sqlite3_stmt *st)
{
	int r;

	r = journal_exec(j, JOURNAL_STMT_SYNC_FULL, "PRAGMA synchronous = FULL");
	if (r < 0)
		return r;
	r = journal_run(j, st);
	/* Setting the flag does no I/O; were it to fail, later commits would
	 * only be slower, not less safe. */
	(void)journal_exec(j, JOURNAL_STMT_SYNC_NORMAL, "PRAGMA synchronous = NORMAL");
	return r;
}

int journal_txn_begin(Journal *j, const char *trigger, const char *command, const char *namespace,
		      const char *desired_sha256, char ret_id[static TXN_ID_STRLEN])
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	char id[TXN_ID_STRLEN];
	int r, rc;

	assert(j);
	assert(trigger);
	assert(command);
	assert(ret_id);

	r = journal_stmt(j, JOURNAL_STMT_TXN_BEGIN,
			 "INSERT INTO txn (id, trigger, command, namespace, desired_sha256, "
			 "started_usec, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			 &st);
	if (r < 0)
		return r;
	journal_new_id(id);
	rc = journal_bind_text(st, 1, id) ?: journal_bind_text(st, 2, trigger)
		?: journal_bind_text(st, 3, command) ?: journal_bind_text(st, 4, namespace)
		?: journal_bind_text(st, 5, desired_sha256)
		?: journal_bind_usec(st, 6, now_usec_realtime())
		?: journal_bind_text(st, 7, txn_outcome_to_string(TXN_RUNNING));
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	r = journal_run(j, st);
	if (r < 0)
		return r;
	memcpy(ret_id, id, TXN_ID_STRLEN);
	return 0;
}

/* Why finishing txn_id changed no row: -ENOENT, or -EALREADY when it is
 * already finished. */
static int journal_txn_not_running(Journal *j, const char *txn_id)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = journal_stmt(j, JOURNAL_STMT_TXN_OUTCOME, "SELECT outcome FROM txn WHERE id = ?1", &st);
	if (r < 0)
		return r;
	r = journal_first_row(j, st, txn_id);
	return r == 0 ? -EALREADY : r;
}

int journal_txn_finish(Journal *j, const char *txn_id, TxnOutcome outcome, const char *summary)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);
	assert(txn_id);

	if (outcome <= TXN_RUNNING || outcome >= _TXN_OUTCOME_MAX)
		return -EINVAL;

	/* A finished transaction is history: it is never finished twice. */
	r = journal_stmt(j, JOURNAL_STMT_TXN_FINISH,
			 "UPDATE txn SET finished_usec = ?2, outcome = ?3, summary = ?4 "
			 "WHERE id = ?1 AND outcome = 'running'",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, txn_id) ?: journal_bind_usec(st, 2, now_usec_realtime())
		?: journal_bind_text(st, 3, txn_outcome_to_string(outcome))
		?: journal_bind_text(st, 4, summary);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	r = journal_run_durable(j, st);
	if (r < 0)
		return r;
	if (sqlite3_changes(j->db) == 0)
		return journal_txn_not_running(j, txn_id);
	return 0;
}

int journal_record_rejected(Journal *j, const char *trigger, const char *command,
			    const char *desired_sha256, const char *errors,
			    char ret_id[static TXN_ID_STRLEN])
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	char id[TXN_ID_STRLEN];
	uint64_t now = now_usec_realtime();
	int r, rc;

	assert(j);
	assert(trigger);
	assert(command);
	assert(ret_id);

	r = journal_stmt(j, JOURNAL_STMT_TXN_REJECTED,
			 "INSERT INTO txn (id, trigger, command, desired_sha256, started_usec, "
			 "finished_usec, outcome, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
			 &st);
	if (r < 0)
		return r;
	journal_new_id(id);
	rc = journal_bind_text(st, 1, id) ?: journal_bind_text(st, 2, trigger)
		?: journal_bind_text(st, 3, command) ?: journal_bind_text(st, 4, desired_sha256)
		?: journal_bind_usec(st, 5, now)
		?: journal_bind_text(st, 6, txn_outcome_to_string(TXN_REJECTED))
		?: journal_bind_text(st, 7, errors);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	r = journal_run_durable(j, st);
	if (r < 0)
		return r;
	memcpy(ret_id, id, TXN_ID_STRLEN);
	return 0;
}

int journal_step_begin(Journal *j, const char *txn_id, const StepRecord *s, int64_t *ret_step_id)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);
	assert(txn_id);
	assert(s);
	assert(s->object);
	assert(s->action);

	/* The sequence number is the next one of the transaction, found with
	 * one lookup in the (txn_id, seq) index. */
	r = journal_stmt(j, JOURNAL_STMT_STEP_BEGIN,
			 "INSERT INTO step (txn_id, seq, namespace, object, action, before_state, "
			 "after_state, inverse, status, started_usec) VALUES (?1, "
			 "(SELECT coalesce(max(seq) + 1, 0) FROM step WHERE txn_id = ?1), "
			 "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, txn_id) ?: journal_bind_text(st, 2, s->namespace)
		?: journal_bind_text(st, 3, s->object) ?: journal_bind_text(st, 4, s->action)
		?: journal_bind_text(st, 5, s->before) ?: journal_bind_text(st, 6, s->after)
		?: journal_bind_text(st, 7, s->inverse)
		?: journal_bind_text(st, 8, step_status_to_string(STEP_PENDING))
		?: journal_bind_usec(st, 9, now_usec_realtime());
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	r = journal_run(j, st);
	if (r < 0)
		return r;
	if (ret_step_id)
		*ret_step_id = sqlite3_last_insert_rowid(j->db);
	return 0;
}

int journal_steps_begin(Journal *j, const char *txn_id, const StepRecord *steps, size_t n,
			int64_t *ret_ids)
{
	int r, rc;

	assert(j);
	assert(ret_ids || n == 0);

	rc = sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	for (size_t i = 0; i < n; i++) {
		r = journal_step_begin(j, txn_id, &steps[i], &ret_ids[i]);
		if (r < 0) {
			(void)sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
			return r;
		}
	}
	rc = sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		(void)sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return journal_errno(j->db, rc);
	}
	return 0;
}

int journal_steps_skip_pending(Journal *j, const char *txn_id)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);
	assert(txn_id);

	r = journal_stmt(j, JOURNAL_STMT_STEP_SKIP,
			 "UPDATE step SET status = ?2 WHERE txn_id = ?1 AND status = ?3", &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, txn_id)
		?: journal_bind_text(st, 2, step_status_to_string(STEP_SKIPPED))
		?: journal_bind_text(st, 3, step_status_to_string(STEP_PENDING));
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	return journal_run(j, st);
}

int journal_step_finish(Journal *j, int64_t step_id, StepStatus status, const char *error)
{
	return journal_step_done(j, step_id, status, error, 0);
}

int journal_step_done(Journal *j, int64_t step_id, StepStatus status, const char *error,
		      uint64_t started_usec)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);

	if (status <= STEP_PENDING || status >= _STEP_STATUS_MAX)
		return -EINVAL;

	/* started_usec 0 keeps the time the record was written. */
	r = journal_stmt(j, JOURNAL_STMT_STEP_FINISH,
			 "UPDATE step SET status = ?2, error = ?3, finished_usec = ?4, "
			 "started_usec = coalesce(nullif(?5, 0), started_usec) WHERE id = ?1",
			 &st);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, step_id)
		?: journal_bind_text(st, 2, step_status_to_string(status))
		?: journal_bind_text(st, 3, error) ?: journal_bind_usec(st, 4, now_usec_realtime())
		?: sqlite3_bind_int64(st, 5, (sqlite3_int64)started_usec);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	r = journal_run(j, st);
	if (r < 0)
		return r;
	return sqlite3_changes(j->db) > 0 ? 0 : -ENOENT;
}

int journal_record_drift(Journal *j, const char *txn_id, const char *namespace, const char *object,
			 const char *description, const char *action)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);
	assert(object);
	assert(description);
	assert(action);

	r = journal_stmt(j, JOURNAL_STMT_DRIFT,
			 "INSERT INTO drift (txn_id, detected_usec, namespace, object, "
			 "description, action) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, isempty(txn_id) ? NULL : txn_id)
		?: journal_bind_usec(st, 2, now_usec_realtime())
		?: journal_bind_text(st, 3, namespace) ?: journal_bind_text(st, 4, object)
		?: journal_bind_text(st, 5, description) ?: journal_bind_text(st, 6, action);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	return journal_run(j, st);
}

int journal_mark_in_sync(Journal *j, const char *desired_sha256)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);
	assert(desired_sha256);

	if (j->version < JOURNAL_VERSION_IN_SYNC)
		return -EOPNOTSUPP;

	/* One row, rewritten in place: a no-op run leaves no history, and
	 * the WAL grows by a page at most. */
	r = journal_stmt(j, JOURNAL_STMT_MARK_IN_SYNC,
			 "INSERT INTO in_sync (id, desired_sha256, marked_usec) VALUES (1, ?1, ?2) "
			 "ON CONFLICT (id) DO UPDATE SET desired_sha256 = excluded.desired_sha256, "
			 "marked_usec = excluded.marked_usec",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, desired_sha256)
		?: journal_bind_usec(st, 2, now_usec_realtime());
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	return journal_run(j, st);
}
