/* SPDX-License-Identifier: MIT */
/*
 * WireGuard generic netlink messages: golden bytes of WG_CMD_SET_DEVICE and
 * WG_CMD_GET_DEVICE requests, parsing of synthetic dump messages (shaped
 * like the kernel's, including a peer cut between two messages), and the
 * splitting of large change sets, checked by applying the messages to a
 * model of the kernel's set semantics. Golden files live in golden/ next
 * to this file; VPNCONF_UPDATE_GOLDEN=1 rewrites them.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libgen.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <stdio.h>
#include <sys/socket.h>

#include "test-golden.h"
#include "test-wg.h"
#include "test.h"
#include "wg.h"

#define FAMILY_ID 0x1b
#define SEQ 1000

/* Golden files: hex, 16 bytes a line, one block per message. */

static char *messages_to_hex(const WgMessages *m)
{
	_cleanup_strv_free_ char **lines = NULL;

	for (size_t i = 0; i < wg_messages_count(m); i++) {
		size_t size;
		const uint8_t *b = wg_message_data(m, i, &size);

		strv_pushf(&lines, "# message %zu: %zu bytes", i, size);
		for (size_t off = 0; off < size; off += 16) {
			_cleanup_free_ char *hex = hexmem(b + off, MIN(16U, size - off));
			strv_pushf(&lines, "%04zx %s", off, hex);
		}
	}
	strv_push(&lines, "");
	return strv_join(lines, "\n");
}

static void check_golden_messages(const char *name, const WgMessages *m)
{
	_cleanup_free_ char *got = messages_to_hex(m);

	check_golden(name, got);
}

static WgDevice *sample_change(void)
{
	WgDevice *d = xcalloc(1, sizeof(*d));
	WgPeer *p;

	strcpy(d->ifname, "wg-golden");
	d->has_private_key = true;
	fill_key(d->private_key, 0x10);
	d->listen_port = 51820;
	d->fwmark = 0x4000;
	d->change = WG_DEVICE_CHANGE_PRIVATE_KEY | WG_DEVICE_CHANGE_LISTEN_PORT |
		    WG_DEVICE_CHANGE_FWMARK | WG_DEVICE_CHANGE_REPLACE_PEERS;

	p = wg_device_add_peer(d);
	fill_key(p->public_key, 0x20);
	p->has_preshared_key = true;
	fill_key(p->preshared_key, 0x30);
	p->endpoint = endpoint("192.0.2.1", 51820);
	p->persistent_keepalive = 25;
	peer_add_ip(p, "10.0.0.0/24");
	peer_add_ip(p, "10.0.1.0/24");
	p->change = WG_PEER_CHANGE_PRESHARED_KEY | WG_PEER_CHANGE_ENDPOINT |
		    WG_PEER_CHANGE_KEEPALIVE;

	p = wg_device_add_peer(d);
	fill_key(p->public_key, 0x40);
	p->endpoint = endpoint("2001:db8::1", 51821);
	peer_add_ip(p, "10.1.0.0/16");
	peer_add_ip(p, "fd00::/64");
	peer_add_ip(p, "2001:db8:1::/48");
	p->change = WG_PEER_CHANGE_ENDPOINT | WG_PEER_CHANGE_REPLACE_ALLOWED_IPS |
		    WG_PEER_CHANGE_UPDATE_ONLY;
	return d;
}

TEST(set_device_golden)
{
	_cleanup_(wg_device_freep) WgDevice *d = sample_change();
	_cleanup_(wg_messages_freep) WgMessages *m = NULL;

	ASSERT_OK(wg_build_set_device(FAMILY_ID, SEQ, d, &m));
	ASSERT_EQ(wg_messages_count(m), 1);
	check_golden_messages("wg-set-device.hex", m);
}

