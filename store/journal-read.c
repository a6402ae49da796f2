/* SPDX-License-Identifier: MIT */
/*
 * Reading the journal: the queries behind "vpnconf status", "history" and
 * "show", the unfinished-transaction check every run starts with, and the
 * destructors of the records they return.
 *
 * A transaction "touches" a namespace when it was scoped to it or has a
 * step in it; one scoped to all namespaces (namespace NULL) touches those
 * it has steps in, so a rejected attempt, which changed nothing, touches
 * none and shows only in the unfiltered history. Lists are newest first,
 * ties broken by insertion order.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>

#include "journal-internal.h"

void txn_record_done(TxnRecord *t)
{
	if (!t)
		return;
	free(t->trigger);
	free(t->command);
	free(t->namespace);
	free(t->desired_sha256);
	free(t->summary);
	*t = (TxnRecord){.outcome = _TXN_OUTCOME_INVALID};
}

void step_record_done(StepRecord *s)
{
	if (!s)
		return;
	free(s->namespace);
	free(s->object);
	free(s->action);
	free(s->before);
	free(s->after);
	free(s->inverse);
	free(s->error);
	*s = (StepRecord){.status = _STEP_STATUS_INVALID};
}

void drift_record_done(DriftRecord *d)
{
	if (!d)
		return;
	free(d->namespace);
	free(d->object);
	free(d->description);
	free(d->action);
	*d = (DriftRecord){};
}

void txn_records_free(TxnRecord *t, size_t n)
{
	FOREACH_ARRAY(i, t, n)
		txn_record_done(i);
	free(t);
}

void step_records_free(StepRecord *s, size_t n)
{
	FOREACH_ARRAY(i, s, n)
		step_record_done(i);
	free(s);
}

void drift_records_free(DriftRecord *d, size_t n)
{
	FOREACH_ARRAY(i, d, n)
		drift_record_done(i);
	free(d);
}

static uint64_t column_usec(sqlite3_stmt *st, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i); /* NULL reads as 0 */

	return v > 0 ? (uint64_t)v : 0;
}

static void column_id(sqlite3_stmt *st, int i, char ret[static TXN_ID_STRLEN])
{
	const unsigned char *s = sqlite3_column_text(st, i);

	snprintf(ret, TXN_ID_STRLEN, "%s", s ? (const char *)s : "");
}

#define TXN_COLUMNS                                                                                \
	"txn.id, txn.trigger, txn.command, txn.namespace, txn.desired_sha256, "                    \
	"txn.started_usec, txn.finished_usec, txn.outcome, txn.summary, "                          \
	"(SELECT count(*) FROM step WHERE step.txn_id = txn.id)"

/* Binds ?1 to the namespace (NULL: any). */
#define TXN_TOUCHES_NAMESPACE                                                                      \
	"(?1 IS NULL OR txn.namespace = ?1 OR EXISTS "                                             \
	"(SELECT 1 FROM step WHERE step.txn_id = txn.id AND step.namespace = ?1))"

static void txn_from_row(sqlite3_stmt *st, TxnRecord *t)
{
	column_id(st, 0, t->id);
	t->trigger = journal_column_strdup(st, 1);
	t->command = journal_column_strdup(st, 2);
	t->namespace = journal_column_strdup(st, 3);
	t->desired_sha256 = journal_column_strdup(st, 4);
	t->started_usec = column_usec(st, 5);
	t->finished_usec = column_usec(st, 6);
	t->outcome = txn_outcome_from_string((const char *)sqlite3_column_text(st, 7));
	t->summary = journal_column_strdup(st, 8);
	t->n_steps = (unsigned)sqlite3_column_int(st, 9);
}

#define STEP_COLUMNS                                                                               \
	"id, seq, namespace, object, action, before_state, after_state, inverse, status, error, "  \
	"started_usec, finished_usec"

static void step_from_row(sqlite3_stmt *st, StepRecord *s)
{
	s->id = sqlite3_column_int64(st, 0);
	s->seq = (unsigned)sqlite3_column_int(st, 1);
	s->namespace = journal_column_strdup(st, 2);
	s->object = journal_column_strdup(st, 3);
	s->action = journal_column_strdup(st, 4);
	s->before = journal_column_strdup(st, 5);
	s->after = journal_column_strdup(st, 6);
	s->inverse = journal_column_strdup(st, 7);
	s->status = step_status_from_string((const char *)sqlite3_column_text(st, 8));
	s->error = journal_column_strdup(st, 9);
	s->started_usec = column_usec(st, 10);
	s->finished_usec = column_usec(st, 11);
}

