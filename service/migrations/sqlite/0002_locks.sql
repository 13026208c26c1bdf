-- Named rows that transactions update to serialise with each other (see db.rs). The
-- 'access-point-quota' row makes the quota check and the new access point one step, also across
-- datasets and service instances.
CREATE TABLE locks (
    name TEXT PRIMARY KEY,
    seq BIGINT NOT NULL DEFAULT 0
);
INSERT INTO locks (name, seq) VALUES ('access-point-quota', 0);
