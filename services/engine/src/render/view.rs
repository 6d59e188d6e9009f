//! Views and materialized views.

use super::ident::qualified;
use crate::model::*;

fn with_options(options: &[String]) -> String {
    // check_option is written as WITH … CHECK OPTION after the query.
    let opts: Vec<&String> = options.iter().filter(|o| !o.starts_with("check_option=")).collect();
    if opts.is_empty() {
        String::new()
    } else {
        format!(
            " WITH ({})",
            opts.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )
    }
}

pub fn create_view(v: &View) -> String {
    let body = v.definition.trim().trim_end_matches(';');
    let check = v
        .options
        .iter()
        .find_map(|o| o.strip_prefix("check_option="))
        .map(|c| format!("\n  WITH {} CHECK OPTION", c.to_uppercase()))
        .unwrap_or_default();
    format!(
        "CREATE VIEW {}{} AS\n{body}{check}",
        qualified(&v.schema, &v.name),
        with_options(&v.options)
    )
}

pub fn drop_view(v: &View) -> String {
    format!("DROP VIEW {}", qualified(&v.schema, &v.name))
}

pub fn create_materialized_view(v: &MaterializedView) -> String {
    let body = v.definition.trim().trim_end_matches(';');
    format!(
        "CREATE MATERIALIZED VIEW {}{} AS\n{body}\n  WITH DATA",
        qualified(&v.schema, &v.name),
        with_options(&v.options)
    )
}

pub fn drop_materialized_view(v: &MaterializedView) -> String {
    format!("DROP MATERIALIZED VIEW {}", qualified(&v.schema, &v.name))
}
