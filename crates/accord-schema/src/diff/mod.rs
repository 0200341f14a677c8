//! What changed between two versions of a schema, and whom each change breaks.
//!
//! Each format walks both schemas side by side and lists its changes in
//! document order (`avro`, `protobuf`, `json_schema`). Whom a change breaks
//! is not guessed by the walk: the compatibility engine runs in both
//! directions and each incompatibility it reports is attributed to the
//! change at its place. The walk only says, for each change, where the engine
//! would report it if it broke something (its anchors), so a diff never
//! disagrees with a compatibility check: an incompatibility no anchor claims
//! is attributed to the change at the nearest place above or below it, and
//! failing that becomes a change of its own.

mod avro;
mod json_schema;
mod protobuf;

use std::fmt;

use crate::{CheckOptions, Direction, Incompatibility, ParsedSchema};

/// Whether a change adds, removes or alters something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    /// `+`, `-` or `~`.
    pub fn sign(self) -> char {
        match self {
            ChangeKind::Added => '+',
            ChangeKind::Removed => '-',
            ChangeKind::Changed => '~',
        }
    }
}

/// One semantic change from an old schema to a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// Where, in the notation of the format's compatibility paths: a JSON
    /// pointer into the schema that has the place (`/fields/2/type` for
    /// Avro, the new schema's index when both have it; `#/properties/a` for
    /// JSON Schema) or Confluent's Protobuf path (`#/Message/oneof/3`, as in
    /// Confluent's Protobuf messages). Empty for a change of format.
    pub path: String,
    /// One line a person reads: what changed.
    pub description: String,
    /// The old schema's fragment (compact JSON, or a Protobuf declaration);
    /// `None` when the old schema has nothing there.
    pub old: Option<String>,
    /// The new schema's fragment, as `old`.
    pub new: Option<String>,
    /// Consumers still reading with the old schema cannot read data written
    /// with the new one: a FORWARD incompatibility.
    pub breaks_readers: bool,
    /// Data written with the old schema cannot be read with the new one: a
    /// BACKWARD incompatibility.
    pub breaks_writers: bool,
    /// The rule ids (`Incompatibility::rule`) of the incompatibilities
    /// attributed to this change, first BACKWARD's, then FORWARD's.
    pub rules: Vec<&'static str>,
}

impl Change {
    /// Whom the change breaks: `breaks readers`, `breaks writers`,
    /// `breaks readers and writers` or `compatible`.
    pub fn verdict(&self) -> &'static str {
        match (self.breaks_readers, self.breaks_writers) {
            (true, true) => "breaks readers and writers",
            (true, false) => "breaks readers",
            (false, true) => "breaks writers",
            (false, false) => "compatible",
        }
    }
}

/// `~ /fields/0/type: field `age` type changed from int to string (breaks
/// readers and writers)`; the alternate form (`{:#}`) adds the rule ids.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.kind.sign())?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{} ({})", self.description, self.verdict())?;
        if f.alternate() && !self.rules.is_empty() {
            write!(f, " [{}]", self.rules.join(", "))?;
        }
        Ok(())
    }
}

impl ParsedSchema {
    /// Every semantic change from `old` to `new`, in document order, each
    /// with whom it breaks as the compatibility engine judges it under
    /// `options`. Identical schemas have none; schemas of different formats
    /// have one change that breaks everyone.
    pub fn diff(old: &ParsedSchema, new: &ParsedSchema, options: &CheckOptions) -> Vec<Change> {
        let incompatibilities =
            |direction| ParsedSchema::incompatibilities(new, old, direction, options);
        let (found, located) = match (old, new) {
            (ParsedSchema::Avro(old_schema), ParsedSchema::Avro(new_schema)) => (
                avro::changes(old_schema, new_schema),
                both_directions(incompatibilities)
                    .into_iter()
                    .map(Located::at_own_path)
                    .collect(),
            ),
            (ParsedSchema::Protobuf(old_schema), ParsedSchema::Protobuf(new_schema)) => (
                protobuf::changes(old_schema, new_schema),
                protobuf::located(old_schema, new_schema),
            ),
            (ParsedSchema::Json(old_schema), ParsedSchema::Json(new_schema)) => (
                json_schema::changes(old_schema, new_schema),
                json_schema::located(old_schema, new_schema, both_directions(incompatibilities)),
            ),
            _ => return vec![format_change(old, new)],
        };
        attribute(found, located)
    }
}

fn both_directions(
    mut incompatibilities: impl FnMut(Direction) -> Vec<Incompatibility>,
) -> Vec<Incompatibility> {
    let mut all = incompatibilities(Direction::Backward);
    all.extend(incompatibilities(Direction::Forward));
    all
}

