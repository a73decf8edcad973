//! Front-end tests: loading, parsing and checking rules, and the diagnostics they give.
//!
//! One test binary (modules below) keeps link time down.

mod cli;
mod conformance;
mod corpus;
mod diagnostics;
mod fuzz_replay;
mod hostile;
mod hostile_rules;
mod kql;
mod roundtrip;
mod scan_cli;
mod snapshots;
mod threads;

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
    announce_missing_shared();
    None
}

/// Says once per test run, where a person sees it, that tests passed without `../shared`:
/// written to the process's stderr itself, which the test runner does not capture (it
/// captures `eprintln!`), so the line shows in a plain `cargo test`.
fn announce_missing_shared() {
    use std::io::Write;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr().lock(),
            "\nNOTE: ../shared is absent beside the project: the tests that read it (corpus \
             check, conformance copy) pass WITHOUT checking it; EQLC_REQUIRE_SHARED=1 makes \
             them fail instead"
        );
    });
}
