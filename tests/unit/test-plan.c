/* SPDX-License-Identifier: MIT */
/*
 * The planner is where vpnconf's fail-closed order lives; these tests pin
 * it down without a kernel: observed states are built by hand, plans are
 * checked step by step (kind, site, order, inverse).
 */
#include "test-plan.h"

TEST(fresh_external_namespace_policy_comes_first)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(observed_done) Observed o = {.name = xstrdup("vpnapps"), .netns_state = NETNS_ABSENT,
					      .birthplace_present = true, .disable_ipv6_all = -1,
					      .disable_ipv6_default = -1};
	_cleanup_(plan_done) Plan p = {};

	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 5);
	ASSERT_EQ(p.steps[0]->kind, STEP_NETNS_CREATE);
	/* The namespace is born with its policy and sysctls inside. */
	ASSERT_TRUE(p.steps[0]->table);
	ASSERT_EQ(nft_table_kind(p.steps[0]->table), NFT_TABLE_POLICY);
	ASSERT_TRUE(strv_contains(p.steps[0]->sysctls, "net/ipv6/conf/all/disable_ipv6=1"));
	ASSERT_TRUE(p.steps[0]->inverse);
	ASSERT_EQ(p.steps[0]->inverse->kind, STEP_NETNS_DELETE);
	ASSERT_EQ(p.steps[1]->kind, STEP_NFT_REPLACE);
	ASSERT_EQ(p.steps[1]->site, SITE_HOST);
	ASSERT_EQ(p.steps[2]->kind, STEP_HOSTLINK_CREATE);
	ASSERT_EQ(p.steps[2]->inverse->kind, STEP_LINK_DELETE);
	ASSERT_EQ(p.steps[3]->kind, STEP_FILE_WRITE);
	ASSERT_EQ(p.steps[4]->kind, STEP_FILE_WRITE);
	ASSERT_EQ(p.steps[4]->inverse->kind, STEP_FILE_REMOVE);
}

TEST(fresh_managed_namespace_tunnel_after_policy_and_pinning)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(observed_done) Observed o = {.name = xstrdup("vpnapps"), .netns_state = NETNS_ABSENT,
					      .birthplace_present = true, .disable_ipv6_all = -1,
					      .disable_ipv6_default = -1};
	_cleanup_(plan_done) Plan p = {};
	int create, pin, host, tunnel, conf, up, route;

	ASSERT_OK(plan_for(d, &o, &p));
	create = index_of(&p, STEP_NETNS_CREATE);
	pin = index_of(&p, STEP_NFT_REPLACE);
	host = index_of(&p, STEP_HOSTLINK_CREATE);
	tunnel = index_of(&p, STEP_TUNNEL_CREATE);
	conf = index_of(&p, STEP_TUNNEL_CONFIGURE);
	up = index_of(&p, STEP_LINK_UP);
	route = index_of(&p, STEP_ROUTE_ADD);
	ASSERT_EQ(create, 0);
	ASSERT_TRUE(pin > create && pin < conf);
	ASSERT_EQ(p.steps[pin]->site, SITE_BIRTHPLACE);
	ASSERT_EQ(nft_table_kind(p.steps[pin]->table), NFT_TABLE_PIN);
	ASSERT_EQ(p.steps[pin]->inverse->kind, STEP_NFT_DELETE);
	ASSERT_TRUE(host > create && tunnel > host);
	ASSERT_EQ(p.steps[tunnel]->site, SITE_BIRTHPLACE);
	ASSERT_EQ(p.steps[tunnel]->inverse->kind, STEP_LINK_DELETE);
	ASSERT_EQ(p.steps[tunnel]->inverse->site, SITE_NAMESPACE);
	/* Configured while down; up only once configured and addressed. */
	ASSERT_TRUE(conf > tunnel && up > conf && route > up);
	ASSERT_TRUE(p.steps[conf]->wg_change->change & WG_DEVICE_CHANGE_REPLACE_PEERS);
}

TEST(converged_namespace_plans_nothing)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	ASSERT_OK(plan_for(d, &o, &p));
	for (size_t i = 0; i < p.n; i++) {
		_cleanup_free_ char *s = step_describe(p.steps[i]);
		fprintf(stderr, "  unexpected: %s\n", s);
	}
	ASSERT_EQ(p.n, 0);
}

