-- Version 2: indexes for the queries every vpnconf invocation runs, and the
-- one-row mark that a reconcile which found nothing to do updates in place
-- instead of recording a transaction.
--
-- Shipped migrations are never edited: a schema change is a new file.

-- Unfinished transactions (a crashed run) are looked up on every run; the
-- partial index stays tiny because finished transactions leave it. Queries
-- must spell the literal 'running' for the planner to use it.
CREATE INDEX txn_running ON txn (started_usec) WHERE outcome = 'running';

-- Listings are newest first.
CREATE INDEX txn_started ON txn (started_usec);
CREATE INDEX drift_detected ON drift (detected_usec);

CREATE TABLE in_sync (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    desired_sha256  TEXT NOT NULL,             -- hex of the desired state
    marked_usec     INTEGER NOT NULL           -- when it was last found in sync
);
