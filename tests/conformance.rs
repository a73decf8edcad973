//! Elasticsearch's EQL test suite through eqlc's streaming engine and the reference
//! interpreter: every one of the 301 queries the runner uses must give Elasticsearch's
//! answer (see `src/conformance.rs`).

use eqlc::conformance::run_suite;
use std::path::Path;

#[test]
fn every_query_gives_elasticsearchs_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/es-eql");
    let report = run_suite(&dir).unwrap_or_else(|e| panic!("loading the suite: {e}"));
    if let Err(problems) = report.verdict() {
        panic!("{problems}");
    }
}
