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
