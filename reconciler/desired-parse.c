/* SPDX-License-Identifier: MIT */
/*
 * desired_parse(): JSON text to an effective Desired. jansson does the
 * syntax (duplicate keys rejected); the field tables here and in
 * desired-parse-{ns,wg}.c do the rest: types, ranges, unknown keys,
 * defaults. Every problem is collected, in document order, before the
 * parse fails; nothing is derived from a file that has errors.
 */
#include <assert.h>
#include <stddef.h>

#include "desired-json.h"
#include "sha256.h"

#define UNIT_NAME_MAX 255

DEFINE_JSON_DISPATCH_ENUM(drift_action, DriftAction, _DRIFT_ACTION_MAX)

static void dispatch_version(ParseContext *c, const char *path, json_t *v, void *base,
			     const JsonField *f)
{
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		parse_error(c, path, "must be the integer 1 (the only version this vpnconf reads)");
		return;
	}
	((Desired *)base)->version = 1;
}

static void dispatch_namespaces(ParseContext *c, const char *path, json_t *v, void *base,
				const JsonField *f)
{
	Desired *d = base;
	const char *key;
	json_t *value;

	if (!json_is_object(v)) {
		parse_error(c, path, "must be an object");
		return;
	}
	json_object_foreach(v, key, value) {
		_cleanup_free_ char *p = json_path_key(path, key);

		if (!namespace_name_is_valid(key))
			parse_error(c, p,
				    "invalid namespace name: 1-64 characters of A-Z a-z 0-9 _ . -, "
				    "starting and ending with a letter or digit, not \"init\"");
		parse_namespace(c, p, key, value, ARRAY_APPEND(d->namespaces, d->n_namespaces));
	}
}

/* The characters systemd allows in unit names (the backslash is for its
 * \xNN escapes) and the two unit types vpnconf confines. */
bool unit_name_is_valid(const char *s)
{
	const char *suffix = endswith(s, ".service") ? ".service" : ".socket";
	size_t n = strlen(s);

	if (n > UNIT_NAME_MAX || !endswith(s, suffix) || n == strlen(suffix))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.@\\-") ==
	       n;
}

static void dispatch_unit_namespace(ParseContext *c, const char *path, json_t *v, void *base,
				    const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f);
	Unit *u = base;

	if (!s)
		return;
	free(u->namespace);
	u->namespace = xstrdup(s);
}

static void dispatch_user(ParseContext *c, const char *path, json_t *v, void *base,
			  const JsonField *f)
{
	const char *s = json_expect_string(c, path, v, f);
	Unit *u = base;

	if (!s)
		return;
	/* The name ends up in unit files: no room for line breaks or
	 * argument splitting. */
	if (*s == 0 || strlen(s) > 256 || strpbrk(s, " \t\n\r\v\f\x7f")) {
		_cleanup_free_ char *q = json_quote(s);
		parse_error(c, path, "must be null or a user name or uid without whitespace, not %s",
			    q);
		return;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20) {
			_cleanup_free_ char *q = json_quote(s);
			parse_error(c, path, "must not contain control characters, not %s", q);
			return;
		}
	free(u->user);
	u->user = xstrdup(s);
}

static const JsonField unit_fields[] = {
	{"namespace", dispatch_unit_namespace},
	{"user", dispatch_user, 0, JSON_FIELD_NULLABLE},
	{"dynamicUser", json_dispatch_bool, offsetof(Unit, dynamic_user)},
	{"allowRootInHighAssurance", json_dispatch_bool,
	 offsetof(Unit, allow_root_in_high_assurance)},
	{"keepNetworkCapabilities", json_dispatch_bool, offsetof(Unit, keep_network_capabilities)},
	{"restrictBind", json_dispatch_bool, offsetof(Unit, restrict_bind)},
	{},
};

static void dispatch_units(ParseContext *c, const char *path, json_t *v, void *base,
			   const JsonField *f)
{
	Desired *d = base;
	const char *key;
	json_t *value;

	if (!json_is_object(v)) {
		parse_error(c, path, "must be an object");
		return;
	}
	json_object_foreach(v, key, value) {
		_cleanup_free_ char *p = json_path_key(path, key), *pn = NULL;
		Unit *u = ARRAY_APPEND(d->units, d->n_units);

		u->name = xstrdup(key);
		if (!unit_name_is_valid(key))
			parse_error(c, p,
				    "invalid unit name: at most 255 characters of A-Z a-z 0-9 : _ . "
				    "@ \\ -, ending in .service or .socket");
		json_dispatch_object(c, p, value, unit_fields, u);
		if (json_is_object(value) && !json_object_get(value, "namespace")) {
			pn = json_path_key(p, "namespace");
			parse_error(c, pn, "is required: every unit must name a namespace");
		}
	}
}

