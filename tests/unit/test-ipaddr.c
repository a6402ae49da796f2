/* SPDX-License-Identifier: MIT */
/* Address and prefix parsing strictness, formatting and range merging. */
#include <arpa/inet.h>

#include "ipaddr.h"
#include "test.h"
#include "util.h"

static const char *fmt_addr(const IpAddr *a)
{
	static char buf[IPADDR_STRLEN];
	return ipaddr_to_string(a, buf);
}

static const char *fmt_prefix(const IpPrefix *p)
{
	static char buf[IPPREFIX_STRLEN];
	return ipprefix_to_string(p, buf);
}

TEST(ipaddr_parse_ipv4)
{
	IpAddr a;

	ASSERT_OK(ipaddr_parse("1.2.3.4", &a));
	ASSERT_EQ(a.family, AF_INET);
	ASSERT_STREQ(fmt_addr(&a), "1.2.3.4");
	ASSERT_OK(ipaddr_parse("0.0.0.0", &a));
	ASSERT_OK(ipaddr_parse("255.255.255.255", &a));
	ASSERT_STREQ(fmt_addr(&a), "255.255.255.255");
	ASSERT_OK(ipaddr_parse("10.0.0.0", &a));
}

TEST(ipaddr_parse_ipv4_refuses_ambiguous_forms)
{
	IpAddr a = {.family = 12345};

	ASSERT_ERR(ipaddr_parse("1.2.3", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("10.1", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("01.2.3.4", &a), EINVAL); /* octal to inet_aton() */
	ASSERT_ERR(ipaddr_parse("1.2.3.04", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("0x7f.0.0.1", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("256.0.0.1", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("1.2.3.4.5", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("1.2.3.", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse(" 1.2.3.4", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("1.2.3.4 ", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("1.2.3.1000", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("example.com", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("1.2.3.4/32", &a), EINVAL);
	ASSERT_EQ(a.family, 12345); /* untouched on failure */
}

TEST(ipaddr_parse_ipv6)
{
	IpAddr a;

	ASSERT_OK(ipaddr_parse("::1", &a));
	ASSERT_EQ(a.family, AF_INET6);
	ASSERT_STREQ(fmt_addr(&a), "::1");
	ASSERT_OK(ipaddr_parse("FD00:0:0::2", &a));
	ASSERT_STREQ(fmt_addr(&a), "fd00::2");
	ASSERT_OK(ipaddr_parse("::ffff:1.2.3.4", &a));
	ASSERT_EQ(a.family, AF_INET6);
	ASSERT_ERR(ipaddr_parse("::1%eth0", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("[::1]", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("1::2::3", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("fe80::1%1", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse(":::", &a), EINVAL);
	ASSERT_ERR(ipaddr_parse("::1 ", &a), EINVAL);
}

TEST(ipprefix_parse_lengths)
{
	IpPrefix p = {.prefixlen = 99};

	ASSERT_OK(ipprefix_parse("10.0.0.0/8", true, &p));
	ASSERT_EQ(p.prefixlen, 8);
	ASSERT_STREQ(fmt_prefix(&p), "10.0.0.0/8");
	ASSERT_OK(ipprefix_parse("1.2.3.4", true, &p));
	ASSERT_EQ(p.prefixlen, 32);
	ASSERT_OK(ipprefix_parse("fd00::1", true, &p));
	ASSERT_EQ(p.prefixlen, 128);
	ASSERT_OK(ipprefix_parse("0.0.0.0/0", true, &p));
	ASSERT_EQ(p.prefixlen, 0);
	ASSERT_OK(ipprefix_parse("::/0", true, &p));
	ASSERT_OK(ipprefix_parse("fd00::/128", true, &p));

	p.prefixlen = 99;
	ASSERT_ERR(ipprefix_parse("1.2.3.4/33", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("::/129", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("1.2.3.4/", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("1.2.3.4/+8", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("1.2.3.4/ 8", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("1.2.3.4/08", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("1.2.3.4/8/8", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("1.2.3/24", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("/24", false, &p), EINVAL);
	ASSERT_ERR(ipprefix_parse("::1%lo/128", false, &p), EINVAL);
	ASSERT_EQ(p.prefixlen, 99);
}

TEST(ipprefix_parse_host_bits)
{
	IpPrefix p;

	ASSERT_ERR(ipprefix_parse("10.0.0.1/8", true, &p), EINVAL);
	ASSERT_OK(ipprefix_parse("10.0.0.1/8", false, &p));
	ASSERT_STREQ(fmt_prefix(&p), "10.0.0.1/8"); /* kept as written */
	ASSERT_ERR(ipprefix_parse("fd00::1/64", true, &p), EINVAL);
	ASSERT_OK(ipprefix_parse("fd00::1/64", false, &p));
	ASSERT_ERR(ipprefix_parse("10.0.0.3/31", true, &p), EINVAL);
	ASSERT_OK(ipprefix_parse("10.0.0.2/31", true, &p));
	ASSERT_OK(ipprefix_parse("10.128.0.0/9", true, &p));
	ASSERT_ERR(ipprefix_parse("10.192.0.0/9", true, &p), EINVAL);
}

TEST(ipaddr_compare_orders_families)
{
	IpAddr a, b;

	ASSERT_OK(ipaddr_parse("255.255.255.255", &a));
	ASSERT_OK(ipaddr_parse("::", &b));
	ASSERT_TRUE(ipaddr_compare(&a, &b) < 0);
	ASSERT_OK(ipaddr_parse("10.0.0.1", &b));
	ASSERT_TRUE(ipaddr_compare(&b, &a) < 0);
	ASSERT_FALSE(ipaddr_equal(&a, &b));
	ASSERT_OK(ipaddr_parse("10.0.0.1", &a));
	ASSERT_TRUE(ipaddr_equal(&a, &b));
}

TEST(ipprefix_contains_and_range)
{
	IpPrefix p;
	IpAddr a;
	IpRange r;

	ASSERT_OK(ipprefix_parse("192.0.2.0/24", true, &p));
	ASSERT_OK(ipaddr_parse("192.0.2.77", &a));
	ASSERT_TRUE(ipprefix_contains(&p, &a));
	ASSERT_OK(ipaddr_parse("192.0.3.0", &a));
	ASSERT_FALSE(ipprefix_contains(&p, &a));
	ASSERT_OK(ipaddr_parse("::ffff:192.0.2.1", &a));
	ASSERT_FALSE(ipprefix_contains(&p, &a));

	ipprefix_range(&p, &r);
	ASSERT_STREQ(fmt_addr(&r.first), "192.0.2.0");
	ASSERT_STREQ(fmt_addr(&r.last), "192.0.2.255");
	ASSERT_OK(ipprefix_parse("fd00::/62", true, &p));
	ipprefix_range(&p, &r);
	ASSERT_STREQ(fmt_addr(&r.last), "fd00::3:ffff:ffff:ffff:ffff");
	ASSERT_OK(ipprefix_parse("0.0.0.0/0", true, &p));
	ipprefix_range(&p, &r);
	ASSERT_STREQ(fmt_addr(&r.first), "0.0.0.0");
	ASSERT_STREQ(fmt_addr(&r.last), "255.255.255.255");
	/* A non-strict prefix's range is its network's. */
	ASSERT_OK(ipprefix_parse("10.1.2.3/16", false, &p));
	ipprefix_range(&p, &r);
	ASSERT_STREQ(fmt_addr(&r.first), "10.1.0.0");
	ASSERT_STREQ(fmt_addr(&r.last), "10.1.255.255");
}

TEST(ipaddr_increment_overflow)
{
	IpAddr a;

	ASSERT_OK(ipaddr_parse("10.0.0.255", &a));
	ASSERT_TRUE(ipaddr_increment(&a));
	ASSERT_STREQ(fmt_addr(&a), "10.0.1.0");
	ASSERT_OK(ipaddr_parse("255.255.255.255", &a));
	ASSERT_FALSE(ipaddr_increment(&a));
	ASSERT_OK(ipaddr_parse("::ffff:ffff", &a));
	ASSERT_TRUE(ipaddr_increment(&a));
	ASSERT_STREQ(fmt_addr(&a), "::1:0:0");
}

static size_t merge(const char *const *list, int family, IpRange **ret)
{
	IpPrefix p[16];
	size_t n = 0;

	for (; list[n]; n++)
		if (ipprefix_parse(list[n], true, &p[n]) < 0)
			TEST_FAIL("bad prefix %s", list[n]);
	return ipprefix_merge_ranges(p, n, family, ret);
}

static void assert_range(const IpRange *r, const char *first, const char *last)
{
	char a[IPADDR_STRLEN], b[IPADDR_STRLEN];

	ASSERT_STREQ(ipaddr_to_string(&r->first, a), first);
	ASSERT_STREQ(ipaddr_to_string(&r->last, b), last);
}

TEST(ipprefix_merge_overlapping_and_adjacent)
{
	static const char *const list[] = {
		"10.0.1.0/24", "192.0.2.0/24", "10.0.0.0/24", /* adjacent: 10.0.0.0-10.0.1.255 */
		"10.0.0.128/25",			       /* inside */
		"192.0.2.0/25",				       /* duplicate start */
		"fd00::/64",				       /* other family: ignored */
		"10.0.3.0/24",				       /* gap at 10.0.2.0/24 */
		NULL,
	};
	_cleanup_free_ IpRange *r = NULL;
	size_t n = merge(list, AF_INET, &r);

	ASSERT_EQ(n, 3);
	assert_range(&r[0], "10.0.0.0", "10.0.1.255");
	assert_range(&r[1], "10.0.3.0", "10.0.3.255");
	assert_range(&r[2], "192.0.2.0", "192.0.2.255");
}

TEST(ipprefix_merge_everything)
{
	static const char *const list[] = {"10.0.0.0/8", "0.0.0.0/0", "255.255.255.255/32",
					   "128.0.0.0/1", NULL};
	_cleanup_free_ IpRange *r = NULL;

	ASSERT_EQ(merge(list, AF_INET, &r), 1);
	assert_range(&r[0], "0.0.0.0", "255.255.255.255");
}

TEST(ipprefix_merge_halves_and_ipv6)
{
	static const char *const halves[] = {"128.0.0.0/1", "0.0.0.0/1", NULL};
	static const char *const v6[] = {"fd00::/64", "fd00:0:0:1::/64", "10.0.0.0/8", "::/128",
					 "::1/128", "fd00::5/128", NULL};
	_cleanup_free_ IpRange *r = NULL, *r6 = NULL, *none = NULL;

	ASSERT_EQ(merge(halves, AF_INET, &r), 1);
	assert_range(&r[0], "0.0.0.0", "255.255.255.255");
	ASSERT_EQ(merge(v6, AF_INET6, &r6), 2);
	assert_range(&r6[0], "::", "::1");
	assert_range(&r6[1], "fd00::", "fd00::1:ffff:ffff:ffff:ffff");
	ASSERT_EQ(merge(halves, AF_INET6, &none), 0);
	ASSERT_TRUE(none == NULL);
}
