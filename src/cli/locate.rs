//! The line of a schema file that an incompatibility's path leads to, so
//! reports can point at `file:line`. Best effort: a path into something the
//! file no longer has stops at the nearest enclosing declaration that it has.

use accord_schema::SchemaType;
use serde_json::Value;

/// The 1-based line of `text` where `path` (in the notation of
/// `accord_schema::Incompatibility::path` for `schema_type`) leads.
pub fn line_of(schema_type: SchemaType, text: &str, path: &str) -> Option<usize> {
    let offset = match schema_type {
        SchemaType::Avro | SchemaType::Json => json_offset(text, path)?,
        SchemaType::Protobuf => protobuf_offset(text, path)?,
    };
    Some(text[..offset].matches('\n').count() + 1)
}

/// Walks a JSON pointer (`/fields/2/type`, `#/properties/a`) through the
/// document, finding each step's key (or an array element's `"name"`) in
/// the text after the previous step's.
fn json_offset(text: &str, path: &str) -> Option<usize> {
    let document: Value = serde_json::from_str(text).ok()?;
    let pointer = path.trim_start_matches('#');
    let mut value = &document;
    let mut offset = None;
    let mut cursor = 0;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = match value {
            Value::Object(members) => {
                let Some(member) = members.get(&token) else {
                    break;
                };
                let Some(at) = find_key(text, cursor, &token) else {
                    break;
                };
                cursor = at + 1;
                offset = Some(at);
                member
            }
            Value::Array(items) => {
                let Some(item) = token.parse::<usize>().ok().and_then(|i| items.get(i)) else {
                    break;
                };
                // An Avro field or named type: find its "name".
                if let Some(name) = item.get("name").and_then(Value::as_str) {
                    if let Some(at) = find_name(text, cursor, name) {
                        cursor = at + 1;
                        offset = Some(at);
                    }
                }
                item
            }
            _ => break,
        };
        value = next;
    }
    offset.or(Some(0)).filter(|_| !text.is_empty())
}

/// The offset of `"key"` followed by a colon, at or after `from`.
fn find_key(text: &str, from: usize, key: &str) -> Option<usize> {
    let quoted = serde_json::to_string(key).ok()?;
    let mut start = from;
    while let Some(found) = text.get(start..)?.find(&quoted) {
        let at = start + found;
        let rest = text[at + quoted.len()..].trim_start();
        if rest.starts_with(':') {
            return Some(at);
        }
        start = at + quoted.len();
    }
    None
}

