//! The proc-macro that compiles a rules folder into specialised Rust matchers at build
//! time, the way `pest_derive` compiles a grammar.
//!
//! Not written yet (issue 4). It will be a thin shim over `rule_compiler`'s code
//! generator: read the folder named by the build script (`EQLC_RULES_DIR` or `rules/`),
//! load and check every rule, and return the generated tokens, or a `compile_error!`
//! naming `file:line:col` plus a skeleton so no follow-on errors cascade.
