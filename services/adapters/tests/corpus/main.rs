//! The plan corpus (`tests/fixtures/corpus/`, one file per object kind), one test per case.
//!
//! A case is its name (`## name`), the hazard kinds its forward plan (FROM → TO) and its
//! backward plan (TO → FROM) must have (`forward hazards: data_loss, table_rewrite`, or
//! `none`), then FROM's DDL, a `----` line and TO's DDL. For each case, in both directions: the
//! plan's hazard kinds are the ones declared; the plan is verified in a scratch database (FROM
//! rebuilt, the plan applied and compared with TO, the rollback applied and compared with
//! FROM); the same is done with psql applying the scripts as they are printed; every schema has
//! no false positives (against itself, its `pg_dump --schema-only` re-ingested, its JSON
//! rebuilt by PostgreSQL); and the reviewed plans are golden files (`snapshots/`).
//!
//! `cargo test --test corpus -- enums::` runs the enum cases; `-- --list` lists them.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};
use schemareg_adapters::introspect::introspect;
use schemareg_adapters::scratch::ScratchServer;
use schemareg_adapters::store::PlanBody;
use schemareg_adapters::testing::fixtures::*;
use schemareg_adapters::testing::{TestDb, scratch};
use schemareg_adapters::verify::verify;
use schemareg_engine::plan::{Plan, PlanOptions, ScriptOptions, plan, render_rollback_script, render_script};
use schemareg_engine::{Scope, Snapshot, digest};

/// One case of the corpus.
struct Case {
    /// The file it is in (`enums`), naming its object kind.
    kind: String,
    name: String,
    forward: BTreeSet<String>,
    backward: BTreeSet<String>,
    from: String,
    to: String,
    /// What is compared: the file's `# presets: …` line (default: the default scope).
    scope: Scope,
}

fn hazards(line: &str, direction: &str, case: &str) -> BTreeSet<String> {
    let list = line
        .strip_prefix(&format!("{direction} hazards:"))
        .unwrap_or_else(|| panic!("{case}: the line after its name must be `{direction} hazards: …`, not {line:?}"))
        .trim();
    if list == "none" {
        return BTreeSet::new();
    }
    list.split(',').map(|k| k.trim().to_string()).collect()
}

/// Every case of every file, in file and then case order.
fn cases() -> Vec<Case> {
    let dir = repo().join("tests/fixtures/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let kind = file.file_stem().unwrap().to_string_lossy().to_string();
        let text = read(&file);
        let presets: Vec<String> = text
            .lines()
            .find_map(|l| l.strip_prefix("# presets:"))
            .map(|l| l.split(',').map(|p| p.trim().to_string()).collect())
            .unwrap_or_default();
        let scope = Scope::new::<&str, String>(&[], &presets).unwrap_or_else(|e| panic!("{kind}: {e}"));
        for block in text.split("\n## ").skip(1) {
            let (name, body) = block.split_once('\n').unwrap();
            let name = name.trim().to_string();
            let (forward, body) = body.split_once('\n').unwrap();
            let (backward, body) = body.split_once('\n').unwrap();
            let (from, to) = body
                .split_once("\n----\n")
                .unwrap_or_else(|| panic!("{kind}/{name}: no ---- line"));
            out.push(Case {
                forward: hazards(forward, "forward", &name),
                backward: hazards(backward, "backward", &name),
                kind: kind.clone(),
                name,
                from: from.to_string(),
                to: to.to_string(),
                scope: scope.clone(),
            });
        }
    }
    out
}

/// The plan as the registry stores it (a plan body in JSON) and reads it back.
fn stored(p: &Plan) -> Plan {
    let options = ScriptOptions::default();
    let body = PlanBody {
        plan: p.clone(),
        hazards: p.hazard_kinds(),
        sql: render_script(p, &options),
        rollback_sql: render_rollback_script(p, &options),
        lock_timeout: options.lock_timeout,
        statement_timeout: options.statement_timeout,
        data_checks: Vec::new(),
    };
    let text = serde_json::to_string(&body).unwrap();
    serde_json::from_str::<PlanBody>(&text).unwrap().plan
}

/// The digest of a schema without its declared renames (no database holds them).
fn undeclared(s: &Snapshot) -> String {
    let mut s = s.clone();
    for t in &mut s.tables {
        t.renamed_from = None;
        t.columns.iter_mut().for_each(|c| c.renamed_from = None);
    }
    digest(&s)
}

async fn live(scope: &Scope, db: &TestDb) -> Snapshot {
    scope.apply(introspect(&db.client().await).await.unwrap().0)
}

