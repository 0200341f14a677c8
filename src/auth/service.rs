//! `Security`: authenticates callers and manages principals, keys, roles
//! and bindings, over the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use base64::Engine;
use moka::sync::Cache;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use super::roles::{built_in_role, Grants, Operation, Operations, ResourcePattern};
use super::secrets::{
    credentials_digest, generate_key, hash_password, key_hash, verify_password, Secret, KEY_PREFIX,
};
use super::{AuthError, Credential, Oidc, Principal};
use crate::audit;
use crate::store::{ApiKeyRecord, BindingRecord, Queries, Store};

/// How often each process checks whether principals, keys or bindings
/// changed (through another replica or the CLI): the bound on how long a
/// revoked key or password keeps working elsewhere.
pub const SECURITY_POLL: Duration = Duration::from_secs(2);

/// How long a successful password or key verification is remembered, so
/// that authenticated traffic does not pay for Argon2 on every request.
/// Any change to the security tables forgets them all at once.
const VERIFIED_TTL: Duration = Duration::from_secs(300);
const VERIFIED_MAX_ENTRIES: u64 = 10_000;

/// Password verifications running at once: each takes Argon2's 19 MiB and a
/// core for tens of milliseconds, so a flood of wrong passwords queues here
/// instead of exhausting memory and the blocking pool.
/// Half the cores (at least 2), so that a flood of wrong passwords cannot
/// take every core from the requests that need none.
fn concurrent_verifications() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |cores| cores.get() / 2)
        .max(2)
}

/// A password check waits this long for its turn at most; then the caller
/// is refused, rather than queued without bound.
const VERIFICATION_WAIT: Duration = Duration::from_secs(10);

/// Settings of `accord serve` that concern authentication.
#[derive(Clone, Default)]
pub struct SecurityOptions {
    /// The role anonymous callers get once authentication is on (`None`:
    /// they get 401).
    pub anonymous_role: Option<String>,
    /// Bearer JWTs from this issuer sign in too; authentication is then on
    /// even without principals.
    pub oidc: Option<Arc<Oidc>>,
    /// Answer a denied read as if the subject or schema did not exist
    /// (Karapace's way) instead of 403 (Confluent's).
    pub hide_denied_reads: bool,
}

#[derive(Clone)]
pub struct Security {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    options: SecurityOptions,
    /// Whether any principal exists: authentication is on.
    enabled: AtomicBool,
    generation: AtomicI64,
    verified: Cache<[u8; 32], Arc<Principal>>,
    /// Verified JWTs, with their expiry (seconds since the epoch).
    tokens: Cache<[u8; 32], (Arc<Principal>, u64)>,
    anonymous: RwLock<Option<Arc<Principal>>>,
    open: Arc<Principal>,
    verifications: Semaphore,
}

impl Security {
    /// Reads the security state and starts following its changes.
    pub async fn start(store: Store, options: SecurityOptions) -> Result<Security, AuthError> {
        let security = Security::new(store, options);
        security.refresh().await?;
        let weak = Arc::downgrade(&security.inner);
        tokio::spawn(poll(weak));
        Ok(security)
    }

    /// A service for the CLI: no background polling.
    pub fn new(store: Store, options: SecurityOptions) -> Security {
        Security {
            inner: Arc::new(Inner {
                store,
                options,
                enabled: AtomicBool::new(false),
                generation: AtomicI64::new(-1),
                verified: Cache::builder()
                    .max_capacity(VERIFIED_MAX_ENTRIES)
                    .time_to_live(VERIFIED_TTL)
                    .build(),
                tokens: Cache::builder()
                    .max_capacity(VERIFIED_MAX_ENTRIES)
                    .time_to_live(VERIFIED_TTL)
                    .build(),
                anonymous: RwLock::new(None),
                open: Arc::new(Principal {
                    name: "anonymous".to_owned(),
                    credential: Credential::Open,
                    grants: Grants::everything(),
                }),
                verifications: Semaphore::new(concurrent_verifications()),
            }),
        }
    }

    /// Whether a denied read answers 404 rather than 403.
    pub fn hides_denied_reads(&self) -> bool {
        self.inner.options.hide_denied_reads
    }

