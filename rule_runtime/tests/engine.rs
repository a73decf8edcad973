//! The streaming engine driven by fake rule states: reorder window, lateness, untimed
//! events, watermarks and deadlines, delivery only to the rules an event hits, events
//! that hit nothing, pipes, flush, statistics, and the NDJSON alert output.
//!
//! The tests play the caller's part: [`Harness`] reads an event's time with
//! [`TimeFields`], "evaluates" it (rule `i` is hit at stage 0 when the event's field `x`
//! holds `i`, or the hits are given explicitly) and pushes it with its [`SetHits`].

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;

use proptest::prelude::*;
use rule_runtime::alert::{Alert, AlertKind, RuleInfo, ThreatInfo, Timing};
use rule_runtime::engine::{Engine, EngineConfig, EngineStats, EventTime, Pipe, RuleEntry};
use rule_runtime::event::{Event, JsonEvent, LineEvent};
use rule_runtime::key::KeyPart;
use rule_runtime::output::{alert_to_json, alert_to_ndjson, write_alert_ndjson};
use rule_runtime::state::{Counters, EventRule, Key, RuleState, SetHits, StageHits};
use rule_runtime::time::{Ordinal, Tiebreaker, TimeFields, Untimed};
use rule_runtime::value::Value;
use serde_json::{json, Value as Json};

type Ev = Arc<JsonEvent>;

fn ev(j: Json) -> Ev {
    Arc::new(JsonEvent::from_json(j).expect("an object"))
}

/// An event with an id and a timestamp that hits the rules listed in `x`.
fn at(id: i64, ts: i64, x: &[usize]) -> Json {
    json!({"id": id, "@timestamp": ts, "x": x})
}

fn id_of(e: &Ev) -> i64 {
    e.first_value("id").and_then(|v| v.as_i64()).unwrap_or(-1)
}

/// An event's `id` as text: a number, or a string such as `d25` (the event of an alert a
/// fake released at its deadline 25).
fn id_text(e: &Ev) -> String {
    match e.json().get("id") {
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "?".to_string(),
    }
}

/// An alert as `rule:event,event` (`-` for a missing event).
fn tag(alert: &Alert<Ev>) -> String {
    let events: Vec<String> = alert
        .events
        .iter()
        .map(|e| e.as_ref().map_or_else(|| "-".to_string(), id_text))
        .collect();
    format!("{}:{}", alert.rule.id, events.join(","))
}

fn tags(alerts: &[Alert<Ev>]) -> Vec<String> {
    alerts.iter().map(tag).collect()
}

/// The id of each alert's first event.
fn ids(alerts: &[Alert<Ev>]) -> Vec<i64> {
    alerts
        .iter()
        .map(|a| {
            a.events
                .first()
                .cloned()
                .flatten()
                .map_or(-1, |e| id_of(&e))
        })
        .collect()
}

fn rule(id: &str) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: id.to_string(),
        name: format!("rule {id}"),
        severity: "low".to_string(),
        ..RuleInfo::default()
    })
}

fn ts_of(timing: Timing<'_>) -> Option<i64> {
    match timing {
        Timing::InOrder(o) | Timing::Late(o) => Some(o.timestamp),
        Timing::Untimed => None,
    }
}

/// What a fake rule state was told.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    /// `on_hits`: the event's id, `'I'`n order / `'L'`ate / `'U'`ntimed, its timestamp.
    Hit(i64, char, Option<i64>),
    /// `advance_watermark(ts)`.
    Wm(i64),
    /// `flush`.
    Flush,
}

