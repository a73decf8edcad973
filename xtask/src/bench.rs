//! `cargo xtask bench [--quick] [--csv FILE] [--python] [--events N] [--rules DIR]`: the
//! benchmark of `BENCHMARKS.md`.
//!
//! The measuring program (`bench/`, its own workspace so its comparison parsers stay out
//! of eqlc's dependency tree) is built in release mode with the rules compiled in and run
//! once: every figure it reports (M1–M5, M7's interpreter, M8's threads) comes from one
//! process on one in-memory stream. Around it this task adds M6 (build times of the rules
//! through the macro, full runs only) and, with `--python`, the Python `eql` engine on
//! the same stream (PyPI `eql` 1.0.1 in a virtualenv under `target/`). It prints a
//! table, writes one CSV row per configuration with `--csv`, and ends with `bench: M1/M3
//! = R, compiled/interpreter = X, compiled/python = Y, 2 threads/1 thread = T` (`n/a` for
//! what the run did not measure).
//!
//! `--quick` (CI): the rules of `rules/`, a 4,000-event stream, one repetition, no M6; it
//! reports figures and never fails on speed. A full run compiles the corpus
//! (`../shared/corpus/detection-rules-eql`, or `--rules DIR`) into the measuring program.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

struct Args {
    quick: bool,
    csv: Option<PathBuf>,
    python: bool,
    events: Option<usize>,
    rules: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        quick: false,
        csv: None,
        python: false,
        events: None,
        rules: None,
    };
    let mut it = args.iter();
    while let Some(x) = it.next() {
        match x.as_str() {
            "--quick" => a.quick = true,
            "--python" => a.python = true,
            "--csv" => a.csv = Some(it.next().ok_or("--csv takes a file")?.into()),
            "--events" => {
                a.events = Some(
                    it.next()
                        .and_then(|n| n.parse().ok())
                        .ok_or("--events takes a number")?,
                )
            }
            "--rules" => a.rules = Some(it.next().ok_or("--rules takes a folder")?.into()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(a)
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("xtask bench: {msg}");
    ExitCode::FAILURE
}

fn git_commit(root: &Path) -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn run(root: &Path, args: &[String]) -> ExitCode {
    let args = match parse(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("xtask bench: {e}");
            return ExitCode::from(2);
        }
    };
    let rules_dir = match (&args.rules, args.quick) {
        (Some(d), _) => d.clone(),
        (None, true) => root.join("rules"),
        (None, false) => super::corpus::default_corpus(root),
    };
    let rules_dir = match rules_dir.canonicalize() {
        Ok(d) => d,
        Err(e) => {
            return fail(&format!(
                "{}: {e} (the full benchmark compiles the corpus of ../shared; without it, run `cargo xtask bench --quick` or pass --rules DIR)",
                rules_dir.display()
            ))
        }
    };
    let out_dir = root.join("target/bench");
    let _ = std::fs::create_dir_all(&out_dir);
    let json_path = out_dir.join("results.json");
    let stream_path = out_dir.join("stream.ndjson");

    // M6 first (full runs): it rebuilds a scratch crate, not the measuring program.
    let build_times = if args.quick {
        None
    } else {
        match super::corpus::build_times(root, &rules_dir) {
            Ok(t) => Some(t),
            Err(e) => return fail(&e),
        }
    };

    eprintln!(
        "xtask bench: building the measuring program with the rules of {} (release)",
        rules_dir.display()
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut run = Command::new(&cargo);
    run.args(["run", "--quiet", "--release", "--locked", "--manifest-path"])
        .arg(root.join("bench/Cargo.toml"))
        .arg("--")
        .arg("--json")
        .arg(&json_path)
        .arg("--stream-out")
        .arg(&stream_path)
        .env("EQLC_RULES_DIR", &rules_dir)
        .env("CARGO_TARGET_DIR", out_dir.join("target"));
    if args.quick {
        run.arg("--quick");
    }
    if let Some(n) = args.events {
        run.arg("--events").arg(n.to_string());
    }
    match run.status() {
        Ok(s) if s.success() => {}
        Ok(_) => return fail("the measuring program failed (see above)"),
        Err(e) => return fail(&format!("cannot run cargo: {e}")),
    }
    let results: Json = match std::fs::read(&json_path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(j) => j,
        Err(e) => return fail(&format!("{}: {e}", json_path.display())),
    };

    let python = if args.python {
        match super::python::run(root, &rules_dir, &stream_path) {
            Ok(p) => Some(p),
            Err(e) => return fail(&format!("the Python `eql` baseline: {e}")),
        }
    } else {
        None
    };

    report(root, &args, &results, build_times, python.as_ref())
}

/// A figure of the results file.
fn figure<'a>(results: &'a Json, id: &str, config_prefix: &str) -> Option<&'a Json> {
    results["figures"].as_array()?.iter().find(|f| {
        f["id"] == id
            && f["config"]
                .as_str()
                .is_some_and(|c| c.starts_with(config_prefix))
    })
}

