/* SPDX-License-Identifier: MIT */
/*
 * WireGuard kernel I/O: one NETLINK_GENERIC socket per network namespace
 * (a socket talks to the namespace it was created in, whatever namespace
 * the thread is in later), the "wireguard" family id resolved once, and
 * synchronous request/reply exchanges built on wg-genl.c's messages.
 *
 *  - Replies are matched by sequence number; leftovers of an exchange that
 *    was abandoned half-way (a parse error in the middle of a dump) carry
 *    an older one and are skipped.
 *  - A dump is consistent only if the device did not change while it ran:
 *    the kernel then flags a message NLM_F_DUMP_INTR, and the dump is read
 *    to its end and started again.
 *  - NETLINK_CAP_ACK keeps the kernel from echoing a failed request, with
 *    the private key in it, back in the error message. Receive buffers
 *    (dumps carry private and preshared keys) are wiped after every
 *    exchange.
 */
#include <assert.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include "wg.h"

/* The kernel sizes a dump message by the largest buffer a reader has
 * offered, capped below 32 KiB (netlink_recvmsg()). */
#define RECV_BUFFER_SIZE 32768U
#define DUMP_ATTEMPTS 8

struct WgSocket {
	int fd;
	uint16_t family_id;
	uint32_t seq;
	uint8_t *buf; /* RECV_BUFFER_SIZE bytes */
};

typedef int (*ReplyHandler)(const struct nlmsghdr *nlh, void *userdata);

WgSocket *wg_socket_free(WgSocket *s)
{
	if (!s)
		return NULL;
	safe_close(s->fd);
	erase_and_free(s->buf, RECV_BUFFER_SIZE);
	free(s);
	return NULL;
}

static int socket_send(WgSocket *s, const void *data, size_t size)
{
	const struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t k;

	do
		k = sendto(s->fd, data, size, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return negative_errno();
	return (size_t)k == size ? 0 : -EIO;
}

/* One datagram from the kernel into s->buf. */
static int socket_recv(WgSocket *s, size_t *ret_size)
{
	for (;;) {
		struct sockaddr_nl from = {};
		struct iovec iov = {s->buf, RECV_BUFFER_SIZE};
		struct msghdr mh = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t k = recvmsg(s->fd, &mh, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (from.nl_pid != 0) /* not from the kernel */
			continue;
		*ret_size = (size_t)k;
		return 0;
	}
}

/* The kernel's control messages. Returns 1 for a data message, 0 when
 * the exchange is complete (ACK or NLMSG_DONE), -errno when it ended in an
 * error. */
static int control_message(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err;
	int e;

	switch (nlh->nlmsg_type) {
	case NLMSG_DONE:
		/* A dump that failed half-way reports its error here. */
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(e))
			return 0;
		memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
		return MIN(e, 0);
	case NLMSG_ERROR:
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
			return -EBADMSG;
		err = mnl_nlmsg_get_payload(nlh);
		return MIN(err->error, 0);
	case NLMSG_OVERRUN:
		return -ENOBUFS;
	default:
		return 1;
	}
}

/* Sends one request and feeds every reply with its sequence number to
 * handler until the kernel's ACK, NLMSG_DONE or error. When the handler
 * fails, the rest of the replies is still read: an unfinished dump would
 * make the kernel refuse the next one (EBUSY). */
static int transact(WgSocket *s, const void *req, size_t size, ReplyHandler handler,
		    void *userdata)
{
	uint32_t seq = ((const struct nlmsghdr *)req)->nlmsg_seq;
	size_t used = 0;
	int r, result = 0;

	r = socket_send(s, req, size);
	if (r < 0)
		return r;
	do {
		const struct nlmsghdr *nlh;
		size_t n;
		int left;

		r = socket_recv(s, &n);
		if (r < 0)
			break;
		used = MAX(used, n);
		left = (int)n;
		r = 1;
		for (nlh = (const struct nlmsghdr *)s->buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_type == NLMSG_NOOP)
				continue;
			r = control_message(nlh);
			if (r <= 0)
				break;
			if (handler && result >= 0)
				result = MIN(handler(nlh, userdata), 0);
		}
	} while (r > 0);
	explicit_bzero(s->buf, used);
	return r < 0 ? r : result;
}

static int family_handler(const struct nlmsghdr *nlh, void *userdata)
{
	const struct nlattr *a;

	if (nlh->nlmsg_type != GENL_ID_CTRL)
		return 1;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_get_payload_len(a) == sizeof(uint16_t))
			*(uint16_t *)userdata = mnl_attr_get_u16(a);
	return 1;
}

