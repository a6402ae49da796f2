/* SPDX-License-Identifier: MIT */
/*
 * WireGuard generic netlink messages (linux/wireguard.h), built and
 * parsed with libmnl; pure, no syscalls.
 *
 * Splitting a change set: the kernel applies every WG_CMD_SET_DEVICE
 * message on its own, in order, so a change that does not fit one message
 * of WG_MESSAGE_SIZE_MAX bytes is cut the way the kernel's own dump cuts a
 * device:
 *  - the first message carries the device attributes (private key,
 *    listen port, fwmark, WGDEVICE_F_REPLACE_PEERS) and as many peers as
 *    fit; REPLACE_PEERS must never be repeated, or a later message would
 *    remove the peers an earlier one added;
 *  - later messages carry the remaining peers;
 *  - a peer whose allowed IPs do not fit is cut between two of them: the
 *    tail goes out in the next message under the same public key, with
 *    WGPEER_F_UPDATE_ONLY but without WGPEER_F_REPLACE_ALLOWEDIPS, which
 *    would drop the head just added.
 * A peer is only cut when at least one of its allowed IPs fits, so a peer
 * never exists (briefly) without any.
 *
 * Parsing joins the same cut on the way back: in a dump, a peer whose
 * allowed IPs continue opens the next message again, with its public key
 * and the remaining allowed IPs only.
 *
 * Message buffers can hold private and preshared keys; they are wiped
 * when the WgMessages is freed.
 */
#include <assert.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>

#include "wg.h"

struct WgMessages {
	uint8_t **bufs; /* WG_MESSAGE_SIZE_MAX bytes each */
	size_t n;
};

WgMessages *wg_messages_free(WgMessages *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		erase_and_free(m->bufs[i], WG_MESSAGE_SIZE_MAX);
	free(m->bufs);
	free(m);
	return NULL;
}

size_t wg_messages_count(const WgMessages *m)
{
	return m ? m->n : 0;
}

const void *wg_message_data(const WgMessages *m, size_t i, size_t *ret_size)
{
	const struct nlmsghdr *nlh;

	assert(m && i < m->n);
	nlh = (const struct nlmsghdr *)m->bufs[i];
	if (ret_size)
		*ret_size = nlh->nlmsg_len;
	return nlh;
}

static struct nlmsghdr *messages_add(WgMessages *m, uint16_t family_id, uint32_t seq,
				     uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	*ARRAY_APPEND(m->bufs, m->n) = xcalloc(1, WG_MESSAGE_SIZE_MAX);
	nlh = mnl_nlmsg_put_header(m->bufs[m->n - 1]);
	nlh->nlmsg_type = family_id;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = WG_GENL_VERSION;
	return nlh;
}

static bool put_ifname(struct nlmsghdr *nlh, const char *ifname)
{
	return mnl_attr_put_strz_check(nlh, WG_MESSAGE_SIZE_MAX, WGDEVICE_A_IFNAME, ifname);
}

static bool ifname_ok(const char *ifname)
{
	return ifname && *ifname && strnlen(ifname, IFNAMSIZ) < IFNAMSIZ;
}

int wg_build_get_device(uint16_t family_id, uint32_t seq, const char *ifname, WgMessages **ret)
{
	_cleanup_(wg_messages_freep) WgMessages *m = NULL;
	struct nlmsghdr *nlh;

	if (!ifname_ok(ifname))
		return -EINVAL;
	m = xcalloc(1, sizeof(*m));
	/* Only NLM_F_DUMP is accepted for WG_CMD_GET_DEVICE. */
	nlh = messages_add(m, family_id, seq, NLM_F_REQUEST | NLM_F_DUMP, WG_CMD_GET_DEVICE);
	if (!put_ifname(nlh, ifname))
		return -E2BIG;
	*ret = TAKE_PTR(m);
	return 0;
}

