/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the port forwarding lease file parser: the file
 * lives in vpnconf's runtime directory, but it is read back as untrusted
 * input. An accepted lease must format back to exactly the same text.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf-lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[PF_LEASE_TEXT_MAX];
	char *text;
	PfLease l;

	if (size >= PF_LEASE_TEXT_MAX)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (pf_lease_parse(text, &l) == 0) {
		assert(l.port != 0 && l.expires_s >= l.granted_s);
		pf_lease_format(&l, buf);
		assert(strcmp(buf, text) == 0);
		(void)pf_lease_current(&l, 0);
	}
	free(text);
	return 0;
}
