//! The glue between a rule's logic and the state machines, shared by generated code
//! and the reference interpreter: both implement [`RuleLogic`] (which stages an event
//! matches, with which join keys), and these shells turn that into alerts. So the two
//! back ends can differ only in how they evaluate conditions and keys, which is what the
//! differential tests compare.

use crate::alert::{Alert, AlertKind, RuleInfo, RuleMatcher, Timing};
use crate::key::KeyPart;
use crate::sample::{Sample, SampleConfig, SampleError, SampleMatcher};
use crate::sequence::{SequenceMatch, SequenceMatcher, SequenceSpec, SpecError};
use crate::time::Ordinal;
use crate::value::Value;
use std::sync::Arc;

/// A join-key tuple.
pub type Key = Vec<KeyPart>;

/// What one event does for one rule: the stages whose filter it matches, each with its
/// key tuples (C.3; a stage whose keys are all invalid is left out), and the key tuples
/// of the `until` clause if it matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageHits {
    pub stages: Vec<(usize, Vec<Key>)>,
    pub until: Vec<Key>,
}

impl StageHits {
    pub fn clear(&mut self) {
        self.stages.clear();
        self.until.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty() && self.until.is_empty()
    }
}

/// A rule's conditions and keys, evaluated on one event. For an event query, stage 0 is
/// the query's filter and its key list is one empty tuple.
pub trait RuleLogic<E> {
    fn evaluate(&self, event: &E, hits: &mut StageHits);
}

fn key_values(key: &[KeyPart]) -> Vec<Value<'static>> {
    key.iter().map(KeyPart::to_value).collect()
}

fn timestamp_of(timing: Timing<'_>) -> Option<i64> {
    match timing {
        Timing::InOrder(o) | Timing::Late(o) => Some(o.timestamp),
        Timing::Untimed => None,
    }
}

/// An event query.
pub struct EventRule<L> {
    info: Arc<RuleInfo>,
    logic: L,
    hits: StageHits,
}

impl<L> EventRule<L> {
    pub fn new(info: Arc<RuleInfo>, logic: L) -> Self {
        EventRule {
            info,
            logic,
            hits: StageHits::default(),
        }
    }
}

impl<E: Clone, L: RuleLogic<E>> RuleMatcher<E> for EventRule<L> {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn on_event(&mut self, event: &E, timing: Timing<'_>, out: &mut Vec<Alert<E>>) {
        self.hits.clear();
        self.logic.evaluate(event, &mut self.hits);
        if self.hits.stages.iter().any(|(s, _)| *s == 0) {
            out.push(Alert {
                rule: self.info.clone(),
                kind: AlertKind::Event,
                timestamp: timestamp_of(timing),
                join_keys: Vec::new(),
                events: vec![Some(event.clone())],
            });
        }
    }

    fn advance_watermark(&mut self, _ts_ms: i64, _out: &mut Vec<Alert<E>>) {}

    fn flush(&mut self, _out: &mut Vec<Alert<E>>) {}
}

/// What a sequence keeps per event: the event and its timestamp.
#[derive(Debug, Clone)]
pub struct Held<E> {
    pub event: E,
    pub ts: i64,
}

/// A sequence query over [`SequenceMatcher`].
pub struct SequenceRule<L, E> {
    info: Arc<RuleInfo>,
    logic: L,
    engine: SequenceMatcher<Key, Held<E>, Ordinal>,
    hits: StageHits,
    untimed: u64,
    late: u64,
}

impl<L, E: Clone> SequenceRule<L, E> {
    pub fn new(info: Arc<RuleInfo>, logic: L, spec: SequenceSpec) -> Result<Self, SpecError> {
        Ok(SequenceRule {
            info,
            logic,
            engine: SequenceMatcher::new(spec)?,
            hits: StageHits::default(),
            untimed: 0,
            late: 0,
        })
    }

    fn emit(info: &Arc<RuleInfo>, done: Vec<SequenceMatch<Key, Held<E>>>, out: &mut Vec<Alert<E>>) {
        for m in done {
            out.push(Alert {
                rule: info.clone(),
                kind: AlertKind::Sequence,
                timestamp: m.events.iter().flatten().map(|h| h.ts).max(),
                join_keys: key_values(&m.key),
                events: m.events.into_iter().map(|h| h.map(|h| h.event)).collect(),
            });
        }
    }
}

