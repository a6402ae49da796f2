/* SPDX-License-Identifier: MIT */
/*
 * The table-driven JSON walker of desired-json.h and the dispatchers for
 * the value types that occur in several places of the desired-state file
 * (booleans, bounded integers, paths, interface names, port and prefix
 * lists).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "desired-json.h"

void parse_error(ParseContext *c, const char *path, const char *fmt, ...)
{
	_cleanup_free_ char *m = NULL;
	va_list ap;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	desired_errors_add(c->errors, path, "%s", m);
}

/* Appends s[0..n) to a growing string, control characters as \xNN and,
 * when quoting, '"' and '\' backslash-escaped. */
static void append_escaped(char **buf, size_t *len, const char *s, size_t n, bool quoting)
{
	*buf = xrealloc(*buf, *len + n * 4 + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			*len += (size_t)sprintf(*buf + *len, "\\x%02x", ch);
		else if (quoting && (ch == '"' || ch == '\\'))
			*len += (size_t)sprintf(*buf + *len, "\\%c", ch);
		else
			(*buf)[(*len)++] = (char)ch;
	}
	(*buf)[*len] = 0;
}

/* Keys made of letters, digits, '_' and '-' only are shown bare; any other
 * (a '.', as in unit names, '[', quotes, spaces, non-ASCII, the empty key)
 * would make the path ambiguous and is shown quoted: ["a.service"]. */
static bool key_is_bare(const char *key)
{
	if (isempty(key))
		return false;
	for (const char *k = key; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_' || *k == '-'))
			return false;
	return true;
}

char *json_path_key(const char *parent, const char *key)
{
	bool bare = key_is_bare(key);
	size_t pl = strlen(strempty(parent)), len = pl + (pl > 0 && bare);
	char *r = xmalloc(len + 1);

	if (pl > 0) {
		memcpy(r, parent, pl);
		if (bare)
			r[pl] = '.';
	}
	r[len] = 0;
	if (bare) {
		append_escaped(&r, &len, key, strlen(key), false);
		return r;
	}
	r = xrealloc(r, len + 3);
	len += (size_t)sprintf(r + len, "[\"");
	append_escaped(&r, &len, key, strlen(key), true);
	r = xrealloc(r, len + 3);
	len += (size_t)sprintf(r + len, "\"]");
	return r;
}

char *desired_ns_path(const char *ns_name, const char *sub)
{
	_cleanup_free_ char *p = json_path_key("namespaces", ns_name);

	return xasprintf("%s.%s", p, sub);
}

char *json_path_index(const char *parent, size_t i)
{
	return xasprintf("%s[%zu]", strempty(parent), i);
}

char *json_quote(const char *s)
{
	const size_t cut = 64;
	size_t n = strlen(s), len = 1, take = n;
	char *r = xstrdup("\"");

	if (n > cut) {
		/* Cut on a UTF-8 character boundary (jansson strings are
		 * valid UTF-8: continuation bytes are 10xxxxxx). */
		take = cut;
		while (take > 0 && ((unsigned char)s[take] & 0xc0) == 0x80)
			take--;
	}
	append_escaped(&r, &len, s, take, true);
	r = xrealloc(r, len + 5);
	strcpy(r + len, take < n ? "...\"" : "\"");
	return r;
}

typedef struct PathFrame {
	bool object;
	size_t index;	 /* arrays: current item */
	const char *key; /* objects: current key's string token */
	size_t key_len;
} PathFrame;

/* Index of the quote closing the string token starting at text[start]
 * (or end when it runs past it). */
static size_t string_token_end(const char *text, size_t start, size_t end)
{
	for (size_t i = start + 1; i < end; i++) {
		if (text[i] == '\\')
			i++;
		else if (text[i] == '"')
			return i;
	}
	return end;
}

static char *decode_key(const char *token, size_t len)
{
	json_t *s = json_loadb(token, len, JSON_DECODE_ANY, NULL);
	char *r;

	if (json_is_string(s))
		r = xstrdup(json_string_value(s));
	else
		r = len >= 2 ? xstrndup(token + 1, len - 2) : xstrdup("");
	json_decref(s);
	return r;
}

static char *path_from_frames(const PathFrame *frames, size_t n)
{
	_cleanup_free_ char *path = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *key = NULL;
		char *next;

		if (!frames[i].object) {
			next = json_path_index(path, frames[i].index);
		} else if (frames[i].key) {
			key = decode_key(frames[i].key, frames[i].key_len);
			next = json_path_key(path, key);
		} else {
			return NULL;
		}
		free(path);
		path = next;
	}
	return TAKE_PTR(path);
}

