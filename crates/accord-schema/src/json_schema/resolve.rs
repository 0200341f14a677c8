//! Where every `$ref` of a schema points: the schema's own document, the
//! referenced documents it was given (by reference name, resolved against the
//! root's `$id` as Confluent registers them), embedded resources (`$id`) and
//! anchors (`$id: "#name"` up to draft 7, `$anchor` from 2019-09). Nothing is
//! ever fetched: a `$ref` that none of these answers is an error.

use std::collections::HashMap;

use serde_json::Value;

use super::Draft;

/// Confluent's base URI for a schema without `$id`.
pub(crate) const DEFAULT_BASE_URI: &str = "mem://input";

/// A place in one of the documents: the document's index (0 is the schema
/// itself, then its references in the order given) and a JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Location {
    pub doc: usize,
    pub pointer: String,
}

/// One JSON document taking part in a schema: the schema or a reference.
#[derive(Debug)]
pub(crate) struct Document {
    pub value: Value,
    pub draft: Draft,
    /// The reference name; `None` for the schema itself.
    pub name: Option<String>,
    /// The absolute URI the document is known by.
    pub base: String,
}

impl Document {
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.value.pointer(pointer)
    }
}

/// The keywords whose values are subschemas, by shape.
const SINGLE_SCHEMA_KEYWORDS: &[&str] = &[
    "additionalItems",
    "additionalProperties",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "items",
];
const SCHEMA_LIST_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];
const SCHEMA_MAP_KEYWORDS: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
    "dependencies",
];

/// Calls `visit(pointer, child)` for every direct subschema of `schema`.
pub(crate) fn for_each_subschema<'v>(
    schema: &'v Value,
    pointer: &str,
    mut visit: impl FnMut(String, &'v Value),
) {
    let Value::Object(members) = schema else {
        return;
    };
    for keyword in SINGLE_SCHEMA_KEYWORDS {
        if let Some(child @ (Value::Object(_) | Value::Bool(_))) = members.get(*keyword) {
            visit(format!("{pointer}/{}", escape(keyword)), child);
        }
    }
    for keyword in SCHEMA_LIST_KEYWORDS {
        if let Some(Value::Array(children)) = members.get(*keyword) {
            for (index, child) in children.iter().enumerate() {
                visit(format!("{pointer}/{}/{index}", escape(keyword)), child);
            }
        }
    }
    for keyword in SCHEMA_MAP_KEYWORDS {
        if let Some(Value::Object(children)) = members.get(*keyword) {
            for (name, child) in children {
                if matches!(child, Value::Object(_) | Value::Bool(_)) {
                    visit(
                        format!("{pointer}/{}/{}", escape(keyword), escape(name)),
                        child,
                    );
                }
            }
        }
    }
}

/// A JSON pointer segment for `name` (`~` → `~0`, `/` → `~1`).
pub(crate) fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Human form of a location for error messages: `#/properties/a`, or
/// `#/properties/a in reference 'other.json'`.
pub(crate) fn describe(documents: &[Document], location: &Location) -> String {
    let place = format!("#{}", location.pointer);
    match &documents[location.doc].name {
        Some(name) => format!("{place} in reference '{name}'"),
        None => place,
    }
}

/// Resolves `reference` against the absolute `base`; `None` if either is not a URI.
pub(crate) fn resolve_uri(base: &str, reference: &str) -> Option<String> {
    let base = jsonschema::Uri::parse(base).ok()?;
    let resolved = jsonschema::uri::resolve_against(&base, reference).ok()?;
    Some(resolved.as_str().to_owned())
}

