/* SPDX-License-Identifier: MIT */
/*
 * Plans: the ordered steps that take one confinement namespace from its
 * observed state to its desired state (or tear it down), each with its
 * inverse. Planning is pure: plan_namespace() and plan_teardown() read
 * structs and produce structs, with no system calls, so that the order of
 * steps -- the fail-closed argument of vpnconf -- is unit-tested.
 *
 * Order of a bring-up or change (docs/reconcile.md explains why each
 * boundary keeps the namespace fail-closed):
 *   1. the namespace, created with loopback, sysctls and the deny-by-default
 *      policy already inside before it gets its name;
 *   2. removal of vpnconf's links that are no longer wanted (fewer paths
 *      first, under the old policy);
 *   3. sysctls, then the policy table, replaced atomically, then the
 *      removal of foreign nftables tables (after the policy: a table that
 *      cannot be deleted must not keep the policy from being repaired);
 *   4. the endpoint-pinning table in the tunnel's birthplace namespace,
 *      and the host-side table of the host link in vpnconf's namespace;
 *   5. the host link (never without its host-side table), then the
 *      managed tunnel (created from its birthplace
 *      directly inside the namespace, unconfigured and down; then
 *      configured, addressed, up, routed);
 *   6. the resolver files.
 * Teardown runs the other way: the lockdown table first when processes
 * may still run inside, then every interface of vpnconf's group in one
 * message (and the host end of the host link), pinning, files, the
 * namespace, whose policy lives as long as anything is inside, and last
 * the host-side table, after the host end. Nothing of the namespace is
 * left on the host side when the teardown returns.
 */
#pragma once

#include <stdbool.h>

#include "desired.h"
#include "dnsfiles.h"
#include "ipaddr.h"
#include "link.h"
#include "route.h"

typedef struct NftTable NftTable;
typedef struct PeerHealth PeerHealth;
typedef struct WgDevice WgDevice;

typedef enum StepKind {
	STEP_NETNS_CREATE,
	STEP_NETNS_DELETE,
	STEP_PLACEHOLDER_REMOVE,
	STEP_SYSCTL_SET,
	STEP_NFT_REPLACE,
	STEP_NFT_DELETE,
	STEP_CONNTRACK_FLUSH,
	STEP_HOSTLINK_CREATE,
	STEP_TUNNEL_CREATE,
	STEP_TUNNEL_CONFIGURE,
	STEP_LINK_DELETE,
	STEP_LINKS_DELETE,
	STEP_LINK_ALIAS,
	STEP_LINK_UP,
	STEP_LINK_DOWN,
	STEP_LINK_MTU,
	STEP_ADDR_ADD,
	STEP_ADDR_DEL,
	STEP_ROUTE_ADD,
	STEP_ROUTE_DEL,
	STEP_FILE_WRITE,
	STEP_FILE_REMOVE,
	_STEP_KIND_MAX,
	_STEP_KIND_INVALID = -EINVAL,
} StepKind;

/* Which namespace a step acts in. */
typedef enum StepSite {
	SITE_NAMESPACE,  /* the confinement namespace */
	SITE_HOST,       /* the namespace vpnconf runs in */
	SITE_BIRTHPLACE, /* the namespace the tunnel's UDP socket lives in */
	SITE_FILES,      /* the file system */
	SITE_OTHER,      /* the namespace named by netns_name ("init": vpnconf's own) */
	_STEP_SITE_MAX,
	_STEP_SITE_INVALID = -EINVAL,
} StepSite;

const char *step_kind_to_string(StepKind k);
const char *step_site_to_string(StepSite s);

typedef struct Step Step;
struct Step {
	StepKind kind;
	StepSite site;
	char *namespace; /* the confinement namespace it belongs to */
	char *object;    /* "link vh-0123456789ab", "nft table inet vpnconf", ... */
	char *action;    /* "create", "delete", "replace", "set", "up", ... */
	char *before;    /* summary of what is there now (NULL: nothing) */
	char *after;     /* summary of what will be there (NULL: nothing) */
	char **reasons;  /* the differences that call for this step */

	/* Arguments; which ones a kind uses is documented in plan.c. */
	char *ifname;
	char *peer_ifname;
	char *alias;
	IpPrefix prefix;
	IpPrefix peer_prefix;
	int oif;
	unsigned mtu;
	char *key;
	char *value;
	char *path;
	char *content;
	char **sysctls; /* NETNS_CREATE: "key=value" pairs set inside */
	char **ifnames; /* LINKS_DELETE: vpnconf's links by name */
	NftTable *table; /* NFT_REPLACE, NETNS_CREATE */
	char *table_name; /* NFT_DELETE */
	char *netns_name; /* SITE_OTHER */
	WgDevice *wg_change; /* TUNNEL_CONFIGURE */

	/* A foreign object holds the name this step needs: the step fails
	 * without touching it, with conflict as its message. */
	char *conflict;
	/* Undoes this step during a rollback; NULL when there is nothing to
	 * undo. irreversible: a rollback past this step must lock down. */
	Step *inverse;
	bool irreversible;
};

typedef struct Plan {
	Step **steps;
	size_t n;
	char **notes; /* observations that need no step (foreign interfaces...) */
} Plan;

