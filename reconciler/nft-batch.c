/* SPDX-License-Identifier: MIT */
/*
 * Batches: a table model turned into one nfnetlink transaction with
 * libnftnl. Replacing a table is
 *
 *   BATCH_BEGIN
 *   NEWTABLE  (no flags, no user data: creates the table if absent, so
 *              that the DELTABLE below cannot fail with ENOENT)
 *   DELTABLE  (the old table, with everything in it)
 *   NEWTABLE  (the new table, flags 0, with its user data marker)
 *   NEWCHAIN..., NEWSET..., NEWSETELEM..., NEWRULE...
 *   BATCH_END
 *
 * The kernel applies a batch as one transaction: the old and the new
 * table swap at commit, and if any message fails nothing changes. (One
 * moment of that commit needs the explicit final drop rule the builders
 * put in every drop-policy chain; nft-policy.c says why.) Every
 * message inside the batch carries NLM_F_ACK and its own sequence number,
 * so the kernel's answer to each can be matched (nft-socket.c).
 *
 * Set elements go out in chunks: a netlink attribute length is 16 bits,
 * so the element list of one NEWSETELEM must stay below 64 KiB. Interval
 * sets use the encoding nft(8) uses: each range as a start element and an
 * end element (flagged NFT_SET_ELEM_INTERVAL_END) at last + 1, an end
 * element at zero when the first range does not start there, and no end
 * element for a range reaching the all-ones address (instead, the start
 * element carries the "open interval" user data flag nft uses to print it).
 */
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft-internal.h"

/* The largest single message built here: one element chunk is below
 * 64 KiB by construction; rules and sets are far smaller. */
#define MESSAGE_RESERVE (96U * 1024U)
/* Upper bound of one element's encoding: list entry, flags, key nest
 * with a 16-byte value, and the open-interval user data. */
#define ELEM_MAX_SIZE 64U
#define ELEMS_PER_MESSAGE (60000U / ELEM_MAX_SIZE)
/* nft's byte order constant for set keys (BYTEORDER_BIG_ENDIAN). */
#define NFT_BYTEORDER_BIG_ENDIAN 2

NftBatch *nft_batch_free(NftBatch *b)
{
	if (!b)
		return NULL;
	free(b->data);
	free(b);
	return NULL;
}

const void *nft_batch_data(const NftBatch *b, size_t *ret_size)
{
	if (ret_size)
		*ret_size = b->size;
	return b->data;
}

unsigned nft_batch_messages(const NftBatch *b)
{
	return b->n_messages;
}

static NftBatch *batch_new(uint32_t seq)
{
	NftBatch *b = xcalloc(1, sizeof(*b));

	b->seq_first = b->seq_next = seq;
	return b;
}

/* Space for the next message. The buffer is zeroed as it grows and never
 * rewritten, so padding bytes are deterministic. */
static char *batch_tail(NftBatch *b)
{
	if (b->allocated - b->size < MESSAGE_RESERVE) {
		size_t n = MAX(b->allocated * 2, b->size + MESSAGE_RESERVE);
		b->data = xrealloc(b->data, n);
		memset(b->data + b->allocated, 0, n - b->allocated);
		b->allocated = n;
	}
	return (char *)b->data + b->size;
}

static void batch_commit(NftBatch *b, const struct nlmsghdr *nlh)
{
	assert(nlh->nlmsg_len <= MESSAGE_RESERVE);
	b->size += NLMSG_ALIGN(nlh->nlmsg_len);
	b->n_messages++;
}

static struct nlmsghdr *batch_put(NftBatch *b, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(batch_tail(b), type, NFPROTO_INET, flags | NLM_F_ACK,
				     b->seq_next++);
}

static void batch_begin(NftBatch *b)
{
	batch_commit(b, nftnl_batch_begin(batch_tail(b), b->seq_next++));
}

static void batch_end(NftBatch *b)
{
	batch_commit(b, nftnl_batch_end(batch_tail(b), b->seq_next++));
}

