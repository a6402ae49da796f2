/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every module: ownership (_cleanup_, TAKE_PTR,
 * TAKE_FD), string and string-vector helpers, errno conversion, and file
 * I/O that the reconciler needs (whole-file reads, atomic replacement).
 *
 * Conventions used across vpnconf:
 *  - a function that can fail returns int: -errno on failure, >= 0 on
 *    success;
 *  - output parameters are named ret_*, come last, and are only written on
 *    success;
 *  - destructors accept NULL and return NULL so that "p = foo_free(p)" is
 *    idiomatic.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hand a pointer on and leave NULL behind, so the cleanup handler of the
 * source variable does nothing. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _taken_ = (p);                                                       \
		(p) = NULL;                                                                        \
		_taken_;                                                                           \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _taken_fd_ = (fd);                                                             \
		(fd) = -EBADF;                                                                     \
		_taken_fd_;                                                                        \
	})

/* Generate "static inline void name(type *p)" that calls func(*p) when *p is
 * not NULL; for use with _cleanup_. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

/* Same, but the generated function has an explicit name (for foreign types
 * whose destructor name does not suit the "##p" scheme). */
#define DEFINE_CLEANUP_FUNC_NAMED(name, type, func)                                                \
	static inline void name(type *p)                                                           \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		(void)close(fd);
		errno = saved;
	}
	return -EBADF;
}

static inline void closep(int *fd)
{
	*fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* errno of the last failed libc call as a negative value; never 0, so a
 * caller can "return negative_errno();" after any failing call. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

static inline bool isempty(const char *s)
{
	return !s || !*s;
}

static inline const char *strempty(const char *s)
{
	return s ?: "";
}

static inline const char *strna(const char *s)
{
	return s ?: "n/a";
}

static inline const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* Returns the part of s after prefix, or NULL if s does not start with it. */
static inline const char *startswith(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);
	return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

bool endswith(const char *s, const char *suffix);

/* Aborts on allocation failure: vpnconf's working set is tiny and an OOM
 * in the middle of building a netlink batch is not worth a recovery path.
 * Kernel-changing code never allocates between "journal step" and "send". */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

/* Grows *array (of *n elements of size) by one zeroed element and returns
 * a pointer to it. */
void *array_append(void *array_p, size_t *n, size_t size);
#define ARRAY_APPEND(array, n) ((__typeof__(array))array_append(&(array), &(n), sizeof(*(array))))

/* NULL-terminated string vectors. */
typedef char **strv_t;
size_t strv_length(char *const *l);
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)
/* Appends a copy of s (takes ownership with _consume). */
void strv_push(char ***l, const char *s);
void strv_consume(char ***l, char *s);
void strv_pushf(char ***l, const char *fmt, ...) _printf_(2, 3);
bool strv_contains(char *const *l, const char *s);
/* Edit distance between a and b (insertions, deletions, substitutions and
 * transpositions of neighbours each count 1; letters compare ignoring
 * case), capped at 255 for strings longer than 63 bytes. */
unsigned string_distance(const char *a, const char *b);
/* The entry of names (NULL-terminated) nearest to s, when it is near
 * enough to be a likely typo: a distance of at most 1 for names of up to
 * 4 characters, 2 up to 8, 3 beyond; NULL otherwise or when s equals an
 * entry exactly. */
const char *string_nearest(const char *s, const char *const *names);
char *strv_join(char *const *l, const char *sep);
char **strv_copy(char *const *l);
void strv_sort(char **l);
#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
#define FOREACH_ARRAY(i, array, n)                                                                 \
	for (__typeof__((array) + 0) i = (array); i && i < (array) + (n); i++)

/* Secrets: wiped before they are freed. */
void erase_and_free(void *p, size_t n);
/* Keeps secrets out of core dumps: makes the process non-dumpable
 * (PR_SET_DUMPABLE 0), for good. Called by everything that reads key
 * material (key files, the kernel's WireGuard configuration) before the
 * first key byte is in memory: copies of keys end up in freed heap and
 * netlink buffers, so it is never turned back on. */
int secrets_protect_process(void);

/* Whole-file read, at most max_size bytes (-EFBIG beyond). The buffer is
 * NUL-terminated; *ret_size excludes the terminator. For files an
 * operator names (symbolic links followed): a regular file only, -EISDIR
 * or -EBADFD otherwise, and a FIFO never blocks. Files in vpnconf's own
 * directories go through safefile.h instead. */
int read_full_file(const char *path, size_t max_size, char **ret, size_t *ret_size);
/* Opens path read-only as read_full_file() does: a regular file only
 * (-EISDIR, -EBADFD otherwise), never blocking on a FIFO. Returns the fd
 * (CLOEXEC); *ret_st (optional) is its fstat(). */
int open_regular_file(const char *path, struct stat *ret_st);
/* Reads an open fd to its end, at most max_size bytes (-EFBIG beyond),
 * into a new NUL-terminated buffer; *ret_size (optional) excludes the
 * terminator. The buffer grows by realloc: not for key material. */
int read_fd_full(int fd, size_t max_size, char **ret, size_t *ret_size);
/* Writes all of data, retrying short writes and EINTR; a write that
 * makes no progress is -EIO. */
int write_full(int fd, const void *data, size_t size);
/* Write data to path atomically: a temporary file in the same directory,
 * fsync-free (the runtime directory is a tmpfs), fchmod to mode, rename. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);
/* mkdir -p with mode for each created component. */
int mkdir_p(const char *path, mode_t mode);

/* Parses a decimal unsigned integer with no sign, spaces or trailing junk. */
int safe_atou64(const char *s, uint64_t *ret);

/* Lower-case hex of n bytes into a new string. */
char *hexmem(const void *p, size_t n);

/* Standard base64 (RFC 4648 with padding), as WireGuard keys use it. */
char *base64_encode(const void *p, size_t n);
/* Decodes exactly; -EINVAL on any invalid character or length. */
int base64_decode(const char *s, void *buf, size_t buf_size, size_t *ret_size);

/* Monotonic and wall clocks in microseconds. */
uint64_t now_usec_monotonic(void);
uint64_t now_usec_realtime(void);