/// Splits `uri#fragment`; the fragment is percent-decoded.
fn split_fragment(uri: &str) -> (&str, String) {
    match uri.split_once('#') {
        Some((resource, fragment)) => (resource, percent_decode(fragment)),
        None => (uri, String::new()),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 3 <= bytes.len() {
            let high = (bytes[index + 1] as char).to_digit(16);
            let low = (bytes[index + 2] as char).to_digit(16);
            if let (Some(high), Some(low)) = (high, low) {
                out.push((high * 16 + low) as u8);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The resources and anchors of a set of documents, and where each of their
/// `$ref`s leads.
#[derive(Debug, Default)]
pub(crate) struct Index {
    resources: HashMap<String, Location>,
    anchors: HashMap<String, Location>,
    /// Each `$ref` (and `$dynamicRef`/`$recursiveRef`) found: its schema's
    /// location, the base URI in effect there, and the reference text.
    references: Vec<(Location, String, String)>,
    /// Where each schema holding a `$ref` points, filled by `resolve_all`.
    targets: HashMap<Location, Location>,
    /// Every `pattern` and `patternProperties` name of the schema's own document.
    pub patterns: Vec<(Location, String)>,
}

/// The longest `$ref` chain followed before a schema is reached.
const MAX_REFERENCE_HOPS: usize = 64;

impl Index {
    /// Indexes every document (`documents[0]` is the schema being parsed) and
    /// resolves every `$ref`.
    pub fn build(documents: &[Document]) -> Result<Index, String> {
        let mut index = Index::default();
        for (doc, document) in documents.iter().enumerate() {
            index
                .resources
                .entry(document.base.clone())
                .or_insert(Location {
                    doc,
                    pointer: String::new(),
                });
            index.walk(
                documents,
                doc,
                String::new(),
                &document.value,
                &document.base,
                0,
            )?;
        }
        index.resolve_all(documents)?;
        Ok(index)
    }

    fn walk(
        &mut self,
        documents: &[Document],
        doc: usize,
        pointer: String,
        schema: &Value,
        base: &str,
        depth: usize,
    ) -> Result<(), String> {
        let Value::Object(members) = schema else {
            return Ok(());
        };
        if depth > super::MAX_NESTING {
            return Err("the schema nests deeper than Accord follows".to_owned());
        }
        let draft = documents[doc].draft;
        let location = Location {
            doc,
            pointer: pointer.clone(),
        };
        let mut base = base.to_owned();
        if let Some(Value::String(id)) = members.get(draft.id_keyword()) {
            let resolved = resolve_uri(&base, id).ok_or_else(|| {
                format!(
                    "at '{}': '{id}' is not a valid URI for {}",
                    describe(documents, &location),
                    draft.id_keyword()
                )
            })?;
            let (resource, fragment) = split_fragment(&resolved);
            if !id.starts_with('#') {
                base = resource.to_owned();
                self.resources
                    .entry(base.clone())
                    .or_insert_with(|| location.clone());
            }
            if !fragment.is_empty() && draft <= Draft::Draft7 {
                self.anchors
                    .entry(format!("{resource}#{fragment}"))
                    .or_insert_with(|| location.clone());
            }
        }
        if draft >= Draft::Draft201909 {
            for keyword in ["$anchor", "$dynamicAnchor"] {
                if let Some(Value::String(anchor)) = members.get(keyword) {
                    self.anchors
                        .entry(format!("{base}#{anchor}"))
                        .or_insert_with(|| location.clone());
                }
            }
        }
        for keyword in ["$ref", "$dynamicRef", "$recursiveRef"] {
            if let Some(Value::String(reference)) = members.get(keyword) {
                self.references
                    .push((location.clone(), base.clone(), reference.clone()));
                break;
            }
        }
        if doc == 0 {
            if let Some(Value::String(pattern)) = members.get("pattern") {
                self.patterns.push((
                    Location {
                        doc,
                        pointer: format!("{pointer}/pattern"),
                    },
                    pattern.clone(),
                ));
            }
            if let Some(Value::Object(patterns)) = members.get("patternProperties") {
                for name in patterns.keys() {
                    self.patterns.push((
                        Location {
                            doc,
                            pointer: format!("{pointer}/patternProperties/{}", escape(name)),
                        },
                        name.clone(),
                    ));
                }
            }
        }
        let mut children = Vec::new();
        for_each_subschema(schema, &pointer, |child_pointer, child| {
            children.push((child_pointer, child));
        });
        for (child_pointer, child) in children {
            self.walk(documents, doc, child_pointer, child, &base, depth + 1)?;
        }
        Ok(())
    }

    fn resolve_all(&mut self, documents: &[Document]) -> Result<(), String> {
        let references = std::mem::take(&mut self.references);
        for (location, base, reference) in &references {
            let target = self.resolve(documents, location, base, reference)?;
            self.targets.insert(location.clone(), target);
        }
        self.references = references;
        // A chain of `$ref`s must end at a schema, not loop among references.
        for (start, _, reference) in &self.references {
            let mut current = start.clone();
            let mut hops = 0;
            while let Some(next) = self.targets.get(&current) {
                if documents[next.doc]
                    .at(&next.pointer)
                    .and_then(|value| value.get("$ref"))
                    .is_none()
                {
                    break;
                }
                hops += 1;
                if hops > MAX_REFERENCE_HOPS {
                    return Err(format!(
                        "$ref '{reference}' at '{}' never reaches a schema: its references form a loop",
                        describe(documents, start)
                    ));
                }
                current = next.clone();
            }
        }
        Ok(())
    }

    fn resolve(
        &self,
        documents: &[Document],
        location: &Location,
        base: &str,
        reference: &str,
    ) -> Result<Location, String> {
        let place = describe(documents, location);
        let resolved = resolve_uri(base, reference).ok_or_else(|| {
            format!("$ref '{reference}' at '{place}' is not a valid URI reference")
        })?;
        let (resource, fragment) = split_fragment(&resolved);
        let Some(root) = self.resources.get(resource) else {
            let given: Vec<&str> = documents
                .iter()
                .filter_map(|document| document.name.as_deref())
                .collect();
            let given = if given.is_empty() {
                "none was given".to_owned()
            } else {
                format!("given: {}", given.join(", "))
            };
            return Err(format!(
                "$ref '{reference}' at '{place}' cannot be resolved: no schema reference is named '{reference}' ({given}); references are never fetched"
            ));
        };
        if fragment.is_empty() {
            return Ok(root.clone());
        }
        if fragment.starts_with('/') {
            let pointer = format!("{}{fragment}", root.pointer);
            return match documents[root.doc].at(&pointer) {
                Some(Value::Object(_) | Value::Bool(_)) => Ok(Location {
                    doc: root.doc,
                    pointer,
                }),
                Some(_) => Err(format!(
                    "$ref '{reference}' at '{place}' points at '#{pointer}', which is not a schema"
                )),
                None => Err(format!(
                    "$ref '{reference}' at '{place}' cannot be resolved: '#{fragment}' does not exist"
                )),
            };
        }
        self.anchors
            .get(&format!("{resource}#{fragment}"))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "$ref '{reference}' at '{place}' cannot be resolved: no subschema has the anchor '{fragment}'"
                )
            })
    }

    /// Where the `$ref` of the schema at `location` points. A schema outside
    /// the keywords the index walks (reached through a JSON pointer into, say,
    /// an `x-definitions` object) is resolved here, against the base its
    /// enclosing `$id`s give it.
    pub fn target(&self, documents: &[Document], location: &Location) -> Result<Location, String> {
        if let Some(target) = self.targets.get(location) {
            return Ok(target.clone());
        }
        let document = &documents[location.doc];
        let reference = ["$ref", "$dynamicRef", "$recursiveRef"]
            .iter()
            .find_map(|keyword| document.at(&location.pointer)?.get(*keyword)?.as_str())
            .ok_or_else(|| format!("no $ref at '{}'", describe(documents, location)))?;
        let id_keyword = document.draft.id_keyword();
        let mut base = document.base.clone();
        let mut pointer = String::new();
        let segments: Vec<&str> = location.pointer.split('/').skip(1).collect();
        for segment in std::iter::once(None).chain(segments.iter().map(Some)) {
            if let Some(segment) = segment {
                pointer.push('/');
                pointer.push_str(segment);
            }
            let id = document
                .at(&pointer)
                .and_then(|value| value.get(id_keyword))
                .and_then(Value::as_str);
            if let Some(id) = id.filter(|id| !id.starts_with('#')) {
                if let Some(resolved) = resolve_uri(&base, id) {
                    base = split_fragment(&resolved).0.to_owned();
                }
            }
        }
        self.resolve(documents, location, &base, reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_resolve_like_confluent_registers_references() {
        assert_eq!(
            resolve_uri(DEFAULT_BASE_URI, "dep.json").as_deref(),
            resolve_uri(DEFAULT_BASE_URI, "./dep.json").as_deref()
        );
        assert_eq!(
            resolve_uri("http://example.com/root.json", "customer.json").as_deref(),
            Some("http://example.com/customer.json")
        );
        assert_eq!(percent_decode("/definitions/a%20b"), "/definitions/a b");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
