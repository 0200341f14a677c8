use super::engine::{java_hash, java_hash_order};
use super::*;

fn schema(text: &str) -> JsonSchema {
    JsonSchema::parse(text, &[]).expect("valid schema")
}

fn rules(new: &str, old: &str, direction: Direction, policy: CompatibilityPolicy) -> Vec<String> {
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
    let closed =
        r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#;
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
    let new = r##"{"type":"object","properties":{"value":{"type":"number"},"next":{"$ref":"#"}}}"##;
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
