//! `accord check`, `accord register` and `accord diff`, run as the built
//! binary in a git repository made in a temp dir: Avro, Protobuf (with an
//! import) and JSON Schema files go through a compatible change (v1 → v2)
//! and a breaking one (v2 → v3), checked against git revisions and against a
//! spawned Accord. Reports are snapshot-tested in every format
//! (`tests/api/snapshots/`); the project states are `tests/data/check/v*`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

const FORMATS: [&str; 5] = ["text", "json", "github", "junit", "sarif"];

/// A git repository in a temp dir, holding one of the project states.
struct Repo {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.stdout))
    }
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().expect("a temp dir"),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args([
                "-c",
                "user.name=Accord Tests",
                "-c",
                "user.email=tests@accord.invalid",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
            ])
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs (the tests need git on PATH)");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Replaces the working tree's files with the project state `name`.
    fn apply(&self, name: &str) {
        let state = state_dir(name);
        for file in files_under(&state) {
            let relative = file.strip_prefix(&state).expect("under the state");
            let target = self.path().join(relative);
            std::fs::create_dir_all(target.parent().expect("a parent")).expect("mkdir");
            std::fs::copy(&file, &target).expect("copy a state file");
        }
    }

    /// Commits everything and tags the commit `tag`.
    fn commit(&self, tag: &str) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--message", tag]);
        self.git(&["tag", tag]);
    }

    /// `accord register --format json`, for real or as a dry run.
    async fn register_json(&self, url: &str, dry_run: bool) -> Run {
        let mut args = vec!["register", "--registry", url, "--format", "json"];
        if dry_run {
            args.push("--dry-run");
        }
        self.accord(&args).await
    }

    fn write(&self, path: &str, text: &str) {
        std::fs::write(self.path().join(path), text).expect("write a file");
    }

    /// Runs `accord <args>` in the repository, off the runtime's thread.
    async fn accord(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_accord"));
        command
            .args(args)
            .current_dir(self.path())
            .env_remove("ACCORD_REGISTRY_URL")
            .env_remove("ACCORD_REGISTRY_BASIC_AUTH")
            .env_remove("ACCORD_REGISTRY_BEARER_TOKEN")
            .env_remove("ACCORD_REGISTRY_CA_CERT")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        tokio::task::spawn_blocking(move || {
            let output = command.output().expect("the accord binary runs");
            Run {
                code: output.status.code().expect("accord exits with a code"),
                stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }
        })
        .await
        .expect("the command runs")
    }

    /// `accord check --against <against>` in every format: the exit code
    /// (the same in each) and the outputs.
    async fn check_all_formats(&self, against: &str, code: i32) -> BTreeMap<&'static str, String> {
        let mut outputs = BTreeMap::new();
        for format in FORMATS {
            let run = self
                .accord(&["check", "--against", against, "--format", format])
                .await;
            assert_eq!(run.code, code, "{format}: {}{}", run.stdout, run.stderr);
            assert!(run.stderr.is_empty(), "{format}: {}", run.stderr);
            outputs.insert(format, run.stdout);
        }
        outputs
    }
}

fn state_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/check")
        .join(name)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read a state dir") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A finding as git and registry checks must agree on it: rule, path and
/// direction.
type FindingKey = (String, String, String);

