//! The changes between two JSON Schema documents, walked keyword by keyword:
//! properties, definitions and other named subschemas by name, `allOf`,
//! `anyOf`, `oneOf` and tuple items by position, `required` names and `enum`
//! values by value, everything else by keyword.
//!
//! The compatibility engine reports at the place it reached by following
//! `$ref`s (`#/properties/home/properties/zip` when `home` refers to a
//! definition), and splits a schema with several kinds of keywords into a
//! synthetic `allOf`. An incompatibility is therefore also looked for at the
//! place its path leads to in each document, `$ref`s followed and synthetic
//! `allOf` steps skipped (`#/definitions/Address/properties/zip`).

use serde_json::{Map, Value};

use super::{align, short_json, Anchor, ChangeKind, Found, Located, RecordChanges};
use crate::json_schema::JsonSchema;
use crate::Incompatibility;

/// What a change of a schema's type (or its kind of combination) reports.
const TYPE_RULES: &[&str] = &[
    "TYPE_CHANGED",
    "TYPE_EXTENDED",
    "TYPE_NARROWED",
    "SUM_TYPE_EXTENDED",
    "SUM_TYPE_NARROWED",
    "PRODUCT_TYPE_EXTENDED",
    "PRODUCT_TYPE_NARROWED",
    "COMBINED_TYPE_EXTENDED",
    "COMBINED_TYPE_CHANGED",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
];

/// Keywords whose value is a map of subschemas by name.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
];

/// Keywords whose value is a list of subschemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// Keywords whose value is one subschema (or a boolean standing for one).
const SINGLE_SCHEMAS: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
];

/// Limits on the values a schema accepts.
const CONSTRAINTS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "const",
];

/// Keywords that accept or refuse nothing; shown with their values.
const SHOWN_ANNOTATIONS: &[&str] = &[
    "default",
    "format",
    "$id",
    "id",
    "$schema",
    "$anchor",
    "readOnly",
    "writeOnly",
    "deprecated",
    "contentEncoding",
    "contentMediaType",
];

/// Keywords that accept or refuse nothing and are long to show.
const TEXT_ANNOTATIONS: &[&str] = &["title", "description", "$comment", "examples"];

/// Most `$ref`s followed while locating one path.
const MAX_REFERENCE_STEPS: usize = 64;

pub(super) fn changes(old: &JsonSchema, new: &JsonSchema) -> Vec<Found> {
    let mut walker = Walker { found: Vec::new() };
    walker.schema(old.as_json(), new.as_json(), &Place::root(""));
    // A referenced document that changed, under the same reference name on
    // both sides, is walked at `name#/…`.
    let new_documents = documents(new);
    for (name, old_document) in documents(old).into_iter().skip(1) {
        let (Some(name), Some((_, new_document))) = (
            name,
            new_documents
                .iter()
                .skip(1)
                .find(|(new_name, _)| *new_name == name),
        ) else {
            continue;
        };
        walker.schema(old_document, new_document, &Place::root(name));
    }
    walker.found
}

/// A schema's documents: itself (unnamed) first, then its references by name.
type Documents<'a> = Vec<(Option<&'a str>, &'a Value)>;

fn documents(schema: &JsonSchema) -> Documents<'_> {
    schema
        .model()
        .documents
        .iter()
        .map(|document| (document.name.as_deref(), &document.value))
        .collect()
}

/// The incompatibilities at their own path, then where that path leads in
/// the old and in the new documents.
pub(super) fn located(
    old: &JsonSchema,
    new: &JsonSchema,
    incompatibilities: Vec<Incompatibility>,
) -> Vec<Located> {
    let (old_documents, new_documents) = (documents(old), documents(new));
    incompatibilities
        .into_iter()
        .map(|incompatibility| {
            let mut places = vec![incompatibility.path.clone()];
            for documents in [&old_documents, &new_documents] {
                if let Some(place) = resolve(documents, &incompatibility.path) {
                    if !places.contains(&place) {
                        places.push(place);
                    }
                }
            }
            Located {
                incompatibility,
                places,
            }
        })
        .collect()
}

/// Where a walk place is written: `#/…` in the schema itself, `name#/…` in
/// the reference of that name.
fn place_text(document: Option<&str>, segments: &[String]) -> String {
    format!("{}#/{}", document.unwrap_or_default(), segments.join("/"))
}

