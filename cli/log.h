/* SPDX-License-Identifier: MIT */
/*
 * Logging for the command line: human lines on stderr ("vpnconf: ..."),
 * and structured entries in the systemd journal for what operators alarm
 * on (applied changes, drift, rollbacks, lockdowns, rejected states,
 * interrupted runs), with MESSAGE_ID and VPNCONF_* fields. The journal is
 * written only when it is there (/run/systemd/journal/socket).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "message-ids.h"
#include "util.h"

/* Parsed command-line state that shapes logging (globals allowed here). */
extern bool arg_quiet;

void log_msg(int priority, const char *fmt, ...) _printf_(2, 3);
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)

/* Logs err (a -errno) with context: "context: strerror". Returns err. */
int log_errno(int err, const char *fmt, ...) _printf_(2, 3);

/* A structured journal entry (and nothing on stderr). message_id is one of
 * the VPNCONF_MESSAGE_* ids; namespace and txn may be NULL. */
void log_event(int priority, const char *message_id, const char *namespace, const char *txn,
	       const char *event, const char *fmt, ...) _printf_(6, 7);

/* The same, for tunnel health: with VPNCONF_PEER (the peer's public key)
 * and VPNCONF_ENDPOINT (as written; may be NULL). */
void log_event_peer(int priority, const char *message_id, const char *namespace,
		    const char *peer, const char *endpoint, const char *event, const char *fmt, ...)
	_printf_(7, 8);
