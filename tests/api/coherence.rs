//! Three `accord serve` processes on one PostgreSQL database, as replicas
//! behind a load balancer. Whatever a replica caches, a write acknowledged by
//! one replica must be visible on the others within [`STALENESS_BOUND`], and
//! at once on the replica that took it. Before each write every replica reads
//! what the write will change, so that a cache which missed the change would
//! answer with what it read.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Backend, ServerProcess, TestDatabase};

/// The bound the README states: a write acknowledged by one replica is seen
/// by every other replica within this time.
const STALENESS_BOUND: Duration = Duration::from_secs(2);

/// How often a replica that has not seen a write yet is asked again.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// Ends the connection on which each replica `LISTEN`s for changes, as a
/// network cut or a PostgreSQL failover would. (A server without caches has
/// no such connection, and this ends nothing.)
const TERMINATE_CHANGE_LISTENERS: &str = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
     WHERE application_name = 'accord-change-listener' AND datname = current_database()";

const SUBJECT: &str = "coherence-value";

/// A request, and the answer a replica that has seen every acknowledged
/// write gives to it.
#[derive(Clone, Debug)]
struct Expect {
    method: Method,
    path: String,
    body: Option<Value>,
    answer: Answer,
}

#[derive(Clone, Debug)]
enum Answer {
    /// 200, with these fields in the body (or this body, when it is not an
    /// object).
    Ok(Value),
    /// This status with this Confluent `error_code`.
    Error(u16, i64),
}

impl Answer {
    fn accepts(&self, status: StatusCode, body: &Value) -> bool {
        match self {
            Answer::Ok(Value::Object(fields)) => {
                status == StatusCode::OK
                    && fields
                        .iter()
                        .all(|(name, value)| body.get(name) == Some(value))
            }
            Answer::Ok(expected) => status == StatusCode::OK && body == expected,
            Answer::Error(code, error_code) => {
                status.as_u16() == *code && body["error_code"] == *error_code
            }
        }
    }
}

fn get(path: impl Into<String>, answer: Answer) -> Expect {
    Expect {
        method: Method::GET,
        path: path.into(),
        body: None,
        answer,
    }
}

fn post(path: impl Into<String>, body: Value, answer: Answer) -> Expect {
    Expect {
        method: Method::POST,
        path: path.into(),
        body: Some(body),
        answer,
    }
}

/// A `GET` answered with 404 and this Confluent `error_code`.
fn missing(path: impl Into<String>, error_code: i64) -> Expect {
    get(path, Answer::Error(404, error_code))
}

/// `POST /subjects/{subject}`: is `schema` registered under the subject?
fn lookup(subject: &str, query: &str, schema: &str, answer: Answer) -> Expect {
    post(
        format!("/subjects/{subject}{query}"),
        json!({ "schema": schema }),
        answer,
    )
}

/// `POST /subjects/{subject}/versions`: a registration, as a probe (its
/// answer shows the subject's mode and compatibility level).
fn register(subject: &str, schema: &str, answer: Answer) -> Expect {
    post(
        format!("/subjects/{subject}/versions"),
        json!({ "schema": schema }),
        answer,
    )
}

/// An Avro record with a required `id` and optional string fields: any two
/// are compatible at every level.
fn record(optional: &[&str]) -> String {
    let mut fields = vec![json!({ "name": "id", "type": "long" })];
    fields.extend(
        optional
            .iter()
            .map(|name| json!({ "name": name, "type": "string", "default": "" })),
    );
    json!({ "type": "record", "name": "Coherence", "namespace": "accord.test", "fields": fields })
        .to_string()
}

/// The record with `id` of another type: under BACKWARD, incompatible with
/// [`record`], and with one another for the types in
/// [`INCOMPATIBLE_ID_TYPES`].
fn with_id_of_type(kind: &str) -> String {
    json!({
        "type": "record",
        "name": "Coherence",
        "namespace": "accord.test",
        "fields": [{ "name": "id", "type": kind }],
    })
    .to_string()
}

/// `id` types no two of which (nor `long`) can read each other's data.
const INCOMPATIBLE_ID_TYPES: [&str; 3] = ["string", "boolean", "int"];

const NAMES: [&str; 3] = ["A", "B", "C"];

