//! Verification of a plan in a scratch database: FROM is rebuilt from its snapshot, the plan
//! is applied and the result must equal TO; then the rollback is applied and the result must
//! equal FROM again. Nothing is shown as verified that did not pass this.

mod settle;

pub use settle::{settle, spell_and_settle};

use std::collections::BTreeSet;

use schemareg_engine::plan::{Plan, PlanOptions, ScriptOptions, plan};
use schemareg_engine::{QualifiedName, Scope, Snapshot};
use tokio_postgres::Client;

use crate::execute::{StepFailed, fits_one_transaction, run_in_scratch, run_in_transaction};
use crate::introspect::{IntrospectError, introspect, introspect_within};
use crate::scratch::{Lent, ScratchDatabase, ScratchError, ScratchServer};

/// Why a plan could not be verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Scratch(#[from] ScratchError),
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
    #[error("PostgreSQL rejects the snapshot: {0}")]
    Rebuild(StepFailed),
    #[error("rebuilt in a scratch database, the schema reads back otherwise: {0}")]
    RebuildDiffers(String),
    #[error("the snapshot's expressions still read back differently after {0} rebuilds")]
    Unsettled(usize),
    #[error("the external table {0} cannot be created as a stub: {1}")]
    Stub(String, String),
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The step that failed, if the plan did not apply.
    pub apply_error: Option<StepFailed>,
    /// What still differs from TO after the plan (empty: it reached TO).
    pub after_plan: Vec<String>,
    /// The rollback step that failed, if one did.
    pub rollback_error: Option<StepFailed>,
    /// What differs from FROM after the rollback (empty: FROM is back).
    pub after_rollback: Vec<String>,
}

impl Verification {
    pub fn passed(&self) -> bool {
        self.apply_error.is_none()
            && self.after_plan.is_empty()
            && self.rollback_error.is_none()
            && self.after_rollback.is_empty()
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        if self.passed() {
            return "verified in a scratch database: the plan turns FROM into TO, and its rollback turns it back into FROM".into();
        }
        if let Some(e) = &self.apply_error {
            return format!("verification failed: the plan does not apply: {e}");
        }
        if !self.after_plan.is_empty() {
            return format!(
                "verification failed: after the plan the database still differs from TO: {}",
                self.after_plan.join("; ")
            );
        }
        if let Some(e) = &self.rollback_error {
            return format!("verification failed: the rollback does not apply: {e}");
        }
        format!(
            "verification failed: after the rollback the database differs from FROM: {}",
            self.after_rollback.join("; ")
        )
    }
}

fn differences(actual: &Snapshot, wanted: &Snapshot) -> Vec<String> {
    plan(actual, wanted, &PlanOptions::default())
        .steps
        .into_iter()
        .map(|s| s.description)
        .collect()
}

async fn read(client: &Client, scope: &Scope) -> Result<Snapshot, VerifyError> {
    Ok(scope.apply(introspect(client).await?.0))
}

/// As [`read`], inside the transaction the client holds open.
async fn read_within(client: &Client, scope: &Scope) -> Result<Snapshot, VerifyError> {
    Ok(scope.apply(introspect_within(client).await?.0))
}

/// Builds a snapshot in a scratch database and reads it back: the snapshot as PostgreSQL
/// spells it (`int4` becomes `integer`), or PostgreSQL's error for what it rejects.
///
/// When the server keeps ready databases and the snapshot names no roles (which a run would
/// have to make and lease), it is built in one of them inside a transaction that is rolled
/// back; else, or when its build cannot run in one transaction, in a database of its own.
pub async fn rebuild(scratch: &ScratchServer, scope: &Scope, wanted: &Snapshot) -> Result<Snapshot, VerifyError> {
    let _turn = scratch.admit().await?;
    if scratch.keeps_ready() && roles_named([wanted]).is_empty() {
        let mut lent = scratch.lend().await?;
        let built = rebuild_rolled_back(scratch, &mut lent, scope, wanted).await;
        scratch.give_back(lent).await;
        if let Some(got) = built? {
            return Ok(got);
        }
    }
    let db = scratch.create_database().await?;
    let result = async {
        let client = db.connect().await?;
        ensure_roles(&db, wanted).await?;
        let stubs = Stubs::of(wanted, wanted);
        stubs.create(&client).await?;
        let scope = scope.excluding_tables(&stubs.tables).excluding_schemas(&stubs.schemas);
        let base = read(&client, &scope).await?;
        let build = plan(&base, wanted, &PlanOptions::default());
        run_in_scratch(
            &client,
            admin_for(&db, &build).await?.as_ref(),
            &build,
            &ScriptOptions::default(),
            false,
        )
        .await
        .map_err(VerifyError::Rebuild)?;
        Ok(as_rebuilt(read(&client, &scope).await?, wanted))
    }
    .await;
    drop_quietly(db).await;
    result
}

