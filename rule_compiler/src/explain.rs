//! "Why didn't it match": a rule's verdict over a list of events, explained per event
//! and per stage (DESIGN.md, "Test harness", "Why it did not match").
//!
//! [`explain`] runs the rule through the reference interpreter and the streaming engine
//! (as a test-stream case is run: a fresh engine, events in the given order, flushed at
//! the end), so the verdict is the real answer. It then explains it:
//!
//! * per event and per filter (the event query's, each sequence or sample stage
//!   including missing-event stages and `until`): whether the filter holds and, when it
//!   does not, which conditions failed, rendered back to EQL-like text, with the field
//!   values the event has and the comparison rule (case folding) where it matters; when
//!   it holds, the event's join-key values;
//! * for sequences, a walk of the state machine of eql-semantics.md C.4/C.5 over the
//!   events in the order the engine matches them: which events start a partial, which
//!   extend it, which hold a stage with another join key, gaps over `maxspan`, `until`
//!   events, missing-event stages whose event is present, late and untimed events;
//! * for samples, the events of each stage per join-key tuple.
//!
//! Every leaf is evaluated by the interpreter's own code (its compiled conditions and
//! value evaluation), so a condition is reported true or false exactly as the
//! interpreter decides it. The report is deterministic and capped in size
//! ([`ExplainOptions`]).
//!
//! Conditions are printed from the IR, so they show what is compared: the literals of
//! `:`, `like~` and `in~` case-folded, `!=` and `not in` as written, regexes in their
//! translated form (`\d` as `[0-9]`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use rule_runtime::alert::RuleInfo;
use rule_runtime::engine::{Engine, EngineConfig, EventTime};
use rule_runtime::event::Event;
use rule_runtime::fold::fold;
use rule_runtime::key::KeyPart;
use rule_runtime::sequence::StageKind;
use rule_runtime::state::SetHits;
use rule_runtime::time::{format_millis, Ordinal, TimeFields};
use rule_runtime::value::{format_float, Value};
use serde::Serialize;

use crate::functions::{Function, SIGNATURES};
use crate::interpreter::{CCond, CFilter, CVal, Ctx, InterpretedRule, InterpreterOptions, Row};
use crate::ir::{CmpOp, Cond, FieldId, KeyIr, Leaf, Lit, Pipe, QueryIr, RuleIr, StageIr, ValueIr};

/// Longest value or literal shown in full; longer ones are cut with `…`.
const MAX_TEXT_CHARS: usize = 80;

/// Most events per stage considered when checking that a sample's key tuple can be
/// filled with distinct events.
const MAX_SAMPLE_CANDIDATES: usize = 32;

/// Most join-key tuples listed for a sample.
const MAX_SAMPLE_KEYS: usize = 20;

/// Most alerts listed in the verdict line.
const MAX_VERDICT_ALERTS: usize = 10;

/// How [`explain`] runs the rule and how much it reports.
#[derive(Debug, Clone)]
pub struct ExplainOptions {
    /// The timestamp and tiebreaker fields (default `@timestamp`, no tiebreaker), as the
    /// engine reads them.
    pub time: TimeFields,
    /// Values shown per field (and literals per list) before "… and N more" (default 5).
    pub max_values: usize,
    /// Events detailed per event and stage (default 50); the rest are counted. The
    /// verdict and the sequence walk still cover every event.
    pub max_events: usize,
    /// Steps of the sequence walk shown (default 200); the rest are counted.
    pub max_steps: usize,
    /// The engine's reorder window in milliseconds (default 0, as test streams run).
    pub reorder_window_ms: u64,
    /// The interpreter's options (field types, sample mode, key cap).
    pub interpreter: InterpreterOptions,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            time: TimeFields::default(),
            max_values: 5,
            max_events: 50,
            max_steps: 200,
            reorder_window_ms: 0,
            interpreter: InterpreterOptions::default(),
        }
    }
}

/// The kind of query explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum QueryKind {
    /// An event query (`process where …`).
    Event,
    /// A sequence.
    Sequence,
    /// A sample.
    Sample,
}

/// What a filter of the rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StageRole {
    /// The one filter of an event query.
    Filter,
    /// A positive sequence stage `[…]`.
    Positive,
    /// A missing-event sequence stage `![…]`.
    Missing,
    /// The `until` clause of a sequence.
    Until,
    /// A filter of a sample.
    Sample,
}

/// One filter of the rule, as the report names and shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageInfo {
    /// `filter`, `stage 2` or `until`.
    pub label: String,
    /// What the filter is.
    pub role: StageRole,
    /// The category it needs (`None` for `any`).
    pub category: Option<String>,
    /// The filter rendered back to EQL-like text (`[process where …] by x`).
    pub text: String,
    /// Its join-key fields, top-level keys first (`?` marks optional ones).
    pub keys: Vec<String>,
}

/// The rule's answer over the events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Whether the rule raised at least one alert.
    pub alerted: bool,
    /// One line: `an alert: events [0, 2]`, `no alert: stage 2 never held`.
    pub summary: String,
}

/// One alert the engine raised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertInfo {
    /// The events' indexes in stage order (`None` at a missing-event stage).
    pub events: Vec<Option<usize>>,
    /// The join-key values, as text.
    pub join_keys: Vec<String>,
    /// The timestamp of the alert's last event, if timed.
    pub timestamp: Option<i64>,
}

/// An expression's values in one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operand {
    /// The field path or expression (`process.name`, `length(process.args)`).
    pub expr: String,
    /// The first values, as text (strings quoted, long ones cut).
    pub values: Vec<String>,
    /// Values not shown.
    pub more: usize,
    /// A field without any value (missing, `null` or `[]`).
    pub missing: bool,
}

/// Why (part of) a filter's condition is false on an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Failure {
    /// A condition that does not hold: a leaf (`process.name : "x"`), or a negation
    /// whose operand holds (`process.name != "x"`, `not (a and b)`).
    Condition {
        /// The condition as EQL-like text.
        condition: String,
        /// How it compares text, when the event gives it text: `case-sensitive` or
        /// `folds case`.
        rule: Option<String>,
        /// It is a negation and the negated condition holds.
        negation_held: bool,
        /// The values its fields and expressions take in the event.
        operands: Vec<Operand>,
        /// The comparison rule and hints (`case-sensitive: differs only in case`).
        notes: Vec<String>,
    },
    /// An `or` none of whose branches holds: each branch's failures.
    AnyOf {
        /// Per branch, why it is false.
        branches: Vec<Vec<Failure>>,
    },
}

/// The category test of a filter, when it fails.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryMismatch {
    /// The category field and its values.
    pub values: Operand,
    /// The category the filter needs.
    pub needed: String,
    /// A value equals it ignoring case (categories compare case-sensitively).
    pub differs_in_case: bool,
}

/// The join keys of an event for a filter it satisfies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyCheck {
    /// The key fields.
    pub fields: Vec<String>,
    /// The key tuples (one per combination of distinct values), as text.
    pub tuples: Vec<Vec<String>>,
    /// Tuples not shown.
    pub more: usize,
    /// Non-optional key fields without a value: the event has no key and cannot join.
    pub missing: Vec<String>,
}

/// One filter checked on one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageCheck {
    /// Index into [`Explanation::stages`].
    pub stage: usize,
    /// Whether the filter (category and condition) holds, as the interpreter decides.
    pub holds: bool,
    /// The category test, when it fails.
    pub category: Option<CategoryMismatch>,
    /// Why the condition is false (empty when it holds).
    pub failures: Vec<Failure>,
    /// The join keys, for a sequence or sample filter that holds.
    pub keys: Option<KeyCheck>,
}

/// One event checked against every filter of the rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventReport {
    /// The event's index in the input.
    pub index: usize,
    /// Its timestamp (epoch milliseconds), or why it has none.
    pub timestamp: Result<i64, String>,
    /// Each filter, in [`Explanation::stages`] order.
    pub stages: Vec<StageCheck>,
}

/// What became of a complete sequence of positive events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CandidateOutcome {
    /// The engine raised it as an alert.
    Alert,
    /// A missing-event stage's event is present: the candidate is dropped.
    Rejected {
        /// The missing-event stage (index into [`Explanation::stages`]).
        stage: usize,
        /// The event that holds it.
        event: usize,
        /// Where that event lies against the candidate's events and `maxspan`.
        reason: String,
    },
    /// Not among the engine's alerts for another reason (a pipe, a state limit).
    NotEmitted,
}

/// One step of the sequence walk (stages are indexes into [`Explanation::stages`],
/// keys are tuples of values as text).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum WalkStep {
    /// An event that holds a stage has no usable timestamp: sequences skip it.
    Untimed { event: usize, reason: String },
    /// An event that holds a stage came after a later event was matched: sequences skip
    /// it.
    Late {
        event: usize,
        timestamp: i64,
        after_event: usize,
        after_timestamp: i64,
    },
    /// An event holds a stage but has no join key (a non-optional key field is missing).
    NoKey {
        event: usize,
        stage: usize,
        missing: Vec<String>,
    },
    /// An event holds the first positive stage: a new partial.
    Started {
        event: usize,
        stage: usize,
        key: Vec<String>,
        /// The partial of the same stage and key it replaces.
        replaced: Option<Vec<usize>>,
    },
    /// An event extends a partial of the previous positive stage with the same key.
    Advanced {
        event: usize,
        stage: usize,
        key: Vec<String>,
        /// The partial's events, this one included.
        events: Vec<usize>,
        /// Milliseconds since the partial's previous event.
        gap_ms: i64,
        /// Milliseconds since the partial's first event.
        span_ms: i64,
    },
    /// An event holds a stage, but no partial of the previous positive stage has its key
    /// while others are open.
    KeyMismatch {
        event: usize,
        stage: usize,
        key: Vec<String>,
        previous_stage: usize,
        /// Open partials of the previous stage: their events and key.
        open: Vec<(Vec<usize>, Vec<String>)>,
        /// Open partials not listed.
        more: usize,
    },
    /// An event holds a stage, but no partial of the previous positive stage is open.
    NoPartial {
        event: usize,
        stage: usize,
        key: Vec<String>,
        previous_stage: usize,
        /// A later event that holds the previous stage with this key.
        later: Option<usize>,
        /// An event that holds the previous stage with this key but that sequences
        /// skipped (late or untimed).
        skipped: Option<usize>,
    },
    /// An event holds a stage with the partial's key, too long after its first event.
    MaxspanExceeded {
        event: usize,
        stage: usize,
        key: Vec<String>,
        /// The partial that was dropped.
        partial: Vec<usize>,
        /// Milliseconds since the partial's first event.
        span_ms: i64,
        /// Milliseconds since the partial's last event.
        gap_ms: i64,
        maxspan_ms: u64,
    },
    /// An `until` event ended the open partials of its key.
    UntilEnded {
        event: usize,
        key: Vec<String>,
        /// The ended partials: stage and events.
        partials: Vec<(usize, Vec<usize>)>,
    },
    /// An `until` event whose key had no open partial.
    UntilIdle { event: usize, key: Vec<String> },
    /// An event holds a missing-event stage (checked against complete sequences).
    MissingHeld {
        event: usize,
        stage: usize,
        key: Vec<String>,
    },
    /// An event completes a sequence.
    Completed {
        event: usize,
        key: Vec<String>,
        /// The events in stage order (`None` at missing-event stages).
        events: Vec<Option<usize>>,
        outcome: CandidateOutcome,
    },
}

