//! The shape Confluent's compatibility check sees: each schema object read
//! into typed parts the way the everit loader does it. A schema's keywords are
//! split by kind (`enum`, `allOf`/`anyOf`/`oneOf`, `not`, `const`, the keywords
//! of its `type`, then keywords that imply a type without one); one part is the
//! schema itself, several become a synthetic `allOf`. So
//! `{"type": "string", "enum": ["a"]}` is `allOf[enum, string]`, which is why
//! Confluent reports enum changes there as `COMBINED_TYPE_SUBSCHEMAS_CHANGED`.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use super::resolve::{escape, Document, Index, Location};
use super::Draft;
use crate::heap;

pub(crate) type NodeId = usize;

/// `allOf`, `anyOf` or `oneOf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Criterion {
    All,
    Any,
    One,
}

impl Criterion {
    pub fn keyword(self) -> &'static str {
        match self {
            Criterion::All => "allOf",
            Criterion::Any => "anyOf",
            Criterion::One => "oneOf",
        }
    }
}

/// `additionalProperties` / `additionalItems`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Additional {
    /// Absent or `true`.
    Permitted,
    /// `false`.
    Forbidden,
    Schema(NodeId),
}

impl Additional {
    pub fn permits(self) -> bool {
        self != Additional::Forbidden
    }