char *json_path_at(const char *text, size_t size, size_t offset)
{
	_cleanup_free_ PathFrame *frames = NULL;
	size_t depth = 0, end = MIN(offset, size);
	bool expect_key = false;

	/* text[0..end) is a valid JSON prefix (jansson parsed it), so a
	 * bracket/comma/string scanner is enough to know where we are. */
	for (size_t i = 0; i < end; i++) {
		PathFrame *top = depth > 0 ? &frames[depth - 1] : NULL;
		size_t close;

		switch (text[i]) {
		case '{':
		case '[':
			top = ARRAY_APPEND(frames, depth);
			top->object = text[i] == '{';
			expect_key = top->object;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			expect_key = false;
			break;
		case ',':
			if (top && top->object)
				expect_key = true;
			else if (top)
				top->index++;
			break;
		case ':':
			expect_key = false;
			break;
		case '"':
			close = string_token_end(text, i, end);
			if (top && top->object && expect_key) {
				top->key = text + i;
				top->key_len = MIN(close + 1, end) - i;
			}
			i = close;
			break;
		default:
			break;
		}
	}
	if (depth == 0 || !frames[depth - 1].object)
		return NULL;
	return path_from_frames(frames, depth);
}

static const JsonField *field_find(const JsonField *fields, const char *key, size_t *ret_index)
{
	for (size_t i = 0; fields[i].name; i++)
		if (streq(fields[i].name, key)) {
			*ret_index = i;
			return &fields[i];
		}
	return NULL;
}

/* The known key nearest to an unknown one, when it looks like a typo. */
static const char *field_nearest(const JsonField *fields, const char *key)
{
	const char *names[JSON_FIELDS_MAX + 1] = {};
	size_t n = 0;

	for (size_t i = 0; fields[i].name && n < JSON_FIELDS_MAX; i++)
		names[n++] = fields[i].name;
	return string_nearest(key, names);
}

static bool field_required(const ParseContext *c, const JsonField *f)
{
	return (f->flags & JSON_FIELD_REQUIRED) ||
	       ((f->flags & JSON_FIELD_REQUIRED_MANAGED) && c->managed);
}

static bool field_refused(const ParseContext *c, const JsonField *f)
{
	return (f->flags & JSON_FIELD_MANAGED_ONLY) && !c->managed;
}

static void dispatch_missing(ParseContext *c, const char *path, const JsonField *fields,
			     uint64_t seen, void *base)
{
	for (size_t i = 0; fields[i].name; i++) {
		const JsonField *f = &fields[i];
		_cleanup_free_ char *p = NULL;
		json_t *empty;

		if (seen & (UINT64_C(1) << i))
			continue;
		if (field_required(c, f)) {
			p = json_path_key(path, f->name);
			parse_error(c, p, "is required");
		} else if ((f->flags & JSON_FIELD_DEFAULT_OBJECT) && !field_refused(c, f)) {
			/* Lets the nested table report its own required keys
			 * ("dns.servers") when the whole object is missing. */
			p = json_path_key(path, f->name);
			empty = json_object();
			f->dispatch(c, p, empty, base, f);
			json_decref(empty);
		}
	}
}

void json_dispatch_object(ParseContext *c, const char *path, json_t *v, const JsonField *fields,
			  void *base)
{
	uint64_t seen = 0;
	const char *key;
	json_t *value;

	if (!json_is_object(v)) {
		parse_error(c, path, "must be an object");
		return;
	}
	json_object_foreach(v, key, value) {
		_cleanup_free_ char *p = json_path_key(path, key);
		const JsonField *f;
		size_t i;

		f = field_find(fields, key, &i);
		if (!f) {
			const char *near = field_nearest(fields, key);

			if (near)
				parse_error(c, p, "unknown key; did you mean %s?", near);
			else
				parse_error(c, p, "unknown key");
			continue;
		}
		assert(i < JSON_FIELDS_MAX);
		seen |= UINT64_C(1) << i;
		if (field_refused(c, f)) {
			parse_error(c, p, "only for managed tunnels (wireguard.managed is false)");
			continue;
		}
		if (json_is_null(value) && (f->flags & JSON_FIELD_NULLABLE))
			continue;
		f->dispatch(c, p, value, base, f);
	}
	dispatch_missing(c, path, fields, seen, base);
}

