//! `rule_compiler::explain`: the "why didn't it match" report, on event queries,
//! sequences and samples. Assertions are on the report's content (and its structured
//! data), plus insta snapshots of two whole reports.

use rule_compiler::explain::{
    explain, CandidateOutcome, ExplainOptions, Explanation, Failure, WalkStep,
};
use rule_compiler::ir::{lower_query, RuleIr, DEFAULT_CATEGORY_FIELD};
use rule_compiler::parse_query;
use rule_runtime::event::JsonEvent;
use serde_json::{json, Value as Json};

fn rule(query: &str) -> RuleIr {
    let q = parse_query(query).unwrap_or_else(|e| panic!("{query}: {e:?}"));
    lower_query("test-id", "test rule", "test", DEFAULT_CATEGORY_FIELD, &q).unwrap()
}

fn events(list: &[Json]) -> Vec<JsonEvent> {
    list.iter()
        .map(|j| JsonEvent::from_json(j.clone()).unwrap())
        .collect()
}

fn run(query: &str, list: &[Json]) -> (Explanation, String) {
    let x = explain(&rule(query), &events(list), &ExplainOptions::default());
    let text = x.to_string();
    (x, text)
}

/// Fails with the whole report when `needle` is not in it.
fn has(text: &str, needle: &str) {
    assert!(
        text.contains(needle),
        "expected {needle:?} in the report:\n{text}"
    );
}

fn ts(seconds: i64) -> String {
    let base = 1_767_225_600_000i64; // 2026-01-01T00:00:00Z
    rule_runtime::time::format_millis(base + seconds * 1000)
}

fn proc_event(seconds: i64, name: &str, entity: &str) -> Json {
    json!({"@timestamp": ts(seconds), "event": {"category": "process"},
           "process": {"name": name, "entity_id": entity}})
}

// ---- event queries

