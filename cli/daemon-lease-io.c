/* SPDX-License-Identifier: MIT */
/*
 * The lease loop's UDP socket and its io source. The socket is created
 * inside the confinement namespace, so a request can only leave through
 * that namespace's routes and policy: through the tunnel, to the gateway's
 * port 5351 (the policy admits nothing else of it). connect() makes the
 * kernel drop datagrams from any other source; what arrives is still
 * parsed as untrusted input, and anything malformed is ignored.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "daemon-lease.h"
#include "daemon.h"
#include "log.h"

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Lease *l = userdata;

	/* Bounded: at most a few datagrams per wakeup, the rest next time. */
	for (unsigned i = 0; i < 16; i++) {
		uint8_t buf[NATPMP_RESPONSE_MAX + 1];
		NatpmpResponse r;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0)
			break; /* EAGAIN, or ICMP errors (ECONNREFUSED): retried by the timer */
		if (natpmp_parse_response(buf, (size_t)n, &r) < 0) {
			l->malformed++;
			continue;
		}
		lease_on_response(l, &r, now_usec_monotonic());
	}
	(void)lease_timer_arm(l);
	daemon_schedule(l->daemon);
	return 0;
}

int lease_io_open(Lease *l)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(NATPMP_PORT),
				 .sin_addr = l->gateway};
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (l->fd >= 0)
		return 0;
	fd = netns_socket(l->netns, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	/* Fails while the tunnel has no route to the gateway: retried. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	r = sd_event_add_io(l->daemon->event, &l->io, fd, EPOLLIN, on_readable, l);
	if (r < 0)
		return r;
	l->fd = TAKE_FD(fd);
	return 0;
}

void lease_io_close(Lease *l)
{
	l->io = sd_event_source_disable_unref(l->io);
	l->fd = safe_close(l->fd);
}

int lease_io_send(Lease *l, NatpmpOp op, uint32_t lifetime)
{
	uint8_t buf[NATPMP_REQUEST_MAX];
	/* Internal port 1, as ProtonVPN's gateway expects (it forwards the
	 * external port it grants to the same port on the client); the
	 * previous port is suggested so that a renewal keeps it. */
	size_t n = natpmp_build_map(buf, sizeof(buf), op, 1, lifetime ? l->port : 0, lifetime);
	int r;

	if (n == 0)
		return -EINVAL;
	r = lease_io_open(l);
	if (r < 0)
		return r;
	if (send(l->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		r = negative_errno();
		/* A socket whose route went away: opened afresh next time. */
		lease_io_close(l);
		return r;
	}
	return 0;
}
