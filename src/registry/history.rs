//! A subject's versions, and the rules for reading them: which are live,
//! which one `latest` is, which a `deleted` flag lets through.

use super::subject::{Subject, VersionSpec};
use super::RegistryError;
use crate::domain::{SchemaId, Version};
use crate::store::VersionRecord;

/// One version of a subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionEntry {
    pub version: Version,
    pub schema_id: SchemaId,
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
    pub fn max_version(&self) -> Option<Version> {
        self.versions.last().map(|entry| entry.version)
    }

    /// The number the next registration gets (`None`: the subject has used
    /// every version there is).
    pub fn next_version(&self) -> Option<Version> {
        Version::after(self.max_version())
    }

    pub fn find(&self, version: Version) -> Option<VersionEntry> {
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
    RegistryError::VersionNotFound(spec.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(versions: &[(i64, i64, bool)]) -> SubjectHistory {
        SubjectHistory {
            versions: versions
                .iter()
                .map(|&(version, schema_id, deleted)| entry(version, schema_id, deleted))
                .collect(),
        }
    }

    fn entry(version: i64, schema_id: i64, deleted: bool) -> VersionEntry {
        VersionEntry {
            version: Version::new(version).unwrap(),
            schema_id: SchemaId::new(schema_id).unwrap(),
            deleted,
        }
    }

    fn number(version: i64) -> VersionSpec {
        VersionSpec::Number(Version::new(version).unwrap())
    }

    #[test]
    fn latest_is_the_highest_live_version() {
        let subject = Subject::parse("s");
        let h = history(&[(1, 10, false), (2, 11, false), (3, 12, true)]);
        assert_eq!(h.latest_live().unwrap().version.get(), 2);
        assert_eq!(h.next_version().map(Version::get), Some(4));
        assert_eq!(
            h.pick(&subject, VersionSpec::Latest, true)
                .unwrap()
                .version
                .get(),
            2
        );
        assert!(matches!(
            h.pick(&subject, number(3), false),
            Err(RegistryError::VersionNotFound(v)) if v == "3"
        ));
        assert_eq!(
            h.pick(&subject, number(3), true).unwrap().schema_id.get(),
            12
        );
    }

    #[test]
    fn a_subject_with_only_deleted_versions_is_not_found_without_the_flag() {
        let subject = Subject::parse("s");
        let h = history(&[(1, 10, true)]);
        assert!(matches!(
            h.pick(&subject, number(1), false),
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
        let added = h.with(entry(2, 11, false));
        assert_eq!(
            added
                .all()
                .iter()
                .map(|e| e.version.get())
                .collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let replaced = added.with(entry(3, 13, false));
        let third = Version::new(3).unwrap();
        assert_eq!(replaced.find(third).unwrap().schema_id.get(), 13);
        assert_eq!(replaced.len(), 3);
    }
}
