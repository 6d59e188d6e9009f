-- Pushes that took longer than a request waits (a schema of a thousand tables): finished in
-- the background by the registry that took them, their outcome read at /v1/pushes/{id} from
-- any replica. A push whose lease ran out was abandoned (its registry stopped).
CREATE TABLE pushes (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT,
    created BIGINT,
    problem TEXT,
    pushed_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    lease_until TEXT NOT NULL
);
CREATE INDEX pushes_by_time ON pushes (created_at);

-- DDL pushed before, by the digest of its text and the scope it was read with: the version
-- it gave (by digest). A pipeline pushing the same DDL again (on every build) is answered
-- from here without running it again.
CREATE TABLE pushed_sources (
    service TEXT NOT NULL,
    source_digest TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (service, source_digest)
);
