/* SPDX-License-Identifier: MIT */
/*
 * NETLINK_NETFILTER sockets: sending batches and matching the kernel's
 * acknowledgements, GET requests and dumps, and the ruleset generation.
 *
 * The kernel processes a batch synchronously inside sendmsg(): when it
 * returns, the transaction has been committed or aborted and every
 * acknowledgement is already queued on the socket. The acknowledgements
 * are therefore read after sending, never while; what must not happen is
 * that they overflow the receive buffer (the kernel would drop them and
 * the outcome would be unknown), so the receive buffer is sized to the
 * number of messages first, and NETLINK_CAP_ACK keeps each error
 * acknowledgement from echoing its (up to 64 KiB) request. The send
 * buffer is sized to the batch, which must fit in one datagram.
 *
 * libc's errno is converted here and nowhere else in the module.
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "nft-internal.h"

/* A dump part is at most 32 KiB (the kernel's cap on what it puts in one
 * datagram), an acknowledgement far less. Datagrams are read two at a
 * time: reading a dump's part makes the kernel queue the next one (often
 * just its end) at once, and recvmmsg() picks that up in the same call. */
#define RECV_BUFFER_SIZE (64U * 1024U)
#define RECV_SLOTS 2
/* Kernel memory one queued acknowledgement costs against the receive
 * buffer (its skb's truesize), generously. */
#define ACK_TRUESIZE 2048U
/* How long to wait for acknowledgements that are not already queued
 * (they always are; this only bounds a kernel misbehaving). */
#define ACK_TIMEOUT_MSEC 5000

struct NftSocket {
	int fd;
	uint32_t seq;
	uint8_t *buf;		/* RECV_SLOTS buffers of RECV_BUFFER_SIZE */
	size_t len[RECV_SLOTS]; /* bytes received into each, 0: ignore */
};

NftSocket *nft_socket_free(NftSocket *s)
{
	if (!s)
		return NULL;
	safe_close(s->fd);
	free(s->buf);
	free(s);
	return NULL;
}

static int check_netfilter_socket(int fd)
{
	int domain = 0, protocol = 0;
	socklen_t l = sizeof(domain);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0)
		return negative_errno();
	l = sizeof(protocol);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &l) < 0)
		return negative_errno();
	if (domain != AF_NETLINK || protocol != NETLINK_NETFILTER)
		return -EPROTOTYPE;
	return 0;
}

static int ensure_bound(int fd)
{
	struct sockaddr_nl sa = {};
	socklen_t l = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &l) < 0)
		return negative_errno();
	if (l != sizeof(sa) || sa.nl_family != AF_NETLINK)
		return -EPROTOTYPE;
	if (sa.nl_pid != 0)
		return 0;
	/* Not bound yet: let the kernel pick the port id. */
	sa = (struct sockaddr_nl){.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	return 0;
}

int nft_socket_open_fd(int fd, NftSocket **ret)
{
	int one = 1, r;

	assert(ret);
	if (fd < 0)
		return -EBADF;
	r = check_netfilter_socket(fd);
	if (r < 0)
		return r;
	r = ensure_bound(fd);
	if (r < 0)
		return r;
	/* Error acknowledgements without a copy of the failed request. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		return negative_errno();

	NftSocket *s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->seq = (uint32_t)time(NULL);
	s->buf = xmalloc(RECV_SLOTS * RECV_BUFFER_SIZE);
	*ret = s;
	return 0;
}

int nft_socket_open(NftSocket **ret)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return negative_errno();
	r = nft_socket_open_fd(fd, ret);
	if (r < 0)
		return r;
	TAKE_FD(fd);
	return 0;
}

uint32_t nft_socket_next_seq(NftSocket *s)
{
	return s->seq++;
}

/* Grows a socket buffer to at least size bytes (as the kernel counts
 * them: it doubles what is asked for). SO_*BUFFORCE ignores the sysctl
 * maximum; it needs CAP_NET_ADMIN, which nftables needs anyway. */
static int ensure_buffer(int fd, int opt, int force_opt, size_t size)
{
	int cur = 0, want;
	socklen_t l = sizeof(cur);

	if (size > INT_MAX / 2)
		return -E2BIG;
	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &l) < 0)
		return negative_errno();
	if ((size_t)cur >= size)
		return 0;
	want = (int)((size + 1) / 2);
	if (setsockopt(fd, SOL_SOCKET, force_opt, &want, sizeof(want)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want)) < 0)
		return negative_errno();
	return 0;
}

/* Up to RECV_SLOTS datagrams into s->buf; waits for the first unless
 * dontwait (then -EAGAIN when nothing is queued). Returns how many. */
