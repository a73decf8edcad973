//! Elasticsearch's EQL test suite through the **compiled** matchers (generated at build
//! time, one rule set per data set) and the same harness as the interpreter's run
//! (`eqlc::conformance`, `tests/conformance.rs` of the eqlc package): the same 301
//! queries must pass.

use compiled_tests::Compiled;
use eqlc::conformance::{documented_skips, run_suite_with, Outcome, SKIPS, SUITE_QUERY_COUNT};
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn compiled_matchers_give_elasticsearchs_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/es-eql");
    let report =
        run_suite_with(&dir, &Compiled).unwrap_or_else(|e| panic!("loading the suite: {e}"));

    assert_eq!(report.results.len(), SUITE_QUERY_COUNT, "queries run");
    let skipped: BTreeSet<String> = report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Skipped(_)))
        .map(|r| format!("{}#{}", r.spec.file, r.spec.name))
        .collect();
    assert_eq!(
        skipped,
        documented_skips(),
        "skips are exactly the SKIPS table"
    );
    assert_eq!(report.skipped, SKIPS.len());

    let failures = report.failure_lines();
    assert!(
        failures.is_empty(),
        "{} of {} queries differ from Elasticsearch through the compiled matchers:\n{}\n{}",
        failures.len(),
        SUITE_QUERY_COUNT,
        failures.join("\n"),
        report.summary_line()
    );
    assert_eq!(
        report.passed,
        SUITE_QUERY_COUNT - SKIPS.len(),
        "{}",
        report.summary_line()
    );
    assert_eq!(report.failed, 0);
}
