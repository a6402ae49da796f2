/* SPDX-License-Identifier: MIT */
/*
 * Names vpnconf reads back from the kernel and its runtime directory: link
 * aliases ("vpnconf:<namespace>:<role>[@<socket namespace>]") and
 * namespace ownership markers. Root inside a confinement namespace can
 * write any alias on any link there, so these are untrusted input, parsed
 * as strictly as the desired state: every namespace name in them must be
 * one the desired state could hold (namespace_name_is_valid(), or "init"
 * where the namespace vpnconf runs in is meant), anything else is refused
 * and the object is taken as foreign. Parsing is pure (libFuzzer harness
 * in tests/fuzz/fuzz-kname.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "desired.h"

typedef enum LinkRole {
	LINK_ROLE_HOSTLINK_ID,
	LINK_ROLE_TUNNEL_ID,
	_LINK_ROLE_MAX,
	_LINK_ROLE_INVALID = -EINVAL,
} LinkRole;

typedef struct LinkAlias {
	char namespace[NAMESPACE_NAME_MAX + 1];
	LinkRole role;
	/* Tunnels only: where the tunnel's UDP socket lives, "init" or a
	 * namespace name; "" when the alias records none. */
	char birthplace[NAMESPACE_NAME_MAX + 1];
} LinkAlias;

/* Parses a link alias. -ENOMSG when it is not vpnconf's (no "vpnconf:"
 * prefix); -EINVAL when it claims to be vpnconf's but is malformed (a bad
 * namespace name, an unknown role, a birthplace on a host link, a second
 * '@', ...). s may be any bytes up to a NUL. */
int kname_parse_alias(const char *s, LinkAlias *ret);

/* What an ownership marker <runtimeDir>/<name>/netns-id says. */
typedef struct NetnsMarker {
	bool legacy;     /* "dev:ino", written by earlier versions */
	uint64_t cookie; /* "cookie:<n>": the namespace cookie */
	uint64_t dev, ino;
} NetnsMarker;

/* Parses marker file content (size bytes, not necessarily NUL-terminated):
 * "cookie:<decimal>\n", or the legacy "<dev>:<ino>\n". Decimal numbers
 * without sign or leading zeros, nothing else in the file. -EINVAL
 * otherwise. */
int kname_parse_marker(const char *s, size_t size, NetnsMarker *ret);
/* "cookie:<n>\n", newly allocated. */
char *kname_format_marker(uint64_t cookie);
