use super::VersionSpec;
use crate::domain::Version;
use crate::store::StoreError;

/// Everything the registry's rules can refuse, with Confluent's messages.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    #[error("Schema not found")]
    SchemaNotFound,
    #[error("Schema {0} not found")]
    SchemaIdNotFound(String),
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error("Subject '{0}' Version {1} was soft deleted.Set permanent=true to delete permanently")]
    VersionSoftDeleted(String, Version),
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, Version),
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectConfigNotFound(String),
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotFound(String),
    #[error("Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]", messages.join(", "))]
    Incompatible {
        subject: String,
        messages: Vec<String>,
    },
    /// The whole message, built by the registry (`Invalid schema … details: …`).
    #[error("{0}")]
    InvalidSchema(String),
    #[error("Invalid schema type {0}")]
    InvalidSchemaType(String),
    #[error("Empty schema")]
    EmptySchema,
    #[error("No schema reference found for subject \"{subject}\" and version {version}")]
    ReferenceNotFound {
        subject: String,
        version: VersionSpec,
    },
    #[error("{0}")]
    InvalidVersionInBody(String),
    #[error("The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"")]
    InvalidVersion(String),
    #[error("Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")]
    InvalidCompatibilityLevel,
    #[error("Invalid compatibility policy. Valid values are STRICT and LENIENT")]
    InvalidCompatibilityPolicy,
    #[error("Invalid mode. Valid values are READWRITE, READONLY, and IMPORT.")]
    InvalidMode,
    #[error("{0}")]
    OperationNotPermitted(String),
    #[error("One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={subject},version={version}}}.", subject = .0.0, version = .0.1)]
    ReferenceExists((String, Version)),
    #[error("The specified subject '{0}' is not a valid.")]
    InvalidSubject(String),
    #[error("Schema is {size} bytes, over this registry's limit of {limit} bytes")]
    SchemaTooLarge { size: usize, limit: usize },
    #[error("The specified context '{0}' is not empty.")]
    ContextNotEmpty(String),
    #[error("backend store failed")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}
