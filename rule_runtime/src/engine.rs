//! The streaming engine: it puts events into Elasticsearch's order, hands them to every
//! rule's matcher, applies each rule's `head`/`tail` pipes, and writes alerts as NDJSON
//! (DESIGN.md, "Semantics" and "Alerts"; eql-semantics.md C.2, E, J.3).
//!
//! # Order and lateness
//!
//! Each pushed event gets an arrival number (its position in the input, counting every
//! event) and, through [`EngineConfig::time`], an [`Ordinal`] `(timestamp, tiebreaker,
//! arrival)`. Timed events wait in a **reorder window**: the engine keeps the largest
//! timestamp seen, `max_ts`, and releases, in ordinal order, every buffered event whose
//! timestamp is `<= max_ts - reorder_window_ms`. The matchers see released events as
//! [`Timing::InOrder`], with strictly increasing ordinals.
//!
//! The **watermark** is the timestamp of the last released event (or a larger value given
//! to [`Engine::advance_watermark`]). Whenever it rises, every matcher's
//! [`RuleMatcher::advance_watermark`] is called with it, once per release batch (not once
//! per event: each event carries its own ordinal).
//!
//! An event whose ordinal is below the last released one, or whose timestamp is below the
//! watermark, came too late for the window: it is **late**, counted in
//! [`EngineStats::late`], and delivered at once as [`Timing::Late`] (event queries still
//! alert on it, sequences ignore it). Nothing is ever dropped silently.
//!
//! A window of 0 (the default) buffers nothing: events are released as they arrive, and
//! an event that arrives after a later one is late. [`EngineConfig::UNBOUNDED_WINDOW`]
//! sorts the whole input and releases it at [`Engine::flush`] (for finite inputs whose
//! answer must equal Elasticsearch's over the same data, at the cost of holding the whole
//! input).
//!
//! An event without a usable timestamp is delivered at once as [`Timing::Untimed`] and
//! counted, by reason, in [`EngineStats`]; the last reason is kept
//! ([`Engine::last_untimed`]). Late and untimed events are delivered when they arrive, so
//! their alerts may come before the alerts of earlier-arrived events still in the window.
//!
//! # Alert order
//!
//! For each delivered event, the matchers run in rule order, and rule `i`'s alerts come
//! before rule `i + 1`'s. After a release batch, the watermark's alerts follow, in rule
//! order. At [`Engine::flush`]: the window is emptied (in order), the watermark advanced,
//! then for each rule in order its matcher's flush alerts and then what its `tail` pipes
//! held.
//!
//! # Pipes
//!
//! A rule's [`Pipe`]s apply to its alerts in order, left to right (eql-semantics.md E:
//! `| head 4 | tail 2` gives the 3rd and 4th alert). `head N` passes the first `N`
//! alerts that reach it and suppresses the rest ([`EngineStats::head_suppressed`]).
//! `tail N` can only be answered at end of input: it keeps the last `N` alerts that reach
//! it (dropping older ones, [`EngineStats::tail_dropped`]) and passes them on at
//! [`Engine::flush`]. **A rule with a `tail` pipe emits nothing before flush.**
//!
//! # Output
//!
//! [`write_alert_ndjson`] writes one alert as one line of JSON with the fields in the
//! order of the DESIGN.md contract; [`alert_to_json`] builds the same object as a
//! [`serde_json::Value`]. Events give their JSON through [`EventJson`].

use std::borrow::Cow;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::io::{self, Write};
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::alert::{Alert, RuleInfo, RuleMatcher, Timing};
use crate::event::{Event, JsonEvent};
use crate::time::{format_millis, Ordinal, TimeFields, Untimed};
use crate::value::Value;

/// How the engine reads time and how long it waits for out-of-order events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EngineConfig {
    /// The timestamp and tiebreaker fields (default `@timestamp`, no tiebreaker).
    pub time: TimeFields,
    /// How far (in milliseconds of event time) an event may arrive behind the latest
    /// timestamp seen and still be matched in order. The default, 0, buffers nothing
    /// (input is expected in order; anything out of order is late).
    /// [`EngineConfig::UNBOUNDED_WINDOW`] sorts the whole input until flush.
    pub reorder_window_ms: u64,
}

impl EngineConfig {
    /// A window that never releases on its own: the whole input is sorted (and held in
    /// memory) and matched at [`Engine::flush`] (or as far as an explicit
    /// [`Engine::advance_watermark`] allows).
    pub const UNBOUNDED_WINDOW: u64 = u64::MAX;

