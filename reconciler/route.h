/* SPDX-License-Identifier: MIT */
/*
 * Routes inside a confinement namespace (rtnetlink through libnl-route-3):
 * the WireGuard allowed IPs as device routes in the main table. vpnconf
 * marks its routes with its own route protocol number, so that routes
 * anyone else added are never touched ("ip route" shows "proto 158").
 */
#pragma once

#include "ipaddr.h"
#include "netns.h"

#define ROUTE_PROTOCOL_VPNCONF 158

typedef struct RouteInfo {
	IpPrefix dst;
	int oif;
} RouteInfo;

/* Unicast routes of the main table with vpnconf's protocol, sorted. */
int route_list(Netns *n, RouteInfo **ret, size_t *ret_n);
/* A device route dst dev ifname, scope link, protocol vpnconf. */
int route_add(Netns *n, const IpPrefix *dst, const char *ifname);
int route_del(Netns *n, const IpPrefix *dst, int oif);