    pub fn schema(self) -> Option<NodeId> {
        match self {
            Additional::Schema(node) => Some(node),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct StringSchema {
    pub min_length: Option<f64>,
    pub max_length: Option<f64>,
    pub pattern: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct NumberSchema {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub multiple_of: Option<f64>,
    pub requires_integer: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct ObjectSchema {
    pub properties: Vec<(String, NodeId)>,
    pub required: Vec<String>,
    pub min_properties: Option<f64>,
    pub max_properties: Option<f64>,
    pub additional: Additional,
    /// Index into `Model::patterns`, and the schema.
    pub pattern_properties: Vec<(usize, NodeId)>,
    pub property_dependencies: Vec<(String, Vec<String>)>,
    pub schema_dependencies: Vec<(String, NodeId)>,
    pub unevaluated: Option<NodeId>,
}

#[derive(Clone, Debug)]
pub(crate) struct ArraySchema {
    pub all_items: Option<NodeId>,
    pub item_schemas: Vec<NodeId>,
    pub additional: Additional,
    pub unevaluated: Option<NodeId>,
    pub min_items: Option<f64>,
    pub max_items: Option<f64>,
    pub unique_items: bool,
    pub min_contains: Option<f64>,
    pub max_contains: Option<f64>,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// `true`.
    True,
    /// `false`.
    False,
    /// An object with no keyword that constrains anything (`{}`).
    Empty,
    /// A document Confluent accepts although it is not a schema (`[]`, `12`, `"x"`).
    Opaque(Value),
    /// A `$ref`, resolved to the schema it names.
    Reference(NodeId),
    String(StringSchema),
    Number(NumberSchema),
    Boolean,
    Null,
    Enum(Vec<Value>),
    Const(Value),
    Combined {
        criterion: Criterion,
        subschemas: Vec<NodeId>,
    },
    Not(NodeId),
    Object(ObjectSchema),
    Array(ArraySchema),
    Conditional,
}

/// Which kinds Confluent treats as the same class when comparing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    True,
    False,
    Empty,
    Opaque,
    String,
    Number,
    Boolean,
    Null,
    Enum,
    Const,
    Combined,
    Not,
    Object,
    Array,
    Conditional,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub location: Location,
    /// A piece of a schema split into a synthetic `allOf`: it has no JSON of its own.
    pub part: bool,
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub default: Option<Value>,
    /// Kafka Connect's `connect.type` annotation.
    pub connect_type: Option<String>,
    pub kind: Kind,
}

impl Node {
    /// What the node owns beyond itself.
    fn heap_bytes(&self) -> usize {
        let strings =
            |items: &Vec<String>| heap::vec(items) + items.iter().map(heap::string).sum::<usize>();
        let kind = match &self.kind {
            Kind::True
            | Kind::False
            | Kind::Empty
            | Kind::Reference(_)
            | Kind::Number(_)
            | Kind::Boolean
            | Kind::Null
            | Kind::Not(_)
            | Kind::Conditional => 0,
            Kind::Opaque(value) | Kind::Const(value) => heap::json(value),
            Kind::Enum(values) => heap::vec(values) + values.iter().map(heap::json).sum::<usize>(),
            Kind::String(string) => heap::optional_string(&string.pattern),
            Kind::Combined { subschemas, .. } => heap::vec(subschemas),
            Kind::Object(object) => {
                heap::vec(&object.properties)
                    + object
                        .properties
                        .iter()
                        .map(|(name, _)| heap::string(name))
                        .sum::<usize>()
                    + strings(&object.required)
                    + heap::vec(&object.pattern_properties)
                    + heap::vec(&object.property_dependencies)
                    + object
                        .property_dependencies
                        .iter()
                        .map(|(name, names)| heap::string(name) + strings(names))
                        .sum::<usize>()
                    + heap::vec(&object.schema_dependencies)
                    + object
                        .schema_dependencies
                        .iter()
                        .map(|(name, _)| heap::string(name))
                        .sum::<usize>()
            }
            Kind::Array(array) => heap::vec(&array.item_schemas),
        };
        heap::string(&self.location.pointer)
            + heap::optional_string(&self.id)
            + heap::optional_string(&self.title)
            + heap::optional_string(&self.description)
            + self.default.as_ref().map_or(0, heap::json)
            + heap::optional_string(&self.connect_type)
            + kind
    }

    pub fn class(&self) -> Class {
        match self.kind {
            Kind::True => Class::True,
            Kind::False => Class::False,
            Kind::Empty => Class::Empty,
            Kind::Opaque(_) => Class::Opaque,
            // Followed before anything asks for a class.
            Kind::Reference(_) => Class::Empty,
            Kind::String(_) => Class::String,
            Kind::Number(_) => Class::Number,
            Kind::Boolean => Class::Boolean,
            Kind::Null => Class::Null,
            Kind::Enum(_) => Class::Enum,
            Kind::Const(_) => Class::Const,
            Kind::Combined { .. } => Class::Combined,
            Kind::Not(_) => Class::Not,
            Kind::Object(_) => Class::Object,
            Kind::Array(_) => Class::Array,
            Kind::Conditional => Class::Conditional,
        }
    }

    /// Confluent's `EmptySchema` (of which `true` is a subclass).
    pub fn is_empty_schema(&self) -> bool {
        matches!(self.kind, Kind::Empty | Kind::True)
    }
}

/// What a compiled `patternProperties` matcher holds (the validator and the
/// regex's program), measured with a counting allocator for patterns such
/// as `^x12-[a-z]+_id$`: about 6.3 KB.
const PATTERN_HEAP_BYTES: usize = 6_300;

/// A `patternProperties` name with its compiled matcher.
pub(crate) struct Pattern {
    pub source: String,
    matcher: Option<jsonschema::Validator>,
}

impl Pattern {
    /// Whether the pattern finds a match in `name` (a property name, so the
    /// input is bounded by the schema's own size; the engine's backtracking
    /// limit bounds the work further). A failed match counts as no match.
    pub fn is_match(&self, name: &str) -> bool {
        self.matcher
            .as_ref()
            .is_some_and(|matcher| matcher.is_valid(&Value::String(name.to_owned())))
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

/// A schema and everything its `$ref`s reach, as typed nodes.
#[derive(Debug)]
pub(crate) struct Model {
    pub documents: Vec<Document>,
    pub nodes: Vec<Node>,
    pub root: NodeId,
    pub patterns: Vec<Pattern>,
}

impl Model {
    /// What the model owns (see `crate::heap`).
    pub fn heap_bytes(&self) -> usize {
        let documents: usize = self
            .documents
            .iter()
            .map(|document| {
                heap::json(&document.value)
                    + heap::optional_string(&document.name)
                    + heap::string(&document.base)
            })
            .sum();
        let patterns: usize = self
            .patterns
            .iter()
            .map(|pattern| PATTERN_HEAP_BYTES + heap::string(&pattern.source))
            .sum();
        heap::vec(&self.documents)
            + documents
            + heap::vec(&self.nodes)
            + self.nodes.iter().map(Node::heap_bytes).sum::<usize>()
            + heap::vec(&self.patterns)
            + patterns
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The node a chain of `$ref`s ends at.
    pub fn follow(&self, mut id: NodeId) -> NodeId {
        for _ in 0..=self.nodes.len() {
            match self.nodes[id].kind {
                Kind::Reference(target) => id = target,
                _ => return id,
            }
        }
        id
    }

    /// The JSON at a node's place (the whole schema object for a part).
    pub fn json(&self, id: NodeId) -> Option<&Value> {
        let location = &self.nodes[id].location;
        self.documents[location.doc].at(&location.pointer)
    }

    /// The compact JSON text at a node's place, or of one keyword there.
    pub fn fragment(&self, id: NodeId, keyword: Option<&str>) -> Option<String> {
        let json = self.json(id)?;
        let json = match keyword {
            // Later drafts spell some keywords differently; Confluent's paths keep
            // the draft-7 names.
            Some(keyword) => {
                let spellings: &[&str] = match keyword {
                    "additionalItems" => &["additionalItems", "items"],
                    "dependencies" => &["dependencies", "dependentRequired", "dependentSchemas"],
                    _ => &[],
                };
                let draft = self.documents[self.nodes[id].location.doc].draft;
                match json.get(keyword) {
                    Some(value) => value,
                    None if draft >= Draft::Draft201909 => {
                        spellings.iter().find_map(|spelling| json.get(*spelling))?
                    }
                    None => return None,
                }
            }
            None => json,
        };
        serde_json::to_string(json).ok()
    }
}

/// Number keywords and string keywords, as the everit loader groups them.
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
const CONDITIONAL_KEYWORDS: &[&str] = &["if", "then", "else"];

fn object_keywords(draft: Draft) -> &'static [&'static str] {
    match draft {
        Draft::Draft4 => &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
        ],
        Draft::Draft6 | Draft::Draft7 => &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
            "propertyNames",
        ],
        Draft::Draft201909 | Draft::Draft202012 => &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "dependencies",
            "patternProperties",
            "additionalProperties",
            "propertyNames",
            "dependentRequired",
            "dependentSchemas",
            "unevaluatedProperties",
        ],
    }
}

fn array_keywords(draft: Draft) -> &'static [&'static str] {
    match draft {
        Draft::Draft4 => &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
        ],
        Draft::Draft6 | Draft::Draft7 => &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
        ],
        Draft::Draft201909 => &[
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
            "minContains",
            "maxContains",
            "unevaluatedItems",
        ],
        Draft::Draft202012 => &[
            "items",
            "prefixItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
            "minContains",
            "maxContains",
            "unevaluatedItems",
        ],
    }
}

