//! `cargo xtask corpus [DIR] [--events N]`: compile every rule of a folder (default
//! `../shared/corpus/detection-rules-eql`) through the proc-macro into a scratch crate,
//! time its builds (check, debug, release, and a release rebuild after editing one rule:
//! benchmark figure M6), and run the release binary on the benchmark's stream
//! (`streamgen`).
//!
//! The scratch crate lives in `target/xtask-corpus/` with its own target folder and its
//! own copy of the rules (so the edit of the rebuild figure touches no source of the
//! project). Before each timed build the scratch crate alone is cleaned, so the times
//! are the macro's expansion plus the compilation of the generated code, not the
//! dependencies.

use rule_compiler::codegen::rules_from_dir;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// The build times of a rule set through the macro (seconds).
#[derive(Debug, Clone, Copy)]
pub struct BuildTimes {
    pub rules: usize,
    pub check: f64,
    pub debug: f64,
    pub release: f64,
    /// A release rebuild after one rule file changed.
    pub rebuild_one_rule: f64,
    /// The release binary's size in bytes.
    pub binary_bytes: u64,
}

/// The default corpus folder.
pub fn default_corpus(root: &Path) -> PathBuf {
    root.join("../shared/corpus/detection-rules-eql")
}

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let mut dir = default_corpus(root);
    let mut events = 20_000usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--events" => match it.next().and_then(|n| n.parse().ok()) {
                Some(n) => events = n,
                None => return fail("--events takes a number"),
            },
            d => dir = PathBuf::from(d),
        }
    }
    let times = match build_times(root, &dir) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let scratch = root.join("target/xtask-corpus");
    let exe = scratch.join("target/release/scratch_corpus");
    let stream = streamgen::Generator::new(streamgen::Config::default()).ndjson(events);
    let start = Instant::now();
    let out = Command::new(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(&stream)?;
            }
            child.wait_with_output()
        });
    let elapsed = start.elapsed().as_secs_f64();
    let summary = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => {
            return fail(&format!(
                "the corpus binary failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ))
        }
        Err(e) => return fail(&format!("cannot run the corpus binary: {e}")),
    };
    println!(
        "stream: {events} events, {} bytes; {summary}; {:.0} events/s (process start and pipe included)",
        stream.len(),
        events as f64 / elapsed.max(1e-9)
    );
    println!(
        "release binary: {:.1} MiB",
        times.binary_bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "corpus: {} compiled, 0 failed; build check {:.1}s, debug {:.1}s, release {:.1}s, release rebuild after editing one rule {:.1}s",
        times.rules, times.check, times.debug, times.release, times.rebuild_one_rule
    );
    ExitCode::SUCCESS
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("xtask corpus: {msg}");
    ExitCode::FAILURE
}

