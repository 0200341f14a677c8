//! The parsed form of an Avro schema: a graph of types in an arena, shaped
//! after Apache Avro Java's `Schema` classes because Confluent's canonical
//! text, normalization and compatibility rules are defined by that library.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{canonical, parse::Parser};
use crate::{heap, ResolvedReference, SchemaError};

/// Index of a type in [`AvroSchema::types`].
pub(crate) type TypeId = usize;

/// Custom attributes (`logicalType`, `connect.name`, …) in the order written.
pub(crate) type Props = Map<String, Value>;

/// A parsed, validated Avro schema together with the named types its
/// references define.
#[derive(Clone, Debug)]
pub struct AvroSchema {
    /// Every type: first those defined by the references, then this schema's
    /// own. A named type used twice is one entry; any other type written twice
    /// is two, as in Avro Java (compatibility results are memoised by identity).
    pub(crate) types: Vec<AvroType>,
    pub(crate) root: TypeId,
    /// Types below this index come from the references.
    pub(crate) first_own_type: TypeId,
}

/// How strictly [`AvroSchema::parse_with`] treats field defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// Reject a field whose `default` does not match its type (for a union: its
    /// first branch). Confluent checks this for schemas being registered with
    /// `normalize=true` (or `avro.validate.defaults=true`), not for schemas it
    /// already stores.
    pub validate_defaults: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            validate_defaults: true,
        }
    }
}

impl AvroSchema {
    /// Parses and validates `text`. `references` are the schemas it depends on,
    /// transitively, dependencies first; the named types they define can be
    /// used by name. Field defaults are validated.
    pub fn parse(
        text: &str,
        references: &[ResolvedReference<'_>],
    ) -> Result<AvroSchema, SchemaError> {
        AvroSchema::parse_with(text, references, ParseOptions::default())
    }

    /// [`AvroSchema::parse`] with explicit options; use
    /// `validate_defaults: false` to read back schemas stored by a registry
    /// that did not validate defaults.
    pub fn parse_with(
        text: &str,
        references: &[ResolvedReference<'_>],
        options: ParseOptions,
    ) -> Result<AvroSchema, SchemaError> {
        let mut parser = Parser::new(options);
        // Confluent keeps resolved references in a map by name, so a reference
        // listed twice is read once.
        let mut read = HashSet::new();
        for reference in references {
            if read.insert(reference.name) {
                parser.parse_document(reference.schema)?;
            }
        }
        let first_own_type = parser.type_count();
        let root = parser.parse_document(text)?;
        Ok(AvroSchema {
            types: parser.into_types(),
            root,
            first_own_type,
        })
    }

    /// The text Confluent stores: Apache Avro Java's `Schema.toString()`.
    pub fn canonical(&self) -> String {
        canonical::canonical(self)
    }

    /// The text Confluent stores for `normalize=true`.
    pub fn normalized(&self) -> String {
        canonical::normalized(self)
    }

    /// Full name of the top-level type when it is a record, enum or fixed.
    pub fn full_name(&self) -> Option<&str> {
        self.types[self.root]
            .named()
            .map(|named| named.name.full.as_str())
    }

    /// Full names of the named types this schema defines (not those of its
    /// references), in definition order.
    pub fn named_types(&self) -> impl Iterator<Item = &str> {
        self.types[self.first_own_type..]
            .iter()
            .filter_map(|ty| ty.named().map(|named| named.name.full.as_str()))
    }

    /// The heap memory the schema holds, its references' types included
    /// (see `crate::heap`).
    pub fn estimated_heap_bytes(&self) -> usize {
        heap::vec(&self.types) + self.types.iter().map(AvroType::heap_bytes).sum::<usize>()
    }

    /// Whether `id` is a named type defined by one of the references.
    pub(crate) fn is_reference_type(&self, id: TypeId) -> bool {
        id < self.first_own_type && self.types[id].named().is_some()
    }
}

/// Java's `Schema.Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Record,
    Enum,
    Array,
    Map,
    Union,
    Fixed,
    String,
    Bytes,
    Int,
    Long,
    Float,
    Double,
    Boolean,
    Null,
}

impl Kind {
    pub(crate) const PRIMITIVES: [Kind; 8] = [
        Kind::String,
        Kind::Bytes,
        Kind::Int,
        Kind::Long,
        Kind::Float,
        Kind::Double,
        Kind::Boolean,
        Kind::Null,
    ];

    /// The kinds that are not primitives (the Avro specification's complex
    /// types).
    const COMPLEX: [Kind; 6] = [
        Kind::Record,
        Kind::Enum,
        Kind::Array,
        Kind::Map,
        Kind::Union,
        Kind::Fixed,
    ];

