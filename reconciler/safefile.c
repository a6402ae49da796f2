/* SPDX-License-Identifier: MIT */
/* Files in vpnconf's own directories, opened without trusting them (see
 * safefile.h). */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>

#include "safefile.h"
#include "util.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
#define FILE_FLAGS (O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)

const char *safe_file_problem(int r)
{
	switch (-r) {
	case ELOOP:
		return "a symbolic link, not a regular file";
	case EISDIR:
		return "a directory, not a regular file";
	case EBADFD:
		return "a FIFO, socket or device, not a regular file";
	case EMLINK:
		return "a file with more than one hard link";
	case ENOTDIR:
		return "in a directory that is a symbolic link or not a directory";
	case EPERM:
		return "in a directory not owned by root or writable by group or others";
	default:
		return NULL;
	}
}

int safe_dir_check_fd(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

static int regular_check(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EBADFD;
	/* A hard link to a file elsewhere (/etc/shadow) must not be read
	 * into a plan, nor written through. */
	if (st->st_nlink > 1)
		return -EMLINK;
	return 0;
}

/* Opens name in dfd when, and only when, it is a regular file with one
 * link: looked at before it is opened, so that a FIFO or device is never
 * opened at all, and checked again after. */
static int open_regular_at(int dfd, const char *name, int flags)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat before, after;
	int r;

	if (fstatat(dfd, name, &before, AT_SYMLINK_NOFOLLOW) < 0)
		return negative_errno();
	r = regular_check(&before);
	if (r < 0)
		return r;
	fd = openat(dfd, name, flags | FILE_FLAGS);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &after) < 0)
		return negative_errno();
	r = regular_check(&after);
	if (r < 0)
		return r;
	if (after.st_dev != before.st_dev || after.st_ino != before.st_ino)
		return -EAGAIN; /* swapped under us: someone is racing vpnconf */
	return TAKE_FD(fd);
}

/* Opens the directory name in at. With create, a missing one is made
 * (0755) and a symbolic link or any other non-directory in its place is
 * removed first (unlinkat() never follows it). */
static int dir_open_at(int at, const char *name, bool create)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	fd = openat(at, name, DIR_FLAGS);
	if (fd < 0 && create && (errno == ELOOP || errno == ENOTDIR)) {
		if (unlinkat(at, name, 0) < 0 && errno != ENOENT)
			return negative_errno();
		errno = ENOENT;
	}
	if (fd < 0 && create && errno == ENOENT) {
		if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		fd = openat(at, name, DIR_FLAGS);
		/* The mode went through the umask. */
		if (fd >= 0 && fchmod(fd, 0755) < 0)
			return negative_errno();
	}
	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : negative_errno();
	r = safe_dir_check_fd(fd);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

typedef struct Parent {
	int above;  /* the directory's parent (trusted: checked per run) */
	int fd;     /* the file's directory */
	char *dir_name; /* its name in above */
	char *base; /* the file's name in fd */
} Parent;

static void parent_done(Parent *p)
{
	safe_close(p->above);
	safe_close(p->fd);
	free(p->dir_name);
	free(p->base);
}

