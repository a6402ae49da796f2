/* SPDX-License-Identifier: MIT */
/*
 * wg_diff(): the minimal change set between a wanted and an observed
 * WireGuard device, with the semantics of "wg syncconf":
 *  - peers are matched by public key; a missing peer is added with all
 *    its settings, a peer that is not wanted is removed, and a peer that
 *    exists on both sides is updated in place (WGPEER_F_UPDATE_ONLY), with
 *    only the attributes that differ. Removing and re-adding a live peer
 *    would throw away its session keys and force a new handshake.
 *  - allowed IPs are a set: compared without regard to order, duplicates
 *    or host bits (the kernel keeps prefixes masked), and replaced as a
 *    whole (WGPEER_F_REPLACE_ALLOWEDIPS) when the sets differ.
 *  - a wanted listen port of 0 means "any" and never differs; a peer
 *    without a wanted endpoint keeps whatever endpoint the kernel learned
 *    from roaming (the kernel cannot clear one anyway).
 * Difference lines name peers by a public key prefix and never contain
 * private or preshared key material.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "wg.h"

#define PEER_NAME_LEN 8
#define ALLOWED_IPS_SHOWN 4

typedef struct PeerName {
	char s[PEER_NAME_LEN + sizeof("…")];
} PeerName;

static PeerName peer_name(const uint8_t *public_key)
{
	_cleanup_free_ char *b64 = base64_encode(public_key, WG_KEY_LEN);
	PeerName n;

	memcpy(n.s, b64, PEER_NAME_LEN);
	strcpy(n.s + PEER_NAME_LEN, "…");
	return n;
}

_printf_(2, 3) static void note(char ***differences, const char *fmt, ...)
{
	va_list ap;

	if (!differences)
		return;
	va_start(ap, fmt);
	strv_consume(differences, xvasprintf(fmt, ap));
	va_end(ap);
}

const char *wg_endpoint_to_string(const WgSockaddr *e, char buf[static WG_ENDPOINT_STRLEN])
{
	char a[IPADDR_STRLEN];

	switch (e->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &e->in.sin_addr, a, sizeof(a));
		snprintf(buf, WG_ENDPOINT_STRLEN, "%s:%u", a, ntohs(e->in.sin_port));
		return buf;
	case AF_INET6:
		inet_ntop(AF_INET6, &e->in6.sin6_addr, a, sizeof(a));
		if (e->in6.sin6_scope_id != 0)
			snprintf(buf, WG_ENDPOINT_STRLEN, "[%s%%%u]:%u", a, e->in6.sin6_scope_id,
				 ntohs(e->in6.sin6_port));
		else
			snprintf(buf, WG_ENDPOINT_STRLEN, "[%s]:%u", a, ntohs(e->in6.sin6_port));
		return buf;
	default:
		return "(none)";
	}
}

bool wg_endpoint_equal(const WgSockaddr *a, const WgSockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	switch (a->sa.sa_family) {
	case AF_INET:
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	case AF_INET6:
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(struct in6_addr)) == 0;
	default:
		return true;
	}
}

static int prefix_compare(const void *a, const void *b)
{
	return ipprefix_compare(a, b);
}

/* The set form of a list of allowed IPs: host bits cleared, sorted,
 * duplicate-free. */
static IpPrefix *allowed_ip_set(const IpPrefix *a, size_t n, size_t *ret_n)
{
	IpPrefix *s;
	size_t k = 0;

	if (n == 0) {
		*ret_n = 0;
		return NULL;
	}
	s = xmalloc(n * sizeof(IpPrefix));
	for (size_t i = 0; i < n; i++) {
		IpRange r;

		ipprefix_range(&a[i], &r);
		s[i] = (IpPrefix){.addr = r.first, .prefixlen = a[i].prefixlen};
	}
	qsort(s, n, sizeof(IpPrefix), prefix_compare);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || ipprefix_compare(&s[k - 1], &s[i]) != 0)
			s[k++] = s[i];
	*ret_n = k;
	return s;
}

/* "+10.0.1.0/24 +10.0.2.0/24 -10.0.3.0/24 (+3 more)": what turns have
 * into want, both sets in allowed_ip_set() form. */
static char *allowed_ips_delta(const IpPrefix *want, size_t n_want, const IpPrefix *have,
			       size_t n_have)
{
	_cleanup_strv_free_ char **shown = NULL;
	size_t i = 0, j = 0, more = 0;
	char buf[IPPREFIX_STRLEN];

	while (i < n_want || j < n_have) {
		int c = i >= n_want   ? 1
			: j >= n_have ? -1
				      : ipprefix_compare(&want[i], &have[j]);
		const IpPrefix *p = c < 0 ? &want[i] : &have[j];

		if (c == 0) {
			i++, j++;
			continue;
		}
		if (strv_length(shown) < ALLOWED_IPS_SHOWN)
			strv_pushf(&shown, "%c%s", c < 0 ? '+' : '-', ipprefix_to_string(p, buf));
		else
			more++;
		if (c < 0)
			i++;
		else
			j++;
	}
	if (more > 0)
		strv_pushf(&shown, "(%zu more)", more);
	return strv_join(shown, " ");
}