/// The place a path of the engine's leads to in `documents` (the schema's own
/// first).
fn resolve(documents: &Documents<'_>, path: &str) -> Option<String> {
    let segments: Vec<&str> = path
        .strip_prefix('#')?
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    let mut document = 0;
    let mut here: Vec<String> = Vec::new();
    let mut value = documents.first()?.1;
    let mut steps = 0;
    let mut index = 0;
    while index < segments.len() {
        let segment = segments[index];
        if child(value, segment).is_none() && steps < MAX_REFERENCE_STEPS {
            if let Some(target) = follow(documents, document, value) {
                (document, value, here) = target;
                steps += 1;
                continue;
            }
        }
        match child(value, segment) {
            Some(next) => {
                here.push(segment.to_owned());
                value = next;
                index += 1;
            }
            // A synthetic `allOf` of the engine's model has no JSON of its own.
            None if matches!(segment, "allOf" | "anyOf" | "oneOf")
                && segments
                    .get(index + 1)
                    .is_some_and(|next| next.parse::<usize>().is_ok()) =>
            {
                index += 2;
            }
            None => {
                here.extend(
                    segments[index..]
                        .iter()
                        .map(|segment| (*segment).to_owned()),
                );
                return Some(place_text(documents[document].0, &here));
            }
        }
    }
    // The engine compares what a `$ref` at the end names.
    while steps < MAX_REFERENCE_STEPS {
        let Some(target) = follow(documents, document, value) else {
            break;
        };
        (document, value, here) = target;
        steps += 1;
    }
    Some(place_text(documents[document].0, &here))
}

fn child<'v>(value: &'v Value, segment: &str) -> Option<&'v Value> {
    match value {
        Value::Object(members) => members.get(segment),
        Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
        _ => None,
    }
}

/// The target of a `$ref` of a schema in `documents[document]`: the
/// document it names (itself when it names none, a reference by its name
/// otherwise), then the place its fragment names there, by JSON pointer
/// (`#/definitions/a`) or by anchor (`#a`). Its path is unescaped segments.
fn follow<'v>(
    documents: &Documents<'v>,
    document: usize,
    value: &Value,
) -> Option<(usize, &'v Value, Vec<String>)> {
    let reference = value.get("$ref")?.as_str()?;
    let (target, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let document = if target.is_empty() {
        document
    } else {
        documents.iter().skip(1).position(|(name, _)| {
            name.is_some_and(|name| {
                name == target
                    || name.ends_with(&format!("/{target}"))
                    || target.ends_with(&format!("/{name}"))
            })
        })? + 1
    };
    let root = documents[document].1;
    if !fragment.is_empty() && !fragment.starts_with('/') {
        let mut path = Vec::new();
        return anchor(root, fragment, &mut path).map(|target| (document, target, path));
    }
    let target = root.pointer(fragment)?;
    let segments = fragment
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    Some((document, target, segments))
}

/// The schema named `name` by `$anchor` (or by an `$id`/`id` of `#name`,
/// as drafts before 2019-09 name them), searched depth first; `path` ends
/// as its place.
fn anchor<'v>(value: &'v Value, name: &str, path: &mut Vec<String>) -> Option<&'v Value> {
    let names_it = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|found| found == name || found.strip_prefix('#') == Some(name))
    };
    if value.is_object() && (names_it("$anchor") || names_it("$id") || names_it("id")) {
        return Some(value);
    }
    let children: Vec<(String, &Value)> = match value {
        Value::Object(members) => members
            .iter()
            .map(|(key, child)| (key.clone(), child))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, child)| (index.to_string(), child))
            .collect(),
        _ => return None,
    };
    for (segment, child) in children {
        path.push(segment);
        if let Some(found) = anchor(child, name, path) {
            return Some(found);
        }
        path.pop();
    }
    None
}

/// Where the walk is, in both documents (places are named alike).
#[derive(Clone, Debug)]
struct Place {
    /// The reference name of the document, empty for the schema itself.
    document: String,
    segments: Vec<String>,
    /// `property`, `definition`, …; how a description names the schema here.
    noun: &'static str,
    /// The dotted name (`address.zip`, `tags[]`), empty at the top.
    name: String,
}

impl Place {
    fn root(document: &str) -> Place {
        Place {
            document: document.to_owned(),
            segments: Vec::new(),
            noun: "schema",
            name: String::new(),
        }
    }

