//! `schemareg serve --demo`: a first look with nothing set up. In the private PostgreSQL
//! cluster it creates `log158_dev`, `log158_staging` and `log158_production` from the LOG-158
//! live schema (with its rows), then, as a client of the registry it serves, creates the
//! `log158` service bound to them, pushes the models as version 1, plans and applies dev
//! (verified) and plans staging, which waits for approval. It prints the console's address and
//! a token for each role. The store is a temporary file: nothing of the demo outlives the
//! process, and nothing of it is created without the flag.

use std::time::Duration;

use schemareg_adapters::pg::Target;
use schemareg_adapters::scratch::ScratchServer;
use serde_json::{Value, json};

use crate::auth::{Role, sign};
use crate::client::{ClientError, Progress, Registry, until};
use crate::config::Config;

/// The LOG-158 live database before alignment, with its rows (the acceptance scenario's).
const LIVE: &str = include_str!("../../../../tests/fixtures/log158_live_before.sql");
/// The LOG-158 models as DDL.
const MODELS: &str = include_str!("../../../../tests/fixtures/log158_models.sql");

/// The environments of the demo, in promotion order.
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "production"];

/// The people of the demo: who, their roles, and what they are for.
const PEOPLE: &[(&str, &[Role], &str)] = &[
    ("alice", &[Role::Approver], "approver: approves the staging plan"),
    (
        "ci",
        &[Role::Publisher, Role::Deployer],
        "publisher and deployer: the pipeline that requested it",
    ),
    ("ada", &[Role::Admin], "admin: everything, and the audit log"),
    ("rita", &[Role::Reader], "reader: sees, changes nothing"),
];

/// How long the printed tokens are valid.
const TOKEN_TTL: u64 = 12 * 3600;

/// Why the demo could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create the demo's store: {0}")]
    Store(std::io::Error),
    #[error("cannot create the demo database {database}: {message}")]
    Database { database: String, message: String },
    #[error("the demo signs its own tokens, which needs an HS256 key (jwt_hs256_secret or none): {0}")]
    Tokens(String),
    #[error("the registry refused a step of the demo: {0}")]
    Registry(#[from] ClientError),
    #[error("the demo's {environment} plan is {state}, not {wanted}: {reason}")]
    Plan {
        environment: &'static str,
        state: String,
        wanted: &'static str,
        reason: String,
    },
}

/// Points the configuration at a temporary store and the private cluster; the directory lives
/// as long as the returned guard.
pub fn configure(config: &mut Config) -> Result<tempfile::TempDir, DemoError> {
    let dir = tempfile::Builder::new()
        .prefix("schemareg-demo-")
        .tempdir()
        .map_err(DemoError::Store)?;
    // The demo's store and keys: for the registry's user alone.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).map_err(DemoError::Store)?;
    config.store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    if config.scratch_url.take().is_some() {
        crate::say!("schemareg: --demo uses a private PostgreSQL cluster; scratch_url is not used");
    }
    Ok(dir)
}

/// Creates the three databases from the LOG-158 live schema in the private cluster `scratch`
/// runs; their URLs by environment.
pub async fn create_databases(scratch: &ScratchServer) -> Result<Vec<(&'static str, String)>, DemoError> {
    let admin = scratch.admin();
    let failed = |database: &str, e: &dyn std::fmt::Display| DemoError::Database {
        database: database.into(),
        message: e.to_string(),
    };
    let client = admin.connect().await.map_err(|e| failed("postgres", &e))?;
    let mut urls = Vec::new();
    for env in ENVIRONMENTS {
        // Fixed names of letters and _ only, in a cluster this process created.
        let name = format!("log158_{env}");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| failed(&name, &schemareg_adapters::pg::error_text(&e)))?;
        let target: Target = admin.with_database(&name);
        let db = target.connect().await.map_err(|e| failed(&name, &e))?;
        db.batch_execute(LIVE)
            .await
            .map_err(|e| failed(&name, &schemareg_adapters::pg::error_text(&e)))?;
        urls.push((env, admin.url_without_password(&name)));
    }
    Ok(urls)
}

