//! The reference interpreter: evaluates the IR through `rule_runtime`, for any rules
//! loaded at run time. It is the oracle the generated code is tested against, so it is
//! written for clarity: every leaf enumerates the assignments of its field mentions
//! (eql-semantics.md J.1) instead of taking shortcuts.

use crate::ir::*;
use crate::schema::FieldType;
use rule_runtime::alert::RuleInfo;
use rule_runtime::assign::{note_truncated, MAX_ASSIGNMENTS};
use rule_runtime::cmp::CmpKind;
use rule_runtime::engine::{EventTime, Pipe, RuleEntry};
use rule_runtime::event::{Event, LineEvent};
use rule_runtime::functions as f;
use rule_runtime::key::{key_tuples, KeyPart};
use rule_runtime::options::MatcherOptions;
use rule_runtime::pattern::{InSet, RegexMatcher, Wildcard};
use rule_runtime::ruleset::{key_parts, Shape};
use rule_runtime::sample::SampleMode;
use rule_runtime::state::{new_state, RuleState, SetHits, StageHits};
use rule_runtime::stream::{Backend, LineError};
use rule_runtime::time::TimeFields;
use rule_runtime::value::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How rules are interpreted.
#[derive(Debug, Clone)]
pub struct InterpreterOptions {
    /// Field types from a mapping or schema: `date` fields compare as instants and
    /// report join keys as ISO dates, `version` fields compare as versions.
    pub field_types: BTreeMap<String, FieldType>,
    /// Samples: first complete sample per key on a stream, or Elasticsearch's batch
    /// answer at end of input.
    pub sample_mode: SampleMode,
    /// The most open join keys a sequence keeps (oldest evicted, counted); bounds the
    /// state of sequences without `maxspan`.
    pub max_sequence_keys: Option<usize>,
}

pub use rule_runtime::options::DEFAULT_MAX_SEQUENCE_KEYS;

impl InterpreterOptions {
    /// The run-time options shared with compiled matchers (sanitised there).
    pub fn matcher_options(&self) -> MatcherOptions {
        MatcherOptions {
            sample_mode: self.sample_mode,
            max_sequence_keys: self.max_sequence_keys,
        }
    }
}

impl Default for InterpreterOptions {
    fn default() -> Self {
        InterpreterOptions {
            field_types: BTreeMap::new(),
            sample_mode: SampleMode::Stream,
            max_sequence_keys: Some(DEFAULT_MAX_SEQUENCE_KEYS),
        }
    }
}

/// One interpreted rule: its logic, its shape, what its alerts say, its pipes.
pub struct InterpretedRule {
    logic: Logic,
    shape: Shape,
    info: Arc<RuleInfo>,
    pipes: Vec<Pipe>,
}

impl InterpretedRule {
    /// Compiles `rule` for interpretation (patterns, sets and regexes built once).
    pub fn new(
        rule: &RuleIr,
        info: Arc<RuleInfo>,
        options: &InterpreterOptions,
    ) -> Result<Self, String> {
        let ctx = Ctx::new(rule, options)?;
        let (stages, until, shape) = match &rule.query {
            QueryIr::Event(filter) => (
                vec![CStage {
                    filter: ctx.filter(filter)?,
                    keys: Vec::new(),
                }],
                None,
                Shape::Event,
            ),
            QueryIr::Sequence(s) => (
                ctx.stages(&s.stages)?,
                s.until.as_ref().map(|u| ctx.stage(u)).transpose()?,
                Shape::Sequence {
                    stages: s.stages.iter().map(|st| st.kind).collect::<Vec<_>>().into(),
                    maxspan_ms: s.maxspan_ms,
                },
            ),
            QueryIr::Sample(s) => (
                ctx.stages(&s.stages)?,
                None,
                Shape::Sample {
                    filters: s.stages.len(),
                },
            ),
        };
        Ok(InterpretedRule {
            logic: Logic { ctx, stages, until },
            shape,
            info,
            pipes: rule.pipes.clone(),
        })
    }

    /// The stages of this rule `event` matches, with their keys.
    pub fn evaluate<E: Event>(&self, event: &E, hits: &mut StageHits) {
        self.logic.evaluate(event, hits)
    }

