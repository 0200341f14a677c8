//! Names of the messages, enums and extension fields a schema can see, and
//! their resolution as Confluent's `Context` does it: every file the schema
//! references (imported or not) and every built-in file is searched, from the
//! innermost scope outwards (`package.Outer.Inner.Name`, …, `package.Name`,
//! then `Name`).

use std::collections::{HashMap, HashSet};

use super::ast::{self, Label, ProtoFile, TypeElement};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeKind {
    Message,
    Enum,
}

#[derive(Clone, Debug)]
pub struct TypeInfo {
    pub kind: TypeKind,
    /// The file that defines the type (its import path, `default` for the
    /// schema itself).
    pub file: String,
    /// For a message with `option map_entry = true`: its `key` and `value`
    /// field types as written.
    pub map_entry: Option<(String, String)>,
    /// For an enum: its constants' names.
    pub values: HashSet<String>,
}

#[derive(Clone, Debug)]
pub struct ExtensionInfo {
    pub repeated: bool,
}

#[derive(Clone, Debug, Default)]
pub struct TypeTable {
    types: HashMap<String, TypeInfo>,
    extensions: HashMap<String, ExtensionInfo>,
}

impl TypeTable {
    /// Adds every type and extension field `file` declares; a name declared
    /// again replaces the earlier one.
    pub fn add_file(&mut self, file_name: &str, file: &ProtoFile) {
        let package = file.package.clone().unwrap_or_default();
        let mut path = Vec::new();
        self.add_types(file_name, &package, &mut path, &file.types);
        self.add_extends(&package, &[], &file.extends);
    }

    fn add_types(
        &mut self,
        file_name: &str,
        package: &str,
        path: &mut Vec<String>,
        types: &[TypeElement],
    ) {
        for element in types {
            path.push(element.name().to_owned());
            let full_name = qualify(package, path);
            let info = match element {
                TypeElement::Message(message) => {
                    let map_entry = ast::option_is_true(&message.options, "map_entry")
                        .then(|| {
                            let field_type = |name: &str| {
                                message
                                    .fields
                                    .iter()
                                    .find(|field| field.name == name)
                                    .map(|field| field.type_name.clone())
                            };
                            Some((field_type("key")?, field_type("value")?))
                        })
                        .flatten();
                    self.add_extends(package, path, &message.extends);
                    TypeInfo {
                        kind: TypeKind::Message,
                        file: file_name.to_owned(),
                        map_entry,
                        values: HashSet::new(),
                    }
                }
                TypeElement::Enum(enumeration) => TypeInfo {
                    kind: TypeKind::Enum,
                    file: file_name.to_owned(),
                    map_entry: None,
                    values: enumeration
                        .constants
                        .iter()
                        .map(|constant| constant.name.clone())
                        .collect(),
                },
            };
            self.types.insert(full_name, info);
            self.add_types(file_name, package, path, element.nested_types());
            path.pop();
        }
    }

    fn add_extends(&mut self, package: &str, scope: &[String], extends: &[ast::Extend]) {
        for extend in extends {
            for field in &extend.fields {
                let mut path = scope.to_vec();
                path.push(field.name.clone());
                self.extensions.insert(
                    qualify(package, &path),
                    ExtensionInfo {
                        repeated: field.label == Some(Label::Repeated),
                    },
                );
            }
        }
    }

    /// The type with this full name (a leading dot is ignored).
    pub fn get(&self, full_name: &str) -> Option<&TypeInfo> {
        self.types
            .get(full_name.strip_prefix('.').unwrap_or(full_name))
    }

    pub fn extension(&self, full_name: &str) -> Option<&ExtensionInfo> {
        self.extensions
            .get(full_name.strip_prefix('.').unwrap_or(full_name))
    }

    /// The full name (without a leading dot) `name` refers to from inside the
    /// types `scope` of `package`.
    pub fn resolve(&self, name: &str, package: &str, scope: &[String]) -> Option<String> {
        resolve_in(name, package, scope, |full| self.types.contains_key(full))
    }

    /// Like `resolve`, for the name of an extension field (a custom option).
    pub fn resolve_extension(&self, name: &str, package: &str, scope: &[String]) -> Option<String> {
        resolve_in(name, package, scope, |full| {
            self.extensions.contains_key(full)
        })
    }
}

fn qualify(package: &str, path: &[String]) -> String {
    let name = path.join(".");
    if package.is_empty() {
        name
    } else {
        format!("{package}.{name}")
    }
}

fn resolve_in(
    name: &str,
    package: &str,
    scope: &[String],
    exists: impl Fn(&str) -> bool,
) -> Option<String> {
    if let Some(full) = name.strip_prefix('.') {
        return exists(full).then(|| full.to_owned());
    }
    let mut prefix: Vec<&str> = Vec::with_capacity(scope.len() + 1);
    if !package.is_empty() {
        prefix.push(package);
    }
    prefix.extend(scope.iter().map(String::as_str));
    while !prefix.is_empty() {
        let candidate = format!("{}.{name}", prefix.join("."));
        if exists(&candidate) {
            return Some(candidate);
        }
        prefix.pop();
    }
    exists(name).then(|| name.to_owned())
}

/// Wire's scalar type names.
pub fn is_scalar(type_name: &str) -> bool {
    matches!(
        type_name,
        "bool"
            | "bytes"
            | "double"
            | "float"
            | "fixed32"
            | "fixed64"
            | "int32"
            | "int64"
            | "sfixed32"
            | "sfixed64"
            | "sint32"
            | "sint64"
            | "string"
            | "uint32"
            | "uint64"
    )
}

/// The key and value types of `map<K, V>` as written.
pub fn map_types(type_name: &str) -> Option<(&str, &str)> {
    let inner = type_name.strip_prefix("map<")?.strip_suffix('>')?;
    let (key, value) = inner.split_once(',')?;
    Some((key.trim(), value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> TypeTable {
        let mut table = TypeTable::default();
        table.add_file(
            "default",
            &super::super::parse::parse(text).expect("parses"),
        );
        table
    }

    #[test]
    fn resolves_from_the_innermost_scope_outwards() {
        let table =
            table("syntax = \"proto3\";\npackage a.b;\nmessage X { message Y {} }\nmessage Y {}\n");
        let scope = vec!["X".to_owned()];
        assert_eq!(
            table.resolve("Y", "a.b", &scope).as_deref(),
            Some("a.b.X.Y")
        );
        assert_eq!(table.resolve("Y", "a.b", &[]).as_deref(), Some("a.b.Y"));
        assert_eq!(
            table.resolve(".a.b.Y", "a.b", &scope).as_deref(),
            Some("a.b.Y")
        );
        assert_eq!(table.resolve("a.b.Y", "", &[]).as_deref(), Some("a.b.Y"));
        // The package is one step, as in Confluent: `b.Y` is not found from `a.b`.
        assert_eq!(table.resolve("b.Y", "a.b", &[]), None);
    }
}
