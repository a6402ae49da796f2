/* SPDX-License-Identifier: MIT */
/*
 * The systemd wiring of a desired state on systems without the NixOS
 * module: what vpnconf-generator writes. Pure functions from a validated
 * Desired to file names and texts (drop-ins that confine the listed
 * units, a drop-in for vpnconf.service, and the socket + proxy pairs of
 * namespaces.<n>.publish); writing them is the generator's job.
 *
 * What a confined unit gets is the same as what nix/units.nix gives it
 * (docs/units.md has the table; a test compares the two).
 */
#pragma once

#include "desired.h"

#define SYSTEMD_UNITS_LIFECYCLE "vpnconf.service"
#define SYSTEMD_UNITS_AGENT "vpnconf-watch.service"
/* Drop-ins sort by file name across all directories and later ones win:
 * "zz-" comes after "override.conf", so an administrator's own drop-in
 * cannot widen what this one restricts by coming later. */
#define SYSTEMD_UNITS_DROPIN "zz-vpnconf.conf"

typedef struct SystemdUnitsConfig {
	const char *vpnconf_binary;   /* absolute path of vpnconf */
	const char *socket_proxyd;    /* absolute path of systemd-socket-proxyd */
	const char *config_path;      /* the desired-state file the units were made from */
} SystemdUnitsConfig;

typedef struct UnitText {
	char *path; /* relative to the generator's directory: "a.service.d/zz-vpnconf.conf" */
	char *text;
} UnitText;

typedef struct UnitTexts {
	UnitText *files;
	size_t n;
} UnitTexts;

void unit_texts_clear(UnitTexts *t);

/* Whether s can be written into a unit file setting as is (no
 * whitespace, quotes, '%' specifiers, ':' or control characters). */
bool unit_value_is_plain(const char *s);

/* The drop-in confining u (which must name a namespace of d). */
char *systemd_units_render_confined(const Desired *d, const Unit *u);
/* The drop-in of vpnconf.service: ordering against the network, one
 * ExecStop= per namespace, and the publish sockets it pulls in. */
char *systemd_units_render_lifecycle(const Desired *d, const SystemdUnitsConfig *cfg);
/* "vpnconf-publish-<ns>-<i>" (without suffix), newly allocated. */
char *systemd_units_publish_name(const Namespace *ns, size_t i);
char *systemd_units_render_publish_socket(const Desired *d, const Namespace *ns, size_t i);
char *systemd_units_render_publish_service(const Desired *d, const Namespace *ns, size_t i,
					   const SystemdUnitsConfig *cfg);

/* portForwarding.onChange: "vpnconf-port-<ns>" (without suffix); a path
 * unit on <runtimeDir>/<ns>/forwarded-port and the oneshot it starts,
 * which runs the command inside the namespace as a dynamic user with
 * $VPNCONF_PORT set (nothing when the file is gone). */
char *systemd_units_port_name(const Namespace *ns);
char *systemd_units_render_port_path(const Desired *d, const Namespace *ns);
char *systemd_units_render_port_service(const Desired *d, const Namespace *ns);

/* Every file for d, in a stable order. -EINVAL when a path of d or cfg
 * cannot be written into a unit file (see unit_value_is_plain()); *ret is
 * then untouched. */
int systemd_units_render(const Desired *d, const SystemdUnitsConfig *cfg, UnitTexts *ret);

/* The drop-in for a unit the operator meant to confine while the desired
 * state cannot be used (invalid): bound to vpnconf.service, which fails
 * with it, and with a network namespace of its own holding only a
 * loopback, so that it never starts in the host's network namespace. */
char *systemd_units_render_unusable(const char *unit_name);
/* One such drop-in per name, in order. */
void systemd_units_render_unusable_all(char *const *names, UnitTexts *ret);
