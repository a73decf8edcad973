//! eqlc's rule test harness (`cargo xtask test-rules`): test support, not part of the
//! product.
//!
//! * [`spec`]: the test-stream files, `<stem>.test.yaml` beside each rule.
//! * [`run`]: a stream of events through one rule on either back end.
//! * [`expect`]: alerts against a case's expectation.
//! * [`harness`]: one rule tested: its cases, generated cases, snapshot, `--min-cases`.
//! * [`explain`]: why a failing case did (not) match.
//! * [`snapshot`]: a rule's test-stream alerts as an insta snapshot.
//! * [`render`]: alerts rendered compactly.
//! * [`benign`]: `--benign` streams and `known-false-positives.yaml`.
//! * [`report`]: JSON and JUnit reports.
//! * [`props`]: perturbations of generated cases for the property tests.
//! * [`cli`]: the runner's command line.

pub mod benign;
pub mod cli;
pub mod expect;
pub mod explain;
pub mod harness;
pub mod props;
pub mod render;
pub mod report;
pub mod run;
pub mod snapshot;
pub mod spec;
