//! JSON Schema documents: drafts 4, 6, 7, 2019-09 and 2020-12.

pub mod compat;

use serde_json::Value;

use crate::{ResolvedReference, SchemaError};

/// A parsed JSON Schema with the schemas its `$ref`s may point to.
#[derive(Clone, Debug)]
pub struct JsonSchema {
    root: Value,
}

impl JsonSchema {
    pub fn parse(text: &str, _references: &[ResolvedReference<'_>]) -> Result<Self, SchemaError> {
        let root =
            serde_json::from_str(text).map_err(|error| SchemaError::Invalid(error.to_string()))?;
        Ok(JsonSchema { root })
    }

    pub fn canonical(&self) -> String {
        self.root.to_string()
    }

    pub fn normalized(&self) -> String {
        self.root.to_string()
    }
}