/// [`rebuild`] in a lent database, inside its transaction; `None` when the build cannot run
/// in one transaction.
async fn rebuild_rolled_back(
    scratch: &ScratchServer,
    lent: &mut Lent,
    scope: &Scope,
    wanted: &Snapshot,
) -> Result<Option<Snapshot>, VerifyError> {
    lent.begin().await?;
    let client = lent.client();
    let stubs = Stubs::of(wanted, wanted);
    let base = match stubs.is_empty() {
        // Every ready database is the same empty one: read once.
        true => match scratch.pristine() {
            Some(read) => scope.apply((*read).clone()),
            None => {
                let read = introspect_within(client).await?.0;
                scratch.keep_pristine(read.clone());
                scope.apply(read)
            }
        },
        false => {
            stubs.create(client).await?;
            let scope = scope.excluding_tables(&stubs.tables).excluding_schemas(&stubs.schemas);
            read_within(client, &scope).await?
        }
    };
    let scope = scope.excluding_tables(&stubs.tables).excluding_schemas(&stubs.schemas);
    let build = plan(&base, wanted, &PlanOptions::default());
    if !fits_one_transaction(&build, false) {
        return Ok(None);
    }
    run_in_transaction(client, &build, &ScriptOptions::default(), false)
        .await
        .map_err(VerifyError::Rebuild)?;
    Ok(Some(as_rebuilt(read_within(client, &scope).await?, wanted)))
}

/// What was read back, with what could not be read back (external tables' types, objects of
/// kinds not modelled) as written.
fn as_rebuilt(mut got: Snapshot, wanted: &Snapshot) -> Snapshot {
    if got.external_tables.is_empty() {
        got.external_tables = wanted.external_tables.clone();
    }
    got.unmodelled = wanted.unmodelled.clone();
    got.carry_renames(wanted);
    got
}

/// The roles some snapshots name (their policies' and grants' roles; `PUBLIC` is none).
pub fn roles_named<'a>(snapshots: impl IntoIterator<Item = &'a Snapshot>) -> BTreeSet<String> {
    snapshots.into_iter().flat_map(Snapshot::roles).collect()
}

/// Makes the roles a snapshot names exist while `db` lives.
async fn ensure_roles(db: &ScratchDatabase, snapshot: &Snapshot) -> Result<(), VerifyError> {
    // Collected first: no borrowing iterator lives across an await (keeps the future Send).
    for role in &roles_named([snapshot]) {
        db.ensure_role(role).await?;
    }
    Ok(())
}

/// From how many tables a template is copied file by file.
const MANY_TABLES: usize = 200;

/// Verifies `p` (a plan from `from` to `to`, both read with `scope`).
///
/// FROM is built in a scratch database and checked first. When the server keeps templates,
/// that database is a template prepared once per FROM (and the stubs its foreign keys need),
/// and each verification runs in a copy of it.
pub async fn verify(
    scratch: &ScratchServer,
    scope: &Scope,
    from: &Snapshot,
    to: &Snapshot,
    p: &Plan,
) -> Result<Verification, VerifyError> {
    let _turn = scratch.admit().await?;
    let stubs = Stubs::of(from, to);
    let scope = scope.excluding_tables(&stubs.tables).excluding_schemas(&stubs.schemas);
    let db = if scratch.keeps_templates() {
        let fingerprint = stubs.fingerprint(from);
        let template = scratch
            .template(&fingerprint, |db| async {
                match build_from(&db, &scope, from, &stubs).await {
                    Ok(()) => Ok::<_, VerifyError>(db),
                    Err(e) => {
                        drop_quietly(db).await;
                        Err(e)
                    }
                }
            })
            .await?;
        // 1,000 tables: 5 s through the WAL, 1.5 s as files; 20 tables: the two checkpoints of
        // a file copy cost more than the copy.
        scratch
            .copy_database(&template, from.tables.len() >= MANY_TABLES)
            .await?
    } else {
        let db = scratch.create_database().await?;
        if let Err(e) = build_from(&db, &scope, from, &stubs).await {
            drop_quietly(db).await;
            return Err(e);
        }
        db
    };
    let result = async {
        let client = db.connect().await?;
        // The roles TO's policies name (FROM's are held by the database FROM was built in).
        ensure_roles(&db, to).await?;
        let options = ScriptOptions::default();
        let mut v = Verification {
            apply_error: None,
            after_plan: vec![],
            rollback_error: None,
            after_rollback: vec![],
        };
        let admin = admin_for(&db, p).await?;
        if let Err(e) = run_in_scratch(&client, admin.as_ref(), p, &options, false).await {
            v.apply_error = Some(e);
            return Ok(v);
        }
        v.after_plan = differences(&read(&client, &scope).await?, to);
        if let Err(e) = run_in_scratch(&client, admin.as_ref(), p, &options, true).await {
            v.rollback_error = Some(e);
            return Ok(v);
        }
        v.after_rollback = differences(&read(&client, &scope).await?, from);
        Ok(v)
    }
    .await;
    drop_quietly(db).await;
    result
}