/// Every call to the fake states of a test, in call order, with the rule's name.
type Log = Rc<RefCell<Vec<(&'static str, Seen)>>>;

fn in_order(name: &'static str, id: i64, ts: i64) -> (&'static str, Seen) {
    (name, Seen::Hit(id, 'I', Some(ts)))
}

fn late(name: &'static str, id: i64, ts: i64) -> (&'static str, Seen) {
    (name, Seen::Hit(id, 'L', Some(ts)))
}

fn untimed(name: &'static str, id: i64) -> (&'static str, Seen) {
    (name, Seen::Hit(id, 'U', None))
}

fn wm(name: &'static str, ts: i64) -> (&'static str, Seen) {
    (name, Seen::Wm(ts))
}

fn flushed(name: &'static str) -> (&'static str, Seen) {
    (name, Seen::Flush)
}

fn calls(log: &Log) -> Vec<(&'static str, Seen)> {
    log.borrow().clone()
}

/// The hits one rule saw, as `(id, timing)`.
fn hits_of(log: &Log, name: &str) -> Vec<(i64, char)> {
    log.borrow()
        .iter()
        .filter_map(|(n, s)| match s {
            Seen::Hit(id, c, _) if *n == name => Some((*id, *c)),
            _ => None,
        })
        .collect()
}

/// What a test can read of a fake state's insides after handing it to the engine.
#[derive(Debug, Default)]
struct Probe {
    /// The pending deadlines; the smallest is the state's `next_deadline`.
    deadlines: BTreeSet<i64>,
    /// The ordinal of every timed hit, in call order.
    ordinals: Vec<Ordinal>,
    /// The stage hits of every hit, in call order.
    stage_hits: Vec<StageHits>,
}

type Shared = Rc<RefCell<Probe>>;

/// A configurable fake rule state that logs every call.
///
/// Like a sequence, an in-order hit first advances the state's own watermark to the
/// event's timestamp (passing the deadlines it reached), and late and untimed hits
/// change nothing of its state. `advance_watermark` panics if the engine calls it before
/// anything is due.
struct Fake {
    name: &'static str,
    info: Arc<RuleInfo>,
    log: Log,
    probe: Shared,
    /// Alert on every hit, like an event query (join keys: the first key tuple hit).
    alert_on_hit: bool,
    /// After an in-order hit at `ts`, something is due at `ts + delay`.
    deadline_after_hit: Option<i64>,
    /// Alert (event id `d<deadline>`) for each deadline passed.
    alert_on_deadline: bool,
    /// Forget the pending deadlines at flush (as a sequence does).
    clear_at_flush: bool,
    /// Alerts at flush, one per event id (untimed).
    at_flush: Vec<i64>,
    counters: Counters,
}

impl Fake {
    fn new(name: &'static str, log: &Log) -> Fake {
        Fake {
            name,
            info: rule(name),
            log: Rc::clone(log),
            probe: Shared::default(),
            alert_on_hit: false,
            deadline_after_hit: None,
            alert_on_deadline: false,
            clear_at_flush: false,
            at_flush: Vec::new(),
            counters: Vec::new(),
        }
    }

    fn alerting(mut self) -> Fake {
        self.alert_on_hit = true;
        self
    }

    fn deadline_after_hit(mut self, delay: i64) -> Fake {
        self.deadline_after_hit = Some(delay);
        self
    }

    /// Deadlines the state has from the start (before any call).
    fn with_deadlines(self, deadlines: &[i64]) -> Fake {
        self.probe.borrow_mut().deadlines.extend(deadlines);
        self
    }

    fn alert_on_deadline(mut self) -> Fake {
        self.alert_on_deadline = true;
        self
    }

    fn clear_at_flush(mut self) -> Fake {
        self.clear_at_flush = true;
        self
    }

    fn at_flush(mut self, ids: &[i64]) -> Fake {
        self.at_flush = ids.to_vec();
        self
    }

    fn counters(mut self, counters: Counters) -> Fake {
        self.counters = counters;
        self
    }

    fn probe(&self) -> Shared {
        Rc::clone(&self.probe)
    }

    fn entry(self, pipes: Vec<Pipe>) -> RuleEntry<Ev> {
        (Box::new(self), pipes)
    }

    /// Passes the deadlines `ts` reached (alerting for each if asked).
    fn pass(&mut self, ts: i64, out: &mut Vec<Alert<Ev>>) {
        let mut probe = self.probe.borrow_mut();
        while let Some(&d) = probe.deadlines.first() {
            if d > ts {
                break;
            }
            probe.deadlines.pop_first();
            if self.alert_on_deadline {
                out.push(Alert {
                    rule: Arc::clone(&self.info),
                    kind: AlertKind::Sequence,
                    timestamp: Some(d),
                    join_keys: Vec::new(),
                    events: vec![Some(ev(json!({ "id": format!("d{d}") })))],
                });
            }
        }
    }
}

impl RuleState<Ev> for Fake {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn on_hits(
        &mut self,
        hits: &StageHits,
        event: &Ev,
        timing: Timing<'_>,
        out: &mut Vec<Alert<Ev>>,
    ) {
        let c = match timing {
            Timing::InOrder(_) => 'I',
            Timing::Late(_) => 'L',
            Timing::Untimed => 'U',
        };
        self.log
            .borrow_mut()
            .push((self.name, Seen::Hit(id_of(event), c, ts_of(timing))));
        {
            let mut probe = self.probe.borrow_mut();
            probe.stage_hits.push(hits.clone());
            if let Timing::InOrder(o) | Timing::Late(o) = timing {
                probe.ordinals.push(o.clone());
            }
        }
        if let Timing::InOrder(o) = timing {
            self.pass(o.timestamp, out);
            if let Some(due) = self
                .deadline_after_hit
                .and_then(|delay| o.timestamp.checked_add(delay))
            {
                self.probe.borrow_mut().deadlines.insert(due);
            }
        }
        if self.alert_on_hit {
            let join_keys = hits
                .stages
                .first()
                .and_then(|(_, keys)| keys.first())
                .map_or_else(Vec::new, |key| key.iter().map(KeyPart::to_value).collect());
            out.push(Alert {
                rule: Arc::clone(&self.info),
                kind: AlertKind::Event,
                timestamp: ts_of(timing),
                join_keys,
                events: vec![Some(Arc::clone(event))],
            });
        }
    }

    fn advance_watermark(&mut self, ts_ms: i64, out: &mut Vec<Alert<Ev>>) {
        let next = self.next_deadline();
        assert!(
            next.is_some_and(|d| d <= ts_ms),
            "rule {}: advance_watermark({ts_ms}) called with next_deadline {next:?}",
            self.name
        );
        self.log.borrow_mut().push((self.name, Seen::Wm(ts_ms)));
        self.pass(ts_ms, out);
    }

    fn next_deadline(&self) -> Option<i64> {
        self.probe.borrow().deadlines.first().copied()
    }

    fn flush(&mut self, out: &mut Vec<Alert<Ev>>) {
        self.log.borrow_mut().push((self.name, Seen::Flush));
        if self.clear_at_flush {
            self.probe.borrow_mut().deadlines.clear();
        }
        for &id in &self.at_flush {
            out.push(Alert {
                rule: Arc::clone(&self.info),
                kind: AlertKind::Event,
                timestamp: None,
                join_keys: Vec::new(),
                events: vec![Some(ev(json!({ "id": id })))],
            });
        }
    }

    fn counters(&self) -> Counters {
        self.counters.clone()
    }
}

/// The caller's side: reads time, evaluates, pushes; keeps the alerts.
struct Harness {
    engine: Engine<Ev>,
    time: TimeFields,
    hits: SetHits,
    /// How many event handles the engine asked for.
    made: u64,
    /// The alerts not yet taken.
    out: Vec<Alert<Ev>>,
}

impl Harness {
    fn new(window: u64, rules: Vec<RuleEntry<Ev>>) -> Harness {
        Harness::with_config(EngineConfig::with_window(window), rules)
    }

    fn with_config(config: EngineConfig, rules: Vec<RuleEntry<Ev>>) -> Harness {
        let time = config.time.clone();
        Harness {
            engine: Engine::new(config, rules),
            time,
            hits: SetHits::new(),
            made: 0,
            out: Vec::new(),
        }
    }

    fn time_of(&self, e: &JsonEvent) -> EventTime {
        let ts = self.time.timestamp(e)?;
        Ok((ts, self.time.tiebreaker(e)))
    }

    /// Pushes an event that hits rule `i` (stage 0, one empty key tuple, as an event
    /// query) for each value `i` of its field `x`.
    fn push(&mut self, j: Json) {
        let e = ev(j);
        let n = self.engine.len();
        let mut rules: Vec<usize> = {
            let mut xs = Vec::new();
            e.values("x", &mut xs);
            xs.iter()
                .filter_map(Value::as_i64)
                .filter_map(|i| usize::try_from(i).ok())
                .filter(|&i| i < n)
                .collect()
        };
        rules.sort_unstable();
        rules.dedup();
        self.hits.clear();
        for r in rules {
            self.hits.begin(r).push(0, vec![Vec::new()]);
            self.hits.end();
        }
        self.push_event(e);
    }

    /// Pushes an event with the given hits (in rule order).
    fn push_hits(&mut self, j: Json, hits: &[(usize, StageHits)]) {
        self.hits.clear();
        for (r, h) in hits {
            *self.hits.begin(*r) = h.clone();
            self.hits.end();
        }
        self.push_event(ev(j));
    }

    fn push_event(&mut self, e: Ev) {
        let time = self.time_of(&e);
        let made = &mut self.made;
        self.engine.push(
            time,
            &mut self.hits,
            || {
                *made += 1;
                Arc::clone(&e)
            },
            &mut self.out,
        );
        assert!(self.hits.is_empty(), "the engine takes the hits");
    }

    fn advance(&mut self, ts: i64) {
        self.engine.advance_watermark(ts, &mut self.out);
    }

    fn flush(&mut self) {
        self.engine.flush(&mut self.out);
    }

    /// The alerts so far (as [`tag`]s), taken.
    fn take(&mut self) -> Vec<String> {
        tags(&std::mem::take(&mut self.out))
    }

    fn stats(&self) -> EngineStats {
        *self.engine.stats()
    }
}

fn no_event() -> Ev {
    panic!("make_event was called for an event that hit nothing")
}

fn one_key(parts: Vec<KeyPart>) -> StageHits {
    let mut h = StageHits::default();
    h.push(0, vec![parts]);
    h
}

#[test]
fn default_config() {
    let c = EngineConfig::default();
    assert_eq!(c.time, TimeFields::default());
    assert_eq!(c.reorder_window_ms, 0);
    assert_eq!(EngineConfig::with_window(7).reorder_window_ms, 7);
    assert_eq!(EngineConfig::with_window(7).time, TimeFields::default());
    assert_eq!(EngineConfig::UNBOUNDED_WINDOW, u64::MAX);
    let log = Log::default();
    let engine: Engine<Ev> = Engine::new(
        EngineConfig::with_window(3),
        vec![
            Fake::new("a", &log).entry(vec![]),
            Fake::new("b", &log).entry(vec![]),
        ],
    );
    assert_eq!(engine.len(), 2);
    assert!(!engine.is_empty());
    assert_eq!(engine.config().reorder_window_ms, 3);
    assert_eq!(
        engine.rules().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["a", "b"]
    );
    assert_eq!(engine.watermark(), None);
    assert_eq!(engine.buffered(), 0);
    assert!(engine.last_untimed().is_none());
    assert_eq!(*engine.stats(), EngineStats::default());
    let empty: Engine<Ev> = Engine::new(EngineConfig::default(), Vec::new());
    assert!(empty.is_empty());
}

#[test]
fn window_zero_releases_at_once() {
    let log = Log::default();
    let mut h = Harness::new(0, vec![Fake::new("rec", &log).entry(vec![])]);
    h.push(at(1, 10, &[0]));
    assert_eq!(calls(&log), vec![in_order("rec", 1, 10)]);
    assert_eq!(h.engine.buffered(), 0);
    assert_eq!(h.engine.watermark(), Some(10));
    h.push(at(2, 10, &[0])); // same timestamp, later arrival: in order
    h.push(at(3, 15, &[])); // hits nothing: only moves time
    assert_eq!(h.engine.watermark(), Some(15));
    h.push(at(4, 20, &[0]));
    h.flush();
    assert_eq!(
        calls(&log),
        vec![
            in_order("rec", 1, 10),
            in_order("rec", 2, 10),
            in_order("rec", 4, 20),
            flushed("rec"),
        ]
    );
    assert_eq!(h.engine.watermark(), Some(20));
    let s = h.stats();
    assert_eq!((s.events, s.released, s.late, s.untimed), (4, 4, 0, 0));
    assert_eq!((s.hit_events, s.rule_hits, s.deadline_calls), (3, 3, 0));
    assert_eq!(s.watermarks, 3);
    assert_eq!(s.max_buffered, 0);
    assert_eq!((s.matched, s.alerts), (0, 0));
    assert_eq!(h.made, 3);
}

#[test]
fn window_zero_out_of_order_is_late_and_delivered_only_to_the_rules_it_hits() {
    let log = Log::default();
    let mut h = Harness::new(
        0,
        vec![
            Fake::new("x", &log).alerting().entry(vec![]),
            Fake::new("rec", &log).entry(vec![]),
        ],
    );
    h.push(at(1, 10, &[0, 1]));
    h.push(at(2, 4, &[0, 1])); // 6 ms late
    h.push(at(3, 11, &[1]));
    h.push(at(4, 2, &[])); // 9 ms late, hits nothing: only counted
    h.push(at(5, 9, &[1])); // 2 ms late, hits rec only
    assert_eq!(
        calls(&log),
        vec![
            in_order("x", 1, 10),
            in_order("rec", 1, 10),
            late("x", 2, 4),
            late("rec", 2, 4),
            in_order("rec", 3, 11),
            late("rec", 5, 9),
        ]
    );
    assert_eq!(
        tags(&h.out),
        vec!["x:1", "x:2"],
        "the late event still alerts"
    );
    assert_eq!(h.out[0].timestamp, Some(10));
    assert_eq!(h.out[1].timestamp, Some(4));
    let s = h.stats();
    assert_eq!((s.events, s.released, s.late, s.max_late_ms), (5, 2, 3, 9));
    assert_eq!((s.hit_events, s.rule_hits), (4, 6));
    assert_eq!(h.made, 4);
    assert_eq!(s.watermarks, 2, "a late event moves nothing");
    assert_eq!(h.engine.watermark(), Some(11));
}

#[test]
fn tiebreaker_decides_lateness_at_equal_timestamps() {
    let log = Log::default();
    let config = EngineConfig {
        time: TimeFields::new("@timestamp", Some("seq".to_string())),
        reorder_window_ms: 0,
    };
    let rec = Fake::new("rec", &log);
    let probe = rec.probe();
    let mut h = Harness::with_config(config, vec![rec.entry(vec![])]);
    h.push(json!({"id": 1, "@timestamp": 5, "seq": 2, "x": 0}));
    h.push(json!({"id": 2, "@timestamp": 5, "seq": 1, "x": 0}));
    h.push(json!({"id": 3, "@timestamp": 5, "seq": 3, "x": 0}));
    // A null tiebreaker sorts after every present one: in order.
    h.push(json!({"id": 4, "@timestamp": 5, "x": 0}));
    h.push(json!({"id": 5, "@timestamp": 5, "seq": 9, "x": 0}));
    // Equal timestamps and no tiebreaker: arrival decides, in order.
    h.push(json!({"id": 6, "@timestamp": 5, "x": 0}));
    assert_eq!(
        hits_of(&log, "rec"),
        vec![(1, 'I'), (2, 'L'), (3, 'I'), (4, 'I'), (5, 'L'), (6, 'I')]
    );
    assert_eq!(h.stats().late, 2);
    assert_eq!(h.stats().max_late_ms, 0);
    let ords: Vec<(Option<Tiebreaker>, u64)> = probe
        .borrow()
        .ordinals
        .iter()
        .map(|o| (o.tiebreaker.clone(), o.arrival))
        .collect();
    assert_eq!(
        ords,
        vec![
            (Some(Tiebreaker::Int(2)), 0),
            (Some(Tiebreaker::Int(1)), 1),
            (Some(Tiebreaker::Int(3)), 2),
            (None, 3),
            (Some(Tiebreaker::Int(9)), 4),
            (None, 5),
        ]
    );
}

#[test]
fn arrival_numbers_count_every_event() {
    let log = Log::default();
    let rec = Fake::new("rec", &log);
    let probe = rec.probe();
    let mut h = Harness::new(5, vec![rec.entry(vec![])]);
    h.push(at(1, 10, &[]));
    h.push(at(2, 12, &[0]));
    h.push(json!({"id": 3, "x": 0})); // untimed: still an arrival
    h.push(at(4, 11, &[]));
    h.push(at(5, 11, &[0]));
    h.flush();
    let ords: Vec<(i64, u64)> = probe
        .borrow()
        .ordinals
        .iter()
        .map(|o| (o.timestamp, o.arrival))
        .collect();
    assert_eq!(ords, vec![(11, 4), (12, 1)]);
    assert_eq!(hits_of(&log, "rec"), vec![(3, 'U'), (5, 'I'), (2, 'I')]);
}

#[test]
fn reorder_window_resorts_and_releases_below_max_minus_window() {
    let log = Log::default();
    let mut h = Harness::new(10, vec![Fake::new("rec", &log).entry(vec![])]);
    for (id, ts) in [(1, 5), (2, 3), (3, 12), (4, 8)] {
        h.push(at(id, ts, &[0]));
    }
    assert!(calls(&log).is_empty(), "nothing is 10 ms behind 12 yet");
    assert_eq!(h.engine.buffered(), 4);
    assert_eq!(h.engine.watermark(), None);
    h.push(at(5, 20, &[0])); // releases ts <= 10
    assert_eq!(hits_of(&log, "rec"), vec![(2, 'I'), (1, 'I'), (4, 'I')]);
    assert_eq!(h.engine.watermark(), Some(8));
    assert_eq!(h.engine.buffered(), 2);
    h.push(at(6, 9, &[0])); // 9 > 8: still in order, released at once
    assert_eq!(h.engine.buffered(), 2);
    h.push(at(7, 7, &[0])); // below the last released: late
    h.push(at(8, 11, &[])); // hits nothing: held as its ordinal
    assert_eq!(h.engine.buffered(), 3);
    assert_eq!(
        hits_of(&log, "rec"),
        vec![(2, 'I'), (1, 'I'), (4, 'I'), (6, 'I'), (7, 'L')]
    );
    h.flush();
    assert_eq!(
        hits_of(&log, "rec"),
        vec![
            (2, 'I'),
            (1, 'I'),
            (4, 'I'),
            (6, 'I'),
            (7, 'L'),
            (3, 'I'),
            (5, 'I')
        ]
    );
    assert_eq!(calls(&log).last(), Some(&flushed("rec")));
    assert_eq!(h.engine.buffered(), 0);
    assert_eq!(h.engine.watermark(), Some(20));
    let s = h.stats();
    assert_eq!((s.events, s.released, s.late, s.max_late_ms), (8, 7, 1, 2));
    assert_eq!(s.max_buffered, 4);
    // 3, 5, 8, 9, then at flush 11, 12, 20.
    assert_eq!(s.watermarks, 7);
    assert_eq!((s.hit_events, s.rule_hits), (7, 7));
}

#[test]
fn unbounded_window_sorts_everything_until_flush() {
    let log = Log::default();
    let mut h = Harness::new(
        EngineConfig::UNBOUNDED_WINDOW,
        vec![
            Fake::new("rec", &log).entry(vec![]),
            Fake::new("s", &log)
                .deadline_after_hit(60)
                .clear_at_flush()
                .entry(vec![]),
        ],
    );
    for (id, ts) in [(1, 50), (2, i64::MIN), (3, i64::MAX), (4, -3), (5, 50)] {
        h.push(at(id, ts, &[0]));
    }
    h.push(at(6, -10, &[1])); // deadline 50 once released
    h.push(at(7, 0, &[]));
    assert!(calls(&log).is_empty());
    assert_eq!(h.engine.buffered(), 7);
    assert_eq!(h.engine.watermark(), None);
    assert_eq!(h.stats().max_buffered, 7);
    h.flush();
    assert_eq!(
        calls(&log),
        vec![
            in_order("rec", 2, i64::MIN),
            in_order("s", 6, -10),
            in_order("rec", 4, -3),
            in_order("rec", 1, 50),
            wm("s", 50),
            in_order("rec", 5, 50),
            in_order("rec", 3, i64::MAX),
            flushed("rec"),
            flushed("s"),
        ]
    );
    assert_eq!(h.engine.watermark(), Some(i64::MAX));
    let s = h.stats();
    assert_eq!((s.released, s.late, s.deadline_calls), (7, 0, 1));
    assert_eq!(s.watermarks, 6); // MIN, -10, -3, 0, 50, MAX
}

#[test]
fn untimed_events_are_delivered_at_once_and_counted_by_reason() {
    let log = Log::default();
    let mut h = Harness::new(
        100,
        vec![
            Fake::new("rec", &log).entry(vec![]),
            Fake::new("x", &log).alerting().entry(vec![]),
            Fake::new("dl", &log).deadline_after_hit(1).entry(vec![]),
        ],
    );
    h.push(json!({"id": 0, "@timestamp": 4, "x": 2})); // dl: due at 5
    h.push(json!({"id": 1, "@timestamp": 10, "x": [0, 1]}));
    h.push(json!({"id": 2, "x": [0, 1, 2]}));
    h.push(json!({"id": 3, "@timestamp": "yesterday", "x": 0}));
    assert!(matches!(
        h.engine.last_untimed(),
        Some(Untimed::Unparseable { field, value })
            if field == "@timestamp" && value == "\"yesterday\""
    ));
    h.push(json!({"id": 4, "@timestamp": null})); // hits nothing: only counted
    assert_eq!(
        calls(&log),
        vec![
            untimed("rec", 2),
            untimed("x", 2),
            untimed("dl", 2),
            untimed("rec", 3),
        ]
    );
    assert_eq!(tags(&h.out), vec!["x:2"]);
    assert_eq!(h.out[0].timestamp, None);
    let s = h.stats();
    assert_eq!(
        (s.untimed, s.untimed_missing, s.untimed_unparseable),
        (3, 2, 1)
    );
    assert_eq!((s.hit_events, s.rule_hits, s.released), (4, 4, 0));
    assert!(matches!(
        h.engine.last_untimed(),
        Some(Untimed::Missing { field }) if field == "@timestamp"
    ));
    assert_eq!(h.engine.buffered(), 2, "untimed events are never buffered");
    h.flush();
    assert_eq!(tags(&h.out), vec!["x:2", "x:1"]);
    assert_eq!(
        calls(&log)[4..],
        [
            in_order("dl", 0, 4),
            in_order("rec", 1, 10),
            in_order("x", 1, 10),
            wm("dl", 10),
            flushed("rec"),
            flushed("x"),
            flushed("dl"),
        ]
    );
    assert_eq!(h.stats().released, 2);
    assert_eq!(h.stats().deadline_calls, 1);
    assert_eq!(h.made, 4);
}

#[test]
fn external_watermark_releases_then_tells_due_rules_and_makes_older_events_late() {
    let log = Log::default();
    let mut h = Harness::new(
        1000,
        vec![
            Fake::new("rec", &log).deadline_after_hit(5).entry(vec![]),
            Fake::new("dl", &log).deadline_after_hit(3).entry(vec![]),
        ],
    );
    h.push(at(1, 30, &[0]));
    h.push(at(2, 10, &[0, 1]));
    h.push(at(3, 20, &[0]));
    h.advance(20);
    // Event 2 (below 20) is released; then both rules are due at 20, in rule order (not
    // deadline order: dl's 13 is before rec's 15).
    assert_eq!(
        calls(&log),
        vec![
            in_order("rec", 2, 10),
            in_order("dl", 2, 10),
            wm("rec", 20),
            wm("dl", 20),
        ]
    );
    assert_eq!(h.engine.watermark(), Some(20));
    assert_eq!(h.stats().watermarks, 2);
    h.advance(15); // lower: nothing happens
    h.advance(20); // equal: nothing happens
    assert_eq!(h.stats().watermarks, 2);
    assert_eq!(h.stats().deadline_calls, 2);
    assert_eq!(calls(&log).len(), 4);
    h.push(at(4, 19, &[0, 1])); // below the watermark: late
    h.push(at(5, 20, &[0])); // at the watermark: in order (buffered)
    assert_eq!(calls(&log)[4..], [late("rec", 4, 19), late("dl", 4, 19)]);
    assert_eq!(h.stats().max_late_ms, 1);
    assert_eq!(h.engine.buffered(), 3);
    // Event 3 (ts 20) sets rec's deadline to 25 and event 5 keeps it; 25 is reached
    // exactly by the watermark 25, not by 24.
    h.advance(24);
    assert_eq!(
        calls(&log)[6..],
        [in_order("rec", 3, 20), in_order("rec", 5, 20)]
    );
    h.advance(25);
    assert_eq!(calls(&log)[8..], [wm("rec", 25)]);
    h.flush();
    assert_eq!(
        calls(&log)[9..],
        [in_order("rec", 1, 30), flushed("rec"), flushed("dl")]
    );
    assert_eq!(h.engine.watermark(), Some(30));
    let s = h.stats();
    // 10, 20, 24, 25, 30.
    assert_eq!(s.watermarks, 5);
    assert_eq!((s.released, s.late, s.deadline_calls), (4, 1, 3));
}

#[test]
fn watermark_below_the_buffer_releases_nothing() {
    let log = Log::default();
    let mut h = Harness::new(100, vec![Fake::new("rec", &log).entry(vec![])]);
    h.push(at(1, 50, &[0]));
    h.advance(50); // releases strictly below 50 only
    assert!(calls(&log).is_empty());
    assert_eq!(h.engine.watermark(), Some(50));
    assert_eq!(h.engine.buffered(), 1);
    h.advance(51);
    assert_eq!(calls(&log), vec![in_order("rec", 1, 50)]);
    assert_eq!(h.engine.watermark(), Some(51));
    // 50 (explicit), 51; releasing 50 did not raise it.
    assert_eq!(h.stats().watermarks, 2);
}

#[test]
fn make_event_is_called_only_for_events_that_hit() {
    let log = Log::default();
    let mut engine: Engine<Ev> = Engine::new(
        EngineConfig::with_window(10),
        vec![Fake::new("a", &log).alerting().entry(vec![])],
    );
    let mut hits = SetHits::new();
    let mut out = Vec::new();
    engine.push(Ok((5, None)), &mut hits, no_event, &mut out);
    let missing = Untimed::Missing {
        field: "@timestamp".to_string(),
    };
    engine.push(Err(missing), &mut hits, no_event, &mut out);
    // A rule started but left with nothing is no hit.
    hits.begin(0);
    hits.end();
    assert!(hits.is_empty());
    engine.push(Ok((6, None)), &mut hits, no_event, &mut out);
    let mut made = 0;
    hits.begin(0).push(0, vec![Vec::new()]);
    hits.end();
    engine.push(
        Ok((30, None)),
        &mut hits,
        || {
            made += 1;
            ev(json!({"id": 3}))
        },
        &mut out,
    );
    assert_eq!(made, 1);
    assert!(hits.is_empty(), "the engine took the hits");
    assert_eq!(engine.buffered(), 1, "5 and 6 were released at 30");
    assert_eq!(engine.watermark(), Some(6));
    engine.push(Ok((1, None)), &mut hits, no_event, &mut out); // late, hits nothing
    let s = *engine.stats();
    assert_eq!((s.events, s.hit_events, s.rule_hits), (5, 1, 0));
    assert_eq!((s.late, s.max_late_ms, s.untimed, s.released), (1, 5, 1, 2));
    assert!(out.is_empty());
    engine.flush(&mut out);
    assert_eq!(tags(&out), vec!["a:3"]);
    assert_eq!(calls(&log), vec![in_order("a", 3, 30), flushed("a")]);
    assert_eq!(engine.stats().rule_hits, 1);
}

#[test]
fn events_that_hit_nothing_move_time_and_fire_deadlines_at_the_right_event() {
    let log = Log::default();
    let s = Fake::new("s", &log)
        .deadline_after_hit(20)
        .alert_on_deadline();
    let probe = s.probe();
    let mut h = Harness::new(
        10,
        vec![
            s.entry(vec![]),
            Fake::new("spy", &log).alerting().entry(vec![]),
        ],
    );
    h.push(at(1, 5, &[0])); // s: due at 25 once released
    h.push(at(2, 12, &[]));
    h.push(at(3, 26, &[])); // releases 5 and 12
    assert_eq!(calls(&log), vec![in_order("s", 1, 5)]);
    assert_eq!(probe.borrow().deadlines, BTreeSet::from([25]));
    assert_eq!(h.engine.watermark(), Some(12));
    h.push(at(4, 30, &[1])); // releases nothing (26 > 20)
    h.push(at(7, 34, &[])); // releases nothing (26 > 24)
    assert_eq!(calls(&log).len(), 1);
    assert!(h.out.is_empty());
    h.push(at(5, 36, &[])); // releases 26 (no hit): s is told, at 26
    assert_eq!(calls(&log), vec![in_order("s", 1, 5), wm("s", 26)]);
    assert_eq!(h.take(), vec!["s:d25"]);
    assert_eq!(h.engine.buffered(), 3);
    assert_eq!(h.engine.watermark(), Some(26));
    assert!(probe.borrow().deadlines.is_empty());
    h.flush();
    assert_eq!(
        calls(&log)[2..],
        [in_order("spy", 4, 30), flushed("s"), flushed("spy")]
    );
    assert_eq!(h.take(), vec!["spy:4"]);
    let st = h.stats();
    assert_eq!((st.events, st.hit_events, st.rule_hits), (6, 2, 2));
    assert_eq!((st.released, st.deadline_calls), (6, 1));
    assert_eq!(st.watermarks, 6); // 5, 12, 26, 30, 34, 36
    assert_eq!((st.matched, st.alerts), (2, 2));
    assert_eq!(h.made, 2);
}

#[test]
fn deadlines_merge_with_hits_in_rule_order() {
    let log = Log::default();
    let rules = vec![
        // Hit, nothing due.
        Fake::new("h0", &log).alerting().entry(vec![]),
        // Due (10), not hit: told the watermark.
        Fake::new("d1", &log)
            .deadline_after_hit(10)
            .alert_on_deadline()
            .entry(vec![]),
        // Due (10) and hit: the in-order hit advances it, no separate call.
        Fake::new("hd2", &log)
            .alerting()
            .deadline_after_hit(10)
            .alert_on_deadline()
            .entry(vec![]),
        // Two deadlines (7, 10) reached at once: one call.
        Fake::new("d3", &log)
            .deadline_after_hit(7)
            .alert_on_deadline()
            .entry(vec![]),
        // Not yet due (11).
        Fake::new("d4", &log)
            .deadline_after_hit(11)
            .alert_on_deadline()
            .entry(vec![]),
        // Never hit, nothing due: never called (a call would panic).
        Fake::new("n5", &log).entry(vec![]),
        // Hit after the due rules.
        Fake::new("h6", &log).alerting().entry(vec![]),
    ];
    let mut h = Harness::new(0, rules);
    h.push(at(0, 0, &[1, 2, 3, 4])); // arms d1 10, hd2 10, d3 7, d4 11
    h.push(at(1, 3, &[3])); // arms d3 10
    assert_eq!(h.stats().deadline_calls, 0);
    assert_eq!(h.take(), vec!["hd2:0"]);
    log.borrow_mut().clear();
    h.push(at(2, 10, &[0, 2, 6]));
    assert_eq!(
        calls(&log),
        vec![
            in_order("h0", 2, 10),
            wm("d1", 10),
            in_order("hd2", 2, 10),
            wm("d3", 10),
            in_order("h6", 2, 10),
        ]
    );
    assert_eq!(
        h.take(),
        vec!["h0:2", "d1:d10", "hd2:d10", "hd2:2", "d3:d7", "d3:d10", "h6:2"]
    );
    let s = h.stats();
    assert_eq!((s.deadline_calls, s.rule_hits, s.hit_events), (2, 8, 3));
    h.push(at(3, 11, &[])); // d4 is due: hits nothing, still fires
    assert_eq!(calls(&log)[5..], [wm("d4", 11)]);
    assert_eq!(h.take(), vec!["d4:d11"]);
    h.push(at(4, 12, &[1])); // d1: a plain hit, nothing due anywhere
    assert_eq!(calls(&log)[6..], [in_order("d1", 4, 12)]);
    // d1's deadline 22 (armed by the hit at 12) and hd2's 20 (armed by its hit at 10).
    h.push(at(5, 100, &[]));
    assert_eq!(calls(&log)[7..], [wm("d1", 100), wm("hd2", 100)]);
    assert_eq!(h.take(), vec!["d1:d22", "hd2:d20"]);
    let s = h.stats();
    assert_eq!((s.deadline_calls, s.rule_hits, s.hit_events), (5, 9, 4));
    assert_eq!(s.events, 6);
}

#[test]
fn a_rescheduled_deadline_fires_once_at_its_new_time() {
    // A state whose deadline moves earlier, then later again, between two calls: the
    // engine must follow the state's current deadline and call once.
    struct Moving {
        info: Arc<RuleInfo>,
        log: Log,
        deadline: Option<i64>,
    }
    impl RuleState<Ev> for Moving {
        fn info(&self) -> &Arc<RuleInfo> {
            &self.info
        }
        fn on_hits(
            &mut self,
            _: &StageHits,
            event: &Ev,
            timing: Timing<'_>,
            _: &mut Vec<Alert<Ev>>,
        ) {
            self.log
                .borrow_mut()
                .push(("m", Seen::Hit(id_of(event), 'I', ts_of(timing))));
            // Event `id` sets the deadline to `id * 10`.
            self.deadline = Some(id_of(event) * 10);
        }
        fn advance_watermark(&mut self, ts_ms: i64, _: &mut Vec<Alert<Ev>>) {
            assert!(self.deadline.is_some_and(|d| d <= ts_ms), "called early");
            self.log.borrow_mut().push(("m", Seen::Wm(ts_ms)));
            self.deadline = None;
        }
        fn next_deadline(&self) -> Option<i64> {
            self.deadline
        }
    }
    let log = Log::default();
    let m = Moving {
        info: rule("m"),
        log: Rc::clone(&log),
        deadline: None,
    };
    let entry: RuleEntry<Ev> = (Box::new(m), vec![]);
    let mut h = Harness::new(0, vec![entry]);
    h.push(at(5, 1, &[0])); // deadline 50
    h.push(at(3, 2, &[0])); // deadline 30
    h.push(at(4, 3, &[0])); // deadline 40
    h.push(at(9, 35, &[])); // 30 passed, but the deadline is 40 now
    h.push(at(9, 40, &[])); // due
    h.push(at(9, 50, &[])); // the old 50 must not fire
    h.push(at(9, 60, &[]));
    assert_eq!(
        calls(&log),
        vec![
            ("m", Seen::Hit(5, 'I', Some(1))),
            ("m", Seen::Hit(3, 'I', Some(2))),
            ("m", Seen::Hit(4, 'I', Some(3))),
            wm("m", 40),
        ]
    );
    assert_eq!(h.stats().deadline_calls, 1);
}

#[test]
fn a_deadline_held_from_the_start_fires() {
    let log = Log::default();
    let mut h = Harness::new(
        0,
        vec![Fake::new("s", &log)
            .with_deadlines(&[15])
            .alert_on_deadline()
            .entry(vec![])],
    );
    h.push(at(1, 10, &[]));
    h.push(at(2, 20, &[]));
    assert_eq!(calls(&log), vec![wm("s", 20)]);
    assert_eq!(h.take(), vec!["s:d15"]);
}

#[test]
fn stage_hits_reach_the_rule_verbatim_and_join_keys_reach_the_alert() {
    let log = Log::default();
    let a = Fake::new("a", &log).alerting();
    let b = Fake::new("b", &log).alerting();
    let (pa, pb) = (a.probe(), b.probe());
    let mut h = Harness::new(0, vec![a.entry(vec![]), b.entry(vec![])]);
    let key: Key = vec![KeyPart::Str("host-1".into()), KeyPart::Int(7)];
    let mut rich = StageHits::default();
    rich.push(1, vec![key.clone(), vec![KeyPart::Null]]);
    rich.push(2, Vec::new()); // no valid key: left out
    rich.push(3, vec![vec![KeyPart::Bool(true)]]);
    rich.until = vec![vec![KeyPart::Float(1.5)]];
    assert_eq!(rich.stages.len(), 2);
    h.push_hits(at(1, 10, &[]), &[(1, rich.clone())]);
    assert_eq!(pb.borrow().stage_hits, vec![rich]);
    assert!(pa.borrow().stage_hits.is_empty());
    assert_eq!(calls(&log), vec![in_order("b", 1, 10)]);
    assert_eq!(
        h.out[0].join_keys,
        vec![Value::Str("host-1".into()), Value::Int(7)]
    );
    let line = String::from_utf8(alert_to_ndjson(&h.out[0]).expect("writes")).expect("utf-8");
    assert!(
        line.contains(
            ",\"timestamp\":\"1970-01-01T00:00:00.010Z\",\
             \"join_keys\":[\"host-1\",7],\"events\":[{"
        ),
        "{line}"
    );
    // An until-only hit is a hit.
    let until_only = StageHits {
        stages: Vec::new(),
        until: vec![Vec::new()],
    };
    h.push_hits(
        at(2, 11, &[]),
        &[(0, one_key(vec![KeyPart::Int(1)])), (1, until_only.clone())],
    );
    assert_eq!(pb.borrow().stage_hits[1], until_only);
    assert_eq!(pa.borrow().stage_hits, vec![one_key(vec![KeyPart::Int(1)])]);
    assert_eq!(tags(&h.out), vec!["b:1", "a:2", "b:2"]);
    let s = h.stats();
    assert_eq!((s.hit_events, s.rule_hits), (2, 3));
}

#[test]
fn the_event_rule_of_the_runtime_through_the_engine() {
    let entry: RuleEntry<Ev> = (Box::new(EventRule::new(rule("ev"))), vec![Pipe::Head(3)]);
    let mut h = Harness::new(0, vec![entry]);
    h.push(at(1, 10, &[0]));
    h.push(at(2, 20, &[]));
    h.push(at(3, 5, &[0])); // late
    h.push(json!({"id": 4, "x": 0})); // untimed
    h.push(at(5, 30, &[0]));
    let got: Vec<(String, Option<i64>, AlertKind)> = h
        .out
        .iter()
        .map(|a| (tag(a), a.timestamp, a.kind))
        .collect();
    assert_eq!(
        got,
        vec![
            ("ev:1".to_string(), Some(10), AlertKind::Event),
            ("ev:3".to_string(), Some(5), AlertKind::Event),
            ("ev:4".to_string(), None, AlertKind::Event),
        ]
    );
    let s = h.stats();
    assert_eq!((s.matched, s.alerts, s.head_suppressed), (4, 3, 1));
    assert_eq!(h.made, 4);
}

#[test]
fn alerts_come_per_event_in_rule_order() {
    let log = Log::default();
    let mut h = Harness::new(
        5,
        vec![
            Fake::new("a", &log).alerting().entry(vec![]),
            Fake::new("b", &log).alerting().entry(vec![]),
            Fake::new("c", &log).alerting().entry(vec![]),
        ],
    );
    h.push(at(1, 3, &[0, 1, 2]));
    h.push(at(2, 1, &[1, 2]));
    h.push(at(4, 2, &[0]));
    h.push(at(3, 10, &[0, 2])); // releases up to 5
    assert_eq!(h.engine.buffered(), 1);
    h.flush();
    assert_eq!(
        h.take(),
        vec!["b:2", "c:2", "a:4", "a:1", "b:1", "c:1", "a:3", "c:3"]
    );
    let s = h.stats();
    assert_eq!((s.matched, s.alerts), (8, 8));
}

/// Runs one alert-on-every-hit rule with `pipes` over events 1..=n (in order); returns
/// the alerts emitted before flush and at flush.
fn run_pipes(n: i64, pipes: Vec<Pipe>) -> (Vec<i64>, Vec<i64>, EngineStats) {
    let log = Log::default();
    let mut h = Harness::new(0, vec![Fake::new("r", &log).alerting().entry(pipes)]);
    for i in 1..=n {
        h.push(at(i, i, &[0]));
    }
    let before = ids(&std::mem::take(&mut h.out));
    h.flush();
    (before, ids(&h.out), h.stats())
}

/// The answer of a batch query: each pipe applied to the whole result, left to right.
fn model_pipes(n: i64, pipes: &[Pipe]) -> Vec<i64> {
    let mut v: Vec<i64> = (1..=n).collect();
    for p in pipes {
        v = match *p {
            Pipe::Head(k) => v
                .into_iter()
                .take(usize::try_from(k).unwrap_or(usize::MAX))
                .collect(),
            Pipe::Tail(k) => {
                let skip = v
                    .len()
                    .saturating_sub(usize::try_from(k).unwrap_or(usize::MAX));
                v.into_iter().skip(skip).collect()
            }
        };
    }
    v
}

#[test]
fn head_passes_the_first_alerts_at_once() {
    let (before, after, s) = run_pipes(6, vec![Pipe::Head(2)]);
    assert_eq!(before, vec![1, 2]);
    assert!(after.is_empty());
    assert_eq!((s.matched, s.alerts, s.head_suppressed), (6, 2, 4));
}

#[test]
fn tail_waits_for_flush() {
    let (before, after, s) = run_pipes(6, vec![Pipe::Tail(2)]);
    assert!(before.is_empty());
    assert_eq!(after, vec![5, 6]);
    assert_eq!((s.matched, s.alerts, s.tail_dropped), (6, 2, 4));
}

#[test]
fn head_then_tail_gives_the_third_and_fourth() {
    let (before, after, s) = run_pipes(6, vec![Pipe::Head(4), Pipe::Tail(2)]);
    assert!(before.is_empty());
    assert_eq!(after, vec![3, 4]);
    assert_eq!((s.head_suppressed, s.tail_dropped), (2, 2));
    assert_eq!((s.matched, s.alerts), (6, 2));
}

#[test]
fn tail_then_head() {
    let (before, after, s) = run_pipes(6, vec![Pipe::Tail(4), Pipe::Head(2)]);
    assert!(before.is_empty());
    assert_eq!(after, vec![3, 4]);
    assert_eq!((s.tail_dropped, s.head_suppressed), (2, 2));
}

#[test]
fn zero_and_oversized_pipes() {
    assert_eq!(run_pipes(3, vec![Pipe::Head(0)]).0, Vec::<i64>::new());
    assert_eq!(run_pipes(3, vec![Pipe::Head(0)]).2.head_suppressed, 3);
    assert_eq!(run_pipes(3, vec![Pipe::Tail(0)]).1, Vec::<i64>::new());
    assert_eq!(run_pipes(3, vec![Pipe::Tail(0)]).2.tail_dropped, 3);
    assert_eq!(run_pipes(3, vec![Pipe::Head(u64::MAX)]).0, vec![1, 2, 3]);
    assert_eq!(run_pipes(3, vec![Pipe::Tail(u64::MAX)]).1, vec![1, 2, 3]);
    let (before, after, _) = run_pipes(
        9,
        vec![Pipe::Head(7), Pipe::Tail(5), Pipe::Head(3), Pipe::Tail(2)],
    );
    assert!(before.is_empty());
    assert_eq!(after, vec![4, 5]);
}

#[test]
fn flush_releases_the_window_then_flushes_rule_by_rule_with_its_tail() {
    let log = Log::default();
    let mut h = Harness::new(
        100,
        vec![
            Fake::new("a", &log)
                .alerting()
                .at_flush(&[100, 101])
                .entry(vec![Pipe::Tail(2)]),
            Fake::new("b", &log)
                .alerting()
                .at_flush(&[200])
                .deadline_after_hit(50)
                .clear_at_flush()
                .entry(vec![]),
            Fake::new("c", &log)
                .alerting()
                .at_flush(&[300])
                .entry(vec![Pipe::Head(1)]),
        ],
    );
    h.push(at(1, 1, &[0, 1, 2]));
    h.push(at(2, 2, &[0, 1]));
    h.push(at(3, 3, &[2]));
    assert!(h.out.is_empty());
    h.flush();
    // Released: a's alerts go to its tail, b's out, c's head passes one. Then a: its
    // flush alerts reach the tail, which gives its last two; b: its flush alert; c: its
    // head is exhausted.
    assert_eq!(
        h.take(),
        vec!["b:1", "c:1", "b:2", "a:100", "a:101", "b:200"]
    );
    assert_eq!(
        calls(&log),
        vec![
            in_order("a", 1, 1),
            in_order("b", 1, 1),
            in_order("c", 1, 1),
            in_order("a", 2, 2),
            in_order("b", 2, 2),
            in_order("c", 3, 3),
            flushed("a"),
            flushed("b"),
            flushed("c"),
        ]
    );
    let s = h.stats();
    assert_eq!(s.matched, 10);
    assert_eq!((s.alerts, s.head_suppressed, s.tail_dropped), (6, 2, 2));
    // b forgot its deadline (52) at flush: a later event past it does not call it.
    h.push(at(4, 500, &[]));
    h.flush();
    assert_eq!(calls(&log)[9..], [flushed("a"), flushed("b"), flushed("c")]);
    assert_eq!(h.take(), vec!["a:100", "a:101", "b:200"]);
    assert_eq!(h.stats().deadline_calls, 0);
}

#[test]
fn pushing_after_flush_continues() {
    let log = Log::default();
    let mut h = Harness::new(
        10,
        vec![
            Fake::new("rec", &log).alerting().entry(vec![Pipe::Head(2)]),
            Fake::new("t", &log).alerting().entry(vec![Pipe::Tail(1)]),
            // Keeps its deadline across flush.
            Fake::new("s", &log).deadline_after_hit(100).entry(vec![]),
        ],
    );
    h.push(at(1, 100, &[0, 1, 2]));
    h.flush();
    assert_eq!(h.take(), vec!["rec:1", "t:1"]);
    h.push(at(2, 50, &[0, 1])); // late: below the last released
    assert_eq!(h.take(), vec!["rec:2"]);
    h.push(at(3, 200, &[0]));
    h.push(at(4, 215, &[])); // releases 200: rec (head exhausted), s due at 200
    assert!(h.out.is_empty());
    h.flush();
    assert_eq!(
        h.take(),
        vec!["t:2"],
        "the tail emits again at the next flush"
    );
    assert_eq!(
        calls(&log),
        vec![
            in_order("rec", 1, 100),
            in_order("t", 1, 100),
            in_order("s", 1, 100),
            flushed("rec"),
            flushed("t"),
            flushed("s"),
            late("rec", 2, 50),
            late("t", 2, 50),
            in_order("rec", 3, 200),
            wm("s", 200),
            flushed("rec"),
            flushed("t"),
            flushed("s"),
        ]
    );
    let s = h.stats();
    assert_eq!((s.late, s.max_late_ms, s.deadline_calls), (1, 50, 1));
    assert_eq!((s.matched, s.alerts, s.head_suppressed), (5, 4, 1));
}

#[test]
fn matcher_counters_are_summed_by_name() {
    let log = Log::default();
    let engine: Engine<Ev> = Engine::new(
        EngineConfig::default(),
        vec![
            Fake::new("x", &log)
                .counters(vec![("evicted", 2), ("x_rule", 1)])
                .entry(vec![]),
            Fake::new("none", &log).entry(vec![]),
            Fake::new("rec", &log)
                .counters(vec![("late", 3), ("evicted", 5)])
                .entry(vec![]),
        ],
    );
    assert_eq!(
        engine.matcher_counters(),
        vec![("evicted", 7), ("x_rule", 1), ("late", 3)]
    );
    let by_rule = engine.matcher_counters_by_rule();
    assert_eq!(by_rule.len(), 3);
    assert_eq!(by_rule[1].0.id, "none");
    assert!(by_rule[1].1.is_empty());
    assert_eq!(by_rule[2].0.id, "rec");
    assert_eq!(by_rule[2].1, vec![("late", 3), ("evicted", 5)]);
}

#[test]
fn stats_pairs_name_every_field() {
    let s = EngineStats {
        events: 1,
        released: 2,
        late: 3,
        max_late_ms: 4,
        untimed: 5,
        untimed_missing: 6,
        untimed_unparseable: 7,
        max_buffered: 8,
        watermarks: 9,
        hit_events: 10,
        rule_hits: 11,
        deadline_calls: 12,
        matched: 13,
        alerts: 14,
        head_suppressed: 15,
        tail_dropped: 16,
        future: 17,
        held_overflow: 18,
    };
    assert_eq!(
        s.as_pairs(),
        [
            ("events", 1),
            ("released", 2),
            ("late", 3),
            ("max_late_ms", 4),
            ("untimed", 5),
            ("untimed_missing", 6),
            ("untimed_unparseable", 7),
            ("max_buffered", 8),
            ("watermarks", 9),
            ("hit_events", 10),
            ("rule_hits", 11),
            ("deadline_calls", 12),
            ("matched", 13),
            ("alerts", 14),
            ("head_suppressed", 15),
            ("tail_dropped", 16),
            ("future", 17),
            ("held_overflow", 18),
        ]
    );
}

fn sample_rule() -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: "c5c9f591-0000".to_string(),
        name: "Credential \"dump\"".to_string(),
        version: Some(101),
        severity: "high".to_string(),
        risk_score: Some(73),
        building_block: false,
        tags: vec!["Domain: Endpoint".to_string(), "OS: Windows".to_string()],
        threat: vec![
            ThreatInfo {
                tactic: "TA0006".to_string(),
                techniques: vec!["T1003".to_string(), "T1003.001".to_string()],
            },
            ThreatInfo {
                tactic: "TA0002".to_string(),
                techniques: Vec::new(),
            },
        ],
    })
}

