//! Avro reader/writer compatibility as Confluent reports it: Apache Avro
//! Java's `SchemaCompatibility` checker, every incompatibility it finds, each
//! turned into Confluent's message (`io.confluent…avro.Difference`).
//!
//! Avro Java's quirks are kept because Confluent's messages show them:
//! results are memoised per (reader type, writer type) pair, so a named type
//! used twice reports its problems twice, with the path of its first use; and
//! a union branch is checked from a fresh path, so problems found inside it are
//! reported at `/`.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::canonical::schema_text;
use super::schema::{AvroSchema, AvroType, Field, Kind, Named, Record, TypeId};
use crate::jackson::java_string_order;
use crate::{Direction, Incompatibility, SchemaType};

/// Deepest chain of nested type pairs checked: about 1 MB of stack in a
/// debug build, well within a 2 MB thread. Nesting in one schema's JSON is at
/// most 128 levels, so only long chains of named types or recursive types of
/// clashing shapes get here; they are reported rather than recursed into.
const MAX_DEPTH: usize = 500;

/// Most incompatibilities kept for one pair of types. Memoised results are
/// repeated wherever a named type is reused, which can grow exponentially.
const MAX_REPORTED: usize = 1000;

/// Every incompatibility type Avro's checker reports (Confluent's error types,
/// and ours for nesting too deep to compare).
pub const DIFFERENCE_TYPES: &[&str] = &[
    "NAME_MISMATCH",
    "FIXED_SIZE_MISMATCH",
    "MISSING_ENUM_SYMBOLS",
    "READER_FIELD_MISSING_DEFAULT_VALUE",
    "TYPE_MISMATCH",
    "MISSING_UNION_BRANCH",
];

/// Every incompatibility between `new` and `old`; `direction` says which one
/// reads data written with the other. Empty when compatible.
pub fn incompatibilities(
    new: &AvroSchema,
    old: &AvroSchema,
    direction: Direction,
) -> Vec<Incompatibility> {
    let (reader, writer) = match direction {
        Direction::Backward => (new, old),
        Direction::Forward => (old, new),
    };
    let mut checker = Checker {
        reader,
        writer,
        memo: HashMap::new(),
        depth: 0,
    };
    let problems = checker.check_from_root(reader.root, writer.root);
    let roles = Roles::of(direction);
    problems
        .iter()
        .map(|problem| {
            let mut incompatibility = problem.describe(roles, direction);
            let (reader_fragment, writer_fragment) = problem.fragments(reader, writer);
            let (new_fragment, old_fragment) = match direction {
                Direction::Backward => (reader_fragment, writer_fragment),
                Direction::Forward => (writer_fragment, reader_fragment),
            };
            incompatibility.new_fragment = new_fragment;
            incompatibility.old_fragment = old_fragment;
            incompatibility
        })
        .collect()
}

/// One problem as Avro Java records it.
#[derive(Debug)]
struct Problem {
    kind: ProblemKind,
    /// JSON pointer into the reader schema.
    path: String,
    /// The reader and writer types being compared when the problem was found.
    pair: (TypeId, TypeId),
}

#[derive(Debug)]
enum ProblemKind {
    NameMismatch { reader: String, writer: String },
    FixedSizeMismatch { reader: i32, writer: i32 },
    MissingEnumSymbols { symbols: Vec<String> },
    ReaderFieldMissingDefault { field: String, field_type: TypeId },
    TypeMismatch { reader: Kind, writer: Kind },
    MissingUnionBranch { writer: Kind },
    TooDeep,
}

/// The result of checking one pair: no problems means compatible. Problems
/// are shared, since memoised results are repeated wherever a type recurs.
type Outcome = Rc<Vec<Rc<Problem>>>;

struct Checker<'a> {
    reader: &'a AvroSchema,
    writer: &'a AvroSchema,
    /// `None` while the pair is being checked: meeting it again means a
    /// recursive type, assumed compatible unless proven otherwise.
    memo: HashMap<(TypeId, TypeId), Option<Outcome>>,
    depth: usize,
}