    fn path(&self) -> String {
        self.below(&[])
    }

    fn below(&self, extra: &[&str]) -> String {
        let mut segments = self.segments.clone();
        segments.extend(extra.iter().map(|segment| (*segment).to_owned()));
        place_text(Some(&self.document), &segments)
    }

    fn child(&self, extra: &[&str], noun: &'static str, name: String) -> Place {
        let mut segments = self.segments.clone();
        segments.extend(extra.iter().map(|segment| (*segment).to_owned()));
        Place {
            document: self.document.clone(),
            segments,
            noun,
            name,
        }
    }

    fn subject(&self) -> String {
        if self.name.is_empty() && self.document.is_empty() {
            "the schema".to_owned()
        } else if self.name.is_empty() {
            format!("reference `{}`", self.document)
        } else {
            format!("{} `{}`", self.noun, self.name)
        }
    }

    fn join(&self, name: &str) -> String {
        if self.name.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.name)
        }
    }

    /// The noun for a nested schema that is not a named one.
    fn inner_noun(&self) -> &'static str {
        if self.name.is_empty() {
            "schema"
        } else {
            self.noun
        }
    }
}

fn verb(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    }
}

fn presence(old: bool, new: bool) -> ChangeKind {
    match (old, new) {
        (false, true) => ChangeKind::Added,
        (true, false) => ChangeKind::Removed,
        _ => ChangeKind::Changed,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value.map(Value::to_string)
}

/// The names a keyword's value lists, when it is a map.
fn entries(value: Option<&Value>) -> Vec<(&String, &Value)> {
    value
        .and_then(Value::as_object)
        .map(|members| members.iter().collect())
        .unwrap_or_default()
}

/// Pairs two lists of named entries by name, in document order.
fn by_name<'a, T>(
    old: &'a [(&'a String, T)],
    new: &'a [(&'a String, T)],
) -> Vec<(Option<usize>, Option<usize>)> {
    let matched: Vec<Option<usize>> = new
        .iter()
        .map(|(name, _)| old.iter().position(|(old_name, _)| old_name == name))
        .collect();
    align(old.len(), &matched)
}

struct Walker {
    found: Vec<Found>,
}

impl RecordChanges for Walker {
    fn found(&mut self) -> &mut Vec<Found> {
        &mut self.found
    }
}

impl Walker {
    fn schema(&mut self, old: &Value, new: &Value, place: &Place) {
        if old == new {
            return;
        }
        match (old, new) {
            (Value::Object(old), Value::Object(new)) => self.object(old, new, place),
            _ => self.push(
                ChangeKind::Changed,
                place.path(),
                format!(
                    "{} changed from {} to {}",
                    place.subject(),
                    short_json(old),
                    short_json(new)
                ),
                (Some(old.to_string()), Some(new.to_string())),
                Anchor::both(&place.path()).into(),
            ),
        }
    }