static const char *or_null(const JsonField *f)
{
	return f && (f->flags & JSON_FIELD_NULLABLE) ? " or null" : "";
}

const char *json_expect_string(ParseContext *c, const char *path, json_t *v, const JsonField *f)
{
	if (!json_is_string(v)) {
		parse_error(c, path, "must be a string%s", or_null(f));
		return NULL;
	}
	return json_string_value(v);
}

bool json_expect_integer(ParseContext *c, const char *path, json_t *v, const JsonField *f,
			 int64_t *ret)
{
	json_int_t x;

	if (!json_is_integer(v)) {
		parse_error(c, path, "must be an integer%s", or_null(f));
		return false;
	}
	x = json_integer_value(v);
	if (x < f->min || x > f->max) {
		parse_error(c, path, "must be between %" PRId64 " and %" PRId64 ", not %lld", f->min,
			    f->max, (long long)x);
		return false;
	}
	*ret = x;
	return true;
}

bool json_expect_array(ParseContext *c, const char *path, json_t *v, size_t min, size_t max)
{
	size_t n;

	if (!json_is_array(v)) {
		parse_error(c, path, "must be an array");
		return false;
	}
	n = json_array_size(v);
	if (n < min) {
		if (min == 1)
			parse_error(c, path, "must not be empty");
		else
			parse_error(c, path, "needs at least %zu entries", min);
		return false;
	}
	if (n > max) {
		parse_error(c, path, "has %zu entries, at most %zu are allowed", n, max);
		return false;
	}
	return true;
}

void json_report_enum(ParseContext *c, const char *path, const char *value,
		      const char *const *choices, size_t n)
{
	_cleanup_free_ char *q = json_quote(value), *list = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s\"%s\"", list, i == 0 ? "" : i + 1 < n ? ", " : " or ",
				       choices[i]);
		free(list);
		list = next;
	}
	parse_error(c, path, "must be %s, not %s", list, q);
}

#define MEMBER(type, base, f) ((type *)((char *)(base) + (f)->offset))

void json_dispatch_nested(ParseContext *c, const char *path, json_t *v, void *base,
			  const JsonField *f)
{
	json_dispatch_object(c, path, v, f->fields, MEMBER(char, base, f));
}

void json_dispatch_bool(ParseContext *c, const char *path, json_t *v, void *base,
			const JsonField *f)
{
	if (!json_is_boolean(v)) {
		parse_error(c, path, "must be a boolean");
		return;
	}
	*MEMBER(bool, base, f) = json_is_true(v);
}

void json_dispatch_u16(ParseContext *c, const char *path, json_t *v, void *base,
		       const JsonField *f)
{
	int64_t x;

	assert(f->min >= 0 && f->max <= UINT16_MAX);
	if (json_expect_integer(c, path, v, f, &x))
		*MEMBER(uint16_t, base, f) = (uint16_t)x;
}

void json_dispatch_u32(ParseContext *c, const char *path, json_t *v, void *base,
		       const JsonField *f)
{
	int64_t x;

	assert(f->min >= 0 && f->max <= UINT32_MAX);
	if (json_expect_integer(c, path, v, f, &x))
		*MEMBER(uint32_t, base, f) = (uint32_t)x;
}

