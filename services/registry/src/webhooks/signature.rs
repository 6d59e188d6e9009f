//! Signing as the Standard Webhooks scheme has it: the secret is `whsec_` and base64 of random
//! bytes; each request carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature`: `v1,` and base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}` keyed
//! with the secret's bytes. Receivers check it with any Standard Webhooks library and refuse
//! old timestamps (replays) and ids seen before (redeliveries they already handled).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn generate() -> String {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the system's random source works");
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The key bytes of a secret; none when it is not one this registry made.
pub fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(PREFIX)?)
        .ok()
        .filter(|k| !k.is_empty())
}

/// The `webhook-signature` of a message.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether a `webhook-signature` header (signatures separated by spaces) holds the message's
/// signature: what a receiver checks.
pub fn verify(key: &[u8], id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(expected) = sign(key, id, timestamp, body)
        .strip_prefix("v1,")
        .and_then(|s| STANDARD.decode(s).ok())
    else {
        return false;
    };
    header.split(' ').any(|candidate| {
        candidate
            .strip_prefix("v1,")
            .and_then(|s| STANDARD.decode(s).ok())
            .is_some_and(|given| {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
                mac.update(format!("{id}.{timestamp}.").as_bytes());
                mac.update(body);
                given.len() == expected.len() && mac.verify_slice(&given).is_ok()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signs_as_the_standard_webhooks_reference_does() {
        let key = key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_tampered_body_an_other_id_or_time_or_key_fails_the_check() {
        let secret = generate();
        let key = key(&secret).unwrap();
        let header = sign(&key, "msg_1", 1700000000, b"{}");
        assert!(verify(&key, "msg_1", 1700000000, b"{}", &header));
        assert!(verify(&key, "msg_1", 1700000000, b"{}", &format!("v1,AAAA {header}")));
        assert!(!verify(&key, "msg_1", 1700000000, b"{ }", &header));
        assert!(!verify(&key, "msg_2", 1700000000, b"{}", &header));
        assert!(!verify(&key, "msg_1", 1700000001, b"{}", &header));
        assert!(!verify(
            &crate::webhooks::signature::key(&generate()).unwrap(),
            "msg_1",
            1700000000,
            b"{}",
            &header
        ));
        assert_eq!(super::key("not-a-secret"), None);
    }
}
