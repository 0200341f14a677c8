//! Streams of framed messages on stdin and stdout: hex lines (the payload,
//! then in header framing ` <header-name>=<hex>`) or length-prefixed
//! binary (a 4-byte big-endian length, then the payload).

use std::fmt;
use std::io::{self, BufRead, Read, Write};

use accord_serde::{Framed, Role};

use super::{CliError, StreamEncoding};

/// Where a message was in the input, for error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    Line(usize),
    Message(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(number) => write!(f, "line {number}"),
            Location::Message(number) => write!(f, "message {number}"),
        }
    }
}

/// A framed message as read: its payload and schema id header, if any.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Incoming {
    pub payload: Vec<u8>,
    pub header: Option<Vec<u8>>,
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", text.len()));
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("{:?} is not a hex byte", String::from_utf8_lossy(pair)))
        })
        .collect()
}

/// Writes one message. Header framing cannot be written in binary: the
/// commands refuse that combination before writing anything.
pub(crate) fn write_message(
    output: &mut dyn Write,
    encoding: StreamEncoding,
    framed: &Framed,
) -> io::Result<()> {
    match encoding {
        StreamEncoding::Hex => {
            output.write_all(to_hex(&framed.payload).as_bytes())?;
            if let Some(header) = &framed.header {
                write!(output, " {}={}", header.name, to_hex(&header.value))?;
            }
            output.write_all(b"\n")
        }
        StreamEncoding::Binary => {
            if framed.header.is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "binary output has no place for a schema id header",
                ));
            }
            let length = u32::try_from(framed.payload.len()).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "a message of 4 GiB or more")
            })?;
            output.write_all(&length.to_be_bytes())?;
            output.write_all(&framed.payload)
        }
    }
}

/// One hex line: the payload, then optionally `<header-name>=<hex>`.
fn parse_hex_line(line: &str) -> Result<Incoming, String> {
    let mut tokens = line.split_whitespace();
    let payload = tokens.next().unwrap_or_default();
    let payload =
        from_hex(payload).map_err(|reason| format!("the payload is not hex: {reason}"))?;
    let header = match tokens.next() {
        None => None,
        Some(token) => {
            let (name, value) = token.split_once('=').ok_or_else(|| {
                format!("expected <header-name>=<hex> after the payload, found {token:?}")
            })?;
            let known = [Role::Value.header_name(), Role::Key.header_name()];
            if !known.contains(&name) {
                return Err(format!(
                    "unknown header {name:?}: the schema id travels in {} or {}",
                    known[0], known[1]
                ));
            }
            Some(from_hex(value).map_err(|reason| format!("the header is not hex: {reason}"))?)
        }
    };
    if tokens.next().is_some() {
        return Err("more than a payload and one header on the line".to_owned());
    }
    Ok(Incoming { payload, header })
}

/// Reads framed messages, one at a time.
pub(crate) struct MessageReader<'a> {
    input: &'a mut dyn BufRead,
    encoding: StreamEncoding,
    count: usize,
    line: Vec<u8>,
}

impl<'a> MessageReader<'a> {
    pub(crate) fn new(input: &'a mut dyn BufRead, encoding: StreamEncoding) -> Self {
        MessageReader {
            input,
            encoding,
            count: 0,
            line: Vec::new(),
        }
    }

    /// The next message, or why it cannot be read (the stream goes on);
    /// `None` at the end; an error when the stream itself fails.
    #[allow(clippy::type_complexity)]
    pub(crate) fn next_message(
        &mut self,
    ) -> Result<Option<(Location, Result<Incoming, String>)>, CliError> {
        match self.encoding {
            StreamEncoding::Hex => loop {
                self.line.clear();
                if self.input.read_until(b'\n', &mut self.line)? == 0 {
                    return Ok(None);
                }
                self.count += 1;
                let location = Location::Line(self.count);
                let line = match std::str::from_utf8(&self.line) {
                    Ok(line) => line.trim(),
                    Err(_) => return Ok(Some((location, Err("not UTF-8 text".to_owned())))),
                };
                if !line.is_empty() {
                    return Ok(Some((location, parse_hex_line(line))));
                }
            },
            StreamEncoding::Binary => {
                let location = Location::Message(self.count + 1);
                let mut length = [0u8; 4];
                match read_up_to(self.input, &mut length)? {
                    0 => return Ok(None),
                    4 => {}
                    _ => {
                        return Err(CliError::Truncated(format!(
                            "{location}: the input ends inside its 4-byte length"
                        )))
                    }
                }
                self.count += 1;
                let length = u32::from_be_bytes(length) as usize;
                // Read through `take` rather than allocating `length` bytes
                // up front: a corrupt length must not allocate gigabytes.
                let mut payload = Vec::new();
                self.input.take(length as u64).read_to_end(&mut payload)?;
                if payload.len() < length {
                    return Err(CliError::Truncated(format!(
                        "{location}: the input ends after {} of its {length} bytes",
                        payload.len()
                    )));
                }
                Ok(Some((
                    location,
                    Ok(Incoming {
                        payload,
                        header: None,
                    }),
                )))
            }
        }
    }
}

