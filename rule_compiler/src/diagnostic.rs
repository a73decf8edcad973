//! Diagnostics: what is wrong with a rule, where, and what to do about it.
//!
//! The parser and the checker report spans inside the query string;
//! [`crate::source::RuleSource`] maps them to spans inside the rule file, and
//! [`Diagnostic::render`] prints `file:line:col`, the offending line and a caret.
//!
//! Rendering is annotate-snippets' (the library rustc's own diagnostics are drawn with,
//! as cargo and clippy use it), so rule errors look like rustc's: plain by default,
//! coloured when the caller asks ([`RenderOptions`]), location-first for a
//! `compile_error!` ([`RenderStyle::LocationFirst`]).

use crate::ast::Span;
use annotate_snippets::{AnnotationKind, Element, Group, Level, Origin, Renderer, Snippet};
use serde::Serialize;

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
    /// The rule's language is not one eqlc compiles.
    Language,
    /// A rule type eqlc does not run yet (`new_terms`, `threshold`, `threat_match` …);
    /// counted apart in `eqlc check`'s summary.
    RuleType,
    /// A KQL query Elasticsearch would reject, or that eqlc cannot type or evaluate.
    Kql,
    /// Warning (lint): KQL whose Kibana meaning likely differs from its evident intent
    /// (kql-semantics.md D.7): a quoted `*`, a `?`, `\t`/`\r`/`\n` in a quoted value, an
    /// unquoted multi-token value on a text field, whitespace inside a wildcard value.
    KqlLint,
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
    /// Warning (lint): a `*` or `?` in an `==`, `!=` or `in (…)` string, where it is a
    /// literal character, not a wildcard.
    LiteralWildcard,
    /// Warning (lint): a field that holds one value required equal to two different
    /// values under `and`.
    ConflictingValues,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "io",
            Code::Toml => "toml",
            Code::RuleKey => "rule-key",
            Code::Language => "language",
            Code::RuleType => "rule-type",
            Code::Kql => "kql",
            Code::KqlLint => "kql-lint",
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
            Code::LiteralWildcard => "literal-wildcard",
            Code::ConflictingValues => "conflicting-values",
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

    /// Render as rustc does, plain (see [`Diagnostic::render_with`]):
    ///
    /// ```text
    /// error[unknown-function]: unknown function `strlen`
    ///   --> rules/x.toml:12:7
    ///    |
    /// 12 |   strlen(process.name) > 3
    ///    |   ^^^^^^
    ///    |
    ///    = help: …
    /// ```
    ///
    /// `span` must be relative to `text`, the whole file.
    pub fn render(&self, file: &str, text: &str) -> String {
        self.render_with(file, text, RenderOptions::default())
    }

    /// Render with annotate-snippets: the title (`error[code]: message`, or
    /// `file:line:col: message [code]` in [`RenderStyle::LocationFirst`]), the line of
    /// the span with a caret under the span's part on that line (a line wider than
    /// [`SNIPPET_WIDTH`] is cut around the caret, with `...` where it is cut), then the
    /// help. Colours only if `options.colour`. Ends with a newline.
    pub fn render_with(&self, file: &str, text: &str, options: RenderOptions) -> String {
        let renderer = if options.colour {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
        .term_width(SNIPPET_WIDTH);
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let code = self.code.as_str();
        let place = self.span.map(|span| SnippetPlace::of(text, span));
        let title = match options.style {
            RenderStyle::Rustc => level.primary_title(self.message.as_str()).id(code),
            RenderStyle::LocationFirst => {
                let at = match &place {
                    Some(p) => format!("{file}:{}:{}", p.location.line, p.location.column),
                    None => file.to_string(),
                };
                let severity = match self.severity {
                    Severity::Error => "",
                    Severity::Warning => "warning: ",
                };
                level
                    .no_name()
                    .primary_title(format!("{at}: {severity}{} [{code}]", self.message))
            }
        };
        let mut elements: Vec<Element<'_>> = Vec::new();
        match &place {
            Some(p) => {
                let mut snippet = Snippet::source(p.line)
                    .line_start(p.location.line)
                    .annotation(AnnotationKind::Primary.span(p.caret.clone()));
                if options.style == RenderStyle::Rustc {
                    snippet = snippet.path(file);
                }
                elements.push(snippet.into());
            }
            None if options.style == RenderStyle::Rustc => {
                elements.push(Origin::path(file).into());
            }
            None => {}
        }
        if let Some(help) = &self.help {
            elements.push(Level::HELP.message(help.as_str()).into());
        }
        let report = [Group::with_title(title).elements(elements)];
        let mut out = renderer.render(&report);
        out.push('\n');
        out
    }
}

