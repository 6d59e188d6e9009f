//! A plan as a reviewable SQL script that `psql -v ON_ERROR_STOP=1 -f plan.sql` applies as it
//! is: session settings, transactional groups in `BEGIN`/`COMMIT`, each step preceded by a
//! comment with its hazards and rollback note.

use super::{Plan, Step};

/// Whether a `lock_timeout` / `statement_timeout` value is a plain duration (`10s`, `30min`):
/// digits and a unit, nothing else, so it is safe to render into `SET … = '…'`.
pub fn valid_duration(s: &str) -> bool {
    duration_millis(s).is_some()
}

/// The milliseconds of a plain duration (`500ms`, `10s`, `30min`, `2h`, `1d`; digits alone are
/// milliseconds, as PostgreSQL reads them), when it is one PostgreSQL can hold.
pub fn duration_millis(s: &str) -> Option<u64> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit_ms: u64 = match &s[digits.len()..] {
        "" | "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    if !(1..=10).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // PostgreSQL keeps these settings in milliseconds in an int.
    digits
        .parse::<u64>()
        .ok()?
        .checked_mul(unit_ms)
        .filter(|ms| *ms <= i32::MAX as u64)
}

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

/// Splits steps (in the order they run) into groups, as ranges: consecutive transactional
/// steps share a transaction, which also ends after enum labels are added (they cannot be
/// used before a commit); a non-transactional step is a group of its own. The flag says
/// whether the group runs in a transaction.
pub fn groups(steps: &[&Step]) -> Vec<(bool, std::ops::Range<usize>)> {
    let mut out: Vec<(bool, std::ops::Range<usize>)> = Vec::new();
    let mut open = false;
    for (i, s) in steps.iter().enumerate() {
        match out.last_mut() {
            Some((true, r)) if s.transactional && open => r.end = i + 1,
            _ => out.push((s.transactional, i..i + 1)),
        }
        open = s.transactional && !s.commit_after;
    }
    out
}

/// The session settings a plan runs with: the script starts with them, and an apply sets them
/// before the first step.
pub fn session_settings(plan: &Plan, options: &ScriptOptions) -> Vec<String> {
    let mut v = vec![
        format!("SET lock_timeout = '{}'", options.lock_timeout),
        format!("SET statement_timeout = '{}'", options.statement_timeout),
        "SET check_function_bodies = off".to_string(),
    ];
    if plan
        .steps
        .iter()
        .any(|s| s.sql.contains("TYPE timestamp with time zone"))
    {
        v.push("SET TIME ZONE 'UTC'".to_string());
    }
    v
}

/// Text for a `--` comment line: names may hold line breaks (PostgreSQL allows them in quoted
/// names), and a line break would end the comment and make the rest of the name SQL. Each
/// control character is written as an escape (`\n`), so the comment stays one line.
pub fn comment_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
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
        let names: Vec<String> = kinds.iter().map(|k| k.as_str().to_string()).collect();
        out.push_str(&format!("-- hazards: {}\n", names.join(", ")));
    }
    if !plan.not_compared.is_empty() {
        out.push_str("-- not compared (schemareg does not model these kinds; migrate them by hand):\n");
        for u in &plan.not_compared {
            out.push_str(&format!("--   {}\n", comment_text(&u.to_string())));
        }
    }
    out.push('\n');
    for setting in session_settings(plan, options) {
        out.push_str(&setting);
        out.push_str(";\n");
    }
    out
}

fn body(steps: &[(&Step, String)], rollback: bool, out: &mut String) {
    let only: Vec<&Step> = steps.iter().map(|(s, _)| *s).collect();
    for (transactional, range) in groups(&only) {
        if transactional {
            out.push_str("\nBEGIN;\n");
        }
        for (step, sql) in &steps[range] {
            if rollback {
                out.push_str(&format!(
                    "\n-- Undo step {}: {}\n",
                    step.id,
                    comment_text(&step.description)
                ));
                if let Some(note) = &step.rollback_note {
                    out.push_str(&format!("--   note: {}\n", comment_text(note)));
                }
            } else {
                out.push_str(&format!("\n-- Step {}: {}\n", step.id, comment_text(&step.description)));
                for h in &step.hazards {
                    let kind = serde_json::to_value(h.kind).unwrap();
                    out.push_str(&format!(
                        "--   hazard {}: {}\n",
                        kind.as_str().unwrap(),
                        comment_text(&h.message)
                    ));
                }
                if let Some(note) = &step.rollback_note {
                    out.push_str(&format!("--   rollback note: {}\n", comment_text(note)));
                }
                if step.rollback_sql.is_none() {
                    out.push_str("--   no rollback\n");
                }
                if !step.transactional {
                    out.push_str("--   runs outside a transaction\n");
                }
            }
            out.push_str(sql);
            out.push('\n');
        }
        if transactional {
            out.push_str("\nCOMMIT;\n");
        }
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

#[cfg(test)]
mod durations {
    use super::{duration_millis, valid_duration};

    #[test]
    fn durations_are_plain_and_fit_postgresqls_int_of_milliseconds() {
        for ok in ["0", "500ms", "10s", "30min", "24h", "24d", "2147483647", "2147483647ms"] {
            assert!(valid_duration(ok), "{ok}");
        }
        for bad in [
            "",
            "s",
            " 10s",
            "10s ",
            "10 s",
            "1.5s",
            "-1s",
            "10sec",
            "25d",
            "2147483648",
            "99999999999s",
            "10s'; DROP",
        ] {
            assert!(!valid_duration(bad), "{bad}");
        }
        let millis: Vec<Option<u64>> = ["500ms", "10s", "30min", "2h", "1d", "250", "10sec"]
            .iter()
            .map(|d| duration_millis(d))
            .collect();
        assert_eq!(
            millis,
            [
                Some(500),
                Some(10_000),
                Some(1_800_000),
                Some(7_200_000),
                Some(86_400_000),
                Some(250),
                None
            ]
        );
    }
}
