/* SPDX-License-Identifier: MIT */
/* Flushing a namespace's conntrack table over ctnetlink (see conntrack.h). */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>
#include <time.h>

#include "conntrack.h"

size_t conntrack_build_flush(void *buf, size_t size, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
		return 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	/* No tuple: flush. Version 0 with AF_UNSPEC: every family. */
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh->nlmsg_len;
}

int conntrack_flush(Netns *n)
{
	_cleanup_close_ int fd = -EBADF;
	char buf[8192];
	uint32_t seq = (uint32_t)time(NULL);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	size_t len = conntrack_build_flush(buf, sizeof(buf), seq);
	ssize_t k;
	int r;

	fd = netns_socket(n, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (fd < 0)
		return fd;
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	for (;;) {
		k = recv(fd, buf, sizeof(buf), 0);
		if (k < 0)
			return errno == EINTR ? 0 : negative_errno();
		r = mnl_cb_run(buf, (size_t)k, seq, 0, NULL, NULL);
		if (r == MNL_CB_STOP)
			return 0;
		if (r < 0) {
			r = negative_errno();
			return r == -EOPNOTSUPP || r == -EPROTONOSUPPORT ? 0 : r;
		}
	}
}
