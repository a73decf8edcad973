//! The streaming engine with small fake matchers: reorder window, lateness, untimed
//! events, watermarks, pipes, flush, statistics, and the NDJSON alert output.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use proptest::prelude::*;
use rule_runtime::alert::{Alert, AlertKind, RuleInfo, RuleMatcher, ThreatInfo, Timing};
use rule_runtime::engine::{
    alert_to_json, alert_to_ndjson, write_alert_ndjson, Engine, EngineConfig, EngineStats, Pipe,
};
use rule_runtime::event::{Event, JsonEvent};
use rule_runtime::time::{TimeFields, Untimed};
use rule_runtime::value::Value;
use serde_json::{json, Value as Json};

type Ev = Arc<JsonEvent>;

fn ev(j: Json) -> Ev {
    Arc::new(JsonEvent::from_json(j).expect("an object"))
}

/// An event with an id and a timestamp.
fn at(id: i64, ts: i64) -> Ev {
    ev(json!({"id": id, "@timestamp": ts}))
}

fn id_of(e: &Ev) -> i64 {
    e.first_value("id").and_then(|v| v.as_i64()).unwrap_or(-1)
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

fn event_alert(info: &Arc<RuleInfo>, e: &Ev, timing: Timing<'_>) -> Alert<Ev> {
    Alert {
        rule: Arc::clone(info),
        kind: AlertKind::Event,
        timestamp: ts_of(timing),
        join_keys: Vec::new(),
        events: vec![Some(Arc::clone(e))],
    }
}

/// Alerts on every event whose field `x` is 1, whatever its timing.
struct XIsOne {
    info: Arc<RuleInfo>,
}

impl RuleMatcher<Ev> for XIsOne {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }
    fn on_event(&mut self, event: &Ev, timing: Timing<'_>, out: &mut Vec<Alert<Ev>>) {
        if event.first_value("x").and_then(|v| v.as_i64()) == Some(1) {
            out.push(event_alert(&self.info, event, timing));
        }
    }
    fn advance_watermark(&mut self, _ts_ms: i64, _out: &mut Vec<Alert<Ev>>) {}
    fn flush(&mut self, _out: &mut Vec<Alert<Ev>>) {}
    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![("evicted", 2), ("x_rule", 1)]
    }
}

/// What a [`Recorder`] saw.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    /// An event: its id, `'I'`n order / `'L'`ate / `'U'`ntimed, its timestamp.
    Event(i64, char, Option<i64>),
    Watermark(i64),
    Flush,
}

type Log = Rc<RefCell<Vec<Seen>>>;

/// Records everything it is told; alerts on every event (or not).
struct Recorder {
    info: Arc<RuleInfo>,
    log: Log,
    alert_all: bool,
    /// Alerts emitted at flush, one per id.
    at_flush: Vec<i64>,
}

impl Recorder {
    fn new(id: &str, alert_all: bool) -> (Recorder, Log) {
        let log: Log = Rc::default();
        let r = Recorder {
            info: rule(id),
            log: Rc::clone(&log),
            alert_all,
            at_flush: Vec::new(),
        };
        (r, log)
    }
}

impl RuleMatcher<Ev> for Recorder {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }
    fn on_event(&mut self, event: &Ev, timing: Timing<'_>, out: &mut Vec<Alert<Ev>>) {
        let c = match timing {
            Timing::InOrder(_) => 'I',
            Timing::Late(_) => 'L',
            Timing::Untimed => 'U',
        };
        self.log
            .borrow_mut()
            .push(Seen::Event(id_of(event), c, ts_of(timing)));
        if self.alert_all {
            out.push(event_alert(&self.info, event, timing));
        }
    }
    fn advance_watermark(&mut self, ts_ms: i64, _out: &mut Vec<Alert<Ev>>) {
        self.log.borrow_mut().push(Seen::Watermark(ts_ms));
    }
    fn flush(&mut self, out: &mut Vec<Alert<Ev>>) {
        self.log.borrow_mut().push(Seen::Flush);
        for &id in &self.at_flush {
            out.push(event_alert(&self.info, &at(id, 0), Timing::Untimed));
        }
    }
    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![("evicted", 5)]
    }
}

