//! OIDC: bearer JWTs from an identity provider, checked against its JWKS
//! (issuer, audience, expiry with a clock skew, signature), with the roles
//! taken from a configurable claim.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::AuthError;

/// How often a JWKS fetched from a URL is fetched again (key rotation).
const JWKS_REFRESH: Duration = Duration::from_secs(300);
/// A token with a key id the JWKS lacks fetches it again, at most this often.
const UNKNOWN_KEY_REFETCH: Duration = Duration::from_secs(30);

/// Where the signing keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    File(PathBuf),
    Url(String),
    /// The issuer's discovery document names it (`jwks_uri`).
    Discovery,
}

impl std::str::FromStr for JwksSource {
    type Err = std::convert::Infallible;

    fn from_str(raw: &str) -> Result<JwksSource, Self::Err> {
        Ok(
            if raw.starts_with("https://") || raw.starts_with("http://") {
                JwksSource::Url(raw.to_owned())
            } else {
                JwksSource::File(PathBuf::from(raw))
            },
        )
    }
}

#[derive(Clone, Debug)]
pub struct OidcSettings {
    pub issuer: String,
    pub audience: String,
    pub jwks: JwksSource,
    /// The claim holding the roles: a list or a space-separated string;
    /// dotted for nested claims (`realm_access.roles`). Each value is a role
    /// granted on everything, or `role@resource`.
    pub roles_claim: String,
    /// The claim naming the principal.
    pub principal_claim: String,
    pub clock_skew: Duration,
}

/// Who a valid token names, and the bindings its roles claim gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenIdentity {
    pub name: String,
    /// (role, resource)
    pub bindings: Vec<(String, String)>,
    /// Expiry, seconds since the epoch.
    pub expires_at: u64,
}

pub struct Oidc {
    settings: OidcSettings,
    http: reqwest::Client,
    keys: RwLock<Arc<JwkSet>>,
    fetched: Mutex<Instant>,
}

