/* SPDX-License-Identifier: MIT */
/*
 * The reconcile loop (see reconcile.h): the run-wide lock, recovery of
 * interrupted transactions, then for each namespace in socket order (and
 * each namespace vpnconf made that the desired state no longer has)
 * observe, plan, and decide between nothing to do, a dry run, a drift
 * answer or applying; the acting itself is reconcile-apply.c. A run that
 * finds everything in sync marks the desired state so in the journal.
 */
#include <assert.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "health.h"
#include "nft.h"
#include "peer-endpoints.h"
#include "observe.h"
#include "paths.h"
#include "pf-lease.h"
#include "reconcile-internal.h"
#include "wg.h"

static const char *const namespace_outcome_names[_NS_OUTCOME_MAX] = {
	[NS_IN_SYNC] = "in-sync",
	[NS_PENDING] = "pending",
	[NS_APPLIED] = "applied",
	[NS_ROLLED_BACK] = "rolled-back",
	[NS_LOCKED_DOWN] = "locked-down",
	[NS_DRIFT_ALERT] = "drift-alert",
	[NS_TORN_DOWN] = "torn-down",
	[NS_FAILED] = "failed",
};

const char *namespace_outcome_to_string(NamespaceOutcome o)
{
	return o >= 0 && o < _NS_OUTCOME_MAX ? namespace_outcome_names[o] : NULL;
}

void reconcile_report_done(ReconcileReport *r)
{
	FOREACH_ARRAY(n, r->namespaces, r->n)
	{
		free(n->name);
		plan_done(&n->plan);
		free(n->health);
		free(n->error);
	}
	free(r->namespaces);
	strv_free(r->interrupted);
	strv_free(r->resolved);
	free(r->journal_error);
	*r = (ReconcileReport){};
}

/* The lock file: a regular file, never opened through a link, nor when
 * it is a FIFO (which would block, or hand the lock to whoever holds its
 * other end) or a device. Anything else in its place is not replaced
 * (another vpnconf may be deciding the same thing at the same instant):
 * -ENOLCK, and an operator removes it. */
static int lock_open(const char *runtime_dir)
{
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;
	struct stat st;

	dfd = open(runtime_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return negative_errno();
	if (fstatat(dfd, ".lock", &st, AT_SYMLINK_NOFOLLOW) >= 0 && !S_ISREG(st.st_mode))
		return -ENOLCK;
	fd = openat(dfd, ".lock",
		    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0)
		return errno == ELOOP ? -ENOLCK : negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -ENOLCK;
	return TAKE_FD(fd);
}

int reconcile_lock(const char *runtime_dir, unsigned timeout_ms)
{
	_cleanup_close_ int fd = -EBADF;
	uint64_t deadline = now_usec_monotonic() + (uint64_t)timeout_ms * 1000;
	int r;

	r = mkdir_p(runtime_dir, 0755);
	if (r < 0)
		return r;
	fd = lock_open(runtime_dir);
	if (fd < 0)
		return fd;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return TAKE_FD(fd);
		if (errno != EWOULDBLOCK)
			return negative_errno();
		if (now_usec_monotonic() >= deadline)
			return -EBUSY;
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
	}
}

void reconcile_journal_failed(Run *run, int r, const char *what)
{
	if (!run->journal)
		return;
	run->journal = NULL;
	run->history_lost = true;
	if (!run->report->journal_error)
		run->report->journal_error = xasprintf("%s: %s", what, strerror(-r));
	if (run->hooks && run->hooks->journal_failed)
		run->hooks->journal_failed(run->report->journal_error, run->userdata);
}

/* Were the namespace and this very desired state in sync before? Then
 * any difference now is drift, not a change being rolled out. Whichever is
 * newer decides: the run-wide "in sync" mark, or the namespace's last
 * transaction (a change applied, a teardown, a crash found later...). A
 * port-forwarding lease change applied by the agent leaves the namespace
 * in sync with the same desired state. */
static bool was_in_sync(Run *run, const char *name, const Observed *have)
{
	bool mark = run->in_sync_mark && streq(run->in_sync_mark, run->digest);
	TxnRecord t = {};
	bool ok;

	/* Without its history, a difference in a namespace that exists
	 * cannot be proven to be a desired change: fail closed, it is drift. */
	if (run->history_lost)
		return have->netns_state == NETNS_PRESENT;
	if (!run->journal)
		return false;
	if (journal_last_txn(run->journal, name, &t) < 0)
		return mark;
	if (t.finished_usec <= run->in_sync_usec)
		ok = mark;
	else
		/* A reconcile that left it converged, or drift already reported
		 * and still there. */
		ok = streq_ptr(t.desired_sha256, run->digest) &&
		     ((t.outcome == TXN_APPLIED && (streq_ptr(t.command, "reconcile") ||
						    streq_ptr(t.command, "port-forward"))) ||
		      t.outcome == TXN_DRIFT);
	txn_record_done(&t);
	return ok;
}