#[test]
fn event_alert_json_shape() {
    let e = ev(json!({"@timestamp": "2026-01-01T00:00:00Z", "event": {"id": "e1"}, "x": 1}));
    let alert = Alert {
        rule: sample_rule(),
        kind: AlertKind::Event,
        timestamp: Some(1_767_225_600_000),
        join_keys: Vec::new(),
        events: vec![Some(Arc::clone(&e))],
    };
    let want = json!({
        "rule": {
            "id": "c5c9f591-0000", "name": "Credential \"dump\"", "version": 101,
            "severity": "high", "risk_score": 73, "building_block": false,
            "tags": ["Domain: Endpoint", "OS: Windows"],
            "threat": [
                {"tactic": "TA0006", "techniques": ["T1003", "T1003.001"]},
                {"tactic": "TA0002", "techniques": []}
            ]
        },
        "kind": "event",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "join_keys": [],
        "events": [{"@timestamp": "2026-01-01T00:00:00Z", "event": {"id": "e1"}, "x": 1}]
    });
    assert_eq!(alert_to_json(&alert), want);
    let line = String::from_utf8(alert_to_ndjson(&alert).expect("writes")).expect("utf-8");
    assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
    let parsed: Json = serde_json::from_str(&line).expect("one JSON object");
    assert_eq!(parsed, want);
    // The contract's key order, whatever serde_json's map order is.
    assert!(
        line.starts_with(
            "{\"rule\":{\"id\":\"c5c9f591-0000\",\"name\":\"Credential \\\"dump\\\"\",\
             \"version\":101,\"severity\":\"high\",\"risk_score\":73,\
             \"building_block\":false,\"tags\":[\"Domain: Endpoint\",\"OS: Windows\"],\
             \"threat\":[{\"tactic\":\"TA0006\",\"techniques\":[\"T1003\",\"T1003.001\"]},\
             {\"tactic\":\"TA0002\",\"techniques\":[]}]},\"kind\":\"event\",\
             \"timestamp\":\"2026-01-01T00:00:00.000Z\",\"join_keys\":[],\"events\":[{"
        ),
        "{line}"
    );
    assert!(line.ends_with("}]}\n"), "{line}");

    let mut written = Vec::new();
    write_alert_ndjson(&alert, &mut written).expect("writes");
    assert_eq!(written, line.as_bytes());
}

