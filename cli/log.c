/* SPDX-License-Identifier: MIT */
/*
 * stderr and journal logging (see log.h). libsystemd is loaded with
 * dlopen() the first time an event is to be written and a journal socket
 * exists: a reconcile with nothing to report never maps it (nor the
 * compression and crypto libraries it pulls in).
 */
#include <dlfcn.h>
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

typedef int (*sd_journal_send_t)(const char *format, ...);

static sd_journal_send_t journal_send(void)
{
	static sd_journal_send_t fn;
	static bool tried;
	struct stat st;
	void *h;

	if (tried)
		return fn;
	tried = true;
	if (stat("/run/systemd/journal/socket", &st) < 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return NULL;
	fn = (sd_journal_send_t)dlsym(h, "sd_journal_send");
	return fn;
}

void log_event(int priority, const char *message_id, const char *namespace, const char *txn,
	       const char *event, const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	sd_journal_send_t send = journal_send();
	va_list ap;

	if (!send)
		return;
	va_start(ap, fmt);
	message = xvasprintf(fmt, ap);
	va_end(ap);
	send("MESSAGE=%s", message, "PRIORITY=%i", priority, "MESSAGE_ID=%s", message_id,
	     "SYSLOG_IDENTIFIER=vpnconf", "VPNCONF_EVENT=%s", event, "VPNCONF_NAMESPACE=%s",
	     strempty(namespace), "VPNCONF_TXN=%s", strempty(txn), NULL);
}

void log_event_peer(int priority, const char *message_id, const char *namespace,
		    const char *peer, const char *endpoint, const char *event, const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	sd_journal_send_t send = journal_send();
	va_list ap;

	if (!send)
		return;
	va_start(ap, fmt);
	message = xvasprintf(fmt, ap);
	va_end(ap);
	send("MESSAGE=%s", message, "PRIORITY=%i", priority, "MESSAGE_ID=%s", message_id,
	     "SYSLOG_IDENTIFIER=vpnconf", "VPNCONF_EVENT=%s", event, "VPNCONF_NAMESPACE=%s",
	     strempty(namespace), "VPNCONF_PEER=%s", strempty(peer), "VPNCONF_ENDPOINT=%s",
	     strempty(endpoint), NULL);
}
