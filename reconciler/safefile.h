/* SPDX-License-Identifier: MIT */
/*
 * Files in vpnconf's own directories (the per-namespace directory
 * <runtimeDir>/<name>/ with the resolver files, the ownership marker and
 * temporaries), handled without trusting what is found there:
 *
 *  - the file's directory is opened relative to its parent's fd with
 *    O_NOFOLLOW, and must be a directory owned by root (the effective uid)
 *    that neither group nor others may write;
 *  - a file is looked at with fstatat(AT_SYMLINK_NOFOLLOW) before it is
 *    opened: only a regular file with one link is ever opened (so a FIFO
 *    never blocks, a device is never opened, a symbolic link or a hard link
 *    to a file elsewhere is never read or written through), and then with
 *    O_NOFOLLOW | O_NONBLOCK, checked again with fstat to be that same
 *    inode;
 *  - anything else in a file's place is replaced by rename(), which never
 *    follows what it replaces; a non-empty directory is refused.
 *
 * Paths are given whole ("<dir>/<name>"); the directory's own parent is
 * checked once per run (paths.h).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Error codes of the functions below, beyond open(2)'s:
 *   -ELOOP   the file (or its directory) is a symbolic link
 *   -EISDIR  the file is a directory
 *   -EBADFD  the file is a FIFO, socket or device
 *   -EMLINK  the file has more than one hard link
 *   -ENOTDIR its directory is not a directory
 *   -EPERM   its directory is not owned by root, or group/world-writable */

/* What is wrong with a file for one of the codes above ("a FIFO, socket
 * or device, not a regular file"), or NULL for other codes. */
const char *safe_file_problem(int r);

/* Checks an open directory: owned by the effective uid (root), not
 * writable by group or others. -ENOTDIR, -EPERM. */
int safe_dir_check_fd(int fd);

/* Reads path, a regular file of at most max_size bytes (-EFBIG beyond).
 * -ENOENT when it or its directory is absent. */
int safe_file_read(const char *path, size_t max_size, char **ret);

/* Replaces path atomically with data (mode), whatever is there (a
 * non-empty directory excepted: -EISDIR). The directory is created (0755)
 * when missing, and replaced when a symbolic link or another non-directory
 * is in its place. The temporary "<name>.vpnconf-<pid>.tmp" is created
 * with O_EXCL; a leftover of that name is removed first. */
int safe_file_write_atomic(const char *path, const void *data, size_t size, mode_t mode);

/* Rewrites a regular file with one link in place (content from offset 0,
 * then cut to length, mode set), which keeps its inode for bind mounts;
 * anything else (absent, a FIFO, a symbolic link, a hard link...) is
 * replaced atomically as by safe_file_write_atomic(). */
int safe_file_rewrite(const char *path, const void *data, size_t size, mode_t mode);

/* Removes path (any kind of file; an empty directory too), never
 * following a link; then its directory when that is left empty. Absent is
 * success. */
int safe_file_remove(const char *path);

/* The names of <dir>'s entries that end in ".tmp" and contain ".vpnconf-"
 * (temporaries of interrupted writes), as full paths, sorted. A missing
 * or unsafe directory has none. */
int safe_dir_temporaries(const char *dir, char ***ret);