impl Checker<'_> {
    /// Checks a pair from a fresh path (Avro Java's two-argument
    /// `getCompatibility`), so problems inside it are located at `/`.
    fn check_from_root(&mut self, reader: TypeId, writer: TypeId) -> Outcome {
        let mut location = Location::default();
        self.check("", reader, writer, &mut location)
    }

    fn check(
        &mut self,
        token: &str,
        reader: TypeId,
        writer: TypeId,
        location: &mut Location,
    ) -> Outcome {
        location.push(token);
        let outcome = match self.memo.get(&(reader, writer)) {
            Some(Some(done)) => Rc::clone(done),
            Some(None) => Outcome::default(),
            None if self.depth >= MAX_DEPTH => {
                location.problem(ProblemKind::TooDeep, (reader, writer))
            }
            None => {
                self.memo.insert((reader, writer), None);
                self.depth += 1;
                let outcome = self.calculate(reader, writer, location);
                self.depth -= 1;
                self.memo
                    .insert((reader, writer), Some(Rc::clone(&outcome)));
                outcome
            }
        };
        location.pop();
        outcome
    }

    fn calculate(
        &mut self,
        reader_id: TypeId,
        writer_id: TypeId,
        location: &mut Location,
    ) -> Outcome {
        let (reader_schema, writer_schema) = (self.reader, self.writer);
        let reader = &reader_schema.types[reader_id];
        let writer = &writer_schema.types[writer_id];
        let mut problems = Problems::default();
        let pair = (reader_id, writer_id);
        match (reader, writer) {
            (AvroType::Primitive { kind: r, .. }, AvroType::Primitive { kind: w, .. })
                if r == w => {}
            (AvroType::Array { items: r, .. }, AvroType::Array { items: w, .. }) => {
                problems.add(&self.check("items", *r, *w, location));
            }
            (AvroType::Map { values: r, .. }, AvroType::Map { values: w, .. }) => {
                problems.add(&self.check("values", *r, *w, location));
            }
            (AvroType::Fixed(r), AvroType::Fixed(w)) => {
                problems.add(&check_names(&r.named, &w.named, location, pair));
                if r.size != w.size {
                    location.push("size");
                    problems.add(&location.problem(
                        ProblemKind::FixedSizeMismatch {
                            reader: r.size,
                            writer: w.size,
                        },
                        pair,
                    ));
                    location.pop();
                }
            }
            (AvroType::Enum(r), AvroType::Enum(w)) => {
                problems.add(&check_names(&r.named, &w.named, location, pair));
                let readable: HashSet<&str> = r.symbols.iter().map(String::as_str).collect();
                let mut missing: Vec<String> = w
                    .symbols
                    .iter()
                    .filter(|symbol| !readable.contains(symbol.as_str()))
                    .cloned()
                    .collect();
                // A reader enum with a default reads unknown symbols as it.
                if !missing.is_empty() && r.default.is_none() {
                    missing.sort_by(|a, b| java_string_order(a, b));
                    location.push("symbols");
                    problems.add(
                        &location
                            .problem(ProblemKind::MissingEnumSymbols { symbols: missing }, pair),
                    );
                    location.pop();
                }
            }
            (AvroType::Record(r), AvroType::Record(w)) => {
                problems.add(&check_names(&r.named, &w.named, location, pair));
                problems.add(&self.check_fields(r, w, pair, location));
            }
            (AvroType::Union { .. }, AvroType::Union { branches }) => {
                // Every branch the writer may have used must be readable by
                // the reader union as a whole.
                for (index, &writer_branch) in branches.iter().enumerate() {
                    location.push(&index.to_string());
                    if !self.check_from_root(reader_id, writer_branch).is_empty() {
                        problems.add(&location.problem(
                            ProblemKind::MissingUnionBranch {
                                writer: writer_schema.types[writer_branch].kind(),
                            },
                            (reader_id, writer_branch),
                        ));
                    }
                    location.pop();
                }
            }
            (_, AvroType::Union { branches }) => {
                for &writer_branch in branches {
                    problems.add(&self.check_from_root(reader_id, writer_branch));
                }
            }
            (AvroType::Union { branches }, _) => {
                let readable = branches.iter().any(|&reader_branch| {
                    self.check_from_root(reader_branch, writer_id).is_empty()
                });
                if !readable {
                    problems.add(&location.problem(
                        ProblemKind::MissingUnionBranch {
                            writer: writer.kind(),
                        },
                        pair,
                    ));
                }
            }
            _ if is_promotable(writer.kind(), reader.kind()) => {}
            _ => problems.add(&location.problem(
                ProblemKind::TypeMismatch {
                    reader: reader.kind(),
                    writer: writer.kind(),
                },
                pair,
            )),
        }
        problems.into_outcome()
    }

    /// Every reader field must be filled from a writer field (matched by name
    /// or by one of the reader field's aliases) or from its default.
    fn check_fields(
        &mut self,
        reader: &Record,
        writer: &Record,
        pair: (TypeId, TypeId),
        location: &mut Location,
    ) -> Outcome {
        let writer_id = pair.1;
        let writer_fields = WriterFields::of(writer);
        let mut problems = Problems::default();
        location.push("fields");
        for (position, reader_field) in reader.fields.iter().enumerate() {
            location.push(&position.to_string());
            match writer_fields.for_reader(reader_field) {
                Some(writer_field) => {
                    problems.add(&self.check("type", reader_field.ty, writer_field.ty, location));
                }
                None if reader_field.default.is_some() => {}
                // Avro Java then checks the enum against the whole writer
                // record, which always reports a type mismatch.
                None if has_enum_default(&self.reader.types[reader_field.ty]) => {
                    problems.add(&self.check("type", reader_field.ty, writer_id, location));
                }
                None => problems.add(&location.problem(
                    ProblemKind::ReaderFieldMissingDefault {
                        field: reader_field.name.clone(),
                        field_type: reader_field.ty,
                    },
                    pair,
                )),
            }
            location.pop();
        }
        location.pop();
        problems.into_outcome()
    }
}