void plan_done(Plan *p);
Step *step_free(Step *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Step *, step_free);
/* One line, e.g. "vpnapps: create link vh-0123456789ab (veth to vn-…)". */
char *step_describe(const Step *s);

/* Whether processes still run inside a namespace (teardown only). */
typedef enum NetnsUse {
	NETNS_USE_NONE,    /* provably nobody */
	NETNS_USE_SOME,    /* at least one process */
	NETNS_USE_UNKNOWN, /* nobody vpnconf could see, but some processes it may not inspect */
	_NETNS_USE_MAX,
	_NETNS_USE_INVALID = -EINVAL,
} NetnsUse;

typedef enum NetnsState {
	NETNS_ABSENT,
	NETNS_PRESENT,
	NETNS_PLACEHOLDER, /* an empty file left by an interrupted creation */
	NETNS_NOT_NETNS,   /* something else occupies the path */
	_NETNS_STATE_MAX,
	_NETNS_STATE_INVALID = -EINVAL,
} NetnsState;

/* What observe.c found for one confinement namespace. Pointers into
 * shared snapshots are borrowed. */
typedef struct Observed {
	char *name;
	NetnsState netns_state;
	bool owned; /* the ownership marker holds this namespace's cookie */
	char *not_owned_why; /* present and not owned: why not, for the conflict */
	char *marker_want; /* the marker this namespace calls for ("cookie:<n>\n"),
			    * NULL when the namespace is absent */
	char *marker;   /* content of <runtimeDir>/<name>/netns-id, NULL when absent */
	const char *marker_problem; /* what is wrong with the marker file (safefile.h),
				     * NULL when it is a regular file or absent */
	LinkSnapshot links; /* inside the namespace */
	int disable_ipv6_all; /* -1: unknown/absent (no IPv6 in the kernel) */
	int disable_ipv6_default;
	NftTable *table; /* inet vpnconf, NULL when absent */
	char **foreign_tables; /* other tables inside, "family name" */
	RouteInfo *routes;
	size_t n_routes;
	WgDevice *wg; /* the managed tunnel's device, NULL when absent */
	const LinkInfo *host_link; /* hostIf in the host namespace, borrowed */
	/* Another link of the host on hostIf (a macvlan, a vlan: frames for
	 * it never arrive "on" hostIf), "" when none. */
	char host_link_upper[IFNAMSIZ];
	NetnsUse in_use; /* teardown only */
	bool birthplace_present;
	NftTable *pin_table; /* in the birthplace, NULL when absent */
	char *pin_netns; /* where pin_table is when that is not the desired birthplace
			  * (a namespace no longer desired), else NULL */
	char *stale_pin_birthplace; /* a former socket namespace still holding a pin table */
	NftTable *host_table; /* inet vpnconf-host-<name> in vpnconf's namespace, NULL when absent */
	char *files[_DNS_FILE_MAX]; /* NULL when absent or not a regular file */
	const char *files_problem[_DNS_FILE_MAX]; /* why a file is not read: not a
						   * regular file (safefile.h) */
	char **stale_files; /* temporaries of interrupted writes in the runtime directory */
	char **lease_files; /* port forwarding's forwarded-port and forwarded-lease, present
			     * (pf-lease.h): removed by a teardown */
	/* The managed tunnel's peers' health (health.h), in desired order;
	 * set by reconcile_observe_plan(), NULL otherwise. */
	PeerHealth *health;
	size_t n_health;
} Observed;

void observed_done(Observed *o);

/* Inputs of planning besides the observed state. */
typedef struct PlanInput {
	const Desired *desired;
	const Namespace *ns;
	const WgDevice *want_wg; /* managed tunnels: the desired device, keys loaded */
	/* CLOCK_REALTIME "now" for drift.handshakeTimeoutSeconds; 0 skips the
	 * liveness check (verification right after applying). */
	uint64_t now_usec;
	/* The policy vpnconf built for the desired state this namespace was
	 * last verified against, rebuilt from the journaled document; NULL
	 * when unknown. See plan_policy_inverse(). */
	NftTable *verified_policy;
	/* Likewise the endpoint-pinning table of this namespace's tunnel:
	 * the only table a rollback may put back in the socket namespace. */
	NftTable *verified_pin;
	/* Likewise the host-side table of this namespace's host link. */
	NftTable *verified_host;
	/* Health of ns's peers in desired order (health.h), whose refresh
	 * and switch actions become steps; NULL: judged from want_wg alone
	 * (each peer's one wanted endpoint, no journal times). */
	const PeerHealth *health;
} PlanInput;

/* The inverse rule: what undoes a replacement of the policy table of a
 * namespace whose kernel currently holds have (NULL: no table). It is the
 * table vpnconf built and verified (verified, NULL when unknown) when the
 * kernel holds exactly that, and the lockdown table otherwise: a rollback
 * never re-installs a table read from the kernel, which root inside the
 * namespace may have altered. Pure. */
int plan_policy_inverse(const NftTable *have, NftTable *verified, NftTable **ret);

/* Plans the convergence of one namespace. Pure. */
int plan_namespace(const PlanInput *in, const Observed *have, Plan *ret);
/* Plans the fail-closed teardown of an owned namespace. Pure. */
int plan_teardown(const char *runtime_dir, const Observed *have, Plan *ret);

/* <runtime_dir>/<name>/netns-id */
char *netns_marker_path(const char *runtime_dir, const char *ns_name);
