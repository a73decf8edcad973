//! The `eqlc` package as a library: what the command line, the tests and `cargo xtask`
//! share.
//!
//! * [`compiled`]: the rules compiled in at build time.
//! * [`scan`]: `eqlc scan`, rules over NDJSON events.
//! * [`conformance`]: Elasticsearch's EQL test suite run through eqlc's engine.
//! * [`explain`]: `eqlc explain`, why a rule did or did not alert on some events.
//! * [`gen_events`]: `eqlc gen-events`, events generated from a rule.
//! * [`rule_ref`]: a rule named on the command line, loaded on its own.
//! * [`input`]: what `eqlc scan` reads (files, folders, stdin; gzip, zstd; NDJSON,
//!   JSON arrays, `_search` responses and exports).
//! * [`format`]: how alerts are written (JSON lines, JSON, CSV, a table).
//! * [`select`]: which rules run (`--rule`, `--min-severity`, `--tag`).
//! * [`summary`]: what a scan saw, in words and as JSON.

pub mod compiled;
pub mod conformance;
pub mod explain;
pub mod format;
pub mod gen_events;
pub mod input;
pub mod rule_ref;
pub mod scan;
pub mod select;
pub mod summary;