/// The events of one join-key tuple of a sample, per stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleKey {
    /// The key tuple, as text.
    pub key: Vec<String>,
    /// Per stage, the events that hold it with this key (capped).
    pub events: Vec<Vec<usize>>,
    /// Every stage can be filled with a distinct event.
    pub complete: bool,
}

/// The explanation of a rule over a list of events: structured data, and a
/// human-readable report through [`fmt::Display`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's name.
    pub rule_name: String,
    /// Event query, sequence or sample.
    pub kind: QueryKind,
    /// Every filter of the rule, in order (sequence stages, then `until`).
    pub stages: Vec<StageInfo>,
    /// A sequence's `maxspan`.
    pub maxspan_ms: Option<u64>,
    /// The rule's pipes, as text (`head 1`).
    pub pipes: Vec<String>,
    /// The answer, in one line.
    pub verdict: Verdict,
    /// The engine's alerts.
    pub alerts: Vec<AlertInfo>,
    /// The events detailed (the first [`ExplainOptions::max_events`]).
    pub events: Vec<EventReport>,
    /// Events not detailed.
    pub omitted_events: usize,
    /// The sequence walk (first [`ExplainOptions::max_steps`] steps).
    pub walk: Vec<WalkStep>,
    /// Walk steps not shown.
    pub omitted_steps: usize,
    /// A sample's key tuples (first few).
    pub samples: Vec<SampleKey>,
    /// Key tuples not shown.
    pub omitted_samples: usize,
    /// The interpreter rejected the rule (nothing else was computed).
    pub error: Option<String>,
}

/// Explains what `rule` makes of `events` (in this order): the verdict of the real
/// interpreter and engine, and per event and stage why each filter holds or not.
/// Never panics, whatever the events hold.
pub fn explain<E: Event>(rule: &RuleIr, events: &[E], options: &ExplainOptions) -> Explanation {
    let printer = Printer {
        fields: &rule.fields,
        max_list: options.max_values.max(1),
    };
    let (kind, maxspan_ms) = match &rule.query {
        QueryIr::Event(_) => (QueryKind::Event, None),
        QueryIr::Sequence(s) => (QueryKind::Sequence, s.maxspan_ms),
        QueryIr::Sample(_) => (QueryKind::Sample, None),
    };
    let mut x = Explanation {
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        kind,
        stages: stage_infos(rule, &printer),
        maxspan_ms,
        pipes: rule
            .pipes
            .iter()
            .map(|p| match p {
                Pipe::Head(n) => format!("head {n}"),
                Pipe::Tail(n) => format!("tail {n}"),
            })
            .collect(),
        verdict: Verdict {
            alerted: false,
            summary: String::new(),
        },
        alerts: Vec::new(),
        events: Vec::new(),
        omitted_events: 0,
        walk: Vec::new(),
        omitted_steps: 0,
        samples: Vec::new(),
        omitted_samples: 0,
        error: None,
    };
    if let Err(e) = Analyzer::run(rule, events, options, &printer, &mut x) {
        x.verdict.summary = format!("no verdict: the interpreter rejects the rule: {e}");
        x.error = Some(e);
    }
    x
}

// ---------------------------------------------------------------------------------------
// Analysis

/// A filter compiled for explanation: the interpreter's filter (the authority on
/// whether it holds) and a tree of the interpreter's leaves (to say which failed).
struct XStage {
    filter: CFilter,
    category: Option<String>,
    cond: XNode,
    keys: Vec<KeyIr>,
    role: StageRole,
}

/// A condition node with its text.
struct XNode {
    text: String,
    kind: XKind,
}

enum XKind {
    Const(bool),
    Not(Box<XNode>),
    And(Vec<XNode>),
    Or(Vec<XNode>),
    Leaf(Box<XLeaf>),
}

/// A leaf compiled by the interpreter, with what explains it.
struct XLeaf {
    compiled: CCond,
    /// The text when negated (`a != b`, `a not in (…)`).
    negated_text: String,
    operands: Vec<XOperand>,
    /// The leaf with case folded, and the hint to give when only it holds.
    folded: Option<(CCond, String)>,
    /// How it compares text (`case-sensitive`, `folds case`), shown when a string
    /// value failed it.
    rule: Option<&'static str>,
    /// A note on its literals (wildcards that are literal in an `in` list).
    literal_note: Option<String>,
}

/// A non-literal operand of a leaf.
enum XOperand {
    Field(String),
    Computed {
        text: String,
        value: CVal,
        fields: Vec<String>,
    },
}

/// What one event does for one stage (for the walk and the verdict).
#[derive(Clone, Default)]
struct StageFact {
    holds: bool,
    tuples: Vec<Vec<KeyPart>>,
    missing_keys: Vec<String>,
}

struct Analyzer<'r> {
    rule: &'r RuleIr,
    ctx: Ctx,
    stages: Vec<XStage>,
    max_values: usize,
}

/// A partial of the walk.
#[derive(Clone)]
struct Partial {
    events: Vec<usize>,
    first_ts: i64,
    last_ts: i64,
}

/// A complete sequence of positive events found by the walk.
struct Candidate {
    events: Vec<usize>,
    times: Vec<i64>,
    key: Vec<KeyPart>,
    step: Option<usize>,
}

impl<'r> Analyzer<'r> {
    fn run<E: Event>(
        rule: &'r RuleIr,
        events: &[E],
        options: &ExplainOptions,
        printer: &Printer<'_>,
        x: &mut Explanation,
    ) -> Result<(), String> {
        let ctx = Ctx::new(rule, &options.interpreter)?;
        let mut stages = Vec::new();
        for (ir, role) in stage_irs(rule) {
            stages.push(XStage {
                filter: ctx.filter(&ir.filter)?,
                category: ir.filter.category.clone(),
                cond: build_node(&ir.filter.condition, &ctx, printer)?,
                keys: ir.keys.clone(),
                role,
            });
        }
        let info = Arc::new(RuleInfo {
            id: rule.id.clone(),
            name: rule.name.clone(),
            ..RuleInfo::default()
        });
        let interpreted = InterpretedRule::new(rule, info, &options.interpreter)?;
        let state = interpreted.state::<usize>(&options.interpreter)?;
        let mut engine = Engine::new(
            EngineConfig {
                time: options.time.clone(),
                reorder_window_ms: options.reorder_window_ms,
            },
            vec![(state, rule.pipes.clone())],
        );
        let analyzer = Analyzer {
            rule,
            ctx,
            stages,
            max_values: options.max_values.max(1),
        };

        let mut facts: Vec<Vec<StageFact>> = Vec::with_capacity(events.len());
        let mut times: Vec<EventTime> = Vec::with_capacity(events.len());
        let mut out = Vec::new();
        let mut hits = SetHits::new();
        for (i, event) in events.iter().enumerate() {
            let time = options
                .time
                .timestamp(event)
                .map(|ts| (ts, options.time.tiebreaker(event)));
            let detailed = i < options.max_events;
            let (f, report) = analyzer.event(i, event, &time, detailed);
            facts.push(f);
            if let Some(r) = report {
                x.events.push(r);
            }
            hits.clear();
            let h = hits.begin(0);
            interpreted.evaluate(event, h);
            hits.end();
            engine.push(time.clone(), &mut hits, || i, &mut out);
            times.push(time);
        }
        engine.flush(&mut out);
        x.omitted_events = events.len().saturating_sub(x.events.len());
        x.alerts = out
            .iter()
            .map(|a| AlertInfo {
                events: a.events.clone(),
                join_keys: a.join_keys.iter().map(show_value).collect(),
                timestamp: a.timestamp,
            })
            .collect();

        let blocked = match &rule.query {
            QueryIr::Sequence(s) => {
                analyzer.walk(&facts, &times, s.maxspan_ms, options, &out_events(&out), x)
            }
            QueryIr::Sample(_) => {
                analyzer.samples(&facts, x);
                None
            }
            QueryIr::Event(_) => None,
        };
        x.verdict = analyzer.verdict(&facts, &times, x, blocked);
        Ok(())
    }

    /// Evaluates every stage on one event; the report when `detailed`.
    fn event<E: Event>(
        &self,
        index: usize,
        event: &E,
        time: &EventTime,
        detailed: bool,
    ) -> (Vec<StageFact>, Option<EventReport>) {
        let mut row = Row::new(event, &self.ctx);
        let mut facts = Vec::with_capacity(self.stages.len());
        let mut checks = Vec::new();
        for (s, st) in self.stages.iter().enumerate() {
            let holds = row.filter(&st.filter);
            let mut fact = StageFact {
                holds,
                ..StageFact::default()
            };
            if holds {
                fact.tuples = row.keys(&st.keys);
                if fact.tuples.is_empty() {
                    fact.missing_keys = st
                        .keys
                        .iter()
                        .filter(|k| !k.optional && !has_values(event, self.path(k.field)))
                        .map(|k| self.path(k.field).to_string())
                        .collect();
                }
            }
            if detailed {
                checks.push(self.check(s, st, event, &mut row, &fact));
            }
            facts.push(fact);
        }
        let report = detailed.then(|| EventReport {
            index,
            timestamp: match time {
                Ok((ts, _)) => Ok(*ts),
                Err(e) => Err(e.to_string()),
            },
            stages: checks,
        });
        (facts, report)
    }