static int resolve_family(WgSocket *s)
{
	uint8_t buf[MNL_NLMSG_HDRLEN + GENL_HDRLEN + 64] = {};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	uint16_t id = 0;
	int r;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++s->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);

	/* The controller loads the module on demand; ENOENT means there is
	 * no WireGuard in this kernel. */
	r = transact(s, nlh, nlh->nlmsg_len, family_handler, &id);
	if (r == -ENOENT)
		return -EPROTONOSUPPORT;
	if (r < 0)
		return r;
	if (id == 0)
		return -EBADMSG;
	s->family_id = id;
	return 0;
}

/* Checks that fd is a NETLINK_GENERIC socket and binds it (port id
 * assigned by the kernel) unless it is bound already. */
static int socket_prepare(int fd)
{
	struct sockaddr_nl sa = {};
	socklen_t len = sizeof(int), salen = sizeof(sa);
	int domain = 0, protocol = -1, one = 1;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return negative_errno();
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) < 0)
		return negative_errno();
	if (domain != AF_NETLINK || protocol != NETLINK_GENERIC)
		return -EPROTOTYPE;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		return negative_errno();
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
		return negative_errno();
	if (sa.nl_pid == 0) {
		sa = (struct sockaddr_nl){.nl_family = AF_NETLINK};
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return negative_errno();
	}
	return 0;
}

int wg_socket_open_fd(int fd, WgSocket **ret)
{
	_cleanup_(wg_socket_freep) WgSocket *s = NULL;
	int r;

	/* The kernel's answers carry the private and preshared keys. */
	r = secrets_protect_process();
	if (r < 0)
		return r;
	r = socket_prepare(fd);
	if (r < 0)
		return r;
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->buf = xmalloc(RECV_BUFFER_SIZE);
	r = resolve_family(s);
	if (r < 0) {
		s->fd = -EBADF; /* not ours on failure */
		return r;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int wg_socket_open(WgSocket **ret)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return negative_errno();
	r = wg_socket_open_fd(fd, ret);
	if (r < 0)
		return r;
	TAKE_FD(fd);
	return 0;
}

typedef struct DumpContext {
	WgDevice *device;
	uint16_t family_id;
	bool interrupted;
} DumpContext;

static int dump_handler(const struct nlmsghdr *nlh, void *userdata)
{
	DumpContext *c = userdata;
	int r;

	if (nlh->nlmsg_type != c->family_id)
		return 1;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->interrupted = true;
	/* After an interruption the rest is only read to drain the socket
	 * (transact() goes on to NLMSG_DONE); the result is thrown away. */
	if (c->interrupted)
		return 1;
	r = wg_parse_device_message(nlh, nlh->nlmsg_len, c->device);
	return r < 0 ? r : 1;
}

static int get_device_once(WgSocket *s, const char *ifname, WgDevice **ret)
{
	_cleanup_(wg_messages_freep) WgMessages *m = NULL;
	_cleanup_(wg_device_freep) WgDevice *d = xcalloc(1, sizeof(WgDevice));
	DumpContext c = {.device = d, .family_id = s->family_id};
	const void *req;
	size_t size;
	int r;

	r = wg_build_get_device(s->family_id, ++s->seq, ifname, &m);
	if (r < 0)
		return r;
	req = wg_message_data(m, 0, &size);
	r = transact(s, req, size, dump_handler, &c);
	if (r < 0)
		return r;
	if (c.interrupted)
		return -EAGAIN;
	wg_device_sort(d);
	*ret = TAKE_PTR(d);
	return 0;
}

int wg_get_device(WgSocket *s, const char *ifname, WgDevice **ret)
{
	int r = -EAGAIN;

	assert(s && ret);
	for (unsigned i = 0; i < DUMP_ATTEMPTS && r == -EAGAIN; i++)
		r = get_device_once(s, ifname, ret);
	return r;
}

int wg_set_device(WgSocket *s, const WgDevice *change)
{
	_cleanup_(wg_messages_freep) WgMessages *m = NULL;
	int r;

	assert(s && change);
	r = wg_build_set_device(s->family_id, s->seq + 1, change, &m);
	if (r < 0)
		return r;
	s->seq += (uint32_t)wg_messages_count(m);

	/* Each message is applied by the kernel on its own; on a failure
	 * the earlier ones stay applied and the caller's next diff sees
	 * exactly how far it got. */
	for (size_t i = 0; i < wg_messages_count(m); i++) {
		size_t size;
		const void *data = wg_message_data(m, i, &size);

		r = transact(s, data, size, NULL, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}