static bool allowed_ip_sets_equal(const IpPrefix *a, size_t n_a, const IpPrefix *b, size_t n_b)
{
	if (n_a != n_b)
		return false;
	for (size_t i = 0; i < n_a; i++)
		if (ipprefix_compare(&a[i], &b[i]) != 0)
			return false;
	return true;
}

static const uint8_t *preshared_key_or_zero(const WgPeer *p)
{
	static const uint8_t zero_key[WG_KEY_LEN];
	return p->has_preshared_key ? p->preshared_key : zero_key;
}

/* A new peer with every setting it has (on a device whose other peers
 * stay). The kernel ignores REPLACE_ALLOWEDIPS for a peer it creates; it
 * matters if the peer appeared since have was read. */
static void add_peer(WgDevice *c, const WgPeer *w, bool fresh, char ***differences)
{
	WgPeer *p = wg_device_add_peer(c);

	memcpy(p->public_key, w->public_key, WG_KEY_LEN);
	if (w->has_preshared_key) {
		p->has_preshared_key = true;
		memcpy(p->preshared_key, w->preshared_key, WG_KEY_LEN);
		p->change |= WG_PEER_CHANGE_PRESHARED_KEY;
	}
	if (w->endpoint.sa.sa_family != AF_UNSPEC) {
		p->endpoint = w->endpoint;
		p->change |= WG_PEER_CHANGE_ENDPOINT;
	}
	if (w->persistent_keepalive != 0) {
		p->persistent_keepalive = w->persistent_keepalive;
		p->change |= WG_PEER_CHANGE_KEEPALIVE;
	}
	p->allowed_ips = allowed_ip_set(w->allowed_ips, w->n_allowed_ips, &p->n_allowed_ips);
	if (!fresh) {
		p->change |= WG_PEER_CHANGE_REPLACE_ALLOWED_IPS;
		note(differences, "peer %s: missing, added", peer_name(w->public_key).s);
	}
}

static void remove_peer(WgDevice *c, const WgPeer *h, char ***differences)
{
	WgPeer *p = wg_device_add_peer(c);

	memcpy(p->public_key, h->public_key, WG_KEY_LEN);
	p->change = WG_PEER_CHANGE_REMOVE;
	note(differences, "peer %s: not wanted, removed", peer_name(h->public_key).s);
}

static void update_allowed_ips(WgPeer *p, const WgPeer *w, const WgPeer *h, const char *name,
			       char ***differences)
{
	_cleanup_free_ IpPrefix *ws = NULL, *hs = NULL;
	_cleanup_free_ char *delta = NULL;
	size_t n_ws, n_hs;

	ws = allowed_ip_set(w->allowed_ips, w->n_allowed_ips, &n_ws);
	hs = allowed_ip_set(h->allowed_ips, h->n_allowed_ips, &n_hs);
	if (allowed_ip_sets_equal(ws, n_ws, hs, n_hs))
		return;
	delta = allowed_ips_delta(ws, n_ws, hs, n_hs);
	note(differences, "peer %s: allowed IPs %s", name, delta);
	p->allowed_ips = TAKE_PTR(ws);
	p->n_allowed_ips = n_ws;
	p->change |= WG_PEER_CHANGE_REPLACE_ALLOWED_IPS;
}

/* Builds the in-place update of an existing peer in *p (not yet part of
 * any device); p->change stays 0 when nothing differs. */
static void update_peer(WgPeer *p, const WgPeer *w, const WgPeer *h, char ***differences)
{
	PeerName pn = peer_name(w->public_key);
	const char *name = pn.s;
	char a[WG_ENDPOINT_STRLEN], b[WG_ENDPOINT_STRLEN];

	memcpy(p->public_key, w->public_key, WG_KEY_LEN);
	if (memcmp(preshared_key_or_zero(w), preshared_key_or_zero(h), WG_KEY_LEN) != 0) {
		p->has_preshared_key = w->has_preshared_key;
		memcpy(p->preshared_key, preshared_key_or_zero(w), WG_KEY_LEN);
		p->change |= WG_PEER_CHANGE_PRESHARED_KEY;
		note(differences, "peer %s: preshared key differs", name);
	}
	if (w->endpoint.sa.sa_family != AF_UNSPEC && !wg_endpoint_equal(&w->endpoint, &h->endpoint)) {
		p->endpoint = w->endpoint;
		p->change |= WG_PEER_CHANGE_ENDPOINT;
		note(differences, "peer %s: endpoint %s -> %s", name,
		     wg_endpoint_to_string(&h->endpoint, a), wg_endpoint_to_string(&w->endpoint, b));
	}
	if (w->persistent_keepalive != h->persistent_keepalive) {
		p->persistent_keepalive = w->persistent_keepalive;
		p->change |= WG_PEER_CHANGE_KEEPALIVE;
		note(differences, "peer %s: persistent keepalive %u -> %u", name,
		     h->persistent_keepalive, w->persistent_keepalive);
	}
	update_allowed_ips(p, w, h, name, differences);
	if (p->change != 0)
		p->change |= WG_PEER_CHANGE_UPDATE_ONLY;
}