/* Did drift.action "lockdown" lock this namespace down under this very
 * desired state? It stays so until the state changes or --unlock. */
static bool drift_locked(Run *run, const char *name, char *ret_txn)
{
	TxnRecord t = {};
	bool locked;

	if (!run->journal || journal_last_txn(run->journal, name, &t) < 0)
		return false;
	locked = streq_ptr(t.command, "lockdown") && t.outcome == TXN_LOCKDOWN &&
		 streq_ptr(t.desired_sha256, run->digest);
	if (locked)
		memcpy(ret_txn, t.id, TXN_ID_STRLEN);
	txn_record_done(&t);
	return locked;
}

/* Does any step answer a difference (not only follow from another step,
 * or migrate vpnconf's own bookkeeping)? */
static bool plan_has_differences(const Plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i]->reasons)
			return true;
	return false;
}

/* Tunnel health of ns's peers (health.h) and the endpoint each should
 * carry, into have->health and *ret_want. */
static void judge_health(ObserveContext *oc, const Desired *d, const Namespace *ns,
			 WgSockaddr **lists, uint64_t now_usec, Observed *have, WgSockaddr **ret_want)
{
	uint64_t timeout = (uint64_t)d->handshake_timeout_seconds * 1000000, set_usec = 0;
	size_t n = ns->wg.n_peers;
	bool fresh = have->wg && have->wg->n_peers > 0;

	if (have->wg)
		FOREACH_ARRAY(p, have->wg->peers, have->wg->n_peers)
	if (!p->last_handshake_usec || now_usec >= p->last_handshake_usec + timeout)
		fresh = false;
	/* When vpnconf last set the endpoints: each endpoint gets a full
	 * timeout from then before the next one is tried. Only asked when a
	 * peer lacks a recent handshake (a scan of the journal's steps). */
	if (timeout && now_usec && !fresh && oc->journal &&
	    journal_last_tunnel_change(oc->journal, ns->name, ns->wg.ifname, &set_usec) < 0)
		set_usec = 0;
	free(have->health);
	have->health = xcalloc(n ?: 1, sizeof(PeerHealth));
	have->n_health = n;
	*ret_want = xcalloc(n ?: 1, sizeof(WgSockaddr));
	health_evaluate_tunnel(ns, lists, have->wg, now_usec, timeout, set_usec, have->health,
			       *ret_want);
}

int reconcile_observe_plan(ObserveContext *oc, const Desired *d, const char *name,
			   const Namespace *ns, bool teardown, uint64_t now_usec,
			   const VerifiedTables *verified, char ***resolved_log, Observed *have,
			   Netns **ret_netns, Birthplace **ret_bp, Plan *ret_plan, char **ret_error)
{
	_cleanup_(wg_device_freep) WgDevice *want_wg = NULL;
	_cleanup_free_ WgSockaddr *resolved = NULL;
	WgSockaddr **lists = NULL;
	int r;

	r = observe_namespace(oc, name, ns, have, ret_netns);
	if (r < 0) {
		*ret_error = xasprintf("observing %s: %s", name, strerror(-r));
		return r;
	}
	r = observe_birthplace(oc, ns ? ns->wg.socket_namespace : NULL, ret_bp);
	if (r == -ENOENT)
		*ret_bp = NULL;
	else if (r < 0) {
		*ret_error = xasprintf("observing the birthplace of %s: %s", name, strerror(-r));
		return r;
	}

	if (teardown) {
		if (*ret_netns) {
			r = netns_in_use(*ret_netns);
			if (r < 0) {
				*ret_error = xasprintf("scanning processes of %s: %s", name, strerror(-r));
				return r;
			}
			have->in_use = r == NETNS_USERS_SOME	 ? NETNS_USE_SOME
				       : r == NETNS_USERS_UNKNOWN ? NETNS_USE_UNKNOWN
								   : NETNS_USE_NONE;
		}
		return plan_teardown(d->runtime_dir, have, ret_plan);
	}

	if (ns->wg.managed && *ret_bp) {
		_cleanup_free_ char *path = NULL;

		r = peer_endpoints_resolve(ns, *ret_bp, resolved_log, &lists);
		if (r < 0) {
			*ret_error = xasprintf("resolving the endpoints of %s: %s", name,
					       strerror(-r));
			return r;
		}
		judge_health(oc, d, ns, lists, now_usec, have, &resolved);
		peer_endpoints_free(lists, ns->wg.n_peers);
		r = wg_device_from_desired(ns, resolved, &want_wg, &path);
		if (r < 0) {
			*ret_error = xasprintf("%s: %s", strna(path), strerror(-r));
			return r;
		}
	} else if (ns->wg.managed)
		/* No birthplace: planning yields a conflict step; any device
		 * serves as input. */
		want_wg = xcalloc(1, sizeof(WgDevice));

	PlanInput in = {.desired = d,
			.ns = ns,
			.want_wg = want_wg,
			.now_usec = now_usec,
			.verified_policy = verified ? verified->policy : NULL,
			.verified_pin = verified ? verified->pin : NULL,
			.verified_host = verified ? verified->host : NULL,
			.health = have->health};
	r = plan_namespace(&in, have, ret_plan);
	if (r < 0)
		*ret_error = xasprintf("planning %s: %s", name, strerror(-r));
	return r;
}