static bool put_device_attrs(struct nlmsghdr *nlh, const WgDevice *c)
{
	static const uint8_t zero_key[WG_KEY_LEN];
	const size_t max = WG_MESSAGE_SIZE_MAX;

	/* An all-zero private key removes the device's identity. */
	if ((c->change & WG_DEVICE_CHANGE_PRIVATE_KEY) &&
	    !mnl_attr_put_check(nlh, max, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN,
				c->has_private_key ? c->private_key : zero_key))
		return false;
	if ((c->change & WG_DEVICE_CHANGE_LISTEN_PORT) &&
	    !mnl_attr_put_u16_check(nlh, max, WGDEVICE_A_LISTEN_PORT, c->listen_port))
		return false;
	if ((c->change & WG_DEVICE_CHANGE_FWMARK) &&
	    !mnl_attr_put_u32_check(nlh, max, WGDEVICE_A_FWMARK, c->fwmark))
		return false;
	if ((c->change & WG_DEVICE_CHANGE_REPLACE_PEERS) &&
	    !mnl_attr_put_u32_check(nlh, max, WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS))
		return false;
	return true;
}

static size_t endpoint_size(const WgSockaddr *e)
{
	switch (e->sa.sa_family) {
	case AF_INET:
		return sizeof(e->in);
	case AF_INET6:
		return sizeof(e->in6);
	default:
		return 0;
	}
}

/* The peer's attributes other than its allowed IPs. A continued peer only
 * names itself: everything else went out with its first part. */
static bool put_peer_head(struct nlmsghdr *nlh, const WgPeer *p, bool continued)
{
	static const uint8_t zero_key[WG_KEY_LEN];
	const size_t max = WG_MESSAGE_SIZE_MAX;
	uint32_t flags = 0;

	if (!mnl_attr_put_check(nlh, max, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->public_key))
		return false;
	if (continued)
		return mnl_attr_put_u32_check(nlh, max, WGPEER_A_FLAGS, WGPEER_F_UPDATE_ONLY);

	if (p->change & WG_PEER_CHANGE_REMOVE)
		return mnl_attr_put_u32_check(nlh, max, WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME);
	if (p->change & WG_PEER_CHANGE_REPLACE_ALLOWED_IPS)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (p->change & WG_PEER_CHANGE_UPDATE_ONLY)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (flags != 0 && !mnl_attr_put_u32_check(nlh, max, WGPEER_A_FLAGS, flags))
		return false;
	/* An all-zero preshared key is "none". */
	if ((p->change & WG_PEER_CHANGE_PRESHARED_KEY) &&
	    !mnl_attr_put_check(nlh, max, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN,
				p->has_preshared_key ? p->preshared_key : zero_key))
		return false;
	/* The kernel has no way to clear an endpoint; AF_UNSPEC sends none. */
	if ((p->change & WG_PEER_CHANGE_ENDPOINT) && endpoint_size(&p->endpoint) > 0 &&
	    !mnl_attr_put_check(nlh, max, WGPEER_A_ENDPOINT, endpoint_size(&p->endpoint),
				&p->endpoint))
		return false;
	if ((p->change & WG_PEER_CHANGE_KEEPALIVE) &&
	    !mnl_attr_put_u16_check(nlh, max, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    p->persistent_keepalive))
		return false;
	return true;
}