    /// The lower-case name used in schemas (`"int"`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Record => "record",
            Kind::Enum => "enum",
            Kind::Array => "array",
            Kind::Map => "map",
            Kind::Union => "union",
            Kind::Fixed => "fixed",
            Kind::String => "string",
            Kind::Bytes => "bytes",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
        }
    }

    /// The upper-case enum constant Java prints in messages (`INT`).
    pub(crate) fn java_name(self) -> &'static str {
        match self {
            Kind::Record => "RECORD",
            Kind::Enum => "ENUM",
            Kind::Array => "ARRAY",
            Kind::Map => "MAP",
            Kind::Union => "UNION",
            Kind::Fixed => "FIXED",
            Kind::String => "STRING",
            Kind::Bytes => "BYTES",
            Kind::Int => "INT",
            Kind::Long => "LONG",
            Kind::Float => "FLOAT",
            Kind::Double => "DOUBLE",
            Kind::Boolean => "BOOLEAN",
            Kind::Null => "NULL",
        }
    }

    pub(crate) fn primitive(name: &str) -> Option<Kind> {
        Kind::PRIMITIVES
            .into_iter()
            .find(|kind| kind.name() == name)
    }

    /// Whether `name` is the name of any type (`record`, `int`, …).
    pub(crate) fn is_type_name(name: &str) -> bool {
        Kind::primitive(name).is_some() || Kind::COMPLEX.iter().any(|kind| kind.name() == name)
    }
}

/// One type of the schema graph.
#[derive(Clone, Debug)]
pub(crate) enum AvroType {
    Primitive { kind: Kind, props: Props },
    Array { items: TypeId, props: Props },
    Map { values: TypeId, props: Props },
    Union { branches: Vec<TypeId> },
    Record(Record),
    Enum(EnumType),
    Fixed(Fixed),
}

impl AvroType {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            AvroType::Primitive { kind, .. } => *kind,
            AvroType::Array { .. } => Kind::Array,
            AvroType::Map { .. } => Kind::Map,
            AvroType::Union { .. } => Kind::Union,
            AvroType::Record(_) => Kind::Record,
            AvroType::Enum(_) => Kind::Enum,
            AvroType::Fixed(_) => Kind::Fixed,
        }
    }

    pub(crate) fn named(&self) -> Option<&Named> {
        match self {
            AvroType::Record(record) => Some(&record.named),
            AvroType::Enum(enumeration) => Some(&enumeration.named),
            AvroType::Fixed(fixed) => Some(&fixed.named),
            _ => None,
        }
    }

    /// Custom attributes; unions cannot carry any.
    pub(crate) fn props(&self) -> Option<&Props> {
        match self {
            AvroType::Primitive { props, .. }
            | AvroType::Array { props, .. }
            | AvroType::Map { props, .. } => Some(props),
            AvroType::Union { .. } => None,
            AvroType::Record(_) | AvroType::Enum(_) | AvroType::Fixed(_) => {
                self.named().map(|named| &named.props)
            }
        }
    }

    /// What the type owns beyond itself.
    fn heap_bytes(&self) -> usize {
        match self {
            AvroType::Primitive { props, .. }
            | AvroType::Array { props, .. }
            | AvroType::Map { props, .. } => heap::map(props),
            AvroType::Union { branches } => heap::vec(branches),
            AvroType::Record(record) => {
                record.named.heap_bytes()
                    + heap::vec(&record.fields)
                    + record.fields.iter().map(Field::heap_bytes).sum::<usize>()
            }
            AvroType::Enum(enumeration) => {
                enumeration.named.heap_bytes()
                    + heap::vec(&enumeration.symbols)
                    + enumeration.symbols.iter().map(heap::string).sum::<usize>()
                    + heap::optional_string(&enumeration.default)
            }
            AvroType::Fixed(fixed) => fixed.named.heap_bytes(),
        }
    }

    /// The name a union tells its branches apart by: the full name of a named
    /// type, the type name otherwise.
    pub(crate) fn union_key(&self) -> &str {
        match self.named() {
            Some(named) => &named.name.full,
            None => self.kind().name(),
        }
    }
}

/// A name and the namespace it lives in (`null` namespace is `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Name {
    pub(crate) name: String,
    pub(crate) space: Option<String>,
    pub(crate) full: String,
}

impl Name {
    fn heap_bytes(&self) -> usize {
        heap::string(&self.name) + heap::optional_string(&self.space) + heap::string(&self.full)
    }

    /// Splits `name` at its last dot; a name without one takes `space`.
    /// Only the last segment is validated, as Avro Java does.
    pub(crate) fn new(name: &str, space: Option<&str>) -> Result<Name, String> {
        let (space, simple) = match name.rfind('.') {
            Some(dot) => (Some(&name[..dot]), &name[dot + 1..]),
            None => (space, name),
        };
        validate_name(simple)?;
        let space = space.filter(|space| !space.is_empty()).map(str::to_owned);
        let full = match &space {
            Some(space) => format!("{space}.{simple}"),
            None => simple.to_owned(),
        };
        Ok(Name {
            name: simple.to_owned(),
            space,
            full,
        })
    }