/// Schemas of different formats never read each other's data.
fn format_change(old: &ParsedSchema, new: &ParsedSchema) -> Change {
    let (old_type, new_type) = (old.schema_type(), new.schema_type());
    Change {
        kind: ChangeKind::Changed,
        path: String::new(),
        description: format!("schema type changed from {old_type} to {new_type}"),
        old: Some(old_type.to_string()),
        new: Some(new_type.to_string()),
        breaks_readers: true,
        breaks_writers: true,
        rules: vec![Incompatibility::DIFFERENT_SCHEMA_TYPE],
    }
}

/// A change as a format's walk finds it, before attribution.
#[derive(Debug)]
pub(crate) struct Found {
    pub kind: ChangeKind,
    pub path: String,
    pub description: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Where the engine reports an incompatibility this change causes.
    pub anchors: Vec<Anchor>,
}

impl Found {
    pub(crate) fn new(
        kind: ChangeKind,
        path: String,
        description: String,
        (old, new): (Option<String>, Option<String>),
        anchors: Vec<Anchor>,
    ) -> Found {
        Found {
            kind,
            path,
            description,
            old,
            new,
            anchors,
        }
    }
}

/// What each format's walk records changes into.
pub(crate) trait RecordChanges {
    fn found(&mut self) -> &mut Vec<Found>;

    fn push(
        &mut self,
        kind: ChangeKind,
        path: String,
        description: String,
        fragments: (Option<String>, Option<String>),
        anchors: Vec<Anchor>,
    ) {
        self.found()
            .push(Found::new(kind, path, description, fragments, anchors));
    }
}

/// A place where the engine, checking `direction`, reports what a change
/// breaks; `rules` limits it to those rule ids (empty: any).
#[derive(Clone, Debug)]
pub(crate) struct Anchor {
    pub direction: Direction,
    pub path: String,
    pub rules: &'static [&'static str],
}

impl Anchor {
    pub fn any(direction: Direction, path: String) -> Anchor {
        Anchor {
            direction,
            path,
            rules: &[],
        }
    }

    /// The same place in both directions.
    pub fn both(path: &str) -> [Anchor; 2] {
        [
            Anchor::any(Direction::Backward, path.to_owned()),
            Anchor::any(Direction::Forward, path.to_owned()),
        ]
    }

    pub fn with_rules(mut self, rules: &'static [&'static str]) -> Anchor {
        self.rules = rules;
        self
    }

    fn admits(&self, incompatibility: &Incompatibility) -> bool {
        self.direction == incompatibility.direction
            && (self.rules.is_empty() || self.rules.contains(&incompatibility.rule))
    }
}

/// An incompatibility with the places (in the anchors' notation) it may be at.
#[derive(Debug)]
pub(crate) struct Located {
    pub incompatibility: Incompatibility,
    /// The first one is where a change of its own would be put.
    pub places: Vec<String>,
}

impl Located {
    fn at_own_path(incompatibility: Incompatibility) -> Located {
        Located {
            places: vec![incompatibility.path.clone()],
            incompatibility,
        }
    }
}

/// The segments of a path, for telling ancestors apart: `#/a/b` and `/a/b`
/// are `[a, b]`, the root is `[]`.
fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('#')
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect()
}

/// How many levels apart two places are when one contains the other.
fn distance(a: &[&str], b: &[&str]) -> Option<usize> {
    let shared = a.len().min(b.len());
    (a[..shared] == b[..shared]).then(|| a.len().abs_diff(b.len()))
}

/// The changes an incompatibility belongs to: those anchored exactly at its
/// first place that has any; else those anchored nearest above or below one
/// of its places, preferring anchors whose rules admit it.
fn claimants(found: &[Found], located: &Located) -> Vec<usize> {
    let incompatibility = &located.incompatibility;
    for place in &located.places {
        let exact: Vec<usize> = found
            .iter()
            .enumerate()
            .filter(|(_, change)| {
                change
                    .anchors
                    .iter()
                    .any(|anchor| anchor.admits(incompatibility) && anchor.path == *place)
            })
            .map(|(index, _)| index)
            .collect();
        if !exact.is_empty() {
            return exact;
        }
    }
    let places: Vec<Vec<&str>> = located.places.iter().map(|place| segments(place)).collect();
    for strict_rules in [true, false] {
        let mut nearest: Option<usize> = None;
        let mut chosen = Vec::new();
        for (index, change) in found.iter().enumerate() {
            let closest = change
                .anchors
                .iter()
                .filter(|anchor| anchor.direction == incompatibility.direction)
                .filter(|anchor| !strict_rules || anchor.admits(incompatibility))
                .filter_map(|anchor| {
                    let anchor = segments(&anchor.path);
                    places
                        .iter()
                        .filter_map(|place| distance(&anchor, place))
                        .min()
                })
                .min();
            let Some(closest) = closest else { continue };
            match nearest {
                Some(best) if closest > best => {}
                Some(best) if closest == best => chosen.push(index),
                _ => {
                    nearest = Some(closest);
                    chosen = vec![index];
                }
            }
        }
        if !chosen.is_empty() {
            return chosen;
        }
    }
    Vec::new()
}

