-- Repeated denials of requests without a valid token, from one address within a minute,
-- share one entry: how many there were, and when the last came. And old entries may be let go
-- (the registry's audit_retention_days): by time, through this index.
ALTER TABLE audit ADD COLUMN repeats BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit ADD COLUMN last_at TEXT;
CREATE INDEX audit_by_address ON audit (address, seq);
CREATE INDEX audit_by_time ON audit (at);
