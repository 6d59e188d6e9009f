-- The audit log: append-only (the store has no statement that changes or deletes an entry).
CREATE TABLE audit (
    seq         BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    subject     TEXT NOT NULL,
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    service     TEXT,
    environment TEXT,
    target      TEXT,
    detail      TEXT NOT NULL,
    address     TEXT,
    user_agent  TEXT,
    request_id  TEXT
);

CREATE INDEX audit_by_subject ON audit (subject, seq);
CREATE INDEX audit_by_service ON audit (service, environment, seq);
