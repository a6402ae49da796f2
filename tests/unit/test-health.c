/* SPDX-License-Identifier: MIT */
/*
 * The tunnel health state machine (reconciler/health.h): ok, trying and
 * stale; a new endpoint gets a full timeout before the next is tried;
 * wrapping around after the last; a single endpoint is refreshed; a
 * kernel endpoint outside the list; unresolved hostnames skipped; and a
 * walk through time across three endpoints.
 */
#include <arpa/inet.h>

#include "health.h"
#include "test.h"
#include "util.h"

#define S 1000000ULL
#define T0 (1700000000ULL * S)
#define TIMEOUT (180 * S)

static PeerHealth eval(uint64_t now, uint64_t latest, uint64_t set, size_t n, int current)
{
	PeerHealth h;

	health_evaluate(&(HealthInput){.now_usec = now,
				       .timeout_usec = TIMEOUT,
				       .latest_handshake_usec = latest,
				       .endpoint_set_usec = set,
				       .n_endpoints = n,
				       .current = current},
			&h);
	return h;
}

TEST(off_without_timeout_or_clock)
{
	PeerHealth h;

	health_evaluate(&(HealthInput){.now_usec = T0, .latest_handshake_usec = T0 - 9999 * S,
				       .n_endpoints = 2, .current = 1},
			&h);
	ASSERT_EQ(h.state, HEALTH_UNKNOWN);
	ASSERT_EQ(h.action, HEALTH_ACTION_NONE);
	ASSERT_EQ(h.target, 1);
	ASSERT_EQ(h.next_check_usec, 0);
	/* now 0: verification right after applying judges nothing. */
	h = eval(0, T0 - 9999 * S, 0, 2, 0);
	ASSERT_EQ(h.state, HEALTH_UNKNOWN);
	ASSERT_EQ(h.action, HEALTH_ACTION_NONE);
	ASSERT_STREQ(health_state_to_string(HEALTH_TRYING), "trying");
	ASSERT_STREQ(health_action_to_string(HEALTH_ACTION_SWITCH), "switch");
}

TEST(ok_within_timeout)
{
	PeerHealth h = eval(T0, T0 - 179 * S, T0 - 3600 * S, 3, 2);

	ASSERT_EQ(h.state, HEALTH_OK);
	ASSERT_EQ(h.action, HEALTH_ACTION_NONE);
	ASSERT_EQ(h.target, 2); /* a peer that recovered on a fallback stays there */
	ASSERT_EQ(h.stale_since_usec, 0);
	ASSERT_EQ(h.next_check_usec, T0 + S);
}

TEST(stale_switches_to_the_next_endpoint_and_wraps)
{
	PeerHealth h = eval(T0, T0 - 180 * S, 0, 3, 0);

	ASSERT_EQ(h.state, HEALTH_STALE);
	ASSERT_EQ(h.action, HEALTH_ACTION_SWITCH);
	ASSERT_EQ(h.current, 0);
	ASSERT_EQ(h.target, 1);
	ASSERT_EQ(h.stale_since_usec, T0);
	ASSERT_EQ(h.next_check_usec, T0 + TIMEOUT);
	h = eval(T0, T0 - 500 * S, T0 - 200 * S, 3, 2);
	ASSERT_EQ(h.action, HEALTH_ACTION_SWITCH);
	ASSERT_EQ(h.target, 0);
}

/* The endpoint just switched to gets a full timeout of its own, even
 * though the latest handshake is long past. */
TEST(new_endpoint_gets_a_full_timeout)
{
	PeerHealth h = eval(T0, T0 - 1000 * S, T0 - 179 * S, 3, 1);

	ASSERT_EQ(h.state, HEALTH_TRYING);
	ASSERT_EQ(h.action, HEALTH_ACTION_NONE);
	ASSERT_EQ(h.target, 1);
	ASSERT_EQ(h.stale_since_usec, T0 - 820 * S);
	ASSERT_EQ(h.next_check_usec, T0 + S);
}

TEST(single_endpoint_is_refreshed_once_per_timeout)
{
	PeerHealth h = eval(T0, T0 - 300 * S, 0, 1, 0);

	ASSERT_EQ(h.state, HEALTH_STALE);
	ASSERT_EQ(h.action, HEALTH_ACTION_REFRESH);
	ASSERT_EQ(h.target, 0);
	h = eval(T0, T0 - 300 * S, T0 - 10 * S, 1, 0);
	ASSERT_EQ(h.state, HEALTH_TRYING);
	ASSERT_EQ(h.action, HEALTH_ACTION_NONE);
}

TEST(never_handshaken)
{
	/* Nothing to count from: left alone. */
	PeerHealth h = eval(T0, 0, 0, 2, 0);

	ASSERT_EQ(h.state, HEALTH_UNKNOWN);
	ASSERT_EQ(h.action, HEALTH_ACTION_NONE);
	/* Configured by vpnconf a while ago: its first endpoint had its
	 * chance. */
	h = eval(T0, 0, T0 - 181 * S, 2, 0);
	ASSERT_EQ(h.state, HEALTH_STALE);
	ASSERT_EQ(h.action, HEALTH_ACTION_SWITCH);
	ASSERT_EQ(h.target, 1);
	ASSERT_EQ(h.stale_since_usec, 0);
	h = eval(T0, 0, T0 - 10 * S, 2, 0);
	ASSERT_EQ(h.state, HEALTH_TRYING);
}