TEST(foreign_namespace_is_a_conflict)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.owned = false;
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 1);
	ASSERT_EQ(p.steps[0]->kind, STEP_NETNS_CREATE);
	ASSERT_CONTAINS(p.steps[0]->conflict, "not created by vpnconf");
}

TEST(foreign_host_interface_is_a_conflict_after_namespace_creation)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {.name = xstrdup("vpnapps"), .netns_state = NETNS_ABSENT,
					      .birthplace_present = true, .disable_ipv6_all = -1,
					      .disable_ipv6_default = -1};
	_cleanup_(plan_done) Plan p = {};

	add_link(&host, d->namespaces[0].host_if, "veth", NULL, 0);
	o.host_link = &host.links[0];
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.steps[0]->kind, STEP_NETNS_CREATE);
	ASSERT_EQ(p.steps[1]->kind, STEP_NFT_REPLACE);
	ASSERT_EQ(p.steps[2]->kind, STEP_HOSTLINK_CREATE);
	ASSERT_CONTAINS(p.steps[2]->conflict, "exists in the host namespace");
}

TEST(policy_drift_is_replaced_with_the_old_table_as_inverse)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	nft_table_free(o.table);
	ASSERT_OK(nft_lockdown_build(&o.table));
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 2);
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_REPLACE);
	/* Connections the old policy allowed meet the new one. */
	ASSERT_EQ(p.steps[1]->kind, STEP_CONNTRACK_FLUSH);
	ASSERT_EQ(nft_table_kind(p.steps[0]->table), NFT_TABLE_POLICY);
	ASSERT_TRUE(p.steps[0]->reasons && p.steps[0]->reasons[0]);
	ASSERT_EQ(nft_table_kind(p.steps[0]->inverse->table), NFT_TABLE_LOCKDOWN);
}

TEST(missing_policy_table_is_never_undone_to_nothing)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.table = nft_table_free(o.table);
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 2);
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_REPLACE);
	ASSERT_EQ(p.steps[0]->inverse->kind, STEP_NFT_REPLACE);
	ASSERT_EQ(nft_table_kind(p.steps[0]->inverse->table), NFT_TABLE_LOCKDOWN);
}

TEST(stale_links_go_before_the_policy_changes)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	_cleanup_free_ char *alias = link_alias("vpnapps", LINK_ROLE_HOSTLINK);
	int del, sysctl, nft;

	observe_converged(d, &d->namespaces[0], &host, &o);
	add_link(&o.links, "vn-old", "veth", alias, LINK_GROUP_VPNCONF);
	add_link(&o.links, "foreign0", "veth", NULL, 0);
	sort_snapshot(&o.links);
	o.disable_ipv6_all = 0;
	o.table = nft_table_free(o.table);
	ASSERT_OK(nft_lockdown_build(&o.table));
	ASSERT_OK(plan_for(d, &o, &p));
	del = index_of(&p, STEP_LINK_DELETE);
	sysctl = index_of(&p, STEP_SYSCTL_SET);
	nft = index_of(&p, STEP_NFT_REPLACE);
	ASSERT_TRUE(del >= 0 && sysctl > del && nft > sysctl);
	ASSERT_STREQ(p.steps[del]->ifname, "vn-old");
	ASSERT_TRUE(p.steps[del]->irreversible);
	ASSERT_EQ(p.steps[nft + 1]->kind, STEP_CONNTRACK_FLUSH);
	/* Foreign interfaces that reach no other namespace are noted, never
	 * touched. */
	ASSERT_EQ(p.n, 4);
	ASSERT_TRUE(p.notes && strstr(p.notes[0], "foreign0"));
}

TEST(unlabelled_link_of_ours_gets_its_alias_back)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	/* A crash between creating the pair and labelling it. */
	link_info_set_alias(&host.links[0], NULL);
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 1);
	ASSERT_EQ(p.steps[0]->kind, STEP_LINK_ALIAS);
	ASSERT_EQ(p.steps[0]->site, SITE_HOST);
}

TEST(host_link_drift_is_repaired_by_recreation)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	const Namespace *ns = &d->namespaces[0];

	observe_converged(d, ns, &host, &o);
	o.host_link = NULL; /* deleted by hand: both ends are gone */
	link_snapshot_done(&o.links);
	add_link(&o.links, "lo", "", NULL, 0);
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 1);
	ASSERT_EQ(p.steps[0]->kind, STEP_HOSTLINK_CREATE);
	ASSERT_STREQ(p.steps[0]->ifname, ns->host_if);
	ASSERT_STREQ(p.steps[0]->peer_ifname, ns->ns_if);
}

