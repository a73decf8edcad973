//! Kibana's KQL grammar, ported rule by rule from `grammar.peggy` (kql-semantics.md A).
//!
//! Hand-written rather than pest: the peggy grammar is a PEG whose semantic actions
//! matter as much as its rules (`chars.join('').trim()`, the `null`/`true`/`false`
//! literals, the wildcard marker), and whose `Keyword` lookahead and ordered choices this
//! port mirrors one function per rule, in the same order, so that what Kibana accepts and
//! how it groups it can be read off side by side. Errors are reported as peggy does: at
//! the furthest position any rule failed, with what was expected there.
//!
//! ```text
//! start           = Space* OrQuery? Space*
//! OrQuery         = AndQuery (Or AndQuery)*            AndQuery = NotQuery (And NotQuery)*
//! NotQuery        = Not SubQuery / SubQuery
//! SubQuery        = '(' Space* OrQuery Space* ')' / NestedQuery
//! NestedQuery     = Field Space* ':' Space* '{' Space* OrQuery Space* '}' / Expression
//! Expression      = Field Space* RangeOp Space* Literal / Field Space* ':' Space* ListOfValues / Value
//! ListOfValues    = '(' Space* OrListOfValues Space* ')' / Value
//! (Or|And|Not)ListOfValues as the queries, over ListOfValues
//! Or = Space+ 'or'i Space+   And = Space+ 'and'i Space+   Not = 'not'i Space+
//! ```

use crate::ast::Span;
use crate::diagnostic::{Code, Diagnostic};

/// A piece of an unquoted value: a character or the unescaped `*` wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Char(char),
    Wildcard,
}

/// A literal (a field name or a value) as Kibana's parser builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LitKind {
    /// `"…"`: a string, never a wildcard.
    Quoted(String),
    /// An unquoted value without `*`, trimmed (numbers stay strings).
    Unquoted(String),
    /// An unquoted value with at least one unescaped `*` (trimmed).
    Wildcard(Vec<Piece>),
    Null,
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lit {
    pub kind: LitKind,
    pub span: Span,
}

impl Lit {
    /// The literal as text (`*` for a wildcard; `null`, `true`, `false`).
    pub fn text(&self) -> String {
        match &self.kind {
            LitKind::Quoted(s) | LitKind::Unquoted(s) => s.clone(),
            LitKind::Wildcard(p) => pieces_text(p),
            LitKind::Null => "null".into(),
            LitKind::Bool(b) => b.to_string(),
        }
    }

    /// A value that is exactly one unescaped `*` (exists).
    pub fn is_lone_wildcard(&self) -> bool {
        matches!(&self.kind, LitKind::Wildcard(p) if p == &[Piece::Wildcard])
    }
}

/// The pieces written back as text, `*` for the wildcard.
pub fn pieces_text(p: &[Piece]) -> String {
    p.iter()
        .map(|x| match x {
            Piece::Char(c) => *c,
            Piece::Wildcard => '*',
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl RangeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeOp::Lt => "lt",
            RangeOp::Le => "lte",
            RangeOp::Gt => "gt",
            RangeOp::Ge => "gte",
        }
    }
}

/// Kibana's KQL AST (`kuery/node_types`), with spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// The empty query (`is('*','*')`): matches every document.
    MatchAll,
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    /// `field:{ query }`.
    Nested {
        field: Lit,
        query: Box<Node>,
    },
    /// `field < value` …
    Range {
        field: Lit,
        op: RangeOp,
        value: Lit,
    },
    /// `field: value`, or free text (`field` is `None`).
    Is {
        field: Option<Lit>,
        value: Lit,
    },
}

/// The most nested groups (`(`, `{`) a KQL query may open, as for EQL
/// ([`crate::parser::MAX_NESTING_DEPTH`]): the parser, the lowering and both back ends
/// recurse once per level.
pub const MAX_KQL_DEPTH: usize = crate::parser::MAX_NESTING_DEPTH;

