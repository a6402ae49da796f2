/* SPDX-License-Identifier: MIT */
/*
 * The managed tunnel's part of plan_namespace() (step 5b of plan.h): the
 * WireGuard device (created from its socket namespace directly inside the
 * confinement namespace, or re-created when that namespace changed), its
 * configuration as a wg_diff() change set, addresses, state, the allowed
 * IPs as routes, and the handshake liveness check. Pure, like the rest of
 * planning.
 */
#include <inttypes.h>
#include <stdio.h>

#include "health.h"
#include "nft.h"
#include "plan-internal.h"
#include "wg.h"

static void want_routes(const Namespace *ns, IpPrefix **ret, size_t *ret_n)
{
	IpPrefix *routes = NULL;
	size_t n = 0;

	if (ns->wg.managed && ns->wg.allowed_ips_as_routes)
		FOREACH_ARRAY(peer, ns->wg.peers, ns->wg.n_peers)
	FOREACH_ARRAY(a, peer->allowed_ips, peer->n_allowed_ips)
	if (!prefix_in(a, routes, n))
		*ARRAY_APPEND(routes, n) = *a;
	*ret = routes;
	*ret_n = n;
}

static Step *route_step(const Planner *p, StepKind kind, const IpPrefix *dst, const char *ifname,
			int oif)
{
	char buf[IPPREFIX_STRLEN];
	Step *s = step_new(kind, SITE_NAMESPACE, p->ns->name, kind == STEP_ROUTE_ADD ? "add" : "delete",
			   "route %s", prefix_str(dst, buf));

	s->prefix = *dst;
	s->ifname = ifname ? xstrdup(ifname) : NULL;
	s->oif = oif;
	return s;
}

static void plan_routes(Planner *p, const LinkInfo *tunnel)
{
	const Namespace *ns = p->ns;
	_cleanup_free_ IpPrefix *want = NULL;
	char buf[IPPREFIX_STRLEN];
	size_t n_want;
	Step *s;

	want_routes(ns, &want, &n_want);
	if (!p->fresh)
		FOREACH_ARRAY(r, p->have->routes, p->have->n_routes)
		{
			if (tunnel && r->oif == tunnel->ifindex && prefix_in(&r->dst, want, n_want))
				continue;
			s = route_step(p, STEP_ROUTE_DEL, &r->dst, NULL, r->oif);
			strv_pushf(&s->reasons, "unexpected route %s", prefix_str(&r->dst, buf));
			if (tunnel && r->oif == tunnel->ifindex)
				s->inverse = route_step(p, STEP_ROUTE_ADD, &r->dst, tunnel->name, 0);
			planner_add(p, s);
		}
	FOREACH_ARRAY(a, want, n_want)
	{
		bool found = false;

		if (tunnel && !p->fresh)
			FOREACH_ARRAY(r, p->have->routes, p->have->n_routes)
		if (r->oif == tunnel->ifindex && r->dst.prefixlen == a->prefixlen &&
		    ipaddr_equal(&r->dst.addr, &a->addr))
			found = true;
		if (found)
			continue;
		s = route_step(p, STEP_ROUTE_ADD, a, ns->wg.ifname, 0);
		strv_pushf(&s->reasons, "route %s via %s missing", prefix_str(a, buf), ns->wg.ifname);
		s->after = xasprintf("dev %s proto vpnconf", ns->wg.ifname);
		s->inverse = route_step(p, STEP_ROUTE_DEL, a, ns->wg.ifname, 0);
		planner_add(p, s);
	}
}

