/* SPDX-License-Identifier: MIT */
/*
 * Observation: one table dumped from the kernel into the model the
 * builders produce (table, chains, sets, each set's elements, rules), and
 * the list of tables.
 *
 * Every nftables reply carries the low bits of the ruleset generation;
 * all the dumps of one observation must carry the same one, or the
 * ruleset changed in between and the observation starts over. Expressions
 * are taken over only when they carry exactly the attributes vpnconf
 * itself would send; anything else (a rewrite, an inverted lookup, a
 * counter, a jump) becomes an opaque expression that can never equal a
 * built one, so that drift cannot hide in an attribute the model ignores.
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

#define OBSERVE_ATTEMPTS 8

/* A kernel element before intervals are reassembled. */
typedef struct RawElem {
	uint8_t key[NFT_KEY_MAX];
	uint8_t last[NFT_KEY_MAX]; /* whole: the element is [key, last] */
	bool end;		   /* ends the interval before it */
	bool whole;		   /* a catch-all, or a range with its own end key */
} RawElem;

typedef struct Observer {
	NftSocket *socket;
	const char *name;
	NftTable *table;
	int32_t genid;
} Observer;

/* One set's element dump. */
typedef struct ElemDump {
	const char *table;
	NftSet *set;
	RawElem *raw;
	size_t n_raw;
	bool lossy;
} ElemDump;

static struct nlmsghdr *request_header(char *buf, uint16_t type, uint16_t flags)
{
	memset(buf, 0, NFT_REQUEST_SIZE);
	return nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, 0);
}

/* The table's kind, from the comment TLV of its user data. */
static NftTableKind kind_from_udata(const uint8_t *p, uint32_t len)
{
	const uint8_t *end = p + len;

	while (end - p >= 2 && end - p >= 2 + p[1]) {
		uint8_t type = p[0], l = p[1];
		const char *v = (const char *)p + 2;

		if (type == NFTNL_UDATA_TABLE_COMMENT && l > 0 && memchr(v, 0, l) == v + l - 1)
			return nft_table_kind_from_marker(v);
		p += 2 + l;
	}
	return NFT_TABLE_FOREIGN;
}

static int table_handler(const struct nlmsghdr *nlh, void *userdata)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nft_check_alloc(nftnl_table_alloc());
	Observer *o = userdata;
	NftTableKind kind = NFT_TABLE_FOREIGN;
	uint32_t len = 0;

	if (nftnl_table_nlmsg_parse(nlh, t) < 0)
		return -EBADMSG;
	if (!streq(strempty(nftnl_table_get_str(t, NFTNL_TABLE_NAME)), o->name))
		return 0;
	if (nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) {
		const void *u = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
		kind = kind_from_udata(u, len);
	}
	o->table = nft_table_free(o->table);
	o->table = nft_table_new(o->name, kind);
	o->table->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
	return 0;
}

static int chain_handler(const struct nlmsghdr *nlh, void *userdata)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nft_check_alloc(nftnl_chain_alloc());
	Observer *o = userdata;
	const char *table, *name;
	NftChain *chain;

	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		return -EBADMSG;
	table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	if (!table || !name)
		return -EBADMSG;
	if (!streq(table, o->name) || !o->table)
		return 0; /* chain dumps are not filtered by table on every kernel */
	chain = nft_table_add_chain(o->table, name);
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
		chain->base = true;
		chain->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		chain->priority = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		chain->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
		chain->type = xstrdup(strempty(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE)));
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEV) ||
		    nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES))
			o->table->lossy = true; /* an ingress chain's devices */
	}
	return 0;
}

static int set_handler(const struct nlmsghdr *nlh, void *userdata)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nft_check_alloc(nftnl_set_alloc());
	Observer *o = userdata;
	const char *table, *name;
	uint32_t flags, key_len;

	if (nftnl_set_nlmsg_parse(nlh, s) < 0)
		return -EBADMSG;
	table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	if (!table || !name)
		return -EBADMSG;
	if (!streq(table, o->name) || !o->table)
		return 0;
	flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	/* Data (maps), timeouts, per-element expressions, concatenations
	 * are compared by flags only and cannot be rebuilt. */
	if ((flags & ~(uint32_t)(NFT_SET_INTERVAL | NFT_SET_CONSTANT)) || key_len == 0 ||
	    key_len > NFT_KEY_MAX)
		o->table->lossy = true;
	nft_table_add_set(o->table, name, nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), key_len, flags);
	return 0;
}