    /// Whether authentication is on (a principal exists).
    pub fn enabled(&self) -> bool {
        self.inner.enabled.load(Ordering::Acquire)
    }

    /// Re-reads the security state if it changed: forgets verifications and
    /// recomputes what anonymous callers may do.
    pub async fn refresh(&self) -> Result<(), AuthError> {
        let mut reader = self.inner.store.reader().await?;
        let (generation, enabled) = reader.queries().security_state().await?;
        drop(reader);
        if self.inner.generation.load(Ordering::Acquire) == generation {
            return Ok(());
        }
        // No verification made before this point is kept, nor cached while
        // the state is recomputed (`remember` compares generations).
        self.inner.generation.store(-1, Ordering::Release);
        self.inner.verified.invalidate_all();
        self.inner.tokens.invalidate_all();
        let anonymous = match &self.inner.options.anonymous_role {
            Some(role) => {
                let grants = self
                    .grants_of(&[(role.clone(), ResourcePattern::Everything.to_string())])
                    .await?;
                Some(Arc::new(Principal {
                    name: "anonymous".to_owned(),
                    credential: Credential::Anonymous,
                    grants,
                }))
            }
            None => None,
        };
        *self.inner.anonymous.write().expect("anonymous lock") = anonymous;
        let enabled = enabled || self.inner.options.oidc.is_some();
        self.inner.enabled.store(enabled, Ordering::Release);
        // Recorded only once the state above is current: a failure part way
        // leaves the next poll to try again.
        self.inner.generation.store(generation, Ordering::Release);
        Ok(())
    }

