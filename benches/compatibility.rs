//! Compatibility-check benchmarks.
//!
//! - `check_200_fields/<format>`: one FULL check (both directions) of a
//!   200-field schema against its previous version, in `accord-schema` alone
//!   (both schemas already parsed, as the registry holds them).
//! - `full_transitive_1000_versions/<format>/warm`: `POST
//!   /compatibility/subjects/{s}/versions` through the registry service over
//!   SQLite, for a subject with 1,000 live versions at FULL_TRANSITIVE: every
//!   version is read from the store and checked in both directions, with the
//!   parsed versions reused from the registry's cache.
//! - `.../cold`: the same check on a fresh registry instance (empty cache),
//!   which parses all 1,000 versions: the cost the cache saves.
//!
//! Run with `cargo bench --bench compatibility`.

use std::time::Duration;

use accord::registry::{ConfigUpdate, RegisterRequest, Registry, RegistryOptions, Scope, Subject};
use accord::store::Store;
use accord_schema::{
    CheckOptions, CompatibilityLevel, Direction, ParsedSchema, ResolvedReference, SchemaType,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use serde_json::{json, Map, Value};

const FIELDS: usize = 200;
const VERSIONS: usize = 1000;

/// A schema with `fields` fields, plus one optional field named `extra`
/// when given (for JSON Schema: a description): each format's version of a
/// FULL-compatible change.
fn schema(schema_type: SchemaType, fields: usize, extra: Option<&str>) -> String {
    match schema_type {
        SchemaType::Avro => {
            let mut list: Vec<Value> = (0..fields)
                .map(|i| match i % 4 {
                    0 => json!({"name": format!("f{i}"), "type": "long"}),
                    1 => json!({"name": format!("f{i}"), "type": "string", "default": ""}),
                    2 => json!({"name": format!("f{i}"), "type": ["null", "double"], "default": null}),
                    _ => json!({"name": format!("f{i}"), "type": {"type": "array", "items": "int"}}),
                })
                .collect();
            if let Some(extra) = extra {
                list.push(json!({"name": extra, "type": ["null", "string"], "default": null}));
            }
            json!({"type": "record", "name": "Wide", "namespace": "bench", "fields": list})
                .to_string()
        }
        SchemaType::Protobuf => {
            let kinds = ["int64", "string", "double", "repeated int32"];
            let mut text = String::from("syntax = \"proto3\";\npackage bench;\n\nmessage Wide {\n");
            for i in 0..fields {
                text.push_str(&format!("  {} f{i} = {};\n", kinds[i % 4], i + 1));
            }
            if let Some(extra) = extra {
                text.push_str(&format!("  string {extra} = {};\n", fields + 1));
            }
            text.push_str("}\n");
            text
        }
        SchemaType::Json => {
            let mut properties = Map::new();
            let kinds = ["integer", "string", "number", "boolean"];
            for i in 0..fields {
                properties.insert(format!("f{i}"), json!({"type": kinds[i % 4]}));
            }
            // Adding a property breaks one direction in JSON Schema whatever
            // the content model, so each version differs by its description
            // instead: a difference the checker still finds by walking every
            // property, and compatible both ways.
            let mut root = json!({
                "type": "object",
                "properties": properties,
                "additionalProperties": false
            });
            if let Some(extra) = extra {
                root["description"] = json!(extra);
            }
            root.to_string()
        }
    }
}

fn parse(schema_type: SchemaType, text: &str) -> ParsedSchema {
    let references: [ResolvedReference<'_>; 0] = [];
    ParsedSchema::parse(schema_type, text, &references).expect("bench schema parses")
}

const FORMATS: [SchemaType; 3] = [SchemaType::Avro, SchemaType::Protobuf, SchemaType::Json];

fn check_200_fields(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_200_fields");
    for schema_type in FORMATS {
        let old = parse(schema_type, &schema(schema_type, FIELDS, None));
        let new = parse(schema_type, &schema(schema_type, FIELDS, Some("added")));
        let options = CheckOptions::default();
        for direction in [Direction::Backward, Direction::Forward] {
            assert!(
                ParsedSchema::incompatibilities(&new, &old, direction, &options).is_empty(),
                "{schema_type}: the bench change must be compatible"
            );
        }
        group.bench_function(schema_type.as_str().to_lowercase(), |b| {
            b.iter(|| {
                let backward =
                    ParsedSchema::incompatibilities(&new, &old, Direction::Backward, &options);
                let forward =
                    ParsedSchema::incompatibilities(&new, &old, Direction::Forward, &options);
                backward.len() + forward.len()
            })
        });
    }
    group.finish();
}

fn request(schema_type: SchemaType, text: String) -> RegisterRequest {
    RegisterRequest {
        schema: Some(text),
        schema_type: Some(schema_type.as_str().to_owned()),
        ..RegisterRequest::default()
    }
}

fn set_level(level: &str) -> ConfigUpdate {
    ConfigUpdate {
        compatibility: Some(level.to_owned()),
        ..ConfigUpdate::default()
    }
}

fn settings() -> RegistryOptions {
    RegistryOptions {
        max_schema_bytes: 1 << 20,
        default_compatibility: CompatibilityLevel::Backward,
        cache_max_bytes: accord::registry::DEFAULT_CACHE_MAX_BYTES,
    }
}

/// A subject with `VERSIONS` versions of a 20-field schema, each adding its
/// own optional field, then set to FULL_TRANSITIVE.
async fn subject_with_history(store: &Store, schema_type: SchemaType) -> Subject {
    let registry = Registry::new(store.clone(), settings());
    let subject = Subject::parse(&format!("bench-{}", schema_type.as_str().to_lowercase()));
    registry
        .put_config(&Scope::Subject(subject.clone()), &set_level("NONE"))
        .await
        .expect("config");
    for version in 0..VERSIONS {
        let text = schema(schema_type, 20, Some(&format!("v{version}")));
        registry
            .register(&subject, request(schema_type, text), false, false)
            .await
            .expect("register a version");
    }
    registry
        .put_config(
            &Scope::Subject(subject.clone()),
            &set_level("FULL_TRANSITIVE"),
        )
        .await
        .expect("config");
    subject
}

fn full_transitive_1000_versions(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let directory = std::env::temp_dir().join(format!("accord-bench-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("bench directory");
    let url = format!("sqlite://{}", directory.join("bench.db").display());
    let store = runtime.block_on(Store::connect(&url)).expect("store");
    let mut group = c.benchmark_group("full_transitive_1000_versions");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for schema_type in FORMATS {
        let subject = runtime.block_on(subject_with_history(&store, schema_type));
        let candidate = || request(schema_type, schema(schema_type, 20, Some("candidate")));
        let warm = Registry::new(store.clone(), settings());
        let check = |registry: &Registry| {
            let report = runtime
                .block_on(registry.test_compatibility(&subject, None, candidate(), false, false))
                .expect("check runs");
            assert!(report.is_compatible, "{schema_type}: {:?}", report.messages);
        };
        check(&warm);
        let name = schema_type.as_str().to_lowercase();
        group.bench_function(format!("{name}/warm"), |b| b.iter(|| check(&warm)));
        group.bench_function(format!("{name}/cold"), |b| {
            b.iter_batched(
                || Registry::new(store.clone(), settings()),
                |cold| check(&cold),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
}

criterion_group!(benches, check_200_fields, full_transitive_1000_versions);
criterion_main!(benches);
