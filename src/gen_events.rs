//! `eqlc gen-events RULE`: events generated from a rule (`rule_compiler::gen`), as test
//! data for anyone: matching examples (one per branch of the rule's conditions, whole
//! sequences with shared join keys inside maxspan), and with `--near-misses` the near
//! misses that must not alert (one condition broken, a join key changed, maxspan
//! exceeded by 1 ms, an `until` event inserted …). Every case was verified by the
//! reference interpreter.
//!
//! Output: NDJSON events, case after case, each case moved in time to start one hour
//! after the previous one began (so windows of different cases do not overlap); with
//! `--cases`, one JSON object per case instead (`name`, `kind`, `expect`: the alerts as
//! event indexes, `events`). What could not be generated is listed on stderr.

use std::io::Write;
use std::path::PathBuf;

use rule_compiler::gen::{generate, CaseKind, GenOptions};
use rule_runtime::time::{format_millis, parse_timestamp};
use serde_json::{json, Value as Json};

use crate::explain::write_error;
use crate::rule_ref;

/// What `eqlc gen-events` was asked.
#[derive(Debug, Clone)]
pub struct GenArgs {
    pub rule: String,
    pub rules_dir: PathBuf,
    pub near_misses: bool,
    pub seed: u64,
    pub cases: bool,
}

/// The time between the starts of two cases in the NDJSON output.
pub const CASE_SPACING_MS: i64 = 3_600_000;

/// Runs `eqlc gen-events`; `Err` is a message for a usage or rule error.
pub fn run(args: &GenArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), String> {
    let (rule, _) = rule_ref::resolve(&args.rule, &args.rules_dir)?;
    let generated = generate(
        &rule.ir,
        &GenOptions {
            seed: args.seed,
            near_misses: args.near_misses,
            ..GenOptions::default()
        },
    );
    let mut written = 0usize;
    for (k, case) in generated
        .cases
        .iter()
        .filter(|c| args.near_misses || c.kind == CaseKind::Match)
        .enumerate()
    {
        let kind = match case.kind {
            CaseKind::Match => "match".to_string(),
            CaseKind::NearMiss(n) => format!("near_miss:{n:?}"),
        };
        if args.cases {
            let line = json!({
                "name": case.name,
                "kind": kind,
                "expect": case.expect,
                "events": case.events,
            });
            writeln!(out, "{line}").map_err(write_error)?;
        } else {
            let shift = CASE_SPACING_MS * k as i64;
            for e in &case.events {
                writeln!(out, "{}", shifted(e, shift)).map_err(write_error)?;
            }
        }
        written += 1;
    }
    let _ = writeln!(
        err,
        "{}: {written} case{} ({} matching, {} near misses generated)",
        rule.file,
        if written == 1 { "" } else { "s" },
        generated.matches().count(),
        generated.near_misses().count()
    );
    for g in &generated.gaps {
        let _ = writeln!(err, "not generated: {}: {}", g.what, g.reason);
    }
    Ok(())
}

fn shifted(event: &Json, ms: i64) -> Json {
    let mut e = event.clone();
    if ms == 0 {
        return e;
    }
    if let Some(t) = e
        .get("@timestamp")
        .and_then(Json::as_str)
        .and_then(parse_timestamp)
    {
        e["@timestamp"] = Json::String(format_millis(t + ms));
    }
    e
}
