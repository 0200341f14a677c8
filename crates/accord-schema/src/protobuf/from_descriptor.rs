//! A `FileDescriptorProto` turned into the parsed form, as Confluent's
//! `ProtobufSchema.toProtoFile(FileDescriptorProto)` does for schemas sent as
//! base64 descriptors (the Python and JavaScript serializers send those) and
//! for its built-in files. Custom options do not survive (Confluent decodes
//! without an extension registry).

use std::collections::{HashMap, HashSet};

use prost_reflect::prost_types::{
    field_descriptor_proto::{Label as ProtoLabel, Type},
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    ServiceDescriptorProto,
};

use super::ast::*;

pub fn to_proto_file(file: &FileDescriptorProto) -> ProtoFile {
    let proto3 = file.syntax() == "proto3";
    let syntax = match file.syntax() {
        "proto2" => Some(Syntax::Proto2),
        "proto3" => Some(Syntax::Proto3),
        _ => None,
    };
    let mut types: Vec<TypeElement> = file
        .message_type
        .iter()
        .map(|message| TypeElement::Message(to_message(message, proto3)))
        .collect();
    types.extend(
        file.enum_type
            .iter()
            .map(|enumeration| TypeElement::Enum(to_enum(enumeration))),
    );
    let public: HashSet<i32> = file.public_dependency.iter().copied().collect();
    let mut imports = Vec::new();
    let mut public_imports = Vec::new();
    for (index, dependency) in file.dependency.iter().enumerate() {
        let import = Import {
            path: dependency.clone(),
            location: Location::default(),
        };
        if public.contains(&(index as i32)) {
            public_imports.push(import);
        } else {
            imports.push(import);
        }
    }
    ProtoFile {
        syntax,
        package: file.package.clone().filter(|package| !package.is_empty()),
        imports,
        public_imports,
        weak_imports: Vec::new(),
        types,
        services: file.service.iter().map(to_service).collect(),
        extends: to_extends(&file.extension, proto3),
        options: file.options.as_ref().map(file_options).unwrap_or_default(),
    }
}

fn option(name: &str, value: OptionValue) -> OptionElement {
    OptionElement {
        name: name.to_owned(),
        value,
        parenthesized: false,
    }
}

fn string(value: &str) -> OptionValue {
    OptionValue::String(value.to_owned())
}

fn boolean(value: bool) -> OptionValue {
    OptionValue::Bool(value.to_string())
}

fn word(value: &str) -> OptionValue {
    OptionValue::Enum(value.to_owned())
}

fn file_options(options: &prost_reflect::prost_types::FileOptions) -> Vec<OptionElement> {
    let mut result = Vec::new();
    let mut push = |name: &str, value: Option<OptionValue>| {
        if let Some(value) = value {
            result.push(option(name, value));
        }
    };
    push("java_package", options.java_package.as_deref().map(string));
    push(
        "java_outer_classname",
        options.java_outer_classname.as_deref().map(string),
    );
    push(
        "java_multiple_files",
        options.java_multiple_files.map(boolean),
    );
    #[allow(deprecated)]
    push(
        "java_generate_equals_and_hash",
        options.java_generate_equals_and_hash.map(boolean),
    );
    push(
        "java_string_check_utf8",
        options.java_string_check_utf8.map(boolean),
    );
    push(
        "optimize_for",
        options
            .optimize_for
            .is_some()
            .then(|| word(options.optimize_for().as_str_name())),
    );
    push("go_package", options.go_package.as_deref().map(string));
    push(
        "cc_generic_services",
        options.cc_generic_services.map(boolean),
    );
    push(
        "java_generic_services",
        options.java_generic_services.map(boolean),
    );
    push(
        "py_generic_services",
        options.py_generic_services.map(boolean),
    );
    push("deprecated", options.deprecated.map(boolean));
    push("cc_enable_arenas", options.cc_enable_arenas.map(boolean));
    push(
        "objc_class_prefix",
        options.objc_class_prefix.as_deref().map(string),
    );
    push(
        "csharp_namespace",
        options.csharp_namespace.as_deref().map(string),
    );
    push("swift_prefix", options.swift_prefix.as_deref().map(string));
    push(
        "php_class_prefix",
        options.php_class_prefix.as_deref().map(string),
    );
    push(
        "php_namespace",
        options.php_namespace.as_deref().map(string),
    );
    push(
        "php_metadata_namespace",
        options.php_metadata_namespace.as_deref().map(string),
    );
    push("ruby_package", options.ruby_package.as_deref().map(string));
    result
}

