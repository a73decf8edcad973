//! The runner's command line (`cargo xtask test-rules` builds the runner with the rules
//! folder compiled in and passes its arguments through).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use rule_compiler::codegen::{load_rules, GenRule};
use rule_compiler::diagnostic::RenderOptions;
use rule_runtime::pattern::Wildcard;
use rule_runtime::ruleset::RuleSetSpec;

use crate::benign;
use crate::harness::{display_path, test_rule, Options, RuleReport, RuleUnderTest};
use crate::report;
use crate::spec::{self, TestFile};

/// Test every rule of the rules folder: its test stream (`<stem>.test.yaml`) and the
/// events generated from it, through the compiled matchers and the interpreter.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask test-rules",
    about = "Test every rule: its test stream (<stem>.test.yaml) and events generated from it, through the compiled matchers and the interpreter",
    after_help = "Exit status: 0 when every rule passed, 1 when one failed, 2 on a usage error or a rule or test file that does not load."
)]
pub struct Args {
    /// Only these rules: a file name or stem, a rule_id or a rule name; `*` and `?`
    /// match any text / one character (repeatable).
    #[arg(long = "rule", value_name = "NAME|ID|GLOB")]
    pub rule: Vec<String>,
    /// Write a JUnit XML report (one testsuite per rule, one testcase per case).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Fail a rule whose test stream has fewer than N cases; from 2, also one without
    /// a case that alerts and one that stays silent. Generated cases do not count.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub min_cases: usize,
    /// NDJSON streams known to be benign: every rule runs over each, and any alert not
    /// allowed by known-false-positives.yaml (in the rules folder) fails the rule.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub benign: Vec<PathBuf>,
    /// Do not generate events from the rules (test streams only).
    #[arg(long)]
    pub no_generate: bool,
    /// Seed of the event generator.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Do not compare test-stream alerts with their snapshots.
    #[arg(long)]
    pub no_snapshots: bool,
    /// Also list every passing case.
    #[arg(long, short)]
    pub verbose: bool,
    /// The rules folder: the runner tests the folder it was built with; through `cargo
    /// xtask test-rules --rules DIR` any folder.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

/// Runs the command line over `spec` (the rules of `rules_dir`, compiled in).
pub fn main(spec: &'static RuleSetSpec, rules_dir: &Path) -> ExitCode {
    main_with(spec, rules_dir, std::env::args_os())
}

/// [`main`] over the given command line (its first item is the program's name).
pub fn main_with<I, T>(spec: &'static RuleSetSpec, rules_dir: &Path, command_line: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = match Args::try_parse_from(command_line) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if let Some(dir) = &args.rules {
        let same = dir.canonicalize().ok().as_deref() == Some(rules_dir);
        if !same {
            eprintln!(
                "test-rules: this runner has the rules of {} compiled in; test another folder with `cargo xtask test-rules --rules {}`",
                rules_dir.display(),
                dir.display()
            );
            return ExitCode::from(2);
        }
    }
    run(spec, rules_dir, &args)
}

/// A rule matches a selector by file name, stem, id or name (globs allowed).
fn selected(rule: &GenRule, stem: &str, selectors: &[Wildcard]) -> bool {
    selectors.is_empty()
        || selectors.iter().any(|w| {
            [rule.file.as_str(), stem, &rule.ir.id, &rule.ir.name]
                .iter()
                .any(|t| w.matches(t))
        })
}

