//! `eqlc scan`: run rules over events and write alerts.
//!
//! Compiled mode (the default): the rule set compiled into the binary at build time
//! ([`crate::compiled`]), read through the one-pass JSON projector and the rule set's
//! index. Interpreted mode (`--rules DIR`): the rules are loaded, checked and lowered at
//! run time and evaluated rule by rule by the reference interpreter. Both go through the
//! same line reader and engine (`rule_runtime::stream`): a line that is not an event is
//! reported on stderr with its input and line number (the first [`REPORTED_LINES`] in
//! full, then only counted by reason), counted and skipped; every other line is
//! processed. With `--threads N` (compiled mode, N > 1), lines are read here and
//! evaluated on N worker threads, then pushed into the one engine in input order
//! ([`ParallelScanner`]): the alerts, reports and counters are those of one thread.
//! Inputs: [`crate::input`]; alert formats: [`crate::format`]; the summary:
//! [`crate::summary`].

use rule_compiler::interpreter::{
    InterpretedRule, InterpretedRules, InterpreterBackend, InterpreterOptions,
};
use rule_compiler::ruleset::check_paths;
use rule_runtime::caps::{self, Cap};
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::parallel::{ParallelScanner, Unwrap};
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
    /// Worker threads evaluating lines (`--threads`; compiled rules only): more than one
    /// runs the pipeline of [`ParallelScanner`], with the same alerts, in the same order,
    /// and the same counters as one.
    pub threads: usize,
    /// The most lines in a batch sent to a worker thread (tests make it small).
    pub batch_lines: usize,
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
            threads: default_threads(),
            batch_lines: rule_runtime::parallel::BATCH_LINES,
        }
    }
}

/// The default of `--threads`: the cores available to this process.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
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
            // The interpreter is the reference back end: it evaluates on this thread.
            run(
                options,
                &sources,
                Scanner::new(backend, engine),
                Vec::new(),
                out,
                err,
            )
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
            let backend = CompiledBackend::new(set);
            let workers = if options.threads > 1 {
                (0..options.threads).map(|_| backend.worker()).collect()
            } else {
                Vec::new()
            };
            run(
                options,
                &sources,
                Scanner::new(backend, engine),
                workers,
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

/// Where evaluated lines go: their alerts are written as they are made final, rejected
/// lines reported (the first [`REPORTED_LINES`] in full) with their input and number.
struct Sink<'a> {
    writer: AlertWriter,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// The inputs' names, by position.
    names: Vec<String>,
    alerts: u64,
    by_severity: BTreeMap<String, u64>,
    by_rule: BTreeMap<String, u64>,
    reported: u64,
}

impl Sink<'_> {
    /// After line `number` of input `source` was pushed: reports it if it was rejected,
    /// and writes the alerts it made final.
    fn line<B: Backend>(
        &mut self,
        scanner: &mut Scanner<B>,
        source: usize,
        number: u64,
        pushed: Result<(), LineError>,
    ) -> Result<(), ScanError> {
        if let Err(e) = pushed {
            self.skip(source, number, &e);
        }
        self.emit(scanner)
    }

    fn skip(&mut self, source: usize, number: u64, e: &LineError) {
        self.reported += 1;
        if self.reported <= REPORTED_LINES {
            let name = self.names.get(source).map_or("", String::as_str);
            let _ = writeln!(self.err, "{name}:{number}: skipped: {e}");
        }
        if self.reported == REPORTED_LINES + 1 {
            let _ = writeln!(
                self.err,
                "eqlc: more lines are skipped; they are counted by reason in the summary"
            );
        }
    }

    /// Writes the alerts the scanner made final.
    fn emit<B: Backend>(&mut self, scanner: &mut Scanner<B>) -> Result<(), ScanError> {
        for a in scanner.drain_alerts() {
            self.alerts += 1;
            let severity = if a.rule.severity.is_empty() {
                "unset".to_string()
            } else {
                a.rule.severity.clone()
            };
            *self.by_severity.entry(severity).or_default() += 1;
            *self.by_rule.entry(a.rule.name.clone()).or_default() += 1;
            self.writer.write(&a, self.out).map_err(write_error)?;
        }
        Ok(())
    }
}

/// How lines reach the engine: evaluated on the scan's thread, or on worker threads
/// (`--threads`, [`ParallelScanner`]) and pushed in input order.
enum Feed<B: Backend> {
    Direct {
        scanner: Box<Scanner<B>>,
        source: usize,
        unwrap: Option<Unwrap>,
    },
    Parallel(Box<ParallelScanner<B>>),
}

