/* SPDX-License-Identifier: MIT */
/*
 * vpnconf daemon: the resident agent (see daemon.h and docs/reconcile.md,
 * "The agent"). Reconciles once, tells systemd it is ready, then repairs
 * what the event sources report, re-checks everything on a slow periodic
 * pass, re-reads the desired state on SIGHUP and exits on SIGTERM/SIGINT
 * leaving every namespace in place.
 *
 * Passes run in one place (on_pass_timer, or synchronously at start and
 * reload), under the same lock as the command line: the agent never waits
 * for it inside the loop; a busy lock retries on the timer.
 */
#include <signal.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "vpnconf.h"

#define START_LOCK_TIMEOUT_MS 5000

static uint64_t now_mono(void)
{
	return now_usec_monotonic();
}

static char **desired_names(const Desired *desired)
{
	char **l = NULL;

	FOREACH_ARRAY(ns, desired->namespaces, desired->n_namespaces)
	strv_push(&l, ns->name);
	return l;
}

void daemon_mark(Daemon *d, const char *name)
{
	if (!name) {
		agent_sched_mark_all(&d->sched);
		return;
	}
	if (agent_sched_mark(&d->sched, name))
		return;
	/* A socket namespace: the namespaces whose tunnel socket lives there. */
	FOREACH_ARRAY(ns, d->desired->namespaces, d->desired->n_namespaces)
	if (streq_ptr(ns->wg.socket_namespace, name))
		agent_sched_mark(&d->sched, ns->name);
}

/* Was the last transaction of namespace name a "vpnconf down"? */
static bool taken_down(Daemon *d, const char *name)
{
	TxnRecord t = {};
	bool down;

	if (!d->journal || journal_last_txn(d->journal, name, &t) < 0)
		return false;
	down = streq_ptr(t.command, "down");
	txn_record_done(&t);
	return down;
}

void daemon_namespace_lost(Daemon *d, const char *name)
{
	for (size_t i = 0; i < d->desired->n_namespaces; i++)
		if (streq(d->desired->namespaces[i].name, name) && d->lost[i] != LOST_SUSPECTED)
			d->lost[i] = LOST_SUSPECTED;
}

bool daemon_lost_by_down(const Daemon *d, const char *name)
{
	for (size_t i = 0; i < d->desired->n_namespaces; i++)
		if (streq(d->desired->namespaces[i].name, name))
			return d->lost[i] == LOST_BY_DOWN;
	return false;
}

/* After a pass: tell whether a namespace whose mount went away was taken
 * down by "vpnconf down" (its last transaction before the pass: was_down)
 * or removed behind vpnconf's back. The journal entries (namespace-lost,
 * namespace-recreated, with the confined units restarted) are
 * daemon-units.c's; it leaves out the former. */
static void lost_update(Daemon *d, size_t i, const NamespaceReport *n, bool was_down)
{
	if (d->lost[i] == LOST_BY_DOWN)
		d->lost[i] = LOST_NO;
	if (d->lost[i] != LOST_SUSPECTED)
		return;
	if (was_down) {
		d->lost[i] = LOST_BY_DOWN;
		return;
	}
	log_warning("%s: the namespace was removed behind vpnconf's back", n->name);
	d->lost[i] = LOST_NO;
}

void daemon_mark_all(Daemon *d)
{
	agent_sched_mark_all(&d->sched);
}

void daemon_mark_full(Daemon *d)
{
	agent_sched_mark_full(&d->sched);
}

void daemon_schedule(Daemon *d)
{
	uint64_t next = agent_sched_next(&d->sched, now_mono());

	if (next == UINT64_MAX) {
		(void)sd_event_source_set_enabled(d->pass_timer, SD_EVENT_OFF);
		return;
	}
	(void)sd_event_source_set_time(d->pass_timer, MAX(next, 1));
	(void)sd_event_source_set_enabled(d->pass_timer, SD_EVENT_ONESHOT);
}

static void notify(const char *fmt, ...) _printf_(1, 2);
static void notify(const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	(void)sd_notify(false, s);
}

static ssize_t desired_index(const Daemon *d, const char *name)
{
	for (size_t i = 0; i < d->desired->n_namespaces; i++)
		if (streq(d->desired->namespaces[i].name, name))
			return (ssize_t)i;
	return -1;
}

