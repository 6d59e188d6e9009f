-- Webhooks: subscriptions, the outbox of events (written in the same transaction as the state
-- change that causes each), one delivery per event and matching subscription (a queue per
-- subscription, in event order, claimed with a lease so that one registry of several sends
-- each), and every attempt with the receiver's answer.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    -- ',plan.approved,plan.applied,' (each name between commas) or '*' for every event.
    events TEXT NOT NULL,
    service TEXT,
    environment TEXT,
    -- Encrypted with the registry's secret key.
    secret TEXT NOT NULL,
    description TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    -- Time order: the time written (to the millisecond), then the writer's own counter.
    seq TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    service TEXT,
    environment TEXT,
    subject TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    seq TEXT NOT NULL,
    -- pending, delivered or dead.
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    -- When this round of delivery began (its retries end 24 hours later by default).
    since TEXT NOT NULL,
    next_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT,
    last_status BIGINT,
    last_error TEXT,
    delivered_at TEXT,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, state, seq);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    number BIGINT NOT NULL,
    at TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status BIGINT,
    response TEXT,
    error TEXT,
    PRIMARY KEY (delivery_id, number)
);

-- The last state a drift check could read (in_sync or drifted): a database that was drifted,
-- could not be reached for a while and is still drifted has not drifted again.
ALTER TABLE bindings ADD COLUMN drift_known_state TEXT;
UPDATE bindings SET drift_known_state = drift_state WHERE drift_state IN ('in_sync', 'drifted');
