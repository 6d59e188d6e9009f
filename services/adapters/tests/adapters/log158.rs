//! The LOG-158 acceptance scenario (`../shared/scenarios/log158/README.md`), all 12 points:
//! the live database loaded from `live_before.sql`, the models' DDL as TO, the `supabase`
//! preset; the plan applied with psql; compared again; rows and instants checked; change
//! detection afterwards; the rollback.

use schemareg_adapters::introspect::introspect;
use schemareg_adapters::testing::TestDb;
use schemareg_adapters::testing::fixtures::*;
use schemareg_engine::plan::{
    HazardKind, Plan, PlanOptions, ScriptOptions, plan, render_rollback_script, render_script,
};
use schemareg_engine::{Scope, Snapshot, digest};

fn supabase() -> Scope {
    Scope::new::<&str, &str>(&[], &["supabase"]).unwrap()
}

async fn live(db: &TestDb) -> Snapshot {
    supabase().apply(introspect(&db.client().await).await.unwrap().0)
}

async fn models(extra: &str, replace: Option<(&str, &str)>) -> Snapshot {
    let mut ddl = read(&fixture("log158_models.sql"));
    if let Some((a, b)) = replace {
        assert!(ddl.contains(a), "{a}");
        ddl = ddl.replace(a, b);
    }
    ddl.push_str(extra);
    let server = schemareg_adapters::testing::scratch().await;
    supabase().apply(
        schemareg_adapters::ingest::ingest(&server, &ddl, "models.sql")
            .await
            .unwrap()
            .snapshot,
    )
}