/// Checks and lowers every rule of `dir` (what the macro will do), then times the
/// builds of the scratch crate that compiles them in.
pub fn build_times(root: &Path, dir: &Path) -> Result<BuildTimes, String> {
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let rules = match rules_from_dir(&dir) {
        Ok((rules, _)) => rules.len(),
        Err(errors) => {
            return Err(format!(
                "{}\n{} rule files do not compile; no build",
                errors.join("\n"),
                errors.len()
            ))
        }
    };
    println!("{rules} rules checked and lowered");
    let scratch = root.join("target/xtask-corpus");
    let rules_copy = scratch.join("rules");
    copy_rules(&dir, &rules_copy).map_err(|e| format!("cannot copy the rules: {e}"))?;
    write_scratch(root, &scratch, &rules_copy)
        .map_err(|e| format!("cannot write the scratch crate: {e}"))?;
    let target = scratch.join("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let command = |args: &[&str]| {
        let mut c = Command::new(&cargo);
        c.args(args)
            .current_dir(&scratch)
            .env("CARGO_TARGET_DIR", &target);
        c
    };
    let build = |args: &[&str], clean: bool| -> Result<f64, String> {
        // Dependencies first (untimed), then the scratch crate alone, timed.
        if clean {
            let status = command(args).status().map_err(|e| e.to_string())?;
            if !status.success() {
                return Err(format!("cargo {} failed", args.join(" ")));
            }
            let profile = if args.contains(&"--release") {
                "release"
            } else {
                "dev"
            };
            let _ = command(&["clean", "-p", "scratch_corpus", "--profile", profile])
                .stderr(Stdio::null())
                .status();
        }
        let start = Instant::now();
        let status = command(args).status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo {} failed", args.join(" ")));
        }
        Ok(start.elapsed().as_secs_f64())
    };
    let check = build(&["check", "--offline", "--quiet"], true)?;
    let debug = build(&["build", "--offline", "--quiet"], true)?;
    let release = build(&["build", "--offline", "--quiet", "--release"], true)?;
    // Edit one rule (a comment line at the end of the first file) and rebuild.
    let first = first_rule_file(&rules_copy).ok_or("no rule file to edit")?;
    let mut text = std::fs::read_to_string(&first).map_err(|e| e.to_string())?;
    text.push_str("\n# edited by cargo xtask corpus (rebuild time)\n");
    std::fs::write(&first, text).map_err(|e| e.to_string())?;
    let rebuild_one_rule = build(&["build", "--offline", "--quiet", "--release"], false)?;
    let exe = target.join("release/scratch_corpus");
    let binary_bytes = std::fs::metadata(&exe).map(|m| m.len()).unwrap_or(0);
    Ok(BuildTimes {
        rules,
        check,
        debug,
        release,
        rebuild_one_rule,
        binary_bytes,
    })
}

/// Copies the rule files of `from` (recursively, `*.toml` and `*.eql`) to `to`, fresh.
fn copy_rules(from: &Path, to: &Path) -> std::io::Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    std::fs::create_dir_all(to)?;
    let mut stack = vec![from.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("toml" | "eql")) {
                let rel = p.strip_prefix(from).unwrap_or(&p);
                let dest = to.join(rel);
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::copy(&p, dest)?;
            }
        }
    }
    Ok(())
}

fn first_rule_file(dir: &Path) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .collect();
    files.sort();
    files.into_iter().next()
}

fn write_scratch(root: &Path, scratch: &Path, rules: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(scratch.join("src"))?;
    let manifest = format!(
        "[package]\nname = \"scratch_corpus\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nrule_macros = {{ path = {:?} }}\nrule_runtime = {{ path = {:?} }}\n\n[workspace]\n",
        root.join("rule_macros"),
        root.join("rule_runtime")
    );
    write_if_changed(&scratch.join("Cargo.toml"), &manifest)?;
    std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock"))?;
    let main = format!(
        r#"//! The corpus compiled in: reads NDJSON on stdin, prints events and alerts.

mod compiled {{
    rule_macros::include_rules!({rules:?});
}}

fn main() {{
    let config = rule_runtime::engine::EngineConfig::with_window(5000);
    let rules = compiled::rules(&config.time);
    let n = rules.len();
    let states = match rules.states(&rule_runtime::options::MatcherOptions::default()) {{
        Ok(s) => s,
        Err(e) => {{
            eprintln!("{{e}}");
            std::process::exit(1);
        }}
    }};
    let mut scanner = rule_runtime::stream::Scanner::new(
        rule_runtime::stream::CompiledBackend::new(rules),
        rule_runtime::engine::Engine::new(config, states),
    );
    let stdin = std::io::stdin();
    let mut lines = rule_runtime::stream::LineReader::new(stdin.lock());
    let mut count = 0u64;
    while let Ok(Some(line)) = lines.next_line() {{
        let _ = scanner.push(line);
        count += scanner.drain_alerts().count() as u64;
    }}
    scanner.flush();
    count += scanner.drain_alerts().count() as u64;
    let stats = scanner.stats();
    println!("{{n}} rules, {{}} events ({{}} bad), {{count}} alerts", stats.events, stats.rejected_total());
}}
"#,
        rules = rules.display().to_string()
    );
    write_if_changed(&scratch.join("src/main.rs"), &main)
}

fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text)?;
    }
    Ok(())
}