    /// Who an `Authorization` header names, else the verified client
    /// certificate's common name. `Ok(None)`: no credentials and no
    /// anonymous role.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        certificate_name: Option<&str>,
    ) -> Result<Option<Arc<Principal>>, AuthError> {
        if !self.enabled() {
            return Ok(Some(self.inner.open.clone()));
        }
        let Some(header) = authorization else {
            if let Some(name) = certificate_name {
                return self.verify_certificate(name).await.map(Some);
            }
            return Ok(self.inner.anonymous.read().expect("anonymous lock").clone());
        };
        let (scheme, value) = header.trim().split_once(' ').unwrap_or((header, ""));
        let value = value.trim();
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or(AuthError::Unauthenticated("malformed basic credentials"))?;
            let (user, password) = decoded
                .split_once(':')
                .ok_or(AuthError::Unauthenticated("malformed basic credentials"))?;
            self.verify_password(user, Secret::new(password.to_owned()))
                .await
                .map(Some)
        } else if scheme.eq_ignore_ascii_case("bearer") {
            if value.starts_with(KEY_PREFIX) {
                return self.verify_key(value).await.map(Some);
            }
            match &self.inner.options.oidc {
                Some(oidc) => self.verify_token(oidc, value).await.map(Some),
                None => Err(AuthError::Unauthenticated("unknown bearer token")),
            }
        } else {
            Err(AuthError::Unauthenticated(
                "unsupported authorization scheme",
            ))
        }
    }

    async fn verify_password(
        &self,
        user: &str,
        password: Secret,
    ) -> Result<Arc<Principal>, AuthError> {
        let digest = credentials_digest(&["basic", user, password.expose()]);
        if let Some(principal) = self.inner.verified.get(&digest) {
            return Ok(principal);
        }
        let generation = self.inner.generation.load(Ordering::Acquire);
        let record = {
            let mut reader = self.inner.store.reader().await?;
            reader.queries().principal(user).await?
        };
        // An unknown user costs an Argon2 check too, so that answering
        // does not tell which users exist.
        let stored = record.and_then(|record| record.password_hash);
        let known = stored.is_some();
        let _permit = tokio::time::timeout(VERIFICATION_WAIT, self.inner.verifications.acquire())
            .await
            .map_err(|_| AuthError::Unauthenticated("password checks saturated"))?
            .map_err(|_| AuthError::Internal("verification queue closed".to_owned()))?;
        let matches = tokio::task::spawn_blocking(move || {
            let stored = stored.as_deref().unwrap_or_else(|| unknown_user_hash());
            verify_password(&password, stored)
        })
        .await
        .map_err(|error| AuthError::Internal(format!("password verification failed: {error}")))?;
        if !known {
            return Err(AuthError::Unauthenticated("unknown user or no password"));
        }
        if !matches {
            return Err(AuthError::Unauthenticated("wrong password"));
        }
        let principal = Arc::new(Principal {
            name: user.to_owned(),
            credential: Credential::Password,
            grants: self.bound_grants(user).await?,
        });
        self.remember(generation, digest, principal.clone());
        Ok(principal)
    }

    async fn verify_key(&self, key: &str) -> Result<Arc<Principal>, AuthError> {
        let hash = key_hash(key);
        let digest = credentials_digest(&["key", &hash]);
        if let Some(principal) = self.inner.verified.get(&digest) {
            return Ok(principal);
        }
        let generation = self.inner.generation.load(Ordering::Acquire);
        let name = {
            let mut reader = self.inner.store.reader().await?;
            reader.queries().principal_of_key(&hash).await?
        }
        .ok_or(AuthError::Unauthenticated("unknown API key"))?;
        let principal = Arc::new(Principal {
            grants: self.bound_grants(&name).await?,
            name,
            credential: Credential::ApiKey,
        });
        self.remember(generation, digest, principal.clone());
        Ok(principal)
    }

    /// A JWT from the OIDC issuer: its roles claim's bindings and those
    /// stored for the principal it names.
    async fn verify_token(&self, oidc: &Oidc, token: &str) -> Result<Arc<Principal>, AuthError> {
        let digest = credentials_digest(&["jwt", token]);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        if let Some((principal, expires_at)) = self.inner.tokens.get(&digest) {
            if now <= expires_at + oidc.clock_skew().as_secs() {
                return Ok(principal);
            }
            self.inner.tokens.invalidate(&digest);
        }
        let generation = self.inner.generation.load(Ordering::Acquire);
        let identity = oidc.verify(token).await?;
        let mut bindings = identity.bindings.clone();
        {
            let mut reader = self.inner.store.reader().await?;
            for binding in reader.queries().bindings(Some(&identity.name)).await? {
                bindings.push((binding.role, binding.resource));
            }
        }
        let principal = Arc::new(Principal {
            grants: self.grants_of(&bindings).await?,
            name: identity.name,
            credential: Credential::Token,
        });
        if self.inner.generation.load(Ordering::Acquire) == generation {
            self.inner
                .tokens
                .insert(digest, (principal.clone(), identity.expires_at));
        }
        Ok(principal)
    }

    /// A client certificate rustls verified against the client CA: its
    /// common name must name a principal.
    async fn verify_certificate(&self, name: &str) -> Result<Arc<Principal>, AuthError> {
        let digest = credentials_digest(&["certificate", name]);
        if let Some(principal) = self.inner.verified.get(&digest) {
            return Ok(principal);
        }
        let generation = self.inner.generation.load(Ordering::Acquire);
        let known = {
            let mut reader = self.inner.store.reader().await?;
            reader.queries().principal(name).await?.is_some()
        };
        if !known {
            return Err(AuthError::Unauthenticated("certificate names no principal"));
        }
        let principal = Arc::new(Principal {
            name: name.to_owned(),
            credential: Credential::Certificate,
            grants: self.bound_grants(name).await?,
        });
        self.remember(generation, digest, principal.clone());
        Ok(principal)
    }

    /// Caches a verification unless the security tables changed while it ran.
    fn remember(&self, generation: i64, digest: [u8; 32], principal: Arc<Principal>) {
        if self.inner.generation.load(Ordering::Acquire) == generation {
            self.inner.verified.insert(digest, principal);
        }
    }

    async fn bound_grants(&self, principal: &str) -> Result<Grants, AuthError> {
        let bindings = {
            let mut reader = self.inner.store.reader().await?;
            reader.queries().bindings(Some(principal)).await?
        };
        let pairs: Vec<(String, String)> = bindings
            .into_iter()
            .map(|binding| (binding.role, binding.resource))
            .collect();
        self.grants_of(&pairs).await
    }

    /// The grants of (role, resource) bindings; bindings of roles that no
    /// longer exist grant nothing.
    async fn grants_of(&self, bindings: &[(String, String)]) -> Result<Grants, AuthError> {
        let custom = self.custom_roles().await?;
        let mut grants = Vec::new();
        for (role, resource) in bindings {
            let operations = built_in_role(role).or_else(|| custom.get(role).copied());
            if let (Some(operations), Ok(pattern)) = (operations, resource.parse()) {
                grants.push((operations, pattern));
            }
        }
        Ok(Grants::new(grants))
    }

    async fn custom_roles(&self) -> Result<HashMap<String, Operations>, AuthError> {
        let mut reader = self.inner.store.reader().await?;
        custom_roles_in(&mut reader.queries()).await
    }

    // ---- administration -------------------------------------------------

    pub async fn add_principal(
        &self,
        name: &str,
        password: Option<Secret>,
        bindings: &[(String, String)],
    ) -> Result<(), AuthError> {
        validate_principal_name(name)?;
        for (role, resource) in bindings {
            self.validate_binding(role, resource).await?;
        }
        let password_hash = match password {
            Some(password) => Some(hash_off_thread(password).await?),
            None => None,
        };
        let mut tx = self.inner.store.begin().await?;
        let mut queries = tx.queries();
        if queries.principal(name).await?.is_some() {
            return Err(AuthError::PrincipalExists(name.to_owned()));
        }
        queries
            .insert_principal(name, password_hash.as_deref())
            .await
            .map_err(|error| exists_or(error, name))?;
        for (role, resource) in bindings {
            queries
                .insert_binding(&BindingRecord {
                    principal: name.to_owned(),
                    role: role.clone(),
                    resource: canonical_resource(resource)?,
                })
                .await?;
        }
        let roles: Vec<Value> = bindings
            .iter()
            .map(|(role, resource)| json!({ "role": role, "resource": resource }))
            .collect();
        let details =
            json!({ "principal": name, "password": password_hash.is_some(), "roles": roles });
        audit::record(&mut tx, details);
        tx.commit().await?;
        self.refresh().await
    }

    pub async fn set_password(
        &self,
        name: &str,
        password: Option<Secret>,
    ) -> Result<(), AuthError> {
        let password_hash = match password {
            Some(password) => Some(hash_off_thread(password).await?),
            None => None,
        };
        let mut tx = self.inner.store.begin().await?;
        if !tx
            .queries()
            .set_password(name, password_hash.as_deref())
            .await?
        {
            return Err(AuthError::PrincipalNotFound(name.to_owned()));
        }
        let details = json!({ "principal": name, "password": password_hash.is_some() });
        audit::record(&mut tx, details);
        tx.commit().await?;
        self.refresh().await
    }

    pub async fn remove_principal(&self, name: &str) -> Result<(), AuthError> {
        let mut tx = self.inner.store.begin().await?;
        keeping_an_administrator(&mut tx, async |queries: &mut Queries<'_>| {
            match queries.delete_principal(name).await? {
                true => Ok(()),
                false => Err(AuthError::PrincipalNotFound(name.to_owned())),
            }
        })
        .await?;
        audit::record(&mut tx, json!({ "principal": name }));
        tx.commit().await?;
        self.refresh().await
    }

    pub async fn principals(&self) -> Result<Vec<PrincipalView>, AuthError> {
        let mut reader = self.inner.store.reader().await?;
        let mut queries = reader.queries();
        let mut bindings: HashMap<String, Vec<BindingView>> = HashMap::new();
        for binding in queries.bindings(None).await? {
            bindings
                .entry(binding.principal.clone())
                .or_default()
                .push(BindingView::from(binding));
        }
        Ok(queries
            .principals()
            .await?
            .into_iter()
            .map(|record| {
                let own = bindings.remove(&record.name).unwrap_or_default();
                PrincipalView::new(record, own)
            })
            .collect())
    }

    pub async fn principal(&self, name: &str) -> Result<PrincipalView, AuthError> {
        let mut reader = self.inner.store.reader().await?;
        let mut queries = reader.queries();
        let record = queries
            .principal(name)
            .await?
            .ok_or_else(|| AuthError::PrincipalNotFound(name.to_owned()))?;
        let bindings = queries.bindings(Some(name)).await?;
        Ok(PrincipalView::new(
            record,
            bindings.into_iter().map(BindingView::from).collect(),
        ))
    }

    /// Creates an API key for a principal; the key is in the answer only.
    pub async fn create_key(
        &self,
        principal: &str,
        description: &str,
    ) -> Result<CreatedKey, AuthError> {
        let (key_id, key) = generate_key();
        let record = ApiKeyRecord {
            key_id,
            principal: principal.to_owned(),
            description: description.to_owned(),
            created_at: crate::store::now_millis(),
        };
        let mut tx = self.inner.store.begin().await?;
        let mut queries = tx.queries();
        if queries.principal(principal).await?.is_none() {
            return Err(AuthError::PrincipalNotFound(principal.to_owned()));
        }
        queries
            .insert_api_key(&record, &key_hash(key.expose()))
            .await?;
        let details = json!({ "principal": principal, "keyId": record.key_id });
        audit::record(&mut tx, details);
        tx.commit().await?;
        self.refresh().await?;
        Ok(CreatedKey {
            key: key.expose().to_owned(),
            details: ApiKeyView::from(record),
        })
    }

    pub async fn keys(&self, principal: Option<&str>) -> Result<Vec<ApiKeyView>, AuthError> {
        let mut reader = self.inner.store.reader().await?;
        Ok(reader
            .queries()
            .api_keys(principal)
            .await?
            .into_iter()
            .map(ApiKeyView::from)
            .collect())
    }

    pub async fn revoke_key(&self, key_id: &str) -> Result<(), AuthError> {
        let mut tx = self.inner.store.begin().await?;
        if !tx.queries().delete_api_key(key_id).await? {
            return Err(AuthError::KeyNotFound(key_id.to_owned()));
        }
        audit::record(&mut tx, json!({ "keyId": key_id }));
        tx.commit().await?;
        self.refresh().await
    }

    pub async fn bind(
        &self,
        principal: &str,
        role: &str,
        resource: &str,
    ) -> Result<BindingView, AuthError> {
        self.validate_binding(role, resource).await?;
        let binding = BindingRecord {
            principal: principal.to_owned(),
            role: role.to_owned(),
            resource: canonical_resource(resource)?,
        };
        let mut tx = self.inner.store.begin().await?;
        let mut queries = tx.queries();
        if queries.principal(principal).await?.is_none() {
            return Err(AuthError::PrincipalNotFound(principal.to_owned()));
        }
        queries.insert_binding(&binding).await?;
        audit::record(&mut tx, binding_details(&binding));
        tx.commit().await?;
        self.refresh().await?;
        Ok(BindingView::from(binding))
    }

    pub async fn unbind(
        &self,
        principal: &str,
        role: &str,
        resource: &str,
    ) -> Result<(), AuthError> {
        let binding = BindingRecord {
            principal: principal.to_owned(),
            role: role.to_owned(),
            resource: canonical_resource(resource)?,
        };
        let mut tx = self.inner.store.begin().await?;
        keeping_an_administrator(&mut tx, async |queries: &mut Queries<'_>| {
            match queries.delete_binding(&binding).await? {
                true => Ok(()),
                false => Err(AuthError::BindingNotFound),
            }
        })
        .await?;
        audit::record(&mut tx, binding_details(&binding));
        tx.commit().await?;
        self.refresh().await
    }

    pub async fn bindings(&self, principal: Option<&str>) -> Result<Vec<BindingView>, AuthError> {
        let mut reader = self.inner.store.reader().await?;
        Ok(reader
            .queries()
            .bindings(principal)
            .await?
            .into_iter()
            .map(BindingView::from)
            .collect())
    }

    /// Creates or replaces a custom role.
    pub async fn put_role(&self, name: &str, operations: &[String]) -> Result<RoleView, AuthError> {
        validate_role_name(name)?;
        if built_in_role(name).is_some() {
            return Err(AuthError::Invalid(format!(
                "'{name}' is a built-in role and cannot be changed"
            )));
        }
        if operations.is_empty() {
            return Err(AuthError::Invalid(
                "a role needs at least one operation".to_owned(),
            ));
        }
        let parsed = operations
            .iter()
            .map(|op| op.parse())
            .collect::<Result<Vec<Operation>, _>>()?;
        let operations = Operations::of(&parsed).list();
        let names: Vec<&str> = operations.iter().map(|op| op.name()).collect();
        let mut tx = self.inner.store.begin().await?;
        tx.queries()
            .put_role(
                name,
                &serde_json::to_string(&names).expect("names serialize"),
            )
            .await?;
        audit::record(&mut tx, json!({ "role": name, "operations": names }));
        tx.commit().await?;
        self.refresh().await?;
        Ok(RoleView {
            name: name.to_owned(),
            built_in: false,
            operations,
        })
    }

    pub async fn delete_role(&self, name: &str) -> Result<(), AuthError> {
        if built_in_role(name).is_some() {
            return Err(AuthError::Invalid(format!(
                "'{name}' is a built-in role and cannot be deleted"
            )));
        }
        let mut tx = self.inner.store.begin().await?;
        keeping_an_administrator(&mut tx, async |queries: &mut Queries<'_>| {
            match queries.delete_role(name).await? {
                true => Ok(()),
                false => Err(AuthError::RoleNotFound(name.to_owned())),
            }
        })
        .await?;
        audit::record(&mut tx, json!({ "role": name }));
        tx.commit().await?;
        self.refresh().await
    }

    /// Built-in roles first, then custom ones by name.
    pub async fn roles(&self) -> Result<Vec<RoleView>, AuthError> {
        let mut roles: Vec<RoleView> = super::BUILT_IN_ROLES
            .iter()
            .map(|name| RoleView {
                name: (*name).to_owned(),
                built_in: true,
                operations: built_in_role(name).expect("built-in").list(),
            })
            .collect();
        let mut custom: Vec<(String, Operations)> =
            self.custom_roles().await?.into_iter().collect();
        custom.sort_by(|a, b| a.0.cmp(&b.0));
        roles.extend(custom.into_iter().map(|(name, operations)| RoleView {
            name,
            built_in: false,
            operations: operations.list(),
        }));
        Ok(roles)
    }

    async fn validate_binding(&self, role: &str, resource: &str) -> Result<(), AuthError> {
        resource.parse::<ResourcePattern>()?;
        if built_in_role(role).is_none() && !self.custom_roles().await?.contains_key(role) {
            return Err(AuthError::RoleNotFound(role.to_owned()));
        }
        Ok(())
    }
}

