-- Sessions of the operators' console: a cookie's digest (the cookie itself is never stored),
-- whose token it holds (encrypted with the registry's key), its CSRF token, and when it ends
-- (never later than the token).
CREATE TABLE ui_sessions (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    token TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ui_sessions_expiry ON ui_sessions (expires_at);
