/* SPDX-License-Identifier: MIT */
/*
 * vpnconf status: for each namespace of the desired state (and each one
 * vpnconf made that is no longer desired): present or not, in sync or
 * drifted and how, the policy, the tunnel (with WireGuard details for
 * managed tunnels), the host link, DNS, confined units and the last
 * transaction. Reads only.
 */
#include <arpa/inet.h>

#include "health.h"
#include "log.h"
#include "metrics.h"
#include "nft.h"
#include "pf-lease.h"
#include "reconcile.h"
#include "vpnconf.h"
#include "wg.h"

typedef struct NsStatus {
	const char *name;
	const Namespace *ns; /* NULL: no longer desired */
	Observed have;
	Plan plan;
	char *error;
	TxnRecord last;
	bool has_last;
	Namespace eff; /* *ns with the current NAT-PMP lease (pf-lease.h) */
	bool has_lease; /* forwarded-lease read (current or expired) */
	PfLease lease;
} NsStatus;

/* The forwarded port now: the static ones' first, or the current lease's;
 * 0: none. */
static uint16_t pf_port(const NsStatus *s)
{
	const PortForwarding *pf = &s->ns->pf;

	if (pf->mode == PORT_FORWARD_STATIC)
		return pf->static_ports.n ? pf->static_ports.ports[0] : 0;
	return pf->lease_port;
}

static const char *pf_protocols(const PortForwarding *pf)
{
	return pf->tcp && pf->udp ? "tcp, udp" : pf->tcp ? "tcp" : "udp";
}

static json_t *pf_json(const NsStatus *s)
{
	const PortForwarding *pf = &s->ns->pf;
	json_t *j = json_object(), *protocols = json_array(), *ports = json_array();
	uint16_t port = pf_port(s);

	json_object_set_new(j, "mode", json_string(port_forward_mode_to_string(pf->mode)));
	json_object_set_new(j, "port", port ? json_integer(port) : json_null());
	if (pf->tcp)
		json_array_append_new(protocols, json_string("tcp"));
	if (pf->udp)
		json_array_append_new(protocols, json_string("udp"));
	json_object_set_new(j, "protocols", protocols);
	json_object_set_new(j, "expiresAt", s->has_lease ? json_integer((json_int_t)s->lease.expires_s)
							 : json_null());
	json_object_set_new(j, "gatewayEpoch",
			    s->has_lease ? json_integer(s->lease.epoch) : json_null());
	for (size_t i = 0; i < pf->static_ports.n; i++)
		json_array_append_new(ports, json_integer(pf->static_ports.ports[i]));
	json_object_set_new(j, "staticPorts", ports);
	return j;
}

static void print_pf(const NsStatus *s)
{
	const PortForwarding *pf = &s->ns->pf;
	char gw[IPADDR_STRLEN];

	if (pf->mode == PORT_FORWARD_NONE)
		return;
	if (pf->mode == PORT_FORWARD_STATIC) {
		printf("    ports:     static");
		for (size_t i = 0; i < pf->static_ports.n; i++)
			printf("%s%u", i ? ", " : " ", pf->static_ports.ports[i]);
		printf(" (%s)\n", pf_protocols(pf));
		return;
	}
	printf("    ports:     natpmp via %s: ", ipaddr_to_string(&pf->gateway, gw));
	if (pf->lease_port) {
		uint64_t half = s->lease.granted_s + (s->lease.expires_s - s->lease.granted_s) / 2;
		_cleanup_free_ char *renew = format_time(half * 1000000ULL),
				    *expires = format_time(s->lease.expires_s * 1000000ULL);

		printf("port %u (%s), renews at %s, expires at %s\n", pf->lease_port, pf_protocols(pf),
		       renew, expires);
	} else if (s->has_lease) {
		_cleanup_free_ char *expired = format_time(s->lease.expires_s * 1000000ULL);

		printf("no port (%s): the lease of port %u expired at %s\n", pf_protocols(pf),
		       s->lease.port, expired);
	} else
		printf("no port (%s): no lease (not granted yet, or expired)\n", pf_protocols(pf));
}

