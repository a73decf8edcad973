//! The second front end: Kibana's KQL (`language = "kuery"`), for detection-rules'
//! `query` rules. See `kql-semantics.md` (../shared/docs) and DESIGN.md, "KQL".
//!
//! * [`parser`]: Kibana's grammar, ported (what it rejects is rejected, with positions);
//! * [`mapping`]: field types, `ignore_above`, normalizers and analyzers from the bundled
//!   schemas;
//! * [`lower`]: the typed lowering into the IR's [`crate::ir::Leaf::Kql`] leaves (one
//!   event condition, no category), and the `[[rule.filters]]` Query DSL evaluator;
//! * [`dsl`]: the Elasticsearch query Kibana would build (`eqlc check --emit-dsl`);
//!
//! The analyzers themselves run on event values, so they live in `rule_runtime::kql`.

pub mod dsl;
pub mod lower;
pub mod mapping;
pub mod parser;

use crate::ast::Span;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{remap_fields, Cond, FilterIr, QueryIr, RuleIr, DEFAULT_CATEGORY_FIELD};
use crate::source::LoadedRule;
pub use lower::KqlLowerer;
pub use mapping::Mappings;
pub use parser::{parse_kql, Node};

/// The rule types of KQL rules and whether eqlc runs them.
pub fn rule_type_supported(t: &str) -> bool {
    t == "query"
}

/// A KQL rule lowered: its IR (if it lowered without errors), the parsed query, and the
/// diagnostics; `query_diagnostics` have spans inside the query (to be located in the
/// file), `file_diagnostics` spans inside the file.
pub struct KqlLowered {
    pub ast: Option<Node>,
    pub ir: Option<RuleIr>,
    pub query_diagnostics: Vec<Diagnostic>,
    pub file_diagnostics: Vec<Diagnostic>,
}

/// Parse and lower a `query` rule in KQL with the bundled mappings: the whole rule is one
/// event condition, `KQL ∧ positive filters ∧ ¬negated filters` (D.3).
pub fn lower_kql_rule(rule: &LoadedRule) -> KqlLowered {
    lower_kql_rule_with(rule, Mappings::bundled())
}

/// [`lower_kql_rule`] with the given mappings.
pub fn lower_kql_rule_with(rule: &LoadedRule, mappings: &Mappings) -> KqlLowered {
    let mut out = KqlLowered {
        ast: None,
        ir: None,
        query_diagnostics: Vec::new(),
        file_diagnostics: Vec::new(),
    };
    let ast = match parse_kql(&rule.query) {
        Ok(a) => a,
        Err(d) => {
            out.query_diagnostics.push(d);
            return out;
        }
    };
    let mut l = KqlLowerer::new(mappings);
    l.source = rule.query.clone();
    let category = l.field(DEFAULT_CATEGORY_FIELD);
    let mut parts = vec![l.cond(&ast, "")];
    out.query_diagnostics.append(&mut l.diagnostics);
    // `[[rule.filters]]`
    let filters = rule
        .raw
        .get("rule")
        .and_then(|r| r.get("filters"))
        .and_then(|f| f.as_array());
    let filters_span = rule
        .text
        .find("[[rule.filters]]")
        .map(|i| Span::new(i, i + "[[rule.filters]]".len()));
    for (i, f) in filters.into_iter().flatten().enumerate() {
        let meta = f.get("meta");
        let flag = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(|x| x.as_bool())
                .unwrap_or(false)
        };
        if flag("disabled") {
            continue;
        }
        let Some(q) = f.get("query") else {
            out.file_diagnostics.push(
                Diagnostic::error(
                    Code::Kql,
                    filters_span,
                    format!(
                        "filter {} of rule `{}` has no `query`",
                        i + 1,
                        rule.meta.rule_id
                    ),
                )
                .with_help("eqlc evaluates a filter's Query DSL `query` (kql-semantics.md D.3)"),
            );
            continue;
        };
        match lower::filter_cond(&mut l, q) {
            Ok(c) => parts.push(if flag("negate") {
                Cond::Not(Box::new(c))
            } else {
                c
            }),
            Err(what) => out.file_diagnostics.push(
                Diagnostic::error(
                    Code::Kql,
                    filters_span,
                    format!(
                        "filter {} of rule `{}` is {what}, which eqlc does not evaluate",
                        i + 1,
                        rule.meta.rule_id
                    ),
                )
                .with_help("eqlc evaluates `wildcard`, `exists`, `term`, `terms`, `match_phrase` and `bool` filters (kql-semantics.md E.12)"),
            ),
        }
    }
    out.ast = Some(ast);
    if out
        .query_diagnostics
        .iter()
        .chain(&out.file_diagnostics)
        .any(Diagnostic::is_error)
    {
        return out;
    }
    let condition = if parts.len() == 1 {
        parts.pop().unwrap_or(Cond::Const(true))
    } else {
        Cond::And(parts)
    };
    // Fields sorted, ids renumbered (as the EQL lowering does).
    let mut remap = vec![0; l.ids.len()];
    let fields: Vec<String> = l.ids.keys().cloned().collect();
    for (new, (_, old)) in l.ids.iter().enumerate() {
        remap[*old as usize] = new as u32;
    }
    let mut query = QueryIr::Event(FilterIr {
        category: None,
        condition,
    });
    remap_fields(&mut query, &remap);
    out.ir = Some(RuleIr {
        id: rule.meta.rule_id.clone(),
        name: rule.meta.name.clone(),
        stem: rule.stem(),
        category_field: remap[category as usize],
        query,
        pipes: Vec::new(),
        fields,
    });
    out
}

