/* SPDX-License-Identifier: MIT */
/* Step construction shared by plan.c and plan-namespace.c. */
#pragma once

#include "plan.h"

Step *step_new(StepKind kind, StepSite site, const char *ns, const char *action, const char *fmt,
	       ...) _printf_(5, 6);
void plan_append(Plan *p, Step *s);
Step *step_link_delete(const char *ns, StepSite site, const char *ifname, const char *why);
Step *step_file_remove(const char *ns, const char *path);

/* The state of one plan_namespace() call (plan-namespace.c), shared with
 * the managed-tunnel part of the plan (plan-tunnel.c). */
typedef struct Planner {
	const PlanInput *in;
	const Namespace *ns;
	const Observed *have;
	bool fresh; /* the plan creates the namespace: nothing inside exists yet */
	Plan *plan;
} Planner;

Step *planner_add(Planner *p, Step *s);
/* A foreign link inside that reaches another namespace (not the external
 * tunnel): step 2 deletes it (plan-namespace.c). */
bool plan_link_leads_out(const Namespace *ns, const LinkInfo *l);
Step *planner_conflict(Planner *p, Step *s, const char *fmt, ...) _printf_(3, 4);
const char *prefix_str(const IpPrefix *x, char buf[static IPPREFIX_STRLEN]);
bool prefix_in(const IpPrefix *x, const IpPrefix *list, size_t n);
Step *addr_step(const Planner *p, StepKind kind, StepSite site, const char *ifname,
		const IpPrefix *a);
Step *link_state_step(const Planner *p, StepKind kind, StepSite site, const char *ifname);
/* Address, state and label differences of one existing link. */
void plan_link_addrs(Planner *p, StepSite site, const LinkInfo *l, const IpPrefix *want,
		     size_t n_want);
void plan_link_up(Planner *p, StepSite site, const LinkInfo *l);
void plan_link_alias(Planner *p, StepSite site, const LinkInfo *l, char *alias_owned);
/* 5b: the managed tunnel, its routes and handshakes (plan-tunnel.c). */
int plan_tunnel(Planner *p);
/* A reference to verified when the kernel holds exactly that table, else
 * NULL (plan-namespace.c). */
int verified_copy(const NftTable *have, NftTable *verified, NftTable **ret);
/* 4b: the host-side table of the host link (plan-host.c). 1: a foreign
 * table holds its name, and no host link may be planned. */
int plan_host_table(Planner *p);
