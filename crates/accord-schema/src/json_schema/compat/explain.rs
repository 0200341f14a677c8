//! What a difference means for a person: Confluent's sentence, and how to fix it.

use crate::Direction;

/// Confluent's sentence for a difference; `update_role` and `original_role`
/// fill its two `%s` in that order.
pub(super) fn describe(rule: &str, path: &str, update_role: &str, original_role: &str) -> String {
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
pub(super) fn fix(
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
