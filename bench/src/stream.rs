//! The benchmark's stream (BENCHMARKS.md, "The stream"): realistic ECS NDJSON from
//! `streamgen`, made benign, with matches planted at a known share.
//!
//! 1. **Background**: `streamgen` events, with the literals the rules test mixed in as a
//!    rare vocabulary (0.2% of the events that have such a field get one of the rules'
//!    values for it: near misses, mostly), so the index and the rules work as on real
//!    data.
//! 2. **Benign**: the background runs through the compiled rule set; every event that
//!    took part in an alert is removed, and again until nothing alerts. Stage hits that
//!    complete nothing (the first event of a sequence that never follows) stay: they are
//!    the everyday work of a detection engine.
//! 3. **Planted**: for one event in a thousand (`PLANT_SHARE`), a matching case that
//!    `rule_compiler::gen` generated from a rule (rules taken in turn, every
//!    `rules / plants`-th) is spliced in at an even spacing, its events' timestamps moved
//!    to the stream's clock (their gaps kept). The expected alerts are the plants'.
//!
//! The run then checks that the compiled and interpreted alerts are identical and that
//! every plant alerted.

use std::collections::{HashMap, HashSet};

use rule_compiler::codegen::GenRule;
use rule_compiler::gen::{generate, CaseKind, GenOptions};
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::index::AtomKind;
use rule_runtime::options::MatcherOptions;
use rule_runtime::ruleset::{RuleSet, RuleSetSpec};
use rule_runtime::stream::{CompiledBackend, LineReader, Scanner};
use rule_runtime::time::{format_millis, parse_timestamp};
use serde_json::Value as Json;

/// The stream's seed: change it for another stream.
pub const SEED: u64 = 0xEC5_2026;

/// The share of the events having a field the rules test that get one of the rules'
/// values for it.
pub const RARE_SHARE: f64 = 0.002;

/// Planted matching cases per event of the stream.
pub const PLANT_SHARE: f64 = 0.001;

/// The reorder window the stream is checked with (as the benchmark runs it).
const WINDOW_MS: u64 = 5_000;

/// Values the rules look for, per field: exact literals, and patterns with their
/// wildcards filled (`*` → nothing, `?` → `a`). At most `per_field` per field.
pub fn rare_vocabulary(spec: &RuleSetSpec, per_field: usize) -> Vec<(String, Vec<String>)> {
    let mut by_field: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for atom in spec.atoms {
        let value = match atom.kind {
            AtomKind::Text | AtomKind::Folded | AtomKind::Ip | AtomKind::Number => {
                atom.literal.to_string()
            }
            AtomKind::Like | AtomKind::LikeFolded => {
                atom.literal.replace('*', "").replace('?', "a")
            }
            AtomKind::Category | AtomKind::Bool => continue,
        };
        if value.is_empty() {
            continue;
        }
        let Some(field) = spec.fields.get(atom.slot as usize) else {
            continue;
        };
        let list = by_field.entry(field).or_default();
        if list.len() < per_field && !list.contains(&value) {
            list.push(value);
        }
    }
    by_field
        .into_iter()
        .map(|(f, v)| (f.to_string(), v))
        .collect()
}

/// The stream and what it holds.
pub struct Stream {
    pub bytes: Vec<u8>,
    /// Background events removed because they took part in an alert.
    pub removed: usize,
    /// (rule id, number of events) of each planted case.
    pub planted: Vec<(String, usize)>,
}