    /// What its alerts say about it.
    pub fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    /// A fresh state for the rule.
    pub fn state<E: Clone + 'static>(
        &self,
        options: &InterpreterOptions,
    ) -> Result<Box<dyn RuleState<E>>, String> {
        new_state(self.info.clone(), &self.shape, &options.matcher_options())
    }
}

/// A set of interpreted rules, evaluated rule by rule.
pub struct InterpretedRules {
    rules: Vec<InterpretedRule>,
    options: InterpreterOptions,
}

impl InterpretedRules {
    pub fn new(rules: Vec<InterpretedRule>, options: InterpreterOptions) -> Self {
        InterpretedRules { rules, options }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[InterpretedRule] {
        &self.rules
    }

    /// Every rule's stage hits on `event`, in rule order (`hits` is cleared first).
    pub fn evaluate<E: Event>(&self, event: &E, hits: &mut SetHits) {
        hits.clear();
        for (i, rule) in self.rules.iter().enumerate() {
            let h = hits.begin(i);
            rule.evaluate(event, h);
            hits.end();
        }
    }

    /// Every rule's state with its pipes, for the engine.
    pub fn states<E: Clone + 'static>(&self) -> Result<Vec<RuleEntry<E>>, String> {
        self.rules
            .iter()
            .map(|r| Ok((r.state(&self.options)?, r.pipes.clone())))
            .collect()
    }
}

/// The interpreter as a stream back end: each line parsed with `serde_json`, every rule
/// evaluated on it. Events are kept as [`LineEvent`]s (written verbatim in alerts, like
/// the compiled back end's).
pub struct InterpreterBackend {
    rules: InterpretedRules,
    time: TimeFields,
    last: Option<Arc<LineEvent>>,
}

impl InterpreterBackend {
    pub fn new(rules: InterpretedRules, time: TimeFields) -> Self {
        InterpreterBackend {
            rules,
            time,
            last: None,
        }
    }

    /// The rules.
    pub fn rules(&self) -> &InterpretedRules {
        &self.rules
    }
}

impl Backend for InterpreterBackend {
    type Event = Arc<LineEvent>;

    fn evaluate(&mut self, line: &str, hits: &mut SetHits) -> Result<EventTime, LineError> {
        let event = LineEvent::parse(line).map_err(|e| match e {
            rule_runtime::event::EventError::NotAnObject { found } => LineError::NotAnObject(found),
            rule_runtime::event::EventError::Syntax { message, .. } => {
                if message.contains("recursion limit") {
                    LineError::TooDeep(rule_runtime::json::MAX_DEPTH)
                } else {
                    LineError::NotJson(message)
                }
            }
        })?;
        self.rules.evaluate(&event, hits);
        let time = self
            .time
            .timestamp(&event)
            .map(|ts| (ts, self.time.tiebreaker(&event)));
        self.last = Some(Arc::new(event));
        Ok(time)
    }

    fn event(&mut self, line: &str) -> Arc<LineEvent> {
        match self.last.take() {
            Some(e) => e,
            // Not reached: the engine asks for the event just evaluated.
            None => Arc::new(LineEvent::parse(line).unwrap_or_else(|_| {
                LineEvent::from_json_event(rule_runtime::event::JsonEvent::from_map(
                    Default::default(),
                ))
            })),
        }
    }
}

/// A rule's compiled stages, evaluated by [`Row`].
struct Logic {
    ctx: Ctx,
    stages: Vec<CStage>,
    until: Option<CStage>,
}

impl Logic {
    fn evaluate<E: Event>(&self, event: &E, hits: &mut StageHits) {
        let mut row = Row::new(event, &self.ctx);
        for (i, st) in self.stages.iter().enumerate() {
            if row.filter(&st.filter) {
                let keys = row.keys(&st.keys);
                hits.push(i, keys);
            }
        }
        if let Some(u) = &self.until {
            if row.filter(&u.filter) {
                hits.until = row.keys(&u.keys);
            }
        }
    }
}

/// Per-rule compiled context: field paths and their types.
pub(crate) struct Ctx {
    fields: Vec<String>,
    types: Vec<Option<FieldType>>,
    category_field: FieldId,
}