/// How the callers want diagnostics rendered. The default is plain rustc style (tests,
/// files, pipes); the callers decide on colour (a terminal) and on the location-first
/// title (a `compile_error!`, to which rustc adds its own `error: `).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours, as rustc's on a terminal.
    pub colour: bool,
    pub style: RenderStyle,
}

impl RenderOptions {
    /// Plain text, rustc's look.
    pub const PLAIN: RenderOptions = RenderOptions {
        colour: false,
        style: RenderStyle::Rustc,
    };

    /// The message of a `compile_error!`: location first, plain.
    pub const COMPILE_ERROR: RenderOptions = RenderOptions {
        colour: false,
        style: RenderStyle::LocationFirst,
    };

    /// rustc's look, coloured if `colour` (the caller knows whether it writes to a
    /// terminal).
    pub fn coloured(colour: bool) -> RenderOptions {
        RenderOptions {
            colour,
            ..RenderOptions::PLAIN
        }
    }
}

/// The title line of a rendered diagnostic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RenderStyle {
    /// ``error[unknown-function]: unknown function `x` ``, then `--> file:line:col`.
    #[default]
    Rustc,
    /// ``file:line:col: unknown function `x` [unknown-function]`` and no `-->` line: a
    /// `compile_error!`'s message, which rustc prints after its own `error: `.
    LocationFirst,
}

/// The line a span starts on, and where the caret goes in it.
struct SnippetPlace<'a> {
    location: Location,
    /// The line, without its line break and trailing white space.
    line: &'a str,
    /// The span's part on this line, in bytes of `line` (empty: a caret of one column).
    caret: std::ops::Range<usize>,
}

impl<'a> SnippetPlace<'a> {
    fn of(text: &'a str, span: Span) -> SnippetPlace<'a> {
        let location = Location::of(text, span.start);
        let line_text = line_at(text, span.start);
        let line = line_text.text.trim_end();
        let start = (floor_char_boundary(text, span.start.min(text.len())) - line_text.start)
            .min(line.len());
        let end = floor_char_boundary(text, span.end.min(text.len()))
            .saturating_sub(line_text.start)
            .clamp(start, line.len());
        SnippetPlace {
            location,
            line,
            caret: start..end,
        }
    }
}

/// The width diagnostics are rendered for, in columns. A longer snippet line (a
/// generated rule may put 250 KB on one line) is shown as a window around the caret,
/// with `...` where it is cut (annotate-snippets' margin, as rustc's).
pub const SNIPPET_WIDTH: usize = 100;

/// The most diagnostics rendered for one file; the rest are summed up in one line
/// (`… and 412 more …`).
pub const MAX_RENDERED_PER_FILE: usize = 20;

/// Render the diagnostics of one file ([`Diagnostic::render`] each), at most
/// [`MAX_RENDERED_PER_FILE`] of them, then one line counting the rest:
/// `… and 412 more in rules/x.toml (410 errors, 2 warnings)`.
pub fn render_capped<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    file: &str,
    text: &str,
) -> Vec<String> {
    render_capped_with(diagnostics, file, text, RenderOptions::default())
}

