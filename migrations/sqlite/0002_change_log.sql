-- The change log (SQLite). Replicas sharing one PostgreSQL database follow
-- each other's writes through it to keep their caches coherent; SQLite serves
-- one process, which invalidates its caches itself, so nothing is written to
-- it here. The tables exist so that both backends have the same schema.

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