/// Per subject: the status and the findings of a JSON report.
fn verdicts(report: &Value) -> BTreeMap<String, (String, Vec<FindingKey>)> {
    report["schemas"]
        .as_array()
        .expect("schemas")
        .iter()
        .map(|schema| {
            let mut findings: Vec<FindingKey> = schema["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .map(|f| {
                    (
                        f["rule"].as_str().expect("rule").to_owned(),
                        f["path"].as_str().expect("path").to_owned(),
                        f["direction"].as_str().expect("direction").to_owned(),
                    )
                })
                .collect();
            findings.sort();
            (
                schema["subject"].as_str().expect("subject").to_owned(),
                (
                    schema["status"].as_str().expect("status").to_owned(),
                    findings,
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn checks_against_git_revisions_in_every_format() {
    let repo = Repo::new();
    repo.apply("v1");
    repo.commit("v1");

    // Nothing changed since HEAD.
    let unchanged = repo.accord(&["check"]).await;
    assert_eq!(
        unchanged.code, 0,
        "{}{}",
        unchanged.stdout, unchanged.stderr
    );
    insta::assert_snapshot!("check_unchanged_text", unchanged.stdout);

    // v2: a compatible change in every format.
    repo.apply("v2");
    for (format, output) in repo.check_all_formats("git:v1", 0).await {
        insta::assert_snapshot!(format!("check_compatible_{format}"), output);
    }
    repo.commit("v2");

    // v3: a breaking change in every format, and in the imported file.
    repo.apply("v3");
    let breaking = repo.check_all_formats("git:v2", 1).await;
    for (format, output) in &breaking {
        insta::assert_snapshot!(format!("check_breaking_{format}"), output);
    }
    // HEAD is v2: the default baseline, and a commit id, say the same.
    let head = repo.accord(&["check", "--format", "json"]).await;
    assert_eq!(head.code, 1);
    let commit = repo.git(&["rev-parse", "v2"]);
    let by_commit = repo
        .accord(&[
            "check",
            "--against",
            &format!("git:{}", commit.trim()),
            "--format",
            "json",
        ])
        .await;
    assert_eq!(by_commit.code, 1);
    let by_tag: Value = serde_json::from_str(&breaking["json"]).expect("JSON");
    assert_eq!(verdicts(&head.json()), verdicts(&by_tag));
    assert_eq!(verdicts(&by_commit.json()), verdicts(&by_tag));
    // Every kind of break is found: one subject per format, plus the import.
    let found = verdicts(&by_tag);
    assert_eq!(found.len(), 4, "{found:?}");
    for (subject, (status, findings)) in &found {
        assert_eq!(status, "incompatible", "{subject}");
        assert!(!findings.is_empty(), "{subject}");
    }

    // At level NONE nothing breaks; at FORWARD the Avro field without a
    // default is fine (old readers ignore it) but the type changes are not.
    let none = repo
        .accord(&["check", "--against", "git:v2", "--level", "NONE"])
        .await;
    assert_eq!(none.code, 0, "{}", none.stdout);
    let forward = repo
        .accord(&[
            "check",
            "--against",
            "git:v2",
            "--level",
            "forward",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(forward.code, 1, "{}", forward.stdout);
    let forward = verdicts(&forward.json());
    assert_eq!(forward["user-value"].0, "compatible", "{forward:?}");
    assert_eq!(forward["events-value"].0, "incompatible", "{forward:?}");

    // Back to v2's files: compatible again.
    repo.apply("v2");
    let fixed = repo.accord(&["check", "--against", "git:v2"]).await;
    assert_eq!(fixed.code, 0, "{}", fixed.stdout);
}

#[tokio::test]
async fn diff_names_each_change_and_whom_it_breaks() {
    let repo = Repo::new();
    repo.apply("v2");
    std::fs::create_dir_all(repo.path().join("old")).expect("mkdir");
    for file in ["avro/user.avsc", "json/event.json"] {
        std::fs::copy(
            repo.path().join(file),
            repo.path().join("old").join(file.replace('/', "-")),
        )
        .expect("copy");
    }
    repo.apply("v3");
    let avro = repo
        .accord(&["diff", "old/avro-user.avsc", "avro/user.avsc"])
        .await;
    assert_eq!(avro.code, 1, "{}{}", avro.stdout, avro.stderr);
    insta::assert_snapshot!("diff_avro_text", avro.stdout);
    let json = repo
        .accord(&[
            "diff",
            "old/json-event.json",
            "json/event.json",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(json.code, 1, "{}{}", json.stdout, json.stderr);
    insta::assert_snapshot!("diff_json_schema_json", json.stdout);
    // A .proto that imports another project file is read through accord.toml.
    let same = repo
        .accord(&["diff", "proto/order.proto", "proto/order.proto"])
        .await;
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    assert!(same.stdout.contains("0 changes"), "{}", same.stdout);
    // A compatible change breaks neither.
    repo.write(
        "old/user-v1.avsc",
        &std::fs::read_to_string(state_dir("v1").join("avro/user.avsc")).expect("v1"),
    );
    repo.write(
        "old/user-v2.avsc",
        &std::fs::read_to_string(state_dir("v2").join("avro/user.avsc")).expect("v2"),
    );
    let compatible = repo
        .accord(&["diff", "old/user-v1.avsc", "old/user-v2.avsc"])
        .await;
    assert_eq!(
        compatible.code, 0,
        "{}{}",
        compatible.stdout, compatible.stderr
    );
    insta::assert_snapshot!("diff_avro_compatible_text", compatible.stdout);
}

/// Runs `accord <args>` expecting exit status 2 and a one-line message.
async fn one_line_failure(repo: &Repo, args: &[&str]) -> String {
    let run = repo.accord(args).await;
    assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
    run.stderr
}

#[tokio::test]
async fn failures_are_one_line_with_exit_status_2() {
    let repo = Repo::new();
    repo.apply("v1");
    repo.commit("v1");

    let message = one_line_failure(&repo, &["check", "--against", "git:no-such-ref"]).await;
    insta::assert_snapshot!("error_unknown_ref", message);

    let message = one_line_failure(&repo, &["check", "--against", "http://127.0.0.1:9"]).await;
    assert!(
        message.starts_with("accord check: registry unreachable: http://127.0.0.1:9/"),
        "{message}"
    );
    let message = one_line_failure(&repo, &["register", "--registry", "http://127.0.0.1:9"]).await;
    assert!(
        message.starts_with("accord register: registry unreachable: "),
        "{message}"
    );

    let message = one_line_failure(&repo, &["check", "--against", "main"]).await;
    insta::assert_snapshot!("error_bad_against", message);

    let message = one_line_failure(&repo, &["check", "--config", "missing.toml"]).await;
    assert!(
        message.starts_with("accord check: cannot read missing.toml: "),
        "{message}"
    );

    std::fs::rename(
        repo.path().join("json/event.json"),
        repo.path().join("json/event.txt"),
    )
    .expect("rename");
    let message = one_line_failure(&repo, &["check"]).await;
    insta::assert_snapshot!("error_glob_matches_nothing", message);
    repo.apply("v1");
    std::fs::remove_file(repo.path().join("json/event.txt")).expect("remove");

    std::fs::remove_file(repo.path().join("proto/shop/money.proto")).expect("remove");
    let message = one_line_failure(&repo, &["check"]).await;
    insta::assert_snapshot!("error_missing_file", message);
    repo.apply("v1");

    repo.write(
        "avro/user.avsc",
        "{\"type\": \"record\", \"name\": \"User\", \"fields\": [{\"name\": \"id\"}]}",
    );
    let message = one_line_failure(&repo, &["check"]).await;
    insta::assert_snapshot!("error_unparsable_avro", message);
    let message = one_line_failure(&repo, &["register", "--registry", "http://127.0.0.1:9"]).await;
    assert!(
        message.contains("avro/user.avsc: not a valid Avro schema"),
        "{message}"
    );
    repo.write("avro/user.avsc", "{\"type\": \"record\", \"name\": ");
    let message = one_line_failure(&repo, &["check"]).await;
    insta::assert_snapshot!("error_avro_not_json", message);
    repo.apply("v1");

    repo.write(
        "proto/order.proto",
        "syntax = \"proto3\";\nimport \"shop/none.proto\";\nmessage Order { string id = 1; }\n",
    );
    let message = one_line_failure(&repo, &["check"]).await;
    insta::assert_snapshot!("error_unknown_import", message);
    repo.apply("v1");

    repo.write("accord.toml", "[[schema]]\nfile = \"avro/user.avsc\"\n");
    let message = one_line_failure(&repo, &["check"]).await;
    insta::assert_snapshot!("error_bad_project_file", message);
    repo.apply("v1");

    let message = one_line_failure(&repo, &["diff", "avro/user.avsc", "avro/nothing.avsc"]).await;
    insta::assert_snapshot!("error_diff_missing_file", message);

    // Outside a repository, a git baseline cannot work.
    let outside = Repo {
        dir: tempfile::tempdir().expect("a temp dir"),
    };
    outside.apply("v1");
    let message = one_line_failure(&outside, &["check"]).await;
    assert!(
        message.contains("is not inside a git repository"),
        "{message}"
    );
}

async fn versions_of(app: &TestApp) -> BTreeMap<String, Value> {
    let (status, subjects) = app.get("/subjects").await;
    assert_eq!(status, StatusCode::OK);
    let mut versions = BTreeMap::new();
    for subject in subjects.as_array().expect("subjects") {
        let subject = subject.as_str().expect("a subject name");
        let (status, list) = app
            .get(&format!(
                "/subjects/{}/versions",
                subject.replace('/', "%2F")
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        versions.insert(subject.to_owned(), list);
    }
    versions
}

fn actions(run: &Run) -> BTreeMap<String, String> {
    run.json()
        .as_array()
        .expect("a list of outcomes")
        .iter()
        .map(|outcome| {
            (
                outcome["subject"].as_str().expect("subject").to_owned(),
                outcome["action"].as_str().expect("action").to_owned(),
            )
        })
        .collect()
}

async fn registry_checks_agree_with_git_and_register_is_idempotent(app: TestApp) {
    let url = app.address.clone();
    let repo = Repo::new();
    repo.apply("v1");
    repo.commit("v1");

    // Nothing registered yet: every subject is new, and passes.
    let fresh = repo
        .accord(&["check", "--against", &url, "--format", "json"])
        .await;
    assert_eq!(fresh.code, 0, "{}{}", fresh.stdout, fresh.stderr);
    let fresh = verdicts(&fresh.json());
    assert_eq!(fresh.len(), 4, "{fresh:?}");
    assert!(
        fresh.values().all(|(status, _)| status == "new"),
        "{fresh:?}"
    );

    // Register v1: the imported file first, then the rest.
    let first = repo.register_json(&url, false).await;
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let outcomes = first.json();
    let order: Vec<&str> = outcomes
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["subject"].as_str().expect("subject"))
        .collect();
    let money = order
        .iter()
        .position(|s| *s == "shop/money.proto")
        .expect("money");
    let orders = order
        .iter()
        .position(|s| *s == "orders-value")
        .expect("orders");
    assert!(money < orders, "{order:?}");
    assert!(
        actions(&first).values().all(|a| a == "registered"),
        "{}",
        first.stdout
    );
    let (status, orders_v1) = app.get("/subjects/orders-value/versions/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        orders_v1["references"][0]["name"], "shop/money.proto",
        "{orders_v1}"
    );
    assert_eq!(orders_v1["references"][0]["subject"], "shop/money.proto");

    // Twice: nothing changes.
    let registered = versions_of(&app).await;
    let second = repo.register_json(&url, false).await;
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    assert!(
        actions(&second).values().all(|a| a == "unchanged"),
        "{}",
        second.stdout
    );
    assert_eq!(versions_of(&app).await, registered);

    // v2 against the registry: the same verdicts as against git:v1.
    repo.apply("v2");
    let online = repo
        .accord(&["check", "--against", &url, "--format", "json"])
        .await;
    assert_eq!(online.code, 0, "{}{}", online.stdout, online.stderr);
    let offline = repo
        .accord(&["check", "--against", "git:v1", "--format", "json"])
        .await;
    assert_eq!(verdicts(&online.json()), verdicts(&offline.json()));

    // A dry run shows what would change and writes nothing.
    let dry = repo.register_json(&url, true).await;
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    assert!(
        actions(&dry).values().all(|a| a == "would-register"),
        "{}",
        dry.stdout
    );
    assert_eq!(versions_of(&app).await, registered);

    let v2 = repo.accord(&["register", "--registry", &url]).await;
    assert_eq!(v2.code, 0, "{}{}", v2.stdout, v2.stderr);
    assert!(
        v2.stdout
            .ends_with("4 schemas: 4 registered, 0 refused, 0 skipped, 0 unchanged\n"),
        "{}",
        v2.stdout
    );
    repo.commit("v2");
    let registered = versions_of(&app).await;
    assert!(
        registered
            .values()
            .all(|list| list.as_array().map(Vec::len) == Some(2)),
        "{registered:?}"
    );

    // v3's breaks: the registry says what git says.
    repo.apply("v3");
    let online = repo
        .accord(&["check", "--against", &url, "--format", "json"])
        .await;
    assert_eq!(online.code, 1, "{}{}", online.stdout, online.stderr);
    let offline = repo
        .accord(&["check", "--against", "git:v2", "--format", "json"])
        .await;
    assert_eq!(offline.code, 1);
    assert_eq!(verdicts(&online.json()), verdicts(&offline.json()));
    // Lines are found in the working tree's files, as offline.
    let report = online.json();
    assert!(
        report["schemas"]
            .as_array()
            .expect("schemas")
            .iter()
            .flat_map(|s| s["findings"].as_array().expect("findings"))
            .all(|f| f["line"].is_u64()),
        "{report}"
    );
    // --level overrides the registry's level.
    let none = repo
        .accord(&["check", "--against", &url, "--level", "NONE"])
        .await;
    assert_eq!(none.code, 0, "{}{}", none.stdout, none.stderr);

    // The dry run of the breaking change: refused, and nothing written.
    let dry = repo.register_json(&url, true).await;
    assert_eq!(dry.code, 1, "{}{}", dry.stdout, dry.stderr);
    let planned = actions(&dry);
    assert_eq!(planned["user-value"], "would-be-refused", "{}", dry.stdout);
    assert_eq!(
        planned["events-value"], "would-be-refused",
        "{}",
        dry.stdout
    );
    assert_eq!(
        planned["shop/money.proto"], "would-be-refused",
        "{}",
        dry.stdout
    );
    assert_eq!(versions_of(&app).await, registered);

    // Registering it for real: refused, and the dependent is skipped.
    let refused = repo.register_json(&url, false).await;
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    let done = actions(&refused);
    assert_eq!(done["user-value"], "refused", "{}", refused.stdout);
    assert_eq!(done["orders-value"], "skipped", "{}", refused.stdout);
    assert_eq!(versions_of(&app).await, registered);

    // `accord diff` reads registered versions too.
    let diff = repo
        .accord(&[
            "diff",
            "user-value:1",
            "user-value:latest",
            "--registry",
            &url,
        ])
        .await;
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout
            .starts_with("--- user-value:1\n+++ user-value:2\n"),
        "{}",
        diff.stdout
    );
    let diff = repo
        .accord(&["diff", "user-value:2", "avro/user.avsc", "--registry", &url])
        .await;
    assert_eq!(diff.code, 1, "{}{}", diff.stdout, diff.stderr);
    let missing = repo
        .accord(&["diff", "user-value:9", "avro/user.avsc", "--registry", &url])
        .await;
    assert_eq!(missing.code, 2, "{}{}", missing.stdout, missing.stderr);
    assert_eq!(missing.stderr.lines().count(), 1, "{}", missing.stderr);
    app.stop().await;
}

crate::backend_tests!(registry_checks_agree_with_git_and_register_is_idempotent);

/// The step of action.yml that runs `accord check`, run as GitHub would
/// (bash, the inputs as environment, `$GITHUB_OUTPUT`), with the built
/// binary on PATH; and the pre-commit hook's command.
#[tokio::test]
async fn the_github_action_and_the_pre_commit_hook_run_accord_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root.join("action.yml")).expect("action.yml"),
    )
    .expect("action.yml is YAML");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let step = steps
        .iter()
        .find(|step| step["id"] == "check")
        .expect("the check step");
    let script = step["run"].as_str().expect("a run script").to_owned();
    let inputs = action["inputs"].as_object().expect("inputs");
    for input in [
        "against",
        "config",
        "level",
        "format",
        "output",
        "basic-auth",
        "bearer-token",
    ] {
        assert!(inputs.contains_key(input), "input {input}");
    }

    let repo = Repo::new();
    repo.apply("v2");
    repo.commit("v2");
    repo.apply("v3");
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_accord"))
        .parent()
        .expect("the binary's directory")
        .to_owned();
    let run_action = |base_ref: &str, level: &str| {
        let outputs = repo.path().join("github-output");
        let _ = std::fs::remove_file(&outputs);
        let output = Command::new("bash")
            .args(["-e", "-c", &script])
            .current_dir(repo.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    binary_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_BASE_REF", base_ref)
            .env("ACCORD_AGAINST", "")
            .env("ACCORD_CONFIG", "accord.toml")
            .env("ACCORD_LEVEL", level)
            .env("ACCORD_FORMAT", "github")
            .env("ACCORD_OUTPUT", "report.txt")
            .env("ACCORD_REGISTRY_BASIC_AUTH", "")
            .env("ACCORD_REGISTRY_BEARER_TOKEN", "")
            .output()
            .expect("bash runs");
        let written = std::fs::read_to_string(&outputs).unwrap_or_default();
        (output, written)
    };
    // No base branch: against the previous commit, which does not exist in
    // a one-commit repository: the check cannot run.
    let (output, written) = run_action("", "");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(written, "exit-code=2\n");
    // A pull request's base branch: git:origin/<base>.
    repo.git(&["update-ref", "refs/remotes/origin/main", "HEAD"]);
    let (output, written) = run_action("main", "");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(written, "exit-code=1\n");
    let annotations = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        annotations.starts_with("::error file=avro/user.avsc,line=10,"),
        "{annotations}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("report.txt")).expect("the report file"),
        annotations
    );
    let (output, written) = run_action("main", "NONE");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(written, "exit-code=0\n");

    // The pre-commit hook: its entry and args, in the repository.
    let hooks: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).expect("hooks"),
    )
    .expect("the hooks file is YAML");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "accord-check");
    let mut command: Vec<String> = hook["entry"]
        .as_str()
        .expect("entry")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    command.extend(
        hook["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|arg| arg.as_str().expect("an arg").to_owned()),
    );
    assert_eq!(command[0], "accord");
    let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
    let breaking = repo.accord(&args).await;
    assert_eq!(breaking.code, 1, "{}{}", breaking.stdout, breaking.stderr);
    repo.apply("v2");
    let clean = repo.accord(&args).await;
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
}