TEST(placeholder_is_removed_before_creation)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(observed_done) Observed o = {.name = xstrdup("vpnapps"),
					      .netns_state = NETNS_PLACEHOLDER,
					      .birthplace_present = true, .disable_ipv6_all = -1,
					      .disable_ipv6_default = -1};
	_cleanup_(plan_done) Plan p = {};

	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.steps[0]->kind, STEP_PLACEHOLDER_REMOVE);
	ASSERT_EQ(p.steps[1]->kind, STEP_NETNS_CREATE);
}

TEST(peer_change_configures_without_replacing_the_peer)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.wg->peers[0].persistent_keepalive = 7;
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 1);
	ASSERT_EQ(p.steps[0]->kind, STEP_TUNNEL_CONFIGURE);
	ASSERT_FALSE(p.steps[0]->wg_change->change & WG_DEVICE_CHANGE_REPLACE_PEERS);
	ASSERT_EQ(p.steps[0]->wg_change->n_peers, 1);
	ASSERT_FALSE(p.steps[0]->wg_change->peers[0].change & WG_PEER_CHANGE_REMOVE);
	ASSERT_TRUE(p.steps[0]->inverse && p.steps[0]->inverse->wg_change);
}

TEST(deleted_tunnel_is_recreated_configured_and_routed)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	const Namespace *ns = &d->namespaces[0];
	LinkSnapshot kept = {};

	observe_converged(d, ns, &host, &o);
	FOREACH_ARRAY(l, o.links.links, o.links.n)
	if (!streq(l->name, ns->wg.ifname)) {
		LinkInfo *k = ARRAY_APPEND(kept.links, kept.n);
		*k = *l;
		l->alias = NULL;
		l->addrs = NULL;
	}
	link_snapshot_done(&o.links);
	o.links = kept;
	o.wg = wg_device_free(o.wg);
	o.n_routes = 0; /* the kernel removed them with the link */
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.steps[0]->kind, STEP_TUNNEL_CREATE);
	ASSERT_TRUE(index_of(&p, STEP_TUNNEL_CONFIGURE) > 0);
	ASSERT_TRUE(index_of(&p, STEP_ROUTE_ADD) > index_of(&p, STEP_LINK_UP));
}

TEST(teardown_in_use_deletes_interfaces_first)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	int links, host_end, pin, netns;

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.in_use = NETNS_USE_SOME;
	ASSERT_OK(plan_teardown(d->runtime_dir, &o, &p));
	links = index_of(&p, STEP_LINKS_DELETE);
	host_end = index_at(&p, STEP_LINK_DELETE, SITE_HOST);
	pin = index_at(&p, STEP_NFT_DELETE, SITE_BIRTHPLACE);
	netns = index_of(&p, STEP_NETNS_DELETE);
	/* Lockdown first: loopback only for whatever runs inside, foreign
	 * tunnels included; then vpnconf's interfaces, all in one step. */
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_REPLACE);
	ASSERT_EQ(nft_table_kind(p.steps[0]->table), NFT_TABLE_LOCKDOWN);
	ASSERT_EQ(links, 1);
	ASSERT_EQ(strv_length(p.steps[links]->ifnames), 2); /* the veth's end, the tunnel */
	ASSERT_EQ(host_end, 2);
	ASSERT_TRUE(pin > host_end && netns > pin);
	/* The policy table is never removed on its own. */
	for (size_t i = 0; i < p.n; i++)
		ASSERT_FALSE(p.steps[i]->kind == STEP_NFT_DELETE && p.steps[i]->site == SITE_NAMESPACE);
	ASSERT_EQ(index_of(&p, STEP_LINK_DOWN), -1);
}

/* Nobody inside: down only unmounted, and the kernel reaped the links
 * later; the host end of the veth was still there when down returned,
 * and an immediate reconcile tripped over it. */
