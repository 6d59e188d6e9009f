//! Environment policies: how many approvals a plan needs, whose approvals count, which hazards
//! are forbidden or need an admin's approval on top, and how applies run.

use schemareg_adapters::store::Store;
use schemareg_engine::plan::{HazardKind, valid_duration};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::error::{ApiError, FieldError, Invalid};

/// An environment's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"approvals_required": 2, "approver_roles": ["approver", "admin"], "forbidden_hazards": [], "admin_approval_hazards": ["data_loss"], "concurrently": true, "lock_timeout": "10s", "statement_timeout": "30min", "drift_interval": "5min"}))]
pub struct Policy {
    /// Approvals by distinct people a plan needs before it may be applied (0 to 10).
    #[schema(minimum = 0, maximum = 10)]
    pub approvals_required: u32,
    /// Roles whose approvals count (`approver`, `admin`, …).
    pub approver_roles: Vec<Role>,
    /// Hazards a plan may not have here at all.
    pub forbidden_hazards: Vec<HazardKind>,
    /// Hazards that need, on top of the others, an approval by an `admin`.
    pub admin_approval_hazards: Vec<HazardKind>,
    /// Build indexes on existing tables with `CREATE INDEX CONCURRENTLY`.
    pub concurrently: bool,
    /// `lock_timeout` for applies (`10s`, `500ms`, `1min`; at most 24 days).
    #[schema(pattern = "^[0-9]{1,10}(ms|s|min|h|d)?$")]
    pub lock_timeout: String,
    /// `statement_timeout` for applies (the same form).
    #[schema(pattern = "^[0-9]{1,10}(ms|s|min|h|d)?$")]
    pub statement_timeout: String,
    /// How often the registry reads each bound database to watch it for drift (`10s`, `5min`,
    /// `1h`; from 1s to 1d), give or take a tenth.
    #[serde(default = "default_drift_interval")]
    pub drift_interval: String,
}

fn default_drift_interval() -> String {
    "5min".into()
}

/// Seconds in a duration written `30s`, `5min`, `2h` or `1d`.
pub fn seconds(text: &str) -> Option<u64> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = match &text[digits.len()..] {
        "s" => 1,
        "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

impl Policy {
    /// The policy of an environment nobody has written one for: no approvals in dev, one in
    /// staging and other environments, two in production. Outside dev, privilege-raising DDL
    /// (`SECURITY DEFINER`, untrusted languages, weakened row security) needs an admin's
    /// approval on top; in production also data loss and dropped objects.
    pub fn default_for(environment: &str) -> Self {
        let (approvals, production) = match environment {
            "dev" => (0, false),
            "production" => (2, true),
            _ => (1, false),
        };
        Self {
            approvals_required: approvals,
            approver_roles: vec![Role::Approver, Role::Admin],
            forbidden_hazards: Vec::new(),
            // Privilege-raising DDL needs an admin's eye wherever anyone approves.
            admin_approval_hazards: match (environment, production) {
                ("dev", _) => Vec::new(),
                (_, true) => [
                    HazardKind::DataLoss,
                    HazardKind::DropsObject,
                    HazardKind::PossibleRename,
                ]
                .into_iter()
                .chain(HazardKind::PRIVILEGE)
                .collect(),
                (_, false) => HazardKind::PRIVILEGE.to_vec(),
            },
            concurrently: production,
            lock_timeout: "10s".into(),
            statement_timeout: "30min".into(),
            drift_interval: default_drift_interval(),
        }
    }

    /// Checks what serde cannot: bounds and durations.
    pub fn check(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if self.approvals_required > 10 {
            errors.push(FieldError::new("approvals_required", "at most 10"));
        }
        if self.approvals_required > 0 && self.approver_roles.is_empty() {
            errors.push(FieldError::new(
                "approver_roles",
                "approvals are required but no role may approve",
            ));
        }
        for (field, value) in [
            ("lock_timeout", &self.lock_timeout),
            ("statement_timeout", &self.statement_timeout),
        ] {
            if !valid_duration(value) {
                errors.push(FieldError::new(
                    field,
                    format!("{value:?} is not a duration such as 10s or 30min"),
                ));
            }
        }
        if !seconds(&self.drift_interval).is_some_and(|s| (1..=86_400).contains(&s)) {
            errors.push(FieldError::new(
                "drift_interval",
                format!(
                    "{:?} is not a duration from 1s to 1d such as 30s, 5min or 1h",
                    self.drift_interval
                ),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Unprocessable(
                Invalid::Policy,
                "the policy is not valid".into(),
                errors,
            ))
        }
    }
}

/// An environment's policy as stored: its version (0: the default, never written) and who
/// wrote it.
pub struct Current {
    pub version: i64,
    pub policy: Policy,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

/// The environment's current policy.
pub async fn current(store: &Store, environment: &str) -> Result<Current, ApiError> {
    Ok(match store.policy(environment).await? {
        Some(p) => Current {
            version: p.version,
            policy: serde_json::from_str(&p.body)
                .map_err(|e| ApiError::Internal(format!("the stored policy of {environment} is malformed: {e}")))?,
            updated_by: Some(p.updated_by),
            updated_at: Some(p.updated_at),
        },
        None => Current {
            version: 0,
            policy: Policy::default_for(environment),
            updated_by: None,
            updated_at: None,
        },
    })
}
