//! What a rule keeps between events, driven by what its filters matched: the shells
//! that turn a rule's *stage hits* into alerts (an event query alerts at once, a
//! sequence feeds [`SequenceMatcher`], a sample feeds [`SampleMatcher`]).
//!
//! Evaluating filters and keys is the back end's job (the generated rule set, or the
//! reference interpreter rule by rule); both hand the engine the same [`StageHits`], and
//! the engine hands them to these shells. So the two back ends can differ only in how
//! they evaluate conditions and keys, which is what the differential tests compare. A
//! rule's shell sees only the events that hit one of its stages; time reaches a
//! sequence through [`RuleState::advance_watermark`], and only when
//! [`RuleState::next_deadline`] says something is due.

use std::sync::Arc;

use crate::alert::{Alert, AlertKind, RuleInfo, Timing};
use crate::key::KeyPart;
use crate::sample::{Sample, SampleConfig, SampleError, SampleMatcher};
use crate::sequence::{SequenceMatch, SequenceMatcher, SequenceSpec, SpecError};
use crate::time::Ordinal;
use crate::value::Value;

/// A join-key tuple.
pub type Key = Vec<KeyPart>;

/// Named counters (evicted keys, late events …), as [`RuleState::counters`] gives them.
pub type Counters = Vec<(&'static str, u64)>;

/// What one event does for one rule: the stages whose filter it matches, each with its
/// key tuples (C.3; a stage whose keys are all invalid is left out), and the key tuples
/// of the `until` clause if it matches. For an event query, stage 0 is the query's
/// filter and its key list is one empty tuple.
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

    /// Records that `stage` matched with `keys` (nothing if there is no valid key).
    pub fn push(&mut self, stage: usize, keys: Vec<Key>) {
        if !keys.is_empty() {
            self.stages.push((stage, keys));
        }
    }
}

/// What one event does for a whole rule set: the stage hits of every rule it hits, in
/// rule order. Reusable: [`SetHits::clear`] keeps the buffers, so an event that hits
/// nothing costs no allocation.
#[derive(Debug, Clone, Default)]
pub struct SetHits {
    entries: Vec<(usize, StageHits)>,
    len: usize,
}

impl SetHits {
    pub fn new() -> SetHits {
        SetHits::default()
    }

    /// Forgets the previous event's hits.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Whether no rule was hit.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of rules hit.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Starts rule `rule`'s hits (rules must be started in increasing order); finish
    /// with [`SetHits::end`].
    pub fn begin(&mut self, rule: usize) -> &mut StageHits {
        if self.len == self.entries.len() {
            self.entries.push((rule, StageHits::default()));
        }
        let entry = &mut self.entries[self.len];
        entry.0 = rule;
        entry.1.clear();
        self.len += 1;
        &mut entry.1
    }

    /// Ends the rule started last: it is kept only if something was hit.
    pub fn end(&mut self) {
        if self.len > 0 && self.entries[self.len - 1].1.is_empty() {
            self.len -= 1;
        }
    }

    /// The rules hit, in rule order, with their stage hits.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &StageHits)> + '_ {
        self.entries[..self.len].iter().map(|(r, h)| (*r, h))
    }

    /// The hits of rule `rule`, if it was hit.
    pub fn get(&self, rule: usize) -> Option<&StageHits> {
        self.entries[..self.len]
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, h)| h)
    }
}

/// A rule's state between events. The engine calls these in event order; a state never
/// reorders.
pub trait RuleState<E> {
    fn info(&self) -> &Arc<RuleInfo>;