/// Where a query opens more than [`MAX_KQL_DEPTH`] groups (counting `(` and `{` outside
/// quoted strings and not escaped; an over-estimate is harmless: it only rejects).
fn too_deep(src: &str) -> Option<usize> {
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for (i, c) in src.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '(' | '{' if !quoted => {
                depth += 1;
                if depth > MAX_KQL_DEPTH {
                    return Some(i);
                }
            }
            ')' | '}' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Parse a KQL query, as Kibana's `fromKueryExpression` does.
pub fn parse_kql(src: &str) -> Result<Node, Diagnostic> {
    if src.len() > crate::parser::MAX_QUERY_LEN {
        return Err(Diagnostic::error(
            Code::Limit,
            Span::new(0, 0),
            format!(
                "query is {} bytes long; the limit is {} bytes",
                src.len(),
                crate::parser::MAX_QUERY_LEN
            ),
        )
        .with_help("split the rule into several rules"));
    }
    if let Some(at) = too_deep(src) {
        return Err(Diagnostic::error(
            Code::Limit,
            Span::new(at, at + 1),
            format!("query is nested more than {MAX_KQL_DEPTH} levels deep"),
        )
        .with_help("flatten the query: `a or (b or c)` is `a or b or c`"));
    }
    let mut p = P {
        s: src,
        pos: 0,
        fail_pos: 0,
        expected: Vec::new(),
    };
    p.spaces();
    let q = p.or_query();
    let q = match q {
        Some(q) => {
            p.spaces();
            q
        }
        None => Node::MatchAll,
    };
    if p.pos == src.len() {
        // An empty or all-space query matches everything.
        return Ok(q);
    }
    p.fail("end of input");
    Err(p.error())
}

struct P<'a> {
    s: &'a str,
    pos: usize,
    fail_pos: usize,
    expected: Vec<&'static str>,
}

const SPECIAL: &[char] = &['\\', '(', ')', ':', '<', '>', '"', '*', '{', '}'];

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{A0}')
}

