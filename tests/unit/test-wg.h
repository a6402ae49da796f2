/* SPDX-License-Identifier: MIT */
/* Builders of the WireGuard tests: keys, prefixes, peers, endpoints. */
#pragma once

#include <arpa/inet.h>
#include <stdlib.h>

#include "wg.h"

static inline void fill_key(uint8_t k[static WG_KEY_LEN], uint8_t seed)
{
	for (unsigned i = 0; i < WG_KEY_LEN; i++)
		k[i] = (uint8_t)(seed + i * 7);
}

static inline IpPrefix prefix(const char *s)
{
	_cleanup_free_ char *a = xstrdup(s);
	char *slash = strchr(a, '/');
	IpPrefix p = {};

	*slash = 0;
	p.addr.family = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(p.addr.family, a, p.addr.bytes) != 1)
		abort();
	p.prefixlen = (uint8_t)atoi(slash + 1);
	return p;
}

static inline void peer_add_ip(WgPeer *p, const char *s)
{
	*ARRAY_APPEND(p->allowed_ips, p->n_allowed_ips) = prefix(s);
}

static inline WgSockaddr endpoint(const char *addr, uint16_t port)
{
	WgSockaddr e = {};

	if (strchr(addr, ':')) {
		e.in6.sin6_family = AF_INET6;
		e.in6.sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &e.in6.sin6_addr);
	} else {
		e.in.sin_family = AF_INET;
		e.in.sin_port = htons(port);
		inet_pton(AF_INET, addr, &e.in.sin_addr);
	}
	return e;
}
