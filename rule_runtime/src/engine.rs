//! The streaming engine: it puts events into Elasticsearch's order, hands each rule the
//! events that hit it, tells stateful rules when time has passed, applies each rule's
//! `head`/`tail` pipes (DESIGN.md, "Semantics" and "Alerts"; eql-semantics.md C.2, E,
//! J.3).
//!
//! # Evaluation and delivery
//!
//! Which stages of which rules an event hits does not depend on the order of events, so
//! the caller evaluates each event as it arrives (the compiled rule set, or the
//! interpreter) and pushes it with its [`SetHits`]. An event that hits nothing is kept
//! only as its [`Ordinal`] (no copy of the event is made): it still moves time forward.
//! When an event is released in order, each rule it hit gets it ([`RuleState::on_hits`]),
//! in rule order; a stateful rule whose [`RuleState::next_deadline`] the event's
//! timestamp has reached is told the new watermark ([`RuleState::advance_watermark`]),
//! in the same rule order, unless the event also hit it (taking an in-order hit advances
//! a rule's own watermark first). Rules that neither were hit nor hold anything due are
//! not called at all.
//!
//! # Order and lateness
//!
//! Each pushed event gets an arrival number (its position in the input, counting every
//! event) and an [`Ordinal`] `(timestamp, tiebreaker, arrival)` from the time the caller
//! read ([`EngineConfig::time`] says which fields). Timed events wait in a **reorder
//! window**: the engine keeps the largest timestamp seen, `max_ts`, and releases, in
//! ordinal order, every buffered event whose timestamp is `<= max_ts -
//! reorder_window_ms`. Rules see released events as [`Timing::InOrder`], with strictly
//! increasing ordinals.
//!
//! The **watermark** is the timestamp of the last released event (or a larger value given
//! to [`Engine::advance_watermark`]): no event below it will be matched in order. Each
//! released event advances it to its own timestamp; a stateful rule learns of it when
//! something of it is due.
//!
//! An event whose ordinal is below the last released one, or whose timestamp is below the
//! watermark, came too late for the window: it is **late**, counted in
//! [`EngineStats::late`], and delivered at once as [`Timing::Late`] (event queries still
//! alert on it, sequences count and ignore it). Nothing is ever dropped silently.
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
//! For each released event, the rules it hit and the rules it made due run in rule
//! order, and rule `i`'s alerts come before rule `i + 1`'s. At [`Engine::flush`]: the
//! window is emptied (in order), then for each rule in order its state's flush alerts and
//! then what its `tail` pipes held.
//!
//! # Pipes
//!
//! A rule's [`Pipe`]s apply to its alerts in order, left to right (eql-semantics.md E:
//! `| head 4 | tail 2` gives the 3rd and 4th alert). `head N` passes the first `N`
//! alerts that reach it and suppresses the rest ([`EngineStats::head_suppressed`]).
//! `tail N` can only be answered at end of input: it keeps the last `N` alerts that reach
//! it (dropping older ones, [`EngineStats::tail_dropped`]) and passes them on at
//! [`Engine::flush`]. **A rule with a `tail` pipe emits nothing before flush.**

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use crate::alert::{Alert, RuleInfo, Timing};
use crate::state::{Counters, RuleState, SetHits};
use crate::time::{Ordinal, Tiebreaker, TimeFields, Untimed};

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

/// A rule's state with the pipes of its query, as [`Engine::new`] takes them.
pub type RuleEntry<E> = (Box<dyn RuleState<E>>, Vec<Pipe>);

/// An event's time as the caller read it: its timestamp and tiebreaker, or why it has
/// no usable timestamp.
pub type EventTime = Result<(i64, Option<Tiebreaker>), Untimed>;

