/* SPDX-License-Identifier: MIT */
/*
 * Files in vpnconf's directories (safefile.h): what is not a regular file
 * with one link is never read or written through, never blocks, and is
 * replaced by writes; unsafe directories are refused.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "safefile.h"
#include "test-tmpdir.h"
#include "test.h"
#include "util.h"

/* A libc call's result as -errno. */
#define SYS(e) ((e) < 0 ? -errno : 0)

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		abort();
}

static char *get(const char *path)
{
	char *s = NULL;

	if (read_full_file(path, 4096, &s, NULL) < 0)
		return xstrdup("<unreadable>");
	return s;
}

/* <root>/ns: the per-namespace directory; <root>/elsewhere: a decoy. */
typedef struct Fixture {
	char *root, *ns, *file, *decoy;
} Fixture;

static void fixture_done(Fixture *f)
{
	free(f->ns);
	free(f->file);
	free(f->decoy);
	rm_rf_freep(&f->root);
}

static Fixture fixture(void)
{
	Fixture f = {.root = test_tmpdir("test-safefile")};

	f.ns = xasprintf("%s/ns", f.root);
	f.file = xasprintf("%s/ns/resolv.conf", f.root);
	f.decoy = xasprintf("%s/elsewhere", f.root);
	if (mkdir(f.ns, 0755) < 0 || chmod(f.ns, 0755) < 0)
		abort();
	put(f.decoy, "secret\n");
	return f;
}

static void assert_regular(const char *path, const char *content)
{
	_cleanup_free_ char *got = get(path);
	struct stat st;

	ASSERT_OK(lstat(path, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(st.st_nlink, 1);
	ASSERT_STREQ(got, content);
}

TEST(read_regular_only)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	char *s = NULL;

	ASSERT_ERR(safe_file_read(f.file, 4096, &s), ENOENT);
	put(f.file, "nameserver 10.0.0.1\n");
	ASSERT_OK(safe_file_read(f.file, 4096, &s));
	ASSERT_STREQ(s, "nameserver 10.0.0.1\n");
	free(s);
	ASSERT_OK(unlink(f.file));

	ASSERT_OK(symlink(f.decoy, f.file));
	ASSERT_ERR(safe_file_read(f.file, 4096, &s), ELOOP);
	ASSERT_OK(unlink(f.file));
	ASSERT_OK(link(f.decoy, f.file));
	ASSERT_ERR(safe_file_read(f.file, 4096, &s), EMLINK);
	ASSERT_OK(unlink(f.file));
	ASSERT_OK(mkdir(f.file, 0755));
	ASSERT_ERR(safe_file_read(f.file, 4096, &s), EISDIR);
	ASSERT_OK(rmdir(f.file));
	ASSERT_STREQ(safe_file_problem(-EISDIR), "a directory, not a regular file");
	ASSERT_TRUE(safe_file_problem(-ENOENT) == NULL);
}

/* A FIFO in place of a generated file used to hang the reconciler while
 * it held the lock. */
TEST(fifo_neither_blocks_nor_is_followed)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	uint64_t t0 = now_usec_monotonic();
	char *s = NULL;

	ASSERT_OK(mkfifo(f.file, 0644));
	ASSERT_ERR(safe_file_read(f.file, 4096, &s), EBADFD);
	ASSERT_OK(safe_file_rewrite(f.file, "new\n", 4, 0644));
	assert_regular(f.file, "new\n");
	ASSERT_OK(unlink(f.file));
	ASSERT_OK(mkfifo(f.file, 0644));
	ASSERT_OK(safe_file_write_atomic(f.file, "new\n", 4, 0644));
	assert_regular(f.file, "new\n");
	ASSERT_TRUE(now_usec_monotonic() - t0 < 5000000);
}

TEST(device_node_replaced_unopened)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	char *s = NULL;

	if (mknod(f.file, S_IFCHR | 0644, makedev(1, 3)) < 0)
		TEST_SKIP("mknod: %m");
	ASSERT_ERR(safe_file_read(f.file, 4096, &s), EBADFD);
	ASSERT_OK(safe_file_rewrite(f.file, "new\n", 4, 0644));
	assert_regular(f.file, "new\n");
}

TEST(links_replaced_targets_untouched)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	_cleanup_free_ char *decoy = NULL;

	/* A symbolic link (to /etc/shadow, say): replaced, never written
	 * through. */
	ASSERT_OK(symlink(f.decoy, f.file));
	ASSERT_OK(safe_file_rewrite(f.file, "new\n", 4, 0644));
	assert_regular(f.file, "new\n");
	/* A hard link to a file elsewhere: the same. */
	ASSERT_OK(unlink(f.file));
	ASSERT_OK(link(f.decoy, f.file));
	ASSERT_OK(safe_file_rewrite(f.file, "new\n", 4, 0644));
	assert_regular(f.file, "new\n");
	decoy = get(f.decoy);
	ASSERT_STREQ(decoy, "secret\n");
}

