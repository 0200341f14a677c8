//! `kill -9` of an `accord serve` process in the middle of a stream of
//! registrations, then a new process on the same database: every
//! registration the first one acknowledged is there, and a registration it
//! did not get to answer is there completely or not at all.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::helpers::{try_send, Backend, ServerProcess, TestDatabase};

const CLIENTS: usize = 8;
/// The server is killed once it has acknowledged this many registrations.
const ACKNOWLEDGED_BEFORE_KILL: usize = 200;
/// Subjects every client adds versions to, besides subjects of its own.
const SHARED_SUBJECTS: usize = 3;
/// A client stops here if the kill never comes (and the test fails).
const MAX_PER_CLIENT: usize = 5_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Registration {
    subject: String,
    schema: String,
}

#[derive(Debug)]
struct Acknowledged {
    registration: Registration,
    id: i64,
    sent: Instant,
    acknowledged: Instant,
}

/// What one client sent, by outcome.
#[derive(Default)]
struct ClientLog {
    acknowledged: Vec<Acknowledged>,
    /// Sent, and no answer came: the server died first.
    unanswered: Vec<Registration>,
    /// Answered with something other than 200, which no request here deserves.
    refused: Vec<String>,
}

/// An Avro record with a required `id` and one optional field of its own:
/// new content, compatible with every other such record.
fn schema(field: &str) -> String {
    json!({
        "type": "record",
        "name": "Crash",
        "namespace": "accord.test",
        "fields": [
            { "name": "id", "type": "long" },
            { "name": field, "type": "string", "default": "" },
        ],
    })
    .to_string()
}

/// The client's `n`th registration: new content under a subject of its own,
/// a new version of a shared subject, or the content of its last
/// acknowledged registration under a subject of its own (one id for both).
fn nth_registration(client: usize, n: usize, log: &ClientLog) -> Registration {
    let fresh = schema(&format!("f_{client}_{n}"));
    match (n % 4, log.acknowledged.last()) {
        (1 | 2, _) => Registration {
            subject: format!("crash-shared-{}-value", (client + n) % SHARED_SUBJECTS),
            schema: fresh,
        },
        (3, Some(last)) => Registration {
            subject: format!("crash-copy-{client}-{n}-value"),
            schema: last.registration.schema.clone(),
        },
        _ => Registration {
            subject: format!("crash-own-{client}-{n}-value"),
            schema: fresh,
        },
    }
}

/// Registers until a request goes unanswered.
async fn client(
    client: usize,
    http: reqwest::Client,
    address: String,
    acknowledgements: watch::Sender<usize>,
) -> ClientLog {
    let mut log = ClientLog::default();
    for n in 0..MAX_PER_CLIENT {
        let registration = nth_registration(client, n, &log);
        let url = format!("{address}/subjects/{}/versions", registration.subject);
        let body = json!({ "schema": registration.schema });
        let sent = Instant::now();
        match try_send(&http, Method::POST, &url, Some(&body)).await {
            Ok((StatusCode::OK, answer)) => {
                let id = answer["id"].as_i64().unwrap_or_else(|| panic!("{answer}"));
                log.acknowledged.push(Acknowledged {
                    registration,
                    id,
                    sent,
                    acknowledged: Instant::now(),
                });
                acknowledgements.send_modify(|count| *count += 1);
            }
            Ok((status, answer)) => log.refused.push(format!("POST {url}: {status} {answer}")),
            Err(_) => {
                log.unanswered.push(registration);
                break;
            }
        }
    }
    log
}

/// The answer to `POST /subjects/{s}` for a registration's schema: its
/// version and id, or `None` when it is not there.
async fn look_up(server: &ServerProcess, registration: &Registration) -> Option<(i64, i64)> {
    let (status, body) = server
        .post(
            &format!("/subjects/{}", registration.subject),
            &json!({ "schema": registration.schema }),
        )
        .await;
    match status {
        StatusCode::OK => Some((
            body["version"].as_i64().unwrap_or_else(|| panic!("{body}")),
            body["id"].as_i64().unwrap_or_else(|| panic!("{body}")),
        )),
        StatusCode::NOT_FOUND => {
            assert!(
                body["error_code"] == 40401 || body["error_code"] == 40403,
                "lookup in {}: {body}",
                registration.subject
            );
            None
        }
        _ => panic!("lookup in {}: {status} {body}", registration.subject),
    }
}

fn ok(answer: (StatusCode, Value), what: &str) -> Value {
    let (status, body) = answer;
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    body
}