/* Elements are parsed straight from the attributes: a large set dumps
 * tens of thousands of them, and libnftnl would allocate each. */
static int elem_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= NFTA_SET_ELEM_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int list_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= NFTA_SET_ELEM_LIST_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

/* The value inside an NFTA_SET_ELEM_KEY(_END) nest, copied to key_len
 * bytes; false when absent. */
static bool data_value(const struct nlattr *nest, uint8_t *dst, uint32_t key_len)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) if (mnl_attr_get_type(a) == NFTA_DATA_VALUE)
	{
		memcpy(dst, mnl_attr_get_payload(a), MIN(mnl_attr_get_payload_len(a), key_len));
		return true;
	}
	return false;
}

static int parse_elem(ElemDump *d, const struct nlattr *nest)
{
	const struct nlattr *tb[NFTA_SET_ELEM_MAX + 1] = {};
	uint32_t len = d->set->key_len, flags = 0;
	RawElem e = {};

	if (mnl_attr_parse_nested(nest, elem_attr, tb) < 0)
		return -EBADMSG;
	if (tb[NFTA_SET_ELEM_FLAGS] && mnl_attr_get_payload_len(tb[NFTA_SET_ELEM_FLAGS]) == 4)
		flags = ntohl(mnl_attr_get_u32(tb[NFTA_SET_ELEM_FLAGS]));
	if (flags & NFT_SET_ELEM_CATCHALL) {
		/* "*": matches every key. */
		memset(e.last, 0xff, len);
		e.whole = true;
	} else {
		if (!tb[NFTA_SET_ELEM_KEY] || !data_value(tb[NFTA_SET_ELEM_KEY], e.key, len))
			return -EBADMSG;
		/* Sets of other backends carry a range in one element. */
		e.whole =
		    tb[NFTA_SET_ELEM_KEY_END] && data_value(tb[NFTA_SET_ELEM_KEY_END], e.last, len);
		e.end = !e.whole && (flags & NFT_SET_ELEM_INTERVAL_END);
	}
	/* A plain set's element is one key: a range cannot be rebuilt. */
	if (e.whole && !(d->set->flags & NFT_SET_INTERVAL))
		d->lossy = true;
	*ARRAY_APPEND(d->raw, d->n_raw) = e;
	return 0;
}

static int elems_handler(const struct nlmsghdr *nlh, void *userdata)
{
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1] = {};
	const struct nlattr *a;
	ElemDump *d = userdata;
	int r;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), list_attr, tb) < 0)
		return -EBADMSG;
	if (!tb[NFTA_SET_ELEM_LIST_TABLE] || !tb[NFTA_SET_ELEM_LIST_SET] ||
	    !streq(mnl_attr_get_str(tb[NFTA_SET_ELEM_LIST_TABLE]), d->table) ||
	    !streq(mnl_attr_get_str(tb[NFTA_SET_ELEM_LIST_SET]), d->set->name))
		return 0;
	if (!tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		return 0;
	mnl_attr_for_each_nested(a, tb[NFTA_SET_ELEM_LIST_ELEMENTS])
	{
		r = parse_elem(d, a);
		if (r < 0)
			return r;
	}
	return 0;
}

static int raw_compare(const void *x, const void *y)
{
	const RawElem *a = x, *b = y;
	int r = memcmp(a->key, b->key, NFT_KEY_MAX);

	/* At one key, an end (closing the range before) sorts first. */
	return r != 0 ? r : (int)b->end - (int)a->end;
}