TEST(teardown_unused_deletes_its_links_before_returning)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	int links;

	observe_converged(d, &d->namespaces[0], &host, &o);
	ASSERT_OK(plan_teardown(d->runtime_dir, &o, &p));
	/* Nothing to lock down: provably nobody inside. */
	ASSERT_EQ(index_of(&p, STEP_NFT_REPLACE), -1);
	links = index_of(&p, STEP_LINKS_DELETE);
	ASSERT_EQ(links, 0);
	ASSERT_EQ(strv_length(p.steps[links]->ifnames), 1);
	ASSERT_EQ(index_at(&p, STEP_LINK_DELETE, SITE_HOST), 1);
	ASSERT_TRUE(index_of(&p, STEP_NETNS_DELETE) > 1);
	/* The ownership marker, then the host-side table, last. */
	ASSERT_EQ(p.steps[p.n - 2]->kind, STEP_FILE_REMOVE);
	ASSERT_EQ(p.steps[p.n - 1]->kind, STEP_NFT_DELETE);
	ASSERT_EQ(p.steps[p.n - 1]->site, SITE_HOST);
}

TEST(teardown_of_a_foreign_namespace_does_nothing)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.owned = false;
	o.marker = (free(o.marker), NULL);
	ASSERT_OK(plan_teardown(d->runtime_dir, &o, &p));
	ASSERT_EQ(p.n, 0);
	ASSERT_TRUE(p.notes && strstr(p.notes[0], "left untouched"));
}

/* vpnconf's namespace was removed behind its back and someone else took
 * the name: the other namespace stays as it is, vpnconf forgets its own
 * files (marker included) and nothing else. */
TEST(teardown_of_a_namespace_taken_over_removes_only_vpnconfs_files)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.owned = false;
	o.in_use = NETNS_USE_SOME;
	o.not_owned_why = xstrdup("its ownership marker names another namespace");
	ASSERT_OK(plan_teardown(d->runtime_dir, &o, &p));
	ASSERT_TRUE(p.n >= 1);
	for (size_t i = 0; i < p.n; i++)
		ASSERT_EQ(p.steps[i]->kind, STEP_FILE_REMOVE);
	ASSERT_CONTAINS(p.steps[p.n - 1]->path, "netns-id");
	ASSERT_CONTAINS(p.notes[0], "names another namespace");
}

/* A table named vpnconf-pin-<ns> without vpnconf's marker was deleted on
 * teardown, wherever a tunnel's label said it was. */
TEST(unmarked_pinning_table_is_never_deleted_or_replaced)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p1 = {}, p2 = {};
	Namespace *ns = &d->namespaces[0];
	_cleanup_free_ char *name = nft_pin_table_name(ns->name);

	observe_converged(d, ns, &host, &o);
	/* A foreign table of that name: what nft(8) makes without comment. */
	o.pin_table = (nft_table_free(o.pin_table), nft_table_new(name, NFT_TABLE_FOREIGN));
	o.in_use = NETNS_USE_NONE;
	ASSERT_OK(plan_teardown(d->runtime_dir, &o, &p1));
	ASSERT_EQ(index_at(&p1, STEP_NFT_DELETE, SITE_BIRTHPLACE), -1);
	ASSERT_EQ(index_at(&p1, STEP_NFT_DELETE, SITE_OTHER), -1);
	ASSERT_TRUE(strv_length(p1.notes) == 1);
	ASSERT_CONTAINS(p1.notes[0], "pinning marker");

	/* Desired with pinning: a conflict, not a replacement. */
	ns->wg.pinning_enable = true;
	ASSERT_OK(plan_for(d, &o, &p2));
	ASSERT_EQ(index_of(&p2, STEP_NFT_DELETE), -1);
	for (size_t i = 0; i < p2.n; i++)
		if (p2.steps[i]->site == SITE_BIRTHPLACE && p2.steps[i]->kind == STEP_NFT_REPLACE)
			ASSERT_TRUE(p2.steps[i]->conflict != NULL);
}

/* When vpnconf could not tell whether processes were inside, it only set
 * its links down and left the veth pair behind. */
TEST(teardown_with_uninspectable_processes_locks_down_and_deletes_links)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.in_use = NETNS_USE_UNKNOWN;
	ASSERT_OK(plan_teardown(d->runtime_dir, &o, &p));
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_REPLACE);
	ASSERT_EQ(nft_table_kind(p.steps[0]->table), NFT_TABLE_LOCKDOWN);
	ASSERT_EQ(p.steps[1]->kind, STEP_LINKS_DELETE);
	ASSERT_EQ(p.steps[2]->kind, STEP_LINK_DELETE);
	ASSERT_EQ(p.steps[2]->site, SITE_HOST);
	ASSERT_EQ(index_of(&p, STEP_LINK_DOWN), -1);
	ASSERT_TRUE(index_of(&p, STEP_NETNS_DELETE) > 2);
}

