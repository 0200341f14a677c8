//! Subject names, qualified by context (`:.ctx:name`), and version ids.

use super::RegistryError;
use crate::domain::Version;

/// The default context's name.
pub const DEFAULT_CONTEXT: &str = ".";

/// A subject within a context.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Subject {
    /// `.` for the default context, `.name` otherwise.
    pub context: String,
    pub name: String,
}

impl Subject {
    /// Parses a subject as it appears in a URL (already percent-decoded).
    /// `:.ctx:name` selects a context (`:.ctx` alone names the context's
    /// empty subject); `:.:name` is the default context; anything else is a
    /// name in the default context. Reads accept any name: a name that could
    /// never be registered is simply not found.
    pub fn parse(raw: &str) -> Subject {
        match split_context(raw) {
            Some((context, name)) if context != DEFAULT_CONTEXT => Subject {
                context: context.to_owned(),
                name: name.to_owned(),
            },
            Some((_, name)) => Subject {
                context: DEFAULT_CONTEXT.to_owned(),
                name: name.to_owned(),
            },
            None => Subject {
                context: DEFAULT_CONTEXT.to_owned(),
                name: raw.to_owned(),
            },
        }
    }

    /// Parses a subject that is about to be written to: control characters,
    /// the reserved names `__GLOBAL` and `__EMPTY` and the global context
    /// are refused (42208).
    pub fn parse_for_write(raw: &str) -> Result<Subject, RegistryError> {
        let subject = Subject::parse(raw);
        let reserved = subject.name == "__GLOBAL"
            || subject.name == "__EMPTY"
            || subject.context == ".__GLOBAL";
        if reserved || raw.chars().any(char::is_control) {
            return Err(RegistryError::InvalidSubject(raw.to_owned()));
        }
        Ok(subject)
    }

    /// The subject in the same context as `self` named by `raw` (a reference's
    /// subject): qualified names keep their own context.
    pub fn relative(&self, raw: &str) -> Subject {
        if split_context(raw).is_some() {
            Subject::parse(raw)
        } else {
            Subject {
                context: self.context.clone(),
                name: raw.to_owned(),
            }
        }
    }

    pub fn in_default_context(&self) -> bool {
        self.context == DEFAULT_CONTEXT
    }

    /// The name as the API shows it: plain in the default context,
    /// `:.ctx:name` elsewhere.
    pub fn qualified(&self) -> String {
        qualify(&self.context, &self.name)
    }

    /// The config/mode scope of the subject's context.
    pub fn context_scope(&self) -> String {
        context_scope(&self.context)
    }
}

pub fn qualify(context: &str, name: &str) -> String {
    if context == DEFAULT_CONTEXT {
        name.to_owned()
    } else {
        format!(":{context}:{name}")
    }
}

/// The config/mode scope key of a context, `:.ctx:`; the default context's
/// (`:.:`) is the top level.
pub fn context_scope(context: &str) -> String {
    format!(":{context}:")
}

/// The context a `/contexts/{context}…` path names, read as Confluent reads
/// it: with or without its leading dot, and optionally between colons
/// (`staging`, `.staging` and `:.staging:` are all `.staging`). `None` when
/// a colon is left inside the name, which Confluent refuses with 400
/// "Context name cannot contain a colon".
pub fn context_in_path(raw: &str) -> Option<String> {
    let name = raw.strip_prefix(':').unwrap_or(raw);
    let name = name.strip_suffix(':').unwrap_or(name);
    if name.contains(':') {
        None
    } else if name.starts_with('.') {
        Some(name.to_owned())
    } else {
        Some(format!(".{name}"))
    }
}

/// Splits `:.ctx:name` into (`.ctx`, `name`) and `:.ctx` into (`.ctx`, ``);
/// `:.:name` gives the default context `.`.
pub fn split_context(raw: &str) -> Option<(&str, &str)> {
    let rest = raw.strip_prefix(':')?;
    if !rest.starts_with('.') {
        return None;
    }
    Some(match rest.find(':') {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (rest, ""),
    })
}