#[test]
fn case_sensitive_equality_that_differs_only_in_case() {
    let (x, text) = run(
        r#"process where process.name == "rundll32.exe""#,
        &[json!({"event": {"category": "process"}, "process": {"name": "RUNDLL32.EXE"}})],
    );
    assert!(!x.verdict.alerted);
    assert!(
        text.starts_with("no alert: the filter held on no event\n"),
        "{text}"
    );
    has(
        &text,
        r#"✗ process.name == "rundll32.exe"  (case-sensitive)"#,
    );
    has(&text, r#"process.name = ["RUNDLL32.EXE"]"#);
    has(&text, "case-sensitive: differs only in case");
}

#[test]
fn colon_folds_case_and_matches() {
    let (x, text) = run(
        r#"process where process.name : "rundll32.exe""#,
        &[json!({"event": {"category": "process"}, "process": {"name": "RUNDLL32.EXE"}})],
    );
    assert!(x.verdict.alerted);
    assert_eq!(x.verdict.summary, "an alert: events [0]");
    has(&text, "filter: holds");
    assert!(x.events[0].stages[0].failures.is_empty());
}

#[test]
fn missing_field_and_category_mismatch() {
    let (x, text) = run(
        r#"process where process.parent.name : "winword.exe" and process.name : "cmd.exe""#,
        &[json!({"event": {"category": "network"}, "process": {"name": "powershell.exe"}})],
    );
    assert!(!x.verdict.alerted);
    has(
        &text,
        r#"✗ event.category = ["network"], the stage needs "process""#,
    );
    has(&text, r#"✗ process.parent.name : "winword.exe""#);
    has(&text, "process.parent.name is missing");
    // Every failing conjunct is reported, not only the first.
    has(&text, r#"✗ process.name : "cmd.exe""#);
    has(&text, r#"process.name = ["powershell.exe"]"#);
    has(&text, r#"✗ process.name : "cmd.exe"  (folds case)"#);
    assert_eq!(x.events[0].stages[0].failures.len(), 2);
}

#[test]
fn in_list_is_abbreviated_and_case_sensitive() {
    let (_, text) = run(
        r#"library where dll.name in ("a.dll", "b.dll", "c.dll", "d.dll", "e.dll", "f.dll", "g.dll")"#,
        &[
            json!({"event": {"category": "library"}, "dll": {"name": "B.DLL"}}),
            json!({"event": {"category": "library"}, "dll": {"name": "x.dll"}}),
        ],
    );
    has(
        &text,
        r#"✗ dll.name in ("a.dll", "b.dll", "c.dll", "d.dll", "e.dll", … and 2 more)"#,
    );
    has(&text, r#"dll.name = ["B.DLL"]"#);
    has(
        &text,
        "case-sensitive: differs only in case (`in` compares case; `in~` folds it)",
    );
    has(&text, r#"… and 2 more)  (case-sensitive)"#);
}

#[test]
fn functions_show_their_computed_values() {
    let (_, text) = run(
        r#"process where startsWith(process.name, "rundll") and length(process.args) > 3"#,
        &[json!({"event": {"category": "process"},
                 "process": {"name": "RUNDLL32.exe", "args": ["a", "b"]}})],
    );
    has(&text, r#"✗ startsWith(process.name, "rundll")"#);
    has(&text, r#"startsWith(process.name, "rundll") = [false]"#);
    has(
        &text,
        "case-sensitive: differs only in case (`startsWith` compares case; `startsWith~` folds it)",
    );
    has(&text, "✗ length(process.args) > 3");
    // Each value separately (J.1): one length per argument.
    has(&text, "length(process.args) = [1, 1]");
    has(&text, r#"process.args = ["a", "b"]"#);
}

#[test]
fn negations_or_and_long_values() {
    let long = "x".repeat(200);
    let (x, text) = run(
        r#"process where process.name != "cmd.exe" and (process.pid == 4 or process.args : "*-enc*")"#,
        &[json!({"event": {"category": "process"},
                 "process": {"name": "cmd.exe", "pid": 8, "args": [long, "a", "b", "c", "d", "e", "f"]}})],
    );
    has(&text, r#"✗ process.name != "cmd.exe""#);
    has(&text, "the negated condition holds");
    has(&text, "✗ none of 2 alternatives holds:");
    has(&text, "- process.pid == 4  [process.pid = [8]]");
    has(&text, r#"- process.args : "*-enc*""#);
    has(&text, "… and 2 more]");
    has(&text, &format!("\"{}…\"", "x".repeat(79)));
    assert!(!text.contains(&"x".repeat(81)));
    let fs = &x.events[0].stages[0].failures;
    assert!(matches!(
        &fs[0],
        Failure::Condition {
            negation_held: true,
            ..
        }
    ));
    assert!(matches!(&fs[1], Failure::AnyOf { branches } if branches.len() == 2));
}

#[test]
fn odd_json_does_not_panic() {
    let (x, text) = run(
        r#"process where process.name : "a*" and process.pid > 3 and length(process.args) == 1"#,
        &[
            json!({"process": null}),
            json!({"process": {"name": {"deep": [1, 2]}, "pid": "abc", "args": [null, [true, 1.5]]}}),
            json!({"event": {"category": ["process", 7]}, "process.name": ["A1", "b"], "process": {"pid": 9}, "process.args": "z"}),
            json!({"@timestamp": [null, "not a date"], "process": {"name": ""}}),
        ],
    );
    assert_eq!(x.verdict.summary, "an alert: events [2]");
    has(&text, "process.pid = [\"abc\"]");
    has(&text, "process.name is missing");
}

#[test]
fn events_beyond_the_cap_are_counted() {
    let list: Vec<Json> = (0..60).map(|i| proc_event(i, "x.exe", "1")).collect();
    let (x, text) = run(r#"process where process.name == "y.exe""#, &list);
    assert_eq!(x.events.len(), 50);
    has(&text, "… 10 more events");
}

// ---- sequences

const SEQ: &str = r#"sequence by process.entity_id with maxspan=60s
  [process where process.name : "winword.exe"]
  [process where process.name : "cmd.exe"]"#;

#[test]
fn sequence_stage_two_with_another_join_key() {
    let (x, text) = run(
        SEQ,
        &[
            proc_event(0, "WINWORD.EXE", "{42}"),
            proc_event(5, "cmd.exe", "{43}"),
        ],
    );
    assert!(!x.verdict.alerted);
    has(
        &text,
        "no alert: stage 2 held (event 1) only with another join key",
    );
    has(
        &text,
        r#"stage 1: holds; key (process.entity_id) = ("{42}")"#,
    );
    has(
        &text,
        r#"stage 2: holds; key (process.entity_id) = ("{43}")"#,
    );
    has(
        &text,
        r#"event 0: stage 1 starts a partial with key ("{42}")"#,
    );
    has(
        &text,
        r#"event 1: holds stage 2 with key ("{43}"), but no stage 1 partial has that key; open: [0] key ("{42}")"#,
    );
    assert!(x
        .walk
        .iter()
        .any(|s| matches!(s, WalkStep::KeyMismatch { event: 1, .. })));
}

#[test]
fn sequence_gap_over_maxspan() {
    let (x, text) = run(
        SEQ,
        &[
            proc_event(0, "winword.exe", "a"),
            proc_event(61, "cmd.exe", "a"),
        ],
    );
    assert!(!x.verdict.alerted);
    has(&text, "gap 61.000 s > maxspan 60 s");
    has(&text, "over maxspan 60 s");
}

#[test]
fn sequence_match_shows_the_alert() {
    let (x, text) = run(
        SEQ,
        &[
            proc_event(0, "winword.exe", "a"),
            proc_event(1, "notepad.exe", "a"),
            proc_event(30, "cmd.exe", "a"),
        ],
    );
    assert_eq!(x.verdict.summary, "an alert: events [0, 2]");
    assert!(text.starts_with("an alert: events [0, 2]\n"));
    has(&text, r#"events [0, 2], join keys ("a")"#);
    has(
        &text,
        r#"event 2: completes [0, 2] with key ("a"): an alert"#,
    );
    // The event between holds neither stage; why is said.
    has(&text, r#"✗ process.name : "winword.exe""#);
    has(&text, r#"process.name = ["notepad.exe"]"#);
}

#[test]
fn sequence_until_ends_the_partial() {
    let (x, text) = run(
        r#"sequence by process.entity_id
  [process where event.type == "start"]
  [network where true]
until [process where event.type == "end"]"#,
        &[
            json!({"@timestamp": ts(0), "event": {"category": "process", "type": "start"}, "process": {"entity_id": "p"}}),
            json!({"@timestamp": ts(1), "event": {"category": "process", "type": "end"}, "process": {"entity_id": "p"}}),
            json!({"@timestamp": ts(2), "event": {"category": "network"}, "process": {"entity_id": "p"}}),
        ],
    );
    assert!(!x.verdict.alerted);
    has(
        &text,
        "no alert: an until event (event 1) ended the open partial",
    );
    has(
        &text,
        r#"event 1: until holds with key ("p"): it ends the partial [0] (at stage 1)"#,
    );
    has(&text, r#"until: holds; key (process.entity_id) = ("p")"#);
}

#[test]
fn sequence_missing_event_stage_present() {
    let q = r#"sequence by host.id with maxspan=1m
  [process where process.name : "a.exe"]
  ![process where process.name : "b.exe"]
  [process where process.name : "c.exe"]"#;
    let ev = |s: i64, name: &str| {
        json!({"@timestamp": ts(s), "event": {"category": "process"},
               "process": {"name": name}, "host": {"id": "h1"}})
    };
    let (x, text) = run(q, &[ev(0, "a.exe"), ev(1, "b.exe"), ev(2, "c.exe")]);
    assert!(!x.verdict.alerted, "{text}");
    has(
        &text,
        "no alert: every complete sequence was rejected by a missing-event stage",
    );
    has(
        &text,
        "stage 2: ![process where process.name : \"b.exe\"] by host.id",
    );
    has(
        &text,
        r#"event 1: holds missing-event stage 2 with key ("h1")"#,
    );
    has(
        &text,
        r#"completes [0, missing, 2] with key ("h1"): rejected, missing-event stage 2 is present: event 1 holds it"#,
    );
    assert!(x.walk.iter().any(|s| matches!(
        s,
        WalkStep::Completed {
            outcome: CandidateOutcome::Rejected { event: 1, .. },
            ..
        }
    )));

    // Without the missing-stage event, the alert has a placeholder.
    let (x, text) = run(q, &[ev(0, "a.exe"), ev(2, "c.exe")]);
    assert_eq!(
        x.verdict.summary, "an alert: events [0, missing, 1]",
        "{text}"
    );
}

#[test]
fn sequence_stage_never_held_and_key_missing() {
    let (x, text) = run(
        SEQ,
        &[
            json!({"@timestamp": ts(0), "event": {"category": "process"}, "process": {"name": "winword.exe"}}),
        ],
    );
    assert_eq!(x.verdict.summary, "no alert: stage 2 never held");
    has(
        &text,
        "stage 1: holds, but has no join key: process.entity_id missing",
    );
    has(
        &text,
        "event 0: holds stage 1 but has no join key (process.entity_id missing)",
    );
}

#[test]
fn sequence_out_of_order_and_untimed_events() {
    let mut untimed = proc_event(0, "cmd.exe", "a");
    untimed["@timestamp"] = Json::Null;
    let (x, text) = run(
        SEQ,
        &[
            proc_event(10, "notepad.exe", "a"),
            proc_event(5, "winword.exe", "a"),
            untimed,
            proc_event(20, "cmd.exe", "a"),
        ],
    );
    assert!(!x.verdict.alerted);
    has(&text, "out of order, it comes after event 0");
    has(&text, "sequences skip it (late)");
    has(&text, "event 2: holds a stage but is untimed");
    has(
        &text,
        r#"event 3: holds stage 2 with key ("a"), but no stage 1 partial is open (event 1 holds stage 1 with this key, but sequences skip it: late or untimed)"#,
    );
    assert_eq!(
        x.verdict.summary,
        "no alert: stage 1 held with its key only on event 1, which sequences skip (late or untimed)"
    );
}

// ---- samples

#[test]
fn sample_keys_per_stage() {
    let (x, text) = run(
        r#"sample by host.id [process where true] [network where true]"#,
        &[
            json!({"event": {"category": "process"}, "host": {"id": "h1"}}),
            json!({"event": {"category": "network"}, "host": {"id": "h2"}}),
        ],
    );
    assert!(!x.verdict.alerted);
    assert_eq!(
        x.verdict.summary,
        "no alert: no join-key tuple has an event for every stage"
    );
    has(
        &text,
        r#"key ("h1"): stage 1: [0]; stage 2: none → incomplete"#,
    );
}

// ---- whole reports

#[test]
fn snapshot_event_query_report() {
    let (_, text) = run(
        r#"process where process.name == "rundll32.exe" and process.args : ("*comsvcs*", "*MiniDump*") and not user.name in ("SYSTEM", "backup")"#,
        &[
            json!({"@timestamp": ts(0), "event": {"category": "process"},
                   "process": {"name": "RUNDLL32.EXE", "args": ["comsvcs.dll", "#24"]}, "user": {"name": "bob"}}),
            json!({"@timestamp": ts(1), "event": {"category": "process"},
                   "process": {"name": "rundll32.exe", "args": ["x.dll"]}, "user": {"name": "SYSTEM"}}),
        ],
    );
    insta::assert_snapshot!("event_query_report", text);
}

#[test]
fn snapshot_sequence_report() {
    let (_, text) = run(
        r#"sequence by process.entity_id with maxspan=60s
  [process where process.name : "rundll32.exe"]
  [library where dll.name in ("comsvcs.dll", "dbghelp.dll")]
until [process where event.type == "end"]"#,
        &[
            proc_event(0, "rundll32.exe", "{42}"),
            json!({"@timestamp": ts(5), "event": {"category": "library"}, "dll": {"name": "COMSVCS.DLL"}, "process": {"entity_id": "{42}"}}),
            json!({"@timestamp": ts(6), "event": {"category": "library"}, "dll": {"name": "comsvcs.dll"}, "process": {"entity_id": "{43}"}}),
            json!({"@timestamp": ts(90), "event": {"category": "library"}, "dll": {"name": "dbghelp.dll"}, "process": {"entity_id": "{42}"}}),
        ],
    );
    insta::assert_snapshot!("sequence_report", text);
}

// ---- the walk agrees with the engine

/// A small deterministic generator (no dependency on the order tests run in).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// On random streams, every complete sequence the walk finds is either an alert of the
/// engine or rejected by a missing-event stage, and every alert is such a sequence.
#[test]
fn walk_agrees_with_the_engine() {
    let queries = [
        r#"sequence by k with maxspan=5s [any where c == "a"] [any where c == "b"] [any where c == "c"]"#,
        r#"sequence by k [any where c == "a"] [any where c in ("a", "b")] until [any where c == "u"]"#,
        r#"sequence by k with maxspan=4s [any where c == "a"] ![any where c == "m"] [any where c == "b"]"#,
        r#"sequence by k with maxspan=4s ![any where c == "m"] [any where c == "a"] [any where c == "b"]"#,
        r#"sequence by k with maxspan=4s [any where c == "a"] [any where c == "b"] ![any where c == "m"]"#,
        r#"sequence by k with maxspan=6s ![any where c == "m"] [any where c == "a"] ![any where c == "u"]"#,
        r#"sequence with maxspan=3s [any where c == "a"] by k [any where c == "b"] by j with runs=2"#,
    ];
    let names = ["a", "a", "a", "b", "b", "b", "m", "m", "c", "u"];
    let mut rng = Lcg(7);
    for q in queries {
        let r = rule(q);
        for _ in 0..400 {
            let n = 1 + rng.next(12) as usize;
            let mut t = 0i64;
            let list: Vec<Json> = (0..n)
                .map(|_| {
                    // Mostly forward, sometimes equal or backwards (late events).
                    t += rng.next(3) as i64 - i64::from(rng.next(12) == 0) * 3;
                    let k: Json = match rng.next(8) {
                        0 => json!(["x", "y"]),
                        1 => Json::Null,
                        2 | 3 => json!("y"),
                        _ => json!("x"),
                    };
                    json!({"@timestamp": ts(t), "c": names[rng.next(10) as usize], "k": k,
                           "j": if rng.next(3) == 0 { json!("y") } else { json!("x") }})
                })
                .collect();
            let options = ExplainOptions {
                max_steps: usize::MAX,
                ..ExplainOptions::default()
            };
            let x = explain(&r, &events(&list), &options);
            let completed: Vec<(&Vec<Option<usize>>, &CandidateOutcome)> = x
                .walk
                .iter()
                .filter_map(|s| match s {
                    WalkStep::Completed {
                        events, outcome, ..
                    } => Some((events, outcome)),
                    _ => None,
                })
                .collect();
            let context = || format!("{q}\n{}\n{x}", serde_json::to_string(&list).unwrap());
            for (events, outcome) in &completed {
                assert!(
                    !matches!(outcome, CandidateOutcome::NotEmitted),
                    "the walk completed {events:?}, the engine did not emit it:\n{}",
                    context()
                );
            }
            for a in &x.alerts {
                assert!(
                    completed
                        .iter()
                        .any(|(e, o)| **e == a.events && **o == CandidateOutcome::Alert),
                    "alert {:?} not explained by the walk:\n{}",
                    a.events,
                    context()
                );
            }
        }
    }
}
