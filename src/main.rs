//! `eqlc`: compile Elastic EQL detection rules into fast, tested matchers.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
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
    /// List the rules compiled into eqlc (id, kind, severity, name).
    ///
    /// Build with `EQLC_RULES_DIR=<dir> cargo build --release` to compile another
    /// folder in.
    Rules,
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
struct ScanArgs {
    /// Interpret the rules of DIR instead of running the compiled ones.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
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
    /// NDJSON files (`-` or none: standard input).
    #[arg(value_name = "FILE")]
    inputs: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            schema,
            quiet,
            paths,
        } => check(schema, quiet, paths),
        Command::Scan(args) => scan(args),
        Command::Rules => {
            for r in eqlc::compiled::RULES.iter().map(|r| r.summary()) {
                println!("{}\t{}\t{}\t{}", r.id, r.kind, r.severity, r.name);
            }
            eprintln!("{} rules compiled in", eqlc::compiled::RULES.len());
            ExitCode::SUCCESS
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

fn scan(args: ScanArgs) -> ExitCode {
    use eqlc::scan::{scan, Rules, ScanOptions};
    use rule_compiler::interpreter::InterpreterOptions;
    use rule_runtime::engine::EngineConfig;
    use rule_runtime::sample::SampleMode;
    let mut engine = EngineConfig::with_window(args.time.reorder_window);
    engine.time.timestamp = args.time.timestamp_field;
    engine.time.tiebreaker = args.time.tiebreaker_field;
    let interpreter = InterpreterOptions {
        sample_mode: match args.samples {
            Samples::Stream => SampleMode::Stream,
            Samples::Batch => SampleMode::batch_default(),
        },
        max_sequence_keys: Some(usize::try_from(args.max_sequence_keys).unwrap_or(usize::MAX)),
        ..InterpreterOptions::default()
    };
    let max_line_bytes = usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX);
    let rules = args.rules;
    let mut inputs = args.inputs;
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
