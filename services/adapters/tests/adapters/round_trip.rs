//! Round trip: for each schema, the snapshot of the live database, of its `pg_dump` output
//! ingested as SQL, of the source DDL ingested, and re-read from its own JSON share one digest.

use schemareg_adapters::testing::fixtures::*;
use schemareg_engine::digest;

async fn round_trip(name: &str, sql: &str) {
    let db = loaded(sql).await;
    let live = live_snapshot(&db).await;
    let live_digest = digest(&live);

    let from_json = schemareg_engine::from_json(&serde_json::to_vec_pretty(&live).unwrap()).unwrap();
    assert_eq!(from_json, live, "{name}: JSON round trip changed the snapshot");
    assert_eq!(digest(&from_json), live_digest, "{name}: JSON");
    // The JSON as schemareg reads a document: built by PostgreSQL in a scratch database.
    let rebuilt = schemareg_adapters::verify::rebuild(
        &schemareg_adapters::testing::scratch().await,
        &schemareg_engine::Scope::default(),
        &from_json,
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        serde_json::to_value(&rebuilt).unwrap(),
        serde_json::to_value(&live).unwrap(),
        "{name}: JSON rebuilt"
    );

    let mut dumped = ingested(&pg_dump(&db), &format!("{name} (pg_dump)")).await;
    as_read_by_its_user(&db, &mut dumped).await;
    assert_eq!(
        serde_json::to_value(&dumped).unwrap(),
        serde_json::to_value(&live).unwrap(),
        "{name}: pg_dump --schema-only re-ingested differs from the live snapshot"
    );
    assert_eq!(digest(&dumped), live_digest, "{name}: pg_dump");

    // pg_dump as most people run it: owners, privileges and \restrict lines included.
    let mut dumped_full = ingested(&pg_dump_full(&db), &format!("{name} (pg_dump with owners)")).await;
    as_read_by_its_user(&db, &mut dumped_full).await;
    assert_eq!(
        digest(&dumped_full),
        live_digest,
        "{name}: pg_dump with owners and privileges"
    );

    let source = ingested(sql, name).await;
    assert_eq!(digest(&source), live_digest, "{name}: the source DDL ingested");
}

#[tokio::test(flavor = "multi_thread")]
async fn log158_live_before() {
    round_trip("live_before.sql", &read(&live_before())).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn log158_models() {
    round_trip("log158_models.sql", &read(&fixture("log158_models.sql"))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kitchen_sink() {
    round_trip("kitchen_sink.sql", &read(&fixture("kitchen_sink.sql"))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn log158_snapshot_is_what_the_catalog_says() {
    let db = loaded(&read(&live_before())).await;
    let scope = schemareg_engine::Scope::new::<&str, &str>(&[], &["supabase"]).unwrap();
    let snap = scope.apply(
        schemareg_adapters::introspect::introspect(&db.client().await)
            .await
            .unwrap()
            .0,
    );
    // Supabase's schemas and Alembic's table are out of scope; the FK into auth is kept.
    assert_eq!(
        snap.schemas.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["public"]
    );
    assert!(
        snap.tables
            .iter()
            .all(|t| t.schema == "public" && t.name != "alembic_version")
    );
    let users = snap.tables.iter().find(|t| t.name == "users").unwrap();
    let fk = users
        .foreign_keys
        .iter()
        .find(|f| f.name == "users_auth_user_id_fkey")
        .unwrap();
    assert_eq!(fk.references.to_string(), "auth.users");
    assert_eq!(snap.external_tables.len(), 1);
    assert_eq!(snap.external_tables[0].columns[0].data_type, "uuid");
    // Canonical spellings from PostgreSQL's own renderers, names qualified.
    let role = users.column("role").unwrap();
    assert_eq!(role.data_type, "public.user_role");
    assert_eq!(role.default.as_deref(), Some("'user'::public.user_role"));
    assert_eq!(users.column("email").unwrap().data_type, "character varying(255)");
    let prefs = snap.tables.iter().find(|t| t.name == "user_preferences").unwrap();
    assert_eq!(
        prefs.column("id").unwrap().default.as_deref(),
        Some("nextval('public.user_preferences_id_seq'::regclass)")
    );
    let seq = snap
        .sequences
        .iter()
        .find(|s| s.name == "user_preferences_id_seq")
        .unwrap();
    assert_eq!(seq.owned_by.as_ref().unwrap().column, "id");
    assert_eq!(seq.options.data_type, "integer");
}

/// What Supabase grants in `public`: everything to its three API roles, with a function kept
/// from PUBLIC and a column readable on its own.
const SUPABASE_GRANTS: &str = "
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO anon, authenticated, service_role;
CREATE FUNCTION public.is_admin(uid uuid) RETURNS boolean LANGUAGE sql STABLE AS $$SELECT false$$;
REVOKE EXECUTE ON FUNCTION public.is_admin(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.is_admin(uuid) TO authenticated, service_role WITH GRANT OPTION;
REVOKE ALL ON TABLE public.user_preferences FROM anon;
GRANT SELECT (id, user_id) ON TABLE public.user_preferences TO anon;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
";

/// A Supabase-like database (LOG-158's live schema and Supabase's grants) equals itself read
/// every way: its JSON, its JSON rebuilt, its pg_dump (with and without owners) and its DDL.
#[tokio::test(flavor = "multi_thread")]
async fn log158_live_before_with_supabase_grants() {
    let leases = schemareg_adapters::testing::scratch()
        .await
        .create_database()
        .await
        .unwrap();
    for role in ["anon", "authenticated", "service_role", "supabase_admin"] {
        leases.ensure_role(role).await.unwrap();
    }
    let sql = format!("{}\n{SUPABASE_GRANTS}", read(&live_before()));
    let db = loaded(&sql).await;
    let scope = schemareg_engine::Scope::new::<&str, &str>(&[], &["supabase"]).unwrap();
    let live = scope.apply(
        schemareg_adapters::introspect::introspect(&db.client().await)
            .await
            .unwrap()
            .0,
    );
    // The grants in public are compared; Supabase's own schemas stay out.
    let anon: Vec<String> = live
        .grants
        .iter()
        .filter(|g| g.grantee == "anon")
        .map(|g| g.object())
        .collect();
    assert!(anon.contains(&"table public.users".to_string()), "{anon:?}");
    assert!(
        anon.contains(&"column public.user_preferences.user_id".to_string()),
        "{anon:?}"
    );
    assert!(!anon.contains(&"table public.user_preferences".to_string()), "{anon:?}");
    assert!(
        live.grants
            .iter()
            .all(|g| g.schema.as_deref().unwrap_or(&g.name) == "public")
    );
    assert!(
        live.grants
            .iter()
            .any(|g| g.grantee == "PUBLIC" && g.object() == "function public.is_admin(uid uuid)")
    );
    // Default privileges in public are compared, Supabase's own roles' are not.
    let defaults: Vec<String> = live
        .default_privileges
        .iter()
        .map(|d| format!("{} to {}", d.object(), d.grantee))
        .collect();
    assert_eq!(defaults.len(), 9, "{defaults:?}");
    assert!(live.default_privileges.iter().all(|d| d.role.is_none()), "{defaults:?}");
    drop(db);
    round_trip("live_before.sql with Supabase's grants", &sql).await;
    leases.drop_now().await.unwrap();
}
