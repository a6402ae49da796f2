/* SPDX-License-Identifier: MIT */
/*
 * Port forwarding's NAT-PMP lease as seen by a reconcile (pf-lease.h,
 * docs/port-forwarding.md): the forwarded sets hold the port of a lease
 * that has not expired. A lease that expired while no agent was there to
 * close it is closed here, before the namespace is planned, the way the
 * agent closes it: one element transaction, the lease files removed, a
 * journaled port-forward transaction. Done so, it is the lease running
 * out, not drift (which drift.action might answer with a lockdown).
 */
#include <stdio.h>

#include "netns.h"
#include "nft.h"
#include "pf-lease.h"
#include "reconcile.h"

void reconcile_namespace_with_lease(Namespace *ns, const char *runtime_dir)
{
	if (ns->pf.mode == PORT_FORWARD_NATPMP)
		ns->pf.lease_port = pf_lease_current_port(runtime_dir, ns->name,
							  now_usec_realtime() / 1000000ULL);
}

int reconcile_expire_lease(const Desired *d, Journal *j, const char *digest, const Namespace *ns)
{
	_cleanup_(netns_freep) Netns *n = NULL;
	_cleanup_free_ char *summary = NULL;
	char txn[TXN_ID_STRLEN] = "";
	NftSocket *nft;
	PfLease l;
	int r;

	if (ns->pf.mode != PORT_FORWARD_NATPMP ||
	    pf_lease_read(d->runtime_dir, ns->name, &l) < 0 ||
	    pf_lease_current(&l, now_usec_realtime() / 1000000ULL))
		return 0;
	if (j && journal_txn_begin(j, "port-forward", "port-forward", ns->name, digest, txn) < 0)
		txn[0] = 0;
	/* A namespace that is gone, or a policy without the sets, holds no
	 * open port: only the files are left to remove. */
	r = netns_open(d->netns_dir, ns->name, &n);
	if (r >= 0)
		r = netns_nft(n, &nft);
	if (r >= 0)
		r = nft_forwarded_update(nft, ns->pf.tcp, ns->pf.udp, l.port, 0);
	summary = xasprintf("port forwarding: port %u -> no port (the lease expired at %llu "
			    "with nobody renewing it)%s%s",
			    (unsigned)l.port, (unsigned long long)l.expires_s,
			    r < 0 ? "; closing it in the policy: " : "", r < 0 ? strerror(-r) : "");
	r = pf_lease_remove(d->runtime_dir, ns->name);
	if (j && txn[0])
		(void)journal_txn_finish(j, txn, r < 0 ? TXN_FAILED : TXN_APPLIED, summary);
	return r < 0 ? r : 1;
}
