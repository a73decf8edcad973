//! The sequence matcher against a deliberately naive model of eql-semantics.md C.4/C.5.
//!
//! The model replays the C.4 pseudo-code over the whole history (until markers kept
//! forever and checked with `ord(last) <= u < ord(e)`, see the module docs of
//! `rule_runtime::sequence` for why the upper bound is strict), then post-checks every
//! candidate against the whole finite data set with the acceptance expression of
//! Elasticsearch's `TumblingWindow.doCheckMissingEvents`, written out literally. The
//! matcher sees the same events one at a time, with random watermark advances in
//! between, and must produce identical results in identical order.

use std::collections::HashMap;

use proptest::prelude::*;
use rule_runtime::sequence::{SequenceMatch, SequenceMatcher, SequenceSpec, StageKind};

type Key = u8;

#[derive(Clone, Debug)]
struct Ev {
    ts: i64,
    /// Per stage index, the keys the event matched that stage with (in order).
    stages: Vec<(usize, Vec<Key>)>,
    until: Vec<Key>,
    /// Advance the watermark to `ts + bump` after feeding the event (never past the
    /// next event's timestamp; the harness clamps it).
    bump: Option<i64>,
}

#[derive(Clone, Debug)]
struct Case {
    stages: Vec<StageKind>,
    maxspan: Option<u64>,
    events: Vec<Ev>,
}

type Found = (Key, Vec<Option<usize>>);

/// C.4 over the whole history, then C.5 over the whole data set.
fn model(case: &Case) -> Vec<Found> {
    let positive: Vec<usize> = (0..case.stages.len())
        .filter(|&i| case.stages[i] == StageKind::Positive)
        .collect();
    let p = positive.len();
    let ts = |i: usize| case.events[i].ts;
    let mut pending: HashMap<(usize, Key), Vec<usize>> = HashMap::new();
    let mut markers: Vec<(usize, Key)> = Vec::new();
    let mut candidates: Vec<(Key, Vec<usize>)> = Vec::new();
    for (i, e) in case.events.iter().enumerate() {
        for &k in &e.until {
            markers.push((i, k));
        }
        for r in (0..p).rev() {
            for (stage, keys) in &e.stages {
                if *stage != positive[r] {
                    continue;
                }
                for &k in keys {
                    let mut seq = if r == 0 {
                        vec![]
                    } else {
                        let Some(seq) = pending.remove(&(r - 1, k)) else {
                            continue;
                        };
                        if let Some(m) = case.maxspan {
                            if (ts(i) - ts(seq[0])) as i128 > m as i128 {
                                continue;
                            }
                        }
                        let last = *seq.last().unwrap();
                        if markers.iter().any(|&(u, uk)| uk == k && last <= u && u < i) {
                            continue;
                        }
                        seq
                    };
                    seq.push(i);
                    if r == p - 1 {
                        candidates.push((k, seq));
                    } else {
                        pending.insert((r, k), seq);
                    }
                }
            }
        }
    }

    let n = case.stages.len();
    let is_missing = |i: usize| case.stages[i] == StageKind::Missing;
    // Timestamps of the events matching stage `s` with key `k`.
    let hits = |s: usize, k: Key| -> Vec<i64> {
        case.events
            .iter()
            .filter(|e| e.stages.iter().any(|(st, ks)| *st == s && ks.contains(&k)))
            .map(|e| e.ts)
            .collect()
    };
    let exceeds = |from: i64, to: i64| -> bool {
        match case.maxspan {
            Some(m) => (to - from) as i128 > m as i128,
            None => false,
        }
    };
    let bigger = |from: Option<i64>, to: Option<i64>| match (from, to) {
        (Some(f), Some(t)) => exceeds(f, t),
        _ => true,
    };
    let mut results = Vec::new();
    for (k, seq) in candidates {
        let start = ts(seq[0]);
        let end = ts(*seq.last().unwrap());
        // Positive stage index → event.
        let at: HashMap<usize, usize> = positive.iter().copied().zip(seq.iter().copied()).collect();
        let mut leading = true;
        let mut discarded = false;
        let mut last_leading: Option<i64> = None;
        let mut first_trailing: Option<i64> = None;
        for i in 0..n {
            if !is_missing(i) {
                leading = false;
                continue;
            }
            let trailing = (i..n).all(&is_missing);
            let h = hits(i, k);
            if leading {
                if let Some(x) = h.iter().copied().filter(|&x| x < start).max() {
                    last_leading = Some(last_leading.map_or(x, |l| l.max(x)));
                }
            } else if trailing {
                if let Some(x) = h.iter().copied().filter(|&x| x > end).min() {
                    first_trailing = Some(first_trailing.map_or(x, |f| f.min(x)));
                }
            } else {
                let prev = (0..i).rev().find(|&j| !is_missing(j)).unwrap();
                let next = (i + 1..n).find(|&j| !is_missing(j)).unwrap();
                let (a, b) = (ts(at[&prev]), ts(at[&next]));
                if h.iter().any(|&x| a < x && x < b) {
                    discarded = true;
                }
            }
        }
        if discarded {
            continue;
        }
        let m0 = is_missing(0);
        let ml = is_missing(n - 1);
        let accept = (first_trailing.is_none() && last_leading.is_none())
            || (last_leading.is_none() && m0)
            || (first_trailing.is_none() && ml)
            || (m0 && ml && bigger(last_leading, first_trailing))
            || (m0 && !ml && bigger(last_leading, Some(end)))
            || (!m0 && ml && bigger(Some(start), first_trailing));
        if accept {
            let mut events = vec![None; n];
            for (&s, &e) in &at {
                events[s] = Some(e);
            }
            results.push((k, events));
        }
    }
    results
}