static int receive(NftSocket *s, bool dontwait)
{
	struct sockaddr_nl sa[RECV_SLOTS] = {};
	struct iovec iov[RECV_SLOTS];
	struct mmsghdr mh[RECV_SLOTS] = {};
	int n;

	for (unsigned i = 0; i < RECV_SLOTS; i++) {
		iov[i] = (struct iovec){s->buf + i * RECV_BUFFER_SIZE, RECV_BUFFER_SIZE};
		mh[i].msg_hdr = (struct msghdr){.msg_name = &sa[i],
						.msg_namelen = sizeof(sa[i]),
						.msg_iov = &iov[i],
						.msg_iovlen = 1};
	}
	do
		n = recvmmsg(s->fd, mh, RECV_SLOTS, dontwait ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	for (int i = 0; i < n; i++) {
		if (mh[i].msg_hdr.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		/* Only the kernel (port 0) is listened to. */
		s->len[i] = sa[i].nl_pid == 0 ? mh[i].msg_len : 0;
	}
	return n;
}

static const void *slot(const NftSocket *s, int i)
{
	return s->buf + i * RECV_BUFFER_SIZE;
}

static int send_all(NftSocket *s, const void *data, size_t size)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	ssize_t n;

	do
		n = sendto(s->fd, data, size, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	if ((size_t)n != size)
		return -EIO;
	return 0;
}

static bool seq_in(uint32_t seq, uint32_t first, uint32_t end)
{
	return seq - first < end - first;
}

typedef struct AckState {
	uint32_t first, end; /* the batch's sequence numbers: [first, end) */
	unsigned expected, acked;
	int error;
	uint32_t error_seq;
} AckState;

static void ack_process(AckState *a, const void *buf, size_t size)
{
	int len = (int)size;

	for (const struct nlmsghdr *nlh = buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type != NLMSG_ERROR || !seq_in(nlh->nlmsg_seq, a->first, a->end) ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
			continue;
		a->acked++;
		if (e->error < 0 &&
		    (a->error == 0 || nlh->nlmsg_seq - a->first < a->error_seq - a->first)) {
			a->error = e->error;
			a->error_seq = nlh->nlmsg_seq;
		}
	}
}

static unsigned count_acked_messages(const NftBatch *b)
{
	const struct nlmsghdr *nlh = (const void *)b->data;
	int len = (int)b->size;
	unsigned n = 0;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_flags & NLM_F_ACK)
			n++;
	return n;
}

static int wait_acks(NftSocket *s, AckState *a)
{
	uint64_t deadline = now_usec_monotonic() + ACK_TIMEOUT_MSEC * 1000ULL;
	int r;

	for (;;) {
		r = receive(s, true);
		if (r == -EAGAIN) {
			/* A failed batch may leave messages unanswered
			 * (the kernel stops at some errors); what is
			 * queued is all there is. */
			if (a->acked >= a->expected || a->error != 0)
				return 0;
			uint64_t now = now_usec_monotonic();
			if (now >= deadline)
				return -ETIMEDOUT;
			struct pollfd p = {.fd = s->fd, .events = POLLIN};
			if (poll(&p, 1, (int)((deadline - now) / 1000) + 1) < 0 && errno != EINTR)
				return negative_errno();
			continue;
		}
		if (r < 0)
			return r; /* -ENOBUFS: acknowledgements lost */
		for (int i = 0; i < r; i++)
			ack_process(a, slot(s, i), s->len[i]);
	}
}

int nft_batch_send(NftSocket *s, const NftBatch *b)
{
	AckState a = {.first = b->seq_first, .end = b->seq_next};
	int r;

	assert(s && b);
	a.expected = count_acked_messages(b);
	r = ensure_buffer(s->fd, SO_SNDBUF, SO_SNDBUFFORCE, b->size + 64 * 1024);
	if (r < 0)
		return r;
	r = ensure_buffer(s->fd, SO_RCVBUF, SO_RCVBUFFORCE,
			  (size_t)b->n_messages * ACK_TRUESIZE + 64 * 1024);
	if (r < 0)
		return r;
	/* Later requests must not reuse the batch's sequence numbers. */
	if (seq_in(s->seq, b->seq_first, b->seq_next))
		s->seq = b->seq_next;

	r = send_all(s, b->data, b->size);
	if (r < 0)
		return r;
	r = wait_acks(s, &a);
	if (r < 0)
		return r;
	if (a.error < 0)
		return a.error;
	if (a.acked < a.expected)
		return -EPROTO;
	return 0;
}

static void request_fail(NftRequest *q, int r)
{
	if (q->error == 0)
		q->error = r;
}

static void request_message(NftRequest *q, int32_t *genid, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	int r;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		request_fail(q, -EAGAIN);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g)) {
		request_fail(q, -EBADMSG);
		return;
	}
	if (genid) {
		int32_t id = ntohs(g->res_id);
		if (*genid < 0)
			*genid = id;
		else if (*genid != id)
			request_fail(q, -EAGAIN);
	}
	if (q->error == 0 && q->handler) {
		r = q->handler(nlh, q->userdata);
		if (r < 0)
			request_fail(q, r);
	}
	/* A plain GET is answered by exactly one message, or an error. */
	if (!(q->nlh->nlmsg_flags & NLM_F_DUMP))
		q->done = true;
}