    /// The default time fields with the given reorder window.
    pub fn with_window(reorder_window_ms: u64) -> EngineConfig {
        EngineConfig {
            time: TimeFields::default(),
            reorder_window_ms,
        }
    }
}

/// Named counters, as [`RuleMatcher::counters`] returns them.
pub type Counters = Vec<(&'static str, u64)>;

/// One pipe of a rule's query (eql-semantics.md E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pipe {
    /// `head N`: the first `N` alerts.
    Head(u64),
    /// `tail N`: the last `N` alerts, emitted at end of input.
    Tail(u64),
}

/// What the engine has seen and done. Every field is a count since the engine was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineStats {
    /// Events pushed.
    pub events: u64,
    /// Timed events released from the reorder window and delivered in order.
    pub released: u64,
    /// Events that arrived after the window had released a later event (or below the
    /// watermark), delivered as [`Timing::Late`].
    pub late: u64,
    /// The largest lateness seen: how many milliseconds a late event's timestamp was
    /// below the last released timestamp (or the watermark). A window at least this wide
    /// would have put every late event in order.
    pub max_late_ms: u64,
    /// Events without a usable timestamp, delivered as [`Timing::Untimed`]
    /// (`untimed_missing + untimed_unparseable`).
    pub untimed: u64,
    /// Untimed events whose timestamp field was missing or null.
    pub untimed_missing: u64,
    /// Untimed events whose timestamp field had no parseable value.
    pub untimed_unparseable: u64,
    /// The most events the reorder window held at once (after a release).
    pub max_buffered: u64,
    /// Times the watermark rose (each time, every matcher was told).
    pub watermarks: u64,
    /// Alerts the matchers produced, before pipes.
    pub matched: u64,
    /// Alerts emitted, after pipes.
    pub alerts: u64,
    /// Alerts a `head` pipe suppressed.
    pub head_suppressed: u64,
    /// Alerts a `tail` pipe dropped for newer ones.
    pub tail_dropped: u64,
}

impl EngineStats {
    /// The counters as `(name, value)` pairs, named as the fields, for reports.
    pub fn as_pairs(&self) -> [(&'static str, u64); 13] {
        [
            ("events", self.events),
            ("released", self.released),
            ("late", self.late),
            ("max_late_ms", self.max_late_ms),
            ("untimed", self.untimed),
            ("untimed_missing", self.untimed_missing),
            ("untimed_unparseable", self.untimed_unparseable),
            ("max_buffered", self.max_buffered),
            ("watermarks", self.watermarks),
            ("matched", self.matched),
            ("alerts", self.alerts),
            ("head_suppressed", self.head_suppressed),
            ("tail_dropped", self.tail_dropped),
        ]
    }
}

/// An event waiting in the reorder window, ordered by its ordinal alone.
struct Buffered<E> {
    ordinal: Ordinal,
    event: E,
}

impl<E> PartialEq for Buffered<E> {
    fn eq(&self, other: &Self) -> bool {
        self.ordinal == other.ordinal
    }
}

impl<E> Eq for Buffered<E> {}

impl<E> PartialOrd for Buffered<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Buffered<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.ordinal.cmp(&other.ordinal)
    }
}

/// One stage of a rule's pipe pipeline.
enum Stage<E> {
    Head {
        limit: u64,
        passed: u64,
    },
    Tail {
        limit: u64,
        kept: VecDeque<Alert<E>>,
    },
}

/// A rule's pipes as stages that alerts flow through, left to right.
struct Pipeline<E> {
    stages: Vec<Stage<E>>,
}

impl<E> Pipeline<E> {
    fn new(pipes: &[Pipe]) -> Pipeline<E> {
        let stages = pipes
            .iter()
            .map(|pipe| match *pipe {
                Pipe::Head(limit) => Stage::Head { limit, passed: 0 },
                Pipe::Tail(limit) => Stage::Tail {
                    limit,
                    kept: VecDeque::new(),
                },
            })
            .collect();
        Pipeline { stages }
    }

