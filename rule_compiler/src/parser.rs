//! EQL text → [`ast::Query`], with spans, using the pest grammar in `eql.pest`.
//!
//! Syntax errors come from pest (one per query: pest stops at the first); everything
//! that parses but is not Elasticsearch EQL (Endgame features, bad escapes, bad
//! `maxspan` …) is collected, so a query reports all such errors at once.

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::printer::clip;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "eql.pest"]
struct EqlParser;

/// The longest query accepted, in bytes. The longest corpus query is ~47 KB
/// (`defense_evasion_masquerading_windows_dll`); this leaves room and bounds work.
pub const MAX_QUERY_LEN: usize = 256 * 1024;

/// The deepest nesting accepted: brackets, parentheses and chains of prefix
/// operators (`not not …`, `- - …`). Checked on the text before pest's recursive
/// descent runs, so it bounds pest's recursion.
pub const MAX_NESTING_DEPTH: usize = 64;

/// The deepest expression accepted, in levels: every `not`, unary minus, comparison,
/// `:`/`like`/`regex`/`in` predicate, function call and `and`/`or` chain whose operand
/// it is adds one level, and an arithmetic chain of n operators adds n. An `and`/`or`
/// chain is one level however long it is (the corpus has chains and lists of
/// thousands of terms). The builder counts levels as it descends and does not build
/// past the limit, so every recursive walk of a rule (checker, printer, lowering,
/// interpreter, code generator, and the Rust compiler on the generated code) is
/// bounded by it. The deepest corpus condition has 10.
pub const MAX_EXPR_DEPTH: usize = 64;

static ARITH_PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left)
            | Op::infix(Rule::rem, Assoc::Left))
        .op(Op::prefix(Rule::neg) | Op::prefix(Rule::pos))
});

/// Parse one EQL query. On failure, every error found (spans relative to `src`).
pub fn parse_query(src: &str) -> Result<Query, Vec<Diagnostic>> {
    if src.len() > MAX_QUERY_LEN {
        return Err(vec![Diagnostic::error(
            Code::Limit,
            Span::new(0, 0),
            format!(
                "query is {} bytes long; the limit is {} bytes",
                src.len(),
                MAX_QUERY_LEN
            ),
        )
        .with_help("split the rule into several rules")]);
    }
    if let Some(d) = check_nesting(src) {
        return Err(vec![d]);
    }
    let mut pairs = EqlParser::parse(Rule::query, src).map_err(|e| vec![syntax_error(src, e)])?;
    let mut b = Builder::default();
    let query = pairs.next().map(|p| b.query(p));
    match query {
        Some(q) if b.errors.is_empty() => Ok(q),
        _ => Err(b.errors),
    }
}

/// Reject pathological nesting before the recursive parser sees it.
fn check_nesting(src: &str) -> Option<Diagnostic> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                // Skip a string ("…" or """…""") so brackets inside it do not count.
                if src[i..].starts_with("\"\"\"") {
                    i = src[i + 3..]
                        .find("\"\"\"")
                        .map_or(bytes.len(), |e| i + 3 + e + 3);
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                prefix_run = 0;
                continue;
            }
            b'(' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING_DEPTH {
                    return Some(depth_error(i));
                }
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            b'-' | b'+' => {
                prefix_run += 1;
                if prefix_run > MAX_NESTING_DEPTH {
                    return Some(depth_error(i));
                }
            }
            b'n' if src[i..].starts_with("not")
                && !src[i + 3..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                prefix_run += 1;
                if prefix_run > MAX_NESTING_DEPTH {
                    return Some(depth_error(i));
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_whitespace() => {}
            _ => prefix_run = 0,
        }
        i += 1;
    }
    None
}

fn depth_error(at: usize) -> Diagnostic {
    Diagnostic::error(
        Code::Limit,
        Span::new(at, at + 1),
        format!("query is nested more than {MAX_NESTING_DEPTH} levels deep"),
    )
    .with_help("simplify the condition: flatten nested parentheses or repeated `not`")
}

fn syntax_error(src: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match e.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    // Point at the token found, not at nothing.
    let found_end = src[start..]
        .char_indices()
        .find(|&(i, c)| i > 0 && (c.is_whitespace() || "()[],".contains(c)))
        .map(|(i, _)| start + i)
        .unwrap_or(src.len());
    let end = end.max(found_end.min(start + 40)).min(src.len());
    // `start + 40` may fall inside a character: back off to its start.
    let end = (start.min(end)..=end)
        .rev()
        .find(|&i| src.is_char_boundary(i))
        .unwrap_or(end);
    // At the end of the query (nothing but blanks and comments left), point at the last
    // token, which is what is incomplete, not at the empty line after it.
    let last = if only_trivia(src.get(start..).unwrap_or("")) {
        last_token(&src[..start.min(src.len())])
    } else {
        None
    };
    let (start, end) = last.unwrap_or((start, end));
    let found = match last {
        Some((s, e)) => format!("end of query after `{}`", clip(&src[s..e])),
        None if start >= src.len() => "end of query".to_string(),
        None => format!("`{}`", &src[start..end.min(src.len())]),
    };
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            if names.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("expected {}, found {found}", join_alternatives(&names))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Diagnostic::error(Code::Syntax, Span::new(start, end.min(src.len())), message).with_help(
        "see the EQL syntax reference: https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-syntax.html",
    )
}