static void put_table(NftBatch *b, uint16_t type, const char *name, const char *marker,
		      bool with_flags)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nft_check_alloc(nftnl_table_alloc());
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	if (with_flags)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	if (marker) {
		_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *u =
		    nft_check_alloc(nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 2));
		if (!nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, marker))
			abort();
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
				     nftnl_udata_buf_len(u));
	}
	nlh = batch_put(b, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	batch_commit(b, nlh);
}

static void put_chain(NftBatch *b, const char *table, const NftChain *c)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *n = nft_check_alloc(nftnl_chain_alloc());
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(n, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(n, NFTNL_CHAIN_NAME, c->name);
	if (c->base) {
		nftnl_chain_set_u32(n, NFTNL_CHAIN_HOOKNUM, c->hook);
		nftnl_chain_set_s32(n, NFTNL_CHAIN_PRIO, c->priority);
		nftnl_chain_set_u32(n, NFTNL_CHAIN_POLICY, c->policy);
		nftnl_chain_set_str(n, NFTNL_CHAIN_TYPE, c->type ?: "filter");
	}
	nlh = batch_put(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, n);
	batch_commit(b, nlh);
}

/* The kernel requires a set id, unique within the transaction, in
 * NEWSET; like nft(8), elements name the set by both. */
static struct nftnl_set *set_header(const char *table, const NftSet *s, uint32_t id)
{
	struct nftnl_set *n = nft_check_alloc(nftnl_set_alloc());

	nftnl_set_set_str(n, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(n, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(n, NFTNL_SET_ID, id);
	return n;
}

static void put_set(NftBatch *b, const char *table, const NftSet *s, uint32_t id)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *n = set_header(table, s, id);
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *u =
	    nft_check_alloc(nftnl_udata_buf_alloc(16));
	struct nlmsghdr *nlh;

	nftnl_set_set_u32(n, NFTNL_SET_FLAGS, s->flags);
	nftnl_set_set_u32(n, NFTNL_SET_KEY_TYPE, s->key_type);
	nftnl_set_set_u32(n, NFTNL_SET_KEY_LEN, s->key_len);
	/* Every key vpnconf uses is in network byte order; nft(8) reads
	 * this to print elements. */
	if (!nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, NFT_BYTEORDER_BIG_ENDIAN))
		abort();
	nftnl_set_set_data(n, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	nlh = batch_put(b, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, n);
	batch_commit(b, nlh);
}

typedef struct ElemWriter {
	NftBatch *batch;
	const char *table;
	const NftSet *set;
	uint32_t set_id;
	struct nftnl_set *chunk;
	unsigned n;
} ElemWriter;

static void elem_flush(ElemWriter *w)
{
	struct nlmsghdr *nlh;

	if (!w->chunk)
		return;
	nlh = batch_put(w->batch, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	nftnl_set_elems_nlmsg_build_payload(nlh, w->chunk);
	batch_commit(w->batch, nlh);
	nftnl_set_free(w->chunk);
	w->chunk = NULL;
	w->n = 0;
}

static void elem_put(ElemWriter *w, const uint8_t *key, bool end, bool open)
{
	struct nftnl_set_elem *e = nft_check_alloc(nftnl_set_elem_alloc());

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, w->set->key_len);
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	if (open) {
		_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *u =
		    nft_check_alloc(nftnl_udata_buf_alloc(16));
		if (!nftnl_udata_put_u32(u, NFTNL_UDATA_SET_ELEM_FLAGS,
					 NFTNL_SET_ELEM_F_INTERVAL_OPEN))
			abort();
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u),
				   nftnl_udata_buf_len(u));
	}
	if (!w->chunk)
		w->chunk = set_header(w->table, w->set, w->set_id);
	nftnl_set_elem_add(w->chunk, e);
	if (++w->n >= ELEMS_PER_MESSAGE)
		elem_flush(w);
}

