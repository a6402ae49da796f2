/* SPDX-License-Identifier: MIT */
/*
 * vpnconf daemon: the resident agent. One sd-event loop; the event sources
 * (daemon-netlink.c: netlink groups inside each namespace; daemon-files.c:
 * inotify on the generated files and the namespace directory, and the mount
 * table) only mark namespaces dirty in the scheduler (agent-sched.h) and
 * arm the pass timer; the pass (cmd-daemon.c) runs the reconcile loop for
 * what is dirty.
 */
#pragma once

#include <sys/types.h>
#include <systemd/sd-event.h>

#include "agent-sched.h"
#include "health.h"
#include "reconcile.h"

typedef struct Daemon Daemon;

/* Netlink sockets opened inside one namespace (daemon-netlink.c). */
typedef struct Watch {
	Daemon *daemon;
	char *name;   /* confinement namespace, or birthplace; NULL: our own namespace */
	bool birthplace;
	dev_t dev;    /* identity of the namespace watched */
	ino_t ino;
	int rtnl_fd;
	int nft_fd;
	sd_event_source *rtnl_src;
	sd_event_source *nft_src;
} Watch;

/* What the agent last saw of a managed tunnel's peers. */
typedef struct DaemonHealth {
	HealthState *state; /* per peer, desired order */
	size_t n;
	uint64_t latest_handshake_usec; /* the newest of its peers (CLOCK_REALTIME); 0: never */
} DaemonHealth;

/* The identity a desired namespace had when last seen (daemon-units.c). */
typedef struct NsSeen {
	char *name;
	dev_t dev;
	ino_t ino;
	bool lost; /* gone since, and journaled */
	bool foreign; /* its path holds a namespace that is not vpnconf's (reported) */
} NsSeen;

struct Daemon {
	sd_event *event;
	Desired *desired; /* the last good desired state */
	Journal *journal; /* NULL: opened by the next pass */
	AgentSched sched;
	sd_event_source *pass_timer;

	Watch **watches;
	size_t n_watches;

	int inotify_fd;
	sd_event_source *inotify_src;
	struct {
		int wd;
		char *name; /* namespace; NULL: the namespace or runtime directory */
	} *wds;
	size_t n_wds;
	int mountinfo_fd;
	sd_event_source *mountinfo_src;

	NamespaceOutcome *outcomes; /* per desired namespace, last pass */
	DaemonHealth *health;       /* per desired namespace */
	/* Per desired namespace: its mount went away (SUSPECTED) and the
	 * pass found "vpnconf down" did it (BY_DOWN, for one pass). */
	enum { LOST_NO, LOST_SUSPECTED, LOST_BY_DOWN } *lost;
	/* Per desired namespace: what produces no event, after its last pass
	 * (daemon-periodic.c). */
	struct {
		bool valid;
		uint8_t digest[32];
	} *fingerprints;
	char *metrics_file;         /* --metrics-file; NULL: none */
	sd_event_source *metrics_timer;
	char *status;               /* last STATUS= sent */
	uint64_t passes;            /* passes run (for tests and benchmarks) */
	uint64_t overruns;
	NsSeen *seen;
	size_t n_seen;
	struct Lease **leases; /* NAT-PMP leases (daemon-lease.h) */
	size_t n_leases;
};

/* Marks namespace name dirty (a birthplace name marks the namespaces whose
 * tunnel socket lives there) and arms the pass timer. */
void daemon_mark(Daemon *d, const char *name);
void daemon_mark_all(Daemon *d);
/* The path of desired namespace name no longer holds the namespace that
 * was watched: alarmed once, until it is re-created. */
void daemon_namespace_lost(Daemon *d, const char *name);
/* The namespace's removal seen by the last pass was a "vpnconf down". */
bool daemon_lost_by_down(const Daemon *d, const char *name);
void daemon_mark_full(Daemon *d);
void daemon_schedule(Daemon *d);

/* Opens, re-opens (the namespace under a path changed) or closes the
 * netlink watches to match the desired state and the namespaces present.
 * A newly opened watch marks its namespace dirty: what changed before it
 * was open is seen by the pass. */
void daemon_netlink_refresh(Daemon *d);

/* After a pass: restarts, through systemd, the units confined to a
 * namespace that was re-created, so that they leave the orphaned one
 * (daemon-units.c). */
void daemon_units_after_pass(Daemon *d);
void daemon_units_free(Daemon *d);
void daemon_netlink_free(Daemon *d);

/* Tunnel health after a pass (daemon-health.c): alarms its transitions
 * and schedules the next timed look at the namespace. */
void daemon_health_update(Daemon *d, size_t index, const NamespaceReport *n);
void daemon_health_free(Daemon *d);

/* The periodic check (daemon-periodic.c): marks dirty each namespace
 * whose sysctls, WireGuard configuration or resolver files changed since
 * daemon_periodic_remember() after its last pass. */
void daemon_periodic_check(Daemon *d);
void daemon_periodic_remember(Daemon *d, size_t index);

/* The node_exporter textfile (daemon-metrics.c): rewritten soon after a
 * pass, at most once a second. */
void daemon_metrics_schedule(Daemon *d);

/* The NAT-PMP lease loop (daemon-lease.h). */
void daemon_leases_refresh(Daemon *d);
/* Before a reload's pass: the leases next no longer asks for are deleted
 * at the gateway (lifetime 0) while the policy still lets that out. */
void daemon_leases_release(Daemon *d, const Desired *next);
void daemon_leases_free(Daemon *d);

/* inotify and mount table watches (daemon-files.c). */
int daemon_files_init(Daemon *d);
void daemon_files_refresh(Daemon *d);
void daemon_files_free(Daemon *d);
