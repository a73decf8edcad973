//! What parses but Elasticsearch would reject, and (given a schema) what is likely
//! wrong: unknown fields and literals whose type cannot match the field.
//!
//! Spans are relative to the query string, like the parser's.

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::functions;
use crate::parser::MAX_EXPR_DEPTH;
use crate::printer::{clip, excerpt};
use crate::schema::{FieldType, Lookup, Schema};
use std::collections::HashSet;

mod lints;

/// Check a parsed query. Returns every error and warning found.
pub fn check_query(q: &Query, schema: Option<&Schema>) -> Vec<Diagnostic> {
    let mut c = Checker {
        out: Vec::new(),
        schema,
        warned_fields: HashSet::new(),
    };
    c.query(q);
    c.out
}

struct Checker<'a> {
    out: Vec<Diagnostic>,
    schema: Option<&'a Schema>,
    warned_fields: HashSet<String>,
}

impl Checker<'_> {
    fn error(&mut self, code: Code, span: Span, msg: impl Into<String>, help: impl Into<String>) {
        self.out
            .push(Diagnostic::error(code, span, msg).with_help(help));
    }

    fn query(&mut self, q: &Query) {
        match &q.body {
            QueryBody::Event(f) => self.filter(f),
            QueryBody::Sequence(s) => self.sequence(s, q.span),
            QueryBody::Sample(s) => self.sample(s, q.span),
        }
    }

    fn filter(&mut self, f: &EventFilter) {
        // The parser builds nothing deeper than the limit; a tree built some other way
        // is checked here (without recursion) before the recursive walks below and in
        // the back ends see it.
        let (deepest, depth) = f.condition.deepest();
        if depth > MAX_EXPR_DEPTH {
            self.error(
                Code::Limit,
                Span::new(deepest.span.start, deepest.span.start),
                format!("expression is nested {depth} levels deep; the limit is {MAX_EXPR_DEPTH}"),
                "split the rule into several rules, or flatten the condition",
            );
            return;
        }
        self.expr(&f.condition);
    }

    fn keys(&mut self, keys: &[Field]) {
        for k in keys {
            self.field_known(k);
        }
    }

    fn sequence(&mut self, s: &Sequence, span: Span) {
        self.keys(&s.by);
        for st in s.stages.iter().chain(s.until.iter()) {
            self.filter(&st.filter);
            self.keys(&st.by);
        }
        let expanded: u64 = s
            .stages
            .iter()
            .map(|st| st.runs.map_or(1, |r| r.count))
            .sum();
        if expanded < 2 {
            self.error(
                Code::Stages,
                span,
                "a sequence needs at least two stages",
                "add a stage, or repeat one with `with runs=N` (N ≥ 2); for a single event use `<category> where …`",
            );
        }
        if s.stages.iter().all(|st| st.missing) && !s.stages.is_empty() {
            self.error(
                Code::Stages,
                span,
                "a sequence needs at least one stage that is not a missing-event clause",
                "add a `[…]` stage",
            );
        }
        if s.maxspan.is_none() {
            if let Some(m) = s.stages.iter().find(|st| st.missing) {
                self.error(
                    Code::MissingMaxSpan,
                    m.span,
                    "a sequence with a missing-event clause `![…]` needs `with maxspan`",
                    "add `with maxspan=<window>` after `sequence [by …]`: the missing event is looked for inside that window",
                );
            }
        }
        self.join_key_counts(&s.by, s.stages.iter().chain(s.until.iter()));
    }

    fn sample(&mut self, s: &Sample, span: Span) {
        self.keys(&s.by);
        for st in &s.stages {
            self.filter(&st.filter);
            self.keys(&st.by);
        }
        if !(2..=5).contains(&s.stages.len()) {
            self.error(
                Code::Stages,
                span,
                format!("a sample needs 2 to 5 filters, found {}", s.stages.len()),
                "give between two and five `[…]` filters",
            );
        }
        if s.by.is_empty() && s.stages.iter().all(|st| st.by.is_empty()) {
            self.error(
                Code::JoinKeys,
                span,
                "a sample needs at least one join key",
                "add `sample by <field>` (or `by <field>` after each filter)",
            );
        }
        self.join_key_counts(&s.by, s.stages.iter());
    }

    fn join_key_counts<'s>(&mut self, top: &[Field], stages: impl Iterator<Item = &'s Stage>) {
        let mut expected: Option<(usize, Span)> = None;
        for st in stages {
            let n = top.len() + st.by.len();
            match expected {
                None => expected = Some((n, st.span)),
                Some((e, _)) if e != n => {
                    let at = st.by.first().map_or(st.span, |k| {
                        k.span.to(st.by.last().map_or(k.span, |l| l.span))
                    });
                    self.error(
                        Code::JoinKeys,
                        at,
                        format!("inconsistent number of join keys: expected {e} but found {n}"),
                        "every stage must end up with the same number of `by` keys (top-level keys count for every stage)",
                    );
                }
                _ => {}
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Field(f) => self.field_known(f),
            ExprKind::Call {
                name,
                insensitive,
                args,
            } => {
                self.call(e.span, name, *insensitive, args);
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::Compare { op, lhs, rhs } => {
                // `?x == ?y` is accepted: Elasticsearch folds an unmapped optional field
                // to null, so such a comparison is only rejected there when the field
                // exists in the mapping, which a schema-less check cannot know.
                if mentions_required_field(lhs) && mentions_required_field(rhs) {
                    self.error(
                        Code::FieldComparison,
                        e.span,
                        "comparing a field with another field is not supported by Elasticsearch EQL",
                        "compare a field with a literal value; to correlate two events on a field, use `sequence … by <field>`",
                    );
                }
                self.type_check_compare(*op, lhs, rhs);
                self.type_check_compare(*op, rhs, lhs);
                self.literal_wildcard_compare(*op, lhs, rhs);
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::In {
                lhs,
                list,
                negated,
                insensitive,
            } => {
                self.literal_wildcard_in(lhs, list, *negated, *insensitive);
                for item in list {
                    if mentions_field(item) {
                        self.error(
                            Code::FieldComparison,
                            item.span,
                            "a field inside an `in (…)` list is not supported by Elasticsearch EQL",
                            "list literal values only",
                        );
                    }
                }
                if let ExprKind::Field(f) = &lhs.kind {
                    let op = match (*negated, *insensitive) {
                        (false, false) => "in",
                        (false, true) => "in~",
                        (true, false) => "not in",
                        (true, true) => "not in~",
                    };
                    for item in list {
                        self.type_check_literal(f, item, op);
                    }
                }
                self.expr(lhs);
                list.iter().for_each(|i| self.expr(i));
            }
            ExprKind::Pattern {
                op, lhs, patterns, ..
            } => {
                for p in patterns {
                    if mentions_field(p) {
                        self.error(
                            Code::FieldComparison,
                            p.span,
                            format!(
                                "the right side of `{}` must be a string, not a field",
                                op.symbol()
                            ),
                            "match against literal patterns only",
                        );
                    } else if let (true, ExprKind::Str(text)) = (op.is_regex(), &p.kind) {
                        if let Err(e) = crate::lucene_regex::translate(text, op.is_insensitive()) {
                            self.error(
                                Code::Regex,
                                p.span,
                                format!("regular expression cannot be used: {}", e.message),
                                "EQL regexes use Lucene syntax, anchored to the whole value; see the Lucene RegExp reference",
                            );
                        }
                    } else if !matches!(p.kind, ExprKind::Str(_)) {
                        self.error(
                            Code::Argument,
                            p.span,
                            format!(
                                "`{}` takes string patterns, found `{}`",
                                op.symbol(),
                                excerpt(p)
                            ),
                            "quote the pattern: `field : \"value*\"`; for numbers use `==`",
                        );
                    }
                }
                if let (ExprKind::Field(f), Some(schema)) = (&lhs.kind, self.schema) {
                    if let Lookup::Known(t) = schema.lookup(&f.path) {
                        if t.is_numeric() || t == FieldType::Boolean || t == FieldType::Ip {
                            self.out.push(
                                Diagnostic::warning(
                                    Code::TypeMismatch,
                                    e.span,
                                    format!(
                                        "`{}` matches strings, but `{}` is {} field",
                                        op.symbol(),
                                        f.path,
                                        t.with_article()
                                    ),
                                )
                                .with_help(if t == FieldType::Ip {
                                    "use `cidrMatch(field, \"10.0.0.0/8\")` or `==`"
                                } else {
                                    "use `==` or `in` with values of the field's type"
                                }),
                            );
                        }
                    }
                }
                self.expr(lhs);
                patterns.iter().for_each(|p| self.expr(p));
            }
            ExprKind::Neg(x) | ExprKind::Not(x) => self.expr(x),
            ExprKind::Arith { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::And(xs) => {
                self.conflicting_values(xs);
                xs.iter().for_each(|x| self.expr(x));
            }
            ExprKind::Or(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_) => {}
        }
    }

    fn call(&mut self, span: Span, name: &str, insensitive: bool, args: &[Expr]) {
        if let Some((canonical, what)) = functions::unsupported(name) {
            self.error(
                Code::Unsupported,
                span,
                format!("`{canonical}` ({what}) is not supported by Elasticsearch EQL"),
                "conditions on a multi-valued field already match when any value matches; see the EQL function reference",
            );
            return;
        }
        let Some(sig) = functions::lookup(name) else {
            let help = match functions::suggest(name) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "known functions: {}",
                    functions::SIGNATURES
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.error(
                Code::UnknownFunction,
                span,
                format!("unknown function `{}`", clip(name)),
                help,
            );
            return;
        };
        if insensitive && !sig.insensitive_variant {
            self.error(
                Code::UnknownFunction,
                span,
                format!("`{}` has no case-insensitive `~` variant", sig.name),
                "remove the `~`; only between, endsWith, indexOf, startsWith and stringContains have one",
            );
        }
        let n = args.len();
        if n < sig.min_args || sig.max_args.is_some_and(|m| n > m) {
            self.error(
                Code::Arity,
                span,
                format!(
                    "`{}` takes {} argument{}, found {n}",
                    sig.name,
                    sig.arity_text(),
                    if sig.min_args == 1 && sig.max_args.is_none_or(|m| m == 1) {
                        ""
                    } else {
                        "s"
                    }
                ),
                format!("see the EQL function reference for `{}`", sig.name),
            );
            return;
        }
        use functions::Function as F;
        match sig.function {
            F::Between => {
                if let Some(g) = args.get(3) {
                    if !matches!(g.kind, ExprKind::Bool(_)) {
                        self.error(
                            Code::Argument,
                            g.span,
                            "the `greedy` argument of `between` must be `true` or `false`",
                            "write a boolean literal",
                        );
                    }
                }
            }
            F::CidrMatch => {
                for a in &args[1..] {
                    if !matches!(a.kind, ExprKind::Str(_) | ExprKind::Null) {
                        self.error(
                            Code::Argument,
                            a.span,
                            "`cidrMatch` takes CIDR blocks as string literals",
                            "write `cidrMatch(source.ip, \"10.0.0.0/8\", \"192.168.0.0/16\")`",
                        );
                    }
                }
            }
            F::Number => {
                if let Some(b) = args.get(1) {
                    if !matches!(b.kind, ExprKind::Int(_) | ExprKind::Null) {
                        self.error(
                            Code::Argument,
                            b.span,
                            "the base of `number` must be an integer literal",
                            "write `number(field, 16)`",
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn field_known(&mut self, f: &Field) {
        let Some(schema) = self.schema else {
            return;
        };
        if f.optional || schema.lookup(&f.path) != Lookup::Unknown {
            return;
        }
        if !self.warned_fields.insert(f.path.clone()) {
            return;
        }
        let optional = format!(
            "if the field may be absent from the index mapping, write `?{}`",
            clip(&f.path)
        );
        let help = match schema.suggest(&f.path).as_slice() {
            [] => format!("check the spelling; {optional}"),
            [one] => format!("did you mean `{one}`? Otherwise, {optional}"),
            several => format!(
                "did you mean one of {}? Otherwise, {optional}",
                several
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        self.out.push(
            Diagnostic::warning(
                Code::UnknownField,
                f.span,
                format!("field `{}` is not in the schema", clip(&f.path)),
            )
            .with_help(help),
        );
    }

    /// `field <op> literal`: warn when the literal cannot match the field's type.
    fn type_check_compare(&mut self, op: CmpOp, field_side: &Expr, other: &Expr) {
        if let ExprKind::Field(f) = &field_side.kind {
            self.type_check_literal(f, other, op.symbol());
        }
    }

    fn type_check_literal(&mut self, f: &Field, lit: &Expr, op: &str) {
        let Some(schema) = self.schema else {
            return;
        };
        let Lookup::Known(t) = schema.lookup(&f.path) else {
            return;
        };
        let equality = matches!(op, "==" | "in" | "in~");
        let mismatch = match (&lit.kind, t) {
            (ExprKind::Null, _) => false,
            (ExprKind::Str(s), FieldType::Integer | FieldType::Float) => {
                s.trim().parse::<f64>().is_err()
            }
            (ExprKind::Bool(_), FieldType::Integer | FieldType::Float | FieldType::Ip) => true,
            (ExprKind::Str(s), FieldType::Boolean) => s != "true" && s != "false",
            (ExprKind::Int(_) | ExprKind::Float(_), FieldType::Boolean | FieldType::Ip) => true,
            (ExprKind::Str(s), FieldType::Ip) => s.parse::<std::net::IpAddr>().is_err(),
            // A keyword never holds a number or a boolean.
            (ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_), FieldType::String) => true,
            _ => false,
        };
        // An integer field never equals a number with a fraction.
        let fraction = match &lit.kind {
            ExprKind::Float(x) => Some(*x),
            ExprKind::Str(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|x| equality && t == FieldType::Integer && x.is_finite() && x.fract() != 0.0);
        if let Some(x) = fraction {
            self.out.push(
                Diagnostic::warning(
                    Code::TypeMismatch,
                    lit.span,
                    format!(
                        "`{} {op} {}` can never match: `{}` is an integer field and {x} has a fraction",
                        f.path,
                        excerpt(lit),
                        f.path,
                    ),
                )
                .with_help(format!(
                    "compare `{}` with a whole number, or use `<`, `>` for a range",
                    f.path
                )),
            );
            return;
        }
        if mismatch {
            self.out.push(
                Diagnostic::warning(
                    Code::TypeMismatch,
                    lit.span,
                    format!(
                        "`{} {op} {}` can never match: `{}` is {} field",
                        f.path,
                        excerpt(lit),
                        f.path,
                        t.with_article()
                    ),
                )
                .with_help(format!(
                    "compare `{}` with {} value",
                    f.path,
                    t.with_article()
                )),
            );
        }
    }
}

/// Does the expression read a field not marked optional (`?field`)?
pub fn mentions_required_field(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| found |= matches!(&x.kind, ExprKind::Field(f) if !f.optional));
    found
}

/// Does the expression read any field?
pub fn mentions_field(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| found |= matches!(x.kind, ExprKind::Field(_)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_query;

    fn codes(q: &str) -> Vec<Code> {
        let q = parse_query(q).unwrap();
        check_query(&q, None).into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn checks() {
        assert_eq!(codes("process where length(a) > 1"), vec![]);
        assert_eq!(
            codes("process where strlen(a) > 1"),
            vec![Code::UnknownFunction]
        );
        assert_eq!(codes("process where length(a, b) > 1"), vec![Code::Arity]);
        assert_eq!(
            codes("process where length~(a) > 1"),
            vec![Code::UnknownFunction]
        );
        assert_eq!(codes("process where a == b"), vec![Code::FieldComparison]);
        assert_eq!(
            codes("process where a in (b, \"x\")"),
            vec![Code::FieldComparison]
        );
        assert_eq!(
            codes("process where arrayContains(a, \"x\")"),
            vec![Code::Unsupported]
        );
        assert_eq!(codes("sequence [a where true]"), vec![Code::Stages]);
        assert_eq!(codes("sequence [a where true] with runs=2"), vec![]);
        assert_eq!(
            codes("sequence by x [a where true] by y [b where true]"),
            vec![Code::JoinKeys]
        );
        assert_eq!(
            codes("sequence [a where true] ![b where true]"),
            vec![Code::MissingMaxSpan]
        );
        assert_eq!(
            codes("sample [a where true] [b where true]"),
            vec![Code::JoinKeys]
        );
    }
}
