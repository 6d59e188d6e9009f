-- Grants beyond PostgreSQL's defaults, one row per object and grantee: what is granted on
-- schemas, functions, procedures and aggregates, and types (enums, domains, composite types),
-- and the defaults revoked (PUBLIC's EXECUTE on functions, USAGE on types). Tables', views',
-- columns' and sequences' grants come from the ACLs their own queries read. The owner's own privileges are
-- never listed; the public schema's defaults are PUBLIC's USAGE (and CREATE before
-- PostgreSQL 15), as initdb makes it. Extension members are left out, and so are routines
-- numbered below FirstNormalObjectId (16384: PostgreSQL's own, passed over by the oid index).
WITH objects AS (
    SELECT 'schema'::text AS kind, NULL::text AS schema, n.nspname::text AS name, NULL::text AS arguments,
           NULL::text AS "column", n.nspacl AS acl,
           CASE WHEN n.nspname = 'public'
                THEN acldefault('n', n.nspowner) || makeaclitem(0, n.nspowner, 'USAGE', false)
                     || CASE WHEN current_setting('server_version_num')::int < 150000
                             THEN ARRAY[makeaclitem(0, n.nspowner, 'CREATE', false)] ELSE '{}'::aclitem[] END
                ELSE acldefault('n', n.nspowner) END AS defaults,
           n.nspowner AS owner
    FROM pg_namespace n
    WHERE n.nspacl IS NOT NULL
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
    UNION ALL
    SELECT CASE WHEN p.prokind = 'p' THEN 'procedure' ELSE 'function' END, n.nspname::text, p.proname::text,
           pg_get_function_identity_arguments(p.oid), NULL, p.proacl, acldefault('f', p.proowner), p.proowner
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proacl IS NOT NULL AND p.prokind IN ('f', 'p', 'w', 'a') AND p.oid >= 16384
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
    UNION ALL
    SELECT 'type', n.nspname::text, t.typname::text, NULL, NULL, t.typacl, acldefault('T', t.typowner), t.typowner
    FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typacl IS NOT NULL
      AND (t.typtype IN ('e', 'd')
           OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c')))
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
),
marks AS (
    SELECT o.kind, o.schema, o.name, o.arguments, o."column", e.grantee, e.privilege_type,
           e.is_grantable AS grantable, true AS present, false AS is_default
    FROM objects o, aclexplode(o.acl) e
    WHERE e.grantee <> o.owner
    UNION ALL
    SELECT o.kind, o.schema, o.name, o.arguments, o."column", d.grantee, d.privilege_type, false, false, true
    FROM objects o, aclexplode(o.defaults) d
    WHERE d.grantee <> o.owner
),
privileges AS (
    SELECT kind, schema, name, arguments, "column", grantee, privilege_type,
           bool_or(present) AS present, bool_or(is_default) AS is_default, bool_or(grantable) AS grantable
    FROM marks
    GROUP BY 1, 2, 3, 4, 5, 6, 7
)
SELECT kind, schema, name, arguments, "column",
       CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(grantee)::text END AS grantee,
       COALESCE(array_agg(privilege_type ORDER BY privilege_type) FILTER (WHERE present AND NOT is_default), '{}') AS privileges,
       COALESCE(array_agg(privilege_type ORDER BY privilege_type) FILTER (WHERE present AND grantable), '{}') AS grantable,
       COALESCE(array_agg(privilege_type ORDER BY privilege_type) FILTER (WHERE is_default AND NOT present), '{}') AS revoked
FROM privileges
GROUP BY kind, schema, name, arguments, "column", grantee
HAVING bool_or(present <> is_default OR grantable)
