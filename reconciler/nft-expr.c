/* SPDX-License-Identifier: MIT */
/*
 * Rule expressions: the building blocks the policy builders compose (each
 * match with the protocol dependency nft(8) would add, so that nft lists
 * vpnconf's rules in its ordinary syntax), their equality, and a renderer
 * that turns a rule back into roughly the nft syntax for difference
 * reports. The renderer follows what each register was loaded from, the
 * way nft's own delinearisation does, for the few shapes vpnconf emits;
 * anything else is shown bracketed and raw.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include "nft-internal.h"

/* Building blocks. */

static void add_meta(NftRule *r, uint32_t key)
{
	NftExpr *e = nft_rule_add_expr(r, NFT_EXPR_KIND_META);

	e->key = key;
	e->dreg = NFT_REG_1;
}

static void add_cmp(NftRule *r, uint32_t op, const void *data, uint32_t len)
{
	NftExpr *e = nft_rule_add_expr(r, NFT_EXPR_KIND_CMP);

	assert(len <= NFT_KEY_MAX);
	e->sreg = NFT_REG_1;
	e->key = op;
	e->len = len;
	memcpy(e->data, data, len);
}

static void add_payload(NftRule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	NftExpr *e = nft_rule_add_expr(r, NFT_EXPR_KIND_PAYLOAD);

	e->key = base;
	e->offset = offset;
	e->len = len;
	e->dreg = NFT_REG_1;
}

static void add_lookup(NftRule *r, const char *set)
{
	NftExpr *e = nft_rule_add_expr(r, NFT_EXPR_KIND_LOOKUP);

	e->sreg = NFT_REG_1;
	e->name = xstrdup(set);
}

void nft_rule_match_ifname(NftRule *r, enum nft_meta_keys key, const char *ifname)
{
	/* A full name is compared over all IFNAMSIZ bytes, NULs included;
	 * a shorter comparison would be a prefix match ("wg*"). */
	char buf[IFNAMSIZ] = {};

	assert(strlen(ifname) < IFNAMSIZ);
	strncpy(buf, ifname, sizeof(buf) - 1);
	add_meta(r, key);
	add_cmp(r, NFT_CMP_EQ, buf, sizeof(buf));
}

void nft_rule_match_nfproto(NftRule *r, uint8_t nfproto)
{
	add_meta(r, NFT_META_NFPROTO);
	add_cmp(r, NFT_CMP_EQ, &nfproto, 1);
}

void nft_rule_match_l4proto(NftRule *r, uint8_t proto)
{
	add_meta(r, NFT_META_L4PROTO);
	add_cmp(r, NFT_CMP_EQ, &proto, 1);
}

void nft_rule_match_mark(NftRule *r, uint32_t mark)
{
	/* The packet mark is host byte order. */
	add_meta(r, NFT_META_MARK);
	add_cmp(r, NFT_CMP_EQ, &mark, sizeof(mark));
}

void nft_rule_match_ct_state(NftRule *r, uint32_t mask)
{
	NftExpr *e = nft_rule_add_expr(r, NFT_EXPR_KIND_CT);
	uint32_t zero = 0;

	/* The state is a bit field: one bit per ctinfo, so "any of these
	 * states" is a mask and a test for non-zero. */
	e->key = NFT_CT_STATE;
	e->dreg = NFT_REG_1;
	e = nft_rule_add_expr(r, NFT_EXPR_KIND_BITWISE);
	e->sreg = e->dreg = NFT_REG_1;
	e->len = sizeof(mask);
	memcpy(e->data, &mask, sizeof(mask));
	add_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

void nft_rule_match_ct_direction(NftRule *r, uint8_t dir)
{
	NftExpr *e = nft_rule_add_expr(r, NFT_EXPR_KIND_CT);

	e->key = NFT_CT_DIRECTION;
	e->dreg = NFT_REG_1;
	add_cmp(r, NFT_CMP_EQ, &dir, 1);
}

static void add_addr_load(NftRule *r, int family, bool source)
{
	if (family == AF_INET) {
		nft_rule_match_nfproto(r, NFPROTO_IPV4);
		add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, source ? 12 : 16, 4);
	} else {
		nft_rule_match_nfproto(r, NFPROTO_IPV6);
		add_payload(r, NFT_PAYLOAD_NETWORK_HEADER, source ? 8 : 24, 16);
	}
}

