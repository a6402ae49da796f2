/* SPDX-License-Identifier: MIT */
/*
 * Named network namespaces (see netns.h): open, atomic create, delete, and
 * entering a namespace to open sockets or sysctl files inside it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "desired.h"
#include "netns.h"
#include "nft.h"
#include "nlerr.h"
#include "wg.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define SELF_NETNS "/proc/thread-self/ns/net"

static Netns *netns_new(const char *name, const char *path, int fd)
{
	Netns *n = xcalloc(1, sizeof(*n));
	struct stat st;

	n->name = name ? xstrdup(name) : NULL;
	n->path = path ? xstrdup(path) : NULL;
	n->fd = fd;
	if (fstat(fd, &st) == 0) {
		n->dev = st.st_dev;
		n->ino = st.st_ino;
	}
	return n;
}

Netns *netns_free(Netns *n)
{
	if (!n)
		return NULL;
	if (n->rtnl)
		nl_socket_free(n->rtnl);
	nft_socket_free(n->nft);
	wg_socket_free(n->wg);
	safe_close(n->fd);
	free(n->name);
	free(n->path);
	free(n);
	return NULL;
}

int netns_open_self(Netns **ret)
{
	int fd = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	*ret = netns_new(NULL, NULL, fd);
	return 0;
}

static int fd_is_netns(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return negative_errno();
	return sfs.f_type == NSFS_MAGIC;
}

int netns_open(const char *dir, const char *name, Netns **ret)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	/* Names may come from what the kernel hands back: only a name the
	 * desired state could hold, so only a path directly under dir. */
	if (!namespace_name_is_valid(name))
		return -EINVAL;
	path = xasprintf("%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -ENOTTY : negative_errno();
	r = fd_is_netns(fd);
	if (r < 0)
		return r;
	if (r == 0) {
		if (fstat(fd, &st) < 0)
			return negative_errno();
		return S_ISREG(st.st_mode) && st.st_size == 0 ? -ENOMEDIUM : -ENOTTY;
	}
	*ret = netns_new(name, path, TAKE_FD(fd));
	return 0;
}

int netns_enter(const Netns *n, int *ret_saved)
{
	int saved = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);

	if (saved < 0)
		return negative_errno();
	if (setns(n->fd, CLONE_NEWNET) < 0) {
		int r = negative_errno();
		safe_close(saved);
		return r;
	}
	*ret_saved = saved;
	return 0;
}

void netns_leave(int *saved)
{
	if (*saved < 0)
		return;
	/* Acting on the wrong namespace after this point could open a path
	 * out of a confined namespace or break the host: never continue. */
	if (setns(*saved, CLONE_NEWNET) < 0)
		abort();
	*saved = safe_close(*saved);
}

int netns_socket(const Netns *n, int domain, int type, int protocol)
{
	int saved = -EBADF, fd, r;

	r = netns_enter(n, &saved);
	if (r < 0)
		return r;
	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	r = fd < 0 ? negative_errno() : fd;
	netns_leave(&saved);
	return r;
}

int netns_cookie(Netns *n, uint64_t *ret)
{
	_cleanup_close_ int fd = -EBADF;
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (n->cookie == 0) {
		/* A socket belongs to the namespace it was created in; any
		 * kind will do, and a unix datagram socket touches no network
		 * state. */
		fd = netns_socket(n, AF_UNIX, SOCK_DGRAM, 0);
		if (fd < 0)
			return fd;
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
			return negative_errno();
		if (len != sizeof(cookie) || cookie == 0)
			return -EIO;
		n->cookie = cookie;
	}
	*ret = n->cookie;
	return 0;
}

/* Makes dir a shared mount point, as "ip netns" does, so that namespaces
 * mounted below it propagate to mount namespaces cloned later (services
 * with private mounts still see /run/netns/<name>). */
static int netns_dir_prepare(const char *dir)
{
	bool bound = false;
	int r;

	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	for (;;) {
		if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0)
			return 0;
		if (errno != EINVAL || bound)
			return negative_errno();
		/* Not a mount point yet: bind it onto itself first. */
		if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0)
			return negative_errno();
		bound = true;
	}
}

int netns_remove_placeholder(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (!namespace_name_is_valid(name))
		return -EINVAL;
	path = xasprintf("%s/%s", dir, name);
	if (lstat(path, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode) || st.st_size != 0)
		return -ENOTTY;
	/* A mounted namespace also looks like an empty file from lstat() on
	 * some file systems; make sure nothing is mounted here. */
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		return -EBUSY;
	if (unlink(path) < 0)
		return negative_errno();
	return 0;
}

static int netns_placeholder_create(const char *dir, const char *name, const char *path)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd < 0 && errno == EEXIST) {
		_cleanup_(netns_freep) Netns *existing = NULL;

		r = netns_open(dir, name, &existing);
		if (r >= 0)
			return -EEXIST;
		if (r != -ENOMEDIUM)
			return r == -ENOTTY ? -EEXIST : r;
		r = netns_remove_placeholder(dir, name);
		if (r < 0)
			return r;
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
	}
	if (fd < 0)
		return negative_errno();
	safe_close(fd);
	return 0;
}