TEST(get_device_golden)
{
	_cleanup_(wg_messages_freep) WgMessages *m = NULL;
	char long_name[IFNAMSIZ + 1];

	ASSERT_OK(wg_build_get_device(FAMILY_ID, SEQ, "wg-golden", &m));
	ASSERT_EQ(wg_messages_count(m), 1);
	check_golden_messages("wg-get-device.hex", m);

	memset(long_name, 'x', IFNAMSIZ);
	long_name[IFNAMSIZ] = 0;
	ASSERT_ERR(wg_build_get_device(FAMILY_ID, SEQ, long_name, &m), EINVAL);
	ASSERT_ERR(wg_build_get_device(FAMILY_ID, SEQ, "", &m), EINVAL);
}

/* A model of the kernel's WG_CMD_SET_DEVICE (drivers/net/wireguard/
 * netlink.c): enough to tell whether a sequence of messages leaves a
 * device in the intended state. */

typedef struct Model {
	WgDevice *dev;
	size_t n_messages;
	size_t max_size;
} Model;

static WgPeer *model_find(WgDevice *d, const uint8_t *pk)
{
	FOREACH_ARRAY(p, d->peers, d->n_peers)
		if (memcmp(p->public_key, pk, WG_KEY_LEN) == 0)
			return p;
	return NULL;
}

static void model_remove(WgDevice *d, WgPeer *p)
{
	free(p->allowed_ips);
	memmove(p, p + 1, (size_t)((d->peers + d->n_peers) - (p + 1)) * sizeof(*p));
	d->n_peers--;
}

static int table_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= 16)
		tb[type] = a;
	return MNL_CB_OK;
}

static void model_allowed_ip(WgPeer *p, const struct nlattr *nest)
{
	const struct nlattr *tb[17] = {};
	IpPrefix a = {};

	ASSERT_TRUE(mnl_attr_parse_nested(nest, table_cb, tb) >= 0);
	ASSERT_TRUE(tb[WGALLOWEDIP_A_FAMILY] && tb[WGALLOWEDIP_A_IPADDR] &&
		    tb[WGALLOWEDIP_A_CIDR_MASK]);
	a.addr.family = mnl_attr_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
	ASSERT_EQ(mnl_attr_get_payload_len(tb[WGALLOWEDIP_A_IPADDR]), ipaddr_len(a.addr.family));
	memcpy(a.addr.bytes, mnl_attr_get_payload(tb[WGALLOWEDIP_A_IPADDR]),
	       ipaddr_len(a.addr.family));
	a.prefixlen = mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
	*ARRAY_APPEND(p->allowed_ips, p->n_allowed_ips) = a;
}

static void model_peer(WgDevice *d, const struct nlattr *nest)
{
	const struct nlattr *tb[17] = {}, *a;
	uint32_t flags;
	WgPeer *p;

	ASSERT_TRUE(mnl_attr_parse_nested(nest, table_cb, tb) >= 0);
	ASSERT_TRUE(tb[WGPEER_A_PUBLIC_KEY] != NULL);
	flags = tb[WGPEER_A_FLAGS] ? mnl_attr_get_u32(tb[WGPEER_A_FLAGS]) : 0;
	p = model_find(d, mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]));
	if (!p) {
		if (flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY))
			return;
		flags &= ~(uint32_t)WGPEER_F_REPLACE_ALLOWEDIPS;
		p = wg_device_add_peer(d);
		memcpy(p->public_key, mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]), WG_KEY_LEN);
	}
	if (flags & WGPEER_F_REMOVE_ME) {
		model_remove(d, p);
		return;
	}
	if (tb[WGPEER_A_PRESHARED_KEY]) {
		memcpy(p->preshared_key, mnl_attr_get_payload(tb[WGPEER_A_PRESHARED_KEY]),
		       WG_KEY_LEN);
		p->has_preshared_key = true;
	}
	if (tb[WGPEER_A_ENDPOINT]) {
		p->endpoint = (WgSockaddr){};
		memcpy(&p->endpoint, mnl_attr_get_payload(tb[WGPEER_A_ENDPOINT]),
		       mnl_attr_get_payload_len(tb[WGPEER_A_ENDPOINT]));
	}
	if (flags & WGPEER_F_REPLACE_ALLOWEDIPS)
		p->n_allowed_ips = 0;
	if (tb[WGPEER_A_ALLOWEDIPS])
		mnl_attr_for_each_nested(a, tb[WGPEER_A_ALLOWEDIPS])
			model_allowed_ip(p, a);
	if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
		p->persistent_keepalive =
			mnl_attr_get_u16(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
}

