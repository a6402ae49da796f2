/* SPDX-License-Identifier: MIT */
/*
 * Packets against the nftables tables: the lockdown table drops what it
 * must and keeps loopback, and replacing a namespace's policy never opens
 * a gap: a flood towards a never-allowed destination, running while the
 * policy is replaced 200 times, delivers nothing.
 *
 * Topology, made here inside tests/sandbox: namespaces "nft-a" (the
 * confined side) and "nft-b" joined by a veth pair, 10.250.0.1/30 in A and
 * 10.250.0.2/30 in B. Packets only ever go to 10.250.0.2 or to loopback.
 */
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "../unit/test-nft-ns.h"
#include "nft-internal.h"
#include "test.h"

#define NS_A "nft-a"
#define NS_B "nft-b"
#define ADDR_A "10.250.0.1"
#define ADDR_B "10.250.0.2"
#define PORT 9999

static void sh(const char *cmd)
{
	int status = system(cmd);

	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		TEST_FAIL("%s: exit status %d", cmd, status);
}

static void topology(void)
{
	if (!streq(strempty(getenv("VPNCONF_IN_SANDBOX")), "1"))
		TEST_SKIP("not inside tests/sandbox");
	/* Each test case starts from scratch. */
	(void)system("ip netns delete " NS_A " 2>/dev/null; ip netns delete " NS_B " 2>/dev/null");
	sh("ip netns add " NS_A " && ip netns add " NS_B " && "
	   "ip -n " NS_A " link set lo up && ip -n " NS_B " link set lo up && "
	   "ip link add va netns " NS_A " type veth peer name vb netns " NS_B " && "
	   "ip -n " NS_A " addr add " ADDR_A "/30 dev va && "
	   "ip -n " NS_B " addr add " ADDR_B "/30 dev vb && "
	   "ip -n " NS_A " link set va up && ip -n " NS_B " link set vb up");
	/* Until the kernel's link watch has seen the carrier (up to a
	 * second), the device's queue discards what is sent. */
	for (unsigned i = 0;; i++) {
		int a = system("ip -n " NS_A " -o link show va | grep -q 'state UP'");
		int b = system("ip -n " NS_B " -o link show vb | grep -q 'state UP'");
		if (a == 0 && b == 0)
			break;
		if (i >= 100)
			TEST_FAIL("veth pair did not come up");
		usleep(20 * 1000);
	}
}

/* A socket created inside a named namespace (a socket belongs to the
 * namespace it was created in, whatever the process does later). */
static int socket_in(const char *ns, int domain, int type, int protocol)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *path = xasprintf("/run/netns/%s", ns);
	_cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
	int fd;

	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0)
		return -1;
	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* every later step would act in the wrong namespace */
	return fd;
}

static int udp_listener(const char *ns, const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	int fd = socket_in(ns, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	return fd;
}

/* Sends one datagram from ns to addr; 0 or -errno (EPERM: dropped by an
 * output chain). */
static int send_one(const char *ns, const char *addr)
{
	_cleanup_close_ int fd = socket_in(ns, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};

	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (fd < 0)
		abort();
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	return 0;
}

/* Datagrams queued on a listener, after giving stragglers a moment. */
static unsigned drain(int fd)
{
	char buf[64];
	unsigned n = 0;

	usleep(100 * 1000);
	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

static NftSocket *nft_in(const char *ns)
{
	NftSocket *s = NULL;
	int fd = socket_in(ns, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);

	if (fd < 0 || nft_socket_open_fd(fd, &s) < 0)
		abort();
	return s;
}

TEST(lockdown_drops_all_but_loopback)
{
	_cleanup_(nft_socket_freep) NftSocket *s = NULL;
	_cleanup_(nft_table_freep) NftTable *lock = NULL;
	_cleanup_close_ int lb = -EBADF, ll = -EBADF;

	topology();
	lb = udp_listener(NS_B, ADDR_B);
	ll = udp_listener(NS_A, "127.0.0.1");
	s = nft_in(NS_A);

	/* The path works before anything is applied. */
	ASSERT_OK(send_one(NS_A, ADDR_B));
	ASSERT_EQ(drain(lb), 1);

	ASSERT_OK(nft_lockdown_build(&lock));
	ASSERT_OK(nft_table_replace(s, lock));
	ASSERT_ERR(send_one(NS_A, ADDR_B), EPERM);
	ASSERT_EQ(drain(lb), 0);
	ASSERT_OK(send_one(NS_A, "127.0.0.1"));
	ASSERT_EQ(drain(ll), 1);

	/* Inbound is dropped too: B to A's listener on the veth address. */
	_cleanup_close_ int la = udp_listener(NS_A, ADDR_A);
	ASSERT_OK(send_one(NS_B, ADDR_A));
	ASSERT_EQ(drain(la), 0);

	ASSERT_OK(nft_table_delete(s, NFT_POLICY_TABLE));
	ASSERT_OK(send_one(NS_A, ADDR_B));
	ASSERT_EQ(drain(lb), 1);
}

typedef struct FloodCounters {
	volatile uint64_t sent;
	volatile uint64_t refused;
	volatile int ready;
} FloodCounters;

static void flood(FloodCounters *c)
{
	int fd = socket_in(NS_A, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};

	inet_pton(AF_INET, ADDR_B, &sa.sin_addr);
	if (fd < 0)
		_exit(2);
	c->ready = 1;
	for (;;) {
		if (sendto(fd, "flood", 5, 0, (struct sockaddr *)&sa, sizeof(sa)) >= 0)
			__atomic_fetch_add(&c->sent, 1, __ATOMIC_RELAXED);
		else if (errno == EPERM)
			__atomic_fetch_add(&c->refused, 1, __ATOMIC_RELAXED);
	}
}

TEST(replacing_never_opens_a_gap)
{
	_cleanup_(nft_socket_freep) NftSocket *s = NULL;
	_cleanup_(nft_table_freep) NftTable *p1 = NULL, *p2 = NULL;
	_cleanup_close_ int lb = -EBADF;
	const unsigned replacements = 200;
	TestNs ns;
	pid_t pid;

	topology();
	lb = udp_listener(NS_B, ADDR_B);
	s = nft_in(NS_A);

	/* Sanity: without policy the flood's destination is reachable, so
	 * a gap would show. */
	ASSERT_OK(send_one(NS_A, ADDR_B));
	ASSERT_EQ(drain(lb), 1);

	test_ns_reference(&ns);
	ASSERT_OK(nft_policy_build(&ns.ns, &p1));
	test_ns_alternative(&ns);
	ASSERT_OK(nft_policy_build(&ns.ns, &p2));
	ASSERT_OK(nft_table_replace(s, p1));

	FloodCounters *c =
	    mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(c != MAP_FAILED);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		flood(c);
	while (!c->ready)
		usleep(1000);

	uint64_t start = now_usec_monotonic();
	for (unsigned i = 0; i < replacements; i++) {
		int r = nft_table_replace(s, i % 2 ? p1 : p2);
		if (r < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			ASSERT_OK(r);
		}
	}
	double per = (double)(now_usec_monotonic() - start) / replacements;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	unsigned arrived = drain(lb);
	fprintf(stderr,
		"  %u replacements (%.0f us each) under a flood of %llu datagrams "
		"(%llu refused): %u arrived\n",
		replacements, per, (unsigned long long)(c->sent + c->refused),
		(unsigned long long)c->refused, arrived);
	ASSERT_TRUE(c->refused > 0);
	ASSERT_EQ(c->sent, 0);
	ASSERT_EQ(arrived, 0);
	munmap(c, sizeof(*c));
}
