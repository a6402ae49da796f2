/* SPDX-License-Identifier: MIT */
/*
 * wg_diff(): the "wg syncconf" semantics (peers matched by public key and
 * updated in place, allowed IPs compared as sets, listen port 0 = any),
 * the change flags it produces, and its difference lines, which must never
 * contain private or preshared key material.
 */
#include <arpa/inet.h>

#include "test-wg.h"
#include "test.h"
#include "wg.h"

static char *key_b64(uint8_t seed)
{
	uint8_t k[WG_KEY_LEN];

	fill_key(k, seed);
	return base64_encode(k, sizeof(k));
}

/* The wanted device: private key 0x10; peer A (0x20) with a preshared
 * key, an IPv4 endpoint, keepalive 25 and two allowed IPs; peer B (0x40)
 * with an IPv6 endpoint; peer C (0x60) without endpoint. */
static WgDevice *want_device(void)
{
	WgDevice *d = xcalloc(1, sizeof(*d));
	WgPeer *p;

	strcpy(d->ifname, "wg0");
	d->has_private_key = true;
	fill_key(d->private_key, 0x10);
	d->fwmark = 0x4000;

	p = wg_device_add_peer(d);
	fill_key(p->public_key, 0x20);
	p->has_preshared_key = true;
	fill_key(p->preshared_key, 0x30);
	p->endpoint = endpoint("192.0.2.1", 51820);
	p->persistent_keepalive = 25;
	peer_add_ip(p, "10.0.0.0/24");
	peer_add_ip(p, "10.0.1.0/24");

	p = wg_device_add_peer(d);
	fill_key(p->public_key, 0x40);
	p->endpoint = endpoint("2001:db8::1", 51820);
	peer_add_ip(p, "10.1.0.0/16");
	peer_add_ip(p, "fd00::/64");

	p = wg_device_add_peer(d);
	fill_key(p->public_key, 0x60);
	peer_add_ip(p, "10.2.0.0/16");
	wg_device_sort(d);
	return d;
}

/* What the kernel would report for want_device(): the same, plus what
 * only the kernel knows (a random listen port, the public key, counters,
 * handshakes, an endpoint learned from peer C's packets). */
static WgDevice *have_device(void)
{
	WgDevice *d = want_device();

	d->listen_port = 43117;
	d->has_public_key = true;
	fill_key(d->public_key, 0x11);
	d->ifindex = 9;
	FOREACH_ARRAY(p, d->peers, d->n_peers) {
		p->rx_bytes = 1234;
		p->tx_bytes = 5678;
		p->last_handshake_usec = 1700000000000000ULL;
	}
	d->peers[2].endpoint = endpoint("198.51.100.7", 40000);
	return d;
}

static WgPeer *find_peer(WgDevice *d, uint8_t seed)
{
	uint8_t k[WG_KEY_LEN];

	fill_key(k, seed);
	FOREACH_ARRAY(p, d->peers, d->n_peers)
		if (memcmp(p->public_key, k, WG_KEY_LEN) == 0)
			return p;
	return NULL;
}

/* No line may contain a private or preshared key, in base64 or hex, or
 * even a long prefix of one. */
static void assert_no_secrets(char **lines)
{
	static const uint8_t secret_seeds[] = {0x10, 0x30, 0x31, 0x77};

	STRV_FOREACH(l, lines)
		for (size_t i = 0; i < ELEMENTSOF(secret_seeds); i++) {
			_cleanup_free_ char *b = key_b64(secret_seeds[i]), *h = NULL;
			uint8_t k[WG_KEY_LEN];

			fill_key(k, secret_seeds[i]);
			h = hexmem(k, sizeof(k));
			b[6] = 0;
			h[8] = 0;
			if (strstr(*l, b) || strstr(*l, h))
				TEST_FAIL("difference line leaks key material: %s", *l);
		}
}

static char *peer_prefix(uint8_t seed)
{
	_cleanup_free_ char *b = key_b64(seed);
	return xasprintf("peer %.8s…: ", b);
}