async fn custom_roles_in(
    queries: &mut Queries<'_>,
) -> Result<HashMap<String, Operations>, AuthError> {
    let mut roles = HashMap::new();
    for (name, operations) in queries.roles().await? {
        let names: Vec<String> = serde_json::from_str(&operations)
            .map_err(|error| crate::store::StoreError::Corrupt(format!("role {name}: {error}")))?;
        let operations: Vec<Operation> =
            names.iter().filter_map(|name| name.parse().ok()).collect();
        roles.insert(name, Operations::of(&operations));
    }
    Ok(roles)
}

/// How many principals may administer the registry (hold `ADMIN` on `*`
/// or `admin`), as `queries` sees the tables.
async fn administrators(queries: &mut Queries<'_>) -> Result<usize, AuthError> {
    let custom = custom_roles_in(queries).await?;
    let mut admins = std::collections::HashSet::new();
    for binding in queries.bindings(None).await? {
        let operations =
            built_in_role(&binding.role).or_else(|| custom.get(&binding.role).copied());
        let administers = matches!(
            binding.resource.parse::<ResourcePattern>(),
            Ok(ResourcePattern::Everything | ResourcePattern::Admin)
        );
        if administers && operations.is_some_and(|ops| ops.contains(Operation::Admin)) {
            admins.insert(binding.principal);
        }
    }
    Ok(admins.len())
}

