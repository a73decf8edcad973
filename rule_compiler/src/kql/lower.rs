//! Typed lowering of a KQL AST into the IR's conditions, as Kibana's `@kbn/es-query`
//! builds the DSL with field types loaded (kql-semantics.md B.3, D.2, E.2) and as
//! Elasticsearch then matches it on each field type (C).
//!
//! Each `is` / `range` leaf becomes one [`Leaf::Kql`] per resolved field (OR-ed): the
//! field's indexing (from [`Mappings`]) and the query Kibana sends for it:
//!
//! | field type | `f: v` | `f: "v"` | `f: v*` | `f: *` | `f > v` |
//! |---|---|---|---|---|---|
//! | keyword | term | term | wildcard (no split) | exists | byte-wise range |
//! | wildcard, constant_keyword | exact | exact | query_string clauses | exists | byte-wise range |
//! | text, match_only_text | any token | phrase | query_string clauses on tokens | exists | error |
//! | long … float | number | number | error | exists | numeric range |
//! | ip | address / CIDR | address / CIDR | error | exists | address range |
//! | boolean | true / false | true / false | error | exists | error |
//! | unmapped | term / number / boolean by the value's JSON kind | same | wildcard | exists | both |
//!
//! Query-time errors of Elasticsearch (a wildcard on an ip field, a non-numeric value on a
//! numeric field) are compile errors here (E.8).

use super::mapping::{FieldMapping, Mappings};
use super::parser::{Lit, LitKind, Node, Piece, RangeOp};
use crate::ast::Span;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Cond, FieldId, Leaf};
use rule_runtime::cmp::CmpOp;
use rule_runtime::kql::{
    analyze, java_lowercase, lowercase_wildcard_pattern, Analyzer, Indexing, KqlNumber, KqlTest,
    Query,
};
use std::collections::BTreeMap;

/// Lowers KQL nodes, interning field paths.
pub struct KqlLowerer<'m> {
    pub mappings: &'m Mappings,
    /// Field path → id, in first-use order.
    pub ids: BTreeMap<String, FieldId>,
    pub diagnostics: Vec<Diagnostic>,
    /// The query text (for lints that look at how a value was written).
    pub source: String,
}

/// How a resolved field is typed.
#[derive(Debug, Clone)]
enum Kind {
    Keyword {
        lowercase: bool,
        ignore_above: Option<u32>,
    },
    /// `wildcard`, `constant_keyword`: not `keyword` for Kibana (match / query_string),
    /// exact and case-sensitive in Elasticsearch.
    Exact,
    Text(Analyzer),
    Integer,
    Float,
    Ip,
    Boolean,
    Unmapped,
    /// A type KQL cannot be matched on here (its name).
    Unsupported(String),
}

fn kind_of(m: Option<&FieldMapping>) -> Kind {
    let Some(m) = m else { return Kind::Unmapped };
    match m.es_type.as_str() {
        "keyword" => Kind::Keyword {
            lowercase: m.lowercase,
            ignore_above: m.ignore_above,
        },
        "wildcard" | "constant_keyword" => Kind::Exact,
        "text" | "match_only_text" => match m.analyzer {
            Some(a) => Kind::Text(a),
            None => Kind::Unsupported(format!("{} (unknown analyzer)", m.es_type)),
        },
        "long" | "integer" | "short" | "byte" | "unsigned_long" => Kind::Integer,
        "float" | "double" | "half_float" | "scaled_float" => Kind::Float,
        "ip" => Kind::Ip,
        "boolean" => Kind::Boolean,
        other => Kind::Unsupported(other.to_string()),
    }
}

