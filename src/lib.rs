//! The `eqlc` package as a library: what the command line, the tests and `cargo xtask`
//! share.
//!
//! * [`compiled`]: the rules compiled in at build time.
//! * [`scan`]: `eqlc scan`, rules over NDJSON events.
//! * [`conformance`]: Elasticsearch's EQL test suite run through eqlc's engine.

pub mod compiled;
pub mod conformance;
pub mod scan;
