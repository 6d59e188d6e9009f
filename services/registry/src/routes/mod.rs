//! The HTTP resources, one file each.

pub mod health;
