/* SPDX-License-Identifier: MIT */
/*
 * The lease loop's timer source: one CLOCK_MONOTONIC timer per lease, set
 * to the earliest of its next retransmission, renewal and expiry
 * (lease_next_usec()); the work is lease_on_timer()'s.
 */
#include "daemon-lease.h"
#include "daemon.h"

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Lease *l = userdata;

	lease_on_timer(l, now_usec_monotonic());
	(void)lease_timer_arm(l);
	daemon_schedule(l->daemon);
	return 0;
}

int lease_timer_arm(Lease *l)
{
	uint64_t next = lease_next_usec(l);
	int r;

	if (!l->timer) {
		r = sd_event_add_time(l->daemon->event, &l->timer, CLOCK_MONOTONIC, UINT64_MAX,
				      1000, on_timer, l);
		if (r < 0)
			return r;
	}
	if (next == UINT64_MAX)
		return sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
	r = sd_event_source_set_time(l->timer, MAX(next, 1));
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

void lease_timer_free(Lease *l)
{
	l->timer = sd_event_source_disable_unref(l->timer);
}
