/* SPDX-License-Identifier: MIT */
/*
 * Command-line rules that need no I/O, kept apart from main.c so that unit
 * tests can link them.
 */
#pragma once

#include <stdbool.h>

/* The desired-state file of a verb that takes it as its optional FILE
 * argument (check, plan): argv[0] when argc is 1, else config (the value
 * of --config or the default). Giving both FILE and a different --config
 * is ambiguous: -EINVAL. Stores the file in *ret. */
int config_argument(int argc, char *const *argv, const char *config, bool config_given,
		    const char **ret);
