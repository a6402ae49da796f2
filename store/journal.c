/* SPDX-License-Identifier: MIT */
/*
 * Opening the state journal and keeping its schema current, plus the
 * helpers the other journal files share: the statement cache and the one
 * conversion of SQLite result codes to -errno.
 *
 * A read-write open creates the state directory (0700) and journal.db
 * (0600) itself before SQLite sees the file; SQLite gives the -wal and -shm
 * files it creates the database's mode, so none of them is ever more
 * permissive than 0600. The connection runs in WAL mode with
 * synchronous=NORMAL. SQLite's checkpoint on close and its automatic
 * checkpoint are both replaced: closing costs no fsync until the WAL holds
 * JOURNAL_WAL_CHECKPOINT_FRAMES pages, and then the closing writer copies
 * it into the database and truncates it (see docs/journal.md).
 */
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "journal-internal.h"
#include "migrations.h"

static const char *const txn_outcome_table[_TXN_OUTCOME_MAX] = {
	[TXN_RUNNING] = "running",         [TXN_APPLIED] = "applied",
	[TXN_IN_SYNC] = "in-sync",         [TXN_ROLLED_BACK] = "rolled-back",
	[TXN_LOCKDOWN] = "lockdown",       [TXN_FAILED] = "failed",
	[TXN_INTERRUPTED] = "interrupted", [TXN_REJECTED] = "rejected",
	[TXN_DRIFT] = "drift",
};

static const char *const step_status_table[_STEP_STATUS_MAX] = {
	[STEP_PENDING] = "pending", [STEP_DONE] = "done",
	[STEP_FAILED] = "failed",   [STEP_UNDONE] = "undone",
	[STEP_UNDO_FAILED] = "undo-failed", [STEP_SKIPPED] = "skipped",
};

const char *txn_outcome_to_string(TxnOutcome o)
{
	if (o < 0 || o >= _TXN_OUTCOME_MAX)
		return NULL;
	return txn_outcome_table[o];
}

TxnOutcome txn_outcome_from_string(const char *s)
{
	for (int i = 0; s && i < _TXN_OUTCOME_MAX; i++)
		if (streq(txn_outcome_table[i], s))
			return (TxnOutcome)i;
	return _TXN_OUTCOME_INVALID;
}

const char *step_status_to_string(StepStatus s)
{
	if (s < 0 || s >= _STEP_STATUS_MAX)
		return NULL;
	return step_status_table[s];
}

StepStatus step_status_from_string(const char *s)
{
	for (int i = 0; s && i < _STEP_STATUS_MAX; i++)
		if (streq(step_status_table[i], s))
			return (StepStatus)i;
	return _STEP_STATUS_INVALID;
}

int journal_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_INTERRUPT:
		return -EINTR;
	case SQLITE_CONSTRAINT:
		/* The only foreign keys name a transaction: a step or drift
		 * record for a transaction that does not exist. */
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return -ENOENT;
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			return -EEXIST;
		return -EINVAL;
	case SQLITE_CANTOPEN:
		sys = db ? sqlite3_system_errno(db) : 0;
		return sys == 0 || sys == ENOENT || sys == ENOTDIR ? -ENOENT : -EACCES;
	default:
		return -EIO;
	}
}

int journal_stmt(Journal *j, JournalStmt slot, const char *sql, sqlite3_stmt **ret)
{
	assert(j);
	assert(slot >= 0 && slot < _JOURNAL_STMT_MAX);
	assert(sql);

	if (!j->stmt[slot]) {
		int rc = sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
					    &j->stmt[slot], NULL);
		if (rc != SQLITE_OK)
			return journal_errno(j->db, rc);
	}
	assert(streq(sqlite3_sql(j->stmt[slot]), sql));
	*ret = j->stmt[slot];
	return 0;
}

void journal_stmt_resetp(sqlite3_stmt **st)
{
	if (!*st)
		return;
	/* Ends the statement's read snapshot; the result code repeats the
	 * error of the last sqlite3_step(), which the caller has seen. */
	(void)sqlite3_reset(*st);
	(void)sqlite3_clear_bindings(*st);
}

int journal_next_row(Journal *j, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return journal_errno(j->db, rc);
}

int journal_first_row(Journal *j, sqlite3_stmt *st, const char *text1)
{
	int r, rc;

	if (text1) {
		rc = journal_bind_text(st, 1, text1);
		if (rc != SQLITE_OK)
			return journal_errno(j->db, rc);
	}
	r = journal_next_row(j, st);
	if (r < 0)
		return r;
	return r > 0 ? 0 : -ENOENT;
}

int journal_run(Journal *j, sqlite3_stmt *st)
{
	int r;

	while ((r = journal_next_row(j, st)) > 0)
		;
	return r;
}

int journal_exec(Journal *j, JournalStmt slot, const char *sql)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = journal_stmt(j, slot, sql, &st);
	if (r < 0)
		return r;
	return journal_run(j, st);
}

