//! `cargo xtask test-rules --min-cases 2` as an integration test: every rule of the
//! rules folder compiled in (`rules/` unless `EQLC_RULES_DIR` says otherwise), its test
//! stream and the cases generated from it, through both back ends, with its snapshot
//! (`rules/snapshots/`, reviewed with `cargo insta review`).

use std::path::Path;

use rule_compiler::codegen::rules_from_dir;
use rule_test::harness::{test_rule, Options, RuleUnderTest};
use rule_test::spec;

mod compiled {
    rule_macros::include_rules!();
}

#[test]
fn every_rule_passes_its_test_stream_and_generated_cases() {
    let dir = Path::new(env!("EQLC_RULES_DIR_ABS"));
    let (rules, paths) = rules_from_dir(dir).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    assert!(!rules.is_empty(), "no rule in {}", dir.display());
    let options = Options {
        min_cases: 2,
        ..Options::default()
    };
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for (rule, path) in rules.iter().zip(&paths) {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let tf = spec::test_file_of(path);
        let test_file = tf
            .is_file()
            .then(|| spec::load(&tf).unwrap_or_else(|e| panic!("{e}")));
        let report = test_rule(
            &compiled::RULE_SET,
            dir,
            &RuleUnderTest {
                rule,
                stem,
                test_file: test_file.as_ref(),
            },
            &options,
        );
        notes.extend(report.notes.iter().map(|n| format!("{}: {n}", rule.file)));
        if !report.passed() {
            let mut text = format!("{}:", rule.file);
            for f in &report.rule_failures {
                text.push_str(&format!("\n  - {f}"));
            }
            for c in report.cases.iter().filter(|c| c.failure.is_some()) {
                text.push_str(&format!(
                    "\n  case `{}` ({}):\n    {}",
                    c.name,
                    c.origin.label(),
                    c.failure.as_deref().unwrap_or("").replace('\n', "\n    ")
                ));
            }
            failures.push(text);
        }
    }
    for n in &notes {
        eprintln!("note: {n}");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