/// One pipe of a rule's query (eql-semantics.md E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
    /// Times the watermark rose.
    pub watermarks: u64,
    /// Events that hit at least one rule's stage (the others only moved time).
    pub hit_events: u64,
    /// Calls to a rule's state for an event that hit it.
    pub rule_hits: u64,
    /// Calls to a stateful rule because the watermark reached its next deadline.
    pub deadline_calls: u64,
    /// Alerts the matchers produced, before pipes.
    pub matched: u64,
    /// Alerts emitted, after pipes.
    pub alerts: u64,
    /// Alerts a `head` pipe suppressed.
    pub head_suppressed: u64,
    /// Alerts a `tail` pipe dropped for newer ones.
    pub tail_dropped: u64,
    /// Events timestamped past the engine's maximum ([`Engine::set_max_timestamp`]:
    /// a wrong clock or a forged time, year 9999 say), delivered as [`Timing::Late`]:
    /// event queries and samples see them, they neither move time forward nor reach
    /// sequences.
    pub future: u64,
    /// Events released from the reorder window before their time because more events
    /// that hit a rule were held than the cap ([`Engine::set_max_held_events`]): the
    /// window shrank for them, so events arriving later behind them may be late.
    pub held_overflow: u64,
}

impl EngineStats {
    /// The counters as `(name, value)` pairs, named as the fields, for reports.
    pub fn as_pairs(&self) -> [(&'static str, u64); 18] {
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
            ("hit_events", self.hit_events),
            ("rule_hits", self.rule_hits),
            ("deadline_calls", self.deadline_calls),
            ("matched", self.matched),
            ("alerts", self.alerts),
            ("head_suppressed", self.head_suppressed),
            ("tail_dropped", self.tail_dropped),
            ("future", self.future),
            ("held_overflow", self.held_overflow),
        ]
    }
}

/// An event waiting in the reorder window, ordered by its ordinal alone.
struct Buffered<E> {
    ordinal: Ordinal,
    /// The event and what it hit; `None` for an event that hit no rule (it still moves
    /// time forward when released).
    payload: Option<Box<(E, SetHits)>>,
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

/// One rule: its state and its pipes.
struct Rule<E> {
    state: Box<dyn RuleState<E>>,
    pipeline: Pipeline<E>,
    /// The deadline last read from the state (what `due` holds for this rule).
    deadline: Option<i64>,
}

/// The streaming engine (see the [module documentation](self)): reorder window, delivery
/// to the rules an event hits, deadlines, pipes, statistics.
pub struct Engine<E> {
    config: EngineConfig,
    rules: Vec<Rule<E>>,
    /// `(deadline, rule)` of every stateful rule with something due; entries whose
    /// deadline is no longer the rule's are skipped when they surface.
    due: BinaryHeap<Reverse<(i64, usize)>>,
    window: BinaryHeap<Reverse<Buffered<E>>>,
    /// The next arrival number.
    arrival: u64,
    /// The largest timestamp of a timed, non-late event.
    max_ts: Option<i64>,
    /// The ordinal of the last released event.
    last_released: Option<Ordinal>,
    /// The watermark.
    watermark: Option<i64>,
    last_untimed: Option<Untimed>,
    /// Timestamps above this are not trusted to move time ([`EngineStats::future`]).
    max_timestamp: Option<i64>,
    /// Events holding a payload (they hit a rule) in the reorder window.
    held_hits: usize,
    /// The most such events held ([`Engine::set_max_held_events`]).
    max_held_hits: Option<usize>,
    stats: EngineStats,
    /// Scratch space for one state call's alerts (before pipes).
    scratch: Vec<Alert<E>>,
    /// Scratch space for the rules due at one event.
    due_now: Vec<usize>,
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

impl<E> Engine<E> {
    /// An engine over `rules` (each rule's state with its pipes, applied in order), in
    /// rule order: rule `i` of the [`SetHits`] pushed is `rules[i]`.
    pub fn new(config: EngineConfig, rules: Vec<RuleEntry<E>>) -> Self {
        let rules: Vec<Rule<E>> = rules
            .into_iter()
            .map(|(state, pipes)| Rule {
                deadline: state.next_deadline(),
                state,
                pipeline: Pipeline::new(&pipes),
            })
            .collect();
        // A state may hold something due from the start (restored state, say).
        let due = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.deadline.map(|d| Reverse((d, i))))
            .collect();
        Engine {
            config,
            rules,
            due,
            window: BinaryHeap::new(),
            arrival: 0,
            max_ts: None,
            last_released: None,
            watermark: None,
            last_untimed: None,
            max_timestamp: None,
            held_hits: 0,
            max_held_hits: None,
            stats: EngineStats::default(),
            scratch: Vec::new(),
            due_now: Vec::new(),
        }
    }