static const JsonField paths_fields[] = {
	{"stateDir", json_dispatch_dir, offsetof(Desired, state_dir)},
	{"runtimeDir", json_dispatch_dir, offsetof(Desired, runtime_dir)},
	{"netnsDir", json_dispatch_dir, offsetof(Desired, netns_dir)},
	{},
};

static const JsonField drift_fields[] = {
	{"action", dispatch_drift_action, offsetof(Desired, drift_action)},
	{"handshakeTimeoutSeconds", json_dispatch_u32,
	 offsetof(Desired, handshake_timeout_seconds), 0, 0, 31536000},
	{},
};

static const JsonField top_fields[] = {
	{"version", dispatch_version, 0, JSON_FIELD_REQUIRED},
	{"paths", json_dispatch_nested, 0, 0, 0, 0, paths_fields},
	{"drift", json_dispatch_nested, 0, 0, 0, 0, drift_fields},
	{"namespaces", dispatch_namespaces},
	{"units", dispatch_units},
	{},
};

static char *sanitize(const char *s)
{
	char *r = xstrdup(s);

	for (char *p = r; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return r;
}

static void report_syntax_error(DesiredErrors *errors, const char *text, size_t size,
				const json_error_t *err)
{
	_cleanup_free_ char *path = NULL, *msg = NULL;
	DesiredError *e;

	if (json_error_code(err) == json_error_duplicate_key)
		path = json_path_at(text, size, (size_t)MAX(err->position, 0));
	if (path) {
		desired_errors_add(errors, path, "duplicate key (line %d, column %d)", err->line,
				   err->column);
	} else {
		msg = sanitize(err->text);
		desired_errors_add(errors, "", "%s", msg);
	}
	e = &errors->errors[errors->n - 1];
	e->line = err->line;
	e->column = err->column;
}

static int namespace_compare(const void *a, const void *b)
{
	return strcmp(((const Namespace *)a)->name, ((const Namespace *)b)->name);
}

static int unit_compare(const void *a, const void *b)
{
	return strcmp(((const Unit *)a)->name, ((const Unit *)b)->name);
}

static Desired *desired_new(void)
{
	Desired *d = xcalloc(1, sizeof(Desired));

	d->state_dir = xstrdup("/var/lib/vpnconf");
	d->runtime_dir = xstrdup("/run/vpnconf");
	d->netns_dir = xstrdup("/run/netns");
	d->drift_action = DRIFT_ACTION_REPAIR;
	return d;
}

int desired_parse(const char *text, size_t size, DesiredErrors *errors, Desired **ret)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	_cleanup_(json_decrefp) json_t *root = NULL;
	ParseContext c = {.errors = errors, .managed = true};
	size_t n_before = errors->n;
	json_error_t err;

	assert(errors);
	assert(text || size == 0);

	root = json_loadb(text ?: "", size, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		report_syntax_error(errors, text ?: "", size, &err);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		desired_errors_add(errors, "", "the document must be a JSON object");
		return -EINVAL;
	}

	d = desired_new();
	sha256(text, size, d->digest);
	d->text = xstrndup(text ?: "", size);
	d->text_size = size;
	json_dispatch_object(&c, "", root, top_fields, d);
	if (errors->n > n_before)
		return -EINVAL;

	if (d->n_namespaces > 0)
		qsort(d->namespaces, d->n_namespaces, sizeof(Namespace), namespace_compare);
	if (d->n_units > 0)
		qsort(d->units, d->n_units, sizeof(Unit), unit_compare);
	*ret = TAKE_PTR(d);
	return 0;
}

int desired_unit_names(const char *text, size_t size, char ***ret)
{
	_cleanup_(json_decrefp) json_t *root = NULL;
	char **names = NULL;
	const char *key;
	json_t *units, *value;

	assert(text || size == 0);
	root = json_loadb(text ?: "", size, 0, NULL);
	if (!root)
		return -EINVAL;
	units = json_object_get(root, "units");
	if (!json_is_object(units))
		return -ENOENT;
	json_object_foreach(units, key, value)
		if (unit_name_is_valid(key))
			strv_push(&names, key);
	if (!names)
		return -ENOENT;
	*ret = names;
	return 0;
}
