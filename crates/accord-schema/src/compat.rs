use std::fmt;
use std::str::FromStr;

use crate::SchemaType;

/// Which schema reads the other's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The new schema reads data written with the old one (reader = new).
    Backward,
    /// The old schema reads data written with the new one (reader = old).
    Forward,
}

/// One reason two schemas are incompatible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incompatibility {
    /// The format of the compared schemas; it decides Confluent's message style.
    pub schema_type: SchemaType,
    /// Stable rule id: Confluent's difference-type name where one exists
    /// (`READER_FIELD_MISSING_DEFAULT_VALUE`, `FIELD_SCALAR_KIND_CHANGED`, `TYPE_NARROWED`).
    pub rule: &'static str,
    /// Where: a JSON pointer for Avro (`/fields/2/type`) and JSON Schema
    /// (`#/properties/a`); `package.Message.field (#n)` for Protobuf.
    pub path: String,
    /// Confluent's description sentence, with `new`/`old` filled in for the direction.
    pub description: String,
    /// Short detail (Avro's `additionalInfo`, e.g. `reader type: INT not
    /// compatible with writer type: STRING`); may be empty for other formats.
    pub detail: String,
    /// The old schema's fragment at the place that breaks (JSON text for Avro
    /// and JSON Schema, a declaration for Protobuf); `None` where the old
    /// schema has nothing there.
    pub old_fragment: Option<String>,
    /// The new schema's fragment at the place that breaks, as `old_fragment`.
    pub new_fragment: Option<String>,
    /// The direction that breaks.
    pub direction: Direction,
    /// One sentence telling the author how to make the change compatible.
    pub fix: String,
}

impl Incompatibility {
    /// The rule id of a comparison between schemas of different formats.
    pub const DIFFERENT_SCHEMA_TYPE: &'static str = "SCHEMA_TYPE_CHANGED";

    /// Schemas of different formats never read each other's data.
    pub fn different_schema_type(new: SchemaType, old: SchemaType, direction: Direction) -> Self {
        Incompatibility {
            schema_type: new,
            rule: Self::DIFFERENT_SCHEMA_TYPE,
            path: String::new(),
            description: "Incompatible because of different schema type".to_owned(),
            detail: format!("old schema type: {old}, new schema type: {new}"),
            old_fragment: Some(old.to_string()),
            new_fragment: Some(new.to_string()),
            direction,
            fix: format!(
                "register the {new} schema under a new subject; a subject keeps one format"
            ),
        }
    }

    /// The message in Confluent's verbose style for the format:
    /// Avro `{errorType:'…', description:'…', additionalInfo:'…'}`, Protobuf
    /// `{errorType:"…", description:"…"}`, JSON Schema
    /// `{errorType:"…", description:"…'}` (Confluent's own mismatched quote).
    pub fn confluent_message(&self) -> String {
        if self.rule == Self::DIFFERENT_SCHEMA_TYPE {
            return self.description.clone();
        }
        match self.schema_type {
            SchemaType::Avro => format!(
                "{{errorType:'{}', description:'{}', additionalInfo:'{}'}}",
                self.rule, self.description, self.detail
            ),
            SchemaType::Protobuf => format!(
                "{{errorType:\"{}\", description:\"{}\"}}",
                self.rule, self.description
            ),
            SchemaType::Json => format!(
                "{{errorType:\"{}\", description:\"{}'}}",
                self.rule, self.description
            ),
        }
    }
}

/// Confluent's `compatibilityPolicy`: how strictly JSON Schema changes are
/// judged. `LENIENT` accepts changes to closed or partially open content
/// models that STRICT refuses; Avro and Protobuf ignore it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CompatibilityPolicy {
    #[default]
    Strict,
    Lenient,
}

impl CompatibilityPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityPolicy::Strict => "STRICT",
            CompatibilityPolicy::Lenient => "LENIENT",
        }
    }
}

impl FromStr for CompatibilityPolicy {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "STRICT" => Ok(CompatibilityPolicy::Strict),
            "LENIENT" => Ok(CompatibilityPolicy::Lenient),
            _ => Err(()),
        }
    }
}

/// Settings of one compatibility check beyond the level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    pub policy: CompatibilityPolicy,
}

/// Confluent's compatibility levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompatibilityLevel {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl CompatibilityLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::None => "NONE",
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether the level compares against every live version, not only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::FullTransitive
        )
    }

    /// The reader/writer directions this level checks.
    pub fn directions(self) -> &'static [Direction] {
        match self {
            CompatibilityLevel::None => &[],
            CompatibilityLevel::Backward | CompatibilityLevel::BackwardTransitive => {
                &[Direction::Backward]
            }
            CompatibilityLevel::Forward | CompatibilityLevel::ForwardTransitive => {
                &[Direction::Forward]
            }
            CompatibilityLevel::Full | CompatibilityLevel::FullTransitive => {
                &[Direction::Backward, Direction::Forward]
            }
        }
    }
}

impl FromStr for CompatibilityLevel {
    type Err = ();

    /// Case-insensitive, as Confluent accepts levels.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "NONE" => CompatibilityLevel::None,
            "BACKWARD" => CompatibilityLevel::Backward,
            "BACKWARD_TRANSITIVE" => CompatibilityLevel::BackwardTransitive,
            "FORWARD" => CompatibilityLevel::Forward,
            "FORWARD_TRANSITIVE" => CompatibilityLevel::ForwardTransitive,
            "FULL" => CompatibilityLevel::Full,
            "FULL_TRANSITIVE" => CompatibilityLevel::FullTransitive,
            _ => return Err(()),
        })
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
