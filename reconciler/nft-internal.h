/* SPDX-License-Identifier: MIT */
/*
 * The nftables module's internal model, shared by its files (nft-*.c) and
 * by tests that construct or perturb tables by hand.
 *
 * A table is plain data: chains with their rules, sets with their
 * elements. Builders (nft-policy.c) and the kernel dump (nft-observe.c)
 * both produce it, so that comparing (nft-diff.c) is a pure function of two
 * tables. Rules are sequences of a handful of expression kinds, the ones
 * vpnconf emits; anything else a dump contains is kept as libnftnl's text
 * of it (NFT_EXPR_KIND_OTHER), which never equals a built expression.
 *
 * Set elements are canonical inclusive ranges [first, last] of key_len
 * bytes, sorted and disjoint; a plain (non-interval) set holds ranges with
 * first == last. Kernel interval encodings (start and end elements, the
 * leading end element at zero, the open last interval) exist only in
 * nft-batch.c and nft-observe.c.
 */
#pragma once

#include <assert.h>
#include <netinet/in.h> /* before any linux/ header that includes linux/in.h */
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <stdbool.h>
#include <stdint.h>

#include "nft.h"

#define NFT_KEY_MAX 16 /* largest key and cmp operand: an IPv6 address, IFNAMSIZ */

/* nft's datatype numbers (NFTA_SET_KEY_TYPE): nft(8) needs them to print
 * elements. */
#define NFT_KEY_TYPE_IPV4_ADDR 7
#define NFT_KEY_TYPE_IPV6_ADDR 8
#define NFT_KEY_TYPE_INET_SERVICE 13
#define NFT_KEY_TYPE_ICMP_TYPE 14
#define NFT_KEY_TYPE_ICMPV6_TYPE 29

/* The user data marker (an nftnl_udata comment TLV, which nft(8) prints as
 * the table's comment). */
#define NFT_MARK_POLICY "vpnconf:policy"
#define NFT_MARK_LOCKDOWN "vpnconf:lockdown"
#define NFT_MARK_PIN "vpnconf:pin"
#define NFT_MARK_HOST "vpnconf:host"

DEFINE_CLEANUP_FUNC_NAMED(nftnl_table_freep, struct nftnl_table *, nftnl_table_free);
DEFINE_CLEANUP_FUNC_NAMED(nftnl_chain_freep, struct nftnl_chain *, nftnl_chain_free);
DEFINE_CLEANUP_FUNC_NAMED(nftnl_set_freep, struct nftnl_set *, nftnl_set_free);
DEFINE_CLEANUP_FUNC_NAMED(nftnl_rule_freep, struct nftnl_rule *, nftnl_rule_free);
DEFINE_CLEANUP_FUNC_NAMED(nftnl_udata_buf_freep, struct nftnl_udata_buf *, nftnl_udata_buf_free);

/* libnftnl reports allocation failure as NULL; like xmalloc, vpnconf
 * treats it as fatal. */
static inline void *nft_check_alloc(void *p)
{
	if (!p)
		abort();
	return p;
}

typedef enum NftExprKind {
	NFT_EXPR_KIND_META,    /* meta load key -> dreg */
	NFT_EXPR_KIND_PAYLOAD, /* payload load base + offset, len -> dreg */
	NFT_EXPR_KIND_CT,      /* ct load key -> dreg */
	NFT_EXPR_KIND_BITWISE, /* dreg = (sreg & mask) ^ xor, len bytes */
	NFT_EXPR_KIND_CMP,     /* sreg <op> data, len bytes */
	NFT_EXPR_KIND_LOOKUP,  /* sreg in @set (flags: NFT_LOOKUP_F_INV) */
	NFT_EXPR_KIND_VERDICT, /* immediate verdict: code, chain for jump/goto */
	NFT_EXPR_KIND_OTHER,   /* anything else; text says what */
	_NFT_EXPR_KIND_MAX,
	_NFT_EXPR_KIND_INVALID = -EINVAL,
} NftExprKind;

