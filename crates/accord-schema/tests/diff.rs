//! The schema diff: golden cases and invariants.
//!
//! A case is a folder `data/diff/<case>/` with `old.<ext>` and `new.<ext>`
//! (`avsc`, `proto` or `json`, which decides the format), optionally a
//! `policy` file (`LENIENT`), and `expected.txt`: the diff's lines in
//! `Change`'s alternate display form (`{:#}`, with the rule ids), one per
//! change. A new case is a new folder; `ACCORD_BLESS=1` writes the
//! `expected.txt` of every case from the current output, to be reviewed.
//!
//! The invariants are checked over every case and over the golden
//! compatibility tables: each incompatibility of either direction is
//! attributed to a change that says whom it breaks; a change breaks someone
//! exactly when incompatibilities are attributed to it; a schema diffed with
//! itself has no change.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use accord_schema::{
    Change, ChangeKind, CheckOptions, CompatibilityPolicy, Direction, Incompatibility,
    ParsedSchema, SchemaType,
};
use common::{
    case_files, chain_versions, corpus, data_dir, golden_cases, listed_cases, owned_references,
    resolved, text,
};
use serde_json::Value;

/// The minimum number of cases per format.
const MINIMUM_CASES: usize = 8;

struct Case {
    name: String,
    dir: PathBuf,
    schema_type: SchemaType,
    old: String,
    new: String,
    options: CheckOptions,
}

