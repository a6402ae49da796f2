/* SPDX-License-Identifier: MIT */
/*
 * The agent's netlink event sources. Inside each confinement namespace
 * every object is vpnconf's, so any rtnetlink (links, addresses, routes)
 * or nftables message marks the namespace dirty. In the namespace vpnconf
 * runs in, only vpnconf's objects matter: links in vpnconf's interface
 * group or named like a host link, their addresses, and nftables tables
 * named vpnconf*; everything else (a busy host) is read and dropped. In a
 * named socket namespace only the pinning tables matter.
 *
 * Messages are read into one fixed buffer, at most a bounded number per
 * wake-up, so a storm neither grows memory nor starves the loop. A socket
 * overrun (ENOBUFS: the kernel dropped messages) marks everything the
 * socket covers dirty: lost events are never lost drift.
 */
#include <linux/if_addr.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "netns.h"

#define WATCH_RCVBUF (1 << 20)
#define WATCH_BATCH 256 /* messages per wake-up */

static uint8_t buf[64 * 1024] __attribute__((aligned(NLMSG_ALIGNTO)));

static Watch *watch_free(Watch *w)
{
	if (!w)
		return NULL;
	sd_event_source_disable_unref(w->rtnl_src);
	sd_event_source_disable_unref(w->nft_src);
	safe_close(w->rtnl_fd);
	safe_close(w->nft_fd);
	free(w->name);
	free(w);
	return NULL;
}

static const struct rtattr *rta_find(const struct nlmsghdr *h, size_t hdrlen, unsigned short type)
{
	int len = (int)h->nlmsg_len - (int)NLMSG_SPACE(hdrlen);
	const struct rtattr *a = (const struct rtattr *)((const uint8_t *)NLMSG_DATA(h) +
							 NLMSG_ALIGN(hdrlen));

	for (; len > 0 && RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == type)
			return a;
	return NULL;
}

/* A bounded copy of a string attribute (kernel data: not trusted to be
 * terminated). */
static void rta_string(const struct rtattr *a, char *out, size_t size)
{
	size_t n = a ? MIN((size_t)RTA_PAYLOAD(a), size - 1) : 0;

	memcpy(out, a ? RTA_DATA(a) : "", n);
	out[n] = 0;
	out[strnlen(out, n)] = 0;
}

static const Namespace *ns_by_host_if(const Desired *d, const char *ifname)
{
	FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
	if (ns->host_link && streq(ns->host_if, ifname))
		return ns;
	return NULL;
}

/* The namespace whose host link a link of the host sits on (a macvlan or
 * vlan made on it: frames for it would pass the host-side table), or
 * NULL. */
static const Namespace *ns_by_lower(const Desired *d, const struct nlmsghdr *h)
{
	const struct rtattr *a = rta_find(h, sizeof(struct ifinfomsg), IFLA_LINK);
	char lower[IFNAMSIZ];

	if (!a || RTA_PAYLOAD(a) < 4 || rta_find(h, sizeof(struct ifinfomsg), IFLA_LINK_NETNSID))
		return NULL;
	if (!if_indextoname(*(const uint32_t *)RTA_DATA(a), lower))
		return NULL;
	return ns_by_host_if(d, lower);
}

/* A link or address message in our own namespace. */
static void self_rtnl(Watch *w, const struct nlmsghdr *h)
{
	Daemon *d = w->daemon;
	char ifname[IFNAMSIZ];
	const Namespace *ns;

	if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) {
		const struct rtattr *g = rta_find(h, sizeof(struct ifinfomsg), IFLA_GROUP);
		bool ours = g && RTA_PAYLOAD(g) >= 4 && *(const uint32_t *)RTA_DATA(g) == LINK_GROUP_VPNCONF;

		rta_string(rta_find(h, sizeof(struct ifinfomsg), IFLA_IFNAME), ifname, sizeof(ifname));
		ns = ns_by_host_if(d->desired, ifname);
		if (!ns)
			ns = ns_by_lower(d->desired, h);
		if (ns)
			daemon_mark(d, ns->name);
		else if (ours)
			daemon_mark_all(d);
	} else if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
		const struct ifaddrmsg *ifa = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
			return;
		if (!if_indextoname(ifa->ifa_index, ifname))
			return; /* the link is gone: its own message says so */
		ns = ns_by_host_if(d->desired, ifname);
		if (ns)
			daemon_mark(d, ns->name);
	}
}

