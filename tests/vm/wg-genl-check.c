/* SPDX-License-Identifier: MIT */
/*
 * wg-genl-check: drives a real kernel's WireGuard through vpnconf's wg.h
 * only (no wg(8)), for test-wg-genl.sh. Runs in the network namespace it
 * is started in.
 *
 *   wg-genl-check genkey PATH        wg_key_generate_file(); prints
 *                                    "created" or "exists"
 *   wg-genl-check set IFNAME CONF    desired config -> Namespace ->
 *                                    wg_device_from_desired(), diff with
 *                                    the kernel, apply, and check that a
 *                                    second diff is empty; prints one line
 *                                    per difference
 *   wg-genl-check show IFNAME        the device, one line per peer, in the
 *                                    layout of "wg show IFNAME dump" but
 *                                    with "(hidden)" for secret keys and
 *                                    without handshake and counters
 *   wg-genl-check stat IFNAME        "PUBKEY HANDSHAKE_USEC RX TX" per peer
 *   wg-genl-check dump-count IFNAME  a raw dump: "messages M peers P
 *                                    allowed-ips A"
 *   wg-genl-check bench IFNAME N     N times get + diff; prints timings
 *   wg-genl-check randkeys N         N random 32-byte values in base64 (as
 *                                    peer public keys)
 *
 * CONF has one "key value" per line: private-key-file, listen-port,
 * fwmark, and "peer PUBKEY" followed by that peer's preshared-key-file,
 * endpoint (ADDR:PORT or [ADDR]:PORT), keepalive and allowed-ip lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "wg.h"

static int fail(const char *what, int r)
{
	fprintf(stderr, "wg-genl-check: %s: %s\n", what, strerror(-r));
	return 1;
}

/* The config file, as a Namespace. */

static void namespace_free_fields(Namespace *ns)
{
	FOREACH_ARRAY(p, ns->wg.peers, ns->wg.n_peers) {
		free(p->public_key_b64);
		free(p->preshared_key_file);
		free(p->allowed_ips);
	}
	free(ns->wg.peers);
	free(ns->wg.private_key_file);
	free(ns->name);
}

static int parse_endpoint(const char *s, Endpoint *ret)
{
	_cleanup_free_ char *host = NULL;
	const char *colon = strrchr(s, ':');
	uint64_t port;

	if (!colon || safe_atou64(colon + 1, &port) < 0 || port == 0 || port > 65535)
		return -EINVAL;
	if (s[0] == '[') {
		if (colon - s < 2 || colon[-1] != ']')
			return -EINVAL;
		host = xstrndup(s + 1, (size_t)(colon - s - 2));
	} else
		host = xstrndup(s, (size_t)(colon - s));
	if (ipaddr_parse(host, &ret->addr) < 0)
		return -EINVAL;
	ret->literal = true;
	ret->port = (uint16_t)port;
	return 0;
}

static int parse_line(Namespace *ns, const char *key, const char *value)
{
	Peer *p = ns->wg.n_peers > 0 ? &ns->wg.peers[ns->wg.n_peers - 1] : NULL;
	uint64_t v;
	size_t n;

	if (streq(key, "private-key-file")) {
		free(ns->wg.private_key_file);
		ns->wg.private_key_file = xstrdup(value);
	} else if (streq(key, "listen-port") && safe_atou64(value, &v) >= 0 && v <= 65535)
		ns->wg.listen_port = v == 0 ? -1 : (int32_t)v;
	else if (streq(key, "fwmark") && safe_atou64(value, &v) >= 0 && v <= UINT32_MAX)
		ns->wg.fwmark = (uint32_t)v;
	else if (streq(key, "peer")) {
		p = ARRAY_APPEND(ns->wg.peers, ns->wg.n_peers);
		if (base64_decode(value, p->public_key, WG_KEY_LEN, &n) < 0 || n != WG_KEY_LEN)
			return -EINVAL;
		p->public_key_b64 = xstrdup(value);
	} else if (!p)
		return -EINVAL;
	else if (streq(key, "preshared-key-file")) {
		free(p->preshared_key_file);
		p->preshared_key_file = xstrdup(value);
	} else if (streq(key, "endpoint")) {
		p->has_endpoint = true;
		return parse_endpoint(value, &p->endpoint);
	} else if (streq(key, "keepalive") && safe_atou64(value, &v) >= 0 && v <= 65535)
		p->persistent_keepalive = (uint16_t)v;
	else if (streq(key, "allowed-ip")) {
		IpPrefix *a = ARRAY_APPEND(p->allowed_ips, p->n_allowed_ips);
		return ipprefix_parse(value, true, a);
	} else
		return -EINVAL;
	return 0;
}