/* Kernels dump an rbtree's elements in key order, one way or the other. */
static void raw_sort(RawElem *raw, size_t n)
{
	bool asc = true, desc = true;

	for (size_t i = 1; i < n && (asc || desc); i++) {
		int c = raw_compare(&raw[i - 1], &raw[i]);
		asc = asc && c <= 0;
		desc = desc && c >= 0;
	}
	if (asc)
		return;
	if (desc) {
		for (size_t i = 0; i < n / 2; i++) {
			RawElem t = raw[i];
			raw[i] = raw[n - 1 - i];
			raw[n - 1 - i] = t;
		}
		return;
	}
	qsort(raw, n, sizeof(RawElem), raw_compare);
}

static bool key_decrement(uint8_t *key, uint32_t len)
{
	for (uint32_t i = len; i > 0; i--)
		if (key[i - 1]-- != 0)
			return true;
	return false;
}

/* Start and end elements back into inclusive ranges. An end element with
 * no open range is the leading one at zero (or debris) and closes
 * nothing; a range still open at the end reaches all ones. */
static void raw_to_ranges(NftSet *s, RawElem *raw, size_t n)
{
	uint8_t start[NFT_KEY_MAX], last[NFT_KEY_MAX];
	bool open = false;

	for (size_t i = 0; i < n; i++)
		if (raw[i].whole || !(s->flags & NFT_SET_INTERVAL))
			nft_set_add_range(s, raw[i].key, raw[i].whole ? raw[i].last : raw[i].key);
	if (!(s->flags & NFT_SET_INTERVAL))
		return;
	raw_sort(raw, n);
	for (size_t i = 0; i < n; i++) {
		if (raw[i].whole)
			continue;
		if (open) {
			memcpy(last, raw[i].key, s->key_len);
			if (key_decrement(last, s->key_len) && memcmp(last, start, s->key_len) >= 0)
				nft_set_add_range(s, start, last);
			open = false;
		}
		if (!raw[i].end) {
			memcpy(start, raw[i].key, s->key_len);
			open = true;
		}
	}
	if (open) {
		memset(last, 0xff, s->key_len);
		nft_set_add_range(s, start, last);
	}
}

/* What an expression holds, when it is exactly one vpnconf would build:
 * the attributes present must be a subset of allowed and include
 * required. (The expressions converted here have fewer than 16
 * attributes in libnftnl.) */
static bool attrs_are(const struct nftnl_expr *e, uint32_t allowed, uint32_t required)
{
	for (uint16_t a = NFTNL_EXPR_BASE; a < 16; a++) {
		bool set = nftnl_expr_is_set(e, a);
		if (set && !(allowed & (1U << a)))
			return false;
		if (!set && (required & (1U << a)))
			return false;
	}
	return true;
}

#define A(x) (1U << (x))

static bool copy_data(const struct nftnl_expr *e, uint16_t attr, uint8_t *dst, uint32_t want)
{
	uint32_t len = 0;
	const void *p = nftnl_expr_get(e, attr, &len);

	if (!p || len > NFT_KEY_MAX || (want != UINT32_MAX && len != want))
		return false;
	memcpy(dst, p, len);
	return true;
}

static bool convert_meta(const struct nftnl_expr *e, NftExpr *x)
{
	uint32_t all = A(NFTNL_EXPR_META_KEY) | A(NFTNL_EXPR_META_DREG);

	if (!attrs_are(e, all, all))
		return false; /* a "meta set" */
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	x->dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG);
	return true;
}

static bool convert_payload(const struct nftnl_expr *e, NftExpr *x)
{
	uint32_t all = A(NFTNL_EXPR_PAYLOAD_DREG) | A(NFTNL_EXPR_PAYLOAD_BASE) |
		       A(NFTNL_EXPR_PAYLOAD_OFFSET) | A(NFTNL_EXPR_PAYLOAD_LEN);

	if (!attrs_are(e, all, all))
		return false; /* a payload rewrite */
	x->dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG);
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	x->offset = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	x->len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	return true;
}

static bool convert_ct(const struct nftnl_expr *e, NftExpr *x)
{
	uint32_t all = A(NFTNL_EXPR_CT_KEY) | A(NFTNL_EXPR_CT_DREG);

	if (!attrs_are(e, all, all))
		return false; /* a "ct set", or a direction-specific key */
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
	x->dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG);
	return true;
}

