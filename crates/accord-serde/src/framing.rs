//! How a schema id travels with a message: Confluent's payload prefix
//! (magic byte 0, 4-byte big-endian id) or the header form of Confluent 8
//! clients (magic byte 1, 16-byte GUID, in a `__key_schema_id` or
//! `__value_schema_id` header). Protobuf message indexes follow the id in
//! either place.

use std::fmt;
use std::str::FromStr;

use crate::error::DecodeError;

const MAGIC_ID: u8 = 0;
const MAGIC_GUID: u8 = 1;
/// More nesting than any real .proto has; bounds what garbage can allocate.
const MAX_MESSAGE_INDEXES: usize = 64;

/// A schema's GUID: the 16 bytes of its UUID, most significant first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid(pub [u8; 16]);

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if matches!(index, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

impl FromStr for Guid {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let hex: Vec<u8> = text.bytes().filter(|byte| *byte != b'-').collect();
        if hex.len() != 32 {
            return Err(format!("`{text}` is not a UUID"));
        }
        let mut bytes = [0u8; 16];
        for (index, pair) in hex.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).map_err(|_| format!("`{text}` is not a UUID"))?;
            bytes[index] =
                u8::from_str_radix(pair, 16).map_err(|_| format!("`{text}` is not a UUID"))?;
        }
        Ok(Guid(bytes))
    }
}

/// What identifies a message's writer schema.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaId {
    Id(u32),
    Guid(Guid),
}

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaId::Id(id) => write!(f, "id {id}"),
            SchemaId::Guid(guid) => write!(f, "GUID {guid}"),
        }
    }
}

impl fmt::Debug for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Where a serializer puts the schema id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framing {
    /// Magic byte 0 and the 4-byte id before the payload (Confluent's
    /// default, understood by every client).
    #[default]
    Prefix,
    /// Magic byte 1 and the GUID in a header; the payload is bare.
    Header,
}

/// Whether a serializer writes a message's key or its value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Role {
    Key,
    #[default]
    Value,
}

impl Role {
    /// The header that carries the schema id in header framing.
    pub fn header_name(self) -> &'static str {
        match self {
            Role::Key => "__key_schema_id",
            Role::Value => "__value_schema_id",
        }
    }

    /// The suffix of TopicNameStrategy's subject.
    pub fn subject_suffix(self) -> &'static str {
        match self {
            Role::Key => "key",
            Role::Value => "value",
        }
    }
}

/// A message header a serializer asks the producer to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub name: &'static str,
    pub value: Vec<u8>,
}

/// A serialized message: the payload and, in header framing, the header
/// that carries the schema id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Framed {
    pub payload: Vec<u8>,
    pub header: Option<Header>,
}

/// The bytes a serializer writes ahead of every payload for one schema,
/// computed once: the prefix (prefix framing) or the header value (header
/// framing), each with the protobuf message indexes when there are some.
#[derive(Clone, Debug)]
pub(crate) struct FrameTemplate {
    prefix: Vec<u8>,
    header: Option<Header>,
}

impl FrameTemplate {
    pub(crate) fn new(
        framing: Framing,
        role: Role,
        id: u32,
        guid: Option<Guid>,
        message_indexes: Option<&[i32]>,
    ) -> Result<Self, String> {
        let mut head = Vec::with_capacity(24);
        match framing {
            Framing::Prefix => {
                head.push(MAGIC_ID);
                head.extend_from_slice(&id.to_be_bytes());
            }
            Framing::Header => {
                let guid = guid.ok_or(
                    "the registry did not return the schema's GUID; header framing needs a \
                     registry that has GUIDs (Accord, or Confluent 8.0 and later)",
                )?;
                head.push(MAGIC_GUID);
                head.extend_from_slice(&guid.0);
            }
        }
        if let Some(indexes) = message_indexes {
            write_message_indexes(&mut head, indexes);
        }
        Ok(match framing {
            Framing::Prefix => FrameTemplate {
                prefix: head,
                header: None,
            },
            Framing::Header => FrameTemplate {
                prefix: Vec::new(),
                header: Some(Header {
                    name: role.header_name(),
                    value: head,
                }),
            },
        })
    }

    /// A buffer holding the prefix, with room for `payload_hint` more bytes.
    pub(crate) fn start(&self, payload_hint: usize) -> Vec<u8> {
        let mut buffer = Vec::with_capacity(self.prefix.len() + payload_hint);
        buffer.extend_from_slice(&self.prefix);
        buffer
    }

