/* SPDX-License-Identifier: MIT */
/*
 * The agent's drift -> repaired latency: runs a tampering command, then
 * polls the kernel from this process (no process start-up in the measured
 * interval) until the repaired state is back, N times. Prints one latency
 * per line, in microseconds, from the tampering command's exit to the
 * first poll that sees the repair.
 *
 *   bench-daemon-poll NETNS HOSTIF KIND N SETTLE-CMD
 *
 * KIND: table (the policy table deleted inside the namespace), rule (an
 * accept rule inserted at the top of the output chain), link (the host
 * link deleted). SETTLE-CMD runs (through sh -c) between rounds and must
 * succeed once everything is in sync again.
 */

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct mnl_socket *nft_socket_in(const char *netns)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int ns = open(netns, O_RDONLY | O_CLOEXEC);
	struct mnl_socket *nl;

	if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0)
		return NULL;
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		nl = NULL;
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	close(self);
	close(ns);
	return nl;
}

/* Messages of type NEWRULE (or NEWTABLE) answering one request; -1 when
 * the kernel says ENOENT. */
static int count_answers(struct mnl_socket *nl, uint16_t msg, bool dump, const char *chain)
{
	static unsigned seq;
	static char buf[16384];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	int n = 0, len;

	h->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
	h->nlmsg_seq = ++seq;
	g = mnl_nlmsg_put_extra_header(h, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	g->version = NFNETLINK_V0;
	mnl_attr_put_strz(h, msg == NFT_MSG_GETTABLE ? NFTA_TABLE_NAME : NFTA_RULE_TABLE, "vpnconf");
	if (chain)
		mnl_attr_put_strz(h, NFTA_RULE_CHAIN, chain);
	if (mnl_socket_sendto(nl, h, h->nlmsg_len) < 0)
		return -2;
	for (;;) {
		len = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len <= 0)
			return -2;
		for (struct nlmsghdr *r = (struct nlmsghdr *)buf; mnl_nlmsg_ok(r, len);
		     r = mnl_nlmsg_next(r, &len)) {
			if (r->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(r);
				return e->error == 0 ? n : -1;
			}
			if (r->nlmsg_type == NLMSG_DONE)
				return n;
			n++;
		}
	}
}

static bool link_up(const char *ifname)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	close(fd);
	return up;
}

static int run(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
	const char *netns, *hostif, *kind, *settle;
	char nsarg[512];
	struct mnl_socket *nl;
	int n, baseline;

	if (argc != 6) {
		fprintf(stderr, "usage: %s NETNS HOSTIF table|rule|link N SETTLE-CMD\n", argv[0]);
		return 64;
	}
	netns = argv[1];
	hostif = argv[2];
	kind = argv[3];
	n = atoi(argv[4]);
	settle = argv[5];
	snprintf(nsarg, sizeof(nsarg), "--net=%s", netns);
	nl = nft_socket_in(netns);
	if (!nl)
		return perror("netlink socket in the namespace"), 1;
	baseline = count_answers(nl, NFT_MSG_GETRULE, true, "output");

	for (int i = 0; i < n; i++) {
		char *table[] = {"nsenter", nsarg, "nft", "delete", "table", "inet", "vpnconf", NULL};
		char *rule[] = {"nsenter", nsarg, "nft", "insert", "rule", "inet", "vpnconf", "output",
				"accept", NULL};
		char *link[] = {"ip", "link", "del", (char *)hostif, NULL};
		char **cmd = strcmp(kind, "table") == 0 ? table : strcmp(kind, "rule") == 0 ? rule : link;
		uint64_t t0, t;

		if (run(cmd) != 0)
			return fprintf(stderr, "tampering failed\n"), 1;
		t0 = now_us();
		for (;;) {
			bool ok;

			if (strcmp(kind, "table") == 0)
				ok = count_answers(nl, NFT_MSG_GETTABLE, false, NULL) >= 1;
			else if (strcmp(kind, "rule") == 0)
				ok = count_answers(nl, NFT_MSG_GETRULE, true, "output") == baseline;
			else
				ok = link_up(hostif);
			t = now_us();
			if (ok)
				break;
			if (t - t0 > 10 * 1000 * 1000)
				return fprintf(stderr, "not repaired after 10 s\n"), 1;
		}
		printf("%llu\n", (unsigned long long)(t - t0));
		fflush(stdout);
		/* Let the agent finish (its verify, its follow-up pass). */
		for (int k = 0; k < 500 && system(settle) != 0; k++)
			usleep(10000);
		usleep(20000);
	}
	mnl_socket_close(nl);
	return 0;
}
