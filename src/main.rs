//! `eqlc`: compile Elastic EQL detection rules into fast, tested matchers.

use rule_compiler::ruleset::check_paths;
use rule_compiler::schema::Schema;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
eqlc: compile Elastic EQL detection rules into fast, tested Rust matchers

USAGE:
    eqlc check [--schema PATH] [--quiet] [PATH…]
        Load, parse and check rule files (detection-rules *.toml, bare *.eql);
        PATH is a file or a folder (walked recursively), default `rules/`.
        --schema PATH  a field schema (ECS flat JSON, detection-rules non-ECS JSON,
                       optionally .gz) or a folder of them: warns about unknown fields
                       and literals whose type cannot match
        --quiet        print only errors and the summary line
        Exit status 0 iff no rule failed.

    eqlc scan [--rules DIR] [OPTIONS] [FILE…]
        Run the rules compiled into eqlc (or, with --rules, the rules of DIR,
        interpreted) over NDJSON events from the FILEs (default: standard input);
        write one alert per line (JSON) to standard output and a summary to standard
        error. Bad event lines are reported with their line number, counted and
        skipped.
        --timestamp-field F   the event time (default @timestamp)
        --tiebreaker-field F  orders events with equal timestamps (e.g. event.sequence)
        --reorder-window MS   re-sort events arriving up to MS milliseconds out of
                              order (default 5000); later ones are counted as late
                              and still run through event queries
        --samples MODE        `stream` (default): the first complete sample per key;
                              `batch`: Elasticsearch's answer at end of input
        --max-sequence-keys N open join keys kept per sequence rule, oldest evicted
                              and counted (default 1000000)
        --max-line-bytes N    longer lines are skipped and counted (default 16 MiB)

    eqlc rules
        List the rules compiled into eqlc (id, name, kind, severity); build with
        `EQLC_RULES_DIR=<dir> cargo build --release` to compile another folder in.

    eqlc help
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("scan") => scan(&args[1..]),
        Some("rules") => {
            for r in eqlc::compiled::RULES.iter().map(|r| r.summary()) {
                println!("{}\t{}\t{}\t{}", r.id, r.kind, r.severity, r.name);
            }
            eprintln!("{} rules compiled in", eqlc::compiled::RULES.len());
            ExitCode::SUCCESS
        }
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("eqlc: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &[String]) -> ExitCode {
    let mut paths = Vec::new();
    let mut schema_path = None;
    let mut quiet = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--schema" => match it.next() {
                Some(p) => schema_path = Some(PathBuf::from(p)),
                None => return usage_error("--schema needs a path"),
            },
            "--quiet" | "-q" => quiet = true,
            "--help" | "-h" => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') => return usage_error(&format!("unknown option `{s}`")),
            p => paths.push(PathBuf::from(p)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("rules"));
    }
    let schema = match schema_path.map(|p| Schema::load(&p)).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("eqlc: cannot load the schema: {e}");
            return ExitCode::from(2);
        }
    };
    for p in &paths {
        if !p.exists() {
            eprintln!("eqlc: {}: no such file or folder", p.display());
            return ExitCode::from(2);
        }
    }
    let report = match check_paths(&paths, schema.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eqlc: cannot read the rules: {e}");
            return ExitCode::from(2);
        }
    };
    for f in &report.files {
        if f.diagnostics.is_empty() || (quiet && !f.has_errors()) {
            continue;
        }
        // At most 20 per file, then `… and N more`; the summary below counts them all.
        for rendered in f.render_capped(quiet) {
            println!("{rendered}");
        }
    }
    println!("{}", report.summary());
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("eqlc: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

fn scan(args: &[String]) -> ExitCode {
    use eqlc::scan::{scan, Rules, ScanOptions};
    use rule_compiler::interpreter::InterpreterOptions;
    use rule_runtime::engine::EngineConfig;
    use rule_runtime::sample::SampleMode;
    let mut rules = None;
    let mut inputs = Vec::new();
    let mut engine = EngineConfig::with_window(5_000);
    let mut interpreter = InterpreterOptions::default();
    let mut max_line_bytes = rule_runtime::stream::DEFAULT_MAX_LINE_BYTES;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        let r = match a.as_str() {
            "--rules" => value("--rules").map(|v| rules = Some(PathBuf::from(v))),
            "--timestamp-field" => value("--timestamp-field").map(|v| engine.time.timestamp = v),
            "--tiebreaker-field" => {
                value("--tiebreaker-field").map(|v| engine.time.tiebreaker = Some(v))
            }
            "--reorder-window" => value("--reorder-window").and_then(|v| {
                v.parse()
                    .map(|ms| engine.reorder_window_ms = ms)
                    .map_err(|_| format!("--reorder-window takes milliseconds, not `{v}`"))
            }),
            "--max-line-bytes" => value("--max-line-bytes").and_then(|v| match v.parse() {
                Ok(n) if n > 0 => {
                    max_line_bytes = n;
                    Ok(())
                }
                _ => Err(format!(
                    "--max-line-bytes takes a positive number, not `{v}`"
                )),
            }),
            "--max-sequence-keys" => value("--max-sequence-keys").and_then(|v| match v.parse() {
                Ok(n) if n > 0 => {
                    interpreter.max_sequence_keys = Some(n);
                    Ok(())
                }
                _ => Err(format!(
                    "--max-sequence-keys takes a positive number, not `{v}`"
                )),
            }),
            "--samples" => value("--samples").and_then(|v| match v.as_str() {
                "stream" => {
                    interpreter.sample_mode = SampleMode::Stream;
                    Ok(())
                }
                "batch" => {
                    interpreter.sample_mode = SampleMode::batch_default();
                    Ok(())
                }
                other => Err(format!(
                    "--samples takes `stream` or `batch`, not `{other}`"
                )),
            }),
            "--help" | "-h" => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') && s != "-" => Err(format!("unknown option `{s}`")),
            p => {
                inputs.push(PathBuf::from(p));
                Ok(())
            }
        };
        if let Err(e) = r {
            return usage_error(&e);
        }
    }
    let rules = match rules {
        Some(dir) => Rules::Interpreted(dir),
        None => Rules::Compiled,
    };
    inputs.retain(|p| p.as_os_str() != "-");
    let options = ScanOptions {
        rules,
        inputs,
        engine,
        interpreter,
        max_line_bytes,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    match scan(&options, &mut out, &mut err) {
        Ok(summary) => {
            eprintln!("{}", summary.render());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("eqlc: {e}");
            ExitCode::from(2)
        }
    }
}
