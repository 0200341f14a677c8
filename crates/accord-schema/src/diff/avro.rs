//! The changes between two Avro schemas, walked type by type as Avro's
//! schema resolution pairs them: record fields by name or alias, union
//! branches by type name, enum symbols by name.
//!
//! Anchors follow Avro Java's checker (`avro::compat`): a problem's path is a
//! JSON pointer into the *reader* schema (the new one for BACKWARD, the old
//! one for FORWARD), except that a union branch index there is the writer's,
//! that nothing inside two matched union branches is reported below the
//! branch (only `MISSING_UNION_BRANCH` at the union), and that what a
//! non-union reader finds in a writer union's branches is reported from a
//! fresh root (`/`).

use std::collections::HashMap;
use std::ops::Range;

use serde_json::Value;

use super::{align, short_json, Anchor, ChangeKind, Found, RecordChanges};
use crate::avro::canonical::{field_text, schema_text};
use crate::avro::compat::is_promotable;
use crate::avro::schema::{AvroSchema, AvroType, Field, Named, Props, Record, TypeId};
use crate::Direction;

const NAME_RULES: &[&str] = &["NAME_MISMATCH"];
const SYMBOL_RULES: &[&str] = &["MISSING_ENUM_SYMBOLS"];
const SIZE_RULES: &[&str] = &["FIXED_SIZE_MISMATCH"];

pub(super) fn changes(old: &AvroSchema, new: &AvroSchema) -> Vec<Found> {
    let mut walker = Walker {
        old,
        new,
        found: Vec::new(),
        compared: HashMap::new(),
    };
    let root = Place {
        old: Vec::new(),
        new: Vec::new(),
        name: String::new(),
        report: [Report::AtPath, Report::AtPath],
    };
    walker.compare(old.root, new.root, &root);
    walker.found
}

/// How the checker reports a problem found at a place, for one direction.
#[derive(Clone, Debug)]
enum Report {
    /// At the reader's path.
    AtPath,
    /// At the reader's path below its first `usize` segments, from `/`.
    Relative(usize),
    /// At this path, whatever the place.
    At(String),
}

/// Where the walk is, in both schemas.
#[derive(Clone, Debug)]
struct Place {
    old: Vec<String>,
    new: Vec<String>,
    /// The dotted field name (`address.zip`, `tags[]`), empty at the top.
    name: String,
    /// `[BACKWARD, FORWARD]`.
    report: [Report; 2],
}

fn index(direction: Direction) -> usize {
    match direction {
        Direction::Backward => 0,
        Direction::Forward => 1,
    }
}

fn pointer(segments: &[String]) -> String {
    let escaped: Vec<String> = segments
        .iter()
        .map(|segment| segment.replace('~', "~0").replace('/', "~1"))
        .collect();
    format!("/{}", escaped.join("/"))
}

impl Place {
    /// The path a change here is shown at: the new schema's when it has the place.
    fn new_path(&self, extra: &[&str]) -> String {
        pointer(&extend(&self.new, extra))
    }

    fn old_path(&self, extra: &[&str]) -> String {
        pointer(&extend(&self.old, extra))
    }

    /// Where the checker reports a problem at `extra` below this place.
    fn anchor(&self, direction: Direction, extra: &[&str]) -> Anchor {
        let reader = match direction {
            Direction::Backward => &self.new,
            Direction::Forward => &self.old,
        };
        let path = match &self.report[index(direction)] {
            Report::AtPath => pointer(&extend(reader, extra)),
            Report::Relative(base) => pointer(&extend(&reader[*base..], extra)),
            Report::At(path) => path.clone(),
        };
        Anchor::any(direction, path)
    }

    fn child(&self, old: &[&str], new: &[&str], name: String) -> Place {
        Place {
            old: extend(&self.old, old),
            new: extend(&self.new, new),
            name,
            report: self.report.clone(),
        }
    }

    /// Everything below is reported at `anchor` in `direction`.
    fn reported_at(mut self, direction: Direction, anchor: Anchor) -> Place {
        let slot = &mut self.report[index(direction)];
        if !matches!(slot, Report::At(_)) {
            *slot = Report::At(anchor.path);
        }
        self
    }

