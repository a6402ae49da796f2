/* SPDX-License-Identifier: MIT */
/*
 * The state of a namespace's port forwarding lease, as files in its
 * runtime directory (docs/port-forwarding.md):
 *
 *   <runtimeDir>/<ns>/forwarded-port   the port, one line ("51413\n"),
 *                                      0644: for the confined client
 *   <runtimeDir>/<ns>/forwarded-lease  "v1 <port> <granted> <expires>
 *                                      <epoch>\n" (seconds, CLOCK_REALTIME;
 *                                      the gateway's epoch), 0644
 *
 * The agent writes them when a NAT-PMP lease is granted or changes and
 * removes them when it expires; the reconciler reads forwarded-lease to
 * know which port the policy's forwarded sets hold: the port of a lease
 * not yet expired, else none. Both are replaced atomically (safefile.h)
 * and parsed as untrusted input.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define PF_PORT_FILE "forwarded-port"
#define PF_LEASE_FILE "forwarded-lease"
#define PF_LEASE_TEXT_MAX 128

typedef struct PfLease {
	uint16_t port;
	uint64_t granted_s; /* CLOCK_REALTIME seconds */
	uint64_t expires_s;
	uint32_t epoch;
} PfLease;

/* "v1 <port> <granted> <expires> <epoch>\n" into buf (PF_LEASE_TEXT_MAX).
 * Pure. */
void pf_lease_format(const PfLease *l, char buf[static PF_LEASE_TEXT_MAX]);
/* The exact inverse; -EBADMSG for anything else (port 0, expiry before
 * grant, trailing bytes, numbers with signs or leading zeros). Pure. */
int pf_lease_parse(const char *text, PfLease *ret);
/* The longest a lease can still run: the longest lifetime the agent asks
 * for (PORT_FORWARD_LIFETIME_MAX); the agent keeps no longer a grant. */
#define PF_LEASE_REMAINING_MAX 86400

/* Whether l is current at now_s: not expired, and expiring no later than
 * PF_LEASE_REMAINING_MAX from now (a file written while the clock was
 * ahead, or by hand, does not hold a port open for years). Pure. */
bool pf_lease_current(const PfLease *l, uint64_t now_s);

/* Reads <runtime_dir>/<ns>/forwarded-lease. -ENOENT when absent,
 * -EBADMSG when malformed, safefile.h's codes for what is not a plain
 * file. */
int pf_lease_read(const char *runtime_dir, const char *ns, PfLease *ret);
/* The port of the current lease, 0 when there is none (absent, expired,
 * unreadable: a port is only ever admitted on proof of a lease). */
uint16_t pf_lease_current_port(const char *runtime_dir, const char *ns, uint64_t now_s);
/* Writes forwarded-lease, then (with port_file) forwarded-port: the
 * client's file last, once the reconciler knows the port. A renewal of the
 * same port rewrites only forwarded-lease, so that a hook watching
 * forwarded-port runs only when the port changes. */
int pf_lease_write(const char *runtime_dir, const char *ns, const PfLease *l, bool port_file);
/* Removes forwarded-port, then forwarded-lease. Absent is success. */
int pf_lease_remove(const char *runtime_dir, const char *ns);
