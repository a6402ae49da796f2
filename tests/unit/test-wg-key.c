/* SPDX-License-Identifier: MIT */
/*
 * WireGuard key files (strict reading, the highAssurance mode rule,
 * atomic race-free generation) and wg_device_from_desired(), with
 * Namespace structures built by hand.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test-tmpdir.h"
#include "test.h"
#include "wg.h"

/* A valid key text: 32 bytes 0x00, 0x07, 0x0e, ... */
#define GOOD_KEY "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk="

static char *write_file(const char *dir, const char *name, const char *content, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content) ||
	    fchmod(fd, mode) < 0)
		abort();
	return path;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

TEST(read_good)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *a = write_file(dir, "a", GOOD_KEY "\n", 0600);
	_cleanup_free_ char *b = write_file(dir, "b", GOOD_KEY, 0600);
	uint8_t k[WG_KEY_LEN], want[WG_KEY_LEN];

	for (unsigned i = 0; i < WG_KEY_LEN; i++)
		want[i] = (uint8_t)(i * 7);
	ASSERT_OK(wg_key_read_file(a, true, k));
	ASSERT_MEMEQ(k, want, WG_KEY_LEN);
	memset(k, 0, sizeof(k));
	ASSERT_OK(wg_key_read_file(b, true, k));
	ASSERT_MEMEQ(k, want, WG_KEY_LEN);
}

TEST(read_bad_content)
{
	static const char *const bad[] = {
		"",
		"\n",
		GOOD_KEY "\n\n",
		GOOD_KEY " ",
		GOOD_KEY "\r\n",
		" " GOOD_KEY,
		"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk",    /* 43 */
		"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tkA",   /* no '=' */
		"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tl=",   /* stray bits */
		"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0t*=",   /* bad char */
		"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0=k=",   /* '=' inside */
		"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=AAAA", /* too long */
	};
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	uint8_t k[WG_KEY_LEN], untouched[WG_KEY_LEN];

	memset(untouched, 0xa5, sizeof(untouched));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_free_ char *p = write_file(dir, "k", bad[i], 0600);

		memset(k, 0xa5, sizeof(k));
		if (wg_key_read_file(p, false, k) != -EINVAL)
			TEST_FAIL("bad key #%zu accepted", i);
		ASSERT_MEMEQ(k, untouched, WG_KEY_LEN);
	}
}

TEST(read_too_long)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *big = xmalloc(100001), *p = NULL;

	memset(big, 'A', 100000);
	big[100000] = 0;
	p = write_file(dir, "big", big, 0600);
	uint8_t k[WG_KEY_LEN];
	ASSERT_ERR(wg_key_read_file(p, false, k), EINVAL);
}

TEST(read_mode_and_type)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *p644 = write_file(dir, "k644", GOOD_KEY "\n", 0644);
	_cleanup_free_ char *p640 = write_file(dir, "k640", GOOD_KEY "\n", 0640);
	_cleanup_free_ char *p620 = write_file(dir, "k620", GOOD_KEY "\n", 0620);
	_cleanup_free_ char *p400 = write_file(dir, "k400", GOOD_KEY "\n", 0400);
	_cleanup_free_ char *missing = xasprintf("%s/missing", dir);
	_cleanup_free_ char *link = xasprintf("%s/link", dir);
	uint8_t k[WG_KEY_LEN];

	ASSERT_ERR(wg_key_read_file(p644, true, k), EPERM);
	ASSERT_ERR(wg_key_read_file(p640, true, k), EPERM);
	ASSERT_ERR(wg_key_read_file(p620, true, k), EPERM);
	ASSERT_OK(wg_key_read_file(p644, false, k));
	ASSERT_OK(wg_key_read_file(p400, true, k));
	ASSERT_ERR(wg_key_read_file(missing, false, k), ENOENT);
	ASSERT_ERR(wg_key_read_file(dir, false, k), EISDIR);
	/* A symlink is followed; the target's mode counts. */
	ASSERT_OK(symlink(p644, link));
	ASSERT_ERR(wg_key_read_file(link, true, k), EPERM);
	ASSERT_OK(wg_key_read_file(link, false, k));
}