/* An nftables message outside the confinement namespaces: only tables
 * named vpnconf* matter. Every nftables object message carries its
 * table's name as attribute 1. */
static void outside_nft(Watch *w, const struct nlmsghdr *h)
{
	char table[256];
	const char *rest;

	if (NFNL_SUBSYS_ID(h->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return;
	rta_string(rta_find(h, sizeof(struct nfgenmsg), 1), table, sizeof(table));
	if (!startswith(table, "vpnconf"))
		return;
	rest = startswith(table, "vpnconf-pin-");
	if (rest)
		daemon_mark(w->daemon, rest);
	else if (!w->birthplace || !w->name)
		daemon_mark_all(w->daemon);
}

static void handle(Watch *w, bool nft, const struct nlmsghdr *h)
{
	if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR ||
	    h->nlmsg_type == NLMSG_NOOP)
		return;
	if (!w->birthplace) {
		daemon_mark(w->daemon, w->name);
		return;
	}
	if (nft)
		outside_nft(w, h);
	else if (!w->name)
		self_rtnl(w, h);
}

static void overrun(Watch *w)
{
	Daemon *d = w->daemon;

	d->overruns++;
	log_warning("kernel events lost in namespace %s (socket overrun); re-checking",
		    w->name ?: "init");
	log_event(LOG_WARNING, VPNCONF_MESSAGE_EVENTS_LOST, w->birthplace ? NULL : w->name, NULL,
		  "overrun",
		  "vpnconf daemon: kernel events lost in namespace %s (socket overrun); "
		  "re-checking everything",
		  w->name ?: "init");
	if (w->birthplace)
		daemon_mark_full(d);
	else
		daemon_mark(d, w->name);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Watch *w = userdata;
	bool nft = fd == w->nft_fd;

	for (unsigned i = 0; i < WATCH_BATCH; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ENOBUFS) {
				overrun(w);
				continue;
			}
			break; /* EAGAIN, or nothing to read: done for now */
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			handle(w, nft, h);
	}
	daemon_schedule(w->daemon);
	return 0;
}

static int open_socket(const Netns *n, int protocol, const unsigned *groups, size_t n_groups)
{
	_cleanup_close_ int fd = netns_socket(n, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, protocol);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int size = WATCH_RCVBUF;

	if (fd < 0)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	for (size_t i = 0; i < n_groups; i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i])) < 0)
			return negative_errno();
	return TAKE_FD(fd);
}

static int watch_open(Daemon *d, const char *name, bool birthplace, Watch **ret)
{
	static const unsigned rtnl_ns[] = {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
					   RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE};
	static const unsigned rtnl_self[] = {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
					     RTNLGRP_IPV6_IFADDR};
	static const unsigned nft[] = {NFNLGRP_NFTABLES};
	_cleanup_(netns_freep) Netns *n = NULL;
	Watch *w;
	int r;

	r = name ? netns_open(d->desired->netns_dir, name, &n) : netns_open_self(&n);
	if (r < 0)
		return r;
	w = xcalloc(1, sizeof(*w));
	*w = (Watch){.daemon = d,
		     .name = name ? xstrdup(name) : NULL,
		     .birthplace = birthplace,
		     .dev = n->dev,
		     .ino = n->ino,
		     .rtnl_fd = -EBADF,
		     .nft_fd = -EBADF};
	/* A named socket namespace holds only pinning tables of vpnconf's. */
	if (!birthplace || !name) {
		w->rtnl_fd = birthplace ? open_socket(n, NETLINK_ROUTE, rtnl_self, ELEMENTSOF(rtnl_self))
					: open_socket(n, NETLINK_ROUTE, rtnl_ns, ELEMENTSOF(rtnl_ns));
		if (w->rtnl_fd < 0)
			goto fail;
		r = sd_event_add_io(d->event, &w->rtnl_src, w->rtnl_fd, EPOLLIN, on_readable, w);
		if (r < 0)
			goto fail;
	}
	w->nft_fd = open_socket(n, NETLINK_NETFILTER, nft, ELEMENTSOF(nft));
	if (w->nft_fd < 0)
		goto fail;
	r = sd_event_add_io(d->event, &w->nft_src, w->nft_fd, EPOLLIN, on_readable, w);
	if (r < 0)
		goto fail;
	*ret = w;
	return 0;
fail:
	r = w->rtnl_fd < 0 && w->rtnl_fd != -EBADF ? w->rtnl_fd : w->nft_fd < 0 ? w->nft_fd : r;
	watch_free(w);
	return r < 0 ? r : -EIO;
}