/* STATUS=: one line, sent when it changes. */
static void update_status(Daemon *d)
{
	_cleanup_strv_free_ char **bad = NULL; /* and notes */
	_cleanup_free_ char *j = NULL, *line = NULL;
	size_t ok = 0, n = d->desired->n_namespaces;

	for (size_t i = 0; i < n; i++) {
		NamespaceOutcome o = d->outcomes[i];

		if (d->health[i].n > 0) {
			uint64_t h = d->health[i].latest_handshake_usec, now = now_usec_realtime();

			/* Coarse (whole minutes past one), so that STATUS= does
			 * not change with every pass. */
			if (h && now > h && now - h >= 60ULL * 1000 * 1000)
				strv_pushf(&bad, "%s: handshake %llum ago", d->desired->namespaces[i].name,
					   (unsigned long long)((now - h) / (60ULL * 1000 * 1000)));
			else if (h)
				strv_pushf(&bad, "%s: handshake <1m ago", d->desired->namespaces[i].name);
			else
				strv_pushf(&bad, "%s: no handshake yet", d->desired->namespaces[i].name);
		}
		if (o == NS_IN_SYNC || o == NS_APPLIED)
			ok++;
		else
			strv_pushf(&bad, "%s: %s", d->desired->namespaces[i].name,
				   o == _NS_OUTCOME_INVALID ? "not checked yet"
							    : namespace_outcome_to_string(o));
	}
	j = strv_join(bad, "; ");
	line = bad ? xasprintf("%zu of %zu namespace%s in sync; %s", ok, n, n == 1 ? "" : "s", j)
		   : xasprintf("%zu namespace%s in sync", n, n == 1 ? "" : "s");
	if (streq_ptr(line, d->status))
		return;
	notify("STATUS=%s", line);
	free(d->status);
	d->status = TAKE_PTR(line);
}

static AgentPassResult result_of(NamespaceOutcome o)
{
	switch (o) {
	case NS_IN_SYNC:
	case NS_APPLIED:
	case NS_TORN_DOWN:
	case NS_LOCKED_DOWN:  /* drift.action lockdown, or a failed change: handled */
	case NS_DRIFT_ALERT:  /* reported, as drift.action asks */
	case NS_PENDING:
		return AGENT_PASS_OK;
	case NS_ROLLED_BACK:
	case NS_FAILED:
	case _NS_OUTCOME_MAX:
	case _NS_OUTCOME_INVALID:
		break;
	}
	return AGENT_PASS_FAILED;
}

/* One reconcile of names (NULL: everything), under the shared lock. */
static int run_pass(Daemon *d, const char *trigger, bool full, char *const *names,
		    unsigned lock_timeout_ms)
{
	_cleanup_(reconcile_report_done) ReconcileReport report = {};
	JournalState js = JOURNAL_USABLE;
	uint64_t now;
	int r;

	/* Opened as the command line opens it, and kept while it works; one
	 * that failed (full disk, damage) is dropped after the pass and tried
	 * afresh by the next: the journal never stops a repair. */
	if (!d->journal) {
		_cleanup_free_ char *digest = hexmem(d->desired->digest, sizeof(d->desired->digest));

		js = open_journal_for_writing(d->desired->state_dir, digest, &d->journal);
	}
	ReconcileOptions o = {
		.mode = RECONCILE_APPLY,
		.only_namespaces = full ? NULL : names,
		.trigger = trigger,
		.lock_timeout_ms = lock_timeout_ms,
		.history_lost = js != JOURNAL_USABLE,
	};
	/* Before the pass journals anything: a namespace removed by "vpnconf
	 * down" has that as its last transaction (a down still running holds
	 * the lock, and the pass is retried). */
	_cleanup_free_ bool *was_down = xcalloc(d->desired->n_namespaces ?: 1, sizeof(bool));
	for (size_t i = 0; i < d->desired->n_namespaces; i++)
		if (d->lost[i] == LOST_SUSPECTED)
			was_down[i] = taken_down(d, d->desired->namespaces[i].name);
	d->passes++;
	r = reconcile_run(d->desired, d->journal, &o, &reconcile_log_hooks, d->desired->state_dir,
			  &report);
	if (report.journal_error)
		d->journal = journal_close(d->journal);
	now = now_mono();
	if (r < 0) {
		AgentPassResult res = r == -EBUSY ? AGENT_PASS_BUSY : AGENT_PASS_FAILED;

		if (r != -EBUSY)
			log_errno(r, "reconcile (%s) failed", trigger);
		if (full)
			agent_sched_finished(&d->sched, NULL, res, now);
		else
			STRV_FOREACH(n, names)
		agent_sched_finished(&d->sched, *n, res, now);
		return r;
	}
	if (full)
		agent_sched_finished(&d->sched, NULL, AGENT_PASS_OK, now);
	STRV_FOREACH(id, report.interrupted)
	log_event(LOG_WARNING, VPNCONF_MESSAGE_INTERRUPTED, NULL, *id, "interrupted",
		  "vpnconf: transaction %s was interrupted; the state was re-observed", *id);
	FOREACH_ARRAY(n, report.namespaces, report.n)
	{
		ssize_t i = desired_index(d, n->name);

		if (n->outcome != NS_IN_SYNC)
			log_info("%s: %s%s%s (%s)", n->name, namespace_outcome_to_string(n->outcome),
				 n->error ? ": " : "", strempty(n->error), trigger);
		agent_sched_finished(&d->sched, n->name, result_of(n->outcome), now);
		if (i >= 0) {
			lost_update(d, (size_t)i, n, was_down[i]);
			d->outcomes[i] = n->outcome;
			daemon_health_update(d, (size_t)i, n);
			daemon_periodic_remember(d, (size_t)i);
		}
	}
	return 0;
}

