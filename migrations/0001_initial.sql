-- Version 1: the core journal. Reconcile transactions, the kernel-changing
-- steps each of them took (written before the kernel is touched, marked
-- after it answered), and drift events. Times are microseconds since the
-- epoch (CLOCK_REALTIME). Only summaries are stored, never key material.
--
-- Shipped migrations are never edited: a schema change is a new file.

CREATE TABLE txn (
    id              TEXT PRIMARY KEY NOT NULL, -- random uuid, lower case
    trigger         TEXT NOT NULL,             -- cli, activation, timer, boot, ...
    command         TEXT NOT NULL,             -- reconcile, down, check, ...
    namespace       TEXT,                      -- NULL: all namespaces
    desired_sha256  TEXT,                      -- hex; NULL when unknown
    started_usec    INTEGER NOT NULL,
    finished_usec   INTEGER,                   -- NULL while running
    outcome         TEXT NOT NULL,             -- running, applied, rejected, ...
    summary         TEXT                       -- one line, or the error list
);

CREATE TABLE step (
    id              INTEGER PRIMARY KEY,
    txn_id          TEXT NOT NULL REFERENCES txn (id),
    seq             INTEGER NOT NULL,          -- 0-based order within txn
    namespace       TEXT,                      -- NULL: the host namespace
    object          TEXT NOT NULL,             -- "link vh-...", "nft table ..."
    action          TEXT NOT NULL,             -- create, delete, replace, set, ...
    before_state    TEXT,                      -- NULL: did not exist
    after_state     TEXT,                      -- NULL: does not exist after
    inverse         TEXT,                      -- how to undo it
    status          TEXT NOT NULL,             -- pending, done, failed, undone, ...
    error           TEXT,
    started_usec    INTEGER NOT NULL,
    finished_usec   INTEGER,                   -- NULL while pending
    UNIQUE (txn_id, seq)
);

CREATE TABLE drift (
    id              INTEGER PRIMARY KEY,
    txn_id          TEXT REFERENCES txn (id),  -- NULL: found outside a txn
    detected_usec   INTEGER NOT NULL,
    namespace       TEXT,
    object          TEXT NOT NULL,
    description     TEXT NOT NULL,
    action          TEXT NOT NULL              -- repair, lockdown, alert
);
