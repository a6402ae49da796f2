/* SPDX-License-Identifier: MIT */
/*
 * vpnconf-generator: a systemd generator (systemd.generator(7)). Run by
 * the manager at boot and on every daemon-reload, as
 *
 *   vpnconf-generator NORMAL_DIR [EARLY_DIR LATE_DIR]
 *
 * it reads the desired-state file (/etc/vpnconf/desired.json, or
 * $VPNCONF_CONFIG) and writes into NORMAL_DIR the drop-ins that confine
 * the units listed under "units", a drop-in for vpnconf.service, and the
 * socket + proxy units of every namespaces.<n>.publish entry
 * (reconciler/systemd-units.h renders them).
 *
 * A generator must never fail the boot: it always exits 0. For a missing
 * file it writes nothing; for an invalid one it logs every problem (to
 * the kernel log when PID 1 runs it, where the journal picks it up, and to
 * stderr) and keeps each unit the file names off the network (a unit
 * left without a drop-in would start outside the tunnel). Everything is rendered in memory before the
 * first file is written; a write that fails removes what was written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desired.h"
#include "systemd-units.h"

static int kmsg_fd = -EBADF;

static void glog(int level, const char *fmt, ...) _printf_(2, 3);
static void glog(int level, const char *fmt, ...)
{
	_cleanup_free_ char *m = NULL;
	va_list ap;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "vpnconf-generator: %s\n", m);
	if (kmsg_fd >= 0)
		dprintf(kmsg_fd, "<%d>vpnconf-generator[%d]: %s\n", level, (int)getpid(), m);
}

static int write_file(int dirfd, const char *path, const char *text)
{
	_cleanup_close_ int fd = -EBADF;
	char *slash = strchr(path, '/');

	if (slash) {
		_cleanup_free_ char *dir = xstrndup(path, (size_t)(slash - path));

		if (mkdirat(dirfd, dir, 0755) < 0 && errno != EEXIST)
			return negative_errno();
	}
	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return negative_errno();
	return write_full(fd, text, strlen(text));
}

static void remove_files(int dirfd, const UnitTexts *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *path = t->files[i].path, *slash = strchr(path, '/');

		(void)unlinkat(dirfd, path, 0);
		if (slash) {
			_cleanup_free_ char *dir = xstrndup(path, (size_t)(slash - path));
			(void)unlinkat(dirfd, dir, AT_REMOVEDIR);
		}
	}
}

static int write_all(const char *dest, UnitTexts *t)
{
	_cleanup_close_ int dirfd = -EBADF;
	int r = 0;

	dirfd = open(dest, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (dirfd < 0) {
		r = negative_errno();
		glog(3, "Failed to open %s: %s", dest, strerror(-r));
		unit_texts_clear(t);
		return r;
	}
	for (size_t i = 0; i < t->n; i++) {
		r = write_file(dirfd, t->files[i].path, t->files[i].text);
		if (r < 0) {
			glog(3, "Failed to write %s/%s: %s", dest, t->files[i].path, strerror(-r));
			remove_files(dirfd, t, i + 1);
			break;
		}
	}
	unit_texts_clear(t);
	return r;
}

/* The file cannot be used, but the operator meant to confine the units it
 * names: without a drop-in they would start in the host's network
 * namespace, outside the tunnel. Each gets one that keeps it off the
 * network instead (systemd_units_render_unusable()). */
static void write_unusable(const char *dest, const char *config, char **names)
{
	_cleanup_strv_free_ char **owned = names;
	_cleanup_free_ char *text = NULL;
	UnitTexts t = {};
	size_t size;

	if (!names && (read_full_file(config, DESIRED_MAX_SIZE, &text, &size) < 0 ||
		       desired_unit_names(text, size, &owned) < 0)) {
		glog(3, "%s: no unit names could be read from it: a unit it was meant to confine "
			"starts unconfined",
		     config);
		return;
	}
	names = owned;
	systemd_units_render_unusable_all(names, &t);
	if (write_all(dest, &t) >= 0)
		STRV_FOREACH(n, names)
			glog(3, "%s: kept off the network until %s is fixed", *n, config);
}

static char **unit_names(const Desired *d)
{
	char **names = NULL;

	FOREACH_ARRAY(u, d->units, d->n_units)
		strv_push(&names, u->name);
	return names;
}

static int run(const char *dest, const char *config)
{
	SystemdUnitsConfig cfg = {
		.vpnconf_binary = VPNCONF_BINARY,
		.socket_proxyd = SOCKET_PROXYD,
		.config_path = config,
	};
	_cleanup_(desired_freep) Desired *d = NULL;
	DesiredErrors errors = {};
	UnitTexts t = {};
	int r;

	r = desired_load(config, &errors, &d);
	if (r == -ENOENT) {
		glog(6, "%s does not exist: nothing to confine", config);
		return 0;
	}
	if (r < 0) {
		if (errors.n == 0)
			glog(3, "Failed to read %s: %s", config, strerror(-r));
		for (size_t i = 0; i < errors.n; i++) {
			_cleanup_free_ char *m = desired_error_format(&errors.errors[i]);
			glog(3, "%s: %s", config, m);
		}
		glog(3, "%s is invalid: vpnconf.service will fail", config);
		desired_errors_clear(&errors);
		write_unusable(dest, config, NULL);
		return r;
	}
	r = systemd_units_render(d, &cfg, &t);
	if (r < 0) {
		glog(3, "%s: paths.netnsDir and paths.runtimeDir must consist of "
			"A-Z a-z 0-9 / _ . - + @ , = only to be written into unit files",
		     config);
		write_unusable(dest, config, unit_names(d));
		return r;
	}
	return write_all(dest, &t);
}

int main(int argc, char **argv)
{
	const char *config = getenv("VPNCONF_CONFIG");

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "Usage: vpnconf-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n");
		return 0;
	}
	/* Run by the manager: stderr may go nowhere, the kernel log is read
	 * by the journal once it runs. */
	if (getppid() == 1)
		kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	(void)run(argv[1], config && *config ? config : DESIRED_DEFAULT_PATH);
	return 0;
}
