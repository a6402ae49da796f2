/* SPDX-License-Identifier: MIT */
/*
 * The agent's NAT-PMP lease loop: the state of each lease and the one
 * place where a lease changes the system (lease_apply()). See
 * daemon-lease.h for the event sources and docs/port-forwarding.md for
 * the behaviour:
 *
 *  - a request round sends a mapping request per protocol (internal port
 *    1, the previous port suggested) and retransmits with RFC 6886's
 *    backoff (250 ms doubling, nine attempts), then starts over: the agent
 *    never stops asking;
 *  - a complete round is a grant: renewed after half the granted lifetime,
 *    it expires after all of it;
 *  - a grant of a new port (or the first one) and an expiry change the
 *    policy's forwarded sets in one nftables transaction, the lease files,
 *    the journal (a transaction, trigger "port-forward") and journald;
 *    a renewal of the same port only rewrites forwarded-lease;
 *  - the epoch of every response is checked: a gateway that restarted has
 *    lost the mappings, and they are requested again at once;
 *  - when the agent stops, the mapping and the port stay: the confined
 *    client keeps its port for the rest of the lease, and whoever comes
 *    next (the agent again, or a reconcile) closes it once the lease in
 *    forwarded-lease has expired. A lease the desired state no longer asks
 *    for is deleted at the gateway (lifetime 0) and closed.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "daemon-lease.h"
#include "daemon.h"
#include "log.h"
#include "nft.h"
#include "pf-lease.h"
#include "vpnconf.h"

#define USEC_PER_S 1000000ULL
/* The reconcile lock was busy (a command-line reconcile): try again. */
#define LEASE_BUSY_RETRY_USEC (200 * 1000ULL)
/* A change the kernel refused: asked again after this long. */
#define LEASE_FAILED_RETRY_USEC (5 * USEC_PER_S)
/* A gateway restart is followed at once, then at most once per this long:
 * the far side of the tunnel can send epochs that jump back with every
 * datagram, and each restart is a round, a port change, a transaction. */
#define LEASE_RESTART_INTERVAL_USEC (10 * USEC_PER_S)
/* Likewise a new port: granted at once, then at most once per this long.
 * The gateway chooses the lifetime (one second if it likes) and may name
 * another port in every answer; each change is a transaction. Closing a
 * port (expiry) is never held back. */
#define LEASE_CHANGE_INTERVAL_USEC (10 * USEC_PER_S)

_Static_assert(PORT_FORWARD_LIFETIME_MAX <= PF_LEASE_REMAINING_MAX,
	       "a lease the agent keeps must count as current");

static const NatpmpOp ops[2] = {NATPMP_OP_MAP_UDP, NATPMP_OP_MAP_TCP};

static bool wanted(const Lease *l, unsigned i)
{
	return i == 0 ? l->udp : l->tcp;
}

static void round_start(Lease *l, uint64_t now)
{
	l->requesting = true;
	l->attempt = 0;
	l->answered[0] = l->answered[1] = false;
	l->refusal_logged = false;
	l->next_send_usec = now;
}

static void round_send(Lease *l, uint64_t now)
{
	uint64_t delay;

	for (unsigned i = 0; i < 2; i++)
		if (wanted(l, i) && !l->answered[i])
			(void)lease_io_send(l, ops[i], l->lifetime); /* failures: retransmitted */
	delay = natpmp_retry_delay_usec(l->attempt);
	if (delay == 0) {
		/* Nine attempts unanswered: wait as long as the last interval,
		 * then start over. */
		delay = NATPMP_RETRY_INITIAL_USEC << (NATPMP_ATTEMPTS_MAX - 1);
		l->attempt = 0;
	} else
		l->attempt++;
	l->next_send_usec = now + delay;
}

static Journal *lease_journal(Daemon *d)
{
	if (!d->journal) {
		_cleanup_free_ char *digest = hexmem(d->desired->digest, sizeof(d->desired->digest));

		(void)open_journal_for_writing(d->desired->state_dir, digest, &d->journal);
	}
	return d->journal;
}