    /// The name as Java writes a reference to it from within `current_space`
    /// (`Name.getQualified`): the short name when the namespace matches and the
    /// short name is not also a type name, the full name otherwise.
    pub(crate) fn qualified(&self, current_space: Option<&str>) -> &str {
        let same_space = self.space.is_some() && self.space.as_deref() == current_space;
        if same_space && !Kind::is_type_name(&self.name) {
            &self.name
        } else {
            &self.full
        }
    }
}

/// Java's `Schema.validateName`: a letter or `_`, then letters, digits or `_`.
/// Java tests UTF-16 units, so characters beyond the BMP are never letters.
pub(crate) fn validate_name(name: &str) -> Result<(), String> {
    let is_letter = |c: char| c.is_alphabetic() && u32::from(c) <= 0xFFFF;
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("Empty name".to_owned());
    };
    if !is_letter(first) && first != '_' {
        return Err(format!("Illegal initial character: {name}"));
    }
    if chars.any(|c| !(is_letter(c) || c.is_numeric() || c == '_')) {
        return Err(format!("Illegal character in: {name}"));
    }
    Ok(())
}

/// What records, enums and fixed types have in common.
#[derive(Clone, Debug)]
pub(crate) struct Named {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    /// Alternative names, qualified with this type's namespace when written
    /// without one; duplicates dropped.
    pub(crate) aliases: Vec<Name>,
    pub(crate) props: Props,
}

impl Named {
    fn heap_bytes(&self) -> usize {
        self.name.heap_bytes()
            + heap::optional_string(&self.doc)
            + heap::vec(&self.aliases)
            + self.aliases.iter().map(Name::heap_bytes).sum::<usize>()
            + heap::map(&self.props)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub(crate) named: Named,
    /// Declared as `"type": "error"` (an Avro protocol error record).
    pub(crate) is_error: bool,
    pub(crate) fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) ty: TypeId,
    pub(crate) doc: Option<String>,
    /// As written, except that a string default of a `float` or `double` field
    /// has been read as a number (Avro Java does so); a non-finite result is
    /// kept as the string Jackson prints for it (`"NaN"`).
    pub(crate) default: Option<Value>,
    pub(crate) order: Order,
    pub(crate) aliases: Vec<String>,
    pub(crate) props: Props,
}

impl Field {
    fn heap_bytes(&self) -> usize {
        heap::string(&self.name)
            + heap::optional_string(&self.doc)
            + self.default.as_ref().map_or(0, heap::json)
            + heap::vec(&self.aliases)
            + self.aliases.iter().map(heap::string).sum::<usize>()
            + heap::map(&self.props)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    Ascending,
    Descending,
    Ignore,
}

impl Order {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Order::Ascending => "ascending",
            Order::Descending => "descending",
            Order::Ignore => "ignore",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct EnumType {
    pub(crate) named: Named,
    pub(crate) symbols: Vec<String>,
    pub(crate) default: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Fixed {
    pub(crate) named: Named,
    pub(crate) size: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync + Clone + std::fmt::Debug>() {}
        shareable::<AvroSchema>();
    }

    #[test]
    fn references_listed_twice_are_read_once() {
        let reference = ResolvedReference {
            name: "E",
            schema: "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}",
        };
        let schema = AvroSchema::parse("[\"null\",\"E\"]", &[reference, reference]).unwrap();
        assert_eq!(schema.canonical(), "[\"null\",\"E\"]");
        assert_eq!(schema.full_name(), None);
    }

    #[test]
    fn names_split_at_the_last_dot() {
        let name = Name::new("a.b.C", Some("x")).unwrap();
        assert_eq!(
            (name.name.as_str(), name.space.as_deref()),
            ("C", Some("a.b"))
        );
        let name = Name::new("C", Some("x")).unwrap();
        assert_eq!(name.full, "x.C");
        assert_eq!(Name::new(".C", Some("x")).unwrap().full, "C");
        assert_eq!(
            Name::new("a.b.1c", None),
            Err("Illegal initial character: 1c".to_owned())
        );
        assert_eq!(Name::new("a.", None), Err("Empty name".to_owned()));
    }

    #[test]
    fn references_to_names_are_qualified_like_java() {
        let name = Name::new("a.R", None).unwrap();
        assert_eq!(name.qualified(Some("a")), "R");
        assert_eq!(name.qualified(Some("b")), "a.R");
        assert_eq!(name.qualified(None), "a.R");
        // A short name that is also a type name would be read as that type.
        assert_eq!(
            Name::new("a.record", None).unwrap().qualified(Some("a")),
            "a.record"
        );
        assert_eq!(Name::new("R", None).unwrap().qualified(Some("a")), "R");
    }
}
