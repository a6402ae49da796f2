/* SPDX-License-Identifier: MIT */
/*
 * The planner and tunnel health (health.h): a stale peer's endpoint set
 * again, or moved to the next endpoint of its list, as one "refresh" step
 * naming why; nothing while the endpoint in use still has time, and
 * nothing at verification (now 0).
 */
#include "health.h"
#include "test-plan.h"

TEST(stale_handshake_refreshes_the_endpoint_only)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.top = "'drift': {'handshakeTimeoutSeconds': 60}",
		    .ns = "'publishToHost': {'tcp': [8080]}"));
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	const Namespace *ns = &d->namespaces[0];
	_cleanup_(wg_device_freep) WgDevice *want = wg_device_like(ns);
	uint64_t now = 1800000000ULL * 1000000;
	PlanInput in = {.desired = d, .ns = ns, .want_wg = want, .now_usec = now};

	observe_converged(d, ns, &host, &o);
	o.wg->peers[0].last_handshake_usec = now - 30ULL * 1000000;
	{
		_cleanup_(plan_done) Plan p = {};
		ASSERT_OK(plan_namespace(&in, &o, &p));
		ASSERT_EQ(p.n, 0);
	}
	o.wg->peers[0].last_handshake_usec = now - 120ULL * 1000000;
	{
		_cleanup_(plan_done) Plan p = {};
		ASSERT_OK(plan_namespace(&in, &o, &p));
		ASSERT_EQ(p.n, 1);
		ASSERT_EQ(p.steps[0]->kind, STEP_TUNNEL_CONFIGURE);
		ASSERT_STREQ(p.steps[0]->action, "refresh");
		ASSERT_CONTAINS(p.steps[0]->reasons[0], "latest handshake 120s ago");
		ASSERT_EQ(p.steps[0]->wg_change->peers[0].change,
			  WG_PEER_CHANGE_ENDPOINT | WG_PEER_CHANGE_UPDATE_ONLY);
	}
	in.now_usec = 0; /* verification right after applying */
	{
		_cleanup_(plan_done) Plan p = {};
		ASSERT_OK(plan_namespace(&in, &o, &p));
		ASSERT_EQ(p.n, 0);
	}
}

/* peers[].endpoints: once the endpoint in use had a full timeout without
 * a handshake, the plan moves the peer to the next endpoint of its list
 * (one "refresh" step naming both); the new endpoint then gets its own
 * full timeout, and the kernel's endpoint, being one of the list, is not
 * drift. */
TEST(stale_peer_moves_to_its_next_endpoint)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.top = "'drift': {'handshakeTimeoutSeconds': 60}",
		    .ns = "'publishToHost': {'tcp': [8080]}",
		    .peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': '198.51.100.10:51820', "
			     "'endpoints': ['198.51.100.11:51820'], 'allowedIPs': ['0.0.0.0/0']}]"));
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	const Namespace *ns = &d->namespaces[0];
	_cleanup_(wg_device_freep) WgDevice *want = wg_device_like(ns);
	uint64_t now = 1800000000ULL * 1000000, timeout = 60ULL * 1000000;
	WgSockaddr list[2] = {want->peers[0].endpoint, want->peers[0].endpoint}, *lists[1] = {list};
	WgSockaddr chosen[1];
	PeerHealth health[1];
	PlanInput in = {.desired = d, .ns = ns, .want_wg = want, .now_usec = now, .health = health};

	list[1].in.sin_addr.s_addr = htonl(0xc633640b); /* 198.51.100.11 */
	observe_converged(d, ns, &host, &o);
	o.wg->peers[0].last_handshake_usec = now - 120ULL * 1000000;
	health_evaluate_tunnel(ns, lists, o.wg, now, timeout, now - 300ULL * 1000000, health, chosen);
	ASSERT_EQ(health[0].action, HEALTH_ACTION_SWITCH);
	ASSERT_TRUE(wg_endpoint_equal(&chosen[0], &list[0]));
	{
		_cleanup_(plan_done) Plan p = {};
		ASSERT_OK(plan_namespace(&in, &o, &p));
		ASSERT_EQ(p.n, 1);
		ASSERT_STREQ(p.steps[0]->action, "refresh");
		ASSERT_CONTAINS(p.steps[0]->reasons[0],
				"on endpoint 1/2 (198.51.100.10:51820); trying endpoint 2/2 "
				"(198.51.100.11:51820)");
		ASSERT_TRUE(wg_endpoint_equal(&p.steps[0]->wg_change->peers[0].endpoint, &list[1]));
		ASSERT_EQ(p.steps[0]->wg_change->peers[0].change,
			  WG_PEER_CHANGE_ENDPOINT | WG_PEER_CHANGE_UPDATE_ONLY);
	}
	/* Applied: the kernel is on endpoint 2, set 10 s ago. */
	o.wg->peers[0].endpoint = list[1];
	want->peers[0].endpoint = list[1];
	health_evaluate_tunnel(ns, lists, o.wg, now + 10ULL * 1000000, timeout, now, health, chosen);
	ASSERT_EQ(health[0].state, HEALTH_TRYING);
	ASSERT_EQ(health[0].current, 1);
	ASSERT_TRUE(wg_endpoint_equal(&chosen[0], &list[1]));
	in.now_usec = now + 10ULL * 1000000;
	{
		_cleanup_(plan_done) Plan p = {};
		ASSERT_OK(plan_namespace(&in, &o, &p));
		ASSERT_EQ(p.n, 0);
	}
}
