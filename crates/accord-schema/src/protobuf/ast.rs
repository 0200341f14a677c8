//! The parsed form of a `.proto` file, element for element as Square Wire's
//! `ProtoFileElement` (which Confluent prints): declaration order is kept,
//! type names are kept as written, comments are dropped.

use std::fmt;

/// Where an element starts in the schema text: 1-based line and column.
/// Elements rebuilt from a binary descriptor have no position (`0:0`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    pub fn is_known(self) -> bool {
        self.line > 0
    }
}

/// Printed as Wire prints a location in a file without a name: `:line:column`.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ":{}:{}", self.line, self.column)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Proto2,
    Proto3,
}

impl Syntax {
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Proto2 => "proto2",
            Syntax::Proto3 => "proto3",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ProtoFile {
    pub syntax: Option<Syntax>,
    pub package: Option<String>,
    pub imports: Vec<Import>,
    pub public_imports: Vec<Import>,
    /// `import weak`: parsed, never printed (as in Confluent).
    pub weak_imports: Vec<Import>,
    pub types: Vec<TypeElement>,
    pub services: Vec<Service>,
    pub extends: Vec<Extend>,
    pub options: Vec<OptionElement>,
}

#[derive(Clone, Debug)]
pub struct Import {
    pub path: String,
    pub location: Location,
}

#[derive(Clone, Debug)]
pub enum TypeElement {
    Message(Message),
    Enum(Enum),
}

impl TypeElement {
    pub fn name(&self) -> &str {
        match self {
            TypeElement::Message(message) => &message.name,
            TypeElement::Enum(enumeration) => &enumeration.name,
        }
    }

    pub fn location(&self) -> Location {
        match self {
            TypeElement::Message(message) => message.location,
            TypeElement::Enum(enumeration) => enumeration.location,
        }
    }

    pub fn nested_types(&self) -> &[TypeElement] {
        match self {
            TypeElement::Message(message) => &message.nested_types,
            TypeElement::Enum(_) => &[],
        }
    }

    pub fn options(&self) -> &[OptionElement] {
        match self {
            TypeElement::Message(message) => &message.options,
            TypeElement::Enum(enumeration) => &enumeration.options,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Message {
    pub location: Location,
    pub name: String,
    pub nested_types: Vec<TypeElement>,
    pub options: Vec<OptionElement>,
    pub reserveds: Vec<Reserved>,
    pub fields: Vec<Field>,
    pub oneofs: Vec<OneOf>,
    pub extensions: Vec<Extensions>,
    pub groups: Vec<Group>,
    pub extends: Vec<Extend>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    Optional,
    Required,
    Repeated,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Optional => "optional",
            Label::Required => "required",
            Label::Repeated => "repeated",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub location: Location,
    pub label: Option<Label>,
    /// As written: `string`, `Inner`, `.a.b.C`, `map<string, int32>`.
    pub type_name: String,
    pub name: String,
    /// The `default` option, taken out of the options as Wire does.
    pub default_value: Option<String>,
    /// The `json_name` option, taken out of the options as Wire does.
    pub json_name: Option<String>,
    pub tag: i32,
    pub options: Vec<OptionElement>,
}

#[derive(Clone, Debug, Default)]
pub struct OneOf {
    pub location: Location,
    pub name: String,
    pub fields: Vec<Field>,
    pub groups: Vec<Group>,
    pub options: Vec<OptionElement>,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub location: Location,
    pub label: Option<Label>,
    pub name: String,
    pub tag: i32,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, Default)]
pub struct Enum {
    pub location: Location,
    pub name: String,
    pub options: Vec<OptionElement>,
    pub constants: Vec<EnumConstant>,
    pub reserveds: Vec<Reserved>,
}

#[derive(Clone, Debug)]
pub struct EnumConstant {
    pub location: Location,
    pub name: String,
    pub tag: i32,
    pub options: Vec<OptionElement>,
}

/// One value of a `reserved` or `extensions` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeValue {
    Name(String),
    Tag(i32),
    /// Both ends inclusive.
    Range(i32, i32),
}

impl RangeValue {
    /// Where the value sorts when normalizing: by first number, names last.
    pub(crate) fn sort_start(&self) -> i32 {
        match self {
            RangeValue::Tag(tag) => *tag,
            RangeValue::Range(start, _) => *start,
            RangeValue::Name(_) => i32::MAX,
        }
    }

    /// Java's `toString` of the value, the second sort key when normalizing.
    pub(crate) fn sort_text(&self) -> String {
        match self {
            RangeValue::Name(name) => name.clone(),
            RangeValue::Tag(tag) => tag.to_string(),
            RangeValue::Range(start, end) => format!("{start}..{end}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Reserved {
    pub location: Location,
    pub values: Vec<RangeValue>,
}

#[derive(Clone, Debug)]
pub struct Extensions {
    pub location: Location,
    pub values: Vec<RangeValue>,
    pub options: Vec<OptionElement>,
}

#[derive(Clone, Debug)]
pub struct Extend {
    pub location: Location,
    /// The extended message, as written.
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub location: Location,
    pub name: String,
    pub rpcs: Vec<Rpc>,
    pub options: Vec<OptionElement>,
}

#[derive(Clone, Debug)]
pub struct Rpc {
    pub location: Location,
    pub name: String,
    pub request_type: String,
    pub response_type: String,
    pub request_streaming: bool,
    pub response_streaming: bool,
    pub options: Vec<OptionElement>,
}

/// An option as Wire reads it: `name = value`, `(custom.name) = value`,
/// `(custom).sub = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionElement {
    /// Without the parentheses.
    pub name: String,
    pub value: OptionValue,
    pub parenthesized: bool,
}

/// The kinds of an option's value. Inside maps and lists, Wire keeps strings
/// apart from the other scalar words, which it prints unquoted.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    String(String),
    Bool(String),
    Number(String),
    /// Any other bare word: an enum constant, `inf`, …
    Enum(String),
    /// Text-format message, keys in the order first written.
    Map(Vec<(String, OptionValue)>),
    List(Vec<OptionValue>),
    /// `(name).sub = value`: the value is the inner option `sub = value`.
    Option(Box<OptionElement>),
}

impl OptionValue {
    /// Java's `toString()` of the value, as Wire keeps it for `default` and
    /// `json_name`.
    pub fn plain_text(&self) -> String {
        match self {
            OptionValue::String(text)
            | OptionValue::Bool(text)
            | OptionValue::Number(text)
            | OptionValue::Enum(text) => text.clone(),
            OptionValue::Map(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(key, value)| format!("{key}={}", value.plain_text()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            OptionValue::List(items) => {
                let inner: Vec<String> = items.iter().map(OptionValue::plain_text).collect();
                format!("[{}]", inner.join(", "))
            }
            OptionValue::Option(option) => format!(
                "OptionElement(name={}, value={})",
                option.name,
                option.value.plain_text()
            ),
        }
    }
}

/// Whether `options` set `name` to `true` (Confluent's `findOption` after
/// merging: the name's parentheses do not matter).
pub(crate) fn option_is_true(options: &[OptionElement], name: &str) -> bool {
    options
        .iter()
        .rev()
        .find(|option| option.name.trim_start_matches('.') == name)
        .is_some_and(|option| option.value.plain_text() == "true")
}

/// The value of the last option named `name`, if any.
pub(crate) fn find_option<'a>(options: &'a [OptionElement], name: &str) -> Option<&'a OptionValue> {
    options
        .iter()
        .rev()
        .find(|option| option.name.trim_start_matches('.') == name)
        .map(|option| &option.value)
}
