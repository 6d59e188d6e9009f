-- Answers of requests sent with an Idempotency-Key: a retry gets the first answer, never a
-- second action. One row per (subject, key).
CREATE TABLE idempotency (
    subject      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT,
    headers      TEXT,
    body         TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (subject, key)
);