    fn path(&self, id: FieldId) -> &str {
        self.rule
            .fields
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    fn check<'e, E: Event>(
        &self,
        s: usize,
        st: &XStage,
        event: &'e E,
        row: &mut Row<'e, E>,
        fact: &StageFact,
    ) -> StageCheck {
        let mut check = StageCheck {
            stage: s,
            holds: fact.holds,
            category: None,
            failures: Vec::new(),
            keys: None,
        };
        if fact.holds {
            if st.role != StageRole::Filter {
                check.keys = Some(self.key_check(st, fact));
            }
            return check;
        }
        if let Some(needed) = &st.category {
            if !row.category_matches(&st.category) {
                let path = self.path(self.rule.category_field);
                let raw = raw_values(event, path);
                let folded = fold(needed);
                check.category = Some(CategoryMismatch {
                    differs_in_case: raw
                        .iter()
                        .any(|v| matches!(v, Value::Str(s) if fold(s) == folded)),
                    values: self.operand(path.to_string(), &raw, true),
                    needed: needed.clone(),
                });
            }
        }
        if !truth(&st.cond, row) {
            self.why_false(&st.cond, event, row, &mut check.failures);
        }
        check
    }

    fn key_check(&self, st: &XStage, fact: &StageFact) -> KeyCheck {
        let shown = fact.tuples.len().min(self.max_values);
        KeyCheck {
            fields: st
                .keys
                .iter()
                .map(|k| key_name(self.path(k.field), k))
                .collect(),
            tuples: fact.tuples[..shown]
                .iter()
                .map(|t| t.iter().map(show_key_part).collect())
                .collect(),
            more: fact.tuples.len() - shown,
            missing: fact.missing_keys.clone(),
        }
    }