/// The test files of a folder (recursively) that name no rule file.
fn orphan_test_files(dir: &Path, rule_paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "snapshots") {
                    stack.push(p);
                }
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.yaml"))
                && !rule_paths.iter().any(|r| spec::test_file_of(r) == p)
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn run(spec: &'static RuleSetSpec, rules_dir: &Path, args: &Args) -> ExitCode {
    // Diagnostics name files relative to the working folder, as `eqlc check` does.
    let cwd = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
    let loaded = match load_rules(rules_dir, cwd.as_deref(), RenderOptions::PLAIN) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (rules, paths) = (loaded.rules, loaded.files);
    // The runner must have been built from these very rules.
    let stale: Vec<&str> = rules
        .iter()
        .filter(|r| !spec.rules.iter().any(|s| s.id == r.ir.id))
        .map(|r| r.file.as_str())
        .collect();
    if !stale.is_empty() || spec.rules.len() != rules.len() {
        eprintln!(
            "test-rules: the compiled rules differ from the files of {} ({}); rebuild the runner (cargo xtask test-rules does)",
            rules_dir.display(),
            if stale.is_empty() {
                "another number of rules".to_string()
            } else {
                format!("not compiled in: {}", stale.join(", "))
            }
        );
        return ExitCode::from(2);
    }
    let path_of = |r: &GenRule, i: usize| -> PathBuf {
        match paths.get(i) {
            Some(p) if p.file_name().and_then(|n| n.to_str()) == Some(r.file.as_str()) => p.clone(),
            _ => paths
                .iter()
                .find(|p| p.file_name().and_then(|n| n.to_str()) == Some(r.file.as_str()))
                .cloned()
                .unwrap_or_else(|| rules_dir.join(&r.file)),
        }
    };
    let rule_paths: Vec<PathBuf> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| path_of(r, i))
        .collect();
    let selectors: Vec<Wildcard> = args.rule.iter().map(|s| Wildcard::new(s, true)).collect();
    let chosen: Vec<(usize, String)> = (0..rules.len())
        .map(|i| {
            let stem = rule_paths[i]
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (i, stem)
        })
        .filter(|(i, stem)| selected(&rules[*i], stem, &selectors))
        .collect();
    // Rules that do not compile fail, named with their diagnostics; the others run.
    let broken: Vec<RuleReport> = loaded
        .broken
        .iter()
        .filter(|b| {
            let file = b
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = b
                .path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            selectors.is_empty()
                || selectors
                    .iter()
                    .any(|w| w.matches(&file) || w.matches(&stem))
        })
        .map(|b| RuleReport::broken(&b.path, &b.errors))
        .collect();
    if chosen.is_empty() && broken.is_empty() {
        eprintln!(
            "test-rules: no rule of {} matches {}",
            rules_dir.display(),
            args.rule.join(", ")
        );
        return ExitCode::from(2);
    }
    // Every test file loads, or nothing runs.
    let mut load_errors = Vec::new();
    let mut test_files: Vec<Option<TestFile>> = Vec::with_capacity(chosen.len());
    for (i, _) in &chosen {
        let tf = spec::test_file_of(&rule_paths[*i]);
        if tf.is_file() {
            match spec::load(&tf) {
                Ok(t) => test_files.push(Some(t)),
                Err(e) => {
                    load_errors.push(e.to_string());
                    test_files.push(None);
                }
            }
        } else {
            test_files.push(None);
        }
    }
    if args.rule.is_empty() {
        for orphan in orphan_test_files(rules_dir, &paths) {
            load_errors.push(format!(
                "error: {}: no rule file beside it (a test stream is named after its rule: x.toml → x.test.yaml)",
                display_path(&orphan)
            ));
        }
    }
    let known = match benign::load_known(rules_dir) {
        Ok(k) => k,
        Err(e) => {
            load_errors.push(e.to_string());
            Vec::new()
        }
    };
    if !load_errors.is_empty() {
        for e in &load_errors {
            eprintln!("{e}");
        }
        eprintln!(
            "test-rules: {} test file error(s); nothing ran",
            load_errors.len()
        );
        return ExitCode::from(2);
    }

    let options = Options {
        generate: !args.no_generate,
        seed: args.seed,
        min_cases: args.min_cases,
        snapshots: !args.no_snapshots,
        explain: true,
    };
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(chosen.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rules {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    // insta prints a snapshot's diff itself; the panic it raises is caught.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !msg.contains("snapshot assertion") {
            eprintln!("{info}");
        }
    }));
    let mut reports: Vec<RuleReport> = Vec::with_capacity(chosen.len() + broken.len());
    for ((i, stem), tf) in chosen.iter().zip(&test_files) {
        bar.set_message(rules[*i].file.clone());
        let target = RuleUnderTest {
            rule: &rules[*i],
            stem: stem.clone(),
            test_file: tf.as_ref(),
        };
        let r = test_rule(spec, rules_dir, &target, &options);
        reports.push(r);
        bar.inc(1);
    }
    let _ = std::panic::take_hook();
    std::panic::set_hook(hook);
    bar.finish_and_clear();
    reports.extend(broken);

    if !args.benign.is_empty() {
        let list: Vec<(&GenRule, String)> = chosen
            .iter()
            .map(|(i, stem)| (&rules[*i], stem.clone()))
            .collect();
        match benign::run(spec, &list, &args.benign, &known) {
            Ok(findings) => {
                for f in findings {
                    if let Some(r) = reports.iter_mut().find(|r| r.id == f.rule_id) {
                        r.rule_failures.push(f.message);
                    }
                }
            }
            Err(e) => {
                eprintln!("test-rules: {e}");
                return ExitCode::from(2);
            }
        }
    }

    for r in &reports {
        print_rule(r, args.verbose);
    }
    let passed = reports.iter().filter(|r| r.passed()).count();
    let failed = reports.len() - passed;
    let stream_cases: usize = reports.iter().map(RuleReport::stream_cases).sum();
    let generated: usize = reports
        .iter()
        .map(|r| r.generated_matches + r.generated_near_misses)
        .sum();
    if options.generate {
        let covered = reports
            .iter()
            .filter(|r| r.generated_matches > 0 && r.generated_near_misses > 0)
            .count();
        println!(
            "generated: matching examples and near misses for {covered} of {} rules ({:.1}%), {generated} cases",
            reports.len(),
            100.0 * covered as f64 / reports.len().max(1) as f64
        );
    }
    let with_stream = reports.iter().filter(|r| r.test_file.is_some()).count();
    println!(
        "test streams: {with_stream} of {} rules, {stream_cases} cases",
        reports.len()
    );
    let mut status = ExitCode::SUCCESS;
    if let Some(path) = &args.json {
        let rr = report::RunReport {
            rules_dir: rules_dir.display().to_string(),
            passed,
            failed,
            rules: &reports,
        };
        if let Err(e) = std::fs::write(path, report::json(&rr)) {
            eprintln!("test-rules: cannot write {}: {e}", path.display());
            status = ExitCode::from(2);
        }
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, report::junit(&reports)) {
            eprintln!("test-rules: cannot write {}: {e}", path.display());
            status = ExitCode::from(2);
        }
    }
    println!("test-rules: {passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        status
    }
}

