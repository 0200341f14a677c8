//! Names of the messages, enums and extension fields a schema can see, and
//! their resolution. Which files are searched is Confluent's choice (its
//! `Context`): every file the schema references, imported or not, and every
//! built-in file no reference replaces. How a name is looked up in them is
//! protoc's rule, which protobuf-java (and so Confluent's own descriptors)
//! applies too: a relative name is tried in the innermost scope, then in each
//! enclosing one, one name component at a time (`a.b.M`, `a.b`, `a`, the
//! root), so that in `package a.b;` the name `b.Y` means `a.b.Y`. For a
//! qualified name only its first component is looked up that way, among the
//! names that can hold others (packages, messages, enums, services); the rest
//! must then be found inside it, or the name does not resolve even when an
//! outer scope has it (protoc's "shadowed" error), where Confluent's
//! `Context` would try the whole name in the outer scopes.

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
    /// Packages (each with every enclosing package: `a` and `a.b` for
    /// `a.b`) and services: with the types, the names the first component
    /// of a qualified name may denote.
    containers: HashSet<String>,
}

impl TypeTable {
    /// Adds every type and extension field `file` declares; a name declared
    /// again replaces the earlier one.
    pub fn add_file(&mut self, file_name: &str, file: &ProtoFile) {
        let package = file.package.clone().unwrap_or_default();
        let mut enclosing = String::new();
        for component in package.split('.').filter(|component| !component.is_empty()) {
            if !enclosing.is_empty() {
                enclosing.push('.');
            }
            enclosing.push_str(component);
            self.containers.insert(enclosing.clone());
        }
        for service in &file.services {
            self.containers
                .insert(qualify(&package, std::slice::from_ref(&service.name)));
        }
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
        self.resolve_in(name, package, scope, |full| self.types.contains_key(full))
    }

    /// Like `resolve`, for the name of an extension field (a custom option).
    pub fn resolve_extension(&self, name: &str, package: &str, scope: &[String]) -> Option<String> {
        self.resolve_in(name, package, scope, |full| {
            self.extensions.contains_key(full)
        })
    }

    /// Whether `full_name` can hold other names. Fields, enum constants and
    /// extensions cannot; protoc passes over them when looking up the first
    /// component of a qualified name, as this table, which does not hold
    /// them, does.
    fn is_container(&self, full_name: &str) -> bool {
        self.types.contains_key(full_name) || self.containers.contains(full_name)
    }

    /// protoc's lookup (`DescriptorBuilder::LookupSymbol`): the first
    /// component of `name` from the innermost scope outwards; a simple name
    /// is the first one that `exists`, a qualified one is the rest of the
    /// name inside the first container found.
    fn resolve_in(
        &self,
        name: &str,
        package: &str,
        scope: &[String],
        exists: impl Fn(&str) -> bool,
    ) -> Option<String> {
        if let Some(full) = name.strip_prefix('.') {
            return exists(full).then(|| full.to_owned());
        }
        let (first, rest) = match name.split_once('.') {
            Some((first, rest)) => (first, Some(rest)),
            None => (name, None),
        };
        let mut enclosing: Vec<&str> = package
            .split('.')
            .filter(|component| !component.is_empty())
            .chain(scope.iter().map(String::as_str))
            .collect();
        loop {
            let mut candidate = enclosing.join(".");
            if !candidate.is_empty() {
                candidate.push('.');
            }
            candidate.push_str(first);
            match rest {
                None if exists(&candidate) => return Some(candidate),
                Some(rest) if self.is_container(&candidate) => {
                    let full = format!("{candidate}.{rest}");
                    return exists(&full).then_some(full);
                }
                _ => {}
            }
            enclosing.pop()?;
        }
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
    }

    fn tables(files: &[&str]) -> TypeTable {
        let mut table = TypeTable::default();
        for (index, text) in files.iter().enumerate() {
            let file = super::super::parse::parse(text).expect("parses");
            table.add_file(&format!("file{index}.proto"), &file);
        }
        table
    }

