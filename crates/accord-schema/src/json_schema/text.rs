//! Confluent's texts of a JSON Schema document: the canonical form is Jackson's
//! compact re-serialisation (key order as given, numbers as `BigDecimal`
//! prints them), the normalized form the same with every object's keys sorted.
//!
//! `serde_json::Value` would round numbers through `f64` (`1.50` → `1.5`,
//! `1e3` → `1000.0`, big integers lose digits), so the document is read a
//! second time into a small tree that keeps each number's literal.

use std::collections::HashMap;

use crate::jackson::{java_string_order, write_string};

/// A JSON value whose numbers are kept as Confluent prints them.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

/// The canonical and normalized texts of a JSON document that `serde_json`
/// already accepted (so syntax errors are not expected here).
pub(crate) fn canonical_and_normalized(text: &str) -> Option<(String, String)> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        position: 0,
    };
    let node = reader.value(0)?;
    let mut canonical = String::with_capacity(text.len());
    write(&node, false, &mut canonical);
    let mut normalized = String::with_capacity(text.len());
    write(&node, true, &mut normalized);
    Some((canonical, normalized))
}

/// Deeper documents were already refused by `serde_json`'s recursion limit;
/// this only keeps the reader itself from ever overflowing its stack.
const MAX_DEPTH: usize = 256;

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    position: usize,
}