/// A writer record's fields by name, so that matching every reader field
/// stays linear in the number of fields.
struct WriterFields<'w>(HashMap<&'w str, &'w Field>);

impl<'w> WriterFields<'w> {
    fn of(writer: &'w Record) -> WriterFields<'w> {
        let mut by_name = HashMap::with_capacity(writer.fields.len());
        // Field names are unique (the parser refuses duplicates); should one
        // repeat, the first keeps it, as a search in order would find.
        for field in &writer.fields {
            by_name.entry(field.name.as_str()).or_insert(field);
        }
        WriterFields(by_name)
    }

    /// The writer field a reader field is read from. Avro Java rejects a
    /// reader field that matches several writer fields; the field of the
    /// same name wins here.
    fn for_reader(&self, reader_field: &Field) -> Option<&'w Field> {
        let by_name = |name: &str| self.0.get(name).copied();
        by_name(&reader_field.name)
            .or_else(|| reader_field.aliases.iter().find_map(|alias| by_name(alias)))
    }
}

fn has_enum_default(ty: &AvroType) -> bool {
    matches!(ty, AvroType::Enum(enumeration) if enumeration.default.is_some())
}

/// Named types match by unqualified name, or when the reader lists the
/// writer's full name among its aliases.
fn check_names(
    reader: &Named,
    writer: &Named,
    location: &mut Location,
    pair: (TypeId, TypeId),
) -> Outcome {
    let matches = reader.name.name == writer.name.name
        || reader
            .aliases
            .iter()
            .any(|alias| alias.full == writer.name.full);
    if matches {
        return Outcome::default();
    }
    location.push("name");
    let outcome = location.problem(
        ProblemKind::NameMismatch {
            reader: reader.name.full.clone(),
            writer: writer.name.full.clone(),
        },
        pair,
    );
    location.pop();
    outcome
}

/// Whether data written as `writer` can be read as `reader` of another kind.
pub(crate) fn is_promotable(writer: Kind, reader: Kind) -> bool {
    matches!(
        (writer, reader),
        (Kind::Int, Kind::Long | Kind::Float | Kind::Double)
            | (Kind::Long, Kind::Float | Kind::Double)
            | (Kind::Float, Kind::Double)
            | (Kind::String, Kind::Bytes)
            | (Kind::Bytes, Kind::String)
    )
}

/// Problems gathered for one pair, capped at [`MAX_REPORTED`].
#[derive(Default)]
struct Problems(Vec<Rc<Problem>>);

impl Problems {
    fn add(&mut self, outcome: &Outcome) {
        let room = MAX_REPORTED.saturating_sub(self.0.len());
        self.0.extend(outcome.iter().take(room).map(Rc::clone));
    }

    fn into_outcome(self) -> Outcome {
        Rc::new(self.0)
    }
}

/// The path being checked, as Avro Java's location stack: a root token
/// (dropped when printed) and then one token per step.
#[derive(Default)]
struct Location(Vec<String>);

impl Location {
    fn push(&mut self, token: &str) {
        self.0.push(token.to_owned());
    }

    fn pop(&mut self) {
        self.0.pop();
    }

