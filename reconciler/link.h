/* SPDX-License-Identifier: MIT */
/*
 * Network interfaces (rtnetlink through libnl-route-3): snapshots of a
 * namespace's links with their addresses, and the link operations vpnconf
 * performs: veth pairs for the host link, WireGuard links, moving a link
 * between namespaces, up/down, MTU, alias, delete.
 *
 * Ownership: every link vpnconf creates carries the interface alias
 * "vpnconf:<namespace>:<role>" (role "hostlink" or "tunnel"). A link of a
 * desired name without that alias is foreign and is never modified.
 * The kernel cannot set an alias in the message that creates a link, so a
 * link is created where nobody else looks for it (inside the confinement
 * namespace, or under a temporary name) and gets its alias before it is
 * moved or renamed into place.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>

#include "ipaddr.h"
#include "netns.h"

#define LINK_ALIAS_PREFIX "vpnconf:"
#define LINK_ROLE_HOSTLINK "hostlink"
#define LINK_ROLE_TUNNEL "tunnel"

typedef struct LinkInfo {
	char name[IFNAMSIZ];
	int ifindex;
	char kind[32]; /* rtnl link kind ("veth", "wireguard"...), "" when none */
	bool up;       /* administratively up (IFF_UP) */
	unsigned mtu;
	char *alias; /* NULL when none */
	IpPrefix *addrs; /* addresses with their prefix length */
	size_t n_addrs;
} LinkInfo;

typedef struct LinkSnapshot {
	LinkInfo *links; /* sorted by name */
	size_t n;
} LinkSnapshot;

void link_snapshot_done(LinkSnapshot *s);
/* Dumps the links of n and their addresses (two dumps). */
int link_snapshot(Netns *n, LinkSnapshot *ret);
const LinkInfo *link_snapshot_find(const LinkSnapshot *s, const char *name);

/* "vpnconf:<ns>:<role>", newly allocated. */
char *link_alias(const char *ns_name, const char *role);
/* Does the link carry vpnconf's alias for ns_name (any role, or the given
 * role when role is not NULL)? */
bool link_is_ours(const LinkInfo *l, const char *ns_name, const char *role);

/* Creates a veth pair inside n with both ends named there. Fails with
 * -EEXIST when either name is taken in n. */
int link_veth_create(Netns *n, const char *name, const char *peer);
/* Creates a WireGuard link in n (its UDP socket will live in n). mtu 0:
 * kernel default. */
int link_wireguard_create(Netns *n, const char *name, unsigned mtu);
/* Moves ifname from "from" into "to", optionally renaming it there
 * (new_name NULL: keep). -EEXIST when the name is taken in "to". */
int link_move(Netns *from, const char *ifname, const Netns *to, const char *new_name);
int link_delete(Netns *n, const char *ifname);
int link_set_up(Netns *n, const char *ifname, bool up);
int link_set_mtu(Netns *n, const char *ifname, unsigned mtu);
int link_set_alias(Netns *n, const char *ifname, const char *alias);
/* ifindex of ifname in n (one request); -ENODEV when absent. */
int link_ifindex(Netns *n, const char *ifname);