impl Oidc {
    /// Loads the JWKS (start-up fails if it cannot).
    pub async fn load(settings: OidcSettings) -> Result<Arc<Oidc>, AuthError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| AuthError::Internal(format!("HTTP client: {error}")))?;
        let oidc = Oidc {
            settings,
            http,
            keys: RwLock::new(Arc::new(JwkSet { keys: Vec::new() })),
            fetched: Mutex::new(Instant::now()),
        };
        let keys = oidc.fetch().await?;
        *oidc.keys.write().expect("jwks lock") = Arc::new(keys);
        let oidc = Arc::new(oidc);
        if !matches!(oidc.settings.jwks, JwksSource::File(_)) {
            tokio::spawn(refresh(Arc::downgrade(&oidc)));
        }
        Ok(oidc)
    }

    async fn fetch(&self) -> Result<JwkSet, AuthError> {
        let unusable = |what: &str, error: &dyn std::fmt::Display| {
            AuthError::Invalid(format!(
                "cannot load the OIDC signing keys from {what}: {error}"
            ))
        };
        let url = match &self.settings.jwks {
            JwksSource::File(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| unusable(&path.display().to_string(), &error))?;
                return serde_json::from_str(&text)
                    .map_err(|error| unusable(&path.display().to_string(), &error));
            }
            JwksSource::Url(url) => url.clone(),
            JwksSource::Discovery => {
                let discovery = format!(
                    "{}/.well-known/openid-configuration",
                    self.settings.issuer.trim_end_matches('/')
                );
                let document: Value = self
                    .get_json(&discovery)
                    .await
                    .map_err(|e| unusable(&discovery, &e))?;
                document["jwks_uri"]
                    .as_str()
                    .ok_or_else(|| unusable(&discovery, &"no jwks_uri"))?
                    .to_owned()
            }
        };
        let keys: Value = self
            .get_json(&url)
            .await
            .map_err(|error| unusable(&url, &error))?;
        serde_json::from_value(keys).map_err(|error| unusable(&url, &error))
    }

    async fn get_json(&self, url: &str) -> Result<Value, reqwest::Error> {
        self.http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    /// Fetches the keys again unless that happened moments ago.
    async fn refetch(&self, minimum_age: Duration) {
        {
            let mut fetched = self.fetched.lock().expect("fetch time");
            if fetched.elapsed() < minimum_age {
                return;
            }
            *fetched = Instant::now();
        }
        match self.fetch().await {
            Ok(keys) => *self.keys.write().expect("jwks lock") = Arc::new(keys),
            Err(error) => tracing::warn!(%error, "could not refresh the OIDC signing keys"),
        }
    }

    /// Checks a token; the reason for a refusal is logged, not sent.
    pub async fn verify(&self, token: &str) -> Result<TokenIdentity, AuthError> {
        let refused = |reason: &'static str| AuthError::Unauthenticated(reason);
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("malformed JWT"))?;
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(refused("JWT signed with a shared secret"));
        }
        let kid = header.kid.clone().unwrap_or_default();
        let mut jwk = self.key(&kid);
        if jwk.is_none() {
            self.refetch(UNKNOWN_KEY_REFETCH).await;
            jwk = self.key(&kid);
        }
        let jwk = jwk.ok_or(refused("JWT signed by an unknown key"))?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| refused("unusable signing key"))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.leeway = self.settings.clock_skew.as_secs();
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                AuthError::Unauthenticated(match error.kind() {
                    ErrorKind::ExpiredSignature => "JWT expired",
                    ErrorKind::InvalidAudience => "JWT for another audience",
                    ErrorKind::InvalidIssuer => "JWT from another issuer",
                    ErrorKind::InvalidSignature => "JWT signature does not verify",
                    ErrorKind::ImmatureSignature => "JWT not valid yet",
                    _ => "JWT refused",
                })
            })?
            .claims;
        let name = claim(&claims, &self.settings.principal_claim)
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .ok_or(refused("JWT names no principal"))?
            .to_owned();
        let bindings = roles(claim(&claims, &self.settings.roles_claim));
        let expires_at = claims["exp"].as_u64().unwrap_or(0);
        Ok(TokenIdentity {
            name,
            bindings,
            expires_at,
        })
    }

    fn key(&self, kid: &str) -> Option<jsonwebtoken::jwk::Jwk> {
        let keys = self.keys.read().expect("jwks lock").clone();
        match kid {
            // A token without a key id: the set's only key, if it has one.
            "" if keys.keys.len() == 1 => keys.keys.first().cloned(),
            kid => keys.find(kid).cloned(),
        }
    }

    pub fn clock_skew(&self) -> Duration {
        self.settings.clock_skew
    }
}

async fn refresh(oidc: std::sync::Weak<Oidc>) {
    loop {
        tokio::time::sleep(JWKS_REFRESH).await;
        let Some(oidc) = oidc.upgrade() else {
            return;
        };
        oidc.refetch(Duration::ZERO).await;
    }
}

/// A claim by dotted path.
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(claims, |value, key| value.get(key))
}

/// `["reader", "writer@subject:orders-*"]` or `"reader writer"`.
fn roles(value: Option<&Value>) -> Vec<(String, String)> {
    let names: Vec<&str> = match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(text)) => text.split_whitespace().collect(),
        _ => Vec::new(),
    };
    names
        .into_iter()
        .map(|name| match name.split_once('@') {
            Some((role, resource)) => (role.to_owned(), resource.to_owned()),
            None => (name.to_owned(), "*".to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_come_from_lists_strings_and_nested_claims() {
        let claims = json!({ "realm_access": { "roles": ["reader", "writer@subject:orders-*"] }, "scope": "owner admin" });
        assert_eq!(
            roles(claim(&claims, "realm_access.roles")),
            vec![
                ("reader".to_owned(), "*".to_owned()),
                ("writer".to_owned(), "subject:orders-*".to_owned())
            ]
        );
        assert_eq!(roles(claim(&claims, "scope")).len(), 2);
        assert!(roles(claim(&claims, "missing")).is_empty());
    }
}
