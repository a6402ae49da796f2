/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the desired-state parser: arbitrary bytes through
 * desired_parse() and, when they parse, desired_validate(), formatting
 * every error on the way. Must never crash, leak or trip a sanitizer.
 */
#include <stddef.h>
#include <stdint.h>

#include "desired.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(desired_freep) Desired *d = NULL;
	DesiredErrors errors = {};

	if (size > DESIRED_MAX_SIZE)
		return 0;
	if (desired_parse((const char *)data, size, &errors, &d) >= 0) {
		(void)desired_validate(d, &errors);
		/* Exercise the lookups the reconciler relies on. */
		FOREACH_ARRAY(u, d->units, d->n_units)
			(void)desired_find_namespace(d, u->namespace);
	}
	FOREACH_ARRAY(e, errors.errors, errors.n)
		free(desired_error_format(e));
	desired_errors_clear(&errors);
	return 0;
}