fn boxed(m: impl RuleMatcher<Ev> + 'static) -> Box<dyn RuleMatcher<Ev>> {
    Box::new(m)
}

fn engine_with_recorder(window: u64, time: TimeFields) -> (Engine<Ev>, Log) {
    let (rec, log) = Recorder::new("rec", false);
    let config = EngineConfig {
        time,
        reorder_window_ms: window,
    };
    (Engine::new(config, vec![(boxed(rec), vec![])]), log)
}

fn seen_events(log: &Log) -> Vec<(i64, char)> {
    log.borrow()
        .iter()
        .filter_map(|s| match s {
            Seen::Event(id, c, _) => Some((*id, *c)),
            _ => None,
        })
        .collect()
}

fn watermarks(log: &Log) -> Vec<i64> {
    log.borrow()
        .iter()
        .filter_map(|s| match s {
            Seen::Watermark(w) => Some(*w),
            _ => None,
        })
        .collect()
}

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

#[test]
fn default_config() {
    let c = EngineConfig::default();
    assert_eq!(c.time, TimeFields::default());
    assert_eq!(c.reorder_window_ms, 0);
    assert_eq!(EngineConfig::with_window(7).reorder_window_ms, 7);
}

#[test]
fn window_zero_releases_at_once_and_announces_rising_watermarks() {
    let (mut engine, log) = engine_with_recorder(0, TimeFields::default());
    let mut out = Vec::new();
    engine.push(at(1, 10), &mut out);
    assert_eq!(seen_events(&log), vec![(1, 'I')]);
    assert_eq!(engine.buffered(), 0);
    engine.push(at(2, 10), &mut out); // same timestamp, later arrival: in order
    engine.push(at(3, 20), &mut out);
    engine.flush(&mut out);
    assert_eq!(
        *log.borrow(),
        vec![
            Seen::Event(1, 'I', Some(10)),
            Seen::Watermark(10),
            Seen::Event(2, 'I', Some(10)),
            Seen::Event(3, 'I', Some(20)),
            Seen::Watermark(20),
            Seen::Flush,
        ]
    );
    assert_eq!(engine.watermark(), Some(20));
    let s = engine.stats();
    assert_eq!((s.events, s.released, s.late, s.untimed), (3, 3, 0, 0));
    assert_eq!(s.watermarks, 2);
    assert_eq!(s.max_buffered, 0);
}

#[test]
fn window_zero_out_of_order_is_late_but_still_matched() {
    let (rec, log) = Recorder::new("rec", false);
    let x = XIsOne { info: rule("x") };
    let mut engine = Engine::new(
        EngineConfig::default(),
        vec![(boxed(x), vec![]), (boxed(rec), vec![])],
    );
    let mut out = Vec::new();
    engine.push(ev(json!({"id": 1, "@timestamp": 10, "x": 1})), &mut out);
    engine.push(ev(json!({"id": 2, "@timestamp": 4, "x": 1})), &mut out);
    engine.push(ev(json!({"id": 3, "@timestamp": 11, "x": 0})), &mut out);
    assert_eq!(seen_events(&log), vec![(1, 'I'), (2, 'L'), (3, 'I')]);
    assert_eq!(ids(&out), vec![1, 2], "the late event still alerts");
    assert_eq!(out[1].timestamp, Some(4));
    let s = *engine.stats();
    assert_eq!((s.late, s.max_late_ms, s.released), (1, 6, 2));
    assert_eq!(watermarks(&log), vec![10, 11], "a late event moves nothing");
}

#[test]
fn tiebreaker_decides_lateness_at_equal_timestamps() {
    let time = TimeFields::new("@timestamp", Some("seq".to_string()));
    let (mut engine, log) = engine_with_recorder(0, time);
    let mut out = Vec::new();
    engine.push(ev(json!({"id": 1, "@timestamp": 5, "seq": 2})), &mut out);
    engine.push(ev(json!({"id": 2, "@timestamp": 5, "seq": 1})), &mut out);
    engine.push(ev(json!({"id": 3, "@timestamp": 5, "seq": 3})), &mut out);
    // A null tiebreaker sorts after every present one: in order.
    engine.push(ev(json!({"id": 4, "@timestamp": 5})), &mut out);
    engine.push(ev(json!({"id": 5, "@timestamp": 5, "seq": 9})), &mut out);
    assert_eq!(
        seen_events(&log),
        vec![(1, 'I'), (2, 'L'), (3, 'I'), (4, 'I'), (5, 'L')]
    );
    assert_eq!(engine.stats().late, 2);
    assert_eq!(engine.stats().max_late_ms, 0);
}

