//! `eqlc`: compile Elastic EQL detection rules into fast, tested matchers.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use rule_compiler::ruleset::check_paths;
use rule_compiler::schema::Schema;

/// Compile Elastic EQL detection rules into fast, tested Rust matchers, and run them.
#[derive(Debug, Parser)]
#[command(name = "eqlc", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load, parse and check rule files (detection-rules *.toml, bare *.eql).
    ///
    /// Prints every error and warning with file:line:col, the line and a caret, and
    /// ends with `checked N rules: K ok, F failed`. Exit status 0 iff no rule failed.
    #[command(
        after_help = "Examples:\n  eqlc check\n  eqlc check --schema schemas/ rules/my_rule.toml"
    )]
    Check {
        /// A field schema (ECS flat JSON, detection-rules non-ECS JSON, optionally
        /// .gz) or a folder of them: warns about unknown fields and literals whose type
        /// cannot match.
        #[arg(long, value_name = "PATH")]
        schema: Option<PathBuf>,
        /// Print only errors and the summary line.
        #[arg(long, short)]
        quiet: bool,
        /// Print, for each KQL rule, the Elasticsearch query DSL Kibana's detection
        /// engine would build from it (typed with eqlc's bundled field mappings), one
        /// JSON object per line, instead of the diagnostics.
        #[arg(long)]
        emit_dsl: bool,
        /// Rule files or folders (walked recursively); default `rules/`.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Run the rules over NDJSON events; alerts on standard output (one JSON object
    /// per line), a summary on standard error.
    ///
    /// Without --rules, the rules compiled into eqlc run; with --rules DIR, the rules
    /// of DIR, interpreted. Bad event lines are reported with their line number,
    /// counted and skipped.
    #[command(
        after_help = "Examples:\n  eqlc scan examples/events/windows_credential_access.ndjson\n  cat events.ndjson | eqlc scan --rules my_rules/ -"
    )]
    Scan(ScanArgs),
    /// List the rules compiled into eqlc (id, name, version, severity, kind, tactics,
    /// file) and what they were built from.
    ///
    /// Build with `EQLC_RULES_DIR=<dir> cargo build --release` to compile another
    /// folder in.
    Rules {
        #[command(flatten)]
        select: SelectArgs,
        /// How the list is written.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Shell completions for eqlc, on standard output.
    #[command(
        after_help = "Example:\n  eqlc completions bash > ~/.local/share/bash-completion/completions/eqlc"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Why a rule did or did not alert on some events: per event and stage, which
    /// condition failed and on what values; join keys, gaps against maxspan, `until`
    /// and missing-event stages.
    #[command(
        after_help = "Examples:\n  eqlc explain credential_access_suspicious_comsvcs_imageload events.ndjson\n  eqlc explain rules/my_rule.toml - < events.ndjson"
    )]
    Explain {
        /// A rule file, or a rule of --rules by file name, stem, rule_id or name.
        rule: String,
        /// NDJSON events (`-` for standard input).
        events: PathBuf,
        /// The folder RULE is looked up in.
        #[arg(long, value_name = "DIR", default_value = "rules")]
        rules: PathBuf,
        #[command(flatten)]
        time: TimeArgs,
        /// The report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Events generated from a rule, as NDJSON: matching examples (and near misses
    /// that must not alert), each verified by the reference interpreter.
    #[command(
        after_help = "Examples:\n  eqlc gen-events credential_access_suspicious_comsvcs_imageload\n  eqlc gen-events rules/my_rule.toml --near-misses --cases"
    )]
    GenEvents {
        /// A rule file, or a rule of --rules by file name, stem, rule_id or name.
        rule: String,
        /// The folder RULE is looked up in.
        #[arg(long, value_name = "DIR", default_value = "rules")]
        rules: PathBuf,
        /// Also write the near misses.
        #[arg(long)]
        near_misses: bool,
        /// Seed of the generator.
        #[arg(long, value_name = "N", default_value_t = 0)]
        seed: u64,
        /// One JSON object per case (name, kind, expected alerts, events) instead of
        /// the events.
        #[arg(long)]
        cases: bool,
    },
}

