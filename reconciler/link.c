/* SPDX-License-Identifier: MIT */
/*
 * Links through libnl-route-3 (see link.h): namespace snapshots and the
 * link operations of the reconciler. Every request goes through the
 * rtnetlink socket cached in the Netns it concerns.
 */
#include <linux/veth.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "link.h"
#include "nlerr.h"

DEFINE_CLEANUP_FUNC_NAMED(rtnl_link_putp, struct rtnl_link *, rtnl_link_put);
DEFINE_CLEANUP_FUNC_NAMED(nl_cache_freep, struct nl_cache *, nl_cache_free);
DEFINE_CLEANUP_FUNC_NAMED(nlmsg_freep, struct nl_msg *, nlmsg_free);

static void link_info_done(LinkInfo *l)
{
	free(l->alias);
	free(l->addrs);
}

void link_snapshot_done(LinkSnapshot *s)
{
	FOREACH_ARRAY(l, s->links, s->n)
	link_info_done(l);
	free(s->links);
	*s = (LinkSnapshot){};
}

static int link_info_compare(const void *a, const void *b)
{
	return strcmp(((const LinkInfo *)a)->name, ((const LinkInfo *)b)->name);
}

static LinkInfo *snapshot_by_ifindex(LinkSnapshot *s, int ifindex)
{
	FOREACH_ARRAY(l, s->links, s->n)
	if (l->ifindex == ifindex)
		return l;
	return NULL;
}

void link_info_set_alias(LinkInfo *l, const char *alias)
{
	free(l->alias);
	l->alias = isempty(alias) ? NULL : xstrdup(alias);
	l->alias_valid = l->alias && kname_parse_alias(l->alias, &l->parsed_alias) >= 0;
}

static void snapshot_add_link(LinkSnapshot *s, struct rtnl_link *link)
{
	LinkInfo *l = ARRAY_APPEND(s->links, s->n);
	const char *name = rtnl_link_get_name(link), *kind = rtnl_link_get_type(link),
		   *alias = rtnl_link_get_ifalias(link);
	int32_t netnsid;

	snprintf(l->name, sizeof(l->name), "%s", strempty(name));
	snprintf(l->kind, sizeof(l->kind), "%s", strempty(kind));
	l->ifindex = rtnl_link_get_ifindex(link);
	l->up = rtnl_link_get_flags(link) & IFF_UP;
	l->mtu = rtnl_link_get_mtu(link);
	l->group = rtnl_link_get_group(link);
	l->other_netns = rtnl_link_get_link_netnsid(link, &netnsid) >= 0;
	l->master = rtnl_link_get_master(link);
	l->lower = l->other_netns ? 0 : rtnl_link_get_link(link);
	l->peer = l->other_netns && streq(l->kind, "veth") ? rtnl_link_get_link(link) : 0;
	link_info_set_alias(l, alias);
}

static void snapshot_add_addr(LinkSnapshot *s, struct rtnl_addr *a)
{
	struct nl_addr *local = rtnl_addr_get_local(a);
	LinkInfo *l = snapshot_by_ifindex(s, rtnl_addr_get_ifindex(a));
	IpPrefix *p;
	int family;

	if (!l || !local)
		return;
	family = nl_addr_get_family(local);
	if ((family != AF_INET && family != AF_INET6) ||
	    nl_addr_get_len(local) != ipaddr_len(family))
		return;
	p = ARRAY_APPEND(l->addrs, l->n_addrs);
	p->addr.family = family;
	memcpy(p->addr.bytes, nl_addr_get_binary_addr(local), ipaddr_len(family));
	p->prefixlen = (uint8_t)rtnl_addr_get_prefixlen(a);
}

