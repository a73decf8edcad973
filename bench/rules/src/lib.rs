//! The rules the benchmark measures (`EQLC_RULES_DIR` at build time, default `rules/`),
//! compiled by `include_rules!`; the folder they came from is `RULES_DIR`.

rule_macros::include_rules!();

/// The rules folder compiled in (for the interpreter, which reads the same files).
pub const RULES_DIR: &str = env!("EQLC_RULES_DIR_ABS");
