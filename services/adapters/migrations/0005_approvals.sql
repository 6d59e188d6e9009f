-- Plans carry the digest of their content (approvals belong to it) and, when an admin let a
-- plan past the promotion gate, the reason. Approvals: one per person and plan.
ALTER TABLE plans ADD COLUMN plan_digest TEXT;
ALTER TABLE plans ADD COLUMN override_reason TEXT;

CREATE TABLE approvals (
    plan_id     TEXT NOT NULL REFERENCES plans (id),
    approver    TEXT NOT NULL,
    roles       TEXT NOT NULL,
    plan_digest TEXT NOT NULL,
    comment     TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (plan_id, approver)
);
