//! `eqlc scan`: run rules over events and write alerts.
//!
//! Compiled mode (the default): the rule set compiled into the binary at build time
//! ([`crate::compiled`]), read through the one-pass JSON projector and the rule set's
//! index. Interpreted mode (`--rules DIR`): the rules are loaded, checked and lowered at
//! run time and evaluated rule by rule by the reference interpreter. Both go through the
//! same line reader and engine (`rule_runtime::stream`): a line that is not an event is
//! reported on stderr with its input and line number (the first [`REPORTED_LINES`] in
//! full, then only counted by reason), counted and skipped; every other line is
//! processed. Inputs: [`crate::input`]; alert formats: [`crate::format`]; the summary:
//! [`crate::summary`].

use rule_compiler::interpreter::{
    InterpretedRule, InterpretedRules, InterpreterBackend, InterpreterOptions,
};
use rule_compiler::ruleset::check_paths;
use rule_runtime::caps::{self, Cap};
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::ruleset::RuleSet;
use rule_runtime::stream::{Backend, CompiledBackend, Line, LineError, LineReader, Scanner};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::format::{AlertWriter, Format};
use crate::input::{self, Shape, Source};
use crate::select::{RuleFacts, Selection};
use crate::summary::{notice, peak_memory, ScanSummary};

/// How many rejected lines are reported in full (the rest are counted by reason).
pub const REPORTED_LINES: u64 = 10;

/// Events dated more than this ahead of the wall clock are not trusted to move time
/// (`EngineStats::future`).
pub const MAX_FUTURE_MS: i64 = 86_400_000;

/// The most events that hit a rule held in the reorder window (`--max-held-events`).
pub const DEFAULT_MAX_HELD_EVENTS: usize = 100_000;

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
    /// Files, folders, `-`; empty for standard input.
    pub inputs: Vec<PathBuf>,
    pub engine: EngineConfig,
    pub interpreter: InterpreterOptions,
    /// The longest line read as an event.
    pub max_line_bytes: usize,
    /// The most events that hit a rule held in the reorder window.
    pub max_held_events: usize,
    pub selection: Selection,
    /// Only events timestamped in `[from, to)` are matched (epoch milliseconds).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// The alert format (`Auto` resolved by the caller).
    pub format: Format,
    /// A progress bar on standard error.
    pub progress: bool,
    /// Trust every timestamp (tests); otherwise events dated more than a day ahead of
    /// the wall clock are matched as late.
    pub trust_future: bool,
}

impl ScanOptions {
    /// The defaults of the command line, for `rules` over `inputs`.
    pub fn new(rules: Rules, inputs: Vec<PathBuf>) -> ScanOptions {
        ScanOptions {
            rules,
            inputs,
            engine: EngineConfig::with_window(5_000),
            interpreter: InterpreterOptions::default(),
            max_line_bytes: rule_runtime::stream::DEFAULT_MAX_LINE_BYTES,
            max_held_events: DEFAULT_MAX_HELD_EVENTS,
            selection: Selection::default(),
            from: None,
            to: None,
            format: Format::Jsonl,
            progress: false,
            trust_future: false,
        }
    }
}

/// Why a scan stopped early.
#[derive(Debug)]
pub enum ScanError {
    /// Standard output was closed by its reader (`| head`): not an error.
    OutputClosed,
    /// A usage, rule or I/O error, with its message.
    Failed(String),
}

impl From<String> for ScanError {
    fn from(s: String) -> Self {
        ScanError::Failed(s)
    }
}

fn write_error(e: std::io::Error) -> ScanError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        ScanError::OutputClosed
    } else {
        ScanError::Failed(format!("cannot write alerts: {e}"))
    }
}

