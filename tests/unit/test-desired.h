/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the desired-state tests: build documents from a valid
 * template with parts replaced, and assert acceptance or a specific error
 * (by JSON path and message fragment). JSON is written with single quotes
 * for readability; they become double quotes.
 */
#pragma once

#include <stdio.h>

#include "desired.h"
#include "test.h"

#define TEST_KEY_A "vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4="
#define TEST_KEY_B "AvldyrZ12Pf90jzf3AXmhPwg3UcI+jtJHfbpBlupvko="

typedef struct DocSpec {
	const char *top;       /* extra top-level members */
	const char *ns;	       /* extra members of namespaces.vpnapps */
	const char *wg;	       /* extra members of its wireguard object */
	const char *key;       /* replaces wireguard.privateKeyFile */
	const char *addresses; /* replaces wireguard.addresses */
	const char *peers;     /* replaces wireguard.peers */
	const char *dns;       /* replaces the dns object */
	const char *units;     /* replaces the units object */
	bool external;	       /* managed: false, no key/addresses/peers */
} DocSpec;

static inline char *squote(const char *s)
{
	char *r = xstrdup(s);

	for (char *p = r; *p; p++)
		if (*p == '\'')
			*p = '"';
	return r;
}

static inline char *doc_build(const DocSpec *s)
{
	static const char peer[] = "[{'publicKey': '" TEST_KEY_A "', "
				   "'endpoint': '198.51.100.10:51820', 'allowedIPs': ['0.0.0.0/0']}]";
	_cleanup_free_ char *wg = NULL, *raw = NULL;

	if (s->external)
		wg = xasprintf("'managed': false%s%s%s%s", s->wg ? ", " : "", strempty(s->wg),
			       s->peers ? ", 'peers': " : "", strempty(s->peers));
	else
		wg = xasprintf("%s%s'privateKeyFile': %s, 'addresses': %s, 'peers': %s",
			       strempty(s->wg), s->wg ? ", " : "", s->key ?: "'/run/keys/wg.key'",
			       s->addresses ?: "['10.0.0.2/32']", s->peers ?: peer);
	raw = xasprintf("{'version': 1, %s%s'namespaces': {'vpnapps': {%s%s'wireguard': {%s}, "
			"'dns': %s}}, 'units': %s}",
			strempty(s->top), s->top ? ", " : "", strempty(s->ns), s->ns ? ", " : "", wg,
			s->dns ?: "{'servers': ['10.64.0.1']}", s->units ?: "{}");
	return squote(raw);
}

#define DOC(...) doc_build(&(DocSpec){__VA_ARGS__})

static inline void dump_errors(const DesiredErrors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		_cleanup_free_ char *m = desired_error_format(&e->errors[i]);
		fprintf(stderr, "    error: %s\n", m);
	}
}

/* Parses and validates text (taking ownership); returns the Desired or
 * fails the test. */
static inline Desired *accept_doc(char *text)
{
	_cleanup_free_ char *t = text;
	DesiredErrors e = {};
	Desired *d = NULL;
	int r;

	r = desired_parse(t, strlen(t), &e, &d);
	if (r >= 0) {
		r = desired_validate(d, &e);
		if (r < 0)
			d = desired_free(d);
	}
	if (r < 0) {
		dump_errors(&e);
		fprintf(stderr, "    document: %s\n", t);
		desired_errors_clear(&e);
		TEST_FAIL("document refused");
	}
	desired_errors_clear(&e);
	return d;
}

/* Parses and validates text (taking ownership), expects it to be refused
 * with an error "<path>: ...<fragment>...". */
static inline void refuse_doc(char *text, const char *path, const char *fragment)
{
	_cleanup_free_ char *t = text, *prefix = xasprintf("%s%s", path, *path ? ": " : "");
	DesiredErrors e = {};
	Desired *d = NULL;
	bool found = false;
	int r;

	r = desired_parse(t, strlen(t), &e, &d);
	if (r >= 0) {
		r = desired_validate(d, &e);
		desired_free(d);
	}
	for (size_t i = 0; i < e.n; i++) {
		_cleanup_free_ char *m = desired_error_format(&e.errors[i]);
		if (startswith(m, prefix) && strstr(m, fragment))
			found = true;
	}
	if (r != -EINVAL || !found) {
		dump_errors(&e);
		fprintf(stderr, "    document: %s\n", t);
		desired_errors_clear(&e);
		TEST_FAIL("expected an error \"%s...%s\" (r=%d)", prefix, fragment, r);
	}
	desired_errors_clear(&e);
}

#define REFUSE(path, fragment, ...) refuse_doc(DOC(__VA_ARGS__), path, fragment)
#define NS "namespaces.vpnapps."