int netns_create(const char *dir, const char *name, NetnsPrepare prepare, void *userdata,
		 Netns **ret)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_(netns_freep) Netns *n = NULL;
	_cleanup_close_ int saved = -EBADF;
	int fd, r;

	if (!namespace_name_is_valid(name))
		return -EINVAL;
	path = xasprintf("%s/%s", dir, name);
	r = netns_dir_prepare(dir);
	if (r < 0)
		return r;

	saved = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return negative_errno();

	if (unshare(CLONE_NEWNET) < 0)
		return negative_errno();
	/* From here on the thread is inside the new, still anonymous
	 * namespace: every exit path must go back. */
	fd = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = negative_errno();
		goto back;
	}
	n = netns_new(name, path, fd);

	r = prepare ? prepare(n, userdata) : 0;
	if (r < 0)
		goto back;

	r = netns_placeholder_create(dir, name, path);
	if (r < 0)
		goto back;
	if (mount(SELF_NETNS, path, "none", MS_BIND, NULL) < 0) {
		r = negative_errno();
		(void)unlink(path);
		goto back;
	}
	r = 0;
back:
	if (setns(saved, CLONE_NEWNET) < 0)
		abort();
	if (r < 0)
		return r;
	*ret = TAKE_PTR(n);
	return 0;
}

int netns_delete(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL;

	if (!namespace_name_is_valid(name))
		return -EINVAL;
	path = xasprintf("%s/%s", dir, name);
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL) {
		if (errno == ENOENT)
			return -ENOENT;
		return negative_errno();
	}
	if (unlink(path) < 0)
		return negative_errno();
	return 0;
}

/* Is want ("net:[<inode>]") the network namespace of any thread of
 * process pid? A thread can setns() into a namespace while the rest of
 * its process stays elsewhere, so /proc/<pid>/ns/net (the main thread's)
 * does not answer that: every /proc/<pid>/task/<tid>/ns/net does. */
static int process_in_netns(const char *pid, const char *want)
{
	_cleanup_free_ char *tasks = xasprintf("/proc/%s/task", pid);
	DIR *d = opendir(tasks);
	struct dirent *de;
	int r = NETNS_USERS_NONE;

	if (!d)
		/* Gone meanwhile; or not ours to read. */
		return errno == EACCES || errno == EPERM ? NETNS_USERS_UNKNOWN : NETNS_USERS_NONE;
	while ((de = readdir(d))) {
		char path[300], target[64];
		ssize_t k;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/ns/net", tasks, de->d_name);
		k = readlink(path, target, sizeof(target) - 1);
		if (k < 0 && (errno == EACCES || errno == EPERM)) {
			r = NETNS_USERS_UNKNOWN;
			continue;
		}
		if (k <= 0)
			continue; /* exited meanwhile, or a kernel thread */
		target[k] = 0;
		if (streq(target, want)) {
			r = NETNS_USERS_SOME;
			break;
		}
	}
	closedir(d);
	return r;
}

int netns_in_use(const Netns *n)
{
	_cleanup_free_ char *want = xasprintf("net:[%lu]", (unsigned long)n->ino);
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();
	int r = NETNS_USERS_NONE;

	if (!d)
		return negative_errno();
	while ((de = readdir(d))) {
		int k;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == self)
			continue;
		k = process_in_netns(de->d_name, want);
		if (k == NETNS_USERS_SOME) {
			r = k;
			break;
		}
		if (k == NETNS_USERS_UNKNOWN)
			r = k;
	}
	closedir(d);
	return r;
}

int netns_rtnl(Netns *n, struct nl_sock **ret)
{
	struct nl_sock *sk;
	int saved = -EBADF, r;

	if (n->rtnl) {
		*ret = n->rtnl;
		return 0;
	}
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	r = netns_enter(n, &saved);
	if (r < 0) {
		nl_socket_free(sk);
		return r;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	netns_leave(&saved);
	if (r < 0) {
		nl_socket_free(sk);
		return nlerr_to_errno(r);
	}
	/* Large dumps (many addresses or routes) must not be truncated. */
	(void)nl_socket_set_buffer_size(sk, 1 << 20, 1 << 20);
	n->rtnl = sk;
	*ret = sk;
	return 0;
}

int netns_nft(Netns *n, NftSocket **ret)
{
	int saved = -EBADF, r;

	if (!n->nft) {
		r = netns_enter(n, &saved);
		if (r < 0)
			return r;
		r = nft_socket_open(&n->nft);
		netns_leave(&saved);
		if (r < 0)
			return r;
	}
	*ret = n->nft;
	return 0;
}

int netns_wg(Netns *n, WgSocket **ret)
{
	int saved = -EBADF, r;

	if (!n->wg) {
		r = netns_enter(n, &saved);
		if (r < 0)
			return r;
		r = wg_socket_open(&n->wg);
		netns_leave(&saved);
		if (r < 0)
			return r;
	}
	*ret = n->wg;
	return 0;
}