    /// A single problem at the current path.
    fn problem(&self, kind: ProblemKind, pair: (TypeId, TypeId)) -> Outcome {
        let tokens: Vec<String> = self
            .0
            .iter()
            .skip(1)
            .map(|token| token.replace('~', "~0").replace('/', "~1"))
            .collect();
        Rc::new(vec![Rc::new(Problem {
            kind,
            path: format!("/{}", tokens.join("/")),
            pair,
        })])
    }
}

/// What Confluent calls the reader and the writer in its sentences.
#[derive(Clone, Copy)]
struct Roles {
    reader: &'static str,
    writer: &'static str,
}

impl Roles {
    fn of(direction: Direction) -> Roles {
        match direction {
            Direction::Backward => Roles {
                reader: "new",
                writer: "old",
            },
            Direction::Forward => Roles {
                reader: "old",
                writer: "new",
            },
        }
    }
}

/// Longest fragment quoted in an explanation; a whole record type can be big.
const MAX_FRAGMENT_CHARS: usize = 1000;

fn fragment(text: String) -> String {
    match text.char_indices().nth(MAX_FRAGMENT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

impl Problem {
    /// The reader's and the writer's text at the problem: the two types
    /// compared, or for a missing field the reader's field and nothing.
    fn fragments(
        &self,
        reader: &AvroSchema,
        writer: &AvroSchema,
    ) -> (Option<String>, Option<String>) {
        let (reader_type, writer_type) = self.pair;
        match &self.kind {
            ProblemKind::ReaderFieldMissingDefault { field, field_type } => {
                let field_json = format!(
                    "{{\"name\":{},\"type\":{}}}",
                    serde_json::Value::from(field.as_str()),
                    schema_text(&reader.types, *field_type)
                );
                (Some(fragment(field_json)), None)
            }
            _ => (
                Some(fragment(schema_text(&reader.types, reader_type))),
                Some(fragment(schema_text(&writer.types, writer_type))),
            ),
        }
    }

    fn describe(&self, roles: Roles, direction: Direction) -> Incompatibility {
        let Roles { reader, writer } = roles;
        let path = &self.path;
        let backward = direction == Direction::Backward;
        let (rule, description, detail, fix) = match &self.kind {
            ProblemKind::NameMismatch {
                reader: reader_name,
                writer: writer_name,
            } => (
                "NAME_MISMATCH",
                format!("The name of the schema has changed (path '{path}')"),
                format!("expected: {writer_name}"),
                if backward {
                    format!("keep the name `{writer_name}` or add it to the `aliases` of `{reader_name}`")
                } else {
                    format!("keep the name `{reader_name}`: readers of the old schema know no other")
                },
            ),
            ProblemKind::FixedSizeMismatch {
                reader: reader_size,
                writer: writer_size,
            } => (
                "FIXED_SIZE_MISMATCH",
                format!(
                    "The size of FIXED type field at path '{path}' in the {reader} schema does not match with the {writer} schema"
                ),
                format!("expected: {writer_size}, found: {reader_size}"),
                format!("keep the fixed size at {writer_size} bytes; a size change is never compatible"),
            ),
            ProblemKind::MissingEnumSymbols { symbols } => {
                let listed = format!("[{}]", symbols.join(", "));
                let quoted = symbols
                    .iter()
                    .map(|symbol| format!("`{symbol}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    "MISSING_ENUM_SYMBOLS",
                    format!(
                        "The {reader} schema is missing enum symbols '{listed}' at path '{path}' in the {writer} schema"
                    ),
                    listed,
                    if backward {
                        format!("add symbol {quoted} back or give the enum a default")
                    } else {
                        format!("remove symbol {quoted}: the old enum has no default to read it as")
                    },
                )
            }
            ProblemKind::ReaderFieldMissingDefault { field, .. } => (
                "READER_FIELD_MISSING_DEFAULT_VALUE",
                format!(
                    "The field '{field}' at path '{path}' in the {reader} schema has no default value and is missing in the {writer} schema"
                ),
                field.clone(),
                if backward {
                    format!("give field `{field}` a default value")
                } else {
                    format!("keep field `{field}`: the old schema has no default for it")
                },
            ),
            ProblemKind::TypeMismatch {
                reader: reader_kind,
                writer: writer_kind,
            } => (
                "TYPE_MISMATCH",
                format!(
                    "The type (path '{path}') of a field in the {reader} schema does not match with the {writer} schema"
                ),
                format!(
                    "reader type: {} not compatible with writer type: {}",
                    reader_kind.java_name(),
                    writer_kind.java_name()
                ),
                if backward {
                    format!(
                        "keep a type that can read {} data: the same type, or a wider one (int to long, float or double; long to float or double; float to double; string to bytes and back)",
                        writer_kind.name()
                    )
                } else {
                    format!(
                        "keep a type the old schema's {} can read: the same type, or a narrower one it widens",
                        reader_kind.name()
                    )
                },
            ),
            ProblemKind::MissingUnionBranch { writer: writer_kind } => (
                "MISSING_UNION_BRANCH",
                format!(
                    "The {reader} schema is missing a type inside a union field at path '{path}' in the {writer} schema"
                ),
                format!("reader union lacking writer type: {}", writer_kind.java_name()),
                if backward {
                    format!("keep a union branch that can read {} data", writer_kind.name())
                } else {
                    format!("remove the {} branch: the old union cannot read it", writer_kind.name())
                },
            ),
            ProblemKind::TooDeep => (
                "NESTING_TOO_DEEP",
                format!(
                    "The type (path '{path}') of a field in the {reader} schema nests too deeply to be compared with the {writer} schema"
                ),
                format!("nesting deeper than {MAX_DEPTH} levels"),
                "simplify the recursive types so that they can be checked".to_owned(),
            ),
        };
        Incompatibility {
            schema_type: SchemaType::Avro,
            rule,
            path: self.path.clone(),
            description,
            detail,
            old_fragment: None,
            new_fragment: None,
            direction,
            fix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> AvroSchema {
        AvroSchema::parse(text, &[]).unwrap()
    }

    /// A record type cycle of `length` records, each named `{prefix}{i}`.
    fn cycle(prefix: &str, length: usize) -> String {
        let mut text = String::new();
        for index in 0..length {
            text.push_str(&format!(
                "{{\"type\":\"record\",\"name\":\"{prefix}{index}\",\"fields\":[{{\"name\":\"next\",\"type\":"
            ));
        }
        text.push_str(&format!("\"{prefix}0\""));
        text.push_str(&"}]}".repeat(length));
        text
    }

    #[test]
    fn recursive_types_are_compatible_with_themselves() {
        let list = schema(&cycle("N", 3));
        assert!(incompatibilities(&list, &list, Direction::Backward).is_empty());
        assert!(incompatibilities(&list, &list, Direction::Forward).is_empty());
    }

    #[test]
    fn cycles_of_coprime_lengths_stop_at_the_depth_cap() {
        // Pairs of records only repeat after 31 * 32 steps.
        let reader = schema(&cycle("A", 31));
        let writer = schema(&cycle("A", 32));
        let found = incompatibilities(&reader, &writer, Direction::Backward);
        assert!(found
            .iter()
            .any(|problem| problem.rule == "NESTING_TOO_DEEP"));
        assert!(found.len() <= MAX_REPORTED);
    }

    #[test]
    fn reused_types_cannot_multiply_reports_without_bound() {
        // Each level uses the one below twice: 2^40 reports uncapped.
        let mut old = String::from(
            "{\"type\":\"record\",\"name\":\"T0\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"}]}",
        );
        let mut new = old.replace("int", "string");
        for level in 1..=40 {
            let below = format!("T{}", level - 1);
            let wrap = |inner: &str| {
                format!(
                    "{{\"type\":\"record\",\"name\":\"T{level}\",\"fields\":[{{\"name\":\"a\",\"type\":{inner}}},{{\"name\":\"b\",\"type\":\"{below}\"}}]}}"
                )
            };
            old = wrap(&old);
            new = wrap(&new);
        }
        let found = incompatibilities(&schema(&new), &schema(&old), Direction::Backward);
        assert_eq!(found.len(), MAX_REPORTED);
    }

    #[test]
    fn messages_and_fixes_follow_the_direction() {
        let old = schema("{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}");
        let new = schema(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"age\",\"type\":\"int\"}]}",
        );
        let [backward] = incompatibilities(&new, &old, Direction::Backward)
            .try_into()
            .unwrap();
        assert_eq!(backward.fix, "give field `age` a default value");
        assert_eq!(
            backward.confluent_message(),
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'age' at path '/fields/0' in the new schema has no default value and is missing in the old schema', additionalInfo:'age'}"
        );
        let [forward] = incompatibilities(&old, &new, Direction::Forward)
            .try_into()
            .unwrap();
        assert_eq!(forward.direction, Direction::Forward);
        assert!(forward
            .description
            .contains("in the old schema has no default value"));
    }
}
