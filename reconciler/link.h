/* SPDX-License-Identifier: MIT */
/*
 * Network interfaces (rtnetlink through libnl-route-3): snapshots of a
 * namespace's links with their addresses, and the link operations vpnconf
 * performs: veth pairs for the host link, WireGuard links, moving a link
 * between namespaces, up/down, MTU, alias, delete.
 *
 * Ownership: every link vpnconf creates is born in the interface group
 * LINK_GROUP_VPNCONF (set in the very message that creates it, so there is
 * no instant at which it exists unmarked) and then labelled with the
 * alias "vpnconf:<namespace>:<role>" (role "hostlink" or "tunnel"; the
 * kernel ignores an alias in a creating message). A tunnel's alias also
 * records the namespace its UDP socket lives in, "...:tunnel@<birthplace>",
 * which the kernel does not report. A link of a desired name
 * outside that group is foreign and is never modified.
 *
 * Links are created where they live: the host link's namespace end and a
 * managed tunnel are created directly inside the confinement namespace
 * (IFLA_NET_NS_FD in the creating message) instead of being created
 * elsewhere and moved, which costs the kernel an RCU grace period per move
 * and would expose the link outside the namespace in between.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>

#include "ipaddr.h"
#include "kname.h"
#include "netns.h"

#define LINK_GROUP_VPNCONF 0x56504e43U /* "VPNC" */
#define LINK_ALIAS_PREFIX "vpnconf:"
#define LINK_ROLE_HOSTLINK "hostlink"
#define LINK_ROLE_TUNNEL "tunnel"

typedef struct LinkInfo {
	char name[IFNAMSIZ];
	int ifindex;
	char kind[32]; /* rtnl link kind ("veth", "wireguard"...), "" when none */
	bool up;       /* administratively up (IFF_UP) */
	unsigned mtu;
	uint32_t group;
	/* The kernel reports the link as reaching another namespace
	 * (IFLA_LINK_NETNSID: a veth whose peer, a tunnel whose underlay, a
	 * macvlan whose lower device lives elsewhere). */
	bool other_netns;
	/* The link's master (a bridge, a bond: it takes the link's frames
	 * before the IP layer sees them), 0 when none. */
	int master;
	/* Its peer's ifindex in the other namespace, for a veth whose peer
	 * lives elsewhere (IFLA_LINK with a link netnsid), 0 otherwise. */
	int peer;
	/* The lower device in the same namespace (IFLA_LINK of a macvlan, a
	 * vlan, an ipvlan), 0 when none or elsewhere. */
	int lower;
	char *alias; /* NULL when none */
	/* The alias parsed (kname.h): alias_valid only when it is a
	 * well-formed vpnconf label. */
	bool alias_valid;
	LinkAlias parsed_alias;
	IpPrefix *addrs; /* addresses with their prefix length */
	size_t n_addrs;
} LinkInfo;

typedef struct LinkSnapshot {
	LinkInfo *links; /* sorted by name */
	size_t n;
} LinkSnapshot;

void link_snapshot_done(LinkSnapshot *s);
/* Sets (NULL or "": clears) the alias of l, and parses it. */
void link_info_set_alias(LinkInfo *l, const char *alias);
/* Dumps the links of n and their addresses (two dumps). */
int link_snapshot(Netns *n, LinkSnapshot *ret);
const LinkInfo *link_snapshot_find(const LinkSnapshot *s, const char *name);

/* "vpnconf:<ns>:<role>", newly allocated. */
char *link_alias(const char *ns_name, const char *role);
/* "vpnconf:<ns>:tunnel@<birthplace>" (birthplace NULL: "init"). */
char *link_alias_tunnel(const char *ns_name, const char *birthplace);
/* The birthplace a tunnel's alias records ("init" or a valid namespace
 * name), or NULL when it has none or its alias is malformed. */
const char *link_alias_birthplace(const LinkInfo *l);
/* Is the link vpnconf's, for namespace ns_name (and role, unless NULL)?
 * It must be in vpnconf's group; its alias, when it has one, must be a
 * well-formed vpnconf label (kname_parse_alias()) naming ns_name (and
 * role). A link in the group without an alias is one whose creator
 * stopped before labelling it: it is vpnconf's. */
bool link_is_ours(const LinkInfo *l, const char *ns_name, const char *role);
/* Does the link carry exactly alias? */
bool link_has_alias(const LinkInfo *l, const char *alias);

/* Creates a veth pair with one message: end "name" in n, end "peer"
 * directly in peer_ns, both in vpnconf's group. -EEXIST when name is
 * taken in n (or peer in peer_ns); nothing is created then. */
int link_veth_create(Netns *n, const char *name, const Netns *peer_ns, const char *peer);
/* Creates a WireGuard link named name directly in dest, with one message
 * sent from birthplace: the kernel creates the device in dest and its UDP
 * socket in birthplace. In vpnconf's group, down, unconfigured. mtu 0:
 * kernel default. */
int link_wireguard_create(Netns *birthplace, const Netns *dest, const char *name, unsigned mtu);
int link_delete(Netns *n, const char *ifname);
/* Deletes every link of group in n with one message: one RCU grace period
 * for all of them (deleting a veth end takes its peer along, wherever it
 * is). -ENODEV when the group has no link; -EOPNOTSUPP, and nothing
 * deleted, when one of them cannot be deleted (a device without
 * rtnetlink operations, such as lo, put into the group). */
int link_delete_group(Netns *n, uint32_t group);
int link_set_up(Netns *n, const char *ifname, bool up);
int link_set_mtu(Netns *n, const char *ifname, unsigned mtu);
int link_set_alias(Netns *n, const char *ifname, const char *alias);
/* Both at once: one message. */
int link_label_up(Netns *n, const char *ifname, const char *alias);
/* ifindex of ifname in n (one request); -ENODEV when absent. */
int link_ifindex(Netns *n, const char *ifname);
/* The interface group of ifname in n (one request); -ENODEV when absent. */
int link_group(Netns *n, const char *ifname, uint32_t *ret);
