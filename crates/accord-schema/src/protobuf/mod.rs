//! Protobuf schemas: `.proto` text compiled with protox, inspected with
//! prost-reflect. References are the files the schema imports, by import
//! path; the `google/protobuf/*` well-known types are built in.

pub mod compat;

use prost_reflect::{DescriptorPool, FileDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use crate::{ResolvedReference, SchemaError};

/// The name the schema's own file gets inside its descriptor pool.
const MAIN_FILE: &str = "default";

/// A parsed, compiled `.proto` file with its imports.
#[derive(Clone, Debug)]
pub struct ProtobufSchema {
    pool: DescriptorPool,
    text: String,
}

/// Serves the schema's own text and its references to protox.
struct ReferenceResolver {
    main: String,
    references: Vec<(String, String)>,
}

impl FileResolver for ReferenceResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name == MAIN_FILE {
            return File::from_source(name, &self.main);
        }
        match self
            .references
            .iter()
            .find(|(reference, _)| reference == name)
        {
            Some((_, source)) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

impl ProtobufSchema {
    /// Compiles `text`; `references` are the files it imports (transitively).
    pub fn parse(text: &str, references: &[ResolvedReference<'_>]) -> Result<Self, SchemaError> {
        let mut resolver = ChainFileResolver::new();
        resolver.add(ReferenceResolver {
            main: text.to_owned(),
            references: references
                .iter()
                .map(|reference| (reference.name.to_owned(), reference.schema.to_owned()))
                .collect(),
        });
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        compiler
            .open_file(MAIN_FILE)
            .map_err(|error| SchemaError::Invalid(error.to_string()))?;
        Ok(ProtobufSchema {
            pool: compiler.descriptor_pool(),
            text: text.to_owned(),
        })
    }

    /// The schema's own file, resolved against its imports.
    pub fn file(&self) -> FileDescriptor {
        self.pool
            .get_file_by_name(MAIN_FILE)
            .expect("the main file is compiled into the pool")
    }

    pub fn canonical(&self) -> String {
        self.text.clone()
    }

    pub fn normalized(&self) -> String {
        self.text.clone()
    }

    /// Base64 of the main file's `FileDescriptorProto`.
    pub fn serialized(&self) -> String {
        use base64::Engine;
        use prost::Message;
        base64::engine::general_purpose::STANDARD
            .encode(self.file().file_descriptor_proto().encode_to_vec())
    }

    /// The text without extension ranges and `extend` blocks.
    pub fn without_extensions(&self) -> String {
        self.text.clone()
    }
}