static int load_config(const char *path, const char *ifname, Namespace *ns)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	unsigned lineno = 0;
	int r;

	r = read_full_file(path, 16 << 20, &text, NULL);
	if (r < 0)
		return r;
	ns->name = xstrdup("check");
	ns->wg.managed = true;
	ns->wg.listen_port = -1;
	snprintf(ns->wg.ifname, IFNAMSIZ, "%s", ifname);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, ' ');

		lineno++;
		if (*line == '#')
			continue;
		if (value)
			*value++ = 0;
		if (!value || parse_line(ns, line, value) < 0) {
			fprintf(stderr, "wg-genl-check: %s:%u: bad line\n", path, lineno);
			return -EINVAL;
		}
	}
	return 0;
}

static int cmd_set(WgSocket *s, const char *ifname, const char *conf)
{
	_cleanup_(wg_device_freep) WgDevice *want = NULL, *have = NULL, *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	_cleanup_free_ char *error_path = NULL;
	Namespace ns = {};
	int r;

	r = load_config(conf, ifname, &ns);
	if (r >= 0)
		r = wg_device_from_desired(&ns, NULL, &want, &error_path);
	namespace_free_fields(&ns);
	if (r < 0)
		return fail(error_path ?: conf, r);
	r = wg_get_device(s, ifname, &have);
	if (r < 0)
		return fail("get", r);
	r = wg_diff(want, have, &diffs, &change);
	if (r < 0)
		return fail("diff", r);
	STRV_FOREACH(l, diffs)
		printf("%s\n", *l);
	if (!change)
		return 0;
	r = wg_set_device(s, change);
	if (r < 0)
		return fail("set", r);

	/* Converged: nothing differs any more. */
	have = wg_device_free(have);
	change = wg_device_free(change);
	diffs = strv_free(diffs);
	r = wg_get_device(s, ifname, &have);
	if (r < 0)
		return fail("get after set", r);
	r = wg_diff(want, have, &diffs, &change);
	if (r < 0)
		return fail("diff after set", r);
	STRV_FOREACH(l, diffs)
		fprintf(stderr, "wg-genl-check: still differs after set: %s\n", *l);
	return change ? 1 : 0;
}

static void print_endpoint(const WgSockaddr *e)
{
	char a[IPADDR_STRLEN];

	if (e->sa.sa_family == AF_INET)
		printf("%s:%u", inet_ntop(AF_INET, &e->in.sin_addr, a, sizeof(a)),
		       ntohs(e->in.sin_port));
	else if (e->sa.sa_family == AF_INET6)
		printf("[%s]:%u", inet_ntop(AF_INET6, &e->in6.sin6_addr, a, sizeof(a)),
		       ntohs(e->in6.sin6_port));
	else
		printf("(none)");
}

static int cmd_show(WgSocket *s, const char *ifname)
{
	_cleanup_(wg_device_freep) WgDevice *d = NULL;
	_cleanup_free_ char *pub = NULL;
	char buf[IPPREFIX_STRLEN];
	int r;

	r = wg_get_device(s, ifname, &d);
	if (r < 0)
		return fail("get", r);
	pub = d->has_public_key ? base64_encode(d->public_key, WG_KEY_LEN) : xstrdup("(none)");
	printf("%s\t%s\t%u\t", d->has_private_key ? "(hidden)" : "(none)", pub, d->listen_port);
	if (d->fwmark)
		printf("0x%x\n", d->fwmark);
	else
		printf("off\n");
	FOREACH_ARRAY(p, d->peers, d->n_peers) {
		_cleanup_free_ char *key = base64_encode(p->public_key, WG_KEY_LEN);

		printf("%s\t%s\t", key, p->has_preshared_key ? "(hidden)" : "(none)");
		print_endpoint(&p->endpoint);
		printf("\t");
		for (size_t i = 0; i < p->n_allowed_ips; i++)
			printf("%s%s", i ? "," : "", ipprefix_to_string(&p->allowed_ips[i], buf));
		if (p->n_allowed_ips == 0)
			printf("(none)");
		if (p->persistent_keepalive)
			printf("\t%u\n", p->persistent_keepalive);
		else
			printf("\toff\n");
	}
	return 0;
}

static int cmd_stat(WgSocket *s, const char *ifname)
{
	_cleanup_(wg_device_freep) WgDevice *d = NULL;
	int r;

	r = wg_get_device(s, ifname, &d);
	if (r < 0)
		return fail("get", r);
	FOREACH_ARRAY(p, d->peers, d->n_peers) {
		_cleanup_free_ char *key = base64_encode(p->public_key, WG_KEY_LEN);
		printf("%s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", key, p->last_handshake_usec,
		       p->rx_bytes, p->tx_bytes);
	}
	return 0;
}

/* The dump, done by hand to count the kernel's messages; each is fed to
 * wg_parse_device_message() like wg_get_device() does. */

static uint16_t resolve_family(struct mnl_socket *nl, uint8_t *buf, size_t size)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	uint16_t id = 0;
	ssize_t n;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return 0;
	n = mnl_socket_recvfrom(nl, buf, size);
	nlh = (struct nlmsghdr *)buf;
	if (n <= 0 || nlh->nlmsg_type != GENL_ID_CTRL)
		return 0;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			id = mnl_attr_get_u16(a);
	return id;
}

