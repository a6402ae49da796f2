/* SPDX-License-Identifier: MIT */
/*
 * Network sysctls of a namespace. /proc/sys/net resolves to the network
 * namespace of the task that opens the file, so each access enters the
 * namespace for the open() only.
 */
#pragma once

#include "netns.h"

/* key is a /proc/sys relative path, e.g. "net/ipv6/conf/all/disable_ipv6".
 * -ENOENT when the key does not exist there (e.g. IPv6 compiled out). */
int sysctl_write(const Netns *n, const char *key, const char *value);
/* Reads n integer sysctls entering the namespace once; a key that does
 * not exist there reads as -1; -EINVAL when a value is not a number. */
int sysctl_read_ints(const Netns *ns, const char *const *keys, size_t n, int *ret);