    /// Why `node` (false on the event) is false.
    fn why_false<'e, E: Event>(
        &self,
        node: &XNode,
        event: &'e E,
        row: &mut Row<'e, E>,
        out: &mut Vec<Failure>,
    ) {
        match &node.kind {
            XKind::Const(_) => out.push(Failure::Condition {
                condition: node.text.clone(),
                rule: None,
                negation_held: false,
                operands: Vec::new(),
                notes: Vec::new(),
            }),
            XKind::Leaf(leaf) => {
                let operands = self.leaf_operands(leaf, event, row);
                let mut notes = Vec::new();
                if let Some((folded, hint)) = &leaf.folded {
                    if row.cond(folded) {
                        notes.push(format!("case-sensitive: differs only in case ({hint})"));
                    }
                }
                notes.extend(leaf.literal_note.iter().cloned());
                let rule = leaf
                    .rule
                    .filter(|_| leaf_sees_text(leaf, event, row))
                    .map(str::to_string);
                out.push(Failure::Condition {
                    condition: node.text.clone(),
                    rule,
                    negation_held: false,
                    operands,
                    notes,
                });
            }
            XKind::And(items) => {
                for item in items {
                    if !truth(item, row) {
                        self.why_false(item, event, row, out);
                    }
                }
            }
            XKind::Or(items) => {
                let mut branches = Vec::with_capacity(items.len());
                for item in items {
                    let mut b = Vec::new();
                    self.why_false(item, event, row, &mut b);
                    branches.push(b);
                }
                if branches.len() == 1 {
                    out.append(&mut branches[0]);
                } else {
                    out.push(Failure::AnyOf { branches });
                }
            }
            XKind::Not(inner) => self.why_true(node, inner, event, row, out),
        }
    }

    /// Why `not inner` (written `not_node`) is false: `inner` holds.
    fn why_true<'e, E: Event>(
        &self,
        not_node: &XNode,
        inner: &XNode,
        event: &'e E,
        row: &mut Row<'e, E>,
        out: &mut Vec<Failure>,
    ) {
        match &inner.kind {
            XKind::Not(y) => self.why_false(y, event, row, out),
            XKind::Leaf(leaf) => out.push(Failure::Condition {
                condition: leaf.negated_text.clone(),
                rule: None,
                negation_held: true,
                operands: self.leaf_operands(leaf, event, row),
                notes: Vec::new(),
            }),
            _ => {
                let mut operands = Vec::new();
                let mut leaves = Vec::new();
                collect_leaves(inner, &mut leaves);
                for leaf in leaves {
                    for op in self.leaf_operands(leaf, event, row) {
                        if !operands.iter().any(|o: &Operand| o.expr == op.expr) {
                            operands.push(op);
                        }
                    }
                }
                let mut notes = vec!["the negated condition holds".to_string()];
                if let XKind::Or(items) = &inner.kind {
                    let held: Vec<String> = items
                        .iter()
                        .filter(|i| truth(i, row))
                        .map(|i| i.text.clone())
                        .collect();
                    notes = vec![format!(
                        "the negated condition holds through {}",
                        abbreviate(&held, self.max_values)
                    )];
                }
                out.push(Failure::Condition {
                    condition: not_node.text.clone(),
                    rule: None,
                    negation_held: true,
                    operands,
                    notes,
                });
            }
        }
    }

    fn leaf_operands<'e, E: Event>(
        &self,
        leaf: &XLeaf,
        event: &'e E,
        row: &mut Row<'e, E>,
    ) -> Vec<Operand> {
        let mut out: Vec<Operand> = Vec::new();
        let mut push = |op: Operand| {
            if !out.iter().any(|o| o.expr == op.expr) {
                out.push(op);
            }
        };
        for operand in &leaf.operands {
            match operand {
                XOperand::Field(path) => {
                    push(self.operand(path.clone(), &raw_values(event, path), true))
                }
                XOperand::Computed {
                    text,
                    value,
                    fields,
                } => {
                    let values = row.value(value);
                    push(self.operand(text.clone(), &values, false));
                    for path in fields {
                        push(self.operand(path.clone(), &raw_values(event, path), true));
                    }
                }
            }
        }
        out
    }

    /// An operand from its values; a field without values is missing.
    fn operand(&self, expr: String, values: &[Value<'_>], field: bool) -> Operand {
        let shown = values.len().min(self.max_values);
        Operand {
            expr,
            values: values[..shown].iter().map(show_value).collect(),
            more: values.len() - shown,
            missing: field && values.is_empty(),
        }
    }

    // ---- sequences

    /// Walks the sequence state machine (C.4, C.5) in the engine's order; returns the
    /// most advanced reason a partial did not go on.
    fn walk(
        &self,
        facts: &[Vec<StageFact>],
        times: &[EventTime],
        maxspan_ms: Option<u64>,
        options: &ExplainOptions,
        alerts: &[(Vec<Option<usize>>, Vec<Value<'static>>)],
        x: &mut Explanation,
    ) -> Option<String> {
        let n = self
            .stages
            .iter()
            .filter(|s| matches!(s.role, StageRole::Positive | StageRole::Missing))
            .count();
        let positive: Vec<usize> = (0..n)
            .filter(|&j| self.stages[j].role == StageRole::Positive)
            .collect();
        let until = (self.stages.len() > n).then_some(n);
        let (Some(&first), Some(&last)) = (positive.first(), positive.last()) else {
            return None;
        };
        let relevant = |i: usize| facts[i].iter().any(|f| f.holds);
        let mut w = Walk {
            steps: Vec::new(),
            max: options.max_steps,
            omitted: 0,
            blocked: None,
        };

        // The engine's order: in-order events by ordinal, late and untimed ones skipped.
        let order = release_order(times, options.reorder_window_ms);
        let mut skipped: Vec<usize> = order.late.iter().map(|&(i, _)| i).collect();
        skipped.extend((0..times.len()).filter(|&i| times[i].is_err()));
        skipped.sort_unstable();
        for (i, t) in times.iter().enumerate() {
            if let Err(e) = t {
                if relevant(i) {
                    w.push(WalkStep::Untimed {
                        event: i,
                        reason: e.to_string(),
                    });
                    w.block(
                        0,
                        Block::Order,
                        format!("event {i} holds a stage but has no usable timestamp"),
                    );
                }
            }
        }
        for &(i, after) in &order.late {
            if relevant(i) {
                let ts = time_of(times, i);
                let after_ts = time_of(times, after);
                w.push(WalkStep::Late {
                    event: i,
                    timestamp: ts,
                    after_event: after,
                    after_timestamp: after_ts,
                });
                w.block(
                    0,
                    Block::Order,
                    format!("event {i} is out of order (before event {after}): sequences skip it"),
                );
            }
        }

        let mut pending: BTreeMap<(usize, Vec<KeyPart>), Partial> = BTreeMap::new();
        let mut missing_events: Vec<(usize, usize, i64, Vec<Vec<KeyPart>>)> = Vec::new();
        let mut candidates: Vec<Candidate> = Vec::new();
        for (pos, &i) in order.released.iter().enumerate() {
            let ts = time_of(times, i);
            let f = &facts[i];
            for j in (0..n).rev() {
                let fact = &f[j];
                if !fact.holds {
                    continue;
                }
                if fact.tuples.is_empty() {
                    w.push(WalkStep::NoKey {
                        event: i,
                        stage: j,
                        missing: fact.missing_keys.clone(),
                    });
                    continue;
                }
                if self.stages[j].role == StageRole::Missing {
                    for k in &fact.tuples {
                        w.push(WalkStep::MissingHeld {
                            event: i,
                            stage: j,
                            key: show_key(k),
                        });
                    }
                    missing_events.push((j, i, ts, fact.tuples.clone()));
                    continue;
                }
                for k in &fact.tuples {
                    let advanced = if j == first {
                        let replaced = pending.remove(&(j, k.clone())).map(|p| p.events);
                        w.push(WalkStep::Started {
                            event: i,
                            stage: j,
                            key: show_key(k),
                            replaced,
                        });
                        Partial {
                            events: vec![i],
                            first_ts: ts,
                            last_ts: ts,
                        }
                    } else {
                        let prev = positive[positive.iter().position(|&p| p == j).unwrap_or(1) - 1];
                        let Some(mut p) = pending.remove(&(prev, k.clone())) else {
                            let open: Vec<(Vec<usize>, Vec<String>)> = pending
                                .iter()
                                .filter(|((s, _), _)| *s == prev)
                                .map(|((_, key), p)| (p.events.clone(), show_key(key)))
                                .collect();
                            let rank = positive.iter().position(|&p| p == j).unwrap_or(0);
                            if open.is_empty() {
                                let holds_prev = |l: &usize| facts[*l][prev].tuples.contains(k);
                                let later =
                                    order.released[pos + 1..].iter().copied().find(holds_prev);
                                let skipped = skipped.iter().copied().find(holds_prev);
                                w.block(
                                    rank,
                                    Block::NoPartial,
                                    match (later, skipped) {
                                        (_, Some(l)) => format!(
                                            "stage {} held with its key only on event {l}, which sequences skip (late or untimed)",
                                            prev + 1
                                        ),
                                        (Some(l), None) => format!(
                                            "stage {} held (event {i}) before stage {} with its key (event {l})",
                                            j + 1,
                                            prev + 1
                                        ),
                                        (None, None) => format!(
                                            "stage {} held (event {i}) with no open stage-{} partial",
                                            j + 1,
                                            prev + 1
                                        ),
                                    },
                                );
                                w.push(WalkStep::NoPartial {
                                    event: i,
                                    stage: j,
                                    key: show_key(k),
                                    previous_stage: prev,
                                    later,
                                    skipped,
                                });
                            } else {
                                w.block(
                                    rank,
                                    Block::KeyMismatch,
                                    format!(
                                        "stage {} held (event {i}) only with another join key than the open stage-{} partials",
                                        j + 1,
                                        prev + 1
                                    ),
                                );
                                let shown = open.len().min(self.max_values);
                                w.push(WalkStep::KeyMismatch {
                                    event: i,
                                    stage: j,
                                    key: show_key(k),
                                    previous_stage: prev,
                                    more: open.len() - shown,
                                    open: open.into_iter().take(shown).collect(),
                                });
                            }
                            continue;
                        };
                        let span = ts.saturating_sub(p.first_ts);
                        let gap = ts.saturating_sub(p.last_ts);
                        if let Some(m) = maxspan_ms {
                            if i128::from(span) > i128::from(m) {
                                let rank = positive.iter().position(|&p| p == j).unwrap_or(0);
                                w.block(
                                    rank,
                                    Block::Maxspan,
                                    format!(
                                        "stage {} held (event {i}) {} after the partial began, over maxspan {}",
                                        j + 1,
                                        secs(span),
                                        maxspan_text(m)
                                    ),
                                );
                                w.push(WalkStep::MaxspanExceeded {
                                    event: i,
                                    stage: j,
                                    key: show_key(k),
                                    partial: p.events,
                                    span_ms: span,
                                    gap_ms: gap,
                                    maxspan_ms: m,
                                });
                                continue;
                            }
                        }
                        p.events.push(i);
                        p.last_ts = ts;
                        if j != last {
                            w.push(WalkStep::Advanced {
                                event: i,
                                stage: j,
                                key: show_key(k),
                                events: p.events.clone(),
                                gap_ms: gap,
                                span_ms: span,
                            });
                        }
                        p
                    };
                    if j == last {
                        let times_of: Vec<i64> =
                            advanced.events.iter().map(|&e| time_of(times, e)).collect();
                        let step = w.push(WalkStep::Completed {
                            event: i,
                            key: show_key(k),
                            events: Vec::new(),
                            outcome: CandidateOutcome::NotEmitted,
                        });
                        candidates.push(Candidate {
                            events: advanced.events,
                            times: times_of,
                            key: k.clone(),
                            step,
                        });
                    } else {
                        pending.insert((j, k.clone()), advanced);
                    }
                }
            }
            if let Some(u) = until {
                let fact = &f[u];
                if fact.holds {
                    if fact.tuples.is_empty() {
                        w.push(WalkStep::NoKey {
                            event: i,
                            stage: u,
                            missing: fact.missing_keys.clone(),
                        });
                    }
                    for k in &fact.tuples {
                        let ended: Vec<(usize, Vec<usize>)> = (0..n)
                            .filter_map(|s| pending.remove(&(s, k.clone())).map(|p| (s, p.events)))
                            .collect();
                        if ended.is_empty() {
                            w.push(WalkStep::UntilIdle {
                                event: i,
                                key: show_key(k),
                            });
                        } else {
                            let reached = ended.iter().map(|(_, e)| e.len()).max().unwrap_or(0);
                            w.block(
                                reached,
                                Block::Until,
                                format!("an until event (event {i}) ended the open partial"),
                            );
                            w.push(WalkStep::UntilEnded {
                                event: i,
                                key: show_key(k),
                                partials: ended,
                            });
                        }
                    }
                }
            }
        }

        // Complete candidates: missing-event stages (checked over all the data, as at
        // flush), then the engine's alerts.
        let mut rejected_all = !candidates.is_empty();
        let mut not_emitted = 0usize;
        for c in &candidates {
            let events = expand(&c.events, &positive, n);
            let key_values: Vec<Value<'static>> = c.key.iter().map(KeyPart::to_value).collect();
            let outcome = if alerts.iter().any(|(e, k)| *e == events && *k == key_values) {
                rejected_all = false;
                CandidateOutcome::Alert
            } else {
                match self.missing_check(c, &positive, n, maxspan_ms, &missing_events) {
                    Some((stage, event, reason)) => CandidateOutcome::Rejected {
                        stage,
                        event,
                        reason,
                    },
                    None => {
                        rejected_all = false;
                        not_emitted += 1;
                        CandidateOutcome::NotEmitted
                    }
                }
            };
            if let Some(WalkStep::Completed {
                events: ev,
                outcome: o,
                ..
            }) = c.step.and_then(|s| w.steps.get_mut(s))
            {
                *ev = events;
                *o = outcome;
            }
        }
        if rejected_all {
            w.blocked = Some((
                (usize::MAX, Block::Final as u8),
                "every complete sequence was rejected by a missing-event stage".to_string(),
            ));
        } else if not_emitted > 0 && alerts.is_empty() {
            w.blocked = Some((
                (usize::MAX, Block::Final as u8),
                format!(
                    "{not_emitted} complete sequence(s) were not emitted (pipes: {})",
                    if x.pipes.is_empty() {
                        "none".to_string()
                    } else {
                        x.pipes.join(" | ")
                    }
                ),
            ));
        }
        x.walk = w.steps;
        x.omitted_steps = w.omitted;
        w.blocked.map(|(_, r)| r)
    }

    /// C.5: the missing-event stage that rejects a candidate, if any.
    fn missing_check(
        &self,
        c: &Candidate,
        positive: &[usize],
        n: usize,
        maxspan_ms: Option<u64>,
        missing_events: &[(usize, usize, i64, Vec<Vec<KeyPart>>)],
    ) -> Option<(usize, usize, String)> {
        let maxspan = i128::from(maxspan_ms.unwrap_or(u64::MAX));
        let (first_pos, last_pos) = (*positive.first()?, *positive.last()?);
        let first_ts = *c.times.first()?;
        let last_ts = *c.times.last()?;
        let keyed = |m: usize| {
            missing_events
                .iter()
                .filter(move |(s, _, _, keys)| *s == m && keys.contains(&c.key))
        };
        // Middle clauses.
        for m in (0..n).filter(|&m| m > first_pos && m < last_pos) {
            if self.stages[m].role != StageRole::Missing {
                continue;
            }
            let before = positive.iter().rposition(|&p| p < m)?;
            let (p_ev, p_ts) = (c.events[before], c.times[before]);
            let (n_ev, n_ts) = (c.events[before + 1], c.times[before + 1]);
            if let Some((_, e, ts, _)) = keyed(m).find(|(_, _, ts, _)| p_ts < *ts && *ts < n_ts) {
                return Some((
                    m,
                    *e,
                    format!(
                        "event {e} holds it with the same key at {}, between event {p_ev} ({}) and event {n_ev} ({})",
                        format_millis(*ts),
                        format_millis(p_ts),
                        format_millis(n_ts)
                    ),
                ));
            }
        }
        let leading = (0..first_pos)
            .filter(|&m| self.stages[m].role == StageRole::Missing)
            .flat_map(|m| keyed(m).filter(|(_, _, ts, _)| *ts < first_ts))
            .max_by_key(|(_, e, ts, _)| (*ts, *e));
        let trailing = (last_pos + 1..n)
            .filter(|&m| self.stages[m].role == StageRole::Missing)
            .flat_map(|m| keyed(m).filter(|(_, _, ts, _)| *ts > last_ts))
            .min_by_key(|(_, e, ts, _)| (*ts, *e));
        let has_leading = first_pos > 0;
        let has_trailing = last_pos + 1 < n;
        let within = |d: i64| i128::from(d) <= maxspan;
        match (has_leading, has_trailing) {
            (true, false) => {
                let (m, e, ts, _) = leading?;
                let d = last_ts.saturating_sub(*ts);
                within(d).then(|| {
                    (
                        *m,
                        *e,
                        format!(
                            "event {e} holds it with the same key {} before the sequence's first event; the last event is {} after it, within maxspan {}",
                            secs(first_ts.saturating_sub(*ts)),
                            secs(d),
                            maxspan_text(maxspan_ms.unwrap_or(0))
                        ),
                    )
                })
            }
            (false, true) => {
                let (m, e, ts, _) = trailing?;
                let d = ts.saturating_sub(first_ts);
                within(d).then(|| {
                    (
                        *m,
                        *e,
                        format!(
                            "event {e} holds it with the same key {} after the sequence's last event, {} after its first, within maxspan {}",
                            secs(ts.saturating_sub(last_ts)),
                            secs(d),
                            maxspan_text(maxspan_ms.unwrap_or(0))
                        ),
                    )
                })
            }
            (true, true) => {
                let (_, le, lts, _) = leading?;
                let (m, e, ts, _) = trailing?;
                let d = ts.saturating_sub(*lts);
                within(d).then(|| {
                    (
                        *m,
                        *e,
                        format!(
                            "event {le} (leading) and event {e} (trailing) hold the missing-event stages with the same key, {} apart, within maxspan {}",
                            secs(d),
                            maxspan_text(maxspan_ms.unwrap_or(0))
                        ),
                    )
                })
            }
            (false, false) => None,
        }
    }

    // ---- samples

    fn samples(&self, facts: &[Vec<StageFact>], x: &mut Explanation) {
        let n = self.stages.len();
        let mut by_key: BTreeMap<Vec<KeyPart>, Vec<Vec<usize>>> = BTreeMap::new();
        for (i, f) in facts.iter().enumerate() {
            for (s, fact) in f.iter().enumerate() {
                for k in &fact.tuples {
                    let lists = by_key
                        .entry(k.clone())
                        .or_insert_with(|| vec![Vec::new(); n]);
                    if lists[s].len() < MAX_SAMPLE_CANDIDATES {
                        lists[s].push(i);
                    }
                }
            }
        }
        let total = by_key.len();
        for (key, lists) in by_key.into_iter().take(MAX_SAMPLE_KEYS) {
            x.samples.push(SampleKey {
                key: show_key(&key),
                complete: distinct_assignment(&lists, &mut Vec::new()),
                events: lists,
            });
        }
        x.omitted_samples = total.saturating_sub(x.samples.len());
    }

    // ---- verdict

    fn verdict(
        &self,
        facts: &[Vec<StageFact>],
        times: &[EventTime],
        x: &Explanation,
        blocked: Option<String>,
    ) -> Verdict {
        if !x.alerts.is_empty() {
            let shown: Vec<String> = x
                .alerts
                .iter()
                .take(MAX_VERDICT_ALERTS)
                .map(|a| show_alert_events(&a.events))
                .collect();
            let more = x.alerts.len() - shown.len();
            let mut summary = if x.alerts.len() == 1 {
                format!("an alert: events {}", shown[0])
            } else {
                format!("{} alerts: events {}", x.alerts.len(), shown.join(", "))
            };
            if more > 0 {
                summary.push_str(&format!(", … and {more} more"));
            }
            return Verdict {
                alerted: true,
                summary,
            };
        }
        let no = |why: String| Verdict {
            alerted: false,
            summary: format!("no alert: {why}"),
        };
        if facts.is_empty() {
            return no("no events".to_string());
        }
        let held =
            |s: usize| -> Vec<usize> { (0..facts.len()).filter(|&i| facts[i][s].holds).collect() };
        let needed: Vec<usize> = (0..self.stages.len())
            .filter(|&s| {
                matches!(
                    self.stages[s].role,
                    StageRole::Filter | StageRole::Positive | StageRole::Sample
                )
            })
            .collect();
        let never: Vec<usize> = needed
            .iter()
            .copied()
            .filter(|&s| held(s).is_empty())
            .collect();
        if x.kind == QueryKind::Event {
            let h = held(0);
            return no(if h.is_empty() {
                "the filter held on no event".to_string()
            } else {
                format!(
                    "the filter held on events {} but the pipes ({}) dropped them",
                    show_indexes(&h, self.max_values),
                    x.pipes.join(" | ")
                )
            });
        }
        if !never.is_empty() {
            let names: Vec<String> = never.iter().map(|s| (s + 1).to_string()).collect();
            return no(if names.len() == 1 {
                format!("stage {} never held", names[0])
            } else {
                format!("stages {} never held", join_and(&names))
            });
        }
        let keyless: Vec<usize> = needed
            .iter()
            .copied()
            .filter(|&s| held(s).iter().all(|&i| facts[i][s].tuples.is_empty()))
            .collect();
        if let Some(&s) = keyless.first() {
            return no(format!(
                "stage {} held only on events without a join key ({} missing)",
                s + 1,
                join_and(&facts[held(s)[0]][s].missing_keys)
            ));
        }
        if x.kind == QueryKind::Sequence {
            let timed: Vec<usize> = needed
                .iter()
                .copied()
                .filter(|&s| held(s).iter().all(|&i| times[i].is_err()))
                .collect();
            if let Some(&s) = timed.first() {
                return no(format!(
                    "stage {} held only on events without a usable timestamp",
                    s + 1
                ));
            }
        }
        match (x.kind, blocked) {
            (_, Some(b)) => no(b),
            (QueryKind::Sample, None) => {
                if x.samples.iter().any(|k| k.complete) {
                    no("complete samples exist but none was emitted".to_string())
                } else {
                    no("no join-key tuple has an event for every stage".to_string())
                }
            }
            _ => no("no chain of events satisfied the stages in order".to_string()),
        }
    }
}

/// The walk's steps, capped, and the most advanced reason a partial stopped.
struct Walk {
    steps: Vec<WalkStep>,
    max: usize,
    omitted: usize,
    blocked: Option<((usize, u8), String)>,
}

/// Kinds of reasons a partial stopped, least telling first.
#[derive(Clone, Copy)]
enum Block {
    Order,
    NoPartial,
    KeyMismatch,
    Until,
    Maxspan,
    Final,
}

impl Walk {
    /// Records a step; its index when kept.
    fn push(&mut self, step: WalkStep) -> Option<usize> {
        if self.steps.len() < self.max {
            self.steps.push(step);
            Some(self.steps.len() - 1)
        } else {
            self.omitted += 1;
            None
        }
    }

    /// Records why a partial stopped: `rank` is how far it got, `why` how telling the
    /// reason is ([`Block`]); the first reason of the highest (rank, why) wins.
    fn block(&mut self, rank: usize, why: Block, reason: String) {
        let at = (rank, why as u8);
        if self.blocked.as_ref().is_none_or(|(r, _)| at > *r) {
            self.blocked = Some((at, reason));
        }
    }
}

/// The order the engine matches events in: `released` in-order events, and `late`
/// events with the event already released after which they came.
struct Release {
    released: Vec<usize>,
    late: Vec<(usize, usize)>,
}

fn release_order(times: &[EventTime], window: u64) -> Release {
    let mut out = Release {
        released: Vec::new(),
        late: Vec::new(),
    };
    let mut buffer: Vec<(Ordinal, usize)> = Vec::new();
    let mut last: Option<(Ordinal, usize)> = None;
    let mut max_ts: Option<i64> = None;
    let release = |buffer: &mut Vec<(Ordinal, usize)>,
                   out: &mut Release,
                   last: &mut Option<(Ordinal, usize)>,
                   upto: Option<i128>| {
        buffer.sort_by(|a, b| a.0.cmp(&b.0));
        let cut = buffer
            .iter()
            .position(|(o, _)| upto.is_some_and(|u| i128::from(o.timestamp) > u))
            .unwrap_or(buffer.len());
        for (o, i) in buffer.drain(..cut) {
            out.released.push(i);
            *last = Some((o, i));
        }
    };
    for (i, t) in times.iter().enumerate() {
        let Ok((ts, tb)) = t else { continue };
        let ordinal = Ordinal::new(*ts, tb.clone(), i as u64);
        if let Some((l, li)) = &last {
            if ordinal < *l {
                out.late.push((i, *li));
                continue;
            }
        }
        max_ts = Some(max_ts.map_or(*ts, |m| m.max(*ts)));
        buffer.push((ordinal, i));
        if window != EngineConfig::UNBOUNDED_WINDOW {
            let threshold = i128::from(max_ts.unwrap_or(*ts)) - i128::from(window);
            release(&mut buffer, &mut out, &mut last, Some(threshold));
        }
    }
    release(&mut buffer, &mut out, &mut last, None);
    out
}

fn time_of(times: &[EventTime], i: usize) -> i64 {
    match times.get(i) {
        Some(Ok((ts, _))) => *ts,
        _ => 0,
    }
}

/// Positive events placed at their stages, `None` at missing-event stages.
fn expand(events: &[usize], positive: &[usize], n: usize) -> Vec<Option<usize>> {
    let mut out = vec![None; n];
    for (e, &p) in events.iter().zip(positive) {
        out[p] = Some(*e);
    }
    out
}

fn out_events(
    out: &[rule_runtime::alert::Alert<usize>],
) -> Vec<(Vec<Option<usize>>, Vec<Value<'static>>)> {
    out.iter()
        .map(|a| (a.events.clone(), a.join_keys.clone()))
        .collect()
}

/// Whether each list can give a different event.
fn distinct_assignment(lists: &[Vec<usize>], used: &mut Vec<usize>) -> bool {
    let Some((first, rest)) = lists.split_first() else {
        return true;
    };
    for &e in first {
        if !used.contains(&e) {
            used.push(e);
            let ok = distinct_assignment(rest, used);
            used.pop();
            if ok {
                return true;
            }
        }
    }
    false
}

fn truth<E: Event>(node: &XNode, row: &mut Row<'_, E>) -> bool {
    match &node.kind {
        XKind::Const(b) => *b,
        XKind::Not(x) => !truth(x, row),
        XKind::And(xs) => xs.iter().all(|x| truth(x, row)),
        XKind::Or(xs) => xs.iter().any(|x| truth(x, row)),
        XKind::Leaf(l) => row.cond(&l.compiled),
    }
}

fn collect_leaves<'a>(node: &'a XNode, out: &mut Vec<&'a XLeaf>) {
    match &node.kind {
        XKind::Const(_) => {}
        XKind::Not(x) => collect_leaves(x, out),
        XKind::And(xs) | XKind::Or(xs) => xs.iter().for_each(|x| collect_leaves(x, out)),
        XKind::Leaf(l) => out.push(l),
    }
}

/// Whether some operand of the leaf has a string value (so case rules matter).
fn leaf_sees_text<'e, E: Event>(leaf: &XLeaf, event: &'e E, row: &mut Row<'e, E>) -> bool {
    leaf.operands.iter().any(|op| match op {
        XOperand::Field(path) => raw_values(event, path)
            .iter()
            .any(|v| matches!(v, Value::Str(_))),
        XOperand::Computed { value, fields, .. } => {
            row.value(value).iter().any(|v| matches!(v, Value::Str(_)))
                || fields.iter().any(|path| {
                    raw_values(event, path)
                        .iter()
                        .any(|v| matches!(v, Value::Str(_)))
                })
        }
    })
}

