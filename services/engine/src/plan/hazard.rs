//! Hazards: what can go wrong or hurt when a step runs, said as data on the step.

use serde::{Deserialize, Serialize};

/// The kind of a hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HazardKind {
    /// Rows or values are lost (a dropped table, column or enum label).
    DataLoss,
    /// The table is rewritten.
    TableRewrite,
    /// Reads and writes of the table wait while the step runs.
    AccessExclusiveLock,
    /// Existing rows may make the step fail (a cast, a new NOT NULL, a new constraint).
    MayFailOnExistingData,
    /// The step cannot run inside a transaction.
    NotTransactional,
    /// The step may take long on a big table.
    LongRunning,
    /// Existing values are read in a new way (a `timestamp` becoming a `timestamptz`).
    ReinterpretsData,
    /// An object that application code may still name is dropped (a type): no rows are lost,
    /// but queries that use it fail.
    DropsObject,
    /// A `SECURITY DEFINER` function: it runs with its owner's privileges (the role that
    /// applies the plan) for whoever may execute it (PUBLIC by default).
    SecurityDefiner,
    /// Code in a language PostgreSQL does not sandbox (C, `plpython3u`, `plperlu`, …), or an
    /// extension that installs one: it can do whatever the server's OS user can.
    UntrustedLanguage,
    /// Row-level security is turned off or no longer forced, or a restrictive policy is
    /// dropped: rows become visible that were not.
    WeakensRowSecurity,
    /// A table or column is dropped and one of the same shape added: if it is a rename, the
    /// version should say so (`renamed_from`), else the values are lost.
    PossibleRename,
}

impl HazardKind {
    /// Every kind.
    pub const ALL: [HazardKind; 12] = [
        HazardKind::DataLoss,
        HazardKind::TableRewrite,
        HazardKind::AccessExclusiveLock,
        HazardKind::MayFailOnExistingData,
        HazardKind::NotTransactional,
        HazardKind::LongRunning,
        HazardKind::ReinterpretsData,
        HazardKind::DropsObject,
        HazardKind::SecurityDefiner,
        HazardKind::UntrustedLanguage,
        HazardKind::WeakensRowSecurity,
        HazardKind::PossibleRename,
    ];

    /// The kinds that raise privileges or widen access: the default policies of staging and
    /// production want an admin's approval for them.
    pub const PRIVILEGE: [HazardKind; 3] = [
        HazardKind::SecurityDefiner,
        HazardKind::UntrustedLanguage,
        HazardKind::WeakensRowSecurity,
    ];

    /// Its name, as in JSON (`data_loss`).
    pub fn as_str(self) -> &'static str {
        match self {
            HazardKind::DataLoss => "data_loss",
            HazardKind::TableRewrite => "table_rewrite",
            HazardKind::AccessExclusiveLock => "access_exclusive_lock",
            HazardKind::MayFailOnExistingData => "may_fail_on_existing_data",
            HazardKind::NotTransactional => "not_transactional",
            HazardKind::LongRunning => "long_running",
            HazardKind::ReinterpretsData => "reinterprets_data",
            HazardKind::DropsObject => "drops_object",
            HazardKind::SecurityDefiner => "security_definer",
            HazardKind::UntrustedLanguage => "untrusted_language",
            HazardKind::WeakensRowSecurity => "weakens_row_security",
            HazardKind::PossibleRename => "possible_rename",
        }
    }
}

/// A hazard and what it means here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hazard {
    pub kind: HazardKind,
    pub message: String,
}

impl Hazard {
    pub fn new(kind: HazardKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// A live table's size, from the catalog's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableSize {
    /// `pg_class.reltuples` (an estimate; -1 when never analysed).
    pub rows: f64,
    /// The pages of the table, its TOAST table and its indexes, in bytes.
    pub bytes: i64,
}

/// The sizes of a live database's tables, by table.
pub type TableSizes = std::collections::BTreeMap<crate::QualifiedName, TableSize>;

impl TableSize {
    /// `≈1.2 M rows, 340 MB`.
    pub fn describe(&self) -> String {
        let rows = if self.rows < 0.0 {
            "rows unknown".to_string()
        } else if self.rows >= 1e6 {
            format!("≈{:.1} M rows", self.rows / 1e6)
        } else if self.rows >= 1e3 {
            format!("≈{:.1} k rows", self.rows / 1e3)
        } else {
            format!("≈{} rows", self.rows as i64)
        };
        let mb = self.bytes as f64 / (1024.0 * 1024.0);
        let size = if mb >= 1024.0 {
            format!("{:.1} GB", mb / 1024.0)
        } else if mb >= 1.0 {
            format!("{mb:.0} MB")
        } else {
            format!("{} kB", self.bytes / 1024)
        };
        format!("{rows}, {size}")
    }

    /// Big enough that a rewrite or scan is worth a warning.
    pub fn is_big(&self) -> bool {
        self.rows > 100_000.0 || self.bytes > 100 * 1024 * 1024
    }
}

#[cfg(test)]
mod names {
    use super::HazardKind;

    #[test]
    fn hazard_names_are_their_json_names() {
        for kind in HazardKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(
                serde_json::from_value::<HazardKind>(kind.as_str().into()).unwrap(),
                kind
            );
        }
    }
}
