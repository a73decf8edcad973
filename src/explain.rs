//! `eqlc explain RULE EVENTS`: why a rule did or did not alert on some events — per
//! event and stage, which condition held or failed and on what values; for sequences,
//! the join keys, the gaps against maxspan, `until` and missing-event stages
//! (`rule_compiler::explain`, the report the test harness prints for a failing case).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rule_compiler::explain::{explain, ExplainOptions};
use rule_runtime::event::JsonEvent;
use rule_runtime::stream::{Line, LineReader};
use rule_runtime::time::TimeFields;

use crate::rule_ref;

/// What `eqlc explain` was asked.
#[derive(Debug, Clone)]
pub struct ExplainArgs {
    pub rule: String,
    pub rules_dir: PathBuf,
    /// NDJSON events (`-`: standard input).
    pub events: PathBuf,
    pub time: TimeFields,
    pub reorder_window_ms: u64,
    pub json: bool,
}

/// Runs `eqlc explain`; `Err` is a message for a usage, rule or I/O error.
pub fn run(args: &ExplainArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), String> {
    let (rule, _) = rule_ref::resolve(&args.rule, &args.rules_dir)?;
    let bytes = read_input(&args.events)?;
    let mut reader = LineReader::new(&bytes[..]);
    let mut events = Vec::new();
    let mut skipped = 0usize;
    let mut n = 0u64;
    while let Some(line) = reader.next_line().map_err(|e| e.to_string())? {
        n += 1;
        match line {
            Line::Text(t) => match JsonEvent::parse(t) {
                Ok(e) => events.push(e),
                Err(e) => {
                    skipped += 1;
                    let _ = writeln!(err, "{}:{n}: skipped: {e:?}", args.events.display());
                }
            },
            Line::Blank => {}
            Line::Bad(e) => {
                skipped += 1;
                let _ = writeln!(err, "{}:{n}: skipped: {e}", args.events.display());
            }
        }
    }
    let options = ExplainOptions {
        time: args.time.clone(),
        reorder_window_ms: args.reorder_window_ms,
        ..ExplainOptions::default()
    };
    let report = explain(&rule.ir, &events, &options);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report).map_err(|e| e.to_string())?;
        writeln!(out).map_err(write_error)?;
    } else {
        write!(out, "{report}").map_err(write_error)?;
    }
    if skipped > 0 {
        let _ = writeln!(
            err,
            "{skipped} line{} skipped (not JSON objects)",
            if skipped == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// A file's bytes, or standard input's for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("standard input: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// A failed write to standard output as the command's error; a reader that went away
/// (`| head`) is not one: the command stops quietly.
pub fn write_error(e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        String::new()
    } else {
        format!("cannot write the output: {e}")
    }
}
