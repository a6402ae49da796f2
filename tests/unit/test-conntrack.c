/* SPDX-License-Identifier: MIT */
/* The conntrack flush request, against its bytes. */
#include <linux/netfilter/nfnetlink.h>

#include "conntrack.h"
#include "test.h"

TEST(flush_request_bytes)
{
	/* struct nlmsghdr (little endian): len 20, type CTNETLINK<<8 |
	 * IPCTNL_MSG_CT_DELETE, flags REQUEST|ACK, seq 7, pid 0; then
	 * struct nfgenmsg: AF_UNSPEC, NFNETLINK_V0, res_id 0. No attribute:
	 * no tuple means every entry. */
	static const uint8_t want[] = {
		0x14, 0x00, 0x00, 0x00, 0x02, 0x01, 0x05, 0x00, 0x07, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t buf[64] __attribute__((aligned(4)));

	ASSERT_EQ(conntrack_build_flush(buf, sizeof(buf), 7), sizeof(want));
	ASSERT_MEMEQ(buf, want, sizeof(want));
	ASSERT_EQ(conntrack_build_flush(buf, 8, 7), 0);
}

/* A kernel without ctnetlink answers the flush with EINVAL (nfnetlink's
 * answer for an unregistered subsystem), which failed every policy
 * change: without connection tracking there is nothing to flush. */
TEST(flush_without_ctnetlink_is_not_an_error)
{
	ASSERT_TRUE(conntrack_error_is_unavailable(-EINVAL));
	ASSERT_TRUE(conntrack_error_is_unavailable(-EOPNOTSUPP));
	ASSERT_TRUE(conntrack_error_is_unavailable(-EPROTONOSUPPORT));
	ASSERT_FALSE(conntrack_error_is_unavailable(-EPERM));
	ASSERT_FALSE(conntrack_error_is_unavailable(-ENOBUFS));
	ASSERT_FALSE(conntrack_error_is_unavailable(0));

	ASSERT_EQ(conntrack_flush_classify(0, true), 0);
	ASSERT_EQ(conntrack_flush_classify(0, false), 0);
	ASSERT_EQ(conntrack_flush_classify(-EINVAL, false), 0);
	ASSERT_EQ(conntrack_flush_classify(-EOPNOTSUPP, false), 0);
	ASSERT_EQ(conntrack_flush_classify(-EPROTONOSUPPORT, false), 0);
	/* Connections tracked that vpnconf cannot flush: an error. */
	ASSERT_EQ(conntrack_flush_classify(-EINVAL, true), -EINVAL);
	ASSERT_EQ(conntrack_flush_classify(-EOPNOTSUPP, true), -EOPNOTSUPP);
	/* Anything else is an error either way. */
	ASSERT_EQ(conntrack_flush_classify(-EPERM, false), -EPERM);
	ASSERT_EQ(conntrack_flush_classify(-ENOMEM, false), -ENOMEM);
}
