/* SPDX-License-Identifier: MIT */
/*
 * Kernel-supplied names (link aliases, ownership markers) are untrusted:
 * each parser accepts exactly what vpnconf writes and refuses the rest.
 */
#include "kname.h"
#include "link.h"
#include "test.h"

static int alias(const char *s, LinkAlias *a)
{
	*a = (LinkAlias){};
	return kname_parse_alias(s, a);
}

TEST(alias_well_formed)
{
	LinkAlias a;

	ASSERT_OK(alias("vpnconf:vpnapps:hostlink", &a));
	ASSERT_STREQ(a.namespace, "vpnapps");
	ASSERT_EQ(a.role, LINK_ROLE_HOSTLINK_ID);
	ASSERT_STREQ(a.birthplace, "");
	ASSERT_OK(alias("vpnconf:a.b-c_d:tunnel", &a));
	ASSERT_EQ(a.role, LINK_ROLE_TUNNEL_ID);
	ASSERT_STREQ(a.birthplace, "");
	ASSERT_OK(alias("vpnconf:t:tunnel@init", &a));
	ASSERT_STREQ(a.birthplace, "init");
	ASSERT_OK(alias("vpnconf:t:tunnel@uplink", &a));
	ASSERT_STREQ(a.birthplace, "uplink");

	/* What vpnconf writes parses back. */
	_cleanup_free_ char *h = link_alias("x", LINK_ROLE_HOSTLINK);
	_cleanup_free_ char *t = link_alias_tunnel("x", NULL);
	ASSERT_OK(alias(h, &a));
	ASSERT_OK(alias(t, &a));
	ASSERT_STREQ(a.birthplace, "init");
}

TEST(alias_not_vpnconfs)
{
	LinkAlias a;

	ASSERT_ERR(alias(NULL, &a), ENOMSG);
	ASSERT_ERR(alias("", &a), ENOMSG);
	ASSERT_ERR(alias("uplink to the office", &a), ENOMSG);
	ASSERT_ERR(alias("VPNCONF:t:tunnel", &a), ENOMSG);
}

/* A label written from inside the namespace made vpnconf open
 * <netnsDir>/../../some/path and delete a pinning table there. */
TEST(alias_hostile_birthplace_is_refused)
{
	LinkAlias a;

	ASSERT_ERR(alias("vpnconf:t:tunnel@../../some/path", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@..", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@/run/netns/x", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@a/b", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@a@b", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@a b", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@a\nb", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@-a", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel@"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			 &a),
		   EINVAL);
	/* A host link has no socket namespace. */
	ASSERT_ERR(alias("vpnconf:t:hostlink@init", &a), EINVAL);
}

TEST(alias_hostile_namespace_or_role_is_refused)
{
	LinkAlias a;

	ASSERT_ERR(alias("vpnconf:", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf::tunnel", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:../x:tunnel", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:init:tunnel", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnelx", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:tunnel:x", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:host", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:t:x:hostlink", &a), EINVAL);
	ASSERT_ERR(alias("vpnconf:"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:tunnel",
			 &a),
		   EINVAL);
}

/* A link in vpnconf's group with a malformed label is foreign: never a
 * source of names, never modified. */
TEST(malformed_alias_makes_the_link_foreign)
{
	LinkInfo l = {.group = LINK_GROUP_VPNCONF};

	link_info_set_alias(&l, "vpnconf:t:tunnel@../../some/path");
	ASSERT_FALSE(link_is_ours(&l, "t", NULL));
	ASSERT_TRUE(link_alias_birthplace(&l) == NULL);
	link_info_set_alias(&l, "vpnconf:t:tunnel@uplink");
	ASSERT_TRUE(link_is_ours(&l, "t", LINK_ROLE_TUNNEL));
	ASSERT_FALSE(link_is_ours(&l, "t", LINK_ROLE_HOSTLINK));
	ASSERT_FALSE(link_is_ours(&l, "u", NULL));
	ASSERT_STREQ(link_alias_birthplace(&l), "uplink");
	/* "t" is not a prefix match of "tt". */
	link_info_set_alias(&l, "vpnconf:tt:tunnel");
	ASSERT_FALSE(link_is_ours(&l, "t", NULL));
	link_info_set_alias(&l, NULL);
	ASSERT_TRUE(link_is_ours(&l, "t", LINK_ROLE_TUNNEL));
	l.group = 0;
	ASSERT_FALSE(link_is_ours(&l, "t", NULL));
	free(l.alias);
}

static int marker(const char *s, NetnsMarker *m)
{
	*m = (NetnsMarker){};
	return kname_parse_marker(s, strlen(s), m);
}

TEST(marker_forms)
{
	_cleanup_free_ char *w = kname_format_marker(18446744073709551615ULL);
	NetnsMarker m;

	ASSERT_OK(marker("cookie:4097\n", &m));
	ASSERT_FALSE(m.legacy);
	ASSERT_EQ(m.cookie, 4097);
	ASSERT_OK(marker(w, &m));
	ASSERT_EQ(m.cookie, 18446744073709551615ULL);
	ASSERT_OK(marker("4:4026532300\n", &m));
	ASSERT_TRUE(m.legacy);
	ASSERT_EQ(m.dev, 4);
	ASSERT_EQ(m.ino, 4026532300);
}

TEST(marker_malformed_is_refused)
{
	NetnsMarker m;

	ASSERT_ERR(marker("", &m), EINVAL);
	ASSERT_ERR(marker("\n", &m), EINVAL);
	ASSERT_ERR(marker("cookie:4097", &m), EINVAL);
	ASSERT_ERR(marker("cookie:4097\n\n", &m), EINVAL);
	ASSERT_ERR(marker("cookie:0\n", &m), EINVAL);
	ASSERT_ERR(marker("cookie:04097\n", &m), EINVAL);
	ASSERT_ERR(marker("cookie:-1\n", &m), EINVAL);
	ASSERT_ERR(marker("cookie:+1\n", &m), EINVAL);
	ASSERT_ERR(marker("cookie: 1\n", &m), EINVAL);
	ASSERT_ERR(marker("cookie:18446744073709551616\n", &m), EINVAL);
	ASSERT_ERR(marker("cookie:1:2\n", &m), EINVAL);
	ASSERT_ERR(marker("Cookie:1\n", &m), EINVAL);
	ASSERT_ERR(marker("4:\n", &m), EINVAL);
	ASSERT_ERR(marker(":4\n", &m), EINVAL);
	ASSERT_ERR(marker("4:4:4\n", &m), EINVAL);
	ASSERT_ERR(marker("4\n", &m), EINVAL);
	/* An embedded NUL is not the end of the file. */
	ASSERT_ERR(kname_parse_marker("cookie:1\0\n", 10, &m), EINVAL);
}