/// Load, check and compile (for the interpreter) every rule under `dir`. Rules that
/// fail to check are reported, and the scan does not start.
pub fn load_interpreted(
    dir: &Path,
    options: &InterpreterOptions,
    selection: &Selection,
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
    let unsupported = report.unsupported();
    if !unsupported.is_empty() {
        let list: Vec<String> = unsupported
            .iter()
            .map(|(t, n)| format!("{n} {t}"))
            .collect();
        eprintln!(
            "eqlc: not scanning the rules of types eqlc does not run yet: {}",
            list.join(", ")
        );
    }
    let mut rules = Vec::new();
    for f in &report.files {
        let Some(rule) = f.rule.as_ref().filter(|_| !f.has_errors()) else {
            continue;
        };
        let file = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let facts = RuleFacts {
            file: &file,
            id: &rule.meta.rule_id,
            name: &rule.meta.name,
            severity: &rule.meta.severity,
            tags: &rule.meta.tags,
        };
        if !selection.selects(&facts) {
            continue;
        }
        let Some(lowered) = f.lowered() else {
            continue;
        };
        let ir = lowered.map_err(|e| format!("{}: {}", f.path.display(), e.message))?;
        let info = Arc::new(rule_compiler::interpreter::rule_info(&rule.meta));
        rules.push(
            InterpretedRule::new(&ir, info, options)
                .map_err(|e| format!("{}: {e}", f.path.display()))?,
        );
    }
    Ok(InterpretedRules::new(rules, options.clone()))
}