impl Kind {
    fn indexing(&self) -> Indexing {
        match self {
            Kind::Keyword { lowercase, .. } => Indexing::Keyword {
                lowercase: *lowercase,
            },
            Kind::Exact => Indexing::Keyword { lowercase: false },
            Kind::Text(a) => Indexing::Text(*a),
            Kind::Integer => Indexing::Integer,
            Kind::Float => Indexing::Float,
            Kind::Ip => Indexing::Ip,
            Kind::Boolean => Indexing::Boolean,
            Kind::Unmapped => Indexing::Dynamic,
            Kind::Unsupported(_) => Indexing::Presence,
        }
    }

    fn ignore_above(&self) -> Option<u32> {
        match self {
            Kind::Keyword { ignore_above, .. } => *ignore_above,
            _ => None,
        }
    }
}

/// A literal (escaped) character of a Lucene wildcard pattern.
fn push_escaped(out: &mut String, c: char) {
    if matches!(c, '*' | '?' | '\\') {
        out.push('\\');
    }
    out.push(c);
}

/// KQL wildcard pieces as a Lucene wildcard pattern (`*` the only wildcard; `?` and a
/// KQL-escaped `\*` literal, as Kibana's escaping makes them, B.5).
pub fn lucene_pattern(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Wildcard => out.push('*'),
            Piece::Char(c) => push_escaped(&mut out, *c),
        }
    }
    out
}

/// A KQL wildcard value split as Lucene's classic query parser splits a `query_string`
/// on unescaped whitespace (C.5): the clauses, each a list of pieces.
fn query_string_clauses(pieces: &[Piece]) -> Vec<Vec<Piece>> {
    pieces
        .split(|p| matches!(p, Piece::Char(c) if c.is_whitespace()))
        .filter(|c| !c.is_empty())
        .map(<[Piece]>::to_vec)
        .collect()
}

fn parse_number(text: &str) -> Option<KqlNumber> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(KqlNumber::Int(i));
    }
    let f: f64 = t.parse().ok()?;
    f.is_finite().then_some(KqlNumber::Float(f))
}

/// `[lo, hi]` of an address or CIDR block.
fn ip_bounds(text: &str) -> Option<(u128, u128)> {
    if text.contains('/') {
        let c = rule_runtime::cidr::Cidr::parse(text).ok()?;
        let net = rule_runtime::cidr::ip_key(c.network());
        let bits = u32::from(c.prefix_len()) + if c.network().is_ipv4() { 96 } else { 0 };
        let host = if bits >= 128 { 0 } else { u128::MAX >> bits };
        Some((net & !host, net | host))
    } else {
        let k = rule_runtime::cidr::parse_ip_key(text)?;
        Some((k, k))
    }
}

fn cmp_op(op: RangeOp) -> CmpOp {
    match op {
        RangeOp::Lt => CmpOp::Lt,
        RangeOp::Le => CmpOp::Le,
        RangeOp::Gt => CmpOp::Gt,
        RangeOp::Ge => CmpOp::Ge,
    }
}

impl<'m> KqlLowerer<'m> {
    pub fn new(mappings: &'m Mappings) -> Self {
        KqlLowerer {
            mappings,
            ids: BTreeMap::new(),
            diagnostics: Vec::new(),
            source: String::new(),
        }
    }

    fn lint(&mut self, span: Span, message: String, help: &str) {
        if span.end > span.start {
            self.diagnostics.push(
                Diagnostic::warning(Code::KqlLint, span, message).with_help(help.to_string()),
            );
        }
    }

