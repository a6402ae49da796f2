/* SPDX-License-Identifier: MIT */
/*
 * Network sysctls of a namespace. /proc/sys/net resolves to the network
 * namespace of the task that opens the file, so each access enters the
 * namespace for the open() only.
 */
#pragma once

#include "netns.h"

/* key is a /proc/sys relative path, e.g. "net/ipv6/conf/all/disable_ipv6".
 * The value is returned without its trailing newline. -ENOENT when the key
 * does not exist there (e.g. IPv6 compiled out). */
int sysctl_read(const Netns *n, const char *key, char **ret);
int sysctl_write(const Netns *n, const char *key, const char *value);
/* Reads an integer sysctl; -EINVAL when the value is not a number. */
int sysctl_read_int(const Netns *n, const char *key, int *ret);