fn raw_values<'e, E: Event>(event: &'e E, path: &str) -> Vec<Value<'e>> {
    let mut out = Vec::new();
    event.values(path, &mut out);
    out.retain(|v| !v.is_null());
    out
}

fn has_values<E: Event>(event: &E, path: &str) -> bool {
    !raw_values(event, path).is_empty()
}

// ---------------------------------------------------------------------------------------
// Building the explained conditions

fn stage_irs(rule: &RuleIr) -> Vec<(StageIr, StageRole)> {
    match &rule.query {
        QueryIr::Event(f) => vec![(
            StageIr {
                filter: f.clone(),
                keys: Vec::new(),
                kind: StageKind::Positive,
            },
            StageRole::Filter,
        )],
        QueryIr::Sequence(s) => s
            .stages
            .iter()
            .map(|st| {
                let role = match st.kind {
                    StageKind::Positive => StageRole::Positive,
                    StageKind::Missing => StageRole::Missing,
                };
                (st.clone(), role)
            })
            .chain(s.until.iter().map(|u| (u.clone(), StageRole::Until)))
            .collect(),
        QueryIr::Sample(s) => s
            .stages
            .iter()
            .map(|st| (st.clone(), StageRole::Sample))
            .collect(),
    }
}

fn stage_infos(rule: &RuleIr, p: &Printer<'_>) -> Vec<StageInfo> {
    let mut out = Vec::new();
    let mut number = 0;
    for (st, role) in stage_irs(rule) {
        let label = match role {
            StageRole::Filter => "filter".to_string(),
            StageRole::Until => "until".to_string(),
            _ => {
                number += 1;
                format!("stage {number}")
            }
        };
        let keys: Vec<String> = st
            .keys
            .iter()
            .map(|k| key_name(p.field(k.field), k))
            .collect();
        let body = format!(
            "{} where {}",
            st.filter.category.as_deref().unwrap_or("any"),
            p.cond(&st.filter.condition, 0)
        );
        let text = match role {
            StageRole::Filter => body,
            StageRole::Missing => format!("![{body}]"),
            StageRole::Until => format!("[{body}]"),
            _ => format!("[{body}]"),
        };
        let text = if keys.is_empty() {
            text
        } else {
            format!("{text} by {}", keys.join(", "))
        };
        out.push(StageInfo {
            label,
            role,
            category: st.filter.category.clone(),
            text,
            keys,
        });
    }
    out
}