static bool convert_cmp(const struct nftnl_expr *e, NftExpr *x)
{
	uint32_t all = A(NFTNL_EXPR_CMP_SREG) | A(NFTNL_EXPR_CMP_OP) | A(NFTNL_EXPR_CMP_DATA);

	if (!attrs_are(e, all, all) || !copy_data(e, NFTNL_EXPR_CMP_DATA, x->data, UINT32_MAX))
		return false;
	x->sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG);
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
	nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &x->len);
	return true;
}

static bool convert_bitwise(const struct nftnl_expr *e, NftExpr *x)
{
	uint32_t req = A(NFTNL_EXPR_BITWISE_SREG) | A(NFTNL_EXPR_BITWISE_DREG) |
		       A(NFTNL_EXPR_BITWISE_LEN) | A(NFTNL_EXPR_BITWISE_MASK) |
		       A(NFTNL_EXPR_BITWISE_XOR);

	/* Kernels report the operation; only the mask-and-xor one is ours
	 * (not shifts). */
	if (!attrs_are(e, req | A(NFTNL_EXPR_BITWISE_OP), req) ||
	    (nftnl_expr_is_set(e, NFTNL_EXPR_BITWISE_OP) &&
	     nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_OP) != NFT_BITWISE_BOOL))
		return false;
	x->len = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN);
	if (x->len > NFT_KEY_MAX || !copy_data(e, NFTNL_EXPR_BITWISE_MASK, x->data, x->len) ||
	    !copy_data(e, NFTNL_EXPR_BITWISE_XOR, x->xor_data, x->len))
		return false;
	x->sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG);
	x->dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG);
	return true;
}

static bool convert_lookup(const struct nftnl_expr *e, NftExpr *x)
{
	uint32_t req = A(NFTNL_EXPR_LOOKUP_SREG) | A(NFTNL_EXPR_LOOKUP_SET);

	if (!attrs_are(e, req | A(NFTNL_EXPR_LOOKUP_FLAGS) | A(NFTNL_EXPR_LOOKUP_SET_ID), req))
		return false; /* a map lookup (it has a destination register) */
	x->sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG);
	x->flags = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS);
	x->name = xstrdup(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
	return true;
}