/// Three replicas: A takes the writes, B and C must catch up.
struct Replicas {
    servers: Vec<ServerProcess>,
    // Declared last: dropped after the processes have been killed.
    database: TestDatabase,
}

impl Replicas {
    /// `None` (the test is skipped) when PostgreSQL is not reachable.
    async fn start() -> Option<Replicas> {
        let database = TestDatabase::create(Backend::Postgres).await?;
        let servers = ServerProcess::start_many(&database.url, NAMES.len()).await;
        Some(Replicas { servers, database })
    }

    /// [`Replicas::start`], with a first version of each subject seen by all.
    async fn start_with(subjects: &[&str]) -> Option<Replicas> {
        let replicas = Replicas::start().await?;
        for subject in subjects {
            let (_, acknowledged) = replicas.register_on_a(subject, &record(&[])).await;
            replicas
                .converge(acknowledged, &[versions(subject, "", &[1])])
                .await;
        }
        Some(replicas)
    }

    fn a(&self) -> &ServerProcess {
        &self.servers[0]
    }

    /// Every replica answers as expected, twice: the first read fills
    /// whatever cache the replica keeps, the second may be served from it.
    async fn warm(&self, expects: &[Expect]) {
        for (name, server) in NAMES.iter().zip(&self.servers) {
            for _ in 0..2 {
                answers_now(name, server, expects, "before the write").await;
            }
        }
    }

    /// Sends a write to A; returns its answer and when it was acknowledged.
    async fn write(&self, method: Method, path: &str, body: Option<Value>) -> (Value, Instant) {
        let (status, answer) = self.a().request(method.clone(), path, body.as_ref()).await;
        let acknowledged = Instant::now();
        assert_eq!(status, StatusCode::OK, "{method} {path} on A: {answer}");
        (answer, acknowledged)
    }

    /// `PUT`s a config or mode on A, which answers with what it was given.
    async fn set_on_a(&self, path: &str, body: Value) -> Instant {
        let (answer, acknowledged) = self.write(Method::PUT, path, Some(body.clone())).await;
        assert_eq!(answer, body, "PUT {path} on A");
        acknowledged
    }

    async fn delete_on_a(&self, path: &str) -> (Value, Instant) {
        self.write(Method::DELETE, path, None).await
    }

    async fn register_on_a(&self, subject: &str, schema: &str) -> (i64, Instant) {
        let (answer, acknowledged) = self
            .write(
                Method::POST,
                &format!("/subjects/{subject}/versions"),
                Some(json!({ "schema": schema })),
            )
            .await;
        let id = answer["id"].as_i64().unwrap_or_else(|| panic!("{answer}"));
        (id, acknowledged)
    }

    /// After a write A acknowledged at `acknowledged`: A answers as expected
    /// at once (read your writes), B and C within the bound, and then every
    /// replica still does (a change once seen is not unseen).
    async fn converge(&self, acknowledged: Instant, expects: &[Expect]) {
        self.converge_each(acknowledged, |_| expects.to_vec()).await;
    }

    /// [`Replicas::converge`] with expectations that differ by replica
    /// (registrations, which must not repeat one another's content).
    async fn converge_each(&self, acknowledged: Instant, expects: impl Fn(usize) -> Vec<Expect>) {
        let deadline = acknowledged + STALENESS_BOUND;
        answers_now(NAMES[0], self.a(), &expects(0), "right after its own write").await;
        for (index, server) in self.servers.iter().enumerate().skip(1) {
            answers_by(NAMES[index], server, deadline, &expects(index)).await;
        }
        for (index, server) in self.servers.iter().enumerate() {
            answers_now(
                NAMES[index],
                server,
                &expects(index),
                "once it had caught up",
            )
            .await;
        }
    }

    /// Ends the replicas' change-listener connections; returns how many
    /// there were.
    async fn cut_change_listeners(&self) -> usize {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&self.database.url)
            .await
            .expect("connect to the test database");
        let terminated: Vec<Option<bool>> = sqlx::query_scalar(TERMINATE_CHANGE_LISTENERS)
            .fetch_all(&mut connection)
            .await
            .expect("terminate the change listeners");
        terminated.len()
    }
}