/// The limits a `pattern` or `patternProperties` regex is compiled under.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;
const REGEX_BACKTRACK_LIMIT: usize = 100_000;

/// Compiles `pattern` as JSON Schema does (ECMA-262 syntax, lookarounds
/// allowed) with size and backtracking limits.
pub(crate) fn compile_pattern(pattern: &str) -> Result<jsonschema::Validator, String> {
    let options = jsonschema::PatternOptions::fancy_regex()
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .backtrack_limit(REGEX_BACKTRACK_LIMIT);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_pattern_options(options)
        .build(&serde_json::json!({ "pattern": pattern }))
        .map_err(|error| error.to_string())
}

struct Builder<'a> {
    documents: &'a [Document],
    index: &'a Index,
    nodes: Vec<Node>,
    by_location: HashMap<Location, NodeId>,
    patterns: Vec<Pattern>,
    pattern_ids: HashMap<String, usize>,
    /// References whose target is not built yet.
    pending: Vec<(NodeId, Location)>,
    errors: Vec<String>,
}

/// Reads the documents into a model rooted at `documents[0]`.
pub(crate) fn build(documents: Vec<Document>, index: &Index) -> Result<Model, String> {
    let mut builder = Builder {
        documents: &documents,
        index,
        nodes: Vec::new(),
        by_location: HashMap::new(),
        patterns: Vec::new(),
        pattern_ids: HashMap::new(),
        pending: Vec::new(),
        errors: Vec::new(),
    };
    let root = builder.location(Location {
        doc: 0,
        pointer: String::new(),
    });
    while let Some((node, target)) = builder.pending.pop() {
        let target = builder.location(target);
        builder.nodes[node].kind = Kind::Reference(target);
    }
    let Builder {
        nodes,
        patterns,
        mut errors,
        ..
    } = builder;
    if !errors.is_empty() {
        return Err(errors.swap_remove(0));
    }
    Ok(Model {
        documents,
        nodes,
        root,
        patterns,
    })
}

