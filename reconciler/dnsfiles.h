/* SPDX-License-Identifier: MIT */
/*
 * The per-namespace resolver files under <runtimeDir>/<namespace>/:
 * resolv.conf (the configured resolvers, nothing else) and nsswitch.conf
 * (hosts resolved by files, myhostname and DNS only: no mdns, no
 * resolve/nscd round trips to host daemons). Confined units get them
 * bind-mounted over /etc/resolv.conf and /etc/nsswitch.conf.
 * Rendering is pure. A new file is written atomically (rename); an
 * existing one is rewritten in place, because units hold it through a
 * bind mount of its inode (dns_file_write()).
 */
#pragma once

#include "desired.h"

typedef enum DnsFile {
	DNS_FILE_RESOLV_CONF,
	DNS_FILE_NSSWITCH_CONF,
	_DNS_FILE_MAX,
	_DNS_FILE_INVALID = -EINVAL,
} DnsFile;

const char *dns_file_name(DnsFile f);
/* <runtime_dir>/<ns>/<file name>, newly allocated. */
char *dns_file_path(const char *runtime_dir, const char *ns_name, DnsFile f);
/* The content the file should have, newly allocated. */
char *dns_file_render(const Namespace *ns, DnsFile f);
/* Reads the current content; -ENOENT when absent, and safefile.h's codes
 * for anything that is not a regular file. */
int dns_file_read(const char *path, char **ret);
/* Writes content with mode 0644: in place when the file exists, else
 * atomically, creating the directory. */
int dns_file_write(const char *path, const char *content);
