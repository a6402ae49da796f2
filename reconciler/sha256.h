/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), used for the desired-state digest and the
 * deterministic derivations of docs/desired-state.md. Not for secrets.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

typedef struct Sha256 {
	uint32_t state[8];
	uint64_t length; /* bytes hashed so far */
	uint8_t buffer[64];
	size_t buffered;
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t n);
void sha256_final(Sha256 *s, uint8_t ret[static SHA256_DIGEST_SIZE]);
/* One-shot convenience. */
void sha256(const void *data, size_t n, uint8_t ret[static SHA256_DIGEST_SIZE]);
