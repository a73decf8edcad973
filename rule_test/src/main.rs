//! The test-rules runner: the rules folder named at build time (`EQLC_RULES_DIR`,
//! default `rules/`) compiled in, tested by `rule_test::cli`. Run it through `cargo
//! xtask test-rules`, which builds it for the folder asked for. Lenient: a rule that
//! does not compile is left out of the build, and the runner reports it as a failed
//! rule while it tests the others.

use std::path::Path;
use std::process::ExitCode;

mod compiled {
    rule_macros::include_rules!(lenient);
}

fn main() -> ExitCode {
    rule_test::cli::main(&compiled::RULE_SET, Path::new(env!("EQLC_RULES_DIR_ABS")))
}
