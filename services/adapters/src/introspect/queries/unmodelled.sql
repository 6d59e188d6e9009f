-- Objects of kinds snapshots do not model, in schemas that are not PostgreSQL's own (extension
-- members left out): plans list them, so nothing is left out in silence. Foreign tables come
-- with the relations. (oid >= 16384: PostgreSQL's own objects, made by initdb below
-- FirstNormalObjectId, are passed over by the oid indexes before the schema test.)
WITH user_ns AS (
    SELECT n.oid, n.nspname::text AS nspname FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
)
SELECT 'rule' AS kind, n.nspname AS schema, r.rulename::text || ' on ' || c.relname::text AS name
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN user_ns n ON n.oid = c.relnamespace
WHERE r.oid >= 16384 AND r.rulename <> '_RETURN' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 'statistics object', n.nspname, s.stxname::text
FROM pg_statistic_ext s JOIN user_ns n ON n.oid = s.stxnamespace
WHERE s.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_statistic_ext'::regclass AND d.objid = s.oid AND d.deptype = 'e')
UNION ALL
SELECT 'operator', n.nspname, o.oprname::text || '(' || format_type(o.oprleft, NULL) || ', ' || format_type(o.oprright, NULL) || ')'
FROM pg_operator o JOIN user_ns n ON n.oid = o.oprnamespace
WHERE o.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_operator'::regclass AND d.objid = o.oid AND d.deptype = 'e')
UNION ALL
SELECT CASE t.typtype WHEN 'r' THEN 'range type' WHEN 'b' THEN 'base type' ELSE 'type' END, n.nspname, t.typname::text
FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
WHERE t.oid >= 16384 AND (t.typtype = 'r' OR (t.typtype = 'b' AND t.typelem = 0))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT 'text search configuration', n.nspname, x.cfgname::text FROM pg_ts_config x JOIN user_ns n ON n.oid = x.cfgnamespace
WHERE x.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_ts_config'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT 'text search dictionary', n.nspname, x.dictname::text FROM pg_ts_dict x JOIN user_ns n ON n.oid = x.dictnamespace
WHERE x.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_ts_dict'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT 'operator class', n.nspname, x.opcname::text FROM pg_opclass x JOIN user_ns n ON n.oid = x.opcnamespace
WHERE x.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_opclass'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT 'operator family', n.nspname, x.opfname::text FROM pg_opfamily x JOIN user_ns n ON n.oid = x.opfnamespace
WHERE x.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_opfamily'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT 'conversion', n.nspname, x.conname::text FROM pg_conversion x JOIN user_ns n ON n.oid = x.connamespace
WHERE x.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_conversion'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT 'event trigger', NULL, x.evtname::text FROM pg_event_trigger x
WHERE x.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_event_trigger'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT 'publication', NULL, x.pubname::text FROM pg_publication x
UNION ALL
SELECT 'foreign server', NULL, x.srvname::text FROM pg_foreign_server x
WHERE x.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_foreign_server'::regclass AND d.objid = x.oid AND d.deptype = 'e')
UNION ALL
SELECT 'default privileges', NULL, 'on large objects for role ' || pg_get_userbyid(d.defaclrole)::text
FROM pg_default_acl d
WHERE d.defaclobjtype NOT IN ('r', 'S', 'f', 'T', 'n')
ORDER BY 1, 2, 3