impl Reader<'_> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.position) {
            self.position += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.position).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.position += 1)
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.position += 1;
                let mut members: Vec<(String, Node)> = Vec::new();
                // Where each key is in `members`, so that large objects stay linear.
                let mut positions: HashMap<String, usize> = HashMap::new();
                if self.peek()? == b'}' {
                    self.position += 1;
                    return Some(Node::Object(members));
                }
                loop {
                    let key = self.string()?;
                    self.expect(b':')?;
                    let value = self.value(depth + 1)?;
                    // Jackson keeps a repeated key where it first appeared, with the last value.
                    match positions.get(&key) {
                        Some(&position) => members[position].1 = value,
                        None => {
                            positions.insert(key.clone(), members.len());
                            members.push((key, value));
                        }
                    }
                    match self.peek()? {
                        b',' => self.position += 1,
                        b'}' => {
                            self.position += 1;
                            return Some(Node::Object(members));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.position += 1;
                let mut items = Vec::new();
                if self.peek()? == b']' {
                    self.position += 1;
                    return Some(Node::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    match self.peek()? {
                        b',' => self.position += 1,
                        b']' => {
                            self.position += 1;
                            return Some(Node::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(Node::String),
            b't' => self.literal("true", Node::Bool(true)),
            b'f' => self.literal("false", Node::Bool(false)),
            b'n' => self.literal("null", Node::Null),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &str, node: Node) -> Option<Node> {
        let end = self.position + word.len();
        (self.text.get(self.position..end)? == word).then(|| {
            self.position = end;
            node
        })
    }

    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.position;
        let mut index = start + 1;
        loop {
            match *self.bytes.get(index)? {
                b'"' => break,
                b'\\' => index += 2,
                _ => index += 1,
            }
        }
        self.position = index + 1;
        serde_json::from_str(&self.text[start..self.position]).ok()
    }

    fn number(&mut self) -> Option<Node> {
        let start = self.position;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') =
            self.bytes.get(self.position)
        {
            self.position += 1;
        }
        (self.position > start)
            .then(|| Node::Number(jackson_number(&self.text[start..self.position])))
    }
}

/// How Jackson prints a number literal read with `USE_BIG_DECIMAL_FOR_FLOATS`:
/// integers as plain digits, anything with a fraction or exponent as
/// `java.math.BigDecimal.toString()` does (`1.50`, `1E+3`, `1.2E-7`).
pub(crate) fn jackson_number(literal: &str) -> String {
    let (negative, unsigned) = match literal.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, literal),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            &unsigned[..at],
            Some(unsigned[at + 1..].trim_start_matches('+')),
        ),
        None => (unsigned, None),
    };
    let (integer, fraction) = match mantissa.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (mantissa, None),
    };
    if fraction.is_none() && exponent.is_none() {
        let digits = integer.trim_start_matches('0');
        return match (negative && !digits.is_empty(), digits.is_empty()) {
            (_, true) => "0".to_owned(),
            (true, false) => format!("-{digits}"),
            (false, false) => digits.to_owned(),
        };
    }
    let fraction = fraction.unwrap_or("");
    let exponent: i64 = match exponent.map(str::parse::<i64>) {
        None => 0,
        Some(Ok(exponent)) if exponent.unsigned_abs() <= 1_000_000_000 => exponent,
        // Beyond what any schema means; keep the literal rather than overflow.
        Some(_) => return literal.to_owned(),
    };
    let all_digits = format!("{integer}{fraction}");
    let coefficient = match all_digits.trim_start_matches('0') {
        "" => "0",
        digits => digits,
    };
    let scale = fraction.len() as i64 - exponent;
    let length = coefficient.len() as i64;
    let adjusted = -scale + (length - 1);
    let mut out = String::new();
    if negative && coefficient != "0" {
        out.push('-');
    }
    if scale >= 0 && adjusted >= -6 {
        if scale == 0 {
            out.push_str(coefficient);
        } else if length > scale {
            let point = (length - scale) as usize;
            out.push_str(&coefficient[..point]);
            out.push('.');
            out.push_str(&coefficient[point..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (scale - length) as usize));
            out.push_str(coefficient);
        }
    } else {
        out.push_str(&coefficient[..1]);
        if length > 1 {
            out.push('.');
            out.push_str(&coefficient[1..]);
        }
        out.push('E');
        if adjusted > 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
    }
    out
}

fn write(node: &Node, sorted: bool, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Node::Number(literal) => out.push_str(literal),
        Node::String(value) => write_string(out, value),
        Node::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write(item, sorted, out);
            }
            out.push(']');
        }
        Node::Object(members) => {
            let mut members: Vec<&(String, Node)> = members.iter().collect();
            if sorted {
                members.sort_by(|(a, _), (b, _)| java_string_order(a, b));
            }
            out.push('{');
            for (index, (key, value)) in members.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write(value, sorted, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> (String, String) {
        canonical_and_normalized(text).expect("valid JSON")
    }

    #[test]
    fn numbers_print_as_big_decimals() {
        for (literal, printed) in [
            ("5", "5"),
            ("-0", "0"),
            ("1.0", "1.0"),
            ("1.50", "1.50"),
            ("1000.0", "1000.0"),
            ("1e3", "1E+3"),
            ("1.5E2", "1.5E+2"),
            ("1.5e-7", "1.5E-7"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("-0.0", "0.0"),
            ("-2.5", "-2.5"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            ("12e-1", "1.2"),
            ("1e-9223372036854775808", "1e-9223372036854775808"),
        ] {
            assert_eq!(jackson_number(literal), printed, "{literal}");
        }
    }

    #[test]
    fn canonical_keeps_order_and_normalized_sorts() {
        let (canonical, normalized) =
            texts("{ \"b\": [1, {\"z\":1,\"a\":2}], \"a\": \"x\\u001f/\" }");
        assert_eq!(canonical, r#"{"b":[1,{"z":1,"a":2}],"a":"x\u001F/"}"#);
        assert_eq!(normalized, r#"{"a":"x\u001F/","b":[1,{"a":2,"z":1}]}"#);
    }

    #[test]
    fn repeated_keys_keep_first_place_and_last_value() {
        assert_eq!(texts(r#"{"a":1,"b":2,"a":3}"#).0, r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn scalars_and_unicode() {
        assert_eq!(texts("true").0, "true");
        assert_eq!(texts(" \"x\" ").0, "\"x\"");
        assert_eq!(texts("{\"d\":\"caf\\u00e9\"}").0, "{\"d\":\"café\"}");
    }
}