TEST(tunnel_born_elsewhere_is_recreated_in_its_socket_namespace)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	const Namespace *ns = &d->namespaces[0];
	LinkInfo *t;

	observe_converged(d, ns, &host, &o);
	t = (LinkInfo *)link_snapshot_find(&o.links, ns->wg.ifname);
	_cleanup_free_ char *was = link_alias_tunnel(ns->name, "uplink"); /* socketNamespace was "uplink" */
	link_info_set_alias(t, was);
	o.stale_pin_birthplace = xstrdup("uplink");
	ASSERT_OK(plan_for(d, &o, &p));
	/* The old tunnel goes first, then the pinning it leaves behind. */
	ASSERT_EQ(p.steps[0]->kind, STEP_LINK_DELETE);
	ASSERT_TRUE(p.steps[0]->irreversible);
	ASSERT_EQ(p.steps[1]->kind, STEP_NFT_DELETE);
	ASSERT_EQ(p.steps[1]->site, SITE_OTHER);
	ASSERT_STREQ(p.steps[1]->netns_name, "uplink");
	ASSERT_EQ(p.steps[2]->kind, STEP_TUNNEL_CREATE);
	ASSERT_CONTAINS(p.steps[2]->alias, "@init");
}

/* The inverse rule (docs/reconcile.md): a rollback of the policy puts back
 * the table vpnconf built and verified, or locks down; never the table
 * read from the kernel. */

static int plan_with_verified(const Desired *d, const Observed *o, NftTable *verified, Plan *p)
{
	PlanInput in = {.desired = d, .ns = &d->namespaces[0], .verified_policy = verified};

	return plan_namespace(&in, o, p);
}

/* A table that looks like vpnconf's policy but is not what vpnconf built:
 * root inside added a destination (as an inserted accept rule would). */
static NftTable *tampered_policy(void)
{
	_cleanup_(desired_freep) Desired *t =
		accept_doc(DOC(.external = true, .ns = "'publishToHost': {'tcp': [8080]}, "
						       "'egress': {'mode': 'allowList', "
						       "'allowedCidrs': ['203.0.113.0/24']}"));
	NftTable *table = NULL;

	ASSERT_OK(nft_policy_build(&t->namespaces[0], &table));
	return table;
}

TEST(inverse_rule_tampered_policy_is_never_restored)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(nft_table_freep) NftTable *verified = NULL;
	_cleanup_(plan_done) Plan p = {};
	_cleanup_strv_free_ char **diffs = NULL;

	observe_converged(d, &d->namespaces[0], &host, &o);
	nft_table_free(o.table);
	o.table = tampered_policy();
	/* The drift case: verified for this very desired state. */
	ASSERT_OK(nft_policy_build(&d->namespaces[0], &verified));
	ASSERT_OK(plan_with_verified(d, &o, verified, &p));
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_REPLACE);
	ASSERT_TRUE(p.steps[0]->inverse->table != o.table);
	ASSERT_EQ(nft_table_kind(p.steps[0]->inverse->table), NFT_TABLE_LOCKDOWN);
	ASSERT_TRUE(nft_table_diff(p.steps[0]->inverse->table, o.table, &diffs) > 0);
	plan_done(&p);

	/* Nothing verified on record: lockdown too. */
	ASSERT_OK(plan_with_verified(d, &o, NULL, &p));
	ASSERT_EQ(nft_table_kind(p.steps[0]->inverse->table), NFT_TABLE_LOCKDOWN);
}

TEST(inverse_rule_restores_the_verified_table_vpnconf_built)
{
	/* A change: the kernel holds what vpnconf built and verified for the
	 * previous desired state; the desired state now publishes a port. */
	_cleanup_(desired_freep) Desired *old = accept_doc(DOC(.external = true));
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(nft_table_freep) NftTable *verified = NULL;
	_cleanup_(plan_done) Plan p = {};
	_cleanup_strv_free_ char **diffs = NULL;

	observe_converged(d, &d->namespaces[0], &host, &o);
	nft_table_free(o.table);
	ASSERT_OK(nft_policy_build(&old->namespaces[0], &o.table));
	ASSERT_OK(nft_policy_build(&old->namespaces[0], &verified));
	ASSERT_OK(plan_with_verified(d, &o, verified, &p));
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_REPLACE);
	/* vpnconf's own copy, equal to what the kernel holds. */
	ASSERT_TRUE(p.steps[0]->inverse->table == verified);
	ASSERT_TRUE(p.steps[0]->inverse->table != o.table);
	ASSERT_EQ(nft_table_diff(p.steps[0]->inverse->table, o.table, &diffs), 0);
}

