-- Applies: a lock per target database (held while a plan is applied, with a lease renewed by
-- the registry applying it), and each plan's log of the steps that ran.
CREATE TABLE locks (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);

ALTER TABLE plans ADD COLUMN steps_log TEXT;