static bool convert_immediate(const struct nftnl_expr *e, NftExpr *x)
{
	uint32_t req = A(NFTNL_EXPR_IMM_DREG) | A(NFTNL_EXPR_IMM_VERDICT);

	if (!attrs_are(e, req | A(NFTNL_EXPR_IMM_CHAIN), req) ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT)
		return false; /* data loaded into a register */
	x->dreg = NFT_REG_VERDICT;
	x->key = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
	if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
		x->name = xstrdup(nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
	return true;
}

static bool convert_known(const struct nftnl_expr *e, const char *name, NftExpr *x)
{
	static const struct {
		const char *name;
		NftExprKind kind;
		bool (*convert)(const struct nftnl_expr *e, NftExpr *x);
	} table[] = {
	    {"meta", NFT_EXPR_KIND_META, convert_meta},
	    {"payload", NFT_EXPR_KIND_PAYLOAD, convert_payload},
	    {"ct", NFT_EXPR_KIND_CT, convert_ct},
	    {"cmp", NFT_EXPR_KIND_CMP, convert_cmp},
	    {"bitwise", NFT_EXPR_KIND_BITWISE, convert_bitwise},
	    {"lookup", NFT_EXPR_KIND_LOOKUP, convert_lookup},
	    {"immediate", NFT_EXPR_KIND_VERDICT, convert_immediate},
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (streq(name, table[i].name)) {
			x->kind = table[i].kind;
			return table[i].convert(e, x);
		}
	return false;
}

typedef struct RuleParse {
	NftTable *table;
	NftRule *rule;
} RuleParse;

static int expr_callback(struct nftnl_expr *e, void *userdata)
{
	RuleParse *p = userdata;
	const char *name = strempty(nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	NftExpr x = {};
	char buf[512];

	if (!convert_known(e, name, &x)) {
		p->table->lossy = true;
		free(x.name);
		x = (NftExpr){.kind = NFT_EXPR_KIND_OTHER};
		if (nftnl_expr_snprintf(buf, sizeof(buf), e, NFTNL_OUTPUT_DEFAULT, 0) < 0)
			buf[0] = 0;
		x.name = xasprintf("%s %s", name, buf);
		/* libnftnl ends its text with a space */
		if (endswith(x.name, " "))
			x.name[strlen(x.name) - 1] = 0;
	}
	*nft_rule_add_expr(p->rule, x.kind) = x;
	return MNL_CB_OK;
}

static int rule_handler(const struct nlmsghdr *nlh, void *userdata)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nft_check_alloc(nftnl_rule_alloc());
	Observer *o = userdata;
	const char *table, *chain;
	NftChain *c;

	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		return -EBADMSG;
	table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	if (!table || !chain)
		return -EBADMSG;
	if (!streq(table, o->name))
		return 0;
	c = nft_table_find_chain(o->table, chain);
	if (!c) /* a chain created after the chain dump: try again */
		return -EAGAIN;
	RuleParse p = {o->table, nft_chain_add_rule(c)};
	if (nftnl_expr_foreach(r, expr_callback, &p) < 0)
		return -EBADMSG;
	return 0;
}

static struct nlmsghdr *dump_request(char *buf, uint16_t type, uint16_t table_attr,
				     const char *table)
{
	struct nlmsghdr *nlh = request_header(buf, type, NLM_F_DUMP);

	if (table)
		mnl_attr_put_strz(nlh, table_attr, table);
	return nlh;
}

/* The table (asked for by name, in the datagram of the chain dump), its
 * chains and its sets. */
static int observe_heads(Observer *o)
{
	char buf[3][NFT_REQUEST_SIZE];
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nft_check_alloc(nftnl_table_alloc());
	struct nlmsghdr *get = request_header(buf[0], NFT_MSG_GETTABLE, 0);
	NftRequest reqs[] = {
	    {get, table_handler, o},
	    {dump_request(buf[1], NFT_MSG_GETCHAIN, NFTA_CHAIN_TABLE, o->name), chain_handler, o},
	    {dump_request(buf[2], NFT_MSG_GETSET, NFTA_SET_TABLE, o->name), set_handler, o},
	};
	int r;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, o->name);
	nftnl_table_nlmsg_build_payload(get, t);
	r = nft_socket_requests(o->socket, reqs, ELEMENTSOF(reqs), &o->genid);
	if (r < 0)
		return r;
	return o->table ? 0 : -ENOENT;
}

/* Every set's elements and all rules. */
static int observe_contents(Observer *o)
{
	size_t n = o->table->n_sets;
	_cleanup_free_ char *bufs = xmalloc((n + 1) * NFT_REQUEST_SIZE);
	_cleanup_free_ NftRequest *reqs = xcalloc(n + 1, sizeof(NftRequest));
	_cleanup_free_ ElemDump *dumps = xcalloc(n + 1, sizeof(ElemDump));
	int r;

	for (size_t i = 0; i < n; i++) {
		struct nlmsghdr *nlh = dump_request(bufs + i * NFT_REQUEST_SIZE, NFT_MSG_GETSETELEM,
						    NFTA_SET_ELEM_LIST_TABLE, o->name);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, o->table->sets[i].name);
		dumps[i] = (ElemDump){.table = o->name, .set = &o->table->sets[i]};
		reqs[i] = (NftRequest){nlh, elems_handler, &dumps[i]};
	}
	reqs[n] = (NftRequest){
	    dump_request(bufs + n * NFT_REQUEST_SIZE, NFT_MSG_GETRULE, NFTA_RULE_TABLE, o->name),
	    rule_handler, o};

	r = nft_socket_requests(o->socket, reqs, n + 1, &o->genid);
	for (size_t i = 0; i < n; i++) {
		if (r >= 0) {
			raw_to_ranges(dumps[i].set, dumps[i].raw, dumps[i].n_raw);
			nft_set_canonicalize(dumps[i].set);
			o->table->lossy = o->table->lossy || dumps[i].lossy;
		}
		free(dumps[i].raw);
	}
	return r;
}