impl<'a> Builder<'a> {
    fn push(&mut self, location: Location, part: bool, kind: Kind) -> NodeId {
        self.nodes.push(Node {
            location,
            part,
            id: None,
            title: None,
            description: None,
            default: None,
            connect_type: None,
            kind,
        });
        self.nodes.len() - 1
    }

    /// The node of the schema at `location`, built once.
    fn location(&mut self, location: Location) -> NodeId {
        if let Some(node) = self.by_location.get(&location) {
            return *node;
        }
        let documents: &'a [Document] = self.documents;
        let document = &documents[location.doc];
        let draft = document.draft;
        let value = document.at(&location.pointer).unwrap_or(&Value::Null);
        let node = self.push(location.clone(), false, Kind::Empty);
        self.by_location.insert(location.clone(), node);
        let kind = match value {
            Value::Bool(true) => Kind::True,
            Value::Bool(false) => Kind::False,
            Value::Object(members) => self.object(node, &location, draft, members),
            other => Kind::Opaque(other.clone()),
        };
        self.nodes[node].kind = kind;
        if let Value::Object(members) = value {
            let text = |key: &str| members.get(key).and_then(Value::as_str).map(str::to_owned);
            let common = &mut self.nodes[node];
            common.id = text(draft.id_keyword());
            common.title = text("title");
            common.description = text("description");
            common.default = members.get("default").cloned();
            common.connect_type = text("connect.type");
        }
        node
    }

    fn child(&mut self, location: &Location, suffix: &str) -> NodeId {
        self.location(Location {
            doc: location.doc,
            pointer: format!("{}/{suffix}", location.pointer),
        })
    }

    fn object(
        &mut self,
        node: NodeId,
        location: &Location,
        draft: Draft,
        members: &Map<String, Value>,
    ) -> Kind {
        let has_reference = ["$ref", "$dynamicRef", "$recursiveRef"]
            .iter()
            .any(|keyword| members.get(*keyword).is_some_and(Value::is_string));
        let mut parts: Vec<Part> = Vec::new();
        if has_reference {
            // The index resolved every `$ref` before the model is built.
            let target = match self.index.target(self.documents, location) {
                Ok(target) => target,
                Err(error) => {
                    self.errors.push(error);
                    return Kind::Empty;
                }
            };
            // Up to draft 7 a `$ref` replaces its siblings; later drafts apply both.
            if draft <= Draft::Draft7 {
                self.pending.push((node, target));
                return Kind::Empty;
            }
            parts.push(Part::Reference(target));
        }
        let mut consumed: Vec<&str> = Vec::new();
        if let Some(Value::Array(values)) = members.get("enum") {
            parts.push(Part::Kind(Kind::Enum(values.clone())));
        }
        for criterion in [Criterion::All, Criterion::Any, Criterion::One] {
            if let Some(Value::Array(subschemas)) = members.get(criterion.keyword()) {
                let subschemas = (0..subschemas.len())
                    .map(|index| self.child(location, &format!("{}/{index}", criterion.keyword())))
                    .collect();
                parts.push(Part::Kind(Kind::Combined {
                    criterion,
                    subschemas,
                }));
            }
        }
        if members.contains_key("not") {
            parts.push(Part::Kind(Kind::Not(self.child(location, "not"))));
        }
        if draft >= Draft::Draft6 {
            if let Some(value) = members.get("const") {
                parts.push(Part::Kind(Kind::Const(value.clone())));
            }
        }
        match members.get("type") {
            Some(Value::String(name)) => {
                consumed.extend(keywords_of_type(name, draft));
                let kind = self.typed(location, draft, members, name);
                parts.push(Part::Kind(kind));
            }
            Some(Value::Array(names)) => {
                let mut subschemas = Vec::new();
                for name in names.iter().filter_map(Value::as_str) {
                    consumed.extend(keywords_of_type(name, draft));
                    let kind = self.typed(location, draft, members, name);
                    subschemas.push(self.push(location.clone(), true, kind));
                }
                parts.push(Part::Kind(Kind::Combined {
                    criterion: Criterion::Any,
                    subschemas,
                }));
            }
            _ => {}
        }
        let present = |keywords: &[&str]| {
            keywords
                .iter()
                .any(|keyword| members.contains_key(*keyword) && !consumed.contains(keyword))
        };
        let sniff_array = present(array_keywords(draft));
        let sniff_object = present(object_keywords(draft));
        let sniff_number = present(NUMBER_KEYWORDS);
        let sniff_string = present(STRING_KEYWORDS);
        let sniff_conditional = draft >= Draft::Draft7 && present(CONDITIONAL_KEYWORDS);
        if sniff_array {
            let kind = self.array(location, draft, members);
            parts.push(Part::Kind(kind));
        }
        if sniff_object {
            let kind = self.object_schema(location, draft, members);
            parts.push(Part::Kind(kind));
        }
        if sniff_number {
            parts.push(Part::Kind(Kind::Number(number(members, draft, false))));
        }
        if sniff_string {
            parts.push(Part::Kind(Kind::String(string(members))));
        }
        if sniff_conditional {
            parts.push(Part::Kind(Kind::Conditional));
        }
        if parts.len() == 1 {
            return match parts.pop().expect("one part") {
                Part::Kind(kind) => kind,
                Part::Reference(target) => {
                    self.pending.push((node, target));
                    Kind::Empty
                }
            };
        }
        if parts.is_empty() {
            return Kind::Empty;
        }
        let subschemas = parts
            .into_iter()
            .map(|part| match part {
                Part::Kind(kind) => self.push(location.clone(), true, kind),
                Part::Reference(target) => {
                    let reference = self.push(location.clone(), true, Kind::Empty);
                    self.pending.push((reference, target));
                    reference
                }
            })
            .collect();
        Kind::Combined {
            criterion: Criterion::All,
            subschemas,
        }
    }

