/* SPDX-License-Identifier: MIT */
/*
 * NAT-PMP (RFC 6886), the client side that a provider's port forwarding
 * needs: message building and parsing, the retransmission schedule, the
 * renewal time and the epoch check. Everything here is pure (no sockets,
 * no clocks), so that the bytes are tested against golden values and the
 * response parser is fuzzed: a response comes from the far side of the
 * tunnel and is untrusted input.
 *
 * Wire format, all fields in network byte order:
 *   request  external address: version(1) opcode(1)                    2 bytes
 *   request  mapping:          version(1) opcode(1) reserved(2)
 *                              internal port(2) suggested external port(2)
 *                              requested lifetime(4)                   12 bytes
 *   response external address: version(1) 128+opcode(1) result(2)
 *                              epoch(4) external IPv4 address(4)       12 bytes
 *   response mapping:          version(1) 128+opcode(1) result(2)
 *                              epoch(4) internal port(2)
 *                              mapped external port(2) lifetime(4)     16 bytes
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define NATPMP_PORT 5351
#define NATPMP_VERSION 0
#define NATPMP_REQUEST_MAX 12
#define NATPMP_RESPONSE_MAX 16
/* RFC 6886 3.1: the first retransmission after 250 ms, the interval
 * doubling each time, nine attempts in all. */
#define NATPMP_RETRY_INITIAL_USEC (250 * 1000ULL)
#define NATPMP_ATTEMPTS_MAX 9

typedef enum NatpmpOp {
	NATPMP_OP_EXTERNAL_ADDRESS = 0,
	NATPMP_OP_MAP_UDP = 1,
	NATPMP_OP_MAP_TCP = 2,
	_NATPMP_OP_MAX,
	_NATPMP_OP_INVALID = -EINVAL,
} NatpmpOp;

/* Result codes of RFC 6886 3.5. */
typedef enum NatpmpResult {
	NATPMP_RESULT_SUCCESS = 0,
	NATPMP_RESULT_UNSUPPORTED_VERSION = 1,
	NATPMP_RESULT_NOT_AUTHORIZED = 2,
	NATPMP_RESULT_NETWORK_FAILURE = 3,
	NATPMP_RESULT_OUT_OF_RESOURCES = 4,
	NATPMP_RESULT_UNSUPPORTED_OPCODE = 5,
	_NATPMP_RESULT_MAX,
	_NATPMP_RESULT_INVALID = -EINVAL,
} NatpmpResult;

const char *natpmp_op_to_string(NatpmpOp op);
/* "success", "not authorized", ...; "unknown" for codes past the RFC's. */
const char *natpmp_result_to_string(unsigned result);

typedef struct NatpmpResponse {
	NatpmpOp op;       /* the request this answers */
	uint16_t result;   /* NatpmpResult, or a code the RFC does not know */
	uint32_t epoch;    /* seconds since the gateway's start of epoch */
	struct in_addr external_address; /* NATPMP_OP_EXTERNAL_ADDRESS, success */
	uint16_t internal_port;          /* mappings, success */
	uint16_t external_port;          /* mappings, success: the granted port */
	uint32_t lifetime;               /* mappings, success: seconds granted */
} NatpmpResponse;

/* Builds the external address request into buf. Returns its length, or 0
 * when size is too small. */
size_t natpmp_build_external_address(void *buf, size_t size);

/* Builds a mapping request for op (NATPMP_OP_MAP_UDP or _TCP). A lifetime
 * of 0 with suggested_external 0 deletes the mapping (RFC 6886 3.4).
 * Returns its length, or 0 when size is too small or op is no mapping. */
size_t natpmp_build_map(void *buf, size_t size, NatpmpOp op, uint16_t internal_port,
			uint16_t suggested_external, uint32_t lifetime);

/* Parses one datagram received from the gateway. Accepts only version 0,
 * an opcode of 128 + a known request, and the exact length of its kind:
 * 8 bytes (header and epoch) for a failure, the full size for a success.
 * A successful mapping with a zero external port while the lifetime is
 * not zero is malformed. Returns 0, or -EBADMSG (ret untouched). */
int natpmp_parse_response(const void *buf, size_t len, NatpmpResponse *ret);

/* Whether a response answers a request: same opcode, and for mappings the
 * same internal port. */
bool natpmp_response_matches(const NatpmpResponse *r, NatpmpOp op, uint16_t internal_port);

/* The wait after attempt number attempt (0-based) before the next one:
 * 250 ms doubling; 0 after the last attempt (give up). */
uint64_t natpmp_retry_delay_usec(unsigned attempt);

/* When to renew a lease granted for lifetime seconds: after half of it
 * (RFC 6886 3.3), at least one second. */
uint64_t natpmp_renew_after_usec(uint32_t lifetime);

/* RFC 6886 3.6: whether the gateway kept its state between two responses.
 * prev_epoch was received at prev_usec, epoch at now_usec (one monotonic
 * clock). The gateway lost its mappings (a restart) when epoch is below
 * the conservative estimate prev_epoch + 7/8 of the elapsed time, less two
 * seconds; the caller then maps again. */
bool natpmp_epoch_continuous(uint32_t prev_epoch, uint64_t prev_usec, uint32_t epoch,
			     uint64_t now_usec);
