/* SPDX-License-Identifier: MIT */
/*
 * Port forwarding's lease file (pf-lease.h): the format, the strict
 * parser (the file is read back as untrusted input), and currency.
 */
#include "pf-lease.h"
#include "test.h"
#include "util.h"

TEST(lease_format_roundtrip)
{
	PfLease l = {.port = 51413, .granted_s = 1780000000, .expires_s = 1780000060, .epoch = 77};
	char buf[PF_LEASE_TEXT_MAX];
	PfLease back;

	pf_lease_format(&l, buf);
	ASSERT_STREQ(buf, "v1 51413 1780000000 1780000060 77\n");
	ASSERT_OK(pf_lease_parse(buf, &back));
	ASSERT_EQ(back.port, 51413);
	ASSERT_EQ(back.granted_s, 1780000000);
	ASSERT_EQ(back.expires_s, 1780000060);
	ASSERT_EQ(back.epoch, 77);
}

TEST(lease_parse_refuses_anything_else)
{
	static const char *const bad[] = {
	    "",
	    "v1 51413 1 2 3",          /* no newline */
	    "v1 51413 1 2 3\n\n",      /* trailing bytes */
	    "v1 0 1 2 3\n",            /* port 0 */
	    "v1 65536 1 2 3\n",        /* port out of range */
	    "v1 051413 1 2 3\n",       /* leading zero */
	    "v1 +5 1 2 3\n",           /* sign */
	    "v1 5 2 1 3\n",            /* expires before granted */
	    "v1 5 1 2 4294967296\n",   /* epoch beyond 32 bits */
	    "v1 5 1 2\n",              /* field missing */
	    "v2 5 1 2 3\n",            /* unknown version */
	    "v1  5 1 2 3\n",           /* double space */
	    "v1 5 1 99999999999999999999999 3\n",
	    "v1 5 1 2 3 4\n",
	};
	PfLease l;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (pf_lease_parse(bad[i], &l) != -EBADMSG)
			TEST_FAIL("accepted %zu: \"%s\"", i, bad[i]);
}

TEST(lease_current)
{
	PfLease l = {.port = 1, .granted_s = 100, .expires_s = 160};

	ASSERT_TRUE(pf_lease_current(&l, 100));
	ASSERT_TRUE(pf_lease_current(&l, 159));
	ASSERT_TRUE(!pf_lease_current(&l, 160));
	l.port = 0;
	ASSERT_TRUE(!pf_lease_current(&l, 100));
}

TEST(lease_far_future_is_not_current)
{
	PfLease l = {.port = 1, .granted_s = 100, .expires_s = 100 + PF_LEASE_REMAINING_MAX};

	ASSERT_TRUE(pf_lease_current(&l, 100));
	l.expires_s++;
	ASSERT_TRUE(!pf_lease_current(&l, 100));
	l.expires_s = UINT64_MAX;
	ASSERT_TRUE(!pf_lease_current(&l, 100));
}