async fn ask(server: &ServerProcess, expect: &Expect) -> (StatusCode, Value) {
    server
        .request(expect.method.clone(), &expect.path, expect.body.as_ref())
        .await
}

/// Asks once: each answer must already be the expected one.
async fn answers_now(name: &str, server: &ServerProcess, expects: &[Expect], when: &str) {
    for expect in expects {
        let (status, body) = ask(server, expect).await;
        assert!(
            expect.answer.accepts(status, &body),
            "{} {} on replica {name} {when}: {status} {body}; expected {:?}",
            expect.method,
            expect.path,
            expect.answer
        );
    }
}

/// Asks every [`POLL_INTERVAL`] until each answer is the expected one; fails
/// if a request sent after `deadline` still gets another.
async fn answers_by(name: &str, server: &ServerProcess, deadline: Instant, expects: &[Expect]) {
    for expect in expects {
        loop {
            let sent = Instant::now();
            let (status, body) = ask(server, expect).await;
            if expect.answer.accepts(status, &body) {
                break;
            }
            assert!(
                sent < deadline,
                "{} {} on replica {name}: still {status} {body} {STALENESS_BOUND:?} after A \
                 acknowledged the write; expected {:?}",
                expect.method,
                expect.path,
                expect.answer
            );
            let next = (Instant::now() + POLL_INTERVAL).min(deadline);
            tokio::time::sleep_until(next.into()).await;
        }
    }
}

/// A subject's latest version, as `GET …/versions/latest` answers.
fn latest(subject: &str, version: i64, id: i64) -> Expect {
    get(
        format!("/subjects/{subject}/versions/latest"),
        Answer::Ok(json!({ "subject": subject, "version": version, "id": id })),
    )
}

fn versions(subject: &str, query: &str, numbers: &[i64]) -> Expect {
    get(
        format!("/subjects/{subject}/versions{query}"),
        Answer::Ok(json!(numbers)),
    )
}

/// The answers about a registered version, wherever it is read.
fn registered(subject: &str, version: i64, id: i64, schema: &str) -> Vec<Expect> {
    let found = || Answer::Ok(json!({ "subject": subject, "version": version, "id": id }));
    vec![
        get(format!("/subjects/{subject}/versions/{version}"), found()),
        lookup(subject, "", schema, found()),
        get(
            format!("/schemas/ids/{id}/versions"),
            Answer::Ok(json!([{ "subject": subject, "version": version }])),
        ),
    ]
}

/// `GET /schemas/ids/{id}` as A answers it once it has the schema.
async fn schema_by_id_on_a(replicas: &Replicas, id: i64) -> Expect {
    let path = format!("/schemas/ids/{id}");
    let (status, body) = replicas.a().get(&path).await;
    assert_eq!(status, StatusCode::OK, "GET {path} on A: {body}");
    assert!(body["schema"].is_string(), "GET {path} on A: {body}");
    get(path, Answer::Ok(body))
}