/// A filter with its patterns compiled.
pub(crate) struct CFilter {
    category: Option<String>,
    cond: CCond,
}

struct CStage {
    filter: CFilter,
    keys: Vec<KeyIr>,
}

pub(crate) enum CCond {
    Const(bool),
    Not(Box<CCond>),
    And(Vec<CCond>),
    Or(Vec<CCond>),
    Compare {
        op: CmpOp,
        lhs: CVal,
        rhs: CVal,
        kind: CmpKind,
        nulls_equal: bool,
    },
    IsNull(CVal),
    Wildcard(CVal, Vec<Wildcard>),
    Regex(CVal, Vec<RegexMatcher>),
    InSet(CVal, InSet),
    Truthy(CVal),
    /// A KQL leaf: some value of the field satisfies the test.
    Kql(FieldId, rule_runtime::kql::KqlTest),
}

pub(crate) enum CVal {
    Lit(Value<'static>),
    Field(FieldId),
    Neg(Box<CVal>),
    Arith(crate::ast::ArithOp, Box<CVal>, Box<CVal>),
    Call(crate::functions::Function, bool, Vec<CVal>),
    Cond(Box<CCond>),
}

fn lit_value(l: &Lit) -> Value<'static> {
    match l {
        Lit::Null => Value::Null,
        Lit::Bool(b) => Value::Bool(*b),
        Lit::Int(i) => Value::Int(*i),
        Lit::Float(x) => Value::Float(*x),
        Lit::Str(s) => Value::Str(s.clone().into()),
    }
}

impl Ctx {
    pub(crate) fn new(rule: &RuleIr, options: &InterpreterOptions) -> Result<Ctx, String> {
        Ok(Ctx {
            types: rule
                .fields
                .iter()
                .map(|f| options.field_types.get(f).copied())
                .collect(),
            fields: rule.fields.clone(),
            category_field: rule.category_field,
        })
    }

    pub(crate) fn filter(&self, f: &FilterIr) -> Result<CFilter, String> {
        Ok(CFilter {
            category: f.category.clone(),
            cond: self.cond(&f.condition)?,
        })
    }

    fn stages(&self, stages: &[StageIr]) -> Result<Vec<CStage>, String> {
        stages.iter().map(|st| self.stage(st)).collect()
    }

    fn stage(&self, s: &StageIr) -> Result<CStage, String> {
        Ok(CStage {
            filter: self.filter(&s.filter)?,
            keys: s.keys.clone(),
        })
    }

    fn field_type(&self, v: &ValueIr) -> Option<FieldType> {
        match v {
            ValueIr::Field(id) => self.types.get(*id as usize).copied().flatten(),
            _ => None,
        }
    }

    pub(crate) fn cond(&self, c: &Cond) -> Result<CCond, String> {
        Ok(match c {
            Cond::Const(b) => CCond::Const(*b),
            Cond::Not(x) => CCond::Not(Box::new(self.cond(x)?)),
            Cond::And(xs) => CCond::And(xs.iter().map(|x| self.cond(x)).collect::<Result<_, _>>()?),
            Cond::Or(xs) => CCond::Or(xs.iter().map(|x| self.cond(x)).collect::<Result<_, _>>()?),
            Cond::Leaf(l) => match l {
                Leaf::Compare {
                    op,
                    lhs,
                    rhs,
                    nulls_equal,
                } => {
                    let kind = match self.field_type(lhs).or_else(|| self.field_type(rhs)) {
                        Some(FieldType::Date) => CmpKind::Date,
                        Some(FieldType::DateNanos) => CmpKind::DateNanos,
                        Some(FieldType::Version) => CmpKind::Version,
                        _ => CmpKind::Plain,
                    };
                    CCond::Compare {
                        op: *op,
                        lhs: self.value(lhs)?,
                        rhs: self.value(rhs)?,
                        kind,
                        nulls_equal: *nulls_equal,
                    }
                }
                Leaf::IsNull(v) => CCond::IsNull(self.value(v)?),
                Leaf::Wildcard {
                    value,
                    patterns,
                    insensitive,
                } => CCond::Wildcard(
                    self.value(value)?,
                    patterns
                        .iter()
                        .map(|p| Wildcard::new(p, *insensitive))
                        .collect(),
                ),
                Leaf::Regex { value, patterns } => CCond::Regex(
                    self.value(value)?,
                    patterns
                        .iter()
                        .map(|p| RegexMatcher::new(p, false).map_err(|e| e.to_string()))
                        .collect::<Result<_, _>>()?,
                ),
                Leaf::InSet {
                    value,
                    set,
                    insensitive,
                } => {
                    let lits: Vec<Value<'static>> = set.iter().map(lit_value).collect();
                    CCond::InSet(self.value(value)?, InSet::new(lits.iter(), *insensitive))
                }
                Leaf::Truthy(v) => CCond::Truthy(self.value(v)?),
                Leaf::Kql { field, test } => CCond::Kql(*field, test.clone()),
            },
        })
    }

