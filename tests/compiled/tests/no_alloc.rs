//! An event that hits no rule costs no allocation once buffers have grown: the whole
//! compiled path (line reader, JSON projector, the rule set's index and rule functions,
//! the engine's reorder window) over events that make no stage of any rule true, counted
//! with a global allocator on this test's thread.
//!
//! The rule set is the differential one (`rules/` and the random rules) without the rules
//! that call string-building functions (`concat`, `substring`, `string`, `between`),
//! whose results are new strings (DESIGN.md, "Performance model"). The events are drawn
//! from the rules' own vocabulary, so many of them make required atoms true and run rule
//! functions (asserted), and only those that then hit no stage are kept.

use compiled_tests::differential;
use compiled_tests::plant::{self, Pool, Rng};
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::fields::Fields;
use rule_runtime::json::JsonProjector;
use rule_runtime::options::MatcherOptions;
use rule_runtime::ruleset::RuleSet;
use rule_runtime::state::SetHits;
use rule_runtime::stream::{CompiledBackend, LineReader, Scanner};
use serde_json::{Map, Value as Json};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator may run while thread locals are torn down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: forwards every call to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    COUNT.with(Cell::get)
}

/// Files of rules whose query calls a string-building function.
fn string_building_rules() -> Vec<String> {
    let listing: Json =
        serde_json::from_str(compiled_tests::RANDOM_RULES_JSON).expect("random_rules.json");
    listing["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| {
            let q = r["query"].as_str().unwrap_or_default();
            ["concat(", "substring(", "string(", "between("]
                .iter()
                .any(|f| q.contains(f))
        })
        .map(|r| r["file"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn an_event_that_hits_nothing_allocates_nothing() {
    let excluded = string_building_rules();
    let config = EngineConfig {
        time: plant::time_fields(),
        reorder_window_ms: 5_000,
    };
    let set = || {
        RuleSet::new(
            &differential::RULE_SET,
            |r| !excluded.iter().any(|f| f == r.file),
            &config.time,
        )
    };
    let probe = set();
    assert!(probe.len() > 50, "only {} rules selected", probe.len());

    // Events from the rules' vocabulary, kept when they hit no stage of any rule.
    let listing: Json = serde_json::from_str(compiled_tests::RANDOM_RULES_JSON).unwrap();
    let irs: Vec<rule_compiler::ir::RuleIr> = listing["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = r["query"].as_str().unwrap_or_default();
            let q = rule_compiler::parse_query(text).expect("random rule parses");
            rule_compiler::ir::lower_query("r", "r", "r", plant::CATEGORY_FIELD, &q)
                .expect("random rule lowers")
        })
        .collect();
    let pool = Pool::new(irs.iter());
    let fields: Vec<String> = pool.fields.keys().cloned().collect();
    let mut rng = Rng::new(0xA110C);
    let mut projector = JsonProjector::new();
    let mut scratch_fields = Fields::new();
    let mut scratch = probe.scratch();
    let mut hits = SetHits::new();
    let mut kept_events: Vec<(i64, Map<String, Json>)> = Vec::new();
    let mut kept = 0;
    let mut candidates = 0usize;
    let mut ts = 1_700_000_000_000i64;
    for _ in 0..20_000 {
        if kept == 500 {
            break;
        }
        let mut m = Map::new();
        for f in &fields {
            if f == plant::TIMESTAMP_FIELD || f == plant::TIEBREAKER_FIELD || !rng.chance(1, 3) {
                continue;
            }
            let vals = pool.values(f);
            m.insert(f.clone(), rng.pick(&vals).clone());
        }
        ts += 1 + rng.below(50) as i64;
        m.insert(plant::TIMESTAMP_FIELD.into(), Json::from(ts));
        let line = Json::Object(m).to_string();
        projector
            .project(&line, probe.table(), &mut scratch_fields)
            .expect("a JSON object");
        probe.evaluate(scratch_fields.view(&line), &mut scratch, &mut hits);
        if hits.is_empty() {
            candidates += RuleSet::candidates(&scratch);
            let Ok(Json::Object(m)) = serde_json::from_str::<Json>(&line) else {
                unreachable!("the line was built from a map")
            };
            kept_events.push((ts, m));
            kept += 1;
        }
    }
    assert_eq!(kept, 500, "not enough events that hit nothing");
    assert!(
        candidates > 100,
        "the events ran only {candidates} rule functions: the test would not exercise them"
    );

    let rules = set();
    let states = rules.states(&MatcherOptions::default()).unwrap();
    let mut scanner = Scanner::new(CompiledBackend::new(rules), Engine::new(config, states));
    // Three passes over the events, each later in time than the one before (so every
    // event goes through the reorder window, none is late), read by one line reader;
    // allocations are counted during the third.
    let mut bytes = Vec::new();
    for k in 0..3i64 {
        for (ts, m) in &kept_events {
            let mut m = m.clone();
            m.insert(
                plant::TIMESTAMP_FIELD.into(),
                Json::from(ts + k * 1_000_000_000),
            );
            bytes.extend_from_slice(Json::Object(m).to_string().as_bytes());
            bytes.push(b'\n');
        }
    }
    let mut reader = LineReader::new(&bytes[..]);
    for _ in 0..2 * kept {
        let line = reader.next_line().expect("in memory").expect("a line");
        scanner.push(line).expect("an event");
    }
    let n = allocations(|| {
        while let Ok(Some(line)) = reader.next_line() {
            scanner.push(line).expect("an event");
        }
    });
    assert_eq!(scanner.stats().events, 3 * kept as u64);
    assert_eq!(scanner.engine().stats().late, 0);
    assert_eq!(n, 0, "{n} allocations for {kept} events that hit nothing");
    assert_eq!(scanner.drain_alerts().count(), 0);
}
