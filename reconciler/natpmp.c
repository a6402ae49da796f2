/* SPDX-License-Identifier: MIT */
/*
 * NAT-PMP message building and parsing (RFC 6886); see natpmp.h. The
 * parser reads a datagram from the far side of the tunnel: it trusts no
 * length, version or opcode it has not checked.
 */
#include <arpa/inet.h>
#include <string.h>

#include "natpmp.h"

#define NATPMP_RESPONSE_BIT 0x80
#define NATPMP_HEADER_SIZE 8 /* version, opcode, result, epoch */
#define NATPMP_EXTERNAL_RESPONSE_SIZE 12
#define NATPMP_MAP_RESPONSE_SIZE 16
#define NATPMP_MAP_REQUEST_SIZE 12
#define NATPMP_EXTERNAL_REQUEST_SIZE 2

static const char *const op_names[_NATPMP_OP_MAX] = {
	[NATPMP_OP_EXTERNAL_ADDRESS] = "external address",
	[NATPMP_OP_MAP_UDP] = "map udp",
	[NATPMP_OP_MAP_TCP] = "map tcp",
};

static const char *const result_names[_NATPMP_RESULT_MAX] = {
	[NATPMP_RESULT_SUCCESS] = "success",
	[NATPMP_RESULT_UNSUPPORTED_VERSION] = "unsupported version",
	[NATPMP_RESULT_NOT_AUTHORIZED] = "not authorized",
	[NATPMP_RESULT_NETWORK_FAILURE] = "network failure",
	[NATPMP_RESULT_OUT_OF_RESOURCES] = "out of resources",
	[NATPMP_RESULT_UNSUPPORTED_OPCODE] = "unsupported opcode",
};

const char *natpmp_op_to_string(NatpmpOp op)
{
	if (op < 0 || op >= _NATPMP_OP_MAX)
		return NULL;
	return op_names[op];
}

const char *natpmp_result_to_string(unsigned result)
{
	if (result >= _NATPMP_RESULT_MAX)
		return "unknown";
	return result_names[result];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

size_t natpmp_build_external_address(void *buf, size_t size)
{
	uint8_t *p = buf;

	if (size < NATPMP_EXTERNAL_REQUEST_SIZE)
		return 0;
	p[0] = NATPMP_VERSION;
	p[1] = NATPMP_OP_EXTERNAL_ADDRESS;
	return NATPMP_EXTERNAL_REQUEST_SIZE;
}

size_t natpmp_build_map(void *buf, size_t size, NatpmpOp op, uint16_t internal_port,
			uint16_t suggested_external, uint32_t lifetime)
{
	uint8_t *p = buf;

	if (size < NATPMP_MAP_REQUEST_SIZE)
		return 0;
	if (op != NATPMP_OP_MAP_UDP && op != NATPMP_OP_MAP_TCP)
		return 0;
	p[0] = NATPMP_VERSION;
	p[1] = (uint8_t)op;
	put16(p + 2, 0); /* reserved */
	put16(p + 4, internal_port);
	put16(p + 6, suggested_external);
	put32(p + 8, lifetime);
	return NATPMP_MAP_REQUEST_SIZE;
}

int natpmp_parse_response(const void *buf, size_t len, NatpmpResponse *ret)
{
	const uint8_t *p = buf;
	NatpmpResponse r = {};
	size_t want;

	if (!buf || len < NATPMP_HEADER_SIZE)
		return -EBADMSG;
	if (p[0] != NATPMP_VERSION || !(p[1] & NATPMP_RESPONSE_BIT))
		return -EBADMSG;
	r.op = p[1] & ~NATPMP_RESPONSE_BIT;
	if (r.op < 0 || r.op >= _NATPMP_OP_MAX)
		return -EBADMSG;
	r.result = get16(p + 2);
	r.epoch = get32(p + 4);

	/* A failure carries no payload a client may use (RFC 6886 3.5: the
	 * other fields are undefined); gateways send either the header alone
	 * or the full size. */
	want = r.op == NATPMP_OP_EXTERNAL_ADDRESS ? NATPMP_EXTERNAL_RESPONSE_SIZE
						  : NATPMP_MAP_RESPONSE_SIZE;
	if (r.result != NATPMP_RESULT_SUCCESS) {
		if (len != NATPMP_HEADER_SIZE && len != want)
			return -EBADMSG;
		*ret = r;
		return 0;
	}
	if (len != want)
		return -EBADMSG;

	if (r.op == NATPMP_OP_EXTERNAL_ADDRESS) {
		memcpy(&r.external_address, p + 8, sizeof(r.external_address));
	} else {
		r.internal_port = get16(p + 8);
		r.external_port = get16(p + 10);
		r.lifetime = get32(p + 12);
		/* Granted, yet no port: nothing could be opened. */
		if (r.lifetime != 0 && r.external_port == 0)
			return -EBADMSG;
	}
	*ret = r;
	return 0;
}

bool natpmp_response_matches(const NatpmpResponse *r, NatpmpOp op, uint16_t internal_port)
{
	if (r->op != op)
		return false;
	if (op == NATPMP_OP_EXTERNAL_ADDRESS || r->result != NATPMP_RESULT_SUCCESS)
		return true;
	return r->internal_port == internal_port;
}

uint64_t natpmp_retry_delay_usec(unsigned attempt)
{
	if (attempt + 1 >= NATPMP_ATTEMPTS_MAX)
		return 0;
	return NATPMP_RETRY_INITIAL_USEC << attempt;
}

uint64_t natpmp_renew_after_usec(uint32_t lifetime)
{
	uint64_t half = (uint64_t)lifetime * 1000000ULL / 2;

	return MAX(half, 1000000ULL);
}

bool natpmp_epoch_continuous(uint32_t prev_epoch, uint64_t prev_usec, uint32_t epoch,
			     uint64_t now_usec)
{
	uint64_t elapsed = now_usec > prev_usec ? now_usec - prev_usec : 0;
	/* In seconds, scaled by 8 to keep the 7/8 exact. */
	uint64_t estimate8 = (uint64_t)prev_epoch * 8 + elapsed * 7 / 1000000ULL;
	uint64_t got8 = ((uint64_t)epoch + 2) * 8;

	return got8 >= estimate8;
}
