/* SPDX-License-Identifier: MIT */
/* SHA-256 against the FIPS 180-2 / NIST example vectors. */
#include "sha256.h"
#include "test.h"
#include "util.h"

static void check(const void *data, size_t n, const char *expected)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	_cleanup_free_ char *hex = NULL;

	sha256(data, n, d);
	hex = hexmem(d, sizeof(d));
	ASSERT_STREQ(hex, expected);
}

TEST(sha256_empty)
{
	check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(sha256_abc)
{
	check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(sha256_448_bits)
{
	static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	check(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(sha256_896_bits)
{
	static const char m[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
				"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

	check(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(sha256_million_a)
{
	_cleanup_free_ char *a = xmalloc(1000000);

	memset(a, 'a', 1000000);
	check(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(sha256_streaming_matches_one_shot)
{
	uint8_t one[SHA256_DIGEST_SIZE], streamed[SHA256_DIGEST_SIZE];
	_cleanup_free_ char *a = xmalloc(1000000);
	Sha256 s;

	memset(a, 'a', 1000000);
	sha256(a, 1000000, one);
	/* Odd chunk sizes cross the 64-byte block boundary in every way. */
	sha256_init(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step % 131 + 1)
		sha256_update(&s, a + off, MIN(step, 1000000 - off));
	sha256_final(&s, streamed);
	ASSERT_MEMEQ(one, streamed, sizeof(one));
}

TEST(sha256_padding_edges)
{
	/* 55, 56 and 64 bytes: the length fits, just misses, and a full
	 * block (python3 hashlib). */
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55,
	      "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56,
	      "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64,
	      "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}
