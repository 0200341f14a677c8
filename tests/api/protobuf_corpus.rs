//! Real-world `.proto` files: every one that ships in the
//! `googleapis-common-protos`, `grpc-google-iam-v1`, `protoc-gen-validate`
//! and `grpcio-tools` packages (installed by `.ci/run` into the venv of
//! `ACCORD_PYTHON`) registers under its import path with its imports as
//! references, and its `format=serialized` descriptor is the one protoc
//! (`python -m grpc_tools.protoc`) builds for it.
//!
//! Each file is registered twice, as the two settings of Confluent's
//! `skip.known.types` would:
//! - with every import as a reference, the well-known files included
//!   (`google/protobuf/*`, registered from the corpus like any other file);
//! - with the imports the Python client calls built in (`google/protobuf/`,
//!   `google/type/`, `confluent/`) left out, so Accord's built-in files
//!   provide them; the files are registered again under `skip-known-types/`.
//!
//! The descriptors are compared after these differences, which are
//! Confluent's (its serialized descriptor is the `FileDescriptorProto` its
//! `toDynamicSchema` builds, which Accord reproduces):
//! - the file is named `default`, not by its import path;
//! - type names are as written, not fully qualified: they are resolved here
//!   by prost-reflect, with protoc's scoping rules, against protoc's own
//!   descriptors of the imports, so a name Accord resolved differently from
//!   protoc shows as a difference or a build error;
//! - a field's `json_name` is there only when the text sets it (protoc writes
//!   one for every field), and a proto3 field without a label has none
//!   (protoc writes `LABEL_OPTIONAL`);
//! - a proto2 file says `syntax = "proto2"` (protoc leaves it out), and a
//!   method's streaming flags are written when false too;
//! - the fields of a oneof come before the message's other fields, and map
//!   entry messages after the declared nested types (protoc keeps the
//!   written order): fields are compared by number, nested types by name;
//! - a map entry message is named as Guava camel-cases the field name
//!   (`valuesEntry` for `values`), where protoc writes `ValuesEntry`;
//! - oneofs and extension ranges carry an empty options message;
//! - custom options (`(google.api.http)`, `(validate.rules)`, …) are not
//!   written, only Confluent's own `confluent.*_meta`: options are decoded
//!   with prost-types, which keeps no extension, so they drop out of both
//!   sides.
//!
//! prost-types' `descriptor.proto` predates editions, so the options added
//! for them (`retention`, `targets`, `edition_defaults`, `feature_support`,
//! `features`, `debug_redact`, an extension range's `declaration`) are not
//! compared either. In the corpus only `google/protobuf/descriptor.proto`
//! and the three `*_features.proto` files set them; protoc writes them, and
//! so does Confluent 7.9 for most (`retention`, `targets`,
//! `edition_defaults`, `debug_redact`, `features`, `declaration`), but
//! Accord's serialized descriptor does not yet.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use prost::Message;
use prost_reflect::prost_types::field_descriptor_proto::Label;
use prost_reflect::prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    FileDescriptorSet,
};
use prost_reflect::DescriptorPool;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::helpers::{unavailable, TestApp};
use crate::python_client::{python, run};

/// The packages whose `.proto` files make the corpus.
const DISTRIBUTIONS: &[&str] = &[
    "googleapis-common-protos",
    "grpc-google-iam-v1",
    "protoc-gen-validate",
    "grpcio-tools",
];

/// Lists every `.proto` file of `DISTRIBUTIONS` with its import path: the
/// path inside site-packages, less `grpc_tools/_proto/` for grpcio-tools's
/// copies of the well-known files; protoc-gen-validate installs its one file
/// as a data file outside site-packages, and it is imported as
/// `validate/validate.proto`.
const LIST_SCRIPT: &str = r#"
import json, sys
from importlib import metadata
corpus = []
for name in sys.argv[1:]:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        print(json.dumps({"missing": name}))
        sys.exit(0)
    for path in dist.files or []:
        path_text = str(path).replace("\\", "/")
        if not path_text.endswith(".proto"):
            continue
        if path_text.startswith("grpc_tools/_proto/"):
            import_path = path_text[len("grpc_tools/_proto/"):]
        elif name == "protoc-gen-validate":
            import_path = "validate/" + path_text.rsplit("/", 1)[-1]
        else:
            import_path = path_text
        corpus.append({
            "distribution": "%s %s" % (name, dist.version),
            "import_path": import_path,
            "file": str(path.locate()),
        })
print(json.dumps({"files": corpus}))
"#;

const PYTHON_DEADLINE: Duration = Duration::from_secs(120);

/// Where the files register when the built-in imports are left out.
const SKIP_KNOWN_TYPES_PREFIX: &str = "skip-known-types/";