    pub(crate) fn value(&self, v: &ValueIr) -> Result<CVal, String> {
        Ok(match v {
            ValueIr::Lit(l) => CVal::Lit(lit_value(l)),
            ValueIr::Field(id) => CVal::Field(*id),
            ValueIr::Neg(x) => CVal::Neg(Box::new(self.value(x)?)),
            ValueIr::Arith { op, lhs, rhs } => {
                CVal::Arith(*op, Box::new(self.value(lhs)?), Box::new(self.value(rhs)?))
            }
            ValueIr::Call {
                function,
                insensitive,
                args,
            } => CVal::Call(
                *function,
                *insensitive,
                args.iter()
                    .map(|a| self.value(a))
                    .collect::<Result<_, _>>()?,
            ),
            ValueIr::Cond(c) => CVal::Cond(Box::new(self.cond(c)?)),
        })
    }
}

/// One event's field values, read once per field per event.
pub(crate) struct Row<'e, E: Event> {
    event: &'e E,
    ctx: &'e Ctx,
    cache: Vec<Option<Vec<Value<'e>>>>,
}

impl<'e, E: Event> Row<'e, E> {
    pub(crate) fn new(event: &'e E, ctx: &'e Ctx) -> Self {
        Row {
            event,
            ctx,
            cache: vec![None; ctx.fields.len()],
        }
    }