int link_snapshot(Netns *n, LinkSnapshot *ret)
{
	_cleanup_(nl_cache_freep) struct nl_cache *links = NULL, *addrs = NULL;
	LinkSnapshot s = {};
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
	if (r < 0)
		return nlerr_to_errno(r);
	r = rtnl_addr_alloc_cache(sk, &addrs);
	if (r < 0)
		return nlerr_to_errno(r);

	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o))
		snapshot_add_link(&s, (struct rtnl_link *)o);
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o))
		snapshot_add_addr(&s, (struct rtnl_addr *)o);
	FOREACH_ARRAY(l, s.links, s.n)
	if (l->n_addrs > 1)
		qsort(l->addrs, l->n_addrs, sizeof(IpPrefix),
		      (int (*)(const void *, const void *))ipprefix_compare);
	if (s.n > 1)
		qsort(s.links, s.n, sizeof(LinkInfo), link_info_compare);
	*ret = s;
	return 0;
}

const LinkInfo *link_snapshot_find(const LinkSnapshot *s, const char *name)
{
	LinkInfo key = {};

	if (!s->n)
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, s->links, s->n, sizeof(LinkInfo), link_info_compare);
}

char *link_alias(const char *ns_name, const char *role)
{
	return xasprintf(LINK_ALIAS_PREFIX "%s:%s", ns_name, role);
}

bool link_is_ours(const LinkInfo *l, const char *ns_name, const char *role)
{
	if (l->group != LINK_GROUP_VPNCONF)
		return false;
	if (!l->alias)
		return true;
	/* A malformed label (written from inside, say) makes the link
	 * foreign: never modified, never a source of names. */
	if (!l->alias_valid || !streq(l->parsed_alias.namespace, ns_name))
		return false;
	return !role || streq(role, l->parsed_alias.role == LINK_ROLE_TUNNEL_ID ? LINK_ROLE_TUNNEL
										 : LINK_ROLE_HOSTLINK);
}

char *link_alias_tunnel(const char *ns_name, const char *birthplace)
{
	return xasprintf(LINK_ALIAS_PREFIX "%s:" LINK_ROLE_TUNNEL "@%s", ns_name,
			 birthplace ?: "init");
}

const char *link_alias_birthplace(const LinkInfo *l)
{
	if (!l->alias_valid || l->parsed_alias.role != LINK_ROLE_TUNNEL_ID ||
	    isempty(l->parsed_alias.birthplace))
		return NULL;
	return l->parsed_alias.birthplace;
}

bool link_has_alias(const LinkInfo *l, const char *alias)
{
	return streq_ptr(l->alias, alias);
}

static int link_new_change(const char *ifname, struct rtnl_link **ret)
{
	struct rtnl_link *l = rtnl_link_alloc();

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, ifname);
	*ret = l;
	return 0;
}

/* Changes the link called ifname in n with one RTM_NEWLINK addressed by
 * name (ifi_index 0: the kernel looks it up by IFLA_IFNAME), with no
 * GETLINK round trip first. up < 0, alias NULL, mtu 0: leave as is. */
/* Sends m on sk and waits for the kernel's answer. */
static int link_send_ack(struct nl_sock *sk, struct nl_msg *m)
{
	int r = nl_send_auto(sk, m);

	if (r < 0)
		return nlerr_to_errno(r);
	return nlerr_to_errno(nl_wait_for_ack(sk));
}

/* The kernel's view of ifname in n; -ENODEV when there is none. */
static int link_get(Netns *n, const char *ifname, struct rtnl_link **ret)
{
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	r = nlerr_to_errno(rtnl_link_get_kernel(sk, 0, ifname, ret));
	return r == -ENOENT ? -ENODEV : r;
}

static int link_set(Netns *n, const char *ifname, int up, const char *alias, unsigned mtu)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	if (up >= 0) {
		ifi.ifi_change = IFF_UP;
		ifi.ifi_flags = up ? IFF_UP : 0;
	}
	m = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	if (!m)
		return -ENOMEM;
	if (nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, IFLA_IFNAME, ifname) < 0 ||
	    (alias && nla_put_string(m, IFLA_IFALIAS, alias) < 0) ||
	    (mtu && nla_put_u32(m, IFLA_MTU, mtu) < 0))
		return -EMSGSIZE;
	r = link_send_ack(sk, m);
	return r == -ENOENT ? -ENODEV : r;
}

