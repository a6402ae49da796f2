/* SPDX-License-Identifier: MIT */
/*
 * docs/vpnconf.catalog against reconciler/message-ids.h: every MESSAGE_ID
 * vpnconf defines has exactly one catalog entry with the fields
 * journalctl shows (Subject, Defined-By, Support) and an explanation, and
 * the catalog explains no id that vpnconf does not send. When journalctl
 * is installed, it also compiles the catalog into a scratch root and must
 * list every entry.
 */
#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "util.h"

static char *source_path(const char *rel)
{
	const char *dir = getenv("VPNCONF_SOURCE_DIR");

	return xasprintf("%s/%s", dir ? dir : ".", rel);
}

static bool is_id(const char *s, size_t n)
{
	if (n != 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* The ids of the VPNCONF_MESSAGE_* defines, in header order. */
static char **header_ids(void)
{
	_cleanup_free_ char *path = source_path("reconciler/message-ids.h"), *text = NULL;
	char **ids = NULL;
	size_t size;

	if (read_full_file(path, 1 << 20, &text, &size) < 0)
		return NULL;
	for (const char *p = text; (p = strstr(p, "#define VPNCONF_MESSAGE_")); p++) {
		const char *q = strchr(p, '"'), *e = q ? strchr(q + 1, '"') : NULL;

		if (!e || memchr(p, '\n', (size_t)(q - p)))
			return strv_free(ids);
		if (!is_id(q + 1, (size_t)(e - q - 1)))
			return strv_free(ids);
		strv_consume(&ids, strndup(q + 1, (size_t)(e - q - 1)));
	}
	return ids;
}

typedef struct Entry {
	char *id;
	bool subject, defined_by, support;
	size_t body_lines;
} Entry;

static int parse_catalog(const char *text, Entry **ret, size_t *ret_n, char **ret_err)
{
	Entry *e = NULL, *cur = NULL;
	size_t n = 0;
	bool in_header = false;
	unsigned line_no = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchrnul(p, '\n');
		_cleanup_free_ char *line = strndup(p, (size_t)(nl - p));

		line_no++;
		p = *nl ? nl + 1 : nl;
		if (line[0] == '#' && !cur)
			continue;
		if (startswith(line, "-- ")) {
			if (!is_id(line + 3, strlen(line + 3))) {
				*ret_err = xasprintf("line %u: malformed id \"%s\"", line_no, line);
				return -EINVAL;
			}
			cur = ARRAY_APPEND(e, n);
			*cur = (Entry){.id = xstrdup(line + 3)};
			in_header = true;
			continue;
		}
		if (!cur) {
			if (line[0]) {
				*ret_err = xasprintf("line %u: text before the first entry", line_no);
				return -EINVAL;
			}
			continue;
		}
		if (in_header && !line[0]) {
			in_header = false;
			continue;
		}
		if (in_header) {
			if (startswith(line, "Subject: "))
				cur->subject = true;
			else if (streq(line, "Defined-By: vpnconf"))
				cur->defined_by = true;
			else if (startswith(line, "Support: "))
				cur->support = true;
			else {
				*ret_err = xasprintf("line %u: unexpected header \"%s\"", line_no, line);
				return -EINVAL;
			}
		} else if (line[0])
			cur->body_lines++;
	}
	*ret = e;
	*ret_n = n;
	return 0;
}

TEST(catalog_matches_message_ids)
{
	_cleanup_free_ char *path = source_path("docs/vpnconf.catalog"), *text = NULL, *err = NULL;
	_cleanup_strv_free_ char **ids = header_ids();
	Entry *entries = NULL;
	size_t size, n = 0;

	ASSERT_TRUE(ids);
	ASSERT_TRUE(strv_length(ids) >= 20);
	ASSERT_OK(read_full_file(path, 1 << 20, &text, &size));
	if (parse_catalog(text, &entries, &n, &err) < 0)
		TEST_FAIL("docs/vpnconf.catalog: %s", err);
	for (size_t i = 0; i < n; i++) {
		if (!strv_contains(ids, entries[i].id))
			TEST_FAIL("catalog entry %s: not defined in message-ids.h", entries[i].id);
		for (size_t k = 0; k < i; k++)
			if (streq(entries[k].id, entries[i].id))
				TEST_FAIL("catalog entry %s: defined twice", entries[i].id);
		if (!entries[i].subject || !entries[i].defined_by || !entries[i].support ||
		    entries[i].body_lines < 2)
			TEST_FAIL("catalog entry %s: needs Subject, Defined-By: vpnconf, Support "
				  "and an explanation", entries[i].id);
	}
	STRV_FOREACH(id, ids)
	{
		bool found = false;

		for (size_t i = 0; i < n; i++)
			found = found || streq(entries[i].id, *id);
		if (!found)
			TEST_FAIL("MESSAGE_ID %s has no entry in docs/vpnconf.catalog", *id);
		for (char **o = ids; o < id; o++)
			if (streq(*o, *id))
				TEST_FAIL("MESSAGE_ID %s defined twice in message-ids.h", *id);
	}
	for (size_t i = 0; i < n; i++)
		free(entries[i].id);
	free(entries);
}

/* journalctl --root compiles the catalog the way the system's
 * "journalctl --update-catalog" does and lists what it understood. */
TEST(catalog_compiles_with_journalctl)
{
	_cleanup_free_ char *src = source_path("docs/vpnconf.catalog"), *cmd = NULL, *out = NULL;
	_cleanup_strv_free_ char **ids = header_ids();
	char root[] = "/tmp/vpnconf-catalog-XXXXXX";
	char buf[512];
	size_t listed = 0;
	FILE *f;

	if (access("/usr/bin/journalctl", X_OK) < 0 && access("/bin/journalctl", X_OK) < 0)
		TEST_SKIP("journalctl not installed");
	ASSERT_TRUE(mkdtemp(root));
	cmd = xasprintf("mkdir -p %s/usr/lib/systemd/catalog && cp '%s' "
			"%s/usr/lib/systemd/catalog/vpnconf.catalog && "
			"journalctl --root=%s --update-catalog && "
			"journalctl --root=%s --list-catalog",
			root, src, root, root, root);
	f = popen(cmd, "r");
	ASSERT_TRUE(f);
	while (fgets(buf, sizeof(buf), f)) {
		ASSERT_TRUE(strlen(buf) > 33);
		buf[32] = 0;
		if (!strv_contains(ids, buf))
			TEST_FAIL("journalctl lists an unknown id %s", buf);
		ASSERT_CONTAINS(buf + 33, "vpnconf: ");
		listed++;
	}
	ASSERT_EQ(pclose(f), 0);
	free(cmd);
	cmd = xasprintf("rm -rf %s", root);
	ASSERT_EQ(system(cmd), 0);
	ASSERT_EQ(listed, strv_length(ids));
}
