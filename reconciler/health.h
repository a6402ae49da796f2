/* SPDX-License-Identifier: MIT */
/*
 * Tunnel health: a pure state machine, per peer of a managed tunnel, over
 * the latest WireGuard handshake and the peer's endpoint list (endpoint,
 * then peers[].endpoints). `vpnconf reconcile`, `status` and the agent
 * evaluate it alike (reconcile_observe_plan() feeds its result to
 * planning), so that they agree on what is stale and what to do.
 *
 * WireGuard re-handshakes every two minutes (REKEY_AFTER_TIME) while
 * traffic flows, and retries an unanswered initiation every five seconds
 * (REKEY_TIMEOUT) for as long as it has packets to send, so a latest
 * handshake older than drift.handshakeTimeoutSeconds (which should be
 * well above 120 s) means that the peer does not answer on its endpoint.
 *
 *  - ok: latest handshake within the timeout;
 *  - trying: no recent handshake, but the endpoint in use was set less
 *    than one timeout ago: it gets a full timeout before anything moves;
 *  - stale: the endpoint in use had its full timeout. The action is then
 *    to switch to the next endpoint of the list (wrapping around after
 *    the last), or, with a single endpoint, to set it again (which starts
 *    a new handshake with the next packet, and re-resolves a hostname).
 *
 * The endpoint in use is the kernel's: the peer's current endpoint found
 * in the list. When the kernel has none of the list (none at all, or one
 * set by hand or roamed to), the first usable one is wanted and the
 * difference is ordinary drift. Nothing is persisted: when the endpoint
 * was set comes from the journal (the tunnel's last configuration step).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "desired.h"
#include "wg.h"

typedef enum HealthState {
	HEALTH_UNKNOWN, /* no timeout configured, or nothing to judge by yet */
	HEALTH_OK,
	HEALTH_TRYING, /* no recent handshake; the endpoint in use still has time */
	HEALTH_STALE,  /* no handshake within a full timeout on the endpoint in use */
	_HEALTH_STATE_MAX,
	_HEALTH_STATE_INVALID = -EINVAL,
} HealthState;

typedef enum HealthAction {
	HEALTH_ACTION_NONE,
	HEALTH_ACTION_REFRESH, /* set the endpoint in use again (re-resolving a hostname) */
	HEALTH_ACTION_SWITCH,  /* move to endpoint target */
	_HEALTH_ACTION_MAX,
	_HEALTH_ACTION_INVALID = -EINVAL,
} HealthAction;

const char *health_state_to_string(HealthState s);
const char *health_action_to_string(HealthAction a);

typedef struct HealthInput {
	uint64_t now_usec;              /* CLOCK_REALTIME; 0: do not judge */
	uint64_t timeout_usec;          /* drift.handshakeTimeoutSeconds; 0: off */
	uint64_t latest_handshake_usec; /* 0: never */
	uint64_t endpoint_set_usec;     /* when vpnconf last set the endpoint; 0: unknown */
	size_t n_endpoints;             /* usable endpoints of the list */
	int current;                    /* the kernel's endpoint in the list; -1: not in it */
} HealthInput;

typedef struct PeerHealth {
	HealthState state;
	HealthAction action;
	int current; /* as in the input */
	int target;  /* the endpoint to use after the action; -1: none */
	size_t n_endpoints;
	uint64_t latest_handshake_usec;
	uint64_t stale_since_usec; /* latest handshake + timeout; 0: never had one */
	/* When the result can next change by time alone (a timer for the
	 * agent); 0: not by time. */
	uint64_t next_check_usec;
	/* health_evaluate_tunnel() only: the endpoints at current and
	 * target (AF_UNSPEC: none). */
	WgSockaddr current_endpoint;
	WgSockaddr target_endpoint;
} PeerHealth;

/* The state machine. Pure. */
void health_evaluate(const HealthInput *in, PeerHealth *ret);

/* For each peer of ns's managed tunnel, in desired order: endpoints[i] is
 * peer i's list as socket addresses (peer_endpoint_count() entries; an
 * unresolved hostname is AF_UNSPEC and skipped), have the observed device
 * (NULL: absent). Fills ret_health[i] and ret_want[i], the endpoint the
 * desired device should carry: the kernel's when it is one of the list
 * (the action, if any, is planned separately), else the first usable one
 * (AF_UNSPEC: none). Pure. */
void health_evaluate_tunnel(const Namespace *ns, WgSockaddr *const *endpoints,
			    const WgDevice *have, uint64_t now_usec, uint64_t timeout_usec,
			    uint64_t endpoint_set_usec, PeerHealth *ret_health, WgSockaddr *ret_want);

/* The earliest next_check_usec of n peers (0: none). */
uint64_t health_next_check(const PeerHealth *h, size_t n);
