//! `schemareg push SERVICE SOURCE`: a new version of the service's wanted schema. A `.sql`
//! file goes as DDL (the registry runs it in a scratch database), a `.json` snapshot as it is,
//! a `postgres://` URL is read here and sent as a snapshot.

use crate::client::{Answer, ClientError, Registry, RegistryArgs};
use crate::source::{ScratchProvider, Source, load};

use super::ScopeArgs;

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The service the version belongs to.
    pub service: String,
    /// A .sql file of DDL, a .json snapshot, or a postgres:// URL read here.
    pub source: String,
    /// The commit the schema was made from.
    #[arg(long)]
    pub commit: Option<String>,
    /// The pipeline run pushing it.
    #[arg(long)]
    pub pipeline_url: Option<String>,
    /// A label KEY=VALUE (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Print the version as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// For a URL: what of the database is the service's.
    #[command(flatten)]
    pub scope: ScopeArgs,
}

pub async fn run(args: PushArgs) -> Result<i32, ClientError> {
    for label in &args.labels {
        if !label.contains('=') || label.contains(',') {
            return Err(ClientError::Usage(format!(
                "--label {label:?} must be KEY=VALUE (without commas)"
            )));
        }
    }
    let registry = Registry::new(&args.registry)?;
    let source = Source::parse(&args.source).map_err(|e| ClientError::Usage(e.to_string()))?;
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| ClientError::Usage(format!("cannot read {}: {e}", path.display())))
    };
    let (media_type, body) = match &source {
        Source::Sql(path) => ("application/sql", read(path)?),
        Source::Json(path) => ("application/json", read(path)?),
        Source::Database(_) => {
            let scope = args.scope.scope().map_err(|e| ClientError::Usage(e.to_string()))?;
            let scratch = ScratchProvider::new(None, args.scope.scratch_prefix.clone());
            let snapshot = load(&source, &scope, &scratch)
                .await
                .map_err(|e| ClientError::Unavailable(e.to_string()))?;
            let body = serde_json::to_vec(&snapshot).expect("a snapshot serialises");
            ("application/json", body)
        }
    };
    let mut query = Vec::new();
    if let Some(c) = &args.commit {
        query.push(("commit", c.clone()));
    }
    if let Some(u) = &args.pipeline_url {
        query.push(("pipeline_url", u.clone()));
    }
    if !args.labels.is_empty() {
        query.push(("labels", args.labels.join(",")));
    }
    let path = format!("/v1/services/{}/versions", segment(&args.service));
    let mut answer = registry.post(&path, query, media_type, body).await?;
    if answer.status == reqwest::StatusCode::ACCEPTED {
        answer = finished(&registry, &answer.body).await?;
    }
    let created = answer.status == reqwest::StatusCode::CREATED;
    let version = answer.ok()?;
    if args.json {
        let mut v = version.clone();
        v["created"] = created.into();
        super::out(&format!("{v}\n"))?;
    } else {
        super::out(&format!(
            "{} version {} {} ({})\n",
            args.service,
            version["number"],
            version["digest"].as_str().unwrap_or(""),
            if created {
                "new"
            } else {
                "already there: nothing changed"
            }
        ))?;
    }
    Ok(0)
}

/// The answer a push that goes on in the background (202) ends with, read from
/// `/v1/pushes/{id}` every second: the version (201 new, 200 already there) or its problem.
async fn finished(registry: &Registry, accepted: &serde_json::Value) -> Result<Answer, ClientError> {
    let id = accepted["id"].as_str().ok_or_else(|| {
        ClientError::Unavailable(format!("the registry accepted the push but named no push: {accepted}"))
    })?;
    crate::say!("schemareg: the registry builds the push in the background ({id}); waiting for it");
    let path = format!("/v1/pushes/{}", segment(id));
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let push = registry.get(&path).await?.ok()?;
        match push["state"].as_str() {
            Some("building") => continue,
            Some("done") => {
                let location = push["location"].as_str().unwrap_or_default();
                let version = registry.get(location).await?;
                let status = match push["created"].as_bool() {
                    Some(true) => reqwest::StatusCode::CREATED,
                    _ => reqwest::StatusCode::OK,
                };
                return Ok(Answer {
                    status,
                    body: version.ok()?,
                });
            }
            _ => {
                let problem = push["problem"].clone();
                let status = problem["status"]
                    .as_u64()
                    .and_then(|s| reqwest::StatusCode::from_u16(s as u16).ok())
                    .unwrap_or(reqwest::StatusCode::SERVICE_UNAVAILABLE);
                return Ok(Answer { status, body: problem });
            }
        }
    }
}

/// A name as one path segment (names are checked by the registry; this keeps `/` and `?` in
/// a mistyped one from reaching another path).
pub fn segment(name: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("a valid URL");
    url.path_segments_mut().expect("a base URL").push(name);
    url.path().trim_start_matches('/').to_string()
}
