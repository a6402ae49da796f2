/* SPDX-License-Identifier: MIT */
/*
 * Metrics: the Prometheus text of metrics_format() against a golden file
 * (tests/unit/golden/metrics.prom), label escaping, and the atomic
 * replacement of a textfile by metrics_write_file().
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "test-golden.h"
#include "test-journal.h"
#include "test.h"
#include "util.h"

#define NOW_USEC (1700000000ULL * 1000000ULL)

TEST(format_golden)
{
	const MetricsPeer web_peers[] = {
		{
			.public_key = "vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4=",
			.interface = "wg0",
			.latest_handshake_usec = NOW_USEC - 14 * 1000000ULL,
			.rx_bytes = 123456,
			.tx_bytes = 7890,
			.healthy = 1,
			.endpoint_index = 2,
			.n_endpoints = 3,
		},
		{
			.public_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
			.interface = "wg0",
			.healthy = -1,
		},
	};
	const MetricsNamespace ns[] = {
		{.name = "vpnapps", .present = true, .in_sync = true, .has_counters = true,
		 .drift_events = 3, .lockdowns = 1, .peers = web_peers, .n_peers = 2,
		 .port_forwarding = true, .forwarded_port = 51413,
		 .lease_granted_usec = NOW_USEC - 25 * 1000000ULL},
		{.name = "gone", .locked_down = true},
	};
	_cleanup_free_ char *text = NULL;

	ASSERT_OK(metrics_format(ns, ELEMENTSOF(ns), NOW_USEC, &text));
	check_golden("metrics.prom", text);
}

TEST(format_empty)
{
	_cleanup_free_ char *text = NULL;

	ASSERT_OK(metrics_format(NULL, 0, NOW_USEC, &text));
	ASSERT_CONTAINS(text, "# TYPE vpnconf_namespace_in_sync gauge\n");
	ASSERT_TRUE(!strstr(text, "{"));
}

/* Names are validated long before they get here; the escaping still
 * keeps a label value from ending the sample line. */
TEST(format_escapes_label_values)
{
	const MetricsNamespace ns = {.name = "a\"b\\c\nd", .present = true};
	_cleanup_free_ char *text = NULL;

	ASSERT_OK(metrics_format(&ns, 1, NOW_USEC, &text));
	ASSERT_CONTAINS(text, "vpnconf_namespace_present{namespace=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(write_file_replaces_atomically)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = xasprintf("%s/vpnconf.prom", dir), *text = NULL;
	struct stat st1, st2;
	size_t size;
	mode_t old = umask(077);

	ASSERT_OK(metrics_write_file(path, "a 1\n"));
	umask(old);
	ASSERT_OK(stat(path, &st1));
	ASSERT_EQ(st1.st_mode & 07777, 0644);
	ASSERT_OK(metrics_write_file(path, "a 2\n"));
	ASSERT_OK(stat(path, &st2));
	ASSERT_NE(st1.st_ino, st2.st_ino); /* a new file, renamed over the old one */
	ASSERT_OK(read_full_file(path, 1024, &text, &size));
	ASSERT_STREQ(text, "a 2\n");
	ASSERT_EQ(count_entries(dir), 1);
}

/* A symbolic link planted at the path is replaced, its target untouched. */
TEST(write_file_does_not_follow_symlinks)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_free_ char *path = xasprintf("%s/vpnconf.prom", dir),
			    *target = xasprintf("%s/target", dir), *text = NULL;
	struct stat st;
	size_t size;

	ASSERT_OK(metrics_write_file(target, "precious\n"));
	ASSERT_OK(symlink(target, path));
	ASSERT_OK(metrics_write_file(path, "a 1\n"));
	ASSERT_OK(lstat(path, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_OK(read_full_file(target, 1024, &text, &size));
	ASSERT_STREQ(text, "precious\n");
}

TEST(write_file_failure_leaves_nothing)
{
	_cleanup_rm_rf_ char *dir = make_tmpdir();
	_cleanup_free_ char *sub = xasprintf("%s/occupied", dir),
			    *missing = xasprintf("%s/nodir/x.prom", dir);

	ASSERT_OK(mkdir(sub, 0755));
	/* rename() of a file over a directory fails: the temporary goes. */
	ASSERT_ERR(metrics_write_file(sub, "a 1\n"), EISDIR);
	ASSERT_EQ(count_entries(dir), 1);
	ASSERT_ERR(metrics_write_file(missing, "a 1\n"), ENOENT);
	ASSERT_ERR(metrics_write_file("", "a 1\n"), EINVAL);
	ASSERT_ERR(metrics_write_file("/tmp/", "a 1\n"), EINVAL);
}
