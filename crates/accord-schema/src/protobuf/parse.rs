//! A `.proto` parser that accepts and rejects what Square Wire's `ProtoParser`
//! (used by Confluent Schema Registry) does, with the same error messages:
//! `Syntax error in :line:column: message`. Like Wire it checks syntax only;
//! names are resolved later.

use std::collections::HashMap;

use super::ast::*;

/// Wire's largest field number, written `max` in ranges.
pub const MAX_TAG_VALUE: i32 = 536_870_911;

/// How deeply messages and option values may nest; deeper input is refused
/// instead of exhausting the stack.
const MAX_DEPTH: usize = 100;

/// Parses `text`. The error is the message Confluent shows after
/// `Could not parse Protobuf - `.
pub fn parse(text: &str) -> Result<ProtoFile, String> {
    let mut parser = Parser {
        reader: Reader {
            data: text.chars().collect(),
            pos: 0,
            line: 0,
            line_start: 0,
        },
        file: ProtoFile::default(),
        declaration_count: 0,
        depth: 0,
        defined: HashMap::new(),
        services: HashMap::new(),
    };
    parser.read_file()?;
    Ok(parser.file)
}

type Result<T, E = String> = std::result::Result<T, E>;

struct Reader {
    data: Vec<char>,
    pos: usize,
    line: usize,
    line_start: usize,
}

impl Reader {
    fn location(&self) -> Location {
        Location {
            line: self.line + 1,
            column: self.pos - self.line_start + 1,
        }
    }

    fn error_at(&self, message: impl std::fmt::Display, location: Location) -> String {
        format!("Syntax error in {location}: {message}")
    }

    fn error(&self, message: impl std::fmt::Display) -> String {
        self.error_at(message, self.location())
    }

    fn expect(&self, condition: bool, message: impl FnOnce() -> String) -> Result<()> {
        if condition {
            Ok(())
        } else {
            Err(self.error(message()))
        }
    }

    fn expect_at(
        &self,
        condition: bool,
        location: Location,
        message: impl FnOnce() -> String,
    ) -> Result<()> {
        if condition {
            Ok(())
        } else {
            Err(self.error_at(message(), location))
        }
    }

    fn exhausted(&self) -> bool {
        self.pos == self.data.len()
    }

    fn read_char(&mut self) -> Result<char> {
        let c = self.peek_char()?;
        self.pos += 1;
        Ok(c)
    }

    fn require(&mut self, expected: char) -> Result<()> {
        let c = self.read_char()?;
        self.expect(c == expected, || {
            format!("expected '{expected}' but was '{c}'")
        })
    }

    fn peek_char(&mut self) -> Result<char> {
        self.skip_whitespace(true)?;
        self.expect(self.pos < self.data.len(), || {
            "unexpected end of file".to_owned()
        })?;
        Ok(self.data[self.pos])
    }