impl<E: Clone, L: RuleLogic<E>> RuleMatcher<E> for SequenceRule<L, E> {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn on_event(&mut self, event: &E, timing: Timing<'_>, out: &mut Vec<Alert<E>>) {
        let ordinal = match timing {
            Timing::InOrder(o) => o,
            Timing::Late(_) => {
                self.late += 1;
                return;
            }
            Timing::Untimed => {
                self.untimed += 1;
                return;
            }
        };
        self.hits.clear();
        self.logic.evaluate(event, &mut self.hits);
        let mut done = Vec::new();
        if self.hits.is_empty() {
            self.engine.advance_watermark(ordinal.timestamp, &mut done);
        } else {
            let matches: Vec<(usize, &[Key])> = self
                .hits
                .stages
                .iter()
                .map(|(i, k)| (*i, k.as_slice()))
                .collect();
            let held = Held {
                event: event.clone(),
                ts: ordinal.timestamp,
            };
            self.engine.on_event(
                ordinal.clone(),
                ordinal.timestamp,
                &held,
                &matches,
                &self.hits.until,
                &mut done,
            );
        }
        Self::emit(&self.info, done, out);
    }

    fn advance_watermark(&mut self, ts_ms: i64, out: &mut Vec<Alert<E>>) {
        let mut done = Vec::new();
        self.engine.advance_watermark(ts_ms, &mut done);
        Self::emit(&self.info, done, out);
    }

    fn flush(&mut self, out: &mut Vec<Alert<E>>) {
        let mut done = Vec::new();
        self.engine.flush(&mut done);
        Self::emit(&self.info, done, out);
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        let s = self.engine.stats();
        vec![
            ("sequence_untimed_events", self.untimed),
            ("sequence_late_events", self.late + s.late_events),
            ("sequence_evicted_keys", s.evictions),
            ("sequence_expired_partials", s.expired),
        ]
    }
}

/// What a sample keeps per event: the event and its timestamp, when timed.
type SampleHandle<E> = (E, Option<i64>);

/// A sample query over [`SampleMatcher`].
pub struct SampleRule<L, E> {
    info: Arc<RuleInfo>,
    logic: L,
    engine: SampleMatcher<Key, SampleHandle<E>>,
    hits: StageHits,
    next_id: u64,
}

impl<L, E: Clone> SampleRule<L, E> {
    pub fn new(
        info: Arc<RuleInfo>,
        logic: L,
        filters: usize,
        config: SampleConfig,
    ) -> Result<Self, SampleError> {
        Ok(SampleRule {
            info,
            logic,
            engine: SampleMatcher::new(filters, config)?,
            hits: StageHits::default(),
            next_id: 0,
        })
    }

    fn emit(
        info: &Arc<RuleInfo>,
        samples: Vec<Sample<Key, SampleHandle<E>>>,
        out: &mut Vec<Alert<E>>,
    ) {
        for s in samples {
            out.push(Alert {
                rule: info.clone(),
                kind: AlertKind::Sample,
                timestamp: s.events.iter().filter_map(|(_, ts)| *ts).max(),
                join_keys: key_values(&s.key),
                events: s.events.into_iter().map(|(e, _)| Some(e)).collect(),
            });
        }
    }
}

impl<E: Clone, L: RuleLogic<E>> RuleMatcher<E> for SampleRule<L, E> {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn on_event(&mut self, event: &E, timing: Timing<'_>, out: &mut Vec<Alert<E>>) {
        let id = self.next_id;
        self.next_id += 1;
        self.hits.clear();
        self.logic.evaluate(event, &mut self.hits);
        if self.hits.stages.is_empty() {
            return;
        }
        let handle = (event.clone(), timestamp_of(timing));
        let mut done = Vec::new();
        self.engine.on_event(
            &handle,
            id,
            self.hits.stages.iter().map(|(i, k)| (*i, k.as_slice())),
            &mut done,
        );
        Self::emit(&self.info, done, out);
    }

    fn advance_watermark(&mut self, _ts_ms: i64, _out: &mut Vec<Alert<E>>) {}

    fn flush(&mut self, out: &mut Vec<Alert<E>>) {
        let done = self.engine.flush();
        Self::emit(&self.info, done, out);
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        let s = self.engine.stats();
        vec![
            ("sample_keys_evicted", s.keys_evicted),
            ("sample_candidates_dropped", s.candidates_dropped),
        ]
    }
}
