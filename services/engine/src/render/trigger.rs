//! Triggers, row-level security and policies.

use super::ident::{ident, qn};
use crate::model::*;

pub fn create_trigger(t: &Trigger) -> String {
    t.definition.clone()
}

pub fn drop_trigger(table: &QualifiedName, t: &Trigger) -> String {
    format!("DROP TRIGGER {} ON {}", ident(&t.name), qn(table))
}

pub fn set_trigger_enabled(table: &QualifiedName, name: &str, state: TriggerEnabled) -> String {
    let how = match state {
        TriggerEnabled::Origin => "ENABLE",
        TriggerEnabled::Always => "ENABLE ALWAYS",
        TriggerEnabled::Replica => "ENABLE REPLICA",
        TriggerEnabled::Disabled => "DISABLE",
    };
    format!("ALTER TABLE {} {how} TRIGGER {}", qn(table), ident(name))
}

pub fn set_row_security(table: &QualifiedName, from: RowSecurity, to: RowSecurity) -> Vec<String> {
    let t = qn(table);
    let mut out = Vec::new();
    if from.enabled != to.enabled {
        out.push(format!(
            "ALTER TABLE {t} {} ROW LEVEL SECURITY",
            if to.enabled { "ENABLE" } else { "DISABLE" }
        ));
    }
    if from.forced != to.forced {
        out.push(format!(
            "ALTER TABLE {t} {} ROW LEVEL SECURITY",
            if to.forced { "FORCE" } else { "NO FORCE" }
        ));
    }
    out
}

pub fn create_policy(table: &QualifiedName, p: &Policy) -> String {
    let command = match p.command {
        PolicyCommand::All => "ALL",
        PolicyCommand::Select => "SELECT",
        PolicyCommand::Insert => "INSERT",
        PolicyCommand::Update => "UPDATE",
        PolicyCommand::Delete => "DELETE",
    };
    let roles: Vec<String> = p
        .roles
        .iter()
        .map(|r| if r == "public" { "PUBLIC".to_string() } else { ident(r) })
        .collect();
    let mut sql = format!(
        "CREATE POLICY {} ON {} AS {} FOR {command} TO {}",
        ident(&p.name),
        qn(table),
        if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" },
        roles.join(", ")
    );
    if let Some(u) = &p.using {
        sql.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &p.with_check {
        sql.push_str(&format!(" WITH CHECK ({w})"));
    }
    sql
}

pub fn drop_policy(table: &QualifiedName, p: &Policy) -> String {
    format!("DROP POLICY {} ON {}", ident(&p.name), qn(table))
}