static char *port_text(uint16_t port)
{
	return port ? xasprintf("port %u", (unsigned)port) : xstrdup("no port");
}

static const char *protocols_text(const Lease *l)
{
	return l->tcp && l->udp ? "tcp, udp" : l->tcp ? "tcp" : "udp";
}

/* Journals one step of a lease transaction (best effort: the journal never
 * stops a change). Returns its id, or -1. */
static int64_t step_begin(Journal *j, const char *txn, const char *ns, const char *object,
			  const char *action, const char *before, const char *after,
			  const char *inverse)
{
	StepRecord s = {.namespace = (char *)ns, .object = (char *)object, .action = (char *)action,
			.before = (char *)before, .after = (char *)after, .inverse = (char *)inverse};
	int64_t id = -1;

	if (!j || !txn[0] || journal_step_begin(j, txn, &s, &id) < 0)
		return -1;
	return id;
}

static void step_finish(Journal *j, int64_t id, int r)
{
	if (j && id >= 0)
		(void)journal_step_finish(j, id, r < 0 ? STEP_FAILED : STEP_DONE,
					  r < 0 ? strerror(-r) : NULL);
}

/* The files after the kernel accepted the change. */
static int apply_files(Lease *l, uint16_t port)
{
	const char *rt = l->daemon->desired->runtime_dir;
	PfLease f = {.port = port,
		     .granted_s = now_usec_realtime() / USEC_PER_S,
		     .expires_s = l->expires_realtime,
		     .epoch = l->epoch};

	if (port == 0)
		return pf_lease_remove(rt, l->name);
	return pf_lease_write(rt, l->name, &f, true);
}

/* The one place a lease changes the system: the forwarded sets from
 * l->port to port in one nftables transaction, then the lease files, both
 * journaled as one transaction, and the journald event. Under the
 * reconcile lock, so that no reconcile observes half of it. */
static int lease_apply(Lease *l, uint16_t port, const char *why)
{
	Daemon *d = l->daemon;
	_cleanup_close_ int lock = -EBADF;
	_cleanup_free_ char *digest = hexmem(d->desired->digest, sizeof(d->desired->digest));
	_cleanup_free_ char *before = port_text(l->port), *after = port_text(port);
	_cleanup_free_ char *file = NULL, *summary = NULL, *object = NULL;
	char txn[TXN_ID_STRLEN] = "";
	uint16_t old = l->port;
	NftSocket *nft;
	Journal *j;
	int64_t step;
	int r;

	lock = reconcile_lock(d->desired->runtime_dir, 0);
	if (lock < 0) {
		l->busy_retry = true;
		l->pending_port = port;
		l->next_send_usec = now_usec_monotonic() + LEASE_BUSY_RETRY_USEC;
		return lock;
	}
	l->busy_retry = false;
	j = lease_journal(d);
	if (j && journal_txn_begin(j, "port-forward", "port-forward", l->name, digest, txn) < 0)
		txn[0] = 0;

	object = xasprintf("nft set inet vpnconf %s%s%s", l->tcp ? NFT_SET_FORWARDED_TCP : "",
			   l->tcp && l->udp ? "," : "", l->udp ? NFT_SET_FORWARDED_UDP : "");
	step = step_begin(j, txn, l->name, object, "set", before, after, before);
	r = netns_nft(l->netns, &nft);
	if (r >= 0)
		r = nft_forwarded_update(nft, l->tcp, l->udp, old, port);
	step_finish(j, step, r);
	if (r < 0) {
		summary = xasprintf("port forwarding: %s -> %s failed: %s", before, after,
				    strerror(-r));
		if (j && txn[0])
			(void)journal_txn_finish(j, txn, TXN_FAILED, summary);
		log_event(LOG_ERR, VPNCONF_MESSAGE_PORT_FAILED, l->name, txn[0] ? txn : NULL,
			  "port-failed", "%s: %s", l->name, summary);
		return r;
	}
	l->port = port;
	if (port != 0)
		l->changed_usec = now_usec_monotonic();

	file = xasprintf("file %s/%s/%s", d->desired->runtime_dir, l->name, PF_PORT_FILE);
	step = step_begin(j, txn, l->name, file, port ? "write" : "remove", before, after, before);
	r = apply_files(l, port);
	step_finish(j, step, r);

	summary = xasprintf("port forwarding (%s): %s -> %s (%s)%s%s", protocols_text(l), before,
			    after, why, r < 0 ? "; lease files: " : "", r < 0 ? strerror(-r) : "");
	if (j && txn[0])
		(void)journal_txn_finish(j, txn, TXN_APPLIED, summary);
	if (port == 0)
		log_event(LOG_WARNING, VPNCONF_MESSAGE_PORT_EXPIRED, l->name, txn[0] ? txn : NULL,
			  "port-expired", "%s: %s", l->name, summary);
	else
		log_event(LOG_NOTICE,
			  old ? VPNCONF_MESSAGE_PORT_CHANGED : VPNCONF_MESSAGE_PORT_GRANTED, l->name,
			  txn[0] ? txn : NULL, old ? "port-changed" : "port-granted", "%s: %s",
			  l->name, summary);
	log_info("%s: %s", l->name, summary);
	return 0;
}