    fn object(&mut self, old: &Map<String, Value>, new: &Map<String, Value>, place: &Place) {
        let (old_reference, new_reference) = (old.get("$ref"), new.get("$ref"));
        if old_reference != new_reference {
            let shown = |reference: Option<&Value>| {
                reference
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_default()
            };
            let description = match (old_reference, new_reference) {
                (Some(old), Some(new)) => format!(
                    "{} reference changed from `{}` to `{}`",
                    place.subject(),
                    shown(Some(old)),
                    shown(Some(new))
                ),
                (None, Some(new)) => {
                    format!("{} now refers to `{}`", place.subject(), shown(Some(new)))
                }
                _ => format!(
                    "{} no longer refers to `{}`",
                    place.subject(),
                    shown(old_reference)
                ),
            };
            self.push(
                ChangeKind::Changed,
                place.path(),
                description,
                (
                    Some(Value::Object(old.clone()).to_string()),
                    Some(Value::Object(new.clone()).to_string()),
                ),
                Anchor::both(&place.path()).into(),
            );
            // The schema is now something else altogether; its other
            // keywords do not compare.
            return;
        }
        let old_keys: Vec<&String> = old.keys().collect();
        let new_keys: Vec<&String> = new.keys().collect();
        let matched: Vec<Option<usize>> = new_keys
            .iter()
            .map(|key| old_keys.iter().position(|old_key| old_key == key))
            .collect();
        for pair in align(old_keys.len(), &matched) {
            let keyword = match pair {
                (_, Some(index)) => new_keys[index].as_str(),
                (Some(index), None) => old_keys[index].as_str(),
                (None, None) => continue,
            };
            let (old_value, new_value) = (old.get(keyword), new.get(keyword));
            if old_value == new_value {
                continue;
            }
            match keyword {
                "$ref" => {}
                "type" => self.type_change(old_value, new_value, place),
                "required" => self.required(old, new, place),
                "enum" => self.enumeration(old_value, new_value, place),
                "dependencies" | "dependentRequired" => {
                    self.dependencies(keyword, old_value, new_value, place);
                }
                "items"
                    if old_value.is_some_and(Value::is_array)
                        && new_value.is_some_and(Value::is_array) =>
                {
                    self.schema_list(keyword, old_value, new_value, place);
                }
                _ if SCHEMA_MAPS.contains(&keyword) => {
                    self.schema_map(keyword, old_value, new_value, new, place);
                }
                _ if SCHEMA_LISTS.contains(&keyword) => {
                    self.schema_list(keyword, old_value, new_value, place);
                }
                _ if SINGLE_SCHEMAS.contains(&keyword) => {
                    self.single_schema(keyword, old_value, new_value, place);
                }
                _ if CONSTRAINTS.contains(&keyword) => {
                    self.constraint(keyword, old_value, new_value, place);
                }
                _ if SHOWN_ANNOTATIONS.contains(&keyword)
                    || TEXT_ANNOTATIONS.contains(&keyword) =>
                {
                    self.annotation(keyword, old_value, new_value, place);
                }
                _ => self.other_keyword(keyword, old_value, new_value, place),
            }
        }
    }

    fn type_change(&mut self, old: Option<&Value>, new: Option<&Value>, place: &Place) {
        let shown = |value: Option<&Value>| match value {
            None => "any".to_owned(),
            Some(Value::String(name)) => name.clone(),
            Some(Value::Array(names)) => {
                let names: Vec<String> = names
                    .iter()
                    .map(|name| {
                        name.as_str()
                            .map_or_else(|| name.to_string(), str::to_owned)
                    })
                    .collect();
                format!("[{}]", names.join(", "))
            }
            Some(other) => short_json(other),
        };
        self.push(
            ChangeKind::Changed,
            place.path(),
            format!(
                "{} type changed from {} to {}",
                place.subject(),
                shown(old),
                shown(new)
            ),
            (text(old), text(new)),
            Anchor::both(&place.path())
                .map(|anchor| anchor.with_rules(TYPE_RULES))
                .into(),
        );
    }

    /// Names added to or dropped from `required`, for properties both
    /// versions declare (a property added or removed says it is required).
    fn required(&mut self, old: &Map<String, Value>, new: &Map<String, Value>, place: &Place) {
        let names = |schema: &Map<String, Value>| -> Vec<String> {
            schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let declares = |schema: &Map<String, Value>, name: &str| {
            schema
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|properties| properties.contains_key(name))
        };
        let (old_names, new_names) = (names(old), names(new));
        let matched: Vec<Option<usize>> = new_names
            .iter()
            .map(|name| old_names.iter().position(|old| old == name))
            .collect();
        for pair in align(old_names.len(), &matched) {
            let (name, kind) = match pair {
                (None, Some(index)) => (&new_names[index], ChangeKind::Added),
                (Some(index), None) => (&old_names[index], ChangeKind::Removed),
                _ => continue,
            };
            if declares(old, name) != declares(new, name) {
                continue;
            }
            let what = if kind == ChangeKind::Added {
                "made required"
            } else {
                "no longer required"
            };
            let quoted = Some(Value::from(name.as_str()).to_string());
            let here = place.below(&["required", name]);
            self.push(
                kind,
                here.clone(),
                format!("property `{}` {what}", place.join(name)),
                if kind == ChangeKind::Added {
                    (None, quoted)
                } else {
                    (quoted, None)
                },
                Anchor::both(&here).into(),
            );
        }
    }

