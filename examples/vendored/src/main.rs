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

use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::options::MatcherOptions;
use rule_runtime::output::write_alert_ndjson;
use rule_runtime::stream::{CompiledBackend, LineReader, Scanner};
use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

/// Events up to this far (event time) behind the latest one are re-sorted before
/// matching, as `eqlc scan` does by default.
const REORDER_WINDOW_MS: u64 = 5_000;

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
    let config = EngineConfig::with_window(REORDER_WINDOW_MS);
    let rules = eqlc_generated::rules(&config.time);
    let engine = Engine::new(config, rules.states(&MatcherOptions::default())?);
    let mut scanner = Scanner::new(CompiledBackend::new(rules), engine);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write_err = |e: std::io::Error| format!("cannot write alerts: {e}");
    let mut alerts = 0u64;

    let mut read =
        |name: &str, reader: &mut dyn BufRead, scanner: &mut Scanner<CompiledBackend>| {
            let mut lines = LineReader::new(reader);
            loop {
                let next = lines.line_number() + 1;
                let Some(line) = lines
                    .next_line()
                    .map_err(|e| format!("{name}: cannot read line {next}: {e}"))?
                else {
                    return Ok::<(), String>(());
                };
                if let Err(e) = scanner.push(line) {
                    eprintln!("{name}:{next}: skipped: {e}");
                }
                for alert in scanner.drain_alerts() {
                    alerts += 1;
                    write_alert_ndjson(&alert, &mut out).map_err(write_err)?;
                }
            }
        };

    if inputs.is_empty() {
        read("<stdin>", &mut std::io::stdin().lock(), &mut scanner)?;
    } else {
        for path in inputs {
            let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
            read(path, &mut std::io::BufReader::new(file), &mut scanner)?;
        }
    }
    scanner.flush();
    for alert in scanner.drain_alerts() {
        alerts += 1;
        write_alert_ndjson(&alert, &mut out).map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;

    let stats = scanner.stats();
    let mut summary = format!(
        "scanned {} events ({} lines, {} bad) with {} vendored rules: {alerts} alerts",
        stats.events,
        stats.lines,
        stats.rejected_total(),
        scanner.engine().len(),
    );
    for (k, v) in scanner.engine().matcher_counters() {
        if v > 0 {
            summary.push_str(&format!("; {k} {v}"));
        }
    }
    eprintln!("{summary}");
    Ok(())
}
