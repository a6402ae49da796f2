/* SPDX-License-Identifier: MIT */
/*
 * The agent's scheduling (see agent-sched.h).
 */
#include <stdlib.h>
#include <string.h>

#include "agent-sched.h"
#include "util.h"

static int ns_cmp(const void *a, const void *b)
{
	return strcmp(((const AgentNs *)a)->name, ((const AgentNs *)b)->name);
}

void agent_sched_init(AgentSched *s, char *const *names, uint64_t interval_usec, uint64_t now)
{
	*s = (AgentSched){.interval_usec = interval_usec, .full = true};
	STRV_FOREACH(n, names)
	{
		AgentNs *a = ARRAY_APPEND(s->ns, s->n);
		a->name = xstrdup(*n);
	}
	if (s->n > 1)
		qsort(s->ns, s->n, sizeof(*s->ns), ns_cmp);
	s->next_periodic = interval_usec ? now + interval_usec : UINT64_MAX;
}

void agent_sched_done(AgentSched *s)
{
	FOREACH_ARRAY(a, s->ns, s->n)
	free(a->name);
	free(s->ns);
	*s = (AgentSched){};
}

static AgentNs *find(AgentSched *s, const char *name)
{
	AgentNs key = {.name = (char *)name};

	if (!name || s->n == 0)
		return NULL;
	return bsearch(&key, s->ns, s->n, sizeof(*s->ns), ns_cmp);
}

bool agent_sched_mark(AgentSched *s, const char *name)
{
	AgentNs *a = find(s, name);

	if (!a)
		return false;
	a->dirty = true;
	return true;
}

void agent_sched_mark_all(AgentSched *s)
{
	FOREACH_ARRAY(a, s->ns, s->n)
	a->dirty = true;
}

void agent_sched_mark_full(AgentSched *s)
{
	s->full = true;
}

void agent_sched_check_at(AgentSched *s, const char *name, uint64_t when)
{
	AgentNs *a = find(s, name);

	if (a)
		a->check_at = when;
}

uint64_t agent_sched_next(const AgentSched *s, uint64_t now)
{
	uint64_t next = s->next_periodic;

	if (s->full)
		next = MIN(next, s->full_not_before);
	FOREACH_ARRAY(a, s->ns, s->n)
	{
		if (a->dirty)
			next = MIN(next, a->not_before);
		if (a->check_at)
			next = MIN(next, MAX(a->check_at, a->not_before));
	}
	return next;
}

bool agent_sched_take(AgentSched *s, uint64_t now, bool *ret_full, const char ***ret_names)
{
	const char **names = NULL;
	size_t k = 0;

	FOREACH_ARRAY(a, s->ns, s->n)
	if (a->check_at && now >= a->check_at) {
		a->check_at = 0;
		a->dirty = true;
	}
	if (s->full && now >= s->full_not_before) {
		/* A full pass covers every namespace. */
		s->full = false;
		FOREACH_ARRAY(a, s->ns, s->n)
		a->dirty = false;
		*ret_full = true;
		*ret_names = NULL;
		return true;
	}
	FOREACH_ARRAY(a, s->ns, s->n)
	{
		if (!a->dirty || now < a->not_before)
			continue;
		names = xrealloc(names, (k + 2) * sizeof(*names));
		names[k++] = a->name;
		names[k] = NULL;
		a->dirty = false;
	}
	*ret_full = false;
	*ret_names = names;
	return k > 0;
}

bool agent_sched_periodic_due(const AgentSched *s, uint64_t now)
{
	return s->interval_usec && now >= s->next_periodic;
}

void agent_sched_periodic_done(AgentSched *s, uint64_t now)
{
	s->next_periodic = s->interval_usec ? now + s->interval_usec : UINT64_MAX;
}

uint64_t agent_sched_backoff(unsigned failures)
{
	uint64_t d = AGENT_RETRY_MIN_USEC;

	for (unsigned i = 1; i < failures && d < AGENT_RETRY_MAX_USEC; i++)
		d *= 2;
	return MIN(d, AGENT_RETRY_MAX_USEC);
}

void agent_sched_finished(AgentSched *s, const char *name, AgentPassResult result, uint64_t now)
{
	unsigned *failures;
	uint64_t *not_before;
	AgentNs *a = NULL;

	if (name) {
		a = find(s, name);
		if (!a)
			return;
		failures = &a->failures;
		not_before = &a->not_before;
	} else {
		failures = &s->full_failures;
		not_before = &s->full_not_before;
	}
	switch (result) {
	case AGENT_PASS_OK:
		*failures = 0;
		*not_before = 0;
		return;
	case AGENT_PASS_BUSY:
		*not_before = now + AGENT_BUSY_RETRY_USEC;
		break;
	case AGENT_PASS_FAILED:
		if (*failures < 64)
			(*failures)++;
		*not_before = now + agent_sched_backoff(*failures);
		break;
	}
	if (a)
		a->dirty = true;
	else
		s->full = true;
}
