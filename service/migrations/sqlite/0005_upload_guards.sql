-- Upload tickets against an adversary (issue 18).
-- Who opened a ticket, typed: 'operator' or 'client:ID' (a client's id, never its name), so no
-- client can take the operator's tickets, nor a reused name an old client's.
ALTER TABLE upload_tickets ADD COLUMN opened_by TEXT NOT NULL DEFAULT 'operator';
UPDATE upload_tickets SET opened_by = 'client:' || client WHERE client <> 'operator';
-- Until when the ticket's session could act (its expiry or its credentials', whichever is
-- first, plus a margin): until then it counts against the revocation list's capacity. Tickets
-- from before this column had no aws:CurrentTime limit: their credentials' 15-minute minimum.
ALTER TABLE upload_tickets ADD COLUMN revoke_until BIGINT NOT NULL DEFAULT 0;
UPDATE upload_tickets SET revoke_until = max(expires_at, created_at + 900) + 60;
CREATE INDEX upload_tickets_live ON upload_tickets (bucket, revoke_until);
-- What a ticket's prefix held when it opened: cancel deletes only what is new or changed.
CREATE TABLE upload_baseline (
    ticket_id TEXT NOT NULL,
    key TEXT NOT NULL,
    etag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, key)
);
-- Clients: an id of their own, a limit on open tickets, and one on their places in the
-- revocation list (open tickets and ended ones not yet expired), so no client can fill it.
ALTER TABLE clients ADD COLUMN id TEXT NOT NULL DEFAULT '';
UPDATE clients SET id = name;
CREATE UNIQUE INDEX clients_id ON clients (id);
ALTER TABLE clients ADD COLUMN max_open BIGINT NOT NULL DEFAULT 20;
ALTER TABLE clients ADD COLUMN max_sessions BIGINT NOT NULL DEFAULT 100;
-- Serialises admission, ending and reconcile on the uploads bucket's policy.
INSERT INTO locks (name, seq) VALUES ('uploads-policy', 0);
