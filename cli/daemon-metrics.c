/* SPDX-License-Identifier: MIT */
/*
 * The agent's node_exporter textfile (--metrics-file PATH): the same
 * metrics as "vpnconf status --format prometheus", rewritten atomically
 * (metrics_write_file) one second after a pass, so that a burst of passes
 * costs one rewrite, and on every periodic pass (handshake ages move with
 * time).
 */
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "vpnconf.h"

#define METRICS_DELAY_USEC (1000ULL * 1000)

static int on_metrics_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Daemon *d = userdata;
	_cleanup_free_ char *text = NULL;
	int r;

	r = status_metrics_text(d->desired, &text);
	if (r >= 0)
		r = metrics_write_file(d->metrics_file, text);
	if (r < 0)
		log_errno(r, "Failed to write the metrics file %s", d->metrics_file);
	return 0;
}

void daemon_metrics_schedule(Daemon *d)
{
	int enabled = SD_EVENT_OFF;

	if (!d->metrics_file)
		return;
	if (!d->metrics_timer) {
		if (sd_event_add_time_relative(d->event, &d->metrics_timer, CLOCK_MONOTONIC,
					       METRICS_DELAY_USEC, 100 * 1000, on_metrics_timer,
					       d) < 0)
			return;
		(void)sd_event_source_set_enabled(d->metrics_timer, SD_EVENT_ONESHOT);
		return;
	}
	(void)sd_event_source_get_enabled(d->metrics_timer, &enabled);
	if (enabled != SD_EVENT_OFF)
		return; /* already due: one rewrite for the burst */
	(void)sd_event_source_set_time_relative(d->metrics_timer, METRICS_DELAY_USEC);
	(void)sd_event_source_set_enabled(d->metrics_timer, SD_EVENT_ONESHOT);
}
