//! Elasticsearch's EQL test suite through eqlc's streaming engine: every one of the 301
//! queries the runner uses must give Elasticsearch's answer (see `src/conformance.rs`).

use eqlc::conformance::{documented_skips, run_suite, Outcome, SKIPS, SUITE_QUERY_COUNT};
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_query_gives_elasticsearchs_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/es-eql");
    let report = run_suite(&dir).unwrap_or_else(|e| panic!("loading the suite: {e}"));

    assert_eq!(
        report.results.len(),
        SUITE_QUERY_COUNT,
        "queries run (the suite's README: 320 active, minus 19 of test_failing_shards.toml)"
    );
    assert_eq!(
        report.passed + report.failed + report.skipped,
        SUITE_QUERY_COUNT,
        "{}",
        report.summary_line()
    );

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
        "{} of {} queries differ from Elasticsearch:\n{}\n{}",
        failures.len(),
        SUITE_QUERY_COUNT,
        failures.join("\n"),
        report.summary_line()
    );
}
