-- The registry's own store. Portable SQL: the same migration runs on SQLite and PostgreSQL
-- (text and bigint columns only; times are RFC 3339 text in UTC, JSON is text).

CREATE TABLE services (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    owners      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE versions (
    service      TEXT NOT NULL REFERENCES services (name),
    number       BIGINT NOT NULL,
    digest       TEXT NOT NULL,
    snapshot     TEXT NOT NULL,
    source       TEXT NOT NULL,
    pushed_by    TEXT NOT NULL,
    commit_sha   TEXT,
    pipeline_url TEXT,
    labels       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (service, number),
    UNIQUE (service, digest)
);

CREATE TABLE environments (
    name       TEXT PRIMARY KEY,
    position   BIGINT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

INSERT INTO environments (name, position, created_at) VALUES
    ('dev', 1, '1970-01-01T00:00:00Z'),
    ('staging', 2, '1970-01-01T00:00:00Z'),
    ('production', 3, '1970-01-01T00:00:00Z');

CREATE TABLE bindings (
    service          TEXT NOT NULL REFERENCES services (name),
    environment      TEXT NOT NULL REFERENCES environments (name),
    secret_kind      TEXT NOT NULL,
    secret           TEXT NOT NULL,
    host             TEXT,
    scope            TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    drift_state      TEXT,
    drift_version    BIGINT,
    drift_checked_at TEXT,
    live_fingerprint TEXT,
    verified_version BIGINT,
    applied_version  BIGINT,
    PRIMARY KEY (service, environment)
);

CREATE TABLE plans (
    id               TEXT PRIMARY KEY,
    service          TEXT NOT NULL REFERENCES services (name),
    environment      TEXT NOT NULL REFERENCES environments (name),
    to_version       BIGINT NOT NULL,
    to_digest        TEXT NOT NULL,
    from_fingerprint TEXT,
    state            TEXT NOT NULL,
    body             TEXT,
    verification     TEXT,
    error            TEXT,
    requested_by     TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE INDEX plans_by_target ON plans (service, environment, created_at);