TEST(no_change)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;

	/* Order of peers and of allowed IPs does not matter either. */
	WgPeer t = have->peers[0];
	have->peers[0] = have->peers[2];
	have->peers[2] = t;
	IpPrefix a = have->peers[2].allowed_ips[0];
	have->peers[2].allowed_ips[0] = have->peers[2].allowed_ips[1];
	have->peers[2].allowed_ips[1] = a;

	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_TRUE(change == NULL);
	ASSERT_TRUE(diffs == NULL);
	ASSERT_OK(wg_diff(want, have, NULL, &change));
	ASSERT_TRUE(change == NULL);
}

TEST(endpoint_change)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	_cleanup_free_ char *expect = NULL, *pfx = peer_prefix(0x20);

	find_peer(have, 0x20)->endpoint = endpoint("192.0.2.2", 51820);
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_TRUE(change != NULL);
	ASSERT_EQ(change->change, 0);
	ASSERT_EQ(change->n_peers, 1);
	ASSERT_EQ(change->peers[0].change, WG_PEER_CHANGE_ENDPOINT | WG_PEER_CHANGE_UPDATE_ONLY);
	ASSERT_EQ(change->peers[0].endpoint.in.sin_addr.s_addr, htonl(0xc0000201));
	ASSERT_EQ(strv_length(diffs), 1);
	expect = xasprintf("%sendpoint 192.0.2.2:51820 -> 192.0.2.1:51820", pfx);
	ASSERT_STREQ(diffs[0], expect);

	/* IPv6 endpoints are bracketed. */
	diffs = strv_free(diffs);
	change = wg_device_free(change);
	find_peer(have, 0x40)->endpoint = endpoint("2001:db8::2", 51820);
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->n_peers, 2);
	ASSERT_CONTAINS(diffs[1], "endpoint [2001:db8::2]:51820 -> [2001:db8::1]:51820");
}

TEST(learned_endpoint_is_kept)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;

	/* Peer C has no wanted endpoint: whatever the kernel learned stays. */
	find_peer(have, 0x60)->endpoint = endpoint("2001:db8::99", 1);
	ASSERT_OK(wg_diff(want, have, NULL, &change));
	ASSERT_TRUE(change == NULL);
}

TEST(keepalive_change_keeps_peer)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;

	find_peer(have, 0x20)->persistent_keepalive = 0;
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->n_peers, 1);
	ASSERT_EQ(change->peers[0].change, WG_PEER_CHANGE_KEEPALIVE | WG_PEER_CHANGE_UPDATE_ONLY);
	ASSERT_EQ(change->peers[0].persistent_keepalive, 25);
	ASSERT_EQ(change->peers[0].n_allowed_ips, 0);
	ASSERT_CONTAINS(diffs[0], "persistent keepalive 0 -> 25");
}

TEST(allowed_ips_change_replaces)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	char s[IPPREFIX_STRLEN];
	WgPeer *p = find_peer(have, 0x20);

	p->allowed_ips[1] = prefix("10.9.0.0/24");
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->n_peers, 1);
	ASSERT_EQ(change->peers[0].change,
		  WG_PEER_CHANGE_REPLACE_ALLOWED_IPS | WG_PEER_CHANGE_UPDATE_ONLY);
	ASSERT_EQ(change->peers[0].n_allowed_ips, 2);
	ASSERT_STREQ(ipprefix_to_string(&change->peers[0].allowed_ips[0], s), "10.0.0.0/24");
	ASSERT_STREQ(ipprefix_to_string(&change->peers[0].allowed_ips[1], s), "10.0.1.0/24");
	ASSERT_CONTAINS(diffs[0], "allowed IPs +10.0.1.0/24 -10.9.0.0/24");
	ASSERT_FALSE(change->peers[0].change & WG_PEER_CHANGE_REMOVE);
}