/* Every wanted protocol answered: the grant. */
static void round_finish(Lease *l, uint64_t now)
{
	uint16_t port = l->udp ? l->answered_port[0] : l->answered_port[1];
	uint32_t lifetime = UINT32_MAX;
	int r = 0;

	for (unsigned i = 0; i < 2; i++)
		if (wanted(l, i))
			lifetime = MIN(lifetime, l->answered_lifetime[i]);
	/* No longer than asked: a gateway granting years would keep the port
	 * open that long after the agent stopped, and never be asked again. */
	lifetime = MIN(lifetime, l->lifetime);
	if (port != l->port && l->changed_usec > 0 &&
	    now < l->changed_usec + LEASE_CHANGE_INTERVAL_USEC) {
		/* Asked again, and followed, when the interval ends. */
		l->requesting = false;
		l->renew_usec = l->changed_usec + LEASE_CHANGE_INTERVAL_USEC;
		return;
	}
	if (l->tcp && l->udp && l->answered_port[0] != l->answered_port[1])
		log_warning("%s: the gateway granted udp port %u and tcp port %u; using %u", l->name,
			    l->answered_port[0], l->answered_port[1], port);
	l->requesting = false;
	l->granted_usec = now;
	l->expires_usec = now + (uint64_t)lifetime * USEC_PER_S;
	l->renew_usec = now + natpmp_renew_after_usec(lifetime);
	l->expires_realtime = now_usec_realtime() / USEC_PER_S + lifetime;

	if (port != l->port)
		r = lease_apply(l, port, l->port ? "the gateway changed the port" : "lease granted");
	else {
		PfLease f = {.port = port, .granted_s = now_usec_realtime() / USEC_PER_S,
			     .expires_s = l->expires_realtime, .epoch = l->epoch};
		r = pf_lease_write(l->daemon->desired->runtime_dir, l->name, &f, false);
	}
	if (r < 0 && !l->busy_retry)
		l->renew_usec = MIN(l->renew_usec, now + LEASE_FAILED_RETRY_USEC);
}

