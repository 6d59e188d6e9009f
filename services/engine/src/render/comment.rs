//! `COMMENT ON`.

use super::arguments::arguments as argument_list;
use super::ident::{comment_value, ident, qn, qualified};
use crate::diff::CommentTarget;

pub fn comment(target: &CommentTarget, text: Option<&str>) -> String {
    let on = match target {
        CommentTarget::Schema { name } => format!("SCHEMA {}", ident(name)),
        CommentTarget::Type { name, domain } => format!("{} {}", if *domain { "DOMAIN" } else { "TYPE" }, qn(name)),
        CommentTarget::Collation { name } => format!("COLLATION {}", qn(name)),
        CommentTarget::Sequence { name } => format!("SEQUENCE {}", qn(name)),
        CommentTarget::Table { name } => format!("TABLE {}", qn(name)),
        CommentTarget::Column { table, column, .. } => format!("COLUMN {}.{}", qn(table), ident(column)),
        CommentTarget::Constraint { table, name } => format!("CONSTRAINT {} ON {}", ident(name), qn(table)),
        CommentTarget::Index { schema, name } => format!("INDEX {}", qualified(schema, name)),
        CommentTarget::View { name, materialized } => {
            format!("{}VIEW {}", if *materialized { "MATERIALIZED " } else { "" }, qn(name))
        }
        CommentTarget::Function {
            name,
            arguments,
            procedure,
        } => {
            format!(
                "{} {}({})",
                if *procedure { "PROCEDURE" } else { "FUNCTION" },
                qn(name),
                argument_list(arguments)
            )
        }
        CommentTarget::Trigger { table, name } => format!("TRIGGER {} ON {}", ident(name), qn(table)),
        CommentTarget::Policy { table, name } => format!("POLICY {} ON {}", ident(name), qn(table)),
    };
    format!("COMMENT ON {on} IS {}", comment_value(text))
}
