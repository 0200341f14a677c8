//! Helpers shared by the table-driven integration tests: reading the JSON
//! data files, building references, Confluent's recorded messages and
//! chains, and the mismatch report.

// Each integration test is its own crate and uses only some of these items;
// the others would be reported as dead code in that crate.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use accord_schema::{CompatibilityLevel, Direction, ResolvedReference, SchemaError};
use serde_json::Value;

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `.json` files of a directory, sorted.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// The `.json` files of a directory, sorted, each named by its stem.
pub fn case_files(dir: &Path) -> Vec<(String, Value)> {
    json_files(dir)
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, read_json(&path))
        })
        .collect()
}

/// The cases of a directory of `.json` files that each hold a list of cases,
/// each named `<file stem>: <case name>`.
pub fn listed_cases(dir: &Path) -> Vec<(String, Value)> {
    let mut named = Vec::new();
    for (file, cases) in case_files(dir) {
        for case in cases.as_array().into_iter().flatten() {
            named.push((format!("{file}: {}", text(case, "name")), case.clone()));
        }
    }
    named
}

/// The cases of the golden tables of one format (`data/golden/<format>/`),
/// each named `<file name>: <case name>`.
pub fn golden_cases(format: &str) -> Vec<(String, Value)> {
    let mut cases = Vec::new();
    for path in json_files(&data_dir().join("golden").join(format)) {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for case in read_json(&path).as_array().into_iter().flatten() {
            cases.push((format!("{file}: {}", text(case, "name")), case.clone()));
        }
    }
    cases
}

pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` missing in {value}"))
}

/// A schema given as a JSON string is used as is; any other JSON value is
/// written out compactly.
pub fn schema_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `[{"name", "schema"}]` where each schema is a string.
pub fn references(refs: &Value) -> Vec<ResolvedReference<'_>> {
    refs.as_array()
        .into_iter()
        .flatten()
        .map(|reference| ResolvedReference {
            name: text(reference, "name"),
            schema: text(reference, "schema"),
        })
        .collect()
}

/// `[{"name", "schema"}]` where a schema may be any JSON value (see
/// [`schema_text`]).
pub fn owned_references(refs: &Value) -> Vec<(String, String)> {
    refs.as_array()
        .into_iter()
        .flatten()
        .map(|reference| {
            (
                text(reference, "name").to_owned(),
                schema_text(&reference["schema"]),
            )
        })
        .collect()
}

pub fn resolved(refs: &[(String, String)]) -> Vec<ResolvedReference<'_>> {
    refs.iter()
        .map(|(name, schema)| ResolvedReference { name, schema })
        .collect()
}

/// Confluent's corpus and its recorded answers.
pub fn corpus() -> (Value, Value) {
    let dir = data_dir().join("confluent/schemas");
    (
        read_json(&dir.join("corpus.json")),
        read_json(&dir.join("golden.json")),
    )
}

/// The items of a corpus section (`schemas`, `compat`) of one schema type
/// (`AVRO`, `JSON`, `PROTOBUF`).
pub fn items_of_type<'a>(
    corpus: &'a Value,
    section: &str,
    schema_type: &'a str,
) -> impl Iterator<Item = &'a Value> + 'a {
    corpus[section]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |item| item["type"] == schema_type)
}

/// The corpus chains whose versions are all of one schema type.
pub fn chains_of_type<'a>(
    corpus: &'a Value,
    schema_type: &'a str,
) -> impl Iterator<Item = &'a Value> + 'a {
    corpus["chains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |chain| {
            chain["types"]
                .as_array()
                .is_some_and(|types| types.iter().all(|t| t == schema_type))
        })
}

/// The schema texts of a chain's versions, oldest first.
pub fn chain_versions(chain: &Value) -> impl Iterator<Item = &str> {
    chain["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|version| version.as_str().unwrap_or_default())
}

/// The per-difference messages of a Confluent message list, without the
/// trailers (`{oldSchemaVersion: …}`, `{oldSchema: …}`, …) the server adds.
pub fn differences(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|message| message.starts_with("{errorType:"))
        .map(str::to_owned)
        .collect()
}

/// Checks the corpus schemas of one type (`AVRO`, `JSON`, `PROTOBUF`)
/// against Confluent's answers: for a valid schema `check_valid` gets the
/// corpus item, our schema and Confluent's answer; for an invalid one
/// `check_error` gets our message and Confluent's.
pub fn check_corpus_schemas<S: std::fmt::Debug>(
    schema_type: &str,
    deliberate_differences: &'static [(&'static str, &'static str)],
    parse: impl Fn(&str, &Value) -> Result<S, SchemaError>,
    check_valid: impl Fn(&mut Vec<String>, &Value, &S, &Value),
    check_error: impl Fn(&mut Vec<String>, &str, &str),
) {
    let (corpus, golden) = corpus();
    let mut report = Report::new("schemas", deliberate_differences);
    for item in items_of_type(&corpus, "schemas", schema_type) {
        let id = text(item, "id");
        let expected = &golden["schemas"][id];
        let mut failures = Vec::new();
        match (
            parse(text(item, "schema"), &item["refs"]),
            expected["valid"].as_bool(),
        ) {
            (Ok(schema), Some(true)) => check_valid(&mut failures, item, &schema, expected),
            (Err(SchemaError::Invalid(message)), Some(false)) => {
                check_error(&mut failures, &message, text(expected, "error"));
            }
            (outcome, _) => failures.push(format!("got {outcome:?}, expected {expected}")),
        }
        report.check(id, failures);
    }
    report.finish();
}

/// Our canonical and normalized texts against Confluent's (`expected`).
pub fn expect_canonical_and_normalized(
    failures: &mut Vec<String>,
    canonical: &str,
    normalized: &str,
    expected: &Value,
) {
    expect_equal(
        failures,
        "canonical",
        canonical,
        text(expected, "canonical"),
    );
    expect_equal(
        failures,
        "normalized",
        normalized,
        text(expected, "normalized"),
    );
}

/// What to do when Confluent recorded no answer for a direction.
pub enum MissingAnswer {
    /// Expect no messages.
    ExpectNone,
    /// Report it as a mismatch.
    Fail,
    /// Compare nothing for that direction.
    Skip,
}

/// Compares our messages in both directions with the ones Confluent
/// recorded (`{"BACKWARD": [...], "FORWARD": [...]}`), exactly and in order.
pub fn compare_messages(
    recorded: &Value,
    missing: MissingAnswer,
    messages: impl Fn(Direction) -> Vec<String>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (direction, level) in [
        (Direction::Backward, "BACKWARD"),
        (Direction::Forward, "FORWARD"),
    ] {
        if recorded.get(level).is_none() {
            match missing {
                MissingAnswer::ExpectNone => {}
                MissingAnswer::Fail => {
                    failures.push(format!(
                        "{level}: Confluent recorded no answer ({recorded})"
                    ));
                    continue;
                }
                MissingAnswer::Skip => continue,
            }
        }
        let expected = differences(&recorded[level]);
        let actual = messages(direction);
        if actual != expected {
            failures.push(format!(
                "{level}: got {actual:#?}\n    expected {expected:#?}"
            ));
        }
    }
    failures
}

/// How a chain's reported differences are compared with Confluent's.
pub enum ChainMessages {
    /// Each difference Confluent reports is among ours.
    Contained,
    /// When Confluent reports differences, ours are the same ones in any order.
    SameInAnyOrder,
}

/// Checks the newest version of a chain against the earlier ones, for each
/// level Confluent recorded (`levels`: `{"BACKWARD": [...], …}`): against the
/// latest earlier one, or all earlier ones for transitive levels. The verdict
/// and the reported differences are compared, since which versions are
/// compared and how the messages are assembled is the registry's job. `None`
/// for a chain without versions.
pub fn check_chain<S>(
    versions: &[S],
    levels: &Value,
    matching: &ChainMessages,
    messages: impl Fn(&S, &S, Direction) -> Vec<String>,
) -> Option<Vec<String>> {
    let (newest, earlier) = versions.split_last()?;
    let mut failures = Vec::new();
    for (level, expected) in levels.as_object().into_iter().flatten() {
        let level: CompatibilityLevel = level.parse().expect("known level");
        let compared = if level.is_transitive() {
            earlier
        } else {
            &earlier[earlier.len() - 1..]
        };
        let mut found: Vec<String> = compared
            .iter()
            .rev()
            .flat_map(|old| {
                level
                    .directions()
                    .iter()
                    .flat_map(|&direction| messages(newest, old, direction))
            })
            .collect();
        let expected_compatible = expected.as_array().is_some_and(Vec::is_empty);
        if found.is_empty() != expected_compatible {
            failures.push(format!(
                "{level}: compatible = {}, expected {expected_compatible}",
                found.is_empty()
            ));
        }
        let mut expected = differences(expected);
        match matching {
            ChainMessages::Contained => {
                for message in expected {
                    if !found.contains(&message) {
                        failures.push(format!("{level}: missing {message}"));
                    }
                }
            }
            ChainMessages::SameInAnyOrder => {
                found.sort();
                expected.sort();
                if !expected.is_empty() && found != expected {
                    failures.push(format!(
                        "{level}: got {found:#?}\n    expected {expected:#?}"
                    ));
                }
            }
        }
    }
    Some(failures)
}

/// Checks the corpus chains of one type (`AVRO`, `JSON`, `PROTOBUF`) with
/// [`check_chain`]; a chain with a version that `parse` refuses is skipped
/// and reported.
pub fn check_corpus_chains<S>(
    schema_type: &str,
    deliberate_differences: &'static [(&'static str, &'static str)],
    parse: impl Fn(&str) -> Result<S, SchemaError>,
    matching: ChainMessages,
    messages: impl Fn(&S, &S, Direction) -> Vec<String>,
) {
    let (corpus, golden) = corpus();
    let mut report = Report::new("chains", deliberate_differences);
    for chain in chains_of_type(&corpus, schema_type) {
        let id = text(chain, "id");
        let versions: Result<Vec<S>, SchemaError> = chain_versions(chain).map(&parse).collect();
        let versions = match versions {
            Ok(versions) => versions,
            Err(error) => {
                report.skip(id, &error);
                continue;
            }
        };
        if let Some(failures) = check_chain(&versions, &golden["chains"][id], &matching, &messages)
        {
            report.check(id, failures);
        }
    }
    report.finish();
}

pub fn expect_equal(failures: &mut Vec<String>, what: &str, actual: &str, expected: &str) {
    if actual != expected {
        failures.push(format!("{what}: got {actual}\n    expected {expected}"));
    }
}

/// Collects mismatches so that one run shows all of them.
pub struct Report {
    name: &'static str,
    /// Item ids whose mismatches are reported but not failed, with the reason.
    deliberate_differences: &'static [(&'static str, &'static str)],
    checked: usize,
    deliberate: usize,
    skipped: usize,
    failures: Vec<String>,
}

impl Report {
    pub fn new(
        name: &'static str,
        deliberate_differences: &'static [(&'static str, &'static str)],
    ) -> Report {
        Report {
            name,
            deliberate_differences,
            checked: 0,
            deliberate: 0,
            skipped: 0,
            failures: Vec::new(),
        }
    }

    pub fn check(&mut self, id: &str, failures: Vec<String>) {
        self.checked += 1;
        if failures.is_empty() {
            return;
        }
        if self
            .deliberate_differences
            .iter()
            .any(|(known, _)| *known == id)
        {
            self.deliberate += 1;
            println!("{id}: deliberate difference:\n  {}", failures.join("\n  "));
        } else {
            self.failures
                .push(format!("{id}:\n  {}", failures.join("\n  ")));
        }
    }

    /// An item whose schemas our parser does not accept yet: reported, not hidden.
    pub fn skip(&mut self, id: &str, error: &impl std::fmt::Display) {
        println!(
            "{}: skipped {id}: a schema does not parse: {error}",
            self.name
        );
        self.skipped += 1;
    }

    pub fn finish(self) {
        println!(
            "{}: {} of {} match, {} deliberate differences, {} skipped",
            self.name,
            self.checked - self.failures.len() - self.deliberate,
            self.checked,
            self.deliberate,
            self.skipped
        );
        assert!(
            self.failures.is_empty(),
            "{} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        // A case whose schemas no longer parse would otherwise pass unseen.
        assert_eq!(
            self.skipped, 0,
            "{}: {} cases skipped because a schema does not parse (see above)",
            self.name, self.skipped
        );
    }
}
