//! `eqlc scan`: run rules over NDJSON events and write alerts as NDJSON.
//!
//! Compiled mode (the default): the rules compiled into the binary at build time
//! ([`crate::compiled`]). Interpreted mode (`--rules DIR`): the rules are loaded,
//! checked and lowered at run time and evaluated by the reference interpreter. Bad
//! event lines are reported on stderr with their line number, counted and skipped;
//! every other event is processed.

use rule_compiler::interpreter::{self, InterpreterOptions};
use rule_compiler::ir::{lower_rule, PipeIr};
use rule_compiler::ruleset::check_paths;
use rule_runtime::alert::{Alert, RuleMatcher};
use rule_runtime::compiled::MatcherOptions;
use rule_runtime::engine::{write_alert_ndjson, Engine, EngineConfig, EventJson, Pipe};
use rule_runtime::event::{Event, JsonEvent};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The event handle the CLI uses: events are shared, never copied, between the
/// partial sequences and alerts that hold them.
pub type EventRef = Arc<JsonEvent>;

/// A compiled rule with the pipes of its query, as the engine takes it.
pub type RuleEntry = (Box<dyn RuleMatcher<EventRef>>, Vec<Pipe>);

/// Which rules a scan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rules {
    /// The rules compiled into this binary.
    Compiled,
    /// The rules of a folder, interpreted.
    Interpreted(PathBuf),
}

/// What `eqlc scan` was asked to do.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub rules: Rules,
    /// NDJSON files; empty for standard input.
    pub inputs: Vec<PathBuf>,
    pub engine: EngineConfig,
    pub interpreter: InterpreterOptions,
}

/// What a scan saw, for the summary on stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    pub rules: usize,
    pub lines: u64,
    pub events: u64,
    pub bad_lines: u64,
    pub alerts: u64,
    /// Engine and matcher counters (late, untimed, evicted …), nonzero ones only.
    pub counters: Vec<(String, u64)>,
}

impl ScanSummary {
    pub fn render(&self) -> String {
        let mut s = format!(
            "scanned {} events ({} lines, {} bad) with {} rules: {} alerts",
            self.events, self.lines, self.bad_lines, self.rules, self.alerts
        );
        for (k, v) in &self.counters {
            s.push_str(&format!("; {k} {v}"));
        }
        s
    }
}

/// Load, check and compile (for the interpreter) every rule under `dir`. Rules that
/// fail to check are reported, and the scan does not start.
pub fn load_matchers(dir: &Path, options: &InterpreterOptions) -> Result<Vec<RuleEntry>, String> {
    let report = check_paths(&[dir.to_path_buf()], None)
        .map_err(|e| format!("cannot read the rules in {}: {e}", dir.display()))?;
    if report.failed() > 0 {
        let rendered: Vec<String> = report
            .files
            .iter()
            .filter(|f| f.has_errors())
            .map(|f| f.render())
            .collect();
        return Err(format!(
            "{}\n{}: fix the rules above (`eqlc check {}`)",
            rendered.join("\n"),
            report.summary(),
            dir.display()
        ));
    }
    let mut matchers = Vec::new();
    for f in &report.files {
        let Some((rule, query)) = f.ok() else {
            continue;
        };
        let ir =
            lower_rule(rule, query).map_err(|e| format!("{}: {}", f.path.display(), e.message))?;
        let info = Arc::new(interpreter::rule_info(&rule.meta));
        let m = interpreter::matcher::<EventRef>(&ir, info, options)
            .map_err(|e| format!("{}: {e}", f.path.display()))?;
        let pipes = ir
            .pipes
            .iter()
            .map(|p| match p {
                PipeIr::Head(n) => Pipe::Head(*n),
                PipeIr::Tail(n) => Pipe::Tail(*n),
            })
            .collect();
        matchers.push((m, pipes));
    }
    Ok(matchers)
}

/// Run a scan: alerts to `out`, one JSON object per line; problems with event lines to
/// `err`. Returns the summary.
pub fn scan(
    options: &ScanOptions,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<ScanSummary, String> {
    match &options.rules {
        Rules::Interpreted(dir) => {
            let matchers = load_matchers(dir, &options.interpreter)?;
            run(options, matchers, Arc::new, out, err)
        }
        Rules::Compiled => {
            let m = MatcherOptions {
                sample_mode: options.interpreter.sample_mode,
                max_sequence_keys: options.interpreter.max_sequence_keys,
            };
            run(
                options,
                crate::compiled::matchers::<JsonEvent>(&m),
                crate::compiled::project_json,
                out,
                err,
            )
        }
    }
}

/// The scan loop over any event handle `E` (an `Arc<JsonEvent>` for the interpreter,
/// an event projected onto the compiled rules' field table for compiled rules).
#[allow(clippy::type_complexity)]
fn run<E: Event + EventJson + Clone>(
    options: &ScanOptions,
    matchers: Vec<(Box<dyn RuleMatcher<E>>, Vec<Pipe>)>,
    to_event: impl Fn(JsonEvent) -> E,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<ScanSummary, String> {
    let mut summary = ScanSummary {
        rules: matchers.len(),
        ..ScanSummary::default()
    };
    let mut engine = Engine::new(options.engine.clone(), matchers);
    let mut alerts: Vec<Alert<E>> = Vec::new();
    let write_err = |e: std::io::Error| format!("cannot write alerts: {e}");

    let mut process =
        |name: &str, reader: &mut dyn BufRead, summary: &mut ScanSummary| -> Result<(), String> {
            let mut line = String::new();
            let mut number = 0u64;
            loop {
                line.clear();
                let n = reader
                    .read_line(&mut line)
                    .map_err(|e| format!("{name}: cannot read line {}: {e}", number + 1))?;
                if n == 0 {
                    break;
                }
                number += 1;
                summary.lines += 1;
                if line.trim().is_empty() {
                    continue;
                }
                match JsonEvent::parse(line.trim_end()) {
                    Ok(event) => {
                        summary.events += 1;
                        engine.push(to_event(event), &mut alerts);
                        for a in alerts.drain(..) {
                            summary.alerts += 1;
                            write_alert_ndjson(&a, out).map_err(write_err)?;
                        }
                    }
                    Err(e) => {
                        summary.bad_lines += 1;
                        let _ = writeln!(err, "{name}:{number}: skipped: {e}");
                    }
                }
            }
            Ok(())
        };

    if options.inputs.is_empty() {
        let stdin = std::io::stdin();
        process("<stdin>", &mut stdin.lock(), &mut summary)?;
    } else {
        for path in &options.inputs {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            process(
                &path.display().to_string(),
                &mut std::io::BufReader::new(file),
                &mut summary,
            )?;
        }
    }
    engine.flush(&mut alerts);
    for a in alerts.drain(..) {
        summary.alerts += 1;
        write_alert_ndjson(&a, out).map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    let mut counters: Vec<(String, u64)> = engine
        .stats()
        .as_pairs()
        .iter()
        .filter(|(k, v)| *v > 0 && !matches!(*k, "events" | "released"))
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    for (k, v) in engine.matcher_counters() {
        if v > 0 {
            counters.push((k.to_string(), v));
        }
    }
    summary.counters = counters;
    Ok(summary)
}
