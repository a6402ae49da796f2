/* SPDX-License-Identifier: MIT */
/*
 * The wanted WgDevice of a namespace's managed tunnel: the effective
 * desired state plus the keys read from their files. This is the only
 * place where vpnconf reads WireGuard keys for configuration; errors name
 * the JSON field whose file was at fault, never the key.
 *
 * A hostname endpoint that the caller did not resolve leaves the peer
 * without a wanted endpoint: wg_diff() then keeps whatever endpoint the
 * kernel has, which is the right thing while a name does not resolve.
 */
#include <arpa/inet.h>
#include <assert.h>

#include "wg.h"

static void endpoint_from_literal(const Endpoint *e, WgSockaddr *ret)
{
	WgSockaddr s = {};

	if (e->addr.family == AF_INET) {
		s.in.sin_family = AF_INET;
		s.in.sin_port = htons(e->port);
		s.in.sin_addr = e->addr.in;
	} else if (e->addr.family == AF_INET6) {
		s.in6.sin6_family = AF_INET6;
		s.in6.sin6_port = htons(e->port);
		s.in6.sin6_addr = e->addr.in6;
	}
	*ret = s;
}

static int peer_from_desired(const Namespace *ns, size_t i, const WgSockaddr *resolved,
			     bool require_private, WgDevice *d, char **ret_error_path)
{
	const Peer *peer = &ns->wg.peers[i];
	WgPeer *p = wg_device_add_peer(d);
	int r;

	memcpy(p->public_key, peer->public_key, WG_KEY_LEN);
	if (peer->preshared_key_file) {
		r = wg_key_read_file(peer->preshared_key_file, require_private, p->preshared_key);
		if (r < 0) {
			_cleanup_free_ char *sub =
				xasprintf("wireguard.peers[%zu].presharedKeyFile", i);
			*ret_error_path = desired_ns_path(ns->name, sub);
			return r;
		}
		p->has_preshared_key = true;
	}
	if (resolved && resolved[i].sa.sa_family != AF_UNSPEC)
		p->endpoint = resolved[i];
	else if (peer->has_endpoint && peer->endpoint.literal)
		endpoint_from_literal(&peer->endpoint, &p->endpoint);
	p->persistent_keepalive = peer->persistent_keepalive;
	if (peer->n_allowed_ips > 0) {
		p->allowed_ips = xmalloc(peer->n_allowed_ips * sizeof(IpPrefix));
		memcpy(p->allowed_ips, peer->allowed_ips, peer->n_allowed_ips * sizeof(IpPrefix));
		p->n_allowed_ips = peer->n_allowed_ips;
	}
	return 0;
}

int wg_device_from_desired(const Namespace *ns, const WgSockaddr *resolved, WgDevice **ret,
			   char **ret_error_path)
{
	_cleanup_(wg_device_freep) WgDevice *d = NULL;
	bool require_private = ns->profile == SECURITY_PROFILE_HIGH_ASSURANCE;
	int r;

	assert(ns && ret && ret_error_path);
	if (!ns->wg.managed) {
		*ret_error_path = desired_ns_path(ns->name, "wireguard.managed");
		return -EINVAL;
	}

	d = xcalloc(1, sizeof(*d));
	memcpy(d->ifname, ns->wg.ifname, IFNAMSIZ);
	d->ifname[IFNAMSIZ - 1] = 0;
	r = ns->wg.private_key_file ? wg_key_read_file(ns->wg.private_key_file, require_private,
							d->private_key)
				    : -EINVAL;
	/* A key file to be generated (by the reconcile that needs it) does
	 * not exist yet for plan and status: a device without key stands in. */
	if (r == -ENOENT && ns->wg.generate_private_key_file)
		explicit_bzero(d->private_key, sizeof(d->private_key));
	else if (r < 0) {
		*ret_error_path = desired_ns_path(ns->name, "wireguard.privateKeyFile");
		return r;
	} else
		d->has_private_key = true;
	d->listen_port = ns->wg.listen_port > 0 ? (uint16_t)ns->wg.listen_port : 0;
	d->fwmark = ns->wg.fwmark;

	for (size_t i = 0; i < ns->wg.n_peers; i++) {
		r = peer_from_desired(ns, i, resolved, require_private, d, ret_error_path);
		if (r < 0)
			return r;
	}
	wg_device_sort(d);
	*ret = TAKE_PTR(d);
	return 0;
}