/// Is `s` only white space and comments (an unterminated block comment counts)?
fn only_trivia(s: &str) -> bool {
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if rest.starts_with("/*") {
            rest = &rest[skip_block_comment(rest)..];
        } else {
            return false;
        }
        rest = rest.trim_start();
    }
    true
}

/// The length of the (nested) block comment `s` starts with, or all of `s` if it is not
/// closed.
fn skip_block_comment(s: &str) -> usize {
    let bytes = s.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        if bytes[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if bytes[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    s.len()
}

/// The span of the last token of `src`: a string or backtick name whole, otherwise a
/// run of characters up to white space, a comment or a string (skipping both).
fn last_token(src: &str) -> Option<(usize, usize)> {
    let bytes = src.as_bytes();
    let mut last = None;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &src[i..];
        let c = bytes[i];
        let token_end = if c.is_ascii_whitespace() || c == 0x0C {
            i += 1;
            continue;
        } else if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        } else if rest.starts_with("/*") {
            i += skip_block_comment(rest);
            continue;
        } else if let Some(body) = rest.strip_prefix("\"\"\"") {
            body.find("\"\"\"").map_or(src.len(), |e| i + 3 + e + 3)
        } else if c == b'"' || c == b'\'' || c == b'`' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != c && bytes[j] != b'\n' {
                j += if bytes[j] == b'\\' && c != b'`' { 2 } else { 1 };
            }
            (j + 1).min(src.len())
        } else {
            let mut j = i;
            while j < bytes.len()
                && !bytes[j].is_ascii_whitespace()
                && !matches!(bytes[j], b'"' | b'\'' | b'`')
                && !bytes[j..].starts_with(b"//")
                && !bytes[j..].starts_with(b"/*")
            {
                j += 1;
            }
            j
        };
        let token_end = ceil_boundary(src, token_end.max(i + 1));
        last = Some((i, token_end));
        i = token_end;
    }
    last
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn join_alternatives(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// A reader's name for a grammar rule in "expected …" messages; `None` hides it.
fn rule_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of query",
        Rule::query | Rule::event_filter => "a query (`<category> where …`, `sequence`, `sample`)",
        Rule::category | Rule::category_ident => "an event category",
        Rule::sequence | Rule::kw_sequence => "`sequence`",
        Rule::sample | Rule::kw_sample => "`sample`",
        Rule::stage | Rule::stage_open => "`[`",
        Rule::missing_open => "`![`",
        Rule::until_clause | Rule::kw_until => "`until`",
        Rule::by_clause | Rule::kw_by => "`by`",
        Rule::with_param | Rule::kw_with => "`with`",
        Rule::param_name => "a parameter name",
        Rule::param_value | Rule::number | Rule::integer | Rule::decimal => "a number",
        Rule::pipe => "`|`",
        Rule::head_tail | Rule::pipe_head_tail_name | Rule::pipe_name => "a pipe (`head`, `tail`)",
        Rule::pipe_count => "a count",
        Rule::expr | Rule::comparison | Rule::arith | Rule::predicated | Rule::by_item => {
            "an expression"
        }
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not => "`not`",
        Rule::kw_where => "`where`",
        Rule::kw_any => "`any`",
        Rule::kw_of => "`of`",
        Rule::cmp_op => "a comparison operator",
        Rule::predicate | Rule::in_pred | Rule::in_kw | Rule::kw_in => "`in`",
        Rule::pattern_pred | Rule::pattern_op | Rule::colon | Rule::kw_like | Rule::kw_regex => {
            "`:`, `like` or `regex`"
        }
        Rule::add | Rule::sub | Rule::mul | Rule::div | Rule::rem => "an arithmetic operator",
        Rule::call | Rule::func_name => "a function call",
        Rule::field | Rule::field_path | Rule::plain_ident | Rule::segment_ident => "a field",
        Rule::backtick_ident => "a `quoted` name",
        Rule::string | Rule::dq_string | Rule::raw_string => "a string",
        Rule::kw_null | Rule::kw_true | Rule::kw_false => "a literal",
        Rule::paren_list => "`(`",
        _ => return None,
    })
}

