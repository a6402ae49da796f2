/* SPDX-License-Identifier: MIT */
/* Flushing a namespace's conntrack table over ctnetlink (see conntrack.h). */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include "conntrack.h"
#include "nft-internal.h"
#include "sysctl.h"

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

bool conntrack_error_is_unavailable(int r)
{
	/* nfnetlink answers a message for a subsystem nobody registered
	 * (ctnetlink not built, its module absent) with EINVAL, after
	 * trying to load "nfnetlink-subsys-1"; older kernels and other
	 * netlink layers say EOPNOTSUPP; a kernel without nfnetlink at all
	 * refuses the socket with EPROTONOSUPPORT. */
	return r == -EINVAL || r == -EOPNOTSUPP || r == -EPROTONOSUPPORT;
}

int conntrack_flush_classify(int r, bool conntrack_loaded)
{
	if (r >= 0)
		return 0;
	if (!conntrack_error_is_unavailable(r))
		return r;
	/* Without connection tracking in the namespace nothing is tracked:
	 * no connection survives a policy change, nothing is to flush. With
	 * it, connections are tracked that vpnconf cannot reach: an error. */
	return conntrack_loaded ? r : 0;
}

static int conntrack_loaded(const Netns *n)
{
	static const char *const keys[] = {"net/netfilter/nf_conntrack_count"};
	int v;
	int r = sysctl_read_ints(n, keys, 1, &v);

	return r < 0 ? r : v >= 0;
}

int conntrack_flush(Netns *n)
{
	/* ctnetlink is a netfilter subsystem: the namespace's nftables socket
	 * carries the request, no socket of its own. */
	uint8_t buf[64] __attribute__((aligned(NLMSG_ALIGNTO)));
	NftSocket *nft;
	int r, k;

	if (conntrack_build_flush(buf, sizeof(buf), 0) == 0)
		return -ENOBUFS;
	r = netns_nft(n, &nft);
	if (r >= 0)
		r = nft_socket_request(nft, (struct nlmsghdr *)buf, NULL, NULL, NULL);
	if (r >= 0 || !conntrack_error_is_unavailable(r))
		return r;
	k = conntrack_loaded(n);
	if (k < 0)
		return r;
	return conntrack_flush_classify(r, k > 0);
}
