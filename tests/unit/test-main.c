/* SPDX-License-Identifier: MIT */
/* The harness's main(): runs the registered cases (see test.h). */
#include "test.h"

TestCase *test_list_head = NULL, **test_list_tail = &test_list_head;
jmp_buf test_jmp;
int test_skipped;

int main(int argc, char **argv)
{
	/* volatile: they live across setjmp()/longjmp(). */
	volatile unsigned passed = 0, failed = 0, skipped = 0;

	for (TestCase *volatile t = test_list_head; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		test_skipped = 0;
		int j = setjmp(test_jmp);
		if (j == 0) {
			t->func();
			printf("ok   %s\n", t->name);
			passed++;
		} else if (j == 2) {
			printf("skip %s\n", t->name);
			skipped++;
		} else {
			printf("FAIL %s\n", t->name);
			failed++;
		}
		fflush(stdout);
	}
	printf("%u passed, %u failed, %u skipped\n", (unsigned)passed, (unsigned)failed,
	       (unsigned)skipped);
	if (failed)
		return 1;
	if (passed == 0 && skipped > 0)
		return 77;
	return 0;
}
