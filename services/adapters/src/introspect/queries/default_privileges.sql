-- Default privileges (ALTER DEFAULT PRIVILEGES), one row per role, schema, kind of object and
-- grantee: what objects created later get beyond PostgreSQL's defaults and, for every schema
-- (no IN SCHEMA), the defaults taken away (PostgreSQL keeps the whole list there, its
-- defaults included). The creating role's own privileges are not listed; the role that reads
-- (the one a plan is applied as) is named NULL, as a statement without FOR ROLE names it.
WITH entries AS (
    SELECT d.defaclrole AS role, d.defaclnamespace AS nsp, d.defaclobjtype AS objtype, d.defaclacl AS acl,
           CASE WHEN d.defaclnamespace = 0
                THEN acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's'::"char" ELSE d.defaclobjtype END, d.defaclrole)
                END AS defaults
    FROM pg_default_acl d
    WHERE d.defaclobjtype IN ('r', 'S', 'f', 'T', 'n')
),
marks AS (
    SELECT e.role, e.nsp, e.objtype, x.grantee, x.privilege_type, x.is_grantable AS grantable,
           true AS present, false AS is_default
    FROM entries e, aclexplode(e.acl) x
    WHERE x.grantee <> e.role
    UNION ALL
    SELECT e.role, e.nsp, e.objtype, x.grantee, x.privilege_type, false, false, true
    FROM entries e, aclexplode(e.defaults) x
    WHERE x.grantee <> e.role
),
privileges AS (
    SELECT role, nsp, objtype, grantee, privilege_type,
           bool_or(present) AS present, bool_or(is_default) AS is_default, bool_or(grantable) AS grantable
    FROM marks
    GROUP BY 1, 2, 3, 4, 5
)
SELECT CASE WHEN p.role = (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN NULL
            ELSE pg_get_userbyid(p.role)::text END AS role,
       n.nspname::text AS schema,
       CASE p.objtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                      WHEN 'T' THEN 'types' ELSE 'schemas' END AS "on",
       CASE WHEN p.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(p.grantee)::text END AS grantee,
       COALESCE(array_agg(p.privilege_type ORDER BY p.privilege_type) FILTER (WHERE p.present AND NOT p.is_default), '{}') AS privileges,
       COALESCE(array_agg(p.privilege_type ORDER BY p.privilege_type) FILTER (WHERE p.present AND p.grantable), '{}') AS grantable,
       COALESCE(array_agg(p.privilege_type ORDER BY p.privilege_type) FILTER (WHERE p.is_default AND NOT p.present), '{}') AS revoked
FROM privileges p
LEFT JOIN pg_namespace n ON n.oid = p.nsp
WHERE n.nspname IS NULL OR (n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)')
GROUP BY 1, 2, 3, 4
HAVING bool_or(p.present <> p.is_default OR p.grantable)