fn psql_run(db: &TestDb, script: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.sql");
    std::fs::write(&path, script).unwrap();
    let out = std::process::Command::new(schemareg_adapters::scratch::find_bindir().unwrap().join("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&path)
        .arg(db.url())
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// FROM built with psql from its snapshot, the plan and its rollback applied with psql, and
/// the no-false-positive checks on the way.
async fn with_psql(scope: &Scope, a: &Snapshot, b: &Snapshot) -> Result<(), String> {
    // The roles the policies name, held (created when missing) for as long as psql needs them,
    // as verification holds them for its scratch databases.
    with_roles(
        schemareg_adapters::verify::roles_named([a, b]),
        applied_with_psql(scope, a, b),
    )
    .await
}

/// Runs `work` while `roles` exist (created when missing, and leased by a scratch database of
/// their own for as long as it runs; no database when there is no role).
async fn with_roles(roles: BTreeSet<String>, work: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    if roles.is_empty() {
        return work.await;
    }
    let leases = shared_scratch().create_database().await.map_err(|e| e.to_string())?;
    for role in roles {
        leases.ensure_role(&role).await.map_err(|e| e.to_string())?;
    }
    let result = work.await;
    leases.drop_now().await.map_err(|e| e.to_string())?;
    result
}

async fn applied_with_psql(scope: &Scope, a: &Snapshot, b: &Snapshot) -> Result<(), String> {
    let db = TestDb::new().await;
    let options = ScriptOptions::default();
    let build = plan(&live(scope, &db).await, a, &PlanOptions::default());
    psql_run(&db, &render_script(&build, &options)).map_err(|e| format!("building FROM: {e}"))?;
    if digest(&live(scope, &db).await) != undeclared(a) {
        return Err("FROM built from its snapshot differs from FROM".into());
    }
    // pg_dump names the role that built it (FOR ROLE) where FROM names none: the same here.
    // Owners compared: the dump says who owns what.
    let dump = if scope.compares_owners() {
        pg_dump_full(&db)
    } else {
        pg_dump(&db)
    };
    let mut dumped = ingested_in(scope, &dump, "pg_dump").await;
    as_read_by_its_user(&db, &mut dumped).await;
    if digest(&dumped) != undeclared(a) {
        return Err("pg_dump --schema-only re-ingested differs (a false positive)".into());
    }
    let rebuilt = schemareg_adapters::verify::rebuild(shared_scratch(), scope, a)
        .await
        .map_err(|e| e.to_string())?;
    if digest(&rebuilt) != digest(a) {
        return Err("the JSON rebuilt by PostgreSQL differs (a false positive)".into());
    }
    let p = plan(a, b, &PlanOptions::default());
    psql_run(&db, &render_script(&p, &options)).map_err(|e| format!("the plan with psql: {e}"))?;
    let left = plan(&live(scope, &db).await, b, &PlanOptions::default());
    if !left.is_empty() {
        return Err(format!(
            "after the plan with psql: {:?}",
            left.steps.iter().map(|s| &s.description).collect::<Vec<_>>()
        ));
    }
    psql_run(&db, &render_rollback_script(&p, &options)).map_err(|e| format!("the rollback with psql: {e}"))?;
    let back = plan(&live(scope, &db).await, a, &PlanOptions::default());
    if !back.is_empty() {
        return Err(format!(
            "after the rollback with psql: {:?}",
            back.steps.iter().map(|s| &s.description).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

/// A side's DDL run as it is written in a database of its own (a database written elsewhere,
/// by hand or by another tool), read back and compared with the side as the registry keeps it:
/// once both are settled, nothing differs.
async fn written_elsewhere(scope: &Scope, ddl: &str, kept: &Snapshot) -> Result<(), String> {
    // The roles its policies name, held while the DDL runs (as psql's runs hold them).
    with_roles(
        schemareg_adapters::verify::roles_named([kept]),
        compared_with_what_was_written(scope, ddl, kept),
    )
    .await
}

async fn compared_with_what_was_written(scope: &Scope, ddl: &str, kept: &Snapshot) -> Result<(), String> {
    let db = TestDb::new().await;
    db.client()
        .await
        .batch_execute(ddl)
        .await
        .map_err(|e| schemareg_adapters::pg::error_text(&e))?;
    let read = live(scope, &db).await;
    let planned = schemareg_adapters::compare::plan_live(
        shared_scratch(),
        scope,
        None,
        read,
        kept.clone(),
        PlanOptions::default(),
    )
    .await
    .map_err(|e| e.to_string())?;
    if let Some(warning) = planned.warning {
        return Err(warning);
    }
    let left = planned.plan;
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "written elsewhere from its DDL, it differs: {:?}",
            left.steps.iter().map(|s| &s.description).collect::<Vec<_>>()
        ))
    }
}

/// Runs one case; its problems, and the golden text of its two plans.
async fn run(c: &Case) -> (Vec<String>, String) {
    let server = shared_scratch();
    let from = ingested_in(&c.scope, &c.from, &format!("{} (from)", c.name)).await;
    let to = ingested_in(&c.scope, &c.to, &format!("{} (to)", c.name)).await;
    let mut problems = Vec::new();
    if digest(&from) == digest(&to) {
        problems.push("FROM and TO are the same schema".to_string());
    }
    for (side, ddl, kept) in [("FROM", &c.from, &from), ("TO", &c.to, &to)] {
        if let Err(e) = written_elsewhere(&c.scope, ddl, kept).await {
            problems.push(format!("{side}: {e}"));
        }
    }
    let mut golden = String::new();
    for (direction, a, b, declared) in [
        ("forward", &from, &to, &c.forward),
        ("backward", &to, &from, &c.backward),
    ] {
        let p = plan(a, b, &PlanOptions::default());
        if p.is_empty() {
            problems.push(format!("{direction}: empty plan"));
            continue;
        }
        let found: BTreeSet<String> = p.hazard_kinds().iter().map(|k| k.as_str().to_string()).collect();
        if &found != declared {
            problems.push(format!(
                "{direction}: the plan's hazards are [{}], the case declares [{}]",
                found.into_iter().collect::<Vec<_>>().join(", "),
                declared.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        // No false positives: each side against itself.
        if !plan(a, a, &PlanOptions::default()).is_empty() {
            problems.push(format!("{direction}: FROM differs from itself"));
        }
        let script = render_script(&p, &ScriptOptions::default());
        golden.push_str(&format!(
            "==== {direction} ====\n{}\n",
            script.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n")
        ));
        // The registry approves the script it shows and runs the plan it stored: read back,
        // the plan must render the same scripts byte for byte, and it is what is verified.
        let rollback = render_rollback_script(&p, &ScriptOptions::default());
        let p = stored(&p);
        if render_script(&p, &ScriptOptions::default()) != script {
            problems.push(format!("{direction}: the stored plan renders another script"));
        }
        if render_rollback_script(&p, &ScriptOptions::default()) != rollback {
            problems.push(format!("{direction}: the stored plan renders another rollback"));
        }
        match verify(server, &c.scope, a, b, &p).await {
            Ok(v) if v.passed() => {}
            Ok(v) => problems.push(format!("{direction}: {}\n{script}", v.summary())),
            Err(e) => problems.push(format!("{direction}: {e}")),
        }
        if let Err(e) = with_psql(&c.scope, a, b).await {
            problems.push(format!("{direction} (psql): {e}\n{script}"));
        }
    }
    (problems, golden)
}

/// How many cases run at once: they wait on PostgreSQL more than on the CPU.
const AT_ONCE: usize = 4;

/// The runtime every case runs on: one, so that the scratch server's connections (and its
/// ready databases) serve every case.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

static SERVER: OnceLock<ScratchServer> = OnceLock::new();

/// The test server as one scratch server for every case, keeping an empty ready database for
/// each case that runs at once: ingesting and rebuilding a side then borrow one (and roll it
/// back) instead of creating and dropping a database.
fn shared_scratch() -> &'static ScratchServer {
    SERVER.get().expect("made before the cases run")
}

fn main() {
    let mut args = Arguments::from_args();
    args.test_threads.get_or_insert(AT_ONCE);
    let cases = cases();
    assert!(cases.len() >= 230, "{} cases", cases.len());
    let server = runtime().block_on(async {
        let server = scratch().await.with_ready(AT_ONCE);
        server.warm().await.expect("make the ready databases");
        server
    });
    assert!(SERVER.set(server).is_ok(), "made once");
    let trials = cases
        .into_iter()
        .map(|c| {
            Trial::test(format!("{}::{}", c.kind, c.name), move || {
                let (problems, golden) = runtime().block_on(run(&c));
                if !problems.is_empty() {
                    return Err(Failed::from(problems.join("\n")));
                }
                insta::assert_snapshot!(format!("corpus_{}", c.name), golden);
                Ok(())
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // The ready databases are dropped before the process ends (nothing is left behind).
    if let Some(server) = SERVER.get() {
        runtime().block_on(server.drop_ready_databases());
    }
    conclusion.exit();
}
