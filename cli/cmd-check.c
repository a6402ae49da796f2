/* SPDX-License-Identifier: MIT */
/* vpnconf check: judge the desired-state file alone (no key files, no kernel). */
#include "log.h"
#include "vpnconf.h"

int verb_check(int argc, char **argv)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	DesiredErrors errors = {};
	size_t units = 0;
	int r;

	r = load_desired_full("check", false, false, &d, &errors);
	if (arg_json) {
		json_t *j = json_object(), *e = json_array();

		json_object_set_new(j, "config", json_string(arg_config));
		json_object_set_new(j, "valid", json_boolean(r == EXIT_OK));
		for (size_t i = 0; i < errors.n; i++) {
			const DesiredError *x = &errors.errors[i];
			json_t *o = json_pack("{s:s, s:s}", "path", x->path, "message", x->message);
			if (x->line > 0) {
				json_object_set_new(o, "line", json_integer(x->line));
				json_object_set_new(o, "column", json_integer(x->column));
			}
			json_array_append_new(e, o);
		}
		json_object_set_new(j, "errors", e);
		if (d) {
			json_t *names = json_array();
			FOREACH_ARRAY(ns, d->namespaces, d->n_namespaces)
			json_array_append_new(names, json_string(ns->name));
			json_object_set_new(j, "namespaces", names);
			json_object_set_new(j, "units", json_integer((json_int_t)d->n_units));
		}
		json_print(j);
	}
	desired_errors_clear(&errors);
	if (r != EXIT_OK)
		return r;
	units = d->n_units;
	if (!arg_json)
		printf("%s: valid (%zu namespace%s, %zu unit%s)\n", arg_config, d->n_namespaces,
		       d->n_namespaces == 1 ? "" : "s", units, units == 1 ? "" : "s");
	return EXIT_OK;
}
