//! The registry's own client, for deploy pipelines (`schemareg push | plan | apply | approve |
//! report | status | wait`): requests with the bearer token, retried with backoff while the
//! registry answers 503 or cannot be reached (each POST with one `Idempotency-Key` for all its
//! tries, so a retried step never acts twice), and answers turned into values or into errors
//! that carry the exit code a pipeline branches on.

mod poll;
mod progress;

pub use poll::{exit_code, settled, state, until};
pub use progress::Progress;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, header};
use serde_json::Value;

/// Why a client command did not get what it asked for; each kind is an exit code.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The command line or its input is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The registry found the request wrong: 400, 404, 413, 415, 422 (exit 2).
    #[error("{0}")]
    Invalid(String),
    /// The registry refused: 401, 403, 409, or a plan rejected, stale or cancelled (exit 3).
    #[error("{0}")]
    Refused(String),
    /// What was waited for did not happen in time (exit 4).
    #[error("{0}")]
    TimedOut(String),
    /// The registry, or a database behind it, could not be reached (exit 5).
    #[error("{0}")]
    Unavailable(String),
}

impl ClientError {
    /// The process's exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) | Self::Invalid(_) => 2,
            Self::Refused(_) => 3,
            Self::TimedOut(_) => 4,
            Self::Unavailable(_) => 5,
        }
    }
}

/// Where the registry is and who asks (shared by the client commands).
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// The registry's base URL (https://schemareg.internal).
    #[arg(long = "registry", env = "SCHEMAREG_URL", value_name = "URL")]
    pub registry: Option<String>,
    /// A file holding the bearer token (else SCHEMAREG_TOKEN; never put a token on the
    /// command line, where other users and logs see it).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<std::path::PathBuf>,
    /// How long to keep retrying while the registry answers 503 or cannot be reached.
    #[arg(long, env = "SCHEMAREG_RETRY_FOR", default_value = "60s", value_name = "DURATION")]
    pub retry_for: String,
}

/// Reads a duration such as `30s`, `10m`, `1h30m`.
pub fn duration(flag: &str, text: &str) -> Result<Duration, ClientError> {
    humantime::parse_duration(text.trim())
        .map_err(|e| ClientError::Usage(format!("{flag} {text:?} is not a duration ({e}): write 30s, 10m or 1h")))
}

/// An answer: its status and its JSON body (null when it had none).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

/// A registry to talk to.
pub struct Registry {
    base: String,
    token: String,
    http: reqwest::Client,
    retry_for: Duration,
}

