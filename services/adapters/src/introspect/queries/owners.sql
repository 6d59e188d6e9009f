-- Owners of the objects snapshots model that belong to another role than the one reading (the
-- role plans are applied as, which owns what it creates): schemas, tables, views,
-- materialized views, sequences not owned by a column (those follow their table), routines,
-- enums and composite types, domains. Extension members and PostgreSQL's own schemas are left
-- out, and so is the public schema while initdb's owner has it (pg_database_owner, or the
-- bootstrap superuser before PostgreSQL 15).
WITH me AS (
    SELECT oid FROM pg_roles WHERE rolname = current_user
),
ns AS (
    SELECT n.oid, n.nspname::text AS nspname FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
)
SELECT 'schema' AS kind, NULL::text AS schema, n.nspname AS name, NULL::text AS arguments,
       pg_get_userbyid(x.nspowner)::text AS owner
FROM pg_namespace x JOIN ns n ON n.oid = x.oid
WHERE x.nspowner <> (SELECT oid FROM me)
  AND NOT (x.nspname = 'public' AND (x.nspowner = 10 OR pg_get_userbyid(x.nspowner) = 'pg_database_owner'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_namespace'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' WHEN 'S' THEN 'sequence'
                      ELSE 'table' END,
       n.nspname, c.relname::text, NULL, pg_get_userbyid(c.relowner)::text
FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> (SELECT oid FROM me)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                    AND (d.deptype = 'e'
                         OR (c.relkind = 'S' AND d.deptype IN ('a', 'i') AND d.refclassid = 'pg_class'::regclass)))
UNION ALL
SELECT 'routine', n.nspname, p.proname::text, pg_get_function_identity_arguments(p.oid),
       pg_get_userbyid(p.proowner)::text
FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p', 'a', 'w') AND p.proowner <> (SELECT oid FROM me)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname, t.typname::text, NULL,
       pg_get_userbyid(t.typowner)::text
FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
WHERE t.typowner <> (SELECT oid FROM me)
  AND (t.typtype IN ('e', 'd')
       OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c')))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
