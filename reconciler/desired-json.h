/* SPDX-License-Identifier: MIT */
/*
 * Internal to the desired-state parser (desired-parse*.c): a small
 * table-driven walker over jansson values. Each JSON object is described
 * by a table of JsonField; json_dispatch_object() visits the object's keys
 * in document order, hands each value to its field's dispatcher, and
 * reports unknown keys, keys refused for external tunnels and missing
 * required keys. Dispatchers record problems in the ParseContext and only
 * write their target when the value is acceptable, so defaults survive
 * bad input.
 *
 * Paths are built as the messages show them: keys joined with '.', keys
 * with other characters than letters, digits, '_' and '-' quoted as
 * ["a.service"], "[i]" for array items, control characters escaped
 * (docs/desired-state.md, "Error paths").
 */
#pragma once

#include <jansson.h>

#include "desired.h"

typedef struct ParseContext {
	DesiredErrors *errors;
	/* wireguard.managed of the namespace being parsed. */
	bool managed;
} ParseContext;

typedef struct JsonField JsonField;

/* base is the struct the field table describes; f->offset locates the
 * member inside it. */
typedef void (*JsonDispatch)(ParseContext *c, const char *path, json_t *v, void *base,
			     const JsonField *f);

enum {
	JSON_FIELD_REQUIRED = 1 << 0,
	JSON_FIELD_REQUIRED_MANAGED = 1 << 1, /* required when wireguard.managed */
	JSON_FIELD_MANAGED_ONLY = 1 << 2,     /* refused when !wireguard.managed */
	JSON_FIELD_NULLABLE = 1 << 3,         /* null keeps the default */
	JSON_FIELD_DEFAULT_OBJECT = 1 << 4,   /* absent: dispatched as {} */
};

struct JsonField {
	const char *name;
	JsonDispatch dispatch;
	size_t offset;
	unsigned flags;
	int64_t min, max;	  /* integers */
	const JsonField *fields; /* json_dispatch_nested */
};

#define JSON_FIELDS_MAX 64

void parse_error(ParseContext *c, const char *path, const char *fmt, ...) _printf_(3, 4);

/* "parent.key" (or "key" at the top), with control characters escaped. */
char *json_path_key(const char *parent, const char *key);
/* "parent[i]". */
char *json_path_index(const char *parent, size_t i);
/* s in double quotes, control characters, quotes and backslashes escaped,
 * cut after 64 bytes with "...". For quoting offending values. */
char *json_quote(const char *s);
/* The path of the object key whose string token ends at offset in text
 * (where jansson reports a duplicate key). NULL if none is found. */
char *json_path_at(const char *text, size_t size, size_t offset);

/* Visits v (which must be an object) with the field table fields
 * (terminated by an entry with name NULL) writing into base. */
void json_dispatch_object(ParseContext *c, const char *path, json_t *v, const JsonField *fields,
			  void *base);

/* Type checks that report "<path>: must be ...". The string variant
 * returns NULL after reporting. */
const char *json_expect_string(ParseContext *c, const char *path, json_t *v, const JsonField *f);
bool json_expect_integer(ParseContext *c, const char *path, json_t *v, const JsonField *f,
			 int64_t *ret);
/* Checks that v is an array of min..max items. */
bool json_expect_array(ParseContext *c, const char *path, json_t *v, size_t min, size_t max);

/* Generic dispatchers. Integer ones use f->min/f->max. */
void json_dispatch_nested(ParseContext *c, const char *path, json_t *v, void *base,
			  const JsonField *f);
void json_dispatch_bool(ParseContext *c, const char *path, json_t *v, void *base,
			const JsonField *f);
void json_dispatch_u16(ParseContext *c, const char *path, json_t *v, void *base,
		       const JsonField *f);
void json_dispatch_u32(ParseContext *c, const char *path, json_t *v, void *base,
		       const JsonField *f);
/* char * member: an absolute path (see path_check()). */
void json_dispatch_path(ParseContext *c, const char *path, json_t *v, void *base,
			const JsonField *f);
/* Same, refusing "/" (for directories vpnconf creates files in). */
void json_dispatch_dir(ParseContext *c, const char *path, json_t *v, void *base,
		       const JsonField *f);
/* char[IFNAMSIZ] member: an interface name. */
void json_dispatch_ifname(ParseContext *c, const char *path, json_t *v, void *base,
			  const JsonField *f);
/* PortList member: 1..65535, sorted and de-duplicated. */
void json_dispatch_ports(ParseContext *c, const char *path, json_t *v, void *base,
			 const JsonField *f);
/* Reports "<path>: must be one of ..., not <value>". */
void json_report_enum(ParseContext *c, const char *path, const char *value,
		      const char *const *choices, size_t n);

/* Defines dispatch_<name>() for an enum with <name>_from_string() and
 * <name>_to_string(), writing a member of type "type". */
#define DEFINE_JSON_DISPATCH_ENUM(name, type, max)                                                 \
	static void dispatch_##name(ParseContext *c, const char *path, json_t *v, void *base,      \
				    const JsonField *f)                                            \
	{                                                                                          \
		const char *s = json_expect_string(c, path, v, f), *choices[max];                  \
		type x;                                                                            \
                                                                                                   \
		if (!s)                                                                            \
			return;                                                                    \
		x = name##_from_string(s);                                                         \
		if (x >= 0) {                                                                      \
			*(type *)((char *)base + f->offset) = x;                                   \
			return;                                                                    \
		}                                                                                  \
		for (int i = 0; i < (max); i++)                                                    \
			choices[i] = name##_to_string((type)i);                                    \
		json_report_enum(c, path, s, choices, (max));                                      \
	}

/* Array of address prefixes: strict refuses host bits ("10.0.0.1/8").
 * Reports each bad item; *ret and *ret_n are set only if all were good. */
void json_parse_prefixes(ParseContext *c, const char *path, json_t *v, bool strict, size_t min,
			 size_t max, IpPrefix **ret, size_t *ret_n);

/* The port at the end of "host:port": decimal 1..65535, no sign, no
 * leading zero, nothing after; -EINVAL otherwise. */
int port_text_parse(const char *s, uint16_t *ret);

/* NULL if s is an acceptable absolute path, else the reason. */
const char *path_check(const char *s, bool dir);

/* Sub-parsers living in their own files. */
/* The "wireguard" object of a namespace (base: Namespace). Sets
 * c->managed for the rest of the namespace. */
void parse_wireguard(ParseContext *c, const char *path, json_t *v, void *base,
		     const JsonField *f);
/* The "publish" array of a namespace (base: Namespace). */
void parse_publish(ParseContext *c, const char *path, json_t *v, void *base, const JsonField *f);
/* The "portForwarding" object of a namespace (base: Namespace). */
void parse_port_forwarding(ParseContext *c, const char *path, json_t *v, void *base,
			   const JsonField *f);
/* One namespace: defaults, the object at path, then the derivations. */
void parse_namespace(ParseContext *c, const char *path, const char *name, json_t *v,
		     Namespace *ns);