TEST(inverse_rule_is_pure_and_never_returns_the_observed_table)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(nft_table_freep) NftTable *have = NULL, *verified = NULL, *tampered = NULL;
	NftTable *t = NULL;

	ASSERT_OK(nft_policy_build(&d->namespaces[0], &have));
	ASSERT_OK(nft_policy_build(&d->namespaces[0], &verified));
	tampered = tampered_policy();

	ASSERT_OK(plan_policy_inverse(have, verified, &t));
	ASSERT_TRUE(t == verified && t != have);
	nft_table_free(t);
	ASSERT_OK(plan_policy_inverse(tampered, verified, &t));
	ASSERT_EQ(nft_table_kind(t), NFT_TABLE_LOCKDOWN);
	nft_table_free(t);
	ASSERT_OK(plan_policy_inverse(have, NULL, &t));
	ASSERT_EQ(nft_table_kind(t), NFT_TABLE_LOCKDOWN);
	nft_table_free(t);
	ASSERT_OK(plan_policy_inverse(NULL, verified, &t));
	ASSERT_EQ(nft_table_kind(t), NFT_TABLE_LOCKDOWN);
	nft_table_free(t);
}

TEST(foreign_tables_are_deleted_after_the_policy_is_repaired)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	nft_table_free(o.table);
	o.table = tampered_policy();
	strv_push(&o.foreign_tables, "inet owned");
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 3);
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_REPLACE);
	ASSERT_EQ(p.steps[1]->kind, STEP_CONNTRACK_FLUSH);
	ASSERT_EQ(p.steps[2]->kind, STEP_NFT_DELETE);
	ASSERT_STREQ(p.steps[2]->table_name, "owned");
	ASSERT_TRUE(p.steps[2]->irreversible);
}

/* Namespace "zchain" has its tunnel's UDP socket in "vpnapps": its pinning
 * table lives in vpnapps, which used to delete it as foreign (and zchain
 * put it back: drift on both, forever). */
static Desired *chained_desired(void)
{
	return accept_doc(squote(
		"{'version': 1, 'namespaces': {"
		"'vpnapps': {'wireguard': {'managed': false, 'interface': 'wg0'}, "
		"'dns': {'servers': ['10.64.0.1']}, 'hostLink': {'enable': true}}, "
		"'zchain': {'wireguard': {'interface': 'wg1', 'socketNamespace': 'vpnapps', "
		"'endpointPinning': {'enable': true}, 'privateKeyFile': '/run/keys/wg.key', "
		"'addresses': ['10.0.0.2/32'], 'peers': [{'publicKey': '" TEST_KEY_A "', "
		"'endpoint': '198.51.100.10:51820', 'allowedIPs': ['0.0.0.0/0']}]}, "
		"'dns': {'servers': ['10.64.0.1']}}}, 'units': {}}"));
}

TEST(pinning_table_of_a_namespace_born_here_is_not_foreign)
{
	_cleanup_(desired_freep) Desired *d = chained_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	ASSERT_STREQ(d->namespaces[0].name, "vpnapps");
	observe_converged(d, &d->namespaces[0], &host, &o);
	strv_push(&o.foreign_tables, "inet vpnconf-pin-zchain");
	/* Not a namespace born here, nor desired: foreign. */
	strv_push(&o.foreign_tables, "inet vpnconf-pin-other");
	strv_push(&o.foreign_tables, "ip vpnconf-pin-zchain");
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 2);
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_DELETE);
	ASSERT_STREQ(p.steps[0]->table_name, "vpnconf-pin-other");
	ASSERT_EQ(p.steps[1]->kind, STEP_NFT_DELETE);
	ASSERT_STREQ(p.steps[1]->key, "ip");
}

/* The pinning table lives in the socket namespace, which may be another
 * confinement namespace whose root can edit it: a rollback puts back
 * vpnconf's verified copy, or nothing, never the observed table. */
