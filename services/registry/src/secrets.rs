//! Database URLs are secrets: encrypted in the store (ChaCha20-Poly1305 with the registry's
//! key), or kept as a reference to a server-side secret (`env:NAME`, `file:/path`). They are
//! resolved only when a database is reached, and never shown.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use schemareg_adapters::pg::Target;
use schemareg_adapters::store::{Binding, SecretKind};

use crate::config::Config;

const PREFIX: &str = "v1:";

/// Why a secret could not be kept or read. Messages name the reference and what is wrong with
/// it, never what the secret holds.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret_key must be 32 bytes in base64")]
    BadKey,
    #[error("{0}")]
    Key(String),
    #[error("the stored database URL cannot be decrypted with this registry's key")]
    Decrypt,
    #[error("env:{0} is not set on the registry")]
    MissingEnv(String),
    #[error("{0:?} is not an environment variable name")]
    EnvName(String),
    #[error(
        "env:{name} is not allowed: variables that hold database URLs must start with {prefix} (secret_env_prefix)"
    )]
    EnvNotAllowed { name: String, prefix: String },
    #[error("env: references are not allowed: secret_env_prefix is empty")]
    EnvDisabled,
    #[error("file:{0} is not an absolute path without '..'")]
    FilePath(String),
    #[error(
        "file:{0} is not allowed: secret files must be in a directory named by secret_file_dirs, and this \
         registry names none"
    )]
    FilesDisabled(String),
    #[error("file:{path} is not allowed: secret files must be in {dirs} (secret_file_dirs)")]
    FileNotAllowed { path: String, dirs: String },
    #[error("file:{path} cannot be read: {message}")]
    File { path: String, message: String },
    #[error("file:{0} is not a regular file of at most 4 KiB: it cannot hold a database URL")]
    FileShape(String),
    #[error("{reference} does not hold a PostgreSQL URL: {problem}")]
    NotAUrl { reference: String, problem: String },
    #[error(
        "{reference} points at {database}, which is not among the databases this registry may reach (allowed_databases)"
    )]
    DatabaseNotAllowed { reference: String, database: String },
    #[error("write env:NAME or file:/path")]
    UnknownReference,
}

/// The largest secret file read, in bytes.
const MAX_SECRET_FILE: u64 = 4096;

/// Where database URLs may come from: which environment variables and directories a binding may
/// reference, and which databases a URL may point at.
#[derive(Debug, Clone, Default)]
pub struct SecretRules {
    /// Variables named by `env:` must start with this (empty: no `env:` references).
    pub env_prefix: String,
    /// Directories whose files `file:` may name (none: no `file:` references).
    pub file_dirs: Vec<std::path::PathBuf>,
    /// `host:port/database` patterns (`*`, `?`) a URL must match (none: any).
    pub allowed_databases: Vec<glob::Pattern>,
}