fn key_name(path: &str, k: &KeyIr) -> String {
    if k.optional {
        format!("?{path}")
    } else {
        path.to_string()
    }
}

fn build_node(c: &Cond, ctx: &Ctx, p: &Printer<'_>) -> Result<XNode, String> {
    let text = p.cond(c, 0);
    let kind = match c {
        Cond::Const(b) => XKind::Const(*b),
        Cond::Not(x) => XKind::Not(Box::new(build_node(x, ctx, p)?)),
        Cond::And(xs) => XKind::And(
            xs.iter()
                .map(|x| build_node(x, ctx, p))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Or(xs) => XKind::Or(
            xs.iter()
                .map(|x| build_node(x, ctx, p))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Leaf(l) => XKind::Leaf(Box::new(build_leaf(l, ctx, p)?)),
    };
    Ok(XNode { text, kind })
}

fn build_leaf(l: &Leaf, ctx: &Ctx, p: &Printer<'_>) -> Result<XLeaf, String> {
    let compiled = ctx.cond(&Cond::Leaf(l.clone()))?;
    let mut operands = Vec::new();
    let kql_field;
    let values: Vec<&ValueIr> = match l {
        Leaf::Compare { lhs, rhs, .. } => vec![lhs, rhs],
        Leaf::IsNull(v)
        | Leaf::Truthy(v)
        | Leaf::Wildcard { value: v, .. }
        | Leaf::Regex { value: v, .. }
        | Leaf::InSet { value: v, .. } => vec![v],
        Leaf::Kql { field, .. } => {
            kql_field = ValueIr::Field(*field);
            vec![&kql_field]
        }
    };
    for v in values {
        match v {
            ValueIr::Lit(_) => {}
            ValueIr::Field(id) => operands.push(XOperand::Field(p.field(*id).to_string())),
            other => {
                let mut fields = Vec::new();
                fields_of(other, p, &mut fields);
                operands.push(XOperand::Computed {
                    text: p.value(other),
                    value: ctx.value(other)?,
                    fields,
                });
            }
        }
    }
    let folded = match folded_leaf(l) {
        Some((leaf, hint)) => ctx.cond(&Cond::Leaf(leaf)).ok().map(|c| (c, hint)),
        None => None,
    };
    Ok(XLeaf {
        compiled,
        negated_text: p.cond(&Cond::Not(Box::new(Cond::Leaf(l.clone()))), 0),
        operands,
        folded,
        rule: case_rule(l),
        literal_note: match l {
            Leaf::InSet { set, .. }
                if set
                    .iter()
                    .any(|x| matches!(x, Lit::Str(s) if s.contains(['*', '?']))) =>
            {
                Some("`*` and `?` are literal in an `in` list (`:` matches patterns)".to_string())
            }
            _ => None,
        },
    })
}

fn fields_of(v: &ValueIr, p: &Printer<'_>, out: &mut Vec<String>) {
    match v {
        ValueIr::Lit(_) => {}
        ValueIr::Field(id) => {
            let name = p.field(*id).to_string();
            if !out.contains(&name) {
                out.push(name);
            }
        }
        ValueIr::Neg(x) => fields_of(x, p, out),
        ValueIr::Arith { lhs, rhs, .. } => {
            fields_of(lhs, p, out);
            fields_of(rhs, p, out);
        }
        ValueIr::Call { args, .. } => args.iter().for_each(|a| fields_of(a, p, out)),
        ValueIr::Cond(c) => cond_fields(c, p, out),
    }
}

fn cond_fields(c: &Cond, p: &Printer<'_>, out: &mut Vec<String>) {
    match c {
        Cond::Const(_) => {}
        Cond::Not(x) => cond_fields(x, p, out),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| cond_fields(x, p, out)),
        Cond::Leaf(l) => match l {
            Leaf::Compare { lhs, rhs, .. } => {
                fields_of(lhs, p, out);
                fields_of(rhs, p, out);
            }
            Leaf::IsNull(v)
            | Leaf::Truthy(v)
            | Leaf::Wildcard { value: v, .. }
            | Leaf::Regex { value: v, .. }
            | Leaf::InSet { value: v, .. } => fields_of(v, p, out),
            Leaf::Kql { field, .. } => out.push(p.field(*field).to_string()),
        },
    }
}

fn function_name(f: Function) -> &'static str {
    SIGNATURES
        .iter()
        .find(|s| s.function == f)
        .map_or("?", |s| s.name)
}

fn has_insensitive_variant(f: Function) -> bool {
    SIGNATURES
        .iter()
        .any(|s| s.function == f && s.insensitive_variant)
}

/// The first case-sensitive call (with a `~` variant) in a value.
fn sensitive_call(v: &ValueIr) -> Option<Function> {
    match v {
        ValueIr::Call {
            function,
            insensitive,
            args,
        } => {
            if !insensitive && has_insensitive_variant(*function) {
                Some(*function)
            } else {
                args.iter().find_map(sensitive_call)
            }
        }
        ValueIr::Neg(x) => sensitive_call(x),
        ValueIr::Arith { lhs, rhs, .. } => sensitive_call(lhs).or_else(|| sensitive_call(rhs)),
        _ => None,
    }
}

/// The first case-insensitive call in a value.
fn insensitive_call(v: &ValueIr) -> Option<Function> {
    match v {
        ValueIr::Call {
            function,
            insensitive,
            args,
        } => {
            if *insensitive {
                Some(*function)
            } else {
                args.iter().find_map(insensitive_call)
            }
        }
        ValueIr::Neg(x) => insensitive_call(x),
        ValueIr::Arith { lhs, rhs, .. } => insensitive_call(lhs).or_else(|| insensitive_call(rhs)),
        _ => None,
    }
}

/// A value with every case-sensitive call that has a `~` variant made insensitive.
fn fold_calls(v: &ValueIr) -> ValueIr {
    match v {
        ValueIr::Call {
            function,
            insensitive,
            args,
        } => ValueIr::Call {
            function: *function,
            insensitive: *insensitive || has_insensitive_variant(*function),
            args: args.iter().map(fold_calls).collect(),
        },
        ValueIr::Neg(x) => ValueIr::Neg(Box::new(fold_calls(x))),
        ValueIr::Arith { op, lhs, rhs } => ValueIr::Arith {
            op: *op,
            lhs: Box::new(fold_calls(lhs)),
            rhs: Box::new(fold_calls(rhs)),
        },
        other => other.clone(),
    }
}

fn fold_lit(l: &Lit) -> Lit {
    match l {
        Lit::Str(s) => Lit::Str(fold(s).into_owned()),
        other => other.clone(),
    }
}

/// The leaf with case folded, when it is case-sensitive on text, and the hint for a
/// value that only this variant accepts.
fn folded_leaf(l: &Leaf) -> Option<(Leaf, String)> {
    match l {
        Leaf::Compare {
            op: CmpOp::Eq,
            lhs,
            rhs: ValueIr::Lit(Lit::Str(s)),
            ..
        } if !matches!(lhs, ValueIr::Lit(_)) => Some((
            Leaf::InSet {
                value: fold_calls(lhs),
                set: vec![Lit::Str(fold(s).into_owned())],
                insensitive: true,
            },
            "`==` compares case; `:` folds it".to_string(),
        )),
        Leaf::Wildcard {
            value,
            patterns,
            insensitive: false,
        } => Some((
            Leaf::Wildcard {
                value: fold_calls(value),
                patterns: patterns.iter().map(|p| fold(p).into_owned()).collect(),
                insensitive: true,
            },
            "`like` compares case; `like~` folds it".to_string(),
        )),
        Leaf::Regex { value, patterns } if patterns.iter().any(|p| !p.starts_with("(?i)")) => {
            Some((
                Leaf::Regex {
                    value: fold_calls(value),
                    patterns: patterns
                        .iter()
                        .map(|p| {
                            if p.starts_with("(?i)") {
                                p.clone()
                            } else {
                                format!("(?i){p}")
                            }
                        })
                        .collect(),
                },
                "`regex` compares case; `regex~` folds it".to_string(),
            ))
        }
        Leaf::InSet {
            value,
            set,
            insensitive: false,
        } => Some((
            Leaf::InSet {
                value: fold_calls(value),
                set: set.iter().map(fold_lit).collect(),
                insensitive: true,
            },
            "`in` compares case; `in~` folds it".to_string(),
        )),
        Leaf::Compare {
            op,
            lhs,
            rhs,
            nulls_equal,
        } => {
            let f = sensitive_call(lhs).or_else(|| sensitive_call(rhs))?;
            Some((
                Leaf::Compare {
                    op: *op,
                    lhs: fold_calls(lhs),
                    rhs: fold_calls(rhs),
                    nulls_equal: *nulls_equal,
                },
                call_hint(f),
            ))
        }
        Leaf::Truthy(v) => {
            let f = sensitive_call(v)?;
            Some((Leaf::Truthy(fold_calls(v)), call_hint(f)))
        }
        _ => None,
    }
}

fn call_hint(f: Function) -> String {
    let name = function_name(f);
    format!("`{name}` compares case; `{name}~` folds it")
}

/// Whether a leaf compares text case-sensitively, when it compares text.
fn case_rule(l: &Leaf) -> Option<&'static str> {
    const SENSITIVE: &str = "case-sensitive";
    const FOLDS: &str = "folds case";
    match l {
        Leaf::Compare {
            op: CmpOp::Eq,
            rhs: ValueIr::Lit(Lit::Str(_)),
            ..
        } => Some(SENSITIVE),
        Leaf::Wildcard { insensitive, .. } | Leaf::InSet { insensitive, .. } => {
            Some(if *insensitive { FOLDS } else { SENSITIVE })
        }
        Leaf::Regex { patterns, .. } => Some(if patterns.iter().all(|p| p.starts_with("(?i)")) {
            FOLDS
        } else {
            SENSITIVE
        }),
        Leaf::Compare { lhs, rhs, .. } => call_rule(lhs).or_else(|| call_rule(rhs)),
        Leaf::Truthy(v) => call_rule(v),
        Leaf::IsNull(_) => None,
        Leaf::Kql { test, .. } => Some(crate::kql::case_rule(test)),
    }
}