TEST(key_file_fifo_does_not_hang)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *fifo = xasprintf("%s/key", dir);
	uint8_t k[WG_KEY_LEN];
	uint64_t t0 = now_usec_monotonic();

	ASSERT_OK(mkfifo(fifo, 0600));
	ASSERT_ERR(wg_key_read_file(fifo, false, k), EBADFD);
	ASSERT_TRUE(now_usec_monotonic() - t0 < 5000000);
}

/* In a child: reads a key (the code path every key takes), then aborts
 * with core dumps enabled and kernel.core_pattern as it is. Returns the
 * child's wait status; *ret_dumpable is PR_GET_DUMPABLE after reading. */
static int abort_holding_key(const char *dir, const char *key_path, int *ret_dumpable)
{
	int pipefd[2], status, dumpable = -1;
	pid_t pid;

	if (pipe(pipefd) < 0)
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
		uint8_t k[WG_KEY_LEN];
		int d;

		if (chdir(dir) < 0 || setrlimit(RLIMIT_CORE, &rl) < 0 ||
		    wg_key_read_file(key_path, true, k) < 0)
			_exit(3);
		d = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		if (write(pipefd[1], &d, sizeof(d)) != sizeof(d))
			_exit(4);
		abort(); /* k still holds the key */
	}
	close(pipefd[1]);
	if (read(pipefd[0], &dumpable, sizeof(dumpable)) != sizeof(dumpable))
		dumpable = -1;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		abort();
	*ret_dumpable = dumpable;
	return status;
}

TEST(key_not_in_core_dump)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *p = write_file(dir, "private.key", GOOD_KEY "\n", 0600);
	int status, dumpable;

	status = abort_holding_key(dir, p, &dumpable);
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
	/* Holding a key, the process is not dumpable: no core was written
	 * (the kernel reports one in the wait status when it wrote it) and
	 * nothing but the key file is in the directory. */
	ASSERT_EQ(dumpable, 0);
	ASSERT_FALSE(WCOREDUMP(status));
	ASSERT_EQ(count_entries(dir), 1);
}

TEST(key_generation_not_dumpable)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *p = xasprintf("%s/private.key", dir);
	pid_t pid = fork();
	int status;

	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(wg_key_generate_file(p) == 1 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0
											     : 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

static bool key_is_clamped(const uint8_t k[static WG_KEY_LEN])
{
	return (k[0] & 7) == 0 && (k[31] & 128) == 0 && (k[31] & 64) != 0;
}

TEST(generate)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *p = xasprintf("%s/private.key", dir), *text = NULL,
			    *again = NULL, *nodir = xasprintf("%s/nodir/private.key", dir);
	uint8_t k[WG_KEY_LEN];
	struct stat st;
	mode_t old = umask(0);

	ASSERT_EQ(wg_key_generate_file(p), 1);
	umask(old);
	ASSERT_OK(stat(p, &st));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_OK(wg_key_read_file(p, true, k));
	ASSERT_TRUE(key_is_clamped(k));
	ASSERT_OK(read_full_file(p, 4096, &text, NULL));
	ASSERT_EQ(strlen(text), 45);
	/* Only the key file is left behind, no temporary. */
	ASSERT_EQ(count_entries(dir), 1);

	/* An existing file is left alone, whatever it holds. */
	ASSERT_OK(chmod(p, 0640));
	ASSERT_EQ(wg_key_generate_file(p), 0);
	ASSERT_OK(read_full_file(p, 4096, &again, NULL));
	ASSERT_STREQ(again, text);
	ASSERT_OK(stat(p, &st));
	ASSERT_EQ(st.st_mode & 07777, 0640);

	ASSERT_ERR(wg_key_generate_file(nodir), ENOENT);
	ASSERT_ERR(wg_key_generate_file(""), EINVAL);
}

TEST(generate_keys_differ)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir);
	uint8_t ka[WG_KEY_LEN], kb[WG_KEY_LEN];

	ASSERT_EQ(wg_key_generate_file(a), 1);
	ASSERT_EQ(wg_key_generate_file(b), 1);
	ASSERT_OK(wg_key_read_file(a, true, ka));
	ASSERT_OK(wg_key_read_file(b, true, kb));
	ASSERT_TRUE(memcmp(ka, kb, WG_KEY_LEN) != 0);
}