impl Registry {
    pub fn new(args: &RegistryArgs) -> Result<Self, ClientError> {
        let base = args
            .registry
            .clone()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| ClientError::Usage("say which registry: --registry URL or SCHEMAREG_URL".into()))?;
        let base = base.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Usage(format!(
                "the registry URL {base:?} must start with http:// or https://"
            )));
        }
        let token = match &args.token_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| ClientError::Usage(format!("cannot read the token file {}: {e}", path.display())))?,
            None => std::env::var("SCHEMAREG_TOKEN").unwrap_or_default(),
        };
        let token = token.trim().to_string();
        if token.is_empty() {
            return Err(ClientError::Usage(
                "no token: give --token-file PATH or set SCHEMAREG_TOKEN".into(),
            ));
        }
        Self::at(&base, &token, duration("--retry-for", &args.retry_for)?)
    }

    /// A registry at `base` (no trailing slash), asked with `token`, retried for `retry_for`.
    pub fn at(base: &str, token: &str, retry_for: Duration) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("schemareg/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClientError::Usage(format!("cannot start an HTTP client: {e}")))?;
        Ok(Self {
            base: base.to_string(),
            token: token.to_string(),
            http,
            retry_for,
        })
    }

    /// A PUT of a JSON body.
    pub async fn put_json(&self, path: &str, body: &Value) -> Result<Answer, ClientError> {
        let bytes = serde_json::to_vec(body).expect("a JSON value serialises");
        self.send(Method::PUT, path.to_string(), bytes, Some("application/json"))
            .await
    }

    pub async fn get(&self, path: &str) -> Result<Answer, ClientError> {
        self.send(Method::GET, path.to_string(), Vec::new(), None).await
    }

    /// A POST of a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Answer, ClientError> {
        let bytes = serde_json::to_vec(body).expect("a JSON value serialises");
        self.post(path, Vec::new(), "application/json", bytes).await
    }

    /// A POST with query parameters and a body of a media type.
    pub async fn post(
        &self,
        path: &str,
        query: Vec<(&str, String)>,
        media_type: &'static str,
        body: Vec<u8>,
    ) -> Result<Answer, ClientError> {
        let path = if query.is_empty() {
            path.to_string()
        } else {
            let mut url = reqwest::Url::parse("http://x/").expect("a valid URL");
            url.query_pairs_mut().extend_pairs(query);
            format!("{path}?{}", url.query().unwrap_or(""))
        };
        self.send(Method::POST, path, body, Some(media_type)).await
    }

    async fn send(
        &self,
        method: Method,
        path: String,
        body: Vec<u8>,
        media_type: Option<&'static str>,
    ) -> Result<Answer, ClientError> {
        let url = format!("{}{path}", self.base);
        // One key for every try of this request: the registry runs it once.
        let key = (method == Method::POST).then(idempotency_key);
        let deadline = Instant::now() + self.retry_for;
        let mut delay = Duration::from_millis(250);
        loop {
            let mut request = self.http.request(method.clone(), &url).bearer_auth(&self.token);
            if let Some(key) = &key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(media_type) = media_type {
                request = request.header(header::CONTENT_TYPE, media_type).body(body.clone());
            }
            let wait = match request.send().await {
                Ok(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {
                    let after = retry_after(&response).unwrap_or(delay);
                    let answer = Answer::read(response).await;
                    if Instant::now() + after >= deadline {
                        return Err(ClientError::Unavailable(format!(
                            "{} {path}: {}",
                            method,
                            problem(&answer)
                        )));
                    }
                    after
                }
                Ok(response) => return Ok(Answer::read(response).await),
                Err(e) => {
                    if Instant::now() + delay >= deadline {
                        return Err(ClientError::Unavailable(format!(
                            "the registry at {} does not answer: {}",
                            self.base,
                            error_chain(&e)
                        )));
                    }
                    delay
                }
            };
            tracing::debug!(?wait, %path, "retrying");
            tokio::time::sleep(jittered(wait)).await;
            delay = (delay * 2).min(Duration::from_secs(8));
        }
    }
}

impl Answer {
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        Self {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// The body of a successful answer, or the error its problem document says.
    pub fn ok(self) -> Result<Value, ClientError> {
        let s = self.status;
        if s.is_success() {
            return Ok(self.body);
        }
        let text = format!("{} (HTTP {})", problem(&self), s.as_u16());
        Err(match s {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::CONFLICT => ClientError::Refused(text),
            s if s.is_client_error() => ClientError::Invalid(text),
            _ => ClientError::Unavailable(text),
        })
    }
}

/// What a problem document says: its title and detail.
fn problem(answer: &Answer) -> String {
    let field = |k: &str| answer.body.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match (field("title"), field("detail")) {
        (t, d) if !t.is_empty() && !d.is_empty() => format!("{t}: {d}"),
        (t, _) if !t.is_empty() => t,
        _ => answer
            .status
            .canonical_reason()
            .unwrap_or("an unexpected answer")
            .to_string(),
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let secs: u64 = response
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs.clamp(1, 30)))
}

/// Up to a quarter more, so that clients retrying together spread out.
fn jittered(d: Duration) -> Duration {
    let mut b = [0u8; 1];
    let _ = getrandom::fill(&mut b);
    d + d.mul_f64(f64::from(b[0]) / 1024.0)
}

fn idempotency_key() -> String {
    format!("schemareg-{}", schemareg_adapters::random_hex(16))
}

/// An error with its causes (reqwest's own message says little: "error sending request").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
