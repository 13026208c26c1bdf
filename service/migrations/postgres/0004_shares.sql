-- Shared buckets with roles (SPEC §7). `applied` is the policy text the service last wrote (NULL
-- when it wrote none or deleted it), compared with the live policy before every write so that a
-- steward's hand edit is never overwritten unnoticed; `kept` holds, as a JSON list, the
-- statements an import could not express, rendered after the table's own.
CREATE TABLE shares (
    bucket TEXT PRIMARY KEY,
    lock_seq BIGINT NOT NULL DEFAULT 0,
    applied TEXT,
    kept TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The role table: one role per principal and prefix ('' for the whole bucket).
CREATE TABLE share_members (
    bucket TEXT NOT NULL REFERENCES shares (bucket),
    principal TEXT NOT NULL,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    prefix TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (bucket, principal, prefix)
);