static void model_apply(Model *m, const WgMessages *msgs, uint32_t seq)
{
	for (size_t i = 0; i < wg_messages_count(msgs); i++) {
		size_t size;
		const struct nlmsghdr *nlh = wg_message_data(msgs, i, &size);
		const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *tb[17] = {}, *a;
		WgDevice *d = m->dev;

		ASSERT_EQ(nlh->nlmsg_len, size);
		ASSERT_TRUE(size <= WG_MESSAGE_SIZE_MAX);
		ASSERT_EQ(nlh->nlmsg_seq, seq + i);
		ASSERT_EQ(nlh->nlmsg_type, FAMILY_ID);
		ASSERT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
		ASSERT_EQ(genl->cmd, WG_CMD_SET_DEVICE);
		ASSERT_TRUE(mnl_attr_parse(nlh, sizeof(*genl), table_cb, tb) >= 0);
		ASSERT_TRUE(tb[WGDEVICE_A_IFNAME] != NULL);
		ASSERT_STREQ(mnl_attr_get_str(tb[WGDEVICE_A_IFNAME]), d->ifname);
		/* Device attributes belong to the first message only. */
		if (i > 0)
			ASSERT_TRUE(!tb[WGDEVICE_A_FLAGS] && !tb[WGDEVICE_A_PRIVATE_KEY] &&
				    !tb[WGDEVICE_A_LISTEN_PORT] && !tb[WGDEVICE_A_FWMARK]);
		if (tb[WGDEVICE_A_FLAGS] &&
		    (mnl_attr_get_u32(tb[WGDEVICE_A_FLAGS]) & WGDEVICE_F_REPLACE_PEERS))
			while (d->n_peers > 0)
				model_remove(d, &d->peers[0]);
		if (tb[WGDEVICE_A_PRIVATE_KEY]) {
			memcpy(d->private_key, mnl_attr_get_payload(tb[WGDEVICE_A_PRIVATE_KEY]),
			       WG_KEY_LEN);
			d->has_private_key = true;
		}
		if (tb[WGDEVICE_A_LISTEN_PORT])
			d->listen_port = mnl_attr_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
		if (tb[WGDEVICE_A_FWMARK])
			d->fwmark = mnl_attr_get_u32(tb[WGDEVICE_A_FWMARK]);
		if (tb[WGDEVICE_A_PEERS])
			mnl_attr_for_each_nested(a, tb[WGDEVICE_A_PEERS])
				model_peer(d, a);
		m->n_messages++;
		m->max_size = MAX(m->max_size, size);
	}
}

/* Same peers with the same settings and allowed IP sets. */
static void assert_same_device(WgDevice *a, WgDevice *b)
{
	wg_device_sort(a);
	wg_device_sort(b);
	ASSERT_EQ(a->n_peers, b->n_peers);
	ASSERT_EQ(a->fwmark, b->fwmark);
	ASSERT_EQ(a->listen_port, b->listen_port);
	ASSERT_EQ(a->has_private_key, b->has_private_key);
	ASSERT_MEMEQ(a->private_key, b->private_key, WG_KEY_LEN);
	for (size_t i = 0; i < a->n_peers; i++) {
		const WgPeer *p = &a->peers[i], *q = &b->peers[i];

		ASSERT_MEMEQ(p->public_key, q->public_key, WG_KEY_LEN);
		ASSERT_EQ(p->has_preshared_key, q->has_preshared_key);
		ASSERT_MEMEQ(p->preshared_key, q->preshared_key, WG_KEY_LEN);
		ASSERT_MEMEQ(&p->endpoint, &q->endpoint, sizeof(WgSockaddr));
		ASSERT_EQ(p->persistent_keepalive, q->persistent_keepalive);
		ASSERT_EQ(p->n_allowed_ips, q->n_allowed_ips);
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			ASSERT_EQ(ipprefix_compare(&p->allowed_ips[j], &q->allowed_ips[j]), 0);
	}
}