    fn enumeration(&mut self, old: Option<&Value>, new: Option<&Value>, place: &Place) {
        let here = place.below(&["enum"]);
        // A schema with `enum` and other keywords is a combination to the
        // engine, which reports a changed part at the schema itself.
        let mut anchors: Vec<Anchor> = Anchor::both(&here).into();
        anchors.extend(Anchor::both(&place.path()).map(|anchor| anchor.with_rules(TYPE_RULES)));
        let (Some(Value::Array(old_values)), Some(Value::Array(new_values))) = (old, new) else {
            let kind = presence(old.is_some(), new.is_some());
            let shown = new.or(old).map(short_json).unwrap_or_default();
            let description = match kind {
                ChangeKind::Changed => format!(
                    "{} enum changed from {} to {}",
                    place.subject(),
                    old.map(short_json).unwrap_or_default(),
                    shown
                ),
                _ => format!("{} enum {shown} {}", place.subject(), verb(kind)),
            };
            if kind != ChangeKind::Changed {
                anchors.extend(Anchor::both(&place.path()));
            }
            self.push(kind, here, description, (text(old), text(new)), anchors);
            return;
        };
        let matched: Vec<Option<usize>> = new_values
            .iter()
            .map(|value| old_values.iter().position(|old| old == value))
            .collect();
        for pair in align(old_values.len(), &matched) {
            let (value, kind) = match pair {
                (None, Some(index)) => (&new_values[index], ChangeKind::Added),
                (Some(index), None) => (&old_values[index], ChangeKind::Removed),
                _ => continue,
            };
            self.push(
                kind,
                here.clone(),
                format!(
                    "{} enum value {} {}",
                    place.subject(),
                    short_json(value),
                    verb(kind)
                ),
                if kind == ChangeKind::Added {
                    (None, Some(value.to_string()))
                } else {
                    (Some(value.to_string()), None)
                },
                anchors.clone(),
            );
        }
        let kept: Vec<usize> = matched.iter().flatten().copied().collect();
        if kept.windows(2).any(|pair| pair[0] > pair[1]) {
            self.push(
                ChangeKind::Changed,
                here,
                format!("{} enum values reordered", place.subject()),
                (text(old), text(new)),
                Vec::new(),
            );
        }
    }

