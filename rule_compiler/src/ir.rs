//! The IR: a checked query lowered into plain data that both back ends (the code
//! generator and the reference interpreter) read.
//!
//! Lowering decides everything that does not depend on an event:
//! * fields are interned: every path a rule reads gets a [`FieldId`] into
//!   [`RuleIr::fields`] (sorted), the only place field-path strings appear;
//! * `!=` becomes `not ==`, `not in` becomes `not in` over a set, `== null` / `!= null`
//!   become [`Leaf::IsNull`] (eql-semantics.md J.1);
//! * the literals of `:`, `like~`, `in~` and `regex~` are case-folded once (J.8);
//! * `in` lists become sets of distinct non-null literals (null never matches, J.1);
//! * regexes are translated from Lucene syntax (J.6);
//! * join keys get the top-level `by` keys prepended, and `with runs=N` stages are
//!   repeated N times;
//! * `and`/`or` chains are flattened.
//!
//! Truth values (J.1): a [`Leaf`] is true iff some assignment of values to its field
//! mentions makes it true, each mention ranging over its field's values independently; a
//! field without values is one null; a null result is false. [`Cond`] combines leaves
//! with two-valued logic.

use crate::ast::{self, ArithOp, CategoryKind, ExprKind, PatternOp, QueryBody};
use crate::functions::{self, Function};
use crate::lucene_regex;
use crate::source::LoadedRule;
pub use rule_runtime::cmp::CmpOp;
pub use rule_runtime::engine::Pipe;
pub use rule_runtime::sequence::StageKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// Index into [`RuleIr::fields`].
pub type FieldId = u32;

/// The field that holds the event category unless a rule overrides it.
pub const DEFAULT_CATEGORY_FIELD: &str = "event.category";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleIr {
    pub id: String,
    pub name: String,
    /// The rule file's stem (module name of generated code).
    pub stem: String,
    /// The field the category is read from (`event.category` or the rule's
    /// `event_category_override`).
    pub category_field: FieldId,
    pub query: QueryIr,
    pub pipes: Vec<Pipe>,
    /// Every field path the rule reads, sorted; [`FieldId`] indexes this.
    pub fields: Vec<String>,
}

