//! A rule's test-stream alerts as an insta snapshot, `<rules dir>/snapshots/<stem>.snap`,
//! reviewed with `cargo insta review` like any other snapshot of the workspace.
//!
//! The expectations of the YAML file decide pass or fail; the snapshot shows what a
//! change of behaviour looks like. So a snapshot that does not exist yet is written for
//! review (`<stem>.snap.new`, unless insta is told otherwise by `INSTA_UPDATE` or runs
//! on CI) without failing, and one that differs from the stored one fails.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// What became of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// Same as the stored snapshot.
    Matched,
    /// No stored snapshot: the new one was handed to insta for review.
    New,
    /// Differs from the stored snapshot (insta printed the diff and wrote `.snap.new`).
    Changed,
}

/// Compares `text` with the stored snapshot `name` of `rules_dir`.
pub fn check(rules_dir: &Path, name: &str, text: &str) -> SnapshotOutcome {
    let dir = rules_dir.join("snapshots");
    let existed = dir.join(format!("{name}.snap")).is_file();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(&dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(format!(
        "alerts of the test stream {name}.test.yaml (cargo xtask test-rules)"
    ));
    let result = catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(name, text));
    }));
    match (result.is_ok(), existed) {
        (true, _) => SnapshotOutcome::Matched,
        (false, false) => SnapshotOutcome::New,
        (false, true) => SnapshotOutcome::Changed,
    }
}
