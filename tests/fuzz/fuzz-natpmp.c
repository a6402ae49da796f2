/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the NAT-PMP response parser: a datagram from the
 * far side of the tunnel is arbitrary bytes. Every accepted response must
 * be one of the kinds the parser documents, and matching it against a
 * request must not read past it.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "natpmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	NatpmpResponse r;

	if (natpmp_parse_response(data, size, &r) < 0)
		return 0;
	assert(size == 8 || size == 12 || size == 16);
	assert(r.op >= 0 && r.op < _NATPMP_OP_MAX);
	assert(r.result != NATPMP_RESULT_SUCCESS || r.lifetime == 0 || r.external_port != 0);
	(void)natpmp_response_matches(&r, r.op, r.internal_port);
	(void)natpmp_result_to_string(r.result);
	(void)natpmp_op_to_string(r.op);
	return 0;
}
