-- Installed extensions and the schema holding their objects.
SELECT e.extname::text AS name, n.nspname::text AS schema
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
ORDER BY 1