static WgDevice *device_clone(const WgDevice *d)
{
	WgDevice *c = xcalloc(1, sizeof(*c));

	memcpy(c->ifname, d->ifname, IFNAMSIZ);
	c->has_private_key = d->has_private_key;
	memcpy(c->private_key, d->private_key, WG_KEY_LEN);
	c->listen_port = d->listen_port;
	c->fwmark = d->fwmark;
	FOREACH_ARRAY(p, d->peers, d->n_peers) {
		WgPeer *q = wg_device_add_peer(c);

		*q = *p;
		q->change = 0;
		q->allowed_ips = NULL;
		q->n_allowed_ips = 0;
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			*ARRAY_APPEND(q->allowed_ips, q->n_allowed_ips) = p->allowed_ips[j];
	}
	return c;
}

/* 300 peers, one of which has 1,000 allowed IPs (IPv4 and IPv6). */
static WgDevice *big_device(void)
{
	WgDevice *d = xcalloc(1, sizeof(*d));
	char buf[64];

	strcpy(d->ifname, "wg-big");
	d->has_private_key = true;
	fill_key(d->private_key, 0x55);
	d->listen_port = 51820;
	d->fwmark = 7;
	for (unsigned i = 0; i < 300; i++) {
		WgPeer *p = wg_device_add_peer(d);

		fill_key(p->public_key, (uint8_t)i);
		p->public_key[31] = (uint8_t)(i >> 8);
		p->has_preshared_key = i % 3 == 0;
		if (p->has_preshared_key)
			fill_key(p->preshared_key, (uint8_t)(i + 1));
		snprintf(buf, sizeof(buf), "198.51.100.%u", i % 250 + 1);
		p->endpoint = endpoint(buf, (uint16_t)(20000 + i));
		p->persistent_keepalive = i % 2 ? 25 : 0;
		snprintf(buf, sizeof(buf), "10.%u.%u.0/24", i / 256, i % 256);
		peer_add_ip(p, buf);
		snprintf(buf, sizeof(buf), "fd00:%x::/64", i);
		peer_add_ip(p, buf);
		if (i == 150)
			for (unsigned j = 0; j < 1000; j++) {
				if (j % 2)
					snprintf(buf, sizeof(buf), "172.16.%u.%u/32", j / 256,
						 j % 256);
				else
					snprintf(buf, sizeof(buf), "fd01::%x/128", j);
				peer_add_ip(p, buf);
			}
	}
	return d;
}

TEST(split_fresh_device)
{
	_cleanup_(wg_device_freep) WgDevice *want = big_device(), *change = NULL;
	_cleanup_(wg_messages_freep) WgMessages *msgs = NULL;
	Model m = {.dev = xcalloc(1, sizeof(WgDevice))};
	WgPeer *stale;

	/* The kernel device already has a peer that REPLACE_PEERS drops. */
	strcpy(m.dev->ifname, "wg-big");
	stale = wg_device_add_peer(m.dev);
	fill_key(stale->public_key, 0xee);
	peer_add_ip(stale, "192.168.0.0/16");

	ASSERT_OK(wg_diff(want, NULL, NULL, &change));
	ASSERT_TRUE(change != NULL);
	ASSERT_OK(wg_build_set_device(FAMILY_ID, SEQ, change, &msgs));
	model_apply(&m, msgs, SEQ);
	fprintf(stderr, "  300 peers, 1,000 allowed IPs: %zu messages\n", m.n_messages);
	ASSERT_TRUE(m.n_messages > 10);
	assert_same_device(m.dev, want);
	wg_device_free(m.dev);
}

/* A peer cut in several messages: the tail must not carry
 * REPLACE_ALLOWEDIPS, or the head would be dropped. */