#[test]
fn sequence_alert_json_with_missing_stage_and_join_keys() {
    let a = ev(json!({"id": "a", "@timestamp": 1}));
    let c = ev(json!({"id": "c", "@timestamp": 3}));
    let alert = Alert {
        rule: Arc::new(RuleInfo::default()),
        kind: AlertKind::Sequence,
        timestamp: Some(3),
        join_keys: vec![
            Value::Str("host-1".into()),
            Value::Int(7),
            Value::Null,
            Value::Bool(true),
            Value::Float(1.5),
            Value::Float(f64::NAN),
        ],
        events: vec![Some(a), None, Some(c)],
    };
    let want = json!({
        "rule": {
            "id": "", "name": "", "version": null, "severity": "", "risk_score": null,
            "building_block": false, "tags": [], "threat": []
        },
        "kind": "sequence",
        "timestamp": "1970-01-01T00:00:00.003Z",
        "join_keys": ["host-1", 7, null, true, 1.5, null],
        "events": [{"id": "a", "@timestamp": 1}, {"missing": true}, {"id": "c", "@timestamp": 3}]
    });
    assert_eq!(alert_to_json(&alert), want);
    let line = String::from_utf8(alert_to_ndjson(&alert).expect("writes")).expect("utf-8");
    assert_eq!(serde_json::from_str::<Json>(&line).expect("json"), want);
    assert!(
        line.contains(
            "\"threat\":[]},\"kind\":\"sequence\",\"timestamp\":\"1970-01-01T00:00:00.003Z\",\
             \"join_keys\":[\"host-1\",7,null,true,1.5,null],\"events\":[{"
        ),
        "{line}"
    );
    assert!(line.contains("},{\"missing\":true},{"), "{line}");

    // An untimed sample alert: timestamp null.
    let untimed = Alert::<Ev> {
        rule: Arc::new(RuleInfo::default()),
        kind: AlertKind::Sample,
        timestamp: None,
        join_keys: Vec::new(),
        events: Vec::new(),
    };
    let j = alert_to_json(&untimed);
    assert_eq!(j["timestamp"], Json::Null);
    assert_eq!(j["kind"], "sample");
    let line = alert_to_ndjson(&untimed).expect("writes");
    assert_eq!(
        String::from_utf8(line).expect("utf-8"),
        "{\"rule\":{\"id\":\"\",\"name\":\"\",\"version\":null,\"severity\":\"\",\
         \"risk_score\":null,\"building_block\":false,\"tags\":[],\"threat\":[]},\
         \"kind\":\"sample\",\"timestamp\":null,\"join_keys\":[],\"events\":[]}\n"
    );
}

