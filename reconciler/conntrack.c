/* SPDX-License-Identifier: MIT */
/* Flushing a namespace's conntrack table over ctnetlink (see conntrack.h). */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include "conntrack.h"
#include "nft-internal.h"

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
	/* ctnetlink is a netfilter subsystem: the namespace's nftables socket
	 * carries the request, no socket of its own. */
	uint8_t buf[64] __attribute__((aligned(NLMSG_ALIGNTO)));
	NftSocket *nft;
	int r;

	r = netns_nft(n, &nft);
	if (r < 0)
		return r;
	if (conntrack_build_flush(buf, sizeof(buf), 0) == 0)
		return -ENOBUFS;
	r = nft_socket_request(nft, (struct nlmsghdr *)buf, NULL, NULL, NULL);
	return r == -EOPNOTSUPP || r == -EPROTONOSUPPORT ? 0 : r;
}
