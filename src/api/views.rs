//! Response bodies, as Confluent shapes them.

use serde::Serialize;
use serde_json::Value;

use accord_schema::SchemaType;

use crate::domain::{SchemaId, SchemaReference, Version};
use crate::registry::SchemaView;

fn is_avro(schema_type: &SchemaType) -> bool {
    *schema_type == SchemaType::Avro
}

fn schema_type_name<S: serde::Serializer>(
    schema_type: &SchemaType,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(schema_type.as_str())
}

/// The schema object of Confluent's API. `schemaType` is left out for Avro
/// and `references` when empty, as Confluent (≤7.9) does. A schema alone
/// (by id, GUID, version or lookup) carries its `guid`, as Confluent 8
/// answers and header-framing clients need; lists leave it out, as
/// Confluent 7 does.
#[derive(Serialize)]
pub struct SchemaBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<SchemaId>,
    #[serde(
        rename = "schemaType",
        skip_serializing_if = "is_avro",
        serialize_with = "schema_type_name"
    )]
    pub schema_type: SchemaType,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub references: &'a [SchemaReference],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a Value>,
    #[serde(rename = "ruleSet", skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<&'a Value>,
    pub schema: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<&'a str>,
    #[serde(rename = "maxId", skip_serializing_if = "Option::is_none")]
    pub max_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aliases: Option<&'a [String]>,
}

impl<'a> SchemaBody<'a> {
    fn new(view: &'a SchemaView) -> Self {
        SchemaBody {
            subject: None,
            version: None,
            id: None,
            schema_type: view.schema_type,
            references: &view.references,
            metadata: view.metadata.as_ref(),
            rule_set: view.rule_set.as_ref(),
            schema: &view.schema,
            guid: None,
            max_id: None,
            aliases: None,
        }
    }

    /// `/schemas/ids/{id}` and `/schemas/guids/{guid}`: no id, subject or
    /// version, with the GUID.
    pub fn by_id(view: &'a SchemaView) -> Self {
        SchemaBody {
            guid: Some(&view.guid),
            ..SchemaBody::new(view)
        }
    }

    /// A version of a subject, or a lookup's answer: with subject, version,
    /// id and GUID.
    pub fn of_version(view: &'a SchemaView) -> Self {
        SchemaBody {
            subject: view.subject.as_deref(),
            version: view.version,
            id: Some(view.id),
            guid: Some(&view.guid),
            ..SchemaBody::new(view)
        }
    }

    /// An entry of `/schemas`: subject, version and id, without the GUID.
    pub fn in_list(view: &'a SchemaView) -> Self {
        SchemaBody {
            subject: view.subject.as_deref(),
            version: view.version,
            id: Some(view.id),
            ..SchemaBody::new(view)
        }
    }
}

/// `POST /subjects/{s}/versions`: the id, and the stored schema when
/// Confluent 7.9 echoes it.
#[derive(Serialize)]
pub struct RegisteredBody<'a> {
    pub id: SchemaId,
    pub guid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<&'a Value>,
}

/// An entry of `/schemas/ids/{id}/versions`.
#[derive(Serialize)]
pub struct SubjectVersion<'a> {
    pub subject: &'a str,
    pub version: Version,
}

/// `POST /compatibility/…`: the verdict, Confluent's messages when
/// `verbose`, and Accord's explanations when `explain`.
#[derive(Serialize)]
pub struct CompatibilityBody {
    pub is_compatible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incompatibilities: Option<Vec<Explanation>>,
}

/// One incompatibility as `explain=true` shows it: what breaks, where, for
/// whom, and how to fix it. Absent fragments are `null`.
#[derive(Serialize)]
pub struct Explanation {
    pub version: Version,
    pub rule: &'static str,
    pub path: String,
    pub direction: &'static str,
    pub breaks: String,
    pub description: String,
    pub detail: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub fix: String,
}

/// `/mode` answers.
#[derive(Serialize)]
pub struct ModeBody<'a> {
    pub mode: &'a str,
}
