//! The rules of `rules/` (or of `EQLC_RULES_DIR` at build time) compiled into this
//! binary by the `include_rules!` proc-macro: `eqlc scan` without `--rules` runs them,
//! `eqlc rules` lists them.
//!
//! Lenient: when a rule of the folder does not compile, eqlc still builds, with an
//! empty rule set and the diagnostics in `BUILD_INFO.errors`; `eqlc scan` and `eqlc
//! rules` then refuse to run and show them, while `eqlc check`, `explain` and the test
//! harness, which read the rule files themselves, keep working.

rule_macros::include_rules!(lenient);
