//! Elasticsearch's EQL test suite through the **compiled** matchers (generated at build
//! time, one rule set per data set) and the same harness as the interpreter's run
//! (`eqlc::conformance`, `tests/conformance.rs` of the eqlc package): the same 301
//! queries must pass.

use compiled_tests::Compiled;
use eqlc::conformance::run_suite_with;
use std::path::Path;

#[test]
fn compiled_matchers_give_elasticsearchs_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/es-eql");
    let report =
        run_suite_with(&dir, &Compiled).unwrap_or_else(|e| panic!("loading the suite: {e}"));
    if let Err(problems) = report.verdict() {
        panic!("through the compiled matchers:\n{problems}");
    }
}