    /// A field's values; a field without values is one null (J.1).
    fn field(&mut self, id: FieldId) -> Vec<Value<'e>> {
        let i = id as usize;
        if self.cache[i].is_none() {
            let mut out = Vec::new();
            self.event.values(&self.ctx.fields[i], &mut out);
            self.cache[i] = Some(out);
        }
        match &self.cache[i] {
            Some(v) if !v.is_empty() => v.iter().map(Value::borrowed).map(own_into).collect(),
            _ => vec![Value::Null],
        }
    }

    pub(crate) fn category_matches(&mut self, category: &Option<String>) -> bool {
        let Some(c) = category else { return true };
        let id = self.ctx.category_field;
        self.field(id)
            .iter()
            .any(|v| matches!(v, Value::Str(s) if s == c))
    }

    pub(crate) fn filter(&mut self, f: &CFilter) -> bool {
        self.category_matches(&f.category) && self.cond(&f.cond)
    }

    pub(crate) fn cond(&mut self, c: &CCond) -> bool {
        match c {
            CCond::Const(b) => *b,
            CCond::Not(x) => !self.cond(x),
            CCond::And(xs) => xs.iter().all(|x| self.cond(x)),
            CCond::Or(xs) => xs.iter().any(|x| self.cond(x)),
            CCond::Compare {
                op,
                lhs,
                rhs,
                kind,
                nulls_equal,
            } => {
                let ls = self.value(lhs);
                let rs = self.value(rhs);
                // The pairs of values, at most MAX_ASSIGNMENTS of them (as the
                // generated code's assignments are).
                let hit = pairs(&ls, &rs).any(|(l, r)| {
                    (*nulls_equal && l.is_null() && r.is_null())
                        || compare(*kind, *op, l, r) == Some(true)
                });
                hit
            }
            CCond::IsNull(v) => self.value(v).iter().any(Value::is_null),
            CCond::Wildcard(v, pats) => self
                .value(v)
                .iter()
                .any(|x| pats.iter().any(|p| p.matches_value(x))),
            CCond::Regex(v, res) => self
                .value(v)
                .iter()
                .any(|x| res.iter().any(|r| r.matches_value(x))),
            CCond::InSet(v, set) => self.value(v).iter().any(|x| set.contains(x)),
            CCond::Truthy(v) => self.value(v).iter().any(|x| matches!(x, Value::Bool(true))),
            CCond::Kql(id, test) => self.field(*id).iter().any(|x| test.matches_value(x)),
        }
    }

    /// Every value the expression takes over the assignments of its field mentions.
    pub(crate) fn value(&mut self, v: &CVal) -> Vec<Value<'e>> {
        match v {
            CVal::Lit(l) => vec![l.clone()],
            CVal::Field(id) => self.field(*id),
            CVal::Neg(x) => self
                .value(x)
                .iter()
                .map(|a| f::subtract(&Value::Int(0), a))
                .collect(),
            CVal::Arith(op, a, b) => {
                let xs = self.value(a);
                let ys = self.value(b);
                let out: Vec<Value<'e>> = pairs(&xs, &ys)
                    .map(|(x, y)| match op {
                        crate::ast::ArithOp::Add => f::add(x, y),
                        crate::ast::ArithOp::Sub => f::subtract(x, y),
                        crate::ast::ArithOp::Mul => f::multiply(x, y),
                        crate::ast::ArithOp::Div => f::divide(x, y),
                        crate::ast::ArithOp::Mod => f::modulo(x, y),
                    })
                    .collect();
                out
            }
            CVal::Call(function, insensitive, args) => {
                let arg_values: Vec<Vec<Value<'e>>> = args.iter().map(|a| self.value(a)).collect();
                let mut out = Vec::new();
                for combo in cartesian(&arg_values) {
                    out.push(call(*function, *insensitive, &combo));
                }
                out
            }
            // A comparison used as a value is null where an operand is null
            // (`null == (exit_code > -1)` matches events without exit_code).
            CVal::Cond(c) => match &**c {
                CCond::Compare {
                    op, lhs, rhs, kind, ..
                } => {
                    let ls = self.value(lhs);
                    let rs = self.value(rhs);
                    pairs(&ls, &rs)
                        .map(|(l, r)| compare(*kind, *op, l, r).map_or(Value::Null, Value::Bool))
                        .collect()
                }
                c => vec![Value::Bool(self.cond(c))],
            },
        }
    }

    /// The key tuples of this event for a stage (C.3).
    pub(crate) fn keys(&mut self, keys: &[KeyIr]) -> Vec<Vec<KeyPart>> {
        let per_field: Vec<(Vec<KeyPart>, bool)> = keys
            .iter()
            .map(|k| {
                let date = matches!(
                    self.ctx.types.get(k.field as usize).copied().flatten(),
                    Some(FieldType::Date | FieldType::DateNanos)
                );
                let parts = key_parts(self.field(k.field).into_iter(), date);
                (parts, k.optional)
            })
            .collect();
        key_tuples(&per_field)
    }
}

fn own_into<'e>(v: Value<'_>) -> Value<'e> {
    v.into_owned()
}

/// The product of value lists, at most [`MAX_ASSIGNMENTS`] combinations (a cut is
/// counted, as the generated code counts its capped leaves).
fn cartesian<'e>(lists: &[Vec<Value<'e>>]) -> Vec<Vec<Value<'e>>> {
    let mut out: Vec<Vec<Value<'e>>> = vec![Vec::new()];
    for list in lists {
        let mut next = Vec::with_capacity(bounded(out.len().saturating_mul(list.len().max(1))));
        'fill: for prefix in &out {
            for v in list {
                if next.len() == MAX_ASSIGNMENTS {
                    note_truncated();
                    break 'fill;
                }
                let mut p = prefix.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        out = next;
    }
    out
}

/// A capacity no larger than [`MAX_ASSIGNMENTS`].
fn bounded(n: usize) -> usize {
    n.min(MAX_ASSIGNMENTS)
}