fn span_of(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

#[derive(Default)]
struct Builder {
    errors: Vec<Diagnostic>,
    /// How many levels (see [`MAX_EXPR_DEPTH`]) lie above the expression being built.
    level: usize,
    /// The depth error has been reported (once per query).
    too_deep: bool,
}

/// What a `seq_header` may hold, per query kind.
#[derive(Clone, Copy, PartialEq)]
enum HeaderOf {
    Sequence,
    Sample,
    Join,
}

impl Builder {
    fn err(&mut self, code: Code, span: Span, msg: impl Into<String>, help: impl Into<String>) {
        self.errors
            .push(Diagnostic::error(code, span, msg).with_help(help));
    }

    fn unsupported(&mut self, span: Span, feature: &str, help: &str) {
        self.err(
            Code::Unsupported,
            span,
            format!("{feature} is not supported by Elasticsearch EQL"),
            help,
        );
    }

    fn query(&mut self, pair: Pair<'_, Rule>) -> Query {
        let span = span_of(&pair);
        let mut body = None;
        let mut pipes = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::event_filter => body = Some(QueryBody::Event(self.event_filter(p))),
                Rule::sequence => body = Some(QueryBody::Sequence(self.sequence(p))),
                Rule::sample => body = Some(QueryBody::Sample(self.sample(p))),
                Rule::join => {
                    self.unsupported(
                        span_of(&p).to(Span::new(p.as_span().start(), p.as_span().start() + 4)),
                        "`join` (Endgame EQL)",
                        "use `sequence … by …`, which orders the events in time",
                    );
                    // Keep building so errors inside the stages are reported too.
                    let s = self.sequence(p);
                    body = Some(QueryBody::Sequence(s));
                }
                Rule::pipe => {
                    if let Some(pipe) = self.pipe(p) {
                        pipes.push(pipe);
                    }
                }
                _ => {}
            }
        }
        let body = body.unwrap_or_else(|| QueryBody::Event(placeholder_filter(span)));
        if let QueryBody::Sample(_) = &body {
            if let Some(first) = pipes.first() {
                self.err(
                    Code::Pipe,
                    first.span,
                    "pipes are not supported on `sample` queries",
                    "remove the pipe; use the `size` and `max_samples_per_key` request parameters instead",
                );
            }
        }
        Query { body, pipes, span }
    }

    fn pipe(&mut self, pair: Pair<'_, Rule>) -> Option<Pipe> {
        let span = span_of(&pair);
        let inner = pair.into_inner().next()?;
        match inner.as_rule() {
            Rule::head_tail => {
                let mut it = inner.into_inner();
                let name = it.next()?;
                let kind = if name.as_str() == "head" {
                    PipeKind::Head
                } else {
                    PipeKind::Tail
                };
                let Some(count) = it.next() else {
                    self.err(
                        Code::Pipe,
                        span,
                        format!("`| {}` needs a count", clip(name.as_str())),
                        format!("write `| {} 10`", clip(name.as_str())),
                    );
                    return None;
                };
                let text = count.as_str();
                match text.parse::<u64>() {
                    Ok(n) => Some(Pipe {
                        kind,
                        count: n,
                        span,
                    }),
                    Err(_) => {
                        self.err(
                            Code::Pipe,
                            span_of(&count),
                            format!(
                                "`{}` is not a valid count for `| {}`",
                                clip(text),
                                name.as_str()
                            ),
                            "the count must be a non-negative whole number",
                        );
                        None
                    }
                }
            }
            _ => {
                let name = inner.into_inner().next().map(|p| p.as_str().to_string())?;
                self.unsupported(
                    span,
                    &format!("the pipe `| {}`", clip(&name)),
                    "only `| head N` and `| tail N` are supported",
                );
                None
            }
        }
    }

    fn event_filter(&mut self, pair: Pair<'_, Rule>) -> EventFilter {
        let span = span_of(&pair);
        let mut it = pair.into_inner();
        let category = match it.next() {
            Some(c) => self.category(c),
            None => Category {
                kind: CategoryKind::Any,
                span,
            },
        };
        let _where = it.next();
        let condition = match it.next() {
            Some(e) => self.expr(e),
            None => Expr {
                kind: ExprKind::Bool(true),
                span,
            },
        };
        EventFilter {
            category,
            condition,
            span,
        }
    }

    fn category(&mut self, pair: Pair<'_, Rule>) -> Category {
        let span = span_of(&pair);
        let inner = pair.into_inner().next();
        let kind = match inner {
            Some(p) => match p.as_rule() {
                Rule::kw_any => CategoryKind::Any,
                Rule::string => CategoryKind::Named(self.string(p)),
                Rule::backtick_ident => CategoryKind::Named(unquote_backtick(p.as_str())),
                _ => CategoryKind::Named(p.as_str().to_string()),
            },
            None => CategoryKind::Any,
        };
        Category { kind, span }
    }

    fn header(&mut self, pair: Pair<'_, Rule>, of: HeaderOf) -> (Vec<Field>, Option<MaxSpan>) {
        let mut by: Option<Vec<Field>> = None;
        let mut maxspan = None;
        let mut seen_with = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::by_clause => {
                    let span = span_of(&p);
                    if by.is_some() {
                        self.err(
                            Code::Syntax,
                            span,
                            "`by` is given twice",
                            "list all join keys in one `by k1, k2` clause",
                        );
                    } else if seen_with && of == HeaderOf::Sequence {
                        self.err(
                            Code::ByAfterWith,
                            span,
                            "`by` must come before `with`",
                            "write `sequence by <keys> with maxspan=<window>`",
                        );
                    }
                    let keys = self.by_clause(p);
                    by.get_or_insert(keys);
                }
                Rule::with_param => {
                    let span = span_of(&p);
                    seen_with = true;
                    if let Some(ms) = self.with_param(p, of) {
                        if maxspan.is_some() {
                            self.err(
                                Code::MaxSpan,
                                span,
                                "`maxspan` is given twice",
                                "keep one `with maxspan=…`",
                            );
                        }
                        maxspan = Some(ms);
                    }
                }
                _ => {}
            }
        }
        (by.unwrap_or_default(), maxspan)
    }

    /// A top-level `with name=value`: `maxspan` on sequences.
    fn with_param(&mut self, pair: Pair<'_, Rule>, of: HeaderOf) -> Option<MaxSpan> {
        let span = span_of(&pair);
        let mut it = pair.into_inner();
        let _with = it.next()?;
        let name = it.next()?;
        let value = it.next()?;
        match (name.as_str(), of) {
            ("maxspan", HeaderOf::Sequence | HeaderOf::Join) => self.maxspan(value, span),
            ("maxspan", HeaderOf::Sample) => {
                self.err(
                    Code::MaxSpan,
                    span,
                    "`with maxspan` is not supported on `sample` queries",
                    "samples are not ordered in time; remove `with maxspan=…`",
                );
                None
            }
            ("runs", _) => {
                self.err(
                    Code::Runs,
                    span,
                    "`with runs=N` belongs to a stage, not to the whole query",
                    "write it after a stage: `[process where …] with runs=3`",
                );
                None
            }
            (other, _) => {
                self.err(
                    Code::Syntax,
                    span_of(&name),
                    format!("unknown parameter `{}`", clip(other)),
                    "the only query parameter is `with maxspan=<number><unit>`",
                );
                None
            }
        }
    }

    fn maxspan(&mut self, value: Pair<'_, Rule>, span: Span) -> Option<MaxSpan> {
        let vspan = span_of(&value);
        let mut it = value.into_inner();
        let number = it.next()?;
        let unit = it.next();
        let is_decimal =
            number.clone().into_inner().next().map(|n| n.as_rule()) == Some(Rule::decimal);
        if is_decimal {
            self.err(
                Code::MaxSpan,
                vspan,
                format!("maxspan `{}` is not a whole number", clip(number.as_str())),
                "use a smaller unit instead of a fraction, e.g. `1500ms` for 1.5s",
            );
            return None;
        }
        let Some(unit) = unit else {
            self.err(
                Code::MaxSpan,
                vspan,
                format!("no time unit in maxspan `{}`", clip(number.as_str())),
                format!(
                    "add a unit: `{}s` (units: ms, s, m, h, d)",
                    clip(number.as_str())
                ),
            );
            return None;
        };
        let Some(tu) = TimeUnit::from_suffix(unit.as_str()) else {
            self.err(
                Code::MaxSpan,
                span_of(&unit),
                format!("unknown time unit `{}` in maxspan", clip(unit.as_str())),
                "use one of ms, s, m, h, d",
            );
            return None;
        };
        let Ok(n) = number.as_str().parse::<u64>() else {
            self.err(
                Code::MaxSpan,
                vspan,
                format!("maxspan `{}` is out of range", clip(number.as_str())),
                "use a larger unit",
            );
            return None;
        };
        if n == 0 {
            self.err(
                Code::MaxSpan,
                vspan,
                "maxspan must be greater than zero",
                "give a positive window such as `maxspan=30s`",
            );
            return None;
        }
        Some(MaxSpan {
            value: n,
            unit: tu,
            span,
        })
    }

    fn by_clause(&mut self, pair: Pair<'_, Rule>) -> Vec<Field> {
        let mut keys = Vec::new();
        for item in pair.into_inner().filter(|p| p.as_rule() == Rule::by_item) {
            let span = span_of(&item);
            let Some(e) = item.into_inner().next() else {
                continue;
            };
            let expr = self.expr(e);
            match expr.kind {
                ExprKind::Field(f) => keys.push(f),
                _ => self.unsupported(
                    span,
                    "a join key that is not a field (`by` on an expression)",
                    "join on a field: `by process.entity_id`",
                ),
            }
        }
        keys
    }

    fn sequence(&mut self, pair: Pair<'_, Rule>) -> Sequence {
        let is_join = pair.as_rule() == Rule::join;
        let of = if is_join {
            HeaderOf::Join
        } else {
            HeaderOf::Sequence
        };
        let mut by = Vec::new();
        let mut maxspan = None;
        let mut stages = Vec::new();
        let mut until = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::seq_header => (by, maxspan) = self.header(p, of),
                Rule::stage => stages.push(self.stage(p, of)),
                Rule::until_clause => {
                    if let Some(st) = p.into_inner().find(|p| p.as_rule() == Rule::stage) {
                        let st = self.stage(st, of);
                        if st.missing {
                            self.err(
                                Code::UntilMissing,
                                st.span,
                                "`until` cannot take a missing-event clause `![…]`",
                                "write `until [category where …]`; Elasticsearch would silently ignore the `!`",
                            );
                        }
                        if let Some(r) = st.runs {
                            self.err(
                                Code::Runs,
                                r.span,
                                "`with runs` is not allowed on the `until` clause",
                                "remove `with runs=…` from the until clause",
                            );
                        }
                        until = Some(st);
                    }
                }
                _ => {}
            }
        }
        Sequence {
            by,
            maxspan,
            stages,
            until,
        }
    }

    fn sample(&mut self, pair: Pair<'_, Rule>) -> Sample {
        let mut by = Vec::new();
        let mut stages = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::seq_header => by = self.header(p, HeaderOf::Sample).0,
                Rule::stage => {
                    let st = self.stage(p, HeaderOf::Sample);
                    if st.missing {
                        self.err(
                            Code::Unsupported,
                            st.span,
                            "missing-event clauses `![…]` are only allowed in sequences",
                            "use `[…]` in a sample",
                        );
                    }
                    if let Some(r) = st.runs {
                        self.err(
                            Code::Runs,
                            r.span,
                            "`with runs` is not supported on `sample` queries",
                            "repeat the filter instead",
                        );
                    }
                    stages.push(st);
                }
                Rule::until_clause => self.err(
                    Code::Unsupported,
                    span_of(&p),
                    "`until` is not supported on `sample` queries",
                    "remove the until clause",
                ),
                _ => {}
            }
        }
        Sample { by, stages }
    }

    fn stage(&mut self, pair: Pair<'_, Rule>, of: HeaderOf) -> Stage {
        let span = span_of(&pair);
        let mut missing = false;
        let mut filter = None;
        let mut by = Vec::new();
        let mut runs = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::missing_open => missing = true,
                Rule::event_filter => filter = Some(self.event_filter(p)),
                Rule::stage_suffix => {
                    let mut seen_by = false;
                    for s in p.into_inner() {
                        match s.as_rule() {
                            Rule::by_clause => {
                                if seen_by {
                                    self.err(
                                        Code::Syntax,
                                        span_of(&s),
                                        "`by` is given twice on one stage",
                                        "list all keys in one `by k1, k2` clause",
                                    );
                                }
                                seen_by = true;
                                by.extend(self.by_clause(s));
                            }
                            Rule::fork_param => self.unsupported(
                                span_of(&s),
                                "`fork` (Endgame EQL)",
                                "remove `fork`",
                            ),
                            Rule::with_param => {
                                if let Some(r) = self.runs(s, of) {
                                    if runs.is_some() {
                                        self.err(
                                            Code::Runs,
                                            r.span,
                                            "`with runs` is given twice on one stage",
                                            "keep one `with runs=N`",
                                        );
                                    }
                                    runs = Some(r);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let filter = filter.unwrap_or_else(|| placeholder_filter(span));
        Stage {
            missing,
            filter,
            by,
            runs,
            span,
        }
    }

    /// A stage's `with runs=N`, 1 ≤ N ≤ 100.
    fn runs(&mut self, pair: Pair<'_, Rule>, _of: HeaderOf) -> Option<Runs> {
        let span = span_of(&pair);
        let mut it = pair.into_inner();
        let _with = it.next()?;
        let name = it.next()?;
        let value = it.next()?;
        if name.as_str() == "maxspan" {
            self.err(
                Code::MaxSpan,
                span,
                "`with maxspan` belongs to the whole sequence, not to a stage",
                "write `sequence by … with maxspan=…` at the top",
            );
            return None;
        }
        if name.as_str() != "runs" {
            self.err(
                Code::Syntax,
                span_of(&name),
                format!("unknown stage parameter `{}`", clip(name.as_str())),
                "the only stage parameter is `with runs=N`",
            );
            return None;
        }
        let text = value.as_str().trim();
        if value.clone().into_inner().count() > 1 {
            self.err(
                Code::Runs,
                span_of(&value),
                format!("`runs={}` is not a number", clip(text)),
                "runs takes a plain count: `with runs=3`",
            );
            return None;
        }
        match text.parse::<u64>() {
            Ok(n) if (1..=100).contains(&n) => Some(Runs { count: n, span }),
            _ => {
                self.err(
                    Code::Runs,
                    span_of(&value),
                    format!("`runs={}` is out of range", clip(text)),
                    "runs must be a whole number from 1 to 100",
                );
                None
            }
        }
    }

    // ------------------------------------------------------------ expressions

    /// Can an expression be built `extra` levels below the current one? If not, report
    /// that it would be nested too deep (once per query), pointing at `pair`'s start.
    fn fits(&mut self, extra: usize, pair: &Pair<'_, Rule>) -> bool {
        if self.level + extra < MAX_EXPR_DEPTH {
            return true;
        }
        if !self.too_deep {
            self.too_deep = true;
            let start = pair.as_span().start();
            // The operand may be long: point at its first character.
            let end = start + pair.as_str().chars().next().map_or(0, char::len_utf8);
            self.err(
                Code::Limit,
                Span::new(start, end),
                format!("expression is nested more than {MAX_EXPR_DEPTH} levels deep"),
                "split the rule into several rules, or flatten the condition (each enclosing `not`, \
                 comparison, function call or arithmetic operator adds a level; an `and`/`or` chain \
                 adds one)",
            );
        }
        false
    }

    /// Build `build`'s expression `extra` levels below the current one, or nothing if
    /// that is too deep (see [`Builder::fits`]).
    fn nested<'i>(
        &mut self,
        extra: usize,
        pair: Pair<'i, Rule>,
        build: impl FnOnce(&mut Self, Pair<'i, Rule>) -> Expr,
    ) -> Option<Expr> {
        if !self.fits(extra, &pair) {
            return None;
        }
        self.level += extra;
        let e = build(self, pair);
        self.level -= extra;
        Some(e)
    }

    /// [`Builder::nested`], with a placeholder for what is not built.
    fn nested_or_placeholder<'i>(
        &mut self,
        extra: usize,
        pair: Pair<'i, Rule>,
        build: impl FnOnce(&mut Self, Pair<'i, Rule>) -> Expr,
    ) -> Expr {
        let span = span_of(&pair);
        self.nested(extra, pair, build).unwrap_or(Expr {
            kind: ExprKind::Null,
            span,
        })
    }

    /// A builder for a Pratt closure, which cannot borrow `self`: it takes `self`'s
    /// state and [`Builder::restore`] gives it back.
    fn take(&mut self) -> Builder {
        Builder {
            errors: std::mem::take(&mut self.errors),
            level: self.level,
            too_deep: self.too_deep,
        }
    }

    fn restore(&mut self, b: Builder) {
        self.errors = b.errors;
        self.too_deep = b.too_deep;
    }

    /// `not* operand ((and | or) not* operand)*`, built without recursion: `or` chains
    /// of `and` chains, each n-ary (a chain of 23,000 terms is two levels, not 23,000),
    /// `not` binding tightest, as Elasticsearch's grammar has it.
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = span_of(&pair);
        // Terms (the `not`s before an operand, and the operand), in `or` groups of `and`
        // chains.
        let mut groups: Vec<Vec<(Vec<Span>, Pair<'_, Rule>)>> = vec![Vec::new()];
        let mut nots = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_not => nots.push(span_of(&p)),
                Rule::kw_and => {}
                Rule::kw_or => groups.push(Vec::new()),
                _ => {
                    if let Some(g) = groups.last_mut() {
                        g.push((std::mem::take(&mut nots), p));
                    }
                }
            }
        }
        let or_level = usize::from(groups.len() > 1);
        let mut alternatives = Vec::with_capacity(groups.len());
        for group in groups {
            let and_level = usize::from(group.len() > 1);
            let mut terms = Vec::with_capacity(group.len());
            for (nots, p) in group {
                let extra = or_level + and_level + nots.len();
                let operand = span_of(&p);
                let Some(mut e) = self.nested(extra, p, Self::bool_primary) else {
                    // Too deep: a placeholder, without the `not`s around it.
                    terms.push(Expr {
                        kind: ExprKind::Null,
                        span: operand,
                    });
                    continue;
                };
                for n in nots.iter().rev() {
                    e = Expr {
                        span: n.to(e.span),
                        kind: ExprKind::Not(Box::new(e)),
                    };
                }
                terms.push(e);
            }
            alternatives.push(chain(terms, ExprKind::And, span));
        }
        chain(alternatives, ExprKind::Or, span)
    }

    fn bool_primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = span_of(&pair);
        match pair.as_rule() {
            Rule::lineage => {
                let kind = pair
                    .into_inner()
                    .next()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                match kind.as_str() {
                    "descendant" | "child" | "event" => self.unsupported(
                        span,
                        &format!("lineage `{} of [...]` (Endgame EQL)", clip(&kind)),
                        "correlate with `sequence by process.entity_id` instead",
                    ),
                    _ => self.err(
                        Code::Syntax,
                        span,
                        format!("unknown relationship `{} of`", clip(&kind)),
                        "lineage (`descendant of`, `child of`, `event of`) is not supported by Elasticsearch EQL",
                    ),
                }
                Expr {
                    kind: ExprKind::Bool(false),
                    span,
                }
            }
            _ => self.comparison(pair),
        }
    }

    fn comparison(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut it = pair.into_inner();
        let Some(first) = it.next() else {
            return Expr {
                kind: ExprKind::Null,
                span: Span::default(),
            };
        };
        // A chain of n comparisons (an error, reported below) nests n deep.
        let ops = it.len() / 2;
        let mut lhs = self.nested_or_placeholder(ops, first, Self::arith);
        let mut count = 0;
        while let (Some(op), Some(rhs)) = (it.next(), it.next()) {
            count += 1;
            let op_span = span_of(&op);
            let rhs = self.nested_or_placeholder(ops, rhs, Self::arith);
            let cmp = match op.as_str() {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                ">=" => CmpOp::Ge,
                _ => {
                    self.unsupported(
                        op_span,
                        "`=` as an operator",
                        "use `==` for case-sensitive equality or `:` for case-insensitive matching",
                    );
                    CmpOp::Eq
                }
            };
            if count == 2 {
                self.err(
                    Code::Syntax,
                    op_span,
                    "comparisons cannot be chained",
                    "combine them with `and`: `a < b and b < c`",
                );
            }
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Compare {
                    op: cmp,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        lhs
    }

    fn arith(&mut self, pair: Pair<'_, Rule>) -> Expr {
        // Operators and operands alternate in a flat list; the tree Pratt builds from n
        // operators is at most n deep. Count them first so that a chain too long is
        // reported without being built (the Pratt closures recurse per level).
        let ops = pair
            .clone()
            .into_inner()
            .filter(|p| p.as_rule() != Rule::predicated)
            .count();
        if ops == 0 {
            return match pair.into_inner().next() {
                Some(p) => self.predicated(p),
                None => Expr {
                    kind: ExprKind::Null,
                    span: Span::default(),
                },
            };
        }
        let first = pair
            .clone()
            .into_inner()
            .find(|p| p.as_rule() == Rule::predicated);
        if !first.is_some_and(|first| self.fits(ops, &first)) {
            return Expr {
                kind: ExprKind::Null,
                span: span_of(&pair),
            };
        }
        self.level += ops;
        let cell = std::cell::RefCell::new(self.take());
        let result = ARITH_PRATT
            .map_primary(|p| {
                let mut b = cell.borrow_mut().take();
                let e = b.predicated(p);
                cell.borrow_mut().restore(b);
                e
            })
            .map_prefix(|op, rhs| {
                let span = span_of(&op).to(rhs.span);
                if op.as_rule() == Rule::pos {
                    return Expr { span, ..rhs };
                }
                match rhs.kind {
                    // Fold a minus into a number literal: `-1` is the literal -1.
                    ExprKind::Int(n) => match n.checked_neg() {
                        Some(v) => Expr {
                            kind: ExprKind::Int(v),
                            span,
                        },
                        None => Expr {
                            kind: ExprKind::Neg(Box::new(Expr {
                                kind: ExprKind::Int(n),
                                span: rhs.span,
                            })),
                            span,
                        },
                    },
                    ExprKind::Float(f) => Expr {
                        kind: ExprKind::Float(-f),
                        span,
                    },
                    kind => Expr {
                        kind: ExprKind::Neg(Box::new(Expr {
                            kind,
                            span: rhs.span,
                        })),
                        span,
                    },
                }
            })
            .map_infix(|lhs, op, rhs| {
                let aop = match op.as_rule() {
                    Rule::add => ArithOp::Add,
                    Rule::sub => ArithOp::Sub,
                    Rule::mul => ArithOp::Mul,
                    Rule::div => ArithOp::Div,
                    _ => ArithOp::Mod,
                };
                let span = lhs.span.to(rhs.span);
                Expr {
                    kind: ExprKind::Arith {
                        op: aop,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                }
            })
            .parse(pair.into_inner());
        let b = cell.into_inner();
        self.restore(b);
        self.level -= ops;
        result
    }

    fn predicated(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut it = pair.into_inner();
        let Some(first) = it.next() else {
            return Expr {
                kind: ExprKind::Null,
                span: Span::default(),
            };
        };
        let Some(pred) = it.next().and_then(|p| p.into_inner().next()) else {
            return self.primary(first);
        };
        // The operand and the list of a predicate are one level below it.
        let lhs = self.nested_or_placeholder(1, first, Self::primary);
        let span = lhs.span.to(span_of(&pred));
        match pred.as_rule() {
            Rule::in_pred => {
                let mut negated = false;
                let mut insensitive = false;
                let mut list = Vec::new();
                for p in pred.into_inner() {
                    match p.as_rule() {
                        Rule::kw_not => negated = true,
                        Rule::in_kw => insensitive = p.as_str().ends_with('~'),
                        Rule::expr => list.push(self.nested_or_placeholder(1, p, Self::expr)),
                        _ => {}
                    }
                }
                Expr {
                    kind: ExprKind::In {
                        lhs: Box::new(lhs),
                        list,
                        negated,
                        insensitive,
                    },
                    span,
                }
            }
            _ => {
                let mut it = pred.into_inner();
                let op_pair = it.next();
                let op = match op_pair.as_ref().map(|p| p.as_str()) {
                    Some(":") => PatternOp::Colon,
                    Some("like") => PatternOp::Like,
                    Some("like~") => PatternOp::LikeInsensitive,
                    Some("regex") => PatternOp::Regex,
                    _ => PatternOp::RegexInsensitive,
                };
                let (patterns, list) = match it.next() {
                    Some(p) if p.as_rule() == Rule::paren_list => (
                        p.into_inner()
                            .map(|e| self.nested_or_placeholder(1, e, Self::expr))
                            .collect(),
                        true,
                    ),
                    Some(p) => (vec![self.nested_or_placeholder(1, p, Self::primary)], false),
                    None => (Vec::new(), false),
                };
                Expr {
                    kind: ExprKind::Pattern {
                        op,
                        lhs: Box::new(lhs),
                        patterns,
                        list,
                    },
                    span,
                }
            }
        }
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = span_of(&pair);
        let kind = match pair.as_rule() {
            Rule::kw_null => ExprKind::Null,
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::number => self.number(pair),
            Rule::string => ExprKind::Str(self.string(pair)),
            Rule::call => {
                let mut it = pair.into_inner();
                let name_pair = it.next();
                let raw = name_pair.as_ref().map(|p| p.as_str()).unwrap_or_default();
                let (name, insensitive) = match raw.strip_suffix('~') {
                    Some(n) => (n.to_string(), true),
                    None => (raw.to_string(), false),
                };
                let args = it
                    .map(|a| self.nested_or_placeholder(1, a, Self::expr))
                    .collect();
                ExprKind::Call {
                    name,
                    insensitive,
                    args,
                }
            }
            Rule::field => ExprKind::Field(self.field(pair)),
            Rule::expr => return self.expr(pair),
            _ => ExprKind::Null,
        };
        Expr { kind, span }
    }

    fn number(&mut self, pair: Pair<'_, Rule>) -> ExprKind {
        let span = span_of(&pair);
        let text = pair.as_str();
        let is_int = pair.into_inner().next().map(|p| p.as_rule()) == Some(Rule::integer);
        if is_int {
            match text.parse::<i64>() {
                Ok(n) => ExprKind::Int(n),
                Err(_) => {
                    self.err(
                        Code::Number,
                        span,
                        format!("integer `{}` does not fit in 64 bits", clip(text)),
                        "Elasticsearch numbers are 64-bit (long); use a smaller value",
                    );
                    ExprKind::Int(0)
                }
            }
        } else {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => ExprKind::Float(f),
                _ => {
                    self.err(
                        Code::Number,
                        span,
                        format!("number `{}` is out of range", clip(text)),
                        "use a smaller value",
                    );
                    ExprKind::Float(0.0)
                }
            }
        }
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> Field {
        let span = span_of(&pair);
        let mut optional = false;
        let mut path = String::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::optional_mark => optional = true,
                Rule::field_path => {
                    for seg in p.into_inner() {
                        match seg.as_rule() {
                            Rule::array_index => self.unsupported(
                                span_of(&seg),
                                &format!("array indexing `{}`", clip(seg.as_str())),
                                "a condition on a multi-valued field matches when any value matches; drop the index",
                            ),
                            Rule::backtick_ident => {
                                if !path.is_empty() {
                                    path.push('.');
                                }
                                path.push_str(&unquote_backtick(seg.as_str()));
                            }
                            _ => {
                                if !path.is_empty() {
                                    path.push('.');
                                }
                                path.push_str(seg.as_str());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Field {
            path,
            optional,
            span,
        }
    }

    /// Decode a string literal; report bad escapes at their own position.
    fn string(&mut self, pair: Pair<'_, Rule>) -> String {
        let Some(inner) = pair.into_inner().next() else {
            return String::new();
        };
        match inner.as_rule() {
            Rule::raw_string => inner
                .into_inner()
                .next()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            Rule::sq_string => {
                self.unsupported(
                    span_of(&inner),
                    "a single-quoted string",
                    "use double quotes: \"…\" (or \"\"\"…\"\"\" for a raw string)",
                );
                inner
                    .into_inner()
                    .next()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default()
            }
            _ => {
                let Some(body) = inner.into_inner().next() else {
                    return String::new();
                };
                let start = body.as_span().start();
                let (s, errs) = unescape(body.as_str(), start);
                self.errors.extend(errs);
                s
            }
        }
    }
}

/// One operand as itself, several as an n-ary chain (`make` is `ExprKind::And` or
/// `ExprKind::Or`) spanning them all.
fn chain(mut xs: Vec<Expr>, make: fn(Vec<Expr>) -> ExprKind, span: Span) -> Expr {
    match xs.len() {
        0 => Expr {
            kind: ExprKind::Bool(true),
            span,
        },
        1 => xs.pop().unwrap_or(Expr {
            kind: ExprKind::Bool(true),
            span,
        }),
        _ => {
            let span = xs[0].span.to(xs[xs.len() - 1].span);
            Expr {
                kind: make(xs),
                span,
            }
        }
    }
}

/// Stands in for a part the grammar guarantees but that is absent, so that building
/// goes on and reports the remaining errors instead of panicking.
fn placeholder_filter(span: Span) -> EventFilter {
    EventFilter {
        category: Category {
            kind: CategoryKind::Any,
            span,
        },
        condition: Expr {
            kind: ExprKind::Bool(true),
            span,
        },
        span,
    }
}

fn unquote_backtick(s: &str) -> String {
    let inner = s
        .strip_prefix('`')
        .and_then(|s| s.strip_suffix('`'))
        .unwrap_or(s);
    inner.replace("``", "`")
}

/// Decode the escapes of a `"…"` string body starting at byte `base` of the query.
///
/// Accepted: `\n \r \t \\ \" \'` (and `\b \f`, as Elasticsearch's lexer does) and
/// `\u{X…}` with 2 to 8 hex digits. `\'` is accepted although the syntax page says
/// otherwise, because an active Elastic rule uses it
/// (`execution_windows_powershell_susp_args`).
pub fn unescape(body: &str, base: usize) -> (String, Vec<Diagnostic>) {
    let mut out = String::with_capacity(body.len());
    let mut errors = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((j, e)) = chars.next() else {
            break;
        };
        match e {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'u' => {
                let rest = &body[j + 1..];
                let close = rest.find('}');
                let ok = rest.starts_with('{') && close.is_some();
                let hex = match (ok, close) {
                    (true, Some(c)) => &rest[1..c],
                    _ => "",
                };
                let valid_len =
                    (2..=8).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit());
                let value = if valid_len {
                    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                } else {
                    None
                };
                let end = match close {
                    Some(c) if ok => j + 1 + c + 1,
                    _ => j + 1,
                };
                match value {
                    Some(ch) => out.push(ch),
                    None => errors.push(
                        Diagnostic::error(
                            Code::Escape,
                            Span::new(base + i, base + end),
                            format!("invalid unicode escape `{}`", clip(&body[i..end])),
                        )
                        .with_help("write `\\u{XXXX}` with 2 to 8 hex digits naming a Unicode scalar value, e.g. `\\u{202E}`"),
                    ),
                }
                // Skip what the escape consumed.
                while let Some(&(k, _)) = chars.peek() {
                    if k < end {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            other => {
                errors.push(
                    Diagnostic::error(
                        Code::Escape,
                        Span::new(base + i, base + j + other.len_utf8()),
                        format!("invalid escape `\\{other}` in a string"),
                    )
                    .with_help(format!(
                        "write `\\\\{other}` for a backslash followed by `{other}`, or use a raw string \"\"\"…\"\"\" where backslashes are literal"
                    )),
                );
                out.push(other);
            }
        }
    }
    (out, errors)
}