/* After a pass: watches follow the namespaces now present. */
static void after_pass(Daemon *d)
{
	daemon_netlink_refresh(d);
	daemon_files_refresh(d);
	daemon_units_after_pass(d);
	daemon_leases_refresh(d);
	update_status(d);
	daemon_schedule(d);
	daemon_metrics_schedule(d);
}

static int on_pass_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Daemon *d = userdata;
	const char **names = NULL;
	bool full = false;
	uint64_t now = now_mono();

	bool periodic = agent_sched_periodic_due(&d->sched, now);

	if (periodic) {
		daemon_periodic_check(d);
		agent_sched_periodic_done(&d->sched, now);
	}
	if (agent_sched_take(&d->sched, now, &full, &names)) {
		(void)run_pass(d, periodic && !full ? "periodic" : "watch", full,
			       (char *const *)names, 0);
		free(names);
	}
	after_pass(d);
	return 0;
}

/* The periodic pass: --periodic-interval, or more often when a managed
 * tunnel's hostname endpoints are to be refreshed sooner
 * (wireguard.dynamicEndpointRefreshSeconds). */
static uint64_t periodic_usec_of(const Desired *desired)
{
	uint64_t p = (uint64_t)arg_periodic_interval_s * 1000 * 1000;

	FOREACH_ARRAY(ns, desired->namespaces, desired->n_namespaces)
	{
		uint64_t r = (uint64_t)ns->wg.dynamic_endpoint_refresh_seconds * 1000 * 1000;

		if (ns->wg.managed && r > 0)
			p = p ? MIN(p, r) : r;
	}
	return p;
}

static void set_desired(Daemon *d, Desired *desired)
{
	_cleanup_strv_free_ char **names = desired_names(desired);

	if (arg_state_dir) {
		free(desired->state_dir);
		desired->state_dir = xstrdup(arg_state_dir);
	}
	daemon_health_free(d);
	desired_free(d->desired);
	d->desired = desired;
	d->journal = journal_close(d->journal); /* the state directory may have changed */
	agent_sched_done(&d->sched);
	agent_sched_init(&d->sched, names, periodic_usec_of(desired), now_mono());
	free(d->outcomes);
	free(d->lost);
	free(d->fingerprints);
	d->fingerprints = xcalloc(desired->n_namespaces ?: 1, sizeof(*d->fingerprints));
	d->outcomes = xcalloc(desired->n_namespaces ?: 1, sizeof(*d->outcomes));
	d->lost = xcalloc(desired->n_namespaces ?: 1, sizeof(*d->lost));
	d->health = xcalloc(desired->n_namespaces ?: 1, sizeof(*d->health));
	for (size_t i = 0; i < desired->n_namespaces; i++)
		d->outcomes[i] = _NS_OUTCOME_INVALID;
}

/* A full pass now (start, reload), waiting a bounded time for the lock;
 * still busy: retried on the timer. */