    /// Sends `alert` through the stages from `from` on; what leaves the last stage goes
    /// to `out`.
    fn feed(
        &mut self,
        alert: Alert<E>,
        from: usize,
        stats: &mut EngineStats,
        out: &mut Vec<Alert<E>>,
    ) {
        for stage in self.stages.iter_mut().skip(from) {
            match stage {
                Stage::Head { limit, passed } => {
                    if *passed < *limit {
                        *passed += 1;
                    } else {
                        stats.head_suppressed = stats.head_suppressed.saturating_add(1);
                        return;
                    }
                }
                Stage::Tail { limit, kept } => {
                    if *limit == 0 {
                        stats.tail_dropped = stats.tail_dropped.saturating_add(1);
                        return;
                    }
                    if u64::try_from(kept.len()).map_or(true, |len| len >= *limit) {
                        kept.pop_front();
                        stats.tail_dropped = stats.tail_dropped.saturating_add(1);
                    }
                    kept.push_back(alert);
                    return;
                }
            }
        }
        stats.alerts = stats.alerts.saturating_add(1);
        out.push(alert);
    }

    /// End of input: each `tail` stage, from the first, passes what it kept on to the
    /// stages after it.
    fn finish(&mut self, stats: &mut EngineStats, out: &mut Vec<Alert<E>>) {
        for i in 0..self.stages.len() {
            let kept = match self.stages.get_mut(i) {
                Some(Stage::Tail { kept, .. }) => std::mem::take(kept),
                _ => continue,
            };
            for alert in kept {
                self.feed(alert, i + 1, stats, out);
            }
        }
    }
}

/// One rule: its matcher and its pipes.
struct Rule<E> {
    matcher: Box<dyn RuleMatcher<E>>,
    pipeline: Pipeline<E>,
}

/// The streaming engine (see the [module documentation](self)): reorder window, delivery
/// to every rule in order, pipes, statistics.
pub struct Engine<E> {
    config: EngineConfig,
    rules: Vec<Rule<E>>,
    window: BinaryHeap<Reverse<Buffered<E>>>,
    /// The next arrival number.
    arrival: u64,
    /// The largest timestamp of a timed, non-late event.
    max_ts: Option<i64>,
    /// The ordinal of the last released event.
    last_released: Option<Ordinal>,
    /// The watermark last announced to the matchers.
    watermark: Option<i64>,
    last_untimed: Option<Untimed>,
    stats: EngineStats,
    /// Scratch space for one matcher call's alerts (before pipes).
    scratch: Vec<Alert<E>>,
}

