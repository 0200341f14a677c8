//! JSON Schema compatibility per Confluent's `SchemaDiff`.
//!
//! Confluent compares an *original* schema with an *update*: for BACKWARD the
//! original is the old schema and the update the new one (the new schema reads
//! old data); for FORWARD the roles swap. Each difference has a type, a JSON
//! path (`#/properties/a`) and a sentence whose two `%s` are filled with the
//! update's and the original's role (`new`/`old` for BACKWARD, `old`/`new` for
//! FORWARD). A difference is incompatible unless its type is in the policy's
//! compatible set; the same set decides, inside the comparison, which
//! `anyOf`/`oneOf`/`allOf` branches match and whether a property is covered by
//! a partially open content model.
//!
//! What is compared follows the everit model Confluent builds (see `model`):
//! `$ref`s are followed first; combined schemas against plain ones try the
//! singleton, the sum (`anyOf`/`oneOf` gaining a branch) and the product
//! (`allOf` losing one) cases; two combined schemas are matched branch to
//! branch by a maximum bipartite matching of compatible pairs; objects compare
//! `required`, `properties` against the content model (open: no
//! `additionalProperties`/`patternProperties`/`unevaluatedProperties` limit;
//! closed: `additionalProperties: false`; partially open: a schema there),
//! dependencies, `additionalProperties`, `unevaluatedProperties` and the
//! bounds; arrays compare `items`, tuple items against the array's content
//! model, `additionalItems`, `unevaluatedItems` and the bounds. A pair of
//! schemas met again while it is still being compared (a recursive schema) is
//! assumed compatible; results are memoised per pair, and comparisons nested
//! deeper than `MAX_DEPTH` are assumed compatible too.
//!
//! Names and sentences are Confluent 7.9's, which the recorded conformance data
//! come from. Where later releases differ:
//! - STRICT reports a property added to an open content model as 7.9's
//!   `PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`. LENIENT (a Confluent 8 policy)
//!   uses 8's split of it: `REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`
//!   (still incompatible), `REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL`
//!   and `OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL` (compatible).
//! - `PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL` keeps 7.9's sentence ("The old
//!   has a closed content model …", without "schema").
//! - `maxContains`/`minContains` and `unevaluatedProperties`/`unevaluatedItems`
//!   (2019-09 and later) are compared as Confluent 8 does; 7.9 ignored them.
//!   An explicit `unevaluated…: true` counts as absent.
//! - `SCHEMA_ADDED` (e.g. `items` added) has an empty sentence in Confluent;
//!   Accord gives it the "keyword … is not present" sentence.
//! - Confluent 7.9 compares `exclusiveMaximum` against the update's `maximum`
//!   and fails when that is absent; Accord compares the two limits.
//!   `multipleOf` is compared exactly (Confluent truncates to integers and
//!   divides by zero for fractions below 1).
//! - Properties, dependencies and `required` are visited in the order of
//!   Java's `HashSet` of their names, so several differences come out in
//!   Confluent's order.
//!
//! `RESERVED_PROPERTY_REMOVED` and `RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY`
//! come from the `confluent:reserved` metadata property, not from the schemas:
//! see [`reserved_property_incompatibilities`].

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::Value;

use super::model::{Additional, ArraySchema, Criterion, Kind, Model, NodeId, ObjectSchema};
use super::JsonSchema;
use crate::{CompatibilityPolicy, Direction, Incompatibility, SchemaType};

/// Every difference type of Confluent's JSON Schema `SchemaDiff` that a
/// comparison of two schemas can report, compatible or not.
pub const DIFFERENCE_TYPES: &[&str] = &[
    "ID_CHANGED",
    "DESCRIPTION_CHANGED",
    "TITLE_CHANGED",
    "DEFAULT_CHANGED",
    "SCHEMA_ADDED",
    "SCHEMA_REMOVED",
    "TYPE_EXTENDED",
    "TYPE_NARROWED",
    "TYPE_CHANGED",
    "MAX_LENGTH_ADDED",
    "MAX_LENGTH_REMOVED",
    "MAX_LENGTH_INCREASED",
    "MAX_LENGTH_DECREASED",
    "MIN_LENGTH_ADDED",
    "MIN_LENGTH_REMOVED",
    "MIN_LENGTH_INCREASED",
    "MIN_LENGTH_DECREASED",
    "PATTERN_ADDED",
    "PATTERN_REMOVED",
    "PATTERN_CHANGED",
    "MAXIMUM_ADDED",
    "MAXIMUM_REMOVED",
    "MAXIMUM_INCREASED",
    "MAXIMUM_DECREASED",
    "MINIMUM_ADDED",
    "MINIMUM_REMOVED",
    "MINIMUM_INCREASED",
    "MINIMUM_DECREASED",
    "EXCLUSIVE_MAXIMUM_ADDED",
    "EXCLUSIVE_MAXIMUM_REMOVED",
    "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_DECREASED",
    "EXCLUSIVE_MINIMUM_ADDED",
    "EXCLUSIVE_MINIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_INCREASED",
    "EXCLUSIVE_MINIMUM_DECREASED",
    "MULTIPLE_OF_ADDED",
    "MULTIPLE_OF_REMOVED",
    "MULTIPLE_OF_EXPANDED",
    "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_CHANGED",
    "REQUIRED_ATTRIBUTE_ADDED",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    "REQUIRED_ATTRIBUTE_REMOVED",
    "MAX_PROPERTIES_ADDED",
    "MAX_PROPERTIES_REMOVED",
    "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_DECREASED",
    "MIN_PROPERTIES_ADDED",
    "MIN_PROPERTIES_REMOVED",
    "MIN_PROPERTIES_INCREASED",
    "MIN_PROPERTIES_DECREASED",
    "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_REMOVED",
    "ADDITIONAL_PROPERTIES_EXTENDED",
    "ADDITIONAL_PROPERTIES_NARROWED",
    "DEPENDENCY_ARRAY_ADDED",
    "DEPENDENCY_ARRAY_REMOVED",
    "DEPENDENCY_ARRAY_EXTENDED",
    "DEPENDENCY_ARRAY_NARROWED",
    "DEPENDENCY_ARRAY_CHANGED",
    "DEPENDENCY_SCHEMA_ADDED",
    "DEPENDENCY_SCHEMA_REMOVED",
    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "UNEVALUATED_PROPERTIES_ADDED",
    "UNEVALUATED_PROPERTIES_REMOVED",
    "UNEVALUATED_PROPERTIES_EXTENDED",
    "UNEVALUATED_PROPERTIES_NARROWED",
    "MAX_ITEMS_ADDED",
    "MAX_ITEMS_REMOVED",
    "MAX_ITEMS_INCREASED",
    "MAX_ITEMS_DECREASED",
    "MIN_ITEMS_ADDED",
    "MIN_ITEMS_REMOVED",
    "MIN_ITEMS_INCREASED",
    "MIN_ITEMS_DECREASED",
    "MAX_CONTAINS_ADDED",
    "MAX_CONTAINS_REMOVED",
    "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_DECREASED",
    "MIN_CONTAINS_ADDED",
    "MIN_CONTAINS_REMOVED",
    "MIN_CONTAINS_INCREASED",
    "MIN_CONTAINS_DECREASED",
    "UNIQUE_ITEMS_ADDED",
    "UNIQUE_ITEMS_REMOVED",
    "ADDITIONAL_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_REMOVED",
    "ADDITIONAL_ITEMS_EXTENDED",
    "ADDITIONAL_ITEMS_NARROWED",
    "UNEVALUATED_ITEMS_ADDED",
    "UNEVALUATED_ITEMS_REMOVED",
    "UNEVALUATED_ITEMS_EXTENDED",
    "UNEVALUATED_ITEMS_NARROWED",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED",
    "ENUM_ARRAY_NARROWED",
    "ENUM_ARRAY_CHANGED",
    "COMBINED_TYPE_EXTENDED",
    "COMBINED_TYPE_CHANGED",
    "PRODUCT_TYPE_EXTENDED",
    "PRODUCT_TYPE_NARROWED",
    "SUM_TYPE_EXTENDED",
    "SUM_TYPE_NARROWED",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    "NOT_TYPE_EXTENDED",
    "NOT_TYPE_NARROWED",
];

/// The difference types of Confluent's `SchemaDiff` that come from the
/// `confluent:reserved` metadata property rather than from the schemas.
pub const METADATA_DIFFERENCE_TYPES: &[&str] = &[
    "RESERVED_PROPERTY_REMOVED",
    "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY",
];

/// The difference types compatible under STRICT (Confluent's default set).
const COMPATIBLE_STRICT: &[&str] = &[
    "ID_CHANGED",
    "DESCRIPTION_CHANGED",
    "TITLE_CHANGED",
    "DEFAULT_CHANGED",
    "SCHEMA_REMOVED",
    "TYPE_EXTENDED",
    "MAX_LENGTH_INCREASED",
    "MAX_LENGTH_REMOVED",
    "MIN_LENGTH_DECREASED",
    "MIN_LENGTH_REMOVED",
    "PATTERN_REMOVED",
    "MAXIMUM_INCREASED",
    "MAXIMUM_REMOVED",
    "MINIMUM_DECREASED",
    "MINIMUM_REMOVED",
    "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_DECREASED",
    "EXCLUSIVE_MINIMUM_REMOVED",
    "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_REMOVED",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    "REQUIRED_ATTRIBUTE_REMOVED",
    "DEPENDENCY_ARRAY_NARROWED",
    "DEPENDENCY_ARRAY_REMOVED",
    "DEPENDENCY_SCHEMA_REMOVED",
    "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_REMOVED",
    "MIN_PROPERTIES_DECREASED",
    "MIN_PROPERTIES_REMOVED",
    "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_EXTENDED",
    "UNEVALUATED_PROPERTIES_ADDED",
    "UNEVALUATED_PROPERTIES_EXTENDED",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "MAX_ITEMS_INCREASED",
    "MAX_ITEMS_REMOVED",
    "MIN_ITEMS_DECREASED",
    "MIN_ITEMS_REMOVED",
    "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_REMOVED",
    "MIN_CONTAINS_DECREASED",
    "MIN_CONTAINS_REMOVED",
    "UNIQUE_ITEMS_REMOVED",
    "ADDITIONAL_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_EXTENDED",
    "UNEVALUATED_ITEMS_ADDED",
    "UNEVALUATED_ITEMS_EXTENDED",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED",
    "COMBINED_TYPE_EXTENDED",
    "PRODUCT_TYPE_NARROWED",
    "SUM_TYPE_EXTENDED",
    "NOT_TYPE_NARROWED",
];

