//! A plan as a reviewable SQL script that `psql -v ON_ERROR_STOP=1 -f plan.sql` applies as it
//! is: session settings, transactional groups in `BEGIN`/`COMMIT`, each step preceded by a
//! comment with its hazards and rollback note.

use super::{Plan, Step};

/// Session settings of a script.
#[derive(Debug, Clone)]
pub struct ScriptOptions {
    pub lock_timeout: String,
    pub statement_timeout: String,
}

impl Default for ScriptOptions {
    fn default() -> Self {
        Self {
            lock_timeout: "10s".into(),
            statement_timeout: "30min".into(),
        }
    }
}

fn header(plan: &Plan, options: &ScriptOptions, what: &str) -> String {
    let mut out = format!(
        "-- schemareg {what}\n-- from: {}\n-- to:   {}\n-- steps: {}\n",
        plan.from_digest,
        plan.to_digest,
        plan.steps.len()
    );
    let kinds = plan.hazard_kinds();
    if !kinds.is_empty() {
        let names: Vec<String> = kinds
            .iter()
            .map(|k| serde_json::to_value(k).unwrap().as_str().unwrap().to_string())
            .collect();
        out.push_str(&format!("-- hazards: {}\n", names.join(", ")));
    }
    out.push_str(&format!(
        "\nSET lock_timeout = '{}';\nSET statement_timeout = '{}';\nSET check_function_bodies = off;\n",
        options.lock_timeout, options.statement_timeout
    ));
    if plan
        .steps
        .iter()
        .any(|s| s.sql.contains("TYPE timestamp with time zone"))
    {
        out.push_str("SET TIME ZONE 'UTC';\n");
    }
    out
}

fn body(steps: &[(&Step, String)], rollback: bool, out: &mut String) {
    let mut open = false;
    for (step, sql) in steps {
        if !step.transactional && open {
            out.push_str("COMMIT;\n");
            open = false;
        }
        if step.transactional && !open {
            out.push_str("\nBEGIN;\n");
            open = true;
        }
        if rollback {
            out.push_str(&format!("\n-- Undo step {}: {}\n", step.id, step.description));
            if let Some(note) = &step.rollback_note {
                out.push_str(&format!("--   note: {note}\n"));
            }
            out.push_str(sql);
            out.push('\n');
            continue;
        }
        out.push_str(&format!("\n-- Step {}: {}\n", step.id, step.description));
        for h in &step.hazards {
            let kind = serde_json::to_value(h.kind).unwrap();
            out.push_str(&format!("--   hazard {}: {}\n", kind.as_str().unwrap(), h.message));
        }
        if let Some(note) = &step.rollback_note {
            out.push_str(&format!("--   rollback note: {note}\n"));
        }
        if step.rollback_sql.is_none() {
            out.push_str("--   no rollback\n");
        }
        if !step.transactional {
            out.push_str("--   runs outside a transaction\n");
        }
        out.push_str(sql);
        out.push('\n');
        if step.deps.commit_after && open {
            out.push_str("COMMIT;\n");
            open = false;
        }
    }
    if open {
        out.push_str("\nCOMMIT;\n");
    }
}

/// The plan as a script.
pub fn render_script(plan: &Plan, options: &ScriptOptions) -> String {
    let mut out = header(plan, options, "plan");
    let steps: Vec<(&Step, String)> = plan.steps.iter().map(|s| (s, s.sql.clone())).collect();
    body(&steps, false, &mut out);
    out
}

/// The rollback steps, last step first, as a script.
pub fn render_rollback_script(plan: &Plan, options: &ScriptOptions) -> String {
    let mut out = header(plan, options, "rollback");
    let steps: Vec<(&Step, String)> = plan
        .steps
        .iter()
        .rev()
        .filter_map(|s| s.rollback_sql.as_ref().map(|r| (s, r.clone())))
        .collect();
    body(&steps, true, &mut out);
    out
}
