/* SPDX-License-Identifier: MIT */
/*
 * Comparing two tables (what vpnconf wants, what the kernel has) into
 * human-readable difference lines. Chains and sets are matched by name;
 * rules within a chain are aligned by a longest common subsequence, so
 * one missing rule is reported as that rule rather than as every rule
 * after it; set elements are compared as canonical ranges.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "nft-internal.h"

/* Alignment tables above this many cells fall back to a positional
 * comparison (only a wildly foreign chain gets there). */
#define LCS_MAX_CELLS (4U * 1024U * 1024U)
/* Element differences reported one by one per set; the rest are counted. */
#define ELEM_LINES_MAX 32

typedef struct Diff {
	char ***out;
	int n;
} Diff;

static void diff_add(Diff *d, const char *fmt, ...) _printf_(2, 3);
static void diff_add(Diff *d, const char *fmt, ...)
{
	va_list ap;

	d->n++;
	if (!d->out)
		return;
	va_start(ap, fmt);
	strv_consume(d->out, xvasprintf(fmt, ap));
	va_end(ap);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* Elements. */

static bool elem_as_prefix(const NftElem *e, uint32_t len, unsigned *ret_prefixlen)
{
	unsigned bits = len * 8, host = 0;

	/* Host bits: zero in first, one in last, from the end. */
	while (host < bits) {
		unsigned byte = (bits - 1 - host) / 8, bit = 7 - (bits - 1 - host) % 8;
		bool f = e->first[byte] >> bit & 1, l = e->last[byte] >> bit & 1;
		if (f || !l)
			break;
		host++;
	}
	for (unsigned i = 0; i < bits - host; i++) {
		unsigned byte = i / 8, bit = 7 - i % 8;
		if ((e->first[byte] >> bit & 1) != (e->last[byte] >> bit & 1))
			return false;
	}
	*ret_prefixlen = bits - host;
	return true;
}

static const char *icmp_type_name(uint32_t key_type, uint8_t t)
{
	if (key_type == NFT_KEY_TYPE_ICMP_TYPE)
		switch (t) {
		case 0:
			return "echo-reply";
		case 3:
			return "destination-unreachable";
		case 8:
			return "echo-request";
		case 11:
			return "time-exceeded";
		case 12:
			return "parameter-problem";
		}
	if (key_type == NFT_KEY_TYPE_ICMPV6_TYPE)
		switch (t) {
		case 1:
			return "destination-unreachable";
		case 2:
			return "packet-too-big";
		case 3:
			return "time-exceeded";
		case 4:
			return "parameter-problem";
		case 128:
			return "echo-request";
		case 129:
			return "echo-reply";
		}
	return NULL;
}

static char *key_to_string(const uint8_t *k, uint32_t key_type, uint32_t len)
{
	char buf[INET6_ADDRSTRLEN];

	if ((key_type == NFT_KEY_TYPE_IPV4_ADDR && len == 4) ||
	    (key_type == NFT_KEY_TYPE_IPV6_ADDR && len == 16))
		return xstrdup(inet_ntop(len == 4 ? AF_INET : AF_INET6, k, buf, sizeof(buf)));
	if (key_type == NFT_KEY_TYPE_INET_SERVICE && len == 2)
		return xasprintf("%u", (unsigned)k[0] << 8 | k[1]);
	if ((key_type == NFT_KEY_TYPE_ICMP_TYPE || key_type == NFT_KEY_TYPE_ICMPV6_TYPE) &&
	    len == 1)
		return icmp_type_name(key_type, k[0]) ? xstrdup(icmp_type_name(key_type, k[0]))
						      : xasprintf("%u", k[0]);
	_cleanup_free_ char *hex = hexmem(k, len);
	return xasprintf("0x%s", hex);
}

char *nft_elem_to_string(const NftElem *e, uint32_t key_type, uint32_t key_len)
{
	bool addr = key_type == NFT_KEY_TYPE_IPV4_ADDR || key_type == NFT_KEY_TYPE_IPV6_ADDR;
	_cleanup_free_ char *first = key_to_string(e->first, key_type, key_len);
	unsigned plen;

	if (memcmp(e->first, e->last, key_len) == 0)
		return TAKE_PTR(first);
	if (addr && elem_as_prefix(e, key_len, &plen))
		return xasprintf("%s/%u", first, plen);
	_cleanup_free_ char *last = key_to_string(e->last, key_type, key_len);
	return xasprintf("%s-%s", first, last);
}

static void diff_elements(Diff *d, const NftSet *want, const NftSet *have)
{
	size_t i = 0, j = 0, shown = 0, more = 0;
	uint32_t len = want->key_len;

	while (i < want->n_elems || j < have->n_elems) {
		int c = i >= want->n_elems ? 1
			: j >= have->n_elems
			    ? -1
			    : nft_elem_compare(&want->elems[i], &have->elems[j], len);
		const NftElem *e = c <= 0 ? &want->elems[i] : &have->elems[j];

		if (c == 0) {
			i++, j++;
			continue;
		}
		if (shown++ < ELEM_LINES_MAX) {
			_cleanup_free_ char *s = nft_elem_to_string(e, want->key_type, len);
			if (c < 0)
				diff_add(d, "set %s: element %s missing", want->name, s);
			else
				diff_add(d, "set %s: unexpected element %s", want->name, s);
		} else
			more++;
		if (c < 0)
			i++;
		else
			j++;
	}
	if (more > 0)
		diff_add(d, "set %s: %zu more element differences", want->name, more);
}

static void diff_set(Diff *d, const NftSet *want, const NftSet *have)
{
	if (want->key_type != have->key_type || want->key_len != have->key_len) {
		diff_add(d, "set %s: key type %u length %u, want type %u length %u", want->name,
			 have->key_type, have->key_len, want->key_type, want->key_len);
		return; /* elements of different keys do not compare */
	}
	if (want->flags != have->flags)
		diff_add(d, "set %s: flags 0x%x, want 0x%x", want->name, have->flags, want->flags);
	diff_elements(d, want, have);
}

/* Chains. */

static const char *hook_name(uint32_t hook)
{
	static const char *const names[] = {"prerouting", "input", "forward", "output",
					    "postrouting"};
	return hook < ELEMENTSOF(names) ? names[hook] : "?";
}

static const char *policy_name(uint32_t p)
{
	return p == NF_ACCEPT ? "accept" : p == NF_DROP ? "drop" : "?";
}

static void diff_chain_head(Diff *d, const NftChain *want, const NftChain *have)
{
	const char *n = want->name;

	if (want->base != have->base) {
		diff_add(d, "chain %s: %s, want %s", n,
			 have->base ? "a base chain" : "not a base chain",
			 want->base ? "a base chain" : "a regular chain");
		return;
	}
	if (!want->base)
		return;
	if (!streq_ptr(want->type, have->type))
		diff_add(d, "chain %s: type %s, want %s", n, strna(have->type), strna(want->type));
	if (want->hook != have->hook)
		diff_add(d, "chain %s: hook %s, want %s", n, hook_name(have->hook),
			 hook_name(want->hook));
	if (want->priority != have->priority)
		diff_add(d, "chain %s: priority %d, want %d", n, have->priority, want->priority);
	if (want->policy != have->policy)
		diff_add(d, "chain %s: policy %s, want %s", n, policy_name(have->policy),
			 policy_name(want->policy));
}

static void report_rule(Diff *d, const char *chain, const NftRule *r, size_t pos, bool missing)
{
	_cleanup_free_ char *text = nft_rule_to_string(r);

	if (missing)
		diff_add(d, "chain %s: rule %zu missing: %s", chain, pos + 1, text);
	else
		diff_add(d, "chain %s: unexpected rule %zu: %s", chain, pos + 1, text);
}

static void diff_rules_positional(Diff *d, const NftChain *want, const NftChain *have)
{
	size_t n = MAX(want->n_rules, have->n_rules);

	for (size_t i = 0; i < n; i++) {
		bool w = i < want->n_rules, h = i < have->n_rules;
		if (w && h && nft_rule_equal(&want->rules[i], &have->rules[i]))
			continue;
		if (w)
			report_rule(d, want->name, &want->rules[i], i, true);
		if (h)
			report_rule(d, want->name, &have->rules[i], i, false);
	}
}

static void diff_rules(Diff *d, const NftChain *want, const NftChain *have)
{
	size_t n = want->n_rules, m = have->n_rules, i = 0, j = 0;
	bool same = n == m;

	for (size_t k = 0; same && k < n; k++)
		same = nft_rule_equal(&want->rules[k], &have->rules[k]);
	if (same)
		return;
	if ((n + 1) * (m + 1) > LCS_MAX_CELLS) {
		diff_rules_positional(d, want, have);
		return;
	}

	/* L[i][j]: length of the longest common subsequence of want[i..]
	 * and have[j..]. */
	_cleanup_free_ uint32_t *L = xcalloc((n + 1) * (m + 1), sizeof(uint32_t));
#define AT(a, b) L[(a) * (m + 1) + (b)]
	for (size_t a = n; a-- > 0;)
		for (size_t b = m; b-- > 0;)
			AT(a, b) = nft_rule_equal(&want->rules[a], &have->rules[b])
				       ? AT(a + 1, b + 1) + 1
				       : MAX(AT(a + 1, b), AT(a, b + 1));
	while (i < n || j < m) {
		if (i < n && j < m && nft_rule_equal(&want->rules[i], &have->rules[j])) {
			i++, j++;
		} else if (j >= m || (i < n && AT(i + 1, j) >= AT(i, j + 1))) {
			report_rule(d, want->name, &want->rules[i], i, true);
			i++;
		} else {
			report_rule(d, want->name, &have->rules[j], j, false);
			j++;
		}
	}
#undef AT
}

static void diff_table_head(Diff *d, const NftTable *want, const NftTable *have)
{
	if (!streq(want->name, have->name))
		diff_add(d, "table: name %s, want %s", have->name, want->name);
	if (want->kind != have->kind) {
		const char *hm = nft_table_kind_marker(have->kind);
		const char *wm = nft_table_kind_marker(want->kind);
		if (hm)
			diff_add(d, "table: marked \"%s\", want \"%s\"", hm, strna(wm));
		else
			diff_add(d, "table: no vpnconf marker, want \"%s\"", strna(wm));
	}
	if (want->flags != have->flags)
		diff_add(d, "table: flags 0x%x%s, want 0x%x", have->flags,
			 have->flags & NFT_TABLE_F_DORMANT ? " (dormant: its chains filter nothing)"
							   : "",
			 want->flags);
}

int nft_table_diff(const NftTable *want, const NftTable *have, char ***differences)
{
	Diff d = {.out = differences};

	assert(want && have);
	diff_table_head(&d, want, have);

	FOREACH_ARRAY(c, want->chains, want->n_chains) {
		const NftChain *h = nft_table_find_chain(have, c->name);
		if (!h) {
			diff_add(&d, "chain %s missing (%zu rule%s)", c->name, c->n_rules,
				 plural(c->n_rules));
			continue;
		}
		diff_chain_head(&d, c, h);
		diff_rules(&d, c, h);
	}
	FOREACH_ARRAY(c, have->chains, have->n_chains)
		if (!nft_table_find_chain(want, c->name))
			diff_add(&d, "unexpected chain %s (%zu rule%s)", c->name, c->n_rules,
				 plural(c->n_rules));

	FOREACH_ARRAY(s, want->sets, want->n_sets) {
		const NftSet *h = nft_table_find_set(have, s->name);
		if (!h)
			diff_add(&d, "set %s missing (%zu element%s)", s->name, s->n_elems,
				 plural(s->n_elems));
		else
			diff_set(&d, s, h);
	}
	FOREACH_ARRAY(s, have->sets, have->n_sets)
		if (!nft_table_find_set(want, s->name))
			diff_add(&d, "unexpected set %s (%zu element%s)", s->name, s->n_elems,
				 plural(s->n_elems));
	return d.n;
}