#[derive(Debug, clap::Args)]
struct TimeArgs {
    /// The event time field.
    #[arg(long, value_name = "FIELD", default_value = "@timestamp")]
    timestamp_field: String,
    /// Orders events with equal timestamps (for example event.sequence).
    #[arg(long, value_name = "FIELD")]
    tiebreaker_field: Option<String>,
    /// Re-sort events arriving up to MS milliseconds out of order; later ones are
    /// counted as late and still run through event queries.
    #[arg(long, value_name = "MS", default_value_t = 5_000)]
    reorder_window: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Samples {
    /// The first complete sample per key.
    Stream,
    /// Elasticsearch's answer at end of input.
    Batch,
}

#[derive(Debug, clap::Args)]
struct SelectArgs {
    /// Only these rules: a file name or stem, a rule_id or a name; `*` and `?` glob
    /// (repeatable).
    #[arg(long = "rule", value_name = "NAME|ID|GLOB")]
    rule: Vec<String>,
    /// Only rules of at least this severity.
    #[arg(long, value_enum, value_name = "LEVEL")]
    min_severity: Option<eqlc::select::Severity>,
    /// Only rules with this tag (repeatable: any of them).
    #[arg(long, value_name = "TAG")]
    tag: Vec<String>,
}

impl SelectArgs {
    fn selection(&self) -> eqlc::select::Selection {
        eqlc::select::Selection {
            rules: self.rule.clone(),
            min_severity: self.min_severity,
            tags: self.tag.clone(),
        }
    }
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// Interpret the rules of DIR instead of running the compiled ones.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
    /// Only events at or after this time (ISO 8601, or epoch milliseconds).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    from: Option<i64>,
    /// Only events before this time (ISO 8601, or epoch milliseconds).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    to: Option<i64>,
    /// How alerts are written on standard output.
    #[arg(long, value_enum, default_value_t = eqlc::format::Format::Auto)]
    format: eqlc::format::Format,
    /// Also write the summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
    /// Exit 1 when any alert fired.
    #[arg(long)]
    fail_on_alert: bool,
    /// Exit 1 when any input line was not an event.
    #[arg(long)]
    strict: bool,
    /// No progress bar and no summary on standard error (bad lines are still reported).
    #[arg(long, short)]
    quiet: bool,
    /// Also print the engine's internal counters in the summary.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    time: TimeArgs,
    /// How samples emit.
    #[arg(long, value_enum, default_value_t = Samples::Stream)]
    samples: Samples,
    /// Open join keys kept per sequence rule (oldest evicted and counted).
    #[arg(long, value_name = "N", default_value_t = rule_runtime::options::DEFAULT_MAX_SEQUENCE_KEYS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    max_sequence_keys: u64,
    /// Longer lines are skipped and counted.
    #[arg(long, value_name = "N", default_value_t = rule_runtime::stream::DEFAULT_MAX_LINE_BYTES as u64, value_parser = clap::value_parser!(u64).range(1..))]
    max_line_bytes: u64,
    /// Events that hit a rule held at most in the reorder window (each holds its line);
    /// past that the oldest are matched early and counted.
    #[arg(long, value_name = "N", default_value_t = eqlc::scan::DEFAULT_MAX_HELD_EVENTS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    max_held_events: u64,
    /// Threads evaluating lines (default: the cores available); the alerts, their order
    /// and the summary's counters are the same for any number. With --rules, one.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Files or folders of events (NDJSON, a JSON array, an Elasticsearch _search
    /// response or export; gzip or zstd); `-` or none: standard input.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// `--from`/`--to`: a timestamp as the engine reads `@timestamp`.
fn parse_time(text: &str) -> Result<i64, String> {
    rule_runtime::time::parse_timestamp(text).ok_or_else(|| {
        format!("`{text}` is not a time (write ISO 8601 such as 2026-01-01T00:00:00Z, or epoch milliseconds)")
    })
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    /// A table.
    Table,
    /// One JSON object per rule, per line.
    Json,
}

/// The command line, its version naming the rule set compiled in.
fn command() -> clap::Command {
    let info = &eqlc::compiled::BUILD_INFO;
    let version = format!(
        "{} (rules: {} file{}, hash {}{})",
        env!("CARGO_PKG_VERSION"),
        info.files,
        if info.files == 1 { "" } else { "s" },
        info.hash,
        if info.ok() {
            ""
        } else {
            ", did not build: see eqlc rules"
        }
    );
    Cli::command().version(&*Box::leak(version.into_boxed_str()))
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Check {
            schema,
            quiet,
            emit_dsl,
            paths,
        } => {
            if emit_dsl {
                emit_dsl_of(paths)
            } else {
                check(schema, quiet, paths)
            }
        }
        Command::Scan(args) => scan(args),
        Command::Rules { select, format } => list_rules(&select.selection(), format),
        Command::Completions { shell } => {
            let mut cmd = command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "eqlc", &mut script);
            match print_out(&String::from_utf8_lossy(&script)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            }
        }
        Command::Explain {
            rule,
            events,
            rules,
            time,
            json,
        } => {
            let args = eqlc::explain::ExplainArgs {
                rule,
                rules_dir: rules,
                events,
                time: rule_runtime::time::TimeFields::new(
                    time.timestamp_field,
                    time.tiebreaker_field,
                ),
                reorder_window_ms: time.reorder_window,
                json,
            };
            finish(eqlc::explain::run(
                &args,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr(),
            ))
        }
        Command::GenEvents {
            rule,
            rules,
            near_misses,
            seed,
            cases,
        } => {
            let args = eqlc::gen_events::GenArgs {
                rule,
                rules_dir: rules,
                near_misses,
                seed,
                cases,
            };
            finish(eqlc::gen_events::run(
                &args,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr(),
            ))
        }
    }
}