fn sql_of(p: &Plan) -> String {
    p.steps.iter().map(|s| s.sql.clone()).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn log158_scenario_end_to_end() {
    let db = loaded(&read(&live_before())).await;
    let before = live(&db).await;
    let rows_before = counts(&db).await;
    let wanted = models("", None).await;
    let p = plan(&before, &wanted, &PlanOptions::default());
    let all = sql_of(&p);

    // 1. Supabase's schemas and Alembic's table are left alone; the FK into auth stays.
    for untouched in [
        "\"auth\"",
        "\"storage\"",
        "\"extensions\"",
        "alembic_version",
        "users_auth_user_id_fkey",
    ] {
        assert!(!all.contains(untouched), "the plan touches {untouched}:\n{all}");
    }
    // 2. The two enum types are created.
    assert!(all.contains(
        "CREATE TYPE \"public\".\"document_status\" AS ENUM ('pending', 'processing', 'completed', 'failed')"
    ));
    assert!(
        all.contains(
            "CREATE TYPE \"public\".\"query_status\" AS ENUM ('pending', 'processing', 'completed', 'failed')"
        )
    );
    // 3. Unused duplicates dropped, the used ones kept.
    assert!(all.contains("DROP TYPE \"public\".\"memberrole\""));
    assert!(all.contains("DROP TYPE \"public\".\"document_type\""));
    assert!(!all.contains("\"member_role\"") && !all.contains("\"user_role\""));
    // 4. Columns added.
    for c in [
        "\"users\" ADD COLUMN \"bio\" text",
        "\"documents\" ADD COLUMN \"content\" text",
        "\"documents\" ADD COLUMN \"extracted_text\" text",
    ] {
        assert!(all.contains(c), "{c}");
    }
    // 5. timestamp → timestamptz, saying how values are read; text → timestamptz with USING, may fail.
    let step = |needle: &str| {
        p.steps
            .iter()
            .find(|s| s.sql.contains(needle))
            .unwrap_or_else(|| panic!("no step with {needle}"))
    };
    for col in [
        "\"processed_at\" TYPE timestamp with time zone",
        "\"created_at\" TYPE timestamp with time zone",
    ] {
        let s = step(col);
        assert!(
            s.hazards
                .iter()
                .any(|h| h.kind == HazardKind::ReinterpretsData && h.message.contains("time zone")),
            "{s:?}"
        );
    }
    let completed =
        step("\"completed_at\" TYPE timestamp with time zone USING \"completed_at\"::timestamp with time zone");
    assert!(
        completed
            .hazards
            .iter()
            .any(|h| h.kind == HazardKind::MayFailOnExistingData)
    );
    // 6. queries.status becomes the enum, its default dropped and set again around the change.
    let status = step("\"status\" TYPE public.query_status");
    let lines: Vec<&str> = status.sql.lines().collect();
    assert!(
        lines[0].ends_with("ALTER COLUMN \"status\" DROP DEFAULT;"),
        "{}",
        status.sql
    );
    assert!(
        lines[2].ends_with("ALTER COLUMN \"status\" SET DEFAULT 'pending'::public.query_status;"),
        "{}",
        status.sql
    );
    // 7. updated_at gets its default.
    assert!(all.contains("ALTER TABLE \"public\".\"document_chunks\" ALTER COLUMN \"updated_at\" SET DEFAULT now()"));
    // 8. query_documents with its key, both foreign keys and its index, after the table.
    let pos = |needle: &str| {
        p.steps
            .iter()
            .position(|s| s.sql.contains(needle))
            .unwrap_or_else(|| panic!("{needle}"))
    };
    let table = pos("CREATE TABLE \"public\".\"query_documents\"");
    for part in [
        "query_documents_pkey\" PRIMARY KEY",
        "query_documents_query_id_fkey",
        "query_documents_document_id_fkey",
        "ix_query_documents_document_id",
    ] {
        assert!(pos(part) > table, "{part}");
    }
    assert!(
        pos("query_status\" AS ENUM") < pos("TYPE public.query_status"),
        "the type exists before the column uses it"
    );
    // 9. Nothing for user_preferences (serial = Integer autoincrement) nor anything else.
    assert!(!all.contains("user_preferences"), "{all}");
    assert_eq!(p.steps.len(), 17, "{all}");

    // With the live table sizes, hazards say how big what they touch is.
    let c = db.client().await;
    c.batch_execute("ANALYZE").await.unwrap();
    let sizes = schemareg_adapters::introspect::table_sizes(&c).await.unwrap();
    let sized = plan(
        &before,
        &wanted,
        &PlanOptions {
            sizes: sizes.clone(),
            ..PlanOptions::default()
        },
    );
    // The sizes of the tables the plan looks up, read by name, are those of the whole reading
    // and plan the same (a name that is no table has none).
    let compared = schemareg_engine::diff::Comparison::new(before.clone(), wanted.clone());
    let mut asked: Vec<_> = schemareg_engine::plan::sized_tables(&compared, &PlanOptions::default())
        .into_iter()
        .collect();
    assert!(
        asked.contains(&schemareg_engine::QualifiedName::new("public", "queries")),
        "{asked:?}"
    );
    asked.push(schemareg_engine::QualifiedName::new("public", "no \"such\" table"));
    let some = schemareg_adapters::introspect::table_sizes_of(&c, &asked)
        .await
        .unwrap();
    assert_eq!(some.len(), asked.len() - 1, "{some:?}");
    assert!(some.iter().all(|(t, size)| sizes.get(t) == Some(size)), "{some:?}");
    let with_some = plan(
        &before,
        &wanted,
        &PlanOptions {
            sizes: some,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        serde_json::to_value(&with_some).unwrap(),
        serde_json::to_value(&sized).unwrap()
    );
    let rewrite = sized
        .steps
        .iter()
        .find(|s| s.sql.contains("\"completed_at\" TYPE"))
        .unwrap();
    assert!(
        rewrite
            .hazards
            .iter()
            .any(|h| h.kind == HazardKind::TableRewrite && h.message.contains("public.queries (≈2 rows, ")),
        "{:?}",
        rewrite.hazards
    );

    // 10. Applied with psql: no difference left, every row there, the instants right.
    psql(&db, &render_script(&p, &ScriptOptions::default()));
    let after = live(&db).await;
    let again = plan(&after, &wanted, &PlanOptions::default());
    assert!(again.is_empty(), "not clean after the plan:\n{}", sql_of(&again));
    assert_eq!(digest(&after), digest(&wanted));
    assert_eq!(counts(&db).await, rows_before);
    let c = db.client().await;
    let instants: Vec<(String, bool)> = c
        .query(
            "SELECT id::text, completed_at IS NOT DISTINCT FROM CASE id WHEN '40000000-0000-0000-0000-000000000001' \
             THEN '2025-10-20 10:00:00+00'::timestamptz END FROM public.queries ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(instants.len(), 2);
    assert!(instants.iter().all(|(_, ok)| *ok), "{instants:?}");
    let status: String = c
        .query_one(
            "SELECT status::text FROM public.queries WHERE response = 'Revenue.'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "completed");
    let fk: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE conname = 'users_auth_user_id_fkey'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(fk, 1);

    // 11. Change detection: a new column is one ADD COLUMN; a new label is one ADD VALUE at the end.
    let with_column = models("ALTER TABLE users ADD COLUMN test_field text;\n", None).await;
    let p1 = plan(&after, &with_column, &PlanOptions::default());
    assert_eq!(p1.steps.len(), 1, "{}", sql_of(&p1));
    assert_eq!(
        p1.steps[0].sql,
        "ALTER TABLE \"public\".\"users\" ADD COLUMN \"test_field\" text;"
    );
    let with_label = models(
        "",
        Some((
            "CREATE TYPE query_status AS ENUM ('pending', 'processing', 'completed', 'failed');",
            "CREATE TYPE query_status AS ENUM ('pending', 'processing', 'completed', 'failed', 'cancelled');",
        )),
    )
    .await;
    let p2 = plan(&after, &with_label, &PlanOptions::default());
    assert_eq!(p2.steps.len(), 1, "{}", sql_of(&p2));
    assert_eq!(
        p2.steps[0].sql,
        "ALTER TYPE \"public\".\"query_status\" ADD VALUE 'cancelled';"
    );

    // 12. The rollback brings the schema back to live_before (less the added columns' data).
    psql(&db, &render_rollback_script(&p, &ScriptOptions::default()));
    let rolled_back = live(&db).await;
    let back = plan(&rolled_back, &before, &PlanOptions::default());
    assert!(back.is_empty(), "rollback left differences:\n{}", sql_of(&back));
    assert_eq!(counts(&db).await, rows_before);
    for s in p.steps.iter().filter(|s| s.sql.contains("ADD COLUMN")) {
        assert!(
            s.rollback_note
                .as_deref()
                .is_some_and(|n| n.contains("with what was written to it")),
            "{s:?}"
        );
    }
}

/// The reviewed plan for the scenario, as a golden file (`tests/snapshots/`).
#[tokio::test(flavor = "multi_thread")]
async fn log158_plan_script_is_the_reviewed_one() {
    let db = loaded(&read(&live_before())).await;
    let p = plan(&live(&db).await, &models("", None).await, &PlanOptions::default());
    insta::assert_snapshot!("log158_plan", render_script(&p, &ScriptOptions::default()));
    insta::assert_snapshot!("log158_rollback", render_rollback_script(&p, &ScriptOptions::default()));
}