    /// Lints (warnings only, never a change of meaning) for a value on a field of `kind`
    /// (kql-semantics.md D.7, E.1).
    fn lint_value(&mut self, path: &str, kind: &Kind, value: &Lit) {
        let written = self
            .source
            .get(value.span.start..value.span.end)
            .unwrap_or("")
            .to_string();
        match &value.kind {
            LitKind::Quoted(s) => {
                if s.contains('*') {
                    self.lint(
                        value.span,
                        format!("`*` inside quotes is a literal asterisk: `{path}` must contain `*` itself"),
                        "remove the quotes (and escape special characters with `\\`) to make `*` a wildcard",
                    );
                }
                let body = written.get(1..written.len().saturating_sub(1)).unwrap_or("");
                let mut escapes = Vec::new();
                let mut it = body.chars();
                while let Some(c) = it.next() {
                    if c == '\\' {
                        if let Some(e @ ('t' | 'r' | 'n')) = it.next() {
                            escapes.push(format!("\\{e}"));
                        }
                    }
                }
                if !escapes.is_empty() {
                    escapes.dedup();
                    self.lint(
                        value.span,
                        format!(
                            "{} in a quoted KQL value is a control character (TAB, CR, LF), not a backslash and a letter",
                            escapes.join(", ")
                        ),
                        "write `\\\\` for a backslash inside quotes (`\"C:\\\\temp\"`)",
                    );
                }
            }
            LitKind::Unquoted(s) if s.contains('?') => self.lint(
                value.span,
                format!("`?` is a literal character in KQL, not a one-character wildcard: `{path}` must contain `?`"),
                "KQL has only the `*` wildcard (kql-semantics.md A.4)",
            ),
            LitKind::Wildcard(p) => {
                if p.contains(&Piece::Char('?')) {
                    self.lint(
                        value.span,
                        format!("`?` is a literal character in KQL wildcards: `{path}` must contain `?`"),
                        "KQL has only the `*` wildcard (kql-semantics.md A.4)",
                    );
                }
                if p.iter().any(|x| matches!(x, Piece::Char(c) if c.is_whitespace())) {
                    let what = if p.contains(&Piece::Char('\n')) {
                        "a newline (two values without `or` between them?)"
                    } else {
                        "whitespace"
                    };
                    self.lint(
                        value.span,
                        format!("this wildcard value contains {what}"),
                        "values in a list need `or` between them; on non-keyword fields whitespace also splits the pattern into alternatives (kql-semantics.md A.5, C.5)",
                    );
                }
            }
            _ => {}
        }
        if let (Kind::Text(a), LitKind::Unquoted(s)) = (kind, &value.kind) {
            let mut tokens = Vec::new();
            analyze(*a, s, &mut tokens);
            if tokens.len() > 1 {
                self.lint(
                    value.span,
                    format!(
                        "`{path}` is analysed: the unquoted `{s}` matches any one of the tokens {}",
                        tokens.join(", ")
                    ),
                    "quote the value to match the words in this order (a phrase)",
                );
            }
        }
    }

    pub fn field(&mut self, path: &str) -> FieldId {
        let next = self.ids.len() as FieldId;
        *self.ids.entry(path.to_string()).or_insert(next)
    }

    fn error(&mut self, span: Span, msg: impl Into<String>, help: &str) -> Cond {
        self.diagnostics
            .push(Diagnostic::error(Code::Kql, span, msg).with_help(help.to_string()));
        Cond::Const(false)
    }

