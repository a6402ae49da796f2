/* SPDX-License-Identifier: MIT */
#include "paths.h"
#include "test.h"
#include "util.h"

TEST(base64_round_trip)
{
	uint8_t key[32], back[32];
	size_t n;

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	_cleanup_free_ char *s = base64_encode(key, sizeof(key));
	ASSERT_EQ(strlen(s), 44);
	ASSERT_OK(base64_decode(s, back, sizeof(back), &n));
	ASSERT_EQ(n, 32);
	ASSERT_MEMEQ(key, back, 32);
	ASSERT_ERR(base64_decode("abc", back, sizeof(back), &n), EINVAL);
	ASSERT_ERR(base64_decode("ab=c", back, sizeof(back), &n), EINVAL);
	ASSERT_ERR(base64_decode("a*cd", back, sizeof(back), &n), EINVAL);
}

TEST(strv_basics)
{
	_cleanup_strv_free_ char **l = NULL;

	strv_push(&l, "a");
	strv_pushf(&l, "%d", 2);
	strv_consume(&l, xstrdup("c"));
	ASSERT_EQ(strv_length(l), 3);
	ASSERT_TRUE(strv_contains(l, "2"));
	_cleanup_free_ char *j = strv_join(l, ", ");
	ASSERT_STREQ(j, "a, 2, c");
}

TEST(array_append_grows)
{
	_cleanup_free_ int *a = NULL;
	size_t n = 0;

	for (int i = 0; i < 1000; i++)
		*ARRAY_APPEND(a, n) = i;
	ASSERT_EQ(n, 1000);
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(a[i], i);
}

TEST(safe_atou64_strict)
{
	uint64_t v;
	ASSERT_OK(safe_atou64("65535", &v));
	ASSERT_EQ(v, 65535);
	ASSERT_ERR(safe_atou64("", &v), EINVAL);
	ASSERT_ERR(safe_atou64("+1", &v), EINVAL);
	ASSERT_ERR(safe_atou64("1 ", &v), EINVAL);
	ASSERT_ERR(safe_atou64("99999999999999999999", &v), ERANGE);
}

TEST(path_normalize)
{
	static const char *const cases[][2] = {
		{"/", "/"},
		{"/etc", "/etc"},
		{"/etc/", "/etc"},
		{"//etc//", "/etc"},
		{"/./etc/.", "/etc"},
		{"/var/lib/../tmp", "/var/tmp"},
		{"/..", "/"},
		{"/../../run/./", "/run"},
		{"/a/b/c/../../", "/a"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *n = path_normalize(cases[i][0]);
		ASSERT_STREQ(n, cases[i][1]);
	}
	ASSERT_TRUE(path_normalize("etc") == NULL);
	ASSERT_TRUE(path_normalize("") == NULL);
	ASSERT_TRUE(path_shared_reason("/var/lib") != NULL);
	ASSERT_TRUE(path_shared_reason("/var/lib/vpnconf") == NULL);
	ASSERT_TRUE(path_shared_reason("/sys/fs/x") != NULL);
}

TEST(string_distance_counts_typos)
{
	ASSERT_EQ(string_distance("", ""), 0);
	ASSERT_EQ(string_distance("abc", ""), 3);
	ASSERT_EQ(string_distance("allowedCidr", "allowedCidrs"), 1);
	ASSERT_EQ(string_distance("serverz", "servers"), 1);
	ASSERT_EQ(string_distance("adresses", "addresses"), 1);
	ASSERT_EQ(string_distance("verison", "version"), 1); /* transposition */
	ASSERT_EQ(string_distance("securityprofile", "securityProfile"), 0);
	ASSERT_EQ(string_distance("kitten", "sitting"), 3);
	ASSERT_EQ(string_distance("stateDirectory", "stateDir"), 6);
}

TEST(string_nearest_only_near_names)
{
	static const char *const names[] = {"servers", "search", "mode", "allowHostResolverIPC",
					    NULL};

	ASSERT_STREQ(string_nearest("serverz", names), "servers");
	ASSERT_STREQ(string_nearest("serach", names), "search");
	ASSERT_STREQ(string_nearest("MODE", names), "mode");
	ASSERT_STREQ(string_nearest("allowHostResolverIpc", names), "allowHostResolverIPC");
	ASSERT_TRUE(string_nearest("servers", names) == NULL);
	ASSERT_TRUE(string_nearest("extra", names) == NULL);
	ASSERT_TRUE(string_nearest("mo", names) == NULL); /* 2 edits from a 4-letter name */
	ASSERT_TRUE(string_nearest("x", NULL) == NULL);
}