void nft_rule_match_addr(NftRule *r, const IpAddr *addr, bool source)
{
	add_addr_load(r, addr->family, source);
	add_cmp(r, NFT_CMP_EQ, addr->bytes, ipaddr_len(addr->family));
}

void nft_rule_match_addr_set(NftRule *r, int family, bool source, const char *set)
{
	add_addr_load(r, family, source);
	add_lookup(r, set);
}

static void add_port_load(NftRule *r, uint8_t proto, bool source)
{
	nft_rule_match_l4proto(r, proto);
	add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, source ? 0 : 2, 2);
}

void nft_rule_match_port(NftRule *r, uint8_t proto, bool source, uint16_t port)
{
	uint16_t be = htons(port);

	add_port_load(r, proto, source);
	add_cmp(r, NFT_CMP_EQ, &be, sizeof(be));
}

void nft_rule_match_port_set(NftRule *r, uint8_t proto, bool source, const char *set)
{
	add_port_load(r, proto, source);
	add_lookup(r, set);
}

void nft_rule_match_icmp_set(NftRule *r, uint8_t proto, const char *set)
{
	nft_rule_match_l4proto(r, proto);
	add_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
	add_lookup(r, set);
}

void nft_rule_verdict(NftRule *r, int verdict)
{
	NftExpr *e = nft_rule_add_expr(r, NFT_EXPR_KIND_VERDICT);

	e->dreg = NFT_REG_VERDICT;
	e->key = (uint32_t)verdict;
}

/* Equality. */

bool nft_expr_equal(const NftExpr *a, const NftExpr *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case NFT_EXPR_KIND_META:
	case NFT_EXPR_KIND_CT:
		return a->key == b->key && a->dreg == b->dreg;
	case NFT_EXPR_KIND_PAYLOAD:
		return a->key == b->key && a->offset == b->offset && a->len == b->len &&
		       a->dreg == b->dreg;
	case NFT_EXPR_KIND_BITWISE:
		return a->sreg == b->sreg && a->dreg == b->dreg && a->len == b->len &&
		       memcmp(a->data, b->data, a->len) == 0 &&
		       memcmp(a->xor_data, b->xor_data, a->len) == 0;
	case NFT_EXPR_KIND_CMP:
		return a->sreg == b->sreg && a->key == b->key && a->len == b->len &&
		       memcmp(a->data, b->data, a->len) == 0;
	case NFT_EXPR_KIND_LOOKUP:
		return a->sreg == b->sreg && a->flags == b->flags && streq_ptr(a->name, b->name);
	case NFT_EXPR_KIND_VERDICT:
		return a->key == b->key && streq_ptr(a->name, b->name);
	case NFT_EXPR_KIND_OTHER:
		return streq_ptr(a->name, b->name);
	case _NFT_EXPR_KIND_MAX:
	case _NFT_EXPR_KIND_INVALID:
		break;
	}
	return false;
}

bool nft_rule_equal(const NftRule *a, const NftRule *b)
{
	if (a->n_exprs != b->n_exprs)
		return false;
	for (size_t i = 0; i < a->n_exprs; i++)
		if (!nft_expr_equal(&a->exprs[i], &b->exprs[i]))
			return false;
	return true;
}

/* Rendering. */

typedef struct RegSource {
	NftExprKind kind; /* META, PAYLOAD, CT, or OTHER: unknown */
	uint32_t key;
	uint32_t offset;
	uint32_t len;
	bool masked;
	uint32_t mask;
} RegSource;

typedef struct Renderer {
	FILE *f;
	bool first;
	RegSource src;
	uint8_t l4proto;
} Renderer;

static void emit(Renderer *w, const char *fmt, ...) _printf_(2, 3);
static void emit(Renderer *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->first)
		fputc(' ', w->f);
	w->first = false;
	va_start(ap, fmt);
	vfprintf(w->f, fmt, ap);
	va_end(ap);
}

