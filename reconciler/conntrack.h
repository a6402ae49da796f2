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

#include <stdbool.h>

#include "netns.h"

/* Deletes every conntrack entry of n (ctnetlink flush). A kernel that
 * cannot take the request (no ctnetlink) while the namespace has no
 * connection tracking either has nothing to flush: 0. With connection
 * tracking but no way to reach it, the kernel's error. */
int conntrack_flush(Netns *n);
/* Message building (pure): the flush request, for golden tests. */
size_t conntrack_build_flush(void *buf, size_t size, uint32_t seq);

/* Pure: does the kernel's answer r say ctnetlink is not there (-EINVAL
 * from nfnetlink for an unregistered subsystem, -EOPNOTSUPP,
 * -EPROTONOSUPPORT)? */
bool conntrack_error_is_unavailable(int r);
/* Pure: the result of a flush whose request got r, in a namespace with
 * (conntrack_loaded) or without connection tracking. */
int conntrack_flush_classify(int r, bool conntrack_loaded);