/// JavaScript's `String.prototype.trim` whitespace.
fn is_js_trim(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

impl<'a> P<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn fail(&mut self, what: &'static str) {
        if self.pos > self.fail_pos {
            self.fail_pos = self.pos;
            self.expected.clear();
        }
        if self.pos == self.fail_pos && !self.expected.contains(&what) {
            self.expected.push(what);
        }
    }

    fn error(&self) -> Diagnostic {
        let found = match self.s[self.fail_pos..].chars().next() {
            Some(c) => format!("{c:?}"),
            None => "end of input".into(),
        };
        let mut expected: Vec<&str> = self.expected.clone();
        expected.sort_unstable();
        expected.dedup();
        let list = match expected.len() {
            0 => String::from("something else"),
            1 => expected[0].to_string(),
            n => format!("{} or {}", expected[..n - 1].join(", "), expected[n - 1]),
        };
        let end = self.s[self.fail_pos..]
            .chars()
            .next()
            .map_or(self.fail_pos, |c| self.fail_pos + c.len_utf8());
        Diagnostic::error(
            Code::Syntax,
            Span::new(self.fail_pos, end),
            format!("KQL syntax error: expected {list} but {found} found"),
        )
        .with_help(
            "Kibana rejects this query; in unquoted values escape \\ ( ) : < > \" * { } with a backslash, or quote the value",
        )
    }

    fn lit(&mut self, text: &'static str) -> bool {
        if self.rest().starts_with(text) {
            self.pos += text.len();
            true
        } else {
            self.fail(match text {
                "(" => "\"(\"",
                ")" => "\")\"",
                ":" => "\":\"",
                "{" => "\"{\"",
                "}" => "\"}\"",
                "\"" => "\"\\\"\"",
                _ => "a literal",
            });
            false
        }
    }

    fn spaces(&mut self) -> usize {
        let mut n = 0;
        while let Some(c) = self.peek() {
            if is_space(c) {
                self.pos += c.len_utf8();
                n += 1;
            } else {
                break;
            }
        }
        if n == 0 {
            self.fail("whitespace");
        }
        n
    }

    fn keyword_ci(&mut self, kw: &'static str) -> bool {
        let r = self.rest();
        if r.len() >= kw.len()
            && r.is_char_boundary(kw.len())
            && r[..kw.len()].eq_ignore_ascii_case(kw)
        {
            self.pos += kw.len();
            true
        } else {
            self.fail(match kw {
                "or" => "\"or\"",
                "and" => "\"and\"",
                _ => "\"not\"",
            });
            false
        }
    }

    /// `Space+ kw Space+` (Or, And).
    fn binary_kw(&mut self, kw: &'static str) -> bool {
        let save = self.pos;
        if self.spaces() > 0 && self.keyword_ci(kw) && self.spaces() > 0 {
            return true;
        }
        self.pos = save;
        false
    }

    /// `'not'i Space+`.
    fn not_kw(&mut self) -> bool {
        let save = self.pos;
        if self.keyword_ci("not") && self.spaces() > 0 {
            return true;
        }
        self.pos = save;
        false
    }

    /// The `Keyword` lookahead (Or / And / Not at this position), without consuming or
    /// recording failures.
    fn at_keyword(&mut self) -> bool {
        let (save, fp, ex) = (self.pos, self.fail_pos, self.expected.clone());
        let hit = self.binary_kw("or") || self.binary_kw("and") || self.not_kw();
        self.pos = save;
        self.fail_pos = fp;
        self.expected = ex;
        hit
    }

    fn or_query(&mut self) -> Option<Node> {
        self.chain(true, |p| p.and_query_inner())
    }

    fn and_query_inner(&mut self) -> Option<Node> {
        self.chain(false, |p| p.not_query())
    }

    /// `item (Or item)*` or `item (And item)*`, flattened into one n-ary node.
    fn chain(&mut self, or: bool, mut item: impl FnMut(&mut Self) -> Option<Node>) -> Option<Node> {
        let first = item(self)?;
        let mut items = vec![first];
        loop {
            let save = self.pos;
            if !self.binary_kw(if or { "or" } else { "and" }) {
                break;
            }
            match item(self) {
                Some(n) => items.push(n),
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        Some(if items.len() == 1 {
            items.pop()?
        } else if or {
            Node::Or(items)
        } else {
            Node::And(items)
        })
    }

    fn not_query(&mut self) -> Option<Node> {
        let save = self.pos;
        if self.not_kw() {
            if let Some(q) = self.sub_query() {
                return Some(Node::Not(Box::new(q)));
            }
            self.pos = save;
        }
        self.sub_query()
    }

    fn sub_query(&mut self) -> Option<Node> {
        let save = self.pos;
        if self.lit("(") {
            self.spaces();
            if let Some(q) = self.or_query() {
                self.spaces();
                if self.lit(")") {
                    return Some(q);
                }
            }
            self.pos = save;
        }
        self.nested_query()
    }

    fn nested_query(&mut self) -> Option<Node> {
        let save = self.pos;
        if let Some(field) = self.literal() {
            self.spaces();
            if self.lit(":") {
                self.spaces();
                if self.lit("{") {
                    self.spaces();
                    if let Some(q) = self.or_query() {
                        self.spaces();
                        if self.lit("}") {
                            return Some(Node::Nested {
                                field,
                                query: Box::new(q),
                            });
                        }
                    }
                }
            }
        }
        self.pos = save;
        self.expression()
    }

    fn expression(&mut self) -> Option<Node> {
        let save = self.pos;
        // FieldRangeExpression
        if let Some(field) = self.literal() {
            self.spaces();
            if let Some(op) = self.range_op() {
                self.spaces();
                if let Some(value) = self.literal() {
                    return Some(Node::Range { field, op, value });
                }
            }
        }
        self.pos = save;
        // FieldValueExpression
        if let Some(field) = self.literal() {
            self.spaces();
            if self.lit(":") {
                self.spaces();
                if let Some(n) = self.list_of_values(&field) {
                    return Some(n);
                }
            }
        }
        self.pos = save;
        // ValueExpression (free text)
        let value = self.literal()?;
        Some(Node::Is { field: None, value })
    }

    fn range_op(&mut self) -> Option<RangeOp> {
        for (t, op) in [
            ("<=", RangeOp::Le),
            (">=", RangeOp::Ge),
            ("<", RangeOp::Lt),
            (">", RangeOp::Gt),
        ] {
            if self.rest().starts_with(t) {
                self.pos += t.len();
                return Some(op);
            }
        }
        self.fail("a range operator");
        None
    }

    fn list_of_values(&mut self, field: &Lit) -> Option<Node> {
        let save = self.pos;
        if self.lit("(") {
            self.spaces();
            if let Some(n) = self.or_list(field) {
                self.spaces();
                if self.lit(")") {
                    return Some(n);
                }
            }
            self.pos = save;
        }
        let value = self.literal()?;
        Some(Node::Is {
            field: Some(field.clone()),
            value,
        })
    }

    fn or_list(&mut self, field: &Lit) -> Option<Node> {
        self.chain(true, |p| p.and_list(field))
    }

    fn and_list(&mut self, field: &Lit) -> Option<Node> {
        self.chain(false, |p| p.not_list(field))
    }

    fn not_list(&mut self, field: &Lit) -> Option<Node> {
        let save = self.pos;
        if self.not_kw() {
            if let Some(q) = self.list_of_values(field) {
                return Some(Node::Not(Box::new(q)));
            }
            self.pos = save;
        }
        self.list_of_values(field)
    }

    /// `Literal = QuotedString / UnquotedLiteral`.
    fn literal(&mut self) -> Option<Lit> {
        let start = self.pos;
        if let Some(s) = self.quoted() {
            return Some(Lit {
                kind: LitKind::Quoted(s),
                span: Span::new(start, self.pos),
            });
        }
        self.pos = start;
        self.unquoted()
    }

    fn quoted(&mut self) -> Option<String> {
        if !self.lit("\"") {
            return None;
        }
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.fail("\"\\\"\"");
                return None;
            };
            if c == '"' {
                self.pos += 1;
                return Some(out);
            }
            if c == '\\' {
                if let Some(e) = self.escaped_whitespace().or_else(|| self.escaped_unicode()) {
                    out.push(e);
                    continue;
                }
                let next = self.rest()[1..].chars().next();
                if let Some(n @ ('\\' | '"')) = next {
                    out.push(n);
                    self.pos += 2;
                    continue;
                }
            }
            // `[^"]`: any other character, a lone backslash included.
            out.push(c);
            self.pos += c.len_utf8();
        }
    }

    fn escaped_whitespace(&mut self) -> Option<char> {
        let r = self.rest();
        let c = match r.get(..2)? {
            "\\t" => '\t',
            "\\r" => '\r',
            "\\n" => '\n',
            _ => return None,
        };
        self.pos += 2;
        Some(c)
    }

    /// `\uXXXX`: one UTF-16 unit (an unpaired surrogate becomes U+FFFD; a pair written as
    /// two escapes is joined).
    fn escaped_unicode(&mut self) -> Option<char> {
        let unit = |s: &str| -> Option<u16> {
            let h = s.get(..6)?;
            let hex = h.strip_prefix("\\u")?;
            if hex.chars().all(|c| c.is_ascii_hexdigit()) {
                u16::from_str_radix(hex, 16).ok()
            } else {
                None
            }
        };
        let first = unit(self.rest())?;
        self.pos += 6;
        if (0xD800..0xDC00).contains(&first) {
            if let Some(second) = unit(self.rest()) {
                if (0xDC00..0xE000).contains(&second) {
                    self.pos += 6;
                    return char::decode_utf16([first, second]).next()?.ok();
                }
            }
        }
        Some(char::from_u32(u32::from(first)).unwrap_or('\u{FFFD}'))
    }

    fn unquoted(&mut self) -> Option<Lit> {
        let start = self.pos;
        let mut pieces: Vec<Piece> = Vec::new();
        while let Some(c) = self.peek() {
            if c == '\\' {
                if let Some(e) = self.escaped_whitespace() {
                    pieces.push(Piece::Char(e));
                    continue;
                }
                // EscapedSpecialCharacter
                if let Some(n) = self.rest()[1..].chars().next() {
                    if SPECIAL.contains(&n) {
                        pieces.push(Piece::Char(n));
                        self.pos += 1 + n.len_utf8();
                        continue;
                    }
                }
                if let Some(e) = self.escaped_unicode() {
                    pieces.push(Piece::Char(e));
                    continue;
                }
                // EscapedKeyword: `\or`, `\and`, `\not` (any case).
                let r = &self.rest()[1..];
                let kw = ["and", "not", "or"].into_iter().find(|k| {
                    r.len() >= k.len()
                        && r.is_char_boundary(k.len())
                        && r[..k.len()].eq_ignore_ascii_case(k)
                });
                if let Some(k) = kw {
                    pieces.extend(r[..k.len()].chars().map(Piece::Char));
                    self.pos += 1 + k.len();
                    continue;
                }
                self.fail("an escape sequence");
                break;
            }
            if c == '*' {
                pieces.push(Piece::Wildcard);
                self.pos += 1;
                continue;
            }
            if SPECIAL.contains(&c) {
                self.fail("a value character");
                break;
            }
            if self.at_keyword() {
                self.fail("a value character");
                break;
            }
            pieces.push(Piece::Char(c));
            self.pos += c.len_utf8();
        }
        if pieces.is_empty() {
            self.pos = start;
            self.fail("a value");
            return None;
        }
        let span = Span::new(start, self.pos);
        // `chars.join('').trim()`
        let is_trim = |p: &Piece| matches!(p, Piece::Char(c) if is_js_trim(*c));
        let first = pieces
            .iter()
            .position(|p| !is_trim(p))
            .unwrap_or(pieces.len());
        let last = pieces
            .iter()
            .rposition(|p| !is_trim(p))
            .map_or(first, |i| i + 1);
        let pieces = pieces[first..last.max(first)].to_vec();
        let has_wildcard = pieces.contains(&Piece::Wildcard);
        let text = pieces_text(&pieces);
        let kind = if !has_wildcard && text == "null" {
            LitKind::Null
        } else if !has_wildcard && text == "true" {
            LitKind::Bool(true)
        } else if !has_wildcard && text == "false" {
            LitKind::Bool(false)
        } else if has_wildcard {
            LitKind::Wildcard(pieces)
        } else {
            LitKind::Unquoted(text)
        };
        Some(Lit { kind, span })
    }
}