/* The end of a request: NLMSG_DONE of a dump, or the acknowledgement
 * (error 0 or not) of anything else. A dump refused because another dump
 * of this socket is still running (-EBUSY), or because the receive queue
 * was full (-ENOBUFS), is marked for a retry on its own. */
static void request_end(NftRequest *q, const struct nlmsghdr *nlh)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int) && *err < 0) {
		if (*err == -EBUSY || *err == -ENOBUFS)
			q->busy = true;
		else
			request_fail(q, *err);
	}
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		request_fail(q, -EAGAIN);
	q->done = true;
}

static void requests_process(NftRequest *reqs, size_t n, uint32_t base, int32_t *genid,
			     const void *buf, size_t size)
{
	int len = (int)size;

	for (const struct nlmsghdr *nlh = buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		uint32_t i = nlh->nlmsg_seq - base;

		if (i >= n || reqs[i].done)
			continue; /* a stale answer to an earlier request */
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
			request_end(&reqs[i], nlh);
		else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
			request_message(&reqs[i], genid, nlh);
	}
}

static bool requests_done(const NftRequest *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!reqs[i].done)
			return false;
	return true;
}

/* Lets a dump left running by an earlier, abandoned request finish: each
 * receive makes the kernel queue the next part, so reading until nothing
 * is queued ends it. */
static int drain(NftSocket *s)
{
	int r;

	do
		r = receive(s, true);
	while (r >= 0);
	return r == -EAGAIN ? 0 : r;
}

static int requests_send(NftSocket *s, NftRequest *reqs, size_t n, int32_t *genid)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size = 0;
	uint32_t base = s->seq;
	int r;

	s->seq += (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		struct nlmsghdr *nlh = reqs[i].nlh;
		nlh->nlmsg_seq = base + (uint32_t)i;
		reqs[i].done = reqs[i].busy = false;
		reqs[i].error = 0;
		buf = xrealloc(buf, size + NLMSG_ALIGN(nlh->nlmsg_len));
		memcpy(buf + size, nlh, nlh->nlmsg_len);
		memset(buf + size + nlh->nlmsg_len, 0,
		       NLMSG_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len);
		size += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	r = send_all(s, buf, size);
	if (r < 0)
		return r;
	while (!requests_done(reqs, n)) {
		r = receive(s, false);
		if (r < 0)
			return r; /* -ENOBUFS: answers were lost */
		for (int i = 0; i < r; i++)
			requests_process(reqs, n, base, genid, slot(s, i), s->len[i]);
	}
	return 0;
}

/* Netlink runs one dump per socket at a time, and a dump only ends on
 * the receive after its last part: a second dump in the same datagram
 * would be refused. So each datagram carries any number of plain
 * requests and at most one dump, last. */
static size_t group_size(const NftRequest *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (reqs[i].nlh->nlmsg_flags & NLM_F_DUMP)
			return i + 1;
	return n;
}

int nft_socket_requests(NftSocket *s, NftRequest *reqs, size_t n, int32_t *genid)
{
	int r;

	assert(s && (reqs || n == 0));
	for (size_t i = 0, k; i < n; i += k) {
		k = group_size(reqs + i, n - i);
		r = requests_send(s, reqs + i, k, genid);
		if (r < 0)
			return r;
	}
	/* Requests refused because a dump was still running (one left
	 * over by an abandoned request) go again, one at a time. */
	for (size_t i = 0; i < n; i++)
		for (unsigned attempt = 0; reqs[i].busy && attempt < 3; attempt++) {
			r = drain(s);
			if (r < 0)
				return r;
			r = requests_send(s, &reqs[i], 1, genid);
			if (r < 0)
				return r;
		}
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].busy)
			return -EBUSY;
		if (reqs[i].error < 0)
			return reqs[i].error;
	}
	return 0;
}

int nft_socket_request(NftSocket *s, struct nlmsghdr *req, int32_t *genid,
		       NftMessageHandler handler, void *userdata)
{
	NftRequest q = {.nlh = req, .handler = handler, .userdata = userdata};

	return nft_socket_requests(s, &q, 1, genid);
}

static int gen_handler(const struct nlmsghdr *nlh, void *userdata)
{
	struct nftnl_gen *g = nft_check_alloc(nftnl_gen_alloc());
	int r = 0;

	if (nftnl_gen_nlmsg_parse(nlh, g) < 0 || !nftnl_gen_is_set(g, NFTNL_GEN_ID))
		r = -EBADMSG;
	else
		*(uint32_t *)userdata = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
	nftnl_gen_free(g);
	return r;
}

int nft_generation(NftSocket *s, uint32_t *ret)
{
	char buf[NFT_REQUEST_SIZE] = {};
	uint32_t id = 0;
	int r;

	assert(s && ret);
	r = nft_socket_request(s, nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, 0), NULL,
			       gen_handler, &id);
	if (r < 0)
		return r;
	*ret = id;
	return 0;
}