/// Fills `buffer` unless the input ends first; returns the bytes read.
fn read_up_to(input: &mut dyn BufRead, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use accord_serde::Header;

    use super::*;

    fn read_all(
        input: &[u8],
        encoding: StreamEncoding,
    ) -> Vec<(Location, Result<Incoming, String>)> {
        let mut input = input;
        let mut reader = MessageReader::new(&mut input, encoding);
        let mut messages = Vec::new();
        while let Some(message) = reader.next_message().expect("the stream reads") {
            messages.push(message);
        }
        messages
    }

    #[test]
    fn hex_lines_round_trip_with_and_without_headers() {
        let framed = [
            Framed {
                payload: vec![0, 0, 0, 0, 1, 6, b'a', b'n', b'n'],
                header: None,
            },
            Framed {
                payload: vec![0xff],
                header: Some(Header {
                    name: "__key_schema_id",
                    value: vec![1, 0xab],
                }),
            },
        ];
        let mut output = Vec::new();
        for message in &framed {
            write_message(&mut output, StreamEncoding::Hex, message).unwrap();
        }
        assert_eq!(
            String::from_utf8(output.clone()).unwrap(),
            "000000000106616e6e\nff __key_schema_id=01ab\n"
        );
        let read = read_all(&output, StreamEncoding::Hex);
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].0, Location::Line(2));
        assert_eq!(
            read[1].1,
            Ok(Incoming {
                payload: vec![0xff],
                header: Some(vec![1, 0xab])
            })
        );
    }

    #[test]
    fn bad_hex_lines_are_reported_and_reading_goes_on() {
        let read = read_all(
            b"0g\n\nabc\nff x=01\nff __value_schema_id=01 extra\nFF\n",
            StreamEncoding::Hex,
        );
        let reasons: Vec<String> = read
            .iter()
            .map(|(location, result)| match result {
                Ok(incoming) => format!("{location}: ok {}", to_hex(&incoming.payload)),
                Err(reason) => format!("{location}: {reason}"),
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "line 1: the payload is not hex: \"0g\" is not a hex byte",
                "line 3: the payload is not hex: odd number of hex digits (3)",
                "line 4: unknown header \"x\": the schema id travels in __value_schema_id or __key_schema_id",
                "line 5: more than a payload and one header on the line",
                "line 6: ok ff",
            ]
        );
    }

    #[test]
    fn binary_messages_are_length_prefixed() {
        let message = Framed {
            payload: vec![0, 0, 0, 0, 7, 2],
            header: None,
        };
        let mut output = Vec::new();
        write_message(&mut output, StreamEncoding::Binary, &message).unwrap();
        write_message(&mut output, StreamEncoding::Binary, &message).unwrap();
        assert_eq!(&output[..10], &[0, 0, 0, 6, 0, 0, 0, 0, 7, 2]);
        let read = read_all(&output, StreamEncoding::Binary);
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].0, Location::Message(2));

        let mut truncated: &[u8] = &output[..13];
        let mut reader = MessageReader::new(&mut truncated, StreamEncoding::Binary);
        reader.next_message().unwrap();
        let error = reader.next_message().unwrap_err().to_string();
        assert_eq!(error, "message 2: the input ends inside its 4-byte length");

        let with_header = Framed {
            payload: vec![2],
            header: Some(Header {
                name: "__value_schema_id",
                value: vec![1],
            }),
        };
        assert!(write_message(&mut Vec::new(), StreamEncoding::Binary, &with_header).is_err());
    }
}
