/* SPDX-License-Identifier: MIT */
/*
 * nettest: the packet tool of the integration tests. Tests only ever point
 * it at addresses they assigned to interfaces of namespaces they created.
 *
 *   nettest udp-server ADDR PORT [--reply] [--count-file F]
 *   nettest tcp-server ADDR PORT [--count-file F]
 *       serve until killed; every datagram/connection increments the count
 *       written to F; --reply echoes datagrams, connections get "ok\n".
 *   nettest udp ADDR PORT [--timeout MS]
 *       send one datagram, exit 0 when a reply arrives, 1 on timeout.
 *   nettest tcp ADDR PORT [--timeout MS]
 *       connect, exit 0 when connected and "ok" was read, 1 otherwise.
 *   nettest udp-flood ADDR PORT --duration MS
 *       send datagrams as fast as possible for MS; prints the number the
 *       kernel accepted and the number attempted ("SENT ATTEMPTED").
 *   nettest send-udp ADDR PORT
 *       send one datagram and exit 0 when the kernel accepted it, 1 when
 *       sendto() failed (an nftables drop in output reports EPERM).
 *   nettest raw-udp ADDR PORT --dev IF --dst-mac MAC --src SRC [--count N]
 *       write N (default 3) whole Ethernet frames carrying an IPv4 or IPv6
 *       UDP datagram from SRC to ADDR:PORT onto IF with an AF_PACKET socket,
 *       addressed to MAC: what a process with CAP_NET_RAW can send past
 *       every nftables hook of its namespace. Exit 0 when all were sent.
 *
 * Exit status 2 for usage or setup errors (bind failures and the like).
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef union {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
} Addr;

static int parse_addr(const char *host_arg, const char *port, Addr *a, socklen_t *len)
{
	char host[128], *zone;
	int p = atoi(port);

	/* "fe80::1%eth0": a link-local address with its interface. */
	snprintf(host, sizeof(host), "%s", host_arg);
	zone = strchr(host, '%');
	if (zone)
		*zone++ = 0;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons((uint16_t)p);
		*len = sizeof(a->in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)p);
		a->in6.sin6_scope_id = zone ? if_nametoindex(zone) : 0;
		*len = sizeof(a->in6);
		return 0;
	}
	fprintf(stderr, "nettest: not a literal address: %s\n", host);
	return -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void write_count(const char *file, unsigned long n)
{
	char tmp[4096];
	FILE *f;

	if (!file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%lu\n", n);
	fclose(f);
	rename(tmp, file);
}

static int server_socket(int type, const Addr *a, socklen_t len)
{
	int one = 1, fd = socket(a->sa.sa_family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Servers may bind addresses of interfaces that are not up yet. */
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, &a->sa, len) < 0 || (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		fprintf(stderr, "nettest: bind: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int udp_server(const Addr *a, socklen_t len, bool reply, const char *count_file)
{
	unsigned long n = 0;
	char buf[2048];
	int fd = server_socket(SOCK_DGRAM, a, len);

	if (fd < 0)
		return 2;
	write_count(count_file, 0);
	for (;;) {
		Addr from;
		socklen_t fl = sizeof(from);
		ssize_t k = recvfrom(fd, buf, sizeof(buf), 0, &from.sa, &fl);
		if (k < 0)
			continue;
		write_count(count_file, ++n);
		if (reply)
			(void)sendto(fd, buf, (size_t)k, 0, &from.sa, fl);
	}
}

static int tcp_server(const Addr *a, socklen_t len, const char *count_file)
{
	unsigned long n = 0;
	int fd = server_socket(SOCK_STREAM, a, len);

	if (fd < 0)
		return 2;
	write_count(count_file, 0);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		write_count(count_file, ++n);
		(void)!write(c, "ok\n", 3);
		close(c);
	}
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, timeout_ms) == 1 ? 0 : -1;
}

static int udp_client(const Addr *a, socklen_t len, int timeout_ms)
{
	char buf[64];
	int fd = socket(a->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 2;
	if (sendto(fd, "ping", 4, 0, &a->sa, len) < 0)
		return 1;
	if (wait_readable(fd, timeout_ms) < 0 || recv(fd, buf, sizeof(buf), 0) <= 0)
		return 1;
	return 0;
}

static int tcp_client(const Addr *a, socklen_t len, int timeout_ms)
{
	struct pollfd p;
	char buf[8];
	int fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return 2;
	if (connect(fd, &a->sa, len) < 0 && errno != EINPROGRESS)
		return 1;
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, timeout_ms) != 1)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0)
		return 1;
	if (wait_readable(fd, timeout_ms) < 0 || read(fd, buf, sizeof(buf)) < 2)
		return 1;
	return strncmp(buf, "ok", 2) == 0 ? 0 : 1;
}

