//! The keys tokens are checked with: an HS256 secret and/or RS256/ES256 public keys. Each key
//! is bound to one algorithm, so a token cannot pick another (no `none`, no HS/RS confusion).

use jsonwebtoken::{Algorithm, DecodingKey};

use crate::config::Config;

/// Why the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the public key {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path} is neither an RSA (RS256) nor a P-256 (ES256) public key in PEM")]
    Unknown { path: String },
    #[error("this registry checks tokens with public keys only: sign tokens with your identity provider")]
    CannotSign,
    #[error("{0}")]
    Invalid(String),
}

/// The HS256 secret: configured, else (when no public key is configured either) a development
/// secret made on first use in the data folder.
pub fn hs256_secret(config: &Config) -> Result<Option<Vec<u8>>, KeyError> {
    if let Some(secret) = &config.jwt_hs256_secret {
        if secret.len() < 32 {
            return Err(KeyError::Invalid(
                "jwt_hs256_secret must be at least 32 characters long".into(),
            ));
        }
        return Ok(Some(secret.as_bytes().to_vec()));
    }
    if !config.jwt_public_keys.is_empty() {
        return Ok(None);
    }
    config
        .dev_secret("dev-jwt-secret")
        .map(|s| Some(s.into_bytes()))
        .map_err(|e| KeyError::Invalid(e.to_string()))
}

pub fn decoding_keys(config: &Config) -> Result<Vec<(Algorithm, DecodingKey)>, KeyError> {
    let mut keys = Vec::new();
    if let Some(secret) = hs256_secret(config)? {
        keys.push((Algorithm::HS256, DecodingKey::from_secret(&secret)));
    }
    for path in &config.jwt_public_keys {
        let pem = std::fs::read(path).map_err(|e| KeyError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let key = if let Ok(k) = DecodingKey::from_rsa_pem(&pem) {
            (Algorithm::RS256, k)
        } else if let Ok(k) = DecodingKey::from_ec_pem(&pem) {
            (Algorithm::ES256, k)
        } else {
            return Err(KeyError::Unknown { path: path.clone() });
        };
        keys.push(key);
    }
    Ok(keys)
}