/// The pairs of two value lists in order, at most [`MAX_ASSIGNMENTS`] (a cut is
/// counted).
fn pairs<'a, 'e>(
    xs: &'a [Value<'e>],
    ys: &'a [Value<'e>],
) -> impl Iterator<Item = (&'a Value<'e>, &'a Value<'e>)> {
    if xs.len().saturating_mul(ys.len()) > MAX_ASSIGNMENTS {
        note_truncated();
    }
    xs.iter()
        .flat_map(move |x| ys.iter().map(move |y| (x, y)))
        .take(MAX_ASSIGNMENTS)
}

fn call<'e>(function: crate::functions::Function, insensitive: bool, a: &[Value<'e>]) -> Value<'e> {
    use crate::functions::Function as F;
    let get = |i: usize| a.get(i).cloned().unwrap_or(Value::Null);
    let opt = |i: usize| a.get(i);
    match function {
        F::Add => f::add(&get(0), &get(1)),
        F::Subtract => f::subtract(&get(0), &get(1)),
        F::Multiply => f::multiply(&get(0), &get(1)),
        F::Divide => f::divide(&get(0), &get(1)),
        F::Modulo => f::modulo(&get(0), &get(1)),
        F::Between => f::between(&get(0), &get(1), &get(2), opt(3), insensitive).into_owned(),
        F::CidrMatch => f::cidr_match(&get(0), a.get(1..).unwrap_or(&[])),
        F::Concat => f::concat(a).into_owned(),
        F::EndsWith => f::ends_with(&get(0), &get(1), insensitive),
        F::StartsWith => f::starts_with(&get(0), &get(1), insensitive),
        F::StringContains => f::string_contains(&get(0), &get(1), insensitive),
        F::IndexOf => f::index_of(&get(0), &get(1), opt(2), insensitive),
        F::Length => f::length(&get(0)),
        F::Number => f::number(&get(0), opt(1)),
        F::String => f::string(&get(0)).into_owned(),
        F::Substring => f::substring(&get(0), &get(1), opt(2)).into_owned(),
    }
}

/// `l op r` with the comparison kind (the runtime's, shared with generated code).
fn compare(kind: CmpKind, op: CmpOp, l: &Value<'_>, r: &Value<'_>) -> Option<bool> {
    rule_runtime::cmp::compare(kind, op, l, r)
}