fn to_message(message: &DescriptorProto, proto3: bool) -> Message {
    let mut fields = Vec::new();
    let mut oneofs: Vec<OneOf> = message
        .oneof_decl
        .iter()
        .map(|oneof| OneOf {
            name: oneof.name().to_owned(),
            ..OneOf::default()
        })
        .collect();
    for field in &message.field {
        match field.oneof_index {
            Some(index) if !field.proto3_optional() => {
                if let Some(oneof) = oneofs.get_mut(index as usize) {
                    oneof.fields.push(to_field(field, proto3, true));
                }
            }
            _ => fields.push(to_field(field, proto3, false)),
        }
    }
    oneofs.retain(|oneof| !oneof.fields.is_empty());
    let mut nested_types: Vec<TypeElement> = message
        .nested_type
        .iter()
        .map(|nested| TypeElement::Message(to_message(nested, proto3)))
        .collect();
    nested_types.extend(
        message
            .enum_type
            .iter()
            .map(|nested| TypeElement::Enum(to_enum(nested))),
    );
    let mut reserveds: Vec<Reserved> = message
        .reserved_range
        .iter()
        .map(|range| Reserved {
            location: Location::default(),
            values: vec![exclusive_range(range.start(), range.end())],
        })
        .collect();
    reserveds.extend(message.reserved_name.iter().map(|name| Reserved {
        location: Location::default(),
        values: vec![RangeValue::Name(name.clone())],
    }));
    let extensions = message
        .extension_range
        .iter()
        .map(|range| Extensions {
            location: Location::default(),
            values: vec![exclusive_range(range.start(), range.end())],
            options: Vec::new(),
        })
        .collect();
    let mut options = Vec::new();
    if let Some(message_options) = &message.options {
        if let Some(value) = message_options.no_standard_descriptor_accessor {
            options.push(option("no_standard_descriptor_accessor", boolean(value)));
        }
        if let Some(value) = message_options.deprecated {
            options.push(option("deprecated", boolean(value)));
        }
        if let Some(value) = message_options.map_entry {
            options.push(option("map_entry", boolean(value)));
        }
    }
    Message {
        location: Location::default(),
        name: message.name().to_owned(),
        nested_types,
        options,
        reserveds,
        fields,
        oneofs,
        extensions,
        groups: Vec::new(),
        extends: to_extends(&message.extension, proto3),
    }
}

/// `[start, end)` as Wire writes it: a single number or an inclusive range.
fn exclusive_range(start: i32, end: i32) -> RangeValue {
    if start == end - 1 {
        RangeValue::Tag(start)
    } else {
        RangeValue::Range(start, end - 1)
    }
}

fn to_extends(fields: &[FieldDescriptorProto], proto3: bool) -> Vec<Extend> {
    let mut extends: Vec<Extend> = Vec::new();
    let mut positions: HashMap<&str, usize> = HashMap::new();
    for field in fields {
        let element = to_field(field, proto3, false);
        match positions.get(field.extendee()) {
            Some(&position) => extends[position].fields.push(element),
            None => {
                positions.insert(field.extendee(), extends.len());
                extends.push(Extend {
                    location: Location::default(),
                    name: field.extendee().to_owned(),
                    fields: vec![element],
                });
            }
        }
    }
    extends
}

