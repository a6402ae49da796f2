/* SPDX-License-Identifier: MIT */
/*
 * A journal that fails while a plan runs (a full disk while steps are
 * written) used to abort the plan half-way: apply_plan() returned the
 * journal's error and left the rest undone. Now the plan goes on
 * unjournaled and the error is reported in the context. The failures are
 * made with SQLite triggers (RAISE), the steps are file writes in a
 * temporary directory: no kernel objects needed.
 */
#include "apply.h"
#include "plan-internal.h"
#include "test-journal.h"

typedef struct Fixture {
	char *dir;
	Journal *journal;
	char txn[TXN_ID_STRLEN];
	Plan plan;
} Fixture;

static void fixture_done(Fixture *f)
{
	plan_done(&f->plan);
	journal_close(f->journal);
	rm_rf_freep(&f->dir);
}

static char *file_path(const Fixture *f, const char *name)
{
	return xasprintf("%s/ns/%s", f->dir, name);
}

static void add_write(Fixture *f, const char *name, const char *content)
{
	_cleanup_free_ char *path = file_path(f, name);
	Step *s = step_new(STEP_FILE_WRITE, SITE_FILES, "ns", "write", "file %s", path);

	s->path = xstrdup(path);
	s->content = xstrdup(content);
	s->inverse = step_file_remove("ns", path);
	plan_append(&f->plan, s);
}

static Fixture fixture(const char *trigger_sql)
{
	Fixture f = {.dir = make_tmpdir()};

	if (journal_open(f.dir, false, &f.journal) < 0 ||
	    journal_txn_begin(f.journal, "test", "reconcile", "ns", NULL, f.txn) < 0)
		TEST_FAIL("journal");
	if (trigger_sql)
		sql_exec(f.dir, trigger_sql);
	add_write(&f, "a", "A\n");
	add_write(&f, "b", "B\n");
	add_write(&f, "c", "C\n");
	return f;
}

static bool has(const Fixture *f, const char *name, const char *content)
{
	_cleanup_free_ char *path = file_path(f, name), *got = NULL;

	return read_full_file(path, 4096, &got, NULL) >= 0 && streq(got, content);
}

static void run(Fixture *f, ApplyContext *c, ApplyResult *res)
{
	*c = (ApplyContext){.journal = f->journal, .txn_id = f->txn};
	ASSERT_OK(apply_plan(c, &f->plan, true, res));
}

TEST(journal_failing_while_steps_are_written)
{
	_cleanup_(fixture_done) Fixture f = fixture(
		"CREATE TRIGGER full AFTER UPDATE ON step BEGIN SELECT RAISE(FAIL, 'full'); END;");
	_cleanup_(apply_result_done) ApplyResult res = {};
	ApplyContext c;

	run(&f, &c, &res);
	ASSERT_EQ(res.outcome, APPLY_DONE);
	ASSERT_EQ(res.applied, 3);
	ASSERT_TRUE(has(&f, "a", "A\n") && has(&f, "b", "B\n") && has(&f, "c", "C\n"));
	ASSERT_TRUE(c.journal_error < 0);
	ASSERT_TRUE(c.journal == NULL);
	/* The plan itself was recorded before the journal failed. */
	ASSERT_EQ(sql_int(f.dir, "SELECT count(*) FROM step"), 3);
}

TEST(journal_failing_before_the_plan_is_recorded)
{
	_cleanup_(fixture_done) Fixture f = fixture(
		"CREATE TRIGGER full BEFORE INSERT ON step BEGIN SELECT RAISE(FAIL, 'full'); END;");
	_cleanup_(apply_result_done) ApplyResult res = {};
	ApplyContext c;

	run(&f, &c, &res);
	ASSERT_EQ(res.outcome, APPLY_DONE);
	ASSERT_TRUE(has(&f, "a", "A\n") && has(&f, "b", "B\n") && has(&f, "c", "C\n"));
	ASSERT_TRUE(c.journal_error < 0);
	ASSERT_EQ(sql_int(f.dir, "SELECT count(*) FROM step"), 0);
}

TEST(journal_failing_during_a_rollback)
{
	_cleanup_(fixture_done) Fixture f = fixture(
		"CREATE TRIGGER full AFTER UPDATE ON step BEGIN SELECT RAISE(FAIL, 'full'); END;");
	_cleanup_(apply_result_done) ApplyResult res = {};
	_cleanup_free_ char *blocker = file_path(&f, "b"), *inside = NULL;
	ApplyContext c;

	/* The second step fails (a non-empty directory where its file goes):
	 * the first is undone all the same. */
	_cleanup_free_ char *ns = xasprintf("%s/ns", f.dir);

	inside = xasprintf("%s/x", blocker);
	ASSERT_OK(mkdir(ns, 0755));
	ASSERT_OK(mkdir(blocker, 0755));
	ASSERT_OK(mkdir(inside, 0755));
	run(&f, &c, &res);
	ASSERT_EQ(res.outcome, APPLY_ROLLED_BACK);
	ASSERT_FALSE(has(&f, "a", "A\n"));
	ASSERT_FALSE(has(&f, "c", "C\n"));
	ASSERT_TRUE(c.journal_error < 0);
}