    /// Lower a node (`prefix`: the nested path, inside `f:{…}`).
    pub fn cond(&mut self, n: &Node, prefix: &str) -> Cond {
        match n {
            Node::MatchAll => Cond::Const(true),
            Node::Or(xs) => Cond::Or(xs.iter().map(|x| self.cond(x, prefix)).collect()),
            Node::And(xs) => Cond::And(xs.iter().map(|x| self.cond(x, prefix)).collect()),
            Node::Not(x) => Cond::Not(Box::new(self.cond(x, prefix))),
            Node::Nested { field, query } => {
                let path = format!("{prefix}{}", field.text());
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::Kql,
                        field.span,
                        format!("nested query on `{path}` is evaluated over the flattened field values"),
                    )
                    .with_help("eqlc reads fields as flattened value lists: conditions inside `f:{…}` may be satisfied by different objects of the array (Elasticsearch requires one object)"),
                );
                self.cond(query, &format!("{path}."))
            }
            Node::Is { field: None, value } => self.error(
                value.span,
                format!("free-text KQL (`{}` without a field) is not supported", value.text()),
                "name the field: `field: value` (free text depends on the index's default fields, kql-semantics.md E.13)",
            ),
            Node::Is {
                field: Some(field),
                value,
            } => {
                let fields = match self.resolve(field, prefix) {
                    Ok(f) => f,
                    Err(c) => return c,
                };
                if fields.is_empty() {
                    // `*: *` matches every document.
                    return Cond::Const(true);
                }
                let leaves: Vec<Cond> = fields
                    .iter()
                    .map(|(path, m)| self.is_leaf(path, m.as_ref(), value))
                    .collect();
                one_or_any(leaves)
            }
            Node::Range { field, op, value } => {
                let fields = match self.resolve(field, prefix) {
                    Ok(f) => f,
                    Err(c) => return c,
                };
                let leaves: Vec<Cond> = fields
                    .iter()
                    .map(|(path, m)| self.range_leaf(path, m.as_ref(), *op, value))
                    .collect();
                one_or_any(leaves)
            }
        }
    }

    /// The fields a field name stands for, with their mappings.
    #[allow(clippy::type_complexity)]
    fn resolve(
        &mut self,
        field: &Lit,
        prefix: &str,
    ) -> Result<Vec<(String, Option<FieldMapping>)>, Cond> {
        match &field.kind {
            LitKind::Wildcard(pieces) => {
                if pieces == &[Piece::Wildcard] && prefix.is_empty() {
                    return Ok(Vec::new());
                }
                let mut pattern = String::new();
                for c in prefix.chars() {
                    push_escaped(&mut pattern, c);
                }
                pattern.push_str(&lucene_pattern(pieces));
                let found: Vec<(String, Option<FieldMapping>)> = self
                    .mappings
                    .matching(&pattern)
                    .into_iter()
                    .filter_map(|p| {
                        let m = self.mappings.get(&p)?;
                        (!matches!(m.es_type.as_str(), "object" | "nested" | "flattened"))
                            .then_some((p, Some(m)))
                    })
                    .collect();
                if found.is_empty() {
                    return Err(self.error(
                        field.span,
                        format!("the field-name wildcard `{prefix}{}` matches no field of eqlc's schemas", field.text()),
                        "Kibana expands field-name wildcards against the indices' mappings; eqlc expands them against its bundled schemas only (kql-semantics.md E.14): name the fields",
                    ));
                }
                Ok(found)
            }
            _ => {
                let path = format!("{prefix}{}", field.text());
                let m = self.mappings.get(&path);
                if m.as_ref().is_some_and(|m| m.es_type == "nested") {
                    return Err(self.error(
                        field.span,
                        format!("`{path}` is a nested field, but is not in a nested group"),
                        "Kibana rejects this query (kql-semantics.md B.4): query nested fields as `path:{ child: value }`",
                    ));
                }
                if prefix.is_empty() {
                    if let Some(parent) = self.mappings.nested_parent(&path) {
                        let parent = parent.to_string();
                        return Err(self.error(
                            field.span,
                            format!("`{path}` is a field of the nested field `{parent}`, but is not in a nested group"),
                            "Kibana rejects this query (kql-semantics.md B.4): write `parent:{ child: value }`",
                        ));
                    }
                }
                Ok(vec![(path, m)])
            }
        }
    }

    fn leaf(&mut self, path: &str, kind: &Kind, query: Query) -> Cond {
        let field = self.field(path);
        Cond::Leaf(Leaf::Kql {
            field,
            test: KqlTest {
                indexing: kind.indexing(),
                ignore_above: kind.ignore_above(),
                query,
            },
        })
    }

    /// A query on a field mapped neither indexed nor with doc values: `exists` is false
    /// there, anything else fails the whole query in Elasticsearch (C.6, C.8, E.8).
    fn unsearchable(&mut self, path: &str, span: Span, exists: bool) -> Option<Cond> {
        if exists {
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::Kql,
                    span,
                    format!("`{path}` is mapped without index and doc values: `{path}:*` never matches"),
                )
                .with_help("Elasticsearch has no indexed value of this field to find (kql-semantics.md C.6)"),
            );
            return Some(Cond::Const(false));
        }
        Some(self.error(
            span,
            format!("`{path}` is mapped without index and doc values: Elasticsearch rejects queries on it"),
            "the whole query fails in Elasticsearch, so the rule never alerts there (kql-semantics.md C.8, E.8); query another field",
        ))
    }

    fn is_leaf(&mut self, path: &str, m: Option<&FieldMapping>, value: &Lit) -> Cond {
        if m.is_some_and(|m| !m.searchable) {
            if let Some(c) = self.unsearchable(path, value.span, value.is_lone_wildcard()) {
                return c;
            }
        }
        let kind = kind_of(m);
        if value.is_lone_wildcard() {
            return self.leaf(path, &kind, Query::Exists);
        }
        self.lint_value(path, &kind, value);
        if let Kind::Unsupported(t) = &kind {
            return self.error(
                value.span,
                format!("`{path}` is mapped `{t}`, which eqlc cannot match KQL values on"),
                "only `f:*` (exists) works on this field here; see DESIGN.md, KQL",
            );
        }
        let span = value.span;
        let query = match (&value.kind, &kind) {
            (LitKind::Null, _) => {
                return self.error(
                    span,
                    "the KQL value `null` makes Elasticsearch reject the query",
                    "to test that a field is absent write `not f:*`; to match the text null quote it: `f:\"null\"`",
                )
            }
            (LitKind::Wildcard(pieces), _) => match self.wildcard_query(path, &kind, pieces, span) {
                Ok(q) => q,
                Err(c) => return c,
            },
            (lit, Kind::Keyword { lowercase, .. }) => {
                let t = lit_text(lit);
                Query::Term(if *lowercase { java_lowercase(&t) } else { t }.into())
            }
            (lit, Kind::Exact) => Query::Term(lit_text(lit).into()),
            (lit, Kind::Text(a)) => {
                let mut tokens = Vec::new();
                analyze(*a, &lit_text(lit), &mut tokens);
                let tokens: Vec<std::borrow::Cow<'static, str>> =
                    tokens.into_iter().map(Into::into).collect();
                if matches!(lit, LitKind::Quoted(_)) {
                    Query::Phrase(tokens.into())
                } else {
                    Query::AnyToken(tokens.into())
                }
            }
            (lit, Kind::Integer | Kind::Float) => match parse_number(&lit_text(lit)) {
                Some(n) => Query::Number {
                    op: CmpOp::Eq,
                    value: n,
                },
                None => {
                    return self.error(
                        span,
                        format!("`{path}` is numeric and `{}` is not a number", lit_text(lit)),
                        "Elasticsearch fails the whole query on this (kql-semantics.md C.4, E.8)",
                    )
                }
            },
            (lit, Kind::Ip) => match ip_bounds(&lit_text(lit)) {
                Some((lo, hi)) => Query::IpIn { lo, hi },
                None => {
                    return self.error(
                        span,
                        format!("`{path}` is an ip field and `{}` is not an address or CIDR block", lit_text(lit)),
                        "Elasticsearch fails the whole query on this (kql-semantics.md C.4, E.8)",
                    )
                }
            },
            (lit, Kind::Boolean) => match lit_text(lit).as_str() {
                "true" => Query::Bool(true),
                "false" => Query::Bool(false),
                other => {
                    return self.error(
                        span,
                        format!("`{path}` is a boolean field and `{other}` is not true or false"),
                        "Elasticsearch fails the whole query on this (kql-semantics.md E.8)",
                    )
                }
            },
            (lit, Kind::Unmapped) => Query::DynamicTerm(lit_text(lit).into()),
            (_, Kind::Unsupported(_)) => Query::Exists,
        };
        self.leaf(path, &kind, query)
    }

    fn wildcard_query(
        &mut self,
        path: &str,
        kind: &Kind,
        pieces: &[Piece],
        span: Span,
    ) -> Result<Query, Cond> {
        Ok(match kind {
            // Kibana's typed `wildcard` query: the whole value, spaces included.
            Kind::Keyword { lowercase, .. } => {
                let p = lucene_pattern(pieces);
                Query::Wildcard {
                    pattern: if *lowercase {
                        lowercase_wildcard_pattern(&p)
                    } else {
                        p
                    }
                    .into(),
                    case_insensitive: false,
                }
            }
            // Kibana cannot type it: `query_string`; eqlc assumes `keyword` (E.3).
            Kind::Unmapped => Query::Wildcard {
                pattern: lucene_pattern(pieces).into(),
                case_insensitive: false,
            },
            // `query_string`: whitespace splits clauses (OR), a lone `*` is exists.
            Kind::Exact | Kind::Text(_) => {
                let clauses: Vec<Query> = query_string_clauses(pieces)
                    .iter()
                    .map(|c| {
                        let has_wildcard = c.contains(&Piece::Wildcard);
                        match kind {
                            _ if c.iter().all(|p| *p == Piece::Wildcard) => Query::Exists,
                            Kind::Text(a) if !has_wildcard => {
                                let mut tokens = Vec::new();
                                analyze(*a, &super::parser::pieces_text(c), &mut tokens);
                                Query::AnyToken(
                                    tokens
                                        .into_iter()
                                        .map(Into::into)
                                        .collect::<Vec<_>>()
                                        .into(),
                                )
                            }
                            Kind::Text(_) => Query::TokenWildcard(
                                lowercase_wildcard_pattern(&lucene_pattern(c)).into(),
                            ),
                            _ if !has_wildcard => Query::Term(super::parser::pieces_text(c).into()),
                            _ => Query::Wildcard {
                                pattern: lucene_pattern(c).into(),
                                case_insensitive: false,
                            },
                        }
                    })
                    .collect();
                if clauses.len() == 1 {
                    clauses.into_iter().next().unwrap_or(Query::Exists)
                } else {
                    Query::AnyOf(clauses.into())
                }
            }
            Kind::Integer | Kind::Float | Kind::Ip | Kind::Boolean | Kind::Unsupported(_) => {
                let t = match kind {
                    Kind::Integer | Kind::Float => "numeric",
                    Kind::Ip => "ip",
                    Kind::Boolean => "boolean",
                    _ => "this",
                };
                return Err(self.error(
                    span,
                    format!("a wildcard on the {t} field `{path}` makes Elasticsearch reject the query"),
                    "Elasticsearch can only run wildcard queries on keyword and text fields (kql-semantics.md C.4, E.8)",
                ));
            }
        })
    }

    fn range_leaf(
        &mut self,
        path: &str,
        m: Option<&FieldMapping>,
        op: RangeOp,
        value: &Lit,
    ) -> Cond {
        if m.is_some_and(|m| !m.searchable) {
            if let Some(c) = self.unsearchable(path, value.span, false) {
                return c;
            }
        }
        let kind = kind_of(m);
        let op = cmp_op(op);
        let text = value.text();
        let span = value.span;
        let query = match &kind {
            Kind::Integer | Kind::Float => match parse_number(&text) {
                Some(n) => Query::Number { op, value: n },
                None => {
                    return self.error(
                        span,
                        format!("`{path}` is numeric and the range bound `{text}` is not a number"),
                        "Elasticsearch fails the whole query on this (kql-semantics.md E.8)",
                    )
                }
            },
            Kind::Ip => match rule_runtime::cidr::parse_ip_key(&text) {
                Some(k) => Query::IpRange { op, value: k },
                None => {
                    return self.error(
                        span,
                        format!("`{path}` is an ip field and the range bound `{text}` is not an address"),
                        "Elasticsearch fails the whole query on this (kql-semantics.md E.8)",
                    )
                }
            },
            Kind::Keyword { lowercase, .. } => Query::TextRange {
                op,
                value: if *lowercase { java_lowercase(&text) } else { text }.into(),
            },
            Kind::Exact => Query::TextRange {
                op,
                value: text.into(),
            },
            Kind::Unmapped => {
                let mut qs = vec![Query::TextRange {
                    op,
                    value: text.clone().into(),
                }];
                if let Some(n) = parse_number(&text) {
                    qs.push(Query::Number { op, value: n });
                }
                Query::AnyOf(qs.into())
            }
            Kind::Text(_) | Kind::Boolean | Kind::Unsupported(_) => {
                return self.error(
                    span,
                    format!("a range on `{path}` is not supported here (its type cannot be compared in order)"),
                    "ranges work on numeric, ip and keyword fields (kql-semantics.md C.7)",
                )
            }
        };
        self.leaf(path, &kind, query)
    }
}

