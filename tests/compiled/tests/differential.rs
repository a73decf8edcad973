//! Differential property test: the compiled matchers (`compiled_tests::differential`,
//! generated at build time from `rules/` and the random rules) and the reference
//! interpreter (built at test time from the same query texts) must produce identical
//! alert streams on random event streams, and every rule must alert somewhere.
//!
//! Each case is a seed; the stream it gives (see [`stream`]) is ~30 random events drawn
//! from the rules' own values plus 1–4 planted attack patterns (events the planter of
//! `src/plant.rs` derived from a rule's IR and checked alone with the interpreter). On a
//! disagreement the test shrinks the case itself (one rule, then events removed one at a
//! time while the engines still disagree) and reports the minimal rule and events.

use compiled_tests::differential;
use compiled_tests::plant::{self, Assignment, Planter, Pool, Rng};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rule_compiler::codegen::rules_from_dir;
use rule_compiler::interpreter::{InterpretedRule, InterpretedRules, InterpreterBackend};
use rule_compiler::ir::RuleIr;
use rule_runtime::alert::{Alert, RuleInfo};
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::event::EventJson;
use rule_runtime::options::MatcherOptions;
use rule_runtime::output::alert_to_json;
use rule_runtime::ruleset::RuleSet;
use rule_runtime::stream::{CompiledBackend, Line, Scanner};
use rule_runtime::time::format_millis;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Cases of the property test.
const CASES: u32 = 200;
/// Verified plants kept per rule (each case re-randomises their JSON shape and time).
const PLANTS_PER_RULE: usize = 6;
/// Gaps between random events (ms): ties, small steps, and values around the random
/// rules' maxspans (10 ms, 50 ms, 100 ms, 1 s) and the seed rule's (1 min).
const GAPS: &[i64] = &[
    0, 0, 0, 1, 1, 2, 5, 9, 10, 11, 49, 50, 51, 99, 100, 101, 999, 1000, 1001, 59_999, 60_000,
    60_001,
];

/// One rule of the set, in the generated order.
struct Rule {
    file: String,
    ir: RuleIr,
    info: RuleInfo,
    query: String,
}

/// An alert as compared: (rule id, everything else as text).
type Record = (String, String);

/// Everything the cases share.
struct Ctx {
    rules: Vec<Rule>,
    pool: Pool,
    /// Field paths random events draw from.
    fields: Vec<String>,
    plants: Vec<Vec<Vec<Assignment>>>,
}

fn random_info(id: &str, name: &str) -> RuleInfo {
    RuleInfo {
        id: id.to_string(),
        name: name.to_string(),
        version: Some(1),
        severity: "low".into(),
        risk_score: Some(21),
        ..RuleInfo::default()
    }
}

/// The rules in the order of the generated `RULES`, rebuilt from the rule files and the
/// random rules' query texts (their IR checked against what the build script generated
/// from).
fn load_rules() -> Vec<Rule> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (dir_rules, _) = rules_from_dir(&root.join("rules"))
        .unwrap_or_else(|e| panic!("rules/ does not compile: {}", e.join("\n")));
    let mut by_file: BTreeMap<String, Rule> = BTreeMap::new();
    for r in dir_rules {
        by_file.insert(
            r.file.clone(),
            Rule {
                file: r.file,
                ir: r.ir,
                info: r.info,
                query: r.query,
            },
        );
    }
    let listing: Json =
        serde_json::from_str(compiled_tests::RANDOM_RULES_JSON).expect("random_rules.json");
    for r in listing["rules"].as_array().expect("rules") {
        let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        let (id, name, file, text) = (s("id"), s("name"), s("file"), s("query"));
        let query = rule_compiler::parse_query(&text).expect("random rule parses");
        let stem = file.trim_end_matches(".eql");
        let ir = rule_compiler::ir::lower_query(&id, &name, stem, plant::CATEGORY_FIELD, &query)
            .expect("random rule lowers");
        assert_eq!(
            serde_json::to_value(&ir).expect("IR serialises"),
            r["ir"],
            "{file}: the IR lowered at test time differs from the build script's"
        );
        by_file.insert(
            file.clone(),
            Rule {
                file,
                ir,
                info: random_info(&id, &name),
                query: text,
            },
        );
    }
    let rules: Vec<Rule> = differential::RULES
        .iter()
        .map(|s| {
            by_file
                .remove(s.file)
                .unwrap_or_else(|| panic!("generated rule {} has no source", s.file))
        })
        .collect();
    assert!(by_file.is_empty(), "not generated: {:?}", by_file.keys());
    rules
}