static const char *netns_state_str(const NsStatus *s)
{
	switch (s->have.netns_state) {
	case NETNS_PRESENT:
		return s->have.owned ? "present" : "present, not created by vpnconf";
	case NETNS_ABSENT:
		return "absent";
	case NETNS_PLACEHOLDER:
		return "placeholder left by an interrupted creation";
	case NETNS_NOT_NETNS:
		return "path occupied by something that is not a namespace";
	case _NETNS_STATE_MAX:
	case _NETNS_STATE_INVALID:
		break;
	}
	return "unknown";
}

static const char *sync_str(const NsStatus *s)
{
	if (s->error)
		return "error";
	if (!s->ns)
		return "no longer desired";
	if (s->have.netns_state != NETNS_PRESENT)
		return "absent";
	if (s->have.table && nft_table_kind(s->have.table) == NFT_TABLE_LOCKDOWN)
		return "locked down";
	return s->plan.n == 0 ? "in sync" : "drifted";
}

static const char *policy_str(const NsStatus *s)
{
	if (!s->have.table)
		return "absent";
	switch (nft_table_kind(s->have.table)) {
	case NFT_TABLE_POLICY:
		return "policy";
	case NFT_TABLE_LOCKDOWN:
		return "lockdown";
	case NFT_TABLE_PIN:
	case NFT_TABLE_HOST:
	case NFT_TABLE_FOREIGN:
	case _NFT_TABLE_KIND_MAX:
	case _NFT_TABLE_KIND_INVALID:
		break;
	}
	return "foreign";
}

/* The policy as the text output says it ("policy" in --json). */
static const char *policy_text(const NsStatus *s)
{
	const char *p = policy_str(s);

	if (streq(p, "policy"))
		return "in place";
	if (streq(p, "lockdown"))
		return "lockdown (drops everything but loopback)";
	if (streq(p, "absent"))
		return "absent";
	return "foreign (a table vpnconf did not make holds its name)";
}

/* The host-side table of the host link: "present" (vpnconf's, whether in
 * sync or not: differences are listed with the others), "absent" or
 * "foreign". */
static const char *host_table_text(const NsStatus *s)
{
	if (!s->have.host_table)
		return "absent";
	return nft_table_kind(s->have.host_table) == NFT_TABLE_HOST ? "present" : "foreign";
}

static const char *tunnel_state(const LinkInfo *t)
{
	return t ? (t->up ? "up" : "down") : "absent";
}

/* What the tunnel's state means for the confined traffic. */
static const char *tunnel_meaning(const NsStatus *s, const LinkInfo *t)
{
	bool managed = s->ns->wg.managed;

	if (t && t->up)
		return "confined traffic leaves through the tunnel only";
	if (!t)
		return managed ? "reconcile creates it; until then confined traffic goes nowhere (safe)"
			       : "not in the namespace yet (the external tool moves it in); "
				 "confined traffic goes nowhere (safe)";
	return managed ? "confined traffic goes nowhere (safe); reconcile brings it up"
		       : "the external tunnel is not up yet; confined traffic goes nowhere (safe)";
}

static char *key_b64(const uint8_t k[static WG_KEY_LEN])
{
	return base64_encode(k, WG_KEY_LEN);
}

static char *sockaddr_str(const WgSockaddr *a)
{
	char host[INET6_ADDRSTRLEN];

	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, host, sizeof(host));
		return xasprintf("%s:%u", host, ntohs(a->in.sin_port));
	}
	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof(host));
		return xasprintf("[%s]:%u", host, ntohs(a->in6.sin6_port));
	}
	return NULL;
}

static json_t *addrs_json(const LinkInfo *l)
{
	json_t *a = json_array();
	char buf[IPPREFIX_STRLEN];

	FOREACH_ARRAY(p, l->addrs, l->n_addrs)
	json_array_append_new(a, json_string(ipprefix_to_string(p, buf)));
	return a;
}

