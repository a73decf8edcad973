//! The `eqlc` package as a library: what the command line, the tests and `cargo xtask`
//! share.
//!
//! * [`scan`]: `eqlc scan`, rules over NDJSON events.

pub mod scan;