/// The events of the alerting cases of `rules/<stem>.test.yaml`, as plants.
fn stream_plants(file: &str) -> Vec<Vec<plant::Assignment>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let path = rule_test::spec::test_file_of(&root.join(file));
    let Ok(tf) = rule_test::spec::load(&path) else {
        return Vec::new();
    };
    tf.cases
        .iter()
        .filter_map(|c| match &c.expect {
            rule_test::spec::Expectation::Exact(alerts) if alerts.len() == 1 => {
                Some((c, &alerts[0]))
            }
            _ => None,
        })
        .filter(|(_, alert)| alert.iter().all(Option::is_some))
        .take(PLANTS_PER_RULE)
        .map(|(c, alert)| {
            alert
                .iter()
                .flatten()
                .map(|&i| {
                    let json: Json = serde_json::from_str(&c.lines[i]).unwrap_or(Json::Null);
                    plant::assignment_of(&json)
                })
                .collect()
        })
        .collect()
}

fn ctx() -> Ctx {
    let rules = load_rules();
    let pool = Pool::new(rules.iter().map(|r| &r.ir));
    let mut fields: Vec<String> = pool.fields.keys().cloned().collect();
    fields.retain(|f| f != plant::TIMESTAMP_FIELD && f != plant::TIEBREAKER_FIELD);
    let plants = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let planter = Planter::new(&r.ir, &pool);
            let mut rng = Rng::new(0xC0FFEE ^ i as u64);
            let mut plants: Vec<_> = (0..PLANTS_PER_RULE * 3)
                .filter_map(|_| planter.plant(&mut rng, 20))
                .take(PLANTS_PER_RULE)
                .collect();
            if plants.is_empty() {
                // What the planter cannot solve, the rule's event generator may have:
                // its matching cases (verified by the interpreter) as plants.
                let generated = rule_compiler::gen::generate(
                    &r.ir,
                    &rule_compiler::gen::GenOptions {
                        near_misses: false,
                        ..Default::default()
                    },
                );
                plants = generated
                    .matches()
                    .take(PLANTS_PER_RULE)
                    .map(|c| c.events.iter().map(plant::assignment_of).collect())
                    .collect();
            }
            if plants.is_empty() {
                // Last, a rule of rules/ has its test stream: its alerting cases.
                plants = stream_plants(&r.file);
            }
            assert!(
                !plants.is_empty(),
                "{}: neither the planter, the event generator nor its test stream can make this rule alert:\n{}",
                r.file,
                r.query
            );
            plants
        })
        .collect();
    Ctx {
        rules,
        pool,
        fields,
        plants,
    }
}

/// A random event: a random subset of the fields with values from the pool (arrays,
/// missing, numbers and strings as they come).
fn random_event(ctx: &Ctx, rng: &mut Rng) -> Assignment {
    let mut asg = Assignment::new();
    for f in &ctx.fields {
        let dense = f == plant::CATEGORY_FIELD;
        if !(dense && rng.chance(9, 10) || rng.chance(1, 4)) {
            continue;
        }
        let vals = ctx.pool.values(f);
        let v = match rng.below(10) {
            0 => None,
            1 | 2 => Some(
                (0..2 + rng.below(2))
                    .map(|_| rng.pick(&vals).clone())
                    .collect(),
            ),
            _ => Some(vec![rng.pick(&vals).clone()]),
        };
        asg.insert(f.clone(), v);
    }
    asg
}

/// One stream element: an event and whether it continues a plant (small gap).
struct Item {
    asg: Assignment,
    planted: bool,
}

