//! `cargo xtask test-rules [--rules DIR] [ARGS…]`: builds the runner (`rule_test`'s
//! `rule-test` binary) with the rules folder compiled in and runs it with ARGS (see
//! `cargo xtask test-rules --help`).
//!
//! The runner is built leniently: a rule that does not compile is left out of it and
//! reported as a failed rule with its diagnostics, while the others are tested. `rules/` builds in the
//! workspace's target folder; any other folder in `target/test-rules/`, so switching
//! between them does not rebuild the other.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut pass = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rules" => match it.next() {
                Some(d) => dir = Some(PathBuf::from(d)),
                None => return usage("--rules takes a folder"),
            },
            other => match other.strip_prefix("--rules=") {
                Some(d) => dir = Some(PathBuf::from(d)),
                None => pass.push(a.clone()),
            },
        }
    }
    let default = root.join("rules");
    let dir = dir.unwrap_or_else(|| default.clone());
    let dir = match dir.canonicalize() {
        Ok(d) => d,
        Err(e) => return usage(&format!("{}: {e}", dir.display())),
    };
    let is_default = default.canonicalize().ok().as_deref() == Some(dir.as_path());
    let target = if is_default {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
    } else {
        root.join("target/test-rules")
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "--locked",
            "-p",
            "rule_test",
            "--bin",
            "rule-test",
        ])
        .current_dir(root)
        .env("EQLC_RULES_DIR", &dir)
        .env("CARGO_TARGET_DIR", &target)
        .status();
    match built {
        Ok(s) if s.success() => {}
        Ok(_) => {
            eprintln!(
                "test-rules: the runner did not build with the rules of {}",
                dir.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("test-rules: cannot run cargo: {e}");
            return ExitCode::from(2);
        }
    }
    let exe = target.join("debug/rule-test");
    match Command::new(&exe).args(&pass).status() {
        Ok(s) => match s.code() {
            Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
            None => ExitCode::from(1),
        },
        Err(e) => {
            eprintln!("test-rules: cannot run {}: {e}", exe.display());
            ExitCode::from(2)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("test-rules: {msg}\nusage: cargo xtask test-rules [--rules DIR] [--rule NAME|ID|GLOB]… [--junit FILE] [--json FILE] [--min-cases N] [--benign FILE…] [--seed N] [--no-generate] [--no-snapshots] [--verbose]");
    ExitCode::from(2)
}