/// The offset of `"name": "<name>"` at or after `from`.
fn find_name(text: &str, from: usize, name: &str) -> Option<usize> {
    let quoted = serde_json::to_string(name).ok()?;
    let mut start = from;
    while let Some(at) = find_key(text, start, "name") {
        let rest = &text[at + "\"name\"".len()..];
        let rest = rest.trim_start().strip_prefix(':')?.trim_start();
        if rest.starts_with(&quoted) {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

/// Follows a Protobuf path: ours, `pkg.Outer.Inner.field (#3)`, or
/// Confluent's, `#/Outer/Inner/oneof/3` (which the diff uses): each message,
/// enum or oneof name in turn, then the declaration with that number.
fn protobuf_offset(text: &str, path: &str) -> Option<usize> {
    let (segments, field, number): (Vec<&str>, Option<&str>, Option<&str>) =
        if let Some(pointer) = path.strip_prefix('#') {
            let mut segments: Vec<&str> = pointer.split('/').filter(|s| !s.is_empty()).collect();
            if segments.is_empty() {
                return find_word(text, 0, "package").or(Some(0));
            }
            let number = segments
                .last()
                .filter(|last| last.bytes().all(|b| b.is_ascii_digit()))
                .copied();
            if number.is_some() {
                segments.pop();
            }
            (segments, None, number)
        } else {
            let (name, number) = match path.rsplit_once(" (#") {
                Some((name, number)) => (name, number.strip_suffix(')')),
                None => (path, None),
            };
            let package = package_of(text);
            let relative = match &package {
                Some(package) if name == package => return find_word(text, 0, "package"),
                Some(package) => name
                    .strip_prefix(package.as_str())
                    .and_then(|rest| rest.strip_prefix('.'))
                    .unwrap_or(name),
                None => name,
            };
            let mut segments: Vec<&str> = relative.split('.').filter(|s| !s.is_empty()).collect();
            let field = if number.is_some() {
                segments.pop()
            } else {
                None
            };
            (segments, field, number)
        };
    let mut offset = None;
    let mut cursor = 0;
    for segment in &segments {
        let found = ["message", "enum", "service", "oneof"]
            .iter()
            .filter_map(|keyword| find_declaration(text, cursor, keyword, segment))
            .min();
        match found {
            Some(at) => {
                cursor = at + 1;
                offset = Some(at);
            }
            None => return offset,
        }
    }
    if let (Some(number), Some(_)) = (number, offset) {
        if let Some(at) = find_field(text, cursor, field, number) {
            return Some(at);
        }
    }
    offset
}

fn package_of(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("package")?;
        let name = rest.trim().trim_end_matches(';').trim();
        (!name.is_empty()).then(|| name.to_owned())
    })
}

/// `keyword name` as whole words, at or after `from`.
fn find_declaration(text: &str, from: usize, keyword: &str, name: &str) -> Option<usize> {
    let mut start = from;
    while let Some(at) = find_word(text, start, keyword) {
        let rest = &text[at + keyword.len()..];
        let trimmed = rest.trim_start();
        if trimmed.starts_with(name)
            && !trimmed[name.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            return Some(at);
        }
        start = at + keyword.len();
    }
    None
}

/// The line declaring `field` (any name, when `None`) with `= number`
/// directly inside the block that opens at or after `from` (not inside a
/// nested message).
fn find_field(text: &str, from: usize, field: Option<&str>, number: &str) -> Option<usize> {
    let open = from + text.get(from..)?.find('{')?;
    let mut depth = 0usize;
    let mut line_start = open;
    for line in text[open..].split_inclusive('\n') {
        let code = line.split("//").next().unwrap_or("");
        let depth_at_start = depth;
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if depth_at_start == 1 {
            if let Some((declaration, value)) = code.split_once('=') {
                let value = value.trim_start();
                let declared = declaration.split_whitespace().last();
                if declared.is_some()
                    && field.is_none_or(|field| declared == Some(field))
                    && value.starts_with(number)
                    && !value[number.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit())
                {
                    return Some(line_start + line.len() - line.trim_start().len());
                }
            }
        }
        if depth == 0 && line_start > open {
            break;
        }
        line_start += line.len();
    }
    None
}

/// `word` as a whole word at or after `from`.
fn find_word(text: &str, from: usize, word: &str) -> Option<usize> {
    let mut start = from;
    while let Some(found) = text.get(start..)?.find(word) {
        let at = start + found;
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if boundary(before) && boundary(after) {
            return Some(at);
        }
        start = at + word.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const AVRO: &str = r#"{
  "type": "record",
  "name": "User",
  "fields": [
    {"name": "id", "type": "long"},
    {
      "name": "address",
      "type": {
        "type": "record",
        "name": "Address",
        "fields": [
          {"name": "id", "type": "string"},
          {"name": "zip", "type": "int"}
        ]
      }
    }
  ]
}"#;

    #[test]
    fn avro_pointers_lead_to_the_field() {
        assert_eq!(line_of(SchemaType::Avro, AVRO, "/fields/0"), Some(5));
        assert_eq!(line_of(SchemaType::Avro, AVRO, "/fields/1/type"), Some(8));
        assert_eq!(
            line_of(SchemaType::Avro, AVRO, "/fields/1/type/fields/1/type"),
            Some(13)
        );
        // A field the file no longer has: the enclosing record's list.
        assert_eq!(line_of(SchemaType::Avro, AVRO, "/fields/7"), Some(4));
        assert_eq!(line_of(SchemaType::Avro, AVRO, "/"), Some(1));
    }

    #[test]
    fn json_schema_pointers_lead_to_the_property() {
        let text = "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": {\"type\": \"string\"},\n    \"b\": {\n      \"type\": \"integer\"\n    }\n  }\n}";
        assert_eq!(line_of(SchemaType::Json, text, "#/properties/b"), Some(5));
        assert_eq!(
            line_of(SchemaType::Json, text, "#/properties/b/type"),
            Some(6)
        );
        assert_eq!(
            line_of(SchemaType::Json, text, "#/properties/gone"),
            Some(3)
        );
    }

    #[test]
    fn protobuf_paths_lead_to_the_declaration() {
        let text = "syntax = \"proto3\";\npackage shop;\n\nmessage Order {\n  string id = 1;\n  message Line {\n    int64 qty = 2; // count\n  }\n  int32 qty = 2;\n}\n";
        assert_eq!(
            line_of(SchemaType::Protobuf, text, "shop.Order.qty (#2)"),
            Some(9)
        );
        assert_eq!(
            line_of(SchemaType::Protobuf, text, "shop.Order.Line.qty (#2)"),
            Some(7)
        );
        assert_eq!(line_of(SchemaType::Protobuf, text, "shop.Order"), Some(4));
        assert_eq!(
            line_of(SchemaType::Protobuf, text, "shop.Order.gone (#9)"),
            Some(4)
        );
        assert_eq!(line_of(SchemaType::Protobuf, text, "shop"), Some(2));
        // Confluent's notation, as the diff writes it.
        assert_eq!(line_of(SchemaType::Protobuf, text, "#/Order/2"), Some(9));
        assert_eq!(
            line_of(SchemaType::Protobuf, text, "#/Order/Line/2"),
            Some(7)
        );
        assert_eq!(line_of(SchemaType::Protobuf, text, "#/Order/Line"), Some(6));
        assert_eq!(line_of(SchemaType::Protobuf, text, "#/"), Some(2));
        let oneof = "message Contact {\n  oneof preferred {\n    string email = 2;\n  }\n  string email2 = 3;\n}\n";
        assert_eq!(
            line_of(SchemaType::Protobuf, oneof, "#/Contact/preferred/2"),
            Some(3)
        );
        assert_eq!(line_of(SchemaType::Protobuf, oneof, "#/Contact/3"), Some(5));
    }
}
