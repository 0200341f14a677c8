//! Serializer benchmarks: accord-serde against raw encoding (the floor) and
//! against the `schema_registry_converter` crate, all with warm caches, on
//! a 10-field record, for Avro and Protobuf, encode and decode.
//!
//! - `<format>_serialize/raw`: apache-avro's `write_avro_datum_ref` of the
//!   serde struct (names resolved once) / prost's `encode`; no framing.
//! - `.../raw_awaited`: the same inside the async harness the others run
//!   in (criterion's `to_async` on a tokio runtime): the floor for them.
//! - `<format>_serialize/accord_serde`: `AvroSerializer::serialize` /
//!   `ProtobufSerializer::serialize`: the same encoding plus the schema-id
//!   prefix (and message indexes), registry lookups served from cache.
//! - `<format>_serialize/schema_registry_converter`: `AvroEncoder::encode_struct`
//!   / prost `encode` then `ProtoRawEncoder::encode`, on its warm cache.
//! - `<format>_deserialize/...`: the reverse, into the same struct:
//!   apache-avro's schema-aware `read_deser` / prost `decode` (raw);
//!   `deserialize::<T>` (accord-serde); `AvroDecoder::decode` then
//!   `from_value` / `ProtoRawDecoder::decode` then prost `decode` (converter).
//!
//! All of them talk to a real Accord (SQLite, in this process) only while
//! warming up. Run with `cargo bench --bench serde`.

use std::time::Duration;

use accord::settings::ServeSettings;
use accord_schema::protobuf::ProtobufSchema;
use accord_serde::{
    AvroDeserializer, AvroSerializer, ProtobufDeserializer, ProtobufSerializer, RegistryClient,
    SerializerConfig,
};
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::ResolvedSchema;
use criterion::{criterion_group, criterion_main, Criterion};
use prost::Message;
use prost_reflect::{DescriptorPool, MessageDescriptor, ReflectMessage};
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::proto_raw::{ProtoRawDecoder, ProtoRawEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::{
    SchemaType, SubjectNameStrategy, SuppliedSchema,
};
use serde::{Deserialize, Serialize};

const AVRO_SCHEMA: &str = r#"{"type":"record","name":"Customer","namespace":"bench","fields":[
  {"name":"id","type":"long"},
  {"name":"name","type":"string"},
  {"name":"email","type":"string"},
  {"name":"age","type":"int"},
  {"name":"score","type":"double"},
  {"name":"active","type":"boolean"},
  {"name":"created_at","type":"long"},
  {"name":"country","type":"string"},
  {"name":"balance","type":"double"},
  {"name":"visits","type":"int"}]}"#;

const PROTO_SCHEMA: &str = r#"syntax = "proto3";
package bench;

message Customer {
  int64 id = 1;
  string name = 2;
  string email = 3;
  int32 age = 4;
  double score = 5;
  bool active = 6;
  int64 created_at = 7;
  string country = 8;
  double balance = 9;
  int32 visits = 10;
}
"#;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Customer {
    id: i64,
    name: String,
    email: String,
    age: i32,
    score: f64,
    active: bool,
    created_at: i64,
    country: String,
    balance: f64,
    visits: i32,
}

fn customer() -> Customer {
    Customer {
        id: 1_234_567_890,
        name: "Ann Example".into(),
        email: "ann@example.com".into(),
        age: 42,
        score: 98.5,
        active: true,
        created_at: 1_763_700_000_000,
        country: "NO".into(),
        balance: 1_024.75,
        visits: 17,
    }
}

/// The same record as prost would generate it.
#[derive(Clone, PartialEq, prost::Message)]
struct CustomerProto {
    #[prost(int64, tag = "1")]
    id: i64,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(string, tag = "3")]
    email: String,
    #[prost(int32, tag = "4")]
    age: i32,
    #[prost(double, tag = "5")]
    score: f64,
    #[prost(bool, tag = "6")]
    active: bool,
    #[prost(int64, tag = "7")]
    created_at: i64,
    #[prost(string, tag = "8")]
    country: String,
    #[prost(double, tag = "9")]
    balance: f64,
    #[prost(int32, tag = "10")]
    visits: i32,
}

fn proto_pool() -> &'static DescriptorPool {
    static POOL: std::sync::OnceLock<DescriptorPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        ProtobufSchema::parse(PROTO_SCHEMA, &[])
            .expect("the bench schema parses")
            .file()
            .parent_pool()
            .clone()
    })
}