/* The health of the managed tunnel's peer with public key key, or NULL
 * when it was not judged (not desired, or observing failed). */
static const PeerHealth *health_of(const NsStatus *s, const uint8_t key[static WG_KEY_LEN])
{
	if (!s->ns || !s->have.health)
		return NULL;
	for (size_t i = 0; i < s->have.n_health && i < s->ns->wg.n_peers; i++)
		if (memcmp(s->ns->wg.peers[i].public_key, key, WG_KEY_LEN) == 0)
			return &s->have.health[i];
	return NULL;
}

/* "ok", "stale since 2026-12-06 04:10:00, trying endpoint 2/3",
 * "trying endpoint 2/3", "stale since ...", or NULL (not judged). */
static char *health_text(const PeerHealth *h)
{
	_cleanup_free_ char *since = NULL, *trying = NULL;

	if (!h)
		return NULL;
	switch (h->state) {
	case HEALTH_OK:
		return xstrdup("ok");
	case HEALTH_TRYING:
	case HEALTH_STALE:
		break;
	case HEALTH_UNKNOWN:
	case _HEALTH_STATE_MAX:
	case _HEALTH_STATE_INVALID:
		return NULL;
	}
	if (h->stale_since_usec) {
		_cleanup_free_ char *t = format_time(h->stale_since_usec);
		since = xasprintf("stale since %s", t);
	} else
		since = xstrdup("no handshake yet");
	if (h->n_endpoints >= 2 && h->current >= 0)
		trying = xasprintf("trying endpoint %d/%zu", h->current + 1, h->n_endpoints);
	return trying ? xasprintf("%s, %s", since, trying) : TAKE_PTR(since);
}

static json_t *health_json(const PeerHealth *h)
{
	if (!h)
		return json_null();
	return json_pack("{s:s, s:o, s:o, s:I, s:s, s:o}", "state", health_state_to_string(h->state),
			 "staleSince",
			 h->stale_since_usec ? json_integer((json_int_t)(h->stale_since_usec / 1000000))
					     : json_null(),
			 "endpoint", h->current >= 0 ? json_integer(h->current + 1) : json_null(),
			 "endpoints", (json_int_t)h->n_endpoints, "action",
			 health_action_to_string(h->action), "nextEndpoint",
			 h->action == HEALTH_ACTION_SWITCH ? json_integer(h->target + 1) : json_null());
}

static json_t *peers_json(const NsStatus *s, const WgDevice *wg)
{
	uint64_t now = now_usec_realtime();
	json_t *a = json_array();

	FOREACH_ARRAY(p, wg->peers, wg->n_peers)
	{
		_cleanup_free_ char *key = key_b64(p->public_key), *ep = sockaddr_str(&p->endpoint);
		json_t *j = json_object();

		json_object_set_new(j, "publicKey", json_string(key));
		json_object_set_new(j, "endpoint", json_string_or_null(ep));
		json_object_set_new(j, "latestHandshake",
				    p->last_handshake_usec ? json_integer((json_int_t)(p->last_handshake_usec / 1000000))
							   : json_null());
		json_object_set_new(j, "latestHandshakeAgeSeconds",
				    p->last_handshake_usec && now > p->last_handshake_usec
					    ? json_integer((json_int_t)((now - p->last_handshake_usec) / 1000000))
					    : json_null());
		json_object_set_new(j, "rxBytes", json_integer((json_int_t)p->rx_bytes));
		json_object_set_new(j, "txBytes", json_integer((json_int_t)p->tx_bytes));
		json_object_set_new(j, "persistentKeepalive", json_integer(p->persistent_keepalive));
		json_object_set_new(j, "health", health_json(health_of(s, p->public_key)));
		json_array_append_new(a, j);
	}
	return a;
}