impl<E> std::fmt::Debug for Engine<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("rules", &self.rules.len())
            .field("buffered", &self.window.len())
            .field("watermark", &self.watermark)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<E: Event> Engine<E> {
    /// An engine over `matchers`, each with its pipes (applied in order), in rule order.
    pub fn new(config: EngineConfig, matchers: Vec<(Box<dyn RuleMatcher<E>>, Vec<Pipe>)>) -> Self {
        let rules = matchers
            .into_iter()
            .map(|(matcher, pipes)| Rule {
                matcher,
                pipeline: Pipeline::new(&pipes),
            })
            .collect();
        Engine {
            config,
            rules,
            window: BinaryHeap::new(),
            arrival: 0,
            max_ts: None,
            last_released: None,
            watermark: None,
            last_untimed: None,
            stats: EngineStats::default(),
            scratch: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The rules, in order.
    pub fn rules(&self) -> impl Iterator<Item = &Arc<RuleInfo>> + '_ {
        self.rules.iter().map(|r| r.matcher.info())
    }

    /// The statistics so far.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Why the last untimed event had no usable timestamp.
    pub fn last_untimed(&self) -> Option<&Untimed> {
        self.last_untimed.as_ref()
    }

    /// The watermark: no event below it will be matched in order.
    pub fn watermark(&self) -> Option<i64> {
        self.watermark
    }

    /// How many events the reorder window holds now.
    pub fn buffered(&self) -> usize {
        self.window.len()
    }

    /// Every matcher's [`RuleMatcher::counters`], summed by name (in order of first
    /// appearance, rule by rule).
    pub fn matcher_counters(&self) -> Counters {
        let mut sums: Counters = Vec::new();
        for rule in &self.rules {
            for (name, value) in rule.matcher.counters() {
                match sums.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, sum)) => *sum = sum.saturating_add(value),
                    None => sums.push((name, value)),
                }
            }
        }
        sums
    }

    /// Every matcher's [`RuleMatcher::counters`], rule by rule (rules with no counters
    /// included, with an empty list).
    pub fn matcher_counters_by_rule(&self) -> Vec<(Arc<RuleInfo>, Counters)> {
        self.rules
            .iter()
            .map(|r| (Arc::clone(r.matcher.info()), r.matcher.counters()))
            .collect()
    }

    /// Takes one event; the alerts that are now final are appended to `out`.
    pub fn push(&mut self, event: E, out: &mut Vec<Alert<E>>) {
        self.stats.events = self.stats.events.saturating_add(1);
        let arrival = self.arrival;
        self.arrival = self.arrival.saturating_add(1);
        let ordinal = match self.config.time.ordinal(&event, arrival) {
            Ok(ordinal) => ordinal,
            Err(reason) => {
                self.stats.untimed = self.stats.untimed.saturating_add(1);
                match reason {
                    Untimed::Missing { .. } => {
                        self.stats.untimed_missing = self.stats.untimed_missing.saturating_add(1)
                    }
                    Untimed::Unparseable { .. } => {
                        self.stats.untimed_unparseable =
                            self.stats.untimed_unparseable.saturating_add(1)
                    }
                }
                self.last_untimed = Some(reason);
                self.deliver(&event, Timing::Untimed, out);
                return;
            }
        };
        if let Some(behind) = self.lateness(&ordinal) {
            self.stats.late = self.stats.late.saturating_add(1);
            self.stats.max_late_ms = self.stats.max_late_ms.max(behind);
            self.deliver(&event, Timing::Late(&ordinal), out);
            return;
        }
        let ts = ordinal.timestamp;
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
        self.window.push(Reverse(Buffered { ordinal, event }));
        if self.config.reorder_window_ms == EngineConfig::UNBOUNDED_WINDOW {
            let held = u64::try_from(self.window.len()).unwrap_or(u64::MAX);
            self.stats.max_buffered = self.stats.max_buffered.max(held);
            return;
        }
        let threshold =
            i128::from(self.max_ts.unwrap_or(ts)) - i128::from(self.config.reorder_window_ms);
        self.release(|t| i128::from(t) <= threshold, out);
    }

    /// Takes events in order, as [`Engine::push`] does for each.
    pub fn push_batch(&mut self, events: impl IntoIterator<Item = E>, out: &mut Vec<Alert<E>>) {
        for event in events {
            self.push(event, out);
        }
    }

    /// Declares that no event with a timestamp below `ts_ms` will come (for example from
    /// a source that knows its lag). Buffered events below `ts_ms` are released, the
    /// matchers are told, and any later event below `ts_ms` is late. A value at or below
    /// the current watermark changes nothing.
    pub fn advance_watermark(&mut self, ts_ms: i64, out: &mut Vec<Alert<E>>) {
        self.release(|t| t < ts_ms, out);
        self.announce(ts_ms, out);
    }

    /// End of input: releases every buffered event in order, advances the watermark to
    /// the last one, then for each rule in order flushes its matcher and its `tail`
    /// pipes. Pushing more events afterwards is allowed: matchers and pipes continue from
    /// their state (a `head` stays exhausted), and a later flush emits again.
    pub fn flush(&mut self, out: &mut Vec<Alert<E>>) {
        self.release(|_| true, out);
        let mut scratch = std::mem::take(&mut self.scratch);
        for rule in &mut self.rules {
            scratch.clear();
            rule.matcher.flush(&mut scratch);
            Self::route(rule, &mut scratch, &mut self.stats, out);
            rule.pipeline.finish(&mut self.stats, out);
        }
        self.scratch = scratch;
    }

    /// Whether an in-order ordinal is late, and if so by how many milliseconds.
    fn lateness(&self, ordinal: &Ordinal) -> Option<u64> {
        let behind = |reference: i64| {
            u64::try_from(i128::from(reference) - i128::from(ordinal.timestamp)).unwrap_or(0)
        };
        if let Some(last) = &self.last_released {
            if ordinal < last {
                let by_watermark = self.watermark.map_or(0, behind);
                return Some(behind(last.timestamp).max(by_watermark));
            }
        }
        match self.watermark {
            Some(w) if ordinal.timestamp < w => Some(behind(w)),
            _ => None,
        }
    }

    /// Releases, in ordinal order, the buffered events whose timestamp satisfies
    /// `ready`, then announces the last one's timestamp as the watermark.
    fn release(&mut self, ready: impl Fn(i64) -> bool, out: &mut Vec<Alert<E>>) {
        let mut last_ts = None;
        while self
            .window
            .peek()
            .is_some_and(|Reverse(b)| ready(b.ordinal.timestamp))
        {
            let Some(Reverse(Buffered { ordinal, event })) = self.window.pop() else {
                break;
            };
            self.stats.released = self.stats.released.saturating_add(1);
            self.deliver(&event, Timing::InOrder(&ordinal), out);
            last_ts = Some(ordinal.timestamp);
            self.last_released = Some(ordinal);
        }
        let held = u64::try_from(self.window.len()).unwrap_or(u64::MAX);
        self.stats.max_buffered = self.stats.max_buffered.max(held);
        if let Some(ts) = last_ts {
            self.announce(ts, out);
        }
    }

    /// Raises the watermark to `ts` (if that raises it) and tells every matcher.
    fn announce(&mut self, ts: i64, out: &mut Vec<Alert<E>>) {
        if self.watermark.is_some_and(|w| w >= ts) {
            return;
        }
        self.watermark = Some(ts);
        self.stats.watermarks = self.stats.watermarks.saturating_add(1);
        let mut scratch = std::mem::take(&mut self.scratch);
        for rule in &mut self.rules {
            scratch.clear();
            rule.matcher.advance_watermark(ts, &mut scratch);
            Self::route(rule, &mut scratch, &mut self.stats, out);
        }
        self.scratch = scratch;
    }

    /// Hands one event to every matcher, in rule order.
    fn deliver(&mut self, event: &E, timing: Timing<'_>, out: &mut Vec<Alert<E>>) {
        let mut scratch = std::mem::take(&mut self.scratch);
        for rule in &mut self.rules {
            scratch.clear();
            rule.matcher.on_event(event, timing, &mut scratch);
            Self::route(rule, &mut scratch, &mut self.stats, out);
        }
        self.scratch = scratch;
    }

    /// Sends a matcher's alerts through its rule's pipes.
    fn route(
        rule: &mut Rule<E>,
        alerts: &mut Vec<Alert<E>>,
        stats: &mut EngineStats,
        out: &mut Vec<Alert<E>>,
    ) {
        let n = u64::try_from(alerts.len()).unwrap_or(u64::MAX);
        stats.matched = stats.matched.saturating_add(n);
        for alert in alerts.drain(..) {
            rule.pipeline.feed(alert, 0, stats, out);
        }
    }
}

