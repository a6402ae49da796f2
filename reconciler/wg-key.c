/* SPDX-License-Identifier: MIT */
/*
 * WireGuard key files: one base64 key (44 characters), optionally followed
 * by a newline, exactly what "wg genkey" writes.
 *
 * Reading is strict and quiet: anything else in the file is -EINVAL, and
 * the content is never copied into an error message (a key pasted into
 * the wrong file is still a key). Every buffer that held key text or key
 * bytes is wiped before it goes out of scope.
 *
 * Generation must not race with another creator (a second reconciler, an
 * administrator running wg genkey): the key is written to an O_EXCL
 * temporary file next to the target and then hard-linked into place.
 * link() fails with EEXIST instead of replacing, so whoever comes first
 * wins and nobody ever sees a partially written key.
 */
#include <fcntl.h>
#include <libgen.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "wg.h"

#define KEY_B64_LEN 44 /* base64 of WG_KEY_LEN bytes, with one '=' */

/* Group or other access of any kind but execute: a key file that someone
 * else may read leaks the key, one that someone else may write lets them
 * substitute their own. */
#define KEY_FILE_FORBIDDEN_MODE (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Reads at most size - 1 bytes (so that one byte too many is noticed). */
static int read_bounded(int fd, char *buf, size_t size, size_t *ret_n)
{
	size_t n = 0;

	while (n < size - 1) {
		ssize_t k = read(fd, buf + n, size - 1 - n);
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
	*ret_n = n;
	return 0;
}

/* 44 base64 characters ending in '=', and canonical: the 2 bits that the
 * 43rd character carries beyond the 256 key bits must be zero, or
 * different texts would decode to the same key. */
static int key_from_text(char *text, size_t n, uint8_t ret[static WG_KEY_LEN])
{
	uint8_t key[WG_KEY_LEN + 1];
	const char *last;
	size_t len;
	int r;

	if (n == KEY_B64_LEN + 1 && text[KEY_B64_LEN] == '\n')
		text[--n] = 0;
	if (n != KEY_B64_LEN || text[KEY_B64_LEN - 1] != '=' ||
	    strspn(text, b64_alphabet) != KEY_B64_LEN - 1)
		return -EINVAL;
	last = strchr(b64_alphabet, text[KEY_B64_LEN - 2]);
	if (((last - b64_alphabet) & 3) != 0)
		return -EINVAL;

	r = base64_decode(text, key, sizeof(key), &len);
	if (r >= 0 && len != WG_KEY_LEN)
		r = -EINVAL;
	if (r >= 0)
		memcpy(ret, key, WG_KEY_LEN);
	explicit_bzero(key, sizeof(key));
	return r < 0 ? -EINVAL : 0;
}

int wg_key_read_file(const char *path, bool require_private, uint8_t ret[static WG_KEY_LEN])
{
	_cleanup_close_ int fd = -EBADF;
	char text[KEY_B64_LEN + 3];
	struct stat st;
	size_t n;
	int r;

	r = secrets_protect_process();
	if (r < 0)
		return r;
	/* A FIFO planted at the path must not hang the reconciler. */
	fd = open_regular_file(path, &st);
	if (fd < 0)
		return fd;
	if (require_private && (st.st_mode & KEY_FILE_FORBIDDEN_MODE))
		return -EPERM;

	r = read_bounded(fd, text, sizeof(text), &n);
	if (r >= 0)
		r = key_from_text(text, n, ret);
	explicit_bzero(text, sizeof(text));
	return r;
}

static int random_bytes(void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		ssize_t k = getrandom(b, n, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* "<base64>\n" of a fresh, clamped curve25519 private key (RFC 7748). */
static int new_key_text(char text[static KEY_B64_LEN + 1])
{
	uint8_t key[WG_KEY_LEN];
	char *b64;
	int r;

	r = random_bytes(key, sizeof(key));
	if (r < 0)
		return r;
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
	b64 = base64_encode(key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	memcpy(text, b64, KEY_B64_LEN);
	text[KEY_B64_LEN] = '\n';
	erase_and_free(b64, KEY_B64_LEN);
	return 0;
}

/* ".<name>.<random>.tmp" in the directory of path. */
static int temp_name_for(const char *path, char **ret)
{
	_cleanup_free_ char *d = xstrdup(path), *b = xstrdup(path), *hex = NULL;
	uint8_t rnd[8];
	int r;

	r = random_bytes(rnd, sizeof(rnd));
	if (r < 0)
		return r;
	hex = hexmem(rnd, sizeof(rnd));
	*ret = xasprintf("%s/.%s.%s.tmp", dirname(d), basename(b), hex);
	return 0;
}

static void fsync_parent(const char *path)
{
	_cleanup_free_ char *d = xstrdup(path);
	_cleanup_close_ int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* Best effort: the key is in place either way; this only makes the
	 * new name survive a crash on a persistent state directory. */
	if (fd >= 0)
		(void)fsync(fd);
}

/* Writes the key into the open temporary file and links it to path.
 * Returns 1 when linked, 0 when path appeared meanwhile. */
static int write_and_link(int fd, const char *tmp, const char *path)
{
	char text[KEY_B64_LEN + 1];
	int r;

	r = new_key_text(text);
	if (r >= 0)
		r = write_full(fd, text, sizeof(text));
	explicit_bzero(text, sizeof(text));
	if (r < 0)
		return r;
	/* open()'s mode went through the umask; make it exact. */
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0)
		return negative_errno();
	if (link(tmp, path) < 0)
		return errno == EEXIST ? 0 : negative_errno();
	fsync_parent(path);
	return 1;
}

int wg_key_generate_file(const char *path)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	if (isempty(path))
		return -EINVAL;
	r = secrets_protect_process();
	if (r < 0)
		return r;
	if (lstat(path, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return negative_errno();

	r = temp_name_for(path, &tmp);
	if (r < 0)
		return r;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return negative_errno();
	r = write_and_link(fd, tmp, path);
	(void)unlink(tmp);
	return r;
}
