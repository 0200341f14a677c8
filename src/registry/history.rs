//! A subject's versions, and the rules for reading them: which are live,
//! which one `latest` is, which a `deleted` flag lets through.

use super::subject::{Subject, VersionSpec};
use super::RegistryError;
use crate::store::VersionRecord;

/// One version of a subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionEntry {
    pub version: i64,
    pub schema_id: i64,
    pub deleted: bool,
}

/// Every version of one subject, soft-deleted ones included, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubjectHistory {
    versions: Vec<VersionEntry>,
}

impl SubjectHistory {
    pub fn from_records(records: &[VersionRecord]) -> SubjectHistory {
        let mut versions: Vec<VersionEntry> = records
            .iter()
            .map(|record| VersionEntry {
                version: record.version,
                schema_id: record.schema_id,
                deleted: record.deleted,
            })
            .collect();
        versions.sort_by_key(|entry| entry.version);
        SubjectHistory { versions }
    }

    pub fn all(&self) -> &[VersionEntry] {
        &self.versions
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    pub fn len(&self) -> usize {
        self.versions.len()
    }

    /// Live versions, oldest first.
    pub fn live(&self) -> impl DoubleEndedIterator<Item = &VersionEntry> {
        self.versions.iter().filter(|entry| !entry.deleted)
    }

    pub fn latest_live(&self) -> Option<VersionEntry> {
        self.live().next_back().copied()
    }

    /// The highest version number handed out, deleted versions included.
    pub fn max_version(&self) -> Option<i64> {
        self.versions.last().map(|entry| entry.version)
    }

    /// The number the next registration gets.
    pub fn next_version(&self) -> i64 {
        self.max_version().map_or(1, |version| version + 1)
    }

    pub fn find(&self, version: i64) -> Option<VersionEntry> {
        self.versions
            .binary_search_by_key(&version, |entry| entry.version)
            .ok()
            .map(|index| self.versions[index])
    }

    /// Whether any version shows, given the `deleted` flag.
    pub fn any_visible(&self, deleted: bool) -> bool {
        deleted || self.live().next().is_some()
    }

    /// The versions a `deleted` / `deletedOnly` filter asks for.
    pub fn filtered(&self, deleted: bool, deleted_only: bool) -> Vec<VersionEntry> {
        self.versions
            .iter()
            .filter(|entry| {
                if deleted_only {
                    entry.deleted
                } else {
                    deleted || !entry.deleted
                }
            })
            .copied()
            .collect()
    }

    /// Finds one version. `latest` is the highest live version whatever
    /// `deleted` says; a number may name a soft-deleted version if `deleted`.
    pub fn pick(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        deleted: bool,
    ) -> Result<VersionEntry, RegistryError> {
        if self.is_empty() || !self.any_visible(deleted) {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        let found = match spec {
            VersionSpec::Latest => self.latest_live(),
            VersionSpec::Number(n) => self.find(n).filter(|entry| deleted || !entry.deleted),
        };
        found.ok_or_else(|| version_not_found(spec))
    }

    /// Like `pick`, for writes: any version by number, the latest live one
    /// for `latest`, no matter whether the subject has live versions.
    pub fn pick_for_delete(&self, spec: VersionSpec) -> Result<VersionEntry, RegistryError> {
        match spec {
            VersionSpec::Latest => self.latest_live(),
            VersionSpec::Number(n) => self.find(n),
        }
        .ok_or_else(|| version_not_found(spec))
    }

    /// The history with one more version, as a registration leaves it.
    pub fn with(&self, added: VersionEntry) -> SubjectHistory {
        let mut versions = self.versions.clone();
        versions.retain(|entry| entry.version != added.version);
        versions.push(added);
        versions.sort_by_key(|entry| entry.version);
        SubjectHistory { versions }
    }

    /// An estimate of the memory the history holds, for the cache's budget.
    pub fn weight(&self) -> usize {
        64 + self.versions.len() * std::mem::size_of::<VersionEntry>()
    }
}

fn version_not_found(spec: VersionSpec) -> RegistryError {
    RegistryError::VersionNotFound(match spec {
        // Confluent resolves `latest` to -1 before it reports.
        VersionSpec::Latest => "-1".to_owned(),
        VersionSpec::Number(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(versions: &[(i64, i64, bool)]) -> SubjectHistory {
        SubjectHistory {
            versions: versions
                .iter()
                .map(|&(version, schema_id, deleted)| VersionEntry {
                    version,
                    schema_id,
                    deleted,
                })
                .collect(),
        }
    }

    #[test]
    fn latest_is_the_highest_live_version() {
        let subject = Subject::parse("s");
        let h = history(&[(1, 10, false), (2, 11, false), (3, 12, true)]);
        assert_eq!(h.latest_live().unwrap().version, 2);
        assert_eq!(h.next_version(), 4);
        assert_eq!(
            h.pick(&subject, VersionSpec::Latest, true).unwrap().version,
            2
        );
        assert!(matches!(
            h.pick(&subject, VersionSpec::Number(3), false),
            Err(RegistryError::VersionNotFound(v)) if v == "3"
        ));
        assert_eq!(
            h.pick(&subject, VersionSpec::Number(3), true)
                .unwrap()
                .schema_id,
            12
        );
    }

    #[test]
    fn a_subject_with_only_deleted_versions_is_not_found_without_the_flag() {
        let subject = Subject::parse("s");
        let h = history(&[(1, 10, true)]);
        assert!(matches!(
            h.pick(&subject, VersionSpec::Number(1), false),
            Err(RegistryError::SubjectNotFound(_))
        ));
        assert!(matches!(
            h.pick(&subject, VersionSpec::Latest, true),
            Err(RegistryError::VersionNotFound(v)) if v == "-1"
        ));
        assert_eq!(h.filtered(false, true).len(), 1);
        assert!(h.filtered(false, false).is_empty());
    }

    #[test]
    fn adding_a_version_keeps_the_order_and_replaces_an_import_target() {
        let h = history(&[(1, 10, false), (3, 12, true)]);
        let added = h.with(VersionEntry {
            version: 2,
            schema_id: 11,
            deleted: false,
        });
        assert_eq!(
            added.all().iter().map(|e| e.version).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let replaced = added.with(VersionEntry {
            version: 3,
            schema_id: 13,
            deleted: false,
        });
        assert_eq!(replaced.find(3).unwrap().schema_id, 13);
        assert_eq!(replaced.len(), 3);
    }
}
