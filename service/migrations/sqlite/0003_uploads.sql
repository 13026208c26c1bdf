-- Upload tickets (SPEC §6): one row per ticket, its temporary principal kept so a finished or
-- cancelled ticket can be refused by the uploads bucket's policy until its credentials expire.
CREATE TABLE upload_tickets (
    id TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    bucket TEXT NOT NULL,
    prefix TEXT NOT NULL,
    userid TEXT NOT NULL,
    client TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    ended_at BIGINT,
    objects BIGINT,
    bytes BIGINT
);
CREATE INDEX upload_tickets_state ON upload_tickets (state, expires_at);

-- API clients that may open upload tickets under their prefixes; the token is kept only as its
-- SHA-256.
CREATE TABLE clients (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    prefixes TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
