/* SPDX-License-Identifier: MIT */
/* Step construction shared by plan.c and plan-namespace.c. */
#pragma once

#include "plan.h"

Step *step_new(StepKind kind, StepSite site, const char *ns, const char *action, const char *fmt,
	       ...) _printf_(5, 6);
void plan_append(Plan *p, Step *s);
Step *step_link_delete(const char *ns, StepSite site, const char *ifname, const char *why);
Step *step_file_remove(const char *ns, const char *path);