    /// An event that hit some stage of this rule. Alerts it completes are pushed to
    /// `out` in completion order. An in-order hit first advances the state's watermark to
    /// the event's timestamp (the engine does not call [`RuleState::advance_watermark`]
    /// for that event too).
    fn on_hits(&mut self, hits: &StageHits, event: &E, timing: Timing<'_>, out: &mut Vec<Alert<E>>);

    /// No event with a timestamp below `ts_ms` will come: alerts waiting on a window
    /// that has passed are released, partials that can no longer complete are dropped.
    /// The engine calls it only once `ts_ms` reaches [`RuleState::next_deadline`].
    fn advance_watermark(&mut self, _ts_ms: i64, _out: &mut Vec<Alert<E>>) {}

    /// The smallest watermark at which [`RuleState::advance_watermark`] would change
    /// anything (release an alert, expire a partial, forget a missing-stage event);
    /// `None` when nothing waits on time.
    fn next_deadline(&self) -> Option<i64> {
        None
    }

    /// End of input: release everything that is still waiting (Elasticsearch's answer
    /// over the same finite data).
    fn flush(&mut self, _out: &mut Vec<Alert<E>>) {}

    /// Counters of what this rule dropped (evicted keys, late events …), by name.
    fn counters(&self) -> Counters {
        Vec::new()
    }
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

/// An event query: stage 0 hit means an alert.
pub struct EventRule {
    info: Arc<RuleInfo>,
}

impl EventRule {
    pub fn new(info: Arc<RuleInfo>) -> Self {
        EventRule { info }
    }
}

impl<E: Clone> RuleState<E> for EventRule {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn on_hits(
        &mut self,
        hits: &StageHits,
        event: &E,
        timing: Timing<'_>,
        out: &mut Vec<Alert<E>>,
    ) {
        if hits.stages.iter().any(|(s, _)| *s == 0) {
            out.push(Alert {
                rule: self.info.clone(),
                kind: AlertKind::Event,
                timestamp: timestamp_of(timing),
                join_keys: Vec::new(),
                events: vec![Some(event.clone())],
            });
        }
    }
}

/// What a sequence keeps per event: the event and its timestamp.
#[derive(Debug, Clone)]
pub struct Held<E> {
    pub event: E,
    pub ts: i64,
}

/// A sequence query over [`SequenceMatcher`].
pub struct SequenceRule<E> {
    info: Arc<RuleInfo>,
    engine: SequenceMatcher<Key, Held<E>, Ordinal>,
    untimed: u64,
    late: u64,
    done: Vec<SequenceMatch<Key, Held<E>>>,
}

impl<E: Clone> SequenceRule<E> {
    pub fn new(info: Arc<RuleInfo>, spec: SequenceSpec) -> Result<Self, SpecError> {
        Ok(SequenceRule {
            info,
            engine: SequenceMatcher::new(spec)?,
            untimed: 0,
            late: 0,
            done: Vec::new(),
        })
    }

    fn emit(&mut self, out: &mut Vec<Alert<E>>) {
        for m in self.done.drain(..) {
            out.push(Alert {
                rule: self.info.clone(),
                kind: AlertKind::Sequence,
                timestamp: m.events.iter().flatten().map(|h| h.ts).max(),
                join_keys: key_values(&m.key),
                events: m.events.into_iter().map(|h| h.map(|h| h.event)).collect(),
            });
        }
    }
}

impl<E: Clone> RuleState<E> for SequenceRule<E> {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn on_hits(
        &mut self,
        hits: &StageHits,
        event: &E,
        timing: Timing<'_>,
        out: &mut Vec<Alert<E>>,
    ) {
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
        let matches: Vec<(usize, &[Key])> = hits
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
            &hits.until,
            &mut self.done,
        );
        self.emit(out);
    }

    fn advance_watermark(&mut self, ts_ms: i64, out: &mut Vec<Alert<E>>) {
        self.engine.advance_watermark(ts_ms, &mut self.done);
        self.emit(out);
    }

    fn next_deadline(&self) -> Option<i64> {
        self.engine.next_deadline()
    }

    fn flush(&mut self, out: &mut Vec<Alert<E>>) {
        self.engine.flush(&mut self.done);
        self.emit(out);
    }

    fn counters(&self) -> Counters {
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
pub struct SampleRule<E> {
    info: Arc<RuleInfo>,
    engine: SampleMatcher<Key, SampleHandle<E>>,
    /// Identity of the next event offered ("the same document" of eql-semantics.md D).
    next_id: u64,
    done: Vec<Sample<Key, SampleHandle<E>>>,
}

impl<E: Clone> SampleRule<E> {
    pub fn new(
        info: Arc<RuleInfo>,
        filters: usize,
        config: SampleConfig,
    ) -> Result<Self, SampleError> {
        Ok(SampleRule {
            info,
            engine: SampleMatcher::new(filters, config)?,
            next_id: 0,
            done: Vec::new(),
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

impl<E: Clone> RuleState<E> for SampleRule<E> {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn on_hits(
        &mut self,
        hits: &StageHits,
        event: &E,
        timing: Timing<'_>,
        out: &mut Vec<Alert<E>>,
    ) {
        if hits.stages.is_empty() {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        let handle = (event.clone(), timestamp_of(timing));
        self.engine.on_event(
            &handle,
            id,
            hits.stages.iter().map(|(i, k)| (*i, k.as_slice())),
            &mut self.done,
        );
        let done = std::mem::take(&mut self.done);
        Self::emit(&self.info, done, out);
    }

    fn flush(&mut self, out: &mut Vec<Alert<E>>) {
        let done = self.engine.flush();
        Self::emit(&self.info, done, out);
    }

    fn counters(&self) -> Counters {
        let s = self.engine.stats();
        vec![
            ("sample_keys_evicted", s.keys_evicted),
            ("sample_candidates_dropped", s.candidates_dropped),
        ]
    }
}

/// The state of a rule of a given shape, as both back ends build it.
pub fn new_state<E: Clone + 'static>(
    info: Arc<RuleInfo>,
    shape: &crate::ruleset::Shape,
    options: &crate::options::MatcherOptions,
) -> Result<Box<dyn RuleState<E>>, String> {
    use crate::ruleset::Shape;
    Ok(match shape {
        Shape::Event => Box::new(EventRule::new(info)),
        Shape::Sequence { stages, maxspan_ms } => {
            let spec = SequenceSpec {
                stages: stages.to_vec(),
                maxspan_ms: *maxspan_ms,
                max_keys: options.max_keys(),
            };
            Box::new(SequenceRule::new(info, spec).map_err(|e| e.to_string())?)
        }
        Shape::Sample { filters } => Box::new(
            SampleRule::new(info, *filters, options.sample_config()).map_err(|e| e.to_string())?,
        ),
    })
}