static int tunnel_configure_step(Planner *p, const WgDevice *have, Step **ret)
{
	_cleanup_strv_free_ char **diffs = NULL;
	WgDevice *change = NULL, *undo = NULL;
	Step *s;
	int r;

	r = wg_diff(p->in->want_wg, have, &diffs, &change);
	if (r < 0)
		return r;
	*ret = NULL;
	if (!change)
		return 0;
	s = step_new(STEP_TUNNEL_CONFIGURE, SITE_NAMESPACE, p->ns->name, "configure",
		     "wireguard %s", p->ns->wg.ifname);
	s->ifname = xstrdup(p->ns->wg.ifname);
	s->wg_change = change;
	s->reasons = TAKE_PTR(diffs);
	s->after = xasprintf("%zu peer(s)", p->in->want_wg->n_peers);
	if (have) {
		_cleanup_strv_free_ char **ignored = NULL;

		s->before = xasprintf("%zu peer(s)", have->n_peers);
		r = wg_diff(have, p->in->want_wg, &ignored, &undo);
		if (r < 0) {
			step_free(s);
			return r;
		}
		if (undo) {
			s->inverse = step_new(STEP_TUNNEL_CONFIGURE, SITE_NAMESPACE, p->ns->name,
					      "configure", "wireguard %s", p->ns->wg.ifname);
			s->inverse->ifname = xstrdup(p->ns->wg.ifname);
			s->inverse->wg_change = undo;
		}
	}
	*ret = s;
	return 0;
}

/* Health judged from want_wg alone, when the caller did not judge it:
 * each peer's list is its one wanted endpoint, and no journal time. */
static PeerHealth *health_from_want(const Planner *p, uint64_t timeout)
{
	const Namespace *ns = p->ns;
	PeerHealth *health = xcalloc(ns->wg.n_peers ?: 1, sizeof(PeerHealth));
	WgSockaddr **lists = xcalloc(ns->wg.n_peers ?: 1, sizeof(WgSockaddr *));
	WgSockaddr *want = xcalloc(ns->wg.n_peers ?: 1, sizeof(WgSockaddr));

	for (size_t i = 0; i < ns->wg.n_peers; i++) {
		lists[i] = xcalloc(peer_endpoint_count(&ns->wg.peers[i]) + 1, sizeof(WgSockaddr));
		FOREACH_ARRAY(w, p->in->want_wg->peers, p->in->want_wg->n_peers)
		if (memcmp(w->public_key, ns->wg.peers[i].public_key, WG_KEY_LEN) == 0)
			lists[i][0] = w->endpoint;
	}
	health_evaluate_tunnel(ns, lists, p->have->wg, p->in->now_usec, timeout, 0, health, want);
	for (size_t i = 0; i < ns->wg.n_peers; i++)
		free(lists[i]);
	free(lists);
	free(want);
	return health;
}

static void health_reason(const Planner *p, const Peer *peer, const PeerHealth *h, Step *s)
{
	_cleanup_free_ char *key = base64_encode(peer->public_key, WG_KEY_LEN);
	uint32_t t = p->in->desired->handshake_timeout_seconds;
	char a[WG_ENDPOINT_STRLEN], b[WG_ENDPOINT_STRLEN];
	uint64_t now = p->in->now_usec;

	if (h->action == HEALTH_ACTION_SWITCH)
		strv_pushf(&s->reasons,
			   "peer %.8s…: no handshake within drift.handshakeTimeoutSeconds (%" PRIu32
			   ") on endpoint %d/%zu (%s); trying endpoint %d/%zu (%s)",
			   key, t, h->current + 1, h->n_endpoints,
			   wg_endpoint_to_string(&h->current_endpoint, a), h->target + 1,
			   h->n_endpoints, wg_endpoint_to_string(&h->target_endpoint, b));
	else if (h->latest_handshake_usec && now > h->latest_handshake_usec)
		strv_pushf(&s->reasons, "peer %.8s…: latest handshake %" PRIu64
			   "s ago, more than drift.handshakeTimeoutSeconds (%" PRIu32 ")",
			   key, (now - h->latest_handshake_usec) / 1000000, t);
	else
		strv_pushf(&s->reasons, "peer %.8s…: no handshake within "
			   "drift.handshakeTimeoutSeconds (%" PRIu32 ") of its configuration", key, t);
}

