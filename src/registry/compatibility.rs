//! Which versions a level compares against, and the verdict in Confluent's words.

use std::collections::HashMap;

use accord_schema::{CheckOptions, CompatibilityLevel, Direction, Incompatibility, ParsedSchema};
use serde_json::Value;

use super::register::{Candidate, RegisterRequest};
use super::settings::{EffectiveConfig, Mode, Scope};
use super::subject::{Subject, VersionSpec};
use super::{Registry, RegistryError};
use crate::store::{Queries, SchemaRecord, VersionRecord};

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
    pub version: i64,
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
    /// level. `history` holds the live versions, oldest first; `only` narrows
    /// the check to one version (the `/versions/{v}` endpoint).
    pub(super) async fn check_history(
        &self,
        queries: &mut Queries<'_>,
        subject: &Subject,
        candidate: &Candidate,
        config: &EffectiveConfig,
        history: &[VersionRecord],
        only: Option<&VersionRecord>,
    ) -> Result<CompatibilityReport, RegistryError> {
        let level = config.level;
        if level == CompatibilityLevel::None {
            return Ok(CompatibilityReport::compatible());
        }
        let mut compared: Vec<&VersionRecord> = match only {
            Some(version) => vec![version],
            None => history.iter().filter(|v| !v.deleted).collect(),
        };
        // A transitive level (or a compatibility group, which may skip
        // versions) reads many versions: fetch their schemas in one query. A
        // plain level reads only the latest, so the register path stays one
        // row however long the history.
        let reads_many = level.is_transitive() || config.compatibility_group.is_some();
        let mut stored: HashMap<i64, SchemaRecord> = HashMap::new();
        if reads_many && compared.len() > 1 {
            for schema in queries
                .schemas_of_subject(&compared[0].context, &compared[0].subject)
                .await?
            {
                stored.insert(schema.id, schema);
            }
        }
        let mut schemas = Vec::with_capacity(compared.len());
        for version in compared.drain(..).rev() {
            let schema = match stored.remove(&version.schema_id) {
                Some(schema) => schema,
                None => queries
                    .schema_by_id(&version.context, version.schema_id)
                    .await?
                    .ok_or_else(|| {
                        RegistryError::Internal(format!("version {version:?} has no schema"))
                    })?,
            };
            // compatibilityGroup splits the history by a metadata property.
            if let Some(group) = &config.compatibility_group {
                if metadata_property(&schema.metadata, group)
                    != metadata_property(&candidate.metadata, group)
                {
                    continue;
                }
            }
            schemas.push((version.clone(), schema));
            if only.is_none() && !level.is_transitive() {
                break;
            }
        }
        let mut messages = Vec::new();
        let mut findings = Vec::new();
        let options = CheckOptions {
            policy: config.policy,
        };
        for (version, schema) in schemas {
            let found = |incompatibility| Finding {
                version: version.version,
                incompatibility,
            };
            if schema.schema_type != candidate.schema_type.as_str() {
                let old_type = accord_schema::SchemaType::from_wire(&schema.schema_type)
                    .unwrap_or(candidate.schema_type);
                let mismatch = Incompatibility::different_schema_type(
                    candidate.schema_type,
                    old_type,
                    level.directions()[0],
                );
                messages.push(mismatch.confluent_message());
                findings.push(found(mismatch));
                break;
            }
            let old = self.parse_stored(queries, subject, &schema).await?;
            let check = |direction| {
                ParsedSchema::incompatibilities(&candidate.parsed, &old, direction, &options)
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
                messages.push(format!("{{oldSchemaVersion: {}}}", version.version));
                let mut old_text = schema.schema.clone();
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
            return Ok(CompatibilityReport::compatible());
        }
        messages.push(format!(
            "{{validateFields: '{}', compatibility: '{}'}}",
            config.validate_fields, level
        ));
        Ok(CompatibilityReport {
            is_compatible: false,
            messages,
            findings,
        })
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
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let (subject, versions) = self
            .versions_resolving_context(&mut queries, subject, false)
            .await?;
        let live: Vec<VersionRecord> = versions.into_iter().filter(|v| !v.deleted).collect();
        let only = match version {
            None => None,
            Some(VersionSpec::Latest) => match live.last() {
                Some(latest) => Some(latest.clone()),
                None => return Ok(CompatibilityReport::compatible()),
            },
            Some(VersionSpec::Number(n)) => Some(
                live.iter()
                    .find(|v| v.version == n)
                    .cloned()
                    .ok_or_else(|| RegistryError::VersionNotFound(n.to_string()))?,
            ),
        };
        let config = self.config_for(&mut queries, &subject).await?;
        let mode = self
            .effective_mode_in(&mut queries, &Scope::Subject(subject.clone()))
            .await?;
        let normalize = mode != Mode::Import && (normalize || config.normalize);
        // The schema is checked as given: without metadata it belongs to the
        // compatibility group of versions without one (as in Confluent).
        let candidate = match self
            .prepare(&mut queries, &subject, &request, normalize)
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
        self.check_history(
            &mut queries,
            &subject,
            &candidate,
            &config,
            &live,
            only.as_ref(),
        )
        .await
    }
}
