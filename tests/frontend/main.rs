//! Front-end tests: loading, parsing and checking rules, and the diagnostics they give.
//!
//! One test binary (modules below) keeps link time down.

mod cli;
mod conformance;
mod corpus;
mod diagnostics;
mod hostile;
mod hostile_rules;
mod roundtrip;
mod snapshots;

use std::path::PathBuf;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the project, when present. A test that needs it passes with a
/// note when it is absent, except when `EQLC_REQUIRE_SHARED=1` (CI sets it), where a
/// missing folder fails the test so a wrong path cannot pass silently.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let dir = root().join("..").join("shared").join(sub);
    if dir.exists() {
        return Some(dir);
    }
    if std::env::var("EQLC_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("EQLC_REQUIRE_SHARED=1 but {} does not exist", dir.display());
    }
    eprintln!("note: {} is absent; skipping this test", dir.display());
    None
}
