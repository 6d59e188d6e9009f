-- A computing plan holds a lease that the registry computing it renews; a plan whose lease ran
-- out was abandoned (its registry stopped) and is marked failed by any replica.
ALTER TABLE plans ADD COLUMN lease_until TEXT;
