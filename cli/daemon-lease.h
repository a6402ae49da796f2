/* SPDX-License-Identifier: MIT */
/*
 * The agent's NAT-PMP lease loop (docs/port-forwarding.md), one Lease per
 * namespace whose portForwarding.mode is "natpmp":
 *
 *   daemon-lease-io.c     the UDP socket, opened inside the confinement
 *                         namespace and connected to gateway:5351, and its
 *                         sd-event io source: responses are parsed
 *                         (natpmp.h) and handed to lease_on_response();
 *   daemon-lease-timer.c  the timer source: retransmissions (RFC 6886
 *                         backoff), renewal at half the granted lifetime,
 *                         expiry;
 *   daemon-lease.c        the state and the one place where it changes the
 *                         system: the forwarded sets (one nftables element
 *                         batch), the lease files, a journaled transaction
 *                         (trigger "port-forward") and a journald event.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "natpmp.h"
#include "netns.h"

typedef struct Daemon Daemon;

typedef struct Lease {
	Daemon *daemon;
	char *name;
	Netns *netns; /* the namespace the socket lives in */
	int fd;
	sd_event_source *io;
	sd_event_source *timer;

	/* From the desired state. */
	struct in_addr gateway;
	bool tcp, udp;
	uint32_t lifetime;

	/* The request round in progress (requesting) or the next one. */
	bool requesting;
	unsigned attempt;
	uint64_t next_send_usec; /* CLOCK_MONOTONIC */
	bool answered[2];        /* [0] udp, [1] tcp */
	uint16_t answered_port[2];
	bool refusal_logged; /* one line per round, however often refused */
	uint32_t answered_lifetime[2];

	/* The current grant. */
	uint16_t port;             /* 0: none */
	uint64_t granted_usec;     /* CLOCK_MONOTONIC */
	uint64_t expires_usec;     /* CLOCK_MONOTONIC */
	uint64_t renew_usec;       /* CLOCK_MONOTONIC */
	uint64_t expires_realtime; /* seconds, for the lease file */
	bool have_epoch;
	uint32_t epoch;
	uint64_t epoch_usec;
	uint64_t changed_usec; /* the last port opened (CLOCK_MONOTONIC); 0: none */
	uint64_t restarted_usec; /* the last restart followed (CLOCK_MONOTONIC); 0: none */

	uint64_t malformed; /* responses ignored as malformed */
	bool released; /* deleted at the gateway before a reload dropped it */
	bool busy_retry; /* the reconcile lock was busy: apply again soon */
	uint16_t pending_port; /* port to apply when busy_retry */
} Lease;

/* After a pass: leases follow the desired state and the namespaces
 * present (created, re-opened in a re-created namespace, dropped). */
void daemon_leases_refresh(Daemon *d);
void daemon_leases_free(Daemon *d);
Lease *lease_free(Lease *l);

/* daemon-lease-io.c */
int lease_io_open(Lease *l);
void lease_io_close(Lease *l);
/* Sends the mapping request of op; lifetime 0 deletes the mapping. */
int lease_io_send(Lease *l, NatpmpOp op, uint32_t lifetime);

/* daemon-lease-timer.c */
int lease_timer_arm(Lease *l);
void lease_timer_free(Lease *l);

/* daemon-lease.c: the work. */
void lease_on_response(Lease *l, const NatpmpResponse *r, uint64_t now);
void lease_on_timer(Lease *l, uint64_t now);
/* The next instant lease_on_timer() must run at (CLOCK_MONOTONIC). */
uint64_t lease_next_usec(const Lease *l);