TEST(kernel_endpoint_outside_the_list)
{
	PeerHealth h = eval(T0, T0 - 300 * S, T0 - 400 * S, 3, -1);

	ASSERT_EQ(h.state, HEALTH_STALE);
	ASSERT_EQ(h.action, HEALTH_ACTION_NONE); /* wanting endpoint 1 repairs it */
	ASSERT_EQ(h.target, 0);
	h = eval(T0, 0, 0, 0, -1);
	ASSERT_EQ(h.target, -1);
	ASSERT_EQ(h.action, HEALTH_ACTION_NONE);
}

/* Three endpoints, the first one dies at T0: each later endpoint is
 * tried for a full timeout, the third one answers and is kept. */
TEST(walk_through_time)
{
	uint64_t latest = T0 - 60 * S, set = 0, now;
	int current = 0;
	PeerHealth h;

	for (now = T0; now < T0 + 400 * S; now += 10 * S) {
		h = eval(now, latest, set, 3, current);
		if (now < latest + TIMEOUT)
			ASSERT_EQ(h.state, HEALTH_OK);
		if (h.action == HEALTH_ACTION_SWITCH) {
			current = h.target;
			set = now;
		}
	}
	/* Switched at T0+120 s (1st stale check) and T0+300 s. */
	ASSERT_EQ(current, 2);
	ASSERT_EQ(set, T0 + 300 * S);
	h = eval(T0 + 400 * S, latest, set, 3, current);
	ASSERT_EQ(h.state, HEALTH_TRYING);
	latest = T0 + 405 * S; /* endpoint 3 answers */
	h = eval(T0 + 410 * S, latest, set, 3, current);
	ASSERT_EQ(h.state, HEALTH_OK);
	ASSERT_EQ(h.target, 2);
	ASSERT_EQ(health_next_check(&h, 1), latest + TIMEOUT);
}

static WgSockaddr v4(const char *a, uint16_t port)
{
	WgSockaddr s = {};

	s.in.sin_family = AF_INET;
	s.in.sin_port = htons(port);
	inet_pton(AF_INET, a, &s.in.sin_addr);
	return s;
}

/* The tunnel-level evaluation: the kernel's endpoint found in the list,
 * positions counted in the whole list, unresolved hostnames skipped. */
TEST(tunnel_positions_and_wanted_endpoints)
{
	Endpoint fallbacks[2] = {{.host = (char *)"b.example.net", .port = 1},
				 {.literal = true, .port = 3}};
	Peer peers[2] = {};
	Namespace ns = {.name = (char *)"n"};
	WgSockaddr list0[3] = {v4("192.0.2.1", 1), {}, v4("192.0.2.3", 3)}, list1[1] = {v4("192.0.2.9", 9)};
	WgSockaddr *lists[2] = {list0, list1}, want[2];
	WgDevice have = {};
	PeerHealth h[2];
	WgPeer *k;

	peers[0].public_key[0] = 1;
	peers[0].has_endpoint = true;
	peers[0].endpoint = (Endpoint){.literal = true, .port = 1};
	peers[0].endpoints = fallbacks;
	peers[0].n_endpoints = 2;
	peers[1].public_key[0] = 2;
	peers[1].has_endpoint = true;
	ns.wg.peers = peers;
	ns.wg.n_peers = 2;
	k = wg_device_add_peer(&have);
	k->public_key[0] = 1;
	k->endpoint = list0[0];
	k->last_handshake_usec = T0 - 200 * S;
	k = wg_device_add_peer(&have);
	k->public_key[0] = 2;
	k->endpoint = v4("203.0.113.1", 9); /* set by hand */
	k->last_handshake_usec = T0 - 10 * S;

	health_evaluate_tunnel(&ns, lists, &have, T0, TIMEOUT, 0, h, want);
	ASSERT_EQ(h[0].state, HEALTH_STALE);
	ASSERT_EQ(h[0].action, HEALTH_ACTION_SWITCH);
	ASSERT_EQ(h[0].current, 0);
	ASSERT_EQ(h[0].target, 2); /* the unresolved hostname is skipped */
	ASSERT_EQ(h[0].n_endpoints, 3);
	ASSERT_TRUE(wg_endpoint_equal(&want[0], &list0[0])); /* the switch is planned apart */
	ASSERT_EQ(h[1].state, HEALTH_OK);
	ASSERT_EQ(h[1].current, -1);
	ASSERT_TRUE(wg_endpoint_equal(&want[1], &list1[0])); /* drift: back to the list */

	/* No device yet: the first usable endpoint, nothing judged. */
	health_evaluate_tunnel(&ns, lists, NULL, T0, TIMEOUT, 0, h, want);
	ASSERT_EQ(h[0].state, HEALTH_UNKNOWN);
	ASSERT_TRUE(wg_endpoint_equal(&want[0], &list0[0]));
	free(have.peers);
}
