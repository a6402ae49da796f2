/* SPDX-License-Identifier: MIT */
/*
 * The agent and tunnel health (reconciler/health.h). No event exists for
 * WireGuard handshakes: each pass reports, per managed tunnel, when the
 * health of its peers can next change by time alone, and the agent looks
 * at that namespace again then (agent_sched_check_at). The pass itself
 * acts on a stale peer (the plan re-sets or switches its endpoint); here
 * the transitions are alarmed: a peer gone stale, an endpoint fallback, a
 * peer recovered.
 */
#include <inttypes.h>

#include "daemon.h"
#include "log.h"

#define HEALTH_MIN_DELAY_USEC (1000ULL * 1000) /* never look again sooner */

static const char *endpoint_of(const Namespace *ns, size_t peer, int i)
{
	const char *raw = NULL;

	if (peer >= ns->wg.n_peers || i < 0)
		return NULL;
	(void)peer_endpoint_at(&ns->wg.peers[peer], (size_t)i, &raw);
	return raw;
}

static void alarm_transition(const Namespace *ns, size_t i, HealthState before,
			     const PeerHealth *h)
{
	const Peer *p = &ns->wg.peers[i];
	const char *key = p->public_key_b64;

	if (h->state == HEALTH_STALE && before != HEALTH_STALE)
		log_warning("%s: peer %s stale: no handshake within the handshake timeout", ns->name,
			    key);
	if (h->action == HEALTH_ACTION_SWITCH && h->target >= 0)
		log_warning("%s: peer %s: trying endpoint %d/%zu", ns->name, key, h->target + 1,
			    h->n_endpoints);
	if (h->state == HEALTH_OK && (before == HEALTH_STALE || before == HEALTH_TRYING))
		log_info("%s: peer %s recovered", ns->name, key);
	if (h->state == HEALTH_STALE && before != HEALTH_STALE)
		log_event_peer(LOG_WARNING, VPNCONF_MESSAGE_PEER_STALE, ns->name, key,
			       endpoint_of(ns, i, h->current), "peer-stale",
			       "vpnconf: namespace %s: peer %s has had no handshake for more than "
			       "the handshake timeout",
			       ns->name, key);
	if (h->action == HEALTH_ACTION_SWITCH && h->target >= 0)
		log_event_peer(LOG_WARNING, VPNCONF_MESSAGE_ENDPOINT_FALLBACK, ns->name, key,
			       endpoint_of(ns, i, h->target), "endpoint-fallback",
			       "vpnconf: namespace %s: peer %s: trying endpoint %d/%zu (%s)",
			       ns->name, key, h->target + 1, h->n_endpoints,
			       strna(endpoint_of(ns, i, h->target)));
	if (h->state == HEALTH_OK && (before == HEALTH_STALE || before == HEALTH_TRYING))
		log_event_peer(LOG_NOTICE, VPNCONF_MESSAGE_PEER_RECOVERED, ns->name, key,
			       endpoint_of(ns, i, h->current), "peer-recovered",
			       "vpnconf: namespace %s: peer %s recovered (handshake on endpoint %d/%zu)",
			       ns->name, key, h->current + 1, h->n_endpoints);
}

void daemon_health_update(Daemon *d, size_t index, const NamespaceReport *n)
{
	const Namespace *ns = &d->desired->namespaces[index];
	DaemonHealth *dh = &d->health[index];
	uint64_t now_real = now_usec_realtime(), now_mono = now_usec_monotonic();

	if (!ns->wg.managed || n->n_health != ns->wg.n_peers)
		return;
	if (dh->n != n->n_health) {
		free(dh->state);
		dh->state = xcalloc(n->n_health, sizeof(HealthState));
		dh->n = n->n_health;
	}
	dh->latest_handshake_usec = 0;
	for (size_t i = 0; i < n->n_health; i++) {
		alarm_transition(ns, i, dh->state[i], &n->health[i]);
		dh->state[i] = n->health[i].state;
		dh->latest_handshake_usec = MAX(dh->latest_handshake_usec,
						n->health[i].latest_handshake_usec);
	}
	if (n->health_next_usec == 0)
		agent_sched_check_at(&d->sched, ns->name, 0);
	else
		agent_sched_check_at(&d->sched, ns->name,
				     now_mono + MAX(n->health_next_usec > now_real
							    ? n->health_next_usec - now_real
							    : 0,
						    HEALTH_MIN_DELAY_USEC));
}

void daemon_health_free(Daemon *d)
{
	for (size_t i = 0; d->health && i < d->desired->n_namespaces; i++)
		free(d->health[i].state);
	free(d->health);
	d->health = NULL;
}