/* key + 1 in place (big endian); false when key was all ones. */
static bool key_increment(uint8_t *key, uint32_t len)
{
	for (uint32_t i = len; i > 0; i--)
		if (++key[i - 1] != 0)
			return true;
	return false;
}

static bool key_is_zero(const uint8_t *key, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (key[i])
			return false;
	return true;
}

static void put_elements(NftBatch *b, const char *table, const NftSet *s, uint32_t id)
{
	ElemWriter w = {.batch = b, .table = table, .set = s, .set_id = id};
	bool interval = s->flags & NFT_SET_INTERVAL;

	FOREACH_ARRAY(e, s->elems, s->n_elems) {
		uint8_t next[NFT_KEY_MAX];

		if (!interval) {
			elem_put(&w, e->first, false, false);
			continue;
		}
		if (e == s->elems && !key_is_zero(e->first, s->key_len)) {
			uint8_t zero[NFT_KEY_MAX] = {};
			elem_put(&w, zero, true, false);
		}
		memcpy(next, e->last, s->key_len);
		if (key_increment(next, s->key_len)) {
			elem_put(&w, e->first, false, false);
			elem_put(&w, next, true, false);
		} else
			elem_put(&w, e->first, false, true);
	}
	elem_flush(&w);
}

static int put_expr(struct nftnl_rule *r, const NftExpr *e)
{
	static const char *const names[_NFT_EXPR_KIND_MAX] = {
	    [NFT_EXPR_KIND_META] = "meta",
	    [NFT_EXPR_KIND_PAYLOAD] = "payload",
	    [NFT_EXPR_KIND_CT] = "ct",
	    [NFT_EXPR_KIND_BITWISE] = "bitwise",
	    [NFT_EXPR_KIND_CMP] = "cmp",
	    [NFT_EXPR_KIND_LOOKUP] = "lookup",
	    [NFT_EXPR_KIND_VERDICT] = "immediate",
	};
	struct nftnl_expr *x;

	if (e->kind < 0 || e->kind >= _NFT_EXPR_KIND_MAX || !names[e->kind])
		return -EINVAL; /* OTHER: only ever observed, never built */
	x = nft_check_alloc(nftnl_expr_alloc(names[e->kind]));
	switch (e->kind) {
	case NFT_EXPR_KIND_META:
		nftnl_expr_set_u32(x, NFTNL_EXPR_META_KEY, e->key);
		nftnl_expr_set_u32(x, NFTNL_EXPR_META_DREG, e->dreg);
		break;
	case NFT_EXPR_KIND_PAYLOAD:
		nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_DREG, e->dreg);
		nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_BASE, e->key);
		nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_OFFSET, e->offset);
		nftnl_expr_set_u32(x, NFTNL_EXPR_PAYLOAD_LEN, e->len);
		break;
	case NFT_EXPR_KIND_CT:
		nftnl_expr_set_u32(x, NFTNL_EXPR_CT_KEY, e->key);
		nftnl_expr_set_u32(x, NFTNL_EXPR_CT_DREG, e->dreg);
		break;
	case NFT_EXPR_KIND_BITWISE:
		nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_SREG, e->sreg);
		nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_DREG, e->dreg);
		nftnl_expr_set_u32(x, NFTNL_EXPR_BITWISE_LEN, e->len);
		nftnl_expr_set(x, NFTNL_EXPR_BITWISE_MASK, e->data, e->len);
		nftnl_expr_set(x, NFTNL_EXPR_BITWISE_XOR, e->xor_data, e->len);
		break;
	case NFT_EXPR_KIND_CMP:
		nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_SREG, e->sreg);
		nftnl_expr_set_u32(x, NFTNL_EXPR_CMP_OP, e->key);
		nftnl_expr_set(x, NFTNL_EXPR_CMP_DATA, e->data, e->len);
		break;
	case NFT_EXPR_KIND_LOOKUP:
		nftnl_expr_set_u32(x, NFTNL_EXPR_LOOKUP_SREG, e->sreg);
		nftnl_expr_set_str(x, NFTNL_EXPR_LOOKUP_SET, e->name);
		if (e->flags)
			nftnl_expr_set_u32(x, NFTNL_EXPR_LOOKUP_FLAGS, e->flags);
		break;
	case NFT_EXPR_KIND_VERDICT:
		nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(x, NFTNL_EXPR_IMM_VERDICT, e->key);
		if (e->name)
			nftnl_expr_set_str(x, NFTNL_EXPR_IMM_CHAIN, e->name);
		break;
	case NFT_EXPR_KIND_OTHER:
	case _NFT_EXPR_KIND_MAX:
	case _NFT_EXPR_KIND_INVALID:
		assert(false);
	}
	nftnl_rule_add_expr(r, x);
	return 0;
}