static void drift_from_row(sqlite3_stmt *st, DriftRecord *d)
{
	d->id = sqlite3_column_int64(st, 0);
	column_id(st, 1, d->txn_id);
	d->detected_usec = column_usec(st, 2);
	d->namespace = journal_column_strdup(st, 3);
	d->object = journal_column_strdup(st, 4);
	d->description = journal_column_strdup(st, 5);
	d->action = journal_column_strdup(st, 6);
}

static int collect_txns(Journal *j, sqlite3_stmt *st, TxnRecord **ret, size_t *ret_n)
{
	TxnRecord *list = NULL;
	size_t n = 0;
	int r;

	while ((r = journal_next_row(j, st)) > 0)
		txn_from_row(st, ARRAY_APPEND(list, n));
	if (r < 0) {
		txn_records_free(list, n);
		return r;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

int journal_unfinished(Journal *j, TxnRecord **ret, size_t *ret_n)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r;

	assert(j);
	assert(ret);
	assert(ret_n);

	/* The literal 'running' matches the partial index txn_running. */
	r = journal_stmt(j, JOURNAL_STMT_UNFINISHED,
			 "SELECT " TXN_COLUMNS " FROM txn WHERE txn.outcome = 'running' "
			 "ORDER BY txn.started_usec, txn.rowid",
			 &st);
	if (r < 0)
		return r;
	return collect_txns(j, st, ret, ret_n);
}

static sqlite3_int64 sql_limit(unsigned limit)
{
	return limit == 0 ? -1 : (sqlite3_int64)limit;
}

int journal_list_txns(Journal *j, const char *namespace, unsigned limit, TxnRecord **ret,
		      size_t *ret_n)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);
	assert(ret);
	assert(ret_n);

	r = journal_stmt(j, JOURNAL_STMT_LIST_TXNS,
			 "SELECT " TXN_COLUMNS " FROM txn WHERE " TXN_TOUCHES_NAMESPACE
			 " ORDER BY txn.started_usec DESC, txn.rowid DESC LIMIT ?2",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, namespace) ?: sqlite3_bind_int64(st, 2, sql_limit(limit));
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	return collect_txns(j, st, ret, ret_n);
}

int journal_last_txn(Journal *j, const char *namespace, TxnRecord *ret)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r;

	assert(j);
	assert(ret);

	r = journal_stmt(j, JOURNAL_STMT_LAST_TXN,
			 "SELECT " TXN_COLUMNS
			 " FROM txn WHERE txn.outcome != 'running' AND " TXN_TOUCHES_NAMESPACE
			 " ORDER BY txn.started_usec DESC, txn.rowid DESC LIMIT 1",
			 &st);
	if (r < 0)
		return r;
	r = journal_first_row(j, st, namespace);
	if (r < 0)
		return r;
	txn_from_row(st, ret);
	return 0;
}

/* Ids are lower-case uuids; a prefix may be typed in upper case. Writes
 * the lower-case prefix and the smallest string above every id that
 * starts with it, so that the lookup is a range scan of the primary key. */
static int txn_prefix_range(const char *prefix, char low[static TXN_ID_STRLEN],
			    char high[static TXN_ID_STRLEN])
{
	size_t n = strlen(prefix);

	if (n < 4 || n >= TXN_ID_STRLEN)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)prefix[i]);
		if (!isxdigit((unsigned char)c) && c != '-')
			return -EINVAL;
		low[i] = high[i] = c;
	}
	low[n] = high[n] = 0;
	high[n - 1]++; /* '-', '9' and 'f' have successors in ASCII */
	return 0;
}

static int journal_get_steps(Journal *j, const char *txn_id, StepRecord **ret, size_t *ret_n)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	StepRecord *list = NULL;
	size_t n = 0;
	int r, rc;

	r = journal_stmt(j, JOURNAL_STMT_LIST_STEPS,
			 "SELECT " STEP_COLUMNS " FROM step WHERE txn_id = ?1 ORDER BY seq", &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, txn_id);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	while ((r = journal_next_row(j, st)) > 0)
		step_from_row(st, ARRAY_APPEND(list, n));
	if (r < 0) {
		step_records_free(list, n);
		return r;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

/* The transaction whose id starts with prefix; -EADDRNOTAVAIL when more
 * than one does. */
static int journal_find_txn(Journal *j, const char *prefix, TxnRecord *ret)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	char low[TXN_ID_STRLEN], high[TXN_ID_STRLEN];
	TxnRecord t = {};
	int r, rc;

	r = txn_prefix_range(prefix, low, high);
	if (r < 0)
		return r;
	r = journal_stmt(j, JOURNAL_STMT_TXN_BY_PREFIX,
			 "SELECT " TXN_COLUMNS " FROM txn WHERE txn.id >= ?1 AND txn.id < ?2 "
			 "ORDER BY txn.id LIMIT 2",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, low) ?: journal_bind_text(st, 2, high);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	r = journal_next_row(j, st);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	txn_from_row(st, &t);
	r = journal_next_row(j, st);
	if (r != 0) {
		txn_record_done(&t);
		return r < 0 ? r : -EADDRNOTAVAIL;
	}
	*ret = t;
	return 0;
}

