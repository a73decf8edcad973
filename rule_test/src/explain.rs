//! "Why didn't it match": a failing case's events explained against its rule by
//! `rule_compiler::explain` (the same report as `eqlc explain`).

use rule_compiler::codegen::GenRule;
use rule_compiler::explain::{explain, ExplainOptions};
use rule_runtime::event::JsonEvent;

/// The explanation of `lines` (one JSON event each) against `rule`, indented for a
/// failure message.
pub fn why(rule: &GenRule, lines: &[String]) -> String {
    let events: Vec<JsonEvent> = match lines
        .iter()
        .map(|l| JsonEvent::parse(l))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(e) => e,
        Err(e) => return format!("  (no explanation: an event does not parse: {e:?})"),
    };
    let options = ExplainOptions {
        reorder_window_ms: crate::run::case_config().reorder_window_ms,
        ..ExplainOptions::default()
    };
    let report = explain(&rule.ir, &events, &options).to_string();
    report
        .lines()
        .map(|l| format!("  | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
