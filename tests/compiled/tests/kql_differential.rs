//! Differential test of the KQL front end: the compiled matchers of `kql_rules/`
//! (`compiled_tests::kql`, generated at build time) and the reference interpreter (built
//! at test time from the same files) must give identical alerts on random events, and
//! every rule must alert on some of them.
//!
//! Events are drawn per field from the rules' own example values (what each KQL leaf
//! accepts, `rule_compiler::kql::example_values`) and from mutations of them that sit on
//! the edges the KQL leaves care about: other case, a prefix or suffix, values over
//! `ignore_above` (1,024 UTF-16 units), numbers as strings, arrays, `null`, `[]`, `""`,
//! booleans, addresses, and objects written with dotted keys.

use compiled_tests::kql;
use compiled_tests::plant::{self, Rng};
use rule_compiler::codegen::rules_from_dir;
use rule_compiler::interpreter::{InterpretedRule, InterpretedRules, InterpreterBackend};
use rule_compiler::ir::{Cond, Leaf};
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::options::MatcherOptions;
use rule_runtime::output::alert_to_json;
use rule_runtime::ruleset::RuleSet;
use rule_runtime::stream::{CompiledBackend, Line, Scanner};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// Random events per case, and cases.
const EVENTS: usize = 40;
const CASES: u64 = 150;

fn leaves<'a>(c: &'a Cond, out: &mut Vec<&'a Leaf>) {
    match c {
        Cond::Const(_) => {}
        Cond::Not(x) => leaves(x, out),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| leaves(x, out)),
        Cond::Leaf(l) => out.push(l),
    }
}

/// Candidate values per field path: the rules' example values and their mutations.
fn pools(rules: &[rule_compiler::codegen::GenRule]) -> BTreeMap<String, Vec<Json>> {
    let mut pools: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for r in rules {
        for f in r.ir.filters() {
            let mut ls = Vec::new();
            leaves(&f.condition, &mut ls);
            for l in ls {
                let Leaf::Kql { field, test } = l else {
                    panic!("a KQL rule has only KQL leaves")
                };
                let path = r.ir.fields[*field as usize].clone();
                let pool = pools.entry(path).or_default();
                for v in rule_compiler::kql::example_values(test) {
                    let mut more = vec![v.clone()];
                    if let Some(s) = v.as_str() {
                        more.push(json!(s.to_uppercase()));
                        more.push(json!(format!("x{s}")));
                        more.push(json!(format!("{s} tail")));
                        more.push(json!(format!("{s}{}", "a".repeat(1025))));
                        if let Ok(n) = s.parse::<i64>() {
                            more.push(json!(n));
                        }
                    }
                    if let Some(n) = v.as_i64() {
                        more.push(json!(n.to_string()));
                        more.push(json!(n + 1));
                        more.push(json!(n - 1));
                        more.push(json!(n as f64 + 0.5));
                    }
                    for m in more {
                        if !pool.contains(&m) {
                            pool.push(m);
                        }
                    }
                }
            }
        }
    }
    let generic = [
        json!(null),
        json!([]),
        json!(""),
        json!(true),
        json!("true"),
        json!(7),
        json!("10.0.0.1"),
        json!("😀".repeat(513)),
        json!("other value"),
    ];
    for pool in pools.values_mut() {
        pool.extend(generic.iter().cloned());
    }
    pools
}

/// Sets `path` in `event`, as nested objects or as one dotted key.
fn put(event: &mut Map<String, Json>, path: &str, v: Json, dotted: bool) {
    if dotted {
        event.insert(path.to_string(), v);
        return;
    }
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or(path);
    let mut node = event;
    for p in parts {
        let entry = node
            .entry(p.to_string())
            .or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        node = entry.as_object_mut().expect("object");
    }
    node.insert(last.to_string(), v);
}

fn random_event(pools: &BTreeMap<String, Vec<Json>>, rng: &mut Rng, n: usize) -> Json {
    let mut e = Map::new();
    e.insert("@timestamp".into(), json!(1_700_000_000_000i64 + n as i64));
    for (path, pool) in pools {
        if !rng.chance(2, 3) {
            continue;
        }
        let v = if rng.chance(1, 5) {
            let k = 1 + rng.below(3);
            Json::Array((0..k).map(|_| rng.pick(pool).clone()).collect())
        } else {
            rng.pick(pool).clone()
        };
        let dotted = rng.chance(1, 4);
        put(&mut e, path, v, dotted);
    }
    Json::Object(e)
}

#[test]
fn compiled_and_interpreted_kql_rules_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("kql_rules");
    let (rules, _) = rules_from_dir(&dir).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    assert!(rules.len() >= 8, "kql_rules/ holds the test rules");
    let pools = pools(&rules);
    let options = plant::interpreter_options();
    let config = EngineConfig {
        time: plant::time_fields(),
        ..EngineConfig::default()
    };
    let mut alerted: BTreeSet<String> = BTreeSet::new();
    for seed in 0..CASES {
        let mut rng = Rng::new(seed);
        let events: Vec<Json> = (0..EVENTS)
            .map(|n| random_event(&pools, &mut rng, n))
            .collect();
        let interp = InterpretedRules::new(
            rules
                .iter()
                .map(|r| {
                    InterpretedRule::new(&r.ir, Arc::new(r.info.clone()), &options)
                        .unwrap_or_else(|e| panic!("{}: {e}", r.file))
                })
                .collect(),
            options.clone(),
        );
        let states = interp.states().expect("interpreter states");
        let mut a = Scanner::new(
            InterpreterBackend::new(interp, config.time.clone()),
            Engine::new(config.clone(), states),
        );
        let set = RuleSet::new(&kql::RULE_SET, |_| true, &config.time);
        let states = set
            .states(&MatcherOptions::default())
            .expect("compiled states");
        let mut b = Scanner::new(
            CompiledBackend::new(set),
            Engine::new(config.clone(), states),
        );
        for e in &events {
            let line = e.to_string();
            let ra = a.push(Line::Text(&line));
            let rb = b.push(Line::Text(&line));
            assert_eq!(
                ra, rb,
                "the back ends disagree on whether {line} is an event"
            );
            let xa: Vec<Json> = a.drain_alerts().map(|x| alert_to_json(&x)).collect();
            let xb: Vec<Json> = b.drain_alerts().map(|x| alert_to_json(&x)).collect();
            if xa != xb {
                let ids = |xs: &[Json]| -> Vec<String> {
                    xs.iter().map(|x| x["rule"]["id"].to_string()).collect()
                };
                let shown: String = line.chars().take(2000).collect();
                panic!(
                    "seed {seed}: interpreter alerts {:?}, compiled alerts {:?} on {shown}",
                    ids(&xa),
                    ids(&xb)
                );
            }
            for x in &xa {
                alerted.insert(x["rule"]["id"].as_str().unwrap_or("").to_string());
            }
        }
    }
    let never: Vec<&str> = rules
        .iter()
        .map(|r| r.info.id.as_str())
        .filter(|id| !alerted.contains(*id))
        .collect();
    assert!(never.is_empty(), "rules that never alerted: {never:?}");
}
