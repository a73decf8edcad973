//! Run the rules vendored in `eqlc_generated` over NDJSON events, with nothing of
//! eqlc but the generated crate and `rule_runtime`.
//!
//! ```text
//! eqlc_vendored_example [FILE…]     # no FILE: read standard input
//! ```
//!
//! Alerts go to standard output, one JSON object per line; bad event lines (with their
//! line number) and a summary go to standard error. Exit status: 0 when every input
//! was read (bad lines are skipped, not fatal), 1 on an I/O error.

use rule_runtime::compiled::MatcherOptions;
use rule_runtime::engine::{write_alert_ndjson, Engine, EngineConfig};
use rule_runtime::event::JsonEvent;
use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

/// Events up to this far (event time) behind the latest one are re-sorted before
/// matching, as `eqlc scan` does by default.
const REORDER_WINDOW_MS: u64 = 5_000;

/// What the run saw, for the summary line.
#[derive(Default)]
struct Counts {
    lines: u64,
    events: u64,
    bad_lines: u64,
    alerts: u64,
}

fn main() -> ExitCode {
    let inputs: Vec<String> = std::env::args().skip(1).collect();
    match run(&inputs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(inputs: &[String]) -> Result<(), String> {
    let matchers = eqlc_generated::matchers::<JsonEvent>(&MatcherOptions::default());
    let rules = matchers.len();
    let mut engine = Engine::new(EngineConfig::with_window(REORDER_WINDOW_MS), matchers);
    let mut alerts = Vec::new();
    let mut counts = Counts::default();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write_err = |e: std::io::Error| format!("cannot write alerts: {e}");

    let mut read = |name: &str, reader: &mut dyn BufRead, counts: &mut Counts| {
        let mut line = String::new();
        let mut number = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_line(&mut line)
                .map_err(|e| format!("{name}: cannot read line {}: {e}", number + 1))?;
            if n == 0 {
                return Ok::<(), String>(());
            }
            number += 1;
            counts.lines += 1;
            if line.trim().is_empty() {
                continue;
            }
            match JsonEvent::parse(line.trim_end()) {
                Ok(event) => {
                    counts.events += 1;
                    engine.push(eqlc_generated::project_json(event), &mut alerts);
                    for alert in alerts.drain(..) {
                        counts.alerts += 1;
                        write_alert_ndjson(&alert, &mut out).map_err(write_err)?;
                    }
                }
                Err(e) => {
                    counts.bad_lines += 1;
                    eprintln!("{name}:{number}: skipped: {e}");
                }
            }
        }
    };

    if inputs.is_empty() {
        read("<stdin>", &mut std::io::stdin().lock(), &mut counts)?;
    } else {
        for path in inputs {
            let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
            read(path, &mut std::io::BufReader::new(file), &mut counts)?;
        }
    }
    engine.flush(&mut alerts);
    for alert in alerts.drain(..) {
        counts.alerts += 1;
        write_alert_ndjson(&alert, &mut out).map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;

    let mut summary = format!(
        "scanned {} events ({} lines, {} bad) with {rules} vendored rules: {} alerts",
        counts.events, counts.lines, counts.bad_lines, counts.alerts
    );
    for (k, v) in engine.stats().as_pairs() {
        if v > 0 && !matches!(k, "events" | "released") {
            summary.push_str(&format!("; {k} {v}"));
        }
    }
    for (k, v) in engine.matcher_counters() {
        if v > 0 {
            summary.push_str(&format!("; {k} {v}"));
        }
    }
    eprintln!("{summary}");
    Ok(())
}