use rule_runtime::kql::{Indexing, KqlNumber, KqlTest, Query};

/// How a KQL leaf treats case, for `eqlc explain`.
pub fn case_rule(test: &KqlTest) -> &'static str {
    match (test.indexing, &test.query) {
        (
            _,
            Query::Wildcard {
                case_insensitive: true,
                ..
            },
        ) => "folds case (escaped characters exact)",
        (Indexing::Keyword { lowercase: true }, _) => "folds case (lowercase normalizer)",
        (Indexing::Text(_), _) => "folds case (analysed)",
        _ => "case-sensitive",
    }
}

fn number_text(n: KqlNumber) -> String {
    match n {
        KqlNumber::Int(i) => i.to_string(),
        KqlNumber::Float(f) => f.to_string(),
    }
}

fn ip_text(k: u128) -> String {
    let v6 = std::net::Ipv6Addr::from(k);
    match v6.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => v6.to_string(),
    }
}

fn describe_query(q: &Query) -> String {
    let list = |ts: &[std::borrow::Cow<'static, str>]| {
        ts.iter()
            .map(|t| format!("{t:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match q {
        Query::Exists => "exists".into(),
        Query::Term(t) => format!("term {t:?}"),
        Query::Wildcard {
            pattern,
            case_insensitive,
        } => format!(
            "wildcard {pattern:?}{}",
            if *case_insensitive {
                " (case-insensitive)"
            } else {
                ""
            }
        ),
        Query::AnyToken(ts) => format!("match any token of [{}]", list(ts)),
        Query::Phrase(ts) => format!("match_phrase [{}]", list(ts)),
        Query::TokenWildcard(p) => format!("a token matching {p:?}"),
        Query::Number { op, value } => format!("{} {}", op.symbol(), number_text(*value)),
        Query::IpIn { lo, hi } if lo == hi => format!("== {}", ip_text(*lo)),
        Query::IpIn { lo, hi } => format!("in {} … {}", ip_text(*lo), ip_text(*hi)),
        Query::IpRange { op, value } => format!("{} {}", op.symbol(), ip_text(*value)),
        Query::Bool(b) => format!("== {b}"),
        Query::TextRange { op, value } => format!("{} {value:?} (byte order)", op.symbol()),
        Query::DynamicTerm(t) => format!("term {t:?} (dynamic mapping)"),
        Query::AnyOf(qs) => format!(
            "any of ({})",
            qs.iter().map(describe_query).collect::<Vec<_>>().join("; ")
        ),
    }
}

/// A KQL leaf as text (`process.name: term "cmd.exe"`), for `eqlc explain` and
/// generated code's documentation.
pub fn describe(field: &str, test: &KqlTest) -> String {
    format!("{field}: {}", describe_query(&test.query))
}

/// Values that satisfy a KQL leaf (for generating example events), first the simplest.
pub fn example_values(test: &KqlTest) -> Vec<serde_json::Value> {
    use serde_json::Value as J;
    fn instantiate(p: &str, fill: &str) -> String {
        let mut out = String::new();
        let mut it = p.chars();
        while let Some(c) = it.next() {
            match c {
                '*' => out.push_str(fill),
                '?' => out.push('x'),
                '\\' => out.push(it.next().unwrap_or('\\')),
                c => out.push(c),
            }
        }
        out
    }
    fn of(q: &Query, out: &mut Vec<J>) {
        match q {
            Query::Exists => out.push(J::from("x")),
            Query::Term(t) | Query::DynamicTerm(t) => out.push(J::from(t.as_ref())),
            Query::Wildcard { pattern, .. } | Query::TokenWildcard(pattern) => {
                out.push(J::from(instantiate(pattern, "")));
                out.push(J::from(instantiate(pattern, "gen")));
            }
            Query::AnyToken(ts) => out.extend(ts.iter().take(2).map(|t| J::from(t.as_ref()))),
            Query::Phrase(ts) => out.push(J::from(
                ts.iter().map(|t| t.as_ref()).collect::<Vec<_>>().join(" "),
            )),
            Query::Number { op, value } => {
                let base = match value {
                    KqlNumber::Int(i) => *i as f64,
                    KqlNumber::Float(f) => *f,
                };
                let v = match op {
                    rule_runtime::cmp::CmpOp::Gt => base + 1.0,
                    rule_runtime::cmp::CmpOp::Lt => base - 1.0,
                    _ => base,
                };
                out.push(if v.fract() == 0.0 && v.abs() < 9e15 {
                    J::from(v as i64)
                } else {
                    J::from(v)
                });
            }
            Query::IpIn { lo, .. } => out.push(J::from(ip_text(*lo))),
            Query::IpRange { op, value } => {
                let v = match op {
                    rule_runtime::cmp::CmpOp::Gt => value.saturating_add(1),
                    rule_runtime::cmp::CmpOp::Lt => value.saturating_sub(1),
                    _ => *value,
                };
                out.push(J::from(ip_text(v)));
            }
            Query::Bool(b) => out.push(J::from(*b)),
            Query::TextRange { value, .. } => out.push(J::from(value.as_ref())),
            Query::AnyOf(qs) => qs.iter().for_each(|q| of(q, out)),
        }
    }
    let mut out = Vec::new();
    of(&test.query, &mut out);
    out.retain(|v| {
        let x = match v {
            J::String(s) => rule_runtime::value::Value::Str(s.as_str().into()),
            J::Bool(b) => rule_runtime::value::Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => rule_runtime::value::Value::Int(i),
                None => rule_runtime::value::Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            _ => rule_runtime::value::Value::Null,
        };
        test.matches_value(&x)
    });
    out
}