/// Runs `change` in `tx` unless it takes away the last administrator: with
/// no one left to administer it, the registry could only be mended in its
/// database (and without principals, it would be open to anyone).
async fn keeping_an_administrator(
    tx: &mut crate::store::WriteTx,
    change: impl AsyncFnOnce(&mut Queries<'_>) -> Result<(), AuthError>,
) -> Result<(), AuthError> {
    let mut queries = tx.queries();
    let before = administrators(&mut queries).await?;
    change(&mut queries).await?;
    if before > 0 && administrators(&mut queries).await? == 0 {
        return Err(AuthError::Invalid(
            "this would leave no principal who may administer the registry: grant admin to another principal first".to_owned(),
        ));
    }
    Ok(())
}

async fn poll(security: Weak<Inner>) {
    loop {
        tokio::time::sleep(SECURITY_POLL).await;
        let Some(inner) = security.upgrade() else {
            return;
        };
        if let Err(error) = (Security { inner }).refresh().await {
            tracing::warn!(error = %error, "could not re-read principals and keys");
        }
    }
}

fn binding_details(binding: &BindingRecord) -> Value {
    json!({ "principal": binding.principal, "role": binding.role, "resource": binding.resource })
}

/// A hash no password matches in practice, checked for users who do not
/// exist (made once, with the same parameters as real ones).
fn unknown_user_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let (_, random) = super::secrets::generate_key();
        super::secrets::hash_password(&random).expect("hashing a random key")
    })
}