/// The case of `seed`: engine config, events (JSON objects), planted rule indexes.
fn stream(ctx: &Ctx, seed: u64) -> (EngineConfig, Vec<Json>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let mut items: Vec<Item> = (0..20 + rng.below(20))
        .map(|_| Item {
            asg: random_event(ctx, &mut rng),
            planted: false,
        })
        .collect();
    let mut planted_rules = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let r = rng.below(ctx.rules.len());
        planted_rules.push(r);
        let plant = rng.pick(&ctx.plants[r]).clone();
        let mut at = rng.below(items.len() + 1);
        let spread = rng.chance(1, 3);
        for (k, asg) in plant.into_iter().enumerate() {
            items.insert(
                at.min(items.len()),
                Item {
                    asg,
                    planted: k > 0,
                },
            );
            at += 1 + if spread { rng.below(3) } else { 0 };
        }
    }
    let mut ts: i64 = 1_700_000_000_000 + rng.below(1000) as i64;
    let mut events = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        ts += if item.planted {
            *rng.pick(&[0, 1, 1, 2])
        } else {
            *rng.pick(GAPS)
        };
        let mut json: Map<String, Json> = plant::to_json(&item.asg, &mut rng);
        json.insert(plant::ID_FIELD.into(), Json::from(i));
        match rng.below(40) {
            0 if !item.planted => {}
            1..=10 => {
                json.insert(plant::TIMESTAMP_FIELD.into(), Json::from(format_millis(ts)));
            }
            _ => {
                json.insert(plant::TIMESTAMP_FIELD.into(), Json::from(ts));
            }
        }
        let tiebreaker = match rng.below(20) {
            _ if item.planted => Some(Json::from(i)),
            0 => None,
            1 => Some(Json::from(i.saturating_sub(1))),
            2 => Some(Json::from(rng.below(i + 1))),
            3 => Some(Json::from(i.to_string())),
            _ => Some(Json::from(i)),
        };
        if let Some(t) = tiebreaker {
            json.insert(plant::TIEBREAKER_FIELD.into(), t);
        }
        events.push(Json::Object(json));
    }
    let config = EngineConfig {
        time: plant::time_fields(),
        reorder_window_ms: *rng.pick(&[0, 0, 3, 100]),
    };
    (config, events, planted_rules)
}

/// An alert, back-end neutral: the contract's JSON plus the exact join-key values.
fn record<E: EventJson>(a: &Alert<E>) -> Record {
    (
        a.rule.id.clone(),
        format!("{} {:?}", alert_to_json(a), a.join_keys),
    )
}

/// Both back ends over `events` (as lines of JSON text) with the rules `only` (indexes;
/// all when `None`): (interpreter alerts, compiled alerts).
fn run(
    ctx: &Ctx,
    config: &EngineConfig,
    events: &[Json],
    only: Option<usize>,
) -> (Vec<Record>, Vec<Record>) {
    let keep = |i: usize| only.is_none_or(|o| o == i);
    let options = plant::interpreter_options();
    let mut interp = Vec::new();
    for (i, r) in ctx.rules.iter().enumerate() {
        if keep(i) {
            interp.push(
                InterpretedRule::new(&r.ir, Arc::new(r.info.clone()), &options)
                    .unwrap_or_else(|e| panic!("{}: {e}", r.file)),
            );
        }
    }
    let interp = InterpretedRules::new(interp, options);
    let states = interp.states().expect("interpreter states");
    let mut a = Scanner::new(
        InterpreterBackend::new(interp, config.time.clone()),
        Engine::new(config.clone(), states),
    );
    let files: Vec<&str> = ctx
        .rules
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, r)| r.file.as_str())
        .collect();
    let set = RuleSet::new(
        &differential::RULE_SET,
        |r| files.contains(&r.file),
        &config.time,
    );
    let states = set
        .states(&MatcherOptions::default())
        .expect("compiled states");
    let mut b = Scanner::new(
        CompiledBackend::new(set),
        Engine::new(config.clone(), states),
    );
    for e in events {
        let line = e.to_string();
        let ra = a.push(Line::Text(&line));
        let rb = b.push(Line::Text(&line));
        assert_eq!(
            ra, rb,
            "the back ends disagree on whether {line} is an event"
        );
    }
    a.flush();
    b.flush();
    (
        a.drain_alerts().map(|x| record(&x)).collect(),
        b.drain_alerts().map(|x| record(&x)).collect(),
    )
}