static int observe_once(Observer *o)
{
	int r;

	o->genid = -1;
	o->table = nft_table_free(o->table);
	r = observe_heads(o);
	if (r < 0)
		return r;
	return observe_contents(o);
}

int nft_table_observe(NftSocket *s, const char *name, NftTable **ret)
{
	Observer o = {.socket = s, .name = name};
	int r = -EAGAIN;

	assert(s && name && ret);
	for (unsigned i = 0; i < OBSERVE_ATTEMPTS && r == -EAGAIN; i++)
		r = observe_once(&o);
	if (r < 0) {
		nft_table_free(o.table);
		return r;
	}
	*ret = o.table;
	return 0;
}

typedef struct Lister {
	const char *prefix;
	bool all_families;
	NftTableKind kind; /* only tables of this kind, unless _NFT_TABLE_KIND_INVALID */
	char **names;
} Lister;

static const char *family_name(uint32_t f)
{
	switch (f) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	}
	return NULL;
}

static bool list_kind_matches(const Lister *l, const struct nftnl_table *t)
{
	const void *u;
	uint32_t len = 0;

	if (l->kind == _NFT_TABLE_KIND_INVALID)
		return true;
	if (!nftnl_table_is_set(t, NFTNL_TABLE_USERDATA))
		return l->kind == NFT_TABLE_FOREIGN;
	u = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	return kind_from_udata(u, len) == l->kind;
}

static int list_handler(const struct nlmsghdr *nlh, void *userdata)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nft_check_alloc(nftnl_table_alloc());
	Lister *l = userdata;
	const char *name;

	if (nftnl_table_nlmsg_parse(nlh, t) < 0)
		return -EBADMSG;
	name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
	if (!name)
		return -EBADMSG;
	if (l->all_families) {
		const char *f = family_name(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY));
		strv_pushf(&l->names, "%s %s", f ?: "unknown", name);
	} else if (nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY) == NFPROTO_INET &&
		   (!l->prefix || startswith(name, l->prefix)) && list_kind_matches(l, t))
		strv_push(&l->names, name);
	return 0;
}

int nft_table_list(NftSocket *s, const char *prefix, char ***ret_names)
{
	return nft_table_list_kind(s, prefix, _NFT_TABLE_KIND_INVALID, ret_names);
}

int nft_table_list_kind(NftSocket *s, const char *prefix, NftTableKind kind, char ***ret_names)
{
	char buf[NFT_REQUEST_SIZE];
	Lister l = {.prefix = prefix, .kind = kind};
	int r = -EAGAIN;

	assert(s && ret_names);
	for (unsigned i = 0; i < OBSERVE_ATTEMPTS && r == -EAGAIN; i++) {
		l.names = strv_free(l.names);
		r = nft_socket_request(s, request_header(buf, NFT_MSG_GETTABLE, NLM_F_DUMP), NULL,
				       list_handler, &l);
	}
	if (r < 0) {
		strv_free(l.names);
		return r;
	}
	*ret_names = l.names ?: xcalloc(1, sizeof(char *));
	return 0;
}

int nft_ruleset_list(NftSocket *s, char ***ret)
{
	char buf[NFT_REQUEST_SIZE];
	Lister l = {.all_families = true};
	int r = -EAGAIN;

	assert(s && ret);
	for (unsigned i = 0; i < OBSERVE_ATTEMPTS && r == -EAGAIN; i++) {
		l.names = strv_free(l.names);
		memset(buf, 0, sizeof(buf));
		r = nft_socket_request(s,
				       nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_UNSPEC,
							     NLM_F_DUMP, 0),
				       NULL, list_handler, &l);
	}
	if (r < 0) {
		strv_free(l.names);
		return r;
	}
	strv_sort(l.names);
	*ret = l.names;
	return 0;
}
