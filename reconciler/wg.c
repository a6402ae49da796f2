/* SPDX-License-Identifier: MIT */
/*
 * WgDevice lifetime: freeing (with the keys wiped), appending peers, and
 * sorting. Peers carry preshared keys, so the peer array is never moved by
 * realloc() or sorted in place by qsort() (glibc's qsort may copy elements
 * through a temporary buffer it frees unwiped): it is copied into a fresh
 * array and the old one is wiped before it is freed.
 */
#include <stdlib.h>

#include "wg.h"

static void peers_erase_and_free(WgPeer *peers, size_t n)
{
	if (!peers)
		return;
	explicit_bzero(peers, n * sizeof(*peers));
	free(peers);
}

WgDevice *wg_device_free(WgDevice *d)
{
	if (!d)
		return NULL;
	FOREACH_ARRAY(p, d->peers, d->n_peers)
		free(p->allowed_ips);
	peers_erase_and_free(d->peers, d->n_peers);
	explicit_bzero(d, sizeof(*d));
	free(d);
	return NULL;
}

WgPeer *wg_device_add_peer(WgDevice *d)
{
	size_t n = d->n_peers;

	/* Capacity is implicit, the next power of two >= n (as array_append()
	 * keeps it): grow when n is a power of two or zero. */
	if ((n & (n - 1)) == 0) {
		WgPeer *grown = xcalloc(n ? n * 2 : 1, sizeof(WgPeer));

		if (n > 0)
			memcpy(grown, d->peers, n * sizeof(WgPeer));
		peers_erase_and_free(d->peers, n);
		d->peers = grown;
	}
	memset(&d->peers[n], 0, sizeof(WgPeer));
	d->n_peers = n + 1;
	return &d->peers[n];
}

static int peer_compare(const void *a, const void *b, void *userdata)
{
	const WgPeer *peers = userdata;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	return memcmp(peers[i].public_key, peers[j].public_key, WG_KEY_LEN);
}

static int prefix_compare(const void *a, const void *b)
{
	return ipprefix_compare(a, b);
}

void wg_device_sort(WgDevice *d)
{
	_cleanup_free_ size_t *order = NULL;
	WgPeer *sorted;
	size_t cap;

	FOREACH_ARRAY(p, d->peers, d->n_peers)
		if (p->n_allowed_ips > 1)
			qsort(p->allowed_ips, p->n_allowed_ips, sizeof(IpPrefix), prefix_compare);
	if (d->n_peers < 2)
		return;

	order = xmalloc(d->n_peers * sizeof(size_t));
	for (size_t i = 0; i < d->n_peers; i++)
		order[i] = i;
	qsort_r(order, d->n_peers, sizeof(size_t), peer_compare, d->peers);

	/* Keep the implicit power-of-two capacity that wg_device_add_peer()
	 * relies on. */
	for (cap = 1; cap < d->n_peers; cap *= 2)
		;
	sorted = xcalloc(cap, sizeof(WgPeer));
	for (size_t i = 0; i < d->n_peers; i++)
		sorted[i] = d->peers[order[i]];
	peers_erase_and_free(d->peers, d->n_peers);
	d->peers = sorted;
}
