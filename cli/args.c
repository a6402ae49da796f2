/* SPDX-License-Identifier: MIT */
/* Command-line rules that need no I/O (args.h). */
#include <errno.h>

#include "args.h"
#include "util.h"

int config_argument(int argc, char *const *argv, const char *config, bool config_given,
		    const char **ret)
{
	if (argc < 0 || argc > 1 || (argc == 1 && isempty(argv[0])))
		return -EINVAL;
	if (argc == 0) {
		*ret = config;
		return 0;
	}
	if (config_given && !streq(config, argv[0]))
		return -EINVAL;
	*ret = argv[0];
	return 0;
}