/// The text of a non-wildcard literal (`true`/`false` as words).
fn lit_text(l: &LitKind) -> String {
    match l {
        LitKind::Quoted(s) | LitKind::Unquoted(s) => s.clone(),
        LitKind::Bool(b) => b.to_string(),
        LitKind::Null => "null".into(),
        LitKind::Wildcard(p) => super::parser::pieces_text(p),
    }
}

fn one_or_any(mut leaves: Vec<Cond>) -> Cond {
    if leaves.len() == 1 {
        leaves.pop().unwrap_or(Cond::Const(false))
    } else {
        Cond::Or(leaves)
    }
}

/// A Query DSL filter of `[[rule.filters]]` lowered (E.12): `wildcard` (with
/// `case_insensitive`), `exists`, `term`, `terms`, `match_phrase`, `bool`. `Err` names the
/// shape eqlc does not evaluate.
pub fn filter_cond(l: &mut KqlLowerer<'_>, q: &toml::Value) -> Result<Cond, String> {
    let t = q.as_table().ok_or("a filter query is a table")?;
    if t.len() != 1 {
        return Err(format!(
            "a filter query with {} keys ({})",
            t.len(),
            t.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let (kind, body) = t.iter().next().ok_or("an empty filter query")?;
    let body_t = body.as_table();
    let single = || -> Result<(&String, &toml::Value), String> {
        let b = body_t.ok_or_else(|| format!("`{kind}` is not a table"))?;
        if b.len() != 1 {
            return Err(format!("`{kind}` on {} fields", b.len()));
        }
        b.iter()
            .next()
            .ok_or_else(|| format!("`{kind}` names no field"))
    };
    match kind.as_str() {
        "exists" => {
            let f = body
                .get("field")
                .and_then(|f| f.as_str())
                .ok_or("`exists` without a `field`")?;
            let kind = kind_of(l.mappings.get(f).as_ref());
            Ok(l.leaf(f, &kind, Query::Exists))
        }
        "wildcard" => {
            let (f, v) = single()?;
            let (pattern, ci) = match v {
                toml::Value::String(s) => (s.clone(), false),
                toml::Value::Table(t) => {
                    let known = ["value", "wildcard", "case_insensitive", "boost", "rewrite"];
                    if let Some(k) = t.keys().find(|k| !known.contains(&k.as_str())) {
                        return Err(format!("`wildcard` with `{k}`"));
                    }
                    let p = t
                        .get("value")
                        .or_else(|| t.get("wildcard"))
                        .and_then(|x| x.as_str())
                        .ok_or("`wildcard` without a `value`")?;
                    let ci = t
                        .get("case_insensitive")
                        .and_then(|x| x.as_bool())
                        .unwrap_or(false);
                    (p.to_string(), ci)
                }
                _ => return Err("`wildcard` with a value that is not a string".into()),
            };
            let kind = kind_of(l.mappings.get(f).as_ref());
            let pattern = match &kind {
                // The keyword normalizer applies to the pattern whatever the flag (C.1).
                Kind::Keyword {
                    lowercase: true, ..
                } => lowercase_wildcard_pattern(&pattern),
                Kind::Keyword { .. } | Kind::Exact | Kind::Unmapped => pattern,
                other => return Err(format!("`wildcard` on `{f}`, a {other:?} field")),
            };
            Ok(l.leaf(
                f,
                &kind,
                Query::Wildcard {
                    pattern: pattern.into(),
                    case_insensitive: ci,
                },
            ))
        }
        "term" | "match_phrase" | "terms" => {
            let (f, v) = single()?;
            let values: Vec<String> =
                match (kind.as_str(), v) {
                    ("terms", toml::Value::Array(a)) => a
                        .iter()
                        .map(|x| scalar_text(x).ok_or("a `terms` value that is not a scalar"))
                        .collect::<Result<_, _>>()?,
                    ("terms", _) => return Err("`terms` without a list".into()),
                    (_, toml::Value::Table(t)) => {
                        let x = t
                            .get("value")
                            .or_else(|| t.get("query"))
                            .ok_or_else(|| format!("`{kind}` without a value"))?;
                        vec![scalar_text(x)
                            .ok_or_else(|| format!("`{kind}` with a non-scalar value"))?]
                    }
                    (_, x) => vec![scalar_text(x)
                        .ok_or_else(|| format!("`{kind}` with a non-scalar value"))?],
                };
            let value_kind = if kind == "match_phrase" {
                |s: String| LitKind::Quoted(s)
            } else {
                |s: String| LitKind::Unquoted(s)
            };
            let m = l.mappings.get(f);
            if kind != "match_phrase" && matches!(kind_of(m.as_ref()), Kind::Text(_)) {
                return Err(format!("`{kind}` on the analysed field `{f}`"));
            }
            let leaves = values
                .into_iter()
                .map(|s| {
                    let lit = Lit {
                        kind: value_kind(s),
                        span: Span::new(0, 0),
                    };
                    l.is_leaf(f, m.as_ref(), &lit)
                })
                .collect();
            Ok(one_or_any(leaves))
        }
        "bool" => {
            let b = body_t.ok_or("`bool` is not a table")?;
            let mut all = Vec::new();
            let mut should: Vec<Cond> = Vec::new();
            let mut msm: Option<i64> = None;
            for (k, v) in b {
                let items: Vec<&toml::Value> = match v {
                    toml::Value::Array(a) => a.iter().collect(),
                    x => vec![x],
                };
                let conds: Vec<Cond> = match k.as_str() {
                    "minimum_should_match" => {
                        msm = Some(
                            v.as_integer()
                                .ok_or("`minimum_should_match` that is not an integer")?,
                        );
                        continue;
                    }
                    "must" | "filter" | "should" | "must_not" => items
                        .into_iter()
                        .map(|x| filter_cond(l, x))
                        .collect::<Result<_, _>>()?,
                    other => return Err(format!("`bool` with `{other}`")),
                };
                match k.as_str() {
                    "must" | "filter" => all.extend(conds),
                    "should" => should.extend(conds),
                    _ => all.push(Cond::Not(Box::new(Cond::Or(conds)))),
                }
            }
            // `should` is required (one of) when alone or with `minimum_should_match: 1`,
            // optional beside `must`/`filter` otherwise (Elasticsearch's bool query).
            let scoring_only = b.contains_key("must") || b.contains_key("filter");
            match msm {
                None | Some(1) if !should.is_empty() && (msm.is_some() || !scoring_only) => {
                    all.push(Cond::Or(should))
                }
                None | Some(0) => {}
                Some(n) => return Err(format!("`bool` with `minimum_should_match: {n}`")),
            }
            Ok(Cond::And(all))
        }
        other => Err(format!("a `{other}` query")),
    }
}

fn scalar_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}
