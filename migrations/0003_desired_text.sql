-- Version 3: the desired-state documents that transactions were run with,
-- by sha256. When a change fails, its rollback must put back the policy
-- vpnconf built and verified for the previous desired state: that table is
-- rebuilt from the document recorded here, never copied from the kernel,
-- where root inside the namespace may have altered it. Documents hold key
-- file paths, never key material.
--
-- Shipped migrations are never edited: a schema change is a new file.

CREATE TABLE desired_text (
    sha256          TEXT PRIMARY KEY NOT NULL, -- hex sha256 of text
    text            TEXT NOT NULL,             -- the document as read
    stored_usec     INTEGER NOT NULL           -- when it was first recorded
);

-- The last transaction of a namespace that applied a change and verified it.
CREATE INDEX txn_namespace_outcome ON txn (namespace, outcome, started_usec);