typedef struct NftExpr {
	NftExprKind kind;
	uint32_t key;		       /* meta/ct key, payload base, cmp op, verdict code */
	uint32_t sreg;		       /* bitwise, cmp, lookup */
	uint32_t dreg;		       /* meta, payload, ct, bitwise */
	uint32_t offset;	       /* payload */
	uint32_t len;		       /* payload, bitwise, cmp (bytes of data) */
	uint32_t flags;		       /* lookup */
	uint8_t data[NFT_KEY_MAX];     /* cmp operand, bitwise mask */
	uint8_t xor_data[NFT_KEY_MAX]; /* bitwise */
	char *name;		       /* lookup set, verdict chain, OTHER text */
} NftExpr;

typedef struct NftRule {
	NftExpr *exprs;
	size_t n_exprs;
} NftRule;

typedef struct NftChain {
	char *name;
	bool base; /* a base chain: type, hook, priority, policy are set */
	char *type;
	uint32_t hook;
	int32_t priority;
	uint32_t policy;
	NftRule *rules;
	size_t n_rules;
} NftChain;

typedef struct NftElem {
	uint8_t first[NFT_KEY_MAX];
	uint8_t last[NFT_KEY_MAX];
} NftElem;

typedef struct NftSet {
	char *name;
	uint32_t key_type;
	uint32_t key_len;
	uint32_t flags; /* NFT_SET_* */
	NftElem *elems;
	size_t n_elems;
} NftSet;

struct NftTable {
	unsigned n_ref; /* nft_table_ref() / nft_table_free() */
	char *name;
	NftTableKind kind;
	uint32_t flags; /* NFT_TABLE_F_* (observed; built tables have 0) */
	/* Observed holding something the model does not capture exactly (an
	 * OTHER expression, a map, a catch-all element, a key longer than
	 * NFT_KEY_MAX, a chain bound to devices): comparable, not
	 * rebuildable. */
	bool lossy;
	NftChain *chains;
	size_t n_chains;
	NftSet *sets;
	size_t n_sets;
};

/* Model (nft-table.c). */
NftTable *nft_table_new(const char *name, NftTableKind kind);
NftChain *nft_table_add_chain(NftTable *t, const char *name);
/* A base chain of type "filter". */
NftChain *nft_table_add_base_chain(NftTable *t, const char *name, uint32_t hook, int32_t priority,
				   uint32_t policy);
NftChain *nft_table_find_chain(const NftTable *t, const char *name);
NftSet *nft_table_add_set(NftTable *t, const char *name, uint32_t key_type, uint32_t key_len,
			  uint32_t flags);
NftSet *nft_table_find_set(const NftTable *t, const char *name);
NftRule *nft_chain_add_rule(NftChain *c);
/* Removes rule i (0-based) of c. */
void nft_chain_remove_rule(NftChain *c, size_t i);
NftExpr *nft_rule_add_expr(NftRule *r, NftExprKind kind);
void nft_rule_clear(NftRule *r);
/* Appends an element [first, last] (key_len bytes each); callers keep
 * elements sorted and disjoint or call nft_set_canonicalize(). */
void nft_set_add_range(NftSet *s, const void *first, const void *last);
/* Removes element i of s. */
void nft_set_remove_elem(NftSet *s, size_t i);
/* Sorts the elements and merges duplicates and overlaps. */
void nft_set_canonicalize(NftSet *s);
int nft_elem_compare(const NftElem *a, const NftElem *b, uint32_t key_len);

const char *nft_table_kind_to_string(NftTableKind k);
/* The marker string for a kind, NULL for NFT_TABLE_FOREIGN. */
const char *nft_table_kind_marker(NftTableKind k);
NftTableKind nft_table_kind_from_marker(const char *s);

