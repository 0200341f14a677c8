//! Replays the scenarios recorded from a live Confluent Schema Registry 7.9.0
//! (tests/conformance, Apache-2.0, see its NOTICE) against Accord and compares
//! every response as tests/conformance/README.md describes. Steps where we
//! deliberately differ are listed, with the reason, in
//! tests/conformance/accord-differences.json; a listed step that starts to
//! match fails the test too, so the list stays true.
//!
//! One relaxation of our own joins the README's general ones: a recorded
//! 42201 for a PROTOBUF or JSON schema compares status, code and the leading
//! phrase of the details (`Invalid JSON Schema`, `Could not resolve type`),
//! because Accord's details go on with the parser's message and position.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::helpers::{spawn_app, Backend, TestApp, SR_JSON};

#[derive(Deserialize)]
struct Scenario {
    name: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    m: String,
    p: String,
    b: Option<Value>,
    raw: Option<String>,
    ct: Option<String>,
    cmp: Option<String>,
    keep: Option<Vec<String>>,
    #[serde(default)]
    ids: bool,
}

#[derive(Deserialize)]
struct Recorded {
    status: u16,
    body: Value,
}

#[derive(Deserialize)]
struct Exception {
    step: String,
    cmp: String,
    reason: String,
}

fn data(file: &str) -> String {
    let path = format!("{}/tests/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// How one step is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Comparison {
    Skip,
    Code,
    /// Status and code equal, and our message's details begin with the
    /// phrase Confluent's begin with: Accord adds the parser's own message
    /// and position to Confluent's terse `Invalid JSON Schema` or
    /// `Could not resolve type` (see the module doc).
    Details,
    Verdict,
    Keys,
    Status,
    Full,
}

fn parse_comparison(name: &str) -> Comparison {
    match name {
        "skip" => Comparison::Skip,
        "code" => Comparison::Code,
        "verdict" => Comparison::Verdict,
        "keys" => Comparison::Keys,
        "status" => Comparison::Status,
        other => panic!("unknown comparison {other:?}"),
    }
}

/// Names (context, id) pairs `$id1`, `$id2`, … in order of first sight.
#[derive(Default)]
struct SymbolicIds {
    names: HashMap<(String, i64), String>,
    real: HashMap<String, i64>,
}

impl SymbolicIds {
    fn name(&mut self, context: &str, id: i64) -> String {
        let next = self.names.len() + 1;
        let name = self
            .names
            .entry((context.to_owned(), id))
            .or_insert_with(|| format!("$id{next}"))
            .clone();
        self.real.entry(name.clone()).or_insert(id);
        name
    }

    /// Replaces `{$idN}` with the real id.
    fn substitute_path(&self, path: &str) -> String {
        let mut out = path.to_owned();
        for (name, id) in &self.real {
            out = out.replace(&format!("{{{name}}}"), &id.to_string());
        }
        out
    }

    fn substitute_body(&self, body: &Value) -> Value {
        match body {
            Value::String(text) => text
                .strip_prefix('{')
                .and_then(|t| t.strip_suffix('}'))
                .and_then(|name| self.real.get(name))
                .map_or_else(|| body.clone(), |id| Value::from(*id)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.substitute_body(v)).collect())
            }
            Value::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (k.clone(), self.substitute_body(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The context of a subject as the registry resolves it. Unlike the
/// README's shorthand (`:.ctx:name` → `.ctx`, else `.`), `:.ctx` without a
/// closing colon is the context `.ctx` too, as it is for Confluent: naming
/// it `.` would merge ids of two contexts that a fresh registry numbers alike.
fn context_of_subject(subject: &str) -> String {
    subject
        .strip_prefix(":.")
        .map(|rest| match rest.find(':') {
            Some(end) => format!(".{}", &rest[..end]),
            None => format!(".{rest}"),
        })
        .filter(|context| context != ".")
        .unwrap_or_else(|| ".".to_owned())
}

/// The context a step's ids belong to, from its path.
fn step_context(path: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    if let Some(rest) = path.strip_prefix("/contexts/") {
        let context = percent_decode(rest.split('/').next().unwrap_or("."));
        let context = context.trim_matches(':').to_owned();
        return if context.is_empty() {
            ".".to_owned()
        } else {
            context
        };
    }
    if let Some((_, rest)) = path.split_once("/subjects/") {
        return context_of_subject(&percent_decode(rest.split('/').next().unwrap_or("")));
    }
    for pair in query.split('&') {
        if let Some(subject) = pair.strip_prefix("subject=") {
            return context_of_subject(&percent_decode(subject));
        }
    }
    ".".to_owned()
}

/// Makes ids symbolic in a response body.
fn symbolize(body: &mut Value, context: &str, ids: &mut SymbolicIds, id_list: bool) {
    match body {
        Value::Array(items) if id_list => {
            for item in items {
                if let Some(id) = item.as_i64() {
                    *item = Value::String(ids.name(context, id));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                symbolize(item, context, ids, false);
            }
        }
        Value::Object(object) => {
            let context = object
                .get("subject")
                .and_then(Value::as_str)
                .map(context_of_subject)
                .unwrap_or_else(|| context.to_owned());
            for (key, value) in object.iter_mut() {
                match (key.as_str(), &*value) {
                    ("id" | "maxId", Value::Number(n)) if n.is_i64() => {
                        *value = Value::String(ids.name(&context, n.as_i64().unwrap_or_default()));
                    }
                    ("message", Value::String(text)) => {
                        *value = Value::String(symbolize_message(text, &context, ids));
                    }
                    _ => symbolize(value, &context, ids, false),
                }
            }
        }
        _ => {}
    }
}

fn symbolize_message(text: &str, context: &str, ids: &mut SymbolicIds) -> String {
    let mut out = String::new();
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for marker in ["Schema ", "with id ", "input id "] {
            if let Some(after) = rest.strip_prefix(marker) {
                let digits: String = after
                    .char_indices()
                    .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
                    .map(|(_, c)| c)
                    .collect();
                out.push_str(marker);
                if let Ok(id) = digits.parse::<i64>() {
                    out.push_str(&ids.name(context, id));
                }
                rest = &after[digits.len()..];
                continue 'scan;
            }
        }
        let c = rest.chars().next().expect("non-empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn keep_filter(body: &mut Value, prefixes: &[String]) {
    let matches = |text: &str| {
        prefixes.iter().any(|p| match p.strip_prefix('=') {
            Some(exact) => text == exact,
            None => text.starts_with(p.as_str()),
        })
    };
    if let Value::Array(items) = body {
        items.retain(|item| match item {
            Value::String(text) => matches(text),
            Value::Object(object) => object
                .get("subject")
                .and_then(Value::as_str)
                .is_some_and(matches),
            _ => false,
        });
    }
}

fn error_code(body: &Value) -> Option<&Value> {
    body.get("error_code")
}

fn sorted_keys(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The comparison the README's general rules give a recorded response.
fn general_comparison(step: &Step, recorded: &Recorded) -> Comparison {
    let code = error_code(&recorded.body).and_then(Value::as_i64);
    if recorded.status == 400 && code == Some(400) {
        return Comparison::Code;
    }
    if code == Some(500) {
        return Comparison::Skip;
    }
    if let Some(message) = recorded.body.get("message").and_then(Value::as_str) {
        let protobuf_or_json =
            message.contains("schemaType=JSON,") || message.contains("schemaType=PROTOBUF,");
        if code == Some(42201) && protobuf_or_json && message.contains(", details: ") {
            return Comparison::Details;
        }
    }
    let message_mentions = |text: &str| {
        text.contains("details: com.fasterxml.jackson")
            || text.contains("details: Could not parse Protobuf")
    };
    if let Some(message) = recorded.body.get("message").and_then(Value::as_str) {
        if message_mentions(message) {
            return Comparison::Code;
        }
    }
    if let Some(Value::Array(messages)) = recorded.body.get("messages") {
        if messages
            .iter()
            .filter_map(Value::as_str)
            .any(message_mentions)
        {
            return Comparison::Verdict;
        }
    }
    match step.cmp.as_deref() {
        Some(name) => parse_comparison(name),
        None => Comparison::Full,
    }
}

fn compare(comparison: Comparison, recorded: &Recorded, status: u16, body: &Value) -> bool {
    let same_status = recorded.status == status;
    match comparison {
        Comparison::Skip => true,
        Comparison::Status => same_status,
        Comparison::Code => same_status && error_code(&recorded.body) == error_code(body),
        Comparison::Details => {
            let details = |body: &Value| {
                let message = body.get("message").and_then(Value::as_str)?;
                let (_, details) = message.rsplit_once(", details: ")?;
                Some(details.to_owned())
            };
            let leading_phrase = |details: &str| {
                let end = details.find([':', '{']).unwrap_or(details.len());
                details[..end].trim_end().to_owned()
            };
            same_status
                && error_code(&recorded.body) == error_code(body)
                && match (details(&recorded.body), details(body)) {
                    (Some(theirs), Some(ours)) => ours.starts_with(&leading_phrase(&theirs)),
                    _ => false,
                }
        }
        Comparison::Verdict => {
            same_status && recorded.body.get("is_compatible") == body.get("is_compatible")
        }
        Comparison::Keys => same_status && sorted_keys(&recorded.body) == sorted_keys(body),
        Comparison::Full => same_status && recorded.body == *body,
    }
}

async fn send(app: &TestApp, step: &Step, ids: &SymbolicIds) -> (u16, Value) {
    let method = Method::from_bytes(step.m.as_bytes()).expect("method");
    let url = app.url(&ids.substitute_path(&step.p));
    let mut request = app.client.request(method, &url);
    let body = match (&step.b, &step.raw) {
        (Some(body), _) => Some(ids.substitute_body(body).to_string()),
        (None, Some(raw)) => Some(raw.clone()),
        (None, None) => None,
    };
    match step.ct.as_deref() {
        Some("") => {}
        Some(content_type) => request = request.header("content-type", content_type),
        None if body.is_some() => request = request.header("content-type", SR_JSON),
        None => {}
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return (0, Value::String(format!("request failed: {error}"))),
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| {
        let mut object = Map::new();
        object.insert("text".into(), Value::String(text));
        Value::Object(object)
    });
    (status, body)
}

#[derive(Default)]
struct Tally {
    in_scope: usize,
    matched: usize,
    matched_relaxed: usize,
    excepted: usize,
    deferred: usize,
    failures: Vec<String>,
    stale: Vec<String>,
}

async fn replay(backend: Backend) {
    let scenarios: Vec<Scenario> =
        serde_json::from_str(&data("http/scenarios.json")).expect("scenarios");
    let golden: HashMap<String, Vec<Recorded>> =
        serde_json::from_str(&data("http/golden.json")).expect("golden");
    // (exception, whether it is ours rather than the recording project's)
    let mut exceptions: HashMap<String, (Exception, bool)> = HashMap::new();
    for (file, ours) in [
        ("http/allowed.json", false),
        ("accord-differences.json", true),
    ] {
        let listed: Vec<Exception> = serde_json::from_str(&data(file)).expect(file);
        for exception in listed {
            exceptions.insert(exception.step.clone(), (exception, ours));
        }
    }
    let mut tally = Tally::default();
    let mut per_scenario: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for scenario in &scenarios {
        let recorded = &golden[&scenario.name];
        let whole = exceptions.get(&format!("{}#*", scenario.name));
        if whole.is_some_and(|(e, _)| e.cmp == "skip") {
            tally.deferred += scenario.steps.len();
            continue;
        }
        let Some(app) = spawn_app(backend).await else {
            return;
        };
        let mut ids = SymbolicIds::default();
        let (mut ok, mut total) = (0, 0);
        for (index, (step, recorded)) in scenario.steps.iter().zip(recorded).enumerate() {
            let key = format!("{}#{index}", scenario.name);
            let (status, mut body) = send(&app, step, &ids).await;
            if let Value::Object(object) = &mut body {
                // Accord adds the 8.0+ `guid` that header-framing clients need.
                object.remove("guid");
            }
            if let Some(prefixes) = &step.keep {
                keep_filter(&mut body, prefixes);
            }
            symbolize(&mut body, &step_context(&step.p), &mut ids, step.ids);
            let general = general_comparison(step, recorded);
            let listed = exceptions.get(&key).or(whole);
            let exact = compare(general, recorded, status, &body);
            total += 1;
            tally.in_scope += 1;
            match listed {
                Some((exception, ours)) => {
                    let comparison = parse_comparison(&exception.cmp);
                    if comparison == Comparison::Skip {
                        tally.excepted += 1;
                        if exact && general != Comparison::Skip && *ours {
                            tally.stale.push(format!(
                                "{key} now matches; remove it from accord-differences.json"
                            ));
                        }
                        ok += 1;
                    } else if compare(comparison, recorded, status, &body) {
                        tally.excepted += 1;
                        ok += 1;
                    } else {
                        tally.failures.push(describe(
                            &key,
                            step,
                            recorded,
                            status,
                            &body,
                            Some(&exception.reason),
                        ));
                    }
                }
                None if exact => {
                    if general == Comparison::Full {
                        tally.matched += 1;
                    } else {
                        tally.matched_relaxed += 1;
                    }
                    ok += 1;
                }
                None => tally
                    .failures
                    .push(describe(&key, step, recorded, status, &body, None)),
            }
        }
        per_scenario.insert(scenario.name.clone(), (ok, total));
        app.stop().await;
    }
    let mut report = format!(
        "conformance ({backend:?}): {} steps replayed; {} equal to Confluent, {} equal under the README's relaxations, {} listed differences, {} not matching; {} steps deferred (schema tags)\n",
        tally.in_scope, tally.matched, tally.matched_relaxed, tally.excepted, tally.failures.len(), tally.deferred
    );
    for (name, (ok, total)) in &per_scenario {
        if ok != total {
            let _ = writeln!(report, "  {name}: {ok}/{total}");
        }
    }
    println!("{report}");
    for failure in &tally.failures {
        println!("{failure}");
    }
    assert!(tally.stale.is_empty(), "{}", tally.stale.join("\n"));
    assert!(
        tally.failures.is_empty(),
        "{} steps differ from Confluent; see the output above",
        tally.failures.len()
    );
}

fn describe(
    key: &str,
    step: &Step,
    recorded: &Recorded,
    status: u16,
    body: &Value,
    reason: Option<&str>,
) -> String {
    let clip = |v: &Value| {
        let text = v.to_string();
        if text.len() > 600 {
            {
                let mut cut = 600;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                format!("{}…", &text[..cut])
            }
        } else {
            text
        }
    };
    let request = step
        .b
        .as_ref()
        .map(clip)
        .or_else(|| step.raw.clone())
        .unwrap_or_default();
    format!(
        "MISMATCH {key}{}: {} {} {}\n   expected {} {}\n   got      {} {}",
        reason
            .map(|r| format!(" (listed: {r})"))
            .unwrap_or_default(),
        step.m,
        step.p,
        request,
        recorded.status,
        clip(&recorded.body),
        status,
        clip(body)
    )
}

#[tokio::test]
async fn confluent_scenarios_sqlite() {
    replay(Backend::Sqlite).await;
}

#[tokio::test]
async fn confluent_scenarios_postgres() {
    replay(Backend::Postgres).await;
}