/// The alert metadata of a loaded rule.
pub fn rule_info(meta: &crate::source::RuleMeta) -> RuleInfo {
    RuleInfo {
        id: meta.rule_id.clone(),
        name: meta.name.clone(),
        version: meta.version,
        severity: meta.severity.clone(),
        risk_score: meta.risk_score,
        building_block: meta.building_block_type.is_some(),
        tags: meta.tags.clone(),
        threat: meta
            .threat
            .iter()
            .map(|t| rule_runtime::alert::ThreatInfo {
                tactic: t.tactic.as_ref().map(|x| x.id.clone()).unwrap_or_default(),
                techniques: t
                    .technique
                    .iter()
                    .flat_map(|tech| {
                        std::iter::once(tech.id.clone())
                            .chain(tech.subtechnique.iter().map(|s| s.id.clone()))
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rule_runtime::event::JsonEvent;

    /// Does `query` (an event query) match `event` (JSON)?
    fn matches(query: &str, event: &str) -> bool {
        let q = crate::parse_query(query).unwrap_or_else(|e| panic!("{query}: {e:?}"));
        let ir = lower_query("t", "t", "t", DEFAULT_CATEGORY_FIELD, &q).unwrap();
        let rule =
            InterpretedRule::new(&ir, Arc::default(), &InterpreterOptions::default()).unwrap();
        let e = JsonEvent::parse(event).unwrap();
        let mut hits = StageHits::default();
        rule.evaluate(&e, &mut hits);
        !hits.stages.is_empty()
    }

    // eql-semantics.md J.1, one test per bullet, with its examples.

    #[test]
    fn each_field_mention_ranges_over_its_values() {
        assert!(matches("any where f > 1 and f < 3", r#"{"f": [0, 5]}"#));
        assert!(matches(
            "any where concat(f, f) == \"ab\"",
            r#"{"f": ["a", "b"]}"#
        ));
        assert!(matches("any where f == 1234", r#"{"f": [1234, 599999]}"#));
    }

    #[test]
    fn missing_null_and_empty_are_one_null_and_a_null_leaf_is_false() {
        for e in [
            r#"{}"#,
            r#"{"f": null}"#,
            r#"{"f": []}"#,
            r#"{"f": [null]}"#,
        ] {
            assert!(!matches("any where f == \"x\"", e), "{e}");
            assert!(!matches("any where f >= 0", e), "{e}");
            assert!(matches("any where f == null", e), "{e}");
            assert!(!matches("any where f != null", e), "{e}");
        }
    }

    #[test]
    fn not_matches_missing_fields_for_every_kind_of_leaf() {
        assert!(matches("any where f != \"x\"", "{}"));
        assert!(matches("any where not f : \"x\"", "{}"));
        assert!(matches("any where not (f > 1)", "{}"));
        assert!(matches("any where not length(f) > 3", "{}"));
        assert!(!matches("any where f != \"x\"", r#"{"f": ["x", "y"]}"#));
    }

    #[test]
    fn null_tests() {
        assert!(matches("any where f != null", r#"{"f": [null, 1]}"#));
        assert!(!matches("any where f == null", r#"{"f": [null, 1]}"#));
        assert!(matches("any where concat(a, b) == null", r#"{"a": "x"}"#));
        assert!(matches("any where null == (exit_code > -1)", r#"{}"#));
    }

    #[test]
    fn not_in_with_null_is_not_sql() {
        assert!(matches("any where f not in (\"a\", null)", r#"{"f": "b"}"#));
        assert!(matches("any where f not in (\"a\", null)", "{}"));
        assert!(!matches("any where f in (\"a\", null)", "{}"));
    }

    #[test]
    fn categories_and_case() {
        assert!(matches(
            "process where true",
            r#"{"event": {"category": ["network", "process"]}}"#
        ));
        assert!(!matches(
            "process where true",
            r#"{"event": {"category": "Process"}}"#
        ));
        assert!(matches("any where true", "{}"));
        assert!(matches("any where f : \"ärzte\"", r#"{"f": "ÄRZTE"}"#));
        assert!(matches("any where f : \"σίγμα\"", r#"{"f": "ΣΊΓΜΑ"}"#));
        assert!(!matches("any where f == \"ärzte\"", r#"{"f": "ÄRZTE"}"#));
        assert!(matches("any where f in~ (\"ärzte\")", r#"{"f": "ÄRZTE"}"#));
    }

    #[test]
    fn coercions_and_arithmetic() {
        assert!(matches(
            "any where event.code == \"7\"",
            r#"{"event": {"code": 7}}"#
        ));
        assert!(matches("any where n == 7", r#"{"n": "7"}"#));
        assert!(matches(
            "any where serial_event_id / 2 == 41",
            r#"{"serial_event_id": 83}"#
        ));
        assert!(!matches(
            "any where 66.0 / serial_event_id == 1",
            r#"{"serial_event_id": 65}"#
        ));
        assert!(matches("any where -1 < exit_code", r#"{"exit_code": 0}"#));
        assert!(matches("any where ip == \"::1\"", r#"{"ip": "0:0::1"}"#));
    }

    #[test]
    fn escapes_and_wildcards() {
        assert!(matches(
            r#"any where p : "C:\\Users\\*\\x.exe""#,
            r#"{"p": "c:\\users\\bob\\X.EXE"}"#
        ));
        assert!(matches(r#"any where p like "?doc""#, r#"{"p": "adoc"}"#));
        assert!(!matches(
            r#"any where p like "?doc""#,
            r#"{"p": "asciidoc"}"#
        ));
        assert!(matches(r#"any where p in ("1*")"#, r#"{"p": "1*"}"#));
        assert!(!matches(r#"any where p in ("1*")"#, r#"{"p": "12"}"#));
        assert!(matches(
            r#"any where p regex~ """c:\\win.*""""#,
            r#"{"p": "C:\\Windows"}"#
        ));
    }
}
