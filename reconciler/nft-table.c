/* SPDX-License-Identifier: MIT */
/*
 * The table model (nft-internal.h): construction, lookup, canonical set
 * elements, the kind marker, and the accessors nft.h exposes.
 */
#include <stdio.h>

#include "nft-internal.h"

static const char *const kind_table[_NFT_TABLE_KIND_MAX] = {
    [NFT_TABLE_POLICY] = "policy",
    [NFT_TABLE_LOCKDOWN] = "lockdown",
    [NFT_TABLE_PIN] = "pin",
    [NFT_TABLE_HOST] = "host",
    [NFT_TABLE_FOREIGN] = "foreign",
};

static const char *const marker_table[_NFT_TABLE_KIND_MAX] = {
    [NFT_TABLE_POLICY] = NFT_MARK_POLICY,
    [NFT_TABLE_LOCKDOWN] = NFT_MARK_LOCKDOWN,
    [NFT_TABLE_PIN] = NFT_MARK_PIN,
    [NFT_TABLE_HOST] = NFT_MARK_HOST,
    [NFT_TABLE_FOREIGN] = NULL,
};

const char *nft_table_kind_to_string(NftTableKind k)
{
	if (k < 0 || k >= _NFT_TABLE_KIND_MAX)
		return NULL;
	return kind_table[k];
}

const char *nft_table_kind_marker(NftTableKind k)
{
	if (k < 0 || k >= _NFT_TABLE_KIND_MAX)
		return NULL;
	return marker_table[k];
}

NftTableKind nft_table_kind_from_marker(const char *s)
{
	if (!s)
		return NFT_TABLE_FOREIGN;
	for (NftTableKind k = 0; k < _NFT_TABLE_KIND_MAX; k++)
		if (marker_table[k] && streq(marker_table[k], s))
			return k;
	return NFT_TABLE_FOREIGN;
}

NftTable *nft_table_new(const char *name, NftTableKind kind)
{
	NftTable *t = xcalloc(1, sizeof(*t));

	t->n_ref = 1;
	t->name = xstrdup(name);
	t->kind = kind;
	return t;
}

NftTable *nft_table_ref(NftTable *t)
{
	if (t)
		t->n_ref++;
	return t;
}

void nft_rule_clear(NftRule *r)
{
	FOREACH_ARRAY(e, r->exprs, r->n_exprs)
		free(e->name);
	free(r->exprs);
	*r = (NftRule){};
}

static void chain_clear(NftChain *c)
{
	FOREACH_ARRAY(r, c->rules, c->n_rules)
		nft_rule_clear(r);
	free(c->rules);
	free(c->name);
	free(c->type);
}

NftTable *nft_table_free(NftTable *t)
{
	if (!t || --t->n_ref > 0)
		return NULL;
	FOREACH_ARRAY(c, t->chains, t->n_chains)
		chain_clear(c);
	free(t->chains);
	FOREACH_ARRAY(s, t->sets, t->n_sets) {
		free(s->name);
		free(s->elems);
	}
	free(t->sets);
	free(t->name);
	free(t);
	return NULL;
}

NftChain *nft_table_add_chain(NftTable *t, const char *name)
{
	NftChain *c = ARRAY_APPEND(t->chains, t->n_chains);

	c->name = xstrdup(name);
	return c;
}

NftChain *nft_table_add_base_chain(NftTable *t, const char *name, uint32_t hook, int32_t priority,
				   uint32_t policy)
{
	NftChain *c = nft_table_add_chain(t, name);

	c->base = true;
	c->type = xstrdup("filter");
	c->hook = hook;
	c->priority = priority;
	c->policy = policy;
	return c;
}

NftChain *nft_table_find_chain(const NftTable *t, const char *name)
{
	FOREACH_ARRAY(c, t->chains, t->n_chains)
		if (streq(c->name, name))
			return c;
	return NULL;
}

