/* SPDX-License-Identifier: MIT */
/* The agent's coalescing and scheduling (reconciler/agent-sched.c). */
#include "agent-sched.h"
#include "test.h"
#include "util.h"

#define SEC (1000ULL * 1000)

static char *const names[] = {"web", "apps", "mail", NULL};

static void take_full(AgentSched *s, uint64_t now)
{
	const char **l = NULL;
	bool full = false;

	ASSERT_TRUE(agent_sched_take(s, now, &full, &l));
	ASSERT_TRUE(full);
	ASSERT_TRUE(l == NULL);
}

TEST(starts_with_a_full_pass)
{
	AgentSched s;

	agent_sched_init(&s, names, 60 * SEC, 1000);
	ASSERT_TRUE(agent_sched_next(&s, 1000) <= 1000);
	take_full(&s, 1000);
	/* Nothing left but the periodic check, one interval after the start. */
	ASSERT_EQ(agent_sched_next(&s, 1000), 1000 + 60 * SEC);
	agent_sched_done(&s);
}

TEST(storm_costs_one_pass)
{
	AgentSched s;
	const char **l = NULL;
	bool full = true;

	agent_sched_init(&s, names, 60 * SEC, 0);
	take_full(&s, 0);
	for (int i = 0; i < 100000; i++)
		ASSERT_TRUE(agent_sched_mark(&s, "web"));
	ASSERT_TRUE(agent_sched_next(&s, 5) <= 5);
	ASSERT_TRUE(agent_sched_take(&s, 5, &full, &l));
	ASSERT_FALSE(full);
	ASSERT_STREQ(l[0], "web");
	ASSERT_TRUE(l[1] == NULL);
	free(l);
	/* Taken: nothing due any more. */
	ASSERT_FALSE(agent_sched_take(&s, 6, &full, &l));
	ASSERT_TRUE(l == NULL);
	ASSERT_EQ(agent_sched_next(&s, 6), 60 * SEC);
	agent_sched_done(&s);
}

TEST(only_dirty_namespaces_are_taken_sorted)
{
	AgentSched s;
	const char **l = NULL;
	bool full;

	agent_sched_init(&s, names, 0, 0);
	take_full(&s, 0);
	ASSERT_FALSE(agent_sched_mark(&s, "unknown"));
	ASSERT_TRUE(agent_sched_mark(&s, "web"));
	ASSERT_TRUE(agent_sched_mark(&s, "apps"));
	ASSERT_TRUE(agent_sched_take(&s, 1, &full, &l));
	ASSERT_STREQ(l[0], "apps");
	ASSERT_STREQ(l[1], "web");
	ASSERT_TRUE(l[2] == NULL);
	free(l);
	agent_sched_done(&s);
}

TEST(no_interval_no_periodic_pass)
{
	AgentSched s;

	agent_sched_init(&s, names, 0, 0);
	take_full(&s, 0);
	ASSERT_EQ(agent_sched_next(&s, 0), UINT64_MAX);
	agent_sched_done(&s);
}

TEST(periodic_check_is_due_every_interval)
{
	AgentSched s;
	const char **l = NULL;
	bool full;

	agent_sched_init(&s, names, 60 * SEC, 0);
	take_full(&s, 0);
	ASSERT_FALSE(agent_sched_periodic_due(&s, 59 * SEC));
	ASSERT_EQ(agent_sched_next(&s, 0), 60 * SEC);
	ASSERT_TRUE(agent_sched_periodic_due(&s, 60 * SEC));
	/* It is the caller's check, not a full pass: nothing to take. */
	ASSERT_FALSE(agent_sched_take(&s, 60 * SEC, &full, &l));
	agent_sched_periodic_done(&s, 61 * SEC);
	ASSERT_FALSE(agent_sched_periodic_due(&s, 61 * SEC));
	ASSERT_EQ(agent_sched_next(&s, 61 * SEC), 121 * SEC);
	/* What the check marks is taken as usual. */
	agent_sched_mark(&s, "mail");
	ASSERT_TRUE(agent_sched_take(&s, 61 * SEC, &full, &l));
	ASSERT_FALSE(full);
	ASSERT_STREQ(l[0], "mail");
	free(l);
	agent_sched_done(&s);
}