#[derive(Deserialize)]
struct Listing {
    missing: Option<String>,
    #[serde(default)]
    files: Vec<ListedFile>,
}

#[derive(Deserialize)]
struct ListedFile {
    distribution: String,
    import_path: String,
    file: PathBuf,
}

struct Corpus {
    /// The packages and versions the files came from.
    distributions: Vec<String>,
    /// Import path and text of each file, dependencies first.
    files: Vec<(String, String)>,
    /// protoc's descriptor of each file, by import path.
    descriptors: HashMap<String, FileDescriptorProto>,
    /// protoc's descriptors in its order (dependencies first).
    order: Vec<String>,
}

/// The corpus, read and compiled once for the test binary; `Err` says why
/// it is not installed.
fn corpus() -> &'static Result<Corpus, String> {
    static CORPUS: OnceLock<Result<Corpus, String>> = OnceLock::new();
    CORPUS.get_or_init(load_corpus)
}

fn load_corpus() -> Result<Corpus, String> {
    let python = python();
    let mut command = Command::new(&python);
    command.arg("-c").arg(LIST_SCRIPT).args(DISTRIBUTIONS);
    let listed = run(command, &[], PYTHON_DEADLINE).map_err(|error| {
        format!(
            "the Python interpreter {} cannot be run ({error}); set ACCORD_PYTHON or run .ci/run",
            python.display()
        )
    })?;
    if !listed.status.is_some_and(|status| status.success()) {
        return Err(format!(
            "{} cannot list the installed packages: {}",
            python.display(),
            listed.stderr.trim()
        ));
    }
    let listing: Listing = serde_json::from_str(listed.stdout.trim()).unwrap_or_else(|error| {
        panic!(
            "the listing script prints JSON ({error}): {}",
            listed.stdout
        )
    });
    if let Some(missing) = listing.missing {
        return Err(format!(
            "the Python package {missing} is not installed in {}'s environment (.ci/run installs it)",
            python.display()
        ));
    }

    // protoc reads the files at their import paths under one root.
    let root = tempfile::tempdir().expect("a temp dir");
    let mut names = Vec::new();
    let mut distributions: Vec<String> = Vec::new();
    for listed in &listing.files {
        let target = root.path().join(&listed.import_path);
        std::fs::create_dir_all(target.parent().expect("an import path has a directory"))
            .expect("create the include tree");
        std::fs::copy(&listed.file, &target)
            .unwrap_or_else(|error| panic!("copy {}: {error}", listed.file.display()));
        names.push(listed.import_path.clone());
        if !distributions.contains(&listed.distribution) {
            distributions.push(listed.distribution.clone());
        }
    }
    assert!(
        !names.is_empty(),
        "the packages {DISTRIBUTIONS:?} are installed but ship no .proto file"
    );
    let descriptor_set = root.path().join("corpus.pb");
    let mut command = Command::new(&python);
    command
        .args(["-m", "grpc_tools.protoc", "--include_imports"])
        .arg(format!("--proto_path={}", root.path().display()))
        .arg(format!("--descriptor_set_out={}", descriptor_set.display()))
        .args(&names);
    let compiled = run(command, &[], PYTHON_DEADLINE).expect("run grpc_tools.protoc");
    assert!(
        compiled.status.is_some_and(|status| status.success()),
        "protoc refuses the corpus: {}",
        compiled.stderr
    );
    let set = FileDescriptorSet::decode(
        std::fs::read(&descriptor_set)
            .expect("protoc wrote the descriptor set")
            .as_slice(),
    )
    .expect("protoc's descriptor set decodes");

    let listed: HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut files = Vec::new();
    let mut descriptors = HashMap::new();
    let mut order = Vec::new();
    for descriptor in set.file {
        let name = descriptor.name().to_owned();
        // --include_imports adds any import not in the corpus (none today).
        if listed.contains(name.as_str()) {
            let text =
                std::fs::read_to_string(root.path().join(&name)).expect("read a corpus file");
            files.push((name.clone(), text));
        }
        order.push(name.clone());
        descriptors.insert(name, descriptor);
    }
    Ok(Corpus {
        distributions,
        files,
        descriptors,
        order,
    })
}