/// The smallest disagreement found from a failing case: one rule, events removed one at
/// a time while the engines still disagree.
fn minimise(ctx: &Ctx, config: &EngineConfig, events: &[Json]) -> String {
    let rule = (0..ctx.rules.len()).find(|&i| {
        let (a, b) = run(ctx, config, events, Some(i));
        a != b
    });
    let Some(rule) = rule else {
        return "the disagreement needs several rules together".into();
    };
    let mut evs = events.to_vec();
    let mut i = 0;
    while i < evs.len() {
        let mut fewer = evs.clone();
        fewer.remove(i);
        let (a, b) = run(ctx, config, &fewer, Some(rule));
        if a != b {
            evs = fewer;
        } else {
            i += 1;
        }
    }
    let (a, b) = run(ctx, config, &evs, Some(rule));
    let lines =
        |x: Vec<(String, String)>| x.into_iter().map(|(_, l)| l).collect::<Vec<_>>().join("\n");
    format!(
        "minimal disagreement: rule {} ({}):\n{}\nconfig: {config:?}\nevents:\n{}\ninterpreter:\n{}\ncompiled:\n{}",
        ctx.rules[rule].file,
        ctx.rules[rule].info.id,
        ctx.rules[rule].query,
        evs.iter().map(Json::to_string).collect::<Vec<_>>().join("\n"),
        lines(a),
        lines(b)
    )
}

#[test]
fn compiled_and_interpreted_engines_agree() {
    let ctx = ctx();
    // Generated pipes and alert metadata are the IR's and the rule file's.
    for (spec, r) in differential::RULES.iter().zip(&ctx.rules) {
        assert_eq!(spec.pipes, &r.ir.pipes[..], "{}", r.file);
        assert_eq!((spec.info)(), r.info, "{}", r.file);
    }
    let alerts: std::cell::RefCell<BTreeMap<String, usize>> = Default::default();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        max_shrink_iters: 0, // the seed has no structure; `minimise` shrinks instead
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::num::u64::ANY, |seed| {
        let (config, events, _) = stream(&ctx, seed);
        let (a, b) = run(&ctx, &config, &events, None);
        if a != b {
            return Err(TestCaseError::fail(format!(
                "seed {seed}: the engines disagree\n{}",
                minimise(&ctx, &config, &events)
            )));
        }
        let mut counts = alerts.borrow_mut();
        for (id, _) in a {
            *counts.entry(id).or_default() += 1;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let counts = alerts.into_inner();
    let table: Vec<String> = ctx
        .rules
        .iter()
        .map(|r| {
            format!(
                "{:>6} {} ({})",
                counts.get(&r.info.id).copied().unwrap_or(0),
                r.file,
                r.info.id
            )
        })
        .collect();
    eprintln!("alerts per rule over {CASES} cases:\n{}", table.join("\n"));
    // A rule whose plants were all broken up by the random events around them (an
    // `until`, a missing-event stage, a key collision) gets its plants alone, through
    // both back ends, so that no rule goes without a compared alert.
    let mut silent: Vec<&str> = Vec::new();
    for (i, r) in ctx.rules.iter().enumerate() {
        if counts.contains_key(&r.info.id) {
            continue;
        }
        let mut alerted = false;
        for (k, plant) in ctx.plants[i].iter().enumerate() {
            let (config, events) = plant_alone(plant, k as u64);
            let (a, b) = run(&ctx, &config, &events, Some(i));
            assert_eq!(
                a, b,
                "{}: the back ends disagree on its plant alone",
                r.file
            );
            alerted |= !a.is_empty();
        }
        if !alerted {
            silent.push(r.file.as_str());
        }
    }
    assert!(
        silent.is_empty(),
        "rules that never alerted, even on their plants alone: {silent:?}\n{}",
        table.join("\n")
    );
}

/// A plant as a whole stream: its events 1 ms apart, in order.
fn plant_alone(plant: &[Assignment], seed: u64) -> (EngineConfig, Vec<Json>) {
    let mut rng = Rng::new(seed);
    let events = plant
        .iter()
        .enumerate()
        .map(|(i, asg)| {
            let mut json = plant::to_json(asg, &mut rng);
            json.insert(plant::ID_FIELD.into(), Json::from(i));
            json.insert(
                plant::TIMESTAMP_FIELD.into(),
                Json::from(1_000_000 + i as i64),
            );
            json.insert(plant::TIEBREAKER_FIELD.into(), Json::from(i as i64));
            Json::Object(json)
        })
        .collect();
    let config = EngineConfig {
        time: plant::time_fields(),
        reorder_window_ms: 0,
    };
    (config, events)
}