    /// Everything below is reported from a fresh root in `direction`.
    fn reported_fresh(mut self, direction: Direction) -> Place {
        let base = match direction {
            Direction::Backward => self.new.len(),
            Direction::Forward => self.old.len(),
        };
        let slot = &mut self.report[index(direction)];
        if !matches!(slot, Report::At(_)) {
            *slot = Report::Relative(base);
        }
        self
    }

    /// How a description names the type here.
    fn subject(&self) -> String {
        if let Some(array) = self.name.strip_suffix("[]") {
            format!("{} items", Place::named(array))
        } else if let Some(map) = self.name.strip_suffix("{}") {
            format!("{} values", Place::named(map))
        } else {
            Place::named(&self.name)
        }
    }

    fn named(name: &str) -> String {
        if name.is_empty() {
            "top-level".to_owned()
        } else {
            format!("field `{name}`")
        }
    }

    fn field_name(&self, field: &str) -> String {
        if self.name.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.name)
        }
    }
}

fn extend(base: &[String], extra: &[&str]) -> Vec<String> {
    let mut path = base.to_vec();
    path.extend(extra.iter().map(|segment| (*segment).to_owned()));
    path
}

struct Walker<'a> {
    old: &'a AvroSchema,
    new: &'a AvroSchema,
    found: Vec<Found>,
    /// Named type pairs already walked, with the changes found inside (none
    /// yet while walking): a named type is compared where it is first used,
    /// as the checker reports it, and recursion ends.
    compared: HashMap<(TypeId, TypeId), Option<Range<usize>>>,
}

impl<'a> RecordChanges for Walker<'a> {
    fn found(&mut self) -> &mut Vec<Found> {
        &mut self.found
    }
}

