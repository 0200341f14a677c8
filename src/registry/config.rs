//! Confluent's config (compatibility level and friends) and mode, set per
//! scope through the API, and how the effective value for a subject is
//! resolved. (The process's own flags are `crate::settings`; the registry's
//! limits `RegistryOptions`.)

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use accord_schema::{CompatibilityLevel, CompatibilityPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::source::SettingsSource;
use super::subject::{context_scope, Subject};
use super::{Registry, RegistryError};
use crate::audit;

/// The scope of settings that apply across every context.
pub const GLOBAL_CONTEXT_SCOPE: &str = ":.__GLOBAL:";
/// The top-level (default-context) scope.
pub const TOP_LEVEL_SCOPE: &str = ":.:";

/// Where a config or mode is read or written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `/config`, `/mode`, or `{s}` = `:.:`.
    TopLevel,
    /// `{s}` = `:.ctx:` or `:.__GLOBAL:`.
    Context(String),
    Subject(Subject),
}

impl Scope {
    /// Parses the `{s}` of `/config/{s}` and `/mode/{s}`. `:.ctx:` (or
    /// `:.ctx`) is the context itself; `:.__GLOBAL:` every context.
    pub fn parse(raw: &str) -> Scope {
        if raw == GLOBAL_CONTEXT_SCOPE {
            return Scope::Context(".__GLOBAL".to_owned());
        }
        let subject = Subject::parse(raw);
        match (subject.in_default_context(), subject.name.is_empty()) {
            (false, true) => Scope::Context(subject.context),
            _ => Scope::Subject(subject),
        }
    }

    /// Parses a scope about to be written to (subject names validated).
    pub fn parse_for_write(raw: &str) -> Result<Scope, RegistryError> {
        match Scope::parse(raw) {
            Scope::Subject(_) => Subject::parse_for_write(raw).map(Scope::Subject),
            scope => Ok(scope),
        }
    }

    pub fn key(&self) -> String {
        match self {
            Scope::TopLevel => TOP_LEVEL_SCOPE.to_owned(),
            Scope::Context(context) => context_scope(context),
            Scope::Subject(subject) => subject.qualified(),
        }
    }

    /// Every scope a config or mode here may be read from: the chain and
    /// the top level (whose READONLY_OVERRIDE beats the rest).
    pub(super) fn settings_scopes(&self) -> Vec<String> {
        let mut scopes = self.chain();
        if !scopes.iter().any(|scope| scope == TOP_LEVEL_SCOPE) {
            scopes.push(TOP_LEVEL_SCOPE.to_owned());
        }
        scopes
    }

    /// The scopes consulted for a value here, most specific first.
    fn chain(&self) -> Vec<String> {
        let mut chain = Vec::new();
        match self {
            Scope::Subject(subject) => {
                chain.push(subject.qualified());
                chain.push(subject.context_scope());
            }
            Scope::Context(context) => chain.push(context_scope(context)),
            Scope::TopLevel => chain.push(TOP_LEVEL_SCOPE.to_owned()),
        }
        if !chain.iter().any(|scope| scope == GLOBAL_CONTEXT_SCOPE) {
            chain.push(GLOBAL_CONTEXT_SCOPE.to_owned());
        }
        chain
    }

    /// The subject name that messages talk about.
    pub fn display_name(&self) -> String {
        match self {
            Scope::TopLevel => String::new(),
            Scope::Context(context) => context_scope(context),
            Scope::Subject(subject) => subject.qualified(),
        }
    }
}

/// Registry modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    ReadWrite,
    ReadOnly,
    ReadOnlyOverride,
    Import,
    Forward,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
            Mode::Forward => "FORWARD",
        }
    }

    pub fn is_read_only(self) -> bool {
        matches!(self, Mode::ReadOnly | Mode::ReadOnlyOverride)
    }

    /// Whether writes carry explicit ids (IMPORT, and FORWARD which behaves alike).
    pub fn is_import(self) -> bool {
        matches!(self, Mode::Import | Mode::Forward)
    }

    /// Whether a schema is normalized before it is stored, looked up or
    /// checked: when the request or the config asks for it, except under the
    /// import modes, which store what they are given. The one place this
    /// rule lives.
    pub fn normalizes(self, requested: bool, config: &EffectiveConfig) -> bool {
        !self.is_import() && (requested || config.normalize)
    }
}

