//! Services: the applications whose schemas the registry keeps.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{NewAuditEntry, Store, StoreError, is_unique_violation, json_column, now, to_json};

/// Which schemas and objects belong to a service: scope patterns and presets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSpec {
    pub patterns: Vec<String>,
    pub presets: Vec<String>,
}

/// A service to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    pub name: String,
    pub description: String,
    pub owners: Vec<String>,
    pub scope: ScopeSpec,
    pub created_by: String,
}

/// A stored service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub description: String,
    pub owners: Vec<String>,
    pub scope: ScopeSpec,
    pub created_by: String,
    pub created_at: String,
}

const COLUMNS: &str = "name, description, owners, scope, created_by, created_at";

fn service(row: &AnyRow) -> Result<Service, StoreError> {
    Ok(Service {
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        owners: json_column("service owners", &row.try_get::<String, _>("owners")?)?,
        scope: json_column("service scope", &row.try_get::<String, _>("scope")?)?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Creates a service and appends `audit`, in one transaction; a service of that name
    /// already there is a conflict.
    pub async fn create_service(&self, new: &NewService, audit: &[NewAuditEntry]) -> Result<Service, StoreError> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO services (name, description, owners, scope, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&new.name)
        .bind(&new.description)
        .bind(to_json(&new.owners))
        .bind(to_json(&new.scope))
        .bind(&new.created_by)
        .bind(&at)
        .execute(&mut *tx)
        .await;
        match result {
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Conflict(format!("service {:?} already exists", new.name)))
            }
            Err(e) => Err(e.into()),
            Ok(_) => {
                super::audit::append_all_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(Service {
                    name: new.name.clone(),
                    description: new.description.clone(),
                    owners: new.owners.clone(),
                    scope: new.scope.clone(),
                    created_by: new.created_by.clone(),
                    created_at: at,
                })
            }
        }
    }

    pub async fn service(&self, name: &str) -> Result<Option<Service>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM services WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(service).transpose()
    }

    /// The service, or a not-found error that names it.
    pub async fn existing_service(&self, name: &str) -> Result<Service, StoreError> {
        self.service(name)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("service {name:?} does not exist")))
    }

    /// Services in name order, after `after`, at most `limit`.
    pub async fn services(&self, after: Option<&str>, limit: i64) -> Result<Vec<Service>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM services WHERE name > $1 ORDER BY name LIMIT $2"
        ))
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(service).collect()
    }
}