static int cmd_dump_count(const char *ifname)
{
	_cleanup_(wg_messages_freep) WgMessages *m = NULL;
	_cleanup_(wg_device_freep) WgDevice *d = xcalloc(1, sizeof(WgDevice));
	static uint8_t buf[65536];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_GENERIC);
	unsigned messages = 0;
	size_t size, ips = 0;
	uint16_t family;
	const void *req;
	int r = 0;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return fail("socket", -errno);
	family = resolve_family(nl, buf, sizeof(buf));
	if (family == 0 || wg_build_get_device(family, 2, ifname, &m) < 0)
		return fail("family", -EPROTONOSUPPORT);
	req = wg_message_data(m, 0, &size);
	if (mnl_socket_sendto(nl, req, size) < 0)
		return fail("send", -errno);
	for (bool done = false; !done && r >= 0;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int left = (int)n;

		if (n < 0)
			return fail("recv", -errno);
		for (const struct nlmsghdr *nlh = (void *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				return fail("dump", -EINTR);
			messages++;
			r = wg_parse_device_message(nlh, nlh->nlmsg_len, d);
		}
	}
	explicit_bzero(buf, sizeof(buf));
	mnl_socket_close(nl);
	if (r < 0)
		return fail("parse", r);
	FOREACH_ARRAY(p, d->peers, d->n_peers)
		ips += p->n_allowed_ips;
	printf("messages %u peers %zu allowed-ips %zu\n", messages, d->n_peers, ips);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* get + diff against what was read first (so the diff has to compare
 * everything and finds nothing), N times. */
static int cmd_bench(WgSocket *s, const char *ifname, unsigned n)
{
	_cleanup_(wg_device_freep) WgDevice *want = NULL;
	uint64_t get_ns = 0, diff_ns = 0, t0, t1, t2;
	size_t peers, ips = 0;
	int r;

	r = wg_get_device(s, ifname, &want);
	if (r < 0)
		return fail("get", r);
	for (unsigned i = 0; i < n; i++) {
		_cleanup_(wg_device_freep) WgDevice *have = NULL, *change = NULL;

		t0 = now_ns();
		r = wg_get_device(s, ifname, &have);
		t1 = now_ns();
		if (r < 0)
			return fail("get", r);
		r = wg_diff(want, have, NULL, &change);
		t2 = now_ns();
		if (r < 0 || change)
			return fail("diff", r < 0 ? r : -EBADE);
		get_ns += t1 - t0;
		diff_ns += t2 - t1;
	}
	peers = want->n_peers;
	FOREACH_ARRAY(p, want->peers, want->n_peers)
		ips += p->n_allowed_ips;
	printf("%s: %zu peers, %zu allowed IPs: get_device %.3f ms, diff %.3f ms, total %.3f ms "
	       "(mean of %u)\n",
	       ifname, peers, ips, get_ns / 1e6 / n, diff_ns / 1e6 / n,
	       (get_ns + diff_ns) / 1e6 / n, n);
	return 0;
}

static int cmd_randkeys(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint8_t k[WG_KEY_LEN];
		_cleanup_free_ char *b64 = NULL;

		if (getrandom(k, sizeof(k), 0) != sizeof(k))
			return fail("getrandom", -EIO);
		b64 = base64_encode(k, sizeof(k));
		printf("%s\n", b64);
	}
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(wg_socket_freep) WgSocket *s = NULL;
	uint64_t n;
	int r;

	if (argc == 3 && streq(argv[1], "genkey")) {
		r = wg_key_generate_file(argv[2]);
		if (r < 0)
			return fail(argv[2], r);
		printf("%s\n", r ? "created" : "exists");
		return 0;
	}
	if (argc == 3 && streq(argv[1], "randkeys") && safe_atou64(argv[2], &n) >= 0)
		return cmd_randkeys(n);
	if (argc == 3 && streq(argv[1], "dump-count"))
		return cmd_dump_count(argv[2]);
	if (argc < 3) {
		fprintf(stderr, "usage: wg-genl-check genkey|set|show|stat|dump-count|bench ...\n");
		return 2;
	}
	r = wg_socket_open(&s);
	if (r < 0)
		return fail("wg_socket_open", r);
	if (argc == 4 && streq(argv[1], "set"))
		return cmd_set(s, argv[2], argv[3]);
	if (argc == 3 && streq(argv[1], "show"))
		return cmd_show(s, argv[2]);
	if (argc == 3 && streq(argv[1], "stat"))
		return cmd_stat(s, argv[2]);
	if (argc == 4 && streq(argv[1], "bench") && safe_atou64(argv[3], &n) >= 0 && n > 0)
		return cmd_bench(s, argv[2], (unsigned)n);
	fprintf(stderr, "wg-genl-check: bad arguments\n");
	return 2;
}