int journal_get_txn(Journal *j, const char *id_or_prefix, TxnRecord *ret_txn,
		    StepRecord **ret_steps, size_t *ret_n_steps)
{
	TxnRecord t = {};
	int r;

	assert(j);
	assert(id_or_prefix);
	assert(ret_txn);
	assert(!ret_steps == !ret_n_steps);

	r = journal_find_txn(j, id_or_prefix, &t);
	if (r < 0)
		return r;
	if (ret_steps) {
		r = journal_get_steps(j, t.id, ret_steps, ret_n_steps);
		if (r < 0) {
			txn_record_done(&t);
			return r;
		}
	}
	*ret_txn = t;
	return 0;
}

int journal_list_drift(Journal *j, const char *namespace, unsigned limit, DriftRecord **ret,
		       size_t *ret_n)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	DriftRecord *list = NULL;
	size_t n = 0;
	int r, rc;

	assert(j);
	assert(ret);
	assert(ret_n);

	r = journal_stmt(j, JOURNAL_STMT_LIST_DRIFT,
			 "SELECT id, txn_id, detected_usec, namespace, object, description, action "
			 "FROM drift WHERE ?1 IS NULL OR namespace = ?1 "
			 "ORDER BY detected_usec DESC, id DESC LIMIT ?2",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, namespace) ?: sqlite3_bind_int64(st, 2, sql_limit(limit));
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	while ((r = journal_next_row(j, st)) > 0)
		drift_from_row(st, ARRAY_APPEND(list, n));
	if (r < 0) {
		drift_records_free(list, n);
		return r;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

int journal_get_in_sync(Journal *j, char **ret_sha256, uint64_t *ret_usec)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r;

	assert(j);

	/* A reader of an older schema: nothing was ever marked. */
	if (j->version < JOURNAL_VERSION_IN_SYNC)
		return -ENOENT;

	r = journal_stmt(j, JOURNAL_STMT_GET_IN_SYNC,
			 "SELECT desired_sha256, marked_usec FROM in_sync WHERE id = 1", &st);
	if (r < 0)
		return r;
	r = journal_first_row(j, st, NULL);
	if (r < 0)
		return r;
	if (ret_sha256)
		*ret_sha256 = journal_column_strdup(st, 0);
	if (ret_usec)
		*ret_usec = column_usec(st, 1);
	return 0;
}

int journal_count_events(Journal *j, const char *namespace, uint64_t *ret_drift,
			 uint64_t *ret_lockdowns)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r;

	assert(j);
	assert(namespace);
	assert(ret_drift);
	assert(ret_lockdowns);

	r = journal_stmt(j, JOURNAL_STMT_COUNT_EVENTS,
			 "SELECT (SELECT count(*) FROM drift WHERE namespace = ?1), "
			 "(SELECT count(*) FROM txn WHERE txn.outcome = 'lockdown' AND "
			 TXN_TOUCHES_NAMESPACE ")",
			 &st);
	if (r < 0)
		return r;
	r = journal_first_row(j, st, namespace);
	if (r < 0)
		return r == -ENOENT ? -EIO : r;
	*ret_drift = (uint64_t)sqlite3_column_int64(st, 0);
	*ret_lockdowns = (uint64_t)sqlite3_column_int64(st, 1);
	return 0;
}

int journal_last_tunnel_change(Journal *j, const char *namespace, const char *ifname,
			       uint64_t *ret_usec)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);
	assert(namespace);
	assert(ifname);
	assert(ret_usec);

	r = journal_stmt(j, JOURNAL_STMT_TUNNEL_CHANGE,
			 "SELECT max(finished_usec) FROM step WHERE namespace = ?1 AND "
			 "status = 'done' AND object IN ('link ' || ?2, 'wireguard ' || ?2)",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, namespace) ?: journal_bind_text(st, 2, ifname);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	r = journal_next_row(j, st);
	if (r < 0)
		return r;
	*ret_usec = r > 0 ? column_usec(st, 0) : 0;
	return 0;
}