/// The lines of `bytes` that took part in an alert of the compiled rule set.
fn alerting_lines(spec: &'static RuleSetSpec, bytes: &[u8]) -> Result<HashSet<String>, String> {
    let config = EngineConfig::with_window(WINDOW_MS);
    let set = RuleSet::all(spec, &config.time);
    let states = set.states(&MatcherOptions::default())?;
    let mut scanner = Scanner::new(CompiledBackend::new(set), Engine::new(config, states));
    let mut reader = LineReader::new(bytes);
    let mut lines = HashSet::new();
    let mut take = |scanner: &mut Scanner<CompiledBackend>| {
        for a in scanner.drain_alerts() {
            for e in a.events.iter().flatten() {
                lines.insert(e.to_string());
            }
        }
    };
    while let Ok(Some(line)) = reader.next_line() {
        let _ = scanner.push(line);
        take(&mut scanner);
    }
    scanner.flush();
    take(&mut scanner);
    Ok(lines)
}

/// `n` events of the benchmark stream (about: planted cases add their events).
pub fn build(spec: &'static RuleSetSpec, rules: &[GenRule], n: usize) -> Result<Stream, String> {
    let config = streamgen::Config {
        seed: SEED,
        rare: rare_vocabulary(spec, 64),
        rare_share: RARE_SHARE,
        ..streamgen::Config::default()
    };
    let mut generator = streamgen::Generator::new(config);
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut removed = 0;
    // Benign: drop what alerts, refill, until a round removes nothing.
    for _round in 0..8 {
        while lines.len() < n {
            let mut line = Vec::new();
            generator.next_event(&mut line);
            lines.push(line);
        }
        let bytes = lines.join(&b'\n');
        let alerting = alerting_lines(spec, &bytes)?;
        if alerting.is_empty() {
            break;
        }
        let before = lines.len();
        lines.retain(|l| !alerting.contains(std::str::from_utf8(l).unwrap_or("")));
        removed += before - lines.len();
    }
    // Planted: generated matching cases, their first events spread evenly; each event is
    // placed where the background's clock reaches its timestamp.
    let times: Vec<i64> = lines.iter().map(|l| line_time(l).unwrap_or(0)).collect();
    let plants = ((n as f64 * PLANT_SHARE).round() as usize).min(rules.len());
    let mut planted = Vec::new();
    let mut inserts: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    let by_file: HashMap<&str, &GenRule> = rules.iter().map(|r| (r.file.as_str(), r)).collect();
    for k in 0..plants {
        let Some(rule) = spec
            .rules
            .get(k * spec.rules.len() / plants.max(1))
            .and_then(|r| by_file.get(r.file))
        else {
            continue;
        };
        let generated = generate(
            &rule.ir,
            &GenOptions {
                seed: SEED ^ k as u64,
                max_branches: 4,
                near_misses: false,
            },
        );
        let Some(case) = generated.cases.iter().find(|c| c.kind == CaseKind::Match) else {
            continue;
        };
        let at = (k * 2 + 1) * times.len() / (plants * 2).max(1);
        let base = times.get(at).copied().unwrap_or(0);
        let first = case.events.first().and_then(event_time).unwrap_or(0);
        for e in &case.events {
            let mut e = e.clone();
            let t = event_time(&e).unwrap_or(first) - first + base;
            if let Json::Object(m) = &mut e {
                m.insert("@timestamp".into(), Json::from(format_millis(t)));
            }
            let pos = times.partition_point(|&x| x <= t);
            inserts.push((pos, inserts.len(), e.to_string().into_bytes()));
        }
        planted.push((rule.info.id.clone(), case.events.len()));
    }
    // Splice from the back so earlier positions stay valid (events of one position in
    // the order they were planted).
    inserts.sort_by_key(|t| std::cmp::Reverse((t.0, t.1)));
    for (pos, _, line) in inserts {
        let pos = pos.min(lines.len());
        lines.insert(pos, line);
    }
    let mut bytes = lines.join(&b'\n');
    bytes.push(b'\n');
    Ok(Stream {
        bytes,
        removed,
        planted,
    })
}

fn event_time(e: &Json) -> Option<i64> {
    parse_timestamp(e.get("@timestamp")?.as_str()?)
}

fn line_time(line: &[u8]) -> Option<i64> {
    let e: Json = serde_json::from_slice(line).ok()?;
    event_time(&e)
}
