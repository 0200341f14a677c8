use std::fmt;
use std::str::FromStr;

/// Which schema reads the other's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The new schema reads data written with the old one (reader = new).
    Backward,
    /// The old schema reads data written with the new one (reader = old).
    Forward,
}

/// One reason two schemas are incompatible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incompatibility {
    /// Stable rule id; Confluent's error type name (e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`).
    pub rule: &'static str,
    /// Where, as a JSON pointer into the reader schema (`/fields/2/type`).
    pub path: String,
    /// Confluent's description sentence, with `new`/`old` filled in for the direction.
    pub description: String,
    /// Short detail (Confluent's `additionalInfo`), e.g. `reader type: INT not compatible with writer type: STRING`.
    pub detail: String,
    /// The direction that breaks.
    pub direction: Direction,
    /// One sentence telling the author how to make the change compatible.
    pub fix: String,
}

impl Incompatibility {
    /// The message in Confluent's verbose style:
    /// `{errorType:'…', description:'…', additionalInfo:'…'}`.
    pub fn confluent_message(&self) -> String {
        format!(
            "{{errorType:'{}', description:'{}', additionalInfo:'{}'}}",
            self.rule, self.description, self.detail
        )
    }
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