/// What LENIENT accepts on top of STRICT.
const COMPATIBLE_LENIENT_EXTRA: &[&str] = &[
    "ADDITIONAL_PROPERTIES_NARROWED",
    "ADDITIONAL_PROPERTIES_REMOVED",
    "UNEVALUATED_PROPERTIES_NARROWED",
    "UNEVALUATED_PROPERTIES_REMOVED",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
];

/// Whether a difference type is compatible under `policy`.
pub fn is_compatible(rule: &str, policy: CompatibilityPolicy) -> bool {
    COMPATIBLE_STRICT.contains(&rule)
        || (policy == CompatibilityPolicy::Lenient && COMPATIBLE_LENIENT_EXTRA.contains(&rule))
}

/// One difference between two schemas, compatible or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Confluent's difference type.
    pub rule: &'static str,
    /// Where, as a JSON pointer (`#/properties/a`).
    pub path: String,
    /// Whether the policy accepts it.
    pub compatible: bool,
}

/// Every incompatibility between `new` and `old` in `direction` under `policy`.
pub fn incompatibilities(
    new: &JsonSchema,
    old: &JsonSchema,
    direction: Direction,
    policy: CompatibilityPolicy,
) -> Vec<Incompatibility> {
    let comparison = Comparison::new(new, old, direction);
    comparison
        .differences(policy)
        .into_iter()
        .filter(|difference| !is_compatible(difference.rule, policy))
        .map(|difference| comparison.explain(&difference))
        .collect()
}

/// Every difference Confluent's comparison finds between `new` and `old` in
/// `direction`, the compatible ones included, in Confluent's order.
pub fn changes(
    new: &JsonSchema,
    old: &JsonSchema,
    direction: Direction,
    policy: CompatibilityPolicy,
) -> Vec<Change> {
    Comparison::new(new, old, direction)
        .differences(policy)
        .into_iter()
        .map(|difference| Change {
            rule: difference.rule,
            compatible: is_compatible(difference.rule, policy),
            path: absolute(&difference.path),
        })
        .collect()
}

/// Confluent's `validateFields` check of the `confluent:reserved` metadata
/// property (comma-separated names): a reserved name dropped from the
/// metadata, or a top-level property named like a reserved one. `old_reserved`
/// and `new_reserved` are the names each version's metadata reserves.
pub fn reserved_property_incompatibilities(
    new: &JsonSchema,
    old: &JsonSchema,
    old_reserved: &[&str],
    new_reserved: &[&str],
    direction: Direction,
) -> Vec<Incompatibility> {
    let (original_reserved, update_reserved, update, update_role, original_role) = match direction {
        Direction::Backward => (old_reserved, new_reserved, new, "new", "old"),
        Direction::Forward => (new_reserved, old_reserved, old, "old", "new"),
    };
    let trim = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|name| name.trim())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let original_reserved = trim(original_reserved);
    let update_reserved = trim(update_reserved);
    let mut found = Vec::new();
    for name in &original_reserved {
        if !update_reserved.contains(name) {
            found.push(Incompatibility {
                schema_type: SchemaType::Json,
                rule: "RESERVED_PROPERTY_REMOVED",
                path: name.clone(),
                description: format!(
                    "The {update_role} schema has reserved property '{name}' removed from its metadata which is present in the {original_role} schema."
                ),
                detail: String::new(),
                old_fragment: Some(name.clone()),
                new_fragment: None,
                direction,
                fix: format!(
                    "keep `{name}` in the `confluent:reserved` metadata of the new version: a reserved name stays reserved"
                ),
            });
        }
    }
    let model = update.model();
    if let Kind::Object(object) = &model.node(model.root).kind {
        for (name, node) in &object.properties {
            if update_reserved.contains(name) {
                let path = format!("#/properties/{name}");
                found.push(Incompatibility {
                    schema_type: SchemaType::Json,
                    rule: "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY",
                    path: path.clone(),
                    description: format!(
                        "The {update_role} schema has property at path '{path}' that conflicts with the reserved properties which is missing in the {original_role} schema."
                    ),
                    detail: String::new(),
                    old_fragment: None,
                    new_fragment: model.fragment(*node, None),
                    direction,
                    fix: format!(
                        "rename property `{name}`: the name is reserved in the metadata and may not be used again"
                    ),
                });
            }
        }
    }
    found
}

/// A node of one of the two compared models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct NodeRef {
    model: usize,
    id: NodeId,
}

/// One difference, with its path relative to the pair of schemas it was found in.
#[derive(Clone, Debug)]
struct Difference {
    rule: &'static str,
    path: String,
    /// The original's and the update's schema at the difference.
    original: Option<NodeRef>,
    update: Option<NodeRef>,
    /// The keyword whose value differs there, if the difference is about one.
    keyword: Option<&'static str>,
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}/{path}"),
    }
}

fn absolute(path: &str) -> String {
    format!("#/{path}")
}

/// The comparison nesting beyond which a pair is assumed compatible.
const MAX_DEPTH: usize = 64;

/// The two schemas of a check, in Confluent's roles.
struct Comparison<'a> {
    /// `[original, update]`.
    models: [&'a Model; 2],
    direction: Direction,
}

impl<'a> Comparison<'a> {
    fn new(new: &'a JsonSchema, old: &'a JsonSchema, direction: Direction) -> Self {
        let models = match direction {
            Direction::Backward => [old.model(), new.model()],
            Direction::Forward => [new.model(), old.model()],
        };
        Comparison { models, direction }
    }

    fn differences(&self, policy: CompatibilityPolicy) -> Vec<Difference> {
        let mut engine = Engine {
            models: self.models,
            policy,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            depth: 0,
        };
        let mut out = Vec::new();
        let original = NodeRef {
            model: 0,
            id: self.models[0].root,
        };
        let update = NodeRef {
            model: 1,
            id: self.models[1].root,
        };
        engine.compare(&mut out, "", Some(original), Some(update));
        out
    }

    /// The roles' names: the update's first, as Confluent fills its sentences.
    fn roles(&self) -> (&'static str, &'static str) {
        match self.direction {
            Direction::Backward => ("new", "old"),
            Direction::Forward => ("old", "new"),
        }
    }

    fn fragment(&self, node: Option<NodeRef>, keyword: Option<&str>) -> Option<String> {
        let node = node?;
        self.models[node.model].fragment(node.id, keyword)
    }

    fn explain(&self, difference: &Difference) -> Incompatibility {
        let path = absolute(&difference.path);
        let (update_role, original_role) = self.roles();
        let original = self.fragment(difference.original, difference.keyword);
        let update = self.fragment(difference.update, difference.keyword);
        let (old_fragment, new_fragment) = match self.direction {
            Direction::Backward => (original, update),
            Direction::Forward => (update, original),
        };
        let detail = match (&old_fragment, &new_fragment, difference.keyword) {
            (Some(old), Some(new), Some(keyword)) => format!("{keyword}: old {old}, new {new}"),
            (Some(old), None, Some(keyword)) => format!("{keyword}: old {old}, new absent"),
            (None, Some(new), Some(keyword)) => format!("{keyword}: old absent, new {new}"),
            _ => String::new(),
        };
        Incompatibility {
            schema_type: SchemaType::Json,
            rule: difference.rule,
            description: describe(difference.rule, &path, update_role, original_role),
            fix: fix(
                difference.rule,
                self.direction,
                &difference.path,
                old_fragment.as_deref(),
                new_fragment.as_deref(),
            ),
            path,
            detail,
            old_fragment,
            new_fragment,
            direction: self.direction,
        }
    }
}

struct Engine<'a> {
    models: [&'a Model; 2],
    policy: CompatibilityPolicy,
    memo: HashMap<(NodeRef, NodeRef), Rc<Vec<Difference>>>,
    in_progress: HashSet<(NodeRef, NodeRef)>,
    depth: usize,
}