fn call_rule(v: &ValueIr) -> Option<&'static str> {
    if sensitive_call(v).is_some() {
        Some("case-sensitive")
    } else {
        insensitive_call(v).map(|_| "folds case")
    }
}

// ---------------------------------------------------------------------------------------
// The IR printed back to EQL-like text

struct Printer<'r> {
    fields: &'r [String],
    max_list: usize,
}

const PREC_OR: u8 = 0;
const PREC_AND: u8 = 1;
const PREC_NOT: u8 = 2;

impl Printer<'_> {
    fn field(&self, id: FieldId) -> &str {
        self.fields
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    fn field_text(&self, id: FieldId) -> String {
        let f = self.field(id);
        let plain = f
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && f.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
        if plain {
            f.to_string()
        } else {
            format!("`{}`", f.replace('`', "``"))
        }
    }

    /// A condition at a context of precedence `prec` (parenthesised when looser).
    fn cond(&self, c: &Cond, prec: u8) -> String {
        let wrap = |s: String, own: u8| if prec > own { format!("({s})") } else { s };
        match c {
            Cond::Const(b) => b.to_string(),
            Cond::Or(xs) => wrap(
                xs.iter()
                    .map(|x| self.cond(x, PREC_AND))
                    .collect::<Vec<_>>()
                    .join(" or "),
                PREC_OR,
            ),
            Cond::And(xs) => wrap(
                xs.iter()
                    .map(|x| self.cond(x, PREC_NOT))
                    .collect::<Vec<_>>()
                    .join(" and "),
                PREC_AND,
            ),
            Cond::Not(x) => match &**x {
                Cond::Leaf(l) => self.negated_leaf(l),
                other => format!("not {}", self.cond(other, PREC_NOT + 1)),
            },
            Cond::Leaf(l) => self.leaf(l),
        }
    }

    fn negated_leaf(&self, l: &Leaf) -> String {
        match l {
            Leaf::Compare {
                op: CmpOp::Eq,
                lhs,
                rhs,
                ..
            } => format!("{} != {}", self.value(lhs), self.value(rhs)),
            Leaf::IsNull(v) => format!("{} != null", self.value(v)),
            Leaf::InSet {
                value,
                set,
                insensitive,
            } => format!(
                "{} not in{} ({})",
                self.value(value),
                if *insensitive { "~" } else { "" },
                self.list(set.iter().map(|l| self.lit(l)).collect())
            ),
            other => format!("not {}", self.leaf(other)),
        }
    }

    fn leaf(&self, l: &Leaf) -> String {
        match l {
            Leaf::Compare { op, lhs, rhs, .. } => {
                format!("{} {} {}", self.value(lhs), op.symbol(), self.value(rhs))
            }
            Leaf::IsNull(v) => format!("{} == null", self.value(v)),
            Leaf::Wildcard {
                value,
                patterns,
                insensitive,
            } => {
                let op = if *insensitive { ":" } else { "like" };
                let pats: Vec<String> = patterns.iter().map(|p| quote_eql(p)).collect();
                format!("{} {op} {}", self.value(value), self.one_or_list(pats))
            }
            Leaf::Regex { value, patterns } => {
                let insensitive = patterns.iter().all(|p| p.starts_with("(?i)"));
                let op = if insensitive { "regex~" } else { "regex" };
                let pats: Vec<String> = patterns
                    .iter()
                    .map(|p| quote_eql(&regex_source(p)))
                    .collect();
                format!("{} {op} {}", self.value(value), self.one_or_list(pats))
            }
            Leaf::InSet {
                value,
                set,
                insensitive,
            } => format!(
                "{} in{} ({})",
                self.value(value),
                if *insensitive { "~" } else { "" },
                self.list(set.iter().map(|l| self.lit(l)).collect())
            ),
            Leaf::Truthy(v) => self.value(v),
            Leaf::Kql { field, test } => crate::kql::describe(self.field(*field), test),
        }
    }

    fn one_or_list(&self, items: Vec<String>) -> String {
        if items.len() == 1 {
            items.into_iter().next().unwrap_or_default()
        } else {
            format!("({})", self.list(items))
        }
    }

    /// Items joined by `, `, the first few only.
    fn list(&self, items: Vec<String>) -> String {
        abbreviate(&items, self.max_list)
    }

    fn value(&self, v: &ValueIr) -> String {
        match v {
            ValueIr::Lit(l) => self.lit(l),
            ValueIr::Field(id) => self.field_text(*id),
            ValueIr::Neg(x) => format!("-{}", self.atom(x)),
            ValueIr::Arith { op, lhs, rhs } => {
                format!("{} {} {}", self.atom(lhs), op.symbol(), self.atom(rhs))
            }
            ValueIr::Call {
                function,
                insensitive,
                args,
            } => format!(
                "{}{}({})",
                function_name(*function),
                if *insensitive { "~" } else { "" },
                self.list(args.iter().map(|a| self.value(a)).collect())
            ),
            ValueIr::Cond(c) => format!("({})", self.cond(c, PREC_OR)),
        }
    }

    fn atom(&self, v: &ValueIr) -> String {
        match v {
            ValueIr::Arith { .. } => format!("({})", self.value(v)),
            _ => self.value(v),
        }
    }

    fn lit(&self, l: &Lit) -> String {
        match l {
            Lit::Null => "null".to_string(),
            Lit::Bool(b) => b.to_string(),
            Lit::Int(i) => i.to_string(),
            Lit::Float(f) => format_float(*f),
            Lit::Str(s) => quote_eql(s),
        }
    }
}