/// Builds FROM (and the stubs) in an empty scratch database and checks that it reads back as
/// FROM.
async fn build_from(db: &ScratchDatabase, scope: &Scope, from: &Snapshot, stubs: &Stubs) -> Result<(), VerifyError> {
    let client = db.connect().await?;
    ensure_roles(db, from).await?;
    stubs.create(&client).await?;
    let base = read(&client, scope).await?;
    let build = plan(&base, from, &PlanOptions::default());
    run_in_scratch(
        &client,
        admin_for(db, &build).await?.as_ref(),
        &build,
        &ScriptOptions::default(),
        false,
    )
    .await
    .map_err(VerifyError::Rebuild)?;
    let rebuilt = read(&client, scope).await?;
    let off = differences(&rebuilt, from);
    if !off.is_empty() {
        return Err(VerifyError::RebuildDiffers(off.join("; ")));
    }
    Ok(())
}

/// The admin's connection to `db`, when the plan (or its rollback) acts for another role.
async fn admin_for(db: &ScratchDatabase, p: &Plan) -> Result<Option<Client>, ScratchError> {
    if p.steps
        .iter()
        .any(|s| s.for_role.is_some() || s.rollback_for_role.is_some())
    {
        Ok(Some(db.connect_admin().await?))
    } else {
        Ok(None)
    }
}

async fn drop_quietly(db: ScratchDatabase) {
    if let Err(e) = db.drop_now().await {
        tracing::warn!(error = %e, "could not drop a scratch database");
    }
}

/// The out-of-scope tables that foreign keys of FROM or TO point to, each with the
/// referenced columns and a unique constraint per referenced key, and the schemas made only
/// for them.
struct Stubs {
    statements: Vec<(QualifiedName, String)>,
    tables: BTreeSet<QualifiedName>,
    schemas: BTreeSet<String>,
}

impl Stubs {
    fn is_empty(&self) -> bool {
        self.statements.is_empty() && self.tables.is_empty() && self.schemas.is_empty()
    }

    fn of(from: &Snapshot, to: &Snapshot) -> Self {
        use schemareg_engine::render::ident::{ident, qualified};
        let mut stubs = Stubs {
            statements: Vec::new(),
            tables: BTreeSet::new(),
            schemas: BTreeSet::new(),
        };
        for e in from.external_tables.iter().chain(&to.external_tables) {
            if !from.schemas.iter().chain(&to.schemas).any(|s| s.name == e.schema) && e.schema != "public" {
                stubs.schemas.insert(e.schema.clone());
            }
            let name = QualifiedName::new(&e.schema, &e.name);
            if !stubs.tables.insert(name.clone()) {
                continue;
            }
            let cols: Vec<String> = e
                .columns
                .iter()
                .map(|c| format!("{} {}", ident(&c.name), c.data_type))
                .collect();
            let keys: Vec<String> = e
                .keys
                .iter()
                .map(|k| format!("UNIQUE ({})", k.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")))
                .collect();
            let sql = format!(
                "CREATE SCHEMA IF NOT EXISTS {}; CREATE TABLE {} ({})",
                ident(&e.schema),
                qualified(&e.schema, &e.name),
                cols.into_iter().chain(keys).collect::<Vec<_>>().join(", ")
            );
            stubs.statements.push((name, sql));
        }
        stubs
    }

    /// What a database prepared with FROM and these stubs holds, as one digest.
    fn fingerprint(&self, from: &Snapshot) -> String {
        let mut text = schemareg_engine::digest(from);
        for (_, sql) in &self.statements {
            text.push('\n');
            text.push_str(sql);
        }
        schemareg_engine::canonical::sha256_digest(text.as_bytes())
    }

    async fn create(&self, client: &Client) -> Result<(), VerifyError> {
        for (name, sql) in &self.statements {
            client
                .batch_execute(sql)
                .await
                .map_err(|err| VerifyError::Stub(name.to_string(), crate::pg::error_text(&err)))?;
        }
        Ok(())
    }
}
