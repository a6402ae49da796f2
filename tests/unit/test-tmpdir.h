/* SPDX-License-Identifier: MIT */
/* Temporary directories of the unit tests, and their removal. */
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "test.h"
#include "util.h"

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

/* Removes the tree at *dir (never following a link) and frees the name. */
static inline void rm_rf_freep(char **dir)
{
	if (*dir)
		(void)nftw(*dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*dir);
}
#define _cleanup_rm_rf_ _cleanup_(rm_rf_freep)

/* A fresh directory "<$TMPDIR or /tmp>/<name>-XXXXXX"; with
 * _cleanup_rm_rf_ removed when the test passes, and left behind for
 * inspection when it fails. */
static inline char *test_tmpdir(const char *name)
{
	char *p = xasprintf("%s/%s-XXXXXX", getenv("TMPDIR") ?: "/tmp", name);

	if (!mkdtemp(p))
		TEST_FAIL("mkdtemp: %m");
	return p;
}
