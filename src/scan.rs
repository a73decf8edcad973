//! `eqlc scan`: run rules over NDJSON events and write alerts as NDJSON.
//!
//! Compiled mode (the default): the rule set compiled into the binary at build time
//! ([`crate::compiled`]), read through the one-pass JSON projector and the rule set's
//! index. Interpreted mode (`--rules DIR`): the rules are loaded, checked and lowered at
//! run time and evaluated rule by rule by the reference interpreter. Both go through the
//! same line reader and engine (`rule_runtime::stream`): a line that is not an event is
//! reported on stderr with its line number (the first [`REPORTED_LINES`] in full, then
//! only counted by reason), counted and skipped; every other line is processed.

use rule_compiler::interpreter::{
    InterpretedRule, InterpretedRules, InterpreterBackend, InterpreterOptions,
};
use rule_compiler::ir::lower_rule;
use rule_compiler::ruleset::check_paths;
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::output::write_alert_ndjson;
use rule_runtime::ruleset::RuleSet;
use rule_runtime::stream::{Backend, CompiledBackend, LineError, LineReader, Scanner};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many rejected lines are reported in full (the rest are counted by reason).
pub const REPORTED_LINES: u64 = 10;

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
    /// The longest line read as an event.
    pub max_line_bytes: usize,
}

/// What a scan saw, for the summary on stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    pub rules: usize,
    pub lines: u64,
    pub events: u64,
    pub bad_lines: u64,
    /// Rejected lines by reason (nonzero ones).
    pub bad_by_reason: Vec<(&'static str, u64)>,
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
        for (k, v) in &self.bad_by_reason {
            s.push_str(&format!("; {k} {v}"));
        }
        for (k, v) in &self.counters {
            s.push_str(&format!("; {k} {v}"));
        }
        s
    }
}

/// Load, check and compile (for the interpreter) every rule under `dir`. Rules that
/// fail to check are reported, and the scan does not start.
pub fn load_interpreted(
    dir: &Path,
    options: &InterpreterOptions,
) -> Result<InterpretedRules, String> {
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
    let mut rules = Vec::new();
    for f in &report.files {
        let Some((rule, query)) = f.ok() else {
            continue;
        };
        let ir =
            lower_rule(rule, query).map_err(|e| format!("{}: {}", f.path.display(), e.message))?;
        let info = Arc::new(rule_compiler::interpreter::rule_info(&rule.meta));
        rules.push(
            InterpretedRule::new(&ir, info, options)
                .map_err(|e| format!("{}: {e}", f.path.display()))?,
        );
    }
    Ok(InterpretedRules::new(rules, options.clone()))
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
            let rules = load_interpreted(dir, &options.interpreter)?;
            let engine = Engine::new(options.engine.clone(), rules.states()?);
            let backend = InterpreterBackend::new(rules, options.engine.time.clone());
            run(options, Scanner::new(backend, engine), out, err)
        }
        Rules::Compiled => {
            let set = RuleSet::all(&crate::compiled::RULE_SET, &options.engine.time);
            let engine = Engine::new(
                options.engine.clone(),
                set.states(&options.interpreter.matcher_options())?,
            );
            run(
                options,
                Scanner::new(CompiledBackend::new(set), engine),
                out,
                err,
            )
        }
    }
}

/// The scan loop over any back end.
fn run<B: Backend>(
    options: &ScanOptions,
    mut scanner: Scanner<B>,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<ScanSummary, String> {
    let rules = scanner.engine().len();
    let write_err = |e: std::io::Error| format!("cannot write alerts: {e}");
    let mut alerts = 0u64;
    let mut reported = 0u64;
    let mut read = |name: &str,
                    reader: &mut dyn std::io::BufRead,
                    scanner: &mut Scanner<B>|
     -> Result<(), String> {
        let mut lines = LineReader::with_limit(reader, options.max_line_bytes);
        loop {
            let next = lines.line_number() + 1;
            let line = lines
                .next_line()
                .map_err(|e| format!("{name}: cannot read line {next}: {e}"))?;
            let Some(line) = line else {
                break;
            };
            if let Err(e) = scanner.push(line) {
                reported += 1;
                if reported <= REPORTED_LINES {
                    let _ = writeln!(err, "{name}:{}: skipped: {e}", lines.line_number());
                }
                if reported == REPORTED_LINES + 1 {
                    let _ = writeln!(
                        err,
                        "eqlc: more lines are skipped; they are counted by reason in the summary"
                    );
                }
            }
            for a in scanner.drain_alerts() {
                alerts += 1;
                write_alert_ndjson(&a, out).map_err(write_err)?;
            }
        }
        Ok(())
    };
    if options.inputs.is_empty() {
        let stdin = std::io::stdin();
        read("<stdin>", &mut stdin.lock(), &mut scanner)?;
    } else {
        for path in &options.inputs {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            read(
                &path.display().to_string(),
                &mut std::io::BufReader::with_capacity(1 << 16, file),
                &mut scanner,
            )?;
        }
    }
    scanner.flush();
    for a in scanner.drain_alerts() {
        alerts += 1;
        write_alert_ndjson(&a, out).map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    let stats = scanner.stats().clone();
    let engine = scanner.engine();
    let mut counters: Vec<(String, u64)> = engine
        .stats()
        .as_pairs()
        .iter()
        .filter(|(k, v)| {
            *v > 0
                && !matches!(
                    *k,
                    "events"
                        | "released"
                        | "watermarks"
                        | "hit_events"
                        | "rule_hits"
                        | "deadline_calls"
                        | "matched"
                        | "alerts"
                        | "max_buffered"
                )
        })
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    for (k, v) in engine.matcher_counters() {
        if v > 0 {
            counters.push((k.to_string(), v));
        }
    }
    let truncated = rule_runtime::assign::truncated();
    if truncated > 0 {
        counters.push(("leaf_assignments_capped".into(), truncated));
    }
    Ok(ScanSummary {
        rules,
        lines: stats.lines,
        events: stats.events,
        bad_lines: stats.rejected_total(),
        bad_by_reason: LineError::REASONS
            .iter()
            .zip(stats.rejected)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (*r, n))
            .collect(),
        alerts,
        counters,
    })
}