/* Concurrent creators: exactly one creates, every one of them then reads
 * the same complete key. */
TEST(generate_race)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_free_ char *p = xasprintf("%s/k", dir);
	unsigned created = 0;
	pid_t pids[16];

	for (unsigned i = 0; i < ELEMENTSOF(pids); i++) {
		pids[i] = fork();
		ASSERT_TRUE(pids[i] >= 0);
		if (pids[i] == 0) {
			uint8_t k[WG_KEY_LEN];
			int r = wg_key_generate_file(p);
			if (r < 0 || wg_key_read_file(p, true, k) < 0)
				_exit(2);
			_exit(r);
		}
	}
	for (unsigned i = 0; i < ELEMENTSOF(pids); i++) {
		int status;
		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
		created += WEXITSTATUS(status);
	}
	ASSERT_EQ(created, 1);
	ASSERT_EQ(count_entries(dir), 1);
}

/* wg_device_from_desired() */

static Namespace *sample_namespace(const char *dir)
{
	Namespace *ns = xcalloc(1, sizeof(*ns));
	Peer *p;

	ns->name = xstrdup("ns1");
	ns->profile = SECURITY_PROFILE_BALANCED;
	ns->wg.managed = true;
	strcpy(ns->wg.ifname, "wg-ns1");
	ns->wg.private_key_file = write_file(dir, "private", GOOD_KEY "\n", 0600);
	ns->wg.listen_port = -1;
	ns->wg.fwmark = 0x1234;
	ns->wg.n_peers = 3;
	ns->wg.peers = xcalloc(3, sizeof(Peer));

	p = &ns->wg.peers[0];
	memset(p->public_key, 0x33, WG_KEY_LEN);
	p->has_endpoint = true;
	p->endpoint.literal = true;
	p->endpoint.addr.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &p->endpoint.addr.in);
	p->endpoint.port = 51820;
	p->persistent_keepalive = 25;
	p->n_allowed_ips = 1;
	p->allowed_ips = xcalloc(1, sizeof(IpPrefix));
	p->allowed_ips[0].addr.family = AF_INET;
	p->allowed_ips[0].prefixlen = 0;

	p = &ns->wg.peers[1];
	memset(p->public_key, 0x11, WG_KEY_LEN);
	p->preshared_key_file = write_file(dir, "psk", GOOD_KEY, 0644);
	p->has_endpoint = true;
	p->endpoint.host = xstrdup("vpn.example.org");
	p->endpoint.port = 51820;

	p = &ns->wg.peers[2];
	memset(p->public_key, 0x22, WG_KEY_LEN);
	p->has_endpoint = true;
	p->endpoint.literal = true;
	p->endpoint.addr.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &p->endpoint.addr.in6);
	p->endpoint.port = 443;
	return ns;
}

static void namespace_freep(Namespace **nsp)
{
	Namespace *ns = *nsp;

	if (!ns)
		return;
	for (size_t i = 0; i < ns->wg.n_peers; i++) {
		free(ns->wg.peers[i].preshared_key_file);
		free(ns->wg.peers[i].endpoint.host);
		free(ns->wg.peers[i].allowed_ips);
	}
	free(ns->wg.peers);
	free(ns->wg.private_key_file);
	free(ns->name);
	free(ns);
}

