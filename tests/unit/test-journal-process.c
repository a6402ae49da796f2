/* SPDX-License-Identifier: MIT */
/*
 * The journal seen from several processes: a committed transaction is
 * visible to another process, a writer waits for another writer's lock
 * while readers go on, and what a no-op reconcile costs the journal.
 */
#include "test-journal.h"

static int child_reads(const char *dir, const char *id)
{
	Journal *j = NULL;
	TxnRecord t = {};
	int ok;

	if (journal_open(dir, true, &j) < 0)
		return 2;
	if (journal_get_txn(j, id, &t, NULL, NULL) < 0)
		return 3;
	ok = t.outcome == TXN_APPLIED && streq_ptr(t.summary, "from parent");
	txn_record_done(&t);
	journal_close(j);
	return ok ? 0 : 4;
}

static int child_writes(const char *dir, int go_fd, int id_fd)
{
	char id[TXN_ID_STRLEN], c;
	Journal *j = NULL;

	if (read(go_fd, &c, 1) != 1)
		return 2;
	if (journal_open(dir, false, &j) < 0)
		return 3;
	if (journal_txn_begin(j, "timer", "reconcile", NULL, SHA_B, id) < 0 ||
	    journal_txn_finish(j, id, TXN_APPLIED, "from child") < 0)
		return 4;
	journal_close(j);
	if (write(id_fd, id, TXN_ID_STRLEN) != TXN_ID_STRLEN)
		return 5;
	return 0;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST(second_process)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char id[TXN_ID_STRLEN], child_id[TXN_ID_STRLEN];
	int go[2], back[2];
	TxnRecord t = {};
	pid_t pid;

	/* No connection is open across fork(): SQLite's per-process lock
	 * bookkeeping must not be inherited. */
	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", NULL, SHA_A, id));
	ASSERT_OK(journal_txn_finish(j, id, TXN_APPLIED, "from parent"));
	j = journal_close(j);

	fflush(NULL);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(child_reads(dir, id));
	ASSERT_EQ(wait_child(pid), 0);

	ASSERT_OK(pipe2(go, O_CLOEXEC));
	ASSERT_OK(pipe2(back, O_CLOEXEC));
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(child_writes(dir, go[0], back[1]));
	close(go[0]);
	close(back[1]);

	/* The parent's reader is open before the child writes. */
	ASSERT_OK(journal_open(dir, true, &j));
	ASSERT_EQ(write(go[1], "x", 1), 1);
	ASSERT_EQ(read(back[0], child_id, sizeof(child_id)), TXN_ID_STRLEN);
	ASSERT_EQ(wait_child(pid), 0);
	close(go[1]);
	close(back[0]);
	ASSERT_OK(journal_get_txn(j, child_id, &t, NULL, NULL));
	ASSERT_STREQ(t.summary, "from child");
	ASSERT_STREQ(t.trigger, "timer");
	txn_record_done(&t);
	ASSERT_OK(journal_last_txn(j, NULL, &t));
	ASSERT_STREQ(t.id, child_id);
	txn_record_done(&t);
}

/* Holds the write lock for hold_ms, as another vpnconf process would. */
static int child_holds_write_lock(const char *dir, int ready_fd, unsigned hold_ms)
{
	_cleanup_free_ char *path = db_path(dir);
	struct timespec ts = {hold_ms / 1000, (long)(hold_ms % 1000) * 1000000};
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return 2;
	if (write(ready_fd, "x", 1) != 1)
		return 3;
	nanosleep(&ts, NULL);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return 4;
	sqlite3_close(db);
	return 0;
}

TEST(busy_writer_waits)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL, *r = NULL;
	char id[TXN_ID_STRLEN], c;
	struct timespec a, b;
	TxnRecord *list = NULL;
	size_t n = 0;
	int ready[2];
	pid_t pid;

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_txn_begin(j, "cli", "reconcile", NULL, NULL, id));
	j = journal_close(j);

	ASSERT_OK(pipe2(ready, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(child_holds_write_lock(dir, ready[1], 300));
	close(ready[1]);
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	close(ready[0]);

	/* A reader is not held up by the writer... */
	clock_gettime(CLOCK_MONOTONIC, &a);
	ASSERT_OK(journal_open(dir, true, &r));
	ASSERT_OK(journal_list_txns(r, NULL, 0, &list, &n));
	ASSERT_EQ(n, 1);
	txn_records_free(list, n);
	/* ...a second writer waits for it (busy timeout) instead of failing. */
	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_txn_finish(j, id, TXN_APPLIED, NULL));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ASSERT_EQ(wait_child(pid), 0);
	ASSERT_TRUE(elapsed_usec(&a, &b) >= 200000);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* What every no-op reconcile does with the journal. */
static void noop_reconcile(const char *dir)
{
	_cleanup_(journal_closep) Journal *j = NULL;
	TxnRecord *list = NULL;
	size_t n = 0;

	ASSERT_OK(journal_open(dir, false, &j));
	ASSERT_OK(journal_unfinished(j, &list, &n));
	ASSERT_EQ(n, 0);
	txn_records_free(list, n);
	ASSERT_OK(journal_mark_in_sync(j, SHA_A));
}

/* Printed, not asserted: the figure depends on the machine and its load.
 * One run in JOURNAL_WAL_CHECKPOINT_FRAMES checkpoints the WAL on close
 * (fsyncs), which shows in the worst case, not in the median. */
TEST(noop_reconcile_cost)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_(journal_closep) Journal *j = NULL;
	char id[TXN_ID_STRLEN];
	enum { RUNS = 500 };
	double t[RUNS], sum = 0;
	struct timespec cpu0, cpu1;

	/* A journal with some history, as on a host that has run a while. */
	ASSERT_OK(journal_open(dir, false, &j));
	for (unsigned i = 0; i < 200; i++) {
		ASSERT_OK(journal_txn_begin(j, "timer", "reconcile", "web", SHA_A, id));
		for (unsigned k = 0; k < 5; k++)
			add_step(j, id, "web", "nft rule", STEP_DONE, NULL);
		ASSERT_OK(journal_txn_finish(j, id, TXN_APPLIED, NULL));
	}
	j = journal_close(j);

	noop_reconcile(dir); /* warm the page cache */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
	for (unsigned i = 0; i < RUNS; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		noop_reconcile(dir);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = elapsed_usec(&a, &b);
		sum += t[i];
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	printf("  no-op reconcile (open, unfinished, mark in sync, close) over %d runs: "
	       "median %.0f us, mean %.0f us, p90 %.0f us, worst %.0f us; CPU %.0f us/run\n",
	       RUNS, t[RUNS / 2], sum / RUNS, t[RUNS * 9 / 10], t[RUNS - 1],
	       elapsed_usec(&cpu0, &cpu1) / RUNS);
}