async fn hash_off_thread(password: Secret) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AuthError::Internal(format!("password hashing failed: {error}")))?
}

fn exists_or(error: crate::store::StoreError, name: &str) -> AuthError {
    if error.is_unique_violation() {
        AuthError::PrincipalExists(name.to_owned())
    } else {
        error.into()
    }
}

/// A resource pattern as stored: parsed and printed back.
fn canonical_resource(resource: &str) -> Result<String, AuthError> {
    Ok(resource.parse::<ResourcePattern>()?.to_string())
}

/// Names are shown in audit events and denial messages and split from
/// passwords on the first `:` of Basic credentials.
fn validate_principal_name(name: &str) -> Result<(), AuthError> {
    let valid = !name.is_empty()
        && name.chars().count() <= 128
        && !name.contains(':')
        && !name.chars().any(char::is_control)
        && name != "anonymous";
    if valid {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "invalid principal name {name:?}: 1 to 128 characters, no ':' or control characters, not 'anonymous'"
        )))
    }
}

fn validate_role_name(name: &str) -> Result<(), AuthError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if valid {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "invalid role name {name:?}: 1 to 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

/// A principal as the admin API and the CLI show it.
#[derive(Clone, Debug, Serialize)]
pub struct PrincipalView {
    pub name: String,
    #[serde(rename = "hasPassword")]
    pub has_password: bool,
    #[serde(rename = "createdAt")]
    pub created_at: i64,
    pub bindings: Vec<BindingView>,
}

impl PrincipalView {
    fn new(record: crate::store::PrincipalRecord, bindings: Vec<BindingView>) -> PrincipalView {
        PrincipalView {
            has_password: record.password_hash.is_some(),
            bindings,
            name: record.name,
            created_at: record.created_at,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BindingView {
    pub principal: String,
    pub role: String,
    pub resource: String,
}

impl From<BindingRecord> for BindingView {
    fn from(record: BindingRecord) -> BindingView {
        BindingView {
            principal: record.principal,
            role: record.role,
            resource: record.resource,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ApiKeyView {
    #[serde(rename = "keyId")]
    pub key_id: String,
    pub principal: String,
    pub description: String,
    #[serde(rename = "createdAt")]
    pub created_at: i64,
}

impl From<ApiKeyRecord> for ApiKeyView {
    fn from(record: ApiKeyRecord) -> ApiKeyView {
        ApiKeyView {
            key_id: record.key_id,
            principal: record.principal,
            description: record.description,
            created_at: record.created_at,
        }
    }
}

/// A new key: the only time the key itself is shown.
#[derive(Clone, Serialize)]
pub struct CreatedKey {
    pub key: String,
    #[serde(flatten)]
    pub details: ApiKeyView,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &"***")
            .field("details", &self.details)
            .finish()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RoleView {
    pub name: String,
    #[serde(rename = "builtIn")]
    pub built_in: bool,
    pub operations: Vec<Operation>,
}
