//! JSON text as Jackson — the JSON library inside Apache Avro Java and
//! Confluent — reads and writes it. Canonical forms and error messages are
//! compared byte for byte with Confluent's, so numbers, escapes and the
//! parser's leniencies follow Jackson's defaults rather than `serde_json`'s.

use std::borrow::Cow;

use serde_json::{Number, Value};

/// Reads one schema document the way Avro's `Schema.Parser` does: comments are
/// allowed (Avro enables Jackson's `ALLOW_COMMENTS`), and anything but
/// whitespace after the first value is rejected.
pub(crate) fn read_document(text: &str) -> Result<Value, String> {
    let blanked = blank_comments(text);
    let mut values = serde_json::Deserializer::from_str(&blanked).into_iter::<Value>();
    let value = match values.next() {
        Some(Ok(value)) => value,
        Some(Err(error)) => return Err(error.to_string()),
        None => return Err("Empty schema".to_owned()),
    };
    // Measured on the original text: like Jackson, a comment after the value
    // counts as dangling content.
    let rest = text.get(values.byte_offset()..).unwrap_or_default();
    let dangling = java_trim(rest);
    if dangling.is_empty() {
        Ok(value)
    } else {
        Err(format!("dangling content after end of schema: {dangling}"))
    }
}

/// Replaces `//` and `/* */` comments outside strings with spaces, keeping byte
/// offsets. An unterminated block comment is left alone for the JSON parser to
/// reject.
fn blank_comments(text: &str) -> Cow<'_, str> {
    if !text.contains('/') {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut index = 0;
    let mut in_string = false;
    while index < bytes.len() {
        let byte = bytes[index];
        if in_string {
            match byte {
                b'\\' => index += 1,
                b'"' => in_string = false,
                _ => {}
            }
            index += 1;
            continue;
        }
        let comment_end = match (byte, bytes.get(index + 1)) {
            (b'"', _) => {
                in_string = true;
                None
            }
            (b'/', Some(b'/')) => Some(
                bytes[index..]
                    .iter()
                    .position(|&b| b == b'\n' || b == b'\r')
                    .map_or(bytes.len(), |offset| index + offset),
            ),
            (b'/', Some(b'*')) => bytes[index + 2..]
                .windows(2)
                .position(|pair| pair == b"*/")
                .map(|offset| index + 2 + offset + 2),
            _ => None,
        };
        match comment_end {
            Some(end) => {
                bytes[index..end].fill(b' ');
                index = end;
            }
            None => index += 1,
        }
    }
    // Only ASCII comment bytes were replaced by ASCII spaces, and whole
    // multi-byte characters inside comments were blanked byte by byte.
    Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned()))
}

/// Java's `String.trim()`: strips every character up to and including U+0020.
pub(crate) fn java_trim(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}

/// `value` as compact JSON text, as Jackson's `JsonNode.toString()` writes it.
pub(crate) fn value_text(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

pub(crate) fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => write_array(out, items, write_value),
        Value::Object(entries) => write_object(out, entries, write_value),
    }
}

/// Where JSON text is written: the `String` itself, or a printer that owns
/// it and must be handed whole to the code writing each element, because
/// that code writes nested types through the printer.
pub(crate) trait JsonOut {
    fn out(&mut self) -> &mut String;
}

impl JsonOut for String {
    fn out(&mut self) -> &mut String {
        self
    }
}

/// `items` as a JSON array, each written by `write_item`.
pub(crate) fn write_array<W: JsonOut + ?Sized, T>(
    writer: &mut W,
    items: impl IntoIterator<Item = T>,
    mut write_item: impl FnMut(&mut W, T),
) {
    writer.out().push('[');
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 {
            writer.out().push(',');
        }
        write_item(writer, item);
    }
    writer.out().push(']');
}

/// `entries` as a JSON object in the order given, each value written by
/// `write_item`.
pub(crate) fn write_object<K: AsRef<str>, T>(
    out: &mut String,
    entries: impl IntoIterator<Item = (K, T)>,
    mut write_item: impl FnMut(&mut String, T),
) {
    out.push('{');
    for (index, (key, item)) in entries.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, key.as_ref());
        out.push(':');
        write_item(out, item);
    }
    out.push('}');
}

fn write_number(out: &mut String, number: &Number) {
    match number.as_f64() {
        Some(float) if number.is_f64() => out.push_str(&java_double(float)),
        _ => out.push_str(&number.to_string()),
    }
}