    /// `properties`, `patternProperties`, `definitions`, `$defs`, `dependentSchemas`.
    fn schema_map(
        &mut self,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        new_schema: &Map<String, Value>,
        place: &Place,
    ) {
        let (old_entries, new_entries) = (entries(old), entries(new));
        for pair in by_name(&old_entries, &new_entries) {
            let name = match pair {
                (_, Some(index)) => new_entries[index].0,
                (Some(index), None) => old_entries[index].0,
                (None, None) => continue,
            };
            let (noun, child_name) = match keyword {
                "properties" => ("property", place.join(name)),
                "patternProperties" => ("pattern property", place.join(name)),
                "dependentSchemas" => ("dependency schema", place.join(name)),
                _ => ("definition", name.clone()),
            };
            let child = place.child(&[keyword, name], noun, child_name);
            let old_value = old_entries
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| *value);
            let new_value = new_entries
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| *value);
            match (old_value, new_value) {
                (Some(old_value), Some(new_value)) => self.schema(old_value, new_value, &child),
                _ => {
                    let kind = presence(old_value.is_some(), new_value.is_some());
                    let mut description = format!("{} {}", child.subject(), verb(kind));
                    let required = new_schema
                        .get("required")
                        .and_then(Value::as_array)
                        .is_some_and(|names| {
                            names.iter().any(|required| required == name.as_str())
                        });
                    if keyword == "properties" && kind == ChangeKind::Added && required {
                        description.push_str(" (required)");
                    }
                    let anchors: Vec<Anchor> = match keyword {
                        // A definition counts only where a `$ref` uses it.
                        "definitions" | "$defs" => Vec::new(),
                        "dependentSchemas" => {
                            let mut anchors: Vec<Anchor> = Anchor::both(&child.path()).into();
                            anchors.extend(Anchor::both(&place.below(&["dependencies", name])));
                            anchors
                        }
                        _ => Anchor::both(&child.path()).into(),
                    };
                    self.push(
                        kind,
                        child.path(),
                        description,
                        (text(old_value), text(new_value)),
                        anchors,
                    );
                }
            }
        }
    }

    /// `allOf`, `anyOf`, `oneOf`, and tuple items (`items` as a list, `prefixItems`).
    fn schema_list(
        &mut self,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        place: &Place,
    ) {
        let empty = Vec::new();
        let old_items = old.and_then(Value::as_array).unwrap_or(&empty);
        let new_items = new.and_then(Value::as_array).unwrap_or(&empty);
        let tuple = matches!(keyword, "items" | "prefixItems");
        let longest = old_items.len().max(new_items.len());
        for index in 0..longest {
            let position = index.to_string();
            let name = if tuple {
                let array = if place.name.is_empty() {
                    "items"
                } else {
                    &place.name
                };
                format!("{array}[{index}]")
            } else {
                place.join(&format!("{keyword}[{index}]"))
            };
            let child = place.child(&[keyword, &position], place.inner_noun(), name);
            match (old_items.get(index), new_items.get(index)) {
                (Some(old_item), Some(new_item)) => self.schema(old_item, new_item, &child),
                (old_item, new_item) => {
                    let kind = presence(old_item.is_some(), new_item.is_some());
                    let what = "subschema";
                    let mut anchors: Vec<Anchor> = Anchor::both(&child.path()).into();
                    if tuple {
                        // The engine names tuple items `items/n` in every draft.
                        anchors.extend(Anchor::both(&place.below(&["items", &position])));
                    } else {
                        anchors.extend(
                            Anchor::both(&place.path()).map(|anchor| anchor.with_rules(TYPE_RULES)),
                        );
                    }
                    let what = if tuple {
                        "tuple item".to_owned()
                    } else {
                        format!("{keyword} {what}")
                    };
                    self.push(
                        kind,
                        child.path(),
                        format!("{} {what} #{index} {}", place.subject(), verb(kind)),
                        (text(old_item), text(new_item)),
                        anchors,
                    );
                }
            }
        }
    }

    fn single_schema(
        &mut self,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        place: &Place,
    ) {
        let name = match keyword {
            "items" if !place.name.is_empty() => format!("{}[]", place.name),
            "additionalProperties" => place.join("*"),
            _ => place.join(keyword),
        };
        let noun = match keyword {
            "additionalProperties" => "property",
            _ => place.inner_noun(),
        };
        let child = place.child(&[keyword], noun, name);
        match (old, new) {
            (Some(old @ Value::Object(_)), Some(new @ Value::Object(_))) => {
                self.schema(old, new, &child)
            }
            _ => {
                let kind = presence(old.is_some(), new.is_some());
                let description = match kind {
                    ChangeKind::Changed => format!(
                        "{} {keyword} changed from {} to {}",
                        place.subject(),
                        old.map(short_json).unwrap_or_default(),
                        new.map(short_json).unwrap_or_default()
                    ),
                    _ => format!(
                        "{} {keyword} {} {}",
                        place.subject(),
                        new.or(old).map(short_json).unwrap_or_default(),
                        verb(kind)
                    ),
                };
                let mut anchors: Vec<Anchor> = Anchor::both(&child.path()).into();
                if kind != ChangeKind::Changed {
                    // A keyword of another kind of schema can change what
                    // the engine takes the schema for.
                    anchors.extend(
                        Anchor::both(&place.path()).map(|anchor| anchor.with_rules(TYPE_RULES)),
                    );
                }
                self.push(
                    kind,
                    child.path(),
                    description,
                    (text(old), text(new)),
                    anchors,
                );
            }
        }
    }

    /// `dependencies` and `dependentRequired`: property lists or schemas by name.
    fn dependencies(
        &mut self,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        place: &Place,
    ) {
        let (old_entries, new_entries) = (entries(old), entries(new));
        for pair in by_name(&old_entries, &new_entries) {
            let name = match pair {
                (_, Some(index)) => new_entries[index].0,
                (Some(index), None) => old_entries[index].0,
                (None, None) => continue,
            };
            let old_value = old_entries
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| *value);
            let new_value = new_entries
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| *value);
            if old_value == new_value {
                continue;
            }
            let child = place.child(&[keyword, name], "dependency schema", place.join(name));
            if let (Some(old_value @ Value::Object(_)), Some(new_value @ Value::Object(_))) =
                (old_value, new_value)
            {
                self.schema(old_value, new_value, &child);
                continue;
            }
            let kind = presence(old_value.is_some(), new_value.is_some());
            let description = match kind {
                ChangeKind::Changed => format!(
                    "{} dependency of `{name}` changed from {} to {}",
                    place.subject(),
                    old_value.map(short_json).unwrap_or_default(),
                    new_value.map(short_json).unwrap_or_default()
                ),
                _ => format!(
                    "{} dependency of `{name}` {} {}",
                    place.subject(),
                    new_value.or(old_value).map(short_json).unwrap_or_default(),
                    verb(kind)
                ),
            };
            let mut anchors: Vec<Anchor> = Anchor::both(&child.path()).into();
            anchors.extend(Anchor::both(&place.below(&["dependencies", name])));
            self.push(
                kind,
                child.path(),
                description,
                (text(old_value), text(new_value)),
                anchors,
            );
        }
    }

    fn constraint(
        &mut self,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        place: &Place,
    ) {
        let kind = presence(old.is_some(), new.is_some());
        let description = match kind {
            ChangeKind::Changed => format!(
                "{} {keyword} changed from {} to {}",
                place.subject(),
                old.map(short_json).unwrap_or_default(),
                new.map(short_json).unwrap_or_default()
            ),
            _ => format!(
                "{} {keyword} {} {}",
                place.subject(),
                new.or(old).map(short_json).unwrap_or_default(),
                verb(kind)
            ),
        };
        let here = place.below(&[keyword]);
        let mut anchors: Vec<Anchor> = Anchor::both(&here).into();
        if kind != ChangeKind::Changed || keyword == "const" {
            // A keyword of another kind of schema can change what the engine
            // takes the schema for (`{}` with `maxLength` is a string).
            anchors.extend(Anchor::both(&place.path()).map(|anchor| anchor.with_rules(TYPE_RULES)));
        }
        self.push(kind, here, description, (text(old), text(new)), anchors);
    }

    fn annotation(
        &mut self,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        place: &Place,
    ) {
        let kind = presence(old.is_some(), new.is_some());
        let description = if TEXT_ANNOTATIONS.contains(&keyword) {
            format!("{} {keyword} {}", place.subject(), verb(kind))
        } else {
            match kind {
                ChangeKind::Changed => format!(
                    "{} {keyword} changed from {} to {}",
                    place.subject(),
                    old.map(short_json).unwrap_or_default(),
                    new.map(short_json).unwrap_or_default()
                ),
                _ => format!(
                    "{} {keyword} {} {}",
                    place.subject(),
                    new.or(old).map(short_json).unwrap_or_default(),
                    verb(kind)
                ),
            }
        };
        self.push(
            kind,
            place.below(&[keyword]),
            description,
            (text(old), text(new)),
            Vec::new(),
        );
    }

    fn other_keyword(
        &mut self,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        place: &Place,
    ) {
        let kind = presence(old.is_some(), new.is_some());
        let here = place.below(&[keyword]);
        self.push(
            kind,
            here.clone(),
            format!("{} keyword `{keyword}` {}", place.subject(), verb(kind)),
            (text(old), text(new)),
            Anchor::both(&here).into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_lead_through_references_and_synthetic_parts() {
        let document = json!({
            "definitions": {"Address": {"type": "object", "properties": {"zip": {"type": "string", "enum": ["a"]}}}},
            "properties": {
                "home": {"$ref": "#/definitions/Address"},
                "tag": {"$ref": "#tag"},
                "remote": {"$ref": "dep.json#/definitions/x"}
            },
            "$defs": {"t": {"$anchor": "tag", "type": "string"}}
        });
        let dependency = json!({"definitions": {"x": {"properties": {"id": {"type": "string"}}}}});
        let documents: Documents<'_> = vec![(None, &document), (Some("dep.json"), &dependency)];
        let resolved = |path| resolve(&documents, path);
        assert_eq!(
            resolved("#/properties/home/properties/zip/allOf/0/enum").as_deref(),
            Some("#/definitions/Address/properties/zip/enum")
        );
        assert_eq!(
            resolved("#/properties/home").as_deref(),
            Some("#/definitions/Address")
        );
        assert_eq!(
            resolved("#/properties/home/required/zip").as_deref(),
            Some("#/definitions/Address/required/zip")
        );
        assert_eq!(resolved("#/properties/tag").as_deref(), Some("#/$defs/t"));
        assert_eq!(
            resolved("#/properties/remote/properties/id").as_deref(),
            Some("dep.json#/definitions/x/properties/id")
        );
        assert_eq!(resolved("#/").as_deref(), Some("#/"));
    }
}