/// Marks each change with the incompatibilities it causes; one no change
/// claims becomes a change of its own, shared by both directions when they
/// report the same rule at the same place.
fn attribute(found: Vec<Found>, located: Vec<Located>) -> Vec<Change> {
    let claims: Vec<Vec<usize>> = located
        .iter()
        .map(|located| claimants(&found, located))
        .collect();
    // An incompatibility that several changes claim (a message field whose
    // type changed inside) belongs to those of them that also break for a
    // reason of their own, not to a harmless addition beside them.
    let claims: Vec<Vec<usize>> = claims
        .iter()
        .zip(&located)
        .map(|(claimed, this)| {
            let narrowed: Vec<usize> = claimed
                .iter()
                .copied()
                .filter(|index| {
                    claims.iter().zip(&located).any(|(other, that)| {
                        that.incompatibility.rule != this.incompatibility.rule
                            && other.contains(index)
                    })
                })
                .collect();
            if claimed.len() > 1 && !narrowed.is_empty() {
                narrowed
            } else {
                claimed.clone()
            }
        })
        .collect();
    let mut changes: Vec<Change> = found
        .into_iter()
        .map(|found| Change {
            kind: found.kind,
            path: found.path,
            description: found.description,
            old: found.old,
            new: found.new,
            breaks_readers: false,
            breaks_writers: false,
            rules: Vec::new(),
        })
        .collect();
    let walked = changes.len();
    for (located, claimed) in located.into_iter().zip(claims) {
        let incompatibility = located.incompatibility;
        let targets = if claimed.is_empty() {
            let place = located.places.into_iter().next().unwrap_or_default();
            let existing = changes[walked..].iter().position(|change| {
                change.path == place && change.rules.contains(&incompatibility.rule)
            });
            let index = match existing {
                Some(offset) => walked + offset,
                None => {
                    changes.push(Change {
                        kind: ChangeKind::Changed,
                        path: place,
                        description: incompatibility.description.clone(),
                        old: incompatibility.old_fragment.clone(),
                        new: incompatibility.new_fragment.clone(),
                        breaks_readers: false,
                        breaks_writers: false,
                        rules: Vec::new(),
                    });
                    changes.len() - 1
                }
            };
            vec![index]
        } else {
            claimed
        };
        for index in targets {
            let change = &mut changes[index];
            match incompatibility.direction {
                Direction::Backward => change.breaks_writers = true,
                Direction::Forward => change.breaks_readers = true,
            }
            if !change.rules.contains(&incompatibility.rule) {
                change.rules.push(incompatibility.rule);
            }
        }
    }
    changes
}

/// Pairs the items of two lists in document order: `matched[j]` is the old
/// item the new item `j` corresponds to. Old items nobody matched come just
/// before the new item that follows them in the old list, or at the end.
pub(crate) fn align(
    old_len: usize,
    matched: &[Option<usize>],
) -> Vec<(Option<usize>, Option<usize>)> {
    let mut taken = vec![false; old_len];
    for &old in matched.iter().flatten() {
        taken[old] = true;
    }
    let mut emitted = vec![false; old_len];
    let mut pairs = Vec::new();
    for (new, &old) in matched.iter().enumerate() {
        if let Some(old) = old {
            for earlier in 0..old {
                if !taken[earlier] && !emitted[earlier] {
                    emitted[earlier] = true;
                    pairs.push((Some(earlier), None));
                }
            }
        }
        pairs.push((old, Some(new)));
    }
    for old in 0..old_len {
        if !taken[old] && !emitted[old] {
            pairs.push((Some(old), None));
        }
    }
    pairs
}

/// A JSON value in one line, shortened for a description.
pub(crate) fn short_json(value: &serde_json::Value) -> String {
    const MOST: usize = 60;
    let text = value.to_string();
    match text.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_keeps_removed_items_where_they_were() {
        // old: a b c d; new: a c e (b and d removed, e added)
        let pairs = align(4, &[Some(0), Some(2), None]);
        assert_eq!(
            pairs,
            vec![
                (Some(0), Some(0)),
                (Some(1), None),
                (Some(2), Some(1)),
                (None, Some(2)),
                (Some(3), None)
            ]
        );
    }

    #[test]
    fn places_relate_by_prefix() {
        assert_eq!(
            distance(&segments("/fields/0"), &segments("/fields/0/type")),
            Some(1)
        );
        assert_eq!(distance(&segments("/"), &segments("/fields/0")), Some(2));
        assert_eq!(distance(&segments("#/a/b"), &segments("#/a/c")), None);
    }
}