/// Java's `String.compareTo`: UTF-16 code unit order. It differs from Rust's
/// byte order only between characters above U+FFFF and U+E000..U+FFFF.
pub(crate) fn java_string_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A JSON string literal with Jackson's escapes: quote, backslash, the five
/// short control escapes, `\u00XX` (upper-case hex) for other control
/// characters, and everything else (non-ASCII included) written as is.
pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Java's `Double.toString`, which Jackson uses for every floating-point
/// number: shortest round-trip digits, plain notation for magnitudes in
/// [1e-3, 1e7), computerized scientific notation (`1.0E10`) otherwise.
pub(crate) fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_owned();
    }
    java_decimal(&format!("{value:e}"))
}

/// Java's `Float.toString`: the same layout with single-precision digits.
pub(crate) fn java_float(value: f32) -> String {
    if value.is_nan() || value.is_infinite() || value == 0.0 {
        return java_double(f64::from(value));
    }
    java_decimal(&format!("{value:e}"))
}

/// Lays out Rust's shortest scientific form (`-1.25e-7`) the way Java does.
fn java_decimal(scientific: &str) -> String {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if mantissa.starts_with('-') {
        out.push('-');
    }
    if (-3..7).contains(&exponent) {
        if exponent >= 0 {
            let integer_len = exponent.unsigned_abs() as usize + 1;
            if digits.len() <= integer_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', integer_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..integer_len]);
                out.push('.');
                out.push_str(&digits[integer_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n(
                '0',
                exponent.unsigned_abs() as usize - 1,
            ));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        out.push_str(&exponent.to_string());
    }
    out
}

/// Java's `Double.valueOf(String)` for the decimal forms people write: an
/// optional sign, `NaN`, `Infinity`, or digits with optional fraction,
/// exponent and `f`/`d` suffix. The error is Java's `NumberFormatException`
/// message.
pub(crate) fn parse_java_double(text: &str) -> Result<f64, String> {
    let trimmed = java_trim(text);
    if trimmed.is_empty() {
        return Err("empty String".to_owned());
    }
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    let negative = trimmed.starts_with('-');
    let magnitude = match unsigned {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        _ => {
            let number = unsigned
                .strip_suffix(['f', 'F', 'd', 'D'])
                .unwrap_or(unsigned);
            is_decimal_literal(number)
                .then(|| number.parse::<f64>().ok())
                .flatten()
        }
    };
    match magnitude {
        Some(value) if negative => Ok(-value),
        Some(value) => Ok(value),
        None => Err(format!("For input string: \"{trimmed}\"")),
    }
}

/// `digits [. digits] [(e|E) [sign] digits]` with at least one mantissa digit.
fn is_decimal_literal(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        all_digits(integer) && all_digits(fraction) && !(integer.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|exponent| {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_does() {
        let cases = [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (9_999_999.0, "9999999.0"),
            (10_000_000.0, "1.0E7"),
            (1e10, "1.0E10"),
            (1.25e-7, "1.25E-7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (123.456, "123.456"),
            (-2.5e20, "-2.5E20"),
        ];
        for (value, expected) in cases {
            assert_eq!(java_double(value), expected, "{value}");
        }
        assert_eq!(java_float(1.1), "1.1");
        assert_eq!(java_float(1e10), "1.0E10");
    }

    #[test]
    fn strings_escape_as_jackson_does() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\n\u{1}\u{7f}é/");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001\u{7f}é/\"");
    }

    #[test]
    fn java_double_parsing() {
        assert_eq!(parse_java_double(" 1.5 "), Ok(1.5));
        assert_eq!(parse_java_double("2d"), Ok(2.0));
        assert_eq!(parse_java_double("-Infinity"), Ok(f64::NEG_INFINITY));
        assert!(parse_java_double("NaN").is_ok_and(f64::is_nan));
        assert_eq!(
            parse_java_double("inf"),
            Err("For input string: \"inf\"".to_owned())
        );
        assert!(parse_java_double(".").is_err());
        assert!(parse_java_double("1e").is_err());
    }

    #[test]
    fn documents_allow_comments_but_not_trailing_content() {
        let value = read_document("// note\n{\"type\": /* inline */ \"int\"}").unwrap();
        assert_eq!(value_text(&value), "{\"type\":\"int\"}");
        assert_eq!(
            read_document("\"string\" \"x\""),
            Err("dangling content after end of schema: \"x\"".to_owned())
        );
        assert!(read_document("\"string\" // trailing").is_err());
        assert_eq!(value_text(&read_document("\"a//b\"").unwrap()), "\"a//b\"");
    }
}
