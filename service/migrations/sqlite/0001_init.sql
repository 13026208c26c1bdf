-- S3 Keeper schema (SQLite). Times are Unix seconds. Kept column-for-column identical to
-- ../postgres/0001_init.sql; only the key types differ.
CREATE TABLE people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- The AWS IAM user a person proved they control. `status` is 'verified' or 'unverified' (AWS
-- refused it as a principal: the user was deleted); only verified identities appear in policies.
CREATE TABLE identities (
    person_id BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    user_id TEXT NOT NULL UNIQUE,
    arn TEXT NOT NULL,
    username TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    verified_at BIGINT NOT NULL
);

-- Step 1 of verification done, waiting for the signed URL.
CREATE TABLE pending_verifications (
    person_id BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    user_id TEXT NOT NULL,
    arn TEXT NOT NULL,
    username TEXT NOT NULL,
    object_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- `kind`: 'open' or 'controlled'. `state`: 'registered' until the upload finishes, then 'uploaded'.
-- `lock_seq` exists to be updated: the update is how a grant locks its dataset's row.
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL,
    version TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    uploaded_at BIGINT,
    lock_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (slug, version)
);

-- A person signed the dataset's data use agreement.
CREATE TABLE agreements (
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    dataset_id BIGINT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    signed_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, dataset_id)
);

-- `version` counts membership changes; `applied_version` is the version whose policy AWS last
-- accepted. `created` is 1 once the access point exists in AWS.
CREATE TABLE access_points (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id BIGINT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    member_count BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0,
    applied_version BIGINT NOT NULL DEFAULT -1,
    applied_at BIGINT,
    UNIQUE (dataset_id, number)
);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    dataset_id BIGINT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    access_point_id BIGINT NOT NULL REFERENCES access_points(id),
    created_at BIGINT NOT NULL,
    UNIQUE (person_id, dataset_id)
);
CREATE INDEX grants_by_access_point ON grants (access_point_id);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    person TEXT NOT NULL DEFAULT '',
    dataset TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_person ON audit (person);
CREATE INDEX audit_by_dataset ON audit (dataset);
