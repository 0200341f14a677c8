//! Which versions a level compares against, and the verdict in Confluent's words.

use std::sync::Arc;

use accord_schema::{CheckOptions, CompatibilityLevel, Direction, Incompatibility, ParsedSchema};
use serde_json::Value;

use super::cache::{Caches, VerdictKey};
use super::config::EffectiveConfig;
use super::history::{SubjectHistory, VersionEntry};
use super::register::{Candidate, RegisterRequest};
use super::source::Source;
use super::subject::{Subject, VersionSpec};
use super::{Registry, RegistryError};
use crate::domain::Version;
use crate::store::SchemaRecord;

/// Above this many versions to compare, a check runs on the blocking pool
/// rather than on a request thread.
const BLOCKING_CHECK_VERSIONS: usize = 8;
/// Likewise above this many bytes of schema text.
pub(super) const BLOCKING_SCHEMA_BYTES: usize = 64 * 1024;

/// The outcome of a compatibility check.
#[derive(Clone, Debug)]
pub struct CompatibilityReport {
    pub is_compatible: bool,
    /// Confluent-style messages: per difference, then the old version, the
    /// old schema and the level; empty when compatible.
    pub messages: Vec<String>,
    /// The same differences, structured, each with the version it was found
    /// against.
    pub findings: Vec<Finding>,
}

/// One incompatibility with the version of the subject it breaks against.
#[derive(Clone, Debug)]
pub struct Finding {
    pub version: Version,
    pub incompatibility: Incompatibility,
}

impl CompatibilityReport {
    fn compatible() -> Self {
        CompatibilityReport {
            is_compatible: true,
            messages: Vec::new(),
            findings: Vec::new(),
        }
    }
}

/// Confluent truncates the old schema in messages to 10 KiB.
const OLD_SCHEMA_MESSAGE_LIMIT: usize = 10 * 1024;

fn metadata_property<'a>(metadata: &'a Option<Value>, key: &str) -> Option<&'a Value> {
    metadata.as_ref()?.get("properties")?.get(key)
}

impl Registry {
    /// Checks a candidate against the subject's history under `config`'s
    /// level (live versions only); `only` narrows the check to one version
    /// (the `/versions/{v}` endpoint).
    pub(super) async fn check_history(
        &self,
        source: &mut impl Source,
        subject: &Subject,
        candidate: &Candidate,
        config: &EffectiveConfig,
        history: &SubjectHistory,
        only: Option<VersionEntry>,
    ) -> Result<CompatibilityReport, RegistryError> {
        let level = config.level;
        if level == CompatibilityLevel::None {
            return Ok(CompatibilityReport::compatible());
        }
        let compared: Vec<VersionEntry> = match only {
            Some(version) => vec![version],
            None => history.live().rev().copied().collect(),
        };
        // Newest first; a plain level reads only the latest version (of the
        // candidate's compatibility group), so its cost does not grow with
        // the history.
        let mut against = Vec::new();
        for version in compared {
            let schema =
                super::read::stored_schema(source, &subject.context, version.schema_id).await?;
            // compatibilityGroup splits the history by a metadata property.
            if let Some(group) = &config.compatibility_group {
                if metadata_property(&schema.metadata, group)
                    != metadata_property(&candidate.metadata, group)
                {
                    continue;
                }
            }
            let parsed = if schema.schema_type == candidate.schema_type {
                Some(self.parse_stored(source, subject, &schema).await?)
            } else {
                None
            };
            against.push(Compared {
                version: version.version,
                schema,
                parsed,
            });
            if only.is_none() && !level.is_transitive() {
                break;
            }
        }
        let heavy =
            against.len() > BLOCKING_CHECK_VERSIONS || candidate.text.len() > BLOCKING_SCHEMA_BYTES;
        let check = Check {
            caches: self.caches.clone(),
            candidate_hash: candidate.content_hash().to_owned(),
            candidate: candidate.parsed.clone(),
            candidate_type: candidate.schema_type,
            level,
            validate_fields: config.validate_fields,
            options: CheckOptions {
                policy: config.policy,
            },
            against,
        };
        if heavy {
            tokio::task::spawn_blocking(move || check.run())
                .await
                .map_err(|error| RegistryError::Internal(format!("compatibility check: {error}")))
        } else {
            Ok(check.run())
        }
    }

    /// `POST /compatibility/subjects/{s}/versions[/{v}]`. Without a version,
    /// checks against the history the configured level selects.
    pub async fn test_compatibility(
        &self,
        subject: &Subject,
        version: Option<VersionSpec>,
        request: RegisterRequest,
        normalize: bool,
        verbose: bool,
    ) -> Result<CompatibilityReport, RegistryError> {
        let report = self
            .check_compatibility(subject, version, request, normalize, verbose)
            .await;
        if let Ok(report) = &report {
            self.metrics.compatibility_check(report.is_compatible);
        }
        report
    }

