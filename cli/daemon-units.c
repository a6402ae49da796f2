/* SPDX-License-Identifier: MIT */
/*
 * Confined units follow their namespace when it is re-created. After each
 * pass the identity (nsfs dev:inode) of every desired namespace is
 * compared with the one seen before. A namespace that vanished was removed
 * behind vpnconf's back (journaled: namespace-lost); one that is back with
 * another identity was created again by the pass, while the units confined
 * to it still run in the old, orphaned namespace: its policy is intact, but
 * nobody watches it any more. Those units are restarted through systemd
 * (sd-bus, TryRestartUnit) so that they join the new one (journaled:
 * namespace-recreated); running instances of a confined template, and a
 * unit that cannot be restarted, are stopped: nothing may keep running in
 * a namespace vpnconf no longer watches.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "systemd-units.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* A symbolic link in the namespace's place is no namespace of vpnconf's
 * (systemd would follow it: to /proc/1/ns/net, say). */
static bool ns_identity(const Daemon *d, const char *name, dev_t *ret_dev, ino_t *ret_ino)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", d->desired->netns_dir, name);
	_cleanup_close_ int fd = -EBADF;
	struct statfs sfs;
	struct stat st;

	fd = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC || fstat(fd, &st) < 0)
		return false;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return true;
}

/* PID 1's private socket when root (no D-Bus daemon needed, as systemctl
 * does), the system bus otherwise. */
static int bus_open(sd_bus **ret)
{
	sd_bus *bus = NULL;
	int r;

	if (geteuid() == 0) {
		r = sd_bus_new(&bus);
		if (r >= 0)
			r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
		if (r >= 0)
			r = sd_bus_start(bus);
		if (r >= 0) {
			*ret = bus;
			return 0;
		}
		bus = sd_bus_unref(bus);
	}
	r = sd_bus_open_system(&bus);
	if (r < 0)
		return r;
	*ret = bus;
	return 0;
}

static int manager_call(sd_bus *bus, const char *method, const char *unit, char **ret_error)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, method, &error,
			       &reply, "ss", unit, "replace");
	if (r < 0)
		*ret_error = xstrdup(error.message ?: strerror(-r));
	sd_bus_message_unref(reply);
	sd_bus_error_free(&error);
	return r;
}

/* The loaded instances of template "a@.service": "a@*.service". */
static char **template_instances(sd_bus *bus, const char *template)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *at = strstr(template, "@."), *name;
	_cleanup_free_ char *pattern = xasprintf("%.*s@*%s", (int)(at - template), template,
						 at + 1);
	char **l = NULL;
	int r;

	r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
			       "ListUnitsByPatterns", &error, &reply, "asas", 0, 1, pattern);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
	while (r > 0) {
		r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL,
					NULL, NULL, NULL, NULL);
		if (r > 0)
			strv_push(&l, name);
	}
	sd_bus_message_unref(reply);
	sd_bus_error_free(&error);
	return l;
}

static void rejoin(Daemon *d, const char *ns)
{
	_cleanup_strv_free_ char **done = NULL, **failed = NULL;
	_cleanup_free_ char *jd = NULL, *jf = NULL;
	sd_bus *bus = NULL;
	int r;

	r = bus_open(&bus);
	FOREACH_ARRAY(u, d->desired->units, d->desired->n_units)
	{
		if (!streq(u->namespace, ns))
			continue;
		if (r < 0) {
			strv_push(&failed, u->name);
			continue;
		}
		if (strstr(u->name, "@.")) {
			_cleanup_strv_free_ char **l = template_instances(bus, u->name);

			STRV_FOREACH(i, l)
			{
				_cleanup_free_ char *e = NULL;
				if (manager_call(bus, "StopUnit", *i, &e) < 0)
					strv_pushf(&failed, "%s (%s)", *i, e);
				else
					strv_pushf(&done, "%s (stopped)", *i);
			}
			continue;
		}
		_cleanup_free_ char *e = NULL, *e2 = NULL;
		if (manager_call(bus, "TryRestartUnit", u->name, &e) >= 0)
			strv_push(&done, u->name);
		else if (manager_call(bus, "StopUnit", u->name, &e2) >= 0)
			strv_pushf(&done, "%s (stopped: %s)", u->name, e);
		else
			strv_pushf(&failed, "%s (%s)", u->name, e2);
	}
	/* The proxies of namespaces.<n>.publish run inside it too. */
	FOREACH_ARRAY(n, d->desired->namespaces, d->desired->n_namespaces)
	for (size_t i = 0; r >= 0 && streq(n->name, ns) && i < n->n_publish; i++) {
		_cleanup_free_ char *name = systemd_units_publish_name(n, i), *unit = NULL,
				    *e = NULL;

		unit = xasprintf("%s.service", name);
		if (manager_call(bus, "TryRestartUnit", unit, &e) >= 0)
			strv_push(&done, unit);
		else
			strv_pushf(&failed, "%s (%s)", unit, e);
	}
	sd_bus_flush_close_unref(bus);
	jd = done ? strv_join(done, ", ") : xstrdup("none");
	jf = failed ? strv_join(failed, ", ") : NULL;
	log_event(failed ? LOG_ERR : LOG_NOTICE, VPNCONF_MESSAGE_NAMESPACE_RECREATED, ns, NULL,
		  "namespace-recreated",
		  "vpnconf daemon: namespace %s was re-created; confined units restarted to join "
		  "it: %s%s%s",
		  ns, jd, jf ? "; could not restart or stop: " : "", strempty(jf));
	log_info("%s: re-created; confined units restarted: %s%s%s", ns, jd,
		 jf ? "; could not restart or stop: " : "", strempty(jf));
}