/// Whether confluent-kafka's Python serializer leaves this import out of the
/// references by default (`skip.known.types`, its `_is_builtin`).
fn skipped_as_known(import_path: &str) -> bool {
    ["confluent/", "google/protobuf/", "google/type/"]
        .iter()
        .any(|prefix| import_path.starts_with(prefix))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum KnownTypes {
    /// Every import is a reference (`skip.known.types=false`).
    AsReferences,
    /// The client's built-in imports are left out (`skip.known.types=true`).
    Skipped,
}

impl KnownTypes {
    fn subject(self, import_path: &str) -> String {
        match self {
            KnownTypes::AsReferences => import_path.to_owned(),
            KnownTypes::Skipped => format!("{SKIP_KNOWN_TYPES_PREFIX}{import_path}"),
        }
    }

    fn references(self, descriptor: &FileDescriptorProto) -> Vec<Value> {
        descriptor
            .dependency
            .iter()
            .filter(|import| self == KnownTypes::AsReferences || !skipped_as_known(import))
            .map(|import| json!({ "name": import, "subject": self.subject(import), "version": 1 }))
            .collect()
    }
}

fn encode_subject(subject: &str) -> String {
    subject.replace('/', "%2F")
}

async fn protobuf_corpus_registers_as_protoc_compiles_it(app: TestApp) {
    let corpus = match tokio::task::spawn_blocking(corpus)
        .await
        .expect("the corpus loader does not panic")
    {
        Ok(corpus) => corpus,
        Err(why) => return unavailable(why),
    };
    eprintln!(
        "{} .proto files from {}",
        corpus.files.len(),
        corpus.distributions.join(", ")
    );
    let mut failures = Vec::new();
    for mode in [KnownTypes::AsReferences, KnownTypes::Skipped] {
        let mut registered = 0;
        for (name, text) in &corpus.files {
            let descriptor = &corpus.descriptors[name];
            let body = json!({
                "schemaType": "PROTOBUF",
                "schema": text,
                "references": mode.references(descriptor),
            });
            let subject = encode_subject(&mode.subject(name));
            let (status, answer) = app
                .post(&format!("/subjects/{subject}/versions"), &body)
                .await;
            if status != StatusCode::OK {
                failures.push(format!(
                    "{mode:?} {name}: refused, {status} {}",
                    refusal(&answer)
                ));
                continue;
            }
            registered += 1;
            let id = answer["id"].as_i64().expect("an id");
            let (status, answer) = app
                .get(&format!("/schemas/ids/{id}?format=serialized"))
                .await;
            assert_eq!(status, StatusCode::OK, "{name}: {answer}");
            let serialized = base64::engine::general_purpose::STANDARD
                .decode(answer["schema"].as_str().expect("a serialized schema"))
                .expect("format=serialized is base64");
            let ours = FileDescriptorProto::decode(serialized.as_slice())
                .expect("format=serialized is a FileDescriptorProto");
            if let Err(difference) = compare(name, ours, corpus) {
                failures.push(format!("{mode:?} {name}: {difference}"));
            }
        }
        eprintln!(
            "{mode:?}: {registered} of {} files registered",
            corpus.files.len()
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} registrations failed or differ from protoc:\n{}",
        failures.len(),
        2 * corpus.files.len(),
        failures.join("\n")
    );
}

/// The error code and the reason of a refusal, without the schema text
/// Confluent's message repeats.
fn refusal(answer: &Value) -> String {
    let message = answer["message"].as_str().unwrap_or_default();
    let reason = message
        .rsplit_once(", details: ")
        .map_or(message, |(_, details)| details);
    format!("{}: {reason}", answer["error_code"])
}

/// `Ok` when Accord's serialized descriptor of `name`, its type names
/// resolved against protoc's descriptors of its imports, is protoc's but for
/// Confluent's differences (see the module comment).
fn compare(name: &str, mut ours: FileDescriptorProto, corpus: &Corpus) -> Result<(), String> {
    let mut pool = DescriptorPool::new();
    pool.add_file_descriptor_protos(
        dependency_closure(name, corpus)
            .into_iter()
            .map(|dependency| corpus.descriptors[dependency].clone()),
    )
    .map_err(|error| format!("protoc's imports do not build: {error}"))?;
    ours.name = Some(name.to_owned());
    pool.add_file_descriptor_proto(ours)
        .map_err(|error| format!("the serialized descriptor does not build: {error}"))?;
    let mut ours = pool
        .get_file_by_name(name)
        .expect("just added")
        .file_descriptor_proto()
        .clone();
    let mut theirs = corpus.descriptors[name].clone();
    normalize(&mut ours);
    normalize(&mut theirs);
    if ours == theirs {
        return Ok(());
    }
    let ours = format!("{ours:#?}");
    let theirs = format!("{theirs:#?}");
    let (line, (mine, protoc)) = ours
        .lines()
        .zip(theirs.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .unwrap_or((0, ("(longer or shorter)", "")));
    let context: Vec<&str> = theirs
        .lines()
        .skip(line.saturating_sub(6))
        .take(6)
        .collect();
    Err(format!(
        "the serialized descriptor differs from protoc's at line {line} of their Debug form:\n  \
         after {}\n  accord: {}\n  protoc: {}",
        context.join("\n        "),
        mine.trim(),
        protoc.trim()
    ))
}

/// `name`'s imports and theirs, in protoc's order (dependencies first).
fn dependency_closure<'a>(name: &str, corpus: &'a Corpus) -> Vec<&'a str> {
    let mut needed: HashSet<&str> = HashSet::new();
    let mut pending: Vec<&str> = corpus.descriptors[name]
        .dependency
        .iter()
        .map(String::as_str)
        .collect();
    while let Some(next) = pending.pop() {
        if needed.insert(next) {
            pending.extend(
                corpus.descriptors[next]
                    .dependency
                    .iter()
                    .map(String::as_str),
            );
        }
    }
    corpus
        .order
        .iter()
        .map(String::as_str)
        .filter(|file| needed.contains(file))
        .collect()
}