    fn typed(
        &mut self,
        location: &Location,
        draft: Draft,
        members: &Map<String, Value>,
        name: &str,
    ) -> Kind {
        match name {
            "string" => Kind::String(string(members)),
            "integer" => Kind::Number(number(members, draft, true)),
            "number" => Kind::Number(number(members, draft, false)),
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "array" => self.array(location, draft, members),
            "object" => self.object_schema(location, draft, members),
            _ => Kind::Empty,
        }
    }

    fn additional(
        &mut self,
        location: &Location,
        value: Option<&Value>,
        keyword: &str,
    ) -> Additional {
        match value {
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(Value::Object(_)) => Additional::Schema(self.child(location, keyword)),
            _ => Additional::Permitted,
        }
    }

    fn object_schema(
        &mut self,
        location: &Location,
        draft: Draft,
        members: &Map<String, Value>,
    ) -> Kind {
        let mut properties = Vec::new();
        if let Some(Value::Object(map)) = members.get("properties") {
            for name in map.keys() {
                let node = self.child(location, &format!("properties/{}", escape(name)));
                properties.push((name.clone(), node));
            }
        }
        let required = members
            .get("required")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let additional = self.additional(
            location,
            members.get("additionalProperties"),
            "additionalProperties",
        );
        let mut pattern_properties = Vec::new();
        if let Some(Value::Object(map)) = members.get("patternProperties") {
            for name in map.keys() {
                let pattern = self.pattern(name);
                let node = self.child(location, &format!("patternProperties/{}", escape(name)));
                pattern_properties.push((pattern, node));
            }
        }
        let mut property_dependencies = Vec::new();
        let mut schema_dependencies = Vec::new();
        let mut dependencies = |keyword: &str, builder: &mut Self| {
            if let Some(Value::Object(map)) = members.get(keyword) {
                for (name, value) in map {
                    match value {
                        Value::Array(names) => property_dependencies.push((
                            name.clone(),
                            names
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect(),
                        )),
                        Value::Object(_) | Value::Bool(_) => schema_dependencies.push((
                            name.clone(),
                            builder.child(location, &format!("{keyword}/{}", escape(name))),
                        )),
                        _ => {}
                    }
                }
            }
        };
        dependencies("dependencies", self);
        if draft >= Draft::Draft201909 {
            dependencies("dependentRequired", self);
            dependencies("dependentSchemas", self);
        }
        let unevaluated = self.unevaluated(location, draft, members, "unevaluatedProperties");
        Kind::Object(ObjectSchema {
            properties,
            required,
            min_properties: members.get("minProperties").and_then(Value::as_f64),
            max_properties: members.get("maxProperties").and_then(Value::as_f64),
            additional,
            pattern_properties,
            property_dependencies,
            schema_dependencies,
            unevaluated,
        })
    }

