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
                // Caret under the span (clipped to this line), columns in characters.
                let start = floor_char_boundary(text, span.start.min(text.len()));
                let start_col = text[line_text.start..start].chars().count();
                let line_end = line_text.start + line_text.text.len();
                let end = span.end.clamp(span.start, line_end.max(span.start));
                let width = text
                    .get(start..end.min(text.len()))
                    .map(|s| s.chars().count())
                    .unwrap_or(0)
                    .max(1);
                let snippet = Snippet::new(line_text.text.trim_end(), start_col, width);
                let _ = writeln!(out, "{gutter} | {}", snippet.line);
                let _ = writeln!(out, "{pad} | {}{}", snippet.lead, "^".repeat(snippet.width));
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

/// The widest snippet line shown, in characters. A longer line (a generated rule may put
/// 250 KB on one line) is shown as a window of this many characters around the caret,
/// with `…` where it is cut.
pub const SNIPPET_WIDTH: usize = 100;

/// How many characters before the caret a cut line keeps.
const SNIPPET_CONTEXT: usize = 30;

/// The most diagnostics rendered for one file; the rest are summed up in one line
/// (`… and 412 more …`).
pub const MAX_RENDERED_PER_FILE: usize = 20;

/// The line shown in a snippet, and the caret under it.
struct Snippet {
    line: String,
    /// What goes before the caret (spaces, and tabs where the line has them).
    lead: String,
    /// The caret's width in characters.
    width: usize,
}

impl Snippet {
    /// `line` (trimmed) with a caret from character `col`, `width` characters wide,
    /// windowed to [`SNIPPET_WIDTH`] characters.
    fn new(line: &str, col: usize, width: usize) -> Snippet {
        let n = line.chars().count();
        let (from, to) = if n <= SNIPPET_WIDTH {
            (0, n)
        } else {
            let from = col.saturating_sub(SNIPPET_CONTEXT).min(n - SNIPPET_WIDTH);
            (from, from + SNIPPET_WIDTH)
        };
        let byte = |c: usize| line.char_indices().nth(c).map_or(line.len(), |(i, _)| i);
        let (bfrom, bto) = (byte(from), byte(to));
        let mut shown = String::new();
        let mut lead = String::new();
        if from > 0 {
            shown.push('…');
            lead.push(' ');
        }
        shown.push_str(&line[bfrom..bto]);
        if to < n {
            shown.push('…');
        }
        lead.extend(
            line[bfrom..]
                .chars()
                .take(col.saturating_sub(from))
                .map(|c| if c == '\t' { '\t' } else { ' ' }),
        );
        // A caret past the end of the line (pointing at the end of the query) still
        // gets its column.
        let past_end = col.saturating_sub(n.max(from));
        lead.extend(std::iter::repeat_n(' ', past_end));
        let width = if to < n {
            width.min(to.saturating_sub(col)).max(1)
        } else {
            width
        };
        Snippet {
            line: shown,
            lead,
            width,
        }
    }
}

/// Render the diagnostics of one file ([`Diagnostic::render`] each), at most
/// [`MAX_RENDERED_PER_FILE`] of them, then one line counting the rest:
/// `… and 412 more in rules/x.toml (410 errors, 2 warnings)`.
pub fn render_capped<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    file: &str,
    text: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    for d in diagnostics {
        if out.len() < MAX_RENDERED_PER_FILE {
            out.push(d.render(file, text));
        } else if d.is_error() {
            errors += 1;
        } else {
            warnings += 1;
        }
    }
    if errors + warnings > 0 {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let what = match (errors, warnings) {
            (e, 0) => plural(e, "error"),
            (0, w) => plural(w, "warning"),
            (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
        };
        out.push(format!(
            "… and {} more in {file} ({what})\n",
            errors + warnings
        ));
    }
    out
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
    fn a_long_line_is_shown_as_a_window_around_the_caret() {
        // 2,001 characters on one line, an error at column 1,002 (after 1,000 `x`s and
        // a tab).
        let line = format!("{}\tbad(é){}", "x".repeat(1000), "y".repeat(1000));
        let text = format!("q = \"\"\"\n{line}\n\"\"\"\n");
        let start = text.find("bad").unwrap();
        let d = Diagnostic::error(Code::UnknownFunction, Span::new(start, start + 3), "m");
        let r = d.render("r.toml", &text);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[1], "  --> r.toml:2:1002");
        let shown = lines[3].strip_prefix("2 | ").unwrap();
        let caret = lines[4].strip_prefix("  | ").unwrap();
        assert_eq!(shown.chars().count(), SNIPPET_WIDTH + 2, "{shown}");
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        // The caret is under `bad`, the tab kept in the lead so that it lines up.
        let col = caret.chars().position(|c| c == '^').unwrap();
        let under: String = shown.chars().skip(col).take(3).collect();
        assert_eq!(under, "bad");
        assert_eq!(caret.matches('^').count(), 3);
        assert!(caret.contains('\t'));
        // A span longer than the window is clipped to it.
        let end = text.rfind('y').unwrap();
        let d = Diagnostic::error(Code::Syntax, Span::new(start, end + 1), "m");
        let r = d.render("r.toml", &text);
        let caret = r.lines().nth(4).unwrap();
        assert!(caret.matches('^').count() < SNIPPET_WIDTH, "{caret}");
        // A caret near the end of the line keeps the window full.
        let d = Diagnostic::error(Code::Syntax, Span::new(end, end + 1), "m");
        let r = d.render("r.toml", &text);
        let shown = r.lines().nth(3).unwrap().strip_prefix("2 | ").unwrap();
        assert_eq!(shown.chars().count(), SNIPPET_WIDTH + 1);
        assert!(shown.starts_with('…') && shown.ends_with('y'));
        let caret = r.lines().nth(4).unwrap().strip_prefix("  | ").unwrap();
        assert_eq!(caret.chars().count(), SNIPPET_WIDTH + 1);
        assert!(caret.ends_with(" ^"));
    }

    #[test]
    fn at_most_twenty_diagnostics_are_rendered_per_file() {
        let text = "any where true\n";
        let mut ds: Vec<Diagnostic> = (0..30)
            .map(|_| Diagnostic::error(Code::Syntax, Span::new(0, 3), "e"))
            .collect();
        ds.extend((0..3).map(|_| Diagnostic::warning(Code::UnknownField, Span::new(0, 3), "w")));
        let r = render_capped(&ds, "r.eql", text);
        assert_eq!(r.len(), MAX_RENDERED_PER_FILE + 1);
        assert_eq!(
            r.last().unwrap(),
            "… and 13 more in r.eql (10 errors, 3 warnings)\n"
        );
        assert_eq!(render_capped(&ds[..20], "r.eql", text).len(), 20);
    }

    #[test]
    fn location_counts_characters_not_bytes() {
        let text = "é\nÄÖ x";
        let off = text.find('x').unwrap();
        assert_eq!(Location::of(text, off), Location { line: 2, column: 4 });
    }
}