impl<B> Feed<B>
where
    B: Backend + Send + 'static,
    B::Event: Send,
{
    /// Starts the lines of input `source`; `unwrap` rewrites each before evaluation.
    fn begin_source(
        &mut self,
        sink: &mut Sink<'_>,
        source: usize,
        unwrap: Option<Unwrap>,
    ) -> Result<(), ScanError> {
        match self {
            Feed::Direct {
                source: s,
                unwrap: u,
                ..
            } => {
                *s = source;
                *u = unwrap;
                Ok(())
            }
            Feed::Parallel(p) => {
                p.begin_source(source, unwrap, &mut |sc, s, n, r| sink.line(sc, s, n, r))
            }
        }
    }

    /// Line `number` of the current input.
    fn push(&mut self, sink: &mut Sink<'_>, number: u64, line: Line<'_>) -> Result<(), ScanError> {
        match self {
            Feed::Direct {
                scanner,
                source,
                unwrap,
            } => {
                let unwrapped;
                let line = match (*unwrap, line) {
                    (Some(unwrap), Line::Text(t)) => match unwrap(t) {
                        Some(s) => {
                            unwrapped = s;
                            Line::Text(&unwrapped)
                        }
                        None => Line::Text(t),
                    },
                    (_, l) => l,
                };
                let pushed = scanner.push(line);
                sink.line(scanner, *source, number, pushed)
            }
            Feed::Parallel(p) => p.push(number, line, &mut |sc, s, n, r| sink.line(sc, s, n, r)),
        }
    }

    /// Every line queued reaches the engine (and its alerts the sink).
    fn finish(&mut self, sink: &mut Sink<'_>) -> Result<(), ScanError> {
        match self {
            Feed::Direct { .. } => Ok(()),
            Feed::Parallel(p) => p.finish(&mut |sc, s, n, r| sink.line(sc, s, n, r)),
        }
    }

    fn scanner(&self) -> &Scanner<B> {
        match self {
            Feed::Direct { scanner, .. } => scanner,
            Feed::Parallel(p) => p.scanner(),
        }
    }

    fn scanner_mut(&mut self) -> &mut Scanner<B> {
        match self {
            Feed::Direct { scanner, .. } => scanner,
            Feed::Parallel(p) => p.scanner_mut(),
        }
    }

    /// The cuts of `cap` on worker threads.
    fn worker_cuts(&self, cap: Cap) -> u64 {
        match self {
            Feed::Direct { .. } => 0,
            Feed::Parallel(p) => p.cuts(cap),
        }
    }
}

/// The scan loop over any back end: lines evaluated on this thread, or by `workers`
/// (one thread each) when there are any.
fn run<B>(
    options: &ScanOptions,
    sources: &[Source],
    mut scanner: Scanner<B>,
    workers: Vec<B>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ScanSummary, ScanError>
where
    B: Backend + Send + 'static,
    B::Event: Send,
{
    let started = Instant::now();
    let cuts_before = [caps::count(Cap::Assignments), caps::count(Cap::KeyTuples)];
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
    let mut feed = if workers.is_empty() {
        Feed::Direct {
            scanner: Box::new(scanner),
            source: 0,
            unwrap: None,
        }
    } else {
        let mut parallel = ParallelScanner::new(scanner, workers)
            .map_err(|e| format!("cannot start the worker threads: {e}"))?;
        parallel.set_batch_lines(options.batch_lines);
        Feed::Parallel(Box::new(parallel))
    };
    let mut sink = Sink {
        writer: AlertWriter::new(options.format),
        out,
        err,
        names: sources.iter().map(Source::name).collect(),
        alerts: 0,
        by_severity: BTreeMap::new(),
        by_rule: BTreeMap::new(),
        reported: 0,
    };
    let read_bytes = Arc::new(AtomicU64::new(0));
    let total: Option<u64> = sources.iter().map(Source::size).sum();
    let bar = progress_bar(options.progress, total);
    match read(options, sources, &mut feed, &mut sink, &bar, &read_bytes) {
        Ok(()) => feed.finish(&mut sink)?,
        Err(ScanError::Failed(message)) => {
            // The lines before the failure are matched, as in a single-threaded scan.
            feed.finish(&mut sink)?;
            return Err(ScanError::Failed(message));
        }
        Err(e) => return Err(e),
    }
    let scanner = feed.scanner_mut();
    scanner.flush();
    sink.emit(scanner)?;
    sink.writer.finish(sink.out).map_err(write_error)?;
    sink.out.flush().map_err(write_error)?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let scanner = feed.scanner();
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
        let v = caps::count(cap)
            .saturating_sub(cuts_before[cap as usize])
            .saturating_add(feed.worker_cuts(cap));
        counters.insert(name.to_string(), v);
        if v > 0 {
            notices.extend(notice(name, v, window));
        }
    }
    let (alerts, by_severity, by_rule) = (sink.alerts, sink.by_severity, sink.by_rule);
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
        alerts,
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

/// Reads every input, line by line, into `feed`.
fn read<B>(
    options: &ScanOptions,
    sources: &[Source],
    feed: &mut Feed<B>,
    sink: &mut Sink<'_>,
    bar: &indicatif::ProgressBar,
    read_bytes: &Arc<AtomicU64>,
) -> Result<(), ScanError>
where
    B: Backend + Send + 'static,
    B::Event: Send,
{
    for (index, source) in sources.iter().enumerate() {
        let name = source.name();
        let mut reader = input::open(source, Arc::clone(read_bytes))?;
        let shape = input::sniff(&mut reader).map_err(|e| format!("{name}: {e}"))?;
        let unwrap: Option<Unwrap> = match shape {
            Shape::NdjsonHits => Some(input::hit_source),
            Shape::Document | Shape::Ndjson => None,
        };
        feed.begin_source(sink, index, unwrap)?;
        match shape {
            Shape::Document => {
                let events =
                    input::document_events(&mut reader).map_err(|e| format!("{name}: {e}"))?;
                for (i, line) in events.iter().enumerate() {
                    feed.push(sink, i as u64 + 1, Line::Text(line))?;
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
                    feed.push(sink, n, line)?;
                    if n % 4096 == 0 {
                        bar.set_position(read_bytes.load(Ordering::Relaxed));
                        bar.set_message(format!("{} alerts", sink.alerts));
                    }
                }
            }
        }
    }
    Ok(())
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
