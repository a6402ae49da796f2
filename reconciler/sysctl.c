/* SPDX-License-Identifier: MIT */
/*
 * Network sysctls of a namespace (see sysctl.h). The namespace is entered
 * only around open(): the open file stays bound to it afterwards.
 */
#include <assert.h>
#include <fcntl.h>

#include "sysctl.h"

static int sysctl_open(const Netns *n, const char *key, int flags)
{
	_cleanup_free_ char *path = xasprintf("/proc/sys/%s", key);
	int saved = -EBADF, fd, r;

	r = netns_enter(n, &saved);
	if (r < 0)
		return r;
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	r = fd < 0 ? negative_errno() : fd;
	netns_leave(&saved);
	return r;
}

int sysctl_write(const Netns *n, const char *key, const char *value)
{
	_cleanup_close_ int fd = -EBADF;
	size_t l = strlen(value);
	ssize_t k;

	fd = sysctl_open(n, key, O_WRONLY);
	if (fd < 0)
		return fd;
	k = write(fd, value, l);
	if (k < 0)
		return negative_errno();
	return (size_t)k == l ? 0 : -EIO;
}

static int read_int_fd(int fd, int *ret)
{
	char buf[64];
	ssize_t k = read(fd, buf, sizeof(buf) - 1);
	uint64_t u;

	if (k < 0)
		return negative_errno();
	while (k > 0 && (buf[k - 1] == '\n' || buf[k - 1] == ' '))
		k--;
	buf[k] = 0;
	if (safe_atou64(buf, &u) < 0 || u > INT32_MAX)
		return -EINVAL;
	*ret = (int)u;
	return 0;
}

int sysctl_read_ints(const Netns *ns, const char *const *keys, size_t n, int *ret)
{
	int saved = -EBADF, r = 0;
	int fds[8];

	assert(n <= ELEMENTSOF(fds));
	r = netns_enter(ns, &saved);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("/proc/sys/%s", keys[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	netns_leave(&saved);
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0) {
			ret[i] = -1;
			continue;
		}
		if (r >= 0)
			r = read_int_fd(fds[i], &ret[i]);
		safe_close(fds[i]);
	}
	return r;
}