NftSet *nft_table_add_set(NftTable *t, const char *name, uint32_t key_type, uint32_t key_len,
			  uint32_t flags)
{
	NftSet *s = ARRAY_APPEND(t->sets, t->n_sets);

	if (key_len == 0 || key_len > NFT_KEY_MAX)
		key_len = NFT_KEY_MAX; /* malformed dump; keep the bytes we can */
	s->name = xstrdup(name);
	s->key_type = key_type;
	s->key_len = key_len;
	s->flags = flags;
	return s;
}

NftSet *nft_table_find_set(const NftTable *t, const char *name)
{
	FOREACH_ARRAY(s, t->sets, t->n_sets)
		if (streq(s->name, name))
			return s;
	return NULL;
}

NftRule *nft_chain_add_rule(NftChain *c)
{
	return ARRAY_APPEND(c->rules, c->n_rules);
}

void nft_chain_remove_rule(NftChain *c, size_t i)
{
	if (i >= c->n_rules)
		return;
	nft_rule_clear(&c->rules[i]);
	memmove(c->rules + i, c->rules + i + 1, (c->n_rules - i - 1) * sizeof(NftRule));
	c->n_rules--;
}

NftExpr *nft_rule_add_expr(NftRule *r, NftExprKind kind)
{
	NftExpr *e = ARRAY_APPEND(r->exprs, r->n_exprs);

	e->kind = kind;
	return e;
}

void nft_set_add_range(NftSet *s, const void *first, const void *last)
{
	NftElem *e = ARRAY_APPEND(s->elems, s->n_elems);

	memcpy(e->first, first, s->key_len);
	memcpy(e->last, last, s->key_len);
}

void nft_set_remove_elem(NftSet *s, size_t i)
{
	if (i >= s->n_elems)
		return;
	memmove(s->elems + i, s->elems + i + 1, (s->n_elems - i - 1) * sizeof(NftElem));
	s->n_elems--;
}

int nft_elem_compare(const NftElem *a, const NftElem *b, uint32_t key_len)
{
	int r = memcmp(a->first, b->first, key_len);

	return r != 0 ? r : memcmp(a->last, b->last, key_len);
}

/* Elements are fixed-size and unused key bytes are zero, so the whole
 * first/last pair orders like the key_len prefix does. */
static int elem_compare_full(const void *x, const void *y)
{
	return nft_elem_compare(x, y, NFT_KEY_MAX);
}

void nft_set_canonicalize(NftSet *s)
{
	size_t m = 0;

	if (s->n_elems == 0)
		return;
	qsort(s->elems, s->n_elems, sizeof(NftElem), elem_compare_full);
	for (size_t i = 1; i < s->n_elems; i++) {
		NftElem *cur = &s->elems[m];

		if (memcmp(s->elems[i].first, cur->last, s->key_len) <= 0) {
			if (memcmp(s->elems[i].last, cur->last, s->key_len) > 0)
				memcpy(cur->last, s->elems[i].last, s->key_len);
			continue;
		}
		s->elems[++m] = s->elems[i];
	}
	s->n_elems = m + 1;
}

const char *nft_table_name(const NftTable *t)
{
	return t->name;
}

NftTableKind nft_table_kind(const NftTable *t)
{
	return t->kind;
}

char *nft_table_summary(const NftTable *t)
{
	size_t rules = 0, elems = 0;

	FOREACH_ARRAY(c, t->chains, t->n_chains)
		rules += c->n_rules;
	FOREACH_ARRAY(s, t->sets, t->n_sets)
		elems += s->n_elems;
	return xasprintf("%zu chain%s, %zu rule%s, %zu set%s, %zu element%s", t->n_chains,
			 t->n_chains == 1 ? "" : "s", rules, rules == 1 ? "" : "s", t->n_sets,
			 t->n_sets == 1 ? "" : "s", elems, elems == 1 ? "" : "s");
}