/// An event that can give its original JSON for an alert's `events` list.
pub trait EventJson {
    /// The event as JSON (an object for [`JsonEvent`]).
    fn to_json(&self) -> Cow<'_, Json>;
}

impl EventJson for JsonEvent {
    fn to_json(&self) -> Cow<'_, Json> {
        Cow::Borrowed(self.json())
    }
}

impl EventJson for Json {
    fn to_json(&self) -> Cow<'_, Json> {
        Cow::Borrowed(self)
    }
}

impl<T: EventJson + ?Sized> EventJson for &T {
    fn to_json(&self) -> Cow<'_, Json> {
        (**self).to_json()
    }
}

impl<T: EventJson + ?Sized> EventJson for Arc<T> {
    fn to_json(&self) -> Cow<'_, Json> {
        (**self).to_json()
    }
}

impl<T: EventJson + ?Sized> EventJson for Box<T> {
    fn to_json(&self) -> Cow<'_, Json> {
        (**self).to_json()
    }
}

/// A join-key value as JSON (a float that JSON cannot hold, NaN or infinite, is `null`).
fn value_json(value: &Value<'_>) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.to_string()),
    }
}

fn rule_json(rule: &RuleInfo) -> Json {
    let mut m = Map::new();
    m.insert("id".into(), Json::from(rule.id.as_str()));
    m.insert("name".into(), Json::from(rule.name.as_str()));
    m.insert(
        "version".into(),
        rule.version.map_or(Json::Null, Json::from),
    );
    m.insert("severity".into(), Json::from(rule.severity.as_str()));
    m.insert(
        "risk_score".into(),
        rule.risk_score.map_or(Json::Null, Json::from),
    );
    m.insert("building_block".into(), Json::Bool(rule.building_block));
    m.insert("tags".into(), Json::from(rule.tags.clone()));
    m.insert(
        "threat".into(),
        Json::Array(rule.threat.iter().map(threat_json).collect()),
    );
    Json::Object(m)
}

fn threat_json(threat: &crate::alert::ThreatInfo) -> Json {
    let mut m = Map::new();
    m.insert("tactic".into(), Json::from(threat.tactic.as_str()));
    m.insert("techniques".into(), Json::from(threat.techniques.clone()));
    Json::Object(m)
}

fn missing_json() -> Json {
    let mut m = Map::new();
    m.insert("missing".into(), Json::Bool(true));
    Json::Object(m)
}

fn timestamp_json(ts: Option<i64>) -> Json {
    ts.map_or(Json::Null, |t| Json::String(format_millis(t)))
}