static bool put_allowed_ip(struct nlmsghdr *nlh, const IpPrefix *a)
{
	const size_t max = WG_MESSAGE_SIZE_MAX;
	struct nlattr *nest;

	nest = mnl_attr_nest_start_check(nlh, max, 0);
	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(nlh, max, WGALLOWEDIP_A_FAMILY, (uint16_t)a->addr.family) ||
	    !mnl_attr_put_check(nlh, max, WGALLOWEDIP_A_IPADDR, ipaddr_len(a->addr.family),
				a->addr.bytes) ||
	    !mnl_attr_put_u8_check(nlh, max, WGALLOWEDIP_A_CIDR_MASK, a->prefixlen)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/* Where the next message resumes: peer index, and the first allowed IP of
 * that peer not sent yet (> 0: the peer is continued). */
typedef struct SetCursor {
	size_t peer;
	size_t allowed_ip;
} SetCursor;

/* Adds one peer, or as much of it as fits. Returns 1 when it was added
 * completely, 0 when it was cut or did not fit at all (the message is
 * full), and sets *progress when anything of it went in. */
static int put_peer(struct nlmsghdr *nlh, const WgPeer *p, SetCursor *c, bool *progress)
{
	struct nlattr *peer_nest, *ips_nest;
	bool continued = c->allowed_ip > 0;
	size_t first = c->allowed_ip, i = first;

	peer_nest = mnl_attr_nest_start_check(nlh, WG_MESSAGE_SIZE_MAX, 0);
	if (!peer_nest)
		return 0;
	if (!put_peer_head(nlh, p, continued))
		goto cancel;
	if (!(p->change & WG_PEER_CHANGE_REMOVE) && p->n_allowed_ips > 0) {
		ips_nest = mnl_attr_nest_start_check(nlh, WG_MESSAGE_SIZE_MAX,
						     WGPEER_A_ALLOWEDIPS);
		if (!ips_nest)
			goto cancel;
		while (i < p->n_allowed_ips && put_allowed_ip(nlh, &p->allowed_ips[i]))
			i++;
		if (i == first)
			goto cancel;
		mnl_attr_nest_end(nlh, ips_nest);
	}
	mnl_attr_nest_end(nlh, peer_nest);
	*progress = true;
	if (i < p->n_allowed_ips) {
		c->allowed_ip = i;
		return 0;
	}
	c->peer++;
	c->allowed_ip = 0;
	return 1;

cancel:
	mnl_attr_nest_cancel(nlh, peer_nest);
	return 0;
}

/* Fills the message with peers from the cursor on. Returns 1 when
 * anything went in, 0 when not even part of the next peer fits. */
static int put_peers(struct nlmsghdr *nlh, const WgDevice *c, SetCursor *cur)
{
	struct nlattr *nest;
	bool progress = false;

	nest = mnl_attr_nest_start_check(nlh, WG_MESSAGE_SIZE_MAX, WGDEVICE_A_PEERS);
	if (!nest)
		return 0;
	while (cur->peer < c->n_peers)
		if (put_peer(nlh, &c->peers[cur->peer], cur, &progress) == 0)
			break;
	if (!progress) {
		mnl_attr_nest_cancel(nlh, nest);
		return 0;
	}
	mnl_attr_nest_end(nlh, nest);
	return 1;
}

int wg_build_set_device(uint16_t family_id, uint32_t seq, const WgDevice *change,
			WgMessages **ret)
{
	_cleanup_(wg_messages_freep) WgMessages *m = NULL;
	SetCursor cur = {};

	assert(change);
	if (!ifname_ok(change->ifname))
		return -EINVAL;

	m = xcalloc(1, sizeof(*m));
	for (uint32_t i = 0;; i++) {
		struct nlmsghdr *nlh = messages_add(m, family_id, seq + i,
						    NLM_F_REQUEST | NLM_F_ACK, WG_CMD_SET_DEVICE);

		if (!put_ifname(nlh, change->ifname))
			return -E2BIG;
		if (i == 0 && !put_device_attrs(nlh, change))
			return -E2BIG;
		/* Only the first message, which also carries the device
		 * attributes, may leave all peers to the next one; an empty
		 * message that cannot take a peer never will. */
		if (cur.peer < change->n_peers && put_peers(nlh, change, &cur) == 0 && i > 0)
			return -E2BIG;
		if (cur.peer >= change->n_peers)
			break;
	}
	*ret = TAKE_PTR(m);
	return 0;
}

/* Parsing. */

typedef struct AttrTable {
	const struct nlattr **tb;
	uint16_t max;
} AttrTable;

static int attr_table_cb(const struct nlattr *attr, void *userdata)
{
	AttrTable *t = userdata;
	uint16_t type = mnl_attr_get_type(attr);

	/* Unknown (newer) attributes and the 64-bit alignment padding
	 * (type 0) are skipped. */
	if (type > 0 && type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max)
{
	AttrTable t = {tb, max};

	memset(tb, 0, (max + 1U) * sizeof(*tb));
	if (mnl_attr_parse_nested(nest, attr_table_cb, &t) < 0)
		return -EBADMSG;
	return 0;
}

static bool attr_len_is(const struct nlattr *a, size_t len)
{
	return mnl_attr_get_payload_len(a) == len;
}

static bool key_is_zero(const uint8_t k[static WG_KEY_LEN])
{
	uint8_t acc = 0;

	for (size_t i = 0; i < WG_KEY_LEN; i++)
		acc |= k[i];
	return acc == 0;
}

static int parse_allowed_ip(const struct nlattr *nest, WgPeer *p)
{
	const struct nlattr *tb[WGALLOWEDIP_A_MAX + 1];
	IpPrefix a = {};
	int family;

	if (parse_nested(nest, tb, WGALLOWEDIP_A_MAX) < 0)
		return -EBADMSG;
	if (!tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] ||
	    !tb[WGALLOWEDIP_A_CIDR_MASK] || !attr_len_is(tb[WGALLOWEDIP_A_FAMILY], 2) ||
	    !attr_len_is(tb[WGALLOWEDIP_A_CIDR_MASK], 1))
		return -EBADMSG;
	family = mnl_attr_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
	if (family != AF_INET && family != AF_INET6)
		return -EBADMSG;
	if (!attr_len_is(tb[WGALLOWEDIP_A_IPADDR], ipaddr_len(family)))
		return -EBADMSG;
	a.addr.family = family;
	memcpy(a.addr.bytes, mnl_attr_get_payload(tb[WGALLOWEDIP_A_IPADDR]), ipaddr_len(family));
	a.prefixlen = mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
	if (a.prefixlen > ipaddr_len(family) * 8)
		return -EBADMSG;
	*ARRAY_APPEND(p->allowed_ips, p->n_allowed_ips) = a;
	return 0;
}

static int parse_endpoint(const struct nlattr *a, WgSockaddr *ret)
{
	WgSockaddr e = {};
	size_t len = mnl_attr_get_payload_len(a);

	if (len < sizeof(e.sa) || len > sizeof(e))
		return -EBADMSG;
	memcpy(&e, mnl_attr_get_payload(a), len);
	if (!((e.sa.sa_family == AF_INET && len == sizeof(e.in)) ||
	      (e.sa.sa_family == AF_INET6 && len == sizeof(e.in6))))
		return -EBADMSG;
	*ret = e;
	return 0;
}

static uint64_t timespec_to_usec(const struct nlattr *a)
{
	struct __kernel_timespec ts;

	memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
	if (ts.tv_sec <= 0 && ts.tv_nsec <= 0)
		return 0;
	return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000;
}

/* Checks every scalar attribute of a peer before anything is stored. */
static bool peer_attrs_ok(const struct nlattr *const *tb)
{
	static const size_t lens[WGPEER_A_MAX + 1] = {
		[WGPEER_A_PUBLIC_KEY] = WG_KEY_LEN,
		[WGPEER_A_PRESHARED_KEY] = WG_KEY_LEN,
		[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = sizeof(uint16_t),
		[WGPEER_A_LAST_HANDSHAKE_TIME] = sizeof(struct __kernel_timespec),
		[WGPEER_A_RX_BYTES] = sizeof(uint64_t),
		[WGPEER_A_TX_BYTES] = sizeof(uint64_t),
	};

	if (!tb[WGPEER_A_PUBLIC_KEY])
		return false;
	for (size_t i = 0; i < ELEMENTSOF(lens); i++)
		if (lens[i] > 0 && tb[i] && !attr_len_is(tb[i], lens[i]))
			return false;
	return true;
}

static WgPeer *peer_find_or_add(WgDevice *d, const uint8_t *public_key)
{
	WgPeer *p;

	/* Continued from the previous message. */
	if (d->n_peers > 0 &&
	    memcmp(d->peers[d->n_peers - 1].public_key, public_key, WG_KEY_LEN) == 0)
		return &d->peers[d->n_peers - 1];
	p = wg_device_add_peer(d);
	memcpy(p->public_key, public_key, WG_KEY_LEN);
	return p;
}

static int parse_peer(const struct nlattr *nest, WgDevice *d)
{
	const struct nlattr *tb[WGPEER_A_MAX + 1], *a;
	WgSockaddr endpoint = {};
	WgPeer *p;
	int r;

	if (parse_nested(nest, tb, WGPEER_A_MAX) < 0 || !peer_attrs_ok(tb))
		return -EBADMSG;
	if (tb[WGPEER_A_ENDPOINT] && parse_endpoint(tb[WGPEER_A_ENDPOINT], &endpoint) < 0)
		return -EBADMSG;

	p = peer_find_or_add(d, mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]));
	if (tb[WGPEER_A_PRESHARED_KEY]) {
		memcpy(p->preshared_key, mnl_attr_get_payload(tb[WGPEER_A_PRESHARED_KEY]),
		       WG_KEY_LEN);
		p->has_preshared_key = !key_is_zero(p->preshared_key);
	}
	if (tb[WGPEER_A_ENDPOINT])
		p->endpoint = endpoint;
	if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
		p->persistent_keepalive =
			mnl_attr_get_u16(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
	if (tb[WGPEER_A_LAST_HANDSHAKE_TIME])
		p->last_handshake_usec = timespec_to_usec(tb[WGPEER_A_LAST_HANDSHAKE_TIME]);
	if (tb[WGPEER_A_RX_BYTES])
		p->rx_bytes = mnl_attr_get_u64(tb[WGPEER_A_RX_BYTES]);
	if (tb[WGPEER_A_TX_BYTES])
		p->tx_bytes = mnl_attr_get_u64(tb[WGPEER_A_TX_BYTES]);
	if (tb[WGPEER_A_ALLOWEDIPS])
		mnl_attr_for_each_nested(a, tb[WGPEER_A_ALLOWEDIPS]) {
			r = parse_allowed_ip(a, p);
			if (r < 0)
				return r;
		}
	return 0;
}

static int parse_device_attrs(const struct nlattr *const *tb, WgDevice *d)
{
	static const size_t lens[WGDEVICE_A_MAX + 1] = {
		[WGDEVICE_A_IFINDEX] = sizeof(uint32_t),
		[WGDEVICE_A_PRIVATE_KEY] = WG_KEY_LEN,
		[WGDEVICE_A_PUBLIC_KEY] = WG_KEY_LEN,
		[WGDEVICE_A_LISTEN_PORT] = sizeof(uint16_t),
		[WGDEVICE_A_FWMARK] = sizeof(uint32_t),
	};
	const struct nlattr *name = tb[WGDEVICE_A_IFNAME];

	for (size_t i = 0; i < ELEMENTSOF(lens); i++)
		if (lens[i] > 0 && tb[i] && !attr_len_is(tb[i], lens[i]))
			return -EBADMSG;
	if (name && (mnl_attr_get_payload_len(name) == 0 ||
		     mnl_attr_get_payload_len(name) > IFNAMSIZ ||
		     !memchr(mnl_attr_get_payload(name), 0, mnl_attr_get_payload_len(name))))
		return -EBADMSG;

	/* The kernel repeats the device attributes when the first peer of
	 * the device did not fit its first message; the values are the
	 * same, so later ones simply overwrite. */
	if (tb[WGDEVICE_A_IFINDEX])
		d->ifindex = mnl_attr_get_u32(tb[WGDEVICE_A_IFINDEX]);
	if (name)
		strncpy(d->ifname, mnl_attr_get_str(name), IFNAMSIZ - 1);
	if (tb[WGDEVICE_A_PRIVATE_KEY]) {
		memcpy(d->private_key, mnl_attr_get_payload(tb[WGDEVICE_A_PRIVATE_KEY]),
		       WG_KEY_LEN);
		d->has_private_key = true;
	}
	if (tb[WGDEVICE_A_PUBLIC_KEY]) {
		memcpy(d->public_key, mnl_attr_get_payload(tb[WGDEVICE_A_PUBLIC_KEY]), WG_KEY_LEN);
		d->has_public_key = true;
	}
	if (tb[WGDEVICE_A_LISTEN_PORT])
		d->listen_port = mnl_attr_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
	if (tb[WGDEVICE_A_FWMARK])
		d->fwmark = mnl_attr_get_u32(tb[WGDEVICE_A_FWMARK]);
	return 0;
}

int wg_parse_device_message(const void *nlmsg, size_t size, WgDevice *d)
{
	const struct nlmsghdr *nlh = nlmsg;
	const struct nlattr *tb[WGDEVICE_A_MAX + 1] = {}, *a;
	const struct genlmsghdr *genl;
	AttrTable t = {tb, WGDEVICE_A_MAX};
	int r;

	assert(nlmsg && d);
	if (!mnl_nlmsg_ok(nlh, (int)MIN(size, (size_t)INT32_MAX)) ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*genl)))
		return -EBADMSG;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != WG_CMD_GET_DEVICE)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*genl), attr_table_cb, &t) < 0)
		return -EBADMSG;

	r = parse_device_attrs(tb, d);
	if (r < 0)
		return r;
	if (tb[WGDEVICE_A_PEERS])
		mnl_attr_for_each_nested(a, tb[WGDEVICE_A_PEERS]) {
			r = parse_peer(a, d);
			if (r < 0)
				return r;
		}
	return 0;
}