static void diff_existing_peer(WgDevice *c, const WgPeer *w, const WgPeer *h, char ***differences)
{
	WgPeer u = {};

	update_peer(&u, w, h, differences);
	if (u.change != 0)
		*wg_device_add_peer(c) = u;
	else
		free(u.allowed_ips);
	explicit_bzero(&u, sizeof(u));
}

static int peer_index_compare(const void *a, const void *b, void *userdata)
{
	const WgPeer *peers = userdata;
	return memcmp(peers[*(const size_t *)a].public_key, peers[*(const size_t *)b].public_key,
		      WG_KEY_LEN);
}

/* Peer indices in public key order, without touching (or requiring a
 * sorted) device. */
static size_t *peer_order(const WgDevice *d)
{
	size_t *order = xmalloc(MAX(d->n_peers, 1U) * sizeof(size_t));

	for (size_t i = 0; i < d->n_peers; i++)
		order[i] = i;
	qsort_r(order, d->n_peers, sizeof(size_t), peer_index_compare, d->peers);
	return order;
}

static void diff_peers(WgDevice *c, const WgDevice *want, const WgDevice *have,
		       char ***differences)
{
	_cleanup_free_ size_t *wo = peer_order(want), *ho = peer_order(have);
	size_t i = 0, j = 0;

	while (i < want->n_peers || j < have->n_peers) {
		const WgPeer *w = i < want->n_peers ? &want->peers[wo[i]] : NULL;
		const WgPeer *h = j < have->n_peers ? &have->peers[ho[j]] : NULL;
		int r = !w ? 1 : !h ? -1 : memcmp(w->public_key, h->public_key, WG_KEY_LEN);

		if (r < 0) {
			add_peer(c, w, false, differences);
			i++;
		} else if (r > 0) {
			remove_peer(c, h, differences);
			j++;
		} else {
			diff_existing_peer(c, w, h, differences);
			i++, j++;
		}
	}
}

static void diff_device(WgDevice *c, const WgDevice *want, const WgDevice *have,
			char ***differences)
{
	if (want->has_private_key &&
	    (!have->has_private_key ||
	     memcmp(want->private_key, have->private_key, WG_KEY_LEN) != 0)) {
		c->has_private_key = true;
		memcpy(c->private_key, want->private_key, WG_KEY_LEN);
		c->change |= WG_DEVICE_CHANGE_PRIVATE_KEY;
		note(differences, "private key differs");
	}
	if (want->listen_port != 0 && want->listen_port != have->listen_port) {
		c->listen_port = want->listen_port;
		c->change |= WG_DEVICE_CHANGE_LISTEN_PORT;
		note(differences, "listen port %u -> %u", have->listen_port, want->listen_port);
	}
	if (want->fwmark != have->fwmark) {
		c->fwmark = want->fwmark;
		c->change |= WG_DEVICE_CHANGE_FWMARK;
		note(differences, "fwmark 0x%" PRIx32 " -> 0x%" PRIx32, have->fwmark, want->fwmark);
	}
	diff_peers(c, want, have, differences);
}

/* Nothing is known about the device (or it was just created): everything
 * is set, and REPLACE_PEERS drops whatever peers it may have. */
static void diff_fresh(WgDevice *c, const WgDevice *want, char ***differences)
{
	_cleanup_free_ size_t *order = peer_order(want);

	c->change = WG_DEVICE_CHANGE_REPLACE_PEERS | WG_DEVICE_CHANGE_FWMARK;
	c->fwmark = want->fwmark;
	if (want->has_private_key) {
		c->has_private_key = true;
		memcpy(c->private_key, want->private_key, WG_KEY_LEN);
		c->change |= WG_DEVICE_CHANGE_PRIVATE_KEY;
	}
	if (want->listen_port != 0) {
		c->listen_port = want->listen_port;
		c->change |= WG_DEVICE_CHANGE_LISTEN_PORT;
	}
	for (size_t i = 0; i < want->n_peers; i++)
		add_peer(c, &want->peers[order[i]], true, differences);
	note(differences, "device not configured: full configuration with %zu peer%s",
	     want->n_peers, want->n_peers == 1 ? "" : "s");
}

int wg_diff(const WgDevice *want, const WgDevice *have, char ***differences, WgDevice **ret)
{
	_cleanup_(wg_device_freep) WgDevice *c = NULL;

	assert(want && ret);
	c = xcalloc(1, sizeof(*c));
	memcpy(c->ifname, want->ifname[0] || !have ? want->ifname : have->ifname, IFNAMSIZ);
	c->ifindex = want->ifindex ?: have ? have->ifindex : 0;

	if (have)
		diff_device(c, want, have, differences);
	else
		diff_fresh(c, want, differences);

	*ret = c->change != 0 || c->n_peers > 0 ? TAKE_PTR(c) : NULL;
	return 0;
}