    #[test]
    fn the_enclosing_packages_are_tried_one_component_at_a_time() {
        let table = tables(&[
            "syntax = \"proto3\";\npackage a.b;\nmessage Y {}\n",
            "syntax = \"proto3\";\npackage a;\nmessage Z {}\n",
            "syntax = \"proto3\";\npackage google.protobuf;\nmessage Timestamp {}\n",
        ]);
        let scope = vec!["M".to_owned()];
        // A name qualified by the last component of the enclosing package.
        assert_eq!(
            table.resolve("b.Y", "a.b", &scope).as_deref(),
            Some("a.b.Y")
        );
        assert_eq!(
            table
                .resolve("protobuf.Timestamp", "google.api", &[])
                .as_deref(),
            Some("google.protobuf.Timestamp")
        );
        // A simple name from an enclosing package that is not the root.
        assert_eq!(table.resolve("Z", "a.b.c", &scope).as_deref(), Some("a.Z"));
        assert_eq!(table.resolve("b.Y", "a.b.c", &[]).as_deref(), Some("a.b.Y"));
    }

    #[test]
    fn a_qualified_name_is_resolved_inside_the_first_container_found() {
        // `c` is found as the message `a.b.c`, which has no `Y`: protoc
        // refuses the name (it is shadowed), though the root package `c`
        // has a `Y`.
        let table = tables(&[
            "syntax = \"proto3\";\npackage a.b;\nmessage c {}\nmessage M {}\n",
            "syntax = \"proto3\";\npackage c;\nmessage Y {}\n",
        ]);
        assert_eq!(table.resolve("c.Y", "a.b", &["M".to_owned()]), None);
        assert_eq!(table.resolve("c.Y", "", &[]).as_deref(), Some("c.Y"));
        assert_eq!(table.resolve(".c.Y", "a.b", &[]).as_deref(), Some("c.Y"));
        // A package shadows the same way as a message.
        let table = tables(&[
            "syntax = \"proto3\";\npackage a.c;\nmessage X {}\n",
            "syntax = \"proto3\";\npackage c;\nmessage Y {}\n",
        ]);
        assert_eq!(table.resolve("c.Y", "a", &[]), None);
        assert_eq!(table.resolve("c.X", "a", &[]).as_deref(), Some("a.c.X"));
    }

    #[test]
    fn a_first_component_that_cannot_hold_names_is_passed_over() {
        // `opts` and `E_FIRST` are an extension field and an enum constant
        // of package `p`, and `M.opts` a field: none can hold a type, so
        // protoc goes on to the root packages `opts` and `E_FIRST`.
        let table = tables(&[
            "syntax = \"proto2\";\npackage p;\n\
             import \"google/protobuf/descriptor.proto\";\n\
             extend google.protobuf.FieldOptions { optional string opts = 50000; }\n\
             enum E { E_FIRST = 0; }\n\
             message M { optional int32 opts = 1; }\n",
            "syntax = \"proto3\";\npackage opts;\nmessage T {}\n",
            "syntax = \"proto3\";\npackage E_FIRST;\nmessage T {}\n",
        ]);
        let scope = vec!["M".to_owned()];
        assert_eq!(
            table.resolve("opts.T", "p", &scope).as_deref(),
            Some("opts.T")
        );
        assert_eq!(
            table.resolve("E_FIRST.T", "p", &scope).as_deref(),
            Some("E_FIRST.T")
        );
        // A simple type name passes over a package of the same name.
        let table = tables(&[
            "syntax = \"proto3\";\npackage x.Y;\nmessage Other {}\n",
            "syntax = \"proto3\";\nmessage Y {}\n",
        ]);
        assert_eq!(table.resolve("Y", "x", &[]).as_deref(), Some("Y"));
    }

    #[test]
    fn extension_names_follow_the_same_rules() {
        let table = tables(&["syntax = \"proto2\";\npackage google.api;\n\
             import \"google/protobuf/descriptor.proto\";\n\
             extend google.protobuf.MethodOptions { optional string http = 72295728; }\n"]);
        assert_eq!(
            table
                .resolve_extension("api.http", "google.longrunning", &[])
                .as_deref(),
            Some("google.api.http")
        );
        assert_eq!(
            table
                .resolve_extension("http", "google.api.v1", &[])
                .as_deref(),
            Some("google.api.http")
        );
    }
}