/// The id the next new schema will probably get: reading it beforehand puts
/// a "no such id" answer in any cache that keeps those.
async fn next_id(replicas: &Replicas, known: i64) -> i64 {
    let (status, body) = replicas
        .a()
        .get(&format!("/schemas/ids/{known}?fetchMaxId=true"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["maxId"].as_i64().unwrap_or_else(|| panic!("{body}")) + 1
}

/// The answers about an id no schema has (any more).
fn no_schema(id: i64) -> Vec<Expect> {
    ["", "/versions", "/versions?deleted=true"]
        .into_iter()
        .map(|rest| missing(format!("/schemas/ids/{id}{rest}"), 40403))
        .collect()
}

#[tokio::test]
async fn registrations_reach_every_replica() {
    let Some(replicas) = Replicas::start().await else {
        return; // unavailable() has already reported why
    };
    let (v1, v2) = (record(&[]), record(&["note"]));

    // A new subject.
    replicas
        .warm(&[
            get("/subjects", Answer::Ok(json!([]))),
            missing(format!("/subjects/{SUBJECT}/versions"), 40401),
            missing(format!("/subjects/{SUBJECT}/versions/latest"), 40401),
            lookup(SUBJECT, "", &v1, Answer::Error(404, 40401)),
        ])
        .await;
    // 1 is the first id today's server hands out; reading it now puts a
    // "no such id" answer in any cache that keeps those.
    replicas.warm(&no_schema(1)).await;
    let (id1, acknowledged) = replicas.register_on_a(SUBJECT, &v1).await;
    let mut after = vec![
        get("/subjects", Answer::Ok(json!([SUBJECT]))),
        versions(SUBJECT, "", &[1]),
        latest(SUBJECT, 1, id1),
        schema_by_id_on_a(&replicas, id1).await,
    ];
    after.extend(registered(SUBJECT, 1, id1, &v1));
    replicas.converge(acknowledged, &after).await;

    // Its second version.
    let predicted = next_id(&replicas, id1).await;
    let mut before = vec![
        versions(SUBJECT, "", &[1]),
        latest(SUBJECT, 1, id1),
        missing(format!("/subjects/{SUBJECT}/versions/2"), 40402),
        lookup(SUBJECT, "", &v2, Answer::Error(404, 40403)),
    ];
    before.extend(no_schema(predicted));
    replicas.warm(&before).await;
    let (id2, acknowledged) = replicas.register_on_a(SUBJECT, &v2).await;
    assert_ne!(id1, id2, "two schemas, one id");
    let mut after = vec![
        versions(SUBJECT, "", &[1, 2]),
        latest(SUBJECT, 2, id2),
        schema_by_id_on_a(&replicas, id2).await,
    ];
    after.extend(registered(SUBJECT, 2, id2, &v2));
    replicas.converge(acknowledged, &after).await;
}

#[tokio::test]
async fn soft_deletes_reach_every_replica() {
    let Some(replicas) = Replicas::start().await else {
        return;
    };
    let (v1, v2) = (record(&[]), record(&["note"]));
    let (id1, _) = replicas.register_on_a(SUBJECT, &v1).await;
    let (id2, acknowledged) = replicas.register_on_a(SUBJECT, &v2).await;
    let mut live = vec![
        latest(SUBJECT, 2, id2),
        versions(SUBJECT, "", &[1, 2]),
        versions(SUBJECT, "?deleted=true", &[1, 2]),
    ];
    live.extend(registered(SUBJECT, 2, id2, &v2));
    replicas.converge(acknowledged, &live).await;

    // A version.
    replicas.warm(&live).await;
    let (answer, acknowledged) = replicas
        .delete_on_a(&format!("/subjects/{SUBJECT}/versions/2"))
        .await;
    assert_eq!(answer, json!(2));
    let v2_deleted = |answer: Answer| {
        vec![
            get(
                format!("/subjects/{SUBJECT}/versions/2?deleted=true"),
                answer.clone(),
            ),
            lookup(SUBJECT, "?deleted=true", &v2, answer),
        ]
    };
    let mut after = vec![
        latest(SUBJECT, 1, id1),
        versions(SUBJECT, "", &[1]),
        versions(SUBJECT, "?deleted=true", &[1, 2]),
        missing(format!("/subjects/{SUBJECT}/versions/2"), 40402),
        lookup(SUBJECT, "", &v2, Answer::Error(404, 40403)),
        get(
            format!("/schemas/ids/{id2}/versions"),
            Answer::Ok(json!([])),
        ),
        get(
            format!("/schemas/ids/{id2}/versions?deleted=true"),
            Answer::Ok(json!([{ "subject": SUBJECT, "version": 2 }])),
        ),
    ];
    after.extend(v2_deleted(Answer::Ok(
        json!({ "subject": SUBJECT, "version": 2, "id": id2 }),
    )));
    replicas.converge(acknowledged, &after).await;

    // The subject.
    let mut before = after;
    before.extend([
        get("/subjects", Answer::Ok(json!([SUBJECT]))),
        get(
            format!("/subjects/{SUBJECT}/versions/1"),
            Answer::Ok(json!({ "version": 1, "id": id1 })),
        ),
    ]);
    replicas.warm(&before).await;
    let (answer, acknowledged) = replicas.delete_on_a(&format!("/subjects/{SUBJECT}")).await;
    assert_eq!(answer, json!([1]));
    let mut after = vec![
        get("/subjects", Answer::Ok(json!([]))),
        get("/subjects?deleted=true", Answer::Ok(json!([SUBJECT]))),
        missing(format!("/subjects/{SUBJECT}/versions/latest"), 40401),
        missing(format!("/subjects/{SUBJECT}/versions"), 40401),
        missing(format!("/subjects/{SUBJECT}/versions/1"), 40401),
        versions(SUBJECT, "?deleted=true", &[1, 2]),
        get(
            format!("/subjects/{SUBJECT}/versions/1?deleted=true"),
            Answer::Ok(json!({ "version": 1, "id": id1 })),
        ),
        lookup(SUBJECT, "", &v1, Answer::Error(404, 40401)),
    ];
    after.extend(v2_deleted(Answer::Ok(json!({ "version": 2, "id": id2 }))));
    replicas.converge(acknowledged, &after).await;
}

#[tokio::test]
async fn permanent_deletes_leave_nothing_behind_on_any_replica() {
    let Some(replicas) = Replicas::start().await else {
        return;
    };
    // `other` carries v1's schema too, so that id outlives SUBJECT.
    let other = "coherence-other-value";
    let (v1, v2) = (record(&[]), record(&["note"]));
    let (id1, _) = replicas.register_on_a(SUBJECT, &v1).await;
    let (id2, _) = replicas.register_on_a(SUBJECT, &v2).await;
    let (shared, _) = replicas.register_on_a(other, &v1).await;
    assert_eq!(shared, id1, "one schema, one id");
    let (_, acknowledged) = replicas
        .delete_on_a(&format!("/subjects/{SUBJECT}/versions/2"))
        .await;
    let schema2 = schema_by_id_on_a(&replicas, id2).await;
    let schema1 = schema_by_id_on_a(&replicas, id1).await;
    let v2_soft_deleted = vec![
        versions(SUBJECT, "?deleted=true", &[1, 2]),
        get(
            format!("/subjects/{SUBJECT}/versions/2?deleted=true"),
            Answer::Ok(json!({ "version": 2, "id": id2 })),
        ),
        lookup(
            SUBJECT,
            "?deleted=true",
            &v2,
            Answer::Ok(json!({ "version": 2, "id": id2 })),
        ),
        schema2.clone(),
        get(
            format!("/schemas/ids/{id2}/versions?deleted=true"),
            Answer::Ok(json!([{ "subject": SUBJECT, "version": 2 }])),
        ),
    ];
    replicas.converge(acknowledged, &v2_soft_deleted).await;

    // A soft-deleted version whose schema no other version carries.
    replicas.warm(&v2_soft_deleted).await;
    let (answer, acknowledged) = replicas
        .delete_on_a(&format!("/subjects/{SUBJECT}/versions/2?permanent=true"))
        .await;
    assert_eq!(answer, json!(2));
    let mut after = vec![
        versions(SUBJECT, "?deleted=true", &[1]),
        missing(
            format!("/subjects/{SUBJECT}/versions/2?deleted=true"),
            40402,
        ),
        lookup(SUBJECT, "?deleted=true", &v2, Answer::Error(404, 40403)),
    ];
    after.extend(no_schema(id2));
    replicas.converge(acknowledged, &after).await;

    // A soft-deleted subject whose schema `other` still carries.
    let (_, acknowledged) = replicas.delete_on_a(&format!("/subjects/{SUBJECT}")).await;
    let subject_soft_deleted = vec![
        get("/subjects", Answer::Ok(json!([other]))),
        get(
            "/subjects?deleted=true",
            Answer::Ok(json!([other, SUBJECT])),
        ),
        versions(SUBJECT, "?deleted=true", &[1]),
        get(
            format!("/subjects/{SUBJECT}/versions/1?deleted=true"),
            Answer::Ok(json!({ "version": 1, "id": id1 })),
        ),
        schema1.clone(),
        get(
            format!("/schemas/ids/{id1}/versions?deleted=true"),
            Answer::Ok(json!([
                { "subject": other, "version": 1 },
                { "subject": SUBJECT, "version": 1 },
            ])),
        ),
    ];
    replicas.converge(acknowledged, &subject_soft_deleted).await;
    replicas.warm(&subject_soft_deleted).await;
    let (answer, acknowledged) = replicas
        .delete_on_a(&format!("/subjects/{SUBJECT}?permanent=true"))
        .await;
    assert_eq!(answer, json!([1]));
    let other_only = vec![
        get("/subjects?deleted=true", Answer::Ok(json!([other]))),
        missing(format!("/subjects/{SUBJECT}/versions?deleted=true"), 40401),
        missing(
            format!("/subjects/{SUBJECT}/versions/1?deleted=true"),
            40401,
        ),
        lookup(SUBJECT, "?deleted=true", &v1, Answer::Error(404, 40401)),
        schema1,
        get(
            format!("/schemas/ids/{id1}/versions?deleted=true"),
            Answer::Ok(json!([{ "subject": other, "version": 1 }])),
        ),
    ];
    replicas.converge(acknowledged, &other_only).await;

    // The last version that carries the schema: the id goes with it.
    let (_, acknowledged) = replicas.delete_on_a(&format!("/subjects/{other}")).await;
    replicas
        .converge(acknowledged, &[versions(other, "?deleted=true", &[1])])
        .await;
    replicas.warm(&other_only).await;
    let (answer, acknowledged) = replicas
        .delete_on_a(&format!("/subjects/{other}?permanent=true"))
        .await;
    assert_eq!(answer, json!([1]));
    let mut after = vec![
        get("/subjects?deleted=true", Answer::Ok(json!([]))),
        missing(format!("/subjects/{other}/versions/1?deleted=true"), 40401),
    ];
    after.extend(no_schema(id1));
    replicas.converge(acknowledged, &after).await;
}

/// `GET /config…` answers with this compatibility level.
fn level_is(path: impl Into<String>, level: &str) -> Expect {
    get(path, Answer::Ok(json!({ "compatibilityLevel": level })))
}

/// One registration per replica that the subject's latest version, and the
/// other replicas' registrations, are incompatible with under BACKWARD: a
/// replica that still applied BACKWARD would refuse its own.
fn incompatible_on_each(subject: &'static str, answer: Answer) -> impl Fn(usize) -> Vec<Expect> {
    move |replica| {
        vec![register(
            subject,
            &with_id_of_type(INCOMPATIBLE_ID_TYPES[replica]),
            answer.clone(),
        )]
    }
}

#[tokio::test]
async fn config_changes_reach_every_replica() {
    let unconfigured = "coherence-unconfigured-value";
    let Some(replicas) = Replicas::start_with(&[SUBJECT, unconfigured]).await else {
        return;
    };
    let conflicts = |subject| {
        let refuse = incompatible_on_each(subject, Answer::Error(409, 409));
        (0..NAMES.len()).flat_map(refuse)
    };
    let compatibility_check = |subject: &str, verdict: bool| {
        post(
            format!("/compatibility/subjects/{subject}/versions/latest"),
            json!({ "schema": with_id_of_type("string") }),
            Answer::Ok(json!({ "is_compatible": verdict })),
        )
    };

    // A subject's level.
    let mut before = vec![
        missing(format!("/config/{SUBJECT}"), 40408),
        level_is(
            format!("/config/{SUBJECT}?defaultToGlobal=true"),
            "BACKWARD",
        ),
        compatibility_check(SUBJECT, false),
    ];
    before.extend(conflicts(SUBJECT));
    replicas.warm(&before).await;
    let none = json!({ "compatibility": "NONE" });
    let acknowledged = replicas
        .set_on_a(&format!("/config/{SUBJECT}"), none.clone())
        .await;
    let subject_none = [
        level_is(format!("/config/{SUBJECT}"), "NONE"),
        level_is(format!("/config/{SUBJECT}?defaultToGlobal=true"), "NONE"),
        compatibility_check(SUBJECT, true),
    ];
    replicas.converge(acknowledged, &subject_none).await;
    let accept = incompatible_on_each(SUBJECT, Answer::Ok(json!({})));
    replicas.converge_each(acknowledged, accept).await;

    // The global level, which applies to a subject without its own.
    let mut before = vec![
        level_is("/config", "BACKWARD"),
        level_is(
            format!("/config/{unconfigured}?defaultToGlobal=true"),
            "BACKWARD",
        ),
        compatibility_check(unconfigured, false),
    ];
    before.extend(conflicts(unconfigured));
    replicas.warm(&before).await;
    let acknowledged = replicas.set_on_a("/config", none).await;
    let global_none = [
        level_is("/config", "NONE"),
        level_is(
            format!("/config/{unconfigured}?defaultToGlobal=true"),
            "NONE",
        ),
        missing(format!("/config/{unconfigured}"), 40408),
        compatibility_check(unconfigured, true),
    ];
    replicas.converge(acknowledged, &global_none).await;
    let accept = incompatible_on_each(unconfigured, Answer::Ok(json!({})));
    replicas.converge_each(acknowledged, accept).await;

    // A subject's level removed: the global one applies again.
    replicas.warm(&subject_none).await;
    let (_, acknowledged) = replicas.delete_on_a(&format!("/config/{SUBJECT}")).await;
    let fallen_back = [
        missing(format!("/config/{SUBJECT}"), 40408),
        level_is(format!("/config/{SUBJECT}?defaultToGlobal=true"), "NONE"),
    ];
    replicas.converge(acknowledged, &fallen_back).await;
}

/// `GET /mode…` answers with this mode.
fn mode_is(path: impl Into<String>, mode: &str) -> Expect {
    get(path, Answer::Ok(json!({ "mode": mode })))
}

/// A compatible registration per replica, each of new content (an
/// identical one could be answered without a look at the mode).
fn compatible_on_each(
    subject: &'static str,
    tag: &'static str,
    answer: Answer,
) -> impl Fn(usize) -> Vec<Expect> {
    move |replica| {
        let field = format!("{tag}_{}", NAMES[replica].to_lowercase());
        vec![register(subject, &record(&[&field]), answer.clone())]
    }
}

#[tokio::test]
async fn mode_changes_reach_every_replica() {
    let unmoded = "coherence-unmoded-value";
    let Some(replicas) = Replicas::start_with(&[SUBJECT, unmoded]).await else {
        return;
    };
    // Refused either way, without a change: 409 in READWRITE, 42205 in READONLY.
    let probe = |subject: &str, answer| register(subject, &with_id_of_type("string"), answer);
    let read_only = Answer::Error(422, 42205);

    // A subject's mode.
    replicas
        .warm(&[
            missing(format!("/mode/{SUBJECT}"), 40409),
            mode_is(format!("/mode/{SUBJECT}?defaultToGlobal=true"), "READWRITE"),
            probe(SUBJECT, Answer::Error(409, 409)),
        ])
        .await;
    let acknowledged = replicas
        .set_on_a(&format!("/mode/{SUBJECT}"), json!({ "mode": "READONLY" }))
        .await;
    let locked = [
        mode_is(format!("/mode/{SUBJECT}"), "READONLY"),
        mode_is(format!("/mode/{SUBJECT}?defaultToGlobal=true"), "READONLY"),
        probe(SUBJECT, read_only.clone()),
    ];
    replicas.converge(acknowledged, &locked).await;
    // Only once a replica shows the mode: a registration it let through
    // could not be taken back.
    let refuse = compatible_on_each(SUBJECT, "refused", read_only.clone());
    replicas.converge_each(acknowledged, refuse).await;

    replicas.warm(&locked).await;
    let acknowledged = replicas
        .set_on_a(&format!("/mode/{SUBJECT}"), json!({ "mode": "READWRITE" }))
        .await;
    let unlocked = [
        mode_is(format!("/mode/{SUBJECT}"), "READWRITE"),
        probe(SUBJECT, Answer::Error(409, 409)),
    ];
    replicas.converge(acknowledged, &unlocked).await;
    let accept = compatible_on_each(SUBJECT, "accepted", Answer::Ok(json!({})));
    replicas.converge_each(acknowledged, accept).await;

    // The global mode, which applies to a subject without its own.
    replicas
        .warm(&[
            mode_is("/mode", "READWRITE"),
            mode_is(format!("/mode/{unmoded}?defaultToGlobal=true"), "READWRITE"),
            probe(unmoded, Answer::Error(409, 409)),
        ])
        .await;
    let acknowledged = replicas
        .set_on_a("/mode", json!({ "mode": "READONLY" }))
        .await;
    let locked = [
        mode_is("/mode", "READONLY"),
        mode_is(format!("/mode/{unmoded}?defaultToGlobal=true"), "READONLY"),
        probe(unmoded, read_only.clone()),
    ];
    replicas.converge(acknowledged, &locked).await;
    let refuse = compatible_on_each(unmoded, "refused", read_only);
    replicas.converge_each(acknowledged, refuse).await;
    let acknowledged = replicas
        .set_on_a("/mode", json!({ "mode": "READWRITE" }))
        .await;
    replicas
        .converge(acknowledged, &[mode_is("/mode", "READWRITE")])
        .await;
    let accept = compatible_on_each(unmoded, "accepted", Answer::Ok(json!({})));
    replicas.converge_each(acknowledged, accept).await;
}

#[tokio::test]
async fn aliases_reach_every_replica() {
    let Some(replicas) = Replicas::start().await else {
        return;
    };
    let alias = "coherence-alias-value";
    replicas.register_on_a(SUBJECT, &record(&[])).await;
    let (id2, acknowledged) = replicas.register_on_a(SUBJECT, &record(&["note"])).await;
    replicas
        .converge(acknowledged, &[latest(SUBJECT, 2, id2)])
        .await;

    replicas
        .warm(&[
            missing(format!("/config/{alias}"), 40408),
            missing(format!("/subjects/{alias}/versions/latest"), 40401),
            missing(format!("/subjects/{alias}/versions"), 40401),
        ])
        .await;
    let acknowledged = replicas
        .set_on_a(&format!("/config/{alias}"), json!({ "alias": SUBJECT }))
        .await;
    let aliased = |version: i64, id: i64, numbers: &[i64]| {
        vec![
            get(
                format!("/subjects/{alias}/versions/latest"),
                Answer::Ok(json!({ "subject": SUBJECT, "version": version, "id": id })),
            ),
            versions(alias, "", numbers),
        ]
    };
    let mut after = aliased(2, id2, &[1, 2]);
    after.push(get(
        format!("/config/{alias}"),
        Answer::Ok(json!({ "alias": SUBJECT })),
    ));
    replicas.converge(acknowledged, &after).await;

    // A new version of the subject, read through the alias.
    replicas.warm(&after).await;
    let (id3, acknowledged) = replicas
        .register_on_a(SUBJECT, &record(&["note", "more"]))
        .await;
    replicas
        .converge(acknowledged, &aliased(3, id3, &[1, 2, 3]))
        .await;
}

#[tokio::test]
async fn replicas_catch_up_after_their_change_listeners_are_cut() {
    let Some(replicas) = Replicas::start().await else {
        return;
    };
    let (mut id, acknowledged) = replicas.register_on_a(SUBJECT, &record(&[])).await;
    replicas
        .converge(acknowledged, &[latest(SUBJECT, 1, id)])
        .await;
    let mut config = missing(format!("/config/{SUBJECT}"), 40408);
    let versions_up_to = |last: i64| versions(SUBJECT, "", &(1..=last).collect::<Vec<_>>());
    let mut fields = Vec::new();
    // Cut, then writes; writes again with nothing cut (the listener is back,
    // or polling goes on); then a second cut.
    for (round, (cut, level)) in [(true, "NONE"), (false, "FULL"), (true, "FORWARD")]
        .into_iter()
        .enumerate()
    {
        let version = round as i64 + 1;
        replicas
            .warm(&[
                latest(SUBJECT, version, id),
                versions_up_to(version),
                config,
            ])
            .await;
        if cut {
            let terminated = replicas.cut_change_listeners().await;
            eprintln!("round {round}: terminated {terminated} change listener connections");
        }
        fields.push(format!("round_{round}"));
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        let acknowledged;
        (id, acknowledged) = replicas.register_on_a(SUBJECT, &record(&names)).await;
        let registered = [
            latest(SUBJECT, version + 1, id),
            versions_up_to(version + 1),
        ];
        replicas.converge(acknowledged, &registered).await;
        let acknowledged = replicas
            .set_on_a(
                &format!("/config/{SUBJECT}"),
                json!({ "compatibility": level }),
            )
            .await;
        config = level_is(format!("/config/{SUBJECT}"), level);
        replicas.converge(acknowledged, &[config.clone()]).await;
    }
}
