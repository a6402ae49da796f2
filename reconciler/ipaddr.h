/* SPDX-License-Identifier: MIT */
/*
 * IPv4/IPv6 addresses and prefixes: strict literal parsing (no hostnames,
 * no zone ids, no shorthand like "10.1"), formatting, and the prefix
 * arithmetic that interval sets need (first/last address, merging
 * overlapping prefixes into sorted disjoint ranges).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct IpAddr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr in;
		struct in6_addr in6;
		uint8_t bytes[16];
	};
} IpAddr;

typedef struct IpPrefix {
	IpAddr addr;
	uint8_t prefixlen;
} IpPrefix;

/* An inclusive range [first, last] of one family, as interval sets hold
 * them. */
typedef struct IpRange {
	IpAddr first;
	IpAddr last;
} IpRange;

#define IPADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define IPPREFIX_STRLEN (IPADDR_STRLEN + 4)

static inline size_t ipaddr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Literal address: dotted quad with exactly four decimal octets, or an
 * IPv6 literal per inet_pton (no brackets, no "%zone"). */
int ipaddr_parse(const char *s, IpAddr *ret);
/* "addr/len" or a bare address (taken as /32 or /128). With strict, host
 * bits set below the prefix length are -EINVAL ("10.0.0.1/8"); without,
 * they are kept (interface addresses like "10.0.0.2/24"). A prefix length
 * must be decimal, 0..32 or 0..128, no leading '+' or spaces. */
int ipprefix_parse(const char *s, bool strict, IpPrefix *ret);

/* Formats into buf (IPADDR_STRLEN / IPPREFIX_STRLEN bytes) and returns it. */
const char *ipaddr_to_string(const IpAddr *a, char *buf);
const char *ipprefix_to_string(const IpPrefix *p, char *buf);

bool ipaddr_equal(const IpAddr *a, const IpAddr *b);
/* Total order: family first (AF_INET before AF_INET6), then bytes. */
int ipaddr_compare(const IpAddr *a, const IpAddr *b);
int ipprefix_compare(const IpPrefix *a, const IpPrefix *b);
bool ipprefix_contains(const IpPrefix *p, const IpAddr *a);

/* First and last address covered by a prefix. */
void ipprefix_range(const IpPrefix *p, IpRange *ret);

/* Sorts prefixes of one family and merges overlapping or adjacent ones
 * into disjoint inclusive ranges, ascending. Returns the number of ranges
 * written to *ret (newly allocated; NULL when n is 0). */
size_t ipprefix_merge_ranges(const IpPrefix *prefixes, size_t n, int family, IpRange **ret);

/* a + 1; returns false on overflow (a was all ones). */
bool ipaddr_increment(IpAddr *a);
