//! What each fuzz target does with its input, and the input layouts that
//! `seed.py` writes. The targets in `fuzz_targets/` are one line each.
//!
//! Besides "never panics", each target asserts invariants the crates already
//! promise (their property tests check them on generated schemas): a
//! canonical or normalized form parses again to itself, a schema is
//! compatible with itself and has no change from itself, a diff agrees with
//! the compatibility check, and a frame's message indexes read back as
//! written. A failed assertion is a finding like a panic.
//!
//! Schema input layout (UTF-8): the schema text, then, after each NUL, one
//! reference: its name, a newline, its text. References come in dependency
//! order, as `ParsedSchema::parse` wants them.
//!
//! Pair input layout (`compat_pair`): one selector byte, then UTF-8: the old
//! schema, NUL, the new schema, then references as above, shared by both,
//! except that a name starting with `<` (old only) or `>` (new only) gives
//! the reference to one side. Without a new schema, the old one is compared
//! with itself.

use std::hint::black_box;

use accord_schema::{
    CheckOptions, CompatibilityPolicy, Direction, ParseOptions, ParsedSchema, ResolvedReference,
    SchemaError, SchemaType,
};
use accord_serde::{read_message_indexes, unframe, write_message_indexes, Framing, Guid, SchemaId};

/// The format of a pair, by its selector byte (modulo 3).
pub const PAIR_FORMATS: [SchemaType; 3] =
    [SchemaType::Avro, SchemaType::Protobuf, SchemaType::Json];

/// Separates the parts of an input.
const PART_SEPARATOR: char = '\0';
/// More references than any test schema has; keeps one input cheap.
const MAX_REFERENCES: usize = 16;

/// Avro's two validation settings: defaults checked (registration with
/// `normalize`) first, and unchecked (schemas a registry already stores).
const AVRO_OPTIONS: [ParseOptions; 2] = [
    ParseOptions {
        validate_defaults: true,
    },
    ParseOptions {
        validate_defaults: false,
    },
];

/// A reference part: `name\ntext`. A part without a newline has an empty text.
fn reference(part: &str) -> ResolvedReference<'_> {
    let (name, schema) = part.split_once('\n').unwrap_or((part, ""));
    ResolvedReference { name, schema }
}

