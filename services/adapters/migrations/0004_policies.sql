-- Each environment's policy (approvals, hazards, timeouts) as JSON, versioned for ETag/If-Match.
-- An environment without a row has its default policy at version 0.
CREATE TABLE policies (
    environment TEXT PRIMARY KEY REFERENCES environments (name),
    version     BIGINT NOT NULL,
    body        TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