impl FromStr for Mode {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "READWRITE" => Mode::ReadWrite,
            "READONLY" => Mode::ReadOnly,
            "READONLY_OVERRIDE" => Mode::ReadOnlyOverride,
            "IMPORT" => Mode::Import,
            "FORWARD" => Mode::Forward,
            _ => return Err(RegistryError::InvalidMode),
        })
    }
}

/// The config stored at one scope, in the shape Confluent stores and
/// shows it (`GET /config`): every field optional, absent ones left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_fields: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_rules: Option<bool>,
    #[serde(default, with = "level_name", skip_serializing_if = "Option::is_none")]
    pub compatibility_level: Option<CompatibilityLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    /// Kept as the client spelled it (validated), as Confluent shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_rule_set: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_rule_set: Option<Value>,
}

/// `compatibilityLevel` as its upper-case name.
mod level_name {
    use std::str::FromStr;

    use accord_schema::CompatibilityLevel;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        level: &Option<CompatibilityLevel>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match level {
            Some(level) => serializer.serialize_str(level.as_str()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<CompatibilityLevel>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|name| {
                CompatibilityLevel::from_str(&name).map_err(|()| {
                    serde::de::Error::custom(format!("unknown compatibility level {name:?}"))
                })
            })
            .transpose()
    }
}

impl Config {
    /// A config as the store holds it (JSON written by `put_config`).
    pub(super) fn from_stored(stored: Value) -> Result<Config, RegistryError> {
        serde_json::from_value(stored)
            .map_err(|error| crate::store::StoreError::Corrupt(format!("config: {error}")).into())
    }

    /// The config with the server's default level where it sets none, as
    /// `GET /config` shows it.
    fn with_level_or(mut self, default: CompatibilityLevel) -> Config {
        self.compatibility_level.get_or_insert(default);
        self
    }

    /// Merges an update: fields it sets replace, the rest stay.
    fn merge(&mut self, update: &ConfigUpdate) -> Result<(), RegistryError> {
        fn set<T: Clone>(field: &mut Option<T>, value: &Option<T>) {
            if let Some(value) = value {
                *field = Some(value.clone());
            }
        }
        if let Some(level) = &update.compatibility {
            self.compatibility_level = Some(
                CompatibilityLevel::from_str(level)
                    .map_err(|()| RegistryError::InvalidCompatibilityLevel)?,
            );
        }
        if let Some(policy) = &update.compatibility_policy {
            CompatibilityPolicy::from_str(policy)
                .map_err(|()| RegistryError::InvalidCompatibilityPolicy)?;
        }
        set(&mut self.alias, &update.alias);
        set(&mut self.normalize, &update.normalize);
        set(&mut self.validate_fields, &update.validate_fields);
        set(&mut self.validate_rules, &update.validate_rules);
        set(&mut self.compatibility_group, &update.compatibility_group);
        set(&mut self.compatibility_policy, &update.compatibility_policy);
        set(&mut self.default_metadata, &update.default_metadata);
        set(&mut self.override_metadata, &update.override_metadata);
        set(&mut self.default_rule_set, &update.default_rule_set);
        set(&mut self.override_rule_set, &update.override_rule_set);
        Ok(())
    }

    /// An estimate of the memory the config holds, for the cache's budget.
    pub(super) fn weight(&self) -> usize {
        let json = |value: &Option<Value>| value.as_ref().map_or(0, |v| v.to_string().len());
        let text = |value: &Option<String>| value.as_ref().map_or(0, String::len);
        std::mem::size_of::<Config>()
            + text(&self.alias)
            + text(&self.compatibility_group)
            + text(&self.compatibility_policy)
            + json(&self.default_metadata)
            + json(&self.override_metadata)
            + json(&self.default_rule_set)
            + json(&self.override_rule_set)
    }
}

