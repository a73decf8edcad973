//! `--benign FILE…`: rules must stay silent on streams known to be benign, except for
//! the alerts `known-false-positives.yaml` (in the rules folder) allows, each with a
//! reason.
//!
//! ```yaml
//! - rule: c5c9f591-d111-4cf8-baec-c26a39bc31ef   # rule_id, or the rule file's stem
//!   match: {event.id: "4f1c"}                    # allowed when one of the alert's
//!                                                # events has all these field values
//!   reason: the backup agent dumps its own memory nightly
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rule_compiler::codegen::GenRule;
use rule_compiler::interpreter::{
    InterpretedRule, InterpretedRules, InterpreterBackend, InterpreterOptions,
};
use rule_runtime::alert::Alert;
use rule_runtime::engine::{Engine, EngineConfig, RuleEntry};
use rule_runtime::ruleset::{RuleSet, RuleSetSpec};
use rule_runtime::state::SetHits;
use rule_runtime::stream::{Backend, CompiledBackend, Line, LineReader};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::spec::SpecError;

/// The file of allowed alerts, beside the rules.
pub const KNOWN_FALSE_POSITIVES: &str = "known-false-positives.yaml";

/// The reorder window of benign streams, as `eqlc scan`'s default.
pub const BENIGN_WINDOW_MS: u64 = 5_000;

/// One allowed alert.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFalsePositive {
    /// The rule's `rule_id` or its file's stem.
    pub rule: String,
    /// Field values (dotted paths) one of the alert's events must all have.
    #[serde(rename = "match")]
    pub matches: Map<String, Json>,
    /// Why the alert is expected and harmless.
    pub reason: String,
}

/// Reads `known-false-positives.yaml` of `rules_dir` (none: nothing is allowed).
pub fn load_known(rules_dir: &Path) -> Result<Vec<KnownFalsePositive>, SpecError> {
    let path = rules_dir.join(KNOWN_FALSE_POSITIVES);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let known: Vec<KnownFalsePositive> = serde_yaml::from_str(&text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        SpecError {
            file: path.clone(),
            line,
            column,
            message: e.to_string(),
        }
    })?;
    for (i, k) in known.iter().enumerate() {
        let problem = if k.reason.trim().is_empty() {
            Some("needs a `reason`")
        } else if k.matches.is_empty() {
            Some("needs at least one field in `match`")
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(SpecError {
                file: path.clone(),
                line: 1,
                column: 1,
                message: format!("entry {i} (rule {}) {p}", k.rule),
            });
        }
    }
    Ok(known)
}

/// The values at a dotted path of a JSON event (nested objects, dotted keys, their mix,
/// arrays of values and of objects).
pub fn field_values<'j>(event: &'j Json, path: &str) -> Vec<&'j Json> {
    let mut out = Vec::new();
    collect(event, path, &mut out);
    out
}

fn collect<'j>(node: &'j Json, path: &str, out: &mut Vec<&'j Json>) {
    match node {
        Json::Array(items) => items.iter().for_each(|i| collect(i, path, out)),
        Json::Object(map) => {
            if let Some(v) = map.get(path) {
                push_leaves(v, out);
            }
            for (i, _) in path.match_indices('.') {
                if let Some(child) = map.get(&path[..i]) {
                    collect(child, &path[i + 1..], out);
                }
            }
        }
        _ => {}
    }
}

fn push_leaves<'j>(v: &'j Json, out: &mut Vec<&'j Json>) {
    match v {
        Json::Array(items) => items.iter().for_each(|i| push_leaves(i, out)),
        other => out.push(other),
    }
}

fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

impl KnownFalsePositive {
    fn allows(&self, rule: &GenRule, stem: &str, events: &[&Json]) -> bool {
        (self.rule == rule.ir.id || self.rule == stem)
            && events.iter().any(|e| {
                self.matches.iter().all(|(path, want)| {
                    field_values(e, path)
                        .into_iter()
                        .any(|have| same(have, want))
                })
            })
    }
}

/// An alert on a benign stream that nothing allows.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub message: String,
}

