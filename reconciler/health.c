/* SPDX-License-Identifier: MIT */
/*
 * Tunnel health (health.h): when a peer is stale, and which endpoint of
 * its list to try next. Pure functions only.
 */
#include <assert.h>

#include "health.h"

static const char *const health_state_table[_HEALTH_STATE_MAX] = {
	[HEALTH_UNKNOWN] = "unknown",
	[HEALTH_OK] = "ok",
	[HEALTH_TRYING] = "trying",
	[HEALTH_STALE] = "stale",
};

static const char *const health_action_table[_HEALTH_ACTION_MAX] = {
	[HEALTH_ACTION_NONE] = "none",
	[HEALTH_ACTION_REFRESH] = "refresh",
	[HEALTH_ACTION_SWITCH] = "switch",
};

const char *health_state_to_string(HealthState s)
{
	return s >= 0 && s < _HEALTH_STATE_MAX ? health_state_table[s] : NULL;
}

const char *health_action_to_string(HealthAction a)
{
	return a >= 0 && a < _HEALTH_ACTION_MAX ? health_action_table[a] : NULL;
}

void health_evaluate(const HealthInput *in, PeerHealth *ret)
{
	uint64_t t = in->timeout_usec, since;
	PeerHealth h = {
		.state = HEALTH_UNKNOWN,
		.action = HEALTH_ACTION_NONE,
		.current = in->current,
		.n_endpoints = in->n_endpoints,
		.latest_handshake_usec = in->latest_handshake_usec,
		.stale_since_usec = in->latest_handshake_usec ? in->latest_handshake_usec + t : 0,
	};

	assert(in->current < (int)in->n_endpoints);
	h.target = in->current >= 0 ? in->current : in->n_endpoints > 0 ? 0 : -1;
	if (t == 0 || in->now_usec == 0) {
		h.stale_since_usec = 0;
		*ret = h;
		return;
	}
	if (in->latest_handshake_usec && in->now_usec < in->latest_handshake_usec + t) {
		h.state = HEALTH_OK;
		h.stale_since_usec = 0;
		h.next_check_usec = in->latest_handshake_usec + t;
		*ret = h;
		return;
	}
	/* The endpoint in use has been trying since the later of its latest
	 * handshake and the moment it was set. A peer never configured by
	 * vpnconf's journal and never handshaken gives nothing to count
	 * from: left alone. */
	since = MAX(in->latest_handshake_usec, in->endpoint_set_usec);
	if (since == 0) {
		*ret = h;
		return;
	}
	if (in->now_usec < since + t) {
		h.state = HEALTH_TRYING;
		h.next_check_usec = since + t;
		*ret = h;
		return;
	}
	h.state = HEALTH_STALE;
	h.next_check_usec = in->now_usec + t;
	if (in->current < 0) {
		/* The kernel's endpoint is none of the list: wanting the
		 * first one repairs that (as drift); nothing more to do. */
		*ret = h;
		return;
	}
	if (in->n_endpoints >= 2) {
		h.action = HEALTH_ACTION_SWITCH;
		h.target = (in->current + 1) % (int)in->n_endpoints;
	} else if (in->n_endpoints == 1)
		h.action = HEALTH_ACTION_REFRESH;
	*ret = h;
}

static const WgPeer *find_peer(const WgDevice *d, const uint8_t key[static WG_KEY_LEN])
{
	if (d)
		FOREACH_ARRAY(p, d->peers, d->n_peers)
	if (memcmp(p->public_key, key, WG_KEY_LEN) == 0)
		return p;
	return NULL;
}

void health_evaluate_tunnel(const Namespace *ns, WgSockaddr *const *endpoints,
			    const WgDevice *have, uint64_t now_usec, uint64_t timeout_usec,
			    uint64_t endpoint_set_usec, PeerHealth *ret_health, WgSockaddr *ret_want)
{
	assert(ns);
	for (size_t i = 0; i < ns->wg.n_peers; i++) {
		const Peer *peer = &ns->wg.peers[i];
		const WgPeer *k = find_peer(have, peer->public_key);
		size_t n = peer_endpoint_count(peer), usable = 0;
		int current = -1, first = -1;
		/* Positions of the usable (resolved) endpoints in the list. */
		int map[1 + PEER_ENDPOINTS_MAX] = {};
		PeerHealth h;

		for (size_t e = 0; e < n && e < ELEMENTSOF(map); e++) {
			const WgSockaddr *a = &endpoints[i][e];

			if (a->sa.sa_family == AF_UNSPEC)
				continue;
			if (first < 0)
				first = (int)e;
			if (current < 0 && k && wg_endpoint_equal(a, &k->endpoint))
				current = (int)usable;
			map[usable++] = (int)e;
		}
		health_evaluate(&(HealthInput){
					.now_usec = now_usec,
					.timeout_usec = timeout_usec,
					.latest_handshake_usec = k ? k->last_handshake_usec : 0,
					.endpoint_set_usec = endpoint_set_usec,
					.n_endpoints = usable,
					.current = current,
				},
				&h);
		/* Report positions in the whole list, not among the usable. */
		h.current = current >= 0 ? map[current] : -1;
		h.target = h.target >= 0 ? map[h.target] : -1;
		h.n_endpoints = n;
		if (!k || k->last_handshake_usec == 0)
			h.latest_handshake_usec = 0;
		if (h.current >= 0)
			h.current_endpoint = endpoints[i][h.current];
		if (h.target >= 0)
			h.target_endpoint = endpoints[i][h.target];
		ret_health[i] = h;
		ret_want[i] = (WgSockaddr){};
		if (h.current >= 0)
			ret_want[i] = endpoints[i][h.current];
		else if (first >= 0)
			ret_want[i] = endpoints[i][first];
	}
}

uint64_t health_next_check(const PeerHealth *h, size_t n)
{
	uint64_t next = 0;

	for (size_t i = 0; i < n; i++)
		if (h[i].next_check_usec && (!next || h[i].next_check_usec < next))
			next = h[i].next_check_usec;
	return next;
}