static int put_rule(NftBatch *b, const char *table, const char *chain, const NftRule *rule)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nft_check_alloc(nftnl_rule_alloc());
	struct nlmsghdr *nlh;
	int k;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	FOREACH_ARRAY(e, rule->exprs, rule->n_exprs) {
		k = put_expr(r, e);
		if (k < 0)
			return k;
	}
	nlh = batch_put(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	batch_commit(b, nlh);
	return 0;
}

static bool name_ok(const char *s, size_t max)
{
	return !isempty(s) && strlen(s) < max;
}

static int table_check(const NftTable *t)
{
	if (!name_ok(t->name, NFT_TABLE_MAXNAMELEN))
		return -EINVAL;
	FOREACH_ARRAY(c, t->chains, t->n_chains)
		if (!name_ok(c->name, NFT_CHAIN_MAXNAMELEN))
			return -EINVAL;
	FOREACH_ARRAY(s, t->sets, t->n_sets)
		if (!name_ok(s->name, NFT_SET_MAXNAMELEN) || s->key_len == 0 ||
		    s->key_len > NFT_KEY_MAX)
			return -EINVAL;
	return 0;
}

/* With replace, the batch begins with NEWTABLE (create if absent) and
 * DELTABLE, so that it replaces whatever table of that name exists in one
 * transaction. Without, it only creates: the commit then destroys nothing,
 * so no deferred destruction (and its RCU grace period) is left behind for
 * the socket's release to wait on. */
static int batch_build(const NftTable *t, uint32_t seq, bool replace, NftBatch **ret)
{
	_cleanup_(nft_batch_freep) NftBatch *b = NULL;
	int r;

	assert(t && ret);
	if (t->lossy)
		return -EOPNOTSUPP;
	r = table_check(t);
	if (r < 0)
		return r;

	b = batch_new(seq);
	batch_begin(b);
	if (replace) {
		put_table(b, NFT_MSG_NEWTABLE, t->name, NULL, false);
		put_table(b, NFT_MSG_DELTABLE, t->name, NULL, false);
	}
	put_table(b, NFT_MSG_NEWTABLE, t->name, nft_table_kind_marker(t->kind), true);
	FOREACH_ARRAY(c, t->chains, t->n_chains)
		put_chain(b, t->name, c);
	for (size_t i = 0; i < t->n_sets; i++)
		put_set(b, t->name, &t->sets[i], (uint32_t)i + 1);
	for (size_t i = 0; i < t->n_sets; i++)
		put_elements(b, t->name, &t->sets[i], (uint32_t)i + 1);
	FOREACH_ARRAY(c, t->chains, t->n_chains)
		FOREACH_ARRAY(rule, c->rules, c->n_rules) {
			r = put_rule(b, t->name, c->name, rule);
			if (r < 0)
				return r;
		}
	batch_end(b);

	*ret = TAKE_PTR(b);
	return 0;
}

int nft_batch_build_replace(const NftTable *t, uint32_t seq, NftBatch **ret)
{
	return batch_build(t, seq, true, ret);
}

