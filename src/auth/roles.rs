//! Operations, roles and the resources they are granted on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::AuthError;

/// What a request does, in Confluent's terms (its RBAC operations, with
/// `Admin` for Accord's own principals, keys, roles and audit trail).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operation {
    SubjectRead,
    SubjectWrite,
    SubjectDelete,
    SubjectCompatibilityRead,
    SubjectCompatibilityWrite,
    SchemaRead,
    GlobalRead,
    GlobalWrite,
    Admin,
}

impl Operation {
    pub const ALL: [Operation; 9] = [
        Operation::SubjectRead,
        Operation::SubjectWrite,
        Operation::SubjectDelete,
        Operation::SubjectCompatibilityRead,
        Operation::SubjectCompatibilityWrite,
        Operation::SchemaRead,
        Operation::GlobalRead,
        Operation::GlobalWrite,
        Operation::Admin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::SubjectRead => "SUBJECT_READ",
            Operation::SubjectWrite => "SUBJECT_WRITE",
            Operation::SubjectDelete => "SUBJECT_DELETE",
            Operation::SubjectCompatibilityRead => "SUBJECT_COMPATIBILITY_READ",
            Operation::SubjectCompatibilityWrite => "SUBJECT_COMPATIBILITY_WRITE",
            Operation::SchemaRead => "SCHEMA_READ",
            Operation::GlobalRead => "GLOBAL_READ",
            Operation::GlobalWrite => "GLOBAL_WRITE",
            Operation::Admin => "ADMIN",
        }
    }

    /// The verb of Confluent's denial message ("User is denied operation
    /// Read on Subject: x").
    pub fn verb(self) -> &'static str {
        match self {
            Operation::SubjectRead | Operation::SchemaRead | Operation::GlobalRead => "Read",
            Operation::SubjectWrite => "Write",
            Operation::SubjectDelete => "Delete",
            Operation::SubjectCompatibilityRead => "ReadCompatibility",
            Operation::SubjectCompatibilityWrite => "AlterCompatibility",
            Operation::GlobalWrite => "Alter",
            Operation::Admin => "Admin",
        }
    }

    /// Which kind of resource the operation acts on.
    fn kind(self) -> ResourceKind {
        match self {
            Operation::SubjectRead
            | Operation::SubjectWrite
            | Operation::SubjectDelete
            | Operation::SubjectCompatibilityRead
            | Operation::SubjectCompatibilityWrite
            | Operation::SchemaRead => ResourceKind::Subject,
            Operation::GlobalRead | Operation::GlobalWrite => ResourceKind::Global,
            Operation::Admin => ResourceKind::Admin,
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl FromStr for Operation {
    type Err = AuthError;

    fn from_str(raw: &str) -> Result<Operation, AuthError> {
        Operation::ALL
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
                AuthError::Invalid(format!(
                    "unknown operation {raw:?}; operations are {}",
                    names.join(", ")
                ))
            })
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResourceKind {
    Subject,
    Global,
    Admin,
}

/// A set of operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Operations(u16);

impl Operations {
    pub fn of(operations: &[Operation]) -> Operations {
        Operations(operations.iter().fold(0, |bits, op| bits | op.bit()))
    }

    pub fn contains(self, operation: Operation) -> bool {
        self.0 & operation.bit() != 0
    }

    pub fn list(self) -> Vec<Operation> {
        Operation::ALL
            .into_iter()
            .filter(|op| self.contains(*op))
            .collect()
    }
}

/// The built-in roles, from least to most.
pub const BUILT_IN_ROLES: [&str; 4] = ["reader", "writer", "owner", "admin"];

/// The operations of a built-in role (`None`: not a built-in one).
pub fn built_in_role(name: &str) -> Option<Operations> {
    use Operation::*;
    const READER: &[Operation] = &[
        SubjectRead,
        SubjectCompatibilityRead,
        SchemaRead,
        GlobalRead,
    ];
    Some(match name {
        "reader" => Operations::of(READER),
        "writer" => Operations::of(&[READER, &[SubjectWrite]].concat()),
        "owner" => Operations::of(
            &[
                READER,
                &[
                    SubjectWrite,
                    SubjectDelete,
                    SubjectCompatibilityWrite,
                    GlobalWrite,
                ],
            ]
            .concat(),
        ),
        "admin" => Operations::of(&Operation::ALL),
        _ => return None,
    })
}

/// The resources a role is bound on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourcePattern {
    /// `*`: every subject, the global config and mode, and administration.
    Everything,
    /// `subject:<glob>`: subjects whose qualified name (`:.ctx:name` outside
    /// the default context) the glob matches; `*` and `?` are wildcards.
    Subjects(String),
    /// `global`: config and mode at the top and context level.
    Global,
    /// `admin`: principals, keys, roles and the audit trail.
    Admin,
}

impl ResourcePattern {
    /// Whether the pattern names every subject there is.
    pub fn covers_all_subjects(&self) -> bool {
        match self {
            ResourcePattern::Everything => true,
            ResourcePattern::Subjects(glob) => glob == "*",
            _ => false,
        }
    }

    fn covers(&self, kind: ResourceKind, subject: Option<&str>) -> bool {
        match (self, kind) {
            (ResourcePattern::Everything, _) => true,
            (ResourcePattern::Subjects(glob), ResourceKind::Subject) => {
                subject.is_some_and(|subject| glob_matches(glob, subject))
            }
            (ResourcePattern::Global, ResourceKind::Global) => true,
            (ResourcePattern::Admin, ResourceKind::Admin) => true,
            _ => false,
        }
    }
}

impl FromStr for ResourcePattern {
    type Err = AuthError;

    fn from_str(raw: &str) -> Result<ResourcePattern, AuthError> {
        match raw.trim() {
            "*" => Ok(ResourcePattern::Everything),
            "global" => Ok(ResourcePattern::Global),
            "admin" => Ok(ResourcePattern::Admin),
            other => match other.strip_prefix("subject:") {
                Some(glob) if !glob.is_empty() => Ok(ResourcePattern::Subjects(glob.to_owned())),
                _ => Err(AuthError::Invalid(format!(
                    "unknown resource {raw:?}; resources are `*`, `global`, `admin` and `subject:<glob>`"
                ))),
            },
        }
    }
}

impl fmt::Display for ResourcePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourcePattern::Everything => f.write_str("*"),
            ResourcePattern::Subjects(glob) => write!(f, "subject:{glob}"),
            ResourcePattern::Global => f.write_str("global"),
            ResourcePattern::Admin => f.write_str("admin"),
        }
    }
}