static json_t *tunnel_json(const NsStatus *s)
{
	const char *ifname = s->ns ? s->ns->wg.ifname : NULL;
	const LinkInfo *t = ifname ? link_snapshot_find(&s->have.links, ifname) : NULL;
	json_t *j = json_object();

	json_object_set_new(j, "interface", json_string_or_null(ifname));
	json_object_set_new(j, "managed", json_boolean(s->ns && s->ns->wg.managed));
	json_object_set_new(j, "present", json_boolean(t));
	json_object_set_new(j, "up", json_boolean(t && t->up));
	json_object_set_new(j, "state", json_string(tunnel_state(t)));
	json_object_set_new(j, "addresses", t ? addrs_json(t) : json_array());
	if (s->have.wg) {
		_cleanup_free_ char *pub = s->have.wg->has_public_key ? key_b64(s->have.wg->public_key) : NULL;

		json_object_set_new(j, "publicKey", json_string_or_null(pub));
		json_object_set_new(j, "listenPort", json_integer(s->have.wg->listen_port));
		json_object_set_new(j, "fwMark", json_integer(s->have.wg->fwmark));
		json_object_set_new(j, "peers", peers_json(s, s->have.wg));
	}
	return j;
}

static json_t *status_json(const NsStatus *s, const Desired *d)
{
	json_t *j = json_object(), *units = json_array(), *diffs = json_array();

	json_object_set_new(j, "name", json_string(s->name));
	json_object_set_new(j, "namespace", json_string(netns_state_str(s)));
	json_object_set_new(j, "present", json_boolean(s->have.netns_state == NETNS_PRESENT));
	json_object_set_new(j, "owned", json_boolean(s->have.owned));
	json_object_set_new(j, "notOwnedReason",
			    json_string_or_null(s->have.netns_state == NETNS_PRESENT && !s->have.owned
							? s->have.not_owned_why
							: NULL));
	json_object_set_new(j, "sync", json_string(sync_str(s)));
	json_object_set_new(j, "inSync", json_boolean(s->ns && !s->error && s->plan.n == 0 &&
						      s->have.netns_state == NETNS_PRESENT));
	json_object_set_new(j, "policy", json_string(policy_str(s)));
	json_object_set_new(j, "tunnel", tunnel_json(s));
	json_object_set_new(j, "error", json_string_or_null(s->error));
	for (size_t i = 0; i < s->plan.n; i++)
		STRV_FOREACH(r, s->plan.steps[i]->reasons)
	json_array_append_new(diffs, json_string(*r));
	json_object_set_new(j, "differences", diffs);
	if (s->ns) {
		const LinkInfo *h = s->have.host_link;
		json_t *hl = json_object(), *dns = json_object();

		json_object_set_new(hl, "enabled", json_boolean(s->ns->host_link));
		if (s->ns->host_link) {
			json_object_set_new(hl, "hostInterface", json_string(s->ns->host_if));
			json_object_set_new(hl, "namespaceInterface", json_string(s->ns->ns_if));
			json_object_set_new(hl, "present", json_boolean(h));
			json_object_set_new(hl, "hostAddresses", h ? addrs_json(h) : json_array());
		}
		json_object_set_new(hl, "hostTable", json_string(host_table_text(s)));
		json_object_set_new(j, "hostLink", hl);
		json_object_set_new(dns, "mode", json_string(dns_mode_to_string(s->ns->dns_mode)));
		json_t *servers = json_array();
		FOREACH_ARRAY(a, s->ns->dns_servers, s->ns->n_dns_servers)
		{
			char buf[IPADDR_STRLEN];
			json_array_append_new(servers, json_string(ipaddr_to_string(a, buf)));
		}
		json_object_set_new(dns, "servers", servers);
		json_object_set_new(j, "dns", dns);
		json_object_set_new(j, "ipv6", json_string(ipv6_mode_to_string(s->ns->ipv6_mode)));
		json_object_set_new(j, "egress", json_string(egress_mode_to_string(s->ns->egress_mode)));
		json_object_set_new(j, "securityProfile",
				    json_string(security_profile_to_string(s->ns->profile)));
		json_object_set_new(j, "portForwarding", pf_json(s));
	}
	FOREACH_ARRAY(u, d->units, d->n_units)
	if (streq(u->namespace, s->name))
		json_array_append_new(units, json_string(u->name));
	json_object_set_new(j, "units", units);
	if (s->has_last) {
		json_t *t = json_object();
		json_object_set_new(t, "id", json_string(s->last.id));
		json_object_set_new(t, "outcome", json_string(txn_outcome_to_string(s->last.outcome)));
		json_object_set_new(t, "finished", json_integer((json_int_t)(s->last.finished_usec / 1000000)));
		json_object_set_new(j, "lastTransaction", t);
	} else
		json_object_set_new(j, "lastTransaction", json_null());
	return j;
}

