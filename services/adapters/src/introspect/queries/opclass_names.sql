-- Operator classes that are not their type's default, by oid, as index keys name them.
SELECT oc.oid AS oid, quote_ident(n.nspname) || '.' || quote_ident(oc.opcname) AS name
FROM pg_opclass oc
JOIN pg_namespace n ON n.oid = oc.opcnamespace
WHERE NOT oc.opcdefault