static void emit_hex(Renderer *w, const char *prefix, const uint8_t *p, uint32_t len)
{
	_cleanup_free_ char *hex = hexmem(p, len);

	emit(w, "%s0x%s", prefix, hex);
}

static const char *l4proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	default:
		return NULL;
	}
}

static const char *cmp_op_prefix(uint32_t op)
{
	switch (op) {
	case NFT_CMP_EQ:
		return "";
	case NFT_CMP_NEQ:
		return "!= ";
	case NFT_CMP_LT:
		return "< ";
	case NFT_CMP_LTE:
		return "<= ";
	case NFT_CMP_GT:
		return "> ";
	case NFT_CMP_GTE:
		return ">= ";
	default:
		return "?? ";
	}
}

static const char *meta_label(uint32_t key, char *buf, size_t size)
{
	switch (key) {
	case NFT_META_IIFNAME:
		return "iifname";
	case NFT_META_OIFNAME:
		return "oifname";
	case NFT_META_NFPROTO:
		return "meta nfproto";
	case NFT_META_L4PROTO:
		return "meta l4proto";
	case NFT_META_MARK:
		return "meta mark";
	default:
		snprintf(buf, size, "meta key %u", key);
		return buf;
	}
}

static const char *payload_label(const Renderer *w, char *buf, size_t size)
{
	const RegSource *s = &w->src;
	bool tcp_udp = w->l4proto == IPPROTO_TCP || w->l4proto == IPPROTO_UDP;
	bool icmp = w->l4proto == IPPROTO_ICMP || w->l4proto == IPPROTO_ICMPV6;

	if (s->key == NFT_PAYLOAD_NETWORK_HEADER && s->len == 4 &&
	    (s->offset == 12 || s->offset == 16))
		return s->offset == 12 ? "ip saddr" : "ip daddr";
	if (s->key == NFT_PAYLOAD_NETWORK_HEADER && s->len == 16 &&
	    (s->offset == 8 || s->offset == 24))
		return s->offset == 8 ? "ip6 saddr" : "ip6 daddr";
	if (s->key == NFT_PAYLOAD_TRANSPORT_HEADER && s->len == 2 &&
	    (s->offset == 0 || s->offset == 2)) {
		snprintf(buf, size, "%s %s", tcp_udp ? l4proto_name(w->l4proto) : "th",
			 s->offset == 0 ? "sport" : "dport");
		return buf;
	}
	if (s->key == NFT_PAYLOAD_TRANSPORT_HEADER && s->len == 1 && s->offset == 0 && icmp)
		return w->l4proto == IPPROTO_ICMP ? "icmp type" : "icmpv6 type";
	snprintf(buf, size, "@%s,%u,%u",
		 s->key == NFT_PAYLOAD_NETWORK_HEADER	  ? "nh"
		 : s->key == NFT_PAYLOAD_TRANSPORT_HEADER ? "th"
							  : "ll",
		 s->offset * 8, s->len * 8);
	return buf;
}

/* The name of what a register holds ("ip daddr", "tcp dport",
 * "oifname"), or NULL when it was not loaded by anything known. */
static const char *source_label(const Renderer *w, char *buf, size_t size)
{
	const RegSource *s = &w->src;

	if (s->kind == NFT_EXPR_KIND_META)
		return meta_label(s->key, buf, size);
	if (s->kind == NFT_EXPR_KIND_PAYLOAD)
		return payload_label(w, buf, size);
	if (s->kind != NFT_EXPR_KIND_CT)
		return NULL;
	if (s->key == NFT_CT_STATE)
		return "ct state";
	if (s->key == NFT_CT_DIRECTION)
		return "ct direction";
	snprintf(buf, size, "ct key %u", s->key);
	return buf;
}

