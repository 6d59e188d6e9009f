-- The drift watch: each binding's last observation (what differs, as typed changes and as SQL,
-- how many, or why the database could not be read), when a check last read the database, and a
-- claim so that one registry of several checks a binding at a time.
ALTER TABLE bindings ADD COLUMN drift_changes TEXT;
ALTER TABLE bindings ADD COLUMN drift_sql TEXT;
ALTER TABLE bindings ADD COLUMN drift_changed BIGINT;
ALTER TABLE bindings ADD COLUMN drift_reason TEXT;
ALTER TABLE bindings ADD COLUMN drift_ok_at TEXT;
ALTER TABLE bindings ADD COLUMN drift_claimed_until TEXT;
