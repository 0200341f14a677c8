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
//!   An explicit `unevaluated…: true` counts as absent. Two schemas of
//!   different types that both carry Kafka Connect's `"connect.type": "bytes"`
//!   are compatible, as in Confluent 8.
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

mod engine;
mod explain;
#[cfg(test)]
mod tests;

use super::model::{Kind, Model};
use super::JsonSchema;
use crate::{CompatibilityPolicy, Direction, Incompatibility, SchemaType};
use engine::{absolute, Difference, Engine, NodeRef};
use explain::{describe, fix};

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
        Engine::compare_roots(self.models, policy)
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
