//! Perturbations of a case's events that must not change what a rule raises, for the
//! property tests (`tests/properties.rs`):
//!
//! * [`add_noise_fields`]: fields the rule does not read, with values of every JSON
//!   type (arrays included);
//! * [`wrap_in_arrays`]: a scalar value `v` becomes `[v]` or `[v, v]` (a multi-valued
//!   field with that one value, as Elasticsearch indexes it);
//! * [`flip_case`]: the letters of values of fields the rule compares only
//!   case-insensitively (`:`, `like~`, `in~`) flipped;
//! * [`shadow`]: a copy of the case with other join-key values, interleaved 1 ms after
//!   each original event: another entity doing the same thing must not change the
//!   original's alerts.

use std::collections::BTreeSet;

use rule_compiler::ir::{Cond, Leaf, QueryIr, RuleIr, ValueIr};
use rule_runtime::time::{format_millis, parse_timestamp};
use serde_json::{Map, Value as Json};

use crate::spec::TIMESTAMP;

/// The generator's deterministic PRNG (SplitMix64), so a failing seed reproduces.
pub use rule_compiler::gen::rng::Rng;

/// The prefix of every noise field (no rule reads it).
pub const NOISE_PREFIX: &str = "eqlc_noise";

/// Adds fields under [`NOISE_PREFIX`] to every event: strings (non-ASCII and escapes
/// included), numbers, booleans, nulls, arrays, nested objects, dotted keys.
pub fn add_noise_fields(events: &[Json], rng: &mut Rng) -> Vec<Json> {
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Json::Object(m) = &mut e {
                let n = 1 + rng.below(3);
                for k in 0..n {
                    let value = noise_value(rng, 2);
                    if rng.one_in(2) {
                        m.insert(format!("{NOISE_PREFIX}.f{k}"), value);
                    } else {
                        let entry = m
                            .entry(NOISE_PREFIX.to_string())
                            .or_insert_with(|| Json::Object(Map::new()));
                        if let Json::Object(inner) = entry {
                            inner.insert(format!("g{k}"), value);
                        }
                    }
                }
            }
            e
        })
        .collect()
}

fn noise_value(rng: &mut Rng, depth: usize) -> Json {
    match rng.below(if depth == 0 { 5 } else { 7 }) {
        0 => Json::from(
            [
                "cmd.exe",
                "Ünïcødé ✓",
                "a \"quoted\" \\ path",
                "",
                "C:\\Windows",
            ][rng.below(5)],
        ),
        1 => Json::from(rng.below(1_000_000) as i64 - 500_000),
        2 => Json::from(rng.below(1000) as f64 / 7.0),
        3 => Json::Bool(rng.one_in(2)),
        4 => Json::Null,
        5 => Json::Array(
            (0..rng.below(4))
                .map(|_| noise_value(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut m = Map::new();
            m.insert("x".into(), noise_value(rng, depth - 1));
            Json::Object(m)
        }
    }
}

/// Wraps some scalar values (never `@timestamp`) in one- or two-element arrays of
/// themselves.
pub fn wrap_in_arrays(events: &[Json], rng: &mut Rng) -> Vec<Json> {
    fn walk(v: &mut Json, rng: &mut Rng, top: bool) {
        match v {
            Json::Object(m) => {
                for (k, child) in m.iter_mut() {
                    if top && k == TIMESTAMP {
                        continue;
                    }
                    match child {
                        Json::String(_) | Json::Number(_) | Json::Bool(_) if rng.one_in(2) => {
                            let single = child.clone();
                            *child = if rng.one_in(2) {
                                Json::Array(vec![single])
                            } else {
                                Json::Array(vec![single.clone(), single])
                            };
                        }
                        _ => walk(child, rng, false),
                    }
                }
            }
            Json::Array(items) => items.iter_mut().for_each(|i| walk(i, rng, false)),
            _ => {}
        }
    }
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            walk(&mut e, rng, true);
            e
        })
        .collect()
}

/// The fields a rule reads only through case-insensitive comparisons of the field
/// itself (`f : "x"`, `f like~ …`, `f in~ (…)`), and not as a join key or anywhere
/// else.
pub fn case_free_fields(rule: &RuleIr) -> BTreeSet<String> {
    let mut insensitive = BTreeSet::new();
    let mut other = BTreeSet::new();
    for f in rule.filters() {
        visit_cond(&f.condition, &mut insensitive, &mut other);
    }
    match &rule.query {
        QueryIr::Event(_) => {}
        QueryIr::Sequence(s) => {
            for st in s.stages.iter().chain(s.until.iter()) {
                other.extend(st.keys.iter().map(|k| k.field));
            }
        }
        QueryIr::Sample(s) => {
            for st in &s.stages {
                other.extend(st.keys.iter().map(|k| k.field));
            }
        }
    }
    other.insert(rule.category_field);
    insensitive
        .difference(&other)
        .filter_map(|&f| rule.fields.get(f as usize).cloned())
        .collect()
}

fn visit_cond(c: &Cond, ins: &mut BTreeSet<u32>, other: &mut BTreeSet<u32>) {
    match c {
        Cond::Const(_) => {}
        Cond::Not(x) => visit_cond(x, ins, other),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| visit_cond(x, ins, other)),
        Cond::Leaf(l) => match l {
            Leaf::Wildcard {
                value: ValueIr::Field(f),
                insensitive: true,
                ..
            }
            | Leaf::InSet {
                value: ValueIr::Field(f),
                insensitive: true,
                ..
            } => {
                ins.insert(*f);
            }
            Leaf::Compare { lhs, rhs, .. } => {
                visit_value(lhs, ins, other);
                visit_value(rhs, ins, other);
            }
            Leaf::IsNull(v)
            | Leaf::Truthy(v)
            | Leaf::Wildcard { value: v, .. }
            | Leaf::Regex { value: v, .. }
            | Leaf::InSet { value: v, .. } => visit_value(v, ins, other),
            Leaf::Kql { field, .. } => {
                other.insert(*field);
            }
        },
    }
}