    fn array(&mut self, location: &Location, draft: Draft, members: &Map<String, Value>) -> Kind {
        let mut all_items = None;
        let mut item_schemas = Vec::new();
        let mut additional = Additional::Permitted;
        let tuple_keyword = if draft >= Draft::Draft202012 {
            "prefixItems"
        } else {
            "items"
        };
        if let Some(Value::Array(items)) = members.get(tuple_keyword) {
            item_schemas = (0..items.len())
                .map(|index| self.child(location, &format!("{tuple_keyword}/{index}")))
                .collect();
        }
        if draft >= Draft::Draft202012 {
            match members.get("items") {
                Some(value @ (Value::Object(_) | Value::Bool(_))) if !item_schemas.is_empty() => {
                    additional = self.additional(location, Some(value), "items");
                }
                Some(Value::Object(_) | Value::Bool(_)) => {
                    all_items = Some(self.child(location, "items"));
                }
                _ => {}
            }
        } else {
            if let Some(Value::Object(_) | Value::Bool(_)) = members.get("items") {
                all_items = Some(self.child(location, "items"));
            }
            additional =
                self.additional(location, members.get("additionalItems"), "additionalItems");
        }
        let unevaluated = self.unevaluated(location, draft, members, "unevaluatedItems");
        Kind::Array(ArraySchema {
            all_items,
            item_schemas,
            additional,
            unevaluated,
            min_items: members.get("minItems").and_then(Value::as_f64),
            max_items: members.get("maxItems").and_then(Value::as_f64),
            unique_items: members.get("uniqueItems") == Some(&Value::Bool(true)),
            min_contains: members.get("minContains").and_then(Value::as_f64),
            max_contains: members.get("maxContains").and_then(Value::as_f64),
        })
    }

    /// `unevaluatedProperties` or `unevaluatedItems`, a schema from draft
    /// 2019-09 on.
    fn unevaluated(
        &mut self,
        location: &Location,
        draft: Draft,
        members: &Map<String, Value>,
        keyword: &str,
    ) -> Option<NodeId> {
        match members.get(keyword) {
            Some(Value::Object(_) | Value::Bool(_)) if draft >= Draft::Draft201909 => {
                Some(self.child(location, keyword))
            }
            _ => None,
        }
    }

    fn pattern(&mut self, source: &str) -> usize {
        if let Some(index) = self.pattern_ids.get(source) {
            return *index;
        }
        self.patterns.push(Pattern {
            source: source.to_owned(),
            matcher: compile_pattern(source).ok(),
        });
        let index = self.patterns.len() - 1;
        self.pattern_ids.insert(source.to_owned(), index);
        index
    }
}

fn keywords_of_type(name: &str, draft: Draft) -> &'static [&'static str] {
    match name {
        "string" => STRING_KEYWORDS,
        "integer" | "number" => NUMBER_KEYWORDS,
        "object" => object_keywords(draft),
        "array" => array_keywords(draft),
        _ => &[],
    }
}

/// A piece of a schema object before it becomes a node.
enum Part {
    Kind(Kind),
    Reference(Location),
}

fn string(members: &Map<String, Value>) -> StringSchema {
    StringSchema {
        min_length: members.get("minLength").and_then(Value::as_f64),
        max_length: members.get("maxLength").and_then(Value::as_f64),
        pattern: members
            .get("pattern")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

fn number(members: &Map<String, Value>, draft: Draft, requires_integer: bool) -> NumberSchema {
    // Up to draft 4 `exclusiveMaximum` is a flag on `maximum`, which Confluent's
    // comparison does not look at; from draft 6 it is a limit of its own.
    let exclusive = |keyword: &str| {
        if draft >= Draft::Draft6 {
            members.get(keyword).and_then(Value::as_f64)
        } else {
            None
        }
    };
    NumberSchema {
        minimum: members.get("minimum").and_then(Value::as_f64),
        maximum: members.get("maximum").and_then(Value::as_f64),
        exclusive_minimum: exclusive("exclusiveMinimum"),
        exclusive_maximum: exclusive("exclusiveMaximum"),
        multiple_of: members.get("multipleOf").and_then(Value::as_f64),
        requires_integer,
    }
}