TEST(split_peer_allowed_ips)
{
	_cleanup_(wg_device_freep) WgDevice *want = big_device(), *have = NULL,
					    *change = NULL;
	_cleanup_(wg_messages_freep) WgMessages *msgs = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	Model m = {};
	WgPeer *p;

	have = device_clone(want);
	p = &have->peers[150];
	p->n_allowed_ips = 1;
	peer_add_ip(p, "192.168.7.0/24");
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->n_peers, 1);
	ASSERT_EQ(change->peers[0].change,
		  WG_PEER_CHANGE_REPLACE_ALLOWED_IPS | WG_PEER_CHANGE_UPDATE_ONLY);
	ASSERT_EQ(change->change, 0);
	ASSERT_OK(wg_build_set_device(FAMILY_ID, SEQ, change, &msgs));
	ASSERT_TRUE(wg_messages_count(msgs) >= 7);

	m.dev = have;
	model_apply(&m, msgs, SEQ);
	assert_same_device(m.dev, want);
}

/* diff, build, apply: the model ends up exactly as wanted, for a mixed
 * change (peer added, removed, updated, device attributes). */
TEST(diff_build_apply_round_trip)
{
	_cleanup_(wg_device_freep) WgDevice *want = big_device(), *have = NULL,
					    *change = NULL;
	_cleanup_(wg_messages_freep) WgMessages *msgs = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	Model m = {};
	WgPeer *p;

	have = device_clone(want);
	have->fwmark = 0;
	have->peers[20].persistent_keepalive = 99;
	have->peers[30].endpoint = endpoint("203.0.113.9", 1);
	have->peers[39].has_preshared_key = false;
	memset(have->peers[39].preshared_key, 0, WG_KEY_LEN);
	have->peers[41].has_preshared_key = true;
	fill_key(have->peers[41].preshared_key, 0x99);
	model_remove(have, &have->peers[10]);
	p = wg_device_add_peer(have);
	fill_key(p->public_key, 0xfe);

	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_OK(wg_build_set_device(FAMILY_ID, SEQ, change, &msgs));
	m.dev = have;
	model_apply(&m, msgs, SEQ);
	/* The model keeps an explicitly sent all-zero preshared key as
	 * "has"; the kernel treats zero as none. */
	FOREACH_ARRAY(q, have->peers, have->n_peers)
		if (q->has_preshared_key && memcmp(q->preshared_key, (uint8_t[WG_KEY_LEN]){},
						   WG_KEY_LEN) == 0)
			q->has_preshared_key = false;
	assert_same_device(m.dev, want);
}

/* Synthetic dumps, laid out like the kernel's. */

static struct nlmsghdr *dump_header(void *buf, bool first, const char *ifname)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	uint8_t k[WG_KEY_LEN];

	nlh->nlmsg_type = FAMILY_ID;
	nlh->nlmsg_flags = NLM_F_MULTI;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WG_CMD_GET_DEVICE;
	genl->version = 1;
	if (first) {
		mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
		mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0x1234);
		mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
		mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
		fill_key(k, 0x10);
		mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, k);
		fill_key(k, 0x11);
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, k);
	}
	return nlh;
}

static void dump_allowed_ip(struct nlmsghdr *nlh, const char *s)
{
	IpPrefix p = prefix(s);
	struct nlattr *nest = mnl_attr_nest_start(nlh, 0);

	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, p.prefixlen);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, (uint16_t)p.addr.family);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, ipaddr_len(p.addr.family), p.addr.bytes);
	mnl_attr_nest_end(nlh, nest);
}

/* A peer with its full attributes (continued: public key only) and the
 * allowed IPs ips[0..n). */
static void dump_peer(struct nlmsghdr *nlh, uint8_t seed, bool continued, const char *const *ips,
		      size_t n)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, 0), *ips_nest;
	uint8_t k[WG_KEY_LEN] = {};

	fill_key(k, seed);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k);
	if (!continued) {
		struct __kernel_timespec ts = {.tv_sec = 1700000000, .tv_nsec = 123456789};
		WgSockaddr e = endpoint(seed == 0x20 ? "192.0.2.1" : "2001:db8::1", 51820);

		if (seed == 0x20)
			fill_key(k, 0x30);
		else
			memset(k, 0, sizeof(k));
		mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, k);
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
		mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
		mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 1000 + seed);
		mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 2000 + seed);
		mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT,
			     e.sa.sa_family == AF_INET ? sizeof(e.in) : sizeof(e.in6), &e);
	}
	ips_nest = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	for (size_t i = 0; i < n; i++)
		dump_allowed_ip(nlh, ips[i]);
	mnl_attr_nest_end(nlh, ips_nest);
	mnl_attr_nest_end(nlh, nest);
}