static void print_tunnel(const NsStatus *s)
{
	const LinkInfo *t = link_snapshot_find(&s->have.links, s->ns->wg.ifname);
	uint64_t now = now_usec_realtime();
	char buf[IPPREFIX_STRLEN];

	printf("    tunnel:    %s (%s)", s->ns->wg.ifname, s->ns->wg.managed ? "managed" : "external");
	if (t)
		FOREACH_ARRAY(a, t->addrs, t->n_addrs)
	printf(", %s", ipprefix_to_string(a, buf));
	putchar('\n');
	printf("      state:   %s: %s\n", tunnel_state(t), tunnel_meaning(s, t));
	if (!s->have.wg)
		return;
	if (s->have.wg->has_public_key) {
		_cleanup_free_ char *pub = key_b64(s->have.wg->public_key);
		printf("               public key %s, listen port %u, fwmark 0x%x\n", pub,
		       s->have.wg->listen_port, s->have.wg->fwmark);
	}
	FOREACH_ARRAY(p, s->have.wg->peers, s->have.wg->n_peers)
	{
		_cleanup_free_ char *key = key_b64(p->public_key), *ep = sockaddr_str(&p->endpoint);
		_cleanup_free_ char *age = p->last_handshake_usec && now > p->last_handshake_usec
						   ? format_age(now - p->last_handshake_usec)
						   : NULL;
		_cleanup_free_ char *rx = format_bytes(p->rx_bytes), *tx = format_bytes(p->tx_bytes);
		_cleanup_free_ char *health = health_text(health_of(s, p->public_key));

		printf("               peer %s: endpoint %s, handshake %s%s, rx %s, tx %s%s%s\n", key,
		       ep ?: "(none)", age ?: "never", age ? " ago" : "", rx, tx,
		       health ? "; " : "", strempty(health));
	}
}

static void print_status(const NsStatus *s, const Desired *d)
{
	_cleanup_strv_free_ char **units = NULL;

	printf("%s: %s\n", s->name, sync_str(s));
	printf("    namespace: %s/%s (%s)\n", d->netns_dir, s->name, netns_state_str(s));
	if (s->have.netns_state == NETNS_PRESENT && !s->have.owned && s->have.not_owned_why)
		printf("               %s\n", s->have.not_owned_why);
	if (s->error)
		printf("    error:     %s\n", s->error);
	if (s->have.netns_state == NETNS_PRESENT)
		printf("    policy:    %s\n", policy_text(s));
	if (s->ns) {
		print_tunnel(s);
		if (s->ns->host_link)
			printf("    host link: %s <-> %s, %s; host-side table %s\n", s->ns->host_if,
			       s->ns->ns_if,
			       s->have.host_link ? (s->have.host_link->up ? "up" : "down") : "absent",
			       host_table_text(s));
		printf("    dns:       %s; ipv6: %s; egress: %s; profile: %s\n",
		       dns_mode_to_string(s->ns->dns_mode), ipv6_mode_to_string(s->ns->ipv6_mode),
		       egress_mode_to_string(s->ns->egress_mode),
		       security_profile_to_string(s->ns->profile));
		print_pf(s);
	}
	FOREACH_ARRAY(u, d->units, d->n_units)
	if (streq(u->namespace, s->name))
		strv_push(&units, u->name);
	if (units) {
		_cleanup_free_ char *j = strv_join(units, ", ");
		printf("    units:     %s\n", j);
	}
	if (s->has_last) {
		_cleanup_free_ char *when = format_time(s->last.finished_usec);
		printf("    last txn:  %s %s at %s\n", s->last.id, txn_outcome_to_string(s->last.outcome),
		       when);
	}
	for (size_t i = 0; i < s->plan.n; i++)
		STRV_FOREACH(r, s->plan.steps[i]->reasons)
	printf("    drift:     %s\n", *r);
}