static void emit_ct_state(Renderer *w, const char *op, uint32_t bits)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
	    {NF_CT_STATE_INVALID_BIT, "invalid"},
	    {NF_CT_STATE_BIT(IP_CT_ESTABLISHED), "established"},
	    {NF_CT_STATE_BIT(IP_CT_RELATED), "related"},
	    {NF_CT_STATE_BIT(IP_CT_NEW), "new"},
	    {NF_CT_STATE_UNTRACKED_BIT, "untracked"},
	};
	char buf[96] = "";

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (bits & names[i].bit) {
			if (buf[0])
				strcat(buf, ",");
			strcat(buf, names[i].name);
			bits &= ~names[i].bit;
		}
	if (bits)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s0x%x", buf[0] ? "," : "",
			 bits);
	emit(w, "ct state %s%s", op, buf);
}

static void emit_value(Renderer *w, const char *label, const NftExpr *cmp)
{
	const RegSource *s = &w->src;
	const char *op = cmp_op_prefix(cmp->key);
	uint32_t u32 = 0;

	memcpy(&u32, cmp->data, MIN(cmp->len, sizeof(u32)));
	if (s->kind == NFT_EXPR_KIND_CT && s->key == NFT_CT_STATE && s->masked && u32 == 0 &&
	    (cmp->key == NFT_CMP_NEQ || cmp->key == NFT_CMP_EQ)) {
		emit_ct_state(w, cmp->key == NFT_CMP_NEQ ? "" : "!= ", s->mask);
		return;
	}
	if (s->masked) {
		emit_hex(w, "", cmp->data, cmp->len);
		return;
	}

	if (s->kind == NFT_EXPR_KIND_META &&
	    (s->key == NFT_META_IIFNAME || s->key == NFT_META_OIFNAME)) {
		size_t n = strnlen((const char *)cmp->data, cmp->len);
		emit(w, "%s %s\"%.*s%s\"", label, op, (int)n, (const char *)cmp->data,
		     n == cmp->len ? "*" : "");
		return;
	}
	if (s->kind == NFT_EXPR_KIND_META && s->key == NFT_META_NFPROTO && cmp->len == 1) {
		emit(w, "%s %s%s", label, op,
		     u32 == NFPROTO_IPV4   ? "ipv4"
		     : u32 == NFPROTO_IPV6 ? "ipv6"
					   : "?");
		return;
	}
	if (s->kind == NFT_EXPR_KIND_META && s->key == NFT_META_L4PROTO && cmp->len == 1 &&
	    l4proto_name(cmp->data[0])) {
		emit(w, "%s %s%s", label, op, l4proto_name(cmp->data[0]));
		return;
	}
	if (s->kind == NFT_EXPR_KIND_META && s->key == NFT_META_MARK && cmp->len == 4) {
		emit(w, "%s %s0x%08x", label, op, u32);
		return;
	}
	if (s->kind == NFT_EXPR_KIND_CT && s->key == NFT_CT_DIRECTION && cmp->len == 1) {
		emit(w, "%s %s%s", label, op, u32 == IP_CT_DIR_REPLY ? "reply" : "original");
		return;
	}
	if (s->kind == NFT_EXPR_KIND_PAYLOAD && (cmp->len == 4 || cmp->len == 16) &&
	    s->key == NFT_PAYLOAD_NETWORK_HEADER) {
		char buf[INET6_ADDRSTRLEN];
		inet_ntop(cmp->len == 4 ? AF_INET : AF_INET6, cmp->data, buf, sizeof(buf));
		emit(w, "%s %s%s", label, op, buf);
		return;
	}
	if (s->kind == NFT_EXPR_KIND_PAYLOAD && s->key == NFT_PAYLOAD_TRANSPORT_HEADER &&
	    cmp->len <= 2) {
		unsigned v =
		    cmp->len == 2 ? (unsigned)cmp->data[0] << 8 | cmp->data[1] : cmp->data[0];
		emit(w, "%s %s%u", label, op, v);
		return;
	}
	_cleanup_free_ char *hex = hexmem(cmp->data, cmp->len);
	emit(w, "%s %s0x%s", label, op, hex);
}

static const char *verdict_name(int32_t v)
{
	switch (v) {
	case NF_ACCEPT:
		return "accept";
	case NF_DROP:
		return "drop";
	case NF_QUEUE:
		return "queue";
	case NFT_CONTINUE:
		return "continue";
	case NFT_BREAK:
		return "break";
	case NFT_RETURN:
		return "return";
	case NFT_JUMP:
		return "jump";
	case NFT_GOTO:
		return "goto";
	default:
		return NULL;
	}
}