int nft_batch_build_create(const NftTable *t, uint32_t seq, NftBatch **ret)
{
	return batch_build(t, seq, false, ret);
}

static int family_from_name(const char *s)
{
	static const struct {
		const char *name;
		int family;
	} t[] = {{"inet", NFPROTO_INET},	 {"ip", NFPROTO_IPV4},	    {"ip6", NFPROTO_IPV6},
		 {"arp", NFPROTO_ARP},		 {"bridge", NFPROTO_BRIDGE}, {"netdev", NFPROTO_NETDEV}};

	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (streq(t[i].name, s))
			return t[i].family;
	return -EINVAL;
}

int nft_batch_build_delete_any(const char *family, const char *table_name, uint32_t seq,
			       NftBatch **ret)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = NULL;
	struct nlmsghdr *nlh;
	int f = family_from_name(family);
	NftBatch *b;

	assert(ret);
	if (f < 0 || !name_ok(table_name, NFT_TABLE_MAXNAMELEN))
		return -EINVAL;
	t = nft_check_alloc(nftnl_table_alloc());
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table_name);
	b = batch_new(seq);
	batch_begin(b);
	nlh = nftnl_nlmsg_build_hdr(batch_tail(b), NFT_MSG_DELTABLE, (uint16_t)f, NLM_F_ACK,
				    b->seq_next++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	batch_commit(b, nlh);
	batch_end(b);
	*ret = b;
	return 0;
}

int nft_batch_build_delete(const char *table_name, uint32_t seq, NftBatch **ret)
{
	NftBatch *b;

	assert(ret);
	if (!name_ok(table_name, NFT_TABLE_MAXNAMELEN))
		return -EINVAL;
	b = batch_new(seq);
	batch_begin(b);
	put_table(b, NFT_MSG_DELTABLE, table_name, NULL, false);
	batch_end(b);
	*ret = b;
	return 0;
}

/* One port element of a set of the policy table, named by table and set
 * name: the set exists already, outside this transaction. */
static void put_port_elem(NftBatch *b, uint16_t type, const char *set, uint16_t port)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *n = nft_check_alloc(nftnl_set_alloc());
	struct nftnl_set_elem *e = nft_check_alloc(nftnl_set_elem_alloc());
	uint16_t be = htons(port);
	struct nlmsghdr *nlh;

	nftnl_set_set_str(n, NFTNL_SET_TABLE, NFT_POLICY_TABLE);
	nftnl_set_set_str(n, NFTNL_SET_NAME, set);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &be, sizeof(be));
	nftnl_set_elem_add(n, e);
	nlh = batch_put(b, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, n);
	batch_commit(b, nlh);
}

int nft_batch_build_forwarded(bool tcp, bool udp, uint16_t old_port, uint16_t new_port,
			      uint32_t seq, NftBatch **ret)
{
	const char *sets[2];
	size_t n = 0;
	NftBatch *b;

	assert(ret);
	if (tcp)
		sets[n++] = NFT_SET_FORWARDED_TCP;
	if (udp)
		sets[n++] = NFT_SET_FORWARDED_UDP;
	if (n == 0 || (old_port == 0 && new_port == 0))
		return -EINVAL;
	b = batch_new(seq);
	batch_begin(b);
	for (size_t i = 0; i < n; i++) {
		if (old_port != 0 && old_port != new_port) {
			/* Adding first makes the deletion succeed whether or not
			 * the element is there (DELSETELEM of an absent one
			 * fails, and would abort the whole transaction). */
			put_port_elem(b, NFT_MSG_NEWSETELEM, sets[i], old_port);
			put_port_elem(b, NFT_MSG_DELSETELEM, sets[i], old_port);
		}
		if (new_port != 0)
			put_port_elem(b, NFT_MSG_NEWSETELEM, sets[i], new_port);
	}
	batch_end(b);
	*ret = b;
	return 0;
}