static void ns_status_done(NsStatus *s)
{
	observed_done(&s->have);
	plan_done(&s->plan);
	free(s->error);
	if (s->has_last)
		txn_record_done(&s->last);
}

static void collect(ObserveContext *oc, const Desired *d, Journal *j, NsStatus *s)
{
	_cleanup_(netns_freep) Netns *n = NULL;
	_cleanup_strv_free_ char **resolved = NULL;
	Birthplace *bp = NULL;

	if (s->ns) {
		s->eff = *s->ns;
		reconcile_namespace_with_lease(&s->eff, d->runtime_dir);
		s->ns = &s->eff;
		if (s->ns->pf.mode == PORT_FORWARD_NATPMP &&
		    pf_lease_read(d->runtime_dir, s->name, &s->lease) >= 0)
			s->has_lease = true;
	}
	(void)reconcile_observe_plan(oc, d, s->name, s->ns, !s->ns, now_usec_realtime(), NULL,
				     &resolved,
				     &s->have, &n, &bp, &s->plan, &s->error);
	if (j && journal_last_txn(j, s->name, &s->last) >= 0)
		s->has_last = true;
}

/* The Prometheus view of the collected namespaces (metrics.h). */
static int prometheus_text(NsStatus *all, size_t n, Journal *j, char **ret)
{
	_cleanup_free_ MetricsNamespace *m = xcalloc(n ?: 1, sizeof(MetricsNamespace));
	_cleanup_strv_free_ char **keys = NULL;
	_cleanup_free_ char *text = NULL;
	uint64_t now = now_usec_realtime();
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		const NsStatus *s = &all[i];
		const WgDevice *wg = s->have.wg;
		MetricsPeer *peers = wg ? xcalloc(wg->n_peers ?: 1, sizeof(MetricsPeer)) : NULL;

		m[i] = (MetricsNamespace){
			.name = s->name,
			.present = s->have.netns_state == NETNS_PRESENT,
			.in_sync = streq(sync_str(s), "in sync"),
			.locked_down = s->have.table &&
				       nft_table_kind(s->have.table) == NFT_TABLE_LOCKDOWN,
			.peers = peers,
			.n_peers = wg ? wg->n_peers : 0,
			.port_forwarding = s->ns && s->ns->pf.mode != PORT_FORWARD_NONE,
			.forwarded_port = s->ns && s->ns->pf.mode != PORT_FORWARD_NONE ? pf_port(s) : 0,
			.lease_granted_usec = s->ns && s->ns->pf.lease_port && s->has_lease
						  ? s->lease.granted_s * 1000000ULL
						  : 0,
		};
		if (j && journal_count_events(j, s->name, &m[i].drift_events, &m[i].lockdowns) >= 0)
			m[i].has_counters = true;
		for (size_t k = 0; wg && k < wg->n_peers; k++) {
			const WgPeer *p = &wg->peers[k];

			strv_consume(&keys, key_b64(p->public_key));
			const PeerHealth *h = health_of(s, p->public_key);

			peers[k] = (MetricsPeer){
				.public_key = keys[strv_length(keys) - 1],
				.interface = wg->ifname,
				.latest_handshake_usec = p->last_handshake_usec,
				.rx_bytes = p->rx_bytes,
				.tx_bytes = p->tx_bytes,
				.healthy = !h || h->state == HEALTH_UNKNOWN ? -1
									    : h->state == HEALTH_OK,
				.endpoint_index = h && h->current >= 0 ? (unsigned)h->current + 1 : 0,
				.n_endpoints = h ? (unsigned)h->n_endpoints : 0,
			};
		}
	}
	r = metrics_format(m, n, now, &text);
	for (size_t i = 0; i < n; i++)
		free((MetricsPeer *)m[i].peers);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(text);
	return 0;
}