TEST(rewrite_keeps_the_inode)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	struct stat a, b;

	put(f.file, "a much longer old content\n");
	ASSERT_OK(stat(f.file, &a));
	ASSERT_OK(safe_file_rewrite(f.file, "new\n", 4, 0644));
	ASSERT_OK(stat(f.file, &b));
	ASSERT_EQ(a.st_ino, b.st_ino);
	assert_regular(f.file, "new\n");
}

TEST(directory_in_place)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	_cleanup_free_ char *inner = xasprintf("%s/x", f.file);

	ASSERT_OK(mkdir(f.file, 0755));
	ASSERT_OK(safe_file_rewrite(f.file, "new\n", 4, 0644)); /* empty: replaced */
	assert_regular(f.file, "new\n");
	ASSERT_OK(unlink(f.file));
	ASSERT_OK(mkdir(f.file, 0755));
	put(inner, "x");
	ASSERT_ERR(safe_file_rewrite(f.file, "new\n", 4, 0644), EISDIR); /* refused */
	ASSERT_ERR(safe_file_remove(f.file), EISDIR);
}

TEST(directory_symlink_replaced)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	_cleanup_free_ char *away = xasprintf("%s/away", f.root);
	_cleanup_free_ char *away_file = xasprintf("%s/away/resolv.conf", f.root);
	char *s = NULL;
	struct stat st;

	/* The per-namespace directory is a link to a directory elsewhere:
	 * nothing there is read or written. */
	ASSERT_OK(rmdir(f.ns));
	ASSERT_OK(mkdir(away, 0755));
	put(away_file, "theirs\n");
	ASSERT_OK(symlink(away, f.ns));
	ASSERT_ERR(safe_file_read(f.file, 4096, &s), ENOTDIR);
	ASSERT_OK(safe_file_rewrite(f.file, "new\n", 4, 0644));
	ASSERT_OK(lstat(f.ns, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	assert_regular(f.file, "new\n");
	s = get(away_file);
	ASSERT_STREQ(s, "theirs\n");
	free(s);

	/* Removing a file whose directory is a link removes the link. */
	ASSERT_OK(unlink(f.file));
	ASSERT_OK(rmdir(f.ns));
	ASSERT_OK(symlink(away, f.ns));
	ASSERT_OK(safe_file_remove(f.file));
	ASSERT_ERR(SYS(lstat(f.ns, &st)), ENOENT);
	s = get(away_file);
	ASSERT_STREQ(s, "theirs\n");
	free(s);
}

TEST(unsafe_directory_refused)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	char *s = NULL;

	put(f.file, "x\n");
	ASSERT_OK(chmod(f.ns, 0777));
	ASSERT_ERR(safe_file_read(f.file, 4096, &s), EPERM);
	ASSERT_ERR(safe_file_rewrite(f.file, "new\n", 4, 0644), EPERM);
	ASSERT_OK(chmod(f.ns, 0775));
	ASSERT_ERR(safe_file_write_atomic(f.file, "new\n", 4, 0644), EPERM);
	ASSERT_OK(chmod(f.ns, 0755));
	ASSERT_OK(safe_file_read(f.file, 4096, &s));
	free(s);
}

TEST(temporary_name_taken)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	_cleanup_free_ char *tmp = xasprintf("%s.vpnconf-%ld.tmp", f.file, (long)getpid());
	_cleanup_strv_free_ char **l = NULL;

	/* A FIFO (or a link) planted at the temporary's name. */
	ASSERT_OK(mkfifo(tmp, 0644));
	ASSERT_OK(safe_dir_temporaries(f.ns, &l));
	ASSERT_EQ(strv_length(l), 1);
	ASSERT_STREQ(l[0], tmp);
	ASSERT_OK(safe_file_write_atomic(f.file, "new\n", 4, 0644));
	assert_regular(f.file, "new\n");
	ASSERT_ERR(SYS(access(tmp, F_OK)), ENOENT);
}

TEST(remove_any_kind)
{
	_cleanup_(fixture_done) Fixture f = fixture();
	struct stat st;

	ASSERT_OK(safe_file_remove(f.file)); /* absent */
	(void)mkdir(f.ns, 0755);
	ASSERT_OK(mkfifo(f.file, 0644));
	ASSERT_OK(safe_file_remove(f.file));
	/* The directory went with its last file. */
	ASSERT_ERR(SYS(lstat(f.ns, &st)), ENOENT);
	ASSERT_OK(safe_file_write_atomic(f.file, "x", 1, 0644));
	ASSERT_OK(unlink(f.file));
	ASSERT_OK(symlink(f.decoy, f.file));
	ASSERT_OK(safe_file_remove(f.file));
	ASSERT_OK(lstat(f.decoy, &st));
}