/* Expressions (nft-expr.c). */
bool nft_expr_equal(const NftExpr *a, const NftExpr *b);
bool nft_rule_equal(const NftRule *a, const NftRule *b);
/* Roughly nft(8) syntax: "oifname \"wg0\" ip daddr @dns_v4 udp dport 53
 * accept". Newly allocated. */
char *nft_rule_to_string(const NftRule *r);
/* An element as nft(8) would write it for the key type: an address or
 * CIDR, "a-b" for other ranges, decimal for ports and ICMP types. */
char *nft_elem_to_string(const NftElem *e, uint32_t key_type, uint32_t key_len);

/* Rule building blocks (nft-expr.c); each appends the expressions of one
 * match, with the protocol dependency nft(8) would add. Registers: all
 * use NFT_REG_1. */
void nft_rule_match_ifname(NftRule *r, enum nft_meta_keys key, const char *ifname);
void nft_rule_match_nfproto(NftRule *r, uint8_t nfproto);
void nft_rule_match_l4proto(NftRule *r, uint8_t proto);
void nft_rule_match_mark(NftRule *r, uint32_t mark);
/* "ct state <mask>" (NF_CT_STATE_* bits). */
void nft_rule_match_ct_state(NftRule *r, uint32_t mask);
void nft_rule_match_ct_direction(NftRule *r, uint8_t dir);
/* ip/ip6 saddr or daddr (with the nfproto dependency) equal to addr. */
void nft_rule_match_addr(NftRule *r, const IpAddr *addr, bool source);
/* ip/ip6 saddr or daddr (family AF_INET or AF_INET6) in @set. */
void nft_rule_match_addr_set(NftRule *r, int family, bool source, const char *set);
/* tcp/udp sport or dport (with the l4proto dependency) equal to port. */
void nft_rule_match_port(NftRule *r, uint8_t proto, bool source, uint16_t port);
void nft_rule_match_port_set(NftRule *r, uint8_t proto, bool source, const char *set);
/* icmp/icmpv6 type in @set. */
void nft_rule_match_icmp_set(NftRule *r, uint8_t proto, const char *set);
void nft_rule_verdict(NftRule *r, int verdict);

/* A batch (nft-batch.c): its messages back to back, with the sequence
 * numbers [seq_first, seq_next). */
struct NftBatch {
	uint8_t *data;
	size_t size;
	size_t allocated;
	unsigned n_messages;
	uint32_t seq_first;
	uint32_t seq_next;
};

/* Kernel I/O helpers (nft-socket.c) for nft-observe.c. */
struct nlmsghdr;
typedef int (*NftMessageHandler)(const struct nlmsghdr *nlh, void *userdata);
typedef struct NftRequest {
	struct nlmsghdr *nlh; /* a GET*; its sequence number is set when sent */
	NftMessageHandler handler;
	void *userdata;
	/* outcome */
	int error;
	bool done;
	bool busy;
} NftRequest;
/* Sends the requests, in as few datagrams as netlink allows (a socket
 * runs one dump at a time, so one dump per datagram), and feeds every
 * reply to its request's handler until each dump has ended and each plain
 * GET (answered by one message) has been answered. A dump refused because
 * an abandoned one was still running is sent again once that one is
 * drained. The first error (the kernel's, or a handler's) is returned
 * after every reply has been read. Every nftables reply carries the low 16
 * bits of the ruleset generation: with genid non-NULL (*genid < 0: not yet
 * known) all replies of a sequence of requests must carry the same one,
 * else -EAGAIN (the ruleset changed between or during dumps; so does
 * NLM_F_DUMP_INTR). */
int nft_socket_requests(NftSocket *s, NftRequest *reqs, size_t n, int32_t *genid);
int nft_socket_request(NftSocket *s, struct nlmsghdr *req, int32_t *genid,
		       NftMessageHandler handler, void *userdata);
/* A request buffer large enough for any GET* vpnconf sends. */
#define NFT_REQUEST_SIZE 1024
