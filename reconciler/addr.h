/* SPDX-License-Identifier: MIT */
/*
 * Interface addresses (rtnetlink through libnl-route-3). Reading them is
 * part of link_snapshot(); this is the writing side.
 */
#pragma once

#include "ipaddr.h"
#include "netns.h"

/* The prefix keeps its host bits ("169.254.1.2/30"). IPv6 addresses are
 * added without duplicate address detection (point-to-point links).
 * -EEXIST when already present. */
int addr_add(Netns *n, const char *ifname, const IpPrefix *p);
/* -EADDRNOTAVAIL when absent. */
int addr_del(Netns *n, const char *ifname, const IpPrefix *p);