impl<'a> Walker<'a> {
    fn old_type(&self, id: TypeId) -> &'a AvroType {
        &self.old.types[id]
    }

    fn new_type(&self, id: TypeId) -> &'a AvroType {
        &self.new.types[id]
    }

    fn compare(&mut self, old_id: TypeId, new_id: TypeId, place: &Place) {
        let (old, new) = (self.old_type(old_id), self.new_type(new_id));
        match (old, new) {
            (
                AvroType::Union {
                    branches: old_branches,
                },
                AvroType::Union {
                    branches: new_branches,
                },
            ) => {
                self.unions(old_branches, new_branches, place);
            }
            (AvroType::Union { branches }, _) => {
                self.union_to_single(old_id, branches, new_id, place)
            }
            (_, AvroType::Union { branches }) => {
                self.single_to_union(old_id, new_id, branches, place)
            }
            _ if old.kind() != new.kind() => self.type_changed(old_id, new_id, place),
            (
                AvroType::Primitive {
                    props: old_props, ..
                },
                AvroType::Primitive {
                    props: new_props, ..
                },
            ) => self.props(old_props, new_props, place, &place.subject()),
            (
                AvroType::Array {
                    items: old_items,
                    props: old_props,
                },
                AvroType::Array {
                    items: new_items,
                    props: new_props,
                },
            ) => {
                self.props(old_props, new_props, place, &place.subject());
                let items = place.child(&["items"], &["items"], format!("{}[]", place.name));
                self.compare(*old_items, *new_items, &items);
            }
            (
                AvroType::Map {
                    values: old_values,
                    props: old_props,
                },
                AvroType::Map {
                    values: new_values,
                    props: new_props,
                },
            ) => {
                self.props(old_props, new_props, place, &place.subject());
                let values = place.child(&["values"], &["values"], format!("{}{{}}", place.name));
                self.compare(*old_values, *new_values, &values);
            }
            _ => {
                if let Some(inside) = self.compared.get(&(old_id, new_id)) {
                    self.used_again(inside.clone(), place);
                    return;
                }
                self.compared.insert((old_id, new_id), None);
                let first = self.found.len();
                match (old, new) {
                    (AvroType::Record(old_record), AvroType::Record(new_record)) => {
                        self.named("record", &old_record.named, &new_record.named, place);
                        self.fields(old_record, new_record, place);
                    }
                    (AvroType::Enum(old_enum), AvroType::Enum(new_enum)) => {
                        self.named("enum", &old_enum.named, &new_enum.named, place);
                        self.symbols(
                            &new_enum.named.name.full,
                            (&old_enum.symbols, &new_enum.symbols),
                            (old_enum.default.is_some(), new_enum.default.is_some()),
                            place,
                        );
                        self.enum_default(
                            &new_enum.named.name.full,
                            old_enum.default.as_deref(),
                            new_enum.default.as_deref(),
                            place,
                        );
                    }
                    (AvroType::Fixed(old_fixed), AvroType::Fixed(new_fixed)) => {
                        self.named("fixed", &old_fixed.named, &new_fixed.named, place);
                        if old_fixed.size != new_fixed.size {
                            self.push(
                                ChangeKind::Changed,
                                place.new_path(&["size"]),
                                format!(
                                    "fixed `{}` size changed from {} to {}",
                                    new_fixed.named.name.full, old_fixed.size, new_fixed.size
                                ),
                                (
                                    Some(old_fixed.size.to_string()),
                                    Some(new_fixed.size.to_string()),
                                ),
                                vec![
                                    place
                                        .anchor(Direction::Backward, &["size"])
                                        .with_rules(SIZE_RULES),
                                    place
                                        .anchor(Direction::Forward, &["size"])
                                        .with_rules(SIZE_RULES),
                                ],
                            );
                        }
                    }
                    _ => {}
                }
                let inside = first..self.found.len();
                self.compared.insert((old_id, new_id), Some(inside));
            }
        }
    }

    /// The checker remembers a named type pair's problems at the place it
    /// first met them, but inside two matched union branches it reports
    /// the branch whenever that pair has problems: the changes found inside
    /// the type are anchored there too.
    fn used_again(&mut self, inside: Option<Range<usize>>, place: &Place) {
        let Some(inside) = inside else { return };
        for direction in [Direction::Backward, Direction::Forward] {
            let Report::At(path) = &place.report[index(direction)] else {
                continue;
            };
            for change in &mut self.found[inside.clone()] {
                if change
                    .anchors
                    .iter()
                    .any(|anchor| anchor.direction == direction)
                {
                    change.anchors.push(Anchor::any(direction, path.clone()));
                }
            }
        }
    }

    /// Two types of different kinds, neither a union.
    fn type_changed(&mut self, old_id: TypeId, new_id: TypeId, place: &Place) {
        let (old_kind, new_kind) = (self.old_type(old_id).kind(), self.new_type(new_id).kind());
        let mut anchors = Vec::new();
        // Promotions read the narrower type's data.
        if !is_promotable(old_kind, new_kind) {
            anchors.push(place.anchor(Direction::Backward, &[]));
        }
        if !is_promotable(new_kind, old_kind) {
            anchors.push(place.anchor(Direction::Forward, &[]));
        }
        self.push(
            ChangeKind::Changed,
            place.new_path(&[]),
            format!(
                "{} type changed from {} to {}",
                place.subject(),
                label(&self.old.types, old_id),
                label(&self.new.types, new_id)
            ),
            (
                Some(schema_text(&self.old.types, old_id)),
                Some(schema_text(&self.new.types, new_id)),
            ),
            anchors,
        );
    }

    /// A union's branches, paired by the name a union tells them apart by, or
    /// for a renamed named type by its aliases.
    fn matching_branch(&self, old_branch: TypeId, new_branches: &[TypeId]) -> Option<usize> {
        let old = self.old_type(old_branch);
        new_branches
            .iter()
            .position(|&new| self.new_type(new).union_key() == old.union_key())
            .or_else(|| {
                let old_named = old.named()?;
                new_branches.iter().position(|&new| {
                    let new = self.new_type(new);
                    new.kind() == old.kind()
                        && new.named().is_some_and(|named| {
                            named
                                .aliases
                                .iter()
                                .any(|alias| alias.full == old_named.name.full)
                        })
                })
            })
    }

    fn unions(&mut self, old_branches: &[TypeId], new_branches: &[TypeId], place: &Place) {
        let mut matched: Vec<Option<usize>> = vec![None; new_branches.len()];
        for (old_index, &old_branch) in old_branches.iter().enumerate() {
            if let Some(new_index) = self.matching_branch(old_branch, new_branches) {
                if matched[new_index].is_none() {
                    matched[new_index] = Some(old_index);
                }
            }
        }
        let pairs: Vec<(usize, usize)> = matched
            .iter()
            .enumerate()
            .filter_map(|(new, old)| old.map(|old| (old, new)))
            .collect();
        let reordered = pairs.windows(2).any(|pair| pair[0].0 > pair[1].0);
        for (old_index, new_index) in align(old_branches.len(), &matched) {
            match (old_index, new_index) {
                (None, Some(new_index)) => {
                    let position = new_index.to_string();
                    let branch = new_branches[new_index];
                    self.push(
                        ChangeKind::Added,
                        place.new_path(&[&position]),
                        format!(
                            "{} union branch `{}` added",
                            place.subject(),
                            label(&self.new.types, branch)
                        ),
                        (None, Some(schema_text(&self.new.types, branch))),
                        // The old union reads the new branch's data: the
                        // checker names the writer's branch below the reader's union.
                        vec![place.anchor(Direction::Forward, &[&position])],
                    );
                }
                (Some(old_index), None) => {
                    let position = old_index.to_string();
                    let branch = old_branches[old_index];
                    self.push(
                        ChangeKind::Removed,
                        place.old_path(&[&position]),
                        format!(
                            "{} union branch `{}` removed",
                            place.subject(),
                            label(&self.old.types, branch)
                        ),
                        (Some(schema_text(&self.old.types, branch)), None),
                        vec![place.anchor(Direction::Backward, &[&position])],
                    );
                }
                (Some(old_index), Some(new_index)) => {
                    let (old_position, new_position) =
                        (old_index.to_string(), new_index.to_string());
                    let backward = place.anchor(Direction::Backward, &[&old_position]);
                    let forward = place.anchor(Direction::Forward, &[&new_position]);
                    let branch = place
                        .child(&[&old_position], &[&new_position], place.name.clone())
                        .reported_at(Direction::Backward, backward)
                        .reported_at(Direction::Forward, forward);
                    self.compare(old_branches[old_index], new_branches[new_index], &branch);
                }
                (None, None) => {}
            }
        }
        if reordered {
            let labels = |types: &[AvroType], branches: &[TypeId]| {
                let labels: Vec<String> = branches.iter().map(|&id| label(types, id)).collect();
                format!("[{}]", labels.join(", "))
            };
            self.push(
                ChangeKind::Changed,
                place.new_path(&[]),
                format!(
                    "{} union branches reordered from {} to {}",
                    place.subject(),
                    labels(&self.old.types, old_branches),
                    labels(&self.new.types, new_branches)
                ),
                (None, None),
                Vec::new(),
            );
        }
    }

    /// A union that became one of its branches (or another type).
    fn union_to_single(
        &mut self,
        old_id: TypeId,
        old_branches: &[TypeId],
        new_id: TypeId,
        place: &Place,
    ) {
        // BACKWARD: the new type reads each old branch from a fresh root;
        // FORWARD: the old union reports the new type at the union.
        let forward = place.anchor(Direction::Forward, &[]);
        let inside = place
            .clone()
            .reported_fresh(Direction::Backward)
            .reported_at(Direction::Forward, forward);
        self.shape_changed(old_id, new_id, place, &inside);
        if let Some(old_index) = old_branches
            .iter()
            .position(|&branch| self.matching_branch(branch, &[new_id]).is_some())
        {
            let branch = inside.child(&[&old_index.to_string()], &[], place.name.clone());
            self.compare(old_branches[old_index], new_id, &branch);
        }
    }

    /// A type that became a union (or a union of other types).
    fn single_to_union(
        &mut self,
        old_id: TypeId,
        new_id: TypeId,
        new_branches: &[TypeId],
        place: &Place,
    ) {
        let backward = place.anchor(Direction::Backward, &[]);
        let inside = place
            .clone()
            .reported_at(Direction::Backward, backward)
            .reported_fresh(Direction::Forward);
        self.shape_changed(old_id, new_id, place, &inside);
        if let Some(new_index) = self.matching_branch(old_id, new_branches) {
            let branch = inside.child(&[], &[&new_index.to_string()], place.name.clone());
            self.compare(old_id, new_branches[new_index], &branch);
        }
    }

    fn shape_changed(&mut self, old_id: TypeId, new_id: TypeId, place: &Place, inside: &Place) {
        self.push(
            ChangeKind::Changed,
            place.new_path(&[]),
            format!(
                "{} type changed from {} to {}",
                place.subject(),
                label(&self.old.types, old_id),
                label(&self.new.types, new_id)
            ),
            (
                Some(schema_text(&self.old.types, old_id)),
                Some(schema_text(&self.new.types, new_id)),
            ),
            vec![
                inside.anchor(Direction::Backward, &[]),
                inside.anchor(Direction::Forward, &[]),
            ],
        );
    }

    /// Name, namespace, aliases, doc and attributes of a record, enum or fixed.
    fn named(&mut self, noun: &str, old: &Named, new: &Named, place: &Place) {
        let name_anchors = || {
            vec![
                place
                    .anchor(Direction::Backward, &["name"])
                    .with_rules(NAME_RULES),
                place
                    .anchor(Direction::Forward, &["name"])
                    .with_rules(NAME_RULES),
            ]
        };
        let quoted = |name: &str| Some(Value::from(name).to_string());
        if old.name.name != new.name.name {
            self.push(
                ChangeKind::Changed,
                place.new_path(&["name"]),
                format!("{noun} `{}` renamed to `{}`", old.name.full, new.name.full),
                (quoted(&old.name.full), quoted(&new.name.full)),
                name_anchors(),
            );
        } else if old.name.space != new.name.space {
            let space = |space: &Option<String>| {
                space
                    .as_deref()
                    .map_or("(none)".to_owned(), |space| format!("`{space}`"))
            };
            self.push(
                ChangeKind::Changed,
                place.new_path(&["namespace"]),
                format!(
                    "{noun} `{}` namespace changed from {} to {}",
                    new.name.name,
                    space(&old.name.space),
                    space(&new.name.space)
                ),
                (quoted(&old.name.full), quoted(&new.name.full)),
                name_anchors(),
            );
        }
        let full = &new.name.full;
        let aliases = |named: &Named| -> Vec<String> {
            named
                .aliases
                .iter()
                .map(|alias| alias.full.clone())
                .collect()
        };
        let (old_aliases, new_aliases) = (aliases(old), aliases(new));
        if sorted(&old_aliases) != sorted(&new_aliases) {
            // The reader's aliases name the writer's type: the new schema's
            // are read with when it reads old data.
            let mut anchors = name_anchors();
            anchors.retain(|anchor| anchor.direction == Direction::Backward);
            self.push(
                attribute_kind(!old_aliases.is_empty(), !new_aliases.is_empty()),
                place.new_path(&["aliases"]),
                format!(
                    "{noun} `{full}` aliases changed from {} to {}",
                    list(&old_aliases),
                    list(&new_aliases)
                ),
                (
                    Some(Value::from(old_aliases.clone()).to_string()),
                    Some(Value::from(new_aliases.clone()).to_string()),
                ),
                anchors,
            );
        }
        self.doc(
            old.doc.as_deref(),
            new.doc.as_deref(),
            place.new_path(&["doc"]),
            &format!("{noun} `{full}`"),
        );
        self.props(&old.props, &new.props, place, &format!("{noun} `{full}`"));
    }

    fn doc(&mut self, old: Option<&str>, new: Option<&str>, path: String, subject: &str) {
        if old == new {
            return;
        }
        let kind = attribute_kind(old.is_some(), new.is_some());
        let verb = match kind {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        };
        let text = |doc: Option<&str>| doc.map(|doc| Value::from(doc).to_string());
        self.push(
            kind,
            path,
            format!("{subject} doc {verb}"),
            (text(old), text(new)),
            Vec::new(),
        );
    }

    /// Custom attributes (`logicalType`, `connect.name`, …); the checker
    /// compares none of them.
    fn props(&mut self, old: &Props, new: &Props, place: &Place, subject: &str) {
        let keys: Vec<&String> = new
            .keys()
            .chain(old.keys().filter(|key| !new.contains_key(*key)))
            .collect();
        for key in keys {
            let (old_value, new_value) = (old.get(key), new.get(key));
            if old_value == new_value {
                continue;
            }
            let kind = attribute_kind(old_value.is_some(), new_value.is_some());
            let what = if key == "logicalType" {
                "logical type".to_owned()
            } else {
                format!("attribute `{key}`")
            };
            let shown = |value: Option<&Value>| match value {
                Some(Value::String(text)) => text.clone(),
                Some(other) => short_json(other),
                None => String::new(),
            };
            let description = match kind {
                ChangeKind::Added => format!("{subject} {what} {} added", shown(new_value)),
                ChangeKind::Removed => format!("{subject} {what} {} removed", shown(old_value)),
                ChangeKind::Changed => format!(
                    "{subject} {what} changed from {} to {}",
                    shown(old_value),
                    shown(new_value)
                ),
            };
            self.push(
                kind,
                if new_value.is_some() {
                    place.new_path(&[key])
                } else {
                    place.old_path(&[key])
                },
                description,
                (
                    old_value.map(Value::to_string),
                    new_value.map(Value::to_string),
                ),
                Vec::new(),
            );
        }
    }

    /// Fields are paired by name, then by an alias of either side naming the
    /// other, as schema resolution reads them.
    fn fields(&mut self, old: &Record, new: &Record, place: &Place) {
        let mut matched: Vec<Option<usize>> = vec![None; new.fields.len()];
        let mut taken = vec![false; old.fields.len()];
        let passes: [FieldMatch; 3] = [
            |old, new| old.name == new.name,
            |old, new| new.aliases.contains(&old.name),
            |old, new| old.aliases.contains(&new.name),
        ];
        for pass in passes {
            for (new_index, new_field) in new.fields.iter().enumerate() {
                if matched[new_index].is_some() {
                    continue;
                }
                if let Some(old_index) = old
                    .fields
                    .iter()
                    .enumerate()
                    .position(|(index, old_field)| !taken[index] && pass(old_field, new_field))
                {
                    matched[new_index] = Some(old_index);
                    taken[old_index] = true;
                }
            }
        }
        for (old_index, new_index) in align(old.fields.len(), &matched) {
            match (old_index, new_index) {
                (None, Some(new_index)) => {
                    self.field_added(&new.fields[new_index], new_index, place)
                }
                (Some(old_index), None) => {
                    self.field_removed(&old.fields[old_index], old_index, place)
                }
                (Some(old_index), Some(new_index)) => self.field_pair(
                    (&old.fields[old_index], &new.fields[new_index]),
                    (old_index, new_index),
                    place,
                ),
                (None, None) => {}
            }
        }
    }

    fn field_added(&mut self, field: &Field, position: usize, place: &Place) {
        let position = position.to_string();
        let name = place.field_name(&field.name);
        let description = match &field.default {
            Some(default) => format!("field `{name}` added with default {}", short_json(default)),
            None => format!("field `{name}` added without a default"),
        };
        let mut anchors = Vec::new();
        if field.default.is_none() {
            // The new schema reads old data that lacks the field.
            anchors.push(place.anchor(Direction::Backward, &["fields", &position]));
            anchors.push(place.anchor(Direction::Backward, &["fields", &position, "type"]));
        }
        self.push(
            ChangeKind::Added,
            place.new_path(&["fields", &position]),
            description,
            (None, Some(field_text(&self.new.types, field))),
            anchors,
        );
    }

    fn field_removed(&mut self, field: &Field, position: usize, place: &Place) {
        let position = position.to_string();
        let name = place.field_name(&field.name);
        let mut anchors = Vec::new();
        if field.default.is_none() {
            // The old schema reads new data that lacks the field.
            anchors.push(place.anchor(Direction::Forward, &["fields", &position]));
            anchors.push(place.anchor(Direction::Forward, &["fields", &position, "type"]));
        }
        self.push(
            ChangeKind::Removed,
            place.old_path(&["fields", &position]),
            format!("field `{name}` removed"),
            (Some(field_text(&self.old.types, field)), None),
            anchors,
        );
    }

    fn field_pair(
        &mut self,
        (old, new): (&Field, &Field),
        (old_index, new_index): (usize, usize),
        place: &Place,
    ) {
        let (old_position, new_position) = (old_index.to_string(), new_index.to_string());
        let name = place.field_name(&new.name);
        let field = place.child(
            &["fields", &old_position],
            &["fields", &new_position],
            name.clone(),
        );
        if old.name != new.name {
            // Each side finds the other's field only through its own aliases.
            let mut anchors = Vec::new();
            if !new.aliases.contains(&old.name) && new.default.is_none() {
                anchors.push(field.anchor(Direction::Backward, &[]));
            }
            if !old.aliases.contains(&new.name) && old.default.is_none() {
                anchors.push(field.anchor(Direction::Forward, &[]));
            }
            self.push(
                ChangeKind::Changed,
                field.new_path(&["name"]),
                format!(
                    "field `{}` renamed to `{}`",
                    place.field_name(&old.name),
                    name
                ),
                (
                    Some(Value::from(old.name.as_str()).to_string()),
                    Some(Value::from(new.name.as_str()).to_string()),
                ),
                anchors,
            );
        }
        let field_type = field.child(&["type"], &["type"], name.clone());
        self.compare(old.ty, new.ty, &field_type);
        self.doc(
            old.doc.as_deref(),
            new.doc.as_deref(),
            field.new_path(&["doc"]),
            &format!("field `{name}`"),
        );
        if old.default != new.default {
            let kind = attribute_kind(old.default.is_some(), new.default.is_some());
            let shown = |value: &Option<Value>| value.as_ref().map(short_json).unwrap_or_default();
            let description = match kind {
                ChangeKind::Added => {
                    format!("field `{name}` default {} added", shown(&new.default))
                }
                ChangeKind::Removed => {
                    format!("field `{name}` default {} removed", shown(&old.default))
                }
                ChangeKind::Changed => format!(
                    "field `{name}` default changed from {} to {}",
                    shown(&old.default),
                    shown(&new.default)
                ),
            };
            self.push(
                kind,
                field.new_path(&["default"]),
                description,
                (
                    old.default.as_ref().map(Value::to_string),
                    new.default.as_ref().map(Value::to_string),
                ),
                Vec::new(),
            );
        }
        if old.order != new.order {
            self.push(
                ChangeKind::Changed,
                field.new_path(&["order"]),
                format!(
                    "field `{name}` order changed from {} to {}",
                    old.order.name(),
                    new.order.name()
                ),
                (
                    Some(Value::from(old.order.name()).to_string()),
                    Some(Value::from(new.order.name()).to_string()),
                ),
                Vec::new(),
            );
        }
        if sorted(&old.aliases) != sorted(&new.aliases) {
            self.push(
                attribute_kind(!old.aliases.is_empty(), !new.aliases.is_empty()),
                field.new_path(&["aliases"]),
                format!(
                    "field `{name}` aliases changed from {} to {}",
                    list(&old.aliases),
                    list(&new.aliases)
                ),
                (
                    Some(Value::from(old.aliases.clone()).to_string()),
                    Some(Value::from(new.aliases.clone()).to_string()),
                ),
                Vec::new(),
            );
        }
        self.props(&old.props, &new.props, &field, &format!("field `{name}`"));
    }

    /// Symbols by name. A reader enum without a default cannot read a symbol
    /// it lacks; the checker reports all of them at the reader's `symbols`.
    fn symbols(
        &mut self,
        full: &str,
        (old, new): (&[String], &[String]),
        (old_default, new_default): (bool, bool),
        place: &Place,
    ) {
        let matched: Vec<Option<usize>> = new
            .iter()
            .map(|symbol| old.iter().position(|old| old == symbol))
            .collect();
        let quoted = |symbol: &str| Some(Value::from(symbol).to_string());
        for (old_index, new_index) in align(old.len(), &matched) {
            match (old_index, new_index) {
                (None, Some(new_index)) => {
                    let symbol = &new[new_index];
                    let anchors = if old_default {
                        Vec::new()
                    } else {
                        vec![place
                            .anchor(Direction::Forward, &["symbols"])
                            .with_rules(SYMBOL_RULES)]
                    };
                    self.push(
                        ChangeKind::Added,
                        place.new_path(&["symbols", &new_index.to_string()]),
                        format!("enum `{full}` symbol `{symbol}` added"),
                        (None, quoted(symbol)),
                        anchors,
                    );
                }
                (Some(old_index), None) => {
                    let symbol = &old[old_index];
                    let anchors = if new_default {
                        Vec::new()
                    } else {
                        vec![place
                            .anchor(Direction::Backward, &["symbols"])
                            .with_rules(SYMBOL_RULES)]
                    };
                    self.push(
                        ChangeKind::Removed,
                        place.old_path(&["symbols", &old_index.to_string()]),
                        format!("enum `{full}` symbol `{symbol}` removed"),
                        (quoted(symbol), None),
                        anchors,
                    );
                }
                _ => {}
            }
        }
        let kept: Vec<usize> = matched.iter().flatten().copied().collect();
        if kept.windows(2).any(|pair| pair[0] > pair[1]) {
            self.push(
                ChangeKind::Changed,
                place.new_path(&["symbols"]),
                format!("enum `{full}` symbols reordered"),
                (
                    Some(Value::from(old.to_vec()).to_string()),
                    Some(Value::from(new.to_vec()).to_string()),
                ),
                Vec::new(),
            );
        }
    }

    fn enum_default(&mut self, full: &str, old: Option<&str>, new: Option<&str>, place: &Place) {
        if old == new {
            return;
        }
        let kind = attribute_kind(old.is_some(), new.is_some());
        let description = match (old, new) {
            (None, Some(new)) => format!("enum `{full}` default `{new}` added"),
            (Some(old), None) => format!("enum `{full}` default `{old}` removed"),
            (Some(old), Some(new)) => {
                format!("enum `{full}` default changed from `{old}` to `{new}`")
            }
            (None, None) => return,
        };
        // Without a default, a reader enum fails on the symbols it lacks.
        let anchors = vec![
            place
                .anchor(Direction::Backward, &["symbols"])
                .with_rules(SYMBOL_RULES),
            place
                .anchor(Direction::Forward, &["symbols"])
                .with_rules(SYMBOL_RULES),
        ];
        self.push(
            kind,
            place.new_path(&["default"]),
            description,
            (
                old.map(|old| Value::from(old).to_string()),
                new.map(|new| Value::from(new).to_string()),
            ),
            anchors,
        );
    }
}

