//! The harness on rules whose test streams are wrong on purpose (`tests/fixtures/rules/`):
//! failures are reported with what differs and why the rule did not match; rule-level
//! checks (`--min-cases`), snapshots and the reports behave as documented.

use std::path::{Path, PathBuf};

use rule_compiler::codegen::{rules_from_dir, GenRule};
use rule_test::harness::{test_rule, Options, Origin, RuleReport, RuleUnderTest};
use rule_test::snapshot::{self, SnapshotOutcome};
use rule_test::{report, spec};

mod fixtures {
    rule_macros::include_rules!("tests/fixtures/rules");
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn run(stem: &str, options: &Options) -> RuleReport {
    let dir = fixtures_dir();
    let (rules, paths): (Vec<GenRule>, Vec<PathBuf>) = rules_from_dir(&dir).unwrap();
    let i = paths
        .iter()
        .position(|p| p.file_stem().unwrap() == stem)
        .unwrap();
    let tf = spec::load(&spec::test_file_of(&paths[i])).unwrap();
    test_rule(
        &fixtures::RULE_SET,
        &dir,
        &RuleUnderTest {
            rule: &rules[i],
            stem: stem.to_string(),
            test_file: Some(&tf),
        },
        options,
    )
}

fn no_snapshots() -> Options {
    Options {
        snapshots: false,
        generate: false,
        ..Options::default()
    }
}

#[test]
fn wrong_expectations_fail_with_the_difference_and_the_reason() {
    let r = run("fx_encoded_powershell", &no_snapshots());
    assert!(!r.passed());
    let failures: Vec<(&str, &str)> = r
        .cases
        .iter()
        .filter_map(|c| c.failure.as_deref().map(|f| (c.name.as_str(), f)))
        .collect();
    assert_eq!(failures.len(), 2, "{failures:#?}");
    let (name, text) = failures[0];
    assert!(name.starts_with("upper-case name"));
    assert!(
        text.contains("expected [[0]], got no alert; missing [[0]]"),
        "{text}"
    );
    // The explanation: the case-sensitive comparison, the actual value.
    assert!(
        text.contains("process.name == \"powershell.exe\""),
        "{text}"
    );
    assert!(text.contains("POWERSHELL.EXE"), "{text}");
    assert!(text.contains("differs only in case"), "{text}");
    let (_, text) = failures[1];
    assert!(
        text.contains("expected at least 2 alerts, got 1: event [0]"),
        "{text}"
    );
    assert!(r.cases[0].failure.is_none());
}

#[test]
fn a_sequence_failure_shows_the_gap_against_maxspan() {
    let r = run("fx_logon_then_exec", &no_snapshots());
    let text = r.cases[0].failure.as_deref().expect("the case fails");
    assert!(text.contains("expected [[0, 1]], got no alert"), "{text}");
    assert!(text.contains("gap 61.000 s > maxspan 60 s"), "{text}");
}

#[test]
fn min_cases_needs_an_alerting_and_a_silent_case() {
    let options = Options {
        min_cases: 2,
        ..no_snapshots()
    };
    let r = run("fx_logon_then_exec", &options);
    let text = r.rule_failures.join("\n");
    assert!(
        text.contains("1 test case in fx_logon_then_exec.test.yaml, --min-cases 2 needs more"),
        "{text}"
    );
    assert!(text.contains("expects silence"), "{text}");
    let r = run("fx_encoded_powershell", &options);
    // Three cases, all alerting: only the silent case is missing.
    assert_eq!(r.rule_failures.len(), 1, "{:?}", r.rule_failures);
}

#[test]
fn generated_cases_run_beside_the_test_stream() {
    let options = Options {
        snapshots: false,
        ..Options::default()
    };
    let r = run("fx_logon_then_exec", &options);
    assert!(
        r.generated_matches >= 1 && r.generated_near_misses >= 1,
        "{r:?}"
    );
    // Generated cases pass (only the hand-written one is wrong).
    for c in &r.cases {
        match c.origin {
            Origin::TestStream => assert!(c.failure.is_some()),
            _ => assert!(c.failure.is_none(), "{}: {:?}", c.name, c.failure),
        }
    }
}

#[test]
fn snapshots_new_matched_changed() {
    let dir = std::env::temp_dir().join(format!("eqlc-snap-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("snapshots")).unwrap();
    assert_eq!(
        snapshot::check(&dir, "x", "case: a\n  no alert\n"),
        SnapshotOutcome::New
    );
    std::fs::write(
        dir.join("snapshots/x.snap"),
        "---\nsource: rule_test/src/snapshot.rs\n---\ncase: a\n  no alert\n",
    )
    .unwrap();
    assert_eq!(
        snapshot::check(&dir, "x", "case: a\n  no alert\n"),
        SnapshotOutcome::Matched
    );
    assert_eq!(
        snapshot::check(&dir, "x", "case: a\n  event [0] untimed\n"),
        SnapshotOutcome::Changed
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reports_name_every_rule_and_case() {
    let reports = vec![
        run("fx_encoded_powershell", &no_snapshots()),
        run("fx_logon_then_exec", &no_snapshots()),
    ];
    let xml = report::junit(&reports);
    assert!(
        xml.contains("<testsuites name=\"test-rules\" tests=\"6\" failures=\"3\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"fx_encoded_powershell.eql\" tests=\"4\" failures=\"2\">"),
        "{xml}"
    );
    assert!(xml.contains("name=\"upper-case name expected to alert, but == is case-sensitive\"><failure message=\"expected [[0]], got no alert; missing [[0]]\">"), "{xml}");
    // Escaped text stays well-formed.
    assert!(!xml.contains("\"powershell.exe\"\""), "{xml}");
    let json = report::json(&report::RunReport {
        rules_dir: "x".into(),
        passed: 0,
        failed: 2,
        rules: &reports,
    });
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["rules"][0]["cases"][1]["origin"], "test_stream");
    assert_eq!(v["failed"], 2);
}

// The lenient build warns that a rule was left out (a deprecation warning); expected here.
#[allow(deprecated)]
mod broken_fixtures {
    rule_macros::include_rules!("tests/fixtures/broken_rules", lenient);
}

/// A rule that does not compile beside one that does (`tests/fixtures/broken_rules/`):
/// the lenient build keeps the good rule and names the broken one, and the harness
/// tests the good rule and fails the broken one with its `file:line:col`.
#[test]
fn a_broken_rule_leaves_the_harness_usable_and_is_named() {
    let info = &broken_fixtures::BUILD_INFO;
    assert_eq!(info.files, 2);
    let errors = info.errors.join("\n");
    assert!(
        errors.contains("broken_strlen.eql:3:3") && errors.contains("strlen"),
        "{errors}"
    );
    let ids: Vec<&str> = broken_fixtures::RULE_SET
        .rules
        .iter()
        .map(|r| r.file)
        .collect();
    assert_eq!(ids, ["good_whoami.eql"]);

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken_rules");
    let json = std::env::temp_dir().join(format!("eqlc-broken-{}.json", std::process::id()));
    let code = rule_test::cli::main_with(
        &broken_fixtures::RULE_SET,
        &dir,
        [
            "rule-test",
            "--no-snapshots",
            "--no-generate",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&json).expect("the JSON report is written");
    std::fs::remove_file(&json).ok();
    assert_eq!(code, std::process::ExitCode::from(1), "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rules = report["rules"].as_array().unwrap();
    let by_file = |f: &str| {
        rules
            .iter()
            .find(|r| r["file"] == f)
            .unwrap_or_else(|| panic!("{f} not reported: {text}"))
    };
    let good = by_file("good_whoami.eql");
    assert_eq!(good["cases"].as_array().unwrap().len(), 2, "{text}");
    assert!(
        good["rule_failures"].as_array().unwrap().is_empty(),
        "{text}"
    );
    assert!(good["cases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["failure"].is_null()));
    let broken = by_file("broken_strlen.eql");
    let failure = broken["rule_failures"][0].as_str().unwrap();
    assert!(
        failure.contains("does not compile")
            && failure.contains("broken_strlen.eql:3:3")
            && failure.contains("unknown function"),
        "{failure}"
    );
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(1))
    );
}
