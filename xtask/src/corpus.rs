//! `cargo xtask corpus [DIR] [--events N]`: compile every rule of a folder (default
//! `../shared/corpus/detection-rules-eql`) through the proc-macro into a scratch crate,
//! time its builds (check, debug, release, and release with the macro optimised via
//! `[profile.release.build-override]`), and run the release binary on a stream
//! generated from the rules' own literals.
//!
//! The scratch crate lives in `target/xtask-corpus/` with its own target folder. Before
//! each timed build the scratch crate alone is cleaned, so the times are the macro's
//! expansion plus the compilation of the generated code, not the dependencies.

use rule_compiler::codegen::rules_from_dir;
use rule_compiler::ir::{Cond, Leaf, Lit, RuleIr, ValueIr};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let mut dir = root.join("../shared/corpus/detection-rules-eql");
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
    let dir = match dir.canonicalize() {
        Ok(d) => d,
        Err(e) => return fail(&format!("{}: {e}", dir.display())),
    };

    // 1. Check and lower every rule (what the macro will do).
    let (rules, failed) = match rules_from_dir(&dir) {
        Ok((rules, _)) => (rules, 0),
        Err(errors) => {
            for e in &errors {
                println!("{e}");
            }
            (Vec::new(), errors.len())
        }
    };
    if failed > 0 {
        println!("corpus: 0 compiled, {failed} failed; no build");
        return ExitCode::FAILURE;
    }
    println!("{} rules checked and lowered", rules.len());

    // 2. The scratch crate.
    let scratch = root.join("target/xtask-corpus");
    if let Err(e) = write_scratch(root, &scratch, &dir) {
        return fail(&format!("cannot write the scratch crate: {e}"));
    }
    let target = scratch.join("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = |args: &[&str], envs: &[(&str, &str)]| -> Result<f64, String> {
        // Dependencies first (untimed), then the scratch crate alone, timed.
        let mut deps = Command::new(&cargo);
        deps.args(args)
            .current_dir(&scratch)
            .env("CARGO_TARGET_DIR", &target);
        for (k, v) in envs {
            deps.env(k, v);
        }
        let status = deps.status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo {} failed", args.join(" ")));
        }
        let profile = if args.contains(&"--release") {
            "release"
        } else {
            "dev"
        };
        let _ = Command::new(&cargo)
            .args(["clean", "-p", "scratch_corpus", "--profile", profile])
            .current_dir(&scratch)
            .env("CARGO_TARGET_DIR", &target)
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        let mut timed = Command::new(&cargo);
        timed
            .args(args)
            .current_dir(&scratch)
            .env("CARGO_TARGET_DIR", &target);
        for (k, v) in envs {
            timed.env(k, v);
        }
        let status = timed.status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo {} failed", args.join(" ")));
        }
        Ok(start.elapsed().as_secs_f64())
    };
    let times = (|| -> Result<[f64; 4], String> {
        let check = build(&["check", "--offline", "--quiet"], &[])?;
        let debug = build(&["build", "--offline", "--quiet"], &[])?;
        let release = build(&["build", "--offline", "--quiet", "--release"], &[])?;
        let release_opt = build(
            &["build", "--offline", "--quiet", "--release"],
            &[("CARGO_PROFILE_RELEASE_BUILD_OVERRIDE_OPT_LEVEL", "3")],
        )?;
        Ok([check, debug, release, release_opt])
    })();
    let [check, debug, release, release_opt] = match times {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let exe = target.join("release/scratch_corpus");
    let size = std::fs::metadata(&exe).map(|m| m.len()).unwrap_or(0);

    // 3. Run it on a stream generated from the rules' literals.
    let stream = generate_stream(&rules.iter().map(|r| &r.ir).collect::<Vec<_>>(), events);
    let start = Instant::now();
    let out = Command::new(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(stream.as_bytes())?;
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
        "stream: {events} events, {} bytes; {summary}; {:.0} events/s",
        stream.len(),
        events as f64 / elapsed.max(1e-9)
    );
    println!("release binary: {:.1} MiB", size as f64 / (1024.0 * 1024.0));
    println!(
        "release with build-override opt-level=3 (the macro optimised): {release_opt:.1}s (default build-override: {release:.1}s)"
    );
    println!(
        "corpus: {} compiled, {failed} failed; build check {check:.1}s, debug {debug:.1}s, release {release:.1}s",
        rules.len()
    );
    ExitCode::SUCCESS
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("xtask corpus: {msg}");
    ExitCode::FAILURE
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
    let config = rule_runtime::engine::EngineConfig::with_window(1000);
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

/// Field → values the rules look for (string literals of `==`, `in`, and wildcard
/// patterns with `*` and `?` filled in), and the categories they name.
fn vocabulary(rules: &[&RuleIr]) -> (BTreeMap<String, BTreeSet<String>>, BTreeSet<String>) {
    let mut vocab: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut categories = BTreeSet::new();
    fn walk(c: &Cond, ir: &RuleIr, vocab: &mut BTreeMap<String, BTreeSet<String>>) {
        match c {
            Cond::Not(x) => walk(x, ir, vocab),
            Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| walk(x, ir, vocab)),
            Cond::Const(_) => {}
            Cond::Leaf(l) => {
                let (field, values): (Option<u32>, Vec<String>) = match l {
                    Leaf::Compare {
                        lhs: ValueIr::Field(f),
                        rhs: ValueIr::Lit(Lit::Str(s)),
                        ..
                    } => (Some(*f), vec![s.clone()]),
                    Leaf::InSet {
                        value: ValueIr::Field(f),
                        set,
                        ..
                    } => (
                        Some(*f),
                        set.iter()
                            .filter_map(|l| match l {
                                Lit::Str(s) => Some(s.clone()),
                                _ => None,
                            })
                            .collect(),
                    ),
                    Leaf::Wildcard {
                        value: ValueIr::Field(f),
                        patterns,
                        ..
                    } => (
                        Some(*f),
                        patterns
                            .iter()
                            .map(|p| p.replace('*', "x").replace('?', "y"))
                            .collect(),
                    ),
                    _ => (None, Vec::new()),
                };
                if let Some(f) = field {
                    let entry = vocab.entry(ir.fields[f as usize].clone()).or_default();
                    entry.extend(values.into_iter().take(8));
                }
            }
        }
    }
    for ir in rules {
        let filters = ir.filters();
        for f in filters {
            if let Some(c) = &f.category {
                categories.insert(c.clone());
            }
            walk(&f.condition, ir, &mut vocab);
        }
    }
    (vocab, categories)
}