/// The Lucene source of a translated regex, as far as the translation's wrapper goes.
fn regex_source(translated: &str) -> String {
    let p = translated.strip_prefix("(?i)").unwrap_or(translated);
    p.strip_prefix("(?s)\\A(?:")
        .and_then(|r| r.strip_suffix(")\\z"))
        .unwrap_or(p)
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Text helpers

/// `s` cut to [`MAX_TEXT_CHARS`] characters.
fn cut(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_TEXT_CHARS) {
        None => std::borrow::Cow::Borrowed(s),
        Some(_) => {
            let end = s
                .char_indices()
                .nth(MAX_TEXT_CHARS - 1)
                .map_or(s.len(), |(i, _)| i);
            std::borrow::Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// An EQL string literal (escaped, cut when long).
fn quote_eql(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in cut(s).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value as text: strings JSON-quoted and cut when long.
fn show_value(v: &Value<'_>) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(*f),
        Value::Str(s) => serde_json::to_string(cut(s).as_ref()).unwrap_or_default(),
    }
}

fn show_key_part(k: &KeyPart) -> String {
    show_value(&k.to_value())
}

fn show_key(k: &[KeyPart]) -> Vec<String> {
    k.iter().map(show_key_part).collect()
}

fn tuple(k: &[String]) -> String {
    format!("({})", k.join(", "))
}

fn abbreviate(items: &[String], max: usize) -> String {
    let max = max.max(1);
    if items.len() <= max {
        items.join(", ")
    } else {
        format!(
            "{}, … and {} more",
            items[..max].join(", "),
            items.len() - max
        )
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn show_indexes(items: &[usize], max: usize) -> String {
    let texts: Vec<String> = items.iter().map(usize::to_string).collect();
    format!("[{}]", abbreviate(&texts, max))
}

fn show_alert_events(events: &[Option<usize>]) -> String {
    let texts: Vec<String> = events
        .iter()
        .map(|e| e.map_or("missing".to_string(), |i| i.to_string()))
        .collect();
    format!("[{}]", texts.join(", "))
}

/// Milliseconds as seconds with three decimals (`61.000 s`).
fn secs(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    format!("{sign}{}.{:03} s", abs / 1000, abs % 1000)
}

/// A maxspan in seconds (`60 s`, `1.500 s`).
fn maxspan_text(ms: u64) -> String {
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{}.{:03} s", ms / 1000, ms % 1000)
    }
}

// ---------------------------------------------------------------------------------------
// The report

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.missing {
            return write!(f, "{} is missing", self.expr);
        }
        write!(f, "{} = [{}", self.expr, self.values.join(", "))?;
        if self.more > 0 {
            write!(f, ", … and {} more", self.more)?;
        }
        f.write_str("]")
    }
}

impl Failure {
    /// The failure on one line (for the branches of an `or`).
    fn compact(&self) -> String {
        match self {
            Failure::Condition {
                condition,
                rule,
                operands,
                notes,
                ..
            } => {
                let mut head = condition.clone();
                if let Some(r) = rule {
                    head.push_str(&format!(" ({r})"));
                }
                let mut detail: Vec<String> = operands.iter().map(Operand::to_string).collect();
                detail.extend(notes.iter().cloned());
                if detail.is_empty() {
                    head
                } else {
                    format!("{head}  [{}]", detail.join("; "))
                }
            }
            Failure::AnyOf { branches } => format!(
                "none of: {}",
                branches
                    .iter()
                    .map(|b| b
                        .iter()
                        .map(Failure::compact)
                        .collect::<Vec<_>>()
                        .join(" and "))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
        let pad = " ".repeat(indent);
        match self {
            Failure::Condition {
                condition,
                rule,
                negation_held,
                operands,
                notes,
            } => {
                match rule {
                    Some(r) => writeln!(f, "{pad}✗ {condition}  ({r})")?,
                    None => writeln!(f, "{pad}✗ {condition}")?,
                }
                for op in operands {
                    writeln!(f, "{pad}    {op}")?;
                }
                if *negation_held && notes.is_empty() && !operands.is_empty() {
                    writeln!(f, "{pad}    (the negated condition holds on these values)")?;
                }
                for n in notes {
                    writeln!(f, "{pad}    {n}")?;
                }
                Ok(())
            }
            Failure::AnyOf { branches } => {
                writeln!(f, "{pad}✗ none of {} alternatives holds:", branches.len())?;
                for b in branches {
                    let line = b
                        .iter()
                        .map(Failure::compact)
                        .collect::<Vec<_>>()
                        .join(" and ");
                    writeln!(f, "{pad}    - {line}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}

impl Explanation {
    fn stage_label(&self, s: usize) -> &str {
        self.stages.get(s).map_or("?", |st| st.label.as_str())
    }

    fn write_step(&self, f: &mut fmt::Formatter<'_>, step: &WalkStep) -> fmt::Result {
        let label = |s: &usize| self.stage_label(*s).to_string();
        match step {
            WalkStep::Untimed { event, reason } => writeln!(
                f,
                "  event {event}: holds a stage but is untimed ({reason}): sequences skip it"
            ),
            WalkStep::Late {
                event,
                timestamp,
                after_event,
                after_timestamp,
            } => writeln!(
                f,
                "  event {event} @ {}: out of order, it comes after event {after_event} @ {} was matched: sequences skip it (late)",
                format_millis(*timestamp),
                format_millis(*after_timestamp)
            ),
            WalkStep::NoKey {
                event,
                stage,
                missing,
            } => writeln!(
                f,
                "  event {event}: holds {} but has no join key ({} missing): it cannot join",
                label(stage),
                join_and(missing)
            ),
            WalkStep::Started {
                event,
                stage,
                key,
                replaced,
            } => {
                write!(
                    f,
                    "  event {event}: {} starts a partial with key {}",
                    label(stage),
                    tuple(key)
                )?;
                if let Some(r) = replaced {
                    write!(
                        f,
                        ", replacing the partial {} (one partial per stage and key)",
                        show_indexes(r, usize::MAX)
                    )?;
                }
                writeln!(f)
            }
            WalkStep::Advanced {
                event,
                stage,
                key,
                events,
                gap_ms,
                span_ms,
            } => writeln!(
                f,
                "  event {event}: {} extends the partial with key {} → {} (gap {}, {} since its first event{})",
                label(stage),
                tuple(key),
                show_indexes(events, usize::MAX),
                secs(*gap_ms),
                secs(*span_ms),
                self.maxspan_ms
                    .map(|m| format!(", maxspan {}", maxspan_text(m)))
                    .unwrap_or_default()
            ),
            WalkStep::KeyMismatch {
                event,
                stage,
                key,
                previous_stage,
                open,
                more,
            } => {
                let list: Vec<String> = open
                    .iter()
                    .map(|(e, k)| format!("{} key {}", show_indexes(e, usize::MAX), tuple(k)))
                    .collect();
                write!(
                    f,
                    "  event {event}: holds {} with key {}, but no {} partial has that key; open: {}",
                    label(stage),
                    tuple(key),
                    label(previous_stage),
                    list.join(", ")
                )?;
                if *more > 0 {
                    write!(f, ", … and {more} more")?;
                }
                writeln!(f)
            }
            WalkStep::NoPartial {
                event,
                stage,
                key,
                previous_stage,
                later,
                skipped,
            } => {
                write!(
                    f,
                    "  event {event}: holds {} with key {}, but no {} partial is open",
                    label(stage),
                    tuple(key),
                    label(previous_stage)
                )?;
                if let Some(l) = skipped {
                    write!(
                        f,
                        " (event {l} holds {} with this key, but sequences skip it: late or untimed)",
                        label(previous_stage)
                    )?;
                } else if let Some(l) = later {
                    write!(
                        f,
                        " (event {l} holds {} with this key, but comes later)",
                        label(previous_stage)
                    )?;
                }
                writeln!(f)
            }
            WalkStep::MaxspanExceeded {
                event,
                stage,
                key,
                partial,
                span_ms,
                gap_ms,
                maxspan_ms,
            } => {
                let first = partial.first().copied().unwrap_or(0);
                write!(
                    f,
                    "  event {event}: holds {} with key {}, too late for the partial {}: gap {} > maxspan {} (from event {first}, its first event",
                    label(stage),
                    tuple(key),
                    show_indexes(partial, usize::MAX),
                    secs(*span_ms),
                    maxspan_text(*maxspan_ms)
                )?;
                if partial.len() > 1 {
                    if let Some(l) = partial.last() {
                        write!(f, "; {} after event {l}", secs(*gap_ms))?;
                    }
                }
                writeln!(f, "); the partial is dropped")
            }
            WalkStep::UntilEnded {
                event,
                key,
                partials,
            } => {
                let list: Vec<String> = partials
                    .iter()
                    .map(|(s, e)| format!("{} (at {})", show_indexes(e, usize::MAX), label(s)))
                    .collect();
                writeln!(
                    f,
                    "  event {event}: until holds with key {}: it ends the partial {}",
                    tuple(key),
                    list.join(", ")
                )
            }
            WalkStep::UntilIdle { event, key } => writeln!(
                f,
                "  event {event}: until holds with key {}; no partial of that key is open",
                tuple(key)
            ),
            WalkStep::MissingHeld { event, stage, key } => writeln!(
                f,
                "  event {event}: holds missing-event {} with key {} (a sequence of that key around it is rejected)",
                label(stage),
                tuple(key)
            ),
            WalkStep::Completed {
                event,
                key,
                events,
                outcome,
            } => {
                write!(
                    f,
                    "  event {event}: completes {} with key {}: ",
                    show_alert_events(events),
                    tuple(key)
                )?;
                match outcome {
                    CandidateOutcome::Alert => writeln!(f, "an alert"),
                    CandidateOutcome::Rejected { stage, reason, .. } => writeln!(
                        f,
                        "rejected, missing-event {} is present: {reason}",
                        label(stage)
                    ),
                    CandidateOutcome::NotEmitted => {
                        writeln!(f, "not emitted by the engine (pipes or state limits)")
                    }
                }
            }
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.verdict.summary)?;
        writeln!(f, "rule: {} ({})", self.rule_name, self.rule_id)?;
        if let Some(e) = &self.error {
            return writeln!(f, "error: {e}");
        }
        let kind = match self.kind {
            QueryKind::Event => "event query",
            QueryKind::Sequence => "sequence",
            QueryKind::Sample => "sample",
        };
        write!(f, "{kind}")?;
        if let Some(m) = self.maxspan_ms {
            write!(f, " with maxspan {}", maxspan_text(m))?;
        }
        if !self.pipes.is_empty() {
            write!(f, " | {}", self.pipes.join(" | "))?;
        }
        writeln!(f)?;
        for st in &self.stages {
            writeln!(f, "  {}: {}", st.label, st.text)?;
        }
        if !self.alerts.is_empty() {
            writeln!(f, "alerts:")?;
            for a in self.alerts.iter().take(MAX_VERDICT_ALERTS * 5) {
                write!(f, "  events {}", show_alert_events(&a.events))?;
                if !a.join_keys.is_empty() {
                    write!(f, ", join keys {}", tuple(&a.join_keys))?;
                }
                if let Some(ts) = a.timestamp {
                    write!(f, " @ {}", format_millis(ts))?;
                }
                writeln!(f)?;
            }
            if self.alerts.len() > MAX_VERDICT_ALERTS * 5 {
                writeln!(
                    f,
                    "  … {} more alerts",
                    self.alerts.len() - MAX_VERDICT_ALERTS * 5
                )?;
            }
        }
        writeln!(f, "events:")?;
        if self.events.is_empty() && self.omitted_events == 0 {
            writeln!(f, "  (none)")?;
        }
        for e in &self.events {
            match &e.timestamp {
                Ok(ts) => writeln!(f, "  event {} @ {}", e.index, format_millis(*ts))?,
                Err(why) if self.kind == QueryKind::Sequence => {
                    writeln!(f, "  event {} (untimed: {why})", e.index)?
                }
                Err(_) => writeln!(f, "  event {}", e.index)?,
            }
            for c in &e.stages {
                let label = self.stage_label(c.stage);
                if c.holds {
                    match &c.keys {
                        None => writeln!(f, "    {label}: holds")?,
                        Some(k) if k.tuples.is_empty() => writeln!(
                            f,
                            "    {label}: holds, but has no join key: {} missing (a `by` field without a value excludes the event; `?field` allows null)",
                            join_and(&k.missing)
                        )?,
                        Some(k) => {
                            let tuples: Vec<String> = k.tuples.iter().map(|t| tuple(t)).collect();
                            write!(
                                f,
                                "    {label}: holds; key {} = {}",
                                tuple(&k.fields),
                                tuples.join(", ")
                            )?;
                            if k.more > 0 {
                                write!(f, ", … and {} more", k.more)?;
                            }
                            writeln!(f)?;
                        }
                    }
                    continue;
                }
                writeln!(f, "    {label}: does not hold")?;
                if let Some(cat) = &c.category {
                    writeln!(
                        f,
                        "      ✗ {}, the stage needs {}",
                        cat.values,
                        serde_json::to_string(&cat.needed).unwrap_or_default()
                    )?;
                    if cat.differs_in_case {
                        writeln!(
                            f,
                            "          case-sensitive: differs only in case (categories compare exactly)"
                        )?;
                    }
                }
                for failure in &c.failures {
                    failure.write(f, 6)?;
                }
                if c.category.is_none() && c.failures.is_empty() {
                    writeln!(f, "      (no single failing condition isolated)")?;
                }
            }
        }
        if self.omitted_events > 0 {
            writeln!(f, "  … {} more events", self.omitted_events)?;
        }
        if self.kind == QueryKind::Sequence {
            writeln!(f, "sequence walk:")?;
            if self.walk.is_empty() {
                writeln!(f, "  (no event holds a stage)")?;
            }
            for step in &self.walk {
                self.write_step(f, step)?;
            }
            if self.omitted_steps > 0 {
                writeln!(f, "  … {} more steps", self.omitted_steps)?;
            }
        }
        if self.kind == QueryKind::Sample {
            writeln!(f, "join keys:")?;
            if self.samples.is_empty() {
                writeln!(f, "  (no event holds a stage with a join key)")?;
            }
            for k in &self.samples {
                let per: Vec<String> = k
                    .events
                    .iter()
                    .enumerate()
                    .map(|(s, e)| {
                        if e.is_empty() {
                            format!("{}: none", self.stage_label(s))
                        } else {
                            format!("{}: {}", self.stage_label(s), show_indexes(e, usize::MAX))
                        }
                    })
                    .collect();
                writeln!(
                    f,
                    "  key {}: {} → {}",
                    tuple(&k.key),
                    per.join("; "),
                    if k.complete { "complete" } else { "incomplete" }
                )?;
            }
            if self.omitted_samples > 0 {
                writeln!(f, "  … {} more keys", self.omitted_samples)?;
            }
        }
        Ok(())
    }
}
