/* SPDX-License-Identifier: MIT */
/*
 * Network sysctls of a namespace (see sysctl.h). The namespace is entered
 * only around open(): the open file stays bound to it afterwards.
 */
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

int sysctl_read(const Netns *n, const char *key, char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	char buf[256];
	ssize_t k;

	fd = sysctl_open(n, key, O_RDONLY);
	if (fd < 0)
		return fd;
	k = read(fd, buf, sizeof(buf) - 1);
	if (k < 0)
		return negative_errno();
	while (k > 0 && (buf[k - 1] == '\n' || buf[k - 1] == ' '))
		k--;
	buf[k] = 0;
	*ret = xstrdup(buf);
	return 0;
}

int sysctl_read_int(const Netns *n, const char *key, int *ret)
{
	_cleanup_free_ char *v = NULL;
	uint64_t u;
	int r;

	r = sysctl_read(n, key, &v);
	if (r < 0)
		return r;
	r = safe_atou64(v, &u);
	if (r < 0 || u > INT32_MAX)
		return -EINVAL;
	*ret = (int)u;
	return 0;
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
