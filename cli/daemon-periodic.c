/* SPDX-License-Identifier: MIT */
/*
 * The agent's periodic pass, for what changes without a kernel event: the
 * IPv6 sysctls of a namespace, a WireGuard device's configuration (keys,
 * port, mark, peers, endpoints, allowed IPs: "wg set" sends no
 * notification) and the resolver files. Instead of observing everything
 * again, it reads just those and compares a fingerprint (sha256) with the
 * one taken after the namespace's last pass; a namespace whose fingerprint
 * changed (or that has none yet) is marked dirty, and the ordinary pass
 * decides whether that is drift. Handshake times and transfer counters
 * are left out: they change all the time and are health, not drift. A
 * namespace whose tunnel has hostname endpoints is marked dirty on every
 * period: its pass re-resolves them.
 */
#include "daemon.h"
#include "dnsfiles.h"
#include "log.h"
#include "netns.h"
#include "sha256.h"
#include "sysctl.h"
#include "wg.h"

static void hash_wg(Sha256 *h, const WgDevice *wg)
{
	sha256_update(h, wg->public_key, sizeof(wg->public_key));
	sha256_update(h, &wg->has_private_key, sizeof(wg->has_private_key));
	sha256_update(h, &wg->listen_port, sizeof(wg->listen_port));
	sha256_update(h, &wg->fwmark, sizeof(wg->fwmark));
	FOREACH_ARRAY(p, wg->peers, wg->n_peers)
	{
		uint8_t psk[SHA256_DIGEST_SIZE];

		sha256_update(h, p->public_key, sizeof(p->public_key));
		/* The preshared key only as a digest of a digest. */
		sha256(p->has_preshared_key ? p->preshared_key : (const uint8_t *)"",
		       p->has_preshared_key ? sizeof(p->preshared_key) : 0, psk);
		sha256_update(h, psk, sizeof(psk));
		explicit_bzero(psk, sizeof(psk));
		sha256_update(h, &p->endpoint, sizeof(p->endpoint));
		sha256_update(h, &p->persistent_keepalive, sizeof(p->persistent_keepalive));
		sha256_update(h, p->allowed_ips, p->n_allowed_ips * sizeof(*p->allowed_ips));
	}
}

/* The fingerprint of what namespace ns produces no event about. */
static int fingerprint(Daemon *d, const Namespace *ns, uint8_t ret[static SHA256_DIGEST_SIZE])
{
	static const char *const keys[] = {
		"net/ipv6/conf/all/disable_ipv6",
		"net/ipv6/conf/default/disable_ipv6",
	};
	_cleanup_(netns_freep) Netns *n = NULL;
	Sha256 h;
	int v[2], r;

	r = netns_open(d->desired->netns_dir, ns->name, &n);
	if (r < 0)
		return r;
	sha256_init(&h);
	r = sysctl_read_ints(n, keys, ELEMENTSOF(keys), v);
	if (r < 0)
		return r;
	sha256_update(&h, v, sizeof(v));
	for (DnsFile f = 0; f < _DNS_FILE_MAX; f++) {
		_cleanup_free_ char *path = dns_file_path(d->desired->runtime_dir, ns->name, f);
		_cleanup_free_ char *text = NULL;

		r = dns_file_read(path, &text);
		sha256_update(&h, &r, sizeof(r));
		if (r >= 0)
			sha256_update(&h, text, strlen(text));
	}
	if (ns->wg.managed) {
		_cleanup_(wg_device_freep) WgDevice *wg = NULL;
		WgSocket *s;

		r = netns_wg(n, &s);
		if (r >= 0)
			r = wg_get_device(s, ns->wg.ifname, &wg);
		sha256_update(&h, &r, sizeof(r));
		if (r >= 0) {
			wg_device_sort(wg);
			hash_wg(&h, wg);
		}
	}
	sha256_final(&h, ret);
	return 0;
}

static bool has_hostname_endpoint(const Namespace *ns)
{
	FOREACH_ARRAY(p, ns->wg.peers, ns->wg.n_peers)
	{
		if (p->has_endpoint && !p->endpoint.literal)
			return true;
		FOREACH_ARRAY(e, p->endpoints, p->n_endpoints)
		if (!e->literal)
			return true;
	}
	return false;
}

void daemon_periodic_remember(Daemon *d, size_t i)
{
	uint8_t fp[SHA256_DIGEST_SIZE];

	d->fingerprints[i].valid = fingerprint(d, &d->desired->namespaces[i], fp) >= 0;
	memcpy(d->fingerprints[i].digest, fp, sizeof(fp));
}

void daemon_periodic_check(Daemon *d)
{
	for (size_t i = 0; i < d->desired->n_namespaces; i++) {
		const Namespace *ns = &d->desired->namespaces[i];
		uint8_t fp[SHA256_DIGEST_SIZE];

		if ((ns->wg.managed && has_hostname_endpoint(ns)) || !d->fingerprints[i].valid ||
		    fingerprint(d, ns, fp) < 0 ||
		    memcmp(fp, d->fingerprints[i].digest, sizeof(fp)) != 0)
			agent_sched_mark(&d->sched, ns->name);
	}
}
