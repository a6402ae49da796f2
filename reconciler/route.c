/* SPDX-License-Identifier: MIT */
/* vpnconf's routes inside a namespace (see route.h). */
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "link.h"
#include "nlerr.h"
#include "route.h"

DEFINE_CLEANUP_FUNC_NAMED(rtnl_route_putp, struct rtnl_route *, rtnl_route_put);
DEFINE_CLEANUP_FUNC_NAMED(nl_cache_freep, struct nl_cache *, nl_cache_free);
DEFINE_CLEANUP_FUNC_NAMED(nl_addr_putp, struct nl_addr *, nl_addr_put);

static int route_info_compare(const void *a, const void *b)
{
	const RouteInfo *x = a, *y = b;
	int c = ipprefix_compare(&x->dst, &y->dst);
	return c ? c : (x->oif > y->oif) - (x->oif < y->oif);
}

int route_list(Netns *n, RouteInfo **ret, size_t *ret_n)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	_cleanup_free_ RouteInfo *routes = NULL;
	size_t count = 0;
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	r = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &cache);
	if (r < 0)
		return nlerr_to_errno(r);

	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rt);
		struct rtnl_nexthop *nh;
		RouteInfo *ri;
		int family;

		if (rtnl_route_get_protocol(rt) != ROUTE_PROTOCOL_VPNCONF ||
		    rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
		    rtnl_route_get_type(rt) != RTN_UNICAST || !dst)
			continue;
		family = rtnl_route_get_family(rt);
		if (family != AF_INET && family != AF_INET6)
			continue;
		ri = ARRAY_APPEND(routes, count);
		ri->dst.addr.family = family;
		/* A default route's destination has length 0. */
		if (nl_addr_get_len(dst) == ipaddr_len(family))
			memcpy(ri->dst.addr.bytes, nl_addr_get_binary_addr(dst), ipaddr_len(family));
		ri->dst.prefixlen = (uint8_t)nl_addr_get_prefixlen(dst);
		nh = rtnl_route_get_nnexthops(rt) > 0 ? rtnl_route_nexthop_n(rt, 0) : NULL;
		ri->oif = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
	}
	if (count > 1)
		qsort(routes, count, sizeof(RouteInfo), route_info_compare);
	*ret = TAKE_PTR(routes);
	*ret_n = count;
	return 0;
}

static int route_build(const IpPrefix *dst, int oif, struct rtnl_route **ret)
{
	_cleanup_(rtnl_route_putp) struct rtnl_route *rt = NULL;
	_cleanup_(nl_addr_putp) struct nl_addr *a = NULL;
	struct rtnl_nexthop *nh;
	int r;

	rt = rtnl_route_alloc();
	a = nl_addr_build(dst->addr.family, dst->addr.bytes, ipaddr_len(dst->addr.family));
	nh = rtnl_route_nh_alloc();
	if (!rt || !a || !nh) {
		rtnl_route_nh_free(nh);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(a, dst->prefixlen);
	rtnl_route_set_family(rt, (uint8_t)dst->addr.family);
	r = rtnl_route_set_dst(rt, a);
	if (r < 0) {
		rtnl_route_nh_free(nh);
		return nlerr_to_errno(r);
	}
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, ROUTE_PROTOCOL_VPNCONF);
	rtnl_route_set_scope(rt, RT_SCOPE_LINK);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_nh_set_ifindex(nh, oif);
	rtnl_route_add_nexthop(rt, nh);
	*ret = TAKE_PTR(rt);
	return 0;
}

int route_add(Netns *n, const IpPrefix *dst, const char *ifname)
{
	_cleanup_(rtnl_route_putp) struct rtnl_route *rt = NULL;
	struct nl_sock *sk;
	int oif, r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	oif = link_ifindex(n, ifname);
	if (oif < 0)
		return oif;
	r = route_build(dst, oif, &rt);
	if (r < 0)
		return r;
	return nlerr_to_errno(rtnl_route_add(sk, rt, NLM_F_EXCL));
}

int route_del(Netns *n, const IpPrefix *dst, int oif)
{
	_cleanup_(rtnl_route_putp) struct rtnl_route *rt = NULL;
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	r = route_build(dst, oif, &rt);
	if (r < 0)
		return r;
	return nlerr_to_errno(rtnl_route_delete(sk, rt, 0));
}