TEST(parse_dump_joins_split_peer)
{
	static const char *const a[] = {"10.0.0.0/24"};
	static const char *const b1[] = {"10.1.0.0/16", "fd00::/64"};
	static const char *const b2[] = {"2001:db8:1::/48", "10.2.0.0/16"};
	static const char *const c[] = {"10.3.0.0/16"};
	_cleanup_(wg_device_freep) WgDevice *d = xcalloc(1, sizeof(WgDevice));
	uint8_t buf1[2048] = {}, buf2[2048] = {}, k[WG_KEY_LEN];
	struct nlmsghdr *m1 = dump_header(buf1, true, "wg-dump");
	struct nlmsghdr *m2 = dump_header(buf2, false, "wg-dump");
	struct nlattr *nest;
	char s[IPPREFIX_STRLEN];

	nest = mnl_attr_nest_start(m1, WGDEVICE_A_PEERS);
	dump_peer(m1, 0x20, false, a, 1);
	dump_peer(m1, 0x40, false, b1, 2);
	mnl_attr_nest_end(m1, nest);
	nest = mnl_attr_nest_start(m2, WGDEVICE_A_PEERS);
	dump_peer(m2, 0x40, true, b2, 2);
	dump_peer(m2, 0x50, false, c, 1);
	mnl_attr_nest_end(m2, nest);

	ASSERT_OK(wg_parse_device_message(m1, m1->nlmsg_len, d));
	ASSERT_OK(wg_parse_device_message(m2, m2->nlmsg_len, d));
	ASSERT_STREQ(d->ifname, "wg-dump");
	ASSERT_EQ(d->ifindex, 7);
	ASSERT_EQ(d->listen_port, 51820);
	ASSERT_EQ(d->fwmark, 0x1234);
	ASSERT_TRUE(d->has_private_key && d->has_public_key);
	fill_key(k, 0x10);
	ASSERT_MEMEQ(d->private_key, k, WG_KEY_LEN);

	ASSERT_EQ(d->n_peers, 3);
	ASSERT_TRUE(d->peers[0].has_preshared_key);
	ASSERT_EQ(d->peers[0].endpoint.sa.sa_family, AF_INET);
	ASSERT_EQ(ntohs(d->peers[0].endpoint.in.sin_port), 51820);
	ASSERT_EQ(d->peers[0].last_handshake_usec, 1700000000123456ULL);
	ASSERT_EQ(d->peers[0].tx_bytes, 1000 + 0x20);
	ASSERT_EQ(d->peers[0].rx_bytes, 2000 + 0x20);
	ASSERT_EQ(d->peers[0].persistent_keepalive, 25);

	/* The peer cut between the messages is one peer with four allowed
	 * IPs, and keeps the attributes of its first part. */
	ASSERT_FALSE(d->peers[1].has_preshared_key);
	ASSERT_EQ(d->peers[1].endpoint.sa.sa_family, AF_INET6);
	ASSERT_EQ(d->peers[1].rx_bytes, 2000 + 0x40);
	ASSERT_EQ(d->peers[1].n_allowed_ips, 4);
	ASSERT_STREQ(ipprefix_to_string(&d->peers[1].allowed_ips[2], s), "2001:db8:1::/48");
	ASSERT_STREQ(ipprefix_to_string(&d->peers[1].allowed_ips[3], s), "10.2.0.0/16");
	ASSERT_EQ(d->peers[2].n_allowed_ips, 1);
	ASSERT_EQ(d->peers[2].last_handshake_usec, 1700000000123456ULL);
}