static int reconcile_one(Run *run, const char *name, const Namespace *ns_desired, bool teardown)
{
	Namespace eff;
	const Namespace *ns = ns_desired;
	_cleanup_(observed_done) Observed have = {};
	_cleanup_(netns_freep) Netns *netns = NULL;
	_cleanup_(verified_tables_done) VerifiedTables verified = {};
	char locked_by[TXN_ID_STRLEN];
	NamespaceReport *rep;
	Birthplace *bp = NULL;
	int r;

	rep = ARRAY_APPEND(run->report->namespaces, run->report->n);
	rep->name = xstrdup(name);
	rep->teardown = teardown;
	if (ns) {
		if (!dry_run(run) && !teardown)
			(void)reconcile_expire_lease(run->desired, run->journal, run->digest, ns);
		eff = *ns;
		reconcile_namespace_with_lease(&eff, run->desired->runtime_dir);
		ns = &eff;
	}

	/* What a rollback of the policy may put back. Without it (no
	 * journal, or an unreadable one) the inverse rule locks down. */
	if (!teardown)
		(void)reconcile_verified_tables_with(run->journal, run->desired, run->digest,
						     run->in_sync_mark, run->in_sync_usec, name,
						     &verified);
	r = reconcile_observe_plan(&run->oc, run->desired, name, ns, teardown, now_usec_realtime(),
				   &verified, &run->report->resolved, &have, &netns, &bp, &rep->plan,
				   &rep->error);
	if (r < 0) {
		rep->outcome = NS_FAILED;
		goto done;
	}
	if (have.n_health > 0) {
		rep->health = xmalloc(have.n_health * sizeof(PeerHealth));
		memcpy(rep->health, have.health, have.n_health * sizeof(PeerHealth));
		rep->n_health = have.n_health;
		rep->health_next_usec = health_next_check(have.health, have.n_health);
	}
	/* Someone else's namespace under this name (vpnconf's was removed
	 * behind its back): nothing is ever written into it, not even a
	 * lockdown after the conflict fails a repair. */
	if (have.netns_state == NETNS_PRESENT && !have.owned)
		netns = netns_free(netns);
	if (run->hooks && run->hooks->planned)
		run->hooks->planned(rep, run->userdata);
	if (rep->plan.n == 0) {
		rep->outcome = teardown ? NS_TORN_DOWN : NS_IN_SYNC;
		goto done;
	}
	if (!teardown && !run->opts->unlock && drift_locked(run, name, locked_by)) {
		/* Stay locked down; only re-assert the lockdown table. */
		rep->outcome = NS_LOCKED_DOWN;
		rep->error = xasprintf("locked down since drift (transaction %s); "
				       "vpnconf reconcile --unlock repairs it",
				       locked_by);
		if (!dry_run(run) && netns &&
		    (!have.table || nft_table_kind(have.table) != NFT_TABLE_LOCKDOWN)) {
			r = reconcile_lockdown_one(run, rep, &netns);
			if (r < 0)
				return r;
		}
		goto done;
	}
	if (!teardown)
		rep->drift = was_in_sync(run, name, &have) && plan_has_differences(&rep->plan);
	if (dry_run(run)) {
		rep->outcome = NS_PENDING;
		goto done;
	}
	if (rep->drift) {
		DriftAction a = run->desired->drift_action;

		if (a == DRIFT_ACTION_ALERT) {
			r = reconcile_alert_one(run, rep);
			if (r < 0)
				return r;
			goto done;
		}
		if (a == DRIFT_ACTION_LOCKDOWN && netns) {
			r = reconcile_lockdown_one(run, rep, &netns);
			if (r < 0)
				return r;
			goto done;
		}
	}
	r = reconcile_apply_one(run, rep, ns, &netns, bp);
	if (r < 0)
		return r;
done:
	if (run->hooks && run->hooks->finished)
		run->hooks->finished(rep, run->userdata);
	return 0;
}

