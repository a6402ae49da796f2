/* SPDX-License-Identifier: MIT */
/*
 * Implementation of util.h: allocation wrappers, string vectors, file I/O,
 * hex and base64. Nothing here knows about networking.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

bool endswith(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

static void *oom_if_null(void *p)
{
	if (!p)
		abort();
	return p;
}

void *xmalloc(size_t n)
{
	return oom_if_null(malloc(n ?: 1));
}

void *xcalloc(size_t n, size_t size)
{
	return oom_if_null(calloc(n ?: 1, size ?: 1));
}

void *xrealloc(void *p, size_t n)
{
	return oom_if_null(realloc(p, n ?: 1));
}

char *xstrdup(const char *s)
{
	return oom_if_null(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return oom_if_null(strndup(s, n));
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void *array_append(void *array_p, size_t *n, size_t size)
{
	void **array = array_p;
	char *p;

	/* Capacity is implicit: the next power of two >= *n. Grow when full. */
	if ((*n & (*n - 1)) == 0)
		*array = xrealloc(*array, (*n ? *n * 2 : 1) * size);
	p = (char *)*array + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

size_t strv_length(char *const *l)
{
	size_t n = 0;
	while (l && l[n])
		n++;
	return n;
}

char **strv_free(char **l)
{
	STRV_FOREACH(s, l)
	free(*s);
	free(l);
	return NULL;
}

void strv_consume(char ***l, char *s)
{
	size_t n = strv_length(*l);
	*l = xrealloc(*l, (n + 2) * sizeof(char *));
	(*l)[n] = s;
	(*l)[n + 1] = NULL;
}

void strv_push(char ***l, const char *s)
{
	strv_consume(l, xstrdup(s));
}

void strv_pushf(char ***l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_consume(l, xvasprintf(fmt, ap));
	va_end(ap);
}

bool strv_contains(char *const *l, const char *s)
{
	STRV_FOREACH(i, l)
	if (streq(*i, s))
		return true;
	return false;
}

static int ascii_tolower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : (unsigned char)c;
}

unsigned string_distance(const char *a, const char *b)
{
	enum { MAX = 64 };
	unsigned d[MAX + 1][MAX + 1];
	size_t n = strlen(a), m = strlen(b);

	if (n >= MAX || m >= MAX)
		return 255;
	/* Optimal string alignment (restricted Damerau-Levenshtein). */
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int x = ascii_tolower(a[i - 1]), y = ascii_tolower(b[j - 1]);
			unsigned v = d[i - 1][j - 1] + (x != y);

			v = MIN(v, d[i - 1][j] + 1);
			v = MIN(v, d[i][j - 1] + 1);
			if (i > 1 && j > 1 && x == ascii_tolower(b[j - 2]) &&
			    ascii_tolower(a[i - 2]) == y)
				v = MIN(v, d[i - 2][j - 2] + 1);
			d[i][j] = v;
		}
	return d[n][m];
}

const char *string_nearest(const char *s, const char *const *names)
{
	const char *best = NULL;
	unsigned best_d = UINT_MAX;

	for (size_t i = 0; names && names[i]; i++) {
		size_t len = strlen(names[i]);
		unsigned limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
		unsigned dist;

		if (streq(s, names[i]))
			return NULL;
		dist = string_distance(s, names[i]);
		if (dist <= limit && dist < best_d) {
			best = names[i];
			best_d = dist;
		}
	}
	return best;
}

char *strv_join(char *const *l, const char *sep)
{
	size_t n = 0, ls = strlen(sep);
	char *r, *p;

	STRV_FOREACH(s, l)
	n += strlen(*s) + ls;
	p = r = xmalloc(n + 1);
	STRV_FOREACH(s, l)
	{
		if (s != l)
			p = stpcpy(p, sep);
		p = stpcpy(p, *s);
	}
	*p = 0;
	return r;
}

