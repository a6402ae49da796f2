/* SPDX-License-Identifier: MIT */
/*
 * The agent's scheduling, as pure functions of its state and the clock:
 * which namespaces are dirty (an event touched them), when the next pass
 * runs, and how long a namespace whose pass failed waits before the next
 * try. No system calls; the event loop (cli/daemon*.c) asks agent_sched_next()
 * when to run, agent_sched_take() what to reconcile, and reports with
 * agent_sched_finished().
 *
 * Coalescing: marking a namespace that is already dirty changes nothing,
 * so a storm of events costs one pass. Memory is one flag per watched
 * namespace, whatever the number of events.
 *
 * A "full" pass reconciles every namespace and tears down the ones no
 * longer desired: at start, after a reload, after lost events (a netlink
 * overrun). Every interval_usec the periodic check is due
 * (agent_sched_periodic_due): the caller looks at what produces no event
 * and marks what changed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define AGENT_RETRY_MIN_USEC (50ULL * 1000)        /* first retry after a failed pass */
#define AGENT_RETRY_MAX_USEC (60ULL * 1000 * 1000) /* backoff ceiling */
#define AGENT_BUSY_RETRY_USEC (20ULL * 1000)      /* another reconcile holds the lock */

typedef struct AgentNs {
	char *name;
	bool dirty;
	unsigned failures;      /* consecutive failed passes */
	uint64_t not_before;    /* backoff: no pass before this (monotonic µs) */
	uint64_t check_at;      /* a timed check (tunnel health); 0: none */
} AgentNs;

typedef struct AgentSched {
	AgentNs *ns; /* sorted by name */
	size_t n;
	bool full;               /* a full pass is due */
	uint64_t full_not_before; /* backoff of the full pass */
	unsigned full_failures;
	uint64_t interval_usec;  /* periodic pass; 0: none */
	uint64_t next_periodic;
} AgentSched;

/* names: the desired namespaces (any order). A full pass is due at once. */
void agent_sched_init(AgentSched *s, char *const *names, uint64_t interval_usec, uint64_t now);
void agent_sched_done(AgentSched *s);

/* Marks namespace name dirty. Returns false when name is not watched. */
bool agent_sched_mark(AgentSched *s, const char *name);
/* Marks every namespace dirty (an event whose scope is unknown). */
void agent_sched_mark_all(AgentSched *s);
/* A full pass is due (start, reload, lost events). */
void agent_sched_mark_full(AgentSched *s);

/* Namespace name needs a look at when (monotonic µs; 0: cancel): what
 * changes with time alone, without an event (a handshake growing old). */
void agent_sched_check_at(AgentSched *s, const char *name, uint64_t when);

/* When the next pass should run (monotonic µs; <= now: at once;
 * UINT64_MAX: nothing scheduled). */
uint64_t agent_sched_next(const AgentSched *s, uint64_t now);

/* Is the periodic check due at now? agent_sched_periodic_done() re-arms
 * it one interval later. */
bool agent_sched_periodic_due(const AgentSched *s, uint64_t now);
void agent_sched_periodic_done(AgentSched *s, uint64_t now);

/* Takes the work due at now: *ret_full when a full pass is due (then
 * *ret_names is NULL), else the dirty namespaces whose backoff expired
 * (a NULL-terminated array of borrowed names, freed with free(); NULL when
 * nothing is due). Clears what it took. Returns whether anything is due. */
bool agent_sched_take(AgentSched *s, uint64_t now, bool *ret_full, const char ***ret_names);

typedef enum AgentPassResult {
	AGENT_PASS_OK,     /* converged (or handled as drift.action says) */
	AGENT_PASS_FAILED, /* did not converge: retry with backoff */
	AGENT_PASS_BUSY,   /* another reconcile held the lock: retry soon */
} AgentPassResult;

/* Reports the result of the pass for namespace name (NULL: the full pass
 * as a whole). A failed or busy namespace is dirty again, due after its
 * backoff; success resets its backoff. */
void agent_sched_finished(AgentSched *s, const char *name, AgentPassResult result, uint64_t now);

/* The backoff after the n-th consecutive failure (n >= 1). */
uint64_t agent_sched_backoff(unsigned failures);