    /// Consumes `expected` if it is the next non-blank character.
    fn peek_char_is(&mut self, expected: char) -> Result<bool> {
        if self.peek_char()? == expected {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn push_back(&mut self, c: char) {
        debug_assert_eq!(self.data[self.pos - 1], c);
        self.pos -= 1;
    }

    fn read_string(&mut self) -> Result<String> {
        match self.peek_char()? {
            '"' | '\'' => self.read_quoted_string(),
            _ => self.read_word(true),
        }
    }

    fn read_quoted_string(&mut self) -> Result<String> {
        let mut start_quote = self.read_char()?;
        if start_quote != '"' && start_quote != '\'' {
            // Kotlin's `check()` failing, as Wire lets it through.
            return Err("Check failed.".to_owned());
        }
        let mut result = String::new();
        while self.pos < self.data.len() {
            let mut c = self.data[self.pos];
            self.pos += 1;
            if c == start_quote {
                // Adjacent strings are concatenated.
                let next = self.peek_char()?;
                if next == '"' || next == '\'' {
                    start_quote = self.read_char()?;
                    continue;
                }
                return Ok(result);
            }
            if c == '\\' {
                self.expect(self.pos < self.data.len(), || {
                    "unexpected end of file".to_owned()
                })?;
                c = self.data[self.pos];
                self.pos += 1;
                c = match c {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    'x' | 'X' => self.read_numeric_escape(16, 2)?,
                    '0'..='7' => {
                        self.pos -= 1;
                        self.read_numeric_escape(8, 3)?
                    }
                    other => other,
                };
            }
            result.push(c);
            if c == '\n' {
                self.newline();
            }
        }
        Err(self.error("unterminated string"))
    }

    fn read_numeric_escape(&mut self, radix: u32, len: usize) -> Result<char> {
        let mut value: Option<u32> = None;
        let end = (self.pos + len).min(self.data.len());
        while self.pos < end {
            let Some(digit) = self.data[self.pos].to_digit(16).filter(|d| *d < radix) else {
                break;
            };
            value = Some(value.map_or(digit, |v| v * radix + digit));
            self.pos += 1;
        }
        let value = value.ok_or_else(|| self.error("expected a digit after \\x or \\X"))?;
        Ok(char::from_u32(value).unwrap_or('\u{fffd}'))
    }

    /// A (parenthesized), [bracketed] or bare name.
    fn read_name(&mut self, allow_leading_digit: bool) -> Result<String> {
        match self.peek_char()? {
            '(' => {
                self.pos += 1;
                let word = self.read_word(allow_leading_digit)?;
                let c = self.read_char()?;
                self.expect(c == ')', || "expected ')'".to_owned())?;
                Ok(word)
            }
            '[' => {
                self.pos += 1;
                let word = self.read_word(allow_leading_digit)?;
                let c = self.read_char()?;
                self.expect(c == ']', || "expected ']'".to_owned())?;
                Ok(word)
            }
            _ => self.read_word(allow_leading_digit),
        }
    }

    fn read_data_type(&mut self) -> Result<String> {
        let name = self.read_word(true)?;
        self.read_data_type_from(name)
    }

    fn read_data_type_from(&mut self, name: String) -> Result<String> {
        if name != "map" {
            return Ok(name);
        }
        let c = self.read_char()?;
        self.expect(c == '<', || "expected '<'".to_owned())?;
        let key = self.read_data_type()?;
        let c = self.read_char()?;
        self.expect(c == ',', || "expected ','".to_owned())?;
        let value = self.read_data_type()?;
        let c = self.read_char()?;
        self.expect(c == '>', || "expected '>'".to_owned())?;
        Ok(format!("map<{key}, {value}>"))
    }

    fn read_word(&mut self, allow_leading_digit: bool) -> Result<String> {
        self.skip_whitespace(true)?;
        let start = self.pos;
        while self.pos < self.data.len()
            && matches!(self.data[self.pos], 'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' | '.')
        {
            self.pos += 1;
        }
        self.expect(start < self.pos, || "expected a word".to_owned())?;
        if !allow_leading_digit && self.data[start].is_ascii_digit() {
            // Wire reports this one with a 0-based column.
            let location = Location {
                line: self.line + 1,
                column: start - self.line_start,
            };
            return Err(self.error_at(
                "field and constant names cannot start with a digit",
                location,
            ));
        }
        Ok(self.data[start..self.pos].iter().collect())
    }

    fn read_int(&mut self) -> Result<i32> {
        let word = self.read_word(true)?;
        parse_int(&word).ok_or_else(|| self.error(format!("expected an integer but was {word}")))
    }

    /// Skips blanks and comments before a declaration (Wire keeps them as
    /// documentation; we drop them).
    fn read_documentation(&mut self) -> Result<()> {
        loop {
            self.skip_whitespace(false)?;
            if self.pos == self.data.len() || self.data[self.pos] != '/' {
                return Ok(());
            }
            self.read_comment()?;
        }
    }

    fn read_comment(&mut self) -> Result<()> {
        self.pos += 1;
        let kind = self.data.get(self.pos).copied();
        if kind.is_some() {
            self.pos += 1;
        }
        match kind {
            Some('*') => {
                while self.pos + 1 < self.data.len() {
                    let c = self.data[self.pos];
                    if c == '*' && self.data[self.pos + 1] == '/' {
                        self.pos += 2;
                        return Ok(());
                    }
                    self.pos += 1;
                    if c == '\n' {
                        self.newline();
                    }
                }
                Err(self.error("unterminated comment"))
            }
            Some('/') => {
                while self.pos < self.data.len() {
                    let c = self.data[self.pos];
                    self.pos += 1;
                    if c == '\n' {
                        self.newline();
                        break;
                    }
                }
                Ok(())
            }
            _ => Err(self.error("unexpected '/'")),
        }
    }

    /// A comment on the rest of the line after a field, constant or reserved
    /// statement; Wire refuses some shapes of it.
    fn skip_trailing_comment(&mut self) -> Result<()> {
        loop {
            match self.data.get(self.pos) {
                Some(' ' | '\t') => self.pos += 1,
                Some('/') => {
                    self.pos += 1;
                    break;
                }
                _ => return Ok(()),
            }
        }
        if !matches!(self.data.get(self.pos), Some('/' | '*')) {
            self.pos -= 1;
            return Err(self.error("expected '//' or '/*'"));
        }
        let is_star = self.data[self.pos] == '*';
        self.pos += 1;
        if is_star {
            loop {
                self.expect(self.pos < self.data.len(), || {
                    "trailing comment must be closed".to_owned()
                })?;
                if self.data[self.pos] == '*' && self.data.get(self.pos + 1) == Some(&'/') {
                    self.pos += 2;
                    break;
                }
                self.pos += 1;
            }
            while self.pos < self.data.len() {
                let c = self.data[self.pos];
                self.pos += 1;
                if c == '\n' {
                    self.newline();
                    break;
                }
                self.expect(c == ' ' || c == '\t', || {
                    "no syntax may follow trailing comment".to_owned()
                })?;
            }
        } else {
            while self.pos < self.data.len() {
                let c = self.data[self.pos];
                self.pos += 1;
                if c == '\n' {
                    self.newline();
                    break;
                }
            }
        }
        Ok(())
    }

    fn skip_whitespace(&mut self, skip_comments: bool) -> Result<()> {
        while self.pos < self.data.len() {
            match self.data[self.pos] {
                ' ' | '\t' | '\r' => self.pos += 1,
                '\n' => {
                    self.pos += 1;
                    self.newline();
                }
                '/' if skip_comments => self.read_comment()?,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }
}

/// Kotlin's `toInt()`, with Wire's `0x` prefix for hexadecimal.
fn parse_int(word: &str) -> Option<i32> {
    let (digits, radix) = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (word, 10),
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) && digits.len() == 1 {
        return None;
    }
    i32::from_str_radix(digits, radix).ok()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    File,
    Message,
    Enum,
    Rpc,
    Extend,
    Service,
}

enum Declaration {
    Message(Message),
    Enum(Enum),
    Service(Service),
    Extend(Extend),
    Option(OptionElement),
    Reserved(Reserved),
    Extensions(Extensions),
    Field(Field),
    Group(Group),
    OneOf(OneOf),
    Rpc(Rpc),
    Constant(EnumConstant),
}

struct Parser {
    reader: Reader,
    file: ProtoFile,
    declaration_count: usize,
    depth: usize,
    /// Where each top-level type and service was declared.
    defined: HashMap<String, Location>,
    services: HashMap<String, Location>,
}

impl Parser {
    fn read_file(&mut self) -> Result<()> {
        loop {
            self.reader.read_documentation()?;
            if self.reader.exhausted() {
                return Ok(());
            }
            match self.read_declaration(Context::File)? {
                Some(Declaration::Message(message)) => {
                    self.add_type(TypeElement::Message(message))?;
                }
                Some(Declaration::Enum(enumeration)) => {
                    self.add_type(TypeElement::Enum(enumeration))?;
                }
                Some(Declaration::Service(service)) => {
                    if let Some(duplicate) = self.services.get(&service.name) {
                        return Err(format!(
                            "{} ({}) is already defined at {duplicate}",
                            service.name, service.location
                        ));
                    }
                    self.services.insert(service.name.clone(), service.location);
                    self.file.services.push(service);
                }
                Some(Declaration::Option(option)) => self.file.options.push(option),
                Some(Declaration::Extend(extend)) => self.file.extends.push(extend),
                _ => {}
            }
        }
    }

    fn add_type(&mut self, element: TypeElement) -> Result<()> {
        if let Some(duplicate) = self.defined.get(element.name()) {
            return Err(format!(
                "{} ({}) is already defined at {duplicate}",
                element.name(),
                element.location(),
            ));
        }
        self.defined
            .insert(element.name().to_owned(), element.location());
        self.file.types.push(element);
        Ok(())
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self
                .reader
                .error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn read_declaration(&mut self, context: Context) -> Result<Option<Declaration>> {
        let index = self.declaration_count;
        self.declaration_count += 1;

        // Stray semicolons, e.g. after a nested message, are skipped.
        if self.reader.peek_char_is(';')? {
            return Ok(None);
        }

        let location = self.reader.location();
        let label = self.reader.read_word(context != Context::Enum)?;
        let reader = &mut self.reader;
        Ok(match label.as_str() {
            "package" if context == Context::File => {
                let package = reader.read_name(true)?;
                // protoc's rule: identifiers joined by dots. A leading dot
                // would make names no descriptor pool can look up.
                if package.split('.').any(str::is_empty) {
                    return Err(reader.error_at(
                        format!("package name '{package}' must be identifiers joined by dots"),
                        location,
                    ));
                }
                self.file.package = Some(package);
                reader.require(';')?;
                None
            }
            "import" if context == Context::File => {
                let peeked = reader.peek_char()?;
                let list = if peeked == '"' || peeked == '\'' {
                    &mut self.file.imports
                } else {
                    match reader.read_string()?.as_str() {
                        "weak" => &mut self.file.weak_imports,
                        "public" => &mut self.file.public_imports,
                        _ => return Err(reader.error_at("expected quoted string", location)),
                    }
                };
                let path = normalize_import_path(&reader.read_quoted_string()?);
                list.push(Import { path, location });
                reader.require(';')?;
                None
            }
            "syntax" if context == Context::File => {
                reader.expect_at(self.file.syntax.is_none(), location, || {
                    "too many syntax definitions".to_owned()
                })?;
                reader.require('=')?;
                reader.expect_at(index == 0, location, || {
                    "'syntax' element must be the first declaration in a file".to_owned()
                })?;
                let syntax = reader.read_quoted_string()?;
                self.file.syntax = Some(match syntax.as_str() {
                    "proto2" => Syntax::Proto2,
                    "proto3" => Syntax::Proto3,
                    _ => {
                        return Err(
                            reader.error_at(format!("unexpected syntax: {syntax}"), location)
                        )
                    }
                });
                reader.require(';')?;
                None
            }
            "option" => {
                let option = self.read_option('=')?;
                self.reader.require(';')?;
                Some(Declaration::Option(option))
            }
            "reserved" => Some(Declaration::Reserved(self.read_reserved(location)?)),
            "message" if matches!(context, Context::File | Context::Message) => {
                Some(Declaration::Message(self.read_message(location)?))
            }
            "enum" if matches!(context, Context::File | Context::Message) => {
                Some(Declaration::Enum(self.read_enum(location)?))
            }
            "service" if context == Context::File => {
                Some(Declaration::Service(self.read_service(location)?))
            }
            "extend" if matches!(context, Context::File | Context::Message) => {
                Some(Declaration::Extend(self.read_extend(location)?))
            }
            "rpc" if context == Context::Service => {
                Some(Declaration::Rpc(self.read_rpc(location)?))
            }
            "oneof" if context == Context::Message => {
                Some(Declaration::OneOf(self.read_oneof(location)?))
            }
            "extensions" if context == Context::Message => {
                Some(Declaration::Extensions(self.read_extensions(location)?))
            }
            _ if matches!(context, Context::Message | Context::Extend) => {
                Some(self.read_labeled_field(location, &label)?)
            }
            _ if context == Context::Enum => Some(Declaration::Constant(
                self.read_enum_constant(location, label)?,
            )),
            "edition" if context == Context::File => {
                return Err(reader.error("edition is not currently supported"));
            }
            _ => return Err(reader.error_at(format!("unexpected label: {label}"), location)),
        })
    }

    /// The declarations of a `{ … }` block once its opening brace is read:
    /// the documentation before each, then `item`, up to the closing brace.
    fn read_block_items(&mut self, mut item: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        loop {
            self.reader.read_documentation()?;
            if self.reader.peek_char_is('}')? {
                return Ok(());
            }
            item(self)?;
        }
    }

    fn read_message(&mut self, location: Location) -> Result<Message> {
        self.enter()?;
        let name = self.reader.read_name(true)?;
        let mut message = Message {
            location,
            name,
            ..Message::default()
        };
        self.reader.require('{')?;
        self.read_block_items(|parser| {
            match parser.read_declaration(Context::Message)? {
                Some(Declaration::Field(field)) => message.fields.push(field),
                Some(Declaration::OneOf(oneof)) => message.oneofs.push(oneof),
                Some(Declaration::Group(group)) => message.groups.push(group),
                Some(Declaration::Message(nested)) => {
                    message.nested_types.push(TypeElement::Message(nested));
                }
                Some(Declaration::Enum(nested)) => {
                    message.nested_types.push(TypeElement::Enum(nested));
                }
                Some(Declaration::Extensions(extensions)) => message.extensions.push(extensions),
                Some(Declaration::Option(option)) => message.options.push(option),
                Some(Declaration::Extend(extend)) => message.extends.push(extend),
                Some(Declaration::Reserved(reserved)) => message.reserveds.push(reserved),
                _ => {}
            }
            Ok(())
        })?;
        self.leave();
        Ok(message)
    }

    fn read_extend(&mut self, location: Location) -> Result<Extend> {
        let name = self.reader.read_name(true)?;
        let mut fields = Vec::new();
        self.reader.require('{')?;
        self.read_block_items(|parser| {
            if let Some(Declaration::Field(field)) = parser.read_declaration(Context::Extend)? {
                fields.push(field);
            }
            Ok(())
        })?;
        Ok(Extend {
            location,
            name,
            fields,
        })
    }

    fn read_service(&mut self, location: Location) -> Result<Service> {
        let name = self.reader.read_name(true)?;
        let mut rpcs = Vec::new();
        let mut options = Vec::new();
        self.reader.require('{')?;
        self.read_block_items(|parser| {
            match parser.read_declaration(Context::Service)? {
                Some(Declaration::Rpc(rpc)) => rpcs.push(rpc),
                Some(Declaration::Option(option)) => options.push(option),
                _ => {}
            }
            Ok(())
        })?;
        Ok(Service {
            location,
            name,
            rpcs,
            options,
        })
    }

    fn read_enum(&mut self, location: Location) -> Result<Enum> {
        let name = self.reader.read_name(true)?;
        let mut enumeration = Enum {
            location,
            name,
            ..Enum::default()
        };
        self.reader.require('{')?;
        self.read_block_items(|parser| {
            match parser.read_declaration(Context::Enum)? {
                Some(Declaration::Constant(constant)) => enumeration.constants.push(constant),
                Some(Declaration::Option(option)) => enumeration.options.push(option),
                Some(Declaration::Reserved(reserved)) => enumeration.reserveds.push(reserved),
                _ => {}
            }
            Ok(())
        })?;
        Ok(enumeration)
    }

    /// A field declaration starting with `word`: a label, a type or `map`.
    fn read_labeled_field(&mut self, location: Location, word: &str) -> Result<Declaration> {
        let reader = &mut self.reader;
        let (label, type_name) = match word {
            "required" => {
                reader.expect_at(self.file.syntax != Some(Syntax::Proto3), location, || {
                    "'required' label forbidden in proto3 field declarations".to_owned()
                })?;
                (Some(Label::Required), reader.read_data_type()?)
            }
            "optional" => (Some(Label::Optional), reader.read_data_type()?),
            "repeated" => (Some(Label::Repeated), reader.read_data_type()?),
            _ => {
                let permitted = self.file.syntax == Some(Syntax::Proto3)
                    || (word == "map" && reader.peek_char()? == '<');
                reader.expect_at(permitted, location, || format!("unexpected label: {word}"))?;
                (None, reader.read_data_type_from(word.to_owned())?)
            }
        };
        reader.expect_at(
            !type_name.starts_with("map<") || label.is_none(),
            location,
            || "'map' type cannot have label".to_owned(),
        )?;
        if type_name == "group" {
            Ok(Declaration::Group(self.read_group(location, label)?))
        } else {
            Ok(Declaration::Field(
                self.read_field(location, label, type_name)?,
            ))
        }
    }

    fn read_field(
        &mut self,
        location: Location,
        label: Option<Label>,
        type_name: String,
    ) -> Result<Field> {
        let name = self.reader.read_name(false)?;
        self.reader.require('=')?;
        let tag = self.reader.read_int()?;
        let mut options = self.read_options()?;
        let default_value = strip_option(&mut options, "default");
        let json_name = strip_option(&mut options, "json_name");
        self.reader.require(';')?;
        self.reader.skip_trailing_comment()?;
        Ok(Field {
            location,
            label,
            type_name,
            name,
            default_value,
            json_name,
            tag,
            options,
        })
    }

    fn read_oneof(&mut self, location: Location) -> Result<OneOf> {
        let name = self.reader.read_name(true)?;
        let mut oneof = OneOf {
            location,
            name,
            ..OneOf::default()
        };
        self.reader.require('{')?;
        self.read_block_items(|parser| {
            let location = parser.reader.location();
            let type_name = parser.reader.read_data_type()?;
            match type_name.as_str() {
                "group" => oneof.groups.push(parser.read_group(location, None)?),
                "option" => {
                    oneof.options.push(parser.read_option('=')?);
                    parser.reader.require(';')?;
                }
                _ => oneof
                    .fields
                    .push(parser.read_field(location, None, type_name)?),
            }
            Ok(())
        })?;
        Ok(oneof)
    }

    fn read_group(&mut self, location: Location, label: Option<Label>) -> Result<Group> {
        self.enter()?;
        let name = self.reader.read_word(true)?;
        self.reader.require('=')?;
        let tag = self.reader.read_int()?;
        let mut fields = Vec::new();
        self.reader.require('{')?;
        self.read_block_items(|parser| {
            let field_location = parser.reader.location();
            let field_label = parser.reader.read_word(true)?;
            match parser.read_labeled_field(field_location, &field_label)? {
                Declaration::Field(field) => fields.push(field),
                _ => {
                    return Err(parser
                        .reader
                        .error("expected field declaration, was a group"));
                }
            }
            Ok(())
        })?;
        self.leave();
        Ok(Group {
            location,
            label,
            name,
            tag,
            fields,
        })
    }

    /// `reserved 10, 12 to 14, "foo";`
    fn read_reserved(&mut self, location: Location) -> Result<Reserved> {
        let reader = &mut self.reader;
        let mut values = Vec::new();
        loop {
            match reader.peek_char()? {
                '"' | '\'' => values.push(RangeValue::Name(reader.read_quoted_string()?)),
                _ => {
                    let start = reader.read_int()?;
                    match reader.peek_char()? {
                        ',' | ';' => values.push(RangeValue::Tag(start)),
                        _ => {
                            let to = reader.read_word(true)?;
                            reader.expect_at(to == "to", location, || {
                                "expected ',', ';', or 'to'".to_owned()
                            })?;
                            let end = read_range_end(reader)?;
                            values.push(RangeValue::Range(start, end));
                        }
                    }
                }
            }
            match reader.read_char()? {
                ';' => break,
                ',' => continue,
                _ => return Err(reader.error("expected ',' or ';'")),
            }
        }
        reader.expect_at(!values.is_empty(), location, || {
            "'reserved' must have at least one field name or tag".to_owned()
        })?;
        reader.skip_trailing_comment()?;
        Ok(Reserved { location, values })
    }

    /// `extensions 100 to 199;`, `extensions 1000 to max [declaration = …];`
    fn read_extensions(&mut self, location: Location) -> Result<Extensions> {
        let mut values = Vec::new();
        let mut options = Vec::new();
        loop {
            let reader = &mut self.reader;
            let start = reader.read_int()?;
            match reader.peek_char()? {
                ',' | ';' | '[' => values.push(RangeValue::Tag(start)),
                _ => {
                    let to = reader.read_word(true)?;
                    reader.expect_at(to == "to", location, || {
                        "expected ',', ';', '[' or 'to'".to_owned()
                    })?;
                    let end = read_range_end(reader)?;
                    values.push(RangeValue::Range(start, end));
                }
            }
            if self.reader.peek_char()? == '[' {
                options.extend(self.read_options()?);
                self.reader.require(';')?;
                break;
            }
            match self.reader.read_char()? {
                ';' => break,
                ',' => continue,
                _ => return Err(self.reader.error("expected ',' or ';'")),
            }
        }
        Ok(Extensions {
            location,
            values,
            options,
        })
    }

    fn read_enum_constant(&mut self, location: Location, name: String) -> Result<EnumConstant> {
        self.reader.require('=')?;
        let tag = self.reader.read_int()?;
        let options = self.read_options()?;
        self.reader.require(';')?;
        self.reader.skip_trailing_comment()?;
        Ok(EnumConstant {
            location,
            name,
            tag,
            options,
        })
    }

    fn read_rpc(&mut self, location: Location) -> Result<Rpc> {
        let reader = &mut self.reader;
        let name = reader.read_name(true)?;
        reader.require('(')?;
        let (request_type, request_streaming) = read_rpc_type(reader)?;
        reader.require(')')?;
        let returns = reader.read_word(true)?;
        reader.expect_at(returns == "returns", location, || {
            "expected 'returns'".to_owned()
        })?;
        reader.require('(')?;
        let (response_type, response_streaming) = read_rpc_type(reader)?;
        reader.require(')')?;
        let mut options = Vec::new();
        if self.reader.peek_char_is('{')? {
            self.read_block_items(|parser| {
                if let Some(Declaration::Option(option)) = parser.read_declaration(Context::Rpc)? {
                    options.push(option);
                }
                Ok(())
            })?;
        } else {
            self.reader.require(';')?;
        }
        Ok(Rpc {
            location,
            name,
            request_type,
            response_type,
            request_streaming,
            response_streaming,
            options,
        })
    }

    /// Options in `[…]` after a field or constant; none if there is no `[`.
    fn read_options(&mut self) -> Result<Vec<OptionElement>> {
        let mut options = Vec::new();
        if !self.reader.peek_char_is('[')? {
            return Ok(options);
        }
        loop {
            options.push(self.read_option('=')?);
            if self.reader.peek_char_is(']')? {
                break;
            }
            let comma = self.reader.peek_char_is(',')?;
            self.reader
                .expect(comma, || "Expected ',' or ']".to_owned())?;
        }
        Ok(options)
    }

    /// `name = value` (or `name: value` inside a text-format map).
    fn read_option(&mut self, separator: char) -> Result<OptionElement> {
        let peeked = self.reader.peek_char()?;
        let is_extension = peeked == '[';
        let parenthesized = peeked == '(';
        let mut name = self.reader.read_name(true)?;
        if is_extension {
            name = format!("[{name}]");
        }
        let mut sub_name = None;
        let mut c = self.reader.read_char()?;
        if c == '.' {
            sub_name = Some(self.reader.read_name(true)?);
            c = self.reader.read_char()?;
        }
        if separator == ':' && c == '{' {
            self.reader.push_back('{');
        } else {
            self.reader.expect(c == separator, || {
                format!("expected '{separator}' in option")
            })?;
        }
        let mut value = self.read_value()?;
        if let Some(sub_name) = sub_name {
            value = OptionValue::Option(Box::new(OptionElement {
                name: sub_name,
                value,
                parenthesized: false,
            }));
        }
        Ok(OptionElement {
            name,
            value,
            parenthesized,
        })
    }

    fn read_value(&mut self) -> Result<OptionValue> {
        let peeked = self.reader.peek_char()?;
        match peeked {
            '{' => self.read_map(),
            '[' => self.read_list(),
            '"' | '\'' => Ok(OptionValue::String(self.reader.read_string()?)),
            _ if peeked.is_ascii_digit() || peeked == '-' => {
                Ok(OptionValue::Number(self.reader.read_word(true)?))
            }
            _ => {
                let word = self.reader.read_word(true)?;
                Ok(match word.as_str() {
                    "true" | "false" => OptionValue::Bool(word),
                    _ => OptionValue::Enum(word),
                })
            }
        }
    }

    /// A text-format message `{ key: value, … }`; repeated keys collect into a
    /// list and `key.sub: value` fills a nested map, as Wire does.
    fn read_map(&mut self) -> Result<OptionValue> {
        self.enter()?;
        self.reader.require('{')?;
        let mut entries: Vec<(String, OptionValue)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        // Key positions inside the nested maps, built when first needed.
        let mut nested_index: HashMap<usize, HashMap<String, usize>> = HashMap::new();
        loop {
            if self.reader.peek_char_is('}')? {
                break;
            }
            let option = self.read_option(':')?;
            let position = match index.get(&option.name) {
                Some(position) => Some(*position),
                None => {
                    index.insert(option.name.clone(), entries.len());
                    None
                }
            };
            match (option.value, position) {
                (OptionValue::Option(inner), position) => {
                    let position = position.unwrap_or_else(|| {
                        entries.push((option.name, OptionValue::Map(Vec::new())));
                        entries.len() - 1
                    });
                    let slot = &mut entries[position].1;
                    if !matches!(slot, OptionValue::Map(_)) {
                        *slot = OptionValue::Map(Vec::new());
                        nested_index.remove(&position);
                    }
                    if let OptionValue::Map(nested) = slot {
                        let keys = nested_index.entry(position).or_insert_with(|| {
                            nested
                                .iter()
                                .enumerate()
                                .map(|(i, (key, _))| (key.clone(), i))
                                .collect()
                        });
                        match keys.get(&inner.name) {
                            Some(&i) => nested[i].1 = inner.value,
                            None => {
                                keys.insert(inner.name.clone(), nested.len());
                                nested.push((inner.name, inner.value));
                            }
                        }
                    }
                }
                (value, None) => entries.push((option.name, value)),
                (value, Some(position)) => {
                    nested_index.remove(&position);
                    let previous = &mut entries[position].1;
                    let mut list = match std::mem::replace(previous, OptionValue::List(Vec::new()))
                    {
                        OptionValue::List(list) => list,
                        other => vec![other],
                    };
                    match value {
                        OptionValue::List(more) => list.extend(more),
                        other => list.push(other),
                    }
                    *previous = OptionValue::List(list);
                }
            }
            self.reader.peek_char_is(',')?;
        }
        self.leave();
        Ok(OptionValue::Map(entries))
    }

    fn read_list(&mut self) -> Result<OptionValue> {
        self.enter()?;
        self.reader.require('[')?;
        let mut items = Vec::new();
        loop {
            if self.reader.peek_char_is(']')? {
                break;
            }
            items.push(self.read_value()?);
            if self.reader.peek_char_is(',')? {
                continue;
            }
            let closing = self.reader.peek_char()? == ']';
            self.reader
                .expect(closing, || "expected ',' or ']'".to_owned())?;
        }
        self.leave();
        Ok(OptionValue::List(items))
    }
}

fn read_range_end(reader: &mut Reader) -> Result<i32> {
    let word = reader.read_word(true)?;
    if word == "max" {
        return Ok(MAX_TAG_VALUE);
    }
    // Wire lets Kotlin's NumberFormatException through here.
    word.parse::<i32>()
        .map_err(|_| format!("For input string: \"{word}\""))
}

fn read_rpc_type(reader: &mut Reader) -> Result<(String, bool)> {
    let word = reader.read_word(true)?;
    if word == "stream" {
        Ok((reader.read_data_type()?, true))
    } else {
        Ok((reader.read_data_type_from(word)?, false))
    }
}

/// Takes every option named `name` out of `options`; the last value wins.
fn strip_option(options: &mut Vec<OptionElement>, name: &str) -> Option<String> {
    let mut result = None;
    options.retain(|option| {
        if option.name == name {
            result = Some(option.value.plain_text());
            false
        } else {
            true
        }
    });
    result
}

/// Import paths as okio's `Path` normalizes them: `\` becomes `/`, empty and
/// `.` segments go, `..` climbs where it can.
fn normalize_import_path(path: &str) -> String {
    let unix = path.replace('\\', "/");
    let absolute = unix.starts_with('/');
    let mut segments: Vec<&str> = Vec::new();
    for segment in unix.split('/') {
        match segment {
            "" | "." => {}
            ".." if segments.last().is_some_and(|last| *last != "..") => {
                segments.pop();
            }
            ".." if absolute => {}
            other => segments.push(other),
        }
    }
    let joined = segments.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(text).expect_err("should not parse")
    }

    #[test]
    fn syntax_errors_carry_wire_positions() {
        assert_eq!(error("message {"), "Syntax error in :1:9: expected a word");
        assert_eq!(
            error("syntax = \"proto4\";"),
            "Syntax error in :1:1: unexpected syntax: proto4"
        );
        assert_eq!(error("\"string\""), "Syntax error in :1:1: expected a word");
        assert_eq!(
            error("syntax = \"proto3\";\nmessage A { required string a = 1; }\n"),
            "Syntax error in :2:13: 'required' label forbidden in proto3 field declarations"
        );
        assert_eq!(
            error(
                "syntax = \"proto3\";\nmessage M { string a = 1; }\nmessage M { string b = 1; }\n"
            ),
            "M (:3:1) is already defined at :2:1"
        );
        assert_eq!(
            error("message M { string a = 1; }"),
            "Syntax error in :1:13: unexpected label: string"
        );
        assert_eq!(
            error("syntax = \"proto3\";\nmessage M {\n  string a = 1\n}"),
            "Syntax error in :4:2: expected ';' but was '}'"
        );
        assert_eq!(
            error("syntax = \"proto3\";\nmessage M {\n  string a = 1;"),
            "Syntax error in :3:16: unexpected end of file"
        );
        assert_eq!(
            error("package p;\nsyntax = \"proto3\";"),
            "Syntax error in :2:1: 'syntax' element must be the first declaration in a file"
        );
    }

    #[test]
    fn trailing_comments_follow_wire_rules() {
        assert!(parse("syntax = \"proto3\";\nmessage M { string a = 1; /* x */\n}").is_ok());
        assert_eq!(
            error("syntax = \"proto3\";\nmessage M { string a = 1; /* x */ string b = 2; }"),
            "Syntax error in :2:36: no syntax may follow trailing comment"
        );
    }

    #[test]
    fn option_values_keep_their_kinds() {
        let file = parse(
            "syntax = \"proto3\";\nmessage M { string a = 1 [(m) = { tags: \"a\" tags: \"b\" n: 3 sub { x: true } }, default = \"d\", json_name = 'j']; }",
        )
        .expect("parses");
        let TypeElement::Message(message) = &file.types[0] else {
            panic!("message expected")
        };
        let field = &message.fields[0];
        assert_eq!(field.default_value.as_deref(), Some("d"));
        assert_eq!(field.json_name.as_deref(), Some("j"));
        assert_eq!(
            field.options[0].value,
            OptionValue::Map(vec![
                (
                    "tags".into(),
                    OptionValue::List(vec![
                        OptionValue::String("a".into()),
                        OptionValue::String("b".into())
                    ])
                ),
                ("n".into(), OptionValue::Number("3".into())),
                (
                    "sub".into(),
                    OptionValue::Map(vec![("x".into(), OptionValue::Bool("true".into()))])
                ),
            ])
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!(
            "syntax = \"proto3\";\n{}{}",
            "message M { ".repeat(200),
            "}".repeat(200)
        );
        assert!(error(&text).contains("nesting deeper than"));
        let text = format!("option (x) = {}{};", "{ a ".repeat(500), "}".repeat(500));
        assert!(error(&text).contains("nesting deeper than"));
    }

    #[test]
    fn import_paths_are_normalized() {
        assert_eq!(normalize_import_path("./a//b/../c.proto"), "a/c.proto");
        assert_eq!(normalize_import_path("a\\b.proto"), "a/b.proto");
    }
}
