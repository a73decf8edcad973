//! Diagnostics: what is wrong with a rule, where, and what to do about it.
//!
//! The parser and the checker report spans inside the query string;
//! [`crate::source::RuleSource`] maps them to spans inside the rule file, and
//! [`Diagnostic::render`] prints `file:line:col`, the offending line and a caret.

use crate::ast::Span;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What kind of problem a diagnostic reports; the stable name appears in the rendered
/// text (`error[unknown-function]`) so rule authors and tests can match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Code {
    /// The rule file cannot be read or is not valid TOML.
    Io,
    Toml,
    /// A required key is missing or has the wrong type.
    RuleKey,
    /// The rule's language or type is not EQL.
    Language,
    /// The query does not parse.
    Syntax,
    /// A string escape is invalid.
    Escape,
    /// A number literal is out of range.
    Number,
    /// Valid Endgame/Python EQL that Elasticsearch does not support.
    Unsupported,
    UnknownFunction,
    Arity,
    /// Argument of the wrong kind (e.g. a non-literal where a literal is required).
    Argument,
    JoinKeys,
    ByAfterWith,
    MaxSpan,
    MissingMaxSpan,
    Runs,
    UntilMissing,
    Stages,
    Pipe,
    FieldComparison,
    /// Query too long or nested too deeply.
    Limit,
    DuplicateRuleId,
    /// A regular expression cannot be translated.
    Regex,
    /// Warning: a field the schema does not know.
    UnknownField,
    /// Warning: a literal whose type cannot match the field's type.
    TypeMismatch,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "io",
            Code::Toml => "toml",
            Code::RuleKey => "rule-key",
            Code::Language => "language",
            Code::Syntax => "syntax",
            Code::Escape => "escape",
            Code::Number => "number",
            Code::Unsupported => "unsupported",
            Code::UnknownFunction => "unknown-function",
            Code::Arity => "arity",
            Code::Argument => "argument",
            Code::JoinKeys => "join-keys",
            Code::ByAfterWith => "by-after-with",
            Code::MaxSpan => "maxspan",
            Code::MissingMaxSpan => "missing-maxspan",
            Code::Runs => "runs",
            Code::UntilMissing => "until-missing",
            Code::Stages => "stages",
            Code::Pipe => "pipe",
            Code::FieldComparison => "field-comparison",
            Code::Limit => "limit",
            Code::DuplicateRuleId => "duplicate-rule-id",
            Code::Regex => "regex",
            Code::UnknownField => "unknown-field",
            Code::TypeMismatch => "type-mismatch",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// What the author can do about it.
    pub help: Option<String>,
    /// Where: inside the query string as produced by the parser and checker, inside
    /// the rule file once [`crate::source::RuleSource`] has mapped it.
    pub span: Option<Span>,
}

impl Diagnostic {
    pub fn error(code: Code, span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
            span: span.into(),
        }
    }

    pub fn warning(code: Code, span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Render for a terminal or a `compile_error!`:
    ///
    /// ```text
    /// error[unknown-function]: unknown function `strlen`
    ///   --> rules/x.toml:12:7
    ///    |
    /// 12 |   strlen(process.name) > 3
    ///    |   ^^^^^^
    ///    = help: …
    /// ```
    ///
    /// `span` must be relative to `text`, the whole file.
    pub fn render(&self, file: &str, text: &str) -> String {
        let mut out = format!(
            "{}[{}]: {}\n",
            self.severity.as_str(),
            self.code.as_str(),
            self.message
        );
        match self.span {
            Some(span) => {
                let loc = Location::of(text, span.start);
                let _ = writeln!(out, "  --> {}:{}:{}", file, loc.line, loc.column);
                let line_text = line_at(text, span.start);
                let gutter = loc.line.to_string();
                let pad = " ".repeat(gutter.len());
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{gutter} | {}", line_text.text.trim_end());
                // Caret under the span (clipped to this line), columns in characters.
                let start_col = text[line_text.start..span.start.min(text.len())]
                    .chars()
                    .count();
                let line_end = line_text.start + line_text.text.len();
                let end = span.end.clamp(span.start, line_end.max(span.start));
                let width = text
                    .get(span.start.min(text.len())..end.min(text.len()))
                    .map(|s| s.chars().count())
                    .unwrap_or(0)
                    .max(1);
                let lead: String = line_text
                    .text
                    .chars()
                    .take(start_col)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(out, "{pad} | {lead}{}", "^".repeat(width));
                if let Some(help) = &self.help {
                    let _ = writeln!(out, "{pad} = help: {help}");
                }
            }
            None => {
                let _ = writeln!(out, "  --> {file}");
                if let Some(help) = &self.help {
                    let _ = writeln!(out, "   = help: {help}");
                }
            }
        }
        out
    }
}

/// A 1-based line and column (in characters) of a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    pub fn of(text: &str, offset: usize) -> Location {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = text[line_start..offset].chars().count() + 1;
        Location { line, column }
    }
}

struct LineText<'a> {
    start: usize,
    text: &'a str,
}

fn line_at(text: &str, offset: usize) -> LineText<'_> {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    LineText {
        start,
        text: &text[start..end],
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_and_caret() {
        let text = "a = 1\nquery = '''\nprocess where foo(x)\n'''\n";
        let start = text.find("foo").unwrap();
        let d = Diagnostic::error(
            Code::UnknownFunction,
            Span::new(start, start + 3),
            "unknown function `foo`",
        )
        .with_help("check the spelling");
        let r = d.render("r.toml", text);
        assert_eq!(
            r,
            "error[unknown-function]: unknown function `foo`\n  --> r.toml:3:15\n  |\n3 | process where foo(x)\n  |               ^^^\n  = help: check the spelling\n"
        );
    }

    #[test]
    fn location_counts_characters_not_bytes() {
        let text = "é\nÄÖ x";
        let off = text.find('x').unwrap();
        assert_eq!(Location::of(text, off), Location { line: 2, column: 4 });
    }
}
