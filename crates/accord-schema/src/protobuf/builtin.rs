//! The files every Protobuf schema may use without a reference, as in
//! Confluent (`ProtobufSchema.KNOWN_DEPENDENCIES`): the well-known types
//! (`google/protobuf/*`), the common types (`google/type/*`) and Confluent's
//! own `confluent/meta.proto` and `confluent/type/decimal.proto`. A reference
//! with the same name takes precedence over a built-in file.
//!
//! The `google/protobuf` files come from prost-reflect's descriptors. The
//! others are declared below from their published definitions (message,
//! field, enum and extension names and numbers), without comments.

use std::collections::HashSet;
use std::sync::OnceLock;

use prost_reflect::prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto};
use prost_reflect::{DescriptorPool, FileDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use super::ast::ProtoFile;
use super::from_descriptor::to_proto_file;
use super::types::TypeTable;

const WELL_KNOWN: &[&str] = &[
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
];

const DECLARED: &[(&str, &str)] = &[
    (
        "confluent/meta.proto",
        r#"syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
option java_package = "io.confluent.protobuf";
option java_outer_classname = "MetaProto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
"#,
    ),
    (
        "confluent/type/decimal.proto",
        r#"syntax = "proto3";
package confluent.type;
option java_package = "io.confluent.protobuf.type";
option java_outer_classname = "DecimalProto";
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
"#,
    ),
    (
        "google/type/calendar_period.proto",
        r#"syntax = "proto3";
package google.type;
enum CalendarPeriod {
  CALENDAR_PERIOD_UNSPECIFIED = 0;
  DAY = 1;
  WEEK = 2;
  FORTNIGHT = 3;
  MONTH = 4;
  QUARTER = 5;
  HALF = 6;
  YEAR = 7;
}
"#,
    ),
    (
        "google/type/color.proto",
        r#"syntax = "proto3";
package google.type;
import "google/protobuf/wrappers.proto";
message Color {
  float red = 1;
  float green = 2;
  float blue = 3;
  google.protobuf.FloatValue alpha = 4;
}
"#,
    ),
    (
        "google/type/date.proto",
        r#"syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
"#,
    ),
    (
        "google/type/datetime.proto",
        r#"syntax = "proto3";
package google.type;
import "google/protobuf/duration.proto";
message DateTime {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
  int32 hours = 4;
  int32 minutes = 5;
  int32 seconds = 6;
  int32 nanos = 7;
  oneof time_offset {
    google.protobuf.Duration utc_offset = 8;
    TimeZone time_zone = 9;
  }
}
message TimeZone {
  string id = 1;
  string version = 2;
}
"#,
    ),
    (
        "google/type/dayofweek.proto",
        r#"syntax = "proto3";
package google.type;
enum DayOfWeek {
  DAY_OF_WEEK_UNSPECIFIED = 0;
  MONDAY = 1;
  TUESDAY = 2;
  WEDNESDAY = 3;
  THURSDAY = 4;
  FRIDAY = 5;
  SATURDAY = 6;
  SUNDAY = 7;
}
"#,
    ),
    (
        "google/type/decimal.proto",
        r#"syntax = "proto3";
package google.type;
message Decimal {
  string value = 1;
}
"#,
    ),
    (
        "google/type/expr.proto",
        r#"syntax = "proto3";
package google.type;
message Expr {
  string expression = 1;
  string title = 2;
  string description = 3;
  string location = 4;
}
"#,
    ),
    (
        "google/type/fraction.proto",
        r#"syntax = "proto3";
package google.type;
message Fraction {
  int64 numerator = 1;
  int64 denominator = 2;
}
"#,
    ),
    (
        "google/type/interval.proto",
        r#"syntax = "proto3";
package google.type;
import "google/protobuf/timestamp.proto";
message Interval {
  google.protobuf.Timestamp start_time = 1;
  google.protobuf.Timestamp end_time = 2;
}
"#,
    ),
    (
        "google/type/latlng.proto",
        r#"syntax = "proto3";
package google.type;
message LatLng {
  double latitude = 1;
  double longitude = 2;
}
"#,
    ),
    (
        "google/type/money.proto",
        r#"syntax = "proto3";
package google.type;
message Money {
  string currency_code = 1;
  int64 units = 2;
  int32 nanos = 3;
}
"#,
    ),
    (
        "google/type/month.proto",
        r#"syntax = "proto3";
package google.type;
enum Month {
  MONTH_UNSPECIFIED = 0;
  JANUARY = 1;
  FEBRUARY = 2;
  MARCH = 3;
  APRIL = 4;
  MAY = 5;
  JUNE = 6;
  JULY = 7;
  AUGUST = 8;
  SEPTEMBER = 9;
  OCTOBER = 10;
  NOVEMBER = 11;
  DECEMBER = 12;
}
"#,
    ),
    (
        "google/type/phone_number.proto",
        r#"syntax = "proto3";
package google.type;
message PhoneNumber {
  message ShortCode {
    string region_code = 1;
    string number = 2;
  }
  oneof kind {
    string e164_number = 1;
    ShortCode short_code = 2;
  }
  string extension = 3;
}
"#,
    ),
    (
        "google/type/postal_address.proto",
        r#"syntax = "proto3";
package google.type;
message PostalAddress {
  int32 revision = 1;
  string region_code = 2;
  string language_code = 3;
  string postal_code = 4;
  string sorting_code = 5;
  string administrative_area = 6;
  string locality = 7;
  string sublocality = 8;
  repeated string address_lines = 9;
  repeated string recipients = 10;
  string organization = 11;
}
"#,
    ),
    (
        "google/type/quaternion.proto",
        r#"syntax = "proto3";
package google.type;
message Quaternion {
  double x = 1;
  double y = 2;
  double z = 3;
  double w = 4;
}
"#,
    ),
    (
        "google/type/timeofday.proto",
        r#"syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
"#,
    ),
];

/// The built-in files: compiled, and in parsed form for name resolution.
pub struct Builtins {
    /// Every built-in file. A schema's own pool holds only those it uses
    /// (`pool_for`).
    pub pool: DescriptorPool,
    pub files: Vec<(&'static str, ProtoFile)>,
    /// The names every built-in file declares.
    pub table: TypeTable,
    names: HashSet<&'static str>,
    /// What each file of `pool` defines, in the pool's order.
    defined: Vec<Defined>,
}

/// The names files define, as protoc's symbol table holds them: two files
/// that define the same one cannot be in one pool.
#[derive(Default)]
struct Defined {
    /// The packages, each with every enclosing one.
    packages: HashSet<String>,
    /// Messages, enums, enum constants (which belong to the enum's scope),
    /// services and extension fields. Fields and methods are left out: they
    /// clash only inside a message or service that clashes already.
    symbols: HashSet<String>,
}

impl Defined {
    fn of(files: &[FileDescriptorProto]) -> Defined {
        let mut defined = Defined::default();
        for file in files {
            let package = file.package();
            let mut enclosing = String::new();
            for component in package.split('.').filter(|component| !component.is_empty()) {
                if !enclosing.is_empty() {
                    enclosing.push('.');
                }
                enclosing.push_str(component);
                defined.packages.insert(enclosing.clone());
            }
            for message in &file.message_type {
                defined.add_message(package, message);
            }
            for enumeration in &file.enum_type {
                defined.add_enum(package, enumeration);
            }
            for service in &file.service {
                defined.symbols.insert(qualify(package, service.name()));
            }
            for extension in &file.extension {
                defined.symbols.insert(qualify(package, extension.name()));
            }
        }
        defined
    }

    fn add_message(&mut self, scope: &str, message: &DescriptorProto) {
        let name = qualify(scope, message.name());
        for nested in &message.nested_type {
            self.add_message(&name, nested);
        }
        for enumeration in &message.enum_type {
            self.add_enum(&name, enumeration);
        }
        for extension in &message.extension {
            self.symbols.insert(qualify(&name, extension.name()));
        }
        self.symbols.insert(name);
    }

    fn add_enum(&mut self, scope: &str, enumeration: &EnumDescriptorProto) {
        self.symbols.insert(qualify(scope, enumeration.name()));
        for value in &enumeration.value {
            self.symbols.insert(qualify(scope, value.name()));
        }
    }

    /// Whether a name is defined in both, or is a package in one and some
    /// other kind of name in the other.
    fn clashes_with(&self, other: &Defined) -> bool {
        self.symbols
            .iter()
            .any(|name| other.symbols.contains(name) || other.packages.contains(name))
            || self
                .packages
                .iter()
                .any(|name| other.symbols.contains(name))
    }
}

fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

impl Builtins {
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// A pool holding the built-in files `files` depend on, and theirs in
    /// turn, ready for `files` to be added. A built-in file that `files`
    /// provide themselves (a reference under its name) is not added, nor is
    /// one nothing imports: as in protoc, and in Confluent's own descriptors
    /// (`toDynamicSchema` adds an import only), a file may then define the
    /// names a built-in file defines. Each schema owns its pool, and
    /// prost-reflect copies a shared pool whole before adding to it, so a
    /// schema that uses no built-in file also costs no memory for them.
    ///
    /// A schema using `google.protobuf.Any` gets every built-in file that
    /// does not clash with its own: the content of an `Any` is resolved by
    /// type name in the pool when a message is read or written, whichever
    /// built-in type it holds.
    pub fn pool_for(&self, files: &[FileDescriptorProto]) -> DescriptorPool {
        let own: HashSet<&str> = files.iter().map(FileDescriptorProto::name).collect();
        // A dependency that is neither given nor built in fails when `files`
        // are added.
        let mut closure = self.closure(
            files
                .iter()
                .flat_map(|file| &file.dependency)
                .filter(|name| !own.contains(name.as_str()))
                .filter_map(|name| self.pool.get_file_by_name(name)),
        );
        let uses_any = own.contains(ANY) || closure.iter().any(|file| file.name() == ANY);
        if uses_any {
            let defined = Defined::of(files);
            let mut chosen: HashSet<String> =
                closure.iter().map(|file| file.name().to_owned()).collect();
            let mut refused: HashSet<String> = own.iter().map(|name| (*name).to_owned()).collect();
            // Built-in files come after their dependencies, so a file that
            // depends on a refused one is refused in turn.
            for (file, names) in self.pool.files().zip(&self.defined) {
                if chosen.contains(file.name()) {
                    continue;
                }
                let depends_on_refused = file
                    .dependencies()
                    .any(|dependency| refused.contains(dependency.name()));
                if depends_on_refused || names.clashes_with(&defined) {
                    refused.insert(file.name().to_owned());
                } else {
                    chosen.insert(file.name().to_owned());
                    closure.push(file);
                }
            }
        }
        let chosen: HashSet<&str> = closure.iter().map(FileDescriptor::name).collect();
        let mut pool = DescriptorPool::new();
        let added = pool.add_file_descriptor_protos(
            // prost-reflect wants a file's dependencies before it.
            self.pool
                .files()
                .filter(|file| chosen.contains(file.name()))
                .map(|file| file.file_descriptor_proto().clone()),
        );
        match added {
            Ok(()) => pool,
            // The built-in files compile together, so any subset closed
            // under imports does too; should it not, adding `files` to an
            // empty pool says which import is missing.
            Err(_) => DescriptorPool::new(),
        }
    }

    /// `files` and the built-in files they import, transitively.
    fn closure(&self, files: impl IntoIterator<Item = FileDescriptor>) -> Vec<FileDescriptor> {
        let mut pending: Vec<FileDescriptor> = files.into_iter().collect();
        let mut seen: HashSet<String> = HashSet::new();
        let mut closure: Vec<FileDescriptor> = Vec::new();
        while let Some(file) = pending.pop() {
            if seen.insert(file.name().to_owned()) {
                pending.extend(file.dependencies());
                closure.push(file);
            }
        }
        closure
    }
}

const ANY: &str = "google/protobuf/any.proto";

struct DeclaredResolver;

impl FileResolver for DeclaredResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match DECLARED.iter().find(|(file, _)| *file == name) {
            Some((_, source)) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

pub fn builtins() -> &'static Builtins {
    static BUILTINS: OnceLock<Builtins> = OnceLock::new();
    BUILTINS.get_or_init(|| {
        let mut resolver = ChainFileResolver::new();
        resolver.add(DeclaredResolver);
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        let names: Vec<&'static str> = WELL_KNOWN
            .iter()
            .copied()
            .chain(DECLARED.iter().map(|(name, _)| *name))
            .collect();
        compiler
            .open_files(&names)
            .expect("the built-in Protobuf files compile");
        // Without source info (positions and comments of the declared
        // files), which nothing reads and each schema's pool would copy.
        let pool = DescriptorPool::from_file_descriptor_set(compiler.file_descriptor_set())
            .expect("the built-in Protobuf files compile");
        let files: Vec<(&'static str, ProtoFile)> = names
            .iter()
            .map(|name| {
                let file = pool
                    .get_file_by_name(name)
                    .expect("a built-in file is in its pool");
                (*name, to_proto_file(file.file_descriptor_proto()))
            })
            .collect();
        let mut table = TypeTable::default();
        for (name, file) in &files {
            table.add_file(name, file);
        }
        let defined = pool
            .files()
            .map(|file| Defined::of(std::slice::from_ref(file.file_descriptor_proto())))
            .collect();
        Builtins {
            pool,
            table,
            names: files.iter().map(|(name, _)| *name).collect(),
            files,
            defined,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_file_compiles() {
        let builtins = builtins();
        assert_eq!(builtins.files.len(), WELL_KNOWN.len() + DECLARED.len());
        assert!(builtins
            .pool
            .get_message_by_name("google.type.Money")
            .is_some());
        assert!(builtins
            .pool
            .get_extension_by_name("confluent.field_meta")
            .is_some());
    }
}