    async fn check_compatibility(
        &self,
        subject: &Subject,
        version: Option<VersionSpec>,
        request: RegisterRequest,
        normalize: bool,
        verbose: bool,
    ) -> Result<CompatibilityReport, RegistryError> {
        let mut source = self.cached();
        let (subject, history) = self
            .versions_resolving_context(&mut source, subject, false)
            .await?;
        let only = match version {
            None => None,
            // With no live version, `None` compares against the live
            // history, which is empty: compatible, once the schema parses
            // (as in Confluent).
            Some(VersionSpec::Latest) => history.latest_live(),
            Some(VersionSpec::Number(n)) => Some(
                history
                    .find(n)
                    .filter(|v| !v.deleted)
                    .ok_or_else(|| RegistryError::VersionNotFound(n.to_string()))?,
            ),
        };
        let settings = self.subject_settings(&mut source, &subject).await?;
        let (mode, config) = settings.as_ref();
        let normalize = mode.normalizes(normalize, config);
        // The schema is checked as given: without metadata it belongs to the
        // compatibility group of versions without one (as in Confluent).
        let candidate = match self
            .prepare(&mut source, &subject, &request, normalize)
            .await
        {
            Ok(candidate) => candidate,
            Err(RegistryError::InvalidSchema(message)) if verbose => {
                return Ok(CompatibilityReport {
                    is_compatible: false,
                    messages: vec![message],
                    findings: Vec::new(),
                })
            }
            Err(error) => return Err(error),
        };
        self.check_history(&mut source, &subject, &candidate, config, &history, only)
            .await
    }
}

/// A stored version a candidate is checked against.
struct Compared {
    version: Version,
    schema: Arc<SchemaRecord>,
    /// `None` when its format differs from the candidate's.
    parsed: Option<Arc<ParsedSchema>>,
}

/// A check with everything it needs, so that it can move to the blocking
/// pool.
struct Check {
    /// Verdicts between two schemas are remembered: clients repeat checks,
    /// and a transitive level checks the same pairs again and again.
    caches: Arc<Caches>,
    candidate_hash: String,
    candidate: Arc<ParsedSchema>,
    candidate_type: accord_schema::SchemaType,
    level: CompatibilityLevel,
    validate_fields: bool,
    options: CheckOptions,
    /// Newest first.
    against: Vec<Compared>,
}

impl Check {
    fn run(self) -> CompatibilityReport {
        let level = self.level;
        let mut messages = Vec::new();
        let mut findings = Vec::new();
        for compared in &self.against {
            let found = |incompatibility| Finding {
                version: compared.version,
                incompatibility,
            };
            let Some(old) = &compared.parsed else {
                let old_type = compared.schema.schema_type;
                let mismatch = Incompatibility::different_schema_type(
                    self.candidate_type,
                    old_type,
                    level.directions()[0],
                );
                messages.push(mismatch.confluent_message());
                findings.push(found(mismatch));
                break;
            };
            let check = |direction| {
                let key = VerdictKey {
                    new: self.candidate_hash.clone(),
                    old: compared.schema.content_hash.clone(),
                    direction,
                    policy: self.options.policy,
                };
                if let Some(found) = self.caches.verdicts.get(&key) {
                    return found.as_ref().clone();
                }
                let found =
                    ParsedSchema::incompatibilities(&self.candidate, old, direction, &self.options);
                self.caches
                    .insert_immutable(&self.caches.verdicts, key, Arc::new(found.clone()));
                found
            };
            let (forward, backward) = match level.directions() {
                [Direction::Backward] => (Vec::new(), check(Direction::Backward)),
                [Direction::Forward] => (check(Direction::Forward), Vec::new()),
                _ => (check(Direction::Forward), check(Direction::Backward)),
            };
            // Confluent reports a FULL check's forward problems first, and
            // adds the old version and schema only after backward ones (or
            // after forward ones when forward is all that is checked).
            let trailer = !backward.is_empty()
                || (level.directions() == [Direction::Forward] && !forward.is_empty());
            let failed = !forward.is_empty() || !backward.is_empty();
            for incompatibility in forward.into_iter().chain(backward) {
                messages.push(incompatibility.confluent_message());
                findings.push(found(incompatibility));
            }
            if failed && !trailer {
                break;
            }
            if failed {
                messages.push(format!("{{oldSchemaVersion: {}}}", compared.version));
                let mut old_text = compared.schema.schema.clone();
                if old_text.len() > OLD_SCHEMA_MESSAGE_LIMIT {
                    let mut cut = OLD_SCHEMA_MESSAGE_LIMIT;
                    while !old_text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    old_text.truncate(cut);
                    old_text.push_str("<truncated>");
                }
                messages.push(format!("{{oldSchema: '{old_text}'}}"));
                break;
            }
        }
        if messages.is_empty() {
            return CompatibilityReport::compatible();
        }
        messages.push(format!(
            "{{validateFields: '{}', compatibility: '{}'}}",
            self.validate_fields, level
        ));
        CompatibilityReport {
            is_compatible: false,
            messages,
            findings,
        }
    }
}