/// Whether an old field (first) and a new one are the same field.
type FieldMatch = fn(&Field, &Field) -> bool;

/// Added when only the new side has it, removed when only the old one does.
fn attribute_kind(old: bool, new: bool) -> ChangeKind {
    match (old, new) {
        (false, true) => ChangeKind::Added,
        (true, false) => ChangeKind::Removed,
        _ => ChangeKind::Changed,
    }
}

fn sorted(items: &[String]) -> Vec<&String> {
    let mut items: Vec<&String> = items.iter().collect();
    items.sort();
    items
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// A short name for a type: `int`, `long (timestamp-millis)`, `array<string>`,
/// `[null, com.acme.User]`, or a named type's full name.
fn label(types: &[AvroType], id: TypeId) -> String {
    let ty = &types[id];
    if let Some(named) = ty.named() {
        return named.name.full.clone();
    }
    let logical = ty
        .props()
        .and_then(|props| props.get("logicalType"))
        .and_then(Value::as_str);
    let base = match ty {
        AvroType::Array { items, .. } => format!("array<{}>", label(types, *items)),
        AvroType::Map { values, .. } => format!("map<{}>", label(types, *values)),
        AvroType::Union { branches } => {
            let labels: Vec<String> = branches
                .iter()
                .map(|&branch| label(types, branch))
                .collect();
            format!("[{}]", labels.join(", "))
        }
        other => other.kind().name().to_owned(),
    };
    match logical {
        Some(logical) => format!("{base} ({logical})"),
        None => base,
    }
}
