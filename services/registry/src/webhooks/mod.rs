//! Webhooks: subscriptions receive the registry's events (versions pushed, plans computed,
//! waiting, approved, applied, verified, failed, stale, drift found and resolved) as signed
//! CloudEvents, from the outbox the store writes with each state change.

pub mod envelope;
pub mod signature;
pub mod target;
mod worker;

pub use worker::spawn;

/// `n` random bytes in hexadecimal.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("the system's random source works");
    b.iter().map(|x| format!("{x:02x}")).collect()
}
