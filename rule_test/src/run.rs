//! One stream of events through one rule, on either back end, as the alerts it raises.
//!
//! A case is a finite stream: the engine sorts it by time (an unbounded reorder window,
//! ties in arrival order, as Elasticsearch's index would order it), matches it, and is
//! flushed at the end. Each run starts from fresh state. The engine's handle for an
//! event is its index in the case, so alerts name their events by position whatever
//! their contents (two identical events stay distinct) and nothing is added to them.

use std::sync::Arc;

use rule_compiler::codegen::GenRule;
use rule_compiler::interpreter::{
    InterpretedRule, InterpretedRules, InterpreterBackend, InterpreterOptions,
};
use rule_runtime::alert::Alert;
use rule_runtime::engine::{Engine, EngineConfig, RuleEntry};
use rule_runtime::output::value_json;
use rule_runtime::ruleset::{RuleSet, RuleSetSpec};
use rule_runtime::state::SetHits;
use rule_runtime::stream::{Backend, CompiledBackend};
use rule_runtime::time::TimeFields;
use serde::Serialize;
use serde_json::Value as Json;

use crate::spec::AlertEvents;

/// An alert as the harness compares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Observed {
    /// The indexes of its events in the stream, in stage order (`None`: missing stage).
    pub events: AlertEvents,
    /// `event`, `sequence` or `sample`.
    pub kind: &'static str,
    /// Join-key values as JSON text (so alerts order and compare totally).
    pub join_keys: Vec<String>,
    /// Epoch milliseconds of the alert (its last event), if timed.
    pub timestamp: Option<i64>,
}

impl Observed {
    fn of(alert: Alert<usize>) -> Observed {
        Observed {
            events: alert.events,
            kind: alert.kind.as_str(),
            join_keys: alert
                .join_keys
                .iter()
                .map(|v| value_json(v).to_string())
                .collect(),
            timestamp: alert.timestamp,
        }
    }

    /// The join keys as JSON values.
    pub fn join_keys_json(&self) -> Vec<Json> {
        self.join_keys
            .iter()
            .map(|k| serde_json::from_str(k).unwrap_or(Json::Null))
            .collect()
    }
}

/// The engine configuration of a test stream: `@timestamp`, no tiebreaker, the whole
/// stream sorted before matching.
pub fn case_config() -> EngineConfig {
    EngineConfig {
        time: TimeFields::default(),
        reorder_window_ms: EngineConfig::UNBOUNDED_WINDOW,
    }
}

/// `lines` through `backend` and an engine over `states`: the alerts, sorted.
fn run_backend<B: Backend>(
    mut backend: B,
    states: Vec<RuleEntry<usize>>,
    config: EngineConfig,
    lines: &[String],
) -> Result<Vec<Observed>, String> {
    let mut engine = Engine::new(config, states);
    let mut hits = SetHits::new();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let time = backend
            .evaluate(line.trim(), &mut hits)
            .map_err(|e| format!("event {i} is not an event: {e}"))?;
        engine.push(time, &mut hits, || i, &mut out);
    }
    engine.flush(&mut out);
    let mut alerts: Vec<Observed> = out.into_iter().map(Observed::of).collect();
    alerts.sort();
    Ok(alerts)
}

/// The compiled matchers of one rule of a compiled rule set.
pub fn run_compiled(
    spec: &'static RuleSetSpec,
    rule_id: &str,
    lines: &[String],
) -> Result<Vec<Observed>, String> {
    let config = case_config();
    let rules = RuleSet::new(spec, |r| r.id == rule_id, &config.time);
    if rules.is_empty() {
        return Err(format!(
            "rule {rule_id} is not compiled in (rebuild the runner)"
        ));
    }
    let states = rules.states::<usize>(&InterpreterOptions::default().matcher_options())?;
    run_backend(CompiledBackend::new(rules), states, config, lines)
}

/// The reference interpreter on one rule.
pub fn run_interpreted(rule: &GenRule, lines: &[String]) -> Result<Vec<Observed>, String> {
    let config = case_config();
    let options = InterpreterOptions::default();
    let interpreted = InterpretedRule::new(&rule.ir, Arc::new(rule.info.clone()), &options)?;
    let rules = InterpretedRules::new(vec![interpreted], options);
    let states = rules.states::<usize>()?;
    run_backend(
        InterpreterBackend::new(rules, config.time.clone()),
        states,
        config,
        lines,
    )
}

/// What both back ends raised on one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BothRuns {
    pub compiled: Vec<Observed>,
    pub interpreted: Vec<Observed>,
}

impl BothRuns {
    /// Whether the two back ends disagree (a failure whatever the expectation).
    pub fn disagree(&self) -> bool {
        self.compiled != self.interpreted
    }
}

/// One stream through both back ends.
pub fn run_both(
    spec: &'static RuleSetSpec,
    rule: &GenRule,
    lines: &[String],
) -> Result<BothRuns, String> {
    Ok(BothRuns {
        compiled: run_compiled(spec, &rule.ir.id, lines)?,
        interpreted: run_interpreted(rule, lines)?,
    })
}