static int parent_open(const char *path, bool create, Parent *ret)
{
	_cleanup_free_ char *d = xstrdup(path), *b = xstrdup(path), *dd = NULL, *db = NULL;
	Parent p = {.above = -EBADF, .fd = -EBADF};
	const char *dir;
	int r;

	dir = dirname(d);
	dd = xstrdup(dir);
	db = xstrdup(dir);
	p.base = xstrdup(basename(b));
	p.dir_name = xstrdup(basename(db));
	p.above = open(dirname(dd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.above < 0 && errno == ENOENT && create) {
		_cleanup_free_ char *up = xstrdup(dir);
		r = mkdir_p(dirname(up), 0755);
		if (r < 0)
			goto fail;
		p.above = open(dirname(dd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (p.above < 0) {
		r = negative_errno();
		goto fail;
	}
	p.fd = dir_open_at(p.above, p.dir_name, create);
	if (p.fd < 0) {
		r = p.fd;
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	parent_done(&p);
	return r;
}

int safe_file_read(const char *path, size_t max_size, char **ret)
{
	_cleanup_(parent_done) Parent p = {.above = -EBADF, .fd = -EBADF};
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = parent_open(path, false, &p);
	if (r < 0)
		return r;
	fd = open_regular_at(p.fd, p.base, O_RDONLY);
	if (fd < 0)
		return fd;
	return read_fd_full(fd, max_size, ret, NULL);
}

static int write_atomic_at(int dfd, const char *name, const void *data, size_t size, mode_t mode)
{
	_cleanup_free_ char *tmp = xasprintf("%s.vpnconf-%ld.tmp", name, (long)getpid());
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | FILE_FLAGS, mode);
	if (fd < 0 && errno == EEXIST) {
		/* Left by an earlier process of the same pid, or planted. */
		if (unlinkat(dfd, tmp, 0) < 0)
			return negative_errno();
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | FILE_FLAGS, mode);
	}
	if (fd < 0)
		return negative_errno();
	r = write_full(fd, data, size);
	/* The umask may have narrowed the mode given to open(). */
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = negative_errno();
	/* rename() replaces anything but a directory; an empty one goes
	 * first, a non-empty one is refused. */
	if (r >= 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISDIR(st.st_mode) &&
	    unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		r = errno == ENOTEMPTY || errno == EEXIST ? -EISDIR : negative_errno();
	if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = negative_errno();
	if (r < 0)
		(void)unlinkat(dfd, tmp, 0);
	return r;
}

int safe_file_write_atomic(const char *path, const void *data, size_t size, mode_t mode)
{
	_cleanup_(parent_done) Parent p = {.above = -EBADF, .fd = -EBADF};
	int r;

	r = parent_open(path, true, &p);
	if (r < 0)
		return r;
	return write_atomic_at(p.fd, p.base, data, size, mode);
}

int safe_file_rewrite(const char *path, const void *data, size_t size, mode_t mode)
{
	_cleanup_(parent_done) Parent p = {.above = -EBADF, .fd = -EBADF};
	_cleanup_close_ int fd = -EBADF;
	ssize_t k;
	int r;

	r = parent_open(path, true, &p);
	if (r < 0)
		return r;
	fd = open_regular_at(p.fd, p.base, O_WRONLY);
	if (fd == -ENOENT || safe_file_problem(fd))
		return write_atomic_at(p.fd, p.base, data, size, mode);
	if (fd < 0)
		return fd;
	k = pwrite(fd, data, size, 0);
	if (k < 0)
		return negative_errno();
	if ((size_t)k != size)
		return -EIO;
	if (ftruncate(fd, (off_t)size) < 0 || fchmod(fd, mode) < 0)
		return negative_errno();
	return 0;
}

int safe_file_remove(const char *path)
{
	_cleanup_(parent_done) Parent p = {.above = -EBADF, .fd = -EBADF};
	int r;

	r = parent_open(path, false, &p);
	if (r == -ENOENT)
		return 0;
	if (r == -ENOTDIR) {
		/* Something else in the directory's place: it goes instead. */
		_cleanup_free_ char *d = xstrdup(path), *up = NULL, *name = NULL;
		_cleanup_close_ int above = -EBADF;

		up = xstrdup(dirname(d));
		name = xstrdup(basename(up));
		above = open(dirname(up), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (above < 0)
			return errno == ENOENT ? 0 : negative_errno();
		if (unlinkat(above, name, 0) < 0 && errno != ENOENT)
			return negative_errno();
		return 0;
	}
	if (r < 0)
		return r;
	if (unlinkat(p.fd, p.base, 0) < 0) {
		if (errno == EISDIR) {
			if (unlinkat(p.fd, p.base, AT_REMOVEDIR) < 0)
				return errno == ENOTEMPTY || errno == EEXIST ? -EISDIR
									    : negative_errno();
		} else if (errno != ENOENT)
			return negative_errno();
	}
	/* The directory goes with its last file. */
	(void)unlinkat(p.above, p.dir_name, AT_REMOVEDIR);
	return 0;
}

int safe_dir_temporaries(const char *dir, char ***ret)
{
	_cleanup_free_ char *d = xstrdup(dir), *b = xstrdup(dir);
	_cleanup_close_ int above = -EBADF, fd = -EBADF;
	_cleanup_strv_free_ char **l = NULL;
	struct dirent *de;
	DIR *dh;

	*ret = NULL;
	above = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (above < 0)
		return errno == ENOENT ? 0 : negative_errno();
	fd = dir_open_at(above, basename(b), false);
	if (fd < 0)
		return fd == -ENOENT || safe_file_problem(fd) ? 0 : fd;
	dh = fdopendir(fd);
	if (!dh)
		return negative_errno();
	TAKE_FD(fd);
	while ((de = readdir(dh)))
		if (strstr(de->d_name, ".vpnconf-") && endswith(de->d_name, ".tmp"))
			strv_pushf(&l, "%s/%s", dir, de->d_name);
	closedir(dh);
	strv_sort(l);
	*ret = TAKE_PTR(l);
	return 0;
}
