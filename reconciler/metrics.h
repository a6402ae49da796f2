/* SPDX-License-Identifier: MIT */
/*
 * Metrics in the Prometheus text exposition format (version 0.0.4), for
 * "vpnconf status --format prometheus" and for the node_exporter textfile
 * that the agent keeps up to date. Formatting is pure (structs in, text
 * out) and tested against golden text; metrics_write_file() replaces a
 * file atomically, so that a scraper never reads half of it.
 *
 * Every metric is prefixed "vpnconf_"; labels are namespace, and for
 * peers interface and public_key (WireGuard public keys are public).
 * Private and preshared keys never get here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct MetricsPeer {
	const char *public_key; /* base64 */
	const char *interface;
	uint64_t latest_handshake_usec; /* CLOCK_REALTIME; 0: never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	int healthy;             /* 1 ok, 0 stale, -1 unknown (no handshake timeout set) */
	unsigned endpoint_index; /* 1-based position of the endpoint in use; 0: unknown */
	unsigned n_endpoints;    /* endpoints configured for the peer; 0: none */
} MetricsPeer;

typedef struct MetricsNamespace {
	const char *name;
	bool present;
	bool in_sync;
	bool locked_down;
	bool has_counters; /* the journal could be read */
	uint64_t drift_events;
	uint64_t lockdowns;
	const MetricsPeer *peers;
	size_t n_peers;
	/* Port forwarding (portForwarding.mode not "none"): the forwarded port
	 * (0: none now) and, for a NAT-PMP lease, when it was last granted or
	 * renewed (CLOCK_REALTIME; 0: no lease). */
	bool port_forwarding;
	uint16_t forwarded_port;
	uint64_t lease_granted_usec;
} MetricsNamespace;

/* Formats n namespaces, in the order given, into newly allocated text
 * (each metric family once, with its HELP and TYPE lines). now_usec
 * (CLOCK_REALTIME) gives handshake ages. Pure. */
int metrics_format(const MetricsNamespace *ns, size_t n, uint64_t now_usec, char **ret);

/* Replaces path with text atomically: a temporary file in the same
 * directory (created with O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0644, a name
 * starting with "." and not ending in ".prom", so that node_exporter's
 * textfile collector ignores it), fsync'ed, renamed over path, then the
 * directory fsync'ed. The temporary file is removed on failure. A
 * symbolic link at path is replaced, never followed. */
int metrics_write_file(const char *path, const char *text);
