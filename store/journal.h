/* SPDX-License-Identifier: MIT */
/*
 * The state journal: an SQLite database at <stateDir>/journal.db that
 * records every reconcile transaction, each kernel-changing step with its
 * inverse (written before the step runs, marked after the kernel's ACK),
 * drift events and rejected attempts. docs/journal.md explains the schema
 * and the durability choice:
 *
 *  - step records are written with synchronous=NORMAL in WAL mode: they
 *    survive a crash of the process (the data is in the page cache), not a
 *    power cut, which is all they need since kernel network state does not
 *    survive a power cut either;
 *  - the record that finishes a transaction is committed with
 *    synchronous=FULL, which fsyncs the WAL once and makes the whole
 *    transaction, steps included, durable.
 *
 * No secret ever enters the journal: callers pass summaries, never keys.
 * All functions return -errno style codes; SQLite result codes are
 * converted in one place (journal.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define JOURNAL_FILE "journal.db"
#define TXN_ID_STRLEN 37 /* uuid + NUL */

typedef struct Journal Journal;

typedef enum TxnOutcome {
	TXN_RUNNING,      /* started, not finished (or the process died) */
	TXN_APPLIED,      /* changes applied and verified */
	TXN_IN_SYNC,      /* nothing to do (recorded only when asked to) */
	TXN_ROLLED_BACK,  /* a step failed; applied steps were undone */
	TXN_LOCKDOWN,     /* an undo failed; namespace locked down */
	TXN_FAILED,       /* failed before changing anything, or verify failed */
	TXN_INTERRUPTED,  /* found unfinished by a later run */
	TXN_REJECTED,     /* the desired state was invalid; nothing changed */
	TXN_DRIFT,        /* drift found and only reported (drift.action alert) */
	_TXN_OUTCOME_MAX,
	_TXN_OUTCOME_INVALID = -EINVAL,
} TxnOutcome;

typedef enum StepStatus {
	STEP_PENDING,         /* journaled, about to run (or died running) */
	STEP_DONE,            /* the kernel acknowledged it */
	STEP_FAILED,          /* the kernel refused it */
	STEP_UNDONE,          /* its inverse ran during a rollback */
	STEP_UNDO_FAILED,     /* its inverse failed too */
	STEP_SKIPPED,         /* journaled with its plan, never run: an earlier step failed */
	_STEP_STATUS_MAX,
	_STEP_STATUS_INVALID = -EINVAL,
} StepStatus;

const char *txn_outcome_to_string(TxnOutcome o);
TxnOutcome txn_outcome_from_string(const char *s);
const char *step_status_to_string(StepStatus s);
StepStatus step_status_from_string(const char *s);

typedef struct TxnRecord {
	char id[TXN_ID_STRLEN];
	char *trigger;   /* "cli", "activation", "timer", "boot", ... */
	char *command;   /* "reconcile", "down", "check", ... */
	char *namespace; /* NULL: all namespaces */
	char *desired_sha256; /* hex, NULL when unknown */
	uint64_t started_usec;  /* CLOCK_REALTIME */
	uint64_t finished_usec; /* 0 while running */
	TxnOutcome outcome;
	char *summary; /* one line, or the rejection's error list */
	unsigned n_steps;
} TxnRecord;

typedef struct StepRecord {
	int64_t id;
	unsigned seq; /* 0-based order within the transaction */
	char *namespace;
	char *object;  /* "link vh-0123456789ab", "nft table inet vpnconf", ... */
	char *action;  /* "create", "delete", "replace", "set", ... */
	char *before;  /* summary of the state before, NULL for none */
	char *after;   /* summary of the state after, NULL for none */
	char *inverse; /* description of the inverse step */
	StepStatus status;
	char *error;
	uint64_t started_usec;
	uint64_t finished_usec;
} StepRecord;

typedef struct DriftRecord {
	int64_t id;
	char txn_id[TXN_ID_STRLEN]; /* "" when not tied to a transaction */
	uint64_t detected_usec;
	char *namespace;
	char *object;
	char *description;
	char *action; /* "repair", "lockdown", "alert" */
} DriftRecord;

void txn_record_done(TxnRecord *t);
void step_record_done(StepRecord *s);
void drift_record_done(DriftRecord *d);
void txn_records_free(TxnRecord *t, size_t n);
void step_records_free(StepRecord *s, size_t n);
void drift_records_free(DriftRecord *d, size_t n);

/* Opens (creating when needed: directory 0700, file 0600) and migrates
 * <state_dir>/journal.db. With read_only, never creates or migrates: a
 * missing database is -ENOENT, an older schema is read as is when it can
 * be, a newer one is -EPROTONOSUPPORT. */
int journal_open(const char *state_dir, bool read_only, Journal **ret);
Journal *journal_close(Journal *j);
/* Whether an error of journal_open() means the file itself is unusable
 * (not a database, corrupt, not a regular file) rather than its
 * directory or the file system (full, read-only, permissions). */