/// A `PUT /config` body, as decoded: the fields it sets (an explicit
/// `null` sets nothing, as in Confluent). Echoed back as the response.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigUpdate {
    /// The level as the client spelled it; stored in upper case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_fields: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_rules: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_rule_set: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_rule_set: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// The effective settings a registration or check runs under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveConfig {
    pub level: CompatibilityLevel,
    pub normalize: bool,
    pub validate_fields: bool,
    pub compatibility_group: Option<String>,
    pub policy: CompatibilityPolicy,
}

impl Registry {
    /// The config in force: the most specific one stored along the scope
    /// chain (Confluent does not merge scopes), with the server's default
    /// level filled in where it sets none.
    pub(super) async fn effective_config_in(
        &self,
        source: &mut impl SettingsSource,
        scope: &Scope,
    ) -> Result<Config, RegistryError> {
        let mut effective = Config::default();
        for key in scope.chain() {
            if let Some(stored) = source.config(&key).await? {
                effective = stored.as_ref().clone();
                break;
            }
        }
        Ok(effective.with_level_or(self.options.default_compatibility))
    }

    pub(super) async fn config_for(
        &self,
        source: &mut impl SettingsSource,
        subject: &Subject,
    ) -> Result<EffectiveConfig, RegistryError> {
        // The most specific stored config, read in place: this runs on every
        // registration, lookup and check.
        let mut stored = None;
        for key in Scope::Subject(subject.clone()).chain() {
            if let Some(config) = source.config(&key).await? {
                stored = Some(config);
                break;
            }
        }
        let empty = Config::default();
        let config = stored.as_deref().unwrap_or(&empty);
        Ok(EffectiveConfig {
            level: config
                .compatibility_level
                .unwrap_or(self.options.default_compatibility),
            normalize: config.normalize == Some(true),
            validate_fields: config.validate_fields == Some(true),
            compatibility_group: config.compatibility_group.clone(),
            policy: config
                .compatibility_policy
                .as_deref()
                .and_then(|policy| CompatibilityPolicy::from_str(policy).ok())
                .unwrap_or_default(),
        })
    }

    /// The mode and config in force for a subject, read through the caches
    /// and kept resolved: every registration, lookup and check needs both.
    pub(super) async fn subject_settings(
        &self,
        source: &mut super::source::Cached<'_>,
        subject: &Subject,
    ) -> Result<Arc<(Mode, EffectiveConfig)>, RegistryError> {
        let key = (subject.context.clone(), subject.name.clone());
        if let Some(settings) = self.caches.subject_settings.get(&key) {
            return Ok(settings);
        }
        let ticket = self.caches.ticket();
        let mode = self
            .effective_mode_in(source, &Scope::Subject(subject.clone()))
            .await?;
        let config = self.config_for(source, subject).await?;
        let settings = Arc::new((mode, config));
        self.caches
            .fill(&self.caches.subject_settings, ticket, key, settings.clone());
        Ok(settings)
    }

    /// The subject a request on `subject` acts on: the `alias` of the
    /// subject's own config if it sets one (one level, as in Confluent),
    /// else the subject itself. Config and mode requests are not aliased.
    pub async fn resolve_alias(&self, subject: Subject) -> Result<Subject, RegistryError> {
        let alias = match self.cached().config(&subject.qualified()).await? {
            Some(config) => config
                .alias
                .as_deref()
                .filter(|alias| !alias.is_empty())
                .map(Subject::parse),
            None => None,
        };
        Ok(alias.unwrap_or(subject))
    }

