//! Several `accord serve` processes sharing one PostgreSQL database (and one
//! process on SQLite), written to concurrently. Registrations check against
//! their process's cached view of a subject and re-validate under the lock,
//! so checks race the re-validation here all the time. Afterwards the
//! registry must look as if the writes had happened one at a time: one id
//! per schema, gapless versions, each version compatible with the one before
//! it, and every successful write visible.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{send, Backend, ServerProcess, TestDatabase};

const SERVERS: usize = 3;
const WRITERS: usize = 16;
const REGISTRATIONS_PER_WRITER: usize = 25;

/// Subjects and their compatibility levels.
const SUBJECTS: [(&str, &str); 4] = [
    ("race-backward-value", "BACKWARD"),
    ("race-forward-value", "FORWARD"),
    ("race-full-value", "FULL"),
    ("race-none-value", "NONE"),
];

/// A subject used before the race to learn whether the schema checker
/// reports incompatibilities at all (so that 409s can be expected).
const PROBE_SUBJECT: &str = "race-probe-value";

/// One field of a pool schema: name, Avro type, default.
type Field = (&'static str, &'static str, Option<Value>);

/// Avro records (all named `Item`) that are compatible with some of their
/// neighbours and incompatible with others: fields added or removed with
/// and without defaults, type changes, and an `int` to `long` promotion.
fn schema_pool() -> Vec<String> {
    let id: Field = ("id", "long", None);
    let a_opt: Field = ("a", "string", Some(json!("")));
    let a_req: Field = ("a", "string", None);
    let b_opt: Field = ("b", "int", Some(json!(0)));
    let b_req: Field = ("b", "int", None);
    let variants: Vec<Vec<Field>> = vec![
        vec![id.clone()],
        vec![id.clone(), a_opt.clone()],
        vec![id.clone(), a_req.clone()],
        vec![id.clone(), b_opt.clone()],
        vec![id.clone(), b_req.clone()],
        vec![id.clone(), a_opt.clone(), b_opt.clone()],
        vec![id.clone(), a_req.clone(), b_opt.clone()],
        vec![id.clone(), a_opt.clone(), b_req],
        vec![("id", "string", None)],
        vec![id.clone(), ("a", "int", Some(json!(0)))],
        vec![id.clone(), ("b", "long", Some(json!(0)))],
        vec![id.clone(), a_opt, ("c", "double", Some(json!(0.0)))],
        vec![id, a_req, ("c", "double", None)],
    ];
    variants
        .into_iter()
        .map(|fields| {
            let fields: Vec<Value> = fields
                .into_iter()
                .map(|(name, kind, default)| match default {
                    Some(default) => json!({"name": name, "type": kind, "default": default}),
                    None => json!({"name": name, "type": kind}),
                })
                .collect();
            json!({"type": "record", "name": "Item", "namespace": "accord.race", "fields": fields})
                .to_string()
        })
        .collect()
}

/// SplitMix64: a small deterministic generator, one seed per writer.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

async fn get_ok(client: &reqwest::Client, url: String) -> Value {
    let (status, body) = send(client, Method::GET, &url, None).await;
    assert_eq!(status, StatusCode::OK, "GET {url}: {body}");
    body
}

/// One successful registration as a writer saw it.
struct Registered {
    subject: usize,
    schema: usize,
    id: i64,
    server: usize,
}

#[derive(Debug, PartialEq, Eq, Clone)]
struct Version {
    version: i64,
    id: i64,
    schema: String,
}

/// Every subject's versions, as one server reports them.
async fn snapshot(client: &reqwest::Client, base: &str) -> BTreeMap<String, Vec<Version>> {
    let subjects: Vec<String> =
        serde_json::from_value(get_ok(client, format!("{base}/subjects")).await)
            .expect("subject list");
    let mut all = BTreeMap::new();
    for subject in subjects {
        let numbers: Vec<i64> = serde_json::from_value(
            get_ok(client, format!("{base}/subjects/{subject}/versions")).await,
        )
        .expect("version list");
        let mut versions = Vec::new();
        for number in numbers {
            let body = get_ok(
                client,
                format!("{base}/subjects/{subject}/versions/{number}"),
            )
            .await;
            assert_eq!(body["subject"], subject.as_str(), "{body}");
            assert_eq!(body["version"], number, "{body}");
            versions.push(Version {
                version: number,
                id: body["id"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("id in {body}")),
                schema: body["schema"]
                    .as_str()
                    .unwrap_or_else(|| panic!("schema in {body}"))
                    .to_owned(),
            });
        }
        all.insert(subject, versions);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_processes_on_one_postgres_database() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return; // unavailable() has already reported why
    };
    race(&database.url, SERVERS).await;
}

