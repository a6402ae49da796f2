/* SPDX-License-Identifier: MIT */
/* Output helpers and desired-state loading shared by the verbs. */
#include <stdio.h>
#include <inttypes.h>
#include <time.h>

#include "sha256.h"

#include "log.h"
#include "paths.h"
#include "reconcile.h"
#include "vpnconf.h"

void json_print(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(j);
}

char *format_time(uint64_t usec)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	char buf[64];

	if (usec == 0)
		return xstrdup("-");
	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	return xstrdup(buf);
}

char *format_age(uint64_t usec)
{
	uint64_t s = usec / 1000000;

	if (s < 60)
		return xasprintf("%" PRIu64 "s", s);
	if (s < 3600)
		return xasprintf("%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	if (s < 86400)
		return xasprintf("%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
	return xasprintf("%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

char *format_bytes(uint64_t b)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	unsigned u = 0;

	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	return u == 0 ? xasprintf("%" PRIu64 " B", b) : xasprintf("%.1f %s", v, units[u]);
}

json_t *json_strv(char *const *l)
{
	json_t *a = json_array();

	STRV_FOREACH(s, l)
	json_array_append_new(a, json_string(*s));
	return a;
}

json_t *json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

Desired *desired_defaults(void)
{
	Desired *d = xcalloc(1, sizeof(*d));

	d->version = 1;
	d->state_dir = xstrdup("/var/lib/vpnconf");
	d->runtime_dir = xstrdup("/run/vpnconf");
	d->netns_dir = xstrdup("/run/netns");
	return d;
}

const char *state_dir_of(const Desired *d)
{
	return arg_state_dir ?: d->state_dir;
}

static void record_rejection(const char *command, const Desired *d, const DesiredErrors *errors,
			     const char *sha)
{
	_cleanup_(journal_closep) Journal *j = NULL;
	_cleanup_strv_free_ char **lines = NULL;
	_cleanup_free_ char *text = NULL;
	char id[TXN_ID_STRLEN];

	for (size_t i = 0; i < errors->n; i++)
		strv_consume(&lines, desired_error_format(&errors->errors[i]));
	text = strv_join(lines, "\n");
	/* Best effort: an unprivileged "vpnconf check" cannot write the
	 * journal, and must still report the errors. Never into a state
	 * directory someone else could write to (paths.h). */
	if (paths_check_dir(state_dir_of(d), NULL) < 0 || journal_open(state_dir_of(d), false, &j) < 0)
		return;
	if (journal_record_rejected(j, arg_trigger, command, sha, text, id) >= 0)
		log_event(LOG_ERR, VPNCONF_MESSAGE_REJECTED, NULL, id, "rejected",
			  "vpnconf %s: desired state %s rejected: %s", command, arg_config,
			  lines && lines[0] ? lines[0] : "invalid");
}

static char *file_sha256(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	uint8_t digest[32];
	size_t n;

	if (read_full_file(path, DESIRED_MAX_SIZE, &buf, &n) < 0)
		return NULL;
	sha256(buf, n, digest);
	return hexmem(digest, sizeof(digest));
}

/* The stateDir a file asks for, if it names one, even when the file is
 * invalid elsewhere: its rejection belongs in that journal. */
static char *raw_state_dir(const char *path)
{
	json_t *root = json_load_file(path, 0, NULL), *v;
	char *r = NULL;

	v = json_object_get(json_object_get(root, "paths"), "stateDir");
	if (json_is_string(v) && json_string_value(v)[0] == '/')
		r = xstrdup(json_string_value(v));
	json_decref(root);
	return r;
}

static void print_errors(const DesiredErrors *errors)
{
	for (size_t i = 0; i < errors->n; i++) {
		_cleanup_free_ char *line = desired_error_format(&errors->errors[i]);
		fprintf(stderr, "%s: %s\n", arg_config, line);
	}
}

int load_desired(const char *command, bool check_keys, bool generate, Desired **ret)
{
	return load_desired_full(command, check_keys, generate, ret, NULL);
}

int load_desired_full(const char *command, bool check_keys, bool generate, Desired **ret,
		      DesiredErrors *ret_errors)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	DesiredErrors errors = {};
	int r;

	r = desired_load(arg_config, &errors, &d);
	if (r == -EINVAL || (r >= 0 && check_keys &&
			     reconcile_check_keys(d, generate, &errors) < 0)) {
		_cleanup_(desired_freep) Desired *defaults = desired_defaults();
		_cleanup_free_ char *sha = file_sha256(arg_config);
		char *raw = d ? NULL : raw_state_dir(arg_config);

		if (raw) {
			free(defaults->state_dir);
			defaults->state_dir = raw;
		}

		print_errors(&errors);
		log_error("%s: rejected (%zu error%s); nothing was changed", arg_config, errors.n,
			  errors.n == 1 ? "" : "s");
		record_rejection(command, d ?: defaults, &errors, sha);
		if (ret_errors)
			*ret_errors = errors;
		else
			desired_errors_clear(&errors);
		return EXIT_INVALID;
	}
	if (r == -ENOENT) {
		/* Nothing to judge, nothing journaled: say what to do. */
		static const char hint[] =
			"No such file or directory; write one (docs/desired-state.md) or pass --config";

		log_error("%s: %s", arg_config, hint);
		if (ret_errors) {
			desired_errors_add(&errors, "", "%s: %s", arg_config, hint);
			*ret_errors = errors;
		}
		return EXIT_INVALID;
	}
	if (r < 0) {
		log_errno(r, "Failed to read %s", arg_config);
		return EXIT_FAIL;
	}
	*ret = TAKE_PTR(d);
	return EXIT_OK;
}