/// The alert as the JSON object of the DESIGN.md contract: `rule` (`id`, `name`,
/// `version`, `severity`, `risk_score`, `building_block`, `tags`, `threat` of `tactic` and
/// `techniques`), `kind`, `timestamp` (ISO 8601, or `null` when untimed), `join_keys`,
/// `events` (original events, `{"missing": true}` at a missing-event stage).
///
/// The key order of the returned object is `serde_json`'s (alphabetical unless its
/// `preserve_order` feature is on); [`write_alert_ndjson`] writes the contract's order.
pub fn alert_to_json<E: EventJson>(alert: &Alert<E>) -> Json {
    let mut m = Map::new();
    m.insert("rule".into(), rule_json(&alert.rule));
    m.insert("kind".into(), Json::from(alert.kind.as_str()));
    m.insert("timestamp".into(), timestamp_json(alert.timestamp));
    m.insert(
        "join_keys".into(),
        Json::Array(alert.join_keys.iter().map(value_json).collect()),
    );
    m.insert(
        "events".into(),
        Json::Array(
            alert
                .events
                .iter()
                .map(|e| {
                    e.as_ref()
                        .map_or_else(missing_json, |e| e.to_json().into_owned())
                })
                .collect(),
        ),
    );
    Json::Object(m)
}

/// Writes `"key":` then `value` as JSON.
fn field(buf: &mut Vec<u8>, key: &str, value: &Json) -> io::Result<()> {
    serde_json::to_writer(&mut *buf, key)?;
    buf.push(b':');
    serde_json::to_writer(&mut *buf, value)?;
    Ok(())
}

/// The alert as one line of NDJSON (with the trailing newline), keys in the order of the
/// DESIGN.md contract: `rule` (`id`, `name`, `version`, `severity`, `risk_score`,
/// `building_block`, `tags`, `threat` [`tactic`, `techniques`]), `kind`, `timestamp`,
/// `join_keys`, `events`. Each event is written as its [`EventJson`] (so its own keys
/// keep `serde_json`'s order).
pub fn alert_to_ndjson<E: EventJson>(alert: &Alert<E>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(512);
    let rule = &alert.rule;
    buf.extend_from_slice(b"{\"rule\":{");
    field(&mut buf, "id", &Json::from(rule.id.as_str()))?;
    buf.push(b',');
    field(&mut buf, "name", &Json::from(rule.name.as_str()))?;
    buf.push(b',');
    field(
        &mut buf,
        "version",
        &rule.version.map_or(Json::Null, Json::from),
    )?;
    buf.push(b',');
    field(&mut buf, "severity", &Json::from(rule.severity.as_str()))?;
    buf.push(b',');
    field(
        &mut buf,
        "risk_score",
        &rule.risk_score.map_or(Json::Null, Json::from),
    )?;
    buf.push(b',');
    field(&mut buf, "building_block", &Json::Bool(rule.building_block))?;
    buf.push(b',');
    field(&mut buf, "tags", &Json::from(rule.tags.clone()))?;
    buf.extend_from_slice(b",\"threat\":[");
    for (i, threat) in rule.threat.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'{');
        field(&mut buf, "tactic", &Json::from(threat.tactic.as_str()))?;
        buf.push(b',');
        field(
            &mut buf,
            "techniques",
            &Json::from(threat.techniques.clone()),
        )?;
        buf.push(b'}');
    }
    buf.extend_from_slice(b"]},");
    field(&mut buf, "kind", &Json::from(alert.kind.as_str()))?;
    buf.push(b',');
    field(&mut buf, "timestamp", &timestamp_json(alert.timestamp))?;
    buf.extend_from_slice(b",\"join_keys\":[");
    for (i, key) in alert.join_keys.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut buf, &value_json(key))?;
    }
    buf.extend_from_slice(b"],\"events\":[");
    for (i, event) in alert.events.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        match event {
            Some(event) => serde_json::to_writer(&mut buf, event.to_json().as_ref())?,
            None => buf.extend_from_slice(b"{\"missing\":true}"),
        }
    }
    buf.extend_from_slice(b"]}\n");
    Ok(buf)
}

/// Writes the alert as one line of NDJSON ([`alert_to_ndjson`]) in a single `write_all`.
pub fn write_alert_ndjson<E: EventJson>(alert: &Alert<E>, out: &mut impl Write) -> io::Result<()> {
    out.write_all(&alert_to_ndjson(alert)?)
}