TEST(inverse_rule_tampered_pinning_table_is_never_restored)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(desired_freep) Desired *old =
		accept_doc(DOC(.ns = "'publishToHost': {'tcp': [8080]}",
			       .wg = "'endpointPinning': {'enable': true}",
			       .peers = "[{'publicKey': '" TEST_KEY_A "', "
					"'endpoint': '198.51.100.11:51820', 'allowedIPs': ['0.0.0.0/0']}]"));
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(nft_table_freep) NftTable *verified = NULL;
	_cleanup_(wg_device_freep) WgDevice *want = NULL;
	_cleanup_(plan_done) Plan p = {};
	int pin;

	observe_converged(d, &d->namespaces[0], &host, &o);
	want = wg_device_like(&d->namespaces[0]);
	/* The kernel holds the pinning of the previous endpoint. */
	nft_table_free(o.pin_table);
	ASSERT_OK(nft_pin_build(&old->namespaces[0], &o.pin_table));
	PlanInput in = {.desired = d, .ns = &d->namespaces[0], .want_wg = want};

	/* Verified: vpnconf's own copy comes back. */
	ASSERT_OK(nft_pin_build(&old->namespaces[0], &verified));
	in.verified_pin = verified;
	ASSERT_OK(plan_namespace(&in, &o, &p));
	pin = index_of(&p, STEP_NFT_REPLACE);
	ASSERT_TRUE(pin >= 0);
	ASSERT_EQ(p.steps[pin]->site, SITE_BIRTHPLACE);
	ASSERT_TRUE(p.steps[pin]->inverse && p.steps[pin]->inverse->table == verified);
	plan_done(&p);

	/* Nobody vouches for what the kernel holds: it is not put back. */
	in.verified_pin = NULL;
	ASSERT_OK(plan_namespace(&in, &o, &p));
	pin = index_of(&p, STEP_NFT_REPLACE);
	ASSERT_TRUE(pin >= 0);
	ASSERT_TRUE(p.steps[pin]->inverse == NULL);
	plan_done(&p);

	/* Absent before: the inverse deletes it. */
	o.pin_table = nft_table_free(o.pin_table);
	ASSERT_OK(plan_namespace(&in, &o, &p));
	pin = index_of(&p, STEP_NFT_REPLACE);
	ASSERT_EQ(p.steps[pin]->inverse->kind, STEP_NFT_DELETE);
}

/* Raw frames from inside pass no hook of the namespace: the host-side
 * table must filter the host end before it exists, and a rollback must
 * never leave the host end without it. */
TEST(host_side_table_exists_before_the_host_link)
{
	_cleanup_(desired_freep) Desired *d = managed_desired();
	_cleanup_(observed_done) Observed o = {.name = xstrdup("vpnapps"), .netns_state = NETNS_ABSENT,
					      .birthplace_present = true, .disable_ipv6_all = -1,
					      .disable_ipv6_default = -1};
	_cleanup_(plan_done) Plan p = {};
	int table, link;

	ASSERT_OK(plan_for(d, &o, &p));
	table = index_at(&p, STEP_NFT_REPLACE, SITE_HOST);
	link = index_of(&p, STEP_HOSTLINK_CREATE);
	ASSERT_TRUE(table > 0 && link > table);
	ASSERT_EQ(nft_table_kind(p.steps[table]->table), NFT_TABLE_HOST);
	ASSERT_STREQ(nft_table_name(p.steps[table]->table), "vpnconf-host-vpnapps");
	/* Undone by a deletion refused while the host end exists. */
	ASSERT_EQ(p.steps[table]->inverse->kind, STEP_NFT_DELETE);
	ASSERT_EQ(p.steps[table]->inverse->site, SITE_HOST);
	ASSERT_STREQ(p.steps[table]->inverse->ifname, d->namespaces[0].host_if);
}

TEST(host_side_table_drift_is_repaired)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	const Namespace *ns = &d->namespaces[0];

	observe_converged(d, ns, &host, &o);
	o.host_table = nft_table_free(o.host_table);
	ASSERT_OK(nft_host_sealed_build(ns, &o.host_table));
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 1);
	ASSERT_EQ(p.steps[0]->kind, STEP_NFT_REPLACE);
	ASSERT_EQ(p.steps[0]->site, SITE_HOST);
	ASSERT_TRUE(p.steps[0]->reasons && p.steps[0]->reasons[0]);
	/* Nobody vouches for what the kernel holds: the sealed table. */
	ASSERT_TRUE(p.steps[0]->inverse->table != o.host_table);
	ASSERT_EQ(nft_table_kind(p.steps[0]->inverse->table), NFT_TABLE_HOST);
}