int port_text_parse(const char *s, uint16_t *ret)
{
	uint64_t v;

	if (s[0] == '0' || safe_atou64(s, &v) < 0 || v < 1 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

const char *path_check(const char *s, bool dir)
{
	size_t n = strlen(s);

	if (s[0] != '/')
		return "must be an absolute path";
	if (n > 4095)
		return "must be at most 4095 bytes long";
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "must not contain control characters";
	if (n == 1)
		return dir ? "must not be the root directory" : "must name a file, not /";
	if (s[n - 1] == '/')
		return "must not end with /";
	if (strstr(s, "//"))
		return "must not contain //";
	for (const char *p = s; p; p = strchr(p + 1, '/'))
		if (startswith(p, "/./") || startswith(p, "/../") || streq(p, "/.") ||
		    streq(p, "/.."))
			return "must not contain . or .. components";
	return NULL;
}

static void dispatch_path_impl(ParseContext *c, const char *path, json_t *v, void *base,
			       const JsonField *f, bool dir)
{
	const char *s = json_expect_string(c, path, v, f), *why;
	char **target = MEMBER(char *, base, f);

	if (!s)
		return;
	why = path_check(s, dir);
	if (why) {
		_cleanup_free_ char *q = json_quote(s);
		parse_error(c, path, "%s, not %s", why, q);
		return;
	}
	free(*target);
	*target = xstrdup(s);
}

void json_dispatch_path(ParseContext *c, const char *path, json_t *v, void *base,
			const JsonField *f)
{
	dispatch_path_impl(c, path, v, base, f, false);
}

void json_dispatch_dir(ParseContext *c, const char *path, json_t *v, void *base,
		       const JsonField *f)
{
	dispatch_path_impl(c, path, v, base, f, true);
}

void json_dispatch_ifname(ParseContext *c, const char *path, json_t *v, void *base,
			  const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f);
	_cleanup_free_ char *q = NULL;

	if (!s)
		return;
	if (!interface_name_is_valid(s)) {
		q = json_quote(s);
		parse_error(c, path,
			    "invalid interface name %s: 1-15 characters of A-Z a-z 0-9 _ . -, "
			    "starting and ending with a letter or digit, not lo, all or default",
			    q);
		return;
	}
	strcpy(MEMBER(char, base, f), s);
}

static int u16_compare(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

void json_dispatch_ports(ParseContext *c, const char *path, json_t *v, void *base,
			 const JsonField *f)
{
	static const JsonField port = {.min = 1, .max = 65535};
	PortList *target = MEMBER(PortList, base, f);
	_cleanup_free_ uint16_t *ports = NULL;
	size_t n = 0, i, m = 0;
	bool ok = true;
	json_t *item;

	if (!json_expect_array(c, path, v, 0, SIZE_MAX))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i);
		int64_t x;

		if (json_expect_integer(c, p, item, &port, &x))
			*ARRAY_APPEND(ports, n) = (uint16_t)x;
		else
			ok = false;
	}
	if (!ok)
		return;
	if (n > 0) {
		qsort(ports, n, sizeof(uint16_t), u16_compare);
		for (i = 1; i < n; i++)
			if (ports[i] != ports[m])
				ports[++m] = ports[i];
		m++;
	}
	free(target->ports);
	target->ports = TAKE_PTR(ports);
	target->n = m;
}

void json_parse_prefixes(ParseContext *c, const char *path, json_t *v, bool strict, size_t min,
			 size_t max, IpPrefix **ret, size_t *ret_n)
{
	_cleanup_free_ IpPrefix *list = NULL;
	size_t n = 0, i;
	bool ok = true;
	json_t *item;

	if (!json_expect_array(c, path, v, min, max))
		return;
	json_array_foreach(v, i, item) {
		_cleanup_free_ char *p = json_path_index(path, i), *q = NULL;
		const char *s = json_expect_string(c, p, item, NULL);
		IpPrefix x;

		if (!s) {
			ok = false;
			continue;
		}
		if (ipprefix_parse(s, strict, &x) >= 0) {
			*ARRAY_APPEND(list, n) = x;
			continue;
		}
		ok = false;
		q = json_quote(s);
		if (strict && ipprefix_parse(s, false, &x) >= 0) {
			char buf[IPPREFIX_STRLEN];
			IpRange r;

			ipprefix_range(&x, &r);
			x.addr = r.first;
			parse_error(c, p, "host bits set in %s (the network is %s)", q,
				    ipprefix_to_string(&x, buf));
		} else {
			parse_error(c, p, "must be a literal IPv4/IPv6 address or CIDR, not %s", q);
		}
	}
	if (!ok)
		return;
	free(*ret);
	*ret = TAKE_PTR(list);
	*ret_n = n;
}