/* The identity of the namespace under <netnsDir>/<name> now, or false. */
static bool identity(const Daemon *d, const char *name, dev_t *dev, ino_t *ino)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (!name) {
		if (stat("/proc/self/ns/net", &st) < 0)
			return false;
	} else {
		struct statfs sfs;

		p = xasprintf("%s/%s", d->desired->netns_dir, name);
		if (statfs(p, &sfs) < 0 || sfs.f_type != NSFS_MAGIC || stat(p, &st) < 0)
			return false;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return true;
}

typedef struct Want {
	const char *name;
	bool birthplace;
} Want;

static void want_add(Want **l, size_t *n, const char *name, bool birthplace)
{
	FOREACH_ARRAY(x, *l, *n)
	if (streq_ptr(x->name, name) && x->birthplace == birthplace)
		return;
	*ARRAY_APPEND(*l, *n) = (Want){name, birthplace};
}

static Watch *find(Daemon *d, const Want *x)
{
	for (size_t i = 0; i < d->n_watches; i++)
		if (streq_ptr(d->watches[i]->name, x->name) && d->watches[i]->birthplace == x->birthplace)
			return d->watches[i];
	return NULL;
}

void daemon_netlink_refresh(Daemon *d)
{
	_cleanup_free_ Want *want = NULL;
	Watch **keep = NULL;
	size_t n_want = 0, n_keep = 0;

	want_add(&want, &n_want, NULL, true);
	FOREACH_ARRAY(ns, d->desired->namespaces, d->desired->n_namespaces)
	{
		want_add(&want, &n_want, ns->name, false);
		if (ns->wg.socket_namespace)
			want_add(&want, &n_want, ns->wg.socket_namespace, true);
	}
	FOREACH_ARRAY(x, want, n_want)
	{
		Watch *w = find(d, x);
		dev_t dev;
		ino_t ino;
		int r;

		if (!identity(d, x->name, &dev, &ino))
			continue; /* absent: closed below; its path's return is a mount event */
		if (w && w->dev == dev && w->ino == ino) {
			keep = xrealloc(keep, (n_keep + 1) * sizeof(*keep));
			keep[n_keep++] = w;
			continue;
		}
		r = watch_open(d, x->name, x->birthplace, &w);
		if (r < 0) {
			log_warning("cannot watch namespace %s: %s", x->name ?: "init", strerror(-r));
			continue;
		}
		keep = xrealloc(keep, (n_keep + 1) * sizeof(*keep));
		keep[n_keep++] = w;
		/* What happened before the watch was open is seen by a pass. */
		if (x->birthplace)
			daemon_mark(d, x->name);
		else
			agent_sched_mark(&d->sched, x->name);
	}
	/* Close what is not kept: a socket inside a namespace keeps that
	 * namespace alive, so a namespace that went away must not be held. */
	for (size_t i = 0; i < d->n_watches; i++) {
		bool kept = false;

		for (size_t k = 0; k < n_keep; k++)
			kept = kept || keep[k] == d->watches[i];
		if (!kept)
			watch_free(d->watches[i]);
	}
	free(d->watches);
	d->watches = keep;
	d->n_watches = n_keep;
}

void daemon_netlink_free(Daemon *d)
{
	for (size_t i = 0; i < d->n_watches; i++)
		watch_free(d->watches[i]);
	free(d->watches);
	d->watches = NULL;
	d->n_watches = 0;
}