/// The tokens of the demo's people, signed with the registry's key.
fn tokens(config: &Config) -> Result<Vec<(&'static str, &'static str, String)>, DemoError> {
    PEOPLE
        .iter()
        .map(|(who, roles, what)| {
            sign(config, who, roles, TOKEN_TTL)
                .map(|t| (*who, *what, t))
                .map_err(|e| DemoError::Tokens(e.to_string()))
        })
        .collect()
}

/// Waits for plan `id` to rest and checks it rests in `wanted`.
async fn settle(
    registry: &Registry,
    environment: &'static str,
    id: &str,
    wanted: &'static str,
) -> Result<Value, DemoError> {
    let mut progress = Progress::new();
    let plan = until(registry, id, Duration::from_secs(300), &mut progress, |s| s == wanted).await?;
    let state = crate::client::state(&plan).to_string();
    if state != wanted {
        let reason = plan["error"].as_str().unwrap_or("no reason given").to_string();
        return Err(DemoError::Plan {
            environment,
            state,
            wanted,
            reason,
        });
    }
    Ok(plan)
}

/// A plan of version 1 for `environment`, as `ci`: its id.
async fn plan(ci: &Registry, environment: &str) -> Result<String, DemoError> {
    let path = format!("/v1/services/log158/environments/{environment}/plans");
    let plan = ci.post_json(&path, &json!({})).await?.ok()?;
    Ok(plan["id"].as_str().unwrap_or_default().to_string())
}

/// Prepares the demo through the registry at `base` and returns what to print.
pub async fn prepare(config: &Config, base: &str, urls: &[(&'static str, String)]) -> Result<String, DemoError> {
    let people = tokens(config)?;
    let admin = sign(config, "demo", &[Role::Admin], 600).map_err(|e| DemoError::Tokens(e.to_string()))?;
    let admin = Registry::at(base, &admin, Duration::from_secs(30))?;
    let ci = people
        .iter()
        .find(|p| p.0 == "ci")
        .map(|p| p.2.as_str())
        .unwrap_or_default();
    let ci = Registry::at(base, ci, Duration::from_secs(30))?;
    // Supabase's own schemas (auth, storage) are not the application's.
    let scope = json!({"presets": ["supabase"]});
    admin
        .post_json("/v1/services", &json!({"name": "log158", "scope": scope}))
        .await?
        .ok()?;
    for (env, url) in urls {
        let path = format!("/v1/services/log158/environments/{env}");
        admin
            .put_json(&path, &json!({"database_url": url, "scope": scope}))
            .await?
            .ok()?;
    }
    ci.post(
        "/v1/services/log158/versions",
        Vec::new(),
        "application/sql",
        MODELS.into(),
    )
    .await?
    .ok()?;
    let dev = plan(&ci, "dev").await?;
    settle(&ci, "dev", &dev, "approved").await?;
    ci.post_json(&format!("/v1/plans/{dev}/apply"), &json!({}))
        .await?
        .ok()?;
    settle(&ci, "dev", &dev, "verified").await?;
    let staging = plan(&ci, "staging").await?;
    settle(&ci, "staging", &staging, "pending_approval").await?;

    let mut out = format!(
        "\nschemareg demo: log158 is verified in dev; its staging plan waits for approval.\n\
         Open {base}/ui and sign in with one of these tokens (valid {} hours):\n",
        TOKEN_TTL / 3600
    );
    for (who, what, token) in &people {
        out.push_str(&format!("\n  {who} ({what}):\n  {token}\n"));
    }
    out.push_str(&format!(
        "\nThe staging plan: {base}/ui/plans/{staging}\n\
         The demo's databases and store go away when the registry stops (Ctrl-C).\n"
    ));
    Ok(out)
}