/// A deterministic NDJSON stream: each event takes a category and a handful of fields
/// with values the rules look for, dotted keys, timestamps 10 ms apart, and a small
/// pool of `process.entity_id`s so sequences can join.
fn generate_stream(rules: &[&RuleIr], n: usize) -> String {
    let (vocab, categories) = vocabulary(rules);
    let fields: Vec<(&String, Vec<&String>)> = vocab
        .iter()
        .filter(|(f, v)| !v.is_empty() && f.as_str() != "event.category")
        .map(|(f, v)| (f, v.iter().collect()))
        .collect();
    let categories: Vec<&String> = categories.iter().collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m.max(1) as u64) as usize
    };
    let mut out = String::new();
    for i in 0..n {
        let mut obj = serde_json::Map::new();
        obj.insert(
            "@timestamp".into(),
            serde_json::json!(1_767_225_600_000i64 + (i as i64) * 10),
        );
        if !categories.is_empty() {
            obj.insert(
                "event.category".into(),
                serde_json::json!([categories[next(categories.len())]]),
            );
        }
        obj.insert(
            "process.entity_id".into(),
            serde_json::json!(format!("p{}", next(50))),
        );
        obj.insert(
            "host.id".into(),
            serde_json::json!(format!("h{}", next(20))),
        );
        for _ in 0..(4 + next(6)) {
            if fields.is_empty() {
                break;
            }
            let (f, values) = &fields[next(fields.len())];
            obj.insert((*f).clone(), serde_json::json!(values[next(values.len())]));
        }
        out.push_str(&serde_json::Value::Object(obj).to_string());
        out.push('\n');
    }
    out
}