/// Run a scan: alerts to `out` in the chosen format; problems with event lines to
/// `err`. Returns the summary.
pub fn scan(
    options: &ScanOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ScanSummary, ScanError> {
    let sources = input::expand(&options.inputs)?;
    match &options.rules {
        Rules::Interpreted(dir) => {
            let rules = load_interpreted(dir, &options.interpreter, &options.selection)?;
            if rules.rules().is_empty() {
                return Err(ScanError::Failed(format!(
                    "no rule of {} is selected",
                    dir.display()
                )));
            }
            let engine = Engine::new(options.engine.clone(), rules.states()?);
            let backend = InterpreterBackend::new(rules, options.engine.time.clone());
            run(options, &sources, Scanner::new(backend, engine), out, err)
        }
        Rules::Compiled => {
            compiled_rules_ok()?;
            let selection = &options.selection;
            let set = RuleSet::new(
                &crate::compiled::RULE_SET,
                |r| {
                    let info = (r.info)();
                    selection.selects(&RuleFacts {
                        file: r.file,
                        id: r.id,
                        name: r.name,
                        severity: r.severity,
                        tags: &info.tags,
                    })
                },
                &options.engine.time,
            );
            if set.is_empty() {
                return Err(ScanError::Failed(
                    "no rule compiled into eqlc is selected (eqlc rules lists them)".into(),
                ));
            }
            let engine = Engine::new(
                options.engine.clone(),
                set.states(&options.interpreter.matcher_options())?,
            );
            run(
                options,
                &sources,
                Scanner::new(CompiledBackend::new(set), engine),
                out,
                err,
            )
        }
    }
}

/// `Err` with the diagnostics when the rules compiled into eqlc did not build.
pub fn compiled_rules_ok() -> Result<(), String> {
    let info = &crate::compiled::BUILD_INFO;
    if info.ok() {
        return Ok(());
    }
    Err(format!(
        "{}
rules of the folder eqlc was built from do not compile ({} error{} above): this build left them out, so it does not scan; fix them (eqlc check) and rebuild, or interpret the folder meanwhile with `eqlc scan --rules DIR`",
        info.errors.join("\n"),
        info.errors.len(),
        if info.errors.len() == 1 { "" } else { "s" }
    ))
}

/// The scan loop over any back end.
fn run<B: Backend>(
    options: &ScanOptions,
    sources: &[Source],
    mut scanner: Scanner<B>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ScanSummary, ScanError> {
    let started = Instant::now();
    scanner.set_time_range(options.from, options.to);
    scanner
        .engine_mut()
        .set_max_held_events(Some(options.max_held_events));
    if !options.trust_future {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(i64::MAX, |d| {
                i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
            });
        scanner
            .engine_mut()
            .set_max_timestamp(Some(now.saturating_add(MAX_FUTURE_MS)));
    }
    let rules = scanner.engine().len();
    let mut writer = AlertWriter::new(options.format);
    let alerts = std::cell::Cell::new(0u64);
    let mut by_severity: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let mut reported = 0u64;
    let read_bytes = Arc::new(AtomicU64::new(0));
    let total: Option<u64> = sources.iter().map(Source::size).sum();
    let bar = progress_bar(options.progress, total);
    let mut emit = |scanner: &mut Scanner<B>, out: &mut dyn Write| -> Result<(), ScanError> {
        for a in scanner.drain_alerts() {
            alerts.set(alerts.get() + 1);
            let severity = if a.rule.severity.is_empty() {
                "unset".to_string()
            } else {
                a.rule.severity.clone()
            };
            *by_severity.entry(severity).or_default() += 1;
            *by_rule.entry(a.rule.name.clone()).or_default() += 1;
            writer.write(&a, out).map_err(write_error)?;
        }
        Ok(())
    };
    for source in sources {
        let name = source.name();
        let mut reader = input::open(source, Arc::clone(&read_bytes))?;
        let shape = input::sniff(&mut reader).map_err(|e| format!("{name}: {e}"))?;
        let mut skip = |line_no: u64, e: &LineError, err: &mut dyn Write| {
            reported += 1;
            if reported <= REPORTED_LINES {
                let _ = writeln!(err, "{name}:{line_no}: skipped: {e}");
            }
            if reported == REPORTED_LINES + 1 {
                let _ = writeln!(
                    err,
                    "eqlc: more lines are skipped; they are counted by reason in the summary"
                );
            }
        };
        match shape {
            Shape::Document => {
                let events =
                    input::document_events(&mut reader).map_err(|e| format!("{name}: {e}"))?;
                for (i, line) in events.iter().enumerate() {
                    if let Err(e) = scanner.push(Line::Text(line)) {
                        skip(i as u64 + 1, &e, err);
                    }
                    emit(&mut scanner, out)?;
                }
            }
            Shape::Ndjson | Shape::NdjsonHits => {
                let mut lines =
                    LineReader::with_limit(&mut reader as &mut dyn BufRead, options.max_line_bytes);
                let mut n = 0u64;
                loop {
                    let line = lines
                        .next_line()
                        .map_err(|e| format!("{name}: cannot read line {}: {e}", n + 1))?;
                    let Some(line) = line else {
                        break;
                    };
                    n += 1;
                    let unwrapped;
                    let line = match (shape, line) {
                        (Shape::NdjsonHits, Line::Text(t)) => match input::hit_source(t) {
                            Some(s) => {
                                unwrapped = s;
                                Line::Text(&unwrapped)
                            }
                            None => Line::Text(t),
                        },
                        (_, l) => l,
                    };
                    if let Err(e) = scanner.push(line) {
                        skip(n, &e, err);
                    }
                    emit(&mut scanner, out)?;
                    if n % 4096 == 0 {
                        bar.set_position(read_bytes.load(Ordering::Relaxed));
                        bar.set_message(format!("{} alerts", alerts.get()));
                    }
                }
            }
        }
    }
    scanner.flush();
    emit(&mut scanner, out)?;
    writer.finish(out).map_err(write_error)?;
    out.flush().map_err(write_error)?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let stats = scanner.stats().clone();
    let engine = scanner.engine();
    let window = options.engine.reorder_window_ms;
    let mut counters: BTreeMap<String, u64> = BTreeMap::new();
    let mut notices = Vec::new();
    let engine_stats = engine.stats();
    for (k, v) in engine_stats.as_pairs() {
        counters.insert(k.to_string(), v);
        if v > 0
            && matches!(
                k,
                "late"
                    | "untimed"
                    | "future"
                    | "held_overflow"
                    | "head_suppressed"
                    | "tail_dropped"
            )
        {
            notices.extend(notice(k, v, window));
        }
    }
    for (k, v) in engine.matcher_counters() {
        counters.insert(k.to_string(), v);
        if v > 0 {
            notices.extend(notice(k, v, window));
        }
    }
    for (name, cap) in [
        ("leaf_assignments_capped", Cap::Assignments),
        ("key_tuples_capped", Cap::KeyTuples),
    ] {
        let v = caps::count(cap);
        counters.insert(name.to_string(), v);
        if v > 0 {
            notices.extend(notice(name, v, window));
        }
    }
    let mut top_rules: Vec<(String, u64)> = by_rule.into_iter().collect();
    top_rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(ScanSummary {
        rules,
        inputs: sources.len(),
        lines: stats.lines,
        events: stats.events,
        bytes: read_bytes.load(Ordering::Relaxed),
        seconds,
        peak_memory_bytes: peak_memory(),
        alerts: alerts.get(),
        alerts_by_severity: by_severity,
        top_rules,
        skipped: LineError::REASONS
            .iter()
            .zip(stats.rejected)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (r.to_string(), n))
            .collect(),
        outside_time_range: stats.outside_range,
        notices,
        counters,
    })
}

/// A bar over the bytes of the inputs (a spinner when their size is unknown), hidden
/// when not asked for.
fn progress_bar(show: bool, total: Option<u64>) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {elapsed} {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}