/// Encrypts and decrypts database URLs, tags what the registry must recognise as its own
/// (a sign-in form's token), and reads references under [`SecretRules`].
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
    /// A key of its own for tags, derived from the secret key.
    tags: [u8; 32],
    rules: SecretRules,
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
        let allowed_databases = config
            .allowed_databases
            .iter()
            .map(|p| glob::Pattern::new(p).map_err(|e| SecretError::Key(format!("allowed_databases {p:?}: {e}"))))
            .collect::<Result<_, _>>()?;
        let tags = {
            use hmac::{Hmac, Mac};
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes keys of any length");
            mac.update(b"schemareg: the key of tags");
            mac.finalize().into_bytes().into()
        };
        Ok(Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
            tags,
            rules: SecretRules {
                env_prefix: config.secret_env_prefix.clone(),
                file_dirs: config.secret_file_dirs.iter().map(std::path::PathBuf::from).collect(),
                allowed_databases,
            },
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

    /// A tag of `message` for `purpose` (base64url HMAC-SHA256): only this registry (and its
    /// replicas, which share the key) can make it.
    pub fn tag(&self, purpose: &str, message: &str) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.tags).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
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

    /// Checks a reference a binding names (`env:NAME` or `file:/path`) against the rules; the
    /// kind and what is stored.
    pub fn check_reference(&self, reference: &str) -> Result<(SecretKind, String), SecretError> {
        if let Some(name) = reference.strip_prefix("env:") {
            self.allowed_env(name)?;
            Ok((SecretKind::Env, name.to_string()))
        } else if let Some(path) = reference.strip_prefix("file:") {
            self.allowed_file(path)?;
            Ok((SecretKind::File, path.to_string()))
        } else {
            Err(SecretError::UnknownReference)
        }
    }

    fn allowed_env(&self, name: &str) -> Result<(), SecretError> {
        let ok = !name.is_empty()
            && name.len() <= 128
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(SecretError::EnvName(crate::text::clip(name, 64)));
        }
        if self.rules.env_prefix.is_empty() {
            return Err(SecretError::EnvDisabled);
        }
        if !name.starts_with(&self.rules.env_prefix) {
            return Err(SecretError::EnvNotAllowed {
                name: name.into(),
                prefix: self.rules.env_prefix.clone(),
            });
        }
        Ok(())
    }

    /// The file a `file:` reference names, resolved (symbolic links followed), when it is in
    /// a configured directory.
    fn allowed_file(&self, path: &str) -> Result<std::path::PathBuf, SecretError> {
        use std::path::{Component, Path};
        let shown = crate::text::clip(path, 200);
        let p = Path::new(path);
        if !p.is_absolute() || p.components().any(|c| matches!(c, Component::ParentDir)) || path.contains('\0') {
            return Err(SecretError::FilePath(shown));
        }
        if self.rules.file_dirs.is_empty() {
            return Err(SecretError::FilesDisabled(shown));
        }
        // Links are followed before the check, so that a link in an allowed directory cannot
        // lead out of it; a file not there yet is placed by its folder.
        let resolved = match p.canonicalize() {
            Ok(r) => r,
            Err(_) => match (p.parent().and_then(|d| d.canonicalize().ok()), p.file_name()) {
                (Some(dir), Some(name)) => dir.join(name),
                _ => p.to_path_buf(),
            },
        };
        let inside = self.rules.file_dirs.iter().any(|dir| {
            dir.canonicalize()
                .is_ok_and(|dir| resolved.starts_with(&dir) && resolved != dir)
        });
        if !inside {
            return Err(SecretError::FileNotAllowed {
                path: shown,
                dirs: self
                    .rules
                    .file_dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(resolved)
    }

    /// The database URL of a binding, read under the rules as they are now (a reference stored
    /// before they changed is refused like a new one).
    pub fn resolve(&self, binding: &Binding) -> Result<String, SecretError> {
        self.resolve_secret(binding.secret_kind, &binding.secret)
    }

    /// As [`SecretBox::resolve`], for a secret as stored.
    pub fn resolve_secret(&self, kind: SecretKind, secret: &str) -> Result<String, SecretError> {
        match kind {
            SecretKind::Encrypted => self.decrypt(secret),
            SecretKind::Env => {
                self.allowed_env(secret)?;
                std::env::var(secret).map_err(|_| SecretError::MissingEnv(secret.to_string()))
            }
            SecretKind::File => read_small_file(&self.allowed_file(secret)?, secret),
        }
    }

    /// Checks that a URL points at a database the rules allow; `reference` says where it came
    /// from in messages (never the URL itself).
    pub fn check_target(&self, target: &Target, reference: &str) -> Result<(), SecretError> {
        if self.rules.allowed_databases.is_empty() {
            return Ok(());
        }
        let database = format!("{}/{}", target.host(), target.database());
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        if self
            .rules
            .allowed_databases
            .iter()
            .any(|p| p.matches_with(&database, options))
        {
            Ok(())
        } else {
            Err(SecretError::DatabaseNotAllowed {
                reference: reference.into(),
                database,
            })
        }
    }

    /// The parsed, allowed target of a URL; `reference` names where the URL came from.
    pub fn target(&self, url: &str, reference: &str) -> Result<Target, SecretError> {
        let target = Target::parse(url).map_err(|e| SecretError::NotAUrl {
            reference: reference.into(),
            problem: e.problem().to_string(),
        })?;
        self.check_target(&target, reference)?;
        Ok(target)
    }
}

/// How a binding's secret is named in messages: `env:NAME`, `file:/path`, or `the encrypted
/// URL`.
pub fn reference_of(binding: &Binding) -> String {
    match binding.secret_kind {
        SecretKind::Encrypted => "the stored database_url".into(),
        SecretKind::Env => format!("env:{}", binding.secret),
        SecretKind::File => format!("file:{}", binding.secret),
    }
}

fn read_small_file(path: &std::path::Path, shown: &str) -> Result<String, SecretError> {
    use std::io::Read;
    let shown = crate::text::clip(shown, 200);
    let fail = |e: std::io::Error| SecretError::File {
        path: shown.clone(),
        message: e.kind().to_string(),
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if !meta.is_file() || meta.len() > MAX_SECRET_FILE {
        return Err(SecretError::FileShape(shown));
    }
    let mut text = String::new();
    file.take(MAX_SECRET_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|_| SecretError::FileShape(shown.clone()))?;
    if text.len() as u64 > MAX_SECRET_FILE {
        return Err(SecretError::FileShape(shown));
    }
    Ok(text.trim().to_string())
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