char **strv_copy(char *const *l)
{
	char **r = xcalloc(strv_length(l) + 1, sizeof(char *));
	size_t i = 0;

	STRV_FOREACH(s, l)
	r[i++] = xstrdup(*s);
	return r;
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **l)
{
	size_t n = strv_length(l);
	if (n > 1)
		qsort(l, n, sizeof(char *), strcmp_ptr);
}

void erase_and_free(void *p, size_t n)
{
	if (!p)
		return;
	explicit_bzero(p, n);
	free(p);
}

int secrets_protect_process(void)
{
	/* A non-dumpable process writes no core file (whatever
	 * kernel.core_pattern and fs.suid_dumpable say: 0 is "disable", not
	 * "suidsafe") and cannot be ptrace-attached by other users. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return negative_errno();
	return 0;
}

int read_fd_full(int fd, size_t max_size, char **ret, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 4096;

	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t k;

		if (n == cap) {
			if (cap >= max_size)
				return -EFBIG;
			cap = MIN(cap * 2, max_size);
			buf = xrealloc(buf, cap + 1);
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = 0;
	*ret = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = n;
	return 0;
}

int write_full(int fd, const void *data, size_t size)
{
	const char *p = data;

	while (size > 0) {
		ssize_t k = write(fd, p, size);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			return -EIO;
		p += k;
		size -= (size_t)k;
	}
	return 0;
}

int open_regular_file(const char *path, struct stat *ret_st)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	/* O_NONBLOCK: a FIFO at the path must not hang the caller (it is
	 * refused below); a regular file ignores the flag. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
	if (ret_st)
		*ret_st = st;
	return TAKE_FD(fd);
}

int read_full_file(const char *path, size_t max_size, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = open_regular_file(path, NULL);

	if (fd < 0)
		return fd;
	return read_fd_full(fd, max_size, ret, ret_size);
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	tmp = xasprintf("%s.vpnconf-%ld.tmp", path, (long)getpid());
	/* O_EXCL: never through a link or into a FIFO planted at that name. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode);
	if (fd < 0 && errno == EEXIST) {
		if (unlink(tmp) < 0)
			return negative_errno();
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
			  mode);
	}
	if (fd < 0)
		return negative_errno();

	r = write_full(fd, data, size);
	if (r < 0)
		goto fail;
	/* The umask may have narrowed the mode given to open(). */
	if (fchmod(fd, mode) < 0) {
		r = negative_errno();
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		r = negative_errno();
		goto fail;
	}
	return 0;
fail:
	(void)unlink(tmp);
	return r;
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1;; s++) {
		bool end = *s == 0;
		if (*s != '/' && !end)
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return negative_errno();
		if (end)
			break;
		*s = '/';
	}
	return 0;
}

int safe_atou64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	return 0;
}

char *hexmem(const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	char *r = xmalloc(n * 2 + 1);

	for (size_t i = 0; i < n; i++) {
		r[2 * i] = digits[b[i] >> 4];
		r[2 * i + 1] = digits[b[i] & 15];
	}
	r[2 * n] = 0;
	return r;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *p, size_t n)
{
	const uint8_t *b = p;
	char *r = xmalloc((n + 2) / 3 * 4 + 1), *o = r;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)b[i + 1] << 8;
		if (i + 2 < n)
			v |= b[i + 2];
		*o++ = b64_alphabet[(v >> 18) & 63];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	*o = 0;
	return r;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

int base64_decode(const char *s, void *buf, size_t buf_size, size_t *ret_size)
{
	size_t len = strlen(s), out = 0;
	uint8_t *o = buf;

	if (len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -EINVAL;
			v[j] = b64_value(s[i + j]);
			if (v[j] < 0)
				return -EINVAL;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		uint8_t bytes[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
		for (int j = 0; j < 3 - pad; j++) {
			if (out >= buf_size)
				return -ENOBUFS;
			o[out++] = bytes[j];
		}
	}
	if (ret_size)
		*ret_size = out;
	return 0;
}

static uint64_t clock_usec(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t now_usec_monotonic(void)
{
	return clock_usec(CLOCK_MONOTONIC);
}

uint64_t now_usec_realtime(void)
{
	return clock_usec(CLOCK_REALTIME);
}
