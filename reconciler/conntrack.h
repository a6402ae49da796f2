/* SPDX-License-Identifier: MIT */
/*
 * Connection tracking of a namespace. The policy accepts packets of
 * established connections before it looks at destinations, so narrowing
 * the policy would not cut a connection the old policy let through.
 * Flushing the namespace's conntrack table after a policy replacement
 * makes every packet meet the new rules: allowed connections are picked up
 * again mid-stream, the others are dropped.
 */
#pragma once

#include "netns.h"

/* Deletes every conntrack entry of n (ctnetlink flush). A kernel without
 * ctnetlink (-EOPNOTSUPP) has nothing to flush vpnconf could reach: 0. */
int conntrack_flush(Netns *n);
/* Message building (pure): the flush request, for golden tests. */
size_t conntrack_build_flush(void *buf, size_t size, uint32_t seq);
