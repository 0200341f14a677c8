//! The registry's values that every layer speaks: schema ids, versions,
//! references and list pages. The store reads and writes them, the registry
//! reasons with them and the API renders them; none of them is a bare
//! integer with a sentinel.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A schema's id within its context. Confluent's ids are positive 32-bit
/// integers (`0` and negative ids are never stored), and clients frame
/// messages with them, so the type holds nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct SchemaId(i32);

impl SchemaId {
    /// The id a context's first schema gets.
    pub const FIRST: SchemaId = SchemaId(1);

    /// `Some` for an id that can exist (1 to 2^31-1).
    pub fn new(id: i64) -> Option<SchemaId> {
        i32::try_from(id).ok().filter(|id| *id >= 1).map(SchemaId)
    }

    /// The id as stored and sent.
    pub fn get(self) -> i64 {
        i64::from(self.0)
    }

    /// The id after this one, unless this is the last one there is.
    pub fn next(self) -> Option<SchemaId> {
        self.0.checked_add(1).map(SchemaId)
    }

    /// The id after the highest one used so far (`None`: none used yet).
    pub fn after(highest: Option<SchemaId>) -> Option<SchemaId> {
        match highest {
            Some(id) => id.next(),
            None => Some(SchemaId::FIRST),
        }
    }
}

impl TryFrom<i64> for SchemaId {
    type Error = String;

    fn try_from(id: i64) -> Result<SchemaId, String> {
        SchemaId::new(id).ok_or_else(|| format!("{id} is not a schema id"))
    }
}

impl From<SchemaId> for i64 {
    fn from(id: SchemaId) -> i64 {
        id.get()
    }
}

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A version of a subject: 1 to 2^31-1, gap-free from 1 within a subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Version(i32);

impl Version {
    pub const FIRST: Version = Version(1);

    pub fn new(version: i64) -> Option<Version> {
        i32::try_from(version)
            .ok()
            .filter(|version| *version >= 1)
            .map(Version)
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }

    /// The version after the highest one so far (`None`: the subject has
    /// none), unless the subject has used every version there is.
    pub fn after(highest: Option<Version>) -> Option<Version> {
        match highest {
            Some(Version(last)) => last.checked_add(1).map(Version),
            None => Some(Version::FIRST),
        }
    }
}

impl TryFrom<i64> for Version {
    type Error = String;

    fn try_from(version: i64) -> Result<Version, String> {
        Version::new(version).ok_or_else(|| format!("{version} is not a version"))
    }
}

impl From<Version> for i64 {
    fn from(version: Version) -> i64 {
        version.get()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A stored reference from one schema to a version of another subject.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    pub name: String,
    pub subject: String,
    pub version: Version,
}

/// Which part of a list to return: skip `offset` items, then at most
/// `limit` (`None`: all the rest).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: Option<usize>,
}

impl Page {
    pub const ALL: Page = Page {
        offset: 0,
        limit: None,
    };

    /// Confluent's `offset` and `limit` parameters: a limit of zero or less
    /// means no limit, as does an absent one.
    pub fn from_params(offset: i64, limit: i64) -> Page {
        Page {
            offset: usize::try_from(offset).unwrap_or(0),
            limit: usize::try_from(limit).ok().filter(|limit| *limit > 0),
        }
    }

    /// At most `cap` items, whatever the caller asked for.
    pub fn capped(self, cap: usize) -> Page {
        Page {
            limit: Some(self.limit.map_or(cap, |limit| limit.min(cap))),
            ..self
        }
    }

    /// This page of `items`.
    pub fn of<T>(self, items: Vec<T>) -> Vec<T> {
        let limit = self.limit.unwrap_or(usize::MAX);
        items.into_iter().skip(self.offset).take(limit).collect()
    }

    /// The page as SQL `OFFSET` and `LIMIT` values.
    pub fn sql(self) -> (i64, i64) {
        let clamp = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        (clamp(self.offset), self.limit.map_or(i64::MAX, clamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_versions_hold_only_what_can_exist() {
        assert_eq!(SchemaId::new(0), None);
        assert_eq!(SchemaId::new(-1), None);
        assert_eq!(SchemaId::new(i64::from(i32::MAX) + 1), None);
        assert_eq!(SchemaId::new(7).map(SchemaId::get), Some(7));
        assert_eq!(Version::new(0), None);
        assert_eq!(SchemaId::after(None), Some(SchemaId::FIRST));
        assert_eq!(SchemaId::new(i64::from(i32::MAX)).unwrap().next(), None);
        assert_eq!(Version::after(Version::new(i64::from(i32::MAX))), None);
        assert_eq!(Version::after(Version::new(4)), Version::new(5));
    }

    #[test]
    fn serde_keeps_the_wire_number_and_refuses_impossible_ones() {
        let version: Version = serde_json::from_str("3").unwrap();
        assert_eq!(serde_json::to_string(&version).unwrap(), "3");
        assert!(serde_json::from_str::<SchemaId>("0").is_err());
    }

    #[test]
    fn pages_follow_confluents_parameters() {
        let items: Vec<u32> = (0..10).collect();
        assert_eq!(Page::from_params(0, -1).of(items.clone()).len(), 10);
        assert_eq!(Page::from_params(8, 5).of(items.clone()), vec![8, 9]);
        assert_eq!(
            Page::from_params(-3, 0).capped(4).of(items),
            vec![0, 1, 2, 3]
        );
        assert_eq!(Page::ALL.sql(), (0, i64::MAX));
    }
}