/* The inverse rule for the host-side table: vpnconf's verified copy when
 * the kernel holds exactly that, else the sealed table; never the table
 * read from the kernel (a rule accepting everything from the link, say). */
TEST(inverse_rule_host_side_table)
{
	_cleanup_(desired_freep) Desired *old = accept_doc(DOC(.external = true, .ns = "'hostLink': {'enable': true}"));
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(nft_table_freep) NftTable *verified = NULL;
	_cleanup_(plan_done) Plan p = {};
	PlanInput in = {.desired = d, .ns = &d->namespaces[0]};
	NftChain *c;
	int i;

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.host_table = nft_table_free(o.host_table);
	ASSERT_OK(nft_host_build(&old->namespaces[0], &o.host_table));
	ASSERT_OK(nft_host_build(&old->namespaces[0], &verified));
	in.verified_host = verified;
	ASSERT_OK(plan_namespace(&in, &o, &p));
	i = index_at(&p, STEP_NFT_REPLACE, SITE_HOST);
	ASSERT_TRUE(i >= 0);
	ASSERT_TRUE(p.steps[i]->inverse->table == verified);
	plan_done(&p);

	/* Tampered: an accept rule at the top of prerouting. */
	c = nft_table_find_chain(o.host_table, "prerouting");
	nft_rule_verdict(nft_chain_add_rule(c), NF_ACCEPT);
	ASSERT_OK(plan_namespace(&in, &o, &p));
	i = index_at(&p, STEP_NFT_REPLACE, SITE_HOST);
	ASSERT_TRUE(p.steps[i]->inverse->table != o.host_table);
	ASSERT_TRUE(p.steps[i]->inverse->table != verified);
	ASSERT_EQ(nft_table_kind(p.steps[i]->inverse->table), NFT_TABLE_HOST);
}

TEST(host_side_table_missing_is_recreated)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};

	observe_converged(d, &d->namespaces[0], &host, &o);
	o.host_table = nft_table_free(o.host_table);
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.n, 1);
	ASSERT_EQ(p.steps[0]->site, SITE_HOST);
	ASSERT_CONTAINS(p.steps[0]->reasons[0], "host-side table absent");
	ASSERT_EQ(p.steps[0]->inverse->kind, STEP_NFT_DELETE);
	ASSERT_TRUE(p.steps[0]->inverse->ifname);
}

TEST(foreign_host_side_table_blocks_the_host_link)
{
	_cleanup_(desired_freep) Desired *d = external_desired();
	_cleanup_(observed_done) Observed o = {.name = xstrdup("vpnapps"), .netns_state = NETNS_ABSENT,
					      .birthplace_present = true, .disable_ipv6_all = -1,
					      .disable_ipv6_default = -1};
	_cleanup_(plan_done) Plan p = {};

	o.host_table = nft_table_new("vpnconf-host-vpnapps", NFT_TABLE_FOREIGN);
	ASSERT_OK(plan_for(d, &o, &p));
	ASSERT_EQ(p.steps[1]->kind, STEP_NFT_REPLACE);
	ASSERT_CONTAINS(p.steps[1]->conflict, "was not created by vpnconf");
	ASSERT_EQ(index_of(&p, STEP_HOSTLINK_CREATE), -1);
}

TEST(host_link_turned_off_removes_the_host_side_table_after_the_link)
{
	_cleanup_(desired_freep) Desired *on = external_desired();
	_cleanup_(desired_freep) Desired *off = accept_doc(DOC(.external = true));
	_cleanup_(link_snapshot_done) LinkSnapshot host = {};
	_cleanup_(observed_done) Observed o = {};
	_cleanup_(plan_done) Plan p = {};
	int ns_end, host_end, table;

	observe_converged(on, &on->namespaces[0], &host, &o);
	ASSERT_OK(plan_for(off, &o, &p));
	ns_end = index_at(&p, STEP_LINK_DELETE, SITE_NAMESPACE);
	host_end = index_at(&p, STEP_LINK_DELETE, SITE_HOST);
	table = index_at(&p, STEP_NFT_DELETE, SITE_HOST);
	ASSERT_TRUE(ns_end >= 0 && host_end > ns_end && table > host_end);
	ASSERT_EQ(p.steps[table]->inverse->kind, STEP_NFT_REPLACE);
}
