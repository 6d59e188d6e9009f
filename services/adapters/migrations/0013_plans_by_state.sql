-- Plans by state: the reaper asks every second whether a plan was left computing or applying
-- by a registry that stopped, and the pending list reads plans in one state.
CREATE INDEX plans_by_state ON plans (state, lease_until);
