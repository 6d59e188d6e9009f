//! What the overview shows, read for every service at once: each kind of row is gathered into
//! one JSON array by the database and comes back as one value. At a thousand services that is
//! three values instead of three thousand rows, each of which the driver would hand over on
//! its own (the overview is the page dashboards poll).

use super::{Backend, DriftState, Store, StoreError, json_column};

/// A service and its latest version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceGlance {
    pub name: String,
    pub latest_version: Option<i64>,
    pub latest_digest: Option<String>,
}

/// A binding as the overview shows it: no secret, no drift changes or SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingGlance {
    pub service: String,
    pub environment: String,
    pub host: Option<String>,
    pub applied_version: Option<i64>,
    pub verified_version: Option<i64>,
    pub drift: Option<DriftGlance>,
}

/// The last drift check of a binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftGlance {
    pub state: DriftState,
    pub checked_at: String,
    /// How many changes take the live database to the version.
    pub changed: Option<i64>,
    /// Why the database could not be read.
    pub reason: Option<String>,
    /// When a check last read the database.
    pub ok_at: Option<String>,
}

/// A plan waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingGlance {
    pub id: String,
    pub service: String,
    pub environment: String,
}

/// Everything the overview shows from the store, each list in its order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OverviewRead {
    /// By name.
    pub services: Vec<ServiceGlance>,
    /// By service, then environment.
    pub bindings: Vec<BindingGlance>,
    /// Oldest first.
    pub pending: Vec<PendingGlance>,
}

type BindingRow = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

impl Store {
    /// What the overview shows, in three queries of one row each.
    pub async fn overview_read(&self) -> Result<OverviewRead, StoreError> {
        let services: Vec<(String, Option<i64>, Option<String>)> = self
            .gathered(
                "services",
                "s.name, v.number, v.digest",
                "s.name",
                "services s \
                 LEFT JOIN (SELECT service, MAX(number) AS latest FROM versions GROUP BY service) m \
                   ON m.service = s.name \
                 LEFT JOIN versions v ON v.service = s.name AND v.number = m.latest",
            )
            .await?;
        let bindings: Vec<BindingRow> = self
            .gathered(
                "bindings",
                "service, environment, host, applied_version, verified_version, drift_state, \
                 drift_checked_at, drift_changed, drift_reason, drift_ok_at",
                "service, environment",
                "bindings",
            )
            .await?;
        let pending: Vec<(String, String, String)> = self
            .gathered(
                "pending plans",
                "id, service, environment",
                "created_at, id",
                "plans WHERE state = 'pending_approval'",
            )
            .await?;
        Ok(OverviewRead {
            services: services
                .into_iter()
                .map(|(name, latest_version, latest_digest)| ServiceGlance {
                    name,
                    latest_version,
                    latest_digest,
                })
                .collect(),
            bindings: bindings
                .into_iter()
                .map(
                    |(service, environment, host, applied, verified, state, checked, changed, reason, ok_at)| {
                        Ok(BindingGlance {
                            service,
                            environment,
                            host,
                            applied_version: applied,
                            verified_version: verified,
                            drift: match state {
                                Some(state) => Some(DriftGlance {
                                    state: DriftState::parse(&state)?,
                                    checked_at: checked.unwrap_or_default(),
                                    changed,
                                    reason,
                                    ok_at,
                                }),
                                None => None,
                            },
                        })
                    },
                )
                .collect::<Result<_, StoreError>>()?,
            pending: pending
                .into_iter()
                .map(|(id, service, environment)| PendingGlance {
                    id,
                    service,
                    environment,
                })
                .collect(),
        })
    }

    /// The rows of `SELECT columns FROM from ORDER BY order`, gathered into one JSON array of
    /// arrays by the database and read as `T`s. Every argument is text of this module, never
    /// a value from outside.
    async fn gathered<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        columns: &str,
        order: &str,
        from: &str,
    ) -> Result<Vec<T>, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                format!("SELECT json_group_array(json_array({columns}) ORDER BY {order}) AS rows FROM {from}")
            }
            Backend::Postgres => format!(
                "SELECT COALESCE(json_agg(json_build_array({columns}) ORDER BY {order}), '[]')::text AS rows FROM {from}"
            ),
        };
        let row = sqlx::query(&sql).fetch_one(&self.pool).await?;
        let text: String = sqlx::Row::try_get(&row, "rows")?;
        json_column(what, &text)
    }
}