fn schema_type_of(extension: &str) -> Option<SchemaType> {
    match extension {
        "avsc" => Some(SchemaType::Avro),
        "proto" => Some(SchemaType::Protobuf),
        "json" => Some(SchemaType::Json),
        _ => None,
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn cases() -> Vec<Case> {
    let root = data_dir().join("diff");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|error| panic!("{}: {error}", root.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let old = fs::read_dir(&dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .find(|path| path.file_stem().is_some_and(|stem| stem == "old"))
                .unwrap_or_else(|| panic!("{name}: no old.<ext>"));
            let extension = old.extension().unwrap_or_default().to_string_lossy();
            let schema_type = schema_type_of(&extension)
                .unwrap_or_else(|| panic!("{name}: unknown extension {extension}"));
            let policy_file = dir.join("policy");
            let policy = if policy_file.exists() {
                read(&policy_file)
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: bad policy"))
            } else {
                CompatibilityPolicy::Strict
            };
            Case {
                old: read(&old),
                new: read(&dir.join(format!("new.{extension}"))),
                name,
                dir,
                schema_type,
                options: CheckOptions { policy },
            }
        })
        .collect()
}

fn parse(schema_type: SchemaType, text: &str, name: &str) -> ParsedSchema {
    ParsedSchema::parse(schema_type, text, &[])
        .unwrap_or_else(|error| panic!("{name}: does not parse: {error}"))
}

fn lines(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|change| format!("{change:#}\n"))
        .collect()
}

#[test]
fn diff_goldens() {
    let bless = std::env::var_os("ACCORD_BLESS").is_some();
    let mut failures = Vec::new();
    let mut per_format = [0usize; 3];
    for case in cases() {
        per_format[match case.schema_type {
            SchemaType::Avro => 0,
            SchemaType::Protobuf => 1,
            SchemaType::Json => 2,
        }] += 1;
        let old = parse(case.schema_type, &case.old, &case.name);
        let new = parse(case.schema_type, &case.new, &case.name);
        let actual = lines(&ParsedSchema::diff(&old, &new, &case.options));
        let expected_file = case.dir.join("expected.txt");
        if bless {
            fs::write(&expected_file, &actual).unwrap();
            continue;
        }
        let expected = read(&expected_file);
        if actual != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                case.name
            ));
        }
    }
    for (count, format) in per_format.iter().zip(["Avro", "Protobuf", "JSON Schema"]) {
        if *count < MINIMUM_CASES {
            failures.push(format!(
                "only {count} {format} cases; at least {MINIMUM_CASES} wanted"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The invariants of one diff; returns how many incompatibilities no walked
/// change claimed (they became changes of their own).
fn check_invariants(
    name: &str,
    old: &ParsedSchema,
    new: &ParsedSchema,
    options: &CheckOptions,
    failures: &mut Vec<String>,
) -> usize {
    let changes = ParsedSchema::diff(old, new, options);
    let mut unclaimed = 0;
    for direction in [Direction::Backward, Direction::Forward] {
        let found = ParsedSchema::incompatibilities(new, old, direction, options);
        for incompatibility in &found {
            let breaks = |change: &Change| match direction {
                Direction::Backward => change.breaks_writers,
                Direction::Forward => change.breaks_readers,
            };
            let owner = changes
                .iter()
                .find(|change| breaks(change) && change.rules.contains(&incompatibility.rule));
            match owner {
                None => failures.push(format!(
                    "{name}: {direction:?} {} at {} is attributed to no change:\n{}",
                    incompatibility.rule,
                    incompatibility.path,
                    lines(&changes)
                )),
                Some(change) if is_own_change(change, incompatibility) => {
                    eprintln!(
                        "{name}: unclaimed {direction:?} {} at {}",
                        incompatibility.rule, incompatibility.path
                    );
                    unclaimed += 1;
                }
                Some(_) => {}
            }
        }
        let rules: Vec<&str> = found.iter().map(|found| found.rule).collect();
        for change in &changes {
            if breaks_in(change, direction) && !change.rules.iter().any(|rule| rules.contains(rule))
            {
                failures.push(format!(
                    "{name}: `{change}` breaks {direction:?} with no such incompatibility"
                ));
            }
        }
    }
    for change in &changes {
        if change.rules.is_empty() == (change.breaks_readers || change.breaks_writers) {
            failures.push(format!(
                "{name}: `{change:#}` breaks without rules or the other way"
            ));
        }
        let consistent = match change.kind {
            ChangeKind::Added => change.new.is_some(),
            ChangeKind::Removed => change.old.is_some(),
            ChangeKind::Changed => true,
        };
        if !consistent || change.description.is_empty() {
            failures.push(format!(
                "{name}: `{change}` lacks its fragment or description"
            ));
        }
    }
    for (which, schema) in [("old", old), ("new", new)] {
        let itself = ParsedSchema::diff(schema, schema, options);
        if !itself.is_empty() {
            failures.push(format!(
                "{name}: the {which} schema differs from itself:\n{}",
                lines(&itself)
            ));
        }
    }
    unclaimed
}

fn breaks_in(change: &Change, direction: Direction) -> bool {
    match direction {
        Direction::Backward => change.breaks_writers,
        Direction::Forward => change.breaks_readers,
    }
}

/// A change made of an incompatibility no walked change claimed.
fn is_own_change(change: &Change, incompatibility: &Incompatibility) -> bool {
    change.kind == ChangeKind::Changed && change.description == incompatibility.description
}

#[test]
fn invariants_hold_over_the_diff_cases() {
    let mut failures = Vec::new();
    for case in cases() {
        let old = parse(case.schema_type, &case.old, &case.name);
        let new = parse(case.schema_type, &case.new, &case.name);
        let unclaimed = check_invariants(&case.name, &old, &new, &case.options, &mut failures);
        if unclaimed > 0 {
            failures.push(format!(
                "{}: {unclaimed} incompatibilities claimed by no walked change",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A pair of schemas from the compatibility test data.
struct Pair {
    name: String,
    old: ParsedSchema,
    new: ParsedSchema,
    options: CheckOptions,
}

fn policy_of(case: &Value) -> CompatibilityPolicy {
    case["policy"]
        .as_str()
        .and_then(|policy| policy.parse().ok())
        .unwrap_or(CompatibilityPolicy::Strict)
}

/// `old`/`new` (text or JSON) with `old_refs`/`new_refs`; `None` when a
/// schema does not parse (some corpus pairs are deliberately invalid).
fn pair_of(name: String, schema_type: SchemaType, case: &Value) -> Option<Pair> {
    let schema = |which: &str| {
        let text = common::schema_text(&case[which]);
        let refs = owned_references(&case[format!("{which}_refs")]);
        ParsedSchema::parse(schema_type, &text, &resolved(&refs)).ok()
    };
    Some(Pair {
        name,
        old: schema("old")?,
        new: schema("new")?,
        options: CheckOptions {
            policy: policy_of(case),
        },
    })
}

/// Every pair of the golden tables, the handwritten compatibility cases and
/// Confluent's corpus (its pairs, and each chain's consecutive versions).
fn compatibility_pairs() -> Vec<Pair> {
    let mut pairs = Vec::new();
    for (format, schema_type) in [
        ("avro", SchemaType::Avro),
        ("protobuf", SchemaType::Protobuf),
        ("json", SchemaType::Json),
    ] {
        for (name, case) in golden_cases(format) {
            let pair = pair_of(format!("golden {format} {name}"), schema_type, &case);
            pairs.push(pair.unwrap_or_else(|| panic!("golden {name} does not parse")));
        }
    }
    for (name, case) in case_files(&data_dir().join("avro/compat")) {
        pairs.extend(pair_of(
            format!("avro/compat {name}"),
            SchemaType::Avro,
            &case,
        ));
    }
    for (name, case) in listed_cases(&data_dir().join("json/compat")) {
        pairs.extend(pair_of(
            format!("json/compat {name}"),
            SchemaType::Json,
            &case,
        ));
    }
    let (corpus, _) = corpus();
    for case in corpus["compat"].as_array().into_iter().flatten() {
        let schema_type = SchemaType::from_wire(text(case, "type")).expect("known type");
        pairs.extend(pair_of(format!("corpus {}", case["id"]), schema_type, case));
    }
    for chain in corpus["chains"].as_array().into_iter().flatten() {
        let versions: Vec<Option<ParsedSchema>> = chain_versions(chain)
            .zip(chain["types"].as_array().into_iter().flatten())
            .map(|(version, schema_type)| {
                let schema_type = SchemaType::from_wire(schema_type.as_str()?)?;
                ParsedSchema::parse(schema_type, version, &[]).ok()
            })
            .collect();
        for (index, window) in versions.windows(2).enumerate() {
            if let [Some(old), Some(new)] = window {
                pairs.push(Pair {
                    name: format!("corpus chain {} #{index}", chain["id"]),
                    old: old.clone(),
                    new: new.clone(),
                    options: CheckOptions::default(),
                });
            }
        }
    }
    pairs
}

#[test]
fn invariants_hold_over_the_compatibility_test_data() {
    let mut failures = Vec::new();
    let mut total = 0;
    let mut unclaimed = 0;
    let pairs = compatibility_pairs();
    for pair in &pairs {
        total += [Direction::Backward, Direction::Forward]
            .iter()
            .map(|&direction| {
                ParsedSchema::incompatibilities(&pair.new, &pair.old, direction, &pair.options)
                    .len()
            })
            .sum::<usize>();
        unclaimed += check_invariants(
            &pair.name,
            &pair.old,
            &pair.new,
            &pair.options,
            &mut failures,
        );
    }
    eprintln!(
        "{} pairs: {unclaimed} of {total} incompatibilities claimed by no walked change",
        pairs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore]
fn dump_compatibility_pairs() {
    for pair in compatibility_pairs() {
        let changes = ParsedSchema::diff(&pair.old, &pair.new, &pair.options);
        eprintln!("=== {}\n{}", pair.name, lines(&changes));
    }
}

#[test]
fn schemas_of_different_formats_differ_in_one_change() {
    let avro = parse(SchemaType::Avro, "\"string\"", "avro");
    let json = parse(SchemaType::Json, "{\"type\":\"string\"}", "json");
    let changes = ParsedSchema::diff(&avro, &json, &CheckOptions::default());
    assert_eq!(
        lines(&changes),
        "~ schema type changed from AVRO to JSON (breaks readers and writers) [SCHEMA_TYPE_CHANGED]\n"
    );
    assert_eq!(changes[0].path, "");
}

#[test]
fn display_names_whom_a_change_breaks() {
    let old = parse(
        SchemaType::Avro,
        r#"{"type":"record","name":"R","fields":[{"name":"age","type":"int"}]}"#,
        "old",
    );
    let new = parse(
        SchemaType::Avro,
        r#"{"type":"record","name":"R","fields":[{"name":"age","type":"long"}]}"#,
        "new",
    );
    let [change] = ParsedSchema::diff(&old, &new, &CheckOptions::default())
        .try_into()
        .unwrap();
    assert_eq!(
        change.to_string(),
        "~ /fields/0/type: field `age` type changed from int to long (breaks readers)"
    );
    assert_eq!(change.old.as_deref(), Some("\"int\""));
    assert_eq!(change.new.as_deref(), Some("\"long\""));
    assert!(change.breaks_readers && !change.breaks_writers);
    assert_eq!(change.rules, ["TYPE_MISMATCH"]);
}
