/* SPDX-License-Identifier: MIT */
/*
 * What the command-line verbs share: parsed options, exit codes, loading
 * the desired state (with rejections journaled), output helpers.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "desired.h"
#include "journal.h"
#include "reconcile.h"

/* Exit codes (docs/vpnconf.8). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,      /* something failed, or did not converge */
	EXIT_PENDING = 2,   /* plan: changes are pending */
	EXIT_INVALID = 3,   /* the desired state is invalid (rejected) */
	EXIT_BUSY = 4,      /* another reconcile holds the lock */
	EXIT_UNJOURNALED = 5, /* done, but the journal was unusable: not (all) recorded */
	EXIT_USAGE = 64,    /* bad command line */
};

/* Parsed command-line options (globals allowed for these). */
extern const char *arg_config;
extern const char *arg_state_dir;
extern const char *arg_namespace;
extern const char *arg_trigger;
extern bool arg_json;
extern unsigned arg_lock_timeout_ms;
extern unsigned arg_limit;
extern bool arg_unlock;
extern bool arg_prometheus; /* --format prometheus (status) */
extern unsigned arg_periodic_interval_s;
extern const char *arg_metrics_file;

/* Loads and validates the desired state; on failure prints every error,
 * journals a rejected attempt for command (best effort when the state
 * directory is not writable, e.g. as an unprivileged user) and returns
 * EXIT_INVALID (or EXIT_FAIL for I/O errors). With check_keys, also
 * refuses missing or exposed key files (generating them when generate). */
int load_desired(const char *command, bool check_keys, bool generate, Desired **ret);
/* Same, handing the errors to the caller (for --json) when ret_errors is
 * not NULL. */
int load_desired_full(const char *command, bool check_keys, bool generate, Desired **ret,
		      DesiredErrors *ret_errors);
/* Default paths for commands that must work without a valid file. */
Desired *desired_defaults(void);
/* The state directory in effect: --state-dir, else the desired state's. */
const char *state_dir_of(const Desired *d);

/* Output. */
void json_print(json_t *j); /* consumes j */
char *format_time(uint64_t usec); /* "2026-11-22 16:20:05", newly allocated */
char *format_age(uint64_t usec_ago); /* "3m 12s", newly allocated */
char *format_bytes(uint64_t bytes);
json_t *json_strv(char *const *l);
json_t *json_string_or_null(const char *s);

/* Verbs. */
int verb_check(int argc, char **argv);
int verb_plan(int argc, char **argv);
int verb_reconcile(int argc, char **argv);
int verb_down(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_history(int argc, char **argv);
int verb_show(int argc, char **argv);
int verb_daemon(int argc, char **argv);

/* The reconcile hooks of the command line: progress on stderr, alarms in
 * the journal (cmd-reconcile.c). */
extern const ReconcileHooks reconcile_log_hooks;

typedef enum JournalState {
	JOURNAL_USABLE,
	JOURNAL_RESET, /* damaged, moved aside; a new one started */
	JOURNAL_NONE,  /* unusable: the command goes on without one */
} JournalState;

/* Opens the journal of a command that changes the kernel; a damaged one is
 * moved aside and restarted, an unusable one leaves *ret NULL (alarmed):
 * protective actions never depend on the journal (cmd-reconcile.c). */
JournalState open_journal_for_writing(const char *state_dir, const char *digest, Journal **ret);

/* The Prometheus text of every namespace, as "status --format prometheus"
 * prints it (cmd-status.c). */
int status_metrics_text(const Desired *d, char **ret);

/* The command line as given (for vpnconf daemon, which runs the agent
 * executable with it). */
extern char **saved_argv;