/// [`render_capped`], rendering each with [`Diagnostic::render_with`].
pub fn render_capped_with<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    file: &str,
    text: &str,
    options: RenderOptions,
) -> Vec<String> {
    let mut out = Vec::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    for d in diagnostics {
        if out.len() < MAX_RENDERED_PER_FILE {
            out.push(d.render_with(file, text, options));
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

    fn foo_diagnostic(text: &str) -> Diagnostic {
        let start = text.find("foo").unwrap();
        Diagnostic::error(
            Code::UnknownFunction,
            Span::new(start, start + 3),
            "unknown function `foo`",
        )
        .with_help("check the spelling")
    }

    #[test]
    fn renders_location_line_and_caret() {
        let text = "a = 1\nquery = '''\nprocess where foo(x)\n'''\n";
        let r = foo_diagnostic(text).render("r.toml", text);
        assert_eq!(
            r,
            "error[unknown-function]: unknown function `foo`\n --> r.toml:3:15\n  |\n3 | process where foo(x)\n  |               ^^^\n  |\n  = help: check the spelling\n"
        );
        // Plain unless asked: no escape sequences.
        assert!(!r.contains('\x1b'));
        let coloured =
            foo_diagnostic(text).render_with("r.toml", text, RenderOptions::coloured(true));
        assert!(coloured.contains("\x1b["), "{coloured:?}");
        assert_eq!(
            foo_diagnostic(text).render_with("r.toml", text, RenderOptions::coloured(false)),
            r
        );
    }

    #[test]
    fn a_compile_error_starts_with_the_location_and_the_code() {
        let text = "a = 1\nquery = '''\nprocess where foo(x)\n'''\n";
        let r = foo_diagnostic(text).render_with("r.toml", text, RenderOptions::COMPILE_ERROR);
        assert_eq!(
            r,
            "r.toml:3:15: unknown function `foo` [unknown-function]\n  |\n3 | process where foo(x)\n  |               ^^^\n  |\n  = help: check the spelling\n"
        );
        let w = Diagnostic::warning(Code::UnknownField, None, "w").with_help("h");
        assert_eq!(
            w.render_with("r.toml", text, RenderOptions::COMPILE_ERROR),
            "r.toml: warning: w [unknown-field]\n  |\n  = help: h\n"
        );
    }

    #[test]
    fn without_a_span_or_a_text() {
        let d = Diagnostic::error(Code::Io, None, "cannot read the rule file: gone")
            .with_help("check that the file exists");
        assert_eq!(
            d.render("r.toml", ""),
            "error[io]: cannot read the rule file: gone\n --> r.toml\n  = help: check that the file exists\n"
        );
        // A span into an empty text (or past its end) still renders.
        let d = Diagnostic::error(Code::Syntax, Span::new(5, 9), "m");
        let r = d.render("r.eql", "");
        assert!(r.starts_with("error[syntax]: m\n --> r.eql:1:1\n"), "{r}");
        let r = d.render("r.eql", "ab\r\n");
        assert!(r.contains(" --> r.eql:2:1\n"), "{r}");
    }

    #[test]
    fn a_crlf_line_is_shown_without_its_carriage_return() {
        let text = "x = 1\r\nprocess where foo(x)\r\n";
        let r = foo_diagnostic(text).render("r.eql", text);
        assert!(r.contains("2 | process where foo(x)\n"), "{r:?}");
        assert!(!r.contains('\r'), "{r:?}");
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_caret() {
        // 2,007 characters on one line, an error at column 1,002 (after 1,000 `x`s and
        // a tab).
        let line = format!("{}\tbad(é){}", "x".repeat(1000), "y".repeat(1000));
        let text = format!("q = \"\"\"\n{line}\n\"\"\"\n");
        let start = text.find("bad").unwrap();
        let d = Diagnostic::error(Code::UnknownFunction, Span::new(start, start + 3), "m");
        let r = d.render("r.toml", &text);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[1], " --> r.toml:2:1002");
        let shown = lines[3].strip_prefix("2 | ").unwrap();
        let caret = lines[4].strip_prefix("  | ").unwrap();
        assert!(shown.chars().count() <= SNIPPET_WIDTH, "{shown}");
        assert!(
            shown.starts_with("...") && shown.ends_with("..."),
            "{shown}"
        );
        // The caret is under `bad` (the tab shown as spaces, so that it lines up).
        let col = caret.chars().position(|c| c == '^').unwrap();
        let under: String = shown.chars().skip(col).take(3).collect();
        assert_eq!(under, "bad");
        assert_eq!(caret.matches('^').count(), 3);
        // A span longer than the window is shown with its middle cut.
        let end = text.rfind('y').unwrap();
        let d = Diagnostic::error(Code::Syntax, Span::new(start, end + 1), "m");
        let r = d.render("r.toml", &text);
        for l in r.lines() {
            assert!(l.chars().count() <= 2 * SNIPPET_WIDTH + 10, "{l}");
        }
        let caret = r.lines().nth(4).unwrap();
        assert!(caret.contains("^..."), "{caret}");
        // A caret at the end of the line: the window ends with the line.
        let d = Diagnostic::error(Code::Syntax, Span::new(end, end + 1), "m");
        let r = d.render("r.toml", &text);
        assert!(r.contains(" --> r.toml:2:2007\n"), "{r}");
        let shown = r.lines().nth(3).unwrap().strip_prefix("2 | ").unwrap();
        assert!(shown.starts_with("...") && shown.ends_with('y'), "{shown}");
        assert!(shown.chars().count() <= SNIPPET_WIDTH, "{shown}");
        let caret = r.lines().nth(4).unwrap().strip_prefix("  | ").unwrap();
        assert_eq!(caret.chars().count(), shown.chars().count());
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