async fn kill_during_registrations(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return; // unavailable() has already reported why
    };
    let started = Instant::now();
    let mut server = ServerProcess::start(&database.url).await;
    let (acknowledgements, mut count) = watch::channel(0usize);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            tokio::spawn(client(
                n,
                server.client.clone(),
                server.address.clone(),
                acknowledgements.clone(),
            ))
        })
        .collect();
    let enough = tokio::time::timeout(
        Duration::from_secs(120),
        count.wait_for(|count| *count >= ACKNOWLEDGED_BEFORE_KILL),
    )
    .await
    .is_ok_and(|changed| changed.is_ok());
    let at_kill = *count.borrow();
    // The clients are still sending: requests are in flight.
    server.kill();
    assert!(enough, "only {at_kill} registrations acknowledged in 120s");
    let mut acknowledged = Vec::new();
    let mut unanswered = Vec::new();
    let mut refused = Vec::new();
    for task in clients {
        let log = task.await.expect("client task");
        acknowledged.extend(log.acknowledged);
        unanswered.extend(log.unanswered);
        refused.extend(log.refused);
    }
    assert!(
        refused.is_empty(),
        "registrations refused:\n{}",
        refused.join("\n")
    );
    assert_eq!(
        unanswered.len(),
        CLIENTS,
        "each client stops at its first unanswered request"
    );

    let server = ServerProcess::start(&database.url).await;

    // Every acknowledged registration, with the id it was acknowledged with.
    let mut version_of: HashMap<&Registration, i64> = HashMap::new();
    for ack in &acknowledged {
        let found = look_up(&server, &ack.registration).await;
        let (version, id) = found.unwrap_or_else(|| {
            panic!(
                "acknowledged (id {}) but gone after the restart: {:?}",
                ack.id, ack.registration
            )
        });
        assert_eq!(id, ack.id, "{:?}", ack.registration);
        version_of.insert(&ack.registration, version);
    }
    // Unanswered ones may be there; if so, completely (below).
    let mut present: BTreeMap<&str, usize> = BTreeMap::new();
    for registration in acknowledged.iter().map(|ack| &ack.registration) {
        *present.entry(&registration.subject).or_default() += 1;
    }
    let mut completed = 0;
    for registration in &unanswered {
        if look_up(&server, registration).await.is_some() {
            completed += 1;
            *present.entry(&registration.subject).or_default() += 1;
        }
    }

    // Nothing else is there, versions have no gaps, one id per content.
    let subjects: BTreeSet<String> =
        serde_json::from_value(ok(server.get("/subjects").await, "GET /subjects"))
            .expect("a subject list");
    let expected: BTreeSet<String> = present.keys().map(|s| s.to_string()).collect();
    assert_eq!(subjects, expected, "subjects after the restart");
    let mut id_of_content: HashMap<String, i64> = HashMap::new();
    let mut content_of_id: HashMap<i64, String> = HashMap::new();
    for (subject, count) in &present {
        let path = format!("/subjects/{subject}/versions");
        let numbers = ok(server.get(&path).await, &path);
        let gap_free: Vec<usize> = (1..=*count).collect();
        assert_eq!(numbers, json!(gap_free), "versions of {subject}");
        for number in 1..=*count {
            let path = format!("/subjects/{subject}/versions/{number}");
            let version = ok(server.get(&path).await, &path);
            let id = version["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("{version}"));
            let text = version["schema"]
                .as_str()
                .unwrap_or_else(|| panic!("{version}"));
            let known_id = *id_of_content.entry(text.to_owned()).or_insert(id);
            assert_eq!(id, known_id, "one content under two ids: {text}");
            let known_text = content_of_id.entry(id).or_insert_with(|| text.to_owned());
            assert_eq!(text, known_text, "id {id} names two contents");
        }
    }
    // And no schema that no version carries: a registration left halfway.
    let any = content_of_id.keys().next().expect("some schema");
    let path = format!("/schemas/ids/{any}?fetchMaxId=true");
    let max_id = ok(server.get(&path).await, &path)["maxId"]
        .as_i64()
        .expect("maxId");
    for id in 1..=max_id {
        let path = format!("/schemas/ids/{id}");
        let (status, schema) = server.get(&path).await;
        match content_of_id.get(&id) {
            Some(text) => {
                assert_eq!(status, StatusCode::OK, "{path}: {schema}");
                assert_eq!(schema["schema"], text.as_str(), "{path}");
            }
            None => assert_eq!(
                (status, &schema["error_code"]),
                (StatusCode::NOT_FOUND, &json!(40403)),
                "{path}: a schema no version carries: {schema}"
            ),
        }
    }
    assert!(
        content_of_id.keys().all(|id| *id <= max_id),
        "ids above maxId {max_id}"
    );
    let mut ids_of_content: HashMap<&str, BTreeSet<i64>> = HashMap::new();
    for ack in &acknowledged {
        ids_of_content
            .entry(&ack.registration.schema)
            .or_default()
            .insert(ack.id);
    }
    for (content, ids) in &ids_of_content {
        assert_eq!(
            ids.len(),
            1,
            "one content acknowledged with ids {ids:?}: {content}"
        );
    }

    // Versions of a subject follow the order in which they were
    // acknowledged: one acknowledged before another was sent is older.
    for earlier in &acknowledged {
        for later in &acknowledged {
            if earlier.registration.subject == later.registration.subject
                && earlier.acknowledged < later.sent
            {
                assert!(
                    version_of[&earlier.registration] < version_of[&later.registration],
                    "{:?} was acknowledged before {:?} was sent, yet has a later version",
                    earlier.registration,
                    later.registration
                );
            }
        }
    }
    eprintln!(
        "{backend:?}: killed at {at_kill} acknowledgements; {} acknowledged in all, all there \
         after the restart; {completed} of {} unanswered registrations there; {:?}",
        acknowledged.len(),
        unanswered.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_keeps_every_acknowledged_registration_through_kill_9() {
    kill_during_registrations(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_keeps_every_acknowledged_registration_through_kill_9() {
    kill_during_registrations(Backend::Postgres).await;
}