TEST(failure_backs_off_exponentially_and_resets)
{
	AgentSched s;
	const char **l = NULL;
	bool full;

	ASSERT_EQ(agent_sched_backoff(1), AGENT_RETRY_MIN_USEC);
	ASSERT_EQ(agent_sched_backoff(2), 2 * AGENT_RETRY_MIN_USEC);
	ASSERT_EQ(agent_sched_backoff(3), 4 * AGENT_RETRY_MIN_USEC);
	ASSERT_EQ(agent_sched_backoff(1000), AGENT_RETRY_MAX_USEC);

	agent_sched_init(&s, names, 0, 0);
	take_full(&s, 0);
	agent_sched_finished(&s, "mail", AGENT_PASS_FAILED, 10);
	ASSERT_EQ(agent_sched_next(&s, 10), 10 + AGENT_RETRY_MIN_USEC);
	/* Events during the backoff do not bring the retry forward... */
	agent_sched_mark(&s, "mail");
	ASSERT_FALSE(agent_sched_take(&s, 11, &full, &l));
	/* ...nor delay other namespaces. */
	agent_sched_mark(&s, "web");
	ASSERT_TRUE(agent_sched_take(&s, 11, &full, &l));
	ASSERT_STREQ(l[0], "web");
	ASSERT_TRUE(l[1] == NULL);
	free(l);
	ASSERT_TRUE(agent_sched_take(&s, 10 + AGENT_RETRY_MIN_USEC, &full, &l));
	ASSERT_STREQ(l[0], "mail");
	free(l);
	agent_sched_finished(&s, "mail", AGENT_PASS_FAILED, 1000000);
	ASSERT_EQ(agent_sched_next(&s, 1000000), 1000000 + 2 * AGENT_RETRY_MIN_USEC);
	agent_sched_take(&s, UINT64_MAX - 1, &full, &l);
	free(l);
	agent_sched_finished(&s, "mail", AGENT_PASS_OK, 2000000);
	ASSERT_EQ(agent_sched_next(&s, 2000000), UINT64_MAX);
	agent_sched_mark(&s, "mail");
	ASSERT_EQ(agent_sched_next(&s, 2000000), 0);
	agent_sched_done(&s);
}

TEST(busy_lock_retries_soon_without_backoff_growth)
{
	AgentSched s;
	const char **l = NULL;
	bool full;

	agent_sched_init(&s, names, 0, 0);
	agent_sched_finished(&s, NULL, AGENT_PASS_BUSY, 0);
	ASSERT_EQ(agent_sched_next(&s, 0), AGENT_BUSY_RETRY_USEC);
	ASSERT_FALSE(agent_sched_take(&s, 1, &full, &l));
	take_full(&s, AGENT_BUSY_RETRY_USEC);
	for (int i = 0; i < 10; i++)
		agent_sched_finished(&s, "web", AGENT_PASS_BUSY, 100);
	ASSERT_EQ(agent_sched_next(&s, 100), 100 + AGENT_BUSY_RETRY_USEC);
	agent_sched_done(&s);
}

TEST(mark_all_marks_every_namespace)
{
	AgentSched s;
	const char **l = NULL;
	bool full;

	agent_sched_init(&s, names, 0, 0);
	take_full(&s, 0);
	agent_sched_mark_all(&s);
	ASSERT_TRUE(agent_sched_take(&s, 0, &full, &l));
	ASSERT_FALSE(full);
	ASSERT_EQ(strv_length((char **)l), 3);
	free(l);
	agent_sched_done(&s);
}

TEST(timed_check_marks_only_its_namespace)
{
	AgentSched s;
	const char **l = NULL;
	bool full;

	agent_sched_init(&s, names, 60 * SEC, 0);
	take_full(&s, 0);
	agent_sched_check_at(&s, "mail", 30 * SEC);
	agent_sched_check_at(&s, "nope", 1);
	ASSERT_EQ(agent_sched_next(&s, 0), 30 * SEC);
	ASSERT_FALSE(agent_sched_take(&s, 29 * SEC, &full, &l));
	ASSERT_TRUE(agent_sched_take(&s, 30 * SEC, &full, &l));
	ASSERT_FALSE(full);
	ASSERT_STREQ(l[0], "mail");
	ASSERT_TRUE(l[1] == NULL);
	free(l);
	/* One-shot: the next is the periodic pass. */
	ASSERT_EQ(agent_sched_next(&s, 30 * SEC), 60 * SEC);
	/* Cancelled. */
	agent_sched_check_at(&s, "web", 40 * SEC);
	agent_sched_check_at(&s, "web", 0);
	ASSERT_EQ(agent_sched_next(&s, 30 * SEC), 60 * SEC);
	agent_sched_done(&s);
}