char *journal_column_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? xstrdup((const char *)s) : NULL;
}

unsigned journal_migrations_count(void)
{
	return ELEMENTSOF(journal_migrations);
}

int journal_schema_version(Journal *j)
{
	assert(j);
	return (int)j->version;
}

static int journal_read_version(Journal *j, unsigned *ret)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = journal_stmt(j, JOURNAL_STMT_USER_VERSION, "PRAGMA user_version", &st);
	if (r < 0)
		return r;
	r = journal_first_row(j, st, NULL);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	if (sqlite3_column_int(st, 0) < 0)
		return -EBADMSG;
	*ret = (unsigned)sqlite3_column_int(st, 0);
	return 0;
}

static void journal_rollback(Journal *j)
{
	/* Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled the
	 * transaction back; ROLLBACK would fail then. */
	if (!sqlite3_get_autocommit(j->db))
		(void)journal_exec(j, JOURNAL_STMT_ROLLBACK, "ROLLBACK");
}

/* Applies the migration that follows the version found inside a write
 * transaction, so that two processes opening an old database at the same
 * time migrate it once. Each migration ends with its user_version bump
 * (appended at build time) and commits with it. */
static int journal_migrate_next(Journal *j)
{
	unsigned v;
	int r, rc;

	r = journal_exec(j, JOURNAL_STMT_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = journal_read_version(j, &v);
	if (r < 0)
		goto fail;
	if (v > journal_migrations_count()) {
		r = -EPROTONOSUPPORT;
		goto fail;
	}
	if (v != j->version) {
		/* Someone else migrated meanwhile. */
		j->version = v;
		journal_rollback(j);
		return 0;
	}
	rc = sqlite3_exec(j->db, journal_migrations[v], NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = journal_errno(j->db, rc);
		goto fail;
	}
	r = journal_exec(j, JOURNAL_STMT_COMMIT, "COMMIT");
	if (r < 0)
		goto fail;
	j->version = v + 1;
	return 0;
fail:
	journal_rollback(j);
	return r;
}

int journal_migrate_to(Journal *j, unsigned target)
{
	assert(j);

	if (target > journal_migrations_count())
		return -EINVAL;
	if (j->read_only)
		return -EROFS;
	while (j->version < target) {
		int r = journal_migrate_next(j);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Narrows an existing file's mode to 0600, unless it already is. */
static int journal_file_narrow(const char *path, const struct stat *st)
{
	_cleanup_close_ int fd = -EBADF;

	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	if (!S_ISREG(st->st_mode))
		return S_ISDIR(st->st_mode) ? -EISDIR : -EBADFD;
	if ((st->st_mode & 07777) == 0600)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return negative_errno();
	if (fchmod(fd, 0600) < 0)
		return negative_errno();
	return 0;
}

/* Leaves path with mode 0600, creating it (when create) or narrowing a
 * wider mode. One lstat() when all is well: this runs on every open. */
static int journal_file_restrict(const char *path, bool create)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (lstat(path, &st) >= 0)
		return journal_file_narrow(path, &st);
	if (errno != ENOENT)
		return negative_errno();
	if (!create)
		return 0;

	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		/* Created by another process meanwhile: check it instead. */
		return errno == EEXIST ? journal_file_restrict(path, false) : negative_errno();
	/* The creation mode went through the umask; SQLite needs 0600. */
	if (fchmod(fd, 0600) < 0)
		return negative_errno();
	return 0;
}

static int journal_prepare_files(const char *state_dir, const char *path)
{
	static const char *const suffixes[] = {"-wal", "-shm"};
	int r;

	if (mkdir(state_dir, 0700) >= 0) {
		/* The mode went through the umask: a restrictive one (0277) would
		 * leave a directory nobody can create the database in. */
		if (chmod(state_dir, 0700) < 0)
			return negative_errno();
	} else if (errno != EEXIST) {
		if (errno != ENOENT)
			return negative_errno();
		r = mkdir_p(state_dir, 0700);
		if (r < 0)
			return r;
		if (chmod(state_dir, 0700) < 0)
			return negative_errno();
	}
	r = journal_file_restrict(path, true);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		_cleanup_free_ char *p = xasprintf("%s%s", path, suffixes[i]);
		r = journal_file_restrict(p, false);
		if (r < 0)
			return r;
	}
	return 0;
}

static int journal_wal_hook(void *userdata, sqlite3 *db, const char *name, int n_frames)
{
	Journal *j = userdata;

	j->wal_frames = (unsigned)n_frames;
	return SQLITE_OK;
}

static int journal_check_wal(void *userdata, int n, char **values, char **names)
{
	bool *wal = userdata;

	if (n == 1 && streq(names[0], "journal_mode"))
		*wal = values[0] && streq(values[0], "wal");
	return 0;
}

/* Per-connection settings. WAL lets readers and the writer coexist and
 * makes a commit an append; synchronous=NORMAL defers every fsync to
 * checkpoints (journal-write.c raises it to FULL for finishing records). */
static int journal_configure(Journal *j)
{
	bool wal = false;
	int rc;

	rc = sqlite3_extended_result_codes(j->db, 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(j->db, JOURNAL_BUSY_TIMEOUT_MSEC);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(j->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(j->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	if (j->read_only)
		return 0;

	rc = sqlite3_exec(j->db,
			  "PRAGMA journal_mode = WAL;"
			  "PRAGMA synchronous = NORMAL;"
			  "PRAGMA foreign_keys = ON;",
			  journal_check_wal, &wal, NULL);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	/* Replaces SQLite's automatic checkpoint: see journal_close(). */
	(void)sqlite3_wal_hook(j->db, journal_wal_hook, j);
	/* Without WAL, readers would block the writer and every commit
	 * would fsync a rollback journal. */
	return wal ? 0 : -EOPNOTSUPP;
}

static int journal_open_full(const char *state_dir, bool read_only, bool migrate, Journal **ret)
{
	_cleanup_(journal_closep) Journal *j = NULL;
	_cleanup_free_ char *path = NULL;
	int r, rc;

	assert(state_dir);
	assert(ret);

	path = xasprintf("%s/%s", state_dir, JOURNAL_FILE);
	if (!read_only) {
		r = journal_prepare_files(state_dir, path);
		if (r < 0)
			return r;
	}

	j = xcalloc(1, sizeof(*j));
	j->read_only = read_only;
	rc = sqlite3_open_v2(path, &j->db,
			     (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
				     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW |
				     SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	r = journal_configure(j);
	if (r < 0)
		return r;
	r = journal_read_version(j, &j->version);
	if (r < 0)
		return r;
	if (j->version > journal_migrations_count())
		return -EPROTONOSUPPORT;
	/* A reader finding a database that was never set up sees no journal. */
	if (read_only && j->version == 0)
		return -ENOENT;
	if (migrate) {
		r = journal_migrate_to(j, journal_migrations_count());
		if (r < 0)
			return r;
	}

	*ret = TAKE_PTR(j);
	return 0;
}

int journal_open(const char *state_dir, bool read_only, Journal **ret)
{
	return journal_open_full(state_dir, read_only, !read_only, ret);
}

int journal_open_unmigrated(const char *state_dir, Journal **ret)
{
	return journal_open_full(state_dir, false, false, ret);
}

bool journal_error_is_damage(int r)
{
	return r == -EBADMSG || r == -ELOOP || r == -EISDIR || r == -EBADFD;
}

/* A name for the moved journal that nothing holds yet: the time, and a
 * counter when two resets fall in the same second. */
static int journal_aside_name(const char *state_dir, char **ret)
{
	struct tm tm;
	char stamp[32];
	time_t now = time(NULL);

	if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return -EINVAL;
	for (unsigned i = 0; i < 100; i++) {
		_cleanup_free_ char *name = i == 0 ? xasprintf("%s.corrupt-%s", JOURNAL_FILE, stamp)
						   : xasprintf("%s.corrupt-%s-%u", JOURNAL_FILE, stamp, i);
		_cleanup_free_ char *path = xasprintf("%s/%s", state_dir, name);
		struct stat st;

		if (lstat(path, &st) < 0 && errno == ENOENT) {
			*ret = TAKE_PTR(name);
			return 0;
		}
	}
	return -EEXIST;
}

int journal_move_aside(const char *state_dir, char **ret_name)
{
	/* The database last: should a rename fail half-way, the damaged
	 * database is still in place (and moved aside by the next run), never
	 * a new database next to the old one's -wal. */
	static const char *const suffixes[] = {"-wal", "-shm", ""};
	_cleanup_free_ char *name = NULL;
	int r;

	r = journal_aside_name(state_dir, &name);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		_cleanup_free_ char *from = xasprintf("%s/%s%s", state_dir, JOURNAL_FILE, suffixes[i]);
		_cleanup_free_ char *to = xasprintf("%s/%s%s", state_dir, name, suffixes[i]);

		if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0 &&
		    (errno != ENOENT || suffixes[i][0] == 0))
			return negative_errno();
	}
	*ret_name = TAKE_PTR(name);
	return 0;
}

Journal *journal_close(Journal *j)
{
	if (!j)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(j->stmt); i++)
		sqlite3_finalize(j->stmt[i]);
	if (j->wal_frames >= JOURNAL_WAL_CHECKPOINT_FRAMES)
		/* Best effort: on failure (a reader outlasting the busy
		 * timeout) the next writer tries again. */
		(void)sqlite3_wal_checkpoint_v2(j->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
						NULL);
	sqlite3_close(j->db);
	free(j);
	return NULL;
}
