//! The middleware every request passes, outermost first: problem documents, authentication,
//! the audit of denials, metrics, `Idempotency-Key` (see `crate::app::app`).

pub mod authenticate;
pub mod denials;
pub mod idempotency;
pub mod metrics;
pub mod problems;