void lease_on_response(Lease *l, const NatpmpResponse *r, uint64_t now)
{
	unsigned i = r->op == NATPMP_OP_MAP_TCP;

	if (r->op != NATPMP_OP_MAP_UDP && r->op != NATPMP_OP_MAP_TCP)
		return;
	if (!natpmp_response_matches(r, r->op, 1) || !wanted(l, i))
		return;
	if (l->have_epoch && !natpmp_epoch_continuous(l->epoch, l->epoch_usec, r->epoch, now)) {
		l->epoch = r->epoch;
		l->epoch_usec = now;
		if (l->restarted_usec > 0 && now < l->restarted_usec + LEASE_RESTART_INTERVAL_USEC) {
			/* Another restart this soon: mapped again when the
			 * interval ends (by the round in progress, if any). */
			if (!l->requesting)
				l->renew_usec = MIN(l->renew_usec,
						    l->restarted_usec + LEASE_RESTART_INTERVAL_USEC);
			return;
		}
		l->restarted_usec = now;
		log_event(LOG_NOTICE, VPNCONF_MESSAGE_PORT_GATEWAY_RESTARTED, l->name, NULL,
			  "gateway-restarted",
			  "%s: the NAT-PMP gateway restarted (epoch %" PRIu32 " after %" PRIu32
			  "): mapping again",
			  l->name, r->epoch, l->epoch);
		log_info("%s: the NAT-PMP gateway restarted (epoch went back): mapping again",
			 l->name);
		/* Whatever it had is gone: every mapping is requested anew,
		 * this answer included. */
		round_start(l, now);
		return;
	}
	l->have_epoch = true;
	l->epoch = r->epoch;
	l->epoch_usec = now;
	if (!l->requesting || l->answered[i])
		return;
	if (r->result != NATPMP_RESULT_SUCCESS) {
		if (l->refusal_logged)
			return;
		l->refusal_logged = true;
		log_warning("%s: the NAT-PMP gateway refused the %s mapping: %s", l->name,
			    natpmp_op_to_string(r->op), natpmp_result_to_string(r->result));
		return; /* retransmitted on schedule */
	}
	if (r->lifetime == 0)
		return;
	l->answered[i] = true;
	l->answered_port[i] = r->external_port;
	l->answered_lifetime[i] = r->lifetime;
	for (unsigned k = 0; k < 2; k++)
		if (wanted(l, k) && !l->answered[k])
			return;
	round_finish(l, now);
}

uint64_t lease_next_usec(const Lease *l)
{
	uint64_t t = UINT64_MAX;

	if (l->busy_retry)
		return l->next_send_usec;
	if (l->requesting)
		t = MIN(t, l->next_send_usec);
	else
		t = MIN(t, l->renew_usec);
	if (l->port)
		t = MIN(t, l->expires_usec);
	return t;
}

/* A port that could not be closed because the kernel refused (the policy
 * has no forwarded sets: locked down, or not vpnconf's) is not open
 * either: forgotten, with its files. */
static void forget_port(Lease *l)
{
	l->port = 0;
	(void)pf_lease_remove(l->daemon->desired->runtime_dir, l->name);
}

void lease_on_timer(Lease *l, uint64_t now)
{
	int r;

	if (l->busy_retry) {
		uint16_t p = l->pending_port;

		if (now < l->next_send_usec)
			return;
		r = lease_apply(l, p, p ? "lease granted" : "lease expired");
		if (l->busy_retry)
			return;
		if (r < 0 && p == 0)
			forget_port(l);
		else if (r < 0)
			l->renew_usec = now + LEASE_FAILED_RETRY_USEC;
	}
	if (l->port && now >= l->expires_usec) {
		/* The gateway stayed silent for the whole lease. */
		r = lease_apply(l, 0, "lease expired, the gateway did not renew it");
		if (l->busy_retry)
			return;
		if (r < 0)
			forget_port(l);
		if (!l->requesting)
			round_start(l, now);
	}
	if (!l->requesting && now >= l->renew_usec)
		round_start(l, now);
	if (l->requesting && now >= l->next_send_usec)
		round_send(l, now);
}

/* Lease life cycle, after each pass. */

Lease *lease_free(Lease *l)
{
	if (!l)
		return NULL;
	lease_io_close(l);
	lease_timer_free(l);
	netns_free(l->netns);
	free(l->name);
	free(l);
	return NULL;
}