/// `*` matches any run of characters, `?` any one; nothing else is special.
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let glob: Vec<char> = glob.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Iterative matching with one backtrack point: linear in practice.
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some('*') => {
                star = Some((g, t));
                g += 1;
            }
            Some(c) if *c == '?' || *c == text[t] => {
                g += 1;
                t += 1;
            }
            _ => match star {
                Some((star_g, star_t)) => {
                    g = star_g + 1;
                    t = star_t + 1;
                    star = Some((star_g, star_t + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|c| *c == '*')
}

/// What one principal may do: its roles' operations, each on the resources
/// of its binding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    grants: Vec<(Operations, ResourcePattern)>,
}

impl Grants {
    pub fn new(grants: Vec<(Operations, ResourcePattern)>) -> Grants {
        Grants { grants }
    }

    /// Everything, everywhere (a registry without authentication).
    pub fn everything() -> Grants {
        Grants::new(vec![(
            Operations::of(&Operation::ALL),
            ResourcePattern::Everything,
        )])
    }

    /// Whether `operation` is allowed on `subject` (a qualified name; `None`
    /// for the global and admin operations).
    pub fn allows(&self, operation: Operation, subject: Option<&str>) -> bool {
        let kind = operation.kind();
        self.grants
            .iter()
            .any(|(ops, pattern)| ops.contains(operation) && pattern.covers(kind, subject))
    }

    /// Whether `operation` is allowed on every subject, so that lists need
    /// no filtering and schemas by id no lookup.
    pub fn allows_on_all_subjects(&self, operation: Operation) -> bool {
        self.grants
            .iter()
            .any(|(ops, pattern)| ops.contains(operation) && pattern.covers_all_subjects())
    }

    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names() {
        assert!(glob_matches("orders-*", "orders-value"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("orders-*", "payments-value"));
        assert!(!glob_matches("orders", "orders-value"));
        assert!(glob_matches(":.staging:*", ":.staging:orders"));
        assert!(!glob_matches("*-value", "orders-key"));
        assert!(glob_matches("*a*b*", "xxaxxbxx"));
    }

    #[test]
    fn a_writer_on_a_prefix_writes_there_only() {
        let writer = built_in_role("writer").unwrap();
        let grants = Grants::new(vec![(
            writer,
            "subject:orders-*".parse::<ResourcePattern>().unwrap(),
        )]);
        assert!(grants.allows(Operation::SubjectWrite, Some("orders-value")));
        assert!(!grants.allows(Operation::SubjectWrite, Some("payments-value")));
        assert!(!grants.allows(Operation::SubjectDelete, Some("orders-value")));
        assert!(!grants.allows(Operation::GlobalRead, None));
        assert!(!grants.allows_on_all_subjects(Operation::SubjectRead));
    }

    #[test]
    fn roles_grow_from_reader_to_admin() {
        let ops = |role| built_in_role(role).unwrap();
        for op in ops("reader").list() {
            assert!(ops("writer").contains(op) && ops("owner").contains(op));
        }
        assert!(!ops("owner").contains(Operation::Admin));
        assert_eq!(ops("admin").list(), Operation::ALL.to_vec());
        assert!("subject:".parse::<ResourcePattern>().is_err());
        assert_eq!(
            "sUbJeCt_ReAd".parse::<Operation>().unwrap(),
            Operation::SubjectRead
        );
    }
}