/// One line per rule, then what failed (indented) and notes.
fn print_rule(r: &RuleReport, verbose: bool) {
    let stream = r.stream_cases();
    let generated = r.generated_matches + r.generated_near_misses;
    let counts = format!(
        "{stream} test case{}, {generated} generated ({} matching, {} near misses)",
        if stream == 1 { "" } else { "s" },
        r.generated_matches,
        r.generated_near_misses
    );
    if !r.compiles {
        println!("FAILED {}  (does not compile)", r.file);
    } else if r.passed() {
        println!("ok     {}  ({counts})", r.file);
    } else {
        let failed = r.cases.iter().filter(|c| c.failure.is_some()).count();
        println!("FAILED {}  ({counts}; {failed} failed)", r.file);
    }
    for f in &r.rule_failures {
        let mut lines = f.lines();
        if let Some(first) = lines.next() {
            println!("  - {first}");
        }
        for l in lines {
            println!("    {l}");
        }
    }
    for c in &r.cases {
        match &c.failure {
            Some(f) => {
                println!("  case `{}` ({}) failed:", c.name, c.origin.label());
                for l in f.lines() {
                    println!("    {l}");
                }
            }
            None if verbose => println!("  case `{}`: ok ({} alerts)", c.name, c.alerts.len()),
            None => {}
        }
    }
    for n in &r.notes {
        println!("  note: {n}");
    }
    if verbose {
        for g in &r.gaps {
            println!("  not generated: {}: {}", g.what, g.reason);
        }
    } else if !r.gaps.is_empty() && (r.generated_matches == 0 || r.generated_near_misses == 0) {
        let g = &r.gaps[0];
        let mut reason = format!("{}: {}", g.what, g.reason);
        if reason.chars().count() > 200 {
            reason = reason.chars().take(200).collect::<String>() + "…";
        }
        println!(
            "  note: {} thing{} not generated (--verbose lists them), first: {reason}",
            r.gaps.len(),
            if r.gaps.len() == 1 { "" } else { "s" }
        );
    }
}
