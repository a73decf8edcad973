//! The rules of `rules/` (or of `EQLC_RULES_DIR` at build time) compiled into this
//! binary by the `include_rules!` proc-macro: `eqlc scan` without `--rules` runs them,
//! `eqlc rules` lists them.

rule_macros::include_rules!();