TEST(allowed_ips_many_differences_are_summarised)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	WgPeer *p = find_peer(have, 0x60);
	char buf[32];

	for (unsigned i = 0; i < 10; i++) {
		snprintf(buf, sizeof(buf), "192.168.%u.0/24", i);
		peer_add_ip(p, buf);
	}
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_CONTAINS(diffs[0], "allowed IPs -192.168.0.0/24 -192.168.1.0/24 -192.168.2.0/24 "
				  "-192.168.3.0/24 (6 more)");
}

TEST(host_bits_and_duplicates_do_not_differ)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;

	/* The kernel reports prefixes masked; a wanted one with host bits
	 * or listed twice is the same set. */
	find_peer(want, 0x60)->allowed_ips[0] = prefix("10.2.3.4/16");
	peer_add_ip(find_peer(want, 0x60), "10.2.0.0/16");
	ASSERT_OK(wg_diff(want, have, NULL, &change));
	ASSERT_TRUE(change == NULL);
}

TEST(peer_removed)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	_cleanup_free_ char *pfx = peer_prefix(0x70);
	WgPeer *p = wg_device_add_peer(have);

	fill_key(p->public_key, 0x70);
	p->has_preshared_key = true;
	fill_key(p->preshared_key, 0x77);
	peer_add_ip(p, "10.7.0.0/16");
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->n_peers, 1);
	ASSERT_EQ(change->peers[0].change, WG_PEER_CHANGE_REMOVE);
	ASSERT_EQ(change->peers[0].n_allowed_ips, 0);
	ASSERT_FALSE(change->peers[0].has_preshared_key);
	ASSERT_EQ(strv_length(diffs), 1);
	ASSERT_CONTAINS(diffs[0], pfx);
	ASSERT_CONTAINS(diffs[0], "removed");
	assert_no_secrets(diffs);
}

TEST(peer_added)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	_cleanup_free_ char *pfx = peer_prefix(0x20);
	uint8_t psk[WG_KEY_LEN];
	WgPeer *p = find_peer(have, 0x20);

	free(p->allowed_ips);
	*p = have->peers[--have->n_peers];
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->n_peers, 1);
	p = &change->peers[0];
	ASSERT_EQ(p->change, WG_PEER_CHANGE_PRESHARED_KEY | WG_PEER_CHANGE_ENDPOINT |
				     WG_PEER_CHANGE_KEEPALIVE | WG_PEER_CHANGE_REPLACE_ALLOWED_IPS);
	fill_key(psk, 0x30);
	ASSERT_TRUE(p->has_preshared_key);
	ASSERT_MEMEQ(p->preshared_key, psk, WG_KEY_LEN);
	ASSERT_EQ(p->persistent_keepalive, 25);
	ASSERT_EQ(p->n_allowed_ips, 2);
	ASSERT_EQ(strv_length(diffs), 1);
	ASSERT_CONTAINS(diffs[0], pfx);
	ASSERT_CONTAINS(diffs[0], "added");
	assert_no_secrets(diffs);
}

TEST(private_key_change)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;

	fill_key(have->private_key, 0x31);
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->change, WG_DEVICE_CHANGE_PRIVATE_KEY);
	ASSERT_TRUE(change->has_private_key);
	ASSERT_MEMEQ(change->private_key, want->private_key, WG_KEY_LEN);
	ASSERT_EQ(change->n_peers, 0);
	ASSERT_EQ(strv_length(diffs), 1);
	ASSERT_STREQ(diffs[0], "private key differs");
	assert_no_secrets(diffs);

	/* A device without a private key at all. */
	diffs = strv_free(diffs);
	change = wg_device_free(change);
	have->has_private_key = false;
	memset(have->private_key, 0, WG_KEY_LEN);
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->change, WG_DEVICE_CHANGE_PRIVATE_KEY);
}