TEST(parse_rejects_malformed)
{
	_cleanup_(wg_device_freep) WgDevice *d = xcalloc(1, sizeof(WgDevice));
	uint8_t buf[1024] = {};
	struct nlmsghdr *nlh = dump_header(buf, false, "x");
	struct nlattr *nest, *peer;
	uint8_t k[WG_KEY_LEN] = {};

	/* Truncated header. */
	ASSERT_ERR(wg_parse_device_message(nlh, 8, d), EBADMSG);
	/* A public key of the wrong length. */
	nest = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 31, k);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, nest);
	ASSERT_ERR(wg_parse_device_message(nlh, nlh->nlmsg_len, d), EBADMSG);
	ASSERT_EQ(d->n_peers, 0);

	/* An allowed IP whose address does not match its family. */
	nlh = dump_header(buf, false, "x");
	nest = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k);
	{
		struct nlattr *ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
		struct nlattr *ip = mnl_attr_nest_start(nlh, 0);

		mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET6);
		mnl_attr_put_u32(nlh, WGALLOWEDIP_A_IPADDR, 0);
		mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 8);
		mnl_attr_nest_end(nlh, ip);
		mnl_attr_nest_end(nlh, ips);
	}
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, nest);
	ASSERT_ERR(wg_parse_device_message(nlh, nlh->nlmsg_len, d), EBADMSG);
}

TEST(build_rejects_bad_ifname)
{
	_cleanup_(wg_device_freep) WgDevice *d = sample_change();
	_cleanup_(wg_messages_freep) WgMessages *m = NULL;

	d->ifname[0] = 0;
	ASSERT_ERR(wg_build_set_device(FAMILY_ID, SEQ, d, &m), EINVAL);
	ASSERT_TRUE(m == NULL);
}

/* When the first peer of a device does not fit the first dump message,
 * the kernel starts the next one with the device attributes again. */
TEST(parse_dump_repeated_device_attributes)
{
	static const char *const a1[] = {"10.0.0.0/24", "10.0.1.0/24"};
	static const char *const a2[] = {"10.0.2.0/24"};
	_cleanup_(wg_device_freep) WgDevice *d = xcalloc(1, sizeof(WgDevice));
	uint8_t buf1[1024] = {}, buf2[1024] = {};
	struct nlmsghdr *m1 = dump_header(buf1, true, "wg-r");
	struct nlmsghdr *m2 = dump_header(buf2, true, "wg-r");
	struct nlattr *nest;

	nest = mnl_attr_nest_start(m1, WGDEVICE_A_PEERS);
	dump_peer(m1, 0x20, false, a1, 2);
	mnl_attr_nest_end(m1, nest);
	nest = mnl_attr_nest_start(m2, WGDEVICE_A_PEERS);
	dump_peer(m2, 0x20, true, a2, 1);
	mnl_attr_nest_end(m2, nest);

	ASSERT_OK(wg_parse_device_message(m1, m1->nlmsg_len, d));
	ASSERT_OK(wg_parse_device_message(m2, m2->nlmsg_len, d));
	ASSERT_EQ(d->n_peers, 1);
	ASSERT_EQ(d->peers[0].n_allowed_ips, 3);
	ASSERT_TRUE(d->peers[0].has_preshared_key);
	ASSERT_EQ(d->peers[0].persistent_keepalive, 25);
	ASSERT_EQ(d->listen_port, 51820);
}

/* Kernel I/O without touching any network object: resolving the family
 * and asking for a device that does not exist. */
TEST(socket_open)
{
	_cleanup_(wg_socket_freep) WgSocket *s = NULL;
	_cleanup_(wg_device_freep) WgDevice *d = NULL;
	_cleanup_close_ int route = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int r;

	/* Not a generic netlink socket: refused, and the fd stays the
	 * caller's. */
	ASSERT_TRUE(route >= 0);
	ASSERT_ERR(wg_socket_open_fd(route, &s), EPROTOTYPE);
	ASSERT_TRUE(fcntl(route, F_GETFD) >= 0);

	r = wg_socket_open(&s);
	if (r == -EPROTONOSUPPORT)
		TEST_SKIP("no WireGuard in this kernel (wg_socket_open: -EPROTONOSUPPORT)");
	ASSERT_OK(r);
	r = wg_get_device(s, "vpnconf-none0", &d);
	if (r != -ENODEV && r != -EPERM)
		TEST_FAIL("wg_get_device() of a missing device: %d", r);
	ASSERT_TRUE(d == NULL);
}
