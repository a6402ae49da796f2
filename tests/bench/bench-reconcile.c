/* SPDX-License-Identifier: MIT */
/*
 * In-process reconcile timing: loads a desired state once, then times N
 * calls of reconcile_run() (what "vpnconf reconcile" does after start-up),
 * and prints min/median/p90/mean in microseconds as one line of
 * "key=value" pairs for tests/bench/run-bench.
 *
 *   bench-reconcile CONFIG STATE-DIR ITERATIONS [apply|plan|down-up|down]
 *
 * apply: reconcile (a no-op when already converged); plan: dry run;
 * down-up: reconcile, then tear every namespace down, per iteration
 * (bring-up + teardown); down: the same, timing the teardown only.
 */
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "journal.h"
#include "link.h"
#include "reconcile.h"

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int run_once(const Desired *d, Journal *j, ReconcileMode mode, const char *only)
{
	ReconcileReport rep = {};
	ReconcileOptions o = {.mode = mode, .trigger = "bench", .lock_timeout_ms = 5000,
			      .only_namespace = only};
	int r = reconcile_run(d, j, &o, NULL, NULL, &rep);

	if (r >= 0)
		FOREACH_ARRAY(n, rep.namespaces, rep.n)
	if (n->outcome == NS_FAILED || n->outcome == NS_ROLLED_BACK ||
	    n->outcome == NS_LOCKED_DOWN) {
		fprintf(stderr, "bench: %s: %s\n", n->name, strna(n->error));
		r = -EIO;
	}
	reconcile_report_done(&rep);
	return r;
}

/* Teardown deletes vpnconf's interfaces before it returns; the kernel
 * still frees the rest of the namespace asynchronously. Wait (untimed)
 * until the host end is gone in any case, so that each iteration starts
 * from scratch as the shell path's does. */
static void wait_reaped(const Desired *d)
{
	_cleanup_(netns_freep) Netns *self = NULL;

	if (netns_open_self(&self) < 0)
		return;
	FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
	for (int k = 0; k < 1000 && ns->host_link && link_ifindex(self, ns->host_if) >= 0; k++)
		usleep(1000);
}

int main(int argc, char **argv)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	_cleanup_(journal_closep) Journal *j = NULL;
	DesiredErrors errors = {};
	const char *mode = argc > 4 ? argv[4] : "apply";
	unsigned n;
	uint64_t *t, sum = 0;
	int r;

	if (argc < 4)
		return fprintf(stderr, "usage: bench-reconcile CONFIG STATE-DIR N [apply|plan|down-up|down]\n"), 2;
	n = (unsigned)atoi(argv[3]);
	r = desired_load(argv[1], &errors, &d);
	if (r < 0)
		return fprintf(stderr, "bench: cannot load %s\n", argv[1]), 2;
	free(d->state_dir);
	d->state_dir = xstrdup(argv[2]);
	r = journal_open(d->state_dir, false, &j);
	if (r < 0)
		return fprintf(stderr, "bench: journal: %s\n", strerror(-r)), 2;

	t = xcalloc(n, sizeof(uint64_t));
	for (unsigned i = 0; i < n; i++) {
		uint64_t start = now_usec_monotonic();

		if (streq(mode, "down")) {
			/* Only the teardown is timed. */
			r = run_once(d, j, RECONCILE_APPLY, NULL);
			start = now_usec_monotonic();
			FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
			if (r >= 0)
				r = run_once(d, j, RECONCILE_TEARDOWN, ns->name);
		} else if (streq(mode, "down-up")) {
			r = run_once(d, j, RECONCILE_APPLY, NULL);
			FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
			if (r >= 0)
				r = run_once(d, j, RECONCILE_TEARDOWN, ns->name);
		} else
			r = run_once(d, j, streq(mode, "plan") ? RECONCILE_DRY_RUN : RECONCILE_APPLY,
				     NULL);
		t[i] = now_usec_monotonic() - start;
		if (streq(mode, "down-up") || streq(mode, "down"))
			wait_reaped(d);
		if (r < 0)
			return fprintf(stderr, "bench: reconcile failed: %s\n", strerror(-r)), 1;
		sum += t[i];
	}
	qsort(t, n, sizeof(uint64_t), compare_u64);
	printf("n=%u min_us=%" PRIu64 " median_us=%" PRIu64 " p90_us=%" PRIu64 " mean_us=%" PRIu64 "\n", n,
	       t[0], t[n / 2], t[n * 9 / 10], sum / n);
	free(t);
	return 0;
}