TEST(preshared_key_change)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	static const uint8_t zero[WG_KEY_LEN];

	fill_key(find_peer(have, 0x20)->preshared_key, 0x31);
	find_peer(have, 0x40)->has_preshared_key = true;
	fill_key(find_peer(have, 0x40)->preshared_key, 0x77);
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->n_peers, 2);
	ASSERT_EQ(change->peers[0].change,
		  WG_PEER_CHANGE_PRESHARED_KEY | WG_PEER_CHANGE_UPDATE_ONLY);
	ASSERT_MEMEQ(change->peers[0].preshared_key, find_peer(want, 0x20)->preshared_key,
		     WG_KEY_LEN);
	/* Removing a preshared key is sending the all-zero key. */
	ASSERT_FALSE(change->peers[1].has_preshared_key);
	ASSERT_MEMEQ(change->peers[1].preshared_key, zero, WG_KEY_LEN);
	ASSERT_CONTAINS(diffs[0], "preshared key differs");
	assert_no_secrets(diffs);
}

TEST(listen_port)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;

	/* Wanted 0 is "any": the kernel's random port never differs. */
	ASSERT_EQ(want->listen_port, 0);
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_TRUE(change == NULL);

	want->listen_port = 51820;
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->change, WG_DEVICE_CHANGE_LISTEN_PORT);
	ASSERT_EQ(change->listen_port, 51820);
	ASSERT_STREQ(diffs[0], "listen port 43117 -> 51820");
}

TEST(fwmark)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;

	have->fwmark = 0;
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->change, WG_DEVICE_CHANGE_FWMARK);
	ASSERT_EQ(change->fwmark, 0x4000);
	ASSERT_STREQ(diffs[0], "fwmark 0x0 -> 0x4000");
}

TEST(fresh_device)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;

	ASSERT_OK(wg_diff(want, NULL, &diffs, &change));
	ASSERT_EQ(change->change, WG_DEVICE_CHANGE_REPLACE_PEERS | WG_DEVICE_CHANGE_FWMARK |
					  WG_DEVICE_CHANGE_PRIVATE_KEY);
	ASSERT_STREQ(change->ifname, "wg0");
	ASSERT_EQ(change->n_peers, 3);
	ASSERT_EQ(find_peer(change, 0x20)->change, WG_PEER_CHANGE_PRESHARED_KEY |
							   WG_PEER_CHANGE_ENDPOINT |
							   WG_PEER_CHANGE_KEEPALIVE);
	ASSERT_EQ(find_peer(change, 0x40)->change, WG_PEER_CHANGE_ENDPOINT);
	ASSERT_EQ(find_peer(change, 0x60)->change, 0);
	ASSERT_EQ(find_peer(change, 0x60)->n_allowed_ips, 1);
	ASSERT_EQ(strv_length(diffs), 1);
	assert_no_secrets(diffs);
}

TEST(change_set_is_sorted_and_combined)
{
	_cleanup_(wg_device_freep) WgDevice *want = want_device(), *have = have_device(),
					    *change = NULL;
	_cleanup_strv_free_ char **diffs = NULL;
	WgPeer *p;

	/* Remove A, add D, update C, all at once. */
	p = find_peer(have, 0x20);
	fill_key(p->public_key, 0x05);
	p = wg_device_add_peer(want);
	fill_key(p->public_key, 0x50);
	find_peer(have, 0x60)->persistent_keepalive = 5;
	ASSERT_OK(wg_diff(want, have, &diffs, &change));
	ASSERT_EQ(change->n_peers, 4);
	for (size_t i = 1; i < change->n_peers; i++)
		ASSERT_TRUE(memcmp(change->peers[i - 1].public_key, change->peers[i].public_key,
				   WG_KEY_LEN) < 0);
	ASSERT_EQ(find_peer(change, 0x05)->change, WG_PEER_CHANGE_REMOVE);
	ASSERT_EQ(find_peer(change, 0x20)->change & WG_PEER_CHANGE_UPDATE_ONLY, 0);
	ASSERT_EQ(find_peer(change, 0x50)->change, WG_PEER_CHANGE_REPLACE_ALLOWED_IPS);
	ASSERT_EQ(find_peer(change, 0x60)->change,
		  WG_PEER_CHANGE_KEEPALIVE | WG_PEER_CHANGE_UPDATE_ONLY);
	ASSERT_EQ(strv_length(diffs), 4);
	assert_no_secrets(diffs);
}