fn visit_value(v: &ValueIr, ins: &mut BTreeSet<u32>, other: &mut BTreeSet<u32>) {
    match v {
        ValueIr::Lit(_) => {}
        ValueIr::Field(f) => {
            other.insert(*f);
        }
        ValueIr::Neg(x) => visit_value(x, ins, other),
        ValueIr::Arith { lhs, rhs, .. } => {
            visit_value(lhs, ins, other);
            visit_value(rhs, ins, other);
        }
        ValueIr::Call { args, .. } => args.iter().for_each(|a| visit_value(a, ins, other)),
        ValueIr::Cond(c) => visit_cond(c, ins, other),
    }
}

/// Flips the ASCII letters of the string values at `fields` (dotted paths, nested or
/// dotted in the event), each value with probability 1/2.
pub fn flip_case(events: &[Json], fields: &BTreeSet<String>, rng: &mut Rng) -> Vec<Json> {
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            for f in fields {
                for_each_value_mut(&mut e, f, &mut |v| {
                    if let Json::String(s) = v {
                        if rng.one_in(2) {
                            *s = s
                                .chars()
                                .map(|c| {
                                    if c.is_ascii_lowercase() {
                                        c.to_ascii_uppercase()
                                    } else {
                                        c.to_ascii_lowercase()
                                    }
                                })
                                .collect();
                        }
                    }
                });
            }
            e
        })
        .collect()
}

/// Calls `f` on every value at a dotted path (nested objects, dotted keys, arrays).
pub fn for_each_value_mut(node: &mut Json, path: &str, f: &mut dyn FnMut(&mut Json)) {
    match node {
        Json::Array(items) => items
            .iter_mut()
            .for_each(|i| for_each_value_mut(i, path, f)),
        Json::Object(map) => {
            if let Some(v) = map.get_mut(path) {
                leaves_mut(v, f);
            }
            let splits: Vec<usize> = path.match_indices('.').map(|(i, _)| i).collect();
            for i in splits {
                if let Some(child) = map.get_mut(&path[..i]) {
                    for_each_value_mut(child, &path[i + 1..], f);
                }
            }
        }
        _ => {}
    }
}

fn leaves_mut(v: &mut Json, f: &mut dyn FnMut(&mut Json)) {
    match v {
        Json::Array(items) => items.iter_mut().for_each(|i| leaves_mut(i, f)),
        other => f(other),
    }
}

/// The join-key fields of a rule (every stage's, `until` included); empty for an event
/// query.
pub fn key_fields(rule: &RuleIr) -> BTreeSet<String> {
    let ids: Vec<u32> = match &rule.query {
        QueryIr::Event(_) => Vec::new(),
        QueryIr::Sequence(s) => s
            .stages
            .iter()
            .chain(s.until.iter())
            .flat_map(|st| st.keys.iter().map(|k| k.field))
            .collect(),
        QueryIr::Sample(s) => s
            .stages
            .iter()
            .flat_map(|st| st.keys.iter().map(|k| k.field))
            .collect(),
    };
    ids.into_iter()
        .filter_map(|f| rule.fields.get(f as usize).cloned())
        .collect()
}

/// A copy of `events` with every join-key value changed (strings suffixed, numbers
/// offset), interleaved 1 ms after each original; `None` when the rule has no join
/// keys, an event lacks a key value or a timestamp, or a key field is also tested by a
/// condition (changing it could change more than the key). The originals keep their
/// relative order; the result lists `(original index or None, event)` in time order.
pub fn shadow(rule: &RuleIr, events: &[Json]) -> Option<Vec<(Option<usize>, Json)>> {
    let keys = key_fields(rule);
    if keys.is_empty() {
        return None;
    }
    let mut in_conditions = BTreeSet::new();
    let mut scratch = BTreeSet::new();
    for f in rule.filters() {
        visit_cond(&f.condition, &mut scratch, &mut in_conditions);
    }
    let tested: BTreeSet<String> = in_conditions
        .iter()
        .chain(scratch.iter())
        .filter_map(|&f| rule.fields.get(f as usize).cloned())
        .collect();
    if keys.iter().any(|k| tested.contains(k)) {
        return None;
    }
    let mut out = Vec::with_capacity(events.len() * 2);
    for (i, e) in events.iter().enumerate() {
        let ts = e.get(TIMESTAMP)?.as_str().and_then(parse_timestamp)?;
        let mut copy = e.clone();
        for k in &keys {
            let mut found = false;
            let mut ok = true;
            for_each_value_mut(&mut copy, k, &mut |v| {
                found = true;
                match v {
                    Json::String(s) => s.push_str("-shadow"),
                    Json::Number(n) => match n.as_i64() {
                        Some(x) => *v = Json::from(x.wrapping_add(7_777_777)),
                        None => ok = false,
                    },
                    _ => ok = false,
                }
            });
            if !found || !ok {
                return None;
            }
        }
        if let Json::Object(m) = &mut copy {
            m.insert(TIMESTAMP.into(), Json::String(format_millis(ts + 1)));
        }
        out.push((Some(i), e.clone()));
        out.push((None, copy));
    }
    // Keep time order: the copies 1 ms after their originals.
    out.sort_by_key(|(_, e)| {
        e.get(TIMESTAMP)
            .and_then(Json::as_str)
            .and_then(parse_timestamp)
            .unwrap_or(i64::MIN)
    });
    Some(out)
}