/* A dependency ("meta nfproto ipv4" before "ip daddr") that nft leaves
 * implicit: shown only when nothing it guards follows. */
static bool is_implicit_dependency(const NftRule *r, size_t i, uint32_t base)
{
	const NftExpr *next = i + 1 < r->n_exprs ? &r->exprs[i + 1] : NULL;

	return next && next->kind == NFT_EXPR_KIND_PAYLOAD && next->key == base;
}

static void render_cmp(Renderer *w, const NftRule *r, size_t i)
{
	const NftExpr *e = &r->exprs[i];
	char buf[64];
	const char *label = source_label(w, buf, sizeof(buf));

	if (!label) {
		_cleanup_free_ char *hex = hexmem(e->data, e->len);
		emit(w, "[cmp %sreg %u 0x%s]", cmp_op_prefix(e->key), e->sreg, hex);
		return;
	}
	if (w->src.kind == NFT_EXPR_KIND_META && w->src.key == NFT_META_L4PROTO && e->len == 1) {
		w->l4proto = e->key == NFT_CMP_EQ ? e->data[0] : 0;
		if (e->key == NFT_CMP_EQ &&
		    is_implicit_dependency(r, i, NFT_PAYLOAD_TRANSPORT_HEADER) &&
		    (l4proto_name(e->data[0])))
			return;
	}
	if (w->src.kind == NFT_EXPR_KIND_META && w->src.key == NFT_META_NFPROTO && e->len == 1 &&
	    e->key == NFT_CMP_EQ && is_implicit_dependency(r, i, NFT_PAYLOAD_NETWORK_HEADER))
		return;
	emit_value(w, label, e);
}

static void render_expr(Renderer *w, const NftRule *r, size_t i)
{
	const NftExpr *e = &r->exprs[i];
	char buf[64];
	const char *label;

	switch (e->kind) {
	case NFT_EXPR_KIND_META:
	case NFT_EXPR_KIND_CT:
	case NFT_EXPR_KIND_PAYLOAD:
		w->src =
		    (RegSource){.kind = e->kind, .key = e->key, .offset = e->offset, .len = e->len};
		break;
	case NFT_EXPR_KIND_BITWISE:
		if (e->len == 4 && memcmp(e->xor_data, (uint8_t[4]){}, 4) == 0) {
			w->src.masked = true;
			memcpy(&w->src.mask, e->data, 4);
		} else
			w->src.kind = NFT_EXPR_KIND_OTHER;
		break;
	case NFT_EXPR_KIND_CMP:
		render_cmp(w, r, i);
		break;
	case NFT_EXPR_KIND_LOOKUP:
		label = source_label(w, buf, sizeof(buf));
		emit(w, "%s %s@%s", label ?: "[lookup]", e->flags & NFT_LOOKUP_F_INV ? "!= " : "",
		     strna(e->name));
		break;
	case NFT_EXPR_KIND_VERDICT: {
		const char *v = verdict_name((int32_t)e->key);
		if (v)
			emit(w, "%s%s%s", v, e->name ? " " : "", strempty(e->name));
		else
			emit(w, "verdict %d", (int32_t)e->key);
		break;
	}
	case NFT_EXPR_KIND_OTHER:
		emit(w, "[%s]", strna(e->name));
		w->src.kind = NFT_EXPR_KIND_OTHER;
		break;
	case _NFT_EXPR_KIND_MAX:
	case _NFT_EXPR_KIND_INVALID:
		break;
	}
}

char *nft_rule_to_string(const NftRule *r)
{
	Renderer w = {.first = true, .src.kind = NFT_EXPR_KIND_OTHER};
	char *buf = NULL;
	size_t size = 0;

	w.f = open_memstream(&buf, &size);
	if (!w.f)
		abort();
	for (size_t i = 0; i < r->n_exprs; i++)
		render_expr(&w, r, i);
	if (fclose(w.f) != 0)
		abort();
	return buf;
}
