//! Generates, into `OUT_DIR` (never the source tree), with `rule_compiler::codegen::generate`:
//!
//! * `differential.rs`: the rules of `rules/` plus the random rules, one rule set;
//! * `kql.rs`: the KQL rules of `kql_rules/`, one rule set;
//! * `random_rules.json`: each random rule's id, name, file, query text and IR, and the
//!   candidates dropped at generation time with the reason (the tests rebuild the
//!   interpreter's matchers from the same query text and check the IR is the same);
//! * `conformance_<data set>.rs`: every active query of Elasticsearch's EQL suite, one
//!   generated rule set per data set (with that data set's field types), each query a
//!   rule whose file is `<spec file>#<name>`.

#[path = "../../src/conformance/loader.rs"]
#[allow(dead_code)] // the build script uses the loading half only
mod loader;
#[path = "src/plant.rs"]
#[allow(dead_code)] // shared with the tests; the build script only plants
mod plant;
#[path = "build/querygen.rs"]
mod querygen;

use rule_compiler::checker::check_query;
use rule_compiler::codegen::{generate, rules_from_dir, GenOptions, GenRule};
use rule_compiler::ir::lower_query;
use rule_runtime::alert::RuleInfo;
use serde_json::json;
use std::path::{Path, PathBuf};

/// How many random rules to keep per seed.
const RANDOM_RULES: usize = 40;
/// The random rules' seeds: each gives 40 rules; change one to get another rule set.
const RANDOM_SEEDS: [u64; 2] = [0x00E9_1C2A_2026, 0x0005_EED0_FE1C];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let root = manifest.join("../..");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/querygen.rs");
    println!("cargo:rerun-if-changed=src/plant.rs");
    println!("cargo:rerun-if-changed=../../src/conformance/loader.rs");

    // The rules of rules/.
    let rules_dir = root.join("rules");
    println!("cargo:rerun-if-changed={}", rules_dir.display());
    let (mut rules, files) = match rules_from_dir(&rules_dir) {
        Ok(r) => r,
        Err(errors) => panic!("rules/ does not compile:\n{}", errors.join("\n")),
    };
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }

    // The random rules.
    let (random, dropped) = random_rules();
    let listing = json!({
        "rules": random.iter().map(|r| json!({
            "id": r.info.id,
            "name": r.info.name,
            "file": r.file,
            "query": r.query,
            "ir": serde_json::to_value(&r.ir).expect("IR serialises"),
        })).collect::<Vec<_>>(),
        "dropped": dropped.iter().map(|(q, why)| json!({"query": q, "reason": why})).collect::<Vec<_>>(),
    });
    write(
        &out.join("random_rules.json"),
        &serde_json::to_string_pretty(&listing).expect("JSON"),
    );
    rules.extend(random);
    write(
        &out.join("differential.rs"),
        &generate(
            &rules,
            &GenOptions {
                field_types: plant::field_types(),
            },
        )
        .to_string(),
    );

    // The KQL rules of kql_rules/, one rule set.
    let kql_dir = manifest.join("kql_rules");
    println!("cargo:rerun-if-changed={}", kql_dir.display());
    let (kql_rules, kql_files) = match rules_from_dir(&kql_dir) {
        Ok(r) => r,
        Err(errors) => panic!("kql_rules/ does not compile:\n{}", errors.join("\n")),
    };
    for f in &kql_files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    write(
        &out.join("kql.rs"),
        &generate(&kql_rules, &GenOptions::default()).to_string(),
    );

    // The conformance suite, one rule set per data set.
    let suite = root.join("tests/conformance/es-eql");
    println!("cargo:rerun-if-changed={}", suite.display());
    let mut sets: Vec<loader::DataSet> = loader::SPEC_FILES.iter().map(|(_, s)| *s).collect();
    sets.dedup();
    for set in sets {
        let data = loader::load_data(&suite, set).unwrap_or_else(|e| panic!("{e}"));
        let mut gen = Vec::new();
        for (file, _) in loader::SPEC_FILES.iter().filter(|(_, s)| *s == set) {
            let specs = loader::load_spec(&suite.join(file)).unwrap_or_else(|e| panic!("{e}"));
            for spec in specs {
                // A query that does not compile is left out: the compiled run reports it
                // as an error (the interpreter's run reports the same diagnostics).
                let Ok(ir) = loader::compile(&spec) else {
                    continue;
                };
                gen.push(GenRule {
                    ir,
                    info: RuleInfo {
                        id: spec.name.clone(),
                        name: spec.name.clone(),
                        severity: "low".into(),
                        ..RuleInfo::default()
                    },
                    file: format!("{}#{}", spec.file, spec.name),
                    query: spec.query.clone(),
                });
            }
        }
        let options = GenOptions {
            field_types: data.field_types.clone(),
        };
        write(
            &out.join(format!("conformance_{}.rs", set_name(set))),
            &generate(&gen, &options).to_string(),
        );
    }
}

/// The file stem of a data set's generated module.
fn set_name(set: loader::DataSet) -> &'static str {
    match set {
        loader::DataSet::Endgame => "endgame",
        loader::DataSet::EndgameNanos => "endgame_nanos",
        loader::DataSet::Extra => "extra",
        loader::DataSet::MissingEvents => "missing_events",
        loader::DataSet::Sample => "sample",
        loader::DataSet::SampleMulti => "sample_multi",
    }
}

fn write(path: &Path, text: &str) {
    // Unchanged output is not rewritten, so dependants are not rebuilt for nothing.
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// For each seed, candidates in order until [`RANDOM_RULES`] are kept. A candidate is
/// dropped when it does not parse or check (the generator may combine things the checker
/// rejects, such as inconsistent key counts) or when the planter cannot make it alert
/// from its own literals in 40 tries (contradictions like `x == "a" and x != "a"`, or
/// conditions the small vocabulary cannot reach); each drop is listed with its reason.
fn random_rules() -> (Vec<GenRule>, Vec<(String, String)>) {
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for seed in RANDOM_SEEDS {
        let mut rng = plant::Rng::new(seed);
        let goal = kept.len() + RANDOM_RULES;
        let mut i = 0;
        while kept.len() < goal && i < 1000 {
            let text = querygen::query(i, &mut rng);
            i += 1;
            let query = match rule_compiler::parse_query(&text) {
                Ok(q) => q,
                Err(ds) => {
                    dropped.push((text, format!("parse: {}", ds[0].message)));
                    continue;
                }
            };
            if let Some(e) = check_query(&query, None).into_iter().find(|d| d.is_error()) {
                dropped.push((text, format!("check: {}", e.message)));
                continue;
            }
            let n = kept.len() + 1;
            let id = format!("random-{n:03}");
            let name = format!("random rule {n}");
            let stem = format!("random_{n:03}");
            let ir = match lower_query(&id, &name, &stem, plant::CATEGORY_FIELD, &query) {
                Ok(ir) => ir,
                Err(e) => {
                    dropped.push((text, format!("lower: {}", e.message)));
                    continue;
                }
            };
            let pool = plant::Pool::new([&ir]);
            let mut prng = plant::Rng::new(seed ^ i as u64);
            if plant::Planter::new(&ir, &pool)
                .plant(&mut prng, 40)
                .is_none()
            {
                dropped.push((text, "the planter found no alerting events".into()));
                continue;
            }
            kept.push(GenRule {
                info: random_info(&id, &name),
                file: format!("{stem}.eql"),
                query: text,
                ir,
            });
        }
    }
    (kept, dropped)
}

/// The alert metadata of a random rule (the tests rebuild it the same way).
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