static int udp_flood(const Addr *a, socklen_t len, int duration_ms)
{
	unsigned long sent = 0, attempted = 0;
	uint64_t end = now_ms() + (uint64_t)duration_ms;
	int fd = socket(a->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 2;
	while (now_ms() < end)
		for (int i = 0; i < 64; i++, attempted++)
			if (sendto(fd, "flood", 5, MSG_DONTWAIT, &a->sa, len) >= 0)
				sent++;
	printf("%lu %lu\n", sent, attempted);
	return 0;
}

static int send_udp(const Addr *a, socklen_t len)
{
	int fd = socket(a->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 2;
	return sendto(fd, "x", 1, 0, &a->sa, len) < 0 ? 1 : 0;
}

static int usage(void);

static uint16_t ip_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

typedef struct RawOptions {
	const char *dev, *dst_mac, *src;
	int count;
} RawOptions;

/* An IPv4 or IPv6 UDP datagram from src to a, "rawframe" inside, at buf;
 * returns its length, or 0 when src is not an address of a's family. */
static size_t build_datagram(const Addr *a, const char *src, uint8_t *buf, uint16_t id)
{
	static const char payload[8] = "rawframe";
	struct udphdr udp = {.source = htons(40000),
			     .len = htons(sizeof(udp) + sizeof(payload))};

	if (a->sa.sa_family == AF_INET) {
		struct iphdr ip = {.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP,
				   .id = htons(id),
				   .tot_len = htons(sizeof(ip) + sizeof(udp) + sizeof(payload)),
				   .daddr = a->in.sin_addr.s_addr};
		if (inet_pton(AF_INET, src, &ip.saddr) != 1)
			return 0;
		ip.check = ip_checksum(&ip, sizeof(ip));
		udp.dest = a->in.sin_port; /* UDP over IPv4 may go without checksum */
		memcpy(buf, &ip, sizeof(ip));
		memcpy(buf + sizeof(ip), &udp, sizeof(udp));
		memcpy(buf + sizeof(ip) + sizeof(udp), payload, sizeof(payload));
		return sizeof(ip) + sizeof(udp) + sizeof(payload);
	}
	/* IPv6: the UDP checksum is mandatory, over a pseudo-header. */
	struct ip6_hdr ip6 = {.ip6_flow = htonl(6u << 28), .ip6_nxt = IPPROTO_UDP, .ip6_hlim = 64,
			      .ip6_plen = udp.len, .ip6_dst = a->in6.sin6_addr};
	uint8_t pseudo[40 + sizeof(udp) + sizeof(payload)] = {};

	if (inet_pton(AF_INET6, src, &ip6.ip6_src) != 1)
		return 0;
	udp.dest = a->in6.sin6_port;
	memcpy(pseudo, &ip6.ip6_src, 16);
	memcpy(pseudo + 16, &ip6.ip6_dst, 16);
	pseudo[34] = (uint8_t)(ntohs(udp.len) >> 8);
	pseudo[35] = (uint8_t)ntohs(udp.len);
	pseudo[39] = IPPROTO_UDP;
	memcpy(pseudo + 40, &udp, sizeof(udp));
	memcpy(pseudo + 40 + sizeof(udp), payload, sizeof(payload));
	udp.check = ip_checksum(pseudo, sizeof(pseudo));
	memcpy(buf, &ip6, sizeof(ip6));
	memcpy(buf + sizeof(ip6), &udp, sizeof(udp));
	memcpy(buf + sizeof(ip6) + sizeof(udp), payload, sizeof(payload));
	return sizeof(ip6) + sizeof(udp) + sizeof(payload);
}

static int raw_udp(const Addr *a, const RawOptions *o)
{
	uint8_t frame[sizeof(struct ether_header) + 64] = {};
	struct ether_header *eth = (struct ether_header *)frame;
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_halen = ETH_ALEN};
	struct ifreq ifr = {};
	unsigned m[ETH_ALEN];
	int fd;

	if (!o->dev || !o->dst_mac || !o->src ||
	    sscanf(o->dst_mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6 ||
	    build_datagram(a, o->src, frame + sizeof(*eth), 0) == 0)
		return usage();
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "nettest: AF_PACKET socket: %s\n", strerror(errno));
		return 2;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "nettest: %s: %s\n", o->dev, strerror(errno));
		return 2;
	}
	ll.sll_ifindex = (int)if_nametoindex(o->dev);
	for (int i = 0; i < ETH_ALEN; i++)
		eth->ether_dhost[i] = ll.sll_addr[i] = (uint8_t)m[i];
	memcpy(eth->ether_shost, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	eth->ether_type = htons(a->sa.sa_family == AF_INET ? ETHERTYPE_IP : ETHERTYPE_IPV6);
	for (int i = 0; i < o->count; i++) {
		size_t n = build_datagram(a, o->src, frame + sizeof(*eth), (uint16_t)(i + 1));
		if (sendto(fd, frame, sizeof(*eth) + n, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
			fprintf(stderr, "nettest: send: %s\n", strerror(errno));
			return 1;
		}
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: nettest udp-server|tcp-server|udp|tcp|udp-flood|send-udp|raw-udp "
			"ADDR PORT [--reply] [--count-file F] [--timeout MS] [--duration MS] "
			"[--dev IF --dst-mac MAC --src SRC --count N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *count_file = NULL;
	int timeout_ms = 1000, duration_ms = 1000;
	RawOptions raw = {.count = 3};
	bool reply = false;
	socklen_t len;
	Addr a;

	if (argc < 4)
		return usage();
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--reply") == 0)
			reply = true;
		else if (strcmp(argv[i], "--count-file") == 0 && i + 1 < argc)
			count_file = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
			duration_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "--dev") == 0 && i + 1 < argc)
			raw.dev = argv[++i];
		else if (strcmp(argv[i], "--dst-mac") == 0 && i + 1 < argc)
			raw.dst_mac = argv[++i];
		else if (strcmp(argv[i], "--src") == 0 && i + 1 < argc)
			raw.src = argv[++i];
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			raw.count = atoi(argv[++i]);
		else
			return usage();
	}
	if (parse_addr(argv[2], argv[3], &a, &len) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);

	if (strcmp(argv[1], "udp-server") == 0)
		return udp_server(&a, len, reply, count_file);
	if (strcmp(argv[1], "tcp-server") == 0)
		return tcp_server(&a, len, count_file);
	if (strcmp(argv[1], "udp") == 0)
		return udp_client(&a, len, timeout_ms);
	if (strcmp(argv[1], "tcp") == 0)
		return tcp_client(&a, len, timeout_ms);
	if (strcmp(argv[1], "udp-flood") == 0)
		return udp_flood(&a, len, duration_ms);
	if (strcmp(argv[1], "send-udp") == 0)
		return send_udp(&a, len);
	if (strcmp(argv[1], "raw-udp") == 0)
		return raw_udp(&a, &raw);
	return usage();
}
