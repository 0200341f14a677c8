-- The change log (PostgreSQL). Replicas sharing the database follow each
-- other's writes through it to keep their caches coherent: a writer appends
-- rows in its own transaction and NOTIFYs `accord_changes`; every replica
-- LISTENs, and also polls, and reads the rows after the last position it saw.

-- The log's head: every writing transaction bumps it while holding the row
-- lock until commit, so positions are handed out in commit order, without
-- gaps, and a reader that has seen position N has seen everything before it.
CREATE TABLE change_head (
    id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    CONSTRAINT change_head_pkey PRIMARY KEY (id)
);
INSERT INTO change_head (id, position) VALUES (1, 0);

-- One row per cache entry a write made stale. `kind` is subject, schema,
-- config, mode or contexts; `name` is the subject, the config/mode scope or
-- the schema's content hash; `origin` names the process that wrote it, which
-- has applied it already.
CREATE TABLE changes (
    position BIGINT NOT NULL,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL,
    context TEXT NOT NULL,
    name TEXT NOT NULL,
    schema_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT changes_pkey PRIMARY KEY (position)
);

-- Names compare and sort byte by byte, as in SQLite and in Confluent's Java
-- string order, whatever the database's locale; lists then page in the
-- primary key's order instead of sorting every row.
ALTER TABLE subject_versions DROP CONSTRAINT subject_versions_schema_fkey;
ALTER TABLE schema_references DROP CONSTRAINT schema_references_schema_fkey;
ALTER TABLE contexts ALTER COLUMN context TYPE TEXT COLLATE "C";
ALTER TABLE schemas ALTER COLUMN context TYPE TEXT COLLATE "C";
ALTER TABLE subject_versions
    ALTER COLUMN context TYPE TEXT COLLATE "C",
    ALTER COLUMN subject TYPE TEXT COLLATE "C";
ALTER TABLE schema_references
    ALTER COLUMN context TYPE TEXT COLLATE "C",
    ALTER COLUMN ref_subject TYPE TEXT COLLATE "C";
ALTER TABLE subject_versions ADD CONSTRAINT subject_versions_schema_fkey
    FOREIGN KEY (context, schema_id) REFERENCES schemas (context, id);
ALTER TABLE schema_references ADD CONSTRAINT schema_references_schema_fkey
    FOREIGN KEY (context, schema_id) REFERENCES schemas (context, id) ON DELETE CASCADE;