/// A version as given in a path: a number, or the latest live version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionSpec {
    Latest,
    Number(Version),
}

/// As Confluent reports a version it could not find: `latest` is `-1`.
impl std::fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionSpec::Latest => f.write_str("-1"),
            VersionSpec::Number(version) => version.fmt(f),
        }
    }
}

impl VersionSpec {
    /// `latest` (any case, trimmed), `-1`, or an integer in [1, 2^31-1].
    pub fn parse(raw: &str) -> Result<VersionSpec, RegistryError> {
        let trimmed = raw.trim();
        if trimmed.eq_ignore_ascii_case("latest") {
            return Ok(VersionSpec::Latest);
        }
        match trimmed.parse::<i32>().map(i64::from) {
            Ok(-1) => Ok(VersionSpec::Latest),
            Ok(number) => Version::new(number)
                .map(VersionSpec::Number)
                .ok_or_else(|| RegistryError::InvalidVersion(raw.to_owned())),
            Err(_) => Err(RegistryError::InvalidVersion(raw.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualified_subjects() {
        let plain = Subject::parse("orders-value");
        assert_eq!(plain.context, ".");
        assert_eq!(plain.qualified(), "orders-value");
        let qualified = Subject::parse(":.staging:orders-value");
        assert_eq!(qualified.context, ".staging");
        assert_eq!(qualified.name, "orders-value");
        assert_eq!(qualified.qualified(), ":.staging:orders-value");
        let default = Subject::parse(":.:orders");
        assert_eq!(default.context, ".");
        assert_eq!(default.qualified(), "orders");
        let bare_context = Subject::parse(":.staging");
        assert_eq!(
            (bare_context.context.as_str(), bare_context.name.as_str()),
            (".staging", "")
        );
        assert_eq!(Subject::parse(":abc:x").name, ":abc:x");
        assert!(Subject::parse_for_write("a\u{1}b").is_err());
        assert!(Subject::parse_for_write("__GLOBAL").is_err());
        assert!(Subject::parse_for_write(":.__GLOBAL:x").is_err());
        assert!(Subject::parse_for_write("tab\there").is_err());
    }

    #[test]
    fn reads_context_path_segments_like_confluent() {
        for (raw, context) in [
            ("staging", ".staging"),
            (".staging", ".staging"),
            (":.staging:", ".staging"),
            (":staging", ".staging"),
            (".", "."),
            (":.:", "."),
            (":", "."),
        ] {
            assert_eq!(context_in_path(raw).as_deref(), Some(context), "{raw}");
        }
        for raw in ["a:b", ":.a:b:", "::a", "a::"] {
            assert_eq!(context_in_path(raw), None, "{raw}");
        }
    }

    #[test]
    fn parses_versions_like_confluent() {
        assert_eq!(VersionSpec::parse("latest").unwrap(), VersionSpec::Latest);
        assert_eq!(VersionSpec::parse("LATEST").unwrap(), VersionSpec::Latest);
        assert_eq!(VersionSpec::parse("-1").unwrap(), VersionSpec::Latest);
        assert_eq!(
            VersionSpec::parse("01").unwrap(),
            VersionSpec::Number(Version::new(1).unwrap())
        );
        assert_eq!(
            VersionSpec::parse("+1").unwrap(),
            VersionSpec::Number(Version::new(1).unwrap())
        );
        assert_eq!(
            VersionSpec::parse("1 ").unwrap(),
            VersionSpec::Number(Version::new(1).unwrap())
        );
        for bad in ["0", "-2", "abc", "1.0", " ", "2147483648"] {
            assert!(VersionSpec::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            VersionSpec::parse("2147483647").unwrap(),
            VersionSpec::Number(Version::new(2147483647).unwrap())
        );
    }
}