static void recover_interrupted(Run *run)
{
	TxnRecord *t = NULL;
	size_t n = 0;
	int r;

	if (!run->journal)
		return;
	r = journal_unfinished(run->journal, &t, &n);
	for (size_t i = 0; i < n && r >= 0; i++) {
		r = journal_txn_finish(run->journal, t[i].id, TXN_INTERRUPTED,
				       "interrupted: found unfinished by a later run, which "
				       "re-observed the kernel and converged from there");
		if (r >= 0)
			strv_push(&run->report->interrupted, t[i].id);
	}
	txn_records_free(t, n);
	if (r < 0)
		reconcile_journal_failed(run, r, "closing interrupted transactions");
}

static bool selected(const Run *run, const char *name)
{
	const ReconcileOptions *o = run->opts;

	if (o->only_namespace && !streq(o->only_namespace, name))
		return false;
	return !o->only_namespaces || strv_contains(o->only_namespaces, name);
}

static bool restricted(const Run *run)
{
	return run->opts->only_namespace || run->opts->only_namespaces;
}

static int reconcile_all(Run *run)
{
	const Desired *d = run->desired;
	const char *only = run->opts->only_namespace;
	_cleanup_strv_free_ char **owned = NULL, **host_tables = NULL;
	_cleanup_free_ size_t *order = NULL;
	int r;

	if (run->opts->mode == RECONCILE_TEARDOWN)
		return reconcile_one(run, only, desired_find_namespace(d, only), true);

	/* A namespace that is another one's socket namespace comes first:
	 * the other one's tunnel is created from inside it. */
	order = xcalloc(d->n_namespaces ?: 1, sizeof(size_t));
	desired_socket_order(d, order);
	for (size_t i = 0; i < d->n_namespaces; i++) {
		const Namespace *ns = &d->namespaces[order[i]];

		if (!selected(run, ns->name))
			continue;
		r = reconcile_one(run, ns->name, ns, false);
		if (r < 0)
			return r;
	}
	if (only && desired_find_namespace(d, only))
		return 0;

	/* Namespaces vpnconf made that the desired state no longer has, and
	 * host-side tables left behind by a bring-up that was rolled back. */
	r = observe_owned_names(d->runtime_dir, &owned);
	if (r < 0)
		return r;
	r = observe_host_table_names(&run->oc, &host_tables);
	if (r < 0)
		return r;
	STRV_FOREACH(name, host_tables)
	if (!strv_contains(owned, *name))
		strv_push(&owned, *name);
	strv_sort(owned);
	STRV_FOREACH(name, owned)
	{
		if (desired_find_namespace(d, *name) || !selected(run, *name))
			continue;
		r = reconcile_one(run, *name, NULL, true);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool all_in_sync(const ReconcileReport *r)
{
	FOREACH_ARRAY(n, r->namespaces, r->n)
	if (n->outcome != NS_IN_SYNC)
		return false;
	return true;
}

int reconcile_run(const Desired *d, Journal *journal, const ReconcileOptions *o,
		  const ReconcileHooks *hooks, void *userdata, ReconcileReport *ret)
{
	_cleanup_close_ int lock = -EBADF;
	ReconcileReport report = {};
	Run run = {
		.desired = d,
		.journal = journal,
		.opts = o,
		.hooks = hooks,
		.userdata = userdata,
		.digest = hexmem(d->digest, sizeof(d->digest)),
		.history_lost = o->mode != RECONCILE_DRY_RUN && (o->history_lost || !journal),
		.report = &report,
	};
	int r;

	assert(o->mode != RECONCILE_TEARDOWN || o->only_namespace);

	if (!dry_run(&run)) {
		/* The callers say which rule failed (paths_check_dir()). */
		r = paths_check_dir(d->runtime_dir, NULL);
		if (r >= 0)
			r = paths_check_dir(d->netns_dir, NULL);
		if (r < 0)
			goto finish;
		lock = reconcile_lock(d->runtime_dir, o->lock_timeout_ms);
		if (lock < 0) {
			r = lock;
			goto finish;
		}
		recover_interrupted(&run);
	}
	if (run.journal)
		(void)journal_get_in_sync(run.journal, &run.in_sync_mark, &run.in_sync_usec);

	r = observe_context_init(&run.oc, d->netns_dir, d->runtime_dir);
	if (r < 0)
		goto finish;
	run.oc.journal = run.journal;
	r = reconcile_all(&run);
	if (r >= 0 && run.journal && !dry_run(&run) && o->mode == RECONCILE_APPLY &&
	    !restricted(&run) && all_in_sync(&report)) {
		int k;

		reconcile_store_desired(&run);
		k = run.journal ? journal_mark_in_sync(run.journal, run.digest) : 0;
		if (k < 0)
			reconcile_journal_failed(&run, k, "marking the state in sync");
	}
finish:
	observe_context_done(&run.oc);
	free(run.digest);
	free(run.in_sync_mark);
	if (r < 0) {
		reconcile_report_done(&report);
		return r;
	}
	*ret = report;
	return 0;
}