/// Parses `text` with the first options that accept it; returns those too,
/// so that a derived text is parsed the same way.
fn parse_any(
    schema_type: SchemaType,
    text: &str,
    references: &[ResolvedReference<'_>],
) -> Option<(ParsedSchema, ParseOptions)> {
    let options: &[ParseOptions] = match schema_type {
        SchemaType::Avro => &AVRO_OPTIONS,
        _ => &AVRO_OPTIONS[..1],
    };
    for options in options {
        match ParsedSchema::parse_with(schema_type, text, references, *options) {
            Ok(schema) => return Some((schema, *options)),
            // The message is what a client reads: building it must not panic.
            Err(error) => drop(black_box(describe(&error))),
        }
    }
    None
}

fn describe(error: &SchemaError) -> String {
    format!("{error} {error:?}")
}

/// Fuzzes one format's parser: the schema and its references, then the
/// canonical and normalized forms, which must be fixed points.
pub fn parse(schema_type: SchemaType, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split(PART_SEPARATOR);
    let text = parts.next().unwrap_or_default();
    let references: Vec<ResolvedReference<'_>> =
        parts.take(MAX_REFERENCES).map(reference).collect();
    let Some((schema, options)) = parse_any(schema_type, text, &references) else {
        return;
    };
    black_box(schema.estimated_heap_bytes());
    for (form, derived) in [
        (
            "canonical",
            ParsedSchema::canonical as fn(&ParsedSchema) -> String,
        ),
        ("normalized", ParsedSchema::normalized),
    ] {
        let first = derived(&schema);
        let again = ParsedSchema::parse_with(schema_type, &first, &references, options)
            .unwrap_or_else(|error| {
                panic!(
                    "the {form} form does not parse: {error}\ninput: {text:?}\n{form}: {first:?}"
                )
            });
        let second = derived(&again);
        assert_eq!(
            first, second,
            "the {form} form is not a fixed point\ninput: {text:?}"
        );
    }
    if let ParsedSchema::Protobuf(protobuf) = &schema {
        black_box((
            protobuf.serialized(),
            protobuf.without_extensions(),
            protobuf.name(),
        ));
        // The serializers frame a message by these indexes and the
        // deserializers find it by them: they must lead back to the message.
        for name in protobuf.message_names() {
            let indexes = protobuf
                .message_indexes(&name)
                .unwrap_or_else(|| panic!("listed message {name} has no indexes\n{text:?}"));
            assert_eq!(
                protobuf.message_name(&indexes).as_deref(),
                Some(name.as_str()),
                "indexes {indexes:?} do not lead back to {name}\n{text:?}"
            );
        }
    }
}

/// Fuzzes the compatibility engine and the diff on two schemas of one
/// format, chosen by the first byte (its top bit picks JSON Schema's
/// LENIENT policy).
pub fn compat_pair(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let schema_type = PAIR_FORMATS[usize::from(selector & 0x7f) % PAIR_FORMATS.len()];
    let options = CheckOptions {
        policy: if selector & 0x80 == 0 {
            CompatibilityPolicy::Strict
        } else {
            CompatibilityPolicy::Lenient
        },
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut parts = text.split(PART_SEPARATOR);
    let old_text = parts.next().unwrap_or_default();
    let new_text = parts.next();
    let mut old_references = Vec::new();
    let mut new_references = Vec::new();
    for part in parts.take(MAX_REFERENCES) {
        if let Some(part) = part.strip_prefix('<') {
            old_references.push(reference(part));
        } else if let Some(part) = part.strip_prefix('>') {
            new_references.push(reference(part));
        } else {
            old_references.push(reference(part));
            new_references.push(reference(part));
        }
    }
    let Some((old, _)) = parse_any(schema_type, old_text, &old_references) else {
        return;
    };
    let new = match new_text {
        Some(new_text) => match parse_any(schema_type, new_text, &new_references) {
            Some((new, _)) => new,
            None => return,
        },
        None => old.clone(),
    };

    for direction in [Direction::Backward, Direction::Forward] {
        let itself = ParsedSchema::incompatibilities(&old, &old, direction, &options);
        assert!(
            itself.is_empty(),
            "a schema is not {direction:?} compatible with itself: {itself:#?}\n{old_text:?}"
        );
    }
    let itself = ParsedSchema::diff(&old, &old, &options);
    assert!(
        itself.is_empty(),
        "a schema has changes from itself: {itself:#?}\n{old_text:?}"
    );

    let backward = ParsedSchema::incompatibilities(&new, &old, Direction::Backward, &options);
    let forward = ParsedSchema::incompatibilities(&new, &old, Direction::Forward, &options);
    for incompatibility in backward.iter().chain(&forward) {
        black_box(incompatibility.confluent_message());
    }
    let changes = ParsedSchema::diff(&old, &new, &options);
    for change in &changes {
        black_box(format!("{change:#}"));
    }
    // The diff attributes every incompatibility to a change, and marks a
    // change as breaking only for an incompatibility: the two agree.
    let breaks_writers = changes.iter().any(|change| change.breaks_writers);
    let breaks_readers = changes.iter().any(|change| change.breaks_readers);
    assert_eq!(
        breaks_writers,
        !backward.is_empty(),
        "the diff and the BACKWARD check disagree: {changes:#?}\n{backward:#?}\nold: {old_text:?}\nnew: {new_text:?}"
    );
    assert_eq!(
        breaks_readers,
        !forward.is_empty(),
        "the diff and the FORWARD check disagree: {changes:#?}\n{forward:#?}\nold: {old_text:?}\nnew: {new_text:?}"
    );
}

/// Fuzzes accord-serde's frame decoding. The first byte's low bit says
/// whether a header carries the id; the second byte then says where the
/// rest splits into header and payload.
pub fn serde_frame(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(guid) = text.parse::<Guid>() {
            let printed = guid.to_string();
            assert_eq!(printed.parse::<Guid>(), Ok(guid), "{text:?}");
        }
    }
    // The decoders read the indexes from arbitrary bytes, too.
    check_message_indexes(data);

    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (payload, header) = if selector & 1 == 0 {
        (rest, None)
    } else {
        let Some((&split, rest)) = rest.split_first() else {
            return;
        };
        let at = usize::from(split).min(rest.len());
        let (header, payload) = rest.split_at(at);
        (payload, Some(header))
    };
    let Ok(unframed) = unframe(payload, header) else {
        return;
    };
    let framed = header.unwrap_or(payload);
    match unframed.schema {
        SchemaId::Id(id) => {
            assert_eq!(framed[0], 0);
            assert_eq!(framed[1..5], id.to_be_bytes());
        }
        SchemaId::Guid(guid) => {
            assert_eq!(framed[0], 1);
            assert_eq!(framed[1..17], guid.0);
        }
    }
    assert!(framed.ends_with(unframed.after_id));
    match unframed.framing {
        Framing::Prefix => assert_eq!(unframed.body, unframed.after_id),
        Framing::Header => assert_eq!(unframed.body, payload),
    }
    black_box(format!("{} {:?}", unframed.schema, unframed.schema));
    check_message_indexes(unframed.after_id);
}

/// Indexes read from `bytes` are 1 to 64 non-negative numbers, the rest is
/// what follows them, and writing them reads back the same.
fn check_message_indexes(bytes: &[u8]) {
    let Ok((indexes, rest)) = read_message_indexes(bytes) else {
        return;
    };
    assert!(
        (1..=64).contains(&indexes.len()),
        "{indexes:?} from {bytes:?}"
    );
    assert!(indexes.iter().all(|index| *index >= 0), "{indexes:?}");
    assert!(bytes.ends_with(rest));
    let mut written = Vec::new();
    write_message_indexes(&mut written, &indexes);
    let (again, after) = read_message_indexes(&written)
        .unwrap_or_else(|error| panic!("{indexes:?} written as {written:?}: {error}"));
    assert_eq!(again, indexes, "written as {written:?}");
    assert!(after.is_empty());
}