    pub(crate) fn finish(&self, payload: Vec<u8>) -> Framed {
        Framed {
            payload,
            header: self.header.clone(),
        }
    }
}

/// A message with its framing taken apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unframed<'a> {
    pub schema: SchemaId,
    /// What followed the id: the protobuf message indexes and then the
    /// payload in prefix framing; only the indexes in header framing.
    pub after_id: &'a [u8],
    /// The payload after the prefix (prefix framing) or all of it (header
    /// framing, where `after_id` is the header's remainder).
    pub body: &'a [u8],
    pub framing: Framing,
}

/// Reads the schema id from `header` when there is one, else from the
/// payload's prefix (Confluent's dual deserializer).
pub fn unframe<'a>(
    payload: &'a [u8],
    header: Option<&'a [u8]>,
) -> Result<Unframed<'a>, DecodeError> {
    match header {
        Some(header) => {
            let (schema, rest) = read_id(header, "schema id header")?;
            Ok(Unframed {
                schema,
                after_id: rest,
                body: payload,
                framing: Framing::Header,
            })
        }
        None => {
            let (schema, rest) = read_id(payload, "schema id prefix")?;
            Ok(Unframed {
                schema,
                after_id: rest,
                body: rest,
                framing: Framing::Prefix,
            })
        }
    }
}

fn read_id<'a>(bytes: &'a [u8], what: &'static str) -> Result<(SchemaId, &'a [u8]), DecodeError> {
    let (&magic, rest) = bytes.split_first().ok_or(DecodeError::Empty)?;
    let needed = match magic {
        MAGIC_ID => 4,
        MAGIC_GUID => 16,
        other => return Err(DecodeError::UnknownMagicByte(other)),
    };
    if rest.len() < needed {
        return Err(DecodeError::Truncated {
            what,
            needed: needed + 1,
            available: bytes.len(),
        });
    }
    let (id, rest) = rest.split_at(needed);
    let schema = match magic {
        MAGIC_ID => SchemaId::Id(u32::from_be_bytes([id[0], id[1], id[2], id[3]])),
        _ => {
            let mut guid = [0u8; 16];
            guid.copy_from_slice(id);
            SchemaId::Guid(Guid(guid))
        }
    };
    Ok((schema, rest))
}

/// Writes protobuf message indexes as Kafka's zig-zag varints: the count,
/// then each index; the first message, `[0]`, as the single byte 0.
pub fn write_message_indexes(buffer: &mut Vec<u8>, indexes: &[i32]) {
    if indexes == [0] {
        buffer.push(0);
        return;
    }
    write_varint(buffer, indexes.len() as i32);
    for index in indexes {
        write_varint(buffer, *index);
    }
}

/// Reads message indexes written by [`write_message_indexes`]; returns them
/// and the bytes after them.
pub fn read_message_indexes(bytes: &[u8]) -> Result<(Vec<i32>, &[u8]), DecodeError> {
    let (count, mut rest) = read_varint(bytes)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    let count = usize::try_from(count)
        .ok()
        .filter(|count| *count <= MAX_MESSAGE_INDEXES)
        .ok_or_else(|| {
            DecodeError::InvalidMessageIndexes(format!(
                "a count of {count} (expected 1 to {MAX_MESSAGE_INDEXES})"
            ))
        })?;
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        let (index, after) = read_varint(rest)?;
        if index < 0 {
            return Err(DecodeError::InvalidMessageIndexes(format!(
                "a negative index {index}"
            )));
        }
        indexes.push(index);
        rest = after;
    }
    Ok((indexes, rest))
}

fn write_varint(buffer: &mut Vec<u8>, value: i32) {
    let mut zigzag = ((value << 1) ^ (value >> 31)) as u32;
    while zigzag >= 0x80 {
        buffer.push((zigzag as u8) | 0x80);
        zigzag >>= 7;
    }
    buffer.push(zigzag as u8);
}