/// Every selected rule over each benign file (both back ends); the alerts nothing
/// allows, and the back ends' disagreements, as findings per rule.
pub fn run(
    spec: &'static RuleSetSpec,
    rules: &[(&GenRule, String)],
    files: &[PathBuf],
    known: &[KnownFalsePositive],
) -> Result<Vec<Finding>, String> {
    let mut findings = Vec::new();
    for file in files {
        let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut lines: Vec<String> = Vec::new();
        let mut bad = Vec::new();
        let mut reader = LineReader::new(&bytes[..]);
        while let Ok(Some(line)) = reader.next_line() {
            match line {
                Line::Text(t) => lines.push(t.to_string()),
                Line::Blank => {}
                Line::Bad(e) => bad.push(format!("line {}: {e}", reader.line_number())),
            }
        }
        if !bad.is_empty() {
            return Err(format!(
                "{}: {} line{} not events ({})",
                file.display(),
                bad.len(),
                if bad.len() == 1 { " is" } else { "s are" },
                bad.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
            ));
        }
        let ids: Vec<&str> = rules.iter().map(|(r, _)| r.ir.id.as_str()).collect();
        let compiled = compiled_alerts(spec, &ids, &lines)?;
        let interpreted = interpreted_alerts(rules, &lines)?;
        let parsed: Vec<Json> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or(Json::Null))
            .collect();
        for (rule, stem) in rules {
            let c = compiled.get(&rule.ir.id).cloned().unwrap_or_default();
            let i = interpreted.get(&rule.ir.id).cloned().unwrap_or_default();
            if c != i {
                findings.push(Finding {
                    rule_id: rule.ir.id.clone(),
                    message: format!(
                        "benign {}: the back ends disagree (compiled {} alerts, interpreted {})",
                        file.display(),
                        c.len(),
                        i.len()
                    ),
                });
            }
            for alert in &c {
                let events: Vec<&Json> = alert.iter().flatten().map(|&n| &parsed[n]).collect();
                if known.iter().any(|k| k.allows(rule, stem, &events)) {
                    continue;
                }
                let at: Vec<String> = alert
                    .iter()
                    .map(|e| e.map_or("missing".into(), |n| format!("event {}", n + 1)))
                    .collect();
                findings.push(Finding {
                    rule_id: rule.ir.id.clone(),
                    message: format!(
                        "benign {}: alert on {} (allow it in {KNOWN_FALSE_POSITIVES} with a reason, or fix the rule)",
                        file.display(),
                        at.join(", ")
                    ),
                });
            }
        }
    }
    Ok(findings)
}

/// Per rule id, its alerts as event numbers (0-based, among the file's events), sorted.
type ByRule = BTreeMap<String, Vec<Vec<Option<usize>>>>;

fn collect_alerts<B: Backend>(
    mut backend: B,
    states: Vec<RuleEntry<usize>>,
    lines: &[String],
) -> Result<ByRule, String> {
    let mut engine = Engine::new(EngineConfig::with_window(BENIGN_WINDOW_MS), states);
    let mut hits = SetHits::new();
    let mut out: Vec<Alert<usize>> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match backend.evaluate(line, &mut hits) {
            Ok(time) => engine.push(time, &mut hits, || i, &mut out),
            Err(e) => return Err(format!("event {}: {e}", i + 1)),
        }
    }
    engine.flush(&mut out);
    let mut by: ByRule = BTreeMap::new();
    for a in out {
        by.entry(a.rule.id.clone()).or_default().push(a.events);
    }
    by.values_mut().for_each(|v| v.sort());
    Ok(by)
}

fn compiled_alerts(
    spec: &'static RuleSetSpec,
    ids: &[&str],
    lines: &[String],
) -> Result<ByRule, String> {
    let time = rule_runtime::time::TimeFields::default();
    let set = RuleSet::new(spec, |r| ids.contains(&r.id), &time);
    let states = set.states::<usize>(&InterpreterOptions::default().matcher_options())?;
    collect_alerts(CompiledBackend::new(set), states, lines)
}

fn interpreted_alerts(rules: &[(&GenRule, String)], lines: &[String]) -> Result<ByRule, String> {
    let options = InterpreterOptions::default();
    let list = rules
        .iter()
        .map(|(r, _)| InterpretedRule::new(&r.ir, Arc::new(r.info.clone()), &options))
        .collect::<Result<Vec<_>, _>>()?;
    let set = InterpretedRules::new(list, options);
    let states = set.states::<usize>()?;
    collect_alerts(
        InterpreterBackend::new(set, rule_runtime::time::TimeFields::default()),
        states,
        lines,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_values_follow_nested_dotted_and_arrays() {
        let e: Json = serde_json::from_str(
            r#"{"event": {"id": "a"}, "process.args": ["x", "y"], "file": [{"name": "f1"}, {"name": "f2"}], "host": {"os.type": "linux"}}"#,
        )
        .unwrap();
        assert_eq!(field_values(&e, "event.id"), vec![&Json::from("a")]);
        assert_eq!(field_values(&e, "process.args").len(), 2);
        assert_eq!(field_values(&e, "file.name").len(), 2);
        assert_eq!(field_values(&e, "host.os.type"), vec![&Json::from("linux")]);
        assert!(field_values(&e, "nope").is_empty());
    }
}
