/* SPDX-License-Identifier: MIT */
/* Helpers of the journal tests: temporary directories, direct SQL, modes. */
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "journal-internal.h"
#include "journal.h"
#include "test-tmpdir.h"
#include "test.h"
#include "util.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* sha256("x") */
#define SHA_X "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"

/* A fresh directory; removed by _cleanup_rm_rf_ when the test passes and
 * left behind for inspection when it fails. */
static inline char *make_tmpdir(void)
{
	return test_tmpdir("test-journal");
}

static inline char *db_path(const char *dir)
{
	return xasprintf("%s/%s", dir, JOURNAL_FILE);
}

/* Raw SQL against the database file, for fixtures and schema checks. */
static inline void sql_exec(const char *dir, const char *sql)
{
	_cleanup_free_ char *path = db_path(dir);
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "  sql: %s\n", err ?: sqlite3_errmsg(db));
		sqlite3_free(err);
		sqlite3_close(db);
		TEST_FAIL("sql_exec(%s) failed: %d", sql, rc);
	}
	sqlite3_close(db);
}

static inline long long sql_int(const char *dir, const char *sql)
{
	_cleanup_free_ char *path = db_path(dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static inline mode_t file_mode(const char *dir, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	struct stat st;

	if (stat(p, &st) < 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

static inline unsigned count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	unsigned n = 0;

	if (!d)
		return (unsigned)-1;
	for (struct dirent *e; (e = readdir(d));)
		if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static inline double elapsed_usec(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

static inline void add_step(Journal *j, const char *txn, const char *ns, const char *object,
		     StepStatus status, int64_t *ret_id)
{
	StepRecord s = {
		.namespace = (char *)ns,
		.object = (char *)object,
		.action = (char *)"create",
		.after = (char *)"up",
		.inverse = (char *)"delete",
	};
	int64_t id;

	ASSERT_OK(journal_step_begin(j, txn, &s, &id));
	ASSERT_OK(journal_step_finish(j, id, status, status == STEP_FAILED ? "refused" : NULL));
	if (ret_id)
		*ret_id = id;
}