fn read_varint(bytes: &[u8]) -> Result<(i32, &[u8]), DecodeError> {
    let mut value: u32 = 0;
    for (position, byte) in bytes.iter().enumerate().take(5) {
        value |= u32::from(byte & 0x7f) << (7 * position);
        if byte & 0x80 == 0 {
            let decoded = ((value >> 1) as i32) ^ -((value & 1) as i32);
            return Ok((decoded, &bytes[position + 1..]));
        }
    }
    if bytes.len() < 5 {
        Err(DecodeError::Truncated {
            what: "message indexes",
            needed: bytes.len() + 1,
            available: bytes.len(),
        })
    } else {
        Err(DecodeError::InvalidMessageIndexes(
            "a varint longer than 5 bytes".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexes_bytes(indexes: &[i32]) -> Vec<u8> {
        let mut buffer = Vec::new();
        write_message_indexes(&mut buffer, indexes);
        buffer
    }

    #[test]
    fn message_indexes_match_confluent_bytes() {
        // From ../shared/reference/clients.md: [0] → 00, [1] → 02 02, [1,0] → 04 02 00.
        assert_eq!(indexes_bytes(&[0]), [0x00]);
        assert_eq!(indexes_bytes(&[1]), [0x02, 0x02]);
        assert_eq!(indexes_bytes(&[1, 0]), [0x04, 0x02, 0x00]);
        assert_eq!(indexes_bytes(&[0, 2]), [0x04, 0x00, 0x04]);
        for indexes in [vec![0], vec![1], vec![1, 0], vec![300, 70000, 0]] {
            let mut bytes = indexes_bytes(&indexes);
            bytes.push(0xAB);
            assert_eq!(
                read_message_indexes(&bytes).unwrap(),
                (indexes.clone(), &[0xAB][..])
            );
        }
    }

    #[test]
    fn bad_message_indexes_are_typed_errors() {
        assert!(matches!(
            read_message_indexes(&[]),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            read_message_indexes(&[0x04, 0x02]),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            read_message_indexes(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            Err(DecodeError::InvalidMessageIndexes(_))
        ));
        // count -1 (zig-zag 1) and a count over the limit
        assert!(matches!(
            read_message_indexes(&[0x01]),
            Err(DecodeError::InvalidMessageIndexes(_))
        ));
        assert!(matches!(
            read_message_indexes(&[0xFE, 0x0F]),
            Err(DecodeError::InvalidMessageIndexes(_))
        ));
        // a negative index
        assert!(matches!(
            read_message_indexes(&[0x02, 0x01]),
            Err(DecodeError::InvalidMessageIndexes(_))
        ));
    }

    #[test]
    fn prefix_and_header_frames_round_trip() {
        let guid: Guid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9".parse().unwrap();
        assert_eq!(guid.to_string(), "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");

        let prefix =
            FrameTemplate::new(Framing::Prefix, Role::Value, 258, Some(guid), None).unwrap();
        let mut payload = prefix.start(2);
        payload.extend_from_slice(b"hi");
        let framed = prefix.finish(payload);
        assert_eq!(framed.payload, [0, 0, 0, 1, 2, b'h', b'i']);
        assert_eq!(framed.header, None);
        let unframed = unframe(&framed.payload, None).unwrap();
        assert_eq!(unframed.schema, SchemaId::Id(258));
        assert_eq!(unframed.body, b"hi");

        let header =
            FrameTemplate::new(Framing::Header, Role::Key, 258, Some(guid), Some(&[1])).unwrap();
        let framed = header.finish(b"hi".to_vec());
        let sent = framed.header.clone().unwrap();
        assert_eq!(sent.name, "__key_schema_id");
        assert_eq!(sent.value.len(), 1 + 16 + 2);
        assert_eq!(sent.value[0], 1);
        let unframed = unframe(&framed.payload, Some(&sent.value)).unwrap();
        assert_eq!(unframed.schema, SchemaId::Guid(guid));
        assert_eq!(unframed.after_id, [0x02, 0x02]);
        assert_eq!(unframed.body, b"hi");
    }

    #[test]
    fn header_framing_needs_a_guid() {
        assert!(FrameTemplate::new(Framing::Header, Role::Value, 1, None, None).is_err());
    }

    #[test]
    fn bad_frames_are_typed_errors() {
        assert_eq!(unframe(&[], None), Err(DecodeError::Empty));
        assert_eq!(
            unframe(&[7, 0, 0, 0, 1], None),
            Err(DecodeError::UnknownMagicByte(7))
        );
        assert!(matches!(
            unframe(&[0, 0, 1], None),
            Err(DecodeError::Truncated {
                needed: 5,
                available: 3,
                ..
            })
        ));
        assert!(matches!(
            unframe(b"payload", Some(&[1, 2, 3])),
            Err(DecodeError::Truncated { needed: 17, .. })
        ));
        assert_eq!(unframe(b"x", Some(&[])), Err(DecodeError::Empty));
    }
}