static int print_prometheus(NsStatus *all, size_t n, Journal *j)
{
	_cleanup_free_ char *text = NULL;
	int r = prometheus_text(all, n, j, &text);

	if (r < 0)
		return log_errno(r, "Failed to format metrics"), EXIT_FAIL;
	fputs(text, stdout);
	return EXIT_OK;
}

int status_metrics_text(const Desired *d, char **ret)
{
	_cleanup_(journal_closep) Journal *j = NULL;
	_cleanup_(observe_context_done) ObserveContext oc = {};
	_cleanup_strv_free_ char **owned = NULL;
	_cleanup_free_ NsStatus *all = NULL;
	size_t n = 0;
	int r;

	(void)journal_open(state_dir_of(d), true, &j);
	r = observe_context_init(&oc, d->netns_dir, d->runtime_dir);
	if (r < 0)
		return r;
	oc.journal = j;
	FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
	*ARRAY_APPEND(all, n) = (NsStatus){.name = ns->name, .ns = ns};
	if (observe_owned_names(d->runtime_dir, &owned) >= 0)
		STRV_FOREACH(name, owned)
	if (!desired_find_namespace(d, *name))
		*ARRAY_APPEND(all, n) = (NsStatus){.name = *name};
	for (size_t i = 0; i < n; i++)
		collect(&oc, d, j, &all[i]);
	r = prometheus_text(all, n, j, ret);
	for (size_t i = 0; i < n; i++)
		ns_status_done(&all[i]);
	return r;
}

int verb_status(int argc, char **argv)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	_cleanup_(journal_closep) Journal *j = NULL;
	_cleanup_(observe_context_done) ObserveContext oc = {};
	_cleanup_strv_free_ char **owned = NULL;
	NsStatus *all = NULL;
	size_t n = 0;
	json_t *out = arg_json ? json_array() : NULL;
	int r;

	r = load_desired("status", false, false, &d);
	if (r != EXIT_OK)
		return r;
	(void)journal_open(state_dir_of(d), true, &j);
	r = observe_context_init(&oc, d->netns_dir, d->runtime_dir);
	if (r < 0)
		return log_errno(r, "Failed to open the network namespace"), EXIT_FAIL;
	oc.journal = j;

	FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
	if (!arg_namespace || streq(arg_namespace, ns->name))
		*ARRAY_APPEND(all, n) = (NsStatus){.name = ns->name, .ns = ns};
	if (observe_owned_names(d->runtime_dir, &owned) >= 0)
		STRV_FOREACH(name, owned)
	if (!desired_find_namespace(d, *name) && (!arg_namespace || streq(arg_namespace, *name)))
		*ARRAY_APPEND(all, n) = (NsStatus){.name = *name};

	for (size_t i = 0; i < n; i++) {
		collect(&oc, d, j, &all[i]);
		if (arg_prometheus)
			continue; /* printed together below */
		if (out)
			json_array_append_new(out, status_json(&all[i], d));
		else
			print_status(&all[i], d);
		ns_status_done(&all[i]);
	}
	if (arg_prometheus) {
		r = print_prometheus(all, n, j);
		for (size_t i = 0; i < n; i++)
			ns_status_done(&all[i]);
	} else if (out)
		json_print(json_pack("{s:o}", "namespaces", out));
	else if (n == 0)
		printf("no namespaces in %s\n", arg_config);
	free(all);
	return arg_prometheus ? r : EXIT_OK;
}
