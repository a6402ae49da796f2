/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness. TEST(name) { ... } registers a test case; the
 * harness's main() runs them in order of definition (or only those whose
 * names contain argv[1]), prints one line per case, and exits 0 when all
 * passed, 1 when any failed, 77 (meson's "skip") when every case skipped.
 * ASSERT_* macros report file and line, then end the current case.
 */
#pragma once

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct TestCase {
	const char *name;
	void (*func)(void);
	struct TestCase *next;
} TestCase;

extern TestCase *test_list_head, **test_list_tail;
extern jmp_buf test_jmp;
extern int test_skipped;

#define TEST(n)                                                                                    \
	static void test_##n(void);                                                                \
	static TestCase test_case_##n = {#n, test_##n, NULL};                                      \
	__attribute__((constructor)) static void test_register_##n(void)                           \
	{                                                                                          \
		*test_list_tail = &test_case_##n;                                                  \
		test_list_tail = &test_case_##n.next;                                              \
	}                                                                                          \
	static void test_##n(void)

#define TEST_FAIL(...)                                                                             \
	do {                                                                                       \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                                  \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		longjmp(test_jmp, 1);                                                              \
	} while (0)

#define TEST_SKIP(...)                                                                             \
	do {                                                                                       \
		fprintf(stderr, "  skip: ");                                                       \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		test_skipped = 1;                                                                  \
		longjmp(test_jmp, 2);                                                              \
	} while (0)

#define ASSERT_TRUE(e)                                                                             \
	do {                                                                                       \
		if (!(e))                                                                          \
			TEST_FAIL("expected true: %s", #e);                                        \
	} while (0)

#define ASSERT_FALSE(e) ASSERT_TRUE(!(e))

#define ASSERT_EQ(a, b)                                                                            \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b)                                                                      \
			TEST_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);                       \
	} while (0)

#define ASSERT_NE(a, b)                                                                            \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a == _b)                                                                      \
			TEST_FAIL("%s != %s: both %lld", #a, #b, _a);                              \
	} while (0)

#define ASSERT_OK(e)                                                                               \
	do {                                                                                       \
		long long _r = (long long)(e);                                                     \
		if (_r < 0)                                                                        \
			TEST_FAIL("%s failed: %lld (%s)", #e, _r, strerror((int)-_r));             \
	} while (0)

#define ASSERT_ERR(e, err)                                                                         \
	do {                                                                                       \
		long long _r = (long long)(e);                                                     \
		if (_r != -(long long)(err))                                               \
			TEST_FAIL("%s: expected -%s, got %lld", #e, #err, _r);                     \
	} while (0)

#define ASSERT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0)                                             \
			TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, _a ? _a : "(null)",        \
				  _b ? _b : "(null)");                                             \
	} while (0)

#define ASSERT_CONTAINS(haystack, needle)                                                          \
	do {                                                                                       \
		const char *_h = (haystack), *_n = (needle);                                       \
		if (!_h || !strstr(_h, _n))                                                        \
			TEST_FAIL("%s does not contain \"%s\": \"%s\"", #haystack, _n,             \
				  _h ? _h : "(null)");                                             \
	} while (0)

#define ASSERT_MEMEQ(a, b, n)                                                                      \
	do {                                                                                       \
		if (memcmp((a), (b), (n)) != 0)                                                    \
			TEST_FAIL("%s and %s differ in their first %zu bytes", #a, #b, (size_t)(n)); \
	} while (0)
