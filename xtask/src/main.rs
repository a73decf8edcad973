//! Project automation for eqlc, run as `cargo xtask <task>` (the cargo-xtask convention:
//! the alias lives in `.cargo/config.toml`).
//!
//! Tasks:
//! * `census [DIR…]`: what EQL features the rules of some folders use, counted from the
//!   parsed AST (default: `rules/`).
//! * `conformance [DIR]`: Elasticsearch's EQL test suite (default
//!   `tests/conformance/es-eql`) run through eqlc's streaming engine; prints one line per
//!   failing query and the summary line, exits non-zero on any failure.
//! * `corpus [DIR] [--events N]`: the corpus through the proc-macro, build times and a
//!   run on the benchmark's stream (see `corpus.rs`).
//! * `bench [--quick] [--csv FILE] [--python] …`: the benchmark (see `bench.rs`).
//! * `test-rules [--rules DIR] [ARGS…]`: every rule's test stream and generated cases
//!   through both back ends (see `test_rules.rs` and the `rule_test` crate).
//! * `generate [--check]`: compile `rules/` into the vendorable crate `generated/`
//!   (`generated/src/lib.rs`, written only when it changed); `--check` writes nothing
//!   and fails when the file is stale (see `generate.rs`).

mod bench;
mod corpus;
mod generate;
mod python;
mod test_rules;

use rule_compiler::ast::{Expr, ExprKind, Query, QueryBody};
use rule_compiler::ruleset::check_paths;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  test-rules [--rules DIR] [--rule NAME|ID|GLOB]… [--junit FILE] [--json FILE]
             [--min-cases N] [--benign FILE…] [--seed N] [--no-generate] [--verbose]
                      test every rule of DIR (default rules/): its test stream
                      (<stem>.test.yaml) and events generated from it, through the
                      compiled matchers and the interpreter; exit 0 / 1 (failures) /
                      2 (usage, or a rule or test file that does not load)
  census [DIR…]       count the EQL features used by the rules under DIR (default rules/)
  conformance [DIR]   run Elasticsearch's EQL test suite (default tests/conformance/es-eql)
                      through the streaming engine; non-zero exit on any failure
  generate [--check]  compile rules/ into generated/src/lib.rs (written only when it
                      changed); --check writes nothing and fails if it is stale
  corpus [DIR] [--events N]
                      compile every rule of DIR (default ../shared/corpus/detection-rules-eql)
                      through the proc-macro into a scratch crate; time check, debug,
                      release builds and a rebuild after editing one rule; run it on
                      the benchmark's stream
  bench [--quick] [--csv FILE] [--python] [--events N] [--rules DIR]
                      the benchmark (BENCHMARKS.md): parse floors, the compiled rule
                      set end to end and alone, rule subsets, sequence state, build
                      times, the interpreter and (--python) Python eql on one stream;
                      --quick: the rules of rules/, no build times (under a minute)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("census") => census(&args[1..]),
        Some("conformance") => conformance(&args[1..]),
        Some("generate") => generate_task(&args[1..]),
        Some("corpus") => corpus::run(root(), &args[1..]),
        Some("bench") => bench::run(root(), &args[1..]),
        Some("test-rules") => test_rules::run(root(), &args[1..]),
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("xtask: unknown task `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The project's root folder (xtask's parent).
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new(".."))
}

/// Regenerate `generated/src/lib.rs`, or with `--check` verify that it is fresh.
fn generate_task(args: &[String]) -> ExitCode {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => {
            eprintln!("xtask generate: takes only `--check`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent folder");
    match generate::run(root, check) {
        Ok(generate::Outcome::Fresh) => {
            eprintln!("{} is up to date", generate::OUTPUT);
            ExitCode::SUCCESS
        }
        Ok(generate::Outcome::Updated) => {
            eprintln!("wrote {}", generate::OUTPUT);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask generate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Run the conformance suite; print failures and the summary line.
fn conformance(args: &[String]) -> ExitCode {
    if args.len() > 1 {
        eprintln!("xtask conformance: at most one folder\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let dir = args.first().map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/es-eql"),
        PathBuf::from,
    );
    let report = match eqlc::conformance::run_suite(&dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xtask conformance: {e}");
            return ExitCode::FAILURE;
        }
    };
    for line in report.failure_lines() {
        println!("{line}");
    }
    println!("{}", report.summary_line());
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Count query kinds, operators and functions over every rule that checks.
fn census(args: &[String]) -> ExitCode {
    let dirs: Vec<PathBuf> = if args.is_empty() {
        vec![PathBuf::from("rules")]
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    let report = match check_paths(&dirs, None) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xtask census: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut bump = |k: String| *counts.entry(k).or_default() += 1;
    for f in &report.files {
        let Some((_, q)) = f.ok() else { continue };
        bump(format!("kind: {}", kind(q)));
        if let QueryBody::Sequence(s) = &q.body {
            if s.maxspan.is_some() {
                bump("sequence: with maxspan".into());
            }
            if s.until.is_some() {
                bump("sequence: until".into());
            }
            if s.stages.iter().any(|st| st.missing) {
                bump("sequence: missing-event stage".into());
            }
            if s.stages.iter().any(|st| st.runs.is_some()) {
                bump("sequence: with runs".into());
            }
        }
        for filter in q.filters() {
            filter.condition.walk(&mut |e: &Expr| {
                if let Some(k) = feature(e) {
                    bump(k);
                }
            });
        }
    }
    for (k, n) in &counts {
        println!("{n:>7}  {k}");
    }
    println!("{}", report.summary());
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn kind(q: &Query) -> &'static str {
    match q.body {
        QueryBody::Event(_) => "event",
        QueryBody::Sequence(_) => "sequence",
        QueryBody::Sample(_) => "sample",
    }
}

fn feature(e: &Expr) -> Option<String> {
    Some(match &e.kind {
        ExprKind::Compare { op, .. } => format!("op: {}", op.symbol()),
        ExprKind::Pattern { op, list, .. } => {
            format!("op: {}{}", op.symbol(), if *list { " (list)" } else { "" })
        }
        ExprKind::In {
            negated,
            insensitive,
            ..
        } => format!(
            "op: {}in{}",
            if *negated { "not " } else { "" },
            if *insensitive { "~" } else { "" }
        ),
        ExprKind::Call {
            name, insensitive, ..
        } => format!(
            "function: {}{}",
            rule_compiler::functions::lookup(name).map_or(name.as_str(), |s| s.name),
            if *insensitive { "~" } else { "" }
        ),
        ExprKind::Field(f) if f.optional => "field: ?optional".into(),
        ExprKind::Arith { op, .. } => format!("arith: {}", op.symbol()),
        _ => return None,
    })
}
