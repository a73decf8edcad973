//! Unit tests: the examples of eql-semantics.md C.4/C.5 and the conformance cases of
//! `test_missing_events.toml` / `test_extra.toml`, replayed on transcribed data.

use super::*;

type Matcher = SequenceMatcher<&'static str, u32, u64>;

fn spec(stages: &[StageKind], maxspan_ms: Option<u64>) -> SequenceSpec {
    SequenceSpec {
        stages: stages.to_vec(),
        maxspan_ms,
        max_keys: None,
    }
}

use StageKind::{Missing as M, Positive as P};

/// One input event: timestamp, id, and per stage the keys it matched with.
struct In {
    ts: i64,
    id: u32,
    stages: Vec<(usize, Vec<&'static str>)>,
    until: Vec<&'static str>,
}

fn feed(m: &mut Matcher, events: &[In], out: &mut Vec<SequenceMatch<&'static str, u32>>) {
    for (ord, e) in events.iter().enumerate() {
        let matches: Vec<(usize, &[&'static str])> =
            e.stages.iter().map(|(s, k)| (*s, k.as_slice())).collect();
        m.on_event(ord as u64, e.ts, &e.id, &matches, &e.until, out);
    }
}

/// Runs `events` through a fresh matcher and flushes; results as flattened ids, `-1`
/// at a missing stage (the conformance files' encoding).
fn run(spec: SequenceSpec, events: &[In]) -> Vec<i64> {
    let mut m = Matcher::new(spec).expect("valid spec");
    let mut out = Vec::new();
    feed(&mut m, events, &mut out);
    m.flush(&mut out);
    flatten(&out)
}

fn flatten(out: &[SequenceMatch<&'static str, u32>]) -> Vec<i64> {
    out.iter()
        .flat_map(|s| s.events.iter().map(|e| e.map_or(-1, i64::from)))
        .collect()
}

/// Events `1..=n` at timestamps 1..=n, key "k", each matching the stages `pick` gives.
fn numbered(n: u32, pick: impl Fn(u32) -> Vec<usize>) -> Vec<In> {
    (1..=n)
        .map(|id| In {
            ts: i64::from(id),
            id,
            stages: pick(id).into_iter().map(|s| (s, vec!["k"])).collect(),
            until: vec![],
        })
        .collect()
}

fn when(conds: &[bool]) -> Vec<usize> {
    conds
        .iter()
        .enumerate()
        .filter(|(_, c)| **c)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn double_same_sequence() {
    // sequence [id < 5] [id < 5] → [1,2] [2,3] [3,4]
    let ev = numbered(5, |id| when(&[id < 5, id < 5]));
    assert_eq!(run(spec(&[P, P], None), &ev), vec![1, 2, 2, 3, 3, 4]);
}

#[test]
fn condition_many_many() {
    // sequence [id <= 3] [true] [true] → [1,2,3] [2,3,4] [3,4,5]
    let ev = numbered(5, |id| when(&[id <= 3, true, true]));
    assert_eq!(
        run(spec(&[P, P, P], None), &ev),
        vec![1, 2, 3, 2, 3, 4, 3, 4, 5]
    );
}

#[test]
fn many_one_match() {
    // sequence [id < 5] [id == 5] → only [4,5]
    let ev = numbered(5, |id| when(&[id < 5, id == 5]));
    assert_eq!(run(spec(&[P, P], None), &ev), vec![4, 5]);
}

#[test]
fn maxspan_is_inclusive() {
    for (gap, expected) in [(10, vec![1, 2]), (11, vec![])] {
        let ev = vec![
            In {
                ts: 100,
                id: 1,
                stages: vec![(0, vec!["k"])],
                until: vec![],
            },
            In {
                ts: 100 + gap,
                id: 2,
                stages: vec![(1, vec!["k"])],
                until: vec![],
            },
        ];
        assert_eq!(run(spec(&[P, P], Some(10)), &ev), expected, "gap {gap}");
    }
}

#[test]
fn an_overwritten_partial_is_not_retried() {
    // [A][B] maxspan 10: A@0 then A@1 overwrites; B@12 cannot take [A@1] (11 > 10), and
    // the older [A@0] is gone, so nothing matches. (The engine drops [A@1] through the
    // expiry queue when the watermark reaches 12, which is equivalent to the rejected,
    // consuming attempt of C.4.)
    let ev = vec![
        In {
            ts: 0,
            id: 1,
            stages: vec![(0, vec!["k"])],
            until: vec![],
        },
        In {
            ts: 1,
            id: 2,
            stages: vec![(0, vec!["k"])],
            until: vec![],
        },
        In {
            ts: 12,
            id: 3,
            stages: vec![(1, vec!["k"])],
            until: vec![],
        },
        In {
            ts: 13,
            id: 4,
            stages: vec![(1, vec!["k"])],
            until: vec![],
        },
    ];
    let mut m = Matcher::new(spec(&[P, P], Some(10))).unwrap();
    let mut out = Vec::new();
    feed(&mut m, &ev, &mut out);
    m.flush(&mut out);
    assert!(out.is_empty());
    assert_eq!(m.stats().expired + m.stats().maxspan_rejections, 1);
}

#[test]
fn overwrite_keeps_later_stages() {
    // [A][B][C] by user: A1 B2 A3 C4 → [1,2,4]; A3 waits at stage 1 untouched by C4.
    let ev = vec![
        In {
            ts: 1,
            id: 1,
            stages: vec![(0, vec!["u"])],
            until: vec![],
        },
        In {
            ts: 2,
            id: 2,
            stages: vec![(1, vec!["u"])],
            until: vec![],
        },
        In {
            ts: 3,
            id: 3,
            stages: vec![(0, vec!["u"])],
            until: vec![],
        },
        In {
            ts: 4,
            id: 4,
            stages: vec![(2, vec!["u"])],
            until: vec![],
        },
        In {
            ts: 5,
            id: 5,
            stages: vec![(1, vec!["u"])],
            until: vec![],
        },
        In {
            ts: 6,
            id: 6,
            stages: vec![(2, vec!["u"])],
            until: vec![],
        },
    ];
    assert_eq!(run(spec(&[P, P, P], None), &ev), vec![1, 2, 4, 3, 5, 6]);
}

#[test]
fn keys_are_separate_state_machines() {
    let ev = vec![
        In {
            ts: 1,
            id: 1,
            stages: vec![(0, vec!["a", "b"])],
            until: vec![],
        },
        In {
            ts: 2,
            id: 2,
            stages: vec![(0, vec!["b"])],
            until: vec![],
        },
        In {
            ts: 3,
            id: 3,
            stages: vec![(1, vec!["b", "a"])],
            until: vec![],
        },
    ];
    let mut m = Matcher::new(spec(&[P, P], None)).unwrap();
    let mut out = Vec::new();
    feed(&mut m, &ev, &mut out);
    // One event completes two keys: in the order the caller listed the keys.
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].key, flatten(&out[..1])), ("b", vec![2, 3]));
    assert_eq!((out[1].key, flatten(&out[1..])), ("a", vec![1, 3]));
    assert_eq!(m.open_keys(), 0);
}

/// test_extra.toml `sequenceWithOptionalFieldsAndUntil_1/_2`: `sequence by ?entity, ?pid
/// [process where transID == 2] [file where transID == 0] with runs=2 until [file where
/// sequence == U]`, events 10..21 of extra.data (keys written "entity/pid").
fn optional_fields_until(until_id: u32) -> Vec<i64> {
    let rows: [(i64, u32, Option<usize>, &'static str); 12] = [
        (1, 10, None, "null/123"),
        (1, 11, Some(0), "null/null"),
        (2, 12, Some(0), "null/123"),
        (3, 13, Some(1), "null/123"),
        (4, 14, Some(1), "null/123"),
        (5, 15, Some(1), "null/123"),
        (6, 16, Some(1), "null/null"),
        (6, 17, Some(1), "null/null"),
        (7, 18, Some(0), "512/123"),
        (8, 19, Some(1), "512/123"),
        (9, 20, Some(1), "512/123"),
        (10, 21, Some(1), "512/123"),
    ];
    let ev: Vec<In> = rows
        .iter()
        .map(|&(ts, id, stage, key)| In {
            ts,
            id,
            // `[file where transID == 0]` is stages 1 and 2 (runs=2).
            stages: match stage {
                Some(0) => vec![(0, vec![key])],
                Some(_) => vec![(1, vec![key]), (2, vec![key])],
                None => vec![],
            },
            until: if id == until_id { vec![key] } else { vec![] },
        })
        .collect();
    run(spec(&[P, P, P], None), &ev)
}

#[test]
fn until_on_the_completing_event_does_not_kill_it() {
    assert_eq!(
        optional_fields_until(20),
        vec![12, 13, 14, 11, 16, 17, 18, 19, 20]
    );
}

#[test]
fn until_between_two_matches_kills_the_partial() {
    assert_eq!(optional_fields_until(19), vec![12, 13, 14, 11, 16, 17]);
}

#[test]
fn until_after_completion_and_on_other_keys_is_harmless() {
    let ev = vec![
        In {
            ts: 1,
            id: 1,
            stages: vec![(0, vec!["a"])],
            until: vec![],
        },
        In {
            ts: 2,
            id: 2,
            stages: vec![],
            until: vec!["b"],
        },
        In {
            ts: 3,
            id: 3,
            stages: vec![(1, vec!["a"])],
            until: vec![],
        },
        In {
            ts: 4,
            id: 4,
            stages: vec![],
            until: vec!["a"],
        },
    ];
    assert_eq!(run(spec(&[P, P], None), &ev), vec![1, 3]);
}

#[test]
fn until_on_a_first_stage_event_dooms_its_partial() {
    // ord(seq.last) <= u: the partial started by the until event itself cannot advance.
    let ev = vec![
        In {
            ts: 1,
            id: 1,
            stages: vec![(0, vec!["a"])],
            until: vec!["a"],
        },
        In {
            ts: 2,
            id: 2,
            stages: vec![(1, vec!["a"])],
            until: vec![],
        },
    ];
    let mut m = Matcher::new(spec(&[P, P], None)).unwrap();
    let mut out = Vec::new();
    feed(&mut m, &ev, &mut out);
    assert!(out.is_empty());
    assert_eq!(m.stats().until_kills, 1);
    assert_eq!(m.open_keys(), 0);
}

// ----- missing events: test_missing_events.toml on missing-events.data -------------

/// A row of missing-events.data: ms timestamp (relative within its event type), tag,
/// `sequence` (the id), k1, k2.
type Row = (i64, &'static str, u32, &'static str, &'static str);

const TEST1: &[Row] = &[
    (1, "normal", 1, "", ""),
    (2, "normal", 2, "", ""),
    (3, "missing", 3, "", ""),
    (4, "normal", 4, "", ""),
];
const TEST2: &[Row] = &[
    (0, "normal", 1, "", ""),
    (1, "normal", 2, "", ""),
    (2, "missing", 3, "", ""),
    (3, "normal", 4, "", ""),
    (4, "normal", 5, "", ""),
    (5, "missing", 6, "", ""),
    (120_006, "missing2", 7, "", ""),
    (180_006, "missing2", 8, "", ""),
];
const TEST3: &[Row] = &[
    (0, "missing", 1, "", ""),
    (600_001, "normal", 2, "", ""),
    (1_200_001, "missing", 3, "", ""),
    (1_260_001, "normal", 4, "", ""),
    (1_740_001, "normal", 5, "", ""),
    (1_860_001, "normal", 6, "", ""),
];
const TEST4: &[Row] = &[
    (1, "A", 1, "", ""),
    (2, "B", 2, "", ""),
    (3, "M1", 3, "", ""),
    (4, "B", 4, "", ""),
    (5, "C", 5, "", ""),
    (6, "M2", 6, "", ""),
    (7, "D", 7, "", ""),
    (8, "M1", 8, "", ""),
    (9, "C", 9, "", ""),
    (10, "B", 10, "", ""),
    (11, "C", 11, "", ""),
    (12, "D", 12, "", ""),
    (13, "A", 13, "", ""),
    (14, "B", 14, "", ""),
    (15, "M3", 15, "", ""),
    (16, "C", 16, "", ""),
    (17, "D", 17, "", ""),
    (18, "M4", 18, "", ""),
];
const TEST5: &[Row] = &[
    (0, "normal", 1, "foo", "foo"),
    (1, "normal", 2, "foo", "foo"),
    (3, "missing", 3, "foo", "foo"),
    (4, "normal", 4, "foo", "foo"),
    (5, "normal", 5, "foo", "foo"),
    (6, "normal", 6, "foo", "foo"),
    (7, "missing", 7, "foo", "bar"),
    (8, "normal", 8, "foo", "foo"),
    (9, "normal", 9, "baz", "baz"),
    (10, "normal", 10, "baz", "baz"),
    (11, "missing", 11, "baz", "foo"),
    (12, "normal", 12, "baz", "baz"),
];

#[derive(Clone, Copy)]
enum By {
    Nothing,
    K1,
    K2,
}

/// A clause: kind, the tag it tests, its join key, and an extra `sequence > n` bound.
type Clause = (StageKind, &'static str, By, u32);

fn missing_query(data: &[Row], maxspan: u64, clauses: &[Clause]) -> Vec<i64> {
    let ev: Vec<In> = data
        .iter()
        .map(|&(ts, tag, id, k1, k2)| In {
            ts,
            id,
            stages: clauses
                .iter()
                .enumerate()
                .filter(|(_, c)| c.1 == tag && id > c.3)
                .map(|(i, c)| {
                    let key = match c.2 {
                        By::Nothing => "",
                        By::K1 => k1,
                        By::K2 => k2,
                    };
                    (i, vec![key])
                })
                .collect(),
            until: vec![],
        })
        .collect();
    let kinds: Vec<StageKind> = clauses.iter().map(|c| c.0).collect();
    run(spec(&kinds, Some(maxspan)), &ev)
}

const N: By = By::Nothing;

#[test]
fn missing_in_between_no_matches() {
    let q = [
        (P, "normal", N, 0),
        (M, "nonexisting", N, 0),
        (P, "normal", N, 0),
    ];
    assert_eq!(missing_query(TEST1, 1000, &q), vec![1, -1, 2, 2, -1, 4]);
}

#[test]
fn missing_in_between_match() {
    let q = [
        (P, "normal", N, 0),
        (M, "missing", N, 0),
        (P, "normal", N, 0),
    ];
    assert_eq!(missing_query(TEST1, 1000, &q), vec![1, -1, 2]);
}

#[test]
fn positive_plus_missing() {
    let q = [(P, "normal", N, 0), (M, "missing", N, 0)];
    assert_eq!(missing_query(TEST1, 1000, &q), vec![4, -1]);
}

#[test]
fn skip_first_match_and_pick_second_candidate() {
    let q = [
        (P, "normal", N, 0),
        (P, "normal", N, 0),
        (M, "missing", N, 0),
        (P, "normal", N, 0),
    ];
    assert_eq!(missing_query(TEST2, 1000, &q), vec![2, 4, -1, 5]);
}

#[test]
fn leading_simple() {
    let q = [(M, "missing", N, 0), (P, "normal", N, 0)];
    assert_eq!(missing_query(TEST3, 180_000, &q), vec![-1, 2, -1, 5, -1, 6]);
}

#[test]
fn leading_and_trailing_excluded_1() {
    let q = [
        (M, "missing", N, 0),
        (P, "normal", N, 0),
        (M, "missing", N, 0),
    ];
    assert_eq!(
        missing_query(TEST3, 19 * 60_000, &q),
        vec![-1, 2, -1, -1, 4, -1, -1, 5, -1, -1, 6, -1]
    );
}

#[test]
fn leading_and_trailing_excluded_2() {
    let q = [
        (M, "missing", N, 0),
        (P, "normal", N, 0),
        (M, "missing", N, 0),
    ];
    assert_eq!(
        missing_query(TEST3, 21 * 60_000, &q),
        vec![-1, 4, -1, -1, 5, -1, -1, 6, -1]
    );
}

#[test]
fn multiple_missing() {
    let t = |tag| (P, tag, N, 0);
    let m = |tag| (M, tag, N, 0);
    let cases: [(Vec<Clause>, Vec<i64>); 7] = [
        (
            vec![t("A"), t("B"), m("M1"), t("C"), m("M2"), t("D")],
            vec![13, 14, -1, 16, -1, 17],
        ),
        (
            vec![t("A"), t("B"), m("M1"), t("C"), t("D")],
            vec![13, 14, -1, 16, 17],
        ),
        (
            vec![t("A"), t("B"), t("C"), m("M2"), t("D")],
            vec![13, 14, 16, -1, 17],
        ),
        (
            vec![t("A"), t("B"), m("M1"), t("C"), m("M2"), t("D"), m("M4")],
            vec![],
        ),
        (
            vec![t("A"), t("B"), m("none"), t("C"), m("none"), t("D")],
            vec![1, 2, -1, 5, -1, 7, 13, 14, -1, 16, -1, 17],
        ),
        (
            vec![t("A"), t("B"), t("C"), m("M2"), t("D"), m("none")],
            vec![13, 14, 16, -1, 17, -1],
        ),
        (
            vec![m("none"), t("A"), t("B"), t("C"), m("M2"), t("D")],
            vec![-1, 13, 14, 16, -1, 17],
        ),
    ];
    for (i, (q, expected)) in cases.iter().enumerate() {
        assert_eq!(
            &missing_query(TEST4, 1000, q),
            expected,
            "multipleMissing{}",
            i + 1
        );
    }
}

#[test]
fn missing_with_by_keys() {
    use By::{K1, K2};
    let f = |by| (P, "normal", by, 0);
    let g = |by| (M, "missing", by, 0);
    let all_four = vec![2, 4, -1, 5, 4, 5, -1, 6, 5, 6, -1, 8, 9, 10, -1, 12];
    // withByKey1/2: everything by k1.
    assert_eq!(
        missing_query(TEST5, 1000, &[f(K1), f(K1), g(K1), f(K1)]),
        vec![2, 4, -1, 5, 4, 5, -1, 6]
    );
    // withByKey3: the missing stage by k2 while the positives are by k1.
    assert_eq!(
        missing_query(TEST5, 1000, &[f(K1), f(K1), g(K2), f(K1)]),
        all_four
    );
    // withByKey4/5: everything by k2.
    assert_eq!(
        missing_query(TEST5, 1000, &[f(K2), f(K2), g(K2), f(K2)]),
        all_four
    );
    // withByKey6: the missing clause also requires `sequence > 10`.
    assert_eq!(
        missing_query(TEST5, 1000, &[f(K2), f(K2), (M, "missing", K2, 10), f(K2)]),
        vec![1, 2, -1, 4, 2, 4, -1, 5, 4, 5, -1, 6, 5, 6, -1, 8, 9, 10, -1, 12]
    );
    // withByKey_runs / withByKey_runsOnMissing.
    assert_eq!(
        missing_query(TEST5, 1000, &[f(K2), f(K2), g(K2), f(K2)]),
        all_four
    );
    assert_eq!(
        missing_query(TEST5, 1000, &[f(K2), f(K2), g(K2), g(K2), f(K2)]),
        vec![2, 4, -1, -1, 5, 4, 5, -1, -1, 6, 5, 6, -1, -1, 8, 9, 10, -1, -1, 12]
    );
}

// ----- streaming behaviour -----------------------------------------------------------

fn ev1(ts: i64, id: u32, stage: usize, key: &'static str) -> In {
    In {
        ts,
        id,
        stages: vec![(stage, vec![key])],
        until: vec![],
    }
}

#[test]
fn trailing_candidates_wait_for_the_window() {
    // [A] ![M] maxspan 10: A@0 is decided only when the watermark passes 10.
    let mut m = Matcher::new(spec(&[P, M], Some(10))).unwrap();
    let mut out = Vec::new();
    feed(&mut m, &[ev1(0, 1, 0, "k")], &mut out);
    assert!(out.is_empty());
    assert_eq!(m.waiting_candidates(), 1);
    m.advance_watermark(10, &mut out);
    assert!(out.is_empty(), "an M at ts 10 could still veto");
    m.advance_watermark(11, &mut out);
    assert_eq!(flatten(&out), vec![1, -1]);
    assert_eq!(m.waiting_candidates(), 0);
}

#[test]
fn a_trailing_event_inside_the_window_vetoes() {
    let mut m = Matcher::new(spec(&[P, M], Some(10))).unwrap();
    let mut out = Vec::new();
    let ev = [
        ev1(0, 1, 0, "k"),
        ev1(5, 2, 0, "k"),
        ev1(10, 3, 1, "k"),
        ev1(30, 4, 0, "j"),
    ];
    feed(&mut m, &ev, &mut out);
    // Both candidates of "k" were vetoed by the M at 10; "j"'s waits for its window.
    assert!(out.is_empty());
    assert_eq!(m.stats().missing_rejections, 2);
    m.flush(&mut out);
    assert_eq!(flatten(&out), vec![4, -1]);
}

#[test]
fn decided_results_wait_behind_undecided_ones() {
    // ![M] [A] ![M] maxspan 10: "k" has a leading M at -5, so its candidate A@0 waits for
    // trailing events up to -5 + 10 = 5; "j" has no leading M and is accepted at once,
    // but completed later, so it is released only after "k" is decided.
    let mut m = Matcher::new(spec(&[M, P, M], Some(10))).unwrap();
    let mut out = Vec::new();
    feed(
        &mut m,
        &[ev1(-5, 1, 0, "k"), ev1(0, 2, 1, "k"), ev1(1, 3, 1, "j")],
        &mut out,
    );
    assert!(out.is_empty());
    assert_eq!(m.pending_candidates(), 2);
    assert_eq!(m.waiting_candidates(), 1);
    m.advance_watermark(5, &mut out);
    assert!(out.is_empty());
    m.advance_watermark(6, &mut out);
    assert_eq!(flatten(&out), vec![-1, 2, -1, -1, 3, -1]);
    assert_eq!(m.pending_candidates(), 0);
}

#[test]
fn partials_expire_through_the_queue() {
    let mut m = Matcher::new(spec(&[P, P], Some(10))).unwrap();
    let mut out = Vec::new();
    let keys: Vec<&'static str> = vec!["a", "b", "c", "d"];
    for (i, k) in keys.iter().enumerate() {
        m.on_event(
            i as u64,
            i as i64,
            &(i as u32),
            &[(0, &[*k][..])],
            &[],
            &mut out,
        );
    }
    assert_eq!(m.open_keys(), 4);
    m.advance_watermark(10, &mut out); // "a" (first 0) can still take an event at 10
    assert_eq!(m.open_keys(), 4);
    m.advance_watermark(11, &mut out);
    assert_eq!(m.open_keys(), 3);
    m.advance_watermark(100, &mut out);
    assert_eq!(m.open_keys(), 0);
    assert_eq!(m.stats().expired, 4);
    assert!(out.is_empty());
}

#[test]
fn restarted_keys_expire_on_their_latest_partial() {
    let mut m = Matcher::new(spec(&[P, P], Some(10))).unwrap();
    let mut out = Vec::new();
    m.on_event(0, 0, &1, &[(0, &["a"][..])], &[], &mut out);
    m.on_event(1, 8, &2, &[(0, &["a"][..])], &[], &mut out);
    m.advance_watermark(15, &mut out); // the stale entry of ts 0 must not drop ts 8's partial
    assert_eq!(m.open_keys(), 1);
    m.on_event(2, 18, &3, &[(1, &["a"][..])], &[], &mut out);
    assert_eq!(flatten(&out), vec![2, 3]);
    assert_eq!(m.stats().expired, 0);
}

#[test]
fn key_cap_evicts_the_oldest_key() {
    let mut s = spec(&[P, P], None);
    s.max_keys = Some(2);
    let mut m = Matcher::new(s).unwrap();
    let mut out = Vec::new();
    let ev = [
        ev1(1, 1, 0, "a"),
        ev1(2, 2, 0, "b"),
        ev1(3, 3, 0, "a"), // activity does not refresh "a": creation order counts
        ev1(4, 4, 0, "c"), // evicts "a"
        ev1(5, 5, 1, "a"),
        ev1(6, 6, 1, "b"),
        ev1(7, 7, 1, "c"),
    ];
    feed(&mut m, &ev, &mut out);
    assert_eq!(flatten(&out), vec![2, 6, 4, 7]);
    assert_eq!(m.stats().evictions, 1);
    assert_eq!(m.open_keys(), 0);
}

#[test]
fn key_cap_with_churn_keeps_the_queue_small() {
    let mut s = spec(&[P, P], None);
    s.max_keys = Some(4);
    let mut m = Matcher::new(s).unwrap();
    let mut out = Vec::new();
    let names: [&'static str; 3] = ["x", "y", "z"];
    let mut ord = 0u64;
    for round in 0..10_000u32 {
        let k = names[round as usize % 3];
        m.on_event(
            ord,
            i64::from(round),
            &round,
            &[(0, &[k][..])],
            &[],
            &mut out,
        );
        ord += 1;
        m.on_event(
            ord,
            i64::from(round),
            &round,
            &[(1, &[k][..])],
            &[],
            &mut out,
        );
        ord += 1;
    }
    assert_eq!(out.len(), 10_000);
    assert_eq!(m.stats().evictions, 0);
    assert!(m.queue.len() <= 2 * m.open_keys() + 70, "{}", m.queue.len());
}

#[test]
fn late_events_are_counted_and_ignored() {
    let mut m = Matcher::new(spec(&[P, P], None)).unwrap();
    let mut out = Vec::new();
    m.on_event(5, 10, &1, &[(0, &["k"][..])], &[], &mut out);
    m.on_event(4, 11, &2, &[(1, &["k"][..])], &[], &mut out); // ordinal went back
    m.advance_watermark(20, &mut out);
    m.on_event(6, 19, &3, &[(1, &["k"][..])], &[], &mut out); // below the watermark
    assert!(out.is_empty());
    assert_eq!(m.stats().late_events, 2);
    m.on_event(7, 20, &4, &[(1, &["k"][..])], &[], &mut out);
    assert_eq!(flatten(&out), vec![1, 4]);
}

#[test]
fn unknown_stage_indices_are_ignored() {
    let mut m = Matcher::new(spec(&[P, P], None)).unwrap();
    let mut out = Vec::new();
    m.on_event(0, 0, &1, &[(7, &["k"][..]), (0, &["k"][..])], &[], &mut out);
    m.on_event(1, 1, &2, &[(1, &["k"][..])], &[], &mut out);
    assert_eq!(flatten(&out), vec![1, 2]);
}

#[test]
fn flush_resets_for_a_new_stream() {
    let mut m = Matcher::new(spec(&[P, P], Some(10))).unwrap();
    let mut out = Vec::new();
    m.on_event(9, 1000, &1, &[(0, &["k"][..])], &[], &mut out);
    m.flush(&mut out);
    assert_eq!(m.open_keys(), 0);
    assert_eq!(m.watermark(), None);
    m.on_event(0, 0, &2, &[(0, &["k"][..])], &[], &mut out);
    m.on_event(1, 1, &3, &[(1, &["k"][..])], &[], &mut out);
    assert_eq!(flatten(&out), vec![2, 3]);
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    let mut m = Matcher::new(spec(&[P, P, M], Some(u64::MAX))).unwrap();
    let mut out = Vec::new();
    m.on_event(0, i64::MIN, &1, &[(0, &["k"][..])], &[], &mut out);
    m.on_event(1, i64::MAX, &2, &[(1, &["k"][..])], &[], &mut out);
    m.advance_watermark(i64::MAX, &mut out);
    m.flush(&mut out);
    assert_eq!(flatten(&out), vec![1, 2, -1]);
}

#[test]
fn single_positive_stage() {
    // [A] with until: no partial, so until never applies; every A is a sequence.
    let ev = [ev1(1, 1, 0, "k"), ev1(2, 2, 0, "k")];
    assert_eq!(run(spec(&[P], None), &ev), vec![1, 2]);
}

#[test]
fn spec_errors() {
    let bad = |stages: &[StageKind], maxspan, max_keys| {
        Matcher::new(SequenceSpec {
            stages: stages.to_vec(),
            maxspan_ms: maxspan,
            max_keys,
        })
        .err()
    };
    assert_eq!(bad(&[], None, None), Some(SpecError::NoStages));
    assert_eq!(
        bad(&[M, M], Some(1), None),
        Some(SpecError::NoPositiveStage)
    );
    assert_eq!(
        bad(&[P, M], None, None),
        Some(SpecError::MissingWithoutMaxspan)
    );
    assert_eq!(bad(&[P, P], None, Some(0)), Some(SpecError::ZeroMaxKeys));
    assert_eq!(bad(&[M, P, M], Some(1), Some(1)), None);
}