fn to_field(field: &FieldDescriptorProto, proto3: bool, in_oneof: bool) -> Field {
    let mut options = Vec::new();
    if let Some(field_options) = &field.options {
        if field_options.ctype.is_some() {
            options.push(option("ctype", word(field_options.ctype().as_str_name())));
        }
        if let Some(packed) = field_options.packed {
            options.push(option("packed", boolean(packed)));
        }
        if field_options.jstype.is_some() {
            options.push(option("jstype", word(field_options.jstype().as_str_name())));
        }
        if let Some(deprecated) = field_options.deprecated {
            options.push(option("deprecated", boolean(deprecated)));
        }
    }
    let label = if in_oneof {
        None
    } else if field.proto3_optional() {
        Some(Label::Optional)
    } else {
        match field.label() {
            ProtoLabel::Repeated => Some(Label::Repeated),
            _ if proto3 => None,
            ProtoLabel::Required => Some(Label::Required),
            ProtoLabel::Optional => Some(Label::Optional),
        }
    };
    let type_name = match &field.type_name {
        Some(name) => name.clone(),
        None => scalar_name(field.r#type()).to_owned(),
    };
    Field {
        location: Location::default(),
        label,
        type_name,
        name: field.name().to_owned(),
        default_value: field.default_value.clone().filter(|_| !proto3),
        json_name: field.json_name.clone(),
        tag: field.number(),
        options,
    }
}

/// Java's `FieldDescriptor.Type.name().toLowerCase()`.
fn scalar_name(kind: Type) -> &'static str {
    match kind {
        Type::Double => "double",
        Type::Float => "float",
        Type::Int64 => "int64",
        Type::Uint64 => "uint64",
        Type::Int32 => "int32",
        Type::Fixed64 => "fixed64",
        Type::Fixed32 => "fixed32",
        Type::Bool => "bool",
        Type::String => "string",
        Type::Group => "group",
        Type::Message => "message",
        Type::Bytes => "bytes",
        Type::Uint32 => "uint32",
        Type::Enum => "enum",
        Type::Sfixed32 => "sfixed32",
        Type::Sfixed64 => "sfixed64",
        Type::Sint32 => "sint32",
        Type::Sint64 => "sint64",
    }
}

fn to_enum(enumeration: &EnumDescriptorProto) -> Enum {
    let constants = enumeration
        .value
        .iter()
        .map(|value| {
            let mut options = Vec::new();
            if let Some(deprecated) = value.options.as_ref().and_then(|o| o.deprecated) {
                options.push(option("deprecated", boolean(deprecated)));
            }
            EnumConstant {
                location: Location::default(),
                name: value.name().to_owned(),
                tag: value.number(),
                options,
            }
        })
        .collect();
    let mut reserveds: Vec<Reserved> = enumeration
        .reserved_range
        .iter()
        .map(|range| Reserved {
            location: Location::default(),
            values: vec![if range.start() == range.end() {
                RangeValue::Tag(range.start())
            } else {
                RangeValue::Range(range.start(), range.end())
            }],
        })
        .collect();
    reserveds.extend(enumeration.reserved_name.iter().map(|name| Reserved {
        location: Location::default(),
        values: vec![RangeValue::Name(name.clone())],
    }));
    let mut options = Vec::new();
    if let Some(enum_options) = &enumeration.options {
        if let Some(allow_alias) = enum_options.allow_alias {
            options.push(option("allow_alias", boolean(allow_alias)));
        }
        if let Some(deprecated) = enum_options.deprecated {
            options.push(option("deprecated", boolean(deprecated)));
        }
    }
    Enum {
        location: Location::default(),
        name: enumeration.name().to_owned(),
        options,
        constants,
        reserveds,
    }
}

fn to_service(service: &ServiceDescriptorProto) -> Service {
    let rpcs = service
        .method
        .iter()
        .map(|method| {
            let mut options = Vec::new();
            if let Some(method_options) = &method.options {
                if let Some(deprecated) = method_options.deprecated {
                    options.push(option("deprecated", boolean(deprecated)));
                }
                if method_options.idempotency_level.is_some() {
                    options.push(option(
                        "idempotency_level",
                        word(method_options.idempotency_level().as_str_name()),
                    ));
                }
            }
            Rpc {
                location: Location::default(),
                name: method.name().to_owned(),
                request_type: method.input_type().to_owned(),
                response_type: method.output_type().to_owned(),
                request_streaming: method.client_streaming(),
                response_streaming: method.server_streaming(),
                options,
            }
        })
        .collect();
    let mut options = Vec::new();
    if let Some(deprecated) = service.options.as_ref().and_then(|o| o.deprecated) {
        options.push(option("deprecated", boolean(deprecated)));
    }
    Service {
        location: Location::default(),
        name: service.name().to_owned(),
        rpcs,
        options,
    }
}