/* drift.handshakeTimeoutSeconds: a peer whose latest handshake is older
 * than that is stale (its server moved, or the path broke). health.h
 * decides what to do: set its endpoint again, which makes WireGuard start
 * a new handshake with the next packet (and a re-resolved hostname take
 * effect), or move it to the next endpoint of its list. Either is one
 * "refresh" step that only sets endpoints (UPDATE_ONLY: a peer removed
 * meanwhile is not re-created). */
static void plan_handshakes(Planner *p)
{
	const Namespace *ns = p->ns;
	uint64_t timeout = (uint64_t)p->in->desired->handshake_timeout_seconds * 1000000;
	_cleanup_free_ PeerHealth *local = NULL;
	const PeerHealth *health = p->in->health;
	WgDevice *change = NULL;
	Step *s = NULL;

	if (!timeout || !p->in->now_usec || !p->have->wg)
		return;
	if (!health)
		health = local = health_from_want(p, timeout);
	for (size_t i = 0; i < ns->wg.n_peers; i++) {
		const PeerHealth *h = &health[i];
		WgPeer *c;

		if (h->action == HEALTH_ACTION_NONE || h->target_endpoint.sa.sa_family == AF_UNSPEC)
			continue;
		if (!change) {
			change = xcalloc(1, sizeof(*change));
			snprintf(change->ifname, sizeof(change->ifname), "%s", ns->wg.ifname);
			s = step_new(STEP_TUNNEL_CONFIGURE, SITE_NAMESPACE, ns->name, "refresh",
				     "wireguard %s", ns->wg.ifname);
			s->ifname = xstrdup(ns->wg.ifname);
			s->wg_change = change;
		}
		c = wg_device_add_peer(change);
		memcpy(c->public_key, ns->wg.peers[i].public_key, WG_KEY_LEN);
		c->endpoint = h->target_endpoint;
		c->change = WG_PEER_CHANGE_ENDPOINT | WG_PEER_CHANGE_UPDATE_ONLY;
		health_reason(p, &ns->wg.peers[i], h, s);
	}
	if (s)
		planner_add(p, s);
}

static int plan_tunnel_create(Planner *p)
{
	const Namespace *ns = p->ns;
	Step *s;
	int r;

	s = step_new(STEP_TUNNEL_CREATE, SITE_BIRTHPLACE, ns->name, "create", "link %s",
		     ns->wg.ifname);
	s->ifname = xstrdup(ns->wg.ifname);
	s->alias = link_alias_tunnel(ns->name, ns->wg.socket_namespace);
	s->mtu = ns->wg.mtu;
	s->after = xasprintf("wireguard, UDP socket in %s", ns->wg.socket_namespace ?: "init");
	strv_push(&s->reasons, "tunnel absent");
	s->inverse = step_link_delete(ns->name, SITE_NAMESPACE, ns->wg.ifname, NULL);
	planner_add(p, s);

	r = tunnel_configure_step(p, NULL, &s);
	if (r < 0)
		return r;
	if (s)
		planner_add(p, s);
	FOREACH_ARRAY(a, ns->wg.addresses, ns->wg.n_addresses)
	{
		s = addr_step(p, STEP_ADDR_ADD, SITE_NAMESPACE, ns->wg.ifname, a);
		planner_add(p, s);
	}
	s = link_state_step(p, STEP_LINK_UP, SITE_NAMESPACE, ns->wg.ifname);
	planner_add(p, s);
	plan_routes(p, NULL);
	return 0;
}

/* The pinning table a re-created tunnel leaves in its former socket
 * namespace. */
static void plan_stale_pinning(Planner *p)
{
	const char *was = p->have->stale_pin_birthplace;
	_cleanup_free_ char *name = NULL;
	Step *s;

	if (!was)
		return;
	name = nft_pin_table_name(p->ns->name);
	s = step_new(STEP_NFT_DELETE, SITE_OTHER, p->ns->name, "delete", "nft table inet %s in %s",
		     name, was);
	s->table_name = TAKE_PTR(name);
	s->netns_name = xstrdup(was);
	strv_pushf(&s->reasons, "endpoint pinning left in %s, the tunnel's former socket namespace",
		   was);
	planner_add(p, s);
}