/// One process: every writer's check races the others' re-validation, and
/// the registrations that reach the lock together commit together.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_process_on_sqlite() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    race(&database.url, 1).await;
}

async fn race(database_url: &str, server_count: usize) {
    let servers = ServerProcess::start_many(database_url, server_count).await;
    let client = servers[0].client.clone();
    let urls: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.address.clone()).collect());
    let pool = Arc::new(schema_pool());
    let started = Instant::now();

    // Does the checker report incompatibilities at all? (`id` long -> string.)
    let put = |base: &str, subject: &str, level: &str| {
        let url = format!("{base}/config/{subject}");
        let body = json!({ "compatibility": level });
        let client = &client;
        async move { send(client, Method::PUT, &url, Some(&body)).await }
    };
    let (status, body) = put(&urls[0], PROBE_SUBJECT, "BACKWARD").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        &client,
        Method::POST,
        &format!("{}/subjects/{PROBE_SUBJECT}/versions", urls[0]),
        Some(&json!({ "schema": pool[0] })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        &client,
        Method::POST,
        &format!(
            "{}/compatibility/subjects/{PROBE_SUBJECT}/versions/latest",
            urls[0]
        ),
        Some(&json!({ "schema": pool[8] })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let checker_rejects = body["is_compatible"] == false;

    // Levels, each set through a different server.
    for (i, (subject, level)) in SUBJECTS.iter().enumerate() {
        let (status, body) = put(&urls[i % urls.len()], subject, level).await;
        assert_eq!(status, StatusCode::OK, "PUT /config/{subject}: {body}");
    }
    for (subject, level) in SUBJECTS {
        for base in urls.iter() {
            let body = get_ok(&client, format!("{base}/config/{subject}")).await;
            assert_eq!(body["compatibilityLevel"], level, "{base}/config/{subject}");
        }
    }

    // The race.
    let barrier = Arc::new(tokio::sync::Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (client, urls, pool, barrier) =
                (client.clone(), urls.clone(), pool.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut rng = Rng(0xACC0_4D00 + writer as u64);
                let mut registered = Vec::new();
                let mut conflicts = 0usize;
                let mut unexpected = Vec::new();
                barrier.wait().await;
                for step in 0..REGISTRATIONS_PER_WRITER {
                    let subject = rng.below(SUBJECTS.len());
                    let schema = rng.below(pool.len());
                    let server = (writer + step) % urls.len();
                    let url = format!("{}/subjects/{}/versions", urls[server], SUBJECTS[subject].0);
                    let (status, body) = send(
                        &client,
                        Method::POST,
                        &url,
                        Some(&json!({ "schema": pool[schema] })),
                    )
                    .await;
                    match status {
                        StatusCode::OK => registered.push(Registered {
                            subject,
                            schema,
                            id: body["id"]
                                .as_i64()
                                .unwrap_or_else(|| panic!("POST {url}: no id in {body}")),
                            server,
                        }),
                        StatusCode::CONFLICT => {
                            assert_eq!(body["error_code"], 409, "POST {url}: {body}");
                            conflicts += 1;
                        }
                        _ => unexpected.push(format!(
                            "writer {writer} POST {url} schema #{schema}: {status} {body}"
                        )),
                    }
                }
                (registered, conflicts, unexpected)
            })
        })
        .collect();
    let mut registered = Vec::new();
    let mut conflicts = 0;
    let mut unexpected = Vec::new();
    for writer in writers {
        let (ok, conflicted, odd) = writer.await.expect("writer task");
        registered.extend(ok);
        conflicts += conflicted;
        unexpected.extend(odd);
    }
    eprintln!(
        "{} registrations: {} accepted, {conflicts} rejected as incompatible, {} other, in {:?}",
        WRITERS * REGISTRATIONS_PER_WRITER,
        registered.len(),
        unexpected.len(),
        started.elapsed()
    );
    assert!(
        unexpected.is_empty(),
        "registrations must answer 200 or 409:\n{}",
        unexpected.join("\n")
    );
    assert!(!registered.is_empty(), "no registration succeeded");
    if checker_rejects {
        assert!(
            conflicts > 0,
            "the workload produced no incompatible registration"
        );
    } else {
        eprintln!("the schema checker accepts everything here; 409s were not expected");
    }

    // Every process reports the same state, once the others have seen the
    // last writes (within the staleness bound the README states).
    let deadline = Instant::now() + Duration::from_secs(2);
    let state = loop {
        let mut states = Vec::with_capacity(urls.len());
        for base in urls.iter() {
            states.push(snapshot(&client, base).await);
        }
        let (first, others) = states.split_first().expect("a server");
        match others.iter().position(|other| other != first) {
            None => break first.clone(),
            Some(at) => assert!(
                Instant::now() < deadline,
                "{} and {} disagree:\n{:#?}\nvs\n{first:#?}",
                urls[at + 1],
                urls[0],
                others[at]
            ),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let expected_subjects: BTreeSet<&str> = SUBJECTS
        .iter()
        .map(|(subject, _)| *subject)
        .chain([PROBE_SUBJECT])
        .collect();
    let subjects: BTreeSet<&str> = state.keys().map(String::as_str).collect();
    assert!(
        subjects.is_subset(&expected_subjects) && subjects.contains(PROBE_SUBJECT),
        "unexpected subjects {subjects:?}"
    );

    // (a) One id per schema text, one text per id.
    let mut ids_by_text: HashMap<&str, BTreeSet<i64>> = HashMap::new();
    let mut texts_by_id: BTreeMap<i64, BTreeSet<&str>> = BTreeMap::new();
    for versions in state.values() {
        for version in versions {
            ids_by_text
                .entry(&version.schema)
                .or_default()
                .insert(version.id);
            texts_by_id
                .entry(version.id)
                .or_default()
                .insert(&version.schema);
        }
    }
    for (text, ids) in &ids_by_text {
        assert_eq!(
            ids.len(),
            1,
            "schema has several ids {ids:?}: {text}\n{state:#?}"
        );
    }
    for (id, texts) in &texts_by_id {
        assert_eq!(texts.len(), 1, "id {id} has several schemas {texts:#?}");
        let text = *texts.iter().next().expect("one text");
        for base in urls.iter() {
            let body = get_ok(&client, format!("{base}/schemas/ids/{id}")).await;
            assert_eq!(body["schema"], text, "{base}/schemas/ids/{id}");
        }
    }

    // (b) Versions are 1..n, and a subject never holds one schema twice.
    for (subject, versions) in &state {
        let numbers: Vec<i64> = versions.iter().map(|v| v.version).collect();
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(numbers, expected, "versions of {subject}");
        let distinct: BTreeSet<i64> = versions.iter().map(|v| v.id).collect();
        assert_eq!(
            distinct.len(),
            versions.len(),
            "{subject} holds a schema twice: {versions:#?}"
        );
    }

    // (c) Each version is compatible with the one before it.
    for (subject, level) in SUBJECTS {
        let Some(versions) = state.get(subject) else {
            continue;
        };
        if level == "NONE" {
            continue;
        }
        for pair in versions.windows(2) {
            let (status, body) = send(
                &client,
                Method::POST,
                &format!(
                    "{}/compatibility/subjects/{subject}/versions/{}",
                    urls[0], pair[0].version
                ),
                Some(&json!({ "schema": pair[1].schema })),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(
                body["is_compatible"], true,
                "{subject} ({level}) version {} is not compatible with version {}:\n{}\nvs\n{}",
                pair[1].version, pair[0].version, pair[1].schema, pair[0].schema
            );
        }
    }

    // (d) Every accepted registration is what the registry reports now.
    let mut id_of_schema: HashMap<usize, i64> = HashMap::new();
    let mut checked = BTreeSet::new();
    for registration in &registered {
        let (subject, _) = SUBJECTS[registration.subject];
        let text = &pool[registration.schema];
        let known = *id_of_schema
            .entry(registration.schema)
            .or_insert(registration.id);
        assert_eq!(
            registration.id, known,
            "schema #{} was given ids {known} and {} (the latter via server {})",
            registration.schema, registration.id, registration.server
        );
        if let Some(ids) = ids_by_text.get(text.as_str()) {
            assert!(
                ids.contains(&registration.id),
                "schema #{} has id {ids:?} now, a writer got {}",
                registration.schema,
                registration.id
            );
        }
        let versions = &state[subject];
        assert!(
            versions.iter().any(|v| v.id == registration.id),
            "{subject} has no version with id {} (schema #{}), though a writer registered it",
            registration.id,
            registration.schema
        );
        if checked.insert((registration.subject, registration.schema)) {
            for base in urls.iter() {
                let (status, body) = send(
                    &client,
                    Method::POST,
                    &format!("{base}/subjects/{subject}"),
                    Some(&json!({ "schema": text })),
                )
                .await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "lookup in {subject} via {base}: {body}"
                );
                assert_eq!(
                    body["id"], registration.id,
                    "lookup in {subject} via {base}: {body}"
                );
            }
        }
    }
    eprintln!(
        "verified {} subjects, {} schemas, in {:?}",
        state.len(),
        texts_by_id.len(),
        started.elapsed()
    );
    drop(servers);
}
