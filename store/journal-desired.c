/* SPDX-License-Identifier: MIT */
/*
 * The desired-state documents transactions ran with, and which of them a
 * namespace was last verified against. A rollback rebuilds the policy
 * vpnconf built and verified for that document (docs/reconcile.md, "The
 * inverse rule"); nothing here is ever read back from the kernel.
 */
#include <assert.h>
#include <limits.h>

#include "journal-internal.h"
#include "sha256.h"

int journal_desired_store(Journal *j, const char *desired_sha256, const char *text, size_t size)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	assert(j);
	assert(desired_sha256);
	assert(text);

	if (j->version < JOURNAL_VERSION_DESIRED_TEXT)
		return -EOPNOTSUPP;
	if (size > INT_MAX)
		return -EFBIG;
	r = journal_stmt(j, JOURNAL_STMT_DESIRED_STORE,
			 "INSERT INTO desired_text (sha256, text, stored_usec) VALUES (?1, ?2, ?3) "
			 "ON CONFLICT (sha256) DO NOTHING",
			 &st);
	if (r < 0)
		return r;
	rc = journal_bind_text(st, 1, desired_sha256)
		?: sqlite3_bind_text(st, 2, text, (int)size, SQLITE_STATIC)
		?: journal_bind_usec(st, 3, now_usec_realtime());
	if (rc != SQLITE_OK)
		return journal_errno(j->db, rc);
	return journal_run(j, st);
}

int journal_desired_get(Journal *j, const char *desired_sha256, char **ret_text, size_t *ret_size)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	uint8_t digest[SHA256_DIGEST_SIZE];
	_cleanup_free_ char *hex = NULL;
	const void *text;
	int r, n;

	assert(j);
	assert(desired_sha256);

	if (j->version < JOURNAL_VERSION_DESIRED_TEXT)
		return -ENOENT;
	r = journal_stmt(j, JOURNAL_STMT_DESIRED_GET,
			 "SELECT text FROM desired_text WHERE sha256 = ?1", &st);
	if (r < 0)
		return r;
	r = journal_first_row(j, st, desired_sha256);
	if (r < 0)
		return r;
	text = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	/* Only the very document that was hashed: anything else (an edited
	 * database) is as good as absent. */
	sha256(text ?: "", (size_t)n, digest);
	hex = hexmem(digest, sizeof(digest));
	if (!streq(hex, desired_sha256))
		return -EBADMSG;
	*ret_text = xstrndup(text ?: "", (size_t)n);
	if (ret_size)
		*ret_size = (size_t)n;
	return 0;
}

int journal_last_verified(Journal *j, const char *namespace, char **ret_sha256,
			  uint64_t *ret_usec)
{
	_cleanup_journal_stmt_ sqlite3_stmt *st = NULL;
	int r;

	assert(j);
	assert(namespace);

	/* "applied" is only recorded for a reconcile whose verification found
	 * nothing left to do. */
	r = journal_stmt(j, JOURNAL_STMT_LAST_VERIFIED,
			 "SELECT desired_sha256, finished_usec FROM txn WHERE namespace = ?1 "
			 "AND outcome = 'applied' AND command = 'reconcile' "
			 "AND desired_sha256 IS NOT NULL ORDER BY started_usec DESC LIMIT 1",
			 &st);
	if (r < 0)
		return r;
	r = journal_first_row(j, st, namespace);
	if (r < 0)
		return r;
	*ret_sha256 = journal_column_strdup(st, 0);
	if (ret_usec)
		*ret_usec = (uint64_t)sqlite3_column_int64(st, 1);
	return 0;
}