TEST(from_desired)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_(namespace_freep) Namespace *ns = sample_namespace(dir);
	_cleanup_(wg_device_freep) WgDevice *d = NULL;
	_cleanup_free_ char *error_path = NULL;
	WgSockaddr resolved[3] = {};
	uint8_t k[WG_KEY_LEN];

	ASSERT_OK(wg_device_from_desired(ns, NULL, &d, &error_path));
	ASSERT_TRUE(error_path == NULL);
	ASSERT_STREQ(d->ifname, "wg-ns1");
	ASSERT_TRUE(d->has_private_key);
	for (unsigned i = 0; i < WG_KEY_LEN; i++)
		k[i] = (uint8_t)(i * 7);
	ASSERT_MEMEQ(d->private_key, k, WG_KEY_LEN);
	ASSERT_EQ(d->listen_port, 0);
	ASSERT_EQ(d->fwmark, 0x1234);
	ASSERT_EQ(d->n_peers, 3);
	/* Sorted by public key: 0x11.., 0x22.., 0x33.. */
	ASSERT_EQ(d->peers[0].public_key[0], 0x11);
	ASSERT_TRUE(d->peers[0].has_preshared_key);
	ASSERT_MEMEQ(d->peers[0].preshared_key, k, WG_KEY_LEN);
	/* Unresolved hostname: no wanted endpoint. */
	ASSERT_EQ(d->peers[0].endpoint.sa.sa_family, AF_UNSPEC);
	ASSERT_EQ(d->peers[1].endpoint.sa.sa_family, AF_INET6);
	ASSERT_EQ(ntohs(d->peers[1].endpoint.in6.sin6_port), 443);
	ASSERT_EQ(d->peers[2].endpoint.sa.sa_family, AF_INET);
	ASSERT_EQ(d->peers[2].endpoint.in.sin_addr.s_addr, htonl(0xc0000201));
	ASSERT_EQ(ntohs(d->peers[2].endpoint.in.sin_port), 51820);
	ASSERT_EQ(d->peers[2].persistent_keepalive, 25);
	ASSERT_EQ(d->peers[2].n_allowed_ips, 1);
	ASSERT_FALSE(d->peers[2].has_preshared_key);
	d = wg_device_free(d);

	/* With resolved endpoints (peer 1 is the hostname one). */
	ns->wg.listen_port = 51820;
	resolved[1].in.sin_family = AF_INET;
	resolved[1].in.sin_port = htons(51820);
	resolved[1].in.sin_addr.s_addr = htonl(0xc6336401);
	ASSERT_OK(wg_device_from_desired(ns, resolved, &d, &error_path));
	ASSERT_EQ(d->listen_port, 51820);
	ASSERT_EQ(d->peers[0].endpoint.in.sin_addr.s_addr, htonl(0xc6336401));
	ASSERT_EQ(d->peers[1].endpoint.sa.sa_family, AF_INET6);
}

TEST(from_desired_errors)
{
	_cleanup_rm_rf_ char *dir = test_tmpdir("test-wg-key");
	_cleanup_(namespace_freep) Namespace *ns = sample_namespace(dir);
	_cleanup_(wg_device_freep) WgDevice *d = NULL;
	char *error_path = NULL;

	/* highAssurance: the 0644 preshared key file of peers[1] is refused. */
	ns->profile = SECURITY_PROFILE_HIGH_ASSURANCE;
	ASSERT_ERR(wg_device_from_desired(ns, NULL, &d, &error_path), EPERM);
	ASSERT_TRUE(d == NULL);
	ASSERT_STREQ(error_path, "namespaces.ns1.wireguard.peers[1].presharedKeyFile");
	free(error_path);
	error_path = NULL;

	ASSERT_OK(chmod(ns->wg.private_key_file, 0644));
	ASSERT_ERR(wg_device_from_desired(ns, NULL, &d, &error_path), EPERM);
	ASSERT_STREQ(error_path, "namespaces.ns1.wireguard.privateKeyFile");
	free(error_path);
	error_path = NULL;

	ns->profile = SECURITY_PROFILE_BALANCED;
	ASSERT_OK(unlink(ns->wg.private_key_file));
	ASSERT_ERR(wg_device_from_desired(ns, NULL, &d, &error_path), ENOENT);
	ASSERT_STREQ(error_path, "namespaces.ns1.wireguard.privateKeyFile");
	free(error_path);
	error_path = NULL;

	ASSERT_EQ(wg_key_generate_file(ns->wg.private_key_file), 1);
	free(write_file(dir, "psk", "not a key", 0600));
	ASSERT_ERR(wg_device_from_desired(ns, NULL, &d, &error_path), EINVAL);
	ASSERT_STREQ(error_path, "namespaces.ns1.wireguard.peers[1].presharedKeyFile");
	free(error_path);
}
