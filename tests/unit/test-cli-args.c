/* SPDX-License-Identifier: MIT */
/* Command-line rules of cli/args.c: the positional FILE of check and plan. */
#include <errno.h>

#include "args.h"
#include "test.h"

TEST(config_argument_positional_or_option)
{
	char *file[] = {"mine.json", NULL};
	const char *c = "unchanged";

	/* No argument: --config's value (or the default). */
	ASSERT_OK(config_argument(0, NULL, "/etc/vpnconf/desired.json", false, &c));
	ASSERT_STREQ(c, "/etc/vpnconf/desired.json");
	ASSERT_OK(config_argument(0, NULL, "x.json", true, &c));
	ASSERT_STREQ(c, "x.json");
	/* vpnconf check FILE: the same as --config FILE. */
	ASSERT_OK(config_argument(1, file, "/etc/vpnconf/desired.json", false, &c));
	ASSERT_STREQ(c, "mine.json");
	/* Both, naming the same file, agree. */
	ASSERT_OK(config_argument(1, file, "mine.json", true, &c));
	ASSERT_STREQ(c, "mine.json");
}

TEST(config_argument_refuses_ambiguity)
{
	char *file[] = {"mine.json", NULL}, *empty[] = {"", NULL}, *two[] = {"a", "b", NULL};
	const char *c = "unchanged";

	ASSERT_ERR(config_argument(1, file, "other.json", true, &c), EINVAL);
	ASSERT_ERR(config_argument(1, empty, "/etc/vpnconf/desired.json", false, &c), EINVAL);
	ASSERT_ERR(config_argument(2, two, "/etc/vpnconf/desired.json", false, &c), EINVAL);
	ASSERT_STREQ(c, "unchanged"); /* untouched on failure */
}