fn eps(f: Option<&Json>) -> Option<f64> {
    f.and_then(|f| f["events_per_s"].as_f64())
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".into(),
    }
}

fn report(
    root: &Path,
    args: &Args,
    results: &Json,
    build: Option<super::corpus::BuildTimes>,
    python: Option<&super::python::PythonResult>,
) -> ExitCode {
    let commit = git_commit(root);
    let figures = results["figures"].as_array().cloned().unwrap_or_default();
    let floor = figures
        .iter()
        .filter(|f| f["id"] == "M3")
        .filter_map(|f| f["events_per_s"].as_f64())
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
    let m1 = eps(figure(results, "M1", "compiled"));
    let interp = eps(figure(results, "M7", "interpreter"));
    let m2c = eps(figure(results, "M2", "compiled"));
    let m2i = eps(figure(results, "M2", "interpreter"));
    let m8_one = eps(figure(results, "M8", "compiled, end to end, 1 thread"));
    let m8_two = eps(figure(results, "M8", "compiled, end to end, 2 threads"));
    let stream = &results["stream"];
    println!(
        "stream: {} events, {} bytes (median {} B, p95 {} B, max {} B); {} alerts ({:.3}% of events), identical compiled and interpreted",
        stream["events"], stream["bytes"], stream["median_bytes"], stream["p95_bytes"],
        stream["max_bytes"], stream["alerts"],
        stream["alert_share"].as_f64().unwrap_or(0.0) * 100.0
    );
    println!(
        "rules: {} compiled in, {} distinct atoms\n",
        results["rules"], results["atoms"]
    );
    println!(
        "{:<4} {:<44} {:>12} {:>9} {:>8} {:>8}  ratio",
        "id", "configuration", "events/s", "ns/event", "MB/s", "alerts"
    );
    let mut csv = vec![
        "figure,config,commit,parser,rules,match_share,open_keys,events_per_s,gb_per_s,ns_per_event,alerts,expected_alerts,bytes_per_key,build_s,ratio".to_string(),
    ];
    let expected = stream["alerts"].as_u64();
    for f in &figures {
        let id = f["id"].as_str().unwrap_or("");
        let config = f["config"].as_str().unwrap_or("");
        let e = f["events_per_s"].as_f64();
        let ratio_note = match id {
            "M1" => format!("M1/M3 {}", ratio(e, floor)),
            "M3" => format!("of best floor {}", ratio(e, floor)),
            "M2" if config.starts_with("compiled") => {
                format!("compiled/interpreter {}", ratio(m2c, m2i))
            }
            "M4" => format!(
                "{:.2}% of rules evaluated per event; vs 1 rule {}",
                f["match_share"].as_f64().unwrap_or(0.0) * 100.0,
                ratio(e, eps(figure(results, "M4", "1 rules")))
            ),
            "M5" => {
                let base = if config.contains("uniform") {
                    "1000 open keys, all active"
                } else {
                    "1000 open keys, 1000 active"
                };
                format!(
                    "{:.1} B/key; vs 1000 keys {}",
                    f["bytes_per_key"].as_f64().unwrap_or(0.0),
                    ratio(e, eps(figure(results, "M5", base)))
                )
            }
            "M7" => format!("compiled/interpreter {}", ratio(m1, e)),
            "M8" => format!("vs 1 thread {}", ratio(e, m8_one)),
            _ => String::new(),
        };
        println!(
            "{:<4} {:<44} {:>12.0} {:>9.0} {:>8.1} {:>8}  {}",
            id,
            config,
            e.unwrap_or(0.0),
            f["ns_per_event"].as_f64().unwrap_or(0.0),
            f["gb_per_s"].as_f64().unwrap_or(0.0) * 1000.0,
            f["alerts"].as_u64().map_or("-".into(), |a| a.to_string()),
            ratio_note
        );
        csv.push(format!(
            "{id},{config:?},{commit},{},{},{},{},{:.1},{:.4},{:.1},{},{},{},,{}",
            f["parser"].as_str().unwrap_or(""),
            f["rules"],
            f["match_share"]
                .as_f64()
                .map_or(String::new(), |s| format!("{s:.5}")),
            f["open_keys"]
                .as_u64()
                .map_or(String::new(), |k| k.to_string()),
            e.unwrap_or(0.0),
            f["gb_per_s"].as_f64().unwrap_or(0.0),
            f["ns_per_event"].as_f64().unwrap_or(0.0),
            f["alerts"]
                .as_u64()
                .map_or(String::new(), |a| a.to_string()),
            if id == "M1" || id == "M7" {
                expected.map_or(String::new(), |x| x.to_string())
            } else {
                String::new()
            },
            f["bytes_per_key"]
                .as_f64()
                .map_or(String::new(), |b| format!("{b:.1}")),
            ratio_note.replace(',', ";"),
        ));
    }
    if let Some(b) = build {
        for (config, secs) in [
            ("check", b.check),
            ("debug build", b.debug),
            ("release build", b.release),
            ("release rebuild after editing one rule", b.rebuild_one_rule),
        ] {
            println!(
                "{:<4} {:<44} {:>12} {:>9} {:>8} {:>8}  {:.1} s for {} rules",
                "M6", config, "-", "-", "-", "-", secs, b.rules
            );
            csv.push(format!(
                "M6,{config:?},{commit},,{},,,,,,,,,{secs:.1},",
                b.rules
            ));
        }
    }
    let python_eps = python.map(|p| p.events_per_s);
    if let Some(p) = python {
        println!(
            "{:<4} {:<44} {:>12.0} {:>9.0} {:>8} {:>8}  compiled/python {} ({} of {} rules parsed by eql {})",
            "M7",
            "Python eql, end to end",
            p.events_per_s,
            1e9 / p.events_per_s.max(1e-9),
            "-",
            p.alerts,
            ratio(m1, python_eps),
            p.rules_loaded,
            p.rules_total,
            p.version
        );
        csv.push(format!(
            "M7,\"Python eql, end to end\",{commit},python,{},,,{:.1},,{:.1},{},,,,",
            p.rules_loaded,
            p.events_per_s,
            1e9 / p.events_per_s.max(1e-9),
            p.alerts
        ));
    }
    if let Some(path) = &args.csv {
        if let Err(e) = std::fs::write(path, csv.join("\n") + "\n") {
            return fail(&format!("{}: {e}", path.display()));
        }
    }
    println!(
        "\nbench: M1/M3 = {}, compiled/interpreter = {}, compiled/python = {}, 2 threads/1 thread = {}",
        ratio(m1, floor),
        ratio(m1, interp),
        ratio(m1, python_eps),
        ratio(m8_two, m8_one)
    );
    ExitCode::SUCCESS
}