    /// Events timestamped above `max` (epoch milliseconds) are counted as
    /// [`EngineStats::future`] and delivered as late: one event dated year 9999 must not
    /// move the watermark past every other event (which would expire all state and make
    /// every later event late). `None` (the default) trusts every timestamp. `eqlc scan`
    /// sets it to the wall clock plus a day.
    pub fn set_max_timestamp(&mut self, max: Option<i64>) {
        self.max_timestamp = max;
    }

    /// At most `max` events that hit a rule are held in a bounded reorder window (each
    /// holds its line); past that the oldest are released before their time, counted
    /// in [`EngineStats::held_overflow`]. Without it, a burst of events inside the
    /// window (a million with one timestamp) is held whole. `None` (the default): no
    /// cap; an unbounded window (the whole input sorted) is never capped. `eqlc scan`
    /// sets 100,000 (`--max-held-events`).
    pub fn set_max_held_events(&mut self, max: Option<usize>) {
        self.max_held_hits = max;
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the engine has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, in order.
    pub fn rules(&self) -> impl Iterator<Item = &Arc<RuleInfo>> + '_ {
        self.rules.iter().map(|r| r.state.info())
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

    /// Every rule's [`RuleState::counters`], summed by name (in order of first
    /// appearance, rule by rule).
    pub fn matcher_counters(&self) -> Counters {
        let mut sums: Counters = Vec::new();
        for rule in &self.rules {
            for (name, value) in rule.state.counters() {
                match sums.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, sum)) => *sum = sum.saturating_add(value),
                    None => sums.push((name, value)),
                }
            }
        }
        sums
    }

    /// Every rule's [`RuleState::counters`], rule by rule (rules with no counters
    /// included, with an empty list).
    pub fn matcher_counters_by_rule(&self) -> Vec<(Arc<RuleInfo>, Counters)> {
        self.rules
            .iter()
            .map(|r| (Arc::clone(r.state.info()), r.state.counters()))
            .collect()
    }

    /// Takes one event: its time as read by the caller, what it hit (the engine takes
    /// the hits when there are any and leaves `hits` empty), and how to make the handle
    /// that rules keep and alerts carry (called only when the event hit something). The
    /// alerts that are now final are appended to `out`.
    pub fn push(
        &mut self,
        time: EventTime,
        hits: &mut SetHits,
        event: impl FnOnce() -> E,
        out: &mut Vec<Alert<E>>,
    ) {
        let hit = if hits.is_empty() {
            None
        } else {
            Some((event(), std::mem::take(hits)))
        };
        self.push_hit(time, hit, out);
    }

    /// [`Engine::push`] for an event evaluated elsewhere (on a worker thread): its handle
    /// and what it hit, made already, or `None` when it hit nothing (an empty
    /// [`SetHits`] counts as nothing).
    pub fn push_hit(
        &mut self,
        time: EventTime,
        hit: Option<(E, SetHits)>,
        out: &mut Vec<Alert<E>>,
    ) {
        self.stats.events = self.stats.events.saturating_add(1);
        let arrival = self.arrival;
        self.arrival = self.arrival.saturating_add(1);
        let payload = match hit {
            Some((event, hits)) if !hits.is_empty() => {
                self.stats.hit_events = self.stats.hit_events.saturating_add(1);
                Some(Box::new((event, hits)))
            }
            _ => None,
        };
        let ordinal = match time {
            Ok((ts, tiebreaker)) => Ordinal::new(ts, tiebreaker, arrival),
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
                if let Some(p) = payload {
                    let (event, hits) = *p;
                    self.deliver_hits(&event, &hits, Timing::Untimed, out);
                }
                return;
            }
        };
        if self.max_timestamp.is_some_and(|m| ordinal.timestamp > m) {
            self.stats.future = self.stats.future.saturating_add(1);
            if let Some(p) = payload {
                let (event, hits) = *p;
                self.deliver_hits(&event, &hits, Timing::Late(&ordinal), out);
            }
            return;
        }
        if let Some(behind) = self.lateness(&ordinal) {
            self.stats.late = self.stats.late.saturating_add(1);
            self.stats.max_late_ms = self.stats.max_late_ms.max(behind);
            if let Some(p) = payload {
                let (event, hits) = *p;
                self.deliver_hits(&event, &hits, Timing::Late(&ordinal), out);
            }
            return;
        }
        let ts = ordinal.timestamp;
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
        if payload.is_some() {
            self.held_hits += 1;
        }
        self.window.push(Reverse(Buffered { ordinal, payload }));
        if self.config.reorder_window_ms == EngineConfig::UNBOUNDED_WINDOW {
            let held = u64::try_from(self.window.len()).unwrap_or(u64::MAX);
            self.stats.max_buffered = self.stats.max_buffered.max(held);
            return;
        }
        let threshold =
            i128::from(self.max_ts.unwrap_or(ts)) - i128::from(self.config.reorder_window_ms);
        self.release(|t| i128::from(t) <= threshold, out);
        if let Some(cap) = self.max_held_hits {
            while self.held_hits > cap {
                let Some(Reverse(oldest)) = self.window.peek() else {
                    break;
                };
                let t = oldest.ordinal.timestamp;
                let before = self.stats.released;
                self.release(|x| x <= t, out);
                let early = self.stats.released.saturating_sub(before);
                self.stats.held_overflow = self.stats.held_overflow.saturating_add(early);
            }
        }
    }

    /// Declares that no event with a timestamp below `ts_ms` will come (for example from
    /// a source that knows its lag). Buffered events below `ts_ms` are released, the
    /// rules with something due by then are told, and any later event below `ts_ms` is
    /// late. A value at or below the current watermark changes nothing.
    pub fn advance_watermark(&mut self, ts_ms: i64, out: &mut Vec<Alert<E>>) {
        self.release(|t| t < ts_ms, out);
        if self.watermark.is_some_and(|w| w >= ts_ms) {
            return;
        }
        self.watermark = Some(ts_ms);
        self.stats.watermarks = self.stats.watermarks.saturating_add(1);
        self.collect_due(ts_ms);
        let due = std::mem::take(&mut self.due_now);
        for &r in &due {
            self.tell_deadline(r, ts_ms, out);
        }
        self.due_now = due;
    }

    /// End of input: releases every buffered event in order, then for each rule in order
    /// flushes its state and its `tail` pipes. Pushing more events afterwards is allowed:
    /// states and pipes continue from where they are (a `head` stays exhausted), and a
    /// later flush emits again.
    pub fn flush(&mut self, out: &mut Vec<Alert<E>>) {
        self.release(|_| true, out);
        let mut scratch = std::mem::take(&mut self.scratch);
        for rule in &mut self.rules {
            scratch.clear();
            rule.state.flush(&mut scratch);
            rule.deadline = rule.state.next_deadline();
            Self::route(rule, &mut scratch, &mut self.stats, out);
            rule.pipeline.finish(&mut self.stats, out);
        }
        self.scratch = scratch;
        self.due.clear();
        for (i, rule) in self.rules.iter().enumerate() {
            if let Some(d) = rule.deadline {
                self.due.push(Reverse((d, i)));
            }
        }
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

    /// Releases, in ordinal order, the buffered events whose timestamp satisfies `ready`.
    fn release(&mut self, ready: impl Fn(i64) -> bool, out: &mut Vec<Alert<E>>) {
        while self
            .window
            .peek()
            .is_some_and(|Reverse(b)| ready(b.ordinal.timestamp))
        {
            let Some(Reverse(Buffered { ordinal, payload })) = self.window.pop() else {
                break;
            };
            self.stats.released = self.stats.released.saturating_add(1);
            let ts = ordinal.timestamp;
            if self.watermark.is_none_or(|w| ts > w) {
                self.watermark = Some(ts);
                self.stats.watermarks = self.stats.watermarks.saturating_add(1);
            }
            self.collect_due(ts);
            match payload {
                Some(p) => {
                    self.held_hits = self.held_hits.saturating_sub(1);
                    let (event, hits) = *p;
                    self.deliver_in_order(&event, &hits, &ordinal, out);
                }
                None => {
                    let due = std::mem::take(&mut self.due_now);
                    for &r in &due {
                        self.tell_deadline(r, ts, out);
                    }
                    self.due_now = due;
                }
            }
            self.last_released = Some(ordinal);
        }
        let held = u64::try_from(self.window.len()).unwrap_or(u64::MAX);
        self.stats.max_buffered = self.stats.max_buffered.max(held);
    }

    /// Fills `due_now` with the rules whose deadline `ts` has reached, in rule order.
    fn collect_due(&mut self, ts: i64) {
        self.due_now.clear();
        while let Some(&Reverse((d, r))) = self.due.peek() {
            if d > ts {
                break;
            }
            self.due.pop();
            if self.rules[r].deadline == Some(d) {
                self.rules[r].deadline = None;
                self.due_now.push(r);
            }
        }
        self.due_now.sort_unstable();
        self.due_now.dedup();
    }

    /// Tells rule `r` the watermark reached `ts`.
    fn tell_deadline(&mut self, r: usize, ts: i64, out: &mut Vec<Alert<E>>) {
        self.stats.deadline_calls = self.stats.deadline_calls.saturating_add(1);
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let rule = &mut self.rules[r];
        rule.state.advance_watermark(ts, &mut scratch);
        Self::route(rule, &mut scratch, &mut self.stats, out);
        self.scratch = scratch;
        self.reschedule(r);
    }

    /// Reads rule `r`'s next deadline into the schedule.
    fn reschedule(&mut self, r: usize) {
        let d = self.rules[r].state.next_deadline();
        if d != self.rules[r].deadline {
            self.rules[r].deadline = d;
            if let Some(d) = d {
                self.due.push(Reverse((d, r)));
            }
        }
    }

    /// A released event: the rules it hit and the rules due at its timestamp, merged in
    /// rule order.
    fn deliver_in_order(
        &mut self,
        event: &E,
        hits: &SetHits,
        ordinal: &Ordinal,
        out: &mut Vec<Alert<E>>,
    ) {
        let due = std::mem::take(&mut self.due_now);
        let mut d = due.iter().peekable();
        for (r, h) in hits.iter() {
            while let Some(&&dr) = d.peek() {
                if dr >= r {
                    break;
                }
                self.tell_deadline(dr, ordinal.timestamp, out);
                d.next();
            }
            if d.peek().is_some_and(|&&dr| dr == r) {
                // The hit advances the rule's watermark itself before matching.
                d.next();
            }
            self.hit(r, h, event, Timing::InOrder(ordinal), out);
        }
        for &dr in d {
            self.tell_deadline(dr, ordinal.timestamp, out);
        }
        self.due_now = due;
    }

    /// A late or untimed event: the rules it hit, in order.
    fn deliver_hits(
        &mut self,
        event: &E,
        hits: &SetHits,
        timing: Timing<'_>,
        out: &mut Vec<Alert<E>>,
    ) {
        for (r, h) in hits.iter() {
            self.hit(r, h, event, timing, out);
        }
    }

    fn hit(
        &mut self,
        r: usize,
        h: &crate::state::StageHits,
        event: &E,
        timing: Timing<'_>,
        out: &mut Vec<Alert<E>>,
    ) {
        let Some(rule) = self.rules.get_mut(r) else {
            return;
        };
        self.stats.rule_hits = self.stats.rule_hits.saturating_add(1);
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        rule.state.on_hits(h, event, timing, &mut scratch);
        Self::route(rule, &mut scratch, &mut self.stats, out);
        self.scratch = scratch;
        self.reschedule(r);
    }

    /// Sends a rule's alerts through its pipes.
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