bool journal_error_is_damage(int r);
/* Renames <state_dir>/journal.db (and its -wal and -shm) to
 * journal.db.corrupt-<UTC time>, so that a new journal can start; the
 * new name (without directory) in *ret_name. Renaming never follows a
 * symbolic link and works for any kind of file. */
int journal_move_aside(const char *state_dir, char **ret_name);
DEFINE_TRIVIAL_CLEANUP_FUNC(Journal *, journal_close);

/* PRAGMA user_version after migration; the number of shipped migrations. */
int journal_schema_version(Journal *j);
unsigned journal_migrations_count(void);
/* Migrates an open database up to version target (tests use this to build
 * every earlier version). */
int journal_migrate_to(Journal *j, unsigned target);

/* Transactions. txn_begin generates the id (libuuid, lower-case). */
int journal_txn_begin(Journal *j, const char *trigger, const char *command, const char *namespace,
		      const char *desired_sha256, char ret_id[static TXN_ID_STRLEN]);
/* Durable (synchronous=FULL for this commit). */
int journal_txn_finish(Journal *j, const char *txn_id, TxnOutcome outcome, const char *summary);
/* A rejected attempt: one finished transaction with outcome "rejected"
 * and the error list as summary. Durable. */
int journal_record_rejected(Journal *j, const char *trigger, const char *command,
			    const char *desired_sha256, const char *errors,
			    char ret_id[static TXN_ID_STRLEN]);

/* Steps: begin writes a pending record (not fsynced) before the kernel is
 * touched; finish updates its status after the kernel answered. */
int journal_step_begin(Journal *j, const char *txn_id, const StepRecord *s, int64_t *ret_step_id);
int journal_step_finish(Journal *j, int64_t step_id, StepStatus status, const char *error);
/* A whole plan at once: n pending records in one commit, before any of
 * them runs (ids in ret_ids). Each is then finished with
 * journal_step_done(), which also records when it started running. */
int journal_steps_begin(Journal *j, const char *txn_id, const StepRecord *steps, size_t n,
			int64_t *ret_ids);
int journal_step_done(Journal *j, int64_t step_id, StepStatus status, const char *error,
		      uint64_t started_usec);
/* Marks the steps of txn_id still pending as skipped (after a failure). */
int journal_steps_skip_pending(Journal *j, const char *txn_id);

int journal_record_drift(Journal *j, const char *txn_id, const char *namespace, const char *object,
			 const char *description, const char *action);

/* The cheap "in sync" mark of a no-op reconcile: one row updated in place. */
int journal_mark_in_sync(Journal *j, const char *desired_sha256);
int journal_get_in_sync(Journal *j, char **ret_sha256, uint64_t *ret_usec);

/* The desired-state document of a transaction, by its hex sha256: stored
 * once (later calls with the same sha256 change nothing), read back only
 * when its sha256 still matches (-ENOENT when absent, -EBADMSG when the
 * stored text does not hash to it). */
int journal_desired_store(Journal *j, const char *desired_sha256, const char *text, size_t size);
int journal_desired_get(Journal *j, const char *desired_sha256, char **ret_text, size_t *ret_size);
/* The desired state (hex sha256) of the newest reconcile transaction of
 * namespace that applied a change and verified it, and when it finished.
 * -ENOENT when there is none. */
int journal_last_verified(Journal *j, const char *namespace, char **ret_sha256,
			  uint64_t *ret_usec);

/* Transactions left in TXN_RUNNING (a crashed run), oldest first. */
int journal_unfinished(Journal *j, TxnRecord **ret, size_t *ret_n);

/* Newest first; limit 0 means all. namespace NULL: any. */
int journal_list_txns(Journal *j, const char *namespace, unsigned limit, TxnRecord **ret,
		      size_t *ret_n);
/* By full id or unique prefix (>= 4 chars): -ENOENT, or -EADDRNOTAVAIL
 * when the prefix is ambiguous. */
int journal_get_txn(Journal *j, const char *id_or_prefix, TxnRecord *ret_txn, StepRecord **ret_steps,
		    size_t *ret_n_steps);
/* The newest finished transaction that touched namespace (or any, NULL). */
int journal_last_txn(Journal *j, const char *namespace, TxnRecord *ret);
int journal_list_drift(Journal *j, const char *namespace, unsigned limit, DriftRecord **ret,
		       size_t *ret_n);
/* When a step that configured the tunnel ifname of namespace last
 * finished ("link IFNAME" or "wireguard IFNAME" steps done): *ret_usec,
 * or 0 when none is recorded. */
int journal_last_tunnel_change(Journal *j, const char *namespace, const char *ifname,
			       uint64_t *ret_usec);
/* Counters for metrics, since the journal was created: drift events
 * recorded for namespace, and transactions touching it that ended in
 * lockdown. */
int journal_count_events(Journal *j, const char *namespace, uint64_t *ret_drift,
			 uint64_t *ret_lockdowns);