/// Writes `text` on standard output: a reader that went away (`| head`) ends the
/// command quietly (exit 0), another write error is exit 2.
fn print_out(text: &str) -> Result<(), ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("eqlc: cannot write the output: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// Exit status of a command: 0, or 2 with the message.
fn finish(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        // Standard output closed by its reader (`| head`): stop quietly.
        Err(e) if e.is_empty() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eqlc: {e}");
            ExitCode::from(2)
        }
    }
}

fn check(schema_path: Option<PathBuf>, quiet: bool, mut paths: Vec<PathBuf>) -> ExitCode {
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
            if let Err(code) = print_out(&format!("{rendered}\n")) {
                return code;
            }
        }
    }
    if let Err(code) = print_out(&format!("{}\n", report.summary())) {
        return code;
    }
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `eqlc check --emit-dsl`: the DSL of every KQL rule under `paths`, one JSON line each
/// (`{"file", "rule_id", "dsl"}`, or `"error"` for a query that does not parse).
fn emit_dsl_of(paths: Vec<PathBuf>) -> ExitCode {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("rules")]
    } else {
        paths
    };
    let files = match rule_compiler::source::collect_rule_files(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("eqlc: cannot read the rules: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for path in files {
        let rule = match rule_compiler::source::load_rule_file(&path) {
            Ok(r) if r.meta.language == "kuery" => r,
            _ => continue,
        };
        let mut line = serde_json::json!({
            "file": path.display().to_string(),
            "rule_id": rule.meta.rule_id,
        });
        match rule_compiler::kql::dsl::rule_dsl(&rule, rule_compiler::kql::Mappings::bundled()) {
            Ok(dsl) => line["dsl"] = dsl,
            Err(d) => {
                failed = true;
                line["error"] = serde_json::Value::from(d.message);
            }
        }
        if let Err(code) = print_out(&format!("{line}\n")) {
            return code;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    use eqlc::scan::{scan, Rules, ScanError, ScanOptions};
    use rule_runtime::sample::SampleMode;
    use std::io::IsTerminal;
    let mut options = ScanOptions::new(
        match args.rules {
            Some(dir) => Rules::Interpreted(dir),
            None => Rules::Compiled,
        },
        args.inputs,
    );
    options.engine = rule_runtime::engine::EngineConfig::with_window(args.time.reorder_window);
    options.engine.time.timestamp = args.time.timestamp_field;
    options.engine.time.tiebreaker = args.time.tiebreaker_field;
    options.interpreter.sample_mode = match args.samples {
        Samples::Stream => SampleMode::Stream,
        Samples::Batch => SampleMode::batch_default(),
    };
    options.interpreter.max_sequence_keys =
        Some(usize::try_from(args.max_sequence_keys).unwrap_or(usize::MAX));
    options.max_line_bytes = usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX);
    options.max_held_events = usize::try_from(args.max_held_events).unwrap_or(usize::MAX);
    if let Some(threads) = args.threads {
        options.threads = usize::try_from(threads).unwrap_or(1);
    }
    options.selection = args.select.selection();
    options.from = args.from;
    options.to = args.to;
    options.format = eqlc::format::resolve(args.format, std::io::stdout().is_terminal());
    let reads_files = options.inputs.iter().any(|p| p.as_os_str() != "-");
    options.progress = !args.quiet && reads_files && std::io::stderr().is_terminal();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let summary = match scan(&options, &mut out, &mut err) {
        Ok(summary) => summary,
        // The reader of the alerts went away (`| head`): stop quietly.
        Err(ScanError::OutputClosed) => return ExitCode::SUCCESS,
        Err(ScanError::Failed(e)) => {
            eprintln!("eqlc: {e}");
            return ExitCode::from(2);
        }
    };
    if !args.quiet {
        eprintln!("{}", summary.render(args.verbose));
    }
    if let Some(path) = &args.stats {
        let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
        if let Err(e) = std::fs::write(path, json + "\n") {
            eprintln!("eqlc: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    let skipped: u64 = summary.skipped.values().sum();
    if (args.fail_on_alert && summary.alerts > 0) || (args.strict && skipped > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `eqlc rules`: the rules compiled in, selected, as a table or JSON lines.
fn list_rules(selection: &eqlc::select::Selection, format: ListFormat) -> ExitCode {
    let info = &eqlc::compiled::BUILD_INFO;
    // Rules that did not compile are named (with their diagnostics) on stderr; the rest
    // are listed; the exit code says the set is incomplete.
    let status = if info.ok() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{}\neqlc: {} error{} in the rules folder this eqlc was built from: the rules above are not in this build (eqlc check shows them; fix them and rebuild)",
            info.errors.join("\n"),
            info.errors.len(),
            if info.errors.len() == 1 { "" } else { "s" }
        );
        ExitCode::from(2)
    };
    let mut rows = Vec::new();
    for r in eqlc::compiled::RULE_SET.rules {
        let i = (r.info)();
        if !selection.selects(&eqlc::select::RuleFacts {
            file: r.file,
            id: r.id,
            name: r.name,
            severity: r.severity,
            tags: &i.tags,
        }) {
            continue;
        }
        let kind = match r.shape {
            rule_runtime::ruleset::Shape::Event => "event",
            rule_runtime::ruleset::Shape::Sequence { .. } => "sequence",
            rule_runtime::ruleset::Shape::Sample { .. } => "sample",
        };
        let tactics: Vec<String> = i.threat.iter().map(|t| t.tactic.clone()).collect();
        rows.push(serde_json::json!({
            "id": r.id,
            "name": r.name,
            "version": i.version,
            "severity": r.severity,
            "kind": kind,
            "tactics": tactics,
            "file": r.file,
        }));
    }
    let mut text = String::new();
    match format {
        ListFormat::Json => {
            for row in &rows {
                text.push_str(&format!("{row}\n"));
            }
        }
        ListFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header([
                "id", "name", "version", "severity", "kind", "tactics", "file",
            ]);
            for row in &rows {
                let text = |k: &str| match &row[k] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other.to_string(),
                };
                t.add_row(
                    [
                        "id", "name", "version", "severity", "kind", "tactics", "file",
                    ]
                    .map(text),
                );
            }
            text.push_str(&format!("{t}\n"));
        }
    }
    if let Err(code) = print_out(&text) {
        return code;
    }
    eprintln!(
        "eqlc: {} of {} rules compiled in (from {} rule file{}, hash {})",
        rows.len(),
        eqlc::compiled::RULE_SET.rules.len(),
        info.files,
        if info.files == 1 { "" } else { "s" },
        info.hash
    );
    status
}