    /// The subjects whose config makes them aliases, by the qualified name
    /// of the subject they stand for.
    pub async fn aliases(&self) -> Result<HashMap<String, Vec<String>>, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
        for (scope, stored) in reader.queries().configs().await? {
            if let Some(target) = Config::from_stored(stored)?.alias {
                aliases
                    .entry(Subject::parse(&target).qualified())
                    .or_default()
                    .push(scope);
            }
        }
        for names in aliases.values_mut() {
            names.sort();
        }
        Ok(aliases)
    }

    /// Every config and mode as stored, by scope key (`:.:` the top level,
    /// `:.ctx:` a context, else a qualified subject), for exports.
    pub async fn stored_settings(
        &self,
    ) -> Result<(Vec<(String, serde_json::Value)>, Vec<(String, String)>), RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let mut configs = queries.configs().await?;
        configs.sort_by(|a, b| a.0.cmp(&b.0));
        let modes = queries.modes().await?;
        Ok((configs, modes))
    }

    /// `GET /config[/{s}]`.
    pub async fn get_config(
        &self,
        scope: &Scope,
        default_to_global: bool,
    ) -> Result<Config, RegistryError> {
        let mut source = self.cached();
        if default_to_global || scope == &Scope::TopLevel {
            return self.effective_config_in(&mut source, scope).await;
        }
        match source.config(&scope.key()).await? {
            Some(stored) => Ok(stored
                .as_ref()
                .clone()
                .with_level_or(self.options.default_compatibility)),
            None => Err(RegistryError::SubjectConfigNotFound(scope.display_name())),
        }
    }

    /// `PUT /config[/{s}]`: merges the update into the stored config
    /// (fields it does not set keep their value); the caller echoes it.
    pub async fn put_config(
        &self,
        scope: &Scope,
        update: &ConfigUpdate,
    ) -> Result<(), RegistryError> {
        // Validated before anything is read or written.
        Config::default().merge(update)?;
        let mut tx = self.store.begin().await?;
        let mut queries = tx.queries();
        self.ensure_writable(&mut queries, scope).await?;
        let previous = match queries.config(&scope.key()).await? {
            Some(stored) => Some(Config::from_stored(stored)?),
            None => None,
        };
        let mut stored = previous.clone().unwrap_or_default();
        stored.merge(update)?;
        let stored = serde_json::to_value(&stored).expect("configs serialize");
        queries.put_config(&scope.key(), &stored).await?;
        let details = json!({ "scope": scope.key(), "old": previous, "new": stored });
        audit::record(&mut tx, details);
        self.caches.apply(&tx.commit().await?);
        Ok(())
    }

    /// `DELETE /config[/{s}]`: returns what was in force before.
    pub async fn delete_config(&self, scope: &Scope) -> Result<Config, RegistryError> {
        let mut tx = self.store.begin().await?;
        let mut queries = tx.queries();
        // Nothing to delete is reported before a read-only mode is.
        let previous = if scope == &Scope::TopLevel {
            self.effective_config_in(&mut queries, scope).await?
        } else {
            match queries.config(&scope.key()).await? {
                Some(stored) => {
                    Config::from_stored(stored)?.with_level_or(self.options.default_compatibility)
                }
                None => return Err(RegistryError::SubjectNotFound(scope.display_name())),
            }
        };
        self.ensure_writable(&mut queries, scope).await?;
        queries.delete_config(&scope.key()).await?;
        audit::record(&mut tx, json!({ "scope": scope.key(), "old": previous }));
        self.caches.apply(&tx.commit().await?);
        Ok(previous)
    }

    /// Whether a top-level READONLY_OVERRIDE is set; it beats every
    /// narrower mode, in every context.
    async fn global_override(
        &self,
        source: &mut impl SettingsSource,
    ) -> Result<bool, RegistryError> {
        Ok(source.mode(TOP_LEVEL_SCOPE).await? == Some(Mode::ReadOnlyOverride))
    }

    /// The mode in force for a scope.
    pub(super) async fn effective_mode_in(
        &self,
        source: &mut impl SettingsSource,
        scope: &Scope,
    ) -> Result<Mode, RegistryError> {
        if self.global_override(source).await? {
            return Ok(Mode::ReadOnlyOverride);
        }
        for key in scope.chain() {
            if let Some(mode) = source.mode(&key).await? {
                return Ok(mode);
            }
        }
        Ok(Mode::ReadWrite)
    }

    /// Refuses writes to config, mode-guarded settings and schemas under a read-only mode.
    pub(super) async fn ensure_writable(
        &self,
        source: &mut impl SettingsSource,
        scope: &Scope,
    ) -> Result<(), RegistryError> {
        if scope == &Scope::TopLevel {
            return Ok(());
        }
        if self.effective_mode_in(source, scope).await?.is_read_only() {
            return Err(read_only(&scope.display_name()));
        }
        Ok(())
    }

    /// `GET /mode[/{s}]`.
    pub async fn get_mode(
        &self,
        scope: &Scope,
        default_to_global: bool,
    ) -> Result<Mode, RegistryError> {
        let mut source = self.cached();
        if default_to_global
            || scope == &Scope::TopLevel
            || self.global_override(&mut source).await?
        {
            return self.effective_mode_in(&mut source, scope).await;
        }
        match source.mode(&scope.key()).await? {
            Some(mode) => Ok(mode),
            None => Err(RegistryError::SubjectModeNotFound(scope.display_name())),
        }
    }

    /// `PUT /mode[/{s}]`.
    pub async fn put_mode(
        &self,
        scope: &Scope,
        mode: Mode,
        force: bool,
    ) -> Result<(), RegistryError> {
        if mode == Mode::Forward && matches!(scope, Scope::Subject(_)) {
            return Err(RegistryError::InvalidMode);
        }
        let mut tx = self.store.begin().await?;
        let mut queries = tx.queries();
        if mode == Mode::Import {
            let in_scope = |context: &str, name: &str| match scope {
                Scope::TopLevel => true,
                Scope::Context(c) => c == context,
                Scope::Subject(s) => s.context == context && s.name == name,
            };
            let subjects = queries.subjects().await?;
            let live = subjects
                .iter()
                .any(|s| s.live_versions > 0 && in_scope(&s.context, &s.subject));
            if live && !force {
                return Err(RegistryError::OperationNotPermitted(
                    "Cannot import since found existing subjects".to_owned(),
                ));
            }
            if !force {
                // Leftover soft-deleted versions would collide with imported ones.
                for summary in subjects.iter().filter(|s| in_scope(&s.context, &s.subject)) {
                    for version in queries
                        .subject_versions(&summary.context, &summary.subject)
                        .await?
                    {
                        queries
                            .hard_delete_version(
                                &version.context,
                                &version.subject,
                                version.version,
                                version.schema_id,
                            )
                            .await?;
                    }
                }
            }
        }
        let previous = SettingsSource::mode(&mut queries, &scope.key()).await?;
        queries.put_mode(&scope.key(), mode.as_str()).await?;
        let details = json!({
            "scope": scope.key(),
            "old": previous.map(Mode::as_str),
            "new": mode.as_str(),
        });
        audit::record(&mut tx, details);
        self.caches.apply(&tx.commit().await?);
        Ok(())
    }

    /// `DELETE /mode[/{s}]`: returns the mode that was set.
    pub async fn delete_mode(&self, scope: &Scope) -> Result<Mode, RegistryError> {
        let mut tx = self.store.begin().await?;
        let mut queries = tx.queries();
        let previous = match SettingsSource::mode(&mut queries, &scope.key()).await? {
            _ if self.global_override(&mut queries).await? => Mode::ReadOnlyOverride,
            Some(mode) => mode,
            None if scope == &Scope::TopLevel => Mode::ReadWrite,
            None => return Err(RegistryError::SubjectNotFound(scope.display_name())),
        };
        queries.delete_mode(&scope.key()).await?;
        audit::record(
            &mut tx,
            json!({ "scope": scope.key(), "old": previous.as_str() }),
        );
        self.caches.apply(&tx.commit().await?);
        Ok(previous)
    }
}

pub(super) fn read_only(subject: &str) -> RegistryError {
    RegistryError::OperationNotPermitted(format!("Subject {subject} is in read-only mode"))
}
