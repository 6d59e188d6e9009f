//! SQL rendering: each change as the statements that make it, in the safe forms. Every
//! identifier is quoted; every expression is PostgreSQL's own rendering from the snapshot.
//! One file per object kind.

pub mod arguments;
pub mod ident;
pub mod refs;

mod comment;
mod constraint;
mod default_privilege;
mod function;
mod grant;
mod index;
mod owner;
mod table;
mod trigger;
mod types;
mod view;

pub use comment::comment;
pub use constraint::{
    add_constraint, add_not_null_check, drop_constraint, drop_constraint_if_exists, drop_constraint_named,
    validate_constraint,
};
pub use default_privilege::{change_default_privileges, default_privilege_moves};
pub use function::{create_function, drop_function};
pub use grant::change_grants;
pub use index::{create_index, drop_index};
pub use owner::set_owner;
pub use table::{
    ColumnAlteration, add_column, alter_column, cast_using, column_settings, create_table, drop_column, drop_identity,
    drop_table, rename_column, rename_table, replica_identity, set_not_null, set_table_options,
};
pub use trigger::*;
pub use types::*;
pub use view::*;
