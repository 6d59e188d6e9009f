-- Owners of schemas, routines, enums and domains that belong to another role than the one
-- reading (the role plans are applied as, which owns what it creates). Relations' and
-- sequences' owners come with their own rows (relations.sql, sequences.sql). Extension
-- members and PostgreSQL's own schemas are left out, and so is the public schema while
-- initdb's owner has it (pg_database_owner, or the bootstrap superuser before PostgreSQL 15).
-- Routines numbered below FirstNormalObjectId (16384) are PostgreSQL's own: passed over by
-- the oid index.
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
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_namespace'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT 'routine', n.nspname, p.proname::text, pg_get_function_identity_arguments(p.oid),
       pg_get_userbyid(p.proowner)::text
FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p', 'a', 'w') AND p.proowner <> (SELECT oid FROM me) AND p.oid >= 16384
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname, t.typname::text, NULL,
       pg_get_userbyid(t.typowner)::text
FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd') AND t.typowner <> (SELECT oid FROM me)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
