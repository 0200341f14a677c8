//! Whether a document is a JSON Schema of its draft: checked against the
//! draft's meta-schema (bundled in the jsonschema crate, never fetched), and
//! every `pattern` / `patternProperties` regex compiled under size limits.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::model::{compile_pattern, REGEX_SIZE_LIMIT};
use super::resolve::{describe, Document, Index};
use super::Draft;

/// The first meta-schema violation of `schema`, as `at '#/pointer': what is wrong`.
pub(crate) fn meta_schema(schema: &Value, draft: Draft) -> Result<(), String> {
    let validator = match draft {
        Draft::Draft4 => jsonschema::draft4::meta::validator(),
        Draft::Draft6 => jsonschema::draft6::meta::validator(),
        Draft::Draft7 => jsonschema::draft7::meta::validator(),
        Draft::Draft201909 => jsonschema::draft201909::meta::validator(),
        Draft::Draft202012 => jsonschema::draft202012::meta::validator(),
    };
    // Confluent (the everit loader) accepts empty or repeating `allOf`,
    // `anyOf`, `oneOf`, `enum` and `required` lists, which the meta-schemas
    // refuse; so does Accord.
    let relevant = |error: &jsonschema::ValidationError<'_>| {
        !matches!(
            error.kind(),
            ValidationErrorKind::MinItems { .. } | ValidationErrorKind::UniqueItems
        )
    };
    let first = validator.iter_errors(schema).find(relevant).map(|error| {
        format!(
            "at '#{}': {error} (checked against the {} meta-schema)",
            error.instance_path().as_str(),
            draft.name()
        )
    });
    match first {
        Some(message) => Err(message),
        None => Ok(()),
    }
}

/// Compiles every regex of the schema's own document.
pub(crate) fn patterns(documents: &[Document], index: &Index) -> Result<(), String> {
    for (location, pattern) in &index.patterns {
        if compile_pattern(pattern).is_err() {
            return Err(format!(
                "at '{}': '{pattern}' is not a valid regular expression, or compiles to more than Accord allows ({} KiB)",
                describe(documents, location),
                REGEX_SIZE_LIMIT / 1024
            ));
        }
    }
    Ok(())
}
