/* SPDX-License-Identifier: MIT */
/*
 * vpnconf's own directories (paths.stateDir, paths.runtimeDir,
 * paths.netnsDir): what "check" accepts, and what "reconcile" trusts.
 *
 *  - check: none of them may be a shared system directory ("/etc",
 *    "/run", "/var/lib", "/tmp", ...) or lie inside a kernel or read-only
 *    tree (/proc, /sys, /dev, /nix/store), and none may equal or contain
 *    another: vpnconf removes and replaces what it finds in them.
 *  - reconcile: every existing component of each directory must be a
 *    directory (not a symbolic link) owned by root; the directory itself
 *    must not be writable by group or others, and an ancestor only when it
 *    has the sticky bit (like /tmp). What does not exist yet vpnconf
 *    creates itself, owned by root with mode 0755 (0700 for stateDir).
 */
#pragma once

#include "desired.h"

/* The lexical normal form of an absolute path ("//a/./b/../c/" is "/a/c"),
 * newly allocated; NULL when p is not absolute. */
char *path_normalize(const char *p);

/* Why the normalised absolute path p may not be one of vpnconf's
 * directories ("a shared system directory"), or NULL when it may. */
const char *path_shared_reason(const char *p);

/* The rules above for check: errors name paths.<key> and the rule.
 * Returns -EINVAL when any was found. */
int paths_validate(const Desired *d, DesiredErrors *errors);

/* The rules above for reconcile, for the directory path. On failure
 * *ret_error (when not NULL) says which component breaks which rule:
 * -ELOOP (a symbolic link), -ENOTDIR, -EPERM (not owned by root), -EACCES
 * (writable by group or others). A missing directory is fine. */
int paths_check_dir(const char *path, char **ret_error);
