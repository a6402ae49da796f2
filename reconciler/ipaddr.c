/* SPDX-License-Identifier: MIT */
/*
 * Implementation of ipaddr.h. IPv4 literals are parsed by hand because
 * the libc parsers are too lenient for a security policy: inet_aton()
 * takes "10.1" and "0x0a.1", and what one tool reads as octal another
 * reads as decimal. vpnconf accepts only the unambiguous form: four
 * decimal octets without leading zeros. IPv6 goes through inet_pton()
 * after a character check that keeps zone ids ("%eth0") out.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "ipaddr.h"
#include "util.h"

static int parse_ipv4(const char *s, struct in_addr *ret)
{
	uint8_t b[4];
	const char *p = s;

	for (unsigned i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		const char *start;

		if (i > 0 && *p++ != '.')
			return -EINVAL;
		for (start = p; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits == 3)
				return -EINVAL;
			v = v * 10 + (unsigned)(*p - '0');
		}
		/* "01" is octal to inet_aton() and decimal to others. */
		if (digits == 0 || v > 255 || (digits > 1 && *start == '0'))
			return -EINVAL;
		b[i] = (uint8_t)v;
	}
	if (*p != 0)
		return -EINVAL;
	memcpy(&ret->s_addr, b, 4);
	return 0;
}

static int parse_ipv6(const char *s, struct in6_addr *ret)
{
	struct in6_addr a;

	if (strlen(s) >= IPADDR_STRLEN || strspn(s, "0123456789abcdefABCDEF:.") != strlen(s))
		return -EINVAL;
	if (inet_pton(AF_INET6, s, &a) != 1)
		return -EINVAL;
	*ret = a;
	return 0;
}

int ipaddr_parse(const char *s, IpAddr *ret)
{
	IpAddr a = {};

	if (!s)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (parse_ipv6(s, &a.in6) < 0)
			return -EINVAL;
		a.family = AF_INET6;
	} else {
		if (parse_ipv4(s, &a.in) < 0)
			return -EINVAL;
		a.family = AF_INET;
	}
	*ret = a;
	return 0;
}

/* Clears (or sets) every bit of a below prefixlen. */
static void apply_host_bits(IpAddr *a, unsigned prefixlen, bool set)
{
	unsigned len = (unsigned)ipaddr_len(a->family);

	for (unsigned i = 0; i < len; i++) {
		unsigned bit = i * 8;
		uint8_t host;

		if (bit + 8 <= prefixlen)
			continue;
		host = bit >= prefixlen ? 0xff : (uint8_t)(0xff >> (prefixlen - bit));
		if (set)
			a->bytes[i] |= host;
		else
			a->bytes[i] &= (uint8_t)~host;
	}
}

static int parse_prefixlen(const char *s, unsigned max, unsigned *ret)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 3 || strspn(s, "0123456789") != n || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (const char *p = s; *p; p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int ipprefix_parse(const char *s, bool strict, IpPrefix *ret)
{
	char buf[IPADDR_STRLEN];
	const char *slash;
	IpPrefix p = {};
	unsigned len, max;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash) {
		if (ipaddr_parse(s, &p.addr) < 0)
			return -EINVAL;
		p.prefixlen = (uint8_t)(ipaddr_len(p.addr.family) * 8);
		*ret = p;
		return 0;
	}
	if ((size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (ipaddr_parse(buf, &p.addr) < 0)
		return -EINVAL;
	max = (unsigned)ipaddr_len(p.addr.family) * 8;
	if (parse_prefixlen(slash + 1, max, &len) < 0)
		return -EINVAL;
	p.prefixlen = (uint8_t)len;
	if (strict) {
		IpAddr base = p.addr;
		apply_host_bits(&base, len, false);
		if (!ipaddr_equal(&base, &p.addr))
			return -EINVAL;
	}
	*ret = p;
	return 0;
}

const char *ipaddr_to_string(const IpAddr *a, char *buf)
{
	if (!inet_ntop(a->family, a->bytes, buf, IPADDR_STRLEN))
		strcpy(buf, "?");
	return buf;
}

const char *ipprefix_to_string(const IpPrefix *p, char *buf)
{
	char a[IPADDR_STRLEN];

	snprintf(buf, IPPREFIX_STRLEN, "%s/%u", ipaddr_to_string(&p->addr, a), p->prefixlen);
	return buf;
}

bool ipaddr_equal(const IpAddr *a, const IpAddr *b)
{
	return ipaddr_compare(a, b) == 0;
}

int ipaddr_compare(const IpAddr *a, const IpAddr *b)
{
	int fa = a->family == AF_INET6, fb = b->family == AF_INET6;

	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a->bytes, b->bytes, ipaddr_len(a->family));
}

int ipprefix_compare(const IpPrefix *a, const IpPrefix *b)
{
	int r = ipaddr_compare(&a->addr, &b->addr);

	if (r != 0)
		return r;
	return (a->prefixlen > b->prefixlen) - (a->prefixlen < b->prefixlen);
}

bool ipprefix_contains(const IpPrefix *p, const IpAddr *a)
{
	IpAddr x = *a, y = p->addr;

	if (a->family != p->addr.family)
		return false;
	apply_host_bits(&x, p->prefixlen, false);
	apply_host_bits(&y, p->prefixlen, false);
	return ipaddr_equal(&x, &y);
}

void ipprefix_range(const IpPrefix *p, IpRange *ret)
{
	IpRange r = {.first = p->addr, .last = p->addr};

	apply_host_bits(&r.first, p->prefixlen, false);
	apply_host_bits(&r.last, p->prefixlen, true);
	*ret = r;
}

bool ipaddr_increment(IpAddr *a)
{
	for (size_t i = ipaddr_len(a->family); i > 0; i--)
		if (++a->bytes[i - 1] != 0)
			return true;
	return false;
}

static int range_compare(const void *x, const void *y)
{
	const IpRange *a = x, *b = y;
	int r = ipaddr_compare(&a->first, &b->first);

	return r != 0 ? r : ipaddr_compare(&a->last, &b->last);
}

size_t ipprefix_merge_ranges(const IpPrefix *prefixes, size_t n, int family, IpRange **ret)
{
	IpRange *r = NULL;
	size_t k = 0, m = 0;

	FOREACH_ARRAY(p, prefixes, n)
		if (p->addr.family == family)
			ipprefix_range(p, ARRAY_APPEND(r, k));
	if (k == 0) {
		*ret = NULL;
		return 0;
	}
	qsort(r, k, sizeof(*r), range_compare);

	for (size_t i = 1; i < k; i++) {
		IpAddr next = r[m].last;

		/* Overlapping, or adjacent: the next range starts right after
		 * the current one ends. No "next" exists past all-ones. */
		if (ipaddr_compare(&r[i].first, &r[m].last) <= 0 ||
		    (ipaddr_increment(&next) && ipaddr_equal(&next, &r[i].first))) {
			if (ipaddr_compare(&r[i].last, &r[m].last) > 0)
				r[m].last = r[i].last;
			continue;
		}
		r[++m] = r[i];
	}
	*ret = r;
	return m + 1;
}
