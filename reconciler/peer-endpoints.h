/* SPDX-License-Identifier: MIT */
/*
 * Every endpoint of every peer of a managed tunnel (endpoint, then
 * peers[].endpoints) as the socket addresses WireGuard is given. Tunnel
 * health (health.h) picks among them.
 */
#pragma once

#include "observe.h"
#include "wg.h"

/* *ret[i][k] is peer i's k-th endpoint, AF_UNSPEC where a hostname did
 * not resolve. Hostnames are resolved inside the tunnel's birthplace
 * namespace bp, where its UDP socket lives, by that namespace's resolver:
 * outside the strict-DNS guarantee of the confinement namespace
 * (docs/desired-state.md says so); each resolution is appended to
 * *resolved_log ("<ns>: <as written> -> <address> (resolved in <bp>)").
 * A peer none of whose endpoints is usable is -EHOSTUNREACH. Free with
 * peer_endpoints_free(*ret, ns->wg.n_peers). */
int peer_endpoints_resolve(const Namespace *ns, Birthplace *bp, char ***resolved_log,
			   WgSockaddr ***ret);
void peer_endpoints_free(WgSockaddr **lists, size_t n);