int link_ifindex(Netns *n, const char *ifname)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	int r;

	r = link_get(n, ifname, &l);
	if (r < 0)
		return r;
	return rtnl_link_get_ifindex(l);
}

int link_group(Netns *n, const char *ifname, uint32_t *ret)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	int r;

	r = link_get(n, ifname, &l);
	if (r < 0)
		return r;
	*ret = rtnl_link_get_group(l);
	return 0;
}

/* Built by hand: libnl's veth helper does not carry IFLA_GROUP for the
 * peer, and the group is what marks both ends as vpnconf's from the
 * moment they exist. */
int link_veth_create(Netns *n, const char *name, const Netns *peer_ns, const char *peer)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nlattr *info, *data, *peer_attr;
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	m = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	if (!m)
		return -ENOMEM;
	if (nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, IFLA_IFNAME, name) < 0 ||
	    nla_put_u32(m, IFLA_GROUP, LINK_GROUP_VPNCONF) < 0)
		return -EMSGSIZE;
	info = nla_nest_start(m, IFLA_LINKINFO);
	if (!info || nla_put_string(m, IFLA_INFO_KIND, "veth") < 0)
		return -EMSGSIZE;
	data = nla_nest_start(m, IFLA_INFO_DATA);
	peer_attr = data ? nla_nest_start(m, VETH_INFO_PEER) : NULL;
	if (!peer_attr || nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, IFLA_IFNAME, peer) < 0 ||
	    nla_put_u32(m, IFLA_GROUP, LINK_GROUP_VPNCONF) < 0 ||
	    nla_put_u32(m, IFLA_NET_NS_FD, (uint32_t)peer_ns->fd) < 0)
		return -EMSGSIZE;
	nla_nest_end(m, peer_attr);
	nla_nest_end(m, data);
	nla_nest_end(m, info);

	return link_send_ack(sk, m);
}

int link_wireguard_create(Netns *birthplace, const Netns *dest, const char *name, unsigned mtu)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(birthplace, &sk);
	if (r < 0)
		return r;
	r = link_new_change(name, &l);
	if (r < 0)
		return r;
	r = rtnl_link_set_type(l, "wireguard");
	if (r < 0 && r != -NLE_OPNOTSUPP)
		return nlerr_to_errno(r);
	rtnl_link_set_group(l, LINK_GROUP_VPNCONF);
	rtnl_link_set_ns_fd(l, dest->fd);
	if (mtu > 0)
		rtnl_link_set_mtu(l, mtu);
	r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	return nlerr_to_errno(r);
}

int link_delete(Netns *n, const char *ifname)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	r = link_new_change(ifname, &l);
	if (r < 0)
		return r;
	r = rtnl_link_delete(sk, l);
	r = nlerr_to_errno(r);
	return r == -ENOENT ? -ENODEV : r;
}

int link_delete_group(Netns *n, uint32_t group)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	/* Neither index nor name: the kernel deletes every link of the
	 * group, all in one unregistration batch. */
	m = nlmsg_alloc_simple(RTM_DELLINK, 0);
	if (!m)
		return -ENOMEM;
	if (nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(m, IFLA_GROUP, group) < 0)
		return -EMSGSIZE;
	r = link_send_ack(sk, m);
	return r == -ENOENT ? -ENODEV : r;
}

int link_set_up(Netns *n, const char *ifname, bool up)
{
	return link_set(n, ifname, up, NULL, 0);
}

int link_set_mtu(Netns *n, const char *ifname, unsigned mtu)
{
	return link_set(n, ifname, -1, NULL, mtu);
}

int link_set_alias(Netns *n, const char *ifname, const char *alias)
{
	return link_set(n, ifname, -1, alias, 0);
}

int link_label_up(Netns *n, const char *ifname, const char *alias)
{
	return link_set(n, ifname, true, alias, 0);
}