impl RuleIr {
    /// Every filter of the rule: the event query's, or each stage's (positive, missing
    /// and `until`) in order.
    pub fn filters(&self) -> Vec<&FilterIr> {
        match &self.query {
            QueryIr::Event(f) => vec![f],
            QueryIr::Sequence(s) => s
                .stages
                .iter()
                .chain(s.until.iter())
                .map(|st| &st.filter)
                .collect(),
            QueryIr::Sample(s) => s.stages.iter().map(|st| &st.filter).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum QueryIr {
    Event(FilterIr),
    Sequence(SequenceIr),
    Sample(SampleIr),
}

/// A category test and a condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterIr {
    /// `None` for `any`.
    pub category: Option<String>,
    pub condition: Cond,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyIr {
    pub field: FieldId,
    /// `?field`: a missing value is the key value null instead of excluding the event.
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageIr {
    pub filter: FilterIr,
    /// Top-level keys first, then the stage's own.
    pub keys: Vec<KeyIr>,
    /// A positive clause `[…]` or a missing-event clause `![…]`.
    pub kind: StageKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceIr {
    /// `with runs=N` already expanded.
    pub stages: Vec<StageIr>,
    pub until: Option<StageIr>,
    pub maxspan_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleIr {
    pub stages: Vec<StageIr>,
}

/// A boolean condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cond {
    Const(bool),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Leaf(Leaf),
}

/// A predicate, true iff some assignment of field values satisfies it. In a
/// `Compare`, a literal is never on the left when the right side is not one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Leaf {
    Compare {
        op: CmpOp,
        lhs: ValueIr,
        rhs: ValueIr,
        /// Both sides are optional fields (`?x == ?y`): Elasticsearch folds unmapped
        /// optional fields to null, and `null == null` is true there; so two missing
        /// values compare equal.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        nulls_equal: bool,
    },
    /// `x == null`: true iff some assignment gives null (for a field: it has no value).
    IsNull(ValueIr),
    /// `:`, `like`, `like~`: any of the patterns (folded when `insensitive`).
    Wildcard {
        value: ValueIr,
        patterns: Vec<String>,
        insensitive: bool,
    },
    /// `regex`, `regex~`: any of the patterns, translated for the `regex` crate and
    /// anchored (case-insensitivity is inside the translated pattern).
    Regex {
        value: ValueIr,
        patterns: Vec<String>,
    },
    /// `in`, `in~`: membership in a set of distinct non-null literals (strings folded
    /// when `insensitive`); wildcards are literal.
    InSet {
        value: ValueIr,
        set: Vec<Lit>,
        insensitive: bool,
    },
    /// A value used as a condition (`where true`, `where ?flag`, `where startsWith(…)`):
    /// true iff some value is `true`.
    Truthy(ValueIr),
    /// A KQL predicate (the KQL front end's leaf): true iff some value of the field,
    /// indexed as Elasticsearch would index it, satisfies the query Kibana builds
    /// (`rule_runtime::kql`). A missing field satisfies nothing.
    Kql {
        field: FieldId,
        test: rule_runtime::kql::KqlTest,
    },
}

/// A literal value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// A value expression (possibly multi-valued through its field mentions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ValueIr {
    Lit(Lit),
    Field(FieldId),
    Neg(Box<ValueIr>),
    Arith {
        op: ArithOp,
        lhs: Box<ValueIr>,
        rhs: Box<ValueIr>,
    },
    Call {
        function: Function,
        /// The `~` variant.
        insensitive: bool,
        args: Vec<ValueIr>,
    },
    /// A condition used as a value (`true == (x in (…))`).
    Cond(Box<Cond>),
}

/// Why a checked query cannot be lowered (only regexes the checker let through can
/// fail here; the checker reports the same error first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError {
    pub span: ast::Span,
    pub message: String,
}

/// Lower a rule whose query parsed and checked without errors.
pub fn lower_rule(rule: &LoadedRule, query: &ast::Query) -> Result<RuleIr, LowerError> {
    let category_field = rule
        .meta
        .event_category_override
        .clone()
        .unwrap_or_else(|| DEFAULT_CATEGORY_FIELD.to_string());
    lower_query(
        &rule.meta.rule_id,
        &rule.meta.name,
        &rule.stem(),
        &category_field,
        query,
    )
}

/// Lower a query with the given identity and category field.
pub fn lower_query(
    id: &str,
    name: &str,
    stem: &str,
    category_field: &str,
    query: &ast::Query,
) -> Result<RuleIr, LowerError> {
    let mut l = Lowerer::default();
    let category_field_id = l.field(category_field);
    let q = match &query.body {
        QueryBody::Event(f) => QueryIr::Event(l.filter(f)?),
        QueryBody::Sequence(s) => {
            let mut stages = Vec::new();
            for st in &s.stages {
                let lowered = l.stage(st, &s.by)?;
                let n = st.runs.map_or(1, |r| r.count);
                for _ in 0..n {
                    stages.push(lowered.clone());
                }
            }
            let until = s.until.as_ref().map(|u| l.stage(u, &s.by)).transpose()?;
            QueryIr::Sequence(SequenceIr {
                stages,
                until,
                maxspan_ms: s.maxspan.map(|m| m.millis()),
            })
        }
        QueryBody::Sample(s) => QueryIr::Sample(SampleIr {
            stages: s
                .stages
                .iter()
                .map(|st| l.stage(st, &s.by))
                .collect::<Result<_, _>>()?,
        }),
    };
    let pipes = query
        .pipes
        .iter()
        .map(|p| match p.kind {
            ast::PipeKind::Head => Pipe::Head(p.count),
            ast::PipeKind::Tail => Pipe::Tail(p.count),
        })
        .collect();
    // Renumber fields in sorted order so ids are stable whatever the query order.
    let (fields, remap) = l.sorted_fields();
    let mut ir = RuleIr {
        id: id.to_string(),
        name: name.to_string(),
        stem: stem.to_string(),
        category_field: remap[category_field_id as usize],
        query: q,
        pipes,
        fields,
    };
    remap_fields(&mut ir.query, &remap);
    Ok(ir)
}

#[derive(Default)]
struct Lowerer {
    ids: BTreeMap<String, FieldId>,
}

impl Lowerer {
    fn field(&mut self, path: &str) -> FieldId {
        let next = self.ids.len() as FieldId;
        *self.ids.entry(path.to_string()).or_insert(next)
    }

    /// The fields sorted, and old id → new id.
    fn sorted_fields(&self) -> (Vec<String>, Vec<FieldId>) {
        let mut remap = vec![0; self.ids.len()];
        let fields: Vec<String> = self.ids.keys().cloned().collect();
        for (new, (_, old)) in self.ids.iter().enumerate() {
            remap[*old as usize] = new as FieldId;
        }
        (fields, remap)
    }

    fn filter(&mut self, f: &ast::EventFilter) -> Result<FilterIr, LowerError> {
        Ok(FilterIr {
            category: match &f.category.kind {
                CategoryKind::Any => None,
                CategoryKind::Named(n) => Some(n.clone()),
            },
            condition: self.cond(&f.condition)?,
        })
    }

    fn stage(&mut self, st: &ast::Stage, top: &[ast::Field]) -> Result<StageIr, LowerError> {
        Ok(StageIr {
            filter: self.filter(&st.filter)?,
            keys: top
                .iter()
                .chain(&st.by)
                .map(|k| KeyIr {
                    field: self.field(&k.path),
                    optional: k.optional,
                })
                .collect(),
            kind: if st.missing {
                StageKind::Missing
            } else {
                StageKind::Positive
            },
        })
    }

    fn cond(&mut self, e: &ast::Expr) -> Result<Cond, LowerError> {
        Ok(match &e.kind {
            ExprKind::Bool(b) => Cond::Const(*b),
            ExprKind::Not(x) => Cond::Not(Box::new(self.cond(x)?)),
            ExprKind::And(xs) => {
                let mut items = Vec::with_capacity(xs.len());
                self.flatten(xs, true, &mut items)?;
                Cond::And(items)
            }
            ExprKind::Or(xs) => {
                let mut items = Vec::with_capacity(xs.len());
                self.flatten(xs, false, &mut items)?;
                Cond::Or(items)
            }
            ExprKind::Compare { op, lhs, rhs } => {
                use ast::CmpOp as C;
                let null_test = |x: &ast::Expr| matches!(x.kind, ExprKind::Null);
                if matches!(op, C::Eq | C::Ne) && (null_test(lhs) || null_test(rhs)) {
                    let other = if null_test(rhs) { lhs } else { rhs };
                    let leaf = Cond::Leaf(Leaf::IsNull(self.value(other)?));
                    return Ok(if *op == C::Eq {
                        leaf
                    } else {
                        Cond::Not(Box::new(leaf))
                    });
                }
                let (op, negate) = match op {
                    C::Eq => (CmpOp::Eq, false),
                    C::Ne => (CmpOp::Eq, true),
                    C::Lt => (CmpOp::Lt, false),
                    C::Le => (CmpOp::Le, false),
                    C::Gt => (CmpOp::Gt, false),
                    C::Ge => (CmpOp::Ge, false),
                };
                let optional = |x: &ast::Expr| matches!(&x.kind, ExprKind::Field(f) if f.optional);
                let nulls_equal = op == CmpOp::Eq && optional(lhs) && optional(rhs);
                let (lhs, rhs) = (self.value(lhs)?, self.value(rhs)?);
                // The non-literal side goes left (`-1 < exit_code` is `exit_code > -1`):
                // J.7's coercions treat the left side as the field.
                let (op, lhs, rhs) =
                    if matches!(lhs, ValueIr::Lit(_)) && !matches!(rhs, ValueIr::Lit(_)) {
                        (op.flipped(), rhs, lhs)
                    } else {
                        (op, lhs, rhs)
                    };
                let leaf = Cond::Leaf(Leaf::Compare {
                    op,
                    nulls_equal,
                    lhs,
                    rhs,
                });
                if negate {
                    Cond::Not(Box::new(leaf))
                } else {
                    leaf
                }
            }
            ExprKind::Pattern {
                op, lhs, patterns, ..
            } => {
                let value = self.value(lhs)?;
                let texts: Vec<(&str, ast::Span)> = patterns
                    .iter()
                    .filter_map(|p| match &p.kind {
                        ExprKind::Str(s) => Some((s.as_str(), p.span)),
                        _ => None,
                    })
                    .collect();
                if op.is_regex() {
                    let insensitive = *op == PatternOp::RegexInsensitive;
                    let patterns = texts
                        .iter()
                        .map(|(t, span)| {
                            lucene_regex::translate(t, insensitive).map_err(|e| LowerError {
                                span: *span,
                                message: e.message,
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    Cond::Leaf(Leaf::Regex { value, patterns })
                } else {
                    let insensitive = op.is_insensitive();
                    let mut patterns: Vec<String> =
                        texts.iter().map(|(t, _)| fold_if(t, insensitive)).collect();
                    dedup_keep_order(&mut patterns);
                    Cond::Leaf(Leaf::Wildcard {
                        value,
                        patterns,
                        insensitive,
                    })
                }
            }
            ExprKind::In {
                lhs,
                list,
                negated,
                insensitive,
            } => {
                let mut set: Vec<Lit> = Vec::new();
                for item in list {
                    let lit = match self.value(item)? {
                        ValueIr::Lit(Lit::Null) => continue,
                        ValueIr::Lit(Lit::Str(s)) => Lit::Str(fold_if(&s, *insensitive)),
                        ValueIr::Lit(l) => l,
                        // The checker rejects non-literals; a constant expression
                        // (`1 + 1`) is not folded yet and is kept out of the set.
                        _ => continue,
                    };
                    if !set.contains(&lit) {
                        set.push(lit);
                    }
                }
                let leaf = Cond::Leaf(Leaf::InSet {
                    value: self.value(lhs)?,
                    set,
                    insensitive: *insensitive,
                });
                if *negated {
                    Cond::Not(Box::new(leaf))
                } else {
                    leaf
                }
            }
            _ => Cond::Leaf(Leaf::Truthy(self.value(e)?)),
        })
    }

    /// The operands of an `and` (`and == true`) or `or` chain, with the operands of
    /// chains of the same kind nested in it (in parentheses) spliced in.
    fn flatten(
        &mut self,
        xs: &[ast::Expr],
        and: bool,
        out: &mut Vec<Cond>,
    ) -> Result<(), LowerError> {
        for x in xs {
            match (&x.kind, and) {
                (ExprKind::And(inner), true) | (ExprKind::Or(inner), false) => {
                    self.flatten(inner, and, out)?
                }
                _ => out.push(self.cond(x)?),
            }
        }
        Ok(())
    }

    fn value(&mut self, e: &ast::Expr) -> Result<ValueIr, LowerError> {
        Ok(match &e.kind {
            ExprKind::Null => ValueIr::Lit(Lit::Null),
            ExprKind::Bool(b) => ValueIr::Lit(Lit::Bool(*b)),
            ExprKind::Int(n) => ValueIr::Lit(Lit::Int(*n)),
            ExprKind::Float(f) => ValueIr::Lit(Lit::Float(*f)),
            ExprKind::Str(s) => ValueIr::Lit(Lit::Str(s.clone())),
            ExprKind::Field(f) => ValueIr::Field(self.field(&f.path)),
            ExprKind::Neg(x) => ValueIr::Neg(Box::new(self.value(x)?)),
            ExprKind::Arith { op, lhs, rhs } => ValueIr::Arith {
                op: *op,
                lhs: Box::new(self.value(lhs)?),
                rhs: Box::new(self.value(rhs)?),
            },
            ExprKind::Call {
                name,
                insensitive,
                args,
            } => match functions::lookup(name) {
                Some(sig) => ValueIr::Call {
                    function: sig.function,
                    insensitive: *insensitive,
                    args: args
                        .iter()
                        .map(|a| self.value(a))
                        .collect::<Result<_, _>>()?,
                },
                None => {
                    return Err(LowerError {
                        span: e.span,
                        message: format!("unknown function `{name}`"),
                    })
                }
            },
            _ => ValueIr::Cond(Box::new(self.cond(e)?)),
        })
    }
}

/// Case-fold a literal at compile time, per code point (J.8), the same folding the
/// runtime applies to event values.
fn fold_if(s: &str, insensitive: bool) -> String {
    if insensitive {
        rule_runtime::fold::fold(s).into_owned()
    } else {
        s.to_string()
    }
}

fn dedup_keep_order(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
}

pub(crate) fn remap_fields(q: &mut QueryIr, remap: &[FieldId]) {
    fn stage(s: &mut StageIr, remap: &[FieldId]) {
        cond(&mut s.filter.condition, remap);
        for k in &mut s.keys {
            k.field = remap[k.field as usize];
        }
    }
    fn cond(c: &mut Cond, remap: &[FieldId]) {
        match c {
            Cond::Const(_) => {}
            Cond::Not(x) => cond(x, remap),
            Cond::And(xs) | Cond::Or(xs) => xs.iter_mut().for_each(|x| cond(x, remap)),
            Cond::Leaf(l) => match l {
                Leaf::Compare { lhs, rhs, .. } => {
                    value(lhs, remap);
                    value(rhs, remap);
                }
                Leaf::IsNull(v)
                | Leaf::Truthy(v)
                | Leaf::Wildcard { value: v, .. }
                | Leaf::Regex { value: v, .. }
                | Leaf::InSet { value: v, .. } => value(v, remap),
                Leaf::Kql { field, .. } => *field = remap[*field as usize],
            },
        }
    }
    fn value(v: &mut ValueIr, remap: &[FieldId]) {
        match v {
            ValueIr::Lit(_) => {}
            ValueIr::Field(f) => *f = remap[*f as usize],
            ValueIr::Neg(x) => value(x, remap),
            ValueIr::Arith { lhs, rhs, .. } => {
                value(lhs, remap);
                value(rhs, remap);
            }
            ValueIr::Call { args, .. } => args.iter_mut().for_each(|a| value(a, remap)),
            ValueIr::Cond(c) => cond(c, remap),
        }
    }
    match q {
        QueryIr::Event(f) => cond(&mut f.condition, remap),
        QueryIr::Sequence(s) => {
            s.stages.iter_mut().for_each(|st| stage(st, remap));
            if let Some(u) = &mut s.until {
                stage(u, remap);
            }
        }
        QueryIr::Sample(s) => s.stages.iter_mut().for_each(|st| stage(st, remap)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_query;

    fn lower(q: &str) -> RuleIr {
        lower_query(
            "id",
            "name",
            "stem",
            DEFAULT_CATEGORY_FIELD,
            &parse_query(q).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn fields_are_interned_sorted() {
        let ir = lower("process where z == 1 and a : \"X*\"");
        assert_eq!(ir.fields, vec!["a", "event.category", "z"]);
        assert_eq!(ir.category_field, 1);
        let QueryIr::Event(f) = &ir.query else {
            panic!()
        };
        let Cond::And(items) = &f.condition else {
            panic!()
        };
        assert_eq!(
            items[1],
            Cond::Leaf(Leaf::Wildcard {
                value: ValueIr::Field(0),
                patterns: vec!["x*".into()],
                insensitive: true
            })
        );
    }

    #[test]
    fn ne_null_and_not_in_are_negations() {
        let ir = lower("any where a != 1 and b != null and c not in~ (\"ÄB\", null, \"äb\")");
        let QueryIr::Event(f) = &ir.query else {
            panic!()
        };
        let Cond::And(items) = &f.condition else {
            panic!()
        };
        assert!(
            matches!(&items[0], Cond::Not(x) if matches!(**x, Cond::Leaf(Leaf::Compare { op: CmpOp::Eq, .. })))
        );
        assert!(matches!(&items[1], Cond::Not(x) if matches!(**x, Cond::Leaf(Leaf::IsNull(_)))));
        let Cond::Not(x) = &items[2] else { panic!() };
        assert_eq!(
            **x,
            Cond::Leaf(Leaf::InSet {
                value: ValueIr::Field(2),
                set: vec![Lit::Str("äb".into())],
                insensitive: true
            })
        );
    }

    #[test]
    fn runs_expand_and_top_keys_prepend() {
        let ir = lower("sequence by h with maxspan=2s [a where true] by p with runs=3 [b where true] by q until [c where true] by r");
        let QueryIr::Sequence(s) = &ir.query else {
            panic!()
        };
        assert_eq!(s.stages.len(), 4);
        assert_eq!(s.maxspan_ms, Some(2000));
        let names = |st: &StageIr| {
            st.keys
                .iter()
                .map(|k| ir.fields[k.field as usize].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&s.stages[0]), vec!["h", "p"]);
        assert_eq!(names(&s.stages[3]), vec!["h", "q"]);
        assert_eq!(names(s.until.as_ref().unwrap()), vec!["h", "r"]);
    }

    #[test]
    fn regex_is_translated() {
        let ir = lower("any where a regex~ \"\"\"x\\d+\"\"\"");
        let QueryIr::Event(f) = &ir.query else {
            panic!()
        };
        let Cond::Leaf(Leaf::Regex { patterns, .. }) = &f.condition else {
            panic!()
        };
        assert_eq!(patterns[0], "(?i)(?s)\\A(?:x[0-9]+)\\z");
    }
}
