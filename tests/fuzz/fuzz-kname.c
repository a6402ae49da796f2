/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the parsers of kernel-supplied names: arbitrary
 * bytes as a link alias (through kname_parse_alias() and the link
 * ownership checks built on it) and as an ownership marker file. A name
 * that parses must be one the desired state could hold. Must never crash,
 * leak or trip a sanitizer.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "kname.h"
#include "link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = NULL;
	LinkInfo l = {.group = LINK_GROUP_VPNCONF};
	NetnsMarker m;
	LinkAlias a;

	if (size > 4096)
		return 0;
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;

	if (kname_parse_alias(s, &a) >= 0) {
		assert(namespace_name_is_valid(a.namespace));
		assert(a.role >= 0 && a.role < _LINK_ROLE_MAX);
		assert(!*a.birthplace || streq(a.birthplace, "init") ||
		       namespace_name_is_valid(a.birthplace));
	}
	link_info_set_alias(&l, s);
	if (link_is_ours(&l, l.alias_valid ? l.parsed_alias.namespace : "x", NULL)) {
		const char *bp = link_alias_birthplace(&l);
		assert(!bp || streq(bp, "init") || namespace_name_is_valid(bp));
	}
	free(l.alias);

	(void)kname_parse_marker((const char *)data, size, &m);
	return 0;
}
