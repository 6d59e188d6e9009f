-- Functions, procedures, window functions and aggregates; extension members excluded. An
-- aggregate's definition is the CREATE AGGREGATE statement its pg_aggregate row spells (there
-- is no pg_get_aggregatedef): options at their defaults are left out.
SELECT n.nspname::text AS schema, p.proname::text AS name,
       pg_get_function_identity_arguments(p.oid) AS arguments,
       p.prokind::text AS kind,
       CASE WHEN p.prokind <> 'p' THEN pg_get_function_result(p.oid) END AS result,
       l.lanname::text AS language,
       CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) ELSE
           'CREATE OR REPLACE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '('
           || COALESCE(NULLIF(pg_get_function_identity_arguments(p.oid), ''), '*') || ') ('
           || concat_ws(', ',
                'SFUNC = ' || ag.aggtransfn::regproc::text,
                'STYPE = ' || format_type(ag.aggtranstype, NULL),
                CASE WHEN ag.aggtransspace <> 0 THEN 'SSPACE = ' || ag.aggtransspace END,
                CASE WHEN ag.aggfinalfn <> 0 THEN 'FINALFUNC = ' || ag.aggfinalfn::regproc::text END,
                CASE WHEN ag.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
                CASE WHEN ag.aggfinalfn <> 0 AND ag.aggfinalmodify <> CASE WHEN ag.aggkind = 'n' THEN 'r' ELSE 'w' END
                     THEN 'FINALFUNC_MODIFY = ' || CASE ag.aggfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
                CASE WHEN ag.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || ag.aggcombinefn::regproc::text END,
                CASE WHEN ag.aggserialfn <> 0 THEN 'SERIALFUNC = ' || ag.aggserialfn::regproc::text END,
                CASE WHEN ag.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || ag.aggdeserialfn::regproc::text END,
                CASE WHEN ag.agginitval IS NOT NULL THEN 'INITCOND = ' || quote_literal(ag.agginitval) END,
                CASE WHEN ag.aggmtransfn <> 0 THEN 'MSFUNC = ' || ag.aggmtransfn::regproc::text END,
                CASE WHEN ag.aggminvtransfn <> 0 THEN 'MINVFUNC = ' || ag.aggminvtransfn::regproc::text END,
                CASE WHEN ag.aggmtranstype <> 0 THEN 'MSTYPE = ' || format_type(ag.aggmtranstype, NULL) END,
                CASE WHEN ag.aggmtransspace <> 0 THEN 'MSSPACE = ' || ag.aggmtransspace END,
                CASE WHEN ag.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || ag.aggmfinalfn::regproc::text END,
                CASE WHEN ag.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,
                CASE WHEN ag.aggmfinalfn <> 0 AND ag.aggmfinalmodify <> 'r'
                     THEN 'MFINALFUNC_MODIFY = ' || CASE ag.aggmfinalmodify WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
                CASE WHEN ag.aggminitval IS NOT NULL THEN 'MINITCOND = ' || quote_literal(ag.aggminitval) END,
                CASE WHEN ag.aggsortop <> 0 THEN 'SORTOP = ' || ag.aggsortop::regoper::text END,
                CASE WHEN p.proparallel <> 'u' THEN 'PARALLEL = ' || CASE p.proparallel WHEN 's' THEN 'SAFE' ELSE 'RESTRICTED' END END,
                CASE WHEN ag.aggkind = 'h' THEN 'HYPOTHETICAL' END)
           || ')'
       END AS definition,
       dsc.description AS comment
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
LEFT JOIN pg_aggregate ag ON ag.aggfnoid = p.oid
LEFT JOIN pg_description dsc ON dsc.objoid = p.oid AND dsc.classoid = 'pg_proc'::regclass AND dsc.objsubid = 0
-- (p.oid >= 16384: PostgreSQL's own objects, made by initdb below FirstNormalObjectId, are
-- passed over by the oid index before the schema test.)
WHERE p.prokind IN ('f', 'p', 'w', 'a') AND p.oid >= 16384
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
ORDER BY 1, 2, 3