static Lease *lease_new(Daemon *d, const Namespace *ns, Netns *n)
{
	Lease *l = xcalloc(1, sizeof(*l));
	uint64_t now = now_usec_monotonic(), now_s = now_usec_realtime() / USEC_PER_S;
	PfLease f;

	*l = (Lease){.daemon = d,
		     .name = xstrdup(ns->name),
		     .netns = n,
		     .fd = -EBADF,
		     .gateway = ns->pf.gateway.in,
		     .tcp = ns->pf.tcp,
		     .udp = ns->pf.udp,
		     .lifetime = ns->pf.lifetime_seconds};
	/* A lease an earlier agent recorded: its port is open (the reconcile
	 * admits it until it expires) and is renewed at once. */
	if (pf_lease_read(d->desired->runtime_dir, ns->name, &f) >= 0 && pf_lease_current(&f, now_s)) {
		l->port = f.port;
		l->expires_realtime = f.expires_s;
		l->expires_usec = now + (f.expires_s - now_s) * USEC_PER_S;
	}
	round_start(l, now);
	return l;
}

static bool same_config(const Lease *l, const Namespace *ns)
{
	return l->gateway.s_addr == ns->pf.gateway.in.s_addr && l->tcp == ns->pf.tcp &&
	       l->udp == ns->pf.udp && l->lifetime == ns->pf.lifetime_seconds;
}

/* A lease the desired state no longer asks for: deleted at the gateway
 * (daemon_leases_release() did so before the reload's pass, while the
 * policy still let the request out) and its files removed. The pass that
 * applied the new desired state already rebuilt the policy without it (or
 * tore the namespace down). */
static void lease_drop(Lease *l)
{
	for (unsigned i = 0; i < 2; i++)
		if (wanted(l, i) && l->port && !l->released)
			(void)lease_io_send(l, ops[i], 0);
	if (l->port) {
		log_info("%s: port forwarding no longer asked for: port %u released", l->name,
			 l->port);
		forget_port(l);
	}
	lease_free(l);
}

static Lease *take_lease(Daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_leases; i++)
		if (streq(d->leases[i]->name, name)) {
			Lease *l = d->leases[i];
			d->leases[i] = NULL;
			return l;
		}
	return NULL;
}

void daemon_leases_refresh(Daemon *d)
{
	Lease **next = NULL;
	size_t n = 0;

	FOREACH_ARRAY(ns, d->desired->namespaces, d->desired->n_namespaces)
	{
		Lease *l = take_lease(d, ns->name);
		Netns *netns = NULL;

		if (ns->pf.mode != PORT_FORWARD_NATPMP) {
			if (l)
				lease_drop(l);
			continue;
		}
		if (netns_open(d->desired->netns_dir, ns->name, &netns) < 0) {
			/* Gone: its socket and port with it. */
			lease_free(l);
			continue;
		}
		if (l && (!same_config(l, ns) || l->netns->dev != netns->dev ||
			  l->netns->ino != netns->ino))
			l = lease_free(l); /* re-created, or changed: start afresh */
		if (!l)
			l = lease_new(d, ns, TAKE_PTR(netns));
		netns_free(netns);
		*ARRAY_APPEND(next, n) = l;
		(void)lease_timer_arm(l);
	}
	for (size_t i = 0; i < d->n_leases; i++)
		if (d->leases[i])
			lease_drop(d->leases[i]);
	free(d->leases);
	d->leases = next;
	d->n_leases = n;
}

void daemon_leases_release(Daemon *d, const Desired *next)
{
	for (size_t i = 0; i < d->n_leases; i++) {
		Lease *l = d->leases[i];
		const Namespace *ns = desired_find_namespace(next, l->name);

		if (ns && ns->pf.mode == PORT_FORWARD_NATPMP)
			continue;
		for (unsigned k = 0; k < 2; k++)
			if (wanted(l, k) && l->port)
				(void)lease_io_send(l, ops[k], 0);
		l->released = true;
	}
}

void daemon_leases_free(Daemon *d)
{
	for (size_t i = 0; i < d->n_leases; i++)
		lease_free(d->leases[i]);
	free(d->leases);
	d->leases = NULL;
	d->n_leases = 0;
}