/// The matcher, fed one event at a time with the case's watermark advances.
fn engine(case: &Case) -> (Vec<Found>, Vec<Found>) {
    let mut m = SequenceMatcher::<Key, usize, usize>::new(SequenceSpec {
        stages: case.stages.clone(),
        maxspan_ms: case.maxspan,
        max_keys: None,
    })
    .expect("valid spec");
    let mut out: Vec<SequenceMatch<Key, usize>> = Vec::new();
    for (i, e) in case.events.iter().enumerate() {
        let matches: Vec<(usize, &[Key])> =
            e.stages.iter().map(|(s, k)| (*s, k.as_slice())).collect();
        m.on_event(i, e.ts, &i, &matches, &e.until, &mut out);
        if let Some(bump) = e.bump {
            let next = case.events.get(i + 1).map_or(i64::MAX, |n| n.ts);
            m.advance_watermark((e.ts + bump).min(next), &mut out);
        }
    }
    // With maxspan, once the watermark passes every window nothing may still wait.
    if let (Some(maxspan), Some(last)) = (case.maxspan, case.events.last()) {
        m.advance_watermark(last.ts + maxspan as i64 + 1, &mut out);
        assert_eq!(m.pending_candidates(), 0);
        assert_eq!(m.open_keys(), 0, "every partial expired");
    }
    let before_flush = out.iter().map(|s| (s.key, s.events.clone())).collect();
    m.flush(&mut out);
    let all = out.into_iter().map(|s| (s.key, s.events)).collect();
    (before_flush, all)
}

fn keys() -> impl Strategy<Value = Vec<Key>> {
    // A de-duplicated key list in random order (multi-valued keys), usually short.
    prop::sample::subsequence(vec![0u8, 1, 2], 0..=3).prop_shuffle()
}

fn case() -> impl Strategy<Value = Case> {
    let stages = prop::collection::vec(
        prop_oneof![3 => Just(StageKind::Positive), 1 => Just(StageKind::Missing)],
        1..=5,
    )
    .prop_filter("a positive stage", |s| s.contains(&StageKind::Positive));
    (stages, prop::option::weighted(0.8, 0u64..=6), any::<bool>())
        .prop_flat_map(|(stages, maxspan, use_until)| {
            let has_missing = stages.contains(&StageKind::Missing);
            let maxspan = if has_missing {
                Some(maxspan.unwrap_or(3))
            } else {
                maxspan
            };
            let n = stages.len();
            let ev = (
                prop_oneof![3 => Just(0i64), 2 => Just(1i64), 1 => 2i64..=8],
                prop::collection::vec(prop::option::weighted(0.45, keys()), n),
                if use_until {
                    prop::option::weighted(0.15, keys()).boxed()
                } else {
                    Just(None).boxed()
                },
                prop::option::weighted(0.2, 0i64..=8),
            );
            (
                Just(stages),
                Just(maxspan),
                prop::collection::vec(ev, 0..=40),
            )
        })
        .prop_map(|(stages, maxspan, raw)| {
            let mut ts = 0;
            let events = raw
                .into_iter()
                .map(|(gap, per_stage, until, bump)| {
                    ts += gap;
                    Ev {
                        ts,
                        stages: per_stage
                            .into_iter()
                            .enumerate()
                            .filter_map(|(s, k)| k.filter(|k| !k.is_empty()).map(|k| (s, k)))
                            .collect(),
                        until: until.unwrap_or_default(),
                        bump,
                    }
                })
                .collect();
            Case {
                stages,
                maxspan,
                events,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn matcher_equals_the_naive_model(c in case()) {
        let expected = model(&c);
        let (before_flush, all) = engine(&c);
        prop_assert_eq!(&all, &expected);
        prop_assert!(before_flush.len() <= all.len());
        prop_assert_eq!(&before_flush[..], &all[..before_flush.len()]);
    }
}

/// A hand-made case the generator hits rarely: many keys, many overwrites, ties.
#[test]
fn model_agrees_on_a_long_dense_stream() {
    let stages = vec![
        StageKind::Missing,
        StageKind::Positive,
        StageKind::Positive,
        StageKind::Missing,
        StageKind::Positive,
        StageKind::Missing,
    ];
    let mut events = Vec::new();
    let mut state = 0x2545_f491_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut ts = 0;
    for _ in 0..3000 {
        ts += (next() % 3) as i64;
        let mut per_stage = Vec::new();
        for s in 0..stages.len() {
            if next() % 3 == 0 {
                per_stage.push((s, vec![(next() % 5) as Key]));
            }
        }
        let until = if next() % 11 == 0 {
            vec![(next() % 5) as Key]
        } else {
            vec![]
        };
        let bump = (next() % 4 == 0).then(|| (next() % 5) as i64);
        events.push(Ev {
            ts,
            stages: per_stage,
            until,
            bump,
        });
    }
    let case = Case {
        stages,
        maxspan: Some(6),
        events,
    };
    let expected = model(&case);
    let (_, all) = engine(&case);
    assert!(!expected.is_empty());
    assert_eq!(all, expected);
}
