/* SPDX-License-Identifier: MIT */
/*
 * Observing the kernel: for one confinement namespace, everything the
 * planner compares with the desired state (plan.h's Observed). Reads only:
 * netlink dumps and gets, sysctl and file reads; observing never produces
 * a kernel change event.
 *
 * An ObserveContext lives for one run and caches what namespaces share:
 * the namespace vpnconf runs in (with one link snapshot), and the socket
 * birthplace namespaces of managed tunnels.
 */
#pragma once

#include "desired.h"
#include "journal.h"
#include "netns.h"
#include "plan.h"

typedef struct Birthplace {
	char *name; /* NULL: the namespace vpnconf runs in */
	Netns *netns;
	LinkSnapshot links;
	bool links_valid;
} Birthplace;

typedef struct ObserveContext {
	const char *netns_dir;
	const char *runtime_dir;
	Netns *self;
	Birthplace self_place; /* self_place.netns == self (not owned twice) */
	Birthplace *places;    /* other socket namespaces */
	size_t n_places;
	/* Optional, borrowed: the journal, read for when a managed tunnel
	 * was last configured (tunnel health, health.h). */
	Journal *journal;
} ObserveContext;

int observe_context_init(ObserveContext *c, const char *netns_dir, const char *runtime_dir);
void observe_context_done(ObserveContext *c);

/* The birthplace of ns's tunnel (socketNamespace, or self). -ENOENT when
 * that namespace does not exist. */
int observe_birthplace(ObserveContext *c, const char *socket_namespace, Birthplace **ret);

/* Observes namespace name. ns is its desired configuration, or NULL when
 * the namespace is being torn down and has none (names are then derived
 * with the defaults). *ret_netns receives the open namespace when present
 * (NULL otherwise); the caller owns it. */
int observe_namespace(ObserveContext *c, const char *name, const Namespace *ns, Observed *ret,
		      Netns **ret_netns);

/* Names of namespaces vpnconf created that still have an ownership marker
 * under runtime_dir, sorted. */
int observe_owned_names(const char *runtime_dir, char ***ret);

/* Namespace names of the host-side tables (inet vpnconf-host-<name>,
 * carrying vpnconf's marker) in the namespace vpnconf runs in, validated
 * like desired names, sorted: a table outlives its namespace when a
 * rollback could not remove it. */
int observe_host_table_names(ObserveContext *c, char ***ret);
