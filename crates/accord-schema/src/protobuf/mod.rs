//! Protobuf schemas, accepted and printed as Confluent Schema Registry does.
//!
//! The text is parsed as Square Wire parses it (`parse`), or, when it is not
//! `.proto` text, decoded as a base64 `FileDescriptorProto` (what Confluent's
//! Python and JavaScript serializers send) and turned into the same parsed
//! form (`from_descriptor`). Names are looked up as Confluent looks them up,
//! in every referenced file and the built-in ones no reference replaces, with
//! protoc's scoping rules (`types`, `builtin`); a type name that resolves
//! nowhere makes the schema invalid, an import that nothing provides does
//! not. A built-in file joins the schema's descriptor pool only when the
//! schema imports it (or uses one of its types) and no reference provides
//! it, so a schema may define a name that a built-in file it does not use
//! defines too (`google/type/date.proto` registered as a reference, say). From the parsed form come the canonical and
//! normalized texts (`print`), the `format=serialized` descriptor
//! (`serialize`), and a prost-reflect pool for inspection (`compile`).
//!
//! Where we answer differently from Confluent: an enum without constants, a
//! text of comments only and references that import each other in a cycle
//! are refused (no descriptor can be built for them); an unresolved type's
//! message adds, after Confluent's, where the type is used and which imports
//! nothing provides.

mod ast;
mod builtin;
pub mod compat;
mod compile;
mod from_descriptor;
mod parse;
mod print;
mod serialize;
mod types;

pub use print::field_declaration;

pub use ast::{
    Enum, EnumConstant, Extend, Extensions, Field, Group, Import, Label, Location, Message, OneOf,
    OptionElement, OptionValue, ProtoFile, RangeValue, Reserved, Rpc, Service, Syntax, TypeElement,
};

use std::collections::HashSet;
use std::sync::Arc;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use prost::Message as _;
use prost_reflect::prost_types::FileDescriptorProto;
use prost_reflect::{DescriptorPool, FileDescriptor};

use crate::{ResolvedReference, SchemaError};
use print::{Mode, Unresolved};
use types::TypeTable;

/// The name the schema's own file has, in its descriptor pool and in the
/// serialized descriptor (Confluent's `DEFAULT_NAME`).
const MAIN_FILE: &str = "default";

const EMPTY_SCHEMA: &str = "Empty schema";

/// A parsed, validated `.proto` file with its imports. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ProtobufSchema {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: ProtoFile,
    canonical: String,
    normalized: String,
    without_extensions: String,
    serialized: String,
    pool: DescriptorPool,
}

/// Java's basic base64 decoder: standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// How a schema text was read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    Text,
    Descriptor,
}

/// Parses `.proto` text, or a base64 `FileDescriptorProto` when the text is
/// not `.proto`; the error is Wire's, for the text.
fn parse_file(text: &str) -> Result<(ProtoFile, Input), String> {
    match parse::parse(text) {
        Ok(file) => Ok((file, Input::Text)),
        Err(error) => BASE64
            .decode(text)
            .ok()
            .and_then(|bytes| FileDescriptorProto::decode(bytes.as_slice()).ok())
            .map(|descriptor| {
                (
                    from_descriptor::to_proto_file(&descriptor),
                    Input::Descriptor,
                )
            })
            .ok_or(error),
    }
}

