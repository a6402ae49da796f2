/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the journal's implementation files and its unit
 * test; not part of the public interface:
 *
 *  - journal.c:       open, schema migration, the statement cache and the
 *                     one place where SQLite result codes become -errno;
 *  - journal-write.c: transactions, steps, drift and the in-sync mark;
 *  - journal-read.c:  queries and the record types' destructors;
 *  - journal-desired.c: the desired-state documents transactions ran with.
 *
 * Every statement is prepared once per connection, on first use, and kept
 * in the Journal (SQLITE_PREPARE_PERSISTENT); values are always bound, SQL
 * text is always a string constant.
 */
#pragma once

#include <sqlite3.h>

#include "journal.h"

/* The schema version that introduced the in_sync table. */
#define JOURNAL_VERSION_IN_SYNC 2
/* The schema version that introduced the desired_text table. */
#define JOURNAL_VERSION_DESIRED_TEXT 3

/* How long a connection waits for another one's lock before -EBUSY. */
#define JOURNAL_BUSY_TIMEOUT_MSEC 5000

/* A writer closing the journal checkpoints the WAL into the database and
 * truncates it once it holds this many frames (pages). Until then a close
 * costs no fsync, and the next process's WAL recovery, which reads every
 * frame, stays cheap. */
#ifndef JOURNAL_WAL_CHECKPOINT_FRAMES
#define JOURNAL_WAL_CHECKPOINT_FRAMES 64
#endif

/* One slot per cached statement. */
typedef enum JournalStmt {
	JOURNAL_STMT_BEGIN_IMMEDIATE,
	JOURNAL_STMT_COMMIT,
	JOURNAL_STMT_ROLLBACK,
	JOURNAL_STMT_USER_VERSION,
	JOURNAL_STMT_SYNC_FULL,
	JOURNAL_STMT_SYNC_NORMAL,
	JOURNAL_STMT_TXN_BEGIN,
	JOURNAL_STMT_TXN_FINISH,
	JOURNAL_STMT_TXN_OUTCOME,
	JOURNAL_STMT_TXN_REJECTED,
	JOURNAL_STMT_STEP_BEGIN,
	JOURNAL_STMT_STEP_FINISH,
	JOURNAL_STMT_STEP_SKIP,
	JOURNAL_STMT_DRIFT,
	JOURNAL_STMT_MARK_IN_SYNC,
	JOURNAL_STMT_GET_IN_SYNC,
	JOURNAL_STMT_UNFINISHED,
	JOURNAL_STMT_LIST_TXNS,
	JOURNAL_STMT_TXN_BY_PREFIX,
	JOURNAL_STMT_LAST_TXN,
	JOURNAL_STMT_LIST_STEPS,
	JOURNAL_STMT_LIST_DRIFT,
	JOURNAL_STMT_COUNT_EVENTS,
	JOURNAL_STMT_DESIRED_STORE,
	JOURNAL_STMT_DESIRED_GET,
	JOURNAL_STMT_LAST_VERIFIED,
	JOURNAL_STMT_TUNNEL_CHANGE,
	_JOURNAL_STMT_MAX,
	_JOURNAL_STMT_INVALID = -EINVAL,
} JournalStmt;

struct Journal {
	sqlite3 *db;
	bool read_only;
	unsigned version;    /* PRAGMA user_version as last read or migrated to */
	unsigned wal_frames; /* frames in the WAL after our last commit */
	sqlite3_stmt *stmt[_JOURNAL_STMT_MAX];
};

/* The one conversion of an SQLite result code (primary or extended) to
 * -errno; SQLITE_OK, SQLITE_ROW and SQLITE_DONE give 0. db may be NULL. */
int journal_errno(sqlite3 *db, int rc);

/* The cached statement of slot, prepared from sql on first use. Every use
 * of a slot must pass the same sql. Pair with _cleanup_journal_stmt_ so
 * that the statement is reset (releasing its read snapshot) and its
 * bindings cleared when the caller's scope ends. */
int journal_stmt(Journal *j, JournalStmt slot, const char *sql, sqlite3_stmt **ret);
void journal_stmt_resetp(sqlite3_stmt **st);
#define _cleanup_journal_stmt_ _cleanup_(journal_stmt_resetp)

/* Steps st to completion: 0 when done, -errno on failure. A statement that
 * returns rows is stepped past them. */
int journal_run(Journal *j, sqlite3_stmt *st);
/* One step: 1 on a row, 0 when done, -errno on failure. */
int journal_next_row(Journal *j, sqlite3_stmt *st);
/* Binds text1 to ?1 (when NULL, nothing: an unbound ?1 is NULL, and a
 * statement without parameters takes none) and steps once: 0 with st on its
 * first row, -ENOENT when there is none, -errno on failure. */
int journal_first_row(Journal *j, sqlite3_stmt *st, const char *text1);
/* Prepares (cached) and runs a statement that binds nothing. */
int journal_exec(Journal *j, JournalStmt slot, const char *sql);

/* Binding helpers; they return SQLite codes so that a chain of them can be
 * written "rc = bind_a(...) ?: bind_b(...) ?: ...". Text is bound without
 * a copy: it must stay valid until the statement is reset. NULL binds
 * NULL; a time of 0 binds NULL. */
static inline int journal_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static inline int journal_bind_usec(sqlite3_stmt *st, int i, uint64_t usec)
{
	if (usec == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, (sqlite3_int64)usec);
}

/* A copy of a text column, NULL for SQL NULL. */
char *journal_column_strdup(sqlite3_stmt *st, int i);

/* Opens like journal_open(state_dir, false, ret) but leaves the schema at
 * whatever version it has (0 for a new database); tests build every
 * earlier version from it with journal_migrate_to(). */
int journal_open_unmigrated(const char *state_dir, Journal **ret);