/// Takes out of a descriptor what Confluent's serialized form does not
/// carry, writes differently or orders differently (see the module comment).
fn normalize(file: &mut FileDescriptorProto) {
    // protoc leaves the syntax of a proto2 file out; Confluent writes the
    // one the text declares.
    if file.syntax() == "proto2" {
        file.syntax = None;
    }
    drop_empty(&mut file.options);
    for message in &mut file.message_type {
        normalize_message(message);
    }
    for enumeration in &mut file.enum_type {
        normalize_enum(enumeration);
    }
    for field in &mut file.extension {
        normalize_field(field);
    }
    for service in &mut file.service {
        drop_empty(&mut service.options);
        for method in &mut service.method {
            drop_empty(&mut method.options);
            // protoc writes the streaming flags only when set.
            method.client_streaming = method.client_streaming.filter(|streaming| *streaming);
            method.server_streaming = method.server_streaming.filter(|streaming| *streaming);
        }
    }
}

/// An options message with nothing prost knows in it: Confluent writes empty
/// ones (oneofs, extension ranges), and protoc's custom options decode to
/// nothing.
fn drop_empty<T: Default + PartialEq>(options: &mut Option<T>) {
    if options
        .as_ref()
        .is_some_and(|options| *options == T::default())
    {
        *options = None;
    }
}

fn normalize_message(message: &mut DescriptorProto) {
    for field in message.field.iter_mut().chain(&mut message.extension) {
        normalize_field(field);
    }
    // Confluent names a map's entry message as Guava camel-cases the field
    // name (`valuesEntry` for `values`, `MyMapEntry` for `my_map`); protoc
    // upper-cases the first letter too (`ValuesEntry`).
    for field in &mut message.field {
        let Some((scope, entry_name)) = field.type_name().rsplit_once('.') else {
            continue;
        };
        let Some(entry) = message.nested_type.iter_mut().find(|nested| {
            nested.name() == entry_name
                && nested
                    .options
                    .as_ref()
                    .and_then(|options| options.map_entry)
                    == Some(true)
        }) else {
            continue;
        };
        let protoc_name = protoc_map_entry_name(field.name());
        field.type_name = Some(format!("{scope}.{protoc_name}"));
        entry.name = Some(protoc_name);
    }
    message.field.sort_by_key(|field| field.number());
    for nested in &mut message.nested_type {
        normalize_message(nested);
    }
    message.nested_type.sort_by(|a, b| a.name().cmp(b.name()));
    for enumeration in &mut message.enum_type {
        normalize_enum(enumeration);
    }
    for oneof in &mut message.oneof_decl {
        drop_empty(&mut oneof.options);
    }
    for range in &mut message.extension_range {
        drop_empty(&mut range.options);
    }
    drop_empty(&mut message.options);
}

fn normalize_field(field: &mut FieldDescriptorProto) {
    // protoc writes a JSON name for every field, Confluent only the ones
    // the text sets.
    if field.json_name.is_none() {
        field.json_name = Some(default_json_name(field.name()));
    }
    // A proto3 field written without a label has none in Confluent's.
    if field.label.is_none() {
        field.set_label(Label::Optional);
    }
    drop_empty(&mut field.options);
}

fn normalize_enum(enumeration: &mut EnumDescriptorProto) {
    drop_empty(&mut enumeration.options);
    for value in &mut enumeration.value {
        drop_empty(&mut value.options);
    }
}

/// protoc's JSON name: underscores dropped, the letter after one upper-cased.
fn default_json_name(name: &str) -> String {
    camel_case(name, false)
}

/// protoc's name for the entry message of map field `field`.
fn protoc_map_entry_name(field: &str) -> String {
    camel_case(field, true) + "Entry"
}

fn camel_case(name: &str, upper_first: bool) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = upper_first;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

crate::backend_tests!(protobuf_corpus_registers_as_protoc_compiles_it);