impl ProtobufSchema {
    /// Parses `text`; `references` are the files it may use (transitively),
    /// named by import path.
    pub fn parse(text: &str, references: &[ResolvedReference<'_>]) -> Result<Self, SchemaError> {
        if text.trim().is_empty() {
            return Err(SchemaError::Invalid(EMPTY_SCHEMA.to_owned()));
        }
        let (file, input) = parse_file(text)
            .map_err(|error| SchemaError::Invalid(format!("Could not parse Protobuf - {error}")))?;

        // A name listed twice keeps its last text: dependents come after
        // their dependencies, so the last is the one closest to the schema.
        let mut dependencies: Vec<(&str, ProtoFile)> = Vec::new();
        for reference in references {
            let (parsed, _) = parse_file(reference.schema).map_err(|error| {
                SchemaError::Invalid(format!(
                    "Could not parse Protobuf reference \"{}\" - {error}",
                    reference.name
                ))
            })?;
            dependencies.retain(|(name, _)| *name != reference.name);
            dependencies.push((reference.name, parsed));
        }

        let builtins = builtin::builtins();
        let reference_names: HashSet<&str> = dependencies.iter().map(|(name, _)| *name).collect();
        let overridden = |name: &str| reference_names.contains(name);
        let mut table = if builtins.files.iter().any(|(name, _)| overridden(name)) {
            let mut table = TypeTable::default();
            for (name, builtin) in &builtins.files {
                if !overridden(name) {
                    table.add_file(name, builtin);
                }
            }
            table
        } else {
            builtins.table.clone()
        };
        for (name, dependency) in &dependencies {
            table.add_file(name, dependency);
        }
        table.add_file(MAIN_FILE, &file);

        let normalized = print::print(
            &file,
            Mode {
                normalize: true,
                ignore_extensions: false,
            },
            &table,
        )
        .map_err(|unresolved| {
            SchemaError::Invalid(unresolved_message(&unresolved, &file, &reference_names))
        })?;
        let canonical = print(&file, Mode::default(), &table);
        // Comments alone: nothing to store.
        if canonical.is_empty() {
            return Err(SchemaError::Invalid(EMPTY_SCHEMA.to_owned()));
        }
        // The text made from a descriptor is what gets stored: it must read
        // back (a descriptor can hold names no `.proto` text can).
        if input == Input::Descriptor {
            if let Err(error) = parse::parse(&canonical) {
                return Err(SchemaError::Invalid(format!(
                    "Could not parse Protobuf - the descriptor does not make valid .proto text: {error}"
                )));
            }
        }
        let without_extensions = print(
            &file,
            Mode {
                normalize: false,
                ignore_extensions: true,
            },
            &table,
        );
        let available = |name: &str| reference_names.contains(name) || builtins.contains(name);
        let serialized = base64::engine::general_purpose::STANDARD
            .encode(serialize::serialize(&file, &table, &available));

        // A reference named as a built-in file replaces it in the pool too.
        let mut sources: Vec<compile::Source<'_>> = dependencies
            .iter()
            .filter(|(name, _)| *name != MAIN_FILE)
            .map(|(name, file)| compile::Source { name, file })
            .collect();
        sources.push(compile::Source {
            name: MAIN_FILE,
            file: &file,
        });
        let pool = compile::compile(builtins, &sources, &table)
            .map_err(|error| SchemaError::Invalid(compile_message(error)))?;

        Ok(ProtobufSchema {
            inner: Arc::new(Inner {
                file,
                canonical,
                normalized,
                without_extensions,
                serialized,
                pool,
            }),
        })
    }

    /// The schema's own file, resolved against its imports.
    pub fn file(&self) -> FileDescriptor {
        self.inner
            .pool
            .get_file_by_name(MAIN_FILE)
            .expect("the main file is compiled into the pool")
    }

    /// The heap memory the schema holds: its four texts exactly, and for
    /// its parsed file and descriptor pool a cost per descriptor in the pool
    /// plus three copies of each full name. prost-reflect keeps several
    /// forms of each descriptor (the raw one, its own, indexes by name,
    /// number and JSON name), so the costs were measured: the live heap a
    /// counting allocator saw after parsing (release build) schemas of 1 to
    /// 20,000 fields, messages or enum constants, with and without built-in
    /// types, and the 38 Protobuf schemas of the Confluent corpus in
    /// `tests/data`. The estimate came within 0.83 to 1.16 times the
    /// measured heap on each of them.
    pub fn estimated_heap_bytes(&self) -> usize {
        // The schema's own file, which is also held parsed.
        const MAIN_FILE_COST: usize = 3_800;
        const OTHER_FILE: usize = 1_500;
        const MESSAGE: usize = 1_400;
        const FIELD: usize = 1_000;
        const ONEOF: usize = 300;
        const ENUM: usize = 500;
        const ENUM_VALUE: usize = 480;
        const SERVICE: usize = 1_400;
        const METHOD: usize = 1_000;
        let name = |full_name: &str| 3 * full_name.len();
        let inner = &self.inner;
        let texts = inner.canonical.capacity()
            + inner.normalized.capacity()
            + inner.without_extensions.capacity()
            + inner.serialized.capacity();
        let pool = &inner.pool;
        let files: usize = pool
            .files()
            .map(|file| {
                let cost = if file.name() == MAIN_FILE {
                    MAIN_FILE_COST
                } else {
                    OTHER_FILE
                };
                cost + file.name().len()
            })
            .sum();
        let messages: usize = pool
            .all_messages()
            .map(|message| {
                MESSAGE
                    + name(message.full_name())
                    + message
                        .fields()
                        .map(|field| FIELD + name(field.full_name()))
                        .sum::<usize>()
                    + message.oneofs().len() * ONEOF
            })
            .sum();
        let enums: usize = pool
            .all_enums()
            .map(|enumeration| {
                ENUM + name(enumeration.full_name())
                    + enumeration
                        .values()
                        .map(|value| ENUM_VALUE + name(value.full_name()))
                        .sum::<usize>()
            })
            .sum();
        let extensions: usize = pool
            .all_extensions()
            .map(|extension| FIELD + name(extension.full_name()))
            .sum();
        let services: usize = pool
            .services()
            .map(|service| {
                SERVICE
                    + name(service.full_name())
                    + service
                        .methods()
                        .map(|method| METHOD + name(method.full_name()))
                        .sum::<usize>()
            })
            .sum();
        texts + files + messages + enums + extensions + services
    }

    /// The parsed file: declarations in written order, type names as written.
    pub fn parsed(&self) -> &ProtoFile {
        &self.inner.file
    }

    /// Confluent's name for the schema: the full name of its first message,
    /// or of its first enum when it has no message.
    pub fn name(&self) -> Option<String> {
        let first = |messages: bool| {
            self.inner
                .file
                .types
                .iter()
                .find(|element| matches!(element, TypeElement::Message(_)) == messages)
        };
        let element = first(true).or_else(|| first(false))?;
        Some(match self.inner.file.package.as_deref() {
            Some(package) if !package.is_empty() => format!("{package}.{}", element.name()),
            _ => element.name().to_owned(),
        })
    }

    /// Confluent's canonical text (what the registry stores and returns).
    pub fn canonical(&self) -> String {
        self.inner.canonical.clone()
    }

    /// Confluent's normalized text (`normalize=true`).
    pub fn normalized(&self) -> String {
        self.inner.normalized.clone()
    }

    /// The canonical text without custom options, `extensions` ranges and
    /// `extend` blocks (`format=ignore_extensions`).
    pub fn without_extensions(&self) -> String {
        self.inner.without_extensions.clone()
    }

    /// Base64 of the `FileDescriptorProto` Confluent returns for
    /// `format=serialized` (the schema's own file only).
    pub fn serialized(&self) -> String {
        self.inner.serialized.clone()
    }

    /// Full names (with the package) of every message of the schema's file,
    /// nested ones after their parent, in declaration order.
    pub fn message_names(&self) -> Vec<String> {
        fn walk(prefix: &str, types: &[TypeElement], out: &mut Vec<String>) {
            for element in types {
                if let TypeElement::Message(message) = element {
                    let name = if prefix.is_empty() {
                        message.name.clone()
                    } else {
                        format!("{prefix}.{}", message.name)
                    };
                    out.push(name.clone());
                    walk(&name, &message.nested_types, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(
            self.inner.file.package.as_deref().unwrap_or_default(),
            &self.inner.file.types,
            &mut out,
        );
        out
    }

    /// The message indexes of the Confluent wire format for a message of the
    /// schema's file: its position among the messages (enums do not count)
    /// at each level of nesting. `full_name` may omit the package.
    pub fn message_indexes(&self, full_name: &str) -> Option<Vec<i32>> {
        let name = full_name.strip_prefix('.').unwrap_or(full_name);
        let relative = match self.inner.file.package.as_deref() {
            Some(package) if !package.is_empty() => name
                .strip_prefix(package)
                .and_then(|rest| rest.strip_prefix('.'))
                .filter(|rest| find_message_path(&self.inner.file.types, rest).is_some())
                .unwrap_or(name),
            _ => name,
        };
        find_message_path(&self.inner.file.types, relative)
    }

    /// The full name of the message at `indexes` (see `message_indexes`); an
    /// empty list means the first message, as on the wire.
    pub fn message_name(&self, indexes: &[i32]) -> Option<String> {
        let indexes = if indexes.is_empty() {
            &[0][..]
        } else {
            indexes
        };
        let mut types = &self.inner.file.types;
        let mut parts = Vec::with_capacity(indexes.len() + 1);
        if let Some(package) = self.inner.file.package.as_deref().filter(|p| !p.is_empty()) {
            parts.push(package);
        }
        for index in indexes {
            let message = types
                .iter()
                .filter_map(|element| match element {
                    TypeElement::Message(message) => Some(message),
                    TypeElement::Enum(_) => None,
                })
                .nth(usize::try_from(*index).ok()?)?;
            parts.push(&message.name);
            types = &message.nested_types;
        }
        Some(parts.join("."))
    }
}

fn find_message_path(types: &[TypeElement], relative: &str) -> Option<Vec<i32>> {
    let mut indexes = Vec::new();
    let mut types = types;
    for part in relative.split('.') {
        let (index, message) = types
            .iter()
            .filter_map(|element| match element {
                TypeElement::Message(message) => Some(message),
                TypeElement::Enum(_) => None,
            })
            .enumerate()
            .find(|(_, message)| message.name == part)?;
        indexes.push(i32::try_from(index).ok()?);
        types = &message.nested_types;
    }
    Some(indexes)
}

/// Printing without normalizing resolves nothing and cannot fail.
fn print(file: &ProtoFile, mode: Mode, table: &TypeTable) -> String {
    print::print(file, mode, table).unwrap_or_default()
}

fn compile_message(error: compile::CompileError) -> String {
    match error {
        compile::CompileError::Cycle(files) => format!(
            "Import cycle among the referenced files: {}",
            files.join(" -> ")
        ),
        compile::CompileError::EmptyEnum(name, file) if file == MAIN_FILE => {
            format!("Enum {name} has no constants; a Protobuf enum needs at least one")
        }
        compile::CompileError::EmptyEnum(name, file) => format!(
            "Enum {name} in reference \"{file}\" has no constants; a Protobuf enum needs at least one"
        ),
        compile::CompileError::Invalid(reason) => {
            format!("Could not build a descriptor for this Protobuf schema: {reason}")
        }
    }
}

/// Confluent's `Could not resolve type: X`, followed by where it is used
/// and the imports no reference provides.
fn unresolved_message(
    unresolved: &Unresolved,
    file: &ProtoFile,
    references: &HashSet<&str>,
) -> String {
    let mut detail = unresolved.used_by.clone();
    if unresolved.location.is_known() {
        detail.push_str(&format!(
            " at line {}, column {}",
            unresolved.location.line, unresolved.location.column
        ));
    }
    let builtins = builtin::builtins();
    let missing: Vec<String> = file
        .imports
        .iter()
        .chain(&file.public_imports)
        .filter(|import| {
            !builtins.contains(&import.path) && !references.contains(import.path.as_str())
        })
        .map(|import| {
            if import.location.is_known() {
                format!("\"{}\" (line {})", import.path, import.location.line)
            } else {
                format!("\"{}\"", import.path)
            }
        })
        .collect();
    match missing.as_slice() {
        [] => {}
        [one] => detail.push_str(&format!("; no reference provides the import {one}")),
        many => detail.push_str(&format!(
            "; no reference provides the imports {}",
            many.join(", ")
        )),
    }
    format!(
        "Could not resolve type: {} ({detail})",
        unresolved.type_name
    )
}

#[cfg(test)]
mod tests;
