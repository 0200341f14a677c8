-- Who may do what: principals, their API keys, custom roles and role
-- bindings. Every replica reads them from here, so they are shared.

-- A user or service. `password_hash` is an Argon2id PHC string; NULL means
-- the principal signs in with API keys only.
CREATE TABLE principals (
    name TEXT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT principals_pkey PRIMARY KEY (name)
);

-- API keys: `key_id` is the public part shown in lists; `secret_hash` the
-- hex SHA-256 of the whole key (keys are random and high-entropy, so a fast
-- hash is enough). The key itself is shown once, when it is created.
CREATE TABLE api_keys (
    key_id TEXT NOT NULL,
    principal TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT api_keys_pkey PRIMARY KEY (key_id),
    CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash),
    CONSTRAINT api_keys_principal_fkey FOREIGN KEY (principal) REFERENCES principals (name) ON DELETE CASCADE
);

-- Roles beyond the built-in reader, writer, owner and admin: a JSON list of
-- operation names.
CREATE TABLE roles (
    name TEXT NOT NULL,
    operations TEXT NOT NULL,
    CONSTRAINT roles_pkey PRIMARY KEY (name)
);

-- A role granted to a principal on the resources a pattern names:
-- `*`, `global`, `admin` or `subject:<glob>`.
CREATE TABLE role_bindings (
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    resource TEXT NOT NULL,
    CONSTRAINT role_bindings_pkey PRIMARY KEY (principal, role, resource),
    CONSTRAINT role_bindings_principal_fkey FOREIGN KEY (principal) REFERENCES principals (name) ON DELETE CASCADE
);

-- Bumped by every change to the tables above, so that each replica (and a
-- server whose database the CLI changed) notices and drops what it cached.
CREATE TABLE security_state (
    id BIGINT NOT NULL,
    generation BIGINT NOT NULL,
    CONSTRAINT security_state_pkey PRIMARY KEY (id)
);
INSERT INTO security_state (id, generation) VALUES (1, 0);
