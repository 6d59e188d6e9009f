-- Every collation by oid, as index keys name them (a key's collation is named when it is not
-- its column's).
SELECT co.oid AS oid, quote_ident(n.nspname) || '.' || quote_ident(co.collname) AS name
FROM pg_collation co
JOIN pg_namespace n ON n.oid = co.collnamespace