impl ReflectMessage for CustomerProto {
    fn descriptor(&self) -> MessageDescriptor {
        proto_pool()
            .get_message_by_name("bench.Customer")
            .expect("bench.Customer")
    }
}

fn customer_proto() -> CustomerProto {
    let c = customer();
    CustomerProto {
        id: c.id,
        name: c.name,
        email: c.email,
        age: c.age,
        score: c.score,
        active: c.active,
        created_at: c.created_at,
        country: c.country,
        balance: c.balance,
        visits: c.visits,
    }
}

/// Starts Accord on a random port over a fresh SQLite file; returns its URL.
fn start_registry(runtime: &tokio::runtime::Runtime) -> (String, tempdir::TempDir) {
    let directory = tempdir::TempDir::new();
    let database = format!("sqlite://{}", directory.path().join("bench.db").display());
    let settings = ServeSettings::for_database(&database);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    runtime.spawn(async move {
        accord::serve(listener, settings, std::future::pending::<()>())
            .await
            .expect("the registry runs");
    });
    // Wait until it answers.
    let client = RegistryClient::from_url(&url).expect("client");
    runtime.block_on(async {
        for _ in 0..500 {
            if client.schema_by_id(1).await.is_err_and(|error| {
                matches!(error, accord_serde::RegistryError::Api { status: 404, .. })
            }) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the registry did not start");
    });
    (url, directory)
}

/// A temporary directory, removed on drop (no crate for a few lines).
mod tempdir {
    use std::path::{Path, PathBuf};

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new() -> TempDir {
            let path = std::env::temp_dir().join(format!("accord-bench-{}", std::process::id()));
            std::fs::create_dir_all(&path).expect("a temporary directory");
            TempDir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn converter_settings(url: &str) -> SrSettings {
    SrSettings::new_builder(url.to_owned())
        .no_proxy()
        .build()
        .expect("converter settings")
}

fn bench_avro(c: &mut Criterion, runtime: &tokio::runtime::Runtime, url: &str) {
    let record = customer();
    let client = RegistryClient::from_url(url).expect("client");

    // Raw apache-avro: the floor.
    let schema = apache_avro::Schema::parse_str(AVRO_SCHEMA).expect("schema");
    let resolved = ResolvedSchema::try_from(&schema).expect("resolved");
    let raw_encode = |record: &Customer| {
        let mut buffer = Vec::with_capacity(64);
        apache_avro::write_avro_datum_ref(&schema, resolved.get_names(), record, &mut buffer)
            .expect("encode");
        buffer
    };

    let serializer = AvroSerializer::new(
        client.clone(),
        Some(AVRO_SCHEMA),
        SerializerConfig::default(),
    )
    .expect("serializer");
    let framed = runtime
        .block_on(serializer.serialize("bench-avro", &record))
        .expect("warm-up");

    let encoder = AvroEncoder::new(converter_settings(url));
    let strategy = SubjectNameStrategy::TopicNameStrategyWithSchema(
        "bench-avro".to_owned(),
        false,
        SuppliedSchema::new(
            Some("bench.Customer".to_owned()),
            SchemaType::Avro,
            AVRO_SCHEMA.to_owned(),
        ),
    );
    let converter_bytes = runtime
        .block_on(encoder.encode_struct(&record, &strategy))
        .expect("converter warm-up");
    assert_eq!(converter_bytes, framed.payload, "both frame the same bytes");
    assert_eq!(&framed.payload[5..], raw_encode(&record).as_slice());

    let mut group = c.benchmark_group("avro_serialize");
    group.bench_function("raw", |b| {
        b.iter(|| raw_encode(std::hint::black_box(&record)))
    });
    group.bench_function("raw_awaited", |b| {
        b.to_async(runtime)
            .iter(|| async { raw_encode(std::hint::black_box(&record)) })
    });
    group.bench_function("accord_serde", |b| {
        b.to_async(runtime)
            .iter(|| async { serializer.serialize("bench-avro", &record).await.unwrap() })
    });
    group.bench_function("schema_registry_converter", |b| {
        b.to_async(runtime)
            .iter(|| async { encoder.encode_struct(&record, &strategy).await.unwrap() })
    });
    group.finish();

    let reader = GenericDatumReader::builder(&schema)
        .build()
        .expect("reader");
    let body = &framed.payload[5..];
    let deserializer = AvroDeserializer::new(client);
    let decoded: Customer = runtime
        .block_on(deserializer.deserialize(&framed.payload, None))
        .expect("warm-up");
    assert_eq!(decoded, record);
    let decoder = AvroDecoder::new(converter_settings(url));
    runtime
        .block_on(decoder.decode(Some(&framed.payload)))
        .expect("converter warm-up");

    let mut group = c.benchmark_group("avro_deserialize");
    let raw_decode = |mut bytes: &[u8]| reader.read_deser::<Customer>(&mut bytes).unwrap();
    group.bench_function("raw", |b| b.iter(|| raw_decode(std::hint::black_box(body))));
    group.bench_function("raw_awaited", |b| {
        b.to_async(runtime)
            .iter(|| async { raw_decode(std::hint::black_box(body)) })
    });
    group.bench_function("accord_serde", |b| {
        b.to_async(runtime).iter(|| async {
            deserializer
                .deserialize::<Customer>(&framed.payload, None)
                .await
                .unwrap()
        })
    });
    group.bench_function("schema_registry_converter", |b| {
        b.to_async(runtime).iter(|| async {
            let result = decoder.decode(Some(&framed.payload)).await.unwrap();
            apache_avro::from_value::<Customer>(&result.value).unwrap()
        })
    });
    group.finish();
}

fn bench_protobuf(c: &mut Criterion, runtime: &tokio::runtime::Runtime, url: &str) {
    let message = customer_proto();
    let client = RegistryClient::from_url(url).expect("client");

    let serializer = ProtobufSerializer::new(client.clone(), SerializerConfig::default());
    let framed = runtime
        .block_on(serializer.serialize("bench-protobuf", &message))
        .expect("warm-up");

    let encoder = ProtoRawEncoder::new(converter_settings(url));
    let strategy = SubjectNameStrategy::TopicNameStrategyWithSchema(
        "bench-protobuf".to_owned(),
        false,
        SuppliedSchema::new(
            Some("bench.Customer".to_owned()),
            SchemaType::Protobuf,
            PROTO_SCHEMA.to_owned(),
        ),
    );
    let converter_encode = || async {
        let bytes = message.encode_to_vec();
        encoder
            .encode(&bytes, "bench.Customer", strategy.clone())
            .await
            .unwrap()
    };
    let converter_bytes = runtime.block_on(converter_encode());
    assert_eq!(
        converter_bytes[5..],
        framed.payload[5..],
        "same indexes and body"
    );

    let mut group = c.benchmark_group("protobuf_serialize");
    group.bench_function("raw", |b| {
        b.iter(|| std::hint::black_box(&message).encode_to_vec())
    });
    group.bench_function("raw_awaited", |b| {
        b.to_async(runtime)
            .iter(|| async { std::hint::black_box(&message).encode_to_vec() })
    });
    group.bench_function("accord_serde", |b| {
        b.to_async(runtime).iter(|| async {
            serializer
                .serialize("bench-protobuf", &message)
                .await
                .unwrap()
        })
    });
    group.bench_function("schema_registry_converter", |b| {
        b.to_async(runtime).iter(converter_encode)
    });
    group.finish();

    let body = &framed.payload[6..];
    let deserializer = ProtobufDeserializer::new(client);
    let decoded: CustomerProto = runtime
        .block_on(deserializer.deserialize(&framed.payload, None))
        .expect("warm-up");
    assert_eq!(decoded, message);
    let decoder = ProtoRawDecoder::new(converter_settings(url));
    runtime
        .block_on(decoder.decode(Some(&framed.payload)))
        .expect("converter warm-up");

    let mut group = c.benchmark_group("protobuf_deserialize");
    group.bench_function("raw", |b| {
        b.iter(|| CustomerProto::decode(std::hint::black_box(body)).unwrap())
    });
    group.bench_function("raw_awaited", |b| {
        b.to_async(runtime)
            .iter(|| async { CustomerProto::decode(std::hint::black_box(body)).unwrap() })
    });
    group.bench_function("accord_serde", |b| {
        b.to_async(runtime).iter(|| async {
            deserializer
                .deserialize::<CustomerProto>(&framed.payload, None)
                .await
                .unwrap()
        })
    });
    group.bench_function("schema_registry_converter", |b| {
        b.to_async(runtime).iter(|| async {
            let result = decoder
                .decode(Some(&framed.payload))
                .await
                .unwrap()
                .unwrap();
            CustomerProto::decode(result.bytes.as_slice()).unwrap()
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (url, _directory) = start_registry(&runtime);
    bench_avro(c, &runtime, &url);
    bench_protobuf(c, &runtime, &url);
}

criterion_group! {
    name = serde;
    config = Criterion::default().measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(serde);
