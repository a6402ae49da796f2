/* SPDX-License-Identifier: MIT */
/*
 * The planner and foreign interfaces inside a confinement namespace: one
 * that reaches another namespace (a veth whose peer is in the host's, a
 * WireGuard device, whose socket namespace the kernel does not report) is
 * deleted, irreversibly; one that reaches nowhere is only noted; the
 * external tunnel is left alone; the host link's inside end relabelled
 * from inside is deleted and made again in the same plan; and so is the
 * host end when it has a master or an upper device on the host, and a
 * pair whose ends are not each other's peers.
 */
#include "test-plan.h"

TEST(foreign_link_reaching_another_namespace_is_deleted)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	const Namespace *ns = &d->namespaces[0];
	LinkInfo *l;
	size_t deleted = 0;

	observe_converged(d, ns, &host, &o);
	/* A veth whose peer root inside created in the host's namespace. */
	add_link(&o.links, "evil", "veth", NULL, 0)->other_netns = true;
	/* A WireGuard device does not report where its socket lives. */
	add_link(&o.links, "wgx", "wireguard", NULL, 0);
	/* Leads nowhere: left alone, with a note. */
	add_link(&o.links, "quiet", "dummy", NULL, 0);
	/* The external tunnel leads out by design (here a stand-in veth). */
	l = (LinkInfo *)link_snapshot_find(&o.links, ns->wg.ifname);
	if (l)
		l->other_netns = true;
	sort_snapshot(&o.links);
	ASSERT_OK(plan_for(d, &o, &p));
	for (size_t i = 0; i < p.n; i++) {
		if (p.steps[i]->kind != STEP_LINK_DELETE)
			continue;
		ASSERT_TRUE(streq(p.steps[i]->ifname, "evil") || streq(p.steps[i]->ifname, "wgx"));
		ASSERT_CONTAINS(p.steps[i]->reasons[0], "reaches another namespace");
		ASSERT_TRUE(p.steps[i]->irreversible);
		deleted++;
	}
	ASSERT_EQ(deleted, 2);
	ASSERT_TRUE(p.notes && strstr(p.notes[0], "quiet"));
}

TEST(relabelled_host_link_end_is_deleted_and_made_again)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	const Namespace *ns = &d->namespaces[0];
	LinkInfo *l;
	int del, create;

	observe_converged(d, ns, &host, &o);
	/* Root inside wrote another namespace's label on the inside end. */
	l = (LinkInfo *)link_snapshot_find(&o.links, ns->ns_if);
	ASSERT_TRUE(l != NULL);
	link_info_set_alias(l, "vpnconf:other:hostlink");
	l->other_netns = true;
	ASSERT_OK(plan_for(d, &o, &p));
	del = index_of(&p, STEP_LINK_DELETE);
	create = index_of(&p, STEP_HOSTLINK_CREATE);
	ASSERT_TRUE(del >= 0 && create > del);
	ASSERT_STREQ(p.steps[del]->ifname, ns->ns_if);
	for (size_t i = 0; i < p.n; i++)
		ASSERT_TRUE(!p.steps[i]->conflict);
}

TEST(diverted_host_end_is_made_again)
{
	for (int upper = 0; upper < 2; upper++) {
		_cleanup_(desired_freep) Desired *d = external_desired();
		_cleanup_(link_snapshot_done) LinkSnapshot host = {};
		_cleanup_(observed_done) Observed o = {};
		_cleanup_(plan_done) Plan p = {};
		const Namespace *ns = &d->namespaces[0];
		int del, create;

		observe_converged(d, ns, &host, &o);
		ASSERT_TRUE(o.host_link != NULL);
		if (upper)
			snprintf(o.host_link_upper, sizeof(o.host_link_upper), "mv0");
		else
			((LinkInfo *)o.host_link)->master = 42;
		ASSERT_OK(plan_for(d, &o, &p));
		del = index_of(&p, STEP_LINK_DELETE);
		create = index_of(&p, STEP_HOSTLINK_CREATE);
		ASSERT_TRUE(del >= 0 && create > del);
		ASSERT_EQ(p.steps[del]->site, SITE_HOST);
		ASSERT_STREQ(p.steps[del]->ifname, ns->host_if);
		ASSERT_TRUE(p.steps[del]->irreversible);
		ASSERT_CONTAINS(p.steps[del]->reasons[0], upper ? "has mv0 on top" : "is enslaved");
	}
}

TEST(host_link_ends_that_are_not_peers_are_made_again)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	const Namespace *ns = &d->namespaces[0];
	LinkInfo *h, *n;

	observe_converged(d, ns, &host, &o);
	h = (LinkInfo *)o.host_link;
	n = (LinkInfo *)link_snapshot_find(&o.links, ns->ns_if);
	ASSERT_TRUE(h && n);
	{
		_cleanup_(plan_done) Plan p = {};
		h->peer = n->ifindex;
		n->peer = h->ifindex;
		ASSERT_OK(plan_for(d, &o, &p));
		ASSERT_EQ(p.n, 0);
	}
	/* Root inside's own veth, labelled as the inside end: its peer is
	 * some other interface of the host. */
	n->peer = h->ifindex + 100;
	{
		_cleanup_(plan_done) Plan p = {};
		int create;

		ASSERT_OK(plan_for(d, &o, &p));
		create = index_of(&p, STEP_HOSTLINK_CREATE);
		ASSERT_EQ(create, 2);
		ASSERT_EQ(p.steps[0]->kind, STEP_LINK_DELETE);
		ASSERT_STREQ(p.steps[0]->ifname, ns->ns_if);
		ASSERT_EQ(p.steps[1]->kind, STEP_LINK_DELETE);
		ASSERT_STREQ(p.steps[1]->ifname, ns->host_if);
	}
}
