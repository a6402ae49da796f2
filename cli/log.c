/* SPDX-License-Identifier: MIT */
/* stderr and journal logging (see log.h). */
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "log.h"

bool arg_quiet = false;

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	if (arg_quiet && priority > LOG_WARNING)
		return;
	va_start(ap, fmt);
	fputs("vpnconf: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int log_errno(int err, const char *fmt, ...)
{
	_cleanup_free_ char *context = NULL;
	va_list ap;

	va_start(ap, fmt);
	context = xvasprintf(fmt, ap);
	va_end(ap);
	log_error("%s: %s", context, strerror(err < 0 ? -err : err));
	return err;
}

static bool journal_available(void)
{
	static int cached = -1;
	struct stat st;

	if (cached < 0)
		cached = stat("/run/systemd/journal/socket", &st) == 0 && S_ISSOCK(st.st_mode);
	return cached;
}

void log_event(int priority, const char *message_id, const char *namespace, const char *txn,
	       const char *event, const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	va_list ap;

	if (!journal_available())
		return;
	va_start(ap, fmt);
	message = xvasprintf(fmt, ap);
	va_end(ap);
	sd_journal_send("MESSAGE=%s", message, "PRIORITY=%i", priority, "MESSAGE_ID=%s", message_id,
			"SYSLOG_IDENTIFIER=vpnconf", "VPNCONF_EVENT=%s", event,
			"VPNCONF_NAMESPACE=%s", strempty(namespace), "VPNCONF_TXN=%s",
			strempty(txn), NULL);
}