impl Engine<'_> {
    fn kind(&self, node: NodeRef) -> &Kind {
        &self.models[node.model].node(node.id).kind
    }

    fn follow(&self, node: NodeRef) -> NodeRef {
        NodeRef {
            model: node.model,
            id: self.models[node.model].follow(node.id),
        }
    }

    fn compatible(&self, differences: &[Difference]) -> bool {
        differences
            .iter()
            .all(|difference| is_compatible(difference.rule, self.policy))
    }

    fn difference(
        rule: &'static str,
        path: &str,
        original: Option<NodeRef>,
        update: Option<NodeRef>,
        keyword: Option<&'static str>,
    ) -> Difference {
        Difference {
            rule,
            path: path.to_owned(),
            original,
            update,
            keyword,
        }
    }

    fn extend(out: &mut Vec<Difference>, prefix: &str, differences: &[Difference]) {
        out.extend(differences.iter().map(|difference| Difference {
            path: join(prefix, &difference.path),
            ..difference.clone()
        }));
    }

    /// Compares two optional subschemas found at `path`.
    fn compare(
        &mut self,
        out: &mut Vec<Difference>,
        path: &str,
        original: Option<NodeRef>,
        update: Option<NodeRef>,
    ) {
        match (original, update) {
            (None, None) => {}
            (None, Some(_)) => out.push(Self::difference("SCHEMA_ADDED", path, None, update, None)),
            (Some(_), None) => out.push(Self::difference(
                "SCHEMA_REMOVED",
                path,
                original,
                None,
                None,
            )),
            (Some(original), Some(update)) => {
                let differences = self.pair(original, update);
                Self::extend(out, path, &differences);
            }
        }
    }

    /// The differences of a pair of schemas, relative to the pair.
    fn pair(&mut self, original: NodeRef, update: NodeRef) -> Rc<Vec<Difference>> {
        let key = (self.follow(original), self.follow(update));
        if let Some(found) = self.memo.get(&key) {
            return Rc::clone(found);
        }
        if self.depth >= MAX_DEPTH || !self.in_progress.insert(key) {
            // A recursive schema meeting itself, or too deep to follow: assumed compatible.
            return Rc::new(Vec::new());
        }
        self.depth += 1;
        let differences = Rc::new(self.compute(key.0, key.1));
        self.depth -= 1;
        self.in_progress.remove(&key);
        self.memo.insert(key, Rc::clone(&differences));
        differences
    }

    fn subschemas(&self, node: NodeRef) -> Option<(Criterion, Vec<NodeRef>)> {
        match self.kind(node) {
            Kind::Combined {
                criterion,
                subschemas,
            } => Some((
                *criterion,
                subschemas
                    .iter()
                    .map(|id| NodeRef {
                        model: node.model,
                        id: *id,
                    })
                    .collect(),
            )),
            _ => None,
        }
    }

    fn compute(&mut self, original: NodeRef, update: NodeRef) -> Vec<Difference> {
        let here = |rule| Self::difference(rule, "", Some(original), Some(update), None);
        match (self.subschemas(original), self.subschemas(update)) {
            (None, Some((criterion, subschemas))) => {
                if subschemas.len() == 1 {
                    let differences = self.pair(original, subschemas[0]);
                    if self.compatible(&differences) {
                        return differences.to_vec();
                    }
                } else if criterion != Criterion::All {
                    for subschema in subschemas {
                        let differences = self.pair(original, subschema);
                        if self.compatible(&differences) {
                            let mut differences = differences.to_vec();
                            differences.push(here("SUM_TYPE_EXTENDED"));
                            return differences;
                        }
                    }
                }
            }
            (Some((criterion, subschemas)), None) => {
                if subschemas.len() == 1 {
                    let differences = self.pair(subschemas[0], update);
                    if self.compatible(&differences) {
                        return differences.to_vec();
                    }
                } else if criterion == Criterion::All {
                    for subschema in subschemas {
                        let differences = self.pair(subschema, update);
                        if self.compatible(&differences) {
                            let mut differences = differences.to_vec();
                            differences.push(here("PRODUCT_TYPE_NARROWED"));
                            return differences;
                        }
                    }
                }
            }
            _ => {}
        }
        let original_node = self.models[original.model].node(original.id);
        let update_node = self.models[update.model].node(update.id);
        if original_node.class() != update_node.class() {
            let both_bytes = original_node.connect_type.as_deref() == Some("bytes")
                && update_node.connect_type.as_deref() == Some("bytes");
            if matches!(original_node.kind, Kind::False)
                || update_node.is_empty_schema()
                || both_bytes
            {
                return Vec::new();
            }
            return vec![here("TYPE_CHANGED")];
        }
        let mut out = Vec::new();
        if original_node.id != update_node.id {
            out.push(here("ID_CHANGED"));
        }
        if original_node.title != update_node.title {
            out.push(here("TITLE_CHANGED"));
        }
        if original_node.description != update_node.description {
            out.push(here("DESCRIPTION_CHANGED"));
        }
        if original_node.default != update_node.default {
            out.push(here("DEFAULT_CHANGED"));
        }
        let keyword = |rule, keyword| {
            Self::difference(rule, keyword, Some(original), Some(update), Some(keyword))
        };
        match (&original_node.kind, &update_node.kind) {
            (Kind::String(a), Kind::String(b)) => {
                bound(
                    &mut out,
                    keyword,
                    "maxLength",
                    a.max_length,
                    b.max_length,
                    MAX_LENGTH,
                );
                bound(
                    &mut out,
                    keyword,
                    "minLength",
                    a.min_length,
                    b.min_length,
                    MIN_LENGTH,
                );
                match (&a.pattern, &b.pattern) {
                    (None, Some(_)) => out.push(keyword("PATTERN_ADDED", "pattern")),
                    (Some(_), None) => out.push(keyword("PATTERN_REMOVED", "pattern")),
                    (Some(a), Some(b)) if a != b => out.push(keyword("PATTERN_CHANGED", "pattern")),
                    _ => {}
                }
            }
            (Kind::Number(a), Kind::Number(b)) => {
                bound(&mut out, keyword, "maximum", a.maximum, b.maximum, MAXIMUM);
                bound(&mut out, keyword, "minimum", a.minimum, b.minimum, MINIMUM);
                bound(
                    &mut out,
                    keyword,
                    "exclusiveMaximum",
                    a.exclusive_maximum,
                    b.exclusive_maximum,
                    EXCLUSIVE_MAXIMUM,
                );
                bound(
                    &mut out,
                    keyword,
                    "exclusiveMinimum",
                    a.exclusive_minimum,
                    b.exclusive_minimum,
                    EXCLUSIVE_MINIMUM,
                );
                match (a.multiple_of, b.multiple_of) {
                    (None, Some(_)) => out.push(keyword("MULTIPLE_OF_ADDED", "multipleOf")),
                    (Some(_), None) => out.push(keyword("MULTIPLE_OF_REMOVED", "multipleOf")),
                    (Some(a), Some(b)) if a != b => {
                        let rule = if is_multiple(b, a) {
                            "MULTIPLE_OF_EXPANDED"
                        } else if is_multiple(a, b) {
                            "MULTIPLE_OF_REDUCED"
                        } else {
                            "MULTIPLE_OF_CHANGED"
                        };
                        out.push(keyword(rule, "multipleOf"));
                    }
                    _ => {}
                }
                if a.requires_integer && !b.requires_integer {
                    out.push(here("TYPE_EXTENDED"));
                } else if !a.requires_integer && b.requires_integer {
                    out.push(here("TYPE_NARROWED"));
                }
            }
            (Kind::Enum(a), Kind::Enum(b)) => {
                let a: HashSet<String> = a.iter().map(value_key).collect();
                let b: HashSet<String> = b.iter().map(value_key).collect();
                let a_in_b = a.is_subset(&b);
                let b_in_a = b.is_subset(&a);
                match (a_in_b, b_in_a) {
                    (true, true) => {}
                    (true, false) => out.push(keyword("ENUM_ARRAY_EXTENDED", "enum")),
                    (false, true) => out.push(keyword("ENUM_ARRAY_NARROWED", "enum")),
                    (false, false) => out.push(keyword("ENUM_ARRAY_CHANGED", "enum")),
                }
            }
            (Kind::Const(a), Kind::Const(b)) if a != b => {
                out.push(keyword("ENUM_ARRAY_CHANGED", "const"));
            }
            (Kind::Opaque(a), Kind::Opaque(b)) if a != b => {
                out.push(here("TYPE_CHANGED"));
            }
            (Kind::Combined { .. }, Kind::Combined { .. }) => {
                self.combined(&mut out, original, update);
            }
            (Kind::Not(a), Kind::Not(b)) => {
                // What the update must not match has to exclude no more than the
                // original's: compare them the other way round.
                let a = NodeRef {
                    model: original.model,
                    id: *a,
                };
                let b = NodeRef {
                    model: update.model,
                    id: *b,
                };
                let reversed = self.pair(b, a);
                let rule = if self.compatible(&reversed) {
                    "NOT_TYPE_NARROWED"
                } else {
                    "NOT_TYPE_EXTENDED"
                };
                out.push(Self::difference(rule, "not", Some(a), Some(b), None));
            }
            (Kind::Object(a), Kind::Object(b)) => {
                let (a, b) = (a.clone(), b.clone());
                self.object(&mut out, original, update, &a, &b);
            }
            (Kind::Array(a), Kind::Array(b)) => {
                let (a, b) = (a.clone(), b.clone());
                self.array(&mut out, original, update, &a, &b);
            }
            _ => {}
        }
        out
    }

    fn combined(&mut self, out: &mut Vec<Difference>, original: NodeRef, update: NodeRef) {
        let (
            Some((original_criterion, original_subschemas)),
            Some((update_criterion, update_subschemas)),
        ) = (self.subschemas(original), self.subschemas(update))
        else {
            return;
        };
        let here = |rule| Self::difference(rule, "", Some(original), Some(update), None);
        let criterion_change = if original_criterion == update_criterion {
            None
        } else {
            match update_criterion {
                Criterion::Any => Some("COMBINED_TYPE_EXTENDED"),
                Criterion::One if original_subschemas.len() == 1 => Some("COMBINED_TYPE_EXTENDED"),
                Criterion::All
                    if original_subschemas.len() == 1 && update_subschemas.len() == 1 =>
                {
                    Some("COMBINED_TYPE_EXTENDED")
                }
                _ => Some("COMBINED_TYPE_CHANGED"),
            }
        };
        if let Some(rule) = criterion_change {
            out.push(here(rule));
            if rule == "COMBINED_TYPE_CHANGED" {
                return;
            }
        }
        let original_subschemas = self.distinct(original_subschemas);
        let update_subschemas = self.distinct(update_subschemas);
        let (original_count, update_count) = (original_subschemas.len(), update_subschemas.len());
        let product = update_criterion == Criterion::All;
        if original_count < update_count {
            out.push(here(if product {
                "PRODUCT_TYPE_EXTENDED"
            } else {
                "SUM_TYPE_EXTENDED"
            }));
        } else if original_count > update_count {
            out.push(here(if product {
                "PRODUCT_TYPE_NARROWED"
            } else {
                "SUM_TYPE_NARROWED"
            }));
        }
        let mut edges: Vec<Vec<(usize, Rc<Vec<Difference>>)>> = Vec::new();
        for original_subschema in &original_subschemas {
            let mut compatible = Vec::new();
            for (index, update_subschema) in update_subschemas.iter().enumerate() {
                let differences = self.pair(*original_subschema, *update_subschema);
                if self.compatible(&differences) {
                    compatible.push((index, differences));
                }
            }
            edges.push(compatible);
        }
        let matching = maximum_matching(&edges, update_count);
        let mut matched = 0;
        for (index, partner) in matching.iter().enumerate() {
            if let Some(partner) = partner {
                matched += 1;
                let (_, differences) = edges[index]
                    .iter()
                    .find(|(candidate, _)| candidate == partner)
                    .expect("matched along an edge");
                let prefix = format!("{}/{index}", original_criterion.keyword());
                Self::extend(out, &prefix, differences);
            }
        }
        if matched < original_count.min(update_count) {
            out.push(here("COMBINED_TYPE_SUBSCHEMAS_CHANGED"));
        }
    }

    /// Subschemas without repeats (Confluent collects them in a set).
    fn distinct(&self, subschemas: Vec<NodeRef>) -> Vec<NodeRef> {
        let mut seen = HashSet::new();
        subschemas
            .into_iter()
            .filter(|subschema| {
                let model = self.models[subschema.model];
                let key = if model.node(subschema.id).part {
                    format!("part {}", subschema.id)
                } else {
                    model.fragment(subschema.id, None).unwrap_or_default()
                };
                seen.insert(key)
            })
            .collect()
    }

    fn node_ref(model: usize, id: NodeId) -> NodeRef {
        NodeRef { model, id }
    }

    fn object(
        &mut self,
        out: &mut Vec<Difference>,
        original: NodeRef,
        update: NodeRef,
        a: &ObjectSchema,
        b: &ObjectSchema,
    ) {
        let (om, um) = (original.model, update.model);
        let at = |rule, path: String, o: Option<NodeRef>, u: Option<NodeRef>, keyword| Difference {
            rule,
            path,
            original: o,
            update: u,
            keyword,
        };
        // required
        let a_properties: HashMap<&str, NodeId> = a
            .properties
            .iter()
            .map(|(name, id)| (name.as_str(), *id))
            .collect();
        let b_properties: HashMap<&str, NodeId> = b
            .properties
            .iter()
            .map(|(name, id)| (name.as_str(), *id))
            .collect();
        let a_required: HashSet<&str> = a.required.iter().map(String::as_str).collect();
        let b_required: HashSet<&str> = b.required.iter().map(String::as_str).collect();
        let original_names: Vec<&str> =
            a.properties.iter().map(|(name, _)| name.as_str()).collect();
        for name in java_hash_order(&original_names, &[], None) {
            if let Some(&property) = b_properties.get(name) {
                let path = format!("required/{name}");
                let was = a_required.contains(name);
                let is = b_required.contains(name);
                if was && !is {
                    out.push(at(
                        "REQUIRED_ATTRIBUTE_REMOVED",
                        path,
                        Some(original),
                        Some(update),
                        Some("required"),
                    ));
                } else if !was && is {
                    let rule = if self.has_default(Self::node_ref(um, property)) {
                        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"
                    } else {
                        "REQUIRED_ATTRIBUTE_ADDED"
                    };
                    out.push(at(
                        rule,
                        path,
                        Some(original),
                        Some(update),
                        Some("required"),
                    ));
                }
            }
        }
        // properties
        let update_names: Vec<&str> = b.properties.iter().map(|(name, _)| name.as_str()).collect();
        let lenient = self.policy == CompatibilityPolicy::Lenient;
        for name in java_hash_order(&original_names, &update_names, Some(original_names.len())) {
            let path = format!("properties/{name}");
            let original_property = a_properties.get(name).map(|id| Self::node_ref(om, *id));
            let update_property = b_properties.get(name).map(|id| Self::node_ref(um, *id));
            match (original_property, update_property) {
                (Some(original_property), None) => {
                    if self.object_is_open(um, b) {
                        out.push(at(
                            "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
                            path,
                            Some(original_property),
                            None,
                            None,
                        ));
                    } else if let Some(cover) = self.object_cover(um, b, name) {
                        let mut covered = Vec::new();
                        self.compare(&mut covered, &path, Some(original_property), Some(cover));
                        let rule = if self.compatible(&covered) {
                            "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                        } else {
                            "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                        };
                        out.extend(covered);
                        out.push(at(rule, path, Some(original_property), Some(cover), None));
                    } else {
                        let rule = if matches!(self.kind(original_property), Kind::False) {
                            "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                        } else {
                            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                        };
                        out.push(at(rule, path, Some(original_property), None, None));
                    }
                }
                (None, Some(update_property)) => {
                    let required = b_required.contains(name);
                    let with_default = self.has_default(update_property);
                    if self.object_is_open(om, a) {
                        let empty = self.models[um].node(update_property.id).is_empty_schema();
                        let rule = if empty {
                            "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                        } else if !lenient {
                            "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                        } else if !required {
                            "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                        } else if with_default {
                            "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
                        } else {
                            "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                        };
                        out.push(at(rule, path, None, Some(update_property), None));
                    } else {
                        if let Some(cover) = self.object_cover(om, a, name) {
                            let mut covered = Vec::new();
                            self.compare(&mut covered, &path, Some(cover), Some(update_property));
                            let rule = if self.compatible(&covered) {
                                "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                            } else {
                                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                            };
                            out.extend(covered);
                            out.push(at(
                                rule,
                                path.clone(),
                                Some(cover),
                                Some(update_property),
                                None,
                            ));
                        }
                        let rule = match (required, with_default) {
                            (true, true) => {
                                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
                            }
                            (true, false) => "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                            (false, _) => "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                        };
                        out.push(at(rule, path, None, Some(update_property), None));
                    }
                }
                (Some(original_property), Some(update_property)) => {
                    self.compare(out, &path, Some(original_property), Some(update_property));
                }
                (None, None) => {}
            }
        }
        // dependencies
        let original_keys: Vec<&str> = a
            .property_dependencies
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        let update_keys: Vec<&str> = b
            .property_dependencies
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        for name in java_hash_order(&original_keys, &update_keys, Some(original_keys.len())) {
            let path = format!("dependencies/{name}");
            let was = a
                .property_dependencies
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, names)| names);
            let is = b
                .property_dependencies
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, names)| names);
            let rule = match (was, is) {
                (_, None) => Some("DEPENDENCY_ARRAY_REMOVED"),
                (None, Some(_)) => Some("DEPENDENCY_ARRAY_ADDED"),
                (Some(was), Some(is)) => {
                    let was_in_is = was.iter().all(|name| is.contains(name));
                    let is_in_was = is.iter().all(|name| was.contains(name));
                    match (was_in_is, is_in_was) {
                        (true, true) => None,
                        (true, false) => Some("DEPENDENCY_ARRAY_EXTENDED"),
                        (false, true) => Some("DEPENDENCY_ARRAY_NARROWED"),
                        (false, false) => Some("DEPENDENCY_ARRAY_CHANGED"),
                    }
                }
            };
            if let Some(rule) = rule {
                out.push(at(
                    rule,
                    path,
                    Some(original),
                    Some(update),
                    Some("dependencies"),
                ));
            }
        }
        let original_keys: Vec<&str> = a
            .schema_dependencies
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        let update_keys: Vec<&str> = b
            .schema_dependencies
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        for name in java_hash_order(&original_keys, &update_keys, Some(original_keys.len())) {
            let path = format!("dependencies/{name}");
            let was = a
                .schema_dependencies
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, id)| Self::node_ref(om, *id));
            let is = b
                .schema_dependencies
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, id)| Self::node_ref(um, *id));
            match (was, is) {
                (_, None) => out.push(at("DEPENDENCY_SCHEMA_REMOVED", path, was, None, None)),
                (None, Some(_)) => out.push(at("DEPENDENCY_SCHEMA_ADDED", path, None, is, None)),
                (Some(_), Some(_)) => self.compare(out, &path, was, is),
            }
        }
        // additionalProperties
        self.additional(
            out,
            (original, update),
            (a.additional, b.additional),
            "additionalProperties",
            [
                "ADDITIONAL_PROPERTIES_ADDED",
                "ADDITIONAL_PROPERTIES_REMOVED",
                "ADDITIONAL_PROPERTIES_EXTENDED",
                "ADDITIONAL_PROPERTIES_NARROWED",
            ],
        );
        // unevaluatedProperties
        self.unevaluated(
            out,
            (original, update),
            (a.unevaluated, b.unevaluated),
            "unevaluatedProperties",
            [
                "UNEVALUATED_PROPERTIES_ADDED",
                "UNEVALUATED_PROPERTIES_REMOVED",
                "UNEVALUATED_PROPERTIES_EXTENDED",
                "UNEVALUATED_PROPERTIES_NARROWED",
            ],
        );
        let keyword = |rule, keyword| {
            Self::difference(rule, keyword, Some(original), Some(update), Some(keyword))
        };
        bound(
            out,
            keyword,
            "maxProperties",
            a.max_properties,
            b.max_properties,
            MAX_PROPERTIES,
        );
        bound(
            out,
            keyword,
            "minProperties",
            a.min_properties,
            b.min_properties,
            MIN_PROPERTIES,
        );
    }

    fn has_default(&self, node: NodeRef) -> bool {
        self.models[node.model].node(node.id).default.is_some()
    }

    /// A node that is `true`/`{}` (or absent) for the `unevaluated…` keywords.
    fn unconstrained(&self, node: Option<NodeRef>) -> Option<NodeRef> {
        node.filter(|node| !self.models[node.model].node(node.id).is_empty_schema())
    }

    fn object_is_open(&self, model: usize, object: &ObjectSchema) -> bool {
        object.pattern_properties.is_empty()
            && object.additional == Additional::Permitted
            && self
                .unconstrained(object.unevaluated.map(|id| Self::node_ref(model, id)))
                .is_none()
    }

    /// The schema a partially open object applies to a property it does not list.
    fn object_cover(&self, model: usize, object: &ObjectSchema, name: &str) -> Option<NodeRef> {
        for (pattern, node) in &object.pattern_properties {
            if self.models[model].patterns[*pattern].is_match(name) {
                return Some(Self::node_ref(model, *node));
            }
        }
        if let Some(node) = object.additional.schema() {
            return Some(Self::node_ref(model, node));
        }
        if object.additional == Additional::Permitted {
            let unevaluated = object.unevaluated.map(|id| Self::node_ref(model, id));
            return self
                .unconstrained(unevaluated)
                .filter(|node| !matches!(self.kind(*node), Kind::False));
        }
        None
    }

    fn additional(
        &mut self,
        out: &mut Vec<Difference>,
        (original, update): (NodeRef, NodeRef),
        (a, b): (Additional, Additional),
        keyword: &'static str,
        [added, removed, extended, narrowed]: [&'static str; 4],
    ) {
        let at =
            |rule| Self::difference(rule, keyword, Some(original), Some(update), Some(keyword));
        if a.permits() != b.permits() {
            out.push(at(if b.permits() { added } else { removed }));
        } else {
            match (a.schema(), b.schema()) {
                (None, Some(_)) => out.push(at(narrowed)),
                (Some(_), None) => out.push(at(extended)),
                (Some(a), Some(b)) => self.compare(
                    out,
                    keyword,
                    Some(Self::node_ref(original.model, a)),
                    Some(Self::node_ref(update.model, b)),
                ),
                (None, None) => {}
            }
        }
    }

    fn unevaluated(
        &mut self,
        out: &mut Vec<Difference>,
        (original, update): (NodeRef, NodeRef),
        (a, b): (Option<NodeId>, Option<NodeId>),
        keyword: &'static str,
        [added, removed, extended, narrowed]: [&'static str; 4],
    ) {
        let a = self.unconstrained(a.map(|id| Self::node_ref(original.model, id)));
        let b = self.unconstrained(b.map(|id| Self::node_ref(update.model, id)));
        let at =
            |rule| Self::difference(rule, keyword, Some(original), Some(update), Some(keyword));
        let is_false = |engine: &Self, node: NodeRef| matches!(engine.kind(node), Kind::False);
        match (a, b) {
            (None, None) => {}
            (None, Some(b)) => out.push(at(if is_false(self, b) { removed } else { narrowed })),
            (Some(a), None) => out.push(at(if is_false(self, a) { added } else { extended })),
            (Some(a), Some(b)) => match (is_false(self, a), is_false(self, b)) {
                (true, false) => out.push(at(added)),
                (false, true) => out.push(at(removed)),
                (true, true) => {}
                (false, false) => self.compare(out, keyword, Some(a), Some(b)),
            },
        }
    }

    fn array_is_open(&self, model: usize, array: &ArraySchema) -> bool {
        array.additional == Additional::Permitted
            && self
                .unconstrained(array.unevaluated.map(|id| Self::node_ref(model, id)))
                .is_none()
    }

    /// The schema a partially open array applies to items past its tuple.
    fn array_cover(&self, model: usize, array: &ArraySchema) -> Option<NodeRef> {
        if let Some(node) = array.additional.schema() {
            return Some(Self::node_ref(model, node));
        }
        if array.additional == Additional::Permitted {
            let unevaluated = array.unevaluated.map(|id| Self::node_ref(model, id));
            return self
                .unconstrained(unevaluated)
                .filter(|node| !matches!(self.kind(*node), Kind::False));
        }
        None
    }

    fn array(
        &mut self,
        out: &mut Vec<Difference>,
        original: NodeRef,
        update: NodeRef,
        a: &ArraySchema,
        b: &ArraySchema,
    ) {
        let (om, um) = (original.model, update.model);
        self.compare(
            out,
            "items",
            a.all_items.map(|id| Self::node_ref(om, id)),
            b.all_items.map(|id| Self::node_ref(um, id)),
        );
        let shared = a.item_schemas.len().min(b.item_schemas.len());
        for index in 0..shared {
            self.compare(
                out,
                &format!("items/{index}"),
                Some(Self::node_ref(om, a.item_schemas[index])),
                Some(Self::node_ref(um, b.item_schemas[index])),
            );
        }
        let at = |rule, path: String, o: Option<NodeRef>, u: Option<NodeRef>| Difference {
            rule,
            path,
            original: o,
            update: u,
            keyword: None,
        };
        let update_open = self.array_is_open(um, b);
        for index in shared..a.item_schemas.len() {
            let path = format!("items/{index}");
            let item = Self::node_ref(om, a.item_schemas[index]);
            if update_open {
                out.push(at(
                    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
                    path,
                    Some(item),
                    None,
                ));
            } else if let Some(cover) = self.array_cover(um, b) {
                let mut covered = Vec::new();
                self.compare(&mut covered, &path, Some(item), Some(cover));
                let rule = if self.compatible(&covered) {
                    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                } else {
                    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                };
                out.extend(covered);
                out.push(at(rule, path, Some(item), Some(cover)));
            } else {
                let rule = if matches!(self.kind(item), Kind::False) {
                    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                } else {
                    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                };
                out.push(at(rule, path, Some(item), None));
            }
        }
        let original_open = self.array_is_open(om, a);
        for index in shared..b.item_schemas.len() {
            let path = format!("items/{index}");
            let item = Self::node_ref(um, b.item_schemas[index]);
            if original_open {
                let rule = if self.models[um].node(item.id).is_empty_schema() {
                    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                } else {
                    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"
                };
                out.push(at(rule, path, None, Some(item)));
            } else if let Some(cover) = self.array_cover(om, a) {
                let mut covered = Vec::new();
                self.compare(&mut covered, &path, Some(cover), Some(item));
                let rule = if self.compatible(&covered) {
                    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                } else {
                    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                };
                out.extend(covered);
                out.push(at(rule, path, Some(cover), Some(item)));
            } else {
                out.push(at(
                    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
                    path,
                    None,
                    Some(item),
                ));
            }
        }
        self.additional(
            out,
            (original, update),
            (a.additional, b.additional),
            "additionalItems",
            [
                "ADDITIONAL_ITEMS_ADDED",
                "ADDITIONAL_ITEMS_REMOVED",
                "ADDITIONAL_ITEMS_EXTENDED",
                "ADDITIONAL_ITEMS_NARROWED",
            ],
        );
        self.unevaluated(
            out,
            (original, update),
            (a.unevaluated, b.unevaluated),
            "unevaluatedItems",
            [
                "UNEVALUATED_ITEMS_ADDED",
                "UNEVALUATED_ITEMS_REMOVED",
                "UNEVALUATED_ITEMS_EXTENDED",
                "UNEVALUATED_ITEMS_NARROWED",
            ],
        );
        let keyword = |rule, keyword| {
            Self::difference(rule, keyword, Some(original), Some(update), Some(keyword))
        };
        bound(
            out,
            keyword,
            "maxItems",
            a.max_items,
            b.max_items,
            MAX_ITEMS,
        );
        bound(
            out,
            keyword,
            "minItems",
            a.min_items,
            b.min_items,
            MIN_ITEMS,
        );
        if a.unique_items != b.unique_items {
            out.push(keyword(
                if a.unique_items {
                    "UNIQUE_ITEMS_REMOVED"
                } else {
                    "UNIQUE_ITEMS_ADDED"
                },
                "uniqueItems",
            ));
        }
        bound(
            out,
            keyword,
            "maxContains",
            a.max_contains,
            b.max_contains,
            MAX_CONTAINS,
        );
        bound(
            out,
            keyword,
            "minContains",
            a.min_contains,
            b.min_contains,
            MIN_CONTAINS,
        );
    }
}

/// The `ADDED`, `REMOVED`, `INCREASED`, `DECREASED` names of a bound.
type BoundRules = [&'static str; 4];
const MAX_LENGTH: BoundRules = [
    "MAX_LENGTH_ADDED",
    "MAX_LENGTH_REMOVED",
    "MAX_LENGTH_INCREASED",
    "MAX_LENGTH_DECREASED",
];
const MIN_LENGTH: BoundRules = [
    "MIN_LENGTH_ADDED",
    "MIN_LENGTH_REMOVED",
    "MIN_LENGTH_INCREASED",
    "MIN_LENGTH_DECREASED",
];
const MAXIMUM: BoundRules = [
    "MAXIMUM_ADDED",
    "MAXIMUM_REMOVED",
    "MAXIMUM_INCREASED",
    "MAXIMUM_DECREASED",
];
const MINIMUM: BoundRules = [
    "MINIMUM_ADDED",
    "MINIMUM_REMOVED",
    "MINIMUM_INCREASED",
    "MINIMUM_DECREASED",
];
const EXCLUSIVE_MAXIMUM: BoundRules = [
    "EXCLUSIVE_MAXIMUM_ADDED",
    "EXCLUSIVE_MAXIMUM_REMOVED",
    "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_DECREASED",
];
const EXCLUSIVE_MINIMUM: BoundRules = [
    "EXCLUSIVE_MINIMUM_ADDED",
    "EXCLUSIVE_MINIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_INCREASED",
    "EXCLUSIVE_MINIMUM_DECREASED",
];
const MAX_PROPERTIES: BoundRules = [
    "MAX_PROPERTIES_ADDED",
    "MAX_PROPERTIES_REMOVED",
    "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_DECREASED",
];
const MIN_PROPERTIES: BoundRules = [
    "MIN_PROPERTIES_ADDED",
    "MIN_PROPERTIES_REMOVED",
    "MIN_PROPERTIES_INCREASED",
    "MIN_PROPERTIES_DECREASED",
];
const MAX_ITEMS: BoundRules = [
    "MAX_ITEMS_ADDED",
    "MAX_ITEMS_REMOVED",
    "MAX_ITEMS_INCREASED",
    "MAX_ITEMS_DECREASED",
];
const MIN_ITEMS: BoundRules = [
    "MIN_ITEMS_ADDED",
    "MIN_ITEMS_REMOVED",
    "MIN_ITEMS_INCREASED",
    "MIN_ITEMS_DECREASED",
];
const MAX_CONTAINS: BoundRules = [
    "MAX_CONTAINS_ADDED",
    "MAX_CONTAINS_REMOVED",
    "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_DECREASED",
];
const MIN_CONTAINS: BoundRules = [
    "MIN_CONTAINS_ADDED",
    "MIN_CONTAINS_REMOVED",
    "MIN_CONTAINS_INCREASED",
    "MIN_CONTAINS_DECREASED",
];

fn bound(
    out: &mut Vec<Difference>,
    at: impl Fn(&'static str, &'static str) -> Difference,
    keyword: &'static str,
    original: Option<f64>,
    update: Option<f64>,
    [added, removed, increased, decreased]: BoundRules,
) {
    let rule = match (original, update) {
        (None, Some(_)) => added,
        (Some(_), None) => removed,
        (Some(original), Some(update)) if original < update => increased,
        (Some(original), Some(update)) if original > update => decreased,
        _ => return,
    };
    out.push(at(rule, keyword));
}

/// Whether `value` is an integer multiple of `base`.
fn is_multiple(value: f64, base: f64) -> bool {
    if base == 0.0 {
        return false;
    }
    let ratio = value / base;
    ratio.is_finite() && ratio.abs() >= 1.0 && (ratio - ratio.round()).abs() <= 1e-9 * ratio.abs()
}

/// A maximum matching of a bipartite graph (a greedy start, then Kuhn's
/// augmenting paths, searched without recursion): for each left vertex, the
/// right vertex it is matched with.
fn maximum_matching<T>(edges: &[Vec<(usize, T)>], right_count: usize) -> Vec<Option<usize>> {
    let mut right_match: Vec<Option<usize>> = vec![None; right_count];
    let mut left_matched = vec![false; edges.len()];
    for (left, candidates) in edges.iter().enumerate() {
        if let Some((right, _)) = candidates
            .iter()
            .find(|(right, _)| right_match[*right].is_none())
        {
            right_match[*right] = Some(left);
            left_matched[left] = true;
        }
    }
    for (start, matched) in left_matched.into_iter().enumerate() {
        if matched {
            continue;
        }
        let mut visited = vec![false; right_count];
        // Each level: a left vertex and the next of its edges to try; `chosen`
        // holds the right vertex each level went through.
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        let mut chosen: Vec<usize> = Vec::new();
        while let Some(top) = stack.last_mut() {
            let (left, next) = *top;
            let Some((right, _)) = edges[left].get(next) else {
                stack.pop();
                chosen.pop();
                continue;
            };
            top.1 += 1;
            let right = *right;
            if visited[right] {
                continue;
            }
            visited[right] = true;
            chosen.push(right);
            match right_match[right] {
                Some(other) => stack.push((other, 0)),
                None => {
                    for ((left, _), right) in stack.iter().zip(&chosen) {
                        right_match[*right] = Some(*left);
                    }
                    break;
                }
            }
        }
    }
    let mut left_match = vec![None; edges.len()];
    for (right, left) in right_match.iter().enumerate() {
        if let Some(left) = left {
            left_match[*left] = Some(right);
        }
    }
    left_match
}

/// A text equal for equal JSON values, whatever their key order.
fn value_key(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(members) => {
                let mut keys: Vec<&String> = members.keys().collect();
                keys.sort();
                out.push('{');
                for key in keys {
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(&members[key], out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    write(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Java's `String.hashCode`.
fn java_hash(text: &str) -> u32 {
    let mut hash: i32 = 0;
    for unit in text.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    hash as u32
}

/// The order in which Java iterates a `HashSet<String>` built from `first`
/// (with `HashSet(Collection)`'s initial capacity when `copied` gives the
/// collection's size, else a default `HashMap`) and then `then`: by bucket
/// of the final table, ties in insertion order.
fn java_hash_order<'a>(first: &[&'a str], then: &[&'a str], copied: Option<usize>) -> Vec<&'a str> {
    let mut capacity: usize = match copied {
        Some(size) => ((size as f32 / 0.75) as usize + 1)
            .max(16)
            .next_power_of_two(),
        None => 16,
    };
    let mut inserted: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for name in first.iter().chain(then) {
        if !seen.insert(name) {
            continue;
        }
        inserted.push(name);
        if inserted.len() as f64 > capacity as f64 * 0.75 {
            capacity *= 2;
        }
    }
    let bucket = |name: &str| {
        let hash = java_hash(name);
        ((hash ^ (hash >> 16)) as usize) & (capacity - 1)
    };
    let mut ordered: Vec<(usize, usize, &str)> = inserted
        .into_iter()
        .enumerate()
        .map(|(position, name)| (bucket(name), position, name))
        .collect();
    ordered.sort();
    ordered.into_iter().map(|(_, _, name)| name).collect()
}

/// Confluent's sentence for a difference; `update_role` and `original_role`
/// fill its two `%s` in that order.
fn describe(rule: &str, path: &str, update_role: &str, original_role: &str) -> String {
    let (first, second) = (update_role, original_role);
    match rule {
        "MAXIMUM_ADDED" | "MINIMUM_ADDED" | "EXCLUSIVE_MAXIMUM_ADDED" | "EXCLUSIVE_MINIMUM_ADDED"
        | "MULTIPLE_OF_ADDED" | "MAX_LENGTH_ADDED" | "MIN_LENGTH_ADDED" | "PATTERN_ADDED"
        | "REQUIRED_ATTRIBUTE_ADDED" | "MAX_PROPERTIES_ADDED" | "MIN_PROPERTIES_ADDED"
        | "DEPENDENCY_ARRAY_ADDED" | "DEPENDENCY_SCHEMA_ADDED" | "MAX_ITEMS_ADDED"
        | "MIN_ITEMS_ADDED" | "MAX_CONTAINS_ADDED" | "MIN_CONTAINS_ADDED" | "UNIQUE_ITEMS_ADDED"
        | "ADDITIONAL_ITEMS_REMOVED" | "ADDITIONAL_PROPERTIES_REMOVED"
        | "UNEVALUATED_PROPERTIES_REMOVED" | "UNEVALUATED_ITEMS_REMOVED" | "SCHEMA_ADDED" => format!(
            "The keyword at path '{path}' in the {first} schema is not present in the {second} schema"
        ),
        "MIN_LENGTH_INCREASED" | "MINIMUM_INCREASED" | "EXCLUSIVE_MINIMUM_INCREASED"
        | "MIN_PROPERTIES_INCREASED" | "MULTIPLE_OF_EXPANDED" | "MIN_ITEMS_INCREASED"
        | "MIN_CONTAINS_INCREASED" => format!(
            "The value at path '{path}' in the {first} schema is more than its value in the {second} schema"
        ),
        "MAX_LENGTH_DECREASED" | "MAXIMUM_DECREASED" | "MAX_ITEMS_DECREASED"
        | "MAX_CONTAINS_DECREASED" | "EXCLUSIVE_MAXIMUM_DECREASED" | "MAX_PROPERTIES_DECREASED" => {
            format!(
                "The value at path '{path}' in the {first} schema is less than its value in the {second} schema"
            )
        }
        "PATTERN_CHANGED" | "MULTIPLE_OF_CHANGED" | "DEPENDENCY_ARRAY_CHANGED" => format!(
            "The value at path '{path}' is different between the {first} and {second} schema"
        ),
        "ADDITIONAL_ITEMS_NARROWED" | "ENUM_ARRAY_NARROWED" | "SUM_TYPE_NARROWED"
        | "ADDITIONAL_PROPERTIES_NARROWED" | "UNEVALUATED_PROPERTIES_NARROWED"
        | "UNEVALUATED_ITEMS_NARROWED" => format!(
            "An array or combined type at path '{path}' has fewer elements in the {first} schema than the {second} schema"
        ),
        "DEPENDENCY_ARRAY_EXTENDED" | "PRODUCT_TYPE_EXTENDED" | "SUM_TYPE_EXTENDED"
        | "NOT_TYPE_EXTENDED" => format!(
            "An array or combined type at path '{path}' has more elements in the {first} schema than the {second} schema"
        ),
        "TYPE_CHANGED" | "TYPE_NARROWED" | "COMBINED_TYPE_CHANGED"
        | "COMBINED_TYPE_SUBSCHEMAS_CHANGED" | "ENUM_ARRAY_CHANGED" => format!(
            "A type at path '{path}' is different between the {first} schema and the {second} schema"
        ),
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" | "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"
        | "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
        | "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
        | "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" => format!(
            "The {first} schema has an open content model and has a property or item at path '{path}' which is missing in the {second} schema"
        ),
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" => format!(
            "The {first} schema has an unopen content model and has a required property at path '{path}' which is missing in the {second} schema"
        ),
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" | "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL" => {
            format!(
                "The {first} has a closed content model and is missing a property or item present at path '{path}' in the {second} schema"
            )
        }
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        | "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => format!(
            "A property or item is missing in the {first} schema but present at path '{path}' in the {second} schema and is not covered by its partially open content model"
        ),
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        | "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => format!(
            "The {first} schema has a property or item at path '{path}' which is missing in the {second} schema and is not covered by its partially open content model"
        ),
        // Compatible differences: Confluent has no sentence for them.
        _ => format!("The {first} schema differs from the {second} schema at path '{path}' in a compatible way"),
    }
}

/// What a relative path names, for a person: `property `a``, `tuple item 2`,
/// `the root schema`.
fn subject(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        [""] => "the root schema".to_owned(),
        [.., "properties" | "required", name] => format!("property `{name}`"),
        [.., "dependencies", name] => format!("the dependency of `{name}`"),
        [.., "items", index] if index.parse::<usize>().is_ok() => format!("tuple item {index}"),
        [.., "items"] => "the array items".to_owned(),
        _ => format!("`#/{path}`"),
    }
}

/// The keyword a path ends with, and what the schema holding it is.
fn keyword_and_holder(path: &str) -> (&str, String) {
    match path.rsplit_once('/') {
        Some((holder, keyword)) => (keyword, subject(holder)),
        None => (path, subject("")),
    }
}

/// A fragment short enough to quote in a sentence.
fn short(fragment: &str) -> String {
    const LIMIT: usize = 60;
    match fragment.char_indices().nth(LIMIT) {
        Some((end, _)) => format!("{}…", &fragment[..end]),
        None => fragment.to_owned(),
    }
}

/// One sentence telling the author how to make the change compatible. `old`
/// and `new` are the two schemas' fragments at the difference.
fn fix(
    rule: &str,
    direction: Direction,
    path: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> String {
    let backward = direction == Direction::Backward;
    let what = subject(path);
    let (keyword, holder) = keyword_and_holder(path);
    let old_value = old.map_or_else(|| "the old value".to_owned(), short);
    let new_value = new.map_or_else(|| "the new value".to_owned(), short);
    let extras = if path.contains("items") || path.contains("Items") {
        "items"
    } else {
        "properties"
    };
    match rule {
        "TYPE_CHANGED" if backward => format!(
            "make {what} accept the old {old_value} again (e.g. anyOf [{old_value}, {new_value}]), or give the new type a new property name"
        ),
        "TYPE_CHANGED" => format!(
            "limit {what} to values the old {old_value} accepts, since old readers check it; give the new type a new property name instead"
        ),
        "TYPE_NARROWED" if backward => format!(
            "keep {what} a `number`: `integer` rejects the fractional values old data may hold"
        ),
        "TYPE_NARROWED" => format!(
            "keep {what} an `integer`: old readers reject the fractional numbers `number` lets writers send"
        ),
        "SCHEMA_ADDED" if backward => format!(
            "drop the new `{keyword}` schema from {holder}: old data was never checked against it"
        ),
        "SCHEMA_ADDED" => format!(
            "keep the `{keyword}` schema {old_value} on {holder}: old readers still check it"
        ),
        "MAX_LENGTH_ADDED" | "MIN_LENGTH_ADDED" | "PATTERN_ADDED" | "MAXIMUM_ADDED"
        | "MINIMUM_ADDED" | "EXCLUSIVE_MAXIMUM_ADDED" | "EXCLUSIVE_MINIMUM_ADDED"
        | "MULTIPLE_OF_ADDED" | "MAX_PROPERTIES_ADDED" | "MIN_PROPERTIES_ADDED"
        | "MAX_ITEMS_ADDED" | "MIN_ITEMS_ADDED" | "MAX_CONTAINS_ADDED" | "MIN_CONTAINS_ADDED"
        | "UNIQUE_ITEMS_ADDED" => {
            if backward {
                format!("drop the new `{keyword}: {new_value}` from {holder}: old data was never limited by it")
            } else {
                format!("keep `{keyword}: {old_value}` on {holder}: old readers still enforce it")
            }
        }
        "MAX_LENGTH_DECREASED" | "MAXIMUM_DECREASED" | "EXCLUSIVE_MAXIMUM_DECREASED"
        | "MAX_PROPERTIES_DECREASED" | "MAX_ITEMS_DECREASED" | "MAX_CONTAINS_DECREASED" => {
            if backward {
                format!("keep `{keyword}` of {holder} at {old_value} or more: old data may go up to {old_value}")
            } else {
                format!("keep `{keyword}` of {holder} at {old_value} or less: old readers reject anything beyond {old_value}")
            }
        }
        "MIN_LENGTH_INCREASED" | "MINIMUM_INCREASED" | "EXCLUSIVE_MINIMUM_INCREASED"
        | "MIN_PROPERTIES_INCREASED" | "MIN_ITEMS_INCREASED" | "MIN_CONTAINS_INCREASED" => {
            if backward {
                format!("keep `{keyword}` of {holder} at {old_value} or less: old data may go down to {old_value}")
            } else {
                format!("keep `{keyword}` of {holder} at {old_value} or more: old readers reject anything below {old_value}")
            }
        }
        "PATTERN_CHANGED" if backward => format!(
            "keep the pattern {old_value} on {holder}, or widen the new one so that it accepts every string the old one did"
        ),
        "PATTERN_CHANGED" => format!(
            "keep the pattern {old_value} on {holder}: old readers reject strings that only the new pattern allows"
        ),
        "MULTIPLE_OF_EXPANDED" | "MULTIPLE_OF_CHANGED" if backward => format!(
            "use a `multipleOf` on {holder} that divides {old_value} (or keep {old_value}): old data holds multiples of {old_value}"
        ),
        "MULTIPLE_OF_EXPANDED" | "MULTIPLE_OF_CHANGED" => format!(
            "use a `multipleOf` on {holder} that is a multiple of {old_value} (or keep {old_value}): old readers require multiples of {old_value}"
        ),
        "REQUIRED_ATTRIBUTE_ADDED" if backward => format!(
            "give {what} a `default`, or leave it optional: old data may not have it"
        ),
        "REQUIRED_ATTRIBUTE_ADDED" => format!(
            "keep {what} in `required`: old readers reject data without it"
        ),
        "ADDITIONAL_PROPERTIES_REMOVED" | "ADDITIONAL_ITEMS_REMOVED" if backward => format!(
            "keep {holder} open to extra {extras} (drop the new `{keyword}: false`): old data may hold {extras} the new schema does not list"
        ),
        "ADDITIONAL_PROPERTIES_REMOVED" | "ADDITIONAL_ITEMS_REMOVED" => format!(
            "keep `{keyword}: false` on {holder}: old readers reject {extras} they do not list"
        ),
        "ADDITIONAL_PROPERTIES_NARROWED" | "ADDITIONAL_ITEMS_NARROWED"
        | "UNEVALUATED_PROPERTIES_NARROWED" | "UNEVALUATED_ITEMS_NARROWED"
        | "UNEVALUATED_PROPERTIES_REMOVED" | "UNEVALUATED_ITEMS_REMOVED" => {
            if backward {
                format!("drop the new `{keyword}` limit {new_value} from {holder}: old data may hold any extra {extras}")
            } else {
                format!("keep the old `{keyword}` limit {old_value} on {holder}: old readers check every extra {extras} against it")
            }
        }
        "DEPENDENCY_ARRAY_ADDED" | "DEPENDENCY_ARRAY_EXTENDED" | "DEPENDENCY_ARRAY_CHANGED"
        | "DEPENDENCY_SCHEMA_ADDED" => {
            if backward {
                format!("drop the new requirement in {what}: old data did not have to satisfy it")
            } else {
                format!("keep {what} as the old schema had it: old readers still enforce it")
            }
        }
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" | "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
        | "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL" => {
            if backward {
                format!("close the object with additionalProperties: false in a version before adding {what}, or declare it with an empty schema {{}}: the old schema let any value through under that name")
            } else {
                format!("keep {what} in the new schema: it is open, so writers could put values under that name that old readers reject")
            }
        }
        "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" | "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" => {
            if backward {
                format!("give the new required {what} a `default`, or leave it out of `required`: old data does not have it")
            } else {
                format!("keep {what} in the new schema: old readers require it")
            }
        }
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" | "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL" => {
            if backward {
                format!("keep {what} in the new schema: it is closed, so old data carrying it would be rejected")
            } else {
                format!("add {what} to the old schema (or open it) in an earlier version: old readers are closed and reject it")
            }
        }
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        | "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => {
            if backward {
                format!("give {what} a schema that accepts everything the old schema let through for extra {extras} ({old_value}): old data may already hold it")
            } else {
                format!("keep {what} in the new schema, or make its schema for extra {extras} fit what old readers expect there ({old_value})")
            }
        }
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        | "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" => {
            if backward {
                format!("keep {what} in the new schema, or make its schema for extra {extras} accept what the old {what} allowed ({old_value})")
            } else {
                format!("declare {what} with values that the old schema for extra {extras} ({old_value}) accepts: old readers check it with that schema")
            }
        }
        "ITEM_ADDED_TO_OPEN_CONTENT_MODEL" => {
            if backward {
                format!("close the tuple with additionalItems: false in a version before adding {what}, or give it an empty schema")
            } else {
                format!("keep {what} in the new schema: without it writers may put anything there that old readers reject")
            }
        }
        "ENUM_ARRAY_NARROWED" | "ENUM_ARRAY_CHANGED" => {
            if backward {
                format!("keep every value the old `{keyword}` {old_value} of {holder} allowed: old data may hold any of them")
            } else {
                format!("allow only the values of the old `{keyword}` {old_value} on {holder}: old readers reject any other")
            }
        }
        "SUM_TYPE_NARROWED" => {
            if backward {
                format!("keep every anyOf/oneOf alternative the old schema had on {what}: old data may match any of them")
            } else {
                format!("do not add anyOf/oneOf alternatives to {what} while old readers cannot read them")
            }
        }
        "PRODUCT_TYPE_EXTENDED" => {
            if backward {
                format!("do not add allOf subschemas to {what}: old data was never checked against them")
            } else {
                format!("keep every allOf subschema of {what}: old readers still check them")
            }
        }
        "COMBINED_TYPE_CHANGED" => format!(
            "keep the allOf/anyOf/oneOf keyword of {what}: only a move to anyOf, or from a single subschema, keeps data readable"
        ),
        "COMBINED_TYPE_SUBSCHEMAS_CHANGED" => {
            if backward {
                format!("make each alternative of {what} accept what one of the old alternatives accepted (keeping enum and const values)")
            } else {
                format!("change {what} only in ways old readers accept: add enum values or alternatives once no old reader is left")
            }
        }
        "NOT_TYPE_EXTENDED" => {
            if backward {
                format!("do not widen the `not` schema of {holder}: it would forbid values old data may hold")
            } else {
                format!("do not narrow the `not` schema of {holder}: old readers still forbid what it used to exclude")
            }
        }
        _ => format!("revert the change to {what}, or make it under a compatibility level that allows it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> JsonSchema {
        JsonSchema::parse(text, &[]).expect("valid schema")
    }

    fn rules(
        new: &str,
        old: &str,
        direction: Direction,
        policy: CompatibilityPolicy,
    ) -> Vec<String> {
        incompatibilities(&schema(new), &schema(old), direction, policy)
            .into_iter()
            .map(|found| format!("{} {}", found.rule, found.path))
            .collect()
    }

    fn strict(new: &str, old: &str, direction: Direction) -> Vec<String> {
        rules(new, old, direction, CompatibilityPolicy::Strict)
    }

    #[test]
    fn java_hash_set_order() {
        assert_eq!(java_hash("foo"), 101574);
        assert_eq!(
            java_hash_order(&["foo"], &["bar"], Some(1)),
            vec!["bar", "foo"]
        );
        // Beyond 12 names the table grows and the order follows the bigger table.
        let names: Vec<String> = (0..20).map(|index| format!("p{index}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let ordered = java_hash_order(&names, &[], None);
        assert_eq!(ordered.len(), 20);
        assert_eq!(&ordered[..3], &["p0", "p1", "p2"]);
    }

    #[test]
    fn content_models() {
        let open = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
        let open_more =
            r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#;
        let closed = r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
        let closed_more = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#;
        let partial = r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}"#;
        let partial_string = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"additionalProperties":{"type":"integer"}}"#;
        assert_eq!(
            strict(open_more, open, Direction::Backward),
            ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
        );
        assert!(strict(open_more, open, Direction::Forward).is_empty());
        assert!(strict(closed_more, closed, Direction::Backward).is_empty());
        assert_eq!(
            strict(closed_more, closed, Direction::Forward),
            ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b"]
        );
        assert_eq!(
            strict(partial_string, partial, Direction::Backward),
            [
                "TYPE_CHANGED #/properties/b",
                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/b"
            ]
        );
        // LENIENT accepts an optional property added to an open model, not a required one.
        assert!(rules(
            open_more,
            open,
            Direction::Backward,
            CompatibilityPolicy::Lenient
        )
        .is_empty());
        let required_more = r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"]}"#;
        assert_eq!(
            rules(
                required_more,
                open,
                Direction::Backward,
                CompatibilityPolicy::Lenient
            ),
            ["REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
        );
    }

    #[test]
    fn pattern_properties_cover_added_properties() {
        let old = r#"{"properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}}"#;
        let new = r#"{"properties":{"foo":{"type":"string"},"I_1":{"type":"number"},"S_1":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}}"#;
        assert!(strict(new, old, Direction::Backward).is_empty());
        let found: Vec<String> = changes(
            &schema(new),
            &schema(old),
            Direction::Backward,
            CompatibilityPolicy::Strict,
        )
        .into_iter()
        .map(|change| format!("{} {}", change.rule, change.path))
        .collect();
        assert!(
            found.contains(
                &"PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/I_1"
                    .to_owned()
            ),
            "{found:?}"
        );
        assert_eq!(
            strict(new, old, Direction::Forward),
            [
                "TYPE_NARROWED #/properties/I_1",
                "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/I_1"
            ]
        );
    }

    #[test]
    fn combined_types_match_branches() {
        let two = r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#;
        let three =
            r#"{"oneOf":[{"type":"boolean"},{"type":"integer"},{"type":"string","title":"s"}]}"#;
        assert!(strict(three, two, Direction::Backward).is_empty());
        assert_eq!(
            strict(three, two, Direction::Forward),
            ["SUM_TYPE_NARROWED #/"]
        );
        // Branches are matched one to one: two old branches cannot share one new branch.
        let numbers = r#"{"anyOf":[{"type":"integer"},{"type":"number"}]}"#;
        let number = r#"{"anyOf":[{"type":"number"},{"type":"string"}]}"#;
        assert_eq!(
            strict(number, numbers, Direction::Backward),
            ["COMBINED_TYPE_SUBSCHEMAS_CHANGED #/"]
        );
        assert_eq!(
            strict(
                r#"{"type":"string"}"#,
                r#"{"type":"string","enum":["a"]}"#,
                Direction::Backward
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            strict(
                r#"{"type":"string","enum":["a"]}"#,
                r#"{"type":"string","enum":["a","b"]}"#,
                Direction::Backward
            ),
            ["COMBINED_TYPE_SUBSCHEMAS_CHANGED #/"]
        );
        assert_eq!(
            strict(
                r#"{"anyOf":[{"type":"string"}]}"#,
                r#"{"oneOf":[{"type":"string"}]}"#,
                Direction::Backward
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            strict(
                r#"{"oneOf":[{"type":"string"}]}"#,
                r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#,
                Direction::Backward
            ),
            ["COMBINED_TYPE_CHANGED #/"]
        );
    }

    #[test]
    fn not_compares_the_other_way_round() {
        let number = r#"{"not":{"type":"number"}}"#;
        let integer = r#"{"not":{"type":"integer"}}"#;
        assert!(strict(integer, number, Direction::Backward).is_empty());
        assert_eq!(
            strict(number, integer, Direction::Backward),
            ["NOT_TYPE_EXTENDED #/not"]
        );
    }

    #[test]
    fn recursive_schemas_terminate() {
        let old =
            r##"{"type":"object","properties":{"value":{"type":"integer"},"next":{"$ref":"#"}}}"##;
        let new =
            r##"{"type":"object","properties":{"value":{"type":"number"},"next":{"$ref":"#"}}}"##;
        assert!(strict(new, old, Direction::Backward).is_empty());
        assert_eq!(
            strict(new, old, Direction::Forward),
            ["TYPE_NARROWED #/properties/value"]
        );
        let mutual_old = r##"{"definitions":{"a":{"type":"object","properties":{"b":{"$ref":"#/definitions/b"}}},"b":{"type":"object","properties":{"a":{"$ref":"#/definitions/a"},"n":{"type":"string"}}}},"$ref":"#/definitions/a"}"##;
        let mutual_new = r##"{"definitions":{"a":{"type":"object","properties":{"b":{"$ref":"#/definitions/b"}}},"b":{"type":"object","properties":{"a":{"$ref":"#/definitions/a"},"n":{"type":"integer"}}}},"$ref":"#/definitions/a"}"##;
        assert_eq!(
            strict(mutual_new, mutual_old, Direction::Backward),
            ["TYPE_CHANGED #/properties/b/properties/n"]
        );
    }

    #[test]
    fn wide_combinations_stay_fast() {
        // 40 alternatives of 40 alternatives: memoised pairs keep this quick.
        let alternatives: Vec<String> = (0..40)
            .map(|index| {
                format!(
                    r#"{{"type":"object","properties":{{"k{index}":{{"anyOf":[{}]}}}}}}"#,
                    (0..40)
                        .map(|inner| format!(r#"{{"const":{inner}}}"#))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        let text = format!(r#"{{"anyOf":[{}]}}"#, alternatives.join(","));
        let parsed = schema(&text);
        assert!(incompatibilities(
            &parsed,
            &parsed,
            Direction::Backward,
            CompatibilityPolicy::Strict
        )
        .is_empty());
    }

    #[test]
    fn messages_are_confluents() {
        let found = incompatibilities(
            &schema(r#"{"type":"string","maxLength":5}"#),
            &schema(r#"{"type":"string","maxLength":10}"#),
            Direction::Backward,
            CompatibilityPolicy::Strict,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].confluent_message(),
            "{errorType:\"MAX_LENGTH_DECREASED\", description:\"The value at path '#/maxLength' in the new schema is less than its value in the old schema'}"
        );
        assert_eq!(found[0].old_fragment.as_deref(), Some("10"));
        assert_eq!(found[0].new_fragment.as_deref(), Some("5"));
        assert!(found[0].fix.contains("at 10 or more"), "{}", found[0].fix);
    }

    #[test]
    fn reserved_properties() {
        let old = schema(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#);
        let new = schema(
            r#"{"type":"object","properties":{"a":{"type":"string"},"status":{"type":"string"}}}"#,
        );
        let found = reserved_property_incompatibilities(
            &new,
            &old,
            &["cost", "status"],
            &["status"],
            Direction::Backward,
        );
        let rules: Vec<(&str, &str)> = found
            .iter()
            .map(|found| (found.rule, found.path.as_str()))
            .collect();
        assert_eq!(
            rules,
            [
                ("RESERVED_PROPERTY_REMOVED", "cost"),
                (
                    "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY",
                    "#/properties/status"
                )
            ]
        );
    }

    #[test]
    fn the_deepest_accepted_documents_compare_without_overflow() {
        // serde_json accepts up to 127 nested containers.
        let nested = |leaf: &str, depth: usize| {
            format!(
                "{}{{\"type\":\"{leaf}\"}}{}",
                "{\"not\":".repeat(depth),
                "}".repeat(depth)
            )
        };
        let old = JsonSchema::parse(&nested("string", 126), &[]).expect("old");
        let new = JsonSchema::parse(&nested("integer", 126), &[]).expect("new");
        let _ = incompatibilities(&new, &old, Direction::Backward, CompatibilityPolicy::Strict);
        let properties = |leaf: &str, depth: usize| {
            format!(
                "{}{{\"type\":\"{leaf}\"}}{}",
                "{\"properties\":{\"p\":".repeat(depth),
                "}}".repeat(depth)
            )
        };
        let old = JsonSchema::parse(&properties("string", 63), &[]).expect("old");
        let new = JsonSchema::parse(&properties("integer", 63), &[]).expect("new");
        let found = incompatibilities(&new, &old, Direction::Backward, CompatibilityPolicy::Strict);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn long_reference_chains_stay_within_the_stack() {
        let chain = |leaf: &str| {
            let definitions: Vec<String> = (0..400)
                .map(|index| {
                    format!(
                        r##""d{index}":{{"type":"object","properties":{{"next":{{"$ref":"#/definitions/d{}"}},"v":{{"oneOf":[{{"type":"string"}},{{"type":"integer"}}]}}}}}}"##,
                        index + 1
                    )
                })
                .collect();
            format!(
                r##"{{"definitions":{{{},"d400":{{"type":"{leaf}"}}}},"$ref":"#/definitions/d0"}}"##,
                definitions.join(",")
            )
        };
        let old = JsonSchema::parse(&chain("string"), &[]).expect("old");
        let new = JsonSchema::parse(&chain("integer"), &[]).expect("new");
        let found = incompatibilities(&new, &old, Direction::Backward, CompatibilityPolicy::Strict);
        // The change sits deeper than Accord follows, so it is assumed compatible.
        assert!(found.len() <= 1, "{found:?}");
    }

    #[test]
    fn large_schemas_compare_quickly() {
        let properties = |changed: &str| {
            let members: Vec<String> = (0..5000)
                .map(|index| {
                    let kind = if index == 4321 { changed } else { "string" };
                    format!(r#""p{index}":{{"type":"{kind}"}}"#)
                })
                .collect();
            format!(
                r#"{{"type":"object","properties":{{{}}},"required":["p1","p2"]}}"#,
                members.join(",")
            )
        };
        let old = schema(&properties("string"));
        let new = schema(&properties("integer"));
        assert_eq!(
            strict(
                &properties("integer"),
                &properties("string"),
                Direction::Backward
            ),
            ["TYPE_CHANGED #/properties/p4321"]
        );
        let _ = (old, new);
        let values = |extra: usize| {
            let values: Vec<String> = (0..20_000 + extra)
                .map(|index| format!(r#""v{index}""#))
                .collect();
            format!(r#"{{"enum":[{}]}}"#, values.join(","))
        };
        assert_eq!(
            strict(&values(0), &values(1), Direction::Backward),
            ["ENUM_ARRAY_NARROWED #/enum"]
        );
        // Many mutually compatible alternatives: the matching stays fast.
        let alternatives = |count: usize| {
            let items: Vec<String> = (0..count)
                .map(|index| format!(r#"{{"description":"d{index}"}}"#))
                .collect();
            format!(r#"{{"anyOf":[{}]}}"#, items.join(","))
        };
        assert!(strict(&alternatives(300), &alternatives(300), Direction::Backward).is_empty());
    }
}
