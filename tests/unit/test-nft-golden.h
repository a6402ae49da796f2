/* SPDX-License-Identifier: MIT */
/*
 * Shared by the nftables unit tests: batches as golden text (one message
 * per line: type, sequence number, flags, then the whole message in hex),
 * compared with tests/unit/golden/ (test-golden.h),
 * and a chain's rules as nft prints them.
 */
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>

#include "nft-internal.h"
#include "test-golden.h"
#include "test.h"

static const char *msg_type_name(uint16_t type)
{
	static const char *const names[] = {
	    [NFT_MSG_NEWTABLE] = "NEWTABLE", [NFT_MSG_DELTABLE] = "DELTABLE",
	    [NFT_MSG_NEWCHAIN] = "NEWCHAIN", [NFT_MSG_NEWRULE] = "NEWRULE",
	    [NFT_MSG_NEWSET] = "NEWSET",     [NFT_MSG_NEWSETELEM] = "NEWSETELEM",
	    [NFT_MSG_DELSETELEM] = "DELSETELEM",
	};

	if (type == NFNL_MSG_BATCH_BEGIN)
		return "BATCH_BEGIN";
	if (type == NFNL_MSG_BATCH_END)
		return "BATCH_END";
	if (type >> 8 == NFNL_SUBSYS_NFTABLES && (type & 0xff) < ELEMENTSOF(names) &&
	    names[type & 0xff])
		return names[type & 0xff];
	return "?";
}

static char *batch_to_text(const NftBatch *b)
{
	size_t size;
	const struct nlmsghdr *nlh = nft_batch_data(b, &size);
	int len = (int)size;
	char *text = NULL;
	size_t text_size = 0;
	FILE *f = open_memstream(&text, &text_size);

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		_cleanup_free_ char *hex = hexmem(nlh, nlh->nlmsg_len);
		fprintf(f, "%s seq=%u flags=0x%x %s\n", msg_type_name(nlh->nlmsg_type),
			nlh->nlmsg_seq, nlh->nlmsg_flags, hex);
	}
	fclose(f);
	return text;
}

static char **chain_rules_text(const NftTable *t, const char *chain)
{
	const NftChain *c = nft_table_find_chain(t, chain);
	char **l = NULL;

	if (!c)
		return NULL;
	FOREACH_ARRAY(r, c->rules, c->n_rules)
		strv_consume(&l, nft_rule_to_string(r));
	return l;
}

static void assert_rules(const NftTable *t, const char *chain, const char *const *want, size_t n)
{
	_cleanup_strv_free_ char **have = chain_rules_text(t, chain);

	for (size_t i = 0; i < n; i++) {
		if (i >= strv_length(have))
			TEST_FAIL("chain %s: rule %zu missing: %s", chain, i + 1, want[i]);
		ASSERT_STREQ(have[i], want[i]);
	}
	ASSERT_EQ(strv_length(have), n);
}