#[test]
fn a_line_event_is_written_verbatim() {
    let text = "{\"z\":1,  \"a\":\"\\u00e9\", \"n\":1.50}";
    let line: Arc<str> = Arc::from(text);
    let alert = Alert {
        rule: Arc::new(RuleInfo::default()),
        kind: AlertKind::Sequence,
        timestamp: None,
        join_keys: vec![Value::Str("k".into())],
        events: vec![Some(Arc::clone(&line)), None],
    };
    let got = String::from_utf8(alert_to_ndjson(&alert).expect("writes")).expect("utf-8");
    assert_eq!(
        got,
        format!(
            "{{\"rule\":{{\"id\":\"\",\"name\":\"\",\"version\":null,\"severity\":\"\",\
             \"risk_score\":null,\"building_block\":false,\"tags\":[],\"threat\":[]}},\
             \"kind\":\"sequence\",\"timestamp\":null,\"join_keys\":[\"k\"],\
             \"events\":[{text},{{\"missing\":true}}]}}\n"
        )
    );
    let j = alert_to_json(&alert);
    assert_eq!(
        j["events"],
        json!([{"z": 1, "a": "é", "n": 1.5}, {"missing": true}])
    );
    let mut written = Vec::new();
    write_alert_ndjson(&alert, &mut written).expect("writes");
    assert_eq!(written, got.as_bytes());

    // A `LineEvent` too: its line (trimmed of surrounding whitespace), byte for byte.
    let e = LineEvent::parse("  {\"b\" : [1,2],\"a\":null}\r\n").expect("an object");
    let alert = Alert {
        rule: Arc::new(RuleInfo::default()),
        kind: AlertKind::Event,
        timestamp: Some(-1),
        join_keys: Vec::new(),
        events: vec![Some(e)],
    };
    let got = String::from_utf8(alert_to_ndjson(&alert).expect("writes")).expect("utf-8");
    assert!(
        got.ends_with(
            ",\"timestamp\":\"1969-12-31T23:59:59.999Z\",\"join_keys\":[],\
             \"events\":[{\"b\" : [1,2],\"a\":null}]}\n"
        ),
        "{got}"
    );
    assert_eq!(
        alert_to_json(&alert)["events"],
        json!([{"b": [1, 2], "a": null}])
    );
}

