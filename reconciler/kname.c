/* SPDX-License-Identifier: MIT */
/*
 * Parsing kernel-supplied names (see kname.h). Pure: no system calls.
 */
#include <inttypes.h>
#include <stdio.h>

#include "kname.h"
#include "link.h"

static const char *const role_names[_LINK_ROLE_MAX] = {
	[LINK_ROLE_HOSTLINK_ID] = LINK_ROLE_HOSTLINK,
	[LINK_ROLE_TUNNEL_ID] = LINK_ROLE_TUNNEL,
};

/* Copies the field [s, s+n) into buf when it is a valid namespace name
 * (or "init" when init_ok). */
static bool take_namespace(const char *s, size_t n, bool init_ok,
			   char buf[static NAMESPACE_NAME_MAX + 1])
{
	if (n == 0 || n > NAMESPACE_NAME_MAX)
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	return (init_ok && streq(buf, "init")) || namespace_name_is_valid(buf);
}

int kname_parse_alias(const char *s, LinkAlias *ret)
{
	LinkAlias a = {.role = _LINK_ROLE_INVALID};
	const char *p, *colon, *at;
	size_t n;

	if (!s)
		return -ENOMSG;
	p = startswith(s, LINK_ALIAS_PREFIX);
	if (!p)
		return -ENOMSG;
	colon = strchr(p, ':');
	if (!colon || !take_namespace(p, colon - p, false, a.namespace))
		return -EINVAL;
	p = colon + 1;
	at = strchr(p, '@');
	n = at ? (size_t)(at - p) : strlen(p);
	for (LinkRole r = 0; r < _LINK_ROLE_MAX; r++)
		if (strlen(role_names[r]) == n && strncmp(p, role_names[r], n) == 0)
			a.role = r;
	if (a.role < 0)
		return -EINVAL;
	if (at) {
		/* Only a tunnel has a socket namespace to record. */
		if (a.role != LINK_ROLE_TUNNEL_ID || !take_namespace(at + 1, strlen(at + 1), true,
								      a.birthplace))
			return -EINVAL;
	}
	*ret = a;
	return 0;
}

/* A decimal number without sign or leading zero, fitting 64 bits. */
static bool parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

int kname_parse_marker(const char *s, size_t size, NetnsMarker *ret)
{
	NetnsMarker m = {};
	const char *colon;
	size_t n;

	if (!s || size < 2 || s[size - 1] != '\n')
		return -EINVAL;
	n = size - 1;
	colon = memchr(s, ':', n);
	if (!colon)
		return -EINVAL;
	if ((size_t)(colon - s) == strlen("cookie") && memcmp(s, "cookie", 6) == 0) {
		if (!parse_u64(colon + 1, n - 7, &m.cookie) || m.cookie == 0)
			return -EINVAL;
	} else {
		m.legacy = true;
		if (!parse_u64(s, colon - s, &m.dev) ||
		    !parse_u64(colon + 1, n - (colon - s) - 1, &m.ino))
			return -EINVAL;
	}
	*ret = m;
	return 0;
}

char *kname_format_marker(uint64_t cookie)
{
	return xasprintf("cookie:%" PRIu64 "\n", cookie);
}