#[test]
fn reorder_window_resorts_and_releases_below_max_minus_window() {
    let (mut engine, log) = engine_with_recorder(10, TimeFields::default());
    let mut out = Vec::new();
    for (id, ts) in [(1, 5), (2, 3), (3, 12), (4, 8)] {
        engine.push(at(id, ts), &mut out);
    }
    assert!(
        seen_events(&log).is_empty(),
        "nothing is 10 ms behind 12 yet"
    );
    assert_eq!(engine.buffered(), 4);
    engine.push(at(5, 20), &mut out); // releases ts <= 10
    assert_eq!(seen_events(&log), vec![(2, 'I'), (1, 'I'), (4, 'I')]);
    assert_eq!(watermarks(&log), vec![8]);
    engine.push(at(6, 9), &mut out); // 9 > 8: still in order, released at once
    engine.push(at(7, 7), &mut out); // below the last released: late
    assert_eq!(
        seen_events(&log),
        vec![(2, 'I'), (1, 'I'), (4, 'I'), (6, 'I'), (7, 'L')]
    );
    engine.flush(&mut out);
    assert_eq!(
        seen_events(&log),
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
    assert_eq!(watermarks(&log), vec![8, 9, 20]);
    assert_eq!(log.borrow().last(), Some(&Seen::Flush));
    assert_eq!(engine.buffered(), 0);
    let s = engine.stats();
    assert_eq!((s.events, s.released, s.late, s.max_late_ms), (7, 6, 1, 2));
    assert_eq!(s.max_buffered, 4);
}

#[test]
fn unbounded_window_sorts_everything_until_flush() {
    let (mut engine, log) =
        engine_with_recorder(EngineConfig::UNBOUNDED_WINDOW, TimeFields::default());
    let mut out = Vec::new();
    engine.push_batch(
        [
            at(1, 50),
            at(2, i64::MIN),
            at(3, i64::MAX),
            at(4, -3),
            at(5, 50),
        ],
        &mut out,
    );
    assert!(seen_events(&log).is_empty());
    engine.flush(&mut out);
    assert_eq!(
        seen_events(&log),
        vec![(2, 'I'), (4, 'I'), (1, 'I'), (5, 'I'), (3, 'I')]
    );
    assert_eq!(watermarks(&log), vec![i64::MAX]);
}

#[test]
fn untimed_events_are_delivered_at_once_and_counted_by_reason() {
    let (rec, log) = Recorder::new("rec", false);
    let x = XIsOne { info: rule("x") };
    let mut engine = Engine::new(
        EngineConfig::with_window(100),
        vec![(boxed(rec), vec![]), (boxed(x), vec![])],
    );
    let mut out = Vec::new();
    engine.push(ev(json!({"id": 1, "@timestamp": 10, "x": 1})), &mut out);
    engine.push(ev(json!({"id": 2, "x": 1})), &mut out);
    engine.push(ev(json!({"id": 3, "@timestamp": "yesterday"})), &mut out);
    engine.push(ev(json!({"id": 4, "@timestamp": null})), &mut out);
    assert_eq!(seen_events(&log), vec![(2, 'U'), (3, 'U'), (4, 'U')]);
    assert_eq!(ids(&out), vec![2]);
    assert_eq!(out[0].timestamp, None);
    let s = *engine.stats();
    assert_eq!(
        (s.untimed, s.untimed_missing, s.untimed_unparseable),
        (3, 2, 1)
    );
    assert!(matches!(
        engine.last_untimed(),
        Some(Untimed::Missing { field }) if field == "@timestamp"
    ));
    engine.flush(&mut out);
    assert_eq!(ids(&out), vec![2, 1]);
    assert_eq!(
        seen_events(&log),
        vec![(2, 'U'), (3, 'U'), (4, 'U'), (1, 'I')]
    );
    assert_eq!(engine.stats().released, 1);
}

#[test]
fn external_watermark_releases_and_makes_older_events_late() {
    let (mut engine, log) = engine_with_recorder(1000, TimeFields::default());
    let mut out = Vec::new();
    engine.push_batch([at(1, 30), at(2, 10), at(3, 20)], &mut out);
    engine.advance_watermark(20, &mut out);
    assert_eq!(seen_events(&log), vec![(2, 'I')], "below 20 only");
    assert_eq!(watermarks(&log), vec![10, 20]);
    assert_eq!(engine.watermark(), Some(20));
    engine.advance_watermark(15, &mut out); // lower: nothing happens
    engine.advance_watermark(20, &mut out); // equal: nothing happens
    assert_eq!(watermarks(&log), vec![10, 20]);
    engine.push(at(4, 19), &mut out); // below the watermark: late
    engine.push(at(5, 20), &mut out); // at the watermark: in order (buffered)
    assert_eq!(seen_events(&log), vec![(2, 'I'), (4, 'L')]);
    assert_eq!(engine.stats().max_late_ms, 1);
    engine.flush(&mut out);
    assert_eq!(
        seen_events(&log),
        vec![(2, 'I'), (4, 'L'), (3, 'I'), (5, 'I'), (1, 'I')]
    );
    assert_eq!(watermarks(&log), vec![10, 20, 30]);
}

#[test]
fn alerts_come_per_event_in_rule_order() {
    let (a, _) = Recorder::new("a", true);
    let (b, _) = Recorder::new("b", true);
    let mut engine = Engine::new(
        EngineConfig::with_window(5),
        vec![(boxed(a), vec![]), (boxed(b), vec![])],
    );
    let mut out = Vec::new();
    engine.push_batch([at(1, 3), at(2, 1), at(3, 10)], &mut out);
    engine.flush(&mut out);
    let order: Vec<(String, i64)> = out
        .iter()
        .map(|a| (a.rule.id.clone(), ids(std::slice::from_ref(a))[0]))
        .collect();
    let want: Vec<(String, i64)> = [(2, "a"), (2, "b"), (1, "a"), (1, "b"), (3, "a"), (3, "b")]
        .iter()
        .map(|(i, r)| (r.to_string(), *i))
        .collect();
    assert_eq!(order, want);
    let s = engine.stats();
    assert_eq!((s.matched, s.alerts), (6, 6));
    let names: Vec<&str> = engine.rules().map(|r| r.id.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
}

/// Runs one alert-on-everything rule with `pipes` over events 1..=n (in order); returns
/// the alerts emitted before flush and at flush.
fn run_pipes(n: i64, pipes: Vec<Pipe>) -> (Vec<i64>, Vec<i64>, EngineStats) {
    let (rec, _) = Recorder::new("r", true);
    let mut engine = Engine::new(EngineConfig::default(), vec![(boxed(rec), pipes)]);
    let mut before = Vec::new();
    for i in 1..=n {
        engine.push(at(i, i), &mut before);
    }
    let mut after = Vec::new();
    engine.flush(&mut after);
    (ids(&before), ids(&after), *engine.stats())
}

/// The answer of a batch query: each pipe applied to the whole result, left to right.
fn model(n: i64, pipes: &[Pipe]) -> Vec<i64> {
    let mut v: Vec<i64> = (1..=n).collect();
    for p in pipes {
        v = match *p {
            Pipe::Head(k) => v.into_iter().take(k as usize).collect(),
            Pipe::Tail(k) => {
                let skip = v.len().saturating_sub(k as usize);
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
    assert_eq!(run_pipes(3, vec![Pipe::Tail(0)]).1, Vec::<i64>::new());
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
fn pipes_apply_to_flush_alerts_and_per_rule() {
    let (mut a, _) = Recorder::new("a", true);
    a.at_flush = vec![100, 101];
    let (mut b, _) = Recorder::new("b", true);
    b.at_flush = vec![200];
    let mut engine = Engine::new(
        EngineConfig::default(),
        vec![
            (boxed(a), vec![Pipe::Tail(3)]),
            (boxed(b), vec![Pipe::Head(2)]),
        ],
    );
    let mut out = Vec::new();
    engine.push_batch([at(1, 1), at(2, 2), at(3, 3)], &mut out);
    assert_eq!(ids(&out), vec![1, 2], "rule b's head; rule a waits");
    out.clear();
    engine.flush(&mut out);
    // Rule a: its matcher's flush alerts reach the tail, which keeps the last 3.
    // Rule b: its head is exhausted, so its flush alert is suppressed.
    assert_eq!(ids(&out), vec![3, 100, 101]);
    assert!(out.iter().all(|a| a.rule.id == "a"));
    let s = engine.stats();
    assert_eq!(s.matched, 9);
    assert_eq!(s.matched, s.alerts + s.head_suppressed + s.tail_dropped);
}

#[test]
fn matcher_counters_are_summed_by_name() {
    let (rec, _) = Recorder::new("rec", false);
    let engine: Engine<Ev> = Engine::new(
        EngineConfig::default(),
        vec![
            (boxed(XIsOne { info: rule("x") }), vec![]),
            (boxed(rec), vec![]),
        ],
    );
    assert_eq!(
        engine.matcher_counters(),
        vec![("evicted", 7), ("x_rule", 1)]
    );
    let by_rule = engine.matcher_counters_by_rule();
    assert_eq!(by_rule.len(), 2);
    assert_eq!(by_rule[1].0.id, "rec");
    assert_eq!(by_rule[1].1, vec![("evicted", 5)]);
    let pairs = engine.stats().as_pairs();
    assert!(pairs.iter().all(|(_, v)| *v == 0));
    assert!(pairs.iter().any(|(n, _)| *n == "head_suppressed"));
}

#[test]
fn pushing_after_flush_continues() {
    let (mut engine, log) = engine_with_recorder(10, TimeFields::default());
    let mut out = Vec::new();
    engine.push(at(1, 100), &mut out);
    engine.flush(&mut out);
    engine.push(at(2, 50), &mut out);
    engine.push(at(3, 200), &mut out);
    engine.flush(&mut out);
    assert_eq!(seen_events(&log), vec![(1, 'I'), (2, 'L'), (3, 'I')]);
    assert_eq!(
        log.borrow()
            .iter()
            .filter(|s| matches!(s, Seen::Flush))
            .count(),
        2
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
        threat: vec![ThreatInfo {
            tactic: "TA0006".to_string(),
            techniques: vec!["T1003".to_string(), "T1003.001".to_string()],
        }],
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
            "threat": [{"tactic": "TA0006", "techniques": ["T1003", "T1003.001"]}]
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
    let keys = [
        "\"rule\":{\"id\"",
        "\"name\"",
        "\"version\"",
        "\"severity\"",
        "\"risk_score\"",
        "\"building_block\"",
        "\"tags\"",
        "\"threat\":[{\"tactic\"",
        "\"techniques\"",
        "\"kind\"",
        "\"timestamp\"",
        "\"join_keys\"",
        "\"events\"",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| line.find(k).unwrap_or_else(|| panic!("{k} in {line}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
    assert!(line.starts_with("{\"rule\":{\"id\":\"c5c9f591-0000\""));

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
        line.contains("\"threat\":[]},\"kind\":\"sequence\""),
        "{line}"
    );
    assert!(line.contains("{\"missing\":true}"), "{line}");

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
        serde_json::from_slice::<Json>(&line).expect("json"),
        alert_to_json(&untimed)
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

/// An alert as (first event's id, alert timestamp).
type AlertSummary = (i64, Option<i64>);

/// Events `(id, ts, seq)` delivered by a recorder that alerts on all, with the
/// tiebreaker `seq`, then flushed; returns (alerts, recorder log, stats).
fn run_stream(
    events: &[(i64, Option<i64>, i64)],
    window: u64,
) -> (Vec<AlertSummary>, Vec<Seen>, EngineStats) {
    let (rec, log) = Recorder::new("r", true);
    let x = XIsOne { info: rule("x") };
    let config = EngineConfig {
        time: TimeFields::new("@timestamp", Some("seq".to_string())),
        reorder_window_ms: window,
    };
    let mut engine = Engine::new(config, vec![(boxed(rec), vec![]), (boxed(x), vec![])]);
    let mut out = Vec::new();
    for &(id, ts, seq) in events {
        let e = match ts {
            Some(ts) => ev(json!({"id": id, "@timestamp": ts, "seq": seq, "x": id % 2})),
            None => ev(json!({"id": id, "seq": seq, "x": id % 2})),
        };
        engine.push(e, &mut out);
    }
    engine.flush(&mut out);
    let alerts = out
        .iter()
        .map(|a| (ids(std::slice::from_ref(a))[0], a.timestamp))
        .collect();
    let log = log.borrow().clone();
    (alerts, log, *engine.stats())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Input shuffled within the window gives the alerts of the sorted input, in the
    /// same order, all in order.
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
        let (want, want_log, _) = run_stream(&sorted, 0);
        let (got, got_log, stats) = run_stream(&shuffled, window);
        prop_assert_eq!(stats.late, 0);
        prop_assert_eq!(&got, &want);
        let events = |log: &[Seen]| -> Vec<Seen> {
            log.iter().filter(|s| matches!(s, Seen::Event(..))).cloned().collect()
        };
        prop_assert_eq!(events(&got_log), events(&want_log));
        prop_assert!(got_log.iter().all(|s| !matches!(s, Seen::Event(_, 'L' | 'U', _))));
    }

    /// Any input: every event reaches every matcher exactly once, in-order events in
    /// increasing order, watermarks rising, counts adding up, nothing panics.
    #[test]
    fn nothing_is_dropped_and_order_holds(
        input in proptest::collection::vec(
            (proptest::option::weighted(0.9, prop_oneof![
                8 => -50i64..50,
                1 => Just(i64::MIN),
                1 => Just(i64::MAX),
            ]), 0i64..4),
            0..60,
        ),
        window in prop_oneof![Just(0u64), 1u64..30, Just(u64::MAX), Just(i64::MAX as u64 + 7)],
        external in proptest::collection::vec(proptest::option::of(-60i64..60), 60),
    ) {
        let (rec, log) = Recorder::new("r", false);
        let config = EngineConfig {
            time: TimeFields::new("@timestamp", Some("seq".to_string())),
            reorder_window_ms: window,
        };
        let mut engine = Engine::new(config, vec![(boxed(rec), vec![Pipe::Head(3)])]);
        let mut out = Vec::new();
        for (i, (ts, seq)) in input.iter().enumerate() {
            let e = match ts {
                Some(ts) => ev(json!({"id": i, "@timestamp": ts, "seq": seq})),
                None => ev(json!({"id": i, "seq": seq})),
            };
            engine.push(e, &mut out);
            if let Some(Some(w)) = external.get(i) {
                if i % 3 == 0 {
                    engine.advance_watermark(*w, &mut out);
                }
            }
        }
        engine.flush(&mut out);
        let log = log.borrow();
        let mut seen: Vec<i64> = log
            .iter()
            .filter_map(|s| match s { Seen::Event(id, ..) => Some(*id), _ => None })
            .collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..input.len() as i64).collect::<Vec<_>>());
        // In-order deliveries: (ts, seq, arrival) strictly increasing.
        let in_order: Vec<(i64, i64, i64)> = log
            .iter()
            .filter_map(|s| match s {
                Seen::Event(id, 'I', Some(ts)) => Some((*ts, input[*id as usize].1, *id)),
                _ => None,
            })
            .collect();
        prop_assert!(in_order.windows(2).all(|w| w[0] < w[1]), "{:?}", in_order);
        let wms: Vec<i64> = log
            .iter()
            .filter_map(|s| match s { Seen::Watermark(w) => Some(*w), _ => None })
            .collect();
        prop_assert!(wms.windows(2).all(|w| w[0] < w[1]));
        let s = engine.stats();
        prop_assert_eq!(s.events, input.len() as u64);
        prop_assert_eq!(s.released + s.late + s.untimed, s.events);
        prop_assert_eq!(s.released, in_order.len() as u64);
        prop_assert_eq!(s.untimed, input.iter().filter(|(t, _)| t.is_none()).count() as u64);
        prop_assert_eq!(s.watermarks, wms.len() as u64);
        prop_assert_eq!(engine.buffered(), 0);
        prop_assert_eq!(log.last(), Some(&Seen::Flush));
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
        prop_assert_eq!(all, model(n, &pipes));
        prop_assert_eq!(s.matched, s.alerts + s.head_suppressed + s.tail_dropped);
    }
}