#[test]
fn write_errors_are_reported() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("closed"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let alert = Alert::<Ev> {
        rule: sample_rule(),
        kind: AlertKind::Event,
        timestamp: None,
        join_keys: Vec::new(),
        events: vec![None],
    };
    assert!(write_alert_ndjson(&alert, &mut Broken).is_err());
}

/// An alert as (tag, alert timestamp).
type AlertSummary = (String, Option<i64>);

/// Events `(id, ts, seq)` through rules `rec` (alerts on the events whose id is not 3
/// mod 4), `x` (alerts on odd ids) and `s` (ids divisible by 3; due 7 ms after each, with
/// an alert per deadline), tiebreaker `seq`, then flushed; returns (alerts, log, stats).
fn run_stream(
    events: &[(i64, Option<i64>, i64)],
    window: u64,
) -> (Vec<AlertSummary>, Vec<(&'static str, Seen)>, EngineStats) {
    let log = Log::default();
    let config = EngineConfig {
        time: TimeFields::new("@timestamp", Some("seq".to_string())),
        reorder_window_ms: window,
    };
    let mut h = Harness::with_config(
        config,
        vec![
            Fake::new("rec", &log).alerting().entry(vec![]),
            Fake::new("x", &log).alerting().entry(vec![]),
            Fake::new("s", &log)
                .deadline_after_hit(7)
                .alert_on_deadline()
                .entry(vec![]),
        ],
    );
    for &(id, ts, seq) in events {
        let mut x = Vec::new();
        if id % 4 != 3 {
            x.push(0);
        }
        if id % 2 == 1 {
            x.push(1);
        }
        if id % 3 == 0 {
            x.push(2);
        }
        let e = match ts {
            Some(ts) => json!({"id": id, "@timestamp": ts, "seq": seq, "x": x}),
            None => json!({"id": id, "seq": seq, "x": x}),
        };
        h.push(e);
    }
    h.flush();
    let alerts = h.out.iter().map(|a| (tag(a), a.timestamp)).collect();
    let log = log.borrow().clone();
    (alerts, log, h.stats())
}

type ModelKey = (i64, bool, i64, u64);

/// The rules of the model-based property: their names.
const NAMES: [&str; 3] = ["r0", "r1", "r2"];

/// A plain model of the engine driving [`Fake`]s that only set deadlines after
/// in-order hits and forget them at flush: a sorted scan of a vector instead of heaps,
/// and every rule asked at every released event instead of a schedule.
struct Model {
    window: u64,
    delays: Vec<Option<i64>>,
    deadlines: Vec<BTreeSet<i64>>,
    /// Buffered events: (ts, tiebreaker missing, tiebreaker, arrival), id, rules hit.
    buf: Vec<(ModelKey, i64, Vec<usize>)>,
    arrival: u64,
    max_ts: Option<i64>,
    last: Option<ModelKey>,
    wm: Option<i64>,
    log: Vec<(&'static str, Seen)>,
    stats: EngineStats,
}

/// An event of the model-based property: its timestamp (`Err(true)` missing,
/// `Err(false)` unparseable), its tiebreaker, the rules it hits.
type ModelEvent = (Result<i64, bool>, Option<i64>, Vec<usize>);

impl Model {
    fn new(window: u64, delays: Vec<Option<i64>>) -> Model {
        Model {
            window,
            deadlines: vec![BTreeSet::new(); delays.len()],
            delays,
            buf: Vec::new(),
            arrival: 0,
            max_ts: None,
            last: None,
            wm: None,
            log: Vec::new(),
            stats: EngineStats::default(),
        }
    }

    fn pass(&mut self, r: usize, ts: i64) {
        self.deadlines[r].retain(|&d| d > ts);
    }

    fn due(&self, r: usize, ts: i64) -> bool {
        self.deadlines[r].first().is_some_and(|&d| d <= ts)
    }

    fn push(&mut self, id: i64, event: &ModelEvent) {
        let (ts, seq, hits) = event;
        self.stats.events += 1;
        if !hits.is_empty() {
            self.stats.hit_events += 1;
        }
        let arrival = self.arrival;
        self.arrival += 1;
        let ts = match *ts {
            Ok(ts) => ts,
            Err(missing) => {
                self.stats.untimed += 1;
                if missing {
                    self.stats.untimed_missing += 1;
                } else {
                    self.stats.untimed_unparseable += 1;
                }
                for &r in hits {
                    self.stats.rule_hits += 1;
                    self.log.push((NAMES[r], Seen::Hit(id, 'U', None)));
                }
                return;
            }
        };
        let key = (ts, seq.is_none(), seq.unwrap_or(0), arrival);
        let is_late = self.last.is_some_and(|l| key < l) || self.wm.is_some_and(|w| ts < w);
        if is_late {
            // The watermark is at least the last released timestamp.
            let w = self.wm.expect("a watermark");
            let behind = u64::try_from(i128::from(w) - i128::from(ts)).expect("behind");
            self.stats.late += 1;
            self.stats.max_late_ms = self.stats.max_late_ms.max(behind);
            for &r in hits {
                self.stats.rule_hits += 1;
                self.log.push((NAMES[r], Seen::Hit(id, 'L', Some(ts))));
            }
            return;
        }
        self.buf.push((key, id, hits.clone()));
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
        if self.window == EngineConfig::UNBOUNDED_WINDOW {
            self.stats.max_buffered = self.stats.max_buffered.max(self.buf.len() as u64);
            return;
        }
        let threshold = i128::from(self.max_ts.expect("max")) - i128::from(self.window);
        self.release(|t| i128::from(t) <= threshold);
    }

    fn release(&mut self, ready: impl Fn(i64) -> bool) {
        while let Some(pos) = (0..self.buf.len()).min_by_key(|&i| self.buf[i].0) {
            if !ready(self.buf[pos].0 .0) {
                break;
            }
            let (key, id, hits) = self.buf.remove(pos);
            let ts = key.0;
            self.stats.released += 1;
            if self.wm.is_none_or(|w| ts > w) {
                self.wm = Some(ts);
                self.stats.watermarks += 1;
            }
            for (r, name) in NAMES.iter().enumerate() {
                if hits.contains(&r) {
                    self.stats.rule_hits += 1;
                    self.log.push((*name, Seen::Hit(id, 'I', Some(ts))));
                    self.pass(r, ts);
                    if let Some(d) = self.delays[r].and_then(|d| ts.checked_add(d)) {
                        self.deadlines[r].insert(d);
                    }
                } else if self.due(r, ts) {
                    self.stats.deadline_calls += 1;
                    self.log.push((*name, Seen::Wm(ts)));
                    self.pass(r, ts);
                }
            }
            self.last = Some(key);
        }
        self.stats.max_buffered = self.stats.max_buffered.max(self.buf.len() as u64);
    }

    fn advance(&mut self, w: i64) {
        self.release(|t| t < w);
        if self.wm.is_some_and(|x| x >= w) {
            return;
        }
        self.wm = Some(w);
        self.stats.watermarks += 1;
        for (r, name) in NAMES.iter().enumerate() {
            if self.due(r, w) {
                self.stats.deadline_calls += 1;
                self.log.push((*name, Seen::Wm(w)));
                self.pass(r, w);
            }
        }
    }

    fn flush(&mut self) {
        self.release(|_| true);
        for (r, name) in NAMES.iter().enumerate() {
            self.log.push((*name, Seen::Flush));
            self.deadlines[r].clear();
        }
    }
}

fn model_event_json(id: i64, event: &ModelEvent) -> Json {
    let (ts, seq, hits) = event;
    let mut j = json!({"id": id, "x": hits});
    match ts {
        Ok(ts) => j["@timestamp"] = json!(ts),
        Err(true) => {}
        Err(false) => j["@timestamp"] = json!("soon"),
    }
    if let Some(seq) = seq {
        j["seq"] = json!(seq);
    }
    j
}

/// After any call, no deadline of any probe is at or below the engine's watermark.
fn nothing_due_is_left(engine: &Engine<Ev>, probes: &[Shared]) -> Result<(), TestCaseError> {
    if let Some(w) = engine.watermark() {
        for (name, p) in NAMES.iter().zip(probes) {
            let next = p.borrow().deadlines.first().copied();
            prop_assert!(
                next.is_none_or(|d| d > w),
                "{name}: deadline {next:?} left at watermark {w}"
            );
        }
    }
    Ok(())
}

fn arb_ts() -> impl Strategy<Value = Result<i64, bool>> {
    prop_oneof![
        16 => (-50i64..50).prop_map(Ok),
        1 => Just(Ok(i64::MIN)),
        1 => Just(Ok(i64::MAX)),
        1 => Just(Err(true)),
        1 => Just(Err(false)),
    ]
}

fn arb_hits() -> impl Strategy<Value = Vec<usize>> {
    (0usize..8).prop_map(|mask| (0..3).filter(|r| mask & (1 << r) != 0).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Input shuffled within the window gives the alerts and calls of the sorted input,
    /// in the same order, all in order, deadlines included.
    #[test]
    fn shuffled_within_the_window_equals_sorted(
        gaps in proptest::collection::vec(0i64..20, 0..40),
        window in 1u64..50,
        delays in proptest::collection::vec(0u64..1000, 40),
    ) {
        // Sorted input: (id, ts, seq) with non-decreasing timestamps, seq = id.
        let mut ts = 1_000;
        let sorted: Vec<(i64, Option<i64>, i64)> = gaps
            .iter()
            .enumerate()
            .map(|(i, g)| {
                ts += g;
                (i as i64, Some(ts), i as i64)
            })
            .collect();
        // Arrival key: timestamp plus a delay strictly below the window.
        let mut shuffled = sorted.clone();
        shuffled.sort_by_key(|&(id, ts, _)| {
            ts.unwrap_or(0) + (delays[id as usize] % window) as i64
        });
        let (want, want_log, want_stats) = run_stream(&sorted, 0);
        let (got, got_log, stats) = run_stream(&shuffled, window);
        prop_assert_eq!(stats.late, 0);
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(&got_log, &want_log);
        prop_assert!(got_log.iter().all(|(_, s)| !matches!(s, Seen::Hit(_, 'L' | 'U', _))));
        prop_assert_eq!(stats.deadline_calls, want_stats.deadline_calls);
        prop_assert_eq!(stats.rule_hits, want_stats.rule_hits);
        prop_assert_eq!(stats.hit_events, want_stats.hit_events);
    }

    /// Any input, window and explicit watermarks: the engine's calls, in order, and its
    /// statistics equal a plain model's; every hit reaches exactly the rules it hit,
    /// once; no deadline is ever left due; handles are made only for hit events.
    #[test]
    fn the_engine_equals_a_plain_model(
        input in proptest::collection::vec(
            (arb_ts(), proptest::option::weighted(0.8, 0i64..4), arb_hits()),
            0..60,
        ),
        window in prop_oneof![Just(0u64), 1u64..30, Just(u64::MAX), Just(i64::MAX as u64 + 7)],
        external in proptest::collection::vec(proptest::option::weighted(0.3, -60i64..60), 60),
        delays in proptest::collection::vec(proptest::option::weighted(0.8, 1i64..30), 3),
    ) {
        let log = Log::default();
        let fakes: Vec<Fake> = NAMES
            .iter()
            .zip(&delays)
            .map(|(name, delay)| {
                let f = Fake::new(name, &log).clear_at_flush();
                match delay {
                    Some(d) => f.deadline_after_hit(*d),
                    None => f,
                }
            })
            .collect();
        let probes: Vec<Shared> = fakes.iter().map(Fake::probe).collect();
        let config = EngineConfig {
            time: TimeFields::new("@timestamp", Some("seq".to_string())),
            reorder_window_ms: window,
        };
        let entries = fakes.into_iter().map(|f| f.entry(vec![])).collect();
        let mut h = Harness::with_config(config, entries);
        let mut model = Model::new(window, delays.clone());
        for (i, event) in input.iter().enumerate() {
            let id = i as i64;
            h.push(model_event_json(id, event));
            model.push(id, event);
            nothing_due_is_left(&h.engine, &probes)?;
            prop_assert_eq!(h.engine.watermark(), model.wm);
            if let Some(Some(w)) = external.get(i) {
                h.advance(*w);
                model.advance(*w);
                nothing_due_is_left(&h.engine, &probes)?;
                prop_assert_eq!(h.engine.watermark(), model.wm);
            }
            prop_assert_eq!(h.engine.buffered(), model.buf.len());
        }
        h.flush();
        model.flush();
        prop_assert_eq!(&*log.borrow(), &model.log);
        prop_assert_eq!(h.stats(), model.stats);
        prop_assert_eq!(h.made, model.stats.hit_events);
        prop_assert_eq!(h.engine.buffered(), 0);

        // Independent of the model: each hit reaches exactly its rules, once.
        let mut delivered: Vec<(usize, i64)> = log
            .borrow()
            .iter()
            .filter_map(|(name, s)| match s {
                Seen::Hit(id, ..) => {
                    let r = NAMES.iter().position(|n| n == name).expect("a rule");
                    Some((r, *id))
                }
                _ => None,
            })
            .collect();
        delivered.sort_unstable();
        let mut want: Vec<(usize, i64)> = input
            .iter()
            .enumerate()
            .flat_map(|(i, (_, _, hits))| hits.iter().map(move |&r| (r, i as i64)))
            .collect();
        want.sort_unstable();
        prop_assert_eq!(delivered, want);
        // Calls to each rule's advance_watermark: strictly increasing.
        for name in NAMES {
            let wms: Vec<i64> = log
                .borrow()
                .iter()
                .filter_map(|(n, s)| match s {
                    Seen::Wm(w) if *n == name => Some(*w),
                    _ => None,
                })
                .collect();
            prop_assert!(wms.windows(2).all(|w| w[0] < w[1]), "{:?}", wms);
        }
        let s = h.stats();
        prop_assert_eq!(s.events, input.len() as u64);
        prop_assert_eq!(s.released + s.late + s.untimed, s.events);
        prop_assert_eq!(s.untimed, input.iter().filter(|(t, _, _)| t.is_err()).count() as u64);
        if window == 0 && external.iter().all(Option::is_none) {
            prop_assert_eq!(s.max_buffered, 0);
        }
    }

    /// Any pipe list: the streamed answer equals the batch answer, and a rule with a
    /// tail pipe emits only at flush.
    #[test]
    fn pipes_compose_like_a_batch_query(
        n in 0i64..30,
        pipes in proptest::collection::vec(
            prop_oneof![(0u64..12).prop_map(Pipe::Head), (0u64..12).prop_map(Pipe::Tail)],
            0..5,
        ),
    ) {
        let (before, after, s) = run_pipes(n, pipes.clone());
        let has_tail = pipes.iter().any(|p| matches!(p, Pipe::Tail(_)));
        if has_tail {
            prop_assert!(before.is_empty());
        } else {
            prop_assert!(after.is_empty());
        }
        let mut all = before;
        all.extend(after);
        prop_assert_eq!(all, model_pipes(n, &pipes));
        prop_assert_eq!(s.matched, n as u64);
        prop_assert_eq!(s.matched, s.alerts + s.head_suppressed + s.tail_dropped);
    }
}
