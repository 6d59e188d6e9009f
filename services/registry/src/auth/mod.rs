//! Authentication: JWT bearer tokens checked for signature, `exp`, `nbf`, `iss` and `aud`,
//! with the algorithm pinned by the key; roles from the `roles` claim.

mod keys;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use keys::KeyError;

use crate::config::Config;
use crate::error::ApiError;

/// What a token may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read services, versions, environments, drift, plans.
    Reader,
    /// Create services and push versions.
    Publisher,
    /// Create plans (and, later, apply them).
    Deployer,
    /// Approve plans.
    Approver,
    /// Everything, including environments and database bindings.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Publisher => "publisher",
            Role::Deployer => "deployer",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Role::Reader,
            Role::Publisher,
            Role::Deployer,
            Role::Approver,
            Role::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// The claims of the tokens `schemareg token` signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// The services the token may act on (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// The environments the token may act on (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
}

/// What a verified token is read for. `iss`, `aud`, `exp` and `nbf` are checked by the
/// validation and not read again: `aud` may be a string or a list (as identity providers issue
/// it), which a typed field here would refuse.
#[derive(Debug, Deserialize)]
struct Verified {
    sub: String,
    /// Checked by the validation too, which also takes a list: one issuer, as a string.
    #[allow(dead_code)]
    iss: String,
    #[serde(default)]
    roles: Vec<String>,
    services: Option<Vec<String>>,
    environments: Option<Vec<String>>,
}

/// Who made a request, from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub roles: Vec<Role>,
    /// The services the token is scoped to (None: all).
    pub services: Option<Vec<String>>,
    /// The environments the token is scoped to (None: all).
    pub environments: Option<Vec<String>>,
}

impl Principal {
    /// Whether the token's scope covers a service.
    pub fn covers_service(&self, service: &str) -> bool {
        self.services.as_ref().is_none_or(|s| s.iter().any(|x| x == service))
    }

    /// Whether the token's scope covers an environment.
    pub fn covers_environment(&self, environment: &str) -> bool {
        self.environments
            .as_ref()
            .is_none_or(|e| e.iter().any(|x| x == environment))
    }

    /// Allows acting on a service (and environment) only when the token's scope covers them.
    pub fn require_scope(&self, service: Option<&str>, environment: Option<&str>) -> Result<(), ApiError> {
        if let Some(s) = service.filter(|s| !self.covers_service(s)) {
            return Err(ApiError::Forbidden(format!(
                "the token of {:?} is scoped to services {}: not {s:?}",
                self.subject,
                self.services.as_deref().unwrap_or_default().join(", ")
            )));
        }
        if let Some(e) = environment.filter(|e| !self.covers_environment(e)) {
            return Err(ApiError::Forbidden(format!(
                "the token of {:?} is scoped to environments {}: not {e:?}",
                self.subject,
                self.environments.as_deref().unwrap_or_default().join(", ")
            )));
        }
        Ok(())
    }

    /// Allows what only a token scoped to nothing may do (the audit log).
    pub fn require_unscoped(&self) -> Result<(), ApiError> {
        if self.services.is_some() || self.environments.is_some() {
            return Err(ApiError::Forbidden(
                "this needs a token that is not scoped to services or environments".into(),
            ));
        }
        Ok(())
    }

    /// Allows reading: every role may read.
    pub fn require_read(&self) -> Result<(), ApiError> {
        if self.roles.is_empty() {
            self.require(Role::Reader)
        } else {
            Ok(())
        }
    }

    /// Allows the request when the token has `role` (or `admin`, which may do everything).
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.roles.contains(&role) || self.roles.contains(&Role::Admin) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role; the token of {:?} has {}",
                role.as_str(),
                self.subject,
                if self.roles.is_empty() {
                    "no known role".to_string()
                } else {
                    self.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                }
            )))
        }
    }
}

/// Checks tokens against the configured keys.
pub struct Authenticator {
    keys: Vec<(Algorithm, DecodingKey)>,
    issuer: String,
    audience: String,
    leeway: u64,
}

impl Authenticator {
    pub fn from_config(config: &Config) -> Result<Self, KeyError> {
        Ok(Self {
            keys: keys::decoding_keys(config)?,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway: config.jwt_leeway_secs,
        })
    }

    /// Verifies a token: its algorithm must be one a configured key is for, and that key's
    /// signature, time window, issuer and audience must hold.
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| ApiError::Unauthorized(format!("the bearer token is not a valid JWT: {e}")))?;
        let mut last = None;
        for (alg, key) in self.keys.iter().filter(|(alg, _)| *alg == header.alg) {
            let mut v = Validation::new(*alg);
            v.set_issuer(&[&self.issuer]);
            v.set_audience(&[&self.audience]);
            v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            v.validate_nbf = true;
            v.leeway = self.leeway;
            match jsonwebtoken::decode::<Verified>(token, key, &v) {
                Ok(data) => {
                    return Ok(Principal {
                        subject: data.claims.sub,
                        roles: data.claims.roles.iter().filter_map(|r| Role::parse(r)).collect(),
                        services: data.claims.services,
                        environments: data.claims.environments,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(ApiError::Unauthorized(match last {
            None => format!("tokens signed with {:?} are not accepted here", header.alg),
            Some(e) => format!("the bearer token was refused: {}", refusal(&e)),
        }))
    }
}

fn refusal(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "it has expired".into(),
        ErrorKind::ImmatureSignature => "it is not valid yet (nbf)".into(),
        ErrorKind::InvalidIssuer => "its issuer (iss) is not the one this registry accepts".into(),
        ErrorKind::InvalidAudience => "its audience (aud) is not this registry".into(),
        ErrorKind::InvalidSignature => "its signature does not verify".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("it has no {c} claim"),
        ErrorKind::Json(_) => "its claims are not as this registry reads them (sub and iss are strings, roles, \
                               services and environments lists of strings)"
            .into(),
        _ => e.to_string(),
    }
}

/// Signs a development token with the configured HS256 secret (`schemareg token`).
pub fn sign(config: &Config, subject: &str, roles: &[Role], ttl_secs: u64) -> Result<String, KeyError> {
    sign_scoped(config, subject, roles, None, None, ttl_secs)
}

/// As [`sign`], scoped to services and environments when given.
pub fn sign_scoped(
    config: &Config,
    subject: &str,
    roles: &[Role],
    services: Option<Vec<String>>,
    environments: Option<Vec<String>>,
    ttl_secs: u64,
) -> Result<String, KeyError> {
    let secret = keys::hs256_secret(config)?.ok_or(KeyError::CannotSign)?;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: subject.into(),
        iss: config.jwt_issuer.clone(),
        aud: config.jwt_audience.clone(),
        exp: now + ttl_secs,
        nbf: Some(now.saturating_sub(1)),
        roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
        services,
        environments,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&secret),
    )
    .map_err(|e| KeyError::Invalid(e.to_string()))
}
