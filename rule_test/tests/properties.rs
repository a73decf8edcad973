//! Property tests over the rules of the rules folder compiled in (`rules/` by default):
//! under random seeds, the cases `rule_compiler::gen` generates from each rule keep
//! their verdict — matching examples raise exactly their alerts, near misses nothing —
//! when the events get fields no rule reads, scalar values become arrays of
//! themselves, values the rule compares only case-insensitively change case, and
//! another entity (other join-key values) does the same thing interleaved. The
//! compiled matchers and the interpreter agree on every stream.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use rule_compiler::codegen::{rules_from_dir, GenRule};
use rule_compiler::gen::{generate, CaseKind, GenOptions};
use rule_test::props::{self, Rng};
use rule_test::run::run_both;
use serde_json::Value as Json;

mod compiled {
    rule_macros::include_rules!();
}

fn rules() -> &'static [GenRule] {
    static RULES: OnceLock<Vec<GenRule>> = OnceLock::new();
    RULES.get_or_init(|| {
        rules_from_dir(Path::new(env!("EQLC_RULES_DIR_ABS")))
            .unwrap_or_else(|e| panic!("{}", e.join("\n")))
            .0
    })
}

fn lines(events: &[Json]) -> Vec<String> {
    events.iter().map(Json::to_string).collect()
}

/// Every generated case of every rule under `gen_seed`, perturbed with `seed`.
fn check_all(gen_seed: u64, seed: u64) -> Result<(), TestCaseError> {
    let mut rng = Rng::new(seed);
    for rule in rules() {
        let generated = generate(
            &rule.ir,
            &GenOptions {
                seed: gen_seed,
                max_branches: 8,
                near_misses: true,
            },
        );
        let case_free = props::case_free_fields(&rule.ir);
        for case in &generated.cases {
            let mut events = case.events.clone();
            if rng.one_in(2) {
                events = props::add_noise_fields(&events, &mut rng);
            }
            if rng.one_in(2) {
                events = props::wrap_in_arrays(&events, &mut rng);
            }
            if !case_free.is_empty() && rng.one_in(2) {
                events = props::flip_case(&events, &case_free, &mut rng);
            }
            let what = format!(
                "{} / {} (gen seed {gen_seed}, seed {seed})",
                rule.file, case.name
            );
            let runs = run_both(&compiled::RULE_SET, rule, &lines(&events))
                .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
            prop_assert_eq!(
                &runs.compiled,
                &runs.interpreted,
                "{}: back ends disagree",
                what
            );
            let mut got: Vec<_> = runs.compiled.iter().map(|a| a.events.clone()).collect();
            got.sort();
            let mut want = case.expect.clone();
            want.sort();
            match case.kind {
                CaseKind::Match => prop_assert_eq!(&got, &want, "{}: {:?}", what, events),
                CaseKind::NearMiss(_) => {
                    prop_assert!(got.is_empty(), "{}: near miss alerted: {:?}", what, got)
                }
            }
            // Another entity doing the same thing, interleaved.
            if let Some(mixed) = props::shadow(&rule.ir, &events) {
                let stream: Vec<Json> = mixed.iter().map(|(_, e)| e.clone()).collect();
                let runs = run_both(&compiled::RULE_SET, rule, &lines(&stream))
                    .map_err(|e| TestCaseError::fail(format!("{what} (shadowed): {e}")))?;
                prop_assert_eq!(
                    &runs.compiled,
                    &runs.interpreted,
                    "{} (shadowed): back ends disagree",
                    what
                );
                // No alert mixes the two entities; those of original events only,
                // renumbered, are the case's.
                let position: Vec<Option<usize>> = mixed.iter().map(|(o, _)| *o).collect();
                for a in &runs.compiled {
                    let originals = a
                        .events
                        .iter()
                        .flatten()
                        .filter(|&&i| position[i].is_some())
                        .count();
                    let total = a.events.iter().flatten().count();
                    prop_assert!(
                        originals == 0 || originals == total,
                        "{} (shadowed): an alert mixes the entities: {:?}",
                        what,
                        a.events
                    );
                }
                let mut original: Vec<Vec<Option<usize>>> = runs
                    .compiled
                    .iter()
                    .filter_map(|a| {
                        a.events
                            .iter()
                            .map(|e| match e {
                                None => Some(None),
                                Some(i) => position[*i].map(Some),
                            })
                            .collect::<Option<Vec<_>>>()
                    })
                    .collect();
                original.sort();
                prop_assert_eq!(&original, &want, "{} (shadowed)", what);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn generated_cases_keep_their_verdict_under_perturbation(gen_seed in 0u64..1_000, seed in any::<u64>()) {
        check_all(gen_seed, seed)?;
    }
}
