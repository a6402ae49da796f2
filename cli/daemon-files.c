/* SPDX-License-Identifier: MIT */
/*
 * The agent's file event sources: inotify on the runtime directory (each
 * namespace's generated resolver files and ownership marker) and on
 * paths.netnsDir (a namespace removed or replaced), and the mount table
 * (/proc/self/mountinfo signals every mount change with POLLPRI: a
 * namespace unmounted behind vpnconf's back leaves no inotify event).
 * Handlers mark the namespaces concerned dirty; an inotify queue overflow
 * calls for a full pass.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define DIR_EVENTS                                                                                 \
	(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM |          \
	 IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

static void add_wd(Daemon *d, const char *path, const char *name)
{
	int wd = inotify_add_watch(d->inotify_fd, path, DIR_EVENTS);

	if (wd < 0)
		return; /* absent for now: the pass that creates it refreshes */
	FOREACH_ARRAY(x, d->wds, d->n_wds)
	if (x->wd == wd) {
		free(x->name);
		x->name = name ? xstrdup(name) : NULL;
		return;
	}
	d->wds = xrealloc(d->wds, (d->n_wds + 1) * sizeof(*d->wds));
	d->wds[d->n_wds].wd = wd;
	d->wds[d->n_wds].name = name ? xstrdup(name) : NULL;
	d->n_wds++;
}

static void forget_wd(Daemon *d, int wd)
{
	for (size_t i = 0; i < d->n_wds; i++)
		if (d->wds[i].wd == wd) {
			free(d->wds[i].name);
			d->wds[i] = d->wds[--d->n_wds];
			return;
		}
}

void daemon_files_refresh(Daemon *d)
{
	add_wd(d, d->desired->netns_dir, NULL);
	add_wd(d, d->desired->runtime_dir, NULL);
	FOREACH_ARRAY(ns, d->desired->namespaces, d->desired->n_namespaces)
	{
		_cleanup_free_ char *p = xasprintf("%s/%s", d->desired->runtime_dir, ns->name);
		add_wd(d, p, ns->name);
	}
}

static const char *wd_name(Daemon *d, int wd, bool *found)
{
	FOREACH_ARRAY(x, d->wds, d->n_wds)
	if (x->wd == wd) {
		*found = true;
		return x->name;
	}
	*found = false;
	return NULL;
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Daemon *d = userdata;
	uint8_t buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (unsigned round = 0; round < 64; round++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (uint8_t *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			bool found;
			const char *name;

			p += sizeof(*e) + e->len;
			if (e->mask & IN_Q_OVERFLOW) {
				daemon_mark_full(d);
				continue;
			}
			name = wd_name(d, e->wd, &found);
			if (!found)
				continue;
			if (name)
				/* A file of namespace name's directory. */
				daemon_mark(d, name);
			else if (e->len > 0 && e->name[0] != '.')
				/* An entry of the namespace or runtime directory:
				 * named like the namespace (or socket namespace). */
				daemon_mark(d, e->name);
			if (e->mask & IN_IGNORED)
				forget_wd(d, e->wd);
		}
	}
	daemon_schedule(d);
	return 0;
}

/* Does <netnsDir>/<name> still hold the namespace that is watched? */
static bool path_changed(Daemon *d, const char *name, bool birthplace)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", d->desired->netns_dir, name);
	struct statfs sfs;
	struct stat st;

	if (statfs(p, &sfs) < 0 || sfs.f_type != NSFS_MAGIC || stat(p, &st) < 0)
		st = (struct stat){};
	for (size_t i = 0; i < d->n_watches; i++) {
		const Watch *w = d->watches[i];

		if (w->birthplace == birthplace && streq_ptr(w->name, name))
			return w->dev != st.st_dev || w->ino != st.st_ino;
	}
	return st.st_ino != 0; /* not watched: only a new namespace is news */
}

static bool watched(Daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_watches; i++)
		if (!d->watches[i]->birthplace && streq_ptr(d->watches[i]->name, name))
			return true;
	return false;
}

static int on_mountinfo(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Daemon *d = userdata;

	/* Which namespace changed is cheap to find out: compare each watched
	 * namespace's identity with what its path holds now. */
	FOREACH_ARRAY(ns, d->desired->namespaces, d->desired->n_namespaces)
	{
		if (path_changed(d, ns->name, false)) {
			if (watched(d, ns->name))
				daemon_namespace_lost(d, ns->name);
			daemon_mark(d, ns->name);
		}
		if (ns->wg.socket_namespace && path_changed(d, ns->wg.socket_namespace, true))
			daemon_mark(d, ns->wg.socket_namespace);
	}
	daemon_schedule(d);
	return 0;
}

int daemon_files_init(Daemon *d)
{
	int r;

	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify_fd < 0)
		return negative_errno();
	r = sd_event_add_io(d->event, &d->inotify_src, d->inotify_fd, EPOLLIN, on_inotify, d);
	if (r < 0)
		return r;
	d->mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (d->mountinfo_fd < 0)
		return negative_errno();
	r = sd_event_add_io(d->event, &d->mountinfo_src, d->mountinfo_fd, EPOLLPRI, on_mountinfo,
			    d);
	if (r < 0)
		return r;
	daemon_files_refresh(d);
	return 0;
}

void daemon_files_free(Daemon *d)
{
	sd_event_source_disable_unref(d->inotify_src);
	sd_event_source_disable_unref(d->mountinfo_src);
	safe_close(d->inotify_fd);
	safe_close(d->mountinfo_fd);
	FOREACH_ARRAY(x, d->wds, d->n_wds)
	free(x->name);
	free(d->wds);
	d->wds = NULL;
	d->n_wds = 0;
}