static void pass_now(Daemon *d, const char *trigger)
{
	const char **names = NULL;
	bool full;

	if (agent_sched_take(&d->sched, now_mono(), &full, &names))
		(void)run_pass(d, trigger, full, (char *const *)names, START_LOCK_TIMEOUT_MS);
	free(names);
	after_pass(d);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	Daemon *d = userdata;
	Desired *desired = NULL;
	const char *saved = arg_trigger;
	int r;

	notify("RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading %s",
	       now_usec_monotonic(), arg_config);
	free(d->status);
	d->status = NULL;
	arg_trigger = "reload";
	r = load_desired("daemon", true, true, &desired);
	arg_trigger = saved;
	if (r != EXIT_OK) {
		log_error("keeping the last good desired state (%s unchanged in effect)", arg_config);
		log_event(LOG_ERR, VPNCONF_MESSAGE_RELOAD_REJECTED, NULL, NULL, "reload-rejected",
			  "vpnconf daemon: new desired state %s rejected; still enforcing the last "
			  "good one",
			  arg_config);
		update_status(d);
		notify("READY=1");
		return 0;
	}
	daemon_leases_release(d, desired);
	daemon_netlink_free(d);
	set_desired(d, desired);
	log_event(LOG_NOTICE, VPNCONF_MESSAGE_RELOAD_OK, NULL, NULL, "reload",
		  "vpnconf daemon: desired state %s reloaded (%zu namespaces)", arg_config,
		  desired->n_namespaces);
	pass_now(d, "reload");
	notify("READY=1");
	return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	Daemon *d = userdata;

	notify("STOPPING=1\nSTATUS=stopping; namespaces stay in place");
	log_event(LOG_NOTICE, VPNCONF_MESSAGE_DAEMON_STOPPING, NULL, NULL, "daemon-stopping",
		  "vpnconf daemon: stopping on signal %u; every namespace stays in place",
		  si->ssi_signo);
	log_info("stopping (signal %u); every namespace stays in place", si->ssi_signo);
	return sd_event_exit(d->event, EXIT_OK);
}

static void daemon_done(Daemon *d)
{
	daemon_leases_free(d);
	daemon_netlink_free(d);
	daemon_files_free(d);
	daemon_units_free(d);
	sd_event_source_disable_unref(d->pass_timer);
	sd_event_source_disable_unref(d->metrics_timer);
	journal_close(d->journal);
	daemon_health_free(d);
	agent_sched_done(&d->sched);
	desired_free(d->desired);
	free(d->outcomes);
	free(d->lost);
	free(d->fingerprints);
	free(d->status);
	sd_event_unref(d->event);
}

static int setup(Daemon *d)
{
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return negative_errno();
	r = sd_event_new(&d->event);
	if (r < 0)
		return r;
	r = sd_event_add_signal(d->event, NULL, SIGHUP, on_reload, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGTERM, on_exit_signal, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGINT, on_exit_signal, d);
	/* The pass runs before any further event is read: a storm on some
	 * socket never delays a repair that is due. */
	if (r >= 0)
		r = sd_event_add_time(d->event, &d->pass_timer, CLOCK_MONOTONIC, UINT64_MAX, 1,
				      on_pass_timer, d);
	if (r >= 0)
		r = sd_event_source_set_priority(d->pass_timer, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		return r;
	return daemon_files_init(d);
}

int verb_daemon(int argc, char **argv)
{
	_cleanup_(daemon_done) Daemon d = {.inotify_fd = -EBADF, .mountinfo_fd = -EBADF};
	Desired *desired = NULL;
	int r;

	arg_trigger = "daemon";
	r = load_desired("daemon", true, true, &desired);
	if (r != EXIT_OK)
		return r;
	d.metrics_file = (char *)arg_metrics_file;
	set_desired(&d, desired);
	r = setup(&d);
	if (r < 0)
		return log_errno(r, "Failed to set up the event loop"), EXIT_FAIL;

	pass_now(&d, "daemon");
	notify("READY=1");
	log_event(LOG_NOTICE, VPNCONF_MESSAGE_DAEMON_STARTED, NULL, NULL, "daemon-started",
		  "vpnconf daemon: watching %zu namespaces (periodic pass every %us)",
		  d.desired->n_namespaces, arg_periodic_interval_s);
	log_info("watching %zu namespace%s", d.desired->n_namespaces,
		 d.desired->n_namespaces == 1 ? "" : "s");
	r = sd_event_loop(d.event);
	if (r < 0)
		return log_errno(r, "Event loop failed"), EXIT_FAIL;
	return r;
}