static NsSeen *seen_find(Daemon *d, const char *name)
{
	FOREACH_ARRAY(s, d->seen, d->n_seen)
	if (streq(s->name, name))
		return s;
	return NULL;
}

/* The pass found vpnconf's own namespace under the name (it proves that
 * by the ownership marker before it touches anything). */
static bool outcome_proves_ours(NamespaceOutcome o)
{
	return o == NS_IN_SYNC || o == NS_APPLIED || o == NS_LOCKED_DOWN;
}

void daemon_units_after_pass(Daemon *d)
{
	FOREACH_ARRAY(ns, d->desired->namespaces, d->desired->n_namespaces)
	{
		NsSeen *s = seen_find(d, ns->name);
		NamespaceOutcome o = d->outcomes[ns - d->desired->namespaces];
		dev_t dev;
		ino_t ino;

		if (!ns_identity(d, ns->name, &dev, &ino)) {
			if (s && !s->lost) {
				s->lost = true;
				if (!daemon_lost_by_down(d, ns->name))
					log_event(LOG_WARNING, VPNCONF_MESSAGE_NAMESPACE_LOST,
						  ns->name, NULL, "namespace-lost",
						  "vpnconf daemon: namespace %s was removed behind "
						  "vpnconf's back",
						  ns->name);
			}
			continue;
		}
		if (!s) {
			s = ARRAY_APPEND(d->seen, d->n_seen);
			*s = (NsSeen){.name = xstrdup(ns->name), .dev = dev, .ino = ino};
			continue;
		}
		if (s->dev == dev && s->ino == ino)
			continue;
		/* Another namespace under the name that the pass could not prove
		 * vpnconf's (one attached there by hand, "ip netns attach NAME 1"
		 * puts the host's): restarting the units would put them in it,
		 * unconfined. They stay where they are, in the old namespace with
		 * its policy, until vpnconf's own is back. */
		if (!outcome_proves_ours(o)) {
			if (!s->foreign)
				log_event(LOG_CRIT, VPNCONF_MESSAGE_NAMESPACE_LOST, ns->name, NULL,
					  "namespace-lost",
					  "vpnconf daemon: %s/%s holds a namespace that is not "
					  "vpnconf's; confined units are not restarted into it",
					  d->desired->netns_dir, ns->name);
			if (!s->foreign)
				log_warning("%s: %s/%s holds a namespace that is not vpnconf's; "
					    "confined units are not restarted into it",
					    ns->name, d->desired->netns_dir, ns->name);
			s->foreign = true;
			continue;
		}
		s->foreign = false;
		if (!s->lost && !daemon_lost_by_down(d, ns->name))
			log_event(LOG_WARNING, VPNCONF_MESSAGE_NAMESPACE_LOST, ns->name, NULL,
				  "namespace-lost",
				  "vpnconf daemon: namespace %s was replaced behind vpnconf's back",
				  ns->name);
		s->dev = dev;
		s->ino = ino;
		s->lost = false;
		rejoin(d, ns->name);
	}
}

void daemon_units_free(Daemon *d)
{
	FOREACH_ARRAY(s, d->seen, d->n_seen)
	free(s->name);
	free(d->seen);
	d->seen = NULL;
	d->n_seen = 0;
}