int plan_tunnel(Planner *p)
{
	const Namespace *ns = p->ns;
	const LinkInfo *t;
	Step *s;
	int r;

	if (!ns->wg.managed) {
		plan_routes(p, NULL);
		return 0;
	}
	if (!p->in->want_wg->has_private_key && ns->wg.generate_private_key_file)
		strv_pushf(&p->plan->notes, "%s: %s does not exist yet; reconcile generates it",
			   ns->name, ns->wg.private_key_file);
	if (!p->have->birthplace_present) {
		s = step_new(STEP_TUNNEL_CREATE, SITE_BIRTHPLACE, ns->name, "create", "link %s",
			     ns->wg.ifname);
		planner_conflict(p, s, "socket namespace %s does not exist", ns->wg.socket_namespace);
		return 0;
	}

	t = p->fresh ? NULL : link_snapshot_find(&p->have->links, ns->wg.ifname);
	/* A foreign link of that name that leads out is deleted in step 2. */
	if (t && !link_is_ours(t, ns->name, NULL) && plan_link_leads_out(ns, t))
		t = NULL;
	if (!t)
		return plan_tunnel_create(p);
	if (!link_is_ours(t, ns->name, LINK_ROLE_TUNNEL) || !streq(t->kind, "wireguard")) {
		s = step_new(STEP_TUNNEL_CREATE, SITE_BIRTHPLACE, ns->name, "create", "link %s",
			     ns->wg.ifname);
		planner_conflict(p, s,
			 "interface %s in namespace %s was not created by vpnconf; refusing to "
			 "touch it",
			 ns->wg.ifname, ns->name);
		return 0;
	}

	/* The kernel keeps a tunnel's UDP socket where the device was born:
	 * another socket namespace takes a new device. A tunnel without its
	 * label (its creator stopped right after creating it) was created for
	 * the socket namespace desired then, taken to be the current one. */
	const char *have_bp = link_alias_birthplace(t), *want_bp = ns->wg.socket_namespace ?: "init";
	if (have_bp && !streq(have_bp, want_bp)) {
		_cleanup_free_ char *why = xasprintf("UDP socket of %s lives in %s, wanted in %s",
						     t->name, have_bp, want_bp);
		s = step_link_delete(ns->name, SITE_NAMESPACE, t->name, why);
		s->irreversible = true;
		planner_add(p, s);
		/* Its pinning goes once it is gone, never before. */
		plan_stale_pinning(p);
		return plan_tunnel_create(p);
	}
	plan_link_alias(p, SITE_NAMESPACE, t, link_alias_tunnel(ns->name, ns->wg.socket_namespace));
	r = tunnel_configure_step(p, p->have->wg, &s);
	if (r < 0)
		return r;
	if (s)
		planner_add(p, s);
	if (ns->wg.mtu && t->mtu != ns->wg.mtu) {
		s = step_new(STEP_LINK_MTU, SITE_NAMESPACE, ns->name, "set", "mtu of %s", t->name);
		s->ifname = xstrdup(t->name);
		s->mtu = ns->wg.mtu;
		s->before = xasprintf("%u", t->mtu);
		s->after = xasprintf("%u", ns->wg.mtu);
		strv_pushf(&s->reasons, "mtu of %s is %u, want %u", t->name, t->mtu, ns->wg.mtu);
		s->inverse = step_new(STEP_LINK_MTU, SITE_NAMESPACE, ns->name, "set", "mtu of %s",
				      t->name);
		s->inverse->ifname = xstrdup(t->name);
		s->inverse->mtu = t->mtu;
		planner_add(p, s);
	}
	plan_link_addrs(p, SITE_NAMESPACE, t, ns->wg.addresses, ns->wg.n_addresses);
	plan_link_up(p, SITE_NAMESPACE, t);
	plan_routes(p, t);
	plan_handshakes(p);
	return 0;
}
