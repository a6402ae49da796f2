/* SPDX-License-Identifier: MIT */
/*
 * The endpoint lists of a managed tunnel's peers as socket addresses
 * (peer-endpoints.h): literal endpoints converted, hostnames resolved in
 * the tunnel's socket namespace.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>

#include "peer-endpoints.h"

void peer_endpoints_free(WgSockaddr **lists, size_t n)
{
	for (size_t i = 0; lists && i < n; i++)
		free(lists[i]);
	free(lists);
}

static void endpoint_from_literal(const Endpoint *e, WgSockaddr *ret)
{
	*ret = (WgSockaddr){};
	if (e->addr.family == AF_INET) {
		ret->in.sin_family = AF_INET;
		ret->in.sin_port = htons(e->port);
		ret->in.sin_addr = e->addr.in;
	} else if (e->addr.family == AF_INET6) {
		ret->in6.sin6_family = AF_INET6;
		ret->in6.sin6_port = htons(e->port);
		ret->in6.sin6_addr = e->addr.in6;
	}
}

int peer_endpoints_resolve(const Namespace *ns, Birthplace *bp, char ***resolved_log,
			     WgSockaddr ***ret)
{
	WgSockaddr **lists = xcalloc(ns->wg.n_peers ?: 1, sizeof(WgSockaddr *));
	bool any_host = false;
	int saved = -EBADF, r = 0;

	for (size_t i = 0; i < ns->wg.n_peers; i++) {
		const Peer *peer = &ns->wg.peers[i];

		lists[i] = xcalloc(peer_endpoint_count(peer) + 1, sizeof(WgSockaddr));
		for (size_t k = 0; k < peer_endpoint_count(peer); k++) {
			const Endpoint *e = peer_endpoint_at(peer, k, NULL);

			if (e->literal)
				endpoint_from_literal(e, &lists[i][k]);
			else
				any_host = true;
		}
	}
	if (any_host && bp->name) {
		r = netns_enter(bp->netns, &saved);
		if (r < 0) {
			peer_endpoints_free(lists, ns->wg.n_peers);
			return r;
		}
	}
	for (size_t i = 0; any_host && i < ns->wg.n_peers && r >= 0; i++) {
		const Peer *peer = &ns->wg.peers[i];
		bool usable = peer_endpoint_count(peer) == 0;

		for (size_t k = 0; k < peer_endpoint_count(peer); k++) {
			const char *raw;
			const Endpoint *e = peer_endpoint_at(peer, k, &raw);
			struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
			char port[8], host[NI_MAXHOST];

			if (e->literal) {
				usable = true;
				continue;
			}
			snprintf(port, sizeof(port), "%u", e->port);
			if (getaddrinfo(e->host, port, &hints, &ai) != 0 || !ai)
				continue;
			memcpy(&lists[i][k], ai->ai_addr,
			       MIN((size_t)ai->ai_addrlen, sizeof(WgSockaddr)));
			usable = true;
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0,
					NI_NUMERICHOST) == 0)
				strv_pushf(resolved_log, "%s: %s -> %s (resolved in %s)", ns->name, raw,
					   host, bp->name ?: "init");
			freeaddrinfo(ai);
		}
		if (!usable)
			r = -EHOSTUNREACH;
	}
	netns_leave(&saved);
	if (r < 0) {
		peer_endpoints_free(lists, ns->wg.n_peers);
		return r;
	}
	*ret = lists;
	return 0;
}

