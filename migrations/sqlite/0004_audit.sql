-- The audit trail: one row per mutation, authentication failure and
-- authorisation denial, written in the transaction of the change it
-- records. Each row carries the hash of the one before, so that editing or
-- deleting a row breaks the chain (`accord audit verify`).

-- The chain's head: every append updates this row (holding its lock until
-- commit), so positions follow commit order without gaps.
CREATE TABLE audit_head (
    id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    hash TEXT NOT NULL,
    CONSTRAINT audit_head_pkey PRIMARY KEY (id)
);
INSERT INTO audit_head (id, position, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- `details` is JSON: ids, versions, old and new config values; never
-- schema bodies or secrets. `hash` is the hex SHA-256 of the row's other
-- columns with `previous_hash`.
CREATE TABLE audit_events (
    position BIGINT NOT NULL,
    at BIGINT NOT NULL,
    principal TEXT NOT NULL,
    source TEXT NOT NULL,
    request_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    details TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    CONSTRAINT audit_events_pkey PRIMARY KEY (position)
);
CREATE INDEX audit_events_at_idx ON audit_events (at);
