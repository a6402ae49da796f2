/* SPDX-License-Identifier: MIT */
/*
 * Golden files of the unit tests (tests/unit/golden/): what a builder or
 * renderer must produce, as text. VPNCONF_UPDATE_GOLDEN=1 rewrites them
 * from the output instead of comparing.
 */
#pragma once

#include <stdio.h>

#include "test.h"
#include "util.h"

/* The source tree comes from meson's environment, or else from where this
 * file was compiled. */
static inline char *golden_path(const char *name)
{
	const char *src = getenv("VPNCONF_SOURCE_DIR");
	const char *slash = strrchr(__FILE__, '/');

	if (!isempty(src))
		return xasprintf("%s/tests/unit/golden/%s", src, name);
	if (!slash)
		return xasprintf("golden/%s", name);
	return xasprintf("%.*s/golden/%s", (int)(slash - __FILE__), __FILE__, name);
}

/* Fails the test, naming the first line that differs, unless text is the
 * golden file's content exactly. */
static inline void check_golden(const char *name, const char *text)
{
	_cleanup_free_ char *path = golden_path(name), *want = NULL;
	const char *a, *b;
	unsigned line = 1;

	if (streq(strempty(getenv("VPNCONF_UPDATE_GOLDEN")), "1")) {
		ASSERT_OK(write_file_atomic(path, text, strlen(text), 0644));
		fprintf(stderr, "  updated %s\n", path);
		return;
	}
	if (read_full_file(path, 16 * 1024 * 1024, &want, NULL) < 0)
		TEST_FAIL("cannot read %s (run from the build directory, or set "
			  "VPNCONF_UPDATE_GOLDEN=1 to create it)",
			  path);
	if (streq(want, text))
		return;
	for (a = want, b = text; *a && *a == *b; a++, b++)
		if (*a == '\n')
			line++;
	fprintf(stderr, "--- got:\n%s", text);
	TEST_FAIL("%s differs at line %u (regenerate with VPNCONF_UPDATE_GOLDEN=1 if intended)",
		  path, line);
}
