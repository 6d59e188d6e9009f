//! Database URLs are secrets: encrypted in the store (ChaCha20-Poly1305 with the registry's
//! key), or kept as a reference to a server-side secret (`env:NAME`, `file:/path`). They are
//! resolved only when a database is reached, and never shown.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use schemareg_adapters::store::{Binding, SecretKind};

use crate::config::Config;

const PREFIX: &str = "v1:";

/// Why a secret could not be kept or read. Messages never hold the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret_key must be 32 bytes in base64")]
    BadKey,
    #[error("{0}")]
    Key(String),
    #[error("the stored database URL cannot be decrypted with this registry's key")]
    Decrypt,
    #[error("environment variable {0} is not set on the registry")]
    MissingEnv(String),
    #[error("cannot read the secret file {path}: {message}")]
    File { path: String, message: String },
}

/// Encrypts and decrypts database URLs.
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl SecretBox {
    /// The key from configuration, else a development key made on first use in the data folder.
    pub fn from_config(config: &Config) -> Result<Self, SecretError> {
        let b64 = match &config.secret_key {
            Some(b64) => b64.trim().to_string(),
            None => config
                .dev_secret("secret.key")
                .map_err(|e| SecretError::Key(e.to_string()))?,
        };
        let key = STANDARD.decode(b64).map_err(|_| SecretError::BadKey)?;
        if key.len() != 32 {
            return Err(SecretError::BadKey);
        }
        Ok(Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        })
    }

    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the system's random source works");
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
                .expect("encryption of a short text does not fail"),
        );
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, SecretError> {
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > 12)
            .ok_or(SecretError::Decrypt)?;
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(&bytes[..12]), &bytes[12..])
            .map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| SecretError::Decrypt)
    }

    /// The database URL of a binding.
    pub fn resolve(&self, binding: &Binding) -> Result<String, SecretError> {
        match binding.secret_kind {
            SecretKind::Encrypted => self.decrypt(&binding.secret),
            SecretKind::Env => {
                std::env::var(&binding.secret).map_err(|_| SecretError::MissingEnv(binding.secret.clone()))
            }
            SecretKind::File => std::fs::read_to_string(&binding.secret)
                .map(|s| s.trim().to_string())
                .map_err(|e| SecretError::File {
                    path: binding.secret.clone(),
                    message: e.to_string(),
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let config = Config {
            secret_key: Some(STANDARD.encode([7u8; 32])),
            ..Config::default()
        };
        let b = SecretBox::from_config(&config).unwrap();
        let url = "postgres://app:s3cret@db.internal/app";
        let sealed = b.encrypt(url);
        assert!(!sealed.contains("s3cret"));
        assert_ne!(sealed, b.encrypt(url), "a fresh nonce each time");
        assert_eq!(b.decrypt(&sealed).unwrap(), url);
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(b.decrypt(std::str::from_utf8(&tampered).unwrap()).is_err());
        let other = Config {
            secret_key: Some(STANDARD.encode([8u8; 32])),
            ..Config::default()
        };
        assert!(SecretBox::from_config(&other).unwrap().decrypt(&sealed).is_err());
        let short = Config {
            secret_key: Some(STANDARD.encode([8u8; 16])),
            ..Config::default()
        };
        assert!(SecretBox::from_config(&short).is_err());
    }
}
