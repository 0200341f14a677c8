//! Every kind of bad message bytes comes back from accord-serde's
//! deserializers as its typed `DecodeError` (so a consumer can send it to a
//! dead-letter queue), never a panic; bad values and bad settings are
//! refused when serializing.

use accord_serde::{
    AvroDeserializer, AvroSerializer, DecodeError, Error, Framing, Guid, JsonDeserializer,
    JsonSerializer, ProtobufDeserializer, ProtobufSerializer, RegistryClient, RegistryError,
    SchemaId, SerializerConfig, SubjectNameStrategy,
};
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::serde_interop::{dynamic_message, interop_text, interop_values, User};

fn client(app: &TestApp) -> RegistryClient {
    RegistryClient::from_url(&app.address).expect("client")
}

fn decode_error(result: Result<impl std::fmt::Debug, Error>) -> DecodeError {
    match result {
        Err(Error::Decode(error)) => {
            // The message names the reason for the dead-letter queue.
            assert!(!error.to_string().is_empty());
            error
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

fn prefix(id: u32) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes
}

async fn bad_bytes_yield_typed_errors(app: TestApp) {
    let client = client(&app);
    let values = interop_values();
    let avro = AvroSerializer::new(
        client.clone(),
        Some(&interop_text("user.avsc")),
        SerializerConfig::default(),
    )
    .unwrap();
    let users: Vec<User> = serde_json::from_value(values["avro"].clone()).unwrap();
    let avro_message = avro.serialize("errors", &users[0]).await.unwrap().payload;
    let avro_id = u32::from_be_bytes(avro_message[1..5].try_into().unwrap());
    let json = JsonSerializer::new(
        client.clone(),
        Some(&interop_text("user.schema.json")),
        SerializerConfig::default(),
    )
    .unwrap();
    let json_message = json
        .serialize("errors-json", &values["json"][0])
        .await
        .unwrap()
        .payload;
    let json_id = u32::from_be_bytes(json_message[1..5].try_into().unwrap());
    let protobuf = ProtobufSerializer::new(client.clone(), SerializerConfig::default());
    let address = dynamic_message(
        "accord.interop.Address",
        &values["protobuf"]["accord.interop.Address"][0],
    );
    let protobuf_message = protobuf
        .serialize("errors-protobuf", &address)
        .await
        .unwrap()
        .payload;
    let protobuf_id = u32::from_be_bytes(protobuf_message[1..5].try_into().unwrap());

    let avro_reader = AvroDeserializer::new(client.clone());
    let json_reader = JsonDeserializer::new(client.clone(), true);
    let protobuf_reader = ProtobufDeserializer::new(client.clone());

    // Framing.
    assert_eq!(
        decode_error(avro_reader.deserialize_value(&[], None).await),
        DecodeError::Empty
    );
    assert_eq!(
        decode_error(
            avro_reader
                .deserialize_value(b"{\"not\":\"framed\"}", None)
                .await
        ),
        DecodeError::UnknownMagicByte(b'{')
    );
    assert!(matches!(
        decode_error(avro_reader.deserialize_value(&[0, 0, 0], None).await),
        DecodeError::Truncated {
            needed: 5,
            available: 3,
            ..
        }
    ));
    assert!(matches!(
        decode_error(
            avro_reader
                .deserialize_value(b"payload", Some(&[1, 0xAB]))
                .await
        ),
        DecodeError::Truncated {
            needed: 17,
            available: 2,
            ..
        }
    ));
    assert_eq!(
        decode_error(
            avro_reader
                .deserialize_value(b"payload", Some(&[9, 0, 0, 0, 1]))
                .await
        ),
        DecodeError::UnknownMagicByte(9)
    );

    // Unknown schemas, by id and by GUID.
    let mut unknown = prefix(987_654);
    unknown.push(2);
    assert_eq!(
        decode_error(avro_reader.deserialize_value(&unknown, None).await),
        DecodeError::UnknownSchema(SchemaId::Id(987_654))
    );
    let guid: Guid = "00000000-0000-0000-0000-000000000042".parse().unwrap();
    let mut header = vec![1];
    header.extend_from_slice(&guid.0);
    assert_eq!(
        decode_error(json_reader.deserialize::<Value>(b"{}", Some(&header)).await),
        DecodeError::UnknownSchema(SchemaId::Guid(guid))
    );

    // A schema of another format.
    assert_eq!(
        decode_error(avro_reader.deserialize_value(&json_message, None).await),
        DecodeError::WrongFormat {
            id: SchemaId::Id(json_id),
            expected: accord_serde::SchemaType::Avro,
            found: accord_serde::SchemaType::Json,
        }
    );
    assert!(matches!(
        decode_error(
            protobuf_reader
                .deserialize_dynamic(&avro_message, None)
                .await
        ),
        DecodeError::WrongFormat {
            found: accord_serde::SchemaType::Avro,
            ..
        }
    ));

    // Avro bodies that do not match the schema: cut short, garbage.
    let cut = &avro_message[..avro_message.len() - 3];
    assert!(matches!(
        decode_error(avro_reader.deserialize::<User>(cut, None).await),
        DecodeError::InvalidPayload { id, .. } if id == SchemaId::Id(avro_id)
    ));
    let mut garbage = prefix(avro_id);
    garbage.extend_from_slice(&[0xFF; 12]);
    assert!(matches!(
        decode_error(avro_reader.deserialize_value(&garbage, None).await),
        DecodeError::InvalidPayload { .. }
    ));

    // Protobuf: indexes that cannot be read, indexes naming no message, a
    // body that is not the message.
    let mut bad_indexes = prefix(protobuf_id);
    bad_indexes.extend_from_slice(&[0x01]);
    assert!(matches!(
        decode_error(
            protobuf_reader
                .deserialize_dynamic(&bad_indexes, None)
                .await
        ),
        DecodeError::InvalidMessageIndexes(_)
    ));
    let mut no_such_message = prefix(protobuf_id);
    no_such_message.extend_from_slice(&[0x02, 0x0E]);
    assert_eq!(
        decode_error(
            protobuf_reader
                .deserialize_dynamic(&no_such_message, None)
                .await
        ),
        DecodeError::UnknownMessage {
            id: SchemaId::Id(protobuf_id),
            indexes: vec![7]
        }
    );
    let mut truncated_indexes = prefix(protobuf_id);
    truncated_indexes.extend_from_slice(&[0x04, 0x02]);
    assert!(matches!(
        decode_error(
            protobuf_reader
                .deserialize_dynamic(&truncated_indexes, None)
                .await
        ),
        DecodeError::Truncated { .. }
    ));
    let mut bad_body = prefix(protobuf_id);
    bad_body.extend_from_slice(&[0x00, 0x0A, 0x09, b'x']);
    assert!(matches!(
        decode_error(protobuf_reader.deserialize_dynamic(&bad_body, None).await),
        DecodeError::InvalidPayload { .. }
    ));

    // JSON: not JSON, and JSON that fails the writer's schema.
    let mut not_json = prefix(json_id);
    not_json.extend_from_slice(b"{\"id\": 1,");
    assert!(matches!(
        decode_error(json_reader.deserialize::<Value>(&not_json, None).await),
        DecodeError::InvalidPayload { .. }
    ));
    let mut invalid = prefix(json_id);
    invalid.extend_from_slice(json!({"id": "one", "name": "x"}).to_string().as_bytes());
    assert!(matches!(
        decode_error(json_reader.deserialize::<Value>(&invalid, None).await),
        DecodeError::Invalid { .. }
    ));
    // ...which a deserializer without validation lets through.
    let lenient = JsonDeserializer::new(client.clone(), false);
    assert_eq!(
        lenient.deserialize::<Value>(&invalid, None).await.unwrap(),
        json!({"id": "one", "name": "x"})
    );
}

async fn bad_values_and_settings_are_refused(app: TestApp) {
    let client = client(&app);
    let values = interop_values();

    // A value that does not fit the Avro schema.
    let avro = AvroSerializer::new(
        client.clone(),
        Some(&interop_text("user.avsc")),
        SerializerConfig::default(),
    )
    .unwrap();
    let error = avro
        .serialize("refused", &json!({"id": "not a long"}))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Serialize(_)), "{error:?}");

    // A JSON value that fails its schema names the place.
    let json = JsonSerializer::new(
        client.clone(),
        Some(&interop_text("user.schema.json")),
        SerializerConfig::default(),
    )
    .unwrap();
    let error = json
        .serialize("refused-json", &json!({"id": 1, "name": ""}))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Serialize(message) if message.contains("/name")),
        "{error}"
    );
    json.serialize("refused-json", &values["json"][0])
        .await
        .expect("a valid value passes");

    // An invalid schema is refused when the serializer is built.
    let error = AvroSerializer::new(
        client.clone(),
        Some("{\"type\":\"recrod\"}"),
        SerializerConfig::default(),
    )
    .err()
    .expect("refused");
    assert!(matches!(error, Error::Schema(_)), "{error:?}");

    // Look-up only: an unregistered schema is the registry's 404.
    let lookup_only = SerializerConfig {
        auto_register: false,
        ..SerializerConfig::default()
    };
    let avro = AvroSerializer::new(
        client.clone(),
        Some(&interop_text("user.avsc")),
        lookup_only,
    )
    .unwrap();
    let users: Vec<User> = serde_json::from_value(values["avro"].clone()).unwrap();
    let error = avro
        .serialize("never-registered", &users[0])
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Registry(RegistryError::Api { status: 404, .. })
        ),
        "{error:?}"
    );

    // Record strategies need a named schema; the schema id must exist.
    let by_record = SerializerConfig {
        auto_register: false,
        use_latest_version: true,
        subject_name_strategy: SubjectNameStrategy::Record,
        ..SerializerConfig::default()
    };
    let avro = AvroSerializer::new(client.clone(), None, by_record).unwrap();
    let error = avro.serialize("t", &users[0]).await.unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    let by_id = SerializerConfig {
        auto_register: false,
        use_schema_id: Some(4242),
        ..SerializerConfig::default()
    };
    let avro = AvroSerializer::new(client.clone(), None, by_id).unwrap();
    let error = avro.serialize("t", &users[0]).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Registry(RegistryError::Api {
                status: 404,
                code: 40403,
                ..
            })
        ),
        "{error:?}"
    );

    // A schema of the wrong format for the serializer.
    let json_id = json
        .serialize("refused-json", &values["json"][0])
        .await
        .unwrap()
        .payload[1..5]
        .to_vec();
    let wrong = SerializerConfig {
        auto_register: false,
        use_schema_id: Some(u32::from_be_bytes(json_id.try_into().unwrap())),
        framing: Framing::Header,
        ..SerializerConfig::default()
    };
    let avro = AvroSerializer::new(client.clone(), None, wrong).unwrap();
    let error = avro.serialize("t", &users[0]).await.unwrap_err();
    assert!(matches!(error, Error::Schema(_)), "{error:?}");
}

crate::backend_tests!(
    bad_bytes_yield_typed_errors,
    bad_values_and_settings_are_refused
);
