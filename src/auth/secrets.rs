//! Passwords (Argon2id, slow on purpose) and API keys (random, hashed with
//! SHA-256: a key has 256 bits of entropy, so a fast hash is enough).

use std::fmt;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use super::AuthError;

/// What every API key starts with, so that a bearer token is known for one
/// at a glance (and secret scanners can find leaked ones).
pub const KEY_PREFIX: &str = "accord_";

/// A secret given by a user: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: String) -> Secret {
        Secret(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// From a command-line flag.
impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(raw: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(raw.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// An Argon2id PHC string for `password` (OWASP's parameters: the crate's
/// defaults, 19 MiB and 2 passes). Slow: call it off the async threads.
pub fn hash_password(password: &Secret) -> Result<String, AuthError> {
    if password.expose().chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Internal(format!("hashing a password failed: {error}")))
}

/// Whether `password` matches a stored PHC string; the comparison is the
/// crate's constant-time one. Slow: call it off the async threads.
pub fn verify_password(password: &Secret, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(hash) => Argon2::default()
            .verify_password(password.expose().as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// A new API key: (key id, the whole key). The id is the key's public part,
/// shown in lists; the whole key is shown once.
pub fn generate_key() -> (String, Secret) {
    let mut id = [0u8; 6];
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut id);
    OsRng.fill_bytes(&mut secret);
    let id = hex(&id);
    let key = format!("{KEY_PREFIX}{id}_{}", hex(&secret));
    (id, Secret(key))
}

/// The hex SHA-256 a key is stored and looked up by.
pub fn key_hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// A digest of credentials, to key the cache of successful verifications
/// without keeping the credentials themselves.
pub fn credentials_digest(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let password = Secret::new("correct horse".to_owned());
        let stored = hash_password(&password).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password(&password, &stored));
        assert!(!verify_password(
            &Secret::new("wrong horse".to_owned()),
            &stored
        ));
        assert!(!verify_password(&password, "not a hash"));
        assert!(hash_password(&Secret::new("short".to_owned())).is_err());
    }

    #[test]
    fn keys_are_random_and_secrets_do_not_print() {
        let (id, key) = generate_key();
        let (other_id, other) = generate_key();
        assert_ne!(id, other_id);
        assert_ne!(key, other);
        assert!(key.expose().starts_with(&format!("{KEY_PREFIX}{id}_")));
        assert_eq!(key_hash(key.expose()).len(), 64);
        assert_eq!(format!("{key:?}"), "Secret(***)");
        assert_ne!(
            credentials_digest(&["ab", "c"]),
            credentials_digest(&["a", "bc"])
        );
    }
}
