/* SPDX-License-Identifier: MIT */
/* Adding and removing interface addresses (see addr.h). */
#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/route/addr.h>

#include "addr.h"
#include "link.h"
#include "nlerr.h"

DEFINE_CLEANUP_FUNC_NAMED(rtnl_addr_putp, struct rtnl_addr *, rtnl_addr_put);
DEFINE_CLEANUP_FUNC_NAMED(nl_addr_putp, struct nl_addr *, nl_addr_put);

static int addr_build(Netns *n, const char *ifname, const IpPrefix *p, struct rtnl_addr **ret)
{
	_cleanup_(rtnl_addr_putp) struct rtnl_addr *a = NULL;
	_cleanup_(nl_addr_putp) struct nl_addr *local = NULL;
	int ifindex, r;

	ifindex = link_ifindex(n, ifname);
	if (ifindex < 0)
		return ifindex;
	a = rtnl_addr_alloc();
	local = nl_addr_build(p->addr.family, p->addr.bytes, ipaddr_len(p->addr.family));
	if (!a || !local)
		return -ENOMEM;
	nl_addr_set_prefixlen(local, p->prefixlen);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, p->addr.family);
	r = rtnl_addr_set_local(a, local);
	if (r < 0)
		return nlerr_to_errno(r);
	rtnl_addr_set_prefixlen(a, p->prefixlen);
	if (p->addr.family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	*ret = TAKE_PTR(a);
	return 0;
}

static int addr_request(Netns *n, const char *ifname, const IpPrefix *p, bool add)
{
	_cleanup_(rtnl_addr_putp) struct rtnl_addr *a = NULL;
	struct nl_sock *sk;
	int r;

	r = netns_rtnl(n, &sk);
	if (r < 0)
		return r;
	r = addr_build(n, ifname, p, &a);
	if (r < 0)
		return r;
	return nlerr_to_errno(add ? rtnl_addr_add(sk, a, NLM_F_EXCL) : rtnl_addr_delete(sk, a, 0));
}

int addr_add(Netns *n, const char *ifname, const IpPrefix *p)
{
	return addr_request(n, ifname, p, true);
}

int addr_del(Netns *n, const char *ifname, const IpPrefix *p)
{
	return addr_request(n, ifname, p, false);
}
