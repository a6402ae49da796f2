/* SPDX-License-Identifier: MIT */
/* vpnconf's own directories: the check rules and the reconcile-time
 * checks (see paths.h). */
#include <fcntl.h>
#include <sys/stat.h>

#include "paths.h"

char *path_normalize(const char *p)
{
	_cleanup_free_ char *out = NULL;
	size_t n = 0;

	if (!p || p[0] != '/')
		return NULL;
	out = xmalloc(strlen(p) + 2);
	for (const char *s = p; *s;) {
		size_t len;

		while (*s == '/')
			s++;
		len = strcspn(s, "/");
		if (len == 0 || (len == 1 && s[0] == '.')) {
			/* nothing, or "." */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the slash; ".." of "/" is "/" */
		} else {
			out[n++] = '/';
			memcpy(out + n, s, len);
			n += len;
		}
		s += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = 0;
	return TAKE_PTR(out);
}

/* Directories other software and users share: vpnconf creating, replacing
 * and removing files there would break the system or hand it files it
 * does not own. */
static const char *const shared_dirs[] = {
	"/",		 "/bin",	  "/boot",	  "/dev",	  "/etc",
	"/etc/systemd",	 "/home",	  "/lib",	  "/lib64",	  "/media",
	"/mnt",		 "/nix",	  "/nix/store",	  "/nix/var",	  "/opt",
	"/proc",	 "/root",	  "/run",	  "/run/lock",	  "/run/user",
	"/run/systemd",	 "/run/wrappers", "/run/keys",	  "/sbin",	  "/srv",
	"/sys",		 "/tmp",	  "/usr",	  "/usr/bin",	  "/usr/lib",
	"/usr/local",	 "/usr/sbin",	  "/usr/share",	  "/var",	  "/var/cache",
	"/var/empty",	 "/var/lib",	  "/var/lib/private", "/var/lock", "/var/log",
	"/var/run",	 "/var/spool",	  "/var/tmp",	  "/dev/shm",
};

/* Trees where nothing of vpnconf's can live: kernel file systems and the
 * read-only Nix store. */
static const char *const foreign_trees[] = {"/proc", "/sys", "/dev", "/nix/store"};

static bool path_inside(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (streq(dir, "/"))
		return true;
	return strncmp(p, dir, n) == 0 && (p[n] == '/' || p[n] == 0);
}

const char *path_shared_reason(const char *p)
{
	for (size_t i = 0; i < ELEMENTSOF(shared_dirs); i++)
		if (streq(p, shared_dirs[i]))
			return "is a shared system directory";
	for (size_t i = 0; i < ELEMENTSOF(foreign_trees); i++)
		if (path_inside(p, foreign_trees[i]))
			return "lies in a kernel or read-only file system tree";
	return NULL;
}

int paths_validate(const Desired *d, DesiredErrors *errors)
{
	const struct {
		const char *key;
		const char *value;
	} dirs[] = {
		{"paths.stateDir", d->state_dir},
		{"paths.runtimeDir", d->runtime_dir},
		{"paths.netnsDir", d->netns_dir},
	};
	char *norm[ELEMENTSOF(dirs)] = {};
	size_t before = errors->n;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		const char *why;

		norm[i] = path_normalize(dirs[i].value);
		if (!norm[i]) {
			desired_errors_add(errors, dirs[i].key, "must be an absolute path");
			continue;
		}
		why = path_shared_reason(norm[i]);
		if (why)
			desired_errors_add(errors, dirs[i].key,
					   "%s %s: vpnconf needs a directory of its own", norm[i],
					   why);
	}
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		for (size_t j = 0; j < i; j++) {
			if (!norm[i] || !norm[j])
				continue;
			if (streq(norm[i], norm[j]))
				desired_errors_add(errors, dirs[i].key,
						   "must not be the same directory as %s (%s)",
						   dirs[j].key, norm[j]);
			else if (path_inside(norm[i], norm[j]) || path_inside(norm[j], norm[i]))
				desired_errors_add(errors, dirs[i].key,
						   "must not overlap %s: %s %s %s", dirs[j].key,
						   norm[i], path_inside(norm[i], norm[j]) ? "lies inside" : "contains",
						   norm[j]);
		}
	for (size_t i = 0; i < ELEMENTSOF(norm); i++)
		free(norm[i]);
	return errors->n > before ? -EINVAL : 0;
}

static int component_error(int r, char **ret_error, const char *fmt, ...) _printf_(3, 4);
static int component_error(int r, char **ret_error, const char *fmt, ...)
{
	va_list ap;

	if (ret_error) {
		va_start(ap, fmt);
		*ret_error = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return r;
}

int paths_check_dir(const char *path, char **ret_error)
{
	_cleanup_free_ char *norm = path_normalize(path), *prefix = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *s;

	if (!norm)
		return component_error(-EINVAL, ret_error, "%s is not an absolute path", path);
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	prefix = xmalloc(strlen(norm) + 1);
	prefix[0] = 0;
	for (s = norm + 1; *s;) {
		size_t len = strcspn(s, "/");
		_cleanup_free_ char *name = xstrndup(s, len);
		bool last = s[len] == 0;
		struct stat st;
		int next;

		strcat(prefix, "/");
		strcat(prefix, name);
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				return 0; /* vpnconf creates the rest, root's, 0755 or 0700 */
			return component_error(negative_errno(), ret_error, "cannot inspect %s: %m",
					       prefix);
		}
		if (S_ISLNK(st.st_mode))
			return component_error(-ELOOP, ret_error,
					       "%s is a symbolic link: give the real path", prefix);
		if (!S_ISDIR(st.st_mode))
			return component_error(-ENOTDIR, ret_error, "%s is not a directory", prefix);
		if (st.st_uid != 0 && st.st_uid != geteuid())
			return component_error(-EPERM, ret_error,
					       "%s is owned by uid %u, not root: whoever owns it "
					       "could replace what vpnconf keeps there",
					       prefix, (unsigned)st.st_uid);
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (last || !(st.st_mode & S_ISVTX)))
			return component_error(-EACCES, ret_error,
					       "%s is writable by group or others (mode %04o)%s",
					       prefix, (unsigned)(st.st_mode & 07777),
					       last ? "" : " without the sticky bit");
		next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return component_error(negative_errno(), ret_error, "cannot open %s: %m",
					       prefix);
		safe_close(fd);
		fd = next;
		s += len;
		while (*s == '/')
			s++;
	}
	return 0;
}
