/* SPDX-License-Identifier: MIT */
/*
 * Corpus runner for builds without libFuzzer: feeds every regular file of
 * the directories (or the files) given on the command line to
 * LLVMFuzzerTestOneInput() once. Sanitizer builds turn it into a
 * regression test for every input the fuzzer ever found.
 */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "desired.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t size;
	int r;

	r = read_full_file(path, DESIRED_MAX_SIZE, &buf, &size);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return r;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, size);
	return 0;
}

static int run_dir(const char *dir, unsigned *count)
{
	struct dirent **entries = NULL;
	int n, r = 0;

	n = scandir(dir, &entries, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %m\n", dir);
		return negative_errno();
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, entries[i]->d_name);
		struct stat st;

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				r = -EIO;
			else
				(*count)++;
		}
		free(entries[i]);
	}
	free(entries);
	return r;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int r = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) < 0)
				r = -EIO;
		} else if (run_file(argv[i]) < 0) {
			r = -EIO;
		} else {
			count++;
		}
	}
	printf("%u inputs run\n", count);
	if (count == 0)
		return 1;
	return r < 0 ? 1 : 0;
}
