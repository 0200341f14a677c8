-- Accord's registry schema (PostgreSQL). Constraint names match migrations/sqlite.

-- One row per context that has ever been written to. Writers lock the row
-- first thing in every write transaction, which serialises writes per context
-- (the row also carries the context's id sequence).
CREATE TABLE contexts (
    context TEXT NOT NULL,
    max_id BIGINT NOT NULL DEFAULT 0,
    write_count BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT contexts_pkey PRIMARY KEY (context)
);

CREATE TABLE schemas (
    context TEXT NOT NULL,
    id BIGINT NOT NULL,
    schema_type TEXT NOT NULL,
    schema_text TEXT NOT NULL,
    references_json TEXT NOT NULL,
    metadata TEXT,
    rule_set TEXT,
    content_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT schemas_pkey PRIMARY KEY (context, id),
    CONSTRAINT schemas_content_key UNIQUE (context, content_hash)
);
CREATE INDEX schemas_content_hash_idx ON schemas (content_hash);

CREATE TABLE subject_versions (
    context TEXT NOT NULL,
    subject TEXT NOT NULL,
    version BIGINT NOT NULL,
    schema_id BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    CONSTRAINT subject_versions_pkey PRIMARY KEY (context, subject, version),
    CONSTRAINT subject_versions_schema_fkey FOREIGN KEY (context, schema_id) REFERENCES schemas (context, id)
);
CREATE INDEX subject_versions_schema_idx ON subject_versions (context, schema_id);

-- Reverse index of references, for /referencedby and delete protection.
CREATE TABLE schema_references (
    context TEXT NOT NULL,
    schema_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    ref_subject TEXT NOT NULL,
    ref_version BIGINT NOT NULL,
    CONSTRAINT schema_references_pkey PRIMARY KEY (context, schema_id, position),
    CONSTRAINT schema_references_schema_fkey FOREIGN KEY (context, schema_id) REFERENCES schemas (context, id) ON DELETE CASCADE
);
CREATE INDEX schema_references_target_idx ON schema_references (context, ref_subject, ref_version);

-- Config and mode per scope: ':.:' is the top level, ':.ctx:' a context, a
-- (qualified) subject name a subject.
CREATE TABLE configs (
    scope TEXT NOT NULL,
    config TEXT NOT NULL,
    CONSTRAINT configs_pkey PRIMARY KEY (scope)
);

CREATE TABLE modes (
    scope TEXT NOT NULL,
    mode TEXT NOT NULL,
    CONSTRAINT modes_pkey PRIMARY KEY (scope)
);
